//! Single use from async code: [`AsyncReplayGuard`], the awaitable twin of [`ReplayGuard`].
//!
//! A replay store on the network (Redis) must not block a runtime's worker thread while it
//! answers, so async services ask it through a future. The trait needs no runtime and no extra
//! dependency (its futures are the standard library's); `AsyncRedisReplayGuard` (feature
//! `redis-async`) is the networked implementation, and [`NonBlockingReplayGuard`] lets a guard
//! that answers from memory ([`InMemoryReplayGuard`](super::InMemoryReplayGuard)) serve async
//! code as it is.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::{ReplayEntry, ReplayError, ReplayGuard};

/// The future an [`AsyncReplayGuard`] returns: boxed, so the trait is object safe, and `Send`, so
/// a handler awaiting it can run on any worker thread.
pub type ReplayFuture<'a> = Pin<Box<dyn Future<Output = Result<(), ReplayError>> + Send + 'a>>;

/// A store that accepts each token id once, asked from async code.
///
/// The contract is [`ReplayGuard`]'s: check-and-insert is one atomic step, an entry is kept at
/// least until `expires_at`, and a store that cannot answer fails closed with
/// [`ReplayError::Unavailable`] (never `Ok`). The future must not block the thread that polls it,
/// and should finish within a bound of its own (a deadline), since the verifier sets none.
///
/// ```
/// use std::sync::Arc;
/// use cv_portal_plugin::replay::{AsyncReplayGuard, NonBlockingReplayGuard};
/// use cv_portal_plugin::{InMemoryReplayGuard, ReplayEntry, ReplayError};
///
/// # fn block_on<F: std::future::Future>(future: F) -> F::Output {
/// #     let mut future = std::pin::pin!(future);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop {
/// #         if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) { return out; }
/// #     }
/// # }
/// let guard = NonBlockingReplayGuard::new(Arc::new(InMemoryReplayGuard::new()));
/// let entry = ReplayEntry::new("iss", "financeiro", "0123456789abcdef", 1_060, 1_000);
/// block_on(async {
///     assert_eq!(guard.check_and_insert(&entry).await, Ok(()));
///     assert_eq!(guard.check_and_insert(&entry).await, Err(ReplayError::Replayed));
/// });
/// ```
pub trait AsyncReplayGuard: Send + Sync {
    /// Accepts the entry if its `jti` is new for its issuer and audience, remembering it until
    /// `expires_at`; resolves to [`ReplayError::Replayed`] if it was seen before.
    fn check_and_insert<'a>(&'a self, entry: &'a ReplayEntry<'a>) -> ReplayFuture<'a>;
}

/// A blocking [`ReplayGuard`] that never waits on anything but memory, used from async code: the
/// answer is computed when the future is made, on the caller's thread.
///
/// Only for guards that answer from memory, such as
/// [`InMemoryReplayGuard`](super::InMemoryReplayGuard) or a wrapper of
/// one: wrapping a guard that waits on the network (the blocking `RedisReplayGuard`) would
/// block a runtime thread for up to its timeout; use `AsyncRedisReplayGuard` instead.
///
/// Sharing one `Arc` between a blocking verifier ([`VerifierBuilder::replay_guard`]) and this
/// adapter keeps a token single use across both paths.
///
/// [`VerifierBuilder::replay_guard`]: crate::VerifierBuilder::replay_guard
///
/// ```
/// use std::sync::Arc;
/// use cv_portal_plugin::replay::NonBlockingReplayGuard;
/// use cv_portal_plugin::{InMemoryReplayGuard, ReplayGuard};
///
/// let shared: Arc<dyn ReplayGuard> = Arc::new(InMemoryReplayGuard::new());
/// let for_async = NonBlockingReplayGuard::new(Arc::clone(&shared));
/// # let _ = for_async;
/// ```
#[derive(Clone)]
pub struct NonBlockingReplayGuard {
    inner: Arc<dyn ReplayGuard>,
}

impl NonBlockingReplayGuard {
    /// Serves `guard` to async code. The caller vouches that `guard` never blocks on I/O.
    pub fn new(guard: Arc<dyn ReplayGuard>) -> Self {
        NonBlockingReplayGuard { inner: guard }
    }

