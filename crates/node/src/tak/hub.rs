//! The routing hub: one task that knows every connected TAK client and the current picture,
//! and decides, with the marking rule, who gets each event.
//!
//! Inputs, all handled by the one hub task (so routing needs no lock):
//! - events from client sessions ([`HubMsg`]), already decoded and marked by the session;
//! - the node's live feed (`Node::subscribe`): every committed report, unit and zone, from the
//!   API or from partner nodes, becomes CoT; a change that takes an object out of a client's
//!   sight, a deletion or a recall becomes a `t-x-d-d` for the clients that could see it;
//! - publications from the rest of the node on the bus ([`crate::bus::Publications`]: air
//!   tracks).
//!
//! Routing: an event goes to every other client in the same world (real world, or one
//! exercise) for which `Policy::may_see(client principal, event)` holds, and nothing else
//! decides; a directed event (`<marti><dest>`) goes only to the clients it names, still under
//! the rule. Each client gets its events through its own bounded queue (see `queue.rs`), so a
//! slow client is thinned or dropped and never delays the hub or the others.
//!
//! The picture: the latest event of every uid that describes something on the map (positions,
//! markers, shapes, the node's objects, air tracks), until it goes stale. A client that
//! connects gets the part of it that it may see.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use liptako_cot::Event;
use liptako_cot::chat::{ALL_CHAT_ROOMS, GeoChat};
use liptako_model::{
    Audience, Body, Draft, Expect, Marking, Meta, Object, Principal, Transition, Unit,
};
use liptako_store::Query;
use time::OffsetDateTime;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;

use super::convert::{
    DELETE_TYPE, air_track_event, cot_marking, cot_time, deleted_uids, deletion_event, distance_m,
    is_self_report, is_tak_unit_id, is_unit_report, object_event, offset_time, tak_unit_id,
    unit_from_event,
};
use super::metrics::{ListenerKind, Refused, TakMetrics};
use super::queue::{ClientQueue, CloseReason, Outgoing, Pushed, uid_key};
use super::recorder::Recorder;
use crate::bus::{LiveChange, Publication};
use crate::config::cot::Settings;
use crate::state::Node;

/// Messages the hub takes from the inbox in one round before it looks at its other inputs.
const MAX_ROUND: usize = 1_024;
/// How often stale entries leave the picture.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);
/// Unit thinning state is forgotten for units not reported for this long.
const UNIT_MEMORY: Duration = Duration::from_secs(3600);
/// Page size when loading the picture from the store.
const LOAD_PAGE: usize = 1_000;
/// Most entries in the picture; past it, clients' new uids are routed but not kept.
pub const MAX_PICTURE: usize = 200_000;
/// Most live uids one principal keeps in the picture (and stores as units).
pub const MAX_PER_AUTHOR: usize = 10_000;

/// A session as the hub knows it.
#[derive(Debug)]
pub struct SessionInfo {
    /// Unique for the node's lifetime.
    pub id: u64,
    /// Where it connected.
    pub listener: ListenerKind,
    /// Who it is.
    pub principal: Principal,
    /// Its outgoing queue.
    pub queue: Arc<ClientQueue>,
}

/// What sessions tell the hub.
#[derive(Debug)]
pub enum HubMsg {
    /// A client connected: it gets the picture it may see.
    Connect(SessionInfo),
    /// A client is gone.
    Disconnect {
        /// The session.
        id: u64,
    },
    /// The client logged in (`<auth>`): it is now this principal.
    Principal {
        /// The session.
        id: u64,
        /// Its new principal.
        principal: Principal,
    },
    /// The client named itself in `<auth>`.
    Identify {
        /// The session.
        id: u64,
        /// Its device uid.
        uid: Option<String>,
        /// Its callsign.
        callsign: Option<String>,
    },
    /// An event from a client, checked and marked by its session.
    Event(Box<Inbound>),
}

