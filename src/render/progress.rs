//! Progress on the terminal (indicatif): the bars and spinners that draw the checker's
//! [`Events`], and the learner's done/total line. Nothing is drawn when stderr (or, for the
//! done/total line, stdout) is not a terminal.

use std::time::Duration;

use console::Term;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::checker::Events;
use crate::report::ExerciseResult;

const TICK: Duration = Duration::from_millis(120);

fn stderr_target() -> ProgressDrawTarget {
    if Term::stderr().is_term() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

/// A bar over many exercises (`check-all`, `grade`): one step per judged exercise.
pub struct ExerciseBar {
    bar: ProgressBar,
}

impl ExerciseBar {
    pub fn new(len: usize, visible: bool) -> Self {
        let draw = if visible {
            stderr_target()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(len as u64), draw);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{bar:40.cyan/blue}] {pos}/{len} {msg} [{elapsed}]",
            )
            .expect("valid template")
            .progress_chars("#>-"),
        );
        bar.set_message("building…");
        bar.enable_steady_tick(TICK);
        Self { bar }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Events for ExerciseBar {
    fn compiled(&self, krate: &str) {
        self.bar.set_message(format!("compiling {krate}"));
    }

    fn judged(&self, r: &ExerciseResult) {
        self.bar.inc(1);
        self.bar.set_message(format!("{} {}", r.name, r.status));
    }

    fn skipped(&self, _r: &ExerciseResult) {
        self.bar.inc(1);
    }
}

/// A spinner while one exercise is checked (`run`, `watch`); without a terminal, one plain
/// line when dependencies are compiled (the first build is slow, and silence looks like a hang).
pub struct Spinner {
    bar: ProgressBar,
    name: String,
    plain: bool,
    told: std::sync::atomic::AtomicBool,
}

impl Spinner {
    pub fn checking(name: &str) -> Self {
        Self::new(name, true)
    }

    /// Draws and says nothing (`watch --json`: the status stream is the only output).
    pub fn silent(name: &str) -> Self {
        Self::new(name, false)
    }

    fn new(name: &str, visible: bool) -> Self {
        let plain = visible && !Term::stderr().is_term();
        let draw = if visible {
            stderr_target()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, draw);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("valid template"),
        );
        bar.set_message(format!("Checking {name}…"));
        bar.enable_steady_tick(TICK);
        Self {
            bar,
            name: name.to_string(),
            plain,
            told: Default::default(),
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

impl Events for Spinner {
    fn compiled(&self, krate: &str) {
        if krate == self.name {
            return;
        }
        if self.plain {
            if !self.told.swap(true, std::sync::atomic::Ordering::Relaxed) {
                println!("Compiling dependencies (only the first build is slow)…");
            }
        } else {
            self.bar.set_message(format!(
                "Checking {}… compiling dependencies (only the first build is slow): {krate}",
                self.name
            ));
        }
    }
}

/// The learner's progress: an indicatif bar of done/total on a terminal, else one plain line.
pub fn done_line(done: usize, total: usize) {
    if Term::stdout().is_term() {
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
