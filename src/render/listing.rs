//! `list --format json`: the course and the learner's place in it, for scripts and editor
//! extensions. A published format (`tokiolings-list/1`, README "Commands"): add fields, never
//! rename them.

use serde::Serialize;

use crate::course::Course;
use crate::progress::Progress;

pub const FORMAT: &str = "tokiolings-list/1";

#[derive(Serialize)]
struct Listing<'a> {
    format: &'static str,
    course: &'a str,
    current: Option<&'a str>,
    done: usize,
    total: usize,
    exercises: Vec<Row<'a>>,
}

#[derive(Serialize)]
struct Row<'a> {
    name: &'a str,
    section: &'a str,
    /// Relative to the course root, `/`-separated.
    path: String,
    current: bool,
    done: bool,
    done_at: Option<&'a str>,
    attempts: u32,
}

pub fn json(course: &Course, progress: &Progress) -> String {
    let exercises = course
        .exercises
        .iter()
        .enumerate()
        .map(|(i, ex)| {
            let entry = progress.entry(&ex.name);
            Row {
                name: &ex.name,
                section: ex.section(),
                path: ex.path.to_string_lossy().replace('\\', "/"),
                current: i == progress.current(),
                done: progress.is_done(&ex.name),
                done_at: entry.and_then(|e| e.done_at.as_deref()),
                attempts: entry.map_or(0, |e| e.attempts),
            }
        })
        .collect();
    let listing = Listing {
        format: FORMAT,
        course: &course.name,
        current: course
            .exercises
            .get(progress.current())
            .map(|e| e.name.as_str()),
        done: progress.done_count(),
        total: progress.total(),
        exercises,
    };
    serde_json::to_string_pretty(&listing).expect("plain data serializes") + "\n"
}
