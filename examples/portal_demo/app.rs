//! The portal's state and routes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cv_portal_plugin::config::PluginConfig;
use cv_portal_plugin::data_endpoint::Answer;
use cv_portal_plugin::wire::DISCOVERY_PATH;
use cv_portal_plugin::{
    Algorithm, ClientDataEndpoint, InMemoryReplayGuard, Issuer, IssuerId, SigningKey, menu_for,
    render_discovery,
};
use serde::Deserialize;
use url::Url;

use crate::common::random_id;
use crate::pages;
use crate::people::Person;

/// The portal's login cookie (first party: `SameSite=Lax`, `HttpOnly`, `Secure` over https).
const LOGIN_COOKIE: &str = "portal_login";
/// The path of the JWKS, under the issuer.
pub const JWKS_PATH: &str = "/.well-known/cv-plugin/jwks.json";
/// The path of the client-data endpoint, under the issuer.
pub const CLIENT_DATA_PATH: &str = "/api/cv-plugin/client-data";

/// One login: who, and the CSRF token the page sends with `POST /api/plugins/ID/launch-token`.
struct Login {
    person: &'static Person,
    csrf: String,
}

/// The portal.
pub struct Portal {
    pub issuer: Issuer,
    pub plugins: Vec<PluginConfig>,
    endpoint: ClientDataEndpoint,
    logins: Mutex<HashMap<String, Login>>,
    secure: bool,
    discovery: String,
    jwks: String,
    /// The origins of the plugin links (the iframe's `frame-src`, the form POST's `form-action`).
    pub plugin_origins: Vec<String>,
}

impl Portal {
    /// The portal `issuer_id` at `public` (its public URL, an origin), signing with `key`.
    pub fn new(
        issuer_id: IssuerId,
        public: Url,
        plugins: Vec<PluginConfig>,
        secure: bool,
    ) -> Result<Portal, String> {
        // One signing key per algorithm (a plugin's configuration chooses EdDSA, the default,
        // or ES256), generated at start: tokens of an earlier run do not verify.
        let key = |algorithm| {
            SigningKey::generate(algorithm).map_err(|e| format!("{algorithm:?} signing key: {e}"))
        };
        let issuer = Issuer::builder(issuer_id.clone(), key(Algorithm::EdDSA)?)
            .signing_key(key(Algorithm::ES256)?)
            .build()
            .map_err(|e| format!("issuer: {e}"))?;
        for plugin in &plugins {
            issuer
                .check_plugin(plugin)
                .map_err(|e| format!("plugin {}: error[{}]: {e}", plugin.id(), e.code()))?;
        }
        let url = |path: &str| {
            public
                .join(path)
                .map_err(|e| format!("--public-url: cannot make {path}: {e}"))
        };
        let discovery = render_discovery(
            &issuer_id,
            &url(JWKS_PATH)?,
            &url(CLIENT_DATA_PATH)?,
            issuer.algorithms(),
        );
        let jwks = issuer.jwks().to_jwks_json();
        let endpoint = ClientDataEndpoint::builder(issuer_id, issuer.jwks().clone())
            .plugins(plugins.iter().cloned())
            .replay_guard(Arc::new(InMemoryReplayGuard::new()))
            .build();
        let mut plugin_origins: Vec<String> = Vec::new();
        for plugin in &plugins {
            let origin = plugin.link().origin().ascii_serialization();
            if !plugin_origins.contains(&origin) {
                plugin_origins.push(origin);
            }
        }
        Ok(Portal {
            issuer,
            plugins,
            endpoint,
            logins: Mutex::new(HashMap::new()),
            secure,
            discovery,
            jwks,
            plugin_origins,
        })
    }

    /// The logged-in person of `headers` (their login cookie), and their CSRF token.
    fn login(&self, headers: &HeaderMap) -> Option<(&'static Person, String)> {
        let id = cookie(headers, LOGIN_COOKIE)?;
        let logins = self.logins.lock().ok()?;
        logins
            .get(&id)
            .map(|login| (login.person, login.csrf.clone()))
    }

    /// The plugin `id` if `person` sees it in their menu.
    fn visible_plugin(&self, person: &Person, id: &str) -> Option<&PluginConfig> {
        menu_for(&self.plugins, person.role)
            .into_iter()
            .find(|entry| entry.id().as_str() == id)
            .map(|entry| entry.config())
    }
}

