//! The vendor's state and routes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::header::{
    ACCEPT, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, WWW_AUTHENTICATE,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cv_portal_plugin::axum::{Launch, LaunchRejection, MAX_FORM_LEN, Session, SessionRejection};
use cv_portal_plugin::http::HttpError;
use cv_portal_plugin::wire::DiscoveryDocument;
use cv_portal_plugin::{
    ClientDataRequest, PortalHttp, PortalOrigin, PortalRegistry, SessionClaims, SessionError,
    Sessions, VerifiedLaunch, bounce_page, page_headers, session_challenge,
};
use serde::Deserialize;

use crate::boletos;
use crate::clock::OffsetClock;
use crate::common::script_hash;
use crate::pages;

/// How a hosted plugin's launch token reaches `/launch` (PROTOCOL.md §5): the `delivery` of the
/// plugin's configuration at the portal. (The crate's `Delivery` belongs to the portal side.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// `GET /launch?token=…`.
    Query,
    /// `POST /launch`, form field `token`.
    FormPost,
}

impl Delivery {
    /// `query` or `form_post`, the names of the plugin configuration.
    pub fn parse(name: &str) -> Option<Delivery> {
        match name {
            "query" => Some(Delivery::Query),
            "form_post" => Some(Delivery::FormPost),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Query => "query",
            Delivery::FormPost => "form_post",
        }
    }
}

/// What the vendor knows about a person after a launch: the client data it was granted.
#[derive(Debug, Clone, Default)]
pub struct Customer {
    /// `name`, when granted and known.
    pub name: Option<String>,
    /// How many units the portal listed (when `units` was granted).
    pub units: Option<usize>,
}

/// The vendor.
pub struct Vendor {
    pub registry: Arc<PortalRegistry>,
    /// One per hosted plugin (by plugin id), all on the same key and clock.
    pub sessions: Vec<(String, Arc<Sessions>)>,
    pub http: PortalHttp,
    pub discovery: DiscoveryDocument,
    pub portal_origin: PortalOrigin,
    pub clock: Arc<OffsetClock>,
    pub test_hooks: bool,
    /// The delivery of each hosted plugin (by plugin id): `/launch` accepts only that one.
    pub deliveries: Vec<(String, Delivery)>,
    /// The client data of each person seen at a launch, by `(plugin, sub)`.
    pub customers: Mutex<HashMap<(String, String), Customer>>,
}

/// The axum state: the vendor, and the registry the crate's `Launch` extractor reads.
#[derive(Clone)]
pub struct App {
    vendor: Arc<Vendor>,
    registry: Arc<PortalRegistry>,
}

impl App {
    pub fn new(vendor: Vendor) -> App {
        App {
            registry: Arc::clone(&vendor.registry),
            vendor: Arc::new(vendor),
        }
    }
}

impl FromRef<App> for Arc<PortalRegistry> {
    fn from_ref(app: &App) -> Self {
        Arc::clone(&app.registry)
    }
}

impl Vendor {
    /// The sessions of `plugin`.
    fn sessions_for(&self, plugin: &str) -> Option<&Arc<Sessions>> {
        self.sessions
            .iter()
            .find(|(id, _)| id == plugin)
            .map(|(_, sessions)| sessions)
    }

    /// Runs `attempt` with each plugin's sessions until one accepts; otherwise the most telling
    /// refusal (a token of another plugin reads `session_wrong_audience` at the others).
    fn any_sessions<T>(
        &self,
        mut attempt: impl FnMut(&Arc<Sessions>) -> Result<T, SessionError>,
    ) -> Result<(T, Arc<Sessions>), SessionError> {
        let mut refusal: Option<SessionError> = None;
        for (_, sessions) in &self.sessions {
            match attempt(sessions) {
                Ok(value) => return Ok((value, Arc::clone(sessions))),
                Err(error) => keep_telling(&mut refusal, error),
            }
        }
        Err(refusal.unwrap_or(SessionError::CredentialMissing))
    }

    fn delivery_of(&self, plugin: &str) -> Option<Delivery> {
        self.deliveries
            .iter()
            .find(|(id, _)| id == plugin)
            .map(|(_, delivery)| *delivery)
    }

