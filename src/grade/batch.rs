//! Grading a batch of submissions (one learner's copy, or a class) in one go: the learners'
//! files with the canonical tests spliced in become the bins of one scratch package, built by one
//! cargo invocation, and their tests run in the sandbox with the checker's bounded slots.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use indicatif::ProgressBar;

use super::scratch::{Scratch, ScratchBin};
use super::{GradeContext, Graded, Submission, limits, splice, status_word};
use crate::build::BuildKind;
use crate::check::{Checker, Target};
use crate::course::Exercise;
use crate::report::{ExerciseResult, Status};
use crate::supervise;

/// What happened to one (submission, exercise) before the build.
enum Prepared {
    /// Built and judged as `targets[index]`.
    Target { index: usize, note: Note },
    /// Judged without building (a missing file, a broken canonical file).
    Done(ExerciseResult),
}

#[derive(Clone, Copy)]
enum Note {
    None,
    TestsModified,
    NoCanonicalTests,
}

/// Grades every exercise of every submission: one scratch package, one build, tests run in
/// the sandbox with the checker's bounded slots.
pub async fn grade_submissions(
    ctx: &GradeContext,
    subs: &[Submission],
    protect: &[PathBuf],
    bar: &ProgressBar,
) -> Result<Graded> {
    let scratch = Scratch::new(&ctx.course_pkg)?;
    let result = grade_in(ctx, subs, protect, bar, &scratch).await;
    scratch.clean_artifacts();
    result
}

async fn grade_in(
    ctx: &GradeContext,
    subs: &[Submission],
    protect: &[PathBuf],
    bar: &ProgressBar,
    scratch: &Scratch,
) -> Result<Graded> {
    let course = &ctx.course;
    // A snapshot of the canonical files, taken before any learner code runs.
    let mut canonical = Vec::new();
    for ex in &ctx.exercises {
        let path = course.root.join(&ex.sol_path);
        let text = if path.is_file() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("failed to read {}", path.display()))?;
            scratch.write(&Path::new("canonical").join(&ex.sol_path), &text)?;
            Some(text)
        } else {
            None
        };
        canonical.push(text);
    }

    let mut targets = Vec::new();
    let mut bins = Vec::new();
    let mut prepared: Vec<Vec<Prepared>> = Vec::new();
    for (i, sub) in subs.iter().enumerate() {
        let mut row = Vec::new();
        for (ex, canon) in ctx.exercises.iter().zip(&canonical) {
            let theirs = match read_submitted(&sub.root, &ex.path) {
                Ok(text) => text,
                Err(why) => {
                    row.push(Prepared::Done(unbuilt(ex, why)));
                    continue;
                }
            };
            let (text, note) = match canon.as_deref().map(|c| splice::splice(&theirs, c)) {
                None => (theirs, Note::NoCanonicalTests),
                Some(Ok(None)) => (theirs, Note::None),
                Some(Ok(Some(s))) if s.tests_modified => (s.text, Note::TestsModified),
                Some(Ok(Some(s))) => (s.text, Note::None),
                Some(Err(e)) => {
                    row.push(Prepared::Done(unbuilt(
                        ex,
                        format!(
                            "the course's canonical tests ({}) could not be read: {e:#}",
                            ex.sol_path.display()
                        ),
                    )));
                    continue;
                }
            };
            let rel = Path::new(&format!("s{i}")).join(&ex.path);
            let source = scratch.write(&rel, &text)?;
            let bin = scratch.bin_name(i, &ex.name);
            bins.push(ScratchBin {
                name: bin.clone(),
                path: rel,
                test: ex.test,
            });
            row.push(Prepared::Target {
                index: targets.len(),
                note,
            });
            targets.push(Target {
                exercise: ex.clone(),
                bin,
                source,
            });
        }
        prepared.push(row);
    }
    let pkg = scratch.finish(&ctx.course_pkg, &bins)?;
    std::fs::create_dir_all(&scratch.target_dir)
        .with_context(|| format!("failed to create {}", scratch.target_dir.display()))?;

    let mut protected = vec![
        course.root.clone(),
        scratch.root.clone(),
        scratch.target_dir.clone(),
    ];
    protected.extend(subs.iter().map(|s| s.root.clone()));
    protected.extend(protect.iter().cloned());
    let sandbox = limits::prepare(
        &ctx.limits,
        &protected,
        deadline_text(ctx),
        supervise::DEFAULT_OUTPUT_CAP,
    )
    .await?;

    let mut checker = Checker::new(course, pkg);
    checker.canonical_root = scratch.root.join("canonical");
    checker.timeout_override = ctx.timeout;
    checker.tests_build = BuildKind::AllTests;
    checker.log_root = Some(sandbox.log_root.path().to_path_buf());
    checker.wrap = Some(sandbox.wrap.clone());
    let tag = scratch.tag.clone();
    let on_build = |krate: &str| {
        if !krate.starts_with(&tag) {
            bar.set_message(format!("compiling {krate}"));
        } else {
            bar.set_message("compiling the submissions");
        }
    };
    let on_done = |r: &ExerciseResult| {
        bar.inc(1);
        bar.set_message(format!("{} {}", r.name, status_word(r.status)));
    };
    let mut judged: Vec<Option<ExerciseResult>> = checker
        .check_all(&targets, &on_build, &on_done)
        .await?
        .into_iter()
        .map(Some)
        .collect();

    let mut results = Vec::new();
    for (i, row) in prepared.into_iter().enumerate() {
        let mut out = Vec::new();
        for p in row {
            match p {
                Prepared::Done(r) => {
                    bar.inc(1);
                    out.push(r);
                }
                Prepared::Target { index, note } => {
                    let r = judged[index].take().expect("each target judged once");
                    out.push(finish(r, i, &targets[index].bin, note));
                }
            }
        }
        results.push(out);
    }
    Ok(Graded {
        results,
        enforced: sandbox.enforced,
    })
}

