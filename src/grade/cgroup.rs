//! A cgroup per graded test, so its limits hold for the test and all its children together
//! (rlimits are per process: three children under "2 GiB" each use 6). The grader makes a base
//! cgroup `tokiolings-PID` beside its own (cgroup v2 where the unified hierarchy has the
//! controllers, v1 otherwise: one base in each of the memory, pids and cpu hierarchies); each
//! sandbox leader makes `tPID` under it with the test's limits, moves itself in (its children
//! follow), and on the way out moves back and removes it. The base, and any test cgroup a leader
//! killed at the deadline could not remove, goes when the grader drops [`Base`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

const ROOT: &str = "/sys/fs/cgroup";
/// The CPU cap of a test (and its children), in CPUs.
pub const CPUS: u64 = 2;
const PERIOD_US: u64 = 100_000;
/// Tasks a test's cgroup holds besides the test's own: the leader, `unshare` and the init.
pub const SANDBOX_TASKS: u64 = 3;

/// What each test's cgroup is made with; part of the sandbox spec.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Limits {
    pub v2: bool,
    /// The grader's base cgroups: one per v1 controller (memory, pids, cpu), or the v2 one.
    pub bases: Vec<PathBuf>,
    /// Memory of the test and its children together; swap too (memsw / swap.max 0).
    pub memory_bytes: Option<u64>,
    /// Whether swap is limited too (v1 needs swap accounting for memsw).
    pub swap: bool,
    /// Tasks (processes and threads) in the cgroup, the sandbox's own included.
    pub tasks: Option<u64>,
    pub cpus: u64,
}

impl Limits {
    /// One line for the report's `enforced`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(b) = self.memory_bytes {
            let what = if self.swap { "memory+swap" } else { "memory" };
            parts.push(format!("{what} {} MiB in all", b >> 20));
        }
        if let Some(n) = self.tasks {
            parts.push(format!("{} tasks", n.saturating_sub(SANDBOX_TASKS)));
        }
        parts.push(format!("{} CPUs", self.cpus));
        format!(
            "one per test (cgroup {}), removed after it: {} for the test and its children together",
            if self.v2 {
                "v2"
            } else {
                "v1: memory, pids, cpu"
            },
            parts.join(", ")
        )
    }
}

/// The grader's base cgroups; removed (with what is left under them) on drop.
pub struct Base {
    pub limits: Limits,
}

impl Base {
    /// Makes the base cgroups and tries a test cgroup with `limits`' values in them. `notes`
    /// gets what could not be limited.
    pub fn create(
        memory_bytes: Option<u64>,
        tasks: Option<u64>,
        notes: &mut Vec<String>,
    ) -> Result<Base> {
        let own = std::fs::read_to_string("/proc/self/cgroup").context("no /proc/self/cgroup")?;
        let name = format!("tokiolings-{}", std::process::id());
        let v2_controllers = std::fs::read_to_string(Path::new(ROOT).join("cgroup.controllers"));
        let mut limits = Limits {
            v2: false,
            bases: Vec::new(),
            memory_bytes,
            swap: false,
            tasks: tasks.map(|t| t + SANDBOX_TASKS),
            cpus: CPUS,
        };
        if let Ok(controllers) = v2_controllers {
            // The unified hierarchy mounted at /sys/fs/cgroup.
            for c in ["memory", "pids", "cpu"] {
                if !controllers.split_whitespace().any(|w| w == c) {
                    bail!("cgroup v2 has no {c} controller here");
                }
            }
            let path = own
                .lines()
                .find_map(|l| l.strip_prefix("0::"))
                .context("no cgroup v2 path in /proc/self/cgroup")?;
            // Beside the grader if its cgroup can enable the controllers for its children (it
            // can't when it holds processes and is not the root: "no internal processes"),
            // else at the top of the hierarchy (the root, or the cgroup namespace's).
            let own_dir = Path::new(ROOT).join(path.trim_start_matches('/'));
            let parent = [own_dir, PathBuf::from(ROOT)]
                .into_iter()
                .find(|dir| {
                    let _ =
                        std::fs::write(dir.join("cgroup.subtree_control"), "+memory +pids +cpu");
                    std::fs::read_to_string(dir.join("cgroup.subtree_control")).is_ok_and(|on| {
                        ["memory", "pids", "cpu"]
                            .iter()
                            .all(|c| on.split_whitespace().any(|w| w == *c))
                    })
                })
                .context("cgroup v2 can't enable the memory, pids and cpu controllers here")?;
            let base = parent.join(&name);
            std::fs::create_dir(&base)
                .with_context(|| format!("failed to create {}", base.display()))?;
            limits.v2 = true;
            limits.bases.push(base.clone());
            // From here on, a failure removes what was made (Base's drop).
            let mut b = Base { limits };
            write(&base, "cgroup.subtree_control", "+memory +pids +cpu")?;
            b.limits.swap = base.join("memory.swap.max").exists() || no_swap();
            b.trial(notes)?;
            return Ok(b);
        }
        let mut b = Base { limits };
        for c in ["memory", "pids", "cpu"] {
            let path = own
                .lines()
                .find_map(|l| {
                    let mut f = l.splitn(3, ':');
                    let (_, ctl, path) = (f.next()?, f.next()?, f.next()?);
                    ctl.split(',').any(|x| x == c).then_some(path)
                })
                .with_context(|| format!("no cgroup v1 {c} controller here"))?;
            let base = Path::new(ROOT)
                .join(c)
                .join(path.trim_start_matches('/'))
                .join(&name);
            std::fs::create_dir(&base)
                .with_context(|| format!("failed to create {}", base.display()))?;
            b.limits.bases.push(base);
        }
        b.limits.swap = b.limits.bases[0]
            .join("memory.memsw.limit_in_bytes")
            .exists()
            || no_swap();
        b.trial(notes)?;
        Ok(b)
    }

