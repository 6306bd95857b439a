//! What happens when the application installed another jsonwebtoken provider first.
//!
//! This is its own test binary because the provider is process-global: here the "application"
//! installs a provider of its own before touching the crate.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use common::*;
use cv_portal_plugin::provider::RING_PROVIDER;
use cv_portal_plugin::{Algorithm, Issuer, ProviderStatus, Role, SigningKey, install_provider};
use jsonwebtoken::crypto::{CryptoProvider, JwtVerifier};
use jsonwebtoken::{DecodingKey, errors::Error};

static VERIFIER_CALLS: AtomicUsize = AtomicUsize::new(0);
/// When set, the application's provider accepts every signature: the worst provider an
/// application could install. The crate's protocol checks must not depend on it.
static ACCEPT_ALL: AtomicBool = AtomicBool::new(false);

struct AcceptAll(jsonwebtoken::Algorithm);

impl jsonwebtoken::signature::Verifier<Vec<u8>> for AcceptAll {
    fn verify(&self, _: &[u8], _: &Vec<u8>) -> Result<(), jsonwebtoken::signature::Error> {
        Ok(())
    }
}

impl JwtVerifier for AcceptAll {
    fn algorithm(&self) -> jsonwebtoken::Algorithm {
        self.0
    }
}

/// The application's own provider: it delegates to ring but counts verifications, so the test can
/// see which provider the crate used.
fn counting_verifier(
    alg: &jsonwebtoken::Algorithm,
    key: &DecodingKey,
) -> Result<Box<dyn JwtVerifier>, Error> {
    VERIFIER_CALLS.fetch_add(1, Ordering::SeqCst);
    if ACCEPT_ALL.load(Ordering::SeqCst) {
        return Ok(Box::new(AcceptAll(*alg)));
    }
    (RING_PROVIDER.verifier_factory)(alg, key)
}

static APP_PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: RING_PROVIDER.signer_factory,
    verifier_factory: counting_verifier,
    key_utils: jsonwebtoken::crypto::KeyUtils::new_unimplemented(),
};

#[test]
fn another_provider_stays_in_place_and_is_used() {
    APP_PROVIDER
        .install_default()
        .expect("the slot starts empty");
    // The crate does not replace it, and says so.
    assert_eq!(install_provider(), ProviderStatus::Other);
    assert_eq!(install_provider(), ProviderStatus::Other);

    let clock = clock();
    let issuer = Issuer::builder(issuer_id(), SigningKey::generate(Algorithm::EdDSA).unwrap())
        .clock(clock.clone())
        .build()
        .unwrap();
    let verifier = verifier(issuer.jwks(), clock);
    let launch = issuer
        .mint(&plugin(PLUGIN), &viewer(Role::Cliente))
        .unwrap();
    let before = VERIFIER_CALLS.load(Ordering::SeqCst);
    assert!(verifier.verify(launch.token()).is_ok());
    assert_eq!(VERIFIER_CALLS.load(Ordering::SeqCst), before + 1);

    // The protocol checks are the crate's own whatever the provider: a forged token still fails.
    let forged = forge(
        &SigningKey::generate(Algorithm::EdDSA).unwrap(),
        &format!(
            r#"{{"alg":"EdDSA","typ":"cv-plugin-launch+jwt","kid":"{}"}}"#,
            issuer.kid()
        ),
        &claims(9),
    );
    assert_eq!(
        verifier.verify(&forged).unwrap_err().code(),
        "bad_signature"
    );
}
