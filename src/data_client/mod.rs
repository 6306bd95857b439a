//! The vendor's side of the client-data exchange (PROTOCOL.md §10, §11): discovery, the request
//! for the person's data, and the reading of the portal's answer. The crate does no HTTP: each
//! step is data in, data out, so any HTTP client carries it (as openidconnect-rs does).
//!
//! Every check a vendor must make is here rather than in its transport: the issuer and the
//! discovery document's URLs are https (http only for loopback hosts), the document names
//! exactly the issuer it was fetched for, bodies are bounded before they are parsed, a 404 is
//! "no data" only when it says `client_not_found`, and nothing a server sent reaches an error
//! message but a bounded excerpt of a URL and a snake_case code. With the verified claims at
//! hand, [`read_client_data_for`] also checks that the data is that launch's person's.
//!
//! ```
//! # #[cfg(feature = "portal")] {
//! use cv_portal_plugin::data_client::{
//!     ClientDataRequest, discovery_url, read_client_data_for, read_discovery,
//! };
//! use cv_portal_plugin::{DataFault, IssuerId};
//! # use cv_portal_plugin::{Algorithm, Issuer, PluginConfig, Role, SigningKey, SubjectId, Verifier, Viewer};
//! # use cv_portal_plugin::config::{Dimension, Icon, VisibleTo};
//!
//! // Configured: the issuer (and the plugin id). Everything else comes from discovery.
//! let issuer = IssuerId::new("https://portal.construtora.com.br")?;
//! let url = discovery_url(&issuer)?;
//! assert_eq!(url, "https://portal.construtora.com.br/.well-known/cv-plugin");
//! # let discovery_body = br#"{"issuer":"https://portal.construtora.com.br","protocol_version":1,
//! #   "jwks_uri":"https://portal.construtora.com.br/.well-known/cv-plugin/jwks.json",
//! #   "client_data_endpoint":"https://portal.construtora.com.br/api/cv-plugin/client-data",
//! #   "token_signing_alg_values_supported":["EdDSA"]}"#;
//! // ... the vendor's HTTP client GETs `url` (no redirects, body read up to MAX_BODY_LEN + 1
//! // bytes, a timeout), then:
//! let discovery = read_discovery(&issuer, 200, discovery_body)?;
//!
//! # let portal = Issuer::new(issuer.clone(), SigningKey::generate(Algorithm::EdDSA)?);
//! # let plugin = PluginConfig::builder().id("financeiro").name("F").title("F").icon(Icon::Boleto)
//! #     .link("https://erp.example.com/f").show_in_client_portal(true).visible_to(VisibleTo::Cliente)
//! #     .iframe_size(Dimension::Percent(100), Dimension::Pixels(800)).build()?;
//! # let token = portal.mint(&plugin, &Viewer::new(SubjectId::new("48213")?, Role::Cliente))?.into_token();
//! # let verifier = Verifier::builder(issuer.clone(), plugin.id().clone()).key_set(portal.jwks().clone())
//! #     .replay_guard(std::sync::Arc::new(cv_portal_plugin::InMemoryReplayGuard::new())).build()?;
//! // After verifying a launch token, the vendor redeems it, once, for the person's data:
//! let claims = verifier.verify(&token)?;
//! // `for_launch` refuses to send one portal's token to another portal's endpoint.
//! let request = ClientDataRequest::for_launch(&discovery, &claims, &token)?;
//! assert_eq!(request.method(), "GET");
//! assert_eq!(request.headers()[1], ("Accept", "application/json"));
//! # let (status, www_authenticate, body) = (200, None, br#"{"sub":"48213","role":"cliente","plugin":"financeiro","name":"Maria Souza"}"#);
//! // ... the HTTP client sends it (same rules) and hands back status, WWW-Authenticate, body.
//! // `read_client_data_for` also checks the data is this launch's person's.
//! match read_client_data_for(&claims, status, www_authenticate, body) {
//!     Ok(data) => assert_eq!(data.name.as_deref(), Some("Maria Souza")),
//!     Err(error) if error.fault() == DataFault::NoData => { /* an empty state */ }
//!     Err(error) => eprintln!("error[{}]: {error}", error.code()),
//! }
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **The transport's part.** Whatever HTTP client carries these requests must not follow
//! redirects (a redirect would carry the bearer token elsewhere), must stop reading a body after
//! [`MAX_BODY_LEN`]` + 1` bytes (so an oversized body is refused without being buffered), must set
//! connect and total timeouts, and, for a vendor serving portals on the public internet, should
//! refuse to connect to loopback, private and link-local addresses that a portal's host name
//! resolves to ([`read_discovery`] refuses such addresses written as IP literals, or
//! `localhost`, but cannot see what a name resolves to).

