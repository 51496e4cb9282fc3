//! `rcollect serve` under careless or hostile clients (issue 12): the
//! open-file limit, the connection cap with idle connections shed first,
//! the keep-alive and send timeouts, and reloading on SIGHUP. Real server,
//! real sockets.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common as support;
use support::{http, run, write};

/// Collects `assets/` into `out/` (`-q`, no cache).
fn collect(dir: &Path) {
    let out = run(
        dir,
        &[
            "collectstatic",
            "--no-input",
            "--root",
            "out",
            "--dir",
            "assets",
            "--no-cache",
            "-q",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn hashed(dir: &Path, logical: &str) -> String {
    let m = rcollect_core::Manifest::load(
        &dir.join("out"),
        rcollect_core::manifest::MAX_MANIFEST_BYTES,
    )
    .expect("load")
    .expect("manifest");
    m.paths[logical].clone()
}

/// A project with one small CSS file and one large image (not compressed,
/// streamed from disk), collected.
fn project() -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("tempdir");
    write(&t.path().join("assets/a.css"), "body { color: red }\n");
    // 32 MB: more than loopback's socket buffers can hold.
    let big: Vec<u8> = (0u32..8_000_000)
        .flat_map(|i| i.wrapping_mul(2_654_435_761).to_le_bytes())
        .collect();
    write(&t.path().join("assets/big.png"), big);
    collect(t.path());
    t
}

fn get_ok(addr: SocketAddr, path: &str) -> bool {
    http(addr, "GET", path, "").status == 200
}

/// A keep-alive connection that made one request and now sits idle.
fn idle_connection(addr: SocketAddr, path: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(s, "GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").expect("write");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf).expect("read");
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&buf[..n])
    );
    s
}

/// Reads until EOF or error; true if the server closed within `within`.
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).expect("timeout");
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

#[cfg(target_os = "linux")]
fn soft_nofile(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("limits");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("Max open files")
        .to_string();
    let v: Vec<&str> = line.split_whitespace().collect();
    (v[3].to_string(), v[4].to_string())
}

#[cfg(target_os = "linux")]
#[test]
fn the_open_file_limit_is_raised_and_idle_clients_cannot_lock_others_out() {
    if std::process::Command::new("prlimit")
        .arg("--version")
        .output()
        .is_err()
    {
        panic!("prlimit (util-linux) is needed for this test");
    }
    let t = project();
    let css = format!("/static/{}", hashed(t.path(), "a.css"));
    let server = support::start_under(&["prlimit", "--nofile=256:"], t.path(), &["--root", "out"]);
    let (soft, hard) = soft_nofile(server.child.id());
    assert_eq!(soft, hard, "soft RLIMIT_NOFILE raised to the hard limit");
    // 400 idle sockets: more than the 256 descriptors the server started with.
    let idle: Vec<TcpStream> = (0..400)
        .map(|_| TcpStream::connect(server.addr).expect("connect"))
        .collect();
    assert!(get_ok(server.addr, &css), "a new client is served");
    drop(idle);
}

#[test]
fn at_the_connection_cap_idle_connections_are_closed_first() {
    let t = project();
    let css = format!("/static/{}", hashed(t.path(), "a.css"));
    let server = support::start(t.path(), &["--root", "out", "--max-connections", "20"]);
    let mut idle: Vec<TcpStream> = (0..20)
        .map(|_| idle_connection(server.addr, &css))
        .collect();
    // The cap is reached; new clients are still served, by closing idle ones.
    for _ in 0..10 {
        assert!(get_ok(server.addr, &css));
    }
    let closed = idle
        .iter_mut()
        .map(|s| closed_within(s, Duration::from_millis(500)))
        .filter(|&c| c)
        .count();
    assert!(closed >= 1, "no idle connection was closed");
}

#[test]
fn idle_keep_alive_connections_time_out() {
    let t = project();
    let css = format!("/static/{}", hashed(t.path(), "a.css"));
    let server = support::start(t.path(), &["--root", "out", "--keepalive-timeout", "1"]);
    let mut s = idle_connection(server.addr, &css);
    let start = Instant::now();
    assert!(closed_within(&mut s, Duration::from_secs(10)), "not closed");
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(500),
        "closed too early: {waited:?}"
    );
}

#[test]
fn a_client_that_stops_reading_is_dropped_after_the_send_timeout() {
    let t = project();
    let big = format!("/static/{}", hashed(t.path(), "big.png"));
    let size = std::fs::metadata(t.path().join("assets/big.png"))
        .expect("stat")
        .len();
    let server = support::start(t.path(), &["--root", "out", "--send-timeout", "1"]);
    let mut s = TcpStream::connect(server.addr).expect("connect");
    // A small receive buffer, and no reading for a while.
    write!(s, "GET {big} HTTP/1.1\r\nHost: t\r\n\r\n").expect("write");
    std::thread::sleep(Duration::from_secs(4));
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut got = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n as u64,
        }
    }
    assert!(
        got < size,
        "the whole body arrived ({got} bytes): nothing timed out"
    );
    // The server is fine.
    assert!(get_ok(
        server.addr,
        &format!("/static/{}", hashed(t.path(), "a.css"))
    ));
}

#[cfg(unix)]
#[test]
fn sighup_reloads_the_manifest_and_a_failed_reload_keeps_the_old_one() {
    let t = project();
    let old_css = format!("/static/{}", hashed(t.path(), "a.css"));
    let server = support::start(t.path(), &["--root", "out"]);
    write(&t.path().join("assets/a.css"), "body { color: blue }\n");
    write(&t.path().join("assets/new.css"), "p { margin: 0 }\n");
    collect(t.path());
    let new_css = format!("/static/{}", hashed(t.path(), "a.css"));
    let added = format!("/static/{}", hashed(t.path(), "new.css"));
    assert_ne!(old_css, new_css);
    // Before SIGHUP the new release's names are already answered: an
    // unknown hashed name makes the server look for a newer manifest in its
    // root (rolling deploys); SIGHUP then makes it the live one.
    assert_eq!(
        http(server.addr, "GET", &added, "").status,
        200,
        "before SIGHUP, found in the newer manifest"
    );
    let hup = |pid: u32| {
        let ok = std::process::Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()
            .expect("kill");
        assert!(ok.success());
    };
    hup(server.child.id());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !get_ok(server.addr, &added) {
        assert!(
            Instant::now() < deadline,
            "SIGHUP did not load the new manifest"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Both versions' names answer: no window where either 404s.
    for p in [&old_css, &new_css, &added] {
        assert!(get_ok(server.addr, p), "{p}");
    }
    // A broken manifest: the reload fails and the old table stays.
    std::fs::write(t.path().join("out/staticfiles.json"), b"{ not json").expect("write");
    hup(server.child.id());
    std::thread::sleep(Duration::from_millis(500));
    for p in [&old_css, &new_css, &added] {
        assert!(get_ok(server.addr, p), "{p} after a failed reload");
    }
}
