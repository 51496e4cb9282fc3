//! Issue 20's classes on the serving side: work an outsider could make
//! unbounded (a broken newer manifest, manifests that are devices, br-only
//! decoding, symlink loops under `root_dir`) and a damaged root (a
//! representation that cannot be read).

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::*;

/// Requests an unknown hashed name (which asks for a newer release).
async fn unknown(svc: &crate::StaticFilesService<crate::NotFound>, n: u32) -> StatusCode {
    svc.clone()
        .oneshot(
            req(&format!("/static/b.{n:012x}.css"))
                .body(Empty::<Bytes>::new())
                .expect("req"),
        )
        .await
        .expect("infallible")
        .status()
}

#[tokio::test]
async fn a_newer_manifest_that_fails_to_load_is_read_once_until_it_changes() {
    let t = root();
    let files = StaticFiles::from_manifest(t.path(), "/static/").expect("load");
    let svc = files.clone().into_service();
    let newer = files.inner.newer.clone().expect("watches the root");
    // A newer manifest of a future format (an old binary next to a newer
    // release): every unknown name after each recheck window.
    std::fs::write(
        t.path().join("staticfiles.json"),
        r#"{"version": "9", "paths": {}}"#,
    )
    .expect("write");
    for n in 0..4 {
        assert_eq!(unknown(&svc, n).await, StatusCode::NOT_FOUND);
        tokio::time::sleep(crate::source::newer::RECHECK + Duration::from_millis(20)).await;
    }
    assert_eq!(newer.loads.load(Ordering::Relaxed), 1, "read once");
    // Once it changes, it is read again (and now serves).
    let mut m = Manifest::new();
    m.paths.insert("b.css".into(), "b.000000000001.css".into());
    m.files.insert("b.000000000001.css".into(), meta(3));
    std::fs::write(t.path().join("b.000000000001.css"), "b{}").expect("write");
    m.write_atomic(t.path()).expect("manifest");
    assert_eq!(unknown(&svc, 1).await, StatusCode::OK);
    assert_eq!(newer.loads.load(Ordering::Relaxed), 2);
}

#[cfg(unix)]
#[test]
fn a_manifest_that_is_a_device_or_too_large_is_refused_at_once() {
    let t = root();
    let live = t.path().join("staticfiles.json");
    std::fs::remove_file(&live).expect("rm");
    std::os::unix::fs::symlink("/dev/zero", &live).expect("symlink");
    let err = StaticFiles::from_manifest(t.path(), "/static/").expect_err("device");
    assert!(err.to_string().contains("not a regular file"), "{err}");
    // A history version that is one: the live manifest still loads, that
    // version's files are not served.
    let t = root();
    std::os::unix::fs::symlink(
        "/dev/zero",
        t.path().join("staticfiles.20260101T000000.000Z.json"),
    )
    .expect("symlink");
    assert!(StaticFiles::from_manifest(t.path(), "/static/").is_ok());
    // Too large, from the configuration's cap.
    let mut config = crate::Config::new(t.path(), "/static/");
    config.manifest_max_size = 10;
    let err = StaticFiles::from_config(&config).expect_err("too large");
    assert!(err.to_string().contains("manifest_max_size"), "{err}");
}

