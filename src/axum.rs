//! axum extractors (feature `axum`): [`Launch`], a launch token verified by the app's
//! [`PortalRegistry`], and [`Session`], a vendor session authenticated by its [`Sessions`]. Their
//! rejections answer as HTTP: the status of the error, an RFC 6750 challenge, `no-store`, and a
//! JSON body with the error's code.
//!
//! The application's state holds `Arc<PortalRegistry>` and `Arc<Sessions>`, reached through
//! axum's [`FromRef`], so the handler signature says what it needs:
//!
//! ```
//! # #[cfg(feature = "axum")] {
//! use std::sync::Arc;
//! use axum::{Router, extract::FromRef, routing::get};
//! use cv_portal_plugin::axum::{Launch, Session};
//! use cv_portal_plugin::{PortalRegistry, Sessions};
//!
//! #[derive(Clone)] // or `#[derive(FromRef)]` with axum's `macros` feature
//! struct App {
//!     registry: Arc<PortalRegistry>,
//!     sessions: Arc<Sessions>,
//! }
//! impl FromRef<App> for Arc<PortalRegistry> {
//!     fn from_ref(app: &App) -> Self {
//!         Arc::clone(&app.registry)
//!     }
//! }
//! impl FromRef<App> for Arc<Sessions> {
//!     fn from_ref(app: &App) -> Self {
//!         Arc::clone(&app.sessions)
//!     }
//! }
//!
//! // GET /launch?token=… or a form POST with a `token` field. Single use is enforced by the
//! // registry's replay guard: the same token a second time is refused (401 `replayed`). Build
//! // the registry with `PortalRegistry::new_async(Arc::new(AsyncRedisReplayGuard::connect(url)
//! // .await?))` (feature `redis-async`) to await Redis, or `PortalRegistry::new` with one
//! // in-memory guard for a single instance.
//! async fn launch(Launch(launch): Launch) -> String {
//!     format!("olá, {}", launch.claims().subject().as_str())
//! }
//!
//! // `Authorization: Bearer <session>`, or the session cookie (with `Origin` on unsafe methods).
//! async fn boletos(Session(session): Session) -> String {
//!     format!("boletos of {}", session.subject().as_str())
//! }
//!
//! fn router(app: App) -> Router {
//!     Router::new()
//!         .route("/launch", get(launch).post(launch))
//!         .route("/boletos", get(boletos))
//!         .with_state(app)
//! }
//! # }
//! ```
//!
//! ## Other frameworks
//!
//! Nothing here is axum-specific but the glue: [`PortalRegistry::verify_async`] and
//! [`Sessions::authenticate_async`] take strings, and every error has a `code()`, an HTTP status
//! ([`RegistryError::fault`], [`SessionError::http_status`]) and, for sessions, its challenge
//! ([`session_challenge`]). The same answers with actix-web (not a dependency of this crate, so
//! the example is not compiled):
//!
//! ```ignore
//! use std::sync::Arc;
//! use actix_web::{HttpRequest, HttpResponse, get, http::StatusCode, web};
//! use cv_portal_plugin::{CredentialRequest, PortalRegistry, Sessions, session_challenge};
//!
//! #[derive(serde::Deserialize)]
//! struct LaunchQuery { token: String }
//!
//! #[get("/launch")]
//! async fn launch(registry: web::Data<Arc<PortalRegistry>>, query: web::Query<LaunchQuery>) -> HttpResponse {
//!     match registry.verify_async(&query.token).await {
//!         Ok(launch) => HttpResponse::Ok().body(launch.claims().subject().as_str().to_owned()),
//!         Err(error) => {
//!             let status = StatusCode::from_u16(error.fault().http_status()).unwrap();
//!             let mut answer = HttpResponse::build(status);
//!             answer.insert_header(("Cache-Control", "no-store"));
//!             if status == StatusCode::UNAUTHORIZED {
//!                 answer.insert_header(("WWW-Authenticate", format!(
//!                     r#"Bearer realm="cv-plugin", error="invalid_token", error_description="{}""#,
//!                     error.code(),
//!                 )));
//!             } else {
//!                 answer.insert_header(("Retry-After", "5"));
//!             }
//!             answer.json(serde_json::json!({ "error": error.code() })) // never the token
//!         }
//!     }
//! }
//!
//! #[get("/boletos")]
//! async fn boletos(sessions: web::Data<Arc<Sessions>>, request: HttpRequest) -> HttpResponse {
//!     let header = |name| request.headers().get(name).and_then(|v| v.to_str().ok());
//!     let credential = CredentialRequest::new(request.method().as_str())
//!         .authorization(header("Authorization"))
//!         .cookie(header("Cookie"))
//!         .origin(header("Origin"));
//!     match sessions.authenticate_async(&credential).await {
//!         Ok(session) => HttpResponse::Ok().body(session.subject().as_str().to_owned()),
//!         Err(error) => {
//!             let status = StatusCode::from_u16(error.http_status()).unwrap();
//!             let mut answer = HttpResponse::build(status);
//!             if status == StatusCode::UNAUTHORIZED {
//!                 answer.insert_header(session_challenge(&error));
//!             }
//!             answer.json(serde_json::json!({ "error": error.code() }))
//!         }
//!     }
//! }
//! ```

