//! [`KeySource`]: the portal's current keys in memory, read by verification without ever waiting
//! on the network, and refreshed off the request path by [`KeySource::run_refresh`] (or pushed
//! with [`KeySource::set`]).
//!
//! Why it differs from [`KeyCache`](super::KeyCache): the cache runs its caller's blocking fetch
//! inside `verify` under a mutex and measures its rate limit on the wall clock. Here `verify` only
//! reads; an unknown `kid` at most *asks* the background driver for a refetch, coalesced (one
//! outstanding request) and rate-limited, all on monotonic time, so a burst of made-up `kid`s
//! cannot stall a worker or flood the portal, and a wall clock stepped back freezes nothing.

use std::collections::BTreeSet;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use super::cache::{FetchError, KeysFailure};
use super::{KeyError, KeySet};

/// A source of monotonic time for [`KeySource`]: it never goes back, whatever the wall clock does.
pub trait MonotonicClock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The operating system's monotonic clock, [`Instant::now`].
#[derive(Debug, Clone, Copy, Default)]
pub struct StdMonotonicClock;

impl MonotonicClock for StdMonotonicClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A monotonic clock that moves only when told: for tests.
#[derive(Debug)]
pub struct ManualMonotonicClock {
    start: Instant,
    elapsed_nanos: AtomicU64,
}

impl ManualMonotonicClock {
    /// A clock standing at the instant it is created.
    pub fn new() -> Self {
        ManualMonotonicClock {
            start: Instant::now(),
            elapsed_nanos: AtomicU64::new(0),
        }
    }

    /// Moves the clock forward by `by` (monotonic time never goes back).
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.elapsed_nanos.fetch_add(nanos, Ordering::SeqCst);
    }

    /// How far the clock has moved since it was created.
    pub fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.elapsed_nanos.load(Ordering::SeqCst))
    }
}

impl Default for ManualMonotonicClock {
    fn default() -> Self {
        ManualMonotonicClock::new()
    }
}

impl MonotonicClock for ManualMonotonicClock {
    fn now(&self) -> Instant {
        self.start + self.elapsed()
    }
}

impl<C: MonotonicClock + ?Sized> MonotonicClock for Arc<C> {
    fn now(&self) -> Instant {
        (**self).now()
    }
}

impl From<FetchError> for KeysFailure {
    fn from(error: FetchError) -> Self {
        KeysFailure::Fetch(error)
    }
}

impl From<KeyError> for KeysFailure {
    fn from(error: KeyError) -> Self {
        KeysFailure::InvalidJwks(error)
    }
}

/// What a fetch of the portal's keys delivers: the key set and the `max-age` of its
/// `Cache-Control` header, if it had one ([`max_age_from_cache_control`]).
pub type FetchedKeys = (KeySet, Option<Duration>);

/// The `max-age` of a `Cache-Control` header value, if it has exactly one that is a whole number
/// of seconds. `no-store` and `no-cache` read as zero (the refresh interval is then its floor,
/// [`KeySource::MIN_REFRESH_INTERVAL`]).
///
/// ```
/// use cv_portal_plugin::keys::max_age_from_cache_control;
/// use std::time::Duration;
/// assert_eq!(max_age_from_cache_control("public, max-age=900"), Some(Duration::from_secs(900)));
/// assert_eq!(max_age_from_cache_control("no-store"), Some(Duration::ZERO));
/// assert_eq!(max_age_from_cache_control("max-age=soon"), None);
/// ```
pub fn max_age_from_cache_control(value: &str) -> Option<Duration> {
    let mut max_age = None;
    let mut uncached = false;
    for directive in value.split(',') {
        let directive = directive.trim();
        let (name, argument) = match directive.split_once('=') {
            Some((name, argument)) => (name.trim(), Some(argument.trim().trim_matches('"'))),
            None => (directive, None),
        };
        if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
            uncached = true;
        } else if name.eq_ignore_ascii_case("max-age") {
            let seconds = argument
                .filter(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()))
                // A number too large for u64 is "a very long time", as RFC 9111 §1.2.2 says.
                .map(|a| a.parse::<u64>().unwrap_or(u64::MAX))?;
            if max_age.replace(seconds).is_some() {
                return None;
            }
        }
    }
    if uncached {
        return Some(Duration::ZERO);
    }
    max_age.map(Duration::from_secs)
}

/// The keys held: never any, or a set obtained at an instant (`None` once every key of it was
/// invalidated).
struct Held {
    set: Option<Arc<KeySet>>,
    obtained_at: Instant,
    /// Pushed with [`KeySource::set`]: the vendor vouches for it, so it does not age out.
    pushed: bool,
}

struct State {
    held: Option<Held>,
    last_failure: Option<KeysFailure>,
    /// A refetch was requested and the driver has not taken it yet.
    requested: bool,
    /// The last refetch request granted or fetch started: the rate limit counts from here.
    last_attempt: Option<Instant>,
    /// When the driver's next scheduled fetch is due (`None`: at once).
    next_due: Option<Instant>,
    /// Key ids refused whatever set is pushed or fetched later.
    invalidated: BTreeSet<String>,
    /// Counts pushes and `invalidate_all`s: a fetch that started before the latest one lands
    /// with an older answer, so it is not put in service over it.
    generation: u64,
    /// The driver waiting for a request.
    waker: Option<Waker>,
}

