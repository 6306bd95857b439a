//! An ERP vendor's async service for two portals at once (axum on tokio): the shape of a real
//! deployment, in one file.
//!
//! Two construction companies ("alfa" and "beta") each run their own CV portal, so each has its
//! own issuer id and its own keys. The vendor hosts the "financeiro" plugin for both:
//!
//! - **One registry** ([`PortalRegistry`]) routes every launch token to the portal its `iss`
//!   names; a portal that is not registered is refused (`unknown_issuer`) with no key lookup and
//!   no fetch.
//! - **Keys off the request path**: each portal has a [`KeySource`], loaded at start-up (the
//!   service does not start if a portal's keys cannot be read) and refreshed in the background
//!   by [`KeySource::run_refresh`] on the tokio runtime. A verification never waits on the
//!   network; an unknown `kid` only asks the background task for a refetch.
//! - **Single use is a decision**: one store for the whole service, awaited from the handlers
//!   ([`PortalRegistry::new_async`]). In memory here; with `--features redis-async` and
//!   `CV_REDIS_URL` set, an `AsyncRedisReplayGuard` shared by every instance.
//! - **axum**: the [`Launch`] extractor verifies the token (query or form POST) and answers every
//!   refusal as HTTP (401 with `WWW-Authenticate` and the code, or 503 with `Retry-After`). The
//!   launch answer carries the page headers of the portal the launch came from
//!   (`frame-ancestors` names that portal only).
//!
//! The portals are played in-process: each one's published JWKS is a value the background
//! refresh reads, where a real vendor would call `PortalHttp::fetch_keys` (feature `http`).
//!
//! Run it with `cargo run --example vendor --features axum`. It serves on a loopback port and
//! plays a series of requests against itself over TCP, printing each answer; it exits non-zero
//! if any answer differs from the one expected (CI runs it). `--serve` keeps it serving
//! afterwards and prints fresh launch URLs to open with curl.

use std::error::Error;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cv_portal_plugin::axum::Launch;
use cv_portal_plugin::keys::{FetchedKeys, KeySource, KeysFailure};
use cv_portal_plugin::replay::{AsyncReplayGuard, NonBlockingReplayGuard};
use cv_portal_plugin::{
    Algorithm, Dimension, Icon, InMemoryReplayGuard, Issuer, IssuerId, KeySet, PluginConfig,
    Portal, PortalOrigin, PortalRegistry, Role, SigningKey, SubjectId, Viewer, VisibleTo,
    page_headers,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const ALFA: &str = "https://portal.alfa.com.br";
const BETA: &str = "https://portal.beta.com.br";
const PLUGIN: &str = "financeiro";

type BoxError = Box<dyn Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    let serve = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--serve") => true,
        Some(_) => return Err("usage: vendor [--serve]".into()),
    };
    // Two worker threads, as on the 2-core machines vendors run this on.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(serve))
}

/// A portal played in-process: it mints tokens and publishes a JWKS that it can change.
struct PlayedPortal {
    issuer: RwLock<Issuer>,
    published: RwLock<KeySet>,
}

impl PlayedPortal {
    fn new(id: &str) -> Result<Arc<PlayedPortal>, BoxError> {
        let issuer = Issuer::new(IssuerId::new(id)?, SigningKey::generate(Algorithm::EdDSA)?);
        let published = RwLock::new(issuer.jwks().clone());
        Ok(Arc::new(PlayedPortal {
            issuer: RwLock::new(issuer),
            published,
        }))
    }

    fn id(&self) -> IssuerId {
        self.issuer.read().unwrap().issuer_id().clone()
    }

    /// A launch token for person `sub` (a cliente) opening the financeiro plugin.
    fn mint(&self, sub: &str) -> Result<String, BoxError> {
        let viewer = Viewer::new(SubjectId::new(sub)?, Role::Cliente);
        let launch = self.issuer.read().unwrap().mint(&financeiro()?, &viewer)?;
        Ok(launch.into_token())
    }

    /// The portal rotates to a new key and publishes only that one (the old one leaked).
    fn rotate(&self) -> Result<(), BoxError> {
        let next = Issuer::new(self.id(), SigningKey::generate(Algorithm::EdDSA)?);
        *self.published.write().unwrap() = next.jwks().clone();
        *self.issuer.write().unwrap() = next;
        Ok(())
    }

    /// What the vendor's background refresh gets: in production `PortalHttp::fetch_keys`, an
    /// HTTPS GET of the JWKS with its `Cache-Control: max-age`.
    async fn fetch_keys(&self) -> Result<FetchedKeys, KeysFailure> {
        let keys = self.published.read().unwrap().clone();
        Ok((keys, Some(Duration::from_secs(300))))
    }
}

