//! [`RedisRevocationStore`] (feature `redis`): revoked sessions shared by every instance that
//! uses the same Redis database, on the connection handling of
//! [`RedisReplayGuard`] (one bounded pool, one deadline
//! per call, reconnection, errors without URL or password).
//!
//! [`AsyncRedisRevocationStore`] (feature `redis-async`) is the same store for async services: the
//! same keys and commands, over the one multiplexed tokio connection of
//! `AsyncRedisReplayGuard` (feature `redis-async`), so a blocking and an
//! async store with the same server, database and prefix share their revocations.
//!
//! `revoke` is `SET <prefix><sid> 1 PX <ttl>`, `is_revoked` is `EXISTS <prefix><sid>`. Like the
//! replay guard it fails closed: an error, a timeout or an unexpected reply makes `is_revoked`
//! an error, and the session is refused with `session_store_unavailable` (503), never accepted as
//! "not revoked". Run Redis as the replay guard's documentation says (`noeviction`: an evicting
//! policy could forget a revocation).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use redis::{Cmd, Value};

use super::revocation::RevocationStore;
#[cfg(feature = "redis-async")]
use super::revocation::{AsyncRevocationStore, RevocationFuture};
use super::token::SessionId;
use crate::clock::{Clock, SystemClock};
#[cfg(feature = "redis-async")]
use crate::replay::redis::{AsyncRedisReplayGuard, AsyncRedisReplayGuardBuilder};
use crate::replay::redis::{RedisGuardError, RedisReplayGuard, RedisReplayGuardBuilder};
use crate::replay::{ReplayError, StoreCause, StoreFailure};

/// The default key prefix: `cvpp:revoked:`.
pub const DEFAULT_REVOCATION_PREFIX: &str = "cvpp:revoked:";
/// How long a revocation outlives its `until`, for clock differences between instances: 60 s.
const SKEW_MARGIN_MS: i64 = 60_000;
/// A key never lives less than this.
const MIN_TTL_MS: i64 = 1000;

/// Configures a [`RedisRevocationStore`]; start with [`RedisRevocationStore::builder`].
pub struct RedisRevocationStoreBuilder {
    inner: RedisReplayGuardBuilder,
    prefix: String,
    clock: Arc<dyn Clock>,
}

impl RedisRevocationStoreBuilder {
    /// The key prefix (default [`DEFAULT_REVOCATION_PREFIX`], at most 256 bytes).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The bound on one call, as the replay guard's (default 500 ms; 1 ms to 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.inner = self.inner.timeout(timeout);
        self
    }

    /// The most connections held open (default 4; 1 to 256).
    pub fn pool_size(mut self, size: usize) -> Self {
        self.inner = self.inner.pool_size(size);
        self
    }

    /// The clock that turns `until` into a time to live (default the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Checks the URL and options and builds the store; no connection is opened yet.
    pub fn build(self) -> Result<RedisRevocationStore, RedisGuardError> {
        let pool = self.inner.prefix(self.prefix.clone()).build()?;
        Ok(RedisRevocationStore {
            pool,
            prefix: self.prefix,
            clock: self.clock,
        })
    }
}

/// A [`RevocationStore`] on Redis, for vendors running several instances.
///
/// ```no_run
/// use std::sync::Arc;
/// use cv_portal_plugin::RedisRevocationStore;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let store = RedisRevocationStore::builder("redis://10.0.0.5:6379/0")
///     .prefix("financeiro:revoked:")
///     .build()?;
/// # let key = cv_portal_plugin::SessionKey::generate()?;
/// let sessions = cv_portal_plugin::Sessions::builder(
///     "https://portal.construtora.com.br".parse()?, "financeiro".parse()?, key)
///     .revocation_store(Arc::new(store))
///     .ticket_guard(Arc::new(cv_portal_plugin::RedisReplayGuard::builder("redis://10.0.0.5:6379/0").build()?))
///     .build()?;
/// # Ok(()) }
/// ```
pub struct RedisRevocationStore {
    /// Only its connection pool is used (its replay key prefix is not).
    pool: RedisReplayGuard,
    prefix: String,
    clock: Arc<dyn Clock>,
}

