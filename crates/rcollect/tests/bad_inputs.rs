//! Bad inputs to `rcollect collectstatic`, end to end with the real binary:
//! a large CSS file, a flood of broken references, many tiny files, deep
//! nesting, odd names (served back too), names near NAME_MAX, symlink loops,
//! symlinks that leave the source dir or lead into STATIC_ROOT, empty files,
//! bytes that are not UTF-8 and files that change while they are collected.
//! Each must give a correct result or an error naming the file, and never a
//! panic.
//!
//! Non-UTF-8 CSS content is covered in `tests/collect.rs`
//! (`non_utf8_css_is_collected_byte_for_byte_around_references`), and so are
//! spaces, `é` and `#` in names referenced from CSS
//! (`names_with_spaces_unicode_hash_and_question_marks`); the tests here add
//! `?` and `%` in names, directory names, and serving them. The long variants
//! (50 MB with compression, 100k files, nesting to PATH_MAX, degenerate
//! CSS/JS) are in `scripts/bad-inputs.sh`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use serde_json::Value;

use crate::common as support;
use support::{basename, http, run, sha256_hex, walk, write};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts the run did not panic (whatever its exit status).
fn no_panic(out: &Output) {
    let err = stderr(out);
    assert!(!err.contains("panicked"), "rcollect panicked:\n{err}");
    assert_ne!(out.status.code(), Some(101), "exit 101 (panic):\n{err}");
}

/// `collectstatic --root out --dir src --no-cache` plus `extra`.
fn collect_src(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "collectstatic",
        "--no-input",
        "--root",
        "out",
        "--dir",
        "src",
        "--no-cache",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = run(dir, &args);
    no_panic(&out);
    out
}

/// As [`collect_src`], asserting success; returns the JSON summary.
fn collect_ok(dir: &Path, extra: &[&str]) -> Value {
    let out = collect_src(dir, extra);
    assert!(
        out.status.success(),
        "collectstatic failed:\n{}",
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout).expect("json summary")
}

/// Asserts exit status 1 and returns stderr.
fn collect_fails(dir: &Path) -> String {
    let out = collect_src(dir, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    stderr(&out)
}

fn manifest(root: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(root.join("staticfiles.json")).expect("manifest"))
        .expect("json")
}

fn hashed(m: &Value, logical: &str) -> String {
    m["paths"][logical]
        .as_str()
        .unwrap_or_else(|| panic!("{logical} not in manifest"))
        .to_string()
}

/// `hay` with the one occurrence of `from` replaced by `to`.
fn replace(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = hay
        .windows(from.len())
        .position(|w| w == from)
        .expect("occurrence");
    [&hay[..at], to, &hay[at + from.len()..]].concat()
}

/// `rcollect check --manifest` passes on `dir/out`: every file the manifest
/// names has its size and SHA-256, every variant decodes to its file, and
/// STATIC_ROOT is up to date with `dir/src`.
fn check_manifest(dir: &Path) {
    let out = run(
        dir,
        &["check", "--manifest", "--root", "out", "--dir", "src"],
    );
    no_panic(&out);
    assert!(
        out.status.success(),
        "check --manifest failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
}

/// The STATIC_ROOT half of [`check_manifest`], for when the sources cannot
/// be walked or have changed since: no E020-E024 finding (E010 and E031 are
/// allowed).
fn check_static_root(dir: &Path) {
    let out = run(
        dir,
        &[
            "check",
            "--manifest",
            "--root",
            "out",
            "--dir",
            "src",
            "--format",
            "json",
        ],
    );
    no_panic(&out);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let bad: Vec<&Value> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["id"].as_str().is_some_and(|id| id.starts_with("E02")))
        .collect();
    assert!(
        bad.is_empty(),
        "STATIC_ROOT does not match its manifest: {bad:?}"
    );
}

