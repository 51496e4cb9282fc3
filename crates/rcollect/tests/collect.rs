//! End-to-end tests of `rcollect collectstatic` and `rcollect findstatic`:
//! the real binary on real files in temp dirs, real compressors.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use serde_json::Value;

use crate::common as support;
use support::{basename, run, sha256_hex, walk, write};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rcollect"))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// Copies the fixture project into a temp dir (so tests can edit it).
fn fixture_project() -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixtures(), t.path());
    let _ = std::fs::remove_dir_all(t.path().join("staticfiles"));
    t
}

fn copy_tree(from: &Path, to: &Path) {
    for e in walk(from) {
        let rel = e.strip_prefix(from).expect("prefix");
        let dst = to.join(rel);
        std::fs::create_dir_all(dst.parent().expect("parent")).expect("mkdir");
        std::fs::copy(&e, &dst).expect("copy");
    }
}

/// Runs collectstatic with JSON output and a cache inside `dir`; asserts success.
fn collect(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "collectstatic",
        "--no-input",
        "--format",
        "json",
        "--cache-dir",
        ".cache",
    ];
    args.extend_from_slice(extra);
    let out = run(dir, &args);
    assert!(
        out.status.success(),
        "collectstatic failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).expect("json summary")
}

fn manifest(root: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(root.join("staticfiles.json")).expect("manifest"))
        .expect("json")
}

fn hashed<'a>(m: &'a Value, logical: &str) -> &'a str {
    m["paths"][logical]
        .as_str()
        .unwrap_or_else(|| panic!("{logical} not in manifest"))
}

fn read(root: &Path, rel: &str) -> String {
    String::from_utf8_lossy(&std::fs::read(root.join(rel)).expect(rel)).into_owned()
}

fn decode(enc: &str, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match enc {
        "br" => {
            brotli::BrotliDecompress(&mut &bytes[..], &mut out).expect("brotli");
        }
        "gzip" => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .expect("gzip");
        }
        other => panic!("unexpected encoding {other}"),
    }
    out
}

/// Checks every file the manifest names: size, sha256, and variants decoding to it.
fn verify_root(root: &Path) {
    let m = manifest(root);
    for (logical, h) in m["paths"].as_object().expect("paths") {
        let h = h.as_str().expect("str");
        let meta = &m["files"][h];
        let bytes = std::fs::read(root.join(h)).unwrap_or_else(|e| panic!("{h} ({logical}): {e}"));
        assert_eq!(
            bytes.len() as u64,
            meta["size"].as_u64().expect("size"),
            "{h}"
        );
        assert_eq!(
            sha256_hex(&bytes),
            meta["sha256"].as_str().expect("sha"),
            "{h}"
        );
        if let Some(vs) = meta["variants"].as_object() {
            for (enc, size) in vs {
                let suffix = if enc == "br" { ".br" } else { ".gz" };
                let v = std::fs::read(root.join(format!("{h}{suffix}"))).expect("variant");
                assert_eq!(v.len() as u64, size.as_u64().expect("size"));
                assert_eq!(
                    decode(enc, &v),
                    bytes,
                    "{h}{suffix} must decode to the file"
                );
            }
        }
    }
}

/// The mtime of every output (not the stat cache, which records sources as
/// they settle, whatever the outputs do).
fn mtimes(root: &Path) -> BTreeMap<PathBuf, SystemTime> {
    walk(root)
        .into_iter()
        .filter(|p| !p.ends_with(".rcollect.stat"))
        .map(|p| {
            let m = std::fs::metadata(&p)
                .expect("meta")
                .modified()
                .expect("mtime");
            (p, m)
        })
        .collect()
}

