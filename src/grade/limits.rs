//! What grade mode enforces on each test process, and the report of it: the policy, the
//! probe that finds out which parts of the sandbox work on this machine (degrading one step at
//! a time), and the command wrapper the checker runs tests through.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use tokio::process::Command;

use super::cgroup;
use super::sandbox::{self, Spec};
use crate::checker::CommandWrapper;
use crate::supervise;

const MIB: u64 = 1024 * 1024;
const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// What grade mode asks of each test (the `grade` limit flags, as plain data).
#[derive(Clone, Debug)]
pub struct SandboxPolicy {
    /// Address space of each test process, in MiB (0: no limit).
    pub memory_mib: u64,
    /// CPU time of each test process, in seconds (0: no limit).
    pub cpu_secs: u64,
    /// Processes and threads each test may start (0: no limit).
    pub max_procs: u64,
    /// Largest file a test may write, in MiB (0: no limit).
    pub file_size_mib: u64,
    /// Let tests reach the network beyond loopback.
    pub allow_network: bool,
    /// Run tests without the sandbox: only the deadline, output cap and closed stdin.
    pub no_sandbox: bool,
    /// Deadline of each learner's build, in seconds.
    pub build_secs: u64,
    /// Address space of each process of a learner's build, in MiB (0: no limit).
    pub build_memory_mib: u64,
}

impl SandboxPolicy {
    /// No sandbox and no limits: for code the grader's user wrote (a course's own traps).
    pub fn none() -> Self {
        Self {
            memory_mib: 0,
            cpu_secs: 0,
            max_procs: 0,
            file_size_mib: 0,
            allow_network: true,
            no_sandbox: true,
            build_secs: 600,
            build_memory_mib: 0,
        }
    }
}

/// What was enforced on every test process: the report's top-level `enforced` field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Enforced {
    pub deadline: String,
    pub output_cap_bytes: usize,
    pub stdin: String,
    pub environment: String,
    /// Address space of each test process (RLIMIT_AS); with a cgroup, also the memory of the
    /// test and its children together.
    pub memory_bytes: Option<u64>,
    pub cpu_secs: Option<u64>,
    pub file_size_bytes: Option<u64>,
    /// Processes and threads a test may start: its cgroup's pids limit, or else RLIMIT_NPROC
    /// above the user's count.
    pub processes: Option<u64>,
    pub network: String,
    pub filesystem: String,
    pub leftover_processes: String,
    pub capabilities: String,
    /// How learners' builds were confined (compiling runs learner code too: macros).
    #[serde(default)]
    pub builds: String,
    /// Whether a test's own code could write its result: each course test seals itself
    /// (Landlock) before its body runs, so the harness log can't be forged.
    #[serde(default)]
    pub results: String,
    /// Who the test runs as.
    #[serde(default)]
    pub user: String,
    /// The cgroup each test runs in, and its limits.
    #[serde(default)]
    pub cgroup: String,
    /// Why something asked for is not enforced on this machine.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The sandbox of a run: how to start a test, and what that enforces.
pub struct Sandbox {
    pub wrap: CommandWrapper,
    pub enforced: Enforced,
    /// Tests' `HOME` and `TMPDIR` (a private tmpfs per test in the sandbox).
    _home: tempfile::TempDir,
    /// Where the checker puts the test harnesses' log files: the one place tests may write
    /// that the grader reads.
    pub log_root: tempfile::TempDir,
    /// Holds the sandbox leaders' status dirs.
    _status: tempfile::TempDir,
    /// The grader's cgroups, removed when grading ends.
    _cgroup: Option<cgroup::Base>,
}

