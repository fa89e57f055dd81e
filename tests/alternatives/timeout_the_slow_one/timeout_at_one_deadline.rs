// alternative: one shared deadline (now + limit) with timeout_at, the same limit for tasks that start together

// `tokio::time::timeout(limit, future)` gives a future a deadline: it returns `Ok(output)` if the
// future finishes in time, or `Err(Elapsed)` at the deadline (and drops the unfinished future).
//
// `run_with_limit` does not compile: it awaits each task *before* handing it to `timeout`, so
// `timeout` gets a finished `&str` instead of something it can still wait for.
// Fix the TODO. Read the compiler error first: what type does `timeout` want?

use tokio::time::error::Elapsed;
use tokio::time::{Duration, sleep, timeout};

async fn task1() -> &'static str {
    sleep(Duration::from_secs(2)).await;
    "task1 done"
}

async fn task2() -> &'static str {
    sleep(Duration::from_secs(1)).await;
    "task2 done"
}

type Outcome = Result<&'static str, Elapsed>;

/// Runs both tasks at the same time and gives each of them at most `limit`.
async fn run_with_limit(limit: Duration) -> (Outcome, Outcome) {
    let deadline = tokio::time::Instant::now() + limit;
    tokio::join!(
        tokio::time::timeout_at(deadline, task1()),
        tokio::time::timeout_at(deadline, task2())
    )
}

#[tokio::main]
async fn main() {
    let (first, second) = run_with_limit(Duration::from_millis(1500)).await;
    match first {
        Ok(msg) => println!("task1: {msg}"),
        Err(e) => println!("task1: {e}"),
    }
    match second {
        Ok(msg) => println!("task2: {msg}"),
        Err(e) => println!("task2: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slow_task_times_out_fast_task_finishes() {
        let start = tokio::time::Instant::now();

        let (first, second) = run_with_limit(Duration::from_millis(1500)).await;

        assert!(
            first.is_err(),
            "task1 needs 2 s, more than the 1.5 s limit, so it should time out; got {first:?}"
        );
        assert_eq!(
            second,
            Ok("task2 done"),
            "task2 needs 1 s, within the limit"
        );
        let took = start.elapsed();
        assert_eq!(
            took,
            Duration::from_millis(1500),
            "run_with_limit took {took:?}: both tasks should run at the same time, each with its \
             own 1.5 s limit, so we stop waiting for task1 at 1.5 s"
        );
        let still_running = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        assert_eq!(
            still_running, 0,
            "{still_running} task(s) still running after run_with_limit returned: at the \
             deadline, timeout should drop (cancel) task1, but a spawned task goes on running \
             when you drop its JoinHandle"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn generous_limit_lets_both_finish() {
        let start = tokio::time::Instant::now();

        let (first, second) = run_with_limit(Duration::from_secs(3)).await;

        assert_eq!(first, Ok("task1 done"), "task1 fits in 3 s");
        assert_eq!(second, Ok("task2 done"), "task2 fits in 3 s");
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(2),
            "when both finish early, nobody waits for the deadline: 2 s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn tight_limit_stops_both() {
        let start = tokio::time::Instant::now();

        let (first, second) = run_with_limit(Duration::from_millis(500)).await;

        assert!(first.is_err(), "task1 should time out; got {first:?}");
        assert!(
            second.is_err(),
            "task2 needs 1 s, more than the 0.5 s limit, so it should time out too (every task \
             gets the limit, not only the slow one); got {second:?}"
        );
        let took = start.elapsed();
        assert_eq!(
            took,
            Duration::from_millis(500),
            "run_with_limit took {took:?}: both tasks should be cut at the 0.5 s deadline"
        );
    }
}
