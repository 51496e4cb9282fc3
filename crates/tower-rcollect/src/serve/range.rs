//! `Range: bytes=…` (RFC 9110 §14.2).
//!
//! Only a single range is honoured. A request for several ranges gets the
//! whole representation with 200 (RFC 9110 allows a server to ignore
//! `Range`): `multipart/byteranges` costs a copy and is almost never used for
//! static assets, and it is a known amplification vector. At most
//! [`MAX_RANGES`] elements are looked at, so a huge header costs nothing.

/// How many comma-separated elements are examined before giving up.
pub(crate) const MAX_RANGES: usize = 2;

/// What to send for a `Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ranged {
    /// Malformed, several ranges or another unit: send everything (200).
    Full,
    /// Send bytes `start..=end` (206).
    Partial {
        /// First byte.
        start: u64,
        /// Last byte, inclusive.
        end: u64,
    },
    /// Syntactically fine but outside the representation (416).
    Unsatisfiable,
}

/// Interprets a `Range` header value for a representation of `len` bytes.
pub(crate) fn parse(value: &[u8], len: u64) -> Ranged {
    let value = value.trim_ascii();
    if value.len() < 6 || !value[..6].eq_ignore_ascii_case(b"bytes=") {
        return Ranged::Full;
    }
    let mut specs = value[6..]
        .split(|&b| b == b',')
        .map(<[u8]>::trim_ascii)
        .filter(|s| !s.is_empty())
        .take(MAX_RANGES);
    let Some(spec) = specs.next() else {
        return Ranged::Full;
    };
    if specs.next().is_some() {
        return Ranged::Full;
    }
    let Some(dash) = spec.iter().position(|&b| b == b'-') else {
        return Ranged::Full;
    };
    let (first, last) = (spec[..dash].trim_ascii(), spec[dash + 1..].trim_ascii());
    if first.is_empty() {
        // Suffix range: the last N bytes.
        let Some(n) = number(last) else {
            return Ranged::Full;
        };
        if n == 0 || len == 0 {
            return Ranged::Unsatisfiable;
        }
        return Ranged::Partial {
            start: len.saturating_sub(n),
            end: len - 1,
        };
    }
    let Some(start) = number(first) else {
        return Ranged::Full;
    };
    let end = if last.is_empty() {
        u64::MAX
    } else {
        match number(last) {
            Some(e) if e >= start => e,
            _ => return Ranged::Full,
        }
    };
    if start >= len {
        return Ranged::Unsatisfiable;
    }
    Ranged::Partial {
        start,
        end: end.min(len - 1),
    }
}

/// Digits only; saturates at `u64::MAX` (a huge position is just "past the end").
fn number(s: &[u8]) -> Option<u64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u64, |acc, &d| {
        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &str, len: u64) -> Ranged {
        parse(v.as_bytes(), len)
    }

    fn part(start: u64, end: u64) -> Ranged {
        Ranged::Partial { start, end }
    }

    #[test]
    fn single_ranges() {
        assert_eq!(p("bytes=0-0", 10), part(0, 0));
        assert_eq!(p("bytes=2-5", 10), part(2, 5));
        assert_eq!(p("bytes=2-50", 10), part(2, 9));
        assert_eq!(p("bytes=7-", 10), part(7, 9));
        assert_eq!(p("bytes=-3", 10), part(7, 9));
        assert_eq!(p("bytes=-30", 10), part(0, 9));
        assert_eq!(p("Bytes= 1-2 ", 10), part(1, 2));
        assert_eq!(p("bytes=1-2,", 10), part(1, 2));
        assert_eq!(p("bytes=0-99999999999999999999999", 10), part(0, 9));
    }

    #[test]
    fn unsatisfiable() {
        assert_eq!(p("bytes=10-", 10), Ranged::Unsatisfiable);
        assert_eq!(p("bytes=10-20", 10), Ranged::Unsatisfiable);
        assert_eq!(p("bytes=-0", 10), Ranged::Unsatisfiable);
        assert_eq!(p("bytes=0-", 0), Ranged::Unsatisfiable);
        assert_eq!(p("bytes=-5", 0), Ranged::Unsatisfiable);
        assert_eq!(
            p("bytes=99999999999999999999999-", 10),
            Ranged::Unsatisfiable
        );
    }

    #[test]
    fn malformed_and_multiple_are_full() {
        for v in [
            "",
            "bytes",
            "bytes=",
            "bytes=-",
            "bytes=a-b",
            "bytes=5-2",
            "bytes=1-2-3",
            "items=0-1",
            "bytes=0x1-2",
            "bytes=0-1,3-4",
            "bytes=0-1, -2",
            "bytes=+1-2",
        ] {
            assert_eq!(p(v, 10), Ranged::Full, "{v}");
        }
        let many = format!("bytes={}", "0-1,".repeat(10_000));
        assert_eq!(p(&many, 10), Ranged::Full);
    }
}
