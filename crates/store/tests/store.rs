//! Tests of the SQLite store: versioning through the writer, group commit under concurrency,
//! scans and their filters and cursors, per-origin logs, audit, users, reopening, the hook.
#![allow(clippy::unwrap_used)] // a failed unwrap is the test failing

use std::sync::{Arc, Mutex};

use liptako_model::*;
use liptako_store::*;
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

fn nation(code: &str) -> Nation {
    Nation::parse(code).unwrap()
}

fn report(title: &str, kind: ReportKind, at: Option<Point>) -> Body {
    Body::Report(Report {
        kind,
        title: title.into(),
        body: format!("body of {title}"),
        location: at,
    })
}

fn create(id: Uuid, body: Body, exercise: Option<&str>, at: OffsetDateTime) -> WriteOp {
    WriteOp::Local {
        draft: Draft {
            id,
            origin: nation("MLI"),
            expect: Expect::New,
            at,
            marking: Marking::new("DR", ["AES"]),
            valid_until: None,
            exercise: exercise.map(str::to_owned),
            body: Some(body),
        },
        actor: "tester".into(),
    }
}

fn open(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(&dir.path().join("liptako.db"), None).unwrap()
}

fn committed(outcome: &WriteOutcome) -> &Committed {
    match outcome {
        WriteOutcome::Committed(committed) => committed,
        other => panic!("expected a committed version, got {other:?}"),
    }
}

const T0: OffsetDateTime = datetime!(2026-11-24 08:00 UTC);

#[test]
fn versions_conflicts_and_tombstones() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let id = Uuid::new_v4();
    let out = store
        .write(vec![create(
            id,
            report("a", ReportKind::Incident, None),
            None,
            T0,
        )])
        .unwrap();
    assert_eq!(committed(&out[0]).object.meta.version, 1);
    assert_eq!(committed(&out[0]).seq, 1);

    let change = |expect, body| WriteOp::Local {
        draft: Draft {
            id,
            origin: nation("MLI"),
            expect,
            at: T0 + time::Duration::minutes(5),
            marking: Marking::new("C", ["BFA"]),
            valid_until: None,
            exercise: None,
            body,
        },
        actor: "tester".into(),
    };
    let out = store
        .write(vec![
            change(
                Expect::Version(1),
                Some(report("b", ReportKind::Incident, None)),
            ),
            change(
                Expect::Version(1),
                Some(report("c", ReportKind::Incident, None)),
            ),
        ])
        .unwrap();
    let v2 = committed(&out[0]);
    assert_eq!(v2.object.meta.version, 2);
    assert_eq!(v2.previous.as_ref().unwrap().version, 1);
    // The second change in the same group sees the first: its precondition is stale.
    assert!(matches!(
        out[1],
        WriteOutcome::Conflict(WriteConflict::Stale {
            expected: 1,
            current: 2
        })
    ));
    let out = store.write(vec![change(Expect::Version(2), None)]).unwrap();
    assert!(committed(&out[0]).object.meta.deleted);
    let latest = store.get(id).unwrap().unwrap().object;
    assert!(latest.meta.deleted);
    assert_eq!(latest.meta.version, 3);
    assert_eq!(latest.meta.marking, Marking::new("C", ["BFA"]));

    let log = store.log_after(nation("MLI"), 0, 10).unwrap();
    let versions: Vec<_> = log.iter().map(|e| (e.seq, e.version)).collect();
    assert_eq!(versions, vec![(1, 1), (2, 2), (3, 3)]);
    assert_eq!(store.log_heads().unwrap(), vec![(nation("MLI"), 3)]);

    let audit = store
        .audit(&AuditQuery {
            object_id: Some(id),
            limit: 10,
            ..AuditQuery::default()
        })
        .unwrap();
    let actions: Vec<_> = audit.iter().map(|r| r.entry.action.as_str()).collect();
    assert_eq!(actions, vec!["delete", "update", "create"]);
}

