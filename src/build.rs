//! The build stage: every cargo invocation on the course package, read through cargo's JSON
//! messages (`cargo_metadata`), never through its exit code or text.
//!
//! Builds run without a deadline (compile time never counts against a test) but in their own
//! process group, so a cancelled build takes its rustc processes with it.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use cargo_metadata::diagnostic::DiagnosticLevel;
use cargo_metadata::{Message, MetadataCommand};
use tokio::process::Command;

use crate::course::Course;
use crate::fsutil::relative_to;
use crate::supervise::{self, Limits};

/// The cargo package whose bins are the exercises (`NAME`) and solutions (`NAME_sol`).
#[derive(Clone, Debug)]
pub struct CoursePackage {
    pub manifest: PathBuf,
    pub name: String,
    pub workspace_root: PathBuf,
    pub target_dir: PathBuf,
    /// Where paths in diagnostics are shown relative to.
    pub course_root: PathBuf,
    pub bins: Vec<String>,
    /// Set when the package is someone else's code (grade mode): how its builds are confined.
    pub jail: Option<BuildJail>,
}

/// How a package's builds run when they compile a learner's code.
#[derive(Clone, Debug)]
pub struct BuildJail {
    /// Put before cargo's command line: the build sandbox helper and its spec.
    pub prefix: Vec<OsString>,
    /// The whole environment cargo gets.
    pub env: Vec<(OsString, OsString)>,
    /// A build still running then is stopped, with every process it started.
    pub deadline: Duration,
}

