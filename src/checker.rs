//! Checking exercises: build → list tests → run each test in its own supervised process →
//! verdict. The expected tests come from the course (the solution's test module), so deleting or
//! ignoring a test never passes.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tokio::process::Command;
use tokio::sync::Semaphore;

use crate::build::{self, BuildKind, Built, CoursePackage, Diagnostic};
use crate::course::{Course, Exercise};
use crate::report::{ExerciseResult, Status, TestResult, TestStatus};
use crate::source;
use crate::supervise::{self, Exit, Limits};
use crate::verdict::{self, Harness};

/// What to build and judge: an exercise's bin, or its solution's.
#[derive(Clone, Debug)]
pub struct Target {
    pub exercise: Exercise,
    pub bin: String,
    /// The source file the bin is built from (absolute), for fallback test discovery.
    pub source: PathBuf,
}

impl Target {
    pub fn exercise(course: &Course, ex: &Exercise) -> Self {
        Self {
            exercise: ex.clone(),
            bin: ex.name.clone(),
            source: course.root.join(&ex.path),
        }
    }

    pub fn solution(course: &Course, ex: &Exercise) -> Self {
        Self {
            exercise: ex.clone(),
            bin: ex.sol_bin(),
            source: course.root.join(&ex.sol_path),
        }
    }
}

/// What a check reports while it runs. The core never prints: `render::progress` draws these.
pub trait Events: Sync {
    /// cargo finished compiling a crate (a dependency, or an exercise).
    fn compiled(&self, _krate: &str) {}
    /// An exercise was judged.
    fn judged(&self, _result: &ExerciseResult) {}
    /// An exercise was judged without building it (grade mode: a missing file).
    fn skipped(&self, _result: &ExerciseResult) {}
}

/// Hears nothing.
pub struct Quiet;

impl Events for Quiet {}

/// Checks targets of one course package. Made with [`Checker::builder`].
#[derive(Clone)]
pub struct Checker {
    pkg: Arc<CoursePackage>,
    /// Bounds how many test processes run at once (across exercises too).
    slots: Arc<Semaphore>,
    output_cap: usize,
    /// Replaces every exercise's `timeout_secs` (tests of the grader, impatient authors).
    timeout_override: Option<Duration>,
    /// Where the test harnesses' log files go (a temp dir by default): grade mode's sandbox
    /// leaves only this one writable.
    log_root: Option<PathBuf>,
    /// Where the canonical tests come from (the course's solutions by default).
    canonical_root: PathBuf,
    /// How test harnesses are built: `Tests`, or `AllTests` for a generated package.
    tests_build: BuildKind,
    /// Makes the command a test (or `main`) runs as; grade mode wraps the executable in its
    /// sandbox. `None`: the executable itself.
    wrap: Option<CommandWrapper>,
    /// Run only the course's tests, not extra ones the file declares (grade mode: a learner's
    /// own tests could only cost time, up to a deadline each).
    only_course_tests: bool,
    /// Check the program before the tests start rather than beside them.
    program_check_first: bool,
    /// Deadlines come from the solutions' recorded timings where the author set none.
    evidence_deadlines: bool,
    /// How the program is checked: `Program` (a build, sharing the test build's dependencies)
    /// or `Check`.
    program_kind: BuildKind,
}

/// See [`CheckerBuilder::sandbox`].
pub type CommandWrapper = Arc<dyn Fn(&Path) -> Command + Send + Sync>;

/// Configures a [`Checker`]: the defaults check a course's own package as a learner would.
pub struct CheckerBuilder(Checker);

impl CheckerBuilder {
    /// Replaces every exercise's `timeout_secs`.
    pub fn timeout(mut self, t: Option<Duration>) -> Self {
        self.0.timeout_override = t;
        self
    }

    /// Runs every test through `wrap`, with its log file under `log_root` (grade mode).
    pub fn sandbox(mut self, wrap: CommandWrapper, log_root: PathBuf) -> Self {
        self.0.wrap = Some(wrap);
        self.0.log_root = Some(log_root);
        self
    }

    /// Takes the expected tests from solutions under `root` instead of the course's.
    pub fn canonical_root(mut self, root: PathBuf) -> Self {
        self.0.canonical_root = root;
        self
    }