use std::fmt;
use std::sync::Arc;

use ::axum::body::to_bytes;
use ::axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use ::axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, COOKIE, HeaderMap, HeaderValue, ORIGIN, PRAGMA,
    RETRY_AFTER, WWW_AUTHENTICATE,
};
use ::axum::http::request::Parts;
use ::axum::http::{Method, StatusCode};
use ::axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::registry::{PortalRegistry, RegistryError, VerifiedLaunch};
use crate::session::{CredentialRequest, SessionClaims, SessionError, Sessions, session_challenge};
use crate::verify::VerifyError;
use crate::wire::Delivery;

/// The realm of the launch's `WWW-Authenticate` challenge.
pub const LAUNCH_REALM: &str = "cv-plugin";

/// The `Retry-After` of a 503 answer, in seconds.
pub const RETRY_AFTER_SECS: u32 = 5;

/// The largest form body [`Launch`] reads, in bytes (a launch token is at most a few KiB).
pub const MAX_FORM_LEN: usize = 64 * 1024;

/// A launch token verified by the [`PortalRegistry`] of the application's state: a POST with an
/// `application/x-www-form-urlencoded` body is read from the body's `token` field only; any
/// other request from the `token` query parameter. Single use holds: the registry's replay guard consumes the token, so the same
/// request a second time is refused (`replayed`).
///
/// The verification is [`PortalRegistry::verify_async`]: it never waits on the network for keys,
/// and single use is awaited on the registry's async guard ([`PortalRegistry::new_async`] with
/// an `AsyncRedisReplayGuard`), or asked in place of a blocking one ([`PortalRegistry::new`],
/// meant for an in-memory guard; a blocking `RedisReplayGuard` there would hold a runtime thread
/// for its round trip).
///
/// A missing or repeated `token` is refused as `malformed` (401). A plugin registered with
/// [`Portal::plugin_with_delivery`](crate::Portal::plugin_with_delivery) is launched only by its
/// delivery: a verified launch that came the other way (a form-POST plugin's token in a query
/// string) is refused as `wrong_delivery` (400), its token consumed. Reads the body, so it must
/// be the handler's last extractor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch(pub VerifiedLaunch);

/// Why [`Launch`] refused a request; answers as HTTP through [`IntoResponse`]: the status of
/// [`RegistryError::fault`] (401 or 503), `WWW-Authenticate: Bearer realm="cv-plugin",
/// error="invalid_token", error_description="<code>"` with a 401, `Retry-After` with a 503,
/// `Cache-Control: no-store`, and the body `{"error":"<code>","error_description":"…"}`.
/// The body never carries the token or any text taken from it: log [`error`](Self::error) for
/// the details.
#[derive(Debug)]
#[non_exhaustive]
pub enum LaunchRejection {
    /// The registry refused the token (or there was none).
    Refused(RegistryError),
    /// The form body could not be read (too long, or the connection failed): 400
    /// `invalid_request`.
    Body(::axum::Error),
    /// The launch verified, but arrived by another delivery than the one its plugin uses
    /// ([`Portal::plugin_with_delivery`](crate::Portal::plugin_with_delivery)): 400
    /// `wrong_delivery`. The token was consumed (it may have leaked from a URL), so the person
    /// opens the plugin again from the portal.
    WrongDelivery {
        /// The plugin's delivery.
        expected: Delivery,
        /// How the launch arrived.
        got: Delivery,
    },
}