/// The portal's current keys, held in memory and read by verification without blocking.
///
/// A `KeySource` gets keys two ways: pushed ([`set`](Self::set)), or fetched by its background
/// driver ([`run_refresh`](Self::run_refresh)), which refreshes on the schedule the JWKS's
/// `Cache-Control: max-age` sets (clamped to 60 s–10 min, 5 min without one) and at once when a
/// token named an unknown `kid`. Verification ([`Verifier`](crate::Verifier) through
/// [`VerifierBuilder::key_source`](crate::VerifierBuilder::key_source)) never waits for either:
///
/// - a known `kid` is looked up in the set in memory;
/// - an unknown `kid` fails at once (`unknown_kid`, or `keys_unavailable` when the last fetch
///   failed, as with [`KeyCache`](super::KeyCache)) and asks the driver for a refetch: at most one
///   outstanding request, and at most one per [`min_refetch_interval`](KeySourceBuilder::min_refetch_interval)
///   (30 s), measured on monotonic time;
/// - a failed fetch keeps the last good set in service (stale-if-error), but never longer than
///   [`max_staleness`](KeySourceBuilder::max_staleness) (1 hour) after it was obtained: then
///   tokens fail with `keys_unavailable` until a fetch succeeds;
/// - [`invalidate`](Self::invalidate) takes a compromised key out of service at once, and keeps
///   it out of every set pushed or fetched later.
///
/// ```
/// use std::sync::Arc;
/// use cv_portal_plugin::keys::KeySource;
/// use cv_portal_plugin::KeySet;
///
/// let source = Arc::new(KeySource::new());
/// source.set(KeySet::from_jwks_json(r#"{"keys":[{"kty":"OKP","crv":"Ed25519",
///     "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#)?);
/// let kid = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
/// assert!(source.current().unwrap().get(kid).is_some());
/// source.invalidate(kid); // compromised: refused from now on
/// assert!(source.current().is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct KeySource {
    clock: Arc<dyn MonotonicClock>,
    min_interval: Duration,
    max_staleness: Duration,
    fetch_deadline: Duration,
    state: RwLock<State>,
    refetch_requests: AtomicU64,
}

/// Configures a [`KeySource`].
pub struct KeySourceBuilder {
    clock: Arc<dyn MonotonicClock>,
    min_interval: Duration,
    max_staleness: Duration,
    fetch_deadline: Duration,
}

impl KeySourceBuilder {
    /// The least time between two refetches asked for by unknown `kid`s (default 30 seconds).
    /// Values below [`KeySource::MIN_REFETCH_INTERVAL_FLOOR`] (1 second) are raised to it, so the
    /// rate limit cannot be switched off.
    pub fn min_refetch_interval(mut self, interval: Duration) -> Self {
        self.min_interval = interval.max(KeySource::MIN_REFETCH_INTERVAL_FLOOR);
        self
    }

    /// How long after it was obtained a set stays in service while fetches fail (default 1 hour).
    /// Values below [`KeySource::MIN_MAX_STALENESS`] (2 minutes) are raised to it. The driver
    /// refreshes at least twice per this span, so a healthy source never reaches it.
    pub fn max_staleness(mut self, max: Duration) -> Self {
        self.max_staleness = max.max(KeySource::MIN_MAX_STALENESS);
        self
    }

    /// How long the driver waits for one fetch before counting it as failed with
    /// [`FetchError::Timeout`] (default 10 seconds, at least 1 second).
    pub fn fetch_deadline(mut self, deadline: Duration) -> Self {
        self.fetch_deadline = deadline.max(Duration::from_secs(1));
        self
    }

    /// The monotonic clock (tests inject a [`ManualMonotonicClock`]).
    pub fn clock(mut self, clock: Arc<dyn MonotonicClock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the source, empty: verification fails with `keys_unavailable` until a set is
    /// pushed or fetched.
    pub fn build(self) -> KeySource {
        KeySource {
            clock: self.clock,
            min_interval: self.min_interval,
            max_staleness: self.max_staleness,
            fetch_deadline: self.fetch_deadline,
            state: RwLock::new(State {
                held: None,
                last_failure: None,
                requested: false,
                last_attempt: None,
                next_due: None,
                invalidated: BTreeSet::new(),
                generation: 0,
                waker: None,
            }),
            refetch_requests: AtomicU64::new(0),
        }
    }
}

/// What woke the driver.
enum Wake {
    Stop,
    Due,
}

impl KeySource {
    /// The default least interval between two refetches asked for by unknown `kid`s: 30 seconds.
    pub const DEFAULT_MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(30);
    /// The least such interval a source accepts: 1 second.
    pub const MIN_REFETCH_INTERVAL_FLOOR: Duration = Duration::from_secs(1);
    /// The refresh interval when the JWKS has no `Cache-Control: max-age`: 5 minutes.
    pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::from_secs(300);
    /// The least refresh interval, whatever `max-age` says: 1 minute.
    pub const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(60);
    /// The largest refresh interval, whatever `max-age` says: 10 minutes. With the fetch
    /// deadline, this bounds how long a key the portal removed keeps verifying.
    pub const MAX_REFRESH_INTERVAL: Duration = Duration::from_secs(600);
    /// The default hard limit on serving a set while fetches fail: 1 hour.
    pub const DEFAULT_MAX_STALENESS: Duration = Duration::from_secs(3600);
    /// The least such limit a source accepts: 2 minutes.
    pub const MIN_MAX_STALENESS: Duration = Duration::from_secs(120);
    /// The default deadline of one fetch of the driver: 10 seconds.
    pub const DEFAULT_FETCH_DEADLINE: Duration = Duration::from_secs(10);

