//! Single use: a launch token's `jti` is accepted once.
//!
//! A [`ReplayGuard`] answers one question atomically: "was this `jti`, from this issuer for this
//! plugin, seen before? If not, remember it until the token could no longer verify anyway." The
//! verifier asks only after every other check has passed, so forged or expired tokens never take
//! room in the store. Entries expire at `exp + leeway` (the in-memory guard keeps them a further
//! [`CLOCK_STEP_MARGIN`] in case the clock steps back), which bounds memory by live tokens.
//!
//! [`InMemoryReplayGuard`] fits one process. A vendor running several instances behind a load
//! balancer needs a shared store (the `redis` feature); with per-instance guards, each instance
//! would accept the same token once.
//!
//! Guards fail closed: when a guard cannot answer, or is full, the token is rejected.
//!
//! Async services ask through [`AsyncReplayGuard`] (with
//! [`Verifier::verify_async`](crate::Verifier::verify_async)), so that a store on the network
//! never blocks a runtime thread: `AsyncRedisReplayGuard` (feature `redis-async`) writes the same
//! keys as the blocking Redis guard, and the in-memory guard serves both.

mod async_guard;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(feature = "redis-async")]
mod redis_async;

pub use async_guard::{AsyncReplayGuard, NonBlockingReplayGuard, ReplayFuture};

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::Mutex;

use crate::quoted::Quoted;

/// One token presented to a replay guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplayEntry<'a> {
    /// The token's `iss`.
    pub issuer: &'a str,
    /// The token's `aud` (the plugin id).
    pub audience: &'a str,
    /// The token's `jti`.
    pub jti: &'a str,
    /// When the entry may be forgotten (Unix seconds): `exp + leeway`.
    pub expires_at: i64,
    /// The verifier's current time (Unix seconds).
    pub now: i64,
}

impl<'a> ReplayEntry<'a> {
    /// An entry for the token `jti` of `issuer` for `audience`, to remember until `expires_at`,
    /// presented at `now` (Unix seconds); for tests of a guard and for wrappers around one.
    pub fn new(
        issuer: &'a str,
        audience: &'a str,
        jti: &'a str,
        expires_at: i64,
        now: i64,
    ) -> Self {
        ReplayEntry {
            issuer,
            audience,
            jti,
            expires_at,
            now,
        }
    }
}

/// What went wrong when a replay store could not answer: the operation and its [`StoreCause`].
/// Built from fixed text and bounded excerpts only: never a URL, a password or a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation}: {cause}")]
pub struct StoreFailure {
    operation: &'static str,
    cause: StoreCause,
}

impl StoreFailure {
    /// A failure of `operation` (a fixed name such as `"SET"` or `"connect"`).
    pub fn new(operation: &'static str, cause: StoreCause) -> Self {
        StoreFailure { operation, cause }
    }

    /// The operation that failed.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// Why it failed.
    pub fn cause(&self) -> &StoreCause {
        &self.cause
    }
}

