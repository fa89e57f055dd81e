//! Grading past one machine: stamped reports, reports written as learners are graded,
//! `--resume`, `--shard K/N` and `aggregate`, and Gradescope's format. Each test grades the
//! gradable fixture course; the sandbox applies where the machine allows (the templates used
//! here are judged the same either way).

mod common;
mod grade_common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{stderr_of, stdout_of, tokiolings};
use grade_common::*;
use serde_json::Value;

/// (learner, template): honest ones, broken ones, a cheat, a missing file and a hang.
const CLASS: &[(&str, &str)] = &[
    ("ana", "honest"),
    ("bo", "honest"),
    ("chen", "shipped"),
    ("dara", "broken"),
    ("eli", "assert_true"),
    ("fay", "missing"),
    ("gus", "hangs"),
    ("hal", "honest"),
];

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.email=l@example.com", "-c", "user.name=L"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git is installed");
    assert!(out.status.success(), "git {args:?}: {}", stderr_of(&out));
}

/// `dir` as a git checkout of `https://github.com/org/REPO`, committed.
fn checkout(dir: &Path, repo: &str) {
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", "work"]);
    let url = format!("https://github.com/org/{repo}.git");
    git(dir, &["remote", "add", "origin", &url]);
}

struct Class {
    dir: tempfile::TempDir,
    course: PathBuf,
    class: PathBuf,
}

fn class() -> Class {
    let dir = workdir();
    let course = course_in(dir.path());
    let class = dir.path().join("class");
    for (name, template) in CLASS {
        learner(&class.join(name), template);
    }
    // One learner's copy is a clone: known by its remote, `org/tokio-hal`.
    checkout(&class.join("hal"), "tokio-hal");
    Class { dir, course, class }
}

fn run(course: &Path, args: &[&str], extra: &[&Path]) -> std::process::Output {
    let mut cmd = tokiolings(course);
    cmd.args(args);
    for p in extra {
        cmd.arg(p);
    }
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}\n{}{}",
        stdout_of(&out),
        stderr_of(&out)
    );
    out
}

fn grade_class(c: &Class, out: &Path, more: &[&str]) -> std::process::Output {
    let mut args = vec!["grade", "--class"];
    let class = c.class.to_string_lossy().into_owned();
    let output = out.to_string_lossy().into_owned();
    args.extend([class.as_str(), "--output", output.as_str()]);
    args.extend(more);
    run(&c.course, &args, &[])
}

/// A learner's verdicts, without times and dates: (exercise, status, modified, points, tests).
fn verdicts(report: &Value) -> Vec<String> {
    report["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let tests: Vec<String> = e["tests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| format!("{}={}", t["name"], t["status"]))
                .collect();
            format!(
                "{} {} {} {} [{}]",
                e["name"],
                e["status"],
                e["tests_modified"],
                e["points"],
                tests.join(" ")
            )
        })
        .collect()
}

