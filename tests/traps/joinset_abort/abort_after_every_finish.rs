// trap-expect: fail
// Wrong fix for 02_concurrency/joinset_abort: the learner aborts the other downloads as soon as
// `select_all` gives back the first one to finish, before looking at whether it delivered. When
// the first to finish is a FAILED mirror, the good ones are already cancelled, and the loop then
// awaits their handles: `Err(JoinError::Cancelled)`, which `expect` turns into a panic
// ("a download panicked: JoinError::Cancelled") in `a_failed_mirror_does_not_win`. Abort the
// rest only once there is a winner.

use futures::future::select_all;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One mirror to download from: after `delay`, it either delivers (`ok`) or fails.
#[derive(Clone, Copy, Debug)]
pub struct Mirror {
    pub name: &'static str,
    pub delay: Duration,
    pub ok: bool,
}

/// Every download that ran to its end writes its mirror's name here.
pub type Finished = Arc<Mutex<Vec<&'static str>>>;

async fn download(mirror: Mirror, finished: Finished) -> Result<&'static str, String> {
    tokio::time::sleep(mirror.delay).await;
    finished.lock().unwrap().push(mirror.name);
    if mirror.ok {
        Ok(mirror.name)
    } else {
        Err(format!("{} failed", mirror.name))
    }
}

/// Starts a download from every mirror at once and returns the name of the first one that
/// delivers, or `None` if they all fail. When it returns, no download may still be running.
pub async fn fastest(mirrors: &[Mirror], finished: Finished) -> Option<&'static str> {
    let mut pending = Vec::new();
    for &mirror in mirrors {
        pending.push(tokio::spawn(download(mirror, Arc::clone(&finished))));
    }
    while !pending.is_empty() {
        // `select_all` waits for the first of the handles, and gives back the others.
        let (result, _index, rest) = select_all(pending).await;
        // The race is decided: stop the others.
        for other in &rest {
            other.abort();
        }
        if let Ok(name) = result.expect("a download panicked") {
            return Some(name);
        }
        pending = rest;
    }
    None
}

#[tokio::main]
async fn main() {
    let mirrors = [
        Mirror {
            name: "eu",
            delay: Duration::from_millis(300),
            ok: true,
        },
        Mirror {
            name: "us",
            delay: Duration::from_millis(100),
            ok: false,
        },
        Mirror {
            name: "asia",
            delay: Duration::from_millis(200),
            ok: true,
        },
    ];
    let finished = Finished::default();
    println!(
        "fastest: {:?}",
        fastest(&mirrors, Arc::clone(&finished)).await
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!(
        "downloads that ran to the end: {:?}",
        finished.lock().unwrap()
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::{Instant, timeout};

    fn mirror(name: &'static str, secs: u64, ok: bool) -> Mirror {
        Mirror {
            name,
            delay: Duration::from_secs(secs),
            ok,
        }
    }

    // Runs `fastest` in its own task on the paused clock, and says how long it took.
    async fn race(mirrors: Vec<Mirror>, finished: Finished) -> (Option<&'static str>, Duration) {
        let start = Instant::now();
        let winner = timeout(
            Duration::from_secs(60),
            tokio::spawn(async move { fastest(&mirrors, finished).await }),
        )
        .await
        .expect("fastest never returned")
        .unwrap_or_else(|e| {
            panic!(
                "fastest panicked ({e}). Awaiting a task you aborted gives `Err(JoinError)` \
                 whose `is_cancelled()` is true: that is expected, not a bug to unwrap"
            )
        });
        (winner, start.elapsed())
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_mirror_to_deliver_wins_as_soon_as_it_delivers() {
        let finished = Finished::default();
        let mirrors = vec![
            mirror("a", 3, true),
            mirror("b", 1, true),
            mirror("c", 2, true),
        ];
        let (winner, took) = race(mirrors, finished).await;
        assert_eq!(
            winner,
            Some("b"),
            "b delivers first (after 1 s): are the downloads awaited in the order they are \
             listed instead of the order they finish?"
        );
        assert_eq!(
            took,
            Duration::from_secs(1),
            "fastest should return the moment the first mirror delivers, not wait for the others"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_losers_are_cancelled_not_left_running() {
        let finished = Finished::default();
        let mirrors = vec![
            mirror("a", 3, true),
            mirror("b", 1, true),
            mirror("c", 2, true),
        ];
        race(mirrors, Arc::clone(&finished)).await;
        let at_return = finished.lock().unwrap().clone();
        // Give any download still running plenty of time to finish.
        tokio::time::sleep(Duration::from_secs(10)).await;
        let later = finished.lock().unwrap().clone();
        assert_eq!(
            later, at_return,
            "downloads kept running after fastest returned. Dropping a JoinHandle does NOT \
             cancel its task, it only detaches it: abort the losers (or keep them in a JoinSet, \
             which aborts what is left when dropped)"
        );
        assert_eq!(
            at_return,
            ["b"],
            "fastest let every download run to its end before it returned: once one mirror \
             has delivered, the others are not needed any more"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_mirror_does_not_win() {
        let finished = Finished::default();
        let mirrors = vec![mirror("broken", 1, false), mirror("slow", 2, true)];
        let (winner, took) = race(mirrors, finished).await;
        assert_eq!(winner, Some("slow"), "a mirror that fails is not an answer");
        assert_eq!(took, Duration::from_secs(2), "slow delivers after 2 s");
    }

    #[tokio::test(start_paused = true)]
    async fn when_every_mirror_fails_there_is_no_winner() {
        let finished = Finished::default();
        let mirrors = vec![mirror("x", 1, false), mirror("y", 2, false)];
        let (winner, took) = race(mirrors, finished).await;
        assert_eq!(winner, None, "every mirror failed");
        assert_eq!(
            took,
            Duration::from_secs(2),
            "the last failure comes after 2 s"
        );
    }
}
