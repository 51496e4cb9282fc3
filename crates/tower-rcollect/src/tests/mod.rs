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

mod edges;
mod missing;
mod sourcemaps;

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
            deltas: Default::default(),
            hashed_by: None,
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

// ------------------------------------------------ bad manifests and disks

/// A manifest with one file of `meta`, written under `t` with `body`.
fn root_with(meta: FileMeta, body: &[u8]) -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("tempdir");
    std::fs::write(t.path().join(HASHED), body).expect("write");
    let mut m = Manifest::new();
    m.paths.insert("a.css".into(), HASHED.into());
    m.files.insert(HASHED.into(), meta);
    m.write_atomic(t.path()).expect("manifest");
    t
}

fn meta(size: u64) -> FileMeta {
    FileMeta {
        size,
        content_type: "text/css; charset=utf-8".into(),
        sha256: "0123456789abcdef0123".into(),
        integrity: "sha384-abc".into(),
        modified: 0,
        variants: BTreeMap::new(),
        deltas: Default::default(),
        hashed_by: None,
    }
}

async fn get(
    svc: &crate::StaticFilesService<crate::NotFound>,
    accept: &str,
) -> (StatusCode, http::HeaderMap, Bytes) {
    let res = svc
        .clone()
        .oneshot(
            req(&format!("/static/{HASHED}"))
                .header(header::ACCEPT_ENCODING, accept)
                .body(Empty::<Bytes>::new())
                .expect("req"),
        )
        .await
        .expect("infallible");
    let (parts, body) = res.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    (parts.status, parts.headers, body)
}

#[tokio::test]
async fn a_variant_missing_on_disk_falls_back_to_the_next_representation() {
    // The manifest lists br and gzip; a partial sync left only gzip.
    let mut m = meta(BODY.len() as u64);
    m.variants = BTreeMap::from([(Encoding::Br, 3), (Encoding::Gzip, 2)]);
    let t = root_with(m, BODY);
    std::fs::write(t.path().join(format!("{HASHED}.gz")), b"gz").expect("write");
    let svc = StaticFiles::from_manifest(t.path(), "/static/")
        .expect("load")
        .into_service();
    for _ in 0..2 {
        let (status, h, body) = get(&svc, "br, gzip").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(h[header::CONTENT_ENCODING], "gzip");
        assert_eq!(h[header::ETAG], "\"0123456789abcdef-gzip\"");
        assert_eq!(h[header::CONTENT_LENGTH], "2");
        assert_eq!(h[header::VARY], "Accept-Encoding");
        assert_eq!(&body[..], b"gz");
    }
    // Only br acceptable besides identity: identity.
    let (status, h, body) = get(&svc, "br").await;
    assert_eq!(status, StatusCode::OK);
    assert!(h.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(&body[..], BODY);
}

#[tokio::test]
async fn a_file_whose_size_on_disk_differs_is_a_500_never_a_wrong_length() {
    // Streamed (memory_max_file 0) and read whole alike.
    for max_file in [0, 1 << 20] {
        let t = root_with(meta(BODY.len() as u64 + 10), BODY);
        let svc = StaticFiles::from_manifest(t.path(), "/static/")
            .expect("load")
            .memory_max_file(max_file)
            .into_service();
        let (status, h, body) = get(&svc, "identity").await;
        assert_eq!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "max_file {max_file}"
        );
        assert!(h.get(header::CONTENT_LENGTH).is_none_or(|v| v == "0"));
        assert!(body.is_empty());
    }
}