/// A learner's exercise file. It must be a plain file inside their copy: a symlink could hand
/// in someone else's file (the course's solution, say).
fn read_submitted(root: &Path, rel: &Path) -> std::result::Result<String, String> {
    let path = root.join(rel);
    let inside = path.canonicalize().is_ok_and(|p| p.starts_with(root));
    match std::fs::symlink_metadata(&path) {
        Err(_) => Err(format!("{} is missing from the submission", rel.display())),
        Ok(m) if m.file_type().is_symlink() || !inside => Err(format!(
            "{} is a symbolic link (or under one): submitted files must be plain files",
            rel.display()
        )),
        Ok(_) => std::fs::read_to_string(&path)
            .map_err(|e| format!("failed to read {}: {e}", rel.display())),
    }
}

/// A result for an exercise that was not built.
fn unbuilt(ex: &Exercise, message: String) -> ExerciseResult {
    ExerciseResult {
        name: ex.name.clone(),
        dir: ex.section().to_string(),
        status: Status::Error,
        tests_modified: false,
        points: 0,
        max_points: ex.points,
        duration_ms: 0,
        message,
        tests: Vec::new(),
        compiler_output: String::new(),
    }
}

/// Shows paths and names as the learner knows them, and says when the tests were modified.
fn finish(mut r: ExerciseResult, student: usize, bin: &str, note: Note) -> ExerciseResult {
    let scratch_prefix = format!("s{student}/exercises/");
    let name = r.name.clone();
    let fix = |s: &mut String| {
        if s.contains(&scratch_prefix) || s.contains(bin) {
            *s = s.replace(&scratch_prefix, "exercises/").replace(bin, &name);
        }
    };
    fix(&mut r.message);
    fix(&mut r.compiler_output);
    for t in &mut r.tests {
        fix(&mut t.message);
        fix(&mut t.output);
    }
    match note {
        Note::TestsModified => {
            r.tests_modified = true;
            r.message = if r.message.is_empty() {
                "the tests were modified; judged by the course's tests, which pass".into()
            } else {
                format!(
                    "the tests were modified; judged by the course's tests: {}",
                    r.message
                )
            };
        }
        Note::NoCanonicalTests => {
            let prefix = "the course has no solution file, so the submission's own tests were run";
            r.message = if r.message.is_empty() {
                prefix.into()
            } else {
                format!("{prefix}: {}", r.message)
            };
        }
        Note::None => {}
    }
    r
}

fn deadline_text(ctx: &GradeContext) -> String {
    if let Some(t) = ctx.timeout {
        return format!(
            "{} per test (--timeout), then the test's processes are killed",
            humantime::format_duration(t)
        );
    }
    let secs: BTreeSet<u64> = ctx.exercises.iter().map(|e| e.timeout.as_secs()).collect();
    let range = match (secs.first(), secs.last()) {
        (Some(a), Some(b)) if a == b => format!("{a}s"),
        (Some(a), Some(b)) => format!("{a}s to {b}s (each exercise's timeout_secs)"),
        _ => "none".into(),
    };
    format!("{range} per test, then the test's processes are killed")
}
