//! The sandbox a graded test runs in: `tokiolings __sandbox run SPEC EXE ARGS…` is what the
//! checker starts instead of `EXE ARGS…` in grade mode (a helper process, since the crate forbids
//! the `unsafe` that `pre_exec` needs).
//!
//! The helper (the *leader*, which the checker supervises as usual) starts, through `unshare`,
//! an *init* in new PID and mount namespaces (and a network namespace with only loopback up).
//! The init makes the course, the submissions and the canonical tests read-only, drops every
//! capability, sets the rlimits, runs the test as its child, and when the test ends kills
//! whatever it left running — a process that left the test's process group too, which the
//! namespace makes visible. The leader then ends the way the test ended (same exit code, same
//! signal), so the verdict reads it as if there were no sandbox; leftovers are reported by
//! keeping a marker process in the leader's group, which the supervisor sees as a leak.
//! Without namespaces (not root, no `unshare`) the leader applies the rlimits itself.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use rustix::process::{Resource, Rlimit, Signal, setrlimit};
use serde::{Deserialize, Serialize};

/// The first argument that selects the helper (hidden from `--help`).
pub const ARG: &str = "__sandbox";
/// The init could not set the sandbox up; the leader exits with this.
const SETUP_FAILED: i32 = 97;

/// What the sandbox enforces; serialized as the helper's first argument.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Spec {
    /// PID + mount namespaces (needs `unshare` and root).
    pub namespaces: bool,
    /// A network namespace with only loopback (with `namespaces`; needs `ip`).
    pub isolate_network: bool,
    /// Bind-mounted read-only in the mount namespace.
    pub read_only: Vec<PathBuf>,
    /// Bound writable again after the read-only ones (they may sit inside them): where the
    /// test harness writes its log file. The init narrows it to the dir of its own `--logfile`.
    #[serde(default)]
    pub writable: Vec<PathBuf>,
    /// A fresh, private tmpfs mounted here for each test (its `HOME` and `TMPDIR`), so tests
    /// never see each other's files.
    #[serde(default)]
    pub private_home: Option<PathBuf>,
    pub memory_bytes: Option<u64>,
    pub cpu_secs: Option<u64>,
    pub file_size_bytes: Option<u64>,
    /// How many more tasks (processes and threads) the test may start: RLIMIT_NPROC counts
    /// every task of the user, so the limit is set to their count now plus this.
    pub extra_tasks: Option<u64>,
    /// Where the leader makes its status dir: the grader's, removed when grading ends (a
    /// leader killed at the deadline can't clean up after itself).
    pub status_root: Option<PathBuf>,
    /// Set by the leader for the init.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nproc: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PathBuf>,
}

/// How the test ended, as the init tells the leader.
#[derive(Debug, PartialEq, Eq)]
enum Ending {
    Exit(i32),
    Signal(i32),
}

/// Entry point, called before anything else when `args[1] == ARG`.
pub fn main(args: Vec<std::ffi::OsString>) -> std::process::ExitCode {
    let mode = args.get(2).and_then(|m| m.to_str()).unwrap_or("");
    let run = || -> Result<()> {
        match mode {
            "marker" => {
                std::thread::sleep(Duration::from_secs(60));
                Ok(())
            }
            "probe" => {
                let arg = |i: usize| args.get(i).and_then(|a| a.to_str()).unwrap_or("");
                probe(Path::new(arg(3)), arg(4) == "1", arg(5) == "1")
            }
            "run" | "init" => {
                let spec: Spec = serde_json::from_str(
                    args.get(3)
                        .and_then(|s| s.to_str())
                        .context("missing sandbox spec")?,
                )
                .context("bad sandbox spec")?;
                let exe = args.get(4).context("missing the program to run")?;
                let rest = &args[5.min(args.len())..];
                if mode == "run" {
                    leader(spec, exe.as_ref(), rest)
                } else {
                    init(spec, exe.as_ref(), rest)
                }
            }
            _ => bail!("unknown sandbox mode {mode:?}"),
        }
    };
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tokiolings sandbox: {e:#}");
            std::process::ExitCode::from(SETUP_FAILED as u8)
        }
    }
}

