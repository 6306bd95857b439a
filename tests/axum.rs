//! The axum extractors (issue 13) on a real `Router`, driven with `tower::ServiceExt::oneshot`:
//! each failure answers with its status, challenge and code, and no body carries the token.

mod common;

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::FromRef;
use axum::http::{Request, Response, StatusCode};
use axum::routing::get;
use common::{PLUGIN, b64, claims, clock, forge, issuer_id, plugin, viewer};
use cv_portal_plugin::axum::{Launch, Session};
use cv_portal_plugin::keys::KeySource;
use cv_portal_plugin::replay::{AsyncReplayGuard, ReplayFuture};
use cv_portal_plugin::session::{RevocationFuture, SessionId};
use cv_portal_plugin::{
    Algorithm, AsyncRevocationStore, FixedClock, InMemoryReplayGuard, Issuer, IssuerId, Portal,
    PortalRegistry, ReplayEntry, ReplayError, ReplayGuard, RevocationStore, Role, SessionError,
    SessionKey, Sessions, SessionsBuilder, SigningKey, StoreCause, StoreFailure, VendorOrigin,
    session_challenge,
};
use tower::ServiceExt as _;

const OWN: &str = "https://erp.example.com";
/// A portal registered without keys: its tokens cannot be checked (503).
const KEYLESS: &str = "https://portal.sem-chaves.com.br";

#[derive(Clone)]
struct App {
    registry: Arc<PortalRegistry>,
    sessions: Arc<Sessions>,
}

impl FromRef<App> for Arc<PortalRegistry> {
    fn from_ref(app: &App) -> Self {
        Arc::clone(&app.registry)
    }
}

impl FromRef<App> for Arc<Sessions> {
    fn from_ref(app: &App) -> Self {
        Arc::clone(&app.sessions)
    }
}

async fn launch(Launch(launch): Launch) -> String {
    format!("launch of {}", launch.claims().subject().as_str())
}

async fn boletos(Session(session): Session) -> String {
    format!("session of {}", session.subject().as_str())
}

struct Vendor {
    clock: Arc<FixedClock>,
    issuer: Issuer,
    app: App,
}

impl Vendor {
    fn new() -> Vendor {
        Vendor::with_registry(PortalRegistry::new(Arc::new(InMemoryReplayGuard::new())))
    }

    /// A vendor whose single use is `registry`'s (blocking or async guard).
    fn with_registry(registry: PortalRegistry) -> Vendor {
        let clock = clock();
        let issuer = issuer(issuer_id());
        let keys = Arc::new(KeySource::new());
        keys.set(issuer.jwks().clone());
        registry
            .insert(
                Portal::new(issuer_id(), keys)
                    .plugin(PLUGIN.parse().unwrap())
                    .clock(clock.clone()),
            )
            .unwrap();
        let keyless = IssuerId::new(KEYLESS).unwrap();
        registry
            .insert(
                Portal::new(keyless, Arc::new(KeySource::new()))
                    .plugin(PLUGIN.parse().unwrap())
                    .clock(clock.clone()),
            )
            .unwrap();
        let key = SessionKey::from_bytes("k1", &[7; 32]).unwrap();
        let sessions = Sessions::builder(issuer_id(), PLUGIN.parse().unwrap(), key)
            .clock(clock.clone())
            .vendor_origin(VendorOrigin::parse(OWN).unwrap())
            .single_instance()
            .build()
            .unwrap();
        Vendor {
            clock,
            issuer,
            app: App {
                registry: Arc::new(registry),
                sessions: Arc::new(sessions),
            },
        }
    }

    fn router(&self) -> Router {
        Router::new()
            .route("/launch", get(launch).post(launch))
            .route("/boletos", get(boletos).post(boletos))
            .with_state(self.app.clone())
    }

    fn mint(&self) -> String {
        mint(&self.issuer, PLUGIN)
    }

    /// A session started from a verified launch.
    fn session(&self) -> String {
        let claims = self
            .app
            .registry
            .verify(&self.mint())
            .unwrap()
            .into_claims();
        self.app
            .sessions
            .start(&claims)
            .unwrap()
            .as_str()
            .to_owned()
    }

    fn send(&self, request: Request<Body>) -> Answer {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let response = self.router().oneshot(request).await.unwrap();
            Answer::read(response).await
        })
    }

    fn get_launch(&self, token: &str) -> Answer {
        self.send(
            Request::get(format!("/launch?token={token}"))
                .body(Body::empty())
                .unwrap(),
        )
    }
}

