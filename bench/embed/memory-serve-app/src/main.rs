//! bench/embed.sh peer: memory-serve's defaults plus its cache-busted routes,
//! nested under `/static`, served as its README does (`axum::serve`).
//!
//! Usage: `memory-serve-app [--addr HOST:PORT]`.

use std::net::SocketAddr;

use axum::{Router, serve::ListenerExt};

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
    let files: Router = memory_serve::load!()
        .index_file(None)
        .enable_hashed_routes(true)
        .into_router();
    let app = Router::new().nest("/static", files);
    let listener = tokio::net::TcpListener::bind(addr).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    eprintln!("memory-serve-app: listening on http://{addr}/");
    axum::serve(listener, app).await?;
    Ok(())
}
