//! An axum app whose askama templates get hashed URLs, SRI and
//! precompressed assets. The layer puts the [`StaticFiles`] in each
//! request's extensions; the template struct carries it (lines marked).
//!
//! ```text
//! cd fixtures && rcollect collectstatic
//! cargo run -p tower-rcollect --features askama --example askama_app -- --addr 127.0.0.1:3000
//! ```

mod common;

use askama::Template;
use axum::response::Html;
use axum::{Extension, Router, routing::get};
use tower_rcollect::StaticFiles;

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!doctype html>
<html>
<head>
  {{ files.stylesheet_tag("css/app.css")? }}
  {{ files.module_tag("js/app.js")? }}
</head>
<body>
  <img src="{{ files.static_url("img/logo.svg")? }}" alt="logo">
  <h1>{{ title }}</h1>
</body>
</html>
"#
)]
struct Page {
    files: StaticFiles, // rcollect
    title: &'static str,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = StaticFiles::from_env()?; // rcollect: reads ./rcollect.toml
    let app = Router::new().route("/", get(page)).layer(files); // rcollect: serves /static/
    common::serve(app).await
}

async fn page(
    Extension(files): Extension<StaticFiles>, // rcollect
) -> Result<Html<String>, common::AppError> {
    Ok(Html(
        Page {
            files,
            title: "Hello",
        }
        .render()?,
    ))
}
