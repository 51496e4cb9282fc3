//! Preloads for HTML pages: a `Link` header on the page's response and,
//! over HTTP/2, a `103 Early Hints` with the same links before it.
//!
//! What a page loads comes from the manifest's reference graph, walked by
//! [`StaticFiles::preload`] (collect records the scripts, stylesheets and
//! images of HTML pages in it): for each page of the manifest
//! ([`StaticFiles::html_pages`]), and for `root_dir`'s `index.html` (not
//! collected: scanned here, its references under STATIC_URL followed
//! through the graph). The header values are built when the files are
//! loaded (at start and on `SIGHUP`), so a request only looks its path up.
//!
//! The header is capped at `[serve] link_max_bytes` (a proxy in front may
//! refuse large response heads: nginx's `proxy_buffer_size` is 4 KiB):
//! scripts, stylesheets and fonts first, nearest first, then images.
//!
//! The 103 is sent with h2's `SendResponse::send_informational` (h2 0.4.20);
//! hyper 1 has no server-side API for informational responses yet
//! (hyperium/hyper#4114), so HTTP/2 is served on h2 directly
//! ([`super::h2`]). HTTP/1.1 responses get the `Link` header only (browsers
//! act on 103 over HTTP/2 and later only).

use std::collections::HashMap;
use std::path::Path;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use rcollect_core::rewrite::{Target, resolve};
use rcollect_core::scan::{self, RefKind, Syntax};
use tower_rcollect::{Preload, PreloadKind, StaticFiles};

/// The `Link` value of each HTML page, by request path.
#[derive(Debug, Default)]
pub(crate) struct EarlyHints {
    links: HashMap<String, HeaderValue>,
}

impl EarlyHints {
    /// The links of `files`' HTML pages and of `root_dir/index.html`, each
    /// value at most `max_bytes` long (0: none at all).
    pub(crate) fn new(files: &StaticFiles, root_dir: Option<&Path>, max_bytes: usize) -> Self {
        let mut links = HashMap::new();
        if max_bytes == 0 {
            return EarlyHints { links };
        }
        for (path, logical) in files.html_pages() {
            let Ok(preloads) = files.preload(&logical) else {
                continue;
            };
            if let Some(v) = header_value(&preloads, max_bytes) {
                links.insert(path, v);
            }
        }
        if let Some(dir) = root_dir {
            let index = dir.join("index.html");
            match std::fs::read(&index) {
                Ok(page) => {
                    if let Some(v) = header_value(&root_page_preloads(files, &page), max_bytes) {
                        links.insert("/index.html".to_string(), v);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!("{}: {e}; no early hints for it", index.display()),
            }
        }
        EarlyHints { links }
    }

    /// How many pages have links.
    pub(crate) fn len(&self) -> usize {
        self.links.len()
    }

    /// The `Link` value for a request, if it is a `GET` of a page with links.
    pub(crate) fn for_request<B>(&self, req: &Request<B>) -> Option<&HeaderValue> {
        if req.method() != Method::GET || self.links.is_empty() {
            return None;
        }
        self.links.get(req.uri().path())
    }
}

/// Adds `link` to the final response of the page when it is an HTML page
/// answered 200 or 304 (not to a 404, a 405 or a range).
pub(crate) fn add_link<B>(res: &mut Response<B>, link: &HeaderValue) {
    if !matches!(res.status(), StatusCode::OK | StatusCode::NOT_MODIFIED) {
        return;
    }
    let html = res
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| ct.trim_start().starts_with("text/html"));
    if html {
        res.headers_mut().append(http::header::LINK, link.clone());
    }
}

/// Sends `103 Early Hints` with `link` on an HTTP/2 stream, before its
/// final response. A failure (the stream is gone) is left to the final
/// response to notice.
pub(crate) fn send_103(respond: &mut h2::server::SendResponse<Bytes>, link: &HeaderValue) {
    let mut hints = Response::new(());
    *hints.status_mut() = StatusCode::from_u16(103).unwrap_or(StatusCode::CONTINUE);
    hints.headers_mut().insert(http::header::LINK, link.clone());
    if let Err(e) = respond.send_informational(hints) {
        tracing::debug!("103 Early Hints not sent: {e}");
    }
}

/// The `Link` value of `preloads`, at most `max` bytes: scripts,
/// stylesheets and fonts first, then images, each group nearest first;
/// listed in the order of `preloads`. `None` when nothing fits.
fn header_value(preloads: &[Preload], max: usize) -> Option<HeaderValue> {
    let values: Vec<String> = preloads.iter().map(link_value).collect();
    let mut keep = vec![false; values.len()];
    let mut len = 0usize;
    for images in [false, true] {
        for ((p, v), k) in preloads.iter().zip(&values).zip(keep.iter_mut()) {
            if (p.kind == PreloadKind::Image) != images {
                continue;
            }
            let extra = if len == 0 { v.len() } else { v.len() + 2 };
            if len + extra <= max {
                len += extra;
                *k = true;
            }
        }
    }
    let kept: Vec<&str> = values
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(v, _)| v.as_str())
        .collect();
    if kept.is_empty() {
        return None;
    }
    HeaderValue::try_from(kept.join(", ")).ok()
}

