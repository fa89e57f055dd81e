//! tokiolings: rustlings-style Tokio exercises and a grader that can't hang or be faked.
//!
//! The pipeline, one module per stage: `course` (info.toml) → `progress` (the learner's store)
//! → `build` (cargo) → `checker` (each test in its own `supervise`d process, expected tests
//! from `source`) → `verdict` → `report` (the result model) → `render` (all presentation).
//! The core never prints and never sees clap (`cli` turns arguments into plain options).
//!
//! Commands, a module each: `watch`, `run` (run, run --done), `show` (hint, list), `check_all`,
//! `reset` (reset, solution), `transfer` (progress export/import), `grade`, `aggregate`, `dev`
//! (check, update).

mod aggregate;
mod app;
mod build;
mod check_all;
mod checker;
mod cli;
mod course;
mod dev;
mod exit;
mod fsutil;
mod grade;
mod progress;
mod render;
mod report;
mod reset;
mod run;
mod shipped;
mod show;
mod source;
mod supervise;
mod timings;
mod transfer;
mod verdict;
mod watch;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use crate::app::App;
use crate::cli::{Cli, Command, DevCommand, Lang, ProgressCommand};

fn main() -> ExitCode {
    // Grade mode's sandbox helper: a process of its own, before any runtime or argument parsing.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == grade::sandbox::ARG) {
        return grade::sandbox::main(args);
    }
    if args.get(1).is_some_and(|a| a == grade::build_sandbox::ARG) {
        return grade::build_sandbox::main(args);
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: failed to start the async runtime: {e}");
            return ExitCode::from(exit::ERROR);
        }
    };
    // `watch` handles Ctrl-C itself (it says goodbye); any other command stops on SIGINT or
    // SIGTERM by dropping its work, which kills every process group it started and removes
    // its temp dirs, so nothing it started outlives it.
    let handles_signals = matches!(cli.command, None | Some(Command::Watch { .. }));
    let result = runtime.block_on(async {
        if handles_signals {
            return dispatch(cli).await;
        }
        tokio::select! {
            r = dispatch(cli) => r,
            signal = interrupted() => {
                eprintln!("tokiolings: stopped by {signal}; everything it started was stopped too");
                Ok(exit::INTERRUPTED)
            }
        }
    });
    // Tasks still waiting on processes must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!(
                "{} {e:#}",
                console::style("error:").for_stderr().red().bold()
            );
            ExitCode::from(exit::ERROR)
        }
    }
}

/// Resolves on SIGINT or SIGTERM, with the signal's name.
async fn interrupted() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<u8> {
    let root = cli.course.clone().unwrap_or_else(course::default_root);
    let timeout = cli.timeout.map(Duration::from_secs);
    let command = cli.command.unwrap_or(Command::Watch {
        manual_next: false,
        poll: false,
        json: false,
        edit: false,
        edit_cmd: None,
    });
    if let Command::Completions { shell } = command {
        cli::print_completions(shell);
        return Ok(exit::OK);
    }
    if let Command::Dev(DevCommand::Update) = command {
        // Must work while the [[bin]] list is missing or stale, so no App (no cargo) here.
        return dev::update(&root);
    }
    if let Command::Grade(args) = command {
        // Grading never reads or writes the learner's progress.
        return grade::grade(&root, timeout, args.into_options()).await;
    }
    if let Command::Aggregate(args) = command {
        return aggregate::aggregate(
            &root,
            &args.inputs,
            &args.output,
            &args.sections,
            &args.exercises,
        );
    }
    let (mut app, notes) = App::load(&root, timeout)?;
    for note in notes {
        eprintln!("note: {note}");
    }
    match command {
        Command::Watch {
            manual_next,
            poll,
            json,
            edit,
            edit_cmd,
        } => {
            let opts = watch::Options {
                manual_next,
                poll,
                json,
                edit,
                edit_cmd,
            };
            app.evidence_deadlines();
            watch::watch(&mut app, opts).await
        }
        Command::Run { done: true, .. } => {
            app.evidence_deadlines();
            run::run_done(&mut app).await
        }
        Command::Run { name, .. } => {
            app.evidence_deadlines();
            run::run(&mut app, name.as_deref()).await
        }
        Command::Hint { name, lang, more } => {
            show::hint(&app, name.as_deref(), lang == Lang::Hinglish, more)
        }
        Command::List { format } => show::list(&app, format == cli::Format::Json),
        Command::CheckAll { format, output } => {
            check_all::check_all(&mut app, format.into(), output.as_deref()).await
        }
        Command::Reset { all: true, .. } => reset::reset_all(&app),
        Command::Reset { name, .. } => reset::reset(
            &app,
            name.as_deref().expect("clap requires NAME without --all"),
        ),
        Command::Progress(ProgressCommand::Export { file }) => {
            transfer::export(&app, file.as_deref())
        }
        Command::Progress(ProgressCommand::Import { file }) => transfer::import(&mut app, &file),
        Command::Solution { name, force } => reset::solution(&app, &name, force),
        Command::Dev(DevCommand::Check {
            repeat,
            case_timeout,
            no_record,
        }) => {
            let opts = dev::CheckOptions {
                repeat,
                case_timeout: Duration::from_secs(case_timeout),
                record_timings: !no_record,
            };
            dev::check(&mut app, opts).await
        }
        Command::Grade(_)
        | Command::Aggregate(_)
        | Command::Dev(DevCommand::Update)
        | Command::Completions { .. } => {
            unreachable!("handled above")
        }
    }
}
