// trap-expect: fail
// Wrong fix for pubsub_shutdown: `shutdown` cancels the token and returns, without `close()` and
// `wait()` on the tracker ("the subscribers will stop on their own"). They will, a little later,
// but `shutdown` promises that when it returns every subscriber *has finished*: whoever calls it
// may rely on their reports or drop what they use. Cancelling only asks; waiting makes sure.
// `shutdown_stops_idle_subscribers` fails: "after shutdown, every subscriber task has finished:
// cancelling the token only asks them to stop; `shutdown` must also wait for them".

use tokio::sync::broadcast::{self, error::RecvError};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// What one subscriber saw before it stopped.
#[derive(Debug, Default, PartialEq)]
struct Report {
    received: Vec<String>,
    /// Messages that were overwritten before this subscriber could read them.
    missed: u64,
}

/// A publish/subscribe hub: every message goes to every subscriber.
struct Hub {
    tx: broadcast::Sender<String>,
    token: CancellationToken,
    tracker: TaskTracker,
}

impl Hub {
    /// Each subscriber can fall at most `capacity` messages behind.
    fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity);
        Hub {
            tx,
            token: CancellationToken::new(),
            tracker: TaskTracker::new(),
        }
    }

    /// Starts a subscriber task that gets every message published from now on.
    fn subscribe(&self) -> JoinHandle<Report> {
        let rx = self.tx.subscribe();
        self.tracker.spawn(subscriber(rx, self.token.clone()))
    }

    /// Sends `msg` to every subscriber. Returns how many subscribers there are.
    fn publish(&self, msg: &str) -> usize {
        self.tx.send(msg.to_string()).unwrap_or(0)
    }

    /// Stops every subscriber, then waits until all of them have finished.
    async fn shutdown(&self) {
        // Every subscriber listens to the token: telling them is enough.
        self.token.cancel();
    }
}

async fn subscriber(mut rx: broadcast::Receiver<String>, token: CancellationToken) -> Report {
    let mut report = Report::default();
    loop {
        tokio::select! {
            _ = token.cancelled() => break,
            msg = rx.recv() => match msg {
                Ok(msg) => report.received.push(msg),
                Err(RecvError::Lagged(n)) => report.missed += n,
                Err(RecvError::Closed) => break,
            },
        }
    }
    report
}

