//! CSS scanner (being written).
use super::Reference;
/// Scans CSS.
pub fn scan(_src: &[u8]) -> Vec<Reference> { Vec::new() }
