//! Watch mode in a real pseudo-terminal: saves made the way editors make them, a save during a
//! run, keys, and nothing left running afterwards.

mod common;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use common::*;
use rexpect::reader::Options;
use rexpect::session::{PtySession, spawn_with_options};

const WAIT_MS: u64 = 120_000;

/// `tokiolings watch FLAGS…` on `course`, in a pseudo-terminal.
fn spawn_watch(course: &Path, flags: &[&str]) -> PtySession {
    spawn_watch_env(course, flags, &[])
}

/// `spawn_watch` with more environment variables.
fn spawn_watch_env(course: &Path, flags: &[&str], env: &[(&str, &str)]) -> PtySession {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("tokiolings"));
    cmd.arg("--course")
        .arg(course)
        .arg("watch")
        .args(flags)
        .env("NO_COLOR", "1")
        // Each course builds into its own target dir, never a shared one.
        .env_remove("CARGO_TARGET_DIR")
        .envs(env.iter().copied());
    spawn_with_options(
        cmd,
        Options::new()
            .timeout_ms(Some(WAIT_MS))
            .strip_ansi_escape_codes(true),
    )
    .expect("watch starts in a pty")
}

fn solution(course: &Path, name: &str) -> Vec<u8> {
    std::fs::read(course.join(format!("solutions/basics/{name}.rs"))).unwrap()
}

fn exercise(course: &Path, name: &str) -> std::path::PathBuf {
    course.join(format!("exercises/basics/{name}.rs"))
}

/// JetBrains "safe write": write a temp file, move the original away, rename the temp over it.
fn save_rename_over(path: &Path, content: &[u8]) {
    let tmp = path.with_extension("rs___jb_tmp___");
    let old = path.with_extension("rs___jb_old___");
    std::fs::write(&tmp, content).unwrap();
    std::fs::rename(path, &old).unwrap();
    std::fs::rename(&tmp, path).unwrap();
    std::fs::remove_file(&old).unwrap();
}

/// VS Code: truncate the file, then write the new content into it.
fn save_truncate_write(path: &Path, content: &[u8]) {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .unwrap();
    f.flush().unwrap();
    std::thread::sleep(Duration::from_millis(30));
    f.write_all(content).unwrap();
    f.sync_all().unwrap();
}

/// Some tools delete the file and create a new one.
fn save_delete_create(path: &Path, content: &[u8]) {
    std::fs::remove_file(path).unwrap();
    std::thread::sleep(Duration::from_millis(30));
    std::fs::write(path, content).unwrap();
}

fn press(p: &mut PtySession, key: &str) {
    p.send(key).unwrap();
    p.flush().unwrap();
}

#[test]
fn watch_follows_editor_saves_and_moves_on() {
    let course = course_copy("course");
    let dir = course.path();
    let mut p = spawn_watch(dir, &[]);

    // A first run greets the learner (after the screen is cleared), then checks.
    p.exp_string("Welcome to the fixture course.").unwrap();
    // The first exercise already passes: it is recorded and the next one comes up.
    p.exp_string("`passes` passes").unwrap();
    p.exp_string("Checking fails").unwrap();
    p.exp_string("`fails` is not done yet").unwrap();

    save_rename_over(&exercise(dir, "fails"), &solution(dir, "fails"));
    p.exp_string("`fails` passes").unwrap();
    p.exp_string("Checking broken").unwrap();
    p.exp_string("`broken` doesn't compile yet").unwrap();

    save_truncate_write(&exercise(dir, "broken"), &solution(dir, "broken"));
    p.exp_string("`broken` passes").unwrap();

    // A save while the hanging test runs: the stale run is killed, never reported.
    p.exp_string("Checking hangs").unwrap();
    std::thread::sleep(Duration::from_millis(50));
    save_delete_create(&exercise(dir, "hangs"), &solution(dir, "hangs"));
    let before = p.exp_string("`hangs` passes").unwrap();
    assert!(
        !before.contains("deadline"),
        "the stale run was reported:\n{before}"
    );
    p.exp_string("`exits_early` is not done yet").unwrap();

    // Saving another exercise is noted, not run.
    std::fs::write(exercise(dir, "passes"), solution(dir, "passes")).unwrap();
    p.exp_string("Saved passes (not the current exercise")
        .unwrap();

    press(&mut p, "h");
    p.exp_string("Don't call exit.").unwrap();
    press(&mut p, "H");
    p.exp_string("(Hinglish):").unwrap();
    press(&mut p, "l");
    p.exp_string("pending  exits_early").unwrap();
    press(&mut p, "q");
    p.exp_string("Bye!").unwrap();
    p.exp_eof().unwrap();

    let progress = std::fs::read_to_string(dir.join(".tokiolings-progress.json")).unwrap();
    for done in ["passes", "fails", "broken", "hangs"] {
        assert!(
            progress.contains(&format!("\"{done}\"")),
            "{done} not recorded: {progress}"
        );
    }
    assert!(
        progress.contains("\"current\": \"exits_early\""),
        "{progress}"
    );
    let target = dir.join("target").to_string_lossy().into_owned();
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        processes_matching(&target).is_empty(),
        "left running: {:?}",
        processes_matching(&target)
    );
}

