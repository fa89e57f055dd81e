//! Watch mode: one event loop over file changes, keys, the running check and Ctrl-C.
//!
//! It watches the `exercises/` directory recursively (never single files: editors that save by
//! rename would silently end a file watch), debounces, and re-checks the current exercise; a
//! save during a run cancels the stale run (its process groups are killed) and starts again.
//! A replaced `exercises/` is watched anew; Ctrl-C, SIGTERM and SIGHUP all end it cleanly
//! (docs/reliability.md lists the tests).

mod keys;

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{RecursiveMode, Watcher};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::app::{App, Next};
use crate::checker::Target;
use crate::exit;
use crate::fsutil::relative_to;
use crate::render::progress::{self, Spinner};
use crate::render::term;
use crate::report::ExerciseResult;

/// Quiet time after the last file event before a check starts: editors write in bursts.
const DEBOUNCE: Duration = Duration::from_millis(50);
/// How often `--poll` looks at the files.
const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// How often watch mode looks whether `exercises/` was replaced by a new directory.
const REWATCH_INTERVAL: Duration = Duration::from_millis(500);

struct Screen {
    tty: bool,
}

impl Screen {
    /// Starts a new "page": a cleared screen on a terminal, a separator line in a pipe.
    fn page(&self) {
        if self.tty {
            let _ = console::Term::stdout().clear_screen();
        } else {
            println!("────────────────────────────────────────");
        }
    }
}

pub async fn watch(app: &mut App, manual_next: bool, poll: bool) -> Result<u8> {
    let screen = Screen {
        tty: term::is_tty(),
    };
    let exercises_dir = app.course.root.join("exercises");
    let (fs_tx, mut fs_rx) = mpsc::unbounded_channel();
    let handler = move |ev: notify::Result<notify::Event>| {
        let _ = fs_tx.send(ev);
    };
    let mut watcher: Box<dyn Watcher + Send> = if poll {
        let config = notify::Config::default().with_poll_interval(POLL_INTERVAL);
        Box::new(notify::PollWatcher::new(handler, config).context("failed to start polling")?)
    } else {
        Box::new(notify::recommended_watcher(handler).context(
            "failed to start the file watcher\n(hint: `cargo run -- watch --poll` polls for changes instead)",
        )?)
    };
    watcher
        .watch(&exercises_dir, RecursiveMode::Recursive)
        .with_context(|| format!("failed to watch {}", exercises_dir.display()))?;
    // Which directory the watch is on: a `git checkout` or a script may delete `exercises/` and
    // create a new one, and a watch never follows to the new directory by itself.
    let mut watched = dir_id(&exercises_dir);
    let mut rewatch = tokio::time::interval(REWATCH_INTERVAL);
    rewatch.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // SIGTERM (`kill`, a closing IDE) and SIGHUP (a closed terminal) end watch mode like Ctrl-C:
    // the running check's processes are killed and the terminal's settings restored.
    let mut sigterm = signal(SignalKind::terminate()).context("failed to handle SIGTERM")?;
    let mut sighup = signal(SignalKind::hangup()).context("failed to handle SIGHUP")?;
    let (_terminal, mut key_rx) = keys::listen()?;

    let mut state = State {
        running: None,
        debounce: None,
        hint_step: 0,
        last_passed: false,
        // Shown under the first "Checking…", which clears the screen on a terminal.
        welcome: app
            .progress
            .is_new
            .then(|| app.course.welcome_message.clone())
            .flatten(),
        others: Default::default(),
        others_due: None,
    };
    state.start(app, &screen)?;

    loop {
        let current = app.course.root.join(&app.current().path);
        tokio::select! {
            ev = fs_rx.recv() => {
                let Some(ev) = ev else { break };
                match ev {
                    Ok(ev) => state.file_event(app, &ev, &current),
                    Err(e) => println!("File watcher error: {e}. Press `r` to re-run by hand, or restart with `--poll`."),
                }
            }
            _ = sleep_until(state.debounce), if state.debounce.is_some() => {
                state.debounce = None;
                if current.exists() {
                    state.start(app, &screen)?;
                } else {
                    println!("{} is gone; waiting for it to be saved again…", relative_to(&current, &app.course.root).display());
                }
            }
            _ = sleep_until(state.others_due), if state.others_due.is_some() => {
                state.others_due = None;
                state.note_others();
            }
            done = join(&mut state.running), if state.running.is_some() => {
                state.running = None;
                if let Some(code) = state.finished(app, &screen, done, manual_next)? {
                    return Ok(code);
                }
            }
            key = key_rx.recv() => {
                match key {
                    Some('q') => break,
                    Some(k) => state.key(app, &screen, k)?,
                    // Standard input closed: keep watching files; only Ctrl-C or `q` quit.
                    None => key_rx = mpsc::unbounded_channel().1,
                }
            }
            _ = rewatch.tick() => {
                let now = dir_id(&exercises_dir);
                if now != watched {
                    let _ = watcher.unwatch(&exercises_dir);
                    watched = None;
                    if now.is_some() && watcher.watch(&exercises_dir, RecursiveMode::Recursive).is_ok() {
                        watched = now;
                        println!("{} was replaced; watching the new one.", relative_to(&exercises_dir, &app.course.root).display());
                        // Saves made before the new watch began were not seen: check afresh.
                        state.debounce = Some(Instant::now() + DEBOUNCE);
                    }
                }
            }
            _ = tokio::signal::ctrl_c() => break,
            _ = sigterm.recv() => break,
            _ = sighup.recv() => break,
        }
    }
    state.stop();
    println!("Bye! Your progress is saved; `cargo run -- watch` picks up where you left off.");
    Ok(exit::OK)
}

