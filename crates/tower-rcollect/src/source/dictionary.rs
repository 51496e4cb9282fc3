//! Compression Dictionary Transport (RFC 9842), the serving side's one
//! decision made at start-up: the `Use-As-Dictionary` value of a hashed
//! file. The pattern covers the file's future hashed names (same directory,
//! stem and extension, any hash), so a browser that holds this version
//! offers it as the dictionary when it fetches the next one. The per-request
//! part (`Available-Dictionary` → delta) is in [`crate::serve::decide`] and
//! [`crate::serve::negotiate`].

use http::HeaderValue;

/// `Use-As-Dictionary: match="<mount><dir>/<stem>.:hash.<ext>"` for the
/// hashed name `name` of `logical` under `mount`: the hash segment becomes
/// the named group `:hash` (URLPattern: any characters but `/`, so the
/// pattern never reaches into a subdirectory, as `*` would), URLPattern's
/// special characters elsewhere are escaped. `None` when the name carries
/// no hash segment ([`rcollect_core::hash::hash_segment`]) whose removal
/// gives `logical` back.
pub(crate) fn use_as_dictionary(mount: &str, name: &str, logical: &str) -> Option<HeaderValue> {
    let hash = hash_segment(name, logical)?;
    let url = rcollect_core::paths::static_url(mount, name);
    let needle = format!(".{hash}");
    let at = url.rfind(&needle)?;
    let (before, after) = (url.get(..at)?, url.get(at + needle.len()..)?);
    let pattern = format!("{}.:hash{}", escape(before), escape(after));
    HeaderValue::try_from(format!("match=\"{}\"", pattern.replace('"', "%22"))).ok()
}

/// `Use-As-Dictionary: match="<mount><family>"` for a bundler file, its
/// family's `[hash]` as the named group `:hash` (`/static/assets/shared-:hash.js`):
/// the same pattern for every build, so the browser offers this version
/// when it fetches the next. (A family whose name continues the way the
/// hash does — `shared-` and `shared-utils-` — cannot be told apart by a
/// pattern; the browser then may offer the other file, and gets brotli.)
pub(crate) fn family_pattern(mount: &str, family: &str) -> Option<HeaderValue> {
    let (before, after) = family.split_once("[hash]")?;
    let pattern = format!(
        "{}:hash{}",
        escape(&rcollect_core::paths::static_url(mount, before)),
        escape(&rcollect_core::paths::static_url("", after))
    );
    HeaderValue::try_from(format!("match=\"{}\"", pattern.replace('"', "%22"))).ok()
}

/// The hash segment of `name`'s last component whose removal gives
/// `logical` (Django's and rcollect's naming: `app.min.<hash>.js`).
fn hash_segment<'a>(name: &'a str, logical: &str) -> Option<&'a str> {
    let (dir, file) = name.rsplit_once('/').unwrap_or(("", name));
    let (ldir, lfile) = logical.rsplit_once('/').unwrap_or(("", logical));
    if dir != ldir {
        return None;
    }
    let range = rcollect_core::hash::hash_segment(file)?;
    let seg = file.get(range.clone())?;
    let without = format!(
        "{}{}",
        file.get(..range.start.checked_sub(1)?)?,
        file.get(range.end..)?
    );
    (without == lfile).then_some(seg)
}

/// Whether a `match` pattern of [`use_as_dictionary`] (a literal with one
/// `:hash` group, escapes removed) matches the URL path `url`: the group
/// takes one or more characters other than `/`.
#[cfg(test)]
fn matches(pattern: &str, url: &str) -> bool {
    let unescaped = |s: &str| s.replace('\\', "");
    let Some((before, after)) = pattern.split_once(":hash") else {
        return pattern == url;
    };
    let (before, after) = (unescaped(before), unescaped(after));
    url.strip_prefix(&before)
        .and_then(|rest| rest.strip_suffix(&after))
        .is_some_and(|group| !group.is_empty() && !group.contains('/'))
}

/// Escapes URLPattern's pathname syntax (`: * ? + ( ) { } \`) with `\`.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, ':' | '*' | '?' | '+' | '(' | ')' | '{' | '}' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(mount: &str, name: &str, logical: &str) -> Option<String> {
        use_as_dictionary(mount, name, logical).map(|v| v.to_str().unwrap_or_default().to_string())
    }

    #[test]
    fn patterns_cover_future_hashed_names() {
        assert_eq!(
            value("/static/", "js/app.3f2a9c81d0e4.js", "js/app.js").as_deref(),
            Some(r#"match="/static/js/app.:hash.js""#)
        );
        assert_eq!(
            value("/", "app.min.3f2a9c81d0e4.js", "app.min.js").as_deref(),
            Some(r#"match="/app.min.:hash.js""#)
        );
        assert_eq!(
            value("/s/", "LICENSE.3f2a9c81d0e4", "LICENSE").as_deref(),
            Some(r#"match="/s/LICENSE.:hash""#)
        );
        // Pattern syntax in a name is escaped; spaces are percent-encoded.
        assert_eq!(
            value("/static/", "a (1)+b.3f2a9c81d0e4.css", "a (1)+b.css").as_deref(),
            Some(r#"match="/static/a%20\(1\)\+b.:hash.css""#)
        );
        // Not a hashed name of that logical path.
        assert_eq!(value("/static/", "js/app.js", "js/app.js"), None);
        assert_eq!(
            value("/static/", "js/app.3f2a9c81d0e4.js", "js/other.js"),
            None
        );
    }

    #[test]
    fn patterns_do_not_reach_into_subdirectories() {
        let pattern = |name: &str, logical: &str| {
            let v = value("/static/", name, logical).expect("pattern");
            v.trim_start_matches("match=\"")
                .trim_end_matches('"')
                .to_string()
        };
        let app = pattern("js/app.3f2a9c81d0e4.js", "js/app.js");
        assert!(matches(&app, "/static/js/app.0000aaaa1111.js"));
        // `*` matched these; the named group does not cross `/`.
        assert!(!matches(&app, "/static/js/app.vendor/lib.0000aaaa1111.js"));
        // A dotted sibling still matches: names alone cannot tell
        // `app.min.<hash>` from a version of `app` (counted, not avoided).
        assert!(matches(&app, "/static/js/app.min.0000aaaa1111.js"));
    }
}
