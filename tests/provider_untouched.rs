//! The crate is used first (minting and verifying, genuine and forged tokens), and only then does
//! the host install its own jsonwebtoken provider: the slot is still free, the host's install
//! succeeds, and its HS256 works.
//!
//! Its own test binary, with a single test: jsonwebtoken's provider slot is per process, and the
//! order of events is the point.

mod common;

use common::host::{self, HOSTILE_PROVIDER};
use common::*;
use cv_portal_plugin::Algorithm;
use jsonwebtoken::crypto::CryptoProvider;

fn mint_and_verify() {
    for alg in [Algorithm::EdDSA, Algorithm::ES256] {
        genuine_passes_forgeries_fail(alg);
    }
}

#[test]
fn the_crate_leaves_jsonwebtokens_slot_to_the_host() {
    mint_and_verify();
    assert!(
        CryptoProvider::try_get_default().is_none(),
        "the crate filled jsonwebtoken's process-wide slot"
    );

    HOSTILE_PROVIDER
        .install_default()
        .expect("the host installs its provider after the crate was used");
    let before = host::calls();
    host::hs256_sessions_work();
    assert_eq!(host::calls(), before + 3);

    // The crate carries on with its own provider, and never calls the host's.
    let before = host::calls();
    mint_and_verify();
    assert_eq!(host::calls(), before);
}
