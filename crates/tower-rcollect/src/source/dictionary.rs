//! Compression Dictionary Transport (RFC 9842), the serving side's one
//! decision made at start-up: the `Use-As-Dictionary` value of a hashed
//! file. The pattern covers the file's future hashed names (same directory,
//! stem and extension, any hash), so a browser that holds this version
//! offers it as the dictionary when it fetches the next one. The per-request
//! part (`Available-Dictionary` → delta) is in [`crate::serve::decide`] and
//! [`crate::serve::negotiate`].

use http::HeaderValue;
use rcollect_core::hash::NAME_HASH_LEN;

/// `Use-As-Dictionary: match="<mount><dir>/<stem>.*.<ext>"` for the hashed
/// name `name` of `logical` under `mount`: the hash segment becomes `*`,
/// URLPattern's special characters elsewhere are escaped. `None` when the
/// name carries no hash segment that removing gives `logical` back.
pub(crate) fn use_as_dictionary(mount: &str, name: &str, logical: &str) -> Option<HeaderValue> {
    let hash = hash_segment(name, logical)?;
    let url = rcollect_core::paths::static_url(mount, name);
    let needle = format!(".{hash}");
    let at = url.rfind(&needle)?;
    let (before, after) = (url.get(..at)?, url.get(at + needle.len()..)?);
    let pattern = format!("{}.*{}", escape(before), escape(after));
    HeaderValue::try_from(format!("match=\"{}\"", pattern.replace('"', "%22"))).ok()
}

/// The 12-hex-digit segment of `name`'s last component whose removal gives
/// `logical` (Django's and rcollect's naming: `app.min.<hash>.js`).
fn hash_segment<'a>(name: &'a str, logical: &str) -> Option<&'a str> {
    let (dir, file) = name.rsplit_once('/').unwrap_or(("", name));
    let (ldir, lfile) = logical.rsplit_once('/').unwrap_or(("", logical));
    if dir != ldir {
        return None;
    }
    file.split('.').skip(1).find(|seg| {
        seg.len() == NAME_HASH_LEN
            && seg.bytes().all(|b| b.is_ascii_hexdigit())
            && file.replacen(&format!(".{seg}"), "", 1) == lfile
    })
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
            Some(r#"match="/static/js/app.*.js""#)
        );
        assert_eq!(
            value("/", "app.min.3f2a9c81d0e4.js", "app.min.js").as_deref(),
            Some(r#"match="/app.min.*.js""#)
        );
        assert_eq!(
            value("/s/", "LICENSE.3f2a9c81d0e4", "LICENSE").as_deref(),
            Some(r#"match="/s/LICENSE.*""#)
        );
        // Pattern syntax in a name is escaped; spaces are percent-encoded.
        assert_eq!(
            value("/static/", "a (1)+b.3f2a9c81d0e4.css", "a (1)+b.css").as_deref(),
            Some(r#"match="/static/a%20\(1\)\+b.*.css""#)
        );
        // Not a hashed name of that logical path.
        assert_eq!(value("/static/", "js/app.js", "js/app.js"), None);
        assert_eq!(
            value("/static/", "js/app.3f2a9c81d0e4.js", "js/other.js"),
            None
        );
    }
}
