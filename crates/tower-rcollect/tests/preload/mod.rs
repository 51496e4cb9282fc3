//! Preload hints from the reference graph: `StaticFiles::preload` and the
//! `Link` header of `preload_layer`, over a real socket.

use axum::Router;
use axum::response::Html;
use tower_rcollect::{PreloadKind, StaticFiles};

use super::common::*;

/// A module chain app.js → util.js → dep.js, and app.css → @import base.css
/// → a font and an image. Returns the temp dir and its STATIC_ROOT.
pub(crate) fn project() -> (tempfile::TempDir, std::path::PathBuf) {
    let t = tempfile::tempdir().expect("tempdir");
    let src = t.path().join("src");
    let files: [(&str, &[u8]); 7] = [
        ("js/app.js", b"import { util } from \"./util.js\";\ndocument.getElementById(\"out\").textContent = util();\n"),
        ("js/util.js", b"import { dep } from \"./dep.js\";\nexport function util() { return dep() + \"!\"; }\n"),
        ("js/dep.js", b"export function dep() { return \"chain ran\"; }\n// import(\"./lazy.js\") is dynamic: not preloaded\n"),
        ("css/app.css", b"@import \"base.css\";\nh1 { color: red; }\n"),
        ("css/base.css", b"@font-face { font-family: f; src: url(../fonts/f.woff2); }\nbody { background: url(../img/bg.png); }\n"),
        ("fonts/f.woff2", b"wOF2 not really a font"),
        ("img/bg.png", b"\x89PNG not really"),
    ];
    for (name, body) in files {
        let p = src.join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, body).expect("write");
    }
    let config = collect_config(t.path(), src);
    rcollect_core::collect::collect(&config, &Default::default()).expect("collect");
    let root = config.static_root.clone();
    (t, root)
}

#[tokio::test]
async fn preload_lists_the_closure_and_the_layer_sends_it_on_html() {
    let (_t, root) = project();
    let files = StaticFiles::from_manifest(&root, "/static/").expect("load");
    let js = files.preload("js/app.js").expect("preload");
    let urls: Vec<&str> = js.iter().map(|p| p.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            files.static_url("js/util.js").expect("url").as_str(),
            files.static_url("js/dep.js").expect("url").as_str()
        ],
        "nearest first, transitively"
    );
    assert!(
        js.iter()
            .all(|p| p.kind == PreloadKind::Module && p.integrity.starts_with("sha384-"))
    );
    assert_eq!(
        js[0].link_value(),
        format!(
            "<{}>; rel=modulepreload; crossorigin; integrity=\"{}\"",
            urls[0],
            files.integrity("js/util.js").expect("sri")
        )
    );
    assert_eq!(
        js[0].tag().as_str(),
        format!(
            r#"<link rel="modulepreload" href="{}" integrity="{}" crossorigin="anonymous">"#,
            urls[0],
            files.integrity("js/util.js").expect("sri")
        )
    );
    let css = files.preload("css/app.css").expect("preload");
    let kinds: Vec<PreloadKind> = css.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [PreloadKind::Style, PreloadKind::Font, PreloadKind::Image]
    );
    assert!(
        css[1]
            .link_value()
            .contains("; rel=preload; as=font; crossorigin; integrity=\"sha384-")
    );
    assert!(
        css[2]
            .link_value()
            .contains("; rel=preload; as=image; integrity=\"sha384-")
    );
    assert!(files.preload("js/dep.js").expect("leaf").is_empty());
    assert!(files.preload("js/nope.js").is_err());

    // The layer: on the HTML route, not on the static files.
    let layer = files
        .preload_layer(&["js/app.js", "css/app.css"])
        .expect("layer");
    let app = Router::new()
        .route(
            "/",
            axum::routing::get(|| async { Html("<!doctype html><p>hi</p>") }),
        )
        .route_layer(layer)
        .route("/plain", axum::routing::get(|| async { "text" }))
        .layer(files.clone());
    let (addr, server) = serve_app(app).await;
    let r = get(addr, "/", &[]).await;
    let link = r.header("link").expect("Link on the HTML page").to_string();
    assert_eq!(link.matches("rel=modulepreload").count(), 2, "{link}");
    assert_eq!(link.matches("rel=preload").count(), 3, "{link}");
    assert!(link.starts_with(&format!("<{}>", urls[0])), "{link}");
    assert!(!get(addr, "/plain", &[]).await.has("link"), "not HTML");
    assert!(!get(addr, urls[0], &[]).await.has("link"), "a static file");
    server.abort();

    // Capped: only the nearest links that fit, each whole.
    let one = files.preload("js/app.js").expect("preload")[0].link_value();
    let capped = files
        .clone()
        .link_max_bytes(one.len() + 3)
        .preload_layer(&["js/app.js", "css/app.css"])
        .expect("layer");
    let app = Router::new()
        .route(
            "/",
            axum::routing::get(|| async { Html("<!doctype html><p>hi</p>") }),
        )
        .route_layer(capped);
    let (addr, server) = serve_app(app).await;
    let r = get(addr, "/", &[]).await;
    assert_eq!(r.header("link"), Some(one.as_str()));
    server.abort();
}

#[cfg(feature = "minijinja")]
#[test]
fn templates_get_the_preload_tags() {
    let (_t, root) = project();
    let files = StaticFiles::from_manifest(&root, "/static/").expect("load");
    let mut env = minijinja::Environment::new();
    files.register_minijinja(&mut env);
    let html = env
        .render_str("{{ preload('js/app.js') }}", ())
        .expect("render");
    let expected: Vec<String> = files
        .preload("js/app.js")
        .expect("preload")
        .iter()
        .map(|p| p.tag().into_string())
        .collect();
    assert_eq!(html, expected.join("\n"));
    assert_eq!(html.matches(r#"rel="modulepreload""#).count(), 2, "{html}");
    assert!(env.render_str("{{ preload('nope.js') }}", ()).is_err());
}