#[tokio::test]
async fn an_abandoned_first_read_gives_its_memory_back() {
    use std::future::Future;
    let t = root_with(meta(BODY.len() as u64), BODY);
    let files = StaticFiles::from_manifest(t.path(), "/static/").expect("load");
    let svc = files.clone().into_service();
    // Start the first read and drop it before it completes, as hyper does
    // when the client goes away.
    let mut fut = Box::pin(
        svc.clone().oneshot(
            req(&format!("/static/{HASHED}"))
                .body(Empty::<Bytes>::new())
                .expect("req"),
        ),
    );
    let waker = std::task::Waker::noop();
    let _ = fut
        .as_mut()
        .poll(&mut std::task::Context::from_waker(waker));
    drop(fut);
    let crate::source::Source::Manifest(loaded) = &files.inner.source else {
        panic!("manifest mode");
    };
    assert_eq!(loaded.memory.used(), 0, "reservation leaked");
    // And the file is still cached on a later request.
    let (status, _, body) = get(&svc, "identity").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&body[..], BODY);
    assert_eq!(loaded.memory.used(), BODY.len() as u64);
}

#[test]
fn manifest_values_http_cannot_carry_are_clamped_or_refused_without_panic() {
    let mut far = meta(BODY.len() as u64);
    far.modified = 253_402_300_800 + 86_400 * 365;
    let t = root_with(far, BODY);
    let files = StaticFiles::from_manifest(t.path(), "/static/").expect("load");
    assert_eq!(files.len(), 1);

    let mut bad = meta(BODY.len() as u64);
    bad.sha256 = format!("a{}", "é".repeat(20)); // byte 16 is inside a character
    let t = root_with(bad, BODY);
    let err = StaticFiles::from_manifest(t.path(), "/static/").expect_err("bad sha256");
    assert!(err.to_string().contains("sha256"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_django_manifest_naming_a_fifo_does_not_block_start_up() {
    let t = tempfile::tempdir().expect("tempdir");
    let fifo = t.path().join("a.0123456789ab.css");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    std::fs::write(
        t.path().join("staticfiles.json"),
        r#"{"version": "1.1", "paths": {"a.css": "a.0123456789ab.css"}}"#,
    )
    .expect("manifest");
    let root = t.path().to_path_buf();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(StaticFiles::from_manifest(&root, "/static/").map(|f| f.len()));
    });
    let loaded = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("start-up blocked on a FIFO");
    assert_eq!(loaded.expect("loads"), 0, "the FIFO is not served");
}

mod manifests {
    use proptest::prelude::*;

    use super::*;

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z0-9./_-]{0,24}",
            any::<String>(),
            Just("../etc/passwd".to_string()),
            Just(format!("a{}", "é".repeat(17))),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// No manifest makes the loader (or the first requests) panic.
        #[test]
        fn arbitrary_manifests_never_panic(
            entries in prop::collection::vec(
                (text(), text(), any::<u64>(), text(), text(), any::<u64>(),
                 prop::collection::btree_map(
                     prop::sample::select(Encoding::ALL.to_vec()), any::<u64>(), 0..3)),
                0..6),
        ) {
            let t = tempfile::tempdir().expect("tempdir");
            let mut m = Manifest::new();
            for (logical, hashed, size, ct, sha, modified, variants) in entries {
                m.paths.insert(logical, hashed.clone());
                m.files.insert(hashed, FileMeta {
                    size,
                    content_type: ct,
                    sha256: sha,
                    integrity: String::new(),
                    modified,
                    variants,
                    deltas: Default::default(),
                    hashed_by: None,
                });
            }
            std::fs::write(t.path().join("staticfiles.json"), m.to_json()).expect("write");
            if let Ok(files) = StaticFiles::from_manifest(t.path(), "/static/") {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("rt");
                let svc = files.clone().into_service();
                for name in m.files.keys().take(3) {
                    let uri = format!("/static/{}", percent_encoding::utf8_percent_encode(
                        name, percent_encoding::NON_ALPHANUMERIC));
                    let Ok(r) = req(&uri).header(header::RANGE, "bytes=0-").body(Empty::<Bytes>::new()) else {
                        continue;
                    };
                    let _ = rt.block_on(svc.clone().oneshot(r));
                }
            }
        }
    }
}

