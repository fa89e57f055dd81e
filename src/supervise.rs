//! Process supervision: every process the grader starts (cargo, test binaries, `main`) runs here,
//! in its own process group, with a deadline, capped output and closed stdin.
//!
//! On the deadline the whole group gets SIGTERM, then SIGKILL after a short grace (nextest's
//! model). A group that outlives its leader is killed too and reported as leaked, and dropping a
//! [`run`] future part-way (a stale run cancelled by a new save) kills the group as well.

use std::io::Read;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rustix::process::{Pid, Signal, kill_process_group, test_kill_process_group};
use tokio::process::Command;

/// How long a timed-out group gets between SIGTERM and SIGKILL.
pub const GRACE: Duration = Duration::from_millis(300);
/// Output kept per process; the rest is counted, not stored.
pub const DEFAULT_OUTPUT_CAP: usize = 64 * 1024;
/// How long to wait for the output pipe to close after the leader exits.
const LEAK_WAIT: Duration = Duration::from_millis(150);

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `None` means no deadline (cargo builds: compile time never counts against a test).
    pub deadline: Option<Duration>,
    pub output_cap: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
    TimedOut,
}

impl Exit {
    pub fn success(self) -> bool {
        self == Exit::Code(0)
    }
}

#[derive(Debug)]
pub struct Finished {
    pub exit: Exit,
    /// stdout and stderr interleaved in the order they were written, lossily decoded.
    pub output: String,
    /// Bytes written past the cap and dropped.
    pub dropped: u64,
    /// The last few KiB of the dropped bytes, lossily decoded: a flood's panic message comes
    /// last, after the kept output.
    pub tail: String,
    /// Processes of the group were still alive after the leader exited (they were killed).
    pub leaked: bool,
    pub duration: Duration,
}

/// Kills the whole group when dropped: the run was cancelled or has ended.
struct GroupGuard(Pid);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        let _ = kill_process_group(self.0, Signal::KILL);
    }
}

/// Runs `cmd` to completion under `limits`. stdin, stdout and stderr of `cmd` are replaced.
pub async fn run(cmd: Command, limits: Limits) -> Result<Finished> {
    run_inner(cmd, limits, None, None).await
}

/// After this long a group that uses almost no CPU counts as waiting (a hang, a long sleep).
const IDLE_AFTER: Duration = Duration::from_secs(1);
/// How often a group's CPU time is sampled, and the share below which it is idle.
const IDLE_SAMPLE: Duration = Duration::from_millis(250);
const IDLE_SHARE: f64 = 0.05;

/// Like [`run`], and calls `idle` once the group has waited (used under 5 % of a core for a
/// while, after its first second): a test that only waits for its deadline then gives its CPU
/// slot to another, so a class full of hangs costs about its deadlines, not deadlines × tests
/// ÷ cores.
pub async fn run_releasing_when_idle(
    cmd: Command,
    limits: Limits,
    idle: Box<dyn FnOnce() + Send>,
) -> Result<Finished> {
    run_inner(cmd, limits, None, Some(idle)).await
}

/// Like [`run`], but stdout goes line by line to `lines` (uncapped: cargo's JSON messages)
/// and only stderr is kept in [`Finished::output`].
pub async fn run_with_stdout_lines(
    cmd: Command,
    limits: Limits,
    lines: tokio::sync::mpsc::UnboundedSender<String>,
) -> Result<Finished> {
    run_inner(cmd, limits, Some(lines), None).await
}

