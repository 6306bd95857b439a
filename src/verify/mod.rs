//! The vendor side: strict verification of a launch token.
//!
//! [`Verifier::verify`] runs the checks of PROTOCOL.md §6 in order and stops at the first failure,
//! returning a [`VerifyError`] with a stable code and the [`Fault`] it is. Checks 1
//! to 10 (structure, base64url, header) are [`UntrustedToken::parse`]; the rest need the portal's
//! key and happen here. The signature is checked by jsonwebtoken through the crate's own ring
//! provider, called directly (never the process-wide one, which another crate may have chosen),
//! with the algorithm pinned to the key, never the one the header asks for.

mod async_verify;
mod error;
mod token;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use error::{Fault, Segment, VerifierConfigError, VerifyError};
pub use token::UntrustedToken;

use crate::clock::{Clock, SystemClock};
use crate::keys::{Algorithm, KeyCache, KeySet, KeySource, PublicKey};
use crate::quoted::Quoted;
use crate::replay::{AsyncReplayGuard, ReplayEntry, ReplayGuard, StoreCause, StoreFailure};
use crate::wire::{
    IssuerId, LaunchClaims, MAX_LIFETIME_SECS, MAX_TOKEN_LEN, PluginId, Role, SubjectId, TokenId,
};
use token::{RawClaims, parse_claims};

/// The default clock leeway: 30 seconds.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);
/// The largest leeway a verifier accepts, through
/// [`VerifierBuilder::dangerous_extended_leeway`]: 5 minutes.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);
/// The least maximum token length a verifier accepts: 256 bytes.
pub const MIN_MAX_TOKEN_LEN: usize = 256;
/// The largest maximum token length, through [`VerifierBuilder::dangerous_max_token_len`]: 64 KiB.
pub const DANGEROUS_MAX_TOKEN_LEN: usize = 65_536;

/// How a verifier enforces single use (PROTOCOL.md §8). There is no default: building a
/// verifier without choosing fails with [`VerifierConfigError::NoReplayGuard`].
enum SingleUse {
    /// Not chosen yet (builder only).
    Unset,
    /// A blocking guard, asked by `verify` (and shared with whatever else holds the `Arc`);
    /// `verify_async` asks it in place only if it answers from memory.
    Guard(Arc<dyn ReplayGuard>),
    /// An async guard, awaited by `verify_async`; the blocking `verify` refuses every token (it
    /// has no guard to ask).
    Async(Arc<dyn AsyncReplayGuard>),
    /// Off: the same token verifies until it expires.
    Disabled,
}

impl SingleUse {
    fn describe(&self) -> &'static str {
        match self {
            SingleUse::Unset => "unset",
            SingleUse::Guard(_) => "guard",
            SingleUse::Async(_) => "async",
            SingleUse::Disabled => "disabled",
        }
    }
}

enum Keys {
    Set(Arc<KeySet>),
    Cache(Arc<KeyCache>),
    Source(Arc<KeySource>),
}

/// Verifies launch tokens for one plugin of one portal.
///
/// Build it once at start-up and share it (it is `Send + Sync`); `verify` does no work that does
/// not depend on the token.
pub struct Verifier {
    issuer: IssuerId,
    plugin: PluginId,
    keys: Keys,
    leeway: i64,
    max_len: usize,
    replay: SingleUse,
    clock: Arc<dyn Clock>,
}

/// Configures a [`Verifier`].
///
/// Single use is a decision, not a default: [`build`](Self::build) fails with
/// [`VerifierConfigError::NoReplayGuard`] until one of [`replay_guard`](Self::replay_guard),
/// [`replay_guard_async`](Self::replay_guard_async) or
/// [`dangerous_disable_replay_guard`](Self::dangerous_disable_replay_guard) is called. A guard
/// made for one verifier and dropped with it would forget every token it saw, so make one store
/// per process (or one Redis store for every instance) and give every verifier the same `Arc`:
///
/// ```
/// use std::sync::Arc;
/// use cv_portal_plugin::{InMemoryReplayGuard, IssuerId, KeySource, ReplayGuard, Verifier};
///
/// // Once, at start-up, for the whole process (or `RedisReplayGuard` for several instances):
/// let single_use: Arc<dyn ReplayGuard> = Arc::new(InMemoryReplayGuard::new());
///
/// let keys = Arc::new(KeySource::new()); // refreshed from the portal's JWKS in the background
/// let verifier = Verifier::builder(IssuerId::new("https://portal.construtora.com.br")?, "financeiro".parse()?)
///     .key_source(keys)
///     .replay_guard(Arc::clone(&single_use))
///     .build()?;
/// # let _ = verifier;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct VerifierBuilder {
    issuer: IssuerId,
    plugin: PluginId,
    keys: Option<Keys>,
    leeway: Duration,
    leeway_max: Duration,
    max_len: usize,
    max_len_cap: usize,
    replay: SingleUse,
    clock: Arc<dyn Clock>,
}

