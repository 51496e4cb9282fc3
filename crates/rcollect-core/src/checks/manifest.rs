//! `rcollect check --manifest`: STATIC_ROOT against `staticfiles.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Finding, ids};
use crate::config::Config;
use crate::manifest::{Encoding, FileMeta, MANIFEST_NAME, Manifest};

/// How many findings of one ID are reported one by one; the rest are
/// summed up in one more finding.
const PER_ID: usize = 20;

/// Checks STATIC_ROOT against its `staticfiles.json`:
///
/// * the manifest exists and parses ([`ids::MANIFEST_UNREADABLE`]);
/// * every file in `files` exists ([`ids::MANIFEST_FILE_MISSING`]) with
///   the recorded size and SHA-256 ([`ids::MANIFEST_FILE_MISMATCH`]);
/// * every recorded variant exists with its recorded size and (with the
///   `collect` feature) decodes to bytes of the file's recorded size and
///   SHA-256 ([`ids::MANIFEST_VARIANT`]);
/// * every target of `paths` exists ([`ids::MANIFEST_PATH_TARGET`]).
///
/// Reads every collected file and variant once, streaming.
pub fn check_manifest(config: &Config) -> Vec<Finding> {
    let root = &config.static_root;
    let manifest = match Manifest::load(root, config.manifest_max_size) {
        Ok(Some(m)) => m,
        Ok(None) => {
            return vec![Finding::new(
                ids::MANIFEST_UNREADABLE,
                format!(
                    "there is no {MANIFEST_NAME} in STATIC_ROOT '{}'",
                    root.display()
                ),
                "run `rcollect collectstatic` first (or check without --manifest)",
            )];
        }
        Err(e) => {
            return vec![Finding::new(
                ids::MANIFEST_UNREADABLE,
                format!("cannot read the manifest: {e}"),
                "run `rcollect collectstatic` again to rewrite it",
            )];
        }
    };
    let mut out = Capped::default();
    for (hashed, meta) in &manifest.files {
        check_file(root, hashed, meta, &mut out);
        check_stray_variants(&under(root, hashed), meta, &mut out);
        check_deltas(root, hashed, meta, &mut out);
    }
    if manifest.keep_unhashed {
        for (logical, hashed) in &manifest.paths {
            if logical == hashed {
                continue;
            }
            if let Some(meta) = manifest.files.get(hashed) {
                check_unhashed(root, logical, meta, &mut out);
            }
        }
    }
    check_history(root, &manifest, config.manifest_max_size, &mut out);
    check_importmap(config, &manifest, &mut out);
    for (logical, hashed) in &manifest.paths {
        if manifest.files.contains_key(hashed) {
            continue; // checked above, with more detail
        }
        let path = under(root, hashed);
        if !path.is_file() {
            out.push(Finding::new(
                ids::MANIFEST_PATH_TARGET,
                format!(
                    "{MANIFEST_NAME} maps '{logical}' to '{hashed}', but '{}' does not exist",
                    path.display()
                ),
                COLLECT_AGAIN,
            ));
        }
    }
    out.finish()
}

/// `importmap.json`, with `linking = "importmap"`: the import map of the
/// manifest under the configured STATIC_URL.
fn check_importmap(config: &Config, manifest: &Manifest, out: &mut Capped) {
    use crate::importmap::{IMPORTMAP_NAME, ImportMap};
    if manifest.linking != crate::config::Linking::Importmap {
        return;
    }
    let Ok(url) = crate::url::StaticUrl::parse(&config.static_url) else {
        return; // E004/E005 say why
    };
    let path = config.static_root.join(IMPORTMAP_NAME);
    let problem = match ImportMap::load(&config.static_root, config.manifest_max_size) {
        Ok(None) => format!("'{}' does not exist", path.display()),
        Err(e) => e.to_string(),
        Ok(Some(found)) => {
            let want = ImportMap::of(manifest, &url);
            if found == want {
                return;
            }
            let differs = want
                .imports
                .iter()
                .find(|(k, v)| found.imports.get(*k) != Some(*v))
                .map(|(k, _)| format!("'{k}' in imports"))
                .or_else(|| {
                    want.integrity
                        .iter()
                        .find(|(k, v)| found.integrity.get(*k) != Some(*v))
                        .map(|(k, _)| format!("'{k}' in integrity"))
                })
                .unwrap_or_else(|| "entries the manifest does not have".to_string());
            format!(
                "'{}' is not the import map of {MANIFEST_NAME} under '{}' (first difference: {differs})",
                path.display(),
                url
            )
        }
    };
    out.push(Finding::new(
        ids::MANIFEST_IMPORTMAP,
        problem,
        COLLECT_AGAIN,
    ));
}

