//! The compact HS256 JWS the vendor's own tokens use, and what they carry: [`SessionToken`],
//! [`SessionClaims`], [`SessionId`].
//!
//! The crate writes exactly one header per key and kind (`{"alg":"HS256","typ":…,"kid":…}`), so
//! verification compares the header segment with the precomputed ones instead of parsing it, then
//! checks the MAC (constant time, ring) before any claims JSON is read. A header that matches no
//! key is decoded only to say why (another `typ`, an unknown `kid`), never to act on.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::{SessionError, TokenKind};
use super::key::SessionKey;
use crate::b64;
use crate::quoted::Quoted;
use crate::wire::{IssuerId, MAX_TIMESTAMP, PluginId, Role, SubjectId, TokenId};

/// The JOSE `typ` of a vendor session token.
pub const SESSION_TOKEN_TYPE: &str = "cv-plugin-session+jwt";
/// The JOSE `typ` of a download ticket.
pub const TICKET_TOKEN_TYPE: &str = "cv-plugin-ticket+jwt";
/// The longest session token or ticket accepted, in bytes; the crate mints at most about 1,500.
pub const MAX_SESSION_TOKEN_LEN: usize = 2048;

/// HMAC-SHA256 tags are 32 bytes.
const TAG_LEN: usize = 32;

impl TokenKind {
    pub(crate) fn typ(self) -> &'static str {
        match self {
            TokenKind::Session => SESSION_TOKEN_TYPE,
            TokenKind::Ticket => TICKET_TOKEN_TYPE,
        }
    }
}

/// A key with the two header segments it signs under, precomputed.
pub(crate) struct KeyEntry {
    pub(crate) key: SessionKey,
    session_header: String,
    ticket_header: String,
}

