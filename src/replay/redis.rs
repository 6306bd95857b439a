//! A Redis-backed replay guard: single use across every instance of a vendor's service
//! (cargo feature `redis`; `rediss://` URLs need the feature `redis-tls`).
//!
//! Each accepted token costs one atomic `SET key 1 NX PX ttl` and one Redis key that expires on its
//! own when the token could no longer verify anyway, so Redis memory is bounded by live tokens.
//! Every call returns within the configured timeout and fails closed: if Redis cannot answer in
//! time, the token is rejected with `replay_store_unavailable`, never accepted.
//!
//! ```no_run
//! use std::sync::Arc;
//! use cv_portal_plugin::replay::redis::RedisReplayGuard;
//! use cv_portal_plugin::{FetchError, IssuerId, KeyCache, Verifier};
//!
//! # fn fetch_jwks() -> Result<String, FetchError> { unimplemented!() }
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = Arc::new(KeyCache::builder(fetch_jwks).build());
//! let verifier = Verifier::builder(IssuerId::new("https://portal.construtora.com.br")?, "financeiro".parse()?)
//!     .key_cache(keys)
//!     .replay_guard(Arc::new(RedisReplayGuard::connect("redis://:password@10.0.0.5:6379/0")?))
//!     .build()?;
//! # Ok(()) }
//! ```
//!
//! # Threads and async services
//!
//! The guard and the [`Verifier`](crate::Verifier) are `Send + Sync`: build one of each at start-up,
//! wrap the verifier in an `Arc` and call it from any thread. `verify` blocks the calling thread for
//! at most the guard's timeout (one loopback round trip is tens of microseconds). In a tokio service,
//! run it on the blocking pool so a slow Redis never stalls the runtime's worker threads:
//!
//! ```ignore
//! // `verifier: Arc<Verifier>`, `token: String` (tokio is the service's dependency, not ours)
//! let verifier = Arc::clone(&verifier);
//! let claims = tokio::task::spawn_blocking(move || verifier.verify(&token)).await??;
//! ```
//!
//! # Keys
//!
//! The key of `(iss, aud, jti)` is the prefix (default `cvpp:jti:`) followed by the unpadded
//! base64url SHA-256 of the three values, each preceded by its length: 43 bytes after the prefix
//! whatever the identifiers' lengths, and `("a:b", "c")` never meets `("a", "b:c")`.
//! [`RedisReplayGuard::key_for`] gives the key of an entry for inspection (`PTTL`, `DEL`).
//!
//! # Failure and recovery
//!
//! - Connections are opened lazily, at most [`pool_size`](RedisReplayGuardBuilder::pool_size) of
//!   them, and a connection that saw any error is dropped; the next call opens a new one. After a
//!   Redis restart the guard works again without being rebuilt.
//! - A pooled connection that the server closed while it was idle (a restart) is detected on use
//!   and the command is sent once more on a fresh connection, within the same deadline.
//! - The timeout covers waiting for a free connection, connecting (TCP, TLS, `AUTH`, `SELECT`)
//!   and the command. Host name resolution is the system resolver's and is not bounded by it, and
//!   a name with several addresses gets the time left once per address: give an IP address, or a
//!   name the local resolver answers at once with one address.
//!
//! # What a failure says
//!
//! A call that fails closed says why in a [`StoreFailure`]: the operation (`connect`, `AUTH`,
//! `SELECT`, `SET` or `PING`) and a [`StoreCause`] whose [`kind`](StoreCause::kind) is stable, for
//! logs and alerts. It never holds the URL, the password or the server's error text, only Redis'
//! error code. What each kind means here:
//!
//! | kind | typical cause |
//! |---|---|
//! | `connection_refused` | nothing listens on the port, or the Unix socket does not exist |
//! | `timeout` | no answer in time; also `rediss://` to a port without TLS (the server waits for the end of a command) |
//! | `pool_exhausted` | every connection stayed busy until the timeout |
//! | `connection_closed` | the server hung up; also `redis://` to a TLS-only port |
//! | `authentication_failed` | `WRONGPASS`, `NOAUTH`, or a password sent to a server that has none |
//! | `server_error` | another error reply, with its code: `OOM` (full under `noeviction`), `READONLY` (a replica), `NOPERM` (an ACL user without `SET` or the prefix's keys), ... |
//! | `io_error` | a network or TLS error, such as a certificate that is not trusted |
//! | `unexpected_reply` | something that is not a Redis reply, or not the one expected |
//!
//! # Running Redis for single use
//!
//! The guard is as good as the store's memory of accepted tokens. Keys must not be dropped before
//! they expire:
//!
//! - `maxmemory-policy noeviction` (Redis' default): a full Redis then refuses the `SET` (`OOM`)
//!   and verification fails closed. An evicting policy (`allkeys-lru`, `volatile-ttl`, ...) would
//!   silently forget accepted tokens, which could then be replayed.
//! - A restart without persistence, or a failover to a replica that had not yet received the
//!   latest writes (replication is asynchronous), forgets the tokens accepted just before: they
//!   could be presented once more until they expire (minutes). Turn on AOF
//!   (`appendonly yes`, `appendfsync everysec`: at most about a second lost) if that matters, and
//!   point every instance at the primary.
//! - All instances must use the same server, database and prefix.

