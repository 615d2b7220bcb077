//! Login throttling that an attacker can neither race nor turn against the administrator.
//!
//! Three counters of consecutive failures, each with its own answer:
//! - **(user, address)**: past `max_failed`, that pair is locked out for `lockout`, doubling with
//!   each further failure (at most an hour). This is what stops guessing one account from one
//!   place, and it locks nobody else out.
//! - **address**: past `4 × max_failed` failures across any user names, the address is locked
//!   out the same way (a password sprayer), whoever it tries next.
//! - **user, from anywhere**: past `4 × max_failed` failures, the account is *slowed*, never
//!   locked: at most one attempt per [`USER_SLOW_INTERVAL`] (doubling, at most
//!   [`USER_SLOW_MAX`]), except from an address the user logged in from before, which is never
//!   slowed. So five failures from any address cannot lock the administrator out, and a botnet
//!   spraying one account cannot deny its owner the login.
//!
//! Attempts are counted **before** the password is hashed ([`Throttle::begin`] reserves the
//! attempt; its [`Attempt`] records the result), so concurrent guesses from one place cannot
//! all get through: once `max_failed` are in flight or have failed, the next is refused without
//! hashing. Memory is bounded: at most [`MAX_ENTRIES`] entries of each kind; past it, entries
//! not locked are dropped first.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The longest lock-out.
pub const MAX_LOCKOUT: Duration = Duration::from_secs(3600);
/// First interval between two attempts on a slowed account.
pub const USER_SLOW_INTERVAL: Duration = Duration::from_secs(2);
/// Longest interval between two attempts on a slowed account.
pub const USER_SLOW_MAX: Duration = Duration::from_secs(60);
/// Most entries per kind of counter.
pub const MAX_ENTRIES: usize = 50_000;
/// Addresses remembered per user as known good (a login succeeded from them).
const KNOWN_PER_USER: usize = 16;

#[derive(Debug, Clone, Copy, Default)]
struct Failures {
    /// Consecutive failures.
    count: u32,
    /// Attempts reserved and not yet recorded.
    in_flight: u32,
    /// Locked (or slowed) until then.
    until: Option<Instant>,
}

impl Failures {
    fn wait(&self, now: Instant) -> Option<Duration> {
        self.until
            .and_then(|until| until.checked_duration_since(now))
            .filter(|wait| !wait.is_zero())
    }
}

#[derive(Default)]
struct State {
    pairs: HashMap<(String, Option<IpAddr>), Failures>,
    addresses: HashMap<Option<IpAddr>, Failures>,
    users: HashMap<String, Failures>,
    /// Addresses each user logged in from.
    known: HashMap<String, HashSet<Option<IpAddr>>>,
}

/// Throttling of password logins, shared by every door.
pub struct Throttle {
    max_failed: u32,
    lockout: Duration,
    state: Mutex<State>,
}

/// A login attempt that passed the throttle: record its result.
#[must_use = "record the result with `succeeded` or `failed`"]
pub struct Attempt<'a> {
    throttle: &'a Throttle,
    user: String,
    addr: Option<IpAddr>,
    begun: Instant,
    done: bool,
}

