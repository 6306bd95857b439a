//! jsonwebtoken's `rust_crypto` feature is on in this build, so jsonwebtoken fills its
//! process-wide provider slot with RustCrypto on first use. The host's own HS256 runs on it, and
//! cv-portal-plugin still verifies launch tokens with its own ring provider: genuine ones pass,
//! forgeries fail.

#[path = "../../../common/mod.rs"]
mod common;

use common::*;
use cv_portal_plugin::{Algorithm, install_as_jsonwebtoken_default};
use jsonwebtoken::crypto::CryptoProvider;

#[test]
fn the_hosts_hs256_runs_on_the_auto_selected_rust_crypto_provider() {
    host::hs256_sessions_work();
    let default = CryptoProvider::try_get_default().expect("rust_crypto is selected");
    assert!(std::ptr::eq(
        default,
        &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER
    ));
    // The crate's opt-in does not displace it.
    let refused = install_as_jsonwebtoken_default().unwrap_err();
    assert_eq!(refused.code(), "provider_already_installed");
    assert!(!refused.is_this_crates_provider());
}

#[test]
fn launch_tokens_verify_and_forgeries_fail_beside_rust_crypto() {
    for alg in [Algorithm::EdDSA, Algorithm::ES256] {
        let checked = genuine_passes_forgeries_fail(alg);
        assert_eq!(
            checked.verifier.verify(&checked.token).unwrap_err().code(),
            "replayed"
        );
    }
    // The published TEST keys of the conformance vectors verify too.
    for alg in [Algorithm::EdDSA, Algorithm::ES256] {
        let key = test_key(alg);
        let token = forge(&key, &header(&key), &claims(1));
        let keys = cv_portal_plugin::KeySet::from_jwks_json(&format!(
            r#"{{"keys":[{}]}}"#,
            key.public_key().to_jwk()
        ))
        .unwrap();
        assert!(verifier(&keys, clock()).verify(&token).is_ok(), "{alg}");
    }
}
