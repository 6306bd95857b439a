//! Errors of the token side of the crate: keys, issuing and verifying.
//!
//! Every enum is `#[non_exhaustive]` and every variant has a stable, machine-readable `code()`
//! (snake_case ASCII) that vendors can log and match on; PROTOCOL.md lists the verification codes.
//! Messages say what was expected and what was found, and never contain key material or a whole
//! token. Configuration errors live in [`crate::config`], because they carry bilingual messages for
//! portal admins.

use std::fmt;

/// The largest number of bytes of attacker-controlled text (an `alg` or header name) quoted back in
/// an error message.
const QUOTE_MAX: usize = 32;

/// A short, printable excerpt of untrusted text for error messages: at most 32 printable ASCII
/// characters, anything else replaced by `?`, and `…` when cut.
#[derive(Clone, PartialEq, Eq)]
pub struct Quoted(String);

impl Quoted {
    pub(crate) fn new(raw: &str) -> Self {
        let mut out: String = raw
            .chars()
            .take(QUOTE_MAX)
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        if raw.chars().count() > QUOTE_MAX {
            out.push('…');
        }
        Quoted(out)
    }

    /// The excerpt.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Quoted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Quoted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.0)
    }
}

/// A problem with key material: generation, import, export or a JWKS document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The operating system's random generator failed.
    #[error("the system random number generator failed")]
    Rng,
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
            KeyError::Rng => "rng_failure",
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
}

/// Why the issuer refused to mint a launch token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The plugin is not active: inactive plugins never get tokens.
    #[error("plugin is inactive")]
    PluginInactive,
    /// The viewer's role may not see this plugin (the menu rule), so it gets no token.
    #[error("plugin is not shown to role {role}")]
    NotVisibleToViewer {
        /// The viewer's role.
        role: crate::Role,
    },
    /// The clock reads a time outside the range a token can carry.
    #[error("the clock reads a time a token cannot carry")]
    ClockOutOfRange,
    /// The random generator failed while drawing a `jti`.
    #[error("the system random number generator failed")]
    Rng,
    /// The signing operation failed.
    #[error("signing failed")]
    Signing,
}

impl IssueError {
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            IssueError::PluginInactive => "plugin_inactive",
            IssueError::NotVisibleToViewer { .. } => "not_visible_to_viewer",
            IssueError::ClockOutOfRange => "clock_out_of_range",
            IssueError::Rng => "rng_failure",
            IssueError::Signing => "signing_failed",
        }
    }
}

/// The part of a compact JWS a structural error refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// The protected header (first segment).
    Header,
    /// The claims (second segment).
    Payload,
    /// The signature (third segment).
    Signature,
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Segment::Header => "header",
            Segment::Payload => "payload",
            Segment::Signature => "signature",
        })
    }
}

