//! End-to-end: the real `rcollect serve` binary on a hand-built STATIC_ROOT,
//! spoken to over a raw socket.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use rcollect_core::{Encoding, FileMeta, Manifest};

use crate::common as support;
use support::{sha256_hex, start};

const CSS: &[u8] = b"body { color: red } /* some padding to make brotli worth it */\n";
const HASHED: &str = "css/app.0123456789ab.css";

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        w.write_all(data).expect("brotli");
    }
    out
}

fn static_root(root: &Path) {
    std::fs::create_dir_all(root.join("css")).expect("mkdir");
    std::fs::write(root.join(HASHED), CSS).expect("write");
    std::fs::write(root.join("css/app.css"), CSS).expect("write");
    let br = brotli(CSS);
    std::fs::write(root.join(format!("{HASHED}.br")), &br).expect("write");
    let mut m = Manifest::new();
    m.keep_unhashed = true;
    m.paths.insert("css/app.css".into(), HASHED.into());
    m.files.insert(
        HASHED.into(),
        FileMeta {
            size: CSS.len() as u64,
            content_type: "text/css; charset=utf-8".into(),
            sha256: sha256_hex(CSS),
            integrity: "sha384-x".into(),
            modified: 1_700_000_000,
            variants: BTreeMap::from([(Encoding::Br, br.len() as u64)]),
            deltas: Default::default(),
            hashed_by: None,
        },
    );
    m.update_hash();
    m.write_atomic(root).expect("manifest");
}

fn send(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> support::Reply {
    let lines: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    support::http(addr, method, path, &lines)
}

#[test]
fn serve_answers_over_a_socket() {
    let t = tempfile::tempdir().expect("tempdir");
    static_root(&t.path().join("root"));
    let server = start(t.path(), &["--root", "root"]);
    let url = format!("/static/{HASHED}");

    let r = send(server.addr, "GET", &url, &[("Accept-Encoding", "gzip, br")]);
    assert_eq!(r.status, 200, "{}", r.head);
    assert_eq!(r.body, brotli(CSS));
    assert_eq!(r.header("content-encoding").as_deref(), Some("br"));
    assert_eq!(
        r.header("cache-control").as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(r.header("vary").as_deref(), Some("Accept-Encoding"));
    let etag = r.header("etag").expect("etag");
    assert_eq!(etag, format!("\"{}-br\"", &sha256_hex(CSS)[..16]));

    let r = send(
        server.addr,
        "GET",
        &url,
        &[("Accept-Encoding", "br"), ("If-None-Match", &etag)],
    );
    assert_eq!(r.status, 304);
    assert_eq!(r.header("vary").as_deref(), Some("Accept-Encoding"));
    assert_eq!(r.header("etag"), Some(etag));

    let r = send(server.addr, "GET", "/static/css/app.css", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, CSS);
    assert_eq!(
        r.header("cache-control").as_deref(),
        Some("public, max-age=60")
    );

    let r = send(server.addr, "GET", &url, &[("Range", "bytes=0-3")]);
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &CSS[..4]);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 0-3/{}", CSS.len()))
    );

    let r = send(server.addr, "HEAD", &url, &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some(CSS.len().to_string()));
    assert!(r.body.is_empty());

    let r = send(server.addr, "POST", &url, &[("Content-Length", "0")]);
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow").as_deref(), Some("GET, HEAD"));

    for p in [
        "/static/nope.css",
        "/static/staticfiles.json",
        "/static/../root/css/app.css",
        "/static/%2e%2e/root/css/app.css",
        "/",
    ] {
        assert_eq!(send(server.addr, "GET", p, &[]).status, 404, "{p}");
    }
}

