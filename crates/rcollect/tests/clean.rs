//! End-to-end tests of `rcollect clean` on a local STATIC_ROOT and of the
//! manifest history that collect keeps for it.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::common as support;
use support::{run, walk};

fn ok(out: Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

fn collect_version(d: &Path, v: u32) -> Value {
    std::fs::create_dir_all(d.join("assets/css")).expect("mkdir");
    std::fs::write(
        d.join("assets/css/app.css"),
        format!(".v{v} {{ color: red; }}\n"),
    )
    .expect("write");
    std::fs::write(d.join("assets/stable.txt"), "same in every version\n").expect("write");
    // Fixed modification times: the manifest records them, and a rewrite
    // that crosses a second boundary must not make a "new" version.
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + u64::from(v));
    for f in ["assets/css/app.css", "assets/stable.txt"] {
        let file = std::fs::File::options()
            .write(true)
            .open(d.join(f))
            .expect("open");
        file.set_modified(at).expect("set mtime");
    }
    ok(run(
        d,
        &[
            "collectstatic",
            "--no-input",
            "-q",
            "--no-cache",
            "--root",
            "out",
            "--dir",
            "assets",
        ],
    ));
    serde_json::from_slice(&std::fs::read(d.join("out/staticfiles.json")).expect("manifest"))
        .expect("json")
}

fn hashed(m: &Value) -> String {
    m["paths"]["css/app.css"]
        .as_str()
        .expect("hashed")
        .to_string()
}

fn history(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d.join("out"))
        .expect("ls")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("staticfiles.2"))
        .collect();
    v.sort();
    v
}

fn backdate(p: &Path, by: Duration) {
    let f = std::fs::File::options().write(true).open(p).expect("open");
    f.set_modified(SystemTime::now() - by).expect("set mtime");
}

#[test]
fn collect_keeps_replaced_manifests_and_clean_honours_keep_and_age() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    let out = d.join("out");
    let versions: Vec<Value> = (1..=4).map(|v| collect_version(d, v)).collect();
    // Each collect that changed the manifest kept the one it replaced.
    let h = history(d);
    assert_eq!(h.len(), 3, "{h:?}");
    let kept: Value =
        serde_json::from_slice(&std::fs::read(out.join(&h[0])).expect("read")).expect("json");
    assert_eq!(kept, versions[0]);
    // A no-op collect adds no version.
    collect_version(d, 4);
    assert_eq!(history(d).len(), 3);
    // --clear leaves the history alone.
    ok(run(
        d,
        &[
            "collectstatic",
            "--no-input",
            "-q",
            "--no-cache",
            "--clear",
            "--root",
            "out",
            "--dir",
            "assets",
        ],
    ));
    assert_eq!(history(d).len(), 3);
    // --clear removed the old versions' files: collect them again for clean
    // (the history now has more entries, newest last).
    let versions: Vec<Value> = (1..=4).map(|v| collect_version(d, v)).collect();
    let user_file = out.join("robots.txt");
    std::fs::write(&user_file, "User-agent: *\n").expect("write");

    // Make everything old except version 3's CSS.
    for e in walk(&out) {
        backdate(&e, Duration::from_secs(7200));
    }
    let young = out.join(hashed(&versions[2]));
    backdate(&young, Duration::from_secs(10));

    // --keep 1 --older-than 1h: versions 1 and 2 go; 3's CSS is young (AND).
    let r = ok(run(
        d,
        &[
            "clean",
            "--root",
            "out",
            "--keep",
            "1",
            "--older-than",
            "1h",
            "--format",
            "json",
        ],
    ));
    assert!(!out.join(hashed(&versions[0])).exists());
    assert!(!out.join(hashed(&versions[1])).exists());
    assert!(young.exists(), "younger than --older-than: kept");
    assert_eq!(r["kept_young"][0], hashed(&versions[2]));
    assert!(out.join(hashed(&versions[3])).exists(), "live file kept");
    assert!(out.join("css/app.css").exists(), "live unhashed name kept");
    assert!(
        out.join(versions[3]["paths"]["stable.txt"].as_str().expect("s"))
            .exists()
    );
    assert!(
        user_file.exists(),
        "files rcollect never wrote are not touched"
    );
    assert!(out.join("staticfiles.json").exists());
    assert!(
        history(d).is_empty(),
        "old manifest versions go too: {:?}",
        history(d)
    );

    // Without an age, the young orphan goes as well; a dry run first.
    let r = ok(run(
        d,
        &[
            "clean",
            "--root",
            "out",
            "--keep",
            "1",
            "--dry-run",
            "--format",
            "json",
        ],
    ));
    assert_eq!(r["removed"][0], hashed(&versions[2]));
    assert!(young.exists(), "dry run removes nothing");
    ok(run(d, &["clean", "--root", "out", "--keep", "1"]));
    assert!(!young.exists());
    let check = run(
        d,
        &["check", "--root", "out", "--dir", "assets", "--manifest"],
    );
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}

