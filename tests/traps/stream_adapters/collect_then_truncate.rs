// trap-expect: fail
// Trap for 04_futures_streams/stream_adapters: collect everything, then cut the Vec.
//
// The learner drops `take` from the chain and truncates the collected Vec to `count` instead,
// the way one would fix a Vec. The results are right for a finite input, but the stream is read
// to its very end even though only `count` values are wanted, and an endless stream never ends:
// `works_on_an_endless_stream` fails after 1 s with "the stream never ended: is `take` still in
// the chain?". `take` stops pulling values from the source once it has enough.

use tokio_stream::{Stream, StreamExt};

/// The squares of the first `count` even numbers of `values`.
pub async fn first_even_squares<S: Stream<Item = u64>>(values: S, count: usize) -> Vec<u64> {
    let mut all: Vec<u64> = values.filter(|n| n % 2 == 0).map(|n| n * n).collect().await;
    all.truncate(count);
    all
}

#[tokio::main]
async fn main() {
    let squares = first_even_squares(tokio_stream::iter(1..=20), 3).await;
    println!("the squares of the first 3 even numbers in 1..=20: {squares:?}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::time::timeout;

    #[tokio::test]
    async fn first_three_even_squares() {
        // Odd and even numbers in no regular pattern: 3 even ones are not "the first 6 numbers".
        let input = vec![7, 2, 9, 11, 4, 13, 15, 17, 6, 8, 10];
        let got = first_even_squares(tokio_stream::iter(input), 3).await;
        assert_eq!(
            got,
            vec![4, 16, 36],
            "2*2, 4*4, 6*6: `take` must count the even numbers, not the numbers it sees"
        );
    }

    #[tokio::test]
    async fn first_three_even_squares_of_1_to_20() {
        let got = first_even_squares(tokio_stream::iter(1..=20), 3).await;
        assert_eq!(got, vec![4, 16, 36], "2*2, 4*4, 6*6");
    }

    #[tokio::test]
    async fn stops_when_the_input_runs_out() {
        let got = first_even_squares(tokio_stream::iter(vec![1, 2, 3, 4, 5]), 3).await;
        assert_eq!(got, vec![4, 16], "only two even numbers exist in 1..=5");
    }

    #[tokio::test]
    async fn count_zero_gives_nothing() {
        let got = first_even_squares(tokio_stream::iter(1..=20), 0).await;
        assert!(
            got.is_empty(),
            "count 0 asks for no values at all, got {got:?}"
        );
    }

    #[tokio::test]
    async fn works_on_an_endless_stream() {
        // Streams are lazy: `take` stops pulling values once it has enough, so even an endless
        // source is fine. (Real time: if it never stops, this fails after 1 s.)
        let endless = tokio_stream::iter(1u64..);
        let got = timeout(Duration::from_secs(1), first_even_squares(endless, 5))
            .await
            .expect("the stream never ended: is `take` still in the chain?");
        assert_eq!(got, vec![4, 16, 36, 64, 100]);
    }
}
