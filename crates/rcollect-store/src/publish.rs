//! Uploading a staged STATIC_ROOT: what is missing or changed, manifest last.
//!
//! Requests for a no-op publish: the `LIST` pages of the prefix and one
//! `GET` of the manifest; an unhashed object costs a `HEAD` only when its
//! listed ETag is not the MD5 of the local bytes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use bytes::Bytes;
use futures::StreamExt;
use md5::Md5;
use object_store::{Attribute, Attributes, GetOptions, PutOptions, PutPayload};
use rcollect_core::delta::delta_name;
use rcollect_core::hash::hex;
use rcollect_core::manifest::MANIFEST_NAME;
use rcollect_core::paths::path_in;
use rcollect_core::progress::{Phase, Progress};
use rcollect_core::{Manifest, history};
use sha2::{Digest, Sha256};

use crate::remote::Remote;
use crate::{Error, Result, Store};

/// `Cache-Control` of hashed names: their bytes never change.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of manifests.
const NO_CACHE: &str = "no-cache";
/// User metadata key holding the SHA-256 of an object's bytes.
const SHA256_KEY: &str = "sha256";

/// How to publish.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// Decide what would be uploaded, upload nothing.
    pub dry_run: bool,
    /// `max-age` for unhashed names (`[serve] max_age`).
    pub unhashed_max_age: u64,
}

impl Default for PublishOptions {
    fn default() -> Self {
        PublishOptions {
            dry_run: false,
            unhashed_max_age: 60,
        }
    }
}

/// What a publish did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishSummary {
    /// Objects the manifest needs (files, variants, unhashed copies).
    pub objects: usize,
    /// Objects uploaded (or, in a dry run, that would be).
    pub uploaded: usize,
    /// Bytes uploaded.
    pub uploaded_bytes: u64,
    /// Objects already in the store with the same content.
    pub unchanged: usize,
    /// Objects whose content had to be checked with a request of its own
    /// (a `HEAD` for its stored SHA-256) because the listing did not decide.
    pub checked: usize,
    /// Keys uploaded, sorted (the manifest and history not included).
    pub uploaded_keys: Vec<String>,
    /// Whether `staticfiles.json` was replaced.
    pub manifest_uploaded: bool,
    /// The history name the replaced manifest was kept under.
    pub history: Option<String>,
}

/// One object to have in the store.
#[derive(Debug)]
struct Job {
    key: String,
    file: PathBuf,
    size: u64,
    content_type: String,
    cache_control: String,
    /// `Content-Encoding`: a variant's or a delta's token.
    encoding: Option<&'static str>,
    /// Hashed names: key and size decide.
    immutable: bool,
}

enum Done {
    Unchanged,
    Uploaded(u64),
}