    /// The wrapped guard, for the blocking path.
    pub fn inner(&self) -> &Arc<dyn ReplayGuard> {
        &self.inner
    }
}

impl AsyncReplayGuard for NonBlockingReplayGuard {
    fn check_and_insert<'a>(&'a self, entry: &'a ReplayEntry<'a>) -> ReplayFuture<'a> {
        let result = self.inner.check_and_insert(entry);
        Box::pin(std::future::ready(result))
    }
}

impl fmt::Debug for NonBlockingReplayGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonBlockingReplayGuard")
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::sync::Mutex;
    use std::task::{Context, Poll, Waker};

    use super::*;
    use crate::replay::{InMemoryReplayGuard, StoreCause, StoreFailure};

    /// Polls once: an adapter's future is ready at once, or the adapter blocked or deferred.
    fn ready<T>(future: impl Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(out) => out,
            Poll::Pending => panic!("an in-memory guard's future must be ready at once"),
        }
    }

    fn entry(jti: &str) -> ReplayEntry<'_> {
        ReplayEntry::new("iss", "aud", jti, 1_060, 1_000)
    }

    #[test]
    fn the_adapter_and_the_blocking_path_share_one_memory() {
        let shared: Arc<dyn ReplayGuard> = Arc::new(InMemoryReplayGuard::new());
        let adapter = NonBlockingReplayGuard::new(Arc::clone(&shared));
        let as_dyn: &dyn AsyncReplayGuard = &adapter;
        assert_eq!(ready(as_dyn.check_and_insert(&entry("a"))), Ok(()));
        assert_eq!(
            shared.check_and_insert(&entry("a")),
            Err(ReplayError::Replayed)
        );
        assert_eq!(shared.check_and_insert(&entry("b")), Ok(()));
        assert_eq!(
            ready(as_dyn.check_and_insert(&entry("b"))),
            Err(ReplayError::Replayed)
        );
    }

    #[test]
    fn the_in_memory_guard_answers_async_at_once_and_fails_closed_when_full() {
        let guard = NonBlockingReplayGuard::new(Arc::new(InMemoryReplayGuard::with_capacity(16)));
        let as_dyn: &dyn AsyncReplayGuard = &guard;
        let jtis: Vec<String> = (0..200).map(|i| format!("jti-{i}")).collect();
        let refused = jtis
            .iter()
            .filter(|jti| {
                ready(as_dyn.check_and_insert(&entry(jti)))
                    == Err(ReplayError::CapacityExceeded(16))
            })
            .count();
        assert!(refused >= 184, "refused {refused}");
    }

    /// A guard whose store is down: the adapter passes the failure through unchanged.
    struct Down(Mutex<usize>);

    impl ReplayGuard for Down {
        fn check_and_insert(&self, _: &ReplayEntry<'_>) -> Result<(), ReplayError> {
            *self.0.lock().unwrap() += 1;
            Err(ReplayError::Unavailable(StoreFailure::new(
                "SET",
                StoreCause::Timeout,
            )))
        }
    }

    #[test]
    fn the_adapter_passes_failures_through_and_asks_once() {
        let down = Arc::new(Down(Mutex::new(0)));
        let adapter = NonBlockingReplayGuard::new(down.clone());
        let error = ready(AsyncReplayGuard::check_and_insert(&adapter, &entry("a"))).unwrap_err();
        assert_eq!(
            error,
            ReplayError::Unavailable(StoreFailure::new("SET", StoreCause::Timeout))
        );
        assert_eq!(*down.0.lock().unwrap(), 1);
        assert_eq!(
            crate::VerifyError::from(error).code(),
            "replay_store_unavailable"
        );
        assert_eq!(format!("{adapter:?}"), "NonBlockingReplayGuard { .. }");
    }

    #[test]
    fn the_futures_are_send() {
        fn send<T: Send>(_: &T) {}
        let guard = NonBlockingReplayGuard::new(Arc::new(InMemoryReplayGuard::new()));
        let e = entry("a");
        send(&guard.check_and_insert(&e));
    }
}
