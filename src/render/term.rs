//! The terminal's verdicts, hints and lists, as `run`, `watch`, `hint` and `list` show them.
//! Colours only on a terminal and without `NO_COLOR` (console decides); the same text, plain,
//! when piped. Exercise paths are OSC 8 hyperlinks under the rule of [`hyperlinks`].

use std::path::Path;
use std::sync::OnceLock;

use std::collections::HashMap;

use console::{Term, style};

use super::clean;
use crate::course::{Course, Exercise};
use crate::progress::Progress;
use crate::report::{ExerciseResult, Status, TestResult, TestStatus};

/// Shown under a timed-out test: what usually hangs async code.
pub const TIMEOUT_ADVICE: &str = "\
In async code this usually means one of:
  - the runtime is blocked: `std::thread::sleep` or another blocking call inside async code
    (use `tokio::time::sleep`, or move blocking work to `tokio::task::spawn_blocking`);
  - a `std::sync::Mutex` guard is held across an `.await` (drop it first, or use `tokio::sync::Mutex`);
  - a channel's receiver waits for ever because a `Sender` (often the original `tx`) is never dropped;
  - `block_on` (or `futures::executor::block_on`) is called inside a runtime;
  - a loop that never reaches an `.await` (e.g. it ignores `Ok(0)`, end of file).";

/// Lines of a failing test's output shown in the terminal (the report keeps more).
const OUTPUT_LINES: usize = 30;
/// Compiler diagnostics shown: the first errors are the ones to fix.
const DIAGNOSTICS: usize = 4;

pub fn is_tty() -> bool {
    Term::stdout().is_term()
}

/// Whether exercise paths are printed as OSC 8 hyperlinks (README, "Terminal"). The rule:
/// `FORCE_HYPERLINK` decides when set (`0`: never, else always, even in a pipe); otherwise
/// only when standard output is a terminal that `supports-hyperlinks` knows shows them, and
/// `NO_COLOR` is not set (who asks for plain output gets plain text, not escape sequences).
pub fn hyperlinks() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        let forced = std::env::var_os("FORCE_HYPERLINK").is_some();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        supports_hyperlinks::on(supports_hyperlinks::Stream::Stdout) && (forced || !no_color)
    })
}

/// `rel` (a path relative to `root`) as the learner reads it, linked to the file when
/// [`hyperlinks`] allows.
pub fn path_link(root: &Path, rel: &Path) -> String {
    let shown = rel.display().to_string();
    if !hyperlinks() {
        return shown;
    }
    osc8(&file_url(&root.join(rel)), &shown)
}

/// An OSC 8 hyperlink: `shown`, linked to `url`.
fn osc8(url: &str, shown: &str) -> String {
    format!("\x1b]8;;{url}\x1b\\{shown}\x1b]8;;\x1b\\")
}

/// The verdict as `run` and `watch` show it: [`verdict`], with each `path:line:col` of the
/// exercise's file (rustc's `-->` lines, the first error, a failing assertion's `(at …)`)
/// linked to the file when [`hyperlinks`] allows.
pub fn verdict_linked(root: &Path, ex: &Exercise, r: &ExerciseResult) -> String {
    let text = verdict(ex, r);
    if !hyperlinks() {
        return text;
    }
    link_locations(
        &text,
        &ex.path.to_string_lossy(),
        &file_url(&root.join(&ex.path)),
    )
}

