//! `[sourcemaps] mode` through the service: a real collect in each mode,
//! then requests for the maps by their hashed and unhashed names.

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, header};
use http_body_util::{BodyExt, Empty};
use rcollect_core::config::SourceMapMode;
use tower::{Layer, ServiceExt};

use super::{inner, req};
use crate::StaticFiles;

const JS: &str = "f();\n//# sourceMappingURL=app.js.map\n";
const MAP: &str = "{\"version\":3,\"sources\":[\"app.ts\"],\"mappings\":\"AAAA\"}";

/// A project with a script and its map, collected in `mode`, with its
/// config (STATIC_ROOT `out`, STATIC_URL `/static/`).
fn collected(mode: SourceMapMode) -> (tempfile::TempDir, rcollect_core::Config) {
    let t = tempfile::tempdir().expect("tempdir");
    let src = t.path().join("assets");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::write(src.join("app.js"), JS).expect("write");
    std::fs::write(src.join("app.js.map"), MAP.repeat(20)).expect("write");
    let mut config = rcollect_core::Config::new(t.path().join("out"), "/static/");
    config.cache_dir = None;
    config.sourcemaps.mode = mode;
    config.dirs.push(rcollect_core::config::SourceDir {
        prefix: String::new(),
        path: src,
    });
    rcollect_core::collect::collect(&config, &Default::default()).expect("collect");
    (t, config)
}

/// What the service answers `method path` with `headers`: status,
/// headers and body.
async fn ask(
    files: &StaticFiles,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Bytes) {
    let mut r = req(path).method(method);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let res = files
        .clone()
        .layer(inner())
        .oneshot(r.body(Empty::<Bytes>::new()).expect("req"))
        .await
        .expect("infallible");
    let (parts, body) = res.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    (parts.status, parts.headers, body)
}

async fn get(
    files: &StaticFiles,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Bytes) {
    ask(files, Method::GET, path, headers).await
}

/// The URL paths of the map: hashed and unhashed.
fn map_paths(files: &StaticFiles) -> [String; 2] {
    let hashed = files.static_url("app.js.map").expect("map in the manifest");
    assert_ne!(hashed, "/static/app.js.map");
    [hashed, "/static/app.js.map".to_string()]
}

/// The refusal: a `no-store` 404 from the middleware itself (not the inner
/// service, so neither the app nor a cache decides), with no body.
fn assert_refused((status, headers, body): &(StatusCode, HeaderMap, Bytes), what: &str) {
    assert_eq!(*status, StatusCode::NOT_FOUND, "{what}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store", "{what}");
    assert!(headers.get(header::ETAG).is_none(), "{what}");
    assert!(body.is_empty(), "{what}");
}

