//! Publishing the staged STATIC_ROOT to object storage after a collect.

use rcollect_core::Config;
use rcollect_core::config::StorageConfig;
use rcollect_core::progress::Progress;
use rcollect_store::{FetchSummary, PublishOptions, PublishSummary, Store};
use serde_json::json;

/// A runtime for the store's async client: a few threads, the work is I/O.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// Uploads `config.static_root` (the staging dir) to `storage`.
pub(crate) fn publish(
    config: &Config,
    storage: &StorageConfig,
    dry_run: bool,
    progress: Option<&dyn Progress>,
) -> anyhow::Result<PublishSummary> {
    let store = Store::open(storage)?.with_manifest_max_size(config.manifest_max_size);
    let options = PublishOptions {
        dry_run,
        unhashed_max_age: config.serve.max_age,
    };
    let summary = runtime()?.block_on(store.publish(&config.static_root, &options, progress))?;
    Ok(summary)
}

/// Before collecting into the staging dir: fetches from the store the
/// previous versions the collect writes deltas against (RFC 9842), so a
/// build on a fresh machine ships deltas as one that kept its staging dir.
pub(crate) fn fetch_dictionaries(
    config: &Config,
    storage: &StorageConfig,
) -> anyhow::Result<FetchSummary> {
    let keep = config.compress.deltas;
    if keep == 0 {
        return Ok(FetchSummary::default());
    }
    let store = Store::open(storage)?.with_manifest_max_size(config.manifest_max_size);
    let root = &config.static_root;
    Ok(runtime()?.block_on(store.fetch_dictionaries(root, keep))?)
}

pub(crate) fn print_text(p: &PublishSummary, url: &str, dry_run: bool) {
    let verb = if dry_run {
        "would be uploaded"
    } else {
        "uploaded"
    };
    let manifest = match (p.manifest_uploaded, &p.history) {
        (false, _) => "manifest unchanged".to_string(),
        (true, Some(h)) => format!("manifest replaced (previous kept as {h})"),
        (true, None) => "manifest written".to_string(),
    };
    println!(
        "{} of {} objects {verb} to '{url}' ({} bytes), {} unchanged, {manifest}.",
        p.uploaded, p.objects, p.uploaded_bytes, p.unchanged
    );
}

pub(crate) fn to_json(p: &PublishSummary, url: &str) -> serde_json::Value {
    json!({
        "url": url,
        "objects": p.objects,
        "uploaded": p.uploaded,
        "uploaded_bytes": p.uploaded_bytes,
        "unchanged": p.unchanged,
        "checked": p.checked,
        "uploaded_keys": p.uploaded_keys,
        "manifest_uploaded": p.manifest_uploaded,
        "history": p.history,
    })
}