impl KeyEntry {
    pub(crate) fn new(key: SessionKey) -> KeyEntry {
        let header = |typ: &str| {
            // The kid is [A-Za-z0-9_-] (checked by SessionKey), so it needs no JSON escaping.
            let json = format!(r#"{{"alg":"HS256","typ":"{typ}","kid":"{}"}}"#, key.kid());
            b64::encode(json.as_bytes())
        };
        KeyEntry {
            session_header: header(SESSION_TOKEN_TYPE),
            ticket_header: header(TICKET_TOKEN_TYPE),
            key,
        }
    }

    fn header(&self, kind: TokenKind) -> &str {
        match kind {
            TokenKind::Session => &self.session_header,
            TokenKind::Ticket => &self.ticket_header,
        }
    }

    /// `header.payload.mac` over the JSON of `claims`.
    pub(crate) fn mint(&self, kind: TokenKind, claims: &impl Serialize) -> String {
        // Serializing plain strings and integers cannot fail.
        let json = serde_json::to_vec(claims).unwrap_or_default();
        let header = self.header(kind);
        let mut token = String::with_capacity(header.len() + json.len() * 4 / 3 + 50);
        token.push_str(header);
        token.push('.');
        b64::encode_into(&json, &mut token);
        let tag = self.key.sign(token.as_bytes());
        token.push('.');
        b64::encode_into(tag.as_ref(), &mut token);
        token
    }
}

/// Checks `token`'s structure, header and MAC against `keys`, and returns the decoded claims
/// bytes (not yet parsed).
pub(crate) fn open(
    keys: &[KeyEntry],
    kind: TokenKind,
    token: &str,
) -> Result<Vec<u8>, SessionError> {
    if token.len() > MAX_SESSION_TOKEN_LEN {
        return Err(SessionError::TooLarge {
            kind,
            len: token.len(),
            max: MAX_SESSION_TOKEN_LEN,
        });
    }
    let malformed = |reason| SessionError::Malformed { kind, reason };
    let (signing_input, mac) = token
        .rsplit_once('.')
        .ok_or(malformed("not three dot-separated segments"))?;
    let (header, payload) = signing_input
        .split_once('.')
        .ok_or(malformed("not three dot-separated segments"))?;
    if payload.contains('.') {
        return Err(malformed("not three dot-separated segments"));
    }
    let entry = keys
        .iter()
        .find(|entry| entry.header(kind) == header)
        .ok_or_else(|| why_no_key(keys, kind, header))?;
    let tag = b64::decode(mac).ok_or(malformed("the MAC segment is not canonical base64url"))?;
    if tag.len() != TAG_LEN || !entry.key.verify(signing_input.as_bytes(), &tag) {
        return Err(SessionError::BadSignature { kind });
    }
    b64::decode(payload).ok_or(malformed("the claims segment is not canonical base64url"))
}

/// Why a header segment matches none of the keys' headers: another `typ`, an unknown `kid`, or
/// a header this crate never writes. Decoded only to report; nothing here is trusted.
fn why_no_key(keys: &[KeyEntry], kind: TokenKind, header: &str) -> SessionError {
    #[derive(Deserialize)]
    struct LooseHeader {
        typ: Option<serde_json::Value>,
        kid: Option<serde_json::Value>,
    }
    let malformed = |reason| SessionError::Malformed { kind, reason };
    let Some(bytes) = b64::decode(header) else {
        return malformed("the header segment is not canonical base64url");
    };
    let Ok(loose) = serde_json::from_slice::<LooseHeader>(&bytes) else {
        return malformed("the header is not a JSON object with one typ and one kid");
    };
    match loose.typ {
        Some(serde_json::Value::String(typ)) if typ == kind.typ() => {}
        Some(serde_json::Value::String(typ)) => {
            return SessionError::WrongType {
                kind,
                found: Quoted::ascii(&typ),
            };
        }
        _ => {
            return SessionError::WrongType {
                kind,
                found: Quoted::ascii("(none)"),
            };
        }
    }
    match loose.kid {
        Some(serde_json::Value::String(kid)) if !keys.iter().any(|e| e.key.kid() == kid) => {
            SessionError::UnknownKid {
                kind,
                kid: Quoted::ascii(&kid),
            }
        }
        _ => malformed("the header is not exactly the one this crate writes"),
    }
}

/// Parses `bytes` as exactly the claims object `T` (unknown or repeated members refused).
pub(crate) fn parse_claims<'a, T: Deserialize<'a>>(
    kind: TokenKind,
    bytes: &'a [u8],
) -> Result<T, SessionError> {
    serde_json::from_slice(bytes).map_err(|_| SessionError::Malformed {
        kind,
        reason: "the claims are not the object this crate writes",
    })
}

/// A claim time: an integer in `[0, 253402300799]`.
pub(crate) fn check_time(kind: TokenKind, t: i64) -> Result<i64, SessionError> {
    if (0..=MAX_TIMESTAMP).contains(&t) {
        Ok(t)
    } else {
        Err(SessionError::Malformed {
            kind,
            reason: "a time is out of range",
        })
    }
}

/// A session's random identifier (`sid`): 16 bytes from ring's system random generator, as 22
/// characters of base64url. The key of revocation; it says nothing about the person.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    /// Draws a new one.
    pub(crate) fn random() -> Result<SessionId, SessionError> {
        random_id().map(SessionId)
    }