impl LaunchRejection {
    /// The stable code: the [`RegistryError::code`], or `invalid_request` for an unreadable body.
    pub fn code(&self) -> &'static str {
        match self {
            LaunchRejection::Refused(error) => error.code(),
            LaunchRejection::Body(_) => "invalid_request",
            LaunchRejection::WrongDelivery { .. } => "wrong_delivery",
        }
    }

    /// The HTTP status: 401, 503, or 400 for an unreadable body or the wrong delivery.
    pub fn status(&self) -> StatusCode {
        match self {
            LaunchRejection::Refused(error) => status(error.fault().http_status()),
            LaunchRejection::Body(_) | LaunchRejection::WrongDelivery { .. } => {
                StatusCode::BAD_REQUEST
            }
        }
    }

    /// The registry's error, for the vendor's logs.
    pub fn error(&self) -> Option<&RegistryError> {
        match self {
            LaunchRejection::Refused(error) => Some(error),
            LaunchRejection::Body(_) | LaunchRejection::WrongDelivery { .. } => None,
        }
    }
}

impl fmt::Display for LaunchRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LaunchRejection::Refused(error) => error.fmt(f),
            LaunchRejection::Body(error) => write!(f, "the form body could not be read: {error}"),
            LaunchRejection::WrongDelivery { expected, got } => write!(
                f,
                "the launch arrived by {} but its plugin is launched by {}",
                got.as_str(),
                expected.as_str()
            ),
        }
    }
}

impl std::error::Error for LaunchRejection {}

impl IntoResponse for LaunchRejection {
    fn into_response(self) -> Response {
        let status = self.status();
        let code = self.code();
        let (description, challenge) = match status {
            StatusCode::UNAUTHORIZED => (
                "the launch token was refused; open the plugin again from the portal",
                Some(format!(
                    r#"Bearer realm="{LAUNCH_REALM}", error="invalid_token", error_description="{code}""#
                )),
            ),
            StatusCode::SERVICE_UNAVAILABLE => (
                "the launch cannot be verified right now; retry later, or open the plugin again from the portal",
                None,
            ),
            _ if code == "wrong_delivery" => (
                "the launch arrived another way than its plugin's; open the plugin again from the portal",
                None,
            ),
            _ => ("the request could not be read", None),
        };
        refusal(status, code, description, challenge)
    }
}

impl<S> FromRequest<S> for Launch
where
    Arc<PortalRegistry>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = LaunchRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let registry = Arc::<PortalRegistry>::from_ref(state);
        let form = request.method() == Method::POST && is_form(request.headers());
        let got = if form {
            Delivery::FormPost
        } else {
            Delivery::Query
        };
        let fields = if form {
            to_bytes(request.into_body(), MAX_FORM_LEN)
                .await
                .map_err(LaunchRejection::Body)?
        } else {
            request
                .uri()
                .query()
                .unwrap_or("")
                .as_bytes()
                .to_vec()
                .into()
        };
        let token = token_field(&fields).map_err(LaunchRejection::Refused)?;
        let launch = registry
            .verify_async(&token)
            .await
            .map_err(LaunchRejection::Refused)?;
        match registry.delivery(launch.portal(), launch.claims().plugin()) {
            Some(expected) if expected != got => {
                Err(LaunchRejection::WrongDelivery { expected, got })
            }
            _ => Ok(Launch(launch)),
        }
    }
}

/// Whether the request's body is `application/x-www-form-urlencoded`.
fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// The one `token` field of a query string or form body.
fn token_field(fields: &[u8]) -> Result<String, RegistryError> {
    let mut tokens = form_urlencoded::parse(fields).filter(|(name, _)| name == "token");
    let refuse = |reason| RegistryError::Unrouted(VerifyError::Malformed { reason });
    let token = tokens.next().ok_or_else(|| refuse("no token parameter"))?.1;
    if tokens.next().is_some() {
        return Err(refuse("more than one token parameter"));
    }
    Ok(token.into_owned())
}

/// A vendor session authenticated by the [`Sessions`] of the application's state, through
/// [`Sessions::authenticate_async`]: the `Authorization: Bearer` header decides alone; else the
/// session cookie, which on a method other than `GET`, `HEAD` or `OPTIONS` needs `Origin` equal
/// to the vendor's own origin. Two `Authorization` headers are refused
/// (`credential_malformed`); several `Cookie` headers are joined.
///
/// Revocation is awaited, so no runtime thread waits on the network: build the [`Sessions`]
/// with [`revocation_store_async`](crate::SessionsBuilder::revocation_store_async) (an
/// `AsyncRedisRevocationStore`) when several instances run, or
/// [`single_instance`](crate::SessionsBuilder::single_instance) for one. A blocking store
/// ([`revocation_store`](crate::SessionsBuilder::revocation_store)) is never asked here: every
/// request is refused with 503 `session_store_unavailable` (cause `blocking_only`).
///
/// One [`Sessions`] serves every portal of a [`PortalRegistry`]: add each (portal, plugin) pair
/// ([`SessionsBuilder::portal`](crate::SessionsBuilder::portal),
/// [`Sessions::insert_portal`]); a session is accepted as its own portal's only, and refused
/// (401 `session_wrong_issuer`) once that portal is removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session(pub SessionClaims);

