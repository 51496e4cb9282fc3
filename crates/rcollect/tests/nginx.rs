//! `rcollect nginx-conf` against a real nginx: the printed `location` block
//! is dropped into a server on 127.0.0.1, which then serves the collected
//! files with their precompressed variants and the right caching.
//!
//! Needs `nginx` on PATH, so it is `#[ignore]`d: a plain `cargo test`
//! reports it as ignored; `.ci/run` installs nginx and runs it with
//! `--ignored`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common as support;
use support::run;

/// The nginx master. Dropping it stops nginx the way nginx wants to be
/// stopped (a master killed with SIGKILL leaves its workers running):
/// SIGQUIT, wait for the master, then make sure no worker is left.
struct Nginx(Child);

impl Nginx {
    /// The PIDs whose parent is the master (its workers).
    fn workers(&self) -> Vec<u32> {
        let master = self.0.id();
        let mut out = Vec::new();
        for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                continue;
            };
            // pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if ppid == Some(master) {
                out.push(pid);
            }
        }
        out
    }

    /// Graceful stop; returns the workers that are still alive afterwards.
    fn stop(&mut self) -> Vec<u32> {
        let workers = self.workers();
        let _ = Command::new("kill")
            .args(["-QUIT", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Last resort: never leave anything behind.
        let _ = self.0.kill();
        let _ = self.0.wait();
        let alive: Vec<u32> = workers
            .into_iter()
            .filter(|w| Path::new(&format!("/proc/{w}")).exists())
            .collect();
        for w in &alive {
            let _ = Command::new("kill")
                .args(["-KILL", &w.to_string()])
                .status();
        }
        alive
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One HTTP/1.1 request; returns (status, lowercase headers, body).
fn get(port: u16, path: &str, accept_encoding: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: {accept_encoding}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, raw[split + 4..].to_vec())
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Starts nginx on a free port with `block` in its server, its files
/// under `d/nginx`; returns it (stopped on drop) and the port.
fn start_nginx(d: &Path, block: &str) -> (Nginx, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let modules = if Path::new("/etc/nginx/modules-enabled").is_dir() {
        "include /etc/nginx/modules-enabled/*.conf;"
    } else {
        ""
    };
    let mime = ["/etc/nginx/mime.types", "/usr/local/nginx/conf/mime.types"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .map(|p| format!("include {p};"))
        .unwrap_or_default();
    let tmp = d.join("nginx");
    std::fs::create_dir_all(&tmp).expect("mkdir");
    let t_ = tmp.display();
    let conf = format!(
        "{modules}\nuser root;\nworker_processes 1;\ndaemon off;\npid {t_}/nginx.pid;\nerror_log {t_}/error.log;\nevents {{}}\nhttp {{\n{mime}\naccess_log off;\nclient_body_temp_path {t_}/body;\nproxy_temp_path {t_}/proxy;\nfastcgi_temp_path {t_}/fastcgi;\nuwsgi_temp_path {t_}/uwsgi;\nscgi_temp_path {t_}/scgi;\nserver {{\nlisten 127.0.0.1:{port};\n{block}\n}}\n}}\n"
    );
    let conf_path = tmp.join("nginx.conf");
    std::fs::write(&conf_path, conf).expect("write conf");
    let check = Command::new("nginx")
        .args(["-t", "-c"])
        .arg(&conf_path)
        .output()
        .expect("nginx -t");
    assert!(
        check.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let nginx = Nginx(
        Command::new("nginx")
            .arg("-c")
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx"),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nginx did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    (nginx, port)
}

#[test]
#[ignore = "needs nginx on PATH; run with --ignored (.ci/run installs nginx and does)"]
fn nginx_serves_the_collected_files_with_the_generated_block() {
    assert!(
        Command::new("nginx").arg("-v").output().is_ok(),
        "nginx is not on PATH (apt-get install nginx libnginx-mod-http-brotli-static)"
    );
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    let src = d.join("assets");
    std::fs::create_dir_all(src.join("css")).expect("mkdir");
    let css = format!(
        ".a {{ color: red; }}\n{}",
        "p { margin: 0 auto; }\n".repeat(200)
    );
    std::fs::write(src.join("css/app.css"), &css).expect("write");
    let root = d.join("public");
    let out = run(
        d,
        &[
            "collectstatic",
            "--no-input",
            "-q",
            "--no-cache",
            "--root",
            "public",
            "--dir",
            "assets",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(d, &["nginx-conf", "--root", "public", "--url", "/static/"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let block = String::from_utf8(out.stdout).expect("utf8");
    let brotli = block.contains("\n    brotli_static on;");

    let (mut nginx, port) = start_nginx(d, &block);

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("staticfiles.json")).expect("manifest"))
            .expect("json");
    let hashed = manifest["paths"]["css/app.css"].as_str().expect("hashed");

    // Hashed name: immutable, precompressed (brotli when the module is there).
    let (status, h, body) = get(port, &format!("/static/{hashed}"), "br, gzip");
    assert_eq!(status, 200);
    assert_eq!(
        header(&h, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let (enc, file) = if brotli { ("br", "br") } else { ("gzip", "gz") };
    assert_eq!(header(&h, "content-encoding"), Some(enc));
    assert_eq!(header(&h, "vary"), Some("Accept-Encoding"));
    assert_eq!(
        body,
        std::fs::read(root.join(format!("{hashed}.{file}"))).expect("variant")
    );
    assert!(header(&h, "content-type").is_some_and(|t| t.starts_with("text/css")));

    // gzip only; identity.
    let (_, h, _) = get(port, &format!("/static/{hashed}"), "gzip");
    assert_eq!(header(&h, "content-encoding"), Some("gzip"));
    let (_, h, body) = get(port, &format!("/static/{hashed}"), "identity");
    assert_eq!(header(&h, "content-encoding"), None);
    assert_eq!(body, css.as_bytes());

    // Unhashed name: short caching.
    let (status, h, _) = get(port, "/static/css/app.css", "identity");
    assert_eq!(status, 200);
    assert_eq!(header(&h, "cache-control"), Some("public, max-age=60"));

    // Not assets: the manifest, the lock file, the stat cache, a missing name.
    for path in [
        "/static/staticfiles.json",
        "/static/.rcollect.lock",
        "/static/.rcollect.stat",
        "/static/nope.css",
    ] {
        let (status, _, _) = get(port, path, "identity");
        assert_eq!(status, 404, "{path}");
    }

    // nginx stops with its workers: nothing is left running.
    assert!(
        !nginx.workers().is_empty(),
        "nginx has a worker while it serves"
    );
    let left = nginx.stop();
    assert!(left.is_empty(), "nginx workers left running: {left:?}");
}

#[test]
#[ignore = "needs nginx on PATH; run with --ignored (.ci/run installs nginx and does)"]
fn nginx_does_not_serve_hidden_source_maps_by_any_name() {
    assert!(
        Command::new("nginx").arg("-v").output().is_ok(),
        "nginx is not on PATH (apt-get install nginx libnginx-mod-http-brotli-static)"
    );
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    support::write(
        &d.join("rcollect.toml"),
        "static_root = \"public\"\ndirs = [\"assets\"]\n[sourcemaps]\nmode = \"hidden\"\n",
    );
    support::write(
        &d.join("assets/js/app.js"),
        "f();\n//# sourceMappingURL=app.js.map\n",
    );
    let map = format!(
        "{{\"version\":3,\"sources\":[\"app.ts\"],\"sourcesContent\":[\"{}\"]}}",
        "const secret = 1;\\n".repeat(100)
    );
    support::write(&d.join("assets/js/app.js.map"), &map);
    let out = run(d, &["collectstatic", "--no-input", "-q", "--no-cache"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(d, &["nginx-conf", "--brotli", "no"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let block = String::from_utf8(out.stdout).expect("utf8");
    let (mut nginx, port) = start_nginx(d, &block);

    let root = d.join("public");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("staticfiles.json")).expect("manifest"))
            .expect("json");
    let js = manifest["paths"]["js/app.js"].as_str().expect("js");
    let hashed_map = manifest["paths"]["js/app.js.map"].as_str().expect("map");
    // The script is served, without its link.
    let (status, h, body) = get(port, &format!("/static/{js}"), "identity");
    assert_eq!(status, 200);
    assert_eq!(body, b"f();\n\n");
    assert_eq!(header(&h, "sourcemap"), None);
    // The map is in STATIC_ROOT (for an error tracker), with its gzip
    // variant, and nginx serves it by no name.
    assert!(root.join(hashed_map).is_file());
    assert!(root.join(format!("{hashed_map}.gz")).is_file());
    for (path, accept) in [
        (format!("/static/{hashed_map}"), "identity"),
        (format!("/static/{hashed_map}"), "gzip"),
        (format!("/static/{hashed_map}.gz"), "identity"),
        ("/static/js/app.js.map".to_string(), "identity"),
    ] {
        let (status, _, body) = get(port, &path, accept);
        assert_eq!(status, 404, "{path} {accept}");
        assert!(!String::from_utf8_lossy(&body).contains("secret"), "{path}");
    }
    let left = nginx.stop();
    assert!(left.is_empty(), "nginx workers left running: {left:?}");
}
