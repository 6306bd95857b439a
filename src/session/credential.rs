//! Which session credential a request carries, framework-free: [`extract_credential`] reads the
//! method, `Authorization`, `Cookie` and `Origin` values a web framework hands over.
//!
//! The rule (PROTOCOL.md "Vendor sessions", transport):
//!
//! 1. An `Authorization` header decides alone: it must be `Bearer <token>`, and if that token
//!    fails verification the request fails, even when a valid cookie came along (a cookie must
//!    never silently stand in for a bearer the page meant to send).
//! 2. Otherwise the `__Host-cv-plugin-session` cookie, if present exactly once.
//! 3. A cookie-authenticated request with a method other than `GET`, `HEAD` or `OPTIONS` must
//!    carry `Origin` equal to the vendor's own origin: browsers attach the cookie to cross-site
//!    form posts too, and `Origin` is what they cannot forge.

use super::error::SessionError;
use super::headers::SESSION_COOKIE_NAME;
use super::origin::VendorOrigin;
use crate::quoted::Quoted;

/// The parts of an HTTP request that carry a session credential.
///
/// Pass header values as received; join several `Cookie` headers (HTTP/2 may split them) with
/// `"; "`. Refuse a request with two `Authorization` headers before calling this.
///
/// ```
/// use cv_portal_plugin::{CredentialRequest, CredentialSource, VendorOrigin, extract_credential};
/// let own = VendorOrigin::parse("https://erp.example.com")?;
/// let request = CredentialRequest::new("POST")
///     .authorization(Some("Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln"))
///     .cookie(Some("__Host-cv-plugin-session=eyJ.e30.b3RoZXI"));
/// let credential = extract_credential(&request, &own)?;
/// assert_eq!(credential.source(), CredentialSource::Bearer);
/// assert_eq!(credential.token(), "eyJhbGciOiJIUzI1NiJ9.e30.c2ln");
///
/// // A cross-site form post that relies on the cookie is refused.
/// let forged = CredentialRequest::new("POST")
///     .cookie(Some("__Host-cv-plugin-session=eyJ.e30.b3RoZXI"))
///     .origin(Some("https://evil.example"));
/// assert_eq!(extract_credential(&forged, &own).unwrap_err().code(), "credential_origin_mismatch");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialRequest<'a> {
    method: &'a str,
    authorization: Option<&'a str>,
    cookie: Option<&'a str>,
    origin: Option<&'a str>,
}

impl<'a> CredentialRequest<'a> {
    /// A request with this method (`GET`, `POST`, ...: compared exactly, as HTTP does) and no
    /// headers yet.
    pub fn new(method: &'a str) -> Self {
        CredentialRequest {
            method,
            authorization: None,
            cookie: None,
            origin: None,
        }
    }

    /// The `Authorization` header's value, if any.
    pub fn authorization(mut self, value: Option<&'a str>) -> Self {
        self.authorization = value;
        self
    }

    /// The `Cookie` header's value, if any.
    pub fn cookie(mut self, value: Option<&'a str>) -> Self {
        self.cookie = value;
        self
    }

    /// The `Origin` header's value, if any.
    pub fn origin(mut self, value: Option<&'a str>) -> Self {
        self.origin = value;
        self
    }
}

/// Where a request's session token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CredentialSource {
    /// `Authorization: Bearer` (the page script's path).
    Bearer,
    /// The `__Host-cv-plugin-session` cookie (optional second path).
    Cookie,
}

/// A session token as found in a request, not yet verified.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Credential<'a> {
    token: &'a str,
    source: CredentialSource,
}

impl<'a> Credential<'a> {
    /// The token text (unverified: hand it to [`Sessions::verify`](super::Sessions::verify)).
    pub fn token(&self) -> &'a str {
        self.token
    }

    /// Where it came from.
    pub fn source(&self) -> CredentialSource {
        self.source
    }
}

impl std::fmt::Debug for Credential<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("source", &self.source)
            .field("len", &self.token.len())
            .finish_non_exhaustive()
    }
}

/// Picks the request's session credential by the rule of this module: bearer first, cookie
/// second, cookie with an unsafe method only from `own` origin.
pub fn extract_credential<'a>(
    request: &CredentialRequest<'a>,
    own: &VendorOrigin,
) -> Result<Credential<'a>, SessionError> {
    extract(request, Some(own))
}

