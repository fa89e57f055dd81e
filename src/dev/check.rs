//! `dev check`: the course verifies itself. Every exercise fails as shipped (fast: an error or
//! a failing test, not a timeout), every solution passes with strict clippy, is rustfmt-clean
//! and passes `--repeat` times; info.toml, the files and the course package's bins agree; and
//! every trap (a plausible wrong fix) gets its declared verdict while every alternative fix
//! passes (`cases`).

mod cases;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::app::App;
use crate::build::{self, BuildKind, Built};
use crate::checker::{Checker, Quiet, Target};
use crate::course::Course;
use crate::exit;
use crate::report::Status;
use crate::shipped::{self, Shipped};
use crate::source;

/// What `dev check` found: problems per exercise name ("" for the course as a whole), and the
/// table's row per exercise.
#[derive(Default)]
struct Findings {
    problems: BTreeMap<String, Vec<String>>,
    rows: BTreeMap<String, Row>,
    /// Said after the table; not problems.
    notes: Vec<String>,
}

impl Findings {
    fn add(&mut self, name: &str, problem: String) {
        self.problems
            .entry(name.to_string())
            .or_default()
            .push(problem);
    }

    fn row(&mut self, name: &str) -> &mut Row {
        self.rows.entry(name.to_string()).or_default()
    }
}

#[derive(Clone, Default)]
struct Row {
    shipped: String,
    passes: u32,
    slowest_ms: u64,
    /// Traps judged as declared / alternatives that passed, out of how many.
    cases_ok: usize,
    cases: usize,
}

/// What to check.
pub struct Options {
    pub repeat: u32,
    /// Deadline of each trap's and alternative's tests (a trap that hangs waits this long).
    pub case_timeout: Duration,
    /// Write the solutions' slowest tests to exercises/timings.toml.
    pub record_timings: bool,
}

pub async fn check(app: &mut App, opts: Options) -> Result<u8> {
    let course = app.course.clone();
    let mut found = Findings::default();
    let shipped = shipped::sources(&course)?;
    for (name, p) in static_problems(&course, &shipped)? {
        found.add(&name, p);
    }
    let checker = app.checker()?.clone();
    bins_listed(&course, &checker, &mut found);
    eprintln!("Checking that every exercise fails as shipped…");
    shipped_fail(&course, &checker, &shipped, &mut found).await?;
    eprintln!("Checking every solution ({} runs each)…", opts.repeat);
    let solutions = solutions_pass(&course, &checker, opts.repeat, &mut found).await?;
    if opts.record_timings {
        record_timings(&course, &found, opts.repeat);
    }
    eprintln!("Running clippy (-D warnings) and rustfmt on the solutions…");
    lint(&checker, &solutions, &mut found).await?;
    let cases = cases::find(&course)?;
    eprintln!(
        "Judging {} traps and alternative fixes (tests/traps, tests/alternatives)…",
        cases.len()
    );
    cases::judge(&course, &checker, &cases, opts.case_timeout, &mut found).await?;
    Ok(print_table(&course, &found, opts.repeat))
}

/// Every exercise and solution is a bin of the course package.
fn bins_listed(course: &Course, checker: &Checker, found: &mut Findings) {
    let bins: HashSet<&String> = checker.package().bins.iter().collect();
    for ex in &course.exercises {
        for bin in [ex.name.clone(), ex.sol_bin()] {
            if !bins.contains(&bin) {
                found.add(
                    &ex.name,
                    format!("the course package has no bin `{bin}` (run `tokiolings dev update`)"),
                );
            }
        }
    }
}