impl VerifierBuilder {
    /// Verify with a fixed key set.
    pub fn key_set(mut self, keys: KeySet) -> Self {
        self.keys = Some(Keys::Set(Arc::new(keys)));
        self
    }

    /// Verify with a key set shared with other verifiers (the client-data endpoint builds one
    /// verifier per plugin over the same set).
    #[cfg(feature = "portal")]
    pub(crate) fn shared_key_set(mut self, keys: Arc<KeySet>) -> Self {
        self.keys = Some(Keys::Set(keys));
        self
    }

    /// Verify with a self-refreshing [`KeyCache`] (refetches on an unknown `kid`).
    pub fn key_cache(mut self, cache: Arc<KeyCache>) -> Self {
        self.keys = Some(Keys::Cache(cache));
        self
    }

    /// Verify with a [`KeySource`]: keys held in memory and refreshed in the background, so
    /// `verify` never waits on the network (an unknown `kid` only asks for a refetch).
    pub fn key_source(mut self, source: Arc<KeySource>) -> Self {
        self.keys = Some(Keys::Source(source));
        self
    }

    /// A leeway for clock differences of at most the default 30 seconds (tightening only).
    /// Times are whole seconds: a fraction of a second is dropped.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self.leeway_max = DEFAULT_LEEWAY;
        self
    }

    /// A leeway above the default, up to 5 minutes. It widens the window in which an expired
    /// token is still accepted, hence the name.
    pub fn dangerous_extended_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self.leeway_max = MAX_LEEWAY;
        self
    }

    /// A maximum token length below the protocol's 4096 bytes (accepted: 256 to 4096).
    pub fn max_token_len(mut self, max: usize) -> Self {
        self.max_len = max;
        self.max_len_cap = MAX_TOKEN_LEN;
        self
    }

    /// A maximum token length above the protocol's 4096 bytes, up to 64 KiB. PROTOCOL.md §2 says
    /// a portal never sends more than 4096 bytes, so this only widens what an attacker may make
    /// the verifier read, hence the name.
    pub fn dangerous_max_token_len(mut self, max: usize) -> Self {
        self.max_len = max;
        self.max_len_cap = DANGEROUS_MAX_TOKEN_LEN;
        self
    }

    /// Single use through `guard`: one store for the whole process, shared by `Arc` with every
    /// other verifier ([`InMemoryReplayGuard`](crate::InMemoryReplayGuard)), or one store for
    /// every instance of the service (`RedisReplayGuard`, feature `redis`).
    pub fn replay_guard(mut self, guard: Arc<dyn ReplayGuard>) -> Self {
        self.replay = SingleUse::Guard(guard);
        self
    }

    /// Single use through the async guard `guard` (an `AsyncRedisReplayGuard`, feature
    /// `redis-async`), awaited by [`Verifier::verify_async`], for async services: no runtime
    /// thread waits on the store. The blocking [`Verifier::verify`] then has no guard to ask and
    /// refuses every token that passes the other checks with `replay_store_unavailable` (cause
    /// `async_only`), rather than skip single use.
    pub fn replay_guard_async(mut self, guard: Arc<dyn AsyncReplayGuard>) -> Self {
        self.replay = SingleUse::Async(guard);
        self
    }

    /// Turns single use off: the same token then verifies until it expires. Only for benchmarks,
    /// or for vendors that enforce single use elsewhere.
    pub fn dangerous_disable_replay_guard(mut self) -> Self {
        self.replay = SingleUse::Disabled;
        self
    }

    /// The clock (tests inject a [`FixedClock`](crate::FixedClock)).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the verifier.
    pub fn build(self) -> Result<Verifier, VerifierConfigError> {
        let keys = self.keys.ok_or(VerifierConfigError::NoKeys)?;
        if self.leeway > self.leeway_max {
            return Err(VerifierConfigError::LeewayTooLarge {
                seconds: self.leeway.as_secs(),
                max: self.leeway_max.as_secs(),
            });
        }
        if !(MIN_MAX_TOKEN_LEN..=self.max_len_cap).contains(&self.max_len) {
            return Err(VerifierConfigError::MaxTokenLength {
                len: self.max_len,
                min: MIN_MAX_TOKEN_LEN,
                max: self.max_len_cap,
            });
        }
        if matches!(self.replay, SingleUse::Unset) {
            return Err(VerifierConfigError::NoReplayGuard);
        }
        Ok(Verifier {
            issuer: self.issuer,
            plugin: self.plugin,
            keys,
            // At most MAX_LEEWAY, so the cast cannot truncate.
            leeway: self.leeway.as_secs() as i64,
            max_len: self.max_len,
            replay: self.replay,
            clock: self.clock,
        })
    }
}