fn financeiro() -> Result<PluginConfig, BoxError> {
    Ok(PluginConfig::builder()
        .id(PLUGIN)
        .name("Financeiro (ERP)")
        .link("https://erp.example.com/cv/launch")
        .icon(Icon::Alerta)
        .title("Financeiro")
        .show_in_client_portal(true)
        .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
        .visible_to(VisibleTo::Cliente)
        .build()?)
}

/// Single use for the whole service: Redis when configured (every instance shares it), memory
/// otherwise (one instance). Either way, one store, chosen once.
async fn single_use() -> Result<Arc<dyn AsyncReplayGuard>, BoxError> {
    #[cfg(feature = "redis-async")]
    if let Ok(url) = std::env::var("CV_REDIS_URL") {
        let guard = cv_portal_plugin::AsyncRedisReplayGuard::connect(url).await?;
        println!("  single use: Redis (AsyncRedisReplayGuard), shared by every instance");
        return Ok(Arc::new(guard));
    }
    #[cfg(not(feature = "redis-async"))]
    if std::env::var_os("CV_REDIS_URL").is_some() {
        return Err(
            "CV_REDIS_URL is set, but this build has no Redis: add --features redis-async".into(),
        );
    }
    println!("  single use: in memory, one store for this process");
    Ok(Arc::new(NonBlockingReplayGuard::new(Arc::new(
        InMemoryReplayGuard::new(),
    ))))
}

async fn run(serve: bool) -> Result<(), BoxError> {
    section("Start-up");
    let portals = [PlayedPortal::new(ALFA)?, PlayedPortal::new(BETA)?];
    let registry = Arc::new(PortalRegistry::new_async(single_use().await?));
    // Stops each portal's background refresh when the portal is removed.
    let mut stop_refresh = Vec::new();
    for portal in &portals {
        let keys = Arc::new(
            KeySource::builder()
                // 1 s so that the rotation below is seen within a second; in production keep
                // the default (30 s), the rate limit PROTOCOL.md §7 asks for.
                .min_refetch_interval(Duration::from_secs(1))
                .build(),
        );
        // Load the keys before serving: a wrong JWKS URL fails the deployment, not a person.
        keys.refresh_with(portal.fetch_keys()).await?;
        // Then keep them fresh in the background, off the request path.
        let played = Arc::clone(portal);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        stop_refresh.push(stop);
        tokio::spawn(Arc::clone(&keys).run_refresh(
            move || {
                let played = Arc::clone(&played);
                async move { played.fetch_keys().await }
            },
            tokio::time::sleep,
            async move {
                let _ = stopped.await;
            },
        ));
        registry.insert(Portal::new(portal.id(), keys).plugin(PLUGIN.parse()?))?;
        println!("  portal {} registered, keys loaded", portal.id());
    }

    let app = Router::new()
        .route("/cv/launch", get(launch).post(launch))
        .with_state(Arc::clone(&registry));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!("  serving http://{addr}/cv/launch");

    let mut failures = Vec::new();
    let mut expect = |what: &str, got: &Answer, status: u16, has: &str| {
        let ok = got.status == status && got.text.contains(has);
        println!(
            "  {} {what}: {} {}",
            if ok { "ok  " } else { "FAIL" },
            got.status,
            got.summary()
        );
        if !ok {
            failures.push(format!(
                "{what}: expected {status} with {has:?}, got {got:?}"
            ));
        }
    };

    section("Launches from both portals, each answered with its own framing rule");
    let [alfa, beta] = &portals;
    let from_alfa = alfa.mint("48213")?;
    let answer = get_launch(addr, &from_alfa).await?;
    expect(
        "alfa, person 48213",
        &answer,
        200,
        "48213 (https://portal.alfa.com.br)",
    );
    expect(
        "  framed by alfa only",
        &answer,
        200,
        "frame-ancestors https://portal.alfa.com.br\r\n",
    );
    let answer = post_launch(addr, &beta.mint("7701")?).await?;
    expect(
        "beta, person 7701 (form POST)",
        &answer,
        200,
        "7701 (https://portal.beta.com.br)",
    );
    expect(
        "  framed by beta only",
        &answer,
        200,
        "frame-ancestors https://portal.beta.com.br\r\n",
    );

    section("Refusals");
    let answer = get_launch(addr, &from_alfa).await?;
    expect("the same alfa token again", &answer, 401, "replayed");
    let gama = PlayedPortal::new("https://portal.gama.com.br")?;
    let answer = get_launch(addr, &gama.mint("1")?).await?;
    expect(
        "a portal not registered (no fetch)",
        &answer,
        401,
        "unknown_issuer",
    );
    // beta's key signing a token that claims to come from alfa: alfa's keys do not know it.
    let forged = Issuer::new(alfa.id(), SigningKey::generate(Algorithm::EdDSA)?);
    let token = forged.mint(
        &financeiro()?,
        &Viewer::new(SubjectId::new("48213")?, Role::Cliente),
    )?;
    let answer = get_launch(addr, token.token()).await?;
    expect(
        "alfa's iss, someone else's key",
        &answer,
        401,
        "unknown_kid",
    );

    section("Fifty concurrent presentations of one token: exactly one is accepted");
    let token = Arc::new(beta.mint("7701")?);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let token = Arc::clone(&token);
            tokio::spawn(async move { get_launch(addr, &token).await.map(|a| a.status) })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        accepted += usize::from(task.await?? == 200);
    }
    let answer = Answer::note(
        if accepted == 1 { 200 } else { 500 },
        format!("{accepted} accepted"),
    );
    expect("50 tasks, one token", &answer, 200, "1 accepted");

    section("alfa's key leaked: alfa rotates, the vendor drops the old key at once");
    let old_kid = alfa.issuer.read().unwrap().kid().to_owned();
    let before = alfa.mint("48213")?;
    alfa.rotate()?;
    // The portal's announcement (or the vendor's incident response): no waiting for max-age.
    registry
        .key_source(&alfa.id())
        .ok_or("alfa")?
        .invalidate(&old_kid);
    let answer = get_launch(addr, &before).await?;
    expect(
        "a token signed with the leaked key",
        &answer,
        401,
        "unknown_kid",
    );
    // A token with the new kid: the first one asks the background task for a refetch (the
    // handler does not wait for it); once fetched, the new key verifies.
    let started = Instant::now();
    let mut answer = get_launch(addr, &alfa.mint("48213")?).await?;
    while answer.status != 200 && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        answer = get_launch(addr, &alfa.mint("48213")?).await?;
    }
    expect(
        "the rotated key, after the background refetch",
        &answer,
        200,
        "48213",
    );
    println!(
        "  (the new key verified {} ms after it was first seen)",
        started.elapsed().as_millis()
    );

    section("beta leaves: removed at run time, its tokens are refused from then on");
    let pending = beta.mint("7701")?;
    registry.remove(&beta.id());
    // ...and its keys are no longer fetched.
    let _ = stop_refresh.pop().ok_or("beta's refresh")?.send(());
    let answer = get_launch(addr, &pending).await?;
    expect("a beta token after removal", &answer, 401, "unknown_issuer");

    if !failures.is_empty() {
        return Err(format!("unexpected answers:\n  {}", failures.join("\n  ")).into());
    }
    println!("\nevery answer was the expected one");
    if serve {
        section("Serving (Ctrl-C to stop); open a launch with:");
        println!(
            "  curl -i 'http://{addr}/cv/launch?token={}'",
            alfa.mint("48213")?
        );
        tokio::signal::ctrl_c().await?;
    }
    Ok(())
}

