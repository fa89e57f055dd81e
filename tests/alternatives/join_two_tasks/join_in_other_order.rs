// alternative: lists task2 first in join!, so task2 logs its start first (join! does not promise an order)

// The Tokio explainer's concurrency example: task1 sleeps 2 s, task2 sleeps 1 s.
//
// `run_both` waits for task1 to finish before it even starts task2, so it takes 2 s + 1 s = 3 s.
// Make it wait for both futures at the same time with `tokio::join!`: then it takes only as long
// as the slower one, 2 s. `join!` drives both futures on the current task; no threads needed.
//
// Fix the TODO in `run_both`. The tests use a paused clock, so they never really wait.

use std::sync::Mutex;

use tokio::time::{Duration, sleep};

async fn task1(log: &Mutex<Vec<&'static str>>) {
    println!("Task 1 started");
    log.lock().unwrap().push("task1 started");
    sleep(Duration::from_secs(2)).await;
    println!("Task 1 finished");
    log.lock().unwrap().push("task1 finished");
}

async fn task2(log: &Mutex<Vec<&'static str>>) {
    println!("Task 2 started");
    log.lock().unwrap().push("task2 started");
    sleep(Duration::from_secs(1)).await;
    println!("Task 2 finished");
    log.lock().unwrap().push("task2 finished");
}

async fn run_both(log: &Mutex<Vec<&'static str>>) {
    tokio::join!(task2(log), task1(log));
}

#[tokio::main]
async fn main() {
    let log = Mutex::new(Vec::new());
    let start = tokio::time::Instant::now();
    run_both(&log).await;
    println!("Both tasks done after {:?}", start.elapsed());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn takes_two_seconds_not_three() {
        let log = Mutex::new(Vec::new());
        let real_start = std::time::Instant::now();
        let start = tokio::time::Instant::now();

        run_both(&log).await;

        assert_eq!(
            start.elapsed(),
            Duration::from_secs(2),
            "run_both should take as long as the slower task (2 s); one after the other, the tasks take 2 s + 1 s = 3 s"
        );
        assert!(
            real_start.elapsed() < Duration::from_secs(1),
            "the test clock is paused, so this should take no real time: sleep with tokio::time::sleep, never std::thread::sleep"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn both_start_before_either_finishes() {
        let log = Mutex::new(Vec::new());

        run_both(&log).await;

        let log = log.lock().unwrap().clone();
        assert_eq!(
            log.len(),
            4,
            "each task should log its start and its finish once; got {log:?}"
        );
        // Which task starts first is up to `join!` (and to the order you list them in), so only
        // the two starts are checked, in any order.
        let mut starts = log[..2].to_vec();
        starts.sort_unstable();
        assert_eq!(
            starts,
            ["task1 started", "task2 started"],
            "both tasks should start right away, before either one finishes; got {log:?}"
        );
        assert_eq!(
            log[2..],
            ["task2 finished", "task1 finished"],
            "the 1 s task should finish before the 2 s task; got {log:?}"
        );
    }
}