use std::fmt;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use redis::{
    Client, Cmd, Connection, ConnectionLike as _, ErrorKind, RedisConnectionInfo, RedisError, Value,
};
use url::Url;

#[cfg(feature = "redis-async")]
pub use super::redis_async::{AsyncRedisReplayGuard, AsyncRedisReplayGuardBuilder};
use super::{ReplayEntry, ReplayError, ReplayGuard, StoreCause, StoreFailure};
use crate::b64;
use crate::quoted::Quoted;

/// The default key prefix: `cvpp:jti:`.
pub const DEFAULT_PREFIX: &str = "cvpp:jti:";
/// The default bound on one call (waiting for a connection, connecting, the command): 500 ms.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);
/// The longest accepted timeout: 30 s.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(30);
/// The default number of connections a guard may hold open: 4.
pub const DEFAULT_POOL_SIZE: usize = 4;
/// The largest accepted pool size: 256 connections.
pub const MAX_POOL_SIZE: usize = 256;
/// The default time a key is kept beyond `expires_at`, for clock differences between instances:
/// 60 s.
pub const DEFAULT_SKEW_MARGIN: Duration = Duration::from_secs(60);
/// The largest accepted skew margin: 1 hour.
pub const MAX_SKEW_MARGIN: Duration = Duration::from_secs(3600);
/// The longest accepted key prefix, in bytes.
pub const MAX_PREFIX_LEN: usize = 256;

/// A key never lives less than this, even for an entry already past `expires_at`.
const MIN_TTL_MS: i64 = 1000;
/// Domain separation for the key digest; changing the key layout changes this.
const KEY_DOMAIN: &[u8] = b"cv-portal-plugin replay key v1\0";

/// Why a [`RedisReplayGuard`] could not be built or connected. Each variant has its own stable
/// [`code`](Self::code); no variant ever holds the URL's password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedisGuardError {
    /// The URL is not a Redis URL this guard can use.
    #[error("invalid Redis URL: {reason}")]
    InvalidUrl {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A `rediss://` (TLS) URL, but the crate was built without the `redis-tls` feature.
    #[error("rediss:// (TLS) URLs need the cargo feature \"redis-tls\"")]
    TlsNotEnabled,
    /// A `rediss://` (TLS) URL, but no process-wide rustls crypto provider is installed. The
    /// Redis client builds its TLS configuration from that provider; the guard never installs one
    /// itself, because the slot belongs to the application (installing ring there would refuse
    /// the application's own choice later).
    #[error(
        "rediss:// (TLS) needs a process-wide rustls crypto provider: install one at start-up, \
         before building the guard, e.g. rustls::crypto::ring::default_provider().install_default()"
    )]
    TlsNoCryptoProvider,
    /// An option is outside its accepted range.
    #[error("Redis guard option {option} is out of range: expected {expected}")]
    InvalidOption {
        /// The builder method.
        option: &'static str,
        /// The accepted range.
        expected: &'static str,
    },
    /// The server could not be reached, refused the credentials or did not answer in time
    /// ([`RedisReplayGuard::connect`] only).
    #[error("Redis unavailable: {failure}")]
    Unavailable {
        /// What went wrong (no secrets).
        failure: StoreFailure,
    },
}

impl RedisGuardError {
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            RedisGuardError::InvalidUrl { .. } => "redis_invalid_url",
            RedisGuardError::TlsNotEnabled => "redis_tls_not_enabled",
            RedisGuardError::TlsNoCryptoProvider => "redis_tls_no_crypto_provider",
            RedisGuardError::InvalidOption { .. } => "redis_invalid_option",
            RedisGuardError::Unavailable { .. } => "redis_unavailable",
        }
    }
}

/// Configures a [`RedisReplayGuard`]; start with [`RedisReplayGuard::builder`].
pub struct RedisReplayGuardBuilder {
    url: String,
    prefix: String,
    timeout: Duration,
    pool_size: usize,
    skew_margin: Duration,
}

