//! End-to-end tests of publishing to object storage: the real binary against
//! a real S3-compatible server on 127.0.0.1.
//!
//! The server comes from the environment that `scripts/s3/moto.sh` or
//! `scripts/s3/swift.sh` writes (`AWS_ENDPOINT_URL`, keys,
//! `RCOLLECT_TEST_S3_BUCKET`). The tests that need it are `#[ignore]`d, so
//! a plain `cargo test` reports them as ignored (never as `ok`); `.ci/run`
//! starts moto and runs them with `--ignored`, where a missing server is a
//! failure. The `file://` tests always run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as StorePath;
use object_store::{Attribute, GetOptions, ObjectStore};
use serde_json::Value;

use crate::common as support;
use support::{run, sha256_hex, write};

/// The S3 server and a prefix of its own for one test.
struct S3 {
    store: Box<dyn ObjectStore>,
    bucket: String,
    prefix: String,
}

/// Why the S3 tests are ignored by default.
const NEEDS_S3: &str = "needs an S3 server: scripts/s3/moto.sh start DIR, source DIR/env, run with --ignored (.ci/run does)";

fn s3(test: &str) -> S3 {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").ok();
    let bucket = std::env::var("RCOLLECT_TEST_S3_BUCKET").ok();
    let (Some(_), Some(bucket)) = (endpoint, bucket) else {
        panic!("{test}: AWS_ENDPOINT_URL / RCOLLECT_TEST_S3_BUCKET are not set ({NEEDS_S3})");
    };
    let store = AmazonS3Builder::from_env()
        .with_bucket_name(&bucket)
        .build()
        .expect("S3 client from the environment");
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    S3 {
        store: Box::new(store),
        bucket,
        prefix: format!("{test}-{}-{nanos}/static", std::process::id()),
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

impl S3 {
    fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }

    fn path(&self, key: &str) -> StorePath {
        StorePath::from(format!("{}/{key}", self.prefix))
    }

    /// Key → size of everything under the prefix.
    fn list(&self) -> BTreeMap<String, u64> {
        let prefix = StorePath::from(self.prefix.as_str());
        let metas: Vec<_> = rt()
            .block_on(self.store.list(Some(&prefix)).try_collect::<Vec<_>>())
            .expect("list");
        metas
            .into_iter()
            .map(|m| {
                let key = m.location.as_ref()[self.prefix.len() + 1..].to_string();
                (key, m.size)
            })
            .collect()
    }

    fn get(&self, key: &str) -> Vec<u8> {
        rt().block_on(async {
            let r = self.store.get(&self.path(key)).await.expect("get");
            r.bytes().await.expect("bytes").to_vec()
        })
    }

    /// The headers (as object_store attributes) of an object.
    fn head(&self, key: &str) -> BTreeMap<String, String> {
        let opts = GetOptions {
            head: true,
            ..GetOptions::default()
        };
        let r = rt()
            .block_on(self.store.get_opts(&self.path(key), opts))
            .expect("head");
        r.attributes
            .iter()
            .map(|(k, v)| {
                let name = match k {
                    Attribute::ContentType => "content-type".to_string(),
                    Attribute::CacheControl => "cache-control".to_string(),
                    Attribute::ContentEncoding => "content-encoding".to_string(),
                    Attribute::Metadata(m) => format!("meta-{m}"),
                    other => format!("{other:?}"),
                };
                (name, v.as_ref().to_string())
            })
            .collect()
    }

    fn manifest(&self) -> Value {
        serde_json::from_slice(&self.get("staticfiles.json")).expect("manifest json")
    }
}

/// A small project whose static_root is `url`.
fn project(url: &str, storage_extra: &str) -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    write(
        &d.join("rcollect.toml"),
        format!(
            "static_url = \"https://cdn.example.com/static/\"\nstatic_root = \"{url}\"\ndirs = [\"assets\"]\n[storage]\nstaging = \"stage\"\n{storage_extra}\n"
        ),
    );
    let filler = "body { margin: 0; padding: 0; color: #333; }\n".repeat(40);
    write(
        &d.join("assets/css/app.css"),
        format!("@import \"base.css\";\n.logo {{ background: url(../img/logo.svg); }}\n{filler}"),
    );
    write(
        &d.join("assets/css/base.css"),
        format!("html {{ font: 16px serif; }}\n{filler}"),
    );
    write(
        &d.join("assets/img/logo.svg"),
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><!-- {} --></svg>\n",
            "v1 ".repeat(200)
        ),
    );
    write(
        &d.join("assets/js/main.js"),
        format!(
            "import {{ f }} from \"./util.js\";\nf();\n{}",
            "// padding\n".repeat(50)
        ),
    );
    write(
        &d.join("assets/js/util.js"),
        "export function f() { return 1; }\n",
    );
    write(
        &d.join("assets/img/photo.png"),
        [0x89u8, b'P', b'N', b'G', 1, 2, 3],
    );
    t
}

