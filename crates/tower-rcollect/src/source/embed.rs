//! Files compiled into the binary: [`Embedded`], the table `rcollect-build`
//! generates (the manifest and the bytes of every representation, each an
//! `include_bytes!`), served by
//! [`StaticFiles::embedded`](crate::StaticFiles::embedded) through the same
//! request pipeline as STATIC_ROOT.
//!
//! At start-up the manifest is parsed and each representation's bytes are
//! attached to its [`Asset`] as already in memory, so a request makes no
//! filesystem call: path → table → prepared headers and
//! `Bytes::from_static`.
//!
//! Embedded br-only, the identity bytes of a file are decoded from its br
//! variant for clients without br ([`Decoding`]): one decode per file at a
//! time, kept within `memory_budget`; when they do not fit, each request
//! gets a streamed decode of just its range, and at most as many streams
//! run at once as the budget has room for their decoders.

use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use rcollect_core::Manifest;

use super::load::Loaded;
use super::{Origin, Reader};
use crate::asset::{Asset, Pick};
use crate::error::Error;
use crate::memory::Reservation;

/// Static files embedded in the binary by `rcollect-build` (from
/// `build.rs`). Generated code builds it with [`Embedded::new`]; apps pass
/// it to [`StaticFiles::embedded`](crate::StaticFiles::embedded).
#[derive(Debug, Clone, Copy)]
pub struct Embedded {
    manifest: &'static str,
    names: &'static [&'static str],
    files: &'static [&'static [u8]],
    static_url: &'static str,
    dev: Option<DevSource>,
    br_only: bool,
}

/// How a build that left the files out serves the sources instead.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DevSource {
    /// The config file the build used.
    pub(crate) config_file: &'static str,
    /// Dev mode from that file. A pointer set only by
    /// [`Embedded::dev_config`], which only the code generated for dev
    /// builds calls: a binary with the files embedded does not link dev
    /// mode (the config parser, the source walk, globs and regular
    /// expressions), which keeps its LTO link, and so every rebuild after
    /// an asset edit, short.
    pub(crate) load: fn(&'static str) -> Result<crate::StaticFiles, Error>,
}

/// Dev mode from `config_file` (see [`DevSource::load`]).
fn dev_files(config_file: &'static str) -> Result<crate::StaticFiles, Error> {
    crate::StaticFiles::setup()
        .config_file(config_file)
        .dev(true)
        .load()
}

impl Embedded {
    /// The table: `staticfiles.json` as collected; the name of every file
    /// it names, variants and deltas included, relative to STATIC_ROOT
    /// (`css/app.3f2a9c81d0e4.css.br`); the bytes of each name, in the
    /// same order (two arrays, so that looking the names up at start-up
    /// reads none of the bytes); STATIC_URL the files were collected for.
    pub const fn new(
        manifest: &'static str,
        names: &'static [&'static str],
        files: &'static [&'static [u8]],
        static_url: &'static str,
    ) -> Embedded {
        Embedded {
            manifest,
            names,
            files,
            static_url,
            dev: None,
            br_only: false,
        }
    }

    /// Set in builds that serve the sources instead (debug builds, unless
    /// embedding was forced): the config file to run dev mode from.
    pub const fn dev_config(self, config_file: &'static str) -> Embedded {
        Embedded {
            dev: Some(DevSource {
                config_file,
                load: dev_files,
            }),
            ..self
        }
    }

    /// Files with a br variant were embedded as br only (and their
    /// deltas): the identity bytes are decoded from br when a client does
    /// not accept br; gzip and zstd are not offered.
    pub const fn br_only(self, br_only: bool) -> Embedded {
        Embedded { br_only, ..self }
    }
}

impl Embedded {
    /// How to serve the sources, when the build left the files out (dev
    /// mode).
    pub(crate) fn dev_source(&self) -> Option<DevSource> {
        self.dev
    }

    /// STATIC_URL the files were collected for.
    pub(crate) fn static_url(&self) -> &'static str {
        self.static_url
    }

    /// Parses the embedded manifest and attaches the embedded bytes to
    /// every representation.
    pub(crate) fn load(&self) -> Result<Loaded, Error> {
        let where_ = Path::new("<embedded staticfiles.json>");
        let manifest = Manifest::from_slice(where_, self.manifest.as_bytes())?;
        // Refused before loading: a Django manifest would be completed from
        // files on disk, and embedded names are not on disk.
        if manifest.files.is_empty() && !manifest.paths.is_empty() {
            return Err(Error::manifest(
                where_,
                "no `files` metadata (not written by rcollect)",
            ));
        }
        let mut loaded = Loaded::from_manifest(Path::new(""), where_, &manifest, false)?;
        if self.names.len() != self.files.len() {
            return Err(Error::manifest(
                where_,
                format!("{} names for {} files", self.names.len(), self.files.len()),
            ));
        }
        let bytes: HashMap<&str, &'static [u8]> = self
            .names
            .iter()
            .copied()
            .zip(self.files.iter().copied())
            .collect();
        for (hashed, asset) in loaded.logical.values() {
            asset
                .attach_embedded(|name| bytes.get(name).copied(), self.br_only)
                .map_err(|e| Error::manifest(where_, format!("files['{hashed}']: {e}")))?;
        }
        if self.br_only {
            loaded.origin = Origin::DecodeBr(Arc::new(Decoding::default()));
        }
        Ok(loaded)
    }
}