/// Percent-encodes a URL path (everything but unreserved characters and `/`).
fn url_encode(path: &str) -> String {
    let mut s = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// A CSS file of about 50 MB (one reference per rule, to two files, one of
/// them with a space in its name), compression off so the test stays fast:
/// every reference is rewritten, nothing else changes, the manifest records
/// the right size and SHA-256.
#[test]
fn large_css_is_rewritten_completely() {
    let t = tempfile::tempdir().expect("tempdir");
    let src = t.path().join("src");
    write(&src.join("img/a b.svg"), "<svg/>");
    write(&src.join("img/x.png"), b"\x89PNG\r\n\x1a\n");
    let rule = |i: usize| {
        format!(
            ".c{i} {{ background: url(\"../img/a%20b.svg\") no-repeat; color: #abc; margin: 0 auto; }}\n\
             .d{i} {{ background-image: url(../img/x.png); border: 1px solid red; padding: 1px 2px; }}\n"
        )
    };
    let mut css = String::with_capacity(51 << 20);
    let mut rules = 0;
    while css.len() < 50 << 20 {
        css.push_str(&rule(rules));
        rules += 1;
    }
    write(&src.join("css/big.css"), &css);
    write(
        &t.path().join("rcollect.toml"),
        "[compress]\ngzip = false\nbrotli = false\n",
    );
    let summary = collect_ok(t.path(), &[]);
    assert_eq!(summary["post_processed"], 1);
    let root = t.path().join("out");
    let m = manifest(&root);
    let svg = basename(&hashed(&m, "img/a b.svg")).replace(' ', "%20");
    let png = basename(&hashed(&m, "img/x.png")).to_string();
    let expected = css
        .replace("a%20b.svg", &svg)
        .replace("x.png)", &format!("{png})"));
    let h = hashed(&m, "css/big.css");
    let got = std::fs::read(root.join(&h)).expect("read");
    assert!(got.len() > 50 << 20);
    assert!(got == expected.as_bytes(), "rewritten CSS differs");
    let meta = &m["files"][&h];
    assert_eq!(meta["size"].as_u64(), Some(got.len() as u64));
    assert_eq!(meta["sha256"].as_str(), Some(sha256_hex(&got).as_str()));
    assert!(meta["variants"].as_object().is_none_or(|v| v.is_empty()));
    assert!(!root.join(format!("{h}.br")).exists());
    assert_eq!(
        std::fs::read(root.join("css/big.css")).expect("unhashed copy"),
        got
    );
}

/// A large file that is not really CSS can hold millions of broken
/// references (50 MB of `url("` gave 5.2 million, 456 MB of error text and
/// 2.3 GB of RSS): the error lists the first 20 and counts the rest, and
/// `check --references` counts them all too.
#[test]
fn a_flood_of_broken_references_is_summarised() {
    let t = tempfile::tempdir().expect("tempdir");
    let src = t.path().join("src");
    write(&src.join("a.css"), "url(\"".repeat(30_000));
    write(
        &src.join("b.css"),
        "b{background:url(nope.png)}\n".repeat(3),
    );
    let err = collect_fails(t.path());
    assert!(
        err.lines().count() <= 25,
        "{} lines:\n{err}",
        err.lines().count()
    );
    assert!(err.contains("a.css:1: reference to missing file"), "{err}");
    // 15,000 in a.css (`url("` takes the next `url(` as its string), 3 in b.css.
    assert!(
        err.contains("... and 14983 more references to missing files"),
        "{err}"
    );
    let out = run(
        t.path(),
        &["check", "--references", "--root", "out", "--dir", "src"],
    );
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("and 14983 more broken references"), "{text}");
}

/// 5,000 tiny files (plus one CSS file that references each of them): all
/// collected, every reference rewritten, and a second run changes nothing.
#[test]
fn many_tiny_files() {
    const N: usize = 5_000;
    let t = tempfile::tempdir().expect("tempdir");
    let src = t.path().join("src");
    let mut css = String::new();
    for i in 0..N {
        let name = format!("t/{:02}/f{i}.txt", i % 50);
        write(&src.join(&name), format!("{i}"));
        css.push_str(&format!(".f{i}{{background:url(../{name})}}\n"));
    }
    write(&src.join("css/all.css"), &css);
    let summary = collect_ok(t.path(), &[]);
    assert_eq!(summary["collected"].as_u64(), Some(N as u64 + 1));
    let root = t.path().join("out");
    let m = manifest(&root);
    assert_eq!(m["paths"].as_object().map(|p| p.len()), Some(N + 1));
    let out_css =
        String::from_utf8(std::fs::read(root.join(hashed(&m, "css/all.css"))).expect("read"))
            .expect("utf8");
    for (i, line) in out_css.lines().enumerate() {
        let h = hashed(&m, &format!("t/{:02}/f{i}.txt", i % 50));
        assert_eq!(line, format!(".f{i}{{background:url(../{h})}}"));
        if i % 500 == 0 {
            assert_eq!(
                std::fs::read(root.join(&h)).expect("file"),
                i.to_string().as_bytes()
            );
        }
    }
    check_manifest(t.path());
    let again = collect_ok(t.path(), &[]);
    assert_eq!(again["collected"], 0);
    assert_eq!(again["manifest_changed"], false);
}

