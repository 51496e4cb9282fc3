//! The `[serve]` TLS keys of `rcollect serve`: [`ids::TLS_INCOMPLETE`] and
//! [`ids::TLS_UNREADABLE`]. Not part of [`super::run`] (the middleware does
//! not use them); `rcollect check` runs them, and `rcollect serve` refuses
//! to start on the same problems.

use std::path::Path;

use super::{Finding, ids, key_line};
use crate::Config;

/// Checks `[serve] tls_cert` and `tls_key`: both or neither, each a
/// readable file with a PEM block of the right kind. The certificate and
/// key are not parsed here (`rcollect serve` does that with rustls).
pub fn check_tls(config: &Config) -> Vec<Finding> {
    let s = &config.serve;
    let mut out = Vec::new();
    match (&s.tls_cert, &s.tls_key) {
        (None, None) => {}
        (Some(_), None) | (None, Some(_)) => {
            let (set, unset) = if s.tls_cert.is_some() {
                ("tls_cert", "tls_key")
            } else {
                ("tls_key", "tls_cert")
            };
            out.push(locate(
                config,
                set,
                Finding::new(
                    ids::TLS_INCOMPLETE,
                    format!("[serve] {set} is set but {unset} is not"),
                    "set both `tls_cert` (the PEM certificate chain) and `tls_key` (its PEM \
                     private key), or neither",
                ),
            ));
        }
        (Some(cert), Some(key)) => {
            for (key_name, path, wanted) in [
                ("tls_cert", cert, "CERTIFICATE-----"),
                ("tls_key", key, "PRIVATE KEY-----"),
            ] {
                if let Some(problem) = pem_problem(path, wanted) {
                    out.push(locate(
                        config,
                        key_name,
                        Finding::new(
                            ids::TLS_UNREADABLE,
                            format!("[serve] {key_name} '{}' {problem}", path.display()),
                            "point it at a readable PEM file (relative paths are relative to \
                             the config file)",
                        ),
                    ));
                }
            }
        }
    }
    out
}

/// What is wrong with `path` as a PEM file with a `-----BEGIN …wanted`
/// block, if anything.
fn pem_problem(path: &Path, wanted: &str) -> Option<String> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return Some(format!("cannot be read: {e}")),
    };
    let text = String::from_utf8_lossy(&bytes);
    let found = text.lines().any(|l| {
        l.trim()
            .strip_prefix("-----BEGIN ")
            .is_some_and(|rest| rest.ends_with(wanted))
    });
    (!found).then(|| {
        let what = if wanted.starts_with("CERT") {
            "certificate"
        } else {
            "private key"
        };
        format!("holds no PEM {what} (no `-----BEGIN …{wanted}` line)")
    })
}

/// `finding`, pointing at `[serve] key` in the config file when there is one.
fn locate(config: &Config, key: &str, finding: Finding) -> Finding {
    let Some(file) = &config.config_file else {
        return finding;
    };
    let line = std::fs::read_to_string(file)
        .ok()
        .and_then(|text| key_line(&text, "serve", key));
    finding.at(file.clone(), line, line.map(|_| 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids_of(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.id).collect()
    }

    #[test]
    fn both_or_neither_and_readable_pem() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut c = Config::new(t.path().join("root"), "/static/");
        assert!(check_tls(&c).is_empty());
        c.serve.tls_cert = Some(t.path().join("cert.pem"));
        let f = check_tls(&c);
        assert_eq!(ids_of(&f), ["E014"]);
        assert!(f[0].message.contains("tls_key is not"), "{}", f[0].message);

        c.serve.tls_key = Some(t.path().join("key.pem"));
        let f = check_tls(&c);
        assert_eq!(ids_of(&f), ["E015", "E015"]);
        assert!(
            f[0].message.contains("cert.pem' cannot be read"),
            "{}",
            f[0].message
        );

        std::fs::write(
            t.path().join("cert.pem"),
            "-----BEGIN CERTIFICATE-----\nAA\n",
        )
        .expect("write");
        std::fs::write(
            t.path().join("key.pem"),
            "-----BEGIN CERTIFICATE-----\nAA\n",
        )
        .expect("write");
        let f = check_tls(&c);
        assert_eq!(ids_of(&f), ["E015"]);
        assert!(
            f[0].message.contains("holds no PEM private key"),
            "{}",
            f[0].message
        );
        std::fs::write(
            t.path().join("key.pem"),
            "-----BEGIN EC PRIVATE KEY-----\nAA\n",
        )
        .expect("write");
        assert!(check_tls(&c).is_empty());
    }
}
