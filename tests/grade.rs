//! `grade` on one course or one learner's copy (the real binary on the gradable fixture course):
//! the report in each format, the course's tests winning over the learner's, limits, exit codes.

mod common;
mod grade_common;

use common::{can_run, full_sandbox_possible, stderr_of, stdout_of, tokiolings};
use grade_common::*;
use serde_json::Value;

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_str(&stdout_of(out))
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout_of(out), stderr_of(out)))
}

#[test]
fn grades_the_course_itself_in_every_format() {
    let dir = workdir();
    let course = course_in(dir.path());
    let before = snapshot(&course);

    let out = tokiolings(&course)
        .current_dir(dir.path())
        .arg("grade")
        .output()
        .unwrap();
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr_of(&out));
    for line in [
        "fail     sum                              0/1  tests::sums_a_few failed",
        "fail     greet                            0/1  tests::greets_by_name failed: not yet implemented: greet Asha (at exercises/basics/greet.rs:",
        "error    quadruple                        0/2  exercises/more/quadruple.rs:2:",
        "fail     hello                            0/1  main failed: `main` exited with code 1",
        "Score: 0/5 (0 passed, 3 failed, 1 errors, 0 timeouts of 4 exercises; tests modified in 0)",
        "Enforced on each test:\n  deadline: 3s per test",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }

    let out = tokiolings(&course)
        .current_dir(dir.path())
        .args(["grade", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let report = json_of(&out);
    assert_eq!(report["schema"], "tokiolings-report/1");
    for (name, status) in [
        ("sum", "fail"),
        ("greet", "fail"),
        ("quadruple", "error"),
        ("hello", "fail"),
    ] {
        let e = exercise(&report, name);
        assert_eq!(e["status"], status, "{e:#}");
        assert_eq!(e["tests_modified"], false, "{e:#}");
    }
    assert_eq!(exercise(&report, "quadruple")["max_points"], 2);
    assert_eq!(report["summary"]["max_score"], 5);
    let enforced = &report["enforced"];
    assert_eq!(enforced["output_cap_bytes"], 64 * 1024);
    assert_eq!(enforced["stdin"], "closed");
    assert_eq!(enforced["memory_bytes"], 2u64 << 30);
    assert_eq!(enforced["cpu_secs"], 30);
    assert_eq!(enforced["processes"], 256);
    assert!(
        enforced["deadline"]
            .as_str()
            .unwrap()
            .starts_with("3s per test")
    );

    let junit = dir.path().join("junit.xml");
    let out = tokiolings(&course)
        .current_dir(dir.path())
        .args(["grade", "--format", "junit", "--output"])
        .arg(&junit)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).starts_with("Score: 0/5 ("),
        "{}",
        stdout_of(&out)
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    for piece in [
        // sums_nothing passes even as shipped (0 is the sum of nothing).
        "<testsuites name=\"tokiolings grade: course\" tests=\"6\" skipped=\"0\" failures=\"4\" errors=\"1\">",
        "<testsuite name=\"sum\" tests=\"2\"",
        "<testcase name=\"tests::sums_a_few\" classname=\"sum\"",
        "<testsuite name=\"quadruple\" tests=\"1\" skipped=\"0\" errors=\"1\" failures=\"0\">",
        "<testcase name=\"build\" classname=\"quadruple\">",
        "type=\"build error\"",
        "<property name=\"points\" value=\"0\"/>",
    ] {
        assert!(xml.contains(piece), "missing {piece:?} in:\n{xml}");
    }

    assert!(
        changed(&before, &snapshot(&course)).is_empty(),
        "grading changed the course: {:?}",
        changed(&before, &snapshot(&course))
    );
    assert!(!course.join(".tokiolings-progress.json").exists());
}

