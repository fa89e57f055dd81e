// trap-expect: fail
// Wrong fix for status_errors: the learner thinks of a missing user (404) as "the request was
// wrong" and turns only client errors (4xx) into `Err`. A 5xx answer (the server failed) is
// still passed off as the user's data.
// `server_error_is_an_error` fails: "the server answered 500 Internal Server Error, so this
// should be an Err, but got Ok(\"database on fire\")".

use reqwest::Client;

/// Fetches user `id` from the API at `base` (e.g. "http://127.0.0.1:8080").
async fn fetch_user(client: &Client, base: &str, id: u32) -> reqwest::Result<String> {
    let response = client.get(format!("{base}/users/{id}")).send().await?;
    // "Not found" is the client asking for something wrong: make that an error.
    if response.status().is_client_error() {
        return Err(response.error_for_status().unwrap_err());
    }
    response.text().await
}

#[tokio::main]
async fn main() {
    let addr = tokiolings_support::stub(&[("/users/1", 200, "Alice")]).await;
    let base = format!("http://{addr}");
    let client = Client::new();
    for id in [1, 2] {
        match fetch_user(&client, &base, id).await {
            Ok(user) => println!("user {id}: {user}"),
            Err(e) => println!("user {id}: error {:?}: {e}", e.status()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use std::time::Duration;
    use tokio::time::timeout;

    const LIMIT: Duration = Duration::from_secs(5);

    async fn api() -> String {
        let addr = tokiolings_support::stub(&[
            ("/users/1", 200, "Alice"),
            ("/users/500", 500, "database on fire"),
            ("/users/400", 400, "bad user id"),
            ("/users/503", 503, "back in 5 minutes"),
        ])
        .await;
        format!("http://{addr}")
    }

    fn client() -> Client {
        // The tests talk to 127.0.0.1: never send that through a proxy.
        Client::builder().no_proxy().build().unwrap()
    }

    #[tokio::test]
    async fn existing_user() {
        let base = api().await;

        let user = timeout(LIMIT, fetch_user(&client(), &base, 1))
            .await
            .expect("the request should finish within 5 s");

        assert_eq!(user.expect("user 1 exists"), "Alice");
    }

    #[tokio::test]
    async fn missing_user_is_an_error() {
        let base = api().await;

        let user = timeout(LIMIT, fetch_user(&client(), &base, 999))
            .await
            .expect("the request should finish within 5 s");

        match user {
            Ok(body) => panic!(
                "user 999 does not exist, so this should be an Err, but got Ok({body:?}): \
                 the server answered 404 Not Found, and an answer is still a response"
            ),
            Err(e) => assert_eq!(
                e.status(),
                Some(StatusCode::NOT_FOUND),
                "the error should carry the 404 status"
            ),
        }
    }

    #[tokio::test]
    async fn server_error_is_an_error() {
        let base = api().await;

        let user = timeout(LIMIT, fetch_user(&client(), &base, 500))
            .await
            .expect("the request should finish within 5 s");

        match user {
            Ok(body) => panic!(
                "the server answered 500 Internal Server Error, so this should be an Err, but got Ok({body:?})"
            ),
            Err(e) => assert_eq!(e.status(), Some(StatusCode::INTERNAL_SERVER_ERROR)),
        }
    }

    #[tokio::test]
    async fn every_4xx_and_5xx_is_an_error() {
        let base = api().await;

        for (id, status) in [
            (400, StatusCode::BAD_REQUEST),
            (503, StatusCode::SERVICE_UNAVAILABLE),
        ] {
            let user = timeout(LIMIT, fetch_user(&client(), &base, id))
                .await
                .expect("the request should finish within 5 s");

            match user {
                Ok(body) => panic!(
                    "the server answered {status}, so this should be an Err, but got \
                     Ok({body:?}): every 4xx (client error) and 5xx (server error) status is a \
                     failure, not only 404 and 500"
                ),
                Err(e) => assert_eq!(e.status(), Some(status)),
            }
        }
    }

    #[tokio::test]
    async fn no_server_is_an_error_without_status() {
        let base = format!("http://{}", tokiolings_support::refused_addr());

        let user = timeout(LIMIT, fetch_user(&client(), &base, 1))
            .await
            .expect("a refused connection should fail fast");

        let e = user.expect_err("nothing listens there, so the request fails");
        assert_eq!(
            e.status(),
            None,
            "no response came back, so there is no status"
        );
    }
}
