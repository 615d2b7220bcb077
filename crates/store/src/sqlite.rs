//! [`SqliteStore`]: the embedded store, one SQLite file in WAL mode.
//!
//! - **Writes** go to one writer thread through a bounded queue ([`WRITE_QUEUE_JOBS`] jobs; when
//!   full, callers wait: back-pressure). The writer takes every job waiting, up to
//!   [`MAX_GROUP_OPS`] ops, applies them in one transaction (each job under its own savepoint,
//!   so a failing job fails alone), commits with `synchronous=FULL`, calls the commit hook, then
//!   answers each caller. One fsync covers the whole group.
//! - **Reads** use a small pool of read-only connections; WAL lets them run beside the writer
//!   and see every committed write.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use liptako_model::{Marking, Meta, Nation, Object, ObjectType, next_version};
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::schema;
use crate::{
    AirHistoryQuery, AirHistoryRow, Arrival, ArrivalQuery, AuditEntry, AuditQuery, AuditRecord,
    Change, CommitHook, Committed, Envelope, LogBody, LogEntry, Page, Query, Recalled,
    ReplicaEntry, Store, StoreError, Stored, Taken, UserRecord, WriteCallback, WriteJob, WriteOp,
    WriteOutcome,
};

/// Jobs (calls to `write`) that may wait for the writer before callers block.
pub const WRITE_QUEUE_JOBS: usize = 1024;
/// Most ops committed in one group.
pub const MAX_GROUP_OPS: usize = 2048;
/// Read connections in the pool.
const N_READERS: usize = 4;
/// How long a connection waits for a lock held by another process (e.g. `liptako user add`
/// while the server runs) before failing.
const BUSY_TIMEOUT_MS: u64 = 10_000;

/// The embedded store.
pub struct SqliteStore {
    path: PathBuf,
    jobs: Option<SyncSender<Job>>,
    writer: Option<JoinHandle<()>>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

struct Job {
    ops: Vec<WriteOp>,
    done: WriteCallback,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, migrates it, and starts the writer.
    /// `hook` is called after each commit with the object versions it wrote.
    pub fn open(path: &Path, hook: Option<CommitHook>) -> Result<SqliteStore, StoreError> {
        let mut conn = open_connection(path, false)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        schema::migrate(&mut conn)?;
        let readers = (0..N_READERS)
            .map(|_| open_connection(path, true).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        let (jobs, queue) = mpsc::sync_channel::<Job>(WRITE_QUEUE_JOBS);
        let writer = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || run_writer(conn, queue, hook))
            .map_err(|err| StoreError::Open(format!("cannot start the writer thread: {err}")))?;
        Ok(SqliteStore {
            path: path.to_owned(),
            jobs: Some(jobs),
            writer: Some(writer),
            readers,
            next_reader: AtomicUsize::new(0),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for offset in 0..self.readers.len() {
            let idx = (start + offset) % self.readers.len();
            if let Some(Ok(conn)) = self.readers.get(idx).map(Mutex::try_lock) {
                return conn;
            }
        }
        let idx = start % self.readers.len();
        // A poisoned reader only means another reader panicked mid-query; the connection is
        // still usable, so take it back.
        match self.readers[idx].lock() {
            Ok(conn) => conn,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // Closing the queue ends the writer's loop once it has finished what it holds.
        self.jobs.take();
        if let Some(writer) = self.writer.take()
            && writer.join().is_err()
        {
            tracing::error!("store writer thread panicked");
        }
    }
}

fn open_connection(path: &Path, read_only: bool) -> Result<Connection, StoreError> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|err| StoreError::Open(format!("cannot open {}: {err}", path.display())))?;
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))?;
    // FULL: a commit is on disk (WAL fsynced) before the writer acknowledges it.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "cache_size", -16_000)?;
    // Deleted content is overwritten, not left in free pages: a recalled object must not
    // linger on disk.
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(conn)
}

impl Store for SqliteStore {
    fn submit(&self, job: WriteJob, wait: bool) -> Result<(), WriteJob> {
        let WriteJob { ops, done } = job;
        if ops.is_empty() {
            done(Ok(Vec::new()));
            return Ok(());
        }
        let Some(jobs) = self.jobs.as_ref() else {
            done(Err(StoreError::WriterGone));
            return Ok(());
        };
        let job = Job { ops, done };
        let sent = if wait {
            jobs.send(job).map_err(|mpsc::SendError(job)| job)
        } else {
            match jobs.try_send(job) {
                Ok(()) => Ok(()),
                Err(TrySendError::Full(job)) => {
                    return Err(WriteJob {
                        ops: job.ops,
                        done: job.done,
                    });
                }
                Err(TrySendError::Disconnected(job)) => Err(job),
            }
        };
        if let Err(job) = sent {
            (job.done)(Err(StoreError::WriterGone));
        }
        Ok(())
    }

