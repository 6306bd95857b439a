//! Vendor sessions (issue 12) through the public API: type confusion both ways, idle expiry and
//! the absolute cap, renewal, revocation (and a store that cannot answer), key rotation, the
//! bearer-then-cookie rule, exact header and cookie values, download tickets, and no panic on
//! junk.
//!
//! The live-Redis tests are `#[ignore]`d like tests/redis.rs's: run them with
//! `source .ci/redis.sh && cargo test --all-features --test session -- --ignored`.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{NOW, PLUGIN, clock, issuer_id, plugin, viewer};
use cv_portal_plugin::session::{SessionId, clear_session_cookie};
use cv_portal_plugin::{
    Algorithm, CredentialRequest, CredentialSource, FixedClock, InMemoryReplayGuard,
    InMemoryRevocationStore, Issuer, PortalOrigin, RevocationStore, Role, SessionError, SessionKey,
    SessionToken, Sessions, SessionsBuilder, SigningKey, StoreFailure, VendorOrigin, Verifier,
    extract_credential, page_headers, session_challenge, session_cookie,
};
use proptest::prelude::*;

const OWN: &str = "https://erp.example.com";
const BOLETO: &str = "/boletos/123.pdf";

/// A portal, its launch verifier and the vendor's sessions, on one fixed clock.
struct Vendor {
    clock: Arc<FixedClock>,
    issuer: Issuer,
    verifier: Verifier,
    sessions: Sessions,
}

fn key(kid: &str, byte: u8) -> SessionKey {
    SessionKey::from_bytes(kid, &[byte; 32]).unwrap()
}

fn builder(clock: &Arc<FixedClock>, key: SessionKey) -> SessionsBuilder {
    Sessions::builder(issuer_id(), PLUGIN.parse().unwrap(), key)
        .clock(clock.clone())
        .vendor_origin(VendorOrigin::parse(OWN).unwrap())
        .single_instance()
}

impl Vendor {
    fn new() -> Vendor {
        let clock = clock();
        let issuer = Issuer::builder(issuer_id(), SigningKey::generate(Algorithm::EdDSA).unwrap())
            .clock(clock.clone())
            .build()
            .unwrap();
        let verifier = common::verifier(issuer.jwks(), clock.clone());
        let sessions = builder(&clock, key("k1", 1)).build().unwrap();
        Vendor {
            clock,
            issuer,
            verifier,
            sessions,
        }
    }

    fn launch_token(&self) -> String {
        self.issuer
            .mint(&plugin(PLUGIN), &viewer(Role::Cliente))
            .unwrap()
            .token()
            .to_owned()
    }

    /// A whole launch: verify once, start a session.
    fn launch(&self) -> SessionToken {
        let claims = self.verifier.verify(&self.launch_token()).unwrap();
        self.sessions.start(&claims).unwrap()
    }
}

/// `token` with one character of its MAC changed (still canonical base64url).
fn tamper(token: &str) -> String {
    let at = token.len() - 10;
    let swapped = if &token[at..=at] == "A" { "B" } else { "A" };
    format!("{}{swapped}{}", &token[..at], &token[at + 1..])
}

fn code<T: std::fmt::Debug>(result: Result<T, SessionError>) -> &'static str {
    result.unwrap_err().code()
}

// ---- type confusion ---------------------------------------------------------------------------

#[test]
fn a_launch_token_is_not_a_session_and_a_session_is_not_a_launch() {
    let vendor = Vendor::new();
    let launch = vendor.launch_token();
    assert_eq!(code(vendor.sessions.verify(&launch)), "session_wrong_type");
    assert_eq!(
        code(vendor.sessions.redeem_ticket(&launch, BOLETO)),
        "ticket_wrong_type"
    );

    let session = vendor
        .sessions
        .start(&vendor.verifier.verify(&launch).unwrap())
        .unwrap();
    // The launch verifier accepts EdDSA and ES256 only: HS256 is refused before the typ is read.
    let refused = vendor.verifier.verify(session.as_str()).unwrap_err();
    assert_eq!(refused.code(), "unsupported_alg");
    let ticket = vendor
        .sessions
        .ticket(&vendor.sessions.verify(session.as_str()).unwrap(), BOLETO)
        .unwrap();
    assert_eq!(
        vendor.verifier.verify(&ticket).unwrap_err().code(),
        "unsupported_alg"
    );
}

#[test]
fn a_ticket_is_not_a_session_and_a_session_is_not_a_ticket() {
    let vendor = Vendor::new();
    let session = vendor.launch();
    let claims = vendor.sessions.verify(session.as_str()).unwrap();
    let ticket = vendor.sessions.ticket(&claims, BOLETO).unwrap();
    assert_eq!(code(vendor.sessions.verify(&ticket)), "session_wrong_type");
    assert_eq!(
        code(vendor.sessions.redeem_ticket(session.as_str(), BOLETO)),
        "ticket_wrong_type"
    );
    // Neither refusal consumed the ticket.
    assert!(vendor.sessions.redeem_ticket(&ticket, BOLETO).is_ok());
}

#[test]
fn another_plugin_or_portal_sharing_the_key_refuses_the_session() {
    let vendor = Vendor::new();
    let session = vendor.launch();
    let other_plugin = Sessions::builder(issuer_id(), "boletos".parse().unwrap(), key("k1", 1))
        .clock(vendor.clock.clone())
        .single_instance()
        .build()
        .unwrap();
    assert_eq!(
        code(other_plugin.verify(session.as_str())),
        "session_wrong_audience"
    );
    let other_portal = Sessions::builder(
        "https://portal.outra.com.br".parse().unwrap(),
        PLUGIN.parse().unwrap(),
        key("k1", 1),
    )
    .clock(vendor.clock.clone())
    .single_instance()
    .build()
    .unwrap();
    assert_eq!(
        code(other_portal.verify(session.as_str())),
        "session_wrong_issuer"
    );
    let launch = vendor.verifier.verify(&vendor.launch_token()).unwrap();
    assert_eq!(code(other_plugin.start(&launch)), "session_wrong_audience");
}

