//! [`StaticFiles::vite_entry`]: the tags that load an entry of a Vite
//! build, from the bundler manifest collect folded into `staticfiles.json`
//! (as django-vite and vite_ruby render them), or, in dev mode, from the
//! Vite dev server.

use rcollect_core::bundler::{EntryFiles, entry_files};

use super::tags::HtmlTag;
use crate::error::MissingAsset;
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
        let missing = || MissingAsset {
            path: entry.to_string(),
        };
        let files = match &self.inner.source {
            Source::Manifest(loaded) => entry_files(&loaded.bundles, entry).ok_or_else(missing)?,
            Source::Dev(dev) => {
                if let Some(server) = &self.inner.settings.vite_dev_server {
                    return Ok(HtmlTag::new(format!(
                        "<script type=\"module\" src=\"{server}@vite/client\"></script>\n\
                         <script type=\"module\" src=\"{server}{}\"></script>",
                        rcollect_core::paths::static_url("", entry)
                    )));
                }
                let bundles = dev
                    .dirs
                    .iter()
                    .filter_map(|d| rcollect_core::bundler::vite_bundles(d).ok())
                    .find(|b| b.contains_key(entry))
                    .ok_or_else(missing)?;
                entry_files(&bundles, entry).ok_or_else(missing)?
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
                r#"<link rel="modulepreload" href="{}" integrity="{}" crossorigin="anonymous">"#,
                self.static_url(&logical)?,
                self.integrity(&logical)?
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
