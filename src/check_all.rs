//! `check-all`: every exercise of the learner's course, built at once and judged in parallel;
//! attempts and passes are recorded, and a summary (text or JSON) is printed or written.

use std::path::Path;

use anyhow::{Context, Result};

use crate::app::App;
use crate::checker::Target;
use crate::exit;
use crate::fsutil::write_atomically;
use crate::render::progress::ExerciseBar;
use crate::render::summary;
use crate::report::Report;

/// The report's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

pub async fn check_all(app: &mut App, format: Format, output: Option<&Path>) -> Result<u8> {
    let course = app.course.clone();
    let targets: Vec<Target> = course
        .exercises
        .iter()
        .map(|e| Target::exercise(&course, e))
        .collect();
    // The bar goes to stderr, and only when the report doesn't.
    let bar = ExerciseBar::new(targets.len(), format == Format::Text || output.is_some());
    let results = app.checker()?.check_all(&targets, &bar).await;
    bar.finish();
    let results = results?;
    app.record(&results)?;

    let report = Report::new(&course.name, results);
    let text = match format {
        Format::Json => report.to_json(),
        Format::Text => summary::check_all_text(&report),
    };
    write_report(output, &text)?;
    let all = report.summary.passed == report.summary.total;
    Ok(if all { exit::OK } else { exit::NOT_PASSED })
}

/// Writes a report to `output` (atomically), or prints it. A file gets plain text: the colours
/// chosen for a terminal on standard output don't belong in it.
pub fn write_report(output: Option<&Path>, text: &str) -> Result<()> {
    match output {
        Some(path) => {
            let text = console::strip_ansi_codes(text);
            write_atomically(path, text.as_bytes())
                .with_context(|| format!("failed to write the report to {}", path.display()))?;
            eprintln!("Report written to {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}
