//! A real browser (headless Chromium) and Compression Dictionary Transport:
//! a page imports version 1 of a script (sent with `Use-As-Dictionary`),
//! then version 2. The server records what it
//! answered: version 2 must go out as a `dcb` or `dcz` delta against
//! version 1, and the page must work (the script ran: its output is in the
//! DOM Chromium dumps).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use tower_rcollect::StaticFiles;

use super::common::serve_app;
use super::deltas::{available, bundle, two_versions};

pub(crate) mod chromium;
use chromium::{chromium, run_chromium};

/// (path, `Available-Dictionary` sent, `Content-Encoding` answered).
type Log = Arc<Mutex<Vec<(String, Option<String>, Option<String>)>>>;

#[tokio::test]
#[ignore = "needs Chromium (Debian package `chromium`); .ci/run runs it where Chromium installs"]
async fn chromium_fetches_the_new_version_as_a_delta_and_the_page_works() {
    let v = two_versions();
    let files = StaticFiles::from_manifest(&v.config.static_root, "/static/").expect("load");
    let log: Log = Arc::default();
    // One page: it imports version 1 (which Chromium stores as a
    // dictionary), waits on the network (in real time) for the dictionary
    // to be stored, then imports version 2.
    let page = Html(format!(
        "<!doctype html><html><head><meta charset=utf-8></head>\
         <body><div id=out>not run</div><script type=module>\
         await import('{old}');\
         await fetch('/wait');\
         await import('{new}');\
         </script></body></html>",
        old = v.old_url,
        new = v.new_url,
    ));
    let app = recorded(
        Router::new()
            .route("/page", get(move || async move { page }))
            .route("/wait", get(wait))
            .layer(files),
        &log,
    );
    let out = load_page(app).await;
    let log = log.lock().map(|l| l.clone()).unwrap_or_default();
    eprintln!("server log (path, Available-Dictionary, Content-Encoding): {log:#?}");
    let new_js = log.iter().find(|(p, _, _)| *p == v.new_url);
    assert!(
        out.contains("<div id=\"out\">v2</div>"),
        "the page did not run version 2:\n{out}\nserver log: {log:#?}"
    );
    let (_, dict, enc) = new_js.unwrap_or_else(|| panic!("version 2 never requested: {log:#?}"));
    assert!(dict.is_some(), "no Available-Dictionary sent: {log:#?}");
    assert!(
        matches!(enc.as_deref(), Some("dcb" | "dcz")),
        "version 2 was not sent as a delta: {log:#?}"
    );
}

/// Waits on the network, in real time, for Chromium to store a dictionary.
async fn wait() -> &'static str {
    tokio::time::sleep(Duration::from_millis(1500)).await;
    "ok"
}

/// `app`, recording each request's path, `Available-Dictionary` and the
/// answer's `Content-Encoding` in `log`.
fn recorded(app: Router, log: &Log) -> Router {
    let recorder = log.clone();
    app.layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let recorder = recorder.clone();
            async move {
                let path = req.uri().path().to_string();
                let dict = req
                    .headers()
                    .get("available-dictionary")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let res = next.run(req).await;
                let enc = res
                    .headers()
                    .get("content-encoding")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                if let Ok(mut l) = recorder.lock() {
                    l.push((path, dict, enc));
                }
                res
            }
        },
    ))
}

/// Two files whose patterns overlap: `app.js`'s `match` (`/static/js/app.:hash.js`)
/// also matches `app.min.<hash>.js`, because URLPattern's `:hash` takes any
/// characters but `/` and RFC 9842 allows no regexp group to narrow it.
/// RFC 9842 (2.2.2) has the browser offer the dictionary with the longest
/// `match`, so for the new `app.min.js` Chromium offers the old `app.min.js`,
/// though the old `app.js` was fetched after it (the most recent), and the
/// delta is made: the overlap costs no delta (RELIABILITY.md).
#[tokio::test]
#[ignore = "needs Chromium (Debian package `chromium`); .ci/run runs it where Chromium installs"]
async fn chromium_offers_the_longest_matching_dictionary_when_a_dotted_sibling_overlaps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src/js");
    std::fs::create_dir_all(&src).expect("mkdir");
    let config = super::common::collect_config(dir.path(), dir.path().join("src"));
    let min = |v: u32| bundle(v).replace("textContent = \"v", "textContent = \"min v");
    let mut urls = Vec::new();
    for v in [1, 2] {
        std::fs::write(src.join("app.js"), bundle(v)).expect("write");
        std::fs::write(src.join("app.min.js"), min(v)).expect("write");
        rcollect_core::collect::collect(&config, &Default::default()).expect("collect");
        let m = rcollect_core::Manifest::load(
            &config.static_root,
            rcollect_core::manifest::MAX_MANIFEST_BYTES,
        )
        .expect("load")
        .expect("manifest");
        urls.push((
            format!("/static/{}", m.paths["js/app.js"]),
            format!("/static/{}", m.paths["js/app.min.js"]),
        ));
        std::thread::sleep(Duration::from_millis(5));
    }
    let ((old_app, old_min), (_, new_min)) = (urls[0].clone(), urls[1].clone());
    let files = StaticFiles::from_manifest(&config.static_root, "/static/").expect("load");
    let page = Html(format!(
        "<!doctype html><html><head><meta charset=utf-8></head>\
         <body><div id=out>not run</div><script type=module>\
         await import('{old_min}');\
         await import('{old_app}');\
         await fetch('/wait');\
         await import('{new_min}');\
         </script></body></html>"
    ));
    let log: Log = Arc::default();
    let app = recorded(
        Router::new()
            .route("/page", get(move || async move { page }))
            .route("/wait", get(wait))
            .layer(files),
        &log,
    );
    let out = load_page(app).await;
    let log = log.lock().map(|l| l.clone()).unwrap_or_default();
    assert!(
        out.contains("<div id=\"out\">min v2</div>"),
        "the page did not run the new app.min.js:\n{out}\nserver log: {log:#?}"
    );
    let sha = |s: &str| -> [u8; 32] { <sha2::Sha256 as sha2::Digest>::digest(s.as_bytes()).into() };
    let (_, dict, enc) = log
        .iter()
        .find(|(p, _, _)| *p == new_min)
        .unwrap_or_else(|| panic!("the new app.min.js was never requested: {log:#?}"));
    assert_eq!(
        dict.as_deref(),
        Some(available(&sha(&min(1))).as_str()),
        "Chromium did not offer the old app.min.js (the longest match); old app.js is {}: {log:#?}",
        available(&sha(&bundle(1)))
    );
    assert!(
        matches!(enc.as_deref(), Some("dcb" | "dcz")),
        "the new app.min.js was not sent as a delta: {log:#?}"
    );
}

