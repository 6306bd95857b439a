//! Single use: a launch token's `jti` is accepted once.
//!
//! A [`ReplayGuard`] answers one question atomically: "was this `jti`, from this issuer for this
//! plugin, seen before? If not, remember it until the token could no longer verify anyway." The
//! verifier asks only after every other check has passed, so forged or expired tokens never take
//! room in the store. Entries expire at `exp + leeway`, which bounds memory by live tokens.
//!
//! [`InMemoryReplayGuard`] fits one process. A vendor running several instances behind a load
//! balancer needs a shared store (the `redis` feature); with per-instance guards, each instance
//! would accept the same token once.
//!
//! Guards fail closed: when a guard cannot answer, or is full, the token is rejected.

#[cfg(feature = "redis")]
pub mod redis;

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;

/// One token presented to a replay guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// Why a replay guard did not accept a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The `jti` was already accepted.
    #[error("token already used")]
    Replayed,
    /// The store could not answer in time; the token must be rejected.
    #[error("replay store unavailable: {0}")]
    Unavailable(String),
    /// The guard holds its maximum of live entries; the token must be rejected.
    #[error("replay guard at capacity ({0} live tokens)")]
    CapacityExceeded(usize),
}

impl From<ReplayError> for crate::VerifyError {
    fn from(error: ReplayError) -> Self {
        match error {
            ReplayError::Replayed => crate::VerifyError::Replayed,
            ReplayError::Unavailable(reason) => {
                crate::VerifyError::ReplayStoreUnavailable { reason }
            }
            ReplayError::CapacityExceeded(capacity) => {
                crate::VerifyError::ReplayCapacityExceeded { capacity }
            }
        }
    }
}

/// A store that accepts each token id once.
///
/// Implementations must make check-and-insert one atomic step (never a read followed by a write),
/// keep each entry at least until `expires_at`, and fail closed.
pub trait ReplayGuard: Send + Sync {
    /// Accepts the entry if its `jti` is new for its issuer and audience, remembering it until
    /// `expires_at`; returns [`ReplayError::Replayed`] if it was seen before.
    fn check_and_insert(&self, entry: &ReplayEntry<'_>) -> Result<(), ReplayError>;
}

/// The default capacity of an [`InMemoryReplayGuard`]: one million live tokens.
pub const DEFAULT_CAPACITY: usize = 1_000_000;

const SHARDS: usize = 16;

/// How often (seconds) a shard drops expired entries, at most.
const SWEEP_INTERVAL: i64 = 1;

#[derive(Default)]
struct Shard {
    /// Key: a 128-bit keyed hash of (issuer, audience, jti); value: `expires_at`.
    entries: HashMap<u128, i64>,
    next_sweep: i64,
}

impl Shard {
    fn sweep(&mut self, now: i64) {
        self.entries.retain(|_, expires_at| *expires_at > now);
        self.next_sweep = now.saturating_add(SWEEP_INTERVAL);
    }
}

/// A thread-safe, in-process replay guard with a hard capacity.
///
/// Entries are 128-bit keyed hashes of (issuer, audience, jti) under two random per-process
/// SipHash keys, so an entry costs a fixed 24 bytes of map slot (about 32 bytes with the table's
/// overhead) whatever the identifiers' lengths, and collisions are out of an attacker's reach.
/// The map is split into 16 locked shards so concurrent verifications rarely wait for each other.
///
/// ```
/// use cv_portal_plugin::{InMemoryReplayGuard, ReplayEntry, ReplayError, ReplayGuard};
/// let guard = InMemoryReplayGuard::new();
/// let entry = ReplayEntry { issuer: "iss", audience: "financeiro", jti: "0123456789abcdef",
///                           expires_at: 1_060, now: 1_000 };
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
    fn check_and_insert(&self, entry: &ReplayEntry<'_>) -> Result<(), ReplayError> {
        let key = self.key(entry);
        // The low bits pick the shard; the hash is uniform, so shards fill evenly.
        let shard = &self.shards[(key as usize) % SHARDS];
        let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
        if entry.now >= shard.next_sweep {
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
        shard.entries.insert(key, entry.expires_at);
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
        // Past expiry, the same jti is accepted again (the verifier has rejected it as expired
        // before asking) and sweeping drops the dead entries.
        assert_eq!(guard.check_and_insert(&entry("jti-1", 11, 20)), Ok(()));
        for i in 0..100 {
            let jti = format!("new-{i}");
            guard.check_and_insert(&entry(&jti, 12, 20)).unwrap();
        }
        assert!(
            guard.len() <= 101,
            "expired entries were not swept: {}",
            guard.len()
        );
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
        // Once the live tokens expire there is room again.
        assert_eq!(guard.check_and_insert(&entry("late", 101, 200)), Ok(()));
    }
}