impl Verifier {
    /// Starts configuring a verifier that accepts tokens of `issuer` for `plugin`.
    ///
    /// Defaults: 30 s leeway, 4 KiB maximum length, the system clock. Required: the keys (a
    /// key set, key source or key cache) and the choice of single use (see [`VerifierBuilder`]).
    pub fn builder(issuer: IssuerId, plugin: PluginId) -> VerifierBuilder {
        VerifierBuilder {
            issuer,
            plugin,
            keys: None,
            leeway: DEFAULT_LEEWAY,
            leeway_max: DEFAULT_LEEWAY,
            max_len: MAX_TOKEN_LEN,
            max_len_cap: MAX_TOKEN_LEN,
            replay: SingleUse::Unset,
            clock: Arc::new(SystemClock),
        }
    }

    /// Verifies `token` and, if every check passes, consumes its single use and returns its claims.
    ///
    /// **When it can block.** The checks themselves are CPU only (about 70 µs for Ed25519). It
    /// blocks the calling thread in exactly two places: the replay guard's `check_and_insert`
    /// (none for an [`InMemoryReplayGuard`](crate::InMemoryReplayGuard); one Redis round trip,
    /// bounded by its timeout, for a `RedisReplayGuard`), and, with a [`KeyCache`], the cache's
    /// fetch on an unknown `kid` (your closure, rate-limited). With a
    /// [`KeySet`] or a [`KeySource`] it never waits on the network.
    ///
    /// **From async code** (tokio, axum, actix-web): build the verifier over a `KeySource`
    /// refreshed in the background, and either use [`verify_async`](Self::verify_async) with an
    /// async guard ([`VerifierBuilder::replay_guard_async`]), or keep this method with an
    /// in-memory guard. A blocking guard or a `KeyCache` fetch inside a handler belongs in
    /// `tokio::task::spawn_blocking`:
    ///
    /// ```ignore
    /// let verifier = Arc::clone(&verifier);
    /// let claims = tokio::task::spawn_blocking(move || verifier.verify(&token)).await??;
    /// ```
    ///
    /// **At start-up**, load the keys before serving (for example `KeySource::refresh_with` or
    /// `KeyCache::refresh`), so a wrong JWKS URL fails the deployment instead of the first person
    /// who opens the plugin.
    pub fn verify(&self, token: &str) -> Result<LaunchClaims, VerifyError> {
        self.verify_untrusted(UntrustedToken::parse_bounded(token, self.max_len)?)
    }

    /// Verifies a token already parsed (for example to route it by its issuer) exactly as
    /// [`verify`](Self::verify) does, consuming its single use.
    pub fn verify_untrusted(&self, token: UntrustedToken<'_>) -> Result<LaunchClaims, VerifyError> {
        let (claims, now) = self.check_all_but_single_use(&token)?;
        match &self.replay {
            SingleUse::Guard(guard) => guard.check_and_insert(&self.replay_entry(&claims, now))?,
            SingleUse::Async(_) => {
                return Err(VerifyError::ReplayStoreUnavailable {
                    failure: StoreFailure::new("check_and_insert", StoreCause::AsyncOnly),
                });
            }
            SingleUse::Disabled | SingleUse::Unset => {}
        }
        Ok(claims)
    }

