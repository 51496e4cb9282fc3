//! An axum app whose minijinja templates get hashed URLs, SRI and
//! precompressed assets: three lines of rcollect (marked).
//!
//! ```text
//! cd fixtures && rcollect collectstatic     # the deploy step
//! cargo run -p tower-rcollect --features minijinja --example minijinja_app -- --addr 127.0.0.1:3000
//! RCOLLECT_DEBUG=1 cargo run …              # dev mode: serves the sources, no collect needed
//! ```

mod common;

use std::sync::Arc;

use axum::extract::State;
use axum::response::Html;
use axum::{Router, routing::get};
use minijinja::{Environment, context};
use tower_rcollect::StaticFiles;

const PAGE: &str = r#"<!doctype html>
<html>
<head>
  {{ stylesheet("css/app.css") }}
  {{ module("js/app.js") }}
</head>
<body>
  <img src="{{ static("img/logo.svg") }}" alt="logo">
  <h1>{{ title }}</h1>
</body>
</html>
"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = StaticFiles::from_env()?; // rcollect: reads ./rcollect.toml
    let mut env = Environment::new();
    files.register_minijinja(&mut env); // rcollect: static(), stylesheet(), module(), …
    env.add_template("page.html", PAGE)?;
    let app = Router::new()
        .route("/", get(page))
        .with_state(Arc::new(env))
        .layer(files); // rcollect: serves /static/
    common::serve(app).await
}

async fn page(
    State(env): State<Arc<Environment<'static>>>,
) -> Result<Html<String>, common::AppError> {
    let page = env.get_template("page.html")?;
    Ok(Html(page.render(context! { title => "Hello" })?))
}
