// trap-expect: fail
// The shortcut (02_concurrency/local_tasks): no `Send` problem if there are no tasks. The learner
// awaits each session in turn, in a plain loop. Everything gets logged, in order, but session 1
// starts only after session 0 is done: no concurrency left. `sessions_run_at_the_same_time`
// fails: "session 1 only started after session 0 had finished ...: the sessions ran one after
// another".

// local_tasks: `!Send` state shared by tasks on one thread.
//
// `tokio::spawn` may run a task on any worker thread and move it between threads at every
// `.await`, so the task must be `Send`. `Rc` and `RefCell` are not (their counters and borrow
// flags are not atomic), which is why the usual answer is `Arc<Mutex<..>>`. But sometimes the
// state is `!Send` and has to stay so (a library type built on `Rc`, a handle to a
// single-threaded C library, or just no wish to pay for locks), and all the tasks that use it
// can live on one thread. For that, Tokio has a `LocalSet`: a set of tasks that all run on the
// thread that drives it, spawned with `tokio::task::spawn_local`, which doesn't ask for `Send`.
//
// One more rule: a `RefCell` borrow is checked at run time. Take it, use it, and let it go before
// the next `.await`, or another task on the thread finds the cell still borrowed and panics.

use std::cell::RefCell;
use std::rc::Rc;

/// Runs one task per session, all at the same time. Each session handles its messages in order,
/// waiting for (pretend) I/O before each, and appends `"s{session}:{message}"` to the shared log.
pub async fn handle_sessions(sessions: Vec<Vec<&'static str>>, log: Rc<RefCell<Vec<String>>>) {
    for (id, messages) in sessions.into_iter().enumerate() {
        for message in messages {
            tokio::task::yield_now().await;
            log.borrow_mut().push(format!("s{id}:{message}"));
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let log = Rc::new(RefCell::new(Vec::new()));
    handle_sessions(vec![vec!["hi", "bye"], vec!["ping"]], Rc::clone(&log)).await;
    println!("{:?}", log.borrow());
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;
    use std::panic::AssertUnwindSafe;

    /// Runs `handle_sessions` and returns the log, or fails naming the panic.
    async fn run(sessions: Vec<Vec<&'static str>>) -> Vec<String> {
        let log = Rc::new(RefCell::new(Vec::new()));
        let outcome = AssertUnwindSafe(handle_sessions(sessions, Rc::clone(&log)))
            .catch_unwind()
            .await;
        if let Err(panic) = outcome {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!(
                "handle_sessions panicked ({why}). `spawn_local` only works inside a running \
                 `LocalSet` (`run_until`), and a `RefCell` borrow held across an `.await` is \
                 still taken when the next task tries to borrow"
            );
        }
        log.take()
    }

    #[tokio::test]
    async fn every_message_is_logged_in_session_order() {
        let log = run(vec![vec!["a", "b", "c"], vec!["x", "y"], vec!["solo"]]).await;
        for (session, expected) in [
            ("s0:", vec!["s0:a", "s0:b", "s0:c"]),
            ("s1:", vec!["s1:x", "s1:y"]),
            ("s2:", vec!["s2:solo"]),
        ] {
            let got: Vec<&str> = log
                .iter()
                .map(String::as_str)
                .filter(|e| e.starts_with(session))
                .collect();
            assert_eq!(
                got, expected,
                "each session logs its messages once, in order"
            );
        }
        assert_eq!(
            log.len(),
            6,
            "six messages in all, each logged once: {log:?}"
        );
    }

    #[tokio::test]
    async fn sessions_run_at_the_same_time() {
        let log = run(vec![vec!["a", "b", "c"], vec!["x", "y", "z"]]).await;
        let first_s1 = log.iter().position(|e| e.starts_with("s1:"));
        let last_s0 = log.iter().rposition(|e| e.starts_with("s0:"));
        assert!(
            matches!((first_s1, last_s0), (Some(f), Some(l)) if f < l),
            "session 1 only started after session 0 had finished ({log:?}): the sessions ran \
             one after another. Spawn one task per session so that they take turns at each \
             `.await`"
        );
    }

    #[tokio::test]
    async fn no_sessions_nothing_logged() {
        assert!(run(vec![]).await.is_empty(), "no sessions, no log");
    }
}
