//! `grade --class DIR`: every subdirectory of DIR is one learner's copy of the course. Each
//! learner's files are built and judged in turn (tests in parallel), and their JSON report is
//! written as soon as they are graded; at the end the output directory gets the class CSV and
//! the HTML report. `--resume` keeps reports already there for the same work and course;
//! `--shard K/N` grades only the learners of one shard (put together by `aggregate`).

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::stamp::{Stamp, file_stem, shard_of};
use super::{
    Enforced, GradeContext, GradeOptions, GradeReport, Isolation, Shard, StoredReport, Submission,
    grade_submissions,
};
use crate::exit;
use crate::fsutil::{now_rfc3339, write_atomically};
use crate::render::progress::ExerciseBar;
use crate::render::{csv, html};
use crate::report::Report;

pub const DEFAULT_OUTPUT: &str = "grade-report";

/// The environment variable a Kubernetes Indexed Job gives each pod its index in.
pub const SHARD_ENV: &str = "JOB_COMPLETION_INDEX";

pub async fn grade_class(ctx: &GradeContext, dir: &Path, opts: &GradeOptions) -> Result<u8> {
    let dir = dir
        .canonicalize()
        .with_context(|| format!("submissions directory {} not found", dir.display()))?;
    // Bad input stops here, before anything is written.
    let shard = opts.shard.map(resolve_shard).transpose()?;
    let out = opts.output.as_deref().unwrap_or(Path::new(DEFAULT_OUTPUT));
    std::fs::create_dir_all(out.join("students"))
        .with_context(|| format!("failed to create the report directory {}", out.display()))?;
    let out = out.canonicalize()?;
    let mut subs = learners(ctx, &dir, &out)?;
    let everyone = subs.len();
    if let Some((k, n)) = shard {
        subs.retain(|(_, st)| shard_of(&st.student, n) == k);
        eprintln!(
            "Shard {k}/{n}: {} of the {everyone} learners in {}",
            subs.len(),
            dir.display()
        );
    }
    // Reports already written for the same work against the same course are kept.
    let mut kept: Vec<Option<StoredReport>> = subs
        .iter()
        .map(|(_, st)| opts.resume.then(|| earlier_report(ctx, &out, st)).flatten())
        .collect();
    let (todo, todo_stamps): (Vec<Submission>, Vec<Stamp>) = subs
        .iter()
        .zip(&kept)
        .filter(|(_, k)| k.is_none())
        .map(|(s, _)| s.clone())
        .unzip();
    if opts.resume {
        eprintln!(
            "--resume: {} learners' reports kept, {} to grade",
            subs.len() - todo.len(),
            todo.len()
        );
    }
    eprintln!(
        "Grading {} submissions × {} exercises from {}…",
        todo.len(),
        ctx.exercises.len(),
        dir.display()
    );
    let mut fresh: Vec<Option<Report>> = vec![None; todo.len()];
    let mut enforced: Option<Enforced> = None;
    if !todo.is_empty() {
        let bar = ExerciseBar::new(todo.len() * ctx.exercises.len(), true);
        let graded = grade_submissions(
            ctx,
            &todo,
            std::slice::from_ref(&out),
            &bar,
            Isolation::PerLearner,
            &mut |i, results, enforced| {
                let report = Report::new(&ctx.course.name, results.to_vec());
                let stamp = Stamp {
                    graded_at: now_rfc3339(),
                    ..todo_stamps[i].clone()
                };
                write_student(&out, &report, &stamp, enforced)?;
                fresh[i] = Some(report);
                Ok(())
            },
        )
        .await;
        bar.finish();
        enforced = Some(graded?.enforced);
    }

    let mut fresh = fresh.into_iter();
    let mut students: Vec<(String, Report, bool)> = Vec::new();
    for ((_, stamp), kept) in subs.iter().zip(kept.iter_mut()) {
        match kept.take() {
            Some(k) => {
                enforced.get_or_insert(k.enforced);
                students.push((stamp.student.clone(), k.report, true));
            }
            None => {
                let r = fresh.next().flatten().context("every learner is graded")?;
                students.push((stamp.student.clone(), r, false));
            }
        }
    }
    students.sort_by(|a, b| a.0.cmp(&b.0));
    let width = students.iter().map(|s| s.0.len()).max().unwrap_or(0);
    for (name, report, resumed) in &students {
        println!(
            "{name:<width$}  {}/{}{}",
            report.summary.score,
            report.summary.max_score,
            if *resumed {
                "  (kept: graded before)"
            } else {
                ""
            }
        );
    }
    let all_pass = students
        .iter()
        .all(|(_, r, _)| r.summary.passed == r.summary.total);
    let students: Vec<(String, Report)> = students.into_iter().map(|(n, r, _)| (n, r)).collect();
    match (shard, enforced) {
        (Some((k, n)), _) => println!(
            "\nShard {k}/{n}: reports in {}; put the shards together with `tokiolings aggregate`",
            out.join("students").display()
        ),
        (None, Some(enforced)) => {
            write_class(&ctx.course.name, &ctx.exercises, &out, &students, &enforced)?;
            println!(
                "\nReports in {}: index.html, class.csv, students/*.json",
                out.display()
            );
        }
        (None, None) => {}
    }
    Ok(if opts.require_pass && !all_pass {
        exit::NOT_PASSED
    } else {
        exit::OK
    })
}

