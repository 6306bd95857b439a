//! The Redis replay guard (issue #7) against real `redis-server` processes: single use across
//! instances, expiry ordering, failing closed while Redis is down, recovery after a restart, the
//! class of each kind of failure, and no password or URL in any output.
//!
//! Tests that need a live Redis are `#[ignore]`d, so a plain `cargo test --all-features` on a
//! machine without Redis lists them as ignored, never as passed. Run them with
//!
//! ```sh
//! source .ci/redis.sh && cargo test --all-features --test redis -- --ignored
//! ```
//!
//! as `.ci/run` does. The shared server comes from `CV_REDIS_URL` (`.ci/redis.sh` starts one);
//! tests that stop or reconfigure a server start their own on a free loopback port, with
//! `CV_REDIS_SERVER_BIN` or the `redis-server` on `PATH`. A live test that finds neither fails.
//! `a_configured_redis_answers_and_ci_configures_one` is never ignored: wherever `CV_REDIS_URL`
//! is set (CI) it checks that the server answers, and under `CI` it fails without one.
//!
//! The tests that need no server (URL checks, redaction, timeouts against a socket that never
//! answers, refused connections, servers that hang up or answer nonsense) always run.
#![cfg(feature = "redis")]

mod common;

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{ISSUER, NOW, PLUGIN, clock, issuer_id, viewer};
use cv_portal_plugin::config::{Dimension, Icon, PluginConfig, VisibleTo};
use cv_portal_plugin::replay::redis::{DEFAULT_TIMEOUT, RedisGuardError, RedisReplayGuard};
use cv_portal_plugin::{
    Algorithm, Clock, FixedClock, Issuer, LaunchToken, ReplayEntry, ReplayError, ReplayGuard, Role,
    SigningKey, StoreFailure, SystemClock, Verifier, VerifyError,
};

/// A password that must never appear in any output.
const PASSWORD: &str = "Sup3r-s3cret-pa55word";

/// How far past the configured timeout a failing call may return on a loaded 2-core machine.
/// The property tested is "bounded by the timeout, not by the network": a hung server would
/// otherwise block for the kernel's TCP timeouts (minutes).
const SLACK: Duration = Duration::from_millis(900);

/// Fails the calling test: it was asked to run (`--ignored`) but `what` is missing.
fn missing(what: &str) -> ! {
    panic!(
        "{what} is not available: this test needs a live Redis. Run \
         `source .ci/redis.sh && cargo test --all-features --test redis -- --ignored`"
    );
}

/// The shared server's URL, from `CV_REDIS_URL`.
fn redis_url() -> String {
    match std::env::var("CV_REDIS_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => missing("CV_REDIS_URL (a running redis-server)"),
    }
}

/// The `redis-server` binary for tests that run their own server.
fn server_bin() -> String {
    let bin = std::env::var("CV_REDIS_SERVER_BIN")
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "redis-server".to_owned());
    let works = Command::new(&bin)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !works {
        missing("redis-server (CV_REDIS_SERVER_BIN or PATH)");
    }
    bin
}

/// A key prefix no other test or earlier run uses.
fn unique_prefix(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("cvpp-test:{test}:{}:{nanos}:", std::process::id())
}

fn entry<'a>(issuer: &'a str, audience: &'a str, jti: &'a str) -> ReplayEntry<'a> {
    entry_until(issuer, audience, jti, SystemClock.now_unix() + 60)
}

fn entry_until<'a>(
    issuer: &'a str,
    audience: &'a str,
    jti: &'a str,
    expires_at: i64,
) -> ReplayEntry<'a> {
    ReplayEntry::new(issuer, audience, jti, expires_at, SystemClock.now_unix())
}

fn raw_connection(url: &str) -> redis::Connection {
    redis::Client::open(url)
        .unwrap()
        .get_connection_with_timeout(Duration::from_secs(2))
        .unwrap()
}

fn pttl(url: &str, key: &str) -> i64 {
    redis::cmd("PTTL")
        .arg(key)
        .query(&mut raw_connection(url))
        .unwrap()
}

/// The failure of a call that must fail closed.
fn unavailable<T: std::fmt::Debug>(result: Result<T, ReplayError>) -> StoreFailure {
    match result {
        Err(ReplayError::Unavailable(failure)) => failure,
        other => panic!("expected the store to be unavailable, got {other:?}"),
    }
}

fn unavailable_reason(result: Result<(), ReplayError>) -> String {
    unavailable(result).to_string()
}

/// The operation and the stable kind of a failed call.
fn kind<T: std::fmt::Debug>(result: Result<T, ReplayError>) -> (&'static str, &'static str) {
    let failure = unavailable(result);
    (failure.operation(), failure.cause().kind())
}

/// Asserts that no output holds the password, the URL, or the host.
fn assert_no_secret(text: &str) {
    for secret in [PASSWORD, "wrong-", "redis://", "rediss://", "127.0.0.1"] {
        assert!(!text.contains(secret), "{secret:?} in failure text: {text}");
    }
}

/// `url` with `password` in it.
fn with_password(url: &str, password: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.set_password(Some(password)).unwrap();
    url.to_string()
}

fn code<T: std::fmt::Debug>(result: Result<T, VerifyError>) -> &'static str {
    result.expect_err("token must be rejected").code()
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

/// The portal and one vendor instance on a shared fixed clock, the vendor using `guard`.
struct Flow {
    issuer: Issuer,
    plugin: PluginConfig,
    clock: Arc<FixedClock>,
}