fn leader(mut spec: Spec, exe: &Path, args: &[std::ffi::OsString]) -> Result<()> {
    if let Some(extra) = spec.extra_tasks {
        spec.nproc = Some(user_tasks() + extra);
    }
    if !spec.namespaces {
        apply_limits(&spec)?;
        drop_capabilities();
        let status = Command::new(exe)
            .args(args)
            .status()
            .with_context(|| format!("failed to start {}", exe.display()))?;
        end_like(ending_of(status), false);
    }
    // The status file is written by the init through a descriptor opened before its directory
    // became read-only, so the test can't forge or replace it.
    let mut dir = tempfile::Builder::new();
    dir.prefix("tokiolings-status-");
    let dir = match &spec.status_root {
        Some(root) => dir.tempdir_in(root),
        None => dir.tempdir(),
    }
    .context("failed to create the sandbox status dir")?;
    let status_path = dir.path().join("status");
    File::create(&status_path)?;
    spec.read_only.push(dir.path().to_path_buf());
    spec.status = Some(status_path.clone());
    let mut cmd = Command::new("unshare");
    cmd.args([
        "--pid",
        "--fork",
        "--kill-child",
        "--mount-proc",
        "--mount",
        "--propagation",
        "private",
    ]);
    if spec.isolate_network {
        cmd.arg("--net");
    }
    cmd.arg("--")
        .arg(std::env::current_exe().context("failed to find the tokiolings executable")?)
        .args([ARG, "init", &serde_json::to_string(&spec)?])
        .arg(exe)
        .args(args);
    let status = cmd.status().context("failed to start `unshare`")?;
    let text = std::fs::read_to_string(&status_path).unwrap_or_default();
    drop(dir);
    match parse_status(&text) {
        Some((ending, leaked)) => end_like(ending, leaked),
        // The init never reported (it failed to start): end as `unshare` did.
        None => end_like(ending_of(status), false),
    }
}

fn init(mut spec: Spec, exe: &Path, args: &[std::ffi::OsString]) -> Result<()> {
    spec.writable = own_log_dir(&spec.writable, args);
    let status_path = spec.status.clone().context("no status file")?;
    let mut status = std::fs::OpenOptions::new()
        .write(true)
        .open(&status_path)
        .with_context(|| format!("failed to open {}", status_path.display()))?;
    // Not dumpable: the test (same uid) can't reach this process's descriptors through /proc.
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
    if let Err(e) = set_up(&spec) {
        let _ = writeln!(status, "setup {e:#}");
        return Err(e);
    }
    let mut child = Command::new(exe)
        .args(args)
        .spawn()
        .with_context(|| format!("failed to start {}", exe.display()))?;
    let ending = ending_of(child.wait()?);
    let leaked = kill_leftovers();
    let (word, n) = match ending {
        Ending::Exit(c) => ("exit", c),
        Ending::Signal(s) => ("signal", s),
    };
    writeln!(
        status,
        "{word} {n} {}",
        if leaked { "leaked" } else { "clean" }
    )?;
    Ok(())
}

/// Of the writable dirs, only the one holding this test's own `--logfile` stays writable (none
/// for a `main` or a `--list`): a test must not write, or forge, another learner's results.
fn own_log_dir(writable: &[PathBuf], args: &[std::ffi::OsString]) -> Vec<PathBuf> {
    let logfile = args
        .iter()
        .position(|a| a == "--logfile")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    match logfile.as_deref().and_then(Path::parent) {
        Some(dir) if writable.iter().any(|w| dir.starts_with(w)) => vec![dir.to_path_buf()],
        _ => Vec::new(),
    }
}

