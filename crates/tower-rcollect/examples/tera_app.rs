//! An axum app whose Tera templates get hashed URLs, SRI and precompressed
//! assets: three lines of rcollect (marked).
//!
//! ```text
//! cd fixtures && rcollect collectstatic
//! cargo run -p tower-rcollect --features tera --example tera_app -- --addr 127.0.0.1:3000
//! ```

mod common;

use std::sync::Arc;

use axum::extract::State;
use axum::response::Html;
use axum::{Router, routing::get};
use tera::{Context, Tera};
use tower_rcollect::StaticFiles;

const PAGE: &str = r#"<!doctype html>
<html>
<head>
  {{ stylesheet(path="css/app.css") }}
  {{ module(path="js/app.js") }}
</head>
<body>
  <img src="{{ static(path="img/logo.svg") }}" alt="logo">
  <h1>{{ title }}</h1>
</body>
</html>
"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = StaticFiles::from_env()?; // rcollect: reads ./rcollect.toml
    let mut tera = Tera::default();
    files.register_tera(&mut tera); // rcollect: static(path=…), stylesheet(path=…), …
    tera.add_raw_template("page.html", PAGE)?;
    let app = Router::new()
        .route("/", get(page))
        .with_state(Arc::new(tera))
        .layer(files); // rcollect: serves /static/
    common::serve(app).await
}

async fn page(State(tera): State<Arc<Tera>>) -> Result<Html<String>, common::AppError> {
    let mut context = Context::new();
    context.insert("title", "Hello");
    Ok(Html(tera.render("page.html", &context)?))
}
