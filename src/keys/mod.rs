//! Signing keys (the portal's), public keys and key sets (the vendor's), in PKCS#8, PEM and JWK.
//!
//! Only two signature algorithms exist here, each with exactly one curve: Ed25519 (`EdDSA`, the
//! default) and P-256 (`ES256`, for stacks without Ed25519). A key's algorithm is fixed when it is
//! created or parsed, and a token is verified only with the algorithm pinned to its key. Every
//! key's `kid` is its RFC 7638 JWK thumbprint, so key ids are derived, never chosen.
//!
//! Private key material never appears in `Debug` output or error messages.

mod cache;
mod jwk;
mod pkcs8;
mod set;

use std::fmt;

use ring::rand::SystemRandom;
use ring::signature::{self as ring_sig, KeyPair as _};

pub use cache::{FetchError, KeyCache, KeyCacheBuilder};
pub use set::KeySet;

use crate::error::KeyError;
use pkcs8::Pkcs8Secret;

/// A signature algorithm of the launch-token protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    /// Ed25519 signatures (RFC 8037), JOSE name `EdDSA`. The default.
    #[default]
    EdDSA,
    /// ECDSA on P-256 with SHA-256 and a raw 64-byte `r || s` signature, JOSE name `ES256`.
    ES256,
}

impl Algorithm {
    /// The JOSE `alg` name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::EdDSA => "EdDSA",
            Algorithm::ES256 => "ES256",
        }
    }

    /// Parses a JOSE `alg` name (exact case).
    pub fn from_jose(name: &str) -> Option<Algorithm> {
        match name {
            "EdDSA" => Some(Algorithm::EdDSA),
            "ES256" => Some(Algorithm::ES256),
            _ => None,
        }
    }

    pub(crate) const fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
            Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Algorithm {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::from_jose(s).ok_or(KeyError::UnsupportedKeyType)
    }
}

enum KeyPair {
    Ed25519(ring_sig::Ed25519KeyPair),
    P256(ring_sig::EcdsaKeyPair),
}

/// A private signing key of the portal, parsed once and ready to sign.
///
/// Create one with [`SigningKey::generate`], or import it from PKCS#8 (DER or PEM) or a private JWK.
/// `Debug` shows only the algorithm and `kid`.
pub struct SigningKey {
    alg: Algorithm,
    kid: String,
    secret: [u8; 32],
    public: Vec<u8>,
    pair: KeyPair,
    rng: SystemRandom,
}

impl SigningKey {
    /// Generates a new key with ring's system random generator.
    ///
    /// ```
    /// use cv_portal_plugin::{Algorithm, SigningKey};
    /// let key = SigningKey::generate(Algorithm::EdDSA)?;
    /// assert_eq!(key.algorithm(), Algorithm::EdDSA);
    /// assert_eq!(key.kid().len(), 43);
    /// # Ok::<(), cv_portal_plugin::KeyError>(())
    /// ```
    pub fn generate(alg: Algorithm) -> Result<SigningKey, KeyError> {
        let rng = SystemRandom::new();
        let document = match alg {
            Algorithm::EdDSA => ring_sig::Ed25519KeyPair::generate_pkcs8(&rng),
            Algorithm::ES256 => ring_sig::EcdsaKeyPair::generate_pkcs8(
                &ring_sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                &rng,
            ),
        }
        .map_err(|_| KeyError::Rng)?;
        SigningKey::from_pkcs8_der(document.as_ref())
    }

