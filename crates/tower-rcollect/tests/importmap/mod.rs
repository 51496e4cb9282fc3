//! Import-map linking in headless Chromium (issue 22): files collected with
//! `[js] linking = "importmap"`, a page with `importmap()` first in its
//! head, served through the middleware over a real socket. The graph (static
//! imports, `export … from`, `../`, a dynamic import) runs and every module
//! request is a hashed, immutable URL; a module altered in STATIC_ROOT is
//! refused through the map's `integrity`; under `Integrity-Policy` the page
//! runs with every module covered and a script without integrity metadata
//! never reaches the server.

use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use tower_rcollect::StaticFiles;

/// What the server answered: (path, status, Cache-Control).
type Log = Arc<Mutex<Vec<(String, u16, String)>>>;

/// The graph: `app.js` imports `./lib/mid.js` (which re-exports
/// `../util.js`) and `./lib/leaf.js`, and `import()`s `./lazy.js` (which
/// imports `./lib/leaf.js` again). Every module is too small for a
/// compressed variant, so the bytes served are the file's.
fn collected(root: &Path) -> StaticFiles {
    let src = root.join("src");
    for (name, text) in [
        (
            "js/app.js",
            "import { mid } from './lib/mid.js';\n\
             import { leaf } from './lib/leaf.js';\n\
             const lazy = await import('./lazy.js');\n\
             export const report = `mid=${mid} leaf=${leaf} lazy=${lazy.default}`;\n",
        ),
        (
            "js/lib/mid.js",
            "export { util as mid } from '../util.js';\n",
        ),
        ("js/util.js", "export const util = 'u1';\n"),
        ("js/lib/leaf.js", "export const leaf = 'l1';\n"),
        (
            "js/lazy.js",
            "import { leaf } from './lib/leaf.js';\nexport default 'z' + leaf;\n",
        ),
    ] {
        let p = src.join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    let mut config = rcollect_core::Config::new(root.join("out"), "/static/");
    config.cache_dir = None;
    config.dirs.push(rcollect_core::config::SourceDir {
        prefix: String::new(),
        path: src,
    });
    config.js.linking = rcollect_core::config::Linking::Importmap;
    rcollect_core::collect::collect(&config, &Default::default()).expect("collect");
    StaticFiles::from_manifest(root.join("out"), "/static/").expect("load")
}

/// A page: the map, the entry's module tag (with `integrity`), and a script
/// that writes what happened into `<pre id=result>`; `extra` runs after.
fn page(files: &StaticFiles, extra: &str) -> Html<String> {
    let map = files.importmap();
    let entry = files.module_tag("js/app.js").expect("tag");
    Html(format!(
        "<!doctype html><html><head><meta charset=utf-8><link rel=icon href=\"data:,\">\n\
         {map}\n{entry}\n\
         <script type=module>\n\
         const out = [];\n\
         try {{ const app = await import('/static/js/app.js'); out.push('ran ' + app.report); }}\n\
         catch (e) {{ out.push('app failed: ' + e); }}\n\
         {extra}\n\
         const pre = document.createElement('pre'); pre.id = 'result'; pre.textContent = out.join('\\n');\n\
         document.body.append(pre);\n\
         </script></head><body></body></html>"
    ))
}

/// Serves `files` with `/page` (and `/outside.js`, a module the manifest
/// does not know), logging every answer, with `Integrity-Policy` when
/// `policy`; Chromium loads `/page` once; the text of `<pre id=result>`.
async fn load(files: StaticFiles, page: Html<String>, policy: bool, log: &Log) -> String {
    let recorder = log.clone();
    let app = Router::new()
        .route("/page", get(move || async move { page }))
        .route(
            "/outside.js",
            get(|| async {
                (
                    [(http::header::CONTENT_TYPE, "text/javascript")],
                    "export default 'outside';\n",
                )
            }),
        )
        .layer(files.integrity_policy(policy))
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                let recorder = recorder.clone();
                async move {
                    let path = req.uri().path().to_string();
                    let res = next.run(req).await;
                    let cache = res
                        .headers()
                        .get(http::header::CACHE_CONTROL)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    if let Ok(mut l) = recorder.lock() {
                        l.push((path, res.status().as_u16(), cache));
                    }
                    res
                }
            },
        ));
    let dom = super::browser::load_page(app).await;
    dom.split("<pre id=\"result\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap_or_else(|| panic!("the page wrote no result: {dom}"))
        .to_string()
}