impl RedisReplayGuardBuilder {
    /// The key prefix (default [`DEFAULT_PREFIX`], at most [`MAX_PREFIX_LEN`] bytes). Guards with
    /// different prefixes on one Redis database never see each other's tokens.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The bound on one call: waiting for a free connection, connecting if needed and the
    /// `SET` itself (default [`DEFAULT_TIMEOUT`]; accepted 1 ms to [`MAX_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The most connections the guard holds open (default [`DEFAULT_POOL_SIZE`]; accepted 1 to
    /// [`MAX_POOL_SIZE`]). Calls beyond this many at once wait for a free connection, within the
    /// timeout.
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = size;
        self
    }

    /// How long a key outlives `expires_at` (default [`DEFAULT_SKEW_MARGIN`]; at most
    /// [`MAX_SKEW_MARGIN`]). An instance whose clock runs behind accepts a token until `exp +
    /// leeway` by its own clock; the margin keeps the key until then. Keep it above the clock
    /// difference between your instances.
    pub fn skew_margin(mut self, margin: Duration) -> Self {
        self.skew_margin = margin;
        self
    }

    /// Checks the URL and options and builds the guard. No connection is opened yet: the first
    /// call opens one (use [`RedisReplayGuard::ping`] or [`RedisReplayGuard::connect`] to check
    /// the server at start-up).
    pub fn build(self) -> Result<RedisReplayGuard, RedisGuardError> {
        let pool_size = self.pool_size;
        let settings = self.settings()?;
        Ok(RedisReplayGuard {
            settings,
            pool: Pool::new(pool_size),
        })
    }

    /// Checks the URL and options: what the blocking and the async guard are both built from.
    pub(super) fn settings(self) -> Result<Settings, RedisGuardError> {
        let target = Target::parse(&self.url)?;
        if self.prefix.len() > MAX_PREFIX_LEN {
            return Err(RedisGuardError::InvalidOption {
                option: "prefix",
                expected: "at most 256 bytes",
            });
        }
        if self.timeout < Duration::from_millis(1) || self.timeout > MAX_TIMEOUT {
            return Err(RedisGuardError::InvalidOption {
                option: "timeout",
                expected: "1 ms to 30 s",
            });
        }
        if !(1..=MAX_POOL_SIZE).contains(&self.pool_size) {
            return Err(RedisGuardError::InvalidOption {
                option: "pool_size",
                expected: "1 to 256 connections",
            });
        }
        if self.skew_margin > MAX_SKEW_MARGIN {
            return Err(RedisGuardError::InvalidOption {
                option: "skew_margin",
                expected: "at most 1 hour",
            });
        }
        // The URL passed `Target::parse`; the client only copies it into its connection info.
        let parsed = Client::open(self.url.as_str()).map_err(|_| RedisGuardError::InvalidUrl {
            reason: "the Redis client rejected it (check the host and the ?protocol= value)",
        })?;
        let info = parsed.get_connection_info().clone();
        let settings = info.redis_settings();
        // The guard authenticates and selects the database itself, one command at a time within
        // the call's deadline: the client's own set-up pipeline waits the full timeout once per
        // command when the server does not answer.
        let mut handshake = Vec::new();
        if let Some(password) = settings.password() {
            let mut auth = redis::cmd("AUTH");
            if let Some(username) = settings.username() {
                auth.arg(username);
            }
            auth.arg(password);
            handshake.push(("AUTH", auth));
        }
        if settings.db() != 0 {
            let mut select = redis::cmd("SELECT");
            select.arg(settings.db());
            handshake.push(("SELECT", select));
        }
        let tcp = info.tcp_settings().clone().set_nodelay(true);
        let bare = info
            .set_redis_settings(RedisConnectionInfo::default().set_skip_set_lib_name())
            .set_tcp_settings(tcp);
        let client = Client::open(bare).map_err(|_| RedisGuardError::InvalidUrl {
            reason: "the Redis client rejected it",
        })?;
        // The Redis client builds its rustls configuration from the process-wide provider and
        // panics without one; that slot is the application's, so ask rather than fill it.
        #[cfg(feature = "redis-tls")]
        if target.tls && rustls::crypto::CryptoProvider::get_default().is_none() {
            return Err(RedisGuardError::TlsNoCryptoProvider);
        }
        Ok(Settings {
            client,
            handshake,
            target,
            prefix: self.prefix,
            timeout: self.timeout,
            // At most one hour, so the cast cannot truncate.
            skew_margin_ms: self.skew_margin.as_millis() as i64,
        })
    }
}

impl fmt::Debug for RedisReplayGuardBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisReplayGuardBuilder")
            .field("server", &redacted(&self.url))
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("pool_size", &self.pool_size)
            .field("skew_margin", &self.skew_margin)
            .finish()
    }
}

/// A [`ReplayGuard`] on Redis, shared by every instance that connects to the same database.
///
/// Built from a URL: `redis://host:port/db`, `redis://:password@host/0`,
/// `redis://user:password@host/0` (Redis 6 ACL), `redis+unix:///run/redis.sock?db=0`, and with
/// the `redis-tls` feature `rediss://host:port/0` (certificates checked against the system's root
/// store; install a rustls crypto provider at start-up first, such as
/// `rustls::crypto::ring::default_provider().install_default()`: the guard never fills that
/// process-wide slot itself). Its `Debug` and `Display` output show the server without user name, password or
/// query; its errors never show the URL at all, only the operation and a [`StoreCause`] whose
/// [`kind`](StoreCause::kind) is stable. The guard speaks RESP2 whatever `?protocol=` says.
///
/// ```no_run
/// use std::time::Duration;
/// use cv_portal_plugin::replay::redis::RedisReplayGuard;
///
/// # fn main() -> Result<(), cv_portal_plugin::replay::redis::RedisGuardError> {
/// let guard = RedisReplayGuard::builder("redis://10.0.0.5:6379/0")
///     .prefix("financeiro:jti:")
///     .timeout(Duration::from_millis(250))
///     .pool_size(8)
///     .build()?;
/// # Ok(()) }
/// ```
pub struct RedisReplayGuard {
    settings: Settings,
    pool: Pool,
}

