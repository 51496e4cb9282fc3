//! Real bundler output (issue 21): the Vite build of `fixtures/bundlers`
//! (built by `scripts/bundlers.sh`, which `.ci/run` runs) collected as it
//! is, a page rendered with `vite_entry`, and headless Chromium loading it
//! through the middleware: the page runs, every file is fetched once under
//! one URL, nothing 404s, every static response is immutable; after a
//! second build with a one-line change in the shared module, a returning
//! Chromium gets the changed chunks as deltas.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use tower_rcollect::StaticFiles;

/// `fixtures/bundlers`, with its builds (v1 in `dist/`, v2 in
/// `build/v2/dist/`).
pub(crate) fn fixture() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/bundlers");
    assert!(
        dir.join("dist/vite/.vite/manifest.json").is_file()
            && dir.join("build/v2/dist/vite/.vite/manifest.json").is_file(),
        "the bundler fixtures are not built: run scripts/bundlers.sh (.ci/run does)"
    );
    dir
}

/// Collects the Vite build `dist` into `root` (deltas on).
fn collect(dist: &Path, root: &Path) {
    let mut config = rcollect_core::Config::new(root, "/static/");
    config.cache_dir = None;
    config.dirs.push(rcollect_core::config::SourceDir {
        prefix: String::new(),
        path: dist.to_path_buf(),
    });
    rcollect_core::collect::collect(&config, &Default::default()).expect("collect");
}

/// The live manifest's bundles.
fn manifest_bundles(root: &Path) -> BTreeMap<String, rcollect_core::manifest::Bundle> {
    rcollect_core::Manifest::load(root, rcollect_core::manifest::MAX_MANIFEST_BYTES)
        .expect("manifest")
        .expect("live")
        .bundles
}

/// What the server answered: (path, status, Cache-Control,
/// Content-Encoding).
type Log = Arc<Mutex<Vec<(String, u16, String, String)>>>;

/// A page: the entry's tags, and a script that, once the entry reports,
/// runs `then` (JavaScript).
fn page(tags: &str, then: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html><head><meta charset=utf-8>\n{tags}\n\
         <script type=module>\
         const wait = () => document.body.dataset.ok ? Promise.resolve() : new Promise(r => setTimeout(() => wait().then(r), 20));\
         await wait();\
         {then}\
         </script></head><body></body></html>"
    ))
}

/// Serves `files` with `/page` (and `/page2`: `page2`), logging every
/// answer, and has Chromium load `/page` once with a fresh profile.
async fn load(files: &StaticFiles, page1: Html<String>, page2: Html<String>, log: &Log) -> String {
    let recorder = log.clone();
    let app = Router::new()
        .route("/page", get(move || async move { page1 }))
        .route("/page2", get(move || async move { page2 }))
        // Time for Chromium to store the dictionaries it was offered.
        .route(
            "/wait",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                "ok"
            }),
        )
        // Chromium asks for one on its own.
        .route(
            "/favicon.ico",
            get(|| async { http::StatusCode::NO_CONTENT }),
        )
        .layer(files.clone())
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                let recorder = recorder.clone();
                async move {
                    let path = req.uri().path().to_string();
                    let res = next.run(req).await;
                    let header = |n: &str| {
                        res.headers()
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string()
                    };
                    let entry = (
                        path,
                        res.status().as_u16(),
                        header("cache-control"),
                        header("content-encoding"),
                    );
                    if let Ok(mut l) = recorder.lock() {
                        l.push(entry);
                    }
                    res
                }
            },
        ));
    super::browser::load_page(app).await
}

/// The page ran (the fixture's report) and listed what it fetched.
fn ran(out: &str, version: &str) {
    assert!(
        out.contains("data-ok=\"1\"")
            && out.contains(&format!(
                "shared={version} a=lazy-a {version} b=lazy-b {version}"
            ))
            && out.contains("css=rgb(0, 128, 0) logo=loaded data=data-ok"),
        "the page did not run ({version}):\n{out}"
    );
}

