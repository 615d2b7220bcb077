//! Persistence for a Liptako node: per-origin append-only logs of object versions, the latest
//! state of every object, the audit log and the users.
//!
//! The interface is the [`Store`] trait; [`SqliteStore`] implements it over one SQLite file in WAL
//! mode (the embedded default). A PostgreSQL implementation is meant to sit beside it behind the
//! same trait (see ARCHITECTURE.md for why a trait and not sqlx).
//!
//! Writes go through [`Store::write`]: a list of [`WriteOp`]s applied in one transaction. The
//! SQLite implementation funnels every caller's writes to one writer thread that commits them in
//! groups (group commit), so each acknowledged write is durable (`synchronous=FULL`, one fsync
//! per group) without paying one fsync per write. After each commit, the [`CommitHook`] sees what
//! changed, in commit order: the node feeds its live stream and federation from it.
//!
//! The store never decides who may see what: [`Store::scan`] takes a `keep` predicate, and the
//! node passes the marking rule in it.
//!
//! ```
//! use liptako_model::*;
//! use liptako_store::{SqliteStore, Store, WriteOp, WriteOutcome};
//! let dir = tempfile::tempdir().unwrap();
//! let store = SqliteStore::open(&dir.path().join("liptako.db"), None).unwrap();
//! let draft = Draft {
//!     id: uuid::Uuid::new_v4(),
//!     origin: Nation::parse("MLI").unwrap(),
//!     expect: Expect::New,
//!     at: time::OffsetDateTime::now_utc(),
//!     marking: Marking::new("DR", ["AES"]),
//!     valid_until: None,
//!     exercise: None,
//!     body: Some(Body::Report(Report { kind: ReportKind::Incident, title: "Convoy hit".into(),
//!         body: String::new(), location: Some(Point::new(14.2, 0.9)) })),
//! };
//! let outcomes = store.write(vec![WriteOp::Local { draft, actor: "awa".into() }]).unwrap();
//! let WriteOutcome::Committed(change) = &outcomes[0] else { panic!() };
//! assert_eq!(change.object.meta.version, 1);
//! assert!(store.get(change.object.meta.id).unwrap().is_some());
//! ```

mod schema;
mod sqlite;

use std::sync::Arc;

use liptako_model::{BBox, Draft, Marking, Meta, Nation, Object, ObjectType, Role, WriteConflict};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

pub use sqlite::SqliteStore;

