//! An axum app in one binary: its static files were collected at build time
//! by `rcollect-build` (hashed names, rewritten CSS/JS references, br/gzip
//! variants) and compiled in. The page's tags come from the compile-time
//! checked `asset_stylesheet!` / `asset_module!` names (a
//! misspelt one fails `cargo build`, naming the closest collected name).
//!
//! ```text
//! cargo build --release -p embedded-demo
//! target/release/embedded-demo --addr 127.0.0.1:3000
//! ```

use axum::response::Html;
use axum::{Router, routing::get};
use tower_rcollect::StaticFiles;

include!(concat!(env!("OUT_DIR"), "/rcollect.rs"));

/// The page: every URL and integrity value was fixed at compile time (a
/// debug build serves the sources: its tags have no `integrity`).
fn page() -> String {
    format!(
        r#"<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>embedded-demo</title>
{css}
{js}
</head>
<body>
<h1>embedded-demo</h1>
<p class="note">Static files compiled into the binary.</p>
</body>
</html>
"#,
        css = asset_stylesheet!("css/app.css"),
        js = asset_module!("js/app.js"),
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
