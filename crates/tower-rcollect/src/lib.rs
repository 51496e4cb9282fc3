//! The middleware (being written).
