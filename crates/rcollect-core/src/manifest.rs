//! `staticfiles.json`: the contract between collect and serve.
//!
//! The layout is Django's (`ManifestStaticFilesStorage` reads it as is):
//! `{"version": "1.1", "paths": {logical: hashed}, "hash": "..."}`, plus our
//! own `"files"` object keyed by hashed name, which carries everything the
//! middleware needs to answer a request without touching the file first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::delta::DeltaCoding;
pub use crate::encoding::Encoding;
use crate::error::{Error, Result};
use crate::hash::hex;
use crate::paths::is_safe_relative;
use crate::write::write_atomic;

/// How JS module specifiers are linked to hashed names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Linking {
    /// Rewritten in the importing module.
    #[default]
    Rewrite,
    /// Left as written; resolved by the import map.
    Importmap,
}

/// Who gets the source maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceMapMode {
    /// The `sourceMappingURL` comments stay and the maps are served.
    #[default]
    Public,
    /// The comments are removed from the collected CSS and JS and the maps
    /// are not served (they are still collected, for an error tracker).
    Hidden,
    /// The comments stay; a map is served only to a request carrying the
    /// token (the middleware's `sourcemap_token`), never cached by shared
    /// caches.
    Private,
}

/// File name of the manifest inside STATIC_ROOT (Django's name).
pub const MANIFEST_NAME: &str = "staticfiles.json";

/// The manifest format version we write (Django's current one).
pub const MANIFEST_VERSION: &str = "1.1";

/// The parsed `staticfiles.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version (`"1.1"`; Django also accepts `"1.0"`).
    pub version: String,
    /// Logical path → hashed path, both relative to STATIC_ROOT with `/`.
    pub paths: BTreeMap<String, String>,
    /// A hash over `paths` (Django uses it as a cache-busting token).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hash: String,
    /// Whether the unhashed names were written too (and may be served).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep_unhashed: bool,
    /// The compression settings of the run that wrote this manifest: a file
    /// listed in `files` without a variant of one of these encodings was tried
    /// and not worth keeping, so the next run need not try again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compress: Option<CompressSettings>,
    /// Per-file metadata keyed by hashed path. Absent in a Django-written manifest.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, FileMeta>,
    /// The reference graph, by hashed name: what each file loads with it
    /// (static JS imports, CSS `@import`s and `url()`s, an HTML page's
    /// scripts, stylesheets and images), so the middleware
    /// can give preload hints without scanning anything.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub references: BTreeMap<String, Vec<String>>,
    /// The entries and chunks of a bundler's manifest (Vite's), by the
    /// bundler's key (`src/main.ts`), with hashed names: what a page needs
    /// to load an entry ([`crate::bundler`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bundles: BTreeMap<String, Bundle>,
    /// How the JS modules were linked (`[js] linking`): with `importmap`,
    /// their specifiers are as written and the import map
    /// ([`crate::importmap`]) resolves them. Absent: rewritten.
    #[serde(default, skip_serializing_if = "is_default")]
    pub linking: Linking,
    /// The import map's bare specifiers (`[js.imports]`, prefixes expanded),
    /// each to a logical path.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub imports: BTreeMap<String, String>,
    /// Who gets the source maps (`[sourcemaps] mode`). Absent: public.
    #[serde(default, skip_serializing_if = "is_default")]
    pub sourcemaps: SourceMapMode,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// A file a bundler already named by its content ([`crate::bundler`]): its
/// hashed name is its name, and it is immutable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashedBy {
    /// The bundler or naming scheme (`vite`, `esbuild`, `trunk`, or the
    /// configured expression).
    pub scheme: String,
    /// The name with the hash as `[hash]` (`assets/shared-[hash].js`): the
    /// same for every build, so previous versions of the file are found by
    /// it (deltas, `Use-As-Dictionary`).
    pub family: String,
}

