//! `rcollect check` through the real binary: one test per check with a
//! failing and a passing configuration, the output formats, exit codes, a
//! broken rcollect.toml and `--manifest`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rcollect_core::manifest::{Encoding, FileMeta, Manifest};
use serde_json::Value;

/// A temp project: `rcollect.toml`, `assets/` with one file.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    /// A project with this rcollect.toml (written as is).
    fn new(toml: &str) -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("assets/css")).expect("mkdir");
        std::fs::write(dir.path().join("assets/css/app.css"), "body{}").expect("write");
        std::fs::write(dir.path().join("rcollect.toml"), toml).expect("write");
        Project { dir }
    }

    /// A project with a clean config plus `extra` lines.
    fn clean(extra: &str) -> Project {
        Project::new(&format!(
            "static_url = \"/static/\"\nstatic_root = \"out\"\ndirs = [\"assets\"]\n{extra}"
        ))
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn p(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.p(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_rcollect"))
            .current_dir(self.path())
            .env_remove("RCOLLECT_STATIC_ROOT")
            .env_remove("RCOLLECT_STATIC_URL")
            .env_remove("NO_COLOR")
            .env_remove("RCOLLECT_LOG")
            .arg("check")
            .args(args)
            .output()
            .expect("run rcollect")
    }

    /// `rcollect check --format json ARGS`: exit code and the parsed document.
    fn json(&self, args: &[&str]) -> (i32, Value) {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        let stdout = String::from_utf8(out.stdout).expect("utf8");
        let doc: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("not one JSON document ({e}): {stdout:?}"));
        (out.status.code().expect("exit code"), doc)
    }
}

fn ids(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["id"].as_str().expect("id").to_string())
        .collect()
}

fn message(doc: &Value, i: usize) -> String {
    doc["findings"][i]["message"]
        .as_str()
        .expect("message")
        .to_string()
}

/// Runs with a config; asserts the exit code and exactly these IDs.
fn expect(p: &Project, args: &[&str], code: i32, want: &[&str]) -> Value {
    let (c, doc) = p.json(args);
    assert_eq!(ids(&doc), want, "{doc:#}");
    assert_eq!(c, code, "{doc:#}");
    let errors = want.iter().filter(|i| i.starts_with('E')).count();
    assert_eq!(doc["errors"], errors, "{doc:#}");
    assert_eq!(doc["warnings"], want.len() - errors, "{doc:#}");
    for f in doc["findings"].as_array().expect("findings") {
        let level = if f["id"].as_str().expect("id").starts_with('E') {
            "error"
        } else {
            "warning"
        };
        assert_eq!(f["level"], level);
        assert!(!f["message"].as_str().expect("message").is_empty());
        assert!(!f["hint"].as_str().expect("hint").is_empty());
    }
    doc
}

// ---------------------------------------------------------------- passing

