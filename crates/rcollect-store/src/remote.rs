//! Reading the store: listing, manifests, and `clean`.

use std::collections::HashMap;
use std::ops::Range;
use std::time::SystemTime;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::{GetOptions, ObjectMeta};
use rcollect_core::Manifest;
use rcollect_core::clean::{self, CleanOptions, CleanPlan, Object};
use rcollect_core::history::is_history_name;
use rcollect_core::manifest::MANIFEST_NAME;

use crate::{Error, Result, Store};

/// An object under the prefix.
#[derive(Debug, Clone)]
pub(crate) struct Remote {
    pub(crate) size: u64,
    pub(crate) modified: SystemTime,
    /// The ETag without quotes: the MD5 of the bytes for objects uploaded
    /// in one `PUT` on S3 and the stores tested (moto, Swift), something
    /// else with SSE-KMS, multipart uploads or a `file://` store.
    pub(crate) e_tag: Option<String>,
}

/// What a store holds: its releases and the size of every object, by key
/// relative to the prefix. See [`Store::published`].
#[derive(Debug, Default)]
pub struct Published {
    /// The live manifest, when it went live, and the kept versions.
    pub releases: rcollect_core::history::Releases,
    /// The size of every object, by key relative to the prefix.
    pub sizes: HashMap<String, u64>,
    /// What identifies the live manifest object as listed (to tell a
    /// newer one from it without reading it: [`Store::stamp`]).
    pub live_stamp: Option<ObjectStamp>,
}

/// What identifies a version of an object without reading it: its ETag
/// when the store gives one, its size and modification time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectStamp {
    e_tag: Option<String>,
    size: u64,
    modified: SystemTime,
}

impl ObjectStamp {
    fn of(r: &Remote) -> ObjectStamp {
        ObjectStamp {
            e_tag: r.e_tag.clone(),
            size: r.size,
            modified: r.modified,
        }
    }
}

impl Published {
    /// Whether an object of this key (and, if given, size) is there.
    pub fn has(&self, key: &str, size: Option<u64>) -> bool {
        self.sizes
            .get(key)
            .is_some_and(|s| size.is_none_or(|want| *s == want))
    }
}

/// A manifest version in the store: `staticfiles.json` or a history name.
#[derive(Debug)]
pub(crate) struct Version {
    pub(crate) name: String,
    pub(crate) manifest: Manifest,
    pub(crate) bytes: Bytes,
}

/// The manifest versions in the store, with their bytes, newest first
/// (the live one first).
#[derive(Debug, Default)]
pub(crate) struct Versions {
    pub(crate) readable: Vec<Version>,
    /// History versions that could not be read: (name, the error).
    pub(crate) unreadable: Vec<(String, rcollect_core::Error)>,
}

impl Versions {
    /// As [`Releases`](rcollect_core::history::Releases), the bytes
    /// dropped; the live manifest went live at `live_since`.
    pub(crate) fn into_releases(
        self,
        live_since: Option<SystemTime>,
    ) -> rcollect_core::history::Releases {
        use rcollect_core::history::{Releases, Version as Kept};
        let mut releases = Releases {
            live_since,
            ..Releases::default()
        };
        let mut history: Vec<Kept> = Vec::new();
        for v in self.readable {
            if v.name == MANIFEST_NAME {
                releases.live = Some(v.manifest);
            } else {
                history.push(Kept {
                    name: v.name,
                    manifest: Ok(v.manifest),
                });
            }
        }
        history.extend(self.unreadable.into_iter().map(|(name, e)| Kept {
            name,
            manifest: Err(e),
        }));
        // Newest first, readable or not.
        history.sort_by(|a, b| b.name.cmp(&a.name));
        releases.history = history;
        releases
    }
}