#[test]
fn concurrent_writers_are_group_committed_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&dir));
    let n_threads = 16;
    let n_each = 50;
    let handles: Vec<_> = (0..n_threads)
        .map(|_| {
            let store = store.clone();
            std::thread::spawn(move || {
                let mut ids = Vec::new();
                for idx in 0..n_each {
                    let id = Uuid::new_v4();
                    let out = store
                        .write(vec![create(
                            id,
                            report(&format!("r{idx}"), ReportKind::SpotReport, None),
                            None,
                            T0,
                        )])
                        .unwrap();
                    committed(&out[0]);
                    ids.push(id);
                }
                ids
            })
        })
        .collect();
    let ids: Vec<Uuid> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert_eq!(ids.len(), n_threads * n_each);
    for id in &ids {
        assert!(store.get(*id).unwrap().is_some());
    }
    let log = store.log_after(nation("MLI"), 0, 10_000).unwrap();
    let seqs: Vec<u64> = log.iter().map(|e| e.seq).collect();
    let expected: Vec<u64> = (1..=(n_threads * n_each) as u64).collect();
    assert_eq!(seqs, expected, "per-origin sequence numbers are contiguous");
}

#[test]
fn scans_filter_page_and_keep_worlds_apart() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut ops = Vec::new();
    for idx in 0..25 {
        let kind = if idx % 2 == 0 {
            ReportKind::Incident
        } else {
            ReportKind::ThreatWarning
        };
        let lat = 10.0 + idx as f64 * 0.1;
        ops.push(create(
            Uuid::new_v4(),
            report(
                &format!("Report {idx} Ménaka"),
                kind,
                Some(Point::new(lat, 1.0)),
            ),
            None,
            T0 + time::Duration::minutes(idx),
        ));
    }
    ops.push(create(
        Uuid::new_v4(),
        report("exercise only", ReportKind::Incident, None),
        Some("Flintlock"),
        T0,
    ));
    store.write(ops).unwrap();

    // Paging through everything: newest first, no duplicates, nothing missed.
    let mut query = Query::all(ObjectType::Report, 10);
    let mut seen = Vec::new();
    loop {
        let page = store.scan(&query, &mut |_| true).unwrap();
        seen.extend(page.objects.iter().map(|o| o.meta.updated));
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25);
    assert!(seen.windows(2).all(|w| w[0] >= w[1]), "newest first");

    let count = |query: &Query| store.scan(query, &mut |_| true).unwrap().objects.len();
    let mut q = Query::all(ObjectType::Report, 100);
    q.kind = Some("incident".into());
    assert_eq!(count(&q), 13);
    let mut q = Query::all(ObjectType::Report, 100);
    q.bbox = Some(BBox::parse("0.5,10.95,1.5,11.55").unwrap());
    assert_eq!(count(&q), 6); // lat 11.0 .. 11.5
    let mut q = Query::all(ObjectType::Report, 100);
    q.text = Some("report 1".into());
    assert_eq!(count(&q), 11); // 1, 10..19
    let mut q = Query::all(ObjectType::Report, 100);
    q.text = Some("MÉNAKA".into());
    assert_eq!(count(&q), 25, "case-insensitive beyond ASCII");
    let mut q = Query::all(ObjectType::Report, 100);
    q.text = Some("100%".into());
    assert_eq!(count(&q), 0, "LIKE wildcards are escaped");
    let mut q = Query::all(ObjectType::Report, 100);
    q.since = Some(T0 + time::Duration::minutes(20));
    assert_eq!(count(&q), 5);
    let mut q = Query::all(ObjectType::Report, 100);
    q.exercise = Some("Flintlock".into());
    assert_eq!(count(&q), 1, "an exercise sees its own world only");
    assert_eq!(count(&Query::all(ObjectType::Unit, 100)), 0);

    // The keep predicate decides; a tiny scan budget returns a short page with a cursor.
    let mut q = Query::all(ObjectType::Report, 100);
    q.scan_budget = 5;
    let page = store
        .scan(
            &q,
            &mut |o| matches!(&o.body, Body::Report(r) if r.kind == ReportKind::ThreatWarning),
        )
        .unwrap();
    assert!(page.objects.len() <= 5);
    assert!(page.next_cursor.is_some());
}

#[test]
fn expired_objects_are_left_out_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut op = create(
        Uuid::new_v4(),
        report("old", ReportKind::ThreatWarning, None),
        None,
        T0,
    );
    if let WriteOp::Local { draft, .. } = &mut op {
        draft.valid_until = Some(T0 + time::Duration::hours(1));
    }
    store.write(vec![op]).unwrap();
    let mut q = Query::all(ObjectType::Report, 10);
    assert_eq!(store.scan(&q, &mut |_| true).unwrap().objects.len(), 1);
    q.valid_at = Some(T0 + time::Duration::hours(2));
    assert_eq!(store.scan(&q, &mut |_| true).unwrap().objects.len(), 0);
}

