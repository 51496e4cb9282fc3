//! An axum app whose maud pages get hashed URLs, SRI and precompressed
//! assets. The layer puts the [`StaticFiles`] in each request's
//! extensions; tags are `maud::Render` (lines marked).
//!
//! ```text
//! cd fixtures && rcollect collectstatic
//! cargo run -p tower-rcollect --features maud --example maud_app -- --addr 127.0.0.1:3000
//! ```

mod common;

use axum::response::Html;
use axum::{Extension, Router, routing::get};
use maud::{DOCTYPE, html};
use tower_rcollect::StaticFiles;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = StaticFiles::from_env()?; // rcollect: reads ./rcollect.toml
    let app = Router::new().route("/", get(page)).layer(files); // rcollect: serves /static/
    common::serve(app).await
}

async fn page(
    Extension(files): Extension<StaticFiles>, // rcollect
) -> Result<Html<String>, common::AppError> {
    let page = html! {
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
    };
    Ok(Html(page.into_string()))
}
