//! TLS for `rcollect serve` (rustls with the `ring` provider): a PEM
//! certificate chain and its private key, ALPN offering `h2` and
//! `http/1.1` on one port. Loaded at start and again on `SIGHUP` (new
//! connections get the new certificate; open ones keep theirs).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// ALPN protocol IDs, preferred first.
const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// The certificate and key files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Files {
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
}

/// Reads `files` and builds the acceptor. Errors name the file.
pub(crate) fn acceptor(files: &Files) -> anyhow::Result<TlsAcceptor> {
    let certs = read(&files.cert, "TLS certificate")?;
    let chain = CertificateDer::pem_slice_iter(&certs)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("TLS certificate {}: not PEM", files.cert.display()))?;
    if chain.is_empty() {
        anyhow::bail!(
            "TLS certificate {}: no `-----BEGIN CERTIFICATE-----` block",
            files.cert.display()
        );
    }
    let key = read(&files.key, "TLS private key")?;
    let key = PrivateKeyDer::from_pem_slice(&key).map_err(|e| {
        anyhow::anyhow!(
            "TLS private key {}: no PEM private key ({e})",
            files.key.display()
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS: no protocol version")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .with_context(|| {
            format!(
                "TLS certificate {} and key {} do not go together",
                files.cert.display(),
                files.key.display()
            )
        })?;
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn read(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read the {what} {}", path.display()))
}

/// True when the handshake chose HTTP/2.
pub(crate) fn is_h2<S>(stream: &tokio_rustls::server::TlsStream<S>) -> bool {
    stream.get_ref().1.alpn_protocol() == Some(b"h2".as_slice())
}