/// An event from a client.
#[derive(Debug)]
pub struct Inbound {
    /// The sending session.
    pub from: u64,
    /// Who sent it (owner of the uids it writes).
    pub author: String,
    /// The event.
    pub event: Event,
    /// Its marking, checked against the sender's clearance.
    pub marking: Marking,
    /// Its exercise; `None` is the real world.
    pub world: Option<String>,
}

struct Session {
    id: u64,
    principal: Principal,
    queue: Arc<ClientQueue>,
    /// The device uid, from its own position report or `<auth>`.
    uid: Option<String>,
    /// Its callsign, for directed messages.
    callsign: Option<String>,
    /// The world it is in: the exercise of its own position report.
    world: Option<String>,
}

impl Session {
    /// The client as the access decision sees it: its principal, in its world.
    fn audience(&self) -> Audience<'_> {
        Audience::reader(&self.principal, self.world.as_deref())
    }
}

/// Who wrote a picture entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Author {
    /// A client principal.
    Client(String),
    /// The node (objects, air tracks).
    Node,
}

struct Entry {
    author: Author,
    outgoing: Arc<Outgoing>,
    /// For objects: to rebuild the event when its `stale` comes near.
    object: Option<Arc<Object>>,
    /// When it leaves the picture (`None`: when deleted).
    expires: Option<OffsetDateTime>,
}

/// The last stored version of a TAK-reported unit, for thinning.
struct UnitMark {
    at: Instant,
    unit: Unit,
    marking: Marking,
    world: Option<String>,
}

/// The hub task's state.
pub struct Hub {
    node: Arc<Node>,
    settings: Arc<Settings>,
    metrics: TakMetrics,
    sessions: Vec<Session>,
    picture: HashMap<String, Entry>,
    /// Live client entries per author (principal name).
    per_author: HashMap<String, usize>,
    units: HashMap<Uuid, UnitMark>,
    recorder: Arc<Recorder>,
}

impl Hub {
    /// A hub over `node`.
    pub fn new(
        node: Arc<Node>,
        settings: Arc<Settings>,
        metrics: TakMetrics,
        recorder: Arc<Recorder>,
    ) -> Hub {
        Hub {
            node,
            settings,
            metrics,
            sessions: Vec::new(),
            picture: HashMap::new(),
            per_author: HashMap::new(),
            units: HashMap::new(),
            recorder,
        }
    }

    /// Loads what the store holds for the picture: every valid unit with a position that is
    /// not a TAK report of this node (those come back with their device), zones, and
    /// reports changed within `report_max_age`. Real world only: exercises' objects join as
    /// they change.
    pub async fn load(&mut self) -> anyhow::Result<()> {
        let now = self.node.now();
        for object_type in liptako_model::ObjectType::ALL {
            let mut cursor = None;
            loop {
                let mut query = Query::all(object_type, LOAD_PAGE);
                query.valid_at = Some(now);
                query.cursor = cursor;
                if object_type == liptako_model::ObjectType::Report {
                    query.since = Some(now - self.settings.report_max_age);
                }
                // Everything is loaded; every exit to a client asks the marking rule.
                let page = self
                    .node
                    .with_store(move |store| store.scan(&query, &mut |_| true))
                    .await?;
                for object in page.objects {
                    self.object_entry(Arc::new(object), now);
                }
                cursor = page.next_cursor;
                if cursor.is_none() {
                    break;
                }
            }
        }
        self.metrics.picture_objects.set(self.picture.len() as i64);
        Ok(())
    }

