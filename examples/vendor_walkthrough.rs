//! The program an ERP vendor copies: the whole vendor side of a plugin, in one process, with the
//! portal played in-process and every message that would travel over HTTP printed.
//!
//! 1. Configuration: who the portal is, which plugin this is, the vendor's session key.
//! 2. Keys: the portal's JWKS, read once.
//! 3. The launch: the portal mints a launch token; the vendor verifies it, once.
//! 4. The person's data: the vendor asks the portal's client-data endpoint, once.
//! 5. The vendor's session and the launch answer: 200 with the page and its headers.
//! 6. The next request: `Authorization: Bearer <session>`.
//! 7. A download (the boleto PDF): a one-minute ticket, redeemed once.
//! 8. Sixteen minutes later: the session has expired; the request gets the 401 signal, and a
//!    reload of the frame gets the bounce page.
//! 9. The refresh: the page asks the portal for a fresh launch token and exchanges it.
//! 10. The retried request succeeds; a logout revokes the session.
//!
//! Run it with `cargo run --example vendor_walkthrough`. It exits non-zero if any outcome differs from the
//! one shown (CI runs it). Pass `JWKS_FILE TOKEN` instead to verify a real launch token against
//! a saved JWKS (system clock, single use in memory, or Redis with the `redis` feature and
//! `CV_REDIS_URL`).

#[path = "support/iso8601.rs"]
mod iso8601;

use std::error::Error;
use std::sync::Arc;

use iso8601::iso8601;

#[cfg(feature = "redis")]
use cv_portal_plugin::RedisReplayGuard;
use cv_portal_plugin::config::{Delivery, Dimension, Icon, PluginConfig, VisibleTo};
use cv_portal_plugin::data_client::{ClientDataRequest, read_client_data_for, read_discovery};
use cv_portal_plugin::data_endpoint::render_discovery;
use cv_portal_plugin::session::PAGE_SCRIPT;
use cv_portal_plugin::wire::{ClientData, ClientDataField, TaxDocument, Unit};
use cv_portal_plugin::{
    Algorithm, ClientDataEndpoint, CredentialRequest, FetchError, FixedClock, InMemoryReplayGuard,
    Issuer, IssuerId, KeyCache, KeySet, PluginId, PortalOrigin, Role, SessionClaims, SessionError,
    SessionKey, Sessions, SigningKey, SubjectId, Url, VendorOrigin, Verifier, VerifierBuilder,
    Viewer, bounce_page, page_headers, session_challenge,
};

/// The portal's issuer id and this vendor's plugin id, as agreed when the plugin was registered.
const ISSUER: &str = "https://portal.construtora.com.br";
const PLUGIN: &str = "financeiro";
/// The vendor's own origin and its exchange endpoint (same origin as the plugin page).
const VENDOR: &str = "https://erp.example.com";
const EXCHANGE_PATH: &str = "/cv/exchange";
/// Where the vendor serves [`PAGE_SCRIPT`].
const SCRIPT_PATH: &str = "/assets/cv-plugin-page.js";
/// The example's pinned clock: 2025-11-28T12:00:00Z, so that step 8 can move time forward.
const NOW: i64 = 1_764_331_200;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => whole_flow(),
        [jwks_file, token] => verify_real_token(jwks_file, token),
        _ => Err("usage: vendor [JWKS_FILE TOKEN]".into()),
    }
}

