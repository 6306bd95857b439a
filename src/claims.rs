//! The launch token's contents: its claims, their types, and the protocol constants.
//!
//! A launch token says "this person, in this role, opened this plugin of this portal, just now".
//! It carries identifiers only, never personal data, because it travels in a URL.

use std::fmt;

use serde::Serialize;

use crate::config::PluginId;
use crate::viewer::{Role, SubjectId};

/// The JOSE `typ` header of every launch token (RFC 8725 §3.11 explicit typing).
pub const TOKEN_TYPE: &str = "cv-plugin-launch+jwt";

/// The longest lifetime (`exp - iat`) a verifier accepts, in seconds: one hour.
pub const MAX_LIFETIME_SECS: i64 = 3600;

/// The largest time value a claim may carry: 9999-12-31T23:59:59Z.
pub(crate) const MAX_TIMESTAMP: i64 = 253_402_300_799;

/// Maximum length of an [`IssuerId`], in bytes.
pub const ISSUER_ID_MAX_LEN: usize = 256;

/// The portal's issuer identifier: the `iss` claim (for example `https://portal.construtora.com.br`).
///
/// 1 to [`ISSUER_ID_MAX_LEN`] bytes of printable ASCII without spaces.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct IssuerId(String);

impl IssuerId {
    /// Validates and wraps an issuer identifier.
    ///
    /// ```
    /// use cv_portal_plugin::IssuerId;
    /// assert!(IssuerId::new("https://portal.example.com.br").is_ok());
    /// assert!(IssuerId::new("has space").is_err());
    /// ```
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidIssuerId> {
        let id = id.into();
        if id.is_empty()
            || id.len() > ISSUER_ID_MAX_LEN
            || !id.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(InvalidIssuerId);
        }
        Ok(IssuerId(id))
    }

    /// The identifier as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for IssuerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IssuerId").field(&self.0).finish()
    }
}

impl fmt::Display for IssuerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for IssuerId {
    type Err = InvalidIssuerId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IssuerId::new(s)
    }
}

/// An issuer identifier was empty, too long, or had a space or non-ASCII character.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("issuer id must be 1 to {ISSUER_ID_MAX_LEN} bytes of printable ASCII without spaces")]
pub struct InvalidIssuerId;

impl InvalidIssuerId {
    /// The stable machine-readable code of this error: `issuer.invalid`.
    pub fn code(&self) -> &'static str {
        "issuer.invalid"
    }
}

/// Bounds of a `jti`, in bytes: at least 16 (the crate mints 22: 128 random bits in base64url).
pub const TOKEN_ID_LEN: std::ops::RangeInclusive<usize> = 16..=128;

/// A token's unique identifier: the `jti` claim, the key of single use.
///
/// 16 to 128 bytes of the base64url alphabet (`A-Z a-z 0-9 - _`), so a UUID also fits.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct TokenId(String);

impl TokenId {
    pub(crate) fn parse(raw: &str) -> Option<TokenId> {
        let ok = TOKEN_ID_LEN.contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| TokenId(raw.to_owned()))
    }

    /// Draws 128 bits from ring's system random generator.
    pub(crate) fn random() -> Option<TokenId> {
        use base64::Engine as _;
        use ring::rand::SecureRandom as _;
        let mut bytes = [0u8; 16];
        ring::rand::SystemRandom::new().fill(&mut bytes).ok()?;
        Some(TokenId(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        ))
    }

    /// The identifier as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TokenId").field(&self.0).finish()
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The claims of a launch token, as minted or as verified.
///
/// Values of this type come only from [`Issuer::mint`](crate::Issuer::mint) or
/// [`Verifier::verify`](crate::Verifier::verify): holding one means the token was built or checked
/// by this crate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LaunchClaims {
    pub(crate) iss: IssuerId,
    pub(crate) aud: PluginId,
    pub(crate) sub: SubjectId,
    pub(crate) role: Role,
    pub(crate) iat: i64,
    pub(crate) nbf: i64,
    pub(crate) exp: i64,
    pub(crate) jti: TokenId,
}

impl LaunchClaims {
    /// `iss`: the portal that issued the token.
    pub fn issuer(&self) -> &IssuerId {
        &self.iss
    }
    /// `aud`: the plugin the token was minted for.
    pub fn plugin(&self) -> &PluginId {
        &self.aud
    }
    /// `sub`: the person's identifier in the portal.
    pub fn subject(&self) -> &SubjectId {
        &self.sub
    }
    /// `role`: the person's role (cliente, sindico or gestor).
    pub fn role(&self) -> Role {
        self.role
    }
    /// `iat`: when the token was issued, in Unix seconds.
    pub fn issued_at(&self) -> i64 {
        self.iat
    }
    /// `nbf`: the token is not valid before this time, in Unix seconds.
    pub fn not_before(&self) -> i64 {
        self.nbf
    }
    /// `exp`: the token is not valid from this time on, in Unix seconds.
    pub fn expires_at(&self) -> i64 {
        self.exp
    }
    /// `jti`: the token's unique identifier.
    pub fn token_id(&self) -> &TokenId {
        &self.jti
    }
    /// `iat` as a date-time.
    pub fn issued_at_datetime(&self) -> time::OffsetDateTime {
        // iat is bounded to [0, MAX_TIMESTAMP] on both paths, so this cannot fail.
        time::OffsetDateTime::from_unix_timestamp(self.iat)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    }
    /// `exp` as a date-time.
    pub fn expires_at_datetime(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp(self.exp)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_id_rules() {
        assert!(IssuerId::new("cv:construtora-x").is_ok());
        assert!(IssuerId::new("").is_err());
        assert!(IssuerId::new("a b").is_err());
        assert!(IssuerId::new("é").is_err());
        assert!(IssuerId::new("x".repeat(256)).is_ok());
        assert!(IssuerId::new("x".repeat(257)).is_err());
    }

    #[test]
    fn token_id_rules() {
        assert!(TokenId::parse("0123456789abcdef").is_some());
        assert!(TokenId::parse("0123456789abcde").is_none());
        assert!(TokenId::parse("123e4567-e89b-12d3-a456-426614174000").is_some());
        assert!(TokenId::parse(&"a".repeat(129)).is_none());
        assert!(TokenId::parse("0123456789abcdef/").is_none());
        let a = TokenId::random().unwrap();
        let b = TokenId::random().unwrap();
        assert_eq!(a.as_str().len(), 22);
        assert_ne!(a, b);
        assert!(TokenId::parse(a.as_str()).is_some());
    }
}
