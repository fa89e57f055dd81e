// block_in_place_vs_spawn_blocking: which blocking helper works on which runtime.
//
// Tokio has two ways to run blocking code from async code:
// - `tokio::task::block_in_place(|| ..)` runs the closure right here, on the current worker
//   thread, after handing this thread's other tasks to a new worker thread. The closure may
//   borrow local data. But only the multi_thread runtime can hand its tasks over like that (it
//   does so even with a single worker), so on a current_thread runtime it panics.
// - `tokio::task::spawn_blocking(closure)` sends the closure to Tokio's pool of blocking threads
//   and returns a JoinHandle to `.await`. It works on every runtime. Because the closure runs on
//   another thread and may outlive the caller, it must be `'static`: it cannot borrow `data`,
//   it needs its own copy (or an `Arc`).
//
// `checksum` is used from both kinds of runtime. Fix the TODO.

use std::time::Duration;

/// Stands in for a slow, blocking call over a big buffer: it takes 200 ms. It sleeps rather than
/// computes, so the tests time the same on any machine.
pub fn slow_checksum(data: &[u8]) -> u32 {
    std::thread::sleep(Duration::from_millis(200));
    data.iter().fold(0u32, |sum, &byte| {
        sum.wrapping_mul(31).wrapping_add(u32::from(byte))
    })
}

/// Checksums `data` without blocking the async runtime, on any runtime flavor.
pub async fn checksum(data: &[u8]) -> u32 {
    // TODO: this panics on a current_thread runtime. Use the helper that works everywhere.
    tokio::task::block_in_place(|| slow_checksum(data))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let sum = checksum(b"hello, tokio").await;
    println!("checksum = {sum:#x}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    // 0x7b18_1400 == slow_checksum(&big_buffer())
    fn big_buffer() -> Vec<u8> {
        (0..=255u8).cycle().take(256 * 40).collect()
    }

    #[tokio::test]
    async fn works_on_current_thread_without_blocking_it() {
        // The default #[tokio::test] runtime: current_thread, ONE thread. A heartbeat task
        // ticks every 10 ms on it, about 20 times during the 200 ms checksum, unless the
        // checksum blocks that thread.
        let ticks = Arc::new(AtomicUsize::new(0));
        let counter = ticks.clone();
        let heartbeat = tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(10));
            loop {
                every.tick().await;
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        tokio::task::yield_now().await; // let the heartbeat start
        let data = big_buffer();
        let start = std::time::Instant::now();
        assert_eq!(checksum(&data).await, 0x7b18_1400);
        let took = start.elapsed();
        let seen = ticks.load(Ordering::SeqCst);
        heartbeat.abort();
        assert!(
            took >= Duration::from_millis(200),
            "checksum returned after {took:?}, but slow_checksum takes 200 ms: move the slow \
             call to another thread, don't skip it"
        );
        assert!(
            seen >= 5,
            "only {seen} heartbeat ticks during a 200 ms checksum (expected about 20): the \
             checksum blocked the runtime's only thread"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn works_on_multi_thread() {
        assert_eq!(checksum(b"hello, tokio").await, 0xd9a6_b470);
    }
}
