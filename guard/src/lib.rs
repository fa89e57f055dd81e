//! Linked into every test binary that `tokiolings grade` builds; the grader puts a call to
//! [`seal`] first in each of the course's tests, before the test body (and before a
//! `#[tokio::test]`'s runtime, whose threads must be sealed too).
//!
//! Why: a test process reports its result through the harness's `--logfile`, which libtest
//! opens before any test runs. Learner code runs in the same process, so it could write
//! `ok NAME` there itself and exit 0: a forged pass. [`seal`] takes that away with Landlock:
//! from then on this thread, and every thread and process it starts, can't open any file for
//! writing, nor create, remove, rename or truncate one, outside `$TMPDIR` (the test's private
//! scratch dir). The log's file descriptor, already open, stays usable by libtest. The process
//! is also made non-dumpable, so a child can't attach to it and write through its descriptors.
//!
//! Where Landlock is missing (an old kernel, not Linux) sealing does nothing and the grader's
//! report says that results could be forged.
//!
//! The crate has no dependencies (it must build offline against any course's lock file), so the
//! three Landlock system calls are made by hand.

#![allow(unsafe_code)]

/// Seals the calling thread (see the crate's docs). Returns the Landlock ABI version that was
/// applied, or 0 when nothing could be sealed. Idempotent: sealing again only adds a layer.
pub fn seal() -> u32 {
    imp::seal()
}

/// The Landlock ABI version this kernel offers (0: none). Changes nothing.
pub fn abi() -> u32 {
    imp::abi()
}

/// Confines the calling thread, and every thread and process it starts later, to reading (and
/// executing) files beneath `read` and reading and writing beneath `write`; nothing else can be
/// opened, and no signal or abstract socket reaches outside (ABI 6+). Paths that don't exist are
/// left out. Returns the ABI applied, or 0 when nothing could be applied. Used by the grader for
/// builds: `include_str!` of a classmate's file, a device or a secret then fails to compile.
pub fn restrict(read: &[&std::path::Path], write: &[&std::path::Path]) -> u32 {
    imp::restrict(read, write)
}

#[cfg(target_os = "linux")]
mod imp {
    use std::ffi::{c_int, c_long, c_ulong};
    use std::os::fd::AsRawFd;

    unsafe extern "C" {
        fn syscall(number: c_long, ...) -> c_long;
        fn prctl(
            option: c_int,
            arg2: c_ulong,
            arg3: c_ulong,
            arg4: c_ulong,
            arg5: c_ulong,
        ) -> c_int;
        fn close(fd: c_int) -> c_int;
    }

    // The same numbers on every Linux architecture (they were added after the tables merged).
    const SYS_LANDLOCK_CREATE_RULESET: c_long = 444;
    const SYS_LANDLOCK_ADD_RULE: c_long = 445;
    const SYS_LANDLOCK_RESTRICT_SELF: c_long = 446;
    const LANDLOCK_CREATE_RULESET_VERSION: u32 = 1;
    const LANDLOCK_RULE_PATH_BENEATH: c_int = 1;
    const PR_SET_DUMPABLE: c_int = 4;
    const PR_SET_NO_NEW_PRIVS: c_int = 38;

    // Filesystem rights (include/uapi/linux/landlock.h): everything that writes.
    const WRITE_FILE: u64 = 1 << 1;
    const REMOVE_DIR: u64 = 1 << 4;
    const REMOVE_FILE: u64 = 1 << 5;
    const MAKE_CHAR: u64 = 1 << 6;
    const MAKE_DIR: u64 = 1 << 7;
    const MAKE_REG: u64 = 1 << 8;
    const MAKE_SOCK: u64 = 1 << 9;
    const MAKE_FIFO: u64 = 1 << 10;
    const MAKE_BLOCK: u64 = 1 << 11;
    const MAKE_SYM: u64 = 1 << 12;
    const REFER: u64 = 1 << 13; // ABI 2
    const TRUNCATE: u64 = 1 << 14; // ABI 3
    // Scopes (ABI 6): no signals to, and no abstract Unix sockets of, processes outside.
    const SCOPE_ABSTRACT_UNIX_SOCKET: u64 = 1 << 0;
    const SCOPE_SIGNAL: u64 = 1 << 1;

    #[repr(C)]
    struct RulesetAttr {
        handled_access_fs: u64,
        handled_access_net: u64,
        scoped: u64,
    }

    #[repr(C, packed)]
    struct PathBeneathAttr {
        allowed_access: u64,
        parent_fd: i32,
    }

    const EXECUTE: u64 = 1 << 0;
    const READ_FILE: u64 = 1 << 2;
    const READ_DIR: u64 = 1 << 3;
    /// The rights that make sense on a file (not a directory) in a rule.
    const FILE_RIGHTS: u64 = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE;

    fn write_rights(abi: u32) -> u64 {
        let mut writes = WRITE_FILE
            | REMOVE_DIR
            | REMOVE_FILE
            | MAKE_CHAR
            | MAKE_DIR
            | MAKE_REG
            | MAKE_SOCK
            | MAKE_FIFO
            | MAKE_BLOCK
            | MAKE_SYM;
        if abi >= 2 {
            writes |= REFER;
        }
        if abi >= 3 {
            writes |= TRUNCATE;
        }
        writes
    }

