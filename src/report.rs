//! The one result model (`docs/report-schema.md`): plain data that every renderer reads.
//!
//! Field names and status words are a published format: add fields, never rename them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::course::Exercise;
use crate::fsutil::now_rfc3339;

pub const SCHEMA: &str = "tokiolings-report/1";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Error,
    Timeout,
}

impl Status {
    /// The published status word (`pass`, `fail`, `error`, `timeout`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Timeout => "timeout",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TestStatus {
    Pass,
    Fail,
    Timeout,
}

impl TestStatus {
    /// The word for a sentence: "`x` passed / failed / timed out".
    pub fn past_tense(self) -> &'static str {
        match self {
            TestStatus::Pass => "passed",
            TestStatus::Fail => "failed",
            TestStatus::Timeout => "timed out",
        }
    }
}

/// One test of an exercise (or its `main`, for `test = false` exercises).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    pub name: String,
    pub status: TestStatus,
    pub duration_ms: u64,
    /// Why it did not pass, in the exercise's terms; empty on a pass.
    pub message: String,
    /// What the test printed (capped; the rest counted).
    pub output: String,
}

impl TestResult {
    /// A test judged failed without running (missing, ignored).
    pub fn failed(name: &str, message: impl Into<String>) -> Self {
        Self {
            name: name.to_string(),
            status: TestStatus::Fail,
            duration_ms: 0,
            message: message.into(),
            output: String::new(),
        }
    }
}

/// One exercise's verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExerciseResult {
    pub name: String,
    /// Its section: the directory under `exercises/`.
    pub dir: String,
    pub status: Status,
    /// Grade mode: the learner's test module differed from the course's (which judged it).
    pub tests_modified: bool,
    pub points: u32,
    pub max_points: u32,
    /// Build share plus test time.
    pub duration_ms: u64,
    /// One line for humans: the first compiler error, the failing test, why it was not run.
    pub message: String,
    pub tests: Vec<TestResult>,
    /// Compiler diagnostics as rustc rendered them (ANSI colours kept), errors first.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub compiler_output: String,
    /// The tests passed but the exercise's strict clippy lints did not (`message` says which).
    /// Not part of the published format: renderers read it to lay the verdict out.
    #[serde(skip)]
    pub lint_failed: bool,
}

impl ExerciseResult {
    /// A result not yet judged: `fail`, no points, no tests.
    pub fn new(ex: &Exercise) -> Self {
        Self {
            name: ex.name.clone(),
            dir: ex.section().to_string(),
            status: Status::Fail,
            tests_modified: false,
            points: 0,
            max_points: ex.points,
            duration_ms: 0,
            message: String::new(),
            tests: Vec::new(),
            compiler_output: String::new(),
            lint_failed: false,
        }
    }

    /// An exercise judged `error` without being built or run (a missing file, a tool fault).
    pub fn unbuilt(ex: &Exercise, message: impl Into<String>) -> Self {
        Self {
            status: Status::Error,
            message: message.into(),
            ..Self::new(ex)
        }
    }

    pub fn passed(&self) -> bool {
        self.status == Status::Pass
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    pub timeouts: usize,
    pub tests_modified: usize,
    pub score: u32,
    pub max_score: u32,
}

impl Summary {
    pub fn of(exercises: &[ExerciseResult]) -> Self {
        let count = |s| exercises.iter().filter(|e| e.status == s).count();
        Self {
            total: exercises.len(),
            passed: count(Status::Pass),
            failed: count(Status::Fail),
            errors: count(Status::Error),
            timeouts: count(Status::Timeout),
            tests_modified: exercises.iter().filter(|e| e.tests_modified).count(),
            score: exercises.iter().map(|e| e.points).sum(),
            max_score: exercises.iter().map(|e| e.max_points).sum(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub course: String,
    pub generated_at: String,
    pub summary: Summary,
    pub exercises: Vec<ExerciseResult>,
}

impl Report {
    pub fn new(course: &str, exercises: Vec<ExerciseResult>) -> Self {
        Self {
            schema: SCHEMA.into(),
            course: course.into(),
            generated_at: now_rfc3339(),
            summary: Summary::of(&exercises),
            exercises,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report is plain data") + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(name: &str, status: Status, points: u32) -> ExerciseResult {
        ExerciseResult {
            name: name.into(),
            dir: "d".into(),
            status,
            tests_modified: name == "m",
            points,
            max_points: 1,
            duration_ms: 1,
            message: String::new(),
            tests: vec![],
            compiler_output: String::new(),
            lint_failed: false,
        }
    }

    #[test]
    fn summary_counts_each_status_and_scores() {
        let s = Summary::of(&[
            ex("a", Status::Pass, 1),
            ex("m", Status::Fail, 0),
            ex("c", Status::Error, 0),
            ex("d", Status::Timeout, 0),
        ]);
        assert_eq!(
            s,
            Summary {
                total: 4,
                passed: 1,
                failed: 1,
                errors: 1,
                timeouts: 1,
                tests_modified: 1,
                score: 1,
                max_score: 4
            }
        );
    }

    #[test]
    fn json_uses_the_published_field_names_and_round_trips() {
        let r = Report::new("c", vec![ex("a", Status::Timeout, 0)]);
        let json = r.to_json();
        for key in [
            "\"schema\": \"tokiolings-report/1\"",
            "\"status\": \"timeout\"",
            "\"max_points\"",
            "\"tests_modified\"",
            "\"generated_at\"",
        ] {
            assert!(json.contains(key), "{key} missing in {json}");
        }
        assert!(
            !json.contains("compiler_output"),
            "empty fields are left out"
        );
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
    }
}
