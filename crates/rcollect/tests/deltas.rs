//! Dictionary-compressed deltas (RFC 9842): written by `collectstatic` for
//! a changed file against its previous version, verified by `check
//! --manifest`, and decoded by independent decoders (the `zstd` CLI and
//! Google's brotli 1.1 CLI, built by `scripts/google-brotli.sh`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

/// A bundle whose version 2 differs from version 1 in one line.
fn bundle(version: u32) -> String {
    let mut s = String::new();
    for i in 0..3000 {
        s.push_str(&format!(
            "function f{i}(a) {{ return a * {i} + {}; }}\n",
            i % 13
        ));
    }
    s.push_str(&format!("var VERSION = {version};\n"));
    s
}

struct Collected {
    dir: tempfile::TempDir,
    hashed: String,
    dictionary: String,
    sha: String,
    manifest: serde_json::Value,
}

fn collect_two_versions() -> Collected {
    collect_two_versions_with("")
}

/// As [`collect_two_versions`], with `extra` appended to the configuration.
fn collect_two_versions_with(extra: &str) -> Collected {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(
        &d.join("rcollect.toml"),
        format!("static_root = \"out\"\ndirs = [\"src\"]\ncache_dir = \"cache\"\n{extra}"),
    );
    let mut dictionary = String::new();
    for v in [1, 2] {
        write(&d.join("src/js/app.js"), bundle(v));
        let out = run(d, &["collectstatic", "--no-input"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if v == 1 {
            let m = read_manifest(&d.join("out"));
            dictionary = m["paths"]["js/app.js"].as_str().expect("path").to_string();
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let manifest = read_manifest(&d.join("out"));
    let hashed = manifest["paths"]["js/app.js"]
        .as_str()
        .expect("path")
        .to_string();
    Collected {
        sha: sha256_hex(bundle(1).as_bytes()),
        dir,
        hashed,
        dictionary,
        manifest,
    }
}

fn read_manifest(root: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(root.join("staticfiles.json")).expect("manifest"))
        .expect("json")
}

impl Collected {
    fn root(&self) -> PathBuf {
        self.dir.path().join("out")
    }
    fn delta(&self, coding: &str) -> PathBuf {
        let short = self.sha.get(..16).expect("sha");
        self.root()
            .join(format!("{}.{short}.{coding}", self.hashed))
    }
}

#[test]
fn collect_writes_deltas_and_check_verifies_them() {
    let c = collect_two_versions();
    let entry = &c.manifest["files"][c.hashed.as_str()]["deltas"][c.sha.as_str()];
    assert_eq!(
        entry["dictionary"].as_str(),
        Some(c.dictionary.as_str()),
        "{:#}",
        c.manifest
    );
    let br = c.manifest["files"][c.hashed.as_str()]["variants"]["br"]
        .as_u64()
        .expect("br");
    for coding in ["dcb", "dcz"] {
        let size = entry["encodings"][coding].as_u64().expect("size");
        assert_eq!(
            std::fs::metadata(c.delta(coding)).expect("delta").len(),
            size
        );
        assert!(size * 50 < br, "{coding}: {size} bytes, br {br}");
    }
    let ok = run(c.dir.path(), &["check", "--manifest"]);
    // The compression cache holds them (by content, dictionary and settings).
    for key in ["dcb-q11-rs8", "dcz-19-v013"] {
        let cached = walk(&c.dir.path().join("cache").join(key));
        assert_eq!(cached.len(), 1, "{key}: {cached:?}");
    }
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );

    // A corrupted delta (same size) is found and named.
    let path = c.delta("dcz");
    let mut bytes = std::fs::read(&path).expect("read");
    if let Some(last) = bytes.last_mut() {
        *last ^= 0xff;
    }
    std::fs::write(&path, bytes).expect("write");
    let bad = run(c.dir.path(), &["check", "--manifest"]);
    let text =
        String::from_utf8_lossy(&bad.stdout).to_string() + &String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success(), "{text}");
    assert!(
        text.contains("dcz delta") && text.contains(&c.hashed),
        "{text}"
    );

    // `clean` keeps the deltas the live manifest names.
    let out = run(
        c.dir.path(),
        &["clean", "--keep", "1", "--older-than", "0s"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(c.delta("dcb").is_file() && c.delta("dcz").is_file());
}

#[test]
fn a_source_file_named_like_a_delta_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(&d.join("src/app.js"), "var a = 1;\n");
    write(&d.join("src/app.js.0123456789abcdef.dcb"), "not a delta");
    let out = run(
        d,
        &[
            "collectstatic",
            "--no-input",
            "--root",
            "out",
            "--dir",
            "src",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("app.js.0123456789abcdef.dcb") && err.contains("delta"),
        "{err}"
    );
    assert!(!d.join("out/staticfiles.json").exists());
}

/// The header (magic + SHA-256 of the dictionary) checked and stripped.
fn body_after_header(delta: &[u8], magic: &[u8], sha: &str) -> Vec<u8> {
    let rest = delta.strip_prefix(magic).expect("magic");
    let (digest, body) = rest.split_at(32);
    assert_eq!(rcollect_core::hash::hex(digest), sha);
    body.to_vec()
}

/// Google's brotli CLI ≥ 1.1 (Debian's 1.0.9 has no dictionary option).
fn google_brotli() -> PathBuf {
    let path = std::env::var_os("RCOLLECT_GOOGLE_BROTLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/tools/brotli-1.1.0/brotli")
        });
    assert!(
        path.is_file(),
        "{} is missing: run scripts/google-brotli.sh",
        path.display()
    );
    path
}

#[test]
#[ignore = "needs the zstd CLI and Google's brotli 1.1 CLI (scripts/google-brotli.sh); .ci/run runs it"]
fn deltas_decode_with_the_zstd_cli_and_google_brotli() {
    let c = collect_two_versions();
    let t = tempfile::tempdir().expect("tempdir");
    let dict = c.root().join(&c.dictionary);
    let expected = bundle(2);
    let cases: [(&str, &[u8], Vec<String>, PathBuf); 2] = [
        (
            "dcz",
            &rcollect_core::delta::DCZ_MAGIC,
            vec!["-q".into(), "-d".into(), "-f".into()],
            PathBuf::from("zstd"),
        ),
        (
            "dcb",
            &rcollect_core::delta::DCB_MAGIC,
            vec!["-d".into(), "-f".into()],
            google_brotli(),
        ),
    ];
    for (coding, magic, args, tool) in cases {
        let body = body_after_header(
            &std::fs::read(c.delta(coding)).expect("delta"),
            magic,
            &c.sha,
        );
        let input = t.path().join(format!("body.{coding}"));
        let output = t.path().join(format!("out.{coding}"));
        std::fs::write(&input, body).expect("write");
        let out = Command::new(&tool)
            .args(&args)
            .arg("-D")
            .arg(&dict)
            .arg(&input)
            .arg("-o")
            .arg(&output)
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", tool.display()));
        assert!(
            out.status.success(),
            "{coding}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            std::fs::read_to_string(&output).expect("decoded"),
            expected,
            "{coding}"
        );
    }
}

#[test]
fn check_skew_reports_what_pages_of_the_previous_release_would_miss() {
    let c = collect_two_versions();
    let ok = run(c.dir.path(), &["check", "--skew"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    // A previous file lost from STATIC_ROOT (deleted by hand, a partial sync).
    let old = c.root().join(&c.dictionary);
    let bytes = std::fs::read(&old).expect("read");
    std::fs::remove_file(&old).expect("rm");
    let bad = run(c.dir.path(), &["check", "--skew", "--format", "json"]);
    let text = String::from_utf8_lossy(&bad.stdout);
    assert_eq!(bad.status.code(), Some(1), "{text}");
    assert!(
        text.contains("E032")
            && text.contains("removed")
            && text.contains(&format!("/static/{}", c.dictionary)),
        "{text}"
    );
    // Back on disk, but the server would not serve the previous version.
    std::fs::write(&old, bytes).expect("write");
    write(
        &c.dir.path().join("rcollect.toml"),
        "static_root = \"out\"\ndirs = [\"src\"]\ncache_dir = \"cache\"\n[serve]\nhistory_versions = 1\nhistory_max_age = 0\n",
    );
    let bad = run(c.dir.path(), &["check", "--skew", "--format", "json"]);
    let text = String::from_utf8_lossy(&bad.stdout);
    assert_eq!(bad.status.code(), Some(1), "{text}");
    assert!(
        text.contains("E032")
            && text.contains("retention")
            && text.contains(&format!("/static/{}", c.dictionary)),
        "{text}"
    );
}

/// Issue 20: a cache entry (or a collected variant or delta) with anything
/// after its stream — a second gzip member, bytes after a brotli stream or
/// a zstd frame — is never trusted: `check --manifest` reports every such
/// variant and delta in STATIC_ROOT, a collect does not reuse the cache
/// entries, and `collectstatic --verify` repairs the root.
#[test]
fn poisoned_cache_entries_are_refused_found_by_check_and_repaired() {
    use std::io::Write as _;
    let c = collect_two_versions_with("[compress]\nzstd = true\n");
    let d = c.dir.path();
    let root = c.root();
    let outputs: Vec<PathBuf> = [".gz", ".br", ".zst"]
        .iter()
        .map(|s| root.join(format!("{}{s}", c.hashed)))
        .chain(["dcb", "dcz"].iter().map(|k| c.delta(k)))
        .collect();
    let originals: Vec<Vec<u8>> = outputs
        .iter()
        .map(|p| std::fs::read(p).expect("output"))
        .collect();
    // A second gzip member for gzip entries, trailing bytes for the others;
    // in place, so the variants hard-linked from the cache change with them.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"alert(1)").expect("gzip");
    let member = gz.finish().expect("gzip");
    let poison = |p: &Path| {
        let tail: &[u8] = if std::fs::read(p).expect("read").starts_with(&[0x1f, 0x8b]) {
            &member
        } else {
            b"\n<script>alert(1)</script>"
        };
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(p)
            .expect("open");
        f.write_all(tail).expect("append");
    };
    for p in walk(&d.join("cache")) {
        poison(&p);
    }
    for p in outputs.iter().skip(3) {
        poison(p); // the deltas in STATIC_ROOT are written, not linked
    }
    // And the hashed file itself, same size (its unhashed copy is a link).
    let file = root.join(&c.hashed);
    let original_file = std::fs::read(&file).expect("file");
    let mut damaged = original_file.clone();
    damaged[0] ^= 1;
    std::fs::write(&file, &damaged).expect("damage in place");
    for (p, original) in outputs.iter().zip(&originals) {
        assert_ne!(
            &std::fs::read(p).expect("read"),
            original,
            "{}",
            p.display()
        );
    }
    let check = run(d, &["check", "--manifest", "--format", "json"]);
    let report = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(1), "{report}");
    for p in &outputs {
        let name = p.file_name().expect("name").to_string_lossy().into_owned();
        assert!(report.contains(&name), "{name} not reported: {report}");
    }
    assert!(
        report.contains("collectstatic --verify") && report.contains("E022"),
        "{report}"
    );

    // A collect into a fresh root with the same cache: the poisoned entries
    // are discarded, and what it writes is what was first written.
    let fresh = run(d, &["collectstatic", "--no-input", "--root", "fresh"]);
    assert!(
        fresh.status.success(),
        "{}",
        String::from_utf8_lossy(&fresh.stderr)
    );
    for (p, want) in outputs.iter().zip(&originals).take(3) {
        let name = p.strip_prefix(&root).expect("under root");
        let got = std::fs::read(d.join("fresh").join(name)).expect("fresh variant");
        assert_eq!(&got, want, "{}", name.display());
    }

    // `--verify` repairs the root the check reported, and then it passes.
    let repair = run(
        d,
        &[
            "collectstatic",
            "--no-input",
            "--verify",
            "--format",
            "json",
        ],
    );
    assert!(
        repair.status.success(),
        "{}",
        String::from_utf8_lossy(&repair.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&repair.stdout).expect("json");
    assert!(summary["repaired"].as_u64() >= Some(7), "{summary}");
    for (p, want) in outputs.iter().zip(&originals) {
        assert_eq!(
            &std::fs::read(p).expect("repaired"),
            want,
            "{}",
            p.display()
        );
    }
    let check = run(d, &["check", "--manifest"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}

/// Issue 20: a previous version modified in place (same size) is no
/// dictionary any more: the collect warns once and goes on, and makes no
/// delta against it; a size change is warned about the same way.
#[test]
fn a_previous_version_changed_in_place_is_skipped_as_a_dictionary() {
    for same_size in [true, false] {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        write(
            &d.join("rcollect.toml"),
            "static_root = \"out\"\ndirs = [\"src\"]\n",
        );
        write(&d.join("src/js/app.js"), bundle(1));
        let first = run(d, &["collectstatic", "--no-input", "--no-cache"]);
        assert!(first.status.success());
        let m1 = read_manifest(&d.join("out"));
        let old = d
            .join("out")
            .join(m1["paths"]["js/app.js"].as_str().expect("path"));
        let mut bytes = std::fs::read(&old).expect("old version");
        if same_size {
            bytes[10] ^= 1;
        } else {
            bytes.push(b'\n');
        }
        std::fs::write(&old, &bytes).expect("modify in place");
        write(&d.join("src/js/app.js"), bundle(2));
        let second = run(d, &["collectstatic", "--no-input", "--no-cache"]);
        let err = String::from_utf8_lossy(&second.stderr);
        assert!(second.status.success(), "{same_size}: {err}");
        assert!(
            err.matches("not used as a dictionary").count() == 1
                && err.contains(old.file_name().expect("name").to_str().expect("utf8")),
            "{same_size}: {err}"
        );
        let m2 = read_manifest(&d.join("out"));
        let hashed = m2["paths"]["js/app.js"].as_str().expect("path");
        assert!(
            m2["files"][hashed]["deltas"].is_null(),
            "{same_size}: no delta against changed bytes: {}",
            m2["files"][hashed]
        );
    }
}
