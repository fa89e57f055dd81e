//! The sandbox a learner's build runs in. Compiling is running the learner's code too: a macro
//! like `include_str!` reads any file rustc can read, `option_env!` reads rustc's environment,
//! `include_bytes!("/dev/zero")` eats memory and a `const` loop never ends. So each learner's
//! package is built by its own cargo invocation, started as `tokiolings __build-sandbox SPEC
//! CARGO ARGS…`: a helper that caps the address space, confines cargo and every process it
//! starts with Landlock to reading the toolchain, the registry, the system's libraries and that
//! learner's package (writing only the target dir and a temp dir), and then becomes cargo. The
//! environment is cleared to what cargo needs, and the build has a deadline (`build.rs`).

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use rustix::process::{Resource, Rlimit, setrlimit};
use serde::{Deserialize, Serialize};

/// The first argument that selects the helper (hidden from `--help`).
pub const ARG: &str = "__build-sandbox";

/// What one build may touch.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Spec {
    /// Readable (and executable) beneath these.
    pub read: Vec<PathBuf>,
    /// Readable and writable beneath these.
    pub write: Vec<PathBuf>,
    /// Address space of each process of the build.
    pub memory_bytes: Option<u64>,
    /// CPU time of each process of the build: bounds a compiler that outlives a grader killed
    /// with SIGKILL (which can't stop it: an endless `const` would run for ever).
    pub cpu_secs: Option<u64>,
}

/// Entry point, called before anything else when `args[1] == ARG`: applies `args[2]` (the
/// spec, JSON) and becomes `args[3..]`.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let run = || -> Result<()> {
        let spec: Spec = serde_json::from_str(
            args.get(2)
                .and_then(|s| s.to_str())
                .context("missing build sandbox spec")?,
        )
        .context("bad build sandbox spec")?;
        let program = args.get(3).context("missing the program to run")?;
        if let Some(bytes) = spec.memory_bytes {
            setrlimit(
                Resource::As,
                Rlimit {
                    current: Some(bytes),
                    maximum: Some(bytes),
                },
            )
            .context("failed to limit the build's memory")?;
        }
        if let Some(secs) = spec.cpu_secs {
            setrlimit(
                Resource::Cpu,
                Rlimit {
                    current: Some(secs),
                    maximum: Some(secs),
                },
            )
            .context("failed to limit the build's CPU time")?;
        }
        // cargo dies with the grader, even one killed with SIGKILL.
        rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
            .context("failed to tie the build to the grader")?;
        let read: Vec<&Path> = spec.read.iter().map(PathBuf::as_path).collect();
        let write: Vec<&Path> = spec.write.iter().map(PathBuf::as_path).collect();
        // Where Landlock is missing the build still runs; the report says what applied.
        tokiolings_guard::restrict(&read, &write);
        let err = std::process::Command::new(program).args(&args[4..]).exec();
        Err(err).with_context(|| format!("failed to start {}", Path::new(program).display()))
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tokiolings build sandbox: {e:#}");
            ExitCode::from(crate::exit::ERROR)
        }
    }
}

/// Where cargo and rustup keep the toolchain and the registry.
fn cargo_dirs() -> (PathBuf, PathBuf) {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".cargo"));
    let rustup_home = std::env::var_os("RUSTUP_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".rustup"));
    (cargo_home, rustup_home)
}

/// The spec for a build of `package` into `target` (with `tmp` as its TMPDIR): the system's
/// programs and libraries, the toolchain, the registry's sources and `extra_read` (the guard
/// crate) are readable, the package, target and temp dirs writable; credentials, other
/// learners, the canonical solutions, the course and the grader's files are out of reach.
pub fn spec_for(
    package: &Path,
    extra_read: &[PathBuf],
    target: &Path,
    tmp: &Path,
    memory_bytes: Option<u64>,
    cpu_secs: Option<u64>,
) -> Spec {
    let (cargo_home, rustup_home) = cargo_dirs();
    let mut read: Vec<PathBuf> = ["/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin"]
        .iter()
        .map(PathBuf::from)
        .collect();
    read.extend(
        [
            "/etc/ld.so.cache",
            "/etc/ld.so.conf",
            "/etc/ld.so.conf.d",
            "/etc/alternatives",
        ]
        .map(PathBuf::from),
    );
    for sub in ["bin", "registry", "git", "config.toml", "config"] {
        read.push(cargo_home.join(sub));
    }
    for sub in ["toolchains", "settings.toml", "update-hashes"] {
        read.push(rustup_home.join(sub));
    }
    read.extend(extra_read.iter().cloned());
    Spec {
        read,
        // The package dir too: cargo rewrites its lock file.
        write: vec![
            package.to_path_buf(),
            target.to_path_buf(),
            tmp.to_path_buf(),
            PathBuf::from("/dev/null"),
        ],
        memory_bytes,
        cpu_secs,
    }
}

/// The environment a sandboxed build gets: nothing of the grader's but what cargo needs.
pub fn environment(tmp: &Path) -> Vec<(OsString, OsString)> {
    let (cargo_home, rustup_home) = cargo_dirs();
    let mut env: Vec<(OsString, OsString)> = vec![
        ("PATH".into(), std::env::var_os("PATH").unwrap_or_default()),
        ("CARGO_HOME".into(), cargo_home.into()),
        ("RUSTUP_HOME".into(), rustup_home.into()),
        ("TMPDIR".into(), tmp.into()),
        ("HOME".into(), tmp.into()),
        ("LANG".into(), "C.UTF-8".into()),
        ("CARGO_TERM_COLOR".into(), "never".into()),
    ];
    // The toolchain the grader was started with (`cargo +nightly run`), not a default.
    for keep in ["RUSTUP_TOOLCHAIN", "CARGO_NET_OFFLINE"] {
        if let Some(v) = std::env::var_os(keep) {
            env.push((keep.into(), v));
        }
    }
    env
}
