// trap-expect: fail
// Wrong fix for 09_real_world/tracing_spans: the learner finds `in_current_span()` next to
// `instrument` and attaches "the current span" to the job's future, but drops the line that made
// the job's span current. At the spawn, the current span is whatever the caller was in (here:
// none), so the job's events land in no span. `a_spawned_job_logs_inside_its_span` fails: "a
// spawned task does not run inside the span that was entered where `spawn` was called: the
// future itself has to carry its span".

// tracing_spans: put every log line of a request inside that request's span.
//
// A server handles many requests at once, so its log lines interleave. `tracing` groups them:
// a *span* is a named stretch of work with fields (`handle{id=7}`), and every *event*
// (`info!("...")`) records which spans it happened in. A subscriber (here, the tests' recorder)
// prints or stores both.
//
// Async code makes "which span am I in?" tricky. `span.enter()` marks the span as current *on
// this thread* until its guard is dropped. Across an `.await`, the function stops running but the
// guard lives on, so whatever the thread runs next (another request!) is logged inside the wrong
// span. A future needs a span that is entered each time it is polled and exited each time it
// yields, and a task you spawn does not inherit the span you are in when you spawn it.

use std::time::Duration;
use tokio::task::JoinHandle;
use tracing::{Instrument, info, instrument};

/// Handles one request: logs "start", waits for its I/O, logs "done", and answers `id * 2`.
/// All its events belong in a span `handle{id=..}`.
#[instrument]
pub async fn handle(id: u32) -> u32 {
    info!("start");
    tokio::time::sleep(Duration::from_millis(10 * u64::from(id))).await;
    info!("done");
    id * 2
}

/// Spawns a background job whose events belong in a span `job{name=..}`.
pub fn spawn_job(name: &'static str) -> JoinHandle<()> {
    let _span = tracing::info_span!("job", name);
    tokio::spawn(
        async move {
            info!("working");
            tokio::time::sleep(Duration::from_millis(5)).await;
            info!("finished");
        }
        .in_current_span(),
    )
}

#[tokio::main]
async fn main() {
    // No subscriber is installed here, so nothing is printed; the tests install a recorder.
    let (a, b) = tokio::join!(handle(1), handle(2));
    spawn_job("cleanup").await.expect("the job panicked");
    println!("answers: {a}, {b}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;
    use std::sync::{Arc, Mutex};
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id};
    use tracing::{Event, Subscriber};
    use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
    use tracing_subscriber::registry::LookupSpan;

    /// Renders fields as `a=1 b=x`, and keeps the event's message apart.
    #[derive(Default)]
    struct Fields {
        text: String,
        message: String,
    }

    impl Visit for Fields {
        fn record_str(&mut self, field: &Field, value: &str) {
            self.record_debug(field, &format_args!("{value}"));
        }
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            if field.name() == "message" {
                self.message = format!("{value:?}");
            } else {
                if !self.text.is_empty() {
                    self.text.push(' ');
                }
                let _ = write!(self.text, "{}={value:?}", field.name());
            }
        }
    }

    /// A test layer: records each event as `span{fields}:span{fields}: message`, outermost
    /// span first.
    #[derive(Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<String>>>);

    struct SpanText(String);

    impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Recorder {
        fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
            let mut fields = Fields::default();
            attrs.record(&mut fields);
            let span = ctx.span(id).expect("a new span is registered");
            let text = format!("{}{{{}}}", span.name(), fields.text);
            span.extensions_mut().insert(SpanText(text));
        }

        fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
            let mut fields = Fields::default();
            event.record(&mut fields);
            let mut line = String::new();
            if let Some(scope) = ctx.event_scope(event) {
                for span in scope.from_root() {
                    let ext = span.extensions();
                    let text = ext.get::<SpanText>().map_or("?", |t| t.0.as_str());
                    line.push_str(text);
                    line.push(':');
                }
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&fields.message);
            self.0.lock().unwrap().push(line);
        }
    }

    /// Runs `body` with the recorder as this thread's subscriber (the test runtime has one
    /// thread, so spawned tasks are recorded too) and returns the recorded lines.
    async fn record<F: std::future::Future>(body: F) -> (F::Output, Vec<String>) {
        let recorder = Recorder::default();
        let subscriber = tracing_subscriber::registry().with(recorder.clone());
        let _default = tracing::subscriber::set_default(subscriber);
        let out = body.await;
        let lines = recorder.0.lock().unwrap().clone();
        (out, lines)
    }

    #[tokio::test(start_paused = true)]
    async fn one_request_logs_inside_its_span() {
        let (answer, lines) = record(handle(3)).await;
        assert_eq!(answer, 6, "handle(3) answers 3 * 2");
        assert_eq!(
            lines,
            ["handle{id=3}: start", "handle{id=3}: done"],
            "both events of handle(3) belong in one span named `handle` with the field id=3"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn interleaved_requests_keep_their_own_spans() {
        let ((a, b), lines) = record(async { tokio::join!(handle(1), handle(2)) }).await;
        assert_eq!((a, b), (2, 4), "handle(1) and handle(2) answer 2 and 4");
        assert_eq!(
            lines,
            [
                "handle{id=1}: start",
                "handle{id=2}: start",
                "handle{id=1}: done",
                "handle{id=2}: done",
            ],
            "while handle(1) waits at `.await`, handle(2) runs on the same thread: a span \
             entered with `span.enter()` stays entered through that wait, so the other \
             request's events (and its span) end up nested inside it. Each event must be in \
             its own request's span, and only that one"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_spawned_job_logs_inside_its_span() {
        let (answer, lines) = record(async {
            let job = spawn_job("sync");
            // Let the job start, then handle a request while the job waits.
            tokio::task::yield_now().await;
            let answer = handle(1).await;
            job.await.expect("the job panicked");
            answer
        })
        .await;
        assert_eq!(answer, 2, "handle(1) answers 2");
        assert_eq!(
            lines,
            [
                "job{name=sync}: working",
                "handle{id=1}: start",
                "job{name=sync}: finished",
                "handle{id=1}: done",
            ],
            "a spawned task does not run inside the span that was entered where `spawn` was \
             called, and a span entered inside the task stays entered while the task waits, \
             swallowing whatever runs next: the job's future itself has to carry its span"
        );
    }
}