/// One preload of a page: [`Preload::link_value`], except that a
/// stylesheet is preloaded without `crossorigin`. A page's `<link
/// rel=stylesheet>` (and a CSS `@import`) fetches it in no-cors mode unless
/// the page says `crossorigin`, and a preload made in the other mode is not
/// the one the page uses: Chromium 156 then asked for the stylesheet again
/// (from its cache with a trusted certificate; from the network again when
/// it does not cache, as with `--ignore-certificate-errors`). `preload()`
/// adds `crossorigin` because rcollect's template tags load stylesheets
/// with it (for SRI); hand-written pages do not.
fn link_value(p: &Preload) -> String {
    match p.kind {
        PreloadKind::Style => format!("<{}>; rel=preload; as=style", p.url),
        _ => p.link_value(),
    }
}

/// What `root_dir/index.html` (`page`) loads: each file under STATIC_URL
/// it names (at the URL it names it by), then what that file loads.
fn root_page_preloads(files: &StaticFiles, page: &[u8]) -> Vec<Preload> {
    let mount = files.mount_path();
    let mut out: Vec<Preload> = Vec::new();
    let mut later: Vec<Preload> = Vec::new();
    for r in scan::scan(Syntax::Html, page) {
        if r.kind != RefKind::HtmlLoad {
            continue;
        }
        let Some(text) = page
            .get(r.span.clone())
            .and_then(|t| std::str::from_utf8(t).ok())
        else {
            continue;
        };
        // The page is at `/`: a relative reference is relative to it.
        let absolute = if text.starts_with('/') {
            text.to_string()
        } else {
            format!("/{text}")
        };
        let Target::Local {
            logical, path_end, ..
        } = resolve(&absolute, RefKind::HtmlLoad, "", mount)
        else {
            continue;
        };
        let (Some(kind), Ok(integrity)) = (PreloadKind::of(&logical), files.integrity(&logical))
        else {
            continue;
        };
        out.push(Preload {
            url: absolute.get(..path_end).unwrap_or(&absolute).to_string(),
            kind,
            integrity,
        });
        later.extend(files.preload(&logical).unwrap_or_default());
    }
    for p in later {
        if !out.iter().any(|o| o.url == p.url) {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(url: &str, kind: PreloadKind) -> Preload {
        Preload {
            url: url.into(),
            kind,
            integrity: String::new(),
        }
    }

    #[test]
    fn the_cap_keeps_code_before_images_nearest_first() {
        let list = [
            p("/s/a.png", PreloadKind::Image),
            p("/s/a.js", PreloadKind::Module),
            p("/s/b.css", PreloadKind::Style),
            p("/s/c.js", PreloadKind::Module),
        ];
        let all = header_value(&list, 10_000).expect("value");
        assert_eq!(
            all.to_str().expect("ascii"),
            "</s/a.png>; rel=preload; as=image, </s/a.js>; rel=modulepreload; crossorigin, \
             </s/b.css>; rel=preload; as=style, </s/c.js>; rel=modulepreload; crossorigin"
        );
        // Room for two: the two nearest scripts/stylesheets, not the image.
        let two = link_value(&list[1]).len() + 2 + link_value(&list[2]).len();
        let capped = header_value(&list, two).expect("value");
        assert_eq!(
            capped.to_str().expect("ascii"),
            "</s/a.js>; rel=modulepreload; crossorigin, </s/b.css>; rel=preload; as=style"
        );
        assert!(capped.len() <= two);
        assert!(header_value(&list, 10).is_none());
    }
}
