// trap-expect: fail
// Wrong fix for 00_testing/paused_clock: the learner half-reads the hint ("Tokio has its own
// Instant") and converts at the end: the start is still read from the operating system's clock,
// then turned into a `tokio::time::Instant` with `from_std` to call `elapsed()` on Tokio's clock.
// The two clocks don't share a starting point: the paused clock stands at the moment the runtime
// was built, a little before `start`, so the 30 s sleep measures as a little under 30 s.
// `measures_a_30_second_sleep_on_tokios_clock` fails: "time_it reported 29.99..s ... a little
// under 30 s means it read the operating system's clock".

// Warm-up 2: the paused clock.
//
// Tests that use timers start with Tokio's clock paused: `#[tokio::test(start_paused = true)]`.
// When every task is waiting, a paused clock jumps straight to the next timer. So
// `sleep(Duration::from_secs(30))` ends at once in real time, while 30 seconds pass on Tokio's
// clock. That is how the tests in this course check exact timings ("this took 2 s, not 3 s")
// in a few microseconds.
//
// Only `tokio::time` follows that clock. `std::time::Instant` and `std::thread::sleep` use the
// operating system's clock, which hardly moves while such a test runs.

use std::future::Future;
use std::time::Duration;
use std::time::Instant;

/// Runs `fut` to completion and returns its output together with how long it took.
async fn time_it<F: Future>(fut: F) -> (F::Output, Duration) {
    let start = Instant::now();
    let output = fut.await;
    // "Tokio has its own Instant": convert to it for the measurement.
    (output, tokio::time::Instant::from_std(start).elapsed())
}

/// Takes 2 seconds to come up with the answer.
async fn slow_answer() -> u32 {
    tokio::time::sleep(Duration::from_secs(2)).await;
    42
}

#[tokio::main]
async fn main() {
    // No paused clock here: this really waits 2 seconds.
    let (answer, took) = time_it(slow_answer()).await;
    println!("got {answer} after {took:?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn measures_a_30_second_sleep_on_tokios_clock() {
        let real_start = std::time::Instant::now();
        // A watchdog on the operating system's clock: a plain thread that gives up after 1 s of
        // real time. On a paused clock the 30 s sleep ends long before that.
        let (give_up, gave_up) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(1));
            let _ = give_up.send(());
        });
        let (slept, took) = time_it(async {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(30)) => true,
                _ = gave_up => false,
            }
        })
        .await;
        assert!(
            slept,
            "the 30 s sleep was still running after 1 s of real time, so Tokio's clock is no \
             longer paused. Leave the clock alone (no resume()) and read it with Tokio's Instant"
        );
        assert_eq!(
            took,
            Duration::from_secs(30),
            "time_it reported {took:?} for a sleep of 30 s on Tokio's (paused) clock; a time near \
             0 s or a little under 30 s means it read the operating system's clock"
        );
        assert!(
            real_start.elapsed() < Duration::from_secs(1),
            "the test really waited {:?}; with a paused clock, Tokio's timers end at once",
            real_start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn returns_the_output_and_the_time() {
        let (answer, took) = time_it(slow_answer()).await;
        assert_eq!(answer, 42, "time_it should hand back the future's output");
        assert_eq!(
            took,
            Duration::from_secs(2),
            "slow_answer sleeps 2 s on Tokio's clock"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_ready_future_takes_no_time() {
        let (value, took) = time_it(async { 7 }).await;
        assert_eq!(value, 7, "time_it should hand back the future's output");
        assert_eq!(
            took,
            Duration::ZERO,
            "nothing waited, so no time passed on Tokio's clock"
        );
    }
}
