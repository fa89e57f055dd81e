//! Terminal presentation of verdicts, lists and progress. Colours only on a terminal; the
//! same text, plain, when piped.

use console::{Term, style};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::course::{Course, Exercise};
use crate::progress::Progress;
use crate::report::{ExerciseResult, Report, Status, TestStatus};
use crate::verdict::TIMEOUT_ADVICE;

/// Lines of a failing test's output shown in the terminal (the report keeps more).
const OUTPUT_LINES: usize = 30;
/// Compiler diagnostics shown: the first errors are the ones to fix.
const DIAGNOSTICS: usize = 4;

pub fn is_tty() -> bool {
    Term::stdout().is_term()
}

/// Rustc's rendering keeps its colours on a terminal and loses them in a pipe.
fn ansi(text: &str) -> String {
    if console::colors_enabled() {
        text.to_string()
    } else {
        console::strip_ansi_codes(text).into_owned()
    }
}

/// The full verdict of one exercise, as `run` and `watch` show it.
pub fn verdict(ex: &Exercise, r: &ExerciseResult) -> String {
    let mut out = String::new();
    match r.status {
        Status::Error => {
            out.push_str(&first_diagnostics(&r.compiler_output));
            out.push_str(&format!(
                "{} `{}` doesn't compile yet. Fix the first error: {}\n",
                style("✗").red().bold(),
                ex.name,
                r.message
            ));
        }
        Status::Pass => {
            out.push_str(&format!(
                "{} `{}` passes{}\n",
                style("✓").green().bold(),
                ex.name,
                match r.tests.len() {
                    0 => String::new(),
                    1 if r.tests[0].name == "main" => " (main exited with 0)".into(),
                    n => format!(" ({n} tests)"),
                }
            ));
        }
        Status::Fail | Status::Timeout => {
            if !r.compiler_output.is_empty() {
                // Warnings matter here: "futures do nothing unless you `.await`" is the clue.
                out.push_str(&first_diagnostics(&r.compiler_output));
            }
            let mut timed_out = false;
            for t in &r.tests {
                match t.status {
                    TestStatus::Pass => {
                        out.push_str(&format!("  {} {}\n", style("✓").green(), t.name))
                    }
                    TestStatus::Fail => {
                        out.push_str(&format!(
                            "  {} {} failed\n",
                            style("✗").red().bold(),
                            t.name
                        ));
                        out.push_str(&indent(&t.message, "      "));
                        // The panic is the message already: show only what else was printed.
                        out.push_str(&test_output(&without_panic(&t.output)));
                    }
                    TestStatus::Timeout => {
                        timed_out = true;
                        out.push_str(&format!(
                            "  {} {} {}\n",
                            style("⏱").yellow().bold(),
                            t.name,
                            t.message
                        ));
                        out.push_str(&test_output(&t.output));
                    }
                }
            }
            if timed_out {
                out.push_str(&format!("\n{}\n", style(TIMEOUT_ADVICE).yellow()));
            }
            if r.message.starts_with("clippy") {
                out.push_str(&format!("{} {}\n", style("✗").red().bold(), r.message));
            }
            let passed = r
                .tests
                .iter()
                .filter(|t| t.status == TestStatus::Pass)
                .count();
            out.push_str(&format!(
                "\n{} `{}` is not done yet: {passed} of {} tests pass\n",
                style("✗").red().bold(),
                ex.name,
                r.tests.len()
            ));
        }
    }
    out
}

fn first_diagnostics(rendered: &str) -> String {
    // rustc renders each diagnostic as one block ending in a blank line.
    let blocks: Vec<&str> = rendered.split_inclusive("\n\n").collect();
    let mut out: String = blocks.iter().take(DIAGNOSTICS).copied().collect();
    if blocks.len() > DIAGNOSTICS {
        out.push_str(&format!(
            "({} more diagnostics not shown; fix the first ones first)\n\n",
            blocks.len() - DIAGNOSTICS
        ));
    }
    ansi(&out)
}

fn test_output(output: &str) -> String {
    if output.trim().is_empty() {
        return String::new();
    }
    let lines: Vec<&str> = output.lines().collect();
    let mut shown = lines[..lines.len().min(OUTPUT_LINES)].join("\n");
    if lines.len() > OUTPUT_LINES {
        shown.push_str(&format!("\n… ({} more lines)", lines.len() - OUTPUT_LINES));
    }
    format!(
        "      {}\n{}",
        style("output:").dim(),
        indent(&shown, "      │ ")
    )
}

