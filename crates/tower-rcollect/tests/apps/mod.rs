//! The example apps, run as their users run them: a project directory with
//! `rcollect.toml` and sources, collected by the engine; the example binary
//! (built by `cargo test`) started in it with `ADDR=127.0.0.1:0`; its page
//! fetched over a real socket, and every asset the page references fetched
//! and checked against the page's `integrity`.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::common::{get, integrity};

/// A running example, killed and reaped on drop.
struct App {
    child: Child,
    addr: SocketAddr,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A project as a user has it: `rcollect.toml`, `static/` with CSS that
/// references an image, a JS module that imports another; collected into
/// `staticfiles/` by the engine.
fn project() -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("tempdir");
    let write = |rel: &str, body: &str| {
        let p = t.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, body).expect("write");
    };
    // The README's rcollect.toml, as it is.
    write("rcollect.toml", include_str!("rcollect.toml"));
    write(
        "static/css/app.css",
        &format!(
            "body {{ background: url(../img/logo.svg) }}\n/* {} */\n",
            "padding ".repeat(40)
        ),
    );
    write(
        "static/img/logo.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"/>\n",
    );
    write(
        "static/js/app.js",
        &format!(
            "import {{ greet }} from \"./util.js\";\ngreet();\n// {}\n",
            "padding ".repeat(40)
        ),
    );
    write(
        "static/js/util.js",
        "export function greet() { document.title = 'hi'; }\n",
    );
    let config = rcollect_core::Config::load(t.path(), None, &Default::default()).expect("config");
    rcollect_core::collect::collect(&config, &Default::default()).expect("collect");
    t
}

/// The example binary `cargo test` built next to this test binary.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("examples");
    let bin = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} not built: run the tests with `cargo test --all-features` (it builds the examples)",
        bin.display()
    );
    bin
}

fn start(name: &str, project: &Path, dev: bool) -> App {
    let mut child = Command::new(example(name))
        .current_dir(project)
        .env("ADDR", "127.0.0.1:0")
        .env("RCOLLECT_DEBUG", if dev { "1" } else { "0" })
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn example");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read stdout");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .and_then(|a| a.strip_suffix('/'))
        .and_then(|a| a.parse().ok());
    let Some(addr) = addr else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("{name} did not start: first line {line:?}");
    };
    App { child, addr }
}

/// The value of `attr="…"` in one tag.
fn attr<'a>(tag: &'a str, attr: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {attr}=\""))? + attr.len() + 3;
    let len = tag.get(start..)?.find('"')?;
    tag.get(start..start + len)
}

/// Each `href`/`src` of the page with the tag's `integrity`, if any.
fn references(html: &str) -> Vec<(String, Option<String>)> {
    html.split('<')
        .filter_map(|tag| {
            let url = attr(tag, "href").or_else(|| attr(tag, "src"))?;
            Some((url.to_string(), attr(tag, "integrity").map(String::from)))
        })
        .collect()
}

fn is_hashed(url: &str, stem: &str, ext: &str) -> bool {
    url.strip_prefix(stem)
        .and_then(|r| r.strip_suffix(ext))
        .and_then(|r| r.strip_prefix('.'))
        .is_some_and(|h| h.len() == 12 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Runs example `name` collected and in dev mode, and checks its page.
async fn check(name: &str) {
    let project = project();
    for dev in [false, true] {
        let app = start(name, project.path(), dev);
        let page = get(app.addr, "/", &[]).await;
        assert_eq!(
            page.status,
            200,
            "{name}: {}",
            String::from_utf8_lossy(&page.body)
        );
        let html = String::from_utf8(page.body).expect("utf-8 page");
        let refs = references(&html);
        assert_eq!(refs.len(), 3, "{name}: {html}");
        for (url, want) in &refs {
            let expected = match url.rsplit_once('.').map(|(_, e)| e) {
                Some("css") => ("/static/css/app", ".css"),
                Some("js") => ("/static/js/app", ".js"),
                _ => ("/static/img/logo", ".svg"),
            };
            if dev {
                assert_eq!(url, &format!("{}{}", expected.0, expected.1), "{name}");
            } else {
                assert!(is_hashed(url, expected.0, expected.1), "{name}: {url}");
            }
            let asset = get(app.addr, url, &[]).await;
            assert_eq!(asset.status, 200, "{name}: {url}");
            if url.ends_with(".svg") {
                continue;
            }
            let want = want.as_deref().expect("integrity on link and script tags");
            assert_eq!(integrity(&asset.body), want, "{name}: {url}");
            assert!(html.contains(&format!("integrity=\"{want}\" crossorigin=\"anonymous\"")));
            if !dev {
                // What the browser gets: brotli, with the same integrity
                // once decoded (SRI covers the decoded body).
                let br = get(app.addr, url, &[("Accept-Encoding", "br")]).await;
                assert_eq!(br.header("content-encoding"), Some("br"), "{name}: {url}");
                let mut decoded = Vec::new();
                brotli::BrotliDecompress(&mut br.body.as_slice(), &mut decoded).expect("br");
                assert_eq!(integrity(&decoded), want);
            }
            if url.ends_with(".css") && !dev {
                // The reference inside the CSS names the hashed image.
                let css = String::from_utf8(asset.body).expect("css");
                let img = refs.iter().find(|(u, _)| u.ends_with(".svg")).expect("img");
                let file = img.0.rsplit('/').next().expect("name");
                assert!(css.contains(file), "{css}");
            }
        }
    }
}

#[cfg(feature = "minijinja")]
#[tokio::test]
async fn minijinja_app_serves_hashed_urls_with_integrity() {
    check("minijinja_app").await;
}

#[cfg(feature = "tera")]
#[tokio::test]
async fn tera_app_serves_hashed_urls_with_integrity() {
    check("tera_app").await;
}

#[cfg(feature = "askama")]
#[tokio::test]
async fn askama_app_serves_hashed_urls_with_integrity() {
    check("askama_app").await;
}

#[cfg(feature = "maud")]
#[tokio::test]
async fn maud_app_serves_hashed_urls_with_integrity() {
    check("maud_app").await;
}