    /// An empty source with the defaults and the system's monotonic clock.
    pub fn new() -> KeySource {
        KeySource::builder().build()
    }

    /// Starts configuring a source.
    pub fn builder() -> KeySourceBuilder {
        KeySourceBuilder {
            clock: Arc::new(StdMonotonicClock),
            min_interval: KeySource::DEFAULT_MIN_REFETCH_INTERVAL,
            max_staleness: KeySource::DEFAULT_MAX_STALENESS,
            fetch_deadline: KeySource::DEFAULT_FETCH_DEADLINE,
        }
    }

    /// Puts `keys` in service at once (a JWKS pushed by the portal or loaded by the vendor), minus
    /// any invalidated key, and clears the last failure.
    ///
    /// A pushed set stays in service until it is replaced (by another push, or by a fetch of the
    /// background driver that started after this push): the max staleness bounds fetched sets
    /// only, since a fetch that keeps failing says the portal cannot be reached, while a pushed
    /// set is the vendor's own word. A fetch already running when `set` is called is not put in
    /// service when it lands (its answer is older than the push).
    pub fn set(&self, keys: KeySet) {
        let now = self.clock.now();
        let mut state = self.write();
        let set = without(&keys, &state.invalidated).unwrap_or_else(|| Some(Arc::new(keys)));
        state.held = Some(Held {
            set,
            obtained_at: now,
            pushed: true,
        });
        state.last_failure = None;
        state.generation += 1;
    }

    /// Takes the key `kid` out of service at once (it was compromised), and keeps it out of every
    /// set pushed or fetched later, until [`reinstate`](Self::reinstate). Tokens signed with it
    /// then fail with `unknown_kid`. Returns whether the set in service held it.
    pub fn invalidate(&self, kid: &str) -> bool {
        let mut state = self.write();
        state.invalidated.insert(kid.to_owned());
        let invalidated = std::mem::take(&mut state.invalidated);
        let mut removed = false;
        if let Some(held) = &mut state.held
            && let Some(set) = &held.set
            && let Some(rest) = without(set, &invalidated)
        {
            held.set = rest;
            removed = true;
        }
        state.invalidated = invalidated;
        removed
    }

    /// Lets a key invalidated by mistake back in: it verifies again once a set holding it is
    /// pushed or fetched. Returns whether it was invalidated.
    pub fn reinstate(&self, kid: &str) -> bool {
        self.write().invalidated.remove(kid)
    }

    /// Drops the whole set in service at once and asks the driver for a refetch, whatever the
    /// rate limit says (an operator's command). Until a set is fetched or pushed, tokens fail with
    /// `keys_unavailable`. Keys the portal still publishes come back with the next set: to keep
    /// one out, [`invalidate`](Self::invalidate) it.
    pub fn invalidate_all(&self) {
        let now = self.clock.now();
        let mut state = self.write();
        state.held = None;
        state.generation += 1;
        self.grant(&mut state, now);
    }

    /// The set in service: `None` before any set was obtained, after
    /// [`invalidate_all`](Self::invalidate_all), once every key of it was invalidated, or when
    /// a fetched set is older than the max staleness.
    pub fn current(&self) -> Option<Arc<KeySet>> {
        let now = self.clock.now();
        let state = self.read();
        self.live(&state, now).and_then(|held| held.set.clone())
    }

    /// What the last fetch failed with, if it failed (cleared by a success or [`set`](Self::set)).
    pub fn last_failure(&self) -> Option<KeysFailure> {
        self.read().last_failure.clone()
    }

    /// How many refetches unknown `kid`s (or [`invalidate_all`](Self::invalidate_all)) have asked
    /// for since the source was built: at most one per minimum refetch interval.
    pub fn refetch_requests(&self) -> u64 {
        self.refetch_requests.load(Ordering::Relaxed)
    }