/// 200 nested directories: a file at the bottom references the top with 200
/// `..` segments, the top references the bottom, both are rewritten.
#[test]
fn deeply_nested_dirs() {
    const DEPTH: usize = 200;
    let t = tempfile::tempdir().expect("tempdir");
    let src = t.path().join("src");
    let deep = vec!["d"; DEPTH].join("/");
    write(&src.join(format!("{deep}/leaf.svg")), "<svg/>");
    write(
        &src.join(format!("{deep}/leaf.css")),
        format!(
            "a{{background:url({}/top.svg)}}",
            vec![".."; DEPTH].join("/")
        ),
    );
    write(&src.join("top.svg"), "<svg id='top'/>");
    write(
        &src.join("top.css"),
        format!("@import \"{deep}/leaf.css\";\nb{{background:url({deep}/leaf.svg)}}\n"),
    );
    collect_ok(t.path(), &[]);
    let root = t.path().join("out");
    let m = manifest(&root);
    let leaf_css = hashed(&m, &format!("{deep}/leaf.css"));
    let leaf_svg = hashed(&m, &format!("{deep}/leaf.svg"));
    let top = String::from_utf8(std::fs::read(root.join(hashed(&m, "top.css"))).expect("read"))
        .expect("utf8");
    assert_eq!(
        top,
        format!("@import \"{leaf_css}\";\nb{{background:url({leaf_svg})}}\n")
    );
    let leaf = String::from_utf8(std::fs::read(root.join(&leaf_css)).expect("read")).expect("utf8");
    assert_eq!(
        leaf,
        format!(
            "a{{background:url({}/{})}}",
            vec![".."; DEPTH].join("/"),
            hashed(&m, "top.svg")
        )
    );
    check_manifest(t.path());
}