#[test]
fn a_learners_copy_is_judged_by_the_course_tests() {
    let dir = workdir();
    let course = course_in(dir.path());
    let honest = dir.path().join("honest");
    learner(&honest, "honest");
    let cheat = dir.path().join("cheat");
    learner(&cheat, "assert_true");

    let out = tokiolings(&course)
        .current_dir(dir.path())
        .args([
            "grade",
            "--format",
            "json",
            "--require-pass",
            "--submission",
        ])
        .arg(&honest)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let report = json_of(&out);
    assert_eq!(report["student"], "honest");
    assert_eq!(report["summary"]["score"], 5, "{report:#}");

    // Tests edited to `assert!(true)`: modified, and failed by the course's tests.
    let out = tokiolings(&course)
        .current_dir(dir.path())
        .args([
            "grade",
            "--format",
            "json",
            "--require-pass",
            "--section",
            "basics",
            "--submission",
        ])
        .arg(&cheat)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "--require-pass: {}",
        stderr_of(&out)
    );
    let report = json_of(&out);
    let names: Vec<&str> = report["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sum", "greet"], "--section basics");
    let sum = exercise(&report, "sum");
    assert_eq!(sum["status"], "fail");
    assert_eq!(sum["tests_modified"], true);
    assert!(
        sum["message"].as_str().unwrap().starts_with(
            "the tests were modified; judged by the course's tests: tests::sums_a_few failed"
        ),
        "{sum:#}"
    );
    assert_eq!(report["summary"]["tests_modified"], 1);

    // Without --require-pass a graded run exits 0 whatever the score.
    let out = tokiolings(&course)
        .current_dir(dir.path())
        .args(["grade", "--exercise", "sum", "--submission"])
        .arg(&cheat)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).contains("Score: 0/1"),
        "{}",
        stdout_of(&out)
    );
}

#[test]
fn limit_flags_change_what_is_enforced() {
    let dir = workdir();
    let course = course_in(dir.path());
    let hog = dir.path().join("hog");
    learner(&hog, "hog");
    let grade = |extra: &[&str]| {
        let out = tokiolings(&course)
            .current_dir(dir.path())
            .args(["grade", "--format", "json", "--exercise", "quadruple"])
            .args(extra)
            .arg("--submission")
            .arg(&hog)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        json_of(&out)
    };
    // 3 GiB of untouched zeroes: over the default 2 GiB address space…
    let limited = grade(&[]);
    let q = exercise(&limited, "quadruple");
    assert_eq!(q["status"], "fail", "{q:#}");
    assert!(
        q["tests"][0]["output"]
            .as_str()
            .unwrap()
            .contains("memory allocation of 3221225472 bytes failed"),
        "{q:#}"
    );
    // …and fine without the limit.
    let free = grade(&[
        "--memory-mib",
        "0",
        "--cpu-secs",
        "5",
        "--max-procs",
        "64",
        "--allow-network",
    ]);
    assert_eq!(exercise(&free, "quadruple")["status"], "pass", "{free:#}");
    let e = &free["enforced"];
    assert_eq!(e["memory_bytes"], Value::Null);
    assert_eq!(e["cpu_secs"], 5);
    assert_eq!(e["processes"], 64);
    assert!(
        e["network"].as_str().unwrap().starts_with("not restricted"),
        "{e:#}"
    );
}