    /// Builds test harnesses with `kind` (`AllTests` for a generated package).
    pub fn tests_build(mut self, kind: BuildKind) -> Self {
        self.0.tests_build = kind;
        self
    }

    /// Shares the bound on running test processes with other checkers (one per learner).
    pub fn slots(mut self, slots: Arc<Semaphore>) -> Self {
        self.0.slots = slots;
        self
    }

    /// Checks the program before any test starts (grade mode: verdicts independent of load),
    /// with `cargo check`: grade mode checks many learners' copies against one set of
    /// dependencies, where building every bin of every learner would cost more.
    pub fn program_check_first(mut self) -> Self {
        self.0.program_check_first = true;
        self.0.program_kind = BuildKind::Check;
        self
    }

    /// Runs only the tests the course expects; a learner's extra tests are left out.
    pub fn only_course_tests(mut self) -> Self {
        self.0.only_course_tests = true;
        self
    }

    /// Derives each exercise's deadline from its solution's slowest recorded test, where the
    /// author set no `timeout_secs` (watch and run: a hang is told in a second or so).
    pub fn evidence_deadlines(mut self, yes: bool) -> Self {
        self.0.evidence_deadlines = yes;
        self
    }

    pub fn build(self) -> Checker {
        self.0
    }
}

impl Checker {
    pub fn builder(course: &Course, pkg: CoursePackage) -> CheckerBuilder {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        CheckerBuilder(Self {
            canonical_root: course.root.clone(),
            log_root: None,
            pkg: Arc::new(pkg),
            slots: Arc::new(Semaphore::new(cores)),
            output_cap: supervise::DEFAULT_OUTPUT_CAP,
            timeout_override: None,
            tests_build: BuildKind::Tests,
            wrap: None,
            only_course_tests: false,
            program_check_first: false,
            program_kind: BuildKind::Program,
            evidence_deadlines: false,
        })
    }

    /// The course package this checker builds.
    pub fn package(&self) -> &CoursePackage {
        &self.pkg
    }

    fn deadline(&self, ex: &Exercise) -> Duration {
        self.timeout_override
            .or_else(|| self.derived_deadline(ex))
            .unwrap_or(ex.timeout)
    }

    /// The deadline the solution's timings earn, when that is what applies (never longer than
    /// the exercise's own).
    fn derived_deadline(&self, ex: &Exercise) -> Option<Duration> {
        if !self.evidence_deadlines || ex.timeout_set || self.timeout_override.is_some() {
            return None;
        }
        ex.slowest_ms
            .map(|ms| crate::timings::deadline(ms).min(ex.timeout))
    }

    /// After a timeout under a derived deadline: how to get more time.
    fn more_time(&self, ex: &Exercise, t: &mut TestResult) {
        if t.status == TestStatus::Timeout && self.derived_deadline(ex).is_some() {
            t.message.push_str(&format!(
                "\nhint: the deadline is 4× what the solution needs; if yours is slower on purpose, `--timeout {}` gives every test {} s",
                ex.timeout.as_secs(),
                ex.timeout.as_secs()
            ));
        }
    }

    /// Builds every target in one cargo invocation, then judges each; `events` hears the
    /// compiled crates and each result as it is ready. A fault of one target (its tests can't
    /// be listed, its log dir can't be made) is that exercise's `error`; only a fault of the
    /// whole run (cargo can't be started) is an `Err`.
    pub async fn check_all(
        &self,
        targets: &[Target],
        events: &dyn Events,
    ) -> Result<Vec<ExerciseResult>> {
        let start = Instant::now();
        let mut results: Vec<Option<ExerciseResult>> = vec![None; targets.len()];
        for kind in [self.tests_build, BuildKind::Bin] {
            let idx: Vec<usize> = (0..targets.len())
                .filter(|&i| targets[i].exercise.test == (kind != BuildKind::Bin))
                .collect();
            if idx.is_empty() {
                continue;
            }
            for (i, r) in self.check_kind(kind, targets, &idx, start, events).await? {
                events.judged(&r);
                results[i] = Some(r);
            }
        }
        Ok(results
            .into_iter()
            .map(|r| r.expect("every target judged"))
            .collect())
    }

