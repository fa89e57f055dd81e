//! `progress export` and `progress import`: the learner's progress, moved to another machine or
//! another copy of the course. An import merges (passes are added, never lost) and refuses
//! another course's progress or a damaged file without changing anything.

use std::path::Path;

use anyhow::{Context, Result};

use crate::app::App;
use crate::exit;
use crate::fsutil::write_atomically;
use crate::render::progress;

pub fn export(app: &App, file: Option<&Path>) -> Result<u8> {
    let text = app.progress.export(&app.course.name);
    match file {
        Some(path) => {
            write_atomically(path, text.as_bytes())
                .with_context(|| format!("failed to write {}", path.display()))?;
            println!(
                "Exported the progress of `{}` ({} of {} exercises done) to {}",
                app.course.name,
                app.progress.done_count(),
                app.progress.total(),
                path.display()
            );
        }
        // Standard output carries the document alone, for a pipe or a redirect.
        None => print!("{text}"),
    }
    Ok(exit::OK)
}

pub fn import(app: &mut App, file: &Path) -> Result<u8> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("failed to read {}", file.display()))?;
    let imported = app
        .progress
        .import(&text, &app.course.name)
        .with_context(|| format!("can't import {}", file.display()))?;
    if imported.new_passes.is_empty() {
        println!(
            "Imported {}: {} pass(es), none new here.",
            file.display(),
            imported.passes
        );
    } else {
        println!(
            "Imported {}: {} pass(es), new here: {}",
            file.display(),
            imported.passes,
            imported.new_passes.join(", ")
        );
    }
    progress::done_line(app.progress.done_count(), app.progress.total());
    Ok(exit::OK)
}