#[test]
fn manual_next_waits_for_n() {
    let course = course_copy("course");
    let mut p = spawn_watch(course.path(), &["--manual-next"]);
    p.exp_string("`passes` passes").unwrap();
    p.exp_string("Press `n` for the next exercise").unwrap();
    press(&mut p, "n");
    p.exp_string("Checking fails").unwrap();
    p.exp_string("`fails` is not done yet").unwrap();
    press(&mut p, "n");
    p.exp_string("`fails` isn't done yet").unwrap();
    press(&mut p, "q");
    p.exp_eof().unwrap();
}

#[test]
fn h_twice_shows_the_second_hint_step() {
    let course = course_copy("course");
    let mut p = spawn_watch(course.path(), &["--manual-next"]);
    p.exp_string("Press `n` for the next exercise").unwrap();
    // The first `h` nudges and says a second press names the API; it doesn't name it yet.
    press(&mut p, "h");
    p.exp_string("It already passes.").unwrap();
    let first = p
        .exp_string("Press `h` again for a hint that names the API.")
        .unwrap();
    assert!(
        !first.contains("Nothing to change"),
        "the first `h` showed step 2:\n{first}"
    );
    press(&mut p, "h");
    p.exp_string("Nothing to change: `run` it.").unwrap();
    // Hinglish follows the step the learner reached.
    press(&mut p, "H");
    p.exp_string("bas `run` kijiye").unwrap();
    press(&mut p, "q");
    p.exp_eof().unwrap();
}

#[test]
fn poll_mode_sees_plain_writes() {
    let course = course_copy("course");
    let dir = course.path();
    let mut p = spawn_watch(dir, &["--poll"]);
    p.exp_string("`fails` is not done yet").unwrap();
    // Let the poller take its first snapshot, then change the file in place.
    std::thread::sleep(Duration::from_millis(700));
    std::fs::write(exercise(dir, "fails"), solution(dir, "fails")).unwrap();
    p.exp_string("`fails` passes").unwrap();
    press(&mut p, "q");
    p.exp_eof().unwrap();
}

#[test]
fn poll_mode_sees_a_save_in_the_same_second_as_the_last() {
    let course = course_copy("course");
    let dir = course.path();
    // Two saves in one second: the file's time is set to early in a second of the future before
    // watch starts (the poller's first look), and the save's to late in that same second. Still
    // newer than anything cargo built, so only the poller's view of it is in question: it must
    // look at the contents, not only at the whole second.
    let file = exercise(dir, "fails");
    let second = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let set_time = |nanos: u32| {
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(std::time::UNIX_EPOCH + Duration::new(second, nanos))
            .unwrap();
    };
    set_time(100_000_000);
    let mut p = spawn_watch(dir, &["--poll"]);
    p.exp_string("`fails` is not done yet").unwrap();
    std::thread::sleep(Duration::from_millis(700));
    std::fs::write(&file, solution(dir, "fails")).unwrap();
    set_time(900_000_000);
    p.exp_string("`fails` passes").unwrap();
    press(&mut p, "q");
    p.exp_eof().unwrap();
}

/// Reads the pty's lines as status-stream events until `stop` holds for one; every line must
/// be a JSON object of the stream's format.
fn events_until(
    p: &mut PtySession,
    seen: &mut Vec<serde_json::Value>,
    stop: impl Fn(&serde_json::Value) -> bool,
) {
    loop {
        let line = p.read_line().expect("a line of the status stream");
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let event: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a status-stream line ({e}): {line:?}"));
        assert_eq!(event["format"], "tokiolings-status/1", "{line}");
        seen.push(event.clone());
        if stop(&event) {
            return;
        }
    }
}

fn is(event: &serde_json::Value, kind: &str, exercise: &str) -> bool {
    event["event"] == kind && event["exercise"] == exercise
}

