//! Shared fixtures: a STATIC_ROOT built by hand, and a hyper server on a
//! real socket wrapping an inner service that answers 418 "inner".
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use rcollect_core::{Encoding, FileMeta, Manifest};
use sha2::{Digest, Sha256, Sha384};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::{Layer, ServiceExt};
use tower_rcollect::StaticFiles;

pub const CSS: &[u8] =
    b"body { color: red; background: url(img.png) } /* padding padding padding */\n";
pub const MODIFIED: u64 = 1_700_000_000;

pub fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        w.write_all(data).expect("brotli");
    }
    out
}

pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn integrity(data: &[u8]) -> String {
    use base64::Engine;
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(data))
    )
}

fn write(root: &Path, rel: &str, data: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, data).expect("write");
}

/// Adds a file under its hashed name (and, with `unhashed`, its logical
/// name) with optional br and (fake) gzip variants.
pub fn add(
    root: &Path,
    m: &mut Manifest,
    logical: &str,
    hashed: &str,
    data: &[u8],
    variants: &[Encoding],
    unhashed: bool,
) {
    write(root, hashed, data);
    if unhashed {
        write(root, logical, data);
    }
    let mut vs = BTreeMap::new();
    for e in variants {
        let bytes = match e {
            Encoding::Br => brotli(data),
            _ => format!("{}-{}", e.token(), String::from_utf8_lossy(data)).into_bytes(),
        };
        write(root, &format!("{hashed}{}", e.suffix()), &bytes);
        vs.insert(*e, bytes.len() as u64);
    }
    m.paths.insert(logical.into(), hashed.into());
    m.files.insert(
        hashed.into(),
        FileMeta {
            size: data.len() as u64,
            content_type: rcollect_core::content_type::content_type(logical),
            sha256: sha256_hex(data),
            integrity: integrity(data),
            modified: MODIFIED,
            variants: vs,
            deltas: Default::default(),
            hashed_by: None,
        },
    );
}

pub fn big() -> Vec<u8> {
    (0..300_000u32).map(|i| (i % 251) as u8).collect()
}

/// A STATIC_ROOT with: css/app.css (br + gzip), js/big.js (300 KB, br),
/// img/logo.png (no variants), docs/index.html, fonts/f.woff2, empty.txt,
/// plus a secret file next to the root that is not in the manifest.
pub fn fixture() -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("tempdir");
    let root = t.path().join("root");
    let mut m = Manifest::new();
    m.keep_unhashed = true;
    add(
        &root,
        &mut m,
        "css/app.css",
        "css/app.0123456789ab.css",
        CSS,
        &[Encoding::Br, Encoding::Gzip],
        true,
    );
    add(
        &root,
        &mut m,
        "js/big.js",
        "js/big.aaaaaaaaaaaa.js",
        &big(),
        &[Encoding::Br],
        true,
    );
    add(
        &root,
        &mut m,
        "img/logo.png",
        "img/logo.bbbbbbbbbbbb.png",
        b"\x89PNG fake",
        &[],
        true,
    );
    add(
        &root,
        &mut m,
        "docs/index.html",
        "docs/index.cccccccccccc.html",
        b"<h1>docs</h1>",
        &[],
        true,
    );
    add(
        &root,
        &mut m,
        "fonts/f.woff2",
        "fonts/f.dddddddddddd.woff2",
        b"wOF2",
        &[],
        true,
    );
    add(
        &root,
        &mut m,
        "empty.txt",
        "empty.eeeeeeeeeeee.txt",
        b"",
        &[],
        true,
    );
    write(&root, "secret.txt", b"not in the manifest");
    write(t.path(), "outside.txt", b"outside the root");
    m.update_hash();
    m.write_atomic(&root).expect("manifest");
    t
}

/// A collect configuration: `src` collected into `dir/root`, served at
/// `/static/`, no compression cache.
pub fn collect_config(dir: &Path, src: std::path::PathBuf) -> rcollect_core::Config {
    let mut config = rcollect_core::Config::new(dir.join("root"), "/static/");
    config.cache_dir = None;
    config.dirs.push(rcollect_core::config::SourceDir {
        prefix: String::new(),
        path: src,
    });
    config
}

pub fn root(t: &tempfile::TempDir) -> std::path::PathBuf {
    t.path().join("root")
}

pub fn etag16() -> String {
    sha256_hex(CSS)[..16].to_string()
}

/// Serves an axum `app` on 127.0.0.1:0; abort the handle to stop it.
pub async fn serve_app(app: axum::Router) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, server)
}

/// Serves `files` around a 418 "inner" service on 127.0.0.1:0.
pub async fn serve(files: StaticFiles) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let inner = tower::service_fn(|_req: Request<Incoming>| async {
        let mut res = Response::new(Full::new(Bytes::from_static(b"inner")));
        *res.status_mut() = http::StatusCode::IM_A_TEAPOT;
        Ok::<_, Infallible>(res)
    });
    let svc = files.layer(inner);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let _ = stream.set_nodelay(true);
            let svc = svc.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| svc.clone().oneshot(req));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.header(name).is_some()
    }
}

/// Sends `METHOD path` with extra header lines over a fresh connection.
pub async fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Raw {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    parse(&buf)
}

pub async fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Raw {
    request(addr, "GET", path, headers).await
}

pub fn parse(buf: &[u8]) -> Raw {
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Raw {
        status,
        headers,
        body: buf[end + 4..].to_vec(),
    }
}
