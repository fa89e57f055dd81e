//! Whose code a report judged, and against which course: the learner, the graded commit, when,
//! by which grader, and a fingerprint of the course, so that reports made on many machines
//! (Actions jobs, shards) can be put back together without mixing course versions.

use std::path::Path;
use std::process::Command;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::course::{Course, Exercise, INFO_FILE};
use crate::fsutil::now_rfc3339;

/// The grader as reports name it.
pub const GRADER: &str = concat!("tokiolings ", env!("CARGO_PKG_VERSION"));

/// The stamp's fields, flattened into the top level of a grade report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stamp {
    pub student: String,
    /// `owner/repo` of the checkout's `origin`, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The checkout's HEAD and its committer time (RFC 3339), when it is a git checkout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_time: Option<String>,
    /// A hash of the graded exercise files as submitted (what `--resume` compares, since a
    /// checkout may hold uncommitted work).
    pub submission_digest: String,
    pub graded_at: String,
    pub grader: String,
    pub course_fingerprint: String,
}

impl Stamp {
    /// The stamp of the copy at `root`; `student` overrides the learner's id.
    pub fn of(root: &Path, student: Option<&str>, exercises: &[Exercise], course: &str) -> Self {
        let git = Git::at(root);
        let repository = git.as_ref().and_then(Git::repository);
        let head = git.as_ref().and_then(Git::head);
        let student = student
            .map(str::to_string)
            .or(repository.clone())
            .unwrap_or_else(|| {
                root.file_name()
                    .map_or("submission".into(), |n| n.to_string_lossy().into_owned())
            });
        let (commit, commit_time) = head.unzip();
        Self {
            student,
            repository,
            commit,
            commit_time,
            submission_digest: submission_digest(root, exercises),
            graded_at: now_rfc3339(),
            grader: GRADER.into(),
            course_fingerprint: course.into(),
        }
    }

    /// Whether a report with this stamp judged the same work as `other` would.
    pub fn same_work(&self, other: &Stamp) -> bool {
        self.course_fingerprint == other.course_fingerprint
            && self.commit == other.commit
            && self.submission_digest == other.submission_digest
    }
}

/// `sha256:` and the hex digest of `info.toml` and every solution file (they hold the canonical
/// tests and the signatures those tests pin), so a change to either changes the fingerprint.
pub fn course_fingerprint(course: &Course) -> String {
    let mut h = Sha256::new();
    feed(&mut h, INFO_FILE, &course.root.join(INFO_FILE));
    for ex in &course.exercises {
        feed(
            &mut h,
            &ex.sol_path.to_string_lossy(),
            &course.root.join(&ex.sol_path),
        );
    }
    format!("sha256:{}", hex(&h.finalize()))
}

fn submission_digest(root: &Path, exercises: &[Exercise]) -> String {
    let mut h = Sha256::new();
    for ex in exercises {
        feed(&mut h, &ex.path.to_string_lossy(), &root.join(&ex.path));
    }
    format!("sha256:{}", hex(&h.finalize()))
}

/// A named file into the hash, its length first so that no two sets of files collide; a
/// missing file counts as missing, not as empty.
fn feed(h: &mut Sha256, name: &str, path: &Path) {
    h.update(name.as_bytes());
    h.update([0]);
    match std::fs::read(path) {
        Ok(bytes) => {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(&bytes);
        }
        Err(_) => h.update(u64::MAX.to_le_bytes()),
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The learner's git checkout (the directory itself is the work tree's top).
struct Git<'a> {
    root: &'a Path,
}

impl<'a> Git<'a> {
    fn at(root: &'a Path) -> Option<Self> {
        root.join(".git").exists().then_some(Self { root })
    }

