// trap-expect: fail
// Wrong fix for 02_concurrency/notify_flusher: the learner gives up on waking the flusher and lets
// it look for pending lines every 10 ms instead, the way a std thread would poll. No line is
// lost, but a flush no longer starts when a line is written: it starts at the next tick, and the
// writer has no way to hurry it. `a_line_is_flushed_right_away` says "one flush, started as
// soon as "a" was written" (after exactly one FLUSH_TIME there is no flush yet).

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Writing to "disk" is slow: one flush takes this long, however many lines it holds.
pub const FLUSH_TIME: Duration = Duration::from_secs(1);

/// A log whose lines are written to disk in batches by a background flusher task.
#[derive(Default)]
pub struct Log {
    /// Lines written but not flushed yet.
    pending: Mutex<Vec<String>>,
    /// Every flush so far, with the lines it wrote.
    flushes: Mutex<Vec<Vec<String>>>,
    /// Wakes the flusher.
    wake: Notify,
}

impl Log {
    /// Adds a line and makes sure the flusher will write it out soon.
    pub fn write(&self, line: &str) {
        self.pending.lock().unwrap().push(line.to_string());
        self.wake.notify_one();
    }

    pub fn flushes(&self) -> Vec<Vec<String>> {
        self.flushes.lock().unwrap().clone()
    }
}

/// The background flusher: sleeps until woken, then writes out every pending line in one batch.
pub async fn flusher(log: Arc<Log>) {
    loop {
        while log.pending.lock().unwrap().is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let batch = std::mem::take(&mut *log.pending.lock().unwrap());
        tokio::time::sleep(FLUSH_TIME).await;
        log.flushes.lock().unwrap().push(batch);
    }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let log = Arc::new(Log::default());
    tokio::spawn(flusher(Arc::clone(&log)));
    log.write("started");
    tokio::time::sleep(Duration::from_millis(500)).await;
    log.write("request 1");
    log.write("request 2");
    tokio::time::sleep(Duration::from_secs(5)).await;
    println!("flushes: {:?}", log.flushes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::sleep;

    // The clock is paused: the sleeps below cost nothing and every time is exact.
    fn start_flusher(log: &Arc<Log>) {
        tokio::spawn(flusher(Arc::clone(log)));
    }

    async fn settle() {
        // Let the flusher run until it waits.
        tokio::task::yield_now().await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_is_flushed_right_away() {
        let log = Arc::new(Log::default());
        start_flusher(&log);
        settle().await;
        log.write("a");
        sleep(FLUSH_TIME).await;
        // The flush ends at this very instant too: let the flusher record it.
        settle().await;
        assert_eq!(
            log.flushes(),
            [["a"]],
            "one flush, started as soon as \"a\" was written"
        );
    }

    // Says what a wrong list of flushes most likely means.
    fn why(flushes: &[Vec<String>]) -> &'static str {
        if flushes.iter().any(Vec::is_empty) {
            "A flush with no lines means the flusher was woken when nothing new had been \
             written: once per write (as if notifications were messages in a queue), by \
             itself, or by a permit left over from lines it had already picked up without \
             waiting. Notify keeps at most ONE permit, so the writes made during a flush add up \
             to one more wake-up: let `write` leave it, and await `notified()` every time round"
        } else {
            "A line written while the flusher was not waiting (busy flushing, or not started \
             yet) was never flushed. `notify_waiters()` only wakes tasks that are waiting at \
             that moment and remembers nothing: which Notify method leaves a permit for a task \
             that is busy?"
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_written_during_a_flush_gets_the_next_flush() {
        let log = Arc::new(Log::default());
        start_flusher(&log);
        settle().await;
        log.write("a");
        sleep(FLUSH_TIME / 2).await;
        // The flusher is busy writing "a" to disk: it is not waiting for a notification now.
        log.write("b");
        sleep(FLUSH_TIME * 5).await;
        let flushes = log.flushes();
        assert_eq!(
            flushes,
            [["a"], ["b"]],
            "\"b\" was written while \"a\" was being flushed. {}",
            why(&flushes)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_written_before_the_flusher_starts_is_not_lost() {
        let log = Arc::new(Log::default());
        log.write("early");
        start_flusher(&log);
        sleep(FLUSH_TIME * 5).await;
        let flushes = log.flushes();
        assert_eq!(
            flushes,
            [["early"]],
            "\"early\" was written before the flusher started. {}",
            why(&flushes)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn lines_written_during_one_flush_share_the_next_flush() {
        let log = Arc::new(Log::default());
        start_flusher(&log);
        settle().await;
        log.write("a");
        sleep(FLUSH_TIME / 2).await;
        for line in ["b", "c", "d"] {
            log.write(line);
        }
        sleep(FLUSH_TIME * 5).await;
        let flushes = log.flushes();
        assert_eq!(
            flushes,
            [vec!["a"], vec!["b", "c", "d"]],
            "\"b\", \"c\" and \"d\" were written while \"a\" was being flushed: expected 2 \
             flushes, got {}. {}",
            flushes.len(),
            why(&flushes)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_flusher_does_nothing() {
        let log = Arc::new(Log::default());
        start_flusher(&log);
        sleep(FLUSH_TIME * 10).await;
        assert!(
            log.flushes().is_empty(),
            "nothing was written, yet the flusher flushed {} times: is something waking it up \
             when nobody wrote?",
            log.flushes().len()
        );
    }
}
