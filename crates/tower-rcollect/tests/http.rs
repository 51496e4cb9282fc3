//! End-to-end: the middleware behind hyper on a real socket, raw HTTP/1.1.
#![allow(missing_docs)]

mod apps;
mod browser;
mod bundlers;
mod common;
mod deltas;
mod importmap;
mod preload;
mod rolling;
#[cfg(feature = "store")]
mod store;

use common::*;
use rcollect_core::{Encoding, Manifest};
use tower_rcollect::StaticFiles;

const CSS_URL: &str = "/static/css/app.0123456789ab.css";

async fn server() -> (tempfile::TempDir, std::net::SocketAddr) {
    let t = fixture();
    let files = StaticFiles::from_manifest(root(&t), "/static/").expect("load");
    let addr = serve(files).await;
    (t, addr)
}

#[tokio::test]
async fn hashed_name_gets_br_with_immutable_cache_and_all_headers() {
    let (_t, addr) = server().await;
    let r = get(addr, CSS_URL, &[("Accept-Encoding", "gzip, deflate, br")]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, brotli(CSS));
    assert_eq!(r.header("content-encoding"), Some("br"));
    assert_eq!(r.header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(
        r.header("content-length"),
        Some(brotli(CSS).len().to_string().as_str())
    );
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(
        r.header("etag"),
        Some(format!("\"{}-br\"", etag16()).as_str())
    );
    assert_eq!(r.header("vary"), Some("Accept-Encoding"));
    assert_eq!(
        r.header("last-modified"),
        Some("Tue, 14 Nov 2023 22:13:20 GMT")
    );
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    // Second request: served from memory, same bytes.
    let r2 = get(addr, CSS_URL, &[("Accept-Encoding", "br")]).await;
    assert_eq!(r2.body, r.body);
}

#[tokio::test]
async fn identity_and_gzip_have_their_own_etags() {
    let (_t, addr) = server().await;
    let r = get(addr, CSS_URL, &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, CSS);
    assert!(!r.has("content-encoding"));
    assert_eq!(r.header("etag"), Some(format!("\"{}\"", etag16()).as_str()));
    assert_eq!(r.header("vary"), Some("Accept-Encoding"));
    let g = get(addr, CSS_URL, &[("Accept-Encoding", "gzip;q=1, br;q=0.5")]).await;
    assert_eq!(g.header("content-encoding"), Some("gzip"));
    assert_eq!(
        g.header("etag"),
        Some(format!("\"{}-gzip\"", etag16()).as_str())
    );
}

#[tokio::test]
async fn accept_encoding_q_zero_and_406() {
    let (_t, addr) = server().await;
    let r = get(addr, CSS_URL, &[("Accept-Encoding", "br;q=0, gzip")]).await;
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let r = get(addr, CSS_URL, &[("Accept-Encoding", "identity;q=0, br")]).await;
    assert_eq!(r.header("content-encoding"), Some("br"));
    let r = get(addr, CSS_URL, &[("Accept-Encoding", "*")]).await;
    assert_eq!(r.header("content-encoding"), Some("br"));
    let r = get(
        addr,
        "/static/img/logo.bbbbbbbbbbbb.png",
        &[("Accept-Encoding", "br, identity;q=0")],
    )
    .await;
    assert_eq!(r.status, 406);
    let r = get(
        addr,
        "/static/img/logo.bbbbbbbbbbbb.png",
        &[("Accept-Encoding", "*;q=0")],
    )
    .await;
    assert_eq!(r.status, 406);
    let r = get(
        addr,
        "/static/img/logo.bbbbbbbbbbbb.png",
        &[("Accept-Encoding", "br")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(!r.has("vary"), "no variants, no Vary");
}

#[tokio::test]
async fn unhashed_names_get_a_short_max_age() {
    let t = fixture();
    let files = StaticFiles::from_manifest(root(&t), "/static/").expect("load");
    let addr = serve(files.clone()).await;
    let r = get(addr, "/static/css/app.css", &[("Accept-Encoding", "br")]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cache-control"), Some("public, max-age=60"));
    assert_eq!(r.body, brotli(CSS));
    let addr = serve(files.max_age(300)).await;
    let r = get(addr, "/static/css/app.css", &[]).await;
    assert_eq!(r.header("cache-control"), Some("public, max-age=300"));
    assert_eq!(r.body, CSS);
}

#[tokio::test]
async fn unhashed_names_are_not_served_without_keep_unhashed() {
    let t = fixture();
    let r = root(&t);
    let mut m = Manifest::load(&r, rcollect_core::manifest::MAX_MANIFEST_BYTES)
        .expect("load")
        .expect("some");
    m.keep_unhashed = false;
    m.write_atomic(&r).expect("write");
    let addr = serve(StaticFiles::from_manifest(&r, "/static/").expect("load")).await;
    assert_eq!(get(addr, "/static/css/app.css", &[]).await.status, 418);
    assert_eq!(get(addr, CSS_URL, &[]).await.status, 200);
}

#[tokio::test]
async fn conditional_requests_304_with_validators() {
    let (_t, addr) = server().await;
    let tag = format!("\"{}-br\"", etag16());
    for inm in [
        tag.clone(),
        format!("W/{tag}"),
        format!("\"nope\", {tag}"),
        "*".to_string(),
    ] {
        let r = get(
            addr,
            CSS_URL,
            &[("Accept-Encoding", "br"), ("If-None-Match", &inm)],
        )
        .await;
        assert_eq!(r.status, 304, "{inm}");
        assert!(r.body.is_empty());
        assert_eq!(r.header("etag"), Some(tag.as_str()));
        assert_eq!(
            r.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(r.header("vary"), Some("Accept-Encoding"));
        assert_eq!(
            r.header("last-modified"),
            Some("Tue, 14 Nov 2023 22:13:20 GMT")
        );
    }
    // The identity tag does not validate the br representation.
    let identity = format!("\"{}\"", etag16());
    let r = get(
        addr,
        CSS_URL,
        &[("Accept-Encoding", "br"), ("If-None-Match", &identity)],
    )
    .await;
    assert_eq!(r.status, 200);
    // If-Modified-Since, and If-None-Match taking precedence over it.
    let later = "Wed, 15 Nov 2023 00:00:00 GMT";
    let earlier = "Mon, 13 Nov 2023 00:00:00 GMT";
    assert_eq!(
        get(addr, CSS_URL, &[("If-Modified-Since", later)])
            .await
            .status,
        304
    );
    assert_eq!(
        get(addr, CSS_URL, &[("If-Modified-Since", earlier)])
            .await
            .status,
        200
    );
    let r = get(
        addr,
        CSS_URL,
        &[("If-Modified-Since", later), ("If-None-Match", "\"other\"")],
    )
    .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn ranges_on_identity_and_encoded() {
    let (_t, addr) = server().await;
    let len = CSS.len();
    let r = get(addr, CSS_URL, &[("Range", "bytes=0-0")]).await;
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &CSS[..1]);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 0-0/{len}").as_str())
    );
    assert_eq!(r.header("content-length"), Some("1"));
    let r = get(addr, CSS_URL, &[("Range", "bytes=-5")]).await;
    assert_eq!(r.body, &CSS[len - 5..]);
    let r = get(addr, CSS_URL, &[("Range", "bytes=10-")]).await;
    assert_eq!(r.body, &CSS[10..]);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 10-{}/{len}", len - 1).as_str())
    );
    let r = get(addr, CSS_URL, &[("Range", &format!("bytes={len}-"))]).await;
    assert_eq!(r.status, 416);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes */{len}").as_str())
    );
    // Malformed and multiple ranges: the whole file.
    for v in ["bytes=5-2", "bytes=x", "lines=1-2", "bytes=0-1,4-5"] {
        let r = get(addr, CSS_URL, &[("Range", v)]).await;
        assert_eq!(r.status, 200, "{v}");
        assert_eq!(r.body, CSS);
    }
    // Ranges apply to the selected (encoded) representation.
    let br = brotli(CSS);
    let r = get(
        addr,
        CSS_URL,
        &[("Accept-Encoding", "br"), ("Range", "bytes=2-5")],
    )
    .await;
    assert_eq!(r.status, 206);
    assert_eq!(r.header("content-encoding"), Some("br"));
    assert_eq!(r.body, &br[2..=5]);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 2-5/{}", br.len()).as_str())
    );
}

#[tokio::test]
async fn if_range_strong_etag_or_date() {
    let (_t, addr) = server().await;
    let tag = format!("\"{}\"", etag16());
    let r = get(addr, CSS_URL, &[("Range", "bytes=0-3"), ("If-Range", &tag)]).await;
    assert_eq!(r.status, 206);
    let r = get(
        addr,
        CSS_URL,
        &[("Range", "bytes=0-3"), ("If-Range", "\"stale\"")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, CSS);
    let r = get(
        addr,
        CSS_URL,
        &[("Range", "bytes=0-3"), ("If-Range", &format!("W/{tag}"))],
    )
    .await;
    assert_eq!(r.status, 200);
    let lm = "Tue, 14 Nov 2023 22:13:20 GMT";
    assert_eq!(
        get(addr, CSS_URL, &[("Range", "bytes=0-3"), ("If-Range", lm)])
            .await
            .status,
        206
    );
    let other = "Tue, 14 Nov 2023 22:13:21 GMT";
    assert_eq!(
        get(
            addr,
            CSS_URL,
            &[("Range", "bytes=0-3"), ("If-Range", other)]
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn head_has_get_headers_without_body() {
    let (_t, addr) = server().await;
    let g = get(addr, CSS_URL, &[("Accept-Encoding", "br")]).await;
    let h = request(addr, "HEAD", CSS_URL, &[("Accept-Encoding", "br")]).await;
    assert_eq!(h.status, 200);
    assert!(h.body.is_empty());
    for name in [
        "content-length",
        "content-type",
        "etag",
        "content-encoding",
        "cache-control",
        "vary",
        "last-modified",
    ] {
        assert_eq!(h.header(name), g.header(name), "{name}");
    }
    let big = request(addr, "HEAD", "/static/js/big.aaaaaaaaaaaa.js", &[]).await;
    assert_eq!(big.header("content-length"), Some("300000"));
}

#[tokio::test]
async fn other_methods_405_and_unknown_paths_pass_through() {
    let (_t, addr) = server().await;
    for m in ["POST", "PUT", "DELETE", "OPTIONS"] {
        let r = request(addr, m, CSS_URL, &[("Content-Length", "0")]).await;
        assert_eq!(r.status, 405, "{m}");
        assert_eq!(r.header("allow"), Some("GET, HEAD"));
    }
    let r = get(addr, "/static/nope.css", &[]).await;
    assert_eq!((r.status, r.body.as_slice()), (418, &b"inner"[..]));
    assert_eq!(get(addr, "/", &[]).await.status, 418);
    assert_eq!(
        request(addr, "POST", "/static/nope.css", &[("Content-Length", "0")])
            .await
            .status,
        418
    );
    // The manifest itself and files on disk that it does not name.
    assert_eq!(get(addr, "/static/staticfiles.json", &[]).await.status, 418);
    assert_eq!(get(addr, "/static/secret.txt", &[]).await.status, 418);
}

#[tokio::test]
async fn traversal_and_encodings_never_reach_the_filesystem() {
    let (_t, addr) = server().await;
    for p in [
        "/static/../outside.txt",
        "/static/%2e%2e/outside.txt",
        "/static/%2E%2E%2Foutside.txt",
        "/static/css/..%2f..%2foutside.txt",
        "/static/css%2fapp.0123456789ab.css",
        "/static/%252e%252e/outside.txt",
        "/static/css%5capp.0123456789ab.css",
        "/static/css/app.0123456789ab.css%00",
        "/static//css/app.0123456789ab.css",
        "/static/./css/app.0123456789ab.css",
        "/static/css/./app.0123456789ab.css",
        "/static/css/../css/app.0123456789ab.css",
    ] {
        let r = get(addr, p, &[]).await;
        assert!(
            r.status == 418 || r.status == 400 || r.status == 404,
            "{p}: {}",
            r.status
        );
    }
    // One level of percent-encoding of ordinary characters is decoded.
    let r = get(addr, "/static/css/app.0123456789ab%2Ecss", &[]).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn large_files_stream_from_disk_with_ranges() {
    let t = fixture();
    let files = StaticFiles::from_manifest(root(&t), "/static/")
        .expect("load")
        .memory_max_file(1024);
    let addr = serve(files).await;
    let big = big();
    let r = get(addr, "/static/js/big.aaaaaaaaaaaa.js", &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, big);
    let r = get(
        addr,
        "/static/js/big.aaaaaaaaaaaa.js",
        &[("Range", "bytes=200000-")],
    )
    .await;
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &big[200_000..]);
    let r = get(
        addr,
        "/static/js/big.aaaaaaaaaaaa.js",
        &[("Accept-Encoding", "br")],
    )
    .await;
    assert_eq!(r.body, brotli(&big));
    // A tiny budget: still served, from disk.
    let files = StaticFiles::from_manifest(root(&t), "/static/")
        .expect("load")
        .memory_budget(10);
    let addr = serve(files).await;
    assert_eq!(get(addr, CSS_URL, &[]).await.body, CSS);
    assert_eq!(get(addr, CSS_URL, &[]).await.body, CSS);
}

#[tokio::test]
async fn empty_file() {
    let (_t, addr) = server().await;
    let r = get(addr, "/static/empty.eeeeeeeeeeee.txt", &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("0"));
    let r = get(
        addr,
        "/static/empty.eeeeeeeeeeee.txt",
        &[("Range", "bytes=0-")],
    )
    .await;
    assert_eq!(r.status, 416);
}

#[tokio::test]
async fn index_files_and_slash_redirect() {
    let t = fixture();
    let files = StaticFiles::from_manifest(root(&t), "/static/").expect("load");
    let off = serve(files.clone()).await;
    assert_eq!(get(off, "/static/docs/", &[]).await.status, 418);
    let addr = serve(files.index(true)).await;
    let r = get(addr, "/static/docs/", &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"<h1>docs</h1>");
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.header("cache-control"), Some("public, max-age=60"));
    let r = get(addr, "/static/docs?x=1", &[]).await;
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some("/static/docs/?x=1"));
}

#[tokio::test]
async fn extra_headers_and_mime_overrides() {
    let t = fixture();
    let files = StaticFiles::from_manifest(root(&t), "/static/")
        .expect("load")
        .allow_all_origins(false)
        .header_for(
            globset::Glob::new("fonts/*").expect("glob"),
            http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
            http::HeaderValue::from_static("*"),
        )
        .mime_type("css", http::HeaderValue::from_static("text/css"));
    let addr = serve(files).await;
    let r = get(addr, "/static/fonts/f.dddddddddddd.woff2", &[]).await;
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("content-type"), Some("font/woff2"));
    let r = get(
        addr,
        "/static/fonts/f.dddddddddddd.woff2",
        &[("If-None-Match", "*")],
    )
    .await;
    assert_eq!(r.status, 304);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let r = get(addr, CSS_URL, &[]).await;
    assert!(!r.has("access-control-allow-origin"));
    assert_eq!(r.header("content-type"), Some("text/css"));
    // From the configuration, a bad rule is an error naming its key.
    let mut config = tower_rcollect::Config::new(root(&t), "/static/");
    config
        .serve
        .headers
        .push(rcollect_core::config::HeaderRule {
            glob: "[".into(),
            name: "x".into(),
            value: "y".into(),
        });
    let err = StaticFiles::from_config(&config).expect_err("bad glob");
    assert!(err.to_string().contains("serve.headers[0].glob"), "{err}");
}

#[tokio::test]
async fn django_manifest_without_files_is_hashed_at_startup() {
    let t = tempfile::tempdir().expect("tempdir");
    let r = t.path();
    std::fs::create_dir_all(r.join("css")).expect("mkdir");
    std::fs::write(r.join("css/app.0123456789ab.css"), CSS).expect("write");
    std::fs::write(r.join("css/app.0123456789ab.css.br"), brotli(CSS)).expect("write");
    std::fs::write(r.join("css/app.css"), b"original").expect("write");
    std::fs::write(r.join("css/b.111111111111.css"), b"b").expect("write");
    std::fs::write(
        r.join("staticfiles.json"),
        br#"{"paths": {"css/app.css": "css/app.0123456789ab.css", "css/b.css": "css/b.111111111111.css", "gone.css": "gone.222222222222.css"}, "version": "1.1", "hash": "x"}"#,
    )
    .expect("manifest");
    let files = StaticFiles::from_manifest(r, "/static/").expect("load");
    assert_eq!(
        files.integrity("css/app.css").expect("integrity"),
        integrity(CSS)
    );
    let addr = serve(files).await;
    let res = get(addr, CSS_URL, &[("Accept-Encoding", "br, gzip")]).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-encoding"), Some("br"));
    assert_eq!(
        res.header("etag"),
        Some(format!("\"{}-br\"", etag16()).as_str())
    );
    assert_eq!(res.body, brotli(CSS));
    // Django keeps the original under the logical name, with its own bytes.
    let res = get(addr, "/static/css/app.css", &[]).await;
    assert_eq!(res.body, b"original");
    assert_eq!(res.header("cache-control"), Some("public, max-age=60"));
    // No unhashed copy on disk: not served. Missing hashed file: skipped.
    assert_eq!(get(addr, "/static/css/b.css", &[]).await.status, 418);
    assert_eq!(
        get(addr, "/static/css/b.111111111111.css", &[])
            .await
            .status,
        200
    );
    // A hashed name that cannot be served: 404 that no cache keeps.
    let gone = get(addr, "/static/gone.222222222222.css", &[]).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn an_unknown_hashed_name_is_a_404_no_cache_keeps_and_other_names_reach_the_app() {
    let (_t, addr) = server().await;
    // A page of another release asks for a name this one does not have.
    for path in [
        "/static/css/app.fedcba987654.css",
        "/static/css/app.css.fedcba987654.map",
        "/static/css/app.fedcba987654.css.br",
    ] {
        let r = get(addr, path, &[]).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
    }
    // Not hashed-looking (uppercase, 11 digits, no dot): the app decides.
    for path in [
        "/static/css/app.FEDCBA987654.css",
        "/static/css/app.fedcba98765.css",
        "/static/fedcba987654",
        "/static/css/unknown.css",
    ] {
        assert_eq!(get(addr, path, &[]).await.status, 418, "{path}");
    }
    // Known names are unaffected.
    assert_eq!(get(addr, CSS_URL, &[]).await.status, 200);
}

#[tokio::test]
async fn missing_or_corrupt_manifest_is_a_clear_error() {
    let t = tempfile::tempdir().expect("tempdir");
    let e = StaticFiles::from_manifest(t.path(), "/static/").expect_err("missing");
    let msg = e.to_string();
    assert!(
        msg.contains("staticfiles.json") && msg.contains("no manifest"),
        "{msg}"
    );
    std::fs::write(t.path().join("staticfiles.json"), b"{\"paths\": ").expect("write");
    let msg = StaticFiles::from_manifest(t.path(), "/static/")
        .expect_err("corrupt")
        .to_string();
    assert!(
        msg.contains("staticfiles.json") && msg.contains("invalid manifest"),
        "{msg}"
    );
    std::fs::write(
        t.path().join("staticfiles.json"),
        br#"{"version":"1.1","paths":{"a.css":"a.1.css"},"files":{"a.1.css":{"size":1,"content_type":"text/css","sha256":"zz\n","integrity":"","modified":0}}}"#,
    )
    .expect("write");
    let msg = StaticFiles::from_manifest(t.path(), "/static/")
        .expect_err("bad sha")
        .to_string();
    assert!(msg.contains("a.1.css") && msg.contains("sha256"), "{msg}");
    let fx = fixture();
    let msg = StaticFiles::from_manifest(root(&fx), "/static")
        .expect_err("url")
        .to_string();
    assert!(msg.contains("static_url"), "{msg}");
}

#[tokio::test]
async fn template_helpers_with_local_and_cdn_prefixes() {
    let t = fixture();
    let files = StaticFiles::from_manifest(root(&t), "/static/").expect("load");
    assert_eq!(files.static_url("css/app.css").as_deref(), Ok(CSS_URL));
    assert_eq!(
        files.integrity("css/app.css").as_deref(),
        Ok(integrity(CSS).as_str())
    );
    let e = files.static_url("css/missing.css").expect_err("missing");
    assert_eq!(e.path, "css/missing.css");
    let cdn =
        StaticFiles::from_manifest(root(&t), "https://cdn.example.com/static/").expect("load");
    assert_eq!(
        cdn.static_url("css/app.css").as_deref(),
        Ok("https://cdn.example.com/static/css/app.0123456789ab.css")
    );
    // The CDN pulls from the origin under the URL's path.
    let addr = serve(cdn).await;
    assert_eq!(get(addr, CSS_URL, &[]).await.status, 200);
}

#[tokio::test]
async fn dev_mode_serves_sources_and_sees_edits() {
    let t = tempfile::tempdir().expect("tempdir");
    let src = t.path().join("assets");
    std::fs::create_dir_all(src.join("css")).expect("mkdir");
    std::fs::write(src.join("css/app.css"), b"v1").expect("write");
    std::fs::write(src.join(".hidden"), b"h").expect("write");
    std::fs::write(t.path().join("outside.txt"), b"o").expect("write");
    let mut config = rcollect_core::Config::new(t.path().join("out"), "/static/");
    config.dirs.push(rcollect_core::config::SourceDir {
        prefix: String::new(),
        path: src.clone(),
    });
    config.debug = true;
    let files = StaticFiles::from_config(&config).expect("dev");
    assert!(files.is_dev());
    assert_eq!(
        files.static_url("css/app.css").as_deref(),
        Ok("/static/css/app.css")
    );
    assert_eq!(
        files.integrity("css/app.css").as_deref(),
        Ok(integrity(b"v1").as_str())
    );
    let addr = serve(files).await;
    let r = get(addr, "/static/css/app.css", &[("Accept-Encoding", "br")]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"v1");
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert!(!r.has("content-encoding"));
    let etag = r.header("etag").expect("etag").to_string();
    assert_eq!(
        get(addr, "/static/css/app.css", &[("If-None-Match", &etag)])
            .await
            .status,
        304
    );
    assert_eq!(
        get(addr, "/static/css/app.css", &[("Range", "bytes=1-")])
            .await
            .body,
        b"1"
    );
    std::fs::write(src.join("css/app.css"), b"version 2").expect("write");
    let r = get(addr, "/static/css/app.css", &[("If-None-Match", &etag)]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"version 2");
    for p in [
        "/static/.hidden",
        "/static/../outside.txt",
        "/static/%2e%2e/outside.txt",
        "/static/nope.css",
    ] {
        assert_eq!(get(addr, p, &[]).await.status, 418, "{p}");
    }
    assert_eq!(
        request(
            addr,
            "POST",
            "/static/css/app.css",
            &[("Content-Length", "0")]
        )
        .await
        .status,
        405
    );
}

#[tokio::test]
async fn config_serve_table_applies() {
    let t = fixture();
    let mut config = rcollect_core::Config::new(root(&t), "/assets/");
    config.serve.max_age = 7;
    config.serve.index = true;
    config
        .serve
        .headers
        .push(rcollect_core::config::HeaderRule {
            glob: "**/*.css".into(),
            name: "x-test".into(),
            value: "yes".into(),
        });
    config
        .serve
        .mime_types
        .insert("png".into(), "image/x-test".into());
    let addr = serve(StaticFiles::from_config(&config).expect("config")).await;
    let r = get(addr, "/assets/css/app.css", &[]).await;
    assert_eq!(r.header("cache-control"), Some("public, max-age=7"));
    assert_eq!(r.header("x-test"), Some("yes"));
    assert_eq!(
        get(addr, "/assets/img/logo.png", &[])
            .await
            .header("content-type"),
        Some("image/x-test")
    );
    assert_eq!(get(addr, "/assets/docs/", &[]).await.status, 200);
    assert_eq!(get(addr, CSS_URL, &[]).await.status, 418);
    config.serve.headers[0].name = "bad name".into();
    let msg = StaticFiles::from_config(&config)
        .expect_err("bad")
        .to_string();
    assert!(msg.contains("serve.headers[0].name"), "{msg}");
}

#[tokio::test]
async fn keep_alive_serves_many_requests_on_one_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (_t, addr) = server().await;
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let one = format!("GET {CSS_URL} HTTP/1.1\r\nHost: t\r\n\r\n");
    let last = format!("GET {CSS_URL} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    s.write_all(format!("{one}{one}{last}").as_bytes())
        .await
        .expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 3);
    let _ = Encoding::Br;
}