#[tokio::test]
async fn public_maps_are_linked_and_served_like_any_file() {
    let (_t, config) = collected(SourceMapMode::Public);
    let files = StaticFiles::from_manifest(&config.static_root, "/static/").expect("load");
    let [hashed, unhashed] = map_paths(&files);
    let (status, _, js) = get(&files, &files.static_url("app.js").expect("js"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    let name = hashed.rsplit('/').next().expect("name");
    assert!(
        String::from_utf8_lossy(&js).contains(&format!("//# sourceMappingURL={name}")),
        "{js:?}"
    );
    let (status, h, body) = get(&files, &hashed, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        h[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(&body[..], MAP.repeat(20).as_bytes());
    let (status, h, _) = get(&files, &unhashed, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h[header::CACHE_CONTROL], "public, max-age=60");
}

#[tokio::test]
async fn hidden_maps_are_unlinked_and_never_served() {
    let (_t, config) = collected(SourceMapMode::Hidden);
    let files = StaticFiles::from_manifest(&config.static_root, "/static/")
        .expect("load")
        .sourcemap_token("t0ken");
    // The script is served without the link; its SRI is of those bytes.
    let (status, h, js) = get(&files, &files.static_url("app.js").expect("js"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&js[..], b"f();\n\n");
    assert!(h.get("sourcemap").is_none());
    let sri = rcollect_core::hash::Digests::of(&js).integrity();
    assert_eq!(files.integrity("app.js").as_deref(), Ok(sri.as_str()));
    // The map is still collected (for an error tracker), and refused under
    // both names, to every method, even with a token.
    let paths = map_paths(&files);
    for path in &paths {
        for headers in [
            &[][..],
            &[("sourcemap-token", "t0ken")],
            &[("cookie", "rcollect_sourcemap_token=t0ken")],
        ] {
            assert_refused(&get(&files, path, headers).await, path);
        }
        assert_refused(&ask(&files, Method::HEAD, path, &[]).await, path);
        assert_refused(&ask(&files, Method::POST, path, &[]).await, path);
    }
    let hashed = paths[0].trim_start_matches("/static/");
    assert!(config.static_root.join(hashed).is_file());
}

#[tokio::test]
async fn private_maps_go_only_to_holders_of_the_token_and_no_cache_keeps_them() {
    let (_t, config) = collected(SourceMapMode::Private);
    let files = StaticFiles::from_manifest(&config.static_root, "/static/")
        .expect("load")
        .sourcemap_token("s3cret-t0ken");
    // The link stays (DevTools asks, and is refused unless it has the token).
    let (_, _, js) = get(&files, &files.static_url("app.js").expect("js"), &[]).await;
    assert!(String::from_utf8_lossy(&js).contains("//# sourceMappingURL=app.js."));
    for path in map_paths(&files) {
        for headers in [
            &[][..],
            &[("sourcemap-token", "wrong")],
            &[("sourcemap-token", "s3cret-t0ke")],
            &[("cookie", "rcollect_sourcemap_token=wrong; theme=dark")],
            &[("x-sourcemap-token", "s3cret-t0ken")],
            &[("cookie", "sourcemap_token=s3cret-t0ken")],
        ] {
            assert_refused(
                &get(&files, &path, headers).await,
                &format!("{path} {headers:?}"),
            );
        }
        for headers in [
            &[("sourcemap-token", "s3cret-t0ken")][..],
            &[(
                "cookie",
                "sessionid=abc; rcollect_sourcemap_token=s3cret-t0ken; theme=dark",
            )],
        ] {
            let (status, h, body) = get(&files, &path, headers).await;
            assert_eq!(status, StatusCode::OK, "{path} {headers:?}");
            assert_eq!(h[header::CACHE_CONTROL], "private, no-store", "{path}");
            assert!(h.get("use-as-dictionary").is_none(), "{path}");
            assert_eq!(&body[..], MAP.repeat(20).as_bytes(), "{path}");
        }
        // Precompressed variants and conditionals work for the holders of
        // the token; a conditional without it is still a 404, not a 304.
        let token = ("sourcemap-token", "s3cret-t0ken");
        let (status, h, _) = get(&files, &path, &[token, ("accept-encoding", "gzip")]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(h[header::CONTENT_ENCODING], "gzip", "{path}");
        let etag = h[header::ETAG].to_str().expect("etag").to_string();
        let (status, h, _) = get(
            &files,
            &path,
            &[token, ("accept-encoding", "gzip"), ("if-none-match", &etag)],
        )
        .await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(h[header::CACHE_CONTROL], "private, no-store");
        assert_refused(
            &get(
                &files,
                &path,
                &[("accept-encoding", "gzip"), ("if-none-match", &etag)],
            )
            .await,
            &path,
        );
        assert_refused(&ask(&files, Method::HEAD, &path, &[]).await, &path);
        let (status, h, body) = ask(&files, Method::HEAD, &path, &[token]).await;
        assert_eq!((status, body.len()), (StatusCode::OK, 0));
        assert_eq!(h[header::CACHE_CONTROL], "private, no-store");
    }
    // Other files are not gated.
    let (status, h, _) = get(&files, "/static/app.js", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h[header::CACHE_CONTROL], "public, max-age=60");
}

#[tokio::test]
async fn private_maps_without_a_token_are_refused_to_everyone() {
    let (_t, config) = collected(SourceMapMode::Private);
    let loaded = StaticFiles::from_manifest(&config.static_root, "/static/").expect("load");
    // An empty token is no token: it would admit an empty header.
    for files in [loaded.clone(), loaded.sourcemap_token("")] {
        for path in map_paths(&files) {
            for headers in [
                &[][..],
                &[("sourcemap-token", "")],
                &[("cookie", "rcollect_sourcemap_token=")],
            ] {
                assert_refused(&get(&files, &path, headers).await, &path);
            }
        }
    }
}

#[tokio::test]
async fn dev_mode_serves_the_maps_whatever_the_mode() {
    let (_t, config) = collected(SourceMapMode::Hidden);
    let files = StaticFiles::dev(&config).expect("dev");
    let (status, _, body) = get(&files, "/static/app.js.map", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&body[..], MAP.repeat(20).as_bytes());
    let (_, _, js) = get(&files, "/static/app.js", &[]).await;
    assert_eq!(&js[..], JS.as_bytes());
}
