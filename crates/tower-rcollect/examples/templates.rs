//! Templates with hashed URLs and Subresource Integrity, using minijinja.
//!
//! ```text
//! cargo run -p tower-rcollect --example templates [-- STATIC_ROOT]
//! ```
//!
//! Without an argument it builds a small demo STATIC_ROOT in a temp dir. The
//! template calls `static('css/app.css')` and `integrity('js/app.js')`, the
//! equivalents of Django's `{% static %}` tag and an SRI hash.

use minijinja::{Environment, Error, ErrorKind, Value, context};
use tower_rcollect::StaticFiles;

const PAGE: &str = r#"<!doctype html>
<link rel="stylesheet" href="{{ static('css/app.css') }}">
<script src="{{ static('js/app.js') }}" integrity="{{ integrity('js/app.js') }}" crossorigin="anonymous"></script>
<h1>{{ title }}</h1>
"#;

fn environment(files: &StaticFiles) -> Result<Environment<'static>, Error> {
    let mut env = Environment::new();
    let f = files.clone();
    env.add_function("static", move |path: String| {
        // Percent-encoded, HTML specials included: safe in an attribute.
        f.static_url(&path)
            .map(Value::from_safe_string)
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
    });
    let f = files.clone();
    env.add_function("integrity", move |path: String| {
        // `sha384-` + base64: safe in an attribute.
        f.integrity(&path)
            .map(Value::from_safe_string)
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
    });
    env.add_template("page.html", PAGE)?;
    Ok(env)
}

/// A STATIC_ROOT with two files, as `rcollect collectstatic` would write it.
fn demo_root(dir: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    use rcollect_core::{FileMeta, Manifest};
    use sha2::{Digest, Sha256, Sha384};
    let mut m = Manifest::new();
    for (logical, hashed, body) in [
        (
            "css/app.css",
            "css/app.5e1f3a2b4c6d.css",
            "body { margin: 0 }\n",
        ),
        (
            "js/app.js",
            "js/app.9a8b7c6d5e4f.js",
            "console.log('hi');\n",
        ),
    ] {
        let path = dir.join(hashed);
        std::fs::create_dir_all(path.parent().ok_or("no parent")?)?;
        std::fs::write(&path, body)?;
        m.paths.insert(logical.into(), hashed.into());
        use base64::Engine;
        m.files.insert(
            hashed.into(),
            FileMeta {
                size: body.len() as u64,
                content_type: rcollect_core::content_type::content_type(logical),
                sha256: rcollect_core::hash::hex(&Sha256::digest(body)),
                integrity: format!(
                    "sha384-{}",
                    base64::engine::general_purpose::STANDARD.encode(Sha384::digest(body))
                ),
                modified: 1_700_000_000,
                variants: Default::default(),
            },
        );
    }
    m.update_hash();
    m.write_atomic(dir)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let root = match std::env::args().nth(1) {
        Some(r) => r.into(),
        None => {
            demo_root(tmp.path())?;
            tmp.path().to_path_buf()
        }
    };
    let files = StaticFiles::from_manifest(&root, "https://cdn.example.com/static/")?;
    let env = environment(&files)?;
    let html = env
        .get_template("page.html")?
        .render(context! { title => "Hashed URLs" })?;
    print!("{html}");
    // A missing file is an error at render time, naming the path.
    let err = env
        .render_str("{{ static('css/missing.css') }}", ())
        .map_err(|e| e.to_string());
    eprintln!("missing file → {err:?}");
    Ok(())
}