async fn run_inner(
    mut cmd: Command,
    limits: Limits,
    stdout_lines: Option<tokio::sync::mpsc::UnboundedSender<String>>,
    idle: Option<Box<dyn FnOnce() + Send>>,
) -> Result<Finished> {
    let (reader, writer) = std::io::pipe().context("failed to create an output pipe")?;
    let mut line_reader = None;
    if let Some(tx) = stdout_lines {
        let (out_reader, out_writer) = std::io::pipe().context("failed to create a pipe")?;
        cmd.stdout(out_writer);
        line_reader = Some((out_reader, tx));
    } else {
        cmd.stdout(
            writer
                .try_clone()
                .context("failed to clone the output pipe")?,
        );
    }
    cmd.stdin(Stdio::null())
        .stderr(writer)
        .process_group(0)
        .kill_on_drop(true);
    let program = cmd.as_std().get_program().to_string_lossy().into_owned();
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("failed to start `{program}`"))?;
    // The Command holds the pipe's write ends: drop it so EOF arrives when the group is done.
    drop(cmd);
    let pid = child
        .id()
        .context("the child exited before its pid was read")?;
    let pgid = Pid::from_raw(pid as i32).context("invalid pid")?;
    let guard = GroupGuard(pgid);
    let output = spawn_reader(reader, limits.output_cap)?;
    let lines_done = match line_reader {
        Some((r, tx)) => Some(spawn_line_reader(r, tx)?),
        None => None,
    };

    let waited = async {
        match limits.deadline {
            None => Some(child.wait().await),
            Some(d) => tokio::time::timeout(d, child.wait()).await.ok(),
        }
    };
    let status = match idle {
        None => waited.await.transpose()?,
        Some(idle) => tokio::select! {
            s = waited => s.transpose()?,
            // Never finishes: it only calls `idle` (at most once) while the test runs.
            _ = watch_idle(pgid, idle) => unreachable!("watch_idle never returns"),
        },
    };
    let exit = match status {
        Some(status) => exit_of(status),
        None => {
            let _ = kill_process_group(pgid, Signal::TERM);
            if tokio::time::timeout(GRACE, child.wait()).await.is_err() {
                let _ = kill_process_group(pgid, Signal::KILL);
                child.wait().await?;
            }
            Exit::TimedOut
        }
    };
    let duration = start.elapsed();
    let leaked = exit != Exit::TimedOut && test_kill_process_group(pgid).is_ok();
    drop(guard);

    // A process that left the group (setsid) may still hold the pipe: don't wait for it forever.
    let (bytes, dropped, tail) = match tokio::time::timeout(LEAK_WAIT, output).await {
        Ok(Ok(r)) => r,
        _ => (Vec::new(), 0, Vec::new()),
    };
    if let Some(done) = lines_done {
        // Every stdout line has been handed over before `run` returns.
        let _ = tokio::time::timeout(LEAK_WAIT, done).await;
    }
    Ok(Finished {
        exit,
        output: String::from_utf8_lossy(&bytes).into_owned(),
        dropped,
        tail: String::from_utf8_lossy(&tail).into_owned(),
        leaked,
        duration,
    })
}

fn exit_of(status: ExitStatus) -> Exit {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => Exit::Code(c),
        (None, Some(s)) => Exit::Signal(s),
        (None, None) => Exit::Code(-1),
    }
}

/// Pipe buffer asked of the kernel for test output (Linux's default ceiling for unprivileged
/// processes): a test that floods its output then writes into a full megabyte, not 64 KiB.
const PIPE_SIZE: usize = 1 << 20;
/// How much of the dropped output is kept as [`Finished::tail`].
const TAIL: usize = 4 * 1024;
/// Read size of the output reader.
const READ_CHUNK: usize = 256 * 1024;
/// Past this many bytes a process is flooding: the reader naps between short reads.
const FLOOD_AFTER: u64 = 256 * 1024;
/// How long the reader naps: long enough for the pipe to fill, short enough that a flooding
/// writer (about 100 MB/s of `println!`) seldom finds it full.
const FLOOD_NAP: Duration = Duration::from_millis(5);

/// What the output reader got: the kept bytes, the count of dropped ones, their tail.
type Captured = (Vec<u8>, u64, Vec<u8>);

