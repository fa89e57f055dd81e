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
    // Two learners whose ids make one file name: both are kept.
    for id in ["org/x", "org_x"] {
        let mut r = student_report(&out, "ana");
        r["student"] = id.into();
        let path = inbox.join(format!("{}.json", id.replace('/', "-slash-")));
        std::fs::write(path, serde_json::to_string(&r).unwrap()).unwrap();
    }

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
    assert!(said.contains("Aggregated 10 learners"), "{said}");
    let csv = std::fs::read_to_string(agg.join("class.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 10);
    assert!(!csv.contains("zed"));
    assert!(
        csv.contains("\norg/x,") && csv.contains("\norg_x,"),
        "{csv}"
    );
    assert_eq!(report_names(&agg).len(), 10, "{:?}", report_names(&agg));

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

/// A thousand learners of the real course (made up: no grading), put together by `aggregate`:
/// the page keeps its charts, grid, filters and sorting, and loads in headless Chromium.
#[test]
fn a_class_page_of_1000_learners_renders_in_chromium() {
    if !common::can_run(
        "a_class_page_of_1000_learners_renders_in_chromium",
        "chromium (`apt-get install chromium`)",
        common::chromium_installed(),
    ) {
        return;
    }
    let course = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = workdir();
    let inbox = dir.path().join("reports");
    std::fs::create_dir_all(&inbox).unwrap();
    let fingerprint = fingerprint_of(course, dir.path());
    let info: toml::Value =
        toml::from_str(&std::fs::read_to_string(course.join("info.toml")).unwrap()).unwrap();
    let exercises: Vec<(String, String, u64)> = info["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["dir"].as_str().unwrap_or("").to_string(),
                e.get("points").and_then(|p| p.as_integer()).unwrap_or(1) as u64,
            )
        })
        .collect();
    // A class that thins out along the course: learner i gets through about i % 50 + rng.
    let mut seed: u64 = 0x5eed;
    let mut rng = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    };
    const N: usize = 1000;
    for i in 0..N {
        let reach = (i % 50) as u64 * exercises.len() as u64 / 40 + rng() % 6;
        let results: Vec<Value> = exercises
            .iter()
            .enumerate()
            .map(|(k, (name, dir, points))| {
                let status = if (k as u64) < reach && rng() % 10 != 0 {
                    "pass"
                } else {
                    ["fail", "fail", "error", "timeout"][(rng() % 4) as usize]
                };
                let passed = status == "pass";
                serde_json::json!({
                    "name": name, "dir": dir, "status": status, "tests_modified": false,
                    "points": if passed { *points } else { 0 }, "max_points": points,
                    "duration_ms": 10,
                    "message": if passed { String::new() } else { format!("tests::it {status}ed: made up") },
                    "tests": [],
                })
            })
            .collect();
        let count = |s: &str| results.iter().filter(|r| r["status"] == s).count();
        let score: u64 = results.iter().map(|r| r["points"].as_u64().unwrap()).sum();
        let max: u64 = exercises.iter().map(|e| e.2).sum();
        let report = serde_json::json!({
            "schema": "tokiolings-report/1", "course": "tokiolings",
            "generated_at": "2026-12-01T00:00:00Z",
            "summary": {"total": results.len(), "passed": count("pass"), "failed": count("fail"),
                "errors": count("error"), "timeouts": count("timeout"), "tests_modified": 0,
                "score": score, "max_score": max},
            "exercises": results,
            "student": format!("learner-{i:04}"),
            "submission_digest": "sha256:00", "graded_at": "2026-12-01T00:00:00Z",
            "grader": "tokiolings 0.1.0", "course_fingerprint": fingerprint,
            "enforced": {"deadline": "10s", "output_cap_bytes": 65536, "stdin": "closed",
                "environment": "cleared", "network": "loopback", "filesystem": "a new root per test",
                "leftover_processes": "killed", "capabilities": "none"},
        });
        std::fs::write(
            inbox.join(format!("learner-{i:04}.json")),
            serde_json::to_string(&report).unwrap(),
        )
        .unwrap();
    }
    let out = dir.path().join("class");
    let o = run(
        course,
        &["aggregate", "--output", &out.to_string_lossy()],
        &[&inbox],
    );
    assert!(
        stdout_of(&o).contains("Aggregated 1000 learners"),
        "{}",
        stdout_of(&o)
    );
    let page_path = out.join("index.html");
    let page = std::fs::read_to_string(&page_path).unwrap();
    eprintln!(
        "the class page of {N} learners × {} exercises is {} KiB",
        exercises.len(),
        page.len() / 1024
    );
    assert!(
        !page.contains(" src=") && !page.contains("http://") && !page.contains("https://"),
        "no outside assets"
    );

    // As a reader uses it: filter by name, then by status, then sort by the total.
    let probe = dir.path().join("probe.html");
    std::fs::write(
        &probe,
        page.replace(
            "</body>",
            "<script>(() => { const $ = id => document.getElementById(id); const out = [];\
             const set = (id, v) => { $(id).value = v; $(id).dispatchEvent(new Event('input')); out.push(id + '=' + v + ': ' + $('shown').textContent); };\
             out.push('charts: ' + document.querySelectorAll('.charts svg').length + ' svg, ' + document.querySelectorAll('#pass-rates rect').length + ' rects');\
             out.push('rows: ' + document.querySelectorAll('#grid tbody tr').length);\
             set('filter', 'learner-09'); set('filter', ''); set('status', 'timeout'); set('status', '');\
             const total = document.querySelector('#grid thead tr').lastElementChild; total.click(); total.click();\
             const cells = r => r.cells[r.cells.length - 1].textContent;\
             const rows = [...document.querySelectorAll('#grid tbody tr')];\
             out.push('sorted: ' + cells(rows[0]) + ' .. ' + cells(rows[rows.length - 1]));\
             set('section', '1'); out.push('visible headers: ' + [...document.querySelectorAll('#grid thead tr:nth-child(2) th')].filter(th => getComputedStyle(th).display !== 'none').length);\
             document.body.insertAdjacentHTML('beforeend', '<pre id=\"pro' + 'be\">' + out.join('\\n') + '</pre>'); })();</script></body>",
        ),
    )
    .unwrap();
    let dom = chromium_dom(&probe);
    let shown = section(&dom, "<pre id=\"probe\">", "</pre>");
    eprintln!("{shown}");
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(
        lines[0],
        format!("charts: 3 svg, {} rects", 2 * exercises.len())
    );
    assert_eq!(lines[1], "rows: 1000");
    assert_eq!(lines[2], "filter=learner-09: 100 of 1000 learners shown");
    assert_eq!(lines[3], "filter=: 1000 of 1000 learners shown");
    let with_timeout = lines[4]
        .strip_prefix("status=timeout: ")
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or_else(|| panic!("{}", lines[4]));
    let csv = std::fs::read_to_string(out.join("class.csv")).unwrap();
    let want = csv
        .lines()
        .skip(1)
        .filter(|l| l.contains(",timeout,"))
        .count();
    assert_eq!(with_timeout, want, "{}", lines[4]);
    // Sorted by the total, highest first on the second click.
    let (hi, lo) = lines[6]
        .strip_prefix("sorted: ")
        .and_then(|l| l.split_once(" .. "))
        .unwrap();
    let num = |s: &str| s.split('/').next().unwrap().parse::<u64>().unwrap();
    let scores: Vec<u64> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').rev().nth(2).unwrap().parse().unwrap())
        .collect();
    assert_eq!(num(hi), *scores.iter().max().unwrap(), "{shown}");
    assert_eq!(num(lo), *scores.iter().min().unwrap(), "{shown}");
    // One section chosen: only its exercises' columns (and the section totals) are shown. A
    // course may come back to a section later: the filter takes all of its exercises.
    let mut names: Vec<&String> = Vec::new();
    for (_, d, _) in &exercises {
        if !names.contains(&d) {
            names.push(d);
        }
    }
    let in_second = exercises.iter().filter(|e| &e.1 == names[1]).count();
    assert_eq!(lines[7], "section=1: 1000 of 1000 learners shown");
    assert_eq!(
        lines[8],
        format!("visible headers: {}", in_second + names.len())
    );
}

