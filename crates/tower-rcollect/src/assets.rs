//! Loading the manifest into an in-memory table.
//!
//! Start-up work is proportional to the manifest, not the tree: with an
//! rcollect manifest (which has a `files` section) nothing but the manifest is
//! read. Every header value a response needs is prepared here. File bytes are
//! read on first request and then kept (files up to `memory_max_file`, within
//! `memory_budget`); larger files stream from disk on every request.
//!
//! A Django-written manifest (only `paths`) has no metadata, so each file it
//! names is read once at start-up to compute its hash, size and variants.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use base64::Engine;
use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use rcollect_core::manifest::{MANIFEST_NAME, hex, path_in};
use rcollect_core::{Encoding, FileMeta, Manifest};
use sha2::{Digest, Sha256, Sha384};

use crate::conditional::{format_date, unix_secs};
use crate::error::Error;
use crate::negotiate::Available;

/// `Cache-Control` of hashed names.
pub(crate) const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// One representation of a file: the identity bytes or one encoded variant.
#[derive(Debug)]
pub(crate) struct Rep {
    /// Absolute path of the bytes on disk.
    pub(crate) path: PathBuf,
    /// Size in bytes.
    pub(crate) len: u64,
    /// Strong ETag, with quotes, distinct per encoding.
    pub(crate) etag: HeaderValue,
    /// `len` as a header value.
    pub(crate) content_length: HeaderValue,
    /// The bytes, once read (only for files within the memory limits).
    pub(crate) cached: OnceLock<Bytes>,
}

/// One file and its variants.
#[derive(Debug)]
pub(crate) struct Record {
    identity: Rep,
    /// br, zstd, gzip (in [`Encoding::ALL`] order).
    variants: [Option<Rep>; 3],
    pub(crate) available: Available,
    pub(crate) content_type: HeaderValue,
    pub(crate) modified: u64,
    pub(crate) last_modified: HeaderValue,
    pub(crate) integrity: String,
}

fn slot(e: Encoding) -> usize {
    match e {
        Encoding::Br => 0,
        Encoding::Zstd => 1,
        Encoding::Gzip => 2,
    }
}

impl Record {
    /// The representation for a negotiated encoding (identity when the
    /// variant is missing, which negotiation never picks).
    pub(crate) fn rep(&self, e: Option<Encoding>) -> &Rep {
        match e.and_then(|e| self.variants[slot(e)].as_ref()) {
            Some(r) => r,
            None => &self.identity,
        }
    }

    fn new(
        file: &Path,
        len: u64,
        sha256: &str,
        content_type: &str,
        modified: u64,
        integrity: String,
        variants: impl IntoIterator<Item = (Encoding, u64)>,
    ) -> Result<Record, String> {
        let short = &sha256[..sha256.len().min(16)];
        if short.is_empty() || !short.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(format!("sha256 '{sha256}' is not a hex digest"));
        }
        let content_type = HeaderValue::from_str(content_type)
            .map_err(|_| format!("content_type '{content_type}' is not a valid header value"))?;
        let rep = |encoding: Option<Encoding>, path: PathBuf, len: u64| {
            let tag = match encoding {
                None => format!("\"{short}\""),
                Some(e) => format!("\"{short}-{}\"", e.token()),
            };
            Rep {
                path,
                len,
                etag: HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"x\"")),
                content_length: HeaderValue::from(len),
                cached: OnceLock::new(),
            }
        };
        let identity = rep(None, file.to_path_buf(), len);
        let mut reps: [Option<Rep>; 3] = [None, None, None];
        let mut available = Available::default();
        for (e, size) in variants {
            let mut p = file.as_os_str().to_owned();
            p.push(e.suffix());
            reps[slot(e)] = Some(rep(Some(e), PathBuf::from(p), size));
            available = available.with(e);
        }
        Ok(Record {
            identity,
            variants: reps,
            available,
            content_type,
            modified,
            last_modified: HeaderValue::from_str(&format_date(modified))
                .unwrap_or(HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT")),
            integrity,
        })
    }

    fn from_meta(file: &Path, meta: &FileMeta) -> Result<Record, String> {
        Record::new(
            file,
            meta.size,
            &meta.sha256,
            &meta.content_type,
            meta.modified,
            meta.integrity.clone(),
            meta.variants.iter().map(|(e, s)| (*e, *s)),
        )
    }

    /// Reads the file (and stats its variants) to build what a Django
    /// manifest does not carry.
    fn from_disk(file: &Path, name: &str) -> std::io::Result<Record> {
        let mut f = std::fs::File::open(file)?;
        let md = f.metadata()?;
        let mut sha256 = Sha256::new();
        let mut sha384 = Sha384::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut len = 0u64;
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            sha256.update(&buf[..n]);
            sha384.update(&buf[..n]);
            len += n as u64;
        }
        let integrity = format!(
            "sha384-{}",
            base64::engine::general_purpose::STANDARD.encode(sha384.finalize())
        );
        let mut variants = Vec::new();
        for e in Encoding::ALL {
            let mut p = file.as_os_str().to_owned();
            p.push(e.suffix());
            if let Ok(m) = std::fs::metadata(PathBuf::from(p)) {
                if m.is_file() {
                    variants.push((e, m.len()));
                }
            }
        }
        let modified = md.modified().map(unix_secs).unwrap_or(0);
        let ct = rcollect_core::content_type::content_type(name);
        Record::new(
            file,
            len,
            &hex(&sha256.finalize()),
            &ct,
            modified,
            integrity,
            variants,
        )
        .map_err(std::io::Error::other)
    }
}

