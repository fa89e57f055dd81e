//! The one result model (`../shared/report-schema.md`): plain data that every renderer reads.
//!
//! Field names and status words are a published format: add fields, never rename them.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

pub const SCHEMA: &str = "tokiolings-report/1";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Error,
    Timeout,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TestStatus {
    Pass,
    Fail,
    Timeout,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    pub name: String,
    pub status: TestStatus,
    pub duration_ms: u64,
    pub message: String,
    pub output: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExerciseResult {
    pub name: String,
    pub dir: String,
    pub status: Status,
    pub tests_modified: bool,
    pub points: u32,
    pub max_points: u32,
    pub duration_ms: u64,
    pub message: String,
    pub tests: Vec<TestResult>,
    /// Compiler diagnostics as rustc rendered them (ANSI colours kept), errors first.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub compiler_output: String,
}

impl ExerciseResult {
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

pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
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
