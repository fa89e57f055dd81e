// trap-expect: fail
// Wrong fix for deadline_in_loop: the deadline is right, but the learner writes the receive
// branch as `Some(msg) = rx.recv()`, as in many select! examples. When every sender is gone,
// `recv()` gives `None`, the pattern does not match, and select! just disables that branch for
// this round and waits for the deadline: a closed channel keeps `collect_for` waiting for
// nothing until the full limit has passed.
// `closed_channel_returns_early` fails: "once every sender is gone, no more messages can come:
// return right away" (it returned after 10 s instead of 1.5 s).

use tokio::sync::mpsc;
use tokio::time::{Duration, sleep};

/// Collects messages until `limit` has passed (counted from the call) or the channel closes.
async fn collect_for(mut rx: mpsc::Receiver<u32>, limit: Duration) -> Vec<u32> {
    let deadline = sleep(limit);
    tokio::pin!(deadline);
    let mut received = Vec::new();
    loop {
        tokio::select! {
            Some(msg) = rx.recv() => received.push(msg),
            _ = &mut deadline => break,
        }
    }
    received
}

/// Sends 1, 2, 3, ... `count`, one every `every`.
fn spawn_producer(count: u32, every: Duration) -> mpsc::Receiver<u32> {
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        for i in 1..=count {
            sleep(every).await;
            if tx.send(i).await.is_err() {
                return; // the receiver is gone
            }
        }
    });
    rx
}

#[tokio::main]
async fn main() {
    let rx = spawn_producer(20, Duration::from_millis(500));
    let received = collect_for(rx, Duration::from_millis(2750)).await;
    println!("received {received:?}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::{Instant, timeout};

    #[tokio::test(start_paused = true)]
    async fn stops_at_the_deadline_while_messages_keep_coming() {
        // A message every 500 ms, for 10 s.
        let rx = spawn_producer(20, Duration::from_millis(500));
        let start = Instant::now();

        let received = timeout(
            Duration::from_secs(60),
            collect_for(rx, Duration::from_millis(2750)),
        )
        .await
        .expect("collect_for never returned");

        assert_eq!(
            received,
            [1, 2, 3, 4, 5],
            "only the messages sent before 2.75 s (at 0.5, 1, 1.5, 2 and 2.5 s) should be \
             collected; more means the deadline never fired: a deadline that starts again in \
             every round (a new `sleep` or `timeout` for each message) never passes while \
             messages keep coming"
        );
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(2750),
            "collect_for should return at the deadline, 2.75 s after it was called; \
             a sleep created again in every round starts counting from zero again"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn quiet_channel_returns_at_the_deadline() {
        let (_tx, rx) = mpsc::channel(16);
        let start = Instant::now();

        let received = timeout(
            Duration::from_secs(60),
            collect_for(rx, Duration::from_secs(3)),
        )
        .await
        .expect("collect_for never returned");

        assert!(received.is_empty(), "nothing was sent");
        assert_eq!(start.elapsed(), Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn closed_channel_returns_early() {
        // Three messages, then the producer ends and drops its sender.
        let rx = spawn_producer(3, Duration::from_millis(500));
        let start = Instant::now();

        let received = timeout(
            Duration::from_secs(60),
            collect_for(rx, Duration::from_secs(10)),
        )
        .await
        .expect("collect_for never returned");

        assert_eq!(received, [1, 2, 3]);
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(1500),
            "once every sender is gone, no more messages can come: return right away. \
             (`recv()` gives `None` then; with a branch like `Some(msg) = rx.recv()`, select! \
             only turns that branch off and goes on waiting for the deadline)"
        );
    }
}
