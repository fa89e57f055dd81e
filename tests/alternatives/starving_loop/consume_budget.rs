// alternative: spends from the task's coop budget with `tokio::task::consume_budget()`, which yields only when the budget (128 units) is used up

// starving_loop: a task that never gives the thread back.
//
// Tokio's tasks take turns *cooperatively*: a task runs until it reaches an `.await` whose
// future is not ready yet (is `Pending`), and only then can the runtime run another task on that
// thread. A loop of plain CPU work has no such point, so on a single-threaded runtime (and on each
// worker of a multi-threaded one) everything else waits until the loop is over: timers fire late,
// other requests stall, a progress bar freezes.
//
// Awaiting Tokio's own resources (channels, sockets, timers) counts against a per-task *budget*
// and makes a task step aside after a while even if they are always ready. Plain computation and
// futures that are always ready don't.

use std::sync::atomic::{AtomicUsize, Ordering};

/// One step of a (pretend) expensive hash.
fn mix(acc: u64, item: u64) -> u64 {
    (acc ^ item).wrapping_mul(0x0100_0000_01b3)
}

/// Hashes `items`, counting finished items in `progress` so that another task can report on it.
/// Other tasks on the same thread must keep running while it works.
pub async fn checksum(items: &[u64], progress: &AtomicUsize) -> u64 {
    let mut acc = 0xcbf2_9ce4_8422_2325;
    for &item in items {
        acc = mix(acc, item);
        progress.fetch_add(1, Ordering::Relaxed);
        tokio::task::consume_budget().await;
    }
    acc
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let items: Vec<u64> = (0..10_000).collect();
    let progress = AtomicUsize::new(0);
    println!("checksum: {:x}", checksum(&items, &progress).await);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    /// Runs `checksum` on this (single) thread next to a progress reporter task that samples
    /// `progress` every time it gets a turn. Returns the checksum and the samples.
    async fn with_reporter(items: &[u64]) -> (u64, Vec<usize>) {
        let progress = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let reporter = {
            let (progress, done) = (Arc::clone(&progress), Arc::clone(&done));
            tokio::spawn(async move {
                let mut samples = Vec::new();
                while !done.load(Ordering::Relaxed) {
                    samples.push(progress.load(Ordering::Relaxed));
                    tokio::task::yield_now().await;
                }
                samples.push(progress.load(Ordering::Relaxed));
                samples
            })
        };
        // Let the reporter take its first sample before the work starts.
        tokio::task::yield_now().await;
        let sum = checksum(items, &progress).await;
        done.store(true, Ordering::Relaxed);
        let samples = reporter.await.expect("the reporter panicked");
        (sum, samples)
    }

    fn expected(items: &[u64]) -> u64 {
        items
            .iter()
            .fold(0xcbf2_9ce4_8422_2325, |acc, &x| mix(acc, x))
    }

    #[tokio::test]
    async fn the_checksum_is_right() {
        let items: Vec<u64> = (0..300).map(|i| i * 7 + 1).collect();
        let progress = AtomicUsize::new(0);
        assert_eq!(
            checksum(&items, &progress).await,
            expected(&items),
            "the checksum must hash every item, in order"
        );
        assert_eq!(
            progress.load(Ordering::Relaxed),
            300,
            "progress counts every item"
        );
    }

    #[tokio::test]
    async fn other_tasks_run_while_it_works() {
        let items: Vec<u64> = (0..2_000).collect();
        let (sum, samples) = with_reporter(&items).await;
        assert_eq!(
            sum,
            expected(&items),
            "the checksum must hash every item, in order"
        );
        let biggest_step = samples.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
        assert!(
            biggest_step <= 256,
            "the progress reporter saw {biggest_step} of 2000 items finish between two of its \
             turns (samples: {:?}...): the loop kept the thread. An `.await` gives the thread \
             back only when its future is Pending; CPU work, an already-ready future or \
             `std::thread::yield_now` never are",
            &samples[..samples.len().min(8)]
        );
    }

    #[tokio::test]
    async fn no_items_no_waiting() {
        let (sum, samples) = with_reporter(&[]).await;
        assert_eq!(sum, expected(&[]), "nothing hashed: the starting value");
        assert_eq!(samples.last(), Some(&0), "no item, no progress");
    }
}