    /// A ruleset handling `handled`, with `rules` (path, allowed rights) added; then applied to
    /// this thread. The ABI applied, or 0.
    fn apply(abi: u32, handled: u64, rules: &[(&std::path::Path, u64)]) -> u32 {
        let attr = RulesetAttr {
            handled_access_fs: handled,
            handled_access_net: 0,
            scoped: if abi >= 6 {
                SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
            } else {
                0
            },
        };
        let size = if abi >= 6 {
            std::mem::size_of::<RulesetAttr>()
        } else {
            std::mem::size_of::<u64>()
        };
        // SAFETY: system calls with pointers to live, correctly laid out structs.
        unsafe {
            let ruleset = syscall(
                SYS_LANDLOCK_CREATE_RULESET,
                &attr as *const RulesetAttr,
                size,
                0u32,
            );
            if ruleset < 0 {
                return 0;
            }
            let ruleset = ruleset as c_int;
            for (path, allowed) in rules {
                let Ok(file) = std::fs::File::open(path) else {
                    continue;
                };
                let is_dir = file.metadata().is_ok_and(|m| m.is_dir());
                let allowed = if is_dir {
                    *allowed
                } else {
                    allowed & FILE_RIGHTS
                };
                let rule = PathBeneathAttr {
                    allowed_access: allowed & handled,
                    parent_fd: file.as_raw_fd(),
                };
                syscall(
                    SYS_LANDLOCK_ADD_RULE,
                    ruleset,
                    LANDLOCK_RULE_PATH_BENEATH,
                    &rule as *const PathBeneathAttr,
                    0u32,
                );
            }
            let applied = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
                && syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0u32) == 0;
            close(ruleset);
            if applied { abi } else { 0 }
        }
    }

    pub fn restrict(read: &[&std::path::Path], write: &[&std::path::Path]) -> u32 {
        let abi = abi();
        if abi == 0 {
            return 0;
        }
        let reads = EXECUTE | READ_FILE | READ_DIR;
        let writes = write_rights(abi);
        let mut rules: Vec<(&std::path::Path, u64)> = read.iter().map(|p| (*p, reads)).collect();
        rules.extend(write.iter().map(|p| (*p, reads | writes)));
        apply(abi, reads | writes, &rules)
    }

    pub fn abi() -> u32 {
        // SAFETY: the documented version query: no pointer is read.
        let abi = unsafe {
            syscall(
                SYS_LANDLOCK_CREATE_RULESET,
                std::ptr::null::<RulesetAttr>(),
                0usize,
                LANDLOCK_CREATE_RULESET_VERSION,
            )
        };
        abi.max(0) as u32
    }

    pub fn seal() -> u32 {
        let abi = abi();
        if abi == 0 {
            return 0;
        }
        let writes = write_rights(abi);
        // SAFETY: a plain prctl; failure only leaves the process dumpable.
        unsafe { prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) };
        // The test's own scratch dir stays writable (tests may make temp files there).
        let tmp = std::env::var_os("TMPDIR").map(std::path::PathBuf::from);
        let rules: Vec<(&std::path::Path, u64)> =
            tmp.iter().map(|d| (d.as_path(), writes)).collect();
        apply(abi, writes, &rules)
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub fn abi() -> u32 {
        0
    }

    pub fn restrict(_: &[&std::path::Path], _: &[&std::path::Path]) -> u32 {
        0
    }

    pub fn seal() -> u32 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_sealing_no_file_outside_tmpdir_can_be_written_or_replaced() {
        let outside = std::env::temp_dir().join(format!("guard-test-{}", std::process::id()));
        std::fs::create_dir_all(&outside).unwrap();
        let log = outside.join("log");
        std::fs::write(&log, "").unwrap();
        let scratch = outside.join("tmp");
        std::fs::create_dir_all(&scratch).unwrap();
        let (log2, scratch2) = (log.clone(), scratch.clone());
        // In a thread of its own: sealing is per thread (and its descendants).
        let verdict = std::thread::Builder::new()
            .name("sealed".into())
            .spawn(move || {
                // SAFETY: this thread is the only one reading the environment now.
                unsafe { std::env::set_var("TMPDIR", &scratch2) };
                let abi = seal();
                if abi == 0 {
                    return None;
                }
                let append = std::fs::OpenOptions::new().append(true).open(&log2);
                let reopen_fd = std::fs::OpenOptions::new()
                    .write(true)
                    .open("/proc/self/fd/0");
                let create = std::fs::write(log2.with_file_name("forged"), "ok t\n");
                let remove = std::fs::remove_file(&log2);
                let temp_ok = std::fs::write(scratch2.join("f"), "x").is_ok();
                Some((
                    append.is_err(),
                    create.is_err(),
                    remove.is_err(),
                    temp_ok,
                    reopen_fd,
                ))
            })
            .unwrap()
            .join()
            .unwrap();
        let Some((append, create, remove, temp_ok, _)) = verdict else {
            eprintln!("skipped: Landlock is not available on this kernel");
            return;
        };
        assert!(append, "the log could still be opened for writing");
        assert!(create, "a new file could still be created next to the log");
        assert!(remove, "the log could still be removed");
        assert!(temp_ok, "TMPDIR must stay writable");
        std::fs::remove_dir_all(&outside).unwrap();
    }
}
