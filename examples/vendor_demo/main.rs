//! `vendor_demo`: an ERP vendor's plugin, "Financeiro: 2ª via do boleto", for the portal of
//! `portal_demo` (issue 14). It verifies each launch once (the crate's axum `Launch` extractor
//! over a `PortalRegistry` with an in-memory replay guard), fetches the person's client data
//! (`PortalHttp`), opens a vendor session (`Sessions`) that the page keeps in memory and sends as
//! a bearer, renews it through the portal (the crate's page script), serves the boleto PDF
//! through a one-time ticket, and shows an error page for every refusal.
//!
//! ```sh
//! cargo run --example portal_demo                                    # first, in one shell
//! cargo run --example vendor_demo --features axum,http               # then, in another
//! ```
//!
//! Each hosted plugin is given with its delivery (PROTOCOL.md §5), `--plugin ID[:DELIVERY]`
//! with `DELIVERY` `query` (the default) or `form_post`, as in the plugin's configuration at the
//! portal: `/launch` accepts a plugin's token only the way its delivery sends it (`GET ?token=`
//! or a form POST's `token`) and answers anything else with the `wrong_delivery` error page. The
//! token is spent by then: verification comes first, and a token that arrives the wrong way may
//! have leaked (a form-POST token copied into a URL).
//!
//! `--test-hooks` (a route that moves the server's clock, for the end-to-end test) is refused
//! unless `--addr` is a loopback address.
//!
//! Routes: `GET /launch?token=…`, `POST /launch` (form `token`: the form-POST delivery; or form
//! `session`: the bounce page's post), `GET /launch` without a token and `GET /boletos` (the
//! bounce page, PROTOCOL.md §13.5), `POST /boletos` (form `session`), `POST /cv/exchange` (§13.3),
//! `GET /api/boletos`, `GET /api/session`, `POST /api/boletos/ID/ticket`,
//! `GET /boletos/ID/pdf?ticket=…`, `POST /boletos/ID/email`, `/assets/*` (the error pages load
//! `/assets/strip-token.js`, which removes `token` from the address), and with
//! `--test-hooks` `POST /__test/clock/advance?secs=N`.

#[path = "../demo_common/mod.rs"]
mod common;

mod app;
mod boletos;
mod clock;
mod pages;

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cv_portal_plugin::keys::KeySource;
use cv_portal_plugin::{
    InMemoryReplayGuard, IssuerId, PluginId, Portal, PortalHttp, PortalOrigin, PortalRegistry,
    SessionKey, Sessions, VendorOrigin,
};

use app::Delivery;
use common::{Args, RequestLog, UsageError, fail};

const USAGE: &str = "usage: vendor_demo [--addr HOST:PORT] [--public-url URL] [--portal ISSUER_URL]
                   [--plugin ID[:DELIVERY] ...] [--tls-cert FILE --tls-key FILE] [--ca-cert FILE]
                   [--resolve HOST=IP ...] [--request-log FILE] [--test-hooks]
                   [--session-lifetime SECS]

  --addr HOST:PORT          where to listen (default 127.0.0.1:8081)
  --public-url URL          the vendor's address as browsers reach it (default http://127.0.0.1:8081)
  --portal ISSUER_URL       the portal's issuer id (default http://127.0.0.1:8080)
  --plugin ID[:DELIVERY]    a plugin hosted for it, repeatable, with the delivery of its
                            configuration at the portal: query (the default: GET ?token=) or
                            form_post (a form POST); /launch refuses the other way as
                            wrong_delivery (default: financeiro:query, financeiro-post:form_post)
  --tls-cert/--tls-key      PEM certificate chain and private key: serve HTTPS
  --ca-cert FILE            an extra root CA (PEM) for the calls to the portal
  --resolve HOST=IP         connect to IP for HOST on the calls to the portal, repeatable
  --request-log FILE        append one JSON line per request
  --test-hooks              enable POST /__test/clock/advance?secs=N (tests only; refused
                            unless --addr is a loopback address)
  --session-lifetime SECS   the session's idle lifetime (default 900; 60 to 86400)";

