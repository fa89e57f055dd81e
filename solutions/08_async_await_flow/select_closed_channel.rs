// Solution: a flag per channel remembers whether it is still open, and the branch's precondition
// (`, if a_open`) disables the branch once its channel has returned `None`. When every branch is
// disabled, `select!` runs its `else` branch, which ends the loop.

use tokio::sync::mpsc;

/// Receives from both channels, in whatever order the values arrive, until BOTH are closed, and
/// returns everything it received.
pub async fn merge(mut a: mpsc::Receiver<u32>, mut b: mpsc::Receiver<u32>) -> Vec<u32> {
    let mut merged = Vec::new();
    let (mut a_open, mut b_open) = (true, true);
    loop {
        tokio::select! {
            value = a.recv(), if a_open => match value {
                Some(value) => merged.push(value),
                None => a_open = false,
            },
            value = b.recv(), if b_open => match value {
                Some(value) => merged.push(value),
                None => b_open = false,
            },
            else => break,
        }
    }
    merged
}

#[tokio::main]
async fn main() {
    let (a_tx, a) = mpsc::channel(8);
    let (b_tx, b) = mpsc::channel(8);
    tokio::spawn(async move {
        for v in [1, 2] {
            a_tx.send(v).await.unwrap();
        }
    });
    tokio::spawn(async move {
        for v in [10, 20, 30] {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            b_tx.send(v).await.unwrap();
        }
    });
    println!("{:?}", merge(a, b).await);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::task::Poll;
    use tokio_test::task::{Spawn, spawn};

    // The tests poll `merge` by hand, so they decide exactly what has arrived before each poll,
    // and they can see whether `merge` asked to be polled again with nothing new to do.
    async fn poll_once<F: Future>(merging: &mut Spawn<F>) -> Poll<F::Output> {
        let poll = catch_unwind(AssertUnwindSafe(|| merging.poll())).unwrap_or_else(|panic| {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            panic!(
                "merge panicked ({why}). When every branch of a `select!` is disabled, it panics \
                 unless it has an `else` branch"
            )
        });
        // Let the runtime deliver a wake-up it may have deferred.
        tokio::task::yield_now().await;
        poll
    }

    fn channel() -> (mpsc::Sender<u32>, mpsc::Receiver<u32>) {
        mpsc::channel(8)
    }

    #[tokio::test]
    async fn takes_values_from_both_channels_as_they_arrive() {
        let (a_tx, a) = channel();
        let (b_tx, b) = channel();
        let mut merging = spawn(merge(a, b));
        for (tx, value) in [(&a_tx, 1), (&b_tx, 2), (&a_tx, 3)] {
            tx.try_send(value).unwrap();
            assert!(poll_once(&mut merging).await.is_pending());
        }
        drop((a_tx, b_tx));
        match poll_once(&mut merging).await {
            Poll::Ready(merged) => assert_eq!(
                merged,
                [1, 2, 3],
                "1 came from a, then 2 from b, then 3 from a: merge should take each value as it \
                 arrives, from whichever channel has one, not drain one channel first"
            ),
            Poll::Pending => panic!("both channels are closed, yet merge did not finish"),
        }
    }

    #[tokio::test]
    async fn keeps_going_when_one_channel_closes() {
        let (a_tx, a) = channel();
        let (b_tx, b) = channel();
        let mut merging = spawn(merge(a, b));
        a_tx.try_send(1).unwrap();
        drop(a_tx);
        assert!(
            poll_once(&mut merging).await.is_pending(),
            "merge finished when only channel a had closed: the values still to come on b \
             would be lost. Stop only when BOTH channels are closed (and a closed channel's \
             `recv()` returns None at every call: two Nones can come from the same channel)"
        );
        b_tx.try_send(2).unwrap();
        b_tx.try_send(3).unwrap();
        drop(b_tx);
        match poll_once(&mut merging).await {
            Poll::Ready(merged) => assert_eq!(merged, [1, 2, 3], "everything from a, then b"),
            Poll::Pending => panic!(
                "both channels are closed, yet merge did not finish: a closed channel's \
                 `recv()` returns None every time, so remember which channels have closed and \
                 stop when both have"
            ),
        }
    }

    #[tokio::test]
    async fn a_closed_channel_does_not_keep_winning() {
        let (a_tx, a) = channel();
        let (b_tx, b) = channel();
        let mut merging = spawn(merge(a, b));
        drop(a_tx);
        assert!(
            poll_once(&mut merging).await.is_pending(),
            "merge finished, but channel b is still open"
        );
        assert!(
            !merging.is_woken(),
            "merge keeps waking itself up while it waits for b: a closed channel's `recv()` is \
             ready at once, every time, so its `select!` branch keeps winning and the loop \
             spins. Disable that branch once its channel has returned None"
        );
        drop(b_tx);
    }

    #[tokio::test]
    async fn two_closed_channels_end_the_merge() {
        let (a_tx, a) = channel();
        let (b_tx, b) = channel();
        drop((a_tx, b_tx));
        let mut merging = spawn(merge(a, b));
        assert!(
            poll_once(&mut merging).await.is_ready(),
            "both channels are closed: merge should return at once"
        );
    }
}
