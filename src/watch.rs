//! Watch mode: one event loop over file changes, keys, the running check and Ctrl-C.
//!
//! It watches the `exercises/` directory recursively (never single files: editors that save by
//! rename would silently end a file watch), debounces, and re-checks the current exercise; a
//! save during a run cancels the stale run (its process groups are killed) and starts again.
//! A replaced `exercises/` is watched anew; Ctrl-C, SIGTERM and SIGHUP all end it cleanly
//! (docs/reliability.md lists the tests). Where file-system events don't arrive it polls
//! instead (`fallback`); `--json` writes the status stream instead of the screen
//! (docs/status-stream.md); `--edit` opens each new current exercise in an editor (`editor`).

mod editor;
mod fallback;
mod keys;

use std::fmt::Display;
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
use crate::render::{status, term};
use crate::report::ExerciseResult;

/// Quiet time after the last file event before a check starts: editors write in bursts.
const DEBOUNCE: Duration = Duration::from_millis(50);
/// How often `--poll` looks at the files.
const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// How often watch mode looks whether `exercises/` was replaced by a new directory.
const REWATCH_INTERVAL: Duration = Duration::from_millis(500);
/// Test hook (not for learners): native file-system events are dropped as they arrive, as on a
/// WSL drive, so that the watchdog's real detection can be exercised on any machine.
const DROP_EVENTS_ENV: &str = "TOKIOLINGS_TEST_DROP_FS_EVENTS";

/// What the command line asked of watch mode.
pub struct Options {
    pub manual_next: bool,
    pub poll: bool,
    pub json: bool,
    pub edit: bool,
    pub edit_cmd: Option<String>,
}

/// Where watch mode writes: the screen, or (`--json`) the status stream alone.
struct Screen {
    tty: bool,
    json: bool,
}

impl Screen {
    /// Starts a new "page": a cleared screen on a terminal, a separator line in a pipe.
    fn page(&self) {
        if self.json {
            return;
        }
        if self.tty {
            let _ = console::Term::stdout().clear_screen();
        } else {
            println!("────────────────────────────────────────");
        }
    }

    /// A line for the learner (not in the status stream).
    fn say(&self, text: impl Display) {
        if !self.json {
            println!("{text}");
        }
    }

    /// Text that ends in its own newline.
    fn say_raw(&self, text: impl Display) {
        if !self.json {
            print!("{text}");
        }
    }

    /// A status-stream line, built only when it is written.
    fn emit(&self, line: impl FnOnce() -> String) {
        if self.json {
            println!("{}", line());
        }
    }
}

/// Which watcher an event comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    /// inotify (or the platform's equivalent).
    Native,
    /// `--poll`, or the fallback to it.
    Poll,
    /// The slow poller beside native events that notices when they don't arrive.
    Watchdog,
}

type FsEvent = (Source, notify::Result<notify::Event>);

/// A watcher of `source`'s kind on `dir`, sending to `tx`.
fn watch_dir(
    source: Source,
    tx: &mpsc::UnboundedSender<FsEvent>,
    dir: &Path,
) -> Result<Box<dyn Watcher + Send>> {
    let tx = tx.clone();
    let drop_events = source == Source::Native && std::env::var_os(DROP_EVENTS_ENV).is_some();
    let handler = move |ev: notify::Result<notify::Event>| {
        if !(drop_events && ev.is_ok()) {
            let _ = tx.send((source, ev));
        }
    };
    let mut watcher: Box<dyn Watcher + Send> = match source {
        Source::Native => Box::new(
            notify::recommended_watcher(handler).context("failed to start the file watcher")?,
        ),
        Source::Poll | Source::Watchdog => {
            let every = if source == Source::Poll {
                POLL_INTERVAL
            } else {
                fallback::WATCHDOG_INTERVAL
            };
            // notify's poller compares modification times in whole seconds: without the
            // contents, a save in the same second as the last one (or as the poller's first look)
            // is never seen. The exercises are a few dozen small files.
            let config = notify::Config::default()
                .with_poll_interval(every)
                .with_compare_contents(true);
            Box::new(notify::PollWatcher::new(handler, config).context("failed to start polling")?)
        }
    };
    watcher
        .watch(dir, RecursiveMode::Recursive)
        .with_context(|| format!("failed to watch {}", dir.display()))?;
    Ok(watcher)
}

/// How changes are noticed, and the switch to polling when events don't arrive.
struct Watching {
    dir: std::path::PathBuf,
    tx: mpsc::UnboundedSender<FsEvent>,
    watcher: Box<dyn Watcher + Send>,
    watchdog: Option<Box<dyn Watcher + Send>>,
    dog: fallback::Watchdog,
    polling: bool,
}