#[test]
fn fixtures_collect_with_hashed_names_rewritten_references_and_variants() {
    let t = fixture_project();
    let s = collect(t.path(), &[]);
    let root = t.path().join("staticfiles");
    let m = manifest(&root);
    assert_eq!(m["version"], "1.1");
    assert_eq!(m["hash"].as_str().map(str::len), Some(12));
    assert!(
        m["paths"].get("css/app.scss").is_none(),
        "ignored by *.scss"
    );
    assert_eq!(
        s["total"].as_u64(),
        m["paths"].as_object().map(|p| p.len() as u64)
    );
    assert!(s["post_processed"].as_u64() >= Some(4));

    // Names: 12 hex digits before the last extension, the SHA-256 of the final bytes.
    let app = hashed(&m, "css/app.css");
    let (stem, rest) = app.split_once("app.").expect("name");
    assert_eq!(stem, "css/");
    let (hash, ext) = rest.split_once('.').expect("ext");
    assert_eq!((hash.len(), ext), (12, "css"));
    let bytes = std::fs::read(root.join(app)).expect("read");
    assert!(sha256_hex(&bytes).starts_with(hash));
    assert!(hashed(&m, "css/app.css.map").starts_with("css/app.css."));
    assert!(hashed(&m, "css/app.css.map").ends_with(".map"));

    // Every reference form is rewritten, keeping ?query and #fragment.
    let css = read(&root, app);
    let base = basename(hashed(&m, "css/base.css"));
    let buttons = basename(hashed(&m, "css/components/buttons.css"));
    let lib = basename(hashed(&m, "vendor/lib.css"));
    let font = basename(hashed(&m, "fonts/inter.woff2"));
    let bg = basename(hashed(&m, "img/bg.png"));
    let logo = basename(hashed(&m, "img/logo.svg"));
    let hero = basename(hashed(&m, "img/hero image.svg")).replace(' ', "%20");
    let map = basename(hashed(&m, "css/app.css.map"));
    for needle in [
        format!("@import \"{base}\";"),
        format!("@import url(\"components/{buttons}\");"),
        format!("@import url(../vendor/{lib});"),
        format!("url(\"../fonts/{font}\")"),
        format!("url('../fonts/{font}?v=4#iefix')"),
        format!("URL(../img/{bg})"),
        format!("url('/static/img/{logo}')"),
        format!("url(\"../img/{hero}\")"),
        format!("/*# sourceMappingURL={map} */"),
    ] {
        assert!(css.contains(&needle), "missing {needle} in\n{css}");
    }
    // ...and what must be left alone is left alone.
    for kept in [
        "url(commented-out.png)",
        "url(\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\")",
        "url(https://example.invalid/remote.png)",
        "url(//cdn.example.invalid/x.png)",
        "url(#drop-shadow)",
        "content: \"url(not-a-reference.png)\"",
    ] {
        assert!(css.contains(kept), "changed {kept}");
    }
    let buttons_css = read(&root, hashed(&m, "css/components/buttons.css"));
    let icon = basename(hashed(&m, "img/icon.svg"));
    assert!(buttons_css.contains(&format!("url(../../img/{icon})")));
    assert!(buttons_css.contains(&format!("url(\"../../img/{icon}#hover\")")));

    // JS module specifiers.
    let js = read(&root, hashed(&m, "js/app.js"));
    let util = basename(hashed(&m, "js/util.js"));
    for needle in [
        format!("from \"./{util}\";"),
        format!("import \"./{}\";", basename(hashed(&m, "js/polyfills.js"))),
        format!("export {{ formatDate }} from './{util}';"),
        format!(
            "from \"/static/vendor/{}\";",
            basename(hashed(&m, "vendor/lib.js"))
        ),
        format!("import(\"./{}\")", basename(hashed(&m, "js/lazy.js"))),
        format!(
            "//# sourceMappingURL={}",
            basename(hashed(&m, "js/app.js.map"))
        ),
    ] {
        assert!(js.contains(&needle), "missing {needle} in\n{js}");
    }
    for kept in [
        "import \"./not-a-ref.js\" in a comment",
        "'import x from './also-not-a-ref.js''",
        "/import \"\\.\\/regex-not-a-ref\\.js\"/",
    ] {
        let kept = kept.trim_matches('\'');
        assert!(js.contains(kept), "changed {kept}");
    }

    // Metadata for the middleware.
    let meta = &m["files"][app];
    assert_eq!(meta["content_type"], "text/css; charset=utf-8");
    assert!(
        meta["integrity"]
            .as_str()
            .expect("sri")
            .starts_with("sha384-")
    );
    assert!(meta["variants"]["br"].as_u64().is_some());
    assert!(meta["variants"]["gzip"].as_u64().is_some());
    assert!(
        m["files"][hashed(&m, "img/bg.png")]
            .get("variants")
            .is_none(),
        "png is not compressed"
    );
    assert!(
        m["files"][hashed(&m, "fonts/inter.woff2")]
            .get("variants")
            .is_none()
    );
    verify_root(&root);

    // keep_unhashed: the original names hold the rewritten content too.
    assert_eq!(read(&root, "css/app.css"), css);
    assert!(root.join("css/app.css.br").is_file());
}

