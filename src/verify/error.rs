//! The errors of verification: [`VerifyError`] (why a token was refused, with a stable code and
//! the [`Fault`] it is), [`Segment`], and [`VerifierConfigError`].
//!
//! Messages say what was expected and what was found, and never contain key material or a whole
//! token: every value taken from a token goes through [`Quoted`].

use std::fmt;

use crate::keys::KeysFailure;
use crate::quoted::Quoted;
use crate::replay::{ReplayError, StoreFailure};
use crate::wire::{IssuerId, PluginId};

/// The part of a compact JWS a structural error refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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
    #[error("the header has no typ; expected \"{}\"", crate::wire::TOKEN_TYPE)]
    MissingTyp,
    /// The header's `typ` is not the launch-token type.
    #[error("typ {found} is not \"{}\"", crate::wire::TOKEN_TYPE)]
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
    /// `iss` is not the expected issuer (compared exactly: a trailing slash makes another issuer).
    #[error("wrong issuer: expected \"{expected}\", found {found}")]
    WrongIssuer {
        /// The issuer the verifier expects.
        expected: IssuerId,
        /// The `iss` found (excerpt, head and tail kept).
        found: Quoted,
    },
    /// `aud` is not this plugin's id: the token is for another plugin.
    #[error("wrong audience: expected \"{expected}\", found {found}")]
    WrongAudience {
        /// The plugin id the verifier expects.
        expected: PluginId,
        /// The `aud` found (excerpt).
        found: Quoted,
    },
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
    #[error("unknown role {found}; expected cliente, sindico or gestor")]
    UnknownRole {
        /// The `role` found (excerpt).
        found: Quoted,
    },
    /// The token's `jti` was already accepted: a replay.
    #[error("token already used")]
    Replayed,
    /// The replay store could not answer (unreachable, timed out): verification fails closed.
    #[error("replay store unavailable: {failure}")]
    ReplayStoreUnavailable {
        /// What went wrong (never a secret or a URL).
        failure: StoreFailure,
    },
    /// The in-memory replay guard is full of live tokens: verification fails closed.
    #[error("replay guard is at capacity ({capacity} live tokens)")]
    ReplayCapacityExceeded {
        /// The configured capacity.
        capacity: usize,
    },
    /// The portal's keys are unavailable: the key cache has never obtained a key set, or the
    /// token's `kid` is unknown while the last fetch failed (the portal may have rotated to it).
    #[error("the portal's keys are unavailable: {}", match last_failure {
        Some(failure) => failure as &dyn std::fmt::Display,
        None => &"no fetch has completed yet",
    })]
    KeysUnavailable {
        /// What the last fetch failed with, if one was made (never a URL or a credential).
        last_failure: Option<KeysFailure>,
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
            VerifyError::WrongIssuer { .. } => "wrong_issuer",
            VerifyError::WrongAudience { .. } => "wrong_audience",
            VerifyError::Expired { .. } => "expired",
            VerifyError::NotYetValid { .. } => "not_yet_valid",
            VerifyError::IssuedInFuture { .. } => "issued_in_future",
            VerifyError::LifetimeTooLong { .. } => "lifetime_too_long",
            VerifyError::InvalidClaim { .. } => "invalid_claim",
            VerifyError::MissingClaim { .. } => "missing_claim",
            VerifyError::UnknownRole { .. } => "unknown_role",
            VerifyError::Replayed => "replayed",
            VerifyError::ReplayStoreUnavailable { .. } => "replay_store_unavailable",
            VerifyError::ReplayCapacityExceeded { .. } => "replay_capacity_exceeded",
            VerifyError::KeysUnavailable { .. } => "keys_unavailable",
        }
    }

    /// Whose fault the failure is, and so how to answer it.
    pub fn fault(&self) -> Fault {
        match self {
            VerifyError::ReplayStoreUnavailable { .. }
            | VerifyError::ReplayCapacityExceeded { .. }
            | VerifyError::KeysUnavailable { .. } => Fault::Unavailable,
            _ => Fault::Token,
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

/// Whose fault a failed verification is: what a vendor answers, and whether to retry.
///
/// ```
/// use cv_portal_plugin::Fault;
/// # fn answer(error: cv_portal_plugin::VerifyError) -> u16 {
/// match error.fault() {
///     Fault::Token => 401,       // refuse this token; the person opens the plugin again
///     Fault::Unavailable => 503, // our keys or replay store are down; the token may verify later
///     _ => 500,
/// }
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// The token presented is at fault (malformed, forged, expired, replayed, for another issuer or
    /// plugin): answer 401 (RFC 6750 `invalid_token`); the same token will never verify.
    Token,
    /// The verifier could not decide: it has no key set, or its replay store cannot answer or is
    /// full. Answer 503; the token was most likely not consumed and may verify once the service
    /// recovers (a store that applied the insert but answered after the deadline did consume it).
    Unavailable,
}

impl Fault {
    /// The HTTP status that fits: 401 for [`Fault::Token`], 503 for [`Fault::Unavailable`].
    pub fn http_status(self) -> u16 {
        match self {
            Fault::Token => 401,
            Fault::Unavailable => 503,
        }
    }
}

/// Why a [`Verifier`](crate::Verifier) could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifierConfigError {
    /// Neither a key set nor a key cache was given.
    #[error("the verifier needs keys: a key source, a key set or a key cache")]
    NoKeys,
    /// Single use was not chosen. A guard the verifier made for itself would silently stop
    /// being single use with a verifier per request or a second instance, so there is no default.
    #[error(
        "choose how launch tokens stay single use: `.replay_guard(Arc::clone(&shared))` with one \
         InMemoryReplayGuard shared by the process (or a RedisReplayGuard shared by every \
         instance), `.replay_guard_async(guard)` in an async service (an \
         AsyncRedisReplayGuard), or `.dangerous_disable_replay_guard()`"
    )]
    NoReplayGuard,
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
            VerifierConfigError::NoReplayGuard => "no_replay_guard",
            VerifierConfigError::LeewayTooLarge { .. } => "leeway_too_large",
            VerifierConfigError::MaxTokenLength { .. } => "max_token_length_out_of_range",
        }
    }

    /// Every code of this enum.
    pub const ALL_CODES: &'static [&'static str] = &[
        "no_keys",
        "no_replay_guard",
        "leeway_too_large",
        "max_token_length_out_of_range",
    ];
}

