// alternative: each question runs as a spawned task, and its JoinHandle is awaited before the next

// An async fn that returns a value gives you a *future* of that value, not the value itself:
// `compute_answer()` has the type `impl Future<Output = u32>`. `.await` runs the future to the
// end and hands you the `u32`.
//
// Forget the `.await` and the compiler stops you as soon as you use the value as a number or a
// string, with errors such as "`impl Future<Output = u32>` doesn't implement
// `std::fmt::Display`" or "cannot add `impl Future<Output = u32>` to ...". Those errors nearly
// always mean: this needs an `.await`.
//
// TODO: make `report` and `ask_twice` compile and return the right values.

use std::time::Duration;

/// Thinks for a second, then answers.
async fn compute_answer() -> u32 {
    tokio::time::sleep(Duration::from_secs(1)).await;
    42
}

/// Describes the answer.
async fn report() -> String {
    let answer = tokio::spawn(compute_answer())
        .await
        .expect("the task panicked");
    format!("The answer is {answer}")
}

/// Asks twice (one question after the other) and adds the answers.
async fn ask_twice() -> u32 {
    let first = tokio::spawn(compute_answer())
        .await
        .expect("the task panicked");
    let second = tokio::spawn(compute_answer())
        .await
        .expect("the task panicked");
    first + second
}

#[tokio::main]
async fn main() {
    println!("{}", report().await);
    println!("twice: {}", ask_twice().await);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn report_describes_the_answer() {
        let start = Instant::now();
        assert_eq!(report().await, "The answer is 42");
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(1),
            "report() should wait for compute_answer(), which takes 1 s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn ask_twice_adds_two_answers() {
        let start = Instant::now();
        assert_eq!(ask_twice().await, 84);
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(2),
            "ask_twice() should ask one question, then the other: 1 s + 1 s = 2 s"
        );
    }
}
