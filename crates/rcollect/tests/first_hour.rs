//! What a new user meets first (issue 24): the config found from another
//! directory (or the error saying where it looked), and a warning when the
//! sources changed after the last collect.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::common::write;

fn project() -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("tempdir");
    write(&t.path().join("static/css/app.css"), "body{}\n");
    write(
        &t.path().join("rcollect.toml"),
        "static_root = \"staticfiles\"\ndirs = [\"static\"]\n",
    );
    t
}

fn rcollect(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rcollect"));
    c.current_dir(dir)
        .env_remove("RCOLLECT_STATIC_ROOT")
        .env_remove("RCOLLECT_STATIC_URL")
        .env_remove("RCOLLECT_CONFIG")
        .env_remove("RCOLLECT_DEBUG");
    c
}

/// `rcollect collectstatic` with `cmd` (from [`rcollect`]), which must
/// succeed.
fn collect_ok_with(mut cmd: Command) {
    let out = cmd
        .args(["collectstatic", "--no-cache", "-q"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `rcollect collectstatic` in `dir`, which must succeed.
fn collect_ok(dir: &std::path::Path) {
    collect_ok_with(rcollect(dir));
}

#[test]
fn from_another_directory_the_error_says_where_it_looked_and_rcollect_config_finds_it() {
    let t = project();
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let out = rcollect(elsewhere.path())
        .args(["collectstatic", "--no-cache", "-q"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no rcollect.toml found"), "{err}");
    assert!(
        err.contains(&elsewhere.path().join("rcollect.toml").display().to_string()),
        "{err}"
    );
    assert!(err.contains("RCOLLECT_CONFIG"), "{err}");
    let mut with_config = rcollect(elsewhere.path());
    with_config.env("RCOLLECT_CONFIG", t.path().join("rcollect.toml"));
    collect_ok_with(with_config);
    // Paths in the file stay relative to the file.
    assert!(t.path().join("staticfiles/staticfiles.json").is_file());
}

#[test]
fn serve_warns_when_a_source_changed_after_the_collect() {
    let t = project();
    collect_ok(t.path());
    let css = t.path().join("static/css/app.css");
    let f = std::fs::File::options()
        .append(true)
        .open(&css)
        .expect("open");
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(10))
        .expect("mtime");
    drop(f);
    let mut child = rcollect(t.path())
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let warned = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains("W007") => break Some(line),
            Ok(line) => seen.push(line),
            Err(_) => break None,
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    let line = warned.unwrap_or_else(|| panic!("no W007 warning: {seen:?}"));
    assert!(
        line.contains("'css/app.css'") && line.contains("rcollect collectstatic"),
        "{line}"
    );
    assert!(!line.contains("WARN warning"), "one prefix: {line}");
}

#[test]
fn a_static_root_holding_other_files_is_refused_and_nothing_is_written() {
    let t = project();
    write(&t.path().join("src/main.rs"), "fn main() {}\n");
    let out = rcollect(t.path())
        .args(["collectstatic", "--no-cache", "-q", "--root", "src"])
        .output()
        .expect("run");
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("E016") && err.contains("main.rs"), "{err}");
    let left: Vec<_> = std::fs::read_dir(t.path().join("src"))
        .expect("src")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, ["main.rs"], "nothing written into it");
    // An empty or new directory, or one a collect wrote, is fine.
    collect_ok(t.path());
    collect_ok(t.path());
}

#[test]
fn a_collect_failing_on_missing_references_prefixes_every_line_and_names_the_way_out() {
    let t = project();
    write(
        &t.path().join("static/css/app.css"),
        "a{}\n.b { background: url(../img/nope.png) }\n.c { background: url(../img/gone.png) }\n",
    );
    let out = rcollect(t.path())
        .args(["collectstatic", "--no-cache", "-q"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    for (line, (n, target)) in lines.iter().zip([(2, "nope.png"), (3, "gone.png")]) {
        assert!(line.starts_with("error: "), "{err}");
        assert!(
            line.contains(&format!("app.css:{n}:")) && line.contains(target),
            "{err}"
        );
    }
    assert!(
        lines[2].starts_with("hint: ") && lines[2].contains("missing_references = \"warn\""),
        "{err}"
    );
}

/// Built without the `s3` feature (the default since it halves what a first
/// install compiles of the store stack), an `s3://` static_root fails at
/// once, naming the URL and the way to get S3 support, for every command
/// that opens the store; nothing is written.
#[cfg(not(feature = "s3"))]
#[test]
fn without_the_s3_feature_an_s3_static_root_names_the_feature() {
    let t = project();
    write(
        &t.path().join("rcollect.toml"),
        "static_root = \"s3://bucket/static\"\nstatic_url = \"https://cdn.example.com/static/\"\ndirs = [\"static\"]\n",
    );
    for args in [
        &["collectstatic", "--no-cache", "-q"][..],
        &["clean", "--keep", "2"],
        &["serve", "--addr", "127.0.0.1:0"],
    ] {
        let out = rcollect(t.path()).args(args).output().expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}: {err}");
        assert!(
            err.contains("s3://bucket/static") && err.contains("--features s3"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn findstatic_offers_the_closest_name_for_a_misspelt_one() {
    let t = project();
    write(&t.path().join("static/js/app.js"), "1;\n");
    let out = rcollect(t.path())
        .args([
            "findstatic",
            "css/apps.css",
            "js/app.js",
            "fonts/none.woff2",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("No matching file found for 'css/apps.css'.\nDid you mean 'css/app.css'?\n"),
        "{err}"
    );
    // Nothing close: no suggestion.
    assert!(
        err.ends_with("No matching file found for 'fonts/none.woff2'.\n"),
        "{err}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Found 'js/app.js' here:"), "{stdout}");
}
