//! In-module tests of the service through `oneshot` (the end-to-end ones
//! over a real socket are in `tests/http.rs`).

use std::collections::BTreeMap;
use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Empty, Full};
use rcollect_core::{Encoding, FileMeta, Manifest};
use tower::{Layer, ServiceExt};

use crate::StaticFiles;

const BODY: &[u8] = b"body{}";
const HASHED: &str = "a.0123456789ab.css";

fn root() -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("tempdir");
    std::fs::write(t.path().join(HASHED), BODY).expect("write");
    std::fs::write(t.path().join(format!("{HASHED}.gz")), b"gz").expect("write");
    let mut m = Manifest::new();
    m.paths.insert("a.css".into(), HASHED.into());
    m.files.insert(
        HASHED.into(),
        FileMeta {
            size: BODY.len() as u64,
            content_type: "text/css; charset=utf-8".into(),
            sha256: "0123456789abcdef0123".into(),
            integrity: "sha384-abc".into(),
            modified: 0,
            variants: BTreeMap::from([(Encoding::Gzip, 2)]),
        },
    );
    m.write_atomic(t.path()).expect("manifest");
    t
}

fn inner() -> impl tower::Service<
    Request<Empty<Bytes>>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Send,
> + Clone {
    tower::service_fn(|_req: Request<Empty<Bytes>>| async {
        let mut res = Response::new(Full::new(Bytes::from_static(b"inner")));
        *res.status_mut() = StatusCode::IM_A_TEAPOT;
        Ok::<_, Infallible>(res)
    })
}

fn req(path: &str) -> http::request::Builder {
    Request::builder().uri(path)
}

#[tokio::test]
async fn serves_known_names_and_passes_the_rest() {
    let t = root();
    let svc = StaticFiles::from_manifest(t.path(), "/static/")
        .expect("load")
        .layer(inner());
    let res = svc
        .clone()
        .oneshot(
            req(&format!("/static/{HASHED}"))
                .body(Empty::new())
                .expect("req"),
        )
        .await
        .expect("infallible");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::ETAG], "\"0123456789abcdef\"");
    assert_eq!(res.headers()[header::VARY], "Accept-Encoding");
    let body = res.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(&body[..], BODY);

    let res = svc
        .clone()
        .oneshot(
            req(&format!("/static/{HASHED}"))
                .header(header::ACCEPT_ENCODING, "gzip")
                .body(Empty::new())
                .expect("req"),
        )
        .await
        .expect("infallible");
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(res.headers()[header::ETAG], "\"0123456789abcdef-gzip\"");
    let body = res.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(&body[..], b"gz");

    for path in [
        "/static/a.css",
        "/static/nope",
        "/elsewhere",
        "/static/../a",
    ] {
        let res = svc
            .clone()
            .oneshot(req(path).body(Empty::new()).expect("req"))
            .await
            .expect("infallible");
        assert_eq!(res.status(), StatusCode::IM_A_TEAPOT, "{path}");
        let body = res.into_body().collect().await.expect("body").to_bytes();
        assert_eq!(&body[..], b"inner");
    }
}

#[tokio::test]
async fn into_service_answers_404_for_the_rest() {
    let t = root();
    let svc = StaticFiles::from_manifest(t.path(), "/static/")
        .expect("load")
        .into_service();
    let res = svc
        .oneshot(req("/static/x").body(Empty::<Bytes>::new()).expect("req"))
        .await
        .expect("infallible");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn works_as_an_axum_layer() {
    use axum::routing::get;
    let t = root();
    let files = StaticFiles::from_manifest(t.path(), "/static/").expect("load");
    let app: axum::Router = axum::Router::new()
        .route("/", get(|| async { "home" }))
        .layer(files.clone());
    let url = files.static_url("a.css").expect("url");
    for (path, status, body) in [
        (url.as_str(), StatusCode::OK, BODY),
        ("/", StatusCode::OK, &b"home"[..]),
        ("/static/missing.css", StatusCode::NOT_FOUND, &b""[..]),
    ] {
        let res = app
            .clone()
            .oneshot(req(path).body(axum::body::Body::empty()).expect("req"))
            .await
            .expect("infallible");
        assert_eq!(res.status(), status, "{path}");
        let got = res.into_body().collect().await.expect("body").to_bytes();
        assert_eq!(&got[..], body, "{path}");
    }
}

#[test]
fn builders_rebuild_the_table_and_share_the_files() {
    let t = root();
    let files = StaticFiles::from_manifest(t.path(), "/static/").expect("load");
    assert_eq!(files.len(), 1);
    let clone = files.clone();
    let changed = clone.max_age(5);
    assert_eq!(changed.len(), 1);
    assert_eq!(files.integrity("a.css").as_deref(), Ok("sha384-abc"));
    assert!(files.static_url("b.css").is_err());
    assert!(!files.is_empty());
    assert_eq!(files.mount_path(), "/static/");
}