/// Every route of the portal.
pub fn router(portal: Arc<Portal>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/logout", get(logout))
        .route("/plugins/{id}", get(plugin_page))
        .route("/api/plugins/{id}/launch-token", post(launch_token))
        .route(DISCOVERY_PATH, get(discovery))
        .route(JWKS_PATH, get(jwks))
        .route(CLIENT_DATA_PATH, get(client_data))
        .route("/assets/cv-plugin-portal.js", get(listener_script))
        .route("/assets/portal.js", get(portal_script))
        .route("/assets/portal.css", get(stylesheet))
        .fallback(not_found)
        .with_state(portal)
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

/// An HTML page with the portal's headers: `no-store`, the CSP, no referrer, no framing.
pub fn html(status: StatusCode, portal: &Portal, body: String) -> Response {
    html_with(status, portal, body, None)
}

/// [`html`], the CSP also allowing the inline script whose hash source is `inline_script`
/// (the form-POST delivery's auto-submit, which runs in the `srcdoc` frame under this policy).
fn html_with(
    status: StatusCode,
    portal: &Portal,
    body: String,
    inline_script: Option<String>,
) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(csp) = HeaderValue::try_from(pages::content_security_policy(
        portal,
        inline_script.as_deref(),
    )) {
        headers.insert(HeaderName::from_static("content-security-policy"), csp);
    }
    response
}

fn error_page(portal: &Portal, status: StatusCode, title: &str, message: &str) -> Response {
    html(status, portal, pages::error(title, message))
}

async fn not_found(State(portal): State<Arc<Portal>>) -> Response {
    error_page(
        &portal,
        StatusCode::NOT_FOUND,
        "Página não encontrada",
        "Esta página não existe no portal.",
    )
}

async fn home(State(portal): State<Arc<Portal>>, headers: HeaderMap) -> Response {
    let login = portal.login(&headers);
    let body = pages::home(&portal, login.as_ref().map(|(person, _)| *person));
    html(StatusCode::OK, &portal, body)
}

#[derive(Deserialize)]
struct LoginQuery {
    #[serde(rename = "as")]
    name: Option<String>,
}

async fn login(State(portal): State<Arc<Portal>>, Query(query): Query<LoginQuery>) -> Response {
    let Some(person) = query.name.as_deref().and_then(Person::by_login) else {
        return error_page(
            &portal,
            StatusCode::BAD_REQUEST,
            "Pessoa desconhecida",
            "Escolha uma das pessoas de demonstração na página inicial.",
        );
    };
    let (Some(id), Some(csrf)) = (random_id(), random_id()) else {
        return error_page(
            &portal,
            StatusCode::SERVICE_UNAVAILABLE,
            "Tente novamente",
            "O gerador de números aleatórios falhou.",
        );
    };
    if let Ok(mut logins) = portal.logins.lock() {
        logins.insert(id.clone(), Login { person, csrf });
    }
    let secure = if portal.secure { "; Secure" } else { "" };
    let cookie = format!("{LOGIN_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax{secure}");
    redirect_home(Some(cookie))
}

async fn logout(State(portal): State<Arc<Portal>>, headers: HeaderMap) -> Response {
    if let Some(id) = cookie(&headers, LOGIN_COOKIE)
        && let Ok(mut logins) = portal.logins.lock()
    {
        logins.remove(&id);
    }
    let secure = if portal.secure { "; Secure" } else { "" };
    redirect_home(Some(format!(
        "{LOGIN_COOKIE}=; Path=/; HttpOnly; SameSite=Lax{secure}; Max-Age=0"
    )))
}