impl Flow {
    fn new() -> Flow {
        let clock = clock();
        let issuer = Issuer::builder(issuer_id(), SigningKey::generate(Algorithm::EdDSA).unwrap())
            .clock(clock.clone())
            .build()
            .unwrap();
        Flow {
            issuer,
            plugin: short_plugin(),
            clock,
        }
    }

    fn verifier(&self, guard: Arc<dyn ReplayGuard>) -> Verifier {
        Verifier::builder(issuer_id(), PLUGIN.parse().unwrap())
            .key_set(self.issuer.jwks().clone())
            .clock(self.clock.clone())
            .replay_guard(guard)
            .build()
            .unwrap()
    }

    fn mint(&self) -> LaunchToken {
        self.issuer
            .mint(&self.plugin, &viewer(Role::Cliente))
            .unwrap()
    }
}

/// Counts how often the verifier asks the guard.
struct Counting<G> {
    inner: G,
    calls: AtomicUsize,
}

impl<G: ReplayGuard> ReplayGuard for Counting<G> {
    fn check_and_insert(&self, entry: &ReplayEntry<'_>) -> Result<(), ReplayError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.check_and_insert(entry)
    }
}

/// A `redis-server` this test owns, on a loopback port, killed when dropped.
struct OwnServer {
    bin: String,
    port: u16,
    args: Vec<String>,
    /// Serves TLS only (with the certificates in this directory).
    tls: Option<PathBuf>,
    child: Option<Child>,
}

impl OwnServer {
    fn start(bin: &str, extra: &[&str]) -> OwnServer {
        OwnServer::launch(bin, extra, None)
    }

    #[cfg_attr(not(feature = "redis-tls"), allow(dead_code))]
    fn start_tls(bin: &str, certs: &Path) -> OwnServer {
        OwnServer::launch(bin, &[], Some(certs.to_owned()))
    }

    fn launch(bin: &str, extra: &[&str], tls: Option<PathBuf>) -> OwnServer {
        let mut server = OwnServer {
            bin: bin.to_owned(),
            port: free_port(),
            args: extra.iter().map(|a| (*a).to_owned()).collect(),
            tls,
            child: None,
        };
        server.restart();
        server
    }

    fn url(&self) -> String {
        let scheme = if self.tls.is_some() {
            "rediss"
        } else {
            "redis"
        };
        format!("{scheme}://127.0.0.1:{}/0", self.port)
    }

    /// Starts the server (again) on the same port and waits until it answers.
    fn restart(&mut self) {
        self.stop();
        let port = self.port.to_string();
        let mut command = Command::new(&self.bin);
        command
            .args([
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
            ])
            .arg(std::env::temp_dir());
        match &self.tls {
            None => command.args(["--port", &port]),
            Some(dir) => command
                .args([
                    "--port",
                    "0",
                    "--tls-port",
                    &port,
                    "--tls-auth-clients",
                    "no",
                ])
                .arg("--tls-cert-file")
                .arg(dir.join("server.pem"))
                .arg("--tls-key-file")
                .arg(dir.join("server.key"))
                .arg("--tls-ca-cert-file")
                .arg(dir.join("ca.pem")),
        };
        let child = command
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let up = match self.tls {
                None => answers(self.port),
                Some(_) => TcpStream::connect(("127.0.0.1", self.port)).is_ok(),
            };
            if up {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not start on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server and waits until it is gone.
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

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether something on `port` answers a RESP `PING` (with `+PONG`, or `-NOAUTH` when a password
/// is required).
fn answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = [0u8; 1];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && (reply[0] == b'+' || reply[0] == b'-')
}

#[test]
#[ignore = "needs a live Redis: source .ci/redis.sh, then cargo test --all-features --test redis -- --ignored"]
fn two_instances_race_on_10_000_tokens_each_accepted_once() {
    let url = redis_url();
    let prefix = unique_prefix("race");
    // Two guards with their own connections, as two instances behind a load balancer have.
    let guards: Vec<Arc<RedisReplayGuard>> = (0..2)
        .map(|_| {
            Arc::new(
                RedisReplayGuard::builder(url.as_str())
                    .prefix(prefix.as_str())
                    .pool_size(2)
                    .timeout(Duration::from_secs(5))
                    .build()
                    .unwrap(),
            )
        })
        .collect();
    const TOKENS: usize = 10_000;
    const THREADS: usize = 4;
    let accepted: Arc<Vec<AtomicUsize>> =
        Arc::new((0..TOKENS).map(|_| AtomicUsize::new(0)).collect());
    let barrier = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let guard = guards[t % 2].clone();
            let (accepted, barrier) = (accepted.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let mut replays = 0;
                for i in 0..TOKENS {
                    let jti = format!("jti-{i:05}");
                    match guard.check_and_insert(&entry(ISSUER, PLUGIN, &jti)) {
                        Ok(()) => {
                            accepted[i].fetch_add(1, Ordering::SeqCst);
                        }
                        Err(ReplayError::Replayed) => replays += 1,
                        Err(other) => panic!("jti {jti}: {other}"),
                    }
                }
                replays
            })
        })
        .collect();
    let replays: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let counts: Vec<usize> = accepted.iter().map(|a| a.load(Ordering::SeqCst)).collect();
    let wrong: Vec<_> = counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c != 1)
        .take(5)
        .collect();
    assert!(wrong.is_empty(), "jti accepted other than once: {wrong:?}");
    assert_eq!(replays, TOKENS * (THREADS - 1));
}

