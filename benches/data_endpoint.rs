//! Criterion benchmarks of the portal's client-data endpoint (issue 11) against one launch
//! verify.
//!
//! Run with `cargo bench --bench data_endpoint` (and, for the Redis member,
//! `source .ci/redis.sh && cargo bench --all-features --bench data_endpoint`); BENCHMARKS.md
//! records the ratio of the medians.
//!
//! Group `data_endpoint`, EdDSA, members run back to back in one process:
//! - `verify`: one [`Verifier::verify`] of a launch token, all checks on, single use off (the
//!   same token each time), as the `EdDSA/verify` member of `benches/tokens.rs`;
//! - `handle_in_memory`: [`ClientDataEndpoint::handle`] of a fresh token each iteration (minted
//!   outside the measurement): header parsing, the token check, the plugin checks, the
//!   redemption in an [`InMemoryReplayGuard`], the grants and the JSON answer; the lookup returns
//!   a fixed [`ClientData`] (a clone);
//! - `handle_redis` (feature `redis` and `CV_REDIS_URL` only): the same with a `RedisReplayGuard`
//!   on the loopback server, one round trip per redemption.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion};
use cv_portal_plugin::config::{Dimension, Icon, PluginConfig, VisibleTo};
use cv_portal_plugin::wire::{ClientData, ClientDataField, TaxDocument, Unit};
use cv_portal_plugin::{
    Algorithm, ClientDataEndpoint, InMemoryReplayGuard, Issuer, IssuerId, KeySet, ReplayGuard,
    Role, SigningKey, SubjectId, Verifier, Viewer,
};

const ISSUER: &str = "https://portal.construtora.com.br";
const PLUGIN: &str = "financeiro";

/// A typical plugin, with the longest token lifetime so that tokens minted during the run stay
/// valid on the system clock.
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

/// What the lookup returns: every field, one unit (about 330 bytes of JSON once granted).
fn data() -> ClientData {
    ClientData {
        sub: SubjectId::new("48213").unwrap(),
        role: Role::Cliente,
        plugin: PLUGIN.parse().unwrap(),
        name: Some("Maria Souza".into()),
        email: Some("maria@example.com".into()),
        document: Some(TaxDocument::parse("529.982.247-25").unwrap()),
        phone: Some("+5511987654321".into()),
        units: Some(vec![Unit {
            empreendimento: "Residencial Ipê".into(),
            bloco: Some("B".into()),
            unidade: "1204".into(),
            contract_id: Some("C-2024-0042".into()),
        }]),
    }
}

fn endpoint(issuer: &Issuer, guard: Arc<dyn ReplayGuard>) -> ClientDataEndpoint {
    ClientDataEndpoint::builder(issuer.issuer_id().clone(), issuer.jwks().clone())
        .plugins([plugin()])
        .grants(|_| ClientDataField::ALL.to_vec())
        .replay_guard(guard)
        .build()
}

fn main() {
    let issuer = Issuer::new(
        IssuerId::new(ISSUER).unwrap(),
        SigningKey::generate(Algorithm::EdDSA).unwrap(),
    );
    let financeiro = plugin();
    let maria = Viewer::new(SubjectId::new("48213").unwrap(), Role::Cliente);
    let fresh_header = || {
        format!(
            "Bearer {}",
            issuer.mint(&financeiro, &maria).unwrap().into_token()
        )
    };
    let fixed = data();
    let lookup = |_: &SubjectId, _: Role| Some(fixed.clone());

    let verifier = Verifier::builder(issuer.issuer_id().clone(), PLUGIN.parse().unwrap())
        .key_set(KeySet::from_jwks_json(&issuer.jwks().to_jwks_json()).unwrap())
        .dangerous_disable_replay_guard()
        .build()
        .unwrap();
    let token = issuer.mint(&financeiro, &maria).unwrap().into_token();

    let in_memory = endpoint(&issuer, Arc::new(InMemoryReplayGuard::new()));
    let check = in_memory.handle(Some(&fresh_header()), lookup);
    assert_eq!(check.status, 200, "{check:?}");

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .configure_from_args();
    let mut group = c.benchmark_group("data_endpoint");
    group.bench_function("verify", |b| {
        b.iter(|| verifier.verify(black_box(&token)).unwrap())
    });
    group.bench_function("handle_in_memory", |b| {
        b.iter_batched(
            fresh_header,
            |header| {
                let answer = in_memory.handle(Some(black_box(&header)), lookup);
                debug_assert_eq!(answer.status, 200);
                answer
            },
            BatchSize::SmallInput,
        )
    });
    #[cfg(feature = "redis")]
    if let Some(url) = std::env::var("CV_REDIS_URL").ok().filter(|u| !u.is_empty()) {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let guard = cv_portal_plugin::RedisReplayGuard::builder(url)
            .prefix(format!("cvpp-bench:data_endpoint:{nanos}:"))
            .build()
            .expect("CV_REDIS_URL is a usable Redis URL");
        let redis = endpoint(&issuer, Arc::new(guard));
        let check = redis.handle(Some(&fresh_header()), lookup);
        assert_eq!(check.status, 200, "the Redis server answers: {check:?}");
        group.bench_function("handle_redis", |b| {
            b.iter_batched(
                fresh_header,
                |header| redis.handle(Some(black_box(&header)), lookup),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
    c.final_summary();
}
