//! `aggregate REPORT_OR_DIR… --output DIR`: learners' JSON grade reports, made anywhere (each
//! learner's CI run, the shards of a class), put together into the class report `grade --class`
//! writes. A learner with several reports keeps the one of the latest graded commit; a file that
//! is not a report of this course (another course version, truncated, foreign) is listed with
//! the reason and left out. The same inputs always give the same output.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::course::{Course, Exercise};
use crate::exit;
use crate::fsutil::write_atomically;
use crate::grade::stamp::{course_fingerprint, distinct_stem, file_stem};
use crate::grade::{StoredReport, select, write_class};
use crate::report::{Report, SCHEMA};

/// Larger files are not reports (a report with every output capped is a few MiB).
const MAX_REPORT_BYTES: u64 = 64 << 20;

/// A report taken in: where it was, what it says, and its bytes (copied as they are).
struct Taken {
    path: PathBuf,
    stored: StoredReport,
    text: String,
}

pub fn aggregate(
    root: &Path,
    inputs: &[PathBuf],
    output: &Path,
    sections: &[String],
    names: &[String],
) -> Result<u8> {
    let course = Course::load(root)?;
    let exercises = select(&course, sections, names)?;
    let fingerprint = course_fingerprint(&course);
    let own = [output.join("class.csv"), output.join("index.html")];
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            walk(input, &mut files)
                .with_context(|| format!("failed to read {}", input.display()))?;
        } else if input.exists() {
            files.push(input.clone());
        } else {
            bail!("{} does not exist", input.display());
        }
    }
    files.retain(|f| !own.contains(f));
    files.sort();
    files.dedup();

    let mut skipped: Vec<(PathBuf, String)> = Vec::new();
    let mut by_student: BTreeMap<String, Vec<Taken>> = BTreeMap::new();
    for path in files {
        match take(&path, &exercises, &fingerprint) {
            Ok((stored, text)) => by_student
                .entry(stored.stamp.student.clone())
                .or_default()
                .push(Taken { path, stored, text }),
            Err(why) => skipped.push((path, why)),
        }
    }
    if by_student.is_empty() {
        for (p, why) in &skipped {
            eprintln!("skipped {}: {why}", p.display());
        }
        bail!(
            "no report of this course ({}, fingerprint {fingerprint}) among {} file(s)",
            course.root.display(),
            skipped.len()
        );
    }

    std::fs::create_dir_all(output.join("students"))
        .with_context(|| format!("failed to create {}", output.display()))?;
    let mut students: Vec<(String, Report)> = Vec::new();
    let mut enforced = None;
    let mut enforced_differ = false;
    let mut older = Vec::new();
    let mut stems = std::collections::BTreeSet::new();
    for (student, mut taken) in by_student {
        // The latest graded commit; between reports of one commit (or none), the latest
        // grading; then the path, so that the choice never depends on the order of the inputs.
        taken.sort_by(|a, b| {
            let key = |t: &Taken| {
                (
                    t.stored.stamp.commit_time.clone(),
                    t.stored.stamp.graded_at.clone(),
                )
            };
            key(a).cmp(&key(b)).then_with(|| b.path.cmp(&a.path))
        });
        let best = taken.pop().expect("a learner has a report");
        for t in taken {
            if t.text != best.text {
                older.push((t.path, best.path.clone()));
            }
        }
        // Two ids with one file name (`org/a`, `org_a`): the second gets a name of its own.
        let mut stem = file_stem(&student);
        if !stems.insert(stem.clone()) {
            stem = distinct_stem(&student);
            stems.insert(stem.clone());
        }
        let dest = output.join("students").join(format!("{stem}.json"));
        if std::fs::read_to_string(&dest).ok().as_deref() != Some(best.text.as_str()) {
            write_atomically(&dest, best.text.as_bytes())
                .with_context(|| format!("failed to write {}", dest.display()))?;
        }
        match &enforced {
            None => enforced = Some(best.stored.enforced.clone()),
            Some(e) => enforced_differ |= *e != best.stored.enforced,
        }
        students.push((student, best.stored.report));
    }
    let mut enforced = enforced.expect("at least one learner");
    if enforced_differ {
        enforced.notes.push(
            "the reports differ in what was enforced (graded on different machines): each learner's JSON report says what applied to them".into(),
        );
    }
    write_class(&course.name, &exercises, output, &students, &enforced)?;

    for (old, new) in &older {
        println!(
            "superseded {}: a later report of the same learner is {}",
            old.display(),
            new.display()
        );
    }
    for (p, why) in &skipped {
        println!("skipped {}: {why}", p.display());
    }
    println!(
        "Aggregated {} learners into {} (index.html, class.csv, students/*.json); {} file(s) skipped",
        students.len(),
        output.display(),
        skipped.len()
    );
    Ok(exit::OK)
}

/// Every regular file under `dir` (symbolic links are not followed).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&entry.path(), out)?;
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
    Ok(())
}

/// The report in `path`, or why it is left out.
fn take(
    path: &Path,
    exercises: &[Exercise],
    fingerprint: &str,
) -> std::result::Result<(StoredReport, String), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("unreadable: {e}"))?;
    if meta.len() > MAX_REPORT_BYTES {
        return Err(format!(
            "{} MiB is too large for a grade report",
            meta.len() >> 20
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("unreadable: {e}"))?;
    let text =
        String::from_utf8(bytes).map_err(|_| "not a JSON report (not UTF-8 text)".to_string())?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        if e.is_eof() {
            format!("truncated JSON ({e})")
        } else {
            format!("not JSON ({e})")
        }
    })?;
    if value.get("schema").and_then(|s| s.as_str()) != Some(SCHEMA) {
        return Err(format!(
            "not a tokiolings grade report (no \"schema\": \"{SCHEMA}\")"
        ));
    }
    let theirs = match value.get("course_fingerprint").and_then(|s| s.as_str()) {
        Some(f) => f,
        None => {
            return Err(
                "a report without a course fingerprint (from `check-all`, or an older grader): it can't be matched to this course".into(),
            );
        }
    };
    if theirs != fingerprint {
        return Err(format!(
            "graded against another version of the course (course_fingerprint {theirs}; this course's is {fingerprint})"
        ));
    }
    let stored: StoredReport = serde_json::from_value(value)
        .map_err(|e| format!("a grade report with a field it can't have: {e}"))?;
    let names: Vec<&str> = stored
        .report
        .exercises
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    let want: Vec<&str> = exercises.iter().map(|e| e.name.as_str()).collect();
    if names != want {
        return Err(format!(
            "grades {} exercise(s), not the {} expected (graded with --section or --exercise? give aggregate the same)",
            names.len(),
            want.len()
        ));
    }
    if stored.stamp.student.trim().is_empty() {
        return Err("the report names no learner (\"student\" is empty)".into());
    }
    Ok((stored, text))
}