mod challenge;
mod error;
mod url;

use std::fmt;

use serde::Deserialize;

pub use challenge::{BearerChallenge, MAX_CHALLENGE_LEN};
pub use error::{
    ClientDataError, DataClientError, DataFault, JsonProblem, ServerCode, UrlProblem, UrlRole,
};

use crate::quoted::Quoted;
use crate::wire::{
    ClientData, DISCOVERY_PATH, DiscoveryDocument, IssuerId, LaunchClaims, MAX_TOKEN_LEN,
    PROTOCOL_VERSION,
};

/// The largest body of a discovery document or a client-data answer, in bytes (64 KiB); a
/// longer one is refused before it is parsed.
pub const MAX_BODY_LEN: usize = 64 * 1024;

/// The longest URL of the exchange (an endpoint, the JWKS URI), in bytes.
pub const MAX_URL_LEN: usize = 2048;

/// Where the discovery document of `issuer` is: the issuer with one trailing `/` removed, then
/// `/.well-known/cv-plugin` (as OpenID Connect Discovery does).
///
/// The issuer must be an https URL (http only for `localhost`, `127.0.0.0/8` and `[::1]`),
/// without userinfo, query or fragment. Fetch discovery only for issuers the vendor was
/// configured with, never for an `iss` read from an unverified token.
///
/// ```
/// use cv_portal_plugin::{IssuerId, data_client::discovery_url};
/// let at = |iss: &str| discovery_url(&IssuerId::new(iss).unwrap());
/// assert_eq!(at("https://cv.example/portal/")?, "https://cv.example/portal/.well-known/cv-plugin");
/// assert_eq!(at("http://localhost:8080")?, "http://localhost:8080/.well-known/cv-plugin");
/// assert_eq!(at("http://cv.example").unwrap_err().code(), "data_url_not_https");
/// assert_eq!(at("cv:construtora-x").unwrap_err().code(), "data_url_invalid");
/// # Ok::<(), cv_portal_plugin::DataClientError>(())
/// ```
pub fn discovery_url(issuer: &IssuerId) -> Result<String, DataClientError> {
    let issuer = issuer.as_str();
    url::check(issuer, UrlRole::Issuer)?;
    let base = issuer.strip_suffix('/').unwrap_or(issuer);
    Ok(format!("{base}{DISCOVERY_PATH}"))
}

