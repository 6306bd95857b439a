//! The vendor's build alone (`--no-default-features --features vendor`): the published
//! conformance vectors verify, or are refused with their code, through the vendor's API only. No
//! item of the portal's side (configuration, menus, signing, minting) is reachable here; this file
//! compiling in that build is part of the proof.

use std::sync::Arc;
use std::time::Duration;

use cv_portal_plugin::{
    FixedClock, InMemoryReplayGuard, IssuerId, KeySet, PluginId, UntrustedToken, Verifier,
};
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("../vectors/launch-tokens.json")).unwrap()
}

fn verifier(v: &Value) -> Verifier {
    Verifier::builder(
        IssuerId::new(v["issuer"].as_str().unwrap()).unwrap(),
        PluginId::new(v["plugin"].as_str().unwrap()).unwrap(),
    )
    .key_set(KeySet::from_jwks_json(&v["jwks"].to_string()).unwrap())
    .clock(Arc::new(FixedClock::new(v["now"].as_i64().unwrap())))
    .leeway(Duration::from_secs(v["leeway"].as_u64().unwrap()))
    .max_token_len(v["max_token_len"].as_u64().unwrap() as usize)
    .replay_guard(Arc::new(InMemoryReplayGuard::new()))
    .build()
    .unwrap()
}

#[test]
fn every_valid_vector_verifies_once_with_its_claims() {
    let v = vectors();
    let verifier = verifier(&v);
    let valid = v["valid"].as_array().unwrap();
    assert!(!valid.is_empty());
    for vector in valid {
        let token = vector["token"].as_str().unwrap();
        let claims = verifier.verify(token).unwrap_or_else(|e| {
            panic!("{}: {e}", vector["name"]);
        });
        let expected = &vector["claims"];
        assert_eq!(
            claims.subject().as_str(),
            expected["sub"],
            "{}",
            vector["name"]
        );
        assert_eq!(claims.role().as_str(), expected["role"]);
        assert_eq!(claims.token_id().as_str(), expected["jti"]);
        assert_eq!(claims.expires_at(), expected["exp"].as_i64().unwrap());
        assert_eq!(verifier.verify(token).unwrap_err().code(), "replayed");
    }
}

#[test]
fn every_invalid_vector_is_refused_with_its_code() {
    let v = vectors();
    let invalid = v["invalid"].as_array().unwrap();
    assert!(!invalid.is_empty());
    for vector in invalid {
        // A fresh verifier per vector, so single use never hides the error it is about.
        let got = verifier(&v).verify(vector["token"].as_str().unwrap());
        assert_eq!(
            got.map(|_| ()).unwrap_err().code(),
            vector["error"].as_str().unwrap(),
            "{}",
            vector["name"]
        );
    }
}

#[test]
fn an_untrusted_token_names_its_issuer_for_routing_and_nothing_verifies_without_a_verifier() {
    let v = vectors();
    let token = v["valid"][0]["token"].as_str().unwrap();
    let untrusted = UntrustedToken::parse(token).unwrap();
    assert_eq!(untrusted.unverified_issuer().unwrap().as_str(), v["issuer"]);
    assert_eq!(untrusted.kid(), v["valid"][0]["kid"]);
    // Routing then verifying is the same as verifying.
    let claims = verifier(&v).verify_untrusted(untrusted).unwrap();
    assert_eq!(claims.issuer().as_str(), v["issuer"]);
}
