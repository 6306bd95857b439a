use super::*;
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
    let no_d = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    assert_eq!(
        SigningKey::from_jwk(no_d).unwrap_err().code(),
        "invalid_jwk"
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
        KeyError::InvalidPem,
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
    ];
    for error in &all {
        match error {
            KeyError::Rng
            | KeyError::UnsupportedAlgorithm { .. }
            | KeyError::InvalidPkcs8
            | KeyError::InvalidPem
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
            | KeyError::NoUsableKey { .. } => {}
        }
    }
    all
}

#[test]
fn all_codes_lists_exactly_the_codes_of_the_variants() {
    let codes: Vec<&str> = every_key_error().iter().map(KeyError::code).collect();
    assert_eq!(codes, KeyError::ALL_CODES);
}

#[test]
fn key_codes_are_snake_case_and_unique_across_the_crate() {
    let mut owners = std::collections::HashMap::new();
    let mut lists: Vec<(&str, &[&str])> = vec![
        ("KeyError", KeyError::ALL_CODES),
        ("WireError", crate::wire::WireError::ALL_CODES),
    ];
    #[cfg(feature = "vendor")]
    lists.push(("VerifyError", crate::verify::VerifyError::ALL_CODES));
    #[cfg(feature = "portal")]
    lists.push(("IssueError", crate::issue::IssueError::ALL_CODES));
    for (owner, codes) in lists {
        for code in codes {
            assert!(
                code.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{code}"
            );
            if let Some(other) = owners.insert(*code, owner) {
                panic!("{code} is a code of both {other} and {owner}");
            }
        }
    }
}

#[test]
fn error_messages_say_what_is_wrong() {
    assert_eq!(
        KeyError::InvalidJson.to_string(),
        "the JWK or JWKS document is not valid JSON"
    );
    assert_eq!(
        KeyError::NoUsableKey { skipped: 2 }.to_string(),
        "the JWKS has no Ed25519 or P-256 signature key (2 key(s) of other types or uses skipped)"
    );
    assert!(
        KeyError::PrivateJwkAsJwks
            .to_string()
            .contains("a private JWK, not a JWKS")
    );
}

// ---- JWK and JWKS documents are read strictly ------------------------------------------------

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
