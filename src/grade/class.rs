//! `grade --class DIR`: every subdirectory of DIR is one learner's copy of the course. Their
//! exercise files are graded together (one scratch package, one build, tests in parallel) and
//! the output directory gets per-learner JSON, the class CSV and the HTML report.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::{GradeContext, GradeReport, Isolation, Submission, grade_submissions};
use crate::exit;
use crate::fsutil::write_atomically;
use crate::render::progress::ExerciseBar;
use crate::render::{csv, html};
use crate::report::Report;

pub const DEFAULT_OUTPUT: &str = "grade-report";

pub async fn grade_class(
    ctx: &GradeContext,
    dir: &Path,
    output: Option<&Path>,
    require_pass: bool,
) -> Result<u8> {
    let dir = dir
        .canonicalize()
        .with_context(|| format!("submissions directory {} not found", dir.display()))?;
    let out = output.unwrap_or(Path::new(DEFAULT_OUTPUT));
    std::fs::create_dir_all(out.join("students"))
        .with_context(|| format!("failed to create the report directory {}", out.display()))?;
    let out = out.canonicalize()?;
    let subs = submissions(&dir, &out)?;
    let total = subs.len() * ctx.exercises.len();
    eprintln!(
        "Grading {} submissions × {} exercises from {}…",
        subs.len(),
        ctx.exercises.len(),
        dir.display()
    );
    let bar = ExerciseBar::new(total, true);
    let graded = grade_submissions(
        ctx,
        &subs,
        std::slice::from_ref(&out),
        &bar,
        Isolation::PerLearner,
    )
    .await;
    bar.finish();
    let graded = graded?;

    let students: Vec<(String, Report)> = subs
        .iter()
        .zip(graded.results)
        .map(|(s, r)| (s.name.clone(), Report::new(&ctx.course.name, r)))
        .collect();
    write_reports(ctx, &out, &students, &graded.enforced)?;
    let width = students.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, report) in &students {
        println!(
            "{name:<width$}  {}/{}",
            report.summary.score, report.summary.max_score
        );
    }
    println!(
        "\nReports in {}: index.html, class.csv, students/*.json",
        out.display()
    );
    let all_pass = students
        .iter()
        .all(|(_, r)| r.summary.passed == r.summary.total);
    Ok(if require_pass && !all_pass {
        exit::NOT_PASSED
    } else {
        exit::OK
    })
}

/// Per-learner JSON, the class CSV and the HTML page, into `out`.
fn write_reports(
    ctx: &GradeContext,
    out: &Path,
    students: &[(String, Report)],
    enforced: &super::Enforced,
) -> Result<()> {
    for (name, report) in students {
        let json = GradeReport {
            report,
            student: Some(name),
            enforced,
        }
        .to_json();
        let path = out.join("students").join(format!("{name}.json"));
        write_atomically(&path, json.as_bytes())
            .with_context(|| format!("failed to write {}", path.display()))?;
    }
    let csv_path = out.join("class.csv");
    write_atomically(&csv_path, csv::render(&ctx.exercises, students)?.as_bytes())
        .with_context(|| format!("failed to write {}", csv_path.display()))?;
    let generated = students
        .first()
        .map(|(_, r)| r.generated_at.clone())
        .unwrap_or_default();
    let html_path = out.join("index.html");
    let page = html::render(
        &ctx.course.name,
        &generated,
        &ctx.exercises,
        students,
        enforced,
    );
    write_atomically(&html_path, page.as_bytes())
        .with_context(|| format!("failed to write {}", html_path.display()))
}

/// The learners' directories, by name; hidden ones and the report directory are skipped.
fn submissions(dir: &Path, out: &Path) -> Result<Vec<Submission>> {
    let mut subs: Vec<Submission> = std::fs::read_dir(dir)
        .with_context(|| format!("failed to read {}", dir.display()))?
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter(|e| e.path().canonicalize().ok().as_deref() != Some(out))
        .map(|e| Submission {
            name: e.file_name().to_string_lossy().into_owned(),
            root: e.path().canonicalize().unwrap_or_else(|_| e.path()),
        })
        .collect();
    subs.sort_by(|a, b| a.name.cmp(&b.name));
    if subs.is_empty() {
        bail!(
            "{} has no submissions: expected one subdirectory per learner, each a copy of the course",
            dir.display()
        );
    }
    Ok(subs)
}