#[test]
fn grading_that_cannot_run_exits_2() {
    let dir = workdir();
    let course = course_in(dir.path());
    let out = tokiolings(&course)
        .current_dir(dir.path())
        .args(["grade", "--section", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("there is no section `nope`"),
        "{}",
        stderr_of(&out)
    );
    let out = tokiolings(&course)
        .current_dir(dir.path())
        .args(["grade", "--submission", "/no/such/dir"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("submission directory /no/such/dir not found"),
        "{}",
        stderr_of(&out)
    );
    let out = tokiolings(&course)
        .current_dir(dir.path())
        .args(["grade", "--class"])
        .arg(dir.path().join("course/exercises/basics"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("has no submissions"),
        "{}",
        stderr_of(&out)
    );
}

/// The hostile learners of `hostile_tests_are_contained`: each attacks the machine from inside
/// its test (tests/fixtures/submissions/NAME) and prints `NAME: blocked …` when it can't.
const HOSTILE: &[&str] = &[
    "proc_sys",
    "kmsg",
    "shm",
    "cgroup_escape",
    "devices",
    "fork_bomb",
    "memory_children",
    "log_disk",
    "classmates",
    "unix_socket",
];

/// Each hostile learner's attack is stopped; the honest learner still passes; nothing is left
/// running, in /dev/shm, in the cgroup tree or in the kernel's settings; no file changes
/// outside the report dir.
#[test]
fn hostile_tests_are_contained() {
    let test = "hostile_tests_are_contained";
    let need = "root, and `unshare` making PID and mount namespaces";
    if !can_run(test, need, full_sandbox_possible()) {
        return;
    }
    let dir = workdir();
    let course = course_in(dir.path());
    let class = dir.path().join("class");
    for name in HOSTILE.iter().chain(&["honest"]) {
        learner(&class.join(name), name);
    }
    // A listening socket on a host path anyone may connect to (a container runtime's, say),
    // in a dir of its own (the snapshots read files).
    let sockets = workdir();
    let sock = sockets.path().join("host.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o777)).unwrap();
    let core_pattern = std::fs::read("/proc/sys/kernel/core_pattern").unwrap();
    let sysv_before = sysv_segments();
    let before = snapshot(dir.path());
    let out = dir.path().join("report");
    let run = tokiolings(&course)
        .current_dir(dir.path())
        // A longer deadline than the course's 3 s: the OOM kills of memory_children take ~3 s.
        .args([
            "--timeout",
            "10",
            "grade",
            "--exercise",
            "sum",
            "--memory-mib",
            "512",
        ])
        .arg("--class")
        .arg(&class)
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    let mut leftovers = common::processes_matching(&dir.path().to_string_lossy());
    // The fork bomb's children.
    leftovers.extend(common::processes_matching("sleep 1.5"));
    let shm_left: Vec<_> = std::fs::read_dir("/dev/shm")
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("tokiolings-fixture-shm-")
        })
        .map(|e| {
            let _ = std::fs::remove_file(e.path());
            e.path()
        })
        .collect();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}{}",
        stdout_of(&run),
        stderr_of(&run)
    );
    let mut after = snapshot(dir.path());
    after.retain(|p, _| !p.starts_with("report"));
    let student = |name: &str| student_report(&out, name);

    let honest = student("honest");
    assert_eq!(exercise(&honest, "sum")["status"], "pass", "{honest:#}");
    let mut failed = Vec::new();
    for name in HOSTILE {
        let report = student(name);
        let sum = exercise(&report, "sum");
        let said: Vec<&str> = sum["tests"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|t| t["output"].as_str().unwrap().lines())
            .filter(|l| l.starts_with(&format!("{name}: ")))
            .collect();
        let blocked = !said.is_empty()
            && said
                .iter()
                .all(|l| l.starts_with(&format!("{name}: blocked")));
        let ended_badly = sum["status"] == "fail" || sum["status"] == "error";
        println!("{name}: {} {said:?}", sum["status"]);
        if !blocked && !ended_badly {
            failed.push(format!("{name}: {} {said:?}", sum["status"]));
        }
    }
    assert!(failed.is_empty(), "attacks that got through: {failed:#?}");

    assert!(leftovers.is_empty(), "left running: {leftovers:?}");
    assert!(shm_left.is_empty(), "left in /dev/shm: {shm_left:?}");
    let sysv_left: Vec<String> = sysv_segments()
        .into_iter()
        .filter(|s| !sysv_before.contains(s))
        .inspect(|id| {
            let _ = std::process::Command::new("ipcrm")
                .args(["-m", id])
                .output();
        })
        .collect();
    assert!(
        sysv_left.is_empty(),
        "System V segments left: {sysv_left:?}"
    );
    assert_eq!(
        std::fs::read("/proc/sys/kernel/core_pattern").unwrap(),
        core_pattern
    );
    assert!(
        changed(&before, &after).is_empty(),
        "grading changed files: {:?}",
        changed(&before, &after)
    );
    let leaked = leaked_cgroups();
    assert!(leaked.is_empty(), "cgroups left behind: {leaked:?}");
    let enforced = &student("honest")["enforced"];
    for (field, start) in [
        ("user", "uid 65534"),
        ("cgroup", "one per test"),
        ("filesystem", "a new root"),
    ] {
        assert!(
            enforced[field]
                .as_str()
                .is_some_and(|s| s.starts_with(start)),
            "{field}: {enforced:#}"
        );
    }
}

/// The ids of the host's System V shared memory segments of the shm fixture's size.
fn sysv_segments() -> Vec<String> {
    let out = std::process::Command::new("ipcs")
        .arg("-m")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    out.lines()
        .filter(|l| l.split_whitespace().nth(4) == Some("3333333"))
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
        .collect()
}