/// `--shard K/N` as (K, N), K from the environment for `auto/N`.
fn resolve_shard(s: Shard) -> Result<(u32, u32)> {
    let k = match s.index {
        Some(k) => k,
        None => {
            let v = std::env::var(SHARD_ENV).with_context(|| {
                format!(
                    "--shard auto/{} reads the shard from {SHARD_ENV}, which is not set",
                    s.count
                )
            })?;
            v.trim().parse().with_context(|| {
                format!(
                    "{SHARD_ENV} is {v:?}, not a shard number (0 to {})",
                    s.count - 1
                )
            })?
        }
    };
    if s.count == 0 || k >= s.count {
        bail!(
            "shard {k}/{}: the shard must be 0 to {} (`--shard K/N`, K counted from 0)",
            s.count,
            s.count.saturating_sub(1)
        );
    }
    Ok((k, s.count))
}

/// A learner's JSON report, written atomically (a run cut short leaves whole reports only).
pub fn write_student(
    out: &Path,
    report: &Report,
    stamp: &Stamp,
    enforced: &Enforced,
) -> Result<()> {
    let json = GradeReport {
        report,
        stamp,
        enforced,
    }
    .to_json();
    let path = out
        .join("students")
        .join(format!("{}.json", file_stem(&stamp.student)));
    write_atomically(&path, json.as_bytes())
        .with_context(|| format!("failed to write {}", path.display()))
}

/// The report of `stamp`'s learner in `out`, if it judged the same work against the same
/// course and the same exercises.
fn earlier_report(ctx: &GradeContext, out: &Path, stamp: &Stamp) -> Option<StoredReport> {
    let path = out
        .join("students")
        .join(format!("{}.json", file_stem(&stamp.student)));
    let text = std::fs::read_to_string(path).ok()?;
    let earlier: StoredReport = serde_json::from_str(&text).ok()?;
    let same_exercises = earlier
        .report
        .exercises
        .iter()
        .map(|e| &e.name)
        .eq(ctx.exercises.iter().map(|e| &e.name));
    (earlier.stamp.student == stamp.student && earlier.stamp.same_work(stamp) && same_exercises)
        .then_some(earlier)
}

/// The class CSV and the HTML page, into `out` (`--class` and `aggregate`).
pub fn write_class(
    course: &str,
    exercises: &[crate::course::Exercise],
    out: &Path,
    students: &[(String, Report)],
    enforced: &Enforced,
) -> Result<()> {
    let csv_path = out.join("class.csv");
    write_atomically(&csv_path, csv::render(exercises, students)?.as_bytes())
        .with_context(|| format!("failed to write {}", csv_path.display()))?;
    // The page's date: the latest learner's, so that the same reports give the same page.
    let generated = students
        .iter()
        .map(|(_, r)| r.generated_at.clone())
        .max()
        .unwrap_or_default();
    let html_path = out.join("index.html");
    let page = html::render(course, &generated, exercises, students, enforced);
    write_atomically(&html_path, page.as_bytes())
        .with_context(|| format!("failed to write {}", html_path.display()))
}

/// The learners' directories with their stamps, by directory name; hidden ones and the report
/// directory are skipped. Two directories of one learner (one `owner/repo`) are an error.
fn learners(ctx: &GradeContext, dir: &Path, out: &Path) -> Result<Vec<(Submission, Stamp)>> {
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
    let mut seen = std::collections::BTreeMap::new();
    let mut with = Vec::new();
    for s in subs {
        let stamp = Stamp::of(&s.root, None, &ctx.exercises, &ctx.fingerprint);
        if let Some(other) = seen.insert(file_stem(&stamp.student), s.name.clone()) {
            bail!(
                "{} and {} are both the learner `{}` (the same git remote): keep one of them",
                dir.join(other).display(),
                dir.join(&s.name).display(),
                stamp.student
            );
        }
        with.push((s, stamp));
    }
    Ok(with)
}