impl CoursePackage {
    /// Finds the package among the course's cargo workspace that has the first exercise as a bin.
    pub fn locate(course: &Course) -> Result<Self> {
        let manifest = course.root.join("Cargo.toml");
        let meta = MetadataCommand::new()
            .manifest_path(&manifest)
            .no_deps()
            .exec()
            .with_context(|| {
                format!("failed to read the cargo package of {}", manifest.display())
            })?;
        let first = &course.exercises[0].name;
        let pkg = meta
            .workspace_packages()
            .into_iter()
            .find(|p| p.targets.iter().any(|t| t.is_bin() && &t.name == first))
            .with_context(|| {
                format!(
                    "no package of {} has a bin named `{first}`\n(hint: run `tokiolings dev update` to write the [[bin]] list from info.toml)",
                    manifest.display()
                )
            })?;
        Ok(Self {
            manifest: pkg.manifest_path.clone().into_std_path_buf(),
            name: pkg.name.to_string(),
            workspace_root: meta.workspace_root.clone().into_std_path_buf(),
            target_dir: meta.target_directory.clone().into_std_path_buf(),
            course_root: course.root.clone(),
            bins: pkg
                .targets
                .iter()
                .filter(|t| t.is_bin())
                .map(|t| t.name.clone())
                .collect(),
            jail: None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuildKind {
    /// The libtest harness of each bin (`cargo test --no-run`).
    Tests,
    /// The plain binary, to run `main` (`test = false` exercises).
    Bin,
    /// `cargo check` of the program (not the test harness): type errors only `main` shows.
    Check,
    /// The same found by `cargo build` of the program: slower than `Check` for the bin itself,
    /// but it reuses the dependencies the test build compiled, where `Check` compiles every
    /// one of them again, in check mode, the first time (a minute for this course's, cold).
    Program,
    /// `cargo clippy --profile test -- -D warnings`.
    StrictClippy,
    /// Every test target of the package, keeping going past broken ones
    /// (`cargo build --tests --keep-going`): for generated packages (grade mode's scratch
    /// package) whose test targets are exactly the ones wanted.
    AllTests,
}

impl BuildKind {
    /// Kinds that produce no executable.
    fn checks_only(self) -> bool {
        matches!(
            self,
            BuildKind::Check | BuildKind::Program | BuildKind::StrictClippy
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub is_error: bool,
    /// One line: `error[E0308]: mismatched types`.
    pub headline: String,
    /// `exercises/01_intro/x.rs:12:5`, relative to the course root when possible.
    pub location: Option<String>,
    /// As rustc rendered it, with ANSI colours.
    pub rendered: String,
}

impl Diagnostic {
    /// `path:line: error[E…]: …`, the one-line form used in reports.
    pub fn summary(&self) -> String {
        match &self.location {
            Some(loc) => format!("{loc}: {}", self.headline),
            None => self.headline.clone(),
        }
    }
}

/// What one cargo invocation produced, per bin.
#[derive(Debug, Default)]
pub struct BuildOutput {
    pub executables: HashMap<String, PathBuf>,
    /// Errors first, then warnings, each in the order rustc emitted them.
    pub diagnostics: HashMap<String, Vec<Diagnostic>>,
    /// cargo's own stderr (capped), for failures that are not compiler errors.
    pub stderr: String,
    pub success: bool,
    /// The build ran past its jail's deadline and was stopped.
    pub timed_out: Option<Duration>,
}

/// The verdict of the build stage for one bin.
#[derive(Debug)]
pub enum Built {
    /// Built; the executable is `None` for check and clippy, which produce none.
    Ok {
        executable: Option<PathBuf>,
        warnings: Vec<Diagnostic>,
    },
    /// The learner's code doesn't compile (or clippy denied it).
    Failed { diagnostics: Vec<Diagnostic> },
}

impl BuildOutput {
    pub fn diagnostics_of(&self, bin: &str) -> &[Diagnostic] {
        self.diagnostics.get(bin).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Classifies one bin of the build. An `Err` is a problem of the tool or the course
    /// (cargo could not even start compiling), not of the learner's code.
    pub fn outcome(&self, kind: BuildKind, bin: &str) -> Result<Built> {
        let diags = self.diagnostics_of(bin).to_vec();
        if diags.iter().any(|d| d.is_error) {
            return Ok(Built::Failed { diagnostics: diags });
        }
        if let Some(deadline) = self.timed_out {
            return Ok(Built::Failed {
                diagnostics: vec![Diagnostic {
                    is_error: true,
                    headline: format!(
                        "the build ran past its {} deadline and was stopped",
                        humantime::format_duration(deadline)
                    ),
                    location: None,
                    rendered: String::new(),
                }],
            });
        }
        let executable = self.executables.get(bin).cloned();
        if !kind.checks_only() && executable.is_none() {
            bail!(
                "cargo built no executable for `{bin}`:\n{}",
                self.stderr.trim_end()
            );
        }
        if kind == BuildKind::StrictClippy && !self.success && diags.is_empty() {
            bail!(
                "cargo clippy failed on `{bin}`:\n{}",
                self.stderr.trim_end()
            );
        }
        Ok(Built::Ok {
            executable,
            warnings: diags,
        })
    }
}

/// Builds `bins` of the course package, cargo compiling them in parallel. `on_crate` hears each
/// freshly compiled crate's name.
///
/// `cargo build` and `cargo clippy` keep going past a broken bin; `cargo test --no-run` has no
/// `--keep-going` and stops at the first broken one, so test builds go again, in rounds, for the
/// bins that got neither an executable nor an error, until a round makes no progress.
pub async fn build(
    pkg: &CoursePackage,
    kind: BuildKind,
    bins: &[String],
    on_crate: &(dyn Fn(&str) + Sync),
) -> Result<BuildOutput> {
    let mut out = build_once(pkg, kind, bins, on_crate).await?;
    if kind != BuildKind::Tests {
        return Ok(out);
    }
    let mut pending = unresolved(&out, bins);
    while !pending.is_empty() && pending.len() < bins.len() {
        let round = build_once(pkg, kind, &pending, on_crate).await?;
        out.executables.extend(round.executables);
        out.diagnostics.extend(round.diagnostics);
        out.stderr = round.stderr;
        out.success = round.success;
        let still = unresolved(&out, &pending);
        if still.len() == pending.len() {
            break;
        }
        pending = still;
    }
    if !unresolved(&out, bins).is_empty() {
        out.success = false;
    }
    Ok(out)
}

fn unresolved(out: &BuildOutput, bins: &[String]) -> Vec<String> {
    bins.iter()
        .filter(|b| {
            !out.executables.contains_key(*b) && !out.diagnostics_of(b).iter().any(|d| d.is_error)
        })
        .cloned()
        .collect()
}

async fn build_once(
    pkg: &CoursePackage,
    kind: BuildKind,
    bins: &[String],
    on_crate: &(dyn Fn(&str) + Sync),
) -> Result<BuildOutput> {
    let mut cmd = match &pkg.jail {
        Some(jail) => {
            let mut cmd = Command::new(&jail.prefix[0]);
            cmd.args(&jail.prefix[1..])
                .arg(cargo())
                .env_clear()
                .envs(jail.env.iter().map(|(k, v)| (k, v)));
            cmd
        }
        None => Command::new(cargo()),
    };
    match kind {
        BuildKind::Tests => cmd.args(["test", "--no-run"]),
        BuildKind::Bin | BuildKind::Program => cmd.args(["build", "--keep-going"]),
        BuildKind::Check => cmd.args(["check", "--keep-going"]),
        BuildKind::StrictClippy => cmd.args(["clippy", "--keep-going", "--profile", "test"]),
        BuildKind::AllTests => cmd.args(["build", "--tests", "--keep-going"]),
    };
    cmd.arg("--manifest-path")
        .arg(&pkg.manifest)
        .args(["-p", &pkg.name])
        .arg("--message-format=json-diagnostic-rendered-ansi")
        .env("CARGO_TERM_COLOR", "never")
        .current_dir(&pkg.workspace_root);
    if kind != BuildKind::AllTests {
        for bin in bins {
            cmd.args(["--bin", bin]);
        }
    }
    if kind == BuildKind::StrictClippy {
        cmd.args(["--", "-D", "warnings"]);
    }

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let limits = Limits {
        deadline: pkg.jail.as_ref().map(|j| j.deadline),
        output_cap: supervise::DEFAULT_OUTPUT_CAP,
    };
    let run = supervise::run_with_stdout_lines(cmd, limits, tx);
    tokio::pin!(run);
    let mut out = BuildOutput::default();
    let mut finished = None;
    loop {
        tokio::select! {
            line = rx.recv() => match line {
                Some(line) => take_message(pkg, kind, &line, &mut out, on_crate),
                None => break,
            },
            f = &mut run, if finished.is_none() => finished = Some(f?),
        }
    }
    let finished = match finished {
        Some(f) => f,
        None => run.await?,
    };
    out.stderr = finished.output;
    if finished.exit == supervise::Exit::TimedOut {
        out.timed_out = pkg.jail.as_ref().map(|j| j.deadline);
    }
    if !finished.exit.success() && out.success {
        out.success = false;
    }
    for diags in out.diagnostics.values_mut() {
        // Errors first: the first error is the one to fix.
        diags.sort_by_key(|d| !d.is_error);
    }
    Ok(out)
}

fn take_message(
    pkg: &CoursePackage,
    kind: BuildKind,
    line: &str,
    out: &mut BuildOutput,
    on_crate: &(dyn Fn(&str) + Sync),
) {
    let Ok(msg) = serde_json::from_str::<Message>(line) else {
        return;
    };
    match msg {
        Message::CompilerArtifact(a) => {
            if !a.fresh {
                on_crate(&a.target.name);
            }
            let ours = a.manifest_path.as_std_path() == pkg.manifest && a.target.is_bin();
            let wanted_profile =
                a.profile.test == matches!(kind, BuildKind::Tests | BuildKind::AllTests);
            if let (true, true, Some(exe)) = (ours, wanted_profile, a.executable) {
                out.executables
                    .insert(a.target.name.clone(), exe.into_std_path_buf());
            }
        }
        Message::CompilerMessage(m) if (m.target.is_bin() || m.target.is_test()) => {
            let level = m.message.level;
            if matches!(
                level,
                DiagnosticLevel::Error | DiagnosticLevel::Warning | DiagnosticLevel::Ice
            ) {
                let d = diagnostic(pkg, &m.message);
                // rustc repeats a summary line ("aborting due to …"); keep only located ones.
                if d.location.is_some() || !d.headline.starts_with("error: aborting") {
                    out.diagnostics
                        .entry(m.target.name.clone())
                        .or_default()
                        .push(d);
                }
            }
        }
        Message::BuildFinished(f) => out.success = f.success,
        _ => {}
    }
}

fn diagnostic(pkg: &CoursePackage, d: &cargo_metadata::diagnostic::Diagnostic) -> Diagnostic {
    let is_error = matches!(d.level, DiagnosticLevel::Error | DiagnosticLevel::Ice);
    let prefix = if is_error { "error" } else { "warning" };
    let headline = match &d.code {
        Some(c) => format!("{prefix}[{}]: {}", c.code, d.message),
        None => format!("{prefix}: {}", d.message),
    };
    let location = d.spans.iter().find(|s| s.is_primary).map(|s| {
        let path = relative_to(&pkg.workspace_root.join(&s.file_name), &pkg.course_root);
        format!("{}:{}:{}", path.display(), s.line_start, s.column_start)
    });
    Diagnostic {
        is_error,
        headline,
        location,
        rendered: d.rendered.clone().unwrap_or_else(|| d.message.clone()),
    }
}

/// The cargo that runs us, so `cargo +toolchain run` builds exercises with the same toolchain.
pub fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

#[cfg(test)]
mod tests {
    //! cargo's JSON messages as recorded from real builds of a tiny course package at
    //! /tmp/h7crate (bins `good`, with an unused variable, and `bad`, with a mismatched type and
    //! needless parentheses); see tests/fixtures/cargo-json/README.md.

    use std::sync::Mutex;

    use super::*;

    const BUILD_ERROR: &str = include_str!("../tests/fixtures/cargo-json/build-error.jsonl");
    const TEST_NO_RUN: &str = include_str!("../tests/fixtures/cargo-json/test-no-run.jsonl");
    /// A line of cargo's that is not JSON (its progress line, as it printed it).
    const NOT_JSON: &str = "   Compiling tiny-course v0.1.0 (/tmp/h7crate)";

    fn pkg() -> CoursePackage {
        CoursePackage {
            manifest: "/tmp/h7crate/Cargo.toml".into(),
            name: "tiny-course".into(),
            workspace_root: "/tmp/h7crate".into(),
            target_dir: "/tmp/h7crate/target".into(),
            course_root: "/tmp/h7crate".into(),
            bins: vec!["good".into(), "bad".into()],
            jail: None,
        }
    }

    /// Every line through `take_message`, as `build_once` feeds them; also the crates heard.
    fn read(pkg: &CoursePackage, kind: BuildKind, lines: &str) -> (BuildOutput, Vec<String>) {
        let heard = Mutex::new(Vec::new());
        let on_crate = |name: &str| heard.lock().unwrap().push(name.to_string());
        let mut out = BuildOutput::default();
        for line in lines.lines() {
            take_message(pkg, kind, line, &mut out, &on_crate);
        }
        (out, heard.into_inner().unwrap())
    }

    #[test]
    fn an_error_and_a_warning_are_kept_with_their_location_and_rendering() {
        let (out, heard) = read(&pkg(), BuildKind::Bin, BUILD_ERROR);
        assert!(!out.success, "build-finished said success: false");
        assert!(heard.is_empty() && out.executables.is_empty());
        let diags = out.diagnostics_of("bad");
        // In rustc's order (build_once sorts errors first); the "For more information" note
        // is neither an error nor a warning.
        let summaries: Vec<String> = diags.iter().map(Diagnostic::summary).collect();
        assert_eq!(
            summaries,
            [
                "exercises/intro/bad.rs:2:18: warning[unused_parens]: unnecessary parentheses around assigned value",
                "exercises/intro/bad.rs:2:18: error[E0308]: mismatched types",
            ]
        );
        assert_eq!(
            diags.iter().map(|d| d.is_error).collect::<Vec<_>>(),
            [false, true]
        );
        let error = &diags[1].rendered;
        assert!(error.contains("\u{1b}[") && error.contains("expected `u32`, found `&str`"));
        match out.outcome(BuildKind::Bin, "bad").unwrap() {
            Built::Failed { diagnostics } => assert_eq!(diagnostics, diags),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_test_build_gives_the_executable_and_its_warning() {
        let (out, heard) = read(&pkg(), BuildKind::Tests, TEST_NO_RUN);
        assert!(out.success);
        assert_eq!(heard, ["good"], "the freshly compiled crate is announced");
        let exe = &out.executables["good"];
        assert_eq!(
            exe,
            &PathBuf::from("/tmp/h7crate/target/debug/deps/good-38e87dc273697270")
        );
        match out.outcome(BuildKind::Tests, "good").unwrap() {
            Built::Ok {
                executable,
                warnings,
            } => {
                assert_eq!(executable.as_ref(), Some(exe));
                assert_eq!(
                    warnings.iter().map(Diagnostic::summary).collect::<Vec<_>>(),
                    [
                        "exercises/intro/good.rs:2:9: warning[unused_variables]: unused variable: `unused`"
                    ]
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_artifact_of_another_profile_or_package_is_not_taken() {
        // The test harness is not the program `main` runs from.
        let (out, _) = read(&pkg(), BuildKind::Bin, TEST_NO_RUN);
        assert!(out.executables.is_empty());
        let err = out.outcome(BuildKind::Bin, "good").unwrap_err();
        assert!(
            err.to_string()
                .contains("cargo built no executable for `good`"),
            "{err}"
        );
        // Check builds produce no executable and need none.
        assert!(matches!(
            out.outcome(BuildKind::Check, "good").unwrap(),
            Built::Ok {
                executable: None,
                ..
            }
        ));
        let other = CoursePackage {
            manifest: "/elsewhere/Cargo.toml".into(),
            ..pkg()
        };
        let (out, _) = read(&other, BuildKind::Tests, TEST_NO_RUN);
        assert!(out.executables.is_empty());
    }

    #[test]
    fn a_line_that_is_not_json_changes_nothing() {
        let (out, heard) = read(&pkg(), BuildKind::Tests, NOT_JSON);
        assert!(heard.is_empty() && out.executables.is_empty() && out.diagnostics.is_empty());
        assert!(!out.success);
        // Between real messages it is skipped too.
        let mixed = format!("{NOT_JSON}\n{TEST_NO_RUN}{NOT_JSON}\n");
        let (out, _) = read(&pkg(), BuildKind::Tests, &mixed);
        assert!(out.success && out.executables.contains_key("good"));
    }

    #[test]
    fn locations_are_relative_to_the_course_root_when_inside_it() {
        for (course_root, want) in [
            ("/tmp/h7crate/exercises", "intro/bad.rs:2:18"),
            (
                "/somewhere/else",
                "/tmp/h7crate/exercises/intro/bad.rs:2:18",
            ),
        ] {
            let pkg = CoursePackage {
                course_root: course_root.into(),
                ..pkg()
            };
            let (out, _) = read(&pkg, BuildKind::Bin, BUILD_ERROR);
            assert_eq!(
                out.diagnostics_of("bad")[1].location.as_deref(),
                Some(want),
                "course root {course_root}"
            );
        }
    }

    #[test]
    fn a_stopped_build_or_a_failed_clippy_without_diagnostics_is_not_a_pass() {
        let (mut out, _) = read(&pkg(), BuildKind::Tests, TEST_NO_RUN);
        out.timed_out = Some(Duration::from_secs(300));
        match out.outcome(BuildKind::Tests, "good").unwrap() {
            Built::Failed { diagnostics } => {
                assert_eq!(diagnostics.len(), 1);
                assert!(diagnostics[0].is_error);
                assert_eq!(
                    diagnostics[0].headline,
                    "the build ran past its 5m deadline and was stopped"
                );
            }
            other => panic!("{other:?}"),
        }
        let out = BuildOutput {
            stderr: "clippy crashed\n".into(),
            ..BuildOutput::default()
        };
        let err = out.outcome(BuildKind::StrictClippy, "good").unwrap_err();
        assert_eq!(
            err.to_string(),
            "cargo clippy failed on `good`:\nclippy crashed"
        );
    }
}
