//! Revocation: [`RevocationStore`], the question every session verification asks last ("was this
//! session ended early?"), and [`InMemoryRevocationStore`] for one process. The Redis store for
//! several instances is [`redis`](super::redis) (feature `redis`).
//!
//! Async services ask through [`AsyncRevocationStore`], the awaitable twin (the async Redis store
//! is `AsyncRedisRevocationStore`, feature `redis-async`), so no runtime thread waits on the
//! network; [`NonBlockingRevocationStore`] serves a store that answers from memory to both paths.
//!
//! Stores fail closed: a store that cannot answer makes verification fail with
//! `session_store_unavailable` (503), never "not revoked".

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use super::token::SessionId;
use crate::clock::{Clock, SystemClock};
use crate::replay::{StoreCause, StoreFailure};

/// Where revoked session ids are kept until the sessions could no longer verify anyway.
///
/// Implementations must answer `is_revoked` truthfully for every id revoked until its `until`
/// and return an error, never `Ok(false)`, when they cannot tell.
pub trait RevocationStore: Send + Sync {
    /// Records that the session `sid` is revoked, at least until `until_unix` (Unix seconds;
    /// [`Sessions::revoke`](super::Sessions::revoke) passes the session's absolute cap, after
    /// which it fails as `session_too_old` anyway).
    fn revoke(&self, sid: &SessionId, until_unix: i64) -> Result<(), StoreFailure>;

    /// Whether `sid` was revoked. An error when the store cannot answer (the session is then
    /// refused).
    fn is_revoked(&self, sid: &SessionId) -> Result<bool, StoreFailure>;
}

/// The future an [`AsyncRevocationStore`] returns: boxed, so the trait is object safe, and `Send`,
/// so a handler awaiting it can run on any worker thread.
pub type RevocationFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, StoreFailure>> + Send + 'a>>;

/// A [`RevocationStore`] asked from async code: the same contract (answer truthfully until
/// `until`, fail closed with an error, never `Ok(false)`, when the store cannot tell), through
/// futures that never block the thread that polls them and finish within a bound of their own.
///
/// Give it to [`SessionsBuilder::revocation_store_async`](super::SessionsBuilder::revocation_store_async);
/// [`Sessions::authenticate_async`](super::Sessions::authenticate_async) awaits it. The trait
/// needs no runtime (its futures are the standard library's).
///
/// ```
/// use std::sync::Arc;
/// use cv_portal_plugin::session::{AsyncRevocationStore, NonBlockingRevocationStore, SessionId};
/// use cv_portal_plugin::InMemoryRevocationStore;
///
/// # fn block_on<F: std::future::Future>(future: F) -> F::Output {
/// #     let mut future = std::pin::pin!(future);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop {
/// #         if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) { return out; }
/// #     }
/// # }
/// let store = NonBlockingRevocationStore::new(Arc::new(InMemoryRevocationStore::new()));
/// let sid = SessionId::parse("AAAAAAAAAAAAAAAAAAAAAA").unwrap();
/// block_on(async {
///     assert_eq!(store.is_revoked(&sid).await, Ok(false));
///     store.revoke(&sid, i64::MAX).await.unwrap();
///     assert_eq!(store.is_revoked(&sid).await, Ok(true));
/// });
/// ```
pub trait AsyncRevocationStore: Send + Sync {
    /// Records that the session `sid` is revoked, at least until `until_unix` (see
    /// [`RevocationStore::revoke`]).
    fn revoke<'a>(&'a self, sid: &'a SessionId, until_unix: i64) -> RevocationFuture<'a, ()>;

    /// Whether `sid` was revoked; an error when the store cannot answer (the session is then
    /// refused).
    fn is_revoked<'a>(&'a self, sid: &'a SessionId) -> RevocationFuture<'a, bool>;
}

/// A blocking [`RevocationStore`] that never waits on anything but memory, served to both paths:
/// the blocking one asks it directly, the async one gets a future that is ready at once (the
/// answer is computed on the caller's thread).
///
/// Only for stores that answer from memory, such as [`InMemoryRevocationStore`]: wrapping one
/// that waits on the network (the blocking `RedisRevocationStore`) would block a runtime thread
/// for up to its timeout; use `AsyncRedisRevocationStore` there.
#[derive(Clone)]
pub struct NonBlockingRevocationStore {
    inner: Arc<dyn RevocationStore>,
}

impl NonBlockingRevocationStore {
    /// Serves `store` to both paths. The caller vouches that `store` never blocks on I/O.
    pub fn new(store: Arc<dyn RevocationStore>) -> Self {
        NonBlockingRevocationStore { inner: store }
    }

    /// The wrapped store, for the blocking path.
    pub fn inner(&self) -> &Arc<dyn RevocationStore> {
        &self.inner
    }
}

impl AsyncRevocationStore for NonBlockingRevocationStore {
    fn revoke<'a>(&'a self, sid: &'a SessionId, until_unix: i64) -> RevocationFuture<'a, ()> {
        Box::pin(std::future::ready(self.inner.revoke(sid, until_unix)))
    }

    fn is_revoked<'a>(&'a self, sid: &'a SessionId) -> RevocationFuture<'a, bool> {
        Box::pin(std::future::ready(self.inner.is_revoked(sid)))
    }
}

impl fmt::Debug for NonBlockingRevocationStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonBlockingRevocationStore")
            .finish_non_exhaustive()
    }
}

