// stream_timing: streams that arrive over time, handled on a clock.
//
// A `Stream` is a sequence of values that arrive *over time*, so some of its most useful
// adapters are about time. `tokio_stream::StreamExt` (with its "time" feature) has:
// - `chunks_timeout(max, window)`: collects items into a `Vec` and hands it on when it holds
//   `max` items *or* when `window` has passed since its first item, whichever comes first;
// - `timeout(d)`: yields `Err(Elapsed)` when no item came for `d`. It reports the silence as an
//   item; the stream itself goes on (waiting for the next value) until you decide to stop.
// - `throttle(d)`: at most one item per `d`.
//
// `batches` sends sensor readings on to a database in batches. The database wants batches of
// at most 3 readings, and no reading may wait in a batch for more than 100 ms. A sensor that
// stays silent for a whole second is broken: then `batches` ends (after sending what it has).

use std::time::Duration;
use tokio_stream::{Stream, StreamExt};

/// The most readings in one batch.
pub const MAX_BATCH: usize = 3;
/// The longest a reading may wait in a batch.
pub const WINDOW: Duration = Duration::from_millis(100);
/// A sensor that sends nothing for this long is broken.
pub const SILENCE: Duration = Duration::from_secs(1);

/// The readings of `sensor` in batches of at most `MAX_BATCH`, each sent on at most `WINDOW`
/// after its first reading. Ends when the sensor ends or goes silent for `SILENCE`.
pub fn batches<S: Stream<Item = u32>>(sensor: S) -> impl Stream<Item = Vec<u32>> {
    sensor
        .timeout(SILENCE)
        .map_while(Result::ok)
        .chunks_timeout(MAX_BATCH, WINDOW)
}

#[tokio::main]
async fn main() {
    let batched: Vec<Vec<u32>> = batches(tokio_stream::iter(1..=7)).collect().await;
    println!("{batched:?}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc;
    use tokio::time::{Instant, sleep_until, timeout};
    use tokio_stream::wrappers::ReceiverStream;

    /// A sensor that sends each `(at_ms, value)` at its time, then says nothing more. It hangs up
    /// (its stream ends) at `hang_up_ms`, or never, like a broken sensor, if that is `None`.
    fn sensor(readings: &[(u64, u32)], hang_up_ms: Option<u64>) -> ReceiverStream<u32> {
        let (tx, rx) = mpsc::channel(16);
        let readings = readings.to_vec();
        let start = Instant::now();
        tokio::spawn(async move {
            for (at_ms, value) in readings {
                sleep_until(start + Duration::from_millis(at_ms)).await;
                tx.send(value).await.expect("batches dropped the sensor");
            }
            match hang_up_ms {
                Some(at_ms) => sleep_until(start + Duration::from_millis(at_ms)).await,
                // A broken sensor: the channel stays open, and nothing more comes.
                None => std::future::pending::<()>().await,
            }
        });
        ReceiverStream::new(rx)
    }

    /// Collects `(ms since start when the batch came out, batch)`, and when the stream ended.
    async fn collect(stream: impl Stream<Item = Vec<u32>>) -> (Vec<(u64, Vec<u32>)>, u64) {
        let start = Instant::now();
        let ms = || u64::try_from(start.elapsed().as_millis()).unwrap();
        let run = async {
            let mut out = Vec::new();
            tokio::pin!(stream);
            while let Some(batch) = stream.next().await {
                out.push((ms(), batch));
            }
            out
        };
        let out = timeout(Duration::from_secs(60), run)
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "`batches` was still waiting a minute after the sensor's last reading: a \
                 silent sensor must end it after 1 s. (`timeout` reports the silence as an \
                 `Err` item; something has to end the stream on that item)"
                )
            });
        (out, ms())
    }

    #[tokio::test(start_paused = true)]
    async fn full_batches_go_at_once_and_lonely_readings_after_the_window() {
        let readings = [(0, 1), (10, 2), (500, 3), (510, 4), (520, 5), (530, 6)];
        let (got, _) = collect(batches(sensor(&readings, Some(3000)))).await;
        assert_eq!(
            got,
            vec![(100, vec![1, 2]), (520, vec![3, 4, 5]), (630, vec![6])],
            "(when, batch): [1, 2] goes when its 100 ms window closes, [3, 4, 5] the moment it \
             is full, [6] after its own window. A batch must not wait for more readings than \
             arrive within the window, nor go out with whatever happens to be ready at once"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_sensor_ends_the_batches() {
        let readings = [(0, 1), (400, 2), (1300, 3)];
        let (got, ended) = collect(batches(sensor(&readings, None))).await;
        assert_eq!(
            got,
            vec![(100, vec![1]), (500, vec![2]), (1400, vec![3])],
            "each reading goes out alone when its 100 ms window closes: not at once, and not \
             later. (900 ms of quiet is not yet a broken sensor)"
        );
        assert_eq!(
            ended, 2300,
            "the sensor's last reading came at 1300 ms, so the batches end 1 s later (2300 ms): \
             the silence is measured on the sensor's readings, not on the batches"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_sensor_that_hangs_up_ends_the_batches_at_once() {
        let (got, ended) = collect(batches(sensor(&[(0, 7), (20, 8)], Some(20)))).await;
        assert_eq!(
            got,
            vec![(20, vec![7, 8])],
            "7 and 8 came 20 ms apart, so they share one batch; when the sensor hangs up, that \
             batch goes out at once"
        );
        assert_eq!(ended, 20, "and then the batches end, with no wait");
    }
}
