//! The course as shipped, told apart from a learner's work on it. `dev update` records each
//! exercise file's git blob id in `exercises/shipped.toml`; where a file no longer matches its
//! record (a learner solved it, in their own copy of the course), `dev check` judges the shipped
//! version, read back from git, instead of the learner's, and never touches the learner's file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::course::{Course, Exercise};

/// The record, next to the course package's manifest.
pub const FILE: &str = "exercises/shipped.toml";

const HEADER: &str = "# The git blob id of every exercise file as the course ships it, written by `tokiolings dev\n# update`. `dev check` judges the shipped version of a file a learner has changed.\n";

/// An exercise's source as the course shipped it.
pub enum Shipped {
    /// The file in the working tree is the shipped one.
    AsIs(String),
    /// The file was changed; this is the shipped version (from git).
    Recorded(String),
    /// The file was changed and its shipped version can't be had (no record, no git).
    Unknown(String),
}

/// Writes the record for the exercise files as they are now. `Ok(false)` when it was current.
pub fn record(course: &Course) -> Result<bool> {
    let paths: Vec<PathBuf> = course.exercises.iter().map(|e| e.path.clone()).collect();
    let ids = blob_ids(&course.root, &paths)?;
    let mut text = HEADER.to_string();
    for (ex, id) in course.exercises.iter().zip(ids) {
        text.push_str(&format!("{} = \"{id}\"\n", ex.name));
    }
    let path = course.root.join(FILE);
    if std::fs::read_to_string(&path).is_ok_and(|old| old == text) {
        return Ok(false);
    }
    crate::fsutil::write_atomically(&path, text.as_bytes())?;
    Ok(true)
}

/// Each exercise's shipped source, in course order.
pub fn sources(course: &Course) -> Result<Vec<Shipped>> {
    let recorded = read_record(course)?;
    let paths: Vec<PathBuf> = course.exercises.iter().map(|e| e.path.clone()).collect();
    let now = blob_ids(&course.root, &paths).unwrap_or_default();
    let mut out = Vec::new();
    for (i, ex) in course.exercises.iter().enumerate() {
        let path = course.root.join(&ex.path);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("failed to read {}", path.display()))?;
        let (Some(want), Some(have)) = (recorded.get(&ex.name), now.get(i)) else {
            // No record (a course without one) or no git: the file is taken as shipped.
            out.push(Shipped::AsIs(text));
            continue;
        };
        out.push(if want == have {
            Shipped::AsIs(text)
        } else {
            match blob(&course.root, want) {
                Ok(shipped) => Shipped::Recorded(shipped),
                Err(_) => Shipped::Unknown(text),
            }
        });
    }
    Ok(out)
}

impl Shipped {
    /// The text to check as the shipped exercise.
    pub fn text(&self) -> &str {
        match self {
            Shipped::AsIs(t) | Shipped::Recorded(t) | Shipped::Unknown(t) => t,
        }
    }
}

/// Why an exercise is judged as it is, for `dev check`'s table; `None` when it is as shipped.
pub fn note(ex: &Exercise, s: &Shipped) -> Option<String> {
    match s {
        Shipped::AsIs(_) => None,
        Shipped::Recorded(_) => Some(format!(
            "{} was changed (a learner's work?): its shipped version was checked (run `dev update` if you are the author and meant the change)",
            ex.path.display()
        )),
        Shipped::Unknown(_) => Some(format!(
            "{} was changed and its shipped version is not in git: the file as it is was checked",
            ex.path.display()
        )),
    }
}

fn read_record(course: &Course) -> Result<BTreeMap<String, String>> {
    let path = course.root.join(FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(BTreeMap::new());
    };
    toml::from_str(&text).with_context(|| {
        format!(
            "{} is not valid (run `tokiolings dev update` to write it again)",
            path.display()
        )
    })
}

/// `git hash-object` of each path (relative to `root`), in order.
fn blob_ids(root: &Path, paths: &[PathBuf]) -> Result<Vec<String>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["hash-object", "--"])
        .args(paths)
        .stdin(Stdio::null())
        .output()
        .context("failed to run git (needed to tell shipped exercises from changed ones)")?;
    if !out.status.success() {
        bail!(
            "git hash-object failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect())
}

fn blob(root: &Path, id: &str) -> Result<String> {
    anyhow::ensure!(
        id.chars().all(|c| c.is_ascii_hexdigit()),
        "not a blob id: {id}"
    );
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["cat-file", "blob", id])
        .stdin(Stdio::null())
        .output()
        .context("failed to run git")?;
    if !out.status.success() {
        bail!("git has no blob {id}");
    }
    Ok(String::from_utf8(out.stdout)?)
}
