// trap-expect: fail
// Wrong fix for 05_multithreading/sync_bridge: "block_on needs no runtime in the futures crate",
// so the learner replaces `Handle::current().block_on` with `futures::executor::block_on` and
// gives the store no runtime at all. That executor can poll a future, but it has no Tokio timer
// or I/O driver, and `AsyncStore` sleeps with a Tokio timer: every test panics with "there is
// no reactor running, must be called from the context of a Tokio 1.x runtime". Async code that
// uses Tokio needs a Tokio runtime to run on.

// sync_bridge: a blocking (sync) API on top of async code.
//
// Sometimes sync code has to call async code: a CLI tool, a library with a blocking API, an old
// code base. The async functions need a runtime to run on, and sync code has none around it.
// `tokio::runtime::Handle::current()` only finds a runtime when it is called from INSIDE one,
// so here it panics: "there is no reactor running, must be called from the context of a Tokio
// 1.x runtime".
//
// The usual fix (the "bridging with sync code" pattern): the blocking wrapper owns its own small
// runtime (a current_thread one is enough) and runs each async call to completion with
// `Runtime::block_on`. Remember that `AsyncStore` uses timers.
//
// Fix the TODOs.

use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::Mutex;

/// An async key-value store (pretend every call is a round trip to a database server).
#[derive(Default)]
pub struct AsyncStore {
    map: Mutex<HashMap<String, String>>,
}

impl AsyncStore {
    pub async fn get(&self, key: &str) -> Option<String> {
        tokio::time::sleep(Duration::from_millis(5)).await; // the network round trip
        self.map.lock().await.get(key).cloned()
    }

    pub async fn set(&self, key: &str, value: &str) {
        tokio::time::sleep(Duration::from_millis(5)).await; // the network round trip
        self.map
            .lock()
            .await
            .insert(key.to_string(), value.to_string());
    }
}

/// A blocking front end for code that is not async (a CLI, a sync library API, a test, ...).
pub struct BlockingStore {
    inner: AsyncStore,
}

impl BlockingStore {
    pub fn new() -> std::io::Result<Self> {
        Ok(Self {
            inner: AsyncStore::default(),
        })
    }

    pub fn get(&self, key: &str) -> Option<String> {
        futures::executor::block_on(self.inner.get(key))
    }

    pub fn set(&self, key: &str, value: &str) {
        futures::executor::block_on(self.inner.set(key, value))
    }
}

// A plain sync `main`: no #[tokio::main], no async, no .await.
fn main() -> std::io::Result<()> {
    let store = BlockingStore::new()?;
    store.set("language", "Rust");
    store.set("runtime", "Tokio");
    println!("language = {:?}", store.get("language"));
    println!("runtime  = {:?}", store.get("runtime"));
    println!("missing  = {:?}", store.get("missing"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Plain #[test]s: sync code, with no runtime around it, as a real sync caller would be.

    const STUCK: &str = "a BlockingStore call has not returned after 2 s: its async call is never \
        run to completion. Who drives the store's timers? On a current_thread runtime only \
        `Runtime::block_on` does; `Handle::block_on` just waits for someone else to do it";

    /// Runs `f` on a thread of its own and waits for it at most 2 s, so that a store call that
    /// never returns fails the test with an explanation instead of freezing it.
    fn within_2_s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
        });
        match rx.recv_timeout(Duration::from_secs(2)) {
            Ok(Ok(value)) => value,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => panic!("{STUCK}"),
        }
    }

    #[test]
    fn set_then_get_from_sync_code() {
        within_2_s(|| {
            let store = BlockingStore::new().expect("could not create the store");
            store.set("language", "Rust");
            assert_eq!(store.get("language"), Some("Rust".to_string()));
            assert_eq!(store.get("missing"), None);
        });
    }

    #[test]
    fn usable_from_several_threads() {
        within_2_s(|| {
            let store = BlockingStore::new().expect("could not create the store");
            std::thread::scope(|s| {
                for i in 0..4 {
                    let store = &store;
                    s.spawn(move || store.set(&format!("key{i}"), &format!("value{i}")));
                }
            });
            for i in 0..4 {
                assert_eq!(store.get(&format!("key{i}")), Some(format!("value{i}")));
            }
        });
    }

    #[test]
    fn usable_from_async_code_via_spawn_blocking() {
        // Async code must not call a blocking API directly (that would block its runtime), and
        // a runtime cannot be created or dropped inside another one. On a blocking thread both
        // are fine. (This test starts the outer runtime by hand, like #[tokio::test] does, only
        // so that it can give up on a store call that hangs.)
        let outer = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("could not start the test's runtime");
        let value = outer.block_on(async {
            let work = tokio::task::spawn_blocking(|| {
                let store = BlockingStore::new().expect("could not create the store");
                store.set("from", "spawn_blocking");
                store.get("from")
            });
            tokio::time::timeout(Duration::from_secs(2), work).await
        });
        outer.shutdown_background(); // don't wait for a blocking thread that hangs
        let value = value
            .unwrap_or_else(|_| panic!("{STUCK}"))
            .expect("the blocking task panicked");
        assert_eq!(value, Some("spawn_blocking".to_string()));
    }
}