#[test]
#[ignore = "needs a live Redis: source .ci/redis.sh, then cargo test --all-features --test redis -- --ignored"]
fn two_verifiers_on_one_redis_accept_a_token_once() {
    let url = redis_url();
    let flow = Flow::new();
    let guard_on = |prefix: &str| {
        RedisReplayGuard::builder(url.as_str())
            .prefix(prefix)
            .build()
            .unwrap()
    };
    let shared = unique_prefix("instances");
    let build = || guard_on(&shared);
    let a = flow.verifier(Arc::new(build()));
    let b = flow.verifier(Arc::new(build()));
    let token = flow.mint();
    assert!(a.verify(token.token()).is_ok());
    assert_eq!(code(b.verify(token.token())), "replayed");
    assert_eq!(code(a.verify(token.token())), "replayed");
    // An instance on another prefix (another deployment on the same Redis) is independent.
    let c = flow.verifier(Arc::new(guard_on(&unique_prefix("instances-other"))));
    assert!(c.verify(token.token()).is_ok());
}

#[test]
#[ignore = "needs a live Redis: source .ci/redis.sh, then cargo test --all-features --test redis -- --ignored"]
fn namespaces_are_independent() {
    let url = redis_url();
    let prefix = unique_prefix("ns");
    let guard = RedisReplayGuard::builder(url.as_str())
        .prefix(prefix.as_str())
        .build()
        .unwrap();
    let jti = "AAAAAAAAAAAAAAAAAAAAAA";
    assert_eq!(guard.check_and_insert(&entry(ISSUER, PLUGIN, jti)), Ok(()));
    assert_eq!(
        guard.check_and_insert(&entry(ISSUER, PLUGIN, jti)),
        Err(ReplayError::Replayed)
    );
    // The same jti from another issuer, for another plugin, or under another prefix is new.
    assert_eq!(
        guard.check_and_insert(&entry(ISSUER, "boletos", jti)),
        Ok(())
    );
    assert_eq!(
        guard.check_and_insert(&entry("https://other.portal", PLUGIN, jti)),
        Ok(())
    );
    let other_prefix = RedisReplayGuard::builder(url.as_str())
        .prefix(format!("{prefix}other:"))
        .build()
        .unwrap();
    assert_eq!(
        other_prefix.check_and_insert(&entry(ISSUER, PLUGIN, jti)),
        Ok(())
    );
    // Issuers contain ':'; moving it between issuer and audience must not collide.
    assert_eq!(guard.check_and_insert(&entry("https:x", "y", jti)), Ok(()));
    assert_eq!(guard.check_and_insert(&entry("https", "x:y", jti)), Ok(()));
    assert_eq!(
        guard.check_and_insert(&entry("https", "x:y", jti)),
        Err(ReplayError::Replayed)
    );
}

#[test]
#[ignore = "needs a live Redis: source .ci/redis.sh, then cargo test --all-features --test redis -- --ignored"]
fn keys_live_until_exp_plus_leeway_plus_margin() {
    let url = redis_url();
    let guard = Arc::new(
        RedisReplayGuard::builder(url.as_str())
            .prefix(unique_prefix("ttl"))
            .skew_margin(Duration::from_secs(60))
            .build()
            .unwrap(),
    );
    let flow = Flow::new();
    let verifier = flow.verifier(guard.clone());
    let token = flow.mint();
    let claims = verifier.verify(token.token()).unwrap();
    let key = guard.key_for(&ReplayEntry::new(
        ISSUER,
        PLUGIN,
        claims.token_id().as_str(),
        0,
        0,
    ));
    // exp = NOW + 30, leeway 30 s, margin 60 s: 120 s from the verifier's `now`.
    let expected = (claims.expires_at() + 30 - NOW + 60) * 1000;
    let ttl = pttl(&url, &key);
    assert!(
        ttl <= expected && ttl > expected - 5_000,
        "PTTL {ttl}, expected about {expected}"
    );
    // An entry already past its expiry (never asked by the verifier) still lives a second.
    let now = SystemClock.now_unix();
    let late = entry_until(ISSUER, PLUGIN, "late-jti", now - 10);
    let strict = RedisReplayGuard::builder(url.as_str())
        .prefix(unique_prefix("ttl-min"))
        .skew_margin(Duration::ZERO)
        .build()
        .unwrap();
    assert_eq!(strict.check_and_insert(&late), Ok(()));
    let ttl = pttl(&url, &strict.key_for(&late));
    assert!(ttl > 0 && ttl <= 1000, "PTTL {ttl}");
    assert_eq!(strict.check_and_insert(&late), Err(ReplayError::Replayed));
}

