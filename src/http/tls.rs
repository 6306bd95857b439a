//! The TLS configuration handed to reqwest: rustls on ring, passed explicitly (no process-wide
//! default provider is read or installed), the platform's verifier with the system's roots, and
//! the caller's extra roots.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

use super::error::HttpError;
use crate::quoted::Quoted;

/// The longest excerpt of a TLS library's message kept in an error, in characters.
pub(crate) const DETAIL_MAX: usize = 160;

/// Every `CERTIFICATE` block of `pem`, each checked to be usable as a trust anchor. Other PEM
/// blocks (a private key pasted beside the certificate) are ignored; no certificate at all is an
/// error.
pub(crate) fn pem_roots(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, HttpError> {
    let mut roots = Vec::new();
    for item in CertificateDer::pem_slice_iter(pem) {
        let certificate = item.map_err(|_| HttpError::RootCertificate {
            problem: "the PEM text is malformed",
        })?;
        roots.push(certificate);
    }
    if roots.is_empty() {
        return Err(HttpError::RootCertificate {
            problem: "it has no PEM CERTIFICATE block",
        });
    }
    let mut store = rustls::RootCertStore::empty();
    for root in &roots {
        store
            .add(root.clone())
            .map_err(|_| HttpError::RootCertificate {
                problem: "a CERTIFICATE block is not an X.509 certificate usable as a trust anchor",
            })?;
    }
    Ok(roots)
}

/// A rustls client configuration on ring, TLS 1.2 and 1.3, verifying servers with the platform's
/// verifier (on Linux: WebPKI over the system's root store, read by rustls-native-certs) plus
/// `extra_roots`, offering HTTP/1.1 by ALPN and no client certificate.
pub(crate) fn client_config(
    extra_roots: &[CertificateDer<'static>],
) -> Result<rustls::ClientConfig, HttpError> {
    let setup = |error: rustls::Error| HttpError::Setup {
        detail: Quoted::bounded(&error.to_string(), DETAIL_MAX),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(
        extra_roots.iter().cloned(),
        Arc::clone(&provider),
    )
    .map_err(setup)?;
    // `dangerous()` is rustls' only door to a verifier other than its own WebPKI one; the
    // platform verifier checks chains, names and validity as strictly (this is what its own
    // `with_platform_verifier` does).
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(setup)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_roots_need_a_certificate_block() {
        let code = |pem: &[u8]| pem_roots(pem).unwrap_err().code();
        assert_eq!(code(b""), "root_certificate_invalid");
        assert_eq!(code(b"not pem at all"), "root_certificate_invalid");
        assert_eq!(
            code(b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"),
            "root_certificate_invalid"
        );
        // Valid base64, not a certificate.
        assert_eq!(
            code(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
            "root_certificate_invalid"
        );
        // An unterminated block.
        assert_eq!(
            code(b"-----BEGIN CERTIFICATE-----\nAAAA\n"),
            "root_certificate_invalid"
        );
    }

    #[test]
    fn the_configuration_is_built_on_ring_without_a_process_default() {
        let config = client_config(&[]).expect("the system has root certificates");
        assert_eq!(config.alpn_protocols, [b"http/1.1".to_vec()]);
        // The provider is the one passed in (ring's suites), not a process-wide default.
        assert!(
            config
                .crypto_provider()
                .cipher_suites
                .iter()
                .all(|suite| rustls::crypto::ring::ALL_CIPHER_SUITES.contains(suite))
        );
    }
}
