//! `[sourcemaps] mode = "private"` without its token:
//! [`ids::SOURCEMAP_TOKEN_UNSET`]. Not part of [`super::run`] (the
//! middleware, which may also be given the token in code, warns by itself
//! when it loads a private manifest without one); `rcollect check` runs it.

use super::{Finding, ids, locate_keys};
use crate::Config;
use crate::config::{SOURCEMAP_TOKEN_ENV, SourceMapMode};

/// Warns when the source maps are private and `RCOLLECT_SOURCEMAP_TOKEN`
/// is unset or empty in this environment: served from here, they would be
/// refused to everyone.
pub fn check_sourcemaps(config: &Config) -> Vec<Finding> {
    let token_set = std::env::var_os(SOURCEMAP_TOKEN_ENV).is_some_and(|v| !v.is_empty());
    findings(config, token_set)
}

fn findings(config: &Config, token_set: bool) -> Vec<Finding> {
    if config.sourcemaps.mode != SourceMapMode::Private || token_set {
        return Vec::new();
    }
    let mut out = vec![Finding::new(
        ids::SOURCEMAP_TOKEN_UNSET,
        format!(
            "[sourcemaps] mode = \"private\" but {SOURCEMAP_TOKEN_ENV} is not set: the \
             middleware will refuse every source map (404)"
        ),
        format!(
            "set {SOURCEMAP_TOKEN_ENV} in the app's environment (never in rcollect.toml), or \
             call `sourcemap_token` in code; developers then send it as the \
             `rcollect_sourcemap_token` cookie (DevTools) or the `SourceMap-Token` header"
        ),
    )];
    locate_keys(config, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_private_maps_without_a_token_are_reported_at_their_key() {
        let t = tempfile::tempdir().expect("tempdir");
        let file = t.path().join("rcollect.toml");
        std::fs::write(
            &file,
            "static_root = \"out\"\n\n[sourcemaps]\nmode = \"private\"\n",
        )
        .expect("write");
        let mut c = Config::load(t.path(), Some(&file), &Default::default()).expect("config");
        let f = findings(&c, false);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].id, "W008");
        assert!(
            f[0].message.contains(SOURCEMAP_TOKEN_ENV),
            "{}",
            f[0].message
        );
        let at = f[0].location.as_ref().expect("located");
        assert_eq!((at.file.as_path(), at.line), (file.as_path(), Some(4)));
        assert!(findings(&c, true).is_empty());
        for mode in [SourceMapMode::Public, SourceMapMode::Hidden] {
            c.sourcemaps.mode = mode;
            assert!(findings(&c, false).is_empty());
        }
    }
}