    /// Builds the targets `idx` as `kind` in one cargo invocation, judges each (in parallel,
    /// bounded by the slots) and, for test harnesses, checks that the programs compile too.
    async fn check_kind(
        &self,
        kind: BuildKind,
        targets: &[Target],
        idx: &[usize],
        start: Instant,
        events: &dyn Events,
    ) -> Result<Vec<(usize, ExerciseResult)>> {
        let bins: Vec<String> = idx.iter().map(|&i| targets[i].bin.clone()).collect();
        let on_build = |krate: &str| events.compiled(krate);
        let out = build::build(&self.pkg, kind, &bins, &on_build).await?;
        let build_ms = start.elapsed().as_millis() as u64 / bins.len().max(1) as u64;
        // Bins that didn't compile as tests are already judged, and aren't checked again.
        let built: Vec<String> = bins
            .iter()
            .filter(|b| out.executables.contains_key(*b))
            .cloned()
            .collect();
        // The test build already type-checked most programs (see
        // `source::program_checked_by_tests`); grade mode checks every one, as its sources are
        // not trusted to be what they seem.
        let built: Vec<String> = if self.program_check_first {
            built
        } else {
            let by_bin: std::collections::HashMap<&str, &Target> = idx
                .iter()
                .map(|&i| (targets[i].bin.as_str(), &targets[i]))
                .collect();
            built
                .into_iter()
                .filter(|b| {
                    by_bin.get(b.as_str()).is_none_or(|t| {
                        !std::fs::read_to_string(&t.source)
                            .is_ok_and(|src| source::program_checked_by_tests(&src))
                    })
                })
                .collect()
        };
        let check_program = kind != BuildKind::Bin && !built.is_empty();
        // Grade mode checks the program before any test starts: a test must never share the
        // CPU with the grader's own build, or its verdict would depend on load.
        let checked_first = if check_program && self.program_check_first {
            Some(build::build(&self.pkg, self.program_kind, &built, &|_| {}).await?)
        } else {
            None
        };
        let judged = self.judge_all(kind, targets, idx, &out, build_ms);
        // Otherwise the program check runs beside the tests, so a pass costs no extra wait.
        let program = async {
            if checked_first.is_some() || !check_program {
                return Ok(checked_first);
            }
            build::build(&self.pkg, self.program_kind, &built, &|_| {})
                .await
                .map(Some)
        };
        let (judged, program) = tokio::join!(judged, program);
        let (mut judged, program) = (judged?, program?);
        for (i, r) in &mut judged {
            if let Some(program) = &program {
                program_must_compile(r, program, self.program_kind, &targets[*i].bin);
            }
        }
        Ok(judged)
    }

    /// Judges each built target in a task of its own. A fault of one target (not of the run)
    /// is that exercise's `error`.
    async fn judge_all(
        &self,
        kind: BuildKind,
        targets: &[Target],
        idx: &[usize],
        out: &build::BuildOutput,
        build_ms: u64,
    ) -> Result<Vec<(usize, ExerciseResult)>> {
        let mut set = tokio::task::JoinSet::new();
        for &i in idx {
            let target = targets[i].clone();
            // cargo failing without a compiler error (a broken manifest, a missing file)
            // still gets a verdict, so one bad exercise never stops the run.
            let built = out
                .outcome(kind, &target.bin)
                .unwrap_or_else(|e| Built::Failed {
                    diagnostics: vec![Diagnostic {
                        is_error: true,
                        headline: format!("error: {e:#}"),
                        location: None,
                        rendered: format!("error: {e:#}\n"),
                    }],
                });
            let this = self.clone();
            set.spawn(async move {
                let r = this.judge(&target, built, build_ms).await;
                let r = r.unwrap_or_else(|e| {
                    ExerciseResult::unbuilt(
                        &target.exercise,
                        format!("the grader could not check this exercise: {e:#}"),
                    )
                });
                (i, r)
            });
        }
        let mut judged = Vec::new();
        while let Some(joined) = set.join_next().await {
            judged.push(joined.context("a check task panicked")?);
        }
        Ok(judged)
    }

    /// Checks one target.
    pub async fn check(&self, target: &Target, events: &dyn Events) -> Result<ExerciseResult> {
        let mut r = self.check_all(std::slice::from_ref(target), events).await?;
        Ok(r.remove(0))
    }

