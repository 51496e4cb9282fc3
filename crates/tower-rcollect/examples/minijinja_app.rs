//! An axum app whose minijinja templates get hashed URLs, SRI and
//! precompressed assets: three lines of rcollect (marked). The README shows
//! this file, from its first `use`, as a complete `main.rs`.
//!
//! ```text
//! cd fixtures && rcollect collectstatic     # the deploy step
//! ADDR=127.0.0.1:3000 cargo run -p tower-rcollect --features minijinja --example minijinja_app
//! RCOLLECT_DEBUG=1 cargo run …              # dev mode: serves the sources, no collect needed
//! ```

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Html;
use axum::{Router, routing::get};
use minijinja::{Environment, context};

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
    let files = tower_rcollect::StaticFiles::from_env()?; // rcollect: reads ./rcollect.toml
    let mut env = Environment::new();
    files.register_minijinja(&mut env); // rcollect: static(), stylesheet(), module(), …
    env.add_template("page.html", PAGE)?;
    let app = Router::new()
        .route("/", get(page))
        .with_state(Arc::new(env))
        .layer(files); // rcollect: serves /static/
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on http://{}/", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// The page, or a 500 naming the error (a misspelt asset: its name, the
/// template line, and the closest collected name).
async fn page(
    State(env): State<Arc<Environment<'static>>>,
) -> Result<Html<String>, (StatusCode, String)> {
    let render = || {
        env.get_template("page.html")?
            .render(context! { title => "Hello" })
    };
    render()
        .map(Html)
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}
