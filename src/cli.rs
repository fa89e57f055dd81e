//! The command line (clap): every command and option, with the help text users read. The only
//! module that knows clap: options become the engine's plain structs here (`into_options`).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::check_all;
use crate::grade::{self, GradeOptions, SandboxPolicy};

#[derive(Parser, Debug)]
#[command(
    name = "tokiolings",
    version,
    about = "Small broken programs that teach the Tokio async runtime, and a grader that can't hang",
    long_about = "Small broken programs that teach the Tokio async runtime, and a grader that can't hang.\n\n\
        Start with `cargo run -- watch`: edit the exercise it shows, save, and read the verdict.",
    after_help = "Exit codes: 0 passed, 1 not passed, 2 usage or course error."
)]
pub struct Cli {
    /// The course directory (holding info.toml). Default: the nearest one above the working
    /// directory, else this repository.
    #[arg(long, global = true, value_name = "DIR")]
    pub course: Option<PathBuf>,

    /// Override every exercise's per-test deadline, in seconds.
    #[arg(long, global = true, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Re-check the current exercise on every save; move on when it passes (the default)
    Watch {
        /// Stay on a passed exercise until you press `n`.
        #[arg(long)]
        manual_next: bool,
        /// Poll for changes instead of using file-system events (for WSL drives, NFS, Docker
        /// mounts and other places where saves go unnoticed; watch mode also switches by itself
        /// where it finds that events don't arrive, and says so).
        #[arg(long)]
        poll: bool,
        /// Write the status stream instead of the screen: one JSON object a line
        /// (`tokiolings-status/1`, docs/status-stream.md), for editor extensions.
        #[arg(long)]
        json: bool,
        /// Open the current exercise in your editor whenever it changes: `code` in VS Code's
        /// terminal, else $VISUAL, else $EDITOR.
        #[arg(long)]
        edit: bool,
        /// The editor command (run by `sh -c`, with the file's path appended); implies --edit.
        #[arg(long, value_name = "CMD")]
        edit_cmd: Option<String>,
    },
    /// Check an exercise once and print the verdict
    Run {
        /// Exercise name (default: the current one).
        name: Option<String>,
        /// Re-check every exercise you have already passed and name any that no longer pass
        /// (exit 1 if one doesn't). Your passes are kept either way.
        #[arg(long, conflicts_with = "name")]
        done: bool,
    },
    /// Show the hint of an exercise
    Hint {
        /// Exercise name (default: the current one).
        name: Option<String>,
        #[arg(long, value_enum, default_value_t = Lang::En)]
        lang: Lang,
        /// Also show the second step, which names the API to use
        #[arg(long)]
        more: bool,
    },
    /// List every exercise with its status, by section
    List {
        /// `json`: the versioned `tokiolings-list/1` format (README, "Commands").
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Check every exercise (in parallel) and print a summary
    CheckAll {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Write the report here instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Restore an exercise as shipped (your version is backed up first)
    Reset {
        #[arg(required_unless_present = "all")]
        name: Option<String>,
        /// Restore every exercise you changed (each one is backed up first).
        #[arg(long, conflicts_with = "name")]
        all: bool,
    },
    /// Move your progress to another machine or copy of the course
    #[command(subcommand)]
    Progress(ProgressCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    #[command(
        after_help = "For example: tokiolings completions bash > ~/.local/share/bash-completion/completions/tokiolings"
    )]
    Completions { shell: clap_complete::Shell },
    /// Show where an exercise's solution is (once you have solved it)
    Solution {
        name: String,
        /// Show it even though the exercise is not done yet.
        #[arg(long)]
        force: bool,
    },
    /// Grade the course (or learners' copies of it) against the course's own tests, in a sandbox
    Grade(GradeArgs),
    /// Put learners' JSON grade reports (CI artifacts, shards' outputs) together into one class
    /// report: class.csv, index.html and students/*.json
    Aggregate(AggregateArgs),
    /// Commands for course authors
    #[command(subcommand)]
    Dev(DevCommand),
}

#[derive(Subcommand, Debug)]
pub enum ProgressCommand {
    /// Write your progress as JSON (`tokiolings-progress-export/1`) to FILE, or to standard output
    Export { file: Option<PathBuf> },
    /// Merge progress exported from this course: passes are added, never lost
    Import { file: PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum DevCommand {
    /// Verify the course: every exercise fails as shipped, every solution passes cleanly
    Check {
        /// Run each solution's tests this many times to catch flaky tests.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
        repeat: u32,
        /// Per-test deadline for traps and alternative fixes, in seconds (a trap that hangs
        /// waits this long).
        #[arg(long, value_name = "SECS", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..))]
        case_timeout: u64,
        /// Don't record the solutions' timings in exercises/timings.toml (the README's
        /// `cargo test` checks the course this way, so it leaves the checkout as it was)
        #[arg(long)]
        no_record: bool,
    },
    /// Write the course package's [[bin]] list from info.toml
    Update,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Hinglish,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

impl From<Format> for check_all::Format {
    fn from(f: Format) -> Self {
        match f {
            Format::Text => check_all::Format::Text,
            Format::Json => check_all::Format::Json,
        }
    }
}

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit codes: 0 grading ran, whatever the scores (1 with --require-pass when an exercise did not pass); 2 grading could not run.\n\nSee docs/classroom.md for CI and GitHub Classroom."
)]
pub struct GradeArgs {
    /// Grade only this section (a directory under exercises/); repeat for more.
    #[arg(long = "section", value_name = "DIR")]
    pub sections: Vec<String>,
    /// Grade only this exercise; repeat for more.
    #[arg(long = "exercise", value_name = "NAME")]
    pub exercises: Vec<String>,
    /// Report format. (`--class` always writes JSON, CSV and HTML.)
    #[arg(long, value_enum, default_value_t = GradeFormat::Text, conflicts_with = "class")]
    pub format: GradeFormat,
    /// Write the report to this file (with `--class`: this directory, default `grade-report`).
    #[arg(long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Grade a learner's copy of the course (only its exercise files are used).
    #[arg(long, value_name = "DIR", conflicts_with = "class")]
    pub submission: Option<PathBuf>,
    /// Grade every subdirectory of SUBMISSIONS_DIR, one learner's copy of the course each.
    #[arg(long, value_name = "SUBMISSIONS_DIR")]
    pub class: Option<PathBuf>,
    /// Exit with 1 unless every graded exercise passes (for graders that read exit codes,
    /// such as GitHub Classroom's).
    #[arg(long)]
    pub require_pass: bool,
    /// The learner's id in the report (default: the checkout's git remote `owner/repo`, else
    /// the directory's name).
    #[arg(long, value_name = "ID", conflicts_with = "class")]
    pub student: Option<String>,
    /// With --class: keep the reports already in the output directory that judged the same
    /// work (commit and files) against the same course, and grade only the others.
    #[arg(long, requires = "class")]
    pub resume: bool,
    /// With --class: grade only shard K of N (K from 0; `auto/N` takes K from
    /// JOB_COMPLETION_INDEX) and write only its learners' reports. Learners are split by a
    /// hash of their id, so adding one moves no other.
    #[arg(long, value_name = "K/N", requires = "class", value_parser = parse_shard)]
    pub shard: Option<grade::Shard>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

fn parse_shard(s: &str) -> Result<grade::Shard, String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}` is not K/N (e.g. 0/4, or auto/4)"))?;
    let count: u32 = n
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{n}` is not a number of shards (1 or more)"))?;
    let index = match k {
        "auto" => None,
        k => Some(
            k.parse::<u32>()
                .ok()
                .filter(|k| *k < count)
                .ok_or_else(|| format!("`{k}` is not a shard from 0 to {}", count - 1))?,
        ),
    };
    Ok(grade::Shard { index, count })
}

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit codes: 0 the class report was written (skipped files are listed); 2 nothing could be aggregated.\n\nSee docs/scale.md."
)]
pub struct AggregateArgs {
    /// Report files, or directories searched for them (e.g. `gh run download`'s output).
    #[arg(required = true, value_name = "REPORT_OR_DIR")]
    pub inputs: Vec<PathBuf>,
    /// The class report's directory.
    #[arg(long, value_name = "DIR", default_value = "grade-report")]
    pub output: PathBuf,
    /// Reports graded with `--section`: the same sections; repeat for more.
    #[arg(long = "section", value_name = "DIR")]
    pub sections: Vec<String>,
    /// Reports graded with `--exercise`: the same exercises; repeat for more.
    #[arg(long = "exercise", value_name = "NAME")]
    pub exercises: Vec<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GradeFormat {
    Text,
    Json,
    Junit,
    /// Gradescope's results.json (an exercise's points split over its tests)
    Gradescope,
}

/// Resource limits of each test process.
#[derive(clap::Args, Clone, Debug)]
pub struct LimitArgs {
    /// Address space of each test process, in MiB (0: no limit).
    #[arg(long, value_name = "MIB", default_value_t = 2048)]
    pub memory_mib: u64,
    /// CPU time of each test process, in seconds (0: no limit).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub cpu_secs: u64,
    /// Processes and threads each test may start (0: no limit).
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub max_procs: u64,
    /// Largest file a test may write, in MiB (0: no limit).
    #[arg(long, value_name = "MIB", default_value_t = 1024)]
    pub file_size_mib: u64,
    /// Let tests reach the network beyond loopback.
    #[arg(long)]
    pub allow_network: bool,
    /// Run tests without the sandbox: only the deadline, output cap and closed stdin.
    #[arg(long)]
    pub no_sandbox: bool,
    /// Deadline of each learner's build, in seconds (the course's dependencies are built
    /// once before, without it).
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub build_timeout: u64,
    /// Address space of each process of a learner's build, in MiB (0: no limit).
    #[arg(long, value_name = "MIB", default_value_t = 8192)]
    pub build_memory_mib: u64,
}

/// Writes the completion script for `shell` to standard output.
pub fn print_completions(shell: clap_complete::Shell) {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "tokiolings", &mut std::io::stdout());
}

