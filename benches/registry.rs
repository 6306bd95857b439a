//! Many portals and key storms (issue 13): [`PortalRegistry::verify`] throughput with 1 and 100
//! portals registered, and the latency of known-`kid` verifies while a storm of unknown `kid`s
//! hits the same portal. BENCHMARKS.md, "Many portals and key storms (issue 13)", records the
//! results and the method.
//!
//! `cargo bench --bench registry` runs both parts. No network and no refresh driver: keys are
//! pushed with [`KeySource::set`], so the refetch an unknown `kid` asks for stays outstanding, as
//! it would while a driver's fetch is in flight, and the point shown is that `verify` never waits.
//!
//! `registry callgrind <verifies>` (the bench binary, run directly) verifies on one thread only,
//! against 1 and then 100 portals, for instruction counts under `valgrind --tool=callgrind`.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use cv_portal_plugin::config::{Dimension, Icon, PluginConfig, VisibleTo};
use cv_portal_plugin::{
    Algorithm, InMemoryReplayGuard, Issuer, IssuerId, KeySource, Portal, PortalRegistry, Role,
    SigningKey, SubjectId, Viewer,
};

const PLUGIN: &str = "financeiro";
/// Tokens per portal-count configuration: cycled by the verifying threads.
const TOKENS: usize = 100;
/// Interleaved rounds of the throughput comparison, and verifies per thread per round.
const ROUNDS: usize = 20;
const VERIFIES_PER_THREAD: usize = 5_000;
/// Storm rounds (each: a quiet, a control and a storm phase, in rotated order) and known-kid
/// verifies timed per phase.
const STORM_ROUNDS: usize = 5;
const KNOWN_PER_PHASE: usize = 10_000;
const STORM_TOKENS: usize = 1_000;

fn issuer_id(n: usize) -> IssuerId {
    IssuerId::new(format!("https://portal-{n:03}.construtora.com.br")).expect("issuer id")
}

/// The hosted plugin, with the longest token lifetime so that tokens minted at set-up stay valid
/// on the system clock for the whole run.
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

fn viewer() -> Viewer {
    Viewer::new(SubjectId::new("48213").expect("subject"), Role::Cliente)
}

/// `count` portals, each with its own Ed25519 key pushed into its own key source.
fn issuers(count: usize) -> Vec<Issuer> {
    (0..count)
        .map(|n| {
            let key = SigningKey::generate(Algorithm::EdDSA).expect("key");
            Issuer::new(issuer_id(n), key)
        })
        .collect()
}

/// A registry of the portals of `issuers`, hosting `financeiro` each; single use off or on.
fn registry(issuers: &[Issuer], single_use: bool) -> (PortalRegistry, Vec<Arc<KeySource>>) {
    let registry = if single_use {
        PortalRegistry::new(Arc::new(InMemoryReplayGuard::new()))
    } else {
        PortalRegistry::dangerous_without_replay_guard()
    };
    let mut sources = Vec::new();
    for issuer in issuers {
        let source = Arc::new(KeySource::new());
        source.set(issuer.jwks().clone());
        registry
            .insert(
                Portal::new(issuer.issuer_id().clone(), Arc::clone(&source))
                    .plugin(PLUGIN.parse().expect("plugin id")),
            )
            .expect("portal");
        sources.push(source);
    }
    (registry, sources)
}

fn mint(issuer: &Issuer, plugin: &PluginConfig, viewer: &Viewer) -> String {
    issuer.mint(plugin, viewer).expect("mint").into_token()
}

/// Two threads verify `VERIFIES_PER_THREAD` tokens each, cycling through `tokens` from different
/// offsets; returns verifies per second of wall time (both threads together).
fn throughput(registry: &PortalRegistry, tokens: &[String]) -> f64 {
    let barrier = Barrier::new(2);
    let start = Instant::now();
    thread::scope(|scope| {
        for t in 0..2 {
            let barrier = &barrier;
            scope.spawn(move || {
                barrier.wait();
                for i in 0..VERIFIES_PER_THREAD {
                    let token = &tokens[(i + t * tokens.len() / 2) % tokens.len()];
                    assert!(registry.verify(black_box(token)).is_ok());
                }
            });
        }
    });
    (2 * VERIFIES_PER_THREAD) as f64 / start.elapsed().as_secs_f64()
}

