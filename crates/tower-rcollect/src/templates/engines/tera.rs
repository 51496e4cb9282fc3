//! Tera: [`StaticFiles::register_tera`] (feature `tera`, Tera 1).

use std::collections::HashMap;

use tera::{Tera, Value};

use crate::files::StaticFiles;
use crate::templates::tags::{HELPERS, Helper};

/// One template function: `name(path="…")`.
struct Function {
    files: StaticFiles,
    name: &'static str,
    helper: Helper,
}

impl tera::Function for Function {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let path = args.get("path").and_then(Value::as_str).ok_or_else(|| {
            tera::Error::msg(format!(
                "{}() needs a `path` argument: {}(path=\"css/app.css\")",
                self.name, self.name
            ))
        })?;
        self.helper
            .call(&self.files, path)
            .map(Value::String)
            .map_err(|e| tera::Error::msg(e.to_string()))
    }

    /// URLs, integrity values and tags need no escaping.
    fn is_safe(&self) -> bool {
        true
    }
}

/// `importmap()` / `importmap(nonce="…")`, `importmap(entries=["js/app.js"])`.
struct ImportMapFunction {
    files: StaticFiles,
}

impl tera::Function for ImportMapFunction {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let map = match args.get("entries") {
            None => self.files.importmap(),
            Some(Value::Array(entries)) => {
                let mut names = Vec::with_capacity(entries.len());
                for e in entries {
                    let Value::String(e) = e else {
                        return Err(tera::Error::msg(
                            "importmap(): `entries` holds a non-string",
                        ));
                    };
                    names.push(e.as_str());
                }
                self.files
                    .importmap_for(&names)
                    .map_err(|e| tera::Error::msg(e.to_string()))?
            }
            Some(_) => return Err(tera::Error::msg("importmap(): `entries` is not a list")),
        };
        let map = match args.get("nonce") {
            None => map,
            Some(Value::String(n)) => map.nonce(n.clone()),
            Some(_) => return Err(tera::Error::msg("importmap(): `nonce` is not a string")),
        };
        Ok(Value::String(map.to_string()))
    }

    fn is_safe(&self) -> bool {
        true
    }
}

impl StaticFiles {
    /// Registers the template functions with Tera: `static(path="…")`,
    /// `integrity(path="…")`, and the tags `stylesheet(path="…")`,
    /// `script(path="…")`, `module(path="…")`, `preload(path="…")`,
    /// `vite_entry(path="…")`, and `importmap()` / `importmap(nonce=…)` (see
    /// [`register_minijinja`](Self::register_minijinja) for what each
    /// gives). A path that is not a collected file fails the render; the
    /// error's [`source`](std::error::Error::source) chain names the path.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// # std::fs::create_dir(dir.path().join("static"))?;
    /// # std::fs::write(dir.path().join("static/app.js"), "1")?;
    /// # let mut config = tower_rcollect::Config::new(dir.path().join("out"), "/static/");
    /// # config.dirs = vec![tower_rcollect::SourceDir { prefix: String::new(), path: dir.path().join("static") }];
    /// # config.debug = true;
    /// let files = tower_rcollect::StaticFiles::from_config(&config)?;
    /// let mut tera = tera::Tera::default();
    /// files.register_tera(&mut tera);
    /// tera.add_raw_template("page.html", r#"{{ script(path="app.js") }}"#)?;
    /// let html = tera.render("page.html", &tera::Context::new())?;
    /// assert!(html.starts_with(r#"<script src="/static/app.js" integrity="sha384-"#));
    /// # Ok(()) }
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "tera")))]
    pub fn register_tera(&self, tera: &mut Tera) {
        for (name, helper) in HELPERS {
            let files = self.clone();
            tera.register_function(
                name,
                Function {
                    files,
                    name,
                    helper,
                },
            );
        }
        tera.register_function(
            "importmap",
            ImportMapFunction {
                files: self.clone(),
            },
        );
    }
}
