//! askama: an [`HtmlTag`] is HTML-safe (feature `askama`), so
//! `{{ files.stylesheet_tag("css/app.css")? }}` is inserted unescaped, and
//! a [`MissingAsset`] converts into `askama::Error` for the `?`.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # std::fs::create_dir(dir.path().join("static"))?;
//! # std::fs::write(dir.path().join("static/app.css"), "body{}")?;
//! # let mut config = tower_rcollect::Config::new(dir.path().join("out"), "/static/");
//! # config.dirs = vec![tower_rcollect::SourceDir { prefix: String::new(), path: dir.path().join("static") }];
//! # config.debug = true;
//! use askama::Template;
//! use tower_rcollect::StaticFiles;
//!
//! #[derive(Template)]
//! #[template(ext = "html", source = r#"{{ files.stylesheet_tag("app.css")? }} <a href="{{ files.static_url("app.css")? }}">"#)]
//! struct Page {
//!     files: StaticFiles,
//! }
//!
//! let files = StaticFiles::from_config(&config)?;
//! let html = Page { files }.render()?;
//! assert!(html.starts_with(r#"<link rel="stylesheet" href="/static/app.css""#));
//! assert!(html.ends_with(r#"<a href="/static/app.css">"#));
//! # Ok(()) }
//! ```

use crate::error::MissingAsset;
use crate::templates::tags::HtmlTag;

#[cfg_attr(docsrs, doc(cfg(feature = "askama")))]
impl askama::filters::HtmlSafe for HtmlTag {}

#[cfg_attr(docsrs, doc(cfg(feature = "askama")))]
impl From<MissingAsset> for askama::Error {
    fn from(e: MissingAsset) -> askama::Error {
        askama::Error::custom(e)
    }
}