/// Finds out what works here and builds the wrapper. `protect` (the course, submissions,
/// scratch copies, canonical tests, report dir) is made read-only along with the system.
pub async fn prepare(
    args: &SandboxPolicy,
    protect: &[PathBuf],
    deadline: String,
    output_cap: usize,
) -> Result<Sandbox> {
    let home = tempfile::Builder::new()
        .prefix("tokiolings-home-")
        .tempdir()
        .context("failed to create a home dir for the tests")?;
    let log_root = tempfile::Builder::new()
        .prefix("tokiolings-logs-")
        .tempdir()
        .context("failed to create a dir for the tests' log files")?;
    let mut enforced = Enforced {
        deadline,
        output_cap_bytes: output_cap,
        stdin: "closed".into(),
        environment: "cleared: only PATH, HOME and TMPDIR (a temp dir), LANG and NO_PROXY".into(),
        memory_bytes: None,
        cpu_secs: None,
        file_size_bytes: None,
        processes: None,
        network: "not restricted".into(),
        filesystem: "not restricted (tests run in a scratch copy)".into(),
        leftover_processes: "killed with the test's process group; the test fails".into(),
        capabilities: "unchanged".into(),
        results: results_protection(),
        builds: String::new(),
        user: "the grader's".into(),
        cgroup: "none".into(),
        notes: Vec::new(),
    };
    let status = tempfile::Builder::new()
        .prefix("tokiolings-status-")
        .tempdir()
        .context("failed to create a dir for the sandbox's status files")?;
    let exe = std::env::current_exe().context("failed to find the tokiolings executable")?;
    let mut base = None;
    let spec = if args.no_sandbox {
        enforced.notes.push("--no-sandbox: no limits".into());
        None
    } else {
        let private = Private {
            home: home.path(),
            logs: log_root.path(),
        };
        base = per_test_cgroups(args, &mut enforced.notes);
        let cgroup = base.as_ref().map(|b| b.limits.clone());
        probe_best(
            args,
            protect,
            status.path(),
            private,
            cgroup,
            &exe,
            &mut enforced,
        )
        .await?
    };
    if spec.as_ref().is_none_or(|s| s.cgroup.is_none()) {
        // Nothing will run in them.
        base = None;
    }
    let home_path = home.path().to_path_buf();
    let wrap: CommandWrapper = match spec {
        Some(spec) => {
            let spec = serde_json::to_string(&spec)?;
            Arc::new(move |test: &Path| {
                let mut cmd = Command::new(&exe);
                cmd.args([sandbox::ARG, "run", &spec]).arg(test);
                clean_env(&mut cmd, &home_path);
                cmd
            })
        }
        None => Arc::new(move |test: &Path| {
            let mut cmd = Command::new(test);
            clean_env(&mut cmd, &home_path);
            cmd
        }),
    };
    Ok(Sandbox {
        wrap,
        enforced,
        _home: home,
        log_root,
        _status: status,
        _cgroup: base,
    })
}

/// What protects a test's result from the test's own code.
fn results_protection() -> String {
    match tokiolings_guard::abi() {
        0 => "NOT protected: this kernel has no Landlock, so a test's own code could write a pass into its log".into(),
        abi => format!(
            "sealed: before each course test's body runs, Landlock (ABI {abi}) denies every file write outside the test's TMPDIR, so its log can't be forged"
        ),
    }
}

/// The grader's base cgroups, when this machine lets it make them (root, cgroup v2 with the
/// controllers or v1 memory, pids and cpu hierarchies); else a note says why not.
fn per_test_cgroups(args: &SandboxPolicy, notes: &mut Vec<String>) -> Option<cgroup::Base> {
    let some = |v: u64, unit: u64| (v > 0).then_some(v * unit);
    if !rustix::process::geteuid().is_root() {
        notes.push(
            "no cgroup per test (it needs root): memory and CPU limits are per process".into(),
        );
        return None;
    }
    match cgroup::Base::create(some(args.memory_mib, MIB), some(args.max_procs, 1), notes) {
        Ok(base) => Some(base),
        Err(e) => {
            notes.push(format!(
                "no cgroup per test ({e:#}): memory and CPU limits are per process"
            ));
            None
        }
    }
}

fn clean_env(cmd: &mut Command, home: &Path) {
    cmd.env_clear()
        .env("PATH", PATH)
        .env("HOME", home)
        .env("TMPDIR", home)
        .env("LANG", "C.UTF-8");
}

/// The only places a sandboxed test can write.
#[derive(Clone, Copy)]
struct Private<'a> {
    /// A fresh tmpfs per test, as `HOME` and `TMPDIR`.
    home: &'a Path,
    /// The harnesses' log files, shared with the grader.
    logs: &'a Path,
}

/// Tries the full sandbox, then without network isolation, then without namespaces; keeps the
/// first that passes its probe and records what it enforces.
async fn probe_best(
    args: &SandboxPolicy,
    protect: &[PathBuf],
    status_root: &Path,
    private: Private<'_>,
    cgroup: Option<cgroup::Limits>,
    exe: &Path,
    enforced: &mut Enforced,
) -> Result<Option<Spec>> {
    let some = |v: u64, unit: u64| (v > 0).then_some(v * unit);
    let limits = Spec {
        memory_bytes: some(args.memory_mib, MIB),
        cpu_secs: some(args.cpu_secs, 1),
        file_size_bytes: some(args.file_size_mib, MIB),
        extra_tasks: some(args.max_procs, 1),
        status_root: Some(status_root.to_path_buf()),
        cgroup,
        ..Spec::default()
    };
    let probe_dir = tempfile::Builder::new()
        .prefix("tokiolings-probe-")
        .tempdir()?;
    let full = Spec {
        namespaces: true,
        isolate_network: !args.allow_network,
        writable: vec![private.logs.to_path_buf()],
        private_home: Some(private.home.to_path_buf()),
        ..limits.clone()
    };
    let mut candidates = vec![full.clone()];
    if full.isolate_network {
        candidates.push(Spec {
            isolate_network: false,
            ..full.clone()
        });
    }
    candidates.push(limits);
    let mut failures = Vec::new();
    for spec in candidates {
        match probe(&spec, exe, probe_dir.path(), protect).await {
            Ok(()) => {
                describe(&spec, args, enforced);
                enforced.notes.extend(failures);
                return Ok(Some(spec));
            }
            Err(e) => failures.push(format!("{}: {e:#}", level_name(&spec))),
        }
    }
    enforced.notes.extend(failures);
    enforced
        .notes
        .push("no sandbox could start here: no resource limits".into());
    Ok(None)
}

