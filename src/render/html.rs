//! The class report as one self-contained HTML page (inline CSS, SVG and a small script, no
//! outside assets) that still reads at a thousand learners: first what an instructor looks at
//! (per-exercise pass rates, a score histogram, per-section progress, as inline SVG), then the
//! learners × exercises grid coloured by status with per-section totals, which the script lets
//! one filter (by learner, status, section) and sort (by any column), then per-learner detail in
//! `<details>` (the exercises not passed; the passed ones named in a line). Without scripts the
//! page is whole, only not sortable.

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
.charts { display: flex; flex-wrap: wrap; gap: 2rem; align-items: flex-start; }
.charts figure { margin: 0; }
.charts figcaption { font-weight: 600; margin-bottom: .3rem; }
svg text { font: 11px system-ui, sans-serif; fill: #1a1a1a; }
.controls { margin: .8rem 0; display: flex; gap: 1rem; flex-wrap: wrap; align-items: center; }
#grid thead th { cursor: pointer; }
";

/// Filtering and sorting of the grid: a few lines, inline (the page has no outside assets).
const SCRIPT: &str = r#"<script>
(() => {
  const g = document.getElementById('grid');
  if (!g) return;
  const rows = [...g.tBodies[0].rows];
  const secs = JSON.parse(g.dataset.sections);
  const nEx = secs.reduce((n, s) => n + s[1].length, 0);
  const $ = id => document.getElementById(id);
  const [top, second] = g.tHead.rows;
  // The top header's section cells (between "Learner" and "Section totals", "Total").
  const runs = [...top.cells].slice(1, top.cells.length - 2);
  const css = document.createElement('style');
  document.head.appendChild(css);
  const apply = () => {
    const q = $('filter').value.trim().toLowerCase(), st = $('status').value, sec = $('section').value;
    let shown = 0;
    for (const r of rows) {
      const ok = (!q || r.cells[0].textContent.toLowerCase().includes(q)) && (!st || r.querySelector('td.' + st));
      r.hidden = !ok;
      if (ok) shown++;
    }
    $('shown').textContent = shown + ' of ' + rows.length + ' learners shown';
    if (sec === '') { css.textContent = ''; runs.forEach(th => { th.hidden = false; }); return; }
    const keep = new Set(secs[sec][1]), hide = [];
    for (let c = 0; c < nEx; c++) if (!keep.has(c))
      hide.push(`#grid tbody td:nth-child(${c + 2})`, `#grid tfoot td:nth-child(${c + 2})`, `#grid thead tr:nth-child(2) th:nth-child(${c + 1})`);
    css.textContent = hide.join(',') + '{display:none}';
    runs.forEach(th => { th.hidden = th.textContent !== secs[sec][0]; });
  };
  const rank = { pass: 0, fail: 1, error: 2, timeout: 3 };
  const key = (r, c) => {
    const t = r.cells[c].textContent.trim(), m = t.match(/^(\d+)\/(\d+)$/);
    if (m) return +m[1];
    const k = rank[t.split(' ')[0]];
    return k === undefined ? t.toLowerCase() : k;
  };
  let by = -1, dir = 1;
  const sortBy = c => {
    dir = by === c ? -dir : 1; by = c;
    rows.sort((a, b) => { const x = key(a, c), y = key(b, c); return (x < y ? -1 : x > y ? 1 : 0) * dir; });
    g.tBodies[0].append(...rows);
  };
  top.cells[0].onclick = () => sortBy(0);
  top.cells[top.cells.length - 1].onclick = () => sortBy(rows.length ? rows[0].cells.length - 1 : 0);
  [...second.cells].forEach((th, i) => { th.onclick = () => sortBy(i + 1); });
  for (const id of ['filter', 'status', 'section']) $(id).addEventListener('input', apply);
  $('controls').hidden = false;
  apply();
})();
</script>
"#;

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
        groups: groups(exercises),
    };
    let mut h = String::new();
    page.head(&mut h, course, generated_at);
    page.charts(&mut h);
    page.controls(&mut h);
    page.grid(&mut h);
    page.learners(&mut h);
    enforced_list(&mut h, enforced);
    h.push_str(SCRIPT);
    h.push_str("</body>\n</html>\n");
    h
}