#[test]
fn a_non_ascii_static_url_is_refused() {
    let t = root();
    let err = StaticFiles::from_manifest(t.path(), "/stätic/").expect_err("non-ASCII");
    assert!(err.to_string().contains("percent-encoded"), "{err}");
    let files = StaticFiles::from_manifest(t.path(), "/st%C3%A4tic/").expect("encoded");
    assert_eq!(files.mount_path(), "/st%C3%A4tic/");
    assert!(
        files
            .static_url("a.css")
            .expect("url")
            .starts_with("/st%C3%A4tic/")
    );
}

#[cfg(unix)]
#[tokio::test]
async fn dev_mode_applies_ignore_rules_to_where_a_symlink_leads() {
    let t = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(t.path().join("assets")).expect("mkdir");
    std::fs::create_dir_all(t.path().join(".git")).expect("mkdir");
    std::fs::write(t.path().join(".git/config"), "secret").expect("write");
    std::fs::write(t.path().join("assets/a.css"), BODY).expect("write");
    std::os::unix::fs::symlink("../.git", t.path().join("assets/notdot")).expect("symlink");
    std::fs::create_dir_all(t.path().join("shared")).expect("mkdir");
    std::fs::write(t.path().join("shared/b.css"), BODY).expect("write");
    std::os::unix::fs::symlink("../shared", t.path().join("assets/linked")).expect("symlink");
    let mut config = rcollect_core::Config::new(t.path().join("out"), "/static/");
    config.dirs.push(rcollect_core::config::SourceDir {
        prefix: String::new(),
        path: t.path().join("assets"),
    });
    let svc = StaticFiles::dev(&config).expect("dev").layer(inner());
    for (path, status) in [
        ("/static/a.css", StatusCode::OK),
        ("/static/linked/b.css", StatusCode::OK),
        ("/static/notdot/config", StatusCode::IM_A_TEAPOT),
    ] {
        let res = svc
            .clone()
            .oneshot(req(path).body(Empty::new()).expect("req"))
            .await
            .expect("infallible");
        assert_eq!(res.status(), status, "{path}");
        let body = res.into_body().collect().await.expect("body").to_bytes();
        assert!(!body.windows(6).any(|w| w == b"secret"), "{path}");
    }
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn dev_mode_reads_only_the_requested_range() {
    fn peak_rss_kb() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .expect("status")
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM")
    }
    let t = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(t.path().join("assets")).expect("mkdir");
    // 512 MB, sparse: costs no disk, but reading it whole costs 512 MB.
    let big = std::fs::File::create(t.path().join("assets/big.bin")).expect("create");
    big.set_len(512 << 20).expect("set_len");
    let mut config = rcollect_core::Config::new(t.path().join("out"), "/static/");
    config.dirs.push(rcollect_core::config::SourceDir {
        prefix: String::new(),
        path: t.path().join("assets"),
    });
    let svc = StaticFiles::dev(&config).expect("dev").into_service();
    let before = peak_rss_kb();
    for _ in 0..6 {
        let res = svc
            .clone()
            .oneshot(
                req("/static/big.bin")
                    .header(header::RANGE, "bytes=1000-1000")
                    .body(Empty::<Bytes>::new())
                    .expect("req"),
            )
            .await
            .expect("infallible");
        assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
        let body = res.into_body().collect().await.expect("body").to_bytes();
        assert_eq!(&body[..], &[0u8][..]);
    }
    let grew = peak_rss_kb().saturating_sub(before);
    assert!(
        grew < 100 * 1024,
        "peak RSS grew by {grew} kB for six 1-byte ranges"
    );
}

