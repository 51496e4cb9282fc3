//! An axum app in one binary: its static files were collected at build time
//! by `rcollect-build` (hashed names, rewritten CSS/JS references, br/gzip
//! variants) and compiled in. The page's tags come from the compile-time
//! checked `asset!` / `asset_integrity!` names.
//!
//! ```text
//! cargo build --release -p embedded-demo
//! target/release/embedded-demo --addr 127.0.0.1:3000
//! ```

use axum::response::Html;
use axum::{Router, routing::get};
use tower_rcollect::StaticFiles;

include!(concat!(env!("OUT_DIR"), "/rcollect.rs"));

/// The page: every URL and integrity value was fixed at compile time.
fn page() -> String {
    format!(
        r#"<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>embedded-demo</title>
<link rel="stylesheet" href="{css}" integrity="{css_sri}" crossorigin="anonymous">
<script type="module" src="{js}" integrity="{js_sri}" crossorigin="anonymous"></script>
</head>
<body>
<h1>embedded-demo</h1>
<p class="note">Static files compiled into the binary.</p>
</body>
</html>
"#,
        css = asset!("css/app.css"),
        css_sri = asset_integrity!("css/app.css"),
        js = asset!("js/app.js"),
        // The same values as constants, for templates that take paths
        // (askama: `{{ crate::assets::JS_APP_JS_SRI }}`).
        js_sri = assets::JS_APP_JS_SRI,
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut addr = "127.0.0.1:3000".to_string();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().ok_or("--addr needs HOST:PORT")?,
            other => {
                return Err(format!("unknown argument '{other}' (usage: --addr HOST:PORT)").into());
            }
        }
    }
    let files = StaticFiles::embedded(&ASSETS)?;
    let page = page();
    let app = Router::new()
        .route("/", get(move || async move { Html(page) }))
        .layer(files);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}/", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
