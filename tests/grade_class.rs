//! `grade --class`: 23 learners made from the submission templates, graded in one run. Each is
//! graded right, nothing is left running, nothing is touched, and the CSV and HTML say so (the
//! HTML as headless Chromium renders it).

mod common;
mod grade_common;

use std::path::PathBuf;

use common::{
    can_run, chromium_installed, full_sandbox_possible, processes_matching, stderr_of, stdout_of,
    tokiolings,
};
use grade_common::*;

/// (template, learners made from it, expected (exercise, status, tests_modified) where it
/// differs from a pass, score out of 5)
type Expected = (
    &'static str,
    usize,
    &'static [(&'static str, &'static str, bool)],
    u64,
);

const CLASS: &[Expected] = &[
    ("honest", 5, &[], 5),
    (
        "shipped",
        2,
        &[
            ("sum", "fail", false),
            ("greet", "fail", false),
            ("quadruple", "error", false),
            ("hello", "fail", false),
        ],
        0,
    ),
    ("assert_true", 1, &[("sum", "fail", true)], 4),
    ("deleted_tests", 1, &[("sum", "fail", true)], 4),
    ("ignored", 1, &[("sum", "fail", true)], 4),
    ("shadowed_assert", 1, &[("sum", "fail", false)], 4),
    ("correct_tests_deleted", 1, &[("sum", "pass", true)], 5),
    ("hangs", 1, &[("greet", "timeout", false)], 4),
    ("spawns", 2, &[("sum", "fail", false)], 4),
    ("floods", 1, &[], 5),
    ("tamper", 2, &[], 5),
    ("hog", 1, &[("quadruple", "fail", false)], 3),
    ("broken", 2, &[("greet", "error", false)], 4),
    ("missing", 1, &[("greet", "error", false)], 4),
    ("symlink", 1, &[("sum", "error", false)], 4),
];

struct Graded {
    dir: tempfile::TempDir,
    /// (learner, template)
    learners: Vec<(String, &'static str)>,
    out: PathBuf,
    stdout: String,
    changed: Vec<String>,
    leftovers: Vec<String>,
}

/// Grades the class once; the checks below read the result.
fn grade_the_class() -> Graded {
    let dir = workdir();
    let course = course_in(dir.path());
    let class = dir.path().join("class");
    let mut learners = Vec::new();
    for (template, count, _, _) in CLASS {
        for n in 0..*count {
            let name = format!("{template}-{n}");
            learner(&class.join(&name), template);
            learners.push((name, *template));
        }
    }
    assert!(learners.len() >= 20);
    // Files under /tmp that belong to nobody in the run: the sandbox keeps /tmp read-only too.
    std::fs::create_dir_all(dir.path().join("elsewhere")).unwrap();
    std::fs::write(dir.path().join("elsewhere/notes.toml"), "keep = true\n").unwrap();
    let before = snapshot(dir.path());
    let out = dir.path().join("report");
    let run = tokiolings(&course)
        .current_dir(dir.path())
        .args(["grade", "--class"])
        .arg(&class)
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}{}",
        stdout_of(&run),
        stderr_of(&run)
    );
    let mut after = snapshot(dir.path());
    after.retain(|p, _| !p.starts_with("report"));
    let changed = changed(&before, &after);
    let mut leftovers = processes_matching("30.789");
    leftovers.extend(processes_matching("31.789"));
    // Sandbox helpers and test executables name the work dir on their command lines.
    leftovers.extend(processes_matching(&dir.path().to_string_lossy()));
    Graded {
        dir,
        learners,
        out,
        stdout: stdout_of(&run),
        changed,
        leftovers,
    }
}

