//! `Accept-Encoding` negotiation (RFC 9110 §12.5.3), without allocation.
//!
//! * `q=0` excludes a coding; the highest q-value wins; ties prefer
//!   `br` > `zstd` > `gzip` > identity.
//! * `*` gives its q-value to every coding (identity included) not listed.
//! * identity is acceptable unless `identity;q=0`, or `*;q=0` without an
//!   `identity` entry, says otherwise; when not listed it ranks below every
//!   listed coding (so `br;q=0.1` still gets `br`).
//! * No header (or an empty one) means identity.
//! * `x-gzip` counts as `gzip`. Items with an unparsable q-value are ignored.

use http::HeaderMap;
use http::header::ACCEPT_ENCODING;
use rcollect_core::Encoding;
use rcollect_core::delta::DeltaCoding;

use crate::asset::Available;

/// Nothing acceptable is available: answer 406.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotAcceptable;

/// q-values in thousandths, doubled so that an unlisted identity (1) ranks
/// below every listed coding with q > 0 (≥ 2).
type Q = u16;
const IMPLICIT_IDENTITY: Q = 1;

#[derive(Default)]
struct Prefs {
    br: Option<Q>,
    zstd: Option<Q>,
    gzip: Option<Q>,
    identity: Option<Q>,
    star: Option<Q>,
    dcb: Option<Q>,
    dcz: Option<Q>,
}

/// The dictionary coding to answer with (RFC 9842), when the request's
/// `Available-Dictionary` named a dictionary the file has deltas against:
/// `dcb` or `dcz` if `Accept-Encoding` lists it with q > 0 (`*` does not
/// count: a client that sends `Available-Dictionary` lists them), the higher
/// q-value winning and the smaller delta on a tie (`dcb` if equal); `size`
/// gives the size of each delta that exists.
pub(crate) fn negotiate_delta(
    headers: &HeaderMap,
    size: impl Fn(DeltaCoding) -> Option<u64>,
) -> Option<DeltaCoding> {
    let mut p = Prefs::default();
    for value in headers.get_all(ACCEPT_ENCODING) {
        for item in value.as_bytes().split(|&b| b == b',') {
            parse_item(item, &mut p);
        }
    }
    let mut best: Option<(DeltaCoding, Q, u64)> = None;
    for c in DeltaCoding::ALL {
        let q = match c {
            DeltaCoding::Dcb => p.dcb,
            DeltaCoding::Dcz => p.dcz,
        }
        .unwrap_or(0);
        let Some(len) = size(c).filter(|_| q > 0) else {
            continue;
        };
        if best.is_none_or(|(_, bq, blen)| q > bq || q == bq && len < blen) {
            best = Some((c, q, len));
        }
    }
    best.map(|(c, ..)| c)
}

/// The representation to send: `Ok(None)` for identity, `Ok(Some(e))` for a
/// variant, `Err` when nothing acceptable is available.
pub(crate) fn negotiate(
    headers: &HeaderMap,
    available: Available,
) -> Result<Option<Encoding>, NotAcceptable> {
    let mut p = Prefs::default();
    let mut seen = false;
    for value in headers.get_all(ACCEPT_ENCODING) {
        seen = true;
        for item in value.as_bytes().split(|&b| b == b',') {
            parse_item(item, &mut p);
        }
    }
    if !seen {
        return Ok(None);
    }
    let q_of = |listed: Option<Q>| listed.or(p.star).unwrap_or(0);
    let mut best: Option<Encoding> = None;
    let mut best_q: Q = 0;
    for e in Encoding::ALL {
        if !available.has(e) {
            continue;
        }
        let q = q_of(match e {
            Encoding::Br => p.br,
            Encoding::Zstd => p.zstd,
            Encoding::Gzip => p.gzip,
        });
        if q > best_q {
            best_q = q;
            best = Some(e);
        }
    }
    let identity = p.identity.or(p.star).unwrap_or(IMPLICIT_IDENTITY);
    if identity > best_q {
        return Ok(None);
    }
    match best {
        Some(e) if best_q > 0 => Ok(Some(e)),
        _ => Err(NotAcceptable),
    }
}