/// Reads the answer to the discovery request for `expected`: its HTTP status and body.
///
/// Checks, in order: status 200; at most [`MAX_BODY_LEN`] bytes; JSON; `protocol_version` 1;
/// `issuer` exactly `expected` (a trailing slash makes another issuer); the document's shape
/// (members repeated, missing or of the wrong type are refused; unknown ones ignored);
/// `jwks_uri` and `client_data_endpoint` https (http only for loopback hosts).
pub fn read_discovery(
    expected: &IssuerId,
    status: u16,
    body: &[u8],
) -> Result<DiscoveryDocument, DataClientError> {
    let invalid = |problem| DataClientError::DiscoveryInvalid { problem };
    if status != 200 {
        return Err(DataClientError::DiscoveryStatus { status });
    }
    if body.len() > MAX_BODY_LEN {
        return Err(DataClientError::DiscoveryTooLarge {
            len: body.len(),
            max: MAX_BODY_LEN,
        });
    }
    std::str::from_utf8(body).map_err(|_| invalid(JsonProblem::NotUtf8))?;
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| invalid(JsonProblem::of(&e)))?;
    let version = value
        .get("protocol_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or(invalid(JsonProblem::WrongShape))?;
    if version != u64::from(PROTOCOL_VERSION) {
        return Err(DataClientError::UnsupportedProtocolVersion { found: version });
    }
    let issuer = value
        .get("issuer")
        .and_then(serde_json::Value::as_str)
        .ok_or(invalid(JsonProblem::WrongShape))?;
    if issuer != expected.as_str() {
        return Err(DataClientError::IssuerMismatch {
            expected: Quoted::ascii(expected.as_str()),
            found: Quoted::ascii(issuer),
        });
    }
    // Parsed again into the typed document, which refuses repeated members (the value above
    // kept the last of each: two parsers must not read two issuers).
    let document: DiscoveryDocument =
        serde_json::from_slice(body).map_err(|e| invalid(JsonProblem::of(&e)))?;
    url::check(&document.jwks_uri, UrlRole::JwksUri)?;
    url::check(&document.client_data_endpoint, UrlRole::ClientDataEndpoint)?;
    // Loopback http is for a portal in development: an https portal never sends the vendor's
    // bearer tokens in plain text, not even to a service on the vendor's own host.
    let is_https = |url: &str| {
        url.get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
    };
    if is_https(expected.as_str()) {
        let portal_host = url::host(expected.as_str());
        for (raw, role) in [
            (&document.jwks_uri, UrlRole::JwksUri),
            (&document.client_data_endpoint, UrlRole::ClientDataEndpoint),
        ] {
            if !is_https(raw) {
                return Err(DataClientError::UrlNotHttps {
                    role,
                    found: Quoted::ascii(raw),
                });
            }
            // A public portal cannot point the vendor into the vendor's own network (cloud
            // metadata, an internal admin, a Redis port); a portal that is itself on such a host
            // may name that host.
            let host = url::host(raw);
            if url::is_non_public(&host) && host != portal_host {
                return Err(DataClientError::InvalidUrl {
                    role,
                    problem: UrlProblem::NonPublicHost,
                    found: Quoted::ascii(raw),
                });
            }
        }
    }
    Ok(document)
}

/// The request for the person's data: `GET {client_data_endpoint}` with
/// `Authorization: Bearer <launch token>` and `Accept: application/json`, no body.
///
/// Send it as it is, without following redirects (a redirect would carry the token elsewhere).
/// `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientDataRequest {
    url: String,
    authorization: String,
}

impl ClientDataRequest {
    /// The request for `endpoint` (the discovery document's `client_data_endpoint`) with the
    /// launch token the vendor just verified.
    ///
    /// The endpoint must be https (http only for loopback hosts); the token must be 1 to
    /// [`MAX_TOKEN_LEN`] characters of RFC 6750's `b64token` (a compact JWS is), so no value
    /// can inject a header.
    pub fn new(endpoint: &str, token: &str) -> Result<ClientDataRequest, DataClientError> {
        url::check(endpoint, UrlRole::ClientDataEndpoint)?;
        check_b64token(token)?;
        Ok(ClientDataRequest {
            url: endpoint.to_owned(),
            authorization: format!("Bearer {token}"),
        })
    }

    /// The request for the launch `claims` (verified from `token`) at the portal that
    /// `discovery` describes: refused unless the token's issuer is that portal's, so a vendor
    /// serving several portals never sends one portal's redeemable token to another.
    pub fn for_launch(
        discovery: &DiscoveryDocument,
        claims: &LaunchClaims,
        token: &str,
    ) -> Result<ClientDataRequest, DataClientError> {
        if claims.issuer() != &discovery.issuer {
            return Err(DataClientError::IssuerMismatch {
                expected: Quoted::ascii(claims.issuer().as_str()),
                found: Quoted::ascii(discovery.issuer.as_str()),
            });
        }
        ClientDataRequest::new(&discovery.client_data_endpoint, token)
    }