#[test]
fn start_up_fails_loud_on_configuration_errors_with_readable_messages() {
    let t = root();
    // E004: STATIC_URL without its trailing slash; a serving concern.
    let config = rcollect_core::Config::new(t.path(), "/static");
    let err = StaticFiles::from_config(&config).expect_err("E004");
    let shown = err.to_string();
    assert!(shown.contains("E004") && shown.contains("hint:"), "{shown}");
    // Debug is the message (what `main() -> Result<_, Box<dyn Error>>` prints).
    assert_eq!(format!("{err:?}"), shown);
    // A missing manifest speaks to an app developer.
    let empty = tempfile::tempdir().expect("tempdir");
    let config = rcollect_core::Config::new(empty.path(), "/static/");
    let err = StaticFiles::from_config(&config).expect_err("no manifest");
    let shown = format!("{err:?}");
    assert!(
        shown.contains("rcollect collectstatic") && shown.contains("dev mode"),
        "{shown}"
    );
}

#[tokio::test]
async fn static_responses_allow_all_origins_unless_switched_off_and_inner_gets_the_files() {
    let t = root();
    let files = StaticFiles::from_manifest(t.path(), "/static/").expect("load");
    let path = format!("/static/{HASHED}");
    let res = files
        .clone()
        .layer(inner())
        .oneshot(req(&path).body(Empty::new()).expect("req"))
        .await
        .expect("infallible");
    assert_eq!(res.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    // A rule for the header replaces the default on the files it matches.
    let res = files
        .clone()
        .header_for(
            globset::Glob::new("*.css").expect("glob"),
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            http::HeaderValue::from_static("https://a.example"),
        )
        .layer(inner())
        .oneshot(req(&path).body(Empty::new()).expect("req"))
        .await
        .expect("infallible");
    let values: Vec<_> = res
        .headers()
        .get_all(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .iter()
        .collect();
    assert_eq!(values, ["https://a.example"]);
    let res = files
        .clone()
        .allow_all_origins(false)
        .layer(inner())
        .oneshot(req(&path).body(Empty::new()).expect("req"))
        .await
        .expect("infallible");
    assert!(
        !res.headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    );

    // Requests that are not for a static file reach the inner service with
    // the files in their extensions (for `Extension<StaticFiles>`).
    let seen = tower::service_fn(|r: Request<Empty<Bytes>>| async move {
        let url = r
            .extensions()
            .get::<StaticFiles>()
            .and_then(|f| f.static_url("a.css").ok())
            .unwrap_or_default();
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(url))))
    });
    let res = files
        .layer(seen)
        .oneshot(req("/page").body(Empty::new()).expect("req"))
        .await
        .expect("infallible");
    let body = res.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(&body[..], format!("/static/{HASHED}").as_bytes());
}

#[test]
fn tags_carry_the_hashed_url_integrity_and_crossorigin() {
    let t = root();
    let files = StaticFiles::from_manifest(t.path(), "https://cdn.example/s/").expect("load");
    let tag = files.stylesheet_tag("a.css").expect("tag");
    assert_eq!(
        tag.as_str(),
        format!(
            r#"<link rel="stylesheet" href="https://cdn.example/s/{HASHED}" integrity="sha384-abc" crossorigin="anonymous">"#
        )
    );
    assert_eq!(
        files.module_tag("a.css").expect("tag").to_string(),
        format!(
            r#"<script type="module" src="https://cdn.example/s/{HASHED}" integrity="sha384-abc" crossorigin="anonymous"></script>"#
        )
    );
    let err = files.script_tag("b.js").expect_err("missing");
    assert_eq!(err.path, "b.js");
}

#[cfg(feature = "minijinja")]
#[test]
fn minijinja_names_the_missing_asset_and_the_template_line() {
    let t = root();
    let files = StaticFiles::from_manifest(t.path(), "/static/").expect("load");
    let mut env = minijinja::Environment::new();
    files.register_minijinja(&mut env);
    env.add_template("page.html", "<p>\n{{ script('js/gone.js') }}</p>")
        .expect("template");
    let err = env
        .get_template("page.html")
        .expect("template")
        .render(())
        .expect_err("missing asset");
    let text = err.to_string();
    assert!(text.contains("'js/gone.js' not found"), "{text}");
    assert!(text.contains("page.html:2"), "{text}");
    // Safe output: not escaped in an .html template.
    let html = env
        .render_named_str("x.html", "{{ stylesheet('a.css') }}", ())
        .expect("render");
    assert!(html.starts_with("<link rel="), "{html}");
}