/// Names with spaces, non-ASCII, `#`, `?` and `%`, in file and directory
/// names: references to them (percent-encoded) are rewritten to the
/// percent-encoded hashed name, and `rcollect serve` serves every name in
/// the manifest, hashed and unhashed, at its percent-encoded URL.
#[test]
fn odd_names_are_rewritten_encoded_and_served() {
    let t = tempfile::tempdir().expect("tempdir");
    let src = t.path().join("src");
    let files: [(&str, &[u8]); 7] = [
        ("q?.svg", b"<svg id='q'/>"),
        ("100%.svg", b"<svg id='pct'/>"),
        ("x#y.svg", b"<svg id='hash'/>"),
        ("a b/c d.svg", b"<svg id='space'/>"),
        ("\u{e9}t\u{e9}/\u{fc} \u{6f22}.svg", b"<svg id='u'/>"),
        ("d#?%/n.svg", b"<svg id='dir'/>"),
        ("sp ace.css", b"i{color:red}"),
    ];
    for (name, body) in files {
        write(&src.join(name), body);
    }
    write(
        &src.join("app.css"),
        "a{background:url(q%3F.svg)}\n\
         b{background:url('100%25.svg')}\n\
         c{background:url(x%23y.svg#frag)}\n\
         d{background:url(\"a b/c d.svg\")}\n\
         e{background:url(a%20b/c%20d.svg?v=1)}\n\
         f{background:url(%C3%A9t%C3%A9/%C3%BC%20%E6%BC%A2.svg)}\n\
         g{background:url(d%23%3F%25/n.svg)}\n\
         @import \"sp%20ace.css\";\n",
    );
    collect_ok(t.path(), &[]);
    let root = t.path().join("out");
    let m = manifest(&root);
    let name = |logical: &str| hashed(&m, logical).rsplit('/').next().map(String::from);
    let enc = |logical: &str| url_encode(&name(logical).expect("name"));
    let css = String::from_utf8(std::fs::read(root.join(hashed(&m, "app.css"))).expect("read"))
        .expect("utf8");
    let expected = format!(
        "a{{background:url({})}}\n\
         b{{background:url('{}')}}\n\
         c{{background:url({}#frag)}}\n\
         d{{background:url(\"a b/{}\")}}\n\
         e{{background:url(a%20b/{}?v=1)}}\n\
         f{{background:url(%C3%A9t%C3%A9/{})}}\n\
         g{{background:url(d%23%3F%25/{})}}\n\
         @import \"{}\";\n",
        enc("q?.svg"),
        enc("100%.svg"),
        enc("x#y.svg"),
        enc("a b/c d.svg"),
        enc("a b/c d.svg"),
        enc("\u{e9}t\u{e9}/\u{fc} \u{6f22}.svg"),
        enc("d#?%/n.svg"),
        enc("sp ace.css"),
    );
    assert_eq!(css, expected);
    // The hashed name keeps the odd characters as they are on disk.
    assert!(hashed(&m, "q?.svg").starts_with("q?."));
    check_manifest(t.path());

    let server = support::start(t.path(), &["--root", "out"]);
    let paths = m["paths"].as_object().expect("paths");
    assert_eq!(paths.len(), files.len() + 1);
    for (logical, h) in paths {
        let h = h.as_str().expect("str");
        let bytes = std::fs::read(root.join(h)).expect("collected file");
        for name in [h, logical.as_str()] {
            let url = format!("/static/{}", url_encode(name));
            let r = http(server.addr, "GET", &url, "");
            assert_eq!(r.status, 200, "{url} ({logical}): {}", r.head);
            assert_eq!(r.body, bytes, "{url}");
        }
    }
}

/// File names near NAME_MAX (255 bytes on Linux): a 242-byte name whose
/// hashed name is exactly 255 bytes is collected (its temp name is shorter
/// than 255 bytes too); a 255-byte name, whose hashed name cannot exist, is
/// an error naming the file.
#[cfg(target_os = "linux")]
#[test]
fn file_names_near_name_max() {
    let t = tempfile::tempdir().expect("tempdir");
    let src = t.path().join("src");
    let fits = format!("{}.png", "n".repeat(238));
    assert_eq!(fits.len(), 242);
    write(&src.join(&fits), b"\x89PNG\r\n\x1a\n");
    write(&src.join("a.css"), format!("a{{background:url({fits})}}"));
    collect_ok(t.path(), &[]);
    let m = manifest(&t.path().join("out"));
    assert_eq!(hashed(&m, &fits).len(), 255);
    check_manifest(t.path());

    let too_long = format!("{}.png", "m".repeat(251));
    write(&src.join(&too_long), b"\x89PNG\r\n\x1a\n");
    let err = collect_fails(t.path());
    assert!(
        err.contains(&too_long[..200]) && err.contains("File name too long"),
        "{err}"
    );
}

/// Symlink loops of three kinds (a link to itself, two links to each other,
/// a directory link to its ancestor) make collect fail with exit 1, naming
/// the link, leaving the previous manifest as it was.
#[cfg(unix)]
#[test]
fn symlink_loops_fail_naming_the_link() {
    use std::os::unix::fs::symlink;
    // (the name the error must show, [(link, what it points to)])
    let cases: [(&str, &[(&str, &str)]); 3] = [
        ("itself", &[("itself", "itself")]),
        ("ping", &[("ping", "pong"), ("pong", "ping")]),
        ("back-up", &[("d/e/back-up", "../..")]),
    ];
    for (link, links) in cases {
        let t = tempfile::tempdir().expect("tempdir");
        let src = t.path().join("src");
        write(&src.join("d/e/a.css"), "a{}");
        collect_ok(t.path(), &[]);
        let before = std::fs::read(t.path().join("out/staticfiles.json")).expect("manifest");
        for (at, to) in links {
            symlink(to, src.join(at)).expect("symlink");
        }
        let err = collect_fails(t.path());
        assert!(err.contains(link), "{link}: {err}");
        assert!(
            err.contains("symlink loop") || err.contains("Too many levels of symbolic links"),
            "{link}: {err}"
        );
        assert_eq!(
            std::fs::read(t.path().join("out/staticfiles.json")).expect("manifest"),
            before
        );
        check_static_root(t.path());
        // `rcollect check` reports it too (E010), naming the link.
        let out = run(t.path(), &["check", "--root", "out", "--dir", "src"]);
        no_panic(&out);
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("E010") && text.contains(link), "{text}");
    }
}

