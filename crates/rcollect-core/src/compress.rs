//! Compression (being written).