#[test]
fn reopening_keeps_everything_and_hook_sees_commits_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let seen: Arc<Mutex<Vec<u64>>> = Arc::default();
    let sink = seen.clone();
    let hook: CommitHook = Box::new(move |changes: &[Change]| {
        sink.lock()
            .unwrap()
            .extend(changes.iter().filter_map(|change| match change {
                Change::Version(committed) => Some(committed.lseq),
                Change::Recall(_) | Change::User(_) => None,
            }));
    });
    let path = dir.path().join("liptako.db");
    let id = Uuid::new_v4();
    {
        let store = SqliteStore::open(&path, Some(hook)).unwrap();
        for idx in 0..5 {
            let op = if idx == 0 {
                create(id, report("x", ReportKind::Incident, None), None, T0)
            } else {
                create(
                    Uuid::new_v4(),
                    report("y", ReportKind::Incident, None),
                    None,
                    T0,
                )
            };
            store.write(vec![op]).unwrap();
        }
        store
            .write(vec![WriteOp::PutUser(UserRecord {
                name: "awa".into(),
                nation: nation("BFA"),
                clearance: "C".into(),
                role: Role::Editor,
                password_hash: "$argon2id$fake".into(),
                created: T0,
                disabled: false,
                session_gen: 0,
            })])
            .unwrap();
    }
    let lseqs = seen.lock().unwrap().clone();
    assert_eq!(lseqs.len(), 5);
    assert!(lseqs.windows(2).all(|w| w[0] < w[1]));

    let store = SqliteStore::open(&path, None).unwrap();
    assert_eq!(store.get(id).unwrap().unwrap().object.meta.version, 1);
    let user = store.user("awa").unwrap().unwrap();
    assert_eq!((user.nation, user.role), (nation("BFA"), Role::Editor));
    assert_eq!(store.users().unwrap().len(), 1);
    assert!(store.user("nobody").unwrap().is_none());
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("liptako.db");
    drop(SqliteStore::open(&path, None).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = SqliteStore::open(&path, None).err().unwrap().to_string();
    assert!(err.contains("newer than this program"), "{err}");
}

fn bfa_report(id: Uuid, version: u64, marking: Marking) -> Object {
    Object {
        meta: Meta {
            id,
            origin: nation("BFA"),
            version,
            created: T0,
            updated: T0 + time::Duration::minutes(version as i64),
            valid_until: None,
            marking,
            exercise: None,
            deleted: false,
        },
        body: report(&format!("v{version}"), ReportKind::Incident, None),
    }
}

fn replica(peer: &str, seq: u64, entry: ReplicaEntry) -> WriteOp {
    WriteOp::Replica {
        peer: nation(peer),
        origin: nation("BFA"),
        seq,
        entry,
        at: time::OffsetDateTime::now_utc(),
        attestation: Vec::new(),
    }
}