#[tokio::test]
#[ignore = "needs Chromium and the bundler fixtures (scripts/bundlers.sh); .ci/run runs it"]
async fn chromium_runs_a_vite_app_through_the_middleware_each_file_once_and_immutable() {
    let dir = fixture();
    let t = tempfile::tempdir().expect("tempdir");
    let root = t.path().join("root");
    collect(&dir.join("dist/vite"), &root);
    let files = StaticFiles::from_manifest(&root, "/static/").expect("load");
    let log: Log = Arc::default();
    let tags = files
        .vite_entry("src/main.ts")
        .expect("vite_entry")
        .into_string();
    let out = load(&files, page(&tags, ""), page("", ""), &log).await;
    ran(&out, "v1");
    let log = log.lock().map(|l| l.clone()).unwrap_or_default();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (path, status, cache, _) in &log {
        *counts.entry(path.as_str()).or_default() += 1;
        assert_ne!(*status, 404, "{path} is 404: {log:#?}");
        if path.starts_with("/static/") {
            assert!(cache.contains("immutable"), "{path}: {cache}");
        }
    }
    assert!(
        counts.values().all(|&n| n == 1),
        "a file was fetched twice: {counts:#?}"
    );
    // Every chunk and asset of the page came under its Vite name.
    for name in [
        "shared-", "lazy-a-", "lazy-b-", "main-", "logo-", "data-", "bg-", "stripe-",
    ] {
        assert!(
            counts
                .keys()
                .any(|p| p.starts_with(&format!("/static/assets/{name}"))),
            "no request for {name}: {counts:#?}"
        );
    }
}

#[tokio::test]
#[ignore = "needs Chromium and the bundler fixtures (scripts/bundlers.sh); .ci/run runs it"]
async fn chromium_returning_after_a_one_line_change_gets_the_changed_chunks_as_deltas() {
    let dir = fixture();
    let t = tempfile::tempdir().expect("tempdir");
    let root = t.path().join("root");
    // Version 1, then version 2 collected into the same STATIC_ROOT: the
    // server (of version 2) still serves version 1 (the history). One
    // Chromium visits version 1's page, which keeps its files (offered as
    // dictionaries), waits, then goes to version 2's page.
    collect(&dir.join("dist/vite"), &root);
    let v1 = StaticFiles::from_manifest(&root, "/static/").expect("load");
    let tags1 = v1
        .vite_entry("src/main.ts")
        .expect("vite_entry")
        .into_string();
    std::thread::sleep(Duration::from_millis(5));
    collect(&dir.join("build/v2/dist/vite"), &root);
    let v2 = StaticFiles::from_manifest(&root, "/static/").expect("load");
    let main2 = v2
        .static_url(
            &rcollect_core::bundler::entry_files(&manifest_bundles(&root), "src/main.ts")
                .expect("entry")
                .file,
        )
        .expect("url");
    let log: Log = Arc::default();
    // After version 1 ran: time to store the dictionaries, then version 2's
    // entry (it builds the same DOM again and reports anew).
    let then = format!(
        "await fetch('/wait'); delete document.body.dataset.ok; \
         await fetch('/page2'); await import('{main2}');"
    );
    let out = load(&v2, page(&tags1, &then), page("", ""), &log).await;
    ran(&out, "v2");
    let all = log.lock().map(|l| l.clone()).unwrap_or_default();
    let at = all
        .iter()
        .position(|(p, ..)| p == "/page2")
        .unwrap_or_else(|| panic!("version 2 was never loaded: {all:#?}"));
    let second: Log = Arc::new(Mutex::new(all.get(at..).unwrap_or_default().to_vec()));
    let log = second.lock().map(|l| l.clone()).unwrap_or_default();
    let shared = log
        .iter()
        .find(|(p, ..)| p.starts_with("/static/assets/shared-") && !p.contains("utils"))
        .unwrap_or_else(|| panic!("the new shared chunk was not fetched: {log:#?}"));
    assert!(
        matches!(shared.3.as_str(), "dcb" | "dcz"),
        "the shared chunk was not sent as a delta: {log:#?}"
    );
    // Unchanged files come from the browser's cache: not asked again.
    for (path, ..) in &log {
        assert!(
            !path.contains("/assets/logo-") && !path.contains("/assets/main-DYNecNPU"),
            "an unchanged file was fetched again: {log:#?}"
        );
    }
}
