//! Shared by the end-to-end tests: run the real binary (`run`, or `start`
//! for `rcollect serve` on a free port), talk HTTP to it, and small file helpers.

#![allow(dead_code)] // each test binary uses part of this module

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// Chromium's runner, shared with the middleware's browser tests.
#[cfg(unix)]
#[path = "../../../tower-rcollect/tests/browser/chromium.rs"]
pub(crate) mod chromium;

/// The running server; killed on drop if the test did not stop it.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start(cwd: &Path, args: &[&str]) -> Server {
    start_under(&[], cwd, args)
}

/// As [`start`], with the binary run by `wrapper` (a command that execs its
/// arguments, such as `prlimit --nofile=256:`).
pub(crate) fn start_under(wrapper: &[&str], cwd: &Path, args: &[&str]) -> Server {
    spawn_server(wrapper, &[], cwd, args)
}

/// As [`start`], with these environment variables set.
pub(crate) fn start_with_env(cwd: &Path, env: &[(&str, &str)], args: &[&str]) -> Server {
    spawn_server(&[], env, cwd, args)
}

fn spawn_server(wrapper: &[&str], env: &[(&str, &str)], cwd: &Path, args: &[&str]) -> Server {
    let bin = env!("CARGO_BIN_EXE_rcollect");
    let mut command = match wrapper.split_first() {
        Some((program, rest)) => {
            let mut c = Command::new(program);
            c.args(rest).arg(bin);
            c
        }
        None => Command::new(bin),
    };
    let mut child = command
        .arg("serve")
        .args(["--addr", "127.0.0.1:0"])
        .args(args)
        .current_dir(cwd)
        .env_remove("RCOLLECT_STATIC_ROOT")
        .env_remove("RCOLLECT_STATIC_URL")
        .env_remove("RCOLLECT_SOURCEMAP_TOKEN")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rcollect serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut addr = None;
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("stderr line");
        let url = line
            .split_once(" at http://")
            .or_else(|| line.split_once(" at https://"));
        if let Some((_, url)) = url {
            let host = url.split('/').next().expect("host");
            addr = Some(host.parse().expect("address"));
            seen.push(line);
            break;
        }
        seen.push(line);
    }
    // Keep draining stderr so the server never blocks on it.
    std::thread::spawn(move || for _ in lines {});
    let addr = match addr {
        Some(a) => a,
        None => {
            let _ = child.kill();
            panic!("serve did not print its address: {seen:?}");
        }
    };
    assert!(
        seen.last().is_some_and(|l| l.starts_with("serving ")),
        "{seen:?}"
    );
    Server { child, addr }
}

/// A response read off the socket.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) head: String,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    /// The value of a header (case-insensitive name).
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

/// One HTTP/1.1 request on a new connection (`Connection: close`);
/// `headers` are extra `Name: value\r\n` lines. (`tests/hostile.rs` has a
/// tolerant variant of its own for malformed requests.)
pub(crate) fn http(addr: SocketAddr, method: &str, target: &str, headers: &str) -> Reply {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    write!(
        s,
        "{method} {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{headers}\r\n"
    )
    .expect("send");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).expect("read");
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    Reply {
        status,
        head,
        body: buf[end + 4..].to_vec(),
    }
}

/// Runs the `rcollect` binary in `dir` with `args` (without the
/// `RCOLLECT_STATIC_*` and `RCOLLECT_SOURCEMAP_TOKEN` environment of the
/// caller).
pub(crate) fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rcollect"))
        .current_dir(dir)
        .env_remove("RCOLLECT_STATIC_ROOT")
        .env_remove("RCOLLECT_STATIC_URL")
        .env_remove("RCOLLECT_SOURCEMAP_TOKEN")
        .args(args)
        .output()
        .expect("run rcollect")
}

/// Writes a file, creating its parent directories.
pub(crate) fn write(p: &Path, bytes: impl AsRef<[u8]>) {
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, bytes).expect("write");
}

/// Every file under `root` (unreadable directories skipped), sorted.
pub(crate) fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Lowercase hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    rcollect_core::hash::hex(&sha2::Sha256::digest(bytes))
}

/// The last `/`-separated segment.
pub(crate) fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}
