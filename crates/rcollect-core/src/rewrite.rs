//! Rewriting (being written).
