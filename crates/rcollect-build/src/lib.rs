//! Collect static files at build time and compile them into the binary.
//!
//! From `build.rs`:
//!
//! ```text
//! // build.rs
//! fn main() {
//!     rcollect_build::Build::new().run();
//! }
//! ```
//!
//! and in the app:
//!
//! ```text
//! include!(concat!(env!("OUT_DIR"), "/rcollect.rs"));
//!
//! let files = tower_rcollect::StaticFiles::embedded(&ASSETS)?;
//! let css: &str = asset!("css/app.css");          // "/static/css/app.3f2a9c81d0e4.css"
//! let sri: &str = asset_integrity!("css/app.css"); // "sha384-…"
//! ```
//!
//! [`Build::run`] runs the same collect as `rcollect collectstatic` (the
//! same `rcollect.toml`, checks and compression cache, so a rebuild
//! recompresses nothing that did not change) into `OUT_DIR`, tells cargo to
//! re-run it when the config or a source dir changes, and writes
//! `OUT_DIR/rcollect.rs`:
//!
//! * `ASSETS`, a `tower_rcollect::Embedded`: the manifest and every file and
//!   variant it names, each an `include_bytes!`;
//! * `asset!("logical/path")` and `asset_integrity!("logical/path")`: the
//!   URL and SRI value as `&'static str` literals; a path that is not a
//!   collected file is a compile error naming it.
//!
//! Debug builds collect nothing by default: `ASSETS` then points the
//! middleware at the sources (dev mode, edits show without a rebuild), and
//! `asset!` gives the unhashed URL and `asset_integrity!` an empty string
//! (which browsers accept as "no check"). [`Build::embed_in_debug`] or
//! `RCOLLECT_EMBED=1` embeds in debug builds too.
//!
//! A failed collect (a missing reference, a configuration error) does not
//! panic the build script: `rcollect.rs` then holds a `compile_error!` with
//! the message, which names the file and line, so `cargo build` reports it
//! as a compile error.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rcollect_core::config::{Config, Overrides};
use rcollect_core::delta::is_delta_name;
use rcollect_core::paths::static_url;
use rcollect_core::{Encoding, FileMeta, Manifest, collect, find};

/// The name of the generated file in `OUT_DIR`.
pub const GENERATED: &str = "rcollect.rs";

/// Why a build-time collect failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A cargo environment variable the build script needs is missing.
    Env(&'static str),
    /// The collect (or loading its configuration) failed; the message names
    /// the file, line and key.
    Collect(rcollect_core::Error),
    /// Writing the generated file failed.
    Io(PathBuf, std::io::Error),
    /// A path the generated code would name is not UTF-8.
    NotUtf8(PathBuf),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Env(k) => write!(f, "{k} is not set (run from a build script)"),
            Error::Collect(e) => write!(f, "{e}"),
            Error::Io(p, e) => write!(f, "{}: {e}", p.display()),
            Error::NotUtf8(p) => write!(f, "{}: path is not UTF-8", p.display()),
        }
    }
}

impl std::error::Error for Error {}

impl From<rcollect_core::Error> for Error {
    fn from(e: rcollect_core::Error) -> Self {
        Error::Collect(e)
    }
}

/// A build-time collect: which config, and whether to embed in debug builds.
/// Infallible `self -> Self` builders, then [`run`](Self::run).
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Build {
    config: Option<PathBuf>,
    embed_in_debug: bool,
    br_only: bool,
}

/// What a build wrote.
#[derive(Debug, Clone)]
pub struct Generated {
    /// `OUT_DIR/rcollect.rs`.
    pub path: PathBuf,
    /// Whether the files were embedded (false: dev mode from the sources).
    pub embedded: bool,
    /// Logical paths the `asset!` macro knows.
    pub assets: usize,
}

