//! The application context shared by commands: the course, the learner's progress, and a
//! checker bound to the course package.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;

use crate::build::CoursePackage;
use crate::check::{Checker, Target};
use crate::course::{Course, Exercise};
use crate::progress::Progress;
use crate::report::ExerciseResult;
use crate::term;

pub struct App {
    pub course: Arc<Course>,
    pub progress: Progress,
    timeout: Option<Duration>,
    checker: Option<Checker>,
}

impl App {
    pub fn load(root: &Path, timeout: Option<Duration>) -> Result<Self> {
        let course = Arc::new(Course::load(root)?);
        let (progress, notes) = Progress::load(&course)?;
        for note in notes {
            eprintln!("note: {note}");
        }
        Ok(Self {
            course,
            progress,
            timeout,
            checker: None,
        })
    }

    /// The checker, created on first use (it asks cargo where the course package is).
    pub fn checker(&mut self) -> Result<&Checker> {
        if self.checker.is_none() {
            let pkg = CoursePackage::locate(&self.course)?;
            let mut c = Checker::new(&self.course, pkg);
            c.timeout_override = self.timeout;
            self.checker = Some(c);
        }
        Ok(self.checker.as_ref().expect("just set"))
    }

    pub fn exercise(&self, name: Option<&str>) -> Result<(usize, Exercise)> {
        let i = match name {
            Some(n) => self.course.find(n)?,
            None => self.progress.current(),
        };
        Ok((i, self.course.exercises[i].clone()))
    }

    /// Checks one exercise with a build spinner, and records the attempt (and a pass).
    pub async fn check_and_record(&mut self, ex: &Exercise) -> Result<ExerciseResult> {
        let target = Target::exercise(&self.course, ex);
        let spinner = term::build_spinner(&format!("Checking {}…", ex.name));
        let on_crate = |krate: &str| {
            if krate != ex.name {
                spinner.set_message(format!(
                    "Checking {}… compiling dependencies (only the first build is slow): {krate}",
                    ex.name
                ));
            }
        };
        let result = self.checker()?.check(&target, &on_crate).await;
        spinner.finish_and_clear();
        let result = result?;
        self.progress.record_attempt(&ex.name);
        if result.passed() {
            self.progress.mark_done(&ex.name);
        }
        self.progress.save()?;
        Ok(result)
    }
}