/// The class of a replay store failure, with a stable [`kind`](Self::kind) for logs and metrics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreCause {
    /// The store did not answer within the guard's timeout.
    #[error("timed out")]
    Timeout,
    /// Every connection of the pool stayed busy until the timeout.
    #[error("no free connection in time")]
    PoolExhausted,
    /// The store refused the connection (nothing listens there).
    #[error("connection refused")]
    ConnectionRefused,
    /// The store closed the connection.
    #[error("connection closed by the server")]
    ConnectionClosed,
    /// The store refused the credentials, or wanted some and got none.
    #[error("authentication failed")]
    Authentication,
    /// The store answered with an error code (`OOM`, `READONLY`, `NOPERM`, ...).
    #[error("server error {code}")]
    ServerError {
        /// The server's error code (excerpt).
        code: Quoted,
    },
    /// The store answered something the protocol does not expect.
    #[error("unexpected reply")]
    UnexpectedReply,
    /// A network or TLS failure, as the operating system or TLS library words it.
    #[error("I/O error {detail}")]
    Io {
        /// The system's message (excerpt; these never hold a password or URL).
        detail: Quoted,
    },
    /// Anything else the client library reported.
    #[error("client error")]
    Client,
    /// An in-memory store holds its maximum of live entries and cannot record another.
    #[error("full ({capacity} live entries)")]
    Full {
        /// The store's capacity.
        capacity: usize,
    },
    /// The store is async only (the verifier's `replay_guard_async`, `PortalRegistry::new_async`,
    /// or a `Sessions` store given as `…_async`), and the blocking path was asked: it has no store
    /// to ask, so it refuses instead of skipping the check. Call the async path (`verify_async`,
    /// `authenticate_async`, …).
    #[error("the store is asked on the async path only (call the async method, e.g. verify_async)")]
    AsyncOnly,
    /// The store blocks on I/O (a `RedisReplayGuard` given to `replay_guard` or
    /// `PortalRegistry::new`, or a `Sessions` store given as `revocation_store` or
    /// `ticket_guard`), and the async path was asked: asking it there would hold a runtime thread
    /// for a round trip, so it refuses instead. Give the async store (`AsyncRedisReplayGuard`,
    /// `…_async`), or call the blocking method from `spawn_blocking`.
    #[error(
        "the store blocks on I/O and is not asked on the async path (give an async store, such \
         as AsyncRedisReplayGuard)"
    )]
    BlockingOnly,
}

impl StoreCause {
    /// A stable snake_case name of the class.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreCause::Timeout => "timeout",
            StoreCause::PoolExhausted => "pool_exhausted",
            StoreCause::ConnectionRefused => "connection_refused",
            StoreCause::ConnectionClosed => "connection_closed",
            StoreCause::Authentication => "authentication_failed",
            StoreCause::ServerError { .. } => "server_error",
            StoreCause::UnexpectedReply => "unexpected_reply",
            StoreCause::Io { .. } => "io_error",
            StoreCause::Client => "client_error",
            StoreCause::Full { .. } => "full",
            StoreCause::AsyncOnly => "async_only",
            StoreCause::BlockingOnly => "blocking_only",
        }
    }
}

/// Why a replay guard did not accept a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The `jti` was already accepted.
    #[error("token already used")]
    Replayed,
    /// The store could not answer in time; the token must be rejected.
    #[error("replay store unavailable: {0}")]
    Unavailable(StoreFailure),
    /// The guard holds its maximum of live entries; the token must be rejected.
    #[error("replay guard at capacity ({0} live tokens)")]
    CapacityExceeded(usize),
}

