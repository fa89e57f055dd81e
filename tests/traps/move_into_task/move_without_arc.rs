// trap-expect: error
// Wrong fix for 02_concurrency/move_into_task: the compiler says the task may outlive the borrowed
// `numbers` and suggests `async move`, so the learner adds `move` and nothing else. The first task
// now takes the whole `Vec`, and the loop has none left for the next one: "use of moved value:
// `numbers` ... value moved here, in previous iteration of loop". Every task needs its own owner
// of the data: an `Arc` clone.

// `tokio::spawn` only accepts `'static` futures. A spawned task may outlive the function that
// spawned it (nothing forces the caller to await its handle), so the task cannot borrow the
// caller's local variables. It has to own everything it uses:
//
// - `async move { .. }` moves the values the block uses into the task;
// - to share one value with many tasks, put it in an `Arc` and move a clone into each task.
//   Cloning an `Arc` copies a pointer and bumps a counter; the data itself is not copied.

use std::sync::Arc;

/// Sums `numbers` with `tasks` spawned tasks: task `t` adds up the elements at positions
/// `t`, `t + tasks`, `t + 2 * tasks`, ...
pub async fn parallel_sum(numbers: Vec<u64>, tasks: usize) -> u64 {
    let mut handles = Vec::new();
    for t in 0..tasks {
        handles.push(tokio::spawn(async move {
            numbers.iter().skip(t).step_by(tasks).sum::<u64>()
        }));
    }
    let mut total = 0;
    for handle in handles {
        total += handle.await.expect("a summing task panicked");
    }
    total
}

#[tokio::main]
async fn main() {
    let numbers: Vec<u64> = (1..=100).collect();
    println!("1 + 2 + ... + 100 = {}", parallel_sum(numbers, 4).await);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sums_one_to_a_hundred_with_four_tasks() {
        assert_eq!(
            parallel_sum((1..=100).collect(), 4).await,
            5050,
            "1 + 2 + ... + 100 is 5050"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn works_when_the_length_does_not_divide_evenly() {
        // Different numbers, so that an element counted twice or missed changes the sum.
        let numbers = vec![5, 100, 8, 2000, 9, 30_000, 7, 400_000, 6, 5_000_000];
        let expected: u64 = numbers.iter().sum();
        assert_eq!(
            parallel_sum(numbers, 3).await,
            expected,
            "10 numbers over 3 tasks: every number should be added exactly once"
        );
        assert_eq!(
            parallel_sum(vec![7], 4).await,
            7,
            "1 number over 4 tasks: three of the tasks get nothing to add"
        );
        assert_eq!(
            parallel_sum(vec![3, 40, 500], 1).await,
            543,
            "with 1 task, that task adds up everything"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_empty_list_sums_to_zero() {
        assert_eq!(
            parallel_sum(Vec::new(), 4).await,
            0,
            "no numbers add up to 0"
        );
    }
}
