// missed_ticks: what an `Interval` does when a tick comes too late.
//
// `tokio::time::interval(period)` ticks at 0, period, 2*period, ... But if the work between two
// ticks takes longer than `period`, some ticks are *missed*. What happens then is the interval's
// `MissedTickBehavior`, and the default, `Burst`, fires every missed tick at once to catch up:
// after a 25 s stall on a 10 s interval you get two ticks back to back. That is right for
// "exactly one tick per period on average", and wrong for most other jobs.
//
// Two jobs here:
// - a heartbeat to a server that rejects heartbeats less than `period` apart;
// - a sampler for a chart whose points sit on the `period` grid (0 s, 10 s, 20 s, ...): after a
//   slow sample it should take one sample right away, then continue on the grid, never two
//   samples for the same slot.
//
// TODO: both tickers catch up on missed ticks in a burst. Give each the behaviour its job needs.

use std::time::Duration;
use tokio::time::{Instant, Interval, interval};

/// The heartbeat's ticker: consecutive ticks are never less than `period` apart.
pub fn heartbeat_ticker(period: Duration) -> Interval {
    // TODO: after a late tick, the next one must be a full period later.
    interval(period)
}

/// The sampler's ticker: after a late tick, back on the grid of `period`, without catching up.
pub fn sampler_ticker(period: Duration) -> Interval {
    // TODO: after a late tick, back on the grid, without making up the missed ticks.
    interval(period)
}

/// Waits for a tick, then works for `costs[i]`, once per cost. Returns when each tick fired,
/// measured from the start.
pub async fn run(mut ticker: Interval, costs: &[Duration]) -> Vec<Duration> {
    let start = Instant::now();
    let mut fired = Vec::new();
    for &cost in costs {
        ticker.tick().await;
        fired.push(start.elapsed());
        tokio::time::sleep(cost).await;
    }
    fired
}

#[tokio::main]
async fn main() {
    let costs = [1, 25, 1, 1].map(Duration::from_millis);
    let period = Duration::from_millis(10);
    println!(
        "heartbeats at {:?}",
        run(heartbeat_ticker(period), &costs).await
    );
    println!("samples at {:?}", run(sampler_ticker(period), &costs).await);
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERIOD: Duration = Duration::from_secs(10);

    fn secs(list: &[u64]) -> Vec<Duration> {
        list.iter().map(|&s| Duration::from_secs(s)).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn heartbeats_are_never_closer_than_the_period() {
        // The second heartbeat takes 25 s to send: the tick at 20 s and the one at 30 s are missed.
        let fired = run(heartbeat_ticker(PERIOD), &secs(&[1, 25, 1, 1, 1])).await;
        for pair in fired.windows(2) {
            assert!(
                pair[1] - pair[0] >= PERIOD,
                "heartbeats at {:?} and {:?}, less than 10 s apart (all: {fired:?}): after a \
                 late tick, the next one must be a full period later, not caught up in a burst \
                 and not pulled back onto the old schedule",
                pair[0],
                pair[1]
            );
        }
        assert_eq!(
            fired,
            secs(&[0, 10, 35, 45, 55]),
            "the late heartbeat goes out as soon as the slow one is done (35 s), then every 10 s \
             from there"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn samples_stay_on_the_grid_without_a_burst() {
        // The second sample takes 25 s: the slots at 20 s and 30 s are missed.
        let fired = run(sampler_ticker(PERIOD), &secs(&[1, 25, 1, 1, 1])).await;
        assert_eq!(
            fired,
            secs(&[0, 10, 35, 40, 50]),
            "after the slow sample: one sample at once (35 s), then back on the 10 s grid (40 s, \
             50 s). A sample at 36 s means the missed slots were made up in a burst; 45 s and 55 s \
             mean the whole schedule moved"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn without_slow_work_both_tick_every_period() {
        let costs = secs(&[1, 2, 3, 4]);
        let expected = secs(&[0, 10, 20, 30]);
        assert_eq!(
            run(heartbeat_ticker(PERIOD), &costs).await,
            expected,
            "heartbeats: every 10 s, the first at once"
        );
        assert_eq!(
            run(sampler_ticker(PERIOD), &costs).await,
            expected,
            "samples: every 10 s, the first at once"
        );
    }
}