/// What the blocking and the async guard share: the server, how to log in, the key layout and
/// the time to live, so that both write the same keys and one token is single use across both.
pub(super) struct Settings {
    /// Connects without credentials or database (see `handshake`).
    pub(super) client: Client,
    /// `AUTH` (which holds the password: never shown) and `SELECT`, run on each new connection.
    pub(super) handshake: Vec<(&'static str, Cmd)>,
    pub(super) target: Target,
    pub(super) prefix: String,
    /// The bound on one call.
    pub(super) timeout: Duration,
    pub(super) skew_margin_ms: i64,
}

impl Settings {
    /// See [`RedisReplayGuard::key_for`].
    pub(super) fn key_for(&self, entry: &ReplayEntry<'_>) -> String {
        let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
        digest.update(KEY_DOMAIN);
        for part in [entry.issuer, entry.audience, entry.jti] {
            digest.update(&(part.len() as u64).to_be_bytes());
            digest.update(part.as_bytes());
        }
        let mut key = String::with_capacity(self.prefix.len() + 43);
        key.push_str(&self.prefix);
        b64::encode_into(digest.finish().as_ref(), &mut key);
        key
    }

    /// The key's time to live in milliseconds: until `expires_at` by the verifier's clock, plus
    /// the skew margin, and at least one second.
    pub(super) fn ttl_ms(&self, entry: &ReplayEntry<'_>) -> i64 {
        entry
            .expires_at
            .saturating_sub(entry.now)
            .saturating_mul(1000)
            .saturating_add(self.skew_margin_ms)
            .max(MIN_TTL_MS)
    }

    /// The one atomic command that accepts `entry`: `SET key 1 NX PX ttl`.
    pub(super) fn set_command(&self, entry: &ReplayEntry<'_>) -> Cmd {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key_for(entry))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(self.ttl_ms(entry));
        cmd
    }
}

/// What a reply to [`Settings::set_command`] means: `OK` accepts, nil is a replay, anything else
/// fails closed.
pub(super) fn set_reply(value: Value) -> Result<(), ReplayError> {
    match value {
        Value::Okay => Ok(()),
        Value::SimpleString(ok) if ok == "OK" => Ok(()),
        Value::Nil => Err(ReplayError::Replayed),
        Value::ServerError(error) => Err(server_error("SET", &error)),
        _ => Err(ReplayError::Unavailable(StoreFailure::new(
            "SET",
            StoreCause::UnexpectedReply,
        ))),
    }
}

/// What a reply to `PING` means: `PONG` is ready, anything else fails.
pub(super) fn ping_reply(value: Value) -> Result<(), ReplayError> {
    match value {
        Value::SimpleString(pong) if pong == "PONG" => Ok(()),
        Value::Okay => Ok(()),
        Value::ServerError(error) => Err(server_error("PING", &error)),
        _ => Err(ReplayError::Unavailable(StoreFailure::new(
            "PING",
            StoreCause::UnexpectedReply,
        ))),
    }
}

/// What a reply to a handshake command (`AUTH`, `SELECT`) means: `OK` goes on.
pub(super) fn handshake_reply(what: &'static str, value: Value) -> Result<(), ReplayError> {
    match value {
        Value::Okay => Ok(()),
        Value::ServerError(error) => Err(server_error(what, &error)),
        _ => Err(ReplayError::Unavailable(StoreFailure::new(
            what,
            StoreCause::UnexpectedReply,
        ))),
    }
}

impl RedisReplayGuard {
    /// Starts configuring a guard for the server at `url`.
    pub fn builder(url: impl Into<String>) -> RedisReplayGuardBuilder {
        RedisReplayGuardBuilder {
            url: url.into(),
            prefix: DEFAULT_PREFIX.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            pool_size: DEFAULT_POOL_SIZE,
            skew_margin: DEFAULT_SKEW_MARGIN,
        }
    }

    /// A guard with the default options that has answered one `PING`: fails at start-up if the
    /// server is unreachable or refuses the credentials, rather than at the first token.
    pub fn connect(url: impl Into<String>) -> Result<RedisReplayGuard, RedisGuardError> {
        let guard = RedisReplayGuard::builder(url).build()?;
        match guard.ping() {
            Ok(()) => Ok(guard),
            Err(ReplayError::Unavailable(failure)) => Err(RedisGuardError::Unavailable { failure }),
            Err(_) => Err(RedisGuardError::Unavailable {
                failure: StoreFailure::new("PING", StoreCause::UnexpectedReply),
            }),
        }
    }

    /// Sends `PING` through the pool, within the timeout: a readiness check.
    pub fn ping(&self) -> Result<(), ReplayError> {
        ping_reply(self.request(&redis::cmd("PING"), "PING")?)
    }

    /// The Redis key this guard uses for `entry`: the prefix, then the base64url SHA-256 of the
    /// length-prefixed issuer, audience and `jti`.
    pub fn key_for(&self, entry: &ReplayEntry<'_>) -> String {
        self.settings.key_for(entry)
    }

