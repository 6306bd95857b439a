//! The errors of vendor sessions: [`SessionError`] (why a session token, a ticket or a request's
//! credential was refused, or a session could not start), [`SessionConfigError`] (why a key or a
//! [`Sessions`](super::Sessions) could not be built), [`OriginError`] and [`ExchangeUrlError`].
//!
//! Messages never hold a token, a secret or a whole header: values read from a request go
//! through [`Quoted`].

use std::fmt;

use crate::quoted::Quoted;
use crate::replay::StoreFailure;
use crate::verify::Fault;

/// Which of the vendor's own tokens an error is about; it picks the code's prefix
/// (`session_…` or `ticket_…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// A session token (`typ` `cv-plugin-session+jwt`).
    Session,
    /// A download ticket (`typ` `cv-plugin-ticket+jwt`).
    Ticket,
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenKind::Session => "session token",
            TokenKind::Ticket => "ticket",
        })
    }
}

/// Why a session token, a download ticket or a request's credential was refused, or why a
/// session could not start. Each variant (and, for the token checks, each [`TokenKind`]) has its
/// own stable [`code`](Self::code); [`http_status`](Self::http_status) says how to answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The token is longer than the crate ever mints.
    #[error("{kind} is {len} bytes long; the maximum is {max}")]
    TooLarge {
        /// Session token or ticket.
        kind: TokenKind,
        /// Its length.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// The token is not three canonical base64url segments with the exact header and claims the
    /// crate writes.
    #[error("malformed {kind}: {reason}")]
    Malformed {
        /// Session token or ticket.
        kind: TokenKind,
        /// What is wrong.
        reason: &'static str,
    },
    /// The header's `typ` is another token type: a launch token presented as a session, a
    /// session token presented as a ticket, ...
    #[error("expected a {kind}, found typ {found}")]
    WrongType {
        /// What was expected.
        kind: TokenKind,
        /// The `typ` found (excerpt), or `(none)`.
        found: Quoted,
    },
    /// No current or previous session key has this `kid` (a removed key, or another vendor's).
    #[error("no session key with kid {kid} ({kind})")]
    UnknownKid {
        /// Session token or ticket.
        kind: TokenKind,
        /// The `kid` found (excerpt).
        kid: Quoted,
    },
    /// The MAC does not verify.
    #[error("the {kind}'s MAC does not verify")]
    BadSignature {
        /// Session token or ticket.
        kind: TokenKind,
    },
    /// The launch or token names another portal than this [`Sessions`](super::Sessions)'s.
    #[error("{kind} for issuer {found}; expected \"{expected}\"")]
    WrongIssuer {
        /// Session token or ticket.
        kind: TokenKind,
        /// The configured issuer.
        expected: String,
        /// The issuer found (excerpt).
        found: Quoted,
    },
    /// The launch or token names another plugin than this [`Sessions`](super::Sessions)'s.
    #[error("{kind} for plugin {found}; expected \"{expected}\"")]
    WrongAudience {
        /// Session token or ticket.
        kind: TokenKind,
        /// The configured plugin id.
        expected: String,
        /// The plugin id found (excerpt).
        found: Quoted,
    },
    /// `iat` is ahead of this instance's clock by more than the leeway: instances' clocks differ.
    #[error("{kind} issued {seconds_ahead} s in the future")]
    IssuedInFuture {
        /// Session token or ticket.
        kind: TokenKind,
        /// Seconds between now and `iat`.
        seconds_ahead: i64,
    },
    /// `exp` has passed: the idle window (session) or the ticket's minute ended.
    #[error("{kind} expired {seconds_ago} s ago")]
    Expired {
        /// Session token or ticket.
        kind: TokenKind,
        /// Seconds since `exp`.
        seconds_ago: i64,
    },
    /// The session reached its absolute cap, counted from the launch: a new launch is needed.
    #[error("session started {age} s ago; sessions last at most {max} s from the launch")]
    TooOld {
        /// Seconds since the launch (`lat`).
        age: i64,
        /// The absolute cap, in seconds.
        max: i64,
    },
    /// The session (or the session a ticket belongs to) was revoked.
    #[error("the {kind}'s session was revoked")]
    Revoked {
        /// Session token or ticket.
        kind: TokenKind,
    },
    /// The revocation store could not answer: fail closed (503), never "not revoked".
    #[error("revocation store unavailable: {failure}")]
    StoreUnavailable {
        /// What went wrong (no secret, no URL).
        failure: StoreFailure,
    },
    /// The system random generator failed (a session id or ticket id could not be drawn).
    #[error("the system random generator failed")]
    RandomUnavailable,
    /// A ticket's resource is not a path this crate binds tickets to (at mint), or the path a
    /// ticket is redeemed at is not one (a request's fault).
    #[error("invalid ticket resource: {reason}")]
    InvalidResource {
        /// What is wrong.
        reason: &'static str,
    },
    /// The ticket was issued for another resource.
    #[error("the ticket was issued for another resource")]
    WrongResource,
    /// The ticket was already redeemed.
    #[error("ticket already used")]
    TicketReplayed,
    /// The tickets' replay guard could not answer or is full: fail closed (503).
    #[error("ticket replay guard unavailable: {}", match failure {
        Some(failure) => failure as &dyn fmt::Display,
        None => &"at capacity",
    })]
    TicketGuardUnavailable {
        /// The store's failure, or `None` when an in-memory guard is at capacity.
        failure: Option<StoreFailure>,
    },
    /// The request carries no session credential (no `Authorization`, no session cookie).
    #[error("no session credential in the request")]
    CredentialMissing,
    /// The request's `Authorization` or session cookie is not in the accepted form.
    #[error("malformed credential: {reason}")]
    CredentialMalformed {
        /// What is wrong.
        reason: &'static str,
    },
    /// A cookie-authenticated request with an unsafe method whose `Origin` is missing or not the
    /// vendor's own: a cross-site request forgery is refused (403).
    #[error(
        "cookie-authenticated {method} request from origin {origin}; only the vendor's own origin may send one"
    )]
    CredentialOriginMismatch {
        /// The request's method (excerpt).
        method: Quoted,
        /// The request's `Origin` (excerpt), or `(none)`.
        origin: Quoted,
    },
}

