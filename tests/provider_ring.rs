//! The opt-in: an application installs the crate's ring provider as jsonwebtoken's process-wide
//! default, and every algorithm its own jsonwebtoken calls may use keeps working: HS256/384/512,
//! RS256/384/512, PS256/384/512, ES256, ES384, EdDSA, and the JWK helpers.
//!
//! Each algorithm is checked against an independent implementation: published RFC examples
//! (RFC 7515 A.1 and A.3, RFC 8037 A.4, RFC 7638 §3.1) and TEST ONLY keys and signatures made with
//! openssl (`tests/fixtures/make-test-only-fixtures.sh`). Deterministic schemes (HMAC, RSA
//! PKCS#1 v1.5, Ed25519) must produce the exact bytes; randomized ones (PSS, ECDSA) must accept
//! the other implementation's signature, and their own output must verify.
//!
//! Its own test binary: jsonwebtoken's provider slot is per process.

mod common;

use std::sync::Once;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use cv_portal_plugin::{Algorithm, install_as_jsonwebtoken_default};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm as Jwa, DecodingKey, EncodingKey, Header, Validation};
use serde_json::Value;

fn opt_in() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| install_as_jsonwebtoken_default().expect("the slot starts empty"));
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The openssl-made values (see the fixture script).
fn openssl() -> Value {
    serde_json::from_slice(&fixture("TEST-ONLY-openssl-signatures.json")).unwrap()
}

fn text<'a>(value: &'a Value, name: &str) -> &'a str {
    value[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {value}"))
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).unwrap()
}

fn sign(message: &[u8], key: &EncodingKey, alg: Jwa) -> String {
    jsonwebtoken::crypto::sign(message, key, alg).unwrap_or_else(|e| panic!("{alg:?}: {e}"))
}

fn verifies(signature: &str, message: &[u8], key: &DecodingKey, alg: Jwa) -> bool {
    jsonwebtoken::crypto::verify(signature, message, key, alg)
        .unwrap_or_else(|e| panic!("{alg:?}: {e}"))
}

/// A signature with its first byte changed.
fn spoiled(signature: &str) -> String {
    let mut bytes = unb64(signature);
    bytes[0] ^= 1;
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `jsonwebtoken::encode` then `decode`, as an application calls them, and a decode under a
/// spoiled signature that must fail.
fn round_trip(alg: Jwa, encoding: &EncodingKey, decoding: &DecodingKey) {
    let claims = serde_json::json!({"sub": "48213", "aud": "app", "exp": 4_102_444_800u64});
    let token = jsonwebtoken::encode(&Header::new(alg), &claims, encoding)
        .unwrap_or_else(|e| panic!("{alg:?} encode: {e}"));
    let mut validation = Validation::new(alg);
    validation.set_audience(&["app"]);
    let decoded = jsonwebtoken::decode::<Value>(&token, decoding, &validation)
        .unwrap_or_else(|e| panic!("{alg:?} decode: {e}"));
    assert_eq!(decoded.claims, claims, "{alg:?}");
    let (input, signature) = token.rsplit_once('.').unwrap();
    let forged = format!("{input}.{}", spoiled(signature));
    let error = jsonwebtoken::decode::<Value>(&forged, decoding, &validation).unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::InvalidSignature, "{alg:?}");
}

/// A JWK as JSON, to read its members.
fn jwk_json(jwk: &Jwk) -> Value {
    serde_json::to_value(jwk).unwrap()
}

#[test]
fn a_second_install_is_a_typed_error() {
    opt_in();
    let again = install_as_jsonwebtoken_default().unwrap_err();
    assert_eq!(again.code(), "provider_already_installed");
    assert!(again.is_this_crates_provider());
    assert!(again.to_string().contains("already installed"));
}

