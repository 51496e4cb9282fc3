//! Content types and compressibility by file extension.

use std::path::Path;

/// The `Content-Type` for a path, by extension. Text types carry
/// `charset=utf-8`; the types browsers are strict about are set explicitly.
///
/// ```
/// use rcollect_core::content_type::content_type;
/// assert_eq!(content_type("css/app.css"), "text/css; charset=utf-8");
/// assert_eq!(content_type("js/app.mjs"), "text/javascript; charset=utf-8");
/// assert_eq!(content_type("app.js.map"), "application/json");
/// ```
pub fn content_type(path: &str) -> String {
    let ext = extension(path).to_ascii_lowercase();
    let fixed = match ext.as_str() {
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" | "cjs" => "text/javascript; charset=utf-8",
        "map" | "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "html" | "htm" => "text/html; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "wasm" => "application/wasm",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "eot" => "application/vnd.ms-fontobject",
        "ico" => "image/x-icon",
        "xml" => "application/xml",
        "avif" => "image/avif",
        "webp" => "image/webp",
        _ => "",
    };
    if !fixed.is_empty() {
        return fixed.to_string();
    }
    match mime_guess::from_path(Path::new(path)).first() {
        Some(m) if m.type_() == mime_guess::mime::TEXT => format!("{m}; charset=utf-8"),
        Some(m) => m.to_string(),
        None => "application/octet-stream".to_string(),
    }
}

/// False for types that are already compressed (images other than SVG,
/// woff/woff2, archives, audio, video): precompressing them wastes time.
pub fn is_compressible(path: &str) -> bool {
    const SKIP: &[&str] = &[
        "jpg", "jpeg", "png", "gif", "webp", "avif", "heic", "jxl", "zip", "gz", "tgz", "bz2",
        "tbz", "xz", "br", "zst", "7z", "rar", "swf", "flv", "woff", "woff2", "3gp", "3gpp", "asf",
        "avi", "m4v", "mov", "mp4", "mpeg", "mpg", "webm", "wmv", "mkv", "mp3", "ogg", "oga",
        "opus", "m4a", "aac", "flac", "pdf",
    ];
    let ext = extension(path).to_ascii_lowercase();
    !SKIP.contains(&ext.as_str())
}

fn extension(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rfind('.') {
        Some(i) if i > 0 => &name[i + 1..],
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_types() {
        assert_eq!(content_type("a/b.JS"), "text/javascript; charset=utf-8");
        assert_eq!(
            content_type("site.webmanifest"),
            "application/manifest+json"
        );
        assert_eq!(content_type("f.woff2"), "font/woff2");
        assert_eq!(content_type("i.svg"), "image/svg+xml");
        assert_eq!(content_type("m.wasm"), "application/wasm");
        assert_eq!(content_type("noext"), "application/octet-stream");
        assert_eq!(content_type(".hidden"), "application/octet-stream");
        assert_eq!(content_type("p.png"), "image/png");
    }

    #[test]
    fn compressibility() {
        assert!(is_compressible("a.css"));
        assert!(is_compressible("a.svg"));
        assert!(!is_compressible("a.PNG"));
        assert!(!is_compressible("f.woff2"));
        assert!(!is_compressible("x.tar.gz"));
    }
}
