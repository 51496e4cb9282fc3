//! bench/embed.sh peer: rust-embed + axum-embed under `/static`; axum-embed
//! serves the `.br`/`.gz` siblings that bench/embed.sh wrote next to each file.
//!
//! Usage: `rust-embed-app [--addr HOST:PORT]`.

use std::net::SocketAddr;

use axum::{Router, serve::ListenerExt};
use axum_embed::{FallbackBehavior, ServeEmbed};
use rust_embed::RustEmbed;

#[derive(RustEmbed, Clone)]
#[folder = "assets"]
struct Assets;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut addr: SocketAddr = "127.0.0.1:8080".parse()?;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().ok_or("--addr needs HOST:PORT")?.parse()?,
            other => return Err(format!("unknown argument '{other}'").into()),
        }
    }
    let files = ServeEmbed::<Assets>::with_parameters(None, FallbackBehavior::NotFound, None);
    let app = Router::new().nest_service("/static", files);
    let listener = tokio::net::TcpListener::bind(addr).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    eprintln!("rust-embed-app: listening on http://{addr}/");
    axum::serve(listener, app).await?;
    Ok(())
}
