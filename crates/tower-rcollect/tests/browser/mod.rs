//! A real browser (headless Chromium) and Compression Dictionary Transport:
//! a page imports version 1 of a script (sent with `Use-As-Dictionary`),
//! then version 2. The server records what it
//! answered: version 2 must go out as a `dcb` or `dcz` delta against
//! version 1, and the page must work (the script ran: its output is in the
//! DOM Chromium dumps).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use tower_rcollect::StaticFiles;

use super::deltas::two_versions;

/// (path, `Available-Dictionary` sent, `Content-Encoding` answered).
type Log = Arc<Mutex<Vec<(String, Option<String>, Option<String>)>>>;

fn chromium() -> std::path::PathBuf {
    std::env::var_os("RCOLLECT_CHROMIUM")
        .map(Into::into)
        .unwrap_or_else(|| "chromium".into())
}

#[tokio::test]
#[ignore = "needs Chromium (Debian package `chromium`); .ci/run runs it where Chromium installs"]
async fn chromium_fetches_the_new_version_as_a_delta_and_the_page_works() {
    let v = two_versions();
    let files = StaticFiles::from_manifest(&v.config.static_root, "/static/").expect("load");
    let log: Log = Arc::default();
    // One page: it imports version 1 (which Chromium stores as a
    // dictionary), waits on the network (in real time) for the dictionary
    // to be stored, then imports version 2.
    let page = Html(format!(
        "<!doctype html><html><head><meta charset=utf-8></head>\
         <body><div id=out>not run</div><script type=module>\
         await import('{old}');\
         await fetch('/wait');\
         await import('{new}');\
         </script></body></html>",
        old = v.old_url,
        new = v.new_url,
    ));
    let recorder = log.clone();
    let app = Router::new()
        .route("/page", get(move || async move { page }))
        .route(
            "/wait",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                "ok"
            }),
        )
        .layer(files)
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                let recorder = recorder.clone();
                async move {
                    let path = req.uri().path().to_string();
                    let dict = req
                        .headers()
                        .get("available-dictionary")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    let res = next.run(req).await;
                    let enc = res
                        .headers()
                        .get("content-encoding")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    if let Ok(mut l) = recorder.lock() {
                        l.push((path, dict, enc));
                    }
                    res
                }
            },
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let profile = tempfile::tempdir().expect("profile");
    let url = format!("http://{addr}/page");
    let browser = chromium();
    let out = tokio::task::spawn_blocking(move || run_chromium(&browser, profile.path(), &url))
        .await
        .expect("join");
    server.abort();
    let log = log.lock().map(|l| l.clone()).unwrap_or_default();
    eprintln!("server log (path, Available-Dictionary, Content-Encoding): {log:#?}");
    let new_js = log.iter().find(|(p, _, _)| *p == v.new_url);
    assert!(
        out.contains("<div id=\"out\">v2</div>"),
        "the page did not run version 2:\n{out}\nserver log: {log:#?}"
    );
    let (_, dict, enc) = new_js.unwrap_or_else(|| panic!("version 2 never requested: {log:#?}"));
    assert!(dict.is_some(), "no Available-Dictionary sent: {log:#?}");
    assert!(
        matches!(enc.as_deref(), Some("dcb" | "dcz")),
        "version 2 was not sent as a delta: {log:#?}"
    );
}

/// Runs Chromium headless in its own process group, dumps the DOM, and
/// stops every process of the group afterwards.
fn run_chromium(browser: &std::path::Path, profile: &std::path::Path, url: &str) -> String {
    use std::os::unix::process::CommandExt;
    let child = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", browser.display()));
    let group = child.id().to_string();
    let out = child.wait_with_output().expect("chromium");
    // Helpers Chromium left behind (it normally leaves none).
    let _ = std::process::Command::new("kill")
        .args(["-TERM", "--", &format!("-{group}")])
        .stderr(std::process::Stdio::null())
        .status();
    for _ in 0..50 {
        let alive = std::process::Command::new("pgrep")
            .args(["-g", &group])
            .output()
            .map(|o| !o.stdout.is_empty())
            .unwrap_or(false);
        if !alive {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{group}")])
        .stderr(std::process::Stdio::null())
        .status();
    String::from_utf8_lossy(&out.stdout).into_owned()
        + "\n--- stderr ---\n"
        + &String::from_utf8_lossy(&out.stderr)
}
