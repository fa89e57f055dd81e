//! Commands for course authors: `dev update` writes the course package's [[bin]] list from
//! info.toml; `dev check` verifies the whole course.

mod check;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub use check::{Options as CheckOptions, check};

use crate::course::Course;
use crate::exit;
use crate::fsutil::{path_from, write_atomically};

const MARKER: &str =
    "# --- [[bin]] list: generated from info.toml by `tokiolings dev update`; don't edit below ---";

/// The course package's manifest: `exercises/Cargo.toml` when there is one (the grader and
/// the course share a repository), else the course root's (a rustlings-style course).
pub fn course_manifest(root: &Path) -> PathBuf {
    let nested = root.join("exercises").join("Cargo.toml");
    if nested.is_file() {
        nested
    } else {
        root.join("Cargo.toml")
    }
}

pub fn update(root: &Path) -> Result<u8> {
    let course = Course::load(root)?;
    let manifest = course_manifest(&course.root);
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("failed to read {}", manifest.display()))?;
    let new = with_bins(
        &text,
        &course,
        manifest.parent().expect("a file has a parent"),
    );
    if new == text {
        println!("{} is up to date.", manifest.display());
    } else {
        write_atomically(&manifest, new.as_bytes())?;
        println!("Updated the [[bin]] list of {}.", manifest.display());
    }
    // The exercises as shipped, so `dev check` can tell a learner's changes from the course.
    match crate::shipped::record(&course) {
        Ok(true) => println!(
            "Recorded the exercises as shipped in {}.",
            crate::shipped::FILE
        ),
        Ok(false) => println!("{} is up to date.", crate::shipped::FILE),
        Err(e) => eprintln!("note: {} not written: {e:#}", crate::shipped::FILE),
    }
    Ok(exit::OK)
}

fn with_bins(text: &str, course: &Course, manifest_dir: &Path) -> String {
    let head = match text.find(MARKER) {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = head.trim_end().to_string();
    out.push_str("\n\n");
    out.push_str(MARKER);
    out.push('\n');
    for ex in &course.exercises {
        for (name, path) in [(ex.name.clone(), &ex.path), (ex.sol_bin(), &ex.sol_path)] {
            if path == &ex.sol_path && !course.root.join(path).is_file() {
                continue;
            }
            let rel = path_from(manifest_dir, &course.root.join(path));
            out.push_str(&format!(
                "\n[[bin]]\nname = \"{name}\"\npath = \"{}\"\n",
                rel.to_string_lossy().replace('\\', "/")
            ));
        }
    }
    out
}