/// Every exercise fails as shipped, fast: an error or a failing test, never a pass or a hang.
/// A file a learner changed is judged as shipped (its version from git, in a scratch copy);
/// where that version can't be had the exercise is left out, with a note.
async fn shipped_fail(
    course: &Arc<Course>,
    checker: &Checker,
    shipped: &[Shipped],
    found: &mut Findings,
) -> Result<()> {
    let mut unsolved = Vec::new();
    let mut changed = Vec::new();
    let copies = tempfile::tempdir().context("failed to create a dir for shipped copies")?;
    for (ex, s) in course.exercises.iter().zip(shipped) {
        if ex.skip_check_unsolved {
            continue;
        }
        if let Some(note) = shipped::note(ex, s) {
            found.notes.push(note);
        }
        match s {
            Shipped::AsIs(_) => unsolved.push(Target::exercise(course, ex)),
            Shipped::Recorded(text) => {
                let file = copies.path().join(format!("{}.rs", ex.name));
                std::fs::write(&file, text)?;
                changed.push((ex.clone(), file));
            }
            Shipped::Unknown(_) => found.row(&ex.name).shipped = "changed".into(),
        }
    }
    let mut results = checker.check_all(&unsolved, &Quiet).await?;
    if !changed.is_empty() {
        let timeout = Duration::from_secs(10);
        let pkg = checker.package().clone();
        results.extend(crate::grade::judge_files(course, pkg, &changed, timeout).await?);
    }
    for r in results {
        found.row(&r.name).shipped = r.status.to_string();
        match r.status {
            Status::Pass => found.add(
                &r.name,
                "passes as shipped: it must fail until the learner fixes it".into(),
            ),
            Status::Timeout => found.add(
                &r.name,
                format!("times out as shipped ({}): it must fail fast", r.message),
            ),
            Status::Fail | Status::Error => {}
        }
    }
    Ok(())
}

/// Every solution passes, `repeat` times (a flaky test fails one of the runs).
async fn solutions_pass(
    course: &Course,
    checker: &Checker,
    repeat: u32,
    found: &mut Findings,
) -> Result<Vec<Target>> {
    let solutions: Vec<Target> = course
        .exercises
        .iter()
        .filter(|e| course.root.join(&e.sol_path).is_file())
        .map(|e| Target::solution(course, e))
        .collect();
    for run in 1..=repeat {
        for r in checker.check_all(&solutions, &Quiet).await? {
            let slowest = r.tests.iter().map(|t| t.duration_ms).max().unwrap_or(0);
            let row = found.row(&r.name);
            row.slowest_ms = row.slowest_ms.max(slowest);
            if r.passed() {
                row.passes += 1;
            } else {
                found.add(
                    &r.name,
                    format!("solution run {run}/{repeat}: {} — {}", r.status, r.message),
                );
            }
        }
    }
    Ok(solutions)
}

/// Records the slowest test of every solution that passed each run, for watch's and run's
/// deadlines. Not being able to write it is a note, not a problem of the course.
fn record_timings(course: &Course, found: &Findings, repeat: u32) {
    let slowest: BTreeMap<String, u64> = found
        .rows
        .iter()
        .filter(|(_, row)| row.passes == repeat)
        .map(|(name, row)| (name.clone(), row.slowest_ms))
        .collect();
    match crate::timings::record(&course.root, &slowest) {
        Ok(true) => eprintln!(
            "Recorded the solutions' slowest tests in {}.",
            crate::timings::FILE
        ),
        Ok(false) => {}
        Err(e) => eprintln!("note: {} not written: {e:#}", crate::timings::FILE),
    }
}

/// Solutions are clippy-clean (`-D warnings`) and rustfmt-formatted.
async fn lint(checker: &Checker, solutions: &[Target], found: &mut Findings) -> Result<()> {
    let sol_bins: Vec<String> = solutions.iter().map(|t| t.bin.clone()).collect();
    if !sol_bins.is_empty() {
        let out = build::build(
            checker.package(),
            BuildKind::StrictClippy,
            &sol_bins,
            &|_| {},
        )
        .await?;
        for t in solutions {
            if let Ok(Built::Failed { diagnostics }) = out.outcome(BuildKind::StrictClippy, &t.bin)
            {
                let first = diagnostics
                    .iter()
                    .find(|d| d.is_error)
                    .map(|d| d.summary())
                    .unwrap_or_default();
                found.add(&t.exercise.name, format!("clippy: {first}"));
            }
        }
    }
    for name in unformatted(solutions)? {
        found.add(
            &name,
            "solution is not rustfmt-formatted (run `rustfmt --edition 2024` on it)".into(),
        );
    }
    Ok(())
}

