//! The portal `vendor-check` plays on loopback: the discovery document (PROTOCOL.md §10), the
//! JWKS and the client-data endpoint (§11) of `--issuer`, served with axum's own HTTP/1 server.
//! The endpoint is the crate's [`ClientDataEndpoint`]; in front of it, every request that
//! presents a bearer token is counted under the token's `jti`, so the checker can tell how many
//! times the vendor tried to redeem each launch.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cv_portal_plugin::wire::{ClientData, DISCOVERY_PATH};
use cv_portal_plugin::{ClientDataEndpoint, IssuerId, KeySet, PluginConfig, Role, SubjectId};
use serde_json::Value;

/// The demo person every valid launch is for.
pub const DEMO_SUBJECT: &str = "vendor-check.48213";
/// The demo person's name: granted to the plugin, so a vendor's page may show it after a valid
/// launch, and must never show it after a refused one.
pub const DEMO_NAME: &str = "Maria Conformidade Teste";
/// The demo person's e-mail address (granted).
pub const DEMO_EMAIL: &str = "maria.conformidade@vendor-check.invalid";
/// The demo person's CPF (granted; valid check digits).
pub const DEMO_CPF: &str = "52998224725";
/// The same CPF as pages usually print it.
pub const DEMO_CPF_FORMATTED: &str = "529.982.247-25";

/// The path of the JWKS under the issuer.
const JWKS_PATH: &str = "/.well-known/cv-plugin/jwks.json";
/// The path of the client-data endpoint under the issuer.
const CLIENT_DATA_PATH: &str = "/api/cv-plugin/client-data";
/// At most this many distinct `jti`s are counted (a vendor cannot make the checker grow without
/// bound); the checker's own tokens are far fewer.
const MAX_COUNTED: usize = 10_000;

/// What the played portal serves.
pub struct PlayedPortal {
    /// The path prefix of the issuer (`""` for an issuer without a path).
    prefix: String,
    /// The discovery document, as served.
    discovery: String,
    /// The JWKS, as served.
    jwks: String,
    /// The crate's client-data endpoint.
    endpoint: ClientDataEndpoint,
    /// Requests to the client-data endpoint per presented `jti`.
    redemptions: Mutex<HashMap<String, u32>>,
}

impl PlayedPortal {
    /// The portal of `issuer` (whose URL path is `prefix`), publishing `keys` and serving the
    /// client data of `plugin`.
    pub fn new(
        issuer: &IssuerId,
        prefix: &str,
        discovery: String,
        keys: &KeySet,
        plugin: PluginConfig,
    ) -> PlayedPortal {
        let endpoint = ClientDataEndpoint::builder(issuer.clone(), keys.clone())
            .plugins([plugin])
            .build();
        PlayedPortal {
            prefix: prefix.trim_end_matches('/').to_owned(),
            discovery,
            jwks: keys.to_jwks_json(),
            endpoint,
            redemptions: Mutex::new(HashMap::new()),
        }
    }

    /// The JWKS document exactly as served.
    pub fn jwks(&self) -> &str {
        &self.jwks
    }

    /// How many requests to the client-data endpoint presented a token with this `jti`.
    pub fn redemptions(&self, jti: &str) -> u32 {
        let counts = self
            .redemptions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        counts.get(jti).copied().unwrap_or(0)
    }

    /// Counts one presentation of `authorization`'s token, when it names a `jti`.
    fn count(&self, authorization: Option<&str>) {
        let Some(jti) = authorization.and_then(presented_jti) else {
            return;
        };
        let mut counts = self
            .redemptions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if counts.len() < MAX_COUNTED || counts.contains_key(&jti) {
            let count = counts.entry(jti).or_insert(0);
            *count = count.saturating_add(1);
        }
    }

    /// The JWKS path, the discovery path and the client-data path under the issuer.
    pub fn paths(prefix: &str) -> [String; 3] {
        let prefix = prefix.trim_end_matches('/');
        [
            format!("{prefix}{DISCOVERY_PATH}"),
            format!("{prefix}{JWKS_PATH}"),
            format!("{prefix}{CLIENT_DATA_PATH}"),
        ]
    }

