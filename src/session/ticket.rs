//! Download tickets: a one-minute, single-use link credential for what a page cannot fetch with
//! a header (a boleto PDF opened in a new tab, an `<a download>`), bound to one session and one
//! resource path. [`TicketClaims`] is what a redeemed ticket says.

use serde::{Deserialize, Serialize};

use super::error::{SessionError, TokenKind};
use super::token::{SessionId, check_time};
use crate::wire::{IssuerId, PluginId, Role, SubjectId, TokenId};

/// The query parameter a ticket travels in (`/boletos/123.pdf?ticket=…`).
pub const TICKET_PARAM: &str = "ticket";
/// The longest resource path a ticket binds, in bytes.
pub const MAX_RESOURCE_LEN: usize = 1024;

/// What a redeemed ticket says: who may download which resource, under which session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketClaims {
    pub(crate) iss: IssuerId,
    pub(crate) aud: PluginId,
    pub(crate) sub: SubjectId,
    pub(crate) role: Role,
    pub(crate) sid: SessionId,
    pub(crate) res: String,
    pub(crate) jti: TokenId,
    pub(crate) iat: i64,
    pub(crate) exp: i64,
}

impl TicketClaims {
    /// `iss`: the portal the session's launch came from.
    pub fn issuer(&self) -> &IssuerId {
        &self.iss
    }
    /// `aud`: the plugin.
    pub fn plugin(&self) -> &PluginId {
        &self.aud
    }
    /// `sub`: the person the download is for.
    pub fn subject(&self) -> &SubjectId {
        &self.sub
    }
    /// `role`: the person's role.
    pub fn role(&self) -> Role {
        self.role
    }
    /// `sid`: the session the ticket was issued under.
    pub fn session_id(&self) -> &SessionId {
        &self.sid
    }
    /// `res`: the resource path the ticket opens.
    pub fn resource(&self) -> &str {
        &self.res
    }
    /// `jti`: the ticket's random id (its single use).
    pub fn ticket_id(&self) -> &TokenId {
        &self.jti
    }
    /// `iat`, in Unix seconds.
    pub fn issued_at(&self) -> i64 {
        self.iat
    }
    /// `exp`, in Unix seconds.
    pub fn expires_at(&self) -> i64 {
        self.exp
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireTicket<S> {
    pub(crate) iss: S,
    pub(crate) aud: S,
    pub(crate) sub: S,
    pub(crate) role: S,
    pub(crate) sid: S,
    pub(crate) res: S,
    pub(crate) jti: S,
    pub(crate) iat: i64,
    pub(crate) exp: i64,
}

impl TicketClaims {
    pub(crate) fn to_wire(&self) -> WireTicket<&str> {
        WireTicket {
            iss: self.iss.as_str(),
            aud: self.aud.as_str(),
            sub: self.sub.as_str(),
            role: self.role.as_str(),
            sid: self.sid.as_str(),
            res: &self.res,
            jti: self.jti.as_str(),
            iat: self.iat,
            exp: self.exp,
        }
    }

    pub(crate) fn from_wire(wire: WireTicket<String>) -> Result<TicketClaims, SessionError> {
        let kind = TokenKind::Ticket;
        let bad = |reason| SessionError::Malformed { kind, reason };
        let claims = TicketClaims {
            iss: IssuerId::new(wire.iss).map_err(|_| bad("invalid iss"))?,
            aud: PluginId::new(wire.aud).map_err(|_| bad("invalid aud"))?,
            sub: SubjectId::new(wire.sub).map_err(|_| bad("invalid sub"))?,
            role: wire.role.parse().map_err(|_| bad("invalid role"))?,
            sid: SessionId::parse(&wire.sid).ok_or(bad("invalid sid"))?,
            res: check_resource(&wire.res)
                .map_err(|_| bad("invalid res"))?
                .to_owned(),
            jti: TokenId::parse(&wire.jti).ok_or(bad("invalid jti"))?,
            iat: check_time(kind, wire.iat)?,
            exp: check_time(kind, wire.exp)?,
        };
        if claims.iat >= claims.exp {
            return Err(bad("times out of order (iat < exp)"));
        }
        Ok(claims)
    }
}

/// A resource path a ticket may bind: `/` then printable ASCII without spaces, `?` or `#`, at
/// most [`MAX_RESOURCE_LEN`] bytes (percent-encode anything else, as the request line does).
pub(crate) fn check_resource(path: &str) -> Result<&str, SessionError> {
    let refuse = |reason| Err(SessionError::InvalidResource { reason });
    if !path.starts_with('/') {
        return refuse("a resource is a path starting with /");
    }
    if path.len() > MAX_RESOURCE_LEN {
        return refuse("a resource path is at most 1024 bytes");
    }
    if !path
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'?' && b != b'#')
    {
        return refuse("a resource path is printable ASCII without spaces, ? or #");
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_paths() {
        for ok in ["/", "/boletos/123.pdf", "/a%20b/%C3%A7"] {
            assert_eq!(check_resource(ok), Ok(ok));
        }
        for bad in [
            "",
            "boletos",
            "/a b",
            "/a?b",
            "/a#b",
            "/ç",
            &format!("/{}", "x".repeat(1024)),
        ] {
            assert_eq!(
                check_resource(bad).unwrap_err().code(),
                "ticket_invalid_resource",
                "{bad}"
            );
        }
    }
}