fn range(values: &[f64]) -> (f64, f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    (
        sorted[0],
        sorted[sorted.len() / 2],
        sorted[sorted.len() - 1],
    )
}

fn many_portals() {
    let plugin = plugin();
    let viewer = viewer();
    let hundred = issuers(100);
    let (one_registry, _) = registry(&hundred[..1], false);
    let (hundred_registry, _) = registry(&hundred, false);
    // 1 portal: 100 tokens of portal 0. 100 portals: one token of each portal.
    let one_tokens: Vec<String> = (0..TOKENS)
        .map(|_| mint(&hundred[0], &plugin, &viewer))
        .collect();
    let hundred_tokens: Vec<String> = hundred
        .iter()
        .map(|issuer| mint(issuer, &plugin, &viewer))
        .collect();
    assert_eq!(hundred_registry.len(), 100);

    // Warm-up, then rounds alternating which configuration goes first.
    throughput(&one_registry, &one_tokens);
    throughput(&hundred_registry, &hundred_tokens);
    let (mut ones, mut hundreds, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    println!("throughput, 2 threads, {VERIFIES_PER_THREAD} verifies each per run (verifies/s)");
    for round in 0..ROUNDS {
        let (one, many) = if round % 2 == 0 {
            let one = throughput(&one_registry, &one_tokens);
            (one, throughput(&hundred_registry, &hundred_tokens))
        } else {
            let many = throughput(&hundred_registry, &hundred_tokens);
            (throughput(&one_registry, &one_tokens), many)
        };
        println!(
            "  round {round}: 1 portal {one:9.0}   100 portals {many:9.0}   ratio {:.3}",
            many / one
        );
        ones.push(one);
        hundreds.push(many);
        ratios.push(many / one);
    }
    let (lo, med, hi) = range(&ones);
    println!("  1 portal:    min {lo:.0}  median {med:.0}  max {hi:.0}");
    let (lo, med, hi) = range(&hundreds);
    println!("  100 portals: min {lo:.0}  median {med:.0}  max {hi:.0}");
    let (lo, med, hi) = range(&ratios);
    println!("  ratio 100/1: min {lo:.3}  median {med:.3}  max {hi:.3}");
}

/// Nearest-rank percentile of sorted latencies.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// This thread's (voluntary, involuntary) context switches so far, from
/// `/proc/thread-self/status` (Linux). A verify that waited on a lock would sleep in the kernel:
/// a voluntary switch. Being preempted by other work on a busy machine is an involuntary one.
fn context_switches() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/thread-self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line[name.len()..].trim().parse().ok()
    };
    Some((
        field("voluntary_ctxt_switches:")?,
        field("nonvoluntary_ctxt_switches:")?,
    ))
}

/// Nanoseconds this thread has run on a CPU so far, from `/proc/thread-self/schedstat` (Linux):
/// unlike wall time, it does not grow while the thread is preempted or asleep.
fn cpu_time() -> Option<u64> {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    schedstat.split_whitespace().next()?.parse().ok()
}

/// What one phase of the storm bench measured on the known-kid thread.
struct Phase {
    /// The known-kid thread's CPU time per verify (µs).
    cpu_per_verify: Option<f64>,
    latencies: Vec<Duration>,
    /// Voluntary and involuntary context switches of the known-kid thread while it verified.
    switches: Option<(u64, u64)>,
    /// Unknown-kid verifies the other thread made meanwhile.
    storm_verifies: u64,
}