/// One run for the whole class (grading is the slow part); each check is its own function.
#[test]
fn a_class_of_23_is_graded_in_one_run() {
    // Without the full sandbox the hostile learners' verdicts differ (that is what it stops).
    let test = "a_class_of_23_is_graded_in_one_run";
    if !can_run(test, "root, `unshare` and `ip`", full_sandbox_possible()) {
        return;
    }
    let g = grade_the_class();
    every_learner_is_graded_right(&g);
    nothing_is_left_running_and_nothing_is_touched(&g);
    class_csv_has_a_row_per_learner(&g);
    if can_run(
        "the HTML report's check in a browser",
        "chromium (`apt-get install chromium`)",
        chromium_installed(),
    ) {
        html_report_renders_in_headless_chromium(&g);
    }
}

fn every_learner_is_graded_right(g: &Graded) {
    for (name, template) in &g.learners {
        let (_, _, diffs, score) = CLASS.iter().find(|c| c.0 == *template).unwrap();
        let report = student_report(&g.out, name);
        assert_eq!(report["student"], name.as_str());
        for ex in ["sum", "greet", "quadruple", "hello"] {
            let (status, modified) = diffs
                .iter()
                .find(|d| d.0 == ex)
                .map_or(("pass", false), |d| (d.1, d.2));
            let e = exercise(&report, ex);
            assert_eq!(e["status"], status, "{name} {ex}: {e:#}");
            assert_eq!(e["tests_modified"], modified, "{name} {ex}: {e:#}");
        }
        assert_eq!(report["summary"]["score"], *score, "{name}");
        assert!(
            g.stdout.contains(&format!("{name} ")) && g.stdout.contains(&format!(" {score}/5\n")),
            "{name} {score}/5 in:\n{}",
            g.stdout
        );
    }
    let why = |name: &str, ex: &str| {
        exercise(&student_report(&g.out, name), ex)["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(why("spawns-0", "sum").contains("left processes running"));
    assert!(why("hangs-0", "greet").contains("ran past its 3s deadline"));
    assert!(why("missing-0", "greet").contains("exercises/basics/greet.rs is missing"));
    assert!(why("symlink-0", "sum").contains("is a symbolic link"));
    assert!(why("broken-0", "greet").starts_with("exercises/basics/greet.rs:2:5: error[E0308]"));
    assert!(why("hog-0", "quadruple").contains("crashed"));
    // The flood was capped, and the rest counted.
    let report = student_report(&g.out, "floods-0");
    let flood = exercise(&report, "greet")["tests"][0]["output"]
        .as_str()
        .unwrap();
    assert!(flood.len() < 70 * 1024, "{}", flood.len());
    assert!(
        flood.ends_with("more bytes of output not shown)"),
        "{flood:.200}"
    );
}

fn nothing_is_left_running_and_nothing_is_touched(g: &Graded) {
    assert!(g.leftovers.is_empty(), "left running: {:?}", g.leftovers);
    assert!(
        g.changed.is_empty(),
        "grading changed the course or the submissions: {:?}",
        g.changed
    );
    // The attack ran, and found nothing it could write.
    let report = student_report(&g.out, "tamper-0");
    let tamper = exercise(&report, "sum");
    assert_eq!(
        tamper["tests"][0]["output"], "overwrote 0 files",
        "{tamper:#}"
    );
    let enforced = &report["enforced"];
    assert!(
        enforced["filesystem"]
            .as_str()
            .unwrap()
            .starts_with("a new root per test"),
        "this machine could not isolate the tests (it needs root and `unshare`): {enforced:#}"
    );
    assert!(
        !g.dir
            .path()
            .join("course/.tokiolings-progress.json")
            .exists()
    );
}

fn class_csv_has_a_row_per_learner(g: &Graded) {
    let csv = std::fs::read_to_string(g.out.join("class.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "student,sum status,sum points,greet status,greet points,quadruple status,quadruple points,hello status,hello points,score,max_score,tests_modified"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), g.learners.len());
    for row in [
        "honest-0,pass,1,pass,1,pass,2,pass,1,5,5,0",
        "shipped-1,fail,0,fail,0,error,0,fail,0,0,5,0",
        "assert_true-0,fail,0,pass,1,pass,2,pass,1,4,5,1",
        "correct_tests_deleted-0,pass,1,pass,1,pass,2,pass,1,5,5,1",
        "hangs-0,pass,1,timeout,0,pass,2,pass,1,4,5,0",
        "hog-0,pass,1,pass,1,fail,0,pass,1,3,5,0",
    ] {
        assert!(rows.contains(&row), "missing {row:?} in:\n{csv}");
    }
    // Sorted by learner name.
    let names: Vec<&str> = rows.iter().map(|r| r.split(',').next().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

fn html_report_renders_in_headless_chromium(g: &Graded) {
    let html = g.out.join("index.html");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        !page.contains(" src=") && !page.contains("http://") && !page.contains("https://"),
        "the report must be self-contained: no outside assets"
    );

    let dom = chromium_dom(&html);
    let grid = section(&dom, "<table id=\"grid\"", "</table>");
    let body = section(grid, "<tbody>", "</tbody>");
    let rows: Vec<&str> = body.split("<tr>").skip(1).collect();
    assert_eq!(rows.len(), g.learners.len(), "{grid}");
    let honest = rows.iter().find(|r| r.contains(">honest-0</a>")).unwrap();
    assert_eq!(
        cells(honest),
        ["pass", "pass", "pass", "pass", "2/2", "3/3", "5/5"]
    );
    let cheat = rows
        .iter()
        .find(|r| r.contains(">assert_true-0</a>"))
        .unwrap();
    assert_eq!(
        cells(cheat),
        ["fail ✎", "pass", "pass", "pass", "1/2", "3/3", "4/5"]
    );
    let shipped = rows.iter().find(|r| r.contains(">shipped-0</a>")).unwrap();
    assert_eq!(
        cells(shipped),
        ["fail", "fail", "error", "fail", "0/2", "0/3", "0/5"]
    );
    assert!(grid.contains("<th colspan=\"2\">basics</th><th colspan=\"2\">more</th>"));
    assert!(dom.contains("<details id=\"learner-0\">"));
    assert!(dom.contains("exercises/basics/greet.rs is missing from the submission"));

    // What a reader sees: each status cell in its colour. A copy of the page with a probe
    // script reports the computed background of every grid cell.
    let probe = g.dir.path().join("probe.html");
    std::fs::write(
        &probe,
        page.replace(
            "</body>",
            // (The id is split so the script's own text doesn't match it.)
            "<script>document.body.insertAdjacentHTML('beforeend', '<pre id=\"pro' + 'be\">' + \
             [...document.querySelectorAll('#grid tbody td')].map(td => td.textContent + '=' + \
             getComputedStyle(td).backgroundColor).join('\\n') + '</pre>');</script></body>",
        ),
    )
    .unwrap();
    let dom = chromium_dom(&probe);
    let shown = section(&dom, "<pre id=\"probe\">", "</pre>");
    let mut seen = std::collections::BTreeSet::new();
    for line in shown.lines() {
        let (text, colour) = line.rsplit_once('=').unwrap();
        let want = match text.split(' ').next().unwrap() {
            "pass" => "rgb(165, 214, 167)",
            "fail" => "rgb(239, 154, 154)",
            "error" => "rgb(206, 147, 216)",
            "timeout" => "rgb(255, 204, 128)",
            _ => "rgba(0, 0, 0, 0)",
        };
        assert_eq!(colour, want, "cell {text:?}");
        seen.insert(text.split(' ').next().unwrap().to_string());
    }
    for status in ["pass", "fail", "error", "timeout"] {
        assert!(seen.contains(status), "no {status} cell shown: {shown}");
    }
}

/// The text of each `<td>` of a row.
fn cells(row: &str) -> Vec<String> {
    row.split("<td")
        .skip(1)
        .map(|c| {
            let c = &c[c.find('>').unwrap() + 1..];
            c[..c.find("</td>").unwrap()].to_string()
        })
        .collect()
}
