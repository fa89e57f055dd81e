//! `grade`: trustworthy grades for instructors. Each exercise is judged by the course's own
//! (canonical) tests spliced into a copy of the learner's file, built in a scratch package and
//! run in a sandbox; the result is the report of `report.rs` plus what was enforced.
//!
//! One course (or one learner's copy, `--submission`) gives one report as text, JSON or JUnit;
//! `--class` grades a directory of copies at once (see `class`).

mod batch;
pub mod build_sandbox;
mod cgroup;
mod class;
pub use class::write_class;
mod limits;
pub mod sandbox;
mod scratch;
mod splice;
pub mod stamp;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::build::CoursePackage;
use crate::check_all::write_report;
use crate::course::{Course, Exercise};
use crate::exit;
use crate::render::progress::ExerciseBar;
use crate::render::{gradescope, junit, summary};
use crate::report::{ExerciseResult, Report};

use batch::{Isolation, grade_submissions};
pub use limits::{Enforced, SandboxPolicy};
use stamp::Stamp;

/// A grade's report format (`--class` always writes JSON, CSV and HTML).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Junit,
    Gradescope,
}

/// `--shard K/N`: grade only the learners whose id hashes to shard K of N (`stamp::shard_of`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// `None`: from the environment (`JOB_COMPLETION_INDEX`, a Kubernetes Indexed Job's).
    pub index: Option<u32>,
    pub count: u32,
}

/// What to grade and how (the `grade` command's options).
#[derive(Debug)]
pub struct GradeOptions {
    pub sections: Vec<String>,
    pub exercises: Vec<String>,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub submission: Option<PathBuf>,
    pub class: Option<PathBuf>,
    pub require_pass: bool,
    pub policy: SandboxPolicy,
    /// The learner's id in the report (default: the git remote's `owner/repo`, else the
    /// directory's name).
    pub student: Option<String>,
    /// `--class`: keep the reports already in the output for the same work and course.
    pub resume: bool,
    pub shard: Option<Shard>,
}

/// The JSON report of grade mode: the shared schema plus what was enforced.
#[derive(Serialize)]
pub struct GradeReport<'a> {
    #[serde(flatten)]
    pub report: &'a Report,
    #[serde(flatten)]
    pub stamp: &'a Stamp,
    pub enforced: &'a Enforced,
}

/// A grade report read back (from a class's output, or by `aggregate`).
#[derive(Clone, Debug, Deserialize)]
pub struct StoredReport {
    #[serde(flatten)]
    pub report: Report,
    #[serde(flatten)]
    pub stamp: Stamp,
    pub enforced: Enforced,
}

impl GradeReport<'_> {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report is plain data") + "\n"
    }
}

/// One learner's copy of the course.
#[derive(Clone, Debug)]
pub struct Submission {
    pub name: String,
    pub root: PathBuf,
}

impl Submission {
    /// The copy in `dir`, named after the directory.
    fn at(dir: &Path) -> Result<Self> {
        let root = dir
            .canonicalize()
            .with_context(|| format!("submission directory {} not found", dir.display()))?;
        if !root.is_dir() {
            bail!("the submission {} is not a directory", dir.display());
        }
        Ok(Self {
            name: root
                .file_name()
                .map_or("submission".into(), |n| n.to_string_lossy().into_owned()),
            root,
        })
    }
}

/// Everything a grading run needs besides the submissions.
pub struct GradeContext {
    pub course: Arc<Course>,
    pub course_pkg: CoursePackage,
    pub exercises: Vec<Exercise>,
    pub timeout: Option<Duration>,
    pub policy: SandboxPolicy,
    /// `stamp::course_fingerprint` of the course.
    pub fingerprint: String,
}

/// Per submission, its results in exercise order.
pub struct Graded {
    pub results: Vec<Vec<ExerciseResult>>,
    pub enforced: Enforced,
}

