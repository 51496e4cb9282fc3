//! Shared by the end-to-end tests that run `rcollect serve`: start the real
//! binary on a free port and read the address it prints.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

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
    let mut child = Command::new(env!("CARGO_BIN_EXE_rcollect"))
        .arg("serve")
        .args(["--addr", "127.0.0.1:0"])
        .args(args)
        .current_dir(cwd)
        .env_remove("RCOLLECT_STATIC_ROOT")
        .env_remove("RCOLLECT_STATIC_URL")
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
        if let Some((_, url)) = line.split_once(" at http://") {
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