fn whole_flow() -> Result<(), Box<dyn Error>> {
    let clock = Arc::new(FixedClock::new(NOW));
    let portal = DemoPortal::new(clock.clone())?;

    // ------------------------------------------------------------------------------------------
    section("1. Configuration");

    let issuer = IssuerId::new(ISSUER)?;
    let plugin: PluginId = PLUGIN.parse()?;
    // The portal pages that may frame the plugin: the CSP frame-ancestors of every page.
    let portal_origins = [PortalOrigin::from_issuer(&issuer)?];
    // One key for every instance of the vendor, from its secret store; `generate` stands in.
    // Rotation: the new key here, the old one in `previous_keys` for one idle lifetime.
    let session_key = SessionKey::generate()?;
    let session_kid = session_key.kid().to_owned();
    let sessions = Sessions::builder(issuer.clone(), plugin.clone(), session_key)
        .vendor_origin(VendorOrigin::parse(VENDOR)?)
        .clock(clock.clone())
        // One process: revocations and download tickets in memory (several instances give
        // shared Redis stores instead).
        .single_instance()
        .build()?;
    println!("  issuer (the portal)       {issuer}");
    println!("  plugin id (aud)           {plugin}");
    println!("  portal origins (framing)  {}", portal_origins[0]);
    println!("  vendor origin             {VENDOR}");
    println!("  exchange endpoint         {VENDOR}{EXCHANGE_PATH}");
    println!("  session key kid           {session_kid} (HS256, held by the vendor only)");
    println!(
        "  sessions                  {} s idle, at most {} s from the launch",
        sessions.idle_lifetime().as_secs(),
        sessions.absolute_lifetime().as_secs()
    );

    // ------------------------------------------------------------------------------------------
    section("2. Keys: the portal's JWKS");

    // In production `KeyCache` fetches the JWKS URL of the discovery document and refetches on
    // an unknown kid; here the portal's published text is read once.
    let jwks = portal.issuer.jwks().to_jwks_json();
    println!("  GET {ISSUER}/.well-known/cv-plugin/jwks.json");
    println!("  {jwks}");
    let verifier = launch_verifier(
        Verifier::builder(issuer.clone(), plugin.clone())
            .key_set(KeySet::from_jwks_json(&jwks)?)
            .clock(clock.clone()),
    )?;
    let discovery = read_discovery(&issuer, 200, portal.discovery_json.as_bytes())?;

    // ------------------------------------------------------------------------------------------
    section("3. The launch: Maria, a cliente, opens Financeiro");

    let launch = portal.launch("48213")?;
    println!("  The portal's iframe POSTs the launch token to the plugin link:");
    println!("    POST {VENDOR}/portal/financeiro");
    println!("    token={}", redacted(launch.token()));
    let launch_claims = verifier.verify(launch.token())?;
    println!(
        "  verified: sub {}, role {}, aud {}, jti {} (now used up)",
        launch_claims.subject(),
        launch_claims.role(),
        launch_claims.plugin(),
        launch_claims.token_id()
    );
    refused(
        "the same launch token again (a reload)",
        verifier.verify(launch.token()).map(|_| ()),
        |e| (e.code(), e.fault().http_status()),
        ("replayed", 401),
    )?;

    // ------------------------------------------------------------------------------------------
    section("4. Maria's data from the portal's client-data endpoint");

    let request = ClientDataRequest::for_launch(&discovery, &launch_claims, launch.token())?;
    println!("  {} {}", request.method(), request.url());
    println!("  Authorization: Bearer <the launch token>");
    let answer = portal
        .endpoint
        .handle(Some(request.headers()[0].1), cv_database);
    println!("  -> {} {}", answer.status, answer.body);
    let data = read_client_data_for(
        &launch_claims,
        answer.status,
        answer.header("WWW-Authenticate"),
        answer.body.as_bytes(),
    )?;
    let name = data.name.clone().unwrap_or_default();
    expect("the data names Maria", name == "Maria Souza")?;

    // ------------------------------------------------------------------------------------------
    section("5. The vendor's session, and the launch answer (200, no redirect)");

    let session = sessions.start(&launch_claims)?;
    println!(
        "  session token: {} ({} bytes, expires in {} s)",
        redacted(session.as_str()),
        session.as_str().len(),
        session.expires_in()
    );
    let page = plugin_page(&portal_origins[0], session.as_str(), &name)?;
    println!("\n  HTTP/1.1 200 OK");
    println!("  Content-Type: text/html; charset=utf-8");
    let headers = page_headers(&portal_origins);
    for (header, value) in &headers {
        println!("  {header}: {value}");
    }
    println!(
        "  ({} bytes of HTML: the session goes to CvPluginPage.start in memory, never in a URL)",
        page.len()
    );
    expect(
        "the page frames only under the portal",
        headers[0].1 == format!("frame-ancestors {ISSUER}"),
    )?;
    expect(
        "the page holds the session and not the launch token",
        page.contains(session.as_str()) && !page.contains(launch.token()),
    )?;
    println!("\n  The page loads the script from the vendor's origin:");
    println!("  GET {SCRIPT_PATH} -> 200");
    for (header, value) in script_headers() {
        println!("  {header}: {value}");
    }
    println!(
        "  ({} bytes: cv_portal_plugin::session::PAGE_SCRIPT)",
        PAGE_SCRIPT.len()
    );

    // ------------------------------------------------------------------------------------------
    section("6. The next request: the page's fetch adds the bearer");

    let bearer = format!("Bearer {}", session.as_str());
    println!("  GET /api/boletos");
    println!("  Authorization: Bearer {}", redacted(session.as_str()));
    let claims = api_request(&sessions, "GET", Some(&bearer), 200)?;
    expect(
        "the session is Maria's",
        claims.subject().as_str() == "48213",
    )?;

    // ------------------------------------------------------------------------------------------
    section("7. The boleto PDF: a link cannot carry a header, so a one-minute ticket");

    let resource = "/boletos/37-120.pdf";
    let ticket = sessions.ticket(&claims, resource)?;
    println!("  link: {resource}?ticket={}", redacted(&ticket));
    let redeemed = sessions.redeem_ticket(&ticket, resource)?;
    println!(
        "  GET {resource}?ticket=… -> 200 application/pdf (for sub {})",
        redeemed.subject()
    );
    refused(
        "the same ticket again",
        sessions.redeem_ticket(&ticket, resource).map(|_| ()),
        |e| (e.code(), e.http_status()),
        ("ticket_replayed", 401),
    )?;

    // ------------------------------------------------------------------------------------------
    section("8. Sixteen minutes without a request: the session has expired");

    clock.advance(16 * 60);
    println!("  The pinned clock reads {}.", iso8601(NOW + 16 * 60));
    println!("  GET /api/boletos (the same bearer)");
    let expired = api_request(&sessions, "GET", Some(&bearer), 401);
    expect("the request is refused", expired.is_err())?;
    println!("  (the page script sees this realm, refreshes the session and retries once)");

    println!("\n  A reload of the frame has no session in memory: the bounce page.");
    let bounce = bounce_page(&portal_origins[0], EXCHANGE_PATH)?;
    println!("  GET /portal/financeiro (no Authorization) -> 200");
    println!("  Content-Type: text/html; charset=utf-8");
    for (header, value) in &headers {
        println!("  {header}: {value}");
    }
    println!(
        "  ({} bytes: the page script inline, then CvPluginPage.bounce, which refreshes as below",
        bounce.len()
    );
    println!("  and POSTs session=<token> back to the same address)");

    // ------------------------------------------------------------------------------------------
    section("9. The refresh: a fresh launch token from the portal, exchanged at the vendor");

    println!("  page -> portal (postMessage, targetOrigin {ISSUER}):");
    println!(
        r#"    {{"type":"cv-plugin:launch-token-request","version":1,"id":"<22 random characters>"}}"#
    );
    // The portal's listener checks the frame and its origin, and its server mints a launch for
    // the person still logged in (a logged-out person gets no answer: the portal's revocation).
    let fresh = portal.launch("48213")?;
    println!("  portal -> page (targetOrigin {VENDOR}):");
    println!(
        r#"    {{"type":"cv-plugin:launch-token-response","version":1,"id":"<the same>","token":"{}"}}"#,
        redacted(fresh.token())
    );
    println!("\n  POST {EXCHANGE_PATH}");
    println!("  Content-Type: application/x-www-form-urlencoded");
    println!("  token={}", redacted(fresh.token()));
    let (status, body) = exchange(&verifier, &sessions, fresh.token());
    println!("  -> {status}");
    println!("  Content-Type: application/json");
    println!("  Cache-Control: no-store");
    let renewed = serde_json::from_str::<serde_json::Value>(&body)?;
    let new_session = renewed["session"].as_str().unwrap_or_default().to_owned();
    println!(
        r#"  {{"session":"{}","expires_in":{}}}"#,
        redacted(&new_session),
        renewed["expires_in"]
    );
    expect(
        "the exchange answers a new session",
        status == 200 && renewed["expires_in"] == 900,
    )?;
    let (status, body) = exchange(&verifier, &sessions, fresh.token());
    println!("  the same launch token exchanged again -> {status} {body}");
    expect("a second exchange is refused", status == 401)?;

    // ------------------------------------------------------------------------------------------
    section("10. The retried request, then logout");

    let bearer = format!("Bearer {new_session}");
    println!("  GET /api/boletos (retry, the new bearer)");
    let claims = api_request(&sessions, "GET", Some(&bearer), 200)?;
    expect(
        "the new session is a new sid for the same person",
        claims.subject().as_str() == "48213" && claims.session_id() != redeemed.session_id(),
    )?;

    println!("\n  POST /logout: the vendor revokes the session");
    sessions.revoke(&claims)?;
    println!("  GET /api/boletos (the revoked bearer)");
    let revoked = api_request(&sessions, "GET", Some(&bearer), 401);
    expect("the revoked session is refused", revoked.is_err())?;

    println!("\nall outcomes as expected");
    Ok(())
}