    #[cfg(test)]
    fn ttl_ms(&self, entry: &ReplayEntry<'_>) -> i64 {
        self.settings.ttl_ms(entry)
    }

    /// Runs one command on a pooled connection within the timeout, reconnecting as needed. A
    /// connection that saw any error is dropped, so the next call starts on a fresh one.
    pub(crate) fn request(&self, cmd: &Cmd, what: &'static str) -> Result<Value, ReplayError> {
        let deadline = Instant::now() + self.settings.timeout;
        let mut lease = self.pool.lease(deadline).ok_or_else(|| {
            ReplayError::Unavailable(StoreFailure::new(what, StoreCause::PoolExhausted))
        })?;
        let mut retried = false;
        loop {
            let (mut conn, reused) = match lease.conn.take() {
                Some(conn) => (conn, true),
                None => (self.open(deadline)?, false),
            };
            match exchange(&mut conn, cmd, deadline) {
                Ok(Value::ServerError(error)) => {
                    return Err(server_error(what, &error));
                }
                Ok(value) => {
                    lease.conn = Some(conn);
                    return Ok(value);
                }
                // The server closed this connection while it sat idle (a restart), so the
                // command never reached it: send it once more on a fresh connection. Should it
                // have been executed after all, with its key kept, the second `SET` answers nil
                // and a legitimate token is refused as `replayed`; a replay is never accepted.
                Err(error) if reused && !retried && is_stale(&error) => retried = true,
                Err(error) => return Err(ReplayError::Unavailable(describe(what, &error))),
            }
        }
    }

    /// Opens a connection, then authenticates and selects the database, all before `deadline`.
    fn open(&self, deadline: Instant) -> Result<Connection, ReplayError> {
        let mut conn = remaining(deadline)
            .and_then(|left| self.settings.client.get_connection_with_timeout(left))
            .map_err(|e| ReplayError::Unavailable(describe("connect", &e)))?;
        for (what, cmd) in &self.settings.handshake {
            match exchange(&mut conn, cmd, deadline) {
                Ok(value) => handshake_reply(what, value)?,
                Err(error) => return Err(ReplayError::Unavailable(describe(what, &error))),
            }
        }
        Ok(conn)
    }
}

impl ReplayGuard for RedisReplayGuard {
    /// One `SET key 1 NX PX ttl`: `OK` accepts, nil is a replay, anything else (an error, a
    /// timeout, an unexpected reply) fails closed with [`ReplayError::Unavailable`].
    fn check_and_insert(&self, entry: &ReplayEntry<'_>) -> Result<(), ReplayError> {
        set_reply(self.request(&self.settings.set_command(entry), "SET")?)
    }
}

impl fmt::Debug for RedisReplayGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let settings = &self.settings;
        f.debug_struct("RedisReplayGuard")
            .field("server", &settings.target.display)
            .field("credentials", &settings.target.credentials)
            .field("prefix", &settings.prefix)
            .field("timeout", &settings.timeout)
            .field("pool_size", &self.pool.size)
            .field("skew_margin_ms", &settings.skew_margin_ms)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for RedisReplayGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redis replay guard at {}", self.settings.target.display)
    }
}

/// What the guard shows of its URL, and what it checked there.
pub(super) struct Target {
    /// Scheme, host, port and path: never user name, password, query or fragment.
    pub(super) display: String,
    /// Whether the URL carries a user name or password.
    pub(super) credentials: bool,
    /// Whether the URL asks for TLS.
    #[cfg_attr(not(feature = "redis-tls"), allow(dead_code))]
    pub(super) tls: bool,
}

impl Target {
    fn parse(text: &str) -> Result<Target, RedisGuardError> {
        let invalid = |reason| RedisGuardError::InvalidUrl { reason };
        let url = Url::parse(text).map_err(|_| invalid("not a URL"))?;
        let (tls, unix) = match url.scheme() {
            "redis" | "valkey" => (false, false),
            "rediss" | "valkeys" => (true, false),
            "redis+unix" | "unix" | "valkey+unix" => (false, true),
            _ => return Err(invalid("the scheme must be redis, rediss or redis+unix")),
        };
        if tls && !cfg!(feature = "redis-tls") {
            return Err(RedisGuardError::TlsNotEnabled);
        }
        if url.fragment().is_some() {
            return Err(invalid(
                "a #fragment is not allowed (certificate checks cannot be turned off)",
            ));
        }
        if !unix {
            if url.host_str().is_none_or(str::is_empty) {
                return Err(invalid("no host"));
            }
            let db = url.path().trim_matches('/');
            if !db.is_empty() && db.parse::<u16>().is_err() {
                return Err(invalid("the path must be a database number, as in /0"));
            }
        }
        let credentials = !url.username().is_empty()
            || url.password().is_some()
            || url.query_pairs().any(|(k, _)| k == "user" || k == "pass");
        Ok(Target {
            display: redacted(text),
            credentials,
            tls,
        })
    }
}

