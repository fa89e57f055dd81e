//! The course model: `info.toml` read into an ordered list of exercises.
//!
//! The format is a superset of rustlings v6's, so a rustlings community course runs unchanged.
//! Every error names the file, the line and the key, and loading never writes anything.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use toml::Spanned;

pub const INFO_FILE: &str = "info.toml";
pub const CURRENT_FORMAT_VERSION: u8 = 1;
pub const DEFAULT_TIMEOUT_SECS: u64 = 10;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InfoFile {
    format_version: Spanned<u8>,
    /// The course's name in reports (an addition to rustlings' format); default: the directory's.
    course_name: Option<String>,
    welcome_message: Option<String>,
    final_message: Option<String>,
    exercises: Vec<ExerciseInfo>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExerciseInfo {
    name: Spanned<String>,
    dir: Option<Spanned<String>>,
    #[serde(default = "yes")]
    test: bool,
    #[serde(default)]
    strict_clippy: bool,
    hint: String,
    hint_hinglish: Option<String>,
    /// The second step, shown on a second request: names the API.
    hint_more: Option<String>,
    hint_more_hinglish: Option<String>,
    #[serde(default)]
    skip_check_unsolved: bool,
    timeout_secs: Option<Spanned<u64>>,
    points: Option<u32>,
}

fn yes() -> bool {
    true
}

/// One exercise, in the order `info.toml` gives.
#[derive(Clone, Debug)]
pub struct Exercise {
    pub name: String,
    pub dir: Option<String>,
    pub test: bool,
    pub strict_clippy: bool,
    pub hint: String,
    pub hint_hinglish: Option<String>,
    /// The second hint step (`hint --more`, `h` twice in watch): names the API.
    pub hint_more: Option<String>,
    pub hint_more_hinglish: Option<String>,
    pub skip_check_unsolved: bool,
    /// Per-test deadline (or `main`'s, for `test = false`).
    pub timeout: Duration,
    /// The author set `timeout_secs`: no deadline is derived from the solution's timings.
    pub timeout_set: bool,
    /// The solution's slowest test as `dev check` recorded it (`exercises/timings.toml`).
    pub slowest_ms: Option<u64>,
    pub points: u32,
    /// Relative to the course root: `exercises/[DIR/]NAME.rs`.
    pub path: PathBuf,
    /// Relative to the course root: `solutions/[DIR/]NAME.rs`.
    pub sol_path: PathBuf,
    /// Line of `name = …` in info.toml, for error messages.
    pub line: usize,
}

impl Exercise {
    /// The cargo bin of the reference solution.
    pub fn sol_bin(&self) -> String {
        format!("{}_sol", self.name)
    }

    pub fn section(&self) -> &str {
        self.dir.as_deref().unwrap_or("")
    }
}

#[derive(Debug)]
pub struct Course {
    /// Absolute path of the directory holding `info.toml`.
    pub root: PathBuf,
    pub name: String,
    pub welcome_message: Option<String>,
    pub final_message: Option<String>,
    pub exercises: Vec<Exercise>,
}

impl Course {
    pub fn load(root: &Path) -> Result<Self> {
        let root = root
            .canonicalize()
            .with_context(|| format!("course directory {} not found", root.display()))?;
        let info_path = root.join(INFO_FILE);
        let text = std::fs::read_to_string(&info_path)
            .with_context(|| format!("failed to read {}", info_path.display()))?;
        let mut course = Self::parse(&root, &text).map_err(|e| {
            anyhow::anyhow!("{}: {e:#}", info_path.display())
                .context(format!("the course file {} is broken", info_path.display()))
        })?;
        let timings = crate::timings::load(&root)?;
        for ex in &mut course.exercises {
            ex.slowest_ms = timings.get(&ex.name).copied();
        }
        for ex in &course.exercises {
            if !root.join(&ex.path).is_file() {
                bail!(
                    "{}:{}: exercise `{}` names a file that doesn't exist: {}",
                    info_path.display(),
                    ex.line,
                    ex.name,
                    ex.path.display()
                );
            }
        }
        Ok(course)
    }

    /// Parses and validates `info.toml` text; file existence is checked by [`Course::load`].
    pub fn parse(root: &Path, text: &str) -> Result<Self> {
        // Windows checkouts may carry \r\n; spans below are computed on the same text.
        let info: InfoFile = toml::from_str(text)?;
        // Offsets of the line ends, once: counting newlines per exercise made loading a
        // 1,000-exercise course quadratic (docs/reliability.md).
        let newlines: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
        let line_of = |offset: usize| newlines.partition_point(|&nl| nl < offset) + 1;

        let version = *info.format_version.get_ref();
        if version > CURRENT_FORMAT_VERSION {
            bail!(
                "line {}: `format_version = {version}` needs a newer tokiolings (this one reads {CURRENT_FORMAT_VERSION})",
                line_of(info.format_version.span().start)
            );
        }
        if info.exercises.is_empty() {
            bail!("no `[[exercises]]` entries");
        }

        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut exercises = Vec::with_capacity(info.exercises.len());
        for e in info.exercises {
            let line = line_of(e.name.span().start);
            let name = e.name.into_inner();
            check_ident(&name).with_context(|| format!("line {line}: bad `name = \"{name}\"`"))?;
            if let Some(first) = seen.insert(name.clone(), line) {
                bail!(
                    "line {line}: duplicate exercise name `{name}` (first defined at line {first})"
                );
            }
            let dir = match e.dir {
                Some(d) => {
                    let dline = line_of(d.span().start);
                    let d = d.into_inner();
                    check_ident(&d)
                        .with_context(|| format!("line {dline}: bad `dir = \"{d}\"`"))?;
                    Some(d)
                }
                None => None,
            };
            let timeout_set = e.timeout_secs.is_some();
            let timeout_secs = match e.timeout_secs {
                Some(t) if *t.get_ref() == 0 => {
                    bail!(
                        "line {}: `timeout_secs` must be at least 1",
                        line_of(t.span().start)
                    )
                }
                Some(t) => t.into_inner(),
                None => DEFAULT_TIMEOUT_SECS,
            };
            if e.hint.trim().is_empty() {
                bail!("line {line}: exercise `{name}` has an empty `hint`");
            }
            let rel = |top: &str| {
                let mut p = PathBuf::from(top);
                if let Some(d) = &dir {
                    p.push(d);
                }
                p.push(format!("{name}.rs"));
                p
            };
            exercises.push(Exercise {
                path: rel("exercises"),
                sol_path: rel("solutions"),
                name,
                dir,
                test: e.test,
                strict_clippy: e.strict_clippy,
                hint: e.hint.trim().to_string(),
                hint_hinglish: e.hint_hinglish.map(|h| h.trim().to_string()),
                hint_more: e.hint_more.map(|h| h.trim().to_string()),
                hint_more_hinglish: e.hint_more_hinglish.map(|h| h.trim().to_string()),
                skip_check_unsolved: e.skip_check_unsolved,
                timeout: Duration::from_secs(timeout_secs),
                timeout_set,
                slowest_ms: None,
                points: e.points.unwrap_or(1),
                line,
            });
        }

        let name = info.course_name.unwrap_or_else(|| {
            root.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "course".into())
        });
        Ok(Self {
            root: root.to_path_buf(),
            name,
            welcome_message: info.welcome_message,
            final_message: info.final_message,
            exercises,
        })
    }

    pub fn find(&self, name: &str) -> Result<usize> {
        self.exercises
            .iter()
            .position(|e| e.name == name)
            .with_context(|| {
                format!("there is no exercise named `{name}` (`tokiolings list` shows them all)")
            })
    }
}