/// A project whose static_root is a `file://` store in a temp dir of its
/// own: (that dir, the store URL, the project, the store's directory).
fn file_store_project() -> (tempfile::TempDir, String, tempfile::TempDir, PathBuf) {
    let target = tempfile::tempdir().expect("tempdir");
    let url = format!("file://{}/site", target.path().display());
    let p = project(&url, "");
    let site = target.path().join("site");
    (target, url, p, site)
}

/// The live manifest of a `file://` store's directory.
fn live_manifest(site: &Path) -> Value {
    let bytes = std::fs::read(site.join("staticfiles.json")).expect("live manifest");
    serde_json::from_slice(&bytes).expect("manifest json")
}

/// Changes `js/util.js` and publishes again; the `publish` summary.
fn publish_a_change(dir: &Path) -> Value {
    write(
        &dir.join("assets/js/util.js"),
        "export function f() { return 2; }\n",
    );
    publish(dir)
}

/// `collectstatic --format json` (cache inside the project); asserts success
/// and returns the `publish` part of the summary.
fn publish(dir: &Path) -> Value {
    collect_json(dir)["publish"].clone()
}

/// `collectstatic --format json` (cache inside the project); asserts success
/// and returns the summary.
fn collect_json(dir: &Path) -> Value {
    let cache = dir.join("cache");
    let out = run(
        dir,
        &[
            "collectstatic",
            "--no-input",
            "--format",
            "json",
            "--cache-dir",
            cache.to_str().expect("utf8"),
        ],
    );
    assert!(
        out.status.success(),
        "collectstatic failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json summary")
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|k| k.as_str().expect("str").to_string())
        .collect()
}

/// Every key a manifest names: hashed files, their variants, and (kept
/// unhashed) the original names and their variants.
fn named(m: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let files = m["files"].as_object().expect("files");
    for (logical, hashed) in m["paths"].as_object().expect("paths") {
        let hashed = hashed.as_str().expect("str");
        let meta = &files[hashed];
        for name in [hashed, logical.as_str()] {
            out.insert(name.to_string());
            for enc in meta["variants"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(e, _)| e)
            {
                let suffix = match enc.as_str() {
                    "br" => ".br",
                    "gzip" => ".gz",
                    "zstd" => ".zst",
                    other => panic!("unknown encoding {other}"),
                };
                out.insert(format!("{name}{suffix}"));
            }
        }
    }
    out
}