    /// A test cgroup with the limits, made and removed: what every leader will do.
    fn trial(&mut self, notes: &mut Vec<String>) -> Result<()> {
        let group = TestGroup::make(&self.limits, "trial")?;
        group.remove();
        if !self.limits.swap {
            notes.push(
                "swap is not limited per test: the kernel does not account it (swapaccount=0)"
                    .into(),
            );
        }
        Ok(())
    }
}

impl Drop for Base {
    fn drop(&mut self) {
        for base in &self.limits.bases {
            if let Ok(entries) = std::fs::read_dir(base) {
                for e in entries.flatten() {
                    if e.file_type().is_ok_and(|t| t.is_dir()) {
                        remove_dir(&e.path());
                    }
                }
            }
            remove_dir(base);
        }
    }
}

/// No swap on this machine: memory is all there is to limit.
fn no_swap() -> bool {
    std::fs::read_to_string("/proc/swaps").is_ok_and(|s| s.lines().count() <= 1)
}

/// A test's cgroup, joined by the leader.
pub struct TestGroup {
    dirs: Vec<PathBuf>,
    /// Where the leader was, per hierarchy (the same order): where it goes back to.
    origins: Vec<PathBuf>,
}

impl TestGroup {
    fn make(limits: &Limits, name: &str) -> Result<TestGroup> {
        let mut group = TestGroup {
            dirs: Vec::new(),
            origins: Vec::new(),
        };
        for base in &limits.bases {
            let dir = base.join(name);
            std::fs::create_dir(&dir)
                .with_context(|| format!("failed to create {}", dir.display()))?;
            group.dirs.push(dir);
        }
        let set = |file: &str, value: String| -> Result<()> {
            let dir = group
                .dirs
                .iter()
                .find(|d| d.join(file).exists())
                .with_context(|| format!("no cgroup has {file}"))?;
            write(dir, file, &value)
        };
        let result = (|| {
            if limits.v2 {
                if let Some(b) = limits.memory_bytes {
                    set("memory.max", b.to_string())?;
                    if limits.swap && group.dirs[0].join("memory.swap.max").exists() {
                        set("memory.swap.max", "0".into())?;
                    }
                }
                if let Some(n) = limits.tasks {
                    set("pids.max", n.to_string())?;
                }
                set(
                    "cpu.max",
                    format!("{} {PERIOD_US}", limits.cpus * PERIOD_US),
                )?;
            } else {
                if let Some(b) = limits.memory_bytes {
                    set("memory.limit_in_bytes", b.to_string())?;
                    if group.dirs[0].join("memory.memsw.limit_in_bytes").exists() {
                        set("memory.memsw.limit_in_bytes", b.to_string())?;
                    }
                }
                if let Some(n) = limits.tasks {
                    set("pids.max", n.to_string())?;
                }
                set("cpu.cfs_period_us", PERIOD_US.to_string())?;
                set("cpu.cfs_quota_us", (limits.cpus * PERIOD_US).to_string())?;
            }
            anyhow::Ok(())
        })();
        if let Err(e) = result {
            group.remove();
            return Err(e);
        }
        Ok(group)
    }