    fn get(&self, id: Uuid) -> Result<Option<Stored>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached("SELECT payload FROM latest WHERE id = ?1")?;
        let payload: Option<Vec<u8>> = stmt
            .query_row([id.as_bytes().as_slice()], |row| row.get(0))
            .optional()?;
        payload
            .map(|bytes| {
                let object = decode(&bytes, || format!("object {id}"))?;
                Ok(Stored {
                    object: Arc::new(object),
                    payload: bytes.into(),
                })
            })
            .transpose()
    }

    fn scan(
        &self,
        query: &Query,
        keep: &mut dyn FnMut(&Object) -> bool,
    ) -> Result<Page, StoreError> {
        let mut sql = String::from(
            "SELECT payload, lseq FROM latest WHERE type = ? AND exercise = ? AND deleted = 0",
        );
        let mut args: Vec<Value> = vec![
            Value::Text(query.object_type.as_str().to_owned()),
            Value::Text(query.exercise.clone().unwrap_or_default()),
        ];
        if let Some(cursor) = query.cursor {
            sql.push_str(" AND lseq < ?");
            args.push(Value::Integer(clamp_i64(cursor)));
        }
        if let Some(kind) = &query.kind {
            sql.push_str(" AND kind = ?");
            args.push(Value::Text(kind.clone()));
        }
        if let Some(since) = query.since {
            sql.push_str(" AND updated >= ?");
            args.push(Value::Integer(micros(since)));
        }
        if let Some(valid_at) = query.valid_at {
            sql.push_str(" AND (valid_until IS NULL OR valid_until > ?)");
            args.push(Value::Integer(micros(valid_at)));
        }
        if let Some(bbox) = query.bbox {
            sql.push_str(" AND max_lat >= ? AND min_lat <= ? AND max_lon >= ? AND min_lon <= ?");
            args.extend(
                [bbox.south, bbox.north, bbox.west, bbox.east]
                    .into_iter()
                    .map(Value::Real),
            );
        }
        if let Some(text) = &query.text {
            sql.push_str(" AND text LIKE ? ESCAPE '\\'");
            args.push(Value::Text(format!(
                "%{}%",
                escape_like(&text.to_lowercase())
            )));
        }
        sql.push_str(" ORDER BY lseq DESC LIMIT ?");
        let budget = query.scan_budget.max(1);
        args.push(Value::Integer(clamp_i64(budget as u64)));

        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut objects = Vec::new();
        let mut n_scanned = 0usize;
        let mut last_lseq = None;
        while let Some(row) = rows.next()? {
            n_scanned += 1;
            let lseq: i64 = row.get(1)?;
            last_lseq = Some(lseq as u64);
            let object = decode(blob(row, 0)?, || format!("latest row lseq {lseq}"))?;
            if keep(&object) {
                objects.push(object);
                if objects.len() >= query.limit {
                    return Ok(Page {
                        objects,
                        next_cursor: last_lseq,
                    });
                }
            }
        }
        let next_cursor = if n_scanned >= budget { last_lseq } else { None };
        Ok(Page {
            objects,
            next_cursor,
        })
    }

    fn arrivals(
        &self,
        query: &ArrivalQuery,
        keep: &mut dyn FnMut(&Object) -> bool,
    ) -> Result<Vec<Arrival>, StoreError> {
        let mut sql = String::from(
            "SELECT l.payload, l.lseq, g.appended FROM latest l JOIN log g ON g.lseq = l.lseq
             WHERE l.type = ?1 AND l.exercise = ?2 AND l.deleted = 0 AND l.lseq > ?3",
        );
        let mut args: Vec<Value> = vec![
            Value::Text(query.object_type.as_str().to_owned()),
            Value::Text(query.exercise.clone().unwrap_or_default()),
            Value::Integer(clamp_i64(query.after)),
        ];
        if let Some(added_after) = query.added_after {
            sql.push_str(" AND g.appended > ?4");
            args.push(Value::Integer(micros(added_after)));
        }
        sql.push_str(" ORDER BY l.lseq");
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut arrivals = Vec::new();
        while arrivals.len() < query.limit
            && let Some(row) = rows.next()?
        {
            let lseq: i64 = row.get(1)?;
            let object = decode(blob(row, 0)?, || format!("latest row lseq {lseq}"))?;
            if keep(&object) {
                arrivals.push(Arrival {
                    position: lseq as u64,
                    added: from_micros(row.get(2)?),
                    object,
                });
            }
        }
        Ok(arrivals)
    }

    fn version_arrivals(&self, id: Uuid) -> Result<Vec<Arrival>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT payload, lseq, appended FROM log WHERE id = ?1 AND state = 0 ORDER BY version",
        )?;
        let mut rows = stmt.query([id.as_bytes().as_slice()])?;
        let mut versions = Vec::new();
        while let Some(row) = rows.next()? {
            let lseq: i64 = row.get(1)?;
            versions.push(Arrival {
                position: lseq as u64,
                added: from_micros(row.get(2)?),
                object: decode(blob(row, 0)?, || format!("log lseq {lseq}"))?,
            });
        }
        Ok(versions)
    }

    fn log_after(
        &self,
        origin: Nation,
        after_seq: u64,
        limit: usize,
    ) -> Result<Vec<LogEntry>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT seq, id, version, state, payload, appended, attestation FROM log
             WHERE origin = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )?;
        let mut rows = stmt.query(params![
            origin.as_str(),
            clamp_i64(after_seq),
            clamp_i64(limit as u64)
        ])?;
        let mut entries = Vec::new();
        while let Some(row) = rows.next()? {
            entries.push(log_entry(row, || format!("log {origin}"))?);
        }
        Ok(entries)
    }

    fn versions(&self, id: Uuid, limit: usize) -> Result<Vec<LogEntry>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT seq, id, version, state, payload, appended, attestation FROM log
             WHERE id = ?1 AND state IN (0, 1) ORDER BY version DESC LIMIT ?2",
        )?;
        let mut rows = stmt.query(params![id.as_bytes().as_slice(), clamp_i64(limit as u64)])?;
        let mut entries = Vec::new();
        while let Some(row) = rows.next()? {
            entries.push(log_entry(row, || format!("log of {id}"))?);
        }
        Ok(entries)
    }

    fn log_version(&self, id: Uuid, version: u64) -> Result<Option<LogEntry>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT seq, id, version, state, payload, appended, attestation FROM log
             WHERE id = ?1 AND version = ?2 AND state IN (0, 1) LIMIT 1",
        )?;
        let mut rows = stmt.query(params![id.as_bytes().as_slice(), clamp_i64(version)])?;
        match rows.next()? {
            Some(row) => Ok(Some(log_entry(row, || format!("log of {id}"))?)),
            None => Ok(None),
        }
    }

    fn version_before(&self, id: Uuid, below_version: u64) -> Result<Option<Meta>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT payload FROM log WHERE id = ?1 AND version < ?2 AND state IN (0, 1)
             ORDER BY version DESC LIMIT 1",
        )?;
        let mut rows = stmt.query(params![id.as_bytes().as_slice(), clamp_i64(below_version)])?;
        match rows.next()? {
            Some(row) => Ok(Some(decode_meta(blob(row, 0)?, || format!("log of {id}"))?)),
            None => Ok(None),
        }
    }

    fn held_at(
        &self,
        at: OffsetDateTime,
        object_type: ObjectType,
        world: Option<&str>,
        after: Option<u64>,
        limit: usize,
        keep: &mut dyn FnMut(&Object) -> bool,
    ) -> Result<Page, StoreError> {
        // Per object of the type and world (from the latest row: an object's type never
        // changes, its world neither), its newest version appended by `at` (held or dropped
        // since), found by index (`log_by_object_time`); then that row if its content is still
        // held. One index seek per object, whatever the length of the history.
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT g.payload, g.lseq FROM latest l
             JOIN log g ON g.lseq = (
                 SELECT h.lseq FROM log h
                 WHERE h.id = l.id AND h.appended <= ?1 AND h.state IN (0, 1)
                 ORDER BY h.appended DESC, h.version DESC LIMIT 1)
             WHERE l.type = ?2 AND l.exercise = ?3 AND g.state = 0 AND g.lseq > ?4
             ORDER BY g.lseq",
        )?;
        let mut rows = stmt.query(params![
            micros(at),
            object_type.as_str(),
            world.unwrap_or_default(),
            clamp_i64(after.unwrap_or(0)),
        ])?;
        let mut objects = Vec::new();
        while let Some(row) = rows.next()? {
            let lseq: i64 = row.get(1)?;
            let object = decode(blob(row, 0)?, || format!("log row lseq {lseq}"))?;
            if object.meta.deleted || !keep(&object) {
                continue;
            }
            objects.push(object);
            if objects.len() >= limit.max(1) {
                // More may follow: the caller continues after the last one kept.
                return Ok(Page {
                    objects,
                    next_cursor: Some(lseq as u64),
                });
            }
        }
        Ok(Page {
            objects,
            next_cursor: None,
        })
    }

    fn taken_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
        world: Option<&str>,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Taken>, StoreError> {
        let mut taken = Vec::new();
        {
            let conn = self.reader();
            let mut stmt = conn.prepare_cached(
                "SELECT g.lseq, g.appended, g.payload FROM log g JOIN latest l ON l.id = g.id
                 WHERE g.state = 0 AND g.appended > ?1 AND g.appended <= ?2 AND l.exercise = ?3
                   AND g.lseq > ?4
                 ORDER BY g.lseq LIMIT ?5",
            )?;
            let mut rows = stmt.query(params![
                micros(from),
                micros(to),
                world.unwrap_or_default(),
                clamp_i64(after.unwrap_or(0)),
                clamp_i64(limit as u64),
            ])?;
            while let Some(row) = rows.next()? {
                let lseq: i64 = row.get(0)?;
                taken.push(Taken {
                    position: lseq as u64,
                    at: from_micros(row.get(1)?),
                    object: decode(blob(row, 2)?, || format!("log row lseq {lseq}"))?,
                    previous: None,
                });
            }
        }
        for version in &mut taken {
            version.previous =
                self.version_before(version.object.meta.id, version.object.meta.version)?;
        }
        Ok(taken)
    }

    fn envelope_changes_after(
        &self,
        id: Uuid,
        above_version: u64,
    ) -> Result<Vec<Envelope>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT version, origin, marking, exercise, deleted FROM envelope_changes
             WHERE id = ?1 AND version > ?2 ORDER BY version",
        )?;
        let mut rows = stmt.query(params![id.as_bytes().as_slice(), clamp_i64(above_version)])?;
        let mut envelopes = Vec::new();
        while let Some(row) = rows.next()? {
            let version: i64 = row.get(0)?;
            let origin: String = row.get(1)?;
            let marking: String = row.get(2)?;
            let what = || format!("envelope of {id} version {version}");
            envelopes.push(Envelope {
                origin: Nation::parse(&origin)
                    .map_err(|_| StoreError::Open(format!("{}: bad origin", what())))?,
                version: version as u64,
                marking: serde_json::from_str(&marking).map_err(|source| StoreError::Payload {
                    what: what(),
                    source,
                })?,
                exercise: row.get(3)?,
                deleted: row.get::<_, i64>(4)? != 0,
            });
        }
        Ok(envelopes)
    }

    fn cursors(&self, peer: Nation) -> Result<Vec<(Nation, u64)>, StoreError> {
        let conn = self.reader();
        let mut stmt =
            conn.prepare_cached("SELECT origin, seq FROM cursors WHERE peer = ?1 ORDER BY origin")?;
        let mut rows = stmt.query([peer.as_str()])?;
        let mut cursors = Vec::new();
        while let Some(row) = rows.next()? {
            let origin: String = row.get(0)?;
            let seq: i64 = row.get(1)?;
            if let Ok(origin) = Nation::parse(&origin) {
                cursors.push((origin, seq as u64));
            }
        }
        Ok(cursors)
    }

    fn log_heads(&self) -> Result<Vec<(Nation, u64)>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached("SELECT origin, max(seq) FROM log GROUP BY origin ORDER BY origin")?;
        let mut rows = stmt.query([])?;
        let mut heads = Vec::new();
        while let Some(row) = rows.next()? {
            let origin: String = row.get(0)?;
            let seq: i64 = row.get(1)?;
            if let Ok(nation) = Nation::parse(&origin) {
                heads.push((nation, seq as u64));
            }
        }
        Ok(heads)
    }

    fn air_latest(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<AirHistoryRow>, StoreError> {
        // One row per uid: SQLite takes the bare columns from the row with the newest time.
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id, max(time), origin, uid, marking, lat, lon, payload
             FROM air_history INDEXED BY air_history_by_time
             WHERE time >= ?1 AND time < ?2 GROUP BY uid ORDER BY uid LIMIT ?3",
        )?;
        let mut rows = stmt.query(params![micros(from), micros(to), clamp_i64(limit as u64)])?;
        let mut out = Vec::new();
        let mut markings: HashMap<String, Marking> = HashMap::new();
        while let Some(row) = rows.next()? {
            out.push(air_row(row, &mut markings)?.1);
        }
        Ok(out)
    }

    fn air_history(
        &self,
        query: &AirHistoryQuery,
    ) -> Result<Vec<(u64, AirHistoryRow)>, StoreError> {
        // The time index, always: with `id > ?` SQLite would otherwise walk the rowid from the
        // cursor to the end of the table (every later row of the history) to fill a page.
        let mut sql = String::from(
            "SELECT id, time, origin, uid, marking, lat, lon, payload FROM air_history
             INDEXED BY air_history_by_time WHERE time >= ? AND time < ?",
        );
        let mut args = vec![
            Value::Integer(micros(query.from)),
            Value::Integer(micros(query.to)),
        ];
        if let Some(uid) = &query.uid {
            sql.push_str(" AND uid = ?");
            args.push(Value::Text(uid.clone()));
        }
        if let Some(after) = query.after_id {
            sql.push_str(" AND id > ?");
            args.push(Value::Integer(clamp_i64(after)));
        }
        sql.push_str(" ORDER BY id LIMIT ?");
        args.push(Value::Integer(clamp_i64(query.limit as u64)));
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut out = Vec::new();
        // Rows share a few markings: each is parsed once.
        let mut markings: HashMap<String, Marking> = HashMap::new();
        while let Some(row) = rows.next()? {
            out.push(air_row(row, &mut markings)?);
        }
        Ok(out)
    }

    fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        let mut sql = String::from(
            "SELECT id, at, actor, action, object_id, version, partner, detail FROM audit WHERE 1=1",
        );
        let mut args: Vec<Value> = Vec::new();
        if let Some(action) = &query.action {
            sql.push_str(" AND action = ?");
            args.push(Value::Text(action.clone()));
        }
        if let Some(partner) = query.partner {
            sql.push_str(" AND partner = ?");
            args.push(Value::Text(partner.as_str().to_owned()));
        }
        if let Some(object_id) = query.object_id {
            sql.push_str(" AND object_id = ?");
            args.push(Value::Blob(object_id.as_bytes().to_vec()));
        }
        if let Some(since) = query.since {
            sql.push_str(" AND at >= ?");
            args.push(Value::Integer(micros(since)));
        }
        if let Some(before) = query.before_id {
            sql.push_str(" AND id < ?");
            args.push(Value::Integer(clamp_i64(before)));
        }
        sql.push_str(" ORDER BY id DESC LIMIT ?");
        args.push(Value::Integer(clamp_i64(query.limit as u64)));
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut records = Vec::new();
        while let Some(row) = rows.next()? {
            let object_id: Option<Vec<u8>> = row.get(4)?;
            let version: Option<i64> = row.get(5)?;
            let partner: Option<String> = row.get(6)?;
            records.push(AuditRecord {
                id: row.get::<_, i64>(0)? as u64,
                entry: AuditEntry {
                    at: from_micros(row.get(1)?),
                    actor: row.get(2)?,
                    action: row.get(3)?,
                    object_id: object_id.and_then(|bytes| Uuid::from_slice(&bytes).ok()),
                    version: version.map(|v| v as u64),
                    partner: partner.and_then(|code| Nation::parse(&code).ok()),
                    detail: row.get(7)?,
                },
            });
        }
        Ok(records)
    }

    fn author(&self, id: Uuid) -> Result<Option<String>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT actor FROM audit WHERE object_id = ?1 AND action = 'create' ORDER BY id LIMIT 1",
        )?;
        Ok(stmt
            .query_row([id.as_bytes().as_slice()], |row| row.get(0))
            .optional()?)
    }

    fn user(&self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT name, nation, clearance, role, password_hash, created, disabled, session_gen FROM users WHERE name = ?1",
        )?;
        let mut rows = stmt.query([name])?;
        match rows.next()? {
            Some(row) => Ok(user_from_row(row)?),
            None => Ok(None),
        }
    }

    fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT name, nation, clearance, role, password_hash, created, disabled, session_gen FROM users ORDER BY name",
        )?;
        let mut rows = stmt.query([])?;
        let mut users = Vec::new();
        while let Some(row) = rows.next()? {
            users.extend(user_from_row(row)?);
        }
        Ok(users)
    }
}