#[test]
#[ignore = "needs an S3 server (see NEEDS_S3); .ci/run runs it"]
fn first_publish_then_no_op_then_one_change() {
    let s3 = s3("publish");
    let p = project(&s3.url(), "");
    let d = p.path();

    // 1. First publish: everything, manifest last.
    let first = publish(d);
    let total = first["objects"].as_u64().expect("objects");
    assert!(total > 10, "{first}");
    assert_eq!(first["uploaded"], total, "{first}");
    assert_eq!(first["manifest_uploaded"], true);
    assert_eq!(first["history"], Value::Null);
    let listed = s3.list();
    let m1 = s3.manifest();
    let want = named(&m1);
    for k in &want {
        assert!(
            listed.contains_key(k),
            "manifest names {k}, which is not in the store"
        );
    }
    // Sizes and content of what was uploaded match the staging dir.
    for (hashed, meta) in m1["files"].as_object().expect("files") {
        assert_eq!(
            listed[hashed],
            meta["size"].as_u64().expect("size"),
            "{hashed}"
        );
    }

    // Metadata on objects.
    let css = m1["paths"]["css/app.css"]
        .as_str()
        .expect("css")
        .to_string();
    let h = s3.head(&css);
    assert_eq!(h["content-type"], "text/css; charset=utf-8");
    assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(h["meta-sha256"], sha256_hex(&s3.get(&css)));
    assert!(!h.contains_key("content-encoding"));
    let br = s3.head(&format!("{css}.br"));
    assert_eq!(br["content-encoding"], "br");
    assert_eq!(br["content-type"], "text/css; charset=utf-8");
    let plain = s3.head("css/app.css");
    assert_eq!(plain["cache-control"], "public, max-age=60");
    assert_eq!(s3.get("css/app.css"), s3.get(&css));
    let png = m1["paths"]["img/photo.png"].as_str().expect("png");
    assert_eq!(s3.head(png)["content-type"], "image/png");
    assert!(
        !listed.contains_key(&format!("{png}.br")),
        "PNGs are not precompressed"
    );
    assert_eq!(s3.head("staticfiles.json")["cache-control"], "no-cache");

    // The middleware loads the releases from the store for static_url()
    // (a CDN serving the files: the app does not add the layer).
    let config = rcollect_core::Config::load(d, None, &Default::default()).expect("config");
    let files = rt()
        .block_on(tower_rcollect::StaticFiles::from_store(&config))
        .expect("from_store");
    assert_eq!(
        files.static_url("css/app.css").expect("url"),
        format!("https://cdn.example.com/static/{css}")
    );
    assert!(
        files
            .integrity("css/app.css")
            .expect("sri")
            .starts_with("sha384-")
    );
    assert!(
        !files.is_empty(),
        "serves the store's files if used as a layer"
    );

    // 2. No-op: nothing uploaded, also from a fresh staging dir (a new CI
    // machine), where the unhashed names are compared by their stored hash.
    let again = publish(d);
    assert_eq!(again["uploaded"], 0, "{again}");
    assert_eq!(again["manifest_uploaded"], false);
    std::fs::remove_dir_all(d.join("stage")).expect("rm stage");
    let fresh = publish(d);
    assert_eq!(fresh["uploaded"], 0, "{fresh}");
    assert_eq!(fresh["unchanged"], total);
    // The listing's ETags (MD5 of single-PUT objects) decided; no HEADs.
    assert_eq!(fresh["checked"], 0, "{fresh}");
    assert_eq!(fresh["manifest_uploaded"], false);

    // An unhashed object changed behind our back (same size, other bytes)
    // is put back; one uploaded in parts (its ETag is not an MD5) with the
    // right SHA-256 in its metadata is left alone after a HEAD.
    let good = s3.get("css/app.css");
    let mut bad = good.clone();
    bad[0] ^= 1;
    s3.put_plain("css/app.css", bad);
    s3.put_multipart("css/app.css.gz", s3.get("css/app.css.gz"));
    let repaired = publish(d);
    assert_eq!(
        keys(&repaired["uploaded_keys"]),
        BTreeSet::from(["css/app.css".to_string()])
    );
    assert_eq!(repaired["checked"], 2, "{repaired}");
    assert_eq!(s3.get("css/app.css"), good);

    // 3. One changed image: the image, the CSS that references it (new
    // hash), their unhashed names, and their variants. Nothing else.
    write(
        &d.join("assets/img/logo.svg"),
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><!-- {} --></svg>\n",
            "v2 ".repeat(200)
        ),
    );
    let changed = publish(d);
    let up = keys(&changed["uploaded_keys"]);
    let m2 = s3.manifest();
    let logo2 = m2["paths"]["img/logo.svg"].as_str().expect("logo");
    let css2 = m2["paths"]["css/app.css"].as_str().expect("css");
    assert_ne!(css2, css, "the CSS that references the image is renamed");
    for k in [logo2, css2, "img/logo.svg", "css/app.css"] {
        assert!(up.contains(k), "{k} not uploaded: {up:?}");
    }
    for k in &up {
        assert!(
            k.starts_with("img/logo.") || k.starts_with("css/app."),
            "unexpected upload {k}"
        );
    }
    // The renamed CSS ships a delta against its previous version (RFC
    // 9842), stored with its content coding.
    let dcb = up
        .iter()
        .find(|k| k.starts_with(&format!("{css2}.")) && k.ends_with(".dcb"))
        .unwrap_or_else(|| panic!("no dcb delta of {css2} uploaded: {up:?}"));
    let h = s3.head(dcb);
    assert_eq!(h["content-encoding"], "dcb");
    assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(changed["manifest_uploaded"], true);
    let history = changed["history"].as_str().expect("history name");
    assert_eq!(s3.manifest_at(history), m1, "the replaced manifest is kept");
    let listed = s3.list();
    for k in named(&m2).iter().chain(named(&m1).iter()) {
        assert!(listed.contains_key(k), "{k} missing");
    }
}