    /// Makes this process's test cgroup and moves the process into it.
    pub fn enter(limits: &Limits) -> Result<TestGroup> {
        let mut group = TestGroup::make(limits, &format!("t{}", std::process::id()))?;
        let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
        group.origins = group
            .dirs
            .iter()
            .map(|dir| origin(&own, dir, limits.v2))
            .collect();
        for dir in &group.dirs {
            if let Err(e) = write(dir, "cgroup.procs", &std::process::id().to_string()) {
                let _ = group.leave();
                return Err(e);
            }
        }
        Ok(group)
    }

    /// Moves this process back where it was, kills what the test left in its cgroup (a
    /// process that left its process group or session too) and removes the cgroup. True if
    /// something was left.
    pub fn leave(self) -> bool {
        let me = std::process::id();
        for origin in &self.origins {
            let _ = write(origin, "cgroup.procs", &me.to_string());
        }
        let mut left = false;
        // Killed processes' children may show up next time round.
        for _ in 0..20 {
            let pids: Vec<i32> = self
                .dirs
                .iter()
                .filter_map(|d| std::fs::read_to_string(d.join("cgroup.procs")).ok())
                .flat_map(|text| {
                    text.lines()
                        .filter_map(|l| l.trim().parse::<i32>().ok())
                        .collect::<Vec<_>>()
                })
                .filter(|&p| p != me as i32)
                .collect();
            if pids.is_empty() {
                break;
            }
            left = true;
            for pid in pids {
                if let Some(p) = rustix::process::Pid::from_raw(pid) {
                    let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.remove();
        left
    }

    fn remove(self) {
        for dir in &self.dirs {
            remove_dir(dir);
        }
    }
}

/// This process's cgroup in the hierarchy of `dir` (a test cgroup), from /proc/self/cgroup.
fn origin(own: &str, dir: &Path, v2: bool) -> PathBuf {
    // v1: /sys/fs/cgroup/CONTROLLER/…; the line "N:CONTROLLER[,…]:PATH".
    let controller = dir
        .strip_prefix(ROOT)
        .ok()
        .and_then(|rest| rest.components().next())
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    let path = own.lines().find_map(|l| {
        let mut f = l.splitn(3, ':');
        let (_, ctl, path) = (f.next()?, f.next()?, f.next()?);
        let ours = if v2 {
            ctl.is_empty()
        } else {
            ctl.split(',').any(|c| c == controller)
        };
        ours.then_some(path)
    });
    let top = if v2 {
        PathBuf::from(ROOT)
    } else {
        Path::new(ROOT).join(&controller)
    };
    top.join(path.unwrap_or("/").trim_start_matches('/'))
}

fn write(dir: &Path, file: &str, value: &str) -> Result<()> {
    std::fs::write(dir.join(file), value)
        .with_context(|| format!("failed to write {value} to {}", dir.join(file).display()))
}

/// rmdir, retried while the last processes of the cgroup finish exiting.
fn remove_dir(dir: &Path) {
    for _ in 0..50 {
        match std::fs::remove_dir(dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                std::thread::sleep(Duration::from_millis(10))
            }
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_leader_goes_back_where_it_came_from() {
        let v1 = "9:name=systemd:/\n4:memory:/a/b\n1:cpu,cpuacct:/c\n8:pids:/\n0::/\n";
        let back = |dir: &str, v2| origin(v1, Path::new(dir), v2);
        assert_eq!(
            back("/sys/fs/cgroup/memory/a/b/tokiolings-1/t2", false),
            Path::new("/sys/fs/cgroup/memory/a/b")
        );
        assert_eq!(
            back("/sys/fs/cgroup/cpu/c/tokiolings-1/t2", false),
            Path::new("/sys/fs/cgroup/cpu/c")
        );
        assert_eq!(
            back("/sys/fs/cgroup/pids/tokiolings-1/t2", false),
            Path::new("/sys/fs/cgroup/pids")
        );
        // v2: the grader's cgroup, wherever the base is.
        assert_eq!(
            origin(
                "0::/system.slice/runner.service\n",
                Path::new("/sys/fs/cgroup/tokiolings-1/t2"),
                true
            ),
            Path::new("/sys/fs/cgroup/system.slice/runner.service")
        );
    }

    #[test]
    fn describes_the_limits_for_the_report() {
        let limits = Limits {
            v2: false,
            bases: Vec::new(),
            memory_bytes: Some(512 << 20),
            swap: true,
            tasks: Some(256 + SANDBOX_TASKS),
            cpus: 2,
        };
        assert_eq!(
            limits.describe(),
            "one per test (cgroup v1: memory, pids, cpu), removed after it: memory+swap 512 MiB in all, 256 tasks, 2 CPUs for the test and its children together"
        );
    }
}
