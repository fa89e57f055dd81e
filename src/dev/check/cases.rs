//! The course's teaching checks: `tests/traps/EXERCISE/SLUG.rs` are plausible wrong fixes, each
//! declaring on its first line the verdict it must get (`// trap-expect: fail|error|timeout`);
//! `tests/alternatives/EXERCISE/SLUG.rs` are different correct fixes, which must pass. Each is
//! a whole exercise file, judged as grade mode judges a learner's: the canonical tests spliced
//! in, all of them built in one cargo invocation and run in parallel.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};

use super::Findings;
use crate::checker::Checker;
use crate::course::{Course, Exercise};
use crate::report::Status;
use crate::source;

const TRAP_HEADER: &str = "// trap-expect:";
const ALTERNATIVE_HEADER: &str = "// alternative:";

/// One trap or alternative.
pub struct Case {
    pub exercise: Exercise,
    pub file: PathBuf,
    /// The verdict it must get: `pass` for an alternative.
    pub expect: Status,
}

/// Every case under the course's `tests/traps` and `tests/alternatives`, in path order; a
/// malformed one is an error that names the file.
pub fn find(course: &Course) -> Result<Vec<Case>> {
    let mut out = Vec::new();
    for kind in ["traps", "alternatives"] {
        let dir = course.root.join("tests").join(kind);
        for exercise_dir in sorted_entries(&dir)? {
            let name = exercise_dir
                .file_name()
                .unwrap_or_default()
                .to_string_lossy();
            let exercise = course.exercises[course.find(&name).with_context(|| {
                format!("{} is named after no exercise", exercise_dir.display())
            })?]
            .clone();
            for file in sorted_entries(&exercise_dir)? {
                let expect = declared(&file, kind == "traps")?;
                out.push(Case {
                    exercise: exercise.clone(),
                    file,
                    expect,
                });
            }
        }
    }
    Ok(out)
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("failed to read {}", dir.display()))?;
    out.sort();
    Ok(out)
}

/// The verdict a case declares on its first line.
fn declared(file: &Path, trap: bool) -> Result<Status> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("failed to read {}", file.display()))?;
    let first = text.lines().next().unwrap_or("");
    if !trap {
        anyhow::ensure!(
            first.starts_with(ALTERNATIVE_HEADER),
            "{}: the first line must be `{ALTERNATIVE_HEADER} <what differs>`",
            file.display()
        );
        return Ok(Status::Pass);
    }
    let word = first.strip_prefix(TRAP_HEADER).map(str::trim);
    match word {
        Some("fail") => Ok(Status::Fail),
        Some("error") => Ok(Status::Error),
        Some("timeout") => Ok(Status::Timeout),
        _ => anyhow::bail!(
            "{}: the first line must be `{TRAP_HEADER} fail`, `error` or `timeout`",
            file.display()
        ),
    }
}

/// Judges every case and records each wrong verdict, and each case whose test module is not
/// the solution's (it is judged by the solution's anyway; a stale copy misleads its reader).
pub async fn judge(
    course: &Arc<Course>,
    checker: &Checker,
    cases: &[Case],
    timeout: Duration,
    found: &mut Findings,
) -> Result<()> {
    if cases.is_empty() {
        return Ok(());
    }
    let files: Vec<(Exercise, PathBuf)> = cases
        .iter()
        .map(|c| (c.exercise.clone(), c.file.clone()))
        .collect();
    let results =
        crate::grade::judge_files(course, checker.package().clone(), &files, timeout).await?;
    for (case, r) in cases.iter().zip(results) {
        let shown = crate::fsutil::relative_to(&case.file, &course.root);
        let name = &case.exercise.name;
        found.row(name).cases += 1;
        if let Some(p) = stale_tests(course, case) {
            found.add(name, format!("{}: {p}", shown.display()));
        }
        if r.status == case.expect {
            found.row(name).cases_ok += 1;
        } else {
            let first = r.message.lines().next().unwrap_or("");
            found.add(
                name,
                format!(
                    "{} must be judged {}, but was {}: {first}",
                    shown.display(),
                    case.expect,
                    r.status
                ),
            );
        }
    }
    Ok(())
}

fn stale_tests(course: &Course, case: &Case) -> Option<String> {
    let read = |p: &Path| std::fs::read_to_string(p).ok();
    let sol = read(&course.root.join(&case.exercise.sol_path))?;
    let theirs = read(&case.file)?;
    match (
        source::test_module_fingerprint(&theirs),
        source::test_module_fingerprint(&sol),
    ) {
        (Ok(Some(a)), Ok(Some(b))) if a != b => {
            Some("its test module differs from the solution's (copy the solution's)".into())
        }
        _ => None,
    }
}
