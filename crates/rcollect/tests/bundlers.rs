//! Bundler output collected as it is (issue 21), end to end through the
//! binary: real Vite and esbuild builds of `fixtures/bundlers` (built by
//! `scripts/bundlers.sh`, which `.ci/run` runs; the tests needing them are
//! `#[ignore]`d), and trunk's naming from the committed
//! `fixtures/bundlers/trunk/dist`. Each bundler file lands in STATIC_ROOT
//! byte-identical under the bundler's name, once (never hashed again), and
//! `rcollect serve` answers it immutable and compressed; Chromium runs the
//! Vite app from `rcollect serve`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::common::{http, run, start, walk, write};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/bundlers")
}

/// The built fixture `dist/<what>` (panics, naming the script, when the
/// bundler fixtures are not built).
fn built(what: &str) -> PathBuf {
    let dir = fixtures().join("dist").join(what);
    assert!(
        dir.is_dir(),
        "{} is not built: run scripts/bundlers.sh (.ci/run does)",
        dir.display()
    );
    dir
}

/// Collects with `toml` in a temp project; the project dir.
fn collect(toml: &str) -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("tempdir");
    write(&t.path().join("rcollect.toml"), toml);
    let out = run(t.path(), &["collectstatic", "--no-cache"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t
}

/// The files under `dir`, relative, as `/`-separated strings.
fn files(dir: &Path) -> BTreeSet<String> {
    walk(dir)
        .iter()
        .map(|p| {
            p.strip_prefix(dir)
                .expect("under dir")
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect()
}

/// Every file of `dist` is in `root` byte-identical under its own name
/// (under `prefix`), and no other name in `root` starts with one of their
/// stems: nothing was hashed twice.
fn taken_as_is(dist: &Path, root: &Path, prefix: &str, ours: &[&str]) {
    let theirs = files(dist);
    let collected: BTreeSet<String> = files(root)
        .into_iter()
        .filter(|f| {
            !f.ends_with(".br")
                && !f.ends_with(".gz")
                && !f.ends_with(".zst")
                && !f.starts_with(".rcollect")
                && f != "staticfiles.json"
        })
        .collect();
    for f in &theirs {
        if f.starts_with(".vite/") || ours.contains(&f.as_str()) {
            continue;
        }
        let in_root = format!("{prefix}{f}");
        assert_eq!(
            std::fs::read(root.join(&in_root)).expect(&in_root),
            std::fs::read(dist.join(f)).expect("dist file"),
            "{in_root} is not byte-identical"
        );
        let (stem, _) = in_root.rsplit_once('.').expect("extension");
        let others: Vec<&String> = collected
            .iter()
            .filter(|c| **c != in_root && c.starts_with(&format!("{stem}.")))
            .collect();
        assert!(others.is_empty(), "{in_root} hashed again: {others:?}");
    }
    assert!(
        !collected.iter().any(|c| c.contains(".vite")),
        "the Vite manifest is not collected: {collected:?}"
    );
}

/// `rcollect serve` answers `path` 200 and immutable, brotli-encoded when
/// collect kept a brotli variant of it in `root`.
fn immutable(addr: std::net::SocketAddr, root: &Path, path: &str) {
    let r = http(addr, "GET", path, "Accept-Encoding: br, gzip\r\n");
    assert_eq!(r.status, 200, "{path}: {}", r.head);
    let cc = r.header("cache-control").unwrap_or_default();
    assert!(cc.contains("immutable"), "{path}: {cc}");
    let name = path.strip_prefix("/static/").expect("a static URL");
    let br = root.join(format!("{name}.br")).is_file();
    assert_eq!(
        r.header("content-encoding").as_deref(),
        br.then_some("br"),
        "{path}: {}",
        r.head
    );
}

#[test]
#[ignore = "needs the bundler fixtures (scripts/bundlers.sh: Vite from npm); .ci/run runs it"]
fn a_vite_build_is_collected_as_it_is_and_served_immutable() {
    let dist = built("vite");
    // The README's configuration: `dirs = ["dist/vite"]` and nothing else.
    let config = fixtures().join("rcollect.toml");
    let config = config.to_str().expect("UTF-8 path");
    let t = tempfile::tempdir().expect("tempdir");
    let root = t.path().join("out");
    let root_arg = root.to_str().expect("UTF-8 path");
    let out = run(
        t.path(),
        &[
            "collectstatic",
            "--no-cache",
            "--config",
            config,
            "--root",
            root_arg,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // robots.txt is a public/ copy Vite did not hash: ours (hashed copy).
    taken_as_is(&dist, &root, "", &["robots.txt"]);
    assert!(
        files(&root)
            .iter()
            .any(|f| f.starts_with("robots.") && f.len() == "robots.0123456789ab.txt".len())
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("staticfiles.json")).expect("manifest"))
            .expect("json");
    let main = &manifest["bundles"]["src/main.ts"];
    let main_js = main["file"].as_str().expect("entry file").to_string();
    assert!(main_js.starts_with("assets/main-"), "{main}");
    assert_eq!(manifest["paths"][&main_js], main_js, "its own name");
    assert!(
        manifest["files"][&main_js]["integrity"]
            .as_str()
            .is_some_and(|i| i.starts_with("sha384-"))
    );

    let server = start(t.path(), &["--config", config, "--root", root_arg]);
    for f in files(&dist) {
        if f.starts_with("assets/") && (f.ends_with(".js") || f.ends_with(".css")) {
            immutable(server.addr, &root, &format!("/static/{f}"));
        }
    }
    let r = http(server.addr, "GET", "/static/.vite/manifest.json", "");
    assert_eq!(r.status, 404, ".vite/ is not served");
    let r = http(server.addr, "GET", "/static/robots.txt", "");
    assert_eq!(r.status, 200);
    assert!(
        !r.header("cache-control")
            .unwrap_or_default()
            .contains("immutable")
    );
}

#[test]
#[ignore = "needs the bundler fixtures (scripts/bundlers.sh: esbuild from npm); .ci/run runs it"]
fn an_esbuild_build_with_its_metafile_is_collected_as_it_is() {
    let dist = built("esbuild");
    let meta = fixtures().join("dist/esbuild-meta.json");
    let t = collect(&format!(
        "static_root = \"out\"\ndirs = [\"{}\"]\n\n[bundler]\nmetafiles = [\"{}\"]\n",
        dist.display(),
        meta.display()
    ));
    let root = t.path().join("out");
    taken_as_is(&dist, &root, "", &[]);
    let server = start(t.path(), &[]);
    let chunks: Vec<String> = files(&dist)
        .into_iter()
        .filter(|f| f.starts_with("chunks/") && f.ends_with(".js"))
        .collect();
    assert!(chunks.len() >= 3, "splitting: {chunks:?}");
    for f in chunks {
        immutable(server.addr, &root, &format!("/static/{f}"));
    }
}

#[test]
fn trunk_output_named_by_its_scheme_is_collected_as_it_is() {
    let dist = fixtures().join("trunk/dist");
    let toml = |bundler: &str| {
        format!(
            "static_root = \"out\"\ndirs = [\"{}\"]\n{bundler}",
            dist.display()
        )
    };
    let t = collect(&toml("\n[bundler]\nhashed_names = [\"trunk\"]\n"));
    let root = t.path().join("out");
    // index.html and robots.txt are not trunk-hashed: collected as ours,
    // and index.html's references (to trunk's names) stay as written.
    taken_as_is(&dist, &root, "", &["robots.txt", "index.html"]);
    assert_eq!(
        std::fs::read(root.join("index.html")).expect("index"),
        std::fs::read(dist.join("index.html")).expect("index")
    );
    let server = start(t.path(), &[]);
    immutable(
        server.addr,
        &root,
        "/static/hello-trunk-9f1e2d3c4b5a6978.js",
    );
    let r = http(
        server.addr,
        "GET",
        "/static/hello-trunk-9f1e2d3c4b5a6978_bg.wasm",
        "",
    );
    assert_eq!(r.status, 200);
    assert!(
        r.header("cache-control")
            .unwrap_or_default()
            .contains("immutable")
    );
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/wasm")
    );
    drop(server);

    // Without the scheme, trunk's names are hashed a second time, as any
    // file: the configuration is what tells them apart.
    let t = collect(&toml(""));
    assert!(
        files(&t.path().join("out"))
            .iter()
            .any(|f| f.starts_with("hello-trunk-9f1e2d3c4b5a6978.")
                && f.ends_with(".js")
                && f.len() > 40),
        "trunk names are plain names without [bundler]"
    );
}

#[cfg(unix)]
#[test]
#[ignore = "needs Chromium and the bundler fixtures (scripts/bundlers.sh); .ci/run runs it"]
fn chromium_runs_the_vite_app_from_rcollect_serve_each_module_once() {
    let dist = built("vite");
    let t = tempfile::tempdir().expect("tempdir");
    write(
        &t.path().join("rcollect.toml"),
        format!(
            "static_root = \"out\"\ndirs = [\"{}\"]\nroot_dir = \"www\"\n\n[serve]\nindex = true\n",
            dist.display()
        ),
    );
    let out = run(t.path(), &["collectstatic", "--no-cache"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The page, as a server-rendered template would write it.
    let statics = tower_rcollect::StaticFiles::from_manifest(t.path().join("out"), "/static/")
        .expect("manifest");
    let tags = statics
        .vite_entry("src/main.ts")
        .expect("entry")
        .into_string();
    write(
        &t.path().join("www/index.html"),
        format!(
            "<!doctype html><html><head><meta charset=utf-8><link rel=icon href=\"data:,\">\n{tags}\n\
             <script type=module>\
             const wait = () => document.body.dataset.ok ? Promise.resolve() : new Promise(r => setTimeout(() => wait().then(r), 20));\
             await wait();\
             const seen = performance.getEntriesByType('resource').map(e => [new URL(e.name).pathname, e.responseStatus]);\
             const pre = document.createElement('pre'); pre.id = 'resources';\
             pre.textContent = JSON.stringify(seen); document.body.append(pre);\
             </script></head><body></body></html>"
        ),
    );
    let server = start(t.path(), &[]);
    use crate::common::chromium;
    let browser = chromium::chromium();
    let profile = tempfile::tempdir().expect("profile");
    let dom = chromium::run_chromium(
        &browser,
        profile.path(),
        &format!("http://{}/", server.addr),
        &[],
    );
    assert!(
        dom.contains(
            "shared=v1 a=lazy-a v1 b=lazy-b v1 css=rgb(0, 128, 0) logo=loaded data=data-ok"
        ),
        "the app ran: {dom}"
    );
    let json = dom
        .split("<pre id=\"resources\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .expect("resources")
        .replace("&quot;", "\"");
    let seen: Vec<(String, u16)> = serde_json::from_str(&json).expect("resource list");
    let dist_files = files(&dist);
    let mut urls = BTreeSet::new();
    for (path, status) in &seen {
        assert_eq!(*status, 200, "{path}");
        assert!(urls.insert(path.clone()), "{path} fetched twice");
        let name = path.strip_prefix("/static/").expect("a static URL");
        assert!(dist_files.contains(name), "{path}: not a Vite name");
        immutable(server.addr, &t.path().join("out"), path);
    }
    for lazy in ["lazy-a-", "lazy-b-", "shared-", "logo-", "data-"] {
        assert!(
            urls.iter().any(|u| u.contains(&format!("/assets/{lazy}"))),
            "{lazy}: {urls:?}"
        );
    }
}