/// The persistence interface the node is written against.
pub trait Store: Send + Sync + 'static {
    /// Queues a write job: its ops are applied in one durable transaction and `job.done` is
    /// called with one outcome per op, in order, once durable (or with the error that stopped
    /// it). An op that does not apply (a stale version, say) is an outcome, not an error; an
    /// error means nothing of this job was written.
    ///
    /// With `wait` false this never blocks: a full queue hands the job back (`Err(job)`), and
    /// the caller may retry with `wait` true from a thread that may block. With `wait` true it
    /// blocks until the queue has room (back-pressure) and always returns `Ok`.
    fn submit(&self, job: WriteJob, wait: bool) -> Result<(), WriteJob>;

    /// Applies `ops` and blocks until they are durable (see [`Store::submit`]).
    fn write(&self, ops: Vec<WriteOp>) -> Result<Vec<WriteOutcome>, StoreError> {
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        let done: WriteCallback = Box::new(move |result| {
            let _ = reply.send(result);
        });
        // With wait=true the job is always taken.
        let _ = self.submit(WriteJob { ops, done }, true);
        answer.recv().map_err(|_| StoreError::WriterGone)?
    }

    /// The latest version of an object (tombstones included), whoever may see it, with its
    /// stored JSON.
    fn get(&self, id: Uuid) -> Result<Option<Stored>, StoreError>;

    /// Latest versions matching `query`, newest change first, keeping those `keep` accepts,
    /// until `query.limit` are kept or the scan budget is spent.
    fn scan(
        &self,
        query: &Query,
        keep: &mut dyn FnMut(&Object) -> bool,
    ) -> Result<Page, StoreError>;

    /// Latest versions of one type in one world in this store's order of arrival (oldest
    /// first), after position `query.after`, each with its position and when this store took
    /// it, keeping those `keep` accepts until `query.limit` are kept or the rows end. Deleted
    /// objects are left out. An object changed since a page was read has moved past it: a
    /// reader paging forward by position sees every latest version once, whatever their times.
    fn arrivals(
        &self,
        query: &ArrivalQuery,
        keep: &mut dyn FnMut(&Object) -> bool,
    ) -> Result<Vec<Arrival>, StoreError>;

    /// Every version of `id` this store holds with its content (not those a recall dropped),
    /// oldest first, each with its position and when this store took it.
    fn version_arrivals(&self, id: Uuid) -> Result<Vec<Arrival>, StoreError>;

    /// The picture this store held at `at` (by its own clock of arrival), for replay: per
    /// object of `object_type` in `world`, the newest version it had taken at or before `at`,
    /// unless that version was a deletion or a recall has since dropped its content (a recalled
    /// version is never shown again, not even in the past). In order of arrival after position
    /// `after`, keeping those `keep` accepts until `limit` are kept or the rows end.
    fn held_at(
        &self,
        at: OffsetDateTime,
        object_type: ObjectType,
        world: Option<&str>,
        after: Option<u64>,
        limit: usize,
        keep: &mut dyn FnMut(&Object) -> bool,
    ) -> Result<Page, StoreError>;

    /// The versions this store took after `from` and at or before `to` (its own clock of
    /// arrival) of objects in `world`, in order of arrival after position `after`, at most
    /// `limit`; each with its position, when it was taken and the envelope of the version
    /// before it. Versions whose content a recall dropped are left out.
    fn taken_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
        world: Option<&str>,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Taken>, StoreError>;

    /// Entries of `origin`'s log with a sequence number above `after_seq`, in order.
    fn log_after(
        &self,
        origin: Nation,
        after_seq: u64,
        limit: usize,
    ) -> Result<Vec<LogEntry>, StoreError>;

    /// The versions of `id` this store holds, newest first, at most `limit`: each with its
    /// JSON, or only its envelope where a recall dropped the content (`LogBody::Dropped`).
    /// Whoever may see them: the caller applies the marking rule to each.
    fn versions(&self, id: Uuid, limit: usize) -> Result<Vec<LogEntry>, StoreError>;

    /// The log entry of `id`'s version `version` (held or dropped), if this store has it.
    fn log_version(&self, id: Uuid, version: u64) -> Result<Option<LogEntry>, StoreError>;

    /// The envelope of the latest version of `id` below `below_version` that this store held
    /// (including one whose content a recall dropped).
    fn version_before(&self, id: Uuid, below_version: u64) -> Result<Option<Meta>, StoreError>;

    /// What decides access to the versions of `id` above `above_version` that this store
    /// holds (including those whose content a recall dropped), oldest first, given only where
    /// it changes: each version whose marking, world or tombstone flag differs from the held
    /// version before it. Every later version is allowed to an audience if `above_version` and
    /// each of these are; the first one refused is the first later version refused. One index
    /// range per object, whatever its number of versions.
    fn envelope_changes_after(
        &self,
        id: Uuid,
        above_version: u64,
    ) -> Result<Vec<Envelope>, StoreError>;

    /// How far this store has applied each origin's log as received from `peer`.
    fn cursors(&self, peer: Nation) -> Result<Vec<(Nation, u64)>, StoreError>;

    /// Every origin this store holds a log for, with its highest sequence number.
    fn log_heads(&self) -> Result<Vec<(Nation, u64)>, StoreError>;

    /// Audit records, newest first.
    fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError>;

    /// Who created object `id` on this node (the actor of its first local version), if it was
    /// created here.
    fn author(&self, id: Uuid) -> Result<Option<String>, StoreError>;

    /// One user by name.
    fn user(&self, name: &str) -> Result<Option<UserRecord>, StoreError>;

    /// The newest recorded state of each air track in `[from, to)`, by uid, at most `limit`
    /// tracks (the picture at a time, for replay).
    fn air_latest(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<AirHistoryRow>, StoreError>;

    /// Thinned air-track states in a time window, oldest first (for replay), each with its
    /// position in the history (pass the last one as `after_id` for the next page).
    fn air_history(&self, query: &AirHistoryQuery)
    -> Result<Vec<(u64, AirHistoryRow)>, StoreError>;

    /// Every user, by name.
    fn users(&self) -> Result<Vec<UserRecord>, StoreError>;
}

