//! The class report as one self-contained HTML page (inline CSS, no scripts, no external
//! assets): a learners × exercises grid coloured by status, per-section totals, and per-learner
//! detail in `<details>`.

use std::fmt::Write;

use super::clean;
use super::summary::enforced_facts;
use crate::course::Exercise;
use crate::grade::Enforced;
use crate::report::{Report, Status};

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
    let page = Page {
        exercises,
        students,
        sections: sections(exercises),
    };
    let mut h = String::new();
    page.head(&mut h, course, generated_at);
    page.grid(&mut h);
    page.learners(&mut h);
    enforced_list(&mut h, enforced);
    h.push_str("</body>\n</html>\n");
    h
}

struct Page<'a> {
    exercises: &'a [Exercise],
    students: &'a [(String, Report)],
    /// Sections in course order, each with its exercises' columns.
    sections: Vec<(&'a str, Vec<usize>)>,
}

fn sections(exercises: &[Exercise]) -> Vec<(&str, Vec<usize>)> {
    let mut sections: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, e) in exercises.iter().enumerate() {
        match sections.last_mut() {
            Some((s, cols)) if *s == e.section() => cols.push(i),
            _ => sections.push((e.section(), vec![i])),
        }
    }
    sections
}

fn section_label(s: &str) -> String {
    if s.is_empty() {
        "(top level)".to_string()
    } else {
        s.to_string()
    }
}

impl Page<'_> {
    /// The document head, title line and legend.
    fn head(&self, h: &mut String, course: &str, generated_at: &str) {
        let max: u32 = self.exercises.iter().map(|e| e.points).sum();
        let n = self.students.len();
        let mean = if n == 0 {
            0.0
        } else {
            let total: f64 = self
                .students
                .iter()
                .map(|(_, r)| f64::from(r.summary.score))
                .sum();
            total / n as f64
        };
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Grades: {c}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>Grades: {c}</h1>\n<p class=\"meta\">Generated {g} · {n} learners · {m} exercises · mean score {mean:.1} / {max}</p>\n",
            c = esc(course),
            g = esc(generated_at),
            m = self.exercises.len(),
        );
        h.push_str("<p class=\"legend\">");
        for s in [Status::Pass, Status::Fail, Status::Error, Status::Timeout] {
            let _ = write!(h, "<span class=\"{s}\">{s}</span>");
        }
        h.push_str("<span>✎ tests modified (judged by the course's tests)</span></p>\n");
    }

    /// The learners × exercises grid, with section totals and a pass count per exercise.
    fn grid(&self, h: &mut String) {
        h.push_str(
            "<table id=\"grid\">\n<thead>\n<tr><th rowspan=\"2\" class=\"student\">Learner</th>",
        );
        for (s, cols) in &self.sections {
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
            self.sections.len()
        );
        for e in self.exercises {
            let _ = write!(h, "<th>{}</th>", esc(&e.name));
        }
        for (s, _) in &self.sections {
            let _ = write!(h, "<th>{}</th>", esc(&section_label(s)));
        }
        h.push_str("</tr>\n</thead>\n<tbody>\n");
        for (i, (name, report)) in self.students.iter().enumerate() {
            self.grid_row(h, i, name, report);
        }
        h.push_str("</tbody>\n<tfoot>\n<tr><th class=\"student\">Passed by</th>");
        for c in 0..self.exercises.len() {
            let passed = self
                .students
                .iter()
                .filter(|(_, r)| r.exercises[c].status == Status::Pass)
                .count();
            let _ = write!(h, "<td>{passed}/{}</td>", self.students.len());
        }
        let _ = write!(
            h,
            "<td colspan=\"{}\"></td></tr>\n</tfoot>\n</table>\n",
            self.sections.len() + 1
        );
    }

    fn grid_row(&self, h: &mut String, i: usize, name: &str, report: &Report) {
        let _ = write!(
            h,
            "<tr><th class=\"student\"><a href=\"#learner-{i}\">{}</a></th>",
            esc(name)
        );
        for r in &report.exercises {
            let w = r.status.as_str();
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
        for (_, cols) in &self.sections {
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

    /// Per learner, a `<details>` with every exercise's status and message.
    fn learners(&self, h: &mut String) {
        h.push_str("<h2>Learners</h2>\n");
        for (i, (name, report)) in self.students.iter().enumerate() {
            let s = &report.summary;
            let modified = if s.tests_modified > 0 {
                format!("; tests modified in {}", s.tests_modified)
            } else {
                String::new()
            };
            let _ = write!(
                h,
                "<details id=\"learner-{i}\">\n<summary>{} — {}/{} ({} passed, {} failed, {} errors, {} timeouts{modified})</summary>\n<table>\n<tr><th>Exercise</th><th>Section</th><th>Status</th><th>Points</th><th>Message</th></tr>\n",
                esc(name),
                s.score,
                s.max_score,
                s.passed,
                s.failed,
                s.errors,
                s.timeouts,
            );
            for r in &report.exercises {
                let w = r.status.as_str();
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
    }
}

/// What the numbers mean: the facts of the sandbox, as the text report lists them.
fn enforced_list(h: &mut String, enforced: &Enforced) {
    h.push_str("<h2>What was enforced on each test</h2>\n<ul>\n");
    for (k, v) in enforced_facts(enforced) {
        let _ = writeln!(h, "<li><b>{}</b>: {}</li>", esc(k), esc(&v));
    }
    for n in &enforced.notes {
        let _ = writeln!(h, "<li>note: {}</li>", esc(n));
    }
    h.push_str("</ul>\n");
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in clean(s).chars() {
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
            esc("<b a=\"x\">'&'</b>\u{1b}[31m!\u{0}\r\u{b}"),
            "&lt;b a=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;!"
        );
    }
}