/// The unhashed copy of `logical` (which `nginx-conf` serves, and the
/// middleware under the unhashed name): the same bytes as the hashed file,
/// and the same variants.
fn check_unhashed(root: &Path, logical: &str, meta: &FileMeta, out: &mut Capped) {
    let path = under(root, logical);
    match crate::hash::Digests::of_file(&path) {
        Ok(d) if d.size == meta.size && d.sha256_hex().eq_ignore_ascii_case(&meta.sha256) => {}
        Ok(d) => out.push(Finding::new(
            ids::MANIFEST_UNHASHED,
            format!(
                "the unhashed copy '{}' is {} bytes with SHA-256 {}, not the collected file's {} bytes {} (edited after collect)",
                path.display(),
                d.size,
                d.sha256_hex(),
                meta.size,
                meta.sha256
            ),
            COLLECT_AGAIN,
        )),
        Err(e) => out.push(Finding::new(
            ids::MANIFEST_UNHASHED,
            format!("the unhashed copy of '{logical}' cannot be read: {e}"),
            COLLECT_AGAIN,
        )),
    }
    for (&enc, &size) in &meta.variants {
        check_variant(&path, enc, size, meta, out);
    }
    check_stray_variants(&path, meta, out);
}

/// A `.br`/`.gz`/`.zst` file next to a served file that the manifest does
/// not list: nginx's `gzip_static`/`brotli_static` would send it, so it
/// must decode to the file.
fn check_stray_variants(file: &Path, meta: &FileMeta, out: &mut Capped) {
    for enc in Encoding::ALL {
        if meta.variants.contains_key(&enc) {
            continue;
        }
        let path = crate::paths::with_suffix(file, enc.suffix());
        if path.is_file() {
            if let Some(problem) = decode_problem(&path, enc, meta) {
                out.push(variant_finding(
                    &path,
                    enc,
                    format!("is not in {MANIFEST_NAME}, and {problem}"),
                ));
            }
        }
    }
}

/// The files of previous manifest versions that are still on disk are
/// served too (rolling deploys): each must still be what its version
/// records. Files `clean` removed are simply not served. A version that
/// cannot be read is a finding: the middleware cannot serve its files.
fn check_history(root: &Path, live: &Manifest, max_bytes: u64, out: &mut Capped) {
    let versions = match crate::history::list(root) {
        Ok(v) => v,
        Err(e) => {
            out.push(Finding::new(
                ids::MANIFEST_UNREADABLE,
                format!("cannot list the manifest versions: {e}"),
                "check the permissions of STATIC_ROOT",
            ));
            return;
        }
    };
    for name in versions {
        let m = match crate::history::load_version(root, &name, max_bytes) {
            Ok(m) => m,
            Err(e) => {
                out.push(Finding::new(
                    ids::MANIFEST_UNREADABLE,
                    format!(
                        "cannot read the manifest version {name}: {e}; its files are not served, \
                         so pages of that release may break"
                    ),
                    "restore the file from a backup, or remove it once no running release needs \
                     it (`rcollect clean` refuses to run while it is there)",
                ));
                continue;
            }
        };
        for (hashed, meta) in &m.files {
            if live.files.contains_key(hashed) || !under(root, hashed).is_file() {
                continue;
            }
            check_file(root, hashed, meta, out);
        }
    }
}

const COLLECT_AGAIN: &str = "run `rcollect collectstatic --verify` (it rewrites every output that \
     is not what the manifest records), and don't modify STATIC_ROOT after collecting";