#[test]
#[ignore = "needs a live Redis: source .ci/redis.sh, then cargo test --all-features --test redis -- --ignored"]
fn a_token_whose_entry_expired_is_rejected_as_expired_before_the_guard_is_asked() {
    let url = redis_url();
    let redis_guard = RedisReplayGuard::builder(url.as_str())
        .prefix(unique_prefix("expiry"))
        .skew_margin(Duration::ZERO)
        .build()
        .unwrap();

    // The guard alone forgets an entry at `expires_at`.
    let now = SystemClock.now_unix();
    let short = entry_until(ISSUER, PLUGIN, "short-lived", now + 1);
    assert_eq!(redis_guard.check_and_insert(&short), Ok(()));
    assert_eq!(
        redis_guard.check_and_insert(&short),
        Err(ReplayError::Replayed)
    );
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(
        redis_guard.check_and_insert(&short),
        Ok(()),
        "the key should have expired"
    );

    // Through the verifier: accepted in the last second of its validity (exp + leeway - 1)...
    let guard = Arc::new(Counting {
        inner: redis_guard,
        calls: AtomicUsize::new(0),
    });
    let flow = Flow::new();
    let verifier = flow.verifier(guard.clone());
    let token = flow.mint();
    let valid_until = token.claims().expires_at() + 30;
    flow.clock.set(valid_until - 1);
    assert!(verifier.verify(token.token()).is_ok());
    assert_eq!(code(verifier.verify(token.token())), "replayed");
    assert_eq!(guard.calls.load(Ordering::SeqCst), 2);

    // ...its key expires a second later (wait for Redis to drop it)...
    let key = guard.inner.key_for(&ReplayEntry::new(
        ISSUER,
        PLUGIN,
        token.claims().token_id().as_str(),
        0,
        0,
    ));
    let deadline = Instant::now() + Duration::from_secs(5);
    while pttl(&url, &key) != -2 {
        assert!(Instant::now() < deadline, "the key did not expire");
        std::thread::sleep(Duration::from_millis(50));
    }

    // ...and by then the token is expired: rejected as such, the guard not even asked.
    flow.clock.set(valid_until);
    assert_eq!(code(verifier.verify(token.token())), "expired");
    assert_eq!(guard.calls.load(Ordering::SeqCst), 2);
}

#[test]
#[ignore = "needs a live Redis: source .ci/redis.sh, then cargo test --all-features --test redis -- --ignored"]
fn stopping_redis_fails_closed_and_a_restart_recovers_with_the_same_guard() {
    let bin = server_bin();
    let mut server = OwnServer::start(&bin, &[]);
    let timeout = Duration::from_millis(300);
    let guard = Arc::new(
        RedisReplayGuard::builder(server.url())
            .timeout(timeout)
            .pool_size(2)
            .build()
            .unwrap(),
    );
    let flow = Flow::new();
    let verifier = flow.verifier(guard.clone());
    let before = flow.mint();
    assert!(verifier.verify(before.token()).is_ok());

    server.stop();
    // Every verification while Redis is down fails closed, with its own code, within the timeout.
    // The first finds the pooled connection closed, sends once more on a new one and is refused
    // like the others: the cause is the refused connection, not the stale one.
    let mut refused = Vec::new();
    for _ in 0..20 {
        let token = flow.mint();
        let start = Instant::now();
        let result = verifier.verify(token.token());
        let elapsed = start.elapsed();
        assert!(elapsed < timeout + SLACK, "took {elapsed:?}");
        match result {
            Err(VerifyError::ReplayStoreUnavailable { failure, .. }) => {
                assert_eq!(failure.operation(), "connect");
                assert_eq!(failure.cause().kind(), "connection_refused");
            }
            other => panic!("expected replay_store_unavailable, got {other:?}"),
        }
        refused.push(token);
    }
    assert_eq!(kind(guard.ping()), ("connect", "connection_refused"));

    server.restart();
    // The same guard works again. Tokens refused during the outage were never recorded: each
    // verifies now, once.
    for token in &refused {
        assert!(verifier.verify(token.token()).is_ok());
        assert_eq!(code(verifier.verify(token.token())), "replayed");
    }

    // A restart between two calls (no failed call in between) leaves closed connections in the
    // pool: the guard notices and reconnects within the same call.
    server.restart();
    for _ in 0..3 {
        assert!(verifier.verify(flow.mint().token()).is_ok());
    }
    assert_eq!(guard.ping(), Ok(()));
}