fn issuer(id: IssuerId) -> Issuer {
    Issuer::builder(id, SigningKey::generate(Algorithm::EdDSA).unwrap())
        .clock(clock())
        .build()
        .unwrap()
}

fn mint(issuer: &Issuer, plugin_id: &str) -> String {
    issuer
        .mint(&plugin(plugin_id), &viewer(Role::Cliente))
        .unwrap()
        .into_token()
}

fn form(token: &str) -> Request<Body> {
    Request::post("/launch")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(Body::from(format!("empresa=7&token={token}")))
        .unwrap()
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    async fn read(response: Response<Body>) -> Answer {
        let (parts, body) = response.into_parts();
        let body = to_bytes(body, 1 << 20).await.unwrap();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8(body.to_vec()).unwrap(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|value| value.to_str().unwrap())
    }

    /// The JSON body's `error`.
    fn code(&self) -> String {
        let json: serde_json::Value = serde_json::from_str(&self.body).unwrap();
        assert!(json["error_description"].is_string(), "{}", self.body);
        json["error"].as_str().unwrap().to_owned()
    }

    /// A refusal: the status, the code, JSON, no caching, and not a trace of `token`.
    fn assert_refused(&self, status: u16, code: &str, token: &str) {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(self.code(), code);
        assert_eq!(
            self.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(self.header("cache-control"), Some("no-store"));
        assert!(
            !token.is_empty() && !self.body.contains(token),
            "{}",
            self.body
        );
        for part in token.split('.').filter(|part| part.len() > 8) {
            assert!(!self.body.contains(part), "{}", self.body);
        }
    }

    /// A launch refusal of status 401 and its challenge.
    fn assert_launch_401(&self, code: &str, token: &str) {
        self.assert_refused(401, code, token);
        assert_eq!(
            self.header("www-authenticate").unwrap(),
            format!(
                r#"Bearer realm="cv-plugin", error="invalid_token", error_description="{code}""#
            )
        );
        assert_eq!(self.header("retry-after"), None);
    }
}

#[test]
fn a_valid_launch_by_query_then_by_form_answers_200_with_the_person() {
    let vendor = Vendor::new();
    let answer = vendor.get_launch(&vendor.mint());
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body, "launch of 48213");

    let answer = vendor.send(form(&vendor.mint()));
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body, "launch of 48213");
}

#[test]
fn the_same_token_again_is_replayed_by_query_and_by_form() {
    let vendor = Vendor::new();
    let token = vendor.mint();
    assert_eq!(vendor.get_launch(&token).status, StatusCode::OK);
    vendor
        .get_launch(&token)
        .assert_launch_401("replayed", &token);
    vendor
        .send(form(&token))
        .assert_launch_401("replayed", &token);

    let token = vendor.mint();
    assert_eq!(vendor.send(form(&token)).status, StatusCode::OK);
    vendor
        .get_launch(&token)
        .assert_launch_401("replayed", &token);
}

/// An async guard whose every answer waits one turn of the runtime first (as a network store
/// would), over memory; or, when `down`, answers that the store is unavailable.
struct SlowGuard {
    inner: InMemoryReplayGuard,
    awaited: std::sync::atomic::AtomicUsize,
    down: std::sync::atomic::AtomicBool,
}

impl AsyncReplayGuard for SlowGuard {
    fn check_and_insert<'a>(&'a self, entry: &'a ReplayEntry<'a>) -> ReplayFuture<'a> {
        use std::sync::atomic::Ordering;
        Box::pin(async move {
            tokio::task::yield_now().await;
            self.awaited.fetch_add(1, Ordering::SeqCst);
            if self.down.load(Ordering::SeqCst) {
                return Err(ReplayError::Unavailable(StoreFailure::new(
                    "SET",
                    StoreCause::Timeout,
                )));
            }
            ReplayGuard::check_and_insert(&self.inner, entry)
        })
    }
}

