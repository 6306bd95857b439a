//! The Redis replay guard for async services (cargo feature `redis-async`): the blocking guard's
//! keys, `SET NX PX`, deadline and failure classes, over one multiplexed tokio connection.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Cmd, RedisError, Value};
use tokio::time::{Instant, timeout_at};

use super::redis::{
    RedisGuardError, RedisReplayGuard, RedisReplayGuardBuilder, Settings, describe,
    handshake_reply, is_stale, ping_reply, server_error, set_reply,
};
use super::{AsyncReplayGuard, ReplayEntry, ReplayError, ReplayFuture, StoreCause, StoreFailure};

/// Configures an [`AsyncRedisReplayGuard`]; start with [`AsyncRedisReplayGuard::builder`].
///
/// The options are the blocking guard's (see [`RedisReplayGuardBuilder`]) but the pool size:
/// the async guard sends every command over one multiplexed connection.
pub struct AsyncRedisReplayGuardBuilder {
    inner: RedisReplayGuardBuilder,
}

impl AsyncRedisReplayGuardBuilder {
    /// The key prefix (see [`RedisReplayGuardBuilder::prefix`]). A blocking and an async guard
    /// with the same server, database and prefix share their tokens.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.inner = self.inner.prefix(prefix);
        self
    }

    /// The bound on one call: waiting for a connection being opened, opening one if needed and
    /// the `SET` itself (see [`RedisReplayGuardBuilder::timeout`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.inner = self.inner.timeout(timeout);
        self
    }

    /// How long a key outlives `expires_at` (see [`RedisReplayGuardBuilder::skew_margin`]).
    pub fn skew_margin(mut self, margin: Duration) -> Self {
        self.inner = self.inner.skew_margin(margin);
        self
    }

    /// Checks the URL and options and builds the guard. No connection is opened yet (the first
    /// call opens one; [`AsyncRedisReplayGuard::connect`] checks the server at start-up).
    pub fn build(self) -> Result<AsyncRedisReplayGuard, RedisGuardError> {
        let settings = self.inner.settings()?;
        Ok(AsyncRedisReplayGuard {
            settings,
            current: Mutex::new(None),
            opening: tokio::sync::Mutex::new(()),
            opened: AtomicU64::new(0),
        })
    }
}

impl fmt::Debug for AsyncRedisReplayGuardBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncRedisReplayGuardBuilder")
            .field("options", &self.inner)
            .finish()
    }
}

/// An [`AsyncReplayGuard`] on Redis: single use across every instance of an async service,
/// without blocking a runtime thread.
///
/// It takes the blocking [`RedisReplayGuard`]'s URLs and writes the same keys with the same
/// atomic `SET key 1 NX PX ttl`, so the two can serve one store side by side. Each call is
/// bounded by the timeout (default 500 ms) and fails closed: no answer in time, or any answer but
/// `OK` or nil, rejects the token with `replay_store_unavailable` and a [`StoreFailure`] of the
/// same kinds as the blocking guard's. `rediss://` URLs need the feature `redis-tls` too
/// (tokio-rustls; install a rustls crypto provider at start-up, as for the blocking guard).
///
/// All calls share one multiplexed connection, opened on first use by one call while the others
/// wait (within their deadlines). A connection that failed or timed out is dropped and the next
/// call opens a new one, so the guard recovers from a Redis restart by itself; a command that met
/// a connection the server had closed while idle is sent once more on a fresh one.
///
/// The connection's driver runs on the tokio runtime of the call that opened it: use the guard
/// from one runtime with I/O and time enabled (`#[tokio::main]`, `Runtime::new()`).
///
/// ```no_run
/// use cv_portal_plugin::replay::AsyncReplayGuard;
/// use cv_portal_plugin::replay::redis::AsyncRedisReplayGuard;
/// use cv_portal_plugin::ReplayEntry;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let guard = AsyncRedisReplayGuard::connect("redis://:password@10.0.0.5:6379/0").await?;
/// let entry = ReplayEntry::new("https://portal", "financeiro", "0123456789abcdef", 1_060, 1_000);
/// guard.check_and_insert(&entry).await?;
/// # Ok(()) }
/// ```
pub struct AsyncRedisReplayGuard {
    settings: Settings,
    /// The shared connection, if one is open.
    current: Mutex<Option<Open>>,
    /// Held while a connection is being opened, so that one call opens it for all.
    opening: tokio::sync::Mutex<()>,
    /// How many connections were opened: names each one, so that a call drops only the
    /// connection it saw fail.
    opened: AtomicU64,
}

#[derive(Clone)]
struct Open {
    conn: MultiplexedConnection,
    id: u64,
}

impl AsyncRedisReplayGuard {
    /// Starts configuring a guard for the server at `url`.
    pub fn builder(url: impl Into<String>) -> AsyncRedisReplayGuardBuilder {
        AsyncRedisReplayGuardBuilder {
            inner: RedisReplayGuard::builder(url),
        }
    }

