// The Tokio explainer's real-world example: fetch data over HTTP with `reqwest`, the async way.
//
//     let response = reqwest::get(url).await?.text().await?;
//
// Sending the request and reading the body are two separate waits, so there are two futures:
// `reqwest::get(url)` resolves to the response (status and headers), and `.text()` resolves to
// the body. Each can fail, so each gets its own `?`.
//
// Fix the two TODOs. (The tests run a tiny HTTP server on 127.0.0.1; nothing goes to the
// internet.)

/// Fetches the user data at `url` and returns the body as text.
async fn fetch_user_data(url: &str) -> reqwest::Result<String> {
    // TODO: `.text()` gives a future too. Wait for it before using `?` on its result.
    let response = reqwest::get(url).await?.text()?;
    Ok(response)
}

/// Turns the fetch result into one line of text for the user.
async fn describe_user(url: &str) -> String {
    // TODO: `?` only works in a function that returns a `Result` (or an `Option`), and this one
    // returns a `String`. Handle both outcomes with `match`: "User Data: {data}" on success,
    // "Error: {e}" on failure.
    let data = fetch_user_data(url).await?;
    format!("User Data: {data}")
}

#[tokio::main]
async fn main() {
    // No internet needed: serve a fake user API on this machine.
    let addr = tokiolings_support::stub(&[("/users/1", 200, r#"{"id":1,"name":"Alice"}"#)]).await;
    println!("{}", describe_user(&format!("http://{addr}/users/1")).await);
    let nobody = tokiolings_support::refused_addr();
    println!(
        "{}",
        describe_user(&format!("http://{nobody}/users/1")).await
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::RecvTimeoutError;
    use std::time::Duration;

    const ALICE: &str = r#"{"id":1,"name":"Alice"}"#;

    /// Runs `test` on a one-thread Tokio runtime in a thread of its own, and fails if it has not
    /// finished after 2 s of real time (every request here takes milliseconds). A `timeout`
    /// inside the runtime would not do: if something blocks the runtime's only thread, no timer
    /// fires either.
    fn run<F, Fut>(test: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(test());
            let _ = done_tx.send(());
        });
        match done_rx.recv_timeout(Duration::from_secs(2)) {
            Ok(()) => {}
            // The test panicked: fail with its message.
            Err(RecvTimeoutError::Disconnected) => {
                std::panic::resume_unwind(thread.join().unwrap_err())
            }
            Err(RecvTimeoutError::Timeout) => panic!(
                "no result after 2 s, though a request to 127.0.0.1 takes milliseconds: \
                 something blocks the runtime's only thread, so neither the connection nor the \
                 test server can make progress (`futures::executor::block_on` inside async code \
                 does that). Just `.await` each future"
            ),
        }
    }

    #[test]
    fn fetches_the_body() {
        run(|| async {
            let addr = tokiolings_support::stub(&[("/users/1", 200, ALICE)]).await;

            let data = fetch_user_data(&format!("http://{addr}/users/1")).await;

            assert_eq!(
                data.expect(
                    "the request should succeed (if HTTP_PROXY is set, also set NO_PROXY=127.0.0.1)"
                ),
                ALICE,
                "fetch_user_data should return the response body"
            );
        });
    }

    #[test]
    fn waits_for_a_slow_body() {
        run(|| async {
            // The headers come at once, the body 50 ms later.
            let addr = tokiolings_support::serve(|_path| async {
                tokiolings_support::Reply::ok(ALICE).body_after(Duration::from_millis(50))
            })
            .await;

            let data = fetch_user_data(&format!("http://{addr}/users/1")).await;

            assert_eq!(
                data.expect("the request should succeed"),
                ALICE,
                "the whole body should be read, even when it arrives after the headers"
            );
        });
    }

    #[test]
    fn describes_a_user() {
        run(|| async {
            let addr = tokiolings_support::stub(&[("/users/1", 200, ALICE)]).await;

            let line = describe_user(&format!("http://{addr}/users/1")).await;

            assert_eq!(line, format!("User Data: {ALICE}"));
        });
    }

    #[test]
    fn unreachable_server_gives_an_error_line() {
        run(|| async {
            // Nothing listens on this port, so the connection is refused.
            let addr = tokiolings_support::refused_addr();

            let data = fetch_user_data(&format!("http://{addr}/users/1")).await;
            let line = describe_user(&format!("http://{addr}/users/1")).await;

            let e = data.expect_err("fetch_user_data should return Err when it cannot connect");
            assert_eq!(
                line,
                format!("Error: {e}"),
                "describe_user should turn the error into \"Error: {{e}}\", not into user data"
            );
        });
    }
}