/// The fingerprint of `course` as `aggregate` reports it when it turns a report away.
fn fingerprint_of(course: &Path, scratch: &Path) -> String {
    let probe = scratch.join("probe-report");
    std::fs::create_dir_all(&probe).unwrap();
    std::fs::write(
        probe.join("r.json"),
        r#"{"schema": "tokiolings-report/1", "course_fingerprint": "sha256:none"}"#,
    )
    .unwrap();
    let o = tokiolings(course)
        .args(["aggregate", "--output"])
        .arg(scratch.join("unused"))
        .arg(&probe)
        .output()
        .unwrap();
    let text = stderr_of(&o);
    let at = text
        .find("this course's is ")
        .unwrap_or_else(|| panic!("{text}"));
    text[at + "this course's is ".len()..]
        .split(')')
        .next()
        .unwrap()
        .to_string()
}

const SCALE_DOC: &str = include_str!("../docs/scale.md");

/// The doc's fenced blocks of `lang`, in order.
fn doc_blocks(lang: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in SCALE_DOC.lines() {
        match (&mut current, line.trim_end()) {
            (None, l) if l == format!("```{lang}") => current = Some(String::new()),
            (Some(b), "```") => {
                blocks.push(std::mem::take(b));
                current = None;
            }
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

fn yaml(block: &str) -> yaml_rust2::Yaml {
    let mut docs = yaml_rust2::YamlLoader::load_from_str(block)
        .unwrap_or_else(|e| panic!("the YAML does not parse: {e}\n{block}"));
    assert_eq!(docs.len(), 1, "{block}");
    docs.remove(0)
}

#[test]
fn the_scale_docs_yaml_parses_and_agrees_with_itself() {
    let blocks = doc_blocks("yaml");
    assert_eq!(blocks.len(), 4, "learner, instructor, matrix, Kubernetes");
    let docs: Vec<yaml_rust2::Yaml> = blocks.iter().map(|b| yaml(b)).collect();
    // The learner's workflow uploads the report the instructor's downloads.
    assert!(blocks[0].contains("--format json --output grade.json"));
    assert!(blocks[0].contains("name: grade-report") && blocks[1].contains("--name grade-report"));
    // The matrix lists every shard of `--shard K/N` once.
    let shards = docs[2]["jobs"]["shard"]["strategy"]["matrix"]["shard"]
        .as_vec()
        .unwrap()
        .len();
    assert!(blocks[2].contains(&format!("--shard ${{{{ matrix.shard }}}}/{shards} ")));
    // The Indexed Job's pods are the shards.
    let job = &docs[3];
    assert_eq!(job["kind"].as_str(), Some("Job"));
    assert_eq!(job["spec"]["completionMode"].as_str(), Some("Indexed"));
    let n = job["spec"]["completions"].as_i64().unwrap();
    let command = &job["spec"]["template"]["spec"]["containers"][0]["command"];
    let args: Vec<&str> = command
        .as_vec()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        args.windows(2)
            .any(|w| w == ["--shard", &format!("auto/{n}")]),
        "{args:?}"
    );
}

/// The Kubernetes recipe as the cluster would run it: the container's command once per index
/// (with the volumes as local directories), then the doc's `aggregate` command.
#[test]
fn the_kubernetes_recipe_grades_each_index_and_aggregates() {
    let c = class();
    let job = yaml(&doc_blocks("yaml")[3]);
    let n = job["spec"]["completions"].as_i64().unwrap();
    let command: Vec<String> = job["spec"]["template"]["spec"]["containers"][0]["command"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let results = c.dir.path().join("results");
    let local = |a: &str| {
        a.replace("/course", &c.course.to_string_lossy())
            .replace("/class", &c.class.to_string_lossy())
            .replace("/results", &results.to_string_lossy())
    };
    assert_eq!(command[0], "tokiolings");
    for k in 0..n {
        let out = Command::new(env!("CARGO_BIN_EXE_tokiolings"))
            .args(command[1..].iter().map(|a| local(a)))
            .env("JOB_COMPLETION_INDEX", k.to_string())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "pod {k}: {}", stderr_of(&out));
    }
    assert_eq!(report_names(&results).len(), CLASS.len());
    let aggregate = doc_blocks("sh")
        .into_iter()
        .find(|b| b.contains("aggregate /results"))
        .expect("the aggregate command after the Job");
    let line = local(aggregate.trim());
    let line = line.replacen("tokiolings", env!("CARGO_BIN_EXE_tokiolings"), 1);
    let out = Command::new("bash")
        .args(["-eo", "pipefail", "-c", &line])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{line}\n{}", stderr_of(&out));
    let csv = std::fs::read_to_string(results.join("class.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + CLASS.len(), "{csv}");
    assert!(
        csv.contains("\nana,pass,1,pass,1,pass,2,pass,1,5,5,0\n"),
        "{csv}"
    );
}

/// The doc's one-machine shard → aggregate path, run as written (with a stand-in `cargo`).
#[test]
fn the_scale_docs_shard_loop_runs_as_written() {
    let c = class();
    let script = doc_blocks("sh")
        .into_iter()
        .find(|b| b.contains("--shard \"$k/3\""))
        .expect("the three-shard loop");
    // The doc runs from the course checkout, with the clones beside it.
    std::fs::rename(&c.class, c.course.join("clones")).unwrap();
    let path = shim(c.dir.path());
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
        .current_dir(&c.course)
        .env("PATH", path)
        .env("REAL_CARGO", env!("CARGO"))
        .env("TOKIOLINGS", env!("CARGO_BIN_EXE_tokiolings"))
        .env("NO_COLOR", "1")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout_of(&out),
        stderr_of(&out)
    );
    let report = c.course.join("grade-report");
    assert_eq!(report_names(&report).len(), CLASS.len());
    let csv = std::fs::read_to_string(report.join("class.csv")).unwrap();
    assert!(
        csv.contains("\ngus,pass,1,timeout,0,pass,2,pass,1,4,5,0\n"),
        "{csv}"
    );
}

/// A class run stopped half-way keeps every learner it finished (each report written whole, as
/// soon as that learner was graded); `--resume` then grades only the others.
#[test]
fn a_stopped_class_run_keeps_its_finished_learners() {
    let c = class();
    let out = c.dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tokiolings"))
        .arg("--course")
        .arg(&c.course)
        .args(["grade", "--class"])
        .arg(&c.class)
        .arg("--output")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let students = out.join("students");
    let json = |dir: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect()
            })
            .unwrap_or_default()
    };
    // Wait for the first learner's report while the run is still going.
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before any report was written");
        }
        if !json(&students).is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let status = child.wait().unwrap();
    let kept = json(&students);
    assert!(
        !kept.is_empty() && kept.len() <= CLASS.len(),
        "{status}: {kept:?}"
    );
    for p in &kept {
        let text = std::fs::read_to_string(p).unwrap();
        let r: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{p:?}: {e}"));
        assert_eq!(r["summary"]["total"], 4, "{p:?}");
    }
    assert!(
        !out.join("class.csv").exists() || kept.len() == CLASS.len(),
        "the class files come at the end"
    );
    let o = grade_class(&c, &out, &["--resume"]);
    let want = format!(
        "{} learners' reports kept, {} to grade",
        kept.len(),
        CLASS.len() - kept.len()
    );
    assert!(stderr_of(&o).contains(&want), "{want}: {}", stderr_of(&o));
    let csv = std::fs::read_to_string(out.join("class.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + CLASS.len(), "{csv}");
}

/// A class graded with `--exercise` is aggregated with the same selection; without it, its
/// reports are left out with the reason.
#[test]
fn aggregate_takes_the_selection_the_class_was_graded_with() {
    let c = class();
    let out = c.dir.path().join("out");
    grade_class(
        &c,
        &out,
        &["--exercise", "sum", "--exercise", "hello", "--shard", "0/1"],
    );
    let agg = c.dir.path().join("agg");
    let agg_s = agg.to_string_lossy().into_owned();
    let students = out.join("students");
    let o = tokiolings(&c.course)
        .args(["aggregate", "--output", &agg_s])
        .arg(&students)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stdout_of(&o));
    assert!(
        stderr_of(&o).contains("grades 2 exercise(s), not the 4 expected"),
        "{}",
        stderr_of(&o)
    );
    let args = [
        "aggregate",
        "--exercise",
        "sum",
        "--exercise",
        "hello",
        "--output",
        &agg_s,
    ];
    run(&c.course, &args, &[&students]);
    let csv = std::fs::read_to_string(agg.join("class.csv")).unwrap();
    assert!(
        csv.starts_with("student,sum status,sum points,hello status,hello points,score"),
        "{csv}"
    );
    assert!(csv.contains("\nchen,fail,0,fail,0,0,2,0\n"), "{csv}");
}

