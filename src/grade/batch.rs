//! Grading a batch of submissions (one learner's copy, or a class) in one go: the learners'
//! files with the canonical tests spliced in become the bins of one scratch package, built by one
//! cargo invocation, and their tests run in the sandbox with the checker's bounded slots.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::scratch::{Scratch, ScratchBin};
use super::{GradeContext, Graded, Submission, limits, splice};
use crate::build::BuildKind;
use crate::checker::{Checker, Events, Target};
use crate::course::Exercise;
use crate::report::ExerciseResult;
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
    events: &dyn Events,
) -> Result<Graded> {
    let scratch = Scratch::new(&ctx.course_pkg)?;
    let result = grade_in(ctx, subs, protect, events, &scratch).await;
    scratch.clean_artifacts();
    result
}

async fn grade_in(
    ctx: &GradeContext,
    subs: &[Submission],
    protect: &[PathBuf],
    events: &dyn Events,
    scratch: &Scratch,
) -> Result<Graded> {
    let canonical = canonical_snapshot(ctx, scratch)?;
    let plan = Plan::make(ctx, subs, &canonical, scratch)?;
    let pkg = scratch.finish(&ctx.course_pkg, &plan.bins)?;
    std::fs::create_dir_all(&scratch.target_dir)
        .with_context(|| format!("failed to create {}", scratch.target_dir.display()))?;

    let mut protected = vec![
        ctx.course.root.clone(),
        scratch.root.clone(),
        scratch.target_dir.clone(),
    ];
    protected.extend(subs.iter().map(|s| s.root.clone()));
    protected.extend(protect.iter().cloned());
    let sandbox = limits::prepare(
        &ctx.policy,
        &protected,
        deadline_text(ctx),
        supervise::DEFAULT_OUTPUT_CAP,
    )
    .await?;
    let checker = Checker::builder(&ctx.course, pkg)
        .canonical_root(scratch.root.join("canonical"))
        .timeout(ctx.timeout)
        .tests_build(BuildKind::AllTests)
        .only_course_tests()
        .sandbox(sandbox.wrap.clone(), sandbox.log_root.path().to_path_buf())
        .build();
    let judged = checker.check_all(&plan.targets, events).await?;
    Ok(Graded {
        results: plan.assemble(judged, events),
        enforced: sandbox.enforced,
    })
}

/// A snapshot of the canonical files, taken before any learner code runs; `None` where the
/// course has no solution file.
fn canonical_snapshot(ctx: &GradeContext, scratch: &Scratch) -> Result<Vec<Option<String>>> {
    let mut canonical = Vec::new();
    for ex in &ctx.exercises {
        let path = ctx.course.root.join(&ex.sol_path);
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
    Ok(canonical)
}

/// Every (submission, exercise): a bin of the scratch package, or a result already.
struct Plan {
    targets: Vec<Target>,
    bins: Vec<ScratchBin>,
    /// Per submission, per exercise.
    rows: Vec<Vec<Prepared>>,
}

impl Plan {
    fn make(
        ctx: &GradeContext,
        subs: &[Submission],
        canonical: &[Option<String>],
        scratch: &Scratch,
    ) -> Result<Self> {
        let mut plan = Plan {
            targets: Vec::new(),
            bins: Vec::new(),
            rows: Vec::new(),
        };
        for (i, sub) in subs.iter().enumerate() {
            let mut row = Vec::new();
            for (ex, canon) in ctx.exercises.iter().zip(canonical) {
                row.push(plan.prepare(i, sub, ex, canon.as_deref(), scratch)?);
            }
            plan.rows.push(row);
        }
        Ok(plan)
    }

    /// The learner's file with the canonical tests spliced in, as a bin; or why it can't be.
    fn prepare(
        &mut self,
        student: usize,
        sub: &Submission,
        ex: &Exercise,
        canon: Option<&str>,
        scratch: &Scratch,
    ) -> Result<Prepared> {
        let theirs = match read_submitted(&sub.root, &ex.path) {
            Ok(text) => text,
            Err(why) => return Ok(Prepared::Done(ExerciseResult::unbuilt(ex, why))),
        };
        let (text, note) = match canon.map(|c| splice::splice(&theirs, c)) {
            None => (theirs, Note::NoCanonicalTests),
            Some(Ok(None)) => (theirs, Note::None),
            Some(Ok(Some(s))) if s.tests_modified => (s.text, Note::TestsModified),
            Some(Ok(Some(s))) => (s.text, Note::None),
            Some(Err(e)) => {
                return Ok(Prepared::Done(ExerciseResult::unbuilt(
                    ex,
                    format!(
                        "the course's canonical tests ({}) could not be read: {e:#}",
                        ex.sol_path.display()
                    ),
                )));
            }
        };
        let rel = Path::new(&format!("s{student}")).join(&ex.path);
        let source = scratch.write(&rel, &text)?;
        let bin = scratch.bin_name(student, &ex.name);
        self.bins.push(ScratchBin {
            name: bin.clone(),
            path: rel,
            test: ex.test,
        });
        self.targets.push(Target {
            exercise: ex.clone(),
            bin,
            source,
        });
        Ok(Prepared::Target {
            index: self.targets.len() - 1,
            note,
        })
    }

    /// Per submission, its results in exercise order.
    fn assemble(
        self,
        judged: Vec<ExerciseResult>,
        events: &dyn Events,
    ) -> Vec<Vec<ExerciseResult>> {
        let mut judged: Vec<Option<ExerciseResult>> = judged.into_iter().map(Some).collect();
        let mut results = Vec::new();
        for (i, row) in self.rows.into_iter().enumerate() {
            let mut out = Vec::new();
            for p in row {
                match p {
                    Prepared::Done(r) => {
                        events.skipped(&r);
                        out.push(r);
                    }
                    Prepared::Target { index, note } => {
                        let r = judged[index].take().expect("each target judged once");
                        out.push(finish(r, i, &self.targets[index].bin, note));
                    }
                }
            }
            results.push(out);
        }
        results
    }
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