#[test]
fn tampering_is_refused_before_the_claims_are_read() {
    let vendor = Vendor::new();
    let session = vendor.launch();
    let parts: Vec<&str> = session.as_str().split('.').collect();
    let forged_claims = common::b64(br#"{"this":"is not even the claims object"}"#);
    let forged = format!("{}.{forged_claims}.{}", parts[0], parts[2]);
    assert_eq!(
        code(vendor.sessions.verify(&forged)),
        "session_bad_signature"
    );
    // Signed with another secret under the same kid.
    let impostor = builder(&vendor.clock, key("k1", 2)).build().unwrap();
    let launch = vendor.verifier.verify(&vendor.launch_token()).unwrap();
    let foreign = impostor.start(&launch).unwrap();
    assert_eq!(
        code(vendor.sessions.verify(foreign.as_str())),
        "session_bad_signature"
    );
    // A MAC segment with non-zero trailing bits, or a short one.
    let last = parts[2].chars().last().unwrap();
    let bumped = char::from(last as u8 + 1);
    let noncanonical = format!(
        "{}.{}.{}{bumped}",
        parts[0],
        parts[1],
        &parts[2][..parts[2].len() - 1]
    );
    assert_eq!(
        code(vendor.sessions.verify(&noncanonical)),
        "session_malformed"
    );
    let short = format!("{}.{}.{}", parts[0], parts[1], common::b64(&[0; 31]));
    assert_eq!(
        code(vendor.sessions.verify(&short)),
        "session_bad_signature"
    );
    // A header this crate never writes (same typ and kid, other member order).
    let reordered = common::b64(br#"{"typ":"cv-plugin-session+jwt","alg":"HS256","kid":"k1"}"#);
    let odd = format!("{reordered}.{}.{}", parts[1], parts[2]);
    assert_eq!(code(vendor.sessions.verify(&odd)), "session_malformed");
    let too_long = format!("{}.{}.{}", parts[0], "A".repeat(3000), parts[2]);
    assert_eq!(code(vendor.sessions.verify(&too_long)), "session_too_large");
    assert!(vendor.sessions.verify(session.as_str()).is_ok());
}

// ---- lifetimes ---------------------------------------------------------------------------------

#[test]
fn a_session_expires_after_the_idle_window() {
    let vendor = Vendor::new();
    let session = vendor.launch();
    assert_eq!(session.expires_in(), 900);
    assert_eq!(session.expires_at(), NOW + 900);
    vendor.clock.advance(899);
    assert!(vendor.sessions.verify(session.as_str()).is_ok());
    vendor.clock.advance(1);
    let error = vendor.sessions.verify(session.as_str()).unwrap_err();
    assert_eq!(error.code(), "session_expired");
    assert_eq!(error.http_status(), 401);
    assert_eq!(vendor.sessions.renew(&claims_at(&vendor, NOW)), None);
}

/// Claims of a fresh session whose clock then moves to `now`.
fn claims_at(vendor: &Vendor, now: i64) -> cv_portal_plugin::SessionClaims {
    vendor.clock.set(NOW);
    let claims = vendor.sessions.verify(vendor.launch().as_str()).unwrap();
    vendor.clock.set(now);
    claims
}

#[test]
fn renewal_slides_the_idle_window_but_never_passes_the_cap() {
    let vendor = Vendor::new();
    let first = vendor.launch();
    let mut claims = vendor.sessions.verify(first.as_str()).unwrap();
    let (sid, lid, lat) = (
        claims.session_id().clone(),
        claims.launch_id().clone(),
        claims.launched_at(),
    );
    assert!(!vendor.sessions.should_renew(&claims));
    vendor.clock.advance(449);
    assert!(!vendor.sessions.should_renew(&claims));
    vendor.clock.advance(1);
    assert!(
        vendor.sessions.should_renew(&claims),
        "past half the idle window"
    );

    let cap = lat + 8 * 3600;
    let mut renewals = 0;
    let mut last = first.as_str().to_owned();
    while let Some(renewed) = vendor.sessions.renew(&claims) {
        renewals += 1;
        let now = NOW + 450 * renewals;
        assert!(
            renewed.expires_at() <= cap,
            "renewal {renewals} passed the cap"
        );
        assert_eq!(renewed.expires_in() as i64, renewed.expires_at() - now);
        claims = vendor.sessions.verify(renewed.as_str()).unwrap();
        last = renewed.as_str().to_owned();
        assert_eq!(
            (
                claims.session_id(),
                claims.launch_id(),
                claims.launched_at()
            ),
            (&sid, &lid, lat)
        );
        vendor.clock.advance(450);
    }
    // Renewed every 7.5 minutes until the cap: the last token ends exactly there.
    assert_eq!(claims.expires_at(), cap);
    assert!(renewals >= 60, "{renewals}");
    assert!(!vendor.sessions.should_renew(&claims));
    vendor.clock.set(cap - 1);
    assert!(vendor.sessions.verify(&last).is_ok());
    vendor.clock.set(cap);
    let error = vendor.sessions.verify(&last).unwrap_err();
    assert_eq!(error.code(), "session_too_old");
    assert_eq!(vendor.sessions.renew(&claims), None);
    assert_eq!(
        code(vendor.sessions.ticket(&claims, BOLETO)),
        "session_too_old"
    );
}

#[test]
fn a_shorter_cap_ends_the_first_token_early() {
    let clock = clock();
    let sessions = builder(&clock, key("k1", 1))
        .idle_lifetime(Duration::from_secs(900))
        .absolute_lifetime(Duration::from_secs(1000))
        .build()
        .unwrap();
    let vendor = Vendor::new();
    let launch = vendor.verifier.verify(&vendor.launch_token()).unwrap();
    clock.advance(400);
    let token = sessions.start(&launch).unwrap();
    assert_eq!(
        token.expires_at(),
        NOW + 1000,
        "min(now + idle, launch iat + cap)"
    );
    assert_eq!(token.expires_in(), 600);
    clock.advance(600);
    assert_eq!(code(sessions.verify(token.as_str())), "session_too_old");
    assert_eq!(code(sessions.start(&launch)), "session_too_old");
}

// ---- revocation --------------------------------------------------------------------------------

#[test]
fn a_revoked_session_and_its_tickets_are_refused() {
    let vendor = Vendor::new();
    let session = vendor.launch();
    let claims = vendor.sessions.verify(session.as_str()).unwrap();
    vendor.clock.advance(600);
    let renewed = vendor.sessions.renew(&claims).unwrap();
    let ticket = vendor.sessions.ticket(&claims, BOLETO).unwrap();
    let other = vendor.launch();
    vendor.sessions.revoke(&claims).unwrap();
    for token in [session.as_str(), renewed.as_str()] {
        assert_eq!(code(vendor.sessions.verify(token)), "session_revoked");
    }
    assert_eq!(
        code(vendor.sessions.redeem_ticket(&ticket, BOLETO)),
        "ticket_session_revoked"
    );
    assert!(
        vendor.sessions.verify(other.as_str()).is_ok(),
        "other sessions are untouched"
    );
}

/// A revocation store that is down.
struct Down;

impl RevocationStore for Down {
    fn revoke(&self, _: &SessionId, _: i64) -> Result<(), StoreFailure> {
        Err(StoreFailure::new(
            "SET",
            cv_portal_plugin::StoreCause::Timeout,
        ))
    }
    fn is_revoked(&self, _: &SessionId) -> Result<bool, StoreFailure> {
        Err(StoreFailure::new(
            "EXISTS",
            cv_portal_plugin::StoreCause::ConnectionRefused,
        ))
    }
}

#[test]
fn a_store_that_cannot_answer_fails_closed() {
    let vendor = Vendor::new();
    let down = builder(&vendor.clock, key("k1", 1))
        .revocation_store(Arc::new(Down))
        .build()
        .unwrap();
    let session = vendor.launch();
    let error = down.verify(session.as_str()).unwrap_err();
    assert_eq!(error.code(), "session_store_unavailable");
    assert_eq!(error.http_status(), 503);
    assert!(error.to_string().contains("connection refused"), "{error}");
    let claims = vendor.sessions.verify(session.as_str()).unwrap();
    assert_eq!(code(down.revoke(&claims)), "session_store_unavailable");
    // A forged token never reaches the store: it fails on its MAC first.
    assert_eq!(
        code(down.verify(&tamper(session.as_str()))),
        "session_bad_signature"
    );
}

// ---- key rotation ------------------------------------------------------------------------------

#[test]
fn previous_keys_verify_and_removed_keys_are_unknown() {
    let vendor = Vendor::new();
    let old_session = vendor.launch();
    let old_claims = vendor.sessions.verify(old_session.as_str()).unwrap();
    let old_ticket = vendor.sessions.ticket(&old_claims, BOLETO).unwrap();

    let rotated = builder(&vendor.clock, key("k2", 2))
        .previous_keys([key("k1", 1)])
        .build()
        .unwrap();
    assert_eq!(rotated.verify(old_session.as_str()).unwrap(), old_claims);
    assert!(rotated.redeem_ticket(&old_ticket, BOLETO).is_ok());
    let new_session = rotated.renew(&{
        vendor.clock.advance(600);
        old_claims.clone()
    });
    let new_session = new_session.unwrap();
    let header = new_session.as_str().split('.').next().unwrap();
    assert_eq!(
        String::from_utf8(base64_decode(header)).unwrap(),
        r#"{"alg":"HS256","typ":"cv-plugin-session+jwt","kid":"k2"}"#
    );
    assert_eq!(
        code(vendor.sessions.verify(new_session.as_str())),
        "session_unknown_kid"
    );

    let retired = builder(&vendor.clock, key("k2", 2)).build().unwrap();
    let error = retired.verify(old_session.as_str()).unwrap_err();
    assert_eq!(error.code(), "session_unknown_kid");
    assert!(error.to_string().contains("\"k1\""), "{error}");
    assert!(retired.verify(new_session.as_str()).is_ok());
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

// ---- credentials -------------------------------------------------------------------------------

fn cookie(token: &str) -> String {
    format!("theme=dark; __Host-cv-plugin-session={token}")
}

#[test]
fn bearer_comes_first_and_a_failing_bearer_is_not_replaced_by_the_cookie() {
    let vendor = Vendor::new();
    let good = vendor.launch();
    let other = vendor.launch();
    let good_cookie = cookie(good.as_str());
    let authenticate = |authorization: Option<&str>, cookie: Option<&str>| {
        vendor.sessions.authenticate(
            &CredentialRequest::new("GET")
                .authorization(authorization)
                .cookie(cookie),
        )
    };
    let bearer = format!("Bearer {}", other.as_str());
    let other_sid = vendor
        .sessions
        .verify(other.as_str())
        .unwrap()
        .session_id()
        .clone();
    assert_eq!(
        authenticate(Some(&bearer), Some(&good_cookie))
            .unwrap()
            .session_id(),
        &other_sid,
        "the bearer decides"
    );
    // A bearer that fails is the answer, even with a valid cookie beside it.
    let forged_bearer = format!("Bearer {}", tamper(other.as_str()));
    assert_eq!(
        code(authenticate(Some(&forged_bearer), Some(&good_cookie))),
        "session_bad_signature"
    );
    assert_eq!(
        code(authenticate(Some("Basic YTpi"), Some(&good_cookie))),
        "credential_malformed"
    );
    assert_eq!(
        code(authenticate(Some("Bearer "), Some(&good_cookie))),
        "credential_malformed"
    );
    // No bearer: the cookie.
    assert!(authenticate(None, Some(&good_cookie)).is_ok());
    assert_eq!(
        code(authenticate(None, Some("theme=dark"))),
        "credential_missing"
    );
    assert_eq!(code(authenticate(None, None)), "credential_missing");
    let own = VendorOrigin::parse(OWN).unwrap();
    let found = extract_credential(
        &CredentialRequest::new("GET").cookie(Some(&good_cookie)),
        &own,
    )
    .unwrap();
    assert_eq!(found.source(), CredentialSource::Cookie);
    assert!(!format!("{found:?}").contains(good.as_str()));
}

#[test]
fn a_cookie_with_an_unsafe_method_needs_the_vendors_own_origin() {
    let vendor = Vendor::new();
    let session = vendor.launch();
    let jar = cookie(session.as_str());
    let request = |method, origin| {
        vendor.sessions.authenticate(
            &CredentialRequest::new(method)
                .cookie(Some(&jar))
                .origin(origin),
        )
    };
    for method in ["POST", "PUT", "PATCH", "DELETE", "get", "PROPFIND"] {
        for origin in [
            None,
            Some("https://evil.example"),
            Some("null"),
            Some("https://erp.example.com.evil.example"),
            Some("http://erp.example.com"),
            Some(""),
        ] {
            let error = request(method, origin).unwrap_err();
            assert_eq!(
                error.code(),
                "credential_origin_mismatch",
                "{method} {origin:?}"
            );
            assert_eq!(error.http_status(), 403);
        }
        assert!(
            request(method, Some(OWN)).is_ok(),
            "{method} from our own origin"
        );
    }
    for method in ["GET", "HEAD", "OPTIONS"] {
        assert!(request(method, None).is_ok(), "{method}");
        assert!(
            request(method, Some("https://evil.example")).is_ok(),
            "{method}"
        );
    }
    // A bearer needs no Origin: a cross-site page cannot read the token to send it.
    let bearer = format!("Bearer {}", session.as_str());
    assert!(
        vendor
            .sessions
            .authenticate(&CredentialRequest::new("POST").authorization(Some(&bearer)))
            .is_ok()
    );
    // Without a configured vendor origin, no unsafe cookie request passes.
    let no_origin = Sessions::builder(issuer_id(), PLUGIN.parse().unwrap(), key("k1", 1))
        .clock(vendor.clock.clone())
        .single_instance()
        .build()
        .unwrap();
    let post = CredentialRequest::new("POST").cookie(Some(&jar));
    assert_eq!(
        code(no_origin.authenticate(&post.origin(Some(OWN)))),
        "credential_origin_mismatch"
    );
    assert_eq!(
        code(no_origin.authenticate(&post.origin(Some("")))),
        "credential_origin_mismatch"
    );
}

// ---- exact values ------------------------------------------------------------------------------

#[test]
fn header_and_cookie_values_are_exact() {
    let portals = [
        PortalOrigin::from_issuer(&issuer_id()).unwrap(),
        PortalOrigin::parse("https://gestor.construtora.com.br:8443/").unwrap(),
        PortalOrigin::parse("https://portal.construtora.com.br").unwrap(),
    ];
    let headers = page_headers(&portals);
    assert_eq!(
        headers,
        [
            (
                "Content-Security-Policy",
                "frame-ancestors https://portal.construtora.com.br https://gestor.construtora.com.br:8443"
                    .to_owned()
            ),
            ("Referrer-Policy", "no-referrer".to_owned()),
            ("Cache-Control", "no-store".to_owned()),
        ]
    );
    assert!(
        headers
            .iter()
            .all(|(name, _)| !name.eq_ignore_ascii_case("X-Frame-Options"))
    );
    assert_eq!(page_headers(&[])[0].1, "frame-ancestors 'none'");

    let vendor = Vendor::new();
    let session = vendor.launch();
    assert_eq!(
        session_cookie(&session),
        format!(
            "__Host-cv-plugin-session={}; Path=/; Secure; HttpOnly; SameSite=None; Partitioned; Max-Age=900",
            session.as_str()
        )
    );
    assert_eq!(
        clear_session_cookie(),
        "__Host-cv-plugin-session=; Path=/; Secure; HttpOnly; SameSite=None; Partitioned; Max-Age=0"
    );
    assert_eq!(
        session.exchange_json(),
        format!(r#"{{"session":"{}","expires_in":900}}"#, session.as_str())
    );
    let parsed: serde_json::Value = serde_json::from_str(&session.exchange_json()).unwrap();
    assert_eq!(parsed["session"], session.as_str());

    vendor.clock.advance(900);
    let error = vendor.sessions.verify(session.as_str()).unwrap_err();
    assert_eq!(
        session_challenge(&error),
        (
            "WWW-Authenticate",
            r#"Bearer realm="cv-plugin-session", error="invalid_token", error_description="session_expired""#
                .to_owned()
        )
    );
}

// ---- tickets -----------------------------------------------------------------------------------

#[test]
fn a_ticket_is_single_use_bound_to_its_resource_and_lives_a_minute() {
    let vendor = Vendor::new();
    let claims = vendor.sessions.verify(vendor.launch().as_str()).unwrap();
    let ticket = vendor.sessions.ticket(&claims, BOLETO).unwrap();
    assert_eq!(
        code(vendor.sessions.redeem_ticket(&ticket, "/boletos/124.pdf")),
        "ticket_wrong_resource"
    );
    assert_eq!(
        code(vendor.sessions.redeem_ticket(&ticket, "/boletos/123.pdf/")),
        "ticket_wrong_resource"
    );
    let redeemed = vendor.sessions.redeem_ticket(&ticket, BOLETO).unwrap();
    assert_eq!(redeemed.resource(), BOLETO);
    assert_eq!(redeemed.session_id(), claims.session_id());
    assert_eq!(redeemed.subject(), claims.subject());
    assert_eq!(redeemed.role(), Role::Cliente);
    assert_eq!(redeemed.expires_at() - redeemed.issued_at(), 60);
    assert_eq!(
        code(vendor.sessions.redeem_ticket(&ticket, BOLETO)),
        "ticket_replayed"
    );

    // Two tickets for one resource are distinct.
    let a = vendor.sessions.ticket(&claims, BOLETO).unwrap();
    let b = vendor.sessions.ticket(&claims, BOLETO).unwrap();
    assert_ne!(a, b);
    vendor.clock.advance(59);
    assert!(vendor.sessions.redeem_ticket(&a, BOLETO).is_ok());
    vendor.clock.advance(1);
    assert_eq!(
        code(vendor.sessions.redeem_ticket(&b, BOLETO)),
        "ticket_expired"
    );

    for bad in ["boletos/1.pdf", "/a b", "/a?x=1", ""] {
        assert_eq!(
            code(vendor.sessions.ticket(&claims, bad)),
            "ticket_invalid_resource",
            "{bad:?}"
        );
    }
}

#[test]
fn a_ticket_guard_shared_by_two_instances_redeems_once() {
    let vendor = Vendor::new();
    let guard = Arc::new(InMemoryReplayGuard::new());
    let revoked = Arc::new(InMemoryRevocationStore::new());
    let instance = || {
        builder(&vendor.clock, key("k1", 1))
            .ticket_guard(guard.clone())
            .revocation_store(revoked.clone())
            .build()
            .unwrap()
    };
    let (a, b) = (instance(), instance());
    let claims = a.verify(vendor.launch().as_str()).unwrap();
    let ticket = a.ticket(&claims, BOLETO).unwrap();
    assert!(b.redeem_ticket(&ticket, BOLETO).is_ok());
    assert_eq!(code(a.redeem_ticket(&ticket, BOLETO)), "ticket_replayed");
    // A revocation on one instance is seen by the other through the shared store.
    a.revoke(&claims).unwrap();
    let session = vendor.launch();
    let _ = session;
    assert_eq!(
        code(b.redeem_ticket(&a.ticket(&claims, BOLETO).unwrap(), BOLETO)),
        "ticket_session_revoked"
    );
}

// ---- secrets stay secret -----------------------------------------------------------------------

#[test]
fn debug_and_errors_never_show_secrets_or_tokens() {
    let secret = [0x5Au8; 32];
    let key = SessionKey::from_bytes("k1", &secret).unwrap();
    let vendor = Vendor::new();
    let sessions = builder(&vendor.clock, key.clone()).build().unwrap();
    let session = vendor.launch();
    let shown = [
        format!("{key:?}"),
        format!("{key}"),
        format!("{sessions:?}"),
        format!("{session:?}"),
    ];
    for text in &shown {
        assert!(!text.contains("5a5a") && !text.contains("90, 90"), "{text}");
        assert!(!text.contains(session.as_str()), "{text}");
        assert!(!text.contains(&session.as_str()[..20]), "{text}");
    }
    vendor.clock.advance(10_000);
    let error = vendor.sessions.verify(session.as_str()).unwrap_err();
    for text in [error.to_string(), format!("{error:?}")] {
        assert!(!text.contains(&session.as_str()[..20]), "{text}");
    }
    let error = vendor
        .sessions
        .authenticate(
            &CredentialRequest::new("GET")
                .authorization(Some(&format!("Basic {}", session.as_str()))),
        )
        .unwrap_err();
    assert!(!error.to_string().contains(&session.as_str()[..20]));
}

// ---- junk --------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn junk_never_panics_and_never_verifies(
        text in ".{0,300}",
        dotted in "[A-Za-z0-9_-]{0,80}\\.[A-Za-z0-9_-]{0,200}\\.[A-Za-z0-9_-]{0,60}",
        method in "[A-Za-z]{0,8}",
        origin in proptest::option::of(".{0,40}"),
    ) {
        let vendor = Vendor::new();
        for token in [text.as_str(), dotted.as_str()] {
            prop_assert!(vendor.sessions.verify(token).is_err());
            prop_assert!(vendor.sessions.redeem_ticket(token, BOLETO).is_err());
            let bearer = format!("Bearer {token}");
            let jar = format!("__Host-cv-plugin-session={token}");
            for (authorization, cookie) in [(Some(token), None), (Some(bearer.as_str()), None), (None, Some(jar.as_str())), (None, Some(token))] {
                let request = CredentialRequest::new(&method)
                    .authorization(authorization)
                    .cookie(cookie)
                    .origin(origin.as_deref());
                prop_assert!(vendor.sessions.authenticate(&request).is_err());
            }
        }
    }

    #[test]
    fn a_changed_character_never_verifies(position in 0usize..2000, replacement in "[A-Za-z0-9_.-]") {
        let vendor = Vendor::new();
        let session = vendor.launch();
        let token = session.as_str();
        let position = position % token.len();
        let mut changed = token.to_owned();
        changed.replace_range(position..position + 1, &replacement);
        prop_assume!(changed != token);
        prop_assert!(vendor.sessions.verify(&changed).is_err());
    }
}

// ---- live Redis --------------------------------------------------------------------------------

#[cfg(feature = "redis")]
mod live_redis {
    use super::*;
    use cv_portal_plugin::RedisRevocationStore;
    use cv_portal_plugin::replay::redis::RedisReplayGuard;

    fn redis_url() -> String {
        match std::env::var("CV_REDIS_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => panic!(
                "CV_REDIS_URL is not set: run `source .ci/redis.sh && cargo test --all-features \
                 --test session -- --ignored`"
            ),
        }
    }

    fn unique(name: &str) -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        format!("cvpp-test:{name}:{}:{nanos}:", std::process::id())
    }

    #[test]
    #[ignore = "needs a live Redis: source .ci/redis.sh, then cargo test --all-features --test session -- --ignored"]
    fn a_ticket_redeemed_through_two_guards_sharing_one_redis_is_accepted_once() {
        let url = redis_url();
        let (tickets, revoked) = (unique("tickets"), unique("revoked"));
        let vendor = Vendor::new();
        let instance = || {
            let guard = RedisReplayGuard::builder(url.as_str())
                .prefix(tickets.as_str())
                .build()
                .unwrap();
            let store = RedisRevocationStore::builder(url.as_str())
                .prefix(revoked.as_str())
                .build()
                .unwrap();
            builder(&vendor.clock, key("k1", 1))
                .ticket_guard(Arc::new(guard))
                .revocation_store(Arc::new(store))
                .build()
                .unwrap()
        };
        let (a, b) = (instance(), instance());
        let claims = a.verify(vendor.launch().as_str()).unwrap();
        let ticket = a.ticket(&claims, BOLETO).unwrap();
        let outcomes = [
            a.redeem_ticket(&ticket, BOLETO),
            b.redeem_ticket(&ticket, BOLETO),
        ];
        assert_eq!(
            outcomes.iter().filter(|o| o.is_ok()).count(),
            1,
            "{outcomes:?}"
        );
        assert_eq!(outcomes[1].as_ref().unwrap_err().code(), "ticket_replayed");

        // Revoked on one instance, refused on the other.
        let session = vendor.launch();
        let claims = b.verify(session.as_str()).unwrap();
        a.revoke(&claims).unwrap();
        assert_eq!(code(b.verify(session.as_str())), "session_revoked");
    }

    #[cfg(feature = "redis-async")]
    #[test]
    #[ignore = "needs a live Redis: source .ci/redis.sh, then cargo test --all-features --test session -- --ignored"]
    fn async_instances_share_revocations_and_tickets_with_each_other_and_the_blocking_store() {
        use cv_portal_plugin::{AsyncRedisReplayGuard, AsyncRedisRevocationStore};
        let url = redis_url();
        let (tickets, revoked) = (unique("async-tickets"), unique("async-revoked"));
        let vendor = Vendor::new();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let instance = || {
            let store = AsyncRedisRevocationStore::builder(url.as_str())
                .prefix(revoked.as_str())
                .clock(vendor.clock.clone())
                .build()
                .unwrap();
            runtime.block_on(store.ping()).unwrap();
            let guard = AsyncRedisReplayGuard::builder(url.as_str())
                .prefix(tickets.as_str())
                .build()
                .unwrap();
            Arc::new(
                builder(&vendor.clock, key("k1", 1))
                    .revocation_store_async(Arc::new(store))
                    .ticket_guard_async(Arc::new(guard))
                    .build()
                    .unwrap(),
            )
        };
        let (a, b) = (instance(), instance());
        let blocking = builder(&vendor.clock, key("k1", 1))
            .revocation_store(Arc::new(
                RedisRevocationStore::builder(url.as_str())
                    .prefix(revoked.as_str())
                    .clock(vendor.clock.clone())
                    .build()
                    .unwrap(),
            ))
            .build()
            .unwrap();

        let session = vendor.launch();
        let claims = runtime.block_on(a.verify_async(session.as_str())).unwrap();
        let ticket = a.ticket(&claims, BOLETO).unwrap();
        // 64 tasks over two instances race one ticket: exactly one redeems it.
        let outcomes = runtime.block_on(async {
            let tasks: Vec<_> = (0..64)
                .map(|n| {
                    let sessions = if n % 2 == 0 { a.clone() } else { b.clone() };
                    let ticket = ticket.clone();
                    tokio::spawn(async move {
                        sessions
                            .redeem_ticket_async(&ticket, BOLETO)
                            .await
                            .map_err(|e| e.code())
                    })
                })
                .collect();
            let mut outcomes = Vec::new();
            for task in tasks {
                outcomes.push(task.await.unwrap());
            }
            outcomes
        });
        assert_eq!(
            outcomes.iter().filter(|o| o.is_ok()).count(),
            1,
            "{outcomes:?}"
        );
        assert!(
            outcomes
                .iter()
                .all(|o| o.is_ok() || *o == Err("ticket_replayed"))
        );

        // Revoked through one async instance: refused by the other and by the blocking store.
        assert!(blocking.verify(session.as_str()).is_ok());
        runtime.block_on(a.revoke_async(&claims)).unwrap();
        assert_eq!(
            code(runtime.block_on(b.verify_async(session.as_str()))),
            "session_revoked"
        );
        assert_eq!(code(blocking.verify(session.as_str())), "session_revoked");
        // And the reverse: revoked by the blocking store, refused by the async instances.
        let other = vendor.launch();
        let other_claims = blocking.verify(other.as_str()).unwrap();
        blocking.revoke(&other_claims).unwrap();
        assert_eq!(
            code(runtime.block_on(a.verify_async(other.as_str()))),
            "session_revoked"
        );
    }
}

