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
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("tokiolings"));
    cmd.arg("--course")
        .arg(course)
        .arg("watch")
        .args(flags)
        .env("NO_COLOR", "1");
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
