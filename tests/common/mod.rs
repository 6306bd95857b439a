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

/// [`plugin`] with its launch tokens signed with `alg` (PluginConfig::algorithm; the default is
/// EdDSA, and an issuer mints only with the key of the plugin's algorithm).
pub fn plugin_signed_with(id: &str, alg: Algorithm) -> PluginConfig {
    plugin(id).to_builder().algorithm(alg).build().unwrap()
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
        .replay_guard(Arc::new(cv_portal_plugin::InMemoryReplayGuard::new()))
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

// ---- A host application and its own jsonwebtoken provider (tests/provider_*.rs) ----------------

/// What an application embedding the crate might install as jsonwebtoken's process-wide provider.
///
/// HS256 is the host's own (ring's HMAC, called by the host's code, not the crate's); for every
/// other algorithm its verifier accepts any signature at all: the worst provider a host could
/// install (a test stub left in, a "temporary" bypass). It counts every factory call, so a test
/// sees whether anything used it.
pub mod host {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
    use jsonwebtoken::errors::{Error, ErrorKind};
    use jsonwebtoken::signature;
    use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

    static CALLS: AtomicUsize = AtomicUsize::new(0);

    /// How many times jsonwebtoken asked [`HOSTILE_PROVIDER`] for a signer or a verifier.
    pub fn calls() -> usize {
        CALLS.load(Ordering::SeqCst)
    }

    /// The host's provider: real HS256, accept-all for everything else, counted.
    pub static HOSTILE_PROVIDER: CryptoProvider = CryptoProvider {
        signer_factory: signer,
        verifier_factory: verifier,
        key_utils: KeyUtils::new_unimplemented(),
    };

    struct Hs256(ring::hmac::Key);

    impl signature::Signer<Vec<u8>> for Hs256 {
        fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
            Ok(ring::hmac::sign(&self.0, msg).as_ref().to_vec())
        }
    }

    impl JwtSigner for Hs256 {
        fn algorithm(&self) -> Algorithm {
            Algorithm::HS256
        }
    }

    impl signature::Verifier<Vec<u8>> for Hs256 {
        fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> Result<(), signature::Error> {
            ring::hmac::verify(&self.0, msg, sig).map_err(|_| signature::Error::new())
        }
    }

    impl JwtVerifier for Hs256 {
        fn algorithm(&self) -> Algorithm {
            Algorithm::HS256
        }
    }

    struct AcceptAll(Algorithm);

    impl signature::Verifier<Vec<u8>> for AcceptAll {
        fn verify(&self, _: &[u8], _: &Vec<u8>) -> Result<(), signature::Error> {
            Ok(())
        }
    }

    impl JwtVerifier for AcceptAll {
        fn algorithm(&self) -> Algorithm {
            self.0
        }
    }

    fn signer(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
        CALLS.fetch_add(1, Ordering::SeqCst);
        match alg {
            Algorithm::HS256 => Ok(Box::new(Hs256(ring::hmac::Key::new(
                ring::hmac::HMAC_SHA256,
                key.as_bytes(),
            )))),
            _ => Err(ErrorKind::UnsupportedAlgorithm.into()),
        }
    }

    fn verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
        CALLS.fetch_add(1, Ordering::SeqCst);
        match alg {
            Algorithm::HS256 => Ok(Box::new(Hs256(ring::hmac::Key::new(
                ring::hmac::HMAC_SHA256,
                key.try_get_as_bytes()?,
            )))),
            other => Ok(Box::new(AcceptAll(*other))),
        }
    }

    /// The host's own HS256 session tokens, through whatever provider jsonwebtoken's process-wide
    /// slot holds: a token round-trips, and one under another secret is refused.
    pub fn hs256_sessions_work() {
        let secret = b"the host's own session secret";
        let claims = serde_json::json!({"sub": "session-7", "exp": 4_102_444_800u64});
        let token = jsonwebtoken::encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(secret).unwrap(),
        )
        .expect("the host signs its HS256 session");
        assert!(token.starts_with("eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9."));
        let validation = Validation::new(Algorithm::HS256);
        let decoded = jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &DecodingKey::from_secret(secret).unwrap(),
            &validation,
        )
        .expect("the host verifies its HS256 session");
        assert_eq!(decoded.claims, claims);
        let wrong = jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &DecodingKey::from_secret(b"another secret").unwrap(),
            &validation,
        )
        .unwrap_err();
        assert_eq!(wrong.kind(), &ErrorKind::InvalidSignature);
    }
}