#[test]
fn clean_project_passes() {
    let p = Project::clean("media_url = \"/media/\"\nmedia_root = \"media\"\n");
    let doc = expect(&p, &[], 0, &[]);
    assert_eq!(doc.as_object().expect("object").len(), 3);
    let out = p.run(&[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "0 errors, 0 warnings\n"
    );
}

#[test]
fn cdn_url_and_prefixed_dir_pass() {
    let p = Project::new(
        "static_url = \"https://cdn.example.com/static/\"\nstatic_root = \"out\"\n\
         dirs = [\"assets\", { prefix = \"vendor/lib\", path = \"lib\" }]\n",
    );
    std::fs::create_dir(p.p("lib")).expect("mkdir");
    expect(&p, &[], 0, &[]);
}

// ---------------------------------------------------------------- E000

#[test]
fn e000_unknown_key_is_a_finding_with_line_and_key_and_exit_2() {
    let p = Project::new("static_root = \"out\"\ndirs = [\"assets\"]\nstatik_url = \"/s/\"\n");
    let doc = expect(&p, &[], 2, &["E000"]);
    let m = message(&doc, 0);
    assert!(m.contains("rcollect.toml:3"), "{m}");
    assert!(m.contains("statik_url"), "{m}");
    assert!(
        doc["findings"][0]["hint"]
            .as_str()
            .expect("hint")
            .contains("line 3")
    );
}

#[test]
fn e000_wrong_type_and_bad_syntax() {
    let p = Project::new("static_root = \"out\"\ndirs = [\"assets\"]\nkeep_unhashed = \"yes\"\n");
    let doc = expect(&p, &[], 2, &["E000"]);
    let m = message(&doc, 0);
    assert!(m.contains(":3") && m.contains("keep_unhashed"), "{m}");

    let p = Project::new("static_root = \"out\"\n\ndirs = [\"assets\"\n");
    let doc = expect(&p, &[], 2, &["E000"]);
    assert!(message(&doc, 0).contains("rcollect.toml:"), "{doc:#}");
}

#[test]
fn e000_in_text_and_github_formats() {
    let p = Project::new("static_root = \"out\"\nstatik_url = 1\n");
    let out = p.run(&[]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(text.starts_with("error[E000]: "), "{text}");
    assert!(text.contains("\n  hint: "), "{text}");
    assert!(text.ends_with("1 error, 0 warnings\n"), "{text}");

    let out = p.run(&["--format", "github"]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).expect("utf8");
    // The annotation attaches to the config file (relative to the checkout).
    assert!(text.starts_with("::error file=rcollect.toml,"), "{text}");
    assert!(text.contains("title=E000::"), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
}

#[test]
fn e000_bad_dir_flag() {
    let p = Project::clean("");
    expect(&p, &["--dir", "x="], 2, &["E000"]);
}

// ---------------------------------------------------------------- E001

#[test]
fn e001_no_source_dirs() {
    let p = Project::new("static_root = \"out\"\n");
    let doc = expect(&p, &[], 1, &["E001"]);
    assert!(
        doc["findings"][0]["hint"]
            .as_str()
            .expect("hint")
            .contains("--dir")
    );
    expect(&p, &["--dir", "assets"], 0, &[]);
}

// ---------------------------------------------------------------- E002

#[test]
fn e002_static_root_inside_equal_or_containing_a_source_dir() {
    for root in ["assets/out", "assets", ".", "assets/../assets/x"] {
        let p = Project::new(&format!("static_root = \"{root}\"\ndirs = [\"assets\"]\n"));
        let doc = expect(&p, &[], 1, &["E002"]);
        assert!(message(&doc, 0).contains("assets"), "{doc:#}");
    }
    // the reverse: a source dir inside STATIC_ROOT
    let p = Project::new("static_root = \"out\"\ndirs = [\"out/src\"]\n");
    std::fs::create_dir_all(p.p("out/src")).expect("mkdir");
    let doc = expect(&p, &[], 1, &["E002"]);
    assert!(message(&doc, 0).contains("contains"), "{doc:#}");
    // passing: siblings, also when the names share a prefix
    let p = Project::new("static_root = \"assets-out\"\ndirs = [\"assets\"]\n");
    expect(&p, &[], 0, &[]);
}

#[cfg(unix)]
#[test]
fn e002_sees_through_symlinks() {
    let p = Project::new("static_root = \"link/out\"\ndirs = [\"assets\"]\n");
    std::os::unix::fs::symlink(p.p("assets"), p.p("link")).expect("symlink");
    let doc = expect(&p, &[], 1, &["E002"]);
    assert!(message(&doc, 0).contains("resolves to"), "{doc:#}");
}

// ---------------------------------------------------------------- E011

#[test]
fn e011_min_saving_outside_zero_to_one() {
    for bad in ["1.0", "-0.1", "nan", "2"] {
        let p = Project::new(&format!(
            "static_root = \"out\"\ndirs = [\"assets\"]\n[compress]\nmin_saving = {bad}\n"
        ));
        let doc = expect(&p, &[], 1, &["E011"]);
        assert!(message(&doc, 0).contains("min_saving"), "{doc:#}");
    }
    let p =
        Project::new("static_root = \"out\"\ndirs = [\"assets\"]\n[compress]\nmin_saving = 0.2\n");
    expect(&p, &[], 0, &[]);
}

// ---------------------------------------------------------------- E012

#[test]
fn e012_cache_dir_inside_a_source_dir_or_static_root() {
    for cache in ["assets/.cache", "out/cache", "out", "assets"] {
        let p = Project::clean(&format!("cache_dir = \"{cache}\"\n"));
        let doc = expect(&p, &[], 1, &["E012"]);
        assert!(message(&doc, 0).contains("cache_dir"), "{cache}: {doc:#}");
    }
    for fine in [".rcollect-cache", "."] {
        let p = Project::clean(&format!("cache_dir = \"{fine}\"\n"));
        expect(&p, &[], 0, &[]);
    }
}

// ------------------------------------------------------ non-ASCII STATIC_URL

#[test]
fn a_non_ascii_static_url_is_refused_with_its_encoded_form() {
    let p = Project::new("static_url = \"/stätic/\"\nstatic_root = \"out\"\ndirs = [\"assets\"]\n");
    let doc = expect(&p, &[], 1, &["E005"]);
    assert!(message(&doc, 0).contains("/st%C3%A4tic/"), "{doc:#}");
    let p = Project::new(
        "static_url = \"/st%C3%A4tic/\"\nstatic_root = \"out\"\ndirs = [\"assets\"]\n",
    );
    expect(&p, &[], 0, &[]);
}

// ------------------------------------------- control characters in output

#[test]
fn control_characters_in_names_are_escaped_in_text_output() {
    let p = Project::new("static_root = \"out\"\ndirs = [\"assets\", \"more\"]\n");
    let name = "css/x\u{1b}]0;pwned\u{7}\u{1b}[2J.css";
    p.write(&format!("assets/{name}"), "a{}");
    p.write(&format!("more/{name}"), "b{}");
    // W002 names the shadowed file.
    let out = p.run(&[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("W002"), "{text}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.contains("\\u{1b}"), "{text}");
    let out = Command::new(env!("CARGO_BIN_EXE_rcollect"))
        .current_dir(p.path())
        .env_remove("RCOLLECT_STATIC_ROOT")
        .env_remove("RCOLLECT_STATIC_URL")
        .args(["findstatic", name])
        .output()
        .expect("findstatic");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{all}");
    assert!(!all.contains('\u{1b}') && !all.contains('\u{7}'), "{all:?}");
    assert!(all.contains("x\\u{1b}]0;pwned"), "{all}");
}

// ---------------------------------------------------------------- E003

#[test]
fn e003_unsafe_prefixes() {
    for prefix in ["/vendor", "vendor/", "a/../b", "..", "a//b", "a\\\\b"] {
        let p = Project::clean("").with_dirs(&format!(
            "dirs = [{{ prefix = \"{prefix}\", path = \"assets\" }}]"
        ));
        let doc = expect(&p, &[], 1, &["E003"]);
        assert!(message(&doc, 0).contains("prefix"), "{doc:#}");
    }
    let p = Project::clean("").with_dirs("dirs = [{ prefix = \"vendor/x\", path = \"assets\" }]");
    expect(&p, &[], 0, &[]);
}

impl Project {
    /// Replaces the `dirs = ...` line.
    fn with_dirs(self, line: &str) -> Project {
        let toml = std::fs::read_to_string(self.p("rcollect.toml")).expect("read");
        let toml = toml.replace("dirs = [\"assets\"]", line);
        std::fs::write(self.p("rcollect.toml"), toml).expect("write");
        self
    }
}

// ---------------------------------------------------------------- E004/E005

#[test]
fn e004_static_url_empty_or_without_slash() {
    let p = Project::clean("");
    let doc = expect(&p, &["--url", "/static"], 1, &["E004"]);
    assert!(message(&doc, 0).contains("'/static'"), "{doc:#}");
    assert!(
        doc["findings"][0]["hint"]
            .as_str()
            .expect("hint")
            .contains("\"/static/\"")
    );
    let p = Project::new("static_url = \"\"\nstatic_root = \"out\"\ndirs = [\"assets\"]\n");
    expect(&p, &[], 1, &["E004"]);
    expect(&p, &["--url", "/s/"], 0, &[]);
}

#[test]
fn e005_static_url_not_a_path_or_http_url() {
    let p = Project::clean("");
    for url in [
        "static/",
        "ftp://example.com/s/",
        "//cdn.example.com/s/",
        "/s/?v=1/",
        "https:///s/",
    ] {
        let doc = expect(&p, &["--url", url], 1, &["E005"]);
        assert!(message(&doc, 0).contains(url), "{doc:#}");
    }
    expect(&p, &["--url", "http://cdn.example.com/s/"], 0, &[]);
}

// ---------------------------------------------------------------- E006/E007/W001

#[test]
fn e006_media_url_without_slash() {
    let p = Project::clean("media_url = \"/media\"\n");
    let doc = expect(&p, &[], 1, &["E006"]);
    assert!(message(&doc, 0).contains("/media"), "{doc:#}");
    let p = Project::clean("media_url = \"\"\n");
    expect(&p, &[], 1, &["E006"]);
    let p = Project::clean("media_url = \"https://media.example.com/\"\n");
    expect(&p, &[], 0, &[]);
}

#[test]
fn e007_static_url_equals_media_url() {
    let p = Project::clean("media_url = \"/static/\"\n");
    let doc = expect(&p, &[], 1, &["E007"]);
    assert!(message(&doc, 0).contains("/static/"), "{doc:#}");
    let p = Project::clean("media_url = \"/media/\"\n");
    expect(&p, &[], 0, &[]);
}

#[test]
fn w001_media_url_inside_static_url_and_reverse() {
    let p = Project::clean("media_url = \"/static/media/\"\n");
    let doc = expect(&p, &[], 0, &["W001"]);
    assert!(message(&doc, 0).contains("/static/media/"), "{doc:#}");
    expect(&p, &["--deny-warnings"], 1, &["W001"]);
    let p = Project::clean("media_url = \"/assets/\"\n");
    expect(&p, &["--url", "/assets/static/"], 0, &["W001"]);
    let p = Project::clean("media_url = \"/staticmedia/\"\n");
    expect(&p, &["--deny-warnings"], 0, &[]);
}

// ---------------------------------------------------------------- E008

#[test]
fn e008_static_root_and_media_root_overlap() {
    for media in ["out", "out/media", "."] {
        let p = Project::clean(&format!("media_root = \"{media}\"\n"));
        let (_, doc) = p.json(&[]);
        assert!(ids(&doc).contains(&"E008".to_string()), "{media}: {doc:#}");
    }
    let p = Project::clean("media_root = \"out\"\n");
    let doc = expect(&p, &[], 1, &["E008"]);
    assert!(message(&doc, 0).contains("MEDIA_ROOT"), "{doc:#}");
    let p = Project::clean("media_root = \"media\"\n");
    expect(&p, &[], 0, &[]);
}

// ---------------------------------------------------------------- E009/E010

#[test]
fn e009_bad_ignore_glob() {
    let p = Project::clean("ignore = [\"*.scss\", \"[\"]\n");
    let doc = expect(&p, &[], 1, &["E009"]);
    assert!(message(&doc, 0).contains("'['"), "{doc:#}");
    expect(&p.with_ignore("ignore = [\"*.scss\"]"), &[], 0, &[]);
}

impl Project {
    fn with_ignore(self, line: &str) -> Project {
        let toml = std::fs::read_to_string(self.p("rcollect.toml")).expect("read");
        let toml = toml.replace("ignore = [\"*.scss\", \"[\"]", line);
        std::fs::write(self.p("rcollect.toml"), toml).expect("write");
        self
    }
}

#[cfg(unix)]
#[test]
fn e010_symlink_loop_in_a_source_dir() {
    let p = Project::clean("");
    std::os::unix::fs::symlink(p.p("assets"), p.p("assets/css/loop")).expect("symlink");
    let doc = expect(&p, &[], 1, &["E010"]);
    assert!(message(&doc, 0).contains("loop"), "{doc:#}");
    std::fs::remove_file(p.p("assets/css/loop")).expect("rm");
    expect(&p, &[], 0, &[]);
}

// ---------------------------------------------------------------- W002

#[test]
fn w002_shadowed_files() {
    let p = Project::clean("").with_dirs("dirs = [\"assets\", \"more\"]");
    p.write("more/css/app.css", "body{color:red}");
    p.write("more/css/other.css", "");
    let doc = expect(&p, &[], 0, &["W002"]);
    let m = message(&doc, 0);
    assert!(m.contains("css/app.css") && m.contains("more"), "{m}");
    assert!(!m.contains("other.css"), "{m}");
    expect(&p, &["--deny-warnings"], 1, &["W002"]);
    std::fs::remove_file(p.p("more/css/app.css")).expect("rm");
    expect(&p, &["--deny-warnings"], 0, &[]);
}

// ---------------------------------------------------------------- W003

#[test]
fn w003_static_root_not_a_directory() {
    let p = Project::clean("");
    p.write("out", "not a dir");
    let doc = expect(&p, &[], 0, &["W003"]);
    assert!(message(&doc, 0).contains("not a directory"), "{doc:#}");
    let doc = expect(&p, &["--root", "out/sub"], 0, &["W003"]);
    assert!(message(&doc, 0).contains("cannot be created"), "{doc:#}");
    std::fs::remove_file(p.p("out")).expect("rm");
    expect(&p, &[], 0, &[]);
    std::fs::create_dir(p.p("out")).expect("mkdir");
    expect(&p, &["--deny-warnings"], 0, &[]);
    assert_eq!(std::fs::read_dir(p.p("out")).expect("ls").count(), 0);
}

#[cfg(unix)]
#[test]
fn w003_read_only_static_root() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::clean("");
    std::fs::create_dir(p.p("out")).expect("mkdir");
    std::fs::set_permissions(p.p("out"), std::fs::Permissions::from_mode(0o555)).expect("chmod");
    // root (CI containers) can write anyway; then there is nothing to report
    let writable = std::fs::write(p.p("out/probe"), "").is_ok();
    let _ = std::fs::remove_file(p.p("out/probe"));
    let want: &[&str] = if writable { &[] } else { &["W003"] };
    expect(&p, &[], 0, want);
    std::fs::set_permissions(p.p("out"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

// ---------------------------------------------------------------- W004

#[test]
fn e013_missing_source_dir_and_w004_with_allow_empty() {
    let p = Project::clean("").with_dirs("dirs = [\"assets\", \"missing-dir\"]");
    let doc = expect(&p, &[], 1, &["E013"]);
    assert!(message(&doc, 0).contains("missing-dir"), "{doc:#}");
    let doc = expect(&p, &["--allow-empty"], 0, &["W004"]);
    assert!(message(&doc, 0).contains("missing-dir"), "{doc:#}");
    expect(&p, &["--allow-empty", "--deny-warnings"], 1, &["W004"]);
    std::fs::create_dir(p.p("missing-dir")).expect("mkdir");
    expect(&p, &["--deny-warnings"], 0, &[]);
}

// ---------------------------------------------------------------- W005

#[test]
fn w005_object_store_root_with_a_local_static_url() {
    let p = Project::new(
        "static_url = \"/static/\"\nstatic_root = \"s3://bucket/static\"\ndirs = [\"assets\"]\n",
    );
    let doc = expect(&p, &[], 0, &["W005"]);
    assert!(message(&doc, 0).contains("s3://bucket/static"), "{doc:#}");
    let p = Project::new(
        "static_url = \"https://cdn.example.com/static/\"\nstatic_root = \"s3://bucket/static\"\ndirs = [\"assets\"]\n",
    );
    expect(&p, &["--deny-warnings"], 0, &[]);
}

// ---------------------------------------------------------------- formats

#[test]
fn several_findings_in_text_format() {
    let p = Project::clean("media_url = \"/static/\"\n").with_dirs("dirs = [\"assets\", \"nope\"]");
    let out = p.run(&["--allow-empty"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).expect("utf8");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("warning[W004]: "), "{text}");
    // Each points at its key's line in rcollect.toml.
    assert!(
        lines[1].starts_with("  --> ") && lines[1].ends_with("rcollect.toml:3:1"),
        "{text}"
    );
    assert!(lines[2].starts_with("  hint: "), "{text}");
    assert!(lines[3].starts_with("error[E007]: "), "{text}");
    assert!(lines[4].ends_with("rcollect.toml:1:1"), "{text}");
    assert!(lines[5].starts_with("  hint: "), "{text}");
    assert_eq!(lines[6], "");
    assert_eq!(lines[7], "1 error, 1 warning");
    assert!(!text.contains('\x1b'), "no colour when piped: {text:?}");
}

#[test]
fn no_color_means_no_escape_codes() {
    let p = Project::clean("").with_dirs("dirs = [\"nope\"]");
    let out = Command::new(env!("CARGO_BIN_EXE_rcollect"))
        .current_dir(p.path())
        .env("NO_COLOR", "1")
        .env_remove("RCOLLECT_STATIC_ROOT")
        .env_remove("RCOLLECT_STATIC_URL")
        .args(["check", "--allow-empty"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(text.starts_with("warning[W004]"), "{text}");
    assert!(!text.contains('\x1b'), "{text:?}");
}

#[test]
fn github_format_escapes_and_levels() {
    let p = Project::clean("media_url = \"/static/\"\n").with_dirs("dirs = [\"assets\", \"nope\"]");
    let out = p.run(&["--format", "github", "--allow-empty"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).expect("utf8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    // Each on the line of its key in rcollect.toml.
    assert!(
        lines[0].starts_with("::warning file=rcollect.toml,line=3,col=1,title=W004::"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("::error file=rcollect.toml,line=1,col=1,title=E007::"),
        "{text}"
    );
    assert!(lines[1].contains("%0Ahint: "), "{text}");

    // '%' in a value is escaped
    let out = p.run(&["--format", "github", "--url", "/a%b"]);
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(text.contains("'/a%25b'"), "{text}");
    assert!(!text.contains("/a%b"), "{text}");
}

#[test]
fn json_is_exactly_one_object() {
    let p = Project::clean("").with_dirs("dirs = [\"assets\", \"nope\"]");
    let out = p.run(&["--format", "json", "--url", "/s", "--allow-empty"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).expect("utf8");
    let mut stream = serde_json::Deserializer::from_str(&stdout).into_iter::<Value>();
    let doc = stream.next().expect("one").expect("json");
    assert!(stream.next().is_none(), "{stdout}");
    assert_eq!(doc["errors"], 1);
    assert_eq!(doc["warnings"], 1);
}

#[test]
fn help_documents_exit_codes_and_flags() {
    let out = Command::new(env!("CARGO_BIN_EXE_rcollect"))
        .args(["check", "--help"])
        .output()
        .expect("run");
    let text = String::from_utf8(out.stdout).expect("utf8");
    for needle in [
        "--manifest",
        "--no-references",
        "--deny-warnings",
        "--format",
        "Exit status",
        "E000",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

#[test]
fn e030_broken_references_name_file_and_line() {
    let p = Project::clean("");
    p.write(
        "assets/css/app.css",
        "a{}\n.b { background: url(../img/nope.png); }\n",
    );
    p.write("assets/js/app.js", "import './ok.js';\n");
    p.write("assets/js/ok.js", "export {};\n");
    let (code, doc) = p.json(&["--references"]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(ids(&doc), ["E030"]);
    let msg = doc["findings"][0]["message"].as_str().expect("message");
    assert!(msg.contains("css/app.css:2"), "{msg}");
    assert!(msg.contains("../img/nope.png"), "{msg}");
    let f = &doc["findings"][0];
    assert!(
        f["file"]
            .as_str()
            .is_some_and(|p| p.ends_with("assets/css/app.css")),
        "{doc}"
    );
    assert_eq!(
        (f["line"].as_u64(), f["col"].as_u64()),
        (Some(2), Some(22)),
        "{doc}"
    );
    // As an annotation on the CSS line, the path relative to the checkout.
    let out = p.run(&["--references", "--format", "github"]);
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(
        text.starts_with("::error file=assets/css/app.css,line=2,col=22,title=E030::"),
        "{text}"
    );
    // A plain check finds it too (collect would fail on it); only
    // --no-references skips the scan.
    let (code, doc) = p.json(&[]);
    assert_eq!((code, ids(&doc)), (1, vec!["E030".to_string()]), "{doc}");
    let (code, doc) = p.json(&["--no-references"]);
    assert_eq!((code, ids(&doc).len()), (0, 0), "{doc}");
}

#[test]
fn e030_passes_when_every_reference_resolves() {
    let p = Project::clean("");
    p.write(
        "assets/css/app.css",
        ".b { background: url(../img/a.png); }\n",
    );
    p.write("assets/img/a.png", "png");
    let (code, doc) = p.json(&["--references"]);
    assert_eq!((code, ids(&doc).len()), (0, 0), "{doc}");
}

#[test]
fn e031_stale_static_root_is_reported_and_a_fresh_one_passes() {
    let p = Project::clean("");
    let out = Command::new(env!("CARGO_BIN_EXE_rcollect"))
        .current_dir(p.path())
        .args(["collectstatic", "--no-cache", "-q"])
        .output()
        .expect("collect");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, doc) = p.json(&["--manifest"]);
    assert_eq!((code, ids(&doc).len()), (0, 0), "{doc}");
    p.write("assets/css/app.css", "body{color:red}");
    p.write("assets/css/new.css", "x{}");
    let (code, doc) = p.json(&["--manifest"]);
    assert_eq!(code, 1, "{doc}");
    // W007 from the files' times, E031 from their contents.
    assert_eq!(ids(&doc), ["W007", "E031"]);
    let w = doc["findings"][0]["message"].as_str().expect("message");
    assert!(
        w.contains("2 source files changed after the last collect"),
        "{w}"
    );
    let (code, doc) = p.json(&[]);
    assert_eq!(
        (code, ids(&doc)),
        (0, vec!["W007".to_string()]),
        "a warning: {doc}"
    );
    let (_, doc) = p.json(&["--manifest"]);
    let msg = doc["findings"][1]["message"].as_str().expect("message");
    assert!(msg.contains("'css/new.css' is not collected"), "{msg}");
    assert!(msg.contains("'css/app.css' is collected as"), "{msg}");
}

// ---------------------------------------------------------------- --manifest

const CSS: &[u8] = b"body { color: red; background: blue; } /* some padding to compress */\n";

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        w.write_all(bytes).expect("brotli");
    }
    out
}

/// A project with a collected STATIC_ROOT: `css/app.<hash>.css` with real
/// `.gz` and `.br` variants, and a manifest describing them.
fn collected() -> (Project, PathBuf) {
    let p = Project::clean("");
    // The source matches what is collected, so the root is up to date (no E031).
    p.write(
        "assets/css/app.css",
        std::str::from_utf8(CSS).expect("utf8"),
    );
    let digests = rcollect_core::hash::Digests::of(CSS);
    let hashed = &rcollect_core::hash::hashed_name(
        "css/app.css",
        &rcollect_core::hash::name_hash(&digests.sha256),
    );
    let file = p.p("out").join(hashed);
    std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    std::fs::write(&file, CSS).expect("write");
    let gz = gzip(CSS);
    let br = brotli(CSS);
    std::fs::write(variant(&file, ".gz"), &gz).expect("write");
    std::fs::write(variant(&file, ".br"), &br).expect("write");
    let (size, sha256) = rcollect_core::checks::file_sha256(&file).expect("sha");
    let mut m = Manifest::new();
    m.paths.insert("css/app.css".into(), hashed.into());
    m.files.insert(
        hashed.into(),
        FileMeta {
            size,
            content_type: "text/css; charset=utf-8".into(),
            sha256,
            // The real value: `check --manifest` verifies it.
            integrity: digests.integrity(),
            modified: 0,
            variants: [
                (Encoding::Gzip, gz.len() as u64),
                (Encoding::Br, br.len() as u64),
            ]
            .into_iter()
            .collect(),
            deltas: Default::default(),
            hashed_by: None,
        },
    );
    m.update_hash();
    m.write_atomic(&p.p("out")).expect("manifest");
    (p, file)
}

fn variant(file: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", file.display()))
}

#[test]
fn manifest_good_root_passes() {
    let (p, _) = collected();
    expect(&p, &["--manifest"], 0, &[]);
}

#[test]
fn manifest_missing_is_e020() {
    let p = Project::clean("");
    let doc = expect(&p, &["--manifest"], 1, &["E020"]);
    assert!(message(&doc, 0).contains("staticfiles.json"), "{doc:#}");
    // without --manifest nothing is read
    expect(&p, &[], 0, &[]);
    p.write("out/staticfiles.json", "{not json");
    expect(&p, &["--manifest"], 1, &["E020"]);
}

#[test]
fn manifest_truncated_file_is_e022() {
    let (p, file) = collected();
    std::fs::write(&file, &CSS[..20]).expect("truncate");
    let doc = expect(&p, &["--manifest"], 1, &["E022"]);
    let name = file.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(message(&doc, 0).contains(name), "{doc:#}");
    assert!(message(&doc, 0).contains("is 20 bytes"), "{doc:#}");
}

#[test]
fn manifest_same_size_different_bytes_is_e022() {
    let (p, file) = collected();
    let mut b = CSS.to_vec();
    b[0] = b'B';
    std::fs::write(&file, b).expect("write");
    let doc = expect(&p, &["--manifest"], 1, &["E022"]);
    assert!(message(&doc, 0).contains("SHA-256"), "{doc:#}");
}

#[test]
fn manifest_missing_file_is_e021() {
    let (p, file) = collected();
    std::fs::remove_file(&file).expect("rm");
    let doc = expect(&p, &["--manifest"], 1, &["E021"]);
    assert!(message(&doc, 0).contains("missing"), "{doc:#}");
}

#[test]
fn manifest_wrong_size_variant_is_e023() {
    let (p, file) = collected();
    let gz = gzip(CSS);
    let mut longer = gz.clone();
    longer.extend_from_slice(b"junk");
    std::fs::write(variant(&file, ".gz"), &longer).expect("write");
    let doc = expect(&p, &["--manifest"], 1, &["E023"]);
    let m = message(&doc, 0);
    assert!(m.contains("gzip variant") && m.contains(".gz'"), "{m}");
    assert!(m.contains(&format!("records {}", gz.len())), "{m}");
}

#[test]
fn manifest_corrupted_brotli_is_e023() {
    let (p, file) = collected();
    let mut br = std::fs::read(variant(&file, ".br")).expect("read");
    let mid = br.len() / 2;
    for b in &mut br[mid..] {
        *b ^= 0x5a;
    }
    std::fs::write(variant(&file, ".br"), &br).expect("write");
    let doc = expect(&p, &["--manifest"], 1, &["E023"]);
    let m = message(&doc, 0);
    assert!(m.contains("br variant") && m.contains(".br'"), "{m}");
}

#[test]
fn manifest_corrupted_gzip_and_missing_variant_are_e023() {
    let (p, file) = collected();
    let mut gz = std::fs::read(variant(&file, ".gz")).expect("read");
    let n = gz.len();
    gz[n - 8] ^= 0xff; // the CRC-32 trailer
    std::fs::write(variant(&file, ".gz"), &gz).expect("write");
    std::fs::remove_file(variant(&file, ".br")).expect("rm");
    let doc = expect(&p, &["--manifest"], 1, &["E023", "E023"]);
    assert!(message(&doc, 0).contains("br variant"), "{doc:#}");
    assert!(message(&doc, 0).contains("missing"), "{doc:#}");
    assert!(message(&doc, 1).contains("gzip variant"), "{doc:#}");
}

#[test]
fn manifest_paths_target_missing_is_e024() {
    let (p, _) = collected();
    let path = p.p("out/staticfiles.json");
    let mut m = Manifest::from_slice(&path, &std::fs::read(&path).expect("read")).expect("parse");
    m.paths
        .insert("img/logo.svg".into(), "img/logo.abcdefabcdef.svg".into());
    m.write_atomic(&p.p("out")).expect("write");
    let doc = expect(&p, &["--manifest"], 1, &["E024"]);
    assert!(
        message(&doc, 0).contains("img/logo.abcdefabcdef.svg"),
        "{doc:#}"
    );
}
