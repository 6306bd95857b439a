//! Shared fixtures for the token tests: a fixed clock, a plugin, keys, and a forger that signs
//! arbitrary header and claims bytes the way an attacker holding (or not holding) a key would.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cv_portal_plugin::config::{Dimension, Icon, PluginConfig, VisibleTo};
use cv_portal_plugin::{
    Algorithm, FixedClock, IssuerId, KeySet, Role, SigningKey, SubjectId, Verifier, Viewer,
};

/// 2025-11-28T00:00:00Z.
pub const NOW: i64 = 1_764_288_000;
pub const ISSUER: &str = "https://portal.construtora.com.br";
pub const PLUGIN: &str = "financeiro";

pub fn issuer_id() -> IssuerId {
    IssuerId::new(ISSUER).unwrap()
}

pub fn plugin(id: &str) -> PluginConfig {
    PluginConfig::builder()
        .id(id)
        .name("Financeiro UAU")
        .link("https://erp.example.com/portal/financeiro?empresa=7")
        .icon(Icon::Alerta)
        .title("Financeiro")
        .show_in_client_portal(true)
        .show_in_manager_panel(true)
        .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
        .visible_to(VisibleTo::ClienteESindico)
        .token_lifetime(Duration::from_secs(300))
        .build()
        .unwrap()
}

pub fn viewer(role: Role) -> Viewer {
    Viewer::new(SubjectId::new("48213").unwrap(), role)
}

pub fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(NOW))
}

pub fn verifier(keys: &KeySet, clock: Arc<FixedClock>) -> Verifier {
    Verifier::builder(issuer_id(), PLUGIN.parse().unwrap())
        .key_set(keys.clone())
        .clock(clock)
        .build()
        .unwrap()
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs `header.claims` (both given as raw JSON text) with `key`, using ring directly.
pub fn forge(key: &SigningKey, header: &str, claims: &str) -> String {
    let input = format!("{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()));
    let signature = sign_raw(key, input.as_bytes());
    format!("{input}.{}", b64(&signature))
}

pub fn sign_raw(key: &SigningKey, message: &[u8]) -> Vec<u8> {
    let der = key.to_pkcs8_der();
    let rng = ring::rand::SystemRandom::new();
    match key.algorithm() {
        Algorithm::EdDSA => ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
            .unwrap()
            .sign(message)
            .as_ref()
            .to_vec(),
        Algorithm::ES256 => ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &der,
            &rng,
        )
        .unwrap()
        .sign(&rng, message)
        .unwrap()
        .as_ref()
        .to_vec(),
        other => panic!("no test signer for {other}"),
    }
}

/// The header the protocol prescribes for `key`.
pub fn header(key: &SigningKey) -> String {
    format!(
        r#"{{"alg":"{}","typ":"cv-plugin-launch+jwt","kid":"{}"}}"#,
        key.algorithm(),
        key.kid()
    )
}

/// Valid claims at `NOW` with a 300 s lifetime, with `jti` varying by `n`.
pub fn claims(n: u32) -> String {
    claims_with(&format!(r#""jti":"jti-{n:016}""#))
}

/// Valid claims with one member replaced or added: pass e.g. `"exp":"soon"`.
pub fn claims_with(member: &str) -> String {
    let mut map = serde_json::Map::new();
    let base = serde_json::json!({
        "iss": ISSUER, "aud": PLUGIN, "sub": "48213", "role": "cliente",
        "iat": NOW, "nbf": NOW, "exp": NOW + 300, "jti": "AAAAAAAAAAAAAAAAAAAAAA",
    });
    let extra: serde_json::Value = serde_json::from_str(&format!("{{{member}}}")).unwrap();
    for (k, v) in base.as_object().unwrap() {
        map.insert(k.clone(), v.clone());
    }
    for (k, v) in extra.as_object().unwrap() {
        map.insert(k.clone(), v.clone());
    }
    serde_json::Value::Object(map).to_string()
}

/// Valid claims without `name`.
pub fn claims_without(name: &str) -> String {
    let mut value: serde_json::Value = serde_json::from_str(&claims(0)).unwrap();
    value.as_object_mut().unwrap().remove(name);
    value.to_string()
}

/// The Ed25519 key of RFC 8037 §A.1, as a private JWK. A published TEST key: anyone can sign
/// with it, so it must never be trusted outside tests and the conformance vectors.
pub fn test_ed25519_jwk() -> &'static str {
    r#"{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#
}

/// The P-256 key of RFC 7515 §A.3, as a private JWK. A published TEST key, like
/// [`test_ed25519_jwk`].
pub fn test_p256_jwk() -> &'static str {
    r#"{"kty":"EC","crv":"P-256","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#
}

/// The fixed test key of `alg` (see [`test_ed25519_jwk`] and [`test_p256_jwk`]).
pub fn test_key(alg: Algorithm) -> SigningKey {
    match alg {
        Algorithm::EdDSA => SigningKey::from_jwk(test_ed25519_jwk()).unwrap(),
        Algorithm::ES256 => SigningKey::from_jwk(test_p256_jwk()).unwrap(),
        other => panic!("no test key for {other}"),
    }
}