/// The table, one row per exercise; the exit code.
fn print_table(course: &Course, found: &Findings, repeat: u32) -> u8 {
    println!(
        "{:<32} {:<8} {:<10} {:>9} {:>6}  problems",
        "exercise", "shipped", "solution", "slowest", "cases"
    );
    let mut failed = found.problems.get("").map_or(0, Vec::len);
    for ex in &course.exercises {
        let row = found.rows.get(&ex.name).cloned().unwrap_or_default();
        let probs = found.problems.get(&ex.name).cloned().unwrap_or_default();
        failed += probs.len();
        let shipped = if ex.skip_check_unsolved {
            "skipped".to_string()
        } else {
            row.shipped.clone()
        };
        println!(
            "{:<32} {:<8} {:<10} {:>7}ms {:>6}  {}",
            ex.name,
            shipped,
            format!("{}/{repeat} pass", row.passes),
            row.slowest_ms,
            format!("{}/{}", row.cases_ok, row.cases),
            if probs.is_empty() {
                "ok".to_string()
            } else {
                probs.join("; ")
            }
        );
    }
    for p in found.problems.get("").into_iter().flatten() {
        println!("course: {p}");
    }
    for n in &found.notes {
        println!("note: {n}");
    }
    if failed == 0 {
        println!(
            "\nThe course is fine: {} exercises checked.",
            course.exercises.len()
        );
        exit::OK
    } else {
        println!("\n{failed} problem(s) found.");
        exit::NOT_PASSED
    }
}

/// Checks that need no build: files, markers, hints, identical test modules.
fn static_problems(course: &Course, shipped: &[Shipped]) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut listed = HashSet::new();
    let mut sections = HashSet::new();
    for (ex, shipped) in course.exercises.iter().zip(shipped) {
        let name = ex.name.clone();
        let mut p = |s: String| out.push((name.clone(), s));
        listed.insert(course.root.join(&ex.path));
        if let Some(d) = &ex.dir {
            sections.insert(d.clone());
        }
        let src = shipped.text();
        if !src.contains("fn main()") {
            p("the exercise has no `fn main()` (rust-analyzer needs one)".into());
        }
        if !src.contains("// TODO") {
            p("the exercise has no `// TODO` marking what to fix".into());
        }
        // Hints come in two steps (a nudge, then the API), each in both languages.
        let missing: Vec<String> = [
            ("hint_hinglish", &ex.hint_hinglish),
            ("hint_more", &ex.hint_more),
            ("hint_more_hinglish", &ex.hint_more_hinglish),
        ]
        .into_iter()
        .filter(|(_, h)| h.as_deref().is_none_or(|h| h.trim().is_empty()))
        .map(|(field, _)| format!("`{field}`"))
        .collect();
        if !missing.is_empty() {
            p(format!(
                "no {} in info.toml (every exercise needs `hint`, `hint_more`, `hint_hinglish` \
                 and `hint_more_hinglish`)",
                missing.join(", ")
            ));
        }
        let sol_path = course.root.join(&ex.sol_path);
        if !sol_path.is_file() {
            p(format!("no solution file {}", ex.sol_path.display()));
            continue;
        }
        let sol = std::fs::read_to_string(&sol_path)?;
        if ex.test {
            match source::test_names(&sol) {
                Ok(names) if names.is_empty() => p("the solution declares no tests".into()),
                Ok(_) => {}
                Err(e) => p(format!("the solution does not parse: {e:#}")),
            }
            // Exercises that don't parse as shipped can't be compared; rustc reports them.
            if let (Ok(Some(a)), Ok(Some(b))) = (
                source::test_module_fingerprint(src),
                source::test_module_fingerprint(&sol),
            ) && a != b
            {
                p("the exercise's test module differs from the solution's".into());
            }
        }
    }
    for d in &sections {
        if !course
            .root
            .join("exercises")
            .join(d)
            .join("README.md")
            .is_file()
        {
            out.push((String::new(), format!("exercises/{d}/README.md is missing")));
        }
    }
    for file in rust_files(&course.root.join("exercises"))? {
        let in_support = file.components().any(|c| c.as_os_str() == "support");
        if !listed.contains(&file) && !in_support {
            out.push((
                String::new(),
                format!("{} is not listed in info.toml", file.display()),
            ));
        }
    }
    Ok(out)
}

fn rust_files(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(out);
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            out.extend(rust_files(&path)?);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(out)
}

/// Solutions rustfmt would change, by exercise name.
fn unformatted(solutions: &[Target]) -> Result<Vec<String>> {
    let mut bad = Vec::new();
    for t in solutions {
        let status = std::process::Command::new("rustfmt")
            .args(["--check", "--edition", "2024"])
            .arg(&t.source)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .context("failed to run rustfmt (install it with `rustup component add rustfmt`)")?;
        if !status.success() {
            bad.push(t.exercise.name.clone());
        }
    }
    Ok(bad)
}
