//! Criterion benchmarks of vendor sessions (issue 12) against their floors.
//!
//! Run with `cargo bench --bench session`; BENCHMARKS.md records the results and the targets.
//!
//! - `session`: verifying a session token (paid on every request of the plugin page) and minting
//!   one (`start`, with a fresh random `sid`; `renew`, without), next to ring's raw HMAC-SHA256
//!   sign and verify of the very signing input the crate produces: the floor.
//! - `launch`: a whole launch on the vendor (launch verify with in-memory single use, then
//!   `Sessions::start`) against one launch verify (single use off, the `tokens` bench's
//!   `verify`). Every iteration gets a freshly minted launch token (minted outside the timing),
//!   so single use is really exercised; the issue's target is whole launch ≤ 1.15× one verify.
//!
//! Members of a group run back to back in one process, so their ratios are comparable; numbers
//! of different runs are not (the machine is noisy).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use cv_portal_plugin::config::{Dimension, Icon, PluginConfig, VisibleTo};
use cv_portal_plugin::{
    Algorithm, Clock, CredentialRequest, FixedClock, Issuer, IssuerId, Role, SessionKey, Sessions,
    SigningKey, SubjectId, SystemClock, Verifier, Viewer,
};
use ring::hmac;

const ISSUER: &str = "https://portal.construtora.com.br";
const PLUGIN: &str = "financeiro";
const SECRET: [u8; 32] = [0x42; 32];

/// A typical plugin with the longest token lifetime, so tokens minted at set-up stay valid.
fn plugin() -> PluginConfig {
    PluginConfig::builder()
        .id(PLUGIN)
        .name("Financeiro UAU")
        .link("https://erp.example.com/portal/financeiro?empresa=7")
        .icon(Icon::Alerta)
        .title("Financeiro")
        .show_in_client_portal(true)
        .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
        .visible_to(VisibleTo::Cliente)
        .token_lifetime(Duration::from_secs(3600))
        .build()
        .expect("the bench plugin is valid")
}

fn issuer_id() -> IssuerId {
    IssuerId::new(ISSUER).expect("issuer id")
}

fn sessions(clock: Arc<dyn Clock>) -> Sessions {
    Sessions::builder(
        issuer_id(),
        PLUGIN.parse().expect("plugin id"),
        SessionKey::from_bytes("2026-11", &SECRET).expect("key"),
    )
    .clock(clock)
    .single_instance()
    .build()
    .expect("sessions")
}

fn session(c: &mut Criterion) {
    let issuer = Issuer::new(
        issuer_id(),
        SigningKey::generate(Algorithm::EdDSA).expect("key"),
    );
    let plugin = plugin();
    let viewer = Viewer::new(SubjectId::new("48213").expect("subject"), Role::Cliente);
    let verifier = Verifier::builder(issuer_id(), PLUGIN.parse().expect("plugin id"))
        .key_set(issuer.jwks().clone())
        .replay_guard(std::sync::Arc::new(
            cv_portal_plugin::InMemoryReplayGuard::new(),
        ))
        .build()
        .expect("verifier");
    let launch = verifier
        .verify(issuer.mint(&plugin, &viewer).expect("mint").token())
        .expect("launch verifies");
    // A fixed clock: the session is minted now and used ten minutes later, so `renew` always
    // has an idle window to slide (on the system clock it would find nothing to extend).
    let clock = Arc::new(FixedClock::new(SystemClock.now_unix()));
    let sessions = sessions(clock.clone());
    let token = sessions.start(&launch).expect("start");
    clock.advance(600);
    let claims = sessions.verify(token.as_str()).expect("verifies");
    assert!(sessions.renew(&claims).is_some());
    let bearer = format!("Bearer {}", token.as_str());

    let (signing_input, mac_b64) = token.as_str().rsplit_once('.').expect("three segments");
    let mac = URL_SAFE_NO_PAD.decode(mac_b64).expect("base64url");
    let key = hmac::Key::new(hmac::HMAC_SHA256, &SECRET);
    assert!(hmac::verify(&key, signing_input.as_bytes(), &mac).is_ok());

    let mut group = c.benchmark_group("session");
    group.bench_function("ring_hmac_sign", |b| {
        b.iter(|| hmac::sign(&key, black_box(signing_input.as_bytes())))
    });
    group.bench_function("ring_hmac_verify", |b| {
        b.iter(|| hmac::verify(&key, black_box(signing_input.as_bytes()), black_box(&mac)))
    });
    group.bench_function("verify", |b| {
        b.iter(|| sessions.verify(black_box(token.as_str())))
    });
    group.bench_function("authenticate_bearer", |b| {
        b.iter(|| {
            sessions.authenticate(black_box(
                &CredentialRequest::new("GET").authorization(Some(&bearer)),
            ))
        })
    });
    group.bench_function("start", |b| b.iter(|| sessions.start(black_box(&launch))));
    group.bench_function("renew", |b| b.iter(|| sessions.renew(black_box(&claims))));
    group.finish();
}

fn launch(c: &mut Criterion) {
    let issuer = Issuer::new(
        issuer_id(),
        SigningKey::generate(Algorithm::EdDSA).expect("key"),
    );
    let plugin = plugin();
    let viewer = Viewer::new(SubjectId::new("48213").expect("subject"), Role::Cliente);
    let build = |single_use: bool| {
        let builder = Verifier::builder(issuer_id(), PLUGIN.parse().expect("plugin id"))
            .key_set(issuer.jwks().clone());
        let builder = if single_use {
            builder.replay_guard(std::sync::Arc::new(
                cv_portal_plugin::InMemoryReplayGuard::new(),
            ))
        } else {
            builder.dangerous_disable_replay_guard()
        };
        builder.build().expect("verifier")
    };
    let plain = build(false);
    let single_use = build(true);
    let sessions = sessions(Arc::new(SystemClock));
    let fresh = || issuer.mint(&plugin, &viewer).expect("mint").into_token();

    let mut group = c.benchmark_group("launch");
    group.bench_function("launch_verify", |b| {
        b.iter_batched(
            fresh,
            |token| plain.verify(black_box(&token)).expect("verifies"),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("launch_verify_single_use", |b| {
        b.iter_batched(
            fresh,
            |token| single_use.verify(black_box(&token)).expect("verifies"),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("whole_launch", |b| {
        b.iter_batched(
            fresh,
            |token| {
                let claims = single_use.verify(black_box(&token)).expect("verifies");
                sessions.start(&claims).expect("starts")
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn settings() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = settings();
    targets = session, launch
}
criterion_main!(benches);