fn redirect_home(cookie: Option<String>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(LOCATION, HeaderValue::from_static("/"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(value) = cookie.and_then(|c| HeaderValue::try_from(c).ok()) {
        headers.insert(SET_COOKIE, value);
    }
    response
}

async fn plugin_page(
    State(portal): State<Arc<Portal>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some((person, csrf)) = portal.login(&headers) else {
        return error_page(
            &portal,
            StatusCode::UNAUTHORIZED,
            "Entre no portal",
            "Entre como uma das pessoas de demonstração para abrir um plugin.",
        );
    };
    let Some(plugin) = portal.visible_plugin(person, &id) else {
        return error_page(
            &portal,
            StatusCode::NOT_FOUND,
            "Plugin não encontrado",
            "Este plugin não existe ou não está disponível para você.",
        );
    };
    let Some(viewer) = person.viewer() else {
        return error_page(
            &portal,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Erro",
            "Pessoa inválida.",
        );
    };
    match portal.issuer.mint(plugin, &viewer) {
        Ok(launch) => match pages::plugin(&portal, person, plugin, &launch, &csrf) {
            Ok((body, inline_script)) => html_with(StatusCode::OK, &portal, body, inline_script),
            Err(message) => error_page(
                &portal,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Plugin mal configurado",
                &message,
            ),
        },
        Err(error) => error_page(
            &portal,
            StatusCode::FORBIDDEN,
            "Plugin indisponível",
            &format!("O portal não pode abrir este plugin ({}).", error.code()),
        ),
    }
}

/// `POST /api/plugins/ID/launch-token`: a fresh launch token for the logged-in person and the
/// plugin `ID`, for the portal listener script (PROTOCOL.md §13.2, §13.6). Needs the login
/// cookie and the page's CSRF token in `X-CSRF-Token`; answers `{"token":"…"}`, or a refusal
/// (the listener then answers nothing).
async fn launch_token(
    State(portal): State<Arc<Portal>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let refuse = |status: StatusCode, code: &str| {
        json(status, serde_json::json!({ "error": code }).to_string())
    };
    let Some((person, csrf)) = portal.login(&headers) else {
        return refuse(StatusCode::UNAUTHORIZED, "not_logged_in");
    };
    let sent = headers
        .get("x-csrf-token")
        .and_then(|value| value.to_str().ok());
    if sent != Some(csrf.as_str()) {
        return refuse(StatusCode::FORBIDDEN, "csrf_mismatch");
    }
    let Some(plugin) = portal.visible_plugin(person, &id) else {
        return refuse(StatusCode::NOT_FOUND, "plugin_not_found");
    };
    let Some(viewer) = person.viewer() else {
        return refuse(StatusCode::INTERNAL_SERVER_ERROR, "invalid_person");
    };
    match portal.issuer.mint(plugin, &viewer) {
        Ok(launch) => json(
            StatusCode::OK,
            serde_json::json!({ "token": launch.token() }).to_string(),
        ),
        Err(error) => refuse(StatusCode::FORBIDDEN, error.code()),
    }
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

async fn discovery(State(portal): State<Arc<Portal>>) -> Response {
    public_json(portal.discovery.clone())
}

async fn jwks(State(portal): State<Arc<Portal>>) -> Response {
    public_json(portal.jwks.clone())
}

/// A public document: cacheable for five minutes (the key source's refresh reads `max-age`).
fn public_json(body: String) -> Response {
    let mut response = json(StatusCode::OK, body);
    response.headers_mut().insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

/// The client-data endpoint (PROTOCOL.md §11), answered by the crate's [`ClientDataEndpoint`].
async fn client_data(State(portal): State<Arc<Portal>>, headers: HeaderMap) -> Response {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let authorization = match (values.next(), values.next()) {
        (None, _) => None,
        // Not UTF-8, or repeated: the endpoint answers 400 invalid_request.
        (Some(value), None) => Some(value.to_str().unwrap_or("")),
        (Some(_), Some(_)) => Some(""),
    };
    let answer = match portal.endpoint.authorize(authorization) {
        Err(refusal) => refusal,
        Ok(authorized) => {
            let plugin = authorized.plugin().id().clone();
            let found = Person::client_data(authorized.subject(), authorized.role(), &plugin);
            portal.endpoint.complete(authorized, Ok(found))
        }
    };
    answer_response(answer)
}

fn answer_response(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, answer.body).into_response();
    let headers = response.headers_mut();
    for (name, value) in answer.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name),
            HeaderValue::try_from(value.as_str()),
        ) {
            headers.insert(name, value);
        }
    }
    response
}

fn script(body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn listener_script() -> Response {
    script(cv_portal_plugin::render::PORTAL_LISTENER_SCRIPT)
}

async fn portal_script() -> Response {
    script(pages::PORTAL_SCRIPT)
}

async fn stylesheet() -> Response {
    let mut response = pages::STYLESHEET.into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