/// One entry or chunk of a bundler's manifest, by hashed names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bundle {
    /// The chunk's file.
    pub file: String,
    /// The stylesheets it needs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub css: Vec<String>,
    /// The assets it names (images, fonts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<String>,
    /// The chunks it imports statically (the files of other bundles).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<String>,
    /// The chunks it may import later (`import()`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dynamic_imports: Vec<String>,
    /// A page entry.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub entry: bool,
    /// An entry of a dynamic import.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dynamic_entry: bool,
}

/// Which variants a collect tried to write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompressSettings {
    /// Encodings tried for every compressible file.
    pub encodings: Vec<Encoding>,
    /// The minimum saving a variant needed to be kept.
    pub min_saving: f64,
}

/// What the middleware needs to know about one collected file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMeta {
    /// Size in bytes of the (uncompressed) file.
    pub size: u64,
    /// `Content-Type` to send.
    pub content_type: String,
    /// SHA-256 of the file's bytes, lowercase hex (the ETag is derived from it).
    pub sha256: String,
    /// Subresource Integrity value (`sha384-<base64>`).
    pub integrity: String,
    /// Last modification, seconds since the Unix epoch (`Last-Modified`): the
    /// newest mtime among the source file and the files it references.
    pub modified: u64,
    /// Precompressed variants beside the file, with their sizes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variants: BTreeMap<Encoding, u64>,
    /// Dictionary-compressed deltas (RFC 9842) beside the file, keyed by
    /// the SHA-256 (hex) of their dictionary, a previous version of the
    /// file; see [`crate::delta`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub deltas: BTreeMap<String, Delta>,
    /// Set for a file a bundler already hashed (its name is its hashed
    /// name; immutable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashed_by: Option<HashedBy>,
}

impl FileMeta {
    /// The name that identifies versions of this file across releases:
    /// the bundler's family, else the logical path.
    pub fn family<'a>(&'a self, logical: &'a str) -> &'a str {
        self.hashed_by
            .as_ref()
            .map_or(logical, |h| h.family.as_str())
    }
}

/// The deltas of a file against one dictionary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delta {
    /// The dictionary: the hashed name of the previous version.
    pub dictionary: String,
    /// The kept codings and their sizes (header included).
    pub encodings: BTreeMap<DeltaCoding, u64>,
}

impl FileMeta {
    /// Every name beside `hashed` that this entry lists: its variants and
    /// its deltas (not `hashed` itself).
    pub fn outputs<'a>(&'a self, hashed: &'a str) -> impl Iterator<Item = String> + 'a {
        let variants = self
            .variants
            .keys()
            .map(move |e| format!("{hashed}{}", e.suffix()));
        let deltas = self.deltas.iter().flat_map(move |(sha, d)| {
            d.encodings
                .keys()
                .map(move |c| crate::delta::delta_name(hashed, sha, *c))
        });
        variants.chain(deltas)
    }
}

impl Manifest {
    /// An empty manifest of the current version.
    pub fn new() -> Self {
        Manifest {
            version: MANIFEST_VERSION.to_string(),
            ..Manifest::default()
        }
    }

    /// Reads `root/staticfiles.json` (at most `max_bytes`, see [`read`]).
    /// `Ok(None)` when there is none.
    pub fn load(root: &Path, max_bytes: u64) -> Result<Option<Manifest>> {
        Self::load_file(&root.join(MANIFEST_NAME), max_bytes)
    }

