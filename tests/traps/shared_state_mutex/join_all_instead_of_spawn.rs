// trap-expect: timeout
// Wrong fix for 02_concurrency/shared_state_mutex: the compiler said the spawned future is not
// `Send`, so the learner stops spawning and runs the visitors with `futures::future::join_all`,
// which needs no `Send`. It compiles, but the `std::sync::MutexGuard` is still held across
// `yield_now().await`. All visitors now share the test's thread: visitor 1 parks with the lock held,
// visitor 2 calls `lock()` and blocks that thread forever. The test's `timeout` lives on the same
// blocked thread, so it never fires: only the grader's process timeout ends it.

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

/// Simulates `visits_per_page` visits to each page, one task per entry in `pages`, all updating
/// one shared map of visit counts. Returns the final counts.
pub async fn count_visits(pages: &[&str], visits_per_page: u32) -> HashMap<String, u32> {
    let counts = Arc::new(Mutex::new(HashMap::new()));
    let mut visitors = Vec::new();
    for page in pages {
        let page = page.to_string();
        let counts = Arc::clone(&counts);
        // No `tokio::spawn`, so no `Send` needed.
        visitors.push(async move {
            for _ in 0..visits_per_page {
                let mut map = counts.lock().unwrap();
                *map.entry(page.clone()).or_insert(0) += 1;
                // Some async work between two visits (say, writing a log line).
                tokio::task::yield_now().await;
            }
        });
    }
    futures::future::join_all(visitors).await;
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
    use std::time::Duration;

    // A multi-thread runtime with 2 workers, so tasks really run in parallel. The timeout turns a
    // task that waits forever into a failure, but it cannot rescue a thread that is blocked
    // inside `lock()`.
    async fn run(pages: &[&str], visits: u32) -> HashMap<String, u32> {
        tokio::time::timeout(Duration::from_secs(5), count_visits(pages, visits))
            .await
            .expect("count_visits did not finish within 5 s: is a lock held across an .await?")
    }

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
        let counts = run(&["/", "/", "/", "/about"], 100).await;
        assert_eq!(
            counts.get("/"),
            Some(&300),
            "3 tasks x 100 visits to / should give 300"
        );
        assert_eq!(counts.get("/about"), Some(&100));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_pages_no_visits() {
        assert!(run(&[], 10).await.is_empty());
    }
}
