//! Grading a batch of submissions (one learner's copy, or a class): each learner's files, with
//! the canonical tests spliced in, become the bins of that learner's own scratch package, built
//! by its own cargo invocation in the build sandbox (so no build can read a classmate's files,
//! and one learner's build that hangs or fails costs only that learner); the tests run in the
//! test sandbox with the checker's bounded slots. A course author's own files (`judge_files`)
//! are built together in one package, without the build sandbox.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::sync::Semaphore;

use super::scratch::{self, Scratch, ScratchBin};
use super::{Enforced, GradeContext, Graded, Submission, build_sandbox, limits, splice};
use crate::build::{self, BuildJail, BuildKind};
use crate::checker::{Checker, Events, Quiet, Target};
use crate::course::Exercise;
use crate::report::ExerciseResult;
use crate::supervise;

/// How long the one-off build of the course's dependencies may take (they are trusted, and on
/// a fresh machine they take minutes).
const WARM_UP_DEADLINE: Duration = Duration::from_secs(30 * 60);

/// How learners' builds are kept apart.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// A package and a sandboxed cargo invocation per learner (grading learners' code).
    PerLearner,
    /// One package for all, built as it is (the course author's own traps).
    Shared,
}

/// What happened to one (submission, exercise) before the build.
enum Prepared {
    /// Built and judged as its unit's `targets[index]`.
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

/// Hears each submission's results (its index, results in exercise order, what was enforced)
/// as soon as they are complete; an error stops the run.
pub type OnLearner<'a> = dyn FnMut(usize, &[ExerciseResult], &Enforced) -> Result<()> + 'a;

/// Grades every exercise of every submission. In `PerLearner` isolation each learner is
/// reported to `done` when their package is judged, so a run cut short keeps what it finished.
pub async fn grade_submissions(
    ctx: &GradeContext,
    subs: &[Submission],
    protect: &[PathBuf],
    events: &dyn Events,
    isolation: Isolation,
    done: &mut OnLearner<'_>,
) -> Result<Graded> {
    let scratch = Scratch::new(&ctx.course_pkg)?;
    let result = grade_in(ctx, subs, protect, events, &scratch, isolation, done).await;
    for unit in 0..subs.len().max(1) {
        scratch.clean_unit(&unit_name(unit, isolation));
    }
    result
}

fn unit_name(student: usize, isolation: Isolation) -> String {
    match isolation {
        Isolation::PerLearner => format!("s{student}"),
        Isolation::Shared => "s0".to_string(),
    }
}

async fn grade_in(
    ctx: &GradeContext,
    subs: &[Submission],
    protect: &[PathBuf],
    events: &dyn Events,
    scratch: &Scratch,
    isolation: Isolation,
    done: &mut OnLearner<'_>,
) -> Result<Graded> {
    let canonical = canonical_snapshot(ctx, scratch)?;
    let mut plan = Plan::make(ctx, subs, &canonical, scratch, isolation)?;
    let mut protected = vec![
        ctx.course.root.clone(),
        scratch.root.clone(),
        scratch.target_dir.clone(),
    ];
    protected.extend(subs.iter().map(|s| s.root.clone()));
    protected.extend(protect.iter().cloned());
    let mut sandbox = limits::prepare(
        &ctx.policy,
        &protected,
        deadline_text(ctx),
        supervise::DEFAULT_OUTPUT_CAP,
    )
    .await?;
    let jailed = isolation == Isolation::PerLearner && !ctx.policy.no_sandbox;
    sandbox.enforced.builds = builds_fact(jailed, ctx);
    // What every build may read besides its own package: the guard crate and the course's
    // path dependencies (read from the course's manifests once, not per learner).
    let mut readable = vec![scratch.guard_dir()];
    if jailed {
        readable.extend(scratch::path_dependencies(&ctx.course_pkg)?);
        warm_up(ctx, scratch, &readable).await;
    }
    let slots = Arc::new(Semaphore::new(
        std::thread::available_parallelism().map_or(2, |n| n.get()),
    ));
    let mut results = Vec::new();
    for u in 0..plan.units.len() {
        let unit = &mut plan.units[u];
        if unit.targets.is_empty() {
            if isolation == Isolation::PerLearner {
                let row = plan.row(u, events);
                done(u, &row, &sandbox.enforced)?;
                results.push(row);
            }
            continue;
        }
        let deadline = Duration::from_secs(ctx.policy.build_secs.max(1));
        let jail = jailed.then(|| jail_for(ctx, scratch, &unit.name, &readable, deadline));
        let judged = async {
            let pkg = scratch.package(&unit.name, &ctx.course_pkg, &unit.bins, jail)?;
            let checker = Checker::builder(&ctx.course, pkg)
                .canonical_root(scratch.root.join("canonical"))
                .timeout(ctx.timeout)
                .tests_build(BuildKind::AllTests)
                .only_course_tests()
                .program_check_first()
                .slots(slots.clone())
                .sandbox(sandbox.wrap.clone(), sandbox.log_root.path().to_path_buf())
                .build();
            checker.check_all(&unit.targets, events).await
        }
        .await;
        scratch.clean_unit(&unit.name);
        // Whatever went wrong with one learner's package stays that learner's.
        unit.judged = match judged {
            Ok(results) => results.into_iter().map(Some).collect(),
            Err(e) => unit
                .targets
                .iter()
                .map(|t| {
                    let r = ExerciseResult::unbuilt(
                        &t.exercise,
                        format!("grading this submission failed: {e:#}"),
                    );
                    events.judged(&r);
                    Some(r)
                })
                .collect(),
        };
        // In `PerLearner` isolation unit `u` is submission `u`'s alone.
        if isolation == Isolation::PerLearner {
            let row = plan.row(u, events);
            done(u, &row, &sandbox.enforced)?;
            results.push(row);
        }
    }
    if isolation == Isolation::Shared {
        for i in 0..subs.len() {
            let row = plan.row(i, events);
            done(i, &row, &sandbox.enforced)?;
            results.push(row);
        }
    }
    Ok(Graded {
        results,
        enforced: sandbox.enforced,
    })
}

/// The build sandbox of one package, whose builds stop at `deadline`.
fn jail_for(
    ctx: &GradeContext,
    scratch: &Scratch,
    unit: &str,
    readable: &[PathBuf],
    deadline: Duration,
) -> BuildJail {
    let tmp = scratch.root.join(format!("{unit}.tmp"));
    let _ = std::fs::create_dir_all(&tmp);
    let spec = build_sandbox::spec_for(
        &scratch.unit_dir(unit),
        readable,
        &scratch.target_dir,
        &tmp,
        ctx.policy
            .build_memory_mib
            .checked_mul(1 << 20)
            .filter(|b| *b > 0),
        // A process may use the build's whole deadline of CPU, twice over (the deadline is wall
        // time; this only matters once the grader is gone).
        Some(deadline.as_secs() * 2),
    );
    let exe = std::env::current_exe().unwrap_or_else(|_| "tokiolings".into());
    BuildJail {
        prefix: vec![
            exe.into(),
            build_sandbox::ARG.into(),
            serde_json::to_string(&spec)
                .expect("the spec is plain data")
                .into(),
        ],
        env: build_sandbox::environment(&tmp),
        deadline,
    }
}

/// Builds the course's dependencies once, in the sandbox but with a long deadline, so that a
/// learner's build deadline counts only their own code. A failure here shows up again, with
/// its message, in the first learner's build.
async fn warm_up(ctx: &GradeContext, scratch: &Scratch, readable: &[PathBuf]) {
    let unit = "warmup";
    let bin = scratch.bin_name(unit, "warmup");
    let Ok(_) = scratch.write(Path::new("warmup/warmup.rs"), "fn main() {}\n") else {
        return;
    };
    let bins = [ScratchBin {
        name: bin.clone(),
        path: "warmup.rs".into(),
        test: true,
    }];
    let jail = jail_for(ctx, scratch, unit, readable, WARM_UP_DEADLINE);
    if let Ok(pkg) = scratch.package(unit, &ctx.course_pkg, &bins, Some(jail)) {
        let _ = build::build(&pkg, BuildKind::AllTests, &[bin], &|k| Quiet.compiled(k)).await;
    }
    scratch.clean_unit(unit);
}

fn builds_fact(jailed: bool, ctx: &GradeContext) -> String {
    if !jailed {
        return "not sandboxed: all files built in one package".into();
    }
    let landlock = match tokiolings_guard::abi() {
        0 => "no Landlock on this kernel, so builds can read any file the grader can".to_string(),
        abi => format!(
            "Landlock (ABI {abi}) lets each build read only the toolchain, the registry, system libraries and that learner's own files"
        ),
    };
    format!(
        "one cargo invocation per learner, {}s deadline, environment cleared; {landlock}",
        ctx.policy.build_secs
    )
}

/// A snapshot of the canonical files, taken before any learner code runs (outside every
/// learner's package: no build can read it); `None` where the course has no solution file.
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

/// One scratch package: its bins and, once judged, their results.
#[derive(Default)]
struct Unit {
    name: String,
    targets: Vec<Target>,
    bins: Vec<ScratchBin>,
    /// Taken out as each learner's row is assembled.
    judged: Vec<Option<ExerciseResult>>,
}

/// Every (submission, exercise): a bin of a scratch package, or a result already.
struct Plan {
    units: Vec<Unit>,
    /// Per submission, per exercise, with the unit it was built in.
    rows: Vec<Vec<(usize, Prepared)>>,
}

impl Plan {
    fn make(
        ctx: &GradeContext,
        subs: &[Submission],
        canonical: &[Option<String>],
        scratch: &Scratch,
        isolation: Isolation,
    ) -> Result<Self> {
        let mut plan = Plan {
            units: Vec::new(),
            rows: Vec::new(),
        };
        let crates = splice::crate_names(&scratch::dependency_names(&ctx.course_pkg)?);
        for (i, sub) in subs.iter().enumerate() {
            let name = unit_name(i, isolation);
            let unit = match plan.units.iter().position(|u| u.name == name) {
                Some(u) => u,
                None => {
                    plan.units.push(Unit {
                        name,
                        ..Unit::default()
                    });
                    plan.units.len() - 1
                }
            };
            let mut row = Vec::new();
            for (ex, canon) in ctx.exercises.iter().zip(canonical) {
                let prepared =
                    plan.units[unit].prepare(i, sub, ex, canon.as_deref(), &crates, scratch)?;
                row.push((unit, prepared));
            }
            plan.rows.push(row);
        }
        Ok(plan)
    }

