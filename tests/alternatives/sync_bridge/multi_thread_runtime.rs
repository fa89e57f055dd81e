// alternative: owns a default multi-thread runtime (`Runtime::new()`) instead of a small current_thread one

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
    rt: tokio::runtime::Runtime,
}

impl BlockingStore {
    pub fn new() -> std::io::Result<Self> {
        let rt = tokio::runtime::Runtime::new()?;
        Ok(Self {
            inner: AsyncStore::default(),
            rt,
        })
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.rt.block_on(self.inner.get(key))
    }

    pub fn set(&self, key: &str, value: &str) {
        self.rt.block_on(self.inner.set(key, value))
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

    #[test]
    fn set_then_get_from_sync_code() {
        let store = BlockingStore::new().expect("could not create the store");
        store.set("language", "Rust");
        assert_eq!(store.get("language"), Some("Rust".to_string()));
        assert_eq!(store.get("missing"), None);
    }

    #[test]
    fn usable_from_several_threads() {
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
    }

    #[tokio::test]
    async fn usable_from_async_code_via_spawn_blocking() {
        // Async code must not call a blocking API directly (that would block its runtime), and
        // a runtime cannot be created or dropped inside another one. On a blocking thread both
        // are fine.
        let value = tokio::task::spawn_blocking(|| {
            let store = BlockingStore::new().expect("could not create the store");
            store.set("from", "spawn_blocking");
            store.get("from")
        })
        .await
        .expect("the blocking task panicked");
        assert_eq!(value, Some("spawn_blocking".to_string()));
    }
}
