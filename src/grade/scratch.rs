//! The scratch package grade mode builds in: a temp dir holding a generated cargo package whose
//! bins are the spliced copies of learners' files, with the course package's dependencies and
//! lints. Nothing is ever built in the course or a submission.
//!
//! Every run shares one target dir (`<course target>/tokiolings-grade`) so dependencies compile
//! once; a run's own artifacts carry its tag and are removed when it ends.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use toml::{Table, Value};

use crate::build::CoursePackage;

/// One bin of the scratch package.
#[derive(Clone, Debug)]
pub struct ScratchBin {
    pub name: String,
    /// Relative to the scratch root.
    pub path: PathBuf,
    /// Built as a test harness (`false` for `test = false` exercises, which run `main`).
    pub test: bool,
}

pub struct Scratch {
    /// Kept alive for the run; removed on drop.
    _dir: tempfile::TempDir,
    /// Canonical path of the temp dir.
    pub root: PathBuf,
    /// Unique to this run: the prefix of its package and bin names.
    pub tag: String,
    pub target_dir: PathBuf,
}

impl Scratch {
    pub fn new(course_pkg: &CoursePackage) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("tokiolings-grade-")
            .tempdir()
            .context("failed to create the scratch dir for grading")?;
        let root = dir.path().canonicalize()?;
        let tag = format!(
            "g{:x}{:x}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        );
        Ok(Self {
            _dir: dir,
            root,
            tag,
            target_dir: course_pkg.target_dir.join("tokiolings-grade"),
        })
    }

    /// The cargo bin name for learner `student`'s copy of `exercise`.
    pub fn bin_name(&self, student: usize, exercise: &str) -> String {
        format!("{}_s{student}__{exercise}", self.tag)
    }

    fn package_name(&self) -> String {
        format!("tokiolings-grade-{}", self.tag)
    }

    /// Writes a file under the scratch root (creating its directories).
    pub fn write(&self, rel: &Path, text: &str) -> Result<PathBuf> {
        let path = self.root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("failed to create {}", dir.display()))?;
        }
        std::fs::write(&path, text)
            .with_context(|| format!("failed to write {}", path.display()))?;
        Ok(path)
    }

    /// Writes the manifest, the cargo config (shared target dir) and the course's lock file,
    /// and returns the package to build.
    pub fn finish(&self, course_pkg: &CoursePackage, bins: &[ScratchBin]) -> Result<CoursePackage> {
        let manifest = manifest(course_pkg, &self.package_name(), bins)?;
        let manifest_path = self.write(Path::new("Cargo.toml"), &manifest)?;
        let mut build = Table::new();
        build.insert(
            "target-dir".into(),
            Value::String(self.target_dir.to_string_lossy().into_owned()),
        );
        let mut config = Table::new();
        config.insert("build".into(), Value::Table(build));
        self.write(Path::new(".cargo/config.toml"), &toml::to_string(&config)?)?;
        // The course's versions, not whatever is newest today (and no index update offline).
        let lock = course_pkg.workspace_root.join("Cargo.lock");
        if lock.is_file() {
            std::fs::copy(&lock, self.root.join("Cargo.lock"))
                .with_context(|| format!("failed to copy {}", lock.display()))?;
        }
        Ok(CoursePackage {
            manifest: manifest_path,
            name: self.package_name(),
            workspace_root: self.root.clone(),
            target_dir: self.target_dir.clone(),
            course_root: self.root.clone(),
            bins: bins.iter().map(|b| b.name.clone()).collect(),
        })
    }

    /// Removes this run's executables and fingerprints from the shared target dir (they are
    /// large and never reused: the next run has another tag), keeping the dependencies.
    pub fn clean_artifacts(&self) {
        let prefix = format!("{}_", self.tag);
        let pkg = self.package_name();
        for profile in ["debug", "release"] {
            let base = self.target_dir.join(profile);
            for dir in [base.clone(), base.join("deps")] {
                remove_matching(&dir, |n| {
                    n.starts_with(&prefix)
                        || n.strip_prefix("lib")
                            .is_some_and(|n| n.starts_with(&prefix))
                });
            }
            remove_matching(&base.join(".fingerprint"), |n| n.starts_with(&pkg));
        }
    }
}