impl Build {
    /// `rcollect.toml` next to the crate's `Cargo.toml`; embedding in
    /// release builds only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses this config file (relative to the crate's directory).
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config = Some(path.into());
        self
    }

    /// Embeds the collected files in debug builds too (also with
    /// `RCOLLECT_EMBED=1`).
    pub fn embed_in_debug(mut self, on: bool) -> Self {
        self.embed_in_debug = on;
        self
    }

    /// Embeds files that have a br variant as br only (and their deltas),
    /// leaving out their identity bytes and gzip/zstd variants: a smaller
    /// binary. Clients that do not accept br get the identity bytes decoded
    /// from br (kept in memory within `[serve] memory_budget`); gzip and
    /// zstd are not offered. Also with `RCOLLECT_EMBED_BR_ONLY=1`.
    pub fn br_only(mut self, on: bool) -> Self {
        self.br_only = on;
        self
    }

    /// Runs the collect and writes `OUT_DIR/rcollect.rs`. Never panics: an
    /// error becomes a `compile_error!` in the generated file (and a cargo
    /// warning), so the build fails with the message.
    pub fn run(self) {
        if let Err(e) = self.try_run() {
            let message = format!("rcollect: {e}");
            for line in message.lines() {
                println!("cargo:warning={line}");
            }
            if let Some(out) = std::env::var_os("OUT_DIR") {
                let code = format!("::core::compile_error!({message:?});\n");
                let _ = std::fs::write(Path::new(&out).join(GENERATED), code);
            }
        }
    }

    /// [`run`](Self::run), returning the error instead.
    ///
    /// # Errors
    /// A cargo variable is missing, the collect fails, or the generated
    /// file cannot be written.
    pub fn try_run(self) -> Result<Generated, Error> {
        let env = |k: &'static str| std::env::var_os(k).map(PathBuf::from).ok_or(Error::Env(k));
        let crate_dir = env("CARGO_MANIFEST_DIR")?;
        let out_dir = env("OUT_DIR")?;
        let debug = std::env::var("PROFILE").is_ok_and(|p| p == "debug");
        let forced = std::env::var("RCOLLECT_EMBED").is_ok_and(|v| v == "1");
        let embed = !debug || self.embed_in_debug || forced;
        let config_file = crate_dir.join(self.config.unwrap_or_else(|| "rcollect.toml".into()));
        println!("cargo:rerun-if-changed={}", config_file.display());
        println!("cargo:rerun-if-env-changed=RCOLLECT_EMBED");
        println!("cargo:rerun-if-env-changed=RCOLLECT_EMBED_BR_ONLY");
        let br_only =
            self.br_only || std::env::var("RCOLLECT_EMBED_BR_ONLY").is_ok_and(|v| v == "1");
        let overrides = Overrides {
            static_root: Some(out_dir.join("rcollect-staticfiles")),
            ..Overrides::default()
        };
        let mut config = Config::load(&crate_dir, Some(&config_file), &overrides)?;
        config.debug = false;
        if config.cache_dir.is_none() {
            config.cache_dir = rcollect_core::compress::Cache::default_dir();
        }
        for d in &config.dirs {
            println!("cargo:rerun-if-changed={}", d.path.display());
        }
        let code = if embed {
            collect::collect(&config, &collect::Options::default())?;
            let manifest =
                Manifest::load(&config.static_root, config.manifest_max_size)?.unwrap_or_default();
            embedded_code(&config, &manifest, br_only)?
        } else {
            dev_code(&config, &config_file)?
        };
        let path = out_dir.join(GENERATED);
        std::fs::write(&path, code.text).map_err(|e| Error::Io(path.clone(), e))?;
        Ok(Generated {
            path,
            embedded: embed,
            assets: code.assets,
        })
    }
}

struct Code {
    text: String,
    assets: usize,
}

fn utf8(p: &Path) -> Result<&str, Error> {
    p.to_str().ok_or_else(|| Error::NotUtf8(p.to_path_buf()))
}

/// The generated file for embedded files.
fn embedded_code(config: &Config, m: &Manifest, br_only: bool) -> Result<Code, Error> {
    let root = &config.static_root;
    let manifest_path = root.join(rcollect_core::manifest::MANIFEST_NAME);
    // Names and bytes in two arrays: the names then sit together in the
    // binary, and reading them at start-up pages in none of the bytes.
    let (mut names, mut files) = (String::new(), String::new());
    for (hashed, meta) in &m.files {
        for name in embedded_names(hashed, meta, br_only) {
            let file = rcollect_core::paths::path_in(root, &name);
            let _ = writeln!(names, "        {name:?},");
            let _ = writeln!(files, "        ::core::include_bytes!({:?}),", utf8(&file)?);
        }
    }
    let mut urls = Vec::new();
    for (logical, hashed) in &m.paths {
        let integrity = m
            .files
            .get(hashed)
            .map(|f| f.integrity.clone())
            .unwrap_or_default();
        urls.push((
            logical.clone(),
            static_url(&config.static_url, hashed),
            integrity,
        ));
    }
    let mut text = header(config);
    let _ = write!(
        text,
        "pub static ASSETS: ::tower_rcollect::Embedded = ::tower_rcollect::Embedded::new(\n    \
         ::core::include_str!({:?}),\n    &[\n{names}    ],\n    &[\n{files}    ],\n    \
         {:?},\n)\n.br_only({br_only});\n",
        utf8(&manifest_path)?,
        config.static_url
    );
    text.push_str(&macros(&urls));
    Ok(Code {
        text,
        assets: urls.len(),
    })
}