impl S3 {
    /// A PUT without our metadata.
    fn put_plain(&self, key: &str, bytes: Vec<u8>) {
        rt().block_on(self.store.put(&self.path(key), bytes.into()))
            .expect("put");
    }

    /// A multipart upload (ETag `<md5 of md5s>-1`) with the sha256 metadata
    /// rcollect would have set.
    fn put_multipart(&self, key: &str, bytes: Vec<u8>) {
        let mut attrs = object_store::Attributes::new();
        attrs.insert(
            Attribute::Metadata("sha256".into()),
            sha256_hex(&bytes).into(),
        );
        let opts = object_store::PutMultipartOptions {
            attributes: attrs,
            ..Default::default()
        };
        rt().block_on(async {
            let mut up = self
                .store
                .put_multipart_opts(&self.path(key), opts)
                .await
                .expect("multipart");
            up.put_part(bytes.into()).await.expect("part");
            up.complete().await.expect("complete");
        });
    }

    fn manifest_at(&self, name: &str) -> Value {
        serde_json::from_slice(&self.get(name)).expect("manifest json")
    }
}

#[test]
#[ignore = "needs an S3 server (see NEEDS_S3); .ci/run runs it"]
fn killed_publish_leaves_the_old_manifest_naming_only_existing_objects() {
    let s3 = s3("killed");
    let p = project(&s3.url(), "concurrency = 1");
    let d = p.path();
    publish(d);
    let m1 = s3.manifest();
    let before = s3.list().len();

    // Many new files, uploaded one request at a time, then a SIGKILL as soon
    // as the first of them is in the store.
    for i in 0..300 {
        write(
            &d.join(format!("assets/gen/f{i:03}.txt")),
            format!("file {i}\n{}", "lorem ipsum dolor sit amet\n".repeat(20)),
        );
    }
    let cache = d.join("cache");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rcollect"))
        .current_dir(d)
        .args(["collectstatic", "--no-input", "-q", "--cache-dir"])
        .arg(&cache)
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if s3.list().len() > before + 5 {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("publish finished ({status}) before it could be killed; make it slower");
        }
        assert!(Instant::now() < deadline, "no upload started");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill");
    child.wait().expect("wait");

    let after_kill = s3.list();
    assert!(after_kill.len() > before, "the kill came mid-publish");
    assert_eq!(s3.manifest(), m1, "the live manifest is still the old one");
    for k in named(&m1) {
        assert!(
            after_kill.contains_key(&k),
            "old manifest names {k}, which is gone"
        );
    }

    // Running it again finishes the job: only what is missing goes up.
    let resumed = publish(d);
    let uploaded = resumed["uploaded"].as_u64().expect("n");
    let objects = resumed["objects"].as_u64().expect("n");
    let new_objects = objects - named(&m1).len() as u64;
    assert!(uploaded > 0 && uploaded < new_objects, "{resumed}");
    let m2 = s3.manifest();
    assert!(m2["paths"].get("gen/f299.txt").is_some());
    let listed = s3.list();
    for k in named(&m2) {
        assert!(
            listed.contains_key(&k),
            "{k} missing after the resumed publish"
        );
    }
}