/// The documented policy (RELIABILITY.md, "Symlink policy"): symlinks are
/// followed, also out of the source dir; the files they lead to are
/// collected under the link's logical path. A dangling link is an error
/// naming it.
#[cfg(unix)]
#[test]
fn symlinks_out_of_the_source_dir_are_followed() {
    use std::os::unix::fs::symlink;
    let t = tempfile::tempdir().expect("tempdir");
    let src = t.path().join("src");
    write(&t.path().join("node_modules/lib/dist/lib.css"), "l{}");
    write(&t.path().join("node_modules/lib/dist/img/i.svg"), "<svg/>");
    write(
        &t.path().join("node_modules/lib/dist/ref.css"),
        "r{background:url(img/i.svg)}",
    );
    write(&t.path().join("outside.css"), "o{background:url(a.svg)}");
    write(&src.join("a.svg"), "<svg id='a'/>");
    symlink("../node_modules/lib/dist", src.join("vendor")).expect("symlink");
    symlink(t.path().join("outside.css"), src.join("outside.css")).expect("symlink");
    collect_ok(t.path(), &[]);
    let root = t.path().join("out");
    let m = manifest(&root);
    for logical in [
        "a.svg",
        "outside.css",
        "vendor/lib.css",
        "vendor/img/i.svg",
        "vendor/ref.css",
    ] {
        hashed(&m, logical);
    }
    assert_eq!(
        std::fs::read(root.join(hashed(&m, "vendor/lib.css"))).expect("read"),
        b"l{}"
    );
    // References resolve by logical path (the link's), not the target's.
    let outside = std::fs::read(root.join(hashed(&m, "outside.css"))).expect("read");
    assert_eq!(
        outside,
        format!("o{{background:url({})}}", hashed(&m, "a.svg")).as_bytes()
    );
    let r = std::fs::read(root.join(hashed(&m, "vendor/ref.css"))).expect("read");
    assert_eq!(
        r,
        format!(
            "r{{background:url(img/{})}}",
            basename(&hashed(&m, "vendor/img/i.svg"))
        )
        .as_bytes()
    );
    // Collected files are copies, not links to the outside.
    assert!(
        !std::fs::symlink_metadata(root.join(hashed(&m, "vendor/lib.css")))
            .expect("meta")
            .file_type()
            .is_symlink()
    );
    check_manifest(t.path());

    symlink(t.path().join("nowhere.css"), src.join("dangling.css")).expect("symlink");
    let err = collect_fails(t.path());
    assert!(err.contains("dangling.css"), "{err}");
}

/// A symlink in a source dir that leads into STATIC_ROOT, or to a directory
/// that contains it, would make collect read its own output (each run would
/// collect the previous run's files again under longer names): it is an
/// error naming the link, and STATIC_ROOT is left as it was.
#[cfg(unix)]
#[test]
fn symlink_into_static_root_is_refused() {
    use std::os::unix::fs::symlink;
    for (link, to) in [("published", "../site/out"), ("site", "../site")] {
        let t = tempfile::tempdir().expect("tempdir");
        let src = t.path().join("src");
        write(&src.join("a.css"), "a{}");
        let args = [
            "collectstatic",
            "--no-input",
            "--root",
            "site/out",
            "--dir",
            "src",
            "--no-cache",
        ];
        let out = run(t.path(), &args);
        assert!(out.status.success(), "{}", stderr(&out));
        let listing = || {
            let mut v: Vec<_> = std::fs::read_dir(t.path().join("site/out"))
                .expect("ls")
                .map(|e| e.expect("entry").file_name())
                .collect();
            v.sort();
            v
        };
        let before = (
            std::fs::read(t.path().join("site/out/staticfiles.json")).expect("manifest"),
            listing(),
        );
        symlink(to, src.join(link)).expect("symlink");
        let out = run(t.path(), &args);
        no_panic(&out);
        assert_eq!(out.status.code(), Some(1), "{link}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("src/{link}")) && err.contains("STATIC_ROOT"),
            "{link}: {err}"
        );
        let after = (
            std::fs::read(t.path().join("site/out/staticfiles.json")).expect("manifest"),
            listing(),
        );
        assert_eq!(before, after, "{link}: STATIC_ROOT changed");
        let out = run(t.path(), &["check", "--root", "site/out", "--dir", "src"]);
        no_panic(&out);
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("E010") && text.contains(link), "{text}");
    }
}