#[cfg(feature = "tera")]
#[test]
fn tera_names_the_missing_asset_and_the_template() {
    let t = root();
    let files = StaticFiles::from_manifest(t.path(), "/static/").expect("load");
    let mut tera = tera::Tera::default();
    files.register_tera(&mut tera);
    tera.add_raw_template(
        "page.html",
        "{{ stylesheet(path='a.css') }}|{{ static(path='gone.png') }}",
    )
    .expect("template");
    let err = tera
        .render("page.html", &tera::Context::new())
        .expect_err("missing asset");
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        chain.push_str(&format!(" / {s}"));
        source = s.source();
    }
    assert!(chain.contains("'page.html'"), "{chain}");
    assert!(chain.contains("'gone.png' not found"), "{chain}");
    let err = tera
        .render_str("{{ static(name='x') }}", &tera::Context::new())
        .expect_err("no path argument");
    let text = format!("{:?}", err);
    assert!(text.contains("needs a `path` argument"), "{text}");
    tera.add_raw_template("ok.html", "{{ stylesheet(path='a.css') }}")
        .expect("template");
    let html = tera
        .render("ok.html", &tera::Context::new())
        .expect("render");
    assert!(
        html.starts_with("<link rel=\"stylesheet\""),
        "not escaped: {html}"
    );
}

#[cfg(feature = "askama")]
#[test]
fn askama_inserts_tags_unescaped_and_names_the_missing_asset() {
    use askama::Template;
    #[derive(Template)]
    #[template(
        ext = "html",
        source = r#"{{ files.script_tag("a.css")? }}{{ files.static_url(missing)? }}"#
    )]
    struct Page<'a> {
        files: StaticFiles,
        missing: &'a str,
    }
    let t = root();
    let files = StaticFiles::from_manifest(t.path(), "/static/").expect("load");
    let html = Page {
        files: files.clone(),
        missing: "a.css",
    }
    .render()
    .expect("render");
    assert!(
        html.starts_with("<script src=\"/static/"),
        "escaped? {html}"
    );
    let err = Page {
        files,
        missing: "gone.css",
    }
    .render()
    .expect_err("missing asset");
    assert!(err.to_string().contains("'gone.css' not found"), "{err}");
}

#[tokio::test]
async fn root_dir_files_are_served_at_the_site_root_with_short_caching() {
    let t = root();
    let public = tempfile::tempdir().expect("tempdir");
    std::fs::write(public.path().join("robots.txt"), "User-agent: *\n").expect("write");
    std::fs::write(public.path().join(".env"), "SECRET=1").expect("write");
    std::fs::create_dir(public.path().join(".well-known")).expect("mkdir");
    std::fs::write(public.path().join(".well-known/x"), "x").expect("write");
    std::fs::create_dir(public.path().join("icons")).expect("mkdir");
    std::fs::write(public.path().join("icons/a.svg"), "<svg/>").expect("write");
    let svc = StaticFiles::from_manifest(t.path(), "/static/")
        .expect("load")
        .root_dir(crate::RootDir::scan(public.path()).expect("root_dir"))
        .layer(inner());
    let get = |path: &str| {
        svc.clone()
            .oneshot(req(path).body(Empty::new()).expect("req"))
    };
    let res = get("/robots.txt").await.expect("infallible");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "public, max-age=60");
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "text/plain; charset=utf-8"
    );
    let body = res.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(&body[..], b"User-agent: *\n");
    let res = get("/icons/a.svg").await.expect("infallible");
    assert_eq!(res.status(), StatusCode::OK);
    // The static files still win under the mount; the rest goes to the app.
    let res = get(&format!("/static/{HASHED}")).await.expect("infallible");
    assert_eq!(res.status(), StatusCode::OK);
    for other in [
        "/.env",
        "/.well-known/x",
        "/nope.txt",
        "/icons/../robots.txt",
        "/icons%2fa.svg",
        "/",
    ] {
        let res = get(other).await.expect("infallible");
        assert_eq!(res.status(), StatusCode::IM_A_TEAPOT, "{other}");
    }
    // A missing root_dir fails at start-up, naming it.
    let err = crate::RootDir::scan(public.path().join("gone")).expect_err("missing");
    assert!(err.to_string().contains("gone"), "{err}");
}

