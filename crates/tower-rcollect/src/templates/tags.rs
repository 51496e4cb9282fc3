//! HTML tags for templates: `<link>` and `<script>` with the hashed URL,
//! `integrity` and `crossorigin`, shared by every template-engine
//! integration.

use crate::error::{LookedIn, MissingAsset};
use crate::files::StaticFiles;
use crate::source::Source;

/// The kinds of tag the helpers write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    /// `<link rel="stylesheet">`.
    Stylesheet,
    /// A classic `<script>`.
    Script,
    /// `<script type="module">`.
    Module,
}

impl Tag {
    /// The tag for `logical`. The URL and the integrity value need no
    /// escaping in an attribute: the URL is percent-encoded HTML specials
    /// included, and the integrity is `sha384-` plus base64.
    pub(crate) fn render(
        self,
        files: &StaticFiles,
        logical: &str,
    ) -> Result<HtmlTag, MissingAsset> {
        let url = files.static_url(logical)?;
        let sri = integrity_attr(&files.integrity(logical)?);
        Ok(HtmlTag(match self {
            Tag::Stylesheet => {
                format!(r#"<link rel="stylesheet" href="{url}"{sri} crossorigin="anonymous">"#)
            }
            Tag::Script => {
                format!(r#"<script src="{url}"{sri} crossorigin="anonymous"></script>"#)
            }
            Tag::Module => format!(
                r#"<script type="module" src="{url}"{sri} crossorigin="anonymous"></script>"#
            ),
        }))
    }
}

/// ` integrity="…"`, or nothing when the value is unknown (a manifest
/// written without integrity values): an empty `integrity=""` is never
/// written.
pub(crate) fn integrity_attr(integrity: &str) -> String {
    if integrity.is_empty() {
        String::new()
    } else {
        format!(r#" integrity="{integrity}""#)
    }
}

/// A template helper: what `static()`, `integrity()`, `stylesheet()`,
/// `script()`, `module()` and `preload()` answer, in every engine.
#[cfg(any(feature = "minijinja", feature = "tera"))]
#[derive(Debug, Clone, Copy)]
pub(crate) enum Helper {
    /// The URL.
    Url,
    /// The SRI value.
    Integrity,
    /// A whole tag.
    Tag(Tag),
    /// The preload tags of what the file loads with it.
    Preload,
    /// The tags that load a Vite entry.
    ViteEntry,
}

/// The template functions by name, for the engines that register
/// functions.
#[cfg(any(feature = "minijinja", feature = "tera"))]
pub(crate) const HELPERS: [(&str, Helper); 7] = [
    ("static", Helper::Url),
    ("integrity", Helper::Integrity),
    ("stylesheet", Helper::Tag(Tag::Stylesheet)),
    ("script", Helper::Tag(Tag::Script)),
    ("module", Helper::Tag(Tag::Module)),
    ("preload", Helper::Preload),
    ("vite_entry", Helper::ViteEntry),
];

#[cfg(any(feature = "minijinja", feature = "tera"))]
impl Helper {
    /// The helper's output for `logical`; it needs no escaping.
    pub(crate) fn call(self, files: &StaticFiles, logical: &str) -> Result<String, MissingAsset> {
        match self {
            Helper::Url => files.static_url(logical),
            Helper::Integrity => files.integrity(logical),
            Helper::Tag(tag) => tag.render(files, logical).map(String::from),
            Helper::Preload => Ok(files
                .preload(logical)?
                .iter()
                .map(|p| p.tag().into_string())
                .collect::<Vec<_>>()
                .join("\n")),
            Helper::ViteEntry => files.vite_entry(logical).map(String::from),
        }
    }
}

/// A complete HTML tag (`<link …>` or `<script …></script>`) that needs no
/// escaping. It displays as itself; with the `maud` feature it is a
/// `maud::Render`, with `askama` it is marked HTML-safe, so the engines
/// insert it unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlTag(String);

impl HtmlTag {
    /// A tag rendered by this crate (already escaped where needed).
    pub(crate) fn new(html: String) -> HtmlTag {
        HtmlTag(html)
    }

    /// The HTML.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The HTML, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for HtmlTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<HtmlTag> for String {
    fn from(t: HtmlTag) -> String {
        t.0
    }
}

impl StaticFiles {
    /// The URL of a logical path: STATIC_URL plus the hashed name
    /// (`/static/css/app.3f2a1b9c8d7e.css`), or the logical name in dev mode.
    /// The name is percent-encoded where needed, HTML specials (`"&'<>`)
    /// included, so the result can go into an HTML attribute unescaped.
    ///
    /// # Errors
    /// The path is not in the manifest (in dev mode: in no source dir).
    pub fn static_url(&self, logical: &str) -> Result<String, MissingAsset> {
        let name = match &self.inner.source {
            Source::Manifest(l) => l.logical.get(logical).map(|(h, _)| h.as_str()),
            Source::Dev(d) => d.locator.locate(logical).map(|_| logical),
        };
        match name {
            Some(n) => Ok(self.inner.url.file(n)),
            None => Err(self.missing(logical)),
        }
    }

    /// The error for a logical path these files do not have, with the
    /// closest one they have: the manifest's logical paths, or in dev mode
    /// the source dirs' files (walked now: this is the error path).
    pub(crate) fn missing(&self, logical: &str) -> MissingAsset {
        match &self.inner.source {
            Source::Manifest(l) => MissingAsset::new(
                logical,
                LookedIn::Manifest,
                l.logical.keys().map(String::as_str),
            ),
            Source::Dev(d) => {
                let known = d.locator.logical_paths();
                MissingAsset::new(
                    logical,
                    LookedIn::SourceDirs,
                    known.iter().map(String::as_str),
                )
            }
        }
    }

    /// The Subresource Integrity value (`sha384-…`) of a logical path, for
    /// `<script integrity="…">`. In dev mode it is computed from the source
    /// file on each call. Empty only for a manifest written without
    /// integrity values (the tag helpers then leave the attribute out).
    ///
    /// # Errors
    /// The path is not in the manifest (in dev mode: in no source dir).
    pub fn integrity(&self, logical: &str) -> Result<String, MissingAsset> {
        let missing = || self.missing(logical);
        match &self.inner.source {
            Source::Manifest(l) => l
                .logical
                .get(logical)
                .map(|(_, r)| r.integrity.clone())
                .ok_or_else(missing),
            Source::Dev(d) => {
                let file = d.locator.locate(logical).ok_or_else(missing)?;
                Ok(rcollect_core::hash::Digests::of_file(&file)
                    .map_err(|_| missing())?
                    .integrity())
            }
        }
    }

    /// `<link rel="stylesheet" href="/static/css/app.3f2a….css"
    /// integrity="sha384-…" crossorigin="anonymous">` for a logical path,
    /// ready to put in a page as it is.
    ///
    /// # Errors
    /// The path is not in the manifest (in dev mode: in no source dir).
    pub fn stylesheet_tag(&self, logical: &str) -> Result<HtmlTag, MissingAsset> {
        Tag::Stylesheet.render(self, logical)
    }

    /// `<script src="…" integrity="sha384-…" crossorigin="anonymous"></script>`.
    ///
    /// # Errors
    /// The path is not in the manifest (in dev mode: in no source dir).
    pub fn script_tag(&self, logical: &str) -> Result<HtmlTag, MissingAsset> {
        Tag::Script.render(self, logical)
    }

    /// `<script type="module" src="…" integrity="sha384-…"
    /// crossorigin="anonymous"></script>`, for an ES module entry point.
    ///
    /// # Errors
    /// The path is not in the manifest (in dev mode: in no source dir).
    pub fn module_tag(&self, logical: &str) -> Result<HtmlTag, MissingAsset> {
        Tag::Module.render(self, logical)
    }
}