impl From<ReplayError> for VerifyError {
    fn from(error: ReplayError) -> Self {
        match error {
            ReplayError::Replayed => VerifyError::Replayed,
            ReplayError::Unavailable(failure) => VerifyError::ReplayStoreUnavailable { failure },
            ReplayError::CapacityExceeded(capacity) => {
                VerifyError::ReplayCapacityExceeded { capacity }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_codes_lists_exactly_the_codes_of_the_variants() {
        let q = || Quoted::ascii("x");
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
            VerifyError::KeysUnavailable { last_failure: None },
            VerifyError::AlgMismatch {
                expected: "EdDSA",
                found: "ES256",
            },
            VerifyError::BadSignature,
            VerifyError::MissingClaim { claim: "exp" },
            VerifyError::InvalidClaim { claim: "exp" },
            VerifyError::UnknownRole { found: q() },
            VerifyError::WrongIssuer {
                expected: IssuerId::new("https://a").unwrap(),
                found: q(),
            },
            VerifyError::WrongAudience {
                expected: PluginId::new("a").unwrap(),
                found: q(),
            },
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
                failure: StoreFailure::new("SET", crate::replay::StoreCause::Timeout),
            },
            VerifyError::ReplayCapacityExceeded { capacity: 1 },
        ];
        let codes: Vec<&str> = every_variant.iter().map(VerifyError::code).collect();
        assert_eq!(codes, VerifyError::ALL_CODES, "ALL_CODES is in check order");
        let unavailable: Vec<&str> = every_variant
            .iter()
            .filter(|e| e.fault() == Fault::Unavailable)
            .map(VerifyError::code)
            .collect();
        assert_eq!(
            unavailable,
            [
                "keys_unavailable",
                "replay_store_unavailable",
                "replay_capacity_exceeded"
            ]
        );
    }

    #[test]
    fn verifier_config_codes_are_listed() {
        let every_variant = [
            VerifierConfigError::NoKeys,
            VerifierConfigError::NoReplayGuard,
            VerifierConfigError::LeewayTooLarge { seconds: 1, max: 0 },
            VerifierConfigError::MaxTokenLength {
                len: 0,
                min: 1,
                max: 2,
            },
        ];
        let codes: Vec<&str> = every_variant
            .iter()
            .map(VerifierConfigError::code)
            .collect();
        assert_eq!(codes, VerifierConfigError::ALL_CODES);
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