/// Called with the outcome of a write job once it is durable, on the store's writer thread:
/// it must not block (send to a channel and return).
pub type WriteCallback = Box<dyn FnOnce(Result<Vec<WriteOutcome>, StoreError>) + Send + 'static>;

/// Ops to apply in one transaction, and what to call when they are durable.
pub struct WriteJob {
    /// The ops, applied all or nothing.
    pub ops: Vec<WriteOp>,
    /// Called once, with one outcome per op.
    pub done: WriteCallback,
}

impl std::fmt::Debug for WriteJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteJob")
            .field("ops", &self.ops)
            .finish_non_exhaustive()
    }
}

/// One change to make.
#[derive(Debug, Clone)]
pub enum WriteOp {
    /// A change made on this node, the object's origin: versioned by
    /// [`liptako_model::next_version`] under the draft's precondition, appended to the origin's
    /// log, and audited with `actor`.
    Local {
        /// The change.
        draft: Draft,
        /// Who made it (user name, client certificate, feed).
        actor: String,
    },
    /// A version or recall received from a partner node (`peer`), entry `seq` of `origin`'s
    /// log. Idempotent: what is already held (same or newer version) is skipped. Advances the
    /// cursor (`peer`, `origin`) to `seq`.
    Replica {
        /// The partner it came from.
        peer: Nation,
        /// The origin whose log it belongs to.
        origin: Nation,
        /// Its sequence number in that log.
        seq: u64,
        /// The version, or the recall.
        entry: ReplicaEntry,
        /// When this node received it (its clock): the entry's `appended` time here.
        at: OffsetDateTime,
        /// The origin's signed statement that makes the entry verifiable (kept opaque here,
        /// relayed as it came): for a version, its attestation; for a recall, its proof.
        attestation: Vec<u8>,
    },
    /// Advances the cursor (`peer`, `origin`) to `seq` without applying anything (an entry
    /// refused by the receiving node's own checks).
    Cursor {
        /// The partner.
        peer: Nation,
        /// The origin.
        origin: Nation,
        /// The sequence number reached.
        seq: u64,
    },
    /// An audit record on its own (releases, recalls, logins).
    Audit(AuditEntry),
    /// Creates or replaces a user.
    PutUser(UserRecord),
    /// Appends thinned air-track states (the air picture's history, for replay).
    AirHistory(Vec<AirHistoryRow>),
    /// Forgets air-track states older than `before` (history retention).
    PurgeAirHistory {
        /// States strictly older than this go.
        before: OffsetDateTime,
    },
}

/// What became of one [`WriteOp`].
#[derive(Debug, Clone)]
pub enum WriteOutcome {
    /// An object version was written.
    Committed(Committed),
    /// The precondition failed; nothing was written for this op.
    Conflict(WriteConflict),
    /// A recall was applied: the object is no longer held here.
    Recalled(Recalled),
    /// A replica already held (same or newer version): nothing changed but the cursor.
    Skipped,
    /// Written (audit record, cursor, history).
    Done,
    /// A user account was created or changed (every door decides again for its sessions).
    User(String),
}

/// What a partner node sent: a version of an object, or a recall of one.
#[derive(Debug, Clone)]
pub enum ReplicaEntry {
    /// A version to hold.
    Version(Box<Object>),
    /// The object is no longer releasable here from this version on: drop it.
    Recall {
        /// The object.
        id: Uuid,
        /// The version that is not releasable here.
        version: u64,
    },
}

/// A recall applied: the object's content was dropped from this store.
#[derive(Debug, Clone)]
pub struct Recalled {
    /// The object's origin.
    pub origin: Nation,
    /// The object.
    pub id: Uuid,
    /// The version that was not releasable here.
    pub version: u64,
    /// The version that was held, if one was (in memory only: it is gone from the store).
    pub previous: Option<Arc<Object>>,
}

/// One committed change, as the commit hook sees it.
#[derive(Debug, Clone)]
pub enum Change {
    /// A new version (local or replica).
    Version(Committed),
    /// A recall.
    Recall(Recalled),
    /// A user account was created or changed: its name.
    User(String),
}

/// A written object version, as the commit hook and the writer see it.
#[derive(Debug, Clone)]
pub struct Committed {
    /// The new version.
    pub object: Arc<Object>,
    /// Its sequence number in its origin's log.
    pub seq: u64,
    /// Local change sequence: the order in which this store took changes, all origins mixed.
    pub lseq: u64,
    /// The envelope of the version it replaced, if any (so a live stream can tell a
    /// subscriber who saw the old version that the new one is not for them).
    pub previous: Option<Meta>,
    /// The version as stored: the object's JSON, serialised once and shared by every reader
    /// downstream (live stream, federation).
    pub payload: Arc<[u8]>,
}

