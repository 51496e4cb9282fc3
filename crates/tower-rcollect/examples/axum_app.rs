//! An axum app that serves its collected static files with `tower-rcollect`.
//!
//! ```text
//! rcollect collectstatic --root staticfiles --dir assets
//! cargo run -p tower-rcollect --example axum_app -- staticfiles
//! curl -sI http://127.0.0.1:3000/static/css/app.css -H 'Accept-Encoding: br'
//! ```
//!
//! Requests under `/static/` that name a collected file are answered by the
//! layer; everything else (including unknown static paths) reaches the router.

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use axum::serve::ListenerExt;
use tower_rcollect::StaticFiles;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "staticfiles".into());
    let files = StaticFiles::from_manifest(&root, "/static/")?.max_age(300);

    // Resolve hashed URLs once; a missing file is a start-up error, not a
    // broken link at runtime.
    let page = format!(
        "<!doctype html><link rel=\"stylesheet\" href=\"{}\"><h1>Hello</h1>",
        files.static_url("css/app.css")?
    );
    let app = Router::new()
        .route("/", get(move || async move { Html(page) }))
        .fallback(|| async { (axum::http::StatusCode::NOT_FOUND, "not found") })
        .layer(files);

    // TCP_NODELAY matters for small responses (Nagle + delayed ACK otherwise
    // add ~40 ms); axum::serve does not set it by itself.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000")
        .await?
        .tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
    eprintln!("listening on http://127.0.0.1:3000/");
    axum::serve(listener, app).await?;
    Ok(())
}
