// A channel connects tasks: a producer sends, a consumer receives. Two rules to know:
//
// 1. `rx.recv().await` returns `None` (so `while let Some(..)` ends) only when *every* `Sender`
//    is gone. A `Sender` you keep around, even one you never use, keeps the consumer waiting
//    forever.
// 2. An unbounded channel lets a fast producer pile up as many items as it likes. A bounded
//    `mpsc::channel(capacity)` makes `send(item).await` wait while the channel is full. That is
//    backpressure: a fast producer can never get more than `capacity` items ahead of a slow
//    consumer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(Debug)]
pub struct Report {
    /// What the consumer received, in order.
    pub received: Vec<u32>,
    /// The most items that were ever sent but not yet received.
    pub max_queued: usize,
}

/// Sends `0..count` from a producer task to a slow consumer task (1 s per item) through a channel
/// that holds at most `capacity` items, and reports what happened.
pub async fn run_pipeline(count: u32, capacity: usize) -> Report {
    let (tx, mut rx) = mpsc::channel::<u32>(capacity);
    // Bookkeeping for the report: how many items are in the channel right now, and at most.
    let queued = Arc::new(AtomicUsize::new(0));
    let max_queued = Arc::new(AtomicUsize::new(0));

    let producer = {
        let queued = Arc::clone(&queued);
        let max_queued = Arc::clone(&max_queued);
        tokio::spawn(async move {
            for item in 0..count {
                tx.send(item).await.expect("the consumer hung up");
                let now = queued.fetch_add(1, Ordering::SeqCst) + 1;
                max_queued.fetch_max(now, Ordering::SeqCst);
            }
        })
    };

    let consumer = tokio::spawn(async move {
        let mut received = Vec::new();
        while let Some(item) = rx.recv().await {
            queued.fetch_sub(1, Ordering::SeqCst);
            // A slow consumer: one second of work per item.
            tokio::time::sleep(Duration::from_secs(1)).await;
            received.push(item);
        }
        received
    });

    producer.await.expect("the producer panicked");
    let received = consumer.await.expect("the consumer panicked");
    Report {
        received,
        max_queued: max_queued.load(Ordering::SeqCst),
    }
}

#[tokio::main]
async fn main() {
    let report = run_pipeline(5, 2).await;
    println!("{report:?}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::timeout;

    // Paused clock: the 1 s per item costs nothing, and if the pipeline gets stuck, the runtime
    // goes idle and the clock jumps straight to the 60 s timeout, so the test fails at once
    // instead of hanging.
    async fn run(count: u32, capacity: usize) -> Report {
        timeout(Duration::from_secs(60), run_pipeline(count, capacity))
            .await
            .expect(
                "run_pipeline never finished: the consumer is still waiting in recv(). \
                 Is a Sender still alive?",
            )
    }

    #[tokio::test(start_paused = true)]
    async fn delivers_every_item_in_order() {
        let report = run(10, 3).await;
        assert_eq!(
            report.received,
            (0..10).collect::<Vec<u32>>(),
            "the consumer should receive 0..10, each once, in order"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_producer_never_gets_more_than_capacity_ahead() {
        for capacity in [1, 3] {
            let report = run(10, capacity).await;
            assert_eq!(report.received.len(), 10, "all 10 items should arrive");
            assert!(
                report.max_queued <= capacity,
                "{} items piled up in the channel at once; with a bounded channel of capacity \
                 {capacity}, the producer has to wait for the consumer instead",
                report.max_queued
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_producer_may_get_a_full_capacity_ahead() {
        for capacity in [2, 4] {
            let report = run(10, capacity).await;
            assert_eq!(report.received.len(), 10, "all 10 items should arrive");
            assert!(
                report.max_queued >= capacity,
                "the producer never got more than {} items ahead of the slow consumer, but a \
                 channel of capacity {capacity} has room for {capacity}: is the channel smaller \
                 than `capacity`?",
                report.max_queued
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_to_send_finishes_at_once() {
        let start = tokio::time::Instant::now();
        let report = run(0, 2).await;
        assert!(report.received.is_empty(), "nothing was sent");
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "with nothing to send, the producer finishes at once, and so should the consumer"
        );
    }
}
