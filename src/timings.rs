//! What each solution needs: `dev check` records the slowest test of every solution in
//! `exercises/timings.toml`, and `watch`/`run` derive each exercise's deadline from it, so a
//! learner's deadlocked attempt is stopped in about a second instead of the default ten.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::fsutil::write_atomically;

/// The record, next to `exercises/shipped.toml`.
pub const FILE: &str = "exercises/timings.toml";

const HEADER: &str = "# The slowest test of each solution, in milliseconds (the most over `--repeat` runs, rounded\n# up; kept until a run is slower, or under half), written by `tokiolings dev check`. `watch`\n# and `run` give each test of an exercise without `timeout_secs` max(1 s, 4 × this) instead\n# of the default deadline.\n";

/// A derived deadline is this many times the solution's slowest test…
const FACTOR: u32 = 4;
/// …and never less than this.
const FLOOR: Duration = Duration::from_secs(1);
/// Measurements are rounded up to this, so a re-run of `dev check` seldom changes the file.
const GRAIN_MS: u64 = 50;

/// The recorded slowest test per exercise name; empty when the course has no record.
pub fn load(root: &Path) -> Result<BTreeMap<String, u64>> {
    let path = root.join(FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(e).with_context(|| format!("failed to read {}", path.display())),
    };
    toml::from_str(&text).with_context(|| {
        format!(
            "{} is broken (it maps exercise names to milliseconds; `tokiolings dev check` writes it anew)",
            path.display()
        )
    })
}

/// Writes the record. `Ok(false)` when it was current.
///
/// Timings are noisy: a recorded value is kept unless the new one is higher (a deadline must
/// never be too short) or under half of it, so re-running `dev check` (the test suite does)
/// seldom changes the file.
pub fn record(root: &Path, slowest_ms: &BTreeMap<String, u64>) -> Result<bool> {
    let old = load(root).unwrap_or_default();
    let mut text = HEADER.to_string();
    for (name, ms) in slowest_ms {
        let mut rounded = ms.div_ceil(GRAIN_MS).max(1) * GRAIN_MS;
        if let Some(&was) = old.get(name)
            && rounded <= was
            && rounded * 2 > was
        {
            rounded = was;
        }
        text.push_str(&format!("{name} = {rounded}\n"));
    }
    let path = root.join(FILE);
    if std::fs::read_to_string(&path).is_ok_and(|old| old == text) {
        return Ok(false);
    }
    write_atomically(&path, text.as_bytes())?;
    Ok(true)
}

/// The deadline earned by a solution whose slowest test took `slowest_ms`.
pub fn deadline(slowest_ms: u64) -> Duration {
    (Duration::from_millis(slowest_ms) * FACTOR).max(FLOOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_is_four_times_the_slowest_test_and_at_least_a_second() {
        assert_eq!(deadline(100), Duration::from_secs(1));
        assert_eq!(deadline(750), Duration::from_secs(3));
    }

    #[test]
    fn the_record_round_trips_rounded_up_and_a_broken_one_names_its_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("exercises")).unwrap();
        assert!(load(dir.path()).unwrap().is_empty());
        let m = BTreeMap::from([("a".to_string(), 0), ("b".to_string(), 101)]);
        assert!(record(dir.path(), &m).unwrap());
        assert!(!record(dir.path(), &m).unwrap());
        let back = load(dir.path()).unwrap();
        assert_eq!(back, BTreeMap::from([("a".into(), 50), ("b".into(), 150)]));
        // A little faster: kept. Slower, or much faster: recorded.
        let m = BTreeMap::from([("a".to_string(), 10), ("b".to_string(), 120)]);
        assert!(!record(dir.path(), &m).unwrap());
        let m = BTreeMap::from([("a".to_string(), 60), ("b".to_string(), 20)]);
        assert!(record(dir.path(), &m).unwrap());
        let back = load(dir.path()).unwrap();
        assert_eq!(back, BTreeMap::from([("a".into(), 100), ("b".into(), 50)]));
        std::fs::write(dir.path().join(FILE), "a = \"slow\"\n").unwrap();
        let err = format!("{:#}", load(dir.path()).unwrap_err());
        assert!(err.contains("exercises/timings.toml is broken"), "{err}");
    }
}