fn remove_matching(dir: &Path, matches: impl Fn(&str) -> bool) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if matches(&entry.file_name().to_string_lossy()) {
            let path = entry.path();
            let _ = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
        }
    }
}

/// The scratch package's manifest: the course package's dependencies (path dependencies made
/// absolute, `workspace = true` resolved), features and lints, and one `[[bin]]` per copy.
pub fn manifest(course_pkg: &CoursePackage, name: &str, bins: &[ScratchBin]) -> Result<String> {
    let path = &course_pkg.manifest;
    let read = |p: &Path| -> Result<Table> {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("failed to read {}", p.display()))?;
        text.parse::<Table>()
            .with_context(|| format!("failed to parse {}", p.display()))
    };
    let course = read(path)?;
    let course_dir = path.parent().unwrap_or(Path::new("."));
    let ws_manifest = course_pkg.workspace_root.join("Cargo.toml");
    let ws = if ws_manifest != *path && ws_manifest.is_file() {
        read(&ws_manifest)?
            .get("workspace")
            .and_then(Value::as_table)
            .cloned()
            .unwrap_or_default()
    } else {
        course
            .get("workspace")
            .and_then(Value::as_table)
            .cloned()
            .unwrap_or_default()
    };
    let ws_deps = ws
        .get("dependencies")
        .and_then(Value::as_table)
        .cloned()
        .unwrap_or_default();
    let resolve = |deps: &Table| -> Table {
        deps.iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    dependency(k, v, course_dir, &ws_deps, &course_pkg.workspace_root),
                )
            })
            .collect()
    };

    let package = course.get("package").and_then(Value::as_table);
    let edition = match package.and_then(|p| p.get("edition")) {
        Some(Value::String(e)) => e.clone(),
        Some(Value::Table(_)) => ws
            .get("package")
            .and_then(|p| p.get("edition"))
            .and_then(Value::as_str)
            .unwrap_or("2021")
            .to_string(),
        _ => "2015".to_string(),
    };
    let mut out = Table::new();
    let mut pkg = Table::new();
    pkg.insert("name".into(), name.into());
    pkg.insert("version".into(), "0.0.0".into());
    pkg.insert("edition".into(), edition.into());
    pkg.insert("publish".into(), false.into());
    for auto in [
        "autobins",
        "autotests",
        "autobenches",
        "autoexamples",
        "autolib",
    ] {
        pkg.insert(auto.into(), false.into());
    }
    out.insert("package".into(), pkg.into());

    for section in ["dependencies", "dev-dependencies"] {
        if let Some(deps) = course.get(section).and_then(Value::as_table) {
            out.insert(section.into(), resolve(deps).into());
        }
    }
    if let Some(targets) = course.get("target").and_then(Value::as_table) {
        let mut t = Table::new();
        for (cfg, sections) in targets {
            let mut s = Table::new();
            for section in ["dependencies", "dev-dependencies"] {
                if let Some(deps) = sections.get(section).and_then(Value::as_table) {
                    s.insert(section.into(), resolve(deps).into());
                }
            }
            t.insert(cfg.clone(), s.into());
        }
        out.insert("target".into(), t.into());
    }
    if let Some(features) = course.get("features") {
        out.insert("features".into(), features.clone());
    }
    match course.get("lints") {
        Some(Value::Table(l)) if l.get("workspace").and_then(Value::as_bool) == Some(true) => {
            if let Some(wl) = ws.get("lints") {
                out.insert("lints".into(), wl.clone());
            }
        }
        Some(l) => {
            out.insert("lints".into(), l.clone());
        }
        None => {}
    }

    let bins: Vec<Value> = bins
        .iter()
        .map(|b| {
            let mut t = Table::new();
            t.insert("name".into(), b.name.clone().into());
            t.insert(
                "path".into(),
                b.path.to_string_lossy().replace('\\', "/").into(),
            );
            t.insert("test".into(), b.test.into());
            t.insert("bench".into(), false.into());
            t.into()
        })
        .collect();
    out.insert("bin".into(), bins.into());
    // Its own workspace: never a member of whatever surrounds the temp dir.
    out.insert("workspace".into(), Table::new().into());
    // Small, quick executables: nothing needs debug info, nothing is rebuilt incrementally.
    let mut dev = Table::new();
    dev.insert("debug".into(), false.into());
    dev.insert("strip".into(), "debuginfo".into());
    dev.insert("incremental".into(), false.into());
    let mut profile = Table::new();
    profile.insert("dev".into(), dev.into());
    out.insert("profile".into(), profile.into());
    Ok(toml::to_string(&out)?)
}