impl Throttle {
    /// A throttle locking a (user, address) pair after `max_failed` consecutive failures for
    /// `lockout` (doubling).
    pub fn new(max_failed: u32, lockout: Duration) -> Throttle {
        Throttle {
            max_failed: max_failed.max(1),
            lockout,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Counters only: a panic elsewhere cannot leave them inconsistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reserves an attempt for `user` from `addr` at `now`, or says how long to wait.
    pub fn begin(
        &self,
        user: &str,
        addr: Option<IpAddr>,
        now: Instant,
    ) -> Result<Attempt<'_>, Duration> {
        let mut state = self.lock();
        let pair_key = (user.to_owned(), addr);
        let pair = state.pairs.get(&pair_key).copied().unwrap_or_default();
        let address = state.addresses.get(&addr).copied().unwrap_or_default();
        let known = state
            .known
            .get(user)
            .is_some_and(|addresses| addresses.contains(&addr));
        let account = state.users.get(user).copied().unwrap_or_default();
        let mut wait = [pair.wait(now), address.wait(now)]
            .into_iter()
            .flatten()
            .max();
        if !known {
            wait = wait.max(account.wait(now));
        }
        // Attempts in flight count as failures until they are known not to be: concurrent
        // guesses cannot slip past the limit while the first ones are being hashed. Past a
        // lock-out, one attempt at a time.
        let budget = |count: u32, threshold: u32| threshold.saturating_sub(count).max(1);
        if wait.is_none()
            && (pair.in_flight >= budget(pair.count, self.max_failed)
                || address.in_flight >= budget(address.count, 4 * self.max_failed))
        {
            wait = Some(self.lockout.max(Duration::from_secs(1)));
        }
        if let Some(wait) = wait {
            return Err(wait);
        }
        sweep(&mut state, now);
        state.pairs.entry(pair_key).or_default().in_flight += 1;
        state.addresses.entry(addr).or_default().in_flight += 1;
        if !known {
            // A slowed account takes one attempt per interval, from anywhere unknown.
            let interval = slow_interval(account.count, self.max_failed);
            if let Some(interval) = interval {
                state.users.entry(user.to_owned()).or_default().until = Some(now + interval);
            }
        }
        Ok(Attempt {
            throttle: self,
            user: user.to_owned(),
            addr,
            begun: now,
            done: false,
        })
    }

    fn release(&self, state: &mut State, user: &str, addr: Option<IpAddr>) {
        if let Some(pair) = state.pairs.get_mut(&(user.to_owned(), addr)) {
            pair.in_flight = pair.in_flight.saturating_sub(1);
        }
        if let Some(address) = state.addresses.get_mut(&addr) {
            address.in_flight = address.in_flight.saturating_sub(1);
        }
    }

    fn finish(&self, user: &str, addr: Option<IpAddr>, now: Instant, ok: bool) {
        let mut state = self.lock();
        self.release(&mut state, user, addr);
        let pair_key = (user.to_owned(), addr);
        if ok {
            state.pairs.remove(&pair_key);
            state.addresses.remove(&addr);
            state.users.remove(user);
            let known = state.known.entry(user.to_owned()).or_default();
            if known.len() >= KNOWN_PER_USER {
                known.clear();
            }
            known.insert(addr);
            return;
        }
        let (max_failed, lockout) = (self.max_failed, self.lockout);
        let lock = |failures: &mut Failures, threshold: u32| {
            failures.count = failures.count.saturating_add(1);
            if failures.count >= threshold {
                let doublings = (failures.count - threshold).min(16);
                let wait = lockout.saturating_mul(1 << doublings).min(MAX_LOCKOUT);
                failures.until = Some(now + wait);
            }
        };
        lock(state.pairs.entry(pair_key).or_default(), max_failed);
        lock(state.addresses.entry(addr).or_default(), 4 * max_failed);
        let account = state.users.entry(user.to_owned()).or_default();
        account.count = account.count.saturating_add(1);
    }
}

/// The interval a slowed account waits between attempts, if it is slowed.
fn slow_interval(failures: u32, max_failed: u32) -> Option<Duration> {
    let threshold = 4 * max_failed;
    (failures >= threshold).then(|| {
        let doublings = ((failures - threshold) / max_failed).min(8);
        USER_SLOW_INTERVAL
            .saturating_mul(1 << doublings)
            .min(USER_SLOW_MAX)
    })
}

/// Keeps each map under [`MAX_ENTRIES`]: drops entries that lock nothing and have nothing in
/// flight, then (a flood of distinct names or addresses) the oldest locks.
fn sweep(state: &mut State, now: Instant) {
    fn bound<K: Clone + std::hash::Hash + Eq>(map: &mut HashMap<K, Failures>, now: Instant) {
        if map.len() < MAX_ENTRIES {
            return;
        }
        map.retain(|_, failures| failures.in_flight > 0 || failures.wait(now).is_some());
        if map.len() >= MAX_ENTRIES {
            let mut by_expiry: Vec<(K, Option<Instant>)> = map
                .iter()
                .filter(|(_, failures)| failures.in_flight == 0)
                .map(|(key, failures)| (key.clone(), failures.until))
                .collect();
            by_expiry.sort_by_key(|(_, until)| *until);
            for (key, _) in by_expiry.into_iter().take(MAX_ENTRIES / 4) {
                map.remove(&key);
            }
        }
    }
    bound(&mut state.pairs, now);
    bound(&mut state.addresses, now);
    bound(&mut state.users, now);
    if state.known.len() >= MAX_ENTRIES {
        state.known.clear();
    }
}

impl Attempt<'_> {
    /// The password matched.
    pub fn succeeded(mut self, now: Instant) {
        self.done = true;
        self.throttle.finish(&self.user, self.addr, now, true);
    }

