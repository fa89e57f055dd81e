// trap-expect: fail
// Half a fix (10_capstone/log_shipper): the write gets its time limit, but shutdown stays a
// `select!` branch that breaks out of the loop. The lines already read sit in the batch that
// `chunks_timeout` is still filling, and they go down with the stream. `stop_forwards_what_was_read`
// fails: "x and y were read before the stop, so they must be forwarded, got Ok(0): breaking out
// of the loop on stop drops the batch that the adapter was still filling".

// log_shipper: the second half of the course in one small program.
//
// A log shipper reads log lines from a connection, and forwards them to a collector in batches:
// one write per batch, the batch's lines joined with ',' and ended by '\n'. The rules:
// - a batch holds at most `MAX_BATCH` lines, and no line waits in a batch longer than `WINDOW`;
// - a write the collector doesn't take within `WRITE_LIMIT` means the collector is stuck:
//   `ship` gives up with `ShipError::CollectorStuck` (instead of waiting forever);
// - when the input ends, or when `stop` is cancelled (the service is shutting down), `ship` stops
//   reading, forwards the lines it has already read (a half-full batch too: nothing read is
//   lost), and returns how many lines it forwarded in all.
//
// The lines are a stream, and the batching is a stream adapter. Think about *where* the
// shutdown should cut that pipeline: a batch that is being filled lives inside the adapter.

use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio_stream::StreamExt;
use tokio_stream::wrappers::LinesStream;
use tokio_util::sync::CancellationToken;

pub const MAX_BATCH: usize = 4;
pub const WINDOW: Duration = Duration::from_millis(200);
pub const WRITE_LIMIT: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub enum ShipError {
    /// The collector didn't take a batch within `WRITE_LIMIT`.
    CollectorStuck,
    /// Writing to the collector failed.
    Io(std::io::Error),
}

/// Forwards the lines of `input` to `collector` in batches until the input ends or `stop` is
/// cancelled. Returns how many lines were forwarded.
pub async fn ship<R, W>(
    input: R,
    mut collector: W,
    stop: CancellationToken,
) -> Result<usize, ShipError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let lines = LinesStream::new(BufReader::new(input).lines()).map_while(Result::ok);
    let batches = lines.chunks_timeout(MAX_BATCH, WINDOW);
    tokio::pin!(batches);

    let mut forwarded = 0;
    loop {
        let batch = tokio::select! {
            _ = stop.cancelled() => break,
            batch = batches.next() => match batch {
                Some(batch) => batch,
                None => break,
            },
        };
        let record = batch.join(",") + "\n";
        tokio::time::timeout(WRITE_LIMIT, collector.write_all(record.as_bytes()))
            .await
            .map_err(|_elapsed| ShipError::CollectorStuck)?
            .map_err(ShipError::Io)?;
        forwarded += batch.len();
    }
    Ok(forwarded)
}

#[tokio::main]
async fn main() {
    let input: &[u8] = b"boot\nready\nserving\n";
    let mut collector = Vec::new();
    let forwarded = ship(input, &mut collector, CancellationToken::new()).await;
    println!("{forwarded:?}: {}", String::from_utf8_lossy(&collector));
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, DuplexStream, duplex};
    use tokio::task::JoinHandle;
    use tokio::time::{Instant, sleep_until, timeout};

    /// Starts `ship` on in-memory connections. Returns the input's writing end, the collector's
    /// reading end, the stop token and `ship`'s task. `collector_room` is how many bytes the
    /// collector's connection buffers before a write has to wait.
    fn start(
        collector_room: usize,
    ) -> (
        DuplexStream,
        DuplexStream,
        CancellationToken,
        JoinHandle<Result<usize, ShipError>>,
    ) {
        let (input, input_end) = duplex(1024);
        let (collector_end, collector) = duplex(collector_room);
        let stop = CancellationToken::new();
        let task = tokio::spawn(ship(input_end, collector_end, stop.clone()));
        (input, collector, stop, task)
    }

    /// Waits for `ship` to return (a minute at most: the paused clock gets there at once), or
    /// fails saying `why_not`.
    async fn finish(
        task: JoinHandle<Result<usize, ShipError>>,
        why_not: &str,
    ) -> Result<usize, ShipError> {
        match timeout(Duration::from_secs(60), task).await {
            Ok(outcome) => outcome.expect("ship panicked"),
            Err(_elapsed) => panic!("ship never returned: {why_not}"),
        }
    }

    async fn read_all(mut collector: DuplexStream) -> String {
        let mut text = String::new();
        collector
            .read_to_string(&mut text)
            .await
            .expect("reading the collector failed");
        text
    }

    #[tokio::test(start_paused = true)]
    async fn ships_in_batches_until_the_input_ends() {
        let (mut input, collector, _stop, task) = start(1024);
        let start = Instant::now();
        input.write_all(b"a\nb\nc\nd\ne\n").await.unwrap();
        sleep_until(start + Duration::from_millis(1500)).await;
        // (If ship has already given up, this write fails: the assertions below say why.)
        input.write_all(b"f\n").await.ok();
        sleep_until(start + Duration::from_millis(1600)).await;
        drop(input);
        let forwarded = finish(task, "the input ended, so ship should have ended too").await;
        assert!(
            matches!(forwarded, Ok(6)),
            "all 6 lines should be forwarded, got {forwarded:?}. (A 1.5 s pause in the input \
             is not a stuck collector: the time limit is for each write, not for all of `ship`)"
        );
        assert_eq!(
            read_all(collector).await,
            "a,b,c,d\ne\nf\n",
            "a full batch of 4, then the rest of each burst once its window closed"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn stop_forwards_what_was_read() {
        let (mut input, collector, stop, task) = start(1024);
        let start = Instant::now();
        input.write_all(b"x\ny\n").await.unwrap();
        sleep_until(start + Duration::from_millis(50)).await;
        stop.cancel();
        let forwarded = finish(
            task,
            "`stop` was cancelled while ship waited for more input: it has to notice the stop \
             while it waits, not only between batches",
        )
        .await;
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(50),
            "after stop, ship returns at once (at 50 ms), without waiting for the batch's \
             window: the stop must be noticed while ship waits, not only when a batch arrives"
        );
        assert!(
            matches!(forwarded, Ok(2)),
            "x and y were read before the stop, so they must be forwarded, got {forwarded:?}: \
             breaking out of the loop on stop drops the batch that the adapter was still filling"
        );
        assert_eq!(
            read_all(collector).await,
            "x,y\n",
            "the half-full batch is forwarded"
        );
        drop(input);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stuck_collector_is_an_error() {
        // The collector's connection holds 4 bytes and nobody reads it.
        let (mut input, _collector, _stop, task) = start(4);
        let start = Instant::now();
        input.write_all(b"hello world\n").await.unwrap();
        let outcome = finish(
            task,
            "a write to a collector that takes nothing waits forever unless it has a time limit",
        )
        .await;
        assert!(
            matches!(outcome, Err(ShipError::CollectorStuck)),
            "a collector that takes nothing should end ship with CollectorStuck, got {outcome:?}"
        );
        assert_eq!(
            start.elapsed(),
            WINDOW + WRITE_LIMIT,
            "the batch goes out after its window (200 ms) and the write gives up 1 s later"
        );
    }
}