/// The names embedded for one file: itself and every output, or, with
/// `br_only` and a br variant, the br variant and the deltas.
fn embedded_names(hashed: &str, meta: &FileMeta, br_only: bool) -> Vec<String> {
    let br = meta.variants.contains_key(&Encoding::Br);
    if br_only && br {
        let deltas = meta.outputs(hashed).filter(|n| is_delta_name(n));
        return std::iter::once(format!("{hashed}{}", Encoding::Br.suffix()))
            .chain(deltas)
            .collect();
    }
    std::iter::once(hashed.to_string())
        .chain(meta.outputs(hashed))
        .collect()
}

/// The generated file for dev mode: the logical paths (for the checked
/// names), no bytes.
fn dev_code(config: &Config, config_file: &Path) -> Result<Code, Error> {
    let found = find::find(config)?;
    let urls: Vec<_> = found
        .assets
        .iter()
        .map(|a| {
            (
                a.logical.clone(),
                static_url(&config.static_url, &a.logical),
                String::new(),
            )
        })
        .collect();
    let mut text = header(config);
    let _ = write!(
        text,
        "pub static ASSETS: ::tower_rcollect::Embedded =\n    \
         ::tower_rcollect::Embedded::new(\"\", &[], &[], {:?}).dev_config({:?});\n",
        config.static_url,
        utf8(config_file)?
    );
    text.push_str(&macros(&urls));
    Ok(Code {
        text,
        assets: urls.len(),
    })
}

fn header(config: &Config) -> String {
    format!(
        "// Generated by rcollect-build from {}. Do not edit.\n\n\
         /// The static files, collected at build time (see `rcollect-build`).\n",
        config
            .config_file
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    )
}