#[test]
#[ignore = "needs an S3 server (see NEEDS_S3); .ci/run runs it"]
fn clean_in_the_store_keeps_the_last_versions_and_young_objects() {
    let s3 = s3("clean");
    let p = project(&s3.url(), "");
    let d = p.path();
    let mut versions = Vec::new();
    for v in 1..=3 {
        write(
            &d.join("assets/css/base.css"),
            format!("html {{ --v: {v}; }}\n"),
        );
        publish(d);
        versions.push(s3.manifest());
    }
    let base = |m: &Value| {
        m["paths"]["css/base.css"]
            .as_str()
            .expect("base")
            .to_string()
    };
    let clean = |args: &[&str]| -> Value {
        let mut a = vec!["clean", "--format", "json"];
        a.extend_from_slice(args);
        let out = run(d, &a);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("json")
    };

    // Everything is seconds old: with --older-than 1h nothing goes (AND).
    let r = clean(&["--keep", "1", "--older-than", "1h"]);
    assert_eq!(r["removed"].as_array().expect("a").len(), 0, "{r}");
    assert!(!r["kept_young"].as_array().expect("a").is_empty());

    // --keep 2: version 1's own files and its manifest go; 2 and 3 stay.
    let r = clean(&["--keep", "2"]);
    let removed = keys(&r["removed"]);
    assert!(removed.contains(&base(&versions[0])), "{r}");
    let listed = s3.list();
    assert!(!listed.contains_key(&base(&versions[0])));
    assert!(listed.contains_key(&base(&versions[1])));
    for k in named(&versions[2]) {
        assert!(listed.contains_key(&k), "live file {k} removed");
    }
    let histories: Vec<_> = listed
        .keys()
        .filter(|k| k.starts_with("staticfiles.2"))
        .collect();
    assert_eq!(histories.len(), 1, "{histories:?}");

    // --keep 1: only the live version's files remain.
    clean(&["--keep", "1"]);
    let listed = s3.list();
    assert!(!listed.contains_key(&base(&versions[1])));
    for k in named(&versions[2]) {
        assert!(listed.contains_key(&k), "live file {k} removed");
    }
    assert_eq!(s3.manifest(), versions[2]);
}