#[tokio::main]
async fn main() {
    let hub = Hub::new(4);
    let reader = hub.subscribe();
    // Ten messages in a row: the subscriber cannot keep up, and only the last 4 still fit.
    for i in 1..=10 {
        hub.publish(&format!("news {i}"));
    }
    // Give the subscriber a moment to read what is left, then shut down.
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    hub.shutdown().await;
    println!("{:?}", reader.await.unwrap());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::RecvTimeoutError;
    use std::time::Duration;
    use tokio::time::{Instant, sleep, timeout};

    const STUCK: &str = "shutdown did not finish within 5 s: cancel the token, \
                         and make every subscriber stop when it is cancelled";

    fn messages(range: std::ops::RangeInclusive<u32>) -> Vec<String> {
        range.map(|i| format!("m{i}")).collect()
    }

    /// Runs `test` on a one-thread runtime with a paused clock, in a thread of its own, and
    /// fails if it has not finished after 2 s of real time. (The tests wait only a few ms of
    /// Tokio time. If a task never gives the runtime its thread back, no timer can fire, so a
    /// `timeout` inside the runtime would not help.)
    fn run<F, Fut>(test: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
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
                "the test did not finish within 2 s of real time, though it waits only a few ms \
                 of Tokio time: a task never gives the runtime its thread back. A subscriber \
                 must wait with `.await` (`select!` on `rx.recv()` and `token.cancelled()`), \
                 not check again and again in a loop (`try_recv`, `is_cancelled`)"
            ),
        }
    }

    #[test]
    fn every_subscriber_gets_every_message() {
        run(|| async {
            let hub = Hub::new(16);
            let first = hub.subscribe();
            let second = hub.subscribe();

            for msg in messages(1..=3) {
                assert_eq!(hub.publish(&msg), 2, "two subscribers are listening");
            }
            sleep(Duration::from_millis(1)).await; // let the subscribers catch up
            timeout(Duration::from_secs(5), hub.shutdown())
                .await
                .expect(STUCK);

            for handle in [first, second] {
                let report = handle.await.expect("the subscriber task should not panic");
                assert_eq!(
                    report,
                    Report {
                        received: messages(1..=3),
                        missed: 0
                    }
                );
            }
        });
    }

    #[test]
    fn slow_subscriber_skips_ahead() {
        run(|| async {
            let hub = Hub::new(4);
            let slow = hub.subscribe();

            // Ten messages before the subscriber gets to run: only the last 4 still fit.
            for msg in messages(0..=9) {
                hub.publish(&msg);
            }
            sleep(Duration::from_millis(1)).await;
            timeout(Duration::from_secs(5), hub.shutdown())
                .await
                .expect(STUCK);

            let report = slow.await.expect("the subscriber task should not panic");
            assert_eq!(
                report,
                Report {
                    received: messages(6..=9),
                    missed: 6
                },
                "a subscriber that fell behind should count what it missed (6) and keep receiving"
            );
        });
    }

    #[test]
    fn missed_messages_add_up() {
        run(|| async {
            let hub = Hub::new(2);
            let slow = hub.subscribe();

            // Falls behind twice: 5 messages where 2 fit (3 missed), then 4 more (2 missed).
            for msg in messages(1..=5) {
                hub.publish(&msg);
            }
            sleep(Duration::from_millis(1)).await;
            for msg in messages(6..=9) {
                hub.publish(&msg);
            }
            sleep(Duration::from_millis(1)).await;
            timeout(Duration::from_secs(5), hub.shutdown())
                .await
                .expect(STUCK);

            let report = slow.await.expect("the subscriber task should not panic");
            assert_eq!(
                report,
                Report {
                    received: vec!["m4".into(), "m5".into(), "m8".into(), "m9".into()],
                    missed: 5
                },
                "the subscriber fell behind twice, missing 3 and then 2 messages: `Lagged(n)` \
                 tells how many were missed this time, so add every n up (3 + 2 = 5)"
            );
        });
    }

    #[test]
    fn subscriber_stops_when_the_hub_is_gone() {
        run(|| async {
            let hub = Hub::new(16);
            let subscriber = hub.subscribe();
            hub.publish("m1");

            // No shutdown: the hub (and with it the only sender) just goes away.
            drop(hub);
            for _ in 0..100 {
                if subscriber.is_finished() {
                    break;
                }
                tokio::task::yield_now().await;
            }

            assert!(
                subscriber.is_finished(),
                "the hub is gone, so no message can ever come: `recv()` gives `Err(Closed)`, and \
                 the subscriber should stop then (not go round and round its loop)"
            );
            assert_eq!(
                subscriber
                    .await
                    .expect("the subscriber task should not panic"),
                Report {
                    received: messages(1..=1),
                    missed: 0
                },
                "the message sent before the hub went away is still delivered"
            );
        });
    }

    #[test]
    fn shutdown_stops_idle_subscribers() {
        run(|| async {
            let hub = Hub::new(16);
            let handles: Vec<_> = (0..3).map(|_| hub.subscribe()).collect();
            sleep(Duration::from_millis(1)).await; // all three are now waiting for messages
            let start = Instant::now();

            timeout(Duration::from_secs(5), hub.shutdown())
                .await
                .expect(STUCK);

            assert_eq!(
                start.elapsed(),
                Duration::ZERO,
                "idle subscribers should stop at once"
            );
            for handle in handles {
                assert!(
                    handle.is_finished(),
                    "after shutdown, every subscriber task has finished: cancelling the token only \
                     asks them to stop; `shutdown` must also wait for them (`close()` the tracker, \
                     then `wait()`)"
                );
                let report = handle.await.expect("the subscriber task should not panic");
                assert_eq!(report, Report::default(), "nothing was published");
            }
        });
    }

    #[test]
    fn nobody_listens_after_shutdown() {
        run(|| async {
            let hub = Hub::new(16);
            let _subscriber = hub.subscribe();
            sleep(Duration::from_millis(1)).await;

            timeout(Duration::from_secs(5), hub.shutdown())
                .await
                .expect(STUCK);

            assert_eq!(
                hub.publish("anyone?"),
                0,
                "the subscribers are gone, so nobody gets this"
            );
        });
    }
}