/// Why a launch token was rejected. Each variant has its own stable [`code`](Self::code).
///
/// Where time is the cause, the variant carries the measured skew in seconds (how far past `exp`,
/// how far before `nbf`), so operators can tell a clock problem from a stale link.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The token is longer than the verifier's maximum.
    #[error("token is {len} bytes long; the maximum is {max}")]
    TooLarge {
        /// The token's length.
        len: usize,
        /// The configured maximum.
        max: usize,
    },
    /// The token is not three dot-separated segments, or a segment is not the JSON it must be.
    #[error("malformed token: {reason}")]
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
    /// A segment is not canonical unpadded base64url (padding, `+`/`/`, whitespace, trailing bits).
    #[error("the {segment} segment is not canonical unpadded base64url")]
    NonCanonicalBase64 {
        /// The segment at fault.
        segment: Segment,
    },
    /// A JSON object in the token repeats a member name.
    #[error("the {segment} repeats the member \"{member}\"")]
    DuplicateMember {
        /// The segment at fault.
        segment: Segment,
        /// The repeated member (a known member name, so safe to show).
        member: &'static str,
    },
    /// `alg` is `none` (in any letter case).
    #[error("alg \"none\" is never accepted")]
    AlgNone,
    /// `alg` is missing or not `EdDSA`/`ES256` (HMAC and RSA are never accepted).
    #[error("unsupported alg {alg}; expected \"EdDSA\" or \"ES256\"")]
    UnsupportedAlg {
        /// The `alg` found (excerpt), or empty when missing.
        alg: Quoted,
    },
    /// `alg` is supported but is not the algorithm pinned to the key named by `kid`.
    #[error("alg {found} does not match the key's pinned algorithm \"{expected}\"")]
    AlgMismatch {
        /// The key's algorithm.
        expected: &'static str,
        /// The header's algorithm.
        found: &'static str,
    },
    /// The header has no `kid`.
    #[error("the header has no kid")]
    MissingKid,
    /// No published key has this `kid`.
    #[error("no key with kid {kid}")]
    UnknownKid {
        /// The `kid` found (excerpt).
        kid: Quoted,
    },
    /// The header has no `typ`.
    #[error("the header has no typ; expected \"{}\"", crate::claims::TOKEN_TYPE)]
    MissingTyp,
    /// The header's `typ` is not the launch-token type.
    #[error("typ {found} is not \"{}\"", crate::claims::TOKEN_TYPE)]
    WrongTyp {
        /// The `typ` found (excerpt).
        found: Quoted,
    },
    /// The header has a parameter other than `alg`, `typ` and `kid` (`crit`, `jku`, `jwk`, `x5u`,
    /// `x5c`, or anything else).
    #[error("header parameter {name} is not allowed")]
    ForbiddenHeader {
        /// The parameter name (excerpt).
        name: Quoted,
    },
    /// The signature does not verify with the key.
    #[error("the signature does not verify")]
    BadSignature,
    /// `iss` is not the expected issuer.
    #[error("wrong issuer")]
    WrongIssuer,
    /// `aud` is not this plugin's id.
    #[error("wrong audience: the token is for another plugin")]
    WrongAudience,
    /// `exp` has passed (beyond the leeway).
    #[error("token expired {seconds_ago} s ago (leeway {leeway} s)")]
    Expired {
        /// Seconds between `exp` and now.
        seconds_ago: i64,
        /// The leeway applied, in seconds.
        leeway: i64,
    },
    /// `nbf` is in the future (beyond the leeway).
    #[error("token not valid for another {seconds_ahead} s (leeway {leeway} s)")]
    NotYetValid {
        /// Seconds between now and `nbf`.
        seconds_ahead: i64,
        /// The leeway applied, in seconds.
        leeway: i64,
    },
    /// `iat` is in the future (beyond the leeway): the issuer's clock runs ahead of ours.
    #[error("token issued {seconds_ahead} s in the future (leeway {leeway} s)")]
    IssuedInFuture {
        /// Seconds between now and `iat`.
        seconds_ahead: i64,
        /// The leeway applied, in seconds.
        leeway: i64,
    },
    /// `exp - iat` is above the protocol's maximum lifetime.
    #[error("token lifetime {lifetime} s exceeds the maximum of {max} s")]
    LifetimeTooLong {
        /// `exp - iat`, in seconds.
        lifetime: i64,
        /// The maximum, in seconds.
        max: i64,
    },
    /// A claim has the wrong JSON type or an out-of-range value (a string `exp`, a float, a
    /// negative time, an over-long `jti`, ...).
    #[error("claim \"{claim}\" has the wrong type or an invalid value")]
    InvalidClaim {
        /// The claim name.
        claim: &'static str,
    },
    /// A required claim is missing.
    #[error("required claim \"{claim}\" is missing")]
    MissingClaim {
        /// The claim name.
        claim: &'static str,
    },
    /// `role` is not `cliente`, `sindico` or `gestor`.
    #[error("unknown role; expected cliente, sindico or gestor")]
    UnknownRole,
    /// The token's `jti` was already accepted: a replay.
    #[error("token already used")]
    Replayed,
    /// The replay store could not answer (unreachable, timed out): verification fails closed.
    #[error("replay store unavailable: {reason}")]
    ReplayStoreUnavailable {
        /// What went wrong (no secrets).
        reason: String,
    },
    /// The in-memory replay guard is full of live tokens: verification fails closed.
    #[error("replay guard is at capacity ({capacity} live tokens)")]
    ReplayCapacityExceeded {
        /// The configured capacity.
        capacity: usize,
    },
    /// The key cache has never obtained a key set (every fetch so far failed).
    #[error("no key set is available: {reason}")]
    KeysUnavailable {
        /// Why (no secrets).
        reason: String,
    },
}