#[test]
fn a_bounce_post_is_accepted_only_from_the_vendors_own_origin() {
    let vendor = Vendor::new();
    let session = vendor.launch();
    let token = session.as_str();
    // Login CSRF: another site posts its own (valid) session into the frame.
    for (origin, fetch_site) in [
        (Some("https://evil.example"), Some("cross-site")),
        (Some("https://evil.example"), None),
        (None, None),
        (Some("null"), Some("same-site")),
        (
            Some("https://erp.example.com.evil.example"),
            Some("cross-site"),
        ),
    ] {
        assert_eq!(
            code(
                vendor
                    .sessions
                    .authenticate_bounce(token, origin, fetch_site)
            ),
            "credential_origin_mismatch",
            "{origin:?} {fetch_site:?}"
        );
    }
    let by_origin = vendor
        .sessions
        .authenticate_bounce(token, Some(OWN), None)
        .unwrap();
    assert_eq!(by_origin.subject().as_str(), "48213");
    assert!(
        vendor
            .sessions
            .authenticate_bounce(token, None, Some("same-origin"))
            .is_ok()
    );
    // From the right origin, the session itself is still checked.
    assert_eq!(
        code(
            vendor
                .sessions
                .authenticate_bounce(&tamper(token), Some(OWN), None)
        ),
        "session_bad_signature"
    );
}

