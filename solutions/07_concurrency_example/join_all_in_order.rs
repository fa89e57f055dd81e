// Solution: build every future first, then `futures::future::join_all` polls them all at once
// and returns their outputs in the same order as its input.

use futures::future::join_all;
use tokio::time::{Duration, sleep};

/// One download that takes `secs` seconds and returns a short report.
async fn download(id: u32, secs: u64) -> String {
    sleep(Duration::from_secs(secs)).await;
    format!("file{id}: {secs}s")
}

/// Downloads every file at the same time and returns the results in the order of `jobs`.
async fn download_all(jobs: &[(u32, u64)]) -> Vec<String> {
    join_all(jobs.iter().map(|&(id, secs)| download(id, secs))).await
}

#[tokio::main]
async fn main() {
    let start = tokio::time::Instant::now();
    let results = download_all(&[(1, 3), (2, 1), (3, 2)]).await;
    println!("{results:?} after {:?}", start.elapsed());
}

#[cfg(test)]
mod tests {
    use super::*;

    // Ids and durations in no particular order: the results must follow the input, not the ids,
    // not the durations, not the order in which downloads finish.
    const JOBS: [(u32, u64); 5] = [(7, 3), (2, 5), (9, 1), (4, 4), (5, 2)];

    #[tokio::test(start_paused = true)]
    async fn takes_as_long_as_the_slowest() {
        let start = tokio::time::Instant::now();

        download_all(&JOBS).await;

        assert_eq!(
            start.elapsed(),
            Duration::from_secs(5),
            "all downloads should run at the same time: 5 s (the slowest one), not 3+5+1+4+2 = 15 s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn results_keep_the_input_order() {
        let results = download_all(&JOBS).await;

        assert_eq!(
            results,
            [
                "file7: 3s",
                "file2: 5s",
                "file9: 1s",
                "file4: 4s",
                "file5: 2s"
            ],
            "results must be in the order of the input jobs (not sorted, not in the order in \
             which downloads finish)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_thousand_downloads_take_one_second() {
        let jobs: Vec<(u32, u64)> = (0..1000).map(|id| (id, 1)).collect();
        let start = tokio::time::Instant::now();

        let results = download_all(&jobs).await;

        assert_eq!(results.len(), 1000, "one result per job");
        let took = start.elapsed();
        assert_eq!(
            took,
            Duration::from_secs(1),
            "1000 downloads of 1 s each took {took:?}: all at the same time, they take 1 s (a \
             limit of N at a time, or batches of N, makes them wait for each other)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_jobs_no_results() {
        let start = tokio::time::Instant::now();

        let results = download_all(&[]).await;

        assert!(results.is_empty(), "no jobs should give no results");
        assert_eq!(start.elapsed(), Duration::ZERO, "nothing to wait for");
    }
}