#[test]
fn replicas_are_idempotent_ordered_and_recallable() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let id = Uuid::new_v4();
    let v1 = bfa_report(id, 1, Marking::new("DR", ["AES"]));
    let out = store
        .write(vec![
            replica("BFA", 10, ReplicaEntry::Version(Box::new(v1.clone()))),
            // The same entry again, and through another partner: skipped.
            replica("BFA", 10, ReplicaEntry::Version(Box::new(v1.clone()))),
            replica("NER", 10, ReplicaEntry::Version(Box::new(v1.clone()))),
        ])
        .unwrap();
    assert!(matches!(out[0], WriteOutcome::Committed(_)));
    assert!(matches!(out[1], WriteOutcome::Skipped));
    assert!(matches!(out[2], WriteOutcome::Skipped));
    assert_eq!(
        store.cursors(nation("BFA")).unwrap(),
        vec![(nation("BFA"), 10)]
    );
    assert_eq!(
        store.cursors(nation("NER")).unwrap(),
        vec![(nation("BFA"), 10)]
    );

    // v2 arrives; then a late v1 through a relay is ignored.
    let v2 = bfa_report(id, 2, Marking::new("DR", ["AES"]));
    store
        .write(vec![replica(
            "BFA",
            12,
            ReplicaEntry::Version(Box::new(v2)),
        )])
        .unwrap();
    let out = store
        .write(vec![replica(
            "NER",
            10,
            ReplicaEntry::Version(Box::new(v1.clone())),
        )])
        .unwrap();
    assert!(matches!(out[0], WriteOutcome::Skipped));
    assert_eq!(store.get(id).unwrap().unwrap().object.meta.version, 2);

    // Version 3 is not releasable here: a recall drops the content, keeps the envelopes.
    let out = store
        .write(vec![replica(
            "BFA",
            15,
            ReplicaEntry::Recall { id, version: 3 },
        )])
        .unwrap();
    let WriteOutcome::Recalled(recalled) = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(recalled.previous.as_ref().unwrap().meta.version, 2);
    assert!(store.get(id).unwrap().is_none());
    let log = store.log_after(nation("BFA"), 0, 10).unwrap();
    let states: Vec<_> = log
        .iter()
        .map(|e| match &e.body {
            LogBody::Version { .. } => "held",
            LogBody::Dropped { .. } => "dropped",
            LogBody::Recall => "recall",
        })
        .collect();
    assert_eq!(states, vec!["dropped", "dropped", "recall"]);
    for entry in &log {
        if let LogBody::Dropped { meta } = &entry.body {
            assert_eq!(meta.id, id);
        }
    }
    assert_eq!(store.version_before(id, 3).unwrap().unwrap().version, 2);
    assert_eq!(store.version_before(id, 2).unwrap().unwrap().version, 1);
    assert!(store.version_before(id, 1).unwrap().is_none());
    // Nothing of the recalled content stays on disk (database and write-ahead log).
    let on_disk = |store: &SqliteStore| {
        let mut bytes = std::fs::read(store.path()).unwrap();
        if let Ok(wal) = std::fs::read(store.path().with_extension("db-wal")) {
            bytes.extend(wal);
        }
        bytes.windows(b"body of v".len()).any(|w| w == b"body of v")
    };
    assert!(!on_disk(&store), "recalled content is still on disk");

    // Versions at or below the recall never come back; a later releasable one does.
    let out = store
        .write(vec![replica(
            "NER",
            12,
            ReplicaEntry::Version(Box::new(bfa_report(id, 2, Marking::new("DR", ["AES"])))),
        )])
        .unwrap();
    assert!(matches!(out[0], WriteOutcome::Skipped));
    let out = store
        .write(vec![replica(
            "BFA",
            16,
            ReplicaEntry::Version(Box::new(bfa_report(id, 4, Marking::new("NP", ["AES"])))),
        )])
        .unwrap();
    assert!(matches!(out[0], WriteOutcome::Committed(_)));
    assert_eq!(store.get(id).unwrap().unwrap().object.meta.version, 4);
}

fn air_row(uid: &str, at: OffsetDateTime, lat: f64) -> AirHistoryRow {
    AirHistoryRow {
        time: at,
        origin: nation("MLI"),
        uid: uid.into(),
        marking: Marking::new("DR", ["AES"]),
        lat,
        lon: 0.5,
        payload: format!("{{\"uid\":\"{uid}\",\"lat\":{lat}}}"),
    }
}

#[test]
fn air_history_is_written_read_by_window_and_purged() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let second = time::Duration::seconds(1);
    let rows: Vec<AirHistoryRow> = (0..10)
        .flat_map(|k| {
            let at = T0 + second * (10 * k);
            [
                air_row("MLI-air-1", at, 14.0 + k as f64 * 0.01),
                air_row("MLI-air-2", at, 15.0),
            ]
        })
        .collect();
    let out = store
        .write(vec![WriteOp::AirHistory(rows.clone())])
        .unwrap();
    assert!(matches!(out[..], [WriteOutcome::Done]));
    let query = |from: OffsetDateTime, to: OffsetDateTime, uid: Option<&str>| AirHistoryQuery {
        from,
        to,
        uid: uid.map(str::to_owned),
        after_id: None,
        limit: 1000,
    };
    let all = store
        .air_history(&query(T0, T0 + second * 1000, None))
        .unwrap();
    assert_eq!(all.len(), 20);
    assert_eq!(
        all.iter().map(|(_, row)| row.clone()).collect::<Vec<_>>(),
        rows,
        "rows come back as written, in order"
    );
    // The newest state of each track in a window, one per uid.
    let latest = store
        .air_latest(T0 + second * 15, T0 + second * 45, 10)
        .unwrap();
    assert_eq!(
        latest
            .iter()
            .map(|row| (row.uid.as_str(), row.time))
            .collect::<Vec<_>>(),
        [
            ("MLI-air-1", T0 + second * 40),
            ("MLI-air-2", T0 + second * 40)
        ]
    );
    assert!((latest[0].lat - 14.04).abs() < 1e-9, "{latest:?}");
    assert_eq!(
        store.air_latest(T0, T0 + second * 1000, 1).unwrap().len(),
        1
    );
    // A window is half-open, a uid narrows, pages continue after the last id.
    let window = store
        .air_history(&query(
            T0 + second * 10,
            T0 + second * 30,
            Some("MLI-air-1"),
        ))
        .unwrap();
    assert_eq!(
        window.iter().map(|(_, row)| row.time).collect::<Vec<_>>(),
        vec![T0 + second * 10, T0 + second * 20]
    );
    let mut page = query(T0, T0 + second * 1000, None);
    page.limit = 7;
    let first = store.air_history(&page).unwrap();
    page.after_id = first.last().map(|(id, _)| *id);
    let second_page = store.air_history(&page).unwrap();
    assert_eq!(first.len(), 7);
    assert_eq!(second_page.first().map(|(_, row)| row), Some(&rows[7]));
    // Retention: everything before T0 + 50 s goes, the rest stays, across a reopen.
    store
        .write(vec![WriteOp::PurgeAirHistory {
            before: T0 + second * 50,
        }])
        .unwrap();
    drop(store);
    let store = open(&dir);
    let kept = store
        .air_history(&query(T0, T0 + second * 1000, None))
        .unwrap();
    assert_eq!(kept.len(), 10);
    assert!(kept.iter().all(|(_, row)| row.time >= T0 + second * 50));
}