    /// `GET`.
    pub fn method(&self) -> &'static str {
        "GET"
    }

    /// The URL to request.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The headers to send, names and values: `Authorization: Bearer <token>`, then
    /// `Accept: application/json`.
    pub fn headers(&self) -> [(&'static str, &str); 2] {
        [
            ("Authorization", &self.authorization),
            ("Accept", "application/json"),
        ]
    }
}

impl fmt::Debug for ClientDataRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientDataRequest")
            .field("method", &self.method())
            .field("url", &self.url)
            .field(
                "headers",
                &[
                    ("Authorization", "Bearer <redacted>"),
                    ("Accept", "application/json"),
                ],
            )
            .finish()
    }
}

/// RFC 6750 §2.1: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn check_b64token(token: &str) -> Result<(), DataClientError> {
    let reason = if token.is_empty() {
        "it is empty"
    } else if token.len() > MAX_TOKEN_LEN {
        "it is longer than 4096 bytes"
    } else {
        let body = token.trim_end_matches('=');
        let ok = !body.is_empty()
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
        if ok {
            return Ok(());
        }
        "it has a character outside RFC 6750's b64token"
    };
    Err(DataClientError::InvalidBearerToken { reason })
}

/// Only the `error` member of an error answer; anything else in the body is ignored.
/// Whether `text` is a JSON object (after JSON whitespace): serde would also read a struct from
/// an array, which the contract never sends.
fn is_json_object(text: &str) -> bool {
    text.trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('{')
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
}

/// Reads the client-data endpoint's answer: its HTTP status, its `WWW-Authenticate` header (if
/// any) and its body.
///
/// | status | result |
/// |---|---|
/// | 200 | the [`ClientData`] (unknown members ignored, wrong types refused) |
/// | 404 with `{"error":"client_not_found"}` | [`ClientDataError::ClientNotFound`] |
/// | 404 otherwise | [`ClientDataError::EndpointNotFound`] |
/// | 401 | [`ClientDataError::TokenRefused`] |
/// | 403 | [`ClientDataError::AccessDenied`] |
/// | 400 | [`ClientDataError::RequestRefused`] |
/// | 503 | [`ClientDataError::PortalUnavailable`] |
/// | any other | [`ClientDataError::UnexpectedStatus`] |
///
/// A body longer than [`MAX_BODY_LEN`] is never parsed: a 200 answer with one is
/// [`ClientDataError::TooLarge`], a refusal with one is read from its status and header alone
/// (a 404 then is [`ClientDataError::EndpointNotFound`]). The code of a refusal
/// ([`ClientDataError::server_code`]) is the body's `error`, or else the `WWW-Authenticate`
/// Bearer challenge's `error_description`, or else its `error`: the first that is a snake_case
/// code.
pub fn read_client_data(
    status: u16,
    www_authenticate: Option<&str>,
    body: &[u8],
) -> Result<ClientData, ClientDataError> {
    if !matches!(status, 200 | 400 | 401 | 403 | 404 | 503) {
        return Err(ClientDataError::UnexpectedStatus { status });
    }
    let oversized = body.len() > MAX_BODY_LEN;
    if status == 200 {
        if oversized {
            return Err(ClientDataError::TooLarge {
                len: body.len(),
                max: MAX_BODY_LEN,
            });
        }
        let text = std::str::from_utf8(body).map_err(|_| ClientDataError::InvalidData {
            problem: JsonProblem::NotUtf8,
        })?;
        // serde reads a struct from a JSON array too (`["48213","cliente",…]`): the contract's
        // answer is an object, and nothing else is read as data.
        if !is_json_object(text) {
            return Err(ClientDataError::InvalidData {
                problem: JsonProblem::WrongShape,
            });
        }
        return serde_json::from_str(text).map_err(|e| ClientDataError::InvalidData {
            problem: JsonProblem::of(&e),
        });
    }
    // An oversized error body is not parsed: the status still says what happened (a proxy's
    // large 503 page still means "retry"). UTF-8 is checked first: serde_json skips the members
    // it ignores without checking theirs.
    let body_code = (!oversized)
        .then(|| std::str::from_utf8(body).ok())
        .flatten()
        .filter(|text| is_json_object(text))
        .and_then(|text| serde_json::from_str::<ErrorBody>(text).ok())
        .and_then(|b| ServerCode::new(&b.error));
    if status == 404 {
        return Err(match body_code {
            Some(code) if code.as_str() == "client_not_found" => ClientDataError::ClientNotFound,
            _ => ClientDataError::EndpointNotFound,
        });
    }
    let code = body_code.or_else(|| {
        let challenge = BearerChallenge::parse(www_authenticate?)?;
        challenge
            .error_description()
            .and_then(ServerCode::new)
            .or_else(|| challenge.error().and_then(ServerCode::new))
    });
    Err(match status {
        401 => ClientDataError::TokenRefused { code },
        403 => ClientDataError::AccessDenied { code },
        400 => ClientDataError::RequestRefused { code },
        _ => ClientDataError::PortalUnavailable { code },
    })
}

