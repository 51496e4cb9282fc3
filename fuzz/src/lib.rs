//! The fuzz targets' properties and their oracles, written independently
//! of the implementation: each `fuzz_*` function takes a fuzzer's raw input,
//! decodes it and panics when a property does not hold; each target in
//! `fuzz_targets/` is one call. The unit tests replay the committed seeds in
//! `seeds/` and run the same properties under proptest, so `cargo test` (in
//! CI: `cargo test --manifest-path fuzz/Cargo.toml --lib`) runs them
//! without cargo-fuzz.

use std::path::{Component, Path};

use http::HeaderValue;
use rcollect_core::Encoding;
use tower_rcollect::fuzzing::{Negotiated, RangeOutcome, header_map, negotiate, range, relative};

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
    use super::*;

    /// Replays `fuzz/seeds/<target>/*` (and any crash inputs committed there
    /// as regressions) through the fuzz targets' checks, so the harness is
    /// built and run by `cargo test` without cargo-fuzz.
    #[test]
    fn committed_fuzz_seeds_pass() {
        let seeds = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds");
        type Target = (&'static str, fn(&[u8]));
        let targets: [Target; 6] = [
            ("scan_css", fuzz_scan_css),
            ("scan_js", fuzz_scan_js),
            ("scan_html", fuzz_scan_html),
            ("accept_encoding", fuzz_accept_encoding),
            ("range", fuzz_range),
            ("request_path", fuzz_request_path),
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

    mod negotiation {
        use super::super::check_negotiate;
        use proptest::prelude::*;
        use rcollect_core::Encoding;

        /// One `Accept-Encoding` item: known and unknown codings, odd case,
        /// whitespace, valid and invalid q-values, extra parameters.
        fn item() -> impl Strategy<Value = String> {
            let coding = prop_oneof![
                Just("br"),
                Just("BR"),
                Just("zstd"),
                Just("gzip"),
                Just("x-gzip"),
                Just("identity"),
                Just("*"),
                Just("deflate"),
                Just(""),
            ];
            let q = prop_oneof![
                Just(String::new()),
                Just(";q=0".to_string()),
                Just(";q=0.000".to_string()),
                Just(";q=1".to_string()),
                Just(";Q = 1.0".to_string()),
                Just(";q=abc".to_string()),
                Just(";q=".to_string()),
                Just(";q=2".to_string()),
                Just(";level=1".to_string()),
                (0u32..=1000).prop_map(|t| format!(";q=0.{t:03}")),
                (0u32..=99999).prop_map(|t| format!(";q=0.{t}")),
            ];
            (coding, q, "[ \t]{0,2}").prop_map(|(c, q, ws)| format!("{ws}{c}{q}{ws}"))
        }

        fn header() -> impl Strategy<Value = Vec<String>> {
            let line = prop::collection::vec(item(), 0..6).prop_map(|items| items.join(","));
            prop::collection::vec(line, 0..3)
        }

        fn available() -> impl Strategy<Value = Vec<Encoding>> {
            prop::sample::subsequence(Encoding::ALL.to_vec(), 0..=3)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            #[test]
            fn choice_is_acceptable_and_available(lines in header(), avail in available()) {
                let lines: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
                if let Err(e) = check_negotiate(&lines, &avail) {
                    return Err(TestCaseError::fail(e));
                }
            }

            #[test]
            fn arbitrary_bytes_never_break_the_rules(
                lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..3),
                avail in available(),
            ) {
                let lines: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
                if let Err(e) = check_negotiate(&lines, &avail) {
                    return Err(TestCaseError::fail(e));
                }
            }
        }
    }

    mod ranges {
        use super::super::{RangeOutcome, check_range, range};
        use proptest::prelude::*;

        fn length() -> impl Strategy<Value = u64> {
            prop_oneof![0u64..64, any::<u64>(), Just(u64::MAX)]
        }

        fn position() -> impl Strategy<Value = String> {
            prop_oneof![
                Just(String::new()),
                (0u64..80).prop_map(|n| n.to_string()),
                any::<u64>().prop_map(|n| n.to_string()),
                Just("99999999999999999999999".to_string()),
                Just(" 3".to_string()),
                Just("x".to_string()),
            ]
        }

        fn header() -> impl Strategy<Value = String> {
            let spec = (position(), position()).prop_map(|(a, b)| format!("{a}-{b}"));
            (
                prop_oneof![Just("bytes="), Just("BYTES = "), Just("items=")],
                prop::collection::vec(spec, 0..3),
            )
                .prop_map(|(unit, specs)| format!("{unit}{}", specs.join(",")))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            #[test]
            fn partial_ranges_lie_within_the_file(value in header(), len in length()) {
                if let Err(e) = check_range(value.as_bytes(), len) {
                    return Err(TestCaseError::fail(e));
                }
            }

            #[test]
            fn arbitrary_bytes_stay_within_the_file(
                value in prop::collection::vec(any::<u8>(), 0..40),
                len in length(),
            ) {
                if let Err(e) = check_range(&value, len) {
                    return Err(TestCaseError::fail(e));
                }
            }

            #[test]
            fn a_satisfiable_range_is_honoured_exactly(len in 1u64..10_000, a in 0u64..10_000, b in 0u64..10_000) {
                let (start, end) = (a.min(b) % len, a.max(b) % len);
                let (start, end) = (start.min(end), start.max(end));
                prop_assert_eq!(
                    range(format!("bytes={start}-{end}").as_bytes(), len),
                    RangeOutcome::Partial { start, end }
                );
            }
        }
    }

    mod paths {
        use super::super::check_relative;
        use proptest::prelude::*;

        /// Path pieces that matter: separators, dots, encodings of them,
        /// backslashes, NUL, non-ASCII.
        fn path() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                Just("/"),
                Just("."),
                Just(".."),
                Just("%2e"),
                Just("%2E"),
                Just("%2f"),
                Just("%2F"),
                Just("%5c"),
                Just("%00"),
                Just("%25"),
                Just("%"),
                Just("\\"),
                Just("\0"),
                Just("a"),
                Just("css"),
                Just("é"),
                Just("%c3%a9"),
                Just("%ff"),
            ];
            prop::collection::vec(piece, 0..12).prop_map(|p| p.concat())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(4000))]

            #[test]
            fn relative_never_yields_an_unsafe_name(p in path(), m in 0usize..2) {
                let mount = ["/static/", "/"][m];
                for full in [p.clone(), format!("{mount}{p}")] {
                    if let Err(e) = check_relative(&full, mount) {
                        return Err(TestCaseError::fail(e));
                    }
                }
            }

            #[test]
            fn arbitrary_strings_never_yield_an_unsafe_name(p in "\\PC{0,40}") {
                if let Err(e) = check_relative(&format!("/static/{p}"), "/static/") {
                    return Err(TestCaseError::fail(e));
                }
            }
        }
    }
}