    /// The set to look `kid` up in, for verification; never blocks on the network. As
    /// [`KeyCache::key_set_for`](super::KeyCache::key_set_for) answers: the set when it holds
    /// `kid`, or when the last fetch succeeded (then an unknown `kid` is the token's fault; `None`
    /// when every key was invalidated); the last failure when there is no set in service, or when
    /// `kid` is unknown and the last fetch failed. An unknown `kid` asks for a refetch.
    pub(crate) fn key_set_for(
        &self,
        kid: &str,
    ) -> Result<Option<Arc<KeySet>>, Option<KeysFailure>> {
        let now = self.clock.now();
        let answer = {
            let state = self.read();
            match (self.live(&state, now), &state.last_failure) {
                (Some(held), _) if held.set.as_ref().is_some_and(|s| s.get(kid).is_some()) => {
                    return Ok(held.set.clone());
                }
                (Some(_), Some(failure)) => Err(Some(failure.clone())),
                (Some(held), None) => Ok(held.set.clone()),
                (None, failure) => Err(failure.clone()),
            }
        };
        self.request_refetch();
        answer
    }

    /// Asks the driver for a refetch, unless one is outstanding or one was granted (or a fetch
    /// started) less than the minimum refetch interval ago. Never waits. Returns whether the
    /// request was granted.
    pub fn request_refetch(&self) -> bool {
        let now = self.clock.now();
        if !self.may_request(&self.read(), now) {
            return false;
        }
        let mut state = self.write();
        if !self.may_request(&state, now) {
            return false;
        }
        self.grant(&mut state, now);
        true
    }

    fn may_request(&self, state: &State, now: Instant) -> bool {
        !state.requested
            && state
                .last_attempt
                .is_none_or(|last| now.saturating_duration_since(last) >= self.min_interval)
    }

    fn grant(&self, state: &mut State, now: Instant) {
        state.requested = true;
        state.last_attempt = Some(now);
        self.refetch_requests.fetch_add(1, Ordering::Relaxed);
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }

    /// Fetches once with `fetch` and puts the result in service (minus invalidated keys), or
    /// records the failure and keeps the last good set. For start-up: await it and fail fast when
    /// the portal's URL is wrong. Applies no deadline of its own (the driver does).
    pub async fn refresh_with<F>(&self, fetch: F) -> Result<Arc<KeySet>, KeysFailure>
    where
        F: Future<Output = Result<FetchedKeys, KeysFailure>>,
    {
        let since = self.started(self.clock.now());
        let outcome = fetch.await;
        self.record(outcome, since)
    }

    /// The background driver: refreshes the source with `fetch` until `stop` completes. Run one
    /// per source, on any executor (the crate picks no runtime): `sleep` is the executor's timer,
    /// `tokio::time::sleep` for example.
    ///
    /// It fetches at once unless a fetch already set the next due time, then whenever the
    /// refresh interval has passed (the `max-age` the fetch returned, clamped to
    /// [`MIN_REFRESH_INTERVAL`](Self::MIN_REFRESH_INTERVAL)..=[`MAX_REFRESH_INTERVAL`](Self::MAX_REFRESH_INTERVAL),
    /// [`DEFAULT_REFRESH_INTERVAL`](Self::DEFAULT_REFRESH_INTERVAL) without one, and at most half
    /// the max staleness), after a failure once the minimum refetch interval has passed, and at
    /// once when an unknown `kid` asked for a refetch. A fetch that takes longer than the fetch
    /// deadline fails with [`FetchError::Timeout`].
    ///
    /// ```no_run
    /// # #[cfg(feature = "http")]
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use cv_portal_plugin::keys::KeySource;
    /// use cv_portal_plugin::{IssuerId, PortalHttp};
    ///
    /// let issuer = IssuerId::new("https://portal.construtora.com.br")?;
    /// let http = PortalHttp::builder().build()?;
    /// let source = Arc::new(KeySource::new());
    /// // Start-up: load the keys once and fail fast on a wrong URL.
    /// source.refresh_with(http.fetch_keys(&issuer)).await?;
    /// // Then refresh in the background (with tokio here: any executor works).
    /// # let spawn = |_f: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>| ();
    /// spawn(Box::pin(Arc::clone(&source).run_refresh(
    ///     move || {
    ///         let (http, issuer) = (http.clone(), issuer.clone());
    ///         async move { http.fetch_keys(&issuer).await }
    ///     },
    ///     |d| async move { /* tokio::time::sleep(d).await */ let _ = d; },
    ///     std::future::pending(),
    /// )));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn run_refresh<F, Fut, S, SFut, Stop>(
        self: Arc<Self>,
        mut fetch: F,
        mut sleep: S,
        stop: Stop,
    ) where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<FetchedKeys, KeysFailure>>,
        S: FnMut(Duration) -> SFut,
        SFut: Future<Output = ()>,
        Stop: Future<Output = ()>,
    {
        let mut stop = pin!(stop);
        loop {
            if let Wake::Stop = self.wait_until_due(&mut sleep, stop.as_mut()).await {
                return;
            }
            let since = self.started(self.clock.now());
            let outcome = {
                let mut fetching = pin!(fetch());
                let mut deadline: Option<Pin<Box<SFut>>> = None;
                let fetch_deadline = self.fetch_deadline;
                let raced = poll_fn(|cx| {
                    if stop.as_mut().poll(cx).is_ready() {
                        return Poll::Ready(None);
                    }
                    if let Poll::Ready(outcome) = fetching.as_mut().poll(cx) {
                        return Poll::Ready(Some(outcome));
                    }
                    // The timer starts only once the fetch did not finish at its first poll.
                    let timer = deadline.get_or_insert_with(|| Box::pin(sleep(fetch_deadline)));
                    match timer.as_mut().poll(cx) {
                        Poll::Ready(()) => Poll::Ready(Some(Err(FetchError::Timeout.into()))),
                        Poll::Pending => Poll::Pending,
                    }
                })
                .await;
                match raced {
                    Some(outcome) => outcome,
                    None => return,
                }
            };
            // A failure is recorded in the state; the last good set stays in service.
            let _ = self.record(outcome, since);
        }
    }

