//! [`KeyError`]: a problem with key material (generation, import, export, a JWKS document).

use crate::quoted::Quoted;

/// A problem with key material: generation, import, export or a JWKS document.
///
/// Messages never contain key material: at most a bounded excerpt of a `kid`, an `alg` or a
/// member name.
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
    /// The bytes are not a PKCS#8 private key document.
    #[error("not a valid PKCS#8 private key")]
    InvalidPkcs8,
    /// The bytes are not an RFC 5915 (SEC1) `ECPrivateKey`, the `EC PRIVATE KEY` PEM block.
    #[error("not a valid RFC 5915 EC private key (\"EC PRIVATE KEY\")")]
    InvalidSec1,
    /// The text holds no PEM block with a private key this crate reads.
    #[error(
        "no PEM \"PRIVATE KEY\" or \"EC PRIVATE KEY\" block with valid base64 \
         (encrypted keys are not read)"
    )]
    InvalidPem,
    /// A public key was given where a private key is needed (a PEM `PUBLIC KEY` block, a DER
    /// SubjectPublicKeyInfo, a JWK without `d`).
    #[error("this is a public key ({form}); a private key is needed here")]
    PublicKeyInsteadOfPrivate {
        /// The form found, for example `PEM "PUBLIC KEY" block`.
        form: &'static str,
    },
    /// A P-256 private key without its uncompressed public point, which the crate needs to load
    /// it (ring checks the pair but does not derive the point).
    #[error(
        "the EC private key does not include its uncompressed public key; \
         `openssl ec -in KEY -out KEY.pem` writes a copy that does"
    )]
    MissingPublicKey,
    /// The document is not valid JSON.
    #[error("the JWK or JWKS document is not valid JSON")]
    InvalidJson,
    /// A JSON object of a JWK or JWKS names the same member twice (RFC 7517 §4: member names
    /// must be unique; a parser that keeps one of them silently is ambiguous).
    #[error("a JSON object of the JWK or JWKS repeats the member {member}")]
    DuplicateMember {
        /// The repeated member name (excerpt).
        member: Quoted,
    },
    /// A JWK or JWKS is valid JSON but lacks a required member or has one of the wrong type.
    #[error("invalid JWK: {reason}")]
    InvalidJwk {
        /// What is wrong (never contains key material).
        reason: &'static str,
    },
    /// The key type or curve is not Ed25519 or P-256.
    #[error(
        "unsupported key type or curve: only Ed25519 (OKP) and P-256 (EC, named curve) keys \
         are supported"
    )]
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
    /// A public key or key set contains a private key member (`d`, `p`, `q`, `k`, ...).
    #[error(
        "private key material (member \"{member}\") where only public keys belong: \
         a private key was published"
    )]
    PrivatePartInPublicSet {
        /// The offending member name.
        member: &'static str,
    },
    /// The document served as the JWKS is a private JWK itself: the signing key was published
    /// where the public key set belongs.
    #[error(
        "the document is a private JWK, not a JWKS: the private signing key was served where \
         the public key set belongs (treat the key as exposed and rotate it)"
    )]
    PrivateJwkAsJwks,
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
    /// The JWKS has keys, but none is an Ed25519 or P-256 signature key: all were skipped.
    #[error(
        "the JWKS has no Ed25519 or P-256 signature key ({skipped} key(s) of other types or \
         uses skipped)"
    )]
    NoUsableKey {
        /// How many keys were skipped.
        skipped: usize,
    },
    /// An Ed25519 public key of small order (or not canonically encoded): with it, anyone could
    /// make signatures that verify. No genuine key is one; a zeroed or corrupted key is.
    #[error("the Ed25519 public key is a weak (small-order or non-canonical) point")]
    WeakPublicKey,
}

impl KeyError {
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::Rng => "key_generation_failed",
            KeyError::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
            KeyError::InvalidPkcs8 => "invalid_pkcs8",
            KeyError::InvalidSec1 => "invalid_sec1",
            KeyError::InvalidPem => "invalid_pem",
            KeyError::PublicKeyInsteadOfPrivate { .. } => "public_key_instead_of_private",
            KeyError::MissingPublicKey => "ec_public_key_missing",
            KeyError::InvalidJson => "invalid_json",
            KeyError::DuplicateMember { .. } => "duplicate_jwk_member",
            KeyError::InvalidJwk { .. } => "invalid_jwk",
            KeyError::UnsupportedKeyType => "unsupported_key_type",
            KeyError::AlgorithmMismatch { .. } => "jwk_alg_mismatch",
            KeyError::NotASignatureKey => "not_a_signature_key",
            KeyError::KidMismatch { .. } => "kid_mismatch",
            KeyError::PrivatePartInPublicSet { .. } => "private_key_in_public_set",
            KeyError::PrivateJwkAsJwks => "private_jwk_as_jwks",
            KeyError::DuplicateKid { .. } => "duplicate_kid",
            KeyError::InconsistentKey => "inconsistent_key",
            KeyError::EmptyKeySet => "empty_key_set",
            KeyError::NoUsableKey { .. } => "no_usable_key",
            KeyError::WeakPublicKey => "weak_public_key",
        }
    }

    /// Every code of this enum, in the order of the variants. New codes may be added; none is
    /// renamed.
    pub const ALL_CODES: &'static [&'static str] = &[
        "key_generation_failed",
        "unsupported_algorithm",
        "invalid_pkcs8",
        "invalid_sec1",
        "invalid_pem",
        "public_key_instead_of_private",
        "ec_public_key_missing",
        "invalid_json",
        "duplicate_jwk_member",
        "invalid_jwk",
        "unsupported_key_type",
        "jwk_alg_mismatch",
        "not_a_signature_key",
        "kid_mismatch",
        "private_key_in_public_set",
        "private_jwk_as_jwks",
        "duplicate_kid",
        "inconsistent_key",
        "empty_key_set",
        "no_usable_key",
        "weak_public_key",
    ];
}
