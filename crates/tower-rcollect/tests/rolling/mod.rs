//! A rolling deploy over a real socket: two instances on one STATIC_ROOT,
//! one started before a new release was collected into it (the old release)
//! and one after (the new release). A page rendered by either (its
//! `static_url()`s, and the references inside the CSS it links) must load
//! every asset from the other: no 404, no 5xx, in both orders.

use std::net::SocketAddr;

use super::common::*;
use tower_rcollect::StaticFiles;

pub(crate) fn release(src: &std::path::Path, version: u32) {
    let css = format!(
        "body {{ background: url(../img/bg.svg); }} /* release {version} */\n{}",
        ".pad { margin: 0; }\n".repeat(50)
    );
    let svg = format!("<svg xmlns=\"http://www.w3.org/2000/svg\"><!-- {version} --></svg>\n");
    let js = format!("import {{ x }} from \"./util.js\";\nconsole.log(x, {version});\n");
    let util = format!("export const x = {version};\n");
    for (name, body) in [
        ("css/app.css", css),
        ("img/bg.svg", svg),
        ("js/app.js", js),
        ("js/util.js", util),
    ] {
        let p = src.join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, body).expect("write");
    }
}

/// The asset URLs a page of this instance names, and the URLs those name
/// in turn (CSS `url()`, JS imports), as served by `addr`.
pub(crate) async fn page_urls(files: &StaticFiles, addr: SocketAddr) -> Vec<String> {
    let mut urls: Vec<String> = ["css/app.css", "js/app.js"]
        .iter()
        .map(|l| files.static_url(l).expect("static_url"))
        .collect();
    let mut i = 0;
    while let Some(url) = urls.get(i).cloned() {
        i += 1;
        let r = get(addr, &url, &[]).await;
        assert_eq!(r.status, 200, "{url} from the page's own instance");
        let text = String::from_utf8_lossy(&r.body).into_owned();
        let dir = url.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        for part in text.split(['(', '"', ')']) {
            let rel = part.trim();
            if rel.ends_with(".svg") || rel.ends_with(".js") {
                let joined = if let Some(up) = rel.strip_prefix("../") {
                    format!(
                        "{}/{up}",
                        dir.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
                    )
                } else if let Some(here) = rel.strip_prefix("./") {
                    format!("{dir}/{here}")
                } else {
                    continue;
                };
                if !urls.contains(&joined) {
                    urls.push(joined);
                }
            }
        }
    }
    urls
}

#[tokio::test]
async fn two_releases_on_one_root_serve_each_others_pages() {
    let t = tempfile::tempdir().expect("tempdir");
    let src = t.path().join("src");
    let config = collect_config(t.path(), src.clone());
    release(&src, 1);
    rcollect_core::collect::collect(&config, &Default::default()).expect("collect 1");
    let old = StaticFiles::from_manifest(&config.static_root, "/static/").expect("old");
    let old_addr = serve(old.clone()).await;
    std::thread::sleep(std::time::Duration::from_millis(5));
    release(&src, 2);
    rcollect_core::collect::collect(&config, &Default::default()).expect("collect 2");
    let new = StaticFiles::from_manifest(&config.static_root, "/static/").expect("new");
    let new_addr = serve(new.clone()).await;

    pages_load_from_each_other(&old, old_addr, &new, new_addr).await;
}

/// A page of either release (instances `old` and `new`) loads every asset it
/// names from the other instance, with immutable caching; the old
/// instance's own pages still name its files; a hashed name neither knows
/// is a 404 no cache keeps.
pub(crate) async fn pages_load_from_each_other(
    old: &StaticFiles,
    old_addr: SocketAddr,
    new: &StaticFiles,
    new_addr: SocketAddr,
) {
    let old_urls = page_urls(old, old_addr).await;
    let new_urls = page_urls(new, new_addr).await;
    assert_eq!(old_urls.len(), 4, "{old_urls:?}");
    assert!(
        old_urls.iter().all(|u| !new_urls.contains(u)),
        "every file changed"
    );
    for (page, urls, other) in [("old", &old_urls, new_addr), ("new", &new_urls, old_addr)] {
        for url in urls {
            let r = get(other, url, &[("Accept-Encoding", "br, gzip")]).await;
            assert_eq!(
                r.status, 200,
                "a page of the {page} release, {url} from the other instance"
            );
            assert_eq!(
                r.header("cache-control"),
                Some("public, max-age=31536000, immutable")
            );
        }
    }
    // The old instance's own pages still name the old files.
    assert_eq!(old.static_url("css/app.css").expect("url"), old_urls[0]);
    // Still unknown everywhere: 404 that no cache keeps.
    for addr in [old_addr, new_addr] {
        let r = get(addr, "/static/css/app.0123456789ab.css", &[]).await;
        assert_eq!(r.status, 404);
        assert_eq!(r.header("cache-control"), Some("no-store"));
    }
}

#[tokio::test]
async fn previous_versions_are_served_within_the_retention_only() {
    let t = tempfile::tempdir().expect("tempdir");
    let src = t.path().join("src");
    let config = collect_config(t.path(), src.clone());
    let mut css_urls = Vec::new();
    for v in 1..=3 {
        release(&src, v);
        rcollect_core::collect::collect(&config, &Default::default()).expect("collect");
        let files = StaticFiles::from_manifest(&config.static_root, "/static/").expect("load");
        css_urls.push(files.static_url("css/app.css").expect("url"));
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // Default: the last 2 versions, and all retired within the hour: all three.
    let all =
        serve(StaticFiles::from_manifest(&config.static_root, "/static/").expect("load")).await;
    for url in &css_urls {
        assert_eq!(get(all, url, &[]).await.status, 200, "{url}");
    }
    // 2 versions, no age allowance: version 1 is no longer served.
    let files = StaticFiles::from_manifest(&config.static_root, "/static/")
        .expect("load")
        .history_versions(2)
        .history_max_age(std::time::Duration::ZERO);
    let two = serve(files).await;
    let r = get(two, &css_urls[0], &[]).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(get(two, &css_urls[1], &[]).await.status, 200);
    assert_eq!(get(two, &css_urls[2], &[]).await.status, 200);
}
