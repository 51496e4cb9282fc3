//! Preload hints from the reference graph the manifest records: what a
//! page's entry points load with them (static JS imports, CSS `@import`s,
//! fonts and images in `url()`), transitively, as `Link` header values and
//! as `<link>` tags, so that the browser asks for the whole tree in one
//! round trip instead of discovering it level by level.

use std::collections::{BTreeSet, VecDeque};
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{HeaderValue, Request, Response, header};
use tower::{Layer, Service};

use crate::error::MissingAsset;
use crate::files::StaticFiles;
use crate::source::Source;
use crate::source::load::Loaded;
use crate::templates::tags::HtmlTag;

/// How a preloaded file will be used (`rel=modulepreload` or `as=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreloadKind {
    /// A JS module (`rel=modulepreload`).
    Module,
    /// A stylesheet (`as=style`).
    Style,
    /// A font (`as=font`, always CORS).
    Font,
    /// An image (`as=image`).
    Image,
}

impl PreloadKind {
    /// How a file is preloaded, by the extension of its logical path;
    /// `None` for files that are not preloaded.
    pub fn of(logical: &str) -> Option<PreloadKind> {
        let ext = logical.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "js" | "mjs" => PreloadKind::Module,
            "css" => PreloadKind::Style,
            "woff2" | "woff" | "ttf" | "otf" | "eot" => PreloadKind::Font,
            "png" | "jpg" | "jpeg" | "gif" | "svg" | "webp" | "avif" | "ico" => PreloadKind::Image,
            _ => return None,
        })
    }
}

/// One file to preload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preload {
    /// Its URL (STATIC_URL + hashed name).
    pub url: String,
    /// How it will be used.
    pub kind: PreloadKind,
    /// Its Subresource Integrity value.
    pub integrity: String,
}

impl Preload {
    /// The `Link` header value: `<url>; rel=modulepreload; crossorigin;
    /// integrity="sha384-…"` or `<url>; rel=preload; as=style; crossorigin;
    /// integrity="…"` (`crossorigin` where the file is fetched in CORS mode:
    /// modules, fonts, and stylesheets, which rcollect's tags load with
    /// `crossorigin`). The `integrity` parameter matters: a preload without
    /// it is refused under `Integrity-Policy`, and with an import map it
    /// would fetch a module without the map's integrity check.
    pub fn link_value(&self) -> String {
        let (rel, cors) = match self.kind {
            PreloadKind::Module => ("rel=modulepreload", "; crossorigin"),
            PreloadKind::Style => ("rel=preload; as=style", "; crossorigin"),
            PreloadKind::Font => ("rel=preload; as=font", "; crossorigin"),
            PreloadKind::Image => ("rel=preload; as=image", ""),
        };
        if self.integrity.is_empty() {
            format!("<{}>; {rel}{cors}", self.url)
        } else {
            format!(
                "<{}>; {rel}{cors}; integrity=\"{}\"",
                self.url, self.integrity
            )
        }
    }

