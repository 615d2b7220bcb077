//! The SQLite schema and its migrations.
//!
//! `PRAGMA user_version` holds how many migrations a database has had; [`migrate`] applies the
//! missing ones in order, each in its own transaction. A migration is never edited once it has
//! shipped: a change is a new migration at the end of [`MIGRATIONS`].

use rusqlite::Connection;

use crate::StoreError;

/// Every migration, in order. Index + 1 is the schema version it leads to.
const MIGRATIONS: &[&str] = &[
    // 1: logs, latest state, audit, recalls, replication cursors, users.
    r#"
    -- One row per object version ever held, per origin. lseq is this store's own order of
    -- arrival (all origins mixed), never reused (AUTOINCREMENT).
    -- state: 0 a version held (payload: the object), 1 a version whose content a recall
    -- dropped (payload: its envelope only), 2 a recall received (payload empty).
    CREATE TABLE log (
        lseq      INTEGER PRIMARY KEY AUTOINCREMENT,
        origin    TEXT    NOT NULL,
        seq       INTEGER NOT NULL,
        id        BLOB    NOT NULL,
        version   INTEGER NOT NULL,
        updated   INTEGER NOT NULL,  -- unix microseconds of the version
        appended  INTEGER NOT NULL,  -- unix microseconds when this store appended it
        state     INTEGER NOT NULL DEFAULT 0,
        payload   BLOB    NOT NULL,  -- the object, JSON
        UNIQUE (origin, seq)
    );
    CREATE INDEX log_by_object ON log (id, version);
    CREATE INDEX log_by_time ON log (updated);

    -- The latest version of every object, tombstones included, with the columns queries use.
    CREATE TABLE latest (
        id          BLOB    PRIMARY KEY,
        origin      TEXT    NOT NULL,
        version     INTEGER NOT NULL,
        type        TEXT    NOT NULL,
        kind        TEXT,
        exercise    TEXT    NOT NULL,  -- '' for the real world
        deleted     INTEGER NOT NULL,
        updated     INTEGER NOT NULL,  -- unix microseconds
        valid_until INTEGER,           -- unix microseconds
        min_lat REAL, min_lon REAL, max_lat REAL, max_lon REAL,
        text        TEXT    NOT NULL,  -- lower-cased words for q=
        lseq        INTEGER NOT NULL,
        payload     BLOB    NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX latest_by_type ON latest (type, exercise, deleted, lseq);

    CREATE TABLE audit (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        at        INTEGER NOT NULL,  -- unix microseconds
        actor     TEXT    NOT NULL,
        action    TEXT    NOT NULL,
        object_id BLOB,
        version   INTEGER,
        partner   TEXT,
        detail    TEXT    NOT NULL
    );
    CREATE INDEX audit_by_partner ON audit (partner, id);
    CREATE INDEX audit_by_object ON audit (object_id, id);

    -- Objects recalled by a partner: a version at or below this one is never taken again.
    CREATE TABLE recalled (
        id      BLOB PRIMARY KEY,
        origin  TEXT    NOT NULL,
        version INTEGER NOT NULL
    ) WITHOUT ROWID;

    -- Replication progress: the last entry of origin's log applied from peer.
    CREATE TABLE cursors (
        peer   TEXT    NOT NULL,
        origin TEXT    NOT NULL,
        seq    INTEGER NOT NULL,
        PRIMARY KEY (peer, origin)
    ) WITHOUT ROWID;

    CREATE TABLE users (
        name          TEXT PRIMARY KEY,
        nation        TEXT    NOT NULL,
        clearance     TEXT    NOT NULL,
        role          TEXT    NOT NULL,
        password_hash TEXT    NOT NULL,
        created       INTEGER NOT NULL,
        disabled      INTEGER NOT NULL DEFAULT 0
    );
    "#,
    // 2: the air picture's thinned history (one row per track per thinning period).
    r#"
    CREATE TABLE air_history (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        time     INTEGER NOT NULL,  -- unix microseconds of the state
        origin   TEXT    NOT NULL,
        uid      TEXT    NOT NULL,
        marking  TEXT    NOT NULL,  -- JSON {"level":..,"releasable_to":[..]}
        lat      REAL    NOT NULL,
        lon      REAL    NOT NULL,
        payload  TEXT    NOT NULL   -- the track as the API showed it, JSON
    );
    CREATE INDEX air_history_by_time ON air_history (time);
    CREATE INDEX air_history_by_uid ON air_history (uid, time);
    "#,
    // 3: revocation: a user's session generation (tokens of an older one are refused).
    r#"
    ALTER TABLE users ADD COLUMN session_gen INTEGER NOT NULL DEFAULT 0;
    "#,
    // 4: partners cannot forge: the origin's signed statement received with each entry of a
    // partner's log (the version's attestation, or a recall's proof), relayed as it came.
    r#"
    ALTER TABLE log ADD COLUMN attestation BLOB;
    "#,
];

/// The schema version this program writes.
pub fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Brings the database up to [`current_version`].
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > current_version() {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: current_version(),
        });
    }
    for (idx, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", idx as i64 + 1)?;
        tx.commit()?;
        tracing::info!(version = idx + 1, "database schema migrated");
    }
    Ok(())
}
