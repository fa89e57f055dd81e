//! The sandbox a graded test runs in: `tokiolings __sandbox run SPEC EXE ARGS…` is what the
//! checker starts instead of `EXE ARGS…` in grade mode (a helper process, since the crate forbids
//! the `unsafe` that `pre_exec` needs).
//!
//! The helper (the *leader*, which the checker supervises as usual) moves itself into a cgroup
//! of the test's own (see `cgroup`: memory, tasks and CPU of the test and its children
//! together), then starts, through `unshare`, an *init* in new PID, mount, cgroup, IPC and UTS
//! namespaces (and a network namespace with only loopback up). The init builds a new root on a tmpfs and
//! `pivot_root`s into it: the system's /usr and /lib* read-only, the test's own binary, a
//! private tmpfs as its cwd, HOME and TMPDIR, a private tmpfs for its harness log file, a
//! minimal /dev with a private /dev/shm, and a /proc of its own with /proc/sys read-only —
//! no /sys, no /run, no course, no other learner. It drops its capabilities' bounding set,
//! sets the rlimits, runs the test as its child under uid/gid 65534 (nobody: no capabilities),
//! and when the test ends kills whatever it left running — a process that left the test's
//! process group too, which the namespace makes visible — and copies the harness's log file
//! out. The leader then ends the way the test ended (same exit code, same signal), so the
//! verdict reads it as if there were no sandbox; leftovers are reported by keeping a marker
//! process in the leader's group, which the supervisor sees as a leak.
//! Without namespaces (not root, no `unshare`) the leader applies the rlimits itself.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use rustix::process::{Resource, Rlimit, Signal, setrlimit};
use serde::{Deserialize, Serialize};

use super::cgroup;

/// The first argument that selects the helper (hidden from `--help`).
pub const ARG: &str = "__sandbox";
/// The init could not set the sandbox up; the leader exits with this.
const SETUP_FAILED: i32 = 97;
/// The uid and gid tests run as in the namespaces (nobody): no capabilities, owns nothing.
pub const TEST_ID: u32 = 65534;
/// Size of the private tmpfs that is the test's cwd, HOME and TMPDIR.
pub const HOME_SIZE: &str = "256m";
/// Size of the private /dev/shm.
pub const SHM_SIZE: &str = "64m";
/// Size of the private tmpfs the harness writes its log file to (copied out after the test),
/// and the most of it that is copied (a sparse file may claim more).
pub const LOG_SIZE: &str = "1m";
const LOG_BYTES: u64 = 1 << 20;
/// The system dirs bound read-only into a test's root (those that exist; symlinks stay links).
const SYSTEM: &[&str] = &["usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"];
/// Files (and dirs) of /etc a test may need: the loader's cache, names of users, hosts and
/// services, certificates, the time zone.
const ETC: &[&str] = &[
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "passwd",
    "group",
    "nsswitch.conf",
    "hosts",
    "host.conf",
    "gai.conf",
    "services",
    "protocols",
    "localtime",
    "ssl",
    "ca-certificates",
    "ca-certificates.conf",
];
/// Device nodes bound into the test's /dev.
const DEVICES: &[&str] = &["null", "zero", "full", "random", "urandom"];
/// /proc entries hidden (files: /dev/null over them; dirs: an empty read-only tmpfs), and
/// those made read-only, as container runtimes do.
const PROC_MASKED: &[&str] = &[
    "kcore",
    "keys",
    "latency_stats",
    "timer_list",
    "timer_stats",
    "sched_debug",
    "kallsyms",
    "kmsg",
    "acpi",
    "asound",
    "scsi",
    "firmware",
];
const PROC_READ_ONLY: &[&str] = &["sys", "sysrq-trigger", "bus", "fs", "irq"];

