//! "Did you mean …?": the closest known logical path to one that is not
//! there, for every "not found" (the template helpers at run time, `asset!`
//! at compile time, `rcollect findstatic`).
//!
//! One rule everywhere: a candidate within an edit distance of
//! `max(2, len / 3)` of the name (optimal string alignment: insertions,
//! deletions, substitutions and swaps of two neighbours; ASCII case
//! ignored), the closest first; failing that, a candidate with the same
//! file name in another directory (`app.css`, `static/css/app.css` or
//! `styles/app.css` for `css/app.css`). Ties go to the candidate that sorts
//! first.
//!
//! [`closest`] is a `const fn`, so the code `rcollect-build` generates runs
//! the same rule inside the compiler when an `asset!` name is misspelt;
//! [`suggest`] is the run-time entry point. Names longer than
//! [`MAX_LEN`] bytes get no suggestion (the distance table is a fixed
//! array, as a `const fn` needs).

/// The longest name (in bytes) compared; longer names get no suggestion.
pub const MAX_LEN: usize = 255;

/// The closest of `candidates` to `name` by the module's rule, or `None`
/// when none is close enough. The candidates need not be sorted or unique;
/// `name` itself is never suggested.
///
/// ```
/// use rcollect_core::suggest::suggest;
/// let known = ["css/app.css", "js/app.js", "img/logo.svg"];
/// assert_eq!(suggest("css/apps.css", known).as_deref(), Some("css/app.css"));
/// assert_eq!(suggest("app.css", known).as_deref(), Some("css/app.css"));
/// assert_eq!(suggest("fonts/inter.woff2", known), None);
/// ```
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut sorted: Vec<&str> = candidates.into_iter().collect();
    sorted.sort_unstable();
    sorted.dedup();
    closest(name, &sorted)
        .and_then(|i| sorted.get(i))
        .map(|s| (*s).to_string())
}

/// The index in `candidates` of the closest to `name` by the module's
/// rule, or `None`. Ties go to the lowest index (sort the candidates for a
/// stable answer). Usable in constants: the code `rcollect-build`
/// generates calls it at compile time.
pub const fn closest(name: &str, candidates: &[&str]) -> Option<usize> {
    let name = name.as_bytes();
    let limit = threshold(name.len());
    let base = basename(name);
    // (distance, index) of the best within the limit, and of the best with
    // the same file name.
    let mut best: Option<(usize, usize)> = None;
    let mut same_base: Option<(usize, usize)> = None;
    let mut rest = candidates;
    let mut i = 0;
    while let [candidate, tail @ ..] = rest {
        let c = candidate.as_bytes();
        if !same_bytes(c, name) {
            if c.len().abs_diff(name.len()) <= limit {
                if let Some(d) = distance(name, c, limit) {
                    if better(d, best) {
                        best = Some((d, i));
                    }
                }
            }
            if !base.is_empty() && eq_ignore_case(basename(c), base) {
                let d = match distance(name, c, MAX_LEN) {
                    Some(d) => d,
                    None => MAX_LEN,
                };
                if better(d, same_base) {
                    same_base = Some((d, i));
                }
            }
        }
        rest = tail;
        i += 1;
    }
    match (best, same_base) {
        (Some((_, i)), _) | (None, Some((_, i))) => Some(i),
        (None, None) => None,
    }
}

/// How far a suggestion may be from a name of `len` bytes.
const fn threshold(len: usize) -> usize {
    let third = len / 3;
    if third > 2 { third } else { 2 }
}

const fn better(d: usize, current: Option<(usize, usize)>) -> bool {
    match current {
        Some((best, _)) => d < best,
        None => true,
    }
}

/// The part after the last `/`.
const fn basename(name: &[u8]) -> &[u8] {
    let mut rest = name;
    let mut len = 0;
    while let [head @ .., last] = rest {
        if *last == b'/' {
            break;
        }
        len += 1;
        rest = head;
    }
    let (_, base) = name.split_at(name.len() - len);
    base
}

const fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a, mut b) = (a, b);
    while let ([x, a_tail @ ..], [y, b_tail @ ..]) = (a, b) {
        if *x != *y {
            return false;
        }
        a = a_tail;
        b = b_tail;
    }
    true
}

const fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a, mut b) = (a, b);
    while let ([x, a_tail @ ..], [y, b_tail @ ..]) = (a, b) {
        if !x.eq_ignore_ascii_case(y) {
            return false;
        }
        a = a_tail;
        b = b_tail;
    }
    true
}

