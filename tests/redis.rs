//! The Redis replay guard (issue #7) against real `redis-server` processes: single use across
//! instances, expiry ordering, failing closed while Redis is down, recovery after a restart, and
//! no password in any output.
//!
//! The shared server comes from `CV_REDIS_URL` (`source .ci/redis.sh` starts one). Tests that stop
//! or reconfigure a server start their own on a free loopback port, with `CV_REDIS_SERVER_BIN` or
//! the `redis-server` on `PATH`. Without them a test is skipped with a message, except when `CI` is
//! set: then it fails.
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
use cv_portal_plugin::replay::redis::{RedisGuardError, RedisReplayGuard};
use cv_portal_plugin::{
    Algorithm, Clock, FixedClock, Issuer, LaunchToken, ReplayEntry, ReplayError, ReplayGuard, Role,
    SigningKey, SystemClock, Verifier, VerifyError,
};

/// A password that must never appear in any output.
const PASSWORD: &str = "Sup3r-s3cret-pa55word";

/// How far past the configured timeout a failing call may return on a loaded 2-core machine.
/// The property tested is "bounded by the timeout, not by the network": a hung server would
/// otherwise block for the kernel's TCP timeouts (minutes).
const SLACK: Duration = Duration::from_millis(900);

fn missing(what: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{what} is required in CI: .ci/run sources .ci/redis.sh, which starts redis-server");
    }
    // Straight to stderr: the test harness would capture `eprintln!` and never show it.
    let _ = writeln!(
        std::io::stderr(),
        "skipping: {what} is not available; run `source .ci/redis.sh` first"
    );
}

/// The shared server's URL, or `None` (after a skip message) outside CI.
fn redis_url() -> Option<String> {
    match std::env::var("CV_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            missing("CV_REDIS_URL (a running redis-server)");
            None
        }
    }
}

/// The `redis-server` binary for tests that run their own server.
fn server_bin() -> Option<String> {
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
    if works {
        Some(bin)
    } else {
        missing("redis-server (CV_REDIS_SERVER_BIN or PATH)");
        None
    }
}

