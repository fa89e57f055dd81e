// The Tokio explainer's first example, "Hello from Tokio!", with one addition so that the
// tests can check it: `say_hello` also notes each greeting in a `log`, and counts the greetings
// made on a Tokio runtime.
//
// Solution: `#[tokio::main]` on `async fn main`. Rust has no async runtime built in, so `main`
// may not be `async` on its own; the attribute turns it into an ordinary `fn main` that starts
// Tokio and runs the async body on it (`block_on`), so the `.await`s inside actually run.

use std::sync::atomic::{AtomicUsize, Ordering};

/// How many greetings were made inside a Tokio runtime (the tests read it).
static GREETINGS_ON_TOKIO: AtomicUsize = AtomicUsize::new(0);

/// Prints the greeting, and notes it in `log`.
async fn say_hello(log: &mut Vec<String>) {
    let greeting = String::from("Hello from Tokio!");
    println!("{greeting}");
    log.push(greeting);
    if tokio::runtime::Handle::try_current().is_ok() {
        GREETINGS_ON_TOKIO.fetch_add(1, Ordering::SeqCst);
    }
}

/// The whole program: greet once.
async fn app(log: &mut Vec<String>) {
    say_hello(log).await;
}

#[tokio::main]
async fn main() {
    let mut log = Vec::new();
    app(&mut log).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn say_hello_greets() {
        let mut log = Vec::new();
        say_hello(&mut log).await;
        assert_eq!(
            log,
            ["Hello from Tokio!"],
            "say_hello() notes the one greeting it prints"
        );
    }

    #[tokio::test]
    async fn app_says_hello_once() {
        let mut log = Vec::new();
        app(&mut log).await;
        assert_eq!(
            log,
            ["Hello from Tokio!"],
            "app() should greet exactly once. Calling say_hello() only builds a future; \
             it runs when you .await it."
        );
    }

    // `#[tokio::main]` turns `async fn main` back into a plain, synchronous `fn main()` that
    // starts its own runtime. So a plain `#[test]` (which has no runtime) may call it. If the
    // next line does not compile, `main` is still an `async fn` that nothing runs.
    #[test]
    fn main_is_a_plain_fn_that_starts_tokio() {
        let plain_main: fn() = main;
        let before = GREETINGS_ON_TOKIO.load(Ordering::SeqCst);
        plain_main();
        assert!(
            GREETINGS_ON_TOKIO.load(Ordering::SeqCst) > before,
            "main() ran, but it never greeted from inside a Tokio runtime: main should start \
             Tokio (that is what #[tokio::main] does) and run app() on it"
        );
    }
}