#[test]
fn launch_awaits_the_async_guard_of_an_async_registry() {
    use std::sync::atomic::Ordering;
    let guard = Arc::new(SlowGuard {
        inner: InMemoryReplayGuard::new(),
        awaited: Default::default(),
        down: Default::default(),
    });
    let vendor = Vendor::with_registry(PortalRegistry::new_async(
        Arc::clone(&guard) as Arc<dyn AsyncReplayGuard>
    ));
    let token = vendor.mint();
    let answer = vendor.get_launch(&token);
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body, "launch of 48213");
    vendor
        .send(form(&token))
        .assert_launch_401("replayed", &token);
    assert_eq!(guard.awaited.load(Ordering::SeqCst), 2);

    // The store is down: 503 with Retry-After, the token not consumed; back up, it verifies once.
    guard.down.store(true, Ordering::SeqCst);
    let fresh = vendor.mint();
    let answer = vendor.get_launch(&fresh);
    answer.assert_refused(503, "replay_store_unavailable", &fresh);
    assert_eq!(answer.header("retry-after"), Some("5"));
    guard.down.store(false, Ordering::SeqCst);
    assert_eq!(vendor.get_launch(&fresh).status, StatusCode::OK);
    vendor
        .get_launch(&fresh)
        .assert_launch_401("replayed", &fresh);
}

#[test]
fn each_refused_launch_answers_its_status_and_code() {
    let vendor = Vendor::new();

    let foreign = issuer(IssuerId::new("https://portal.outra.com.br").unwrap());
    let unknown_issuer = mint(&foreign, PLUGIN);
    vendor
        .get_launch(&unknown_issuer)
        .assert_launch_401("unknown_issuer", &unknown_issuer);

    let wrong_plugin = mint(&vendor.issuer, "boletos");
    vendor
        .get_launch(&wrong_plugin)
        .assert_launch_401("wrong_audience", &wrong_plugin);

    let header = format!(
        r#"{{"alg":"EdDSA","typ":"cv-plugin-launch+jwt","kid":"{}"}}"#,
        vendor.issuer.kid()
    );
    let other_key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let bad_signature = forge(&other_key, &header, &claims(1));
    vendor
        .send(form(&bad_signature))
        .assert_launch_401("bad_signature", &bad_signature);

    let expired = vendor.mint();
    vendor.clock.advance(3600);
    vendor
        .get_launch(&expired)
        .assert_launch_401("expired", &expired);
}