    /// `git` reading the learner's repository, whose config is theirs: nothing in it may
    /// run a program (no signature check, no fsmonitor, no pager), and ownership is not
    /// checked (the grader is often root, the clone someone else's).
    fn run(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("git")
            .args(["--no-pager", "-c", "safe.directory=*"])
            .args([
                "-c",
                "log.showSignature=false",
                "-c",
                "core.fsmonitor=false",
            ])
            .arg("-C")
            .arg(self.root)
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        let text = String::from_utf8(out.stdout).ok()?;
        (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
    }

    fn head(&self) -> Option<(String, String)> {
        // The time as seconds, written in UTC: RFC 3339 times then sort as strings.
        let line = self.run(&["log", "-1", "--no-show-signature", "--format=%H %ct"])?;
        let (commit, secs) = line.split_once(' ')?;
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.parse().ok()?);
        Some((
            commit.to_string(),
            humantime::format_rfc3339_seconds(at).to_string(),
        ))
    }

    fn repository(&self) -> Option<String> {
        owner_repo(&self.run(&["remote", "get-url", "origin"])?)
    }
}

/// `owner/repo` from a remote URL (`https://host/owner/repo.git`, `git@host:owner/repo`).
fn owner_repo(url: &str) -> Option<String> {
    let mut parts = url
        .trim_end_matches('/')
        .trim_end_matches(".git")
        .rsplit(['/', ':'])
        .filter(|p| !p.is_empty());
    let repo = parts.next()?;
    let owner = parts.next()?;
    let clean = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    (clean(owner) && clean(repo)).then(|| format!("{owner}/{repo}"))
}

/// The file name of a learner's report: their id with anything but `[A-Za-z0-9._-]` as `_`
/// (`owner/repo` becomes `owner_repo`).
pub fn file_stem(student: &str) -> String {
    let s: String = student
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        format!("_{s}")
    } else {
        s
    }
}

/// A learner's report file name when `file_stem` is taken by another id (`org/a` and `org_a`):
/// the stem and a short hash of the id itself.
pub fn distinct_stem(student: &str) -> String {
    let h = hex(&Sha256::digest(student.as_bytes()));
    format!("{}-{}", file_stem(student), &h[..8])
}

/// Which of `n` shards grades the learner `student`: a hash of the id alone, so adding or
/// removing a learner never moves another one.
pub fn shard_of(student: &str, n: u32) -> u32 {
    let d = Sha256::digest(student.as_bytes());
    let v = u64::from_le_bytes(d[..8].try_into().expect("8 bytes"));
    (v % u64::from(n.max(1))) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_and_repo_come_from_common_remote_urls() {
        for (url, want) in [
            (
                "https://github.com/org/tokio-alice.git",
                Some("org/tokio-alice"),
            ),
            (
                "https://github.com/org/tokio-alice",
                Some("org/tokio-alice"),
            ),
            (
                "git@github.com:org/tokio-alice.git",
                Some("org/tokio-alice"),
            ),
            ("ssh://git@host:22/org/x/", Some("org/x")),
            ("repo", None),
            ("https://h/o/r;rm -rf", None),
        ] {
            assert_eq!(owner_repo(url).as_deref(), want, "{url}");
        }
    }

    #[test]
    fn file_stems_are_plain_names() {
        assert_eq!(file_stem("org/alice"), "org_alice");
        assert_eq!(file_stem(".."), "_..");
        assert_eq!(file_stem(""), "_");
        assert_eq!(file_stem("bob-2.x"), "bob-2.x");
        assert_eq!(file_stem("org/a"), file_stem("org_a"));
        assert_ne!(distinct_stem("org/a"), distinct_stem("org_a"));
        assert!(distinct_stem("org/a").starts_with("org_a-"));
    }

    #[test]
    fn shards_are_stable_and_spread() {
        let mut counts = [0; 4];
        for i in 0..400 {
            let s = shard_of(&format!("learner-{i}"), 4);
            assert_eq!(s, shard_of(&format!("learner-{i}"), 4));
            counts[s as usize] += 1;
        }
        assert!(counts.iter().all(|c| *c > 60), "{counts:?}");
    }
}
