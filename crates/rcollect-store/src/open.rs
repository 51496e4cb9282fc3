//! Opening a store from `static_root`'s URL and the `[storage]` table.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use rcollect_core::config::StorageConfig;

use crate::{Error, Result, Store};

pub(crate) fn open(config: &StorageConfig) -> Result<Store> {
    let bad = |message: String| Error::Config {
        url: config.url.clone(),
        message,
    };
    let url = url::Url::parse(&config.url).map_err(|e| bad(format!("invalid URL: {e}")))?;
    let (inner, prefix, attributes): (Arc<dyn ObjectStore>, String, bool) = match url.scheme() {
        #[cfg(feature = "s3")]
        "s3" | "s3a" => {
            use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
            use object_store::{ClientOptions, RetryConfig};
            use std::time::Duration;
            let retry = RetryConfig {
                max_retries: config.retries,
                retry_timeout: Duration::from_secs(180),
                ..RetryConfig::default()
            };
            let bucket = url.host_str().unwrap_or_default();
            if bucket.is_empty() {
                return Err(bad("no bucket: use s3://bucket/prefix".into()));
            }
            let mut b = AmazonS3Builder::new()
                .with_bucket_name(bucket)
                .with_retry(retry)
                .with_client_options(
                    ClientOptions::new()
                        .with_connect_timeout(Duration::from_secs(10))
                        .with_timeout(Duration::from_secs(120)),
                );
            // The table first, then the environment over it.
            let table = [
                ("aws_endpoint", config.endpoint.clone()),
                ("aws_region", config.region.clone()),
                ("aws_allow_http", config.allow_http.map(|b| b.to_string())),
                ("aws_access_key_id", config.access_key_id.clone()),
                ("aws_secret_access_key", config.secret_access_key.clone()),
                ("aws_session_token", config.session_token.clone()),
                (
                    "aws_virtual_hosted_style_request",
                    config.virtual_hosted_style_request.map(|b| b.to_string()),
                ),
            ];
            let env = std::env::vars().filter(|(k, v)| k.starts_with("AWS_") && !v.is_empty());
            let settings = table
                .into_iter()
                .filter_map(|(k, v)| Some((k.to_string(), v?)))
                .chain(env.map(|(k, v)| (k.to_ascii_lowercase(), v)));
            let mut region_set = false;
            for (key, value) in settings {
                // AWS_* variables this client has no use for are skipped.
                let Ok(k) = key.parse::<AmazonS3ConfigKey>() else {
                    continue;
                };
                if matches!(k, AmazonS3ConfigKey::Bucket) {
                    continue; // the URL names the bucket
                }
                region_set |= matches!(
                    k,
                    AmazonS3ConfigKey::Region | AmazonS3ConfigKey::DefaultRegion
                );
                b = b.with_config(k, value);
            }
            if !region_set {
                b = b.with_region("us-east-1");
            }
            let s3 = b.build().map_err(|e| bad(e.to_string()))?;
            (Arc::new(s3), url.path().to_string(), true)
        }
        #[cfg(not(feature = "s3"))]
        "s3" | "s3a" => {
            return Err(bad(
                "S3 support was left out of this build (the `s3` feature of rcollect-store; \
                 for the CLI: cargo install rcollect --features s3)"
                    .into(),
            ));
        }
        "file" => {
            let path = url
                .to_file_path()
                .map_err(|()| bad("not a local path".into()))?;
            std::fs::create_dir_all(&path).map_err(|e| rcollect_core::Error::io(&path, e))?;
            let fs = LocalFileSystem::new_with_prefix(&path).map_err(|e| bad(e.to_string()))?;
            (Arc::new(fs), String::new(), false)
        }
        other => {
            return Err(bad(format!(
                "unsupported scheme '{other}://' (supported: s3://bucket/prefix, file:///path)"
            )));
        }
    };
    let prefix = StorePath::from(prefix.trim_matches('/'));
    Ok(Store {
        inner,
        prefix,
        url: config.url.clone(),
        attributes,
        concurrency: config.concurrency.max(1),
        max_manifest_bytes: rcollect_core::manifest::MAX_MANIFEST_BYTES,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(url: &str) -> StorageConfig {
        StorageConfig {
            url: url.into(),
            endpoint: Some("http://127.0.0.1:1".into()),
            region: None,
            allow_http: Some(true),
            access_key_id: Some("k".into()),
            secret_access_key: Some("s".into()),
            session_token: None,
            virtual_hosted_style_request: None,
            concurrency: 4,
            retries: 0,
        }
    }

    #[test]
    #[cfg(feature = "s3")]
    fn parses_bucket_and_prefix() {
        let s = open(&cfg("s3://bucket/site/static/")).expect("open");
        assert_eq!(s.prefix.as_ref(), "site/static");
        assert_eq!(s.path("css/a.css").as_ref(), "site/static/css/a.css");
        let s = open(&cfg("s3://bucket")).expect("open");
        assert_eq!(s.path("a.css").as_ref(), "a.css");
    }

    #[test]
    fn bad_urls_name_the_url() {
        for (url, needle) in [
            ("gs://b/p", "unsupported scheme"),
            #[cfg(feature = "s3")]
            ("s3:///p", "no bucket"),
            #[cfg(not(feature = "s3"))]
            ("s3://b/p", "cargo install rcollect --features s3"),
            ("not a url", "invalid URL"),
        ] {
            let e = open(&cfg(url)).expect_err(url).to_string();
            assert!(e.contains(url) && e.contains(needle), "{e}");
        }
    }
}
