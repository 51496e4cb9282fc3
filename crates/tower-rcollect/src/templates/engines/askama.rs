//! askama (feature `askama`): the filters (`askama_filters`, documented
//! there), and `MissingAsset` into `askama::Error` for code that calls the
//! [`StaticFiles`] methods in a template.

use crate::error::MissingAsset;
use crate::files::StaticFiles;
use crate::templates::tags::HtmlTag;

#[cfg_attr(docsrs, doc(cfg(feature = "askama")))]
impl askama::filters::HtmlSafe for HtmlTag {}

#[cfg_attr(docsrs, doc(cfg(feature = "askama")))]
impl From<MissingAsset> for askama::Error {
    fn from(e: MissingAsset) -> askama::Error {
        askama::Error::custom(e)
    }
}

/// The files for a filter, and where in the templates it was called.
#[track_caller]
fn with_files<T>(
    f: impl FnOnce(&StaticFiles) -> Result<T, MissingAsset>,
) -> Result<T, askama::Error> {
    let at = std::panic::Location::caller();
    let Some(files) = StaticFiles::current() else {
        return Err(askama::Error::custom(NoFiles(format!(
            "{}:{}",
            at.file(),
            at.line()
        ))));
    };
    f(&files).map_err(|e| askama::Error::custom(e.at(format!("{}:{}", at.file(), at.line()))))
}

/// A filter used where no [`StaticFiles`] is current.
#[derive(Debug, thiserror::Error)]
#[error(
    "no StaticFiles for this render (at {0}): render in a handler behind the StaticFiles layer, or inside `files.scope(|| …)`"
)]
struct NoFiles(String);

/// The askama filters (feature `askama`): they need no struct field and no
/// extractor.
///
/// With `use tower_rcollect::askama_filters as filters;` next to the
/// template struct, a template writes
/// `{{ "css/app.css"|stylesheet }}`, `{{ "js/app.js"|module }}`,
/// `{{ "js/legacy.js"|script }}`, `{{ "img/logo.svg"|static_url }}`,
/// `{{ "js/app.js"|integrity }}`, `{{ "js/app.js"|preload }}` and
/// `{{ "src/main.ts"|vite_entry }}` (askama's filters are its only
/// user-defined template functions, and `static` is a Rust keyword, hence
/// `static_url`). The filters use the files of the request being handled
/// ([`StaticFiles::current`]): the layer sets them while a handler behind
/// it runs, so the handler renders as usual; outside a request, render in
/// [`StaticFiles::scope`]. A template module with filters of its own
/// re-exports these: `mod filters { pub use tower_rcollect::askama_filters::*; … }`.
///
/// Why this way: askama gives a filter its input and the runtime
/// [`askama::Values`] only, so the files must come from the template (a
/// field, filled from an `Extension<StaticFiles>` in every handler: two
/// more lines per page), from values passed to `render_with_values` (a
/// line per render), from a process-wide global (one per process: wrong
/// for two apps, or tests, in one process) or from the request being
/// handled. The last needs nothing from the app beyond the layer it
/// already adds, and each app sees its own files.
///
/// A path that is not a collected file fails the render with a
/// [`MissingAsset`] naming it, with `did you mean '…'?` and where askama
/// asked for it: the Rust file and line of the template's
/// `#[derive(Template)]` (askama keeps no template positions at run time,
/// so the line within the template is not known).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// # std::fs::create_dir(dir.path().join("static"))?;
/// # std::fs::write(dir.path().join("static/app.css"), "body{}")?;
/// # let mut config = tower_rcollect::Config::new(dir.path().join("out"), "/static/");
/// # config.dirs = vec![tower_rcollect::SourceDir { prefix: String::new(), path: dir.path().join("static") }];
/// # config.debug = true;
/// use askama::Template;
/// use tower_rcollect::StaticFiles;
/// use tower_rcollect::askama_filters as filters;
///
/// #[derive(Template)]
/// #[template(ext = "html", source = r#"{{ "app.css"|stylesheet }} <a href="{{ "app.css"|static_url }}">"#)]
/// struct Page;
///
/// #[derive(Template)]
/// #[template(ext = "html", source = r#"{{ "apps.css"|stylesheet }}"#)]
/// struct Misspelt;
///
/// let files = StaticFiles::from_config(&config)?;
/// // In a handler behind `.layer(files)` this is just `Page.render()?`.
/// let html = files.scope(|| Page.render())?;
/// assert!(html.starts_with(r#"<link rel="stylesheet" href="/static/app.css" integrity="sha384-"#));
/// assert!(html.ends_with(r#"<a href="/static/app.css">"#));
/// let err = files.scope(|| Misspelt.render()).unwrap_err().to_string();
/// assert!(err.contains("'apps.css' not found in the source dirs: did you mean 'app.css'?"), "{err}");
/// # Ok(()) }
/// ```
///
/// With a [`StaticFiles`] at hand (a field, an extractor), the methods work
/// too: an [`HtmlTag`] is HTML-safe and a [`MissingAsset`] converts into
/// `askama::Error` for the `?`, as in
/// `{{ files.stylesheet_tag("css/app.css")? }}`.
///
/// Each is a unit struct as askama's filter protocol wants (askama calls
/// `filters::NAME::default().execute(input, values)`); their names are the
/// filters' names.
#[allow(non_camel_case_types)]
pub mod filters {
    use askama::filters::Safe;

