//! The one noun for a servable file: an [`Asset`] with its representations
//! ([`Rep`]: the identity bytes and each precompressed variant), and
//! [`Served`], an asset as answered under one URL name (with the header
//! values the settings give that name).
//!
//! Every header value a response needs is prepared when the asset is built,
//! so the request path only clones them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use rcollect_core::delta::{DeltaCoding, delta_name};
use rcollect_core::manifest::Delta;
use rcollect_core::paths::with_suffix;
use rcollect_core::{Encoding, FileMeta};

/// `Cache-Control` of hashed names.
pub(crate) const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// One representation of a file: the identity bytes or one encoded variant.
#[derive(Debug)]
pub(crate) struct Rep {
    /// Where the bytes are, for the source's [`Origin`](crate::source::Origin):
    /// a path on disk, a key in the store, or (embedded) the name the table
    /// holds them under.
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

impl Rep {
    fn new(path: PathBuf, len: u64, etag: HeaderValue) -> Rep {
        Rep {
            path,
            len,
            etag,
            content_length: HeaderValue::from(len),
            cached: OnceLock::new(),
        }
    }
}

/// Which representation of an asset to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pick {
    /// The identity bytes.
    Identity,
    /// A precompressed variant.
    Variant(Encoding),
    /// A dictionary-compressed delta: index into the asset's deltas, coding.
    Delta(usize, DeltaCoding),
}

impl Pick {
    /// The `Content-Encoding` token, if any.
    pub(crate) fn token(self) -> Option<&'static str> {
        match self {
            Pick::Identity => None,
            Pick::Variant(e) => Some(e.token()),
            Pick::Delta(_, c) => Some(c.token()),
        }
    }
}

/// The deltas of an asset against one dictionary (a previous version).
#[derive(Debug)]
pub(crate) struct Deltas {
    /// SHA-256 of the dictionary, as `Available-Dictionary` names it.
    pub(crate) dictionary: [u8; 32],
    /// dcb, dcz (in [`DeltaCoding::ALL`] order).
    reps: [Option<Rep>; 2],
    /// Codings found missing on disk (bit per slot).
    missing: AtomicU8,
}

impl Deltas {
    /// The size of the delta in coding `c`, if it can be offered.
    pub(crate) fn size(&self, c: DeltaCoding) -> Option<u64> {
        let i = delta_slot(c);
        if self.missing.load(Ordering::Relaxed) & (1 << i) != 0 {
            return None;
        }
        self.reps.get(i)?.as_ref().map(|r| r.len)
    }
}

fn delta_slot(c: DeltaCoding) -> usize {
    match c {
        DeltaCoding::Dcb => 0,
        DeltaCoding::Dcz => 1,
    }
}

/// A servable file and its representations.
#[derive(Debug)]
pub(crate) struct Asset {
    identity: Rep,
    /// br, zstd, gzip (in [`Encoding::ALL`] order).
    variants: [Option<Rep>; 3],
    /// Dictionary-compressed deltas, one entry per dictionary.
    pub(crate) deltas: Box<[Deltas]>,
    /// The variants the manifest lists (what `Vary` is about).
    pub(crate) listed: Available,
    /// Listed variants found missing (or of the wrong size) on disk, as
    /// [`Available`] bits: no longer offered.
    missing: AtomicU8,
    pub(crate) content_type: HeaderValue,
    pub(crate) modified: u64,
    pub(crate) last_modified: HeaderValue,
    pub(crate) integrity: String,
    /// The start of every ETag of this asset (16 characters of its SHA-256).
    etag_base: Box<str>,
    /// Held while the identity bytes are decoded from br (embedded
    /// br-only): one decode at a time.
    pub(crate) decoding: tokio::sync::Mutex<()>,
}

fn slot(e: Encoding) -> usize {
    match e {
        Encoding::Br => 0,
        Encoding::Zstd => 1,
        Encoding::Gzip => 2,
    }
}

impl Asset {
    /// The representation for a pick (identity when the variant or delta is
    /// missing, which the decision never picks).
    pub(crate) fn rep(&self, pick: Pick) -> &Rep {
        let found = match pick {
            Pick::Identity => None,
            Pick::Variant(e) => self.variants.get(slot(e)).and_then(Option::as_ref),
            Pick::Delta(i, c) => self
                .deltas
                .get(i)
                .and_then(|d| d.reps.get(delta_slot(c)))
                .and_then(Option::as_ref),
        };
        found.unwrap_or(&self.identity)
    }

    /// The variants that can be offered: those listed, less those found
    /// missing on disk.
    pub(crate) fn available(&self) -> Available {
        self.listed
            .without(Available::from_bits(self.missing.load(Ordering::Relaxed)))
    }

    /// The deltas against the dictionary with this SHA-256, by index.
    pub(crate) fn deltas_for(&self, dictionary: &[u8; 32]) -> Option<(usize, &Deltas)> {
        self.deltas
            .iter()
            .enumerate()
            .find(|(_, d)| d.dictionary == *dictionary)
    }

