//! What goes to one TAK client: [`Outgoing`] events (encoded lazily, once per wire format,
//! and shared by every client that receives them) and control messages, through a bounded
//! [`ClientQueue`] per client.
//!
//! # The queue's policy
//! - The hub pushes without ever waiting; the client's writer takes everything queued at once
//!   and writes it with one system call, so a busy client gets larger, fewer writes.
//! - **Thinning**: an event that describes the state of a uid (a position, a marker, a
//!   shape) replaces the queued, not yet written event of the same uid, in place. A client
//!   that reads slowly therefore gets the newest state of every track, not a backlog.
//! - **Full**: when `capacity` events are queued and the new one replaces none, it is dropped
//!   (counted by the caller). Control messages (pong, negotiation) are never dropped.
//! - **Too slow**: a queue that has been full for the slow-client timeout is closed with
//!   [`CloseReason::Slow`]; its writer stops and the connection is dropped. A snapshot (the
//!   picture sent on connect) may exceed the capacity once.
//! - **Revoked**: the client's user was disabled; what is queued is dropped and the writer
//!   stops at once ([`CloseReason::Revoked`]).
//! - **Closed**: pushes are refused; the writer finishes with the close reason.
//!
//! Nothing here blocks for long: one short mutex section per push and per take.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use liptako_cot::{Event, WireFormat, encode_for_stream};
use liptako_model::{Marked, Marking, Nation};
use tokio::sync::Notify;

/// One event on its way to clients, with the marking that decides who gets it.
#[derive(Debug)]
pub struct Outgoing {
    /// The event, its marking attributes already set from `marking`.
    pub event: Event,
    /// The nation whose node originated what the event shows.
    pub origin: Nation,
    /// The marking the rule judges.
    pub marking: Marking,
    /// The exercise it belongs to; `None` is the real world.
    pub world: Option<String>,
    /// Key of the uid for thinning; 0 for events that never replace one another (chat).
    pub key: u64,
    xml: OnceLock<Bytes>,
    proto: OnceLock<Bytes>,
}

impl Outgoing {
    /// An outgoing event; `thinnable` when a newer event of the same uid makes it obsolete.
    pub fn new(
        event: Event,
        origin: Nation,
        marking: Marking,
        world: Option<String>,
        thinnable: bool,
    ) -> Outgoing {
        let key = if thinnable { uid_key(&event.uid) } else { 0 };
        Outgoing {
            event,
            origin,
            marking,
            world,
            key,
            xml: OnceLock::new(),
            proto: OnceLock::new(),
        }
    }

    /// An outgoing event that replaces queued events of the uid `key` stands for (a deletion
    /// supersedes the queued position of what it deletes).
    pub fn keyed(
        event: Event,
        origin: Nation,
        marking: Marking,
        world: Option<String>,
        key: u64,
    ) -> Outgoing {
        Outgoing {
            event,
            origin,
            marking,
            world,
            key,
            xml: OnceLock::new(),
            proto: OnceLock::new(),
        }
    }

    /// The event as one stream frame in `format`, encoded on first use and then shared.
    pub fn bytes(&self, format: WireFormat) -> &Bytes {
        let cell = match format {
            WireFormat::Xml => &self.xml,
            WireFormat::Protobuf => &self.proto,
        };
        cell.get_or_init(|| Bytes::from(encode_for_stream(&self.event, format)))
    }
}

impl Marked for Outgoing {
    fn origin(&self) -> Nation {
        self.origin
    }
    fn marking(&self) -> &Marking {
        &self.marking
    }
    fn world(&self) -> Option<&str> {
        self.world.as_deref()
    }
}

/// A non-zero key for a uid.
pub fn uid_key(uid: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    uid.hash(&mut hasher);
    hasher.finish().max(1)
}

/// A message the connection itself sends (not routed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// `t-x-takp-v`: the protocol versions offered, sent first.
    ProtocolOffer,
    /// `t-x-takp-r`: the answer to a request; when accepted the connection writes protobuf
    /// from the next message on.
    ProtocolResponse {
        /// Whether protobuf was granted.
        accepted: bool,
    },
    /// `t-x-c-t-r`: the answer to a ping.
    Pong,
    /// No message: the client spoke protobuf without negotiating, so it is answered in
    /// protobuf from here on.
    UseProtobuf,
}

/// One queued item.
#[derive(Debug, Clone)]
pub enum Item {
    /// A routed event.
    Event(Arc<Outgoing>),
    /// A control message.
    Control(Control),
}

/// Why a queue was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The session ended (client gone, shutdown, refused).
    Ended,
    /// The client could not take its events for the slow-client timeout.
    Slow,
    /// The client's user was disabled or removed: nothing more is written, at once.
    Revoked,
}

/// What became of a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Queued.
    Queued,
    /// Replaced the queued event of the same uid.
    Superseded,
    /// The queue was full: dropped.
    Dropped,
    /// The queue was full for too long: it is now closed as slow.
    ClosedSlow,
    /// The queue is closed.
    Closed,
}

