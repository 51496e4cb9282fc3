//! The HTML pages of the live manifest and the URL paths they are served
//! at: what a server needs to send each page's [preloads](crate::templates::preload)
//! with it (`rcollect serve` adds them as a `Link` header and a `103 Early
//! Hints`).

use crate::files::StaticFiles;
use crate::source::Source;

impl StaticFiles {
    /// The HTML pages (`Content-Type: text/html`) of the live manifest, as
    /// (URL path, logical path): one entry per URL the page is served at,
    /// its hashed name, its unhashed name when kept and, with
    /// [`index`](StaticFiles::index), its directory. Pages of
    /// previous manifest versions are left out. Empty in dev mode.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let files = tower_rcollect::StaticFiles::from_manifest("staticfiles", "/static/")?;
    /// for (path, logical) in files.html_pages() {
    ///     let links: Vec<String> = files.preload(&logical)?.iter().map(|p| p.link_value()).collect();
    ///     println!("{path}: {}", links.join(", "));
    /// }
    /// # Ok(()) }
    /// ```
    pub fn html_pages(&self) -> Vec<(String, String)> {
        let Source::Manifest(loaded) = &self.inner.source else {
            return Vec::new();
        };
        let url = |name: &str| rcollect_core::paths::static_url(self.inner.url.mount_path(), name);
        let is_html = |ct: &http::HeaderValue| {
            ct.to_str()
                .is_ok_and(|ct| ct.trim_start().starts_with("text/html"))
        };
        let mut pages: Vec<(String, String)> = loaded
            .names
            .iter()
            .filter(|n| n.retired.is_none() && is_html(&n.asset.content_type))
            .map(|n| (url(&n.name), n.logical.clone()))
            .collect();
        if self.inner.settings.index {
            for (logical, asset) in &loaded.indexes {
                if let Some(dir) = logical.strip_suffix("index.html") {
                    if is_html(&asset.content_type) {
                        pages.push((url(dir), logical.clone()));
                    }
                }
            }
        }
        pages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_by_url_path_with_their_preloads() {
        let t = tempfile::tempdir().expect("tempdir");
        let w = |p: &str, s: &str| {
            let p = t.path().join("assets").join(p);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, s).expect("write");
        };
        w(
            "index.html",
            "<link rel=stylesheet href=app.css><script type=module src=app.js></script>",
        );
        w("app.css", "body { color: red }");
        w("app.js", "import './dep.js';");
        w("dep.js", "export const x = 1;");
        let mut config = rcollect_core::Config::new(t.path().join("root"), "/static/");
        config.dirs = vec![rcollect_core::config::SourceDir {
            prefix: String::new(),
            path: t.path().join("assets"),
        }];
        config.cache_dir = None;
        rcollect_core::collect::collect(&config, &Default::default()).expect("collect");
        let files = StaticFiles::from_config(&config).expect("load");
        let hashed = files.static_url("index.html").expect("page");
        let pages = files.html_pages();
        let paths: Vec<&str> = pages.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths.len(), 2, "{pages:?}");
        assert!(paths.contains(&hashed.as_str()) && paths.contains(&"/static/index.html"));
        assert!(pages.iter().all(|(_, l)| l == "index.html"));
        let preloads: Vec<String> = files
            .preload("index.html")
            .expect("preload")
            .into_iter()
            .map(|p| p.url)
            .collect();
        for logical in ["app.css", "app.js", "dep.js"] {
            let url = files.static_url(logical).expect("url");
            assert!(preloads.contains(&url), "{logical} in {preloads:?}");
        }
        let with_index = files.index(true).html_pages();
        assert!(
            with_index.iter().any(|(p, _)| p == "/static/"),
            "{with_index:?}"
        );
    }
}
