// trap-expect: fail
// Trap for 04_futures_streams/manual_future_waker: store the waker only once.
//
// The learner saves `cx.waker()` on the first `Pending` and, to avoid cloning on every poll,
// keeps it: `if shared.waker.is_none() { .. }`. But a future can be polled by a different task
// later (it is moved into another task, or `select!`/`join!` poll it with their own wakers), and
// only the latest poll's waker wakes the task that is waiting now. The first waker wakes nobody
// useful. `wakes_the_task_of_the_latest_poll` fails with "resolve must wake the waker from the
// LATEST poll, not the first one".

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct Shared {
    value: Option<u32>,
    waker: Option<Waker>,
}

/// The sending side: whoever holds it will provide the value later.
pub struct Promise {
    shared: Arc<Mutex<Shared>>,
}

/// The receiving side: a future that completes with the promised value.
pub struct Later {
    shared: Arc<Mutex<Shared>>,
}

/// Makes a connected (Promise, Later) pair.
pub fn promise() -> (Promise, Later) {
    let shared = Arc::new(Mutex::new(Shared::default()));
    (
        Promise {
            shared: shared.clone(),
        },
        Later { shared },
    )
}

impl Promise {
    /// Stores the value and wakes the task that is waiting for it.
    pub fn resolve(self, value: u32) {
        let mut shared = self.shared.lock().unwrap();
        shared.value = Some(value);
        if let Some(waker) = shared.waker.take() {
            waker.wake();
        }
    }
}

impl Future for Later {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        let mut shared = self.shared.lock().unwrap();
        if let Some(value) = shared.value.take() {
            return Poll::Ready(value);
        }
        if shared.waker.is_none() {
            shared.waker = Some(cx.waker().clone()); // cloned once, kept for good
        }
        Poll::Pending
    }
}

#[tokio::main]
async fn main() {
    let (promise, later) = promise();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(100));
        promise.resolve(42);
    });
    let start = std::time::Instant::now();
    // If nobody wakes the task, `later` is polled again only by accident: here, when the
    // timeout's own 2 s timer fires and the timeout polls its inner future one last time.
    let result = tokio::time::timeout(std::time::Duration::from_secs(2), later).await;
    println!(
        "got {result:?} after {:?} (the value was ready after 100 ms)",
        start.elapsed()
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_test::{assert_pending, assert_ready_eq, task};

    // `task::spawn` polls a future by hand, without a runtime, and records whether its waker
    // was called. That shows exactly what the future does with the waker.

    #[tokio::test]
    async fn pending_until_resolved_then_woken() {
        let (promise, later) = promise();
        let mut task = task::spawn(later);
        assert_pending!(task.poll(), "no value yet, so poll must return Pending");
        assert!(
            !task.is_woken(),
            "nothing happened yet, so the future must not wake its task (that would be a busy loop)"
        );
        promise.resolve(7);
        assert!(
            task.is_woken(),
            "resolve must wake the task that got Pending, or it will never be polled again"
        );
        assert_ready_eq!(task.poll(), 7);
    }

    #[tokio::test]
    async fn ready_at_once_when_already_resolved() {
        let (promise, later) = promise();
        // Nobody has polled yet, so there is no waker: nobody to wake, and that is fine.
        let resolved =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| promise.resolve(3)));
        assert!(
            resolved.is_ok(),
            "resolve panicked when no task had polled yet: with no stored waker there is \
             simply nobody to wake"
        );
        let mut task = task::spawn(later);
        assert_ready_eq!(
            task.poll(),
            3,
            "a value that is already there must be returned by the first poll"
        );
    }

    #[tokio::test]
    async fn wakes_the_task_of_the_latest_poll() {
        let (promise, mut later) = promise();
        // First poll from somewhere else, with a waker that does nothing.
        let mut cx = Context::from_waker(Waker::noop());
        assert!(Pin::new(&mut later).poll(&mut cx).is_pending());
        // Now the future moves into another task, which polls it again.
        let mut task = task::spawn(later);
        assert_pending!(task.poll());
        promise.resolve(9);
        assert!(
            task.is_woken(),
            "resolve must wake the waker from the LATEST poll, not the first one"
        );
        assert_ready_eq!(task.poll(), 9);
    }

    /// A waker that looks at the shared state at the moment it is woken, the way a task woken
    /// on another thread may poll at once.
    struct Observer {
        shared: Arc<Mutex<Shared>>,
        // One entry per wake: was the value there? (`None`: the lock was held, so the woken
        // task could not have looked yet.)
        saw_value: Mutex<Vec<Option<bool>>>,
    }

    impl std::task::Wake for Observer {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            let seen = self.shared.try_lock().ok().map(|s| s.value.is_some());
            self.saw_value.lock().unwrap().push(seen);
        }
    }

    #[tokio::test]
    async fn the_value_is_there_when_the_task_wakes() {
        let (promise, mut later) = promise();
        let observer = Arc::new(Observer {
            shared: later.shared.clone(),
            saw_value: Mutex::new(Vec::new()),
        });
        let waker = Waker::from(observer.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(
            Pin::new(&mut later).poll(&mut cx).is_pending(),
            "no value yet, so poll must return Pending"
        );
        promise.resolve(5);
        let saw = observer.saw_value.lock().unwrap().clone();
        assert!(
            !saw.is_empty(),
            "resolve must wake the task that got Pending, or it will never be polled again"
        );
        assert!(
            !saw.contains(&Some(false)),
            "resolve woke the task before storing the value: a task woken on another thread may \
             poll at once, find nothing, and then wait forever. Store the value first, then wake"
        );
        assert_eq!(Pin::new(&mut later).poll(&mut cx), Poll::Ready(5));
    }
}
