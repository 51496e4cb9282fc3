//! STATIC_ROOT as a source
//! ([`StaticFiles::from_manifest`](crate::StaticFiles::from_manifest)): its
//! manifest (rcollect's or Django's) and the previous manifest versions
//! still on disk, loaded into [`Loaded`]: every name served and its
//! [`Asset`]. The store and embedded sources build a [`Loaded`] the same
//! way.
//!
//! Start-up work is proportional to the manifest, not the tree: with an
//! rcollect manifest (which has a `files` section) nothing but the manifest is
//! read. A Django-written manifest (only `paths`) has no metadata, so each
//! file it names is read once at start-up to compute its hash, size and
//! variants.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use rcollect_core::history::Releases;
use rcollect_core::manifest::MANIFEST_NAME;
use rcollect_core::paths::{path_in, with_suffix};
use rcollect_core::{Encoding, Manifest};

use super::Origin;
use crate::asset::{Asset, unix_secs};
use crate::error::Error;
use crate::memory::Memory;

/// A name the table answers, before the per-settings headers are applied.
#[derive(Debug)]
pub(crate) struct UrlName {
    /// The URL name (relative to STATIC_URL, decoded).
    pub(crate) name: String,
    /// The logical path (for header globs and content-type overrides).
    pub(crate) logical: String,
    /// Hashed names (ours, and a bundler's) are immutable.
    pub(crate) immutable: bool,
    /// A bundler file's family (its name with `[hash]`): its future names.
    pub(crate) family: Option<String>,
    pub(crate) asset: Arc<Asset>,
    /// For a name of a previous manifest version: its rank (1: the newest
    /// previous version) and when it stopped being live.
    pub(crate) retired: Option<(usize, Option<std::time::SystemTime>)>,
}

/// What was loaded from STATIC_ROOT; independent of the serve settings.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub(crate) names: Vec<UrlName>,
    /// `index.html` files by logical path, also when their unhashed name is
    /// not served, for directory indexes.
    pub(crate) indexes: Vec<(String, Arc<Asset>)>,
    /// Logical path → (hashed name, asset), for the template helpers.
    pub(crate) logical: HashMap<String, (String, Arc<Asset>)>,
    /// Where the bytes are read from.
    pub(crate) origin: Origin,
    /// What is held in memory, within the budget.
    pub(crate) memory: Arc<Memory>,
    /// The live manifest's reference graph, by hashed name, and the
    /// logical path of each hashed name (for preload hints).
    pub(crate) graph: HashMap<String, Vec<String>>,
    pub(crate) logical_of: HashMap<String, String>,
    /// The live manifest's bundler entries and chunks (`vite_entry`).
    pub(crate) bundles: std::collections::BTreeMap<String, rcollect_core::manifest::Bundle>,
    /// The naming schemes of the bundler files served: an unknown name of
    /// one may be a newer release's.
    pub(crate) schemes: Vec<rcollect_core::bundler::Scheme>,
    /// How the live manifest's JS modules are linked, and its import map's
    /// bare specifiers (`importmap()`).
    pub(crate) linking: rcollect_core::config::Linking,
    pub(crate) bare_imports: std::collections::BTreeMap<String, String>,
    /// Who gets the source maps (the live manifest's mode applies to the
    /// names of the previous versions too).
    pub(crate) sourcemaps: rcollect_core::config::SourceMapMode,
}

impl Loaded {
    /// Reads `root`'s releases (every manifest file with
    /// [`rcollect_core::manifest::read`]: regular files of at most
    /// `max_bytes`): the live manifest's names, and those of the previous
    /// versions still served.
    pub(crate) fn load(root: &Path, max_bytes: u64) -> Result<Loaded, Error> {
        let manifest_path = root.join(MANIFEST_NAME);
        let releases = Releases::load(root, max_bytes)?;
        let live = releases
            .live
            .as_ref()
            .ok_or_else(|| Error::MissingManifest {
                path: manifest_path.clone(),
            })?;
        let mut loaded = Self::from_manifest(root, &manifest_path, live, true)?;
        loaded.add_versions(&releases, root, |file, _| file.is_file());
        Ok(loaded)
    }

