// channel_stream_ends: a channel receiver as a Stream, and when that stream ends.
//
// `tokio_stream::wrappers` turns Tokio types into streams: `ReceiverStream` wraps an
// `mpsc::Receiver`, `IntervalStream` wraps an `Interval`. Then every `StreamExt` method works
// on them, like `.collect().await`.
//
// A channel stream yields `None` (ends) only when EVERY `Sender` is gone: the ones you cloned
// and the original. While any sender is alive, the receiver has to assume more may come, and
// `.collect()` waits forever.
//
// Both functions below hang. Fix the TODOs so that their streams end when the producers are done.

use std::time::Duration;
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::{IntervalStream, ReceiverStream};

/// Sends 0, 1, 2, ... (`count` numbers), one per tick of `every`, and collects them.
pub async fn collect_ticks(count: usize, every: Duration) -> Vec<usize> {
    let (tx, rx) = mpsc::channel(8);
    // TODO: the producer needs the only sender, not a clone.
    let producer = tx.clone();
    tokio::spawn(async move {
        let mut ticks = IntervalStream::new(tokio::time::interval(every)).take(count);
        let mut n = 0;
        while ticks.next().await.is_some() {
            if producer.send(n).await.is_err() {
                return; // nobody is listening any more
            }
            n += 1;
        }
    });
    ReceiverStream::new(rx).collect().await
}

/// Starts `workers` tasks; worker `id` waits `id` × 10 ms, then sends its id. Every third
/// worker (id 2, 5, 8, ...) finds nothing to report and ends without sending.
pub async fn collect_from_workers(workers: u64) -> Vec<u64> {
    let (tx, rx) = mpsc::channel(8);
    for id in 0..workers {
        let tx = tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(10 * id)).await;
            if id % 3 == 2 {
                return; // nothing to report: this worker's sender is dropped unused
            }
            let _ = tx.send(id).await;
        });
    }
    // TODO: every worker has its own clone. What about the original `tx`?
    ReceiverStream::new(rx).collect().await
}

#[tokio::main]
async fn main() {
    let ticks = collect_ticks(5, Duration::from_millis(100)).await;
    println!("ticks: {ticks:?}");
    let ids = collect_from_workers(6).await;
    println!("worker ids: {ids:?}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use tokio::time::{Instant, timeout};

    // Paused clock: sleeps and intervals complete instantly in virtual time, and a stream
    // that never ends fails the timeout in microseconds instead of hanging.
    const LIMIT: Duration = Duration::from_secs(60);

    /// Runs `fut` on a runtime of its own, with a paused clock, on a thread of its own. Returns
    /// its output (or `None` if it did not end within LIMIT of virtual time) and the virtual
    /// time it took. Code that never gives its thread back to the runtime (a loop without an
    /// `.await`) freezes only that thread: the test notices after 2 s of real time.
    fn run_paused<F>(fut: F) -> (Option<F::Output>, Duration)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (done, result) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .expect("could not build the test's runtime");
            let out = rt.block_on(async move {
                let start = Instant::now();
                let out = timeout(LIMIT, fut).await.ok();
                (out, start.elapsed())
            });
            let _ = done.send(out);
        });
        result.recv_timeout(Duration::from_secs(2)).expect(
            "the runtime's thread never came back (2 s of real time, while the paused clock \
             could not even advance): something loops without `.await`, so nothing else ever \
             runs. Await the stream's next value instead of checking for it in a loop",
        )
    }

    #[test]
    fn ticks_then_ends() {
        let (got, took) = run_paused(collect_ticks(5, Duration::from_millis(100)));
        let got = got
            .expect("the stream never ended: is a Sender still alive after the producer is done?");
        assert_eq!(got, vec![0, 1, 2, 3, 4], "5 ticks, numbered from 0");
        assert_eq!(
            took,
            Duration::from_millis(400),
            "the stream should end right after the last tick: the first tick of an interval \
             fires at once, so 5 ticks take 4 periods (400 ms), and then the producer is done"
        );
    }

    #[test]
    fn zero_ticks_is_an_empty_stream() {
        let (got, _) = run_paused(collect_ticks(0, Duration::from_secs(1)));
        let got = got
            .expect("the stream never ended: is a Sender still alive after the producer is done?");
        assert!(got.is_empty(), "0 ticks, so no values: got {got:?}");
    }

    #[test]
    fn ends_when_the_last_worker_is_done() {
        let (got, took) = run_paused(collect_from_workers(6));
        let got = got.expect(
            "the stream never ended: is the original Sender still alive? (Waiting for a number \
             of values does not work either: workers 2 and 5 send nothing.)",
        );
        assert_eq!(
            got,
            vec![0, 1, 3, 4],
            "workers 0, 1, 3 and 4 send their ids; 2 and 5 send nothing"
        );
        assert_eq!(
            took,
            Duration::from_millis(50),
            "the stream should end when the last Sender is dropped: worker 5 drops its sender at \
             50 ms (without sending), the original must already be gone"
        );
    }

    #[test]
    fn no_workers_is_an_empty_stream() {
        let (got, took) = run_paused(collect_from_workers(0));
        let got = got.expect(
            "the stream never ended: with no workers the original is the only Sender, and it \
             must be gone too",
        );
        assert!(got.is_empty(), "no workers, so no ids: got {got:?}");
        assert_eq!(
            took,
            Duration::ZERO,
            "with no workers there is nothing to wait for"
        );
    }
}
