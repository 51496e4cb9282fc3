//! Dev mode: serve the source dirs directly, the way `runserver` does.
//!
//! The request path is cleaned by [`crate::path`] and then resolved by
//! [`rcollect_core::find::locate`], which refuses `..`, empty segments,
//! backslashes and NUL again before touching the filesystem. Every request
//! stats the file (so edits show up without a restart); the ETag comes from
//! the modification time and size; `Cache-Control: no-cache` makes browsers
//! revalidate every time. The file is read whole per request (source files
//! are small, and this is not the production path). No precompressed
//! variants are used.

use std::path::PathBuf;
use std::time::UNIX_EPOCH;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};
use rcollect_core::Config;
use rcollect_core::find::locate;

use crate::assets::Settings;
use crate::body::StaticBody;
use crate::conditional::{format_date, unix_secs};
use crate::negotiate::{Available, negotiate};
use crate::respond::{self, Plan, View};
use crate::service::Action;

/// Answers a dev-mode request for `rel`, or `None` when no source dir has it.
pub(crate) fn handle(
    config: &Config,
    settings: &Settings,
    rel: &str,
    method: &Method,
    headers: &HeaderMap,
    path: &str,
    query: Option<&str>,
) -> Option<Action> {
    let (logical, file) = if rel.is_empty() || rel.ends_with('/') {
        if !settings.index {
            return None;
        }
        let logical = format!("{rel}index.html");
        let file = locate(config, &logical)?;
        (logical, file)
    } else {
        match locate(config, rel) {
            Some(file) => (rel.to_string(), file),
            None => {
                if settings.index && locate(config, &format!("{rel}/index.html")).is_some() {
                    return Some(Action::Ready(respond::add_slash(path, query)));
                }
                return None;
            }
        }
    };
    if method != Method::GET && method != Method::HEAD {
        return Some(Action::Ready(respond::method_not_allowed()));
    }
    let md = std::fs::metadata(&file).ok()?;
    let len = md.len();
    let mtime = md.modified().unwrap_or(UNIX_EPOCH);
    let nanos = mtime
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let modified = unix_secs(mtime);
    if negotiate(headers, Available::default()).is_err() {
        return Some(Action::Ready(respond::not_acceptable(false)));
    }
    let etag = HeaderValue::try_from(format!("\"dev-{modified:x}.{nanos:x}-{len:x}\"")).ok()?;
    let default_type =
        HeaderValue::try_from(rcollect_core::content_type::content_type(&logical)).ok()?;
    let last_modified = HeaderValue::try_from(format_date(modified)).ok()?;
    let content_length = HeaderValue::from(len);
    let cache_control = HeaderValue::from_static("no-cache");
    let extra = settings.extra_headers(&logical);
    let view = View {
        content_type: settings.content_type(&logical, &default_type),
        cache_control: &cache_control,
        last_modified: &last_modified,
        modified,
        etag: &etag,
        len,
        content_length: &content_length,
        encoding: None,
        vary: false,
        extra: &extra,
    };
    let plan = respond::plan(headers, &view);
    let res = respond::head(&view, plan);
    match plan {
        Plan::Send(range) if method == Method::GET && len > 0 => {
            let (start, end) = range.unwrap_or((0, len - 1));
            Some(Action::Load {
                head: res,
                body: Box::pin(read_range(file, len, start, end)),
            })
        }
        _ => Some(Action::Ready(res)),
    }
}

async fn read_range(file: PathBuf, len: u64, start: u64, end: u64) -> std::io::Result<StaticBody> {
    let bytes = tokio::fs::read(&file)
        .await
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", file.display())))?;
    if bytes.len() as u64 != len {
        return Err(std::io::Error::other(format!(
            "{}: changed while being served",
            file.display()
        )));
    }
    let (start, end) = (start as usize, end as usize);
    let bytes = Bytes::from(bytes);
    match bytes.get(start..=end) {
        Some(_) => Ok(StaticBody::full(bytes.slice(start..=end))),
        None => Err(std::io::Error::other("range outside the file")),
    }
}
