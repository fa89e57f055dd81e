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

/// A wrong fix (`tests/traps/EXERCISE/SLUG.rs`, first line `// trap-expect: VERDICT`) or a
/// different correct fix (`tests/alternatives/EXERCISE/SLUG.rs`, expected to pass).
struct Case {
    exercise: String,
    slug: String,
    file: std::path::PathBuf,
    expect: String,
}

impl Case {
    fn bin(&self) -> String {
        format!("{}__{}", self.exercise, self.slug)
    }
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for (kind, expect_from) in [("traps", Some("// trap-expect:")), ("alternatives", None)] {
        let Ok(dirs) = std::fs::read_dir(repo().join("tests").join(kind)) else {
            continue;
        };
        for dir in dirs {
            let dir = dir.unwrap().path();
            let exercise = dir.file_name().unwrap().to_string_lossy().into_owned();
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                let expect = match expect_from {
                    Some(prefix) => text
                        .lines()
                        .next()
                        .and_then(|l| l.strip_prefix(prefix))
                        .unwrap_or_else(|| {
                            panic!("{} has no `{prefix}` first line", path.display())
                        })
                        .trim()
                        .to_string(),
                    None => "pass".to_string(),
                };
                out.push(Case {
                    exercise: exercise.clone(),
                    slug: format!("{kind}_{}", path.file_stem().unwrap().to_string_lossy()),
                    file: path,
                    expect,
                });
            }
        }
    }
    out.sort_by_key(|c| c.bin());
    out
}

/// `TOKIOLINGS_CASES=name,name` limits the run to those exercises (for course authors).
#[test]
fn every_trap_and_alternative_gets_its_declared_verdict() {
    let only: Option<Vec<String>> = std::env::var("TOKIOLINGS_CASES")
        .ok()
        .map(|v| v.split(',').map(str::to_string).collect());
    let cases: Vec<Case> = cases()
        .into_iter()
        .filter(|c| only.as_ref().is_none_or(|o| o.contains(&c.exercise)))
        .collect();
    assert!(!cases.is_empty(), "no traps found");
    let info: toml::Table =
        toml::from_str(&std::fs::read_to_string(repo().join("info.toml")).unwrap()).unwrap();
    let entries = info["exercises"].as_array().unwrap();

    // A course of the cases: each replaces its exercise; the real solutions stay canonical.
    let dir = tempfile::tempdir().unwrap();
    let course = dir.path();
    let mut info_out = String::from("format_version = 1\n");
    let mut bins = String::new();
    for case in &cases {
        let name = case.bin();
        let e = entries
            .iter()
            .find(|e| e["name"].as_str() == Some(case.exercise.as_str()))
            .unwrap_or_else(|| panic!("{} is not an exercise", case.exercise));
        let section = e["dir"].as_str().unwrap();
        let mut t = e.as_table().unwrap().clone();
        t.remove("timeout_secs");
        t.insert("name".into(), toml::Value::String(name.clone()));
        info_out.push_str(&format!(
            "\n[[exercises]]\n{}",
            toml::to_string(&t).unwrap()
        ));
        for (top, from) in [
            ("exercises", case.file.clone()),
            (
                "solutions",
                repo().join(format!("solutions/{section}/{}.rs", case.exercise)),
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
    for case in &cases {
        let name = case.bin();
        let e = json["exercises"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name.as_str())
            .unwrap();
        if e["status"] != case.expect.as_str() {
            wrong.push(format!(
                "{}: expected {}, got {} ({})",
                case.file.display(),
                case.expect,
                e["status"],
                e["message"]
            ));
        } else if case.expect == "timeout" && !e["message"].as_str().unwrap().contains("timed out")
        {
            wrong.push(format!("{}: {}", case.file.display(), e["message"]));
        }
    }
    assert!(
        wrong.is_empty(),
        "cases with the wrong verdict:\n{}",
        wrong.join("\n")
    );
    for case in &cases {
        let left = processes_matching(&format!("deps/{}-", case.bin()));
        assert!(left.is_empty(), "left running: {left:?}");
    }
}
