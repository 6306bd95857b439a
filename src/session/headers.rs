//! The exact response header values of a launch or plugin page ([`page_headers`]), of a refused
//! session ([`session_challenge`]) and of the optional session cookie ([`session_cookie`]).

use super::error::SessionError;
use super::origin::PortalOrigin;
use super::token::SessionToken;

/// The session cookie's name. `__Host-` makes the browser refuse it unless it is `Secure`,
/// has `Path=/` and no `Domain`, so no sibling subdomain can plant one.
pub const SESSION_COOKIE_NAME: &str = "__Host-cv-plugin-session";

/// The `realm` of [`session_challenge`]: the page script refreshes the session (and retries once)
/// when a 401 carries it.
pub const SESSION_REALM: &str = "cv-plugin-session";

/// The headers of every launch answer and plugin page, in this order:
///
/// - `Content-Security-Policy: frame-ancestors <origins>`: only these portal pages may frame the
///   plugin (clickjacking); `'none'` when the list is empty;
/// - `Referrer-Policy: no-referrer`: the page's links and requests never send its address (which
///   held `?token=` until the page script removed it) to anyone;
/// - `Cache-Control: no-store`: the page is the person's, never a cache's.
///
/// Never add `X-Frame-Options`: its `SAMEORIGIN` or `DENY` would forbid the cross-site frame the
/// plugin lives in, and browsers that honour `frame-ancestors` ignore it anyway.
///
/// ```
/// use cv_portal_plugin::{PortalOrigin, page_headers};
/// let portals = [
///     PortalOrigin::parse("https://portal.construtora.com.br")?,
///     PortalOrigin::parse("https://gestor.construtora.com.br")?,
/// ];
/// assert_eq!(page_headers(&portals)[0], (
///     "Content-Security-Policy",
///     "frame-ancestors https://portal.construtora.com.br https://gestor.construtora.com.br".to_owned(),
/// ));
/// # Ok::<(), cv_portal_plugin::OriginError>(())
/// ```
pub fn page_headers(portals: &[PortalOrigin]) -> [(&'static str, String); 3] {
    let mut sources: Vec<&str> = Vec::with_capacity(portals.len());
    for origin in portals {
        if !sources.contains(&origin.as_str()) {
            sources.push(origin.as_str());
        }
    }
    let ancestors = if sources.is_empty() {
        "'none'".to_owned()
    } else {
        sources.join(" ")
    };
    [
        (
            "Content-Security-Policy",
            format!("frame-ancestors {ancestors}"),
        ),
        ("Referrer-Policy", "no-referrer".to_owned()),
        ("Cache-Control", "no-store".to_owned()),
    ]
}

/// The `WWW-Authenticate` header of a 401 that refuses a session (RFC 6750 §3):
/// `Bearer realm="cv-plugin-session", error="invalid_token", error_description="<code>"`.
/// Send it with [`SessionError::http_status`] 401 only; a 503 or 403 needs no challenge.
///
/// ```
/// use cv_portal_plugin::{SessionError, session_challenge};
/// assert_eq!(session_challenge(&SessionError::CredentialMissing), (
///     "WWW-Authenticate",
///     r#"Bearer realm="cv-plugin-session", error="invalid_token", error_description="credential_missing""#.to_owned(),
/// ));
/// ```
pub fn session_challenge(error: &SessionError) -> (&'static str, String) {
    (
        "WWW-Authenticate",
        // Codes are snake_case ASCII: nothing to escape.
        format!(
            r#"Bearer realm="{SESSION_REALM}", error="invalid_token", error_description="{}""#,
            error.code()
        ),
    )
}

/// The optional session cookie's `Set-Cookie` value:
/// `__Host-cv-plugin-session=<token>; Path=/; Secure; HttpOnly; SameSite=None; Partitioned; Max-Age=<seconds>`.
///
/// `SameSite=None` because the plugin is a cross-site frame; `Partitioned` (CHIPS) so that
/// browsers that block third-party cookies may still keep it, keyed to the portal's site. Some
/// browsers drop it anyway: the page must hold the session in memory and send it as a bearer
/// token; the cookie is only a second path.
pub fn session_cookie(token: &SessionToken) -> String {
    format!(
        "{SESSION_COOKIE_NAME}={}; Path=/; Secure; HttpOnly; SameSite=None; Partitioned; Max-Age={}",
        token.as_str(),
        token.expires_in()
    )
}

/// The `Set-Cookie` value that removes the session cookie (on logout or revocation).
pub fn clear_session_cookie() -> String {
    format!(
        "{SESSION_COOKIE_NAME}=; Path=/; Secure; HttpOnly; SameSite=None; Partitioned; Max-Age=0"
    )
}