#[test]
fn keep_two_keeps_the_previous_version_serveable() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    let v1 = collect_version(d, 1);
    let v2 = collect_version(d, 2);
    let v3 = collect_version(d, 3);
    ok(run(d, &["clean", "--root", "out", "--keep", "2"]));
    let out = d.join("out");
    assert!(!out.join(hashed(&v1)).exists());
    assert!(out.join(hashed(&v2)).exists());
    assert!(out.join(hashed(&v3)).exists());
    assert_eq!(history(d).len(), 1);
}

#[test]
fn keep_zero_is_refused() {
    let t = tempfile::tempdir().expect("tempdir");
    let out = run(t.path(), &["clean", "--root", "out", "--keep", "0"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_offers_only_the_flags_clean_uses() {
    let t = tempfile::tempdir().expect("tempdir");
    let out = crate::common::run(t.path(), &["clean", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in ["--keep", "--older-than", "--dry-run", "--root", "--config"] {
        assert!(help.contains(flag), "{flag} missing: {help}");
    }
    for flag in ["--dir", "--ignore", "--no-default-ignore"] {
        assert!(!help.contains(flag), "{flag} offered: {help}");
    }
    // The commands that read the sources still take them.
    let out = crate::common::run(t.path(), &["collectstatic", "--help"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("--dir"));
}

/// Ways a history version can be unreadable: cut short, of a future format,
/// naming an unsafe path, too large to read (a link to `/dev/zero`).
fn damage(path: &Path, how: &str) {
    let bytes = std::fs::read(path).expect("read version");
    match how {
        "truncated" => std::fs::write(path, &bytes[..bytes.len() / 2]).expect("write"),
        "future" => {
            let text = String::from_utf8(bytes).expect("utf8");
            std::fs::write(path, text.replacen("\"1.1\"", "\"2.0\"", 1)).expect("write");
        }
        "unsafe" => {
            let text = String::from_utf8(bytes).expect("utf8");
            let hashed = text
                .split("\"css/app.css\": \"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .expect("hashed name")
                .to_string();
            std::fs::write(path, text.replace(&hashed, "../../etc/passwd")).expect("write");
        }
        "device" => {
            std::fs::remove_file(path).expect("rm");
            std::os::unix::fs::symlink("/dev/zero", path).expect("symlink");
        }
        other => panic!("{other}"),
    }
}

/// Issue 20: a version `clean` cannot read is one it cannot prove unused.
/// It refuses (exit 1, naming the file), removes nothing, and `check
/// --skew` reports the version instead of "0 errors".
#[test]
fn an_unreadable_manifest_version_stops_clean_and_is_a_skew_finding() {
    for how in ["truncated", "future", "unsafe", "device"] {
        let t = tempfile::tempdir().expect("tempdir");
        let d = t.path();
        let v1 = collect_version(d, 1);
        let v2 = collect_version(d, 2);
        let v3 = collect_version(d, 3);
        let out = d.join("out");
        let h = history(d);
        assert_eq!(h.len(), 2, "{h:?}");
        // The newest previous version (v2's), which `--keep 2` keeps.
        damage(&out.join(&h[1]), how);
        let before = walk(&out);
        for args in [
            &["clean", "--root", "out", "--keep", "2"][..],
            &["clean", "--root", "out", "--keep", "1"][..],
            &["clean", "--root", "out", "--keep", "2", "--dry-run"][..],
        ] {
            let r = run(d, args);
            let err = String::from_utf8_lossy(&r.stderr);
            assert_eq!(r.status.code(), Some(1), "{how} {args:?}: {err}");
            assert!(
                err.contains(&h[1]) && err.contains("nothing was removed"),
                "{how}: {err}"
            );
            assert_eq!(walk(&out), before, "{how} {args:?}: nothing removed");
        }
        for m in [&v1, &v2, &v3] {
            assert!(out.join(hashed(m)).is_file(), "{how}");
        }
        let check = run(d, &["check", "--root", "out", "--skew", "--format", "json"]);
        let report = String::from_utf8_lossy(&check.stdout);
        assert_eq!(check.status.code(), Some(1), "{how}: {report}");
        assert!(
            report.contains("E032") && report.contains(&h[1]) && report.contains("cannot read"),
            "{how}: {report}"
        );
    }
}