/// The learner's workflow of docs/scale.md: its `run:` commands, as Actions runs them (with a
/// stand-in `cargo`), leave `grade.json` naming the learner by their repository and commit.
#[test]
fn the_learner_workflow_writes_a_stamped_report() {
    let block = &doc_blocks("yaml")[0];
    let dir = workdir();
    let work = dir.path().join("work");
    course_in(&work);
    let submission = work.join("submission");
    learner(&submission, "honest");
    checkout(&submission, "tokio-ana");
    let path = shim(dir.path());
    let runs: Vec<String> = yaml(block)["jobs"]["grade"]["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str().map(str::to_string))
        .collect();
    assert!(!runs.is_empty());
    for command in runs {
        let out = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &command])
            .current_dir(&work)
            .env("PATH", &path)
            .env("REAL_CARGO", env!("CARGO"))
            .env("TOKIOLINGS", env!("CARGO_BIN_EXE_tokiolings"))
            .env("NO_COLOR", "1")
            .env_remove("CARGO_TARGET_DIR")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{command}\n{}", stderr_of(&out));
    }
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(work.join("grade.json")).unwrap()).unwrap();
    assert_eq!(r["student"], "org/tokio-ana");
    assert_eq!(r["commit"].as_str().map(str::len), Some(40));
    assert_eq!(r["summary"]["score"], 5);
}
