// alternative: a dedicated std thread (as one would hand work to rayon) that sends the hash back over a tokio oneshot channel

// spawn_blocking_cpu: move blocking or CPU-heavy work off the async worker threads.
//
// An async runtime has few threads and many tasks, which take turns at every `.await`. Code that
// runs for a long time WITHOUT an `.await` (heavy computation, `std::thread::sleep`, a blocking
// file or database call) holds a thread the whole time, and every other task on that thread
// waits. Rule of thumb: no more than 10-100 microseconds between two `.await`s.
//
// For such work, Tokio keeps a separate pool of blocking threads:
// `tokio::task::spawn_blocking(closure)` runs the closure there and gives you a `JoinHandle` to
// `.await` for its result.
// That pool suits blocking calls and occasional heavy computations. It can grow to hundreds of
// threads, so it doesn't share out the CPU: for sustained CPU-bound work (say, a hash on every
// login of a busy server) use a pool sized to the cores, such as `rayon`, and send each result
// back through a `tokio::sync::oneshot` channel.
//
// Fix the TODO so that hashing a password no longer freezes the runtime.

use std::time::Duration;

/// Stands in for an expensive, blocking call (think bcrypt with a high cost factor): it holds
/// its thread for 200 ms, then returns a hash of `password`. It sleeps rather than computes, so
/// the tests time the same on any machine. Real CPU work also competes for the cores: 8 real
/// hashes on 2 cores take 4 hashes' time, whichever threads run them.
pub fn hash_password(password: &str) -> u64 {
    std::thread::sleep(Duration::from_millis(200));
    password.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Hashes `password` without blocking the async runtime.
pub async fn hash_password_async(password: String) -> u64 {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(hash_password(&password));
    });
    rx.await.expect("the hashing thread panicked")
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let heartbeat = tokio::spawn(async {
        let mut every = tokio::time::interval(Duration::from_millis(50));
        loop {
            every.tick().await;
            println!("  (heartbeat: the runtime is alive)");
        }
    });
    println!("hashing...");
    let hash = hash_password_async("hunter2".to_string()).await;
    println!("hash = {hash:#x}");
    heartbeat.abort();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    // Real time on purpose: a paused clock cannot tell how long a blocked thread takes.

    #[tokio::test]
    async fn same_result_as_the_sync_version() {
        let start = std::time::Instant::now();
        // 0x4db1_47a5_4908_e973 == hash_password("hunter2")
        assert_eq!(
            hash_password_async("hunter2".to_string()).await,
            0x4db1_47a5_4908_e973
        );
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(200),
            "hash_password_async returned after {took:?}, but hash_password takes 200 ms: the \
             lesson is to move the slow call elsewhere, not to skip it; call hash_password"
        );
    }

    #[tokio::test]
    async fn runtime_keeps_running_while_hashing() {
        // #[tokio::test] has ONE thread. A heartbeat task ticks every 10 ms on it; during a
        // 200 ms hash it should tick about 20 times, unless the hash blocks that thread.
        let ticks = Arc::new(AtomicUsize::new(0));
        let counter = ticks.clone();
        let heartbeat = tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(10));
            loop {
                every.tick().await;
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        tokio::task::yield_now().await; // let the heartbeat start
        hash_password_async("hunter2".to_string()).await;
        let seen = ticks.load(Ordering::SeqCst);
        heartbeat.abort();
        assert!(
            seen >= 5,
            "only {seen} heartbeat ticks during a 200 ms hash (expected about 20): the hash \
             blocked the runtime's thread, so no other task could run"
        );
    }

    #[tokio::test]
    async fn many_hashes_run_side_by_side() {
        let start = std::time::Instant::now();
        let passwords = (0..8).map(|i| hash_password_async(format!("password{i}")));
        let hashes = futures::future::join_all(passwords).await;
        let distinct: std::collections::HashSet<u64> = hashes.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            8,
            "8 different passwords should give 8 different hashes"
        );
        let took = start.elapsed();
        assert!(
            took < Duration::from_millis(1000),
            "8 hashes of 200 ms took {took:?}: they ran one after another (1.6 s) instead of \
             side by side on the blocking pool (about 0.2 s)"
        );
    }
}