impl SessionError {
    /// The stable machine-readable code of this error (PROTOCOL.md "Vendor sessions").
    pub fn code(&self) -> &'static str {
        use SessionError as E;
        use TokenKind::{Session as S, Ticket as T};
        match self {
            E::TooLarge { kind: S, .. } => "session_too_large",
            E::TooLarge { kind: T, .. } => "ticket_too_large",
            E::Malformed { kind: S, .. } => "session_malformed",
            E::Malformed { kind: T, .. } => "ticket_malformed",
            E::WrongType { kind: S, .. } => "session_wrong_type",
            E::WrongType { kind: T, .. } => "ticket_wrong_type",
            E::UnknownKid { kind: S, .. } => "session_unknown_kid",
            E::UnknownKid { kind: T, .. } => "ticket_unknown_kid",
            E::BadSignature { kind: S } => "session_bad_signature",
            E::BadSignature { kind: T } => "ticket_bad_signature",
            E::WrongIssuer { kind: S, .. } => "session_wrong_issuer",
            E::WrongIssuer { kind: T, .. } => "ticket_wrong_issuer",
            E::WrongAudience { kind: S, .. } => "session_wrong_audience",
            E::WrongAudience { kind: T, .. } => "ticket_wrong_audience",
            E::IssuedInFuture { kind: S, .. } => "session_issued_in_future",
            E::IssuedInFuture { kind: T, .. } => "ticket_issued_in_future",
            E::Expired { kind: S, .. } => "session_expired",
            E::Expired { kind: T, .. } => "ticket_expired",
            E::TooOld { .. } => "session_too_old",
            E::Revoked { kind: S } => "session_revoked",
            E::Revoked { kind: T } => "ticket_session_revoked",
            E::StoreUnavailable { .. } => "session_store_unavailable",
            E::RandomUnavailable => "session_random_unavailable",
            E::InvalidResource { .. } => "ticket_invalid_resource",
            E::WrongResource => "ticket_wrong_resource",
            E::TicketReplayed => "ticket_replayed",
            E::TicketGuardUnavailable { .. } => "ticket_guard_unavailable",
            E::CredentialMissing => "credential_missing",
            E::CredentialMalformed { .. } => "credential_malformed",
            E::CredentialOriginMismatch { .. } => "credential_origin_mismatch",
        }
    }

    /// Whose fault the failure is: [`Fault::Unavailable`] when a store or the random generator
    /// failed (the credential may be fine: answer 503), [`Fault::Token`] otherwise.
    pub fn fault(&self) -> Fault {
        match self {
            SessionError::StoreUnavailable { .. }
            | SessionError::RandomUnavailable
            | SessionError::TicketGuardUnavailable { .. } => Fault::Unavailable,
            _ => Fault::Token,
        }
    }

    /// The HTTP status that fits: 503 for [`Fault::Unavailable`], 403 for
    /// [`CredentialOriginMismatch`](Self::CredentialOriginMismatch) (a refresh would not help),
    /// 401 otherwise (send [`session_challenge`](super::session_challenge) with it, so the page
    /// script refreshes the session).
    pub fn http_status(&self) -> u16 {
        match self {
            SessionError::CredentialOriginMismatch { .. } => 403,
            other => other.fault().http_status(),
        }
    }

    /// Every code of this enum. New codes may be added; none is renamed.
    pub const ALL_CODES: &'static [&'static str] = &[
        "session_too_large",
        "ticket_too_large",
        "session_malformed",
        "ticket_malformed",
        "session_wrong_type",
        "ticket_wrong_type",
        "session_unknown_kid",
        "ticket_unknown_kid",
        "session_bad_signature",
        "ticket_bad_signature",
        "session_wrong_issuer",
        "ticket_wrong_issuer",
        "session_wrong_audience",
        "ticket_wrong_audience",
        "session_issued_in_future",
        "ticket_issued_in_future",
        "session_expired",
        "ticket_expired",
        "session_too_old",
        "session_revoked",
        "ticket_session_revoked",
        "session_store_unavailable",
        "session_random_unavailable",
        "ticket_invalid_resource",
        "ticket_wrong_resource",
        "ticket_replayed",
        "ticket_guard_unavailable",
        "credential_missing",
        "credential_malformed",
        "credential_origin_mismatch",
    ];
}