/// The output minus the panic report (`thread '…' panicked at …` and its message lines).
fn without_panic(output: &str) -> String {
    let mut kept = Vec::new();
    let mut in_panic = false;
    for line in output.lines() {
        if line.starts_with("thread '") && line.contains("' panicked at ") {
            in_panic = true;
            continue;
        }
        if in_panic && !line.trim().is_empty() {
            continue;
        }
        in_panic = false;
        kept.push(line);
    }
    kept.join("\n")
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines().map(|l| format!("{prefix}{l}\n")).collect()
}

pub fn hint(ex: &Exercise, hinglish: bool) -> String {
    let text = match (&ex.hint_hinglish, hinglish) {
        (Some(h), true) => h.as_str(),
        (None, true) => {
            return format!(
                "{}\n(no Hinglish hint for this exercise yet; here is the English one)\n",
                ex.hint
            );
        }
        _ => ex.hint.as_str(),
    };
    format!("{text}\n")
}

/// One line per exercise of a report: status, name, (points,) the first line of its message.
pub fn report_lines(report: &Report, with_points: bool) -> String {
    let mut out = String::new();
    for e in &report.exercises {
        let mark = match e.status {
            Status::Pass => style("pass   ").green(),
            Status::Fail => style("fail   ").red(),
            Status::Error => style("error  ").red(),
            Status::Timeout => style("timeout").yellow(),
        };
        let points = if with_points {
            format!(" {}/{} ", e.points, e.max_points)
        } else {
            String::new()
        };
        let message = e.message.lines().next().unwrap_or("");
        out.push_str(&format!("{mark}  {:<32}{points} {message}\n", e.name));
    }
    out
}

/// Every exercise by section, with its status.
pub fn list(course: &Course, progress: &Progress) -> String {
    let mut out = String::new();
    let mut section = None;
    for (i, ex) in course.exercises.iter().enumerate() {
        if section != Some(ex.section()) {
            section = Some(ex.section());
            let title = if ex.section().is_empty() {
                "(no section)"
            } else {
                ex.section()
            };
            let in_section: Vec<&Exercise> = course
                .exercises
                .iter()
                .filter(|e| e.section() == ex.section())
                .collect();
            let done = in_section
                .iter()
                .filter(|e| progress.is_done(&e.name))
                .count();
            out.push_str(&format!(
                "\n{} {}\n",
                style(title).bold(),
                style(format!("{done}/{}", in_section.len())).dim()
            ));
        }
        let current = i == progress.current();
        let mark = if progress.is_done(&ex.name) {
            style("✓ done   ").green()
        } else {
            style("· pending").dim()
        };
        let attempts = match progress.entry(&ex.name).map_or(0, |e| e.attempts) {
            0 => String::new(),
            1 => "  (1 attempt)".to_string(),
            n => format!("  ({n} attempts)"),
        };
        let name = if current {
            style(format!("{}  ◀ current", ex.name)).cyan().bold()
        } else {
            style(ex.name.clone())
        };
        out.push_str(&format!("  {mark}  {name}{}\n", style(attempts).dim()));
    }
    out
}

/// An indicatif bar of done/total (drawn only on a terminal), else one plain line.
pub fn progress_bar(done: usize, total: usize) {
    if is_tty() {
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stdout());
        bar.set_style(
            ProgressStyle::with_template("Progress: [{bar:40.green/red}] {pos}/{len} exercises")
                .expect("valid template")
                .progress_chars("#>-"),
        );
        bar.set_position(done as u64);
        bar.abandon();
        // indicatif leaves the cursor at the end of the bar's line.
        println!();
    } else {
        println!(
            "Progress: {done}/{total} exercises ({}%)",
            (done * 100).checked_div(total).unwrap_or(0)
        );
    }
}

/// A spinner for long builds: silent when not on a terminal.
pub fn build_spinner(what: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("valid template"),
    );
    bar.set_message(what.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_loses_the_panic_but_keeps_the_prints() {
        let out = "before\nthread 'tests::a' panicked at src/x.rs:1:1:\nassertion failed\n  left: 1\n\nafter";
        assert_eq!(without_panic(out), "before\n\nafter");
        assert_eq!(without_panic("thread 'x' panicked at a.rs:1:1:\nboom"), "");
    }
}
