//! The properties the fuzz targets assert, shared with `tests/fuzz_corpus.rs`.
//!
//! Each target is one function `check(data: &[u8])` that panics when a property fails. The fuzz
//! targets (`fuzz/fuzz_targets/*.rs`) call it on libFuzzer's inputs; `cargo test` replays the
//! checked-in seed corpora and past crash inputs (`fuzz/corpus/<target>`,
//! `fuzz/regressions/<target>`) through the same function, so a fixed bug stays fixed without
//! running a fuzzer.
//!
//! - [`verify`]: arbitrary bytes as a token, real ring crypto, the vectors' fixed keys and clock.
//! - [`verify_claims`]: fuzzed header and claims JSON, signed with a fake scheme (see
//!   [`install_fuzz_provider`]) so the fuzzer reaches every check after the signature.
//! - [`jwks`], [`config`]: parse → serialize → parse is stable, and parsing agrees with an
//!   independent reading of the rules.
//! - [`launch_url`]: a launch URL minted for an arbitrary plugin link keeps the link's origin,
//!   path and query and carries exactly one `token`, which verifies.
//!
//! [`reference`] re-reads PROTOCOL.md §6 independently of the crate; both token targets compare
//! the crate's answer with it.

#![forbid(unsafe_code)]

pub mod config;
pub mod jwks;
pub mod launch_url;
pub mod reference;
pub mod verify;
pub mod verify_claims;

use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cv_portal_plugin::provider::RING_PROVIDER;
use cv_portal_plugin::{FixedClock, IssuerId, KeySet, SigningKey, VerifyError};
use jsonwebtoken::crypto::{CryptoProvider, JwtVerifier, KeyUtils};
use jsonwebtoken::signature;
use serde_json::Value;

/// The conformance vectors: keys, clock, issuer and plugin the token targets use.
pub const VECTORS: &str = include_str!("../../vectors/launch-tokens.json");

/// Unpadded base64url.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

// ---- The deterministic fake signature scheme ------------------------------------------------

/// The fake Ed25519 public key (not a point anyone has a private key for: it is never used with
/// real crypto).
pub const FAKE_ED25519_X: [u8; 32] = [0xFA; 32];
/// The fake P-256 public point's coordinates.
pub const FAKE_P256_X: [u8; 32] = [0xFB; 32];
/// See [`FAKE_P256_X`].
pub const FAKE_P256_Y: [u8; 32] = [0xFC; 32];

/// The fake signature of `message`: the 64 bytes of SHA-512 over a fixed prefix and the message.
/// Anyone can compute it, which is the point: the fuzzer can build tokens that pass check 10.
pub fn fake_sign(message: &[u8]) -> [u8; 64] {
    let mut context = ring::digest::Context::new(&ring::digest::SHA512);
    context.update(b"cv-portal-plugin fuzz fake signature\0");
    context.update(message);
    let mut out = [0u8; 64];
    out.copy_from_slice(context.finish().as_ref());
    out
}

fn is_fake_key(public: &[u8]) -> bool {
    if public == FAKE_ED25519_X {
        return true;
    }
    public.len() == 65
        && public[0] == 4
        && public[1..33] == FAKE_P256_X
        && public[33..] == FAKE_P256_Y
}

struct FakeVerifier(jsonwebtoken::Algorithm);

impl signature::Verifier<Vec<u8>> for FakeVerifier {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> Result<(), signature::Error> {
        if sig.as_slice() == fake_sign(msg) {
            Ok(())
        } else {
            Err(signature::Error::new())
        }
    }
}

impl JwtVerifier for FakeVerifier {
    fn algorithm(&self) -> jsonwebtoken::Algorithm {
        self.0
    }
}

/// The fake keys get the fake scheme; every other key goes to ring, unchanged.
fn fuzz_verifier(
    alg: &jsonwebtoken::Algorithm,
    key: &jsonwebtoken::DecodingKey,
) -> jsonwebtoken::errors::Result<Box<dyn JwtVerifier>> {
    match key.try_get_as_bytes() {
        Ok(public) if is_fake_key(public) => Ok(Box::new(FakeVerifier(*alg))),
        _ => (RING_PROVIDER.verifier_factory)(alg, key),
    }
}

/// The provider of fuzzing and corpus replay: ring's, except that the two fake public keys
/// verify [`fake_sign`] signatures. It exists only in this fuzz crate and the corpus replay test;
/// the library and every other build use ring alone.
pub static FUZZ_PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: RING_PROVIDER.signer_factory,
    verifier_factory: fuzz_verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: RING_PROVIDER
            .key_utils
            .rsa_pub_components_from_private_key,
        rsa_pub_components_from_public_key: RING_PROVIDER
            .key_utils
            .rsa_pub_components_from_public_key,
        ec_pub_components_from_private_key: RING_PROVIDER
            .key_utils
            .ec_pub_components_from_private_key,
        ed_pub_components_from_private_key: RING_PROVIDER
            .key_utils
            .ed_pub_components_from_private_key,
        compute_digest: RING_PROVIDER.key_utils.compute_digest,
    },
};

/// Installs [`FUZZ_PROVIDER`] as the process-wide provider before anything else does. Every
/// property calls it first; it panics if some other provider got there first.
pub fn install_fuzz_provider() {
    if CryptoProvider::try_get_default().is_none() {
        // Losing a race to another thread installing the same provider is fine.
        let _ = FUZZ_PROVIDER.install_default();
    }
    let installed = CryptoProvider::try_get_default().expect("a provider is installed");
    assert!(
        std::ptr::eq(installed, &FUZZ_PROVIDER),
        "another crypto provider was installed before the fuzz provider"
    );
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
    /// The fake keys of `verify_claims`.
    pub fake_keys: KeySet,
    /// The vectors' Ed25519 TEST signing key.
    pub ed25519: Arc<SigningKey>,
    /// The fixed clock at `now`.
    pub clock: Arc<FixedClock>,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

/// The shared fixture (installs the fuzz provider first).
pub fn fixture() -> &'static Fixture {
    install_fuzz_provider();
    FIXTURE.get_or_init(|| {
        let vectors: Value = serde_json::from_str(VECTORS).expect("vectors file is JSON");
        let now = vectors["now"].as_i64().expect("now");
        let fake_jwks = serde_json::json!({"keys": [
            {"kty": "OKP", "crv": "Ed25519", "x": b64(&FAKE_ED25519_X)},
            {"kty": "EC", "crv": "P-256", "x": b64(&FAKE_P256_X), "y": b64(&FAKE_P256_Y)},
        ]});
        let ed25519 = vectors["test_private_keys"]
            .as_array()
            .expect("test keys")
            .iter()
            .find(|k| k["kty"] == "OKP")
            .map(|k| SigningKey::from_jwk(&k.to_string()).expect("test key"))
            .expect("an Ed25519 test key");
        Fixture {
            now,
            leeway: vectors["leeway"].as_i64().expect("leeway"),
            max_len: vectors["max_token_len"].as_u64().expect("max_token_len") as usize,
            issuer: IssuerId::new(vectors["issuer"].as_str().expect("issuer")).expect("issuer"),
            plugin: vectors["plugin"].as_str().expect("plugin").to_owned(),
            real_keys: KeySet::from_jwks_json(&vectors["jwks"].to_string()).expect("jwks"),
            fake_keys: KeySet::from_jwks_json(&fake_jwks.to_string()).expect("fake jwks"),
            ed25519: Arc::new(ed25519),
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
