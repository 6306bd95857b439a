//! Verification for async services: every check of [`Verifier::verify`], then single use through
//! an [`AsyncReplayGuard`] that is awaited, so a replay store on the network never blocks a
//! runtime thread.
//!
//! The guard is an argument rather than a verifier option: a `Verifier` stays free of any
//! runtime (its blocking `verify` can never meet a guard that needs one), and the service keeps
//! the guard where it keeps its other async resources (axum's `State`).

use super::{UntrustedToken, Verifier, VerifyError};
use crate::replay::AsyncReplayGuard;
use crate::wire::LaunchClaims;

impl Verifier {
    /// Verifies `token` as [`verify`](Self::verify) does, but consumes its single use through
    /// `guard`, awaited, instead of the verifier's own blocking guard.
    ///
    /// The checks before single use are the blocking path's, and take microseconds: they wait on
    /// nothing but a [`KeyCache`](crate::KeyCache) that fetches on an unknown `kid`. The guard is
    /// asked last, only for tokens that passed every other check.
    ///
    /// Single use holds across the paths that ask the same store: give the blocking and the async
    /// path one store (an `AsyncRedisReplayGuard` and a `RedisReplayGuard` on the same server,
    /// database and prefix, or one `Arc<InMemoryReplayGuard>` given to
    /// [`replay_guard`](crate::VerifierBuilder::replay_guard) and wrapped in a
    /// [`NonBlockingReplayGuard`](crate::replay::NonBlockingReplayGuard)). The verifier's own
    /// guard, or its `dangerous_disable_replay_guard`, plays no part here.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use cv_portal_plugin::replay::NonBlockingReplayGuard;
    /// use cv_portal_plugin::{InMemoryReplayGuard, ReplayGuard, Verifier};
    ///
    /// # async fn handler(verifier: &Verifier, token: &str) -> Result<(), cv_portal_plugin::VerifyError> {
    /// // At start-up: one store for both paths.
    /// let store: Arc<dyn ReplayGuard> = Arc::new(InMemoryReplayGuard::new());
    /// let for_async = NonBlockingReplayGuard::new(store);
    /// // In a handler:
    /// let claims = verifier.verify_async(token, &for_async).await?;
    /// # let _ = claims; Ok(()) }
    /// ```
    pub async fn verify_async(
        &self,
        token: &str,
        guard: &dyn AsyncReplayGuard,
    ) -> Result<LaunchClaims, VerifyError> {
        let token = UntrustedToken::parse_bounded(token, self.max_len)?;
        self.verify_untrusted_async(token, guard).await
    }

    /// Verifies a token already parsed (for example to route it by its issuer) exactly as
    /// [`verify_async`](Self::verify_async) does.
    pub async fn verify_untrusted_async(
        &self,
        token: UntrustedToken<'_>,
        guard: &dyn AsyncReplayGuard,
    ) -> Result<LaunchClaims, VerifyError> {
        let (claims, now) = self.check_all_but_single_use(&token)?;
        drop(token);
        guard
            .check_and_insert(&self.replay_entry(&claims, now))
            .await?;
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
        InMemoryReplayGuard, NonBlockingReplayGuard, ReplayEntry, ReplayError, ReplayFuture,
        ReplayGuard, StoreCause, StoreFailure,
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

    fn verifier(key: &SigningKey, guard: Arc<dyn ReplayGuard>) -> Verifier {
        Verifier::builder(
            IssuerId::new("https://portal.construtora.com.br").unwrap(),
            "financeiro".parse().unwrap(),
        )
        .key_set(KeySet::new([key.public_key()]).unwrap())
        .clock(Arc::new(FixedClock::new(NOW)))
        .replay_guard(guard)
        .build()
        .unwrap()
    }

    /// Records what it was asked, and answers with a fixed result.
    struct Recording {
        asked: std::sync::Mutex<Vec<(String, i64, i64)>>,
        answer: Result<(), ReplayError>,
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

    #[test]
    fn single_use_is_shared_with_the_blocking_path_through_one_store() {
        let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let store: Arc<dyn ReplayGuard> = Arc::new(InMemoryReplayGuard::new());
        let verifier = verifier(&key, Arc::clone(&store));
        let for_async = NonBlockingReplayGuard::new(store);
        let first = token(&key, "AAAAAAAAAAAAAAAAAAAAAA", NOW + 300);
        let claims = ready(verifier.verify_async(&first, &for_async)).unwrap();
        assert_eq!(claims.subject().as_str(), "48213");
        let again = ready(verifier.verify_async(&first, &for_async)).unwrap_err();
        assert_eq!(again.code(), "replayed");
        assert_eq!(verifier.verify(&first).unwrap_err().code(), "replayed");
        let second = token(&key, "BBBBBBBBBBBBBBBBBBBBBB", NOW + 300);
        verifier.verify(&second).unwrap();
        let error = ready(verifier.verify_async(&second, &for_async)).unwrap_err();
        assert_eq!(error.code(), "replayed");
    }

    #[test]
    fn the_guard_is_asked_last_with_the_blocking_paths_entry() {
        let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let verifier = verifier(&key, Arc::new(InMemoryReplayGuard::new()));
        let guard = Recording {
            asked: Default::default(),
            answer: Ok(()),
        };
        // Expired, forged and malformed tokens never reach the guard.
        let expired = token(&key, "CCCCCCCCCCCCCCCCCCCCCC", NOW - 100);
        let other = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let forged = token(&other, "DDDDDDDDDDDDDDDDDDDDDD", NOW + 300);
        for (bad, code) in [
            (expired.as_str(), "expired"),
            (forged.as_str(), "unknown_kid"),
        ] {
            let error = ready(verifier.verify_async(bad, &guard)).unwrap_err();
            assert_eq!(error.code(), code);
        }
        assert!(ready(verifier.verify_async("not.a.token", &guard)).is_err());
        assert!(guard.asked.lock().unwrap().is_empty());
        let good = token(&key, "EEEEEEEEEEEEEEEEEEEEEE", NOW + 300);
        ready(verifier.verify_async(&good, &guard)).unwrap();
        assert_eq!(
            *guard.asked.lock().unwrap(),
            [(
                "https://portal.construtora.com.br|financeiro|EEEEEEEEEEEEEEEEEEEEEE".to_owned(),
                NOW + 300 + 30,
                NOW
            )]
        );
    }

    #[test]
    fn a_store_that_cannot_answer_fails_closed() {
        let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let verifier = verifier(&key, Arc::new(InMemoryReplayGuard::new()));
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
            let guard = Recording {
                asked: Default::default(),
                answer: Err(answer),
            };
            let good = token(&key, "FFFFFFFFFFFFFFFFFFFFFF", NOW + 300);
            let error = ready(verifier.verify_async(&good, &guard)).unwrap_err();
            assert_eq!(error.code(), code);
        }
    }

    #[test]
    fn the_verify_future_is_send() {
        fn send<T: Send>(_: &T) {}
        let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let verifier = verifier(&key, Arc::new(InMemoryReplayGuard::new()));
        let guard = NonBlockingReplayGuard::new(Arc::new(InMemoryReplayGuard::new()));
        send(&verifier.verify_async("x", &guard));
    }
}
