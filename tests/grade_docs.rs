//! The workflows in docs/classroom.md work: every `run:`, `setup-command:` and `command:` of its
//! YAML blocks runs (with a stand-in `cargo` whose `run … -- ARGS` runs the tokiolings under
//! test) against the gradable fixture course, and does what the doc says.

mod common;
mod grade_common;

use std::path::{Path, PathBuf};
use std::process::Command;

use grade_common::*;

const DOC: &str = include_str!("../docs/classroom.md");

/// The YAML blocks of the doc.
fn yaml_blocks() -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in DOC.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```yaml") => current = Some(String::new()),
            (Some(b), "```") => {
                blocks.push(std::mem::take(b));
                current = None;
            }
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

/// The values of `key:` in a block (one-line values, or `|` blocks), in order.
fn values(block: &str, key: &str) -> Vec<String> {
    let lines: Vec<&str> = block.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start().trim_start_matches("- ");
        let Some(value) = trimmed.strip_prefix(&format!("{key}:")) else {
            continue;
        };
        let value = value.trim();
        if value == "|" {
            let indent = line.len() - line.trim_start().len();
            let body: Vec<&str> = lines[i + 1..]
                .iter()
                .take_while(|l| l.len() - l.trim_start().len() > indent)
                .map(|l| l.trim())
                .collect();
            out.push(body.join("\n"));
        } else {
            out.push(value.to_string());
        }
    }
    out
}

/// Runs one doc command as GitHub's `shell: bash` does, in `cwd`.
fn run(command: &str, cwd: &Path, path: &str, summary: &Path) -> (Option<i32>, String) {
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", command])
        .current_dir(cwd)
        .env("PATH", path)
        .env("REAL_CARGO", env!("CARGO"))
        .env("TOKIOLINGS", env!("CARGO_BIN_EXE_tokiolings"))
        .env("GITHUB_STEP_SUMMARY", summary)
        .env("NO_COLOR", "1")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn solved(course: &Path) {
    common::copy_dir(&course.join("solutions"), &course.join("exercises"));
}

#[test]
fn the_learner_repository_workflow_grades_into_junit_and_prints_the_score() {
    let blocks = yaml_blocks();
    let block = blocks
        .iter()
        .find(|b| b.contains("grade --format junit") && !b.contains("--submission"))
        .expect("the learner workflow");
    let dir = workdir();
    let course = course_in(dir.path());
    solved(&course);
    let path = shim(dir.path());
    let summary = dir.path().join("summary.md");
    let commands = values(block, "run");
    assert!(commands.len() >= 3, "{commands:?}");
    for command in &commands {
        let (code, out) = run(command, &course, &path, &summary);
        assert_eq!(code, Some(0), "`{command}`:\n{out}");
    }
    let junit = std::fs::read_to_string(course.join("junit.xml")).unwrap();
    assert!(
        junit.contains("<testsuites name=\"tokiolings grade: course\" tests=\"6\" skipped=\"0\" failures=\"0\" errors=\"0\">"),
        "{junit}"
    );
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(summary.starts_with("Score: 5/5 ("), "{summary}");
}

#[test]
fn the_pristine_course_workflow_grades_only_the_learners_files() {
    let blocks = yaml_blocks();
    let block = blocks
        .iter()
        .find(|b| b.contains("--submission submission"))
        .expect("the pristine-course workflow");
    let dir = workdir();
    let work = dir.path().join("work");
    let course: PathBuf = course_in(&work);
    let submission = work.join("submission");
    learner(&submission, "assert_true");
    let path = shim(dir.path());
    let summary = dir.path().join("summary.md");
    for command in values(block, "run") {
        let (code, out) = run(&command, &work, &path, &summary);
        assert_eq!(code, Some(0), "`{command}`:\n{out}");
    }
    let junit = std::fs::read_to_string(work.join("junit.xml")).unwrap();
    assert!(
        junit.contains("<property name=\"tests_modified\" value=\"true\"/>"),
        "{junit}"
    );
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(summary.starts_with("Score: 4/5 ("), "{summary}");
    assert!(!course.join("junit.xml").exists());
}

#[test]
fn classroom_autograding_commands_exit_by_the_exercise_verdict() {
    let blocks = yaml_blocks();
    let block = blocks
        .iter()
        .find(|b| b.contains("autograding-command-grader"))
        .expect("the Classroom workflow");
    let setups = values(block, "setup-command");
    let commands = values(block, "command");
    assert!(commands.len() >= 2, "{commands:?}");
    let dir = workdir();
    let course = course_in(dir.path());
    let path = shim(dir.path());
    let summary = dir.path().join("summary.md");
    for setup in &setups {
        let (code, out) = run(setup, &course, &path, &summary);
        assert_eq!(code, Some(0), "`{setup}`:\n{out}");
    }
    // As shipped, every exercise fails: no points.
    for command in &commands {
        let (code, out) = run(command, &course, &path, &summary);
        assert_eq!(code, Some(1), "`{command}` as shipped:\n{out}");
        assert!(out.contains("Score: 0/1"), "{out}");
    }
    // Solved: each command passes.
    solved(&course);
    for command in &commands {
        let (code, out) = run(command, &course, &path, &summary);
        assert_eq!(code, Some(0), "`{command}` solved:\n{out}");
        assert!(out.contains("Score: 1/1"), "{out}");
    }
}