/// [`extract_credential`], where no own origin means no `Origin` matches.
pub(crate) fn extract<'a>(
    request: &CredentialRequest<'a>,
    own: Option<&VendorOrigin>,
) -> Result<Credential<'a>, SessionError> {
    let malformed = |reason| SessionError::CredentialMalformed { reason };
    if let Some(value) = request.authorization {
        let token = bearer_token(value).ok_or(malformed(
            "Authorization is not \"Bearer <token>\" with a token of base64url segments",
        ))?;
        return Ok(Credential {
            token,
            source: CredentialSource::Bearer,
        });
    }
    let Some(token) = request
        .cookie
        .map(session_cookie_value)
        .transpose()?
        .flatten()
    else {
        return Err(SessionError::CredentialMissing);
    };
    if !is_token_text(token) {
        return Err(malformed("the session cookie's value is not a token"));
    }
    let safe = matches!(request.method, "GET" | "HEAD" | "OPTIONS");
    let same_origin =
        matches!((request.origin, own), (Some(origin), Some(own)) if origin == own.as_str());
    if !safe && !same_origin {
        return Err(SessionError::CredentialOriginMismatch {
            method: Quoted::ascii(request.method),
            origin: Quoted::ascii(request.origin.unwrap_or("(none)")),
        });
    }
    Ok(Credential {
        token,
        source: CredentialSource::Cookie,
    })
}

/// The token of `Bearer <token>` (scheme in any case, one or more spaces, RFC 6750 §2.1).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return None;
    }
    let token = rest.trim_start_matches(' ');
    is_token_text(token).then_some(token)
}

/// The crate's tokens are base64url segments joined by dots; nothing else is worth verifying.
fn is_token_text(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The session cookie's value in a `Cookie` header: `None` when absent or empty, an error when
/// present twice (a planted or stale copy next to the real one: refuse rather than guess).
fn session_cookie_value(header: &str) -> Result<Option<&str>, SessionError> {
    let mut found = None;
    for pair in header.split(';') {
        let Some((name, value)) = pair.trim_matches([' ', '\t']).split_once('=') else {
            continue;
        };
        if name != SESSION_COOKIE_NAME {
            continue;
        }
        if found.is_some() {
            return Err(SessionError::CredentialMalformed {
                reason: "the session cookie appears more than once",
            });
        }
        found = Some(value);
    }
    Ok(found.filter(|v| !v.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own() -> VendorOrigin {
        VendorOrigin::parse("https://erp.example.com").unwrap()
    }

    #[test]
    fn bearer_syntax() {
        for (value, token) in [
            ("Bearer a.b.c", Some("a.b.c")),
            ("bearer a.b.c", Some("a.b.c")),
            ("BEARER   a.b.c", Some("a.b.c")),
            ("Bearer ", None),
            ("Bearer a b", None),
            ("Basic YTpi", None),
            ("Bearer a.b.c=", None),
            ("Bearera.b.c", None),
            ("", None),
        ] {
            assert_eq!(bearer_token(value), token, "{value:?}");
        }
    }

    #[test]
    fn cookie_parsing() {
        let get = |cookie| {
            extract_credential(&CredentialRequest::new("GET").cookie(Some(cookie)), &own())
                .map(|c| c.token())
                .map_err(|e| e.code())
        };
        assert_eq!(get("a=1; __Host-cv-plugin-session=x.y.z; b=2"), Ok("x.y.z"));
        assert_eq!(get("__Host-cv-plugin-session=x.y.z"), Ok("x.y.z"));
        assert_eq!(get("cv-plugin-session=x.y.z"), Err("credential_missing"));
        assert_eq!(
            get("__host-cv-plugin-session=x.y.z"),
            Err("credential_missing")
        );
        assert_eq!(get("__Host-cv-plugin-session="), Err("credential_missing"));
        assert_eq!(
            get("__Host-cv-plugin-session=a.b.c; __Host-cv-plugin-session=d.e.f"),
            Err("credential_malformed")
        );
        assert_eq!(
            get("__Host-cv-plugin-session=\"a.b.c\""),
            Err("credential_malformed")
        );
    }
}