    /// Reads a session id as written in a token or a revocation list: 22 characters of canonical
    /// base64url (16 bytes). `None` for anything else.
    pub fn parse(raw: &str) -> Option<SessionId> {
        (raw.len() == 22 && b64::decode(raw).is_some_and(|b| b.len() == 16))
            .then(|| SessionId(raw.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 16 random bytes as base64url (22 characters).
pub(crate) fn random_id() -> Result<String, SessionError> {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| SessionError::RandomUnavailable)?;
    Ok(b64::encode(&bytes))
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SessionId").field(&self.0).finish()
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// What a verified session token says: the launch it came from and its own times.
///
/// Values come only from [`Sessions::start`](super::Sessions::start) and
/// [`Sessions::verify`](super::Sessions::verify).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionClaims {
    pub(crate) iss: IssuerId,
    pub(crate) aud: PluginId,
    pub(crate) sub: SubjectId,
    pub(crate) role: Role,
    pub(crate) lid: TokenId,
    pub(crate) sid: SessionId,
    pub(crate) lat: i64,
    pub(crate) iat: i64,
    pub(crate) exp: i64,
}

impl SessionClaims {
    /// `iss`: the portal the launch came from.
    pub fn issuer(&self) -> &IssuerId {
        &self.iss
    }
    /// `aud`: the plugin.
    pub fn plugin(&self) -> &PluginId {
        &self.aud
    }
    /// `sub`: the person's id in the portal.
    pub fn subject(&self) -> &SubjectId {
        &self.sub
    }
    /// `role`: the person's role.
    pub fn role(&self) -> Role {
        self.role
    }
    /// `lid`: the launch token's `jti`.
    pub fn launch_id(&self) -> &TokenId {
        &self.lid
    }
    /// `sid`: the session's random id (the key of revocation).
    pub fn session_id(&self) -> &SessionId {
        &self.sid
    }
    /// `lat`: the launch token's `iat`, where the absolute cap is counted from (Unix seconds).
    pub fn launched_at(&self) -> i64 {
        self.lat
    }
    /// `iat`: when this token was minted (Unix seconds).
    pub fn issued_at(&self) -> i64 {
        self.iat
    }
    /// `exp`: when this token stops verifying (Unix seconds).
    pub fn expires_at(&self) -> i64 {
        self.exp
    }
}

/// The claims as written and read, in this order.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireSession<S> {
    pub(crate) iss: S,
    pub(crate) aud: S,
    pub(crate) sub: S,
    pub(crate) role: S,
    pub(crate) lid: S,
    pub(crate) sid: S,
    pub(crate) lat: i64,
    pub(crate) iat: i64,
    pub(crate) exp: i64,
}

impl SessionClaims {
    pub(crate) fn to_wire(&self) -> WireSession<&str> {
        WireSession {
            iss: self.iss.as_str(),
            aud: self.aud.as_str(),
            sub: self.sub.as_str(),
            role: self.role.as_str(),
            lid: self.lid.as_str(),
            sid: self.sid.as_str(),
            lat: self.lat,
            iat: self.iat,
            exp: self.exp,
        }
    }

    /// Claims read from a token whose MAC verified: still checked, so a bug or a leaked key
    /// cannot produce a value no launch could have.
    pub(crate) fn from_wire(wire: WireSession<String>) -> Result<SessionClaims, SessionError> {
        let kind = TokenKind::Session;
        let bad = |reason| SessionError::Malformed { kind, reason };
        let claims = SessionClaims {
            iss: IssuerId::new(wire.iss).map_err(|_| bad("invalid iss"))?,
            aud: PluginId::new(wire.aud).map_err(|_| bad("invalid aud"))?,
            sub: SubjectId::new(wire.sub).map_err(|_| bad("invalid sub"))?,
            role: wire.role.parse().map_err(|_| bad("invalid role"))?,
            lid: TokenId::parse(&wire.lid).ok_or(bad("invalid lid"))?,
            sid: SessionId::parse(&wire.sid).ok_or(bad("invalid sid"))?,
            lat: check_time(kind, wire.lat)?,
            iat: check_time(kind, wire.iat)?,
            exp: check_time(kind, wire.exp)?,
        };
        if !(claims.lat <= claims.iat && claims.iat < claims.exp) {
            return Err(bad("times out of order (lat <= iat < exp)"));
        }
        Ok(claims)
    }
}

/// A session token as minted: hand it to the page (the exchange endpoint's JSON body, or the
/// optional cookie). `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken {
    token: String,
    expires_at: i64,
    expires_in: u64,
}

impl SessionToken {
    pub(crate) fn new(token: String, expires_at: i64, now: i64) -> SessionToken {
        SessionToken {
            token,
            expires_at,
            // exp > now at every mint, so this is at least 1.
            expires_in: u64::try_from(expires_at.saturating_sub(now)).unwrap_or(0),
        }
    }

    /// The compact token (the `Authorization: Bearer` value).
    pub fn as_str(&self) -> &str {
        &self.token
    }

    /// Seconds from minting until the token stops verifying (its `exp`).
    pub fn expires_in(&self) -> u64 {
        self.expires_in
    }

    /// [`expires_in`](Self::expires_in) as a [`Duration`].
    pub fn expires_in_duration(&self) -> Duration {
        Duration::from_secs(self.expires_in)
    }

    /// `exp`, in Unix seconds.
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }

    /// The exchange endpoint's JSON answer, which the page script reads:
    /// `{"session":"<token>","expires_in":<seconds>}`. Send it with `Cache-Control: no-store`.
    pub fn exchange_json(&self) -> String {
        // The token is base64url and dots: nothing to escape.
        format!(
            r#"{{"session":"{}","expires_in":{}}}"#,
            self.token, self.expires_in
        )
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionToken")
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_22_canonical_characters() {
        let id = SessionId::random().unwrap();
        assert_eq!(id.as_str().len(), 22);
        assert_eq!(SessionId::parse(id.as_str()), Some(id.clone()));
        assert_ne!(SessionId::random().unwrap(), id);
        for bad in [
            "",
            "AAAAAAAAAAAAAAAAAAAAAB",
            "AAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAA+A",
        ] {
            assert!(SessionId::parse(bad).is_none(), "{bad}");
        }
        assert!(SessionId::parse("AAAAAAAAAAAAAAAAAAAAAA").is_some());
    }

    #[test]
    fn headers_are_exact_and_deterministic() {
        let entry = KeyEntry::new(SessionKey::from_bytes("k1", &[1; 32]).unwrap());
        assert_eq!(
            b64::decode(entry.header(TokenKind::Session)).unwrap(),
            br#"{"alg":"HS256","typ":"cv-plugin-session+jwt","kid":"k1"}"#
        );
        assert_eq!(
            b64::decode(entry.header(TokenKind::Ticket)).unwrap(),
            br#"{"alg":"HS256","typ":"cv-plugin-ticket+jwt","kid":"k1"}"#
        );
        let token = entry.mint(TokenKind::Session, &serde_json::json!({"a": 1}));
        assert_eq!(
            open(std::slice::from_ref(&entry), TokenKind::Session, &token).unwrap(),
            br#"{"a":1}"#
        );
        let error = open(std::slice::from_ref(&entry), TokenKind::Ticket, &token).unwrap_err();
        assert_eq!(error.code(), "ticket_wrong_type");
    }

    #[test]
    fn a_header_of_no_key_says_why() {
        let keys = [KeyEntry::new(
            SessionKey::from_bytes("k1", &[1; 32]).unwrap(),
        )];
        let body = b64::encode(b"{}");
        let mac = b64::encode(&[0; 32]);
        for (header, code) in [
            (
                r#"{"alg":"EdDSA","typ":"cv-plugin-launch+jwt","kid":"x"}"#,
                "session_wrong_type",
            ),
            (
                r#"{"alg":"HS256","typ":"cv-plugin-ticket+jwt","kid":"k1"}"#,
                "session_wrong_type",
            ),
            (r#"{"alg":"HS256","kid":"k1"}"#, "session_wrong_type"),
            (
                r#"{"alg":"HS256","typ":7,"kid":"k1"}"#,
                "session_wrong_type",
            ),
            (
                r#"{"alg":"HS256","typ":"cv-plugin-session+jwt","kid":"k0"}"#,
                "session_unknown_kid",
            ),
            (
                r#"{"alg":"none","typ":"cv-plugin-session+jwt","kid":"k1"}"#,
                "session_malformed",
            ),
            (
                r#"{"alg":"HS256","typ":"cv-plugin-session+jwt","kid":"k1","jku":"x"}"#,
                "session_malformed",
            ),
            (
                r#"{"alg":"HS256","typ":"cv-plugin-session+jwt","typ":"cv-plugin-session+jwt","kid":"k1"}"#,
                "session_malformed",
            ),
            (
                r#"{"alg":"HS256","typ":"cv-plugin-session+jwt","kid":7}"#,
                "session_malformed",
            ),
            ("[]", "session_malformed"),
            ("\u{ff}", "session_malformed"),
        ] {
            let token = format!("{}.{body}.{mac}", b64::encode(header.as_bytes()));
            assert_eq!(
                open(&keys, TokenKind::Session, &token).unwrap_err().code(),
                code,
                "{header}"
            );
        }
        for token in ["", "a", "a.b", "a.b.c.d", "a=.b.c", "+.b.c"] {
            assert_eq!(
                open(&keys, TokenKind::Session, token).unwrap_err().code(),
                "session_malformed",
                "{token}"
            );
        }
    }

    #[test]
    fn token_debug_is_redacted() {
        let token = SessionToken::new("eyJhbGciOi.x.y".into(), 1_100, 1_000);
        assert_eq!(token.expires_in(), 100);
        let shown = format!("{token:?}");
        assert!(!shown.contains("eyJ"), "{shown}");
        assert_eq!(
            token.exchange_json(),
            r#"{"session":"eyJhbGciOi.x.y","expires_in":100}"#
        );
    }
}
