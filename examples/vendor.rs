//! The program an ERP vendor copies: load the portal's keys, verify a launch token once, read the
//! claims, and serve only that person's data.
//!
//! Run it with `cargo run --example vendor`. With no arguments it plays the portal too (mints a
//! demo token); pass `JWKS_FILE TOKEN` to verify a real token against a saved JWKS.

use std::sync::Arc;

#[cfg(feature = "redis")]
use cv_portal_plugin::RedisReplayGuard;
use cv_portal_plugin::config::{Dimension, Icon, PluginConfig, VisibleTo};
use cv_portal_plugin::{
    Algorithm, FetchError, Issuer, IssuerId, KeyCache, Role, SigningKey, SubjectId, Verifier,
    Viewer,
};

/// The portal's issuer id and this vendor's plugin id, as agreed when the plugin was registered.
const ISSUER: &str = "https://portal.construtora.com.br";
const PLUGIN: &str = "financeiro";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (jwks, token) = match args.as_slice() {
        [jwks_file, token] => (std::fs::read_to_string(jwks_file)?, token.clone()),
        _ => demo_portal()?,
    };

    // 1. Keys. In production the closure GETs the portal's JWKS URL with your HTTP client; the
    //    cache refetches on an unknown kid (rate-limited) and keeps the last good set on failure.
    let keys = Arc::new(KeyCache::builder(move || Ok::<_, FetchError>(jwks.clone())).build());

    // 2. One verifier for the whole service (it is Send + Sync). Single use is on by default with
    //    an in-memory guard, per process.
    let verifier = Verifier::builder(IssuerId::new(ISSUER)?, PLUGIN.parse()?).key_cache(keys);

    //    With several instances behind a load balancer, share one Redis instead (cargo feature
    //    `redis`): this one line is the whole switch. Try it with
    //    `CV_REDIS_URL=redis://127.0.0.1:6379/0 cargo run --example vendor --features redis`.
    #[cfg(feature = "redis")]
    let verifier = match std::env::var("CV_REDIS_URL") {
        Ok(url) => verifier.replay_guard(Arc::new(RedisReplayGuard::connect(&url)?)),
        Err(_) => verifier,
    };
    let verifier = verifier.build()?;

    // 3. Verify the token from the `token` query parameter (or POST field).
    match verifier.verify(&token) {
        Ok(claims) => {
            println!("verified launch token");
            println!("  person (sub): {}", claims.subject());
            println!("  role:         {}", claims.role());
            println!("  plugin (aud): {}", claims.plugin());
            println!("  expires at:   {} (Unix time)", claims.expires_at());
            // 4. Now fetch this person's data from CV with `claims.subject()`, start your own
            //    session (a cookie of your origin), and redirect to a URL without the token.
        }
        Err(error) => {
            // Log the stable code. Answer by whose fault it is: 401 for a bad token (show the
            // person "link expired, open it again"), 503 when your keys or replay store are down.
            eprintln!(
                "error[{}]: {error} (HTTP {})",
                error.code(),
                error.fault().http_status()
            );
            std::process::exit(1);
        }
    }

    // The same token a second time is a replay.
    if let Err(error) = verifier.verify(&token) {
        println!("second use rejected: error[{}]: {error}", error.code());
    }
    Ok(())
}

/// Stands in for the portal: a signing key, a Financeiro plugin, and a token for a cliente.
fn demo_portal() -> Result<(String, String), Box<dyn std::error::Error>> {
    let issuer = Issuer::new(
        IssuerId::new(ISSUER)?,
        SigningKey::generate(Algorithm::EdDSA)?,
    );
    let plugin = PluginConfig::builder()
        .id(PLUGIN)
        .name("Financeiro (ERP UAU)")
        .link("https://erp.example.com/portal/financeiro")
        .icon(Icon::Alerta)
        .title("Financeiro")
        .show_in_client_portal(true)
        .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
        .visible_to(VisibleTo::Cliente)
        .build()?;
    let viewer = Viewer::new(SubjectId::new("48213")?, Role::Cliente);
    let launch = issuer.mint(&plugin, &viewer)?;
    Ok((issuer.jwks().to_jwks_json(), launch.into_token()))
}
