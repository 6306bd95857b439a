//! [`LaunchClaims`]: what a launch token says.
//!
//! A launch token says "this person, in this role, opened this plugin of this portal, just now".
//! It carries identifiers only, never personal data, because it travels in a URL.

use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::{IssuerId, PluginId, Role, SubjectId, TokenId};

/// The claims of a launch token, as minted or as verified.
///
/// Values of this type come only from minting (the portal's `Issuer::mint`) or from a verifier's
/// `verify`: holding one means the token was built or checked by this crate. Claims read from a
/// token that was not verified never take this type.
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
    /// `iat` as a [`SystemTime`].
    pub fn issued_at_time(&self) -> SystemTime {
        unix_time(self.iat)
    }
    /// `exp` as a [`SystemTime`].
    pub fn expires_at_time(&self) -> SystemTime {
        unix_time(self.exp)
    }
}

/// Claim times are bounded to `[0, MAX_TIMESTAMP]` on both paths, so this never saturates.
fn unix_time(seconds: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
}