    /// A guard with the default options that has answered one `PING`: fails at start-up if the
    /// server is unreachable or refuses the credentials, rather than at the first token.
    pub async fn connect(url: impl Into<String>) -> Result<AsyncRedisReplayGuard, RedisGuardError> {
        let guard = AsyncRedisReplayGuard::builder(url).build()?;
        match guard.ping().await {
            Ok(()) => Ok(guard),
            Err(ReplayError::Unavailable(failure)) => Err(RedisGuardError::Unavailable { failure }),
            Err(_) => Err(RedisGuardError::Unavailable {
                failure: StoreFailure::new("PING", StoreCause::UnexpectedReply),
            }),
        }
    }

    /// Sends `PING` within the timeout: a readiness check.
    pub async fn ping(&self) -> Result<(), ReplayError> {
        ping_reply(self.request(&redis::cmd("PING"), "PING").await?)
    }

    /// The Redis key this guard uses for `entry`: the same as
    /// [`RedisReplayGuard::key_for`]'s.
    pub fn key_for(&self, entry: &ReplayEntry<'_>) -> String {
        self.settings.key_for(entry)
    }

    /// Runs one command within the timeout, opening the connection if needed.
    pub(crate) async fn request(
        &self,
        cmd: &Cmd,
        what: &'static str,
    ) -> Result<Value, ReplayError> {
        let deadline = Instant::now() + self.settings.timeout;
        let mut retried = false;
        loop {
            let (mut open, reused) = match self.shared() {
                Some(open) => (open, true),
                None => (self.open(deadline).await?, false),
            };
            let error = match timeout_at(deadline, open.conn.send_packed_command(cmd)).await {
                Ok(Ok(Value::ServerError(error))) => return Err(server_error(what, &error)),
                Ok(Ok(value)) => return Ok(value),
                // An error reply leaves the connection as good as it was.
                Ok(Err(error)) if error.code().is_some() => {
                    return Err(ReplayError::Unavailable(describe(what, &error)));
                }
                Ok(Err(error)) => error,
                Err(_elapsed) => {
                    self.forget(open.id);
                    return Err(timed_out(what));
                }
            };
            self.forget(open.id);
            // The server closed this connection while it sat idle (a restart): send the command
            // once more on a fresh one. Had it been executed after all, the second `SET` answers
            // nil and a legitimate token is refused as `replayed`; a replay is never accepted.
            if reused && !retried && is_stale(&error) {
                retried = true;
                continue;
            }
            return Err(ReplayError::Unavailable(describe(what, &error)));
        }
    }

    /// The open connection, if any.
    fn shared(&self) -> Option<Open> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Drops connection `id` if it is still the shared one (another call may have replaced it).
    fn forget(&self, id: u64) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_some_and(|open| open.id == id) {
            *current = None;
        }
    }

    /// Opens the shared connection (or takes the one another call just opened), then
    /// authenticates and selects the database, all before `deadline`.
    async fn open(&self, deadline: Instant) -> Result<Open, ReplayError> {
        let _opening = timeout_at(deadline, self.opening.lock())
            .await
            .map_err(|_| timed_out("connect"))?;
        if let Some(open) = self.shared() {
            return Ok(open);
        }
        // No timeouts of the client's own: the deadline bounds every step.
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(None)
            .set_response_timeout(None);
        let mut conn = timeout_at(
            deadline,
            self.settings
                .client
                .get_multiplexed_async_connection_with_config(&config),
        )
        .await
        .map_err(|_| timed_out("connect"))?
        .map_err(|error: RedisError| ReplayError::Unavailable(describe("connect", &error)))?;
        for (what, cmd) in &self.settings.handshake {
            match timeout_at(deadline, conn.send_packed_command(cmd)).await {
                Ok(Ok(value)) => handshake_reply(what, value)?,
                Ok(Err(error)) => return Err(ReplayError::Unavailable(describe(what, &error))),
                Err(_elapsed) => return Err(timed_out(what)),
            }
        }
        let open = Open {
            conn,
            id: self.opened.fetch_add(1, Ordering::Relaxed),
        };
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(open.clone());
        Ok(open)
    }
}

/// `what` did not finish before the call's deadline.
fn timed_out(what: &'static str) -> ReplayError {
    ReplayError::Unavailable(StoreFailure::new(what, StoreCause::Timeout))
}

impl AsyncReplayGuard for AsyncRedisReplayGuard {
    /// One `SET key 1 NX PX ttl`: `OK` accepts, nil is a replay, anything else (an error, a
    /// timeout, an unexpected reply) fails closed with [`ReplayError::Unavailable`].
    fn check_and_insert<'a>(&'a self, entry: &'a ReplayEntry<'a>) -> ReplayFuture<'a> {
        let cmd = self.settings.set_command(entry);
        Box::pin(async move { set_reply(self.request(&cmd, "SET").await?) })
    }
}