fn level_name(spec: &Spec) -> &'static str {
    match (spec.namespaces, spec.isolate_network) {
        (true, true) => "namespaces with network isolation",
        (true, false) => "namespaces without network isolation",
        _ => "resource limits only",
    }
}

/// Runs a probe test through `spec`: it must start, see its limits, find its dir and the
/// protected ones out of sight (in the namespaces) and (when isolated) reach loopback only.
async fn probe(spec: &Spec, exe: &Path, dir: &Path, protect: &[PathBuf]) -> Result<()> {
    let mut cmd = Command::new(exe);
    cmd.args([sandbox::ARG, "run", &serde_json::to_string(spec)?])
        .arg(exe)
        .args([sandbox::ARG, "probe"])
        .arg(dir)
        .arg(if spec.namespaces { "1" } else { "0" })
        .arg(if spec.isolate_network { "1" } else { "0" })
        // Out of sight in a test's own root (the course, the submissions, the scratch copies),
        // each named with its device and inode: a directory of the same name inside (the
        // root's own /tmp, when the report goes to the host's /tmp) is another directory.
        .args(
            protect
                .iter()
                .filter(|p| spec.namespaces && p.is_dir())
                .filter_map(|p| {
                    use std::os::unix::fs::MetadataExt;
                    let m = std::fs::metadata(p).ok()?;
                    let mut arg = std::ffi::OsString::from(format!("{}:{}:", m.dev(), m.ino()));
                    arg.push(p);
                    Some(arg)
                }),
        );
    let run = supervise::run(
        cmd,
        supervise::Limits {
            deadline: Some(Duration::from_secs(20)),
            output_cap: 4096,
        },
    )
    .await?;
    if run.exit.success() && !run.leaked {
        Ok(())
    } else {
        let how = match run.exit {
            supervise::Exit::Code(c) => format!("exited with {c}"),
            supervise::Exit::Signal(s) => format!("killed by {}", supervise::signal_name(s)),
            supervise::Exit::TimedOut => "timed out".into(),
        };
        anyhow::bail!("the probe {how}: {}", run.output.trim())
    }
}

fn describe(spec: &Spec, args: &SandboxPolicy, e: &mut Enforced) {
    e.memory_bytes = spec.memory_bytes;
    e.cpu_secs = spec.cpu_secs;
    e.file_size_bytes = spec.file_size_bytes;
    e.processes = spec.extra_tasks;
    let root = rustix::process::geteuid().is_root();
    e.capabilities = if root {
        "all dropped (bounding set emptied, no_new_privs)".into()
    } else {
        "none to drop (not root); no_new_privs".into()
    };
    match &spec.cgroup {
        Some(c) => e.cgroup = c.describe(),
        // In the namespaces the test runs as nobody, which RLIMIT_NPROC binds (note below).
        None if spec.extra_tasks.is_some() && root && !spec.namespaces => e.notes.push(
            "without a cgroup, RLIMIT_NPROC (per user) is the only limit on tasks, and it does not bind root"
                .into(),
        ),
        None => {}
    }
    if spec.namespaces {
        e.user = format!(
            "uid {0}, gid {0} (nobody), no supplementary groups, no capabilities",
            sandbox::TEST_ID
        );
        e.filesystem = format!(
            "a new root per test (pivot_root into a tmpfs; the host's tree detached): the system's /usr, /bin, /sbin, /lib* and a few /etc files read-only; its own test binary; a private {} tmpfs as cwd, HOME and TMPDIR; its harness log file on a private {} tmpfs, copied out after the test; a minimal /dev (null, zero, full, random, urandom) with a private {} /dev/shm; its own /proc with /proc/sys read-only and kernel files masked; no /sys, no /run, no host sockets, no course or other learner's files; its own IPC namespace (System V shared memory and message queues end with it)",
            sandbox::HOME_SIZE,
            sandbox::LOG_SIZE,
            sandbox::SHM_SIZE
        );
        if spec.cgroup.is_none() && spec.extra_tasks.is_some() {
            e.notes.push(format!(
                "without a cgroup, RLIMIT_NPROC counts the tasks of every test running as uid {} at once",
                sandbox::TEST_ID
            ));
        }
        e.leftover_processes =
            "killed with the test's PID namespace (also those that left its process group); the test fails"
                .into();
        e.network = if spec.isolate_network {
            "loopback only (own network namespace; no host Unix sockets, abstract ones included)"
                .into()
        } else if args.allow_network {
            "not restricted (--allow-network); the host's abstract Unix sockets are reachable"
                .into()
        } else {
            "not restricted (no network namespace here); the host's abstract Unix sockets are reachable"
                .into()
        };
    } else {
        e.notes.push(
            "no namespaces here (they need root and `unshare`): the filesystem and network are not restricted, and tests run as the grader's user"
                .into(),
        );
    }
}
