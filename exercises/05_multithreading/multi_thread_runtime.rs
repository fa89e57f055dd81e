// multi_thread_runtime: build a multi-threaded runtime with a fixed number of workers.
//
// Tokio has two runtime flavors:
// - current_thread: one thread runs every task, taking turns. (`#[tokio::test]` uses it.)
// - multi_thread: a pool of worker threads; tasks are spread over them and really run in
//   parallel, on several CPU cores. (`#[tokio::main]` uses it, with one worker per core.)
//
// `tokio::runtime::Builder` builds either one by hand, which is what `#[tokio::main]` does for
// you. Fix the TODO so that `build_runtime` returns a multi-thread runtime with EXACTLY 2
// worker threads, whatever the number of cores of the machine.

use tokio::runtime::{Builder, Runtime};

/// Builds the runtime of our app: multi-threaded, exactly 2 worker threads, timers and I/O on.
pub fn build_runtime() -> Runtime {
    // TODO: this runtime has a single thread. Build a multi-thread one with 2 workers.
    Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("failed to build the runtime")
}

fn main() {
    let rt = build_runtime();
    println!(
        "flavor: {:?}, workers: {}",
        rt.handle().runtime_flavor(),
        rt.metrics().num_workers()
    );
    let threads = rt.block_on(async {
        let mut handles = Vec::new();
        for i in 0..4 {
            handles.push(tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                format!("task {i} ran on {:?}", std::thread::current().name())
            }));
        }
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.expect("task panicked"));
        }
        out
    });
    for line in threads {
        println!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;
    use tokio::runtime::RuntimeFlavor;

    // Plain #[test]s: these tests build and drive their own runtime. (Inside #[tokio::test]
    // there is already a runtime, and you cannot start one from within another.)

    #[test]
    fn is_a_multi_thread_runtime() {
        let rt = build_runtime();
        assert_eq!(
            rt.handle().runtime_flavor(),
            RuntimeFlavor::MultiThread,
            "build_runtime must build a multi-thread runtime"
        );
    }

    #[test]
    fn has_two_worker_threads() {
        let rt = build_runtime();
        let workers = rt.metrics().num_workers();
        assert_eq!(
            workers, 2,
            "build_runtime made {workers} worker thread(s), it must make exactly 2 on every \
             machine: without a worker count, Tokio picks one per CPU core (or the value of \
             $TOKIO_WORKER_THREADS, which is 3 here)"
        );
    }

    #[test]
    fn timers_work() {
        // Panics with "timers are disabled" if the builder did not enable the time driver.
        let rt = build_runtime();
        rt.block_on(async { tokio::time::sleep(Duration::from_millis(1)).await });
    }

    #[test]
    fn io_works() {
        // The app does I/O too: a socket needs the runtime's I/O driver. (It panics with "IO is
        // disabled" if the builder did not enable it.) Only a local port; nothing is sent.
        let rt = build_runtime();
        rt.block_on(async {
            tokio::net::UdpSocket::bind("127.0.0.1:0")
                .await
                .expect("could not open a local UDP socket");
        });
    }

    #[test]
    fn two_tasks_run_at_the_same_time() {
        // Each task signals the other, then BLOCKS its thread until the other's signal comes.
        // That only works if the two tasks really run at the same time, on two threads. (Never
        // block a worker like this in real code: here it proves that the work is parallel.)
        let rt = build_runtime();
        let (to_b, from_a) = mpsc::channel::<()>();
        let (to_a, from_b) = mpsc::channel::<()>();
        let a = rt.spawn(async move {
            let _ = to_b.send(());
            from_b.recv_timeout(Duration::from_secs(2)).is_ok()
        });
        let b = rt.spawn(async move {
            let _ = to_a.send(());
            from_a.recv_timeout(Duration::from_secs(2)).is_ok()
        });
        let (a_met_b, b_met_a) = rt.block_on(async { (a.await.unwrap(), b.await.unwrap()) });
        assert!(
            a_met_b && b_met_a,
            "the two tasks never ran at the same time: one thread can run only one task at once"
        );
    }
}