/// The optimal-string-alignment distance of `a` and `b` (bytes, ASCII case
/// ignored), or `None` when it is over `limit` or a name is longer than
/// [`MAX_LEN`]. Three rows of a fixed table; every index is below
/// `MAX_LEN + 1` by the length check, so none can panic.
const fn distance(a: &[u8], b: &[u8], limit: usize) -> Option<usize> {
    if a.len() > MAX_LEN || b.len() > MAX_LEN {
        return None;
    }
    let mut before = [0usize; MAX_LEN + 1];
    let mut prev = [0usize; MAX_LEN + 1];
    let mut cur = [0usize; MAX_LEN + 1];
    let mut j = 0;
    while j <= b.len() {
        prev[j] = j;
        j += 1;
    }
    let mut i = 1;
    while i <= a.len() {
        cur[0] = i;
        let mut row_min = i;
        let ca = a[i - 1].to_ascii_lowercase();
        let mut j = 1;
        while j <= b.len() {
            let cb = b[j - 1].to_ascii_lowercase();
            let cost = if ca == cb { 0 } else { 1 };
            let mut d = min(prev[j] + 1, min(cur[j - 1] + 1, prev[j - 1] + cost));
            if i > 1
                && j > 1
                && ca == b[j - 2].to_ascii_lowercase()
                && a[i - 2].to_ascii_lowercase() == cb
            {
                d = min(d, before[j - 2] + 1);
            }
            cur[j] = d;
            row_min = min(row_min, d);
            j += 1;
        }
        // Every later row is at least this row's minimum (a swap reaches
        // back one row, so stop only when two rows are over).
        if row_min > limit && min_of(&prev, b.len()) > limit {
            return None;
        }
        before = prev;
        prev = cur;
        i += 1;
    }
    let d = prev[b.len()];
    if d <= limit { Some(d) } else { None }
}

const fn min(a: usize, b: usize) -> usize {
    if a < b { a } else { b }
}

/// The smallest of `row[..=len]`.
const fn min_of(row: &[usize; MAX_LEN + 1], len: usize) -> usize {
    let mut m = usize::MAX;
    let mut j = 0;
    while j <= len && j <= MAX_LEN {
        m = min(m, row[j]);
        j += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::{MAX_LEN, closest, distance, suggest};
    use proptest::prelude::*;

    const KNOWN: [&str; 6] = [
        "css/app.css",
        "css/print.css",
        "img/logo.svg",
        "js/app.js",
        "js/util.js",
        "vendor/lit/index.js",
    ];

    #[test]
    fn a_typo_gets_the_closest_name() {
        assert_eq!(
            suggest("css/apps.css", KNOWN).as_deref(),
            Some("css/app.css")
        );
        assert_eq!(
            suggest("css/pap.css", KNOWN).as_deref(),
            Some("css/app.css")
        );
        assert_eq!(
            suggest("CSS/App.css", KNOWN).as_deref(),
            Some("css/app.css")
        );
        assert_eq!(
            suggest("img/logo.png", KNOWN).as_deref(),
            Some("img/logo.svg")
        );
        assert_eq!(suggest("js/utils.js", KNOWN).as_deref(), Some("js/util.js"));
    }

    #[test]
    fn the_same_file_name_in_another_directory_is_suggested() {
        assert_eq!(suggest("app.css", KNOWN).as_deref(), Some("css/app.css"));
        assert_eq!(
            suggest("static/css/app.css", KNOWN).as_deref(),
            Some("css/app.css")
        );
        assert_eq!(
            suggest("/static/js/app.js", KNOWN).as_deref(),
            Some("js/app.js")
        );
        assert_eq!(
            suggest("lit/index.js", KNOWN).as_deref(),
            Some("vendor/lit/index.js")
        );
    }

    #[test]
    fn nothing_close_is_no_suggestion() {
        assert_eq!(suggest("fonts/inter.woff2", KNOWN), None);
        assert_eq!(suggest("css/app.css", ["css/app.css"]), None, "not itself");
        assert_eq!(suggest("", KNOWN), None);
        assert_eq!(suggest("x", std::iter::empty()), None);
        let long = "a".repeat(MAX_LEN + 1);
        assert_eq!(suggest(&long, [long.get(1..).unwrap_or_default()]), None);
    }

    #[test]
    fn ties_go_to_the_first_in_order() {
        assert_eq!(
            suggest("b.css", ["c.css", "a.css"]).as_deref(),
            Some("a.css")
        );
        assert_eq!(closest("b.css", &["c.css", "a.css"]), Some(0));
    }

    #[test]
    fn it_runs_at_compile_time() {
        const I: Option<usize> = closest("js/ap.js", &KNOWN);
        assert_eq!(I, Some(3));
    }

    proptest! {
        /// The distance is strsim's optimal string alignment on lowercased
        /// ASCII, capped at the limit.
        #[test]
        fn distance_is_osa(a in "[a-cA-C/.]{0,12}", b in "[a-cA-C/.]{0,12}", limit in 0usize..8) {
            let want = strsim::osa_distance(&a.to_ascii_lowercase(), &b.to_ascii_lowercase());
            let got = distance(a.as_bytes(), b.as_bytes(), limit);
            prop_assert_eq!(got, (want <= limit).then_some(want));
        }

        /// Any input: no panic, and a suggestion is one of the candidates
        /// and never the name itself.
        #[test]
        fn a_suggestion_is_a_candidate(name in "\\PC{0,40}", candidates in prop::collection::vec("\\PC{0,40}", 0..8)) {
            if let Some(s) = suggest(&name, candidates.iter().map(String::as_str)) {
                prop_assert!(candidates.contains(&s));
                prop_assert_ne!(s, name);
            }
        }
    }
}