    /// Submission `i`'s results in exercise order, once its unit is judged (taken: once).
    fn row(&mut self, i: usize, events: &dyn Events) -> Vec<ExerciseResult> {
        let mut out = Vec::new();
        for (unit, p) in std::mem::take(&mut self.rows[i]) {
            match p {
                Prepared::Done(r) => {
                    events.skipped(&r);
                    out.push(r);
                }
                Prepared::Target { index, note } => {
                    let u = &mut self.units[unit];
                    let r = u.judged[index].take().expect("each target judged once");
                    out.push(finish(r, i, &u.targets[index].bin, note));
                }
            }
        }
        out
    }
}

impl Unit {
    /// The learner's file with the canonical tests spliced in, as a bin; or why it can't be.
    fn prepare(
        &mut self,
        student: usize,
        sub: &Submission,
        ex: &Exercise,
        canon: Option<&str>,
        crates: &[String],
        scratch: &Scratch,
    ) -> Result<Prepared> {
        let theirs = match read_submitted(&sub.root, &ex.path) {
            Ok(text) => text,
            Err(why) => return Ok(Prepared::Done(ExerciseResult::unbuilt(ex, why))),
        };
        let (text, note) = match canon.map(|c| splice::splice(&theirs, c, crates)) {
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
        // Within the unit's package: several learners share one in `Shared` isolation.
        let rel = Path::new(&format!("c{student}")).join(&ex.path);
        let source = scratch.write(&Path::new(&self.name).join(&rel), &text)?;
        let bin = scratch.bin_name(&self.name, &format!("c{student}_{}", ex.name));
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
    let scratch_prefix = format!("c{student}/exercises/");
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
