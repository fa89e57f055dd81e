//! Shared helpers for the integration tests: fixture courses in temp dirs, the real binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A fresh copy of a fixture course (without build output), so tests never share state.
pub fn course_copy(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&fixture(name), dir.path());
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().starts_with(".tokiolings") {
            continue;
        }
        let dst = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dst);
        } else {
            std::fs::copy(entry.path(), &dst).unwrap();
        }
    }
}

/// The real binary, pointed at `course`.
pub fn tokiolings(course: &Path) -> Command {
    let mut cmd = Command::cargo_bin("tokiolings").expect("binary built");
    cmd.arg("--course")
        .arg(course)
        .env("NO_COLOR", "1")
        .env_remove("CARGO_TARGET_DIR");
    cmd
}

pub fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Live (non-zombie) processes whose command line contains `needle`.
pub fn processes_matching(needle: &str) -> Vec<String> {
    processes_where(|cmdline, _| cmdline.contains(needle))
}

/// Makes this test process the reaper of its descendants' orphans, so that
/// [`orphans_left`] sees what a finished command left running, and nothing of another run on the
/// same machine.
pub fn adopt_orphans() {
    rustix::process::set_child_subreaper(Some(rustix::process::getpid()))
        .expect("PR_SET_CHILD_SUBREAPER");
}

/// Live processes whose parent is this one: after the commands a test started have been waited
/// for, what they left behind (with [`adopt_orphans`]).
pub fn orphans_left() -> Vec<String> {
    let me = std::process::id().to_string();
    processes_where(|_, stat| {
        // `PID (COMM) STATE PPID …`: the fields after the last `)`.
        stat.rsplit(')')
            .next()
            .and_then(|f| f.split_whitespace().nth(1))
            == Some(me.as_str())
    })
}

fn processes_where(found_if: impl Fn(&str, &str) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.chars().all(|c| c.is_ascii_digit()) || pid == std::process::id().to_string() {
            continue;
        }
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let zombie = stat
            .rsplit(')')
            .next()
            .is_some_and(|s| s.trim_start().starts_with('Z'));
        if found_if(&cmdline, &stat) && !zombie {
            found.push(format!("{pid}: {cmdline}"));
        }
    }
    found
}

/// Whether a check that needs something of the machine (root, namespaces, a browser) can run.
/// Where it is missing the check is skipped with one line on the terminal (written past
/// libtest's capture, so it is seen) — unless `CI=true`, where everything must run.
pub fn can_run(test: &str, need: &str, available: bool) -> bool {
    use std::io::Write;
    if available {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test} needs {need}, which CI must have"
    );
    let _ = writeln!(std::io::stderr(), "skipped {test}: needs {need}");
    false
}

/// Root, and `unshare` making PID and mount namespaces: what grade mode's full sandbox needs.
pub fn full_sandbox_possible() -> bool {
    rustix::process::geteuid().is_root()
        && std::process::Command::new("unshare")
            .args([
                "--pid",
                "--fork",
                "--mount",
                "--propagation",
                "private",
                "true",
            ])
            .output()
            .is_ok_and(|o| o.status.success())
}

pub fn chromium_installed() -> bool {
    std::process::Command::new("chromium")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// How long `f` took (the benchmarks' stopwatch).
pub fn time(f: impl FnOnce()) -> std::time::Duration {
    let start = std::time::Instant::now();
    f();
    start.elapsed()
}

/// The median of `v` (the upper one of an even count).
pub fn median(v: &[std::time::Duration]) -> std::time::Duration {
    let mut v = v.to_vec();
    v.sort();
    v[v.len() / 2]
}