/// The URL as shown in Debug output and messages: scheme, host, port and path only.
fn redacted(text: &str) -> String {
    let Ok(url) = Url::parse(text) else {
        return "<not a URL>".to_owned();
    };
    let mut shown = format!("{}://", url.scheme());
    if !url.username().is_empty() || url.password().is_some() {
        shown.push_str("<redacted>@");
    }
    if let Some(host) = url.host_str() {
        shown.push_str(host);
    }
    if let Some(port) = url.port() {
        shown.push_str(&format!(":{port}"));
    }
    shown.push_str(url.path());
    shown
}

/// The time left before `deadline`, or a timeout error.
pub(super) fn remaining(deadline: Instant) -> Result<Duration, RedisError> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|left| !left.is_zero())
        .ok_or_else(|| {
            RedisError::from(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "deadline passed",
            ))
        })
}

/// Sends `cmd` and reads its reply, each bounded by the time left before `deadline`.
fn exchange(conn: &mut Connection, cmd: &Cmd, deadline: Instant) -> Result<Value, RedisError> {
    let left = remaining(deadline)?;
    conn.set_write_timeout(Some(left))?;
    conn.set_read_timeout(Some(left))?;
    conn.req_command(cmd)
}

/// Whether `error` says the peer had closed the connection before the command was sent.
pub(super) fn is_stale(error: &RedisError) -> bool {
    !error.is_timeout() && error.is_connection_dropped()
}

/// A failure classified from fixed text, the server's error code and the I/O error's own message,
/// so that no password, URL or server-echoed input can reach a log through it. I/O messages as the
/// operating system or the TLS library words them (`Connection reset by peer (os error 104)`,
/// `invalid peer certificate: UnknownIssuer`) never hold the password, which only travels inside
/// `AUTH`.
pub(super) fn describe(what: &'static str, error: &RedisError) -> StoreFailure {
    let cause = if error.is_timeout() {
        StoreCause::Timeout
    } else if error.is_connection_refusal() {
        // Also a `redis+unix://` socket file that does not exist.
        StoreCause::ConnectionRefused
    } else if error.is_connection_dropped() {
        StoreCause::ConnectionClosed
    } else {
        match (error.kind(), error.code()) {
            (ErrorKind::AuthenticationFailed, _) => StoreCause::Authentication,
            (_, Some(code)) => server_cause(what, code, error.detail()),
            (ErrorKind::Io, None) => StoreCause::Io {
                detail: Quoted::bounded(&error.to_string(), 160),
            },
            (ErrorKind::Parse, None) => StoreCause::UnexpectedReply,
            _ => StoreCause::Client,
        }
    };
    StoreFailure::new(what, cause)
}

/// A server's error reply (`-CODE detail`) to `what`, as a failure.
pub(super) fn server_error(what: &'static str, error: &redis::ServerError) -> ReplayError {
    ReplayError::Unavailable(StoreFailure::new(
        what,
        server_cause(what, error.code(), error.details()),
    ))
}

/// The class of a server error reply. The detail is read, never kept: only the code, in the
/// upper-case form Redis gives its codes (`OOM`, `READONLY`, `NOPERM`, ...), reaches the failure.
fn server_cause(what: &str, code: &str, detail: Option<&str>) -> StoreCause {
    match code {
        // Wrong user name or password, and a command sent without the password the server wants.
        "WRONGPASS" | "NOAUTH" => StoreCause::Authentication,
        // A password sent to a server that has none ("AUTH <password> called without any password
        // configured for the default user", "Client sent AUTH, but no password is set"). Other
        // `ERR` replies to `AUTH` (such as "max number of clients reached") stay server errors.
        "ERR" if what == "AUTH" && detail.is_some_and(|d| d.contains("password")) => {
            StoreCause::Authentication
        }
        // `NOPERM` (an ACL user without `SET` or without the prefix's keys) means the credentials
        // were accepted: a server error, so the ACL is what an operator looks at.
        code if is_error_code(code) => StoreCause::ServerError {
            code: Quoted::ascii(code),
        },
        // Redis' codes are one upper-case word; anything else is not a Redis error reply, and is
        // not echoed (it could be arbitrary text, such as what the guard sent).
        _ => StoreCause::UnexpectedReply,
    }
}

/// Whether `code` has the shape of a Redis error code: 1 to 32 upper-case ASCII letters, digits or
/// underscores, starting with a letter.
fn is_error_code(code: &str) -> bool {
    code.len() <= 32
        && code.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// At most `size` connections; a call waits for a free one until its deadline.
struct Pool {
    size: usize,
    state: Mutex<PoolState>,
    freed: Condvar,
}

struct PoolState {
    /// Open connections not in use.
    idle: Vec<Connection>,
    /// Leases that may still be handed out (idle connections count among them).
    free: usize,
}

/// The right to use one connection slot, with its connection if one is open.
struct Lease<'a> {
    pool: &'a Pool,
    conn: Option<Connection>,
}

