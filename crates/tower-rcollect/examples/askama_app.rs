//! An axum app whose askama templates get hashed URLs, SRI and
//! precompressed assets: three lines of rcollect (marked). The filters find
//! the files of the request being handled (the layer sets them), so the
//! template struct needs no field and the handler no extractor. The README
//! shows this file, from its first `use`, as a complete `main.rs`.
//!
//! ```text
//! cd fixtures && rcollect collectstatic
//! ADDR=127.0.0.1:3000 cargo run -p tower-rcollect --features askama --example askama_app
//! ```

use askama::Template;
use axum::http::StatusCode;
use axum::response::Html;
use axum::{Router, routing::get};
use tower_rcollect::askama_filters as filters; // rcollect: |stylesheet, |module, |static_url, …

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!doctype html>
<html>
<head>
  {{ "css/app.css"|stylesheet }}
  {{ "js/app.js"|module }}
</head>
<body>
  <img src="{{ "img/logo.svg"|static_url }}" alt="logo">
  <h1>{{ title }}</h1>
</body>
</html>
"#
)]
struct Page {
    title: &'static str,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = tower_rcollect::StaticFiles::from_env()?; // rcollect: reads ./rcollect.toml
    let app = Router::new().route("/", get(page)).layer(files); // rcollect: serves /static/
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on http://{}/", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// The page, or a 500 naming the error (a misspelt asset: its name, where
/// the template asked for it, and the closest collected name).
async fn page() -> Result<Html<String>, (StatusCode, String)> {
    Page { title: "Hello" }
        .render()
        .map(Html)
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}
