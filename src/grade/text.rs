//! The terminal rendering of a grade report: one line per exercise, the score, and what was
//! enforced on the tests.

use crate::report::Report;

use super::Enforced;

pub fn render(report: &Report, enforced: &Enforced) -> String {
    let mut out = crate::term::report_lines(report, true);
    out.push('\n');
    out.push_str(&score_line(report));
    out.push('\n');
    out.push_str(&enforced_line(enforced));
    out
}

/// `Score: 5/7 (5 passed, 1 failed, 1 errors, 0 timeouts; tests modified in 1)`.
pub fn score_line(report: &Report) -> String {
    let s = &report.summary;
    format!(
        "Score: {}/{} ({} passed, {} failed, {} errors, {} timeouts of {} exercises; tests modified in {})",
        s.score, s.max_score, s.passed, s.failed, s.errors, s.timeouts, s.total, s.tests_modified
    )
}

fn enforced_line(e: &Enforced) -> String {
    let mib = |b: Option<u64>| b.map_or("none".to_string(), |b| format!("{} MiB", b >> 20));
    let mut out = format!(
        "Enforced on each test: deadline {}; output cap {} KiB; memory {}; CPU {}; processes {}; files up to {}; network: {}; filesystem: {}.\n",
        e.deadline,
        e.output_cap_bytes / 1024,
        mib(e.memory_bytes),
        e.cpu_secs.map_or("none".into(), |s| format!("{s}s")),
        e.processes.map_or("no limit".into(), |n| n.to_string()),
        mib(e.file_size_bytes),
        e.network,
        e.filesystem,
    );
    for n in &e.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}
