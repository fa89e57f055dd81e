//! The shipped course itself: `dev check` passes. It checks that every exercise fails as
//! shipped, every solution passes, and every trap (a plausible wrong fix in `tests/traps/`) gets
//! the verdict it declares while every alternative fix (`tests/alternatives/`) passes; and
//! nothing it started is left running.

mod common;

use std::path::Path;

use common::*;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn dev_check_passes_on_the_shipped_course() {
    let info: toml::Table =
        toml::from_str(&std::fs::read_to_string(repo().join("info.toml")).unwrap()).unwrap();
    let exercises = info["exercises"].as_array().unwrap().len();
    let timings = std::fs::read(repo().join("exercises/timings.toml")).ok();
    adopt_orphans();
    // `--no-record`: a test leaves the checkout as it found it (a learner's `git status` too).
    let out = tokiolings(repo())
        .args(["dev", "check", "--no-record"])
        .output()
        .unwrap();
    let text = stdout_of(&out);
    println!("{text}");
    assert_eq!(
        out.status.code(),
        Some(0),
        "dev check failed:\n{text}\n{}",
        stderr_of(&out)
    );
    assert!(
        text.contains(&format!(
            "The course is fine: {exercises} exercises checked."
        )),
        "{text}"
    );
    assert!(
        stderr_of(&out).contains("traps and alternative fixes"),
        "the traps were not judged:\n{}",
        stderr_of(&out)
    );
    assert_eq!(
        std::fs::read(repo().join("exercises/timings.toml")).ok(),
        timings,
        "dev check --no-record rewrote exercises/timings.toml"
    );
    // Only this run's: other tests on the machine may be grading now.
    let left = orphans_left();
    assert!(left.is_empty(), "left running: {left:?}");
}