/// The probe test `limits` runs through a candidate sandbox: protected dirs must be read-only
/// and, when isolated, loopback must work and the outside must be unreachable.
fn probe(dir: &Path, read_only: bool, isolated: bool) -> Result<()> {
    let written = std::fs::write(dir.join("probe"), "x");
    match (read_only, written) {
        (true, Ok(())) => bail!("{} is still writable", dir.display()),
        (true, Err(e)) if e.raw_os_error() != Some(rustix::io::Errno::ROFS.raw_os_error()) => {
            bail!("writing to {} failed oddly: {e}", dir.display())
        }
        (false, Err(e)) => bail!("cannot write to {}: {e}", dir.display()),
        _ => {}
    }
    if isolated {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").context("loopback is down")?;
        std::net::TcpStream::connect(listener.local_addr()?).context("loopback is down")?;
        // TEST-NET-1: never routed; in an isolated namespace there is no route at all.
        let outside = "192.0.2.1:9".parse()?;
        match std::net::TcpStream::connect_timeout(&outside, Duration::from_secs(2)) {
            Err(e) if e.kind() != std::io::ErrorKind::TimedOut => {}
            _ => bail!("the network is reachable (a connection attempt went out)"),
        }
    }
    Ok(())
}

fn set_up(spec: &Spec) -> Result<()> {
    if spec.isolate_network {
        let ok = Command::new("ip")
            .args(["link", "set", "lo", "up"])
            .stdin(Stdio::null())
            .status()
            .context("failed to run `ip link set lo up`")?;
        if !ok.success() {
            bail!("`ip link set lo up` failed ({ok})");
        }
    }
    use rustix::mount::{MountFlags, mount_bind_recursive, mount_remount};
    for dir in &spec.read_only {
        mount_bind_recursive(dir, dir)
            .with_context(|| format!("failed to bind {}", dir.display()))?;
        mount_remount(dir, MountFlags::BIND | MountFlags::RDONLY, "")
            .with_context(|| format!("failed to make {} read-only", dir.display()))?;
    }
    // A bind mount inherits the read-only flag of the mount it comes from: clear it.
    for dir in &spec.writable {
        rustix::mount::mount_bind(dir, dir)
            .with_context(|| format!("failed to bind {}", dir.display()))?;
        mount_remount(dir, MountFlags::BIND, "")
            .with_context(|| format!("failed to make {} writable", dir.display()))?;
    }
    if let Some(home) = &spec.private_home {
        rustix::mount::mount(
            "tmpfs",
            home,
            "tmpfs",
            MountFlags::NOSUID | MountFlags::NODEV,
            c"size=256m,mode=0700",
        )
        .with_context(|| format!("failed to mount a private tmpfs at {}", home.display()))?;
    }
    apply_limits(spec)?;
    drop_capabilities();
    Ok(())
}

fn apply_limits(spec: &Spec) -> Result<()> {
    let set = |r: Resource, soft: u64, hard: u64, what: &str| {
        setrlimit(
            r,
            Rlimit {
                current: Some(soft),
                maximum: Some(hard),
            },
        )
        .with_context(|| format!("failed to limit {what}"))
    };
    set(Resource::Core, 0, 0, "core dumps")?;
    if let Some(b) = spec.memory_bytes {
        set(Resource::As, b, b, "the address space")?;
    }
    // The soft limit sends SIGXCPU, which names the cause; the hard one is a second later.
    if let Some(s) = spec.cpu_secs {
        set(Resource::Cpu, s, s + 1, "CPU time")?;
    }
    if let Some(b) = spec.file_size_bytes {
        set(Resource::Fsize, b, b, "file sizes")?;
    }
    if let Some(n) = spec.nproc {
        set(Resource::Nproc, n, n, "processes")?;
    }
    Ok(())
}

/// Empties the bounding set: the test runs without capabilities, so it can't undo the
/// read-only mounts, and (as root) RLIMIT_NPROC binds it. A no-op for other users.
fn drop_capabilities() {
    use rustix::thread::{CapabilitySet, remove_capability_from_bounding_set, set_no_new_privs};
    for bit in 0..64 {
        let _ = remove_capability_from_bounding_set(CapabilitySet::from_bits_retain(1 << bit));
    }
    let _ = set_no_new_privs(true);
}

