//! [`RedisRevocationStore`] (feature `redis`): revoked sessions shared by every instance that
//! uses the same Redis database, on the connection handling of
//! [`RedisReplayGuard`] (one bounded pool, one deadline
//! per call, reconnection, errors without URL or password).
//!
//! `revoke` is `SET <prefix><sid> 1 PX <ttl>`, `is_revoked` is `EXISTS <prefix><sid>`. Like the
//! replay guard it fails closed: an error, a timeout or an unexpected reply makes `is_revoked`
//! an error, and the session is refused with `session_store_unavailable` (503), never accepted as
//! "not revoked". Run Redis as the replay guard's documentation says (`noeviction`: an evicting
//! policy could forget a revocation).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use redis::Value;

use super::revocation::RevocationStore;
use super::token::SessionId;
use crate::clock::{Clock, SystemClock};
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
        format!("{}{}", self.prefix, sid.as_str())
    }

    fn ttl_ms(&self, until_unix: i64) -> i64 {
        until_unix
            .saturating_sub(self.clock.now_unix())
            .saturating_mul(1000)
            .saturating_add(SKEW_MARGIN_MS)
            .max(MIN_TTL_MS)
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
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key_for(sid))
            .arg(1)
            .arg("PX")
            .arg(self.ttl_ms(until_unix));
        match self.pool.request(&cmd, "SET").map_err(unavailable("SET"))? {
            Value::Okay => Ok(()),
            Value::SimpleString(ok) if ok == "OK" => Ok(()),
            _ => Err(StoreFailure::new("SET", StoreCause::UnexpectedReply)),
        }
    }

    fn is_revoked(&self, sid: &SessionId) -> Result<bool, StoreFailure> {
        let mut cmd = redis::cmd("EXISTS");
        cmd.arg(self.key_for(sid));
        match self
            .pool
            .request(&cmd, "EXISTS")
            .map_err(unavailable("EXISTS"))?
        {
            Value::Int(0) => Ok(false),
            Value::Int(1) => Ok(true),
            _ => Err(StoreFailure::new("EXISTS", StoreCause::UnexpectedReply)),
        }
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
}