    /// The password did not match (or the user is unknown or disabled).
    pub fn failed(mut self, now: Instant) {
        self.done = true;
        self.throttle.finish(&self.user, self.addr, now, false);
    }

    /// The attempt was turned away before the password was checked (the node was busy): it
    /// frees its reservation and counts neither way.
    pub fn released(mut self) {
        self.done = true;
        let mut state = self.throttle.lock();
        self.throttle.release(&mut state, &self.user, self.addr);
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        // An attempt abandoned (the request was cancelled) frees its reservation and counts as
        // a failure: cancelling must not be a way around the limit.
        if !self.done {
            self.throttle
                .finish(&self.user, self.addr, self.begun, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(last: u8) -> Option<IpAddr> {
        Some([10, 0, 0, last].into())
    }

    #[test]
    fn a_pair_locks_after_max_failed_and_doubles() {
        let throttle = Throttle::new(3, Duration::from_secs(10));
        let t0 = Instant::now();
        for _ in 0..3 {
            throttle.begin("awa", addr(1), t0).unwrap().failed(t0);
        }
        assert_eq!(
            throttle.begin("awa", addr(1), t0).err(),
            Some(Duration::from_secs(10))
        );
        // Another address, or another user from this address, is not locked.
        assert!(throttle.begin("awa", addr(2), t0).is_ok_and(|a| {
            a.succeeded(t0);
            true
        }));
        let later = t0 + Duration::from_secs(11);
        throttle.begin("awa", addr(1), later).unwrap().failed(later);
        assert_eq!(
            throttle.begin("awa", addr(1), later).err(),
            Some(Duration::from_secs(20))
        );
    }

    #[test]
    fn concurrent_guesses_cannot_race_the_limit() {
        let throttle = Throttle::new(5, Duration::from_secs(30));
        let t0 = Instant::now();
        let in_flight: Vec<_> = (0..40)
            .filter_map(|_| throttle.begin("admin", addr(9), t0).ok())
            .collect();
        assert_eq!(
            in_flight.len(),
            5,
            "only max_failed attempts may be hashed at once"
        );
        for attempt in in_flight {
            attempt.failed(t0);
        }
    }

    #[test]
    fn nobody_can_lock_the_administrator_out() {
        let throttle = Throttle::new(5, Duration::from_secs(30));
        let t0 = Instant::now();
        throttle.begin("admin", addr(1), t0).unwrap().succeeded(t0);
        // A hundred failures from many addresses.
        for n in 0..100u8 {
            if let Ok(attempt) = throttle.begin("admin", addr(100 + n), t0) {
                attempt.failed(t0);
            }
        }
        // The administrator's own address is never slowed or locked by others' failures.
        assert!(throttle.begin("admin", addr(1), t0).is_ok());
        // An unknown address is slowed, not locked: it gets an attempt after the interval.
        let later = t0 + USER_SLOW_MAX + Duration::from_secs(1);
        assert!(throttle.begin("admin", addr(250), later).is_ok());
    }

    #[test]
    fn a_sprayer_address_is_locked_whatever_the_name() {
        let throttle = Throttle::new(5, Duration::from_secs(30));
        let t0 = Instant::now();
        for n in 0..20 {
            throttle
                .begin(&format!("user{n}"), addr(7), t0)
                .unwrap()
                .failed(t0);
        }
        assert!(throttle.begin("someone-else", addr(7), t0).is_err());
        assert!(throttle.begin("someone-else", addr(8), t0).is_ok());
    }

    #[test]
    fn a_dropped_attempt_counts_and_frees_its_slot() {
        let throttle = Throttle::new(2, Duration::from_secs(30));
        let t0 = Instant::now();
        drop(throttle.begin("awa", addr(1), t0).unwrap());
        drop(throttle.begin("awa", addr(1), t0).unwrap());
        assert!(throttle.begin("awa", addr(1), t0).is_err());
    }

    #[test]
    fn memory_stays_bounded_under_a_flood_of_names() {
        let throttle = Throttle::new(5, Duration::from_secs(30));
        let t0 = Instant::now();
        for n in 0..(MAX_ENTRIES + 1000) {
            let name = format!("u{n}");
            let last = addr((n % 200) as u8);
            if let Ok(attempt) = throttle.begin(&name, last, t0) {
                attempt.failed(t0);
            }
        }
        let state = throttle.lock();
        assert!(state.pairs.len() <= MAX_ENTRIES);
        assert!(state.users.len() <= MAX_ENTRIES);
    }
}