fn main() {
    let args = match Args::parse(
        std::env::args().skip(1),
        &["help", "test-hooks"],
        &[
            "addr",
            "public-url",
            "portal",
            "plugin",
            "tls-cert",
            "tls-key",
            "ca-cert",
            "resolve",
            "request-log",
            "session-lifetime",
        ],
    ) {
        Ok(args) if args.flag("help") => {
            println!("{USAGE}");
            return;
        }
        Ok(args) => args,
        Err(UsageError(message)) => fail("vendor_demo", &message, Some(USAGE)),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail("vendor_demo", &format!("no runtime: {e}"), None));
    if let Err(message) = runtime.block_on(run(args)) {
        fail("vendor_demo", &message, None);
    }
}

async fn run(args: Args) -> Result<(), String> {
    let addr = args.value("addr").unwrap_or("127.0.0.1:8081");
    let public_url = args
        .value("public-url")
        .unwrap_or("http://127.0.0.1:8081")
        .trim_end_matches('/')
        .to_owned();
    let vendor_origin = VendorOrigin::parse(&public_url)
        .map_err(|e| format!("--public-url {public_url:?}: {e}"))?;
    let portal_url = args
        .value("portal")
        .unwrap_or("http://127.0.0.1:8080")
        .trim_end_matches('/')
        .to_owned();
    let issuer =
        IssuerId::new(portal_url.clone()).map_err(|e| format!("--portal {portal_url:?}: {e}"))?;
    let portal_origin = PortalOrigin::from_issuer(&issuer)
        .map_err(|e| format!("--portal {portal_url:?} is not an origin: {e}"))?;
    let mut plugins: Vec<(PluginId, Delivery)> = Vec::new();
    let given = args.values("plugin");
    let names = if given.is_empty() {
        vec!["financeiro:query", "financeiro-post:form_post"]
    } else {
        given
    };
    for name in names {
        let (id, delivery) = parse_plugin(name)?;
        if let Some((_, known)) = plugins.iter().find(|(p, _)| *p == id) {
            if *known != delivery {
                return Err(format!(
                    "--plugin {name:?}: {} is already hosted with delivery {}",
                    id.as_str(),
                    known.as_str()
                ));
            }
            continue;
        }
        plugins.push((id, delivery));
    }
    let idle = match args.value("session-lifetime") {
        Some(secs) => Some(Duration::from_secs(secs.parse().map_err(|_| {
            format!("--session-lifetime {secs:?}: not a number of seconds")
        })?)),
        None => None,
    };
    let test_hooks = args.flag("test-hooks");
    if test_hooks {
        // The hook moves the clock for every session: a web page the developer visits could
        // post to it (a no-cors POST needs no answer). Loopback only, never a public address.
        let resolved: Vec<SocketAddr> = tokio::net::lookup_host(addr)
            .await
            .map_err(|e| format!("--addr {addr:?}: {e}"))?
            .collect();
        if resolved.is_empty() || resolved.iter().any(|a| !a.ip().is_loopback()) {
            return Err(format!(
                "--test-hooks needs a loopback --addr (127.0.0.0/8 or [::1]), not {addr:?}"
            ));
        }
    }
    let tls = match args.tls().map_err(|UsageError(m)| m)? {
        Some((cert, key)) => Some(common::tls_config(Path::new(&cert), Path::new(&key))?),
        None => None,
    };
    let log = match args.value("request-log") {
        Some(file) => Some(RequestLog::open("vendor", Path::new(file))?),
        None => None,
    };

    // The HTTP client for the portal: discovery, JWKS, client data.
    let mut http = PortalHttp::builder();
    if let Some(file) = args.value("ca-cert") {
        let pem = std::fs::read(file).map_err(|e| format!("cannot read --ca-cert {file}: {e}"))?;
        http = http
            .add_root_certificates_pem(&pem)
            .map_err(|e| format!("--ca-cert {file}: {e}"))?;
    }
    for rule in args.values("resolve") {
        let (host, ip) = rule
            .split_once('=')
            .ok_or_else(|| format!("--resolve {rule:?}: expected HOST=IP"))?;
        let ip: IpAddr = ip
            .parse()
            .map_err(|_| format!("--resolve {rule:?}: {ip:?} is not an IP address"))?;
        http = http.resolve(host, SocketAddr::new(ip, 0));
    }
    let http = http
        .build()
        .map_err(|e| format!("HTTP client: error[{}]: {e}", e.code()))?;

    // Start-up: the portal's discovery document and keys, or exit 2.
    let discovery = http.discovery(&issuer).await.map_err(|e| {
        format!(
            "cannot load the portal's discovery document from {portal_url}: error[{}]: {e} \
             (is portal_demo running there?)",
            e.code()
        )
    })?;
    let keys = Arc::new(KeySource::new());
    keys.refresh_with(http.fetch_keys(&issuer))
        .await
        .map_err(|e| format!("cannot load the portal's keys (JWKS): {e}"))?;
    {
        let (keys, http, issuer) = (Arc::clone(&keys), http.clone(), issuer.clone());
        tokio::spawn(keys.run_refresh(
            move || {
                let (http, issuer) = (http.clone(), issuer.clone());
                async move { http.fetch_keys(&issuer).await }
            },
            tokio::time::sleep,
            std::future::pending(),
        ));
    }

    // Verification (single use: one shared in-memory guard) and sessions, on one clock.
    let clock = Arc::new(clock::OffsetClock::default());
    let registry = Arc::new(PortalRegistry::new(Arc::new(InMemoryReplayGuard::new())));
    let mut portal = Portal::new(issuer.clone(), Arc::clone(&keys)).clock(clock.clone());
    for (plugin, _) in &plugins {
        portal = portal.plugin(plugin.clone());
    }
    registry
        .insert(portal)
        .map_err(|e| format!("portal {portal_url}: {e}"))?;
    // One session key for every plugin (a token of one plugin then fails another's sessions
    // as `session_wrong_audience`, not as a bad signature).
    let key = SessionKey::generate().map_err(|e| format!("session key: {e}"))?;
    let tickets: Arc<InMemoryReplayGuard> = Arc::new(InMemoryReplayGuard::new());
    let mut sessions = Vec::new();
    for (plugin, _) in &plugins {
        let mut builder = Sessions::builder(issuer.clone(), plugin.clone(), key.clone())
            .clock(clock.clone())
            .vendor_origin(vendor_origin.clone())
            // Download tickets are single use: one in-memory guard (several instances would
            // share a Redis one).
            .ticket_guard(tickets.clone())
            // One instance: revocations in memory too (several would share Redis stores).
            .single_instance();
        if let Some(idle) = idle {
            builder = builder.idle_lifetime(idle);
        }
        let built = builder
            .build()
            .map_err(|e| format!("--session-lifetime: {e}"))?;
        sessions.push((plugin.as_str().to_owned(), Arc::new(built)));
    }

    let state = app::App::new(app::Vendor {
        registry,
        sessions,
        http,
        discovery,
        portal_origin,
        clock,
        test_hooks,
        deliveries: plugins
            .iter()
            .map(|(id, delivery)| (id.as_str().to_owned(), *delivery))
            .collect(),
        customers: Default::default(),
    });
    let router = RequestLog::layer(log, app::router(state));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    if test_hooks {
        // On both streams: people read the "serving" line on stdout, logs collect stderr.
        let warning = "vendor_demo: WARNING: --test-hooks is on: anyone who can reach this \
                       server can move its clock (POST /__test/clock/advance); never use it \
                       outside tests";
        eprintln!("{warning}");
        println!("{warning}");
    }
    println!("vendor_demo: serving {public_url}");
    println!(
        "vendor_demo: listening on {} ({}) for portal {portal_url}, plugins {}",
        listener.local_addr().map_err(|e| e.to_string())?,
        if tls.is_some() { "https" } else { "http" },
        plugins
            .iter()
            .map(|(p, d)| format!("{} ({})", p.as_str(), d.as_str()))
            .collect::<Vec<_>>()
            .join(", "),
    );
    common::serve(listener, tls, router)
        .await
        .map_err(|e| format!("server: {e}"))?;
    println!("vendor_demo: stopped");
    Ok(())
}

/// `ID` or `ID:DELIVERY` of `--plugin`: the plugin and its delivery (`query` when not given).
fn parse_plugin(value: &str) -> Result<(PluginId, Delivery), String> {
    let (id, delivery) = match value.split_once(':') {
        Some((id, delivery)) => {
            let delivery = Delivery::parse(delivery).ok_or_else(|| {
                format!("--plugin {value:?}: the delivery is query or form_post, not {delivery:?}")
            })?;
            (id, delivery)
        }
        None => (value, Delivery::Query),
    };
    let id: PluginId = id.parse().map_err(|e| format!("--plugin {value:?}: {e}"))?;
    Ok((id, delivery))
}
