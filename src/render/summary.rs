//! Plain-text summaries of a report: a line per exercise, the score, the `check-all` summary,
//! the `grade` text report, and the facts of what the sandbox enforced (text and HTML both
//! list them from here, so they can't disagree).

use console::style;

use super::clean;
use crate::grade::Enforced;
use crate::report::{Report, Status};

/// One line per exercise: status, name, (points,) the first line of its message.
pub fn report_lines(report: &Report, with_points: bool) -> String {
    let mut out = String::new();
    for e in &report.exercises {
        let word = format!("{:<7}", e.status.as_str());
        let mark = match e.status {
            Status::Pass => style(word).green(),
            Status::Fail | Status::Error => style(word).red(),
            Status::Timeout => style(word).yellow(),
        };
        let points = if with_points {
            format!(" {}/{} ", e.points, e.max_points)
        } else {
            String::new()
        };
        let message = clean(e.message.lines().next().unwrap_or(""));
        out.push_str(&format!("{mark}  {:<32}{points} {message}\n", e.name));
    }
    out
}

/// `check-all`'s text report.
pub fn check_all_text(report: &Report) -> String {
    let s = &report.summary;
    format!(
        "{}\n{} passed, {} failed, {} errors, {} timeouts of {} exercises; score {}/{}\n",
        report_lines(report, false),
        s.passed,
        s.failed,
        s.errors,
        s.timeouts,
        s.total,
        s.score,
        s.max_score
    )
}

/// `grade`'s text report: a line per exercise, the score, and what was enforced on the tests.
pub fn grade_text(report: &Report, enforced: &Enforced) -> String {
    let mut out = report_lines(report, true);
    out.push('\n');
    out.push_str(&score_line(report));
    out.push_str("\nEnforced on each test:\n");
    for (what, value) in enforced_facts(enforced) {
        out.push_str(&format!("  {what}: {value}\n"));
    }
    for n in &enforced.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}

/// `Score: 5/7 (5 passed, 1 failed, 1 errors, 0 timeouts of 7 exercises; tests modified in 1)`.
pub fn score_line(report: &Report) -> String {
    let s = &report.summary;
    format!(
        "Score: {}/{} ({} passed, {} failed, {} errors, {} timeouts of {} exercises; tests modified in {})",
        s.score, s.max_score, s.passed, s.failed, s.errors, s.timeouts, s.total, s.tests_modified
    )
}

/// What was enforced on each test, as (what, value) pairs in a fixed order.
pub fn enforced_facts(e: &Enforced) -> Vec<(&'static str, String)> {
    let mib = |b: Option<u64>| b.map_or("no limit".to_string(), |b| format!("{} MiB", b >> 20));
    vec![
        ("deadline", e.deadline.clone()),
        ("output cap", format!("{} KiB", e.output_cap_bytes / 1024)),
        ("stdin", e.stdin.clone()),
        ("environment", e.environment.clone()),
        ("memory (address space)", mib(e.memory_bytes)),
        (
            "CPU time",
            e.cpu_secs.map_or("no limit".into(), |s| format!("{s}s")),
        ),
        (
            "processes",
            e.processes.map_or("no limit".into(), |n| n.to_string()),
        ),
        ("file size", mib(e.file_size_bytes)),
        ("network", e.network.clone()),
        ("filesystem", e.filesystem.clone()),
        ("leftover processes", e.leftover_processes.clone()),
        ("capabilities", e.capabilities.clone()),
        ("user", e.user.clone()),
        ("cgroup", e.cgroup.clone()),
        ("results", e.results.clone()),
        ("builds", e.builds.clone()),
    ]
}
