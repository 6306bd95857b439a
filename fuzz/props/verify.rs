//! Target `verify`: arbitrary bytes as a token, against the vectors' real keys (ring), fixed clock.
//!
//! Properties:
//! - the crate's answer is the one PROTOCOL.md §6 gives ([`reference`](super::reference)), with
//!   the signature checked independently with ring;
//! - nothing verifies unless its signing input is one the TEST keys signed for a valid vector: the
//!   fuzzer holds no private key, so no fuzzed token may verify;
//! - errors never quote the token's signature, and every code is a listed one.

use std::collections::HashMap;
use std::sync::OnceLock;

use cv_portal_plugin::{Algorithm, Verifier};

use super::reference::{self, Rules};
use super::{assert_error_hides_signature, fixture};

struct State {
    verifier: Verifier,
    /// kid → (algorithm, raw public key), read from the vectors' JWKS by this module.
    keys: HashMap<String, (Algorithm, Vec<u8>)>,
    /// The signing inputs of the valid vectors.
    authentic: Vec<String>,
}

fn state() -> &'static State {
    static STATE: OnceLock<State> = OnceLock::new();
    let fx = fixture();
    STATE.get_or_init(|| {
        let verifier = Verifier::builder(fx.issuer.clone(), fx.plugin.parse().expect("plugin"))
            .key_set(fx.real_keys.clone())
            .clock(fx.clock.clone())
            .max_token_len(fx.max_len)
            // Stateless across inputs: the same valid token may come back many times.
            .dangerous_disable_replay_guard()
            .build()
            .expect("verifier");
        let mut keys = HashMap::new();
        for jwk in fx.vectors["jwks"]["keys"].as_array().expect("keys") {
            let coordinate = |name: &str| {
                reference::canonical_base64url(jwk[name].as_str().expect("coordinate"))
                    .expect("canonical")
            };
            let (alg, public) = match jwk["kty"].as_str() {
                Some("OKP") => (Algorithm::EdDSA, coordinate("x")),
                _ => (
                    Algorithm::ES256,
                    [vec![4], coordinate("x"), coordinate("y")].concat(),
                ),
            };
            keys.insert(jwk["kid"].as_str().expect("kid").to_owned(), (alg, public));
        }
        let authentic = fx.vectors["valid"]
            .as_array()
            .expect("valid")
            .iter()
            .map(|v| {
                let token = v["token"].as_str().expect("token");
                token[..token.rfind('.').expect("dot")].to_owned()
            })
            .collect();
        State {
            verifier,
            keys,
            authentic,
        }
    })
}

/// What PROTOCOL.md §6 says about `token` with the vectors' keys, clock and configuration
/// (signatures checked here with ring).
pub fn expected(token: &str) -> reference::Outcome {
    let fx = fixture();
    let state = state();
    let key = |kid: &str| state.keys.get(kid).map(|(alg, _)| *alg);
    let rules = Rules {
        issuer: fx.issuer.as_str(),
        plugin: &fx.plugin,
        now: fx.now,
        leeway: fx.leeway,
        max_len: fx.max_len,
        key: &key,
        signature_ok: &super::signature_ok,
    };
    reference::evaluate(token, &rules)
}

/// The property of target `verify`.
pub fn check(data: &[u8]) {
    let state = state();
    let token = String::from_utf8_lossy(data);
    let got = state.verifier.verify(&token);
    reference::assert_agrees(&token, &got, &expected(&token));

    match &got {
        Ok(_) => {
            let input = token.rsplit_once('.').map_or("", |(input, _)| input);
            assert!(
                state.authentic.iter().any(|a| a == input),
                "a token the TEST keys never signed verified"
            );
        }
        Err(error) => assert_error_hides_signature(&token, error),
    }
}
