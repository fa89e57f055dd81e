//! Gradescope's autograder `results.json`: one entry per test, an exercise's points split
//! evenly over its tests, and the total. A test earns its share when it passed and its exercise
//! did not fail for another reason (clippy, processes left running); an exercise that did not
//! build or run any test is one failed entry worth all its points.

use serde_json::{Value, json};

use super::clean;
use crate::report::{ExerciseResult, Report, Status, TestStatus};

pub fn render(report: &Report) -> String {
    let mut tests = Vec::new();
    for e in &report.exercises {
        entries(e, &mut tests);
    }
    let total: f64 = tests
        .iter()
        .map(|t| t["score"].as_f64().unwrap_or(0.0))
        .sum();
    let s = &report.summary;
    let doc = json!({
        "score": round(total),
        "output": format!(
            "{} of {} exercises passed; {} of {} points (per test: {:.2})",
            s.passed, s.total, s.score, s.max_score, total
        ),
        "tests": tests,
    });
    serde_json::to_string_pretty(&doc).expect("plain data") + "\n"
}

fn entries(e: &ExerciseResult, out: &mut Vec<Value>) {
    let max = f64::from(e.max_points);
    if e.tests.is_empty() {
        out.push(entry(e, &e.name, 0.0, max, false, &e.message));
        return;
    }
    let share = max / e.tests.len() as f64;
    // The tests all passed but the exercise did not: nothing is earned, and each says why.
    let vetoed = e.status != Status::Pass && e.tests.iter().all(|t| t.status == TestStatus::Pass);
    for t in &e.tests {
        let passed = t.status == TestStatus::Pass && !vetoed;
        let name = format!("{} › {}", e.name, t.name);
        let why = if vetoed { &e.message } else { &t.message };
        let text = match (why.is_empty(), t.output.is_empty()) {
            (true, _) => t.output.clone(),
            (false, true) => why.clone(),
            (false, false) => format!("{why}\n\n{}", t.output),
        };
        out.push(entry(
            e,
            &name,
            if passed { share } else { 0.0 },
            share,
            passed,
            &text,
        ));
    }
}

fn entry(
    e: &ExerciseResult,
    name: &str,
    score: f64,
    max: f64,
    passed: bool,
    output: &str,
) -> Value {
    json!({
        "name": clean(name),
        "score": round(score),
        "max_score": round(max),
        "status": if passed { "passed" } else { "failed" },
        "output": clean(output),
        "tags": [e.dir, e.status.as_str()],
    })
}

/// Four decimals: shares of a point (1/3) stay readable, and the total adds up.
fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::TestResult;

    fn t(name: &str, status: TestStatus) -> TestResult {
        TestResult {
            name: name.into(),
            status,
            duration_ms: 1,
            message: if status == TestStatus::Pass {
                String::new()
            } else {
                "boom".into()
            },
            output: String::new(),
        }
    }

    fn ex(name: &str, status: Status, max: u32, tests: Vec<TestResult>) -> ExerciseResult {
        ExerciseResult {
            name: name.into(),
            dir: "d".into(),
            status,
            tests_modified: false,
            points: if status == Status::Pass { max } else { 0 },
            max_points: max,
            duration_ms: 1,
            message: if status == Status::Pass {
                String::new()
            } else {
                "why".into()
            },
            tests,
            compiler_output: String::new(),
            lint_failed: false,
        }
    }

    #[test]
    fn points_are_split_over_tests_and_summed() {
        let r = Report::new(
            "c",
            vec![
                ex(
                    "a",
                    Status::Pass,
                    2,
                    vec![t("x", TestStatus::Pass), t("y", TestStatus::Pass)],
                ),
                ex(
                    "b",
                    Status::Fail,
                    3,
                    vec![
                        t("x", TestStatus::Pass),
                        t("y", TestStatus::Fail),
                        t("z", TestStatus::Timeout),
                    ],
                ),
                ex("c", Status::Error, 1, vec![]),
                ex("d", Status::Fail, 1, vec![t("x", TestStatus::Pass)]),
            ],
        );
        let v: Value = serde_json::from_str(&render(&r)).unwrap();
        let tests = v["tests"].as_array().unwrap();
        let scores: Vec<(String, f64, f64, String)> = tests
            .iter()
            .map(|t| {
                (
                    t["name"].as_str().unwrap().to_string(),
                    t["score"].as_f64().unwrap(),
                    t["max_score"].as_f64().unwrap(),
                    t["status"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let p = |n: &str, s, m, st: &str| (n.to_string(), s, m, st.to_string());
        assert_eq!(
            scores,
            [
                p("a › x", 1.0, 1.0, "passed"),
                p("a › y", 1.0, 1.0, "passed"),
                p("b › x", 1.0, 1.0, "passed"),
                p("b › y", 0.0, 1.0, "failed"),
                p("b › z", 0.0, 1.0, "failed"),
                p("c", 0.0, 1.0, "failed"),
                p("d › x", 0.0, 1.0, "failed"),
            ]
        );
        assert_eq!(v["score"], 3.0);
        assert_eq!(tests[5]["output"], "why");
        assert_eq!(tests[6]["output"], "why", "a vetoed test says why");
        let max: f64 = tests.iter().map(|t| t["max_score"].as_f64().unwrap()).sum();
        assert_eq!(max, 7.0);
    }
}