macro_rules! require {
    ($option:expr) => {
        match $option {
            Some(value) => value,
            None => return,
        }
    };
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

fn unavailable_reason(result: Result<(), ReplayError>) -> String {
    match result {
        Err(ReplayError::Unavailable(failure)) => failure.to_string(),
        other => panic!("expected the store to be unavailable, got {other:?}"),
    }
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
fn two_instances_race_on_10_000_tokens_each_accepted_once() {
    let url = require!(redis_url());
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
fn two_verifiers_on_one_redis_accept_a_token_once() {
    let url = require!(redis_url());
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
fn namespaces_are_independent() {
    let url = require!(redis_url());
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
fn keys_live_until_exp_plus_leeway_plus_margin() {
    let url = require!(redis_url());
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
fn a_token_whose_entry_expired_is_rejected_as_expired_before_the_guard_is_asked() {
    let url = require!(redis_url());
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
fn stopping_redis_fails_closed_and_a_restart_recovers_with_the_same_guard() {
    let bin = require!(server_bin());
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
    let mut refused = Vec::new();
    for _ in 0..20 {
        let token = flow.mint();
        let start = Instant::now();
        let result = verifier.verify(token.token());
        let elapsed = start.elapsed();
        assert_eq!(code(result), "replay_store_unavailable");
        assert!(elapsed < timeout + SLACK, "took {elapsed:?}");
        refused.push(token);
    }
    assert!(matches!(guard.ping(), Err(ReplayError::Unavailable(_))));

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
                let reason =
                    unavailable_reason(guard.check_and_insert(&entry(ISSUER, PLUGIN, &jti)));
                (reason, start.elapsed())
            })
        })
        .collect();
    for thread in threads {
        let (reason, elapsed) = thread.join().unwrap();
        assert!(elapsed < timeout + SLACK, "took {elapsed:?}: {reason}");
        assert!(
            reason.contains("timed out") || reason.contains("no free connection"),
            "{reason}"
        );
    }
    // A new connection's AUTH and SELECT share the call's deadline too.
    let with_handshake =
        RedisReplayGuard::builder(format!("redis://:{PASSWORD}@127.0.0.1:{port}/3"))
            .timeout(timeout)
            .build()
            .unwrap();
    let start = Instant::now();
    let reason = unavailable_reason(with_handshake.check_and_insert(&entry(ISSUER, PLUGIN, "hs")));
    let elapsed = start.elapsed();
    assert!(elapsed < timeout + SLACK, "took {elapsed:?}: {reason}");
    assert_eq!(reason, "AUTH: timed out");
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
fn the_password_never_appears_in_debug_display_or_errors() {
    let url_with = |base: &str, password: &str| {
        let mut url = url::Url::parse(base).unwrap();
        url.set_password(Some(password)).unwrap();
        url.to_string()
    };
    let assert_clean = |text: &str| {
        assert!(!text.contains(PASSWORD), "password leaked: {text}");
        assert!(!text.contains("wrong-"), "password leaked: {text}");
    };

    // Configuration: the builder, the guard and URL errors.
    let url = url_with("redis://127.0.0.1:1/0", PASSWORD);
    let builder = RedisReplayGuard::builder(url.as_str());
    assert_clean(&format!("{builder:?}"));
    let guard = builder.build().unwrap();
    assert_clean(&format!("{guard:?}"));
    assert_clean(&guard.to_string());
    assert!(format!("{guard:?}").contains("127.0.0.1:1"));
    for bad in [
        url_with("redis://127.0.0.1:6379/zero", PASSWORD),
        format!("redis://:{PASSWORD}@127.0.0.1/0#insecure"),
        format!("redis+unix:///run/redis.sock?pass={PASSWORD}&protocol=9"),
        format!("http://:{PASSWORD}@127.0.0.1/0"),
        format!("redis://:{PASSWORD}@0.0.0.0/0"),
    ] {
        let error: RedisGuardError = RedisReplayGuard::builder(bad).build().unwrap_err();
        assert_clean(&format!("{error} {error:?}"));
    }
    // Unreachable server: the reason and the verifier's error.
    let reason = unavailable_reason(guard.check_and_insert(&entry(ISSUER, PLUGIN, "j")));
    assert_clean(&reason);
    let flow = Flow::new();
    let error = flow
        .verifier(Arc::new(guard))
        .verify(flow.mint().token())
        .unwrap_err();
    assert_eq!(error.code(), "replay_store_unavailable");
    assert_clean(&format!("{error} {error:?}"));

    // A server that requires the password: right, wrong and missing.
    let bin = require!(server_bin());
    let server = OwnServer::start(&bin, &["--requirepass", PASSWORD]);
    let right = RedisReplayGuard::connect(url_with(&server.url(), PASSWORD)).unwrap();
    assert_eq!(right.check_and_insert(&entry(ISSUER, PLUGIN, "j")), Ok(()));
    assert_clean(&format!("{right:?} {right}"));
    for url in [url_with(&server.url(), "wrong-password"), server.url()] {
        let error = RedisReplayGuard::connect(url.as_str()).unwrap_err();
        assert_eq!(error.code(), "replay_store_unavailable");
        assert_clean(&format!("{error} {error:?}"));
        let guard = RedisReplayGuard::builder(url.as_str()).build().unwrap();
        let reason = unavailable_reason(guard.check_and_insert(&entry(ISSUER, PLUGIN, "k")));
        assert_clean(&reason);
    }
}

#[test]
fn many_threads_share_a_small_pool() {
    let url = require!(redis_url());
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

#[cfg(feature = "redis-tls")]
mod tls {
    use super::*;

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

    fn openssl() -> Option<&'static str> {
        let works = Command::new("openssl")
            .arg("version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if works {
            Some("openssl")
        } else {
            missing("openssl (for the test certificates)");
            None
        }
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
    fn rediss_verifies_the_server_certificate() {
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
            return;
        }
        let bin = require!(server_bin());
        let openssl = require!(openssl());
        let dir = Scratch(std::env::temp_dir().join(unique_prefix("tls").replace(':', "-")));
        std::fs::create_dir_all(&dir.0).unwrap();
        make_certs(openssl, &dir.0);
        let server = OwnServer::start_tls(&bin, &dir.0);

        // This process trusts the system roots only: the test CA's certificate is refused and
        // the call fails closed.
        let guard = RedisReplayGuard::builder(server.url()).build().unwrap();
        let reason = unavailable_reason(guard.check_and_insert(&entry(ISSUER, PLUGIN, "tls")));
        assert!(reason.contains("invalid peer certificate"), "{reason}");

        // A child process of this test binary that trusts the test CA gets through.
        let output = Command::new(std::env::current_exe().unwrap())
            .args([NAME, "--exact", "--nocapture"])
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
}
