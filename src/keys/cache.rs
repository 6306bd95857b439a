//! The vendor's cache of the portal's JWKS, refreshed through a fetch function the caller supplies.
//!
//! The crate does no HTTP. The cache calls the fetch function when it has no key set, when its set
//! is older than the max age, or when a token names a `kid` it does not know (the portal rotated
//! keys). Fetches are rate-limited, so a flood of tokens with made-up `kid`s cannot turn into a
//! flood of requests to the portal, and a failed fetch keeps the last good set in service.

use std::fmt;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use super::{KeyError, KeySet};
use crate::clock::{Clock, SystemClock};

/// Why the caller's fetch function could not deliver a JWKS document: the class of the failure,
/// never a URL or anything that may hold a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The server answered with a status other than 200.
    #[error("HTTP status {0}")]
    HttpStatus(u16),
    /// Nothing listens at the address (connection refused).
    #[error("connection refused")]
    ConnectionRefused,
    /// The host name did not resolve.
    #[error("host not found")]
    HostNotFound,
    /// The TLS handshake failed (certificate, protocol).
    #[error("TLS handshake failed")]
    Tls,
    /// No answer within the deadline.
    #[error("timed out")]
    Timeout,
    /// The answer was larger than the client accepts.
    #[error("response too large")]
    TooLarge,
    /// Any other transport failure.
    #[error("transport failure")]
    Transport,
}

impl FetchError {
    /// A stable snake_case name of the class.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::HttpStatus(_) => "http_status",
            FetchError::ConnectionRefused => "connection_refused",
            FetchError::HostNotFound => "host_not_found",
            FetchError::Tls => "tls_failure",
            FetchError::Timeout => "timeout",
            FetchError::TooLarge => "response_too_large",
            FetchError::Transport => "transport_failure",
        }
    }
}

/// Why the key cache has no key set to offer: what its last fetch failed with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeysFailure {
    /// The fetch itself failed.
    #[error("fetching the JWKS failed: {0}")]
    Fetch(FetchError),
    /// The document fetched is not a usable JWKS (not JSON, a private key, no usable key, ...).
    /// Its [`KeyError`] quotes at most a bounded excerpt of a `kid`, an `alg` or a member name.
    #[error("the document fetched is not a valid JWKS: {0}")]
    InvalidJwks(KeyError),
    /// The portal's discovery document, read first to find the JWKS, was refused (not the
    /// portal's, another issuer's, an unsupported version, a `jwks_uri` that is not https):
    /// `code` is the reader's error code (`discovery_issuer_mismatch`, `discovery_invalid`, ...).
    #[error("the portal's discovery document was refused ({code})")]
    InvalidDiscovery {
        /// The stable code of the refusal.
        code: &'static str,
    },
}

impl KeysFailure {
    /// A stable snake_case name of the class: the fetch's [`FetchError::kind`], or the
    /// [`KeyError::code`] of the document. The two sets of names never overlap, so an alert can
    /// tell, for example:
    ///
    /// | kind | what happened |
    /// |---|---|
    /// | `http_status` | the portal answered, with a status other than 200 |
    /// | `connection_refused`, `host_not_found`, `timeout`, `tls_failure` | the portal did not answer |
    /// | `invalid_json` | the answer is not JSON (a proxy's or a login page, say) |
    /// | `private_jwk_as_jwks`, `private_key_in_public_set` | a private key was published: rotate it |
    /// | `no_usable_key`, `empty_key_set` | a JWKS without an Ed25519 or P-256 signature key |
    /// | `invalid_discovery` | the discovery document read before the JWKS was refused |
    ///
    /// None of them holds a URL or any text of the answer.
    pub fn kind(&self) -> &'static str {
        match self {
            KeysFailure::Fetch(error) => error.kind(),
            KeysFailure::InvalidJwks(error) => error.code(),
            KeysFailure::InvalidDiscovery { .. } => "invalid_discovery",
        }
    }
}

type FetchFn = dyn Fn() -> Result<String, FetchError> + Send + Sync;

struct State {
    set: Option<Arc<KeySet>>,
    fetched_at: i64,
    last_attempt: Option<i64>,
    last_error: Option<KeysFailure>,
}

