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
//! exercise) for which `Policy::allows(client principal in its world, event)` holds, and
//! nothing else decides; a directed event (`<marti><dest>`) goes only to the clients it names,
//! still under the rule. Each client gets its events through its own bounded queue (see
//! `queue.rs`), so a slow client is thinned or dropped and never delays the hub or the others.
//!
//! Identity: a client's device uid and callsign are what it claims in its own position report
//! (or `<auth>`), kept by [`Identities`]: the first claimant holds them while live, another
//! claimant's report, chat or marker using them is refused (counted), and an authenticated
//! client takes back what an anonymous one claimed. Directed messages go only to holders.
//!
//! Accounts: a session speaks for a user account (its certificate's user, or its `<auth>`
//! login) only while the account says so. The account watch (`accounts.rs`) hands the hub every
//! account that changed; the hub closes the sessions of a disabled or removed user at once,
//! and gives a changed user's sessions the new principal: what it may now see, and deletions
//! for what it may no longer see. Events a session sent under its old principal are checked
//! again against the new one.
//!
//! The picture: the latest event of every uid that describes something on the map (positions,
//! markers, shapes, the node's objects, air tracks), until it goes stale. A client that
//! connects gets the part of it that it may see. Each principal keeps at most
//! `max_uids_per_principal` live uids in it (anonymous clients together `[cot.anonymous]
//! max_uids`); anonymous clients' units are stored only when `store_units`, and marked national
//! unless `federate`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use liptako_cot::Event;
use liptako_cot::chat::{ALL_CHAT_ROOMS, GeoChat};
use liptako_model::{
    Audience, Body, Draft, Expect, Marking, Meta, Nation, Object, Principal, Role, Transition, Unit,
};
use liptako_store::{Query, WriteOp, WriteOutcome};
use time::OffsetDateTime;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc, watch};
use uuid::Uuid;

use super::accounts::{AccountChecks, AccountNow};
use super::convert::{
    DELETE_TYPE, MEDEVAC_TYPE, air_track_event, cot_marking, cot_time, deleted_uids,
    deletion_event, distance_m, is_self_report, is_tak_unit_id, is_unit_report, medevac_from_event,
    medevac_request_id, object_event, offset_time, tak_unit_id, unit_from_event,
};
use super::identity::{Claimant, Claimed, Identities, Kind};
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

/// A session as the hub knows it.
#[derive(Debug)]
pub struct SessionInfo {
    /// Unique for the node's lifetime.
    pub id: u64,
    /// Where it connected.
    pub listener: ListenerKind,
    /// Who it is.
    pub principal: Principal,
    /// The user account it speaks for (its certificate's user); `None` for anonymous clients
    /// and certificates that name no user of this node.
    pub account: Option<String>,
    /// Its outgoing queue.
    pub queue: Arc<ClientQueue>,
    /// Where the hub tells the session that its account changed.
    pub standing: watch::Sender<Standing>,
}

/// What the hub tells a session about its user account, when it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// As at connect or login.
    Unchanged,
    /// The account `account` now speaks for `principal`: the session checks what it sends
    /// against it from now on.
    Changed {
        /// The account.
        account: String,
        /// Its principal now.
        principal: Principal,
    },
    /// The account was disabled or removed: the session ends.
    Revoked,
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
    /// The client logged in (`<auth>`): it is now this account's principal.
    Principal {
        /// The session.
        id: u64,
        /// The account it logged in as.
        account: String,
        /// Its new principal.
        principal: Principal,
        /// The account's session generation at the login (a password reset moves it on).
        session_gen: u64,
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
    /// A user account as it is now (from the account watch): its principal, or `None` when it
    /// is disabled or gone.
    Account {
        /// The user's name.
        name: String,
        /// What it speaks for now.
        now: Option<AccountNow>,
    },
    /// Every enabled user account and its principal (the periodic re-read); an account of a
    /// session that is not here is disabled or gone.
    Accounts(HashMap<String, AccountNow>),
}

