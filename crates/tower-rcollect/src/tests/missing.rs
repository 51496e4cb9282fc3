//! A misspelt asset name (issue 24, item 4): every "not found" says where
//! it looked and offers the closest name, in the manifest and in dev mode
//! (whose hint never says to run collectstatic); each engine's error names
//! the template (and the line where the engine can). And no tag carries an
//! empty `integrity` (item 5).

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Empty, Full};
use rcollect_core::{FileMeta, Manifest};
use tower::{Layer, ServiceExt};

use crate::{Config, LookedIn, SourceDir, StaticFiles};

/// Collected files: `css/app.css` (with integrity) and `js/app.js`
/// (without: a manifest written without integrity values).
fn collected() -> (tempfile::TempDir, StaticFiles) {
    let t = tempfile::tempdir().expect("tempdir");
    let mut m = Manifest::new();
    for (logical, hashed, integrity) in [
        ("css/app.css", "css/app.0123456789ab.css", "sha384-abc"),
        ("js/app.js", "js/app.0123456789ab.js", ""),
    ] {
        let path = t.path().join(hashed);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, b"x").expect("write");
        m.paths.insert(logical.into(), hashed.into());
        m.files.insert(
            hashed.into(),
            FileMeta {
                size: 1,
                content_type: "text/plain".into(),
                sha256: "0123456789abcdef0123".into(),
                integrity: integrity.into(),
                modified: 0,
                variants: BTreeMap::new(),
                deltas: Default::default(),
                hashed_by: None,
            },
        );
    }
    m.write_atomic(t.path()).expect("manifest");
    let files = StaticFiles::from_manifest(t.path(), "/static/").expect("load");
    (t, files)
}

/// Dev mode over `static/css/app.css`.
fn dev() -> (tempfile::TempDir, StaticFiles) {
    let t = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(t.path().join("static/css")).expect("mkdir");
    std::fs::write(t.path().join("static/css/app.css"), "body{}").expect("write");
    let mut config = Config::new(t.path().join("out"), "/static/");
    config.dirs = vec![SourceDir {
        prefix: String::new(),
        path: t.path().join("static"),
    }];
    config.debug = true;
    let files = StaticFiles::from_config(&config).expect("dev");
    (t, files)
}

#[test]
fn a_misspelt_name_in_the_manifest_offers_the_closest() {
    let (_t, files) = collected();
    let err = files.static_url("css/apps.css").expect_err("missing");
    assert_eq!(err.looked_in, LookedIn::Manifest);
    assert_eq!(err.suggestion.as_deref(), Some("css/app.css"));
    assert_eq!(
        err.to_string(),
        "static file 'css/apps.css' not found in the manifest: did you mean 'css/app.css'?"
    );
    // Only the file name: the same name in its directory.
    let err = files.stylesheet_tag("app.css").expect_err("missing");
    assert!(
        err.to_string().ends_with("did you mean 'css/app.css'?"),
        "{err}"
    );
    // Nothing close: what to check instead.
    let err = files.integrity("fonts/inter.woff2").expect_err("missing");
    assert_eq!(err.suggestion, None);
    assert!(err.to_string().contains("was collectstatic run"), "{err}");
}

#[test]
fn a_misspelt_name_in_dev_mode_offers_the_closest_and_never_says_collectstatic() {
    let (_t, files) = dev();
    let err = files.static_url("css/apps.css").expect_err("missing");
    assert_eq!(
        err.to_string(),
        "static file 'css/apps.css' not found in the source dirs: did you mean 'css/app.css'?"
    );
    let err = files.module_tag("fonts/inter.woff2").expect_err("missing");
    let text = err.to_string();
    assert!(text.contains("not found in the source dirs"), "{text}");
    assert!(!text.contains("collectstatic"), "{text}");
}