/// The parts of an [`crate::Embedded`] table, to vary in tests.
#[derive(Clone, Copy)]
struct Table {
    manifest: &'static str,
    names: &'static [&'static str],
    files: &'static [&'static [u8]],
    br_only: bool,
}

impl Table {
    fn embedded(self) -> crate::Embedded {
        crate::Embedded::new(self.manifest, self.names, self.files, "/static/")
            .br_only(self.br_only)
    }
}

/// The manifest's JSON, for an [`crate::Embedded`] table.
fn leak_manifest(m: &Manifest) -> &'static str {
    Box::leak(
        String::from_utf8(m.to_json())
            .expect("utf-8")
            .into_boxed_str(),
    )
}

/// An [`crate::Embedded`] table built in memory (nothing on disk).
fn embedded_table() -> crate::Embedded {
    embedded_parts().embedded()
}

fn embedded_parts() -> Table {
    let leak = |b: Vec<u8>| -> &'static [u8] { Box::leak(b.into_boxed_slice()) };
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
            variants: BTreeMap::from([(Encoding::Br, 3)]),
            deltas: Default::default(),
            hashed_by: None,
        },
    );
    m.update_hash();
    let manifest = leak_manifest(&m);
    let names: &'static [&'static str] = Box::leak(Box::new([HASHED, "a.0123456789ab.css.br"]));
    let files: &'static [&'static [u8]] =
        Box::leak(Box::new([leak(BODY.to_vec()), leak(b"BR!".to_vec())]));
    Table {
        manifest,
        names,
        files,
        br_only: false,
    }
}

/// The table a dev build generates (no files, the config file) serves
/// the sources, edits included, through the dev-mode pointer it carries.
#[tokio::test]
async fn an_embedded_table_of_a_dev_build_serves_the_sources() {
    let t = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(t.path().join("assets/css")).expect("mkdir");
    std::fs::write(t.path().join("assets/css/a.css"), BODY).expect("write");
    let config = t.path().join("rcollect.toml");
    std::fs::write(
        &config,
        "static_url = \"/static/\"\nstatic_root = \"out\"\ndirs = [\"assets\"]\n",
    )
    .expect("write");
    let config: &'static str = Box::leak(config.display().to_string().into_boxed_str());
    let table = crate::Embedded::new("", &[], &[], "/static/").dev_config(config);
    let files = StaticFiles::embedded(&table).expect("dev mode");
    assert_eq!(
        files.static_url("css/a.css").expect("url"),
        "/static/css/a.css"
    );
    let svc = files.layer(inner());
    let css = t.path().join("assets/css/a.css");
    for want in [BODY, &b"p { margin: 0 }"[..]] {
        std::fs::write(&css, want).expect("write");
        let res = svc
            .clone()
            .oneshot(
                req("/static/css/a.css")
                    .body(Empty::<Bytes>::new())
                    .expect("req"),
            )
            .await
            .expect("infallible");
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CACHE_CONTROL], "no-cache");
        let body = res.into_body().collect().await.expect("body").to_bytes();
        assert_eq!(&body[..], want);
    }
}