/// [`read_client_data`], then a check that the data is for the launch whose verified `claims`
/// the token carried: the same `sub`, `role` and `plugin` (`aud`). A conforming portal always
/// answers so; the check keeps a shared cache or a misrouting proxy from showing one person
/// another's data ([`ClientDataError::NotForThisLaunch`]).
pub fn read_client_data_for(
    claims: &LaunchClaims,
    status: u16,
    www_authenticate: Option<&str>,
    body: &[u8],
) -> Result<ClientData, ClientDataError> {
    let data = read_client_data(status, www_authenticate, body)?;
    let member = if data.sub != *claims.subject() {
        "sub"
    } else if data.role != claims.role() {
        "role"
    } else if data.plugin != *claims.plugin() {
        "plugin"
    } else {
        return Ok(data);
    };
    Err(ClientDataError::NotForThisLaunch { member })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_must_be_for_the_launch_it_was_redeemed_for() {
        let claims = LaunchClaims {
            iss: IssuerId::new("https://portal.example").unwrap(),
            aud: "financeiro".parse().unwrap(),
            sub: "48213".parse().unwrap(),
            role: crate::wire::Role::Cliente,
            iat: 0,
            nbf: 0,
            exp: 300,
            jti: crate::wire::TokenId::parse("0123456789abcdef").unwrap(),
        };
        let read = |body: &str| read_client_data_for(&claims, 200, None, body.as_bytes());
        assert!(read(r#"{"sub":"48213","role":"cliente","plugin":"financeiro"}"#).is_ok());
        for (body, member) in [
            (
                r#"{"sub":"48214","role":"cliente","plugin":"financeiro"}"#,
                "sub",
            ),
            (
                r#"{"sub":"48213","role":"sindico","plugin":"financeiro"}"#,
                "role",
            ),
            (
                r#"{"sub":"48213","role":"cliente","plugin":"boletos"}"#,
                "plugin",
            ),
        ] {
            let error = read(body).unwrap_err();
            assert_eq!(error, ClientDataError::NotForThisLaunch { member });
            assert_eq!(error.fault(), DataFault::Protocol);
            assert!(!error.to_string().contains("4821"), "{error}");
        }
        // Refusals pass through unchanged.
        let refused = read_client_data_for(&claims, 404, None, br#"{"error":"client_not_found"}"#);
        assert_eq!(refused, Err(ClientDataError::ClientNotFound));
    }

    #[test]
    fn b64token_rules() {
        for ok in ["a", "a.b.c", "eyJ-_~+/x==", &"a".repeat(MAX_TOKEN_LEN)] {
            assert_eq!(check_b64token(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "=",
            "a=b",
            "a b",
            "a\r\nX-Evil: 1",
            "a,b",
            "é",
            "\"a\"",
            &"a".repeat(MAX_TOKEN_LEN + 1),
        ] {
            assert_eq!(
                check_b64token(bad).unwrap_err().code(),
                "bearer_token_invalid",
                "{bad:?}"
            );
        }
    }
}
