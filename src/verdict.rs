//! The verdict: how a supervised test process becomes a pass, fail or timeout, and the advice
//! attached to each. A test passes only when libtest itself reported it passed (its logfile),
//! the process exited 0 and left nothing running.

use std::path::Path;
use std::time::Duration;

use crate::report::{ExerciseResult, Status, TestResult, TestStatus};
use crate::supervise::{Exit, Finished, signal_name};

/// What the test harness wrote about one test in its `--logfile`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Harness {
    Ok,
    Failed,
    Ignored,
    /// The harness wrote nothing: the process ended before the test finished.
    Silent,
}

/// The most of a harness log the grader reads: a line per test is all it needs.
const LOG_CAP: u64 = 64 * 1024;

impl Harness {
    /// Reads the harness's `--logfile` as untrusted input (the test could replace it): no
    /// links followed, regular files only, never blocking, at most [`LOG_CAP`] bytes; so a FIFO
    /// or a link to `/dev/zero` in its place can't hang or bloat the grader.
    pub fn from_log_path(path: &Path, test: &str) -> Self {
        use std::io::Read;
        use std::os::unix::fs::OpenOptionsExt;
        let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
        let Ok(file) = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(flags.bits() as i32)
            .open(path)
        else {
            return Harness::Silent;
        };
        if !file.metadata().is_ok_and(|m| m.is_file()) {
            return Harness::Silent;
        }
        let mut bytes = Vec::new();
        if file.take(LOG_CAP).read_to_end(&mut bytes).is_err() {
            return Harness::Silent;
        }
        Self::from_logfile(&String::from_utf8_lossy(&bytes), test)
    }

    pub fn from_logfile(text: &str, test: &str) -> Self {
        for line in text.lines() {
            match line.split_once(' ') {
                Some(("ok", n)) if n == test => return Harness::Ok,
                Some(("failed", n)) if n == test => return Harness::Failed,
                Some(("ignored", n)) if n == test => return Harness::Ignored,
                _ => {}
            }
        }
        Harness::Silent
    }
}

/// Maps a test (or `main`) process to its verdict.
pub fn judge_test(name: &str, run: &Finished, harness: Harness, deadline: Duration) -> TestResult {
    let output = clean_output(name, &run.output, run.dropped);
    let (status, message) = match run.exit {
        Exit::TimedOut => (
            TestStatus::Timeout,
            format!(
                "ran past its {} deadline and was stopped (with every process it started)",
                humantime::format_duration(deadline)
            ),
        ),
        _ if run.leaked => (
            TestStatus::Fail,
            "it left processes running after it finished; they were killed".to_string(),
        ),
        Exit::Code(0) if harness == Harness::Ok => (TestStatus::Pass, String::new()),
        Exit::Code(0) if harness == Harness::Ignored => (
            TestStatus::Fail,
            "the test is marked `#[ignore]`, so it did not run".to_string(),
        ),
        Exit::Code(code) if harness == Harness::Silent => (
            TestStatus::Fail,
            format!(
                "the test process exited (code {code}) before the test harness reported a result: \
                 did the code call `std::process::exit`?"
            ),
        ),
        Exit::Code(_) => (TestStatus::Fail, failure_message(&seen_output(run))),
        Exit::Signal(sig) => {
            let why = if run.output.contains("has overflowed its stack") {
                "it overflowed its stack (endless recursion?)".to_string()
            } else {
                format!("it crashed ({})", signal_name(sig))
            };
            let panic = panic_message(&seen_output(run))
                .map(|p| format!(": {p}"))
                .unwrap_or_default();
            (TestStatus::Fail, format!("{why}{panic}"))
        }
    };
    TestResult {
        name: name.to_string(),
        status,
        duration_ms: run.duration.as_millis() as u64,
        message,
        output,
    }
}

/// The kept output and, after a flood, the tail of the rest (where a panic message is).
pub fn seen_output(run: &Finished) -> std::borrow::Cow<'_, str> {
    if run.dropped == 0 {
        return run.output.as_str().into();
    }
    // The tail may start mid-line: its first line is not read as a message.
    let tail = run.tail.split_once('\n').map_or("", |(_, rest)| rest);
    format!("{}\n{tail}", run.output).into()
}

