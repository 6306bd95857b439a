mod openssl;

use super::*;
#[cfg(feature = "vendor")]
use std::sync::Arc;

use crate::b64;

/// RFC 8037 appendix A.1: the example Ed25519 private key.
const RFC8037_JWK: &str = r#"{"kty":"OKP","crv":"Ed25519",
    "d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
    "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;

#[test]
fn rfc8037_thumbprint() {
    let key = SigningKey::from_jwk(RFC8037_JWK).unwrap();
    assert_eq!(key.kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    assert_eq!(key.public_key().kid(), key.kid());
}

#[test]
fn rfc8037_signature() {
    // RFC 8037 appendix A.4: Ed25519 is deterministic, so the signature is fixed.
    let key = SigningKey::from_jwk(RFC8037_JWK).unwrap();
    let signature = key
        .sign(b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc")
        .unwrap();
    assert_eq!(
        b64::encode(&signature),
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
    );
}

#[test]
fn pkcs8_der_and_pem_round_trip_both_algorithms() {
    for alg in [Algorithm::EdDSA, Algorithm::ES256] {
        let key = SigningKey::generate(alg).unwrap();
        let der = key.to_pkcs8_der();
        let from_der = SigningKey::from_pkcs8_der(&der).unwrap();
        assert_eq!(from_der.kid(), key.kid());
        assert_eq!(from_der.algorithm(), alg);
        let from_pem = SigningKey::from_pkcs8_pem(&key.to_pkcs8_pem()).unwrap();
        assert_eq!(from_pem.kid(), key.kid());
        let from_jwk = SigningKey::from_jwk(&key.to_jwk()).unwrap();
        assert_eq!(from_jwk.kid(), key.kid());
        assert_eq!(from_jwk.to_pkcs8_der(), der);
    }
}

#[test]
fn exported_keys_sign_verifiably() {
    for alg in [Algorithm::EdDSA, Algorithm::ES256] {
        let key = SigningKey::generate(alg).unwrap();
        let reloaded = SigningKey::from_pkcs8_der(&key.to_pkcs8_der()).unwrap();
        let signature = reloaded.sign(b"message").unwrap();
        let verify_alg: &dyn ring::signature::VerificationAlgorithm = match alg {
            Algorithm::EdDSA => &ring::signature::ED25519,
            Algorithm::ES256 => &ring::signature::ECDSA_P256_SHA256_FIXED,
        };
        ring::signature::UnparsedPublicKey::new(verify_alg, key.public_key().as_bytes())
            .verify(b"message", &signature)
            .unwrap();
    }
}

#[test]
fn accepts_openssl_pkcs8_v1_ed25519() {
    // `openssl genpkey -algorithm ed25519` writes PKCS#8 v1 (no public key), which ring's strict
    // parser refuses; the crate accepts it.
    let pem = "-----BEGIN PRIVATE KEY-----\n\
               MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n\
               -----END PRIVATE KEY-----\n";
    let key = SigningKey::from_pkcs8_pem(pem).unwrap();
    assert_eq!(key.kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
}

#[test]
fn ring_v2_pkcs8_is_accepted() {
    let rng = ring::rand::SystemRandom::new();
    let doc = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let key = SigningKey::from_pkcs8_der(doc.as_ref()).unwrap();
    assert_eq!(key.algorithm(), Algorithm::EdDSA);
}

#[test]
fn invalid_private_keys_are_rejected() {
    assert_eq!(
        SigningKey::from_pkcs8_der(b"garbage").unwrap_err(),
        KeyError::InvalidPkcs8
    );
    assert_eq!(
        SigningKey::from_pkcs8_pem("garbage").unwrap_err(),
        KeyError::InvalidPem
    );
    // d that does not belong to x.
    let mismatched = RFC8037_JWK.replace("nWGxne", "AAAAAA");
    assert_eq!(
        SigningKey::from_jwk(&mismatched).unwrap_err(),
        KeyError::InconsistentKey
    );
    // A public JWK where the private key belongs says so.
    let no_d = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    let error = SigningKey::from_jwk(no_d).unwrap_err();
    assert_eq!(error.code(), "public_key_instead_of_private");
    assert_eq!(
        error.to_string(),
        "this is a public key (a JWK without \"d\"); a private key is needed here"
    );
}

#[test]
fn debug_never_shows_private_material() {
    for alg in [Algorithm::EdDSA, Algorithm::ES256] {
        let key = SigningKey::generate(alg).unwrap();
        let jwk: serde_json::Value = serde_json::from_str(&key.to_jwk()).unwrap();
        let d = jwk["d"].as_str().unwrap().to_owned();
        let debug = format!("{key:?} {:?}", key.public_key());
        assert!(!debug.contains(&d));
        assert!(debug.contains(key.kid()));
        let pem_body: String = key.to_pkcs8_pem().lines().nth(1).unwrap().to_owned();
        assert!(!debug.contains(&pem_body));
    }
}

#[test]
fn public_jwk_rules() {
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    let public = key.public_key();
    let parsed = PublicKey::from_jwk(&public.to_jwk()).unwrap();
    assert_eq!(parsed, public);
    assert_eq!(parsed.algorithm(), Algorithm::ES256);

    let cases: &[(&str, &str)] = &[
        (
            r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#,
            "unsupported_key_type",
        ),
        (
            r#"{"kty":"OKP","crv":"X25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
            "unsupported_key_type",
        ),
        (
            r#"{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}"#,
            "unsupported_key_type",
        ),
        (
            r#"{"kty":"oct","k":"c2VjcmV0"}"#,
            "private_key_in_public_set",
        ),
        (RFC8037_JWK, "private_key_in_public_set"),
        (
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","alg":"ES256"}"#,
            "jwk_alg_mismatch",
        ),
        (
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","use":"enc"}"#,
            "not_a_signature_key",
        ),
        (
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","key_ops":["sign"]}"#,
            "not_a_signature_key",
        ),
        (
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"../../etc/passwd"}"#,
            "kid_mismatch",
        ),
        (
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR"}"#,
            "invalid_jwk",
        ),
        (
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="}"#,
            "invalid_jwk",
        ),
        (r#"{"kty":"OKP","crv":"Ed25519","x":42}"#, "invalid_jwk"),
        (r#"{"crv":"Ed25519"}"#, "invalid_jwk"),
        (r#"[]"#, "invalid_jwk"),
        (r#"{"kty":"OKP""#, "invalid_json"),
        (
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","key_ops":[]}"#,
            "not_a_signature_key",
        ),
        (
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","key_ops":["verify","encrypt"]}"#,
            "not_a_signature_key",
        ),
        (
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
            "duplicate_jwk_member",
        ),
    ];
    for (jwk, code) in cases {
        let err = PublicKey::from_jwk(jwk).unwrap_err();
        assert_eq!(err.code(), *code, "{jwk}: {err}");
    }
    let ok = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k","alg":"EdDSA","use":"sig","key_ops":["verify"]}"#;
    assert_eq!(
        PublicKey::from_jwk(ok).unwrap().kid(),
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    );
}

#[test]
fn key_set_rules() {
    let a = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let b = SigningKey::generate(Algorithm::ES256).unwrap();
    let set = KeySet::new([a.public_key(), b.public_key()]).unwrap();
    let json = set.to_jwks_json();
    let parsed = KeySet::from_jwks_json(&json).unwrap();
    assert_eq!(parsed, set);
    assert_eq!(parsed.get(a.kid()).unwrap().algorithm(), Algorithm::EdDSA);
    assert_eq!(parsed.get(b.kid()).unwrap().algorithm(), Algorithm::ES256);
    assert!(parsed.get("nope").is_none());

    assert_eq!(
        KeySet::new([a.public_key(), a.public_key()])
            .unwrap_err()
            .code(),
        "duplicate_kid"
    );
    assert_eq!(KeySet::new([]).unwrap_err(), KeyError::EmptyKeySet);
    let dup = format!(
        r#"{{"keys":[{},{}]}}"#,
        a.public_key().to_jwk(),
        a.public_key().to_jwk()
    );
    assert_eq!(
        KeySet::from_jwks_json(&dup).unwrap_err().code(),
        "duplicate_kid"
    );
    let private = format!(r#"{{"keys":[{}]}}"#, a.to_jwk());
    assert_eq!(
        KeySet::from_jwks_json(&private).unwrap_err().code(),
        "private_key_in_public_set"
    );
    for bad in [
        "",
        "{}",
        r#"{"keys":{}}"#,
        r#"{"keys":[1]}"#,
        r#"{"keys":[]}"#,
        "[]",
    ] {
        assert!(KeySet::from_jwks_json(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn algorithm_names() {
    assert_eq!("EdDSA".parse(), Ok(Algorithm::EdDSA));
    assert_eq!("ES256".parse(), Ok(Algorithm::ES256));
    for bad in ["eddsa", "HS256", "none", ""] {
        let error = bad.parse::<Algorithm>().unwrap_err();
        assert_eq!(error.code(), "unsupported_algorithm");
    }
    assert_eq!(Algorithm::default(), Algorithm::EdDSA);
}

#[test]
fn accepts_openssl_p256_pkcs8_and_round_trips_it_exactly() {
    // `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256` (OpenSSL 3.0).
    let pem = "-----BEGIN PRIVATE KEY-----\n\
               MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg9Hjxtm+jbI4fh1PS\n\
               I6we1HIMKU2EG8Sq5vxv097ChHGhRANCAARPGU5lasjtWxtc5q3Lil31IdQAGPvC\n\
               FN1r07acGbqTQZb/YMXlLptAuZMwoPo/PXLryT6lXuRXKEa/hxJ5dT2W\n\
               -----END PRIVATE KEY-----\n";
    let key = SigningKey::from_pkcs8_pem(pem).unwrap();
    assert_eq!(key.algorithm(), Algorithm::ES256);
    // The crate writes the same RFC 5915 layout openssl does.
    assert_eq!(key.to_pkcs8_pem(), pem);
}

// ---- Error codes ------------------------------------------------------------------------------

/// Every variant, once. The `match` below stops compiling when a variant is added without it.
fn every_key_error() -> Vec<KeyError> {
    let q = || Quoted::new("x");
    let all = vec![
        KeyError::Rng,
        KeyError::UnsupportedAlgorithm { found: q() },
        KeyError::InvalidPkcs8,
        KeyError::InvalidSec1,
        KeyError::InvalidPem,
        KeyError::PublicKeyInsteadOfPrivate { form: "f" },
        KeyError::MissingPublicKey,
        KeyError::InvalidJson,
        KeyError::DuplicateMember { member: q() },
        KeyError::InvalidJwk { reason: "r" },
        KeyError::UnsupportedKeyType,
        KeyError::AlgorithmMismatch {
            expected: "EdDSA",
            found: q(),
        },
        KeyError::NotASignatureKey,
        KeyError::KidMismatch { found: q() },
        KeyError::PrivatePartInPublicSet { member: "d" },
        KeyError::PrivateJwkAsJwks,
        KeyError::DuplicateKid { kid: q() },
        KeyError::InconsistentKey,
        KeyError::EmptyKeySet,
        KeyError::NoUsableKey { skipped: 1 },
        KeyError::WeakPublicKey,
    ];
    for error in &all {
        match error {
            KeyError::Rng
            | KeyError::UnsupportedAlgorithm { .. }
            | KeyError::InvalidPkcs8
            | KeyError::InvalidSec1
            | KeyError::InvalidPem
            | KeyError::PublicKeyInsteadOfPrivate { .. }
            | KeyError::MissingPublicKey
            | KeyError::InvalidJson
            | KeyError::DuplicateMember { .. }
            | KeyError::InvalidJwk { .. }
            | KeyError::UnsupportedKeyType
            | KeyError::AlgorithmMismatch { .. }
            | KeyError::NotASignatureKey
            | KeyError::KidMismatch { .. }
            | KeyError::PrivatePartInPublicSet { .. }
            | KeyError::PrivateJwkAsJwks
            | KeyError::DuplicateKid { .. }
            | KeyError::InconsistentKey
            | KeyError::EmptyKeySet
            | KeyError::NoUsableKey { .. }
            | KeyError::WeakPublicKey => {}
        }
    }
    all
}

#[test]
fn all_codes_lists_exactly_the_codes_of_the_variants() {
    let codes: Vec<&str> = every_key_error().iter().map(KeyError::code).collect();
    assert_eq!(codes, KeyError::ALL_CODES);
}

#[cfg(feature = "vendor")]
#[test]
fn fetch_failure_kinds_never_collide_with_document_codes() {
    let fetch = [
        FetchError::HttpStatus(404),
        FetchError::ConnectionRefused,
        FetchError::HostNotFound,
        FetchError::Tls,
        FetchError::Timeout,
        FetchError::TooLarge,
        FetchError::Transport,
    ];
    for error in fetch {
        let kind = KeysFailure::Fetch(error).kind();
        assert!(!KeyError::ALL_CODES.contains(&kind), "{kind}");
    }
}

#[test]
fn error_messages_say_what_is_wrong() {
    for (error, message) in [
        (
            KeyError::InvalidJson,
            "the JWK or JWKS document is not valid JSON",
        ),
        (
            KeyError::NoUsableKey { skipped: 2 },
            "the JWKS has no Ed25519 or P-256 signature key (2 key(s) of other types or uses \
             skipped)",
        ),
        (
            KeyError::PublicKeyInsteadOfPrivate {
                form: "a PEM \"PUBLIC KEY\" block",
            },
            "this is a public key (a PEM \"PUBLIC KEY\" block); a private key is needed here",
        ),
    ] {
        assert_eq!(error.to_string(), message);
    }
    assert!(
        KeyError::PrivateJwkAsJwks
            .to_string()
            .contains("a private JWK, not a JWKS")
    );
}

// ---- JWKS: unsupported keys are skipped, broken ones are not ----------------------------------

const ED25519_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const ED25519_KID: &str = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";

/// The RFC 8037 public key as a JWK, with extra members.
fn ed25519_jwk(extra: &str) -> String {
    format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{ED25519_X}"{extra}}}"#)
}

/// Keys a portal may publish beside its signing keys, which a vendor must skip.
const OTHER_KEYS: [&str; 8] = [
    r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","use":"sig"}"#,
    r#"{"kty":"EC","crv":"P-384","x":"not checked","y":"not checked"}"#,
    r#"{"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"}"#,
    r#"{"kty":"OKP","crv":"X25519","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo","use":"enc"}"#,
    r#"{"kty":"OKP","crv":"Ed448","x":"AA"}"#,
    // A supported type whose use or key_ops is not signatures: an encryption key.
    r#"{"kty":"EC","crv":"P-256","x":"not checked","y":"not checked","use":"enc","alg":"ECDH-ES"}"#,
    r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","key_ops":["encrypt"]}"#,
    r#"{"kty":"EC","x":"no crv: not a key of a supported type"}"#,
];

#[test]
fn keys_of_other_types_and_uses_are_skipped() {
    for other in OTHER_KEYS {
        for jwks in [
            format!(r#"{{"keys":[{other},{}]}}"#, ed25519_jwk("")),
            format!(r#"{{"keys":[{},{other}]}}"#, ed25519_jwk("")),
        ] {
            let set = KeySet::from_jwks_json(&jwks).unwrap_or_else(|e| panic!("{other}: {e}"));
            assert_eq!(set.len(), 1, "{other}");
            assert!(set.get(ED25519_KID).is_some());
        }
    }
    // All of them at once, around the usable key.
    let jwks = format!(
        r#"{{"keys":[{},{},{}]}}"#,
        OTHER_KEYS.join(","),
        ed25519_jwk(""),
        OTHER_KEYS[0]
    );
    assert_eq!(KeySet::from_jwks_json(&jwks).unwrap().len(), 1);
}

#[test]
fn a_set_with_no_usable_key_is_an_error() {
    let only_others = format!(r#"{{"keys":[{}]}}"#, OTHER_KEYS.join(","));
    assert_eq!(
        KeySet::from_jwks_json(&only_others).unwrap_err(),
        KeyError::NoUsableKey {
            skipped: OTHER_KEYS.len()
        }
    );
    assert_eq!(
        KeySet::from_jwks_json(r#"{"keys":[]}"#).unwrap_err(),
        KeyError::EmptyKeySet
    );
    // One key on its own keeps its precise error.
    assert_eq!(
        PublicKey::from_jwk(OTHER_KEYS[0]).unwrap_err(),
        KeyError::UnsupportedKeyType
    );
    assert_eq!(
        PublicKey::from_jwk(OTHER_KEYS[5]).unwrap_err(),
        KeyError::NotASignatureKey
    );
}

#[test]
fn a_broken_key_of_a_supported_type_still_rejects_the_set() {
    let good = ed25519_jwk("");
    let p256 = SigningKey::generate(Algorithm::ES256).unwrap().public_key();
    let p256_jwk: serde_json::Value = serde_json::from_str(&p256.to_jwk()).unwrap();
    let p256_with = |member: &str, value: &str| {
        let mut jwk = p256_jwk.clone();
        jwk[member] = value.into();
        jwk.to_string()
    };
    let cases: Vec<(String, &str)> = vec![
        // Bad coordinates: short, padded, standard alphabet, missing y.
        (ed25519_jwk("").replace("HURo", "HUR"), "invalid_jwk"),
        (ed25519_jwk("").replace("HURo", "HURo="), "invalid_jwk"),
        (p256_with("y", "AAAA"), "invalid_jwk"),
        (
            r#"{"kty":"EC","crv":"P-256","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#
                .to_owned(),
            "invalid_jwk",
        ),
        // A kid that is not the thumbprint, a wrong alg, mixed key_ops.
        (ed25519_jwk(r#","kid":"my-key-2026""#), "kid_mismatch"),
        (ed25519_jwk(r#","alg":"ES256""#), "jwk_alg_mismatch"),
        (
            ed25519_jwk(r#","key_ops":["verify","sign"]"#),
            "not_a_signature_key",
        ),
        (ed25519_jwk(r#","use":5"#), "invalid_jwk"),
        // Private members, whatever the key type.
        (
            ed25519_jwk(r#","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A""#),
            "private_key_in_public_set",
        ),
        (
            r#"{"kty":"RSA","n":"AQAB","e":"AQAB","d":"AQAB","p":"AQAB"}"#.to_owned(),
            "private_key_in_public_set",
        ),
        (
            r#"{"kty":"oct","k":"c2VjcmV0"}"#.to_owned(),
            "private_key_in_public_set",
        ),
        // Not a JWK at all.
        (r#"{"crv":"Ed25519"}"#.to_owned(), "invalid_jwk"),
        (r#"{"kty":5}"#.to_owned(), "invalid_jwk"),
        ("[]".to_owned(), "invalid_jwk"),
        // A repeated member, even in a key that would be skipped.
        (
            r#"{"kty":"RSA","n":"AQAB","n":"AQAC","e":"AQAB"}"#.to_owned(),
            "duplicate_jwk_member",
        ),
    ];
    for (bad, code) in cases {
        for jwks in [
            format!(r#"{{"keys":[{good},{bad}]}}"#),
            format!(r#"{{"keys":[{bad},{good}]}}"#),
        ] {
            let error = KeySet::from_jwks_json(&jwks).unwrap_err();
            assert_eq!(error.code(), code, "{bad}: {error}");
        }
    }
}

#[test]
fn repeated_members_are_refused_in_every_document() {
    let x_twice = ed25519_jwk(&format!(r#","x":"{ED25519_X}""#));
    assert_eq!(
        PublicKey::from_jwk(&x_twice).unwrap_err(),
        KeyError::DuplicateMember {
            member: Quoted::new("x")
        }
    );
    let d = r#","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A""#;
    let private_twice = ed25519_jwk(&format!("{d}{d}"));
    let error = SigningKey::from_jwk(&private_twice).unwrap_err();
    assert_eq!(error.code(), "duplicate_jwk_member");
    assert!(!error.to_string().contains("nWGxne"));
    for jwks in [
        format!(r#"{{"keys":[{x_twice}]}}"#),
        format!(r#"{{"keys":[{}],"keys":[]}}"#, ed25519_jwk("")),
        format!(
            r#"{{"keys":[{}]}}"#,
            ed25519_jwk(&format!(r#","kid":"{ED25519_KID}","kid":"{ED25519_KID}""#))
        ),
    ] {
        assert_eq!(
            KeySet::from_jwks_json(&jwks).unwrap_err().code(),
            "duplicate_jwk_member",
            "{jwks}"
        );
    }
}

#[test]
fn documents_that_are_not_json_have_their_own_code() {
    for bad in [
        "",
        "<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
        r#"{"keys":["#,
        r#"{"keys":[]} trailing"#,
    ] {
        assert_eq!(
            KeySet::from_jwks_json(bad).unwrap_err().code(),
            "invalid_json"
        );
        assert_eq!(PublicKey::from_jwk(bad).unwrap_err().code(), "invalid_json");
        assert_eq!(
            SigningKey::from_jwk(bad).unwrap_err().code(),
            "invalid_json"
        );
    }
}

#[test]
fn a_private_jwk_served_as_the_jwks_is_named() {
    for alg in [Algorithm::EdDSA, Algorithm::ES256] {
        let key = SigningKey::generate(alg).unwrap();
        let private = key.to_jwk();
        let d = serde_json::from_str::<serde_json::Value>(&private).unwrap()["d"]
            .as_str()
            .unwrap()
            .to_owned();
        let error = KeySet::from_jwks_json(&private).unwrap_err();
        assert_eq!(error, KeyError::PrivateJwkAsJwks);
        assert!(!format!("{error} {error:?}").contains(&d));
        // Inside a set, it is a private key in a public set.
        let in_set = format!(r#"{{"keys":[{private}]}}"#);
        let error = KeySet::from_jwks_json(&in_set).unwrap_err();
        assert_eq!(error.code(), "private_key_in_public_set");
        assert!(error.to_string().contains("a private key was published"));
        assert!(!format!("{error} {error:?}").contains(&d));
        // A public JWK on its own is only the wrong shape.
        let error = KeySet::from_jwks_json(&key.public_key().to_jwk()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid JWK: this is a single JWK, not a JWKS ({\"keys\": [JWK, ...]})"
        );
    }
}

// ---- The key cache's failure classes, as a verifier reports them ------------------------------

#[cfg(feature = "vendor")]
#[test]
fn key_cache_failures_are_distinct_classes_without_echo() {
    use std::sync::Arc;

    use crate::verify::{Verifier, VerifyError};
    use crate::wire::{IssuerId, TOKEN_TYPE};

    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let private = key.to_jwk();
    let d = serde_json::from_str::<serde_json::Value>(&private).unwrap()["d"]
        .as_str()
        .unwrap()
        .to_owned();
    // The header is all the verifier reads before it asks the cache for the key.
    let header = format!(
        r#"{{"alg":"EdDSA","typ":"{TOKEN_TYPE}","kid":"{}"}}"#,
        key.kid()
    );
    let token = format!(
        "{}.{}.{}",
        b64::encode(header.as_bytes()),
        b64::encode(b"{}"),
        b64::encode(&[0; 64])
    );
    // A proxy's error page that names a URL with a credential: none of it may be echoed.
    let proxy_page =
        "<html>502: upstream https://svc:hunter2@portal.internal/jwks?key=s3cr3t</html>";
    let cases: Vec<(Result<String, FetchError>, &str, &str)> = vec![
        (
            Err(FetchError::HttpStatus(503)),
            "http_status",
            "fetching the JWKS failed: HTTP status 503",
        ),
        (
            Ok(proxy_page.to_owned()),
            "invalid_json",
            "the document fetched is not a valid JWKS: the JWK or JWKS document is not valid JSON",
        ),
        (
            Ok(private.clone()),
            "private_jwk_as_jwks",
            "the document fetched is not a valid JWKS: the document is a private JWK, not a JWKS: \
             the private signing key was served where the public key set belongs (treat the key \
             as exposed and rotate it)",
        ),
        (
            Err(FetchError::ConnectionRefused),
            "connection_refused",
            "fetching the JWKS failed: connection refused",
        ),
        (
            Err(FetchError::Timeout),
            "timeout",
            "fetching the JWKS failed: timed out",
        ),
        (
            Ok(format!(r#"{{"keys":[{}]}}"#, OTHER_KEYS[0])),
            "no_usable_key",
            "the document fetched is not a valid JWKS: the JWKS has no Ed25519 or P-256 \
             signature key (1 key(s) of other types or uses skipped)",
        ),
    ];
    let mut kinds = std::collections::HashSet::new();
    for (served, kind, message) in cases {
        let cache = Arc::new(KeyCache::builder(move || served.clone()).build());
        let verifier = Verifier::builder(
            IssuerId::new("https://portal.construtora.com.br").unwrap(),
            "financeiro".parse().unwrap(),
        )
        .key_cache(Arc::clone(&cache))
        .replay_guard(Arc::new(crate::replay::InMemoryReplayGuard::new()))
        .build()
        .unwrap();
        let error = verifier.verify(&token).unwrap_err();
        assert_eq!(error.code(), "keys_unavailable", "{kind}");
        assert_eq!(
            error.to_string(),
            format!("the portal's keys are unavailable: {message}")
        );
        let VerifyError::KeysUnavailable {
            last_failure: Some(failure),
        } = &error
        else {
            panic!("{error:?}")
        };
        assert_eq!(failure.kind(), kind);
        assert_eq!(cache.last_error().as_ref(), Some(failure));
        assert!(kinds.insert(kind), "{kind} is not distinct");
        let shown = format!("{error} {error:?}");
        for secret in ["hunter2", "s3cr3t", "portal.internal", d.as_str()] {
            assert!(!shown.contains(secret), "{kind} echoes {secret}");
        }
    }
}

// ---- PEM: PKCS#8 and SEC1 against OpenSSL -----------------------------------------------------

/// The DER of the first PEM block of `pem` with this label, decoded independently of the crate.
fn pem_der(pem: &str, label: &str) -> Vec<u8> {
    use base64::Engine as _;
    let begin = format!("-----BEGIN {label}-----");
    let body: String = pem
        .split(&begin)
        .nth(1)
        .and_then(|rest| rest.split("-----END").next())
        .unwrap()
        .split_whitespace()
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

/// The SubjectPublicKeyInfo header of each algorithm (RFC 8410 §4, RFC 5480 §2).
fn spki_prefix(alg: Algorithm) -> &'static [u8] {
    match alg {
        Algorithm::EdDSA => &[
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ],
        Algorithm::ES256 => &[
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ],
    }
}

#[test]
fn openssl_keys_import_with_the_public_key_openssl_prints() {
    for (private, public, alg) in [
        (
            openssl::ECPARAM_P256,
            openssl::ECPARAM_P256_PUBLIC,
            Algorithm::ES256,
        ),
        (
            openssl::ECPARAM_P256_PKCS8,
            openssl::ECPARAM_P256_PUBLIC,
            Algorithm::ES256,
        ),
        (
            openssl::GENPKEY_P256,
            openssl::GENPKEY_P256_PUBLIC,
            Algorithm::ES256,
        ),
        (
            openssl::GENPKEY_P256_SEC1,
            openssl::GENPKEY_P256_PUBLIC,
            Algorithm::ES256,
        ),
        (
            openssl::GENPKEY_ED25519,
            openssl::GENPKEY_ED25519_PUBLIC,
            Algorithm::EdDSA,
        ),
    ] {
        let key = SigningKey::from_pem(private).unwrap();
        assert_eq!(key.algorithm(), alg);
        let spki = [spki_prefix(alg), key.public_key().as_bytes()].concat();
        assert_eq!(spki, pem_der(public, "PUBLIC KEY"), "{private}");
        // Signatures verify with the key openssl printed.
        let point = &pem_der(public, "PUBLIC KEY")[spki_prefix(alg).len()..];
        let verification: &dyn ring::signature::VerificationAlgorithm = match alg {
            Algorithm::EdDSA => &ring::signature::ED25519,
            Algorithm::ES256 => &ring::signature::ECDSA_P256_SHA256_FIXED,
        };
        let signature = key.sign(b"launch").unwrap();
        ring::signature::UnparsedPublicKey::new(verification, point)
            .verify(b"launch", &signature)
            .unwrap();
    }
}

#[test]
fn sec1_keys_export_as_openssl_writes_pkcs8() {
    // `openssl pkey` converts SEC1 to PKCS#8; the crate writes the very same bytes.
    let from_sec1 = SigningKey::from_pem(openssl::ECPARAM_P256).unwrap();
    assert_eq!(from_sec1.to_pkcs8_pem(), openssl::ECPARAM_P256_PKCS8);
    let from_pkcs8 = SigningKey::from_pem(openssl::ECPARAM_P256_PKCS8).unwrap();
    assert_eq!(from_pkcs8.kid(), from_sec1.kid());
    for pkcs8 in [openssl::GENPKEY_P256, openssl::GENPKEY_ED25519] {
        assert_eq!(SigningKey::from_pem(pkcs8).unwrap().to_pkcs8_pem(), pkcs8);
        // from_pkcs8_pem reads PKCS#8 the same way.
        assert_eq!(
            SigningKey::from_pkcs8_pem(pkcs8).unwrap().kid(),
            SigningKey::from_pem(pkcs8).unwrap().kid()
        );
    }
    assert_eq!(
        SigningKey::from_pem(openssl::GENPKEY_P256_SEC1)
            .unwrap()
            .kid(),
        SigningKey::from_pem(openssl::GENPKEY_P256).unwrap().kid()
    );
    // from_pkcs8_pem keeps to PKCS#8.
    assert_eq!(
        SigningKey::from_pkcs8_pem(openssl::ECPARAM_P256).unwrap_err(),
        KeyError::InvalidPem
    );
}

/// `ECPARAM_P256`'s SEC1 DER rebuilt with some of its optional parts and another public point.
fn ecparam_sec1(parameters: bool, point: Option<&[u8]>) -> String {
    use base64::Engine as _;
    let der = pem_der(openssl::ECPARAM_P256, "EC PRIVATE KEY");
    // 30 77 | 02 01 01 | 04 20 d | a0 0a 06 08 <P-256> | a1 44 03 42 00 <point>
    assert_eq!((der.len(), &der[..2]), (121, &[0x30, 0x77][..]));
    let mut content = der[2..39].to_vec();
    if parameters {
        content.extend_from_slice(&der[39..51]);
    }
    if let Some(point) = point {
        content.extend_from_slice(&[0xa1, 0x44, 0x03, 0x42, 0x00]);
        content.extend_from_slice(point);
    }
    let der = [&[0x30, content.len() as u8][..], &content].concat();
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    format!("-----BEGIN EC PRIVATE KEY-----\n{body}\n-----END EC PRIVATE KEY-----\n")
}

#[test]
fn sec1_with_or_without_parameters() {
    let key = SigningKey::from_pem(openssl::ECPARAM_P256).unwrap();
    let point = key.public_key().as_bytes().to_vec();
    let without = SigningKey::from_pem(&ecparam_sec1(false, Some(&point))).unwrap();
    assert_eq!(without.kid(), key.kid());
    let with = SigningKey::from_pem(&ecparam_sec1(true, Some(&point))).unwrap();
    assert_eq!(with.kid(), key.kid());
    // Without the public key (`openssl ec -no_public`, and the same as PKCS#8, and a compressed
    // point): ring can check a pair but not derive the point, so the error says how to add it.
    for no_point in [
        ecparam_sec1(true, None),
        ecparam_sec1(false, None),
        openssl::NO_PUBLIC_SEC1.to_owned(),
        openssl::NO_PUBLIC_PKCS8.to_owned(),
        openssl::COMPRESSED_SEC1.to_owned(),
    ] {
        let error = SigningKey::from_pem(&no_point).unwrap_err();
        assert_eq!(error, KeyError::MissingPublicKey, "{no_point}");
        assert!(
            error
                .to_string()
                .contains("openssl ec -in KEY -out KEY.pem")
        );
    }
    // Another key's public point.
    let other = SigningKey::from_pem(openssl::GENPKEY_P256).unwrap();
    let mismatched = ecparam_sec1(true, Some(other.public_key().as_bytes()));
    assert_eq!(
        SigningKey::from_pem(&mismatched).unwrap_err(),
        KeyError::InconsistentKey
    );
}

#[test]
fn other_curves_and_key_types_are_unsupported() {
    for other in [
        openssl::P384_SEC1,
        openssl::P384_PKCS8,
        openssl::SECP256K1_SEC1,
        openssl::EXPLICIT_SEC1,
        openssl::X25519_PKCS8,
        openssl::RSA_PKCS8,
        openssl::RSA_PKCS1,
    ] {
        let error = SigningKey::from_pem(other).unwrap_err();
        assert_eq!(error, KeyError::UnsupportedKeyType, "{other}");
        assert_eq!(
            error.to_string(),
            "unsupported key type or curve: only Ed25519 (OKP) and P-256 (EC, named curve) keys \
             are supported"
        );
    }
    for pkcs8 in [
        openssl::P384_PKCS8,
        openssl::X25519_PKCS8,
        openssl::RSA_PKCS8,
    ] {
        assert_eq!(
            SigningKey::from_pkcs8_der(&pem_der(pkcs8, "PRIVATE KEY")).unwrap_err(),
            KeyError::UnsupportedKeyType
        );
    }
    assert_eq!(
        SigningKey::from_pem(openssl::ENCRYPTED_PKCS8).unwrap_err(),
        KeyError::InvalidPem
    );
    // The legacy encrypted SEC1 form has headers in the block.
    let legacy = "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
                  DEK-Info: AES-128-CBC,0123456789ABCDEF0123456789ABCDEF\n\nAAAA\n\
                  -----END EC PRIVATE KEY-----\n";
    assert_eq!(
        SigningKey::from_pem(legacy).unwrap_err(),
        KeyError::InvalidPem
    );
}

#[test]
fn a_public_key_where_the_private_key_belongs_says_so() {
    for public in [
        openssl::ECPARAM_P256_PUBLIC,
        openssl::GENPKEY_P256_PUBLIC,
        openssl::GENPKEY_ED25519_PUBLIC,
    ] {
        for error in [
            SigningKey::from_pem(public).unwrap_err(),
            SigningKey::from_pkcs8_pem(public).unwrap_err(),
        ] {
            assert_eq!(
                error.to_string(),
                "this is a public key (a PEM \"PUBLIC KEY\" block); a private key is needed here"
            );
        }
        let error = SigningKey::from_pkcs8_der(&pem_der(public, "PUBLIC KEY")).unwrap_err();
        assert_eq!(
            error,
            KeyError::PublicKeyInsteadOfPrivate {
                form: "a DER SubjectPublicKeyInfo"
            }
        );
    }
    // A file with both finds the private key, in either order.
    let both = format!("{}{}", openssl::GENPKEY_P256_PUBLIC, openssl::GENPKEY_P256);
    assert!(SigningKey::from_pem(&both).is_ok());
}

#[test]
fn pem_errors_never_quote_the_key() {
    let body_line = openssl::ECPARAM_P256.lines().nth(4).unwrap();
    let broken = openssl::ECPARAM_P256.replace(body_line, &body_line[..40]);
    for error in [
        SigningKey::from_pem(&broken).unwrap_err(),
        SigningKey::from_pem(openssl::NO_PUBLIC_SEC1).unwrap_err(),
    ] {
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains(&body_line[..16]), "{shown}");
    }
}

#[cfg(feature = "portal")]
#[test]
fn wipe_overwrites_and_empties() {
    let mut secret = String::from("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A");
    wipe(&mut secret);
    assert!(secret.is_empty());
    let mut bytes = [7u8; 32];
    wipe(&mut bytes);
    assert_eq!(bytes, [0; 32]);
}

#[test]
fn small_order_and_unreduced_ed25519_keys_are_refused() {
    // The small-order encodings, with and without the sign bit, and y = p, p + 1, 2^255 - 1.
    let hex = [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000080",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ];
    for h in hex {
        let bytes: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        let x = b64::encode(&bytes);
        let jwk = format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}"}}"#);
        assert_eq!(
            PublicKey::from_jwk(&jwk).unwrap_err().code(),
            "weak_public_key",
            "{h}"
        );
        let jwks = format!(r#"{{"keys":[{jwk}]}}"#);
        assert_eq!(
            KeySet::from_jwks_json(&jwks).unwrap_err().code(),
            "weak_public_key",
            "{h}"
        );
    }
    // y = p - 2 is reduced and of large order here: only the listed values are refused.
    let mut edge = [0xffu8; 32];
    edge[0] = 0xeb;
    edge[31] = 0x7f;
    assert!(!jwk::is_weak_ed25519(&edge));
    // The RFC 8037 key and generated keys are never weak.
    assert!(
        PublicKey::from_jwk(
            RFC8037_JWK
                .replace(r#""d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","#, "")
                .as_str()
        )
        .is_ok()
    );
    for _ in 0..50 {
        let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let x: [u8; 32] = key.public_key().as_bytes().try_into().unwrap();
        assert!(!jwk::is_weak_ed25519(&x));
    }
}

#[test]
fn a_jwks_skips_keys_meant_for_other_algorithms_and_reads_fully_specified_names() {
    let ed = SigningKey::from_jwk(RFC8037_JWK).unwrap().public_key();
    let p256 = SigningKey::generate(Algorithm::ES256).unwrap().public_key();
    let ed_jwk: serde_json::Value = serde_json::from_str(&ed.to_jwk()).unwrap();
    let mut ecdh: serde_json::Value = serde_json::from_str(&p256.to_jwk()).unwrap();
    ecdh["alg"] = "ECDH-ES".into();
    ecdh.as_object_mut().unwrap().remove("use");
    ecdh.as_object_mut().unwrap().remove("kid");
    let rsa_odd_crv = serde_json::json!({"kty": "RSA", "crv": 7, "n": "AQAB", "e": "AQAB"});
    let jwks = serde_json::json!({"keys": [ecdh, rsa_odd_crv, ed_jwk]}).to_string();
    let set = KeySet::from_jwks_json(&jwks).unwrap();
    assert_eq!(set.len(), 1);
    assert!(set.get(ed.kid()).is_some());
    // Alone, a key for another algorithm is an error that says so.
    assert_eq!(
        PublicKey::from_jwk(&ecdh.to_string()).unwrap_err().code(),
        "jwk_alg_mismatch"
    );
    // RFC 9864's fully-specified names agree with the key type.
    let mut named: serde_json::Value = serde_json::from_str(&ed.to_jwk()).unwrap();
    named["alg"] = "Ed25519".into();
    assert_eq!(PublicKey::from_jwk(&named.to_string()).unwrap(), ed);
    let mut named: serde_json::Value = serde_json::from_str(&p256.to_jwk()).unwrap();
    named["alg"] = "ESP256".into();
    assert_eq!(PublicKey::from_jwk(&named.to_string()).unwrap(), p256);
}

#[cfg(feature = "vendor")]
#[test]
fn an_unknown_kid_while_the_portal_is_down_is_keys_unavailable_not_the_tokens_fault() {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::verify::{Fault, Verifier};

    let old = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let rotated = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let served = Arc::new(Mutex::new(Ok(KeySet::new([old.public_key()])
        .unwrap()
        .to_jwks_json())));
    let fetches = Arc::new(AtomicUsize::new(0));
    let (answer, count) = (served.clone(), fetches.clone());
    let clock = Arc::new(crate::clock::FixedClock::new(1_764_288_000));
    let cache = Arc::new(
        KeyCache::builder(move || {
            count.fetch_add(1, Ordering::SeqCst);
            answer.lock().unwrap().clone()
        })
        .clock(clock.clone())
        .build(),
    );
    let verifier = Verifier::builder(
        crate::IssuerId::new("https://portal.example.com.br").unwrap(),
        crate::PluginId::new("financeiro").unwrap(),
    )
    .key_cache(cache.clone())
    .clock(clock.clone())
    .replay_guard(Arc::new(crate::replay::InMemoryReplayGuard::new()))
    .build()
    .unwrap();
    let token = |key: &SigningKey| {
        let header = format!(
            r#"{{"alg":"EdDSA","typ":"cv-plugin-launch+jwt","kid":"{}"}}"#,
            key.kid()
        );
        let claims = r#"{"iss":"https://portal.example.com.br","aud":"financeiro","sub":"1","role":"cliente","iat":1764288000,"nbf":1764288000,"exp":1764288300,"jti":"AAAAAAAAAAAAAAAAAAAAAA"}"#;
        let input = format!(
            "{}.{}",
            b64::encode(header.as_bytes()),
            b64::encode(claims.as_bytes())
        );
        let signature = key.sign(input.as_bytes()).unwrap();
        format!("{input}.{}", b64::encode(&signature))
    };
    // The portal is up: an unknown kid is the token's fault.
    let bogus = token(&rotated);
    let error = verifier.verify(&bogus).unwrap_err();
    assert_eq!((error.code(), error.fault()), ("unknown_kid", Fault::Token));
    // The portal rotates to `rotated` while its JWKS answers 502: the same token is now
    // keys_unavailable (503), and verifies once the portal is back.
    *served.lock().unwrap() = Err(FetchError::HttpStatus(502));
    clock.advance(60);
    let error = verifier.verify(&bogus).unwrap_err();
    assert_eq!(
        (error.code(), error.fault()),
        ("keys_unavailable", Fault::Unavailable)
    );
    assert_eq!(cache.last_error().unwrap().kind(), "http_status");
    *served.lock().unwrap() = Ok(KeySet::new([old.public_key(), rotated.public_key()])
        .unwrap()
        .to_jwks_json());
    clock.advance(60);
    assert!(verifier.verify(&bogus).is_ok());
    assert_eq!(fetches.load(Ordering::SeqCst), 3);
}

#[cfg(feature = "vendor")]
#[test]
fn an_unknown_kid_does_not_wait_for_a_fetch_in_flight_once_a_set_exists() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let jwks = KeySet::new([key.public_key()]).unwrap().to_jwks_json();
    let slow = Arc::new(AtomicBool::new(false));
    let is_slow = slow.clone();
    let clock = Arc::new(crate::clock::FixedClock::new(1_000));
    let cache = Arc::new(
        KeyCache::builder(move || {
            if is_slow.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(1500));
            }
            Ok(jwks.clone())
        })
        .clock(clock.clone())
        .build(),
    );
    assert!(cache.key_set_for(key.kid()).is_ok());
    slow.store(true, Ordering::SeqCst);
    clock.advance(60);
    let fetcher = {
        let cache = cache.clone();
        std::thread::spawn(move || cache.key_set_for("made-up-1").map(|_| ()))
    };
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    // The fetch is still running: this answers from the set in service at once.
    assert!(cache.key_set_for("made-up-2").is_ok());
    assert!(cache.key_set_for(key.kid()).is_ok());
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "{:?}",
        started.elapsed()
    );
    assert!(fetcher.join().unwrap().is_ok());
}