impl Store {
    /// Every object under the prefix, by key relative to it.
    pub(crate) async fn list_all(&self) -> Result<HashMap<String, Remote>> {
        let prefix = (!self.prefix.as_ref().is_empty()).then_some(&self.prefix);
        let metas: Vec<ObjectMeta> =
            self.inner
                .list(prefix)
                .try_collect()
                .await
                .map_err(|source| Error::List {
                    url: self.url.clone(),
                    source,
                })?;
        let strip = if self.prefix.as_ref().is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix.as_ref())
        };
        Ok(metas
            .into_iter()
            .filter_map(|m| {
                let key = m
                    .location
                    .as_ref()
                    .strip_prefix(strip.as_str())?
                    .to_string();
                let remote = Remote {
                    size: m.size,
                    modified: m.last_modified.into(),
                    e_tag: m.e_tag.map(|t| t.trim_matches('"').to_ascii_lowercase()),
                };
                Some((key, remote))
            })
            .collect())
    }

    /// The bytes of an object, `None` if there is none.
    pub(crate) async fn get_bytes(&self, key: &str) -> Result<Option<Bytes>> {
        let got = self.inner.get(&self.path(key)).await;
        let got = match got {
            Ok(g) => g.bytes().await,
            Err(e) => Err(e),
        };
        match got {
            Ok(b) => Ok(Some(b)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(source) => Err(self.object_error(key, source)),
        }
    }

    /// The bytes of the object `key`, or of `range` of them, and the
    /// object's whole size; `None` if there is no such object. For serving
    /// the files from the store.
    ///
    /// # Errors
    /// The request fails (after the client's retries).
    pub async fn read(&self, key: &str, range: Option<Range<u64>>) -> Result<Option<(Bytes, u64)>> {
        let options = GetOptions {
            range: range.map(Into::into),
            ..GetOptions::default()
        };
        let got = match self.inner.get_opts(&self.path(key), options).await {
            Ok(r) => {
                let size = r.meta.size;
                r.bytes().await.map(|b| (b, size))
            }
            Err(e) => Err(e),
        };
        match got {
            Ok(got) => Ok(Some(got)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(source) => Err(self.object_error(key, source)),
        }
    }

    /// What a server needs to serve the files from the store: the live
    /// manifest and the kept versions (newest first), when the live one
    /// went live, and the size of every object. One `LIST` and a `GET` per
    /// manifest version.
    ///
    /// # Errors
    /// Listing or reading the live manifest fails, or it is invalid.
    pub async fn published(&self) -> Result<Published> {
        let objects = self.list_all().await?;
        let versions = self.versions(&objects).await?;
        let live = objects.get(MANIFEST_NAME);
        let (live_since, live_stamp) = (live.map(|r| r.modified), live.map(ObjectStamp::of));
        Ok(Published {
            releases: versions.into_releases(live_since),
            sizes: objects.into_iter().map(|(k, r)| (k, r.size)).collect(),
            live_stamp,
        })
    }

    /// The stamp of the object `key` (one `HEAD`), `None` if there is none:
    /// equal stamps mean the same version, so a watcher reads an object
    /// again only when it changed.
    ///
    /// # Errors
    /// The request fails (after the client's retries).
    pub async fn stamp(&self, key: &str) -> Result<Option<ObjectStamp>> {
        match self.inner.head(&self.path(key)).await {
            Ok(m) => Ok(Some(ObjectStamp {
                e_tag: m.e_tag.map(|t| t.trim_matches('"').to_ascii_lowercase()),
                size: m.size,
                modified: m.last_modified.into(),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(source) => Err(self.object_error(key, source)),
        }
    }

    /// `rcollect check --skew` on the store: the hashed URLs the pages of
    /// the `previous` newest releases name that are not in the store any
    /// more (removed by `clean`) or outside the `[serve]` history retention
    /// ([`rcollect_core::checks::skew_findings`]), and the versions that
    /// cannot be read. Nothing published yet: no findings.
    ///
    /// # Errors
    /// Listing or reading the live manifest fails.
    pub async fn check_skew(
        &self,
        config: &rcollect_core::Config,
        previous: usize,
        now: SystemTime,
    ) -> Result<Vec<rcollect_core::checks::Finding>> {
        let published = self.published().await?;
        let present = |key: &str, size: Option<u64>| published.has(key, size);
        Ok(rcollect_core::checks::skew_findings(
            config,
            &published.releases,
            &present,
            &self.url,
            previous,
            now,
        ))
    }

    pub(crate) fn object_error(&self, key: &str, source: object_store::Error) -> Error {
        Error::Object {
            url: self.url.clone(),
            key: key.to_string(),
            source,
        }
    }

    /// The live manifest in the store (what the middleware needs for
    /// `static_url` when the files are served from a CDN), `None` when
    /// nothing was published yet.
    ///
    /// # Errors
    /// The request fails, or the manifest is too large or invalid.
    pub async fn manifest(&self) -> Result<Option<Manifest>> {
        match self.get_manifest(MANIFEST_NAME).await? {
            None => Ok(None),
            Some(b) => Ok(Some(Manifest::from_slice(
                std::path::Path::new(&self.label(MANIFEST_NAME)),
                &b,
            )?)),
        }
    }

    /// `url/key`, how errors name an object.
    fn label(&self, key: &str) -> String {
        format!("{}/{key}", self.url)
    }

    /// The bytes of the manifest object `key`, `None` if there is none. An
    /// object larger than `manifest_max_size` is an error, found from its
    /// size before its body is read.
    pub(crate) async fn get_manifest(&self, key: &str) -> Result<Option<Bytes>> {
        let got = match self.inner.get(&self.path(key)).await {
            Ok(g) => g,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(source) => return Err(self.object_error(key, source)),
        };
        if got.meta.size > self.max_manifest_bytes {
            return Err(rcollect_core::Error::Manifest {
                path: self.label(key).into(),
                message: format!(
                    "{} bytes, larger than manifest_max_size ({} bytes)",
                    got.meta.size, self.max_manifest_bytes
                ),
            }
            .into());
        }
        match got.bytes().await {
            Ok(b) => Ok(Some(b)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(source) => Err(self.object_error(key, source)),
        }
    }

    /// The live manifest and the kept versions, newest first, with their
    /// bytes. A history version that cannot be read (too large, invalid)
    /// is listed in `unreadable`, never taken as naming nothing.
    pub(crate) async fn versions(&self, objects: &HashMap<String, Remote>) -> Result<Versions> {
        let mut out = Versions::default();
        if let Some(bytes) = self.get_manifest(MANIFEST_NAME).await? {
            let label = self.label(MANIFEST_NAME);
            let manifest = Manifest::from_slice(std::path::Path::new(&label), &bytes)?;
            out.readable.push(Version {
                name: MANIFEST_NAME.to_string(),
                manifest,
                bytes,
            });
        }
        let mut names: Vec<&String> = objects.keys().filter(|k| is_history_name(k)).collect();
        names.sort();
        for name in names.into_iter().rev() {
            let bytes = match self.get_manifest(name).await {
                Ok(Some(b)) => b,
                Ok(None) => continue, // removed meanwhile
                Err(Error::Core(e)) => {
                    out.unreadable.push((name.clone(), e));
                    continue;
                }
                Err(e) => return Err(e),
            };
            let label = self.label(name);
            match Manifest::from_slice(std::path::Path::new(&label), &bytes) {
                Ok(manifest) => out.readable.push(Version {
                    name: name.clone(),
                    manifest,
                    bytes,
                }),
                Err(e) => out.unreadable.push((name.clone(), e)),
            }
        }
        Ok(out)
    }

    /// `rcollect clean` on the store: removes the objects no manifest among
    /// the `options.keep` newest versions names (and older than
    /// `options.older_than`), with the rules of [`rcollect_core::clean`].
    /// With `dry_run`, only decides.
    ///
    /// # Errors
    /// Listing, reading a manifest or a delete fails; a manifest version
    /// that cannot be read refuses the clean (nothing is removed).
    pub async fn clean(&self, options: CleanOptions, dry_run: bool) -> Result<CleanPlan> {
        let objects = self.list_all().await?;
        let live_since = objects.get(MANIFEST_NAME).map(|r| r.modified);
        let releases = self.versions(&objects).await?.into_releases(live_since);
        let listed: Vec<Object> = objects
            .iter()
            .map(|(k, r)| Object {
                key: k.clone(),
                modified: r.modified,
            })
            .collect();
        let plan = clean::plan(&self.url, &releases, &listed, options, SystemTime::now())?;
        if !dry_run {
            let paths = futures::stream::iter(plan.remove.iter().map(|k| Ok(self.path(k)))).boxed();
            let mut deleted = self.inner.delete_stream(paths);
            while let Some(r) = deleted.next().await {
                match r {
                    Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(source) => return Err(self.object_error("(delete)", source)),
                }
            }
        }
        Ok(plan)
    }
}