/// `tokiolings-PID` cgroups (the grader's) whose grader is gone.
fn leaked_cgroups() -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, depth: usize, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if !e.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let name = e.file_name().to_string_lossy().into_owned();
            match name.strip_prefix("tokiolings-").map(str::parse::<u32>) {
                Some(Ok(pid)) if !std::path::Path::new(&format!("/proc/{pid}")).exists() => {
                    out.push(e.path())
                }
                _ if depth < 4 => walk(&e.path(), depth + 1, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(std::path::Path::new("/sys/fs/cgroup"), 0, &mut out);
    out
}

/// The attack: learner code writes `ok NAME` into the harness's log and exits 0 (and tries
/// again from a panic hook, and by renaming a fresh file over the log). Each course test seals
/// itself first, so every write is refused and the wrong `sum` fails, with the sandbox and
/// without it (GitHub-hosted runners have no namespaces, but they have Landlock).
#[test]
fn a_test_can_not_forge_its_own_pass() {
    let test = "a_test_can_not_forge_its_own_pass";
    if !can_run(test, "Landlock in the kernel", tokiolings_guard::abi() > 0) {
        return;
    }
    let dir = workdir();
    let course = course_in(dir.path());
    let forger = dir.path().join("forger");
    learner(&forger, "forges_log");
    for extra in [None, Some("--no-sandbox")] {
        let out = tokiolings(&course)
            .current_dir(dir.path())
            .args(["grade", "--format", "json", "--exercise", "sum"])
            .args(extra)
            .arg("--submission")
            .arg(&forger)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        let report = json_of(&out);
        let sum = exercise(&report, "sum");
        assert_eq!(sum["status"], "fail", "{extra:?}: {sum:#}");
        assert!(
            report["enforced"]["results"]
                .as_str()
                .unwrap()
                .starts_with("sealed"),
            "{report:#}"
        );
    }
}

/// Compiling is running the learner's code: each of these attacks acts through a macro at
/// build time (tests/fixtures/submissions/build_*); beside them, a forged log, a type that
/// equals anything and a dozen sleeping extra tests. Every learner's build is sandboxed, so the
/// canonical solution, a root-only file, the grader's environment, /proc and devices are out of
/// reach, a const loop runs only until its build's deadline, and honest classmates are graded
/// as usual, in bounded time.
#[test]
fn builds_are_sandboxed() {
    let test = "builds_are_sandboxed";
    if !can_run(test, "Landlock in the kernel", tokiolings_guard::abi() > 0) {
        return;
    }
    let dir = workdir();
    let course = course_in(dir.path());
    let class = dir.path().join("class");
    let attackers = [
        "build_peeks",
        "build_secrets",
        "build_devices",
        "build_const_loop",
        // And, in the same class, attacks at test time that need no namespaces to stop.
        "forges_log",
        "fake_eq",
        "extra_tests",
    ];
    for name in attackers.iter().chain(&["honest"]) {
        learner(&class.join(name), name);
    }
    let out = dir.path().join("report");
    let started = std::time::Instant::now();
    let run = tokiolings(&course)
        .current_dir(dir.path())
        .env("TOKIOLINGS_TEST_SECRET", "hunter2-do-not-leak")
        .args(["grade", "--section", "basics", "--build-timeout", "15"])
        .arg("--class")
        .arg(&class)
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", stderr_of(&run));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(120),
        "the class took {:?}: a build was not stopped",
        started.elapsed()
    );
    let student = |name: &str| student_report(&out, name);
    let mut wrong = Vec::new();
    let mut expect = |who: &str, ex: &str, status: &str, says: &str| {
        let report = student(who);
        let e = exercise(&report, ex);
        let text = format!("{} {}", e["message"], e["compiler_output"]);
        if e["status"] != status || !text.contains(says) {
            wrong.push(format!(
                "{who}/{ex}: expected {status} saying {says:?}, got {} {}",
                e["status"], e["message"]
            ));
        }
    };
    expect("honest", "sum", "pass", "");
    expect("honest", "greet", "pass", "");
    expect("build_peeks", "sum", "error", "Permission denied");
    expect("build_peeks", "greet", "error", "Permission denied");
    expect("build_secrets", "sum", "fail", "leaked: none");
    expect("build_secrets", "greet", "error", "Permission denied");
    expect("build_devices", "sum", "error", "Permission denied");
    expect("build_devices", "greet", "error", "Permission denied");
    expect("build_const_loop", "sum", "error", "deadline");
    expect("forges_log", "sum", "fail", "");
    expect("fake_eq", "sum", "error", "mismatched types");
    expect("extra_tests", "sum", "pass", "");
    let extra = student("extra_tests");
    let ran = exercise(&extra, "sum")["tests"].as_array().unwrap().len();
    assert_eq!(ran, 2, "the learner's own tests ran: {extra:#}");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The secret is nowhere in what the grader wrote.
    for (file, bytes) in snapshot(&out) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains("hunter2"),
            "{} holds the secret",
            file.display()
        );
    }
    let left = common::processes_matching(&dir.path().to_string_lossy());
    assert!(left.is_empty(), "left running: {left:?}");
}

