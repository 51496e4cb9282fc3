//! **Not a stable API.** The crate's request parsers (`Accept-Encoding`
//! negotiation, `Range`, request path normalisation) with plain inputs and
//! outputs, for the fuzz targets and property tests in `fuzz/` (the
//! properties and their independent oracles live there, not in this
//! crate). Only compiled with the `fuzzing` feature; it may change or
//! disappear in any release.

use http::header::ACCEPT_ENCODING;
use http::{HeaderMap, HeaderValue};
use rcollect_core::Encoding;

use crate::asset::Available;
use crate::serve::negotiate::negotiate as negotiate_inner;
use crate::serve::range::{Ranged, parse as parse_range};

/// What negotiation chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Negotiated {
    /// Send the file as it is.
    Identity,
    /// Send this precompressed variant.
    Variant(Encoding),
    /// Nothing acceptable is available (406).
    NotAcceptable,
}

/// The header lines that an HTTP parser would accept as `Accept-Encoding`
/// values (the others are dropped), and those lines.
pub fn header_map(lines: &[&[u8]]) -> (HeaderMap, Vec<Vec<u8>>) {
    let mut headers = HeaderMap::new();
    let mut kept = Vec::new();
    for line in lines {
        if let Ok(v) = HeaderValue::from_bytes(line) {
            headers.append(ACCEPT_ENCODING, v);
            kept.push(line.to_vec());
        }
    }
    (headers, kept)
}

fn available_set(available: &[Encoding]) -> Available {
    available
        .iter()
        .fold(Available::default(), |set, &e| set.with(e))
}

/// Negotiates `Accept-Encoding` (one entry per header line; lines that are
/// not valid header values are dropped) against the available variants.
pub fn negotiate(lines: &[&[u8]], available: &[Encoding]) -> Negotiated {
    let (headers, _) = header_map(lines);
    match negotiate_inner(&headers, available_set(available)) {
        Ok(None) => Negotiated::Identity,
        Ok(Some(e)) => Negotiated::Variant(e),
        Err(_) => Negotiated::NotAcceptable,
    }
}

/// What to send for a `Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeOutcome {
    /// 200 with the whole representation.
    Full,
    /// 206 with bytes `start..=end`.
    Partial {
        /// First byte.
        start: u64,
        /// Last byte, inclusive.
        end: u64,
    },
    /// 416.
    Unsatisfiable,
}

/// Interprets a `Range` header value for a representation of `len` bytes.
pub fn range(value: &[u8], len: u64) -> RangeOutcome {
    match parse_range(value, len) {
        Ranged::Full => RangeOutcome::Full,
        Ranged::Partial { start, end } => RangeOutcome::Partial { start, end },
        Ranged::Unsatisfiable => RangeOutcome::Unsatisfiable,
    }
}

/// The name a request path asks for under `mount` (see the `path` module).
pub fn relative(path: &str, mount: &str) -> Option<String> {
    crate::serve::path::relative(path, mount).map(|c| c.into_owned())
}