impl Watching {
    /// Native events where they can work, else polling; the note says why it polls.
    fn start(
        dir: &Path,
        tx: mpsc::UnboundedSender<FsEvent>,
        poll: bool,
    ) -> Result<(Self, Option<String>)> {
        let mut note = None;
        let native = if poll {
            None
        } else if let Some(why) = fallback::blind_spot(dir) {
            note = Some(format!(
                "{why}; so watch mode polls for changes instead (as `--poll` does)."
            ));
            None
        } else {
            match watch_dir(Source::Native, &tx, dir) {
                Ok(w) => Some(w),
                Err(e) => {
                    note = Some(format!(
                        "{e:#}; so watch mode polls for changes instead (as `--poll` does)."
                    ));
                    None
                }
            }
        };
        let polling = native.is_none();
        let watcher = match native {
            Some(w) => w,
            None => watch_dir(Source::Poll, &tx, dir)?,
        };
        // Without the watchdog, watch mode still works where events do.
        let watchdog = (!polling)
            .then(|| watch_dir(Source::Watchdog, &tx, dir).ok())
            .flatten();
        Ok((
            Self {
                dir: dir.to_path_buf(),
                tx,
                watcher,
                watchdog,
                dog: Default::default(),
                polling,
            },
            note,
        ))
    }

    /// Replaces native events by polling; the returned sentence says so.
    fn switch_to_polling(&mut self, why: &str) -> Result<String> {
        self.watcher = watch_dir(Source::Poll, &self.tx, &self.dir)?;
        self.watchdog = None;
        self.polling = true;
        Ok(format!(
            "{why}; watch mode switched to polling for changes (as `--poll` does). Next time, start it with `--poll`."
        ))
    }

    /// `exercises/` was replaced: watch the new directory.
    fn rewatch(&mut self) -> bool {
        let _ = self.watcher.unwatch(&self.dir);
        if self
            .watcher
            .watch(&self.dir, RecursiveMode::Recursive)
            .is_err()
        {
            return false;
        }
        // A fresh watchdog: saves in the new directory came before any event could.
        if self.watchdog.is_some() {
            self.watchdog = watch_dir(Source::Watchdog, &self.tx, &self.dir).ok();
            self.dog = Default::default();
        }
        true
    }
}