/// A store that accepts each token id once.
///
/// Implementations must make check-and-insert one atomic step (never a read followed by a write),
/// keep each entry at least until `expires_at`, and fail closed.
pub trait ReplayGuard: Send + Sync {
    /// Accepts the entry if its `jti` is new for its issuer and audience, remembering it until
    /// `expires_at`; returns [`ReplayError::Replayed`] if it was seen before.
    fn check_and_insert(&self, entry: &ReplayEntry<'_>) -> Result<(), ReplayError>;

    /// Whether [`check_and_insert`](Self::check_and_insert) answers from memory, never waiting
    /// on I/O, so async code may call it in place. `false` unless the implementation says so;
    /// the async verification paths refuse to ask a guard that says `false` (cause
    /// `blocking_only`) rather than block a runtime thread.
    fn answers_from_memory(&self) -> bool {
        false
    }
}

/// The default capacity of an [`InMemoryReplayGuard`]: one million live tokens.
pub const DEFAULT_CAPACITY: usize = 1_000_000;

const SHARDS: usize = 16;

/// How long (seconds) an entry is kept past its `expires_at`. If the verifier's clock steps back
/// (an NTP step, a VM resuming) after an entry was dropped, an already used token could be inside
/// its validity window again; keeping entries a minute longer covers such steps, as the Redis
/// guard's skew margin does.
pub const CLOCK_STEP_MARGIN: i64 = 60;

/// How often (seconds) a shard drops expired entries, at most.
const SWEEP_INTERVAL: i64 = 1;

/// A periodic sweep waits until the inserts since the last one are at least an eighth of the
/// entries held. A sweep visits every entry, so this bounds its cost to 8 entry visits per
/// insert whatever the token lifetime (sweeping every second regardless costs `lifetime / 1 s`
/// visits per insert: 330 for a 5-minute token), while a shard holds at most 8/7 of the entries
/// that were live at its last sweep, plus the inserts of the last second.
const SWEEP_SPREAD: usize = 8;

/// The map's hasher. Keys are already uniform keyed hashes, so instead of hashing them again the
/// map uses their high 64 bits (the low bits pick the shard, so they are alike within a shard).
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u128` is used for `u128` keys; this keeps any other input well defined.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u128(&mut self, key: u128) {
        self.0 = (key >> 64) as u64;
    }
}

#[derive(Default)]
struct Shard {
    /// Key: a 128-bit keyed hash of (issuer, audience, jti); value: `expires_at`.
    entries: HashMap<u128, i64, BuildHasherDefault<KeyHasher>>,
    next_sweep: i64,
    /// Entries inserted since the last sweep.
    inserted: usize,
}

impl Shard {
    fn sweep(&mut self, now: i64) {
        self.entries.retain(|_, expires_at| *expires_at > now);
        self.next_sweep = now.saturating_add(SWEEP_INTERVAL);
        self.inserted = 0;
    }

    /// A periodic sweep is due at most once per [`SWEEP_INTERVAL`], and only once its cost is
    /// spread over enough inserts (see [`SWEEP_SPREAD`]).
    fn sweep_due(&self, now: i64) -> bool {
        now >= self.next_sweep && self.inserted.saturating_mul(SWEEP_SPREAD) >= self.entries.len()
    }
}

/// A thread-safe, in-process replay guard with a hard capacity.
///
/// Entries are 128-bit keyed hashes of (issuer, audience, jti) under two random per-process
/// SipHash keys, so an entry costs a fixed 33 bytes of hash table (a 32-byte slot for the key and
/// `expires_at`, and a control byte) whatever the identifiers' lengths, and collisions are out of
/// an attacker's reach. With the tables' power-of-two sizing and expired entries dropped in
/// batches, a live token costs about 50 to 130 bytes (measured, see BENCHMARKS.md); the capacity
/// bounds the whole guard (about 70 MB at the default million). The map is split into 16 locked
/// shards so concurrent verifications rarely wait for each other.
///
/// ```
/// use cv_portal_plugin::{InMemoryReplayGuard, ReplayEntry, ReplayError, ReplayGuard};
/// let guard = InMemoryReplayGuard::new();
/// let entry = ReplayEntry::new("iss", "financeiro", "0123456789abcdef", 1_060, 1_000);
/// assert_eq!(guard.check_and_insert(&entry), Ok(()));
/// assert_eq!(guard.check_and_insert(&entry), Err(ReplayError::Replayed));
/// ```
pub struct InMemoryReplayGuard {
    shards: Box<[Mutex<Shard>]>,
    shard_capacity: usize,
    capacity: usize,
    hash_keys: (RandomState, RandomState),
}

impl InMemoryReplayGuard {
    /// A guard with the [default capacity](DEFAULT_CAPACITY).
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    /// A guard that holds at most about `capacity` live tokens (rounded up to a multiple of 16,
    /// at least 16), then fails closed.
    pub fn with_capacity(capacity: usize) -> Self {
        let shard_capacity = capacity.div_ceil(SHARDS).max(1);
        InMemoryReplayGuard {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            shard_capacity,
            capacity: shard_capacity * SHARDS,
            hash_keys: (RandomState::new(), RandomState::new()),
        }
    }

    /// The number of entries held, expired ones not yet swept included.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).entries.len())
            .sum()
    }

