//! `reset` and `reset --all` (restore the shipped file, backing up the learner's first) and
//! `solution`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::app::App;
use crate::exit;
use crate::fsutil::{file_stamp, relative_to, write_atomically};

pub const BACKUP_DIR: &str = ".tokiolings/backups";

pub fn reset(app: &App, name: &str) -> Result<u8> {
    let (_, ex) = app.exercise(Some(name))?;
    let root = &app.course.root;
    let shipped = shipped_version(root, &ex.path)?;
    let path = root.join(&ex.path);
    let current = std::fs::read(&path).unwrap_or_default();
    if current == shipped {
        println!(
            "{} is already as shipped; nothing to do.",
            ex.path.display()
        );
        return Ok(exit::OK);
    }
    let backup = backup(root, &ex.name, &current)?;
    write_atomically(&path, &shipped)?;
    println!("Your version was saved to {}", backup.display());
    println!("{} is back as shipped.", ex.path.display());
    Ok(exit::OK)
}

/// The file as the course shipped it: the upstream branch's version when there is one,
/// else the last committed one.
fn shipped_version(root: &Path, rel: &Path) -> Result<Vec<u8>> {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .context("failed to run git (is it installed?)")
    };
    let rel = rel.to_string_lossy().replace('\\', "/");
    for rev in ["@{upstream}", "origin/HEAD", "HEAD"] {
        let out = git(&["show", &format!("{rev}:./{rel}")])?;
        if out.status.success() {
            return Ok(out.stdout);
        }
    }
    bail!(
        "can't find the shipped version of {rel}: the course at {} has no git history for it\n(hint: reset needs the course as a git clone)",
        root.display()
    )
}

/// Every exercise that differs from its shipped version is backed up, then restored. All
/// shipped versions are read and all backups written before any file is restored, so a missing
/// git history or a full disk stops the command with the learner's files untouched.
pub fn reset_all(app: &App) -> Result<u8> {
    let root = &app.course.root;
    let mut changed = Vec::new();
    for ex in &app.course.exercises {
        let shipped = shipped_version(root, &ex.path)?;
        let current = std::fs::read(root.join(&ex.path)).unwrap_or_default();
        if current != shipped {
            changed.push((ex, current, shipped));
        }
    }
    if changed.is_empty() {
        println!("Every exercise is as shipped; nothing to do.");
        return Ok(exit::OK);
    }
    let mut backups = Vec::new();
    for (ex, current, _) in &changed {
        backups.push(backup(root, &ex.name, current)?);
    }
    for ((ex, _, shipped), saved) in changed.iter().zip(&backups) {
        write_atomically(&root.join(&ex.path), shipped)?;
        println!(
            "{} is back as shipped; your version was saved to {}",
            ex.path.display(),
            saved.display()
        );
    }
    println!(
        "Reset {} exercise(s); your progress is unchanged.",
        changed.len()
    );
    Ok(exit::OK)
}

fn backup(root: &Path, name: &str, content: &[u8]) -> Result<PathBuf> {
    let dir = root.join(BACKUP_DIR);
    std::fs::create_dir_all(&dir).with_context(|| format!("failed to create {}", dir.display()))?;
    let stamp = file_stamp();
    let mut path = dir.join(format!("{name}-{stamp}.rs"));
    let mut n = 1;
    while path.exists() {
        path = dir.join(format!("{name}-{stamp}-{n}.rs"));
        n += 1;
    }
    write_atomically(&path, content)?;
    Ok(relative_to(&path, root))
}

pub fn solution(app: &App, name: &str, force: bool) -> Result<u8> {
    let (_, ex) = app.exercise(Some(name))?;
    if !app.progress.is_done(&ex.name) && !force {
        println!(
            "`{}` isn't done yet: solve it first, or pass --force to look anyway.",
            ex.name
        );
        return Ok(exit::NOT_PASSED);
    }
    let path = app.course.root.join(&ex.sol_path);
    if !path.is_file() {
        bail!(
            "this course ships no solution for `{}` ({} is missing)",
            ex.name,
            ex.sol_path.display()
        );
    }
    println!("{}", ex.sol_path.display());
    Ok(exit::OK)
}
