//! Hostile requests against the real `rcollect serve` over a real socket:
//! traversal and malformed paths, and malformed or oversized headers. The
//! server must never answer 5xx, never serve a byte that is not a file the
//! manifest names, and keep answering (bounded work per request).

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::common as support;
use support::Server;

fn rcollect(cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rcollect"));
    c.current_dir(cwd)
        .env_remove("RCOLLECT_STATIC_ROOT")
        .env_remove("RCOLLECT_STATIC_URL");
    c
}

/// Collects a small project (with a secret file next to STATIC_ROOT) and serves it.
fn serve_collected(t: &Path) -> Server {
    let w = |p: &str, b: &[u8]| {
        let p = t.join(p);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, b).expect("write");
    };
    w("secret.txt", b"TOP SECRET");
    w(
        "assets/css/app.css",
        "body { background: url(../img/a.svg) }\n"
            .repeat(40)
            .as_bytes(),
    );
    w(
        "assets/img/a.svg",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    );
    w("assets/caf\u{e9}.txt", b"nfc");
    w("assets/docs/index.html", b"<h1>docs</h1>");
    let out = rcollect(t)
        .args([
            "collectstatic",
            "--root",
            "out",
            "--dir",
            "assets",
            "--no-cache",
            "-q",
        ])
        .output()
        .expect("collect");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    support::start(t, &["--root", "out"])
}

struct Reply {
    status: u16,
    body: Vec<u8>,
}

/// Sends raw request bytes and reads the response to EOF (Connection: close).
fn raw(addr: SocketAddr, request: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    s.write_all(request).expect("write");
    let mut buf = Vec::new();
    // The server may close early on a bad request; whatever arrived is the answer.
    let _ = s.read_to_end(&mut buf);
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(buf.len());
    let head = String::from_utf8_lossy(&buf[..split]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no status line in {head:?} for {:?}",
                String::from_utf8_lossy(&request[..request.len().min(200)])
            )
        });
    let body = buf.get(split + 4..).unwrap_or_default().to_vec();
    Reply { status, body }
}

fn get(addr: SocketAddr, target: &str, headers: &str) -> Reply {
    raw(
        addr,
        format!("GET {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{headers}\r\n")
            .as_bytes(),
    )
}

/// Every byte string the server may legitimately send as a 200 body: each
/// file the manifest names, and each of its variants.
fn legit_bodies(root: &Path) -> HashSet<Vec<u8>> {
    let m = rcollect_core::Manifest::load(root, rcollect_core::manifest::MAX_MANIFEST_BYTES)
        .expect("load")
        .expect("manifest");
    let mut set = HashSet::new();
    for (hashed, meta) in &m.files {
        set.insert(std::fs::read(root.join(hashed)).expect("file"));
        for enc in meta.variants.keys() {
            set.insert(
                std::fs::read(root.join(format!("{hashed}{}", enc.suffix()))).expect("variant"),
            );
        }
    }
    set
}

fn check(r: &Reply, what: &str, legit: &HashSet<Vec<u8>>) {
    assert!(r.status < 500, "{what}: got {}", r.status);
    if r.status == 200 {
        assert!(
            legit.contains(&r.body),
            "{what}: 200 with a body that is not a collected file"
        );
    }
    assert!(
        !r.body.windows(10).any(|w| w == b"TOP SECRET"),
        "{what}: leaked the secret"
    );
}