    async fn judge(&self, target: &Target, built: Built, build_ms: u64) -> Result<ExerciseResult> {
        let ex = &target.exercise;
        let start = Instant::now();
        let mut result = ExerciseResult::new(ex);
        match built {
            Built::Failed { diagnostics } => {
                result.status = Status::Error;
                result.message = first_error(&diagnostics);
                result.compiler_output = render(&diagnostics);
            }
            Built::Ok {
                executable,
                warnings,
            } => {
                let exe = executable.context("the build produced no executable")?;
                result.compiler_output = render(&warnings);
                result.tests = if ex.test {
                    self.run_tests(target, &exe).await?
                } else {
                    vec![self.run_main(target, &exe).await?]
                };
                result.status = verdict::exercise_status(&result.tests);
                result.message = verdict::exercise_message(&result);
                if result.status == Status::Pass && ex.strict_clippy {
                    self.strict_clippy(target, &mut result).await?;
                }
            }
        }
        if result.status == Status::Pass {
            result.points = ex.points;
        }
        result.duration_ms = build_ms + start.elapsed().as_millis() as u64;
        Ok(result)
    }

    async fn strict_clippy(&self, target: &Target, result: &mut ExerciseResult) -> Result<()> {
        let out = build::build(
            &self.pkg,
            BuildKind::StrictClippy,
            std::slice::from_ref(&target.bin),
            &|_| {},
        )
        .await?;
        if let Built::Failed { diagnostics } = out.outcome(BuildKind::StrictClippy, &target.bin)? {
            result.status = Status::Fail;
            result.lint_failed = true;
            result.message = format!("clippy (strict): {}", first_error(&diagnostics));
            result.compiler_output = render(&diagnostics);
        }
        Ok(())
    }

    /// The tests the course expects: the solution's test module, else whatever the file declares.
    fn expected_tests(&self, target: &Target) -> Result<Vec<String>> {
        let canonical = self.canonical_root.join(&target.exercise.sol_path);
        let path = if canonical.is_file() {
            canonical
        } else {
            target.source.clone()
        };
        let src = std::fs::read_to_string(&path)
            .with_context(|| format!("failed to read {}", path.display()))?;
        source::test_names(&src)
            .with_context(|| format!("failed to read the tests of {}", path.display()))
    }

    async fn run_tests(&self, target: &Target, exe: &Path) -> Result<Vec<TestResult>> {
        let expected = self.expected_tests(target)?;
        let (listed, ignored) = tokio::join!(self.list(exe, false), self.list(exe, true));
        let listed = listed?;
        let ignored: HashSet<String> = ignored?.into_iter().collect();
        let listed_set: HashSet<&String> = listed.iter().collect();

        let mut names: Vec<String> = expected.clone();
        if !self.only_course_tests {
            names.extend(listed.iter().filter(|n| !expected.contains(n)).cloned());
        }

        let logdir = match &self.log_root {
            Some(root) => tempfile::tempdir_in(root),
            None => tempfile::tempdir(),
        };
        let logdir = Arc::new(logdir.context("failed to create a dir for the test logs")?);
        let deadline = self.deadline(&target.exercise);
        let mut set = tokio::task::JoinSet::new();
        for (i, name) in names.into_iter().enumerate() {
            if !listed_set.contains(&name) {
                set.spawn(async move { Ok((i, missing(&name))) });
                continue;
            }
            if ignored.contains(&name) {
                set.spawn(async move { Ok((i, ignored_test(&name))) });
                continue;
            }
            let this = self.clone();
            let exe = exe.to_path_buf();
            let logdir = logdir.clone();
            let exercise = target.exercise.clone();
            set.spawn(async move {
                let permit = this.slots.clone().acquire_owned().await?;
                let log = logdir.path().join(format!("{i}.log"));
                let mut cmd = this.command(&exe);
                cmd.args(["--exact", &name, "--nocapture", "--test-threads=1"])
                    .arg("--logfile")
                    .arg(&log);
                // A test that only waits (for its deadline, often) gives its slot back.
                let release = Box::new(move || drop(permit));
                let run =
                    supervise::run_releasing_when_idle(cmd, this.limits(deadline), release).await?;
                let harness = Harness::from_log_path(&log, &name);
                let mut t = verdict::judge_test(&name, &run, harness, deadline);
                this.more_time(&exercise, &mut t);
                anyhow::Ok((i, t))
            });
        }
        let mut tests: Vec<(usize, TestResult)> = Vec::new();
        while let Some(joined) = set.join_next().await {
            tests.push(joined.context("a test task panicked")??);
        }
        tests.sort_by_key(|(i, _)| *i);
        Ok(tests.into_iter().map(|(_, t)| t).collect())
    }