    /// Runs until the node shuts down.
    pub async fn run(
        mut self,
        mut inbox: mpsc::Receiver<HubMsg>,
        mut live: broadcast::Receiver<Arc<LiveChange>>,
    ) {
        let mut shutdown = self.node.shutdown_signal();
        let mut sweep = tokio::time::interval(SWEEP_INTERVAL);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let node = self.node.clone();
        let publications = node.bus().publications();
        loop {
            tokio::select! {
                message = inbox.recv() => {
                    let Some(message) = message else { break };
                    self.handle_message(message);
                    for _ in 1..MAX_ROUND {
                        match inbox.try_recv() {
                            Ok(message) => self.handle_message(message),
                            Err(_) => break,
                        }
                    }
                }
                change = live.recv() => match change {
                    Ok(change) => self.handle_live(&change),
                    Err(RecvError::Lagged(missed)) => {
                        self.metrics.live_lagged.inc();
                        tracing::warn!(missed, "TAK hub fell behind the live feed; reloading its picture");
                        self.picture.retain(|_, entry| entry.object.is_none());
                        if let Err(err) = self.load().await {
                            tracing::error!(cause = %err, "TAK hub cannot reload its picture");
                        }
                    }
                    Err(RecvError::Closed) => break,
                },
                _ = publications.ready() => {
                    for publication in publications.take() {
                        self.handle_publication(publication);
                    }
                }
                _ = sweep.tick() => self.sweep(),
                _ = shutdown.changed() => break,
            }
        }
        for session in &self.sessions {
            session.queue.close(CloseReason::Ended);
        }
    }

    /// Puts an entry in the picture, keeping the per-author counts; returns the one replaced.
    fn put(&mut self, uid: String, entry: Entry) -> Option<Entry> {
        if let Author::Client(author) = &entry.author {
            *self.per_author.entry(author.clone()).or_default() += 1;
        }
        let replaced = self.picture.insert(uid, entry);
        if let Some(old) = &replaced {
            self.forget(old);
        }
        replaced
    }

    /// Takes an entry out of the picture, keeping the per-author counts.
    fn take(&mut self, uid: &str) -> Option<Entry> {
        let removed = self.picture.remove(uid);
        if let Some(old) = &removed {
            self.forget(old);
        }
        removed
    }

