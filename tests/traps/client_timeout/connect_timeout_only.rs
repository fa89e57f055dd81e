// trap-expect: fail
// Wrong fix for client_timeout: the learner finds `connect_timeout` in the `ClientBuilder` docs
// ("a timeout, that's it"). But it only limits setting up the TCP connection. The silent test
// server accepts the connection at once and then never answers, so the request still waits
// forever.
// `silent_server_times_out` fails: "still waiting after 2 s: the client has no timeout, so it
// would wait forever".

use std::time::Duration;

use reqwest::Client;

/// Every request may take at most this long, from sending it to the end of the body.
const REQUEST_TIMEOUT: Duration = Duration::from_millis(200);

fn build_client() -> Client {
    Client::builder()
        .no_proxy() // this course only talks to 127.0.0.1
        // Give up if the server does not answer in time.
        .connect_timeout(REQUEST_TIMEOUT)
        .build()
        .expect("the client settings are valid")
}

async fn fetch(client: &Client, url: &str) -> reqwest::Result<String> {
    client.get(url).send().await?.text().await
}

#[tokio::main]
async fn main() {
    let client = build_client();
    let addr = tokiolings_support::silent().await;
    let start = std::time::Instant::now();
    match fetch(&client, &format!("http://{addr}/slow")).await {
        Ok(body) => println!("got {body:?}"),
        Err(e) => println!("gave up after {:?}: {e}", start.elapsed()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;
    use tokio::time::timeout;

    #[tokio::test]
    async fn fast_server_still_works() {
        let addr = tokiolings_support::stub(&[("/users/1", 200, "Alice")]).await;

        let body = timeout(
            Duration::from_secs(5),
            fetch(&build_client(), &format!("http://{addr}/users/1")),
        )
        .await
        .expect("the request should finish within 5 s");

        assert_eq!(body.expect("a fast reply is fine"), "Alice");
    }

    #[tokio::test]
    async fn silent_server_times_out() {
        // This server accepts the connection and never answers.
        let addr = tokiolings_support::silent().await;
        let start = Instant::now();

        let result = timeout(
            Duration::from_secs(2),
            fetch(&build_client(), &format!("http://{addr}/slow")),
        )
        .await
        .expect("still waiting after 2 s: the client has no timeout, so it would wait forever");

        let err = result.expect_err("a server that never answers should give an error");
        assert!(
            err.is_timeout(),
            "the error should be a timeout; got {err:?}"
        );
        let waited = start.elapsed();
        assert!(
            waited >= REQUEST_TIMEOUT && waited < Duration::from_secs(1),
            "the client should give up after about {REQUEST_TIMEOUT:?}, not after {waited:?}"
        );
    }

    #[tokio::test]
    async fn slow_body_times_out_too() {
        // The headers come at once, but the body would take 3 s.
        let addr = tokiolings_support::serve(|_path| async {
            tokiolings_support::Reply::ok("late").body_after(Duration::from_secs(3))
        })
        .await;

        let result = timeout(
            Duration::from_secs(2),
            fetch(&build_client(), &format!("http://{addr}/slow-body")),
        )
        .await
        .expect("still waiting after 2 s: the client has no timeout, so it would wait forever");

        let err = result.expect_err("a body that takes 3 s should give an error");
        assert!(
            err.is_timeout(),
            "the timeout covers the whole request, body included; got {err:?}"
        );
    }

    #[tokio::test]
    async fn trickling_body_times_out_too() {
        // The body keeps coming, a little every 60 ms, for 960 ms in all. No single read waits
        // long, but the whole request takes far longer than REQUEST_TIMEOUT.
        let addr = tokiolings_support::trickle(&["ab"; 16], Duration::from_millis(60)).await;
        let start = Instant::now();

        let result = timeout(
            Duration::from_secs(2),
            fetch(&build_client(), &format!("http://{addr}/trickle")),
        )
        .await
        .expect("still waiting after 2 s: the client has no timeout for the whole request");

        let waited = start.elapsed();
        match result {
            Ok(body) => panic!(
                "got the whole body ({} bytes) after {waited:?}, although every request may \
                 take at most {REQUEST_TIMEOUT:?}: the deadline must cover the whole request \
                 (a timeout per read, `read_timeout`, never fires while bytes keep trickling in)",
                body.len()
            ),
            Err(err) => assert!(
                err.is_timeout() && waited < Duration::from_millis(700),
                "the client should give up after about {REQUEST_TIMEOUT:?} with a timeout \
                 error, not after {waited:?} with {err:?}"
            ),
        }
    }
}
