// trap-expect: fail
// Wrong fix for 01_intro/runtime_by_hand: the learner knows "a driver is off" but guesses the
// wrong one and switches on only the I/O driver (`enable_io`). `app` needs the time driver, so
// `tokio::time::sleep` still panics: "A Tokio 1.x context was found, but timers are disabled.
// Call `enable_time` on the runtime builder to enable timers." The run_app tests fail with it.

// Tokio is a runtime: the engine that runs async code. An `async fn` only describes some work.
// The runtime's scheduler polls that work, and its drivers wake it up again when it can go on:
// the time driver when a timer fires, the I/O driver when a socket is ready.
//
// `#[tokio::main]` builds a runtime for you. On `async fn main() { body }` it writes roughly:
//
//     fn main() {
//         tokio::runtime::Builder::new_multi_thread()
//             /* ... */
//             .build()
//             .unwrap()
//             .block_on(async { body })
//     }
//
// Here you build one by hand. A runtime only has the drivers you switch on in the `Builder`.

use std::time::Duration;

/// The "application": it waits a little, then answers.
async fn app() -> u32 {
    tokio::time::sleep(Duration::from_millis(20)).await;
    42
}

/// Builds a single-threaded Tokio runtime and runs `app` on it until it is done.
fn run_app() -> u32 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("could not build the runtime");
    runtime.block_on(app())
}

fn main() {
    println!("the app answered {}", run_app());
}

#[cfg(test)]
mod tests {
    use super::*;

    // Plain `#[test]`s: `run_app` builds its own runtime, and a runtime cannot be started from
    // inside another one (which is what `#[tokio::test]` would be).

    #[test]
    fn run_app_returns_the_answer() {
        assert_eq!(run_app(), 42, "run_app should return what app() returns");
    }

    #[test]
    fn run_app_really_waits_for_the_timer() {
        let start = std::time::Instant::now();
        run_app();
        assert!(
            start.elapsed() >= Duration::from_millis(20),
            "app() sleeps 20 ms, but run_app returned after {:?}",
            start.elapsed()
        );
    }

    // `app` alone, on a `#[tokio::test]` runtime with a paused clock: its 20 ms must pass on
    // Tokio's timer (which is what needs the driver), not by blocking the thread.
    #[tokio::test(start_paused = true)]
    async fn app_waits_on_tokios_timer() {
        let start = tokio::time::Instant::now();
        assert_eq!(app().await, 42, "app() should answer 42");
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(20),
            "app() should wait 20 ms on Tokio's timer (tokio::time::sleep). No time passed on \
             Tokio's clock, so it blocked the thread instead: switch on the time driver in \
             run_app rather than avoiding the timer"
        );
    }

    #[test]
    fn each_call_gets_its_own_runtime() {
        assert_eq!(
            (run_app(), run_app()),
            (42, 42),
            "run_app should work every time"
        );
    }
}
