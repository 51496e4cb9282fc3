//! The one-binary path end to end: the `embedded-demo` release binary, copied
//! alone into an empty directory, serves its page and every asset with
//! correct integrity over a real socket; and a misspelt asset name in a copy
//! of the demo fails `cargo build` with a message naming it and the closest
//! collected name, as does a CSS
//! reference to a missing file (naming the file and line).

mod common;

use std::path::Path;
use std::process::Command;

use common::{attr, get, integrity, start, workspace};

#[test]
#[ignore = "needs `cargo build --release -p embedded-demo` first; .ci/run builds it and runs this with --ignored"]
fn the_release_binary_alone_serves_the_page_and_every_asset_with_integrity() {
    let built = workspace().join("target/release/embedded-demo");
    assert!(
        built.is_file(),
        "{} is missing: run `cargo build --release -p embedded-demo`",
        built.display()
    );
    let empty = tempfile::tempdir().expect("tempdir");
    let bin = empty.path().join("embedded-demo");
    std::fs::copy(&built, &bin).expect("copy the binary");
    let server = start(&bin, empty.path());
    let page = get(server.addr, "/", &[]);
    assert_eq!(page.status, 200);
    let html = String::from_utf8(page.body).expect("utf-8");
    let mut checked = 0;
    for tag in html.split('<') {
        let Some(url) = attr(tag, "href").or_else(|| attr(tag, "src")) else {
            continue;
        };
        let sri = attr(tag, "integrity").expect("every tag has integrity");
        let plain = get(server.addr, url, &[]);
        assert_eq!(plain.status, 200, "{url}");
        assert_eq!(integrity(&plain.body), sri, "{url}");
        let br = get(server.addr, url, &[("Accept-Encoding", "br, gzip")]);
        assert_eq!(br.header("content-encoding"), Some("br"), "{url}");
        assert_eq!(
            br.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut br.body.as_slice(), &mut decoded).expect("brotli");
        assert_eq!(integrity(&decoded), sri, "{url}");
        // The references inside were rewritten to hashed names that are
        // served too: the image and the font of the CSS, the module the JS
        // imports.
        let text = String::from_utf8(plain.body).expect("text");
        let dir = url.rsplit_once('/').map(|(d, _)| d).expect("dir");
        for (marker, end) in [
            ("url(../img/", ')'),
            ("url(\"../fonts/", '"'),
            ("from \"./", '"'),
        ] {
            let Some(i) = text.find(marker) else { continue };
            let rest = &text[i + marker.len()..];
            let name = &rest[..rest.find(end).expect("end")];
            let sub = marker
                .trim_start_matches("url(")
                .trim_start_matches('"')
                .trim_start_matches("from \"");
            let target = format!("{dir}/{sub}{name}");
            let r = get(server.addr, &normalize(&target), &[]);
            assert_eq!(r.status, 200, "{target} (referenced from {url})");
            assert!(has_hash(name), "{name} is not a hashed name");
            checked += 1;
        }
    }
    assert_eq!(checked, 3, "image, font and module all checked:\n{html}");
    let missing = get(server.addr, "/static/css/app.000000000000.css", &[]);
    assert_eq!(missing.status, 404);
}

fn normalize(url: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in url.split('/') {
        match seg {
            ".." => {
                out.pop();
            }
            "." => {}
            s => out.push(s),
        }
    }
    out.join("/")
}

fn has_hash(name: &str) -> bool {
    name.split('.')
        .any(|p| p.len() == 12 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A copy of the demo as its own workspace, depending on this workspace's
/// crates by path, with this workspace's lock file.
fn demo_copy(dir: &Path) {
    let ws = workspace().canonicalize().expect("workspace");
    let src = ws.join("examples/embedded");
    copy_tree(&src, dir);
    let toml = format!(
        r#"[package]
name = "embedded-demo"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
axum = "0.8"
tokio = {{ version = "1", features = ["rt-multi-thread", "macros", "net"] }}
tower-rcollect = {{ path = "{ws}/crates/tower-rcollect" }}

[build-dependencies]
rcollect-build = {{ path = "{ws}/crates/rcollect-build" }}

[workspace]
"#,
        ws = ws.display()
    );
    std::fs::write(dir.join("Cargo.toml"), toml).expect("Cargo.toml");
    std::fs::copy(ws.join("Cargo.lock"), dir.join("Cargo.lock")).expect("Cargo.lock");
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_tree(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}

/// `cargo check` of the copy (offline, a target dir of its own that later
/// runs reuse); returns its stderr.
fn check(dir: &Path, embed: bool) -> (bool, String) {
    let out = Command::new(env!("CARGO"))
        .current_dir(dir)
        .args(["check", "--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", workspace().join("target/demo-copy"))
        .env("RCOLLECT_EMBED", if embed { "1" } else { "0" })
        .output()
        .expect("run cargo");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
#[ignore = "slow (checks a copy of the demo with cargo); .ci/run runs it with --ignored"]
fn a_misspelt_asset_or_a_broken_reference_fails_the_build_naming_it() {
    let t = tempfile::tempdir().expect("tempdir");
    let dir = t.path();
    demo_copy(dir);
    let (ok, err) = check(dir, false);
    assert!(ok, "the unmodified copy builds:\n{err}");

    let main = dir.join("src/main.rs");
    let code = std::fs::read_to_string(&main).expect("main.rs");
    std::fs::write(
        &main,
        code.replace(
            r#"asset_stylesheet!("css/app.css")"#,
            r#"asset_stylesheet!("css/ap.css")"#,
        ),
    )
    .expect("write");
    for embed in [false, true] {
        let (ok, err) = check(dir, embed);
        assert!(!ok, "a misspelt asset must fail the build");
        assert!(
            err.contains(r#"rcollect: no static file "css/ap.css""#)
                && err.contains(r#"did you mean "css/app.css"?"#),
            "embed={embed}:\n{err}"
        );
    }
    std::fs::write(&main, code).expect("restore");

    let css = dir.join("static/css/app.css");
    let text = std::fs::read_to_string(&css).expect("css");
    std::fs::write(
        &css,
        text.replace("../img/logo.svg", "../img/logo-gone.svg"),
    )
    .expect("write");
    let (ok, err) = check(dir, true);
    assert!(!ok, "a broken reference must fail the build");
    assert!(
        err.contains("css/app.css:")
            && err.contains("reference to missing file '../img/logo-gone.svg'"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
