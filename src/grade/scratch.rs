//! The scratch package grade mode builds in: a temp dir holding a generated cargo package whose
//! bins are the spliced copies of learners' files, with the course package's dependencies and
//! lints. Nothing is ever built in the course or a submission.
//!
//! Every run shares one target dir (`<course target>/tokiolings-grade`) so dependencies compile
//! once; a run's own artifacts carry its tag and are removed when it ends.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use toml::{Table, Value};

use crate::build::{BuildJail, CoursePackage};

/// The guard crate (`guard/` in this repository), compiled into every graded test binary.
const GUARD_CRATE: &str = "tokiolings-guard";
const GUARD_MANIFEST: &str = include_str!("../../guard/Cargo.toml");
const GUARD_SOURCE: &str = include_str!("../../guard/src/lib.rs");

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

    /// The cargo bin name for `exercise` in `unit` (a learner's package, say `s3`).
    pub fn bin_name(&self, unit: &str, exercise: &str) -> String {
        format!("{}_{unit}__{exercise}", self.tag)
    }

    fn package_name(&self, unit: &str) -> String {
        format!("tokiolings-grade-{}-{unit}", self.tag)
    }

    /// The directory of `unit`'s package.
    pub fn unit_dir(&self, unit: &str) -> PathBuf {
        self.root.join(unit)
    }

    /// The guard crate every package depends on (written once, never a learner's).
    pub fn guard_dir(&self) -> PathBuf {
        self.root.join("guard")
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

    /// Writes `unit`'s manifest (its `bins`, whose paths are relative to the unit's dir), the
    /// cargo config (shared target dir) and the course's lock file, and returns the package.
    pub fn package(
        &self,
        unit: &str,
        course_pkg: &CoursePackage,
        bins: &[ScratchBin],
        jail: Option<BuildJail>,
    ) -> Result<CoursePackage> {
        let dir = Path::new(unit);
        if !self.guard_dir().is_dir() {
            self.write(Path::new("guard/Cargo.toml"), GUARD_MANIFEST)?;
            self.write(Path::new("guard/src/lib.rs"), GUARD_SOURCE)?;
        }
        let name = self.package_name(unit);
        let manifest = manifest(course_pkg, &name, bins, &self.guard_dir())?;
        let manifest_path = self.write(&dir.join("Cargo.toml"), &manifest)?;
        let mut build = Table::new();
        build.insert(
            "target-dir".into(),
            Value::String(self.target_dir.to_string_lossy().into_owned()),
        );
        let mut config = Table::new();
        config.insert("build".into(), Value::Table(build));
        self.write(&dir.join(".cargo/config.toml"), &toml::to_string(&config)?)?;
        // The course's versions, not whatever is newest today (and no index update offline).
        let lock = course_pkg.workspace_root.join("Cargo.lock");
        if lock.is_file() {
            std::fs::copy(&lock, self.unit_dir(unit).join("Cargo.lock"))
                .with_context(|| format!("failed to copy {}", lock.display()))?;
        }
        std::fs::create_dir_all(&self.target_dir)
            .with_context(|| format!("failed to create {}", self.target_dir.display()))?;
        Ok(CoursePackage {
            manifest: manifest_path,
            name,
            workspace_root: self.unit_dir(unit),
            target_dir: self.target_dir.clone(),
            course_root: self.unit_dir(unit),
            bins: bins.iter().map(|b| b.name.clone()).collect(),
            jail,
        })
    }

    /// Removes `unit`'s executables and fingerprints from the shared target dir: they are large
    /// and never reused, and the next learner's build must not find them (it could
    /// `include_bytes!` a classmate's test binary). Dependencies stay.
    pub fn clean_unit(&self, unit: &str) {
        let prefix = format!("{}_{unit}__", self.tag);
        let pkg = self.package_name(unit);
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
pub fn manifest(
    course_pkg: &CoursePackage,
    name: &str,
    bins: &[ScratchBin],
    guard: &Path,
) -> Result<String> {
    let src = Source::read(course_pkg)?;
    let mut out = Table::new();
    out.insert("package".into(), src.package(name).into());
    src.copy_dependencies(&mut out);
    add_guard(&mut out, guard);
    if let Some(features) = src.course.get("features") {
        out.insert("features".into(), features.clone());
    }
    if let Some(lints) = src.lints() {
        out.insert("lints".into(), lints);
    }
    out.insert("bin".into(), bin_list(bins).into());
    // Its own workspace: never a member of whatever surrounds the temp dir.
    out.insert("workspace".into(), Table::new().into());
    out.insert("profile".into(), quick_profile().into());
    Ok(toml::to_string(&out)?)
}

/// What a sandboxed build must read of the course: its path dependencies' directories and the
/// manifests of its workspace (a path dependency that inherits from the workspace makes cargo
/// load it). Never the course's exercises or solutions.
pub fn path_dependencies(course_pkg: &CoursePackage) -> Result<Vec<PathBuf>> {
    let src = Source::read(course_pkg)?;
    let root = &course_pkg.workspace_root;
    let mut dirs = vec![root.join("Cargo.toml")];
    if let Some(Value::Array(members)) = src.ws.get("members") {
        for m in members.iter().filter_map(Value::as_str) {
            dirs.push(root.join(m).join("Cargo.toml"));
        }
    }
    let mut out = Table::new();
    src.copy_dependencies(&mut out);
    let mut tables: Vec<&Table> = vec![&out];
    while let Some(t) = tables.pop() {
        // (a path dependency's own path dependencies are not followed)
        for (key, value) in t {
            match value {
                Value::String(p) if key == "path" => dirs.push(PathBuf::from(p)),
                Value::Table(inner) => tables.push(inner),
                _ => {}
            }
        }
    }
    Ok(dirs)
}

/// The names the course package's dependencies go by in Rust code (a renamed dependency by its
/// new name), for the splice to make their paths absolute.
pub fn dependency_names(course_pkg: &CoursePackage) -> Result<Vec<String>> {
    let src = Source::read(course_pkg)?;
    let mut out = Table::new();
    src.copy_dependencies(&mut out);
    let mut names: Vec<String> = ["dependencies", "dev-dependencies"]
        .iter()
        .filter_map(|s| out.get(*s).and_then(Value::as_table))
        .flat_map(|t| t.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// The course package's manifest and its workspace's, as read.
struct Source<'a> {
    pkg: &'a CoursePackage,
    course: Table,
    /// The `[workspace]` table (of the workspace root, or of the course manifest itself).
    ws: Table,
}

impl<'a> Source<'a> {
    fn read(pkg: &'a CoursePackage) -> Result<Self> {
        let read = |p: &Path| -> Result<Table> {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("failed to read {}", p.display()))?;
            text.parse::<Table>()
                .with_context(|| format!("failed to parse {}", p.display()))
        };
        let course = read(&pkg.manifest)?;
        let ws_manifest = pkg.workspace_root.join("Cargo.toml");
        let ws_doc = if ws_manifest != pkg.manifest && ws_manifest.is_file() {
            read(&ws_manifest)?
        } else {
            course.clone()
        };
        let ws = ws_doc
            .get("workspace")
            .and_then(Value::as_table)
            .cloned()
            .unwrap_or_default();
        Ok(Self { pkg, course, ws })
    }

    fn package(&self, name: &str) -> Table {
        let package = self.course.get("package").and_then(Value::as_table);
        let edition = match package.and_then(|p| p.get("edition")) {
            Some(Value::String(e)) => e.clone(),
            Some(Value::Table(_)) => self
                .ws
                .get("package")
                .and_then(|p| p.get("edition"))
                .and_then(Value::as_str)
                .unwrap_or("2021")
                .to_string(),
            _ => "2015".to_string(),
        };
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
        pkg
    }

    /// Dependencies, dev-dependencies and target-specific ones, resolved.
    fn copy_dependencies(&self, out: &mut Table) {
        for section in ["dependencies", "dev-dependencies"] {
            if let Some(deps) = self.course.get(section).and_then(Value::as_table) {
                out.insert(section.into(), self.resolve(deps).into());
            }
        }
        if let Some(targets) = self.course.get("target").and_then(Value::as_table) {
            let mut t = Table::new();
            for (cfg, sections) in targets {
                let mut s = Table::new();
                for section in ["dependencies", "dev-dependencies"] {
                    if let Some(deps) = sections.get(section).and_then(Value::as_table) {
                        s.insert(section.into(), self.resolve(deps).into());
                    }
                }
                t.insert(cfg.clone(), s.into());
            }
            out.insert("target".into(), t.into());
        }
    }

    fn resolve(&self, deps: &Table) -> Table {
        let ws_deps = self
            .ws
            .get("dependencies")
            .and_then(Value::as_table)
            .cloned()
            .unwrap_or_default();
        let dir = self.pkg.manifest.parent().unwrap_or(Path::new("."));
        deps.iter()
            .map(|(k, v)| {
                let dep = dependency(k, v, dir, &ws_deps, &self.pkg.workspace_root);
                (k.clone(), dep)
            })
            .collect()
    }

    /// The course's lints (the learner can't allow what it forbids), or the workspace's.
    fn lints(&self) -> Option<Value> {
        match self.course.get("lints") {
            Some(Value::Table(l)) if l.get("workspace").and_then(Value::as_bool) == Some(true) => {
                self.ws.get("lints").cloned()
            }
            other => other.cloned(),
        }
    }
}

/// The guard every spliced test calls first (`splice::SEAL`).
fn add_guard(out: &mut Table, guard: &Path) {
    let deps = out
        .entry("dependencies")
        .or_insert_with(|| Table::new().into());
    if let Value::Table(deps) = deps {
        let mut dep = Table::new();
        dep.insert("path".into(), guard.to_string_lossy().into_owned().into());
        deps.insert(GUARD_CRATE.into(), dep.into());
    }
}

fn bin_list(bins: &[ScratchBin]) -> Vec<Value> {
    bins.iter()
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
        .collect()
}

/// Small, quick executables: nothing needs debug info, nothing is rebuilt incrementally.
fn quick_profile() -> Table {
    let mut dev = Table::new();
    dev.insert("debug".into(), false.into());
    dev.insert("strip".into(), "debuginfo".into());
    dev.insert("incremental".into(), false.into());
    let mut profile = Table::new();
    profile.insert("dev".into(), dev.into());
    profile
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
            jail: None,
        };
        let bins = [ScratchBin {
            name: "t_s0__x".into(),
            path: "s0/exercises/x.rs".into(),
            test: true,
        }];
        let text = manifest(&pkg, "tokiolings-grade-t", &bins, Path::new("/g")).unwrap();
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
