//! The learner's session shared by commands: the course, the learner's progress, a checker
//! bound to the course package, and the transitions between exercises.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;

use crate::build::CoursePackage;
use crate::checker::{Checker, Events, Target};
use crate::course::{Course, Exercise};
use crate::progress::Progress;
use crate::report::ExerciseResult;

pub struct App {
    pub course: Arc<Course>,
    pub progress: Progress,
    timeout: Option<Duration>,
    checker: Option<Checker>,
    /// See [`App::evidence_deadlines`].
    evidence_deadlines: bool,
}

/// Where the learner goes after a pass.
pub enum Next {
    /// The next pending exercise, now current.
    Exercise(Box<Exercise>),
    /// Every exercise is done: the course's final message.
    AllDone(String),
}

impl App {
    /// Loads the course and the learner's progress; `notes` hears what was repaired (a corrupt
    /// progress file moved aside, say).
    pub fn load(root: &Path, timeout: Option<Duration>) -> Result<(Self, Vec<String>)> {
        let course = Arc::new(Course::load(root)?);
        let (progress, notes) = Progress::load(&course)?;
        Ok((
            Self {
                course,
                progress,
                timeout,
                checker: None,
                evidence_deadlines: false,
            },
            notes,
        ))
    }

    /// Deadlines from the solutions' recorded timings (watch and run; call before the first
    /// [`App::checker`]).
    pub fn evidence_deadlines(&mut self) {
        self.evidence_deadlines = true;
    }

    /// The checker, created on first use (it asks cargo where the course package is).
    pub fn checker(&mut self) -> Result<&Checker> {
        if self.checker.is_none() {
            let pkg = CoursePackage::locate(&self.course)?;
            let c = Checker::builder(&self.course, pkg)
                .timeout(self.timeout)
                .evidence_deadlines(self.evidence_deadlines)
                .build();
            self.checker = Some(c);
        }
        Ok(self.checker.as_ref().expect("just set"))
    }

    /// The exercise the learner is on.
    pub fn current(&self) -> &Exercise {
        &self.course.exercises[self.progress.current()]
    }

    /// The named exercise, or the current one.
    pub fn exercise(&self, name: Option<&str>) -> Result<(usize, Exercise)> {
        let i = match name {
            Some(n) => self.course.find(n)?,
            None => self.progress.current(),
        };
        Ok((i, self.course.exercises[i].clone()))
    }

    /// Checks one exercise and records the attempt (and a pass).
    pub async fn check_and_record(
        &mut self,
        ex: &Exercise,
        events: &dyn Events,
    ) -> Result<ExerciseResult> {
        let target = Target::exercise(&self.course, ex);
        let result = self.checker()?.check(&target, events).await?;
        self.record(std::slice::from_ref(&result))?;
        Ok(result)
    }

    /// Records attempts and passes, then saves the progress.
    pub fn record(&mut self, results: &[ExerciseResult]) -> Result<()> {
        for r in results {
            self.progress.record_attempt(&r.name);
            if r.passed() {
                self.progress.mark_done(&r.name);
            }
        }
        self.progress.save()
    }

    /// After a pass of exercise `from`: makes the next pending exercise current.
    pub fn advance(&mut self, from: usize) -> Result<Next> {
        match self.progress.next_pending_from(from) {
            Some(next) => {
                self.progress.set_current(next);
                self.progress.save()?;
                Ok(Next::Exercise(Box::new(
                    self.course.exercises[next].clone(),
                )))
            }
            None => Ok(Next::AllDone(
                self.course
                    .final_message
                    .clone()
                    .unwrap_or_else(|| "Every exercise is done!".to_string()),
            )),
        }
    }
}