    /// Whether the guard holds no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn key(&self, entry: &ReplayEntry<'_>) -> u128 {
        let half = |state: &RandomState| state.hash_one((entry.issuer, entry.audience, entry.jti));
        (u128::from(half(&self.hash_keys.0)) << 64) | u128::from(half(&self.hash_keys.1))
    }
}

impl Default for InMemoryReplayGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for InMemoryReplayGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryReplayGuard")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl ReplayGuard for InMemoryReplayGuard {
    fn answers_from_memory(&self) -> bool {
        true
    }

    fn check_and_insert(&self, entry: &ReplayEntry<'_>) -> Result<(), ReplayError> {
        let key = self.key(entry);
        // The low bits pick the shard; the hash is uniform, so shards fill evenly.
        let shard = &self.shards[(key as usize) % SHARDS];
        let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
        if shard.sweep_due(entry.now) {
            shard.sweep(entry.now);
        }
        if let Some(expires_at) = shard.entries.get(&key) {
            if *expires_at > entry.now {
                return Err(ReplayError::Replayed);
            }
        } else if shard.entries.len() >= self.shard_capacity {
            shard.sweep(entry.now);
            if shard.entries.len() >= self.shard_capacity {
                return Err(ReplayError::CapacityExceeded(self.capacity));
            }
        }
        shard
            .entries
            .insert(key, entry.expires_at.saturating_add(CLOCK_STEP_MARGIN));
        shard.inserted += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(jti: &str, now: i64, expires_at: i64) -> ReplayEntry<'_> {
        ReplayEntry {
            issuer: "iss",
            audience: "aud",
            jti,
            expires_at,
            now,
        }
    }

    #[test]
    fn accepts_once_then_rejects() {
        let guard = InMemoryReplayGuard::new();
        assert_eq!(guard.check_and_insert(&entry("a", 0, 10)), Ok(()));
        assert_eq!(
            guard.check_and_insert(&entry("a", 5, 10)),
            Err(ReplayError::Replayed)
        );
        assert_eq!(guard.check_and_insert(&entry("b", 5, 10)), Ok(()));
    }

    #[test]
    fn same_jti_for_other_audience_or_issuer_is_distinct() {
        let guard = InMemoryReplayGuard::new();
        let base = entry("a", 0, 10);
        assert_eq!(guard.check_and_insert(&base), Ok(()));
        let other_aud = ReplayEntry {
            audience: "other",
            ..base
        };
        assert_eq!(guard.check_and_insert(&other_aud), Ok(()));
        let other_iss = ReplayEntry {
            issuer: "other",
            ..base
        };
        assert_eq!(guard.check_and_insert(&other_iss), Ok(()));
        // ("ab", "c") and ("a", "bc") must not collide.
        let split = ReplayEntry {
            issuer: "issa",
            audience: "ud",
            ..base
        };
        assert_eq!(guard.check_and_insert(&split), Ok(()));
    }

    #[test]
    fn entries_expire_and_memory_is_reclaimed() {
        let guard = InMemoryReplayGuard::new();
        for i in 0..100 {
            let jti = format!("jti-{i}");
            guard.check_and_insert(&entry(&jti, 0, 10)).unwrap();
        }
        assert_eq!(guard.len(), 100);
        // Within the clock-step margin past expiry the entry is still held...
        assert_eq!(
            guard.check_and_insert(&entry("jti-1", 9 + CLOCK_STEP_MARGIN, 20)),
            Err(ReplayError::Replayed)
        );
        // ...after it, the same jti is accepted again (the verifier has rejected it as expired
        // before asking) and sweeping drops the dead entries.
        let later = 10 + CLOCK_STEP_MARGIN;
        assert_eq!(guard.check_and_insert(&entry("jti-1", later, 200)), Ok(()));
        // A shard sweeps when a token lands in it, and the keyed hash scatters tokens at random:
        // 1,000 new tokens reach all 16 shards (100 missed one with a chance of about 2.5 %, a
        // flaky run seen in CI; 1,000 miss one with a chance of about 1e-27).
        for i in 0..1000 {
            let jti = format!("new-{i}");
            guard
                .check_and_insert(&entry(&jti, later + 1, 200))
                .unwrap();
        }
        assert!(
            guard.len() <= 1001,
            "expired entries were not swept: {}",
            guard.len()
        );
    }

    #[test]
    fn a_sweep_waits_until_its_cost_is_spread_over_enough_inserts() {
        let mut shard = Shard::default();
        shard.sweep(0);
        for key in 0..100u128 {
            shard.entries.insert(key << 64, 1_000);
        }
        shard.inserted = 12;
        // A second has passed, but 12 inserts cannot pay for visiting 100 entries.
        assert!(!shard.sweep_due(5));
        shard.inserted = 13;
        assert!(shard.sweep_due(5));
        // Never twice within the same second, however many inserts.
        shard.sweep(5);
        shard.inserted = 1_000;
        assert!(!shard.sweep_due(5));
        assert!(shard.sweep_due(6));
        assert_eq!(shard.entries.len(), 100, "live entries are kept");
    }

    #[test]
    fn expired_entries_are_dropped_once_new_tokens_arrive() {
        let guard = InMemoryReplayGuard::new();
        for i in 0..1_600 {
            guard
                .check_and_insert(&entry(&format!("old-{i}"), 0, 10))
                .unwrap();
        }
        assert_eq!(guard.len(), 1_600);
        // Every shard saw about 100 inserts since its last sweep, so its first insert after the
        // old tokens expired sweeps them all.
        let now = 20 + CLOCK_STEP_MARGIN;
        for i in 0..1_600 {
            guard
                .check_and_insert(&entry(&format!("new-{i}"), now, now + 100))
                .unwrap();
        }
        assert_eq!(guard.len(), 1_600);
        for i in 0..1_600 {
            assert_eq!(
                guard.check_and_insert(&entry(&format!("new-{i}"), now + 1, now + 100)),
                Err(ReplayError::Replayed)
            );
        }
    }

    #[test]
    fn the_map_hashes_keys_by_their_high_bits() {
        // The low bits pick the shard, so all keys of a shard share them; the map must not.
        let hash = |key: u128| BuildHasherDefault::<KeyHasher>::default().hash_one(key);
        assert_eq!(hash(0xabcd_u128 << 64 | 7), 0xabcd);
        assert_ne!(hash(1 << 64 | 3), hash(2 << 64 | 3));
        let mut bytes = KeyHasher::default();
        bytes.write(&[1, 2]);
        assert_eq!(bytes.finish(), 0x0102);
    }

    #[test]
    fn fails_closed_at_capacity() {
        let guard = InMemoryReplayGuard::with_capacity(16);
        let mut accepted = 0;
        let mut refused = 0;
        for i in 0..200 {
            let jti = format!("jti-{i}");
            match guard.check_and_insert(&entry(&jti, 0, 100)) {
                Ok(()) => accepted += 1,
                Err(ReplayError::CapacityExceeded(16)) => refused += 1,
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert!(accepted <= 16, "accepted {accepted}");
        assert_eq!(accepted + refused, 200);
        // Once the live tokens expire (and the clock-step margin has passed) there is room again.
        assert_eq!(
            guard.check_and_insert(&entry("late", 101 + CLOCK_STEP_MARGIN, 300)),
            Ok(())
        );
    }

    #[test]
    fn a_clock_stepping_back_after_a_sweep_cannot_replay() {
        // A token accepted at 0, expiring (with leeway) at 330. The clock jumps to 331, new
        // tokens make every shard sweep, then the clock steps back to 326: the token is inside
        // its validity window again, and must still be known.
        let guard = InMemoryReplayGuard::new();
        assert_eq!(guard.check_and_insert(&entry("used", 0, 330)), Ok(()));
        for i in 0..2_000 {
            guard
                .check_and_insert(&entry(&format!("fresh-{i}"), 331, 700))
                .unwrap();
        }
        assert_eq!(
            guard.check_and_insert(&entry("used", 326, 330)),
            Err(ReplayError::Replayed)
        );
    }
}
