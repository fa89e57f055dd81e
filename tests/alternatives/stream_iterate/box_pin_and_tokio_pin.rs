// alternative: `Box::pin` in sum_countdown and `tokio::pin!` in collect_all, with `futures::StreamExt`

use futures::StreamExt;
use futures::stream::{self, Stream};

/// Counts down from `from` to 1, one value at a time: a stream built with `unfold`.
pub fn countdown(from: u32) -> impl Stream<Item = u32> {
    stream::unfold(from, |n| async move {
        if n == 0 {
            None
        } else {
            tokio::task::yield_now().await; // pretend each value takes a moment to arrive
            Some((n, n - 1))
        }
    })
}

/// Adds up all values of a countdown.
pub async fn sum_countdown(from: u32) -> u32 {
    let mut values = Box::pin(countdown(from));
    let mut total = 0;
    while let Some(v) = values.next().await {
        total += v;
    }
    total
}

/// Collects the values of any stream, in order.
pub async fn collect_all<S: Stream<Item = u32>>(values: S) -> Vec<u32> {
    tokio::pin!(values);
    let mut out = Vec::new();
    while let Some(v) = values.next().await {
        out.push(v);
    }
    out
}

#[tokio::main]
async fn main() {
    println!("countdown(5): {:?}", collect_all(countdown(5)).await);
    println!("sum of countdown(100): {}", sum_countdown(100).await);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sums_the_countdown() {
        assert_eq!(sum_countdown(4).await, 4 + 3 + 2 + 1, "4 + 3 + 2 + 1 = 10");
        assert_eq!(sum_countdown(100).await, 5050, "100 + 99 + ... + 1 = 5050");
    }

    #[tokio::test]
    async fn empty_countdown_sums_to_zero() {
        assert_eq!(
            sum_countdown(0).await,
            0,
            "countdown(0) ends at once: the loop must stop at the first `None`"
        );
    }

    #[tokio::test]
    async fn sum_countdown_reads_the_stream() {
        // Each countdown value takes a moment to arrive (`yield_now`), so a sum that really
        // reads the stream cannot be ready at its first poll.
        let mut sum = tokio_test::task::spawn(sum_countdown(3));
        assert!(
            sum.poll().is_pending(),
            "sum_countdown(3) was ready at its first poll, before the countdown stream could \
             hand out a single value: the sum must come from reading the stream, not from a \
             formula"
        );
        assert_eq!(sum.await, 6, "3 + 2 + 1 = 6");
    }

    #[tokio::test]
    async fn collects_values_in_order() {
        assert_eq!(
            collect_all(countdown(3)).await,
            vec![3, 2, 1],
            "every value of the stream, in the order it came"
        );
        assert_eq!(
            collect_all(tokio_stream::iter(vec![10, 20, 30])).await,
            vec![10, 20, 30],
            "collect_all must work with any stream"
        );
    }

    #[tokio::test]
    async fn collects_an_empty_stream() {
        assert_eq!(
            collect_all(tokio_stream::empty()).await,
            Vec::<u32>::new(),
            "a stream that ends at once gives an empty Vec"
        );
    }
}