#[test]
fn a_server_that_never_answers_fails_closed_within_the_timeout() {
    // Accepts connections (the kernel completes the handshake) but never replies.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let timeout = Duration::from_millis(200);
    let guard = Arc::new(
        RedisReplayGuard::builder(format!("redis://127.0.0.1:{port}/0"))
            .timeout(timeout)
            .pool_size(1)
            .build()
            .unwrap(),
    );
    // Three calls at once on one connection: the ones waiting for it share the same bound.
    let barrier = Arc::new(Barrier::new(3));
    let threads: Vec<_> = (0..3)
        .map(|i| {
            let (guard, barrier) = (guard.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let jti = format!("hung-{i}");
                let start = Instant::now();
                let failure = unavailable(guard.check_and_insert(&entry(ISSUER, PLUGIN, &jti)));
                (failure, start.elapsed())
            })
        })
        .collect();
    let mut kinds = Vec::new();
    for thread in threads {
        let (failure, elapsed) = thread.join().unwrap();
        assert!(elapsed < timeout + SLACK, "took {elapsed:?}: {failure}");
        // Under load the deadline may pass while the connection is still being opened.
        assert!(
            ["SET", "connect"].contains(&failure.operation()),
            "{failure}"
        );
        kinds.push(failure.cause().kind());
    }
    // The one holding the connection timed out; the others timed out too, or found no free
    // connection before the deadline.
    assert!(kinds.contains(&"timeout"), "{kinds:?}");
    assert!(
        kinds
            .iter()
            .all(|k| ["timeout", "pool_exhausted"].contains(k)),
        "{kinds:?}"
    );
    // A new connection's AUTH and SELECT share the call's deadline too.
    let with_handshake =
        RedisReplayGuard::builder(format!("redis://:{PASSWORD}@127.0.0.1:{port}/3"))
            .timeout(timeout)
            .build()
            .unwrap();
    let start = Instant::now();
    let failure = unavailable(with_handshake.check_and_insert(&entry(ISSUER, PLUGIN, "hs")));
    let elapsed = start.elapsed();
    assert!(elapsed < timeout + SLACK, "took {elapsed:?}: {failure}");
    assert_eq!(
        (failure.operation(), failure.cause().kind()),
        ("AUTH", "timeout")
    );
    assert_eq!(failure.to_string(), "AUTH: timed out");
    // `connect` gives up the same way.
    let start = Instant::now();
    let error = RedisReplayGuard::connect(format!("redis://127.0.0.1:{port}/0")).unwrap_err();
    assert!(
        start.elapsed() < DEFAULT_TIMEOUT + SLACK,
        "took {:?}",
        start.elapsed()
    );
    match &error {
        RedisGuardError::Unavailable { failure } => {
            assert_eq!(
                (failure.operation(), failure.cause().kind()),
                ("PING", "timeout")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(error.code(), "redis_unavailable");
    drop(listener);
    // Nothing listens now: refused at once, same code through the verifier.
    let flow = Flow::new();
    let verifier = flow.verifier(guard);
    assert_eq!(
        code(verifier.verify(flow.mint().token())),
        "replay_store_unavailable"
    );
}

#[test]
fn a_closed_port_or_a_missing_socket_is_a_refused_connection() {
    let port = free_port();
    let url = with_password(&format!("redis://127.0.0.1:{port}/0"), PASSWORD);
    let guard = RedisReplayGuard::builder(url.as_str()).build().unwrap();
    let start = Instant::now();
    let result = guard.check_and_insert(&entry(ISSUER, PLUGIN, "closed"));
    assert!(
        start.elapsed() < DEFAULT_TIMEOUT,
        "took {:?}",
        start.elapsed()
    );
    let failure = unavailable(result);
    assert_eq!(failure.operation(), "connect");
    assert_eq!(failure.cause().kind(), "connection_refused");
    assert_eq!(failure.to_string(), "connect: connection refused");
    assert_no_secret(&format!("{failure} {failure:?}"));

    // At start-up: `connect` says so with its own code.
    let error = RedisReplayGuard::connect(url.as_str()).unwrap_err();
    assert_eq!(error.code(), "redis_unavailable");
    let RedisGuardError::Unavailable { failure } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(failure.cause().kind(), "connection_refused");
    assert_no_secret(&format!("{error} {error:?}"));

    // Through the verifier: fails closed, with the cause kept.
    let flow = Flow::new();
    match flow.verifier(Arc::new(guard)).verify(flow.mint().token()) {
        Err(error @ VerifyError::ReplayStoreUnavailable { .. }) => {
            assert_no_secret(&format!("{error} {error:?}"));
            let VerifyError::ReplayStoreUnavailable { failure, .. } = error else {
                unreachable!()
            };
            assert_eq!(failure.cause().kind(), "connection_refused");
        }
        other => panic!("expected replay_store_unavailable, got {other:?}"),
    }

    // A Unix socket that does not exist is refused the same way.
    let dir = std::env::temp_dir().join(unique_prefix("no-socket").replace(':', "-"));
    let socket = format!(
        "redis+unix://{}/redis.sock?db=0&pass={PASSWORD}",
        dir.display()
    );
    let guard = RedisReplayGuard::builder(socket).build().unwrap();
    assert_eq!(kind(guard.ping()), ("connect", "connection_refused"));
}

/// A loopback server that answers each connection's first read with `reply` (nothing if empty)
/// and hangs up; it stops when the test process ends.
fn fake_server(reply: &'static [u8]) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            if !reply.is_empty() {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let _ = stream.write_all(reply);
            }
        }
    });
    port
}

