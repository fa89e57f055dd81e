// alternative: spawns `load_config()` as a task on the same runtime and awaits its handle

// Don't block on a runtime from inside one. Some libraries offer a blocking wrapper around their
// async API: it builds a runtime and `block_on`s the future, like `load_config_blocking` below.
// That is handy in plain synchronous code, such as a non-async `fn main` or a script.
//
// Async code, though, is already being run by a runtime. A program may have several runtimes,
// and building one here is allowed, but the wrapper then blocks a thread that is busy driving
// the first one, and Tokio refuses with a panic: "Cannot start a runtime from within a runtime"
// (dropping a runtime there panics too). Inside async code, `.await` the async version
// instead.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub port: u16,
    pub workers: usize,
}

/// Loads the configuration (pretend it comes over the network).
pub async fn load_config() -> Config {
    tokio::time::sleep(Duration::from_millis(20)).await;
    Config {
        port: 8080,
        workers: 4,
    }
}

/// A blocking wrapper, for synchronous callers only.
pub fn load_config_blocking() -> Config {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("could not build the runtime")
        .block_on(load_config())
}

/// Starts the (pretend) server and describes what it is doing.
pub async fn start_server() -> String {
    let config = tokio::spawn(load_config())
        .await
        .expect("loading the config panicked");
    format!(
        "listening on port {} with {} workers",
        config.port, config.workers
    )
}

#[tokio::main]
async fn main() {
    println!("{}", start_server().await);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn start_server_awaits_the_config() {
        let start = tokio::time::Instant::now();
        assert_eq!(
            start_server().await,
            "listening on port 8080 with 4 workers",
            "start_server should describe the loaded config"
        );
        let took = start.elapsed();
        assert_eq!(
            took,
            Duration::from_millis(20),
            "start_server took {took:?} on this test's clock. It should .await load_config() on \
             the runtime that is already running it, which takes 20 ms on that clock; 0 s means \
             the config was loaded by another runtime (the blocking wrapper, on whatever thread), \
             while this one was blocked or just waited"
        );
    }

    // A plain `#[test]` is synchronous code with no runtime, so the blocking wrapper is fine here.
    #[test]
    fn the_blocking_wrapper_still_works_in_sync_code() {
        assert_eq!(
            load_config_blocking(),
            Config {
                port: 8080,
                workers: 4
            }
        );
    }
}
