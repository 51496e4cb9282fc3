//! The one noun for a servable file: an [`Asset`] with its representations
//! ([`Rep`]: the identity bytes and each precompressed variant), and
//! [`Served`], an asset as answered under one URL name (with the header
//! values the settings give that name).
//!
//! Every header value a response needs is prepared when the asset is built,
//! so the request path only clones them.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use rcollect_core::paths::with_suffix;
use rcollect_core::{Encoding, FileMeta};

use crate::conditional::{format_date, unix_secs};
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

/// A servable file and its representations.
#[derive(Debug)]
pub(crate) struct Asset {
    identity: Rep,
    /// br, zstd, gzip (in [`Encoding::ALL`] order).
    variants: [Option<Rep>; 3],
    /// The variants the manifest lists (what `Vary` is about).
    pub(crate) listed: Available,
    /// Listed variants found missing (or of the wrong size) on disk, as
    /// [`Available`] bits: no longer offered.
    missing: AtomicU8,
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

impl Asset {
    /// The representation for a negotiated encoding (identity when the
    /// variant is missing, which negotiation never picks).
    pub(crate) fn rep(&self, e: Option<Encoding>) -> &Rep {
        match e.and_then(|e| self.variants[slot(e)].as_ref()) {
            Some(r) => r,
            None => &self.identity,
        }
    }

    /// The variants that can be offered: those listed, less those found
    /// missing on disk.
    pub(crate) fn available(&self) -> Available {
        self.listed
            .without(Available::from_bits(self.missing.load(Ordering::Relaxed)))
    }

    /// Stops offering `e` (its file is missing or has the wrong size).
    /// True the first time, so the caller logs it once.
    pub(crate) fn mark_missing(&self, e: Encoding) -> bool {
        let bit = Available::default().with(e).bits();
        self.missing.fetch_or(bit, Ordering::Relaxed) & bit == 0
    }

    /// Builds an asset from what a manifest records (or what was read from
    /// disk): ETags are the first 16 characters of the SHA-256 plus the
    /// encoding.
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
        let etag = |encoding: Option<Encoding>| {
            let tag = match encoding {
                None => format!("\"{short}\""),
                Some(e) => format!("\"{short}-{}\"", e.token()),
            };
            HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"x\""))
        };
        let identity = Rep::new(file.to_path_buf(), len, etag(None));
        let mut reps: [Option<Rep>; 3] = [None, None, None];
        let mut available = Available::default();
        for (e, size) in variants {
            reps[slot(e)] = Some(Rep::new(with_suffix(file, e.suffix()), size, etag(Some(e))));
            available = available.with(e);
        }
        Ok(Asset {
            identity,
            variants: reps,
            listed: available,
            missing: AtomicU8::new(0),
            content_type,
            modified,
            last_modified: last_modified(modified),
            integrity,
        })
    }

    /// Attaches bytes compiled into the binary to every representation, by
    /// its path relative to STATIC_ROOT: they are then served from memory.
    pub(crate) fn preload(
        &self,
        get: impl Fn(&str) -> Option<&'static [u8]>,
    ) -> Result<(), String> {
        for rep in std::iter::once(&self.identity).chain(self.variants.iter().flatten()) {
            let name = rep.path.to_string_lossy();
            let bytes = get(&name).ok_or_else(|| format!("'{name}' is not embedded"))?;
            if bytes.len() as u64 != rep.len {
                return Err(format!(
                    "'{name}' is {} bytes, the manifest says {}",
                    bytes.len(),
                    rep.len
                ));
            }
            // Already set only if preloaded twice (an asset shared by names).
            let _ = rep.cached.set(Bytes::from_static(bytes));
        }
        Ok(())
    }

    /// Builds an asset from a manifest's `files` entry.
    pub(crate) fn from_meta(file: &Path, meta: &FileMeta) -> Result<Asset, String> {
        Asset::new(
            file,
            meta.size,
            &meta.sha256,
            &meta.content_type,
            meta.modified,
            meta.integrity.clone(),
            meta.variants.iter().map(|(e, s)| (*e, *s)),
        )
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
            listed: Available::default(),
            missing: AtomicU8::new(0),
            content_type,
            modified,
            last_modified: last_modified(modified),
            integrity: String::new(),
        })
    }
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
}
