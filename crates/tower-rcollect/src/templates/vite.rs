//! [`StaticFiles::vite_entry`]: the tags that load an entry of a Vite
//! build, from the bundler manifest collect folded into `staticfiles.json`
//! (as django-vite and vite_ruby render them), or, in dev mode, from the
//! Vite dev server.

use rcollect_core::bundler::{EntryFiles, entry_files};

use super::tags::HtmlTag;
use crate::error::{LookedIn, MissingAsset};
use crate::files::StaticFiles;
use crate::source::Source;

impl StaticFiles {
    /// The tags that load the Vite entry `entry` (its manifest key, e.g.
    /// `src/main.ts`): a `<link rel="stylesheet">` for the CSS of the entry
    /// and of every chunk it imports statically, a `<link
    /// rel="modulepreload">` for each of those chunks (transitively,
    /// nearest first) and the `<script type="module">` of the entry, each
    /// with `integrity` and `crossorigin`.
    ///
    /// In dev mode with `[bundler] dev_server` set
    /// ([`vite_dev_server`](Self::vite_dev_server)), the Vite client and the
    /// entry from the dev server instead, so `vite` plus `cargo run` is the
    /// whole loop; without it, the Vite manifest of the source dirs (a
    /// `vite build --watch` output dir) is read on each call.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let mut config = tower_rcollect::Config::new(dir.path().join("out"), "/static/");
    /// config.dirs.push(tower_rcollect::SourceDir { prefix: String::new(), path: dir.path().into() });
    /// config.debug = true;
    /// let files = tower_rcollect::StaticFiles::from_config(&config)?
    ///     .vite_dev_server("http://localhost:5173/static/");
    /// let tags = files.vite_entry("src/main.ts")?.into_string();
    /// assert_eq!(
    ///     tags,
    ///     "<script type=\"module\" src=\"http://localhost:5173/static/@vite/client\"></script>\n\
    ///      <script type=\"module\" src=\"http://localhost:5173/static/src/main.ts\"></script>"
    /// );
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `entry` is not a key of the Vite manifest.
    pub fn vite_entry(&self, entry: &str) -> Result<HtmlTag, MissingAsset> {
        let missing = |known: &mut dyn Iterator<Item = &str>| {
            MissingAsset::new(entry, LookedIn::ViteEntries, known)
        };
        let files = match &self.inner.source {
            Source::Manifest(loaded) => entry_files(&loaded.bundles, entry)
                .ok_or_else(|| missing(&mut loaded.bundles.keys().map(String::as_str)))?,
            Source::Dev(dev) => {
                if let Some(server) = &self.inner.settings.vite_dev_server {
                    return Ok(HtmlTag::new(format!(
                        "<script type=\"module\" src=\"{server}@vite/client\"></script>\n\
                         <script type=\"module\" src=\"{server}{}\"></script>",
                        rcollect_core::paths::static_url("", entry)
                    )));
                }
                let all: Vec<_> = dev
                    .dirs
                    .iter()
                    .filter_map(|d| rcollect_core::bundler::vite_bundles(d).ok())
                    .collect();
                all.iter()
                    .find_map(|b| entry_files(b, entry))
                    .ok_or_else(|| {
                        missing(&mut all.iter().flat_map(|b| b.keys().map(String::as_str)))
                    })?
            }
        };
        self.entry_tags(&files)
    }

    /// The tags of [`vite_entry`](Self::vite_entry), names resolved as
    /// logical paths.
    fn entry_tags(&self, e: &EntryFiles) -> Result<HtmlTag, MissingAsset> {
        let mut out = Vec::new();
        for css in &e.css {
            out.push(self.stylesheet_tag(&self.logical_of(css))?.into_string());
        }
        for chunk in &e.preload {
            let logical = self.logical_of(chunk);
            out.push(format!(
                r#"<link rel="modulepreload" href="{}"{} crossorigin="anonymous">"#,
                self.static_url(&logical)?,
                crate::templates::tags::integrity_attr(&self.integrity(&logical)?)
            ));
        }
        out.push(self.module_tag(&self.logical_of(&e.file))?.into_string());
        Ok(HtmlTag::new(out.join("\n")))
    }

