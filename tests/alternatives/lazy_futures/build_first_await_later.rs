// alternative: builds all three futures first and awaits them one by one (lazy, so still in order)

use std::sync::Mutex;

use tokio::time::{Duration, sleep};

type Log = Mutex<Vec<&'static str>>;

/// Saves one step in the log, after a short wait (pretend it is a network call).
async fn record(log: &Log, step: &'static str) {
    sleep(Duration::from_millis(10)).await;
    log.lock().unwrap().push(step);
}

async fn checkout(log: &Log) {
    // Building the futures runs nothing yet; each one runs when it is awaited, in this order.
    let cart = record(log, "cart checked");
    let payment = record(log, "payment sent");
    let receipt = record(log, "receipt printed");
    cart.await;
    payment.await;
    receipt.await;
}

#[tokio::main]
async fn main() {
    let log = Mutex::new(Vec::new());
    checkout(&log).await;
    println!("{:?}", log.lock().unwrap());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn calling_an_async_fn_runs_nothing_yet() {
        let log = Mutex::new(Vec::new());

        let future = record(&log, "hello");
        assert!(
            log.lock().unwrap().is_empty(),
            "calling an async fn only creates a future; nothing has run yet"
        );

        future.await;
        assert_eq!(*log.lock().unwrap(), ["hello"], ".await runs the future");
    }

    /// Runs `checkout` on a one-thread runtime with a paused clock, in a thread of its own, and
    /// returns the log and how much (Tokio) time it took. Gives up after 2 s of real time: if
    /// something blocks the runtime's only thread, its timers can never fire, and a `timeout`
    /// inside the runtime could not fire either.
    fn run_checkout() -> (Vec<&'static str>, Duration) {
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .unwrap();
            let log = Mutex::new(Vec::new());
            let took = runtime.block_on(async {
                let start = tokio::time::Instant::now();
                checkout(&log).await;
                start.elapsed()
            });
            let _ = done_tx.send((log.into_inner().unwrap(), took));
        });
        match done_rx.recv_timeout(std::time::Duration::from_secs(2)) {
            Ok(done) => done,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!(
                "checkout did not finish within 2 s of real time, although its steps only wait \
                 30 ms of Tokio time: something blocks the runtime's thread, so its timers never \
                 fire (e.g. `futures::executor::block_on` inside async code). \
                 Inside an async fn, just `.await` the future"
            ),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                panic!("checkout panicked (see its message above)")
            }
        }
    }

    #[test]
    fn every_step_runs_in_order() {
        let (log, _) = run_checkout();

        assert_eq!(
            log,
            ["cart checked", "payment sent", "receipt printed"],
            "every step should run, in order; a step that is missing was never awaited"
        );
    }

    #[test]
    fn each_step_waits_for_the_one_before() {
        let (_, took) = run_checkout();

        assert_eq!(
            took,
            Duration::from_millis(30),
            "three steps of 10 ms, one after the other, take 30 ms; checkout took {took:?}. \
             Less means a step was skipped, or steps ran at the same time (`join!`, `spawn`): then \
             the payment could go out before the cart is checked. `.await` each step before \
             starting the next"
        );
    }
}
