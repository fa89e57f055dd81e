// trap-expect: fail
// Wrong fix for 08_async_await_flow/lazy_futures: the learner knows `tokio::spawn` starts a task
// at once, but awaits its `JoinHandle` on the same line. The task does start right away, and
// this task then waits for it to finish before it loads the profile: 3 s again, and
// `dashboard_opens_in_two_seconds` fails. Spawn first, do the other work, await the handle last.

// lazy_futures: calling an async fn starts nothing, not even "in the background".
//
// Futures are lazy. Calling an async fn does not run it: it only builds a `Future` value, and the
// code inside runs when something polls that future: `.await`, `join!`, or the runtime once you
// hand the future to `tokio::spawn`. (In JavaScript, calling an async function starts it at
// once. In Rust it doesn't.) So a future you are holding but haven't awaited yet is not making
// progress anywhere.
//
// `open_dashboard` needs the user's profile (1 s) and a report that takes 2 s to build. To save
// time it calls `build_report` first, "so that the report is built while the profile loads",
// and awaits it at the end. Yet the dashboard takes 3 s.
//
// TODO: make the report really start before the profile loads, so that the dashboard opens in
// 2 s (as long as the slower part), with both parts.

use tokio::time::{Duration, sleep};

#[derive(Debug, PartialEq)]
pub struct Dashboard {
    pub profile: String,
    pub report: String,
}

/// Loads the user's profile (a 1 s network call).
async fn load_profile(user: u32) -> String {
    sleep(Duration::from_secs(1)).await;
    format!("profile of user {user}")
}

/// Builds the user's report: four sections, each 500 ms of waiting on a slow service (2 s).
async fn build_report(user: u32) -> String {
    for _section in 0..4 {
        sleep(Duration::from_millis(500)).await;
    }
    format!("report for user {user}")
}

pub async fn open_dashboard(user: u32) -> Dashboard {
    let report = tokio::spawn(build_report(user))
        .await
        .expect("building the report panicked");
    let profile = load_profile(user).await;
    Dashboard { profile, report }
}

#[tokio::main]
async fn main() {
    let start = tokio::time::Instant::now();
    let dashboard = open_dashboard(7).await;
    println!("{dashboard:?} after {:?}", start.elapsed());
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn dashboard_has_both_parts() {
        assert_eq!(
            open_dashboard(7).await,
            Dashboard {
                profile: "profile of user 7".to_string(),
                report: "report for user 7".to_string(),
            },
            "the dashboard shows user 7's profile and report"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn dashboard_opens_in_two_seconds() {
        let start = Instant::now();
        open_dashboard(7).await;
        let took = start.elapsed();
        let why = if took < Duration::from_secs(2) {
            "That is less than the report alone takes on this runtime's clock: was the report \
             built outside this runtime (a thread or a runtime of its own, whose `join()` blocks \
             this task while the clock stands still)? `tokio::spawn` hands it to this runtime"
        } else if took < Duration::from_secs(3) {
            "The report made some progress early, then stalled: a future only runs while \
             something polls it, and polling it once (`poll!`, `now_or_never`) runs it to its \
             first .await only. Something has to keep polling it while the profile loads"
        } else {
            "3 s means one after the other: calling build_report() only built a future, and it \
             started running at its .await, after the profile. Something has to poll it from \
             the start"
        };
        assert_eq!(
            took,
            Duration::from_secs(2),
            "open_dashboard took {took:?}, but the report (2 s) should be built while the \
             profile (1 s) loads. {why}"
        );
    }
}