#[test]
fn a_ticket_too_large_to_redeem_is_never_minted() {
    let vendor = Vendor::new();
    let claims = vendor.sessions.verify(vendor.launch().as_str()).unwrap();
    // Each `"` becomes `\"` in the claims JSON, then grows by a third in base64url.
    let resource = format!("/{}", "\"".repeat(700));
    assert_eq!(
        code(vendor.sessions.ticket(&claims, &resource)),
        "ticket_too_large"
    );
    let fine = format!("/{}", "a".repeat(700));
    let ticket = vendor.sessions.ticket(&claims, &fine).unwrap();
    assert!(vendor.sessions.redeem_ticket(&ticket, &fine).is_ok());
}

// ---- the async path (review 13, F4) -----------------------------------------------------------

mod async_path {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Instant;

    use cv_portal_plugin::replay::{AsyncReplayGuard, ReplayFuture};
    use cv_portal_plugin::session::RevocationFuture;
    use cv_portal_plugin::{
        AsyncRevocationStore, ReplayEntry, ReplayError, ReplayGuard, StoreCause,
    };

    use super::*;

    fn run<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(future)
    }

    /// An async revocation store over memory whose every answer first yields to the runtime (as
    /// a network store would), or sleeps `delay`; counts the calls; answers "unavailable" while
    /// `down`.
    #[derive(Default)]
    struct SlowStore {
        inner: InMemoryRevocationStore,
        asked: AtomicUsize,
        down: AtomicBool,
        delay: Option<Duration>,
    }

    impl SlowStore {
        async fn wait(&self) -> Result<(), StoreFailure> {
            match self.delay {
                Some(delay) => tokio::time::sleep(delay).await,
                None => tokio::task::yield_now().await,
            }
            self.asked.fetch_add(1, Ordering::SeqCst);
            if self.down.load(Ordering::SeqCst) {
                return Err(StoreFailure::new("EXISTS", StoreCause::Timeout));
            }
            Ok(())
        }
    }

    impl AsyncRevocationStore for SlowStore {
        fn revoke<'a>(&'a self, sid: &'a SessionId, until: i64) -> RevocationFuture<'a, ()> {
            Box::pin(async move {
                self.wait().await?;
                self.inner.revoke(sid, until)
            })
        }
        fn is_revoked<'a>(&'a self, sid: &'a SessionId) -> RevocationFuture<'a, bool> {
            Box::pin(async move {
                self.wait().await?;
                self.inner.is_revoked(sid)
            })
        }
    }

    /// A blocking store that counts the calls it gets (it must get none from the async path).
    #[derive(Default)]
    struct CountingBlockingStore {
        inner: InMemoryRevocationStore,
        asked: AtomicUsize,
    }

    impl RevocationStore for CountingBlockingStore {
        fn revoke(&self, sid: &SessionId, until: i64) -> Result<(), StoreFailure> {
            self.asked.fetch_add(1, Ordering::SeqCst);
            self.inner.revoke(sid, until)
        }
        fn is_revoked(&self, sid: &SessionId) -> Result<bool, StoreFailure> {
            self.asked.fetch_add(1, Ordering::SeqCst);
            self.inner.is_revoked(sid)
        }
    }

    /// An async ticket guard over memory that yields first and counts; unavailable while `down`.
    #[derive(Default)]
    struct SlowGuard {
        inner: InMemoryReplayGuard,
        asked: AtomicUsize,
        down: AtomicBool,
    }

    impl AsyncReplayGuard for SlowGuard {
        fn check_and_insert<'a>(&'a self, entry: &'a ReplayEntry<'a>) -> ReplayFuture<'a> {
            Box::pin(async move {
                tokio::task::yield_now().await;
                self.asked.fetch_add(1, Ordering::SeqCst);
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

    fn async_sessions(vendor: &Vendor, store: &Arc<SlowStore>, guard: &Arc<SlowGuard>) -> Sessions {
        builder(&vendor.clock, key("k1", 1))
            .revocation_store_async(store.clone())
            .ticket_guard_async(guard.clone())
            .build()
            .unwrap()
    }

    fn bearer(session: &SessionToken) -> String {
        format!("Bearer {}", session.as_str())
    }

    fn cause(error: &SessionError) -> &'static str {
        match error {
            SessionError::StoreUnavailable { failure }
            | SessionError::TicketGuardUnavailable {
                failure: Some(failure),
            } => failure.cause().kind(),
            other => panic!("not a store failure: {other:?}"),
        }
    }

    #[test]
    fn the_async_store_is_awaited_for_sessions_revocations_and_tickets() {
        let vendor = Vendor::new();
        let (store, guard) = (Arc::<SlowStore>::default(), Arc::<SlowGuard>::default());
        let sessions = async_sessions(&vendor, &store, &guard);
        let session = vendor.launch();
        let bearer = bearer(&session);
        let request = CredentialRequest::new("GET").authorization(Some(&bearer));
        run(async {
            let claims = sessions.authenticate_async(&request).await.unwrap();
            assert_eq!(claims.subject().as_str(), "48213");
            assert_eq!(store.asked.load(Ordering::SeqCst), 1);

            let ticket = sessions.ticket(&claims, BOLETO).unwrap();
            let redeemed = sessions.redeem_ticket_async(&ticket, BOLETO).await.unwrap();
            assert_eq!(redeemed.session_id(), claims.session_id());
            assert_eq!(
                code(sessions.redeem_ticket_async(&ticket, BOLETO).await),
                "ticket_replayed"
            );
            assert_eq!(guard.asked.load(Ordering::SeqCst), 2);

            sessions.revoke_async(&claims).await.unwrap();
            assert_eq!(
                code(sessions.authenticate_async(&request).await),
                "session_revoked"
            );
            assert_eq!(
                code(sessions.verify_async(session.as_str()).await),
                "session_revoked"
            );
            let fresh = sessions.ticket(&claims, BOLETO).unwrap();
            assert_eq!(
                code(sessions.redeem_ticket_async(&fresh, BOLETO).await),
                "ticket_session_revoked"
            );
            // The revoked session's ticket never reached the guard.
            assert_eq!(guard.asked.load(Ordering::SeqCst), 2);
        });
    }

    #[test]
    fn an_outage_is_503_and_consumes_nothing() {
        let vendor = Vendor::new();
        let (store, guard) = (Arc::<SlowStore>::default(), Arc::<SlowGuard>::default());
        let sessions = async_sessions(&vendor, &store, &guard);
        let session = vendor.launch();
        let claims = vendor.sessions.verify(session.as_str()).unwrap();
        let ticket = sessions.ticket(&claims, BOLETO).unwrap();
        run(async {
            store.down.store(true, Ordering::SeqCst);
            let error = sessions.verify_async(session.as_str()).await.unwrap_err();
            assert_eq!(
                (error.code(), error.http_status(), cause(&error)),
                ("session_store_unavailable", 503, "timeout")
            );
            let error = sessions
                .redeem_ticket_async(&ticket, BOLETO)
                .await
                .unwrap_err();
            assert_eq!(error.code(), "session_store_unavailable");
            assert_eq!(
                guard.asked.load(Ordering::SeqCst),
                0,
                "the ticket was consumed"
            );
            assert_eq!(
                code(sessions.revoke_async(&claims).await),
                "session_store_unavailable"
            );

            // The ticket guard is down: 503, and the ticket is still redeemable afterwards.
            store.down.store(false, Ordering::SeqCst);
            guard.down.store(true, Ordering::SeqCst);
            let error = sessions
                .redeem_ticket_async(&ticket, BOLETO)
                .await
                .unwrap_err();
            assert_eq!(
                (error.code(), error.http_status(), cause(&error)),
                ("ticket_guard_unavailable", 503, "timeout")
            );
            guard.down.store(false, Ordering::SeqCst);
            assert!(sessions.redeem_ticket_async(&ticket, BOLETO).await.is_ok());
            assert_eq!(
                code(sessions.redeem_ticket_async(&ticket, BOLETO).await),
                "ticket_replayed"
            );
            // And the session was never revoked by the failed attempt.
            assert!(sessions.verify_async(session.as_str()).await.is_ok());
        });
    }

    #[test]
    fn the_blocking_path_refuses_with_an_async_only_store_and_never_skips_the_check() {
        let vendor = Vendor::new();
        let (store, guard) = (Arc::<SlowStore>::default(), Arc::<SlowGuard>::default());
        let sessions = async_sessions(&vendor, &store, &guard);
        let session = vendor.launch();
        let bearer = bearer(&session);
        let claims = vendor.sessions.verify(session.as_str()).unwrap();
        let ticket = sessions.ticket(&claims, BOLETO).unwrap();
        let refusals = [
            sessions.verify(session.as_str()).unwrap_err(),
            sessions
                .authenticate(&CredentialRequest::new("GET").authorization(Some(&bearer)))
                .unwrap_err(),
            sessions
                .authenticate_bounce(session.as_str(), Some(OWN), None)
                .unwrap_err(),
            sessions.revoke(&claims).unwrap_err(),
            sessions.redeem_ticket(&ticket, BOLETO).unwrap_err(),
        ];
        for error in &refusals[..4] {
            assert_eq!(
                (error.code(), error.http_status(), cause(error)),
                ("session_store_unavailable", 503, "async_only"),
                "{error}"
            );
        }
        // A ticket refused on the blocking path because of the revocation store: the guard,
        // async only too, is never reached either.
        assert_eq!(refusals[4].code(), "session_store_unavailable");
        assert_eq!(store.asked.load(Ordering::SeqCst), 0);
        assert_eq!(guard.asked.load(Ordering::SeqCst), 0);
        // With an in-memory revocation store, the async-only ticket guard refuses on its own.
        let tickets_async = builder(&vendor.clock, key("k1", 1))
            .ticket_guard_async(guard.clone())
            .build()
            .unwrap();
        let error = tickets_async.redeem_ticket(&ticket, BOLETO).unwrap_err();
        assert_eq!(
            (error.code(), error.http_status(), cause(&error)),
            ("ticket_guard_unavailable", 503, "async_only")
        );
        // The refusals consumed nothing: the async path redeems the same ticket.
        assert!(run(sessions.redeem_ticket_async(&ticket, BOLETO)).is_ok());
    }

    #[test]
    fn the_async_path_never_asks_a_blocking_store() {
        let vendor = Vendor::new();
        let blocking = Arc::<CountingBlockingStore>::default();
        /// A ticket guard that, like `RedisReplayGuard`, does not answer from memory.
        struct Networked(InMemoryReplayGuard);
        impl ReplayGuard for Networked {
            fn check_and_insert(
                &self,
                entry: &cv_portal_plugin::ReplayEntry<'_>,
            ) -> Result<(), cv_portal_plugin::ReplayError> {
                self.0.check_and_insert(entry)
            }
        }
        let guard = Arc::new(Networked(InMemoryReplayGuard::new()));
        let sessions = builder(&vendor.clock, key("k1", 1))
            .revocation_store(blocking.clone())
            .ticket_guard(guard.clone())
            .build()
            .unwrap();
        let session = vendor.launch();
        let claims = sessions.verify(session.as_str()).unwrap();
        assert_eq!(blocking.asked.load(Ordering::SeqCst), 1);
        let ticket = sessions.ticket(&claims, BOLETO).unwrap();
        run(async {
            let error = sessions.verify_async(session.as_str()).await.unwrap_err();
            assert_eq!(
                (error.code(), error.http_status(), cause(&error)),
                ("session_store_unavailable", 503, "blocking_only")
            );
            assert_eq!(
                code(sessions.revoke_async(&claims).await),
                "session_store_unavailable"
            );
            assert_eq!(
                code(sessions.redeem_ticket_async(&ticket, BOLETO).await),
                "session_store_unavailable"
            );
        });
        assert_eq!(blocking.asked.load(Ordering::SeqCst), 1, "asked from async");
        // The blocking ticket guard alone (revocations in memory) refuses on the async path too.
        let tickets_blocking = builder(&vendor.clock, key("k1", 1))
            .ticket_guard(guard.clone())
            .build()
            .unwrap();
        let error = run(tickets_blocking.redeem_ticket_async(&ticket, BOLETO)).unwrap_err();
        assert_eq!(
            (error.code(), cause(&error)),
            ("ticket_guard_unavailable", "blocking_only")
        );
        // Nothing was consumed: the blocking path redeems it once.
        assert!(sessions.redeem_ticket(&ticket, BOLETO).is_ok());
        assert_eq!(
            code(sessions.redeem_ticket(&ticket, BOLETO)),
            "ticket_replayed"
        );
        // A blocking guard that answers from memory (InMemoryReplayGuard) is asked in place.
        let in_memory = builder(&vendor.clock, key("k1", 1))
            .ticket_guard(Arc::new(InMemoryReplayGuard::new()))
            .single_instance()
            .build()
            .unwrap();
        let fresh = in_memory.ticket(&claims, BOLETO).unwrap();
        assert!(run(in_memory.redeem_ticket_async(&fresh, BOLETO)).is_ok());
        assert_eq!(
            code(run(in_memory.redeem_ticket_async(&fresh, BOLETO))),
            "ticket_replayed"
        );
    }

    #[test]
    fn in_memory_stores_serve_both_paths_as_one() {
        let vendor = Vendor::new();
        let sessions = &vendor.sessions; // single_instance()
        let session = vendor.launch();
        let claims = sessions.verify(session.as_str()).unwrap();
        let ticket = sessions.ticket(&claims, BOLETO).unwrap();
        run(async {
            assert!(sessions.redeem_ticket_async(&ticket, BOLETO).await.is_ok());
            assert_eq!(
                code(sessions.redeem_ticket(&ticket, BOLETO)),
                "ticket_replayed"
            );
            sessions.revoke_async(&claims).await.unwrap();
        });
        assert_eq!(code(sessions.verify(session.as_str())), "session_revoked");

        // Given explicitly: an in-memory store and guard shared with other code.
        let memory = Arc::new(InMemoryRevocationStore::new().clock(vendor.clock.clone()));
        let shared = builder(&vendor.clock, key("k1", 1))
            .revocation_store_non_blocking(cv_portal_plugin::NonBlockingRevocationStore::new(
                memory.clone(),
            ))
            .ticket_guard_non_blocking(cv_portal_plugin::NonBlockingReplayGuard::new(Arc::new(
                InMemoryReplayGuard::new(),
            )))
            .build()
            .unwrap();
        let session = vendor.launch();
        let claims = shared.verify(session.as_str()).unwrap();
        shared.revoke(&claims).unwrap();
        assert!(memory.is_revoked(claims.session_id()).unwrap());
        assert_eq!(
            code(run(shared.verify_async(session.as_str()))),
            "session_revoked"
        );
    }

    #[test]
    fn authenticate_async_never_holds_the_runtime_thread() {
        // The review's proof of F4, reversed: a store that takes 400 ms must not stop a 5 ms
        // ticker on the same single-threaded runtime.
        let vendor = Vendor::new();
        let store = Arc::new(SlowStore {
            delay: Some(Duration::from_millis(400)),
            ..SlowStore::default()
        });
        let sessions = builder(&vendor.clock, key("k1", 1))
            .revocation_store_async(store.clone())
            .build()
            .unwrap();
        let bearer = bearer(&vendor.launch());
        let gap = run(async {
            let ticker = tokio::spawn(async {
                let mut widest = Duration::ZERO;
                let mut last = Instant::now();
                for _ in 0..60 {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    widest = widest.max(last.elapsed());
                    last = Instant::now();
                }
                widest
            });
            let request = CredentialRequest::new("GET").authorization(Some(&bearer));
            let started = Instant::now();
            assert!(sessions.authenticate_async(&request).await.is_ok());
            assert!(started.elapsed() >= Duration::from_millis(400));
            ticker.await.unwrap()
        });
        assert_eq!(store.asked.load(Ordering::SeqCst), 1);
        assert!(gap < Duration::from_millis(200), "ticker gap {gap:?}");
    }

    #[test]
    fn the_async_futures_are_send() {
        fn send<T: Send>(_: &T) {}
        let vendor = Vendor::new();
        let request = CredentialRequest::new("GET");
        send(&vendor.sessions.authenticate_async(&request));
        send(&vendor.sessions.verify_async("x"));
        send(&vendor.sessions.redeem_ticket_async("x", BOLETO));
        send(&vendor.sessions.authenticate_bounce_async("x", None, None));
    }
}

