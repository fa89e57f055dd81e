//! JUnit XML rendered from the grade report (with `quick-junit`), for CI systems to display:
//! one testsuite per exercise, one testcase per test; a timeout is a failure that says so, and a
//! build failure is an error testcase named `build`.

use anyhow::{Context, Result};
use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use super::clean;
use crate::report::{Report, Status, TestStatus};

pub fn render(report: &Report) -> Result<String> {
    let mut junit = quick_junit::Report::new(format!("tokiolings grade: {}", report.course));
    for e in &report.exercises {
        let mut suite = TestSuite::new(e.name.as_str());
        suite.add_property(Property::new("section", e.dir.as_str()));
        suite.add_property(Property::new("points", e.points.to_string()));
        suite.add_property(Property::new("max_points", e.max_points.to_string()));
        suite.add_property(Property::new(
            "tests_modified",
            e.tests_modified.to_string(),
        ));
        if e.tests_modified {
            suite.set_system_err(clean(&e.message));
        }
        if e.tests.is_empty() {
            // Nothing ran: the build failed, or the file is missing.
            let mut status = TestCaseStatus::non_success(match e.status {
                Status::Error => NonSuccessKind::Error,
                _ => NonSuccessKind::Failure,
            });
            status.set_message(clean(&e.message));
            status.set_type(if e.status == Status::Error {
                "build error"
            } else {
                "no tests ran"
            });
            status.set_description(clean(&e.compiler_output));
            let mut case = TestCase::new("build", status);
            case.set_classname(e.name.as_str());
            suite.add_test_case(case);
        }
        for t in &e.tests {
            let status = match t.status {
                TestStatus::Pass => TestCaseStatus::success(),
                TestStatus::Fail | TestStatus::Timeout => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(clean(&t.message));
                    s.set_type(if t.status == TestStatus::Timeout {
                        "timeout"
                    } else {
                        "failure"
                    });
                    s.set_description(clean(&t.output));
                    s
                }
            };
            let mut case = TestCase::new(t.name.as_str(), status);
            case.set_classname(e.name.as_str())
                .set_time(std::time::Duration::from_millis(t.duration_ms));
            if !t.output.is_empty() && t.status == TestStatus::Pass {
                case.set_system_out(clean(&t.output));
            }
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    junit.to_string().context("failed to write the JUnit XML")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{ExerciseResult, TestResult};

    fn ex(name: &str, status: Status, tests: Vec<TestResult>) -> ExerciseResult {
        ExerciseResult {
            name: name.into(),
            dir: "basics".into(),
            status,
            tests_modified: false,
            points: 0,
            max_points: 1,
            duration_ms: 1,
            message: "m".into(),
            tests,
            compiler_output: "\u{1b}[31merror\u{1b}[0m: x".into(),
            lint_failed: false,
        }
    }

    fn test(name: &str, status: TestStatus, message: &str) -> TestResult {
        TestResult {
            name: name.into(),
            status,
            duration_ms: 3,
            message: message.into(),
            output: "out <&>".into(),
        }
    }

    #[test]
    fn suites_cases_timeouts_and_build_errors() {
        let report = Report::new(
            "c",
            vec![
                ex(
                    "a",
                    Status::Timeout,
                    vec![
                        test("tests::ok", TestStatus::Pass, ""),
                        test(
                            "tests::slow",
                            TestStatus::Timeout,
                            "ran past its 2s deadline",
                        ),
                    ],
                ),
                ex("b", Status::Error, vec![]),
            ],
        );
        let xml = render(&report).unwrap();
        assert!(xml.contains("<testsuite name=\"a\" tests=\"2\""), "{xml}");
        assert!(
            xml.contains("<failure message=\"ran past its 2s deadline\" type=\"timeout\">"),
            "{xml}"
        );
        assert!(xml.contains("<testsuite name=\"b\" tests=\"1\""), "{xml}");
        assert!(
            xml.contains("<error message=\"m\" type=\"build error\">"),
            "{xml}"
        );
        assert!(xml.contains("error: x"), "ANSI stripped: {xml}");
        assert!(xml.contains("out &lt;&amp;&gt;"), "{xml}");
    }
}
