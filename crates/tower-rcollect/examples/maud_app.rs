//! An axum app whose maud pages get hashed URLs, SRI and precompressed
//! assets: three lines of rcollect (marked). The layer puts the
//! `StaticFiles` in each request's extensions; its tags are `maud::Render`.
//! The README shows this file, from its first `use`, as a complete
//! `main.rs`.
//!
//! ```text
//! cd fixtures && rcollect collectstatic
//! ADDR=127.0.0.1:3000 cargo run -p tower-rcollect --features maud --example maud_app
//! ```

use axum::http::StatusCode;
use axum::response::Html;
use axum::{Extension, Router, routing::get};
use maud::{DOCTYPE, Markup, html};

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

/// The page, or a 500 naming the error (a misspelt asset: its name and the
/// closest collected name; the Rust line is the compiler's to give).
async fn page(
    Extension(files): Extension<tower_rcollect::StaticFiles>, // rcollect
) -> Result<Html<String>, (StatusCode, String)> {
    let page = || -> Result<Markup, tower_rcollect::MissingAsset> {
        Ok(html! {
            (DOCTYPE)
            html {
                head {
                    (files.stylesheet_tag("css/app.css")?)
                    (files.module_tag("js/app.js")?)
                }
                body {
                    img src=(files.static_url("img/logo.svg")?) alt="logo";
                    h1 { "Hello" }
                }
            }
        })
    };
    page()
        .map(|p| Html(p.into_string()))
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}