/// An event from a client.
#[derive(Debug)]
pub struct Inbound {
    /// The sending session (the hub knows who it is).
    pub from: u64,
    /// The event.
    pub event: Event,
    /// Its marking, checked against the sender's clearance.
    pub marking: Marking,
    /// Its exercise; `None` is the real world.
    pub world: Option<String>,
}

struct Session {
    id: u64,
    listener: ListenerKind,
    principal: Principal,
    /// See [`SessionInfo::account`].
    account: Option<String>,
    /// For a session logged in with `<auth>`: the account's session generation then (a
    /// password reset ends the session). `None` for certificate sessions.
    password_gen: Option<u64>,
    queue: Arc<ClientQueue>,
    standing: watch::Sender<Standing>,
    /// The device uid it holds (see [`Identities`]), from its own position report or `<auth>`.
    uid: Option<String>,
    /// The callsign it holds, for directed messages.
    callsign: Option<String>,
    /// The world it is in: the exercise of its own position report.
    world: Option<String>,
    /// Its principal was changed by the hub (its account changed): what it sends is checked
    /// again here, since the session may have marked it under the old principal.
    recheck_markings: bool,
}

impl Session {
    /// The client as the access decision sees it: its principal, in its world.
    fn audience(&self) -> Audience<'_> {
        Audience::reader(&self.principal, self.world.as_deref())
    }

    /// A plain-TCP client that has not logged in.
    fn is_anonymous(&self) -> bool {
        self.listener == ListenerKind::Tcp && self.account.is_none()
    }

    /// Who owns the uid and callsign it claims.
    fn claimant(&self) -> Claimant {
        if self.is_anonymous() {
            Claimant::Anonymous(self.id)
        } else {
            Claimant::Principal(self.principal.name.clone())
        }
    }

    /// Who owns what it puts on the map.
    fn author(&self) -> Author {
        if self.is_anonymous() {
            Author::Anonymous
        } else {
            Author::Principal(self.principal.name.clone())
        }
    }
}

/// Who wrote a picture entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Author {
    /// An authenticated client principal, by name.
    Principal(String),
    /// The anonymous clients (they share one principal).
    Anonymous,
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
    /// Live client entries per author.
    per_author: HashMap<Author, usize>,
    identities: Identities,
    units: HashMap<Uuid, UnitMark>,
    recorder: Arc<Recorder>,
    accounts: AccountChecks,
}

impl Hub {
    /// A hub over `node`.
    pub fn new(
        node: Arc<Node>,
        settings: Arc<Settings>,
        metrics: TakMetrics,
        recorder: Arc<Recorder>,
        accounts: AccountChecks,
    ) -> Hub {
        Hub {
            node,
            settings,
            metrics,
            sessions: Vec::new(),
            picture: HashMap::new(),
            per_author: HashMap::new(),
            identities: Identities::default(),
            units: HashMap::new(),
            recorder,
            accounts,
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
        if entry.author != Author::Node {
            *self.per_author.entry(entry.author.clone()).or_default() += 1;
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
        if entry.author != Author::Node
            && let Some(count) = self.per_author.get_mut(&entry.author)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.per_author.remove(&entry.author);
            }
        }
    }

    /// Whether a new uid of `author` may join the picture (its bounds: [`MAX_PICTURE`] in all,
    /// `max_uids_per_principal` per principal and `[cot.anonymous] max_uids` for the anonymous
    /// clients together, so that no client can fill the node's memory or its store).
    fn admits(&self, author: &Author) -> bool {
        let cap = match author {
            Author::Anonymous => self.settings.anonymous_rules.max_uids,
            Author::Principal(_) | Author::Node => self.settings.max_uids_per_principal,
        };
        self.picture.len() < MAX_PICTURE && self.per_author.get(author).copied().unwrap_or(0) < cap
    }

    fn index(&self, id: u64) -> Option<usize> {
        self.sessions.iter().position(|session| session.id == id)
    }