/// An API endpoint of the vendor: authenticate the request (bearer first, then the optional
/// cookie), answer 200, or the refusal's status with the challenge the page script reads.
/// An error unless the status is `expected`.
fn api_request(
    sessions: &Sessions,
    method: &str,
    authorization: Option<&str>,
    expected: u16,
) -> Result<SessionClaims, Box<dyn Error>> {
    let request = CredentialRequest::new(method).authorization(authorization);
    let (status, result) = match sessions.authenticate(&request) {
        Ok(claims) => {
            println!(
                "  -> 200 (sub {}, role {})",
                claims.subject(),
                claims.role()
            );
            (200, Ok(claims))
        }
        Err(error) => {
            let status = error.http_status();
            println!("  -> {status} error[{}]: {error}", error.code());
            if status == 401 {
                let (header, value) = session_challenge(&error);
                println!("  {header}: {value}");
            }
            (status, Err(error))
        }
    };
    if status != expected {
        return Err(format!("{method} answered {status}, not {expected}").into());
    }
    Ok(result.map_err(|e: SessionError| e.to_string())?)
}

/// The exchange endpoint: verify the launch token like a launch (single use included), start a
/// session, answer its JSON. A refusal answers 401 with `{"error":"<code>"}` (or 503).
fn exchange(verifier: &Verifier, sessions: &Sessions, token: &str) -> (u16, String) {
    let claims = match verifier.verify(token) {
        Ok(claims) => claims,
        Err(error) => {
            let status = error.fault().http_status();
            return (status, format!(r#"{{"error":"{}"}}"#, error.code()));
        }
    };
    match sessions.start(&claims) {
        Ok(session) => (200, session.exchange_json()),
        Err(error) => (
            error.http_status(),
            format!(r#"{{"error":"{}"}}"#, error.code()),
        ),
    }
}

/// The plugin page of the launch answer: the session handed to `CvPluginPage.start` in memory.
/// Every value written into the script is an origin, a constant path or a base64url token:
/// none can hold `<`, `>` or `&`. Escape those (as `\u003c`…) before embedding anything else.
fn plugin_page(portal: &PortalOrigin, session: &str, name: &str) -> Result<String, Box<dyn Error>> {
    let options = serde_json::json!({
        "portalOrigin": portal.as_str(),
        "exchangeUrl": EXCHANGE_PATH,
        "session": session,
    })
    .to_string();
    expect(
        "the options need no escaping",
        !options.contains(['<', '>', '&']),
    )?;
    let name = name
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"pt-BR\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Financeiro</title>\n</head>\n<body>\n<h1>Olá, {name}</h1>\n<div id=\"boletos\"></div>\n\
         <script src=\"{SCRIPT_PATH}\"></script>\n<script>\n\
         const cv = CvPluginPage.start({options});\n\
         cv.fetch(\"/api/boletos\").then((r) => r.json()).then(showBoletos);\n\
         </script>\n</body>\n</html>\n"
    ))
}

/// The headers of the page script's own answer.
fn script_headers() -> [(&'static str, &'static str); 2] {
    [
        ("Content-Type", "text/javascript; charset=utf-8"),
        ("Cache-Control", "public, max-age=86400"),
    ]
}

/// The launch verifier, with one Redis shared by every instance when `CV_REDIS_URL` is set and
/// the `redis` feature is on (`cargo run --example vendor_walkthrough --features redis`): that one line is
/// the whole switch. Without it, single use is in memory, one store for this process.
fn launch_verifier(builder: VerifierBuilder) -> Result<Verifier, Box<dyn Error>> {
    #[cfg(feature = "redis")]
    if let Ok(url) = std::env::var("CV_REDIS_URL") {
        return Ok(builder
            .replay_guard(Arc::new(RedisReplayGuard::connect(&url)?))
            .build()?);
    }
    Ok(builder
        .replay_guard(Arc::new(InMemoryReplayGuard::new()))
        .build()?)
}

/// `JWKS_FILE TOKEN`: verify a real launch token against a saved JWKS, with the system clock.
fn verify_real_token(jwks_file: &str, token: &str) -> Result<(), Box<dyn Error>> {
    let jwks = std::fs::read_to_string(jwks_file)?;
    // In production the closure GETs the portal's JWKS URL with your HTTP client.
    let keys = Arc::new(KeyCache::builder(move || Ok::<_, FetchError>(jwks.clone())).build());
    let verifier = launch_verifier(
        Verifier::builder(IssuerId::new(ISSUER)?, PLUGIN.parse()?).key_cache(keys),
    )?;
    match verifier.verify(token) {
        Ok(claims) => {
            println!("verified launch token");
            println!("  person (sub): {}", claims.subject());
            println!("  role:         {}", claims.role());
            println!("  plugin (aud): {}", claims.plugin());
            println!("  expires at:   {} (Unix time)", claims.expires_at());
            Ok(())
        }
        Err(error) => {
            // Log the stable code; 401 for a bad token, 503 when keys or the store are down.
            Err(format!(
                "error[{}]: {error} (HTTP {})",
                error.code(),
                error.fault().http_status()
            )
            .into())
        }
    }
}

/// The portal, played in-process: its signing key, the Financeiro plugin, the client-data
/// endpoint and its discovery document.
struct DemoPortal {
    issuer: Issuer,
    plugin: PluginConfig,
    endpoint: ClientDataEndpoint,
    discovery_json: String,
}

impl DemoPortal {
    fn new(clock: Arc<FixedClock>) -> Result<DemoPortal, Box<dyn Error>> {
        let issuer_id = IssuerId::new(ISSUER)?;
        let issuer = Issuer::builder(issuer_id.clone(), SigningKey::generate(Algorithm::EdDSA)?)
            .clock(clock.clone())
            .build()?;
        let plugin = PluginConfig::builder()
            .id(PLUGIN)
            .name("Financeiro (ERP)")
            .link(format!("{VENDOR}/portal/financeiro"))
            .icon(Icon::Boleto)
            .title("Financeiro")
            .show_in_client_portal(true)
            .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
            .visible_to(VisibleTo::Cliente)
            .client_data([ClientDataField::Name, ClientDataField::Units])
            // The launch token goes in a form POST, out of URLs and logs.
            .delivery(Delivery::FormPost)
            .build()?;
        let endpoint = ClientDataEndpoint::builder(issuer_id.clone(), issuer.jwks().clone())
            .plugins([plugin.clone()])
            .clock(clock)
            .build();
        let discovery_json = render_discovery(
            &issuer_id,
            &Url::parse(&format!("{ISSUER}/.well-known/cv-plugin/jwks.json"))?,
            &Url::parse(&format!("{ISSUER}/api/cv-plugin/client-data"))?,
            [Algorithm::EdDSA],
        );
        Ok(DemoPortal {
            issuer,
            plugin,
            endpoint,
            discovery_json,
        })
    }

    /// A launch token for a cliente, as the portal mints one on a click (or on a refresh).
    fn launch(&self, sub: &str) -> Result<cv_portal_plugin::LaunchToken, Box<dyn Error>> {
        let viewer = Viewer::new(SubjectId::new(sub)?, Role::Cliente);
        Ok(self.issuer.mint(&self.plugin, &viewer)?)
    }
}

/// The portal's own lookup of a person's data (Maria only).
fn cv_database(sub: &SubjectId, role: Role) -> Option<ClientData> {
    (sub.as_str() == "48213").then(|| ClientData {
        sub: sub.clone(),
        role,
        plugin: PLUGIN.parse().expect("a plugin id"),
        name: Some("Maria Souza".into()),
        email: Some("maria.souza@example.com".into()),
        document: TaxDocument::parse("529.982.247-25").ok(),
        phone: None,
        units: Some(vec![Unit {
            empreendimento: "Residencial Ipê".into(),
            bloco: Some("B".into()),
            unidade: "1204".into(),
            contract_id: Some("C-2024-0042".into()),
        }]),
    })
}

/// Prints a refusal; an error unless it is refused with the `expected` (code, status).
fn refused<E: Error>(
    what: &str,
    result: Result<(), E>,
    code_and_status: impl Fn(&E) -> (&'static str, u16),
    expected: (&str, u16),
) -> Result<(), Box<dyn Error>> {
    let Err(error) = result else {
        return Err(format!("{what}: accepted").into());
    };
    let (code, status) = code_and_status(&error);
    println!("  {what}: {status} error[{code}]: {error}");
    if (code, status) != expected {
        return Err(format!("{what}: {code} ({status}), not {expected:?}").into());
    }
    Ok(())
}

fn expect(what: &str, holds: bool) -> Result<(), Box<dyn Error>> {
    if holds {
        Ok(())
    } else {
        Err(format!("unexpected outcome: {what} does not hold").into())
    }
}

/// A token shortened for printing: its first 16 characters. Never log whole tokens.
fn redacted(token: &str) -> String {
    format!("{}…", &token[..token.len().min(16)])
}

fn section(title: &str) {
    println!("\n== {title}\n");
}
