//! The configuration file as written: serde types for `rcollect.toml`,
//! unknown keys refused, errors with the file, line and key.

use std::path::Path;

use serde::Deserialize;

use super::{CompressConfig, JsConfig, MissingReferences, ServeConfig, SourceMapsConfig};
use crate::error::ConfigError;

/// The `[storage]` table as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStorage {
    pub(super) staging: Option<String>,
    pub(super) endpoint: Option<String>,
    pub(super) region: Option<String>,
    pub(super) allow_http: Option<bool>,
    pub(super) access_key_id: Option<String>,
    pub(super) secret_access_key: Option<String>,
    pub(super) session_token: Option<String>,
    pub(super) virtual_hosted_style_request: Option<bool>,
    pub(super) concurrency: Option<usize>,
    pub(super) retries: Option<usize>,
}

/// The `[bundler]` table as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBundler {
    #[serde(default)]
    pub(super) manifests: Vec<String>,
    #[serde(default)]
    pub(super) metafiles: Vec<String>,
    #[serde(default)]
    pub(super) hashed_names: Vec<String>,
    pub(super) dev_server: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) static_url: Option<String>,
    pub(super) static_root: Option<String>,
    pub(super) dirs: Option<Vec<RawDir>>,
    pub(super) ignore: Option<Vec<String>>,
    pub(super) default_ignore: Option<bool>,
    pub(super) media_url: Option<String>,
    pub(super) media_root: Option<String>,
    pub(super) missing_references: Option<MissingReferences>,
    pub(super) keep_unhashed: Option<bool>,
    pub(super) debug: Option<bool>,
    pub(super) allow_empty: Option<bool>,
    pub(super) root_dir: Option<String>,
    pub(super) cache_dir: Option<String>,
    pub(super) manifest_max_size: Option<u64>,
    pub(super) compress: Option<CompressConfig>,
    pub(super) bundler: Option<RawBundler>,
    pub(super) js: Option<JsConfig>,
    pub(super) sourcemaps: Option<SourceMapsConfig>,
    pub(super) serve: Option<ServeConfig>,
    pub(super) storage: Option<RawStorage>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RawDir {
    Path(String),
    Prefixed(PrefixedDir),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PrefixedDir {
    #[serde(default)]
    pub(super) prefix: String,
    pub(super) path: String,
}

pub(super) fn parse_toml(path: &Path, text: &str) -> Result<RawConfig, ConfigError> {
    toml::from_str::<RawConfig>(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        let message = did_you_mean(e.message().trim());
        let key = key_from_message(&message).or_else(|| {
            let line_text = line.and_then(|l| text.lines().nth(l - 1))?;
            let (k, _) = line_text.split_once('=')?;
            Some(k.trim().trim_matches('"').to_string())
        });
        ConfigError {
            file: Some(path.to_path_buf()),
            line,
            key,
            message,
        }
    })
}

/// serde's "unknown field `statik_url`, expected one of `static_url`, …"
/// becomes "unknown field `statik_url`: did you mean `static_url`?" when
/// one expected key is close (edit distance at most a third of its length,
/// or 2); otherwise it stays as it is.
fn did_you_mean(message: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message.to_string();
    };
    let Some((unknown, expected)) = rest.split_once('`') else {
        return message.to_string();
    };
    let best = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|k| (strsim::damerau_levenshtein(unknown, k), k))
        .filter(|(d, k)| *d <= (k.len() / 3).max(2))
        .min();
    match best {
        Some((_, k)) => format!("unknown field `{unknown}`: did you mean `{k}`?"),
        None => message.to_string(),
    }
}

/// Pulls the key out of serde's "unknown field `x`" / "missing field `x`".
fn key_from_message(message: &str) -> Option<String> {
    for lead in ["unknown field `", "missing field `"] {
        if let Some(rest) = message.strip_prefix(lead) {
            return rest.split('`').next().map(str::to_string);
        }
    }
    None
}