    /// Every check but single use (the blocking and the async path share them): the claims, and
    /// the time they were checked at.
    fn check_all_but_single_use(
        &self,
        token: &UntrustedToken<'_>,
    ) -> Result<(LaunchClaims, i64), VerifyError> {
        if token.len() > self.max_len {
            return Err(VerifyError::TooLarge {
                len: token.len(),
                max: self.max_len,
            });
        }
        let now = self.clock.now_unix();
        Ok((self.check(token, now)?, now))
    }

    /// What a replay guard is asked about verified `claims` checked at `now`.
    fn replay_entry<'c>(&self, claims: &'c LaunchClaims, now: i64) -> ReplayEntry<'c> {
        ReplayEntry {
            issuer: claims.iss.as_str(),
            audience: claims.aud.as_str(),
            jti: claims.jti.as_str(),
            expires_at: claims.exp.saturating_add(self.leeway),
            now,
        }
    }

    /// The issuer whose tokens this verifier accepts.
    pub fn issuer(&self) -> &IssuerId {
        &self.issuer
    }

    /// The plugin whose tokens this verifier accepts.
    pub fn plugin(&self) -> &PluginId {
        &self.plugin
    }

    fn check(&self, token: &UntrustedToken<'_>, now: i64) -> Result<LaunchClaims, VerifyError> {
        let key_set;
        let source_set;
        let key = match &self.keys {
            Keys::Set(set) => set.get(token.kid()),
            Keys::Cache(cache) => {
                key_set = cache
                    .key_set_for(token.kid())
                    .map_err(|last_failure| VerifyError::KeysUnavailable { last_failure })?;
                key_set.get(token.kid())
            }
            Keys::Source(source) => {
                source_set = source
                    .key_set_for(token.kid())
                    .map_err(|last_failure| VerifyError::KeysUnavailable { last_failure })?;
                source_set.as_deref().and_then(|set| set.get(token.kid()))
            }
        }
        .ok_or_else(|| VerifyError::UnknownKid {
            kid: Quoted::ascii(token.kid()),
        })?;
        check_signature(
            key,
            token.algorithm(),
            token.signing_input(),
            token.signature(),
        )?;
        let claims = parse_claims(token.payload())?;
        self.check_claims(claims, now)
    }

    fn check_claims(&self, raw: RawClaims<'_>, now: i64) -> Result<LaunchClaims, VerifyError> {
        let iss = raw.iss.string("iss")?;
        let aud = raw.aud.string("aud")?;
        let sub = raw.sub.string("sub")?;
        let role = raw.role.string("role")?;
        let iat = raw.iat.time("iat")?;
        let nbf = raw.nbf.time("nbf")?;
        let exp = raw.exp.time("exp")?;
        let jti = raw.jti.string("jti")?;

        let role = role.parse::<Role>().map_err(|_| VerifyError::UnknownRole {
            found: Quoted::ascii(&role),
        })?;
        if iss != self.issuer.as_str() {
            return Err(VerifyError::WrongIssuer {
                expected: self.issuer.clone(),
                found: Quoted::ascii(&iss),
            });
        }
        if aud != self.plugin.as_str() {
            return Err(VerifyError::WrongAudience {
                expected: self.plugin.clone(),
                found: Quoted::ascii(&aud),
            });
        }
        let sub = SubjectId::new(sub.into_owned())
            .map_err(|_| VerifyError::InvalidClaim { claim: "sub" })?;
        let jti = TokenId::parse(&jti).ok_or(VerifyError::InvalidClaim { claim: "jti" })?;
        if exp <= iat {
            return Err(VerifyError::InvalidClaim { claim: "exp" });
        }
        if exp - iat > MAX_LIFETIME_SECS {
            return Err(VerifyError::LifetimeTooLong {
                lifetime: exp - iat,
                max: MAX_LIFETIME_SECS,
            });
        }
        let leeway = self.leeway;
        // Claim times are bounded to [0, MAX_TIMESTAMP]; the clock is not, so saturate.
        let horizon = now.saturating_add(leeway);
        if iat > horizon {
            return Err(VerifyError::IssuedInFuture {
                seconds_ahead: iat.saturating_sub(now),
                leeway,
            });
        }
        if nbf > horizon {
            return Err(VerifyError::NotYetValid {
                seconds_ahead: nbf.saturating_sub(now),
                leeway,
            });
        }
        if now >= exp + leeway {
            return Err(VerifyError::Expired {
                seconds_ago: now.saturating_sub(exp),
                leeway,
            });
        }
        Ok(LaunchClaims {
            iss: self.issuer.clone(),
            aud: self.plugin.clone(),
            sub,
            role,
            iat,
            nbf,
            exp,
            jti,
        })
    }
}