#[test]
fn serve_workers_flag_sets_the_threads_and_rejects_zero() {
    let t = tempfile::tempdir().expect("tempdir");
    static_root(&t.path().join("root"));
    let url = format!("/static/{HASHED}");
    for n in ["1", "3"] {
        let server = start(t.path(), &["--root", "root", "--workers", n]);
        #[cfg(target_os = "linux")]
        {
            // tokio's runtime threads are named `tokio-rt-worker`; its
            // blocking-pool threads are only started on demand.
            // A new thread names itself once it runs, which on a loaded
            // machine can be after the server already answers: wait a little.
            let tasks = format!("/proc/{}/task", server.child.id());
            let count = || {
                std::fs::read_dir(&tasks)
                    .expect("task dir")
                    .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("comm")).ok())
                    .filter(|c| c.trim() == "tokio-rt-worker")
                    .count()
            };
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            let mut workers = count();
            while workers.to_string() != n && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(20));
                workers = count();
            }
            assert_eq!(workers.to_string(), n, "runtime worker threads");
        }
        // Several clients at once, two requests each.
        let handles: Vec<_> = (0..6)
            .map(|_| {
                let (addr, url) = (server.addr, url.clone());
                std::thread::spawn(move || {
                    (0..2)
                        .map(|_| send(addr, "GET", &url, &[]).body)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            for body in h.join().expect("client thread") {
                assert_eq!(body, CSS, "--workers {n}");
            }
        }
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rcollect"))
        .args(["serve", "--root", "root", "--workers", "0"])
        .current_dir(t.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--workers"));
}

#[cfg(unix)]
#[test]
fn serve_stops_cleanly_on_sigterm() {
    let t = tempfile::tempdir().expect("tempdir");
    static_root(&t.path().join("root"));
    let mut server = start(t.path(), &["--root", "root"]);
    assert_eq!(
        send(server.addr, "GET", "/static/css/app.css", &[]).status,
        200
    );
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(code) = server.child.try_wait().expect("wait") {
            assert!(code.success(), "{code:?}");
            break;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serve_dev_mode_serves_sources_without_collect() {
    let t = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(t.path().join("assets/js")).expect("mkdir");
    std::fs::write(t.path().join("assets/js/app.js"), b"v1").expect("write");
    let server = start(t.path(), &["--dev", "--root", "out", "--dir", "assets"]);
    let r = send(server.addr, "GET", "/static/js/app.js", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"v1");
    assert_eq!(r.header("cache-control").as_deref(), Some("no-cache"));
    std::fs::write(t.path().join("assets/js/app.js"), b"v2!").expect("write");
    assert_eq!(
        send(server.addr, "GET", "/static/js/app.js", &[]).body,
        b"v2!"
    );
    assert_eq!(
        send(server.addr, "GET", "/static/js/nope.js", &[]).status,
        404
    );
}

#[test]
fn serve_without_manifest_fails_with_a_clear_message() {
    let t = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(t.path().join("root")).expect("mkdir");
    let out = Command::new(env!("CARGO_BIN_EXE_rcollect"))
        .args(["serve", "--addr", "127.0.0.1:0", "--root", "root"])
        .current_dir(t.path())
        .env_remove("RCOLLECT_STATIC_ROOT")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("staticfiles.json"), "{err}");
}

/// Issue: a rolling deploy. A new version is collected into the same
/// STATIC_ROOT while a server runs and a client fetches: the running server
/// keeps answering the old URLs, and a server started on the new version
/// still answers the previous version's hashed URLs (from the manifest
/// history) until `rcollect clean` drops that version.
#[test]
fn rolling_deploy_keeps_old_hashed_urls_working() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    let write_version = |v: &str| {
        std::fs::create_dir_all(d.join("assets/css")).expect("mkdir");
        let css = format!(
            ".{v} {{ background: url(../img/a.svg) }}\n{}",
            "p{margin:0}\n".repeat(50)
        );
        std::fs::write(d.join("assets/css/app.css"), css).expect("write");
        std::fs::create_dir_all(d.join("assets/img")).expect("mkdir");
        std::fs::write(
            d.join("assets/img/a.svg"),
            format!("<svg><!-- {v} --></svg>"),
        )
        .expect("write");
    };
    let collect = || {
        let out = Command::new(env!("CARGO_BIN_EXE_rcollect"))
            .current_dir(d)
            .args([
                "collectstatic",
                "--no-input",
                "-q",
                "--no-cache",
                "--root",
                "out",
                "--dir",
                "assets",
            ])
            .output()
            .expect("collect");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let m = Manifest::load(&d.join("out"), rcollect_core::manifest::MAX_MANIFEST_BYTES)
            .expect("manifest")
            .expect("some");
        (m.paths["css/app.css"].clone(), m.paths["img/a.svg"].clone())
    };
    write_version("v1");
    let (css1, svg1) = collect();
    let old = start(d, &["--root", "out"]);

    // A client hammers the old URLs while version 2 is collected.
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, bad) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let client = {
        let (stop, ok, bad, addr) = (stop.clone(), ok.clone(), bad.clone(), old.addr);
        let urls = [
            format!("/static/{css1}"),
            format!("/static/{svg1}"),
            "/static/css/app.css".to_string(),
        ];
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                for u in &urls {
                    let r = send(addr, "GET", u, &[("Accept-Encoding", "br, gzip")]);
                    let counter = if r.status == 200 { &ok } else { &bad };
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    write_version("v2");
    let (css2, svg2) = collect();
    std::thread::sleep(Duration::from_millis(100));
    stop.store(true, Ordering::Relaxed);
    client.join().expect("client");
    assert_ne!(css1, css2);
    assert_eq!(
        bad.load(Ordering::Relaxed),
        0,
        "the running server failed old URLs"
    );
    assert!(ok.load(Ordering::Relaxed) > 10);
    // The running server still answers the unhashed name with the version
    // it loaded (consistent body and headers), not a mix.
    let r = send(old.addr, "GET", "/static/css/app.css", &[]);
    assert!(String::from_utf8_lossy(&r.body).starts_with(".v1 "));

    // A new instance serves version 2, and version 1's hashed names too.
    let new = start(d, &["--root", "out"]);
    for (u, want) in [(&css2, ".v2"), (&css1, ".v1")] {
        let r = send(new.addr, "GET", &format!("/static/{u}"), &[]);
        assert_eq!(r.status, 200, "{u}");
        assert!(String::from_utf8_lossy(&r.body).starts_with(want));
        assert_eq!(
            r.header("cache-control").as_deref(),
            Some("public, max-age=31536000, immutable")
        );
    }
    assert_eq!(
        send(new.addr, "GET", &format!("/static/{svg1}"), &[]).status,
        200
    );
    assert_eq!(
        send(new.addr, "GET", &format!("/static/{svg2}"), &[]).status,
        200
    );
    let r = send(new.addr, "GET", "/static/css/app.css", &[]);
    assert!(String::from_utf8_lossy(&r.body).starts_with(".v2 "));

    // After `clean --keep 1`, version 1 is gone for new instances.
    let out = Command::new(env!("CARGO_BIN_EXE_rcollect"))
        .current_dir(d)
        .args(["clean", "--root", "out", "--keep", "1"])
        .output()
        .expect("clean");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cleaned = start(d, &["--root", "out"]);
    assert_eq!(
        send(cleaned.addr, "GET", &format!("/static/{css1}"), &[]).status,
        404
    );
    assert_eq!(
        send(cleaned.addr, "GET", &format!("/static/{css2}"), &[]).status,
        200
    );
}

#[test]
fn private_source_maps_go_only_to_requests_with_the_token_from_the_environment() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    support::write(
        &d.join("rcollect.toml"),
        "static_root = \"out\"\ndirs = [\"assets\"]\n\n[sourcemaps]\nmode = \"private\"\n",
    );
    support::write(
        &d.join("assets/js/app.js"),
        "f();\n//# sourceMappingURL=app.js.map\n",
    );
    let map = "{\"version\":3,\"sources\":[\"app.ts\"],\"mappings\":\"AAAA\"}";
    support::write(&d.join("assets/js/app.js.map"), map);
    let out = support::run(d, &["collectstatic", "--no-input", "-q", "--no-cache"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("out/staticfiles.json")).expect("manifest"))
            .expect("json");
    assert_eq!(manifest["sourcemaps"], "private");
    let js = manifest["paths"]["js/app.js"].as_str().expect("js");
    let hashed = manifest["paths"]["js/app.js.map"].as_str().expect("map");

    // `rcollect check` warns about the missing token (W008), not once set.
    let check = |token: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rcollect"));
        c.arg("check")
            .current_dir(d)
            .env_remove("RCOLLECT_SOURCEMAP_TOKEN");
        if let Some(t) = token {
            c.env("RCOLLECT_SOURCEMAP_TOKEN", t);
        }
        String::from_utf8_lossy(&c.output().expect("check").stdout).into_owned()
    };
    assert!(check(None).contains("W008"), "{}", check(None));
    assert!(!check(Some("x")).contains("W008"));

    let token = "e2e-t0ken-7f3a";
    let server = support::start_with_env(d, &[("RCOLLECT_SOURCEMAP_TOKEN", token)], &[]);
    // The script keeps its link (private, not hidden).
    let r = send(server.addr, "GET", &format!("/static/{js}"), &[]);
    assert_eq!(r.status, 200);
    let name = support::basename(hashed);
    assert!(
        String::from_utf8_lossy(&r.body).contains(&format!("//# sourceMappingURL={name}")),
        "{:?}",
        String::from_utf8_lossy(&r.body)
    );
    let cookie = format!("theme=dark; rcollect_sourcemap_token={token}");
    for path in [
        format!("/static/{hashed}"),
        "/static/js/app.js.map".to_string(),
    ] {
        for headers in [
            &[][..],
            &[("SourceMap-Token", "wrong")],
            &[("Cookie", "rcollect_sourcemap_token=wrong")],
        ] {
            let r = send(server.addr, "GET", &path, headers);
            assert_eq!(r.status, 404, "{path} {headers:?}");
            assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
            assert!(r.body.is_empty());
        }
        for headers in [
            &[("SourceMap-Token", token)][..],
            &[("Cookie", cookie.as_str())],
        ] {
            let r = send(server.addr, "GET", &path, headers);
            assert_eq!(r.status, 200, "{path} {headers:?}");
            assert_eq!(
                r.header("cache-control").as_deref(),
                Some("private, no-store"),
                "{path}"
            );
            assert_eq!(r.body, map.as_bytes(), "{path}");
        }
    }
    drop(server);

    // Without the variable the token is unknown: refused to everyone.
    let server = support::start(d, &[]);
    let r = send(
        server.addr,
        "GET",
        &format!("/static/{hashed}"),
        &[("SourceMap-Token", token)],
    );
    assert_eq!(r.status, 404);
}