    /// Imports a PKCS#8 private key (v1 as openssl writes it, or v2 as ring writes it).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<SigningKey, KeyError> {
        let rng = SystemRandom::new();
        match pkcs8::parse(der)? {
            Pkcs8Secret::Ed25519(seed) => {
                let pair = ring_sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                    .map_err(|_| KeyError::InvalidPkcs8)?;
                let public = pair.public_key().as_ref().to_vec();
                Ok(SigningKey::assemble(
                    Algorithm::EdDSA,
                    seed,
                    public,
                    KeyPair::Ed25519(pair),
                    rng,
                ))
            }
            Pkcs8Secret::P256(d) => {
                let pair = ring_sig::EcdsaKeyPair::from_pkcs8(
                    &ring_sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                    der,
                    &rng,
                )
                .map_err(|_| KeyError::InvalidPkcs8)?;
                let public = pair.public_key().as_ref().to_vec();
                Ok(SigningKey::assemble(
                    Algorithm::ES256,
                    d,
                    public,
                    KeyPair::P256(pair),
                    rng,
                ))
            }
        }
    }

    /// Imports a PEM `PRIVATE KEY` block (PKCS#8).
    pub fn from_pkcs8_pem(pem: &str) -> Result<SigningKey, KeyError> {
        SigningKey::from_pkcs8_der(&pkcs8::from_pem(pem)?)
    }

    /// Imports a private JWK (OKP/Ed25519 or EC/P-256 with `d`). A `kid`, if present, must be the
    /// key's RFC 7638 thumbprint; an `alg`, if present, must match the key type.
    pub fn from_jwk(json: &str) -> Result<SigningKey, KeyError> {
        let parsed = jwk::ParsedJwk::from_json(json, jwk::Expect::Private)?;
        let secret = parsed.secret.ok_or(KeyError::InvalidJwk {
            reason: "a private JWK needs \"d\"",
        })?;
        let rng = SystemRandom::new();
        let pair = match parsed.alg {
            Algorithm::EdDSA => KeyPair::Ed25519(
                ring_sig::Ed25519KeyPair::from_seed_and_public_key(&secret, &parsed.public)
                    .map_err(|_| KeyError::InconsistentKey)?,
            ),
            Algorithm::ES256 => KeyPair::P256(
                ring_sig::EcdsaKeyPair::from_private_key_and_public_key(
                    &ring_sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &secret,
                    &parsed.public,
                    &rng,
                )
                .map_err(|_| KeyError::InconsistentKey)?,
            ),
        };
        Ok(SigningKey::assemble(
            parsed.alg,
            secret,
            parsed.public,
            pair,
            rng,
        ))
    }

    fn assemble(
        alg: Algorithm,
        secret: [u8; 32],
        public: Vec<u8>,
        pair: KeyPair,
        rng: SystemRandom,
    ) -> SigningKey {
        let kid = jwk::thumbprint(alg, &public);
        SigningKey {
            alg,
            kid,
            secret,
            public,
            pair,
            rng,
        }
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The key's id: its RFC 7638 JWK thumbprint (SHA-256, base64url).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The matching public key, for publication in a JWKS.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_parts(self.alg, self.public.clone(), self.kid.clone())
    }

    /// Exports the key as a PKCS#8 DER document (v1 for Ed25519, RFC 5915 with the public point
    /// for P-256), readable by openssl, ring and other JWT libraries.
    pub fn to_pkcs8_der(&self) -> Vec<u8> {
        match self.alg {
            Algorithm::EdDSA => pkcs8::ed25519_document(&self.secret),
            Algorithm::ES256 => pkcs8::p256_document(&self.secret, &self.public),
        }
    }

    /// Exports the key as a PEM `PRIVATE KEY` block.
    pub fn to_pkcs8_pem(&self) -> String {
        pkcs8::to_pem(&self.to_pkcs8_der())
    }

    /// Exports the key as a private JWK with `kid`, `alg` and `use`.
    pub fn to_jwk(&self) -> String {
        jwk::to_json(self.alg, &self.public, &self.kid, Some(&self.secret))
    }

    /// Signs `message`, returning the JWS signature bytes (64 bytes for both algorithms).
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, crate::IssueError> {
        match &self.pair {
            KeyPair::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
            KeyPair::P256(pair) => pair
                .sign(&self.rng, message)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| crate::IssueError::Signing),
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// A public verification key with its pinned algorithm and `kid`.
#[derive(Clone)]
pub struct PublicKey {
    alg: Algorithm,
    kid: String,
    bytes: Vec<u8>,
    decoding: jsonwebtoken::DecodingKey,
}

impl PublicKey {
    fn from_parts(alg: Algorithm, bytes: Vec<u8>, kid: String) -> PublicKey {
        let decoding = match alg {
            Algorithm::EdDSA => jsonwebtoken::DecodingKey::from_ed_der(&bytes),
            Algorithm::ES256 => jsonwebtoken::DecodingKey::from_ec_der(&bytes),
        };
        PublicKey {
            alg,
            kid,
            bytes,
            decoding,
        }
    }

    /// Parses a public JWK (OKP/Ed25519 or EC/P-256). Private members are rejected.
    pub fn from_jwk(json: &str) -> Result<PublicKey, KeyError> {
        let parsed = jwk::ParsedJwk::from_json(json, jwk::Expect::Public)?;
        Ok(PublicKey::from_parsed(parsed))
    }

    fn from_parsed(parsed: jwk::ParsedJwk) -> PublicKey {
        let kid = jwk::thumbprint(parsed.alg, &parsed.public);
        PublicKey::from_parts(parsed.alg, parsed.public, kid)
    }

    /// The algorithm pinned to this key.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The key's id (RFC 7638 thumbprint).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The raw public key: 32 bytes for Ed25519, the 65-byte uncompressed point for P-256.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The public JWK, with `kid`, `alg` and `use`.
    pub fn to_jwk(&self) -> String {
        jwk::to_json(self.alg, &self.bytes, &self.kid, None)
    }

    pub(crate) fn decoding_key(&self) -> &jsonwebtoken::DecodingKey {
        &self.decoding
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.alg == other.alg && self.bytes == other.bytes
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
