//! The class CSV: one row per learner; per exercise its status and points, then the total.

use anyhow::{Context, Result};

use crate::course::Exercise;
use crate::report::Report;

pub fn render(exercises: &[Exercise], students: &[(String, Report)]) -> Result<String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let mut header = vec!["student".to_string()];
    for e in exercises {
        header.push(format!("{} status", e.name));
        header.push(format!("{} points", e.name));
    }
    header.extend(["score", "max_score", "tests_modified"].map(String::from));
    w.write_record(&header)?;
    for (name, report) in students {
        let mut row = vec![name.clone()];
        for (e, r) in exercises.iter().zip(&report.exercises) {
            debug_assert_eq!(e.name, r.name);
            row.push(r.status.to_string());
            row.push(r.points.to_string());
        }
        let s = &report.summary;
        row.extend([
            s.score.to_string(),
            s.max_score.to_string(),
            s.tests_modified.to_string(),
        ]);
        w.write_record(&row)?;
    }
    let bytes = w.into_inner().context("failed to write the CSV")?;
    Ok(String::from_utf8(bytes)?)
}
