//! The properties the fuzz targets assert, shared with `tests/fuzz_corpus.rs`.
//!
//! Each target is one function `check(data: &[u8])` that panics when a property fails. The fuzz
//! targets (`fuzz/fuzz_targets/*.rs`) call it on libFuzzer's inputs; `cargo test` replays the
//! checked-in seed corpora and past crash inputs (`fuzz/corpus/<target>`,
//! `fuzz/regressions/<target>`) through the same function, so a fixed bug stays fixed without
//! running a fuzzer.
//!
//! - [`verify`]: arbitrary bytes as a token, real ring crypto, the vectors' fixed keys and clock.
//! - [`verify_claims`]: fuzzed header and claims JSON, signed for real with a TEST key (see
//!   [`test_sign`]) so the fuzzer reaches every check after the signature.
//! - [`jwks`], [`config`]: parse → serialize → parse is stable, and parsing agrees with an
//!   independent reading of the rules.
//! - [`client_data_answer`], [`data_endpoint`]: the vendor reading the portal's answers, and the
//!   portal's client-data endpoint on hostile `Authorization` values.
//! - [`launch_url`]: a launch URL minted for an arbitrary plugin link keeps the link's origin,
//!   path and query and carries exactly one `token`, which verifies.
//!
//! [`reference`] re-reads PROTOCOL.md §6 independently of the crate; both token targets compare
//! the crate's answer with it.

#![forbid(unsafe_code)]

pub mod client_data_answer;
pub mod config;
pub mod data_endpoint;
pub mod jwks;
pub mod launch_url;
pub mod reference;
pub mod signing_key;
pub mod verify;
pub mod verify_claims;

use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cv_portal_plugin::{Algorithm, FixedClock, IssuerId, KeySet, SigningKey, VerifyError};
use serde_json::Value;

/// The conformance vectors: keys, clock, issuer and plugin the token targets use.
pub const VECTORS: &str = include_str!("../../vectors/launch-tokens.json");

/// Unpadded base64url.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

// ---- Real signatures with the TEST keys -------------------------------------------------------

/// Signs `message` with the vectors' TEST key of `alg`, through ring directly (not the crate), so
/// the fuzzer can build tokens that pass the signature check and reach every check after it.
pub fn test_sign(alg: Algorithm, message: &[u8]) -> Vec<u8> {
    let fx = fixture();
    match alg {
        Algorithm::EdDSA => {
            ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&fx.ed25519.to_pkcs8_der())
                .expect("Ed25519 TEST key")
                .sign(message)
                .as_ref()
                .to_vec()
        }
        _ => {
            let rng = ring::rand::SystemRandom::new();
            ring::signature::EcdsaKeyPair::from_pkcs8(
                &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &fx.p256.to_pkcs8_der(),
                &rng,
            )
            .expect("P-256 TEST key")
            .sign(&rng, message)
            .expect("P-256 signature")
            .as_ref()
            .to_vec()
        }
    }
}

/// Whether `signature` over `input` verifies with the vectors' key `kid`, checked with ring
/// directly (the reference's view, independent of the crate's verifier).
pub fn signature_ok(kid: &str, input: &[u8], signature: &[u8]) -> bool {
    let Some(key) = fixture().real_keys.get(kid) else {
        return false;
    };
    let algorithm: &dyn ring::signature::VerificationAlgorithm = match key.algorithm() {
        Algorithm::EdDSA => &ring::signature::ED25519,
        Algorithm::ES256 => &ring::signature::ECDSA_P256_SHA256_FIXED,
        _ => return false,
    };
    ring::signature::UnparsedPublicKey::new(algorithm, key.as_bytes())
        .verify(input, signature)
        .is_ok()
}

// ---- Shared fixture ----------------------------------------------------------------------------

/// What the targets share, built once per process.
pub struct Fixture {
    /// The vectors file.
    pub vectors: Value,
    /// `now` of the vectors.
    pub now: i64,
    /// The vectors' leeway.
    pub leeway: i64,
    /// The vectors' maximum token length.
    pub max_len: usize,
    /// The vectors' issuer.
    pub issuer: IssuerId,
    /// The vectors' plugin id.
    pub plugin: String,
    /// The vectors' JWKS (real keys).
    pub real_keys: KeySet,
    /// The vectors' Ed25519 TEST signing key.
    pub ed25519: Arc<SigningKey>,
    /// The vectors' P-256 TEST signing key.
    pub p256: Arc<SigningKey>,
    /// The fixed clock at `now`.
    pub clock: Arc<FixedClock>,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

/// The shared fixture.
pub fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(|| {
        let vectors: Value = serde_json::from_str(VECTORS).expect("vectors file is JSON");
        let now = vectors["now"].as_i64().expect("now");
        let test_key = |kty: &str| {
            vectors["test_private_keys"]
                .as_array()
                .expect("test keys")
                .iter()
                .find(|k| k["kty"] == kty)
                .map(|k| SigningKey::from_jwk(&k.to_string()).expect("test key"))
                .expect("a test key of each type")
        };
        let ed25519 = test_key("OKP");
        let p256 = test_key("EC");
        Fixture {
            now,
            leeway: vectors["leeway"].as_i64().expect("leeway"),
            max_len: vectors["max_token_len"].as_u64().expect("max_token_len") as usize,
            issuer: IssuerId::new(vectors["issuer"].as_str().expect("issuer")).expect("issuer"),
            plugin: vectors["plugin"].as_str().expect("plugin").to_owned(),
            real_keys: KeySet::from_jwks_json(&vectors["jwks"].to_string()).expect("jwks"),
            ed25519: Arc::new(ed25519),
            p256: Arc::new(p256),
            clock: Arc::new(FixedClock::new(now)),
            vectors,
        }
    })
}

/// The error's text never carries the token's signature (a bearer credential until it expires).
pub fn assert_error_hides_signature(token: &str, error: &VerifyError) {
    let text = format!("{error} {error:?}");
    if let Some((_, signature)) = token.rsplit_once('.') {
        // Up to 32 characters of attacker-chosen text (a kid, an alg) may be quoted back; and a
        // "signature" that is not base64url could be any text, the messages' own words included.
        let base64url = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        if signature.len() > 40 && signature.bytes().all(base64url) {
            assert!(
                !text.contains(signature),
                "error {:?} quotes the token's signature",
                error.code()
            );
        }
    }
    assert!(
        VerifyError::ALL_CODES.contains(&error.code()),
        "unlisted code {}",
        error.code()
    );
}

/// A small cursor over fuzz input bytes, for structured targets.
pub struct Input<'a>(pub &'a [u8]);

impl<'a> Input<'a> {
    /// The next byte, or 0 when the input is exhausted.
    pub fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    /// The next two bytes as a little-endian number.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    /// The bytes up to the next NUL (or the end), as text (invalid UTF-8 replaced).
    pub fn text(&mut self) -> String {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(self.0.len());
        let (text, rest) = self.0.split_at(end);
        self.0 = rest.get(1..).unwrap_or_default();
        String::from_utf8_lossy(text).into_owned()
    }
}