/// A name the table answers, before the per-settings headers are applied.
#[derive(Debug)]
pub(crate) struct Served {
    /// The URL name (relative to STATIC_URL, decoded).
    pub(crate) name: String,
    /// The logical path (for header globs and content-type overrides).
    pub(crate) logical: String,
    /// Hashed names are immutable.
    pub(crate) immutable: bool,
    pub(crate) record: Arc<Record>,
}

/// What was loaded from STATIC_ROOT; independent of the serve settings.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub(crate) served: Vec<Served>,
    /// `index.html` files by logical path, also when their unhashed name is
    /// not served, for directory indexes.
    pub(crate) indexes: Vec<(String, Arc<Record>)>,
    /// Logical path → (hashed name, record), for the template helpers.
    pub(crate) logical: HashMap<String, (String, Arc<Record>)>,
    /// Bytes currently held in memory.
    pub(crate) memory_used: AtomicU64,
}

impl Loaded {
    /// Reads `root/staticfiles.json` and builds the table.
    pub(crate) fn load(root: &Path) -> Result<Loaded, Error> {
        let manifest_path = root.join(MANIFEST_NAME);
        let manifest = Manifest::load(root)?.ok_or_else(|| Error::MissingManifest {
            path: manifest_path.clone(),
        })?;
        let mut loaded = Self::from_manifest(root, &manifest_path, &manifest)?;
        loaded.add_history(root);
        Ok(loaded)
    }

    /// A table that serves nothing and only maps logical paths to hashed
    /// names, for files served by a CDN from object storage. Entries of a
    /// Django manifest (no `files`) get an empty integrity value.
    #[cfg(feature = "store")]
    pub(crate) fn urls_only(m: &Manifest) -> Loaded {
        let mut logical = HashMap::new();
        for (l, hashed) in &m.paths {
            let placeholder = FileMeta {
                size: 0,
                content_type: "application/octet-stream".into(),
                sha256: "0".repeat(64),
                integrity: String::new(),
                modified: 0,
                variants: Default::default(),
            };
            let meta = m.files.get(hashed).unwrap_or(&placeholder);
            let record = Record::from_meta(Path::new(hashed), meta)
                .or_else(|_| Record::from_meta(Path::new(hashed), &placeholder));
            if let Ok(r) = record {
                logical.insert(l.clone(), (hashed.clone(), Arc::new(r)));
            }
        }
        Loaded {
            served: Vec::new(),
            indexes: Vec::new(),
            logical,
            memory_used: AtomicU64::new(0),
        }
    }