/// A user row; `None` if the row holds values this program cannot read (logged).
fn user_from_row(row: &rusqlite::Row<'_>) -> Result<Option<UserRecord>, StoreError> {
    let name: String = row.get(0)?;
    let nation: String = row.get(1)?;
    let role: String = row.get(3)?;
    let (Ok(nation), Some(role)) = (Nation::parse(&nation), liptako_model::Role::parse(&role))
    else {
        tracing::error!(user = %name, "user row has an unknown nation or role; ignored");
        return Ok(None);
    };
    Ok(Some(UserRecord {
        name,
        nation,
        clearance: row.get(2)?,
        role,
        password_hash: row.get(4)?,
        created: from_micros(row.get(5)?),
        disabled: row.get::<_, i64>(6)? != 0,
        session_gen: row.get::<_, i64>(7)? as u64,
    }))
}

fn run_writer(mut conn: Connection, queue: Receiver<Job>, hook: Option<CommitHook>) {
    while let Ok(first) = queue.recv() {
        let mut n_ops = first.ops.len();
        let mut jobs = vec![first];
        while n_ops < MAX_GROUP_OPS {
            match queue.try_recv() {
                Ok(job) => {
                    n_ops += job.ops.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        match apply_group(&mut conn, &mut jobs) {
            Ok(results) => {
                let recalled = results
                    .iter()
                    .flatten()
                    .flatten()
                    .any(|outcome| matches!(outcome, WriteOutcome::Recalled(_)));
                if recalled {
                    // Old page images in the write-ahead log still hold the recalled content:
                    // fold the log into the database and empty it.
                    if let Err(err) =
                        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                    {
                        tracing::warn!(cause = %err, "checkpoint after a recall failed");
                    }
                }
                if let Some(hook) = &hook {
                    let changes: Vec<Change> = results
                        .iter()
                        .filter_map(|result| result.as_ref().ok())
                        .flatten()
                        .filter_map(|outcome| match outcome {
                            WriteOutcome::Committed(committed) => {
                                Some(Change::Version(committed.clone()))
                            }
                            WriteOutcome::Recalled(recalled) => {
                                Some(Change::Recall(recalled.clone()))
                            }
                            WriteOutcome::User(name) => Some(Change::User(name.clone())),
                            _ => None,
                        })
                        .collect();
                    if !changes.is_empty() {
                        hook(&changes);
                    }
                }
                for (job, result) in jobs.into_iter().zip(results) {
                    (job.done)(result);
                }
            }
            Err(err) => {
                tracing::error!(cause = %err, n_jobs = jobs.len(), "store commit failed");
                let message = err.to_string();
                for job in jobs {
                    (job.done)(Err(StoreError::Open(format!("commit failed: {message}"))));
                }
            }
        }
    }
}

type JobResult = Result<Vec<WriteOutcome>, StoreError>;

/// Applies a group of jobs in one transaction; each job's ops are all-or-nothing.
fn apply_group(conn: &mut Connection, jobs: &mut [Job]) -> Result<Vec<JobResult>, rusqlite::Error> {
    let mut tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs.iter_mut() {
        let ops = std::mem::take(&mut job.ops);
        let mut savepoint = tx.savepoint()?;
        let mut outcomes = Vec::with_capacity(ops.len());
        let mut failure = None;
        for op in ops {
            match apply_op(&savepoint, op) {
                Ok(outcome) => outcomes.push(outcome),
                Err(err) => {
                    failure = Some(err);
                    break;
                }
            }
        }
        match failure {
            None => {
                savepoint.commit()?;
                results.push(Ok(outcomes));
            }
            Some(err) => {
                savepoint.rollback()?;
                drop(savepoint);
                tracing::warn!(cause = %err, "store write job rolled back");
                results.push(Err(err));
            }
        }
    }
    tx.commit()?;
    Ok(results)
}

fn apply_op(tx: &Connection, op: WriteOp) -> Result<WriteOutcome, StoreError> {
    match op {
        WriteOp::Local { draft, actor } => {
            let current = load_latest(tx, draft.id)?;
            let at = draft.at;
            let object = match next_version(current.as_ref(), draft) {
                Ok(object) => object,
                Err(conflict) => return Ok(WriteOutcome::Conflict(conflict)),
            };
            let origin = object.meta.origin;
            let seq: i64 = tx
                .prepare_cached("SELECT coalesce(max(seq), 0) + 1 FROM log WHERE origin = ?1")?
                .query_row([origin.as_str()], |row| row.get(0))?;
            let (lseq, payload) = append_version(tx, seq, &object, at)?;
            let action = match (&current, object.meta.deleted) {
                (_, true) => "delete",
                (Some(previous), false) if !previous.meta.deleted => "update",
                _ => "create",
            };
            insert_audit(
                tx,
                &AuditEntry {
                    at,
                    actor,
                    action: action.into(),
                    object_id: Some(object.meta.id),
                    version: Some(object.meta.version),
                    partner: None,
                    detail: String::new(),
                },
            )?;
            Ok(WriteOutcome::Committed(Committed {
                object: Arc::new(object),
                seq: seq as u64,
                lseq,
                previous: current.map(|object| object.meta),
                payload,
            }))
        }
        WriteOp::Replica {
            peer,
            origin,
            seq,
            entry,
            at,
            attestation,
        } => {
            advance_cursor(tx, peer, origin, seq)?;
            let outcome = match entry {
                ReplicaEntry::Version(object) => {
                    apply_replica_version(tx, origin, seq, *object, at)?
                }
                ReplicaEntry::Recall { id, version } => {
                    apply_recall(tx, peer, origin, seq, id, version, at)?
                }
            };
            if !attestation.is_empty() {
                // Only on the entry this write appended (a skipped duplicate keeps its own).
                tx.prepare_cached(
                    "UPDATE log SET attestation = ?3
                     WHERE origin = ?1 AND seq = ?2 AND attestation IS NULL",
                )?
                .execute(params![origin.as_str(), clamp_i64(seq), attestation])?;
            }
            Ok(outcome)
        }
        WriteOp::Cursor { peer, origin, seq } => {
            advance_cursor(tx, peer, origin, seq)?;
            Ok(WriteOutcome::Done)
        }
        WriteOp::Audit(entry) => {
            insert_audit(tx, &entry)?;
            Ok(WriteOutcome::Done)
        }
        WriteOp::AirHistory(rows) => {
            let mut insert = tx.prepare_cached(
                "INSERT INTO air_history (time, origin, uid, marking, lat, lon, payload)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for row in rows {
                let marking =
                    serde_json::to_string(&row.marking).map_err(|source| StoreError::Payload {
                        what: format!("marking of air track {}", row.uid),
                        source,
                    })?;
                insert.execute(params![
                    micros(row.time),
                    row.origin.as_str(),
                    row.uid,
                    marking,
                    row.lat,
                    row.lon,
                    row.payload,
                ])?;
            }
            Ok(WriteOutcome::Done)
        }
        WriteOp::PurgeAirHistory { before } => {
            tx.prepare_cached("DELETE FROM air_history WHERE time < ?1")?
                .execute([micros(before)])?;
            Ok(WriteOutcome::Done)
        }
        WriteOp::PutUser(user) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO users
                 (name, nation, clearance, role, password_hash, created, disabled, session_gen)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                user.name,
                user.nation.as_str(),
                user.clearance,
                user.role.as_str(),
                user.password_hash,
                micros(user.created),
                user.disabled as i64,
                clamp_i64(user.session_gen),
            ])?;
            Ok(WriteOutcome::User(user.name))
        }
    }
}

