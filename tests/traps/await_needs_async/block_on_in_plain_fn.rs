// trap-expect: error
// Wrong fix for 00_testing/await_needs_async: the learner keeps `add_twice` a plain `fn` and runs
// each future to completion with `futures::executor::block_on`, the usual "call async from sync"
// answer. `add_twice` now returns a plain `u32`, and the tests (which `.await` it, as async callers
// do) don't compile: "`u32` is not a future". The fix is to make `add_twice` itself async.

// Warm-up 1: how the tests in this course run.
//
// Start by reading `mod tests` at the bottom of this file. Every test there is an `async fn`
// marked `#[tokio::test]`. That attribute builds a small Tokio runtime for each test and runs the
// test body on it, which is why a test may `.await` your async functions and check the result.
// (The last test does the same thing by hand, so you can see what the attribute does for you.)
//
// `.await` is only allowed in async code: an `async fn`, an `async { }` block, or a test that
// `#[tokio::test]` runs for you. A plain `fn` cannot wait for a future.

/// Adds two numbers. It is `async`, so calling it gives a future, and `.await` gets the sum.
async fn add_async(a: u32, b: u32) -> u32 {
    // Let the runtime run something else for a moment, as real async code does while it waits.
    tokio::task::yield_now().await;
    a + b
}

/// Returns `a + b + c`, using `add_async` twice.
fn add_twice(a: u32, b: u32, c: u32) -> u32 {
    // "A plain fn can't .await, so block on the future instead."
    let ab = futures::executor::block_on(add_async(a, b));
    futures::executor::block_on(add_async(ab, c))
}

#[tokio::main]
async fn main() {
    println!("1 + 2 + 3 = {}", add_twice(1, 2, 3).await);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn add_async_adds_two_numbers() {
        assert_eq!(add_async(2, 3).await, 5, "add_async(2, 3) should be 5");
    }

    #[tokio::test]
    async fn add_twice_adds_three_numbers() {
        assert_eq!(
            add_twice(1, 2, 3).await,
            6,
            "add_twice(1, 2, 3) should be 6"
        );
        assert_eq!(
            add_twice(10, 20, 30).await,
            60,
            "add_twice(10, 20, 30) should be 60"
        );
    }

    // `.await` hands the thread back to the runtime while the awaited future waits, so other
    // tasks get a turn. The test runtime has one thread: the task spawned here can only run if
    // `add_twice` really waits at an `.await` before it returns.
    #[tokio::test]
    async fn add_twice_waits_at_its_awaits() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};

        let other_ran = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&other_ran);
        tokio::spawn(async move { flag.store(true, Ordering::SeqCst) });
        assert_eq!(
            add_twice(4, 5, 6).await,
            15,
            "add_twice(4, 5, 6) should be 15"
        );
        assert!(
            other_ran.load(Ordering::SeqCst),
            "add_twice returned without ever letting another task run: it never waited at an \
             `.await`. Keep its body: it should get its sums by awaiting add_async twice."
        );
    }

    // Roughly what `#[tokio::test]` writes for you: a plain `#[test]` that builds a
    // single-threaded runtime and blocks on the async test body until it is done.
    #[test]
    fn the_same_test_written_by_hand() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("could not build a Tokio runtime");
        runtime.block_on(async {
            assert_eq!(
                add_twice(1, 2, 3).await,
                6,
                "add_twice(1, 2, 3) should be 6"
            );
        });
    }
}