/// Why a [`SessionKey`](super::SessionKey) or a [`Sessions`](super::Sessions) could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionConfigError {
    /// The secret is shorter than 32 bytes.
    #[error("a session key needs at least {min} bytes of secret; got {len}")]
    KeyTooShort {
        /// The secret's length.
        len: usize,
        /// The minimum.
        min: usize,
    },
    /// The `kid` is not 1 to 64 of `A-Z a-z 0-9 - _`.
    #[error("session key id {found} is not 1 to 64 of A-Z a-z 0-9 - _")]
    InvalidKid {
        /// The `kid` (excerpt).
        found: Quoted,
    },
    /// Two keys (current and previous) share a `kid`.
    #[error("two session keys share the kid {kid}")]
    DuplicateKid {
        /// The shared `kid`.
        kid: Quoted,
    },
    /// A lifetime is outside its accepted range.
    #[error("session option {option} is out of range: expected {expected}")]
    InvalidLifetime {
        /// The builder method.
        option: &'static str,
        /// The accepted range.
        expected: &'static str,
    },
    /// The system random generator failed while generating a key.
    #[error("the system random generator failed")]
    RandomUnavailable,
    /// Revocation or ticket single use was not chosen. A store the sessions made for themselves
    /// would silently stop revoking, and let a ticket redeem once per instance, as soon as a
    /// second instance runs, so there is no default.
    #[error(
        "choose where sessions keep {missing}: `.single_instance()` for one process (in memory),          or for several instances `.revocation_store(Arc::new(RedisRevocationStore::builder(url)         .build()?))` and `.ticket_guard(Arc::new(RedisReplayGuard::builder(url).build()?))`          (async services: `.revocation_store_async(..)` with an AsyncRedisRevocationStore and          `.ticket_guard_async(..)` with an AsyncRedisReplayGuard)"
    )]
    NoStores {
        /// What is missing: `revocations`, `ticket single use`, or both.
        missing: &'static str,
    },
}

impl SessionConfigError {
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            SessionConfigError::KeyTooShort { .. } => "session_key_too_short",
            SessionConfigError::InvalidKid { .. } => "session_invalid_kid",
            SessionConfigError::DuplicateKid { .. } => "session_duplicate_kid",
            SessionConfigError::InvalidLifetime { .. } => "session_invalid_lifetime",
            SessionConfigError::RandomUnavailable => "session_key_random_unavailable",
            SessionConfigError::NoStores { .. } => "session_no_stores",
        }
    }

    /// Every code of this enum.
    pub const ALL_CODES: &'static [&'static str] = &[
        "session_key_too_short",
        "session_invalid_kid",
        "session_duplicate_kid",
        "session_invalid_lifetime",
        "session_key_random_unavailable",
        "session_no_stores",
    ];
}