fn check_file(root: &Path, hashed: &str, meta: &FileMeta, out: &mut Capped) {
    let path = under(root, hashed);
    match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => {
            if m.len() != meta.size {
                out.push(Finding::new(
                    ids::MANIFEST_FILE_MISMATCH,
                    format!(
                        "'{}' is {} bytes but {MANIFEST_NAME} records {} (truncated or changed after collect)",
                        path.display(),
                        m.len(),
                        meta.size
                    ),
                    COLLECT_AGAIN,
                ));
            } else {
                match crate::hash::Digests::of_file(&path).map(|d| (d.sha256_hex(), d.integrity())) {
                    Ok((sha, integrity))
                        if sha.eq_ignore_ascii_case(&meta.sha256)
                            && !meta.integrity.is_empty()
                            && integrity != meta.integrity =>
                    {
                        out.push(Finding::new(
                            ids::MANIFEST_FILE_MISMATCH,
                            format!(
                                "'{}' has integrity {integrity} but {MANIFEST_NAME} records {} (browsers would refuse it)",
                                path.display(),
                                meta.integrity
                            ),
                            COLLECT_AGAIN,
                        ));
                    }
                    Ok((sha, _)) if sha.eq_ignore_ascii_case(&meta.sha256) => {}
                    Ok((sha, _)) => out.push(Finding::new(
                        ids::MANIFEST_FILE_MISMATCH,
                        format!(
                            "'{}' has SHA-256 {sha} but {MANIFEST_NAME} records {} (changed after collect)",
                            path.display(),
                            meta.sha256
                        ),
                        COLLECT_AGAIN,
                    )),
                    Err(e) => out.push(Finding::new(
                        ids::MANIFEST_FILE_MISMATCH,
                        format!("cannot read '{}': {e}", path.display()),
                        "make the file readable, or run `rcollect collectstatic` again",
                    )),
                }
            }
        }
        Ok(_) => out.push(Finding::new(
            ids::MANIFEST_FILE_MISSING,
            format!(
                "'{}' (listed in {MANIFEST_NAME}) is not a regular file",
                path.display()
            ),
            COLLECT_AGAIN,
        )),
        Err(e) => out.push(Finding::new(
            ids::MANIFEST_FILE_MISSING,
            format!(
                "'{}' (listed in {MANIFEST_NAME}) is missing ({e})",
                path.display()
            ),
            COLLECT_AGAIN,
        )),
    }
    for (&enc, &size) in &meta.variants {
        check_variant(&path, enc, size, meta, out);
    }
}

fn check_variant(file: &Path, enc: Encoding, size: u64, meta: &FileMeta, out: &mut Capped) {
    let mut name = file.as_os_str().to_os_string();
    name.push(enc.suffix());
    let path = PathBuf::from(name);
    let actual = match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => m.len(),
        Ok(_) => {
            out.push(variant_finding(
                &path,
                enc,
                "is not a regular file".to_string(),
            ));
            return;
        }
        Err(e) => {
            out.push(variant_finding(&path, enc, format!("is missing ({e})")));
            return;
        }
    };
    if actual != size {
        out.push(variant_finding(
            &path,
            enc,
            format!("is {actual} bytes but {MANIFEST_NAME} records {size}"),
        ));
        return;
    }
    if let Some(problem) = decode_problem(&path, enc, meta) {
        out.push(variant_finding(&path, enc, problem));
    }
}

fn variant_finding(path: &Path, enc: Encoding, problem: String) -> Finding {
    Finding::new(
        ids::MANIFEST_VARIANT,
        format!("the {enc} variant '{}' {problem}", path.display()),
        "run `rcollect collectstatic --verify` (it replaces every output that is not what the \
         manifest records); clients that accept this encoding get the variant instead of the file",
    )
}

/// Decodes the variant and compares it with what the manifest records for
/// the original ([`crate::compress::verify`]: completely, nothing after the
/// stream, exactly the file's size and SHA-256).
#[cfg(feature = "collect")]
fn decode_problem(path: &Path, enc: Encoding, meta: &FileMeta) -> Option<String> {
    use crate::compress::verify::{Codec, verify};
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return Some(format!("cannot be read ({e})")),
    };
    let Some(sha) = crate::hash::from_hex(&meta.sha256) else {
        return Some(format!(
            "has a file whose recorded SHA-256 '{}' is not hex",
            meta.sha256
        ));
    };
    verify(Codec::Variant(enc), file, &sha, meta.size)
        .err()
        .map(|e| e.to_string())
}