    /// Also serves the hashed names of the previous manifest versions of
    /// `releases` (newest first) that this one does not have, if
    /// `present(file, size)` says their file is there (`rcollect clean`
    /// removes them); only the variants present are offered. During a
    /// rolling deploy, pages rendered by an instance of the previous release
    /// keep working against this one. Their unhashed names and `static_url`
    /// stay the live manifest's. A version that cannot be read is skipped
    /// with a warning (`rcollect check --skew` reports it).
    pub(crate) fn add_versions(
        &mut self,
        releases: &Releases,
        root: &Path,
        present: impl Fn(&Path, u64) -> bool,
    ) {
        let mut known: HashSet<String> = self.names.iter().map(|s| s.name.clone()).collect();
        for (rank, retired, version) in releases.ranked() {
            let m = match &version.manifest {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!("{e}; not serving the files of this manifest version");
                    continue;
                }
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
                let unhashed = *logical == hashed.as_str() && meta.hashed_by.is_none();
                if unhashed || known.contains(hashed) {
                    continue;
                }
                let file = path_in(root, hashed);
                if !present(&file, meta.size) {
                    continue; // removed by `rcollect clean`
                }
                let mut meta = meta.clone();
                meta.variants
                    .retain(|e, size| present(&with_suffix(&file, e.suffix()), *size));
                let Ok(asset) = Asset::from_meta(&file, &meta) else {
                    continue;
                };
                known.insert(hashed.clone());
                self.names.push(UrlName {
                    name: hashed.clone(),
                    logical: logical.to_string(),
                    immutable: true,
                    family: meta.hashed_by.as_ref().map(|b| b.family.clone()),
                    asset: Arc::new(asset),
                    retired: Some((rank, retired)),
                });
            }
        }
    }

    /// Builds the names of `m`. With `on_disk`, its files are under `root`
    /// and an entry without metadata (a Django manifest) is completed from
    /// its file; otherwise (embedded, in a store) such an entry is an error.
    pub(crate) fn from_manifest(
        root: &Path,
        manifest_path: &Path,
        m: &Manifest,
        on_disk: bool,
    ) -> Result<Loaded, Error> {
        let django = m.files.is_empty();
        let mut assets: HashMap<&str, Arc<Asset>> = HashMap::new();
        let mut names = Vec::new();
        let mut indexes = Vec::new();
        let mut logical_map = HashMap::new();
        let file_of = |name: &str| path_in(root, name);
        for (logical, hashed) in &m.paths {
            let asset = match assets.get(hashed.as_str()) {
                Some(r) => r.clone(),
                None => {
                    let file = file_of(hashed);
                    let asset = match m.files.get(hashed) {
                        Some(meta) => Asset::from_meta(&file, meta).map_err(|e| {
                            Error::manifest(manifest_path, format!("files['{hashed}']: {e}"))
                        })?,
                        None if !on_disk => {
                            return Err(Error::manifest(
                                manifest_path,
                                format!("paths['{logical}']: '{hashed}' has no entry in `files`"),
                            ));
                        }
                        None => match from_disk(&file, hashed) {
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
                    let asset = Arc::new(asset);
                    assets.insert(hashed.as_str(), asset.clone());
                    asset
                }
            };
            let is_hashed = logical != hashed;
            let bundled = m.files.get(hashed).and_then(|f| f.hashed_by.as_ref());
            names.push(UrlName {
                name: hashed.clone(),
                logical: logical.clone(),
                immutable: is_hashed || bundled.is_some(),
                family: bundled.map(|b| b.family.clone()),
                asset: asset.clone(),
                retired: None,
            });
            logical_map.insert(logical.clone(), (hashed.clone(), asset.clone()));
            let mut unhashed = None;
            if is_hashed {
                if !django && m.keep_unhashed {
                    unhashed = Some(asset.clone());
                } else if django && on_disk {
                    // Django keeps the original next to the hashed copy, but
                    // its bytes differ (references are not rewritten): serve
                    // it from its own file, if it is there.
                    let file = file_of(logical);
                    if file.is_file() {
                        match from_disk(&file, logical) {
                            Ok(r) => unhashed = Some(Arc::new(r)),
                            Err(e) => tracing::warn!("{}: {e}; not serving it", file.display()),
                        }
                    }
                }
            }
            if let Some(r) = &unhashed {
                names.push(UrlName {
                    name: logical.clone(),
                    logical: logical.clone(),
                    immutable: false,
                    family: None,
                    asset: r.clone(),
                    retired: None,
                });
            }
            if logical == "index.html" || logical.ends_with("/index.html") {
                indexes.push((logical.clone(), unhashed.unwrap_or(asset)));
            }
        }
        Ok(Loaded {
            names,
            indexes,
            logical: logical_map,
            origin: Origin::Disk,
            memory: Arc::default(),
            graph: m
                .references
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            logical_of: m
                .paths
                .iter()
                .map(|(l, h)| (h.clone(), l.clone()))
                .collect(),
            bundles: m.bundles.clone(),
            schemes: schemes_of(m),
            linking: m.linking,
            bare_imports: m.imports.clone(),
            sourcemaps: m.sourcemaps,
        })
    }
}

/// The distinct naming schemes of the bundler files `m` lists.
fn schemes_of(m: &Manifest) -> Vec<rcollect_core::bundler::Scheme> {
    let names: std::collections::BTreeSet<&str> = m
        .files
        .values()
        .filter_map(|f| f.hashed_by.as_ref().map(|b| b.scheme.as_str()))
        .collect();
    names
        .into_iter()
        .filter_map(|n| rcollect_core::bundler::Scheme::parse(n).ok())
        .collect()
}

impl Loaded {
    /// Whether `rel` is named like a file of a bundler scheme served here
    /// (a newer release may have it).
    pub(crate) fn looks_bundled(&self, rel: &str) -> bool {
        self.schemes.iter().any(|s| s.family(rel).is_some())
    }
}

/// Reads the file (and stats its variants) to build what a Django manifest
/// does not carry.
fn from_disk(file: &Path, name: &str) -> std::io::Result<Asset> {
    // Regular files only: a FIFO or a link to a device would block or never
    // end.
    let md = std::fs::metadata(file)?;
    if !md.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let modified = md.modified().map(unix_secs).unwrap_or(0);
    let digests = rcollect_core::hash::Digests::of_file(file)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut variants = Vec::new();
    for e in Encoding::ALL {
        if let Ok(m) = std::fs::metadata(with_suffix(file, e.suffix())) {
            if m.is_file() {
                variants.push((e, m.len()));
            }
        }
    }
    let ct = rcollect_core::content_type::content_type(name);
    Asset::new(
        file,
        digests.size,
        &digests.sha256_hex(),
        &ct,
        modified,
        digests.integrity(),
        variants,
    )
    .map_err(std::io::Error::other)
}
