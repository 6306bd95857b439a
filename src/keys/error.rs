//! [`KeyError`]: a problem with key material (generation, import, export, a JWKS document).

use crate::quoted::Quoted;

/// A problem with key material: generation, import, export or a JWKS document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The operating system's random generator failed while generating a key.
    #[error("the system random number generator failed while generating a key")]
    Rng,
    /// A JOSE `alg` name that is not `EdDSA` or `ES256`.
    #[error("unsupported algorithm {found}; expected \"EdDSA\" or \"ES256\"")]
    UnsupportedAlgorithm {
        /// The name found (excerpt).
        found: Quoted,
    },
    /// The bytes are not a PKCS#8 private key of a supported algorithm (Ed25519 or P-256).
    #[error("not a valid Ed25519 or P-256 PKCS#8 private key")]
    InvalidPkcs8,
    /// The text is not a PEM `PRIVATE KEY` block.
    #[error("not a PEM \"PRIVATE KEY\" block")]
    InvalidPem,
    /// A JWK or JWKS is not valid JSON or lacks a required member.
    #[error("invalid JWK: {reason}")]
    InvalidJwk {
        /// What is wrong (never contains key material).
        reason: &'static str,
    },
    /// The JWK's key type or curve is not OKP/Ed25519 or EC/P-256.
    #[error("unsupported key type: expected OKP/Ed25519 or EC/P-256")]
    UnsupportedKeyType,
    /// The JWK's `alg` does not match its key type.
    #[error("JWK alg {found} does not match the key type (expected {expected})")]
    AlgorithmMismatch {
        /// The algorithm the key type requires.
        expected: &'static str,
        /// The `alg` member found.
        found: Quoted,
    },
    /// The JWK's `use` or `key_ops` is not for signature verification.
    #[error("JWK is not a signature key (use must be \"sig\", key_ops only \"verify\")")]
    NotASignatureKey,
    /// The JWK's `kid` is not the RFC 7638 thumbprint of the key.
    #[error("JWK kid {found} is not the RFC 7638 thumbprint of the key")]
    KidMismatch {
        /// The `kid` member found.
        found: Quoted,
    },
    /// A public key set contains a private key member (`d`, `p`, `q`, `k`, ...).
    #[error("a public key set must not contain private key material (member \"{member}\")")]
    PrivatePartInPublicSet {
        /// The offending member name.
        member: &'static str,
    },
    /// Two keys in one set have the same `kid`.
    #[error("duplicate key id {kid} in key set")]
    DuplicateKid {
        /// The repeated key id.
        kid: Quoted,
    },
    /// The private and public parts of a key do not belong together, or a point is not on the curve.
    #[error("the key material is inconsistent or not on the curve")]
    InconsistentKey,
    /// The key set has no keys.
    #[error("the key set is empty")]
    EmptyKeySet,
}

impl KeyError {
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::Rng => "key_generation_failed",
            KeyError::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
            KeyError::InvalidPkcs8 => "invalid_pkcs8",
            KeyError::InvalidPem => "invalid_pem",
            KeyError::InvalidJwk { .. } => "invalid_jwk",
            KeyError::UnsupportedKeyType => "unsupported_key_type",
            KeyError::AlgorithmMismatch { .. } => "jwk_alg_mismatch",
            KeyError::NotASignatureKey => "not_a_signature_key",
            KeyError::KidMismatch { .. } => "kid_mismatch",
            KeyError::PrivatePartInPublicSet { .. } => "private_key_in_public_set",
            KeyError::DuplicateKid { .. } => "duplicate_kid",
            KeyError::InconsistentKey => "inconsistent_key",
            KeyError::EmptyKeySet => "empty_key_set",
        }
    }

    /// Every code of this enum.
    pub const ALL_CODES: &'static [&'static str] = &[
        "key_generation_failed",
        "unsupported_algorithm",
        "invalid_pkcs8",
        "invalid_pem",
        "invalid_jwk",
        "unsupported_key_type",
        "jwk_alg_mismatch",
        "not_a_signature_key",
        "kid_mismatch",
        "private_key_in_public_set",
        "duplicate_kid",
        "inconsistent_key",
        "empty_key_set",
    ];
}
