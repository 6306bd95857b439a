//! The async Redis replay guard's check-and-insert on loopback, beside the blocking guard
//! (issue 13): p50 and p99 latency per call, and throughput, at 1 and 64 callers at once.
//!
//! Run with `source .ci/redis.sh && cargo bench --features redis-async --bench redis_async`.
//! Without `CV_REDIS_URL` it prints a message and exits, so `cargo bench --all-features` works
//! anywhere.
//!
//! Every call presents a new token (`SET NX` answers `OK`). Async: `C` tokio tasks on a
//! 2-worker runtime share one guard (one multiplexed connection). Blocking: `C` threads share
//! one guard with a pool of `C` connections. Each caller times its own calls with
//! `std::time::Instant` after a warm-up; nearest-rank percentiles over all callers' samples.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cv_portal_plugin::replay::AsyncReplayGuard;
use cv_portal_plugin::replay::redis::{AsyncRedisReplayGuard, RedisReplayGuard};
use cv_portal_plugin::{ReplayEntry, ReplayGuard};

const ISSUER: &str = "https://portal.construtora.com.br";
const PLUGIN: &str = "financeiro";
const NOW: i64 = 1_764_288_000;
/// Calls timed in all, per run, spread over the callers.
const SAMPLES: usize = 32_000;
/// Untimed calls first, spread the same way.
const WARM_UP: usize = 3_200;

/// The `jti` of caller `caller`'s `n`-th token in run `run`: 22 characters, like a real one.
fn jti(run: usize, caller: usize, n: usize) -> String {
    format!("j{run:02}-{caller:03}-{n:014}")
}

fn entry(jti: &str) -> ReplayEntry<'_> {
    ReplayEntry::new(ISSUER, PLUGIN, jti, NOW + 330, NOW)
}

fn report(name: &str, callers: usize, mut times: Vec<Duration>, wall: Duration) {
    times.sort_unstable();
    let at = |q: f64| {
        let rank = ((q * times.len() as f64).ceil() as usize).clamp(1, times.len());
        times[rank - 1].as_secs_f64() * 1e6
    };
    println!(
        "{name:<9} concurrency {callers:>2}  n={}  p50 {:>7.1} µs  p90 {:>7.1} µs  p99 {:>7.1} µs  max {:>8.1} µs  {:>7.0} calls/s",
        times.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0),
        times.len() as f64 / wall.as_secs_f64(),
    );
}

fn run_async(
    runtime: &tokio::runtime::Runtime,
    guard: &Arc<AsyncRedisReplayGuard>,
    run: usize,
    callers: usize,
) {
    let per_caller = SAMPLES / callers;
    let warm = WARM_UP / callers;
    let (times, wall) = runtime.block_on(async {
        let started = Instant::now();
        let tasks: Vec<_> = (0..callers)
            .map(|caller| {
                let guard = Arc::clone(guard);
                tokio::spawn(async move {
                    let mut times = Vec::with_capacity(per_caller);
                    for n in 0..warm + per_caller {
                        let jti = jti(run, caller, n);
                        let begin = Instant::now();
                        guard
                            .check_and_insert(&entry(&jti))
                            .await
                            .expect("a new token is accepted");
                        if n >= warm {
                            times.push(begin.elapsed());
                        }
                    }
                    times
                })
            })
            .collect();
        let mut times = Vec::with_capacity(SAMPLES);
        for task in tasks {
            times.extend(task.await.expect("a caller finished"));
        }
        (times, started.elapsed())
    });
    report("async", callers, times, wall);
}

fn run_blocking(url: &str, prefix: &str, run: usize, callers: usize) {
    let guard = Arc::new(
        RedisReplayGuard::builder(url)
            .prefix(prefix)
            .pool_size(callers)
            .build()
            .expect("CV_REDIS_URL is a usable Redis URL"),
    );
    let per_caller = SAMPLES / callers;
    let warm = WARM_UP / callers;
    let started = Instant::now();
    let threads: Vec<_> = (0..callers)
        .map(|caller| {
            let guard = Arc::clone(&guard);
            std::thread::spawn(move || {
                let mut times = Vec::with_capacity(per_caller);
                for n in 0..warm + per_caller {
                    let jti = jti(run, caller, n);
                    let begin = Instant::now();
                    guard
                        .check_and_insert(&entry(&jti))
                        .expect("a new token is accepted");
                    if n >= warm {
                        times.push(begin.elapsed());
                    }
                }
                times
            })
        })
        .collect();
    let mut times = Vec::with_capacity(SAMPLES);
    for thread in threads {
        times.extend(thread.join().expect("a caller finished"));
    }
    report("blocking", callers, times, started.elapsed());
}

fn main() {
    let Some(url) = std::env::var("CV_REDIS_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!(
            "benches/redis_async: CV_REDIS_URL is not set, nothing to measure \
             (run `source .ci/redis.sh` first)"
        );
        return;
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let prefix = format!("cvpp-bench:{}:{nanos}:", std::process::id());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let guard = Arc::new(
        AsyncRedisReplayGuard::builder(url.as_str())
            .prefix(prefix.as_str())
            .build()
            .expect("CV_REDIS_URL is a usable Redis URL"),
    );
    runtime
        .block_on(guard.ping())
        .expect("the Redis server at CV_REDIS_URL answers");
    println!("check_and_insert of new tokens, {guard}:");
    // Interleaved, so that a noisy neighbour weighs on both kinds alike.
    let mut run = 0;
    for callers in [1, 64] {
        for _ in 0..2 {
            run_async(&runtime, &guard, run, callers);
            run += 1;
            run_blocking(&url, &prefix, run, callers);
            run += 1;
        }
    }
}