/// An object version with its stored JSON (which is also its API representation).
#[derive(Debug, Clone)]
pub struct Stored {
    /// The version.
    pub object: Arc<Object>,
    /// Its JSON, as stored.
    pub payload: Arc<[u8]>,
}

/// Called by the writer after each durable commit with what it changed, in commit order.
/// It must not block (send to a channel and return).
pub type CommitHook = Box<dyn Fn(&[Change]) + Send + 'static>;

/// A version as this store took it (for replay).
#[derive(Debug, Clone)]
pub struct Taken {
    /// Its position in this store's order of arrival.
    pub position: u64,
    /// When this store took it.
    pub at: OffsetDateTime,
    /// The version.
    pub object: Object,
    /// The envelope of the version before it, if this store held one.
    pub previous: Option<Meta>,
}

/// One entry of a per-origin log.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// The origin's sequence number.
    pub seq: u64,
    /// The object.
    pub id: Uuid,
    /// The object's version this entry is about.
    pub version: u64,
    /// When this store appended the entry (its own clock).
    pub appended: OffsetDateTime,
    /// What the entry holds.
    pub body: LogBody,
    /// The origin's signed statement received with the entry (a partner's entries only; this
    /// node signs its own when it sends them). Kept when a recall drops the content.
    pub attestation: Option<Arc<[u8]>>,
}

/// The content of a log entry.
#[derive(Debug, Clone)]
pub enum LogBody {
    /// A version held here: its envelope and its stored JSON.
    Version {
        /// The version's envelope.
        meta: Meta,
        /// The version's JSON.
        payload: Arc<[u8]>,
    },
    /// A version once held whose content a recall dropped: only its envelope is left.
    Dropped {
        /// The version's envelope.
        meta: Meta,
    },
    /// A recall received from a partner (relayed onward to those who held the object).
    Recall,
}

/// What a scan looks for. Every field narrows; `cursor` continues a previous page.
#[derive(Debug, Clone)]
pub struct Query {
    /// The object type.
    pub object_type: ObjectType,
    /// The exercise whose world to read; `None` is the real world.
    pub exercise: Option<String>,
    /// Only this sub-kind (report kind, zone kind).
    pub kind: Option<String>,
    /// Only objects whose geometry's box meets this one.
    pub bbox: Option<BBox>,
    /// Only versions made at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Only objects whose text contains these words (case-insensitive).
    pub text: Option<String>,
    /// Leave out objects whose validity ended before this time (`None`: keep all).
    pub valid_at: Option<OffsetDateTime>,
    /// Continue after this position (from [`Page::next_cursor`]).
    pub cursor: Option<u64>,
    /// How many objects to return at most.
    pub limit: usize,
    /// How many rows to examine at most before returning a short page with a cursor.
    pub scan_budget: usize,
}

impl Query {
    /// A query for every live object of one type in the real world.
    pub fn all(object_type: ObjectType, limit: usize) -> Query {
        Query {
            object_type,
            exercise: None,
            kind: None,
            bbox: None,
            since: None,
            text: None,
            valid_at: None,
            cursor: None,
            limit,
            scan_budget: limit.saturating_mul(20).max(10_000),
        }
    }
}

/// What [`Store::arrivals`] reads.
#[derive(Debug, Clone)]
pub struct ArrivalQuery {
    /// The object type.
    pub object_type: ObjectType,
    /// The exercise whose world to read; `None` is the real world.
    pub exercise: Option<String>,
    /// Only positions above this one (0: from the start).
    pub after: u64,
    /// Only versions this store took strictly after this time.
    pub added_after: Option<OffsetDateTime>,
    /// How many objects to return at most.
    pub limit: usize,
}

/// A version and where it stands in this store's order of arrival.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// Its position (this store's local change sequence, `lseq`): increasing with arrival.
    pub position: u64,
    /// When this store took it (its own clock).
    pub added: OffsetDateTime,
    /// The version.
    pub object: Object,
}