impl RedisRevocationStore {
    /// Starts configuring a store for the server at `url` (the same URL forms as the replay
    /// guard's).
    pub fn builder(url: impl Into<String>) -> RedisRevocationStoreBuilder {
        RedisRevocationStoreBuilder {
            inner: RedisReplayGuard::builder(url),
            prefix: DEFAULT_REVOCATION_PREFIX.to_owned(),
            clock: Arc::new(SystemClock),
        }
    }

    /// Sends `PING` within the timeout: a readiness check.
    pub fn ping(&self) -> Result<(), StoreFailure> {
        self.pool.ping().map_err(unavailable("PING"))
    }

    /// The Redis key of `sid`: the prefix, then the id (22 base64url characters).
    pub fn key_for(&self, sid: &SessionId) -> String {
        key_for(&self.prefix, sid)
    }

    fn ttl_ms(&self, until_unix: i64) -> i64 {
        ttl_ms(self.clock.as_ref(), until_unix)
    }
}

/// The Redis key of `sid` under `prefix` (both stores).
fn key_for(prefix: &str, sid: &SessionId) -> String {
    format!("{prefix}{}", sid.as_str())
}

/// The time to live of a revocation kept until `until_unix` (both stores).
fn ttl_ms(clock: &dyn Clock, until_unix: i64) -> i64 {
    until_unix
        .saturating_sub(clock.now_unix())
        .saturating_mul(1000)
        .saturating_add(SKEW_MARGIN_MS)
        .max(MIN_TTL_MS)
}

/// `SET <key> 1 PX <ttl>`.
fn revoke_command(key: String, ttl_ms: i64) -> Cmd {
    let mut cmd = redis::cmd("SET");
    cmd.arg(key).arg(1).arg("PX").arg(ttl_ms);
    cmd
}

/// `EXISTS <key>`.
fn exists_command(key: String) -> Cmd {
    let mut cmd = redis::cmd("EXISTS");
    cmd.arg(key);
    cmd
}

/// The `SET`'s reply: `OK`, or the store fails closed.
fn revoke_reply(reply: Value) -> Result<(), StoreFailure> {
    match reply {
        Value::Okay => Ok(()),
        Value::SimpleString(ok) if ok == "OK" => Ok(()),
        _ => Err(StoreFailure::new("SET", StoreCause::UnexpectedReply)),
    }
}

/// The `EXISTS`'s reply: 0 or 1, or the store fails closed.
fn exists_reply(reply: Value) -> Result<bool, StoreFailure> {
    match reply {
        Value::Int(0) => Ok(false),
        Value::Int(1) => Ok(true),
        _ => Err(StoreFailure::new("EXISTS", StoreCause::UnexpectedReply)),
    }
}

/// The store's failure from the pool's error (a `Replayed` cannot come from a plain command).
fn unavailable(what: &'static str) -> impl Fn(ReplayError) -> StoreFailure {
    move |error| match error {
        ReplayError::Unavailable(failure) => failure,
        _ => StoreFailure::new(what, StoreCause::UnexpectedReply),
    }
}

impl RevocationStore for RedisRevocationStore {
    fn revoke(&self, sid: &SessionId, until_unix: i64) -> Result<(), StoreFailure> {
        let cmd = revoke_command(self.key_for(sid), self.ttl_ms(until_unix));
        revoke_reply(self.pool.request(&cmd, "SET").map_err(unavailable("SET"))?)
    }

    fn is_revoked(&self, sid: &SessionId) -> Result<bool, StoreFailure> {
        let cmd = exists_command(self.key_for(sid));
        exists_reply(
            self.pool
                .request(&cmd, "EXISTS")
                .map_err(unavailable("EXISTS"))?,
        )
    }
}

impl fmt::Debug for RedisRevocationStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRevocationStore")
            .field("pool", &self.pool)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for RedisRevocationStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRevocationStoreBuilder")
            .field("inner", &self.inner)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// Configures an [`AsyncRedisRevocationStore`]; start with [`AsyncRedisRevocationStore::builder`].