/// Every `rel` in `text`, with its `:line:col` (or `:line`), linked to `url`.
fn link_locations(text: &str, rel: &str, url: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(rel) {
        let mut end = i + rel.len();
        // Up to two `:digits` groups: the line, then the column.
        for _ in 0..2 {
            let digits = rest[end..]
                .strip_prefix(':')
                .map_or(0, |t| t.bytes().take_while(u8::is_ascii_digit).count());
            if digits == 0 {
                break;
            }
            end += 1 + digits;
        }
        out.push_str(&rest[..i]);
        out.push_str(&osc8(url, &rest[i..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// A `file://` URL of an absolute path, percent-encoding all but unreserved bytes and `/`.
fn file_url(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut url = String::from("file://");
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

/// `run --done`: each passed exercise re-checked, the ones that no longer pass named.
pub fn recheck(results: &[ExerciseResult]) -> String {
    let mut out = String::new();
    let mut broken = Vec::new();
    for r in results {
        if r.passed() {
            out.push_str(&format!(
                "  {} {} still passes\n",
                style("✓").green(),
                r.name
            ));
        } else {
            broken.push(r.name.as_str());
            out.push_str(&format!(
                "  {} {} no longer passes ({}): {}\n",
                style("✗").red().bold(),
                r.name,
                r.status,
                clean(r.message.lines().next().unwrap_or(""))
            ));
        }
    }
    if broken.is_empty() {
        out.push_str(&format!(
            "\nAll {} exercises you passed still pass.\n",
            results.len()
        ));
    } else {
        out.push_str(&format!(
            "\n{} of {} exercises you passed no longer pass: {}\nYour passes are kept; `cargo run -- run NAME` shows the full verdict.\n",
            broken.len(),
            results.len(),
            broken.join(", ")
        ));
    }
    out
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
    match r.status {
        Status::Error => format!(
            "{}{} `{}` doesn't compile yet. Fix the first error: {}\n",
            first_diagnostics(&r.compiler_output),
            style("✗").red().bold(),
            ex.name,
            clean(&r.message)
        ),
        Status::Pass => format!(
            "{} `{}` passes{}\n",
            style("✓").green().bold(),
            ex.name,
            match r.tests.len() {
                0 => String::new(),
                1 if r.tests[0].name == "main" => " (main exited with 0)".into(),
                n => format!(" ({n} tests)"),
            }
        ),
        Status::Fail | Status::Timeout => not_done(ex, r),
    }
}

/// A failing or timed-out exercise: each test's line, then what to do.
fn not_done(ex: &Exercise, r: &ExerciseResult) -> String {
    let mut out = String::new();
    if !r.compiler_output.is_empty() {
        // Warnings matter here: "futures do nothing unless you `.await`" is the clue.
        out.push_str(&first_diagnostics(&r.compiler_output));
    }
    for t in &r.tests {
        out.push_str(&test_line(t));
    }
    if r.tests.iter().any(|t| t.status == TestStatus::Timeout) {
        out.push_str(&format!("\n{}\n", style(TIMEOUT_ADVICE).yellow()));
    }
    if r.lint_failed {
        out.push_str(&format!(
            "{} {}\n",
            style("✗").red().bold(),
            clean(&r.message)
        ));
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
    out
}

fn test_line(t: &TestResult) -> String {
    match t.status {
        TestStatus::Pass => format!("  {} {}\n", style("✓").green(), t.name),
        TestStatus::Fail => format!(
            "  {} {} failed\n{}{}",
            style("✗").red().bold(),
            t.name,
            indent(&clean(&t.message), "      "),
            // The panic is the message already: show only what else was printed.
            test_output(&without_panic(&t.output))
        ),
        TestStatus::Timeout => format!(
            "  {} {} {}\n{}",
            style("⏱").yellow().bold(),
            t.name,
            clean(&t.message),
            test_output(&t.output)
        ),
    }
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
    let output = clean(output);
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

pub fn hint(ex: &Exercise, hinglish: bool, more: bool) -> String {
    // A missing Hinglish step falls back to the English one, saying so.
    let pick = |en: &str, hi: Option<&String>| match (hi, hinglish) {
        (Some(h), true) => format!("{h}\n"),
        (None, true) => {
            format!("{en}\n(no Hinglish text for this step yet; here is the English one)\n")
        }
        _ => format!("{en}\n"),
    };
    let mut out = pick(&ex.hint, ex.hint_hinglish.as_ref());
    if more {
        out.push_str("\nMore:\n");
        match &ex.hint_more {
            Some(en) => out.push_str(&pick(en, ex.hint_more_hinglish.as_ref())),
            None => out.push_str("(this exercise has no second hint step)\n"),
        }
    }
    out
}

/// Every exercise by section, with its status.
/// A section's directory as a learner reads it: "02_concurrency" → "02 · concurrency". The
/// number keeps the course's order visible; the rest reads as words.
pub fn section_title(dir: &str) -> String {
    match dir.split_once('_') {
        Some((num, rest))
            if !num.is_empty() && !rest.is_empty() && num.bytes().all(|b| b.is_ascii_digit()) =>
        {
            format!("{num} · {}", rest.replace('_', " "))
        }
        _ => dir.replace('_', " "),
    }
}

pub fn list(course: &Course, progress: &Progress) -> String {
    // (done, total) per section, counted once: a course whose sections alternate would
    // otherwise rescan every exercise at each header.
    let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
    for ex in &course.exercises {
        let c = counts.entry(ex.section()).or_default();
        c.0 += usize::from(progress.is_done(&ex.name));
        c.1 += 1;
    }
    let mut out = String::new();
    let mut section = None;
    for (i, ex) in course.exercises.iter().enumerate() {
        if section != Some(ex.section()) {
            section = Some(ex.section());
            let title = if ex.section().is_empty() {
                "(no section)".to_string()
            } else {
                section_title(ex.section())
            };
            let (done, total) = counts[ex.section()];
            out.push_str(&format!(
                "\n{} {}\n",
                style(title).bold(),
                style(format!("{done}/{total}")).dim()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_escape_what_a_url_cannot_hold() {
        assert_eq!(
            file_url(Path::new("/home/a b/ex%1/é.rs")),
            "file:///home/a%20b/ex%251/%C3%A9.rs"
        );
    }

    #[test]
    fn locations_of_the_exercise_are_linked_with_line_and_column() {
        let text = "--> ex/a.rs:2:7\nFix: ex/a.rs:2:7: error\n(at ex/a.rs:15:9)\nex/a.rs: x ex/a.rsx ex/b.rs:1:1";
        let linked = link_locations(text, "ex/a.rs", "U");
        let l = |s: &str| osc8("U", s);
        assert_eq!(
            linked,
            format!(
                "--> {}\nFix: {}: error\n(at {})\n{}: x {}x ex/b.rs:1:1",
                l("ex/a.rs:2:7"),
                l("ex/a.rs:2:7"),
                l("ex/a.rs:15:9"),
                l("ex/a.rs"),
                l("ex/a.rs")
            )
        );
        assert_eq!(console::strip_ansi_codes(&linked), text);
    }

    #[test]
    fn output_loses_the_panic_but_keeps_the_prints() {
        let out = "before\nthread 'tests::a' panicked at src/x.rs:1:1:\nassertion failed\n  left: 1\n\nafter";
        assert_eq!(without_panic(out), "before\n\nafter");
        assert_eq!(without_panic("thread 'x' panicked at a.rs:1:1:\nboom"), "");
    }
}
