//! Object storage as a source
//! ([`StaticFiles::from_store`](crate::StaticFiles::from_store), feature
//! `store`): the files published to S3-compatible storage (or a `file://`
//! URL), read from the store on their first request and kept in memory
//! within the limits (ranges of larger ones are read as asked).

use std::io;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use rcollect_core::Config;
use rcollect_core::manifest::MANIFEST_NAME;

use super::load::Loaded;
use super::newer::Newer;
use super::{Origin, wrong_size};
use crate::asset::Rep;
use crate::error::Error;

/// The store `config` names, its published releases loaded (the live
/// manifest's names and those of the kept versions still in the store), and
/// the watcher of newer releases.
pub(crate) async fn load(config: &Config) -> Result<(Loaded, Newer), Error> {
    let storage = config.storage.as_ref().ok_or_else(|| {
        Error::setting(
            "static_root",
            "not an object-store URL (s3://bucket/prefix)",
        )
    })?;
    let store =
        rcollect_store::Store::open(storage)?.with_manifest_max_size(config.manifest_max_size);
    let published = store.published().await?;
    let label = format!("{}/{MANIFEST_NAME}", storage.url);
    let live = published
        .releases
        .live
        .as_ref()
        .ok_or_else(|| Error::MissingManifest {
            path: label.clone().into(),
        })?;
    if live.files.is_empty() && !live.paths.is_empty() {
        return Err(Error::manifest(
            Path::new(&label),
            "no `files` metadata (not written by rcollect)",
        ));
    }
    let root = Path::new("");
    let mut loaded = Loaded::from_manifest(root, Path::new(&label), live, false)?;
    loaded.add_versions(&published.releases, root, |key, size| {
        key.to_str().is_some_and(|k| published.has(k, Some(size)))
    });
    loaded.origin = Origin::Store(Arc::new(store.clone()));
    Ok((loaded, Newer::store(store, published.live_stamp.clone())))
}

/// The bytes of `rep`'s object, or of `range` of them; an object of
/// another size than the manifest records is an error (as on disk).
pub(crate) async fn read(
    store: &rcollect_store::Store,
    rep: &Rep,
    range: Option<Range<u64>>,
) -> io::Result<Bytes> {
    let key = rep.path.to_string_lossy();
    let want = range.as_ref().map_or(rep.len, |r| r.end - r.start);
    let (bytes, size) = match store.read(&key, range).await {
        Ok(Some(got)) => got,
        Ok(None) => {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{}: {key}: no such object", store.url()),
            ));
        }
        Err(e) => return Err(io::Error::other(e.to_string())),
    };
    if size != rep.len || bytes.len() as u64 != want {
        return Err(wrong_size(
            &format!("{}: {key}", store.url()),
            size,
            rep.len,
        ));
    }
    Ok(bytes)
}
