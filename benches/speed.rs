//! Issue 13's numbers in one run (`cargo bench --bench speed`), each against a baseline
//! measured in the same run on the same machine: compare the ratios, not the milliseconds.
//!
//! On a copy of this repository's course (its dependencies built in `CARGO_TARGET_DIR`):
//! - save → verdict in `watch` and `run` vs bare `cargo test --bin NAME` after the same kind of
//!   edit, on the first `EXERCISES` test exercises of info.toml, each replaced by its solution;
//! - `check-all` cold (the course package's own crate cleaned) and warm;
//! - the flood case (the fixture's `floods` at 4 million lines) vs bare `cargo test`, with the
//!   grader's peak RSS;
//! - `grade` of the course's solutions as one submission, with and without the sandbox
//!   (`BENCH_GRADE=0` leaves it out).
//!
//! `TOKIOLINGS_BENCH_EXE=/path/to/tokiolings` measures another build of the grader.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../tests/common/mod.rs"]
mod common;

use common::{median, time};

use rexpect::reader::Options;
use rexpect::session::spawn_with_options;

const EXERCISES: usize = 8;
const EDITS: usize = 3;

fn main() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Another build of the grader (an older commit's, say) can be measured the same way.
    let exe = std::env::var_os("TOKIOLINGS_BENCH_EXE").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_tokiolings")),
        PathBuf::from,
    );
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target"));
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "tokiolings speed benchmark: {cores} cores, target dir {}",
        target.display()
    );

    let course = tempfile::tempdir().unwrap();
    let dir = course.path();
    sh(&format!(
        "git -C '{}' archive HEAD | tar -x -C '{}'",
        repo.display(),
        dir.display()
    ));
    let names = first_test_exercises(dir, EXERCISES);
    for (name, ex, sol) in &names {
        let _ = name;
        std::fs::copy(dir.join(sol), dir.join(ex)).unwrap();
    }
    // A second copy for the bare runs beside `watch`, which would see edits of its own copy.
    let twin = tempfile::tempdir().unwrap();
    sh(&format!(
        "cp -r '{}/.' '{}'",
        dir.display(),
        twin.path().display()
    ));
    let manifest = dir.join("exercises/Cargo.toml");
    let bare_in = |course: &Path, name: &str| {
        let mut c = Command::new(cargo());
        c.args(["test", "-q", "--bin", name, "--manifest-path"])
            .arg(course.join("exercises/Cargo.toml"))
            .env("CARGO_TARGET_DIR", &target);
        c
    };
    let bare = |name: &str| bare_in(dir, name);
    let tl = |args: &[&str]| {
        let mut c = Command::new(&exe);
        c.arg("--course")
            .arg(dir)
            .args(args)
            .env("NO_COLOR", "1")
            .env("CARGO_TARGET_DIR", &target);
        c
    };
    let edit = |path: &Path, tag: String| {
        let text = std::fs::read_to_string(path).unwrap();
        std::fs::write(path, format!("{text}\n// edit {tag}\n")).unwrap();
    };

    // Warm: every chosen exercise built once each way.
    for (name, _, _) in &names {
        assert!(bare(name).output().unwrap().status.success(), "{name}");
        let twin_ok = bare_in(twin.path(), name)
            .output()
            .unwrap()
            .status
            .success();
        assert!(twin_ok, "{name}");
        assert!(
            tl(&["run", name]).output().unwrap().status.success(),
            "{name}"
        );
    }

    // run vs bare, interleaved so that machine noise hits both alike.
    let (mut base, mut run) = (Vec::new(), Vec::new());
    let mut per_ex = Vec::new();
    for (name, ex, _) in &names {
        let (mut b, mut r) = (Vec::new(), Vec::new());
        for i in 0..EDITS {
            edit(&dir.join(ex), format!("b{i}"));
            b.push(time(|| {
                assert!(bare(name).output().unwrap().status.success())
            }));
            edit(&dir.join(ex), format!("r{i}"));
            r.push(time(|| {
                assert!(tl(&["run", name]).output().unwrap().status.success())
            }));
        }
        per_ex.push((name.clone(), median(&b), median(&r)));
        base.extend(b);
        run.extend(r);
    }

    // watch: one session walks the chosen exercises (`n` after each), EDITS saves each.
    let _ = std::fs::remove_file(dir.join(".tokiolings-progress.json"));
    let mut cmd = tl(&["watch", "--manual-next"]);
    cmd.env("CARGO_TARGET_DIR", &target);
    let mut p = spawn_with_options(
        cmd,
        Options::new()
            .timeout_ms(Some(300_000))
            .strip_ansi_escape_codes(true),
    )
    .unwrap();
    let pid = p.process.child_pid.as_raw();
    let mut watch = Vec::new();
    let mut watch_per_ex = Vec::new();
    let mut watch_base = Vec::new();
    for (k, (name, ex, _)) in names.iter().enumerate() {
        if k > 0 {
            p.send("n").unwrap();
            p.flush().unwrap();
        }
        p.exp_string(&format!("`{name}` passes")).unwrap();
        let (mut w, mut b) = (Vec::new(), Vec::new());
        for i in 0..EDITS {
            // Bare `cargo test` on the twin copy, interleaved with watch's saves.
            edit(&twin.path().join(ex), format!("t{i}"));
            b.push(time(|| {
                assert!(
                    bare_in(twin.path(), name)
                        .output()
                        .unwrap()
                        .status
                        .success()
                )
            }));
            std::thread::sleep(Duration::from_millis(300));
            // The verdict is timed by the attempt watch records just before printing it:
            // rexpect looks at the terminal only every 100 ms, which would round every
            // measurement up to the next 100 ms.
            let before = attempts(dir, name);
            let start = Instant::now();
            edit(&dir.join(ex), format!("w{i}"));
            while attempts(dir, name) == before {
                assert!(start.elapsed() < Duration::from_secs(300), "no verdict");
                std::thread::sleep(Duration::from_millis(2));
            }
            w.push(start.elapsed());
            p.exp_string(&format!("`{name}` passes")).unwrap();
        }
        watch_per_ex.push((median(&w), median(&b)));
        watch.extend(w);
        watch_base.extend(b);
    }
    let watch_rss = vm_hwm(pid);
    p.send("q").unwrap();
    p.flush().unwrap();
    let _ = p.exp_eof();

    println!(
        "\nsave → verdict, {} exercises × {EDITS} edits (each exercise's solution saved with a new comment):",
        names.len()
    );
    println!("(each ratio against the bare runs interleaved with it: run's and watch's are apart)");
    println!(
        "{:<26} {:>9} {:>9} {:>6} {:>9} {:>9} {:>6}",
        "exercise", "bare", "run", "run/b", "bare", "watch", "wat/b"
    );
    let mut run_ratios = Vec::new();
    let mut watch_ratios = Vec::new();
    for ((name, b, r), (w, wb)) in per_ex.iter().zip(&watch_per_ex) {
        let (rr, wr) = (ratio(*r, *b), ratio(*w, *wb));
        run_ratios.push(rr);
        watch_ratios.push(wr);
        println!(
            "{name:<26} {:>9} {:>9} {rr:>6.2} {:>9} {:>9} {wr:>6.2}",
            ms(*b),
            ms(*r),
            ms(*wb),
            ms(*w)
        );
    }
    println!(
        "ratio over bare `cargo test --bin`: run median {:.2} worst {:.2}; watch median {:.2} worst {:.2}",
        fmedian(&run_ratios),
        fmax(&run_ratios),
        fmedian(&watch_ratios),
        fmax(&watch_ratios)
    );
    println!(
        "all edits: bare median {}, run median {}; bare median {}, watch median {}; watch peak RSS {} KiB",
        ms(median(&base)),
        ms(median(&run)),
        ms(median(&watch_base)),
        ms(median(&watch)),
        watch_rss
    );

    // check-all: the course as shipped (the chosen exercises solved), cold then warm.
    sh(&format!(
        "'{}' clean -q -p tokiolings-course --manifest-path '{}'",
        cargo().to_string_lossy(),
        manifest.display()
    ));
    let cold = time(|| {
        tl(&["check-all"]).output().unwrap();
    });
    let warm = time(|| {
        tl(&["check-all"]).output().unwrap();
    });
    println!(
        "\ncheck-all ({} exercises): cold (course crate cleaned, dependencies built) {}, warm {}",
        count_exercises(dir),
        ms(cold),
        ms(warm)
    );

    flood(&exe);

    if std::env::var("BENCH_GRADE").as_deref() != Ok("0") {
        grade(&exe, dir, &target);
    }
}

