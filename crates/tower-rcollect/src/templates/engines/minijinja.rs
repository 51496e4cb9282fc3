//! minijinja: [`StaticFiles::register_minijinja`] (feature `minijinja`).

use minijinja::{Environment, Error, ErrorKind, Value};

use crate::error::MissingAsset;
use crate::files::StaticFiles;
use crate::templates::tags::HELPERS;

fn to_error(e: MissingAsset) -> Error {
    Error::new(ErrorKind::InvalidOperation, e.to_string())
}

impl StaticFiles {
    /// Adds the template functions to a minijinja environment, the
    /// equivalents of Django's `{% static %}`:
    ///
    /// * `static('css/app.css')`: the URL (hashed name under STATIC_URL);
    /// * `integrity('js/app.js')`: the SRI value (`sha384-…`);
    /// * `stylesheet('css/app.css')`, `script('js/app.js')`,
    ///   `module('js/main.js')`: the whole `<link>` or `<script>` tag with
    ///   `integrity` and `crossorigin`;
    /// * `preload('js/app.js')`: a `<link rel="modulepreload">` (or
    ///   `rel="preload"`) tag for everything the file loads with it,
    ///   transitively ([`StaticFiles::preload`]);
    /// * `vite_entry('src/main.ts')`: the tags of a Vite entry
    ///   ([`StaticFiles::vite_entry`]);
    /// * `importmap()`, `importmap(nonce=csp_nonce)`: the inline import map
    ///   ([`StaticFiles::importmap`]), first in `<head>`;
    ///   `importmap(entries=['js/app.js'])` holds only what the page's
    ///   modules load ([`StaticFiles::importmap_for`]).
    ///
    /// Their output is marked safe (it needs no escaping). A path that is
    /// not a collected file fails the render with an error naming it, at
    /// the template line minijinja reports.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// # std::fs::create_dir(dir.path().join("static"))?;
    /// # std::fs::write(dir.path().join("static/app.css"), "body{}")?;
    /// # let mut config = tower_rcollect::Config::new(dir.path().join("out"), "/static/");
    /// # config.dirs = vec![tower_rcollect::SourceDir { prefix: String::new(), path: dir.path().join("static") }];
    /// # config.debug = true;
    /// let files = tower_rcollect::StaticFiles::from_config(&config)?;
    /// let mut env = minijinja::Environment::new();
    /// files.register_minijinja(&mut env);
    /// let html = env.render_str("{{ stylesheet('app.css') }}", ())?;
    /// assert!(html.starts_with(r#"<link rel="stylesheet" href="/static/app.css" integrity="sha384-"#));
    /// let err = env.render_str("\n{{ static('gone.css') }}", ()).unwrap_err();
    /// assert!(err.to_string().contains("'gone.css' not found"));
    /// assert_eq!(err.line(), Some(2));
    /// # Ok(()) }
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "minijinja")))]
    pub fn register_minijinja(&self, env: &mut Environment<'_>) {
        for (name, helper) in HELPERS {
            let files = self.clone();
            env.add_function(name, move |path: &str| {
                helper
                    .call(&files, path)
                    .map(Value::from_safe_string)
                    .map_err(to_error)
            });
        }
        let files = self.clone();
        env.add_function(
            "importmap",
            move |kwargs: minijinja::value::Kwargs| -> Result<Value, Error> {
                let nonce: Option<String> = kwargs.get("nonce")?;
                let entries: Option<Vec<String>> = kwargs.get("entries")?;
                kwargs.assert_all_used()?;
                let map = match entries {
                    None => files.importmap(),
                    Some(e) => {
                        let e: Vec<&str> = e.iter().map(String::as_str).collect();
                        files.importmap_for(&e).map_err(to_error)?
                    }
                };
                let map = match nonce {
                    Some(n) => map.nonce(n),
                    None => map,
                };
                Ok(Value::from_safe_string(map.to_string()))
            },
        );
    }
}