/// Serves `app` on a free port, has Chromium (a fresh profile) load its
/// `/page`, stops the server, and returns what Chromium printed.
pub(crate) async fn load_page(app: Router) -> String {
    let (addr, server) = serve_app(app).await;
    let profile = tempfile::tempdir().expect("profile");
    let url = format!("http://{addr}/page");
    let browser = chromium();
    let out =
        tokio::task::spawn_blocking(move || run_chromium(&browser, profile.path(), &url, &[]))
            .await
            .expect("join");
    server.abort();
    out
}

/// Round trips a page needs for its static files: every static response is
/// delayed by `STEP`, so the requests of each discovery level arrive one
/// `STEP` after the level before; the depth is the number of levels.
const STEP: Duration = Duration::from_millis(400);

/// (depth of all static files, depth of the scripts and stylesheets, log).
async fn waterfall_depth(files: &StaticFiles, preload: bool) -> (usize, usize, String) {
    let page_html = format!(
        "<!doctype html><html><head><meta charset=utf-8>{}{}</head><body><div id=out>not run</div></body></html>",
        files.stylesheet_tag("css/app.css").expect("tag"),
        files.module_tag("js/app.js").expect("tag"),
    );
    let arrivals: Arc<Mutex<Vec<(String, std::time::Instant)>>> = Arc::default();
    let rec = arrivals.clone();
    let mut page = Router::new().route("/page", get(move || async move { Html(page_html) }));
    if preload {
        page = page.route_layer(
            files
                .preload_layer(&["js/app.js", "css/app.css"])
                .expect("layer"),
        );
    }
    let app = page.layer(files.clone()).layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let rec = rec.clone();
            async move {
                let path = req.uri().path().to_string();
                if let Ok(mut l) = rec.lock() {
                    l.push((path.clone(), std::time::Instant::now()));
                }
                let res = next.run(req).await;
                if path.starts_with("/static/") {
                    tokio::time::sleep(STEP).await;
                }
                res
            }
        },
    ));
    let dom = load_page(app).await;
    assert!(
        dom.contains("<div id=\"out\">chain ran!</div>"),
        "the page did not run:\n{dom}"
    );
    let log = arrivals.lock().map(|l| l.clone()).unwrap_or_default();
    let start = log
        .iter()
        .find(|(p, _)| p == "/page")
        .map(|(_, t)| *t)
        .expect("the page was requested");
    let depth_of = |keep: &dyn Fn(&str) -> bool| {
        log.iter()
            .filter(|(p, _)| p.starts_with("/static/") && keep(p))
            .map(|(_, t)| (t.duration_since(start).as_millis() / STEP.as_millis()) as usize + 1)
            .max()
            .unwrap_or(0)
    };
    let depth = depth_of(&|_| true);
    let code_depth = depth_of(&|p| p.ends_with(".js") || p.ends_with(".css"));
    let text = log
        .iter()
        .map(|(p, t)| format!("{:>5} ms {p}", t.duration_since(start).as_millis()))
        .collect::<Vec<_>>()
        .join("\n");
    (depth, code_depth, text)
}

#[tokio::test]
#[ignore = "needs Chromium (Debian package `chromium`); .ci/run runs it where Chromium installs"]
async fn chromium_loads_scripts_and_styles_in_one_round_trip_with_preload_hints() {
    let (_t, root) = super::preload::project();
    let files = StaticFiles::from_manifest(&root, "/static/").expect("load");
    let (without, code_without, log_without) = waterfall_depth(&files, false).await;
    let (with, code_with, log_with) = waterfall_depth(&files, true).await;
    eprintln!(
        "waterfall depth without preload: {without} (scripts and styles {code_without})\n{log_without}"
    );
    eprintln!("waterfall depth with preload: {with} (scripts and styles {code_with})\n{log_with}");
    assert!(
        code_without >= 3,
        "app.js -> util.js -> dep.js is 3 levels:\n{log_without}"
    );
    assert_eq!(
        code_with, 1,
        "every script and stylesheet in the first round trip:\n{log_with}"
    );
    // Chromium holds low-priority image preloads back while render-blocking
    // requests are in flight (HTTP/1.1), so the image may come one level later.
    assert!(with < without, "preload saves round trips:\n{log_with}");
}
