//! Target `verify_claims`: fuzzed header and claims JSON, signed with the vectors' TEST keys
//! ([`test_sign`](super::test_sign)), so every check after the signature is reachable.
//!
//! Input: one flags byte, then the header JSON, a NUL byte, the claims JSON. The P-256 TEST key
//! signs if the header spells its `kid`, else the Ed25519 one if it spells that one's; otherwise
//! the signature is zeros. Flags: bit 0 spoils the signature; bits 1-2 choose the leeway (30 s,
//! 0 s, 300 s through the dangerous door, 30 s).
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
use super::{Input, assert_error_hides_signature, b64, fixture, test_sign};

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
    // A header that names no TEST key fails at its kid, before the signature: skip the signing.
    let (ed25519_kid, p256_kid) = kids();
    let spells = |kid: &str| header.windows(kid.len()).any(|w| w == kid.as_bytes());
    let mut signature = if spells(&p256_kid) {
        test_sign(Algorithm::ES256, signing_input.as_bytes())
    } else if spells(&ed25519_kid) {
        test_sign(Algorithm::EdDSA, signing_input.as_bytes())
    } else {
        [0; 64]
    };
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
        .max_token_len(fx.max_len);
    let builder = if leeway > 30 {
        builder.dangerous_extended_leeway(Duration::from_secs(leeway))
    } else {
        builder.leeway(Duration::from_secs(leeway))
    };
    let verifier = builder.build().expect("verifier");
    let got = verifier.verify(&token);

    let key = |kid: &str| fx.real_keys.get(kid).map(|k| k.algorithm());
    // Checked with ring directly, not through the crate.
    let signature_ok = |kid: &str, input: &[u8], signature: &[u8]| {
        let Some(public) = fx.real_keys.get(kid) else {
            return false;
        };
        let algorithm: &dyn ring::signature::VerificationAlgorithm = match public.algorithm() {
            Algorithm::EdDSA => &ring::signature::ED25519,
            Algorithm::ES256 => &ring::signature::ECDSA_P256_SHA256_FIXED,
        };
        ring::signature::UnparsedPublicKey::new(algorithm, public.as_bytes())
            .verify(input, signature)
            .is_ok()
    };
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
pub fn kids() -> (String, String) {
    let fx = fixture();
    let kid = |alg| {
        fx.real_keys
            .iter()
            .find(|k| k.algorithm() == alg)
            .map(|k| k.kid().to_owned())
            .expect("a TEST key")
    };
    (kid(Algorithm::EdDSA), kid(Algorithm::ES256))
}
