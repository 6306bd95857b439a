//! Keys of the launch-token protocol: the [`Algorithm`]s, public keys and key sets (vendor and
//! portal), and the portal's signing keys. PKCS#8, PEM and JWK forms.
//!
//! Only two signature algorithms exist here, each with exactly one curve: Ed25519 (`EdDSA`, the
//! default) and P-256 (`ES256`, for stacks without Ed25519). A key's algorithm is fixed when it is
//! created or parsed, and a token is verified only with the algorithm pinned to its key. Every
//! key's `kid` is its RFC 7638 JWK thumbprint, so key ids are derived, never chosen.
//!
//! Private key material never appears in `Debug` output or error messages, and the buffers that
//! hold it are wiped before they are freed (feature `portal`, see `SigningKey`).

#[cfg(feature = "vendor")]
mod cache;
mod error;
mod json;
mod jwk;
#[cfg(any(feature = "portal", test))]
mod pkcs8;
mod set;
#[cfg(any(feature = "portal", test))]
mod signing;
#[cfg(feature = "vendor")]
mod source;

use std::fmt;

#[cfg(feature = "vendor")]
pub use cache::{FetchError, KeyCache, KeyCacheBuilder, KeysFailure};
pub use error::KeyError;
pub use set::KeySet;
#[cfg(any(feature = "portal", test))]
pub use signing::SigningKey;
#[cfg(feature = "vendor")]
pub use source::{
    FetchedKeys, KeySource, KeySourceBuilder, ManualMonotonicClock, MonotonicClock,
    StdMonotonicClock, max_age_from_cache_control,
};

use crate::quoted::Quoted;

/// Overwrites private key material before its memory is released (zeroize's volatile writes, which
/// the optimizer cannot drop). Only the portal holds private keys; a vendor-only build, which
/// never reads one outside its tests, does not depend on zeroize and does nothing here.
#[cfg(feature = "portal")]
fn wipe<Z: zeroize::Zeroize + ?Sized>(secret: &mut Z) {
    secret.zeroize();
}

/// Overwrites private key material (a vendor-only build holds none: nothing to do).
#[cfg(not(feature = "portal"))]
fn wipe<Z: ?Sized>(_secret: &mut Z) {}

/// A signature algorithm of the launch-token protocol. More may be added, so match with a `_` arm.
///
/// ```
/// use cv_portal_plugin::Algorithm;
/// assert_eq!("ES256".parse::<Algorithm>()?, Algorithm::ES256);
/// assert_eq!("HS256".parse::<Algorithm>().unwrap_err().code(), "unsupported_algorithm");
/// # Ok::<(), cv_portal_plugin::KeyError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
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

    /// Every algorithm, in a fixed order (a slice, so that a new one is not a breaking change).
    pub const ALL: &'static [Algorithm] = &[Algorithm::EdDSA, Algorithm::ES256];

    #[cfg(feature = "vendor")]
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
        Algorithm::ALL
            .iter()
            .copied()
            .find(|alg| alg.as_str() == s)
            .ok_or_else(|| KeyError::UnsupportedAlgorithm {
                found: Quoted::ascii(s),
            })
    }
}

/// A public verification key with its pinned algorithm and `kid`.
#[derive(Clone)]
pub struct PublicKey {
    alg: Algorithm,
    kid: String,
    bytes: Vec<u8>,
    #[cfg(feature = "vendor")]
    decoding: jsonwebtoken::DecodingKey,
}

impl PublicKey {
    pub(crate) fn from_parts(alg: Algorithm, bytes: Vec<u8>, kid: String) -> PublicKey {
        PublicKey {
            alg,
            kid,
            #[cfg(feature = "vendor")]
            decoding: match alg {
                Algorithm::EdDSA => jsonwebtoken::DecodingKey::from_ed_der(&bytes),
                Algorithm::ES256 => jsonwebtoken::DecodingKey::from_ec_der(&bytes),
            },
            bytes,
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

    #[cfg(feature = "vendor")]
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