/// `asset!`, `asset_integrity!` and the tag macros: one arm per logical
/// path, then an arm that turns any other literal into a compile error
/// naming it and, when a known path is close, the closest
/// (`rcollect_core::suggest::closest`, run by the compiler).
fn macros(urls: &[(String, String, String)]) -> String {
    let mut arms: [String; 5] = Default::default();
    let [url_arms, sri_arms, css_arms, js_arms, module_arms] = &mut arms;
    for (logical, url, integrity) in urls {
        let sri = if integrity.is_empty() {
            String::new()
        } else {
            format!(r#" integrity="{integrity}""#)
        };
        let _ = writeln!(url_arms, "    ({logical:?}) => {{ {url:?} }};");
        let _ = writeln!(sri_arms, "    ({logical:?}) => {{ {integrity:?} }};");
        let tags = [
            (
                &mut *css_arms,
                format!(r#"<link rel="stylesheet" href="{url}"{sri} crossorigin="anonymous">"#),
            ),
            (
                &mut *js_arms,
                format!(r#"<script src="{url}"{sri} crossorigin="anonymous"></script>"#),
            ),
            (
                &mut *module_arms,
                format!(
                    r#"<script type="module" src="{url}"{sri} crossorigin="anonymous"></script>"#
                ),
            ),
        ];
        for (out, tag) in tags {
            let _ = writeln!(out, "    ({logical:?}) => {{ {tag:?} }};");
        }
    }
    let mut consts = String::new();
    let mut taken = std::collections::BTreeSet::new();
    for (logical, url, integrity) in urls {
        let name = const_name(logical);
        if !taken.insert(name.clone()) {
            let _ = writeln!(
                consts,
                "    // {logical:?}: its name {name} is taken; use asset!({logical:?})"
            );
            continue;
        }
        let _ = writeln!(
            consts,
            "    /// The URL of `{logical}`.\n    pub const {name}: &str = {url:?};\n    \
             /// The Subresource Integrity value of `{logical}` (empty in dev mode).\n    \
             pub const {name}_SRI: &str = {integrity:?};"
        );
    }
    let miss = "($other:literal) => { __rcollect_missing!($other) };";
    let one = |doc: &str, name: &str, arms: &str| {
        format!(
            "\n/// {doc}\n#[allow(unused_macros)]\nmacro_rules! {name} {{\n{arms}    {miss}\n}}\n"
        )
    };
    format!(
        "{}{}{}{}{}{}\n/// The same as constants, for code that takes paths: the logical path\n\
         /// in capitals, other characters as `_`; `NAME_SRI` is the integrity\n\
         /// (empty in dev mode: write tags with `asset_stylesheet!` and the\n\
         /// like, which leave the attribute out then).\n\
         #[allow(dead_code)]\npub mod assets {{\n{consts}}}\n",
        missing_macro(urls),
        one(
            "The URL of a collected file, checked at compile time.",
            "asset",
            url_arms
        ),
        one(
            "The Subresource Integrity value of a collected file (empty in dev mode).",
            "asset_integrity",
            sri_arms
        ),
        one(
            "`<link rel=\"stylesheet\" …>` for a collected file, with `integrity` (left out in dev mode).",
            "asset_stylesheet",
            css_arms
        ),
        one(
            "`<script src=… >` for a collected file, with `integrity` (left out in dev mode).",
            "asset_script",
            js_arms
        ),
        one(
            "`<script type=\"module\" …>` for a collected file, with `integrity` (left out in dev mode).",
            "asset_module",
            module_arms
        ),
    )
}

/// `__rcollect_missing!(literal)`: a compile error naming a path no arm
/// knows, with the closest known one. The compiler runs
/// `rcollect_core::suggest::closest` (a `const fn`, re-exported by
/// `tower_rcollect`) over the sorted logical paths, and the arm for the
/// index it gives panics with a message naming that path.
fn missing_macro(urls: &[(String, String, String)]) -> String {
    let mut names: Vec<&str> = urls.iter().map(|(l, _, _)| l.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut list = String::new();
    let mut arms = String::new();
    let start = "::core::panic!(::core::concat!(\"rcollect: no static file \", ::core::stringify!($other), \" (not in a source dir, or ignored)";
    for (i, name) in names.iter().enumerate() {
        let _ = writeln!(list, "            {name:?},");
        let hint = format!(": did you mean {name:?}?");
        let _ = writeln!(
            arms,
            "            ::core::option::Option::Some({i}) => {start}{}\")),",
            hint.escape_default()
        );
    }
    format!(
        "\n#[doc(hidden)]\n#[allow(unused_macros)]\nmacro_rules! __rcollect_missing {{\n    \
         ($other:literal) => {{{{\n        \
         const _: () = match ::tower_rcollect::__closest($other, &[\n{list}        ]) {{\n\
         {arms}            _ => {start}\")),\n        }};\n        \"\"\n    }}}};\n}}\n"
    )
}

/// The constant for a logical path: `css/app.min.css` → `CSS_APP_MIN_CSS`
/// (a leading digit gets a `_`).
fn const_name(logical: &str) -> String {
    let mut name: String = logical
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if name.chars().next().is_none_or(|c| c.is_ascii_digit()) || name == "_" {
        name.insert(0, '_');
    }
    name
}

#[cfg(test)]
mod tests {
    use super::{FileMeta, const_name, embedded_names, macros};
    use rcollect_core::Encoding;
    use rcollect_core::delta::DeltaCoding;
    use rcollect_core::manifest::Delta;

    /// Compiles `uses` after the generated macros with rustc (edition 2015,
    /// where `::tower_rcollect` names a module of the crate: a stand-in
    /// holding the real `rcollect_core::suggest`), runs the program when it
    /// builds, and gives (built, stdout or stderr).
    fn compile(urls: &[(String, String, String)], uses: &str) -> (bool, String) {
        let dir = tempfile::tempdir().expect("tempdir");
        let suggest = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../rcollect-core/src/suggest.rs"
        );
        let src = format!(
            "extern crate core;\nmod tower_rcollect {{\n    #[path = {suggest:?}]\n    \
             mod suggest;\n    pub use self::suggest::closest as __closest;\n}}\n{}\n\
             fn main() {{\n{uses}\n}}\n",
            macros(urls)
        );
        let main = dir.path().join("main.rs");
        std::fs::write(&main, src).expect("write");
        let exe = dir.path().join("generated");
        let out = std::process::Command::new(std::env::var("RUSTC").unwrap_or("rustc".into()))
            .args(["--edition", "2015", "--cap-lints", "allow", "-o"])
            .arg(&exe)
            .arg(&main)
            .output()
            .expect("run rustc");
        if !out.status.success() {
            return (false, String::from_utf8_lossy(&out.stderr).into_owned());
        }
        let run = std::process::Command::new(&exe).output().expect("run");
        (true, String::from_utf8_lossy(&run.stdout).into_owned())
    }

    #[test]
    fn generated_macros_give_tags_and_a_misspelt_name_fails_with_the_closest() {
        let url = |l: &str, u: &str, i: &str| (l.to_string(), u.to_string(), i.to_string());
        let urls = [
            url(
                "css/app.css",
                "/static/css/app.0123456789ab.css",
                "sha384-AAA",
            ),
            url(
                "img/logo.svg",
                "/static/img/logo.0123456789ab.svg",
                "sha384-BBB",
            ),
            url("js/app.js", "/static/js/app.js", ""),
        ];
        let (built, out) = compile(
            &urls,
            r#"println!("{}", asset!("css/app.css"));
println!("{}", asset_stylesheet!("css/app.css"));
println!("{}", asset_module!("js/app.js"));
println!("{}", asset_script!("js/app.js"));
println!("{}", asset_integrity!("img/logo.svg"));
println!("{}", assets::IMG_LOGO_SVG);"#,
        );
        assert!(built, "{out}");
        assert_eq!(
            out,
            "/static/css/app.0123456789ab.css\n\
             <link rel=\"stylesheet\" href=\"/static/css/app.0123456789ab.css\" integrity=\"sha384-AAA\" crossorigin=\"anonymous\">\n\
             <script type=\"module\" src=\"/static/js/app.js\" crossorigin=\"anonymous\"></script>\n\
             <script src=\"/static/js/app.js\" crossorigin=\"anonymous\"></script>\n\
             sha384-BBB\n/static/img/logo.0123456789ab.svg\n"
        );
        // A misspelt name: the compiler names it and the closest.
        let (built, err) = compile(&urls, r#"let _ = asset!("css/apps.css");"#);
        assert!(!built);
        assert!(
            err.contains(r#"rcollect: no static file "css/apps.css" (not in a source dir, or ignored): did you mean "css/app.css"?"#),
            "{err}"
        );
        let (built, err) = compile(&urls, r#"let _ = asset_module!("app.js");"#);
        assert!(!built);
        assert!(err.contains(r#"did you mean "js/app.js"?"#), "{err}");
        // Nothing close: the name alone.
        let (built, err) = compile(&urls, r#"let _ = asset_integrity!("fonts/inter.woff2");"#);
        assert!(!built);
        assert!(
            err.contains(
                r#"rcollect: no static file "fonts/inter.woff2" (not in a source dir, or ignored)"#
            ) && !err.contains("did you mean"),
            "{err}"
        );
    }

    #[test]
    fn constant_names() {
        assert_eq!(const_name("css/app.min.css"), "CSS_APP_MIN_CSS");
        assert_eq!(const_name("3d/x-y.js"), "_3D_X_Y_JS");
        assert_eq!(const_name("_"), "__");
        assert_eq!(const_name("é.css"), "__CSS");
    }

    #[test]
    fn br_only_embeds_br_and_deltas_of_files_that_have_br() {
        let sha = "ab".repeat(32);
        let meta = FileMeta {
            size: 100,
            content_type: "text/css".into(),
            sha256: "cd".repeat(32),
            integrity: String::new(),
            modified: 0,
            variants: [(Encoding::Br, 10), (Encoding::Gzip, 20)].into(),
            deltas: [(
                sha.clone(),
                Delta {
                    dictionary: "a.111111111111.css".into(),
                    encodings: [(DeltaCoding::Dcb, 5)].into(),
                },
            )]
            .into(),
            hashed_by: None,
        };
        let name = "a.222222222222.css";
        let dcb = format!("{name}.{}.dcb", &sha[..16]);
        assert_eq!(
            embedded_names(name, &meta, true),
            [format!("{name}.br"), dcb.clone()]
        );
        let all = embedded_names(name, &meta, false);
        assert_eq!(all.len(), 4, "{all:?}");
        assert!(
            all.contains(&name.to_string())
                && all.contains(&format!("{name}.gz"))
                && all.contains(&dcb)
        );
        // No br variant (an image): the file itself either way.
        let png = FileMeta {
            variants: Default::default(),
            deltas: Default::default(),
            hashed_by: None,
            ..meta
        };
        assert_eq!(
            embedded_names("i.333333333333.png", &png, true),
            ["i.333333333333.png"]
        );
    }
}