#[tokio::test]
async fn embedded_files_are_served_from_memory_with_the_same_semantics() {
    let files = StaticFiles::embedded(&embedded_table()).expect("embedded");
    assert_eq!(
        files.static_url("a.css").expect("url"),
        format!("/static/{HASHED}")
    );
    let svc = files.layer(inner());
    let path = format!("/static/{HASHED}");
    let res = svc
        .clone()
        .oneshot(
            req(&path)
                .header(header::ACCEPT_ENCODING, "br")
                .body(Empty::new())
                .expect("req"),
        )
        .await
        .expect("infallible");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "br");
    assert_eq!(res.headers()[header::ETAG], "\"0123456789abcdef-br\"");
    assert_eq!(
        res.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let body = res.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(&body[..], b"BR!");
    // Identity, a range of it, and a 304: no file on disk is involved.
    let res = svc
        .clone()
        .oneshot(
            req(&path)
                .header(header::RANGE, "bytes=1-2")
                .body(Empty::new())
                .expect("req"),
        )
        .await
        .expect("infallible");
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    let body = res.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(&body[..], &BODY[1..=2]);
    let res = svc
        .clone()
        .oneshot(
            req(&path)
                .header(header::IF_NONE_MATCH, "\"0123456789abcdef\"")
                .body(Empty::new())
                .expect("req"),
        )
        .await
        .expect("infallible");
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    let res = svc
        .oneshot(req("/static/nope.css").body(Empty::new()).expect("req"))
        .await
        .expect("infallible");
    assert_eq!(res.status(), StatusCode::IM_A_TEAPOT);
}

#[test]
fn an_embedded_table_missing_a_variant_or_of_the_wrong_size_is_refused() {
    let mut t = embedded_parts();
    t.names = Box::leak(Box::new([HASHED]));
    t.files = Box::leak(Box::new([BODY]));
    let err = StaticFiles::embedded(&t.embedded()).expect_err("variant missing");
    assert!(err.to_string().contains(".br' is not embedded"), "{err}");
    t.files = Box::leak(Box::new([&b"short"[..]]));
    t.names = Box::leak(Box::new([HASHED, "a.0123456789ab.css.br"]));
    let err = StaticFiles::embedded(&t.embedded()).expect_err("names and files disagree");
    assert!(err.to_string().contains("2 names for 1 files"), "{err}");
    t.files = Box::leak(Box::new([&b"short"[..], &b"BR!"[..]]));
    let err = StaticFiles::embedded(&t.embedded()).expect_err("wrong size");
    assert!(
        err.to_string().contains("5 bytes, the manifest says 6"),
        "{err}"
    );
}

/// A br-only table: a real brotli stream, the identity and gzip variant
/// left out.
fn br_only_table(text: &'static [u8]) -> Table {
    let leak = |b: Vec<u8>| -> &'static [u8] { Box::leak(b.into_boxed_slice()) };
    let mut br = Vec::new();
    let params = brotli::enc::BrotliEncoderParams::default();
    brotli::BrotliCompress(&mut &text[..], &mut br, &params).expect("brotli");
    let mut m = Manifest::new();
    m.paths.insert("a.css".into(), HASHED.into());
    m.files.insert(
        HASHED.into(),
        FileMeta {
            size: text.len() as u64,
            content_type: "text/css; charset=utf-8".into(),
            sha256: "0123456789abcdef0123".into(),
            integrity: "sha384-abc".into(),
            modified: 0,
            variants: BTreeMap::from([(Encoding::Br, br.len() as u64), (Encoding::Gzip, 40)]),
            deltas: Default::default(),
            hashed_by: None,
        },
    );
    m.update_hash();
    let manifest = leak_manifest(&m);
    Table {
        manifest,
        names: Box::leak(Box::new(["a.0123456789ab.css.br"])),
        files: Box::leak(Box::new([leak(br)])),
        br_only: true,
    }
}