/// Names become cargo bin names and file stems, so keep them to a portable charset.
fn check_ident(s: &str) -> Result<()> {
    if s.is_empty() {
        bail!("it is empty");
    }
    if s.len() > 64 {
        bail!("it is longer than 64 characters");
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        bail!("{c:?} is not allowed (use letters, digits and `_`)");
    }
    Ok(())
}

/// Finds the course to use when `--course` is not given: the nearest ancestor of the
/// working directory that holds `info.toml`, else the repository this binary was built from.
pub fn default_root() -> PathBuf {
    if let Ok(cwd) = std::env::current_dir()
        && let Some(dir) = cwd.ancestors().find(|d| d.join(INFO_FILE).is_file())
    {
        return dir.to_path_buf();
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Course> {
        Course::parse(Path::new("/c"), text)
    }

    const OK: &str = r#"
format_version = 1

[[exercises]]
name = "a"
dir = "01_x"
hint = "h"

[[exercises]]
name = "b"
test = false
hint = "h"
timeout_secs = 3
points = 2
"#;

    #[test]
    fn reads_order_defaults_and_paths() {
        let c = parse(OK).unwrap();
        let a = &c.exercises[0];
        assert_eq!(a.path, Path::new("exercises/01_x/a.rs"));
        assert_eq!(a.sol_path, Path::new("solutions/01_x/a.rs"));
        assert!(a.test);
        assert_eq!(a.timeout, Duration::from_secs(DEFAULT_TIMEOUT_SECS));
        assert_eq!(a.points, 1);
        assert_eq!(a.line, 5);
        let b = &c.exercises[1];
        assert_eq!(b.path, Path::new("exercises/b.rs"));
        assert!(!b.test);
        assert_eq!(b.timeout, Duration::from_secs(3));
        assert_eq!(c.exercises.iter().map(|e| e.points).sum::<u32>(), 3);
    }

    #[test]
    fn duplicate_names_name_both_lines() {
        let text = OK.replace("name = \"b\"", "name = \"a\"");
        let err = format!("{:#}", parse(&text).unwrap_err());
        assert!(
            err.contains("line 10: duplicate exercise name `a` (first defined at line 5)"),
            "{err}"
        );
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let text = OK.replace("points = 2", "pointz = 2");
        let err = format!("{:#}", parse(&text).unwrap_err());
        assert!(err.contains("pointz"), "{err}");
        assert!(err.contains("line 14"), "{err}");
    }

    #[test]
    fn rejects_bad_values() {
        for (from, to, want) in [
            (
                "timeout_secs = 3",
                "timeout_secs = 0",
                "line 13: `timeout_secs` must be at least 1",
            ),
            (
                "name = \"a\"",
                "name = \"a-b\"",
                "line 5: bad `name = \"a-b\"`",
            ),
            (
                "format_version = 1",
                "format_version = 9",
                "needs a newer tokiolings",
            ),
            (
                "hint = \"h\"\n\n[[exercises]]",
                "hint = \" \"\n\n[[exercises]]",
                "empty `hint`",
            ),
        ] {
            let err = format!("{:#}", parse(&OK.replacen(from, to, 1)).unwrap_err());
            assert!(err.contains(want), "{from} -> {to}: {err}");
        }
    }

    /// A few thousand mutated `info.toml` files through [`Course::load`]: never a panic, and
    /// every error names the file.
    #[test]
    fn fuzzed_info_toml_never_panics_and_errors_name_the_file() {
        use crate::fsutil::fuzz::{Rng, mutate};
        const TOKENS: &[&str] = &[
            "[[exercises]]\n",
            "name = ",
            "\"",
            "'''",
            "\"\"\"",
            " = ",
            "\n",
            "\r\n",
            "format_version = 255\n",
            "format_version = -1\n",
            "timeout_secs = 0\n",
            "timeout_secs = 18446744073709551616\n",
            "points = -1\n",
            "dir = \"../up\"\n",
            "name = \"\"\n",
            "hint = \"\"\n",
            "test = \"yes\"\n",
            "[exercises]\n",
            "exercises = []\n",
            "é",
            "\u{0}",
            "\\u{110000}",
            "{",
            "}",
            "[",
            "]",
            "#",
        ];
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        for sub in ["exercises/01_x", "exercises"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        std::fs::write(root.join("exercises/01_x/a.rs"), "").unwrap();
        std::fs::write(root.join("exercises/b.rs"), "").unwrap();
        let real = include_str!("../info.toml");
        for ex in Course::parse(&root, real).unwrap().exercises {
            let path = root.join(&ex.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let info = root.join(INFO_FILE);
        let seeds: [&[u8]; 2] = [OK.as_bytes(), real.as_bytes()];
        let mut rng = Rng::new(0x7011_0115);
        let (mut ok, mut errors) = (0, 0);
        for i in 0..3000 {
            let input = mutate(&mut rng, seeds[i % 2], TOKENS);
            std::fs::write(&info, &input).unwrap();
            let result = std::panic::catch_unwind(|| Course::load(&root)).unwrap_or_else(|_| {
                panic!(
                    "Course::load panicked on input {i}:\n{}",
                    String::from_utf8_lossy(&input)
                )
            });
            match result {
                Ok(_) => ok += 1,
                Err(e) => {
                    errors += 1;
                    let msg = format!("{e:#}");
                    assert!(
                        msg.contains(&info.display().to_string()),
                        "input {i}: the error does not name the file: {msg}"
                    );
                }
            }
        }
        eprintln!("3000 mutated info.toml files: {ok} loaded, {errors} clear errors");
        assert!(errors > 1000, "the mutations hardly ever broke the file");
    }
}
