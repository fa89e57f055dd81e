// alternative: checks with try_recv first and awaits the receiver only when nothing is there yet

use std::sync::Mutex;

use tokio::sync::oneshot::{self, error::TryRecvError};

type Log = Mutex<Vec<String>>;

/// Waits for an order id from `rx`. Returns `None` if the sender went away without sending.
async fn wait_for_order(mut rx: oneshot::Receiver<u32>, log: &Log) -> Option<u32> {
    log.lock().unwrap().push("waiting".to_string());
    let order = match rx.try_recv() {
        Ok(id) => Some(id),
        Err(TryRecvError::Closed) => None,
        // Nothing yet: now really wait.
        Err(TryRecvError::Empty) => rx.await.ok(),
    };
    let entry = match order {
        Some(id) => format!("got order {id}"),
        None => "sender gone".to_string(),
    };
    log.lock().unwrap().push(entry);
    order
}

#[tokio::main]
async fn main() {
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        tokio::time::sleep(tokio::time::Duration::from_millis(100)).await;
        let _ = tx.send(7);
    });
    let log = Mutex::new(Vec::new());
    println!("{:?}", wait_for_order(rx, &log).await);
    println!("{:?}", log.lock().unwrap());
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_test::{assert_pending, assert_ready_eq};

    #[tokio::test]
    async fn pending_until_the_order_arrives() {
        let (tx, rx) = oneshot::channel();
        let log = Mutex::new(Vec::new());
        // Poll the future by hand, one step at a time.
        let mut future = tokio_test::task::spawn(wait_for_order(rx, &log));

        assert_pending!(
            future.poll(),
            "nothing was sent yet, so the future should wait (return Pending)"
        );
        assert_eq!(
            *log.lock().unwrap(),
            ["waiting"],
            "the code before .await has run; the code after it must wait"
        );
        assert!(
            !future.is_woken(),
            "nothing was sent, yet the future asked to be polled again at once: it is \
             busy-waiting (checking again and again, e.g. `try_recv` in a loop with \
             `yield_now`) instead of sleeping until the value arrives. `.await` the receiver"
        );

        tx.send(42).unwrap();
        assert!(
            future.is_woken(),
            "sending the value should wake the waiting future"
        );
        assert_ready_eq!(future.poll(), Some(42), "once woken, it finishes");
        assert_eq!(*log.lock().unwrap(), ["waiting", "got order 42"]);
    }

    #[tokio::test]
    async fn sender_dropped_gives_none() {
        let (tx, rx) = oneshot::channel::<u32>();
        let log = Mutex::new(Vec::new());
        let mut future = tokio_test::task::spawn(wait_for_order(rx, &log));

        assert_pending!(
            future.poll(),
            "the sender is still alive and may still send, so keep waiting"
        );
        assert!(
            !future.is_woken(),
            "nothing happened yet, so nothing should wake the future: a future that wakes \
             itself is busy-waiting instead of sleeping until the sender sends or goes away"
        );

        drop(tx);
        assert!(
            future.is_woken(),
            "dropping the sender should wake the waiting future"
        );
        assert_ready_eq!(future.poll(), None);
        assert_eq!(*log.lock().unwrap(), ["waiting", "sender gone"]);
    }

    #[tokio::test]
    async fn already_sent_is_ready_at_once() {
        let (tx, rx) = oneshot::channel();
        tx.send(7).unwrap();
        let log = Mutex::new(Vec::new());
        let mut future = tokio_test::task::spawn(wait_for_order(rx, &log));

        assert_ready_eq!(
            future.poll(),
            Some(7),
            "the value is already there, so no waiting"
        );
    }
}