#[test]
fn hmac_matches_rfc_7515_and_openssl() {
    opt_in();
    // RFC 7515 A.1: HS256 with a JWK secret, exact signature.
    let rfc_key = unb64(
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
    );
    let rfc_input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
    let rfc_signature = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    assert_eq!(
        sign(
            rfc_input.as_bytes(),
            &EncodingKey::from_secret(&rfc_key).unwrap(),
            Jwa::HS256
        ),
        rfc_signature
    );
    assert!(verifies(
        rfc_signature,
        rfc_input.as_bytes(),
        &DecodingKey::from_secret(&rfc_key).unwrap(),
        Jwa::HS256
    ));

    // openssl's HMAC tags for all three sizes.
    let o = openssl();
    let message = text(&o, "message").as_bytes();
    let secret = text(&o, "hmac_key").as_bytes();
    let encoding = EncodingKey::from_secret(secret).unwrap();
    let decoding = DecodingKey::from_secret(secret).unwrap();
    for (alg, name) in [
        (Jwa::HS256, "hs256"),
        (Jwa::HS384, "hs384"),
        (Jwa::HS512, "hs512"),
    ] {
        assert_eq!(sign(message, &encoding, alg), text(&o, name), "{alg:?}");
        assert!(verifies(text(&o, name), message, &decoding, alg), "{alg:?}");
        assert!(
            !verifies(&spoiled(text(&o, name)), message, &decoding, alg),
            "{alg:?}"
        );
        round_trip(alg, &encoding, &decoding);
    }
    // A tag of one size is not a tag of another.
    assert!(!verifies(text(&o, "hs256"), message, &decoding, Jwa::HS384));
}

#[test]
fn rsa_matches_openssl() {
    opt_in();
    let o = openssl();
    let message = text(&o, "message").as_bytes();
    let pkcs1 = EncodingKey::from_rsa_der(&fixture("TEST-ONLY-rsa-2048-pkcs1.der"));
    let pkcs8 = EncodingKey::from_rsa_der(&fixture("TEST-ONLY-rsa-2048-pkcs8.der"));
    let public_der = DecodingKey::from_rsa_der(&fixture("TEST-ONLY-rsa-2048-public-pkcs1.der"));
    let components =
        DecodingKey::from_rsa_components(text(&o, "rsa_n"), text(&o, "rsa_e")).unwrap();

    // PKCS#1 v1.5 is deterministic: the exact bytes openssl made, from either private key form.
    for (alg, name) in [
        (Jwa::RS256, "rs256"),
        (Jwa::RS384, "rs384"),
        (Jwa::RS512, "rs512"),
    ] {
        assert_eq!(sign(message, &pkcs1, alg), text(&o, name), "{alg:?}");
        assert_eq!(sign(message, &pkcs8, alg), text(&o, name), "{alg:?}");
    }
    // PSS is randomized: openssl's signatures verify, and so do ours, which differ each time.
    for (alg, name) in [
        (Jwa::PS256, "ps256"),
        (Jwa::PS384, "ps384"),
        (Jwa::PS512, "ps512"),
    ] {
        let ours = sign(message, &pkcs1, alg);
        assert_ne!(ours, sign(message, &pkcs1, alg), "{alg:?} salt");
        for key in [&public_der, &components] {
            assert!(verifies(text(&o, name), message, key, alg), "{alg:?}");
            assert!(verifies(&ours, message, key, alg), "{alg:?}");
        }
    }
    for (alg, name) in [
        (Jwa::RS256, "rs256"),
        (Jwa::RS384, "rs384"),
        (Jwa::RS512, "rs512"),
        (Jwa::PS256, "ps256"),
        (Jwa::PS384, "ps384"),
        (Jwa::PS512, "ps512"),
    ] {
        for key in [&public_der, &components] {
            assert!(verifies(text(&o, name), message, key, alg), "{alg:?}");
            assert!(
                !verifies(&spoiled(text(&o, name)), message, key, alg),
                "{alg:?}"
            );
            assert!(!verifies(text(&o, name), b"another message", key, alg));
        }
        round_trip(alg, &pkcs1, &public_der);
        round_trip(alg, &pkcs8, &components);
    }
    // A PKCS#1 v1.5 signature is not a PSS one.
    assert!(!verifies(
        text(&o, "rs256"),
        message,
        &public_der,
        Jwa::PS256
    ));

    // The JWK helpers give openssl's modulus and exponent, from the private and the public key.
    for jwk in [
        Jwk::from_encoding_key(&pkcs1, Jwa::RS256).unwrap(),
        Jwk::from_encoding_key(&pkcs8, Jwa::PS256).unwrap(),
        Jwk::from_decoding_key(&public_der, Some(Jwa::RS256)).unwrap(),
    ] {
        let json = jwk_json(&jwk);
        assert_eq!(json["kty"], "RSA");
        assert_eq!(json["n"], text(&o, "rsa_n"));
        assert_eq!(json["e"], text(&o, "rsa_e"));
    }
}