/// Log entry states (the `state` column).
const STATE_HELD: i64 = 0;
const STATE_DROPPED: i64 = 1;
const STATE_RECALL: i64 = 2;

fn advance_cursor(
    tx: &Connection,
    peer: Nation,
    origin: Nation,
    seq: u64,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO cursors (peer, origin, seq) VALUES (?1, ?2, ?3)
         ON CONFLICT (peer, origin) DO UPDATE SET seq = max(seq, excluded.seq)",
    )?
    .execute(params![peer.as_str(), origin.as_str(), clamp_i64(seq)])?;
    Ok(())
}

fn log_has(tx: &Connection, origin: Nation, seq: u64) -> Result<bool, StoreError> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM log WHERE origin = ?1 AND seq = ?2")?
        .query_row(params![origin.as_str(), clamp_i64(seq)], |_| Ok(()))
        .optional()?
        .is_some())
}

fn recalled_version(tx: &Connection, id: Uuid) -> Result<Option<u64>, StoreError> {
    Ok(tx
        .prepare_cached("SELECT version FROM recalled WHERE id = ?1")?
        .query_row([id.as_bytes().as_slice()], |row| row.get::<_, i64>(0))
        .optional()?
        .map(|version| version as u64))
}

/// Holds a version received from a partner, unless this store already holds it, a newer one,
/// or a recall of it.
fn apply_replica_version(
    tx: &Connection,
    origin: Nation,
    seq: u64,
    object: Object,
    at: OffsetDateTime,
) -> Result<WriteOutcome, StoreError> {
    let id = object.meta.id;
    let version = object.meta.version;
    if object.meta.origin != origin
        || recalled_version(tx, id)?.is_some_and(|recalled| recalled >= version)
        || log_has(tx, origin, seq)?
    {
        return Ok(WriteOutcome::Skipped);
    }
    let current = load_latest(tx, id)?;
    if let Some(current) = &current
        && (current.meta.version >= version || current.meta.origin != origin)
    {
        return Ok(WriteOutcome::Skipped);
    }
    let (lseq, payload) = append_version(tx, seq as i64, &object, at)?;
    Ok(WriteOutcome::Committed(Committed {
        object: Arc::new(object),
        seq,
        lseq,
        previous: current.map(|object| object.meta),
        payload,
    }))
}