/// Hashes that are already hashes.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

#[derive(Default)]
struct State {
    items: Vec<Item>,
    /// uid key -> position in `items`, for thinning.
    by_key: HashMap<u64, usize, BuildHasherDefault<KeyHasher>>,
    full_since: Option<Instant>,
    closed: Option<CloseReason>,
}

/// The bounded queue of one client (see the module docs for the policy).
pub struct ClientQueue {
    state: Mutex<State>,
    ready: Notify,
    capacity: usize,
    slow_timeout: Duration,
}

impl std::fmt::Debug for ClientQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientQueue")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl ClientQueue {
    /// A queue of `capacity` events, closed as slow after `slow_timeout` full.
    pub fn new(capacity: usize, slow_timeout: Duration) -> ClientQueue {
        ClientQueue {
            state: Mutex::new(State::default()),
            ready: Notify::new(),
            capacity: capacity.max(1),
            slow_timeout,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Only this module's short sections hold the lock; none of them can leave the
        // state half-changed, so a poisoned lock is still consistent.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues a routed event under the policy, at `now`.
    pub fn push(&self, event: Arc<Outgoing>, now: Instant) -> Pushed {
        self.push_event(event, now, false)
    }

    /// Queues an event of a snapshot: like [`ClientQueue::push`] but never dropped for want of
    /// room (a snapshot is bounded by the picture).
    pub fn push_snapshot(&self, event: Arc<Outgoing>, now: Instant) -> Pushed {
        self.push_event(event, now, true)
    }

    fn push_event(&self, event: Arc<Outgoing>, now: Instant, unbounded: bool) -> Pushed {
        let mut state = self.lock();
        if state.closed.is_some() {
            return Pushed::Closed;
        }
        if event.key != 0
            && let Some(&position) = state.by_key.get(&event.key)
            && let Some(slot) = state.items.get_mut(position)
        {
            *slot = Item::Event(event);
            return Pushed::Superseded;
        }
        if !unbounded && state.items.len() >= self.capacity {
            let since = *state.full_since.get_or_insert(now);
            if now.saturating_duration_since(since) >= self.slow_timeout {
                state.closed = Some(CloseReason::Slow);
                drop(state);
                self.ready.notify_one();
                return Pushed::ClosedSlow;
            }
            return Pushed::Dropped;
        }
        let was_empty = state.items.is_empty();
        if event.key != 0 {
            let position = state.items.len();
            state.by_key.insert(event.key, position);
        }
        state.items.push(Item::Event(event));
        drop(state);
        if was_empty {
            self.ready.notify_one();
        }
        Pushed::Queued
    }

    /// Queues a control message (never dropped while the queue is open).
    pub fn push_control(&self, control: Control) {
        let mut state = self.lock();
        if state.closed.is_some() {
            return;
        }
        let was_empty = state.items.is_empty();
        state.items.push(Item::Control(control));
        drop(state);
        if was_empty {
            self.ready.notify_one();
        }
    }

    /// Closes the queue; the writer finishes with `reason` once it has taken what is queued
    /// (for [`CloseReason::Ended`]) or at once (for [`CloseReason::Slow`] and
    /// [`CloseReason::Revoked`]; a revoked queue's items are dropped: they were decided for a
    /// principal that no longer holds).
    pub fn close(&self, reason: CloseReason) {
        let mut state = self.lock();
        if state.closed.is_none() {
            state.closed = Some(reason);
        }
        if reason == CloseReason::Revoked {
            state.closed = Some(reason);
            state.items.clear();
            state.by_key.clear();
        }
        drop(state);
        self.ready.notify_one();
    }

    /// Whether the queue is closed, and why.
    pub fn closed(&self) -> Option<CloseReason> {
        self.lock().closed
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.lock().items.len()
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until something is queued, then moves all of it into `out` (which should be
    /// empty). `Err` once the queue is closed: after the remaining items were taken for
    /// [`CloseReason::Ended`], at once for the others.
    pub async fn take(&self, out: &mut Vec<Item>) -> Result<(), CloseReason> {
        loop {
            {
                let mut state = self.lock();
                match state.closed {
                    Some(reason @ (CloseReason::Slow | CloseReason::Revoked)) => {
                        return Err(reason);
                    }
                    Some(reason) if state.items.is_empty() => return Err(reason),
                    _ => {}
                }
                if !state.items.is_empty() {
                    std::mem::swap(out, &mut state.items);
                    state.by_key.clear();
                    state.full_since = None;
                    return Ok(());
                }
            }
            // A notification sent between the check above and this wait is kept as a permit.
            self.ready.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liptako_cot::{CotTime, Point};

    fn event(uid: &str, lat: f64, thinnable: bool) -> Arc<Outgoing> {
        let time = CotTime::from_unix_ms(1_700_000_000_000).unwrap();
        let event = Event {
            uid: uid.into(),
            event_type: "a-f-G".into(),
            how: "m-g".into(),
            time,
            start: time,
            stale: time.plus_ms(60_000),
            point: Point::new(lat, 1.0),
            ..Event::default()
        };
        Arc::new(Outgoing::new(
            event,
            Nation::parse("MLI").unwrap(),
            Marking::new("NP", ["AES"]),
            None,
            thinnable,
        ))
    }

    fn lat_of(item: &Item) -> f64 {
        match item {
            Item::Event(event) => event.event.point.lat_deg,
            Item::Control(_) => f64::NAN,
        }
    }

    #[tokio::test]
    async fn newer_state_of_a_uid_replaces_the_queued_one() {
        let queue = ClientQueue::new(10, Duration::from_secs(10));
        let now = Instant::now();
        assert_eq!(queue.push(event("a", 1.0, true), now), Pushed::Queued);
        assert_eq!(queue.push(event("b", 2.0, true), now), Pushed::Queued);
        assert_eq!(queue.push(event("a", 3.0, true), now), Pushed::Superseded);
        // Messages are never thinned.
        assert_eq!(queue.push(event("c", 4.0, false), now), Pushed::Queued);
        assert_eq!(queue.push(event("c", 5.0, false), now), Pushed::Queued);
        let mut out = Vec::new();
        queue.take(&mut out).await.unwrap();
        let lats: Vec<f64> = out.iter().map(lat_of).collect();
        assert_eq!(lats, [3.0, 2.0, 4.0, 5.0]);
        // After a take, the same uid queues again.
        assert_eq!(queue.push(event("a", 6.0, true), now), Pushed::Queued);
    }

    #[tokio::test]
    async fn full_queue_drops_then_closes_as_slow() {
        let queue = ClientQueue::new(2, Duration::from_secs(5));
        let t0 = Instant::now();
        assert_eq!(queue.push(event("a", 1.0, true), t0), Pushed::Queued);
        assert_eq!(queue.push(event("b", 1.0, true), t0), Pushed::Queued);
        assert_eq!(queue.push(event("c", 1.0, true), t0), Pushed::Dropped);
        // A newer position of a queued uid still gets in while full.
        assert_eq!(queue.push(event("a", 2.0, true), t0), Pushed::Superseded);
        // Controls are never dropped.
        queue.push_control(Control::Pong);
        assert_eq!(queue.len(), 3);
        let later = t0 + Duration::from_secs(6);
        assert_eq!(
            queue.push(event("d", 1.0, false), later),
            Pushed::ClosedSlow
        );
        assert_eq!(queue.closed(), Some(CloseReason::Slow));
        assert_eq!(queue.push(event("e", 1.0, false), later), Pushed::Closed);
        let mut out = Vec::new();
        assert_eq!(queue.take(&mut out).await, Err(CloseReason::Slow));
    }

    #[tokio::test]
    async fn a_take_resets_the_full_clock_and_snapshots_exceed_capacity() {
        let queue = ClientQueue::new(1, Duration::from_secs(5));
        let t0 = Instant::now();
        assert_eq!(
            queue.push_snapshot(event("a", 1.0, true), t0),
            Pushed::Queued
        );
        assert_eq!(
            queue.push_snapshot(event("b", 1.0, true), t0),
            Pushed::Queued
        );
        assert_eq!(queue.push(event("c", 1.0, true), t0), Pushed::Dropped);
        let mut out = Vec::new();
        queue.take(&mut out).await.unwrap();
        assert_eq!(out.len(), 2);
        let later = t0 + Duration::from_secs(6);
        assert_eq!(queue.push(event("c", 1.0, true), later), Pushed::Queued);
    }

    #[tokio::test]
    async fn take_waits_then_ends_after_close() {
        let queue = Arc::new(ClientQueue::new(4, Duration::from_secs(5)));
        let waiter = {
            let queue = queue.clone();
            tokio::spawn(async move {
                let mut out = Vec::new();
                queue.take(&mut out).await.map(|()| out.len())
            })
        };
        tokio::task::yield_now().await;
        queue.push_control(Control::ProtocolOffer);
        assert_eq!(waiter.await.unwrap(), Ok(1));
        queue.push_control(Control::Pong);
        queue.close(CloseReason::Ended);
        let mut out = Vec::new();
        // What was queued before an ordinary close is still delivered.
        assert_eq!(queue.take(&mut out).await, Ok(()));
        out.clear();
        assert_eq!(queue.take(&mut out).await, Err(CloseReason::Ended));
    }

    #[test]
    fn encodings_are_made_once_and_shared() {
        let outgoing = event("a", 1.0, true);
        let first = outgoing.bytes(WireFormat::Xml).clone();
        let second = outgoing.bytes(WireFormat::Xml).clone();
        assert_eq!(first.as_ptr(), second.as_ptr());
        assert!(first.starts_with(b"<?xml"));
        assert_eq!(outgoing.bytes(WireFormat::Protobuf).first(), Some(&0xbf));
    }
}