/// Each delta the manifest lists must exist with its size and, while its
/// dictionary (a previous version) is still in STATIC_ROOT, decode with it
/// to the file. Once `clean` removed the dictionary the delta is still
/// served (the client holds the dictionary) but cannot be decoded here.
fn check_deltas(root: &Path, hashed: &str, meta: &FileMeta, out: &mut Capped) {
    for (sha, delta) in &meta.deltas {
        for (&coding, &size) in &delta.encodings {
            let path = under(root, &crate::delta::delta_name(hashed, sha, coding));
            let finding = |problem: String| {
                Finding::new(
                    ids::MANIFEST_VARIANT,
                    format!("the {coding} delta '{}' {problem}", path.display()),
                    "run `rcollect collectstatic --verify` (it replaces every output that is not \
                     what the manifest records); browsers holding the previous version get this \
                     delta instead of the file",
                )
            };
            match std::fs::metadata(&path) {
                Ok(m) if m.is_file() && m.len() == size => {}
                Ok(m) => {
                    out.push(finding(format!(
                        "is {} bytes but {MANIFEST_NAME} records {size}",
                        m.len()
                    )));
                    continue;
                }
                Err(e) => {
                    out.push(finding(format!("is missing ({e})")));
                    continue;
                }
            }
            if let Some(problem) = delta_problem(root, &path, coding, sha, &delta.dictionary, meta)
            {
                out.push(finding(problem));
            }
        }
    }
}

/// Decodes a delta with its dictionary (if still on disk) and compares
/// the result with the file's size and SHA-256, as the cache does
/// ([`crate::compress::verify`]).
#[cfg(feature = "collect")]
fn delta_problem(
    root: &Path,
    path: &Path,
    coding: crate::delta::DeltaCoding,
    sha: &str,
    dictionary: &str,
    meta: &FileMeta,
) -> Option<String> {
    use crate::compress::verify::{Codec, verify};
    let Ok(dict) = std::fs::read(under(root, dictionary)) else {
        return None;
    };
    let dict_sha: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&dict).into();
    if crate::hash::hex(&dict_sha) != sha {
        return Some(format!(
            "names dictionary '{dictionary}', which no longer has SHA-256 {sha}"
        ));
    }
    let Some(file_sha) = crate::hash::from_hex(&meta.sha256) else {
        return Some(format!(
            "has a file whose recorded SHA-256 '{}' is not hex",
            meta.sha256
        ));
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return Some(format!("cannot be read ({e})")),
    };
    let codec = Codec::Delta {
        coding,
        dictionary: &dict,
        dictionary_sha256: &dict_sha,
    };
    verify(codec, file, &file_sha, meta.size)
        .err()
        .map(|e| format!("with '{dictionary}': {e}"))
}

#[cfg(not(feature = "collect"))]
fn delta_problem(
    _root: &Path,
    _path: &Path,
    _coding: crate::delta::DeltaCoding,
    _sha: &str,
    _dictionary: &str,
    _meta: &FileMeta,
) -> Option<String> {
    None
}

/// Without the `collect` feature there are no decoders: only existence and
/// size are checked.
#[cfg(not(feature = "collect"))]
fn decode_problem(_path: &Path, _enc: Encoding, _meta: &FileMeta) -> Option<String> {
    None
}

/// Size and lowercase hex SHA-256 of a file, read in chunks (what the
/// manifest's `size` and `sha256` record).
pub fn file_sha256(path: &Path) -> std::io::Result<(u64, String)> {
    let d = crate::hash::Digests::of_reader(std::fs::File::open(path)?)?;
    Ok((d.size, d.sha256_hex()))
}

/// `root` joined with a manifest path (already checked to be safe by
/// [`Manifest::from_slice`]).
fn under(root: &Path, rel: &str) -> PathBuf {
    let mut p = root.to_path_buf();
    for seg in rel.split('/') {
        p.push(seg);
    }
    p
}

