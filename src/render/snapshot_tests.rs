//! Snapshots (`insta`, in `snapshots/`) of every renderer, fed the fixture course's results as
//! the real binary reported them (`tests/fixtures/reports/check-all.json`, recorded with
//! `tokiolings check-all --format json` on a copy of `tests/fixtures/course`). Colours are off
//! and times fixed, so a snapshot changes only when what a reader sees changes.

use std::path::Path;

use insta::assert_snapshot;

use super::{csv, html, junit, summary, term};
use crate::course::{Course, Exercise};
use crate::grade::Enforced;
use crate::report::{ExerciseResult, Report, Status, Summary, TestResult, TestStatus};

const GENERATED_AT: &str = "2026-01-02T03:04:05Z";

/// What a learner's code could print to attack a reader's terminal: a line erase, a carriage
/// return to overwrite the line, colours faking a pass, OSC 52 (set the clipboard), a NUL.
const HOSTILE: &str =
    "ok\u{1b}[2K\r\u{1b}[32mPASS\u{1b}[0m\u{1b}]52;c;cm0gLXJmIH4=\u{7} <b>&\u{0}end\u{85}";

fn course() -> Course {
    console::set_colors_enabled(false);
    Course::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/course"))
        .expect("the fixture course loads")
}

/// The recorded report, its times fixed and its course named as the fixture's.
fn recorded() -> Report {
    let mut r: Report =
        serde_json::from_str(include_str!("../../tests/fixtures/reports/check-all.json"))
            .expect("the recorded report parses");
    r.course = "fixture-course".into();
    r.generated_at = GENERATED_AT.into();
    for e in &mut r.exercises {
        e.duration_ms = 1000;
        for t in &mut e.tests {
            t.duration_ms = 250;
        }
    }
    r
}

/// The recorded report with `floods`' 64 KiB of output cut to its first lines and its
/// truncation note: renderers that show every byte would make a snapshot nobody reads.
fn recorded_short() -> Report {
    let mut r = recorded();
    for t in r.exercises.iter_mut().flat_map(|e| &mut e.tests) {
        let lines: Vec<&str> = t.output.lines().collect();
        if lines.len() > 6 {
            t.output = [&lines[..3], &lines[lines.len() - 1..]].concat().join("\n");
        }
    }
    r
}

fn with_exercises(mut r: Report, exercises: Vec<ExerciseResult>) -> Report {
    r.summary = Summary::of(&exercises);
    r.exercises = exercises;
    r
}

/// Every exercise solved, `fails` with its tests modified (judged by the course's).
fn all_pass() -> Report {
    let r = recorded_short();
    let exercises = r
        .exercises
        .iter()
        .map(|e| ExerciseResult {
            status: Status::Pass,
            points: e.max_points,
            tests_modified: e.name == "fails",
            message: if e.name == "fails" {
                "the test module differs from the course's; the course's tests judged it".into()
            } else {
                String::new()
            },
            compiler_output: String::new(),
            tests: e
                .tests
                .iter()
                .map(|t| TestResult {
                    status: TestStatus::Pass,
                    message: String::new(),
                    output: String::new(),
                    ..t.clone()
                })
                .collect(),
            ..e.clone()
        })
        .collect();
    with_exercises(r, exercises)
}

/// A learner whose code printed `HOSTILE` everywhere it could.
fn hostile(ex: &Exercise) -> Vec<ExerciseResult> {
    let base = ExerciseResult {
        message: HOSTILE.into(),
        ..ExerciseResult::new(ex)
    };
    let test = |status| TestResult {
        name: "tests::sums".into(),
        status,
        duration_ms: 250,
        message: HOSTILE.into(),
        output: format!("{HOSTILE}\nthread 'tests::sums' panicked at x.rs:1:1:\n{HOSTILE}"),
    };
    vec![
        ExerciseResult {
            status: Status::Fail,
            tests: vec![test(TestStatus::Fail)],
            ..base.clone()
        },
        ExerciseResult {
            status: Status::Timeout,
            tests: vec![test(TestStatus::Timeout)],
            ..base.clone()
        },
        ExerciseResult {
            status: Status::Error,
            ..base
        },
    ]
}