#[tokio::test]
async fn br_only_decodes_each_file_once_and_stays_within_the_budget() {
    const TEXT: &[u8] = b"body { color: red; margin: 0 auto; } /* decoded from br */\n";
    let table = super::br_only_table(TEXT).embedded();
    // Within the budget: many concurrent clients without br, one decode,
    // then memory.
    let files = StaticFiles::embedded(&table).expect("embedded");
    let svc = files.clone().into_service();
    let path = format!("/static/{HASHED}");
    let mut all = Vec::new();
    for _ in 0..32 {
        let svc = svc.clone();
        let path = path.clone();
        all.push(tokio::spawn(async move {
            let res = svc
                .oneshot(
                    req(&path)
                        .header(header::ACCEPT_ENCODING, "gzip")
                        .body(Empty::<Bytes>::new())
                        .expect("req"),
                )
                .await
                .expect("infallible");
            res.into_body().collect().await.expect("body").to_bytes()
        }));
    }
    for h in all {
        assert_eq!(&h.await.expect("task")[..], TEXT);
    }
    let (whole, streamed) = decodes(&files);
    assert_eq!((whole, streamed), (1, 0), "one decode for 32 clients");
    let crate::source::Source::Manifest(loaded) = &files.inner.source else {
        panic!("a manifest source");
    };
    assert_eq!(
        loaded.memory.used(),
        TEXT.len() as u64,
        "decoded and kept once"
    );
    // A budget too small for the file: each request gets a streamed decode
    // of its range only, nothing is kept.
    let small = StaticFiles::embedded(&table)
        .expect("embedded")
        .memory_budget(8);
    let svc = small.clone().into_service();
    for (range, want) in [(None, TEXT), (Some("bytes=5-9"), &TEXT[5..=9])] {
        let mut r = req(&path).header(header::ACCEPT_ENCODING, "identity");
        if let Some(range) = range {
            r = r.header(header::RANGE, range);
        }
        let res = svc
            .clone()
            .oneshot(r.body(Empty::<Bytes>::new()).expect("req"))
            .await
            .expect("infallible");
        let body = res.into_body().collect().await.expect("body").to_bytes();
        assert_eq!(&body[..], want, "{range:?}");
    }
    let crate::source::Source::Manifest(loaded) = &small.inner.source else {
        panic!("a manifest source");
    };
    assert_eq!(loaded.memory.used(), 0, "nothing kept beyond the budget");
    assert_eq!(decodes(&small), (0, 2), "streamed, never decoded whole");
}

/// (whole, streamed) br decodes of an embedded br-only source.
fn decodes(files: &StaticFiles) -> (usize, usize) {
    let crate::source::Source::Manifest(loaded) = &files.inner.source else {
        panic!("a manifest source");
    };
    let crate::source::Origin::DecodeBr(d) = &loaded.origin else {
        panic!("br-only");
    };
    (
        d.counts[0].load(Ordering::Relaxed),
        d.counts[1].load(Ordering::Relaxed),
    )
}

#[cfg(unix)]
#[test]
fn root_dir_with_links_back_to_itself_is_listed_once() {
    let public = tempfile::tempdir().expect("tempdir");
    std::fs::write(public.path().join("robots.txt"), "User-agent: *\n").expect("write");
    std::fs::create_dir(public.path().join("sub")).expect("mkdir");
    std::fs::write(public.path().join("sub/x.txt"), "x").expect("write");
    for link in ["a", "b", "sub/up"] {
        let target = if link == "sub/up" { ".." } else { "." };
        std::os::unix::fs::symlink(target, public.path().join(link)).expect("symlink");
    }
    let dir = crate::RootDir::scan(public.path()).expect("listed");
    assert_eq!(dir.len(), 2, "each directory once");
}

#[tokio::test]
async fn root_dir_index_covers_the_site_root() {
    let t = root();
    let public = tempfile::tempdir().expect("tempdir");
    std::fs::write(public.path().join("index.html"), "<p>home</p>").expect("write");
    std::fs::create_dir(public.path().join("docs")).expect("mkdir");
    std::fs::write(public.path().join("docs/index.html"), "<p>docs</p>").expect("write");
    let files = StaticFiles::from_manifest(t.path(), "/static/")
        .expect("load")
        .root_dir(crate::RootDir::scan(public.path()).expect("root_dir"));
    for (index, want) in [(false, StatusCode::IM_A_TEAPOT), (true, StatusCode::OK)] {
        let svc = files.clone().index(index).layer(inner());
        for path in ["/", "/docs/"] {
            let res = svc
                .clone()
                .oneshot(req(path).body(Empty::new()).expect("req"))
                .await
                .expect("infallible");
            assert_eq!(res.status(), want, "{path} index={index}");
        }
        let res = svc
            .clone()
            .oneshot(req("/docs").body(Empty::new()).expect("req"))
            .await
            .expect("infallible");
        let redirect = if index {
            StatusCode::MOVED_PERMANENTLY
        } else {
            StatusCode::IM_A_TEAPOT
        };
        assert_eq!(res.status(), redirect);
    }
}