/// Why a text is not an origin a [`PortalOrigin`](super::PortalOrigin) or
/// [`VendorOrigin`](super::VendorOrigin) accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{found} is not a serialized origin (https://host[:port], http only for loopback): {reason}"
)]
pub struct OriginError {
    pub(crate) found: Quoted,
    pub(crate) reason: &'static str,
}

impl OriginError {
    /// The stable machine-readable code: `invalid_origin`.
    pub fn code(&self) -> &'static str {
        "invalid_origin"
    }

    /// What is wrong.
    pub fn reason(&self) -> &'static str {
        self.reason
    }

    /// Every code of this type.
    pub const ALL_CODES: &'static [&'static str] = &["invalid_origin"];
}

/// Why a text is not an exchange URL [`bounce_page`](super::bounce_page) accepts: an absolute
/// path (`/cv/exchange`), or an `https` URL (`http` for loopback) with a path and no user info.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{found} is not an exchange URL (an absolute path such as /cv/exchange, or https://host/path): {reason}"
)]
pub struct ExchangeUrlError {
    pub(crate) found: Quoted,
    pub(crate) reason: &'static str,
}

impl ExchangeUrlError {
    /// The stable machine-readable code: `invalid_exchange_url`.
    pub fn code(&self) -> &'static str {
        "invalid_exchange_url"
    }

    /// What is wrong.
    pub fn reason(&self) -> &'static str {
        self.reason
    }

    /// Every code of this type.
    pub const ALL_CODES: &'static [&'static str] = &["invalid_exchange_url"];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::StoreCause;

    fn every_error() -> Vec<SessionError> {
        let q = || Quoted::ascii("x");
        let mut all = Vec::new();
        for kind in [TokenKind::Session, TokenKind::Ticket] {
            all.extend([
                SessionError::TooLarge {
                    kind,
                    len: 1,
                    max: 0,
                },
                SessionError::Malformed { kind, reason: "" },
                SessionError::WrongType { kind, found: q() },
                SessionError::UnknownKid { kind, kid: q() },
                SessionError::BadSignature { kind },
                SessionError::WrongIssuer {
                    kind,
                    expected: String::new(),
                    found: q(),
                },
                SessionError::WrongAudience {
                    kind,
                    expected: String::new(),
                    found: q(),
                },
                SessionError::IssuedInFuture {
                    kind,
                    seconds_ahead: 1,
                },
                SessionError::Expired {
                    kind,
                    seconds_ago: 1,
                },
                SessionError::Revoked { kind },
            ]);
        }
        all.extend([
            SessionError::TooOld { age: 1, max: 0 },
            SessionError::StoreUnavailable {
                failure: StoreFailure::new("EXISTS", StoreCause::Timeout),
            },
            SessionError::RandomUnavailable,
            SessionError::InvalidResource { reason: "" },
            SessionError::WrongResource,
            SessionError::TicketReplayed,
            SessionError::TicketGuardUnavailable { failure: None },
            SessionError::CredentialMissing,
            SessionError::CredentialMalformed { reason: "" },
            SessionError::CredentialOriginMismatch {
                method: q(),
                origin: q(),
            },
        ]);
        all
    }

    #[test]
    fn all_codes_lists_exactly_the_codes_of_the_variants() {
        let mut codes: Vec<&str> = every_error().iter().map(SessionError::code).collect();
        let mut listed = SessionError::ALL_CODES.to_vec();
        codes.sort_unstable();
        listed.sort_unstable();
        assert_eq!(codes, listed);
        let statuses: Vec<(&str, u16)> = every_error()
            .iter()
            .filter(|e| e.http_status() != 401)
            .map(|e| (e.code(), e.http_status()))
            .collect();
        assert_eq!(
            statuses,
            [
                ("session_store_unavailable", 503),
                ("session_random_unavailable", 503),
                ("ticket_guard_unavailable", 503),
                ("credential_origin_mismatch", 403),
            ]
        );
    }

    #[test]
    fn config_codes_are_listed() {
        let every = [
            SessionConfigError::KeyTooShort { len: 0, min: 1 },
            SessionConfigError::InvalidKid {
                found: Quoted::ascii(""),
            },
            SessionConfigError::DuplicateKid {
                kid: Quoted::ascii(""),
            },
            SessionConfigError::InvalidLifetime {
                option: "",
                expected: "",
            },
            SessionConfigError::RandomUnavailable,
            SessionConfigError::NoStores { missing: "" },
        ];
        let codes: Vec<&str> = every.iter().map(SessionConfigError::code).collect();
        assert_eq!(codes, SessionConfigError::ALL_CODES);
    }
}