impl Pool {
    fn new(size: usize) -> Pool {
        Pool {
            size,
            state: Mutex::new(PoolState {
                idle: Vec::with_capacity(size),
                free: size,
            }),
            freed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lease(&self, deadline: Instant) -> Option<Lease<'_>> {
        let mut state = self.lock();
        while state.free == 0 {
            let left = deadline
                .checked_duration_since(Instant::now())
                .filter(|left| !left.is_zero())?;
            state = match self.freed.wait_timeout(state, left) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        state.free -= 1;
        let conn = state.idle.pop();
        Some(Lease { pool: self, conn })
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let conn = self.conn.take();
        let mut state = self.pool.lock();
        if let Some(conn) = conn {
            state.idle.push(conn);
        }
        state.free += 1;
        drop(state);
        self.pool.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(issuer: &'a str, audience: &'a str, jti: &'a str) -> ReplayEntry<'a> {
        ReplayEntry {
            issuer,
            audience,
            jti,
            expires_at: 1_060,
            now: 1_000,
        }
    }

    fn guard(url: &str) -> RedisReplayGuard {
        RedisReplayGuard::builder(url).build().unwrap()
    }

    #[test]
    fn keys_are_prefixed_fixed_length_and_unambiguous() {
        let guard = guard("redis://127.0.0.1:6379/0");
        let key = guard.key_for(&entry("https://portal", "financeiro", "jti-1"));
        assert!(key.starts_with(DEFAULT_PREFIX));
        assert_eq!(key.len(), DEFAULT_PREFIX.len() + 43);
        let long = "x".repeat(10_000);
        assert_eq!(guard.key_for(&entry(&long, &long, &long)).len(), key.len());
        // Moving a ':' (or any byte) from one part to the next changes the key.
        assert_ne!(
            guard.key_for(&entry("a:b", "c", "j")),
            guard.key_for(&entry("a", "b:c", "j"))
        );
        assert_ne!(
            guard.key_for(&entry("a", "bc", "j")),
            guard.key_for(&entry("ab", "c", "j"))
        );
        let other = RedisReplayGuard::builder("redis://127.0.0.1:6379/0")
            .prefix("other:")
            .build()
            .unwrap();
        let other_key = other.key_for(&entry("https://portal", "financeiro", "jti-1"));
        assert_eq!(
            other_key.strip_prefix("other:"),
            key.strip_prefix(DEFAULT_PREFIX)
        );
    }

    #[test]
    fn ttl_covers_expiry_plus_margin_and_is_at_least_a_second() {
        let guard = RedisReplayGuard::builder("redis://127.0.0.1/0")
            .skew_margin(Duration::ZERO)
            .build()
            .unwrap();
        let mut e = entry("i", "a", "j");
        assert_eq!(guard.ttl_ms(&e), 60_000);
        e.expires_at = e.now;
        assert_eq!(guard.ttl_ms(&e), 1000);
        e.expires_at = e.now - 100;
        assert_eq!(guard.ttl_ms(&e), 1000);
        e.expires_at = i64::MAX;
        e.now = i64::MIN;
        assert_eq!(guard.ttl_ms(&e), i64::MAX);
        let with_margin = guard_with_margin(Duration::from_secs(60));
        assert_eq!(with_margin.ttl_ms(&entry("i", "a", "j")), 120_000);
    }

    fn guard_with_margin(margin: Duration) -> RedisReplayGuard {
        RedisReplayGuard::builder("redis://127.0.0.1/0")
            .skew_margin(margin)
            .build()
            .unwrap()
    }

    #[test]
    fn urls_are_checked_with_their_own_codes() {
        let code = |url: &str| RedisReplayGuard::builder(url).build().unwrap_err().code();
        assert_eq!(code("not a url"), "redis_invalid_url");
        assert_eq!(code("http://127.0.0.1:6379/0"), "redis_invalid_url");
        assert_eq!(code("redis://127.0.0.1:6379/zero"), "redis_invalid_url");
        assert_eq!(
            code("redis://:pw@127.0.0.1:6379/0#insecure"),
            "redis_invalid_url"
        );
        assert_eq!(code("redis://0.0.0.0:6379/0"), "redis_invalid_url");
        assert_eq!(code("redis://127.0.0.1/0?protocol=9"), "redis_invalid_url");
        #[cfg(not(feature = "redis-tls"))]
        assert_eq!(code("rediss://127.0.0.1:6379/0"), "redis_tls_not_enabled");
        // The guard never fills rustls's process-wide provider slot: it asks the application to
        // (nothing in this test binary installs one, so the slot starts empty).
        #[cfg(feature = "redis-tls")]
        {
            assert!(rustls::crypto::CryptoProvider::get_default().is_none());
            assert_eq!(
                code("rediss://127.0.0.1:6379/0"),
                "redis_tls_no_crypto_provider"
            );
            assert!(rustls::crypto::CryptoProvider::get_default().is_none());
            let _ = rustls::crypto::ring::default_provider().install_default();
            assert!(
                RedisReplayGuard::builder("rediss://127.0.0.1:6379/0")
                    .build()
                    .is_ok()
            );
        }
        for ok in [
            "redis://127.0.0.1:6379/0",
            "redis://localhost",
            "redis://:pw@[::1]:6379/3",
            "redis://user:pw@10.0.0.5/0?protocol=resp3",
            "redis+unix:///run/redis.sock?db=2&pass=pw",
        ] {
            assert!(RedisReplayGuard::builder(ok).build().is_ok(), "{ok}");
        }
    }

    #[test]
    fn options_are_range_checked() {
        let code = |builder: RedisReplayGuardBuilder| builder.build().unwrap_err().code();
        let base = || RedisReplayGuard::builder("redis://127.0.0.1/0");
        assert_eq!(code(base().pool_size(0)), "redis_invalid_option");
        assert_eq!(
            code(base().pool_size(MAX_POOL_SIZE + 1)),
            "redis_invalid_option"
        );
        assert_eq!(code(base().timeout(Duration::ZERO)), "redis_invalid_option");
        assert_eq!(
            code(base().timeout(Duration::from_secs(31))),
            "redis_invalid_option"
        );
        assert_eq!(
            code(base().skew_margin(Duration::from_secs(3601))),
            "redis_invalid_option"
        );
        assert_eq!(code(base().prefix("p".repeat(257))), "redis_invalid_option");
        assert!(base().pool_size(MAX_POOL_SIZE).prefix("").build().is_ok());
    }

    #[test]
    fn shown_url_never_has_credentials_or_query() {
        for (url, shown) in [
            (
                "redis://:s3cret@127.0.0.1:6379/0",
                "redis://<redacted>@127.0.0.1:6379/0",
            ),
            ("redis://s3cret@10.0.0.5/1", "redis://<redacted>@10.0.0.5/1"),
            ("redis://user:s3cret@host/0", "redis://<redacted>@host/0"),
            (
                "redis+unix:///run/r.sock?db=0&pass=s3cret",
                "redis+unix:///run/r.sock",
            ),
            ("redis://127.0.0.1", "redis://127.0.0.1"),
            ("redis://:s3cret@host/zero", "redis://<redacted>@host/zero"),
            ("::s3cret", "<not a URL>"),
        ] {
            assert_eq!(redacted(url), shown);
        }
    }

    /// The class of the error reply `line` (without its CRLF) to `what`.
    fn reply_cause(what: &'static str, line: &str) -> StoreCause {
        let Ok(Value::ServerError(error)) =
            redis::parse_redis_value(format!("{line}\r\n").as_bytes())
        else {
            panic!("{line:?} is not an error reply");
        };
        match server_error(what, &error) {
            ReplayError::Unavailable(failure) => failure.cause().clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn server_errors_are_classified_by_code() {
        for (what, line) in [
            (
                "AUTH",
                "-WRONGPASS invalid username-password pair or user is disabled.",
            ),
            ("SET", "-NOAUTH Authentication required."),
            (
                "AUTH",
                "-ERR AUTH <password> called without any password configured for the default \
                 user. Are you sure your configuration is correct?",
            ),
            ("AUTH", "-ERR Client sent AUTH, but no password is set"),
        ] {
            assert_eq!(
                reply_cause(what, line),
                StoreCause::Authentication,
                "{line}"
            );
        }
        for (what, line, code) in [
            (
                "SET",
                "-OOM command not allowed when used memory > 'maxmemory'.",
                "OOM",
            ),
            (
                "SET",
                "-READONLY You can't write against a read only replica.",
                "READONLY",
            ),
            ("SET", "-NOPERM No permissions to access a key", "NOPERM"),
            ("AUTH", "-ERR max number of clients reached", "ERR"),
            ("SET", "-ERR password is not a word here", "ERR"),
            (
                "PING",
                "-LOADING Redis is loading the dataset in memory",
                "LOADING",
            ),
            ("SET", "-MISCONF Errors writing to disk", "MISCONF"),
            ("SET", "-ERR", "ERR"),
        ] {
            assert_eq!(
                reply_cause(what, line),
                StoreCause::ServerError {
                    code: Quoted::ascii(code)
                },
                "{line}"
            );
        }
    }

    #[test]
    fn error_replies_that_are_not_redis_codes_are_not_echoed() {
        // A reply whose first word is not a Redis error code (a non-Redis service, or a server
        // reflecting what it was sent) becomes `unexpected_reply`, its text dropped.
        for line in [
            "-Sup3r-s3cret-pa55word is wrong",
            "-err lower case",
            "-<script> x",
            "-ERR\u{202e}X y",
            &format!("-{} x", "A".repeat(33)),
        ] {
            assert_eq!(
                reply_cause("AUTH", line),
                StoreCause::UnexpectedReply,
                "{line}"
            );
        }
        assert!(is_error_code("A"));
        assert!(is_error_code("CROSSSLOT"));
        assert!(is_error_code("X_1"));
        assert!(is_error_code(&"A".repeat(32)));
        assert!(!is_error_code(""));
        assert!(!is_error_code("1ERR"));
        assert!(!is_error_code("_ERR"));
    }

    #[test]
    fn pool_hands_out_at_most_size_leases_and_waits_until_the_deadline() {
        let pool = Pool::new(2);
        let soon = || Instant::now() + Duration::from_millis(20);
        let a = pool.lease(soon()).unwrap();
        let b = pool.lease(soon()).unwrap();
        assert!(pool.lease(soon()).is_none());
        drop(a);
        let c = pool.lease(soon()).unwrap();
        drop((b, c));
        assert_eq!(pool.lock().free, 2);
    }
}
