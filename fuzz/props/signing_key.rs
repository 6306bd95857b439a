//! Target `signing_key`: the private key importers of `SigningKey` on arbitrary bytes.
//!
//! Each input is read five ways: as PKCS#8 DER; as the body of a PEM `PRIVATE KEY` block and of
//! a PEM `EC PRIVATE KEY` block (so the fuzzer reaches the PKCS#8 and SEC1 DER readers through the
//! PEM one); and, when it is UTF-8, as PEM text (both `from_pem` and `from_pkcs8_pem`) and as a
//! private JWK.
//!
//! Properties:
//! - no input panics; every error has a listed code, and errors of the DER and PEM readers carry
//!   no text of the input at all (only their fixed wording); a JWK error never quotes `d`;
//! - an imported key is what independent code says it is: its `kid` is the RFC 7638 thumbprint
//!   computed here, and its signatures verify with ring over its public key;
//! - where ring itself reads the bytes as an Ed25519 or P-256 PKCS#8 document, the crate reads
//!   them too, as the same public key;
//! - the PEM reader agrees with the DER reader on the same document, and `from_pem` with
//!   `from_pkcs8_pem` on text without an `EC PRIVATE KEY` block;
//! - export → import → export is stable: PKCS#8 DER, PEM and the private JWK read back as the
//!   same key and export byte for byte the same.
//!
//! The seeds (fuzz/corpus/signing_key) are TEST ONLY keys written by OpenSSL 3.0 and by the crate,
//! in every form the readers take, and broken ones.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cv_portal_plugin::{Algorithm, KeyError, PublicKey, SigningKey};
use ring::signature::KeyPair as _;

use super::jwks::thumbprint;

/// Where an input came from, for what its errors may say.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// Bytes read as DER or PEM: errors hold nothing of them.
    Binary,
    /// Text read as a JWK: errors may quote a member name or a `kid`, never `d`.
    Jwk(&'a str),
}

/// The property of target `signing_key`.
pub fn check(data: &[u8]) {
    let der = SigningKey::from_pkcs8_der(data);
    judge(&der, Source::Binary);
    agrees_with_ring(data, &der);

    let wrap = |label: &str| {
        let body = STANDARD.encode(data);
        format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
    };
    let pkcs8_pem = SigningKey::from_pem(&wrap("PRIVATE KEY"));
    assert_same(&pkcs8_pem, &der, "PEM \"PRIVATE KEY\" and DER");
    let sec1_pem = SigningKey::from_pem(&wrap("EC PRIVATE KEY"));
    judge(&sec1_pem, Source::Binary);
    if let Ok(key) = &sec1_pem {
        assert_eq!(key.algorithm(), Algorithm::ES256, "SEC1 is P-256 only");
    }

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let pem = SigningKey::from_pem(text);
    judge(&pem, Source::Binary);
    let strict = SigningKey::from_pkcs8_pem(text);
    judge(&strict, Source::Binary);
    if !text.contains("-----BEGIN EC PRIVATE KEY-----") {
        assert_same(&pem, &strict, "from_pem and from_pkcs8_pem");
    }
    judge(&SigningKey::from_jwk(text), Source::Jwk(text));
}

/// Checks one import's outcome.
fn judge(outcome: &Result<SigningKey, KeyError>, source: Source<'_>) {
    match outcome {
        Ok(key) => judge_key(key),
        Err(error) => judge_error(error, source),
    }
}

fn judge_error(error: &KeyError, source: Source<'_>) {
    assert!(
        KeyError::ALL_CODES.contains(&error.code()),
        "unlisted code {}",
        error.code()
    );
    let shown = format!("{error} {error:?}");
    match source {
        Source::Binary => assert!(
            matches!(
                error,
                KeyError::InvalidPkcs8
                    | KeyError::InvalidSec1
                    | KeyError::InvalidPem
                    | KeyError::PublicKeyInsteadOfPrivate { .. }
                    | KeyError::MissingPublicKey
                    | KeyError::UnsupportedKeyType
                    | KeyError::InconsistentKey
            ),
            "a DER or PEM reader answered {shown}"
        ),
        Source::Jwk(text) => {
            let d = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|jwk| jwk.get("d")?.as_str().map(str::to_owned));
            // A `d` also spelled elsewhere (inside a kid, say) may be quoted from there.
            if let Some(d) = d.filter(|d| d.len() >= 8 && text.matches(d.as_str()).count() == 1) {
                assert!(!shown.contains(&d), "a JWK error quotes d");
            }
        }
    }
}