fn parse_item(item: &[u8], p: &mut Prefs) {
    let mut parts = item.split(|&b| b == b';');
    let coding = parts.next().unwrap_or_default().trim_ascii();
    if coding.is_empty() {
        return;
    }
    let mut q: Q = 2000;
    for param in parts {
        let param = param.trim_ascii();
        if param.len() >= 2
            && param[0].eq_ignore_ascii_case(&b'q')
            && param[1..].trim_ascii().first() == Some(&b'=')
        {
            let value = param[1..].trim_ascii()[1..].trim_ascii();
            match parse_q(value) {
                Some(v) => q = v,
                None => return,
            }
        }
    }
    let slot = if coding.eq_ignore_ascii_case(b"br") {
        &mut p.br
    } else if coding.eq_ignore_ascii_case(b"zstd") {
        &mut p.zstd
    } else if coding.eq_ignore_ascii_case(b"gzip") || coding.eq_ignore_ascii_case(b"x-gzip") {
        &mut p.gzip
    } else if coding.eq_ignore_ascii_case(b"identity") {
        &mut p.identity
    } else if coding == b"*" {
        &mut p.star
    } else if coding.eq_ignore_ascii_case(b"dcb") {
        &mut p.dcb
    } else if coding.eq_ignore_ascii_case(b"dcz") {
        &mut p.dcz
    } else {
        return;
    };
    *slot = Some(slot.map_or(q, |old| old.max(q)));
}