#[test]
fn traversal_and_malformed_paths_never_escape_the_manifest() {
    let t = tempfile::tempdir().expect("tempdir");
    let server = serve_collected(t.path());
    let legit = legit_bodies(&t.path().join("out"));
    let long = "a/".repeat(4000);
    let deep = "%2e%2e/".repeat(200);
    let probes: Vec<String> = vec![
        "/static/../secret.txt".into(),
        "/static/../../secret.txt".into(),
        "/static/..%2fsecret.txt".into(),
        "/static/%2e%2e/secret.txt".into(),
        "/static/%2E%2E/secret.txt".into(),
        "/static/%2e%2e%2fsecret.txt".into(),
        "/static/%252e%252e/secret.txt".into(),
        "/static/%252e%252e%252fsecret.txt".into(),
        "/static/..%5csecret.txt".into(),
        "/static/..\\secret.txt".into(),
        "/static/%5c..%5csecret.txt".into(),
        "/static/css/..%2f..%2fsecret.txt".into(),
        "/static/css/../../secret.txt".into(),
        "/static/./css/app.css".into(),
        "/static/css/./app.css".into(),
        "/static/css/../css/app.css".into(),
        "/static//css/app.css".into(),
        "//static/css/app.css".into(),
        "/static/css//app.css".into(),
        "/static/css/app.css%00".into(),
        "/static/css/app.css%00.png".into(),
        "/static/%00".into(),
        "/static/css/app.css%2500".into(),
        "/static/%c0%ae%c0%ae/secret.txt".into(),
        "/static/%c0%af".into(),
        "/static/%e0%80%ae%e0%80%ae/secret.txt".into(),
        "/static/%ff%fe".into(),
        "/static/%".into(),
        "/static/%zz".into(),
        "/static/%2".into(),
        "/static/caf%C3%A9.txt".into(),
        "/static/cafe%CC%81.txt".into(),
        "/static/CAF%C3%89.txt".into(),
        "/static/".into(),
        "/static".into(),
        "/static/docs".into(),
        "/static/docs/".into(),
        "/static/css/".into(),
        "/static/staticfiles.json".into(),
        "/static/.rcollect.lock".into(),
        "/static/.rcollect.stat".into(),
        "/STATIC/css/app.css".into(),
        "/static/css/APP.css".into(),
        format!("/static/{long}"),
        format!("/static/{deep}secret.txt"),
        "/static/css/app.css?../../secret.txt".into(),
        "/static/css/app.css;../../secret.txt".into(),
        "/static/css/app.css/".into(),
        "/static/css/app.css/..".into(),
        "/static/css/app.css.br".into(),
        "/static/css/app.css.gz".into(),
        "/static/\u{2025}/secret.txt".into(),
        "/static/%e2%80%a5/secret.txt".into(),
        "/static/%ef%bc%8e%ef%bc%8e/secret.txt".into(),
        "/static/~/secret.txt".into(),
        "http://t/static/../secret.txt".into(),
        "*".into(),
    ];
    assert!(probes.len() >= 50);
    for p in &probes {
        for ae in ["", "Accept-Encoding: br, gzip\r\n"] {
            check(&get(server.addr, p, ae), p, &legit);
        }
    }
    // The legitimate path still works after all that.
    let m = rcollect_core::Manifest::load(
        &t.path().join("out"),
        rcollect_core::manifest::MAX_MANIFEST_BYTES,
    )
    .expect("load")
    .expect("manifest");
    let ok = get(
        server.addr,
        &format!("/static/{}", m.paths["css/app.css"]),
        "",
    );
    assert_eq!(ok.status, 200);
    // Raw garbage on the wire: a 4xx or a closed connection, never a 5xx.
    for junk in [
        &b"GET /static/css/app.css HTTP/9.9\r\n\r\n"[..],
        b"\x00\x01\x02\r\n\r\n",
        b"GET  HTTP/1.1\r\nHost: t\r\n\r\n",
        b"GET /static/css/app.css HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n",
    ] {
        let mut s = TcpStream::connect(server.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        s.write_all(junk).expect("write");
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        let head = String::from_utf8_lossy(&buf);
        if let Some(code) = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse::<u16>().ok())
        {
            assert!(code < 500, "{head}");
        }
    }
}

