//! Collect (being written).
