//! Serving from object storage (`StaticFiles::from_store`): two
//! releases collected and published to a store, the staging dir deleted,
//! then the middleware on a real socket reads every byte from the store:
//! negotiation, deltas, the previous release, ranges, 304, a variant missing
//! in the store, and the no-store 404. Against a `file://` store (always)
//! and an S3 server (`#[ignore]`d; `.ci/run` starts moto).

use super::common::*;
use super::deltas::{available, bundle};
use rcollect_core::Manifest;
use rcollect_core::config::StorageConfig;
use rcollect_core::delta::DeltaCoding;
use rcollect_store::{PublishOptions, Store};
use tower_rcollect::StaticFiles;

fn storage(url: &str) -> StorageConfig {
    StorageConfig {
        url: url.to_string(),
        endpoint: None,
        region: None,
        allow_http: None,
        access_key_id: None,
        secret_access_key: None,
        session_token: None,
        virtual_hosted_style_request: None,
        concurrency: 8,
        retries: 2,
    }
}

/// What two published releases left in the store.
struct Published {
    config: rcollect_core::Config,
    store: Store,
    old_url: String,
    new_url: String,
    new_hashed: String,
    old_sha: [u8; 32],
}

/// Collects and publishes `js/app.js` twice (version 1, then 2), with a
/// stylesheet, then deletes the staging dir.
async fn two_releases(dir: &std::path::Path, url: &str) -> Published {
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("js")).expect("mkdir");
    std::fs::create_dir_all(src.join("css")).expect("mkdir");
    std::fs::write(
        src.join("css/site.css"),
        "body { color: #333; margin: 0 auto; }\n".repeat(100),
    )
    .expect("css");
    let mut config = collect_config(dir, src.clone());
    config.storage = Some(storage(url));
    let store = Store::open(config.storage.as_ref().expect("storage")).expect("open");
    let mut urls = Vec::new();
    for v in [1, 2] {
        std::fs::write(src.join("js/app.js"), bundle(v)).expect("write");
        rcollect_core::collect::collect(&config, &Default::default()).expect("collect");
        store
            .publish(&config.static_root, &PublishOptions::default(), None)
            .await
            .expect("publish");
        let m = Manifest::load(
            &config.static_root,
            rcollect_core::manifest::MAX_MANIFEST_BYTES,
        )
        .expect("load")
        .expect("manifest");
        urls.push(m.paths["js/app.js"].clone());
        // Stores keep whole seconds; history names are by the millisecond.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    std::fs::remove_dir_all(&config.static_root).expect("rm staging");
    let old_sha: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(bundle(1).as_bytes()).into();
    Published {
        config,
        store,
        old_url: format!("/static/{}", urls[0]),
        new_url: format!("/static/{}", urls[1]),
        new_hashed: urls[1].clone(),
        old_sha,
    }
}

async fn object(store: &Store, key: &str) -> Vec<u8> {
    store
        .read(key, None)
        .await
        .expect("read")
        .unwrap_or_else(|| panic!("{key} is not in the store"))
        .0
        .to_vec()
}

const ALL: &str = "gzip, deflate, br, zstd, dcb, dcz";

async fn serves_everything_from_the_store(url: &str, dir: &std::path::Path) {
    let p = two_releases(dir, url).await;
    let files = StaticFiles::from_store(&p.config)
        .await
        .expect("from_store");
    assert!(!p.config.static_root.exists(), "nothing on disk");
    let addr = serve(files.clone()).await;
    let new = bundle(2);

    // br, from the store, with the headers of disk mode.
    let r = get(addr, &p.new_url, &[("Accept-Encoding", "br")]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), Some("br"));
    assert_eq!(
        r.body,
        object(&p.store, &format!("{}.br", p.new_hashed)).await
    );
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(
        r.header("use-as-dictionary"),
        Some(r#"match="/static/js/app.:hash.js""#)
    );
    let etag = r.header("etag").expect("etag").to_string();
    let r = get(
        addr,
        &p.new_url,
        &[("Accept-Encoding", "br"), ("If-None-Match", &etag)],
    )
    .await;
    assert_eq!(r.status, 304);

    // A returning visitor holding version 1: the delta, which decodes.
    let r = get(
        addr,
        &p.new_url,
        &[
            ("Accept-Encoding", ALL),
            ("Available-Dictionary", &available(&p.old_sha)),
        ],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), Some("dcb"));
    assert_eq!(
        r.header("vary"),
        Some("Accept-Encoding, Available-Dictionary")
    );
    let back = rcollect_core::compress::verify::decode_delta(
        DeltaCoding::Dcb,
        bundle(1).as_bytes(),
        &p.old_sha,
        &r.body,
        new.len(),
    )
    .expect("decode");
    assert_eq!(back, new.as_bytes());

    // The previous release's name (a page of an older instance) still works.
    let r = get(addr, &p.old_url, &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, bundle(1).as_bytes());

    // Ranges of the identity bytes.
    let r = get(addr, &p.new_url, &[("Range", "bytes=7-16")]).await;
    assert_eq!(r.status, 206);
    assert_eq!(r.body, new.as_bytes()[7..=16]);

    // An unknown hashed name: 404 that no CDN may keep.
    let r = get(addr, "/static/js/app.0123456789ab.js", &[]).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("cache-control"), Some("no-store"));

    // The unhashed name of a file is served too, with the short max-age.
    let r = get(addr, "/static/css/site.css", &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cache-control"), Some("public, max-age=60"));
}