#[test]
fn a_missing_or_repeated_token_is_malformed() {
    let vendor = Vendor::new();
    let answer = vendor.send(Request::get("/launch").body(Body::empty()).unwrap());
    answer.assert_launch_401("malformed", "no-token-at-all");

    let token = vendor.mint();
    let twice = vendor.send(
        Request::get(format!("/launch?token={token}&token={token}"))
            .body(Body::empty())
            .unwrap(),
    );
    twice.assert_launch_401("malformed", &token);
    // Refused before verification: the token was not consumed.
    assert_eq!(vendor.get_launch(&token).status, StatusCode::OK);

    // A POST that is not a form is read from the query only.
    let json = vendor.send(
        Request::post("/launch")
            .header("Content-Type", "application/json")
            .body(Body::from(format!(r#"{{"token":"{token}"}}"#)))
            .unwrap(),
    );
    json.assert_launch_401("malformed", &token);
}

#[test]
fn keys_unavailable_answers_503_with_retry_after_and_no_challenge() {
    let vendor = Vendor::new();
    let keyless = Issuer::builder(
        IssuerId::new(KEYLESS).unwrap(),
        SigningKey::generate(Algorithm::EdDSA).unwrap(),
    )
    .clock(clock())
    .build()
    .unwrap();
    let token = mint(&keyless, PLUGIN);
    let answer = vendor.get_launch(&token);
    answer.assert_refused(503, "keys_unavailable", &token);
    assert_eq!(answer.header("retry-after"), Some("5"));
    assert_eq!(answer.header("www-authenticate"), None);
}

#[test]
fn a_bearer_session_is_accepted() {
    let vendor = Vendor::new();
    let session = vendor.session();
    let answer = vendor.send(
        Request::get("/boletos")
            .header("Authorization", format!("Bearer {session}"))
            .body(Body::empty())
            .unwrap(),
    );
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body, "session of 48213");
}

#[test]
fn a_missing_session_answers_401_with_exactly_the_session_challenge() {
    let vendor = Vendor::new();
    let answer = vendor.send(Request::get("/boletos").body(Body::empty()).unwrap());
    answer.assert_refused(401, "credential_missing", "no-session-at-all");
    let (name, value) = session_challenge(&SessionError::CredentialMissing);
    assert_eq!(answer.header(name), Some(value.as_str()));
}

#[test]
fn a_refused_bearer_session_answers_401_with_its_challenge_and_never_the_token() {
    let vendor = Vendor::new();
    let session = vendor.session();
    let tampered = format!("{session}{}", b64(b"x"));
    let answer = vendor.send(
        Request::get("/boletos")
            .header("Authorization", format!("Bearer {tampered}"))
            .body(Body::empty())
            .unwrap(),
    );
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    let code = answer.code();
    assert!(code.starts_with("session_"), "{code}");
    answer.assert_refused(401, &code, &tampered);
    assert!(
        answer
            .header("www-authenticate")
            .unwrap()
            .ends_with(&format!(r#"error_description="{code}""#))
    );

    // Two Authorization headers are refused before either is read.
    let twice = vendor.send(
        Request::get("/boletos")
            .header("Authorization", format!("Bearer {session}"))
            .header("Authorization", format!("Bearer {session}"))
            .body(Body::empty())
            .unwrap(),
    );
    twice.assert_refused(401, "credential_malformed", &session);
}

#[test]
fn a_cookie_post_from_another_origin_is_403_and_from_our_own_is_accepted() {
    let vendor = Vendor::new();
    let session = vendor.session();
    let cookie = format!("tema=escuro; __Host-cv-plugin-session={session}");
    let post = |origin: &str| {
        vendor.send(
            Request::post("/boletos")
                .header("Cookie", &cookie)
                .header("Origin", origin)
                .body(Body::empty())
                .unwrap(),
        )
    };
    let answer = post("https://evil.example");
    answer.assert_refused(403, "credential_origin_mismatch", &session);
    assert_eq!(answer.header("www-authenticate"), None);
    assert_eq!(answer.header("retry-after"), None);

    let answer = post(OWN);
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);

    // A GET needs no Origin; a split Cookie header (HTTP/2) still finds the session.
    let answer = vendor.send(
        Request::get("/boletos")
            .header("Cookie", "tema=escuro")
            .header("Cookie", format!("__Host-cv-plugin-session={session}"))
            .body(Body::empty())
            .unwrap(),
    );
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[test]
fn a_form_post_is_read_from_its_body_only_never_from_its_query() {
    let vendor = Vendor::new();
    let (in_query, in_body) = (vendor.mint(), vendor.mint());
    // A token in the query of a form POST is ignored: the body's token is the one verified.
    let both = Request::post(format!("/launch?token={in_query}"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(Body::from(format!("token={in_body}")))
        .unwrap();
    assert_eq!(vendor.send(both).status, StatusCode::OK);
    vendor
        .send(form(&in_body))
        .assert_launch_401("replayed", &in_body);
    assert_eq!(vendor.get_launch(&in_query).status, StatusCode::OK);
    // A form POST whose body has no token is malformed, whatever its query holds.
    let query_only = Request::post(format!("/launch?token={}", vendor.mint()))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(Body::from("empresa=7"))
        .unwrap();
    let answer = vendor.send(query_only);
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.code(), "malformed");
}

#[test]
fn a_form_body_over_the_limit_is_400_invalid_request_and_verifies_nothing() {
    use cv_portal_plugin::axum::MAX_FORM_LEN;
    let vendor = Vendor::new();
    let token = vendor.mint();
    let padded = format!("token={token}&pad={}", "a".repeat(MAX_FORM_LEN));
    let answer = vendor.send(
        Request::post("/launch")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(Body::from(padded))
            .unwrap(),
    );
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "invalid_request");
    assert!(!answer.body.contains(&token));
    // The token was never looked at: it still launches once.
    assert_eq!(vendor.get_launch(&token).status, StatusCode::OK);
}

// ---- the Session extractor awaits its store, and serves many portals (review 13, F4 and F7) ---

/// An async revocation store over memory whose answers yield to the runtime first, counted;
/// unavailable while `down`.
#[derive(Default)]
struct SlowRevocations {
    inner: cv_portal_plugin::InMemoryRevocationStore,
    asked: std::sync::atomic::AtomicUsize,
    down: std::sync::atomic::AtomicBool,
}

impl SlowRevocations {
    async fn turn(&self) -> Result<(), StoreFailure> {
        use std::sync::atomic::Ordering;
        tokio::task::yield_now().await;
        self.asked.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreFailure::new("EXISTS", StoreCause::Timeout));
        }
        Ok(())
    }
}

impl AsyncRevocationStore for SlowRevocations {
    fn revoke<'a>(&'a self, sid: &'a SessionId, until: i64) -> RevocationFuture<'a, ()> {
        Box::pin(async move {
            self.turn().await?;
            RevocationStore::revoke(&self.inner, sid, until)
        })
    }
    fn is_revoked<'a>(&'a self, sid: &'a SessionId) -> RevocationFuture<'a, bool> {
        Box::pin(async move {
            self.turn().await?;
            RevocationStore::is_revoked(&self.inner, sid)
        })
    }
}

fn sessions_with(builder: SessionsBuilder) -> Arc<Sessions> {
    Arc::new(
        builder
            .vendor_origin(VendorOrigin::parse(OWN).unwrap())
            .build()
            .unwrap(),
    )
}

fn session_builder(vendor: &Vendor) -> SessionsBuilder {
    Sessions::builder(
        issuer_id(),
        PLUGIN.parse().unwrap(),
        SessionKey::from_bytes("k1", &[7; 32]).unwrap(),
    )
    .clock(vendor.clock.clone())
}

fn get_boletos(vendor: &Vendor, session: &str) -> Answer {
    vendor.send(
        Request::get("/boletos")
            .header("Authorization", format!("Bearer {session}"))
            .body(Body::empty())
            .unwrap(),
    )
}

#[test]
fn the_session_extractor_awaits_the_async_revocation_store() {
    use std::sync::atomic::Ordering;
    let mut vendor = Vendor::new();
    let store = Arc::new(SlowRevocations::default());
    vendor.app.sessions = sessions_with(
        session_builder(&vendor)
            .revocation_store_async(store.clone())
            .single_instance(),
    );
    let session = vendor.session();
    let answer = get_boletos(&vendor, &session);
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body, "session of 48213");
    assert_eq!(store.asked.load(Ordering::SeqCst), 1);

    // Down: 503 with Retry-After and no challenge (the page must not renew in a loop).
    store.down.store(true, Ordering::SeqCst);
    let answer = get_boletos(&vendor, &session);
    answer.assert_refused(503, "session_store_unavailable", &session);
    assert_eq!(answer.header("retry-after"), Some("5"));
    assert_eq!(answer.header("www-authenticate"), None);
    store.down.store(false, Ordering::SeqCst);

    // Revoked (awaited too): 401 with exactly the session challenge.
    let claims = vendor.app.sessions.verify_async(&session);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let claims = runtime.block_on(claims).unwrap();
    runtime
        .block_on(vendor.app.sessions.revoke_async(&claims))
        .unwrap();
    let answer = get_boletos(&vendor, &session);
    answer.assert_refused(401, "session_revoked", &session);
    let (name, value) = session_challenge(&SessionError::Revoked {
        kind: cv_portal_plugin::session::TokenKind::Session,
    });
    assert_eq!(answer.header(name), Some(value.as_str()));
    assert_eq!(store.asked.load(Ordering::SeqCst), 5);
}

/// A blocking revocation store that counts the calls it gets.
#[derive(Default)]
struct CountingBlocking {
    asked: std::sync::atomic::AtomicUsize,
}

impl RevocationStore for CountingBlocking {
    fn revoke(&self, _: &SessionId, _: i64) -> Result<(), StoreFailure> {
        self.asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
    fn is_revoked(&self, _: &SessionId) -> Result<bool, StoreFailure> {
        self.asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(false)
    }
}

#[test]
fn the_session_extractor_never_asks_a_blocking_store_and_answers_503() {
    let mut vendor = Vendor::new();
    let store = Arc::new(CountingBlocking::default());
    vendor.app.sessions = sessions_with(
        session_builder(&vendor)
            .revocation_store(store.clone())
            .single_instance(),
    );
    let session = vendor.session();
    let answer = get_boletos(&vendor, &session);
    answer.assert_refused(503, "session_store_unavailable", &session);
    assert_eq!(answer.header("retry-after"), Some("5"));
    assert_eq!(store.asked.load(std::sync::atomic::Ordering::SeqCst), 0);
    // The blocking path (a sync handler, or spawn_blocking) still asks it.
    assert!(vendor.app.sessions.verify(&session).is_ok());
    assert_eq!(store.asked.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn the_session_extractor_serves_many_portals_each_as_its_own() {
    let mut vendor = Vendor::new();
    // A second portal in the registry, and both in the sessions.
    let beta_id = IssuerId::new("https://portal.beta.com.br").unwrap();
    let beta = issuer(beta_id.clone());
    let keys = Arc::new(KeySource::new());
    keys.set(beta.jwks().clone());
    vendor
        .app
        .registry
        .insert(
            Portal::new(beta_id.clone(), keys)
                .plugin(PLUGIN.parse().unwrap())
                .clock(vendor.clock.clone()),
        )
        .unwrap();
    vendor.app.sessions = sessions_with(
        session_builder(&vendor)
            .portal(beta_id.clone(), PLUGIN.parse().unwrap())
            .single_instance(),
    );
    let alfa_session = vendor.session();
    let beta_claims = vendor
        .app
        .registry
        .verify(&mint(&beta, PLUGIN))
        .unwrap()
        .into_claims();
    let beta_session = vendor
        .app
        .sessions
        .start(&beta_claims)
        .unwrap()
        .as_str()
        .to_owned();
    for session in [&alfa_session, &beta_session] {
        let answer = get_boletos(&vendor, session);
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let portal_of = |session: &str| {
        runtime
            .block_on(vendor.app.sessions.verify_async(session))
            .unwrap()
            .issuer()
            .clone()
    };
    assert_eq!(portal_of(&alfa_session), issuer_id());
    assert_eq!(portal_of(&beta_session), beta_id);

    // beta leaves: its sessions are 401 `session_wrong_issuer` with the challenge; alfa's are not.
    assert!(vendor.app.registry.remove(&beta_id));
    assert!(vendor.app.sessions.remove_portal(&beta_id));
    let answer = get_boletos(&vendor, &beta_session);
    answer.assert_refused(401, "session_wrong_issuer", &beta_session);
    assert!(
        answer
            .header("www-authenticate")
            .unwrap()
            .ends_with(r#"error_description="session_wrong_issuer""#)
    );
    assert_eq!(get_boletos(&vendor, &alfa_session).status, StatusCode::OK);
}

#[test]
fn a_plugin_with_a_delivery_is_launched_only_by_it() {
    use cv_portal_plugin::Delivery;
    let vendor = Vendor::new();
    let registry = &vendor.app.registry;
    let keys = registry.key_source(&issuer_id()).unwrap();
    // The portal launches financeiro by form POST: the vendor accepts that one.
    registry
        .insert(
            Portal::new(issuer_id(), keys)
                .plugin_with_delivery(PLUGIN.parse().unwrap(), Delivery::FormPost)
                .clock(vendor.clock.clone()),
        )
        .unwrap();
    assert_eq!(
        registry.delivery(&issuer_id(), &PLUGIN.parse().unwrap()),
        Some(Delivery::FormPost)
    );
    let by_post = vendor.mint();
    assert_eq!(vendor.send(form(&by_post)).status, StatusCode::OK);

    // The same plugin's token in a URL: verified (so spent, it may have leaked), then refused.
    let in_url = vendor.mint();
    let answer = vendor.get_launch(&in_url);
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "wrong_delivery");
    assert_eq!(answer.header("www-authenticate"), None);
    assert!(!answer.body.contains(&in_url));
    vendor
        .send(form(&in_url))
        .assert_launch_401("replayed", &in_url);

    // A query plugin refuses a form POST the same way; `plugin` alone accepts both.
    let keys = registry.key_source(&issuer_id()).unwrap();
    registry
        .insert(
            Portal::new(issuer_id(), Arc::clone(&keys))
                .plugin_with_delivery(PLUGIN.parse().unwrap(), Delivery::Query)
                .clock(vendor.clock.clone()),
        )
        .unwrap();
    assert_eq!(vendor.send(form(&vendor.mint())).code(), "wrong_delivery");
    assert_eq!(vendor.get_launch(&vendor.mint()).status, StatusCode::OK);
    registry
        .insert(
            Portal::new(issuer_id(), keys)
                .plugin(PLUGIN.parse().unwrap())
                .clock(vendor.clock.clone()),
        )
        .unwrap();
    assert_eq!(
        registry.delivery(&issuer_id(), &PLUGIN.parse().unwrap()),
        None
    );
    assert_eq!(vendor.send(form(&vendor.mint())).status, StatusCode::OK);
    assert_eq!(vendor.get_launch(&vendor.mint()).status, StatusCode::OK);
}
