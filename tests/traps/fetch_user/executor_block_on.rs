// trap-expect: timeout
// Wrong fix for fetch_user: the learner sees that `.text()` returns a future and, instead of
// `.await`ing it, runs it to completion with `futures::executor::block_on`. That blocks the one
// thread of the test's Tokio runtime, and reading the body needs that very runtime (its IO
// driver, and here also the stub server, which is a task on it). Nothing can make progress, so
// the in-test `timeout(5 s)` never fires either: only the grader's process timeout ends it.

/// Fetches the user data at `url` and returns the body as text.
async fn fetch_user_data(url: &str) -> reqwest::Result<String> {
    let response = futures::executor::block_on(reqwest::get(url).await?.text())?;
    Ok(response)
}

/// Turns the fetch result into one line of text for the user.
async fn describe_user(url: &str) -> String {
    match fetch_user_data(url).await {
        Ok(data) => format!("User Data: {data}"),
        Err(e) => format!("Error: {e}"),
    }
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
    use std::time::Duration;
    use tokio::time::timeout;

    const ALICE: &str = r#"{"id":1,"name":"Alice"}"#;
    const LIMIT: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn fetches_the_body() {
        let addr = tokiolings_support::stub(&[("/users/1", 200, ALICE)]).await;

        let data = timeout(LIMIT, fetch_user_data(&format!("http://{addr}/users/1")))
            .await
            .expect("the request should finish within 5 s");

        assert_eq!(
            data.expect(
                "the request should succeed (if HTTP_PROXY is set, also set NO_PROXY=127.0.0.1)"
            ),
            ALICE,
            "fetch_user_data should return the response body"
        );
    }

    #[tokio::test]
    async fn waits_for_a_slow_body() {
        // The headers come at once, the body 50 ms later.
        let addr = tokiolings_support::serve(|_path| async {
            tokiolings_support::Reply::ok(ALICE).body_after(Duration::from_millis(50))
        })
        .await;

        let data = timeout(LIMIT, fetch_user_data(&format!("http://{addr}/users/1")))
            .await
            .expect("the request should finish within 5 s");

        assert_eq!(
            data.expect("the request should succeed"),
            ALICE,
            "the whole body should be read, even when it arrives after the headers"
        );
    }

    #[tokio::test]
    async fn describes_a_user() {
        let addr = tokiolings_support::stub(&[("/users/1", 200, ALICE)]).await;

        let line = timeout(LIMIT, describe_user(&format!("http://{addr}/users/1")))
            .await
            .expect("the request should finish within 5 s");

        assert_eq!(line, format!("User Data: {ALICE}"));
    }

    #[tokio::test]
    async fn unreachable_server_gives_an_error_line() {
        // Nothing listens on this port, so the connection is refused.
        let addr = tokiolings_support::refused_addr();

        let data = timeout(LIMIT, fetch_user_data(&format!("http://{addr}/users/1")))
            .await
            .expect("a refused connection should fail fast");
        let line = timeout(LIMIT, describe_user(&format!("http://{addr}/users/1")))
            .await
            .expect("a refused connection should fail fast");

        assert!(
            data.is_err(),
            "fetch_user_data should return Err when it cannot connect"
        );
        assert!(
            line.starts_with("Error: "),
            "describe_user should turn the error into a line starting with \"Error: \"; got {line:?}"
        );
    }
}
