//! A page that runs CodeMirror 5 from its ES-module entry, for what a
//! returning visitor downloads after an edit: `bench/importmap.sh` drives
//! it with headless Chromium (one profile, once per version) through a
//! byte-counting relay.
//!
//! `/page` is `Cache-Control: no-cache` (the hashed files are immutable)
//! and sent with `Content-Encoding: br` (quality 5, as a compressing layer
//! would send HTML) to a client that accepts it. With `--importmap` its
//! `<head>` starts with `files.importmap()`, the inline map of every
//! module of the live manifest (with `--page-map`,
//! `files.importmap_for(&[entry])`: only the modules the page loads). The page imports the entry by its hashed URL (a module
//! script's own URL is not mapped; with the map, the modules it imports
//! resolve through it), creates an editor and writes `CodeMirror
//! <version>, <n> lines` (or what failed) into `<div id=out>`; with
//! `--wait URL` it then fetches URL and waits for the answer (the relay
//! holds it 2 s, so that Chromium stores the dictionaries it was offered
//! before it exits). `/map` gives the map's JSON exactly as the page
//! inlines it.
//!
//! ```text
//! returning_visitor --root STATIC_ROOT --entry vendor/codemirror/src/codemirror.js
//!     [--importmap [--page-map]] [--no-dictionaries] [--wait URL] [--addr 127.0.0.1:0]
//! ```

use std::io::Write as _;

use axum::Router;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower_rcollect::StaticFiles;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut root, mut entry, mut wait) = (None, None, None);
    let (mut addr, mut importmap, mut dictionaries) = ("127.0.0.1:0".to_string(), false, true);
    let mut page_map = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--root" => root = args.next(),
            "--entry" => entry = args.next(),
            "--wait" => wait = args.next(),
            "--addr" => addr = args.next().ok_or("--addr needs HOST:PORT")?,
            "--importmap" => importmap = true,
            // The page's own map (`importmap_for`), not every module's.
            "--page-map" => page_map = true,
            "--no-dictionaries" => dictionaries = false,
            other => return Err(format!("unknown argument '{other}'").into()),
        }
    }
    let (root, entry) = (
        root.ok_or("--root is required")?,
        entry.ok_or("--entry is required")?,
    );
    let files = StaticFiles::from_manifest(&root, "/static/")?.dictionaries(dictionaries);
    let map = if page_map {
        files.importmap_for(&[entry.as_str()])?
    } else {
        files.importmap()
    };
    let head = if importmap {
        map.to_string()
    } else {
        String::new()
    };
    let then = match &wait {
        Some(url) => format!("await fetch({url:?}, {{ mode: \"no-cors\" }});\n"),
        None => String::new(),
    };
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
         {then}</script></body></html>",
        files.static_url(&entry)?
    );
    let mut page_br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut page_br, 4096, 5, 22);
        w.write_all(page.as_bytes())?;
    }
    let map_json = map.json().to_string();
    let app = Router::new()
        .route(
            "/page",
            get(move |headers: HeaderMap| async move { send_page(&headers, &page, &page_br) }),
        )
        .route("/map", get(move || async move { map_json }))
        .layer(files);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}/", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// The page, br-encoded when the request accepts br.
fn send_page(headers: &HeaderMap, page: &str, page_br: &[u8]) -> Response {
    let accepts_br = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| e.split(';').next().is_some_and(|n| n.trim() == "br"));
    let cache = (header::CACHE_CONTROL, "no-cache");
    let vary = (header::VARY, "Accept-Encoding");
    if accepts_br {
        (
            [
                cache,
                vary,
                (header::CONTENT_ENCODING, "br"),
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            ],
            page_br.to_vec(),
        )
            .into_response()
    } else {
        ([cache, vary], Html(page.to_string())).into_response()
    }
}