/// Empty files of several types: collected with size 0 and no variants
/// (compression on), referenced from CSS, and served as empty 200s; a range
/// of an empty file is not satisfiable.
#[test]
fn empty_files() {
    let t = tempfile::tempdir().expect("tempdir");
    let src = t.path().join("src");
    for name in ["empty.css", "empty.js", "empty.svg", "empty.png", "EMPTY"] {
        write(&src.join(name), "");
    }
    write(&src.join("uses.css"), "u{background:url(empty.svg)}");
    collect_ok(t.path(), &[]);
    let root = t.path().join("out");
    let m = manifest(&root);
    for name in ["empty.css", "empty.js", "empty.svg", "empty.png", "EMPTY"] {
        let h = hashed(&m, name);
        let meta = &m["files"][&h];
        assert_eq!(meta["size"], 0, "{name}");
        assert_eq!(meta["sha256"].as_str(), Some(sha256_hex(b"").as_str()));
        assert!(meta["variants"].as_object().is_none_or(|v| v.is_empty()));
        assert!(!root.join(format!("{h}.br")).exists() && !root.join(format!("{h}.gz")).exists());
        assert_eq!(std::fs::read(root.join(&h)).expect("read"), b"");
    }
    let uses = std::fs::read(root.join(hashed(&m, "uses.css"))).expect("read");
    assert_eq!(
        uses,
        format!("u{{background:url({})}}", hashed(&m, "empty.svg")).as_bytes()
    );
    check_manifest(t.path());

    let server = support::start(t.path(), &["--root", "out"]);
    let url = format!("/static/{}", hashed(&m, "empty.css"));
    let r = http(server.addr, "GET", &url, "Accept-Encoding: br, gzip\r\n");
    assert_eq!(r.status, 200, "{}", r.head);
    assert!(r.body.is_empty());
    assert!(
        !r.head.to_ascii_lowercase().contains("content-encoding"),
        "{}",
        r.head
    );
    let r = http(server.addr, "GET", &url, "Range: bytes=0-0\r\n");
    assert!(r.status == 416 || r.status == 200, "{}", r.head);
    assert!(r.body.is_empty());
    let r = http(server.addr, "HEAD", "/static/EMPTY", "");
    assert_eq!(r.status, 200, "{}", r.head);
}

/// A file name that is not UTF-8 is an error naming the file (exit 1); bytes
/// that are not UTF-8 inside a reference, in JS, or a UTF-16 CSS file are
/// left as they are.
#[cfg(unix)]
#[test]
fn non_utf8_names_and_references() {
    use std::os::unix::ffi::OsStrExt;
    let t = tempfile::tempdir().expect("tempdir");
    let src = t.path().join("src");
    write(&src.join("i.svg"), "<svg/>");
    let bad_ref = b"a{background:url(\xff\xfe.svg)}\nb{background:url(i.svg)}\n".to_vec();
    write(&src.join("bad-ref.css"), &bad_ref);
    let js = b"// \xe9t\xe9\nimport \"./x\xff.js\";\nconst s = '\xc3';\nimport('./m.js');\n";
    write(&src.join("latin1.js"), js);
    write(&src.join("m.js"), "export {}");
    let utf16: Vec<u8> = "\u{feff}a{background:url(i.svg)}"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    write(&src.join("utf16.css"), &utf16);
    collect_ok(t.path(), &[]);
    let root = t.path().join("out");
    let m = manifest(&root);
    let i = hashed(&m, "i.svg");
    assert_eq!(
        std::fs::read(root.join(hashed(&m, "bad-ref.css"))).expect("read"),
        replace(&bad_ref, b"url(i.svg)", format!("url({i})").as_bytes())
    );
    assert_eq!(
        std::fs::read(root.join(hashed(&m, "latin1.js"))).expect("read"),
        replace(
            js,
            b"'./m.js'",
            format!("'./{}'", hashed(&m, "m.js")).as_bytes()
        )
    );
    assert_eq!(
        std::fs::read(root.join(hashed(&m, "utf16.css"))).expect("read"),
        utf16
    );
    check_manifest(t.path());

    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.css");
    write(&src.join(name), "c{}");
    let err = collect_fails(t.path());
    assert!(
        err.contains("caf") && err.contains("not valid UTF-8"),
        "{err}"
    );
}

