// trap-expect: timeout
// Wrong fix for lazy_futures: "the future must be polled", so the learner drives the middle
// step with `futures::executor::block_on` instead of `.await`. That blocks the Tokio runtime
// thread while the future waits on a Tokio timer, and the timer can only fire when the runtime
// gets its thread back: it never does. In-test timeouts cannot help; only the grader's process
// timeout ends it. (Never block_on inside async code: just `.await`.)

use std::sync::Mutex;

use tokio::time::{Duration, sleep};

type Log = Mutex<Vec<&'static str>>;

/// Saves one step in the log, after a short wait (pretend it is a network call).
async fn record(log: &Log, step: &'static str) {
    sleep(Duration::from_millis(10)).await;
    log.lock().unwrap().push(step);
}

async fn checkout(log: &Log) {
    record(log, "cart checked").await;
    futures::executor::block_on(record(log, "payment sent"));
    record(log, "receipt printed").await;
}

#[tokio::main]
async fn main() {
    let log = Mutex::new(Vec::new());
    checkout(&log).await;
    println!("{:?}", log.lock().unwrap());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn calling_an_async_fn_runs_nothing_yet() {
        let log = Mutex::new(Vec::new());

        let future = record(&log, "hello");
        assert!(
            log.lock().unwrap().is_empty(),
            "calling an async fn only creates a future; nothing has run yet"
        );

        future.await;
        assert_eq!(*log.lock().unwrap(), ["hello"], ".await runs the future");
    }

    #[tokio::test(start_paused = true)]
    async fn every_step_runs_in_order() {
        let log = Mutex::new(Vec::new());

        checkout(&log).await;

        assert_eq!(
            *log.lock().unwrap(),
            ["cart checked", "payment sent", "receipt printed"],
            "every step should run, in order; a step that is missing was never awaited"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn each_step_waits_for_the_one_before() {
        let log = Mutex::new(Vec::new());
        let start = tokio::time::Instant::now();

        checkout(&log).await;

        assert_eq!(
            start.elapsed(),
            Duration::from_millis(30),
            "three steps of 10 ms, one after the other, take 30 ms"
        );
    }
}