#[tokio::test]
async fn a_variant_that_cannot_be_read_falls_back_and_only_identity_failing_is_a_500() {
    // br and gzip listed; a directory stands where the br variant should be
    // (the read fails, it is not "missing"), gzip is fine.
    let mut m = meta(BODY.len() as u64);
    m.variants = BTreeMap::from([(Encoding::Br, 3), (Encoding::Gzip, 2)]);
    let t = root_with(m, BODY);
    std::fs::write(t.path().join(format!("{HASHED}.gz")), b"gz").expect("write");
    std::fs::create_dir(t.path().join(format!("{HASHED}.br"))).expect("mkdir");
    // Streamed and read whole alike.
    for max_file in [0, 1 << 20] {
        let svc = StaticFiles::from_manifest(t.path(), "/static/")
            .expect("load")
            .memory_max_file(max_file)
            .into_service();
        let (status, h, body) = get(&svc, "br, gzip").await;
        assert_eq!(status, StatusCode::OK, "max_file {max_file}");
        assert_eq!(h[header::CONTENT_ENCODING], "gzip");
        assert_eq!(&body[..], b"gz");
        let (status, h, body) = get(&svc, "br").await;
        assert_eq!(status, StatusCode::OK);
        assert!(h.get(header::CONTENT_ENCODING).is_none());
        assert_eq!(&body[..], BODY);
    }
    // The identity bytes unreadable: nothing acceptable can be read.
    std::fs::remove_file(t.path().join(HASHED)).expect("rm");
    std::fs::create_dir(t.path().join(HASHED)).expect("mkdir");
    let svc = StaticFiles::from_manifest(t.path(), "/static/")
        .expect("load")
        .into_service();
    let (status, _, _) = get(&svc, "identity").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
}

/// Serving from a store, an unknown hashed name costs a `HEAD` of the live
/// manifest, never a `GET` of an unchanged one; a newer one is read once.
#[cfg(feature = "store")]
#[tokio::test]
async fn a_store_manifest_is_read_again_only_when_its_stamp_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    let mut config =
        crate::Config::new(dir.path().join("stage"), "https://cdn.example.com/static/");
    config.cache_dir = None;
    config.dirs.push(crate::SourceDir {
        prefix: String::new(),
        path: src.clone(),
    });
    config.storage = Some(rcollect_core::config::StorageConfig {
        url: format!("file://{}/site", dir.path().display()),
        endpoint: None,
        region: None,
        allow_http: None,
        access_key_id: None,
        secret_access_key: None,
        session_token: None,
        virtual_hosted_style_request: None,
        concurrency: 4,
        retries: 1,
    });
    let store =
        rcollect_store::Store::open(config.storage.as_ref().expect("storage")).expect("open");
    let options = rcollect_store::PublishOptions::default();
    let publish = |v: &str| {
        std::fs::write(src.join("app.css"), format!(".v{v} {{ color: red }}\n")).expect("write");
        rcollect_core::collect::collect(&config, &Default::default()).expect("collect");
        store.publish(&config.static_root, &options, None)
    };
    publish("1").await.expect("publish");
    let files = StaticFiles::from_store(&config).await.expect("from_store");
    let svc = files.clone().into_service();
    let newer = files.inner.newer.clone().expect("watches the store");
    for n in 0..3 {
        assert_eq!(unknown(&svc, n).await, StatusCode::NOT_FOUND);
        tokio::time::sleep(crate::source::newer::RECHECK + Duration::from_millis(20)).await;
    }
    assert_eq!(
        newer.loads.load(Ordering::Relaxed),
        0,
        "unchanged: never read"
    );
    // Stores keep whole seconds: make the new version's time differ.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    publish("2").await.expect("publish");
    let m = rcollect_core::Manifest::load(&config.static_root, config.manifest_max_size)
        .expect("load")
        .expect("manifest");
    let hashed = m.paths["app.css"].clone();
    let res = svc
        .clone()
        .oneshot(
            req(&format!("/static/{hashed}"))
                .body(Empty::<Bytes>::new())
                .expect("req"),
        )
        .await
        .expect("infallible");
    assert_eq!(res.status(), StatusCode::OK, "the newer release's name");
    assert_eq!(unknown(&svc, 99).await, StatusCode::NOT_FOUND);
    assert_eq!(newer.loads.load(Ordering::Relaxed), 1, "read once");
}