// ---- many portals (review 13, F7) -------------------------------------------------------------

mod many_portals {
    use cv_portal_plugin::keys::KeySource;
    use cv_portal_plugin::{IssuerId, Portal, PortalRegistry};

    use super::*;

    const BETA: &str = "https://portal.beta.com.br";

    /// Two portals in one registry (alfa hosts `financeiro` and `boletos`, beta `financeiro`),
    /// and one `Sessions` for the same pairs.
    struct Vendor2 {
        clock: Arc<FixedClock>,
        alfa: Issuer,
        beta: Issuer,
        registry: PortalRegistry,
        sessions: Sessions,
    }

    fn portal(id: IssuerId, clock: &Arc<FixedClock>) -> Issuer {
        Issuer::builder(id, SigningKey::generate(Algorithm::EdDSA).unwrap())
            .clock(clock.clone())
            .build()
            .unwrap()
    }

    impl Vendor2 {
        fn new() -> Vendor2 {
            let clock = clock();
            let alfa = portal(issuer_id(), &clock);
            let beta = portal(IssuerId::new(BETA).unwrap(), &clock);
            let registry = PortalRegistry::new(Arc::new(InMemoryReplayGuard::new()));
            let mut sessions = Sessions::builder_for_portals(key("k1", 1))
                .clock(clock.clone())
                .single_instance();
            for (issuer, plugins) in [(&alfa, &[PLUGIN, "boletos"][..]), (&beta, &[PLUGIN])] {
                let keys = Arc::new(KeySource::new());
                keys.set(issuer.jwks().clone());
                let mut entry = Portal::new(issuer.issuer_id().clone(), keys).clock(clock.clone());
                for plugin in plugins {
                    entry = entry.plugin(plugin.parse().unwrap());
                    sessions = sessions.portal(issuer.issuer_id().clone(), plugin.parse().unwrap());
                }
                registry.insert(entry).unwrap();
            }
            Vendor2 {
                sessions: sessions.build().unwrap(),
                clock,
                alfa,
                beta,
                registry,
            }
        }

