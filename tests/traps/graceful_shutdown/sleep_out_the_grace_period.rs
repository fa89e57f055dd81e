// trap-expect: fail
// Wrong fix for 09_real_world/graceful_shutdown: the learner reads "grace period" as "wait that
// long": after the signal it sleeps for `grace`, then collects what finished and aborts the rest.
// Nothing is lost, but every shutdown now takes the full 5 s, even with nothing left to wait for.
// The tests say "nothing was running when the signal came, so serve should return at once" and
// "the last request in flight ends 1.5 s after the signal: serve should return then, not (..)
// later (sleeping out the whole grace period)".

use std::future::Future;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// What happened to the requests that were accepted.
#[derive(Debug, PartialEq)]
pub struct Summary {
    /// Requests that ran to their end.
    pub served: usize,
    /// Requests still running when the grace period ran out.
    pub aborted: usize,
}

/// One connection: reads a request `work N`, works for N seconds, answers `done N`.
async fn handle(conn: DuplexStream) -> std::io::Result<()> {
    let mut conn = BufReader::new(conn);
    let mut request = String::new();
    conn.read_line(&mut request).await?;
    let secs: u64 = request
        .trim()
        .strip_prefix("work ")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    tokio::time::sleep(Duration::from_secs(secs)).await;
    conn.write_all(format!("done {secs}\n").as_bytes()).await
}

