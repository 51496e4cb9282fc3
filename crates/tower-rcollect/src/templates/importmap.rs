//! `importmap()`: the inline `<script type="importmap">` of the live
//! manifest ([`rcollect_core::importmap`]), with a CSP nonce or the
//! `'sha256-…'` source a `Content-Security-Policy` needs for it.

use std::sync::Arc;

use rcollect_core::importmap::{ImportMap, Module, is_module};

use crate::error::MissingAsset;
use crate::files::StaticFiles;
use crate::source::Source;
use crate::templates::tags::HtmlTag;

/// The import map of the files served, ready to write into a page, first
/// in its `<head>` (before any module script or `modulepreload`).
///
/// With `[js] linking = "importmap"` it maps every module's URL to its
/// hashed URL; in both linking modes it maps the bare specifiers of
/// `[js.imports]` and gives every module's `integrity`, so the browser
/// checks each module it loads, dynamic imports included. In dev mode it
/// maps only the bare specifiers, to the source files.
///
/// It displays as the HTML element (and is a `maud::Render` / HTML-safe
/// for askama with those features).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportMapTag {
    json: Arc<str>,
    nonce: Option<String>,
}

impl ImportMapTag {
    /// The same element with `nonce="…"`, for a `Content-Security-Policy`
    /// with `script-src 'nonce-…'` (the modules it loads inherit the page's
    /// module script nonce).
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }

    /// The map's JSON: one line, `<` written `\u003c`, no CR; exactly the
    /// text between the element's tags.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// The CSP source that allows this inline map without a nonce:
    /// `'sha256-<base64>'` of the exact text of the element, for
    /// `script-src` (or `script-src-elem`).
    pub fn csp_source(&self) -> String {
        rcollect_core::importmap::csp_source(&self.json)
    }

    /// The element.
    pub fn to_html(&self) -> HtmlTag {
        let nonce = match &self.nonce {
            Some(n) => format!(" nonce=\"{}\"", escape_attribute(n)),
            None => String::new(),
        };
        HtmlTag::new(format!(
            "<script type=\"importmap\"{nonce}>{}</script>",
            self.json
        ))
    }
}

impl std::fmt::Display for ImportMapTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.to_html().as_str())
    }
}

impl From<ImportMapTag> for HtmlTag {
    fn from(tag: ImportMapTag) -> HtmlTag {
        tag.to_html()
    }
}

#[cfg(feature = "maud")]
impl maud::Render for ImportMapTag {
    fn render(&self) -> maud::Markup {
        maud::PreEscaped(self.to_html().into_string())
    }
}

#[cfg(feature = "askama")]
impl askama::filters::HtmlSafe for ImportMapTag {}

