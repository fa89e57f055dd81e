// `tokio::spawn(future)` starts a task: the runtime runs it concurrently with the code that
// spawned it (and, on the multi-thread runtime, possibly in parallel on another thread). `spawn`
// returns a `JoinHandle<T>` right away. Awaiting the handle is how you get the task's result back:
//
//     Ok(value)  the task finished and returned `value`
//     Err(err)   the task did not finish: it panicked (`err.is_panic()`) or was aborted
//
// A panic inside a task does not crash your program. Tokio catches it and hands it, as that
// `Err`, to whoever awaits the handle. If nobody awaits the handle, the result (and the panic)
// is simply lost.

use std::time::Duration;

#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// The job finished with this value.
    Done(u64),
    /// The job panicked.
    Panicked,
}

/// A slow job: sleeps `n` seconds, then returns `n * n`. Job 13 is unlucky and panics.
async fn slow_square(n: u64) -> u64 {
    tokio::time::sleep(Duration::from_secs(n)).await;
    if n == 13 {
        panic!("job {n} is unlucky");
    }
    n * n
}

/// Runs every job as its own task, all at the same time, and returns their outcomes in the
/// order of `jobs`.
pub async fn run_jobs(jobs: Vec<u64>) -> Vec<Outcome> {
    let mut handles = Vec::new();
    for n in jobs {
        handles.push(tokio::spawn(slow_square(n)));
    }
    let mut outcomes = Vec::new();
    for handle in handles {
        let outcome = match handle.await {
            Ok(value) => Outcome::Done(value),
            Err(err) if err.is_panic() => Outcome::Panicked,
            Err(err) => panic!("no job is ever aborted, yet: {err}"),
        };
        outcomes.push(outcome);
    }
    outcomes
}

#[tokio::main]
async fn main() {
    println!("{:?}", run_jobs(vec![3, 1, 2]).await);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn returns_every_result_in_spawn_order() {
        let outcomes = run_jobs(vec![3, 1, 2]).await;
        assert_eq!(
            outcomes,
            vec![Outcome::Done(9), Outcome::Done(1), Outcome::Done(4)],
            "one outcome per job, in the order the jobs were given"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn jobs_run_at_the_same_time() {
        let start = Instant::now();
        run_jobs(vec![3, 1, 2]).await;
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(3),
            "jobs of 3 s, 1 s and 2 s should run at the same time: 3 s in total, not 6 s. \
             Spawn all of them before you await any handle."
        );
    }

    // Job 13's panic is expected: this keeps its report out of the test's output, so that if the
    // test fails, the message you see is the test's own.
    fn silence_the_unlucky_job() {
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied());
            if !message.is_some_and(|m| m.ends_with("is unlucky")) {
                report(info);
            }
        }));
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_job_becomes_an_outcome() {
        silence_the_unlucky_job();
        let start = Instant::now();
        // run_jobs runs as a task of its own here, so that if it panics, the test can say so.
        let outcomes = match tokio::spawn(run_jobs(vec![2, 13, 1])).await {
            Ok(outcomes) => outcomes,
            Err(err) if err.is_panic() => panic!(
                "run_jobs itself panicked when job 13 did: awaiting job 13's handle gives \
                 Err(e) with e.is_panic(); turn that into Outcome::Panicked instead of \
                 unwrap()ing it"
            ),
            Err(err) => panic!("run_jobs did not finish: {err}"),
        };
        assert_eq!(
            outcomes,
            vec![Outcome::Done(4), Outcome::Panicked, Outcome::Done(1)],
            "job 13 panics: its handle gives Err(e) with e.is_panic(); the other jobs are fine"
        );
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(13),
            "jobs of 2 s, 13 s and 1 s should run at the same time: 13 s in total"
        );
    }
}