impl fmt::Debug for AsyncRedisReplayGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let settings = &self.settings;
        f.debug_struct("AsyncRedisReplayGuard")
            .field("server", &settings.target.display)
            .field("credentials", &settings.target.credentials)
            .field("prefix", &settings.prefix)
            .field("timeout", &settings.timeout)
            .field("skew_margin_ms", &settings.skew_margin_ms)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for AsyncRedisReplayGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "async Redis replay guard at {}",
            self.settings.target.display
        )
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;
    use crate::replay::redis::DEFAULT_PREFIX;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    fn entry(jti: &str) -> ReplayEntry<'_> {
        ReplayEntry::new("https://portal", "financeiro", jti, 1_060, 1_000)
    }

    #[test]
    fn keys_are_the_blocking_guards() {
        let url = "redis://127.0.0.1:6379/0";
        let blocking = RedisReplayGuard::builder(url).build().unwrap();
        let guard = AsyncRedisReplayGuard::builder(url).build().unwrap();
        assert_eq!(guard.key_for(&entry("j")), blocking.key_for(&entry("j")));
        assert!(guard.key_for(&entry("j")).starts_with(DEFAULT_PREFIX));
        let other = AsyncRedisReplayGuard::builder(url)
            .prefix("other:")
            .build()
            .unwrap();
        assert!(other.key_for(&entry("j")).starts_with("other:"));
        // The SET is the shared one, with the shared TTL rule.
        let packed =
            String::from_utf8(guard.settings.set_command(&entry("j")).get_packed_command())
                .unwrap();
        assert!(packed.contains("$3\r\nSET\r\n"), "{packed}");
        assert!(
            packed.contains("\r\nNX\r\n$2\r\nPX\r\n$6\r\n120000\r\n"),
            "{packed}"
        );
    }

    #[test]
    fn urls_and_options_are_checked_like_the_blocking_guards() {
        let code = |builder: AsyncRedisReplayGuardBuilder| builder.build().unwrap_err().code();
        assert_eq!(
            code(AsyncRedisReplayGuard::builder("http://x/0")),
            "redis_invalid_url"
        );
        assert_eq!(
            code(AsyncRedisReplayGuard::builder("redis://127.0.0.1/0").timeout(Duration::ZERO)),
            "redis_invalid_option"
        );
        #[cfg(not(feature = "redis-tls"))]
        assert_eq!(
            code(AsyncRedisReplayGuard::builder("rediss://127.0.0.1/0")),
            "redis_tls_not_enabled"
        );
        // With `redis-tls` the shared checks apply (a provider is asked for, never installed).
        #[cfg(feature = "redis-tls")]
        assert!(matches!(
            AsyncRedisReplayGuard::builder("rediss://127.0.0.1/0").build(),
            Ok(_) | Err(RedisGuardError::TlsNoCryptoProvider)
        ));
    }

    #[test]
    fn debug_and_display_never_show_the_password() {
        let guard = AsyncRedisReplayGuard::builder("redis://user:s3cret@127.0.0.1:6379/2")
            .build()
            .unwrap();
        let builder = AsyncRedisReplayGuard::builder("redis://:s3cret@127.0.0.1:6379/2");
        for shown in [
            format!("{guard:?}"),
            format!("{guard}"),
            format!("{builder:?}"),
        ] {
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(!shown.contains("user"), "{shown}");
            assert!(shown.contains("127.0.0.1:6379/2"), "{shown}");
        }
    }

    #[test]
    fn a_closed_port_fails_closed_as_a_refused_connection() {
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let guard = AsyncRedisReplayGuard::builder(format!("redis://127.0.0.1:{port}/0"))
            .build()
            .unwrap();
        let error = runtime()
            .block_on(guard.check_and_insert(&entry("a")))
            .unwrap_err();
        let ReplayError::Unavailable(failure) = &error else {
            panic!("{error:?}");
        };
        assert_eq!(
            (failure.operation(), failure.cause().kind()),
            ("connect", "connection_refused")
        );
        assert_eq!(
            crate::VerifyError::from(error).code(),
            "replay_store_unavailable"
        );
    }

    #[test]
    fn a_server_that_never_answers_fails_closed_within_the_deadline() {
        // Accepts the connection and reads nothing back: the SET gets no reply.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let guard = AsyncRedisReplayGuard::builder(format!("redis://127.0.0.1:{port}/0"))
            .timeout(Duration::from_millis(150))
            .build()
            .unwrap();
        let started = std::time::Instant::now();
        let error = runtime()
            .block_on(guard.check_and_insert(&entry("a")))
            .unwrap_err();
        let elapsed = started.elapsed();
        assert_eq!(
            error,
            ReplayError::Unavailable(StoreFailure::new("SET", StoreCause::Timeout))
        );
        assert!(elapsed >= Duration::from_millis(150), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(1_000), "{elapsed:?}");
        // The connection that timed out is dropped: the next call opens a new one.
        assert!(guard.shared().is_none());
        drop(listener);
    }

    #[test]
    fn a_password_the_server_never_answers_times_out_as_auth() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let guard = AsyncRedisReplayGuard::builder(format!("redis://:pw@127.0.0.1:{port}/0"))
            .timeout(Duration::from_millis(100))
            .build()
            .unwrap();
        let error = runtime().block_on(guard.ping()).unwrap_err();
        assert_eq!(
            error,
            ReplayError::Unavailable(StoreFailure::new("AUTH", StoreCause::Timeout))
        );
        drop(listener);
    }
}
