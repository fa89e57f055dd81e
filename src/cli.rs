//! The command line (clap): every command and option, with the help text users read.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Exit codes, one place (documented in the README).
pub mod exit {
    /// The exercise (or every exercise) passed; the command did what was asked.
    pub const OK: u8 = 0;
    /// An exercise did not pass.
    pub const NOT_PASSED: u8 = 1;
    /// Bad usage, a broken course, or the grader could not run.
    pub const ERROR: u8 = 2;
}

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
        /// mounts and other places where saves go unnoticed).
        #[arg(long)]
        poll: bool,
    },
    /// Check an exercise once and print the verdict
    Run {
        /// Exercise name (default: the current one).
        name: Option<String>,
    },
    /// Show the hint of an exercise
    Hint {
        /// Exercise name (default: the current one).
        name: Option<String>,
        #[arg(long, value_enum, default_value_t = Lang::En)]
        lang: Lang,
    },
    /// List every exercise with its status, by section
    List,
    /// Check every exercise (in parallel) and print a summary
    CheckAll {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Write the report here instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Restore an exercise as shipped (your version is backed up first)
    Reset { name: String },
    /// Show where an exercise's solution is (once you have solved it)
    Solution {
        name: String,
        /// Show it even though the exercise is not done yet.
        #[arg(long)]
        force: bool,
    },
    /// Grade the course (or learners' copies of it) against the course's own tests, in a sandbox
    Grade(crate::grade::GradeArgs),
    /// Commands for course authors
    #[command(subcommand)]
    Dev(DevCommand),
}

#[derive(Subcommand, Debug)]
pub enum DevCommand {
    /// Verify the course: every exercise fails as shipped, every solution passes cleanly
    Check {
        /// Run each solution's tests this many times to catch flaky tests.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
        repeat: u32,
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
