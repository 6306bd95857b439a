//! `rust_crypto` is on in this build, but the host installs a provider of its own before any
//! jsonwebtoken call, and that provider accepts every non-HMAC signature (see `common::host`).
//! cv-portal-plugin still refuses forged launch tokens, and never calls the host's provider.
//!
//! One test only: the order of events in the process is the point.

#[path = "../../../common/mod.rs"]
mod common;

use common::host::{self, HOSTILE_PROVIDER};
use common::*;
use cv_portal_plugin::Algorithm;
use jsonwebtoken::crypto::CryptoProvider;

#[test]
fn a_hostile_host_provider_changes_nothing_for_launch_tokens() {
    HOSTILE_PROVIDER
        .install_default()
        .expect("installed before any jsonwebtoken call, so ahead of the rust_crypto default");
    assert!(std::ptr::eq(
        CryptoProvider::try_get_default().unwrap(),
        &HOSTILE_PROVIDER
    ));
    host::hs256_sessions_work();

    for alg in [Algorithm::EdDSA, Algorithm::ES256] {
        let before = host::calls();
        let LaunchCheck { issuer, forged, .. } = genuine_passes_forgeries_fail(alg);
        assert_eq!(
            host::calls(),
            before,
            "{alg}: the crate called the host's provider"
        );

        // Not vacuous: asked through jsonwebtoken, the slot's provider accepts those signatures.
        for (what, token) in &forged {
            assert!(
                slot_accepts(&issuer, token),
                "{alg}: the host's provider accepts {what}"
            );
        }
        assert_eq!(host::calls(), before + forged.len());
    }
}