fn judge_key(key: &SigningKey) {
    let public = key.public_key();
    assert_eq!(key.kid(), thumbprint(key.algorithm(), public.as_bytes()));
    assert_eq!(public.kid(), key.kid());
    let verification: &dyn ring::signature::VerificationAlgorithm = match key.algorithm() {
        Algorithm::EdDSA => &ring::signature::ED25519,
        Algorithm::ES256 => &ring::signature::ECDSA_P256_SHA256_FIXED,
        other => panic!("a key of algorithm {other}"),
    };
    let token = "eyJhbGciOiJFZERTQSJ9.e30";
    let signature = key_signature(key, token);
    ring::signature::UnparsedPublicKey::new(verification, public.as_bytes())
        .verify(token.as_bytes(), &signature)
        .expect("the key signs for its own public key");

    // DER.
    let der = key.to_pkcs8_der();
    let again = SigningKey::from_pkcs8_der(&der).expect("the crate reads its own PKCS#8");
    assert_eq!(again.kid(), key.kid());
    assert_eq!(again.to_pkcs8_der(), der, "PKCS#8 export is not stable");
    // PEM, through both readers.
    let pem = key.to_pkcs8_pem();
    for read in [SigningKey::from_pem(&pem), SigningKey::from_pkcs8_pem(&pem)] {
        let read = read.expect("the crate reads its own PEM");
        assert_eq!(read.kid(), key.kid());
        assert_eq!(read.to_pkcs8_pem(), pem, "PEM export is not stable");
    }
    // The private JWK, and the public one.
    let jwk = key.to_jwk();
    let read = SigningKey::from_jwk(&jwk).expect("the crate reads its own private JWK");
    assert_eq!(read.kid(), key.kid());
    assert_eq!(read.to_jwk(), jwk, "JWK export is not stable");
    assert_eq!(read.to_pkcs8_der(), der);
    assert_eq!(
        PublicKey::from_jwk(&public.to_jwk()).expect("the crate reads its own public JWK"),
        public
    );
}

/// A signature by `key` over `message`, through the crate's own signing path: minting would need
/// an issuer, so this signs with ring from the key's exported PKCS#8 instead, which is what the
/// crate's signer holds.
fn key_signature(key: &SigningKey, message: &str) -> Vec<u8> {
    let der = key.to_pkcs8_der();
    match key.algorithm() {
        Algorithm::EdDSA => ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
            .expect("ring reads the crate's Ed25519 PKCS#8")
            .sign(message.as_bytes())
            .as_ref()
            .to_vec(),
        _ => {
            let rng = ring::rand::SystemRandom::new();
            ring::signature::EcdsaKeyPair::from_pkcs8(
                &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &der,
                &rng,
            )
            .expect("ring reads the crate's P-256 PKCS#8")
            .sign(&rng, message.as_bytes())
            .expect("P-256 signature")
            .as_ref()
            .to_vec()
        }
    }
}

/// When ring reads `data` as an Ed25519 or P-256 PKCS#8 document, the crate must read it as the
/// same public key.
fn agrees_with_ring(data: &[u8], crate_outcome: &Result<SigningKey, KeyError>) {
    let ring_reading =
        if let Ok(pair) = ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(data) {
            Some((Algorithm::EdDSA, pair.public_key().as_ref().to_vec()))
        } else {
            ring::signature::EcdsaKeyPair::from_pkcs8(
                &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                data,
                &ring::rand::SystemRandom::new(),
            )
            .ok()
            .map(|pair| (Algorithm::ES256, pair.public_key().as_ref().to_vec()))
        };
    if let Some((alg, public)) = ring_reading {
        let key = crate_outcome
            .as_ref()
            .unwrap_or_else(|e| panic!("ring reads this {alg} PKCS#8, the crate refuses it: {e}"));
        assert_eq!(key.algorithm(), alg);
        assert_eq!(key.public_key().as_bytes(), public.as_slice());
    }
}

/// Two imports of the same document: the same key, or the same error.
fn assert_same(a: &Result<SigningKey, KeyError>, b: &Result<SigningKey, KeyError>, what: &str) {
    match (a, b) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.kid(), b.kid(), "{what} read different keys");
            assert_eq!(
                a.to_pkcs8_der(),
                b.to_pkcs8_der(),
                "{what} read different keys"
            );
        }
        (Err(a), Err(b)) => assert_eq!(a, b, "{what} fail differently"),
        (a, b) => panic!(
            "{what} disagree: {:?} against {:?}",
            a.as_ref().map(SigningKey::kid),
            b.as_ref().map(SigningKey::kid)
        ),
    }
}