/// The default capacity of an [`InMemoryRevocationStore`]: 100,000 revoked live sessions.
pub const DEFAULT_REVOCATION_CAPACITY: usize = 100_000;

/// A revocation store for one process: a bounded map of revoked ids to their `until`, swept of
/// expired entries when it fills. With several instances each would know only its own
/// revocations: use the Redis store there.
///
/// ```
/// use cv_portal_plugin::{InMemoryRevocationStore, RevocationStore};
/// let store = InMemoryRevocationStore::new();
/// # let sid = cv_portal_plugin::session::SessionId::parse("AAAAAAAAAAAAAAAAAAAAAA").unwrap();
/// assert!(!store.is_revoked(&sid)?);
/// store.revoke(&sid, i64::MAX)?;
/// assert!(store.is_revoked(&sid)?);
/// # Ok::<(), cv_portal_plugin::StoreFailure>(())
/// ```
pub struct InMemoryRevocationStore {
    entries: Mutex<HashMap<SessionId, i64>>,
    capacity: usize,
    clock: Arc<dyn Clock>,
}

impl InMemoryRevocationStore {
    /// A store of the [default capacity](DEFAULT_REVOCATION_CAPACITY) on the system clock.
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_REVOCATION_CAPACITY)
    }

    /// A store that holds at most `capacity` (at least 1) revoked live sessions, then refuses
    /// to record more (the revocation call fails; nothing recorded is ever dropped early).
    pub fn with_capacity(capacity: usize) -> Self {
        InMemoryRevocationStore {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            clock: Arc::new(SystemClock),
        }
    }

    /// The clock that decides which entries have expired (tests use a
    /// [`FixedClock`](crate::FixedClock)).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The number of entries held, expired ones not yet swept included.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the store holds no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, i64>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for InMemoryRevocationStore {
    fn default() -> Self {
        Self::new()
    }
}

impl RevocationStore for InMemoryRevocationStore {
    fn revoke(&self, sid: &SessionId, until_unix: i64) -> Result<(), StoreFailure> {
        let now = self.clock.now_unix();
        let mut entries = self.lock();
        if !entries.contains_key(sid) && entries.len() >= self.capacity {
            entries.retain(|_, until| *until > now);
            if entries.len() >= self.capacity {
                return Err(StoreFailure::new(
                    "revoke",
                    StoreCause::Full {
                        capacity: self.capacity,
                    },
                ));
            }
        }
        let until = entries.entry(sid.clone()).or_insert(until_unix);
        *until = (*until).max(until_unix);
        Ok(())
    }

    fn is_revoked(&self, sid: &SessionId) -> Result<bool, StoreFailure> {
        // An expired entry still answers "revoked": the session it names is past its cap anyway.
        Ok(self.lock().contains_key(sid))
    }
}

impl fmt::Debug for InMemoryRevocationStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryRevocationStore")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;

    fn sid(n: u8) -> SessionId {
        SessionId::parse(&crate::b64::encode(&[n; 16])).unwrap()
    }

    #[test]
    fn full_store_sweeps_then_refuses_but_never_forgets_a_live_entry() {
        let clock = Arc::new(FixedClock::new(1_000));
        let store = InMemoryRevocationStore::with_capacity(2).clock(clock.clone());
        store.revoke(&sid(1), 1_010).unwrap();
        store.revoke(&sid(2), 2_000).unwrap();
        let full = store.revoke(&sid(3), 2_000).unwrap_err();
        assert_eq!(full.cause().kind(), "full");
        assert!(store.is_revoked(&sid(1)).unwrap());
        // Re-revoking a held id needs no room.
        store.revoke(&sid(2), 2_500).unwrap();
        clock.set(1_010);
        store.revoke(&sid(3), 2_000).unwrap();
        assert!(!store.is_revoked(&sid(1)).unwrap(), "swept once expired");
        assert!(store.is_revoked(&sid(2)).unwrap());
        assert!(store.is_revoked(&sid(3)).unwrap());
        assert_eq!(store.len(), 2);
    }

    /// Polls once: the adapter's future is ready at once, or it blocked or deferred.
    fn ready<T>(future: impl Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(out) => out,
            std::task::Poll::Pending => panic!("an in-memory store's future must be ready at once"),
        }
    }

    #[test]
    fn the_adapter_and_the_blocking_path_share_one_memory_and_its_failures() {
        let clock = Arc::new(FixedClock::new(1_000));
        let memory = Arc::new(InMemoryRevocationStore::with_capacity(1).clock(clock));
        let adapter = NonBlockingRevocationStore::new(memory.clone());
        let as_dyn: &dyn AsyncRevocationStore = &adapter;
        assert_eq!(ready(as_dyn.is_revoked(&sid(1))), Ok(false));
        ready(as_dyn.revoke(&sid(1), 2_000)).unwrap();
        assert!(memory.is_revoked(&sid(1)).unwrap());
        assert!(adapter.inner().is_revoked(&sid(1)).unwrap());
        // Full: the failure passes through unchanged.
        let full = ready(as_dyn.revoke(&sid(2), 2_000)).unwrap_err();
        assert_eq!((full.operation(), full.cause().kind()), ("revoke", "full"));
        assert_eq!(format!("{adapter:?}"), "NonBlockingRevocationStore { .. }");
        fn send<T: Send>(_: &T) {}
        send(&as_dyn.is_revoked(&sid(1)));
    }
}