struct Page<'a> {
    exercises: &'a [Exercise],
    students: &'a [(String, Report)],
    /// Runs of adjacent columns of one section, in course order (the grid's top header).
    sections: Vec<(&'a str, Vec<usize>)>,
    /// Each section once, in order of first appearance, with all its columns (a course may
    /// come back to a section later): totals, progress and the section filter.
    groups: Vec<(&'a str, Vec<usize>)>,
}

fn groups(exercises: &[Exercise]) -> Vec<(&str, Vec<usize>)> {
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, e) in exercises.iter().enumerate() {
        match groups.iter_mut().find(|(s, _)| *s == e.section()) {
            Some((_, cols)) => cols.push(i),
            None => groups.push((e.section(), vec![i])),
        }
    }
    groups
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

    /// The grid's filters (shown by the script, which makes them work).
    fn controls(&self, h: &mut String) {
        h.push_str("<h2>Learners × exercises</h2>\n<div class=\"controls\" id=\"controls\" hidden>\n<label>Learner <input id=\"filter\" type=\"search\" placeholder=\"name contains…\"></label>\n<label>Having <select id=\"status\"><option value=\"\">any status</option>");
        for (s, what) in [
            (Status::Fail, "a failed exercise"),
            (Status::Error, "an exercise that did not build"),
            (Status::Timeout, "a timeout"),
            (Status::Pass, "a pass"),
        ] {
            let _ = write!(h, "<option value=\"{s}\">{what}</option>");
        }
        h.push_str("</select></label>\n<label>Section <select id=\"section\"><option value=\"\">all</option>");
        for (i, (s, _)) in self.groups.iter().enumerate() {
            let _ = write!(
                h,
                "<option value=\"{i}\">{}</option>",
                esc(&section_label(s))
            );
        }
        h.push_str("</select></label>\n<span id=\"shown\"></span> · click a column's title to sort\n</div>\n");
    }

    /// The charts an instructor reads first, as inline SVG.
    fn charts(&self, h: &mut String) {
        h.push_str("<div class=\"charts\">\n");
        self.pass_rates(h);
        self.histogram(h);
        self.section_progress(h);
        h.push_str("</div>\n");
    }

    /// Per exercise, the share of learners who passed it: where the class gets stuck.
    fn pass_rates(&self, h: &mut String) {
        let n = self.students.len().max(1) as f64;
        let bars: Vec<(String, f64, String)> = self
            .exercises
            .iter()
            .enumerate()
            .map(|(c, e)| {
                let passed = self
                    .students
                    .iter()
                    .filter(|(_, r)| r.exercises.get(c).is_some_and(|x| x.status == Status::Pass))
                    .count();
                let rate = passed as f64 / n;
                (e.name.clone(), rate, format!("{:.0}%", rate * 100.0))
            })
            .collect();
        hbars(h, "pass-rates", "Passed, per exercise", &bars);
    }

    /// Per section: the mean share of its points earned, and how many learners completed it.
    fn section_progress(&self, h: &mut String) {
        let n = self.students.len();
        let bars: Vec<(String, f64, String)> = self
            .groups
            .iter()
            .map(|(s, cols)| {
                let (mut got, mut of, mut done) = (0u64, 0u64, 0);
                for (_, r) in self.students {
                    let ex: Vec<_> = cols.iter().filter_map(|&c| r.exercises.get(c)).collect();
                    got += ex.iter().map(|e| u64::from(e.points)).sum::<u64>();
                    of += ex.iter().map(|e| u64::from(e.max_points)).sum::<u64>();
                    done += usize::from(ex.iter().all(|e| e.status == Status::Pass));
                }
                let share = if of == 0 { 0.0 } else { got as f64 / of as f64 };
                (
                    section_label(s),
                    share,
                    format!("{:.0}% · {done}/{n} done", share * 100.0),
                )
            })
            .collect();
        hbars(h, "sections", "Points earned, per section", &bars);
    }

    /// How many learners got each score (bins of equal width when scores range widely).
    fn histogram(&self, h: &mut String) {
        let max: u32 = self.exercises.iter().map(|e| e.points).sum();
        let bins = (max + 1).min(21) as usize;
        let width = f64::from(max + 1) / bins as f64;
        let mut counts = vec![0usize; bins];
        for (_, r) in self.students {
            let b = (f64::from(r.summary.score.min(max)) / width) as usize;
            counts[b.min(bins - 1)] += 1;
        }
        let top = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
        let (bar, gap, plot) = (22.0, 4.0, 160.0);
        let w = bins as f64 * (bar + gap) + 20.0;
        let _ = write!(
            h,
            "<figure id=\"histogram\"><figcaption>Scores (out of {max})</figcaption><svg role=\"img\" width=\"{w:.0}\" height=\"{:.0}\">",
            plot + 40.0
        );
        for (i, &c) in counts.iter().enumerate() {
            let x = 10.0 + i as f64 * (bar + gap);
            let hgt = plot * c as f64 / top;
            let lo = (i as f64 * width).ceil() as u32;
            let hi = (((i + 1) as f64 * width).ceil() as u32)
                .saturating_sub(1)
                .max(lo);
            let label = if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}–{hi}")
            };
            let _ = write!(
                h,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar}\" height=\"{hgt:.1}\" fill=\"#5c6bc0\"><title>score {label}: {c} learner(s)</title></rect><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{c}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>",
                15.0 + plot - hgt,
                x + bar / 2.0,
                12.0 + plot - hgt,
                x + bar / 2.0,
                plot + 30.0,
            );
        }
        h.push_str("</svg></figure>\n");
    }

    /// The learners × exercises grid, with section totals and a pass count per exercise.
    fn grid(&self, h: &mut String) {
        let sections: Vec<(String, &Vec<usize>)> = self
            .groups
            .iter()
            .map(|(s, c)| (section_label(s), c))
            .collect();
        let _ = write!(
            h,
            "<table id=\"grid\" data-sections=\"{}\">\n<thead>\n<tr><th rowspan=\"2\" class=\"student\">Learner</th>",
            esc(&serde_json::to_string(&sections).expect("plain data"))
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
            self.groups.len()
        );
        for e in self.exercises {
            let _ = write!(h, "<th>{}</th>", esc(&e.name));
        }
        for (s, _) in &self.groups {
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
            self.groups.len() + 1
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
            let why = r.message.lines().next().unwrap_or("");
            if why.is_empty() {
                let _ = write!(h, "<td class=\"{class}\">{w}{mark}</td>");
            } else {
                let _ = write!(
                    h,
                    "<td class=\"{class}\" title=\"{}\">{w}{mark}</td>",
                    esc(why)
                );
            }
        }
        for (_, cols) in &self.groups {
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
            // At a thousand learners every row would be a wall: the passed ones get one line.
            let passed: Vec<&str> = report
                .exercises
                .iter()
                .filter(|r| r.passed() && !r.tests_modified && r.message.is_empty())
                .map(|r| r.name.as_str())
                .collect();
            for r in &report.exercises {
                if passed.contains(&r.name.as_str()) {
                    continue;
                }
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
            h.push_str("</table>\n");
            if !passed.is_empty() {
                let _ = writeln!(h, "<p>Passed: {}</p>", esc(&passed.join(", ")));
            }
            h.push_str("</details>\n");
        }
    }
}