    fn handle_message(&mut self, message: HubMsg) {
        match message {
            HubMsg::Connect(info) => {
                if let Some(account) = &info.account {
                    // Its user may have changed since the listener read it.
                    self.accounts.ask(account);
                }
                self.sessions.push(Session {
                    id: info.id,
                    listener: info.listener,
                    principal: info.principal,
                    account: info.account,
                    password_gen: None,
                    queue: info.queue,
                    standing: info.standing,
                    uid: None,
                    callsign: None,
                    world: None,
                    recheck_markings: false,
                });
                if let Some(idx) = self.index(info.id) {
                    self.send_snapshot(idx, None);
                }
            }
            HubMsg::Disconnect { id } => self.remove_session(id),
            HubMsg::Principal {
                id,
                account,
                principal,
                session_gen,
            } => {
                // The login read the user before the hub knew the session was theirs.
                self.accounts.ask(&account);
                let Some(idx) = self.index(id) else { return };
                let Some(session) = self.sessions.get_mut(idx) else {
                    return;
                };
                session.account = Some(account);
                session.password_gen = Some(session_gen);
                let previous = std::mem::replace(&mut session.principal, principal);
                // What it claimed as an anonymous client, it claims again as itself.
                let (uid, callsign) = (session.uid.take(), session.callsign.take());
                self.release_identity(id, uid.as_deref(), callsign.as_deref());
                let now = self.node.now();
                if let Err(reason) =
                    self.claim_identity(idx, uid.as_deref(), callsign.as_deref(), now, now)
                {
                    self.metrics.refused(reason);
                }
                let world = self.sessions.get(idx).and_then(|s| s.world.clone());
                self.send_snapshot(idx, Some((&previous, world.as_deref())));
            }
            HubMsg::Identify { id, uid, callsign } => {
                let Some(idx) = self.index(id) else { return };
                let now = self.node.now();
                let (uid, callsign) = (non_empty(uid.as_deref()), non_empty(callsign.as_deref()));
                if let Err(reason) = self.claim_identity(idx, uid, callsign, now, now) {
                    self.metrics.refused(reason);
                    tracing::warn!(
                        session = id,
                        uid,
                        callsign,
                        "<auth> names a uid or callsign another client holds: not taken"
                    );
                }
            }
            HubMsg::Event(inbound) => self.handle_event(*inbound),
            HubMsg::Account { name, now } => {
                let ids: Vec<u64> = self
                    .sessions
                    .iter()
                    .filter(|session| session.account.as_deref() == Some(name.as_str()))
                    .map(|session| session.id)
                    .collect();
                for id in ids {
                    self.account_changed(id, now.as_ref());
                }
            }
            HubMsg::Accounts(accounts) => {
                let changed: Vec<(u64, Option<AccountNow>)> = self
                    .sessions
                    .iter()
                    .filter_map(|session| {
                        let account = session.account.as_ref()?;
                        let now = accounts.get(account);
                        let same = now.is_some_and(|now| {
                            now.principal == session.principal
                                && session.password_gen.is_none_or(|g| g == now.session_gen)
                        });
                        (!same).then(|| (session.id, now.cloned()))
                    })
                    .collect();
                for (id, now) in changed {
                    self.account_changed(id, now.as_ref());
                }
            }
        }
    }

    /// The account of session `id` is now `now` (`None`: disabled or gone). A session logged
    /// in with a password that has since been reset ends like one of a disabled account.
    fn account_changed(&mut self, id: u64, now: Option<&AccountNow>) {
        let Some(idx) = self.index(id) else { return };
        let Some(session) = self.sessions.get_mut(idx) else {
            return;
        };
        let account = session.account.clone().unwrap_or_default();
        let password_gen = session.password_gen;
        let Some(principal) = now
            .filter(|now| password_gen.is_none_or(|g| g == now.session_gen))
            .map(|now| &now.principal)
        else {
            session.queue.close(CloseReason::Revoked);
            session.standing.send_replace(Standing::Revoked);
            self.metrics.revoked.inc();
            tracing::warn!(
                session = id,
                user = %account,
                "TAK session closed: its user was disabled or removed, or its password reset"
            );
            self.remove_session(id);
            return;
        };
        if *principal == session.principal {
            return;
        }
        let previous = std::mem::replace(&mut session.principal, principal.clone());
        session.recheck_markings = true;
        session.standing.send_replace(Standing::Changed {
            account: account.clone(),
            principal: principal.clone(),
        });
        self.metrics.principal_changes.inc();
        tracing::info!(
            session = id,
            user = %account,
            clearance = %principal.clearance,
            nation = %principal.nation,
            role = principal.role.as_str(),
            "TAK session's user changed: it sees what the new principal may see"
        );
        let world = session.world.clone();
        self.send_snapshot(idx, Some((&previous, world.as_deref())));
    }

