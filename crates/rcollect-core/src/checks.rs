//! Configuration checks (being written).
use crate::config::Config;

/// Severity of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Fails `rcollect check` and refuses collect.
    Error,
    /// Reported; fails only with `--deny-warnings`.
    Warning,
}

/// One problem found by a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable ID (`E002`, `W001`).
    pub id: &'static str,
    /// Severity.
    pub level: Level,
    /// What is wrong, naming the values involved.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

/// Runs the configuration checks.
pub fn run(_config: &Config) -> Vec<Finding> {
    Vec::new()
}
