//! `[js] linking = "importmap"` through the binary (issue 22): an edit to a
//! leaf module renames that module only (with `rewrite` it renames every
//! importer up the chain), `importmap.json` is the manifest's map and
//! `check --manifest` notices when it is not, and the name is reserved.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{run, write};

/// `app.js` → `lib/mid.js` → `util.js` → `lib/leaf.js`, and `other.js` →
/// `lib/leaf.js`; a stylesheet and its image; `linking` in rcollect.toml.
fn project(linking: &str) -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("tempdir");
    let src = t.path().join("src");
    write(
        &src.join("js/app.js"),
        "import { mid } from './lib/mid.js';\nconst lazy = () => import('./lazy.js');\nexport { mid, lazy };\n",
    );
    write(
        &src.join("js/lib/mid.js"),
        "export { util as mid } from '../util.js';\n",
    );
    write(
        &src.join("js/util.js"),
        "import { leaf } from './lib/leaf.js';\nexport const util = leaf + 1;\n",
    );
    write(&src.join("js/lib/leaf.js"), "export const leaf = 1;\n");
    write(
        &src.join("js/other.js"),
        "import { leaf } from '/static/js/lib/leaf.js';\nexport default leaf;\n",
    );
    write(&src.join("js/lazy.js"), "export default 'lazy';\n");
    write(
        &src.join("css/app.css"),
        "body { background: url(../img/a.svg) }\n",
    );
    write(
        &src.join("img/a.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n",
    );
    // The README's configuration, with `linking` as asked.
    let toml = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/importmap/rcollect.toml"),
    )
    .expect("fixture");
    assert!(toml.contains("linking = \"importmap\""));
    write(
        &t.path().join("rcollect.toml"),
        toml.replace(
            "linking = \"importmap\"",
            &format!("linking = \"{linking}\""),
        ),
    );
    t
}

fn collect(dir: &Path) {
    let out = run(dir, &["collectstatic", "--no-cache", "-q"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn paths(dir: &Path) -> BTreeMap<String, String> {
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("out/staticfiles.json")).expect("manifest"))
            .expect("json");
    m["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("string").to_string()))
        .collect()
}

/// Collects, appends a comment to the leaf module, collects again; the
/// logical paths whose hashed name changed.
fn renamed_by_a_leaf_edit(linking: &str) -> Vec<String> {
    let t = project(linking);
    collect(t.path());
    let before = paths(t.path());
    let leaf = t.path().join("src/js/lib/leaf.js");
    let mut text = std::fs::read_to_string(&leaf).expect("leaf");
    text.push_str("// one more line\n");
    std::fs::write(&leaf, text).expect("edit");
    collect(t.path());
    let after = paths(t.path());
    after
        .iter()
        .filter(|(l, h)| before.get(*l) != Some(*h))
        .map(|(l, _)| l.clone())
        .collect()
}

#[test]
fn a_leaf_edit_renames_one_module_with_an_import_map_and_the_chain_without() {
    assert_eq!(renamed_by_a_leaf_edit("importmap"), ["js/lib/leaf.js"]);
    assert_eq!(
        renamed_by_a_leaf_edit("rewrite"),
        [
            "js/app.js",
            "js/lib/leaf.js",
            "js/lib/mid.js",
            "js/other.js",
            "js/util.js"
        ]
    );
}

#[test]
fn importmap_json_is_the_manifests_map_and_check_notices_a_stale_one() {
    let t = project("importmap");
    collect(t.path());
    let paths = paths(t.path());
    let map: serde_json::Value = serde_json::from_slice(
        &std::fs::read(t.path().join("out/importmap.json")).expect("importmap.json"),
    )
    .expect("json");
    for m in [
        "js/app.js",
        "js/lib/mid.js",
        "js/util.js",
        "js/lib/leaf.js",
        "js/lazy.js",
    ] {
        let hashed = format!("/static/{}", paths[m]);
        assert_eq!(
            map["imports"][format!("/static/{m}")],
            hashed.as_str(),
            "{m}"
        );
        assert!(
            map["integrity"][&hashed]
                .as_str()
                .is_some_and(|i| i.starts_with("sha384-")),
            "{m}"
        );
    }
    assert!(map["imports"].get("/static/css/app.css").is_none());
    // Specifiers stay as written; CSS is rewritten as always.
    let app = std::fs::read_to_string(t.path().join("out").join(&paths["js/app.js"])).expect("app");
    assert!(
        app.contains("from './lib/mid.js'") && app.contains("import('./lazy.js')"),
        "{app}"
    );
    let css =
        std::fs::read_to_string(t.path().join("out").join(&paths["css/app.css"])).expect("css");
    assert!(
        css.contains(crate::common::basename(&paths["img/a.svg"])),
        "{css}"
    );

    let out = run(t.path(), &["check", "--manifest"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A map from another release (or edited by hand) is an error.
    let mut stale = map.clone();
    stale["imports"]["/static/js/app.js"] = "/static/js/app.000000000000.js".into();
    std::fs::write(
        t.path().join("out/importmap.json"),
        serde_json::to_vec(&stale).expect("json"),
    )
    .expect("write");
    let out = run(t.path(), &["check", "--manifest"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("E026") && text.contains("'/static/js/app.js' in imports"),
        "{text}"
    );
    std::fs::remove_file(t.path().join("out/importmap.json")).expect("rm");
    let out = run(t.path(), &["check", "--manifest"]);
    assert_eq!(out.status.code(), Some(1));
    // The next collect writes it again; --clear keeps it.
    let out = run(
        t.path(),
        &["collectstatic", "--no-cache", "-q", "--clear", "--no-input"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(t.path().join("out/importmap.json").is_file());
    let out = run(t.path(), &["check", "--manifest"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_source_named_importmap_json_is_refused_in_that_mode_and_bad_imports_name_the_key() {
    let t = project("importmap");
    write(&t.path().join("src/importmap.json"), "{}");
    let out = run(t.path(), &["collectstatic", "--no-cache", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("importmap.json") && text.contains("import map"),
        "{text}"
    );
    assert!(!t.path().join("out/staticfiles.json").exists());
    // With rewrite linking nothing writes that name: it is a file like any.
    let t = project("rewrite");
    write(&t.path().join("src/importmap.json"), "{}");
    collect(t.path());

    let t = project("importmap");
    let toml = t.path().join("rcollect.toml");
    let mut text = std::fs::read_to_string(&toml).expect("toml");
    text.push_str("\n[js.imports]\nlit = \"vendor/lit.js\"\n");
    std::fs::write(&toml, text).expect("write");
    let out = run(t.path(), &["collectstatic", "--no-cache", "-q"]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("js.imports.lit") && text.contains("vendor/lit.js"),
        "{text}"
    );
}
