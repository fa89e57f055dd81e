// `#[tokio::main]` starts the *multi-thread* runtime by default: a pool of worker threads (one
// per CPU core), and spawned tasks run on those workers, possibly in parallel. The attribute
// takes options. `#[tokio::main(flavor = "current_thread")]` starts a runtime that runs every
// task on the thread that called the function (that is what `#[tokio::test]` uses).
//
// The attribute also works on functions other than `main`: from the outside, the function is an
// ordinary synchronous `fn` that starts a runtime, runs the body on it, and returns the result.
//
// TODO: `inspect_runtime`'s spawned task runs on some other thread. Change the attribute so that
// it runs on the caller's thread.

use std::thread::ThreadId;
use tokio::runtime::{Handle, RuntimeFlavor};

#[derive(Debug)]
pub struct RuntimeReport {
    /// Which kind of runtime ran the body.
    pub flavor: RuntimeFlavor,
    /// The OS thread that a spawned task ran on.
    pub task_thread: ThreadId,
}

/// Starts a runtime, spawns one task on it, and reports where it ran. Every spawned task must run
/// on the caller's thread.
// TODO: which runtime does this start?
#[tokio::main]
pub async fn inspect_runtime() -> RuntimeReport {
    let flavor = Handle::current().runtime_flavor();
    let task_thread = tokio::spawn(async { std::thread::current().id() })
        .await
        .expect("the task panicked");
    RuntimeReport {
        flavor,
        task_thread,
    }
}

fn main() {
    println!("main runs on {:?}", std::thread::current().id());
    println!("{:?}", inspect_runtime());
}

#[cfg(test)]
mod tests {
    use super::*;

    // Plain `#[test]`s: `inspect_runtime` starts its own runtime.

    #[test]
    fn uses_the_current_thread_flavor() {
        let flavor = inspect_runtime().flavor;
        assert_eq!(
            flavor,
            RuntimeFlavor::CurrentThread,
            "inspect_runtime started a {flavor:?} runtime; its attribute should start a \
             current_thread one (keeping tasks off other threads by hand is not the same thing)"
        );
    }

    #[test]
    fn spawned_task_runs_on_the_calling_thread() {
        let caller = std::thread::current().id();
        assert_eq!(
            inspect_runtime().task_thread,
            caller,
            "the spawned task ran on another thread (a worker of the multi-thread runtime)"
        );
    }

    #[test]
    fn each_call_starts_a_fresh_runtime() {
        let caller = std::thread::current().id();
        for _ in 0..3 {
            assert_eq!(
                inspect_runtime().task_thread,
                caller,
                "every call should run its spawned task on the calling thread"
            );
        }
    }
}
