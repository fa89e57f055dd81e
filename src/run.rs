//! `run`: check one exercise once, print the verdict, and move on after a pass.

use anyhow::Result;

use crate::app::{App, Next};
use crate::exit;
use crate::render::progress::Spinner;
use crate::render::term;

pub async fn run(app: &mut App, name: Option<&str>) -> Result<u8> {
    let (i, ex) = app.exercise(name)?;
    println!("Checking {}…", ex.name);
    let r = app
        .check_and_record(&ex, &Spinner::checking(&ex.name))
        .await?;
    print!("{}", term::verdict(&ex, &r));
    if !r.passed() {
        println!("\nStuck? `cargo run -- hint {}`", ex.name);
        return Ok(exit::NOT_PASSED);
    }
    println!("Solution for comparison: {}", ex.sol_path.display());
    if name.is_none() || i == app.progress.current() {
        match app.advance(i)? {
            Next::Exercise(next) => println!("Next exercise: {}", next.name),
            Next::AllDone(message) => println!("{message}"),
        }
    }
    Ok(exit::OK)
}