/// Files above `memory_max_file` are read from the store one range at a
/// time, and a variant missing in the store is no longer offered: the
/// client gets the next encoding.
async fn large_files_by_range_and_a_missing_variant(url: &str, dir: &std::path::Path) {
    let mut p = two_releases(dir, url).await;
    p.config.serve.memory_max_file = 16;
    let files = StaticFiles::from_store(&p.config)
        .await
        .expect("from_store");
    let addr = serve(files).await;
    let new = bundle(2);
    for _ in 0..2 {
        let r = get(addr, &p.new_url, &[("Range", "bytes=100-199")]).await;
        assert_eq!(r.status, 206);
        assert_eq!(r.body, new.as_bytes()[100..200]);
        let r = get(addr, &p.new_url, &[]).await;
        assert_eq!(r.body, new.as_bytes());
    }
    // Nothing of it was kept in memory: other bytes of the same size put
    // behind the server's back are what the next range read returns. (Of
    // another size, the object is refused: 500 for the identity.)
    let upper = new.to_uppercase();
    put_object(url, &p.new_hashed, upper.as_bytes()).await;
    let r = get(addr, &p.new_url, &[("Range", "bytes=100-199")]).await;
    assert_eq!(r.status, 206);
    assert_eq!(r.body, upper.as_bytes()[100..200]);
    put_object(url, &p.new_hashed, &upper.as_bytes()[1..]).await;
    let r = get(addr, &p.new_url, &[("Range", "bytes=100-199")]).await;
    assert_eq!(r.status, 500);
    put_object(url, &p.new_hashed, new.as_bytes()).await;
    // Take the gzip variant away behind the server's back.
    let gz = format!("{}.gz", p.new_hashed);
    assert!(p.store.read(&gz, None).await.expect("read").is_some());
    remove_object(url, &gz).await;
    let r = get(addr, &p.new_url, &[("Accept-Encoding", "gzip")]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), None, "identity instead");
    assert_eq!(r.body, new.as_bytes());
}

/// Deletes `key` under the store URL `url` (`file://` or `s3://`) with a
/// client of its own.
async fn remove_object(url: &str, key: &str) {
    if let Some(path) = url.strip_prefix("file://") {
        std::fs::remove_file(std::path::Path::new(path).join(key)).expect("rm object");
        return;
    }
    let (s3, path) = s3_object(url, key);
    object_store::ObjectStore::delete(&s3, &path)
        .await
        .expect("delete");
}

/// Replaces `key` under the store URL `url` with `bytes`.
async fn put_object(url: &str, key: &str, bytes: &[u8]) {
    if let Some(path) = url.strip_prefix("file://") {
        std::fs::write(std::path::Path::new(path).join(key), bytes).expect("write object");
        return;
    }
    let (s3, path) = s3_object(url, key);
    object_store::ObjectStore::put(&s3, &path, bytes.to_vec().into())
        .await
        .expect("put");
}

/// A client of its own for the S3 URL `url`, and the path of `key` under it.
fn s3_object(url: &str, key: &str) -> (object_store::aws::AmazonS3, object_store::path::Path) {
    let rest = url.strip_prefix("s3://").expect("s3 URL");
    let (bucket, prefix) = rest.split_once('/').expect("bucket/prefix");
    let s3 = object_store::aws::AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .build()
        .expect("S3 client");
    (s3, format!("{prefix}/{key}").into())
}