/// Findings with at most [`PER_ID`] per ID; the rest are counted.
#[derive(Default)]
struct Capped {
    findings: Vec<Finding>,
    counts: BTreeMap<&'static str, (super::Check, usize)>,
}

impl Capped {
    fn push(&mut self, f: Finding) {
        let (_, n) = self.counts.entry(f.id).or_insert((f.check(), 0));
        *n += 1;
        if *n <= PER_ID {
            self.findings.push(f);
        }
    }

    fn finish(mut self) -> Vec<Finding> {
        for (id, (check, n)) in self.counts {
            if n > PER_ID {
                self.findings.push(Finding::new(
                    check,
                    format!("and {} more {id} problems like the ones above", n - PER_ID),
                    COLLECT_AGAIN,
                ));
            }
        }
        self.findings
    }
}

#[cfg(all(test, feature = "collect"))]
mod tests {
    use super::*;
    use crate::hash::hex;
    use sha2::{Digest, Sha256};
    use std::io::Write;

    fn meta(bytes: &[u8]) -> FileMeta {
        FileMeta {
            size: bytes.len() as u64,
            content_type: "text/css; charset=utf-8".into(),
            sha256: hex(&Sha256::digest(bytes)),
            integrity: String::new(),
            modified: 0,
            variants: BTreeMap::new(),
            deltas: Default::default(),
            hashed_by: None,
        }
    }