        /// A launch of `issuer` for `plugin_id`, verified by the registry.
        fn launch(&self, issuer: &Issuer, plugin_id: &str) -> cv_portal_plugin::LaunchClaims {
            let token = issuer
                .mint(&plugin(plugin_id), &viewer(Role::Cliente))
                .unwrap();
            self.registry.verify(token.token()).unwrap().into_claims()
        }
    }

    #[test]
    fn each_portals_session_is_accepted_as_its_own_and_never_as_anothers() {
        let vendor = Vendor2::new();
        let a = vendor
            .sessions
            .start(&vendor.launch(&vendor.alfa, PLUGIN))
            .unwrap();
        let b = vendor
            .sessions
            .start(&vendor.launch(&vendor.beta, PLUGIN))
            .unwrap();
        let boletos = vendor
            .sessions
            .start(&vendor.launch(&vendor.alfa, "boletos"))
            .unwrap();
        let claims = |session: &SessionToken| vendor.sessions.verify(session.as_str()).unwrap();
        assert_eq!(claims(&a).issuer(), vendor.alfa.issuer_id());
        assert_eq!(claims(&b).issuer(), vendor.beta.issuer_id());
        assert_eq!(claims(&boletos).plugin().as_str(), "boletos");
        assert_eq!(claims(&boletos).issuer(), vendor.alfa.issuer_id());
        // Tickets keep their portal too.
        let ticket = vendor.sessions.ticket(&claims(&b), BOLETO).unwrap();
        let redeemed = vendor.sessions.redeem_ticket(&ticket, BOLETO).unwrap();
        assert_eq!(redeemed.issuer(), vendor.beta.issuer_id());
        // A session whose claims were rewritten to the other portal fails on its MAC.
        let forged = {
            let parts: Vec<&str> = a.as_str().split('.').collect();
            let json = String::from_utf8(base64_decode(parts[1])).unwrap();
            let json = json.replace(common::ISSUER, BETA);
            format!("{}.{}.{}", parts[0], common::b64(json.as_bytes()), parts[2])
        };
        assert_eq!(
            code(vendor.sessions.verify(&forged)),
            "session_bad_signature"
        );
    }

