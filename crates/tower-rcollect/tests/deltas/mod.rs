//! Compression Dictionary Transport (RFC 9842) over a real socket: two
//! collects of a changed file, then the middleware's `Use-As-Dictionary`,
//! `Available-Dictionary` → `dcb`/`dcz`, `Vary`, ETags, 304 and ranges.

use super::common::*;
use rcollect_core::Manifest;
use rcollect_core::delta::{self, DeltaCoding};
use tower_rcollect::StaticFiles;

/// A bundle big enough that a one-line change is a tiny delta.
pub(crate) fn bundle(version: u32) -> String {
    let mut s = String::new();
    for i in 0..3000 {
        s.push_str(&format!(
            "export function f{i}(a) {{ return a * {i} + {}; }}\n",
            i % 11
        ));
    }
    s.push_str(&format!("export const VERSION = {version};\n"));
    // What the browser test looks for in the page.
    s.push_str(&format!(
        "if (typeof document !== \"undefined\") document.getElementById(\"out\").textContent = \"v{version}\";\n"
    ));
    s
}

pub(crate) struct Versions {
    /// Holds the temp dir.
    pub(crate) _dir: tempfile::TempDir,
    pub(crate) config: rcollect_core::Config,
    pub(crate) old_url: String,
    pub(crate) new_url: String,
    pub(crate) old: String,
    pub(crate) new: String,
    pub(crate) old_sha: [u8; 32],
}

