//! Verification for async services: every check of [`Verifier::verify`], then single use through
//! the verifier's [`AsyncReplayGuard`], awaited, so a replay store on the network never blocks a
//! runtime thread.
//!
//! The guard is part of the verifier's single-use decision
//! ([`VerifierBuilder::replay_guard_async`](crate::VerifierBuilder::replay_guard_async)), never an
//! argument: a guard made per call would be a fresh, empty store each time, and single use would
//! silently vanish.

use super::{SingleUse, UntrustedToken, Verifier, VerifyError};
use crate::replay::{StoreCause, StoreFailure};
use crate::wire::LaunchClaims;

impl Verifier {
    /// Verifies `token` as [`verify`](Self::verify) does, with single use that never blocks the
    /// calling thread:
    ///
    /// - an async guard ([`replay_guard_async`](crate::VerifierBuilder::replay_guard_async)) is
    ///   awaited;
    /// - a blocking guard ([`replay_guard`](crate::VerifierBuilder::replay_guard)) is asked in
    ///   place if it answers from memory ([`ReplayGuard::answers_from_memory`](crate::ReplayGuard::answers_from_memory),
    ///   an [`InMemoryReplayGuard`](crate::InMemoryReplayGuard)); a guard that waits on the network
    ///   (`RedisReplayGuard`) is not asked at all: the token is refused with
    ///   `replay_store_unavailable` (cause `blocking_only`), so a misconfiguration shows at the first
    ///   launch instead of stalling the runtime under load. Use `AsyncRedisReplayGuard` there.
    ///
    /// The checks before single use take microseconds: they wait on nothing but a
    /// [`KeyCache`](crate::KeyCache) that fetches on an unknown `kid` (use a
    /// [`KeySource`](crate::KeySource) in async services). The guard is asked last, only for
    /// tokens that passed every other check.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use cv_portal_plugin::replay::{AsyncReplayGuard, NonBlockingReplayGuard};
    /// use cv_portal_plugin::{InMemoryReplayGuard, IssuerId, KeySource, Verifier};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // At start-up: one store for the process (in production: `AsyncRedisReplayGuard`).
    /// let single_use: Arc<dyn AsyncReplayGuard> =
    ///     Arc::new(NonBlockingReplayGuard::new(Arc::new(InMemoryReplayGuard::new())));
    /// let verifier = Verifier::builder(IssuerId::new("https://portal.construtora.com.br")?, "financeiro".parse()?)
    ///     .key_source(Arc::new(KeySource::new()))
    ///     .replay_guard_async(single_use)
    ///     .build()?;
    /// # let _ = &verifier; Ok(()) }
    /// # async fn handler(verifier: &Verifier, token: &str) -> Result<(), cv_portal_plugin::VerifyError> {
    /// // In a handler:
    /// let claims = verifier.verify_async(token).await?;
    /// # let _ = claims; Ok(()) }
    /// ```
    pub async fn verify_async(&self, token: &str) -> Result<LaunchClaims, VerifyError> {
        let token = UntrustedToken::parse_bounded(token, self.max_len)?;
        self.verify_untrusted_async(token).await
    }