/// `0`, `0.5`, `1`, `1.000`, `0.123` → doubled thousandths. Lenient about
/// extra digits (truncated), strict about anything else.
fn parse_q(v: &[u8]) -> Option<Q> {
    let (int, frac) = match v.iter().position(|&b| b == b'.') {
        Some(i) => (&v[..i], &v[i + 1..]),
        None => (v, &[][..]),
    };
    let whole: Q = match int {
        b"0" => 0,
        b"1" => 1000,
        _ => return None,
    };
    let mut thousandths: Q = 0;
    let mut scale: Q = 100;
    for &d in frac {
        if !d.is_ascii_digit() {
            return None;
        }
        thousandths += Q::from(d - b'0') * scale;
        scale /= 10;
    }
    Some((whole + thousandths).min(1000) * 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delta_pick(ae: &str, dcb: bool, dcz: bool) -> Option<DeltaCoding> {
        delta_sized(ae, dcb.then_some(100), dcz.then_some(100))
    }

    fn delta_sized(ae: &str, dcb: Option<u64>, dcz: Option<u64>) -> Option<DeltaCoding> {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_ENCODING, ae.parse().expect("header"));
        negotiate_delta(&h, |c| match c {
            DeltaCoding::Dcb => dcb,
            DeltaCoding::Dcz => dcz,
        })
    }

    #[test]
    fn a_q_tie_between_deltas_goes_to_the_smaller() {
        let both = "gzip, br, zstd, dcb, dcz";
        assert_eq!(
            delta_sized(both, Some(82), Some(78)),
            Some(DeltaCoding::Dcz)
        );
        assert_eq!(
            delta_sized(both, Some(78), Some(82)),
            Some(DeltaCoding::Dcb)
        );
        assert_eq!(
            delta_sized(both, Some(80), Some(80)),
            Some(DeltaCoding::Dcb)
        );
        assert_eq!(
            delta_sized("dcb, dcz;q=0.5", Some(900), Some(10)),
            Some(DeltaCoding::Dcb),
            "q first"
        );
    }

    #[test]
    fn delta_codings() {
        assert_eq!(
            delta_pick("gzip, br, zstd, dcb, dcz", true, true),
            Some(DeltaCoding::Dcb)
        );
        assert_eq!(
            delta_pick("dcz, dcb;q=0.5", true, true),
            Some(DeltaCoding::Dcz)
        );
        assert_eq!(delta_pick("dcb, dcz", false, true), Some(DeltaCoding::Dcz));
        assert_eq!(delta_pick("dcb;q=0, dcz", true, false), None);
        assert_eq!(
            delta_pick("*", true, true),
            None,
            "* does not admit dictionary codings"
        );
        assert_eq!(delta_pick("br, gzip", true, true), None);
    }
    use http::HeaderValue;

    fn all() -> Available {
        Available::default()
            .with(Encoding::Br)
            .with(Encoding::Zstd)
            .with(Encoding::Gzip)
    }

    fn pick(header: Option<&str>, available: Available) -> Result<Option<Encoding>, NotAcceptable> {
        let mut h = HeaderMap::new();
        if let Some(v) = header {
            h.insert(ACCEPT_ENCODING, HeaderValue::from_str(v).expect("header"));
        }
        negotiate(&h, available)
    }

    #[test]
    fn preference_and_ties() {
        assert_eq!(pick(None, all()), Ok(None));
        assert_eq!(pick(Some(""), all()), Ok(None));
        assert_eq!(pick(Some("gzip, br"), all()), Ok(Some(Encoding::Br)));
        assert_eq!(
            pick(Some("gzip, deflate, br, zstd"), all()),
            Ok(Some(Encoding::Br))
        );
        assert_eq!(pick(Some("gzip, zstd"), all()), Ok(Some(Encoding::Zstd)));
        assert_eq!(
            pick(Some("br;q=0.5, gzip;q=0.8"), all()),
            Ok(Some(Encoding::Gzip))
        );
        assert_eq!(pick(Some("br;q=0.1"), all()), Ok(Some(Encoding::Br)));
        assert_eq!(pick(Some("BR ; Q = 1.0"), all()), Ok(Some(Encoding::Br)));
        assert_eq!(pick(Some("x-gzip"), all()), Ok(Some(Encoding::Gzip)));
        assert_eq!(pick(Some("deflate"), all()), Ok(None));
        let gz = Available::default().with(Encoding::Gzip);
        assert_eq!(pick(Some("br, gzip"), gz), Ok(Some(Encoding::Gzip)));
        assert_eq!(pick(Some("br"), gz), Ok(None));
    }

    #[test]
    fn zero_excludes_and_identity_rules() {
        assert_eq!(pick(Some("br;q=0, gzip"), all()), Ok(Some(Encoding::Gzip)));
        assert_eq!(
            pick(Some("br;q=0, gzip;q=0"), all().with(Encoding::Br)),
            Ok(None)
        );
        assert_eq!(pick(Some("identity;q=1, br;q=0.9"), all()), Ok(None));
        assert_eq!(pick(Some("identity, br"), all()), Ok(Some(Encoding::Br)));
        assert_eq!(
            pick(Some("identity;q=0"), Available::default()),
            Err(NotAcceptable)
        );
        assert_eq!(
            pick(Some("*;q=0"), Available::default()),
            Err(NotAcceptable)
        );
        assert_eq!(
            pick(Some("*;q=0, identity"), Available::default()),
            Ok(None)
        );
        assert_eq!(
            pick(Some("identity;q=0, gzip"), all()),
            Ok(Some(Encoding::Gzip))
        );
        assert_eq!(
            pick(
                Some("identity;q=0, br"),
                Available::default().with(Encoding::Gzip)
            ),
            Err(NotAcceptable)
        );
        assert_eq!(pick(Some("*"), all()), Ok(Some(Encoding::Br)));
        assert_eq!(pick(Some("*;q=0.5, gzip"), all()), Ok(Some(Encoding::Gzip)));
        assert_eq!(pick(Some("*, br;q=0"), all()), Ok(Some(Encoding::Zstd)));
        assert_eq!(
            pick(Some("br;q=abc, gzip"), all()),
            Ok(Some(Encoding::Gzip))
        );
        assert_eq!(pick(Some("br;q=0.000"), all().with(Encoding::Br)), Ok(None));
    }

    #[test]
    fn several_header_lines_combine() {
        let mut h = HeaderMap::new();
        h.append(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        h.append(ACCEPT_ENCODING, HeaderValue::from_static("br"));
        assert_eq!(negotiate(&h, all()), Ok(Some(Encoding::Br)));
    }
}