#[test]
fn no_tag_carries_an_empty_integrity() {
    let (_t, files) = collected();
    let css = files.stylesheet_tag("css/app.css").expect("css");
    assert!(
        css.as_str().contains(r#" integrity="sha384-abc" "#),
        "{css}"
    );
    for tag in [
        files.module_tag("js/app.js").expect("module"),
        files.script_tag("js/app.js").expect("script"),
    ] {
        assert!(!tag.as_str().contains("integrity"), "{tag}");
        assert!(
            tag.as_str()
                .contains(r#"src="/static/js/app.0123456789ab.js" crossorigin"#),
            "{tag}"
        );
    }
    let preload = files.preload("js/app.js").expect("preload");
    for p in preload.iter() {
        assert!(!p.tag().as_str().contains("integrity=\"\""), "{}", p.tag());
    }
}

#[cfg(feature = "minijinja")]
#[test]
fn minijinja_names_the_template_the_line_and_the_closest() {
    let (_t, files) = collected();
    let mut env = minijinja::Environment::new();
    files.register_minijinja(&mut env);
    env.add_template("page.html", "<head>\n\n{{ stylesheet('css/apps.css') }}")
        .expect("template");
    let err = env
        .get_template("page.html")
        .expect("template")
        .render(())
        .expect_err("missing");
    let text = err.to_string();
    assert!(text.contains("did you mean 'css/app.css'?"), "{text}");
    assert!(text.contains("page.html:3"), "{text}");
}

#[cfg(feature = "tera")]
#[test]
fn tera_names_the_template_and_the_closest() {
    let (_t, files) = dev();
    let mut tera = tera::Tera::default();
    files.register_tera(&mut tera);
    tera.add_raw_template("page.html", "{{ stylesheet(path='css/apps.css') }}")
        .expect("template");
    let err = tera
        .render("page.html", &tera::Context::new())
        .expect_err("missing");
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        chain.push_str(&format!(": {s}"));
        source = s.source();
    }
    assert!(chain.contains("'page.html'"), "{chain}");
    assert!(chain.contains("did you mean 'css/app.css'?"), "{chain}");
}

#[cfg(feature = "askama")]
mod askama_filters {
    use askama::Template;

    use super::*;
    use crate::askama_filters as filters;

    #[derive(Template)]
    #[template(
        ext = "html",
        source = "<head>\n{{ \"css/app.css\"|stylesheet }}\n{{ \"js/app.js\"|module }}<a href=\"{{ \"js/app.js\"|static_url }}\">"
    )]
    struct Page;

    /// The line askama's errors point at: its `#[derive(Template)]`.
    const MISSPELT_LINE: u32 = line!() + 2;

    #[derive(Template)]
    #[template(ext = "html", source = "<head>\n\n{{ \"css/apps.css\"|stylesheet }}")]
    struct Misspelt;

    #[test]
    fn the_filters_name_the_closest_and_where_the_template_asked() {
        let (_t, files) = collected();
        let html = files.scope(|| Page.render()).expect("render");
        assert_eq!(
            html,
            "<head>\n<link rel=\"stylesheet\" href=\"/static/css/app.0123456789ab.css\" integrity=\"sha384-abc\" crossorigin=\"anonymous\">\n\
             <script type=\"module\" src=\"/static/js/app.0123456789ab.js\" crossorigin=\"anonymous\"></script>\
             <a href=\"/static/js/app.0123456789ab.js\">"
        );
        let err = files.scope(|| Misspelt.render()).expect_err("missing");
        let text = err.to_string();
        assert!(text.contains("did you mean 'css/app.css'?"), "{text}");
        assert!(
            text.ends_with(&format!(
                "did you mean 'css/app.css'? (at {}:{MISSPELT_LINE})",
                file!()
            )),
            "{text}"
        );
        // Outside any request or scope: an error saying so, not a panic.
        let err = Page.render().expect_err("no files");
        assert!(
            err.to_string().contains("no StaticFiles for this render"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn behind_the_layer_a_handler_renders_with_no_field_and_no_extractor() {
        let (_t, files) = collected();
        let handler = tower::service_fn(|_req: Request<Empty<Bytes>>| async {
            // An await point first: the files are current on every poll.
            tokio::task::yield_now().await;
            let body = Page.render().unwrap_or_else(|e| e.to_string());
            Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from(body))))
        });
        let res = files
            .clone()
            .layer(handler)
            .oneshot(Request::builder().uri("/").body(Empty::new()).expect("req"))
            .await
            .expect("response");
        let body = res.into_body().collect().await.expect("body").to_bytes();
        let body = String::from_utf8_lossy(&body);
        assert!(
            body.contains("href=\"/static/css/app.0123456789ab.css\""),
            "{body}"
        );
        assert!(StaticFiles::current().is_none());
    }
}