/// One page of a scan.
#[derive(Debug, Clone)]
pub struct Page {
    /// The objects kept, newest change first.
    pub objects: Vec<Object>,
    /// Where the next page starts, if more rows may match.
    pub next_cursor: Option<u64>,
}

/// An audit record to write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who (a user, a node, a client).
    pub actor: String,
    /// What: `create`, `update`, `delete`, `release`, `recall`, `login_failed`, ...
    pub action: String,
    /// Which object, if any.
    pub object_id: Option<Uuid>,
    /// Which version, if any.
    pub version: Option<u64>,
    /// To which partner nation, for releases and recalls.
    pub partner: Option<Nation>,
    /// Anything else, as text.
    pub detail: String,
}

/// A stored audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Its position in the audit log.
    pub id: u64,
    /// The record.
    #[serde(flatten)]
    pub entry: AuditEntry,
}

/// Which audit records to read.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only this action.
    pub action: Option<String>,
    /// Only this partner.
    pub partner: Option<Nation>,
    /// Only this object.
    pub object_id: Option<Uuid>,
    /// Only at or after.
    pub since: Option<OffsetDateTime>,
    /// Only records with an id below this (for paging back).
    pub before_id: Option<u64>,
    /// At most this many.
    pub limit: usize,
}

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// Login name.
    pub name: String,
    /// The user's nation.
    pub nation: Nation,
    /// Clearance level.
    pub clearance: String,
    /// Role.
    pub role: Role,
    /// Argon2 PHC string.
    pub password_hash: String,
    /// When the account was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// A disabled account cannot log in, and its sessions end.
    pub disabled: bool,
    /// Bumped when the password is reset or the account disabled: every session token issued
    /// under an older generation stops working.
    #[serde(default)]
    pub session_gen: u64,
}

/// One thinned state of an air track. The store keeps what the air picture hands it: the
/// columns a replay selects and filters on (time, track, origin, marking, position) and the
/// track's JSON as the API shows it, so a replay shows what was seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AirHistoryRow {
    /// When the track had this state.
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// The nation whose node made the track.
    pub origin: Nation,
    /// The track's uid (stable for its life).
    pub uid: String,
    /// Who may see it (the marking rule decides on replay).
    pub marking: Marking,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// The track as the API showed it, JSON.
    pub payload: String,
}

/// What decides access to one version: its origin, marking, world and tombstone flag.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// The object's origin.
    pub origin: Nation,
    /// The version.
    pub version: u64,
    /// Its marking.
    pub marking: Marking,
    /// Its exercise world.
    pub exercise: Option<String>,
    /// Whether it is a tombstone.
    pub deleted: bool,
}

impl liptako_model::Marked for Envelope {
    fn origin(&self) -> Nation {
        self.origin
    }
    fn marking(&self) -> &Marking {
        &self.marking
    }
    fn world(&self) -> Option<&str> {
        self.exercise.as_deref()
    }
    fn is_deleted(&self) -> bool {
        self.deleted
    }
}

/// Recorded air tracks belong to the real world: the air picture records no exercise tracks.
impl liptako_model::Marked for AirHistoryRow {
    fn origin(&self) -> Nation {
        self.origin
    }
    fn marking(&self) -> &Marking {
        &self.marking
    }
    fn world(&self) -> Option<&str> {
        None
    }
}

/// Which air-track states to read.
#[derive(Debug, Clone)]
pub struct AirHistoryQuery {
    /// At or after this time.
    pub from: OffsetDateTime,
    /// Before this time.
    pub to: OffsetDateTime,
    /// Only this track.
    pub uid: Option<String>,
    /// Continue after this position (the `id` of the last row of the previous page).
    pub after_id: Option<u64>,
    /// At most this many rows.
    pub limit: usize,
}

/// A failure of the store itself (not of a precondition).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored payload does not decode.
    #[error("stored payload of {what} does not decode: {source}")]
    Payload {
        /// Which row.
        what: String,
        /// Why.
        source: serde_json::Error,
    },
    /// The database was written by a newer Liptako.
    #[error("database schema version {found} is newer than this program's {supported}")]
    SchemaTooNew {
        /// In the file.
        found: i64,
        /// Known here.
        supported: i64,
    },
    /// The writer thread is gone (the store is shutting down or crashed).
    #[error("the store's writer has stopped")]
    WriterGone,
    /// Could not open or create the database.
    #[error("{0}")]
    Open(String),
}
