//! All presentation: what a person or another tool reads. Renderers take the result model
//! (`report`) and never feed back into the core; the core never imports this module.
//!
//! `term` (verdicts, hints, lists, links), `listing` (`list --format json`), `status` (`watch --json`), `summary` (report lines, score, sandbox facts), `junit`, `gradescope`,
//! `csv`, `html`, and `progress` (the indicatif bars behind the checker's `Events`).

pub mod csv;
pub mod gradescope;
pub mod html;
pub mod junit;
pub mod listing;
pub mod progress;
pub mod status;
pub mod summary;
pub mod term;

#[cfg(test)]
mod snapshot_tests;

/// A string a learner's code may have produced (a panic message, printed output), made safe to
/// show: ANSI escape sequences and C0/C1 control characters (other than newline and tab) are
/// removed, so a message can't redraw the screen, set the clipboard (OSC 52) or hide a line.
pub fn clean(s: &str) -> String {
    let stripped = console::strip_ansi_codes(s);
    stripped
        .chars()
        .filter(|&c| c == '\n' || c == '\t' || !(c.is_control()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_removes_escapes_and_controls_but_keeps_text() {
        let hostile =
            "ok\u{1b}[2K\r\u{1b}[32mpass\u{1b}[0m\u{1b}]52;c;aGk=\u{7}\u{0}\u{b}\u{85}é\tx\ny";
        assert_eq!(clean(hostile), "okpassé\tx\ny");
    }
}