/// Drops an object a partner recalled (keeping only the envelopes of what was held, so that
/// the recall can be relayed to whoever this store released it to), remembers the recall, and
/// logs it for relaying.
fn apply_recall(
    tx: &Connection,
    peer: Nation,
    origin: Nation,
    seq: u64,
    id: Uuid,
    version: u64,
    at: OffsetDateTime,
) -> Result<WriteOutcome, StoreError> {
    let current = load_latest(tx, id)?;
    if let Some(current) = &current
        && (current.meta.version > version || current.meta.origin != origin)
    {
        // A newer version, releasable here, is already held: the recall is stale.
        return Ok(WriteOutcome::Skipped);
    }
    tx.prepare_cached(
        "INSERT INTO recalled (id, origin, version) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET version = max(version, excluded.version)",
    )?
    .execute(params![
        id.as_bytes().as_slice(),
        origin.as_str(),
        clamp_i64(version)
    ])?;
    let id_bytes = id.as_bytes().as_slice();
    // Replace every held version's content by its envelope.
    let held: Vec<(i64, Vec<u8>)> = {
        let mut stmt =
            tx.prepare_cached("SELECT lseq, payload FROM log WHERE id = ?1 AND state = 0")?;
        let rows = stmt.query_map([id_bytes], |row| Ok((row.get(0)?, row.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (lseq, payload) in held {
        let meta = decode_meta(&payload, || format!("log lseq {lseq}"))?;
        let envelope = serde_json::to_vec(&meta).map_err(|source| StoreError::Payload {
            what: format!("envelope of {id}"),
            source,
        })?;
        tx.prepare_cached("UPDATE log SET state = 1, payload = ?2 WHERE lseq = ?1")?
            .execute(params![lseq, envelope])?;
    }
    tx.prepare_cached("DELETE FROM latest WHERE id = ?1")?
        .execute([id_bytes])?;
    if !log_has(tx, origin, seq)? {
        let updated = current
            .as_ref()
            .map_or(0, |object| micros(object.meta.updated));
        tx.prepare_cached(
            "INSERT INTO log (origin, seq, id, version, updated, appended, state, payload)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, x'')",
        )?
        .execute(params![
            origin.as_str(),
            clamp_i64(seq),
            id_bytes,
            clamp_i64(version),
            updated,
            micros(at),
            STATE_RECALL
        ])?;
    }
    insert_audit(
        tx,
        &AuditEntry {
            at,
            actor: format!("node {peer}"),
            action: "recall_received".into(),
            object_id: Some(id),
            version: Some(version),
            partner: Some(peer),
            detail: format!("origin {origin}"),
        },
    )?;
    Ok(WriteOutcome::Recalled(Recalled {
        origin,
        id,
        version,
        previous: current.map(Arc::new),
    }))
}

fn load_latest(tx: &Connection, id: Uuid) -> Result<Option<Object>, StoreError> {
    let payload: Option<Vec<u8>> = tx
        .prepare_cached("SELECT payload FROM latest WHERE id = ?1")?
        .query_row([id.as_bytes().as_slice()], |row| row.get(0))
        .optional()?;
    payload
        .map(|bytes| decode(&bytes, || format!("object {id}")))
        .transpose()
}

/// Records the version's access envelope if it differs from the previous held version's.
fn record_envelope_change(tx: &Connection, object: &Object) -> Result<(), StoreError> {
    let meta = &object.meta;
    let id = meta.id.as_bytes().as_slice();
    let marking = serde_json::to_string(&meta.marking).map_err(|source| StoreError::Payload {
        what: format!("marking of {}", meta.id),
        source,
    })?;
    // A first version has nothing before it: no read.
    let previous: Option<(String, Option<String>, i64)> = if meta.version <= 1 {
        None
    } else {
        tx.prepare_cached(
            "SELECT marking, exercise, deleted FROM envelope_changes
             WHERE id = ?1 AND version < ?2 ORDER BY version DESC LIMIT 1",
        )?
        .query_row(params![id, clamp_i64(meta.version)], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .optional()?
    };
    let unchanged = previous.is_some_and(|(before, exercise, deleted)| {
        serde_json::from_str::<liptako_model::Marking>(&before)
            .ok()
            .as_ref()
            == Some(&meta.marking)
            && exercise == meta.exercise
            && (deleted != 0) == meta.deleted
    });
    if !unchanged {
        tx.prepare_cached(
            "INSERT OR REPLACE INTO envelope_changes (id, version, origin, marking, exercise, deleted)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            id,
            clamp_i64(meta.version),
            meta.origin.as_str(),
            marking,
            meta.exercise,
            meta.deleted as i64
        ])?;
    }
    Ok(())
}

/// Appends a version to its origin's log and makes it the latest; returns its lseq and its
/// stored JSON.
fn append_version(
    tx: &Connection,
    seq: i64,
    object: &Object,
    appended: OffsetDateTime,
) -> Result<(u64, Arc<[u8]>), StoreError> {
    let payload: Arc<[u8]> = serde_json::to_vec(object)
        .map_err(|source| StoreError::Payload {
            what: format!("object {}", object.meta.id),
            source,
        })?
        .into();
    let id = object.meta.id.as_bytes().as_slice();
    let updated = micros(object.meta.updated);
    tx.prepare_cached(
        "INSERT INTO log (origin, seq, id, version, updated, appended, payload)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        object.meta.origin.as_str(),
        seq,
        id,
        clamp_i64(object.meta.version),
        updated,
        micros(appended),
        &payload[..]
    ])?;
    let lseq = tx.last_insert_rowid();
    record_envelope_change(tx, object)?;
    let bbox = object.body.bbox();
    tx.prepare_cached(
        "INSERT OR REPLACE INTO latest
         (id, origin, version, type, kind, exercise, deleted, updated, valid_until,
          min_lat, min_lon, max_lat, max_lon, text, lseq, payload)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        id,
        object.meta.origin.as_str(),
        clamp_i64(object.meta.version),
        object.object_type().as_str(),
        object.body.kind_str(),
        object.meta.exercise.as_deref().unwrap_or(""),
        object.meta.deleted as i64,
        updated,
        object.meta.valid_until.map(micros),
        bbox.map(|b| b.south),
        bbox.map(|b| b.west),
        bbox.map(|b| b.north),
        bbox.map(|b| b.east),
        object.body.search_text().to_lowercase(),
        lseq,
        &payload[..],
    ])?;
    Ok((lseq as u64, payload))
}

fn insert_audit(tx: &Connection, entry: &AuditEntry) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO audit (at, actor, action, object_id, version, partner, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        micros(entry.at),
        entry.actor,
        entry.action,
        entry.object_id.map(|id| id.as_bytes().to_vec()),
        entry.version.map(clamp_i64),
        entry.partner.map(|nation| nation.as_str().to_owned()),
        entry.detail,
    ])?;
    Ok(())
}