#[test]
fn a_first_version_database_gets_the_air_history_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("liptako.db");
    let id = Uuid::new_v4();
    {
        let store = SqliteStore::open(&path, None).unwrap();
        store
            .write(vec![create(
                id,
                report("kept", ReportKind::Incident, None),
                None,
                T0,
            )])
            .unwrap();
    }
    // Make it what schema version 1 left: no air history table, no session generations, no
    // attestations, no envelope changes.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TABLE air_history; ALTER TABLE users DROP COLUMN session_gen;
         ALTER TABLE log DROP COLUMN attestation; DROP INDEX log_by_object_time;
         DROP TABLE envelope_changes; PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path, None).unwrap();
    let kept = store
        .get(id)
        .unwrap()
        .expect("objects survive the migration");
    // The envelope history is rebuilt from the log.
    let envelopes = store.envelope_changes_after(id, 0).unwrap();
    assert_eq!(envelopes.len(), 1, "{envelopes:?}");
    assert_eq!(envelopes[0].marking, kept.object.meta.marking);
    assert_eq!(envelopes[0].version, 1);
    store
        .write(vec![WriteOp::AirHistory(vec![air_row(
            "MLI-air-9",
            T0,
            14.5,
        )])])
        .unwrap();
    let query = AirHistoryQuery {
        from: T0,
        to: T0 + time::Duration::seconds(1),
        uid: None,
        after_id: None,
        limit: 10,
    };
    assert_eq!(store.air_history(&query).unwrap().len(), 1);
}