/// Serves every connection that arrives on `listener` until `shutdown` completes. Then it stops
/// accepting, lets the requests in flight finish for at most `grace`, aborts the rest, and
/// returns.
pub async fn serve<S: Future<Output = ()>>(
    mut listener: mpsc::Receiver<DuplexStream>,
    shutdown: S,
    grace: Duration,
) -> Summary {
    let mut in_flight = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            conn = listener.recv() => match conn {
                Some(conn) => {
                    in_flight.spawn(handle(conn));
                }
                None => break,
            },
        }
    }
    drop(listener);
    // Give the requests in flight their grace period.
    tokio::time::sleep(grace).await;
    let mut served = 0;
    while in_flight.try_join_next().is_some() {
        served += 1;
    }
    let aborted = in_flight.len();
    in_flight.shutdown().await;
    Summary { served, aborted }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let (connect, listener) = mpsc::channel(16);
    // Here the "Ctrl-C" comes after 2 s; see the note at the top for the real thing.
    let shutdown = tokio::time::sleep(Duration::from_secs(2));
    let server = tokio::spawn(serve(listener, shutdown, Duration::from_secs(5)));
    for secs in [1, 3, 30] {
        let (mut client, server_end) = tokio::io::duplex(64);
        connect.send(server_end).await.unwrap();
        client
            .write_all(format!("work {secs}\n").as_bytes())
            .await
            .unwrap();
        // Keep the client side open until its answer comes.
        tokio::spawn(async move {
            let mut answer = String::new();
            let _ = BufReader::new(client).read_line(&mut answer).await;
        });
    }
    println!("{:?}", server.await.unwrap());
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::oneshot;
    use tokio::task::JoinHandle;
    use tokio::time::{Instant, sleep, timeout};

    const GRACE: Duration = Duration::from_secs(5);

    // The clock is paused: every sleep below costs nothing, and the times are exact.
    struct Harness {
        connect: mpsc::Sender<DuplexStream>,
        stop: Option<oneshot::Sender<()>>,
        server: JoinHandle<Summary>,
    }

    fn start() -> Harness {
        let (connect, listener) = mpsc::channel(16);
        let (stop, stopped) = oneshot::channel::<()>();
        // The shutdown signal the test controls, instead of a real Ctrl-C.
        let shutdown = async move {
            let _ = stopped.await;
        };
        let server = tokio::spawn(serve(listener, shutdown, GRACE));
        Harness {
            connect,
            stop: Some(stop),
            server,
        }
    }

    impl Harness {
        // A client that asks for `secs` seconds of work. Its task ends with the answer, or
        // `None` if the server closed the connection without answering.
        async fn request(&self, secs: u64) -> JoinHandle<Option<String>> {
            let (mut client, server_end) = tokio::io::duplex(64);
            self.connect
                .send(server_end)
                .await
                .expect("the server stopped accepting before the shutdown signal");
            client
                .write_all(format!("work {secs}\n").as_bytes())
                .await
                .unwrap();
            tokio::spawn(async move {
                let mut answer = String::new();
                match BufReader::new(client).read_line(&mut answer).await {
                    Ok(n) if n > 0 => Some(answer.trim().to_string()),
                    _ => None,
                }
            })
        }

        fn signal_shutdown(&mut self) {
            let _ = self.stop.take().unwrap().send(());
        }

        // Waits for `serve` to return, and says how long that took from now.
        async fn stopped(self) -> (Summary, Duration, mpsc::Sender<DuplexStream>) {
            let start = Instant::now();
            let summary = timeout(Duration::from_secs(600), self.server)
                .await
                .expect(
                    "serve never returned after the shutdown signal: does the accept loop \
                     listen for it?",
                )
                .expect("serve panicked");
            (summary, start.elapsed(), self.connect)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn serves_requests_and_returns_after_the_signal() {
        let mut server = start();
        let client = server.request(1).await;
        assert_eq!(client.await.unwrap().as_deref(), Some("done 1"));
        server.signal_shutdown();
        let (summary, took, _) = server.stopped().await;
        assert_eq!(
            summary,
            Summary {
                served: 1,
                aborted: 0
            },
            "one request was served before the signal, and nothing was left running"
        );
        assert_eq!(
            took,
            Duration::ZERO,
            "nothing was running when the signal came, so serve should return at once, not \
             after a grace period it does not need"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn stops_accepting_after_the_signal() {
        let mut server = start();
        let slow = server.request(2).await;
        sleep(Duration::from_millis(500)).await;
        server.signal_shutdown();
        sleep(Duration::from_millis(500)).await;
        // The slow request is still in flight; a new connection now must be refused.
        let (_client, late) = tokio::io::duplex(64);
        assert!(
            server.connect.send(late).await.is_err(),
            "a connection made after the shutdown signal was accepted: once the signal comes, \
             stop accepting (drop the listener), and only finish what is already running"
        );
        assert_eq!(slow.await.unwrap().as_deref(), Some("done 2"));
    }

    #[tokio::test(start_paused = true)]
    async fn requests_in_flight_finish_before_serve_returns() {
        let mut server = start();
        let one = server.request(1).await;
        let two = server.request(2).await;
        sleep(Duration::from_millis(500)).await;
        server.signal_shutdown();
        let (summary, took, _) = server.stopped().await;
        assert_eq!(
            summary,
            Summary {
                served: 2,
                aborted: 0
            },
            "both requests fit in the grace period, so both should be served before serve \
             returns"
        );
        assert_eq!(
            took,
            Duration::from_millis(1500),
            "the last request in flight ends 1.5 s after the signal: serve should return then, \
             not earlier (leaving it running) and not later (sleeping out the whole grace \
             period)"
        );
        assert_eq!(one.await.unwrap().as_deref(), Some("done 1"));
        assert_eq!(two.await.unwrap().as_deref(), Some("done 2"));
    }

    #[tokio::test(start_paused = true)]
    async fn stragglers_are_aborted_when_the_grace_period_ends() {
        let mut server = start();
        let quick = server.request(1).await;
        let stragglers = [server.request(60).await, server.request(30).await];
        sleep(Duration::from_millis(100)).await;
        server.signal_shutdown();
        let (summary, took, _) = server.stopped().await;
        assert_eq!(
            took, GRACE,
            "a 60 s and a 30 s request were still running: serve should wait exactly the grace \
             period (5 s), then give up on them. Longer? The grace period is ONE deadline for \
             all the requests in flight, not a fresh one for each request waited on in turn"
        );
        assert_eq!(
            summary,
            Summary {
                served: 1,
                aborted: 2
            },
            "the 1 s request was served, the 60 s and 30 s ones were aborted"
        );
        assert_eq!(quick.await.unwrap().as_deref(), Some("done 1"));
        for straggler in stragglers {
            let answer = timeout(Duration::from_secs(1), straggler)
                .await
                .expect(
                    "a long request kept running after serve returned: when the grace period \
                     is over, abort what is left (a task whose JoinHandle is dropped keeps \
                     running)",
                )
                .unwrap();
            assert_eq!(answer, None, "an aborted request gets no answer");
        }
    }
}