    /// The `<link>` tag, with `integrity` (left out when unknown, never
    /// empty).
    pub fn tag(&self) -> HtmlTag {
        let (rel, as_, cors) = match self.kind {
            PreloadKind::Module => ("modulepreload", "", true),
            PreloadKind::Style => ("preload", r#" as="style""#, true),
            PreloadKind::Font => ("preload", r#" as="font""#, true),
            PreloadKind::Image => ("preload", r#" as="image""#, false),
        };
        let cors = if cors {
            r#" crossorigin="anonymous""#
        } else {
            ""
        };
        HtmlTag::new(format!(
            r#"<link rel="{rel}" href="{}"{as_}{}{cors}>"#,
            self.url,
            crate::templates::tags::integrity_attr(&self.integrity)
        ))
    }
}

impl StaticFiles {
    /// What `entry` (a logical path: a JS module or a stylesheet) loads with
    /// it, transitively, nearest first, without `entry` itself. Empty in dev
    /// mode and for a manifest without a reference graph.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let files = tower_rcollect::StaticFiles::from_manifest("staticfiles", "/static/")?;
    /// for p in files.preload("js/app.js")? {
    ///     println!("{}", p.tag()); // <link rel="modulepreload" href="/static/js/util.3f2a….js" …>
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `entry` is not a known logical path.
    pub fn preload(&self, entry: &str) -> Result<Vec<Preload>, MissingAsset> {
        self.preload_all(&[entry])
    }

    /// What `entries` load with them, transitively, each file once, nearest
    /// to an entry first (the entries themselves left out).
    fn preload_all(&self, entries: &[&str]) -> Result<Vec<Preload>, MissingAsset> {
        let loaded = match &self.inner.source {
            Source::Manifest(l) => l,
            Source::Dev(_) => {
                for e in entries {
                    self.static_url(e)?;
                }
                return Ok(Vec::new());
            }
        };
        let reached = self.reachable(loaded, entries)?;
        let mut out = Vec::new();
        for (target, logical) in reached.into_iter().skip_while(|(_, l)| entries.contains(l)) {
            let (Some(kind), Some((_, asset))) =
                (PreloadKind::of(logical), loaded.logical.get(logical))
            else {
                continue;
            };
            out.push(Preload {
                url: self.inner.url.file(target),
                kind,
                integrity: asset.integrity.clone(),
            });
        }
        Ok(out)
    }

    /// The files `entries` load, transitively, through the reference graph
    /// (imports, dynamic imports, `url()`s), each once as (hashed name,
    /// logical path): the entries first, then nearest first.
    pub(crate) fn reachable<'a>(
        &self,
        loaded: &'a Loaded,
        entries: &[&str],
    ) -> Result<Vec<(&'a str, &'a str)>, MissingAsset> {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut queue: VecDeque<&str> = VecDeque::new();
        let mut out = Vec::new();
        for entry in entries {
            let (logical, (start, _)) = loaded
                .logical
                .get_key_value(*entry)
                .ok_or_else(|| self.missing(entry))?;
            if seen.insert(start.as_str()) {
                queue.push_back(start.as_str());
                out.push((start.as_str(), logical.as_str()));
            }
        }
        while let Some(hashed) = queue.pop_front() {
            for target in loaded.graph.get(hashed).into_iter().flatten() {
                if !seen.insert(target.as_str()) {
                    continue;
                }
                queue.push_back(target.as_str());
                if let Some(logical) = loaded.logical_of.get(target) {
                    out.push((target.as_str(), logical.as_str()));
                }
            }
        }
        Ok(out)
    }

    /// A layer that adds one `Link` header with the preloads of `entries`
    /// to the HTML responses (`Content-Type: text/html`) of the routes it
    /// wraps (in axum: `.route_layer(files.preload_layer(&["js/app.js"])?)`).
    /// The header holds the files nearest to the entries first and at most
    /// `[serve] link_max_bytes` (default 3 KiB: proxies and browsers refuse
    /// large response headers; nginx's default `proxy_buffer_size` is one
    /// 4 KiB page for all of them); what does not fit is left to the
    /// page's own tags (with a warning now).
    ///
    /// # Errors
    /// An entry is not a known logical path.
    pub fn preload_layer(&self, entries: &[&str]) -> Result<PreloadLayer, MissingAsset> {
        let all = self.preload_all(entries)?;
        let max = self.inner.settings.link_max_bytes;
        let mut value = String::new();
        let mut kept = 0;
        for p in &all {
            let link = p.link_value();
            let len = if value.is_empty() {
                link.len()
            } else {
                link.len() + 2
            };
            if value.len() + len > max {
                break;
            }
            if !value.is_empty() {
                value.push_str(", ");
            }
            value.push_str(&link);
            kept += 1;
        }
        if kept < all.len() {
            tracing::warn!(
                "preload Link header for {entries:?}: {kept} of {} links fit in link_max_bytes \
                 ({max}); the nearest are kept, the page's tags carry the rest",
                all.len()
            );
        }
        Ok(PreloadLayer {
            link: HeaderValue::try_from(value).ok().filter(|v| !v.is_empty()),
        })
    }
}

/// Adds a `Link` header of preloads to HTML responses; see
/// [`StaticFiles::preload_layer`].
#[derive(Debug, Clone)]
pub struct PreloadLayer {
    link: Option<HeaderValue>,
}

impl<S> Layer<S> for PreloadLayer {
    type Service = Preloading<S>;

    fn layer(&self, inner: S) -> Preloading<S> {
        Preloading {
            inner,
            link: self.link.clone(),
        }
    }
}

/// The service of a [`PreloadLayer`].
#[derive(Debug, Clone)]
pub struct Preloading<S> {
    inner: S,
    link: Option<HeaderValue>,
}

impl<S, B, ResBody> Service<Request<B>> for Preloading<S>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResBody>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let fut = self.inner.call(req);
        let link = self.link.clone();
        Box::pin(async move {
            let mut res = fut.await?;
            let html = res
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|ct| ct.trim_start().starts_with("text/html"));
            if let (true, Some(link)) = (html, link) {
                res.headers_mut().append(header::LINK, link);
            }
            Ok(res)
        })
    }
}
