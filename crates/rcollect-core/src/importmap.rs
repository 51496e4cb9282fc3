//! The import map (`[js] linking = "importmap"`): JS module specifiers are
//! left as written, so a module's hashed name depends on its own bytes
//! only, and a standard [import map] sends each module's URL to its hashed
//! URL. One edit renames one module, not every module that imports it.
//!
//! * `imports`: every module's unhashed URL (`/static/js/lib/leaf.js`, an
//!   absolute URL under STATIC_URL) → its hashed URL, and each bare
//!   specifier of `[js.imports]` → the hashed URL of its file. Relative
//!   specifiers resolve against the importing module's URL (the same
//!   directory, as only the last segment is hashed) and then through the
//!   map.
//! * `integrity`: every module's hashed URL → its `sha384-…`, so the
//!   browser checks every module it loads, dynamic imports included
//!   (Chrome 127, Firefox 138, Safari 18). Written in both linking modes.
//!
//! The manifest holds what the map is made of (its files, `linking`,
//! `imports`), so any manifest version gives its map ([`ImportMap::of`]);
//! collect also writes the live one as `STATIC_ROOT/importmap.json`
//! ([`IMPORTMAP_NAME`]) for other servers. Browsers take only inline maps
//! (`<script type="importmap">`, first in `<head>`): the template helper
//! writes [`ImportMap::to_json`].
//!
//! [import map]: https://html.spec.whatwg.org/multipage/webappapis.html#import-maps

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::Linking;
use crate::error::{Error, Result};
use crate::manifest::Manifest;
use crate::url::StaticUrl;

/// The file collect writes in STATIC_ROOT with `linking = "importmap"`.
pub const IMPORTMAP_NAME: &str = "importmap.json";

/// A standard import map.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportMap {
    /// Specifier (a module's URL, or a bare name) → hashed URL.
    #[serde(default)]
    pub imports: BTreeMap<String, String>,
    /// Hashed URL → SRI metadata.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub integrity: BTreeMap<String, String>,
}

/// A JS module of a release, for [`ImportMap::build`].
#[derive(Debug, Clone, Copy)]
pub struct Module<'a> {
    /// Its logical path.
    pub logical: &'a str,
    /// Its hashed name.
    pub hashed: &'a str,
    /// Its SRI value (`sha384-…`).
    pub integrity: &'a str,
}

/// Whether a collected file is a JS module (by its content type).
pub fn is_module(content_type: &str) -> bool {
    content_type.starts_with("text/javascript")
}

impl ImportMap {
    /// The import map of `manifest`, its URLs under `url`. With `rewrite`
    /// linking, `imports` holds only the bare specifiers (the modules name
    /// each other's hashed names already), and `integrity` every module.
    ///
    /// ```
    /// use rcollect_core::{Manifest, config::Linking, importmap::ImportMap, url::StaticUrl};
    /// let mut m = Manifest::new();
    /// m.linking = Linking::Importmap;
    /// m.paths.insert("js/app.js".into(), "js/app.0123456789ab.js".into());
    /// m.files.insert("js/app.0123456789ab.js".into(), rcollect_core::FileMeta {
    ///     size: 1, content_type: "text/javascript; charset=utf-8".into(),
    ///     sha256: String::new(), integrity: "sha384-x".into(), modified: 0,
    ///     variants: Default::default(), deltas: Default::default(), hashed_by: None,
    /// });
    /// let map = ImportMap::of(&m, &StaticUrl::parse("/static/").unwrap());
    /// assert_eq!(
    ///     map.to_json(),
    ///     r#"{"imports":{"/static/js/app.js":"/static/js/app.0123456789ab.js"},"integrity":{"/static/js/app.0123456789ab.js":"sha384-x"}}"#
    /// );
    /// ```
    pub fn of(manifest: &Manifest, url: &StaticUrl) -> ImportMap {
        let modules = manifest.paths.iter().filter_map(|(logical, hashed)| {
            let meta = manifest.files.get(hashed)?;
            is_module(&meta.content_type).then_some(Module {
                logical,
                hashed,
                integrity: &meta.integrity,
            })
        });
        Self::build(manifest.linking, modules, &manifest.imports, url)
    }