    /// `--list` the harness's tests (or only the `#[ignore]`d ones).
    async fn list(&self, exe: &Path, ignored: bool) -> Result<Vec<String>> {
        let mut cmd = self.command(exe);
        cmd.args(["--list", "--format", "terse"]);
        if ignored {
            cmd.arg("--ignored");
        }
        let run = supervise::run(cmd, self.limits(Duration::from_secs(30))).await?;
        if run.exit != Exit::Code(0) {
            anyhow::bail!(
                "listing the tests of {} failed:\n{}",
                exe.display(),
                run.output
            );
        }
        Ok(run
            .output
            .lines()
            .filter_map(|l| l.strip_suffix(": test"))
            .map(str::to_string)
            .collect())
    }

    async fn run_main(&self, target: &Target, exe: &Path) -> Result<TestResult> {
        let _permit = self.slots.acquire().await?;
        let deadline = self.deadline(&target.exercise);
        let run = supervise::run(self.command(exe), self.limits(deadline)).await?;
        let mut t = verdict::judge_test("main", &run, Harness::Ok, deadline);
        self.more_time(&target.exercise, &mut t);
        if t.status == TestStatus::Pass && !run.exit.success() {
            t.status = TestStatus::Fail;
        }
        if let Exit::Code(code) = run.exit
            && code != 0
        {
            t.message = format!("`main` exited with code {code}; it must exit with 0");
            if let Some(p) = verdict::panic_message(&verdict::seen_output(&run)) {
                t.message = format!("{}: {p}", t.message);
            }
        }
        Ok(t)
    }

    fn command(&self, exe: &Path) -> Command {
        let mut cmd = match &self.wrap {
            Some(wrap) => wrap(exe),
            None => Command::new(exe),
        };
        let dir = self
            .pkg
            .manifest
            .parent()
            .unwrap_or(&self.pkg.workspace_root);
        cmd.current_dir(dir)
            // reqwest honours HTTP(S)_PROXY even for loopback: keep course tests on 127.0.0.1.
            .env("NO_PROXY", "127.0.0.1,localhost,::1")
            .env("no_proxy", "127.0.0.1,localhost,::1")
            .env("RUST_BACKTRACE", "0")
            .env("TOKIO_WORKER_THREADS", DEFAULT_WORKERS)
            .env_remove("RUST_TEST_THREADS");
        cmd
    }

    fn limits(&self, deadline: Duration) -> Limits {
        Limits {
            deadline: Some(deadline),
            output_cap: self.output_cap,
        }
    }
}

/// Tokio's default worker count in every test process: an odd number that few machines have
/// as a core count, so a runtime the learner was asked to size can't pass by the machine's
/// default (on 2 cores, "one worker per core" would look like `.worker_threads(2)`).
pub const DEFAULT_WORKERS: &str = "3";

fn missing(name: &str) -> TestResult {
    TestResult::failed(
        name,
        "this test of the course is missing from the file (deleted or renamed?)",
    )
}

fn ignored_test(name: &str) -> TestResult {
    TestResult::failed(
        name,
        "this test is marked `#[ignore]`, so it did not run: remove the attribute",
    )
}

/// Tests compile the file as a test harness, where some mistakes go unseen (an `async fn main`
/// without `#[tokio::main]`): a pass also needs the program to compile, as rustlings requires.
fn program_must_compile(
    result: &mut ExerciseResult,
    program: &build::BuildOutput,
    kind: BuildKind,
    bin: &str,
) {
    if result.status != Status::Pass {
        return;
    }
    // A check that could not run at all (not a compile error) judges nothing.
    if let Ok(Built::Failed { diagnostics }) = program.outcome(kind, bin) {
        result.status = Status::Error;
        result.points = 0;
        result.message = format!(
            "the tests pass, but the program itself doesn't compile: {}",
            first_error(&diagnostics)
        );
        result.compiler_output = render(&diagnostics);
    }
}

fn first_error(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .find(|d| d.is_error)
        .map(Diagnostic::summary)
        .unwrap_or_else(|| "the build failed".to_string())
}

fn render(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| d.rendered.as_str())
        .collect::<Vec<_>>()
        .join("")
}
