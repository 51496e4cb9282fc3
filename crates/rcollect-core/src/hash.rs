//! Hashing (being written).