/// Tokens that must fail only at the signature check (every other check passes), for a verifier
/// built on `issuer`'s key set: signed by another key under the issuer's `kid`, a genuine token
/// with its claims changed, and a genuine token with a zeroed signature.
pub fn forgeries(issuer: &cv_portal_plugin::Issuer, genuine: &str) -> Vec<(&'static str, String)> {
    let alg = issuer.jwks().iter().next().unwrap().algorithm();
    let header = format!(
        r#"{{"alg":"{alg}","typ":"cv-plugin-launch+jwt","kid":"{}"}}"#,
        issuer.kid()
    );
    let other_key = forge(&SigningKey::generate(alg).unwrap(), &header, &claims(90));
    let mut parts = genuine.split('.');
    let (head, _, signature) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let changed_claims = format!(
        "{head}.{}.{signature}",
        b64(claims_with(r#""role":"gestor","jti":"jti-forged-claims-0001""#).as_bytes())
    );
    let zeroed = format!("{head}.{}.{}", b64(claims(91).as_bytes()), b64(&[0; 64]));
    vec![
        ("signed by another key", other_key),
        ("claims changed", changed_claims),
        ("zeroed signature", zeroed),
    ]
}

/// Whether the provider in jsonwebtoken's process-wide slot accepts `token`'s signature under
/// `issuer`'s key: what the crate would conclude if it still verified through the slot.
pub fn slot_accepts(issuer: &cv_portal_plugin::Issuer, token: &str) -> bool {
    let key = issuer.jwks().iter().next().unwrap();
    let (decoding, alg) = match key.algorithm() {
        Algorithm::EdDSA => (
            jsonwebtoken::DecodingKey::from_ed_der(key.as_bytes()),
            jsonwebtoken::Algorithm::EdDSA,
        ),
        Algorithm::ES256 => (
            jsonwebtoken::DecodingKey::from_ec_der(key.as_bytes()),
            jsonwebtoken::Algorithm::ES256,
        ),
        other => panic!("no test key for {other}"),
    };
    let (input, signature) = token.rsplit_once('.').unwrap();
    jsonwebtoken::crypto::verify(signature, input.as_bytes(), &decoding, alg).unwrap()
}

/// What [`genuine_passes_forgeries_fail`] built and checked.
pub struct LaunchCheck {
    pub issuer: cv_portal_plugin::Issuer,
    pub verifier: Verifier,
    /// The genuine token, already verified once (so consumed).
    pub token: String,
    /// Its [`forgeries`], each already refused.
    pub forged: Vec<(&'static str, String)>,
}

/// A fresh issuer of `alg` at [`NOW`] and a verifier of its keys: a genuine launch token verifies,
/// and every one of its [`forgeries`] is refused with `bad_signature`.
pub fn genuine_passes_forgeries_fail(alg: Algorithm) -> LaunchCheck {
    let clock = clock();
    let issuer = cv_portal_plugin::Issuer::builder(issuer_id(), SigningKey::generate(alg).unwrap())
        .clock(clock.clone())
        .build()
        .unwrap();
    let verifier = verifier(issuer.jwks(), clock);
    let launch = issuer
        .mint(&plugin_signed_with(PLUGIN, alg), &viewer(Role::Sindico))
        .unwrap();
    let claims = verifier.verify(launch.token()).expect("a genuine token");
    assert_eq!(claims.role(), Role::Sindico, "{alg}");
    let forged = forgeries(&issuer, launch.token());
    for (what, token) in &forged {
        assert_eq!(
            verifier.verify(token).unwrap_err().code(),
            "bad_signature",
            "{alg}: {what}"
        );
    }
    LaunchCheck {
        token: launch.token().to_owned(),
        issuer,
        verifier,
        forged,
    }
}
