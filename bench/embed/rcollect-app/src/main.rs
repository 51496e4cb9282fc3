//! bench/embed.sh's rcollect app: the assets in `assets/` were collected at
//! build time by `rcollect-build` and compiled in; `StaticFiles::embedded`
//! serves them under `/static/`.
//!
//! Usage: `rcollect-app [--addr HOST:PORT] [--url LOGICAL]...`: `--url`
//! prints the hashed URL of a logical path and exits.

use std::net::SocketAddr;

use axum::{Router, serve::ListenerExt};
use tower_rcollect::StaticFiles;

include!(concat!(env!("OUT_DIR"), "/rcollect.rs"));

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = StaticFiles::embedded(&ASSETS)?;
    let mut addr: SocketAddr = "127.0.0.1:8080".parse()?;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().ok_or("--addr needs HOST:PORT")?.parse()?,
            "--url" => {
                let logical = args.next().ok_or("--url needs a logical path")?;
                println!("{}", files.static_url(&logical)?);
                return Ok(());
            }
            other => return Err(format!("unknown argument '{other}'").into()),
        }
    }
    let app = Router::new().layer(files);
    let listener = tokio::net::TcpListener::bind(addr).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    eprintln!("rcollect-app: listening on http://{addr}/");
    axum::serve(listener, app).await?;
    Ok(())
}