    fn customer(&self, plugin: &str, subject: &str) -> Customer {
        self.customers
            .lock()
            .ok()
            .and_then(|c| c.get(&(plugin.to_owned(), subject.to_owned())).cloned())
            .unwrap_or_default()
    }
}

/// Keeps in `refusal` the first refusal that says something about the credential itself: a
/// session or ticket of another hosted plugin reads `*_wrong_audience` at every other plugin's
/// sessions, which is never the answer when its own plugin's sessions said why.
fn keep_telling(refusal: &mut Option<SessionError>, error: SessionError) {
    let telling =
        |e: &SessionError| !matches!(e.code(), "session_wrong_audience" | "ticket_wrong_audience");
    if refusal
        .as_ref()
        .is_none_or(|kept| !telling(kept) && telling(&error))
    {
        *refusal = Some(error);
    }
}

/// Every route of the vendor.
pub fn router(app: App) -> Router {
    let mut router = Router::new()
        .route("/", get(index))
        .route("/launch", get(launch_get).post(launch_post))
        .route("/boletos", get(bounce).post(bounce_post))
        .route("/cv/exchange", post(exchange))
        .route("/api/session", get(api_session))
        .route("/api/boletos", get(api_boletos))
        .route("/api/boletos/{id}/ticket", post(api_ticket))
        .route("/boletos/{id}/pdf", get(pdf))
        .route("/boletos/{id}/email", post(email))
        .route("/assets/cv-plugin-page.js", get(page_script))
        .route("/assets/vendor.js", get(vendor_script))
        .route("/assets/vendor.css", get(stylesheet))
        .route("/assets/strip-token.js", get(strip_token_script));
    if app.vendor.test_hooks {
        router = router.route("/__test/clock/advance", post(advance_clock));
    }
    router.fallback(not_found).with_state(app)
}

// ---------------------------------------------------------------------------------------------
// Responses

/// A plugin page: the crate's page headers (`frame-ancestors` the portal, no referrer,
/// `no-store`) and a second CSP that allows scripts, styles and form posts from the vendor's own
/// origin only; with `inline` (the bounce page inlines its scripts), scripts only by the hashes
/// of the page's own inline scripts.
fn page(vendor: &Vendor, status: StatusCode, body: String, inline: bool) -> Response {
    let csp = if inline {
        format!(
            "default-src 'none'; script-src {}; connect-src 'self'; form-action 'self'; \
             base-uri 'none'; object-src 'none'",
            inline_script_hashes(&body)
        )
    } else {
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'"
            .to_owned()
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    for (name, value) in page_headers(std::slice::from_ref(&vendor.portal_origin)) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name),
            HeaderValue::try_from(value.as_str()),
        ) {
            headers.append(name, value);
        }
    }
    if let Ok(value) = HeaderValue::try_from(csp) {
        headers.append(HeaderName::from_static("content-security-policy"), value);
    }
    headers.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// The `'sha256-…'` sources of every inline `<script>` of `html` (the bounce page's), or
/// `'none'` when it has none.
fn inline_script_hashes(html: &str) -> String {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script>") {
        let after = &rest[start + "<script>".len()..];
        let Some(end) = after.find("</script>") else {
            break;
        };
        hashes.push(script_hash(&after[..end]));
        rest = &after[end..];
    }
    if hashes.is_empty() {
        "'none'".to_owned()
    } else {
        hashes.join(" ")
    }
}

