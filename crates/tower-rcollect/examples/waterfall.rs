//! The request waterfall of a page that imports one JS module, with and
//! without preload hints (`bench/preload.sh` drives it with headless
//! Chromium). Every response under `/static/` is delayed by `--step-ms`, so
//! the requests of each discovery level arrive one step after the level
//! before; `/report` gives the levels seen so far.
//!
//! ```text
//! waterfall --root STATIC_ROOT --entry vendor/codemirror/src/codemirror.js [--preload] [--addr 127.0.0.1:0] [--step-ms 300]
//! ```

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use tower_rcollect::StaticFiles;

type Log = Arc<Mutex<Vec<(String, Instant)>>>;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut root, mut entry, mut addr, mut step, mut preload) =
        (None, None, "127.0.0.1:0".to_string(), 300u64, false);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--root" => root = args.next(),
            "--entry" => entry = args.next(),
            "--addr" => addr = args.next().ok_or("--addr needs HOST:PORT")?,
            "--step-ms" => step = args.next().ok_or("--step-ms needs a number")?.parse()?,
            "--preload" => preload = true,
            other => return Err(format!("unknown argument '{other}'").into()),
        }
    }
    let (root, entry) = (
        root.ok_or("--root is required")?,
        entry.ok_or("--entry is required")?,
    );
    // The whole graph in the Link header (the default 2 KiB cap is for
    // proxies; this measures what preloading everything does).
    let files = StaticFiles::from_manifest(&root, "/static/")?.link_max_bytes(1 << 20);
    let step = Duration::from_millis(step);
    let page = format!(
        "<!doctype html><html><head><meta charset=utf-8></head><body><div id=out>not run</div>\
         <script type=module>import * as m from \"{}\"; \
         document.getElementById(\"out\").textContent = \"loaded \" + Object.keys(m).length;</script>\
         </body></html>",
        files.static_url(&entry)?
    );
    let mut app = Router::new().route("/page", get(move || async move { Html(page) }));
    if preload {
        app = app.route_layer(files.preload_layer(&[&entry])?);
    }
    let log: Log = Arc::default();
    let report_log = log.clone();
    let rec = log.clone();
    let app = app
        .route(
            "/report",
            get(move || {
                let log = report_log.clone();
                async move { report(&log, step) }
            }),
        )
        .layer(files)
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                let rec = rec.clone();
                async move {
                    let path = req.uri().path().to_string();
                    if path != "/report" {
                        if let Ok(mut l) = rec.lock() {
                            l.push((path.clone(), Instant::now()));
                        }
                    }
                    let res = next.run(req).await;
                    if path.starts_with("/static/") {
                        tokio::time::sleep(step).await;
                    }
                    res
                }
            },
        ));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}/", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// `requests=N depth=D` (D: the discovery levels of the static files, by
/// arrival time after the page in steps), then one line per request.
fn report(log: &Log, step: Duration) -> String {
    let log = log.lock().map(|l| l.clone()).unwrap_or_default();
    let Some(start) = log.iter().find(|(p, _)| p == "/page").map(|(_, t)| *t) else {
        return "requests=0 depth=0\n".into();
    };
    let statics: Vec<_> = log
        .iter()
        .filter(|(p, _)| p.starts_with("/static/"))
        .collect();
    let level = |t: Instant| t.duration_since(start).as_millis() / step.as_millis().max(1) + 1;
    let depth = statics.iter().map(|(_, t)| level(*t)).max().unwrap_or(0);
    let mut out = format!("requests={} depth={depth}\n", statics.len());
    for (p, t) in &log {
        out.push_str(&format!(
            "{:>6} ms {p}\n",
            t.duration_since(start).as_millis()
        ));
    }
    out
}
