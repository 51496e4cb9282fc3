//! **Not a stable API.** Thin wrappers around the crate's request parsers
//! (`Accept-Encoding` negotiation, `Range`, request path normalisation) and
//! the properties they must keep, for the fuzz targets in `fuzz/` and the
//! property tests. Only compiled with the `fuzzing` feature (and in tests);
//! it may change or disappear in any release.
//!
//! The `fuzz_*` functions take a fuzzer's raw input, decode it and panic
//! when a property does not hold; each target in `fuzz/fuzz_targets` is one
//! call, and the unit tests replay the committed seeds in `fuzz/seeds`.

use std::path::{Component, Path};

use http::header::ACCEPT_ENCODING;
use http::{HeaderMap, HeaderValue};
use rcollect_core::Encoding;

use crate::negotiate::{Available, negotiate as negotiate_inner};
use crate::range::{Ranged, parse as parse_range};

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
/// values (the others are dropped).
fn header_map(lines: &[&[u8]]) -> (HeaderMap, Vec<Vec<u8>>) {
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

/// The client's preferences, parsed independently of the implementation:
/// q-values in thousandths, `None` when not listed.
#[derive(Debug, Default)]
struct Spec {
    br: Option<u32>,
    zstd: Option<u32>,
    gzip: Option<u32>,
    identity: Option<u32>,
    star: Option<u32>,
}

impl Spec {
    fn parse(lines: &[Vec<u8>]) -> Spec {
        let mut spec = Spec::default();
        for item in lines.iter().flat_map(|l| l.split(|&b| b == b',')) {
            let mut parts = item.split(|&b| b == b';');
            let coding = ows(parts.next().unwrap_or_default()).to_ascii_lowercase();
            if coding.is_empty() {
                continue;
            }
            let mut q = Some(1000);
            for param in parts {
                let param = ows(param);
                if let Some((&first, rest)) = param.split_first() {
                    let rest = ows(rest);
                    if first.eq_ignore_ascii_case(&b'q') && rest.first() == Some(&b'=') {
                        q = q.and(spec_q(ows(&rest[1..])));
                        if q.is_none() {
                            break;
                        }
                    }
                }
            }
            let Some(q) = q else { continue };
            let slot = match coding.as_slice() {
                b"br" => &mut spec.br,
                b"zstd" => &mut spec.zstd,
                b"gzip" | b"x-gzip" => &mut spec.gzip,
                b"identity" => &mut spec.identity,
                b"*" => &mut spec.star,
                _ => continue,
            };
            *slot = Some(slot.map_or(q, |old: u32| old.max(q)));
        }
        spec
    }

    /// The q-value of a variant: its own, else `*`'s, else 0.
    fn variant(&self, e: Encoding) -> u32 {
        let listed = match e {
            Encoding::Br => self.br,
            Encoding::Zstd => self.zstd,
            Encoding::Gzip => self.gzip,
        };
        listed.or(self.star).unwrap_or(0)
    }

    /// The q-value of identity when given explicitly (by `identity` or `*`).
    fn identity(&self) -> Option<u32> {
        self.identity.or(self.star)
    }
}

/// `0`/`1` with an optional fraction; digits past the third are ignored.
fn spec_q(v: &[u8]) -> Option<u32> {
    let (int, frac) = match v.split_first() {
        Some((&d @ (b'0' | b'1'), [])) => (d, &[][..]),
        Some((&d @ (b'0' | b'1'), [b'.', frac @ ..])) => (d, frac),
        _ => return None,
    };
    if !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut thousandths = 0;
    for i in 0..3 {
        thousandths = thousandths * 10 + frac.get(i).map_or(0, |&d| u32::from(d - b'0'));
    }
    Some((u32::from(int - b'0') * 1000 + thousandths).min(1000))
}

fn ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Negotiates and checks the result against RFC 9110 §12.5.3 as documented
/// in the `negotiate` module: the chosen variant is available, has q > 0 and
/// the highest q (ties: `br` > `zstd` > `gzip` > identity); identity is only
/// chosen when acceptable; 406 only when nothing acceptable is available.
pub fn check_negotiate(lines: &[&[u8]], available: &[Encoding]) -> Result<Negotiated, String> {
    let (_, kept) = header_map(lines);
    let got = negotiate(lines, available);
    if kept.is_empty() {
        return if got == Negotiated::Identity {
            Ok(got)
        } else {
            Err(format!("no header: got {got:?}, want identity"))
        };
    }
    let spec = Spec::parse(&kept);
    let avail = |e: &Encoding| available.contains(e);
    let best = Encoding::ALL
        .iter()
        .filter(|e| avail(e))
        .map(|&e| spec.variant(e))
        .max()
        .unwrap_or(0);
    let ok = match got {
        Negotiated::Variant(e) => {
            let q = spec.variant(e);
            let first_best = Encoding::ALL
                .iter()
                .find(|e| avail(e) && spec.variant(**e) == best);
            avail(&e)
                && q > 0
                && q == best
                && first_best == Some(&e)
                && spec.identity().is_none_or(|i| i <= q)
        }
        Negotiated::Identity => match spec.identity() {
            Some(i) => i > 0 && i > best,
            None => best == 0,
        },
        Negotiated::NotAcceptable => spec.identity() == Some(0) && best == 0,
    };
    if ok {
        Ok(got)
    } else {
        Err(format!(
            "Accept-Encoding {kept:?} with {available:?}: got {got:?}, client prefs {spec:?}"
        ))
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

/// Parses and checks: a 206 range lies within the file (`start <= end <
/// len`), and only a `bytes=` header yields anything but 200.
///
/// Any bytes are parsed (that must not panic), but the property is only
/// checked for bytes a header value can hold: the middleware parses
/// `HeaderValue`s, which never contain CR, LF or other control bytes but
/// tab, so trimming them (`trim_ascii`) or not (OWS is only space and tab)
/// makes no difference there.
pub fn check_range(value: &[u8], len: u64) -> Result<RangeOutcome, String> {
    let got = range(value, len);
    if HeaderValue::from_bytes(value).is_err() {
        return Ok(got);
    }
    let bytes_unit = ows(value)
        .get(..6)
        .is_some_and(|u| u.eq_ignore_ascii_case(b"bytes="));
    let ok = match got {
        RangeOutcome::Full => true,
        RangeOutcome::Partial { start, end } => bytes_unit && start <= end && end < len,
        RangeOutcome::Unsatisfiable => bytes_unit,
    };
    if ok {
        Ok(got)
    } else {
        Err(format!(
            "Range {:?} for {len} bytes: got {got:?}",
            String::from_utf8_lossy(value)
        ))
    }
}

/// The name a request path asks for under `mount` (see the `path` module).
pub fn relative(path: &str, mount: &str) -> Option<String> {
    crate::path::relative(path, mount).map(|c| c.into_owned())
}

/// Normalises and checks: a name is only returned for a path under `mount`,
/// and it has no `..`, `.` or empty segments (a trailing `/` aside), no
/// leading `/`, backslash or NUL, and every component of it as a
/// filesystem path is a plain name.
pub fn check_relative(path: &str, mount: &str) -> Result<Option<String>, String> {
    let got = relative(path, mount);
    let Some(rel) = &got else { return Ok(None) };
    let body = rel.strip_suffix('/').unwrap_or(rel);
    let clean = path.starts_with(mount)
        && !rel.contains(['\\', '\0'])
        && !rel.starts_with('/')
        && (rel.is_empty()
            || body
                .split('/')
                .all(|s| !s.is_empty() && s != "." && s != ".."))
        && Path::new(body)
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
    if clean {
        Ok(got)
    } else {
        Err(format!("path {path:?} under {mount:?}: got {rel:?}"))
    }
}

/// Fuzz input → property check: the CSS scanner's spans lie inside the
/// input, in order, without overlaps, with non-decreasing line numbers.
pub fn fuzz_scan_css(data: &[u8]) {
    check_spans(data, &rcollect_core::scan::css::scan(data));
}

/// Fuzz input → property check: as [`fuzz_scan_css`], for JavaScript.
pub fn fuzz_scan_js(data: &[u8]) {
    check_spans(data, &rcollect_core::scan::js::scan(data));
}

/// Fuzz input → property check: as [`fuzz_scan_css`], for HTML.
pub fn fuzz_scan_html(data: &[u8]) {
    check_spans(data, &rcollect_core::scan::html::scan(data));
}

fn check_spans(data: &[u8], refs: &[rcollect_core::scan::Reference]) {
    let mut prev_end = 0;
    let mut prev_line = 1;
    for r in refs {
        assert!(r.span.start < r.span.end, "empty span {r:?}");
        assert!(r.span.end <= data.len(), "span past the end {r:?}");
        assert!(r.span.start >= prev_end, "unsorted or overlapping {r:?}");
        assert!(r.line >= prev_line, "line numbers go back {r:?}");
        prev_end = r.span.end;
        prev_line = r.line;
    }
}

/// Fuzz input → [`check_negotiate`]: the first byte's low three bits pick the
/// available variants (`br`, `zstd`, `gzip`), its high bit means "no header";
/// the rest is the header, `\n` separating header lines.
pub fn fuzz_accept_encoding(data: &[u8]) {
    let Some((&bits, header)) = data.split_first() else {
        return;
    };
    let available: Vec<Encoding> = Encoding::ALL
        .into_iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, e)| e)
        .collect();
    let lines: Vec<&[u8]> = if bits & 0x80 != 0 {
        Vec::new()
    } else {
        header.split(|&b| b == b'\n').collect()
    };
    if let Err(e) = check_negotiate(&lines, &available) {
        panic!("{e}");
    }
}

/// Fuzz input → [`check_range`]: the first 8 bytes give the file length
/// (little endian; even values become a small length `< 4096`, odd ones a
/// huge one), the rest is the header value.
pub fn fuzz_range(data: &[u8]) {
    let Some((len, value)) = data.split_first_chunk::<8>() else {
        return;
    };
    let raw = u64::from_le_bytes(*len);
    let len = if raw & 1 == 0 {
        (raw >> 1) % 4096
    } else {
        raw.rotate_right(1)
    };
    if let Err(e) = check_range(value, len) {
        panic!("{e}");
    }
}

/// Fuzz input → [`check_relative`]: the first byte picks the mount
/// (`/static/`, `/` or `/a%2e/`), the rest is the path (UTF-8, else
/// ignored), tried as sent and prefixed with the mount.
pub fn fuzz_request_path(data: &[u8]) {
    const MOUNTS: [&str; 3] = ["/static/", "/", "/a%2e/"];
    let Some((&m, path)) = data.split_first() else {
        return;
    };
    let Ok(path) = std::str::from_utf8(path) else {
        return;
    };
    let mount = MOUNTS[usize::from(m) % MOUNTS.len()];
    for p in [path.to_string(), format!("{mount}{path}")] {
        if let Err(e) = check_relative(&p, mount) {
            panic!("{e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    /// Replays `fuzz/seeds/<target>/*` (and any crash inputs committed there
    /// as regressions) through the fuzz targets' checks, so the harness is
    /// built and run by `cargo test` without cargo-fuzz.
    #[test]
    fn committed_fuzz_seeds_pass() {
        let seeds = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds");
        type Target = (&'static str, fn(&[u8]));
        let targets: [Target; 6] = [
            ("scan_css", super::fuzz_scan_css),
            ("scan_js", super::fuzz_scan_js),
            ("scan_html", super::fuzz_scan_html),
            ("accept_encoding", super::fuzz_accept_encoding),
            ("range", super::fuzz_range),
            ("request_path", super::fuzz_request_path),
        ];
        for (name, run) in targets {
            let dir = seeds.join(name);
            let mut n = 0;
            for entry in std::fs::read_dir(&dir).expect("fuzz/seeds/<target>") {
                let path = entry.expect("dir entry").path();
                run(&std::fs::read(&path).expect("seed"));
                n += 1;
            }
            assert!(n > 0, "no seeds in {}", dir.display());
        }
    }
}