/// The error page of `code`, with `status`: never any data.
fn error_page(vendor: &Vendor, status: StatusCode, code: &str) -> Response {
    let mut response = page(vendor, status, pages::error(code), false);
    if status == StatusCode::UNAUTHORIZED && code.starts_with("session_") {
        // A page load refused for its session: the same challenge as the API's.
        if let Ok(value) = HeaderValue::try_from(format!(
            r#"Bearer realm="cv-plugin-session", error="invalid_token", error_description="{code}""#
        )) {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
    }
    response
}

fn session_error_page(vendor: &Vendor, error: &SessionError) -> Response {
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::UNAUTHORIZED);
    let mut response = page(vendor, status, pages::error(error.code()), false);
    if status == StatusCode::UNAUTHORIZED {
        let (name, value) = session_challenge(error);
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

fn json(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

async fn index(State(app): State<App>) -> Response {
    page(&app.vendor, StatusCode::OK, pages::index(), false)
}

async fn not_found(State(app): State<App>) -> Response {
    error_page(&app.vendor, StatusCode::NOT_FOUND, "not_found")
}

// ---------------------------------------------------------------------------------------------
// The launch

/// What a request to `/launch` carries: a launch token (verified once by the crate's `Launch`
/// extractor, which hands the token back for the client-data redemption), a bounce page's
/// session, or nothing (a reload of the frame after the page removed `token` from its address).
enum LaunchRequest {
    /// A verified launch, and how its token arrived (`None`: a POST that is not a form).
    Launch(VerifiedLaunch, Option<Delivery>),
    /// A refused launch.
    Refused(LaunchRejection),
    /// A bounce page's form POST: `session`, with the request's `Origin` and `Sec-Fetch-Site`.
    Bounce {
        session: String,
        origin: Option<String>,
        fetch_site: Option<String>,
    },
    /// No token at all: answer with the bounce page.
    Nothing,
}

impl FromRequest<App> for LaunchRequest {
    type Rejection = std::convert::Infallible;

    async fn from_request(request: Request, app: &App) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let form = parts.method == Method::POST
            && header("content-type").is_some_and(|v| {
                v.split(';').next().is_some_and(|m| {
                    m.trim()
                        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
                })
            });
        let (fields, body) = if form {
            match to_bytes(body, MAX_FORM_LEN).await {
                Ok(bytes) => (bytes.to_vec(), Body::from(bytes)),
                Err(error) => return Ok(LaunchRequest::Refused(LaunchRejection::Body(error))),
            }
        } else {
            let query = parts.uri.query().unwrap_or("").as_bytes().to_vec();
            (query, body)
        };
        let field = |name: &str| {
            form_urlencoded::parse(&fields)
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.into_owned())
        };
        if field("token").is_none() {
            if let (true, Some(session)) = (form, field("session")) {
                return Ok(LaunchRequest::Bounce {
                    session,
                    origin: header("origin"),
                    fetch_site: header("sec-fetch-site"),
                });
            }
            if parts.method == Method::GET {
                return Ok(LaunchRequest::Nothing);
            }
        }
        let arrived = if form {
            Some(Delivery::FormPost)
        } else if parts.method == Method::GET {
            Some(Delivery::Query)
        } else {
            None
        };
        let request = Request::from_parts(parts, body);
        Ok(match Launch::from_request(request, app).await {
            Ok(Launch(verified)) => LaunchRequest::Launch(verified, arrived),
            Err(rejection) => LaunchRequest::Refused(rejection),
        })
    }
}

async fn launch_get(State(app): State<App>, launch: LaunchRequest) -> Response {
    handle_launch(&app.vendor, launch).await
}

async fn launch_post(State(app): State<App>, launch: LaunchRequest) -> Response {
    handle_launch(&app.vendor, launch).await
}

async fn handle_launch(vendor: &Vendor, launch: LaunchRequest) -> Response {
    match launch {
        LaunchRequest::Launch(verified, arrived) => open_launch(vendor, &verified, arrived).await,
        LaunchRequest::Refused(rejection) => {
            if let Some(error) = rejection.error() {
                eprintln!(
                    "vendor_demo: launch refused: error[{}]: {error}",
                    error.code()
                );
            }
            error_page(vendor, rejection.status(), rejection.code())
        }
        LaunchRequest::Bounce {
            session,
            origin,
            fetch_site,
        } => bounced(
            vendor,
            &session,
            origin.as_deref(),
            fetch_site.as_deref(),
            None,
        ),
        LaunchRequest::Nothing => bounce_answer(vendor),
    }
}

/// A verified launch: check that it came by the plugin's delivery, redeem the token for the
/// person's data, start a session, answer the page.
async fn open_launch(
    vendor: &Vendor,
    verified: &VerifiedLaunch,
    arrived: Option<Delivery>,
) -> Response {
    let token = verified.token();
    let claims = verified.claims();
    let plugin = claims.plugin().as_str();
    let Some(sessions) = vendor.sessions_for(plugin) else {
        return error_page(vendor, StatusCode::UNAUTHORIZED, "wrong_audience");
    };
    // PROTOCOL.md §5: the launch endpoint accepts the plugin's one delivery. A form-POST token
    // sent as `?token=` is refused (it is spent now: it may have leaked), before any client data
    // is redeemed or a session opened.
    let expected = vendor.delivery_of(plugin);
    if arrived.is_none() || arrived != expected {
        eprintln!(
            "vendor_demo: launch refused: error[wrong_delivery]: plugin {plugin} is delivered by {}, \
             the token came by {}",
            expected.map_or("?", Delivery::as_str),
            arrived.map_or("a POST that is not a form", Delivery::as_str),
        );
        return error_page(vendor, StatusCode::BAD_REQUEST, "wrong_delivery");
    }
    let request = match ClientDataRequest::for_launch(&vendor.discovery, claims, token) {
        Ok(request) => request,
        Err(error) => {
            eprintln!("vendor_demo: client data: error[{}]: {error}", error.code());
            return error_page(vendor, StatusCode::BAD_GATEWAY, error.code());
        }
    };
    let data = match vendor.http.client_data_for(&request, claims).await {
        Ok(data) => data,
        Err(error) => {
            eprintln!("vendor_demo: client data: error[{}]: {error}", error.code());
            let status = match &error {
                HttpError::ClientData(data) => data.fault().http_status(),
                HttpError::Transport { .. } => 503,
                _ => 502,
            };
            let code = error.server_code().unwrap_or(error.code()).to_owned();
            return error_page(
                vendor,
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
                &code,
            );
        }
    };
    let customer = Customer {
        name: data.name.clone(),
        units: data.units.as_ref().map(Vec::len),
    };
    if let Ok(mut customers) = vendor.customers.lock() {
        customers.insert(
            (plugin.to_owned(), claims.subject().as_str().to_owned()),
            customer.clone(),
        );
    }
    let session = match sessions.start(claims) {
        Ok(session) => session,
        Err(error) => return session_error_page(vendor, &error),
    };
    let body = pages::boletos_page(&pages::BoletosPage {
        portal_origin: vendor.portal_origin.as_str(),
        session: session.as_str(),
        plugin,
        subject: claims.subject().as_str(),
        customer: &customer,
        notice: None,
    });
    page(vendor, StatusCode::OK, body, false)
}

/// The bounce page (PROTOCOL.md §13.5): a page load without a session renews it through the
/// portal, then posts it back here.
fn bounce_answer(vendor: &Vendor) -> Response {
    match bounce_page(&vendor.portal_origin, "/cv/exchange") {
        Ok(body) => page(vendor, StatusCode::OK, body, true),
        Err(error) => error_page(vendor, StatusCode::INTERNAL_SERVER_ERROR, error.code()),
    }
}

/// A bounce page's (or the e-mail form's) POST of `session`: accepted only from the vendor's
/// own origin; an invalid session gets the error page, never another bounce page.
fn bounced(
    vendor: &Vendor,
    session: &str,
    origin: Option<&str>,
    fetch_site: Option<&str>,
    notice: Option<String>,
) -> Response {
    match vendor.any_sessions(|s| s.authenticate_bounce(session, origin, fetch_site)) {
        Ok((claims, _)) => boletos_for_session(vendor, &claims, session, notice),
        Err(error) => session_error_page(vendor, &error),
    }
}

fn boletos_for_session(
    vendor: &Vendor,
    claims: &SessionClaims,
    session: &str,
    notice: Option<String>,
) -> Response {
    let plugin = claims.plugin().as_str();
    let customer = vendor.customer(plugin, claims.subject().as_str());
    let body = pages::boletos_page(&pages::BoletosPage {
        portal_origin: vendor.portal_origin.as_str(),
        session,
        plugin,
        subject: claims.subject().as_str(),
        customer: &customer,
        notice,
    });
    page(vendor, StatusCode::OK, body, false)
}

async fn bounce(State(app): State<App>) -> Response {
    bounce_answer(&app.vendor)
}

#[derive(Deserialize)]
struct SessionForm {
    session: String,
}

async fn bounce_post(
    State(app): State<App>,
    headers: HeaderMap,
    form: Result<axum::Form<SessionForm>, FormRejection>,
) -> Response {
    let Ok(axum::Form(form)) = form else {
        return error_page(&app.vendor, StatusCode::UNAUTHORIZED, "credential_missing");
    };
    bounced(
        &app.vendor,
        &form.session,
        header_str(&headers, "origin"),
        header_str(&headers, "sec-fetch-site"),
        None,
    )
}

/// `POST /cv/exchange` (PROTOCOL.md §13.3): a fresh launch token (from the portal, over
/// `postMessage`) for a new session; a refusal is the crate's JSON rejection.
async fn exchange(State(app): State<App>, launch: Result<Launch, LaunchRejection>) -> Response {
    let verified = match launch {
        Ok(Launch(verified)) => verified,
        Err(rejection) => return rejection.into_response(),
    };
    let claims = verified.claims();
    let Some(sessions) = app.vendor.sessions_for(claims.plugin().as_str()) else {
        return json(
            StatusCode::UNAUTHORIZED,
            r#"{"error":"wrong_audience"}"#.to_owned(),
        );
    };
    match sessions.start(claims) {
        Ok(session) => json(StatusCode::OK, session.exchange_json()),
        Err(error) => SessionRejection(error).into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// The session's API

/// A request authenticated by the session of any hosted plugin, through the crate's `Session`
/// extractor (bearer first; the cookie only as §12 allows).
pub struct AnySession(SessionClaims, Arc<Sessions>);

impl FromRequestParts<App> for AnySession {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let mut refusal: Option<SessionError> = None;
        for (_, sessions) in &app.vendor.sessions {
            match Session::from_request_parts(parts, sessions).await {
                Ok(Session(claims)) => return Ok(AnySession(claims, Arc::clone(sessions))),
                Err(SessionRejection(error)) => keep_telling(&mut refusal, error),
            }
        }
        Err(SessionRejection(
            refusal.unwrap_or(SessionError::CredentialMissing),
        ))
    }
}

async fn api_session(AnySession(claims, _): AnySession) -> Response {
    json(
        StatusCode::OK,
        serde_json::json!({
            "sub": claims.subject().as_str(),
            "role": claims.role().as_str(),
            "plugin": claims.plugin().as_str(),
            "expires_at": claims.expires_at(),
        })
        .to_string(),
    )
}

async fn api_boletos(State(app): State<App>, AnySession(claims, _): AnySession) -> Response {
    let subject = claims.subject().as_str();
    let customer = app.vendor.customer(claims.plugin().as_str(), subject);
    json(
        StatusCode::OK,
        serde_json::json!({
            "sub": subject,
            "name": customer.name,
            "boletos": boletos::boletos_of(subject),
        })
        .to_string(),
    )
}

/// `POST /api/boletos/ID/ticket`: a one-time download ticket for the boleto's PDF.
async fn api_ticket(Path(id): Path<String>, AnySession(claims, sessions): AnySession) -> Response {
    let refuse = |status: StatusCode, code: &str| {
        json(status, serde_json::json!({ "error": code }).to_string())
    };
    if boletos::find(claims.subject().as_str(), &id).is_none() {
        return refuse(StatusCode::NOT_FOUND, "boleto_not_found");
    }
    let resource = format!("/boletos/{id}/pdf");
    match sessions.ticket(&claims, &resource) {
        Ok(ticket) => {
            let ticket: String = form_urlencoded::byte_serialize(ticket.as_bytes()).collect();
            let url = format!("{resource}?ticket={ticket}");
            json(
                StatusCode::OK,
                serde_json::json!({
                    "url": url,
                    "filename": format!("boleto-{id}.pdf"),
                })
                .to_string(),
            )
        }
        Err(error) => SessionRejection(error).into_response(),
    }
}

#[derive(Deserialize)]
struct TicketQuery {
    ticket: Option<String>,
}

/// `GET /boletos/ID/pdf?ticket=…`: the PDF, for a ticket redeemed once.
async fn pdf(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(query): Query<TicketQuery>,
) -> Response {
    let vendor = &app.vendor;
    let Some(ticket) = query.ticket else {
        return error_page(vendor, StatusCode::UNAUTHORIZED, "credential_missing");
    };
    let resource = format!("/boletos/{id}/pdf");
    let claims = match vendor.any_sessions(|s| s.redeem_ticket(&ticket, &resource)) {
        Ok((claims, _)) => claims,
        Err(error) => return session_error_page(vendor, &error),
    };
    let subject = claims.subject().as_str();
    let Some(boleto) = boletos::find(subject, &id) else {
        return error_page(vendor, StatusCode::NOT_FOUND, "not_found");
    };
    let customer = vendor.customer(claims.plugin().as_str(), subject);
    let name = customer
        .name
        .unwrap_or_else(|| format!("cliente {subject}"));
    let mut response = boletos::pdf(&boleto, &name).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(value) = HeaderValue::try_from(format!("attachment; filename=\"boleto-{id}.pdf\"")) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    response
}

#[derive(Deserialize)]
struct EmailForm {
    session: Option<String>,
}

/// `POST /boletos/ID/email`: "enviar 2ª via por e-mail". The page's script fills the form's
/// `session` field from its in-memory session (renewed first through the portal if it had
/// ended) and submits the form: accepted only from the vendor's own origin, as a bounce post.
/// An `Authorization: Bearer` session is accepted too (JSON answer with `Accept: application/json`).
async fn email(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    session: Result<AnySession, SessionRejection>,
    form: Result<axum::Form<EmailForm>, FormRejection>,
) -> Response {
    let vendor = &app.vendor;
    let notice = |subject: &str| {
        boletos::find(subject, &id).map(|boleto| {
            format!(
                "2ª via do boleto {} ({}, vencimento {}) enviada por e-mail.",
                boleto.id, boleto.amount, boleto.due
            )
        })
    };
    if let Ok(AnySession(claims, _)) = session {
        return match notice(claims.subject().as_str()) {
            Some(text) if wants_json(&headers) => json(
                StatusCode::OK,
                serde_json::json!({ "status": "enviado", "boleto": id, "message": text })
                    .to_string(),
            ),
            Some(text) => {
                // No session token to render from a bearer request: show the notice alone.
                page(vendor, StatusCode::OK, pages::notice_page(&text), false)
            }
            None => error_page(vendor, StatusCode::NOT_FOUND, "not_found"),
        };
    }
    let session = form.ok().and_then(|axum::Form(f)| f.session);
    let Some(session) = session.filter(|s| !s.is_empty()) else {
        return error_page(vendor, StatusCode::UNAUTHORIZED, "credential_missing");
    };
    let claims = match vendor.any_sessions(|s| {
        s.authenticate_bounce(
            &session,
            header_str(&headers, "origin"),
            header_str(&headers, "sec-fetch-site"),
        )
    }) {
        Ok((claims, _)) => claims,
        Err(error) => return session_error_page(vendor, &error),
    };
    match notice(claims.subject().as_str()) {
        Some(text) => boletos_for_session(vendor, &claims, &session, Some(text)),
        None => error_page(vendor, StatusCode::NOT_FOUND, "not_found"),
    }
}

// ---------------------------------------------------------------------------------------------
// Assets and test hooks

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn page_script() -> Response {
    asset(
        cv_portal_plugin::session::PAGE_SCRIPT,
        "text/javascript; charset=utf-8",
    )
}

async fn vendor_script() -> Response {
    asset(pages::VENDOR_SCRIPT, "text/javascript; charset=utf-8")
}

async fn stylesheet() -> Response {
    asset(pages::STYLESHEET, "text/css; charset=utf-8")
}

async fn strip_token_script() -> Response {
    asset(pages::STRIP_TOKEN_SCRIPT, "text/javascript; charset=utf-8")
}

#[derive(Deserialize)]
struct AdvanceQuery {
    secs: i64,
}

/// `POST /__test/clock/advance?secs=N` (only with `--test-hooks`): moves the vendor's clock.
async fn advance_clock(State(app): State<App>, Query(query): Query<AdvanceQuery>) -> Response {
    if query.secs < 0 {
        return json(
            StatusCode::BAD_REQUEST,
            r#"{"error":"the clock only moves forward"}"#.to_owned(),
        );
    }
    app.vendor.clock.advance(query.secs);
    eprintln!(
        "vendor_demo: test hook: clock moved forward {} s (offset now {} s)",
        query.secs,
        app.vendor.clock.offset()
    );
    StatusCode::NO_CONTENT.into_response()
}