    /// The import map of `modules` (the JS modules of a release) and the
    /// bare specifiers `bare` (each to a module's logical path), its URLs
    /// under `url`: what [`of`](Self::of) gives for a manifest.
    pub fn build<'a>(
        linking: Linking,
        modules: impl IntoIterator<Item = Module<'a>>,
        bare: &BTreeMap<String, String>,
        url: &StaticUrl,
    ) -> ImportMap {
        let mut map = ImportMap::default();
        let mut hashed_of: BTreeMap<&str, &str> = BTreeMap::new();
        for m in modules {
            let to = url.file(m.hashed);
            if linking == Linking::Importmap && m.logical != m.hashed {
                map.imports.insert(url.file(m.logical), to.clone());
            }
            if !m.integrity.is_empty() {
                map.integrity.insert(to, m.integrity.to_string());
            }
            hashed_of.insert(m.logical, m.hashed);
        }
        for (specifier, logical) in bare {
            if let Some(hashed) = hashed_of.get(logical.as_str()) {
                map.imports.insert(specifier.clone(), url.file(hashed));
            }
        }
        map
    }

    /// The map as JSON on one line, safe between `<script
    /// type="importmap">` and `</script>`: every `<` is written `\u003c`
    /// (no `</script` or `<!--` can appear; `JSON.parse` reads it back),
    /// and there is no CR, so the text a CSP hash covers is exactly this
    /// string.
    pub fn to_json(&self) -> String {
        // Serializing maps of strings cannot fail.
        let json = serde_json::to_string(self).unwrap_or_default();
        json.replace('<', "\\u003c")
    }

    /// The map written in `root` ([`IMPORTMAP_NAME`]); `Ok(None)` when
    /// there is none.
    ///
    /// # Errors
    /// It cannot be read or is not an import map (the error names it).
    pub fn load(root: &Path, max_bytes: u64) -> Result<Option<ImportMap>> {
        let path = root.join(IMPORTMAP_NAME);
        let Some(bytes) = crate::manifest::read(&path, max_bytes)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::Manifest {
                path,
                message: format!("not an import map: {e}"),
            })
    }

    /// Writes the map to `root` ([`IMPORTMAP_NAME`]) atomically, pretty
    /// printed, unless it already holds exactly these bytes.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn write(&self, root: &Path) -> Result<()> {
        let mut json = serde_json::to_vec_pretty(self).unwrap_or_default();
        json.push(b'\n');
        let path = root.join(IMPORTMAP_NAME);
        if std::fs::read(&path).is_ok_and(|old| old == json) {
            return Ok(());
        }
        crate::write::write_atomic(&path, &json, false)
    }
}

/// The `Content-Security-Policy` source that allows the inline script
/// whose text is exactly `text`: `'sha256-<base64>'` (browsers hash the
/// text after turning CR LF into LF: [`ImportMap::to_json`] has no CR).
///
/// ```
/// assert_eq!(
///     rcollect_core::importmap::csp_source("{}"),
///     "'sha256-RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o='"
/// );
/// ```
pub fn csp_source(text: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The bare specifiers of `[js.imports]` for the files found: an exact key
/// names one file (a logical path); a key ending in `/` with a value ending
/// in `/` names every module under that directory, each under its own key
/// (an import map's prefix entry would send its modules to unhashed URLs).
///
/// # Errors
/// A value names no collected file (exact) or no module (prefix), or a
/// prefix key's value does not end in `/`; the error names the key.
pub fn bare_imports(
    config: &BTreeMap<String, String>,
    logical_paths: &[&str],
) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (key, value) in config {
        let bad = |message: String| {
            Error::from(crate::error::ConfigError::value(
                format!("js.imports.{key}"),
                message,
            ))
        };
        let value = value.trim_start_matches('/');
        if key.ends_with('/') {
            if !value.ends_with('/') {
                return Err(bad(format!(
                    "'{value}': a prefix (a key ending in '/') maps to a directory, ending in '/'"
                )));
            }
            let before = out.len();
            for logical in logical_paths {
                if let Some(rest) = logical.strip_prefix(value)
                    && is_module(&crate::content_type::content_type(logical))
                {
                    out.insert(format!("{key}{rest}"), (*logical).to_string());
                }
            }
            if out.len() == before {
                return Err(bad(format!("'{value}' holds no JS module")));
            }
        } else if logical_paths.contains(&value) {
            out.insert(key.clone(), value.to_string());
        } else {
            return Err(bad(format!("'{value}' is not a collected file")));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_expand_to_one_key_per_module_and_bad_values_name_the_key() {
        let files = [
            "vendor/lit/index.js",
            "vendor/lit/directives/class.js",
            "vendor/lit/README.md",
            "js/app.js",
        ];
        let config = BTreeMap::from([
            ("lit".to_string(), "vendor/lit/index.js".to_string()),
            ("lit/".to_string(), "vendor/lit/".to_string()),
        ]);
        let out = bare_imports(&config, &files).expect("imports");
        assert_eq!(
            out,
            BTreeMap::from([
                ("lit".to_string(), "vendor/lit/index.js".to_string()),
                (
                    "lit/directives/class.js".to_string(),
                    "vendor/lit/directives/class.js".to_string()
                ),
                (
                    "lit/index.js".to_string(),
                    "vendor/lit/index.js".to_string()
                ),
            ])
        );
        for (key, value, says) in [
            ("x", "vendor/x.js", "not a collected file"),
            ("y/", "vendor/lit", "ending in '/'"),
            ("z/", "nothing/", "holds no JS module"),
        ] {
            let err = bare_imports(&BTreeMap::from([(key.into(), value.into())]), &files)
                .expect_err("bad value")
                .to_string();
            assert!(err.contains(&format!("js.imports.{key}")), "{err}");
            assert!(err.contains(says), "{err}");
        }
    }

    #[test]
    fn the_json_never_closes_its_script_element() {
        let map = ImportMap {
            imports: BTreeMap::from([("</script><!--".into(), "/static/a.js".into())]),
            integrity: BTreeMap::new(),
        };
        let json = map.to_json();
        assert!(!json.contains('<'), "{json}");
        assert!(!json.contains('\r') && !json.contains('\n'));
        let back: ImportMap = serde_json::from_str(&json).expect("parses back");
        assert_eq!(back, map);
    }
}