#[tokio::test]
async fn file_store_serves_everything_from_the_store() {
    let t = tempfile::tempdir().expect("tempdir");
    let url = format!("file://{}/site", t.path().display());
    serves_everything_from_the_store(&url, t.path()).await;
}

#[tokio::test]
async fn file_store_large_files_by_range_and_a_missing_variant() {
    let t = tempfile::tempdir().expect("tempdir");
    let url = format!("file://{}/site", t.path().display());
    large_files_by_range_and_a_missing_variant(&url, t.path()).await;
}

/// A rolling deploy from one store: an instance started on release 1, and
/// one started after release 2 was published. A page of either loads every
/// asset (and what its CSS and JS name) from the other: the new instance
/// serves release 1's names from the store's history, the old one finds
/// release 2's names in the store's new live manifest.
async fn rolling_deploy_from_one_store(url: &str, dir: &std::path::Path) {
    use super::rolling::{pages_load_from_each_other, release};
    let src = dir.join("src");
    let mut config = collect_config(dir, src.clone());
    config.storage = Some(storage(url));
    let store = Store::open(config.storage.as_ref().expect("storage")).expect("open");
    let publish = |v: u32| {
        release(&src, v);
        rcollect_core::collect::collect(&config, &Default::default()).expect("collect");
        let store = store.clone();
        let root = config.static_root.clone();
        async move {
            store
                .publish(&root, &PublishOptions::default(), None)
                .await
                .expect("publish");
        }
    };
    publish(1).await;
    let old = StaticFiles::from_store(&config).await.expect("old");
    let old_addr = serve(old.clone()).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    publish(2).await;
    std::fs::remove_dir_all(&config.static_root).expect("rm staging");
    let new = StaticFiles::from_store(&config).await.expect("new");
    let new_addr = serve(new.clone()).await;

    // A page of the new release loads its assets in parallel: the old
    // instance's first requests for them all wait for its one look at the
    // store, none gets the 404.
    let new_urls = super::rolling::page_urls(&new, new_addr).await;
    let burst: Vec<_> = new_urls
        .iter()
        .cloned()
        .map(|u| tokio::spawn(async move { get(old_addr, &u, &[]).await.status }))
        .collect();
    for (u, status) in new_urls.iter().zip(burst) {
        assert_eq!(
            status.await.expect("join"),
            200,
            "{u}, in parallel, from the old instance"
        );
    }

    pages_load_from_each_other(&old, old_addr, &new, new_addr).await;
}

#[tokio::test]
async fn file_store_rolling_deploy() {
    let t = tempfile::tempdir().expect("tempdir");
    let url = format!("file://{}/site", t.path().display());
    rolling_deploy_from_one_store(&url, t.path()).await;
}

#[tokio::test]
#[ignore = "needs an S3 server: scripts/s3/moto.sh; .ci/run runs it"]
async fn s3_rolling_deploy() {
    let t = tempfile::tempdir().expect("tempdir");
    rolling_deploy_from_one_store(&s3_url("rolling"), t.path()).await;
}

/// An S3 URL of a prefix of its own, from the environment `.ci/run` sets
/// (`scripts/s3/moto.sh`); a missing server is a failure, not a skip.
fn s3_url(test: &str) -> String {
    let bucket = std::env::var("RCOLLECT_TEST_S3_BUCKET").unwrap_or_else(|_| {
        panic!("{test}: RCOLLECT_TEST_S3_BUCKET / AWS_ENDPOINT_URL are not set: start scripts/s3/moto.sh and source its env (.ci/run does)")
    });
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    format!("s3://{bucket}/{test}-{}-{nanos}/static", std::process::id())
}

#[tokio::test]
#[ignore = "needs an S3 server: scripts/s3/moto.sh; .ci/run runs it"]
async fn s3_serves_everything_from_the_store() {
    let t = tempfile::tempdir().expect("tempdir");
    serves_everything_from_the_store(&s3_url("serve"), t.path()).await;
}

#[tokio::test]
#[ignore = "needs an S3 server: scripts/s3/moto.sh; .ci/run runs it"]
async fn s3_large_files_by_range_and_a_missing_variant() {
    let t = tempfile::tempdir().expect("tempdir");
    large_files_by_range_and_a_missing_variant(&s3_url("ranges"), t.path()).await;
}