#[cfg(feature = "redis-async")]
pub struct AsyncRedisRevocationStoreBuilder {
    inner: AsyncRedisReplayGuardBuilder,
    prefix: String,
    clock: Arc<dyn Clock>,
}

#[cfg(feature = "redis-async")]
impl AsyncRedisRevocationStoreBuilder {
    /// The key prefix (default [`DEFAULT_REVOCATION_PREFIX`], at most 256 bytes). A blocking and
    /// an async store with the same server, database and prefix share their revocations.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The bound on one call, connecting included (default 500 ms; 1 ms to 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.inner = self.inner.timeout(timeout);
        self
    }

    /// The clock that turns `until` into a time to live (default the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Checks the URL and options and builds the store; no connection is opened yet (the first
    /// call opens one; [`AsyncRedisRevocationStore::ping`] checks the server at start-up).
    pub fn build(self) -> Result<AsyncRedisRevocationStore, RedisGuardError> {
        let connection = self.inner.prefix(self.prefix.clone()).build()?;
        Ok(AsyncRedisRevocationStore {
            connection,
            prefix: self.prefix,
            clock: self.clock,
        })
    }
}

/// An [`AsyncRevocationStore`] on Redis, for async services running several instances: the keys
/// and commands of [`RedisRevocationStore`], without blocking a runtime thread.
///
/// Every call shares one multiplexed tokio connection (the connection handling of
/// [`AsyncRedisReplayGuard`]: opened on first use, one deadline per call covering connect,
/// handshake and command, dropped after a failure and reopened by the next call). It fails
/// closed: an error, a timeout or an unexpected reply refuses the session with
/// `session_store_unavailable` (503), never "not revoked". Use it from one tokio runtime with
/// I/O and time enabled; `rediss://` URLs need the feature `redis-tls` too.
///
/// ```no_run
/// use std::sync::Arc;
/// use cv_portal_plugin::session::redis::AsyncRedisRevocationStore;
/// use cv_portal_plugin::{AsyncRedisReplayGuard, Sessions};
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let url = "redis://:password@10.0.0.5:6379/0";
/// let revocations = AsyncRedisRevocationStore::builder(url).build()?;
/// revocations.ping().await?; // fail at start-up rather than at the first request
/// # let key = cv_portal_plugin::SessionKey::generate()?;
/// let sessions = Sessions::builder(
///     "https://portal.construtora.com.br".parse()?, "financeiro".parse()?, key)
///     .revocation_store_async(Arc::new(revocations))
///     .ticket_guard_async(Arc::new(AsyncRedisReplayGuard::connect(url).await?))
///     .build()?;
/// # let _ = sessions; Ok(()) }
/// ```
#[cfg(feature = "redis-async")]
pub struct AsyncRedisRevocationStore {
    /// Only its connection is used (its replay key prefix is not).
    connection: AsyncRedisReplayGuard,
    prefix: String,
    clock: Arc<dyn Clock>,
}

#[cfg(feature = "redis-async")]
impl AsyncRedisRevocationStore {
    /// Starts configuring a store for the server at `url` (the replay guard's URL forms).
    pub fn builder(url: impl Into<String>) -> AsyncRedisRevocationStoreBuilder {
        AsyncRedisRevocationStoreBuilder {
            inner: AsyncRedisReplayGuard::builder(url),
            prefix: DEFAULT_REVOCATION_PREFIX.to_owned(),
            clock: Arc::new(SystemClock),
        }
    }

    /// Sends `PING` within the timeout: a readiness check.
    pub async fn ping(&self) -> Result<(), StoreFailure> {
        self.connection.ping().await.map_err(unavailable("PING"))
    }

    /// The Redis key of `sid`: the same as [`RedisRevocationStore::key_for`]'s.
    pub fn key_for(&self, sid: &SessionId) -> String {
        key_for(&self.prefix, sid)
    }
}