/// A learner's `sum` returns a type whose `PartialEq<u32>` always says yes (so
/// `assert_eq!(sum(..), 6)` would pass). The functions the tests call are pinned to the
/// solution's signatures, so it doesn't compile; an honest copy still passes.
#[test]
fn a_learner_type_can_not_stand_in_for_the_solutions() {
    let dir = workdir();
    let course = course_in(dir.path());
    for (who, status) in [("fake_eq", "error"), ("honest", "pass")] {
        let copy = dir.path().join(who);
        learner(&copy, who);
        let out = tokiolings(&course)
            .current_dir(dir.path())
            .args([
                "grade",
                "--format",
                "json",
                "--exercise",
                "sum",
                "--no-sandbox",
            ])
            .arg("--submission")
            .arg(&copy)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        let report = json_of(&out);
        let sum = exercise(&report, "sum");
        assert_eq!(sum["status"], status, "{who}: {sum:#}");
    }
}

/// A grader stopped with SIGTERM (or Ctrl-C) while a learner's test hangs stops everything it
/// started and removes its temp dirs before it exits.
#[test]
fn a_stopped_grader_leaves_nothing_behind() {
    let dir = workdir();
    let course = course_in(dir.path());
    let class = dir.path().join("class");
    for who in ["hangs", "honest"] {
        learner(&class.join(who), who);
    }
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let exe = assert_cmd::cargo::cargo_bin("tokiolings");
    let mut grader = std::process::Command::new(exe)
        .arg("--course")
        .arg(&course)
        .args(["--timeout", "60", "grade", "--no-sandbox", "--class"])
        .arg(&class)
        .arg("--output")
        .arg(dir.path().join("report"))
        .env("TMPDIR", &tmp)
        .env_remove("CARGO_TARGET_DIR")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the hanging test runs (its binary lives in this course's scratch target; other
    // tests running at the same time have hanging tests of the same name).
    let here = dir.path().to_string_lossy().into_owned();
    let ours = || -> Vec<String> {
        common::processes_matching("greets_by_name")
            .into_iter()
            .filter(|p| p.contains(&here))
            .collect()
    };
    let started = std::time::Instant::now();
    while ours().is_empty() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "the hanging test never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(grader.id() as i32).unwrap(),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    let status = grader.wait().unwrap();
    assert_eq!(status.code(), Some(130), "exit status {status:?}");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let left = ours();
    assert!(left.is_empty(), "left running: {left:?}");
    let temp: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(temp.is_empty(), "temp dirs left: {temp:?}");
}

/// A slow but honest learner graded first, next to a class whose tests hang, still passes: the
/// program check runs before any test (a test never shares a core with the grader's own
/// build), and hung tests give their CPU slot back while they wait for their deadline. Prints
/// the class's figures (no timing is asserted: machines are shared).
#[test]
fn a_slow_honest_learner_passes_next_to_a_class_of_hangs() {
    let dir = workdir();
    let course = course_in(dir.path());
    let class = dir.path().join("class");
    learner(&class.join("a-slow-honest"), "slow_honest");
    let hangs = 8;
    for n in 0..hangs {
        learner(&class.join(format!("hangs-{n}")), "hangs");
    }
    let out = dir.path().join("report");
    let started = std::time::Instant::now();
    let run = tokiolings(&course)
        .current_dir(dir.path())
        .args(["grade", "--section", "basics", "--class"])
        .arg(&class)
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(run.status.code(), Some(0), "{}", stderr_of(&run));
    let student = |name: &str| student_report(&out, name);
    let honest = student("a-slow-honest");
    assert_eq!(exercise(&honest, "sum")["status"], "pass", "{honest:#}");
    for n in 0..hangs {
        let r = student(&format!("hangs-{n}"));
        assert_eq!(exercise(&r, "greet")["status"], "timeout", "{r:#}");
    }
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "class of {} learners, {} hanging tests with a 3 s deadline: graded in {:.1} s",
        hangs + 1,
        hangs * 2,
        took.as_secs_f64()
    );
}