    /// Forgets session `id`: routing stops and what it claimed is released.
    fn remove_session(&mut self, id: u64) {
        let Some(idx) = self.index(id) else { return };
        let session = self.sessions.swap_remove(idx);
        self.release_identity(id, session.uid.as_deref(), session.callsign.as_deref());
    }

    fn release_identity(&mut self, id: u64, uid: Option<&str>, callsign: Option<&str>) {
        let now = self.node.now();
        if let Some(uid) = uid {
            self.identities.release(Kind::Uid, uid, id, now);
        }
        if let Some(callsign) = callsign {
            self.identities.release(Kind::Callsign, callsign, id, now);
        }
    }

    /// Session `idx` claims a device uid and a callsign (either may be absent), reported with
    /// the stale time `stale`: both are taken, or neither (refused, with the reason).
    fn claim_identity(
        &mut self,
        idx: usize,
        uid: Option<&str>,
        callsign: Option<&str>,
        stale: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), Refused> {
        let Some(session) = self.sessions.get(idx) else {
            return Ok(());
        };
        let claimant = session.claimant();
        let id = session.id;
        let (held_uid, held_callsign) = (session.uid.clone(), session.callsign.clone());
        if let Some(uid) = uid
            && !self.identities.may_claim(Kind::Uid, uid, &claimant, now)
        {
            return Err(Refused::UidTaken);
        }
        if let Some(callsign) = callsign
            && !self
                .identities
                .may_claim(Kind::Callsign, callsign, &claimant, now)
        {
            return Err(Refused::CallsignTaken);
        }
        let claims = [(Kind::Uid, uid), (Kind::Callsign, callsign)];
        for (kind, value) in claims {
            let Some(value) = value else { continue };
            let held = match kind {
                Kind::Uid => held_uid.as_deref(),
                Kind::Callsign => held_callsign.as_deref(),
            };
            if let Some(held) = held
                && held != value
            {
                self.identities.release(kind, held, id, now);
            }
            match self
                .identities
                .claim(kind, value, &claimant, id, stale, now)
            {
                Claimed::Held => {}
                Claimed::TakenBack(sessions) => {
                    self.metrics.identities_taken_back.inc();
                    tracing::warn!(
                        ?kind,
                        value,
                        principal = ?claimant,
                        "an authenticated client took back an identity an anonymous client claimed"
                    );
                    for other in sessions {
                        if let Some(other) = self.sessions.iter_mut().find(|s| s.id == other) {
                            match kind {
                                Kind::Uid => other.uid = None,
                                Kind::Callsign => other.callsign = None,
                            }
                        }
                    }
                }
                // Checked above; the hub is one task, so nothing changed in between.
                Claimed::Refused => return Err(Refused::UidTaken),
            }
            let Some(session) = self.sessions.get_mut(idx) else {
                return Ok(());
            };
            match kind {
                Kind::Uid => session.uid = Some(value.to_owned()),
                Kind::Callsign => session.callsign = Some(value.to_owned()),
            }
        }
        Ok(())
    }