#[test]
fn ecdsa_matches_rfc_7515_and_openssl() {
    opt_in();
    // RFC 7515 A.3: ES256, the published key and signature.
    let (x, y) = (
        "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    );
    let rfc_input = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
    let rfc_signature =
        "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
    let p256_public = DecodingKey::from_ec_components(x, y).unwrap();
    assert!(verifies(
        rfc_signature,
        rfc_input.as_bytes(),
        &p256_public,
        Jwa::ES256
    ));
    assert!(!verifies(
        &spoiled(rfc_signature),
        rfc_input.as_bytes(),
        &p256_public,
        Jwa::ES256
    ));
    // The same RFC key as PKCS#8: its JWK carries the RFC's coordinates, and it signs.
    let p256_private = EncodingKey::from_ec_der(&test_key(Algorithm::ES256).to_pkcs8_der());
    let json = jwk_json(&Jwk::from_encoding_key(&p256_private, Jwa::ES256).unwrap());
    assert_eq!(
        (&json["crv"], &json["x"], &json["y"]),
        (&"P-256".into(), &x.into(), &y.into())
    );
    round_trip(Jwa::ES256, &p256_private, &p256_public);

    // ES384: an openssl key and signature (DER converted to r || s).
    let o = openssl();
    let message = text(&o, "message").as_bytes();
    let p384_public =
        DecodingKey::from_ec_components(text(&o, "p384_x"), text(&o, "p384_y")).unwrap();
    let p384_private = EncodingKey::from_ec_der(&fixture("TEST-ONLY-p384-pkcs8.der"));
    assert!(verifies(
        text(&o, "es384"),
        message,
        &p384_public,
        Jwa::ES384
    ));
    assert!(!verifies(
        &spoiled(text(&o, "es384")),
        message,
        &p384_public,
        Jwa::ES384
    ));
    let json = jwk_json(&Jwk::from_encoding_key(&p384_private, Jwa::ES384).unwrap());
    assert_eq!(json["crv"], "P-384");
    assert_eq!((&json["x"], &json["y"]), (&o["p384_x"], &o["p384_y"]));
    let ours = sign(message, &p384_private, Jwa::ES384);
    assert_eq!(unb64(&ours).len(), 96, "fixed r || s, not DER");
    assert!(verifies(&ours, message, &p384_public, Jwa::ES384));
    round_trip(Jwa::ES384, &p384_private, &p384_public);

    // A key of one curve is refused for the other curve's algorithm, as an error.
    assert!(
        jsonwebtoken::crypto::verify(text(&o, "es384"), message, &p256_public, Jwa::ES384).is_err()
    );
}

#[test]
fn eddsa_matches_rfc_8037() {
    opt_in();
    // RFC 8037 A.1 key as openssl's PKCS#8 v1 (RFC 8410 prefix, then the seed), A.4 signature.
    let seed = unb64("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A");
    let x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    let prefix = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let private = EncodingKey::from_ed_der(&[&prefix[..], &seed].concat());
    let public = DecodingKey::from_ed_components(x).unwrap();
    let rfc_input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
    let rfc_signature =
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
    assert_eq!(
        sign(rfc_input.as_bytes(), &private, Jwa::EdDSA),
        rfc_signature
    );
    assert!(verifies(
        rfc_signature,
        rfc_input.as_bytes(),
        &public,
        Jwa::EdDSA
    ));
    assert!(!verifies(
        &spoiled(rfc_signature),
        rfc_input.as_bytes(),
        &public,
        Jwa::EdDSA
    ));
    let json = jwk_json(&Jwk::from_encoding_key(&private, Jwa::EdDSA).unwrap());
    assert_eq!((&json["crv"], &json["x"]), (&"Ed25519".into(), &x.into()));
    round_trip(Jwa::EdDSA, &private, &public);
}

#[test]
fn jwk_thumbprints_match_rfc_7638() {
    opt_in();
    let jwk: Jwk = serde_json::from_str(r#"{"kty":"RSA","e":"AQAB","alg":"RS256","kid":"2011-04-29","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}"#).unwrap();
    // SHA-256 is the RFC's own result; SHA-384 and SHA-512 were computed with Python's hashlib.
    for (hash, expected) in [
        (
            ThumbprintHash::SHA256,
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
        ),
        (
            ThumbprintHash::SHA384,
            "R9_OfJjSjaw8Fuum86UzK5ixTdN9bo9BaqPSiseq89DWfmqCdpSgUHus-cxDUNc8",
        ),
        (
            ThumbprintHash::SHA512,
            "DpvEwocfn3FjeWWQjcJHzWrpKTIymKwgoL1xVgQcud48-qZDSRCr1zfWZQdHAJn_ciqXqPTSARyg-L-NyNGpVA",
        ),
    ] {
        assert_eq!(jwk.thumbprint(hash).unwrap(), expected);
    }
    // And the RSA JWK verifies what its key signed.
    let o = openssl();
    let from_jwk: Jwk = serde_json::from_value(serde_json::json!({
        "kty": "RSA", "n": o["rsa_n"], "e": o["rsa_e"],
    }))
    .unwrap();
    assert!(verifies(
        text(&o, "rs256"),
        text(&o, "message").as_bytes(),
        &DecodingKey::from_jwk(&from_jwk).unwrap(),
        Jwa::RS256
    ));
}

#[test]
fn wrong_keys_are_errors_not_panics() {
    opt_in();
    let secret = EncodingKey::from_secret(b"secret").unwrap();
    for alg in [Jwa::RS256, Jwa::PS256, Jwa::ES256, Jwa::ES384, Jwa::EdDSA] {
        let error = jsonwebtoken::crypto::sign(b"x", &secret, alg).unwrap_err();
        assert_eq!(error.kind(), &ErrorKind::InvalidKeyFormat, "{alg:?}");
    }
    let garbage = [0x30, 0x03, 0x02, 0x01, 0x01];
    let rsa = jsonwebtoken::crypto::sign(b"x", &EncodingKey::from_rsa_der(&garbage), Jwa::RS256);
    assert!(matches!(
        rsa.unwrap_err().kind(),
        ErrorKind::InvalidRsaKey(_)
    ));
    let ec = jsonwebtoken::crypto::sign(b"x", &EncodingKey::from_ec_der(&garbage), Jwa::ES256);
    assert_eq!(ec.unwrap_err().kind(), &ErrorKind::InvalidEcdsaKey);
    let ed = jsonwebtoken::crypto::sign(b"x", &EncodingKey::from_ed_der(&garbage), Jwa::EdDSA);
    assert_eq!(ed.unwrap_err().kind(), &ErrorKind::InvalidEddsaKey);
    // Short public keys: errors (RustCrypto's EdDSA verifier slices [..32] and would panic).
    let short_ed = DecodingKey::from_ed_der(&[7; 31]);
    assert!(jsonwebtoken::crypto::verify("AAAA", b"x", &short_ed, Jwa::EdDSA).is_err());
    let short_ec = DecodingKey::from_ec_der(&[4; 64]);
    assert!(jsonwebtoken::crypto::verify("AAAA", b"x", &short_ec, Jwa::ES256).is_err());
    let public_rsa = DecodingKey::from_rsa_der(&garbage);
    assert!(!verifies("AAAA", b"x", &public_rsa, Jwa::RS256));
    assert!(Jwk::from_decoding_key(&public_rsa, None).is_err());
}

#[test]
fn launch_tokens_are_unaffected_by_the_opt_in() {
    opt_in();
    for alg in [Algorithm::EdDSA, Algorithm::ES256] {
        genuine_passes_forgeries_fail(alg);
    }
}