#[test]
fn json_writes_the_status_stream_alone() {
    let course = course_copy("course");
    let dir = course.path();
    let mut p = spawn_watch(dir, &["--json"]);
    let mut seen = Vec::new();
    events_until(&mut p, &mut seen, |e| is(e, "verdict", "fails"));
    let kinds: Vec<String> = seen
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["event"].as_str().unwrap(),
                e["exercise"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "watching ",
            "exercise passes",
            "check_started passes",
            "verdict passes",
            "progress ",
            "exercise fails",
            "check_started fails",
            "verdict fails",
        ],
        "{seen:#?}"
    );
    assert_eq!(seen[0]["polling"], false);
    assert_eq!(seen[1]["path"], "exercises/basics/passes.rs");
    assert!(
        seen[5]["abs_path"]
            .as_str()
            .unwrap()
            .ends_with("/exercises/basics/fails.rs")
    );
    assert_eq!(
        (seen[3]["passed"].as_bool(), seen[3]["status"].as_str()),
        (Some(true), Some("pass"))
    );
    assert_eq!(
        (
            seen[4]["done"].as_u64(),
            seen[4]["total"].as_u64(),
            seen[4]["current"].as_str()
        ),
        (Some(1), Some(12), Some("fails"))
    );
    let failed = &seen[7];
    assert_eq!(
        (failed["passed"].as_bool(), failed["status"].as_str()),
        (Some(false), Some("fail"))
    );
    let test = &failed["result"]["tests"][0];
    assert_eq!(
        (test["name"].as_str(), test["status"].as_str()),
        (Some("tests::sums"), Some("fail"))
    );
    assert!(
        test["message"].as_str().unwrap().contains("sum of 1, 2, 3"),
        "{test}"
    );

    // A save: checked again, and the pass counted.
    std::fs::write(exercise(dir, "fails"), solution(dir, "fails")).unwrap();
    events_until(&mut p, &mut seen, |e| is(e, "verdict", "fails"));
    assert_eq!(seen.last().unwrap()["passed"], true);
    events_until(&mut p, &mut seen, |e| e["event"] == "progress");
    assert_eq!(seen.last().unwrap()["done"], 2);
    // Where events work, the watchdog never claims they don't: give it time to look
    // (its interval plus grace), then stop.
    std::thread::sleep(Duration::from_secs(6));
    press(&mut p, "q");
    events_until(&mut p, &mut seen, |e| e["event"] == "stopped");
    assert!(
        !seen.iter().any(|e| e["event"] == "notice"),
        "a notice where events work: {seen:#?}"
    );
    p.exp_eof().unwrap();
}

#[test]
fn watch_switches_to_polling_when_saves_raise_no_events() {
    let course = course_copy("course");
    let dir = course.path();
    // File-system events are dropped as they arrive, as on a WSL drive: only the watchdog's
    // poller sees the save.
    let mut p = spawn_watch_env(dir, &[], &[("TOKIOLINGS_TEST_DROP_FS_EVENTS", "1")]);
    p.exp_string("`fails` is not done yet").unwrap();
    std::fs::write(exercise(dir, "fails"), solution(dir, "fails")).unwrap();
    p.exp_string("No file-system event came for a save of exercises/basics/fails.rs")
        .unwrap();
    p.exp_string("switched to polling").unwrap();
    p.exp_string("`fails` passes").unwrap();
    // Polling from now on: the next save is seen.
    p.exp_string("`broken` doesn't compile yet").unwrap();
    std::thread::sleep(Duration::from_millis(700));
    std::fs::write(exercise(dir, "broken"), solution(dir, "broken")).unwrap();
    p.exp_string("`broken` passes").unwrap();
    press(&mut p, "q");
    p.exp_eof().unwrap();
}

/// An "editor" that notes each file it is asked to open.
fn fake_editor(bin: &Path, name: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = bin.join(name);
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\n",
            bin.join("opened.log").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The log's lines, once it has `n` of them (failing after WAIT_MS, never hanging).
fn opened(bin: &Path, n: usize) -> Vec<String> {
    let give_up = std::time::Instant::now() + Duration::from_millis(WAIT_MS);
    loop {
        let log = std::fs::read_to_string(bin.join("opened.log")).unwrap_or_default();
        let lines: Vec<String> = log.lines().map(String::from).collect();
        if lines.len() >= n || std::time::Instant::now() > give_up {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn edit_opens_each_new_current_exercise_in_the_editor() {
    let bin = tempfile::tempdir().unwrap();
    let course = course_copy("course");
    let dir = course.path();
    let abs = |n: &str| {
        exercise(&dir.canonicalize().unwrap(), n)
            .display()
            .to_string()
    };

    let editor = fake_editor(bin.path(), "my-editor");
    let cmd = format!("{} --wait", editor.display());
    let mut p = spawn_watch(dir, &["--edit-cmd", &cmd]);
    p.exp_string("`fails` is not done yet").unwrap();
    assert_eq!(
        opened(bin.path(), 2),
        [
            format!("--wait {}", abs("passes")),
            format!("--wait {}", abs("fails"))
        ]
    );
    press(&mut p, "q");
    p.exp_eof().unwrap();
    std::fs::remove_file(bin.path().join("opened.log")).unwrap();

    // In VS Code's terminal, `--edit` uses `code`, in the same window.
    fake_editor(bin.path(), "code");
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap()
    );
    let mut p = spawn_watch_env(
        dir,
        &["--edit"],
        &[
            ("TERM_PROGRAM", "vscode"),
            ("PATH", &path),
            ("EDITOR", "nano"),
        ],
    );
    p.exp_string("`fails` is not done yet").unwrap();
    assert_eq!(opened(bin.path(), 1), [format!("-r {}", abs("fails"))]);
    press(&mut p, "q");
    p.exp_eof().unwrap();

    // A terminal editor can't share watch mode's terminal: said, not started.
    let mut p = spawn_watch_env(
        dir,
        &["--edit"],
        &[("EDITOR", "vim"), ("VISUAL", ""), ("TERM_PROGRAM", "")],
    );
    p.exp_string("$EDITOR is `vim`, which runs in this terminal")
        .unwrap();
    p.exp_string("`fails` is not done yet").unwrap();
    press(&mut p, "q");
    p.exp_eof().unwrap();
    assert_eq!(opened(bin.path(), 1).len(), 1, "vim was started");
}
