//! `hint` and `list`: commands that only show the course and the learner's place in it.

use anyhow::Result;

use crate::app::App;
use crate::exit;
use crate::render::{listing, progress, term};

/// The first hint step nudges; `more` adds the second, which names the API.
pub fn hint(app: &App, name: Option<&str>, hinglish: bool, more: bool) -> Result<u8> {
    let (_, ex) = app.exercise(name)?;
    println!(
        "Hint for `{}` ({}):\n",
        ex.name,
        term::path_link(&app.course.root, &ex.path)
    );
    print!("{}", term::hint(&ex, hinglish, more));
    if !more && ex.hint_more.is_some() {
        println!("\n(Still stuck? `cargo run -- hint --more` names the API.)");
    }
    Ok(exit::OK)
}

pub fn list(app: &App, json: bool) -> Result<u8> {
    if json {
        print!("{}", listing::json(&app.course, &app.progress));
        return Ok(exit::OK);
    }
    print!("{}", term::list(&app.course, &app.progress));
    println!();
    progress::done_line(app.progress.done_count(), app.progress.total());
    Ok(exit::OK)
}
