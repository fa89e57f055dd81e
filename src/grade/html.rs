//! The class report as one self-contained HTML page (inline CSS, no scripts, no external
//! assets): a learners × exercises grid coloured by status, per-section totals, and per-learner
//! detail in `<details>`.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::course::Exercise;
use crate::report::{Report, Status};

use super::{Enforced, status_word};

const STYLE: &str = "
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1a1a1a; }
h1 { margin-bottom: .2rem; }
.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; }
th, td { border: 1px solid #c8c8c8; padding: .25rem .45rem; text-align: center; }
th.student, td.message { text-align: left; }
thead th { background: #f0f0f0; }
tfoot th, tfoot td { background: #f7f7f7; font-weight: 600; }
.pass { background: rgb(165, 214, 167); }
.fail { background: rgb(239, 154, 154); }
.error { background: rgb(206, 147, 216); }
.timeout { background: rgb(255, 204, 128); }
td.modified { box-shadow: inset 0 0 0 3px rgb(183, 28, 28); }
.legend span { display: inline-block; padding: .1rem .6rem; margin-right: .4rem; border: 1px solid #c8c8c8; }
details { margin: .4rem 0; }
summary { cursor: pointer; font-weight: 600; }
td.message { max-width: 60rem; white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: .85rem; }
";

pub fn render(
    course: &str,
    generated_at: &str,
    exercises: &[Exercise],
    students: &[(String, Report)],
    enforced: &Enforced,
) -> String {
    // Sections in course order, each with its exercises' columns.
    let mut sections: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, e) in exercises.iter().enumerate() {
        match sections.last_mut() {
            Some((s, cols)) if *s == e.section() => cols.push(i),
            _ => sections.push((e.section(), vec![i])),
        }
    }
    let section_label = |s: &str| {
        if s.is_empty() {
            "(top level)".to_string()
        } else {
            s.to_string()
        }
    };
    let max: u32 = exercises.iter().map(|e| e.points).sum();
    let mean = if students.is_empty() {
        0.0
    } else {
        students
            .iter()
            .map(|(_, r)| f64::from(r.summary.score))
            .sum::<f64>()
            / students.len() as f64
    };

    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Grades: {c}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>Grades: {c}</h1>\n<p class=\"meta\">Generated {g} · {n} learners · {m} exercises · mean score {mean:.1} / {max}</p>\n",
        c = esc(course),
        g = esc(generated_at),
        n = students.len(),
        m = exercises.len(),
    );
    h.push_str("<p class=\"legend\">");
    for s in [Status::Pass, Status::Fail, Status::Error, Status::Timeout] {
        let w = status_word(s);
        let _ = write!(h, "<span class=\"{w}\">{w}</span>");
    }
    h.push_str("<span>✎ tests modified (judged by the course's tests)</span></p>\n");

    // The grid.
    h.push_str(
        "<table id=\"grid\">\n<thead>\n<tr><th rowspan=\"2\" class=\"student\">Learner</th>",
    );
    for (s, cols) in &sections {
        let _ = write!(
            h,
            "<th colspan=\"{}\">{}</th>",
            cols.len(),
            esc(&section_label(s))
        );
    }
    let _ = write!(
        h,
        "<th colspan=\"{}\">Section totals</th><th rowspan=\"2\">Total</th></tr>\n<tr>",
        sections.len()
    );
    for e in exercises {
        let _ = write!(h, "<th>{}</th>", esc(&e.name));
    }
    for (s, _) in &sections {
        let _ = write!(h, "<th>{}</th>", esc(&section_label(s)));
    }
    h.push_str("</tr>\n</thead>\n<tbody>\n");
    for (i, (name, report)) in students.iter().enumerate() {
        let _ = write!(
            h,
            "<tr><th class=\"student\"><a href=\"#learner-{i}\">{}</a></th>",
            esc(name)
        );
        for r in &report.exercises {
            let w = status_word(r.status);
            let (class, mark) = if r.tests_modified {
                (format!("{w} modified"), " ✎")
            } else {
                (w.to_string(), "")
            };
            let _ = write!(
                h,
                "<td class=\"{class}\" title=\"{}\">{w}{mark}</td>",
                esc(r.message.lines().next().unwrap_or(""))
            );
        }
        for (_, cols) in &sections {
            let (got, of) = cols.iter().fold((0, 0), |(g, o), &c| {
                let r = &report.exercises[c];
                (g + r.points, o + r.max_points)
            });
            let _ = write!(h, "<td class=\"section-total\">{got}/{of}</td>");
        }
        let _ = writeln!(
            h,
            "<td class=\"total\">{}/{}</td></tr>",
            report.summary.score, report.summary.max_score
        );
    }
    h.push_str("</tbody>\n<tfoot>\n<tr><th class=\"student\">Passed by</th>");
    for c in 0..exercises.len() {
        let passed = students
            .iter()
            .filter(|(_, r)| r.exercises[c].status == Status::Pass)
            .count();
        let _ = write!(h, "<td>{passed}/{}</td>", students.len());
    }
    let _ = write!(
        h,
        "<td colspan=\"{}\"></td></tr>\n</tfoot>\n</table>\n",
        sections.len() + 1
    );

    // Per learner.
    h.push_str("<h2>Learners</h2>\n");
    for (i, (name, report)) in students.iter().enumerate() {
        let s = &report.summary;
        let _ = write!(
            h,
            "<details id=\"learner-{i}\">\n<summary>{} — {}/{} ({} passed, {} failed, {} errors, {} timeouts{})</summary>\n<table>\n<tr><th>Exercise</th><th>Section</th><th>Status</th><th>Points</th><th>Message</th></tr>\n",
            esc(name),
            s.score,
            s.max_score,
            s.passed,
            s.failed,
            s.errors,
            s.timeouts,
            if s.tests_modified > 0 {
                format!("; tests modified in {}", s.tests_modified)
            } else {
                String::new()
            }
        );
        for r in &report.exercises {
            let w = status_word(r.status);
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"{w}\">{w}{}</td><td>{}/{}</td><td class=\"message\">{}</td></tr>",
                esc(&r.name),
                esc(&section_label(&r.dir)),
                if r.tests_modified { " ✎" } else { "" },
                r.points,
                r.max_points,
                esc(&r.message)
            );
        }
        h.push_str("</table>\n</details>\n");
    }

    // What the numbers mean.
    h.push_str("<h2>What was enforced on each test</h2>\n<ul>\n");
    let mut facts: BTreeMap<&str, String> = BTreeMap::new();
    facts.insert("deadline", enforced.deadline.clone());
    facts.insert(
        "output cap",
        format!("{} KiB", enforced.output_cap_bytes / 1024),
    );
    let mib = |b: Option<u64>| b.map_or("no limit".to_string(), |b| format!("{} MiB", b >> 20));
    facts.insert("memory (address space)", mib(enforced.memory_bytes));
    facts.insert(
        "CPU time",
        enforced
            .cpu_secs
            .map_or("no limit".into(), |s| format!("{s}s")),
    );
    facts.insert(
        "processes",
        enforced
            .processes
            .map_or("no limit".into(), |n| n.to_string()),
    );
    facts.insert("file size", mib(enforced.file_size_bytes));
    facts.insert("network", enforced.network.clone());
    facts.insert("filesystem", enforced.filesystem.clone());
    facts.insert("leftover processes", enforced.leftover_processes.clone());
    for (k, v) in facts {
        let _ = writeln!(h, "<li><b>{}</b>: {}</li>", esc(k), esc(&v));
    }
    for n in &enforced.notes {
        let _ = writeln!(h, "<li>note: {}</li>", esc(n));
    }
    h.push_str("</ul>\n</body>\n</html>\n");
    h
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in console::strip_ansi_codes(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_ansi() {
        assert_eq!(
            esc("<b a=\"x\">'&'</b>\u{1b}[31m!"),
            "&lt;b a=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;!"
        );
    }
}
