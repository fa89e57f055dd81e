//! The learner's everyday tools (issue 14) with the real binary: shell completions, colours
//! and hyperlinks, `path:line:col`, `list --format json`, `reset --all`, progress export and
//! import, `run --done`.

mod common;

use std::path::Path;
use std::process::Command as Std;

use common::*;
use rexpect::reader::Options;
use rexpect::session::spawn_with_options;

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// The fixture course with a fixed name, so two copies are the same course.
fn named_course() -> tempfile::TempDir {
    let course = course_copy("course");
    let info = course.path().join("info.toml");
    let text = std::fs::read_to_string(&info).unwrap();
    std::fs::write(&info, format!("course_name = \"fixture\"\n{text}")).unwrap();
    course
}

fn solve(dir: &Path, name: &str) {
    std::fs::copy(
        dir.join(format!("solutions/basics/{name}.rs")),
        dir.join(format!("exercises/basics/{name}.rs")),
    )
    .unwrap();
}

fn git_commit_all(dir: &Path) {
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "course",
        ],
    ] {
        let out = Std::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", stderr_of(&out));
    }
}

#[test]
fn completions_are_printed_for_each_shell_and_a_wrong_shell_is_named() {
    let course = course_copy("course");
    for (shell, marker) in [
        ("bash", "_tokiolings()"),
        ("zsh", "#compdef tokiolings"),
        ("fish", "complete -c tokiolings"),
    ] {
        let out = tokiolings(course.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        let text = stdout_of(&out);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr_of(&out));
        assert!(text.contains(marker), "{shell}: no {marker:?} in\n{text}");
        assert!(text.contains("check-all"), "{shell}: commands missing");
    }
    let out = tokiolings(course.path())
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("'tcsh'"), "{}", stderr_of(&out));
}

/// Colour escape sequences (SGR), not the spinner's cursor movements.
fn has_colour(text: &str) -> bool {
    let mut rest = text;
    while let Some(i) = rest.find("\u{1b}[") {
        rest = &rest[i + 2..];
        let params: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ';')
            .collect();
        if rest[params.len()..].starts_with('m') {
            return true;
        }
    }
    false
}

/// `tokiolings COMMAND` in a pseudo-terminal: everything it wrote (escape sequences kept).
fn in_pty(course: &Path, command: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Std::new(assert_cmd::cargo::cargo_bin("tokiolings"));
    cmd.arg("--course")
        .arg(course)
        .args(command)
        .env_remove("NO_COLOR")
        .env_remove("FORCE_HYPERLINK")
        .env_remove("CLICOLOR_FORCE")
        .env("TERM", "xterm-256color");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut p = spawn_with_options(cmd, Options::new().timeout_ms(Some(60_000))).unwrap();
    p.exp_eof().unwrap()
}

#[test]
fn colours_and_links_only_where_the_terminal_and_no_color_allow() {
    let course = course_copy("course");
    let dir = course.path();
    let link = format!(
        "\u{1b}]8;;file://{}/exercises/basics/passes.rs\u{1b}\\",
        dir.canonicalize().unwrap().display()
    );
    // A terminal known to show links, colours allowed: both.
    let wezterm = [("TERM_PROGRAM", "WezTerm")];
    let shown = in_pty(dir, &["hint"], &wezterm);
    assert!(
        shown.contains(&link),
        "no link in a WezTerm pty:\n{shown:?}"
    );
    assert!(
        has_colour(&in_pty(dir, &["list"], &wezterm)),
        "no colour in a pty"
    );
    // Verdicts link each `path:line:col` of the exercise: the failing assertion, the compile error.
    let url = |name: &str| {
        format!(
            "\u{1b}]8;;file://{}/exercises/basics/{name}.rs\u{1b}\\",
            dir.canonicalize().unwrap().display()
        )
    };
    let shown = in_pty(dir, &["run", "fails"], &wezterm);
    let assertion = format!(
        "{}exercises/basics/fails.rs:15:9\u{1b}]8;;\u{1b}\\",
        url("fails")
    );
    assert!(shown.contains(&assertion), "{shown:?}");
    let shown = in_pty(dir, &["run", "broken"], &wezterm);
    let error = format!(
        "{}exercises/basics/broken.rs:2:7\u{1b}]8;;\u{1b}\\",
        url("broken")
    );
    assert!(shown.contains(&error), "{shown:?}");
    // NO_COLOR: neither colours nor links.
    let no_color = [("TERM_PROGRAM", "WezTerm"), ("NO_COLOR", "1")];
    let shown = in_pty(dir, &["hint"], &no_color);
    assert!(
        !shown.contains("\u{1b}]8;"),
        "a link despite NO_COLOR:\n{shown:?}"
    );
    let shown = in_pty(dir, &["list"], &no_color);
    assert!(!has_colour(&shown), "colour despite NO_COLOR:\n{shown:?}");
    // A terminal not known to show links: none.
    let shown = in_pty(dir, &["hint"], &[("TERM_PROGRAM", "unknown-term")]);
    assert!(!shown.contains("\u{1b}]8;"), "{shown:?}");

    // A pipe: plain text, colours or not asked; FORCE_HYPERLINK=1 still links.
    for cmd in [&["list"][..], &["hint"], &["run", "fails"]] {
        let out = tokiolings(dir)
            .args(cmd)
            .env_remove("NO_COLOR")
            .env("TERM_PROGRAM", "WezTerm")
            .output()
            .unwrap();
        let all = stdout_of(&out) + &stderr_of(&out);
        assert!(!all.contains('\u{1b}'), "{cmd:?} in a pipe:\n{all:?}");
    }
    let out = tokiolings(dir)
        .arg("hint")
        .env("FORCE_HYPERLINK", "1")
        .output()
        .unwrap();
    assert!(stdout_of(&out).contains(&link), "{:?}", stdout_of(&out));
}

