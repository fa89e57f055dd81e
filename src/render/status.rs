//! `watch --json`: the status stream, one JSON object a line, for editor extensions and
//! scripts. A published, versioned format (docs/status-stream.md): every line carries
//! `"format": "tokiolings-status/1"` and an `"event"`; fields are added, never renamed.

use serde_json::{Value, json};

use crate::course::{Course, Exercise};
use crate::report::ExerciseResult;

pub const FORMAT: &str = "tokiolings-status/1";

fn line(event: &str, fields: Value) -> String {
    let mut obj = json!({ "format": FORMAT, "event": event });
    if let (Some(obj), Value::Object(fields)) = (obj.as_object_mut(), fields) {
        obj.extend(fields);
    }
    obj.to_string()
}

/// The first line: which course, and how changes are noticed.
pub fn watching(course: &Course, polling: bool) -> String {
    line(
        "watching",
        json!({ "course": course.name, "root": course.root, "polling": polling }),
    )
}

/// The current exercise is now `ex` (at the start, and after each move).
pub fn exercise(course: &Course, ex: &Exercise) -> String {
    line(
        "exercise",
        json!({
            "exercise": ex.name,
            "section": ex.section(),
            "path": ex.path.to_string_lossy().replace('\\', "/"),
            "abs_path": course.root.join(&ex.path),
        }),
    )
}

pub fn check_started(ex: &Exercise) -> String {
    line("check_started", json!({ "exercise": ex.name }))
}

/// A finished check: the report's result of the exercise (docs/report-schema.md), per test.
pub fn verdict(r: &ExerciseResult) -> String {
    line(
        "verdict",
        json!({ "exercise": r.name, "status": r.status, "passed": r.passed(), "result": r }),
    )
}

/// A check that could not run (cargo missing, say): not a verdict on the learner's code.
pub fn check_error(ex: &Exercise, message: &str) -> String {
    line(
        "check_error",
        json!({ "exercise": ex.name, "message": message }),
    )
}

pub fn progress(done: usize, total: usize, current: &str) -> String {
    line(
        "progress",
        json!({ "done": done, "total": total, "current": current }),
    )
}

/// Other exercises saved (not checked: only the current one is).
pub fn saved_others(names: &[String]) -> String {
    line("saved_other", json!({ "exercises": names }))
}

/// Something the learner should know about watching itself (`kind`: `polling` when watch mode
/// switched to polling, `watch_error` for a file watcher error, `editor` for the editor).
pub fn notice(kind: &str, message: &str) -> String {
    line("notice", json!({ "kind": kind, "message": message }))
}

pub fn all_done(message: &str) -> String {
    line("all_done", json!({ "message": message.trim_end() }))
}

pub fn stopped() -> String {
    line("stopped", json!({}))
}