#[test]
fn malformed_and_oversized_headers_are_harmless() {
    let t = tempfile::tempdir().expect("tempdir");
    let server = serve_collected(t.path());
    let root = t.path().join("out");
    let legit = legit_bodies(&root);
    let m = rcollect_core::Manifest::load(&root, rcollect_core::manifest::MAX_MANIFEST_BYTES)
        .expect("load")
        .expect("manifest");
    let css = format!("/static/{}", m.paths["css/app.css"]);
    let etags: String = (0..3000).map(|i| format!("\"{i:016x}-br\", ")).collect();
    let ranges: String = (0..3000).map(|i| format!("{i}-{i},")).collect();
    let cases: Vec<String> = vec![
        format!("If-None-Match: {etags}\"x\"\r\n"),
        format!("If-None-Match: {}\r\n", "W/".repeat(5000)),
        "If-None-Match: \"\r\n".into(),
        "If-None-Match: ,,,,,,\r\n".into(),
        format!("Range: bytes={ranges}0-1\r\n"),
        "Range: bytes=\r\n".into(),
        "Range: bytes=-\r\n".into(),
        "Range: bytes=5-1\r\n".into(),
        "Range: bytes=99999999999999999999999-\r\n".into(),
        "Range: bytes=-99999999999999999999999\r\n".into(),
        "Range: bytes=0-18446744073709551615\r\n".into(),
        "Range: items=0-1\r\n".into(),
        "Range: bytes=0-1\r\nIf-Range: garbage\r\n".into(),
        "Range: bytes=0-1\r\nIf-Range: Sun, 99 Foo 99999 99:99:99 GMT\r\n".into(),
        "If-Modified-Since: yesterday\r\n".into(),
        "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n".into(),
        "If-Modified-Since: Fri, 31 Dec 9999 23:59:59 GMT\r\n".into(),
        "If-Modified-Since: \r\n".into(),
        "Accept-Encoding: br;q=2, gzip;q=-1, *;q=nan\r\n".into(),
        "Accept-Encoding: br;q=0.0000001\r\n".into(),
        format!("Accept-Encoding: {}\r\n", "x;q=0.5, ".repeat(3000)),
        "Accept-Encoding: ;;;;,,,,===\r\n".into(),
        "Accept-Encoding: identity;q=0, *;q=0\r\n".into(),
        format!(
            "{}",
            (0..90)
                .map(|i| format!("X-Junk-{i}: {i}\r\n"))
                .collect::<String>()
        ),
    ];
    for (i, h) in cases.iter().enumerate() {
        let r = get(server.addr, &css, h);
        check(&r, &format!("header case {i}"), &legit);
        if r.status == 206 {
            let whole: Vec<&Vec<u8>> = legit
                .iter()
                .filter(|b| b.windows(r.body.len().max(1)).any(|w| w == &r.body[..]))
                .collect();
            assert!(
                !whole.is_empty(),
                "header case {i}: 206 body not part of a collected file"
            );
        }
    }
    // Still healthy.
    assert_eq!(get(server.addr, &css, "").status, 200);
}

#[test]
fn host_header_rules_and_the_header_size_cap() {
    let t = tempfile::tempdir().expect("tempdir");
    let server = serve_collected(t.path());
    let m = rcollect_core::Manifest::load(
        &t.path().join("out"),
        rcollect_core::manifest::MAX_MANIFEST_BYTES,
    )
    .expect("load")
    .expect("manifest");
    let css = format!("/static/{}", m.paths["css/app.css"]);
    let send = |head: String| raw(server.addr, head.as_bytes()).status;
    // RFC 9112 §3.2: HTTP/1.1 needs exactly one Host.
    assert_eq!(
        send(format!("GET {css} HTTP/1.1\r\nConnection: close\r\n\r\n")),
        400
    );
    assert_eq!(
        send(format!(
            "GET {css} HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n"
        )),
        400
    );
    assert_eq!(
        send(format!(
            "GET {css} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        )),
        200
    );
    assert_eq!(send(format!("GET {css} HTTP/1.0\r\n\r\n")), 200);
    // A request head over 32 KiB: 431, and the server keeps answering.
    let big = format!("X-Big: {}\r\n", "a".repeat(40 * 1024));
    assert_eq!(get(server.addr, &css, &big).status, 431);
    let fits = format!("X-Fits: {}\r\n", "a".repeat(16 * 1024));
    assert_eq!(get(server.addr, &css, &fits).status, 200);
}