/// A background thread rewrites two files in place (same size, different
/// bytes; and a CSS file with a reference, whose length changes) while
/// collect runs, again and again. Each run either succeeds with a
/// consistent STATIC_ROOT (`check --manifest` passes; each hashed name is
/// the hash of its bytes) or fails naming the file; a run after the writer
/// stops succeeds.
#[test]
fn file_changing_while_it_is_collected() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let t = tempfile::tempdir().expect("tempdir");
    let src = t.path().join("src");
    let blob = |v: u8| vec![v; 4 << 20];
    let css = |v: usize| {
        format!(
            "a{{background:url(i.svg)}}\n{}",
            "/* pad */\n".repeat(v % 97)
        )
    };
    write(&src.join("blob.bin"), blob(b'a'));
    write(&src.join("i.svg"), "<svg/>");
    write(&src.join("c.css"), css(0));
    write(&src.join("other.css"), "o{}");

    let stop = Arc::new(AtomicBool::new(false));
    let writes = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (stop, writes, src) = (stop.clone(), writes.clone(), src.clone());
        std::thread::spawn(move || {
            let mut v = 0usize;
            while !stop.load(Ordering::Relaxed) {
                v += 1;
                // In place, no truncation: a reader can see a mix of versions.
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(src.join("blob.bin"))
                    .expect("open");
                for chunk in blob(b'a' + (v % 26) as u8).chunks(64 << 10) {
                    f.write_all(chunk).expect("write");
                }
                drop(f);
                std::fs::write(src.join("c.css"), css(v)).expect("write");
                writes.fetch_add(1, Ordering::Relaxed);
                // Pauses of 0-90 ms, so that some runs see no change at all.
                std::thread::sleep(Duration::from_millis((v as u64 * 37) % 100));
            }
        })
    };
    let (mut ok, mut failed) = (0, 0);
    for _ in 0..10 {
        let out = collect_src(t.path(), &[]);
        if out.status.success() {
            ok += 1;
            verify_names(t.path());
            check_static_root(t.path());
        } else {
            failed += 1;
            assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
            let err = stderr(&out);
            if failed == 1 {
                eprintln!("first error: {err}");
            }
            assert!(
                err.contains("blob.bin") || err.contains("c.css"),
                "the error must name the file: {err}"
            );
            // The previous manifest, if any, is still valid.
            if t.path().join("out/staticfiles.json").exists() {
                verify_names(t.path());
                check_static_root(t.path());
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("writer");
    assert!(writes.load(Ordering::Relaxed) > 0);
    eprintln!("while the files changed: {ok} runs succeeded, {failed} failed naming the file");
    collect_ok(t.path(), &[]);
    verify_names(t.path());
    check_manifest(t.path());
    let m = manifest(&t.path().join("out"));
    assert_eq!(
        std::fs::read(t.path().join("out").join(hashed(&m, "blob.bin"))).expect("read"),
        std::fs::read(src.join("blob.bin")).expect("read")
    );
}

/// Each hashed name `<stem>.<12 hex>.<ext>` carries the first 12 hex digits
/// of the SHA-256 of its bytes (there are no reference cycles here), and the
/// unhashed copy has the same bytes.
fn verify_names(dir: &Path) {
    let root: PathBuf = dir.join("out");
    let m = manifest(&root);
    for (logical, h) in m["paths"].as_object().expect("paths") {
        let h = h.as_str().expect("str");
        let bytes = std::fs::read(root.join(h)).expect("hashed file");
        let name_hash = h.rsplit('.').nth(1).expect("hash in name");
        assert_eq!(name_hash, &sha256_hex(&bytes)[..12], "{h}");
        assert_eq!(
            std::fs::read(root.join(logical)).expect("unhashed"),
            bytes,
            "{logical}"
        );
    }
}

// ------------------------------------------ names rcollect writes (issue 12)

/// Every file under `dir/out` with its bytes, to compare before and after.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    walk(&dir.join("out"))
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read");
            (p, bytes)
        })
        .collect()
}

