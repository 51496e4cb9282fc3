//! JS scanner (being written).
use super::Reference;
/// Scans JS.
pub fn scan(_src: &[u8]) -> Vec<Reference> { Vec::new() }