    /// Waits until the next fetch is due or a refetch is requested, or `stop` completes.
    async fn wait_until_due<S, SFut>(&self, sleep: &mut S, mut stop: Pin<&mut impl Future>) -> Wake
    where
        S: FnMut(Duration) -> SFut,
        SFut: Future<Output = ()>,
    {
        let mut timer: Option<Pin<Box<SFut>>> = None;
        poll_fn(|cx| {
            if stop.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Wake::Stop);
            }
            let now = self.clock.now();
            let mut state = self.write();
            if state.requested || state.next_due.is_none_or(|due| due <= now) {
                state.waker = None;
                return Poll::Ready(Wake::Due);
            }
            state.waker = Some(cx.waker().clone());
            drop(state);
            if timer.is_none() {
                let due = self.read().next_due.unwrap_or(now);
                timer = Some(Box::pin(sleep(due.saturating_duration_since(now))));
            }
            match timer.as_mut().map(|t| t.as_mut().poll(cx)) {
                Some(Poll::Ready(())) => {
                    self.write().waker = None;
                    Poll::Ready(Wake::Due)
                }
                _ => Poll::Pending,
            }
        })
        .await
    }

    /// A fetch starts: it takes the outstanding request, and the rate limit counts from now.
    /// Marks a fetch as started; returns the generation it started in.
    fn started(&self, now: Instant) -> u64 {
        let mut state = self.write();
        state.requested = false;
        state.last_attempt = Some(now);
        state.generation
    }

    /// Puts the outcome of a fetch that started in generation `since` in service (unless a push
    /// or `invalidate_all` came after it started) and schedules the next fetch.
    fn record(
        &self,
        outcome: Result<FetchedKeys, KeysFailure>,
        since: u64,
    ) -> Result<Arc<KeySet>, KeysFailure> {
        let now = self.clock.now();
        let mut state = self.write();
        match outcome {
            Ok((keys, max_age)) => {
                let keys = Arc::new(keys);
                if state.generation == since {
                    let set = without(&keys, &state.invalidated)
                        .unwrap_or_else(|| Some(Arc::clone(&keys)));
                    state.held = Some(Held {
                        set,
                        obtained_at: now,
                        pushed: false,
                    });
                }
                state.last_failure = None;
                state.next_due = Some(now + self.refresh_interval(max_age));
                Ok(keys)
            }
            Err(failure) => {
                state.last_failure = Some(failure.clone());
                state.next_due = Some(now + self.min_interval.min(self.max_staleness / 2));
                Err(failure)
            }
        }
    }

    /// The interval to the next scheduled fetch after one that returned `max_age`.
    pub(crate) fn refresh_interval(&self, max_age: Option<Duration>) -> Duration {
        max_age
            .unwrap_or(KeySource::DEFAULT_REFRESH_INTERVAL)
            .clamp(
                KeySource::MIN_REFRESH_INTERVAL,
                KeySource::MAX_REFRESH_INTERVAL,
            )
            .min(self.max_staleness / 2)
    }

    /// The keys held, unless none are or they were fetched longer ago than the max staleness.
    fn live<'s>(&self, state: &'s State, now: Instant) -> Option<&'s Held> {
        state.held.as_ref().filter(|held| {
            held.pushed || now.saturating_duration_since(held.obtained_at) < self.max_staleness
        })
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// `set` without the invalidated keys, when it holds any of them (`Some(None)` when none is
/// left); `None` when it holds none of them.
fn without(set: &KeySet, invalidated: &BTreeSet<String>) -> Option<Option<Arc<KeySet>>> {
    if !set.iter().any(|key| invalidated.contains(key.kid())) {
        return None;
    }
    let rest = set
        .iter()
        .filter(|key| !invalidated.contains(key.kid()))
        .cloned();
    // Fails only when no key is left (a subset of a set has no repeated kid).
    Some(KeySet::new(rest).ok().map(Arc::new))
}

impl Default for KeySource {
    fn default() -> Self {
        KeySource::new()
    }
}