#[test]
fn a_server_that_hangs_up_or_answers_nonsense_fails_closed_with_its_kind() {
    let guard_at = |port: u16, password: Option<&str>| {
        let url = format!("redis://127.0.0.1:{port}/0");
        let url = match password {
            Some(password) => with_password(&url, password),
            None => url,
        };
        RedisReplayGuard::builder(url).build().unwrap()
    };
    let present = |guard: &RedisReplayGuard| guard.check_and_insert(&entry(ISSUER, PLUGIN, "x"));

    // Accepts, then closes without a word.
    let guard = guard_at(fake_server(b""), None);
    assert_eq!(kind(present(&guard)), ("SET", "connection_closed"));
    // Not Redis at all (an HTTP server, say).
    let http = fake_server(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(
        kind(present(&guard_at(http, None))),
        ("SET", "unexpected_reply")
    );
    // A reply of the wrong type to SET, and to AUTH.
    let integer = fake_server(b":1\r\n");
    assert_eq!(
        kind(present(&guard_at(integer, None))),
        ("SET", "unexpected_reply")
    );
    assert_eq!(
        kind(present(&guard_at(integer, Some(PASSWORD)))),
        ("AUTH", "unexpected_reply")
    );
    // An error reply that reflects the password as its "code" is not echoed.
    let reflecting = fake_server(b"-Sup3r-s3cret-pa55word rejected\r\n");
    let failure = unavailable(present(&guard_at(reflecting, Some(PASSWORD))));
    assert_eq!(
        (failure.operation(), failure.cause().kind()),
        ("AUTH", "unexpected_reply")
    );
    assert_no_secret(&format!("{failure} {failure:?}"));
    // A Redis error reply keeps its code, bounded to the code alone.
    let oom = fake_server(b"-OOM command not allowed when used memory > 'maxmemory'.\r\n");
    let failure = unavailable(present(&guard_at(oom, None)));
    assert_eq!(failure.cause().kind(), "server_error");
    assert_eq!(failure.to_string(), "SET: server error \"OOM\"");
}

#[test]
fn the_password_never_appears_in_debug_display_or_errors() {
    // Configuration: the builder, the guard and URL errors.
    let url = with_password("redis://127.0.0.1:1/0", PASSWORD);
    let builder = RedisReplayGuard::builder(url.as_str());
    let shown = format!("{builder:?}");
    assert!(!shown.contains(PASSWORD), "{shown}");
    let guard = builder.build().unwrap();
    for shown in [format!("{guard:?}"), guard.to_string()] {
        assert!(!shown.contains(PASSWORD), "{shown}");
        assert!(shown.contains("127.0.0.1:1"), "{shown}");
    }
    for bad in [
        with_password("redis://127.0.0.1:6379/zero", PASSWORD),
        format!("redis://:{PASSWORD}@127.0.0.1/0#insecure"),
        format!("redis+unix:///run/redis.sock?pass={PASSWORD}&protocol=9"),
        format!("http://:{PASSWORD}@127.0.0.1/0"),
        format!("redis://:{PASSWORD}@0.0.0.0/0"),
    ] {
        let error: RedisGuardError = RedisReplayGuard::builder(bad).build().unwrap_err();
        assert_no_secret(&format!("{error} {error:?}"));
    }
    // Unreachable server: the reason and the verifier's error.
    let reason = unavailable_reason(guard.check_and_insert(&entry(ISSUER, PLUGIN, "j")));
    assert_no_secret(&reason);
    let flow = Flow::new();
    let error = flow
        .verifier(Arc::new(guard))
        .verify(flow.mint().token())
        .unwrap_err();
    assert_eq!(error.code(), "replay_store_unavailable");
    assert_no_secret(&format!("{error} {error:?}"));
}

#[test]
fn a_configured_redis_answers_and_ci_configures_one() {
    // Not ignored: wherever a server is configured (CI), it must answer, so the live tests
    // cannot be lost to a server that did not start. Without one (a developer's machine) the
    // live tests show as ignored and this passes, except under `CI`.
    let Some(url) = std::env::var("CV_REDIS_URL").ok().filter(|u| !u.is_empty()) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but CV_REDIS_URL is not: .ci/run sources .ci/redis.sh, which starts \
             redis-server and exports it"
        );
        return;
    };
    let guard = RedisReplayGuard::builder(url.as_str())
        .timeout(Duration::from_secs(2))
        .build()
        .expect("CV_REDIS_URL is a Redis URL");
    if let Err(error) = guard.ping() {
        panic!("the Redis server at CV_REDIS_URL does not answer: {error}");
    }
    // The tests that run their own server need the binary.
    server_bin();
}

