// trap-expect: fail
// Wrong fix for 02_concurrency/actor_oneshot: the learner fixes `get`, and in the manager answers
// with `resp.send(..).unwrap()`, treating a failed send as a bug. But `send` fails whenever that
// client stopped waiting (its call was dropped by a `timeout` or a lost `select!` branch), and
// then the unwrap panics the manager, the one task every client depends on.
// `a_client_that_stops_waiting_does_not_stop_the_manager` says "the manager task ended when a
// client stopped waiting for its answer".

use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// What a client can ask the manager. Each command carries the sender half of a oneshot
/// channel: the manager's answer goes back through it to exactly that client.
#[derive(Debug)]
pub enum Command {
    /// Add `by` to `key`, answer with the new total.
    Incr {
        key: String,
        by: u64,
        resp: oneshot::Sender<u64>,
    },
    /// Answer with the current total of `key`, or `None` if it was never incremented.
    Get {
        key: String,
        resp: oneshot::Sender<Option<u64>>,
    },
}

/// A handle to the counter manager. Cheap to clone: every clone sends to the same task.
#[derive(Clone)]
pub struct Counter {
    tx: mpsc::Sender<Command>,
}

impl Counter {
    /// Starts the manager task. Its `JoinHandle` gives back the final counts once every
    /// `Counter` handle is gone.
    pub fn start() -> (Counter, JoinHandle<HashMap<String, u64>>) {
        let (tx, rx) = mpsc::channel(32);
        (Counter { tx }, tokio::spawn(manager(rx)))
    }

    pub async fn incr(&self, key: &str, by: u64) -> u64 {
        let (resp, answer) = oneshot::channel();
        let cmd = Command::Incr {
            key: key.to_string(),
            by,
            resp,
        };
        self.tx.send(cmd).await.expect("the manager is gone");
        answer.await.expect("the manager dropped the responder")
    }

    pub async fn get(&self, key: &str) -> Option<u64> {
        let (resp, answer) = oneshot::channel();
        let cmd = Command::Get {
            key: key.to_string(),
            resp,
        };
        self.tx.send(cmd).await.expect("the manager is gone");
        answer.await.expect("the manager dropped the responder")
    }
}

/// The manager: the only code that ever touches `counts`, so no lock is needed.
async fn manager(mut rx: mpsc::Receiver<Command>) -> HashMap<String, u64> {
    let mut counts: HashMap<String, u64> = HashMap::new();
    while let Some(cmd) = rx.recv().await {
        match cmd {
            Command::Incr { key, by, resp } => {
                let total = counts.entry(key).or_default();
                *total += by;
                // The client may have stopped waiting; that is not the manager's problem.
                let _ = resp.send(*total);
            }
            Command::Get { key, resp } => {
                resp.send(counts.get(&key).copied()).unwrap();
            }
        }
    }
    counts
}

