//! `grade`: trustworthy grades for instructors. Each exercise is judged by the course's own
//! (canonical) tests spliced into a copy of the learner's file, built in a scratch package and
//! run in a sandbox; the result is the report of `report.rs` plus what was enforced.
//!
//! One course (or one learner's copy, `--submission`) gives one report as text, JSON or JUnit;
//! `--class` grades a directory of copies at once (see `class`).

mod batch;
mod cgroup;
mod class;
mod csv;
mod html;
mod junit;
mod limits;
pub mod sandbox;
mod scratch;
mod splice;
mod text;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::build::CoursePackage;
use crate::cli::exit;
use crate::course::{Course, Exercise};
use crate::progress::write_atomically;
use crate::report::{ExerciseResult, Report, Status};

use batch::grade_submissions;
pub use limits::{Enforced, LimitArgs};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit codes: 0 grading ran, whatever the scores (1 with --require-pass when an exercise did not pass); 2 grading could not run.\n\nSee docs/classroom.md for CI and GitHub Classroom."
)]
pub struct GradeArgs {
    /// Grade only this section (a directory under exercises/); repeat for more.
    #[arg(long = "section", value_name = "DIR")]
    pub sections: Vec<String>,
    /// Grade only this exercise; repeat for more.
    #[arg(long = "exercise", value_name = "NAME")]
    pub exercises: Vec<String>,
    /// Report format. (`--class` always writes JSON, CSV and HTML.)
    #[arg(long, value_enum, default_value_t = GradeFormat::Text, conflicts_with = "class")]
    pub format: GradeFormat,
    /// Write the report to this file (with `--class`: this directory, default `grade-report`).
    #[arg(long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Grade a learner's copy of the course (only its exercise files are used).
    #[arg(long, value_name = "DIR", conflicts_with = "class")]
    pub submission: Option<PathBuf>,
    /// Grade every subdirectory of SUBMISSIONS_DIR, one learner's copy of the course each.
    #[arg(long, value_name = "SUBMISSIONS_DIR")]
    pub class: Option<PathBuf>,
    /// Exit with 1 unless every graded exercise passes (for graders that read exit codes,
    /// such as GitHub Classroom's).
    #[arg(long)]
    pub require_pass: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GradeFormat {
    Text,
    Json,
    Junit,
}

/// The JSON report of grade mode: the shared schema plus what was enforced.
#[derive(Serialize)]
pub struct GradeReport<'a> {
    #[serde(flatten)]
    pub report: &'a Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub student: Option<&'a str>,
    pub enforced: &'a Enforced,
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

/// Everything a grading run needs besides the submissions.
pub struct GradeContext {
    pub course: Arc<Course>,
    pub course_pkg: CoursePackage,
    pub exercises: Vec<Exercise>,
    pub timeout: Option<Duration>,
    pub limits: LimitArgs,
}

/// Per submission, its results in exercise order.
pub struct Graded {
    pub results: Vec<Vec<ExerciseResult>>,
    pub enforced: Enforced,
}

pub async fn grade(root: &Path, timeout: Option<Duration>, args: GradeArgs) -> Result<u8> {
    let course = Arc::new(Course::load(root)?);
    let exercises = select(&course, &args.sections, &args.exercises)?;
    let course_pkg = CoursePackage::locate(&course)?;
    let ctx = GradeContext {
        course: course.clone(),
        course_pkg,
        exercises,
        timeout,
        limits: args.limits.clone(),
    };
    if let Some(dir) = &args.class {
        return class::grade_class(&ctx, dir, args.output.as_deref(), args.require_pass).await;
    }
    let submission = match &args.submission {
        Some(dir) => {
            let root = dir
                .canonicalize()
                .with_context(|| format!("submission directory {} not found", dir.display()))?;
            if !root.is_dir() {
                bail!("the submission {} is not a directory", dir.display());
            }
            Submission {
                name: root
                    .file_name()
                    .map_or("submission".into(), |n| n.to_string_lossy().into_owned()),
                root,
            }
        }
        None => Submission {
            name: course.name.clone(),
            root: course.root.clone(),
        },
    };
    let mut protect = Vec::new();
    if let Some(out) = &args.output {
        protect.extend(out.parent().and_then(|p| p.canonicalize().ok()));
    }
    let bar = progress_bar(ctx.exercises.len() as u64);
    let graded = grade_submissions(&ctx, std::slice::from_ref(&submission), &protect, &bar).await;
    bar.finish_and_clear();
    let mut graded = graded?;
    let results = graded.results.remove(0);
    let report = Report::new(&course.name, results);
    let full = GradeReport {
        report: &report,
        student: args.submission.as_ref().map(|_| submission.name.as_str()),
        enforced: &graded.enforced,
    };
    let rendered = match args.format {
        GradeFormat::Text => text::render(&report, &graded.enforced),
        GradeFormat::Json => full.to_json(),
        GradeFormat::Junit => junit::render(&report)?,
    };
    match &args.output {
        Some(path) => {
            write_atomically(path, rendered.as_bytes())
                .with_context(|| format!("failed to write the report to {}", path.display()))?;
            println!("{}", text::score_line(&report));
            eprintln!("Report written to {}", path.display());
        }
        None => print!("{rendered}"),
    }
    let all_pass = report.exercises.iter().all(ExerciseResult::passed);
    Ok(if args.require_pass && !all_pass {
        exit::NOT_PASSED
    } else {
        exit::OK
    })
}

/// The exercises to grade, in course order: all, or those of the named sections/exercises.
fn select(course: &Course, sections: &[String], names: &[String]) -> Result<Vec<Exercise>> {
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

pub fn progress_bar(len: u64) -> ProgressBar {
    let draw = if console::Term::stderr().is_term() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(len), draw);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{bar:40.cyan/blue}] {pos}/{len} {msg} [{elapsed}]",
        )
        .expect("valid template")
        .progress_chars("#>-"),
    );
    bar.set_message("building…");
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

pub fn status_word(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Error => "error",
        Status::Timeout => "timeout",
    }
}