fn requests(log: &Log) -> Vec<(String, u16, String)> {
    log.lock().map(|l| l.clone()).unwrap_or_default()
}

#[tokio::test]
#[ignore = "needs Chromium; .ci/run runs it"]
async fn chromium_runs_the_graph_through_the_map_fetching_only_hashed_immutable_urls() {
    let t = tempfile::tempdir().expect("tempdir");
    let files = collected(t.path());
    let log: Log = Arc::default();
    let result = load(files.clone(), page(&files, ""), false, &log).await;
    assert_eq!(result, "ran mid=u1 leaf=l1 lazy=zl1");
    let seen = requests(&log);
    let modules: Vec<&(String, u16, String)> = seen
        .iter()
        .filter(|(p, ..)| p.starts_with("/static/"))
        .collect();
    let mut expected: Vec<String> = [
        "js/app.js",
        "js/lib/mid.js",
        "js/util.js",
        "js/lib/leaf.js",
        "js/lazy.js",
    ]
    .iter()
    .map(|m| files.static_url(m).expect("url"))
    .collect();
    expected.sort();
    let mut fetched: Vec<String> = modules.iter().map(|(p, ..)| p.clone()).collect();
    fetched.sort();
    assert_eq!(
        fetched, expected,
        "each module once, by its hashed URL: {seen:#?}"
    );
    for (path, status, cache) in modules {
        assert_eq!(*status, 200, "{path}");
        assert!(cache.contains("immutable"), "{path}: {cache}");
    }
}

#[tokio::test]
#[ignore = "needs Chromium; .ci/run runs it"]
async fn chromium_refuses_a_module_altered_in_static_root_through_the_maps_integrity() {
    let t = tempfile::tempdir().expect("tempdir");
    let files = collected(t.path());
    // util.js, imported only through mid.js's `export … from '../util.js'`:
    // no tag names it, only the map's integrity covers it.
    let hashed = files.static_url("js/util.js").expect("url");
    let file = t
        .path()
        .join("out")
        .join(hashed.trim_start_matches("/static/"));
    let bytes = std::fs::read(&file).expect("read");
    assert!(
        !file.with_extension("js.br").exists() && !file.with_extension("js.gz").exists(),
        "too small for variants: the bytes served are the file's"
    );
    let altered = String::from_utf8(bytes.clone())
        .expect("utf-8")
        .replace("'u1'", "'XX'");
    assert_eq!(altered.len(), bytes.len());
    std::fs::write(&file, altered).expect("alter");
    let log: Log = Arc::default();
    // A fresh load of the manifest (nothing held in memory yet).
    let files = StaticFiles::from_manifest(t.path().join("out"), "/static/").expect("load");
    let result = load(files.clone(), page(&files, ""), false, &log).await;
    assert!(
        result.starts_with("app failed: TypeError"),
        "the altered module must not run: {result}"
    );
    assert!(!result.contains("XX"), "{result}");
    assert!(
        requests(&log).iter().any(|(p, ..)| *p == hashed),
        "the browser fetched it, then refused it"
    );
}

#[tokio::test]
#[ignore = "needs Chromium; .ci/run runs it"]
async fn chromium_under_integrity_policy_runs_the_covered_graph_and_blocks_an_uncovered_module() {
    let t = tempfile::tempdir().expect("tempdir");
    let files = collected(t.path());
    let log: Log = Arc::default();
    let extra = "try { const o = await import('/outside.js'); out.push('outside ran ' + o.default); }\n\
                 catch (e) { out.push('outside blocked: ' + e.name); }";
    let result = load(files.clone(), page(&files, extra), true, &log).await;
    assert_eq!(
        result, "ran mid=u1 leaf=l1 lazy=zl1\noutside blocked: TypeError",
        "every module of the map runs; the one it does not cover is refused"
    );
    let seen = requests(&log);
    assert!(
        !seen.iter().any(|(p, ..)| p == "/outside.js"),
        "blocked before any request: {seen:#?}"
    );
    // The same page without the policy loads it: the policy is what blocks.
    let log: Log = Arc::default();
    let result = load(files.clone(), page(&files, extra), false, &log).await;
    assert!(result.ends_with("outside ran outside"), "{result}");
}
