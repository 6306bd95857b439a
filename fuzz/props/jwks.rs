//! Target `jwks`: `KeySet::from_jwks_json` on arbitrary text.
//!
//! Properties:
//! - parsing agrees with an independent reading of PROTOCOL.md §7 (valid JSON without repeated
//!   members; keys of other types or uses skipped, at least one usable key; pinned `alg`,
//!   `use`/`key_ops`, no private members, `kid` = RFC 7638 thumbprint, no repeated `kid`): it
//!   accepts exactly the sets the rules accept, with the same keys, and a refusal's code names a
//!   rule the first bad key breaks;
//! - parse → serialize → parse is stable: the same set, the same text, and every key's own JWK
//!   reads back as the same key;
//! - errors never quote a private member's value.

use cv_portal_plugin::{Algorithm, KeySet, PublicKey};
use serde_json::{Map, Value};

use super::b64;
use super::reference::canonical_base64url;

const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// The RFC 7638 thumbprint, computed here from the raw key.
pub fn thumbprint(alg: Algorithm, public: &[u8]) -> String {
    let canonical = match alg {
        Algorithm::EdDSA => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, b64(public)),
        Algorithm::ES256 => format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            b64(&public[1..33]),
            b64(&public[33..])
        ),
        other => panic!("no thumbprint rule for {other}"),
    };
    b64(ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes()).as_ref())
}

/// Whether some JSON object anywhere in `text` names a member twice (`None`: not JSON).
fn repeats_a_member(text: &str) -> Option<bool> {
    use serde::de::{Deserializer as _, MapAccess, SeqAccess, Visitor};

    /// Visits every value; `self.0` becomes true at the first object with a repeated name.
    struct Names<'a>(&'a mut bool);

    impl<'de> serde::de::DeserializeSeed<'de> for Names<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Names<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element_seed(Names(&mut *self.0))?.is_some() {}
            Ok(())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut seen = std::collections::BTreeSet::new();
            while let Some(name) = map.next_key::<String>()? {
                if !seen.insert(name) {
                    *self.0 = true;
                }
                map.next_value_seed(Names(&mut *self.0))?;
            }
            Ok(())
        }
    }

    let mut repeated = false;
    let mut reader = serde_json::Deserializer::from_str(text);
    reader.deserialize_any(Names(&mut repeated)).ok()?;
    reader.end().ok()?;
    Some(repeated)
}

/// One JWK by the rules: the key, `None` for a key the set skips (another type or use), or
/// every code of a rule it breaks. The checks up to the skip decide whether a key counts at all,
/// so they run in the order PROTOCOL.md §7 gives: private members, `kty`/`crv`, `use`, `key_ops`.
#[allow(clippy::type_complexity)]
fn read_key(jwk: &Value) -> Result<Option<(Algorithm, Vec<u8>)>, Vec<&'static str>> {
    let Some(jwk) = jwk.as_object() else {
        return Err(vec!["invalid_jwk"]);
    };
    if PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
        return Err(vec!["private_key_in_public_set"]);
    }
    let text = |name: &str| match jwk.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(vec!["invalid_jwk"]),
    };
    let kty = text("kty")?.ok_or(vec!["invalid_jwk"])?;
    if kty != "OKP" && kty != "EC" {
        return Ok(None);
    }
    let crv = text("crv")?.unwrap_or_default();
    let alg = match (kty.as_str(), crv.as_str()) {
        ("OKP", "Ed25519") => Algorithm::EdDSA,
        ("EC", "P-256") => Algorithm::ES256,
        _ => return Ok(None),
    };
    if text("use")?.is_some_and(|usage| usage != "sig") {
        return Ok(None);
    }
    match jwk.get("key_ops") {
        None => {}
        Some(Value::Array(ops)) if !ops.iter().any(|op| op.as_str() == Some("verify")) => {
            return Ok(None);
        }
        Some(Value::Array(ops)) if ops.iter().all(|op| op.as_str() == Some("verify")) => {}
        Some(Value::Array(_)) => return Err(vec!["not_a_signature_key"]),
        Some(_) => return Err(vec!["invalid_jwk"]),
    }
    // `alg`: the key type's JOSE or RFC 9864 name; another protocol name is a broken key; any
    // other algorithm makes the key one for something else.
    let names = |a: Algorithm| match a {
        Algorithm::EdDSA => ["EdDSA", "Ed25519"],
        _ => ["ES256", "ESP256"],
    };
    let alg_found = text("alg")?;
    if let Some(found) = &alg_found
        && !names(alg).contains(&found.as_str())
    {
        let ours = [Algorithm::EdDSA, Algorithm::ES256]
            .iter()
            .any(|a| names(*a).contains(&found.as_str()));
        if !ours {
            return Ok(None);
        }
    }
    // From here on, every rule broken is a code the crate may report.
    let mut broken = Vec::new();
    let mut coordinate = |name: &str| match jwk.get(name) {
        Some(Value::String(s)) => match canonical_base64url(s) {
            Some(bytes) if bytes.len() == 32 => bytes,
            _ => {
                broken.push("invalid_jwk");
                vec![0; 32]
            }
        },
        _ => {
            broken.push("invalid_jwk");
            vec![0; 32]
        }
    };
    let public = match alg {
        Algorithm::EdDSA => coordinate("x"),
        _ => [vec![4], coordinate("x"), coordinate("y")].concat(),
    };
    if alg == Algorithm::EdDSA && weak_ed25519(&public) {
        broken.push("weak_public_key");
    }
    if alg_found.is_some_and(|found| !names(alg).contains(&found.as_str())) {
        broken.push("jwk_alg_mismatch");
    }
    match text("kid") {
        Err(codes) => broken.extend(codes),
        Ok(Some(kid)) if kid != thumbprint(alg, &public) => broken.push("kid_mismatch"),
        Ok(_) => {}
    }
    if broken.is_empty() {
        Ok(Some((alg, public)))
    } else {
        Err(broken)
    }
}

