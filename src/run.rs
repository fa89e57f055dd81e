//! `run`: check one exercise once, print the verdict, and move on after a pass; `run --done`:
//! re-check every passed exercise and name the ones a later change broke.

use anyhow::Result;

use crate::app::{App, Next};
use crate::checker::Target;
use crate::exit;
use crate::render::progress::{ExerciseBar, Spinner};
use crate::render::term;

pub async fn run(app: &mut App, name: Option<&str>) -> Result<u8> {
    let (i, ex) = app.exercise(name)?;
    println!("Checking {}…", ex.name);
    let r = app
        .check_and_record(&ex, &Spinner::checking(&ex.name))
        .await?;
    print!("{}", term::verdict_linked(&app.course.root, &ex, &r));
    if !r.passed() {
        println!("\nStuck? `cargo run -- hint {}`", ex.name);
        return Ok(exit::NOT_PASSED);
    }
    println!(
        "Solution for comparison: {}",
        term::path_link(&app.course.root, &ex.sol_path)
    );
    if name.is_none() || i == app.progress.current() {
        match app.advance(i)? {
            Next::Exercise(next) => println!("Next exercise: {}", next.name),
            Next::AllDone(message) => println!("{message}"),
        }
    }
    Ok(exit::OK)
}

/// Re-checks the passed exercises (in parallel, like `check-all`). Nothing is recorded: a
/// regression check neither counts as an attempt nor takes a pass away.
pub async fn run_done(app: &mut App) -> Result<u8> {
    let course = app.course.clone();
    let targets: Vec<Target> = course
        .exercises
        .iter()
        .filter(|e| app.progress.is_done(&e.name))
        .map(|e| Target::exercise(&course, e))
        .collect();
    if targets.is_empty() {
        println!("No exercise is done yet, so there is nothing to re-check.");
        return Ok(exit::OK);
    }
    println!(
        "Re-checking the {} exercise(s) you have passed…",
        targets.len()
    );
    let bar = ExerciseBar::new(targets.len(), true);
    let results = app.checker()?.check_all(&targets, &bar).await;
    bar.finish();
    let results = results?;
    print!("{}", term::recheck(&results));
    Ok(if results.iter().all(|r| r.passed()) {
        exit::OK
    } else {
        exit::NOT_PASSED
    })
}