pub async fn grade(root: &Path, timeout: Option<Duration>, opts: GradeOptions) -> Result<u8> {
    let course = Arc::new(Course::load(root)?);
    let exercises = select(&course, &opts.sections, &opts.exercises)?;
    let course_pkg = CoursePackage::locate(&course)?;
    let ctx = GradeContext {
        course: course.clone(),
        course_pkg,
        exercises,
        timeout,
        policy: opts.policy.clone(),
        fingerprint: stamp::course_fingerprint(&course),
    };
    if let Some(dir) = &opts.class {
        return class::grade_class(&ctx, dir, &opts).await;
    }
    let submission = match &opts.submission {
        Some(dir) => Submission::at(dir)?,
        None => Submission {
            name: course.name.clone(),
            root: course.root.clone(),
        },
    };
    let mut protect = Vec::new();
    if let Some(out) = &opts.output {
        protect.extend(out.parent().and_then(|p| p.canonicalize().ok()));
    }
    let bar = ExerciseBar::new(ctx.exercises.len(), true);
    let graded = grade_submissions(
        &ctx,
        std::slice::from_ref(&submission),
        &protect,
        &bar,
        Isolation::PerLearner,
        &mut |_, _, _| Ok(()),
    )
    .await;
    bar.finish();
    let mut graded = graded?;
    let stamp = Stamp::of(
        &submission.root,
        opts.student.as_deref(),
        &ctx.exercises,
        &ctx.fingerprint,
    );
    let report = Report::new(&course.name, graded.results.remove(0));
    let full = GradeReport {
        report: &report,
        stamp: &stamp,
        enforced: &graded.enforced,
    };
    let rendered = match opts.format {
        Format::Text => summary::grade_text(&report, &graded.enforced),
        Format::Json => full.to_json(),
        Format::Junit => junit::render(&report)?,
        Format::Gradescope => gradescope::render(&report),
    };
    if opts.output.is_some() {
        println!("{}", summary::score_line(&report));
    }
    write_report(opts.output.as_deref(), &rendered)?;
    let all_pass = report.exercises.iter().all(ExerciseResult::passed);
    Ok(if opts.require_pass && !all_pass {
        exit::NOT_PASSED
    } else {
        exit::OK
    })
}

/// The exercises to grade, in course order: all, or those of the named sections/exercises.
pub fn select(course: &Course, sections: &[String], names: &[String]) -> Result<Vec<Exercise>> {
    let known: BTreeSet<&str> = course.exercises.iter().map(Exercise::section).collect();
    for s in sections {
        if !known.contains(s.as_str()) {
            bail!(
                "there is no section `{s}` in {} (sections: {})",
                course.root.join(crate::course::INFO_FILE).display(),
                known.iter().copied().collect::<Vec<_>>().join(", ")
            );
        }
    }
    for n in names {
        course.find(n)?;
    }
    Ok(course
        .exercises
        .iter()
        .filter(|e| {
            (sections.is_empty() && names.is_empty())
                || sections.iter().any(|s| s == e.section())
                || names.contains(&e.name)
        })
        .cloned()
        .collect())
}

/// Judges single exercise files (a course author's traps and alternative fixes) exactly as
/// grade mode judges a learner's: the canonical tests spliced in, one scratch build, no
/// sandbox (the files are the author's). Results come in the order of `files`.
pub async fn judge_files(
    course: &Arc<Course>,
    course_pkg: CoursePackage,
    files: &[(Exercise, PathBuf)],
    timeout: Duration,
) -> Result<Vec<ExerciseResult>> {
    let holder = tempfile::Builder::new()
        .prefix("tokiolings-cases-")
        .tempdir()
        .context("failed to create a dir for the cases")?;
    let mut subs = Vec::new();
    for (i, (ex, file)) in files.iter().enumerate() {
        let root = holder.path().join(format!("c{i}"));
        let dest = root.join(&ex.path);
        std::fs::create_dir_all(dest.parent().unwrap_or(&root))?;
        std::fs::copy(file, &dest).with_context(|| format!("failed to copy {}", file.display()))?;
        subs.push(Submission {
            name: format!("c{i}"),
            root: root.canonicalize()?,
        });
    }
    // Each case is a copy of the course with one file: grade only the exercises in play.
    let mut exercises: Vec<Exercise> = Vec::new();
    for (ex, _) in files {
        if !exercises.iter().any(|e| e.name == ex.name) {
            exercises.push(ex.clone());
        }
    }
    let ctx = GradeContext {
        course: course.clone(),
        course_pkg,
        exercises: exercises.clone(),
        timeout: Some(timeout),
        policy: SandboxPolicy::none(),
        fingerprint: String::new(),
    };
    let graded = grade_submissions(
        &ctx,
        &subs,
        &[],
        &crate::checker::Quiet,
        Isolation::Shared,
        &mut |_, _, _| Ok(()),
    )
    .await?;
    Ok(files
        .iter()
        .zip(graded.results)
        .map(|((ex, _), mut row)| {
            let at = exercises
                .iter()
                .position(|e| e.name == ex.name)
                .expect("listed above");
            row.swap_remove(at)
        })
        .collect())
}