fn failure_message(output: &str) -> String {
    let mut msg = panic_message(output).unwrap_or_else(|| "the test failed".to_string());
    if let Some(hint) = panic_hint(output) {
        msg.push_str("\nhint: ");
        msg.push_str(hint);
    }
    msg
}

/// The last panic's message and location: `assertion failed: x == 2 (at src/a.rs:3:5)`. The
/// last, because a test that runs the learner's code in a task turns the task's raw panic into
/// an assert that says what went wrong; an earlier panic is named after it, in one line.
pub fn panic_message(output: &str) -> Option<String> {
    let lines: Vec<&str> = output.lines().collect();
    let heads: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("panicked at "))
        .collect();
    let one = |i: usize| -> String {
        let location = lines[i]
            .split_once("panicked at ")
            .map_or("", |(_, loc)| loc.trim_end_matches(':'));
        let body: Vec<&str> = lines[i + 1..]
            .iter()
            .take_while(|l| {
                !l.starts_with("note: ")
                    && !l.starts_with("stack backtrace")
                    && !l.contains("panicked at ")
            })
            .take(12)
            .copied()
            .collect();
        let body = body.join("\n");
        if body.trim().is_empty() {
            format!("panicked at {location}")
        } else {
            format!("{} (at {location})", body.trim_end())
        }
    };
    let last = one(*heads.last()?);
    Some(match heads.first() {
        Some(&first) if heads.len() > 1 => {
            let earlier = one(first);
            let earlier = earlier.lines().next().unwrap_or_default();
            format!("{last}\n(after an earlier panic: {earlier})")
        }
        _ => last,
    })
}

/// Known runtime panics mapped to what the learner should do.
pub fn panic_hint(output: &str) -> Option<&'static str> {
    const HINTS: &[(&str, &str)] = &[
        (
            "Cannot start a runtime from within a runtime",
            "a runtime was started inside another (a `#[tokio::main]` fn or `block_on` called from async code); inside async code, `.await` the future instead",
        ),
        (
            "timers are disabled",
            "this runtime has no time driver: call `.enable_time()` or `.enable_all()` on its builder",
        ),
        (
            "IO is disabled",
            "this runtime has no IO driver: call `.enable_io()` or `.enable_all()` on its builder",
        ),
        (
            "there is no reactor running",
            "this must run inside a Tokio runtime (a `#[tokio::main]`/`#[tokio::test]` fn, or a runtime's `block_on`)",
        ),
        (
            "can call blocking only when running on the multi-threaded runtime",
            "`block_in_place` needs the multi-thread runtime; `spawn_blocking` works on every runtime",
        ),
        (
            "`async fn` resumed after completion",
            "a future was polled again after it finished: in a `select!` loop, disable a completed branch or create a new future",
        ),
        (
            "time::pause()` requires the `current_thread`",
            "paused time only works on the current_thread runtime",
        ),
        (
            "has overflowed its stack",
            "endless recursion: an async fn that calls itself needs `Box::pin`, and a base case",
        ),
    ];
    HINTS
        .iter()
        .find(|(needle, _)| output.contains(needle))
        .map(|(_, hint)| *hint)
}

/// Drops libtest's own chatter so that only what the test printed remains, and thread ids
/// (`thread 'x' (1234) panicked`) so that reports are reproducible.
fn clean_output(test: &str, output: &str, dropped: u64) -> String {
    let prefix = format!("test {test} ... ");
    let noise = |l: &str| {
        l.starts_with("warning: `--logfile` is deprecated")
            || l == "running 1 test"
            || l.starts_with("test result: ")
            || l == "failures:"
            || l == "successes:"
            || l == format!("    {test}")
            || l.starts_with("note: run with `RUST_BACKTRACE=1`")
    };
    let mut kept: Vec<String> = Vec::new();
    for line in output.lines().filter(|l| !noise(l)) {
        // `--nocapture` prints `test NAME ... ` before the test runs: its output follows on
        // the same line, and the result word comes last.
        let line = line.strip_prefix(&prefix).unwrap_or(line);
        if matches!(line, "ok" | "FAILED" | "ignored") {
            continue;
        }
        kept.push(strip_thread_id(line));
    }
    while kept.first().is_some_and(|l| l.trim().is_empty()) {
        kept.remove(0);
    }
    while kept.last().is_some_and(|l| l.trim().is_empty()) {
        kept.pop();
    }
    let mut text = kept.join("\n");
    if dropped > 0 {
        text.push_str(&format!("\n… ({dropped} more bytes of output not shown)"));
    }
    text
}

