//! [`Clock`]: the node's one source of time. Nothing in the node reads the system clock except
//! through it, so that a test (or a replay) can fix time and step it, and the code that decides
//! releases, recalls, expiries and lock-outs can be driven without waiting.
//!
//! Two readings: [`Clock::now`] (wall time, UTC: what objects, tokens and audit records carry)
//! and [`Clock::instant`] (monotonic: durations, lock-outs, rates). A fixed clock moves both
//! together when stepped.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

/// The node's clock: the system's, or a fixed one that tests step. Cheap to clone; clones share
/// the same time.
#[derive(Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

enum Inner {
    System,
    Fixed(Mutex<Fixed>),
}

struct Fixed {
    wall: OffsetDateTime,
    /// The monotonic reading is this base plus how far the clock was stepped.
    base: Instant,
    stepped: Duration,
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.inner {
            Inner::System => f.write_str("Clock::System"),
            Inner::Fixed(_) => write!(f, "Clock::Fixed({})", self.now()),
        }
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock {
            inner: Arc::new(Inner::System),
        }
    }

    /// A clock that stands at `at` until stepped.
    pub fn fixed(at: OffsetDateTime) -> Clock {
        Clock {
            inner: Arc::new(Inner::Fixed(Mutex::new(Fixed {
                wall: at,
                base: Instant::now(),
                stepped: Duration::ZERO,
            }))),
        }
    }

    /// Wall time, UTC.
    pub fn now(&self) -> OffsetDateTime {
        match &*self.inner {
            // The one read of the system's wall clock in the node.
            Inner::System => OffsetDateTime::now_utc(),
            Inner::Fixed(fixed) => fixed.lock().unwrap_or_else(PoisonError::into_inner).wall,
        }
    }

    /// Wall time as Unix seconds (the air picture's time scale).
    pub fn unix_s(&self) -> f64 {
        let now = self.now();
        now.unix_timestamp() as f64 + f64::from(now.nanosecond()) * 1e-9
    }

    /// Monotonic time, for durations and deadlines.
    pub fn instant(&self) -> Instant {
        match &*self.inner {
            Inner::System => Instant::now(),
            Inner::Fixed(fixed) => {
                let fixed = fixed.lock().unwrap_or_else(PoisonError::into_inner);
                fixed.base + fixed.stepped
            }
        }
    }

    /// Moves a fixed clock forward by `by` (both readings). Does nothing to the system clock.
    pub fn advance(&self, by: Duration) {
        if let Inner::Fixed(fixed) = &*self.inner {
            let mut fixed = fixed.lock().unwrap_or_else(PoisonError::into_inner);
            fixed.wall += by;
            fixed.stepped += by;
        }
    }

    /// Whether this is a fixed (test or replay) clock.
    pub fn is_fixed(&self) -> bool {
        matches!(&*self.inner, Inner::Fixed(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_moves_only_when_stepped() {
        let start = time::macros::datetime!(2026-12-06 18:00 UTC);
        let clock = Clock::fixed(start);
        let mono = clock.instant();
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now(), start + Duration::from_secs(90));
        assert_eq!(clock.instant() - mono, Duration::from_secs(90));
        // Clones share the time.
        let other = clock.clone();
        other.advance(Duration::from_secs(10));
        assert_eq!(clock.now(), start + Duration::from_secs(100));
    }
}