#[test]
#[ignore = "needs a live Redis: source .ci/redis.sh, then cargo test --all-features --test redis -- --ignored"]
fn many_threads_share_a_small_pool() {
    let url = redis_url();
    let guard = Arc::new(
        RedisReplayGuard::builder(url.as_str())
            .prefix(unique_prefix("pool"))
            .pool_size(2)
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap(),
    );
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let guard = guard.clone();
            std::thread::spawn(move || {
                for i in 0..200 {
                    let jti = format!("t{t}-{i}");
                    assert_eq!(guard.check_and_insert(&entry(ISSUER, PLUGIN, &jti)), Ok(()));
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(guard.ping(), Ok(()));
}

/// Runs `args` as one command on `conn`, which must answer `OK`.
fn admin(conn: &mut redis::Connection, args: &[&str]) {
    let mut cmd = redis::cmd(args[0]);
    for arg in &args[1..] {
        cmd.arg(*arg);
    }
    let () = cmd.query(conn).unwrap_or_else(|e| panic!("{args:?}: {e}"));
}

#[test]
#[ignore = "needs a live Redis: source .ci/redis.sh, then cargo test --all-features --test redis -- --ignored"]
fn real_failures_are_classified_by_kind_without_secrets() {
    const READER_PASSWORD: &str = "r3ader-pa55word";
    let bin = server_bin();
    let server = OwnServer::start(&bin, &["--requirepass", PASSWORD]);
    let mut admin_conn = raw_connection(&with_password(&server.url(), PASSWORD));
    let texts = std::cell::RefCell::new(Vec::new());
    let mut n = 0;
    // The operation and kind of a first call through a new guard on `url`, with its texts kept.
    let mut classify = |url: &str| {
        n += 1;
        let guard = RedisReplayGuard::builder(url).build().unwrap();
        let jti = format!("classify-{n}");
        let failure = unavailable(guard.check_and_insert(&entry(ISSUER, PLUGIN, &jti)));
        texts.borrow_mut().push(format!("{failure} {failure:?}"));
        (
            failure.operation(),
            failure.cause().kind(),
            failure.to_string(),
        )
    };
    let right = with_password(&server.url(), PASSWORD);

    // The right password works.
    let guard = RedisReplayGuard::connect(right.as_str()).unwrap();
    assert_eq!(guard.check_and_insert(&entry(ISSUER, PLUGIN, "ok")), Ok(()));

    // Wrong password (WRONGPASS), no password (NOAUTH), an unknown user (WRONGPASS).
    let wrong = with_password(&server.url(), "wrong-password");
    let (what, kind, _) = classify(&wrong);
    assert_eq!((what, kind), ("AUTH", "authentication_failed"));
    let (what, kind, _) = classify(&server.url());
    assert_eq!((what, kind), ("SET", "authentication_failed"));
    let mut unknown_user = url::Url::parse(&right).unwrap();
    unknown_user.set_username("nobody").unwrap();
    let (what, kind, _) = classify(unknown_user.as_str());
    assert_eq!((what, kind), ("AUTH", "authentication_failed"));
    // At start-up, `connect` refuses the wrong password with its own code.
    let error = RedisReplayGuard::connect(wrong.as_str()).unwrap_err();
    assert_eq!(error.code(), "redis_unavailable");
    let RedisGuardError::Unavailable { failure } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(failure.cause().kind(), "authentication_failed");
    texts.borrow_mut().push(format!("{error} {error:?}"));

    // An ACL user whose credentials are accepted but who may not SET: the server's code.
    admin(
        &mut admin_conn,
        &[
            "ACL",
            "SETUSER",
            "reader",
            "on",
            &format!(">{READER_PASSWORD}"),
            "~*",
            "+@read",
            "+ping",
        ],
    );
    let mut reader = url::Url::parse(&with_password(&server.url(), READER_PASSWORD)).unwrap();
    reader.set_username("reader").unwrap();
    let (what, kind, text) = classify(reader.as_str());
    assert_eq!((what, kind), ("SET", "server_error"));
    assert_eq!(text, "SET: server error \"NOPERM\"");

    // A database the server does not have.
    let (what, kind, text) = classify(&format!("{}/99", right.strip_suffix("/0").unwrap()));
    assert_eq!((what, kind), ("SELECT", "server_error"));
    assert_eq!(text, "SELECT: server error \"ERR\"");

    // A full Redis that may not evict: OOM, and the token is refused, never accepted.
    admin(
        &mut admin_conn,
        &["CONFIG", "SET", "maxmemory-policy", "noeviction"],
    );
    admin(&mut admin_conn, &["CONFIG", "SET", "maxmemory", "1"]);
    let (what, kind, text) = classify(&right);
    admin(&mut admin_conn, &["CONFIG", "SET", "maxmemory", "0"]);
    assert_eq!((what, kind), ("SET", "server_error"));
    assert_eq!(text, "SET: server error \"OOM\"");

    // A replica (its primary unreachable): READONLY.
    let primary = free_port().to_string();
    admin(&mut admin_conn, &["REPLICAOF", "127.0.0.1", &primary]);
    let (what, kind, text) = classify(&right);
    admin(&mut admin_conn, &["REPLICAOF", "NO", "ONE"]);
    assert_eq!((what, kind), ("SET", "server_error"));
    assert_eq!(text, "SET: server error \"READONLY\"");

    // A password sent to a server that has none is a configuration error of the credentials.
    admin(&mut admin_conn, &["CONFIG", "SET", "requirepass", ""]);
    let (what, kind, _) = classify(&right);
    assert_eq!((what, kind), ("AUTH", "authentication_failed"));
    // ...and without it, the same server accepts the token.
    let open = RedisReplayGuard::connect(server.url()).unwrap();
    assert_eq!(
        open.check_and_insert(&entry(ISSUER, PLUGIN, "open")),
        Ok(())
    );

    for text in texts.borrow().iter() {
        assert_no_secret(text);
        assert!(!text.contains(READER_PASSWORD), "{text}");
        assert!(!text.contains("reader"), "{text}");
    }
}

#[cfg(feature = "redis-tls")]
mod tls {
    use super::*;
    #[cfg(feature = "redis-async")]
    use cv_portal_plugin::replay::AsyncReplayGuard;

    /// What the application does at start-up before building a `rediss://` guard: the guard
    /// never fills rustls's process-wide provider slot itself.
    fn app_installs_a_tls_provider() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }

    /// Set in the child process that trusts the test CA: the URL of the TLS server.
    const CHILD_URL: &str = "CV_REDIS_TLS_CHILD_URL";
    const NAME: &str = "tls::rediss_verifies_the_server_certificate";

    /// A scratch directory removed when dropped.
    struct Scratch(PathBuf);

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn openssl() -> &'static str {
        let works = Command::new("openssl")
            .arg("version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !works {
            missing("openssl (for the test certificates)");
        }
        "openssl"
    }

    /// A P-256 CA and a server certificate for 127.0.0.1 signed by it.
    fn make_certs(openssl: &str, dir: &Path) {
        let run = |args: &[&str]| {
            let status = Command::new(openssl)
                .args(args)
                .current_dir(dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert!(status.success(), "openssl {args:?}");
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        run(&[
            &["req", "-x509"],
            &ec[..],
            &["-days", "2", "-subj", "/CN=cvpp test CA"],
        ]
        .concat()
        .iter()
        .chain(&["-keyout", "ca.key", "-out", "ca.pem"])
        .copied()
        .collect::<Vec<_>>());
        run(&[&["req"], &ec[..], &["-subj", "/CN=127.0.0.1"]]
            .concat()
            .iter()
            .chain(&["-keyout", "server.key", "-out", "server.csr"])
            .copied()
            .collect::<Vec<_>>());
        std::fs::write(
            dir.join("server.ext"),
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n",
        )
        .unwrap();
        run(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            "server.pem",
            "-extfile",
            "server.ext",
        ]);
    }

    #[test]
    #[ignore = "needs a live Redis: source .ci/redis.sh, then cargo test --all-features --test redis -- --ignored"]
    fn rediss_verifies_the_server_certificate() {
        app_installs_a_tls_provider();
        if let Ok(url) = std::env::var(CHILD_URL) {
            // The child: SSL_CERT_FILE makes the test CA its only root, so the server verifies.
            let guard = RedisReplayGuard::connect(url.as_str()).unwrap();
            assert_eq!(
                guard.check_and_insert(&entry(ISSUER, PLUGIN, "tls")),
                Ok(())
            );
            assert_eq!(
                guard.check_and_insert(&entry(ISSUER, PLUGIN, "tls")),
                Err(ReplayError::Replayed)
            );
            #[cfg(feature = "redis-async")]
            async_guard_over_tls(&url);
            return;
        }
        let bin = server_bin();
        let openssl = openssl();
        let dir = Scratch(std::env::temp_dir().join(unique_prefix("tls").replace(':', "-")));
        std::fs::create_dir_all(&dir.0).unwrap();
        make_certs(openssl, &dir.0);
        let server = OwnServer::start_tls(&bin, &dir.0);

        // This process trusts the system roots only: the test CA's certificate is refused and
        // the call fails closed.
        let guard = RedisReplayGuard::builder(server.url()).build().unwrap();
        let failure = unavailable(guard.check_and_insert(&entry(ISSUER, PLUGIN, "tls")));
        assert_eq!(failure.cause().kind(), "io_error", "{failure}");
        assert!(
            failure.to_string().contains("invalid peer certificate"),
            "{failure}"
        );
        assert_no_secret(&format!("{failure} {failure:?}"));
        #[cfg(feature = "redis-async")]
        {
            // The async guard, too, refuses the test CA's certificate and fails closed.
            let guard = cv_portal_plugin::AsyncRedisReplayGuard::builder(server.url())
                .build()
                .unwrap();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let failure = unavailable(runtime.block_on(AsyncReplayGuard::check_and_insert(
                &guard,
                &entry(ISSUER, PLUGIN, "tls-async"),
            )));
            assert_eq!(failure.cause().kind(), "io_error", "{failure}");
            assert_no_secret(&format!("{failure} {failure:?}"));
        }
        // Plain RESP to the TLS port: the server gives up on the handshake and hangs up.
        let plain = with_password(&server.url().replacen("rediss:", "redis:", 1), PASSWORD);
        let guard = RedisReplayGuard::builder(plain).build().unwrap();
        let failure = unavailable(guard.check_and_insert(&entry(ISSUER, PLUGIN, "plain")));
        assert_eq!(
            (failure.operation(), failure.cause().kind()),
            ("AUTH", "connection_closed")
        );
        assert_no_secret(&format!("{failure} {failure:?}"));

        // A child process of this test binary that trusts the test CA gets through.
        let output = Command::new(std::env::current_exe().unwrap())
            .args([NAME, "--exact", "--nocapture", "--include-ignored"])
            .env(CHILD_URL, server.url())
            .env("SSL_CERT_FILE", dir.0.join("ca.pem"))
            .env_remove("SSL_CERT_DIR")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "child: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// In the child that trusts the test CA: the async guard over `rediss://` shares the store
    /// the blocking guard wrote (same server, database and prefix).
    #[cfg(feature = "redis-async")]
    fn async_guard_over_tls(url: &str) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let guard = cv_portal_plugin::AsyncRedisReplayGuard::connect(url)
                .await
                .unwrap();
            let guard = &guard;
            let ask = |jti| async move {
                AsyncReplayGuard::check_and_insert(guard, &entry(ISSUER, PLUGIN, jti)).await
            };
            assert_eq!(ask("tls").await, Err(ReplayError::Replayed));
            assert_eq!(ask("tls-async").await, Ok(()));
            assert_eq!(ask("tls-async").await, Err(ReplayError::Replayed));
        });
    }

    #[test]
    #[ignore = "needs a live Redis: source .ci/redis.sh, then cargo test --all-features --test redis -- --ignored"]
    fn rediss_to_a_plain_port_fails_closed() {
        app_installs_a_tls_provider();
        // TLS spoken to a server that does not speak it: the handshake fails, the call fails
        // closed, and the message names neither the URL nor the password.
        let mut url = url::Url::parse(&redis_url()).unwrap();
        url.set_scheme("rediss").unwrap();
        url.set_password(Some(PASSWORD)).unwrap();
        let guard = RedisReplayGuard::builder(url.as_str()).build().unwrap();
        let start = Instant::now();
        let failure = unavailable(guard.check_and_insert(&entry(ISSUER, PLUGIN, "plain")));
        assert!(
            start.elapsed() < DEFAULT_TIMEOUT + SLACK,
            "took {:?}",
            start.elapsed()
        );
        // Redis reads the ClientHello as the start of an inline command whose end never comes
        // (it looks for a newline as a C string, and the record header holds a NUL byte).
        assert_eq!(
            (failure.operation(), failure.cause().kind()),
            ("AUTH", "timeout")
        );
        assert_no_secret(&format!("{failure} {failure:?}"));
    }
}
