//! A published set of public keys: the portal's JWKS document.

use std::collections::HashMap;

use serde_json::Value;

use super::KeyError;
use super::PublicKey;
use super::json::Document;
use super::jwk::{self, Expect, PRIVATE_MEMBERS, Reading};
use crate::quoted::Quoted;

/// A set of public keys indexed by `kid`, parsed from or serialized to a JWKS (RFC 7517 §5).
///
/// Parsing keeps the OKP/Ed25519 and EC/P-256 signature keys and pins each key's algorithm. As
/// RFC 7517 §5 asks, it skips keys of other types or curves (RSA, P-384, X25519, ...) and keys
/// whose `use` or `key_ops` is not for signatures, so a portal can publish them beside its
/// signing keys without freezing its vendors' key rotation; a set with no usable key at all is an
/// error. It rejects the whole set for a broken key of a supported type (bad coordinates, a `kid`
/// that is not the RFC 7638 thumbprint, a wrong `alg`), for private members in any key, for a
/// repeated `kid`, and for a JSON object that names a member twice.
///
/// ```
/// use cv_portal_plugin::{Algorithm, KeySet};
/// // The portal's JWKS as published (here the RFC 8037 example key).
/// let jwks = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","use":"sig",
///     "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
/// let set = KeySet::from_jwks_json(jwks)?;
/// let key = set.get("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k").expect("kid = thumbprint");
/// assert_eq!(key.algorithm(), Algorithm::EdDSA);
/// assert_eq!(KeySet::from_jwks_json(&set.to_jwks_json())?, set);
/// # Ok::<(), cv_portal_plugin::KeyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySet {
    keys: Vec<PublicKey>,
    index: HashMap<String, usize>,
}

impl KeySet {
    /// The upper bound on keys in one set. A rotation needs two or three; this only stops abuse.
    pub const MAX_KEYS: usize = 10_000;

    /// A set of the given keys, in order. Fails on an empty set or a repeated `kid`.
    pub fn new(keys: impl IntoIterator<Item = PublicKey>) -> Result<KeySet, KeyError> {
        let keys: Vec<PublicKey> = keys.into_iter().collect();
        if keys.is_empty() {
            return Err(KeyError::EmptyKeySet);
        }
        let mut index = HashMap::with_capacity(keys.len());
        for (i, key) in keys.iter().enumerate() {
            if index.insert(key.kid().to_owned(), i).is_some() {
                return Err(KeyError::DuplicateKid {
                    kid: Quoted::ascii(key.kid()),
                });
            }
        }
        Ok(KeySet { keys, index })
    }

    /// A set of exactly one key (cannot fail: one key has no duplicate).
    #[cfg(feature = "portal")]
    pub(crate) fn single(key: PublicKey) -> KeySet {
        let index = HashMap::from([(key.kid().to_owned(), 0)]);
        KeySet {
            keys: vec![key],
            index,
        }
    }

    /// Parses a JWKS document: `{"keys": [JWK, ...]}`.
    ///
    /// ```
    /// use cv_portal_plugin::KeySet;
    /// // An RSA key published beside the Ed25519 key is skipped, not an error.
    /// let jwks = r#"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"},
    ///     {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
    /// assert_eq!(KeySet::from_jwks_json(jwks)?.len(), 1);
    /// // A repeated member is refused, as in tokens.
    /// let repeated = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    ///     "x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}"#;
    /// assert_eq!(KeySet::from_jwks_json(repeated).unwrap_err().code(), "duplicate_jwk_member");
    /// # Ok::<(), cv_portal_plugin::KeyError>(())
    /// ```
    pub fn from_jwks_json(json: &str) -> Result<KeySet, KeyError> {
        let document = Document::parse(json)?;
        let set = document.as_object().ok_or(KeyError::InvalidJwk {
            reason: "a JWKS must be a JSON object with a \"keys\" array",
        })?;
        let Some(keys) = set.get("keys") else {
            // A single JWK where the set belongs; a private one is a leak worth naming.
            if PRIVATE_MEMBERS.iter().any(|m| set.contains_key(*m)) {
                return Err(KeyError::PrivateJwkAsJwks);
            }
            return Err(KeyError::InvalidJwk {
                reason: if set.contains_key("kty") {
                    "this is a single JWK, not a JWKS ({\"keys\": [JWK, ...]})"
                } else {
                    "a JWKS must be an object with a \"keys\" array"
                },
            });
        };
        let keys = keys.as_array().ok_or(KeyError::InvalidJwk {
            reason: "a JWKS must be an object with a \"keys\" array",
        })?;
        if keys.len() > KeySet::MAX_KEYS {
            return Err(KeyError::InvalidJwk {
                reason: "the JWKS has too many keys",
            });
        }
        let mut usable = Vec::with_capacity(keys.len());
        for key in keys {
            let object = key.as_object().ok_or(KeyError::InvalidJwk {
                reason: "every JWKS entry must be a JSON object",
            })?;
            if let Reading::Usable(parsed) = jwk::ParsedJwk::read(object, Expect::Public)? {
                usable.push(PublicKey::from_parsed(parsed));
            }
        }
        if usable.is_empty() && !keys.is_empty() {
            return Err(KeyError::NoUsableKey {
                skipped: keys.len(),
            });
        }
        KeySet::new(usable)
    }

    /// Serializes the set as a JWKS document (each key with `kid`, `alg` and `use: "sig"`).
    pub fn to_jwks_json(&self) -> String {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .map(|k| jwk::to_value(k.alg, &k.bytes, &k.kid))
            .collect();
        serde_json::json!({ "keys": keys }).to_string()
    }

    /// The key with this `kid`, if any.
    pub fn get(&self, kid: &str) -> Option<&PublicKey> {
        self.index.get(kid).map(|&i| &self.keys[i])
    }

    /// The keys, in document order.
    pub fn iter(&self) -> impl Iterator<Item = &PublicKey> {
        self.keys.iter()
    }

    /// The number of keys (at least one: a key set is never empty, hence no `is_empty`).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.keys.len()
    }
}
