//! Grading this repository's own course, not a fixture: the real course package (its workspace,
//! its path dependencies, every crate it uses) must build inside grade mode's build jail. A
//! manifest the jail can't read all of (a `[[bench]]` without a `path` in the workspace root,
//! found by listing `benches/`) once made every exercise of this course `error`.

mod common;
mod grade_common;

use std::path::Path;

use common::*;
use grade_common::*;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn this_course_grades_solutions_pass_and_shipped_files_fail() {
    let dir = workdir();
    let learner = dir.path().join("learner");
    // Two solved exercises (one in a section the path visits twice) and one as shipped.
    let picks = [
        ("07_concurrency_example/join_two_tasks.rs", "solutions"),
        ("02_concurrency/bounded_channel.rs", "solutions"),
        ("06_basic_example/hello_tokio.rs", "exercises"),
    ];
    for (file, from) in picks {
        let to = learner.join("exercises").join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(repo().join(from).join(file), &to).unwrap();
    }
    let report = dir.path().join("report.json");
    let out = tokiolings(repo())
        .current_dir(dir.path())
        .arg("grade")
        .arg("--submission")
        .arg(&learner)
        .args([
            "--exercise",
            "join_two_tasks",
            "--exercise",
            "bounded_channel",
        ])
        .args(["--exercise", "hello_tokio", "--format", "json", "--output"])
        .arg(&report)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    assert!(
        out.status.success() && !text.is_empty(),
        "grade failed:\n{}{}",
        stdout_of(&out),
        stderr_of(&out)
    );
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    for name in ["join_two_tasks", "bounded_channel"] {
        assert_eq!(exercise(&report, name)["status"], "pass", "{report:#}");
    }
    // As shipped it does not compile.
    assert_eq!(
        exercise(&report, "hello_tokio")["status"],
        "error",
        "{report:#}"
    );
}

#[test]
fn a_report_written_to_tmp_keeps_the_full_sandbox() {
    if !can_run(
        "a_report_written_to_tmp_keeps_the_full_sandbox",
        "root, and `unshare` making PID and mount namespaces",
        full_sandbox_possible(),
    ) {
        return;
    }
    // The report's directory is kept out of each test's sight. When that directory is the
    // host's /tmp, the test's own root has a /tmp of its own: a different directory, which must
    // not make the sandbox's probe fail and the grader fall back to running tests unconfined.
    let dir = workdir();
    let learner = dir.path().join("learner");
    let file = "07_concurrency_example/join_two_tasks.rs";
    let to = learner.join("exercises").join(file);
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(repo().join("solutions").join(file), &to).unwrap();
    let report = std::env::temp_dir().join(format!(
        "tokiolings-fixture-report-{}.json",
        std::process::id()
    ));
    let out = tokiolings(repo())
        .current_dir(dir.path())
        .arg("grade")
        .arg("--submission")
        .arg(&learner)
        .args([
            "--exercise",
            "join_two_tasks",
            "--format",
            "json",
            "--output",
        ])
        .arg(&report)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    let _ = std::fs::remove_file(&report);
    assert!(
        out.status.success(),
        "{}{}",
        stdout_of(&out),
        stderr_of(&out)
    );
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let enforced = &report["enforced"];
    assert!(
        enforced["user"].as_str().unwrap_or("").contains("nobody"),
        "the tests ran outside the namespaces: {enforced:#}"
    );
    assert_eq!(exercise(&report, "join_two_tasks")["status"], "pass");
}