#[test]
fn verdicts_give_path_line_and_column() {
    let course = course_copy("course");
    let out = tokiolings(course.path())
        .args(["run", "fails"])
        .output()
        .unwrap();
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("exercises/basics/fails.rs:15:9"),
        "the failing assertion's place:\n{text}"
    );
    let out = tokiolings(course.path())
        .args(["run", "broken"])
        .output()
        .unwrap();
    let text = stdout_of(&out);
    assert!(
        text.contains("--> exercises/basics/broken.rs:"),
        "the compile error's place:\n{text}"
    );
}

#[test]
fn list_json_is_versioned_and_follows_progress() {
    let course = course_copy("course");
    tokiolings(course.path())
        .args(["run", "passes"])
        .assert()
        .code(0);
    let out = tokiolings(course.path())
        .args(["list", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let list = json(&stdout_of(&out));
    assert_eq!(list["format"], "tokiolings-list/1");
    assert_eq!(list["current"], "fails");
    assert_eq!(
        (list["done"].as_u64(), list["total"].as_u64()),
        (Some(1), Some(12))
    );
    let rows = list["exercises"].as_array().unwrap();
    assert_eq!(rows.len(), 12);
    assert_eq!(rows[0]["name"], "passes");
    assert_eq!(rows[0]["path"], "exercises/basics/passes.rs");
    assert_eq!(rows[0]["section"], "basics");
    assert_eq!(
        (rows[0]["done"].as_bool(), rows[0]["attempts"].as_u64()),
        (Some(true), Some(1))
    );
    assert!(rows[0]["done_at"].is_string());
    assert_eq!(
        (rows[1]["done"].as_bool(), rows[1]["current"].as_bool()),
        (Some(false), Some(true))
    );
}

#[test]
fn reset_all_backs_up_each_changed_exercise_then_restores_it() {
    let course = course_copy("course");
    let dir = course.path();
    git_commit_all(dir);
    let ex = |n: &str| dir.join(format!("exercises/basics/{n}.rs"));
    let shipped: Vec<String> = ["fails", "broken", "hangs"]
        .iter()
        .map(|n| std::fs::read_to_string(ex(n)).unwrap())
        .collect();
    std::fs::write(ex("fails"), "// my fails\n").unwrap();
    std::fs::write(ex("broken"), "// my broken\n").unwrap();

    let out = tokiolings(dir).args(["reset", "--all"]).output().unwrap();
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr_of(&out));
    assert_eq!(std::fs::read_to_string(ex("fails")).unwrap(), shipped[0]);
    assert_eq!(std::fs::read_to_string(ex("broken")).unwrap(), shipped[1]);
    assert_eq!(std::fs::read_to_string(ex("hangs")).unwrap(), shipped[2]);
    let backups: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_once("your version was saved to ").map(|(_, b)| b))
        .collect();
    assert_eq!(backups.len(), 2, "{text}");
    let mut saved: Vec<String> = backups
        .iter()
        .map(|b| std::fs::read_to_string(dir.join(b)).unwrap())
        .collect();
    saved.sort();
    assert_eq!(saved, ["// my broken\n", "// my fails\n"]);
    assert_eq!(
        std::fs::read_dir(dir.join(".tokiolings/backups"))
            .unwrap()
            .count(),
        2
    );

    let out = tokiolings(dir).args(["reset", "--all"]).output().unwrap();
    assert!(
        stdout_of(&out).contains("nothing to do"),
        "{}",
        stdout_of(&out)
    );
    tokiolings(dir).arg("reset").assert().code(2);
}