/// The memory a streamed br decode holds: its window (rcollect's br uses
/// window log 22: 4 MiB) and its buffers.
const STREAM_COST: u64 = (4 << 20) + (256 << 10);

/// The identity bytes decoded from br, for a request.
pub(crate) enum Decoded {
    /// The whole file, with the reservation that keeps it (if any).
    Whole(Bytes, Option<Reservation>),
    /// The requested range, decoded on the blocking pool chunk by chunk.
    Stream(tokio::sync::mpsc::Receiver<io::Result<Bytes>>),
}

/// Decoding the identity bytes of br-only embedded files.
#[derive(Debug, Default)]
pub(crate) struct Decoding {
    /// Streams that may run at once: as many decoders as the memory
    /// budget holds (at least one), set on first use.
    streams: OnceLock<Arc<tokio::sync::Semaphore>>,
    /// Whole decodes and streamed decodes started (tests).
    #[cfg(test)]
    pub(crate) counts: [std::sync::atomic::AtomicUsize; 2],
}

impl Decoding {
    /// The identity bytes `start..=end` of `asset`: decoded once and kept
    /// when the whole file fits the memory budget (requests for it
    /// meanwhile wait for that decode), else a streamed decode of the
    /// range that stops at its end.
    pub(crate) async fn identity(
        &self,
        asset: &Asset,
        reader: &Reader,
        start: u64,
        end: u64,
    ) -> io::Result<Decoded> {
        let identity = asset.rep(Pick::Identity);
        let label = identity.path.display().to_string();
        let not_embedded = || io::Error::other(format!("{label}: not embedded"));
        let br = asset
            .rep(Pick::Variant(rcollect_core::Encoding::Br))
            .cached
            .get()
            .cloned()
            .ok_or_else(not_embedded)?;
        let expected = identity.len;
        {
            let _one_at_a_time = asset.decoding.lock().await;
            if let Some(bytes) = identity.cached.get() {
                return Ok(Decoded::Whole(bytes.clone(), None));
            }
            if let Some(keep) = reader.memory.reserve(expected, reader.budget) {
                #[cfg(test)]
                self.counts[0].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let bytes = tokio::task::spawn_blocking(move || decode_whole(&br, expected))
                    .await
                    .map_err(|e| io::Error::other(e.to_string()))?
                    .map_err(|e| io::Error::other(format!("{label}: {e}")))?;
                return Ok(Decoded::Whole(bytes, Some(keep)));
            }
        }
        let slots = self
            .streams
            .get_or_init(|| {
                let n = usize::try_from(reader.budget / STREAM_COST).unwrap_or(usize::MAX);
                Arc::new(tokio::sync::Semaphore::new(n.clamp(1, 1 << 16)))
            })
            .clone();
        let permit = slots
            .acquire_owned()
            .await
            .map_err(|e| io::Error::other(e.to_string()))?;
        #[cfg(test)]
        self.counts[1].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            if let Err(e) = stream_range(&br, start, end, &tx) {
                let _ = tx.blocking_send(Err(io::Error::other(format!("{label}: {e}"))));
            }
        });
        Ok(Decoded::Stream(rx))
    }
}

/// Decodes a whole br stream of `expected` bytes (more or fewer is an
/// error).
fn decode_whole(br: &[u8], expected: u64) -> io::Result<Bytes> {
    use std::io::Read;
    let mut out = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    brotli_decompressor::Decompressor::new(br, 64 * 1024)
        .take(expected.saturating_add(1))
        .read_to_end(&mut out)?;
    if out.len() as u64 != expected {
        return Err(io::Error::other(format!(
            "br decodes to {} bytes, {expected} expected",
            out.len()
        )));
    }
    Ok(Bytes::from(out))
}

/// Decodes `start..=end` of a br stream into `tx`, 64 KiB at a time,
/// discarding what comes before `start` and stopping after `end`; stops
/// early when the body is dropped.
fn stream_range(
    br: &[u8],
    start: u64,
    end: u64,
    tx: &tokio::sync::mpsc::Sender<io::Result<Bytes>>,
) -> io::Result<()> {
    use std::io::Read;
    let mut decoder = brotli_decompressor::Decompressor::new(br, 64 * 1024);
    let skipped = io::copy(&mut (&mut decoder).take(start), &mut io::sink())?;
    if skipped < start {
        return Err(io::Error::other("br decodes to fewer bytes than expected"));
    }
    let mut left = end.saturating_sub(start).saturating_add(1);
    let mut buf = vec![0u8; 64 * 1024];
    while left > 0 {
        let want = usize::try_from(left).unwrap_or(buf.len()).min(buf.len());
        let chunk = buf
            .get_mut(..want)
            .ok_or_else(|| io::Error::other("buffer"))?;
        let n = decoder.read(chunk)?;
        if n == 0 {
            return Err(io::Error::other("br decodes to fewer bytes than expected"));
        }
        let bytes = Bytes::copy_from_slice(chunk.get(..n).unwrap_or_default());
        left -= n as u64;
        if tx.blocking_send(Ok(bytes)).is_err() {
            return Ok(()); // the client went away
        }
    }
    Ok(())
}
