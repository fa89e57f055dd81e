//! The other commands on the fixture course: hint, list, reset, solution, dev, and bad input.

mod common;

use std::process::Command as Std;

use common::*;

#[test]
fn hint_shows_the_current_or_named_exercise_in_either_language() {
    let course = course_copy("course");
    let out = tokiolings(course.path()).arg("hint").output().unwrap();
    let shown = stdout_of(&out);
    assert!(shown.contains("It already passes."), "{shown}");
    // The first step nudges and says how to get the second; `--more` adds it.
    assert!(!shown.contains("Nothing to change"), "{shown}");
    assert!(shown.contains("hint --more"), "{shown}");
    let out = tokiolings(course.path())
        .args(["hint", "--more"])
        .output()
        .unwrap();
    let shown = stdout_of(&out);
    assert!(
        shown.contains("It already passes.") && shown.contains("Nothing to change: `run` it."),
        "{shown}"
    );
    let out = tokiolings(course.path())
        .args(["hint", "--more", "--lang", "hinglish"])
        .output()
        .unwrap();
    assert!(stdout_of(&out).contains("bas `run` kijiye"));
    let out = tokiolings(course.path())
        .args(["hint", "passes", "--lang", "hinglish"])
        .output()
        .unwrap();
    assert!(stdout_of(&out).contains("Yeh pehle se pass hai."));
    let out = tokiolings(course.path())
        .args(["hint", "fails", "--lang", "hinglish"])
        .output()
        .unwrap();
    assert!(
        stdout_of(&out).contains("no Hinglish text"),
        "{}",
        stdout_of(&out)
    );
    let out = tokiolings(course.path())
        .args(["hint", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("no exercise named `nope`"));
}

#[test]
fn list_groups_by_section_and_shows_progress() {
    let course = course_copy("course");
    tokiolings(course.path())
        .args(["run", "passes"])
        .assert()
        .code(0);
    let out = tokiolings(course.path()).arg("list").output().unwrap();
    let text = stdout_of(&out);
    assert!(text.contains("basics 1/12"), "{text}");
    assert!(text.contains("done     passes"), "{text}");
    assert!(text.contains("pending  fails  ◀ current"), "{text}");
    assert!(text.contains("Progress: 1/12 exercises (8%)"), "{text}");
}

#[test]
fn broken_info_toml_names_file_line_and_key_and_writes_nothing() {
    // Every case runs; the wrong ones are reported together at the end.
    let mut wrong = Vec::new();
    for (from, to, want) in [
        (
            "name = \"fails\"",
            "name = \"passes\"",
            "duplicate exercise name `passes`",
        ),
        (
            "hint = \"Return the sum.\"",
            "hint = \"Return the sum.\"\npointz = 3",
            "unknown field `pointz`",
        ),
        (
            "name = \"fails\"",
            "name = \"missing_file\"",
            "names a file that doesn't exist",
        ),
        (
            "format_version = 1",
            "format_version = [",
            "TOML parse error",
        ),
    ] {
        let course = course_copy("course");
        let info = course.path().join("info.toml");
        let text = std::fs::read_to_string(&info)
            .unwrap()
            .replacen(from, to, 1);
        std::fs::write(&info, &text).unwrap();
        let out = tokiolings(course.path()).arg("run").output().unwrap();
        let err = stderr_of(&out);
        let problems = [
            (out.status.code() != Some(2), "exit code is not 2"),
            (
                !(err.contains(want) && err.contains("info.toml")),
                "the error or the file is not named",
            ),
            (
                !(err.contains(":1") || err.contains("line ")),
                "no line number",
            ),
            (
                std::fs::read_to_string(&info).unwrap() != text,
                "info.toml was changed",
            ),
            (
                course.path().join(".tokiolings-progress.json").exists(),
                "a progress file was written",
            ),
        ];
        for (_, problem) in problems.iter().filter(|(bad, _)| *bad) {
            wrong.push(format!(
                "{want}: {problem} (exit {:?}):\n{err}",
                out.status.code()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[test]
fn corrupt_progress_is_moved_aside_and_the_run_goes_on() {
    let course = course_copy("course");
    let progress = course.path().join(".tokiolings-progress.json");
    std::fs::write(&progress, "garbage{").unwrap();
    let out = tokiolings(course.path())
        .args(["run", "passes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr_of(&out).contains("could not be read"),
        "{}",
        stderr_of(&out)
    );
    let aside: Vec<_> = std::fs::read_dir(course.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(std::fs::read_to_string(&aside[0]).unwrap(), "garbage{");
    assert!(
        std::fs::read_to_string(&progress)
            .unwrap()
            .contains("\"passes\"")
    );
}

#[test]
fn reset_backs_up_the_learners_work_then_restores_the_shipped_file() {
    let course = course_copy("course");
    let dir = course.path();
    let git = |args: &[&str]| {
        let ok = Std::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&ok.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-qm",
        "course",
    ]);
    let file = dir.join("exercises/basics/fails.rs");
    let shipped = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, "// my work in progress\n").unwrap();

    let out = tokiolings(dir).args(["reset", "fails"]).output().unwrap();
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr_of(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), shipped);
    let backup = text
        .lines()
        .find_map(|l| l.strip_prefix("Your version was saved to "))
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join(backup)).unwrap(),
        "// my work in progress\n"
    );
}

#[test]
fn solution_is_shown_once_done_or_forced() {
    let course = course_copy("course");
    let out = tokiolings(course.path())
        .args(["solution", "passes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout_of(&out).contains("isn't done yet"));
    tokiolings(course.path())
        .args(["solution", "passes", "--force"])
        .assert()
        .code(0);
    tokiolings(course.path())
        .args(["run", "passes"])
        .assert()
        .code(0);
    let out = tokiolings(course.path())
        .args(["solution", "passes"])
        .output()
        .unwrap();
    assert_eq!(stdout_of(&out).trim(), "solutions/basics/passes.rs");
}

#[test]
fn dev_check_reports_each_problem_of_a_bad_course() {
    let course = course_copy("course");
    let out = tokiolings(course.path())
        .args(["dev", "check", "--repeat", "2"])
        .output()
        .unwrap();
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let row = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap()
            .to_string()
    };
    assert!(row("passes").contains("passes as shipped"), "{text}");
    assert!(row("hangs").contains("times out as shipped"), "{text}");
    assert!(
        row("deleted_test").contains("test module differs"),
        "{text}"
    );
    assert!(row("fails").contains("2/2 pass"), "{text}");
    // Each of the four hint steps is required, and the row names the missing ones.
    assert!(
        row("fails").contains("no `hint_hinglish`, `hint_more`, `hint_more_hinglish` in info.toml"),
        "{text}"
    );
    assert!(
        row("broken").contains("no `hint_more` in info.toml"),
        "{text}"
    );
    assert!(!row("passes").contains("info.toml"), "{text}");
    assert!(
        text.contains("course: exercises/basics/README.md is missing"),
        "{text}"
    );
}

#[test]
fn list_names_each_section_in_words() {
    // Numbered section directories, as in the real course, and one section met twice (a
    // learning path may come back to a section).
    let dir = tempfile::tempdir().unwrap();
    let mut toml = String::from("format_version = 1\n");
    for (name, section) in [
        ("a", "02_concurrency"),
        ("b", "07_concurrency_example"),
        ("c", "02_concurrency"),
        ("d", "capstone"),
    ] {
        toml += &format!("\n[[exercises]]\nname = \"{name}\"\ndir = \"{section}\"\nhint = \"h\"\n");
        let file = dir.path().join(format!("exercises/{section}/{name}.rs"));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, "fn main() {}\n").unwrap();
    }
    std::fs::write(dir.path().join("info.toml"), toml).unwrap();
    let out = tokiolings(dir.path()).arg("list").output().unwrap();
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr_of(&out));
    let headers: Vec<&str> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("  ") && !l.starts_with("Progress"))
        .collect();
    assert_eq!(
        headers,
        [
            "02 · concurrency 0/2",
            "07 · concurrency example 0/1",
            "02 · concurrency 0/2",
            "capstone 0/1"
        ],
        "{text}"
    );
}

#[test]
fn dev_update_is_idempotent() {
    let course = course_copy("course");
    let manifest = course.path().join("Cargo.toml");
    let good = std::fs::read_to_string(&manifest).unwrap();
    let update = || {
        let out = tokiolings(course.path())
            .args(["dev", "update"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        stdout_of(&out)
    };
    let out = update();
    assert!(out.contains("is up to date"), "{out}");
    assert_eq!(std::fs::read_to_string(&manifest).unwrap(), good);

    // A stale list: `fails` and its solution dropped, a removed exercise still listed.
    let stale = good.replacen(
        "[[bin]]\nname = \"fails\"\npath = \"exercises/basics/fails.rs\"\n\n\
         [[bin]]\nname = \"fails_sol\"\npath = \"solutions/basics/fails.rs\"\n",
        "[[bin]]\nname = \"gone\"\npath = \"exercises/basics/gone.rs\"\n",
        1,
    );
    assert_ne!(stale, good, "the fixture's [[bin]] list changed shape");
    std::fs::write(&manifest, &stale).unwrap();
    let out = update();
    assert!(out.contains("Updated the [[bin]] list"), "{out}");
    assert_eq!(std::fs::read_to_string(&manifest).unwrap(), good);

    let out = update();
    assert!(out.contains("is up to date"), "{out}");
    assert_eq!(std::fs::read_to_string(&manifest).unwrap(), good);
}