    /// Also serves the hashed names of the previous manifest versions
    /// (`staticfiles.<timestamp>.json`, newest first) whose files are still
    /// there: during a rolling deploy, pages rendered by an instance of the
    /// previous release keep working against this one. Their unhashed names
    /// and `static_url` stay the live manifest's.
    fn add_history(&mut self, root: &Path) {
        let versions = match rcollect_core::history::list(root) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!("{e}; not serving previous manifest versions");
                return;
            }
        };
        let mut known: HashSet<String> = self.served.iter().map(|s| s.name.clone()).collect();
        for name in versions.iter().rev() {
            let Some(m) = rcollect_core::history::load_version(root, name) else {
                continue;
            };
            let logical_of: HashMap<&str, &str> = m
                .paths
                .iter()
                .map(|(l, h)| (h.as_str(), l.as_str()))
                .collect();
            for (hashed, meta) in &m.files {
                let Some(logical) = logical_of.get(hashed.as_str()) else {
                    continue;
                };
                if *logical == hashed.as_str() || known.contains(hashed) {
                    continue;
                }
                let file = path_in(root, hashed);
                if !file.is_file() {
                    continue; // removed by `rcollect clean`
                }
                let mut meta = meta.clone();
                meta.variants.retain(|e, _| {
                    let mut v = file.as_os_str().to_owned();
                    v.push(e.suffix());
                    Path::new(&v).is_file()
                });
                let Ok(record) = Record::from_meta(&file, &meta) else {
                    continue;
                };
                known.insert(hashed.clone());
                self.served.push(Served {
                    name: hashed.clone(),
                    logical: logical.to_string(),
                    immutable: true,
                    record: Arc::new(record),
                });
            }
        }
    }

    pub(crate) fn from_manifest(
        root: &Path,
        manifest_path: &Path,
        m: &Manifest,
    ) -> Result<Loaded, Error> {
        let django = m.files.is_empty();
        let mut records: HashMap<&str, Arc<Record>> = HashMap::new();
        let mut served = Vec::new();
        let mut indexes = Vec::new();
        let mut logical_map = HashMap::new();
        let file_of = |name: &str| path_in(root, name);
        for (logical, hashed) in &m.paths {
            let record = match records.get(hashed.as_str()) {
                Some(r) => r.clone(),
                None => {
                    let file = file_of(hashed);
                    let record = match m.files.get(hashed) {
                        Some(meta) => Record::from_meta(&file, meta).map_err(|e| {
                            Error::manifest(manifest_path, format!("files['{hashed}']: {e}"))
                        })?,
                        None => match Record::from_disk(&file, hashed) {
                            Ok(r) => r,
                            Err(e) => {
                                tracing::warn!(
                                    "{}: '{logical}' maps to '{hashed}', which cannot be read ({e}); not serving it",
                                    manifest_path.display()
                                );
                                continue;
                            }
                        },
                    };
                    let record = Arc::new(record);
                    records.insert(hashed.as_str(), record.clone());
                    record
                }
            };
            let is_hashed = logical != hashed;
            served.push(Served {
                name: hashed.clone(),
                logical: logical.clone(),
                immutable: is_hashed,
                record: record.clone(),
            });
            logical_map.insert(logical.clone(), (hashed.clone(), record.clone()));
            let mut unhashed = None;
            if is_hashed {
                if !django && m.keep_unhashed {
                    unhashed = Some(record.clone());
                } else if django {
                    // Django keeps the original next to the hashed copy, but
                    // its bytes differ (references are not rewritten): serve
                    // it from its own file, if it is there.
                    let file = file_of(logical);
                    if file.is_file() {
                        match Record::from_disk(&file, logical) {
                            Ok(r) => unhashed = Some(Arc::new(r)),
                            Err(e) => tracing::warn!("{}: {e}; not serving it", file.display()),
                        }
                    }
                }
            }
            if let Some(r) = &unhashed {
                served.push(Served {
                    name: logical.clone(),
                    logical: logical.clone(),
                    immutable: false,
                    record: r.clone(),
                });
            }
            if logical == "index.html" || logical.ends_with("/index.html") {
                indexes.push((logical.clone(), unhashed.unwrap_or(record)));
            }
        }
        Ok(Loaded {
            served,
            indexes,
            logical: logical_map,
            memory_used: AtomicU64::new(0),
        })
    }

    /// Reserves `n` bytes of the memory budget.
    pub(crate) fn reserve(&self, n: u64, budget: u64) -> bool {
        self.memory_used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(n).filter(|&t| t <= budget)
            })
            .is_ok()
    }

    /// Gives back a reservation that was not used.
    pub(crate) fn release(&self, n: u64) {
        self.memory_used.fetch_sub(n, Ordering::AcqRel);
    }
}