/// One dependency, made to work from anywhere: `workspace = true` replaced by the workspace's
/// entry, `path` made absolute.
fn dependency(name: &str, value: &Value, dir: &Path, ws_deps: &Table, ws_root: &Path) -> Value {
    let Value::Table(t) = value else {
        return value.clone();
    };
    let (mut dep, base) = if t.get("workspace").and_then(Value::as_bool) == Some(true) {
        let mut dep = match ws_deps.get(name) {
            Some(Value::String(v)) => {
                let mut d = Table::new();
                d.insert("version".into(), v.clone().into());
                d
            }
            Some(Value::Table(d)) => d.clone(),
            _ => Table::new(),
        };
        for (k, v) in t {
            match (k.as_str(), dep.get_mut(k)) {
                ("workspace", _) => {}
                ("features", Some(Value::Array(existing))) => {
                    if let Value::Array(more) = v {
                        existing.extend(more.iter().cloned());
                    }
                }
                _ => {
                    dep.insert(k.clone(), v.clone());
                }
            }
        }
        (dep, ws_root)
    } else {
        (t.clone(), dir)
    };
    if let Some(Value::String(p)) = dep.get("path") {
        let abs = base.join(p);
        let abs = abs.canonicalize().unwrap_or(abs);
        dep.insert("path".into(), abs.to_string_lossy().into_owned().into());
    }
    Value::Table(dep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_keeps_dependencies_and_lints_and_makes_paths_absolute() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("exercises/support")).unwrap();
        std::fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"exercises\"]\n[workspace.dependencies]\nfutures = { version = \"0.3\", features = [\"std\"] }\n",
        )
        .unwrap();
        std::fs::write(
            root.join("exercises/Cargo.toml"),
            "[package]\nname = \"c\"\nversion = \"0.1.0\"\nedition = \"2024\"\n[dependencies]\ntokio = { version = \"1\", features = [\"rt\"] }\nsupport = { path = \"support\" }\nfutures = { workspace = true, features = [\"executor\"] }\n[lints.rust]\nunsafe_code = \"forbid\"\n[[bin]]\nname = \"x\"\npath = \"x.rs\"\n",
        )
        .unwrap();
        let pkg = CoursePackage {
            manifest: root.join("exercises/Cargo.toml"),
            name: "c".into(),
            workspace_root: root.to_path_buf(),
            target_dir: root.join("target"),
            course_root: root.to_path_buf(),
            bins: vec![],
        };
        let bins = [ScratchBin {
            name: "t_s0__x".into(),
            path: "s0/exercises/x.rs".into(),
            test: true,
        }];
        let text = manifest(&pkg, "tokiolings-grade-t", &bins).unwrap();
        let m: Table = text.parse().unwrap();
        assert_eq!(m["package"]["edition"].as_str(), Some("2024"));
        assert_eq!(m["package"]["autobins"].as_bool(), Some(false));
        assert_eq!(
            m["dependencies"]["tokio"]["features"][0].as_str(),
            Some("rt")
        );
        let support = m["dependencies"]["support"]["path"].as_str().unwrap();
        assert!(
            Path::new(support).is_absolute() && support.ends_with("exercises/support"),
            "{support}"
        );
        let futures = &m["dependencies"]["futures"];
        assert_eq!(futures["version"].as_str(), Some("0.3"));
        assert_eq!(futures["features"].as_array().unwrap().len(), 2);
        assert!(futures.get("workspace").is_none());
        assert_eq!(m["lints"]["rust"]["unsafe_code"].as_str(), Some("forbid"));
        assert_eq!(m["bin"][0]["path"].as_str(), Some("s0/exercises/x.rs"));
        assert!(m["workspace"].as_table().unwrap().is_empty());
    }
}