#[tokio::test]
async fn br_only_embedding_decodes_the_identity_for_clients_without_br() {
    const TEXT: &[u8] = b"body { color: red; margin: 0 auto; } /* a stylesheet */\n";
    let table = br_only_table(TEXT);
    let strict = Table {
        br_only: false,
        ..table
    };
    let err = StaticFiles::embedded(&strict.embedded()).expect_err("identity missing");
    assert!(
        err.to_string()
            .contains("a.0123456789ab.css' is not embedded"),
        "{err}"
    );

    let svc = StaticFiles::embedded(&table.embedded())
        .expect("embedded")
        .layer(inner());
    let path = format!("/static/{HASHED}");
    let get = |accept: &'static str, range: Option<&'static str>| {
        let svc = svc.clone();
        let path = path.clone();
        async move {
            let mut r = req(&path).header(header::ACCEPT_ENCODING, accept);
            if let Some(range) = range {
                r = r.header(header::RANGE, range);
            }
            let res = svc
                .oneshot(r.body(Empty::new()).expect("req"))
                .await
                .expect("infallible");
            let (parts, body) = res.into_parts();
            (parts, body.collect().await.expect("body").to_bytes())
        }
    };
    let (parts, body) = get("br, gzip", None).await;
    assert_eq!(parts.headers[header::CONTENT_ENCODING], "br");
    assert_eq!(&body[..], table.files[0]);
    // No br: the identity, decoded (twice: the second from memory); gzip
    // is not offered.
    for _ in 0..2 {
        let (parts, body) = get("gzip", None).await;
        assert_eq!(parts.status, StatusCode::OK);
        assert!(parts.headers.get(header::CONTENT_ENCODING).is_none());
        assert_eq!(parts.headers[header::ETAG], "\"0123456789abcdef\"");
        assert_eq!(parts.headers[header::VARY], "Accept-Encoding");
        assert_eq!(&body[..], TEXT);
    }
    let (parts, body) = get("identity", Some("bytes=5-9")).await;
    assert_eq!(parts.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(&body[..], &TEXT[5..=9]);
}

#[tokio::test]
async fn br_only_embedding_with_a_br_that_does_not_decode_to_the_file_is_a_500() {
    // A valid br stream of other (shorter) content than the file's.
    let mut bad = br_only_table(b"body { color: red; margin: 0 auto; }\n");
    let mut stream = Vec::new();
    let params = brotli::enc::BrotliEncoderParams::default();
    brotli::BrotliCompress(&mut &b"short"[..], &mut stream, &params).expect("brotli");
    let mut m =
        Manifest::from_slice(std::path::Path::new("m"), bad.manifest.as_bytes()).expect("manifest");
    if let Some(f) = m.files.get_mut(HASHED) {
        f.variants.insert(Encoding::Br, stream.len() as u64);
    }
    m.update_hash();
    bad.manifest = leak_manifest(&m);
    bad.files = Box::leak(Box::new([&*Box::leak(stream.into_boxed_slice())]));
    let svc = StaticFiles::embedded(&bad.embedded())
        .expect("embedded")
        .layer(inner());
    let res = svc
        .oneshot(
            req(&format!("/static/{HASHED}"))
                .body(Empty::new())
                .expect("req"),
        )
        .await
        .expect("infallible");
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[test]
fn setup_follows_the_build_profile_unless_rcollect_debug_says_otherwise() {
    if std::env::var_os("RCOLLECT_DEBUG").is_some() {
        eprintln!("SKIPPED: RCOLLECT_DEBUG is set in this environment");
        return;
    }
    let t = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(t.path().join("static")).expect("mkdir");
    std::fs::write(t.path().join("static/app.css"), "body{}").expect("write");
    std::fs::write(
        t.path().join("rcollect.toml"),
        "static_root = \"staticfiles\"\ndirs = [\"static\"]\n",
    )
    .expect("write");
    // No collect was run: a debug build serves the sources; a release
    // build would need the manifest.
    let files = StaticFiles::setup()
        .config_file(t.path().join("rcollect.toml"))
        .load();
    if cfg!(debug_assertions) {
        assert!(files.expect("dev mode").is_dev());
    } else {
        assert!(files.is_err(), "release builds serve the collected files");
    }
}