/// Times one verify of each of `known` on this thread while, unless `hammered` is `None`, another
/// thread loops over `storm` verifying against `hammered` (every verify refused).
fn phase(
    registry: &PortalRegistry,
    known: &[String],
    hammered: Option<&PortalRegistry>,
    storm: &[String],
) -> Phase {
    let stop = AtomicBool::new(false);
    let storm_verifies = AtomicU64::new(0);
    let started = Barrier::new(2);
    thread::scope(|scope| {
        if let Some(hammered) = hammered {
            let (stop, storm_verifies, started) = (&stop, &storm_verifies, &started);
            scope.spawn(move || {
                let mut n = 0u64;
                started.wait();
                'storm: loop {
                    for token in storm {
                        if stop.load(Ordering::Relaxed) {
                            break 'storm;
                        }
                        let refused = hammered.verify(black_box(token)).is_err();
                        assert!(refused, "an unknown kid is refused");
                        n += 1;
                    }
                }
                storm_verifies.store(n, Ordering::Relaxed);
            });
            started.wait();
            // Let the storm get going before timing.
            thread::sleep(Duration::from_millis(20));
        }
        let before = context_switches();
        let cpu_before = cpu_time();
        let mut latencies = Vec::with_capacity(known.len());
        for token in known {
            let start = Instant::now();
            let verified = registry.verify(black_box(token));
            latencies.push(start.elapsed());
            assert!(verified.is_ok(), "a known kid verifies");
        }
        let cpu_after = cpu_time();
        let after = context_switches();
        stop.store(true, Ordering::Relaxed);
        let cpu_per_verify = cpu_before
            .zip(cpu_after)
            .map(|(b, a)| (a - b) as f64 / 1e3 / known.len() as f64);
        latencies.sort();
        let switches = before
            .zip(after)
            .map(|((v0, i0), (v1, i1))| (v1 - v0, i1 - i0));
        Phase {
            cpu_per_verify,
            latencies,
            switches,
            storm_verifies: 0,
        }
    })
    .with_storm(storm_verifies.load(Ordering::Relaxed))
}

impl Phase {
    fn with_storm(mut self, storm_verifies: u64) -> Phase {
        self.storm_verifies = storm_verifies;
        self
    }
}