/// Reads the pipe on a detached thread (a leaked grandchild may hold it open for ever, and a
/// detached thread never blocks the grader's exit), keeping at most `cap` bytes.
///
/// A test under `--nocapture` writes each line with its own `write` (std's stdout is line
/// buffered); a reader blocked on the pipe would be woken for every one, and the context
/// switches made a 4-million-line flood take 2-3× as long as its writer alone. Once a process
/// has written more than [`FLOOD_AFTER`], a short read means the reader is ahead: it naps so
/// that the next read takes a large chunk, while the big pipe keeps the writer from blocking.
fn spawn_reader(
    mut reader: std::io::PipeReader,
    cap: usize,
) -> Result<tokio::sync::oneshot::Receiver<Captured>> {
    // Best effort: a smaller pipe only costs speed.
    let _ = rustix::pipe::fcntl_setpipe_size(&reader, PIPE_SIZE);
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("output-reader".into())
        .spawn(move || {
            let mut kept = Vec::new();
            let mut dropped = 0u64;
            let mut seen = 0u64;
            let mut tail = Vec::new();
            let mut buf = vec![0u8; READ_CHUNK];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        let room = cap.saturating_sub(kept.len()).min(n);
                        kept.extend_from_slice(&buf[..room]);
                        dropped += (n - room) as u64;
                        let past = &buf[room..n];
                        tail.extend_from_slice(&past[past.len().saturating_sub(TAIL)..]);
                        tail.drain(..tail.len().saturating_sub(TAIL));
                        seen += n as u64;
                        if seen > FLOOD_AFTER && n < READ_CHUNK / 2 {
                            std::thread::sleep(FLOOD_NAP);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = tx.send((kept, dropped, tail));
        })
        .context("failed to start an output reader thread")?;
    Ok(rx)
}

fn spawn_line_reader(
    reader: std::io::PipeReader,
    tx: tokio::sync::mpsc::UnboundedSender<String>,
) -> Result<tokio::sync::oneshot::Receiver<()>> {
    use std::io::BufRead;
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("stdout-lines".into())
        .spawn(move || {
            let mut reader = std::io::BufReader::new(reader);
            let mut line = Vec::new();
            while let Ok(n) = reader.read_until(b'\n', &mut line) {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&line);
                let _ = tx.send(text.trim_end_matches(['\n', '\r']).to_string());
                line.clear();
            }
            let _ = done_tx.send(());
        })
        .context("failed to start an output reader thread")?;
    Ok(done_rx)
}

/// Human name of a signal number, for verdict messages.
/// Calls `idle` once the group `pgid` has used less than [`IDLE_SHARE`] of a core over two
/// samples in a row (after [`IDLE_AFTER`]); then waits for ever.
async fn watch_idle(pgid: Pid, idle: Box<dyn FnOnce() + Send>) {
    tokio::time::sleep(IDLE_AFTER).await;
    let mut last = group_cpu_ticks(pgid);
    let mut quiet = 0;
    let ticks_per_sample = IDLE_SAMPLE.as_secs_f64() * clock_ticks_per_second();
    loop {
        tokio::time::sleep(IDLE_SAMPLE).await;
        let now = group_cpu_ticks(pgid);
        let used = now.saturating_sub(last) as f64;
        last = now;
        quiet = if used < IDLE_SHARE * ticks_per_sample {
            quiet + 1
        } else {
            0
        };
        if quiet >= 2 {
            idle();
            return std::future::pending().await;
        }
    }
}

/// User + system CPU time of every process in group `pgid`, in clock ticks (from /proc).
fn group_cpu_ticks(pgid: Pid) -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut total = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // Fields after the command (which may hold spaces) in `(…)`: state ppid pgrp … utime stime.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let num = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
        if num(2) == Some(pgid.as_raw_nonzero().get() as u64) {
            total += num(11).unwrap_or(0) + num(12).unwrap_or(0);
        }
    }
    total
}

/// Linux's USER_HZ: 100 on every architecture it supports.
fn clock_ticks_per_second() -> f64 {
    100.0
}

pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        _ => return format!("signal {sig}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.arg("-c").arg(script);
        c
    }

    fn limits(deadline_ms: u64) -> Limits {
        Limits {
            deadline: Some(Duration::from_millis(deadline_ms)),
            output_cap: 1024,
        }
    }

    /// The pid a script wrote, once the kill has had time to land.
    fn pid_in(file: &std::path::Path) -> i32 {
        std::thread::sleep(Duration::from_millis(100));
        std::fs::read_to_string(file)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    fn alive(pid: i32) -> bool {
        rustix::process::test_kill_process(Pid::from_raw(pid).unwrap()).is_ok()
            && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|s| s.contains(") Z "))
                .unwrap_or(true)
    }

    #[tokio::test]
    async fn reports_exit_code_and_interleaved_output() {
        let f = run(sh("echo out; echo err >&2; exit 3"), limits(5000))
            .await
            .unwrap();
        assert_eq!(f.exit, Exit::Code(3));
        assert_eq!(f.output, "out\nerr\n");
        assert!(!f.leaked);
    }

    #[tokio::test]
    async fn caps_output_and_counts_the_rest() {
        let f = run(sh("head -c 5000 /dev/zero"), limits(5000))
            .await
            .unwrap();
        assert_eq!(f.output.len(), 1024);
        assert_eq!(f.dropped, 5000 - 1024);
    }

    #[tokio::test]
    async fn a_line_by_line_flood_is_counted_to_the_last_byte() {
        // 2 million lines, one `write` each: the reader naps between reads and must still
        // count every byte, and keep only the cap.
        let f = run(
            sh("i=0; while [ $i -lt 20 ]; do seq 1 100000; i=$((i+1)); done"),
            limits(60_000),
        )
        .await
        .unwrap();
        let total: u64 = 20
            * (1..=100_000u64)
                .map(|n| n.to_string().len() as u64 + 1)
                .sum::<u64>();
        assert_eq!(f.exit, Exit::Code(0));
        assert_eq!(f.output.len(), 1024);
        assert_eq!(f.output.len() as u64 + f.dropped, total);
        assert!(f.tail.ends_with("99999\n100000\n"), "{:?}", f.tail);
        assert_eq!(f.tail.len(), TAIL);
    }

    #[tokio::test]
    async fn deadline_kills_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        // The grandchild ignores SIGTERM, so only the SIGKILL after the grace period ends it.
        let script = format!(
            "sh -c 'trap \"\" TERM; echo $$ > {}; while :; do sleep 1; done' & wait",
            pidfile.display()
        );
        let f = run(sh(&script), limits(300)).await.unwrap();
        assert_eq!(f.exit, Exit::TimedOut);
        let pid = pid_in(&pidfile);
        assert!(!alive(pid), "grandchild {pid} survived the deadline");
    }

    #[tokio::test]
    async fn leftover_processes_are_reported_and_killed() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let script = format!(
            "sleep 30 >/dev/null 2>&1 & echo $! > {}; exit 0",
            pidfile.display()
        );
        let f = run(sh(&script), limits(5000)).await.unwrap();
        assert_eq!(f.exit, Exit::Code(0));
        assert!(f.leaked);
        let pid = pid_in(&pidfile);
        assert!(!alive(pid), "leaked child {pid} still running");
    }

    #[tokio::test]
    async fn stdin_is_closed() {
        let f = run(sh("cat; echo done"), limits(5000)).await.unwrap();
        assert_eq!(f.output, "done\n");
    }

    #[tokio::test]
    async fn dropping_the_run_kills_the_group() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let script = format!("echo $$ > {}; sleep 30", pidfile.display());
        let fut = run(sh(&script), limits(60_000));
        let _ = tokio::time::timeout(Duration::from_millis(500), fut).await;
        let pid = pid_in(&pidfile);
        assert!(!alive(pid), "cancelled run {pid} still running");
    }

    #[tokio::test]
    async fn a_waiting_group_gives_its_slot_back_and_a_busy_one_keeps_it() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        let released = |flag: &Arc<AtomicBool>| -> Box<dyn FnOnce() + Send> {
            let flag = flag.clone();
            Box::new(move || flag.store(true, Ordering::SeqCst))
        };
        let (waiting, busy) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
        );
        let (w, b) = tokio::join!(
            run_releasing_when_idle(sh("sleep 30"), limits(2_500), released(&waiting)),
            run_releasing_when_idle(sh("while :; do :; done"), limits(2_500), released(&busy)),
        );
        assert_eq!(w.unwrap().exit, Exit::TimedOut);
        assert_eq!(b.unwrap().exit, Exit::TimedOut);
        assert!(
            waiting.load(Ordering::SeqCst),
            "a sleeping test kept its slot"
        );
        assert!(
            !busy.load(Ordering::SeqCst),
            "a busy test gave its slot away"
        );
    }
}
