//! `dev check` (and so `cargo test`) in a learner's copy of the course: an exercise the learner
//! solved is judged as the course shipped it (from git, by the record `dev update` writes), and
//! the learner's file is never touched.

mod common;

use std::process::Command;

use common::*;

fn git(dir: &std::path::Path, args: &[&str]) {
    let ok = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
        .args(args)
        .output()
        .unwrap()
        .status
        .success();
    assert!(ok, "git {args:?} failed");
}

fn sum_row(out: &std::process::Output) -> String {
    stdout_of(out)
        .lines()
        .find(|l| l.starts_with("sum "))
        .unwrap_or_else(|| panic!("no row for sum:\n{}", stdout_of(out)))
        .to_string()
}

#[test]
fn a_solved_exercise_is_judged_as_shipped_and_left_alone() {
    let dir = course_copy("gradable");
    let course = dir.path();
    git(course, &["init", "-q"]);
    let out = tokiolings(course).args(["dev", "update"]).output().unwrap();
    assert!(
        stdout_of(&out).contains("Recorded the exercises as shipped"),
        "{}",
        stdout_of(&out)
    );
    git(course, &["add", "-A"]);
    git(course, &["commit", "-qm", "the course as shipped"]);

    // The learner solves `sum` (and commits it, as a bootcamp learner would).
    let solved = std::fs::read(course.join("solutions/basics/sum.rs")).unwrap();
    std::fs::write(course.join("exercises/basics/sum.rs"), &solved).unwrap();
    git(course, &["commit", "-qam", "solved sum"]);

    let out = tokiolings(course)
        .args(["dev", "check", "--repeat", "1"])
        .output()
        .unwrap();
    let row = sum_row(&out);
    assert!(
        row.starts_with("sum                              fail"),
        "{row}"
    );
    assert!(!row.contains("passes as shipped"), "{row}");
    assert!(
        stdout_of(&out).contains("note: exercises/basics/sum.rs was changed"),
        "{}",
        stdout_of(&out)
    );
    assert_eq!(
        std::fs::read(course.join("exercises/basics/sum.rs")).unwrap(),
        solved,
        "the learner's file was touched"
    );

    // Without the record there is no telling: the solved file is judged, and passes.
    std::fs::remove_file(course.join("exercises/shipped.toml")).unwrap();
    let out = tokiolings(course)
        .args(["dev", "check", "--repeat", "1"])
        .output()
        .unwrap();
    assert!(
        sum_row(&out).contains("passes as shipped"),
        "{}",
        sum_row(&out)
    );
}