struct State {
    running: Option<JoinHandle<Result<ExerciseResult>>>,
    debounce: Option<Instant>,
    /// How many hint steps the learner has asked for (0, 1 or 2).
    hint_step: u8,
    last_passed: bool,
    welcome: Option<String>,
    /// Other exercises saved in the current burst of file events, and when to note them.
    others: std::collections::BTreeSet<String>,
    others_due: Option<Instant>,
}

impl State {
    /// Cancels a stale run (dropping it kills its process groups) and checks the current
    /// exercise afresh.
    fn start(&mut self, app: &mut App, screen: &Screen) -> Result<()> {
        self.stop();
        let ex = app.current().clone();
        screen.page();
        if let Some(welcome) = self.welcome.take() {
            println!("{}\n", welcome.trim_end());
        }
        println!("Checking {}…", ex.name);
        let target = Target::exercise(&app.course, &ex);
        let checker = app.checker()?.clone();
        self.running = Some(tokio::spawn(async move {
            let spinner = Spinner::checking(&target.bin);
            checker.check(&target, &spinner).await
        }));
        Ok(())
    }

    fn stop(&mut self) {
        if let Some(run) = self.running.take() {
            run.abort();
        }
    }

    fn file_event(&mut self, app: &App, ev: &notify::Event, current: &Path) {
        if !is_write(&ev.kind) {
            return;
        }
        if ev.paths.iter().any(|p| p == current) {
            self.debounce = Some(Instant::now() + DEBOUNCE);
            return;
        }
        if matches!(ev.kind, EventKind::Remove(_)) {
            // A deleted file of another exercise was not "saved".
            return;
        }
        for p in &ev.paths {
            if let Some(other) = app
                .course
                .exercises
                .iter()
                .find(|e| app.course.root.join(&e.path) == *p)
            {
                // Noted once the burst is over: a `git checkout` is one line, not hundreds.
                self.others.insert(other.name.clone());
                self.others_due = Some(Instant::now() + DEBOUNCE);
            }
        }
    }

    /// Notes the other exercises saved in the last burst.
    fn note_others(&mut self) {
        let names: Vec<String> = std::mem::take(&mut self.others).into_iter().collect();
        if !names.is_empty() {
            println!(
                "Saved {} (not the current exercise, so not checked). Press `l` to list exercises.",
                names.join(", ")
            );
        }
    }

