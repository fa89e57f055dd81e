// alternative: locks and updates in one statement; the guard is a temporary, gone at the `;`

// Tasks often share state through an `Arc<Mutex<T>>`. Tokio's tutorial recommends a plain
// `std::sync::Mutex` for this, as long as the lock is never held while the task waits at an
// `.await`. Holding a `std::sync::MutexGuard` across an `.await` is a bug twice over:
//
// - the guard is not `Send`, so `tokio::spawn` rejects the task (a compile error, luckily);
// - while the task sleeps with the lock held, every other task that calls `lock()` blocks its
//   whole thread, and that can deadlock the runtime.
//
// Keep the critical section short: lock, update, unlock, and only then `.await`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Simulates `visits_per_page` visits to each page, one task per entry in `pages`, all updating
/// one shared map of visit counts. Returns the final counts.
pub async fn count_visits(pages: &[&str], visits_per_page: u32) -> HashMap<String, u32> {
    let counts = Arc::new(Mutex::new(HashMap::new()));
    let mut handles = Vec::new();
    for page in pages {
        let page = page.to_string();
        let counts = Arc::clone(&counts);
        handles.push(tokio::spawn(async move {
            for _ in 0..visits_per_page {
                *counts.lock().unwrap().entry(page.clone()).or_insert(0) += 1;
                // Some async work between two visits (say, writing a log line): 1 ms.
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }));
    }
    for handle in handles {
        handle.await.expect("a visitor task panicked");
    }
    let map = counts.lock().unwrap();
    map.clone()
}

#[tokio::main]
async fn main() {
    let counts = count_visits(&["/", "/about", "/"], 10).await;
    println!("{counts:?}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    // count_visits runs as a spawned task, as a request handler would: its future must be `Send`,
    // which a `std::sync::MutexGuard` alive at an `.await` is not. The timeout turns a task that
    // waits forever into a failure, but it cannot rescue a thread that is blocked inside `lock()`.
    async fn run(pages: &'static [&'static str], visits: u32) -> HashMap<String, u32> {
        let visitors = tokio::spawn(count_visits(pages, visits));
        tokio::time::timeout(Duration::from_secs(5), visitors)
            .await
            .expect("count_visits did not finish within 5 s: is a lock held across an .await?")
            .expect("count_visits panicked")
    }

    // A multi-thread runtime with 2 workers, so tasks really run in parallel.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn counts_each_page() {
        let counts = run(&["/", "/about", "/blog", "/shop"], 25).await;
        for page in ["/", "/about", "/blog", "/shop"] {
            assert_eq!(
                counts.get(page),
                Some(&25),
                "page {page} was visited 25 times"
            );
        }
        assert_eq!(counts.len(), 4, "only the 4 pages should be in the map");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tasks_sharing_a_page_lose_no_visits() {
        let counts = run(&["/", "/", "/", "/about"], 60).await;
        assert_eq!(
            counts.get("/"),
            Some(&180),
            "3 tasks x 60 visits to / should give 180"
        );
        assert_eq!(
            counts.get("/about"),
            Some(&60),
            "1 task x 60 visits to /about should give 60"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_pages_no_visits() {
        assert!(
            run(&[], 10).await.is_empty(),
            "no pages should give an empty map"
        );
    }

    // One thread and a paused clock: each visit is a short update under the lock, then 1 ms of
    // async work without it, so the visitors' waits overlap.
    #[tokio::test(start_paused = true)]
    async fn visitors_do_not_take_turns() {
        let start = Instant::now();
        let counts = run(&["/", "/about", "/blog"], 10).await;
        assert_eq!(counts.len(), 3, "3 pages should be in the map");
        let took = start.elapsed();
        assert_eq!(
            took,
            Duration::from_millis(10),
            "count_visits took {took:?} on Tokio's clock. 3 visitors x 10 visits with 1 ms of async \
             work each should take 10 ms, the visitors waiting at the same time; 30 ms means they \
             took turns, because each one held the lock through its async work"
        );
    }
}