    /// Verifies a token already parsed (for example to route it by its issuer) exactly as
    /// [`verify_async`](Self::verify_async) does.
    pub async fn verify_untrusted_async(
        &self,
        token: UntrustedToken<'_>,
    ) -> Result<LaunchClaims, VerifyError> {
        let (claims, now) = self.check_all_but_single_use(&token)?;
        drop(token);
        let entry = self.replay_entry(&claims, now);
        match &self.replay {
            SingleUse::Async(guard) => guard.check_and_insert(&entry).await?,
            SingleUse::Guard(guard) if guard.answers_from_memory() => {
                guard.check_and_insert(&entry)?
            }
            SingleUse::Guard(_) => {
                return Err(VerifyError::ReplayStoreUnavailable {
                    failure: StoreFailure::new("check_and_insert", StoreCause::BlockingOnly),
                });
            }
            SingleUse::Disabled | SingleUse::Unset => {}
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::sync::Arc;
    use std::task::{Context, Poll, Waker};

    use super::*;
    use crate::b64;
    use crate::clock::FixedClock;
    use crate::keys::{Algorithm, KeySet, SigningKey};
    use crate::replay::{
        AsyncReplayGuard, InMemoryReplayGuard, NonBlockingReplayGuard, ReplayEntry, ReplayError,
        ReplayFuture, ReplayGuard, StoreCause, StoreFailure,
    };
    use crate::wire::IssuerId;

    const NOW: i64 = 1_764_288_000;

    fn ready<T>(future: impl Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(out) => out,
            Poll::Pending => panic!("pending"),
        }
    }

    fn token(key: &SigningKey, jti: &str, exp: i64) -> String {
        let header = format!(
            r#"{{"alg":"EdDSA","typ":"cv-plugin-launch+jwt","kid":"{}"}}"#,
            key.kid()
        );
        let claims = format!(
            r#"{{"iss":"https://portal.construtora.com.br","aud":"financeiro","sub":"48213","role":"cliente","iat":{iat},"nbf":{iat},"exp":{exp},"jti":"{jti}"}}"#,
            iat = exp - 300
        );
        let mut token = b64::encode(header.as_bytes());
        token.push('.');
        b64::encode_into(claims.as_bytes(), &mut token);
        let signature = key.sign(token.as_bytes()).unwrap();
        token.push('.');
        b64::encode_into(&signature, &mut token);
        token
    }

    fn builder(key: &SigningKey) -> crate::VerifierBuilder {
        Verifier::builder(
            IssuerId::new("https://portal.construtora.com.br").unwrap(),
            "financeiro".parse().unwrap(),
        )
        .key_set(KeySet::new([key.public_key()]).unwrap())
        .clock(Arc::new(FixedClock::new(NOW)))
    }

    fn verifier(key: &SigningKey, guard: Arc<dyn ReplayGuard>) -> Verifier {
        builder(key).replay_guard(guard).build().unwrap()
    }

    fn async_verifier(key: &SigningKey, guard: Arc<dyn AsyncReplayGuard>) -> Verifier {
        builder(key).replay_guard_async(guard).build().unwrap()
    }

    /// Records what it was asked, and answers with a fixed result.
    struct Recording {
        asked: std::sync::Mutex<Vec<(String, i64, i64)>>,
        answer: Result<(), ReplayError>,
    }

    impl Recording {
        fn answering(answer: Result<(), ReplayError>) -> Arc<Recording> {
            Arc::new(Recording {
                asked: Default::default(),
                answer,
            })
        }
    }

    impl AsyncReplayGuard for Recording {
        fn check_and_insert<'a>(&'a self, entry: &'a ReplayEntry<'a>) -> ReplayFuture<'a> {
            self.asked.lock().unwrap().push((
                format!("{}|{}|{}", entry.issuer, entry.audience, entry.jti),
                entry.expires_at,
                entry.now,
            ));
            Box::pin(std::future::ready(self.answer.clone()))
        }
    }

    /// A blocking guard that would wait on the network: it must never be asked from async code.
    struct Networked(std::sync::atomic::AtomicUsize);

    impl ReplayGuard for Networked {
        fn check_and_insert(&self, _: &ReplayEntry<'_>) -> Result<(), ReplayError> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        }
    }

    #[test]
    fn an_in_memory_guard_is_shared_by_the_blocking_and_the_async_path() {
        let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let verifier = verifier(&key, Arc::new(InMemoryReplayGuard::new()));
        let first = token(&key, "AAAAAAAAAAAAAAAAAAAAAA", NOW + 300);
        let claims = ready(verifier.verify_async(&first)).unwrap();
        assert_eq!(claims.subject().as_str(), "48213");
        let again = ready(verifier.verify_async(&first)).unwrap_err();
        assert_eq!(again.code(), "replayed");
        assert_eq!(verifier.verify(&first).unwrap_err().code(), "replayed");
        let second = token(&key, "BBBBBBBBBBBBBBBBBBBBBB", NOW + 300);
        verifier.verify(&second).unwrap();
        let error = ready(verifier.verify_async(&second)).unwrap_err();
        assert_eq!(error.code(), "replayed");
    }

    #[test]
    fn a_guard_that_waits_on_the_network_is_never_asked_from_async_code() {
        let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let networked = Arc::new(Networked(Default::default()));
        let verifier = verifier(&key, Arc::clone(&networked) as Arc<dyn ReplayGuard>);
        let good = token(&key, "GGGGGGGGGGGGGGGGGGGGGG", NOW + 300);
        match ready(verifier.verify_async(&good)).unwrap_err() {
            VerifyError::ReplayStoreUnavailable { failure } => {
                assert_eq!(failure.cause().kind(), "blocking_only");
                assert!(
                    failure.to_string().contains("AsyncRedisReplayGuard"),
                    "{failure}"
                );
            }
            other => panic!("expected blocking_only, got {other:?}"),
        }
        assert_eq!(networked.0.load(std::sync::atomic::Ordering::SeqCst), 0);
        // The blocking path asks it.
        verifier.verify(&good).unwrap();
        assert_eq!(networked.0.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn the_async_guard_is_asked_last_with_the_blocking_paths_entry() {
        let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let guard = Recording::answering(Ok(()));
        let verifier = async_verifier(&key, Arc::clone(&guard) as Arc<dyn AsyncReplayGuard>);
        // Expired, forged and malformed tokens never reach the guard.
        let expired = token(&key, "CCCCCCCCCCCCCCCCCCCCCC", NOW - 100);
        let other = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let forged = token(&other, "DDDDDDDDDDDDDDDDDDDDDD", NOW + 300);
        for (bad, code) in [
            (expired.as_str(), "expired"),
            (forged.as_str(), "unknown_kid"),
        ] {
            let error = ready(verifier.verify_async(bad)).unwrap_err();
            assert_eq!(error.code(), code);
        }
        assert!(ready(verifier.verify_async("not.a.token")).is_err());
        assert!(guard.asked.lock().unwrap().is_empty());
        let good = token(&key, "EEEEEEEEEEEEEEEEEEEEEE", NOW + 300);
        ready(verifier.verify_async(&good)).unwrap();
        assert_eq!(
            *guard.asked.lock().unwrap(),
            [(
                "https://portal.construtora.com.br|financeiro|EEEEEEEEEEEEEEEEEEEEEE".to_owned(),
                NOW + 300 + 30,
                NOW
            )]
        );
        // The blocking path of an async verifier refuses, and asks nobody.
        let error = verifier.verify(&good).unwrap_err();
        assert_eq!(error.code(), "replay_store_unavailable");
        assert_eq!(guard.asked.lock().unwrap().len(), 1);
    }

    #[test]
    fn a_store_that_cannot_answer_fails_closed() {
        let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
        for (answer, code) in [
            (
                ReplayError::Unavailable(StoreFailure::new("SET", StoreCause::Timeout)),
                "replay_store_unavailable",
            ),
            (ReplayError::Replayed, "replayed"),
            (
                ReplayError::CapacityExceeded(16),
                "replay_capacity_exceeded",
            ),
        ] {
            let verifier = async_verifier(&key, Recording::answering(Err(answer)));
            let good = token(&key, "FFFFFFFFFFFFFFFFFFFFFF", NOW + 300);
            let error = ready(verifier.verify_async(&good)).unwrap_err();
            assert_eq!(error.code(), code);
        }
    }

    #[test]
    fn the_verify_future_is_send() {
        fn send<T: Send>(_: &T) {}
        let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let guard = NonBlockingReplayGuard::new(Arc::new(InMemoryReplayGuard::new()));
        let verifier = async_verifier(&key, Arc::new(guard));
        send(&verifier.verify_async("x"));
    }
}