/// The launch: verified by the registry (route by `iss`, every check, single use awaited), then
/// the plugin page of that person, framed only by the portal the launch came from.
async fn launch(Launch(launch): Launch) -> Response {
    let portal = launch.portal();
    let Ok(origin) = PortalOrigin::from_issuer(portal) else {
        // Every registered issuer id here is an https origin; anything else is a misconfiguration.
        return (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "bad portal origin",
        )
            .into_response();
    };
    let body = format!(
        "Financeiro: boletos of person {} ({portal})",
        launch.claims().subject().as_str()
    );
    (page_headers(&[origin]), body).into_response()
}

/// What the self-check reads of an answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    /// The head and body, as text.
    text: String,
}

impl Answer {
    fn note(status: u16, text: String) -> Answer {
        Answer { status, text }
    }

    /// The body, or the error code of a refusal.
    fn summary(&self) -> &str {
        let body = self.text.rsplit("\r\n\r\n").next().unwrap_or("");
        if body.is_empty() { &self.text } else { body }
    }
}

async fn get_launch(addr: SocketAddr, token: &str) -> Result<Answer, BoxError> {
    send(
        addr,
        format!(
            "GET /cv/launch?token={token} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await
}

async fn post_launch(addr: SocketAddr, token: &str) -> Result<Answer, BoxError> {
    let body = format!("token={token}");
    send(
        addr,
        format!(
            "POST /cv/launch HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
    .await
}

/// One HTTP/1.1 request over a fresh connection (the service is axum's real server).
async fn send(addr: SocketAddr, request: String) -> Result<Answer, BoxError> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let text = String::from_utf8(raw)?;
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or("no status line")?;
    Ok(Answer { status, text })
}

fn section(title: &str) {
    println!("\n== {title}");
}