pub async fn watch(app: &mut App, opts: Options) -> Result<u8> {
    let screen = Screen {
        tty: term::is_tty(),
        json: opts.json,
    };
    let exercises_dir = app.course.root.join("exercises");
    let (fs_tx, mut fs_rx) = mpsc::unbounded_channel();
    let (mut watching, note) = Watching::start(&exercises_dir, fs_tx, opts.poll)?;
    screen.emit(|| status::watching(&app.course, watching.polling));
    let mut notes: Vec<String> = Vec::new();
    if let Some(note) = note {
        screen.emit(|| status::notice("polling", &note));
        notes.push(note);
    }
    let editor = if opts.edit || opts.edit_cmd.is_some() {
        match editor::choose(opts.edit_cmd.as_deref(), |k| std::env::var(k).ok()) {
            Ok(e) => Some(e),
            Err(why) => {
                screen.emit(|| status::notice("editor", &why));
                notes.push(why);
                None
            }
        }
    } else {
        None
    };
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
        notes,
        others: Default::default(),
        others_due: None,
        editor,
        announced: None,
    };
    state.start(app, &screen)?;

    loop {
        let current = app.course.root.join(&app.current().path);
        let missed_due = watching.dog.deadline().filter(|_| !watching.polling);
        tokio::select! {
            ev = fs_rx.recv() => {
                let Some((source, ev)) = ev else { break };
                let now = Instant::now();
                match (source, ev) {
                    (Source::Watchdog, Ok(ev)) => {
                        if is_write(&ev.kind) {
                            for p in ev.paths.iter().filter(|p| p.is_file()) {
                                watching.dog.polled(p, now);
                            }
                        }
                    }
                    // The watchdog's own trouble is not the learner's.
                    (Source::Watchdog, Err(_)) => {}
                    (source, Ok(ev)) => {
                        if source == Source::Native {
                            for p in &ev.paths {
                                watching.dog.event(p, now);
                            }
                        }
                        state.file_event(app, &ev, &current);
                    }
                    (Source::Native, Err(e)) => {
                        let why = format!("The file watcher reported an error ({e})");
                        state.fall_back(&mut watching, &screen, &why)?;
                    }
                    (Source::Poll, Err(e)) => {
                        let message = format!("File watcher error: {e}. Press `r` to re-run by hand.");
                        screen.emit(|| status::notice("watch_error", &message));
                        screen.say(message);
                    }
                }
            }
            _ = sleep_until(missed_due), if missed_due.is_some() => {
                if let Some(path) = watching.dog.missed(Instant::now()) {
                    let why = format!(
                        "No file-system event came for a save of {} that watch mode's poller saw: events don't arrive here (a WSL drive, a network or container mount?)",
                        relative_to(&path, &app.course.root).display()
                    );
                    state.fall_back(&mut watching, &screen, &why)?;
                }
            }
            _ = sleep_until(state.debounce), if state.debounce.is_some() => {
                state.debounce = None;
                if current.exists() {
                    state.start(app, &screen)?;
                } else {
                    screen.say(format_args!("{} is gone; waiting for it to be saved again…", relative_to(&current, &app.course.root).display()));
                }
            }
            _ = sleep_until(state.others_due), if state.others_due.is_some() => {
                state.others_due = None;
                state.note_others(&screen);
            }
            done = join(&mut state.running), if state.running.is_some() => {
                state.running = None;
                if let Some(code) = state.finished(app, &screen, done, opts.manual_next)? {
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
                    watched = None;
                    if now.is_some() && watching.rewatch() {
                        watched = now;
                        screen.say(format_args!("{} was replaced; watching the new one.", relative_to(&exercises_dir, &app.course.root).display()));
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
    screen.emit(status::stopped);
    screen.say("Bye! Your progress is saved; `cargo run -- watch` picks up where you left off.");
    Ok(exit::OK)
}

struct State {
    running: Option<JoinHandle<Result<ExerciseResult>>>,
    debounce: Option<Instant>,
    /// How many hint steps the learner has asked for (0, 1 or 2).
    hint_step: u8,
    last_passed: bool,
    welcome: Option<String>,
    /// What the learner should read under the next page (a switch to polling, say).
    notes: Vec<String>,
    /// Other exercises saved in the current burst of file events, and when to note them.
    others: std::collections::BTreeSet<String>,
    others_due: Option<Instant>,
    editor: Option<editor::Editor>,
    /// The exercise last announced (status stream, editor): a new one is announced once.
    announced: Option<String>,
}

impl State {
    /// Cancels a stale run (dropping it kills its process groups) and checks the current
    /// exercise afresh.
    fn start(&mut self, app: &mut App, screen: &Screen) -> Result<()> {
        self.stop();
        let ex = app.current().clone();
        screen.page();
        if let Some(welcome) = self.welcome.take() {
            screen.say(format_args!("{}\n", welcome.trim_end()));
        }
        for note in std::mem::take(&mut self.notes) {
            screen.say(format_args!(
                "{} {note}\n",
                console::style("note:").yellow().bold()
            ));
        }
        if self.announced.as_deref() != Some(ex.name.as_str()) {
            self.announced = Some(ex.name.clone());
            screen.emit(|| status::exercise(&app.course, &ex));
            if let Some(editor) = &self.editor
                && let Err(e) = editor.open(&app.course.root.join(&ex.path))
            {
                let message = format!("{e:#}");
                screen.emit(|| status::notice("editor", &message));
                screen.say(format_args!(
                    "{} {message}",
                    console::style("note:").yellow().bold()
                ));
            }
        }
        screen.emit(|| status::check_started(&ex));
        screen.say(format_args!("Checking {}…", ex.name));
        let target = Target::exercise(&app.course, &ex);
        let checker = app.checker()?.clone();
        let quiet = screen.json;
        self.running = Some(tokio::spawn(async move {
            let spinner = if quiet {
                Spinner::silent(&target.bin)
            } else {
                Spinner::checking(&target.bin)
            };
            checker.check(&target, &spinner).await
        }));
        Ok(())
    }

    fn stop(&mut self) {
        if let Some(run) = self.running.take() {
            run.abort();
        }
    }

    /// Events don't work here: poll from now on, say so, and check again (a save may have
    /// been missed).
    fn fall_back(&mut self, watching: &mut Watching, screen: &Screen, why: &str) -> Result<()> {
        if watching.polling {
            return Ok(());
        }
        let note = watching.switch_to_polling(why)?;
        screen.emit(|| status::notice("polling", &note));
        self.notes.push(note);
        self.debounce = Some(Instant::now() + DEBOUNCE);
        Ok(())
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
    fn note_others(&mut self, screen: &Screen) {
        let names: Vec<String> = std::mem::take(&mut self.others).into_iter().collect();
        if !names.is_empty() {
            screen.emit(|| status::saved_others(&names));
            screen.say(format_args!(
                "Saved {} (not the current exercise, so not checked). Press `l` to list exercises.",
                names.join(", ")
            ));
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
                let message = format!("{e:#}");
                screen.emit(|| status::check_error(&ex, &message));
                screen.say(format_args!(
                    "{} {message}\nSave again or press `r` to retry.",
                    console::style("error:").red().bold()
                ));
                return Ok(None);
            }
        };
        app.record(std::slice::from_ref(&result))?;
        self.last_passed = result.passed();
        screen.emit(|| status::verdict(&result));
        screen.say_raw(term::verdict_linked(&app.course.root, &ex, &result));
        if !result.passed() || manual_next {
            emit_progress(app, screen);
        }
        if !result.passed() {
            if self.hint_step > 0 {
                screen.say(format_args!(
                    "\nHint:\n{}",
                    term::hint(&ex, false, self.hint_step > 1)
                ));
            }
            self.footer(app, screen, false);
            return Ok(None);
        }
        screen.say(format_args!(
            "Solution for comparison: {}",
            term::path_link(&app.course.root, &ex.sol_path)
        ));
        if manual_next {
            self.footer(app, screen, true);
            return Ok(None);
        }
        self.advance(app, screen)
    }

    /// Moves to the next pending exercise and checks it; `Some(0)` when all are done.
    fn advance(&mut self, app: &mut App, screen: &Screen) -> Result<Option<u8>> {
        let next = app.advance(app.progress.current())?;
        emit_progress(app, screen);
        match next {
            Next::Exercise(next) => {
                self.hint_step = 0;
                screen.say(format_args!(
                    "\nNext exercise: {}",
                    term::path_link(&app.course.root, &next.path)
                ));
                self.start(app, screen)?;
                Ok(None)
            }
            Next::AllDone(message) => {
                screen.emit(|| status::all_done(&message));
                screen.say(format_args!("\n{}", message.trim_end()));
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
                screen.say(format_args!(
                    "\nHint for {}:\n{}",
                    ex.name,
                    term::hint(&ex, false, more)
                ));
                if !more && ex.hint_more.is_some() {
                    screen.say("(Press `h` again for a hint that names the API.)");
                }
                if ex.hint_hinglish.is_some() {
                    screen.say("(Press `H` for the same hint in Hinglish.)");
                }
            }
            'H' => {
                self.hint_step = self.hint_step.max(1);
                screen.say(format_args!(
                    "\nHint for {} (Hinglish):\n{}",
                    ex.name,
                    term::hint(&ex, true, self.hint_step > 1)
                ))
            }
            'n' if self.last_passed && self.running.is_none() => {
                self.advance(app, screen)?;
            }
            'n' => screen.say(format_args!(
                "`{}` isn't done yet: it has to pass before `n` moves on.",
                ex.name
            )),
            'r' => self.start(app, screen)?,
            'l' => {
                screen.say_raw(term::list(&app.course, &app.progress));
                self.footer(app, screen, self.last_passed);
            }
            '\n' | '\r' | ' ' => {}
            other => screen.say(format_args!("Unknown key {other:?}. {}", KEYS)),
        }
        Ok(())
    }

    fn footer(&self, app: &App, screen: &Screen, passed: bool) {
        if screen.json {
            return;
        }
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

/// The progress event, after each verdict (and after the move that follows a pass).
fn emit_progress(app: &App, screen: &Screen) {
    screen.emit(|| {
        status::progress(
            app.progress.done_count(),
            app.progress.total(),
            &app.current().name,
        )
    });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_poller_sees_a_save_that_keeps_the_modification_second() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.rs");
        std::fs::write(&file, "fn main() {}\n").unwrap();
        let old = std::fs::metadata(&file).unwrap().modified().unwrap();
        // Later, but in the same whole second: notify's poller compares seconds.
        let since = old.duration_since(std::time::UNIX_EPOCH).unwrap();
        let later = std::time::UNIX_EPOCH + Duration::new(since.as_secs(), 999_999_999);
        let (tx, mut rx) = mpsc::unbounded_channel();
        let _watcher = watch_dir(Source::Poll, &tx, dir.path()).unwrap();
        std::fs::write(&file, "fn main() { println!(\"changed\"); }\n").unwrap();
        let f = std::fs::File::options().write(true).open(&file).unwrap();
        f.set_modified(later).unwrap();
        drop(f);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let mut seen = false;
        while std::time::Instant::now() < deadline && !seen {
            while let Ok((_, ev)) = rx.try_recv() {
                seen |= ev.is_ok_and(|e| e.paths.contains(&file) && is_write(&e.kind));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(seen, "a save in the same second as the last was not seen");
    }
}
