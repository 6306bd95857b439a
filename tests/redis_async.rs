//! The async Redis replay guard (issue #13) against real `redis-server` processes: single use
//! under 10,000 concurrent tasks across two guards, one store shared with the blocking guard,
//! `verify_async` end to end, and failing closed within the deadline while Redis is down, then
//! recovering with the same guard.
//!
//! Tests that need a live Redis are `#[ignore]`d; run them as `.ci/run` does:
//!
//! ```sh
//! source .ci/redis.sh && cargo test --all-features --test redis_async -- --ignored
//! ```
//!
//! The shared server comes from `CV_REDIS_URL`; the test that stops a server starts its own on a
//! free loopback port with `CV_REDIS_SERVER_BIN` or the `redis-server` on `PATH`. The tests that
//! need no server (a closed port) always run.
#![cfg(feature = "redis-async")]

mod common;

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{ISSUER, PLUGIN, clock, issuer_id, viewer};
use cv_portal_plugin::config::{Dimension, Icon, PluginConfig, VisibleTo};
use cv_portal_plugin::replay::redis::AsyncRedisReplayGuard;
use cv_portal_plugin::{
    Algorithm, AsyncReplayGuard, FixedClock, Issuer, RedisReplayGuard, ReplayEntry, ReplayError,
    ReplayGuard, Role, SigningKey, StoreFailure, Verifier,
};

/// How far past the configured timeout a failing call may return on a loaded 2-core machine.
const SLACK: Duration = Duration::from_millis(900);

fn missing(what: &str) -> ! {
    panic!(
        "{what} is not available: this test needs a live Redis. Run \
         `source .ci/redis.sh && cargo test --all-features --test redis_async -- --ignored`"
    );
}

fn redis_url() -> String {
    match std::env::var("CV_REDIS_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => missing("CV_REDIS_URL (a running redis-server)"),
    }
}