#[tokio::main]
async fn main() {
    let (counter, manager) = Counter::start();
    counter.incr("apples", 3).await;
    counter.incr("apples", 2).await;
    println!("apples: {:?}", counter.get("apples").await);
    println!("pears: {:?}", counter.get("pears").await);
    drop(counter);
    println!("final counts: {:?}", manager.await.unwrap());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::time::Duration;
    use tokio::time::timeout;

    // Runs one client call in its own task, so a hang or a panic becomes a failure that says
    // what went wrong. The clock is paused: if nothing can make progress, the runtime is idle
    // and the clock jumps straight to the 60 s deadline.
    async fn ask<T: Send + 'static>(
        call: impl Future<Output = T> + Send + 'static,
        what: &str,
    ) -> T {
        match timeout(Duration::from_secs(60), tokio::spawn(call)).await {
            Err(_) => panic!(
                "{what} never got its answer. Does the client await the reply before the \
                 command has even been sent? Send first, then await the oneshot receiver."
            ),
            Ok(Err(e)) => panic!(
                "{what} panicked ({e}). Did the manager drop the oneshot responder without \
                 answering, or did the client give up on the reply instead of awaiting it?"
            ),
            Ok(Ok(answer)) => answer,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn incr_answers_with_the_running_total() {
        let (counter, _manager) = Counter::start();
        let c = counter.clone();
        assert_eq!(ask(async move { c.incr("a", 2).await }, "incr").await, 2);
        let c = counter.clone();
        assert_eq!(ask(async move { c.incr("a", 3).await }, "incr").await, 5);
    }

    #[tokio::test(start_paused = true)]
    async fn get_answers_with_the_current_total() {
        let (counter, _manager) = Counter::start();
        let c = counter.clone();
        ask(async move { c.incr("a", 7).await }, "incr").await;
        let c = counter.clone();
        assert_eq!(
            ask(async move { c.get("a").await }, "get(\"a\")").await,
            Some(7),
            "after incr(\"a\", 7), get(\"a\") should answer Some(7)"
        );
        let c = counter.clone();
        assert_eq!(
            ask(async move { c.get("b").await }, "get(\"b\")").await,
            None,
            "\"b\" was never incremented, so get(\"b\") should answer None"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn many_clients_share_one_manager() {
        let (counter, _manager) = Counter::start();
        let mut clients = Vec::new();
        for _ in 0..10 {
            let c = counter.clone();
            clients.push(tokio::spawn(async move {
                for _ in 0..50 {
                    c.incr("hits", 1).await;
                }
            }));
        }
        for client in clients {
            client.await.expect("a client panicked");
        }
        let c = counter.clone();
        assert_eq!(
            ask(async move { c.get("hits").await }, "get(\"hits\")").await,
            Some(500),
            "10 clients each added 1 fifty times"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn commands_are_answered_in_the_order_they_were_sent() {
        let (counter, _manager) = Counter::start();
        // Poll an `incr` and then a `get` once by hand: both commands are now sent, and the
        // manager task has not run yet.
        let mut first = tokio_test::task::spawn(counter.incr("a", 5));
        assert!(
            first.poll().is_pending(),
            "incr() had its answer before the manager task ever ran. Is the map shared behind \
             a lock instead of owned by the manager? In an actor only the manager touches the \
             state, and a client waits for its reply"
        );
        let mut second = tokio_test::task::spawn(counter.get("a"));
        if let std::task::Poll::Ready(answer) = second.poll() {
            panic!(
                "get(\"a\") answered {answer:?} before the manager task ever ran, ignoring the \
                 incr(\"a\", 5) sent before it. Did get read the map itself (behind a lock) \
                 instead of sending its command to the manager, which handles commands one by \
                 one, in the order they arrive?"
            );
        }
        // Now let the manager run.
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            first.poll(),
            std::task::Poll::Ready(5),
            "incr(\"a\", 5) was sent first, so the manager should have answered it"
        );
        assert_eq!(
            second.poll(),
            std::task::Poll::Ready(Some(5)),
            "get(\"a\") was sent after incr(\"a\", 5), so the manager should answer Some(5)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_stops_waiting_does_not_stop_the_manager() {
        let (counter, manager) = Counter::start();
        // Poll a `get` once by hand: its command is sent, then the client gives up and drops the
        // call before the answer comes (as a `timeout` or a lost `select!` branch would).
        let mut impatient = tokio_test::task::spawn(counter.get("a"));
        assert!(
            impatient.poll().is_pending(),
            "get() had its answer before the manager task ever ran: does it read the state \
             itself instead of asking the manager?"
        );
        drop(impatient);
        tokio::task::yield_now().await;
        assert!(
            !manager.is_finished(),
            "the manager task ended when a client stopped waiting for its answer. \
             `oneshot::Sender::send` fails when the receiver is gone; for the manager that is \
             not an error (ignore it with `let _ =`), it must keep serving the other clients"
        );
        let c = counter.clone();
        assert_eq!(ask(async move { c.incr("a", 1).await }, "incr").await, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_manager_hands_back_the_counts_when_every_handle_is_gone() {
        let (counter, manager) = Counter::start();
        let c = counter.clone();
        ask(async move { c.incr("x", 4).await }, "incr").await;
        drop(counter);
        let counts = timeout(Duration::from_secs(60), manager)
            .await
            .expect("the manager never stopped, though every Counter handle is gone")
            .expect("the manager panicked");
        assert_eq!(counts.get("x"), Some(&4), "the manager's final counts");
    }
}