impl fmt::Debug for VerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierBuilder")
            .field("issuer", &self.issuer)
            .field("plugin", &self.plugin)
            .field("has_keys", &self.keys.is_some())
            .field("leeway", &self.leeway)
            .field("max_len", &self.max_len)
            .field("single_use", &self.replay.describe())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.issuer)
            .field("plugin", &self.plugin)
            .field("leeway", &self.leeway)
            .field("max_len", &self.max_len)
            .field("single_use", &self.replay.describe())
            .finish_non_exhaustive()
    }
}

/// Checks the signature with the algorithm pinned to the key, through the crate's own provider.
fn check_signature(
    key: &PublicKey,
    alg: Algorithm,
    signing_input: &str,
    // The decoded segment as jsonwebtoken's verifier trait takes it, so nothing is copied.
    #[allow(clippy::ptr_arg)] signature: &Vec<u8>,
) -> Result<(), VerifyError> {
    if alg != key.algorithm() {
        return Err(VerifyError::AlgMismatch {
            expected: key.algorithm().as_str(),
            found: alg.as_str(),
        });
    }
    // Both algorithms have 64-byte signatures (ES256 is raw r || s, never DER).
    if signature.len() != 64 {
        return Err(VerifyError::BadSignature);
    }
    if crate::provider::verify_signature(key.algorithm(), key, signing_input.as_bytes(), signature)
    {
        Ok(())
    } else {
        Err(VerifyError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::b64;
    use crate::clock::FixedClock;
    use crate::keys::SigningKey;

    const NOW: i64 = 1_764_288_000;
    const ISSUER: &str = "https://portal.construtora.com.br";

    /// Signs raw header and claims JSON, as an attacker or another implementation might write it.
    fn token(key: &SigningKey, header: &str, claims: &str) -> String {
        let mut token = b64::encode(header.as_bytes());
        token.push('.');
        b64::encode_into(claims.as_bytes(), &mut token);
        let signature = key.sign(token.as_bytes()).unwrap();
        token.push('.');
        b64::encode_into(&signature, &mut token);
        token
    }

    fn verifier(key: &SigningKey) -> Verifier {
        Verifier::builder(
            IssuerId::new(ISSUER).unwrap(),
            "financeiro".parse().unwrap(),
        )
        .key_set(KeySet::new([key.public_key()]).unwrap())
        .clock(Arc::new(FixedClock::new(NOW)))
        .replay_guard(Arc::new(crate::replay::InMemoryReplayGuard::new()))
        .build()
        .unwrap()
    }

    fn claims(sub: &str, jti: &str) -> String {
        format!(
            r#"{{"iss":"https:\/\/portal.construtora.com.br","aud":"financeiro","sub":"{sub}","role":"cliente","iat":{NOW},"nbf":{NOW},"exp":{},"jti":"{jti}"}}"#,
            NOW + 300
        )
    }

    #[test]
    fn single_use_is_chosen_and_the_async_only_choice_refuses_the_blocking_path() {
        let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let header = format!(
            r#"{{"alg":"EdDSA","typ":"cv-plugin-launch+jwt","kid":"{}"}}"#,
            key.kid()
        );
        let builder = || {
            Verifier::builder(
                IssuerId::new(ISSUER).unwrap(),
                "financeiro".parse().unwrap(),
            )
            .key_set(KeySet::new([key.public_key()]).unwrap())
            .clock(Arc::new(FixedClock::new(NOW)))
        };
        assert_eq!(
            builder().build().unwrap_err(),
            VerifierConfigError::NoReplayGuard
        );
        let genuine = token(&key, &header, &claims("48213", "CCCCCCCCCCCCCCCCCCCCCC"));

        let memory = crate::replay::NonBlockingReplayGuard::new(Arc::new(
            crate::replay::InMemoryReplayGuard::new(),
        ));
        let async_only = builder()
            .replay_guard_async(Arc::new(memory))
            .build()
            .unwrap();
        assert!(format!("{async_only:?}").contains("\"async\""));
        for _ in 0..2 {
            match async_only.verify(&genuine).unwrap_err() {
                VerifyError::ReplayStoreUnavailable { failure } => {
                    assert_eq!(failure.cause(), &StoreCause::AsyncOnly);
                    assert_eq!(failure.cause().kind(), "async_only");
                }
                other => panic!("expected replay_store_unavailable, got {other:?}"),
            }
        }
        // A forgery is refused for what it is, before single use is considered.
        let other = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let forged = token(&other, &header, &claims("48213", "DDDDDDDDDDDDDDDDDDDDDD"));
        assert_eq!(
            async_only.verify(&forged).unwrap_err().code(),
            "bad_signature"
        );

        let disabled = builder().dangerous_disable_replay_guard().build().unwrap();
        assert!(disabled.verify(&genuine).is_ok());
        assert!(disabled.verify(&genuine).is_ok());
        assert!(format!("{disabled:?}").contains("disabled"));
    }

    #[test]
    fn escaped_strings_are_read_like_plain_ones() {
        // JSON escapes take the owned-string path of the parser; plain strings are borrowed.
        for alg in [Algorithm::EdDSA, Algorithm::ES256] {
            let key = SigningKey::generate(alg).unwrap();
            let verifier = verifier(&key);
            let header = format!(
                r#"{{"alg":"{alg}","typ":"cv-plugin-launch\u002bjwt","kid":"{}"}}"#,
                key.kid()
            );
            let escaped = token(
                &key,
                &header,
                &claims(r"48\u00321\u0033", r"AAAAAAAAAAAAAAAAAAAA\u0041A"),
            );
            let verified = verifier.verify(&escaped).unwrap();
            assert_eq!(verified.subject().as_str(), "48213");
            assert_eq!(verified.token_id().as_str(), "AAAAAAAAAAAAAAAAAAAAAA");
            assert_eq!(verified.issuer().as_str(), ISSUER);

            // An escaped member name is the same member: a repeat is still a repeat.
            let repeated = claims("48213", "BBBBBBBBBBBBBBBBBBBBBB").replace(
                r#""role":"cliente""#,
                r#""role":"cliente","s\u0075b":"48213""#,
            );
            let error = verifier
                .verify(&token(&key, &header, &repeated))
                .unwrap_err();
            assert_eq!(error.code(), "duplicate_member");

            // An escaped typ that decodes to another value is still the wrong typ.
            let wrong = header.replace(r"\u002b", r"\u002d");
            let error = verifier
                .verify(&token(
                    &key,
                    &wrong,
                    &claims("48213", "CCCCCCCCCCCCCCCCCCCCCC"),
                ))
                .unwrap_err();
            assert_eq!(error.code(), "wrong_typ");
        }
    }

    #[test]
    fn a_signature_of_another_key_or_length_is_bad_signature() {
        let key = SigningKey::generate(Algorithm::ES256).unwrap();
        let other = SigningKey::generate(Algorithm::ES256).unwrap();
        let verifier = verifier(&key);
        let header = format!(
            r#"{{"alg":"ES256","typ":"cv-plugin-launch+jwt","kid":"{}"}}"#,
            key.kid()
        );
        let good = token(&key, &header, &claims("48213", "DDDDDDDDDDDDDDDDDDDDDD"));
        let (input, _) = good.rsplit_once('.').unwrap();
        let forged = token(&other, &header, &claims("48213", "DDDDDDDDDDDDDDDDDDDDDD"));
        let (_, forged_signature) = forged.rsplit_once('.').unwrap();
        for signature in [forged_signature.to_owned(), b64::encode(&[0u8; 63])] {
            let error = verifier
                .verify(&format!("{input}.{signature}"))
                .unwrap_err();
            assert_eq!(error.code(), "bad_signature");
        }
        assert!(verifier.verify(&good).is_ok());
    }
}
