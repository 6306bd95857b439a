//! Criterion benchmarks of the launch-token hot paths against the signature floor (issue 6).
//!
//! Run with `cargo bench --bench tokens`; BENCHMARKS.md records the results and the targets.
//!
//! - `EdDSA` and `ES256` groups: raw ring sign and verify of the very signing input the crate
//!   produces (the floor), the crate's full mint and full verify (all checks on, replay guard off),
//!   and verify with a 1,000-key set. Members of a group run back to back in one process, so their
//!   ratios are comparable; numbers of different runs are not (the machine is noisy).
//! - `replay`: [`InMemoryReplayGuard::check_and_insert`] in a steady state of about 330,000 live
//!   tokens, from one thread and from two threads at once.
//! - `config`: parsing and validating a typical plugin's JSON, and the menu of 1,000 plugins.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use cv_portal_plugin::config::{Dimension, Icon, PluginConfig, VisibleTo};
use cv_portal_plugin::{
    Algorithm, InMemoryReplayGuard, Issuer, IssuerId, KeySet, ReplayEntry, ReplayGuard, Role,
    SigningKey, SubjectId, Verifier, Viewer, menu_for,
};
use ring::rand::SystemRandom;
use ring::signature::{self as ring_sig};

const ISSUER: &str = "https://portal.construtora.com.br";
const PLUGIN: &str = "financeiro";

/// A typical plugin, with the longest token lifetime so that tokens minted at set-up stay valid
/// on the system clock for the whole run.
fn plugin(id: &str, visible_to: VisibleTo, client: bool, manager: bool) -> PluginConfig {
    PluginConfig::builder()
        .id(id)
        .name("Financeiro UAU")
        .link("https://erp.example.com/portal/financeiro?empresa=7")
        .icon(Icon::Alerta)
        .title("Financeiro")
        .show_in_client_portal(client)
        .show_in_manager_panel(manager)
        .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
        .visible_to(visible_to)
        .token_lifetime(Duration::from_secs(3600))
        .build()
        .expect("the bench plugin is valid")
}

/// The same key, parsed by ring directly: what the floor signs with.
enum RawPair {
    Ed25519(ring_sig::Ed25519KeyPair),
    P256(ring_sig::EcdsaKeyPair, SystemRandom),
}

impl RawPair {
    fn new(key: &SigningKey) -> RawPair {
        let der = key.to_pkcs8_der();
        match key.algorithm() {
            Algorithm::EdDSA => RawPair::Ed25519(
                ring_sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).expect("Ed25519 key"),
            ),
            Algorithm::ES256 => {
                let rng = SystemRandom::new();
                let pair = ring_sig::EcdsaKeyPair::from_pkcs8(
                    &ring_sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &der,
                    &rng,
                )
                .expect("P-256 key");
                RawPair::P256(pair, rng)
            }
            other => panic!("no benchmark for {other}"),
        }
    }

    fn sign(&self, message: &[u8]) -> usize {
        match self {
            RawPair::Ed25519(pair) => pair.sign(message).as_ref().len(),
            RawPair::P256(pair, rng) => pair.sign(rng, message).expect("signs").as_ref().len(),
        }
    }
}

fn verifier(keys: KeySet) -> Verifier {
    Verifier::builder(
        IssuerId::new(ISSUER).expect("issuer id"),
        PLUGIN.parse().expect("plugin id"),
    )
    .key_set(keys)
    .dangerous_disable_replay_guard()
    .build()
    .expect("verifier")
}