/// A prefix no other test run shares, so runs against one server never meet.
fn unique_prefix(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("cvpp-test:{test}:{}:{nanos}:", std::process::id())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn unavailable<T: std::fmt::Debug>(result: Result<T, ReplayError>) -> StoreFailure {
    match result {
        Err(ReplayError::Unavailable(failure)) => failure,
        other => panic!("expected the store to be unavailable, got {other:?}"),
    }
}

/// A plugin whose tokens live 30 s, the protocol's minimum.
fn short_plugin() -> PluginConfig {
    PluginConfig::builder()
        .id(PLUGIN)
        .name("Financeiro UAU")
        .link("https://erp.example.com/portal/financeiro")
        .icon(Icon::Alerta)
        .title("Financeiro")
        .show_in_client_portal(true)
        .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
        .visible_to(VisibleTo::Cliente)
        .token_lifetime(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The portal and a vendor verifier on one fixed clock, whose single use is `guard`, awaited.
fn portal_and_verifier(
    clock: Arc<FixedClock>,
    guard: Arc<AsyncRedisReplayGuard>,
) -> (Issuer, Verifier) {
    let issuer = Issuer::builder(issuer_id(), SigningKey::generate(Algorithm::EdDSA).unwrap())
        .clock(clock.clone())
        .build()
        .unwrap();
    let verifier = Verifier::builder(issuer_id(), PLUGIN.parse().unwrap())
        .key_set(issuer.jwks().clone())
        .clock(clock)
        .replay_guard_async(guard)
        .build()
        .unwrap();
    (issuer, verifier)
}

#[test]
#[ignore = "needs a live Redis: source .ci/redis.sh, then cargo test --all-features --test redis_async -- --ignored"]
fn ten_thousand_tasks_across_two_guards_accept_each_token_once() {
    const TOKENS: usize = 2_500;
    const TASKS_PER_TOKEN: usize = 4;
    let url = redis_url();
    let prefix = unique_prefix("async-race");
    // Two guards, two connections: as two instances of a service.
    let guards: Vec<Arc<AsyncRedisReplayGuard>> = (0..2)
        .map(|_| {
            Arc::new(
                AsyncRedisReplayGuard::builder(url.clone())
                    .prefix(prefix.clone())
                    .timeout(Duration::from_secs(10))
                    .build()
                    .unwrap(),
            )
        })
        .collect();
    let jtis: Arc<Vec<String>> = Arc::new((0..TOKENS).map(|i| format!("race-{i:05}")).collect());
    let accepted = runtime().block_on(async {
        let mut tasks = Vec::with_capacity(TOKENS * TASKS_PER_TOKEN);
        // Every token is tried by tasks on both guards, spawned interleaved so they race.
        for round in 0..TASKS_PER_TOKEN {
            for token in 0..TOKENS {
                let guard = Arc::clone(&guards[(token + round) % 2]);
                let jtis = Arc::clone(&jtis);
                tasks.push(tokio::spawn(async move {
                    let entry = ReplayEntry::new(ISSUER, PLUGIN, &jtis[token], 1_060, 1_000);
                    (token, guard.check_and_insert(&entry).await)
                }));
            }
        }
        assert_eq!(tasks.len(), 10_000);
        let mut accepted = vec![0usize; TOKENS];
        for task in tasks {
            match task.await.unwrap() {
                (token, Ok(())) => accepted[token] += 1,
                (_, Err(ReplayError::Replayed)) => {}
                (_, Err(other)) => panic!("the store must answer every task: {other:?}"),
            }
        }
        accepted
    });
    let wrong: Vec<(usize, usize)> = accepted
        .iter()
        .copied()
        .enumerate()
        .filter(|&(_, n)| n != 1)
        .collect();
    assert!(
        wrong.is_empty(),
        "tokens not accepted exactly once: {wrong:?}"
    );
    // One key per token, all under the test's prefix.
    let mut conn = redis::Client::open(url).unwrap().get_connection().unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query(&mut conn)
        .unwrap();
    assert_eq!(keys.len(), TOKENS);
}

#[test]
#[ignore = "needs a live Redis: source .ci/redis.sh, then cargo test --all-features --test redis_async -- --ignored"]
fn verify_async_consumes_a_minted_token_once_in_the_store_the_blocking_guard_shares() {
    let url = redis_url();
    let prefix = unique_prefix("async-verify");
    let async_guard = Arc::new(
        AsyncRedisReplayGuard::builder(url.clone())
            .prefix(prefix.clone())
            .build()
            .unwrap(),
    );
    let (issuer, verifier) = portal_and_verifier(clock(), Arc::clone(&async_guard));
    let plugin = short_plugin();
    let blocking = RedisReplayGuard::builder(url)
        .prefix(prefix)
        .build()
        .unwrap();
    let first = issuer.mint(&plugin, &viewer(Role::Cliente)).unwrap();
    let second = issuer.mint(&plugin, &viewer(Role::Cliente)).unwrap();
    runtime().block_on(async {
        let claims = verifier.verify_async(first.token()).await.unwrap();
        assert_eq!(claims.subject().as_str(), "48213");
        let again = verifier.verify_async(first.token()).await.unwrap_err();
        assert_eq!(again.code(), "replayed");
        // The blocking guard on the same server and prefix knows the token too.
        let entry = ReplayEntry::new(
            ISSUER,
            PLUGIN,
            claims.token_id().as_str(),
            claims.expires_at() + 30,
            claims.issued_at(),
        );
        assert_eq!(blocking.key_for(&entry), async_guard.key_for(&entry));
        assert_eq!(
            ReplayGuard::check_and_insert(&blocking, &entry),
            Err(ReplayError::Replayed)
        );
        // ...and a token it accepted first is a replay for the async guard.
        let blocking_verifier = Verifier::builder(issuer_id(), PLUGIN.parse().unwrap())
            .key_set(issuer.jwks().clone())
            .clock(clock())
            .replay_guard(Arc::new(blocking))
            .build()
            .unwrap();
        blocking_verifier.verify(second.token()).unwrap();
        let error = verifier.verify_async(second.token()).await.unwrap_err();
        assert_eq!(error.code(), "replayed");
    });
}

/// A `redis-server` this test owns, on a loopback port, killed when dropped.
struct OwnServer {
    bin: String,
    port: u16,
    child: Option<Child>,
}

impl OwnServer {
    fn start() -> OwnServer {
        let bin = std::env::var("CV_REDIS_SERVER_BIN")
            .ok()
            .filter(|b| !b.is_empty())
            .unwrap_or_else(|| "redis-server".to_owned());
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = OwnServer {
            bin,
            port,
            child: None,
        };
        server.restart();
        server
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn restart(&mut self) {
        self.stop();
        let child = Command::new(&self.bin)
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--port", &self.port.to_string(), "--dir"])
            .arg(std::env::temp_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|_| missing("redis-server (CV_REDIS_SERVER_BIN or PATH)"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.stop();
    }
}

#[test]
#[ignore = "needs a live Redis: source .ci/redis.sh, then cargo test --all-features --test redis_async -- --ignored"]
fn a_stopped_redis_fails_closed_within_the_deadline_and_a_restart_recovers() {
    let mut server = OwnServer::start();
    let timeout = Duration::from_millis(300);
    let guard = Arc::new(
        AsyncRedisReplayGuard::builder(server.url())
            .timeout(timeout)
            .build()
            .unwrap(),
    );
    let entry = |jti| ReplayEntry::new(ISSUER, PLUGIN, jti, 1_060, 1_000);
    let (issuer, verifier) = portal_and_verifier(clock(), Arc::clone(&guard));
    let token = issuer
        .mint(&short_plugin(), &viewer(Role::Cliente))
        .unwrap();
    let rt = runtime();
    rt.block_on(async {
        guard.check_and_insert(&entry("before")).await.unwrap();
    });
    server.stop();
    rt.block_on(async {
        for jti in ["down-1", "down-2"] {
            let started = Instant::now();
            let failure = unavailable(guard.check_and_insert(&entry(jti)).await);
            assert!(
                started.elapsed() < timeout + SLACK,
                "{:?}",
                started.elapsed()
            );
            assert!(
                matches!(
                    failure.cause().kind(),
                    "connection_refused" | "connection_closed"
                ),
                "{failure:?}"
            );
        }
        let error = verifier.verify_async(token.token()).await.unwrap_err();
        assert_eq!(error.code(), "replay_store_unavailable");
    });
    server.restart();
    rt.block_on(async {
        // The same guard works again; the restarted server (no persistence) forgot "before".
        guard.check_and_insert(&entry("after")).await.unwrap();
        assert_eq!(
            guard.check_and_insert(&entry("after")).await,
            Err(ReplayError::Replayed)
        );
        verifier.verify_async(token.token()).await.unwrap();
    });
}

#[test]
fn an_unreachable_redis_fails_closed_with_replay_store_unavailable() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let guard = Arc::new(
        AsyncRedisReplayGuard::builder(format!("redis://127.0.0.1:{port}/0"))
            .timeout(Duration::from_millis(200))
            .build()
            .unwrap(),
    );
    let (issuer, verifier) = portal_and_verifier(clock(), guard);
    let token = issuer
        .mint(&short_plugin(), &viewer(Role::Cliente))
        .unwrap();
    let started = Instant::now();
    let error = runtime()
        .block_on(verifier.verify_async(token.token()))
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(200) + SLACK);
    assert_eq!(error.code(), "replay_store_unavailable");
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("connect"), "{shown}");
}