/// Why [`Session`] refused a request; answers as HTTP through [`IntoResponse`]: the status of
/// [`SessionError::http_status`] (401, 403 or 503), exactly [`session_challenge`] with a 401 (the
/// page script refreshes the session on it), `Retry-After` with a 503, `Cache-Control:
/// no-store`, and the body `{"error":"<code>","error_description":"…"}`, which never carries the
/// credential.
#[derive(Debug)]
pub struct SessionRejection(pub SessionError);

impl SessionRejection {
    /// The stable code, [`SessionError::code`].
    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    /// The HTTP status, [`SessionError::http_status`].
    pub fn status(&self) -> StatusCode {
        status(self.0.http_status())
    }
}

impl fmt::Display for SessionRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SessionRejection {}

impl IntoResponse for SessionRejection {
    fn into_response(self) -> Response {
        let status = self.status();
        let (description, challenge) = match status {
            StatusCode::UNAUTHORIZED => (
                "the session was refused; refresh it from the portal",
                Some(session_challenge(&self.0).1),
            ),
            StatusCode::FORBIDDEN => (
                "a request authenticated by the session cookie must come from the vendor's own origin",
                None,
            ),
            _ => ("the session cannot be checked right now; retry later", None),
        };
        refusal(status, self.code(), description, challenge)
    }
}

impl<S> FromRequestParts<S> for Session
where
    Arc<Sessions>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let sessions = Arc::<Sessions>::from_ref(state);
        let malformed = |reason| SessionRejection(SessionError::CredentialMalformed { reason });
        let mut authorizations = parts.headers.get_all(AUTHORIZATION).iter();
        let authorization = match (authorizations.next(), authorizations.next()) {
            (Some(_), Some(_)) => return Err(malformed("more than one Authorization header")),
            (Some(value), None) => Some(
                value
                    .to_str()
                    .map_err(|_| malformed("the Authorization header is not ASCII"))?,
            ),
            (None, _) => None,
        };
        // Non-ASCII bytes in someone else's cookie must not hide ours: read them lossily.
        let cookies: Vec<_> = parts
            .headers
            .get_all(COOKIE)
            .iter()
            .map(|value| String::from_utf8_lossy(value.as_bytes()))
            .collect();
        let cookie = (!cookies.is_empty()).then(|| cookies.join("; "));
        // An Origin that is not ASCII matches no origin: a cookie on an unsafe method fails.
        let origin = parts
            .headers
            .get(ORIGIN)
            .map(|value| value.to_str().unwrap_or(""));
        let request = CredentialRequest::new(parts.method.as_str())
            .authorization(authorization)
            .cookie(cookie.as_deref())
            .origin(origin);
        sessions
            .authenticate_async(&request)
            .await
            .map(Session)
            .map_err(SessionRejection)
    }
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    error_description: &'a str,
}

/// A refusal: JSON with the code, no caching, the challenge of a 401 and the retry of a 503.
fn refusal(
    status: StatusCode,
    code: &str,
    description: &str,
    challenge: Option<String>,
) -> Response {
    let body = serde_json::to_string(&ErrorBody {
        error: code,
        error_description: description,
    })
    .unwrap_or_default();
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    if let Some(challenge) = challenge.and_then(|c| HeaderValue::try_from(c).ok()) {
        headers.insert(WWW_AUTHENTICATE, challenge);
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        headers.insert(RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_is_recognised_with_parameters_and_in_any_case() {
        let form = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(value));
            is_form(&headers)
        };
        assert!(form("application/x-www-form-urlencoded"));
        assert!(form("Application/X-WWW-Form-Urlencoded; charset=UTF-8"));
        assert!(!form("application/json"));
        assert!(!form("multipart/form-data; boundary=x"));
        assert!(!is_form(&HeaderMap::new()));
    }

    #[test]
    fn exactly_one_token_field_is_taken() {
        assert_eq!(token_field(b"a=1&token=x.y.z&b=2").unwrap(), "x.y.z");
        assert_eq!(token_field(b"token=a%2Eb").unwrap(), "a.b");
        for fields in [&b""[..], b"tokens=x", b"token=x&token=x"] {
            assert_eq!(token_field(fields).unwrap_err().code(), "malformed");
        }
    }
}
