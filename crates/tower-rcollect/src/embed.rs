//! Files compiled into the binary: [`Embedded`], the table `rcollect-build`
//! generates (the manifest and the bytes of every representation, each an
//! `include_bytes!`), served by [`StaticFiles::embedded`] through the same
//! request pipeline as STATIC_ROOT.
//!
//! At start-up the manifest is parsed and each representation's bytes are
//! attached to its [`Asset`](crate::asset::Asset) as already in memory, so a
//! request makes no filesystem call: path → table → prepared headers and
//! `Bytes::from_static`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use rcollect_core::Manifest;

use crate::error::Error;
use crate::files::StaticFiles;
use crate::load::Loaded;
use crate::source::Source;

/// Static files embedded in the binary by `rcollect-build` (from `build.rs`).
/// Generated code builds it; apps pass it to [`StaticFiles::embedded`].
#[derive(Debug, Clone, Copy)]
pub struct Embedded {
    /// `staticfiles.json` as collected.
    pub manifest: &'static str,
    /// The name of every file the manifest names, variants and deltas
    /// included, relative to STATIC_ROOT (`css/app.3f2a9c81d0e4.css.br`).
    pub names: &'static [&'static str],
    /// The bytes of each of `names`, in the same order. (Two arrays, so
    /// that looking the names up at start-up reads none of the bytes.)
    pub files: &'static [&'static [u8]],
    /// STATIC_URL the files were collected for.
    pub static_url: &'static str,
    /// Set in builds that serve the sources instead (debug builds, unless
    /// embedding was forced): the config file to run dev mode from.
    pub dev_config: Option<&'static str>,
    /// Files with a br variant were embedded as br only (and their deltas):
    /// the identity bytes are decoded from br when a client does not
    /// accept br (and kept in memory within `memory_budget`); gzip and zstd are
    /// not offered.
    pub br_only: bool,
}

impl StaticFiles {
    /// Serves files compiled into the binary (see the `rcollect-build`
    /// crate): the same HTTP semantics as [`from_manifest`](Self::from_manifest)
    /// (negotiation, per-encoding ETags, 304, ranges, immutable caching) with
    /// no filesystem access per request. When the build left the files out
    /// to serve the sources (`dev_config`, debug builds by default), it is
    /// [`from_config_file`](Self::from_config_file) in dev mode, so an edited
    /// CSS file shows without a rebuild.
    ///
    /// # Errors
    /// The embedded manifest is invalid or names a file the table lacks (a
    /// build-script bug), or, in dev mode, as `from_config_file`.
    pub fn embedded(assets: &Embedded) -> Result<Self, Error> {
        if let Some(config) = assets.dev_config {
            return Self::setup().config_file(config).dev(true).load();
        }
        let mount = crate::path::mount_path(assets.static_url)
            .map_err(|m| Error::setting("static_url", m))?;
        let where_ = Path::new("<embedded staticfiles.json>");
        let manifest = Manifest::from_slice(where_, assets.manifest.as_bytes())?;
        // Refused before loading: a Django manifest would be completed from
        // files on disk, and embedded names are not on disk.
        if manifest.files.is_empty() && !manifest.paths.is_empty() {
            return Err(Error::manifest(
                where_,
                "no `files` metadata (not written by rcollect)",
            ));
        }
        let loaded = Loaded::from_manifest(Path::new(""), where_, &manifest, false)?;
        if assets.names.len() != assets.files.len() {
            return Err(Error::manifest(
                where_,
                format!(
                    "{} names for {} files",
                    assets.names.len(),
                    assets.files.len()
                ),
            ));
        }
        let bytes: HashMap<&str, &'static [u8]> = assets
            .names
            .iter()
            .copied()
            .zip(assets.files.iter().copied())
            .collect();
        for (hashed, asset) in loaded.logical.values() {
            asset
                .preload(|name| bytes.get(name).copied(), assets.br_only)
                .map_err(|e| Error::manifest(where_, format!("files['{hashed}']: {e}")))?;
        }
        let mut loaded = loaded;
        if assets.br_only {
            loaded.origin = crate::open::Origin::DecodeBr;
        }
        Ok(Self::build(
            Source::Manifest(Arc::new(loaded)),
            mount,
            assets.static_url,
        ))
    }
}