fn strip_thread_id(line: &str) -> String {
    if let Some(rest) = line.strip_prefix("thread '")
        && let Some((name, tail)) = rest.split_once("' (")
        && let Some((id, after)) = tail.split_once(") ")
        && id.chars().all(|c| c.is_ascii_digit())
    {
        return format!("thread '{name}' {after}");
    }
    line.to_string()
}

/// The exercise's status from its tests: any timeout wins, then any failure.
pub fn exercise_status(tests: &[TestResult]) -> Status {
    if tests.iter().any(|t| t.status == TestStatus::Timeout) {
        Status::Timeout
    } else if tests.is_empty() || tests.iter().any(|t| t.status == TestStatus::Fail) {
        Status::Fail
    } else {
        Status::Pass
    }
}

/// The one-line summary of an exercise that did not pass.
pub fn exercise_message(result: &ExerciseResult) -> String {
    if let Some(t) = result.tests.iter().find(|t| t.status != TestStatus::Pass) {
        let first = t.message.lines().next().unwrap_or_default();
        return format!("{} {}: {first}", t.name, t.status.past_tense());
    }
    if result.tests.is_empty() {
        return "no tests ran".to_string();
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planted_log_can_not_hang_bloat_or_redirect_the_grader() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("ok.log");
        std::fs::write(&ok, "ok t\n").unwrap();
        assert_eq!(Harness::from_log_path(&ok, "t"), Harness::Ok);
        // A link (to a forged log, or to /dev/zero) is not followed.
        let link = dir.path().join("link.log");
        std::os::unix::fs::symlink(&ok, &link).unwrap();
        assert_eq!(Harness::from_log_path(&link, "t"), Harness::Silent);
        let zero = dir.path().join("zero.log");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        assert_eq!(Harness::from_log_path(&zero, "t"), Harness::Silent);
        // A FIFO with no writer would block a plain open for ever.
        let fifo = dir.path().join("fifo.log");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        assert_eq!(Harness::from_log_path(&fifo, "t"), Harness::Silent);
        // Past the cap, nothing more is read: an `ok` after 64 KiB of padding is not seen.
        let big = dir.path().join("big.log");
        std::fs::write(&big, format!("{}\nok t\n", "x".repeat(70_000))).unwrap();
        assert_eq!(Harness::from_log_path(&big, "t"), Harness::Silent);
    }

    fn finished(exit: Exit, output: &str) -> Finished {
        Finished {
            exit,
            output: output.into(),
            dropped: 0,
            tail: String::new(),
            leaked: false,
            duration: Duration::from_millis(5),
        }
    }

    const D: Duration = Duration::from_secs(10);

    #[test]
    fn pass_needs_the_harness_word_and_exit_zero() {
        let t = judge_test("tests::a", &finished(Exit::Code(0), ""), Harness::Ok, D);
        assert_eq!(t.status, TestStatus::Pass);
        // exit(0) with a faked summary line: the harness never wrote `ok`.
        let fake = "test tests::a ... ok\n\ntest result: ok. 1 passed; 0 failed";
        let t = judge_test(
            "tests::a",
            &finished(Exit::Code(0), fake),
            Harness::Silent,
            D,
        );
        assert_eq!(t.status, TestStatus::Fail);
        assert!(t.message.contains("std::process::exit"), "{}", t.message);
    }

    #[test]
    fn leaked_processes_fail_even_when_the_harness_said_ok() {
        let mut f = finished(Exit::Code(0), "");
        f.leaked = true;
        let t = judge_test("tests::a", &f, Harness::Ok, D);
        assert_eq!(t.status, TestStatus::Fail);
        assert!(t.message.contains("left processes running"));
    }

    #[test]
    fn failure_message_is_the_panic_with_its_location_and_hint() {
        let out = "\nrunning 1 test\ntest tests::a ... hello from the test\nthread 'tests::a' (4242) panicked at exercises/x.rs:9:5:\nassertion `left == right` failed: sum\n  left: 1\n right: 2\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\ntest tests::a ... FAILED\n\nfailures:\n\nfailures:\n    tests::a\n\ntest result: FAILED. 0 passed; 1 failed";
        let t = judge_test(
            "tests::a",
            &finished(Exit::Code(101), out),
            Harness::Failed,
            D,
        );
        assert_eq!(t.status, TestStatus::Fail);
        assert_eq!(
            t.message,
            "assertion `left == right` failed: sum\n  left: 1\n right: 2 (at exercises/x.rs:9:5)"
        );
        assert!(
            t.output
                .starts_with("hello from the test\nthread 'tests::a' panicked"),
            "{}",
            t.output
        );
        assert!(!t.output.contains("test result"), "{}", t.output);
    }

    #[test]
    fn known_runtime_panics_get_a_hint() {
        let out = "thread 'tests::a' panicked at src/x.rs:1:1:\nCannot start a runtime from within a runtime. This happens because…\n";
        let t = judge_test(
            "tests::a",
            &finished(Exit::Code(101), out),
            Harness::Failed,
            D,
        );
        assert!(
            t.message
                .contains("hint: a runtime was started inside another"),
            "{}",
            t.message
        );
    }

    #[test]
    fn timeouts_and_crashes_say_what_happened() {
        let t = judge_test(
            "tests::a",
            &finished(Exit::TimedOut, ""),
            Harness::Silent,
            D,
        );
        assert_eq!(t.status, TestStatus::Timeout);
        assert!(t.message.contains("10s deadline"), "{}", t.message);
        let out =
            "\nthread 'tests::a' has overflowed its stack\nfatal runtime error: stack overflow";
        let t = judge_test(
            "tests::a",
            &finished(Exit::Signal(6), out),
            Harness::Silent,
            D,
        );
        assert!(t.message.contains("overflowed its stack"), "{}", t.message);
        let t = judge_test(
            "tests::a",
            &finished(Exit::Signal(6), ""),
            Harness::Silent,
            D,
        );
        assert!(t.message.contains("SIGABRT"), "{}", t.message);
    }

    #[test]
    fn logfile_is_read_per_test() {
        let log = "ok tests::b\nfailed tests::a\n";
        assert_eq!(Harness::from_logfile(log, "tests::a"), Harness::Failed);
        assert_eq!(Harness::from_logfile(log, "tests::b"), Harness::Ok);
        assert_eq!(Harness::from_logfile(log, "tests::c"), Harness::Silent);
        assert_eq!(
            Harness::from_logfile("ok tests::ab", "tests::a"),
            Harness::Silent
        );
    }

    #[test]
    fn capped_output_says_how_much_was_dropped() {
        let mut f = finished(Exit::Code(0), "x");
        f.dropped = 42;
        let t = judge_test("tests::a", &f, Harness::Ok, D);
        assert!(t.output.ends_with("(42 more bytes of output not shown)"));
    }

    #[test]
    fn the_tests_own_panic_is_the_message_and_an_earlier_one_is_named() {
        let out = "thread 'tokio-runtime-worker' (7) panicked at exercises/x.rs:4:9:\nrange end index 9 out of range\nnote: run with `RUST_BACKTRACE=1`\nthread 'tests::a' (6) panicked at exercises/x.rs:30:5:\none read gave half a frame: does it assume one read is one frame?\n";
        assert_eq!(
            panic_message(out).unwrap(),
            "one read gave half a frame: does it assume one read is one frame? (at exercises/x.rs:30:5)\n(after an earlier panic: range end index 9 out of range (at exercises/x.rs:4:9))"
        );
    }
}
