//! Plumbing shared by the example apps, not part of what they show:
//! `--addr HOST:PORT` (default `127.0.0.1:3000`), bind, print the address,
//! serve; and an error type that turns a handler's `?` into a 500.

use std::error::Error;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Binds `--addr` (port 0 picks a free port), prints `listening on
/// http://ADDR/` on stdout, and serves `app` until the process is stopped.
pub(crate) async fn serve(app: axum::Router) -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let mut addr = "127.0.0.1:3000".to_string();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().ok_or("--addr needs HOST:PORT")?,
            other => {
                return Err(format!("unknown argument '{other}' (usage: --addr HOST:PORT)").into());
            }
        }
    }
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}/", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// A handler error: a 500 whose body is the error and its sources.
pub(crate) struct AppError(String);

impl<E: Error> From<E> for AppError {
    fn from(e: E) -> Self {
        let mut message = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            message.push_str(&format!(": {s}"));
            source = s.source();
        }
        AppError(message)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (StatusCode::INTERNAL_SERVER_ERROR, self.0).into_response()
    }
}