    /// Reads and parses the manifest file at `path` (the live one or a
    /// history version; at most `max_bytes`, see [`read`]). `Ok(None)` when
    /// there is none.
    pub fn load_file(path: &Path, max_bytes: u64) -> Result<Option<Manifest>> {
        match read(path, max_bytes)? {
            Some(bytes) => Self::from_slice(path, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Parses manifest bytes; `path` is only used in errors.
    pub fn from_slice(path: &Path, bytes: &[u8]) -> Result<Manifest> {
        let m: Manifest = serde_json::from_slice(bytes).map_err(|e| Error::Manifest {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        if m.version != "1.0" && m.version != "1.1" {
            return Err(Error::Manifest {
                path: path.to_path_buf(),
                message: format!("unsupported version '{}' (expected 1.0 or 1.1)", m.version),
            });
        }
        for (logical, hashed) in &m.paths {
            for p in [logical, hashed] {
                if !is_safe_relative(p) {
                    return Err(Error::Manifest {
                        path: path.to_path_buf(),
                        message: format!("unsafe path '{p}' (absolute, empty, '..' or backslash)"),
                    });
                }
            }
        }
        for (hashed, meta) in &m.files {
            if !is_safe_relative(hashed) {
                return Err(Error::Manifest {
                    path: path.to_path_buf(),
                    message: format!("unsafe path '{hashed}' in files"),
                });
            }
            for (sha, delta) in &meta.deltas {
                let hex =
                    sha.len() == 64 && sha.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
                if !hex || !is_safe_relative(&delta.dictionary) {
                    return Err(Error::Manifest {
                        path: path.to_path_buf(),
                        message: format!(
                            "delta of '{hashed}': '{sha}' is not a SHA-256 in hex or '{}' is unsafe",
                            delta.dictionary
                        ),
                    });
                }
            }
        }
        Ok(m)
    }

    /// Serialises with sorted keys, two-space indent and a trailing newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// Recomputes `hash` from `paths` (SHA-256 of the sorted pairs, 12 hex digits).
    pub fn update_hash(&mut self) {
        let mut h = Sha256::new();
        for (k, v) in &self.paths {
            h.update(k.as_bytes());
            h.update([0]);
            h.update(v.as_bytes());
            h.update([0]);
        }
        self.hash = hex(&h.finalize())[..12].to_string();
    }

    /// Writes `root/staticfiles.json` atomically: a temp file in `root`,
    /// flushed to disk, then renamed over the old one.
    pub fn write_atomic(&self, root: &Path) -> Result<PathBuf> {
        let path = root.join(MANIFEST_NAME);
        write_atomic(&path, &self.to_json(), true)?;
        Ok(path)
    }

    /// The metadata of the file a logical path maps to.
    pub fn meta(&self, logical: &str) -> Option<(&str, &FileMeta)> {
        let hashed = self.paths.get(logical)?;
        self.files.get(hashed).map(|m| (hashed.as_str(), m))
    }
}

/// The default for the largest manifest file read (`manifest_max_size`):
/// 256 MiB, about eight times the manifest of 100,000 files. A manifest is
/// parsed whole in memory, so a link to `/dev/zero` or a runaway file must
/// not be read without a bound.
pub const MAX_MANIFEST_BYTES: u64 = 256 << 20;

/// The bytes of a manifest file (live or history), `None` when there is
/// none. Only a regular file of at most `max_bytes` is read: a FIFO, a
/// device (a link to `/dev/zero`) or a directory is an error naming the
/// path, as is a larger file, so a damaged or hostile root costs one
/// `stat`, never unbounded time or memory.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use rcollect_core::manifest::read;
/// let t = tempfile::tempdir()?;
/// let path = t.path().join("staticfiles.json");
/// assert_eq!(read(&path, 1024)?, None);
/// std::fs::write(&path, "{}")?;
/// assert_eq!(read(&path, 1024)?.as_deref(), Some(&b"{}"[..]));
/// assert!(read(&path, 1).is_err());
/// # #[cfg(unix)]
/// assert!(read(std::path::Path::new("/dev/zero"), 1024).is_err());
/// # Ok(()) }
/// ```
pub fn read(path: &Path, max_bytes: u64) -> Result<Option<Vec<u8>>> {
    use std::io::Read;
    let invalid = |message: String| Error::Manifest {
        path: path.to_path_buf(),
        message,
    };
    // `stat` before `open`: opening a FIFO would block.
    let md = match std::fs::metadata(path) {
        Ok(md) => md,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    if !md.is_file() {
        return Err(invalid("not a regular file".into()));
    }
    let too_big = |len: u64| {
        invalid(format!(
            "{len} bytes or more, larger than manifest_max_size ({max_bytes} bytes)"
        ))
    };
    if md.len() > max_bytes {
        return Err(too_big(md.len()));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    // Replaced by something else between the two looks: check again.
    let md = file.metadata().map_err(|e| Error::io(path, e))?;
    if !md.is_file() {
        return Err(invalid("not a regular file".into()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(md.len()).unwrap_or(0));
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(Some(bytes))
}

/// The latest time an HTTP date can carry: 9999-12-31T23:59:59Z, in
/// seconds since the epoch (`Last-Modified` has a four-digit year).
pub const MAX_HTTP_TIME: u64 = 253_402_300_799;

/// A file time as the manifest's `modified`: seconds since the epoch,
/// clamped to what HTTP can express (0 before 1970, [`MAX_HTTP_TIME`] after
/// year 9999; such times happen on tmpfs, btrfs or XFS and in archives).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use rcollect_core::manifest::{MAX_HTTP_TIME, http_time};
/// assert_eq!(http_time(UNIX_EPOCH + Duration::from_secs(MAX_HTTP_TIME + 1)), MAX_HTTP_TIME);
/// assert_eq!(http_time(UNIX_EPOCH - Duration::from_secs(1)), 0);
/// ```
pub fn http_time(t: std::time::SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .min(MAX_HTTP_TIME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn django_manifest_without_files_parses() {
        let m = Manifest::from_slice(
            Path::new("x.json"),
            br#"{"paths": {"a.css": "a.123456789012.css"}, "version": "1.1", "hash": "abc"}"#,
        )
        .expect("parse");
        assert_eq!(m.paths["a.css"], "a.123456789012.css");
        assert!(m.files.is_empty());
    }

    #[test]
    fn round_trip_is_sorted_and_stable() {
        let mut m = Manifest::new();
        m.paths.insert("b.css".into(), "b.1.css".into());
        m.paths.insert("a.css".into(), "a.1.css".into());
        m.files.insert(
            "a.1.css".into(),
            FileMeta {
                size: 3,
                content_type: "text/css; charset=utf-8".into(),
                sha256: "00".into(),
                integrity: "sha384-x".into(),
                modified: 1,
                variants: [(Encoding::Gzip, 2), (Encoding::Br, 1)]
                    .into_iter()
                    .collect(),
                deltas: Default::default(),
                hashed_by: None,
            },
        );
        m.update_hash();
        let json = m.to_json();
        let text = String::from_utf8(json.clone()).expect("utf8");
        assert!(text.find("\"a.css\"") < text.find("\"b.css\""));
        assert!(text.find("\"br\"") < text.find("\"gzip\""));
        let back = Manifest::from_slice(Path::new("m"), &json).expect("parse");
        assert_eq!(back, m);
    }

    #[test]
    fn unsafe_paths_and_bad_versions_are_rejected() {
        for bad in [
            r#"{"version":"1.1","paths":{"../x":"y"}}"#,
            r#"{"version":"1.1","paths":{"x":"/etc/passwd"}}"#,
            r#"{"version":"1.1","paths":{"x":"a\\b"}}"#,
            r#"{"version":"9","paths":{}}"#,
            r#"{"version":"1.1","paths":"#,
        ] {
            let e = Manifest::from_slice(Path::new("m.json"), bad.as_bytes());
            assert!(matches!(e, Err(Error::Manifest { .. })), "{bad}");
        }
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let t = tempfile::tempdir().expect("tempdir");
        let p = t.path().join("f.txt");
        write_atomic(&p, b"one", false).expect("write");
        write_atomic(&p, b"two", true).expect("write");
        assert_eq!(std::fs::read(&p).expect("read"), b"two");
        let names: Vec<_> = std::fs::read_dir(t.path())
            .expect("ls")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 1);
    }
}
