//! `portal_demo`: a small CV portal (Portal do Cliente and Portal do Gestor) on loopback, for
//! seeing the whole plugin journey in a browser and for the end-to-end test (issue 14).
//!
//! ```sh
//! cargo run --example portal_demo                       # http://127.0.0.1:8080
//! cargo run --example vendor_demo --features axum,http  # http://127.0.0.1:8081, in another shell
//! ```
//!
//! Demo people (`GET /login?as=NAME`, listed on `/`): `ana` (cliente), `bruno` (síndico),
//! `carla` (gestora), `davi` (cliente without client data). Plugins come from `--plugins FILE`
//! (the crate's JSON form, one object or an array) or the built-in set (`financeiro`,
//! `financeiro-post`, `condominio`, `relatorios`).
//!
//! Routes: `/` (people and the menu), `/login?as=NAME`, `/logout`, `/plugins/ID` (the plugin's
//! page with its iframe), `POST /api/plugins/ID/launch-token` (a fresh launch token for the
//! logged-in person, asked by the portal listener script when the plugin renews its session,
//! PROTOCOL.md §13), `/.well-known/cv-plugin` (discovery, §10), `/.well-known/cv-plugin/jwks.json`,
//! `/api/cv-plugin/client-data` (§11), `/assets/*`.

#[path = "../demo_common/mod.rs"]
mod common;

mod app;
mod pages;
mod people;
mod plugins;

use std::path::Path;
use std::sync::Arc;

use cv_portal_plugin::IssuerId;

use common::{Args, RequestLog, UsageError, fail};

const USAGE: &str = "usage: portal_demo [--addr HOST:PORT] [--public-url URL] [--plugins FILE]
                   [--vendor-url URL] [--tls-cert FILE --tls-key FILE] [--request-log FILE]

  --addr HOST:PORT     where to listen (default 127.0.0.1:8080)
  --public-url URL     the portal's address as browsers and vendors reach it; also its issuer id
                       (default http://127.0.0.1:8080)
  --plugins FILE       plugin configurations: one JSON object in the crate's form, or an array
                       (default: the built-in financeiro, financeiro-post, condominio, relatorios)
  --vendor-url URL     where the built-in plugins link to (default http://127.0.0.1:8081)
  --tls-cert/--tls-key PEM certificate chain and private key: serve HTTPS
  --request-log FILE   append one JSON line per request";

fn main() {
    let args = match Args::parse(
        std::env::args().skip(1),
        &["help"],
        &[
            "addr",
            "public-url",
            "plugins",
            "vendor-url",
            "tls-cert",
            "tls-key",
            "request-log",
        ],
    ) {
        Ok(args) if args.flag("help") => {
            println!("{USAGE}");
            return;
        }
        Ok(args) => args,
        Err(UsageError(message)) => fail("portal_demo", &message, Some(USAGE)),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail("portal_demo", &format!("no runtime: {e}"), None));
    if let Err(message) = runtime.block_on(run(args)) {
        fail("portal_demo", &message, None);
    }
}

async fn run(args: Args) -> Result<(), String> {
    let addr = args.value("addr").unwrap_or("127.0.0.1:8080");
    let public_url = args
        .value("public-url")
        .unwrap_or("http://127.0.0.1:8080")
        .trim_end_matches('/')
        .to_owned();
    let public =
        url::Url::parse(&public_url).map_err(|e| format!("--public-url {public_url:?}: {e}"))?;
    if public.path() != "/" || public.query().is_some() || public.fragment().is_some() {
        return Err(format!(
            "--public-url {public_url:?}: an origin only (scheme, host, port), no path"
        ));
    }
    let issuer_id = IssuerId::new(public_url.clone())
        .map_err(|e| format!("--public-url {public_url:?}: {e}"))?;
    let plugins = match args.value("plugins") {
        Some(file) => plugins::load_plugins(Path::new(file))?,
        None => plugins::default_plugins(
            args.value("vendor-url")
                .unwrap_or(plugins::DEFAULT_VENDOR_URL),
        )?,
    };
    for plugin in &plugins {
        for warning in plugin.warnings() {
            eprintln!("portal_demo: plugin {}: warning: {warning}", plugin.id());
        }
    }
    let tls = match args.tls().map_err(|UsageError(m)| m)? {
        Some((cert, key)) => Some(common::tls_config(Path::new(&cert), Path::new(&key))?),
        None => None,
    };
    let log = match args.value("request-log") {
        Some(file) => Some(RequestLog::open("portal", Path::new(file))?),
        None => None,
    };
    let state = Arc::new(app::Portal::new(issuer_id, public, plugins, tls.is_some())?);
    let router = RequestLog::layer(log, app::router(Arc::clone(&state)));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    println!("portal_demo: serving {public_url}");
    println!(
        "portal_demo: listening on {} ({}); demo people: ana, bruno, carla, davi",
        listener.local_addr().map_err(|e| e.to_string())?,
        if tls.is_some() { "https" } else { "http" },
    );
    println!(
        "portal_demo: start the vendor with: cargo run --example vendor_demo --features axum,http -- --portal {public_url}"
    );
    common::serve(listener, tls, router)
        .await
        .map_err(|e| format!("server: {e}"))?;
    println!("portal_demo: stopped");
    Ok(())
}