/// What the sandbox enforces; serialized as the helper's first argument.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Spec {
    /// PID + mount namespaces (needs `unshare` and root).
    pub namespaces: bool,
    /// A network namespace with only loopback (with `namespaces`; needs `ip`).
    pub isolate_network: bool,
    /// Where test harnesses write their log files (with `namespaces`): a test's own
    /// `--logfile` under one of them is written to a private tmpfs and copied there after it.
    #[serde(default)]
    pub writable: Vec<PathBuf>,
    /// A fresh, private tmpfs mounted here for each test (its cwd, `HOME` and `TMPDIR`), so
    /// tests never see each other's files. With `namespaces`, also where the new root is built.
    #[serde(default)]
    pub private_home: Option<PathBuf>,
    /// A cgroup per test (see `cgroup`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cgroup: Option<cgroup::Limits>,
    pub memory_bytes: Option<u64>,
    pub cpu_secs: Option<u64>,
    pub file_size_bytes: Option<u64>,
    /// How many more tasks (processes and threads) the test may start. With a cgroup its pids
    /// limit; else RLIMIT_NPROC, which counts every task of the user, so the limit is set to
    /// their count now plus this.
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
                let protected: Vec<(PathBuf, (u64, u64))> = args
                    .iter()
                    .skip(6)
                    .filter_map(|a| protected_dir(a))
                    .collect();
                probe(Path::new(arg(3)), arg(4) == "1", arg(5) == "1", &protected)
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
    let group = match &spec.cgroup {
        Some(limits) => Some(cgroup::TestGroup::enter(limits)?),
        None => None,
    };
    let pids_limited = spec.cgroup.as_ref().is_some_and(|c| c.tasks.is_some());
    if let Some(extra) = spec.extra_tasks
        && !pids_limited
    {
        // The test's uid: nobody in the namespaces (shared by the tests running at once).
        let uid = if spec.namespaces {
            TEST_ID
        } else {
            rustix::process::getuid().as_raw()
        };
        spec.nproc = Some(tasks_of(uid) + extra);
    }
    if !spec.namespaces {
        apply_limits(&spec)?;
        drop_capabilities();
        let status = Command::new(exe)
            .args(args)
            .status()
            .with_context(|| format!("failed to start {}", exe.display()))?;
        // Without the PID namespace, the cgroup is what finds a process that left the test's
        // process group.
        let leaked = group.is_some_and(cgroup::TestGroup::leave);
        end_like(ending_of(status), leaked);
    }
    // The status file is written by the init through a descriptor opened before it changed
    // its root, so the test can't reach, forge or replace it.
    let mut dir = tempfile::Builder::new();
    dir.prefix("tokiolings-status-");
    let dir = match &spec.status_root {
        Some(root) => dir.tempdir_in(root),
        None => dir.tempdir(),
    }
    .context("failed to create the sandbox status dir")?;
    let status_path = dir.path().join("status");
    File::create(&status_path)?;
    spec.status = Some(status_path.clone());
    let mut cmd = Command::new("unshare");
    // IPC: System V objects and message queues die with the test; UTS: its hostname is its own.
    cmd.args([
        "--pid",
        "--fork",
        "--kill-child",
        "--mount-proc",
        "--mount",
        "--propagation",
        "private",
        "--ipc",
        "--uts",
    ]);
    if group.is_some() {
        cmd.arg("--cgroup");
    }
    if spec.isolate_network {
        cmd.arg("--net");
    }
    cmd.arg("--")
        .arg(std::env::current_exe().context("failed to find the tokiolings executable")?)
        .args([ARG, "init", &serde_json::to_string(&spec)?])
        .arg(exe)
        .args(args);
    let status = cmd.status().context("failed to start `unshare`");
    // Nothing should be left once the PID namespace is gone; if something is, it leaked.
    let stray = group.is_some_and(cgroup::TestGroup::leave);
    let status = status?;
    let text = std::fs::read_to_string(&status_path).unwrap_or_default();
    drop(dir);
    match parse_status(&text) {
        Some((ending, leaked)) => end_like(ending, leaked || stray),
        // The init never reported (it failed to start): end as `unshare` did.
        None => end_like(ending_of(status), false),
    }
}

fn init(spec: Spec, exe: &Path, args: &[std::ffi::OsString]) -> Result<()> {
    let log = own_log_file(&spec.writable, args);
    let status_path = spec.status.clone().context("no status file")?;
    let mut status = std::fs::OpenOptions::new()
        .write(true)
        .open(&status_path)
        .with_context(|| format!("failed to open {}", status_path.display()))?;
    // The real log dir, opened before the root changes: the log file is copied there after.
    let log_dir = match log.as_deref().and_then(Path::parent) {
        Some(dir) => {
            Some(File::open(dir).with_context(|| format!("failed to open {}", dir.display()))?)
        }
        None => None,
    };
    // Not dumpable: nothing in the namespace can reach this process's descriptors via /proc.
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
    if let Err(e) = set_up(&spec, exe, log.as_deref()) {
        let _ = writeln!(status, "setup {e:#}");
        return Err(e);
    }
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(exe);
    cmd.args(args).uid(TEST_ID).gid(TEST_ID);
    if let Some(home) = &spec.private_home {
        cmd.current_dir(home);
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("failed to start {}", exe.display()))?;
    let ending = ending_of(child.wait()?);
    let leaked = kill_leftovers();
    if let (Some(log), Some(dir)) = (&log, &log_dir) {
        // A test that never wrote its log (it crashed first) has none to copy.
        let _ = copy_log(log, dir);
    }
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

/// The test's own `--logfile`, if it is under a writable root: the only file of the test
/// that leaves the sandbox (none for a `main` or a `--list`).
fn own_log_file(writable: &[PathBuf], args: &[std::ffi::OsString]) -> Option<PathBuf> {
    let logfile = args
        .iter()
        .position(|a| a == "--logfile")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)?;
    let dir = logfile.parent()?;
    (logfile.file_name().is_some() && own_log_dir(writable, args) == [dir]).then_some(logfile)
}

