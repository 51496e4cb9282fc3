//! maud: an [`HtmlTag`] is a [`maud::Render`] (feature `maud`), so
//! `(files.stylesheet_tag("css/app.css")?)` goes into `html!` unescaped.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # std::fs::create_dir(dir.path().join("static"))?;
//! # std::fs::write(dir.path().join("static/app.css"), "body{}")?;
//! # let mut config = tower_rcollect::Config::new(dir.path().join("out"), "/static/");
//! # config.dirs = vec![tower_rcollect::SourceDir { prefix: String::new(), path: dir.path().join("static") }];
//! # config.debug = true;
//! let files = tower_rcollect::StaticFiles::from_config(&config)?;
//! let page = maud::html! { head { (files.stylesheet_tag("app.css")?) } };
//! assert!(page.into_string().starts_with(r#"<head><link rel="stylesheet" href="/static/app.css""#));
//! # Ok(()) }
//! ```

use maud::Render;

use crate::templates::tags::HtmlTag;

#[cfg_attr(docsrs, doc(cfg(feature = "maud")))]
impl Render for HtmlTag {
    /// The tag as it is: it needs no escaping.
    fn render_to(&self, buffer: &mut String) {
        buffer.push_str(self.as_str());
    }
}
