//! The serving floor for benchmarks: a bare hyper 1 server that answers from a
//! table of prepared responses in memory, with no negotiation, no tower and no
//! checks. It loads `STATIC_ROOT/staticfiles.json`, keeps each hashed file's
//! `.br` variant (or the file) as `Bytes`, and answers
//! * 304 when `If-None-Match` equals the prepared ETag,
//! * 200 with the prepared bytes and headers otherwise,
//! * 404 for anything else.
//!
//! The 200 and 304 responses carry the same header set as `rcollect serve`'s,
//! so both send the same bytes.
//!
//! It assumes the client accepts br, which is what the benchmark sends. It is a
//! floor for what the middleware costs, not a server anyone should deploy.
//!
//! ```text
//! cargo run --release -p tower-rcollect --example hyper_floor -- --root DIR --addr 127.0.0.1:8090
//! ```

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rcollect_core::manifest::{Encoding, Manifest};

struct Entry {
    body: Bytes,
    last_modified: HeaderValue,
    etag: HeaderValue,
    content_type: HeaderValue,
    encoding: Option<HeaderValue>,
}

fn arg(name: &str) -> Option<String> {
    let mut it = std::env::args();
    while let Some(a) = it.next() {
        if a == name {
            return it.next();
        }
    }
    None
}

fn load(
    root: &std::path::Path,
    prefix: &str,
) -> Result<HashMap<String, Entry>, Box<dyn std::error::Error>> {
    let manifest = Manifest::load(root, rcollect_core::manifest::MAX_MANIFEST_BYTES)?
        .ok_or("no staticfiles.json")?;
    let mut table = HashMap::new();
    for (hashed, meta) in &manifest.files {
        let file = root.join(hashed);
        let (bytes, encoding) = if meta.variants.contains_key(&Encoding::Br) {
            let mut p = file.into_os_string();
            p.push(".br");
            (std::fs::read(p)?, Some(HeaderValue::from_static("br")))
        } else {
            (std::fs::read(&file)?, None)
        };
        let tag = if encoding.is_some() { "-br" } else { "" };
        table.insert(
            format!("{prefix}{hashed}"),
            Entry {
                body: Bytes::from(bytes),
                last_modified: HeaderValue::from_str(&httpdate::fmt_http_date(
                    std::time::UNIX_EPOCH + std::time::Duration::from_secs(meta.modified),
                ))?,
                etag: HeaderValue::from_str(&format!("\"{}{tag}\"", &meta.sha256[..16]))?,
                content_type: HeaderValue::from_str(&meta.content_type)?,
                encoding,
            },
        );
    }
    Ok(table)
}

fn respond(table: &HashMap<String, Entry>, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let Some(e) = table.get(req.uri().path()) else {
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = StatusCode::NOT_FOUND;
        return r;
    };
    let not_modified = req.headers().get(header::IF_NONE_MATCH) == Some(&e.etag);
    let mut r = if not_modified {
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        Response::new(Full::new(e.body.clone()))
    };
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, e.content_type.clone());
    h.insert(header::ETAG, e.etag.clone());
    h.insert(header::LAST_MODIFIED, e.last_modified.clone());
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Some(enc) = &e.encoding {
        h.insert(header::CONTENT_ENCODING, enc.clone());
    }
    r
}

/// `--workers N` sets the runtime's worker threads, as for `rcollect serve`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = arg("--workers") {
        runtime.worker_threads(n.parse::<usize>()?.max(1));
    }
    runtime.enable_all().build()?.block_on(serve())
}

async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::PathBuf::from(arg("--root").ok_or("--root DIR is required")?);
    let addr = arg("--addr").unwrap_or_else(|| "127.0.0.1:8090".into());
    let prefix = arg("--prefix").unwrap_or_else(|| "/static/".into());
    let table = Arc::new(load(&root, &prefix)?);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!(
        "hyper floor: {} files at http://{}{prefix}",
        table.len(),
        listener.local_addr()?
    );
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let table = table.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req: Request<Incoming>| {
                let r = respond(&table, &req);
                async move { Ok::<_, Infallible>(r) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}