impl fmt::Debug for KeySourceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySourceBuilder")
            .field("min_refetch_interval", &self.min_interval)
            .field("max_staleness", &self.max_staleness)
            .field("fetch_deadline", &self.fetch_deadline)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.read();
        f.debug_struct("KeySource")
            .field(
                "keys",
                &state
                    .held
                    .as_ref()
                    .map(|h| h.set.as_ref().map_or(0, |s| s.len())),
            )
            .field("last_failure", &state.last_failure)
            .field("invalidated", &state.invalidated.len())
            .field("min_refetch_interval", &self.min_interval)
            .field("max_staleness", &self.max_staleness)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::keys::{Algorithm, SigningKey};

    fn key_set(n: usize) -> (KeySet, Vec<String>) {
        let keys: Vec<_> = (0..n)
            .map(|_| SigningKey::generate(Algorithm::EdDSA).unwrap().public_key())
            .collect();
        let kids = keys.iter().map(|k| k.kid().to_owned()).collect();
        (KeySet::new(keys).unwrap(), kids)
    }

    fn source(clock: &Arc<ManualMonotonicClock>) -> KeySource {
        KeySource::builder()
            .clock(Arc::clone(clock) as Arc<dyn MonotonicClock>)
            .build()
    }

    /// A fetch's outcome recorded as if it started now (no push since).
    fn record(
        source: &KeySource,
        outcome: Result<FetchedKeys, KeysFailure>,
    ) -> Result<Arc<KeySet>, KeysFailure> {
        let since = source.read().generation;
        source.record(outcome, since)
    }

    #[test]
    fn a_pushed_set_does_not_age_out_and_an_older_fetch_never_replaces_it() {
        let clock = Arc::new(ManualMonotonicClock::new());
        let source = source(&clock);
        let (pushed, pushed_kids) = key_set(1);
        let (fetched, fetched_kids) = key_set(1);
        source.set(pushed.clone());
        // Long past the max staleness, with fetches failing, the pushed set is still in service.
        let failure = KeysFailure::Fetch(FetchError::Timeout);
        let _ = record(&source, Err(failure.clone()));
        clock.advance(KeySource::DEFAULT_MAX_STALENESS * 3);
        assert!(source.key_set_for(&pushed_kids[0]).unwrap().is_some());

        // A fetch that started before a push lands after it: the push stays in service.
        let since = source.started(clock.now());
        let (rotated, rotated_kids) = key_set(1);
        source.set(rotated);
        assert!(source.record(Ok((fetched.clone(), None)), since).is_ok());
        let current = source.current().unwrap();
        assert!(current.get(&rotated_kids[0]).is_some());
        assert!(current.get(&fetched_kids[0]).is_none());
        assert!(current.get(&pushed_kids[0]).is_none());
        // The same after invalidate_all: an answer older than the command is not put back.
        let since = source.started(clock.now());
        source.invalidate_all();
        assert!(source.record(Ok((pushed, None)), since).is_ok());
        assert!(source.current().is_none());
        // A fetch that started after the push replaces it, and ages like any fetched set.
        let since = source.started(clock.now());
        assert!(source.record(Ok((fetched, None)), since).is_ok());
        assert!(source.current().unwrap().get(&fetched_kids[0]).is_some());
        clock.advance(KeySource::DEFAULT_MAX_STALENESS);
        assert!(source.current().is_none());
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn cache_control_max_age_is_read_strictly() {
        let secs = |s| Some(Duration::from_secs(s));
        for (value, expected) in [
            ("max-age=300", secs(300)),
            ("public, MAX-AGE = 60 , must-revalidate", secs(60)),
            ("max-age=\"120\"", secs(120)),
            ("no-cache", secs(0)),
            ("max-age=600, no-store", secs(0)),
            ("max-age=99999999999999999999999", secs(u64::MAX)),
            ("max-age=-1", None),
            ("max-age=1.5", None),
            ("max-age=", None),
            ("max-age=1, max-age=2", None),
            ("public", None),
            ("", None),
        ] {
            assert_eq!(max_age_from_cache_control(value), expected, "{value}");
        }
    }

    #[test]
    fn the_refresh_interval_is_clamped_to_its_bounds() {
        let source = KeySource::new();
        let interval = |secs| source.refresh_interval(Some(Duration::from_secs(secs)));
        assert_eq!(interval(0), KeySource::MIN_REFRESH_INTERVAL);
        assert_eq!(interval(10), Duration::from_secs(60));
        assert_eq!(interval(120), Duration::from_secs(120));
        assert_eq!(interval(86_400), KeySource::MAX_REFRESH_INTERVAL);
        assert_eq!(source.refresh_interval(None), Duration::from_secs(300));
        // A max staleness below the interval pulls the interval down to half of it.
        let strict = KeySource::builder()
            .max_staleness(Duration::from_secs(180))
            .build();
        assert_eq!(strict.refresh_interval(None), Duration::from_secs(90));
    }

    #[test]
    fn unknown_kid_answers_as_the_key_cache_does() {
        let clock = Arc::new(ManualMonotonicClock::new());
        let source = source(&clock);
        // Nothing yet: unavailable, with no failure to report.
        assert_eq!(source.key_set_for("k").unwrap_err(), None);
        let (set, kids) = key_set(1);
        source.set(set);
        // Known kid: the set. Unknown kid after a good fetch: the set (unknown_kid, 401).
        assert!(source.key_set_for(&kids[0]).unwrap().is_some());
        let answer = source.key_set_for("made-up").unwrap().unwrap();
        assert!(answer.get("made-up").is_none());
        // The last fetch failed: a known kid still verifies (stale-if-error), an unknown one is
        // keys_unavailable (503): the portal may have rotated to it.
        let failure = KeysFailure::Fetch(FetchError::ConnectionRefused);
        assert!(record(&source, Err(failure.clone())).is_err());
        assert!(source.key_set_for(&kids[0]).unwrap().is_some());
        assert_eq!(source.key_set_for("made-up").unwrap_err(), Some(failure));
        // A pushed set clears the failure.
        let (set, _) = key_set(1);
        source.set(set);
        assert_eq!(source.last_failure(), None);
        assert!(source.key_set_for("made-up").is_ok());
    }

    #[test]
    fn a_storm_of_unknown_kids_asks_for_one_refetch_per_interval() {
        let clock = Arc::new(ManualMonotonicClock::new());
        let source = source(&clock);
        let (set, kids) = key_set(1);
        source.set(set);
        for i in 0..1_000 {
            assert!(source.key_set_for(&format!("kid-{i}")).is_ok());
            // A known kid is answered from memory all along.
            assert!(source.key_set_for(&kids[0]).unwrap().is_some());
        }
        assert_eq!(source.refetch_requests(), 1);
        // Still outstanding after the interval: coalesced, no second request.
        clock.advance(Duration::from_secs(31));
        assert!(!source.request_refetch());
        // The driver takes it and fetches: the next request waits for the interval again.
        source.started(clock.now());
        assert!(!source.request_refetch());
        clock.advance(Duration::from_secs(29));
        assert!(!source.request_refetch());
        clock.advance(Duration::from_secs(1));
        for i in 0..1_000 {
            let _ = source.key_set_for(&format!("other-{i}"));
        }
        assert_eq!(source.refetch_requests(), 2);
    }

    #[test]
    fn a_set_older_than_the_max_staleness_is_dropped() {
        let clock = Arc::new(ManualMonotonicClock::new());
        let source = source(&clock);
        let (set, kids) = key_set(1);
        assert!(record(&source, Ok((set, None))).is_ok());
        let failure = KeysFailure::Fetch(FetchError::Timeout);
        let _ = record(&source, Err(failure.clone()));
        clock.advance(KeySource::DEFAULT_MAX_STALENESS - Duration::from_secs(1));
        assert!(
            source.key_set_for(&kids[0]).unwrap().is_some(),
            "stale-if-error"
        );
        clock.advance(Duration::from_secs(1));
        assert!(source.current().is_none());
        assert_eq!(source.key_set_for(&kids[0]).unwrap_err(), Some(failure));
    }

    #[test]
    fn an_invalidated_key_stops_at_once_and_stays_out() {
        let clock = Arc::new(ManualMonotonicClock::new());
        let source = source(&clock);
        let (set, kids) = key_set(2);
        source.set(set.clone());
        assert!(source.invalidate(&kids[0]));
        let answer = source.key_set_for(&kids[0]).unwrap().unwrap();
        assert!(answer.get(&kids[0]).is_none(), "unknown_kid at once");
        assert!(answer.get(&kids[1]).is_some());
        // A set fetched later that still publishes it does not bring it back.
        assert!(record(&source, Ok((set.clone(), None))).is_ok());
        assert!(source.current().unwrap().get(&kids[0]).is_none());
        // Every key invalidated: unknown_kid (the token's fault), not keys_unavailable.
        assert!(source.invalidate(&kids[1]));
        assert_eq!(source.key_set_for(&kids[1]).unwrap(), None);
        assert!(source.current().is_none());
        // Reinstated: back with the next set.
        assert!(source.reinstate(&kids[0]));
        source.set(set);
        assert!(source.current().unwrap().get(&kids[0]).is_some());
        assert!(source.current().unwrap().get(&kids[1]).is_none());
    }

    #[test]
    fn invalidate_all_drops_the_set_and_asks_for_a_refetch_at_once() {
        let clock = Arc::new(ManualMonotonicClock::new());
        let source = source(&clock);
        let (set, kids) = key_set(1);
        source.set(set);
        source.started(clock.now()); // a fetch just started: the rate limit is closed
        assert!(!source.request_refetch());
        source.invalidate_all();
        assert_eq!(source.refetch_requests(), 1);
        assert_eq!(source.key_set_for(&kids[0]).unwrap_err(), None);
    }

    /// A driver run: scripted fetch outcomes, a sleep that moves the manual clock and records
    /// how long it was asked to wait, and a stop once the script is done.
    struct Run {
        sleeps: Arc<Mutex<Vec<Duration>>>,
        fetches: Arc<AtomicU64>,
    }

    fn drive(
        source: &Arc<KeySource>,
        clock: &Arc<ManualMonotonicClock>,
        script: Vec<Option<Result<FetchedKeys, KeysFailure>>>,
    ) -> Run {
        let sleeps = Arc::new(Mutex::new(Vec::new()));
        let fetches = Arc::new(AtomicU64::new(0));
        let total = script.len() as u64;
        let script = Mutex::new(script.into_iter());
        let (log, count, time) = (Arc::clone(&sleeps), Arc::clone(&fetches), Arc::clone(clock));
        let done = Arc::clone(&fetches);
        block_on(Arc::clone(source).run_refresh(
            || {
                let next = script.lock().unwrap().next().flatten();
                let count = Arc::clone(&count);
                async move {
                    // Counted when the fetch runs, so that the stop below lets it finish.
                    count.fetch_add(1, Ordering::SeqCst);
                    match next {
                        Some(outcome) => outcome,
                        // `None` in the script: a fetch that never answers.
                        None => std::future::pending().await,
                    }
                }
            },
            move |d| {
                log.lock().unwrap().push(d);
                time.advance(d);
                std::future::ready(())
            },
            poll_fn(move |_| {
                if done.load(Ordering::SeqCst) >= total {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }),
        ));
        Run { sleeps, fetches }
    }

    #[test]
    fn the_driver_honours_max_age_bounds_and_keeps_the_set_on_errors() {
        let clock = Arc::new(ManualMonotonicClock::new());
        let source = Arc::new(source(&clock));
        let (set, kids) = key_set(1);
        let secs = Duration::from_secs;
        let failed = || Err(KeysFailure::Fetch(FetchError::HttpStatus(502)));
        let run = drive(
            &source,
            &clock,
            vec![
                Some(Ok((set.clone(), Some(secs(10))))), // below the floor: 60 s
                Some(Ok((set.clone(), Some(secs(86_400))))), // above the ceiling: 600 s
                Some(Ok((set.clone(), None))),           // no max-age: 300 s
                Some(failed()), // retry after the minimum refetch interval: 30 s
                None,           // never answers: the 10 s deadline, then retry after 30 s
                Some(Ok((set, Some(secs(120))))),
            ],
        );
        assert_eq!(run.fetches.load(Ordering::SeqCst), 6);
        assert_eq!(
            *run.sleeps.lock().unwrap(),
            [secs(60), secs(600), secs(300), secs(30), secs(10), secs(30)],
            "the first fetch runs at once; each wait follows the previous outcome"
        );
        assert!(source.current().unwrap().get(&kids[0]).is_some());
        assert_eq!(source.last_failure(), None);
    }

    #[test]
    fn the_driver_serves_the_last_good_set_until_the_max_staleness() {
        let clock = Arc::new(ManualMonotonicClock::new());
        let source = Arc::new(source(&clock));
        let (set, kids) = key_set(1);
        let refused = KeysFailure::Fetch(FetchError::ConnectionRefused);
        // A success at 0 s (next due at 300 s), then failures every 30 s: the 110th is at
        // 300 + 109 * 30 = 3570 s, the last instant the set is younger than one hour.
        let mut script = vec![Some(Ok((set, None)))];
        script.extend((0..110).map(|_| Some(Err(refused.clone()))));
        let run = drive(&source, &clock, script);
        assert_eq!(run.fetches.load(Ordering::SeqCst), 111);
        assert_eq!(clock.elapsed(), Duration::from_secs(3570));
        assert_eq!(source.last_failure(), Some(refused.clone()));
        assert!(
            source.key_set_for(&kids[0]).unwrap().is_some(),
            "stale-if-error"
        );
        clock.advance(Duration::from_secs(30));
        assert!(source.current().is_none(), "dropped at the max staleness");
        assert_eq!(source.key_set_for(&kids[0]).unwrap_err(), Some(refused));
    }

    #[test]
    fn a_request_wakes_the_driver_before_its_timer() {
        let clock = Arc::new(ManualMonotonicClock::new());
        let source = Arc::new(source(&clock));
        let (set, _) = key_set(1);
        let fetches = Arc::new(AtomicU64::new(0));
        let sleeps = Arc::new(AtomicU64::new(0));
        let (count, slept, requester, time) = (
            Arc::clone(&fetches),
            Arc::clone(&sleeps),
            Arc::clone(&source),
            Arc::clone(&clock),
        );
        let done = Arc::clone(&fetches);
        block_on(Arc::clone(&source).run_refresh(
            move || {
                count.fetch_add(1, Ordering::SeqCst);
                std::future::ready(Ok((set.clone(), None)))
            },
            move |_| {
                // The scheduled wait never ends by itself; meanwhile, after the rate-limit
                // interval, a token names an unknown kid.
                slept.fetch_add(1, Ordering::SeqCst);
                time.advance(Duration::from_secs(30));
                assert!(requester.request_refetch());
                std::future::pending::<()>()
            },
            poll_fn(move |_| {
                if done.load(Ordering::SeqCst) >= 3 {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }),
        ));
        assert_eq!(fetches.load(Ordering::SeqCst), 3);
        assert_eq!(sleeps.load(Ordering::SeqCst), 2);
        assert_eq!(source.refetch_requests(), 2);
    }

    #[test]
    fn the_driver_is_send_with_send_parts() {
        fn assert_send<T: Send>(_: &T) {}
        let driver = Arc::new(KeySource::new()).run_refresh(
            || std::future::ready(Err(KeysFailure::Fetch(FetchError::Timeout))),
            |_| std::future::ready(()),
            std::future::pending(),
        );
        assert_send(&driver);
    }
}