/// `&`, `"`, `<`, `>` as character references (a nonce is base64, but
/// whatever a caller passes stays inside its attribute).
fn escape_attribute(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

impl StaticFiles {
    /// The import map of the files served (see [`ImportMapTag`]), built
    /// once per `StaticFiles`.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// # std::fs::create_dir_all(dir.path().join("src/lib"))?;
    /// # std::fs::write(dir.path().join("src/app.js"), "import './lib/leaf.js';\n")?;
    /// # std::fs::write(dir.path().join("src/lib/leaf.js"), "export const x = 1;\n")?;
    /// let mut config = tower_rcollect::Config::new(dir.path().join("out"), "/static/");
    /// config.dirs.push(tower_rcollect::SourceDir { prefix: String::new(), path: dir.path().join("src") });
    /// config.js.linking = rcollect_core::config::Linking::Importmap;
    /// # config.cache_dir = None;
    /// rcollect_core::collect::collect(&config, &Default::default())?;
    /// let files = tower_rcollect::StaticFiles::from_manifest(dir.path().join("out"), "/static/")?;
    /// let map = files.importmap();
    /// assert!(map.json().starts_with(r#"{"imports":{"/static/app.js":"/static/app."#));
    /// assert!(map.to_string().starts_with(r#"<script type="importmap">{"imports""#));
    /// assert!(map.clone().nonce("r4nd0m").to_string().starts_with(r#"<script type="importmap" nonce="r4nd0m">"#));
    /// assert!(map.csp_source().starts_with("'sha256-"));
    /// # Ok(()) }
    /// ```
    pub fn importmap(&self) -> ImportMapTag {
        let json = self
            .inner
            .importmap
            .get_or_init(|| Arc::from(self.build_importmap().to_json()))
            .clone();
        ImportMapTag { json, nonce: None }
    }

    /// The import map of one page: only the modules `entries` (logical
    /// paths of the page's module scripts) load, transitively through the
    /// reference graph (static and dynamic imports), with the bare
    /// specifiers that name them. [`importmap`](Self::importmap) maps every
    /// module served and its size grows with the whole STATIC_ROOT (on the
    /// bench corpus, 860 modules: 55 KB br in every page); this one grows
    /// with the page (the CodeMirror page's 63: 4.5 KB). A module reached
    /// only by a computed `import(name)` is not in the graph, so not in
    /// this map: it would load unhashed and unchecked; use `importmap()`
    /// for such pages. Built on each call (cache the tag per page); in dev
    /// mode, the same as `importmap()`.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// # std::fs::create_dir_all(dir.path().join("src"))?;
    /// # std::fs::write(dir.path().join("src/a.js"), "import './shared.js';\n")?;
    /// # std::fs::write(dir.path().join("src/b.js"), "export const b = 1;\n")?;
    /// # std::fs::write(dir.path().join("src/shared.js"), "export const s = 1;\n")?;
    /// # let mut config = tower_rcollect::Config::new(dir.path().join("out"), "/static/");
    /// # config.dirs.push(tower_rcollect::SourceDir { prefix: String::new(), path: dir.path().join("src") });
    /// # config.js.linking = rcollect_core::config::Linking::Importmap;
    /// # config.cache_dir = None;
    /// # rcollect_core::collect::collect(&config, &Default::default())?;
    /// let files = tower_rcollect::StaticFiles::from_manifest(dir.path().join("out"), "/static/")?;
    /// let map = files.importmap_for(&["a.js"])?;
    /// assert!(map.json().contains("/static/shared.js") && !map.json().contains("/static/b.js"));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// An entry is not a known logical path.
    pub fn importmap_for(&self, entries: &[&str]) -> Result<ImportMapTag, MissingAsset> {
        let Source::Manifest(loaded) = &self.inner.source else {
            for e in entries {
                self.static_url(e)?;
            }
            return Ok(self.importmap());
        };
        let reached = self.reachable(loaded, entries)?;
        let modules = reached.into_iter().filter_map(|(hashed, logical)| {
            let (_, a) = loaded.logical.get(logical)?;
            is_module(a.content_type.to_str().unwrap_or_default()).then_some(Module {
                logical,
                hashed,
                integrity: &a.integrity,
            })
        });
        let map = ImportMap::build(
            loaded.linking,
            modules,
            &loaded.bare_imports,
            &self.inner.url,
        );
        Ok(ImportMapTag {
            json: Arc::from(map.to_json()),
            nonce: None,
        })
    }

    fn build_importmap(&self) -> ImportMap {
        let url = &self.inner.url;
        match &self.inner.source {
            Source::Manifest(loaded) => {
                let modules = loaded.logical.iter().filter_map(|(logical, (hashed, a))| {
                    let ct = a.content_type.to_str().unwrap_or_default();
                    is_module(ct).then_some(Module {
                        logical,
                        hashed,
                        integrity: &a.integrity,
                    })
                });
                ImportMap::build(loaded.linking, modules, &loaded.bare_imports, url)
            }
            Source::Dev(dev) => {
                // The sources are served as they are: only the bare
                // specifiers, to the source files (prefixes as prefixes).
                let imports = dev
                    .bare_imports
                    .iter()
                    .map(|(k, v)| (k.clone(), url.file(v.trim_start_matches('/'))))
                    .collect();
                ImportMap {
                    imports,
                    integrity: Default::default(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use bytes::Bytes;
    use http::{Request, Response, header};
    use http_body_util::Full;
    use rcollect_core::config::Linking;
    use tower::{Layer, ServiceExt};

    use crate::StaticFiles;

    /// `app.js` → `./lib/mid.js` → `../util.js`, and `lit` (a bare
    /// specifier) → `vendor/lit/index.js`, collected with `linking`.
    fn collected(linking: Linking) -> (tempfile::TempDir, StaticFiles) {
        let t = tempfile::tempdir().expect("tempdir");
        let src = t.path().join("src");
        for (name, text) in [
            (
                "app.js",
                "import { mid } from './lib/mid.js';\nimport 'lit';\n",
            ),
            ("lib/mid.js", "export { util as mid } from '../util.js';\n"),
            ("util.js", "export const util = 1;\n"),
            ("vendor/lit/index.js", "export const lit = 1;\n"),
            ("app.css", "body{}\n"),
        ] {
            let p = src.join(name);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        let mut config = rcollect_core::Config::new(t.path().join("root"), "/static/");
        config.cache_dir = None;
        config.dirs.push(rcollect_core::config::SourceDir {
            prefix: String::new(),
            path: src,
        });
        config.js.linking = linking;
        config
            .js
            .imports
            .insert("lit".into(), "vendor/lit/index.js".into());
        rcollect_core::collect::collect(&config, &Default::default()).expect("collect");
        let files = StaticFiles::from_manifest(t.path().join("root"), "/static/").expect("load");
        (t, files)
    }

    fn url(files: &StaticFiles, logical: &str) -> String {
        files.static_url(logical).expect("url")
    }

    #[test]
    fn a_pages_map_holds_only_what_its_entries_load() {
        let (_t, files) = collected(Linking::Importmap);
        let parse = |entries: &[&str]| -> rcollect_core::importmap::ImportMap {
            serde_json::from_str(files.importmap_for(entries).expect("map").json()).expect("json")
        };
        // app.js loads mid.js, util.js and (through the bare `lit`) lit.
        let app = parse(&["app.js"]);
        let whole: rcollect_core::importmap::ImportMap =
            serde_json::from_str(files.importmap().json()).expect("json");
        assert_eq!(app, whole, "app.js loads every module there is");
        // util.js loads nothing: its own entry and integrity only.
        let util = parse(&["util.js"]);
        let hashed = url(&files, "util.js");
        assert_eq!(
            util.imports.keys().collect::<Vec<_>>(),
            ["/static/util.js"],
            "{util:?}"
        );
        assert_eq!(util.integrity.keys().collect::<Vec<_>>(), [&hashed]);
        // mid.js: mid and util, no lit, no app.
        let mid = parse(&["lib/mid.js"]);
        assert_eq!(mid.imports.len(), 2, "{mid:?}");
        assert!(!mid.imports.contains_key("lit"), "{mid:?}");
        // A stylesheet entry has no module; an unknown entry is an error naming it.
        assert!(parse(&["app.css"]).imports.is_empty());
        let e = files.importmap_for(&["nope.js"]).expect_err("unknown");
        assert!(e.to_string().contains("nope.js"), "{e}");
    }

    #[test]
    fn the_map_sends_each_module_to_its_hashed_url_with_its_integrity() {
        let (t, files) = collected(Linking::Importmap);
        let map: rcollect_core::importmap::ImportMap =
            serde_json::from_str(files.importmap().json()).expect("json");
        for m in ["app.js", "lib/mid.js", "util.js", "vendor/lit/index.js"] {
            let hashed = url(&files, m);
            assert_ne!(hashed, format!("/static/{m}"));
            assert_eq!(
                map.imports.get(&format!("/static/{m}")),
                Some(&hashed),
                "{m}"
            );
            assert_eq!(
                map.integrity.get(&hashed),
                Some(&files.integrity(m).expect("integrity")),
                "{m}"
            );
        }
        assert_eq!(
            map.imports.get("lit"),
            Some(&url(&files, "vendor/lit/index.js"))
        );
        assert!(!map.imports.contains_key("/static/app.css"), "not a module");
        // Specifiers as written: the modules' bytes do not name hashes.
        let app = std::fs::read_to_string(
            t.path()
                .join("root")
                .join(url(&files, "app.js").trim_start_matches("/static/")),
        )
        .expect("app");
        assert!(app.contains("from './lib/mid.js'"), "{app}");
        // The map written for other servers is the same map.
        let written = rcollect_core::importmap::ImportMap::load(&t.path().join("root"), 1 << 20)
            .expect("read")
            .expect("written");
        assert_eq!(written, map);
        // The reference graph still knows what app.js loads.
        let preload: Vec<String> = files
            .preload("app.js")
            .expect("preload")
            .iter()
            .map(|p| p.tag().into_string())
            .collect();
        assert!(
            preload
                .iter()
                .any(|t| t.contains(&url(&files, "lib/mid.js"))
                    && t.contains(&files.integrity("lib/mid.js").expect("sri"))),
            "{preload:?}"
        );
    }

    #[test]
    fn with_rewrite_linking_the_map_gives_integrity_and_bare_specifiers_only() {
        let (_t, files) = collected(Linking::Rewrite);
        let map: rcollect_core::importmap::ImportMap =
            serde_json::from_str(files.importmap().json()).expect("json");
        assert_eq!(
            map.imports.keys().collect::<Vec<_>>(),
            ["lit"],
            "modules name each other's hashed names already"
        );
        assert_eq!(map.integrity.len(), 4);
    }

    #[test]
    fn the_element_its_nonce_and_its_csp_hash() {
        let (_t, files) = collected(Linking::Importmap);
        let map = files.importmap();
        let html = map.to_string();
        let text = html
            .strip_prefix(r#"<script type="importmap">"#)
            .and_then(|s| s.strip_suffix("</script>"))
            .expect("element");
        assert_eq!(text, map.json());
        assert_eq!(
            map.csp_source(),
            rcollect_core::importmap::csp_source(text),
            "the hash covers exactly the element's text"
        );
        assert_eq!(
            map.clone().nonce("a\"b<").to_string(),
            format!(r#"<script type="importmap" nonce="a&quot;b&lt;">{text}</script>"#)
        );
    }

    #[cfg(all(feature = "minijinja", feature = "tera"))]
    #[test]
    fn minijinja_and_tera_write_the_map_with_or_without_a_nonce() {
        let (_t, files) = collected(Linking::Importmap);
        let plain = files.importmap().to_string();
        let nonced = files.importmap().nonce("n0nce").to_string();
        let mut env = minijinja::Environment::new();
        files.register_minijinja(&mut env);
        let html = env
            .render_named_str(
                "p.html",
                "{{ importmap() }}|{{ importmap(nonce=n) }}",
                minijinja::context! { n => "n0nce" },
            )
            .expect("render");
        assert_eq!(html, format!("{plain}|{nonced}"));
        assert!(
            env.render_str("{{ importmap(nonse='x') }}", ()).is_err(),
            "unknown argument"
        );
        let page = files.importmap_for(&["util.js"]).expect("map").to_string();
        assert_ne!(page, plain);
        let html = env
            .render_str("{{ importmap(entries=['util.js']) }}", ())
            .expect("render");
        assert_eq!(html, page);
        let e = env
            .render_named_str("p.html", "\n{{ importmap(entries=['nope.js']) }}", ())
            .expect_err("unknown entry");
        assert!(
            e.to_string().contains("nope.js") && e.line() == Some(2),
            "{e}"
        );
        let mut tera = tera::Tera::default();
        files.register_tera(&mut tera);
        tera.add_raw_template(
            "p.html",
            r#"{{ importmap() }}|{{ importmap(nonce="n0nce") }}"#,
        )
        .expect("template");
        let html = tera
            .render("p.html", &tera::Context::new())
            .expect("render");
        assert_eq!(html, format!("{plain}|{nonced}"));
        tera.add_raw_template("q.html", r#"{{ importmap(entries=["util.js"]) }}"#)
            .expect("template");
        let html = tera
            .render("q.html", &tera::Context::new())
            .expect("render");
        assert_eq!(html, page);
    }

    #[tokio::test]
    async fn integrity_policy_goes_on_html_responses_only() {
        let (_t, files) = collected(Linking::Importmap);
        let app = tower::service_fn(|req: Request<()>| async move {
            let ct = if req.uri().path() == "/page" {
                "text/html; charset=utf-8"
            } else {
                "application/json"
            };
            Ok::<_, Infallible>(
                Response::builder()
                    .header(header::CONTENT_TYPE, ct)
                    .body(Full::new(Bytes::from_static(b"x")))
                    .expect("response"),
            )
        });
        let get = |svc: crate::StaticFilesService<_>, path: &str| {
            let req = Request::builder().uri(path).body(()).expect("request");
            svc.oneshot(req)
        };
        let off = files.clone().layer(app);
        let res = get(off, "/page").await.expect("infallible");
        assert!(res.headers().get("integrity-policy").is_none());
        let on = files.clone().integrity_policy(true).layer(app);
        let res = get(on.clone(), "/page").await.expect("infallible");
        assert_eq!(
            res.headers()["integrity-policy"],
            "blocked-destinations=(script)"
        );
        let res = get(on.clone(), "/api").await.expect("infallible");
        assert!(res.headers().get("integrity-policy").is_none());
        let res = get(on, &url(&files, "app.js")).await.expect("infallible");
        assert!(res.headers().get("integrity-policy").is_none());
    }
}
