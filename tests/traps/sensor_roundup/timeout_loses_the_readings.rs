// trap-expect: fail
// Wrong fix for 10_capstone/sensor_roundup: the learner wraps the whole collecting loop in
// `tokio::time::timeout`, which is right, but the loop owns the readings, and on `Err(Elapsed)`
// the report is built from scratch: the readings that did arrive before the deadline are lost.
// `a_silent_sensor_runs_into_the_deadline` says "the reading that arrived before the deadline
// belongs in the report".

use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::sleep;

/// A sensor that sends its readings one by one: each `(wait, value)` means "wait this long, then
/// send this value".
#[derive(Clone, Debug)]
pub struct Sensor {
    pub name: &'static str,
    pub readings: Vec<(Duration, i32)>,
}

#[derive(Debug, PartialEq)]
pub struct Report {
    /// Every reading that arrived before the deadline, in the order it arrived.
    pub readings: Vec<(&'static str, i32)>,
    /// Whether the deadline came before every sensor was done.
    pub timed_out: bool,
}

async fn run_sensor(sensor: Sensor, tx: mpsc::Sender<(&'static str, i32)>) {
    for (wait, value) in sensor.readings {
        sleep(wait).await;
        if tx.send((sensor.name, value)).await.is_err() {
            return; // Nobody is listening any more.
        }
    }
}

/// Runs every sensor at once and collects their readings until all of them are done, or until
/// `deadline` has passed since the start, whichever comes first.
pub async fn gather(sensors: Vec<Sensor>, deadline: Duration) -> Report {
    let (tx, mut rx) = mpsc::channel(16);
    for sensor in sensors {
        tokio::spawn(run_sensor(sensor, tx.clone()));
    }
    drop(tx);

    let collect = async move {
        let mut readings = Vec::new();
        while let Some(reading) = rx.recv().await {
            readings.push(reading);
        }
        readings
    };
    match tokio::time::timeout(deadline, collect).await {
        Ok(readings) => Report {
            readings,
            timed_out: false,
        },
        Err(_) => Report {
            readings: Vec::new(),
            timed_out: true,
        },
    }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let ms = Duration::from_millis;
    let sensors = vec![
        Sensor {
            name: "kitchen",
            readings: vec![(ms(100), 21), (ms(100), 22)],
        },
        Sensor {
            name: "garden",
            readings: vec![(ms(150), 9)],
        },
        Sensor {
            name: "attic",
            readings: vec![(ms(5000), 30)],
        },
    ];
    println!("{:?}", gather(sensors, ms(1000)).await);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::{Instant, timeout};

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn sensor(name: &'static str, readings: &[(u64, i32)]) -> Sensor {
        Sensor {
            name,
            readings: readings.iter().map(|&(s, v)| (secs(s), v)).collect(),
        }
    }

    // The clock is paused: the sensors' waits cost nothing and every time is exact.
    async fn run(sensors: Vec<Sensor>, deadline: Duration) -> (Report, Duration) {
        let start = Instant::now();
        let report = timeout(secs(600), gather(sensors, deadline)).await.expect(
            "gather never returned, even long after its deadline: it waits in `recv()` with \
                 no deadline, and a Sender that is still alive keeps `recv()` from ever \
                 returning None",
        );
        (report, start.elapsed())
    }

    #[tokio::test(start_paused = true)]
    async fn returns_as_soon_as_every_sensor_is_done() {
        let sensors = vec![sensor("a", &[(1, 10), (1, 11)]), sensor("b", &[(1, 20)])];
        let (report, took) = run(sensors, secs(10)).await;
        assert!(
            !report.timed_out,
            "both sensors were done after 2 s, but gather waited for its 10 s deadline. \
             `recv()` returns None only when every Sender is gone: is one still alive?"
        );
        assert_eq!(
            took,
            secs(2),
            "running side by side, both sensors are done after 2 s, but gather took {took:?}: \
             do the sensors take turns?"
        );
        let mut readings = report.readings;
        readings.sort();
        assert_eq!(readings, [("a", 10), ("a", 11), ("b", 20)]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_sensors_run_side_by_side() {
        let sensors = vec![
            sensor("a", &[(3, 1)]),
            sensor("b", &[(3, 2)]),
            sensor("c", &[(3, 3)]),
        ];
        let (report, took) = run(sensors, secs(60)).await;
        assert!(
            !report.timed_out,
            "the sensors were done long before the 60 s deadline, yet gather waited for it: is \
             a Sender still alive?"
        );
        assert_eq!(
            report.readings.len(),
            3,
            "three readings: {:?}",
            report.readings
        );
        assert_eq!(
            took,
            secs(3),
            "three sensors that need 3 s each should take 3 s together, not one after another"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_sensor_runs_into_the_deadline() {
        let sensors = vec![sensor("quick", &[(1, 1)]), sensor("silent", &[(60, 2)])];
        let (report, took) = run(sensors, secs(5)).await;
        assert_eq!(
            took,
            secs(5),
            "gather should give up exactly at the 5 s deadline, counted from its start. Later? \
             A deadline checked only when a reading arrives cannot end the wait for a reading \
             that never comes: the wait itself has to race the deadline"
        );
        assert_eq!(
            report,
            Report {
                readings: vec![("quick", 1)],
                timed_out: true
            },
            "the reading that arrived before the deadline belongs in the report, and the \
             report says that the deadline was hit"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_counts_from_the_start_not_from_the_last_reading() {
        // A reading every 2 s: no single gap reaches the 5 s deadline, but the whole does.
        let sensors = vec![sensor("steady", &[(2, 1), (2, 2), (2, 3), (2, 4)])];
        let (report, took) = run(sensors, secs(5)).await;
        assert_eq!(
            (report.readings.len(), took),
            (2, secs(5)),
            "the deadline is 5 s for the whole gathering, counted from its start: two readings \
             (at 2 s and 4 s), then stop at 5 s. Is a new timer started for every reading, or \
             does the timer start only after the sensors have run?"
        );
        assert!(report.timed_out);
    }

    #[tokio::test(start_paused = true)]
    async fn no_sensors_no_waiting() {
        let (report, took) = run(Vec::new(), secs(5)).await;
        assert_eq!(
            (report, took),
            (
                Report {
                    readings: Vec::new(),
                    timed_out: false
                },
                Duration::ZERO
            ),
            "with no sensors there is nothing to wait for: the channel is closed as soon as \
             gather's own Sender is gone"
        );
    }
}
