// trap-expect: fail
// Trap for 04_futures_streams/buffer_unordered: `buffered` instead of `buffer_unordered`.
//
// The learner finds `buffered(limit)` next to `buffer_unordered` and picks it, the name without
// "unordered" sounding safer. It runs the same number of jobs at once, but it hands out results
// in the order the jobs were STARTED, holding back a result that is ready until all earlier ones
// are done. The function promises the finishing order: `results_come_in_finishing_order` fails
// with "results come in the order the jobs FINISH (the shortest first), not the order they were
// started".

use futures::stream::{self, StreamExt};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Counts how many jobs run at the same time, and the highest count seen.
#[derive(Default)]
pub struct Tracker {
    running: AtomicUsize,
    peak: AtomicUsize,
}

impl Tracker {
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// A job that takes `secs` seconds (a download, a query, ...). Returns `secs`.
async fn job(secs: u64, tracker: Arc<Tracker>) -> u64 {
    let now = tracker.running.fetch_add(1, Ordering::SeqCst) + 1;
    tracker.peak.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(secs)).await;
    tracker.running.fetch_sub(1, Ordering::SeqCst);
    secs
}

/// Runs one job per entry of `durations`, at most `limit` at a time. Returns the results in
/// the order the jobs finished.
pub async fn run_jobs(durations: Vec<u64>, limit: usize, tracker: Arc<Tracker>) -> Vec<u64> {
    stream::iter(durations)
        .map(|secs| job(secs, tracker.clone()))
        .buffered(limit)
        .collect()
        .await
}

#[tokio::main]
async fn main() {
    let tracker = Arc::new(Tracker::default());
    let start = tokio::time::Instant::now();
    let done = run_jobs(vec![3, 1, 2, 1, 1], 3, tracker.clone()).await;
    println!(
        "finished {done:?} in {:?}, at most {} at once",
        start.elapsed(),
        tracker.peak()
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    // Paused clock: the 1 s sleeps complete instantly, and the virtual time shows exactly how
    // many jobs ran side by side.

    #[tokio::test(start_paused = true)]
    async fn runs_at_most_limit_jobs_at_once() {
        let tracker = Arc::new(Tracker::default());
        let start = Instant::now();
        let done = run_jobs(vec![1; 10], 3, tracker.clone()).await;
        assert_eq!(done.len(), 10, "every job must run");
        assert_eq!(
            tracker.peak(),
            3,
            "exactly 3 jobs should run at the same time"
        );
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(4),
            "10 one-second jobs, 3 at a time, take 4 s (3 + 3 + 3 + 1)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn results_come_in_finishing_order() {
        let tracker = Arc::new(Tracker::default());
        let start = Instant::now();
        let done = run_jobs(vec![3, 1, 2], 3, tracker.clone()).await;
        assert_eq!(
            done,
            vec![1, 2, 3],
            "results come in the order the jobs FINISH (the shortest first), not the order they \
             were started"
        );
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(3),
            "all 3 jobs run side by side"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_free_slot_is_refilled_at_once() {
        // Slots free up one by one: job 4 starts at 1 s, when the 1 s job ends.
        let tracker = Arc::new(Tracker::default());
        let start = Instant::now();
        let done = run_jobs(vec![1, 2, 2, 2], 3, tracker.clone()).await;
        assert_eq!(done.len(), 4, "every job must run");
        assert_eq!(tracker.peak(), 3, "3 jobs should run at the same time");
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(3),
            "the 4th job must start at 1 s, as soon as the first one ends"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn respects_a_limit_of_2() {
        // A window of 2 that slides: each job starts as soon as a slot is free.
        //   0 s: 3 s and 1 s start;  1 s: 1 s starts;  2 s: 2 s starts;  3 s: 1 s starts;  4 s: done.
        let tracker = Arc::new(Tracker::default());
        let start = Instant::now();
        let mut done = run_jobs(vec![3, 1, 1, 2, 1], 2, tracker.clone()).await;
        assert_eq!(
            tracker.peak(),
            2,
            "with limit 2, exactly 2 jobs should run at the same time (use `limit`, not a \
             number of your own)"
        );
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(4),
            "with limit 2 these jobs take 4 s: a new job must start whenever one of the 2 \
             running jobs ends, not when the whole group of 2 is done"
        );
        done.sort();
        assert_eq!(done, vec![1, 1, 1, 2, 3], "every job must run once");
    }

    #[tokio::test(start_paused = true)]
    async fn a_limit_of_1_runs_one_by_one() {
        let tracker = Arc::new(Tracker::default());
        let start = Instant::now();
        let done = run_jobs(vec![2, 1], 1, tracker.clone()).await;
        assert_eq!(tracker.peak(), 1, "limit 1: one job at a time");
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(3),
            "2 s + 1 s, one after the other"
        );
        assert_eq!(
            done,
            vec![2, 1],
            "one by one, so they finish in the order they started"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_jobs_no_results() {
        let tracker = Arc::new(Tracker::default());
        let done = run_jobs(Vec::new(), 3, tracker.clone()).await;
        assert!(done.is_empty(), "no jobs, so no results: got {done:?}");
        assert_eq!(tracker.peak(), 0, "no job ran");
    }
}
