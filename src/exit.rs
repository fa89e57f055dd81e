//! Exit codes, one place (documented in the README): every command returns one of these.

/// The exercise (or every exercise) passed; the command did what was asked.
pub const OK: u8 = 0;
/// An exercise did not pass.
pub const NOT_PASSED: u8 = 1;
/// Bad usage, a broken course, or the grader could not run.
pub const ERROR: u8 = 2;
/// Stopped by SIGINT or SIGTERM (the shell's 128 + SIGINT).
pub const INTERRUPTED: u8 = 130;