/// Small-order Ed25519 points (sign bit cleared, little-endian hex) and `y >= p`.
fn weak_ed25519(x: &[u8]) -> bool {
    const SMALL_ORDER_HEX: [&str; 5] = [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    ];
    let mut y = x.to_vec();
    if let Some(last) = y.last_mut() {
        *last &= 0x7f;
    }
    let hex: String = y.iter().map(|b| format!("{b:02x}")).collect();
    // y as a number, most significant byte first, compared with p = 2^255 - 19.
    let p_hex = format!("7f{}ed", "ff".repeat(30));
    let big_endian: String = y.iter().rev().map(|b| format!("{b:02x}")).collect();
    SMALL_ORDER_HEX.contains(&hex.as_str()) || big_endian >= p_hex
}

/// A whole JWKS by the rules: the keys, or the codes the crate may report.
fn read_set(text: &str) -> Result<Vec<(Algorithm, Vec<u8>)>, Vec<&'static str>> {
    let value: Value = serde_json::from_str(text).map_err(|_| vec!["invalid_json"])?;
    if repeats_a_member(text) != Some(false) {
        return Err(vec!["duplicate_jwk_member"]);
    }
    let Some(set) = value.as_object() else {
        return Err(vec!["invalid_jwk"]);
    };
    let Some(keys) = set.get("keys") else {
        if PRIVATE_MEMBERS.iter().any(|m| set.contains_key(*m)) {
            return Err(vec!["private_jwk_as_jwks"]);
        }
        return Err(vec!["invalid_jwk"]);
    };
    let Some(keys) = keys.as_array() else {
        return Err(vec!["invalid_jwk"]);
    };
    if keys.len() > 10_000 {
        return Err(vec!["invalid_jwk"]);
    }
    let mut read = Vec::new();
    for key in keys {
        read.extend(read_key(key)?);
    }
    if keys.is_empty() {
        return Err(vec!["empty_key_set"]);
    }
    if read.is_empty() {
        return Err(vec!["no_usable_key"]);
    }
    let mut kids: Vec<String> = read.iter().map(|(a, p)| thumbprint(*a, p)).collect();
    kids.sort();
    if kids.windows(2).any(|w| w[0] == w[1]) {
        return Err(vec!["duplicate_kid"]);
    }
    Ok(read)
}

/// Every string value of a private member anywhere in the document.
fn private_values(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (name, member) in map {
                if let (true, Value::String(s)) = (PRIVATE_MEMBERS.contains(&name.as_str()), member)
                {
                    out.push(s.clone());
                }
                private_values(member, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| private_values(v, out)),
        _ => {}
    }
}

/// The property of target `jwks`.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let got = KeySet::from_jwks_json(text);
    match (&got, read_set(text)) {
        (Ok(set), Ok(keys)) => {
            assert_eq!(set.len(), keys.len());
            for (key, (alg, public)) in set.iter().zip(&keys) {
                assert_eq!((key.algorithm(), key.as_bytes()), (*alg, public.as_slice()));
                assert_eq!(key.kid(), thumbprint(*alg, public));
                assert_eq!(set.get(key.kid()), Some(key));
                assert_eq!(&PublicKey::from_jwk(&key.to_jwk()).expect("own JWK"), key);
            }
            round_trip(set);
        }
        (Err(error), Err(codes)) => {
            assert!(
                codes.contains(&error.code()),
                "refused with {error:?}, but the rules broken are {codes:?}"
            );
            let mut secrets = Vec::new();
            if let Ok(value) = serde_json::from_str::<Value>(text) {
                private_values(&value, &mut secrets);
            }
            let message = format!("{error} {error:?}");
            // A secret also spelled elsewhere in the input (inside a kid, say) may be quoted from
            // there legitimately; only one that appears solely as a private value is checked.
            for secret in secrets
                .iter()
                .filter(|s| s.len() >= 8 && text.matches(s.as_str()).count() == 1)
            {
                assert!(
                    !message.contains(secret.as_str()),
                    "error quotes private key material"
                );
            }
        }
        (Ok(_), Err(codes)) => panic!("accepted a key set that breaks {codes:?}"),
        (Err(error), Ok(_)) => panic!("refused a valid key set with {error:?}"),
    }
}

fn round_trip(set: &KeySet) {
    let text = set.to_jwks_json();
    let again = KeySet::from_jwks_json(&text).expect("the crate reads its own JWKS");
    assert_eq!(&again, set);
    assert_eq!(again.to_jwks_json(), text, "serialization is not stable");
    let value: Value = serde_json::from_str(&text).expect("JSON");
    for jwk in value["keys"].as_array().expect("keys") {
        let members: Vec<&str> = jwk
            .as_object()
            .map(Map::keys)
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        assert!(
            members
                .iter()
                .all(|m| ["kty", "crv", "x", "y", "kid", "alg", "use"].contains(m)),
            "unexpected members in the published JWKS: {members:?}"
        );
    }
}