impl Store {
    /// Uploads the STATIC_ROOT `root` (a finished collect) to the store:
    /// see the [crate docs](crate) for what is uploaded and in which order.
    ///
    /// # Errors
    /// `root` has no manifest, a local file is unreadable, or a request
    /// fails after its retries (the error names the key). The store's
    /// manifest is then the previous one.
    pub async fn publish(
        &self,
        root: &Path,
        options: &PublishOptions,
        progress: Option<&dyn Progress>,
    ) -> Result<PublishSummary> {
        let manifest_path = root.join(MANIFEST_NAME);
        let local_manifest = match std::fs::read(&manifest_path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NothingToPublish(root.to_path_buf()));
            }
            Err(e) => return Err(rcollect_core::Error::io(&manifest_path, e).into()),
        };
        let manifest = Manifest::from_slice(&manifest_path, &local_manifest)?;
        let jobs = jobs(root, &manifest, options)?;
        let listed = self.list_all().await?;

        let mut summary = PublishSummary {
            objects: jobs.len(),
            ..PublishSummary::default()
        };
        if let Some(p) = progress {
            p.begin(Phase::Upload, jobs.len() as u64);
        }
        let checked = AtomicUsize::new(0);
        let results: Vec<(String, Result<Done>)> = futures::stream::iter(jobs)
            .map(|job| {
                let (listed, checked) = (&listed, &checked);
                async move {
                    let r = self
                        .ensure(&job, listed.get(&job.key), options.dry_run, checked)
                        .await;
                    if let Some(p) = progress {
                        p.advance(1);
                    }
                    (job.key, r)
                }
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        if let Some(p) = progress {
            p.end();
        }
        summary.checked = checked.into_inner();
        for (key, r) in results {
            match r? {
                Done::Unchanged => summary.unchanged += 1,
                Done::Uploaded(n) => {
                    summary.uploaded += 1;
                    summary.uploaded_bytes += n;
                    summary.uploaded_keys.push(key);
                }
            }
        }
        summary.uploaded_keys.sort();

        // Last: the manifest, after keeping the one it replaces.
        let remote_manifest = self.get_manifest(MANIFEST_NAME).await?;
        if remote_manifest.as_deref() != Some(&local_manifest[..]) {
            summary.manifest_uploaded = true;
            if let Some(old) = remote_manifest {
                let went_live = listed
                    .get(MANIFEST_NAME)
                    .map_or_else(SystemTime::now, |r| r.modified);
                // Stores keep whole seconds: two versions that went live in
                // the same second get the next free millisecond.
                let mut at = went_live;
                loop {
                    let name = history::name_at(at);
                    if !listed.contains_key(&name) {
                        if !options.dry_run {
                            self.put(&name, old, manifest_attributes(), None).await?;
                        }
                        summary.history = Some(name);
                        break;
                    }
                    if self.get_manifest(&name).await?.as_ref() == Some(&old) {
                        break; // kept already (a publish that failed after it)
                    }
                    at += std::time::Duration::from_millis(1);
                }
            }
            if !options.dry_run {
                let bytes = Bytes::from(local_manifest);
                self.put(MANIFEST_NAME, bytes, manifest_attributes(), None)
                    .await?;
            }
        }
        Ok(summary)
    }

    /// Makes sure the store has `job`'s object with the local content.
    async fn ensure(
        &self,
        job: &Job,
        remote: Option<&Remote>,
        dry_run: bool,
        checked: &AtomicUsize,
    ) -> Result<Done> {
        let same_size = remote.is_some_and(|r| r.size == job.size);
        if same_size && job.immutable {
            return Ok(Done::Unchanged);
        }
        let bytes = tokio::fs::read(&job.file)
            .await
            .map_err(|e| rcollect_core::Error::io(&job.file, e))?;
        let bytes = Bytes::from(bytes);
        let sha = hex(&Sha256::digest(&bytes));
        if same_size {
            // The listing's ETag is the MD5 of a single-PUT object: a match
            // needs no request. Otherwise, the SHA-256 in the metadata.
            let md5 = hex(&Md5::digest(&bytes));
            if remote.and_then(|r| r.e_tag.as_deref()) == Some(md5.as_str()) {
                return Ok(Done::Unchanged);
            }
            checked.fetch_add(1, Ordering::Relaxed);
            if self.remote_sha256(&job.key).await?.as_deref() == Some(sha.as_str()) {
                return Ok(Done::Unchanged);
            }
        }
        let len = bytes.len() as u64;
        if !dry_run {
            let mut attrs = Attributes::new();
            attrs.insert(Attribute::ContentType, job.content_type.clone().into());
            attrs.insert(Attribute::CacheControl, job.cache_control.clone().into());
            if let Some(token) = job.encoding {
                attrs.insert(Attribute::ContentEncoding, token.into());
            }
            self.put(&job.key, bytes, attrs, Some(sha)).await?;
        }
        Ok(Done::Uploaded(len))
    }

    /// The SHA-256 of an existing object: from its metadata on S3, from its
    /// bytes on a `file://` store.
    async fn remote_sha256(&self, key: &str) -> Result<Option<String>> {
        if !self.attributes {
            return Ok(self.get_bytes(key).await?.map(|b| hex(&Sha256::digest(&b))));
        }
        let head = GetOptions {
            head: true,
            ..GetOptions::default()
        };
        match self.inner.get_opts(&self.path(key), head).await {
            Ok(r) => Ok(r
                .attributes
                .get(&Attribute::Metadata(SHA256_KEY.into()))
                .map(|v| v.as_ref().to_string())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(source) => Err(self.object_error(key, source)),
        }
    }

    async fn put(
        &self,
        key: &str,
        bytes: Bytes,
        mut attrs: Attributes,
        sha256: Option<String>,
    ) -> Result<()> {
        if self.attributes {
            let sha = sha256.unwrap_or_else(|| hex(&Sha256::digest(&bytes)));
            attrs.insert(Attribute::Metadata(SHA256_KEY.into()), sha.into());
        } else {
            attrs = Attributes::new();
        }
        let opts = PutOptions {
            attributes: attrs,
            ..PutOptions::default()
        };
        self.inner
            .put_opts(&self.path(key), PutPayload::from(bytes), opts)
            .await
            .map(|_| ())
            .map_err(|source| self.object_error(key, source))
    }
}

fn manifest_attributes() -> Attributes {
    let mut a = Attributes::new();
    a.insert(Attribute::ContentType, "application/json".into());
    a.insert(Attribute::CacheControl, NO_CACHE.into());
    a
}

/// Every object the manifest needs, with its headers.
fn jobs(root: &Path, m: &Manifest, options: &PublishOptions) -> Result<Vec<Job>> {
    let short = format!("public, max-age={}", options.unhashed_max_age);
    let file_of = |name: &str| path_in(root, name);
    let mut jobs = Vec::new();
    let mut seen: HashMap<&str, ()> = HashMap::new();
    for (logical, hashed) in &m.paths {
        let Some(meta) = m.files.get(hashed) else {
            return Err(rcollect_core::Error::Manifest {
                path: root.join(MANIFEST_NAME),
                message: format!("'{hashed}' has no entry in files (not an rcollect manifest?)"),
            }
            .into());
        };
        let mut names = Vec::new();
        if seen.insert(hashed, ()).is_none() {
            names.push((hashed.as_str(), true));
        }
        if m.keep_unhashed && logical != hashed {
            names.push((logical.as_str(), false));
        }
        for (name, immutable) in names {
            let cache_control = if immutable { IMMUTABLE } else { &short };
            jobs.push(Job {
                key: name.to_string(),
                file: file_of(hashed),
                size: meta.size,
                content_type: meta.content_type.clone(),
                cache_control: cache_control.to_string(),
                encoding: None,
                immutable,
            });
            for (enc, size) in &meta.variants {
                let suffix = enc.suffix();
                if !immutable && m.paths.contains_key(&format!("{name}{suffix}")) {
                    continue; // a source file of that name (a shipped `.gz`) wins
                }
                jobs.push(Job {
                    key: format!("{name}{suffix}"),
                    file: file_of(&format!("{hashed}{suffix}")),
                    size: *size,
                    content_type: meta.content_type.clone(),
                    cache_control: cache_control.to_string(),
                    encoding: Some(enc.token()),
                    immutable,
                });
            }
            // Deltas (RFC 9842) only under the hashed name: a client asks for
            // one by the name it holds a dictionary for.
            if !immutable {
                continue;
            }
            for (dictionary, delta) in &meta.deltas {
                for (coding, size) in &delta.encodings {
                    let key = delta_name(hashed, dictionary, *coding);
                    jobs.push(Job {
                        file: file_of(&key),
                        key,
                        size: *size,
                        content_type: meta.content_type.clone(),
                        cache_control: IMMUTABLE.to_string(),
                        encoding: Some(coding.token()),
                        immutable: true,
                    });
                }
            }
        }
    }
    Ok(jobs)
}
