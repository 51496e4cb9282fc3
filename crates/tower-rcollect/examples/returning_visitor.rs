//! A page that runs CodeMirror 5 from its ES-module entry, for what a
//! returning visitor downloads after an edit (`bench/importmap.sh` drives it
//! with headless Chromium on one profile, once per version). `/page` is
//! `Cache-Control: no-cache` (the hashed files are immutable); with
//! `--importmap` its `<head>` starts with `files.importmap()`, the map of
//! the live manifest. The page creates an editor and writes
//! `CodeMirror <version>, <n> lines` (or what failed) into `<div id=out>`.
//! Every response is logged with its body bytes as sent (after any
//! `br`/`dcb`/`dcz` encoding); `/report` gives the log, `/map` the map's JSON
//! exactly as the page inlines it.
//!
//! ```text
//! returning_visitor --root STATIC_ROOT --entry vendor/codemirror/src/codemirror.js [--importmap] [--no-dictionaries] [--addr 127.0.0.1:0]
//! ```

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use tower_rcollect::StaticFiles;

/// One answered request: path, status, `Content-Encoding`, body bytes sent,
/// whether the request carried `Available-Dictionary`.
type Log = Arc<Mutex<Vec<(String, u16, String, usize, bool)>>>;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut root, mut entry, mut addr, mut importmap, mut dictionaries) =
        (None, None, "127.0.0.1:0".to_string(), false, true);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--root" => root = args.next(),
            "--entry" => entry = args.next(),
            "--addr" => addr = args.next().ok_or("--addr needs HOST:PORT")?,
            "--importmap" => importmap = true,
            "--no-dictionaries" => dictionaries = false,
            other => return Err(format!("unknown argument '{other}'").into()),
        }
    }
    let (root, entry) = (
        root.ok_or("--root is required")?,
        entry.ok_or("--entry is required")?,
    );
    let files = StaticFiles::from_manifest(&root, "/static/")?.dictionaries(dictionaries);
    let map = files.importmap();
    let head = if importmap {
        map.to_string()
    } else {
        String::new()
    };
    // The entry by its hashed URL (a module script's own URL is never
    // mapped); with the map, the modules it imports resolve through it.
    let page = format!(
        "<!doctype html><html><head><meta charset=utf-8>{head}<link rel=icon href=\"data:,\"></head>\
         <body><div id=out>not run</div>\
         <script type=module>\n\
         const out = document.getElementById(\"out\");\n\
         try {{\n\
         const {{ default: CodeMirror }} = await import(\"{}\");\n\
         const cm = CodeMirror(document.body, {{ value: \"one\\ntwo\\nthree\" }});\n\
         out.textContent = \"CodeMirror \" + CodeMirror.version + \", \" + cm.lineCount() + \" lines\";\n\
         }} catch (e) {{ out.textContent = \"failed: \" + e; }}\n\
         </script></body></html>",
        files.static_url(&entry)?
    );
    let map_json = map.json().to_string();
    let log: Log = Arc::default();
    let (report_log, rec) = (log.clone(), log.clone());
    let app = Router::new()
        .route(
            "/page",
            get(move || async move { ([(http::header::CACHE_CONTROL, "no-cache")], Html(page)) }),
        )
        .layer(files)
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                let rec = rec.clone();
                async move { logged(req, next, &rec).await }
            },
        ))
        .route("/map", get(move || async move { map_json }))
        .route(
            "/report",
            get(move || {
                let log = report_log.clone();
                async move { report(&log) }
            }),
        );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}/", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// Runs the request and logs its answer; the body is read whole to count
/// the bytes sent, then sent as read.
async fn logged(
    req: axum::extract::Request,
    next: axum::middleware::Next,
    log: &Log,
) -> axum::response::Response {
    let path = req.uri().path().to_string();
    let dictionary = req.headers().contains_key("available-dictionary");
    let (parts, body) = next.run(req).await.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => return (http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let encoding = parts
        .headers
        .get(http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity")
        .to_string();
    if let Ok(mut l) = log.lock() {
        l.push((
            path,
            parts.status.as_u16(),
            encoding,
            bytes.len(),
            dictionary,
        ));
    }
    axum::response::Response::from_parts(parts, Body::from(bytes))
}

/// One line per request: `path status encoding bytes dictionary(0/1)`.
fn report(log: &Log) -> String {
    let log = log.lock().map(|l| l.clone()).unwrap_or_default();
    log.iter()
        .map(|(p, s, e, n, d)| format!("{p} {s} {e} {n} {}\n", u8::from(*d)))
        .collect()
}