    /// Stops offering what `pick` names (its file is missing or has the
    /// wrong size). True the first time, so the caller logs it once.
    pub(crate) fn mark_missing(&self, pick: Pick) -> bool {
        match pick {
            Pick::Identity => false,
            Pick::Variant(e) => {
                let bit = Available::default().with(e).bits();
                self.missing.fetch_or(bit, Ordering::Relaxed) & bit == 0
            }
            Pick::Delta(i, c) => {
                let bit = 1 << delta_slot(c);
                self.deltas
                    .get(i)
                    .is_some_and(|d| d.missing.fetch_or(bit, Ordering::Relaxed) & bit == 0)
            }
        }
    }

    /// Builds an asset from what a manifest records (or what was read from
    /// disk): its file (path or key), size, SHA-256 (hex), type,
    /// modification time, integrity and variants. ETags are the first 16
    /// characters of the SHA-256, plus the encoding for a variant.
    pub(crate) fn new(
        file: &Path,
        len: u64,
        sha256: &str,
        content_type: &str,
        modified: u64,
        integrity: String,
        variants: impl IntoIterator<Item = (Encoding, u64)>,
    ) -> Result<Asset, String> {
        let short: String = sha256.chars().take(16).collect();
        if short.is_empty() || !short.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(format!("sha256 '{sha256}' is not a hex digest"));
        }
        let content_type = HeaderValue::from_str(content_type)
            .map_err(|_| format!("content_type '{content_type}' is not a valid header value"))?;
        let identity = Rep::new(file.to_path_buf(), len, etag(&[&short]));
        let mut reps: [Option<Rep>; 3] = [None, None, None];
        let mut available = Available::default();
        for (e, size) in variants {
            let tag = etag(&[&short, e.token()]);
            if let Some(slot) = reps.get_mut(slot(e)) {
                *slot = Some(Rep::new(with_suffix(file, e.suffix()), size, tag));
            }
            available = available.with(e);
        }
        Ok(Asset {
            identity,
            variants: reps,
            deltas: Box::default(),
            listed: available,
            missing: AtomicU8::new(0),
            content_type,
            modified,
            last_modified: last_modified(modified),
            integrity,
            etag_base: short.into(),
            decoding: tokio::sync::Mutex::new(()),
        })
    }

    /// Adds the dictionary-compressed deltas a manifest lists (by the
    /// SHA-256 of their dictionary), their files beside the identity file;
    /// each ETag is the identity's plus the coding and the dictionary.
    fn with_deltas(mut self, deltas: &BTreeMap<String, Delta>) -> Result<Asset, String> {
        let name = self.identity.path.to_string_lossy().into_owned();
        let mut by_dictionary = Vec::with_capacity(deltas.len());
        for (sha, d) in deltas {
            let dictionary = rcollect_core::hash::from_hex(sha)
                .ok_or_else(|| format!("'{sha}' is not a SHA-256"))?;
            let mut reps: [Option<Rep>; 2] = [None, None];
            let short = sha.get(..16).unwrap_or(sha);
            for (&c, &size) in &d.encodings {
                let tag = etag(&[&self.etag_base, c.token(), short]);
                let path = PathBuf::from(delta_name(&name, sha, c));
                if let Some(r) = reps.get_mut(delta_slot(c)) {
                    *r = Some(Rep::new(path, size, tag));
                }
            }
            if reps.iter().any(Option::is_some) {
                by_dictionary.push(Deltas {
                    dictionary,
                    reps,
                    missing: AtomicU8::new(0),
                });
            }
        }
        self.deltas = by_dictionary.into_boxed_slice();
        Ok(self)
    }

    /// Attaches bytes compiled into the binary to every representation, by
    /// its path relative to STATIC_ROOT: they are then served from memory.
    /// (Not to be confused with preload hints.)
    ///
    /// With `br_only`, a file whose br variant is embedded may lack the
    /// identity bytes (decoded from br when a client needs them) and its
    /// other variants and deltas (no longer offered).
    pub(crate) fn attach_embedded(
        &self,
        get: impl Fn(&str) -> Option<&'static [u8]>,
        br_only: bool,
    ) -> Result<(), String> {
        let attach = |rep: &Rep| -> Result<bool, String> {
            let name = rep.path.to_string_lossy();
            let Some(bytes) = get(&name) else {
                return Ok(false);
            };
            if bytes.len() as u64 != rep.len {
                return Err(format!(
                    "'{name}' is {} bytes, the manifest says {}",
                    bytes.len(),
                    rep.len
                ));
            }
            // Already set only if preloaded twice (an asset shared by names).
            let _ = rep.cached.set(Bytes::from_static(bytes));
            Ok(true)
        };
        let missing = |rep: &Rep| format!("'{}' is not embedded", rep.path.to_string_lossy());
        let br = self
            .variants
            .get(slot(Encoding::Br))
            .and_then(Option::as_ref);
        let br_embedded = match br {
            Some(rep) => attach(rep)?,
            None => false,
        };
        let lenient = br_only && br_embedded;
        if !attach(&self.identity)? && !lenient {
            return Err(missing(&self.identity));
        }
        if let Some(rep) = br.filter(|_| !br_embedded && !br_only) {
            return Err(missing(rep));
        }
        for e in [Encoding::Zstd, Encoding::Gzip] {
            let Some(rep) = self.variants.get(slot(e)).and_then(Option::as_ref) else {
                continue;
            };
            if !attach(rep)? {
                if !br_only {
                    return Err(missing(rep));
                }
                self.mark_missing(Pick::Variant(e));
            }
        }
        for (i, d) in self.deltas.iter().enumerate() {
            for c in DeltaCoding::ALL {
                let Some(rep) = d.reps.get(delta_slot(c)).and_then(Option::as_ref) else {
                    continue;
                };
                if !attach(rep)? {
                    if !br_only {
                        return Err(missing(rep));
                    }
                    self.mark_missing(Pick::Delta(i, c));
                }
            }
        }
        if br.is_some() && !br_embedded {
            self.mark_missing(Pick::Variant(Encoding::Br));
        }
        Ok(())
    }

    /// Builds an asset from a manifest's `files` entry, its deltas
    /// included.
    pub(crate) fn from_meta(file: &Path, meta: &FileMeta) -> Result<Asset, String> {
        Asset::new(
            file,
            meta.size,
            &meta.sha256,
            &meta.content_type,
            meta.modified,
            meta.integrity.clone(),
            meta.variants.iter().map(|(e, s)| (*e, *s)),
        )?
        .with_deltas(&meta.deltas)
    }

    /// A source file as dev mode serves it: identity only, a weak-free ETag
    /// from the modification time and size, so edits show up at once.
    pub(crate) fn dev(file: PathBuf, logical: &str, md: &std::fs::Metadata) -> Option<Asset> {
        let len = md.len();
        let mtime = md.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        let nanos = mtime
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let modified = unix_secs(mtime);
        let etag = HeaderValue::try_from(format!("\"dev-{modified:x}.{nanos:x}-{len:x}\"")).ok()?;
        let content_type =
            HeaderValue::try_from(rcollect_core::content_type::content_type(logical)).ok()?;
        Some(Asset {
            identity: Rep::new(file, len, etag),
            variants: [None, None, None],
            deltas: Box::default(),
            listed: Available::default(),
            missing: AtomicU8::new(0),
            content_type,
            modified,
            last_modified: last_modified(modified),
            integrity: String::new(),
            etag_base: Box::default(),
            decoding: tokio::sync::Mutex::new(()),
        })
    }
}

