//! [`Bus`]: how the node's features talk to each other without importing each other.
//!
//! Features publish to and subscribe from topics of the core's bus, never call each other:
//!
//! | topic | publisher | subscribers | when a subscriber lags |
//! |---|---|---|---|
//! | [`Bus::changes`] committed versions and recalls ([`LiveChange`]) | the store's commit hook | live feed, TAK, air zones, alerts | told `Lagged(n)`: it resynchronises from the store |
//! | [`Bus::log_ticks`] "a log grew" | the commit hook | federation senders | only the latest tick is kept |
//! | [`Bus::users`] a user account changed | the commit hook | every door holding a session | told `Lagged`: re-reads every session's user |
//! | [`Bus::air`] the latest air picture and its updates | air | live feed, air API | told `Lagged`: sent the whole picture |
//! | [`Bus::publications`] tracks for map clients | air | TAK | latest per uid replaces an untaken one |
//!
//! Every queue is bounded and says what happens when it is full: a broadcast drops the oldest
//! entry for the subscriber that is behind (never blocks the publisher or the others), and the
//! subscriber is told how much it missed. Nothing on the bus is a decision: subscribers decide
//! access for each reader when data leaves, with `Policy::allows`, on the version they hold, so
//! no subscriber keeps a decision that a later version could change.
//!
//! This is the in-process implementation. A second process (NATS JetStream, scale-out) carries
//! the same topics between processes behind the same methods; no feature changes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use liptako_model::{Meta, Object};
use tokio::sync::{Notify, broadcast, watch};

use crate::picture::{AirHub, AirTrack};

/// Users changes a lagging session holder may miss before it re-reads them all.
const USERS_QUEUE: usize = 256;

/// One committed change, as the bus carries it.
#[derive(Debug)]
pub enum LiveChange {
    /// A new version.
    Version {
        /// The new version.
        object: Arc<Object>,
        /// The envelope of the version it replaced.
        previous: Option<Meta>,
        /// The new version's JSON, as stored.
        payload: Arc<[u8]>,
    },
    /// A partner recalled an object: this node no longer holds it.
    Recall {
        /// The version that was held, if any.
        previous: Option<Arc<Object>>,
    },
}

/// The node's bus. Cheap to share (`&Bus` from the node).
pub struct Bus {
    changes: broadcast::Sender<Arc<LiveChange>>,
    log_ticks: watch::Sender<u64>,
    users: broadcast::Sender<Arc<str>>,
    air: AirHub,
    joint_air: crate::picture::JointAir,
    publications: Publications,
}

impl Bus {
    /// A bus whose change topic holds `changes_capacity` changes for a lagging subscriber.
    pub fn new(changes_capacity: usize, nation: liptako_model::Nation) -> Bus {
        let (changes, _) = broadcast::channel(changes_capacity.max(16));
        let (log_ticks, _) = watch::channel(0u64);
        let (users, _) = broadcast::channel(USERS_QUEUE);
        Bus {
            changes,
            log_ticks,
            users,
            air: AirHub::new(nation),
            joint_air: crate::picture::JointAir::default(),
            publications: Publications::default(),
        }
    }

    /// A subscription to committed changes, in commit order.
    pub fn changes(&self) -> broadcast::Receiver<Arc<LiveChange>> {
        self.changes.subscribe()
    }

    /// Publishes committed changes (the store's commit hook does, in commit order). Never
    /// blocks.
    pub fn publish_changes(&self, changes: impl IntoIterator<Item = LiveChange>) {
        self.log_ticks
            .send_modify(|tick| *tick = tick.wrapping_add(1));
        for change in changes {
            // No subscriber is not an error.
            let _ = self.changes.send(Arc::new(change));
        }
    }

    /// Changes whenever a log grows (federation senders wait on it).
    pub fn log_ticks(&self) -> watch::Receiver<u64> {
        self.log_ticks.subscribe()
    }

    /// A subscription to user account changes (the user's name).
    pub fn users(&self) -> broadcast::Receiver<Arc<str>> {
        self.users.subscribe()
    }

    /// Tells every session holder that `name`'s account changed (disabled, demoted, new
    /// password): they decide again at once.
    pub fn publish_user(&self, name: &str) {
        let _ = self.users.send(Arc::from(name));
    }

    /// The air picture topic.
    pub fn air(&self) -> &AirHub {
        &self.air
    }

    /// The joint air picture's exchange between the air picture and federation.
    pub fn joint_air(&self) -> &crate::picture::JointAir {
        &self.joint_air
    }

    /// The topic of tracks for map clients (TAK).
    pub fn publications(&self) -> &Publications {
        &self.publications
    }
}

/// What the air picture publishes for map clients (TAK). Publishing never blocks: per uid the
/// latest publication replaces one not yet taken, and nothing is kept while no map client
/// server takes them (see [`Publications::activate`]).
#[derive(Default)]
pub struct Publications {
    active: AtomicBool,
    pending: Mutex<HashMap<String, Publication>>,
    ready: Notify,
}

/// One publication for map clients.
#[derive(Debug, Clone, PartialEq)]
pub enum Publication {
    /// A new state of an air track.
    Track(Box<AirTrack>),
    /// The track is gone (dropped by the tracker): clients that saw it remove it.
    Withdraw {
        /// The track's uid.
        uid: String,
    },
}

impl std::fmt::Debug for Publications {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publications")
            .field("active", &self.is_active())
            .finish_non_exhaustive()
    }
}

impl Publications {
    /// Whether a subscriber takes publications (a TAK listener runs).
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    /// The subscriber says it takes publications from now on.
    pub fn activate(&self) {
        self.active.store(true, Ordering::Release);
    }

    /// Publishes an air track's new state; it replaces a state of the same uid not yet taken.
    pub fn publish_air(&self, track: AirTrack) {
        let uid = track.uid.clone();
        self.publish(uid, Publication::Track(Box::new(track)));
    }

    /// Withdraws an air track: clients that saw it remove it.
    pub fn withdraw_air(&self, uid: &str) {
        self.publish(
            uid.to_owned(),
            Publication::Withdraw {
                uid: uid.to_owned(),
            },
        );
    }

    fn publish(&self, uid: String, publication: Publication) {
        if !self.is_active() {
            return;
        }
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(uid, publication);
        self.ready.notify_one();
    }

    /// Resolves when publications are waiting.
    pub async fn ready(&self) {
        self.ready.notified().await;
    }

    /// Takes every waiting publication.
    pub fn take(&self) -> Vec<Publication> {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain()
            .map(|(_, publication)| publication)
            .collect()
    }
}