    use crate::templates::tags::HtmlTag;

    macro_rules! filter {
        ($(#[$doc:meta])* $name:ident -> $out:ty, |$files:ident, $path:ident| $body:expr) => {
            $(#[$doc])*
            #[derive(Debug, Clone, Copy, Default)]
            pub struct $name;

            impl askama::filters::ValidFilterInvocation for $name {}

            impl $name {
                /// What askama calls for `{{ path|NAME }}`.
                ///
                /// # Errors
                /// The path is not a collected file (or, in dev mode,
                /// in no source dir), or no [`StaticFiles`](crate::StaticFiles)
                /// is current.
                #[track_caller]
                pub fn execute(
                    self,
                    path: impl AsRef<str>,
                    _values: &dyn askama::Values,
                ) -> askama::Result<$out> {
                    let $path = path.as_ref();
                    super::with_files(|$files| $body)
                }
            }
        };
    }

    filter!(
        /// `{{ "img/logo.svg"|static_url }}`: the URL (hashed name under
        /// STATIC_URL), as `static()` in the other engines.
        static_url -> Safe<String>, |files, path| files.static_url(path).map(Safe)
    );
    filter!(
        /// `{{ "js/app.js"|integrity }}`: the SRI value (`sha384-…`).
        integrity -> Safe<String>, |files, path| files.integrity(path).map(Safe)
    );
    filter!(
        /// `{{ "css/app.css"|stylesheet }}`: `<link rel="stylesheet" …>`
        /// with `integrity` and `crossorigin`.
        stylesheet -> HtmlTag, |files, path| files.stylesheet_tag(path)
    );
    filter!(
        /// `{{ "js/legacy.js"|script }}`: a classic `<script src=…>`.
        script -> HtmlTag, |files, path| files.script_tag(path)
    );
    filter!(
        /// `{{ "js/app.js"|module }}`: `<script type="module" …>`.
        module -> HtmlTag, |files, path| files.module_tag(path)
    );
    filter!(
        /// `{{ "js/app.js"|preload }}`: the preload tags of what the file
        /// loads with it ([`StaticFiles::preload`](crate::StaticFiles::preload)).
        preload -> HtmlTag, |files, path| files.preload(path).map(|p| {
            HtmlTag::new(p.iter().map(|p| p.tag().into_string()).collect::<Vec<_>>().join("\n"))
        })
    );
    filter!(
        /// `{{ "src/main.ts"|vite_entry }}`: the tags of a Vite entry
        /// ([`StaticFiles::vite_entry`](crate::StaticFiles::vite_entry)).
        vite_entry -> HtmlTag, |files, path| files.vite_entry(path)
    );
}