/// The fixture's `floods` at 4 million lines: `run` vs bare `cargo test`, and the grader's RSS.
fn flood(exe: &Path) {
    let course = common::course_copy("course");
    let dir = course.path();
    let file = dir.join("exercises/basics/floods.rs");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("2_000_000", "4_000_000")).unwrap();
    let bare = || {
        let mut c = Command::new(cargo());
        c.args(["test", "-q", "--bin", "floods", "--manifest-path"])
            .arg(dir.join("Cargo.toml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };
    let _ = bare().status();
    let mut run = Command::new(exe);
    run.arg("--course").arg(dir).args(["run", "floods"]);
    let _ = run.output();
    let (mut b, mut r, mut rss, mut verdicts) = (Vec::new(), Vec::new(), 0, Vec::new());
    for _ in 0..3 {
        b.push(time(|| {
            let _ = bare().status();
        }));
        let start = Instant::now();
        let mut child = Command::new(exe)
            .arg("--course")
            .arg(dir)
            .args(["run", "floods"])
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        let mut out = String::new();
        let reader = {
            let mut stdout = child.stdout.take().unwrap();
            std::thread::Builder::new()
                .name("flood-stdout".into())
                .spawn(move || {
                    use std::io::Read;
                    let mut s = String::new();
                    let _ = stdout.read_to_string(&mut s);
                    s
                })
                .unwrap()
        };
        while child.try_wait().unwrap().is_none() {
            rss = rss.max(vm_hwm(pid));
            std::thread::sleep(Duration::from_millis(20));
        }
        r.push(start.elapsed());
        out.push_str(&reader.join().unwrap());
        verdicts.push(if out.contains("ran past") {
            "timeout"
        } else if out.contains("failed") {
            "fail"
        } else {
            "?"
        });
    }
    println!(
        "\nflood (4 million lines, then a failed assert), 3 runs: bare cargo test median {}, run median {} ({:.2}×), verdicts {:?}, grader peak RSS {} KiB",
        ms(median(&b)),
        ms(median(&r)),
        ratio(median(&r), median(&b)),
        verdicts,
        rss
    );
}

/// `grade` of every solution as one submission, with and without the sandbox.
fn grade(exe: &Path, course: &Path, target: &Path) {
    let sub = tempfile::tempdir().unwrap();
    common::copy_dir(course, sub.path());
    let _ = std::fs::remove_dir_all(sub.path().join("target"));
    for (_, ex, sol) in first_test_exercises(course, usize::MAX) {
        std::fs::copy(course.join(sol), sub.path().join(ex)).unwrap();
    }
    let grade = |extra: &[&str]| {
        let out = sub.path().join("report.json");
        let mut c = Command::new(exe);
        c.arg("--course")
            .arg(course)
            .args(["grade", "--format", "json", "--submission"])
            .arg(sub.path())
            .arg("--output")
            .arg(&out)
            .args(extra)
            .env("CARGO_TARGET_DIR", target)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let t = time(|| {
            c.status().unwrap();
        });
        let report = std::fs::read_to_string(&out).unwrap_or_default();
        let passed = serde_json::from_str::<serde_json::Value>(&report)
            .ok()
            .and_then(|v| v["summary"]["passed"].as_u64());
        (t, passed)
    };
    let _ = grade(&["--no-sandbox"]); // builds what both timed runs reuse
    let (with, p1) = grade(&[]);
    let (without, p2) = grade(&["--no-sandbox"]);
    println!(
        "\ngrade, the course's solutions as one submission: sandbox {} (passed {:?}), no sandbox {} (passed {:?}): {:.2}×",
        ms(with),
        p1,
        ms(without),
        p2,
        ratio(with, without)
    );
    if p1 != p2 {
        println!(
            "  (the two runs passed different counts: the sandboxed run failed somewhere, and the ratio means nothing)"
        );
    }
}

/// (name, exercise path, solution path) of the first `n` exercises with tests, in order.
fn first_test_exercises(dir: &Path, n: usize) -> Vec<(String, PathBuf, PathBuf)> {
    let info: toml::Value =
        toml::from_str(&std::fs::read_to_string(dir.join("info.toml")).unwrap()).unwrap();
    info["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e.get("test").and_then(|t| t.as_bool()) != Some(false))
        .take(n)
        .map(|e| {
            let name = e["name"].as_str().unwrap().to_string();
            let rel = match e.get("dir").and_then(|d| d.as_str()) {
                Some(d) => format!("{d}/{name}.rs"),
                None => format!("{name}.rs"),
            };
            (
                name,
                PathBuf::from("exercises").join(&rel),
                PathBuf::from("solutions").join(&rel),
            )
        })
        .collect()
}

/// How many checks of `name` the progress file records.
fn attempts(dir: &Path, name: &str) -> u64 {
    std::fs::read_to_string(dir.join(".tokiolings-progress.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["exercises"][name]["attempts"].as_u64())
        .unwrap_or(0)
}

fn count_exercises(dir: &Path) -> usize {
    let info: toml::Value =
        toml::from_str(&std::fs::read_to_string(dir.join("info.toml")).unwrap()).unwrap();
    info["exercises"].as_array().unwrap().len()
}

/// Peak resident set of `pid` (VmHWM), in KiB; 0 once it is gone.
fn vm_hwm(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn sh(script: &str) {
    let st = Command::new("sh").arg("-c").arg(script).status().unwrap();
    assert!(st.success(), "{script}");
}

fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

fn fmedian(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn fmax(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::MIN, f64::max)
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}
