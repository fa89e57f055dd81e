// Solution: `tokio::try_join!` returns the first `Err` as soon as it happens and drops the
// futures that are still running, so the slow task is cancelled at its `.await`.

use std::sync::Mutex;

use tokio::time::{Duration, sleep};

type Log = Mutex<Vec<&'static str>>;

/// Loads the user's profile: slow (2 s), always works.
async fn load_profile(log: &Log) -> Result<&'static str, String> {
    log.lock().unwrap().push("profile started");
    sleep(Duration::from_secs(2)).await;
    log.lock().unwrap().push("profile finished");
    Ok("Alice")
}

/// Loads the user's orders: fast (1 s), fails when `fail` is true.
async fn load_orders(log: &Log, fail: bool) -> Result<u32, String> {
    log.lock().unwrap().push("orders started");
    sleep(Duration::from_secs(1)).await;
    if fail {
        log.lock().unwrap().push("orders failed");
        return Err("orders service is down".to_string());
    }
    log.lock().unwrap().push("orders finished");
    Ok(3)
}

/// Loads both at the same time. Returns the first error as soon as it happens.
async fn load_page(log: &Log, orders_fail: bool) -> Result<(&'static str, u32), String> {
    tokio::try_join!(load_profile(log), load_orders(log, orders_fail))
}

#[tokio::main]
async fn main() {
    let log = Mutex::new(Vec::new());
    let start = tokio::time::Instant::now();
    let page = load_page(&log, true).await;
    println!("{page:?} after {:?}", start.elapsed());
    println!("log: {:?}", log.lock().unwrap());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn both_ok_after_two_seconds() {
        let log = Mutex::new(Vec::new());
        let start = tokio::time::Instant::now();

        let page = load_page(&log, false).await;

        assert_eq!(
            page,
            Ok(("Alice", 3)),
            "when both loads work, return both values"
        );
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(2),
            "the two loads should run at the same time: 2 s in total, not 3 s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn first_error_returns_after_one_second() {
        let log = Mutex::new(Vec::new());
        let start = tokio::time::Instant::now();

        let page = load_page(&log, true).await;

        assert_eq!(
            page,
            Err("orders service is down".to_string()),
            "the orders error should be returned"
        );
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(1),
            "the error happens at 1 s, so return right then instead of waiting for the 2 s profile load"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn slow_load_is_cancelled_after_the_error() {
        let log = Mutex::new(Vec::new());

        let _ = load_page(&log, true).await;
        // Give a profile load that is still running (e.g. in a spawned task) time to finish.
        sleep(Duration::from_secs(5)).await;

        let log = log.lock().unwrap().clone();
        // Which load starts first is up to you (the order you list them in), so it is not checked.
        let at = |entry: &str| log.iter().position(|e| *e == entry);
        assert!(
            at("orders failed").is_some(),
            "the orders load should run and fail; got {log:?}"
        );
        assert!(
            at("profile started") < at("orders failed") && at("profile started").is_some(),
            "both loads should start right away, before the orders fail; got {log:?}"
        );
        assert_eq!(
            at("profile finished"),
            None,
            "once orders fail, the profile load should be dropped (cancelled) and never finish; \
             got {log:?}"
        );
    }
}
