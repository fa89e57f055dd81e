//! Small file-system and time helpers that several modules share.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result};

/// Temp file in the same directory, then rename: a crash never leaves half a file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("failed to create a temp file in {}", dir.display()))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .with_context(|| format!("failed to write {}", path.display()))?;
    Ok(())
}

/// `path` as shown to a user: relative to `base` when it lies inside it, else unchanged.
pub fn relative_to(path: &Path, base: &Path) -> PathBuf {
    path.strip_prefix(base)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

/// The relative path that leads from `base` to `path` (both absolute), climbing with `..`.
pub fn path_from(base: &Path, path: &Path) -> PathBuf {
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    out
}

pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// Now, for a file name (no `:`).
pub fn file_stamp() -> String {
    now_rfc3339().replace(':', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_from_climb_out_of_the_base() {
        assert_eq!(
            path_from(Path::new("/c/exercises"), Path::new("/c/solutions/a/x.rs")),
            PathBuf::from("../solutions/a/x.rs")
        );
        assert_eq!(
            path_from(Path::new("/c"), Path::new("/c/exercises/a/x.rs")),
            PathBuf::from("exercises/a/x.rs")
        );
    }

    #[test]
    fn relative_to_keeps_paths_outside_the_base() {
        assert_eq!(
            relative_to(Path::new("/c/a.rs"), Path::new("/c")),
            PathBuf::from("a.rs")
        );
        assert_eq!(
            relative_to(Path::new("/d/a.rs"), Path::new("/c")),
            PathBuf::from("/d/a.rs")
        );
    }
}

/// A tiny deterministic mutator for the parsers' fuzz tests (a fixed seed: a failure
/// reproduces on every run).
#[cfg(test)]
pub mod fuzz {
    pub struct Rng(u64);

    impl Rng {
        pub fn new(seed: u64) -> Self {
            Self(seed.max(1))
        }

        /// xorshift64*.
        pub fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        /// In `0..n` (`n > 0`).
        pub fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
            &items[self.below(items.len())]
        }
    }

    /// `seed` with one to four random edits: a byte changed, a range deleted or duplicated,
    /// a token inserted, the tail cut off.
    pub fn mutate(rng: &mut Rng, seed: &[u8], tokens: &[&str]) -> Vec<u8> {
        let mut b = seed.to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(b.len() + 1);
            match rng.below(6) {
                0 if !b.is_empty() => {
                    let i = at.min(b.len() - 1);
                    b[i] = rng.next() as u8;
                }
                1 => {
                    let end = (at + rng.below(40)).min(b.len());
                    b.drain(at..end);
                }
                2 => {
                    let end = (at + rng.below(80)).min(b.len());
                    let copy = b[at..end].to_vec();
                    let to = rng.below(b.len() + 1);
                    b.splice(to..to, copy);
                }
                3 => b.truncate(at),
                _ => {
                    let t = rng.pick(tokens).as_bytes().to_vec();
                    b.splice(at..at, t);
                }
            }
        }
        b
    }
}