/// One group per algorithm: the floor and the crate side by side.
fn token_group(c: &mut Criterion, alg: Algorithm) {
    let key = SigningKey::generate(alg).expect("key");
    let raw = RawPair::new(&key);
    let public = key.public_key();
    let issuer = Issuer::new(IssuerId::new(ISSUER).expect("issuer id"), key);
    let plugin = plugin(PLUGIN, VisibleTo::ClienteESindico, true, true);
    let viewer = Viewer::new(SubjectId::new("48213").expect("subject"), Role::Cliente);

    let token = issuer.mint(&plugin, &viewer).expect("mint").into_token();
    let (signing_input, signature_b64) = token.rsplit_once('.').expect("three segments");
    let signature = URL_SAFE_NO_PAD.decode(signature_b64).expect("base64url");
    let ring_alg: &'static dyn ring_sig::VerificationAlgorithm = match alg {
        Algorithm::EdDSA => &ring_sig::ED25519,
        Algorithm::ES256 => &ring_sig::ECDSA_P256_SHA256_FIXED,
        other => panic!("no benchmark for {other}"),
    };
    let public_bytes = public.as_bytes().to_vec();

    let one = verifier(issuer.jwks().clone());
    // 999 other keys of the same algorithm, the signing key in the middle.
    let mut keys: Vec<_> = (0..999)
        .map(|_| SigningKey::generate(alg).expect("key").public_key())
        .collect();
    keys.insert(500, public);
    let thousand = verifier(KeySet::new(keys).expect("1,000 distinct keys"));
    assert!(one.verify(&token).is_ok() && thousand.verify(&token).is_ok());

    let mut group = c.benchmark_group(alg.as_str());
    group.bench_function("ring_sign", |b| {
        b.iter(|| raw.sign(black_box(signing_input.as_bytes())))
    });
    group.bench_function("mint", |b| {
        b.iter(|| issuer.mint(black_box(&plugin), black_box(&viewer)))
    });
    group.bench_function("mint_and_launch_url", |b| {
        b.iter(|| {
            let launch = issuer.mint(black_box(&plugin), black_box(&viewer));
            launch.map(|launch| launch.launch_url().as_str().len())
        })
    });
    group.bench_function("ring_verify", |b| {
        b.iter(|| {
            ring_sig::UnparsedPublicKey::new(ring_alg, &public_bytes)
                .verify(black_box(signing_input.as_bytes()), black_box(&signature))
        })
    });
    group.bench_function("verify", |b| b.iter(|| one.verify(black_box(&token))));
    group.bench_function("verify_1000_keys", |b| {
        b.iter(|| thousand.verify(black_box(&token)))
    });
    group.finish();
}

fn eddsa(c: &mut Criterion) {
    token_group(c, Algorithm::EdDSA);
}

fn es256(c: &mut Criterion) {
    token_group(c, Algorithm::ES256);
}

/// Simulated arrival rate: 1,000 tokens per second, each live for 330 s (5 min + 30 s leeway), so
/// the guard settles at about 330,000 live entries and sweeps as it would in service.
const TOKENS_PER_SECOND: u64 = 1_000;
const LIVE_SECONDS: i64 = 330;
const START: i64 = 1_764_288_000;

/// Presents the `n`-th distinct token (a 22-character `jti` derived from `n`) to `guard`.
fn present(guard: &InMemoryReplayGuard, n: u64) -> bool {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut jti = *b"jti-000000000000000000";
    for (i, slot) in jti[6..].iter_mut().enumerate() {
        *slot = DIGITS[((n >> (60 - 4 * i)) & 0xf) as usize];
    }
    let jti = std::str::from_utf8(&jti).expect("ASCII");
    let now = START + (n / TOKENS_PER_SECOND) as i64;
    guard
        .check_and_insert(&ReplayEntry::new(
            ISSUER,
            PLUGIN,
            jti,
            now + LIVE_SECONDS,
            now,
        ))
        .is_ok()
}

fn replay(c: &mut Criterion) {
    let mut group = c.benchmark_group("replay");
    let guard = InMemoryReplayGuard::new();
    let mut n = 0u64;
    group.bench_function("check_and_insert", |b| {
        b.iter(|| {
            n += 1;
            assert!(present(&guard, n));
        })
    });

    // Two threads insert distinct tokens into one guard at the same time; the time reported is
    // the wall time per call of each thread (each thread makes `iters` calls).
    let guard = Arc::new(InMemoryReplayGuard::new());
    let next = AtomicU64::new(0);
    group.bench_function("check_and_insert_2_threads", |b| {
        b.iter_custom(|iters| {
            let base = next.fetch_add(2 * iters, Ordering::Relaxed);
            let start = Instant::now();
            std::thread::scope(|scope| {
                for thread in 0..2 {
                    let guard = &guard;
                    scope.spawn(move || {
                        for i in 0..iters {
                            assert!(present(guard, base + 2 * i + thread));
                        }
                    });
                }
            });
            start.elapsed()
        })
    });
    group.finish();
}

fn config(c: &mut Criterion) {
    let mut group = c.benchmark_group("config");
    let json = plugin(PLUGIN, VisibleTo::ClienteESindico, true, true).to_json();
    group.bench_function("from_json", |b| {
        b.iter(|| PluginConfig::from_json(black_box(&json)))
    });

    let visibility = [
        VisibleTo::Cliente,
        VisibleTo::Sindico,
        VisibleTo::ClienteESindico,
    ];
    let plugins: Vec<PluginConfig> = (0..1_000)
        .map(|i| {
            plugin(
                &format!("plugin-{i}"),
                visibility[i % 3],
                i % 4 != 0,
                i % 5 == 0,
            )
        })
        .collect();
    group.bench_function("menu_for_1000_plugins", |b| {
        b.iter(|| menu_for(black_box(&plugins), black_box(Role::Cliente)).len())
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
    targets = eddsa, es256, replay, config
}
criterion_main!(benches);