/// Kills every process of the namespace but this init; true if any was still running.
fn kill_leftovers() -> bool {
    let me = rustix::process::getpid().as_raw_nonzero().get();
    let mut found = false;
    // Killed processes may have children of their own that show up next time round.
    for _ in 0..20 {
        let mut round = false;
        for pid in live_pids() {
            if pid != me
                && let Some(p) = rustix::process::Pid::from_raw(pid)
            {
                let _ = rustix::process::kill_process(p, Signal::KILL);
                round = true;
            }
        }
        // Reap what died (orphans are this init's children now).
        while let Ok(Some(_)) = rustix::process::wait(rustix::process::WaitOptions::NOHANG) {}
        if !round {
            break;
        }
        found = true;
        std::thread::sleep(Duration::from_millis(10));
    }
    found
}

/// Pids in /proc that are not zombies.
fn live_pids() -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| s.rsplit_once(')').map(|(_, r)| r.trim_start().to_string()))
                .is_some_and(|r| !r.starts_with('Z') && !r.starts_with('X'))
        })
        .collect()
}

/// Tasks (threads included) whose real uid is ours: what RLIMIT_NPROC counts.
fn user_tasks() -> u64 {
    let uid = rustix::process::getuid().as_raw();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut total = 0;
    for e in entries.flatten() {
        if e.file_name()
            .to_str()
            .is_none_or(|n| n.parse::<u32>().is_err())
        {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(e.path().join("status")) else {
            continue;
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        };
        if field("Uid:") == Some(u64::from(uid)) {
            total += field("Threads:").unwrap_or(1);
        }
    }
    total
}

fn ending_of(status: ExitStatus) -> Ending {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => Ending::Exit(c),
        (None, Some(s)) => Ending::Signal(s),
        (None, None) => Ending::Exit(SETUP_FAILED),
    }
}

fn parse_status(text: &str) -> Option<(Ending, bool)> {
    let mut words = text.split_whitespace();
    let ending = match (words.next()?, words.next()?.parse().ok()?) {
        ("exit", c) => Ending::Exit(c),
        ("signal", s) => Ending::Signal(s),
        _ => return None,
    };
    Some((ending, words.next() == Some("leaked")))
}

/// Ends this process as the test ended. Leftovers were killed by the init; a marker left in
/// this process group makes the supervisor report them.
// The helper must end with the test's own code or signal, which `ExitCode` can't express.
#[allow(clippy::disallowed_methods)]
fn end_like(ending: Ending, leaked: bool) -> ! {
    if leaked && let Ok(me) = std::env::current_exe() {
        let _ = Command::new(me)
            .args([ARG, "marker"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }
    match ending {
        Ending::Exit(code) => std::process::exit(code),
        Ending::Signal(sig) => {
            let _ = setrlimit(
                Resource::Core,
                Rlimit {
                    current: Some(0),
                    maximum: Some(0),
                },
            );
            if let Some(s) = Signal::from_named_raw(sig) {
                let _ = rustix::process::kill_process(rustix::process::getpid(), s);
                std::thread::sleep(Duration::from_secs(1));
            }
            // Ignored signals (std ignores SIGPIPE): the shell's convention.
            std::process::exit(128 + sig)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_round_trip() {
        assert_eq!(
            parse_status("exit 101 clean\n"),
            Some((Ending::Exit(101), false))
        );
        assert_eq!(
            parse_status("signal 6 leaked\n"),
            Some((Ending::Signal(6), true))
        );
        assert_eq!(parse_status("setup failed to bind"), None);
        assert_eq!(parse_status(""), None);
    }

    #[test]
    fn counts_this_users_tasks() {
        // This test's own threads at least.
        assert!(user_tasks() >= 1);
    }

    #[test]
    fn only_the_tests_own_log_dir_stays_writable() {
        let roots = [PathBuf::from("/tmp/logs")];
        let args = |a: &[&str]| a.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(
            own_log_dir(
                &roots,
                &args(&["--exact", "t", "--logfile", "/tmp/logs/s1/0.log"])
            ),
            [PathBuf::from("/tmp/logs/s1")]
        );
        // Not under a writable root, or no log file at all: nothing is writable.
        assert!(own_log_dir(&roots, &args(&["--logfile", "/etc/x.log"])).is_empty());
        assert!(own_log_dir(&roots, &args(&["--list"])).is_empty());
    }
}