#[test]
fn sources_named_like_rcollect_outputs_are_refused_and_nothing_is_lost() {
    let t = tempfile::tempdir().expect("tempdir");
    let dir = t.path();
    write(&dir.join("src/css/app.css"), "body{color:red}");
    write(&dir.join("src/robots.txt"), "User-agent: *");
    collect_ok(dir, &[]);
    let first = manifest(&dir.join("out"));
    let app_hashed = hashed(&first, "css/app.css");
    let before = snapshot(dir);

    // Each of these names belongs to an output of rcollect's own.
    let intruders = [
        ("staticfiles.json", "the manifest".to_string()),
        (
            "staticfiles.20260101T000000.000Z.json",
            "a previous manifest version".to_string(),
        ),
        (
            app_hashed.as_str(),
            "the collected name of 'css/app.css'".to_string(),
        ),
        (
            &*format!("{app_hashed}.gz"),
            "the collected name of 'css/app.css'".to_string(),
        ),
    ];
    for (name, what) in &intruders {
        let src = dir.join("src").join(name);
        write(&src, "{\"paths\": {}, \"not\": \"yours\"}");
        let err = collect_fails(dir);
        assert!(err.contains(&src.display().to_string()), "{name}: {err}");
        assert!(err.contains(what.as_str()), "{name}: {err}");
        if what.contains("app.css") {
            // Both files are named.
            assert!(err.contains("src/css/app.css"), "{err}");
        }
        assert_eq!(snapshot(dir), before, "{name}: STATIC_ROOT changed");
        check_static_root(dir);
        std::fs::remove_file(&src).expect("rm");
    }
    // Without the intruders, the next collect is a no-op.
    collect_ok(dir, &[]);
    assert_eq!(manifest(&dir.join("out")), first);
}

#[cfg(unix)]
#[test]
fn every_output_has_one_mode_whatever_the_source_mode() {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().expect("tempdir");
    let dir = t.path();
    let css = dir.join("src/app.css");
    write(&css, "body { color: red; } ".repeat(100));
    write(&dir.join("src/img.svg"), "<svg/>");
    for f in [&css, &dir.join("src/img.svg")] {
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    collect_ok(dir, &[]);
    let out = walk(&dir.join("out"));
    assert!(
        out.iter().any(|p| p.to_string_lossy().ends_with(".css.gz")),
        "{out:?}"
    );
    for p in out {
        if p.file_name().is_some_and(|n| n == ".rcollect.lock") {
            continue;
        }
        let mode = std::fs::metadata(&p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{}", p.display());
    }
}

/// Issue 20: a newline (or an escape sequence) in a source file name is
/// printed escaped in collect's warnings and errors, so a file name cannot
/// forge a log line.
#[test]
fn newlines_in_names_cannot_forge_log_lines() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    let forged = "x\nerror: forged line\u{1b}[2J.css";
    // A missing reference in it: the error names the file.
    write(
        &d.join("src").join(forged),
        "a { background: url(gone.png) }",
    );
    let out = collect_src(d, &[]);
    no_panic(&out);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        !err.contains("\nerror: forged") && !err.contains('\u{1b}'),
        "{err:?}"
    );
    assert!(err.contains("x\\u{a}error: forged line"), "{err}");
    // Left as written (a warning) and shadowed (W002): the same.
    std::fs::write(d.join("src").join(forged), "a {}").expect("write");
    let more = d.join("more");
    write(&more.join(forged), "b {}");
    let out = collect_src(d, &["--dir", "more", "-v"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("W002"), "{err}");
    assert!(
        !err.contains("\nerror: forged") && !err.contains('\u{1b}'),
        "{err:?}"
    );
}