#[test]
fn progress_travels_merges_and_refuses_what_is_not_its_own() {
    let from = named_course();
    tokiolings(from.path())
        .args(["run", "passes"])
        .assert()
        .code(0);
    let export = from.path().join("export.json");
    let out = tokiolings(from.path())
        .args(["progress", "export"])
        .arg(&export)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let doc = json(&std::fs::read_to_string(&export).unwrap());
    assert_eq!(doc["format"], "tokiolings-progress-export/1");
    assert_eq!(doc["course"], "fixture");
    // Without FILE, standard output holds the same document and nothing else.
    let out = tokiolings(from.path())
        .args(["progress", "export"])
        .output()
        .unwrap();
    assert_eq!(json(&stdout_of(&out))["exercises"], doc["exercises"]);

    // Another copy with a pass of its own: the import adds, loses nothing.
    let to = named_course();
    solve(to.path(), "fails");
    tokiolings(to.path())
        .args(["run", "fails"])
        .assert()
        .code(0);
    let progress = to.path().join(".tokiolings-progress.json");
    let out = tokiolings(to.path())
        .args(["progress", "import"])
        .arg(&export)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).contains("new here: passes"),
        "{}",
        stdout_of(&out)
    );
    let list = || {
        json(&stdout_of(
            &tokiolings(to.path())
                .args(["list", "--format", "json"])
                .output()
                .unwrap(),
        ))
    };
    let after = list();
    let done: Vec<&str> = after["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["done"] == true)
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(done, ["passes", "fails"]);
    assert_eq!(after["current"], "broken");

    // Another course's progress, and a damaged file: a clear error, nothing changed.
    let before = std::fs::read(&progress).unwrap();
    let foreign = to.path().join("foreign.json");
    let text = std::fs::read_to_string(&export).unwrap();
    std::fs::write(&foreign, text.replace("\"fixture\"", "\"rustlings\"")).unwrap();
    let corrupt = to.path().join("corrupt.json");
    std::fs::write(&corrupt, &text[..text.len() / 2]).unwrap();
    for (file, want) in [
        (
            &foreign,
            "belongs to the course `rustlings`, not to `fixture`",
        ),
        (&corrupt, "not valid JSON"),
    ] {
        let out = tokiolings(to.path())
            .args(["progress", "import"])
            .arg(file)
            .output()
            .unwrap();
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(want), "{err}");
        assert!(
            err.contains(&*file.file_name().unwrap().to_string_lossy()),
            "{err}"
        );
        assert_eq!(
            std::fs::read(&progress).unwrap(),
            before,
            "{file:?} changed progress"
        );
    }
}

#[test]
fn run_done_names_an_exercise_that_no_longer_passes() {
    let course = course_copy("course");
    let dir = course.path();
    let out = tokiolings(dir).args(["run", "--done"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout_of(&out).contains("nothing to re-check"),
        "{}",
        stdout_of(&out)
    );

    let shipped = std::fs::read(dir.join("exercises/basics/fails.rs")).unwrap();
    tokiolings(dir).args(["run", "passes"]).assert().code(0);
    solve(dir, "fails");
    tokiolings(dir).args(["run", "fails"]).assert().code(0);
    let out = tokiolings(dir).args(["run", "--done"]).output().unwrap();
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("All 2 exercises you passed still pass"),
        "{text}"
    );

    // A later change breaks `fails` again.
    std::fs::write(dir.join("exercises/basics/fails.rs"), shipped).unwrap();
    let out = tokiolings(dir).args(["run", "--done"]).output().unwrap();
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("✓ passes still passes"), "{text}");
    assert!(text.contains("✗ fails no longer passes (fail)"), "{text}");
    assert!(
        text.contains("1 of 2 exercises you passed no longer pass: fails"),
        "{text}"
    );
    // The pass is kept.
    let list = json(&stdout_of(
        &tokiolings(dir)
            .args(["list", "--format", "json"])
            .output()
            .unwrap(),
    ));
    assert_eq!(list["done"], 2);
}