    fn ids_of(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.id).collect()
    }

    struct Root {
        _t: tempfile::TempDir,
        config: Config,
        manifest: Manifest,
    }

    impl Root {
        fn new() -> Root {
            let t = tempfile::tempdir().expect("tempdir");
            let config = Config::new(t.path().join("out"), "/static/");
            std::fs::create_dir_all(config.static_root.join("css")).expect("mkdir");
            Root {
                _t: t,
                config,
                manifest: Manifest::new(),
            }
        }

        fn add(&mut self, logical: &str, hashed: &str, bytes: &[u8]) -> PathBuf {
            let p = under(&self.config.static_root, hashed);
            std::fs::write(&p, bytes).expect("write");
            self.manifest.paths.insert(logical.into(), hashed.into());
            self.manifest.files.insert(hashed.into(), meta(bytes));
            p
        }

        fn variant(&mut self, hashed: &str, enc: Encoding, bytes: &[u8]) -> PathBuf {
            let p = PathBuf::from(format!(
                "{}{}",
                under(&self.config.static_root, hashed).display(),
                enc.suffix()
            ));
            std::fs::write(&p, bytes).expect("write");
            if let Some(m) = self.manifest.files.get_mut(hashed) {
                m.variants.insert(enc, bytes.len() as u64);
            }
            p
        }

        fn check(&self) -> Vec<Finding> {
            self.manifest
                .write_atomic(&self.config.static_root)
                .expect("write manifest");
            check_manifest(&self.config)
        }
    }

    const CSS: &[u8] = b"body { color: red; } /* padding padding padding padding */\n";

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(bytes).expect("gzip");
        e.finish().expect("gzip")
    }

    fn brotli(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
            w.write_all(bytes).expect("br");
        }
        out
    }

    #[test]
    fn missing_and_invalid_manifest() {
        let r = Root::new();
        assert_eq!(
            ids_of(&check_manifest(&r.config)),
            [ids::MANIFEST_UNREADABLE]
        );
        std::fs::write(r.config.static_root.join(MANIFEST_NAME), "{").expect("write");
        assert_eq!(
            ids_of(&check_manifest(&r.config)),
            [ids::MANIFEST_UNREADABLE]
        );
    }

    #[test]
    fn good_root_passes_with_all_three_encodings() {
        let mut r = Root::new();
        r.add("css/a.css", "css/a.0123456789ab.css", CSS);
        r.variant("css/a.0123456789ab.css", Encoding::Gzip, &gzip(CSS));
        r.variant("css/a.0123456789ab.css", Encoding::Br, &brotli(CSS));
        let zst = zstd::encode_all(CSS, 19).expect("zstd");
        r.variant("css/a.0123456789ab.css", Encoding::Zstd, &zst);
        assert_eq!(r.check(), vec![]);
    }

    #[test]
    fn file_problems() {
        let mut r = Root::new();
        let a = r.add("a.css", "a.1.css", CSS);
        let b = r.add("b.css", "b.1.css", CSS);
        r.add("c.css", "c.1.css", CSS);
        std::fs::write(&a, &CSS[..10]).expect("truncate");
        let mut changed = CSS.to_vec();
        changed[0] = b'B';
        std::fs::write(&b, &changed).expect("change");
        std::fs::remove_file(r.config.static_root.join("c.1.css")).expect("rm");
        r.manifest.paths.insert("d.css".into(), "d.1.css".into());
        let f = r.check();
        assert_eq!(
            ids_of(&f),
            [
                ids::MANIFEST_FILE_MISMATCH,
                ids::MANIFEST_FILE_MISMATCH,
                ids::MANIFEST_FILE_MISSING,
                ids::MANIFEST_PATH_TARGET
            ]
        );
        assert!(f[0].message.contains("is 10 bytes"), "{}", f[0].message);
        assert!(f[1].message.contains("SHA-256"), "{}", f[1].message);
        assert!(f[3].message.contains("d.1.css"));
    }

    #[test]
    fn variant_problems() {
        let mut r = Root::new();
        r.add("a.css", "a.1.css", CSS);
        r.add("b.css", "b.1.css", CSS);
        r.add("c.css", "c.1.css", CSS);
        // a: wrong recorded size for gzip; b: corrupted brotli; c: missing zstd
        r.variant("a.1.css", Encoding::Gzip, &gzip(CSS));
        if let Some(m) = r.manifest.files.get_mut("a.1.css") {
            m.variants.insert(Encoding::Gzip, 3);
        }
        let mut br = brotli(CSS);
        let mid = br.len() / 2;
        br[mid] ^= 0x55;
        br[mid + 1] ^= 0xaa;
        r.variant("b.1.css", Encoding::Br, &br);
        if let Some(m) = r.manifest.files.get_mut("c.1.css") {
            m.variants.insert(Encoding::Zstd, 10);
        }
        let f = r.check();
        assert_eq!(ids_of(&f), [ids::MANIFEST_VARIANT; 3], "{f:?}");
        assert!(f[0].message.contains("records 3"), "{}", f[0].message);
        assert!(f[1].message.contains("br variant"), "{}", f[1].message);
        assert!(f[2].message.contains("missing"), "{}", f[2].message);
    }

    #[test]
    fn variant_of_other_bytes_and_bombs_are_caught() {
        let mut r = Root::new();
        r.add("a.css", "a.1.css", CSS);
        r.variant("a.1.css", Encoding::Gzip, &gzip(b"something else entirely"));
        let big = vec![b'a'; 10_000_000];
        r.add("b.css", "b.1.css", b"small");
        r.variant(
            "b.1.css",
            Encoding::Zstd,
            &zstd::encode_all(&big[..], 3).expect("z"),
        );
        let f = r.check();
        assert_eq!(ids_of(&f), [ids::MANIFEST_VARIANT; 2], "{f:?}");
        assert!(
            f[1].message.contains("more than 5 bytes"),
            "{}",
            f[1].message
        );
    }

    #[test]
    fn many_problems_are_capped() {
        let mut r = Root::new();
        for i in 0..(PER_ID + 5) {
            r.manifest
                .paths
                .insert(format!("{i}.css"), format!("{i}.1.css"));
        }
        let f = r.check();
        assert_eq!(f.len(), PER_ID + 1);
        assert!(
            f[PER_ID].message.contains("and 5 more"),
            "{}",
            f[PER_ID].message
        );
    }

    // ------------------------------------------------ issue 12: what it missed

    #[test]
    fn edited_or_deleted_unhashed_copies() {
        let mut r = Root::new();
        r.add("css/a.css", "css/a.0123456789ab.css", CSS);
        r.manifest.keep_unhashed = true;
        let plain = under(&r.config.static_root, "css/a.css");
        std::fs::write(&plain, CSS).expect("write");
        assert_eq!(ids_of(&r.check()), Vec::<&str>::new());
        std::fs::write(&plain, b"body { color: blue; }").expect("edit");
        assert_eq!(ids_of(&r.check()), [ids::MANIFEST_UNHASHED]);
        std::fs::remove_file(&plain).expect("rm");
        assert_eq!(ids_of(&r.check()), [ids::MANIFEST_UNHASHED]);
    }

    #[test]
    fn stray_variants_that_decode_to_something_else() {
        let mut r = Root::new();
        r.add("css/a.css", "css/a.0123456789ab.css", CSS);
        // Not in the manifest, but gzip_static would send it.
        let stray = PathBuf::from(format!(
            "{}.gz",
            under(&r.config.static_root, "css/a.0123456789ab.css").display()
        ));
        std::fs::write(&stray, gzip(CSS)).expect("write");
        assert_eq!(
            ids_of(&r.check()),
            Vec::<&str>::new(),
            "a correct stray is fine"
        );
        std::fs::write(&stray, gzip(b"something else")).expect("write");
        let f = r.check();
        assert_eq!(ids_of(&f), [ids::MANIFEST_VARIANT]);
        assert!(f[0].message.contains("not in"), "{}", f[0].message);
    }

    #[test]
    fn a_wrong_integrity() {
        let mut r = Root::new();
        r.add("css/a.css", "css/a.0123456789ab.css", CSS);
        if let Some(m) = r.manifest.files.get_mut("css/a.0123456789ab.css") {
            m.integrity = crate::hash::Digests::of(CSS).integrity();
        }
        assert_eq!(ids_of(&r.check()), Vec::<&str>::new());
        if let Some(m) = r.manifest.files.get_mut("css/a.0123456789ab.css") {
            m.integrity = crate::hash::Digests::of(b"other").integrity();
        }
        let f = r.check();
        assert_eq!(ids_of(&f), [ids::MANIFEST_FILE_MISMATCH]);
        assert!(f[0].message.contains("integrity"), "{}", f[0].message);
    }

    #[test]
    fn files_of_history_versions_still_served() {
        let mut r = Root::new();
        r.add("css/a.css", "css/a.0123456789ab.css", CSS);
        let old = r.manifest.clone();
        // The previous version, kept in the history, named another file.
        let mut previous = Manifest::new();
        previous
            .paths
            .insert("css/a.css".into(), "css/a.aaaaaaaaaaaa.css".into());
        previous
            .files
            .insert("css/a.aaaaaaaaaaaa.css".into(), meta(b"old bytes"));
        std::fs::write(
            r.config
                .static_root
                .join("staticfiles.20260101T000000.000Z.json"),
            previous.to_json(),
        )
        .expect("history");
        let old_file = under(&r.config.static_root, "css/a.aaaaaaaaaaaa.css");
        std::fs::write(&old_file, b"old bytes").expect("write");
        r.manifest = old;
        assert_eq!(ids_of(&r.check()), Vec::<&str>::new());
        std::fs::write(&old_file, b"tampered!").expect("write");
        assert_eq!(ids_of(&r.check()), [ids::MANIFEST_FILE_MISMATCH]);
        // Removed by `clean`: not served, not a problem.
        std::fs::remove_file(&old_file).expect("rm");
        assert_eq!(ids_of(&r.check()), Vec::<&str>::new());
    }

    #[test]
    fn trailing_bytes_after_a_brotli_stream() {
        let mut r = Root::new();
        r.add("css/a.css", "css/a.0123456789ab.css", CSS);
        let mut br = brotli(CSS);
        r.variant("css/a.0123456789ab.css", Encoding::Br, &br);
        assert_eq!(ids_of(&r.check()), Vec::<&str>::new());
        br.extend_from_slice(b"GARBAGE");
        r.variant("css/a.0123456789ab.css", Encoding::Br, &br);
        let f = r.check();
        assert_eq!(ids_of(&f), [ids::MANIFEST_VARIANT]);
        assert!(f[0].message.contains("after the end"), "{}", f[0].message);
    }
}
