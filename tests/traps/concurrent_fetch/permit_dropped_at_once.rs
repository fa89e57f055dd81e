// trap-expect: fail
// Wrong fix for concurrent_fetch: the learner waits for a permit but binds it to `_`, as one
// does with a value one does not need. `let _ = ...` drops the permit at once, so it is back in
// the semaphore before the request is even sent, and nothing limits the requests any more: all
// 9 go out together. A permit limits only as long as it is alive: keep it in a named variable
// (`_permit`) until the request is done.
// `three_requests_at_a_time` fails: "9 requests were out at the same time, but at most 3 are
// allowed ... `let _ = sem.acquire().await` drops the permit at once".

use futures::future::join_all;
use reqwest::Client;
use tokio::sync::Semaphore;

/// Never have more requests than this out at the same time (be kind to the server).
const MAX_IN_FLIGHT: usize = 3;

async fn fetch_one(client: &Client, base: &str, id: u32) -> reqwest::Result<String> {
    client
        .get(format!("{base}/users/{id}"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await
}

/// Fetches every user, at most `MAX_IN_FLIGHT` at a time, and returns them in the order of `ids`.
async fn fetch_all(client: &Client, base: &str, ids: &[u32]) -> reqwest::Result<Vec<String>> {
    let permits = Semaphore::new(MAX_IN_FLIGHT);
    let requests = ids.iter().map(|&id| {
        let permits = &permits;
        async move {
            // Wait for a free place before sending.
            let _ = permits
                .acquire()
                .await
                .expect("the semaphore is never closed");
            fetch_one(client, base, id).await
        }
    });
    join_all(requests).await.into_iter().collect()
}

#[tokio::main]
async fn main() {
    let addr = tokiolings_support::serve(|path| async move {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        tokiolings_support::Reply::ok(format!("user {}", path.trim_start_matches("/users/")))
    })
    .await;
    let start = std::time::Instant::now();
    let users = fetch_all(
        &Client::new(),
        &format!("http://{addr}"),
        &[1, 2, 3, 4, 5, 6],
    )
    .await;
    println!("{users:?} in {:?}", start.elapsed());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::sync::Barrier;
    use tokio::time::timeout;

    /// How many requests the test server is handling right now, and the most it ever had.
    #[derive(Default)]
    struct Load {
        now: AtomicUsize,
        peak: AtomicUsize,
    }

    /// A user API that answers only when `wave` requests are waiting at the same time.
    /// Then user N gets its reply after N * 3 ms, so replies come back in the order of the ids.
    async fn api(wave: usize) -> (String, Arc<Load>) {
        let load = Arc::new(Load::default());
        let barrier = Arc::new(Barrier::new(wave));
        let server_load = Arc::clone(&load);
        let addr = tokiolings_support::serve(move |path| {
            let load = Arc::clone(&server_load);
            let barrier = Arc::clone(&barrier);
            async move {
                let now = load.now.fetch_add(1, Ordering::SeqCst) + 1;
                load.peak.fetch_max(now, Ordering::SeqCst);
                barrier.wait().await;
                let id: u64 = path.trim_start_matches("/users/").parse().unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(id * 3)).await;
                load.now.fetch_sub(1, Ordering::SeqCst);
                tokiolings_support::Reply::ok(format!("user {id}"))
            }
        })
        .await;
        (format!("http://{addr}"), load)
    }

    fn client() -> Client {
        Client::builder().no_proxy().build().unwrap()
    }

    const STUCK: &str = "still waiting after 2 s: this server answers only when 3 requests \
                         are waiting at the same time, so send them concurrently";

    #[tokio::test]
    async fn three_requests_at_a_time() {
        let (base, load) = api(3).await;
        let ids: Vec<u32> = (1..=9).collect();

        let users = timeout(Duration::from_secs(2), fetch_all(&client(), &base, &ids))
            .await
            .expect(STUCK);

        assert_eq!(users.expect("every request should succeed").len(), 9);
        let peak = load.peak.load(Ordering::SeqCst);
        assert_eq!(
            peak, MAX_IN_FLIGHT,
            "{peak} requests were out at the same time, but at most {MAX_IN_FLIGHT} are allowed: \
             is each permit held until its request has finished? (`let _ = sem.acquire().await` \
             drops the permit at once; keep it in a variable like `_permit`)"
        );
    }

    /// A user API that answers user `held` only once the request for user `until` has
    /// arrived, and every other user at once.
    async fn api_holding(held: u32, until: u32) -> (String, Arc<Load>) {
        let load = Arc::new(Load::default());
        let (arrived, _) = tokio::sync::watch::channel(false);
        let arrived = Arc::new(arrived);
        let server_load = Arc::clone(&load);
        let addr = tokiolings_support::serve(move |path| {
            let load = Arc::clone(&server_load);
            let arrived = Arc::clone(&arrived);
            async move {
                let now = load.now.fetch_add(1, Ordering::SeqCst) + 1;
                load.peak.fetch_max(now, Ordering::SeqCst);
                let id: u32 = path.trim_start_matches("/users/").parse().unwrap_or(0);
                let mut seen = arrived.subscribe();
                if id == until {
                    arrived.send_replace(true);
                }
                if id == held {
                    let _ = seen.wait_for(|&arrived| arrived).await;
                }
                load.now.fetch_sub(1, Ordering::SeqCst);
                tokiolings_support::Reply::ok(format!("user {id}"))
            }
        })
        .await;
        (format!("http://{addr}"), load)
    }

    #[tokio::test]
    async fn a_slow_reply_does_not_hold_up_the_next_request() {
        // User 9 (the third id) is answered only after the request for user 4 (the fourth id)
        // has arrived. Users 7 and 2 are answered at once, which frees two of the three places.
        let (base, load) = api_holding(9, 4).await;
        let ids = [7, 2, 9, 4, 6];

        let users = timeout(Duration::from_secs(2), fetch_all(&client(), &base, &ids))
            .await
            .expect(
                "still waiting after 2 s: user 9 is answered only once the request for user 4 \
                 has arrived, and user 4 was never asked for although users 7 and 2 had already \
                 been answered. Fixed batches of 3 (e.g. `chunks(3)` + `join_all`) wait for the \
                 slowest request of each batch; start the next request as soon as any one \
                 finishes (a `Semaphore` permit per request)",
            );

        assert_eq!(
            users.expect("every request should succeed"),
            ["user 7", "user 2", "user 9", "user 4", "user 6"],
            "results should be in the order of `ids`"
        );
        assert!(
            load.peak.load(Ordering::SeqCst) <= MAX_IN_FLIGHT,
            "there should never be more than {MAX_IN_FLIGHT} requests out at the same time"
        );
    }

    #[tokio::test]
    async fn results_follow_the_order_of_ids() {
        let (base, _load) = api(3).await;
        let ids = [5, 3, 8, 1, 9, 2];

        let users = timeout(Duration::from_secs(2), fetch_all(&client(), &base, &ids))
            .await
            .expect(STUCK);

        assert_eq!(
            users.expect("every request should succeed"),
            ["user 5", "user 3", "user 8", "user 1", "user 9", "user 2"],
            "results should be in the order of `ids`, not in the order the replies came in"
        );
    }

    #[tokio::test]
    async fn fewer_ids_than_the_limit() {
        let (base, _load) = api(1).await;

        let users = timeout(Duration::from_secs(2), fetch_all(&client(), &base, &[4, 2]))
            .await
            .expect("two quick requests should finish within 2 s");

        assert_eq!(
            users.expect("both should succeed"),
            ["user 4", "user 2"],
            "results should be in the order of `ids`"
        );
    }

    #[tokio::test]
    async fn no_ids_no_requests() {
        let (base, load) = api(1).await;

        let users = timeout(Duration::from_secs(2), fetch_all(&client(), &base, &[]))
            .await
            .expect("nothing to do");

        assert!(users.expect("nothing can fail").is_empty());
        assert_eq!(load.peak.load(Ordering::SeqCst), 0, "no request was needed");
    }
}