#[test]
fn arrivals_page_forward_by_position_and_versions_keep_history() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let ids: Vec<Uuid> = (0..10).map(|_| Uuid::now_v7()).collect();
    let mut ops: Vec<WriteOp> = ids
        .iter()
        .enumerate()
        .map(|(idx, id)| {
            create(
                *id,
                report(&format!("r{idx}"), ReportKind::Incident, None),
                None,
                T0,
            )
        })
        .collect();
    ops.push(create(
        Uuid::now_v7(),
        report("drill", ReportKind::Incident, None),
        Some("Flintlock"),
        T0,
    ));
    store.write(ops).unwrap();
    let all = |after: u64, limit: usize| {
        store
            .arrivals(
                &ArrivalQuery {
                    object_type: ObjectType::Report,
                    exercise: None,
                    after,
                    added_after: None,
                    limit,
                },
                &mut |_| true,
            )
            .unwrap()
    };
    // Oldest first, the exercise apart; paging by position loses and repeats nothing.
    let first = all(0, 4);
    let rest = all(first.last().unwrap().position, 100);
    let order: Vec<Uuid> = first
        .iter()
        .chain(&rest)
        .map(|a| a.object.meta.id)
        .collect();
    assert_eq!(order, ids);
    // A change moves the object to the end; a deletion takes it out.
    let change = WriteOp::Local {
        draft: Draft {
            id: ids[2],
            origin: nation("MLI"),
            expect: Expect::Version(1),
            at: T0,
            marking: Marking::new("DR", ["AES"]),
            valid_until: None,
            exercise: None,
            body: Some(report("r2 again", ReportKind::Incident, None)),
        },
        actor: "tester".into(),
    };
    let deletion = WriteOp::Local {
        draft: Draft {
            id: ids[3],
            origin: nation("MLI"),
            expect: Expect::Version(1),
            at: T0,
            marking: Marking::new("DR", ["AES"]),
            valid_until: None,
            exercise: None,
            body: None,
        },
        actor: "tester".into(),
    };
    store.write(vec![change, deletion]).unwrap();
    let after_change: Vec<Uuid> = all(0, 100).iter().map(|a| a.object.meta.id).collect();
    assert_eq!(after_change.len(), 9);
    assert_eq!(after_change.last(), Some(&ids[2]));
    assert!(!after_change.contains(&ids[3]));
    // added_after: only what arrived later.
    let last = all(0, 100).last().unwrap().added;
    let later = store
        .arrivals(
            &ArrivalQuery {
                object_type: ObjectType::Report,
                exercise: None,
                after: 0,
                added_after: Some(last - time::Duration::microseconds(1)),
                limit: 100,
            },
            &mut |_| true,
        )
        .unwrap();
    assert!(later.iter().any(|a| a.object.meta.id == ids[2]));
    assert!(later.iter().all(|a| a.added >= last));
    // Every held version, oldest first, each at its own position.
    let versions = store.version_arrivals(ids[2]).unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| v.object.meta.version)
            .collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(versions[0].position < versions[1].position);
    // The keep predicate filters without counting against the limit.
    let odd = store
        .arrivals(
            &ArrivalQuery {
                object_type: ObjectType::Report,
                exercise: None,
                after: 0,
                added_after: None,
                limit: 2,
            },
            &mut |object| object.meta.id == ids[7] || object.meta.id == ids[9],
        )
        .unwrap();
    assert_eq!(
        odd.iter().map(|a| a.object.meta.id).collect::<Vec<_>>(),
        vec![ids[7], ids[9]]
    );
}

#[test]
fn envelope_changes_hold_only_where_access_changes_and_held_at_finds_the_version_of_the_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let id = Uuid::new_v4();
    store
        .write(vec![create(
            id,
            report("v1", ReportKind::Incident, None),
            None,
            T0,
        )])
        .unwrap();
    let second = time::Duration::seconds(1);
    // v2, v3: same marking; v4 narrowed; v5 same as v4; v6 widened again; v7 deleted.
    for (version, title, marking, deleted) in [
        (2, "v2", Marking::new("DR", ["AES"]), false),
        (3, "v3", Marking::new("DR", ["AES"]), false),
        (4, "v4", Marking::new("DR", Vec::<String>::new()), false),
        (5, "v5", Marking::new("DR", Vec::<String>::new()), false),
        (6, "v6", Marking::new("DR", ["AES"]), false),
        (7, "v7", Marking::new("DR", ["AES"]), true),
    ] {
        store
            .write(vec![WriteOp::Local {
                draft: Draft {
                    id,
                    origin: nation("MLI"),
                    expect: Expect::Version(version - 1),
                    at: T0 + second * (version as i32),
                    marking,
                    valid_until: None,
                    exercise: None,
                    body: (!deleted).then(|| report(title, ReportKind::Incident, None)),
                },
                actor: "tester".into(),
            }])
            .unwrap();
    }
    let versions = |after: u64| -> Vec<u64> {
        store
            .envelope_changes_after(id, after)
            .unwrap()
            .iter()
            .map(|e| e.version)
            .collect()
    };
    assert_eq!(versions(0), [1, 4, 6, 7]);
    assert_eq!(versions(4), [6, 7]);
    assert_eq!(versions(7), Vec::<u64>::new());
    let changes = store.envelope_changes_after(id, 3).unwrap();
    assert!(changes[0].marking.releasable_to.is_empty() && !changes[0].deleted);
    assert!(changes[2].deleted);
    // The picture at a time holds the version of that time; after the deletion, nothing.
    let held = |at: OffsetDateTime| -> Vec<u64> {
        store
            .held_at(at, ObjectType::Report, None, None, 10, &mut |_| true)
            .unwrap()
            .objects
            .iter()
            .map(|o| o.meta.version)
            .collect()
    };
    assert_eq!(held(T0 - second), Vec::<u64>::new());
    assert_eq!(held(T0), [1]);
    assert_eq!(held(T0 + second * 4), [4]);
    assert_eq!(held(T0 + second * 5 + second / 2), [5]);
    assert_eq!(held(T0 + second * 60), Vec::<u64>::new());
}