fn report_names(out: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(out.join("students"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn three_shards_and_aggregate_give_the_class_run() {
    let c = class();
    let whole = c.dir.path().join("whole");
    grade_class(&c, &whole, &[]);

    let mut shards = Vec::new();
    let mut graded = 0;
    for k in 0..3 {
        let out = c.dir.path().join(format!("shard{k}"));
        // Shard 2 takes its index from the environment, as a Kubernetes Indexed Job's pod.
        let shard = if k == 2 {
            "auto/3".to_string()
        } else {
            format!("{k}/3")
        };
        let mut cmd = tokiolings(&c.course);
        cmd.args(["grade", "--class"])
            .arg(&c.class)
            .arg("--output")
            .arg(&out)
            .args(["--shard", &shard])
            .env("JOB_COMPLETION_INDEX", "2");
        let o = cmd.output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
        assert!(
            !out.join("class.csv").exists(),
            "a shard writes only its learners' reports"
        );
        graded += report_names(&out).len();
        shards.push(out);
    }
    assert_eq!(graded, CLASS.len(), "each learner is in exactly one shard");

    let agg = c.dir.path().join("agg");
    let refs: Vec<&Path> = shards.iter().map(PathBuf::as_path).collect();
    let o = run(
        &c.course,
        &["aggregate", "--output", &agg.to_string_lossy()],
        &refs,
    );
    assert!(
        stdout_of(&o).contains("Aggregated 8 learners"),
        "{}",
        stdout_of(&o)
    );

    assert_eq!(
        std::fs::read_to_string(agg.join("class.csv")).unwrap(),
        std::fs::read_to_string(whole.join("class.csv")).unwrap()
    );
    assert_eq!(report_names(&agg), report_names(&whole));
    for name in report_names(&whole) {
        let stem = name.trim_end_matches(".json");
        let (a, w) = (student_report(&agg, stem), student_report(&whole, stem));
        assert_eq!(verdicts(&a), verdicts(&w), "{name}");
        assert_eq!(a["student"], w["student"]);
        assert_eq!(a["course_fingerprint"], w["course_fingerprint"]);
    }
    // The CSV says what each learner got, under their id.
    let csv = std::fs::read_to_string(agg.join("class.csv")).unwrap();
    for row in [
        "ana,pass,1,pass,1,pass,2,pass,1,5,5,0",
        "chen,fail,0,fail,0,error,0,fail,0,0,5,0",
        "eli,fail,0,pass,1,pass,2,pass,1,4,5,1",
        "gus,pass,1,timeout,0,pass,2,pass,1,4,5,0",
        "org/tokio-hal,pass,1,pass,1,pass,2,pass,1,5,5,0",
    ] {
        assert!(csv.lines().any(|l| l == row), "no {row} in\n{csv}");
    }
    let html = std::fs::read_to_string(agg.join("index.html")).unwrap();
    assert!(html.contains("org/tokio-hal"));
}

#[test]
fn reports_are_stamped_with_learner_commit_and_course() {
    let c = class();
    let hal = c.class.join("hal");
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(&hal)
        .output()
        .unwrap();
    let head = stdout_of(&head).trim().to_string();
    let out = c.dir.path().join("hal.json");
    let args = [
        "grade",
        "--exercise",
        "sum",
        "--format",
        "json",
        "--submission",
    ];
    run(&c.course, &args, &[&hal, Path::new("--output"), &out]);
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(r["schema"], "tokiolings-report/1");
    assert_eq!(
        r["student"], "org/tokio-hal",
        "the remote names the learner"
    );
    assert_eq!(r["repository"], "org/tokio-hal");
    assert_eq!(r["commit"], head.as_str());
    let t = r["commit_time"].as_str().unwrap();
    assert!(t.ends_with('Z') && t.len() == 20, "{t}");
    assert!(r["graded_at"].as_str().unwrap().ends_with('Z'));
    assert!(r["grader"].as_str().unwrap().starts_with("tokiolings "));
    let fp = r["course_fingerprint"].as_str().unwrap().to_string();
    assert!(fp.starts_with("sha256:") && fp.len() == 71, "{fp}");

    // --student names the learner; a copy that is no checkout has no commit.
    let ana = c.class.join("ana");
    run(
        &c.course,
        &args,
        &[
            &ana,
            Path::new("--student"),
            Path::new("s-0042"),
            Path::new("--output"),
            &out,
        ],
    );
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(r["student"], "s-0042");
    assert!(r.get("commit").is_none(), "{r:#}");
    assert_eq!(
        r["course_fingerprint"],
        fp.as_str(),
        "same course, same fingerprint"
    );

    // A changed canonical test is another course.
    let sol = c.course.join("solutions/more/hello.rs");
    let text = std::fs::read_to_string(&sol).unwrap();
    std::fs::write(&sol, format!("{text}\n// changed\n")).unwrap();
    run(&c.course, &args, &[&ana, Path::new("--output"), &out]);
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(r["student"], "ana", "the directory's name by default");
    assert_ne!(r["course_fingerprint"], fp.as_str());
}

#[test]
fn resume_grades_only_new_or_changed_work() {
    let c = class();
    let out = c.dir.path().join("out");
    grade_class(&c, &out, &[]);
    let before = snapshot(&out.join("students"));
    // Bo changes a file, Hal commits again, Ivy joins; the others' reports stay as they are.
    let greet = c.class.join("bo/exercises/basics/greet.rs");
    let text = std::fs::read_to_string(&greet).unwrap();
    std::fs::write(
        &greet,
        text.replace(
            "format!",
            "panic!(\"no\"); #[allow(unreachable_code)] format!",
        ),
    )
    .unwrap();
    std::fs::write(c.class.join("hal/notes.txt"), "more\n").unwrap();
    git(&c.class.join("hal"), &["add", "-A"]);
    git(&c.class.join("hal"), &["commit", "-qm", "more"]);
    learner(&c.class.join("ivy"), "honest");
    let o = grade_class(&c, &out, &["--resume"]);
    let err = stderr_of(&o);
    assert!(
        err.contains("6 learners' reports kept, 3 to grade"),
        "{err}"
    );
    let after = snapshot(&out.join("students"));
    let changed = changed(&before, &after);
    assert_eq!(
        changed,
        ["bo.json", "org_tokio-hal.json", "ivy.json (new)"],
        "{}",
        stdout_of(&o)
    );
    assert_eq!(
        exercise(&student_report(&out, "bo"), "greet")["status"],
        "fail"
    );
    let csv = std::fs::read_to_string(out.join("class.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 9, "{csv}");
    assert!(
        csv.contains("\nana,pass,1,pass,1,pass,2,pass,1,5,5,0\n"),
        "{csv}"
    );
}

#[test]
fn aggregate_lists_what_it_leaves_out_and_is_idempotent() {
    let c = class();
    let out = c.dir.path().join("out");
    grade_class(&c, &out, &["--shard", "0/1"]);
    let inbox = c.dir.path().join("downloads");
    // As `gh run download` leaves them: a directory per artifact.
    for name in report_names(&out) {
        let stem = name.trim_end_matches(".json");
        std::fs::create_dir_all(inbox.join(stem)).unwrap();
        std::fs::copy(
            out.join("students").join(&name),
            inbox.join(stem).join("grade.json"),
        )
        .unwrap();
    }
    let mut other = student_report(&out, "ana");
    other["course_fingerprint"] = "sha256:0000".into();
    other["student"] = "zed".into();
    let bad = inbox.join("zed/grade.json");
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(&bad, serde_json::to_string(&other).unwrap()).unwrap();
    let full = std::fs::read_to_string(out.join("students/bo.json")).unwrap();
    std::fs::write(inbox.join("truncated.json"), &full[..full.len() / 2]).unwrap();
    std::fs::write(inbox.join("notes.txt"), "lunch at noon\n").unwrap();
    std::fs::write(inbox.join("junit.xml"), "<testsuites/>").unwrap();
    std::fs::write(inbox.join("other.json"), "{\"name\": \"package.json\"}").unwrap();

    let agg = c.dir.path().join("agg");
    let o = run(
        &c.course,
        &["aggregate", "--output", &agg.to_string_lossy()],
        &[&inbox],
    );
    let said = stdout_of(&o);
    for (file, why) in [
        (
            "zed/grade.json",
            "graded against another version of the course",
        ),
        ("truncated.json", "truncated JSON"),
        ("notes.txt", "not JSON"),
        ("junit.xml", "not JSON"),
        ("other.json", "not a tokiolings grade report"),
    ] {
        let line = format!("skipped {}: {why}", inbox.join(file).display());
        assert!(said.contains(&line), "no {line:?} in:\n{said}");
    }
    assert!(said.contains("Aggregated 8 learners"), "{said}");
    let csv = std::fs::read_to_string(agg.join("class.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 8);
    assert!(!csv.contains("zed"));

    // Again, with the output among the inputs: the same bytes.
    let first = snapshot(&agg);
    run(
        &c.course,
        &["aggregate", "--output", &agg.to_string_lossy()],
        &[&inbox, &agg],
    );
    assert_eq!(changed(&first, &snapshot(&agg)), Vec::<String>::new());

    // A later commit of a learner replaces their earlier report.
    let mut later = student_report(&out, "org_tokio-hal");
    later["commit_time"] = "2999-01-01T00:00:00Z".into();
    later["summary"]["score"] = 1.into();
    std::fs::write(
        inbox.join("later.json"),
        serde_json::to_string(&later).unwrap(),
    )
    .unwrap();
    let o = run(
        &c.course,
        &["aggregate", "--output", &agg.to_string_lossy()],
        &[&inbox],
    );
    assert!(stdout_of(&o).contains("superseded"), "{}", stdout_of(&o));
    let csv = std::fs::read_to_string(agg.join("class.csv")).unwrap();
    assert!(
        csv.contains("\norg/tokio-hal,pass,1,pass,1,pass,2,pass,1,1,5,0\n"),
        "{csv}"
    );
}

#[test]
fn gradescope_results_split_points_over_tests() {
    let c = class();
    let out = c.dir.path().join("results.json");
    let args = ["grade", "--format", "gradescope", "--submission"];
    run(
        &c.course,
        &args,
        &[&c.class.join("fay"), Path::new("--output"), &out],
    );
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let tests = r["tests"].as_array().unwrap();
    let total: f64 = tests.iter().map(|t| t["score"].as_f64().unwrap()).sum();
    let max: f64 = tests.iter().map(|t| t["max_score"].as_f64().unwrap()).sum();
    assert_eq!(max, 5.0, "{r:#}");
    assert_eq!(r["score"].as_f64().unwrap(), total);
    assert_eq!(total, 4.0, "all but the missing greet: {r:#}");
    let greet = tests.iter().find(|t| t["name"] == "greet").unwrap();
    assert_eq!(greet["status"], "failed");
    assert!(
        greet["output"]
            .as_str()
            .unwrap()
            .contains("greet.rs is missing")
    );
    for t in tests {
        for key in ["name", "score", "max_score", "status", "output"] {
            assert!(t.get(key).is_some(), "{key} in {t:#}");
        }
    }
}