#[test]
fn changing_an_image_renames_the_css_that_uses_it_and_only_that() {
    let t = fixture_project();
    collect(t.path(), &[]);
    let root = t.path().join("staticfiles");
    let before = manifest(&root);
    write(
        &t.path().join("assets/img/icon.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><title>new</title></svg>\n",
    );
    let s = collect(t.path(), &[]);
    let after = manifest(&root);
    let changed: Vec<&String> = before["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .filter(|(k, v)| after["paths"][k.as_str()] != **v)
        .map(|(k, _)| k)
        .collect();
    // icon.svg, buttons.css (references it) and app.css (imports buttons.css).
    assert_eq!(
        changed,
        ["css/app.css", "css/components/buttons.css", "img/icon.svg"]
    );
    assert_eq!(s["collected"], 3);
    // The old hashed files are still there (the old manifest's files are never deleted).
    assert!(root.join(hashed(&before, "css/app.css")).is_file());
    verify_root(&root);
}

#[test]
fn no_op_rerun_touches_nothing_and_compresses_nothing() {
    let t = fixture_project();
    collect(t.path(), &[]);
    let root = t.path().join("staticfiles");
    let before = mtimes(&root);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let s = collect(t.path(), &["--no-cache"]);
    assert_eq!(s["collected"], 0);
    assert_eq!(s["compressed"], 0);
    assert_eq!(s["from_cache"], 0);
    assert_eq!(s["manifest_changed"], false);
    assert!(s["unchanged"].as_u64() > Some(10));
    assert_eq!(mtimes(&root), before, "no file may be rewritten");
}

/// Issue 25: sources whose stamp did not change since a run that read them
/// are not read again; an edit that keeps the size and puts the mtime back
/// is still seen (the change time moves).
#[test]
fn a_rerun_reads_only_the_sources_that_changed() {
    let t = fixture_project();
    // Let the copied sources settle (files changed within 2 s of a run's
    // start are not recorded: an edit in the same tick could keep the stamp).
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let first = collect(t.path(), &["--no-cache"]);
    assert_eq!(first["known_sources"], 0);
    let root = t.path().join("staticfiles");
    assert!(root.join(".rcollect.stat").is_file());
    let total = first["total"].as_u64().expect("total");
    let again = collect(t.path(), &["--no-cache"]);
    assert_eq!(again["known_sources"].as_u64(), Some(total));
    assert_eq!(again["collected"], 0);
    let before = manifest(&root);
    let css = t.path().join("assets/css/components/buttons.css");
    let mtime = std::fs::metadata(&css)
        .and_then(|m| m.modified())
        .expect("mtime");
    let text = std::fs::read_to_string(&css).expect("read");
    let edited: String = text.chars().rev().collect();
    assert_eq!(edited.len(), text.len());
    std::fs::write(&css, &edited).expect("write");
    std::fs::File::options()
        .write(true)
        .open(&css)
        .and_then(|f| f.set_modified(mtime))
        .expect("set_modified");
    let changed = collect(t.path(), &["--no-cache"]);
    assert_eq!(changed["known_sources"].as_u64(), Some(total - 1));
    assert_ne!(
        hashed(&manifest(&root), "css/components/buttons.css"),
        hashed(&before, "css/components/buttons.css")
    );
    assert_eq!(
        read(
            &root,
            hashed(&manifest(&root), "css/components/buttons.css")
        ),
        edited
    );
    verify_root(&root);
}

#[test]
fn two_runs_give_byte_identical_output() {
    let t = fixture_project();
    collect(t.path(), &["--root", "out1", "--no-cache"]);
    collect(t.path(), &["--root", "out2", "--no-cache"]);
    let (a, b) = (t.path().join("out1"), t.path().join("out2"));
    let files = |r: &Path| -> BTreeMap<PathBuf, Vec<u8>> {
        walk(r)
            .into_iter()
            .filter(|p| !p.ends_with(".rcollect.lock") && !p.ends_with(".rcollect.stat"))
            .map(|p| {
                (
                    p.strip_prefix(r).expect("prefix").to_path_buf(),
                    std::fs::read(&p).expect("read"),
                )
            })
            .collect()
    };
    let (fa, fb) = (files(&a), files(&b));
    assert!(fa.len() > 30);
    assert_eq!(fa, fb);
}

#[test]
fn warm_cache_restores_variants_without_compressing() {
    let t = fixture_project();
    let first = collect(t.path(), &["--root", "a"]);
    assert!(first["compressed"].as_u64() > Some(10));
    // Entries from an old CI cache: placing one still counts as writing now
    // (`clean --older-than` goes by mtime).
    let day_ago = SystemTime::now() - std::time::Duration::from_secs(86_400);
    for e in walk(&t.path().join(".cache")) {
        let f = std::fs::File::open(&e).expect("open");
        f.set_modified(day_ago).expect("backdate");
    }
    let second = collect(t.path(), &["--root", "b"]);
    assert_eq!(second["compressed"], 0);
    assert!(second["from_cache"].as_u64() > Some(10));
    verify_root(&t.path().join("b"));
    let hour_ago = SystemTime::now() - std::time::Duration::from_secs(3600);
    for (p, m) in mtimes(&t.path().join("b")) {
        assert!(m > hour_ago, "{} placed with an old mtime", p.display());
    }
}

#[test]
fn a_tampered_cache_never_reaches_static_root() {
    use std::io::Write as _;
    let t = fixture_project();
    let first = collect(t.path(), &["--root", "a"]);
    let variants = first["compressed"].as_u64().expect("compressed");
    assert!(variants > 10);
    // Overwrite every cached output in place with a valid gzip stream of
    // other bytes (what a poisoned CI cache, or an in-place edit of a
    // collected variant that shares the entry's inode, would give).
    let mut evil = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    evil.write_all(b"alert('owned')").expect("gzip");
    let evil = evil.finish().expect("gzip");
    let entries = walk(&t.path().join(".cache"));
    assert!(entries.len() as u64 >= variants);
    for e in &entries {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(e)
            .expect("open entry");
        f.write_all(&evil).expect("overwrite");
    }
    let second = collect(t.path(), &["--root", "b"]);
    assert_eq!(second["from_cache"], 0, "no tampered entry is used");
    assert_eq!(second["compressed"].as_u64(), Some(variants));
    verify_root(&t.path().join("b"));
    // The bad entries were replaced by good ones: a third root is served
    // from the cache again.
    let third = collect(t.path(), &["--root", "c"]);
    assert_eq!(third["compressed"], 0);
    let kept: usize = manifest(&t.path().join("c"))["files"]
        .as_object()
        .expect("files")
        .values()
        .filter_map(|m| m["variants"].as_object().map(|v| v.len()))
        .sum();
    assert!(kept > 10);
    assert_eq!(third["from_cache"].as_u64(), Some(kept as u64));
    verify_root(&t.path().join("c"));
}

fn project(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("tempdir");
    for (p, b) in files {
        write(&t.path().join("src").join(p), b);
    }
    t
}

#[test]
fn no_config_file_needed() {
    let t = project(&[("a.css", b"b{}")]);
    let s = collect(t.path(), &["--root", "out", "--dir", "src"]);
    assert_eq!(s["collected"], 1);
    assert!(t.path().join("out/staticfiles.json").is_file());
}

#[test]
fn prefixed_dirs_first_wins_and_shadowed_are_reported() {
    let t = project(&[("a/x.css", b"a"), ("b/x.css", b"b"), ("c/y.js", b"c")]);
    let s = collect(
        t.path(),
        &[
            "--root",
            "out",
            "--dir",
            "src/a",
            "--dir",
            "src/b",
            "--dir",
            "lib=src/c",
            "-v",
        ],
    );
    assert_eq!(s["shadowed"], 1);
    assert!(
        s["shadowed_files"][0]["source"]
            .as_str()
            .expect("src")
            .ends_with("src/b/x.css")
    );
    let m = manifest(&t.path().join("out"));
    assert!(m["paths"].get("lib/y.js").is_some());
    assert_eq!(read(&t.path().join("out"), hashed(&m, "x.css")), "a");

    let out = run(
        t.path(),
        &[
            "findstatic",
            "x.css",
            "--dir",
            "src/a",
            "--dir",
            "src/b",
            "--root",
            "out",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    let a = text.find("src/a/x.css").expect("winner listed");
    let b = text.find("src/b/x.css").expect("shadowed listed");
    assert!(a < b, "winner first: {text}");
    let out = run(
        t.path(),
        &[
            "findstatic",
            "x.css",
            "--first",
            "--dir",
            "src/a",
            "--dir",
            "src/b",
            "--root",
            "out",
        ],
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("src/b/x.css"));
    let out = run(
        t.path(),
        &["findstatic", "nope.css", "--dir", "src/a", "--root", "out"],
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn ignore_flags() {
    let t = project(&[
        ("a.css", b"a"),
        ("a.less", b"b"),
        (".hidden", b"c"),
        ("x~", b"d"),
    ]);
    let s = collect(
        t.path(),
        &["--root", "out", "--dir", "src", "--ignore", "*.less"],
    );
    assert_eq!(s["total"], 1);
    let s = collect(
        t.path(),
        &["--root", "out2", "--dir", "src", "--no-default-ignore"],
    );
    assert_eq!(s["total"], 4);
}

#[test]
fn reference_cycle_resolves_deterministically() {
    let files: &[(&str, &[u8])] = &[
        ("a.css", b"@import \"b.css\";\n.a{}"),
        ("b.css", b"@import url(a.css);\n.b{background:url(i.svg)}"),
        ("i.svg", b"<svg/>"),
        ("m1.js", b"import {b} from './m2.js'; export const a = 1;"),
        ("m2.js", b"import {a} from './m1.js'; export const b = 2;"),
    ];
    let t = project(files);
    let s = collect(t.path(), &["--root", "out", "--dir", "src", "-v"]);
    assert_eq!(s["cycles"].as_array().map(Vec::len), Some(2));
    let root = t.path().join("out");
    let m = manifest(&root);
    let (a, b) = (hashed(&m, "a.css"), hashed(&m, "b.css"));
    assert!(read(&root, a).contains(&format!("@import \"{b}\"")));
    assert!(read(&root, b).contains(&format!("@import url({a})")));
    assert!(read(&root, b).contains(hashed(&m, "i.svg")));
    assert!(read(&root, hashed(&m, "m1.js")).contains(hashed(&m, "m2.js")));
    // Same input, same names.
    collect(t.path(), &["--root", "out2", "--dir", "src"]);
    assert_eq!(manifest(&t.path().join("out2"))["paths"], m["paths"]);
    // A change to one member renames both.
    write(
        &t.path().join("src/a.css"),
        "@import \"b.css\";\n.a{color:red}",
    );
    collect(t.path(), &["--root", "out", "--dir", "src"]);
    let m2 = manifest(&root);
    assert_ne!(m2["paths"]["a.css"], m["paths"]["a.css"]);
    assert_ne!(m2["paths"]["b.css"], m["paths"]["b.css"]);
    verify_root(&root);
}

#[test]
fn missing_reference_is_an_error_naming_file_line_and_target() {
    let t = project(&[
        ("ok.css", b"a{}"),
        (
            "css/bad.css",
            b"a{}\n\nb { background: url(\"../img/nope.png\"); }\n",
        ),
    ]);
    collect(
        t.path(),
        &["--root", "out", "--dir", "src", "--ignore", "bad.css"],
    );
    let before = std::fs::read(t.path().join("out/staticfiles.json")).expect("manifest");
    let out = run(
        t.path(),
        &[
            "collectstatic",
            "--root",
            "out",
            "--dir",
            "src",
            "--no-cache",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("css/bad.css:3"), "{err}");
    assert!(err.contains("../img/nope.png"), "{err}");
    assert_eq!(
        std::fs::read(t.path().join("out/staticfiles.json")).expect("manifest"),
        before
    );

    // With missing_references = "warn" the reference is left as written.
    write(
        &t.path().join("rcollect.toml"),
        "static_root = \"out\"\ndirs = [\"src\"]\nmissing_references = \"warn\"\n",
    );
    let out = run(t.path(), &["collectstatic", "--no-cache"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.png"));
    let m = manifest(&t.path().join("out"));
    assert!(
        read(&t.path().join("out"), hashed(&m, "css/bad.css")).contains("url(\"../img/nope.png\")")
    );
}

#[test]
fn non_utf8_css_is_collected_byte_for_byte_around_references() {
    let mut css = b"/* caf\xe9 */ .x { content: \"\xff\xfe\"; background: url(i.svg); }".to_vec();
    css.extend_from_slice(b"\n");
    let t = project(&[("a.css", &css), ("i.svg", b"<svg/>")]);
    collect(t.path(), &["--root", "out", "--dir", "src"]);
    let root = t.path().join("out");
    let m = manifest(&root);
    let out = std::fs::read(root.join(hashed(&m, "a.css"))).expect("read");
    let i = hashed(&m, "i.svg");
    let at = css
        .windows(10)
        .position(|w| w == b"url(i.svg)")
        .expect("ref");
    let expected = [&css[..at], format!("url({i})").as_bytes(), &css[at + 10..]].concat();
    assert_eq!(out, expected);
}

#[test]
fn unreadable_source_fails_naming_it_and_keeps_the_old_manifest() {
    let t = project(&[("a.css", b"a{}"), ("b.css", b"b{}")]);
    collect(t.path(), &["--root", "out", "--dir", "src"]);
    let before = std::fs::read(t.path().join("out/staticfiles.json")).expect("manifest");
    // A dangling symlink cannot be read, even by root.
    #[cfg(unix)]
    std::os::unix::fs::symlink(t.path().join("nowhere.css"), t.path().join("src/c.css"))
        .expect("symlink");
    let out = run(
        t.path(),
        &[
            "collectstatic",
            "--root",
            "out",
            "--dir",
            "src",
            "--no-cache",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("c.css"));
    assert_eq!(
        std::fs::read(t.path().join("out/staticfiles.json")).expect("manifest"),
        before
    );
    verify_root(&t.path().join("out"));
}

#[cfg(unix)]
#[test]
fn permission_denied_source_is_an_error_when_not_root() {
    use std::os::unix::fs::PermissionsExt;
    let t = project(&[("a.css", b"a{}")]);
    let p = t.path().join("src/a.css");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if std::fs::read(&p).is_ok() {
        // Running as root: permissions are not enforced; the dangling-symlink
        // test above covers unreadable files.
        return;
    }
    let out = run(
        t.path(),
        &[
            "collectstatic",
            "--root",
            "out",
            "--dir",
            "src",
            "--no-cache",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a.css"));
}

#[cfg(unix)]
#[test]
fn symlink_loop_is_an_error_naming_the_path() {
    let t = project(&[("d/a.css", b"a{}")]);
    std::os::unix::fs::symlink(t.path().join("src"), t.path().join("src/d/loop")).expect("symlink");
    let out = run(
        t.path(),
        &[
            "collectstatic",
            "--root",
            "out",
            "--dir",
            "src",
            "--no-cache",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("loop"), "{err}");
}

#[test]
fn refuses_a_static_root_inside_a_source_dir() {
    let t = project(&[("a.css", b"a{}")]);
    for root in ["src/out", "src", "."] {
        let out = run(
            t.path(),
            &[
                "collectstatic",
                "--root",
                root,
                "--dir",
                "src",
                "--no-cache",
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{root}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("STATIC_ROOT"),
            "{root}"
        );
    }
    assert!(!t.path().join("src/out").exists());
}

#[test]
fn config_errors_name_file_line_and_key_and_exit_2() {
    let t = project(&[("a.css", b"a{}")]);
    write(
        &t.path().join("rcollect.toml"),
        "static_root = \"out\"\ndirs = [\"src\"]\n\n[compress]\nbrotly = true\n",
    );
    let out = run(t.path(), &["collectstatic"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rcollect.toml:5"), "{err}");
    assert!(err.contains("brotly"), "{err}");
    let out = run(t.path(), &["collectstatic", "--bogus-flag"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn env_overrides_config_and_flags_override_env() {
    let t = project(&[("a.css", b"a{}")]);
    write(
        &t.path().join("rcollect.toml"),
        "static_root = \"fromfile\"\ndirs = [\"src\"]\n",
    );
    let out = bin()
        .current_dir(t.path())
        .env("RCOLLECT_STATIC_ROOT", "fromenv")
        .args(["collectstatic", "--no-cache", "-q"])
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(t.path().join("fromenv/staticfiles.json").is_file());
    assert!(!t.path().join("fromfile").exists());
}

#[test]
fn dry_run_writes_nothing() {
    let t = project(&[("a.css", b"a{}")]);
    let s = collect(t.path(), &["--root", "out", "--dir", "src", "--dry-run"]);
    assert_eq!(s["collected"], 1);
    assert_eq!(s["dry_run"], true);
    assert!(!t.path().join("out").exists());
}

#[test]
fn clear_removes_what_this_run_did_not_produce() {
    let t = project(&[("a.css", b"a{color:red}"), ("b.css", b"b{}")]);
    collect(t.path(), &["--root", "out", "--dir", "src"]);
    let root = t.path().join("out");
    let old = manifest(&root);
    write(&root.join("stray.txt"), "x");
    std::fs::remove_file(t.path().join("src/b.css")).expect("rm");
    write(&t.path().join("src/a.css"), "a{color:blue}");
    // Without --clear, the previous version's files stay.
    collect(t.path(), &["--root", "out", "--dir", "src"]);
    assert!(root.join(hashed(&old, "a.css")).is_file());
    let s = collect(t.path(), &["--root", "out", "--dir", "src", "--clear"]);
    assert!(s["deleted"].as_u64() >= Some(3));
    let m = manifest(&root);
    assert!(!root.join(hashed(&old, "a.css")).exists());
    assert!(!root.join("stray.txt").exists());
    assert!(!root.join("b.css").exists());
    assert!(root.join(hashed(&m, "a.css")).is_file());
    assert!(root.join("a.css").is_file());
}

#[test]
fn stale_unhashed_variants_are_removed() {
    let big = "body { color: red; margin: 0 auto; padding: 1px; }\n".repeat(50);
    let t = project(&[("a.css", big.as_bytes())]);
    collect(t.path(), &["--root", "out", "--dir", "src"]);
    assert!(t.path().join("out/a.css.br").is_file());
    // Incompressible now: no variant is kept, and the old one must go.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let noise: Vec<u8> = (0..4000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    write(&t.path().join("src/a.css"), &noise);
    collect(t.path(), &["--root", "out", "--dir", "src"]);
    let m = manifest(&t.path().join("out"));
    assert!(m["files"][hashed(&m, "a.css")].get("variants").is_none());
    assert!(!t.path().join("out/a.css.br").exists());
}

#[test]
fn names_with_spaces_unicode_hash_and_question_marks() {
    let t = project(&[
        ("img/a b.svg", b"<svg/>"),
        ("img/\u{e9}t\u{e9}.svg", b"<svg/>"),
        ("img/x#1.svg", b"<svg/>"),
        ("a.css", b".a{background:url(\"img/a b.svg\")}\n.b{background:url(img/%C3%A9t%C3%A9.svg)}\n.c{background:url(img/x%231.svg?q)}\n"),
        ("empty.css", b""),
    ]);
    collect(t.path(), &["--root", "out", "--dir", "src"]);
    let root = t.path().join("out");
    let m = manifest(&root);
    let css = read(&root, hashed(&m, "a.css"));
    assert!(
        css.contains(&basename(hashed(&m, "img/a b.svg")).replace(' ', "%20")),
        "{css}"
    );
    let ete = basename(hashed(&m, "img/\u{e9}t\u{e9}.svg"));
    assert!(css.contains(&ete.replace('\u{e9}', "%C3%A9")), "{css}");
    assert!(
        css.contains(&format!(
            "{}?q",
            basename(hashed(&m, "img/x#1.svg")).replace('#', "%23")
        )),
        "{css}"
    );
    assert_eq!(m["files"][hashed(&m, "empty.css")]["size"], 0);
    verify_root(&root);
}

/// Kills collects at several moments; the old manifest and its files must survive.
#[cfg(unix)]
#[test]
fn killed_collect_leaves_the_old_manifest_valid() {
    let t = tempfile::tempdir().expect("tempdir");
    let generate = |version: u32| {
        for i in 0..120 {
            let body: String = (0..400)
                .map(|j| {
                    format!(
                        ".c{i}-{j} {{ margin: {}px; content: \"v{version}-{}\"; }}\n",
                        (i * j) % 97,
                        (i * 31 + j * 17) % 1013
                    )
                })
                .collect();
            write(&t.path().join(format!("src/css/f{i:03}.css")), body);
        }
    };
    generate(1);
    collect(t.path(), &["--root", "out", "--dir", "src", "--no-cache"]);
    let root = t.path().join("out");
    verify_root(&root);
    for (round, delay_ms) in [50u64, 300, 900, 1500].into_iter().enumerate() {
        generate(round as u32 + 2);
        let mut child = bin()
            .current_dir(t.path())
            .args([
                "collectstatic",
                "--root",
                "out",
                "--dir",
                "src",
                "--no-cache",
                "-q",
            ])
            .spawn()
            .expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        verify_root(&root);
    }
    // A complete run afterwards succeeds and cleans up temp files.
    collect(t.path(), &["--root", "out", "--dir", "src", "--no-cache"]);
    verify_root(&root);
    assert!(
        walk(&root)
            .iter()
            .all(|p| !p.to_string_lossy().ends_with(".rcollect-tmp"))
    );
}

#[test]
fn zstd_variants_when_enabled() {
    let css = "body { color: red; margin: 0 auto; padding: 1px; }\n".repeat(40);
    let t = project(&[("a.css", css.as_bytes())]);
    write(
        &t.path().join("rcollect.toml"),
        "static_root = \"out\"\ndirs = [\"src\"]\n[compress]\nzstd = true\ngzip = false\n",
    );
    collect(t.path(), &[]);
    let root = t.path().join("out");
    let m = manifest(&root);
    let h = hashed(&m, "a.css");
    let variants = m["files"][h]["variants"].as_object().expect("variants");
    assert!(variants.contains_key("zstd") && variants.contains_key("br"));
    assert!(!variants.contains_key("gzip"));
    let z = std::fs::read(root.join(format!("{h}.zst"))).expect("zst");
    assert_eq!(z.len() as u64, variants["zstd"].as_u64().expect("size"));
    // zstd frame magic, and `rcollect check --manifest` decodes it.
    assert_eq!(&z[..4], &[0x28, 0xb5, 0x2f, 0xfd]);
    let out = run(t.path(), &["check", "--manifest", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// A shipped `lib.js.gz` next to `lib.js` is an asset of its own: the
/// unhashed gzip variant of `lib.js` must not overwrite it (nor be removed
/// for it), and the result is the same on every run.
#[test]
fn a_shipped_variant_named_file_wins_over_the_unhashed_variant() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    let js = "export const x = 1;\n".repeat(200);
    write(&d.join("assets/lib.js"), &js);
    let shipped = b"\x1f\x8b not really gzip, but what the package ships".to_vec();
    write(&d.join("assets/lib.js.gz"), &shipped);
    for _ in 0..3 {
        collect(d, &["--root", "out", "--dir", "assets"]);
        assert_eq!(
            std::fs::read(d.join("out/lib.js.gz")).expect("read"),
            shipped
        );
    }
    let m = manifest(&d.join("out"));
    let h = hashed(&m, "lib.js");
    assert!(
        d.join(format!("out/{h}.gz")).is_file(),
        "the hashed variant is still written"
    );
    assert!(d.join("out").join(hashed(&m, "lib.js.gz")).is_file());
    assert!(
        d.join("out/lib.js.br").is_file(),
        "other unhashed variants are unaffected"
    );
}

#[test]
fn github_format_annotates_broken_references_on_their_line_and_ends_with_a_notice() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    write(
        &d.join("rcollect.toml"),
        "static_root = \"out\"\ndirs = [\"assets\"]\n",
    );
    write(
        &d.join("assets/css/app.css"),
        "a{}\nb { background: url(gone.png) }\n",
    );
    let out = run(d, &["collectstatic", "--no-cache", "--format", "github"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).expect("utf8");
    assert!(
        stdout.starts_with("::error file=assets/css/app.css,line=2,title=E030::"),
        "{stdout}"
    );
    assert!(!d.join("out/staticfiles.json").exists());

    // Left as written with "warn": a warning on the line, then the notice.
    write(
        &d.join("rcollect.toml"),
        "static_root = \"out\"\ndirs = [\"assets\"]\nmissing_references = \"warn\"\n",
    );
    let out = run(d, &["collectstatic", "--no-cache", "--format", "github"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).expect("utf8");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with("::warning file=assets/css/app.css,line=2,col=21,title=E030::"),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("::notice title=rcollect collectstatic::1 files collected"),
        "{stdout}"
    );
}

#[test]
fn an_empty_or_missing_source_is_an_error_unless_allow_empty() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    write(
        &d.join("rcollect.toml"),
        "static_root = \"out\"\ndirs = [\"static\"]\n",
    );
    // The dir is missing: E013, nothing written.
    let out = run(d, &["collectstatic", "--no-cache"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("E013") && err.contains("static"), "{err}");
    assert!(!d.join("out").exists());
    // It exists but everything in it is ignored: no files, an error.
    write(&d.join("static/.hidden"), "x");
    let out = run(d, &["collectstatic", "--no-cache"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no files to collect") && err.contains("--allow-empty"),
        "{err}"
    );
    assert!(!d.join("out/staticfiles.json").exists());
    // --allow-empty: an empty manifest, exit 0.
    let out = run(d, &["collectstatic", "--no-cache", "--allow-empty"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(d.join("out/staticfiles.json").is_file());
}

#[test]
fn warnings_on_a_pipe_carry_no_terminal_escapes() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    write(
        &d.join("rcollect.toml"),
        "static_root = \"out\"\ndirs = [\"static\", \"missing\"]\n",
    );
    write(&d.join("static/a.css"), "a{}");
    let out = run(d, &["collectstatic", "--no-cache", "--allow-empty"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("W004"), "{err}");
    assert!(!err.contains('\x1b'), "{err:?}");
}

#[test]
fn dry_run_lists_what_would_be_written_and_the_summary_counts_dropped_variants() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    write(
        &d.join("rcollect.toml"),
        "static_root = \"out\"\ndirs = [\"static\"]\n",
    );
    write(&d.join("static/a.css"), "a { color: red }\n".repeat(50));
    // Random-looking bytes: no variant saves 5%.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    write(&d.join("static/b.js"), noise);
    let out = run(d, &["collectstatic", "--no-cache", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    let listed: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("would write "))
        .collect();
    assert_eq!(listed.len(), 2, "{err}");
    assert!(
        listed
            .iter()
            .any(|l| l.contains("out/a.") && l.ends_with(".css")),
        "{err}"
    );
    assert!(!d.join("out").join("staticfiles.json").exists());

    let out = run(d, &["collectstatic", "--no-cache", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    // b.js: br and gzip were tried and dropped; a.css keeps both.
    assert_eq!(v["dropped_variants"], 2, "{v:#}");
    assert_eq!(v["written"].as_array().map(Vec::len), Some(2), "{v:#}");
    let out = run(d, &["collectstatic", "--no-cache", "-v"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("0 not kept under min_saving"), "{text}");
}

/// Issue 23: HTML pages under the source dirs have their `<script src>`,
/// `<link href>` and `<img src>` rewritten to hashed names, like CSS
/// `url()`s, and what they load is recorded in the manifest's reference
/// graph; links to pages, comments and scripts' text are left alone; a
/// missing file is a warning naming the page and line.
#[test]
fn html_pages_are_rewritten_and_their_references_recorded() {
    let page = "<!doctype html>\n<link rel=stylesheet href=\"css/app.css?v=1\">\n\
        <link rel=icon href=\"/static/favicon.svg\">\n\
        <link rel=canonical href=\"index.html\">\n\
        <script type=module src=js/app.js></script>\n\
        <!-- <img src=\"img/gone.png\"> -->\n\
        <script>let s = '<img src=img/gone.png>';</script>\n\
        <img src='img/a.svg' alt=\"\"><a href=\"other.html\">other</a>\n";
    let t = project(&[
        ("index.html", page.as_bytes()),
        ("css/app.css", b"body { background: url(../img/a.svg) }"),
        ("js/app.js", b"import './dep.js';"),
        ("js/dep.js", b"export {};"),
        ("img/a.svg", b"<svg/>"),
        ("favicon.svg", b"<svg><!-- icon --></svg>"),
    ]);
    collect(t.path(), &["--root", "out", "--dir", "src"]);
    let root = t.path().join("out");
    let m = manifest(&root);
    let name = |l: &str| basename(hashed(&m, l)).to_string();
    let html = read(&root, hashed(&m, "index.html"));
    for (written, logical) in [
        ("css/", "css/app.css"),
        ("/static/", "favicon.svg"),
        ("js/", "js/app.js"),
        ("img/", "img/a.svg"),
    ] {
        let rewritten = format!("{written}{}", name(logical));
        assert!(html.contains(&rewritten), "{rewritten} not in:\n{html}");
    }
    assert!(
        html.contains(&format!("{}?v=1", name("css/app.css"))),
        "{html}"
    );
    for kept in [
        "href=\"index.html\"",
        "<img src=\"img/gone.png\">",
        "'<img src=img/gone.png>'",
        "href=\"other.html\"",
    ] {
        assert!(html.contains(kept), "{kept} changed:\n{html}");
    }
    // The unhashed copy is the same page; the graph has what it loads
    // (not the icon).
    assert_eq!(read(&root, "index.html"), html);
    assert_eq!(
        m["references"][hashed(&m, "index.html")],
        serde_json::json!([
            hashed(&m, "css/app.css"),
            hashed(&m, "img/a.svg"),
            hashed(&m, "js/app.js")
        ])
    );

    // A page naming a missing file (a vendored package's demo, say) does not
    // fail the collect: the reference is left as written, with a warning
    // naming the page and line; `check --references` says W006.
    write(
        &t.path().join("src/docs/guide.html"),
        "<p>\n<img src=\"../img/missing.png\">\n",
    );
    let out = run(
        t.path(),
        &[
            "collectstatic",
            "--root",
            "out",
            "--dir",
            "src",
            "--no-cache",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("docs/guide.html:2") && err.contains("../img/missing.png"),
        "{err}"
    );
    let m = manifest(&root);
    assert!(read(&root, hashed(&m, "docs/guide.html")).contains("\"../img/missing.png\""));
    let out = run(
        t.path(),
        &["check", "--references", "--root", "out", "--dir", "src"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "a warning: {text}");
    assert!(
        text.contains("W006") && text.contains("missing.png"),
        "{text}"
    );
}