/// An exclusive `flock` on `path` (created), as a running cargo holds on its build directory.
fn hold_lock(path: &Path) -> std::fs::File {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .unwrap();
    rustix::fs::flock(&f, rustix::fs::FlockOperation::LockExclusive).unwrap();
    f
}

/// The shipped editor set-up gives rust-analyzer its own target directory, so its `cargo
/// check` and the grader's builds never wait for each other's build lock. Each side is run
/// while the other side's lock is held, as during a long build; the control shows that the
/// held lock is the one cargo waits for. (The bounds only turn a hang into a failure.)
#[test]
fn the_editors_cargo_check_and_the_grader_never_wait_for_each_other() {
    use std::time::Duration;
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let settings = json(&std::fs::read_to_string(repo.join(".vscode/settings.json")).unwrap());
    let editor_dir = settings["rust-analyzer.cargo.targetDir"]
        .as_str()
        .expect(".vscode/settings.json sets rust-analyzer.cargo.targetDir")
        .to_string();
    let ra: toml::Value =
        toml::from_str(&std::fs::read_to_string(repo.join("rust-analyzer.toml")).unwrap()).unwrap();
    assert_eq!(ra["cargo"]["targetDir"].as_str(), Some(editor_dir.as_str()));

    let course = course_copy("course");
    let dir = course.path();
    let cargo_check = |target: &Path| {
        let mut cmd = assert_cmd::Command::new("cargo");
        cmd.current_dir(dir)
            .env_remove("CARGO_TARGET_DIR")
            .args(["check", "--workspace", "--all-targets", "--target-dir"])
            .arg(target)
            .timeout(Duration::from_secs(300));
        cmd
    };
    let editor = dir.join(&editor_dir);
    let grader = dir.join("target");

    // The editor's check is running: the grader builds and judges all the same.
    let lock = hold_lock(&editor.join("debug/.cargo-lock"));
    let out = tokiolings(dir)
        .args(["run", "passes"])
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout_of(&out),
        stderr_of(&out)
    );
    drop(lock);

    // The grader is building: the editor's check runs all the same.
    let lock = hold_lock(&grader.join("debug/.cargo-lock"));
    let out = cargo_check(&editor).output().unwrap();
    assert!(out.status.code().is_some(), "cargo check did not finish");
    // (Cargo's package cache lock in CARGO_HOME is shared by every cargo on the machine, the
    // editor's and the grader's alike; it is not what a separate target directory is for.)
    assert!(
        !stderr_of(&out).contains("Blocking waiting for file lock on build directory"),
        "{}",
        stderr_of(&out)
    );

    // Control: a check into the grader's directory does wait for that lock.
    let mut blocked = Std::new("cargo")
        .current_dir(dir)
        .env_remove("CARGO_TARGET_DIR")
        .args(["check", "--workspace", "--all-targets", "--target-dir"])
        .arg(&grader)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = blocked.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("cargo-stderr".into())
        .spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(line);
            }
        })
        .unwrap();
    let give_up = std::time::Instant::now() + Duration::from_secs(120);
    let mut waited = false;
    while let Ok(line) =
        rx.recv_timeout(give_up.saturating_duration_since(std::time::Instant::now()))
    {
        if line.contains("Blocking waiting for file lock on build directory") {
            waited = true;
            break;
        }
    }
    blocked.kill().unwrap();
    blocked.wait().unwrap();
    drop(lock);
    assert!(waited, "cargo did not wait for the held lock");
}

#[test]
fn a_report_file_is_plain_text_even_when_run_in_a_terminal() {
    let course = course_copy("course");
    let dir = course.path();
    let report = dir.join("report.txt");
    let shown = in_pty(
        dir,
        &["check-all", "--output", report.to_str().unwrap()],
        &[],
    );
    assert!(shown.contains("Report written to"), "{shown:?}");
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.contains("passes") && text.contains("fail"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "escape sequences in the file:\n{text:?}"
    );
    // The same summary on the terminal is coloured.
    let shown = in_pty(dir, &["check-all"], &[]);
    assert!(has_colour(&shown), "{shown:?}");
}
