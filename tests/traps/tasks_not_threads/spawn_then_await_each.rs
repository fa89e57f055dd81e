// trap-expect: fail
// Wrong fix for 01_intro/tasks_not_threads: the learner hears "use tasks" and wraps each job in
// `tokio::spawn`, but awaits its handle right away inside the same loop. Every job is a task now,
// yet the loop still waits for one job to finish before it starts the next: 1000 s on the clock.
// `a_thousand_jobs_take_one_second` fails: "run_jobs(1000) took 1000s on the test's clock. 1000 jobs
// of 1 s each should all wait at the same time on this runtime (1 s in total), not one after
// another (1000 s)".

// Tokio runs concurrent work without an OS thread per job. A *task* (`tokio::spawn`) is just a
// future that the runtime keeps in a queue: the future's own size plus a small header (often a
// few hundred bytes), not a thread with its own stack.
// While one task waits (for a timer, a socket, ...), the runtime polls another one, so even a
// single thread can keep a thousand jobs going at the same time.
//
// The tests run on `#[tokio::test]`'s runtime, which has exactly one thread, and with a paused
// clock (see 00_testing/paused_clock): a 1-second job takes 1 s on Tokio's clock, instantly.

use std::thread::ThreadId;
use std::time::Duration;

/// What one job reports back: its id and the OS thread it ran on.
#[derive(Debug, Clone, PartialEq)]
pub struct JobReport {
    pub id: usize,
    pub thread: ThreadId,
}

/// One job: waits for one second (think: a slow network call), then reports.
async fn job(id: usize) -> JobReport {
    tokio::time::sleep(Duration::from_secs(1)).await;
    JobReport {
        id,
        thread: std::thread::current().id(),
    }
}

/// Runs jobs `0..count` at the same time and returns their reports.
pub async fn run_jobs(count: usize) -> Vec<JobReport> {
    let mut reports = Vec::with_capacity(count);
    for id in 0..count {
        // "Use tasks": spawn the job... and wait for it before starting the next.
        reports.push(tokio::spawn(job(id)).await.expect("a job failed"));
    }
    reports
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let start = std::time::Instant::now();
    let reports = run_jobs(1000).await;
    println!("{} jobs finished in {:?}", reports.len(), start.elapsed());
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn every_job_reports_once() {
        let reports = run_jobs(1000).await;
        let mut ids: Vec<usize> = reports.iter().map(|report| report.id).collect();
        ids.sort_unstable();
        assert_eq!(
            ids,
            (0..1000).collect::<Vec<_>>(),
            "run_jobs(1000) should return one report for each of the jobs 0..1000"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_thousand_jobs_take_one_second() {
        let start = Instant::now();
        run_jobs(1000).await;
        let took = start.elapsed();
        assert_eq!(
            took,
            Duration::from_secs(1),
            "run_jobs(1000) took {took:?} on the test's clock. 1000 jobs of 1 s each should all \
             wait at the same time on this runtime (1 s in total), not one after another (1000 s); \
             0 s means they did not wait on this runtime's timer at all"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn all_jobs_share_the_test_thread() {
        let test_thread = std::thread::current().id();
        let reports = run_jobs(1000).await;
        let elsewhere = reports
            .iter()
            .filter(|report| report.thread != test_thread)
            .count();
        assert_eq!(
            elsewhere, 0,
            "{elsewhere} jobs ran on another OS thread; use Tokio tasks, not threads"
        );
    }
}
