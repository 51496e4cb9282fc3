//! An axum app whose Tera templates get hashed URLs, SRI and precompressed
//! assets: three lines of rcollect (marked). The README shows this file,
//! from its first `use`, as a complete `main.rs`.
//!
//! ```text
//! cd fixtures && rcollect collectstatic
//! ADDR=127.0.0.1:3000 cargo run -p tower-rcollect --features tera --example tera_app
//! ```

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Html;
use axum::{Router, routing::get};
use tera::{Context, Tera};

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
    let files = tower_rcollect::StaticFiles::from_env()?; // rcollect: reads ./rcollect.toml
    let mut tera = Tera::default();
    files.register_tera(&mut tera); // rcollect: static(path=…), stylesheet(path=…), …
    tera.add_raw_template("page.html", PAGE)?;
    let app = Router::new()
        .route("/", get(page))
        .with_state(Arc::new(tera))
        .layer(files); // rcollect: serves /static/
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on http://{}/", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// The page, or a 500 naming the error and its causes (a misspelt asset:
/// the template, its name and the closest collected name).
async fn page(State(tera): State<Arc<Tera>>) -> Result<Html<String>, (StatusCode, String)> {
    let mut context = Context::new();
    context.insert("title", "Hello");
    tera.render("page.html", &context).map(Html).map_err(|e| {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message = format!("{message}: {s}");
            source = s.source();
        }
        (StatusCode::INTERNAL_SERVER_ERROR, message)
    })
}
