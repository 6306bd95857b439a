//! With an empty provider slot, the crate installs its ring provider before its first verify, and
//! jsonwebtoken never panics for want of a provider. Its own test binary: the slot is per process.

mod common;

use common::*;
use cv_portal_plugin::{Algorithm, Issuer, ProviderStatus, Role, SigningKey, install_provider};

#[test]
fn verifier_installs_the_ring_provider_which_refuses_hmac_and_rsa() {
    assert!(jsonwebtoken::crypto::CryptoProvider::try_get_default().is_none());
    let clock = clock();
    let issuer = Issuer::builder(issuer_id(), SigningKey::generate(Algorithm::ES256).unwrap())
        .clock(clock.clone())
        .build()
        .unwrap();
    let launch = issuer
        .mint(&plugin(PLUGIN), &viewer(Role::Sindico))
        .unwrap();
    // Building the verifier is what installs the provider; no explicit call was made.
    let verifier = verifier(issuer.jwks(), clock);
    assert!(jsonwebtoken::crypto::CryptoProvider::try_get_default().is_some());
    assert_eq!(
        verifier.verify(launch.token()).unwrap().role(),
        Role::Sindico
    );
    assert_eq!(install_provider(), ProviderStatus::Ring);

    // The ring provider refuses HMAC and RSA with an error, never a panic.
    let key = jsonwebtoken::EncodingKey::from_secret(b"secret").unwrap();
    for alg in [
        jsonwebtoken::Algorithm::HS256,
        jsonwebtoken::Algorithm::RS256,
    ] {
        let err = jsonwebtoken::crypto::sign(b"x", &key, alg).unwrap_err();
        assert!(matches!(
            err.kind(),
            jsonwebtoken::errors::ErrorKind::UnsupportedAlgorithm
        ));
    }
    // An HMAC token decoded through jsonwebtoken with this provider is an error, not a panic.
    let decoding = jsonwebtoken::DecodingKey::from_secret(b"secret").unwrap();
    let result =
        jsonwebtoken::crypto::verify("AAAA", b"x", &decoding, jsonwebtoken::Algorithm::HS256);
    assert!(result.is_err());
}
