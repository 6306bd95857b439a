//! Target `verify_claims`: fuzzed header and claims JSON, signed for real with a TEST key, so
//! every check after the signature is reachable.
//!
//! Input: one flags byte, then the header JSON, a NUL byte, the claims JSON. Flags: bit 0 spoils
//! the signature; bits 1-2 choose the leeway (30 s, 0 s, 300 s through the dangerous door, 30 s);
//! bit 3 signs with the P-256 TEST key instead of the Ed25519 one (the header's `kid` must name
//! the same key for the signature to verify).
//!
//! Properties:
//! - the crate's answer is the one PROTOCOL.md §6 gives ([`reference`](super::reference)): if it
//!   accepts, every rule holds and the claims are the ones in the token; if it refuses, the code
//!   names a rule the token breaks, at the first failing step;
//! - a token accepted once is refused the second time as `replayed` (check 21);
//! - errors never quote the token's signature.

use std::time::Duration;

use cv_portal_plugin::{Algorithm, Verifier, VerifyError};

use super::reference::{self, Rules};
use super::{Input, assert_error_hides_signature, b64, fixture, signature_ok, test_sign};

/// Builds the token of a `verify_claims` input.
pub fn token_of(data: &[u8]) -> (u8, String) {
    let mut input = Input(data);
    let flags = input.byte();
    let rest = input.0;
    let (header, claims) = match rest.iter().position(|&b| b == 0) {
        Some(nul) => (&rest[..nul], &rest[nul + 1..]),
        None => (rest, &[][..]),
    };
    let signing_input = format!("{}.{}", b64(header), b64(claims));
    let alg = if flags & 8 == 8 {
        Algorithm::ES256
    } else {
        Algorithm::EdDSA
    };
    let mut signature = test_sign(alg, signing_input.as_bytes());
    if flags & 1 == 1 {
        signature[0] ^= 1;
    }
    (flags, format!("{signing_input}.{}", b64(&signature)))
}

/// The property of target `verify_claims`.
pub fn check(data: &[u8]) {
    let fx = fixture();
    let (flags, token) = token_of(data);
    let leeway = [30, 0, 300, 30][usize::from((flags >> 1) & 3)];
    let builder = Verifier::builder(fx.issuer.clone(), fx.plugin.parse().expect("plugin"))
        .key_set(fx.real_keys.clone())
        .clock(fx.clock.clone())
        .max_token_len(fx.max_len)
        .replay_guard(std::sync::Arc::new(
            cv_portal_plugin::InMemoryReplayGuard::new(),
        ));
    let builder = if leeway > 30 {
        builder.dangerous_extended_leeway(Duration::from_secs(leeway))
    } else {
        builder.leeway(Duration::from_secs(leeway))
    };
    let verifier = builder.build().expect("verifier");
    let got = verifier.verify(&token);

    let key = |kid: &str| fx.real_keys.get(kid).map(|k| k.algorithm());
    let rules = Rules {
        issuer: fx.issuer.as_str(),
        plugin: &fx.plugin,
        now: fx.now,
        leeway: leeway as i64,
        max_len: fx.max_len,
        key: &key,
        signature_ok: &signature_ok,
    };
    reference::assert_agrees(&token, &got, &reference::evaluate(&token, &rules));

    match &got {
        Ok(_) => assert_eq!(
            verifier.verify(&token).map(|_| ()),
            Err(VerifyError::Replayed),
            "a token verified twice"
        ),
        Err(error) => assert_error_hides_signature(&token, error),
    }
}

/// The kids of the TEST keys, for seeds: (EdDSA kid, ES256 kid).
pub fn test_kids() -> (String, String) {
    let fx = fixture();
    (fx.ed25519.kid().to_owned(), fx.p256.kid().to_owned())
}