    /// The logical path of a name in the bundles (hashed in a manifest,
    /// logical in dev mode; a bundler's files have the same both ways).
    fn logical_of(&self, name: &str) -> String {
        match &self.inner.source {
            Source::Manifest(loaded) => loaded
                .logical_of
                .get(name)
                .cloned()
                .unwrap_or_else(|| name.to_string()),
            Source::Dev(_) => name.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::StaticFiles;

    /// A Vite build written by hand (the real ones are in
    /// `tests/bundlers`, built with npm): an entry with its CSS and a
    /// shared chunk with CSS of its own, collected.
    fn collected() -> (tempfile::TempDir, StaticFiles) {
        let t = tempfile::tempdir().expect("tempdir");
        let dist = t.path().join("dist");
        for (name, text) in [
            (
                "assets/main-AbCd1234.js",
                "import './shared-IjKl9012.js';\n",
            ),
            ("assets/main-EfGh5678.css", "body{color:red}\n"),
            ("assets/shared-IjKl9012.js", "export const a = 1;\n"),
            ("assets/shared-QrSt7890.css", "p{color:blue}\n"),
        ] {
            let p = dist.join(name);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        std::fs::create_dir_all(dist.join(".vite")).expect("mkdir");
        std::fs::write(
            dist.join(".vite/manifest.json"),
            r#"{
              "src/main.ts": {"file": "assets/main-AbCd1234.js", "isEntry": true,
                "css": ["assets/main-EfGh5678.css"], "imports": ["_shared-IjKl9012.js"]},
              "_shared-IjKl9012.js": {"file": "assets/shared-IjKl9012.js",
                "css": ["assets/shared-QrSt7890.css"]}
            }"#,
        )
        .expect("write");
        let mut config = rcollect_core::Config::new(t.path().join("root"), "/static/");
        config.cache_dir = None;
        config.dirs.push(rcollect_core::config::SourceDir {
            prefix: String::new(),
            path: dist,
        });
        rcollect_core::collect::collect(&config, &Default::default()).expect("collect");
        let files = StaticFiles::from_manifest(t.path().join("root"), "/static/").expect("load");
        (t, files)
    }

    #[test]
    fn vite_entry_gives_the_stylesheets_the_modulepreloads_and_the_module() {
        let (_t, files) = collected();
        let tags = files
            .vite_entry("src/main.ts")
            .expect("entry")
            .into_string();
        let lines: Vec<&str> = tags.lines().collect();
        assert_eq!(lines.len(), 4, "{tags}");
        let sri = |l: &str| files.integrity(l).expect("integrity");
        assert_eq!(
            lines,
            [
                format!(
                    r#"<link rel="stylesheet" href="/static/assets/main-EfGh5678.css" integrity="{}" crossorigin="anonymous">"#,
                    sri("assets/main-EfGh5678.css")
                ),
                format!(
                    r#"<link rel="stylesheet" href="/static/assets/shared-QrSt7890.css" integrity="{}" crossorigin="anonymous">"#,
                    sri("assets/shared-QrSt7890.css")
                ),
                format!(
                    r#"<link rel="modulepreload" href="/static/assets/shared-IjKl9012.js" integrity="{}" crossorigin="anonymous">"#,
                    sri("assets/shared-IjKl9012.js")
                ),
                format!(
                    r#"<script type="module" src="/static/assets/main-AbCd1234.js" integrity="{}" crossorigin="anonymous"></script>"#,
                    sri("assets/main-AbCd1234.js")
                ),
            ]
        );
        assert!(sri("assets/main-AbCd1234.js").starts_with("sha384-"));
        let err = files.vite_entry("src/nope.ts").expect_err("not an entry");
        assert!(err.to_string().contains("src/nope.ts"), "{err}");
    }

    #[cfg(feature = "minijinja")]
    #[test]
    fn minijinja_renders_vite_entry_unescaped() {
        let (_t, files) = collected();
        let mut env = minijinja::Environment::new();
        files.register_minijinja(&mut env);
        let html = env
            .render_named_str("page.html", r#"{{ vite_entry("src/main.ts") }}"#, ())
            .expect("render");
        let plain = files
            .vite_entry("src/main.ts")
            .expect("entry")
            .into_string();
        assert_eq!(html, plain);
    }

    #[cfg(feature = "tera")]
    #[test]
    fn tera_renders_vite_entry_unescaped() {
        let (_t, files) = collected();
        let mut tera = tera::Tera::default();
        files.register_tera(&mut tera);
        tera.add_raw_template("page.html", r#"{{ vite_entry(path="src/main.ts") }}"#)
            .expect("template");
        let html = tera
            .render("page.html", &tera::Context::new())
            .expect("render");
        let plain = files
            .vite_entry("src/main.ts")
            .expect("entry")
            .into_string();
        assert_eq!(html, plain);
    }

    #[cfg(feature = "askama")]
    #[test]
    fn askama_renders_vite_entry_unescaped() {
        use askama::Template;
        #[derive(Template)]
        #[template(ext = "html", source = r#"{{ files.vite_entry("src/main.ts")? }}"#)]
        struct Page {
            files: StaticFiles,
        }
        let (_t, files) = collected();
        let html = Page {
            files: files.clone(),
        }
        .render()
        .expect("render");
        let plain = files
            .vite_entry("src/main.ts")
            .expect("entry")
            .into_string();
        assert_eq!(html, plain);
    }

    #[cfg(feature = "maud")]
    #[test]
    fn maud_renders_vite_entry_unescaped() {
        let (_t, files) = collected();
        let entry = files.vite_entry("src/main.ts").expect("entry");
        let html = maud::html! { (entry) }.into_string();
        let plain = files
            .vite_entry("src/main.ts")
            .expect("entry")
            .into_string();
        assert_eq!(html, plain);
    }
}