/// A header added to files whose logical path matches a glob.
#[derive(Debug, Clone)]
pub(crate) struct HeaderRule {
    pub(crate) glob: globset::GlobMatcher,
    pub(crate) name: HeaderName,
    pub(crate) value: HeaderValue,
}

/// The settings that shape the prepared headers.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) max_age: u64,
    pub(crate) index: bool,
    pub(crate) memory_max_file: u64,
    pub(crate) memory_budget: u64,
    pub(crate) headers: Vec<HeaderRule>,
    /// Lower-case extension → content type.
    pub(crate) mime_types: HashMap<String, HeaderValue>,
}

impl Default for Settings {
    fn default() -> Self {
        let d = rcollect_core::config::ServeConfig::default();
        Settings {
            max_age: d.max_age,
            index: d.index,
            memory_max_file: d.memory_max_file,
            memory_budget: d.memory_budget,
            headers: Vec::new(),
            mime_types: HashMap::new(),
        }
    }
}

impl Settings {
    pub(crate) fn cache_control(&self) -> HeaderValue {
        HeaderValue::from_str(&format!("public, max-age={}", self.max_age))
            .unwrap_or(HeaderValue::from_static("public, max-age=60"))
    }

    pub(crate) fn content_type<'a>(
        &'a self,
        logical: &str,
        default: &'a HeaderValue,
    ) -> &'a HeaderValue {
        if self.mime_types.is_empty() {
            return default;
        }
        let name = logical.rsplit('/').next().unwrap_or(logical);
        match name.rfind('.') {
            Some(i) if i > 0 => self
                .mime_types
                .get(&name[i + 1..].to_ascii_lowercase())
                .unwrap_or(default),
            _ => default,
        }
    }

    pub(crate) fn extra_headers(&self, logical: &str) -> Box<[(HeaderName, HeaderValue)]> {
        self.headers
            .iter()
            .filter(|r| r.glob.is_match(logical))
            .map(|r| (r.name.clone(), r.value.clone()))
            .collect()
    }
}

/// A name the service answers, with its prepared headers.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) record: Arc<Record>,
    pub(crate) content_type: HeaderValue,
    pub(crate) cache_control: HeaderValue,
    pub(crate) extra: Box<[(HeaderName, HeaderValue)]>,
}

/// What a name in the table leads to.
#[derive(Debug, Clone)]
pub(crate) enum Route {
    /// A file.
    File(Entry),
    /// A directory without its trailing slash: redirect to `name/`.
    AddSlash,
}

/// The lookup table: decoded URL name → route, built once per settings.
#[derive(Debug, Default)]
pub(crate) struct Table {
    pub(crate) routes: HashMap<Box<str>, Route>,
}

impl Table {
    pub(crate) fn build(loaded: &Loaded, s: &Settings) -> Table {
        let immutable = HeaderValue::from_static(IMMUTABLE);
        let short = s.cache_control();
        let mut routes: HashMap<Box<str>, Route> = HashMap::with_capacity(loaded.served.len());
        let entry = |logical: &str, record: &Arc<Record>, immutable_name: bool| Entry {
            record: record.clone(),
            content_type: s.content_type(logical, &record.content_type).clone(),
            cache_control: if immutable_name {
                immutable.clone()
            } else {
                short.clone()
            },
            extra: s.extra_headers(logical),
        };
        for f in &loaded.served {
            routes.insert(
                f.name.as_str().into(),
                Route::File(entry(&f.logical, &f.record, f.immutable)),
            );
        }
        if s.index {
            for (logical, record) in &loaded.indexes {
                let dir = &logical[..logical.len() - "index.html".len()];
                if !routes.contains_key(dir) {
                    routes.insert(dir.into(), Route::File(entry(logical, record, false)));
                }
                if let Some(bare) = dir.strip_suffix('/') {
                    routes.entry(bare.into()).or_insert(Route::AddSlash);
                }
            }
        }
        Table { routes }
    }
}