impl VerifyError {
    /// The stable machine-readable code of this error (see PROTOCOL.md §6, "Verification").
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::TooLarge { .. } => "token_too_large",
            VerifyError::Malformed { .. } => "malformed",
            VerifyError::NonCanonicalBase64 { .. } => "non_canonical_base64",
            VerifyError::DuplicateMember { .. } => "duplicate_member",
            VerifyError::AlgNone => "alg_none",
            VerifyError::UnsupportedAlg { .. } => "unsupported_alg",
            VerifyError::AlgMismatch { .. } => "alg_mismatch",
            VerifyError::MissingKid => "missing_kid",
            VerifyError::UnknownKid { .. } => "unknown_kid",
            VerifyError::MissingTyp => "missing_typ",
            VerifyError::WrongTyp { .. } => "wrong_typ",
            VerifyError::ForbiddenHeader { .. } => "forbidden_header",
            VerifyError::BadSignature => "bad_signature",
            VerifyError::WrongIssuer => "wrong_issuer",
            VerifyError::WrongAudience => "wrong_audience",
            VerifyError::Expired { .. } => "expired",
            VerifyError::NotYetValid { .. } => "not_yet_valid",
            VerifyError::IssuedInFuture { .. } => "issued_in_future",
            VerifyError::LifetimeTooLong { .. } => "lifetime_too_long",
            VerifyError::InvalidClaim { .. } => "invalid_claim",
            VerifyError::MissingClaim { .. } => "missing_claim",
            VerifyError::UnknownRole => "unknown_role",
            VerifyError::Replayed => "replayed",
            VerifyError::ReplayStoreUnavailable { .. } => "replay_store_unavailable",
            VerifyError::ReplayCapacityExceeded { .. } => "replay_capacity_exceeded",
            VerifyError::KeysUnavailable { .. } => "keys_unavailable",
        }
    }

    /// Every verification error code, in the order of the checks of PROTOCOL.md §6 (the first
    /// failing check is the one reported). New codes may be added; none is renamed.
    pub const ALL_CODES: &'static [&'static str] = &[
        "token_too_large",
        "malformed",
        "non_canonical_base64",
        "alg_none",
        "unsupported_alg",
        "duplicate_member",
        "forbidden_header",
        "missing_typ",
        "wrong_typ",
        "missing_kid",
        "unknown_kid",
        "keys_unavailable",
        "alg_mismatch",
        "bad_signature",
        "missing_claim",
        "invalid_claim",
        "unknown_role",
        "wrong_issuer",
        "wrong_audience",
        "lifetime_too_long",
        "issued_in_future",
        "not_yet_valid",
        "expired",
        "replayed",
        "replay_store_unavailable",
        "replay_capacity_exceeded",
    ];
}

/// Why a [`Verifier`](crate::Verifier) could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifierConfigError {
    /// Neither a key set nor a key cache was given.
    #[error("the verifier needs a key set or a key cache")]
    NoKeys,
    /// The leeway is above the allowed maximum.
    #[error("leeway of {seconds} s is above the maximum of {max} s")]
    LeewayTooLarge {
        /// The requested leeway.
        seconds: u64,
        /// The maximum.
        max: u64,
    },
    /// The maximum token length is outside the accepted range.
    #[error("max token length {len} is outside {min}..={max}")]
    MaxTokenLength {
        /// The requested length.
        len: usize,
        /// The smallest accepted value.
        min: usize,
        /// The largest accepted value.
        max: usize,
    },
}

impl VerifierConfigError {
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            VerifierConfigError::NoKeys => "no_keys",
            VerifierConfigError::LeewayTooLarge { .. } => "leeway_too_large",
            VerifierConfigError::MaxTokenLength { .. } => "max_token_length_out_of_range",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_truncates_and_sanitizes() {
        assert_eq!(Quoted::new("EdDSA").as_str(), "EdDSA");
        assert_eq!(Quoted::new("a\nb\u{7f}é").as_str(), "a?b??");
        let long = "x".repeat(100);
        assert_eq!(Quoted::new(&long).as_str(), format!("{}…", "x".repeat(32)));
    }

    #[test]
    fn all_codes_lists_exactly_the_codes_of_the_variants() {
        let q = || Quoted::new("x");
        let every_variant = [
            VerifyError::TooLarge { len: 1, max: 0 },
            VerifyError::Malformed { reason: "" },
            VerifyError::NonCanonicalBase64 {
                segment: Segment::Header,
            },
            VerifyError::AlgNone,
            VerifyError::UnsupportedAlg { alg: q() },
            VerifyError::DuplicateMember {
                segment: Segment::Header,
                member: "alg",
            },
            VerifyError::ForbiddenHeader { name: q() },
            VerifyError::MissingTyp,
            VerifyError::WrongTyp { found: q() },
            VerifyError::MissingKid,
            VerifyError::UnknownKid { kid: q() },
            VerifyError::KeysUnavailable {
                reason: String::new(),
            },
            VerifyError::AlgMismatch {
                expected: "EdDSA",
                found: "ES256",
            },
            VerifyError::BadSignature,
            VerifyError::MissingClaim { claim: "exp" },
            VerifyError::InvalidClaim { claim: "exp" },
            VerifyError::UnknownRole,
            VerifyError::WrongIssuer,
            VerifyError::WrongAudience,
            VerifyError::LifetimeTooLong {
                lifetime: 1,
                max: 0,
            },
            VerifyError::IssuedInFuture {
                seconds_ahead: 1,
                leeway: 0,
            },
            VerifyError::NotYetValid {
                seconds_ahead: 1,
                leeway: 0,
            },
            VerifyError::Expired {
                seconds_ago: 1,
                leeway: 0,
            },
            VerifyError::Replayed,
            VerifyError::ReplayStoreUnavailable {
                reason: String::new(),
            },
            VerifyError::ReplayCapacityExceeded { capacity: 1 },
        ];
        let codes: Vec<&str> = every_variant.iter().map(VerifyError::code).collect();
        assert_eq!(codes, VerifyError::ALL_CODES, "ALL_CODES is in check order");
    }

    #[test]
    fn verify_codes_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for code in VerifyError::ALL_CODES {
            assert!(seen.insert(code), "duplicate code {code}");
            assert!(
                code.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            );
        }
    }
}