/// One row of `SELECT id, time, origin, uid, marking, lat, lon, payload FROM air_history`,
/// markings parsed once per distinct text (`markings`).
fn air_row(
    row: &rusqlite::Row<'_>,
    markings: &mut HashMap<String, Marking>,
) -> Result<(u64, AirHistoryRow), StoreError> {
    let id: i64 = row.get(0)?;
    let origin: String = row.get(2)?;
    let marking: String = row.get(4)?;
    let what = || format!("air history row {id}");
    let marking = match markings.get(&marking) {
        Some(parsed) => parsed.clone(),
        None => {
            let parsed: Marking =
                serde_json::from_str(&marking).map_err(|source| StoreError::Payload {
                    what: what(),
                    source,
                })?;
            markings.insert(marking, parsed.clone());
            parsed
        }
    };
    Ok((
        id as u64,
        AirHistoryRow {
            time: from_micros(row.get(1)?),
            origin: Nation::parse(&origin)
                .map_err(|_| StoreError::Open(format!("{}: bad origin {origin:?}", what())))?,
            uid: row.get(3)?,
            marking,
            lat: row.get(5)?,
            lon: row.get(6)?,
            payload: row.get(7)?,
        },
    ))
}

/// One row of `SELECT seq, id, version, state, payload, appended, attestation FROM log`;
/// `log` names the log in errors.
fn log_entry(row: &rusqlite::Row<'_>, log: impl Fn() -> String) -> Result<LogEntry, StoreError> {
    let seq: i64 = row.get(0)?;
    let id = Uuid::from_slice(blob(row, 1)?)
        .map_err(|_| StoreError::Open(format!("{} seq {seq}: malformed object id", log())))?;
    let version: i64 = row.get(2)?;
    let state: i64 = row.get(3)?;
    let what = || format!("{} seq {seq}", log());
    let body = match state {
        STATE_HELD => {
            let payload = blob(row, 4)?;
            LogBody::Version {
                meta: decode_meta(payload, what)?,
                payload: payload.into(),
            }
        }
        STATE_DROPPED => LogBody::Dropped {
            meta: decode_meta(blob(row, 4)?, what)?,
        },
        _ => LogBody::Recall,
    };
    Ok(LogEntry {
        seq: seq as u64,
        id,
        version: version as u64,
        appended: from_micros(row.get(5)?),
        body,
        attestation: row
            .get_ref(6)?
            .as_blob_or_null()
            .map_err(|err| {
                StoreError::Sqlite(rusqlite::Error::FromSqlConversionFailure(
                    6,
                    rusqlite::types::Type::Blob,
                    Box::new(err),
                ))
            })?
            .map(Into::into),
    })
}

/// A BLOB column, borrowed from the row.
fn blob<'row>(row: &'row rusqlite::Row<'_>, idx: usize) -> Result<&'row [u8], StoreError> {
    row.get_ref(idx)?.as_blob().map_err(|err| {
        StoreError::Sqlite(rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Blob,
            Box::new(err),
        ))
    })
}

/// Decodes only the envelope of a stored object (or of a stored envelope).
fn decode_meta(payload: &[u8], what: impl FnOnce() -> String) -> Result<Meta, StoreError> {
    serde_json::from_slice(payload).map_err(|source| StoreError::Payload {
        what: what(),
        source,
    })
}

fn decode(payload: &[u8], what: impl FnOnce() -> String) -> Result<Object, StoreError> {
    serde_json::from_slice(payload).map_err(|source| StoreError::Payload {
        what: what(),
        source,
    })
}

/// Unix microseconds.
fn micros(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000) as i64
}

fn from_micros(micros: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn clamp_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
