//! The real binary on the fixture course: every verdict kind, and nothing left running.

mod common;

use common::*;
use serde_json::Value;

/// (exercise, expected status in the report, a phrase the terminal verdict must show)
const CASES: &[(&str, &str, &str)] = &[
    ("passes", "pass", "`passes` passes (2 tests)"),
    (
        "fails",
        "fail",
        "assertion `left == right` failed: sum of 1, 2, 3",
    ),
    ("broken", "error", "exercises/basics/broken.rs:2:"),
    ("hangs", "timeout", "ran past its 2s deadline"),
    (
        "exits_early",
        "fail",
        "before the test harness reported a result",
    ),
    ("deleted_test", "fail", "missing from the file"),
    ("ignored_test", "fail", "marked `#[ignore]`"),
    ("leaks_child", "fail", "left processes running"),
    // The panic comes after 2 million lines: past the output cap, yet it is the message.
    ("floods", "fail", "left: 41"),
    ("overflows", "fail", "overflowed its stack"),
    ("main_only", "fail", "`main` exited with code 3"),
    ("async_main", "error", "the program itself doesn't compile"),
];

#[test]
fn run_prints_each_verdict_and_exits_by_it() {
    let course = course_copy("course");
    // Every case runs; the wrong ones are reported together at the end.
    let mut wrong = Vec::new();
    for (name, status, phrase) in CASES {
        let out = tokiolings(course.path())
            .args(["run", name])
            .output()
            .unwrap();
        let text = stdout_of(&out);
        if !text.contains(phrase) {
            wrong.push(format!(
                "{name}: expected {phrase:?} in:\n{text}\n{}",
                stderr_of(&out)
            ));
        }
        let want = if *status == "pass" { 0 } else { 1 };
        if out.status.code() != Some(want) {
            wrong.push(format!(
                "{name}: exit code {:?}, expected {want}:\n{text}",
                out.status.code()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
    assert!(
        processes_matching("30.123").is_empty(),
        "leaked: {:?}",
        processes_matching("30.123")
    );
    let exe_dir = course.path().join("target").to_string_lossy().into_owned();
    assert!(
        processes_matching(&exe_dir).is_empty(),
        "left running: {:?}",
        processes_matching(&exe_dir)
    );
}

#[test]
fn check_all_writes_the_report_schema() {
    let course = course_copy("course");
    let report = course.path().join("report.json");
    let out = tokiolings(course.path())
        .args(["check-all", "--format", "json", "--output"])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["schema"], "tokiolings-report/1");
    let exercises = json["exercises"].as_array().unwrap();
    assert_eq!(exercises.len(), CASES.len());
    let mut wrong = Vec::new();
    for (name, status, _) in CASES {
        let Some(e) = exercises.iter().find(|e| e["name"] == *name) else {
            wrong.push(format!("{name}: not in the report"));
            continue;
        };
        let points = if *status == "pass" { 1 } else { 0 };
        if e["status"] != *status || e["dir"] != "basics" || e["points"] != points {
            wrong.push(format!(
                "{name}: expected status {status}, dir basics, points {points}; got {e:#}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
    let s = &json["summary"];
    assert_eq!(
        (s["total"].as_u64(), s["passed"].as_u64()),
        (Some(12), Some(1))
    );
    assert_eq!(
        (s["errors"].as_u64(), s["timeouts"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(s["score"], 1);
    let hangs = exercises.iter().find(|e| e["name"] == "hangs").unwrap();
    assert_eq!(hangs["tests"][0]["status"], "timeout");
    assert!(
        hangs["message"]
            .as_str()
            .unwrap()
            .starts_with("tests::answers timed out")
    );
    let floods = exercises.iter().find(|e| e["name"] == "floods").unwrap();
    let flood = floods["tests"][0]["output"].as_str().unwrap();
    assert!(flood.len() <= 70 * 1024 && flood.ends_with("more bytes of output not shown)"));
    // Progress recorded the one pass.
    let progress =
        std::fs::read_to_string(course.path().join(".tokiolings-progress.json")).unwrap();
    assert!(progress.contains("\"passes\""), "{progress}");
}

#[test]
fn check_all_text_summary_and_all_pass_exit_code() {
    let course = course_copy("course");
    // Replace every exercise with its solution: now everything passes.
    for entry in std::fs::read_dir(course.path().join("solutions/basics")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(
            entry.path(),
            course
                .path()
                .join("exercises/basics")
                .join(entry.file_name()),
        )
        .unwrap();
    }
    let out = tokiolings(course.path()).arg("check-all").output().unwrap();
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr_of(&out));
    assert!(
        text.contains("12 passed, 0 failed, 0 errors, 0 timeouts of 12 exercises; score 12/12"),
        "{text}"
    );
}

#[test]
fn run_derives_a_hangs_deadline_from_its_solutions_recorded_timing() {
    let course = course_copy("course");
    // The author's `timeout_secs = 2` taken out: the recorded timing decides.
    let info = course.path().join("info.toml");
    let text = std::fs::read_to_string(&info).unwrap();
    std::fs::write(&info, text.replace("timeout_secs = 2\n", "")).unwrap();
    std::fs::write(
        course.path().join("exercises/timings.toml"),
        "# written by dev check\nhangs = 50\n",
    )
    .unwrap();
    let out = tokiolings(course.path())
        .args(["run", "hangs"])
        .output()
        .unwrap();
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("ran past its 1s deadline"), "{text}");
    assert!(text.contains("`--timeout 10`"), "{text}");

    // `--timeout` overrides the derived deadline too, and then needs no advice.
    let out = tokiolings(course.path())
        .args(["--timeout", "2", "run", "hangs"])
        .output()
        .unwrap();
    let text = stdout_of(&out);
    assert!(text.contains("ran past its 2s deadline"), "{text}");
    assert!(!text.contains("`--timeout 10`"), "{text}");
}
