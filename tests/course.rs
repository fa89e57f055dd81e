//! The shipped course itself: `dev check` passes, and every trap (a plausible wrong fix in
//! `tests/traps/`) gets the verdict it declares, with nothing left running.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn dev_check_passes_on_the_shipped_course() {
    let out = tokiolings(repo()).args(["dev", "check"]).output().unwrap();
    let text = stdout_of(&out);
    println!("{text}");
    assert_eq!(
        out.status.code(),
        Some(0),
        "dev check failed:\n{text}\n{}",
        stderr_of(&out)
    );
    assert!(
        text.contains("The course is fine: 41 exercises checked."),
        "{text}"
    );
}

/// (exercise name, declared verdict) for every file in tests/traps/.
fn traps() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(repo().join("tests/traps")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// trap-expect:"))
            .unwrap_or_else(|| panic!("{} has no `// trap-expect:` first line", path.display()))
            .trim()
            .to_string();
        out.push((
            path.file_stem().unwrap().to_string_lossy().into_owned(),
            expect,
        ));
    }
    out.sort();
    out
}

#[test]
fn every_trap_gets_its_declared_verdict() {
    let traps = traps();
    assert!(
        traps.len() >= 9,
        "expected a trap per section, found {}",
        traps.len()
    );
    let info: toml::Table =
        toml::from_str(&std::fs::read_to_string(repo().join("info.toml")).unwrap()).unwrap();
    let entries = info["exercises"].as_array().unwrap();

    // A course of the traps: each trap replaces its exercise; the real solutions stay canonical.
    let dir = tempfile::tempdir().unwrap();
    let course = dir.path();
    let mut info_out = String::from("format_version = 1\n");
    let mut bins = String::new();
    for (name, _) in &traps {
        let e = entries
            .iter()
            .find(|e| e["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("trap {name} is not an exercise"));
        let section = e["dir"].as_str().unwrap();
        let mut t = e.as_table().unwrap().clone();
        t.remove("timeout_secs");
        info_out.push_str(&format!(
            "\n[[exercises]]\n{}",
            toml::to_string(&t).unwrap()
        ));
        for (top, from) in [
            ("exercises", repo().join(format!("tests/traps/{name}.rs"))),
            (
                "solutions",
                repo().join(format!("solutions/{section}/{name}.rs")),
            ),
        ] {
            std::fs::create_dir_all(course.join(top).join(section)).unwrap();
            std::fs::copy(&from, course.join(format!("{top}/{section}/{name}.rs"))).unwrap();
        }
        bins.push_str(&format!(
            "\n[[bin]]\nname = \"{name}\"\npath = \"exercises/{section}/{name}.rs\"\n"
        ));
    }
    std::fs::write(course.join("info.toml"), info_out).unwrap();
    // The course package's dependencies, with the support crate's path made absolute; the
    // repository's lock file and target dir, so nothing is resolved or compiled twice.
    let manifest = std::fs::read_to_string(repo().join("exercises/Cargo.toml")).unwrap();
    let deps_start = manifest.find("[dependencies]").unwrap();
    let deps_end = manifest.find("# --- [[bin]]").unwrap();
    let deps = manifest[deps_start..deps_end].replace(
        "path = \"support\"",
        &format!("path = \"{}\"", repo().join("exercises/support").display()),
    );
    std::fs::write(
        course.join("Cargo.toml"),
        format!("[workspace]\n\n[package]\nname = \"trap-course\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\nautobins = false\n\n{deps}\n{bins}"),
    )
    .unwrap();
    std::fs::copy(repo().join("Cargo.lock"), course.join("Cargo.lock")).unwrap();

    let report = course.join("report.json");
    let out = tokiolings(course)
        .env("CARGO_TARGET_DIR", repo().join("target"))
        .args([
            "--timeout",
            "4",
            "check-all",
            "--format",
            "json",
            "--output",
        ])
        .arg(&report)
        .output()
        .unwrap();
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(&report)
            .unwrap_or_else(|_| panic!("no report:\n{}", stderr_of(&out))),
    )
    .unwrap();
    let mut wrong = Vec::new();
    for (name, expect) in &traps {
        let e = json["exercises"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name.as_str())
            .unwrap();
        if e["status"] != expect.as_str() {
            wrong.push(format!(
                "{name}: expected {expect}, got {} ({})",
                e["status"], e["message"]
            ));
        }
        if expect == "timeout" {
            let msg = e["message"].as_str().unwrap();
            assert!(msg.contains("timed out"), "{name}: {msg}");
        }
    }
    assert!(
        wrong.is_empty(),
        "traps with the wrong verdict:\n{}",
        wrong.join("\n")
    );
    for (name, _) in &traps {
        let left = processes_matching(&format!("deps/{name}-"));
        assert!(left.is_empty(), "left running: {left:?}");
    }
}