/// A thread-safe, self-refreshing holder of the portal's key set.
///
/// ```
/// use cv_portal_plugin::{FetchError, KeyCache};
///
/// // In a real service the closure does an HTTP GET of the portal's JWKS URL and maps its
/// // failures to a `FetchError` class (never a text that could hold a URL or credential).
/// let cache = KeyCache::builder(|| -> Result<String, FetchError> {
///     Ok(r#"{"keys":[{"kty":"OKP","crv":"Ed25519",
///         "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#.to_owned())
/// })
/// .build();
/// assert!(cache.key_set_for("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k").is_ok());
/// ```
pub struct KeyCache {
    fetch: Box<FetchFn>,
    clock: Arc<dyn Clock>,
    max_age: i64,
    min_interval: i64,
    state: RwLock<State>,
    fetching: Mutex<()>,
}

/// Configures a [`KeyCache`].
pub struct KeyCacheBuilder {
    fetch: Box<FetchFn>,
    clock: Arc<dyn Clock>,
    max_age: Duration,
    min_interval: Duration,
}

impl KeyCacheBuilder {
    /// How old a fetched set may get before the cache fetches again (default 1 hour).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The least time between two fetches (default 30 seconds). Values below
    /// [`KeyCache::MIN_REFETCH_INTERVAL_FLOOR`] (1 second) are raised to it, so the rate limit cannot be
    /// switched off.
    pub fn min_refetch_interval(mut self, interval: Duration) -> Self {
        self.min_interval = interval.max(KeyCache::MIN_REFETCH_INTERVAL_FLOOR);
        self
    }

    /// The clock (tests inject a [`FixedClock`](crate::FixedClock)).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the cache. Nothing is fetched until the first lookup or [`KeyCache::refresh`].
    pub fn build(self) -> KeyCache {
        let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        KeyCache {
            fetch: self.fetch,
            clock: self.clock,
            max_age: secs(self.max_age),
            min_interval: secs(self.min_interval),
            state: RwLock::new(State {
                set: None,
                fetched_at: 0,
                last_attempt: None,
                last_error: None,
            }),
            fetching: Mutex::new(()),
        }
    }
}

impl KeyCache {
    /// The default max age of a fetched key set: 1 hour.
    pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(3600);
    /// The default minimum interval between two fetches: 30 seconds.
    pub const DEFAULT_MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(30);
    /// The least interval between two fetches the cache accepts: 1 second. A smaller one would
    /// let a flood of tokens with made-up `kid`s turn into a flood of requests to the portal.
    pub const MIN_REFETCH_INTERVAL_FLOOR: Duration = Duration::from_secs(1);

    /// Starts a cache around `fetch`, which returns the JWKS document text.
    pub fn builder(
        fetch: impl Fn() -> Result<String, FetchError> + Send + Sync + 'static,
    ) -> KeyCacheBuilder {
        KeyCacheBuilder {
            fetch: Box::new(fetch),
            clock: Arc::new(SystemClock),
            max_age: KeyCache::DEFAULT_MAX_AGE,
            min_interval: KeyCache::DEFAULT_MIN_REFETCH_INTERVAL,
        }
    }

    /// Fetches now, whatever the rate limit says (for start-up or an operator's command).
    /// On failure the previous set stays in service.
    pub fn refresh(&self) -> Result<Arc<KeySet>, KeysFailure> {
        let _guard = self.fetching.lock().unwrap_or_else(|e| e.into_inner());
        self.fetch_locked(self.clock.now_unix())
    }

    /// The set currently in service, if any fetch has succeeded.
    pub fn current(&self) -> Option<Arc<KeySet>> {
        self.read().set.clone()
    }