/// A horizontal bar chart: (label, share 0..=1, value text) per bar.
fn hbars(h: &mut String, id: &str, caption: &str, bars: &[(String, f64, String)]) {
    let (label_w, bar_w, row) = (170.0, 220.0, 16.0);
    let _ = write!(
        h,
        "<figure id=\"{id}\"><figcaption>{}</figcaption><svg role=\"img\" width=\"{:.0}\" height=\"{:.0}\">",
        esc(caption),
        label_w + bar_w + 130.0,
        row * bars.len() as f64 + 4.0
    );
    for (i, (label, share, value)) in bars.iter().enumerate() {
        let y = 2.0 + i as f64 * row;
        let colour = match share {
            s if *s >= 0.8 => "#66bb6a",
            s if *s >= 0.5 => "#ffa726",
            _ => "#ef5350",
        };
        let _ = write!(
            h,
            "<text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><rect x=\"{label_w}\" y=\"{y:.1}\" width=\"{bar_w}\" height=\"{:.0}\" fill=\"#eeeeee\"/><rect x=\"{label_w}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.0}\" fill=\"{colour}\"><title>{}: {}</title></rect><text x=\"{:.0}\" y=\"{:.1}\">{}</text>",
            label_w - 6.0,
            y + 11.0,
            esc(label),
            row - 3.0,
            bar_w * share.clamp(0.0, 1.0),
            row - 3.0,
            esc(label),
            esc(value),
            label_w + bar_w + 6.0,
            y + 11.0,
            esc(value),
        );
    }
    h.push_str("</svg></figure>\n");
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