/// Collects `js/app.js` twice (version 1, then 2) into one STATIC_ROOT.
pub(crate) fn two_versions() -> Versions {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src/js");
    std::fs::create_dir_all(&src).expect("mkdir");
    let config = collect_config(dir.path(), dir.path().join("src"));
    let mut urls = Vec::new();
    for v in [1, 2] {
        std::fs::write(src.join("app.js"), bundle(v)).expect("write");
        rcollect_core::collect::collect(&config, &Default::default()).expect("collect");
        let m = Manifest::load(
            &config.static_root,
            rcollect_core::manifest::MAX_MANIFEST_BYTES,
        )
        .expect("load")
        .expect("manifest");
        urls.push(format!("/static/{}", m.paths["js/app.js"]));
        // Distinct history names (they are named by the millisecond).
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let old = bundle(1);
    let old_sha: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(old.as_bytes()).into();
    Versions {
        old_url: urls.remove(0),
        new_url: urls.remove(0),
        new: bundle(2),
        old,
        old_sha,
        config,
        _dir: dir,
    }
}

pub(crate) fn available(sha: &[u8; 32]) -> String {
    use base64::Engine as _;
    format!(
        ":{}:",
        base64::engine::general_purpose::STANDARD.encode(sha)
    )
}

const ALL: &str = "gzip, deflate, br, zstd, dcb, dcz";

#[tokio::test]
async fn collect_writes_deltas_that_decode_to_the_new_version() {
    let v = two_versions();
    let m = Manifest::load(
        &v.config.static_root,
        rcollect_core::manifest::MAX_MANIFEST_BYTES,
    )
    .expect("load")
    .expect("manifest");
    let (hashed, meta) = m.meta("js/app.js").expect("meta");
    let sha = hex(&v.old_sha);
    let d = meta.deltas.get(&sha).expect("a delta against version 1");
    assert_eq!(format!("/static/{}", d.dictionary), v.old_url);
    let br = meta.variants[&rcollect_core::Encoding::Br];
    for c in DeltaCoding::ALL {
        let size = d.encodings[&c];
        assert!(size * 50 < br, "{c}: {size} bytes against {br} for br");
        let bytes = std::fs::read(
            v.config
                .static_root
                .join(delta::delta_name(hashed, &sha, c)),
        )
        .expect("delta file");
        assert_eq!(bytes.len() as u64, size);
        let back = rcollect_core::compress::verify::decode_delta(
            c,
            v.old.as_bytes(),
            &v.old_sha,
            &bytes,
            v.new.len(),
        )
        .expect("decode");
        assert_eq!(back, v.new.as_bytes());
    }
    // A no-op collect keeps them without encoding again.
    let s = rcollect_core::collect::collect(&v.config, &Default::default()).expect("collect");
    assert_eq!(s.deltas, 0);
    assert!(!s.manifest_changed);
}

#[tokio::test]
async fn available_dictionary_gets_the_delta_with_its_own_etag_and_vary() {
    let v = two_versions();
    let files = StaticFiles::from_manifest(&v.config.static_root, "/static/").expect("load");
    let addr = serve(files).await;
    let dict = available(&v.old_sha);

    // The old version (served from the history) offers itself as a dictionary.
    let r = get(addr, &v.old_url, &[("Accept-Encoding", ALL)]).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("use-as-dictionary"),
        Some(r#"match="/static/js/app.:hash.js""#)
    );
    assert_eq!(r.header("content-encoding"), Some("br"));

    // The new one, to a client holding the old one: the delta.
    let r = get(
        addr,
        &v.new_url,
        &[("Accept-Encoding", ALL), ("Available-Dictionary", &dict)],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), Some("dcb"));
    assert_eq!(
        r.header("vary"),
        Some("Accept-Encoding, Available-Dictionary")
    );
    assert_eq!(
        r.header("use-as-dictionary"),
        Some(r#"match="/static/js/app.:hash.js""#)
    );
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let dcb_etag = r.header("etag").expect("etag").to_string();
    assert!(dcb_etag.contains("-dcb-"), "{dcb_etag}");
    assert_eq!(
        r.header("content-length"),
        Some(r.body.len().to_string().as_str())
    );
    let back = rcollect_core::compress::verify::decode_delta(
        DeltaCoding::Dcb,
        v.old.as_bytes(),
        &v.old_sha,
        &r.body,
        v.new.len(),
    )
    .expect("decode");
    assert_eq!(back, v.new.as_bytes());

    // dcz when it ranks higher; br without (or with an unknown) dictionary.
    let r = get(
        addr,
        &v.new_url,
        &[
            ("Accept-Encoding", "br, dcb;q=0.5, dcz"),
            ("Available-Dictionary", &dict),
        ],
    )
    .await;
    assert_eq!(r.header("content-encoding"), Some("dcz"));
    let back = rcollect_core::compress::verify::decode_delta(
        DeltaCoding::Dcz,
        v.old.as_bytes(),
        &v.old_sha,
        &r.body,
        v.new.len(),
    )
    .expect("decode");
    assert_eq!(back, v.new.as_bytes());
    let r = get(addr, &v.new_url, &[("Accept-Encoding", ALL)]).await;
    assert_eq!(r.header("content-encoding"), Some("br"));
    assert_eq!(
        r.header("vary"),
        Some("Accept-Encoding, Available-Dictionary")
    );
    let other = available(&[7; 32]);
    let r = get(
        addr,
        &v.new_url,
        &[("Accept-Encoding", ALL), ("Available-Dictionary", &other)],
    )
    .await;
    assert_eq!(r.header("content-encoding"), Some("br"));
    let r = get(
        addr,
        &v.new_url,
        &[("Accept-Encoding", "br"), ("Available-Dictionary", &dict)],
    )
    .await;
    assert_eq!(
        r.header("content-encoding"),
        Some("br"),
        "dcb/dcz not accepted"
    );
    let r = get(
        addr,
        &v.new_url,
        &[
            ("Accept-Encoding", ALL),
            ("Available-Dictionary", "garbage"),
        ],
    )
    .await;
    assert_eq!(r.header("content-encoding"), Some("br"));

    // Conditionals and ranges per representation.
    let r = get(
        addr,
        &v.new_url,
        &[
            ("Accept-Encoding", ALL),
            ("Available-Dictionary", &dict),
            ("If-None-Match", &dcb_etag),
        ],
    )
    .await;
    assert_eq!(r.status, 304);
    assert_eq!(r.header("etag"), Some(dcb_etag.as_str()));
    assert_eq!(
        r.header("vary"),
        Some("Accept-Encoding, Available-Dictionary")
    );
    let r = get(
        addr,
        &v.new_url,
        &[("Accept-Encoding", ALL), ("If-None-Match", &dcb_etag)],
    )
    .await;
    assert_eq!(r.status, 200, "the br representation has another ETag");
    let full = get(
        addr,
        &v.new_url,
        &[("Accept-Encoding", ALL), ("Available-Dictionary", &dict)],
    )
    .await;
    let r = get(
        addr,
        &v.new_url,
        &[
            ("Accept-Encoding", ALL),
            ("Available-Dictionary", &dict),
            ("Range", "bytes=0-9"),
        ],
    )
    .await;
    assert_eq!(r.status, 206);
    assert_eq!(r.header("content-encoding"), Some("dcb"));
    assert_eq!(r.body, full.body.get(..10).expect("10 bytes"));
    let head = request(
        addr,
        "HEAD",
        &v.new_url,
        &[("Accept-Encoding", ALL), ("Available-Dictionary", &dict)],
    )
    .await;
    assert_eq!(head.header("content-encoding"), Some("dcb"));
    assert!(head.body.is_empty());
}

#[tokio::test]
async fn dictionaries_can_be_switched_off_and_a_missing_delta_falls_back() {
    let v = two_versions();
    let dict = available(&v.old_sha);
    let files = StaticFiles::from_manifest(&v.config.static_root, "/static/")
        .expect("load")
        .dictionaries(false);
    let addr = serve(files).await;
    let r = get(addr, &v.old_url, &[("Accept-Encoding", ALL)]).await;
    assert!(!r.has("use-as-dictionary"));
    // Deltas are still answered (a client may hold a dictionary from before).
    let r = get(
        addr,
        &v.new_url,
        &[("Accept-Encoding", ALL), ("Available-Dictionary", &dict)],
    )
    .await;
    assert_eq!(r.header("content-encoding"), Some("dcb"));

    // A delta file lost on disk: the next acceptable representation.
    let m = Manifest::load(
        &v.config.static_root,
        rcollect_core::manifest::MAX_MANIFEST_BYTES,
    )
    .expect("load")
    .expect("manifest");
    let hashed = &m.paths["js/app.js"];
    let sha = hex(&v.old_sha);
    for c in DeltaCoding::ALL {
        std::fs::remove_file(
            v.config
                .static_root
                .join(delta::delta_name(hashed, &sha, c)),
        )
        .expect("rm");
    }
    let files = StaticFiles::from_manifest(&v.config.static_root, "/static/")
        .expect("load")
        .memory_max_file(0);
    let addr = serve(files).await;
    for _ in 0..2 {
        let r = get(
            addr,
            &v.new_url,
            &[("Accept-Encoding", ALL), ("Available-Dictionary", &dict)],
        )
        .await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("content-encoding"),
            Some("br"),
            "both deltas gone: br"
        );
        brotli_decodes_to(&r.body, v.new.as_bytes());
    }
}

fn brotli_decodes_to(body: &[u8], expect: &[u8]) {
    let mut out = Vec::new();
    brotli::BrotliDecompress(&mut &body[..], &mut out).expect("brotli");
    assert_eq!(out, expect);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