    #[test]
    fn a_pair_not_served_is_refused_and_a_removed_portal_ends_its_sessions() {
        let vendor = Vendor2::new();
        // The registry starts hosting `boletos` for beta, the sessions were not told: a verified
        // launch of that pair cannot start a session.
        let beta = vendor.beta.issuer_id();
        let keys = vendor.registry.key_source(beta).unwrap();
        let entry = Portal::new(beta.clone(), keys)
            .clock(vendor.clock.clone())
            .plugin(PLUGIN.parse().unwrap())
            .plugin("boletos".parse().unwrap());
        assert!(vendor.registry.insert(entry).unwrap());
        let beta_boletos = vendor.launch(&vendor.beta, "boletos");
        let error = vendor.sessions.start(&beta_boletos).unwrap_err();
        assert_eq!(error.code(), "session_wrong_audience");
        assert!(error.to_string().contains(PLUGIN), "{error}");

        let a = vendor
            .sessions
            .start(&vendor.launch(&vendor.alfa, PLUGIN))
            .unwrap();
        let b = vendor
            .sessions
            .start(&vendor.launch(&vendor.beta, PLUGIN))
            .unwrap();
        let ticket = vendor
            .sessions
            .ticket(&vendor.sessions.verify(a.as_str()).unwrap(), BOLETO)
            .unwrap();
        let alfa = vendor.alfa.issuer_id();
        assert!(vendor.sessions.remove_portal(alfa));
        assert!(!vendor.sessions.serves(alfa, &PLUGIN.parse().unwrap()));
        assert_eq!(vendor.sessions.issuers(), [vendor.beta.issuer_id().clone()]);
        let error = vendor.sessions.verify(a.as_str()).unwrap_err();
        assert_eq!(
            (error.code(), error.http_status()),
            ("session_wrong_issuer", 401)
        );
        assert_eq!(
            code(vendor.sessions.redeem_ticket(&ticket, BOLETO)),
            "ticket_wrong_issuer"
        );
        assert_eq!(
            code(vendor.sessions.start(&vendor.launch(&vendor.alfa, PLUGIN))),
            "session_wrong_issuer"
        );
        // beta is untouched.
        assert!(vendor.sessions.verify(b.as_str()).is_ok());
        // alfa back, with `financeiro` only: its financeiro session is accepted again, the
        // ticket still redeems once, and `boletos` is no longer served.
        assert!(
            !vendor
                .sessions
                .insert_portal(alfa.clone(), [PLUGIN.parse().unwrap()])
        );
        assert!(vendor.sessions.verify(a.as_str()).is_ok());
        assert!(vendor.sessions.redeem_ticket(&ticket, BOLETO).is_ok());
        assert_eq!(
            code(
                vendor
                    .sessions
                    .start(&vendor.launch(&vendor.alfa, "boletos"))
            ),
            "session_wrong_audience"
        );
        // Sessions for no portal at all refuse everything, and say so.
        let none = Sessions::builder_for_portals(key("k1", 1))
            .clock(vendor.clock.clone())
            .single_instance()
            .build()
            .unwrap();
        let error = none.verify(b.as_str()).unwrap_err();
        assert_eq!(error.code(), "session_wrong_issuer");
        assert!(error.to_string().contains("none"), "{error}");
        let shown = format!("{:?}", vendor.sessions);
        assert!(
            shown.contains(BETA) && shown.contains("in memory"),
            "{shown}"
        );
    }
}