#[test]
fn an_unreachable_store_fails_naming_it() {
    let p = project(
        "s3://bucket/prefix",
        "endpoint = \"http://127.0.0.1:9\"\nallow_http = true\nretries = 0\naccess_key_id = \"k\"\nsecret_access_key = \"s\"",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_rcollect"))
        .current_dir(p.path())
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT")
        .args(["collectstatic", "--no-input", "--no-cache"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("s3://bucket/prefix"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn unsupported_storage_scheme_is_a_config_error() {
    let p = project("gs://bucket/prefix", "");
    let out = run(p.path(), &["collectstatic", "--no-input", "--no-cache"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("static_root") && err.contains("gs://"),
        "{err}"
    );
}

#[test]
fn file_store_publish_no_op_and_clean() {
    let (_target, _, p, site) = file_store_project();
    let d = p.path();
    let first = publish(d);
    assert_eq!(first["uploaded"], first["objects"]);
    let m1 = live_manifest(&site);
    for k in named(&m1) {
        assert!(site.join(&k).is_file(), "{k}");
    }
    std::fs::remove_dir_all(d.join("stage")).expect("rm stage");
    let again = publish(d);
    assert_eq!(again["uploaded"], 0, "{again}");

    write(
        &d.join("assets/js/util.js"),
        "export function f() { return 2; }\n",
    );
    let changed = publish(d);
    assert!(changed["history"].is_string(), "{changed}");
    let old_util = m1["paths"]["js/util.js"].as_str().expect("util");
    assert!(site.join(old_util).is_file());
    let out = run(d, &["clean", "--keep", "1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !site.join(old_util).exists(),
        "clean removed the old version's file"
    );
    assert!(site.join("js/util.js").is_file());
}

/// Issue 20: the store's `clean` refuses, as the local one does, when a
/// manifest version in the store cannot be read: nothing is deleted.
#[test]
fn file_store_clean_refuses_when_a_version_cannot_be_read() {
    let (_target, _, p, site) = file_store_project();
    let d = p.path();
    publish(d);
    let m1 = live_manifest(&site);
    let changed = publish_a_change(d);
    let kept = changed["history"]
        .as_str()
        .expect("history name")
        .to_string();
    let bytes = std::fs::read(site.join(&kept)).expect("version");
    std::fs::write(site.join(&kept), &bytes[..bytes.len() / 2]).expect("truncate");
    let before = support::walk(&site);
    let out = run(d, &["clean", "--keep", "1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&kept) && err.contains("nothing was removed"),
        "{err}"
    );
    assert_eq!(support::walk(&site), before, "nothing deleted");
    let old_util = m1["paths"]["js/util.js"].as_str().expect("util");
    assert!(site.join(old_util).is_file());
    // `check --skew` names it too.
    let check = run(d, &["check", "--skew", "--format", "json"]);
    let report = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(1), "{report}");
    assert!(
        report.contains(&kept) && report.contains("E032"),
        "{report}"
    );
}

/// A build on a fresh machine (no staging dir) gets the previous versions
/// from the store and still ships deltas against them, which decode with
/// the old version to the new one; the new objects are the deltas' keys
/// the manifest lists.
#[test]
fn fresh_staging_fetches_previous_versions_from_the_store_for_deltas() {
    let (_target, _, p, site) = file_store_project();
    let d = p.path();
    let big = |n: u32| {
        let mut js = String::new();
        for i in 0..400 {
            js.push_str(&format!("export const value{i} = {};\n", i * n));
        }
        js
    };
    write(&d.join("assets/js/big.js"), big(1));
    publish(d);
    let m1 = live_manifest(&site);
    let old = m1["paths"]["js/big.js"].as_str().expect("old").to_string();

    // A one-line change, built from scratch.
    let mut js = big(1);
    js = js.replacen("value7 = 7", "value7 = 8", 1);
    write(&d.join("assets/js/big.js"), js.as_bytes());
    std::fs::remove_dir_all(d.join("stage")).expect("rm stage");
    std::fs::remove_dir_all(d.join("cache")).expect("rm cache");
    let v = collect_json(d);
    let fetched = &v["dictionaries_fetched"];
    assert_eq!(fetched["manifests"], 1, "{v}");
    assert!(fetched["files"].as_u64().expect("files") >= 1, "{v}");
    assert!(
        d.join("stage").join(&old).is_file(),
        "the old version is in the staging dir"
    );

    let m2 = live_manifest(&site);
    let new = m2["paths"]["js/big.js"].as_str().expect("new");
    assert_ne!(new, old);
    let deltas = m2["files"][new]["deltas"].as_object().expect("deltas");
    assert_eq!(deltas.len(), 1, "{deltas:?}");
    let (dict_sha, delta) = deltas.iter().next().expect("one");
    assert_eq!(delta["dictionary"], old.as_str());
    assert_eq!(dict_sha, m1["files"][&old]["sha256"].as_str().expect("sha"));
    let uploaded = keys(&v["publish"]["uploaded_keys"]);
    for (coding, size) in delta["encodings"].as_object().expect("encodings") {
        let key = format!("{new}.{}.{coding}", &dict_sha[..16]);
        let bytes = std::fs::read(site.join(&key)).expect("delta in the store");
        assert_eq!(bytes.len() as u64, size.as_u64().expect("size"), "{key}");
        assert!(uploaded.contains(&key), "{key} not in {uploaded:?}");
        assert!(
            bytes.len() < 100,
            "a one-line change costs a few bytes, not {} ({key})",
            bytes.len()
        );
        let coding = match coding.as_str() {
            "dcb" => rcollect_core::delta::DeltaCoding::Dcb,
            _ => rcollect_core::delta::DeltaCoding::Dcz,
        };
        let dictionary = std::fs::read(site.join(&old)).expect("old version");
        let sha: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&dictionary).into();
        let decoded = rcollect_core::compress::verify::decode_delta(
            coding,
            &dictionary,
            &sha,
            &bytes,
            1 << 20,
        )
        .expect("decodes");
        assert_eq!(decoded, js.as_bytes(), "{key}");
    }
    // The previous version is not uploaded again.
    assert!(!uploaded.contains(&old));

    // Builds that keep their staging dir: after another change, nothing to
    // fetch, and no version placed twice in its history (the dir keeps
    // each version under the time it went live here, the store under its
    // upload time).
    write(&d.join("assets/js/big.js"), big(3));
    publish(d);
    let history = |stage: &Path| {
        std::fs::read_dir(stage)
            .expect("stage")
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().starts_with("staticfiles."))
            })
            .count()
    };
    let before = history(&d.join("stage"));
    let v = collect_json(d);
    assert_eq!(v["dictionaries_fetched"]["manifests"], 0, "{v}");
    assert_eq!(v["dictionaries_fetched"]["files"], 0, "{v}");
    assert_eq!(history(&d.join("stage")), before);
}

/// `check --skew` with a store URL as static_root looks at the releases in
/// the store: clean, then an object of the previous release removed from
/// the store is reported (E032, exit 1), naming the store.
#[test]
fn check_skew_against_the_store() {
    let (_target, url, p, site) = file_store_project();
    let d = p.path();
    publish(d);
    let m1 = live_manifest(&site);
    publish_a_change(d);
    let ok = run(d, &["check", "--skew"]);
    assert!(
        ok.status.success(),
        "{}{}",
        String::from_utf8_lossy(&ok.stdout),
        String::from_utf8_lossy(&ok.stderr)
    );
    let old_util = m1["paths"]["js/util.js"].as_str().expect("util");
    std::fs::remove_file(site.join(old_util)).expect("rm");
    // The staging dir still has it: the store decides.
    assert!(d.join("stage").join(old_util).is_file());
    let bad = run(d, &["check", "--skew", "--format", "json"]);
    let text = String::from_utf8_lossy(&bad.stdout);
    assert_eq!(bad.status.code(), Some(1), "{text}");
    assert!(
        text.contains("E032")
            && text.contains(&format!("https://cdn.example.com/static/{old_util}"))
            && text.contains(&format!("removed from {url}")),
        "{text}"
    );
}

/// `rcollect serve` with a store URL as static_root serves what is
/// published there (the staging dir deleted): the hashed name with its
/// brotli variant, the unhashed name, and the no-store 404.
#[test]
fn serve_serves_the_published_files_from_the_store() {
    let (_target, _, p, site) = file_store_project();
    let d = p.path();
    publish(d);
    std::fs::remove_dir_all(d.join("stage")).expect("rm stage");
    let m = live_manifest(&site);
    let css = m["paths"]["css/app.css"].as_str().expect("css");
    let server = support::start(d, &[]);
    let r = support::http(
        server.addr,
        "GET",
        &format!("/static/{css}"),
        "Accept-Encoding: br\r\n",
    );
    assert_eq!(r.status, 200, "{}", r.head);
    assert_eq!(r.header("content-encoding").as_deref(), Some("br"));
    assert_eq!(
        r.body,
        std::fs::read(site.join(format!("{css}.br"))).expect("br object")
    );
    let r = support::http(server.addr, "GET", "/static/css/app.css", "");
    assert_eq!(r.status, 200, "{}", r.head);
    assert_eq!(r.body, std::fs::read(site.join(css)).expect("object"));
    let r = support::http(server.addr, "GET", "/static/css/app.0123456789ab.css", "");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
}