/// A strong ETag of `parts` joined by `-`, quoted.
fn etag(parts: &[&str]) -> HeaderValue {
    HeaderValue::try_from(format!("\"{}\"", parts.join("-")))
        .unwrap_or(HeaderValue::from_static("\"x\""))
}

fn last_modified(secs: u64) -> HeaderValue {
    HeaderValue::from_str(&format_date(secs))
        .unwrap_or(HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"))
}

/// An asset as answered under one URL name: the header values that depend
/// on the name and the settings (type overrides, `Cache-Control`, extra
/// headers by glob).
#[derive(Debug, Clone)]
pub(crate) struct Served {
    pub(crate) asset: Arc<Asset>,
    pub(crate) content_type: HeaderValue,
    pub(crate) cache_control: HeaderValue,
    pub(crate) extra: Box<[(HeaderName, HeaderValue)]>,
    /// `Use-As-Dictionary` (RFC 9842): the pattern of this file's future
    /// hashed names, on hashed text files when dictionaries are on.
    pub(crate) use_as_dictionary: Option<HeaderValue>,
    /// Who gets it (source maps of a hidden or private manifest).
    pub(crate) gate: crate::sourcemap::Gate,
}

/// Which encoded variants exist, as a bit set over [`Encoding::ALL`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Available(u8);

impl Available {
    pub(crate) fn with(self, e: Encoding) -> Self {
        Available(self.0 | bit(e))
    }

    pub(crate) fn from_bits(bits: u8) -> Self {
        Available(bits)
    }

    pub(crate) fn bits(self) -> u8 {
        self.0
    }

    pub(crate) fn without(self, other: Available) -> Self {
        Available(self.0 & !other.0)
    }

    pub(crate) fn has(self, e: Encoding) -> bool {
        self.0 & bit(e) != 0
    }

    pub(crate) fn any(self) -> bool {
        self.0 != 0
    }
}

fn bit(e: Encoding) -> u8 {
    match e {
        Encoding::Br => 1,
        Encoding::Zstd => 2,
        Encoding::Gzip => 4,
    }
}

/// `Last-Modified` text for seconds since the epoch.
pub(crate) fn format_date(secs: u64) -> String {
    let max = rcollect_core::manifest::MAX_HTTP_TIME;
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.min(max)))
}

/// Seconds since the epoch of a file time, clamped to what an HTTP date can
/// carry (0 before the epoch, the end of year 9999 after it).
pub(crate) fn unix_secs(t: SystemTime) -> u64 {
    rcollect_core::manifest::http_time(t)
}
