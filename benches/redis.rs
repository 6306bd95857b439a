//! The Redis replay guard's check-and-insert on loopback, beside the in-memory guard (issue 7).
//!
//! Run with `source .ci/redis.sh && cargo bench --features redis --bench redis`. Without
//! `CV_REDIS_URL` it prints a message and exits, so `cargo bench --all-features` works anywhere.
//!
//! Two measurements, both of one thread presenting distinct tokens (1,000 per simulated second,
//! each live 330 s: the in-memory guard settles at about 330,000 live entries, as in the `tokens`
//! bench; Redis keys get the same TTL plus the default 60 s skew margin):
//!
//! 1. Percentiles: 20,000 calls per guard, each timed with `std::time::Instant`, after 2,000
//!    warm-up calls (and, for the in-memory guard, after filling it to its steady state);
//!    nearest-rank median, p90, p99, p99.9 and maximum are printed. Criterion does not report
//!    tail latency, which is what a shared store adds.
//! 2. Criterion (`redis_replay` group): the mean and median per call of `redis/check_and_insert`
//!    (an accepted token: `SET NX` answers `OK`), `redis/replayed` (the same token again: nil),
//!    and `in_memory/check_and_insert`.

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use criterion::Criterion;
use cv_portal_plugin::replay::redis::RedisReplayGuard;
use cv_portal_plugin::{InMemoryReplayGuard, ReplayEntry, ReplayError, ReplayGuard};

const ISSUER: &str = "https://portal.construtora.com.br";
const PLUGIN: &str = "financeiro";
const TOKENS_PER_SECOND: u64 = 1_000;
const LIVE_SECONDS: i64 = 330;
const WARM_UP: u64 = 2_000;
const SAMPLES: u64 = 20_000;

/// The `jti` of the `n`-th token: 22 characters, like a real one.
fn jti(n: u64) -> String {
    format!("jti-{n:018x}")
}

/// Presents the `n`-th distinct token to `guard`, on a simulated clock.
fn present(guard: &dyn ReplayGuard, start: i64, n: u64) -> Result<(), ReplayError> {
    let now = start + (n / TOKENS_PER_SECOND) as i64;
    guard.check_and_insert(&ReplayEntry::new(
        ISSUER,
        PLUGIN,
        &jti(n),
        now + LIVE_SECONDS,
        now,
    ))
}

/// Times `SAMPLES` calls one by one and prints the percentiles, in microseconds.
fn percentiles(name: &str, guard: &dyn ReplayGuard, start: i64, first: u64) -> u64 {
    for n in first..first + WARM_UP {
        present(guard, start, n).expect("warm-up call accepted");
    }
    let first = first + WARM_UP;
    let mut times: Vec<Duration> = (first..first + SAMPLES)
        .map(|n| {
            let begin = Instant::now();
            let result = present(guard, start, n);
            let elapsed = begin.elapsed();
            result.expect("a distinct token is accepted");
            elapsed
        })
        .collect();
    times.sort_unstable();
    let at = |q: f64| {
        // Nearest rank: the smallest sample with at least q of the samples at or below it.
        let rank = ((q * SAMPLES as f64).ceil() as usize).clamp(1, times.len());
        times[rank - 1].as_secs_f64() * 1e6
    };
    println!(
        "{name:<28} n={SAMPLES}  median {:>7.1} µs  p90 {:>7.1} µs  p99 {:>7.1} µs  p99.9 {:>7.1} µs  max {:>8.1} µs",
        at(0.5),
        at(0.9),
        at(0.99),
        at(0.999),
        at(1.0),
    );
    first + SAMPLES
}

fn main() {
    let Some(url) = std::env::var("CV_REDIS_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!(
            "benches/redis: CV_REDIS_URL is not set, nothing to measure \
             (run `source .ci/redis.sh` first)"
        );
        return;
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let redis = RedisReplayGuard::builder(url)
        .prefix(format!("cvpp-bench:{}:{nanos}:", std::process::id()))
        .pool_size(1)
        .build()
        .expect("CV_REDIS_URL is a usable Redis URL");
    redis
        .ping()
        .expect("the Redis server at CV_REDIS_URL answers");
    let in_memory = InMemoryReplayGuard::new();
    let start = 1_764_288_000;

    println!("check_and_insert, one thread, {redis}:");
    let next_redis = percentiles("redis (loopback, pool 1)", &redis, start, 0);
    // Fill the in-memory guard to its steady state first (400 simulated seconds: about 330,000
    // live entries); a Redis hash table's cost does not depend on its size this way.
    const FILL: u64 = 400 * TOKENS_PER_SECOND;
    for n in 0..FILL {
        present(&in_memory, start, n).expect("a distinct token is accepted");
    }
    let next_memory = percentiles("in-memory (330k live)", &in_memory, start, FILL);

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .configure_from_args();
    let mut group = c.benchmark_group("redis_replay");
    let mut n = next_redis;
    group.bench_function("redis/check_and_insert", |b| {
        b.iter(|| {
            n += 1;
            present(&redis, start, black_box(n)).expect("a distinct token is accepted");
        })
    });
    group.bench_function("redis/replayed", |b| {
        b.iter(|| {
            // The last token the percentile loop presented.
            let result = present(&redis, start, black_box(next_redis - 1));
            assert_eq!(result, Err(ReplayError::Replayed));
        })
    });
    let mut n = next_memory;
    group.bench_function("in_memory/check_and_insert", |b| {
        b.iter(|| {
            n += 1;
            present(&in_memory, start, black_box(n)).expect("a distinct token is accepted");
        })
    });
    group.finish();
    c.final_summary();
}