    /// Shows a finished check; `Some(code)` ends watch mode.
    fn finished(
        &mut self,
        app: &mut App,
        screen: &Screen,
        result: Result<ExerciseResult>,
        manual_next: bool,
    ) -> Result<Option<u8>> {
        let ex = app.current().clone();
        let result = match result {
            Ok(r) => r,
            Err(e) => {
                println!(
                    "{} {e:#}\nSave again or press `r` to retry.",
                    console::style("error:").red().bold()
                );
                return Ok(None);
            }
        };
        app.record(std::slice::from_ref(&result))?;
        self.last_passed = result.passed();
        print!("{}", term::verdict(&ex, &result));
        if !result.passed() {
            if self.hint_step > 0 {
                println!("\nHint:\n{}", term::hint(&ex, false, self.hint_step > 1));
            }
            self.footer(app, false);
            return Ok(None);
        }
        println!("Solution for comparison: {}", ex.sol_path.display());
        if manual_next {
            self.footer(app, true);
            return Ok(None);
        }
        self.advance(app, screen)
    }

    /// Moves to the next pending exercise and checks it; `Some(0)` when all are done.
    fn advance(&mut self, app: &mut App, screen: &Screen) -> Result<Option<u8>> {
        match app.advance(app.progress.current())? {
            Next::Exercise(next) => {
                self.hint_step = 0;
                println!(
                    "\nNext exercise: {}",
                    term::path_link(&app.course.root, &next.path)
                );
                self.start(app, screen)?;
                Ok(None)
            }
            Next::AllDone(message) => {
                println!("\n{}", message.trim_end());
                Ok(Some(exit::OK))
            }
        }
    }

    fn key(&mut self, app: &mut App, screen: &Screen, key: char) -> Result<()> {
        let ex = app.current().clone();
        match key {
            'h' => {
                // A second `h` adds the step that names the API.
                self.hint_step = (self.hint_step + 1).min(2);
                let more = self.hint_step > 1;
                println!("\nHint for {}:\n{}", ex.name, term::hint(&ex, false, more));
                if !more && ex.hint_more.is_some() {
                    println!("(Press `h` again for a hint that names the API.)");
                }
                if ex.hint_hinglish.is_some() {
                    println!("(Press `H` for the same hint in Hinglish.)");
                }
            }
            'H' => {
                self.hint_step = self.hint_step.max(1);
                println!(
                    "\nHint for {} (Hinglish):\n{}",
                    ex.name,
                    term::hint(&ex, true, self.hint_step > 1)
                )
            }
            'n' if self.last_passed && self.running.is_none() => {
                self.advance(app, screen)?;
            }
            'n' => println!(
                "`{}` isn't done yet: it has to pass before `n` moves on.",
                ex.name
            ),
            'r' => self.start(app, screen)?,
            'l' => {
                print!("{}", term::list(&app.course, &app.progress));
                self.footer(app, self.last_passed);
            }
            '\n' | '\r' | ' ' => {}
            other => println!("Unknown key {other:?}. {}", KEYS),
        }
        Ok(())
    }

    fn footer(&self, app: &App, passed: bool) {
        let ex = app.current();
        println!();
        progress::done_line(app.progress.done_count(), app.progress.total());
        println!(
            "Current exercise: {}",
            term::path_link(&app.course.root, &ex.path)
        );
        if passed {
            println!("Press `n` for the next exercise. {KEYS}");
        } else {
            println!("Edit and save the file to check it again. {KEYS}");
        }
    }
}

const KEYS: &str = "Keys: h hint (H: Hinglish) · n next · r re-run · l list · q quit";

/// Which notify events can mean "the file has new content". Matched without a catch-all so
/// that a new event kind is a compile error, not a silently missed save.
fn is_write(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) => true,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Any | EventKind::Other => true,
    }
}

/// The identity of a directory (device and inode), `None` when it is gone.
fn dir_id(dir: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(dir)
        .ok()
        .filter(|m| m.is_dir())
        .map(|m| (m.dev(), m.ino()))
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

async fn join(run: &mut Option<JoinHandle<Result<ExerciseResult>>>) -> Result<ExerciseResult> {
    match run {
        Some(handle) => handle.await.context("the check task failed")?,
        None => std::future::pending().await,
    }
}