impl GradeArgs {
    pub fn into_options(self) -> GradeOptions {
        let l = self.limits;
        GradeOptions {
            sections: self.sections,
            exercises: self.exercises,
            format: match self.format {
                GradeFormat::Text => grade::Format::Text,
                GradeFormat::Json => grade::Format::Json,
                GradeFormat::Junit => grade::Format::Junit,
                GradeFormat::Gradescope => grade::Format::Gradescope,
            },
            output: self.output,
            submission: self.submission,
            class: self.class,
            require_pass: self.require_pass,
            student: self.student,
            resume: self.resume,
            shard: self.shard,
            policy: SandboxPolicy {
                memory_mib: l.memory_mib,
                cpu_secs: l.cpu_secs,
                max_procs: l.max_procs,
                file_size_mib: l.file_size_mib,
                allow_network: l.allow_network,
                no_sandbox: l.no_sandbox,
                build_secs: l.build_timeout,
                build_memory_mib: l.build_memory_mib,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// A few thousand random command lines: never a panic; a rejected one gets an `error:`
    /// that names the offending argument or says what is missing.
    #[test]
    fn fuzzed_arguments_never_panic() {
        use crate::fsutil::fuzz::Rng;
        use std::ffi::OsString;
        use std::os::unix::ffi::OsStringExt;
        const TOKENS: &[&str] = &[
            "watch",
            "run",
            "hint",
            "list",
            "check-all",
            "reset",
            "solution",
            "grade",
            "aggregate",
            "--shard",
            "0/3",
            "auto/2",
            "--resume",
            "--student",
            "gradescope",
            "dev",
            "check",
            "update",
            "help",
            "--course",
            "--timeout",
            "--timeout=0",
            "--timeout=1",
            "0",
            "1",
            "-1",
            "99999999999999999999",
            "--format",
            "json",
            "junit",
            "text",
            "html",
            "--output",
            "--lang",
            "hinglish",
            "--manual-next",
            "--poll",
            "--json",
            "--edit",
            "--edit-cmd",
            "--force",
            "--section",
            "--exercise",
            "--class",
            "--submission",
            "--require-pass",
            "--memory-mib",
            "--repeat",
            "--repeat=0",
            "--case-timeout",
            "--no-sandbox",
            "--build-timeout",
            "--build-timeout=0",
            "--help",
            "-h",
            "completions",
            "bash",
            "progress",
            "export",
            "import",
            "--all",
            "--done",
            "--version",
            "-V",
            "--",
            "-",
            "x",
            "é",
            "",
            "=",
            "--course=",
            "\u{0}",
            "-x",
            "--unknown",
        ];
        let mut rng = Rng::new(0x00c1_1fa5);
        let (mut ok, mut errors) = (0, 0);
        for i in 0..5000 {
            let mut args = vec![OsString::from("tokiolings")];
            for _ in 0..rng.below(7) {
                args.push(match rng.below(10) {
                    0 => OsString::from_vec(vec![0x66, 0xff, 0xfe]),
                    1 => OsString::from(format!("--{}", rng.next() % 1000)),
                    _ => OsString::from(*rng.pick(TOKENS)),
                });
            }
            let parsed = std::panic::catch_unwind(|| Cli::try_parse_from(&args))
                .unwrap_or_else(|_| panic!("clap panicked on {i}: {args:?}"));
            match parsed {
                Ok(_) => ok += 1,
                Err(e) => {
                    errors += 1;
                    let text = e.to_string();
                    use clap::error::ErrorKind::*;
                    if !matches!(
                        e.kind(),
                        DisplayHelp | DisplayVersion | DisplayHelpOnMissingArgumentOrSubcommand
                    ) {
                        assert!(text.starts_with("error:"), "{args:?}: {text}");
                    }
                }
            }
        }
        eprintln!("5000 random command lines: {ok} accepted, {errors} rejected with a message");
        assert!(
            ok > 100 && errors > 1000,
            "{ok} accepted, {errors} rejected"
        );
    }
}
