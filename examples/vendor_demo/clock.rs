//! The vendor's clock: the system clock plus an offset that `--test-hooks` can move forward
//! (`POST /__test/clock/advance?secs=N`). The sessions and the launch verification read it.

use std::sync::atomic::{AtomicI64, Ordering};

use cv_portal_plugin::{Clock, SystemClock};

/// The system clock, shifted by an offset in seconds.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset: AtomicI64,
}

impl OffsetClock {
    /// Moves the clock forward by `seconds` (saturating).
    pub fn advance(&self, seconds: i64) {
        let _ = self
            .offset
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |offset| {
                Some(offset.saturating_add(seconds))
            });
    }

    /// The current offset, in seconds.
    pub fn offset(&self) -> i64 {
        self.offset.load(Ordering::SeqCst)
    }
}

impl Clock for OffsetClock {
    fn now_unix(&self) -> i64 {
        SystemClock.now_unix().saturating_add(self.offset())
    }
}