    /// Sends the session at `idx` the picture it may see in its world. With `previous` (its
    /// principal and world before a login, an account change or a change of world), only the
    /// difference: what it may see now and could not, and deletions for what it could see and
    /// may no longer (a client moving into an exercise's world drops the real world's picture,
    /// and the reverse).
    fn send_snapshot(&mut self, idx: usize, previous: Option<(&Principal, Option<&str>)>) {
        let now = self.node.now();
        let stale = self.settings.object_stale;
        let Some(session) = self.sessions.get(idx) else {
            return;
        };
        let policy = self.node.policy();
        let clock = self.node.clock().instant();
        let before = previous.map(|(principal, world)| Audience::reader(principal, world));
        for (uid, entry) in self.picture.iter_mut() {
            if entry.expires.is_some_and(|expires| expires <= now) {
                continue;
            }
            let sees = policy.allows(session.audience(), entry.outgoing.as_ref());
            let saw = before.is_some_and(|before| policy.allows(before, entry.outgoing.as_ref()));
            if saw && !sees {
                let old = &entry.outgoing;
                let deletion = deletion(
                    uid,
                    &old.event.event_type,
                    old.origin,
                    &old.marking,
                    old.world.as_deref(),
                    now,
                );
                if session.queue.push_snapshot(deletion, clock) == Pushed::Closed {
                    return;
                }
                continue;
            }
            if !sees || saw {
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
            mut event,
            marking,
            world,
        } = inbound;
        let nation = self.node.nation();
        let now = self.node.now();
        let Some(idx) = self.index(from) else {
            // Its session was closed (its user disabled) or is gone: nothing more is taken.
            return;
        };
        let Some(session) = self.sessions.get(idx) else {
            return;
        };
        // The session marked the event for the principal it knew; the hub may have changed
        // that principal since (a demoted user): decide again with the current one.
        if session.recheck_markings
            && let Err(err) =
                self.node
                    .policy()
                    .marking_input(&session.principal, nation, &marking, None)
        {
            self.metrics.refused(Refused::AboveClearance);
            tracing::warn!(uid = %event.uid, cause = %err, "event refused under the session's current principal");
            return;
        }
        let author = session.author();
        let claimant = session.claimant();
        // The marking the rule judges travels in the event, so receivers see it too.
        let opex = event.marking.opex.take();
        let caveat = event.marking.caveat.take();
        event.marking = cot_marking(&marking, nation, world.as_deref());
        event.marking.caveat = caveat;
        if world.is_some() {
            event.marking.opex = opex;
        }

        if event.event_type == DELETE_TYPE {
            self.client_deletion(from, &author, &claimant, event, marking, world, now);
            return;
        }
        let uid = event.uid.clone();
        let self_report = is_self_report(&event);
        let callsign = non_empty(event.callsign()).map(str::to_owned);
        // Nobody writes under another client's identity: its device uid, or (for what shows
        // as a team member) its callsign; a chat's sender is checked the same way. A client's
        // own position report claims both, taking them back from an anonymous client when it
        // is authenticated.
        let (uid_free, callsign_free) = if self_report {
            (
                self.identities.may_claim(Kind::Uid, &uid, &claimant, now),
                callsign.as_deref().is_none_or(|callsign| {
                    self.identities
                        .may_claim(Kind::Callsign, callsign, &claimant, now)
                }),
            )
        } else {
            let chat = GeoChat::from_event(&event);
            let sender_uid = chat
                .as_ref()
                .and_then(|chat| non_empty(Some(&chat.sender_uid)));
            let shown_callsign = match &chat {
                Some(chat) => non_empty(Some(&chat.sender_callsign)),
                None if is_unit_report(&event) => callsign.as_deref(),
                None => None,
            };
            (
                [Some(uid.as_str()), sender_uid]
                    .into_iter()
                    .flatten()
                    .all(|uid| {
                        !self
                            .identities
                            .held_by_other(Kind::Uid, uid, &claimant, now)
                    }),
                shown_callsign.is_none_or(|callsign| {
                    !self
                        .identities
                        .held_by_other(Kind::Callsign, callsign, &claimant, now)
                }),
            )
        };
        if !uid_free || !callsign_free {
            let reason = if uid_free {
                Refused::CallsignTaken
            } else {
                Refused::UidTaken
            };
            self.metrics.refused(reason);
            tracing::warn!(
                uid,
                callsign,
                principal = ?claimant,
                "event refused: it uses another client's uid or callsign"
            );
            return;
        }
        // Chats and directed events are not kept: a client may forward another's marker to a
        // contact (ATAK's "send"), as long as it is no other client's identity (checked above).
        if event.is_geochat() || event.is_directed() {
            self.route_message(from, event, marking, world);
            return;
        }
        // A live object on the map belongs to its author; an authenticated client's own
        // position report takes its device uid back from an anonymous client.
        if let Some(entry) = self.picture.get(&uid)
            && entry.author != author
            && entry.expires.is_none_or(|expires| expires > now)
            && !(self_report && entry.author == Author::Anonymous && author != Author::Anonymous)
        {
            self.metrics.refused(Refused::UidTaken);
            tracing::warn!(
                uid,
                principal = ?claimant,
                "event refused: its uid belongs to another principal's live object"
            );
            return;
        }
        let stale_at = offset_time(event.stale);
        if self_report {
            if let Err(reason) =
                self.claim_identity(idx, Some(&uid), callsign.as_deref(), stale_at, now)
            {
                // Checked above; the hub is one task, so nothing changed in between.
                self.metrics.refused(reason);
                return;
            }
            if let Some(session) = self.sessions.get_mut(idx)
                && session.world != world
            {
                let left = std::mem::replace(&mut session.world, world.clone());
                let principal = session.principal.clone();
                self.send_snapshot(idx, Some((&principal, left.as_deref())));
            }
        }
        // Tasking and control messages (t-...) are routed but never kept.
        let mut keep = stale_at > now && !event.event_type.starts_with("t-");
        let replaces_own = self
            .picture
            .get(&uid)
            .is_some_and(|entry| entry.author == author);
        if keep && !replaces_own && !self.admits(&author) {
            // Still routed, but neither kept for late joiners nor stored as a unit.
            self.metrics.picture_full.inc();
            keep = false;
        }
        if keep && is_unit_report(&event) {
            self.record_unit(&uid, &event, &marking, &world, &author, stale_at);
        }
        if event.event_type == MEDEVAC_TYPE && stale_at > now {
            self.record_medevac(idx, &uid, &event, &marking, &world);
        }
        let outgoing = Arc::new(Outgoing::new(event, nation, marking, world, true));
        if keep {
            self.put(
                uid,
                Entry {
                    author,
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
        let callsigns: Vec<String> = event
            .dest_callsigns()
            .map(|callsign| callsign.trim().to_owned())
            .collect();
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

    /// A client deletes what it put on the map (`t-x-d-d`): allowed for its own entries, never
    /// for another client's identity.
    #[allow(clippy::too_many_arguments)]
    fn client_deletion(
        &mut self,
        from: u64,
        author: &Author,
        claimant: &Claimant,
        event: Event,
        marking: Marking,
        world: Option<String>,
        now: OffsetDateTime,
    ) {
        if let Some(uid) = deleted_uids(&event)
            .find(|uid| self.identities.held_by_other(Kind::Uid, uid, claimant, now))
        {
            self.metrics.refused(Refused::UidTaken);
            tracing::warn!(
                uid,
                principal = ?claimant,
                "deletion refused: the uid is another client's identity"
            );
            return;
        }
        let mut removed = Vec::new();
        for uid in deleted_uids(&event) {
            match self.picture.get(uid) {
                Some(entry)
                    if entry.author != *author
                        && entry.expires.is_none_or(|expires| expires > now) =>
                {
                    self.metrics.refused(Refused::UidTaken);
                    tracing::warn!(
                        uid,
                        principal = ?claimant,
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
        author: &Author,
        stale_at: OffsetDateTime,
    ) {
        let rules = self.settings.anonymous_rules;
        let anonymous = *author == Author::Anonymous;
        if anonymous && !rules.store_units {
            return;
        }
        // What anonymous clients store stays on this node unless configured otherwise: national,
        // whatever the event said, so federation never sends it.
        let national;
        let marking = if anonymous && !rules.federate && !marking.is_national() {
            national = Marking {
                level: marking.level.clone(),
                releasable_to: Vec::new(),
            };
            &national
        } else {
            marking
        };
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
        let actor = match author {
            Author::Principal(name) => format!("tak:{name}"),
            Author::Anonymous => format!("tak:{}", self.settings.anonymous.name),
            Author::Node => "tak".to_owned(),
        };
        self.recorder.submit(draft, actor);
    }

    /// A 9-line MEDEVAC (`b-r-f-h-c`) becomes a support request of this nation, written as
    /// the session's user: only for an authenticated client whose role is editor or above
    /// (anyone else's is relayed as a map item only, and counted), marked like any event of
    /// the session, addressed to `[support] medevac_addressed_to` (default: every partner) as
    /// far as that marking releases it to them (none: not written, counted). A resend of the
    /// same uid names the same request and changes nothing.
    fn record_medevac(
        &mut self,
        idx: usize,
        uid: &str,
        event: &Event,
        marking: &Marking,
        world: &Option<String>,
    ) {
        let Some(session) = self.sessions.get(idx) else {
            return;
        };
        if session.is_anonymous() || session.principal.role < Role::Editor {
            self.metrics.medevac_refused.inc();
            tracing::warn!(
                uid,
                principal = %session.principal.name,
                anonymous = session.is_anonymous(),
                "9-line MEDEVAC relayed but not written as a support request: only an authenticated editor's is"
            );
            return;
        }
        let nation = self.node.nation();
        let policy = self.node.policy();
        let holders = policy.holders(nation, marking);
        let wanted: Vec<Nation> = match &self.node.config().support.medevac_addressed_to {
            Some(nations) => nations.clone(),
            None => policy.confederation().members().to_vec(),
        };
        let addressed: Vec<Nation> = wanted
            .into_iter()
            .filter(|partner| *partner != nation && holders.contains(partner))
            .collect();
        if addressed.is_empty() {
            self.metrics.medevac_refused.inc();
            tracing::warn!(
                uid,
                principal = %session.principal.name,
                "9-line MEDEVAC not written as a support request: its marking releases it to none of the nations it would be addressed to"
            );
            return;
        }
        let request = match medevac_from_event(event, addressed) {
            Ok(request) => request,
            Err(err) => {
                self.metrics.medevac_refused.inc();
                tracing::warn!(uid, cause = %err, "9-line MEDEVAC not written as a support request");
                return;
            }
        };
        let draft = Draft {
            id: medevac_request_id(nation, uid),
            origin: nation,
            expect: Expect::New,
            at: self.node.now(),
            marking: marking.clone(),
            valid_until: None,
            exercise: world.clone(),
            body: Some(Body::SupportRequest(Box::new(request))),
        };
        let actor = format!("tak:{}", session.principal.name);
        let node = self.node.clone();
        let created = self.metrics.medevac_requests.clone();
        let uid = uid.to_owned();
        self.node.spawn(async move {
            match node.write(vec![WriteOp::Local { draft, actor }]).await {
                Ok(outcomes) => match outcomes.first() {
                    Some(WriteOutcome::Committed(committed)) => {
                        created.inc();
                        tracing::info!(uid, id = %committed.object.meta.id, "9-line MEDEVAC written as a support request");
                    }
                    _ => tracing::debug!(uid, "9-line MEDEVAC resent: its support request exists"),
                },
                Err(err) => tracing::error!(uid, cause = %err, "9-line MEDEVAC: the support request could not be written"),
            }
        });
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
        let slow: Vec<u64> = self
            .sessions
            .iter()
            .filter(|session| session.queue.closed() == Some(CloseReason::Slow))
            .map(|session| session.id)
            .collect();
        for id in slow {
            self.remove_session(id);
        }
        self.identities.sweep(now);
    }
}

/// A uid or callsign as claimed: trimmed, and nothing when empty.
fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|value| !value.is_empty())
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