fn storm() {
    let plugin = plugin();
    let viewer = viewer();
    let portal = issuers(1).remove(0);
    // Single use on (in-memory guard), as a vendor runs it: every known-kid token is fresh.
    let (registry, sources) = registry(std::slice::from_ref(&portal), true);
    let source = &sources[0];
    // The control: the same portal and keys in a second registry with a key source of its own,
    // hammered by the same storm, so the known-kid thread has the same CPU competition but shares
    // no lock, key source or replay guard with it.
    let (control, control_sources) = self::registry(std::slice::from_ref(&portal), true);
    // 1,000 tokens of the same portal (same `iss`), each signed by a key of its own, so each names
    // a `kid` the portal never published.
    let storm: Vec<String> = (0..STORM_TOKENS)
        .map(|_| {
            let stranger = Issuer::new(
                portal.issuer_id().clone(),
                SigningKey::generate(Algorithm::EdDSA).expect("key"),
            );
            mint(&stranger, &plugin, &viewer)
        })
        .collect();
    assert_eq!(
        registry.verify(&storm[0]).map(|_| ()).unwrap_err().code(),
        "unknown_kid"
    );

    println!(
        "storm: known-kid verify latency on one thread, {KNOWN_PER_PHASE} verifies per phase (µs); \
         switches = the known-kid thread's voluntary/involuntary context switches"
    );
    let labels = ["quiet", "control", "storm"];
    let mut p99s: [Vec<f64>; 3] = Default::default();
    let mut p50s: [Vec<f64>; 3] = Default::default();
    let mut cpus: [Vec<f64>; 3] = Default::default();
    let mut voluntary = [0u64; 3];
    let mut storm_total = 0u64;
    for round in 0..STORM_ROUNDS {
        // Rotate the order of the three phases from round to round.
        for k in 0..3 {
            let which = (k + round) % 3;
            // Fresh tokens (single use), minted before timing.
            let known: Vec<String> = (0..KNOWN_PER_PHASE)
                .map(|_| mint(&portal, &plugin, &viewer))
                .collect();
            let hammered = match which {
                0 => None,
                1 => Some(&control),
                _ => Some(&registry),
            };
            let result = phase(&registry, &known, hammered, &storm);
            let lat = &result.latencies;
            let switches = result
                .switches
                .map_or("n/a".to_string(), |(v, i)| format!("{v}/{i}"));
            println!(
                "  round {round} {:7}: p50 {:6.1}  p99 {:7.1}  p99.9 {:7.1}  max {:8.1}  \
                 cpu/verify {:5.1}  switches {switches:>9}  unknown-kid verifies meanwhile {}",
                labels[which],
                micros(percentile(lat, 50.0)),
                micros(percentile(lat, 99.0)),
                micros(percentile(lat, 99.9)),
                micros(*lat.last().expect("latencies")),
                result.cpu_per_verify.unwrap_or(f64::NAN),
                result.storm_verifies,
            );
            p50s[which].push(micros(percentile(lat, 50.0)));
            p99s[which].push(micros(percentile(lat, 99.0)));
            cpus[which].extend(result.cpu_per_verify);
            voluntary[which] += result.switches.map_or(0, |(v, _)| v);
            if which == 2 {
                storm_total += result.storm_verifies;
            }
        }
    }
    for which in 0..3 {
        let (lo, med, hi) = range(&p50s[which]);
        let (lo99, med99, hi99) = range(&p99s[which]);
        let cpu = if cpus[which].is_empty() {
            "n/a".to_string()
        } else {
            let (lo, med, hi) = range(&cpus[which]);
            format!("{lo:.1}–{hi:.1} (median {med:.1})")
        };
        println!(
            "  {:7}: p50 {lo:.1}–{hi:.1} (median {med:.1})  p99 {lo99:.1}–{hi99:.1} (median {med99:.1})  \
             cpu/verify {cpu}  voluntary switches {}",
            labels[which], voluntary[which]
        );
    }
    println!(
        "  {storm_total} unknown-kid verifies against the registry in all, {} refetch request(s) \
         (control registry's source: {})",
        source.refetch_requests(),
        control_sources[0].refetch_requests()
    );
}

/// `callgrind <verifies>`: on one thread, the same 100 tokens of portal 0 verified `verifies`
/// times against a registry of 1 portal, then against one of 100 (portal 0 among them), each in a
/// function of its own whose inclusive instruction count `callgrind_annotate --inclusive=yes`
/// reports. Same tokens, same keys, same process: the difference is the registry's size alone.
fn callgrind(verifies: usize) {
    let plugin = plugin();
    let viewer = viewer();
    let issuers = issuers(100);
    let (one, _) = registry(&issuers[..1], false);
    let (hundred, _) = registry(&issuers, false);
    let tokens: Vec<String> = (0..TOKENS)
        .map(|_| mint(&issuers[0], &plugin, &viewer))
        .collect();
    verify_on_one_portal(&one, &tokens, verifies);
    verify_on_hundred_portals(&hundred, &tokens, verifies);
}

// The two differ by a constant so that the compiler cannot merge them into one symbol.
#[inline(never)]
fn verify_on_one_portal(registry: &PortalRegistry, tokens: &[String], verifies: usize) {
    verify_cycling(registry, tokens, verifies, black_box(1));
}

#[inline(never)]
fn verify_on_hundred_portals(registry: &PortalRegistry, tokens: &[String], verifies: usize) {
    verify_cycling(registry, tokens, verifies, black_box(100));
}

#[inline(never)]
fn verify_cycling(registry: &PortalRegistry, tokens: &[String], verifies: usize, portals: usize) {
    assert!(registry.len() == portals);
    for i in 0..verifies {
        assert!(
            registry
                .verify(black_box(&tokens[i % tokens.len()]))
                .is_ok()
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("callgrind") {
        let verifies = args.get(1).and_then(|s| s.parse().ok());
        callgrind(verifies.expect("callgrind <verifies>"));
        return;
    }
    // `cargo bench` passes `--bench` (and maybe a filter): run everything.
    many_portals();
    storm();
}
