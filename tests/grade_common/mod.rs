//! Helpers for the grade tests: temp dirs named so the tamper fixture may touch them, learners'
//! copies of the gradable course built from templates, and byte-for-byte snapshots.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::{copy_dir, fixture, stderr_of, stdout_of};

/// A temp dir whose name marks it as the grade tests' (the tamper fixture only writes in such).
pub fn workdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("tokiolings-fixture-")
        .tempdir()
        .expect("temp dir")
}

/// A copy of the gradable course at `dir/course`.
pub fn course_in(dir: &Path) -> PathBuf {
    let course = dir.join("course");
    copy_dir(&fixture("gradable"), &course);
    course
}

/// A learner's copy of the course at `dir`: the solutions with `template`'s files on top
/// (`tests/fixtures/submissions/TEMPLATE`), or `shipped` (the exercises as shipped), `missing`
/// (greet.rs deleted) or `symlink` (sum.rs a link to the course's solution).
pub fn learner(dir: &Path, template: &str) {
    let course = fixture("gradable");
    let exercises = dir.join("exercises");
    match template {
        "shipped" => copy_dir(&course.join("exercises"), &exercises),
        _ => copy_dir(&course.join("solutions"), &exercises),
    }
    // A learner's clone has the rest of the course too; the grader must ignore it.
    std::fs::write(dir.join("info.toml"), "not toml at all [").unwrap();
    if template == "missing" {
        std::fs::remove_file(exercises.join("basics/greet.rs")).unwrap();
    }
    if template == "symlink" {
        // "Solved" by linking to the course's solution.
        let sum = exercises.join("basics/sum.rs");
        std::fs::remove_file(&sum).unwrap();
        // To the graded course's copy beside the class (`course_in`) when there is one: never
        // to the repository's fixture, which a tamper test could reach through the link when
        // the checkout is somewhere tests may write (a CI clone under /tmp).
        let beside = dir.ancestors().nth(2).map(|d| d.join("course"));
        let target = beside.filter(|c| c.is_dir()).unwrap_or(course);
        std::os::unix::fs::symlink(target.join("solutions/basics/sum.rs"), &sum).unwrap();
    }
    let overlay = fixture("submissions").join(template);
    if overlay.is_dir() {
        copy_dir(&overlay, dir);
    }
}

/// A learner's JSON report in a class's report dir `out`.
pub fn student_report(out: &Path, name: &str) -> serde_json::Value {
    let path = out.join("students").join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Every file under `dir` (but build output) with its bytes.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" {
                walk(root, &path, out);
            }
        } else {
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            out.insert(rel, std::fs::read(&path).unwrap());
        }
    }
}

/// The names of files that differ between two snapshots.
pub fn changed(
    before: &BTreeMap<PathBuf, Vec<u8>>,
    after: &BTreeMap<PathBuf, Vec<u8>>,
) -> Vec<String> {
    let mut names: Vec<String> = before
        .iter()
        .filter(|(p, b)| after.get(*p) != Some(*b))
        .map(|(p, _)| p.display().to_string())
        .collect();
    names.extend(
        after
            .keys()
            .filter(|p| !before.contains_key(*p))
            .map(|p| format!("{} (new)", p.display())),
    );
    names
}

/// The exercise `name` of a report.
pub fn exercise<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no exercise {name} in {report:#}"))
}

/// The DOM of `page` as headless Chromium builds it.
pub fn chromium_dom(page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let run = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "chromium is needed to check the HTML report ({e}); install it with \
                 `apt-get update && apt-get install -y chromium` (.ci/run does)"
            )
        });
    assert!(run.status.success(), "chromium failed: {}", stderr_of(&run));
    stdout_of(&run)
}

pub fn section<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {text}"));
    let rest = &text[from + start.len()..];
    &rest[..rest
        .find(end)
        .unwrap_or_else(|| panic!("no {end} after {start}"))]
}

/// A dir with a stand-in `cargo` first on PATH.
pub fn shim(dir: &Path) -> String {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let cargo = bin.join("cargo");
    std::fs::write(
        &cargo,
        "#!/bin/sh\n\
         # cargo in the doc's commands: `run … -- ARGS` runs the tokiolings under test with ARGS.\n\
         case \"$1\" in\n\
           run) while [ \"$#\" -gt 0 ] && [ \"$1\" != \"--\" ]; do shift; done; shift\n\
                CARGO=\"$REAL_CARGO\" exec \"$TOKIOLINGS\" \"$@\" ;;\n\
           build) exit 0 ;;\n\
           *) echo \"cargo stand-in: unexpected: cargo $*\" >&2; exit 99 ;;\n\
         esac\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}
