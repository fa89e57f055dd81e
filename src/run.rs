//! `run` (check one exercise once) and `check-all` (every exercise, in parallel).

use std::sync::Mutex;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::app::App;
use crate::check::Target;
use crate::cli::{Format, exit};
use crate::progress::write_atomically;
use crate::report::Report;
use crate::term;

pub async fn run(app: &mut App, name: Option<&str>) -> Result<u8> {
    let (i, ex) = app.exercise(name)?;
    println!("Checking {}…", ex.name);
    let r = app.check_and_record(&ex).await?;
    print!("{}", term::verdict(&ex, &r));
    if !r.passed() {
        println!("\nStuck? `cargo run -- hint {}`", ex.name);
        return Ok(exit::NOT_PASSED);
    }
    println!("Solution for comparison: {}", ex.sol_path.display());
    if name.is_none() || i == app.progress.current() {
        if let Some(next) = app.progress.next_pending_from(i) {
            app.progress.set_current(next);
            app.progress.save()?;
            println!("Next exercise: {}", app.course.exercises[next].name);
        } else {
            println!(
                "{}",
                app.course
                    .final_message
                    .as_deref()
                    .unwrap_or("Every exercise is done!")
            );
        }
    }
    Ok(exit::OK)
}

pub async fn check_all(
    app: &mut App,
    format: Format,
    output: Option<&std::path::Path>,
) -> Result<u8> {
    let course = app.course.clone();
    let targets: Vec<Target> = course
        .exercises
        .iter()
        .map(|e| Target::exercise(&course, e))
        .collect();
    let draw = if term::is_tty() && (format == Format::Text || output.is_some()) {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(targets.len() as u64), draw);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:40.cyan/blue}] {pos}/{len} {msg}")
            .expect("valid template")
            .progress_chars("#>-"),
    );
    bar.set_message("building every exercise…");
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let failed_names = Mutex::new(Vec::new());
    let on_done = |r: &crate::report::ExerciseResult| {
        bar.inc(1);
        bar.set_message(format!("{} {:?}", r.name, r.status).to_lowercase());
        if !r.passed() {
            failed_names
                .lock()
                .expect("not poisoned")
                .push(r.name.clone());
        }
    };
    let results = app.checker()?.check_all(&targets, &|_| {}, &on_done).await;
    bar.finish_and_clear();
    let results = results?;
    for r in &results {
        app.progress.record_attempt(&r.name);
        if r.passed() {
            app.progress.mark_done(&r.name);
        }
    }
    app.progress.save()?;

    let report = Report::new(&course.name, results);
    let text = match format {
        Format::Json => report.to_json(),
        Format::Text => summary_text(&report),
    };
    match output {
        Some(path) => {
            write_atomically(path, text.as_bytes())
                .with_context(|| format!("failed to write the report to {}", path.display()))?;
            eprintln!("Report written to {}", path.display());
        }
        None => print!("{text}"),
    }
    let all = report.summary.passed == report.summary.total;
    Ok(if all { exit::OK } else { exit::NOT_PASSED })
}

fn summary_text(report: &Report) -> String {
    let s = &report.summary;
    format!(
        "{}\n{} passed, {} failed, {} errors, {} timeouts of {} exercises; score {}/{}\n",
        term::report_lines(report, false),
        s.passed,
        s.failed,
        s.errors,
        s.timeouts,
        s.total,
        s.score,
        s.max_score
    )
}
