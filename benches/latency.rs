//! Save-to-verdict latency of the grader against plain `cargo test`, measured in the same run
//! on the same machine (shared machines are noisy: compare the ratio, not the milliseconds).
//!
//! `cargo bench --bench latency` prints, for N edits of one exercise of the fixture course:
//! - baseline: `cargo test --bin NAME` (build + run all tests in one process, no isolation);
//! - `tokiolings run NAME` (build, list, one supervised process group per test, verdict);
//! - `tokiolings watch`: from the file save to the verdict on screen (debounce included).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "../tests/common/mod.rs"]
mod common;

use common::{median, time};

use common::copy_dir;
use rexpect::reader::Options;
use rexpect::session::spawn_with_options;

const EDITS: usize = 10;
const EXERCISE: &str = "passes";

fn main() {
    let course = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/course"),
        course.path(),
    );
    let dir = course.path();
    let file = dir.join(format!("exercises/basics/{EXERCISE}.rs"));
    let original = std::fs::read_to_string(&file).unwrap();
    let edit = |i: usize| std::fs::write(&file, format!("{original}\n// edit {i}\n")).unwrap();
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_tokiolings"));

    // Warm both paths once so that only the edited bin is rebuilt in the timed runs.
    assert!(
        tokiolings(&exe, dir)
            .args(["run", EXERCISE])
            .status()
            .unwrap()
            .success()
    );
    assert!(cargo_test(dir).status().unwrap().success());

    let mut baseline = Vec::new();
    let mut run = Vec::new();
    for i in 0..EDITS {
        // Interleaved, so that machine noise hits both sides alike.
        edit(2 * i);
        baseline.push(time(|| {
            assert!(cargo_test(dir).output().unwrap().status.success())
        }));
        edit(2 * i + 1);
        run.push(time(|| {
            assert!(
                tokiolings(&exe, dir)
                    .args(["run", EXERCISE])
                    .output()
                    .unwrap()
                    .status
                    .success()
            )
        }));
    }

    let mut watch_times = Vec::new();
    // `run` moved the learner on; start watch afresh on the benchmarked exercise.
    std::fs::remove_file(dir.join(".tokiolings-progress.json")).unwrap();
    let mut cmd = tokiolings(&exe, dir);
    cmd.args(["watch", "--manual-next"]);
    let mut p = spawn_with_options(
        cmd,
        Options::new()
            .timeout_ms(Some(120_000))
            .strip_ansi_escape_codes(true),
    )
    .unwrap();
    p.exp_string("passes (2 tests)").unwrap();
    for i in 0..EDITS {
        std::thread::sleep(Duration::from_millis(300));
        let start = Instant::now();
        edit(1000 + i);
        p.exp_string("passes (2 tests)").unwrap();
        watch_times.push(start.elapsed());
    }
    p.send("q").unwrap();
    p.flush().unwrap();
    let _ = p.exp_eof();

    println!(
        "save-to-verdict latency over {EDITS} edits of `{EXERCISE}` (fixture course, 2 tests)"
    );
    println!("{:<44} {:>9} {:>9} {:>9}", "", "median", "min", "max");
    report("baseline: cargo test --bin (no isolation)", &baseline);
    report("tokiolings run (process group per test)", &run);
    report("tokiolings watch (save → verdict shown)", &watch_times);
    println!(
        "ratio run/baseline: {:.2}   ratio watch/baseline: {:.2}",
        median(&run).as_secs_f64() / median(&baseline).as_secs_f64(),
        median(&watch_times).as_secs_f64() / median(&baseline).as_secs_f64()
    );
}

fn tokiolings(exe: &Path, course: &Path) -> Command {
    let mut c = Command::new(exe);
    c.arg("--course").arg(course).env("NO_COLOR", "1");
    c
}

fn cargo_test(course: &Path) -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.args(["test", "-q", "--bin", EXERCISE, "--manifest-path"])
        .arg(course.join("Cargo.toml"));
    c
}

fn report(what: &str, v: &[Duration]) {
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    println!(
        "{what:<44} {:>9} {:>9} {:>9}",
        ms(median(v)),
        ms(*v.iter().min().unwrap()),
        ms(*v.iter().max().unwrap())
    );
}
