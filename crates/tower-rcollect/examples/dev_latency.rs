//! Benchmark: the latency of a dev-mode request on a large source tree,
//! over a real socket. Run by `bench/dev.sh`; prints one line of figures.
//!
//! ```text
//! cargo run --release -p tower-rcollect --example dev_latency -- [FILES] [REQUESTS]
//! ```
//!
//! Makes FILES (default 20,000) small files in 40 directories of a temp
//! source dir, serves it in dev mode with axum on 127.0.0.1, and sends
//! REQUESTS (default 20,000) sequential keep-alive GETs for random files
//! (conditional and unconditional alike) from one client thread, timing each
//! from the first byte written to the last byte read.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Instant;

use axum::serve::ListenerExt;
use rcollect_core::Config;
use rcollect_core::config::SourceDir;
use tower_rcollect::StaticFiles;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let files: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(20_000);
    let requests: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(20_000);
    let t = tempfile::tempdir()?;
    let src = t.path().join("assets");
    for i in 0..files {
        let dir = src.join(format!("d{:02}", i % 40));
        if i < 40 {
            std::fs::create_dir_all(&dir)?;
        }
        std::fs::write(
            dir.join(format!("f{i}.css")),
            format!("/* {i} */ .c{i}{{color:red}}\n"),
        )?;
    }
    let mut config = Config::new(t.path().join("out"), "/static/");
    config.debug = true;
    config.dirs.push(SourceDir {
        prefix: String::new(),
        path: src,
    });
    let files_layer = StaticFiles::dev(&config)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    // Without TCP_NODELAY, Nagle and delayed ACKs add ~40 ms per response.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let app = axum::Router::new().layer(files_layer);
    rt.spawn(async move { axum::serve(listener, app).await });

    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut times = Vec::with_capacity(requests);
    for n in 0..requests + 1_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let i = usize::try_from(seed % files as u64)?;
        let path = format!("/static/d{:02}/f{i}.css", i % 40);
        let start = Instant::now();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: b\r\nAccept-Encoding: br, gzip\r\n\r\n"
        )?;
        let mut len = 0usize;
        let mut status = String::new();
        reader.read_line(&mut status)?;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse()?;
            }
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body)?;
        let elapsed = start.elapsed();
        if !status.starts_with("HTTP/1.1 200") {
            return Err(format!("{path}: {status}").into());
        }
        if n >= 1_000 {
            times.push(elapsed.as_secs_f64() * 1e6); // after 1,000 warm-up requests
        }
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        let i = ((times.len() as f64 - 1.0) * p).round() as usize;
        times.get(i).copied().unwrap_or(f64::NAN)
    };
    println!(
        "dev mode, {files} files, {requests} requests: p50 {:.0} us, p99 {:.0} us, max {:.0} us",
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );
    Ok(())
}