/// Copies the harness's log file (a regular file, at most the log tmpfs's size) from the
/// test's tmpfs into the real log dir, through the descriptor opened before the root changed.
fn copy_log(log: &Path, dir: &File) -> Result<()> {
    use rustix::fs::{FileType, Mode, OFlags, fstat, open, openat};
    let src = open(
        log,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    if FileType::from_raw_mode(fstat(&src)?.st_mode) != FileType::RegularFile {
        bail!("{} is not a regular file", log.display());
    }
    let name = log.file_name().context("no log file name")?;
    let dst = openat(
        dir,
        name,
        OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )?;
    use std::io::Read;
    std::io::copy(&mut File::from(src).take(LOG_BYTES), &mut File::from(dst))?;
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

/// The probe test `limits` runs through a candidate sandbox: in the namespaces it must run
/// as nobody in its own root, where its dir and the `protected` ones are out of sight; when
/// isolated, loopback must work and the outside must be unreachable. Without them it must be
/// able to write.
/// `DEV:INO:PATH`, as `limits` names a directory the probe must not see.
fn protected_dir(arg: &std::ffi::OsStr) -> Option<(PathBuf, (u64, u64))> {
    use std::os::unix::ffi::OsStrExt;
    let mut parts = arg.as_bytes().splitn(3, |b| *b == b':');
    let dev = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
    let ino = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
    let path = PathBuf::from(std::ffi::OsStr::from_bytes(parts.next()?));
    Some((path, (dev, ino)))
}

fn probe(
    dir: &Path,
    sandboxed: bool,
    isolated: bool,
    protected: &[(PathBuf, (u64, u64))],
) -> Result<()> {
    let written = std::fs::write(dir.join("probe"), "x");
    match (sandboxed, written) {
        (true, Ok(())) => bail!("{} is still writable", dir.display()),
        (false, Err(e)) => bail!("cannot write to {}: {e}", dir.display()),
        _ => {}
    }
    if sandboxed {
        // Only the path down to its own binary may be there (the grader's binary may live in
        // the course's target dir).
        let exe = std::env::current_exe().unwrap_or_default();
        let in_sight = |d: &Path| match std::fs::read_dir(d) {
            Err(_) => false,
            Ok(entries) => !exe.starts_with(d) || entries.count() != 1,
        };
        // The same directory, not one of the same name (device and inode survive a bind mount).
        let same = |d: &Path, id: (u64, u64)| {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(d).is_ok_and(|m| (m.dev(), m.ino()) == id)
        };
        if in_sight(dir) {
            bail!("{} is still in sight", dir.display());
        }
        if let Some((seen, _)) = protected.iter().find(|(d, id)| same(d, *id) && in_sight(d)) {
            bail!("{} is still in sight", seen.display());
        }
        if rustix::process::geteuid().is_root() {
            bail!("the test still runs as root");
        }
        std::fs::write("probe", "x").context("the working directory is not writable")?;
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

fn set_up(spec: &Spec, exe: &Path, log: Option<&Path>) -> Result<()> {
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
    let home = spec
        .private_home
        .as_deref()
        .context("the namespaces need a private home")?;
    new_root(home, exe, log)?;
    apply_limits(spec)?;
    drop_capabilities();
    Ok(())
}

/// Builds the test's root on a tmpfs mounted at `home` (a path nothing else uses in this
/// mount namespace) and moves into it; the host's tree is detached, so neither it nor its
/// paths (in /proc/self/mountinfo) are left in sight.
fn new_root(home: &Path, exe: &Path, log: Option<&Path>) -> Result<()> {
    use rustix::mount::{MountFlags as F, UnmountFlags, mount, mount_bind, mount_bind_recursive};
    let root = home.to_path_buf();
    let inside = |p: &Path| root.join(p.strip_prefix("/").unwrap_or(p));
    let tmpfs = |at: &Path, flags: F, options: &str| -> Result<()> {
        std::fs::create_dir_all(at)?;
        let options = std::ffi::CString::new(options)?;
        mount("tmpfs", at, "tmpfs", flags, options.as_c_str())
            .with_context(|| format!("failed to mount a tmpfs at {}", at.display()))
    };
    let quiet = F::NOSUID | F::NODEV | F::NOEXEC;
    tmpfs(&root, F::NOSUID | F::NODEV, "size=1m,mode=0755")?;
    // Read-only binds of host files or dirs at the same path inside.
    let bind = |host: &Path, extra: F| -> Result<()> {
        let to = inside(host);
        if host.is_dir() {
            std::fs::create_dir_all(&to)?;
            mount_bind_recursive(host, &to)
        } else {
            std::fs::create_dir_all(to.parent().context("no parent")?)?;
            File::create(&to)?;
            mount_bind(host, &to)
        }
        .with_context(|| format!("failed to bind {}", host.display()))?;
        remount_read_only(&to, extra)
    };
    for name in SYSTEM {
        let host = Path::new("/").join(name);
        match std::fs::symlink_metadata(&host) {
            Ok(m) if m.file_type().is_symlink() => {
                std::os::unix::fs::symlink(std::fs::read_link(&host)?, inside(&host))?
            }
            Ok(m) if m.is_dir() => bind(&host, F::NOSUID | F::NODEV)?,
            _ => {}
        }
    }
    for name in ETC {
        let host = Path::new("/etc").join(name);
        if host.exists() {
            bind(&host, quiet)?;
        }
    }
    bind(exe, F::NOSUID | F::NODEV)?;
    let owner = format!("uid={TEST_ID},gid={TEST_ID}");
    tmpfs(
        &inside(home),
        F::NOSUID | F::NODEV,
        &format!("size={HOME_SIZE},mode=0700,{owner}"),
    )?;
    if let Some(dir) = log.and_then(Path::parent) {
        tmpfs(
            &inside(dir),
            quiet,
            &format!("size={LOG_SIZE},nr_inodes=16,mode=0700,{owner}"),
        )?;
    }
    // /dev: the harmless nodes, bound from the host's; a private /dev/shm.
    let dev = inside(Path::new("/dev"));
    tmpfs(&dev, F::NOSUID | F::NOEXEC, "size=64k,mode=0755")?;
    for name in DEVICES {
        let to = dev.join(name);
        File::create(&to)?;
        mount_bind(Path::new("/dev").join(name), &to)
            .with_context(|| format!("failed to bind /dev/{name}"))?;
    }
    for (link, to) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        std::os::unix::fs::symlink(to, dev.join(link))?;
    }
    tmpfs(
        &dev.join("shm"),
        quiet,
        &format!("size={SHM_SIZE},mode=1777"),
    )?;
    remount_read_only(&dev, F::NOSUID | F::NOEXEC)?;
    // /proc of the test's PID namespace; the kernel's knobs read-only, its secrets hidden.
    let proc = inside(Path::new("/proc"));
    std::fs::create_dir_all(&proc)?;
    mount("proc", &proc, "proc", quiet, c"").context("failed to mount /proc")?;
    for name in PROC_READ_ONLY {
        let p = proc.join(name);
        if p.exists() {
            mount_bind(&p, &p).with_context(|| format!("failed to bind /proc/{name}"))?;
            remount_read_only(&p, quiet)?;
        }
    }
    for name in PROC_MASKED {
        let p = proc.join(name);
        if p.is_dir() {
            mount("tmpfs", &p, "tmpfs", quiet | F::RDONLY, c"size=0")
                .with_context(|| format!("failed to mask /proc/{name}"))?;
        } else if p.exists() {
            mount_bind(dev.join("null"), &p)
                .with_context(|| format!("failed to mask /proc/{name}"))?;
        }
    }
    remount_read_only(&root, F::NOSUID | F::NODEV)?;
    // pivot_root(".", "."): the old root ends up on top of the new one, and is detached.
    rustix::process::chdir(&root).context("failed to enter the new root")?;
    rustix::process::pivot_root(".", ".").context("pivot_root failed")?;
    rustix::mount::unmount(".", UnmountFlags::DETACH).context("failed to detach the old root")?;
    rustix::process::chdir("/")?;
    Ok(())
}

fn remount_read_only(at: &Path, extra: rustix::mount::MountFlags) -> Result<()> {
    use rustix::mount::{MountFlags, mount_remount};
    mount_remount(at, MountFlags::BIND | MountFlags::RDONLY | extra, "")
        .with_context(|| format!("failed to make {} read-only", at.display()))
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

/// Tasks (threads included) whose real uid is `uid`: what RLIMIT_NPROC counts.
fn tasks_of(uid: u32) -> u64 {
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
        assert!(tasks_of(rustix::process::getuid().as_raw()) >= 1);
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

    #[test]
    fn only_the_tests_own_log_file_is_copied_out() {
        let roots = [PathBuf::from("/tmp/logs")];
        let args = |a: &[&str]| a.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(
            own_log_file(&roots, &args(&["--logfile", "/tmp/logs/s1/0.log"])),
            Some(PathBuf::from("/tmp/logs/s1/0.log"))
        );
        assert_eq!(
            own_log_file(&roots, &args(&["--logfile", "/etc/x.log"])),
            None
        );
        assert_eq!(
            own_log_file(&roots, &args(&["--logfile", "/tmp/logs"])),
            None
        );
        assert_eq!(own_log_file(&roots, &args(&["--list"])), None);
    }
}