fn enforced() -> Enforced {
    Enforced {
        deadline: "10s per test (course's timeout_secs)".into(),
        output_cap_bytes: 64 * 1024,
        stdin: "closed".into(),
        environment: "cleared; PATH, HOME, TMPDIR set".into(),
        memory_bytes: Some(2 << 30),
        cpu_secs: Some(20),
        file_size_bytes: Some(16 << 20),
        processes: None,
        network: "none (own network namespace)".into(),
        filesystem: "read-only, private /tmp".into(),
        leftover_processes: "killed with the test's process group".into(),
        capabilities: "none".into(),
        builds: "sandboxed, no network".into(),
        results: "sealed by each test (Landlock ABI 6)".into(),
        user: "nobody".into(),
        cgroup: "none".into(),
        notes: vec!["no cgroup v2 delegation here: the process limit is not enforced".into()],
    }
}

/// Only newline and tab may reach a reader; no escape, carriage return or NUL.
fn assert_clean(what: &str, text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| c != '\n' && c != '\t' && c.is_control())
        .collect();
    assert!(
        bad.is_empty(),
        "{what} shows control characters {bad:?}:\n{text}"
    );
}

#[test]
fn term_verdict_of_each_fixture_outcome() {
    let course = course();
    let report = recorded();
    assert_eq!(report.exercises.len(), course.exercises.len());
    for (ex, r) in course.exercises.iter().zip(&report.exercises) {
        assert_eq!(ex.name, r.name);
        assert_snapshot!(format!("term_verdict_{}", ex.name), term::verdict(ex, r));
    }
}

#[test]
fn term_verdict_of_a_lint_failure() {
    let course = course();
    let ex = &course.exercises[0];
    // As the checker leaves it when strict clippy denies code whose tests pass.
    let r = ExerciseResult {
        status: Status::Fail,
        lint_failed: true,
        message: "clippy (strict): exercises/basics/passes.rs:3:5: error: this `if` has \
                  identical blocks"
            .into(),
        compiler_output: "error: this `if` has identical blocks\n \
                          --> exercises/basics/passes.rs:3:5\n\n"
            .into(),
        ..recorded().exercises[0].clone()
    };
    assert_snapshot!(term::verdict(ex, &r));
}

#[test]
fn summaries_as_text() {
    course();
    let report = recorded();
    assert_snapshot!(
        "summary_report_lines",
        summary::report_lines(&report, false)
    );
    assert_snapshot!("summary_check_all_text", summary::check_all_text(&report));
    assert_snapshot!(
        "summary_grade_text",
        summary::grade_text(&all_pass(), &enforced())
    );
}

#[test]
fn junit_of_the_fixture_course() {
    assert_snapshot!(junit::render(&recorded_short()).unwrap());
}

/// Two learners: the fixture course as shipped, and all solved by one whose name needs CSV
/// quoting and HTML escaping.
fn class() -> [(String, Report); 2] {
    [
        ("Ada".to_string(), recorded_short()),
        ("Lovelace, \"Bob\" <b>".to_string(), all_pass()),
    ]
}

#[test]
fn csv_of_a_class() {
    let course = course();
    assert_snapshot!(csv::render(&course.exercises, &class()).unwrap());
}

#[test]
fn html_of_a_class() {
    let course = course();
    assert_snapshot!(html::render(
        "fixture-course",
        GENERATED_AT,
        &course.exercises,
        &class(),
        &enforced()
    ));
}

#[test]
fn hostile_messages_are_cleaned_in_text() {
    let course = course();
    let ex = &course.exercises[1];
    let results = hostile(ex);
    let verdicts: String = results.iter().map(|r| term::verdict(ex, r)).collect();
    assert_clean("the terminal verdict", &verdicts);
    assert_snapshot!("hostile_term_verdicts", verdicts);
    let report = with_exercises(recorded(), results);
    let lines = summary::check_all_text(&report);
    assert_clean("check-all's text", &lines);
    assert_snapshot!("hostile_check_all_text", lines);
}

#[test]
fn hostile_messages_are_cleaned_in_html() {
    let course = course();
    let mut exercises = recorded_short().exercises;
    exercises[1] = hostile(&course.exercises[1]).remove(0);
    let students = [(HOSTILE.to_string(), with_exercises(recorded(), exercises))];
    let page = html::render(
        HOSTILE,
        GENERATED_AT,
        &course.exercises,
        &students,
        &enforced(),
    );
    assert_clean("the HTML page", &page);
    assert!(!page.contains("<b>&"), "markup not escaped");
    // Only the parts that carry the hostile text: the grid row and the learner's details.
    let shown: String = page
        .lines()
        .filter(|l| l.contains("PASS"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_snapshot!("hostile_html", shown);
}