    /// The key set to look `kid` up in. Fetches first when the cache is empty, older than its max
    /// age, or does not know `kid`, unless a fetch happened less than the minimum interval ago.
    /// Fails, with what the last fetch failed with (`None` when none completed), when no fetch
    /// has ever succeeded, or when `kid` is unknown and the last fetch failed: the portal may have
    /// rotated to that key while its JWKS could not be fetched, so the token is not known to be
    /// at fault. While another thread fetches, this never waits unless no set was ever fetched.
    ///
    /// The fetch function runs on the calling thread (it is synchronous): call `verify` from a
    /// blocking-capable thread (`tokio::task::spawn_blocking`, say) in async services.
    pub fn key_set_for(&self, kid: &str) -> Result<Arc<KeySet>, Option<KeysFailure>> {
        let now = self.clock.now_unix();
        let (set, fresh) = self.lookup(kid, now);
        if let Some(set) = &set
            && fresh
        {
            return Ok(Arc::clone(set));
        }
        // A fetch is running: a known key (in a set past its max age) keeps verifying, and an
        // unknown kid is answered from the set in service rather than waiting for the fetch, so a
        // burst of made-up kids cannot hold threads. Only the very first fetch is waited for.
        let _guard = match self.fetching.try_lock() {
            Ok(guard) => guard,
            Err(std::sync::TryLockError::WouldBlock) => {
                if let Some(set) = set {
                    return Ok(set);
                }
                if self.read().set.is_some() {
                    return self.answer(kid);
                }
                self.fetching.lock().unwrap_or_else(|e| e.into_inner())
            }
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
        };
        // Another thread may have fetched while this one waited.
        if let (Some(set), true) = self.lookup(kid, now) {
            return Ok(set);
        }
        let may_fetch = self
            .read()
            .last_attempt
            .is_none_or(|last| now.saturating_sub(last) >= self.min_interval);
        if may_fetch {
            // A failure is recorded in the state; the last good set stays in service.
            let _ = self.fetch_locked(now);
        }
        self.answer(kid)
    }

    /// The set to look `kid` up in, from the state as it is: the set in service when it knows
    /// `kid` or the last fetch succeeded (then an unknown `kid` is the token's fault); the last
    /// failure when there is no set, or when `kid` is unknown and the last fetch failed (the
    /// portal may have rotated to that key while its JWKS could not be fetched).
    fn answer(&self, kid: &str) -> Result<Arc<KeySet>, Option<KeysFailure>> {
        let state = self.read();
        match (&state.set, &state.last_error) {
            (Some(set), _) if set.get(kid).is_some() => Ok(Arc::clone(set)),
            (Some(_), Some(failure)) => Err(Some(failure.clone())),
            (Some(set), None) => Ok(Arc::clone(set)),
            (None, failure) => Err(failure.clone()),
        }
    }

    /// What the last fetch failed with, if it failed.
    pub fn last_error(&self) -> Option<KeysFailure> {
        self.read().last_error.clone()
    }

    /// The set in service if it holds `kid`, and whether it is within its max age.
    fn lookup(&self, kid: &str, now: i64) -> (Option<Arc<KeySet>>, bool) {
        let state = self.read();
        match state.set.as_ref() {
            Some(set) if set.get(kid).is_some() => (
                Some(Arc::clone(set)),
                now.saturating_sub(state.fetched_at) < self.max_age,
            ),
            _ => (None, false),
        }
    }

    fn fetch_locked(&self, now: i64) -> Result<Arc<KeySet>, KeysFailure> {
        let outcome = (self.fetch)()
            .map_err(KeysFailure::Fetch)
            .and_then(|text| KeySet::from_jwks_json(&text).map_err(KeysFailure::InvalidJwks));
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        state.last_attempt = Some(now);
        match outcome {
            Ok(set) => {
                let set = Arc::new(set);
                state.set = Some(Arc::clone(&set));
                state.fetched_at = now;
                state.last_error = None;
                Ok(set)
            }
            Err(reason) => {
                state.last_error = Some(reason.clone());
                Err(reason)
            }
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for KeyCacheBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyCacheBuilder")
            .field("max_age", &self.max_age)
            .field("min_refetch_interval", &self.min_interval)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.read();
        f.debug_struct("KeyCache")
            .field("keys", &state.set.as_ref().map(|s| s.len()))
            .field("fetched_at", &state.fetched_at)
            .field("max_age", &self.max_age)
            .field("min_refetch_interval", &self.min_interval)
            .finish_non_exhaustive()
    }
}