#[cfg(feature = "redis-async")]
impl AsyncRevocationStore for AsyncRedisRevocationStore {
    fn revoke<'a>(&'a self, sid: &'a SessionId, until_unix: i64) -> RevocationFuture<'a, ()> {
        let cmd = revoke_command(self.key_for(sid), ttl_ms(self.clock.as_ref(), until_unix));
        Box::pin(async move {
            let reply = self.connection.request(&cmd, "SET").await;
            revoke_reply(reply.map_err(unavailable("SET"))?)
        })
    }

    fn is_revoked<'a>(&'a self, sid: &'a SessionId) -> RevocationFuture<'a, bool> {
        let cmd = exists_command(self.key_for(sid));
        Box::pin(async move {
            let reply = self.connection.request(&cmd, "EXISTS").await;
            exists_reply(reply.map_err(unavailable("EXISTS"))?)
        })
    }
}

#[cfg(feature = "redis-async")]
impl fmt::Debug for AsyncRedisRevocationStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncRedisRevocationStore")
            .field("connection", &self.connection)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "redis-async")]
impl fmt::Debug for AsyncRedisRevocationStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncRedisRevocationStoreBuilder")
            .field("inner", &self.inner)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;

    #[test]
    fn keys_and_ttls() {
        let clock = Arc::new(FixedClock::new(1_000));
        let store = RedisRevocationStore::builder("redis://127.0.0.1:1/0")
            .clock(clock)
            .build()
            .unwrap();
        let sid = SessionId::parse("AAAAAAAAAAAAAAAAAAAAAA").unwrap();
        assert_eq!(store.key_for(&sid), "cvpp:revoked:AAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(store.ttl_ms(1_100), 160_000);
        assert_eq!(store.ttl_ms(0), MIN_TTL_MS);
        assert_eq!(
            RedisRevocationStore::builder("redis://127.0.0.1/0")
                .prefix("p".repeat(257))
                .build()
                .unwrap_err()
                .code(),
            "redis_invalid_option"
        );
    }

    #[test]
    fn a_store_that_cannot_answer_fails_closed() {
        // Nothing listens on port 1: the question is an error, never "not revoked".
        let store = RedisRevocationStore::builder("redis://127.0.0.1:1/0")
            .timeout(Duration::from_millis(200))
            .build()
            .unwrap();
        let sid = SessionId::parse("AAAAAAAAAAAAAAAAAAAAAA").unwrap();
        let failure = store.is_revoked(&sid).unwrap_err();
        assert_eq!(failure.operation(), "connect");
        assert!(store.revoke(&sid, 2_000_000_000).is_err());
    }

    #[cfg(feature = "redis-async")]
    #[test]
    fn the_async_store_uses_the_blocking_stores_keys_and_fails_closed() {
        let clock = Arc::new(FixedClock::new(1_000));
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let url = format!("redis://:s3cret@127.0.0.1:{port}/0");
        let store = AsyncRedisRevocationStore::builder(url.as_str())
            .clock(clock.clone())
            .timeout(Duration::from_millis(300))
            .build()
            .unwrap();
        let blocking = RedisRevocationStore::builder(url.as_str())
            .clock(clock)
            .build()
            .unwrap();
        let sid = SessionId::parse("AAAAAAAAAAAAAAAAAAAAAA").unwrap();
        assert_eq!(store.key_for(&sid), blocking.key_for(&sid));
        let builder = AsyncRedisRevocationStore::builder(url.as_str());
        for shown in [format!("{store:?}"), format!("{builder:?}")] {
            assert!(!shown.contains("s3cret"), "{shown}");
        }
        assert_eq!(
            AsyncRedisRevocationStore::builder("redis://127.0.0.1/0")
                .prefix("p".repeat(257))
                .build()
                .unwrap_err()
                .code(),
            "redis_invalid_option"
        );
        // Nothing listens there: an error, never "not revoked".
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let failure = runtime.block_on(store.is_revoked(&sid)).unwrap_err();
        assert_eq!(
            (failure.operation(), failure.cause().kind()),
            ("connect", "connection_refused")
        );
        assert!(runtime.block_on(store.revoke(&sid, 2_000)).is_err());
        assert!(runtime.block_on(store.ping()).is_err());
    }
}