    /// Answers one request.
    fn respond(&self, method: &Method, uri: &Uri, headers: &HeaderMap) -> Response {
        let [discovery, jwks, client_data] = PlayedPortal::paths(&self.prefix);
        let path = uri.path();
        if path != discovery && path != jwks && path != client_data {
            return (StatusCode::NOT_FOUND, "not found\n").into_response();
        }
        if method != Method::GET {
            return (
                StatusCode::METHOD_NOT_ALLOWED,
                [(header::ALLOW, "GET")],
                "GET only\n",
            )
                .into_response();
        }
        let json = |body: &str| {
            (
                [
                    (header::CONTENT_TYPE, "application/json; charset=utf-8"),
                    (header::CACHE_CONTROL, "max-age=300"),
                ],
                body.to_owned(),
            )
                .into_response()
        };
        if path == discovery {
            return json(&self.discovery);
        }
        if path == jwks {
            return json(&self.jwks);
        }
        let values: Vec<_> = headers.get_all(header::AUTHORIZATION).iter().collect();
        let authorization = match values.as_slice() {
            [] => None,
            // A value that is not text is refused as a malformed credential.
            [one] => Some(one.to_str().unwrap_or("")),
            // Two credentials are not one Bearer credential.
            [_, _, ..] => Some(""),
        };
        self.count(authorization);
        let answer = self.endpoint.handle(authorization, demo_person);
        let mut response = Response::new(Body::from(answer.body));
        *response.status_mut() =
            StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in &answer.headers {
            if let Ok(value) = value.parse() {
                response.headers_mut().insert(*name, value);
            }
        }
        response
    }

    /// The axum app serving this portal.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new().fallback(serve).with_state(self)
    }
}

/// The fallback handler: every path goes through [`PlayedPortal::respond`].
async fn serve(
    State(portal): State<Arc<PlayedPortal>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    portal.respond(&method, &uri, &headers)
}

/// The `jti` of a presented `Bearer` token, read leniently (no check at all): only to count.
pub fn presented_jti(authorization: &str) -> Option<String> {
    let (scheme, token) = authorization.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    token_jti(token.trim())
}

/// The `jti` claim of `token`, decoded without any check (padding and whitespace tolerated).
pub fn token_jti(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let cleaned: String = payload
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    let bytes = URL_SAFE_NO_PAD.decode(cleaned).ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("jti")?.as_str().map(str::to_owned)
}

/// What the portal's database holds for the demo person; anyone else has no data.
fn demo_person(sub: &SubjectId, role: Role) -> Option<ClientData> {
    if sub.as_str() != DEMO_SUBJECT || role != Role::Cliente {
        return None;
    }
    let record = serde_json::json!({
        "sub": DEMO_SUBJECT,
        "role": "cliente",
        // A placeholder: the endpoint answers with the token's `aud`.
        "plugin": "lookup-placeholder",
        "name": DEMO_NAME,
        "email": DEMO_EMAIL,
        "document": {"type": "cpf", "number": DEMO_CPF},
    });
    serde_json::from_value(record).ok()
}

/// The strings of the demo person's data that a refused launch's answer must not contain.
pub fn data_markers() -> [&'static str; 4] {
    [DEMO_NAME, DEMO_EMAIL, DEMO_CPF, DEMO_CPF_FORMATTED]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presented_jti_is_read_leniently() {
        let claims = URL_SAFE_NO_PAD.encode(br#"{"jti":"abcdefghijklmnop"}"#);
        let token = format!("e30.{claims}.sig");
        assert_eq!(
            presented_jti(&format!("Bearer {token}")).as_deref(),
            Some("abcdefghijklmnop")
        );
        assert_eq!(
            presented_jti(&format!("bearer {token}=")).as_deref(),
            Some("abcdefghijklmnop")
        );
        assert_eq!(presented_jti(&format!("Basic {token}")), None);
        assert_eq!(presented_jti("Bearer x"), None);
        assert_eq!(presented_jti(""), None);
    }

    #[test]
    fn the_demo_person_has_data_only_as_cliente() {
        let sub = SubjectId::new(DEMO_SUBJECT).unwrap();
        let data = demo_person(&sub, Role::Cliente).unwrap();
        assert_eq!(data.name.as_deref(), Some(DEMO_NAME));
        assert!(demo_person(&sub, Role::Gestor).is_none());
    }
}
