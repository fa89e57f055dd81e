// alternative: an `Arc<std::sync::Mutex<u32>>`, locked only for the increment (the guard never lives across the `.await`)

// On the multi-thread runtime, a task may be moved to another worker thread each time it stops
// at an `.await`. That is why `tokio::spawn` requires a `Send` future: everything the task keeps
// alive across an `.await` must be safe to send to another thread.
//
// `Rc` and `Cell` are single-thread types: they are not `Send`/`Sync`, so a task that holds them
// across an `.await` cannot be spawned ("future cannot be sent between threads safely"). Their
// thread-safe counterparts are `Arc` and the atomics (`AtomicU32`, ...), or a `Mutex`.

use std::sync::Arc;
use std::sync::Mutex;
use tokio::task::JoinHandle;

/// Adds 1 to `total`, `times` times, letting other work run after each step.
async fn count_up(total: Arc<Mutex<u32>>, times: u32) {
    for _ in 0..times {
        *total.lock().unwrap() += 1;
        tokio::task::yield_now().await;
    }
}

/// Spawns a task that runs two counters at the same time on one shared total and returns it.
pub fn spawn_counters(a: u32, b: u32) -> JoinHandle<u32> {
    tokio::spawn(async move {
        let total = Arc::new(Mutex::new(0));
        tokio::join!(
            count_up(Arc::clone(&total), a),
            count_up(Arc::clone(&total), b)
        );
        *total.lock().unwrap()
    })
}

#[tokio::main]
async fn main() {
    let total = spawn_counters(10, 5).await.expect("the task panicked");
    println!("10 + 5 = {total}");
}

#[cfg(test)]
mod tests {
    use super::*;

    // A multi-thread runtime with 2 workers: the spawned task really may change threads.

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn counts_both_counters() {
        let total = spawn_counters(10, 5).await.expect("the task panicked");
        assert_eq!(total, 15, "10 steps + 5 steps should give 15");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn counts_many_steps() {
        let total = spawn_counters(1000, 1000).await.expect("the task panicked");
        assert_eq!(total, 2000, "1000 steps + 1000 steps should give 2000");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_tasks_at_once() {
        let handles: Vec<_> = (0..8).map(|i| spawn_counters(i, 100)).collect();
        for (i, handle) in (0..8).zip(handles) {
            assert_eq!(
                handle.await.expect("the task panicked"),
                i + 100,
                "spawn_counters({i}, 100) should give {}: each call has a total of its own",
                i + 100
            );
        }
    }
}
