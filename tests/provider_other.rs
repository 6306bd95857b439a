//! The host application installs its own jsonwebtoken provider before it touches the crate, and
//! that provider accepts any non-HMAC signature (see `common::host`). The host's HS256 keeps
//! working, and launch tokens are still checked with the crate's own ring provider: forgeries are
//! refused and the host's provider is never called.
//!
//! Its own test binary: jsonwebtoken's provider slot is per process.

mod common;

use std::sync::{Mutex, MutexGuard, Once, PoisonError};

use common::host::{self, HOSTILE_PROVIDER};
use common::*;
use cv_portal_plugin::{Algorithm, install_as_jsonwebtoken_default};

/// Installs the host's provider first thing in the process, and runs the tests one at a time so
/// the call counts belong to one test.
fn host_first() -> MutexGuard<'static, ()> {
    static INSTALL: Once = Once::new();
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let guard = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    INSTALL.call_once(|| {
        HOSTILE_PROVIDER
            .install_default()
            .expect("nothing fills the slot before the host");
    });
    guard
}

#[test]
fn the_hosts_provider_serves_the_hosts_hs256() {
    let _one = host_first();
    let before = host::calls();
    host::hs256_sessions_work();
    // Sign, verify, verify: jsonwebtoken went through the host's provider each time.
    assert_eq!(host::calls(), before + 3);
}

#[test]
fn launch_tokens_are_checked_with_ring_never_with_the_hosts_provider() {
    let _one = host_first();
    for alg in [Algorithm::EdDSA, Algorithm::ES256] {
        let before = host::calls();
        let LaunchCheck { issuer, forged, .. } = genuine_passes_forgeries_fail(alg);
        // Minting and verifying, genuine and forged, never reached the host's provider.
        assert_eq!(host::calls(), before, "{alg}");

        // The refusals are not vacuous: the provider in the slot accepts every one of those
        // signatures when jsonwebtoken is asked, under the very same key.
        for (what, token) in &forged {
            assert!(
                slot_accepts(&issuer, token),
                "{alg}: the host's provider accepts {what}"
            );
        }
        assert_eq!(host::calls(), before + forged.len());
    }
}

#[test]
fn the_opt_in_leaves_the_hosts_provider_in_place() {
    let _one = host_first();
    let refused = install_as_jsonwebtoken_default().unwrap_err();
    assert_eq!(refused.code(), "provider_already_installed");
    assert!(!refused.is_this_crates_provider());
    // Still the host's: its HS256 goes through it.
    let before = host::calls();
    host::hs256_sessions_work();
    assert_eq!(host::calls(), before + 3);
}