    fn forget(&mut self, entry: &Entry) {
        if let Author::Client(author) = &entry.author
            && let Some(count) = self.per_author.get_mut(author)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.per_author.remove(author);
            }
        }
    }

    /// Whether a new uid of `author` may join the picture (its bounds: [`MAX_PICTURE`] in all,
    /// [`MAX_PER_AUTHOR`] per principal, so that no client can fill the node's memory).
    fn admits(&self, author: &str) -> bool {
        self.picture.len() < MAX_PICTURE
            && self.per_author.get(author).copied().unwrap_or(0) < MAX_PER_AUTHOR
    }

    fn index(&self, id: u64) -> Option<usize> {
        self.sessions.iter().position(|session| session.id == id)
    }

    fn handle_message(&mut self, message: HubMsg) {
        match message {
            HubMsg::Connect(info) => {
                self.sessions.push(Session {
                    id: info.id,
                    principal: info.principal,
                    queue: info.queue,
                    uid: None,
                    callsign: None,
                    world: None,
                });
                if let Some(idx) = self.index(info.id) {
                    self.send_snapshot(idx);
                }
            }
            HubMsg::Disconnect { id } => {
                if let Some(idx) = self.index(id) {
                    self.sessions.swap_remove(idx);
                }
            }
            HubMsg::Principal { id, principal } => {
                if let Some(idx) = self.index(id)
                    && let Some(session) = self.sessions.get_mut(idx)
                {
                    session.principal = principal;
                    self.send_snapshot(idx);
                }
            }
            HubMsg::Identify { id, uid, callsign } => {
                if let Some(idx) = self.index(id)
                    && let Some(session) = self.sessions.get_mut(idx)
                {
                    session.uid = uid.or(session.uid.take());
                    session.callsign = callsign.or(session.callsign.take());
                }
            }
            HubMsg::Event(inbound) => self.handle_event(*inbound),
        }
    }

    /// Sends the session at `idx` the picture it may see in its world.
    fn send_snapshot(&mut self, idx: usize) {
        let now = self.node.now();
        let stale = self.settings.object_stale;
        let Some(session) = self.sessions.get(idx) else {
            return;
        };
        let policy = self.node.policy();
        let clock = self.node.clock().instant();
        for entry in self.picture.values_mut() {
            if entry.expires.is_some_and(|expires| expires <= now)
                || !policy.allows(session.audience(), entry.outgoing.as_ref())
            {
                continue;
            }
            // An object's event is rebuilt when half its stale time has passed.
            if let Some(object) = &entry.object
                && offset_time(entry.outgoing.event.stale) < now + stale / 2
                && let Some(event) = object_event(object, now, stale)
            {
                entry.outgoing = Arc::new(Outgoing::new(
                    event,
                    object.meta.origin,
                    object.meta.marking.clone(),
                    object.meta.exercise.clone(),
                    true,
                ));
            }
            if session.queue.push_snapshot(entry.outgoing.clone(), clock) == Pushed::Closed {
                return;
            }
        }
    }

    /// Routes `outgoing` to every session in its world that `accept`s and may see it, except
    /// `except`. Returns how many sessions it was queued for.
    fn route(
        &self,
        outgoing: &Arc<Outgoing>,
        except: Option<u64>,
        accept: impl Fn(&Session) -> bool,
    ) -> usize {
        let policy = self.node.policy();
        let now = self.node.clock().instant();
        let mut n_routed = 0;
        for session in &self.sessions {
            if Some(session.id) == except
                || !accept(session)
                || !policy.allows(session.audience(), outgoing.as_ref())
            {
                continue;
            }
            n_routed += 1;
            match session.queue.push(outgoing.clone(), now) {
                Pushed::Queued | Pushed::Closed => {}
                Pushed::Superseded => self.metrics.superseded.inc(),
                Pushed::Dropped => self.metrics.dropped.inc(),
                Pushed::ClosedSlow => {
                    self.metrics.dropped.inc();
                    tracing::warn!(
                        session = session.id,
                        principal = %session.principal.name,
                        "TAK client too slow: disconnecting"
                    );
                }
            }
        }
        n_routed
    }

    fn handle_event(&mut self, inbound: Inbound) {
        let Inbound {
            from,
            author,
            mut event,
            marking,
            world,
        } = inbound;
        let nation = self.node.nation();
        let now = self.node.now();
        // The marking the rule judges travels in the event, so receivers see it too.
        let opex = event.marking.opex.take();
        let caveat = event.marking.caveat.take();
        event.marking = cot_marking(&marking, nation, world.as_deref());
        event.marking.caveat = caveat;
        if world.is_some() {
            event.marking.opex = opex;
        }

        if event.event_type == DELETE_TYPE {
            self.client_deletion(from, &author, event, marking, world, now);
            return;
        }
        if event.is_geochat() || event.is_directed() {
            self.route_message(from, event, marking, world);
            return;
        }
        let uid = event.uid.clone();
        if let Some(entry) = self.picture.get(&uid)
            && entry.author != Author::Client(author.clone())
            && entry.expires.is_none_or(|expires| expires > now)
        {
            self.metrics.refused(Refused::UidTaken);
            tracing::warn!(
                uid,
                author,
                "event refused: its uid belongs to another principal's live object"
            );
            return;
        }
        if is_self_report(&event)
            && let Some(idx) = self.index(from)
            && let Some(session) = self.sessions.get_mut(idx)
        {
            session.uid = Some(uid.clone());
            session.callsign = event.callsign().map(str::to_owned);
            if session.world != world {
                session.world = world.clone();
                self.send_snapshot(idx);
            }
        }
        let stale_at = offset_time(event.stale);
        // Tasking and control messages (t-...) are routed but never kept.
        let mut keep = stale_at > now && !event.event_type.starts_with("t-");
        if keep && !self.picture.contains_key(&uid) && !self.admits(&author) {
            // Still routed, but neither kept for late joiners nor stored as a unit.
            self.metrics.picture_full.inc();
            keep = false;
        }
        if keep && is_unit_report(&event) {
            self.record_unit(&uid, &event, &marking, &world, &author, stale_at);
        }
        let outgoing = Arc::new(Outgoing::new(event, nation, marking, world, true));
        if keep {
            self.put(
                uid,
                Entry {
                    author: Author::Client(author),
                    outgoing: outgoing.clone(),
                    object: None,
                    expires: Some(stale_at),
                },
            );
            self.metrics.picture_objects.set(self.picture.len() as i64);
        }
        self.route(&outgoing, Some(from), |_| true);
    }

    /// GeoChat and `<marti>`-directed events: to the named destinations, or to everyone for
    /// a chat to all rooms; never kept.
    fn route_message(&mut self, from: u64, event: Event, marking: Marking, world: Option<String>) {
        let nation = self.node.nation();
        let callsigns: Vec<String> = event.dest_callsigns().map(str::to_owned).collect();
        let mut uids: Vec<String> = event
            .detail
            .marti
            .iter()
            .flat_map(|marti| marti.dests.iter())
            .filter_map(|dest| dest.uid.clone())
            .collect();
        let directed = event.is_directed();
        if !directed
            && let Some(chat) = GeoChat::from_event(&event)
            && chat.room_id != ALL_CHAT_ROOMS
            && self
                .sessions
                .iter()
                .any(|session| session.uid.as_deref() == Some(chat.room_id.as_str()))
        {
            // A one-to-one chat that names its room by the addressee's uid only.
            uids.push(chat.room_id);
        }
        let targeted = directed || !uids.is_empty();
        let outgoing = Arc::new(Outgoing::new(event, nation, marking, world, false));
        let n_routed = self.route(&outgoing, Some(from), |session| {
            !targeted
                || session
                    .callsign
                    .as_ref()
                    .is_some_and(|callsign| callsigns.contains(callsign))
                || session.uid.as_ref().is_some_and(|uid| uids.contains(uid))
        });
        if targeted && n_routed == 0 {
            self.metrics.undeliverable.inc();
        }
    }

    /// A client deletes what it put on the map (`t-x-d-d`): allowed for its own entries.
    fn client_deletion(
        &mut self,
        from: u64,
        author: &str,
        event: Event,
        marking: Marking,
        world: Option<String>,
        now: OffsetDateTime,
    ) {
        let mut removed = Vec::new();
        for uid in deleted_uids(&event) {
            match self.picture.get(uid) {
                Some(entry)
                    if entry.author != Author::Client(author.to_owned())
                        && entry.expires.is_none_or(|expires| expires > now) =>
                {
                    self.metrics.refused(Refused::UidTaken);
                    tracing::warn!(
                        uid,
                        author,
                        "deletion refused: the uid belongs to another principal"
                    );
                    return;
                }
                Some(_) => {
                    if let Some(entry) = self.take(uid) {
                        removed.push(entry);
                    }
                }
                None => {}
            }
        }
        let nation = self.node.nation();
        if removed.is_empty() {
            let outgoing = Arc::new(Outgoing::new(event, nation, marking, world, false));
            self.route(&outgoing, Some(from), |_| true);
            return;
        }
        self.metrics.picture_objects.set(self.picture.len() as i64);
        // Whoever could see what was deleted is told, under that entry's marking.
        for entry in removed {
            let old = &entry.outgoing;
            let outgoing = Arc::new(Outgoing::keyed(
                event.clone(),
                old.origin,
                old.marking.clone(),
                old.world.clone(),
                old.key,
            ));
            self.route(&outgoing, Some(from), |_| true);
        }
    }

    /// Decides whether a TAK-reported unit's history is due, and hands the draft over.
    fn record_unit(
        &mut self,
        uid: &str,
        event: &Event,
        marking: &Marking,
        world: &Option<String>,
        author: &str,
        stale_at: OffsetDateTime,
    ) {
        let unit = match unit_from_event(event, world.is_some()) {
            Ok(unit) => unit,
            Err(err) => {
                tracing::debug!(uid, cause = %err, "position report not stored as a unit");
                return;
            }
        };
        let nation = self.node.nation();
        let id = tak_unit_id(nation, uid);
        let now = self.node.clock().instant();
        let history = self.settings.unit_history;
        let due = match self.units.get(&id) {
            None => true,
            Some(last) => {
                let elapsed = now.saturating_duration_since(last.at);
                let moved = match (&last.unit.position, &unit.position) {
                    (Some(a), Some(b)) => distance_m(a, b),
                    _ => 0.0,
                };
                elapsed >= history.min_interval
                    && (elapsed >= history.interval
                        || moved >= history.distance_m
                        || last.unit.callsign != unit.callsign
                        || last.unit.symbol != unit.symbol
                        || &last.marking != marking
                        || &last.world != world)
            }
        };
        if !due {
            return;
        }
        self.units.insert(
            id,
            UnitMark {
                at: now,
                unit: unit.clone(),
                marking: marking.clone(),
                world: world.clone(),
            },
        );
        let draft = Draft {
            id,
            origin: nation,
            expect: Expect::Any,
            at: self.node.now(),
            marking: marking.clone(),
            valid_until: Some(stale_at),
            exercise: world.clone(),
            body: Some(Body::Unit(unit)),
        };
        self.recorder.submit(draft, format!("tak:{author}"));
    }

    /// Puts an object in the picture (or takes it out); returns the entry it replaced.
    fn object_entry(&mut self, object: Arc<Object>, now: OffsetDateTime) -> Option<Entry> {
        let uid = object.meta.id.to_string();
        if let Some(held) = self.picture.get(&uid)
            && let Some(held_object) = &held.object
            && held_object.meta.version > object.meta.version
        {
            return None;
        }
        let event = object_event(&object, now, self.settings.object_stale);
        let Some(event) = event else {
            return self.take(&uid);
        };
        let mut expires = object.meta.valid_until;
        if let Body::Report(_) = object.body {
            let aged = object.meta.updated + self.settings.report_max_age;
            expires = Some(expires.map_or(aged, |until| until.min(aged)));
        }
        let outgoing = Arc::new(Outgoing::new(
            event,
            object.meta.origin,
            object.meta.marking.clone(),
            object.meta.exercise.clone(),
            true,
        ));
        self.put(
            uid,
            Entry {
                author: Author::Node,
                outgoing,
                object: Some(object),
                expires,
            },
        )
    }

    fn handle_live(&mut self, change: &LiveChange) {
        let now = self.node.now();
        match change {
            LiveChange::Version {
                object, previous, ..
            } => {
                if matches!(object.body, Body::Unit(_))
                    && object.meta.origin == self.node.nation()
                    && is_tak_unit_id(object.meta.id)
                {
                    // This node's TAK units went to clients as their devices sent them.
                    return;
                }
                let replaced = self.object_entry(object.clone(), now);
                let uid = object.meta.id.to_string();
                let current = self.picture.get(&uid).map(|entry| entry.outgoing.clone());
                let old_type = replaced
                    .as_ref()
                    .map(|entry| entry.outgoing.event.event_type.clone());
                self.object_changed(
                    &uid,
                    &object.meta,
                    current,
                    previous.as_ref(),
                    old_type,
                    now,
                );
            }
            LiveChange::Recall {
                previous: Some(object),
            } => {
                let uid = object.meta.id.to_string();
                let replaced = self.take(&uid);
                let old_type = replaced.map(|entry| entry.outgoing.event.event_type.clone());
                self.object_changed(&uid, &object.meta, None, Some(&object.meta), old_type, now);
            }
            LiveChange::Recall { previous: None } => {}
        }
        self.metrics.picture_objects.set(self.picture.len() as i64);
    }

    /// Tells every client in the object's world what changed: the new event to those who may
    /// see it now, a deletion to those who saw the previous version and may not see this one.
    fn object_changed(
        &self,
        uid: &str,
        meta: &Meta,
        current: Option<Arc<Outgoing>>,
        previous: Option<&Meta>,
        old_type: Option<String>,
        now: OffsetDateTime,
    ) {
        let policy = self.node.policy();
        let clock = self.node.clock().instant();
        let visible_before = previous.filter(|previous| !previous.deleted);
        let deletion = visible_before.map(|previous| {
            deletion(
                uid,
                old_type.as_deref().unwrap_or("a-u-G"),
                previous.origin,
                &previous.marking,
                meta.exercise.as_deref(),
                now,
            )
        });
        for session in &self.sessions {
            let told = policy.transition(session.audience(), visible_before, current.as_deref());
            let pushed = match (told, &current, &deletion) {
                (Some(Transition::Show), Some(outgoing), _) => {
                    session.queue.push(outgoing.clone(), clock)
                }
                (Some(Transition::Hide | Transition::Delete), _, Some(deletion)) => {
                    session.queue.push(deletion.clone(), clock)
                }
                _ => continue,
            };
            match pushed {
                Pushed::Superseded => self.metrics.superseded.inc(),
                Pushed::Dropped | Pushed::ClosedSlow => self.metrics.dropped.inc(),
                Pushed::Queued | Pushed::Closed => {}
            }
        }
    }

    fn handle_publication(&mut self, publication: Publication) {
        self.metrics.published.inc();
        let now = self.node.now();
        match publication {
            Publication::Track(track) => {
                let event = air_track_event(&track);
                let expires = offset_time(event.stale);
                let outgoing = Arc::new(Outgoing::new(
                    event,
                    track.origin,
                    track.marking.clone(),
                    track.exercise.clone(),
                    true,
                ));
                if expires > now {
                    self.put(
                        track.uid.clone(),
                        Entry {
                            author: Author::Node,
                            outgoing: outgoing.clone(),
                            object: None,
                            expires: Some(expires),
                        },
                    );
                }
                self.route(&outgoing, None, |_| true);
            }
            Publication::Withdraw { uid } => {
                let Some(entry) = self.take(&uid) else {
                    return;
                };
                let old = &entry.outgoing;
                let outgoing = deletion(
                    &uid,
                    &old.event.event_type,
                    old.origin,
                    &old.marking,
                    old.world.as_deref(),
                    now,
                );
                self.route(&outgoing, None, |_| true);
            }
        }
        self.metrics.picture_objects.set(self.picture.len() as i64);
    }

    fn sweep(&mut self) {
        let now = self.node.now();
        let expired: Vec<String> = self
            .picture
            .iter()
            .filter(|(_, entry)| entry.expires.is_some_and(|expires| expires <= now))
            .map(|(uid, _)| uid.clone())
            .collect();
        for uid in expired {
            self.take(&uid);
        }
        let clock = self.node.clock().instant();
        self.units
            .retain(|_, mark| clock.saturating_duration_since(mark.at) < UNIT_MEMORY);
        self.metrics.picture_objects.set(self.picture.len() as i64);
        // Sessions whose queue was closed as slow are gone for routing at once.
        self.sessions
            .retain(|session| session.queue.closed() != Some(CloseReason::Slow));
    }
}

/// A deletion of `uid` for the clients that could see it: marked like what it deletes, and
/// replacing a queued state of that uid.
fn deletion(
    uid: &str,
    cot_type: &str,
    origin: liptako_model::Nation,
    marking: &Marking,
    world: Option<&str>,
    now: OffsetDateTime,
) -> Arc<Outgoing> {
    let mut event = deletion_event(uid, cot_type, cot_time(now));
    event.marking = cot_marking(marking, origin, world);
    Arc::new(Outgoing::keyed(
        event,
        origin,
        marking.clone(),
        world.map(str::to_owned),
        uid_key(uid),
    ))
}
