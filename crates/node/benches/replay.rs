//! Replay benchmark: the picture at any time of a recorded day (`replay::replay`, what
//! `GET /api/v1/replay/picture?at=T` runs), on a real SQLite store.
//!
//! The day: 300 units, each moving every 60 s for 24 h (432,000 versions), 2,000 reports and
//! 40 zones, some narrowed and widened again during the day (so that the "withdrawn since"
//! check has work), and 5,000 air tracks recorded every 10 s for the 10 minutes around each
//! time asked for. The picture is asked at the start, middle and end of the day by an
//! administrator (who sees everything) and by an NP user of another nation (who sees little).
//! Goal (issue 16): any picture within 200 ms.
//!
//! `cargo bench -p liptako-node --bench replay` (the store is built once, about a minute).

#![allow(clippy::print_stderr)] // the bench says what it built and measured

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use liptako_model::{
    Body, Confederation, Draft, Expect, Levels, Marking, Nation, Point, Policy, Principal, Report,
    ReportKind, Role, Unit,
};
use liptako_node::replay::{PictureParams, replay};
use liptako_store::{AirHistoryRow, SqliteStore, Store, WriteOp};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

const DAY_START: OffsetDateTime = datetime!(2026-12-01 00:00 UTC);
const UNITS: u32 = 300;
const UNIT_PERIOD_S: i64 = 60;
const REPORTS: u32 = 2_000;
const AIR_TRACKS: u32 = 5_000;
const AIR_PERIOD_S: i64 = 10;

fn nation(code: &str) -> Nation {
    Nation::parse(code).unwrap_or_else(|_| panic!("{code}"))
}

fn draft(id: Uuid, expect: Expect, at: OffsetDateTime, marking: Marking, body: Body) -> WriteOp {
    WriteOp::Local {
        draft: Draft {
            id,
            origin: nation("MLI"),
            expect,
            at,
            marking,
            valid_until: None,
            exercise: None,
            body: Some(body),
        },
        actor: "bench".into(),
    }
}

fn unit(k: u32, step: i64) -> Body {
    let t = step as f64;
    Body::Unit(Unit {
        callsign: format!("U{k:03}"),
        symbol: None,
        position: Some(Point::new(
            14.0 + f64::from(k % 20) * 0.05 + (t * 0.01).sin() * 0.02,
            0.0 + f64::from(k / 20) * 0.05 + (t * 0.01).cos() * 0.02,
        )),
        course_deg: Some((t * 3.0) % 360.0),
        speed_mps: Some(8.0),
    })
}

fn report(k: u32, title: &str) -> Body {
    Body::Report(Report {
        kind: ReportKind::Incident,
        title: format!("{title} {k}"),
        body: "A recorded event of the day, with some text to store and parse.".into(),
        location: Some(Point::new(
            14.0 + f64::from(k % 50) * 0.02,
            f64::from(k / 50) * 0.02,
        )),
    })
}

/// Builds the day in `store`; returns the times the picture is asked at.
fn record_day(store: &SqliteStore) -> Vec<OffsetDateTime> {
    let rel_aes = Marking::new("DR", ["AES"]);
    let np_aes = Marking::new("NP", ["AES"]);
    let national = Marking::new("DR", Vec::<String>::new());
    let unit_ids: Vec<Uuid> = (0..UNITS)
        .map(|k| Uuid::from_u128(0x1_0000 + u128::from(k)))
        .collect();
    let steps = 24 * 3600 / UNIT_PERIOD_S;
    let mut batch = Vec::new();
    let flush = |batch: &mut Vec<WriteOp>| {
        store
            .write(std::mem::take(batch))
            .unwrap_or_else(|err| panic!("{err}"));
    };
    for step in 0..steps {
        let at = DAY_START + time::Duration::seconds(step * UNIT_PERIOD_S);
        for (k, id) in (0u32..).zip(&unit_ids) {
            let expect = if step == 0 {
                Expect::New
            } else {
                Expect::Version(step as u64)
            };
            // A tenth of the units are NP, the rest DR.
            let marking = if k % 10 == 0 {
                np_aes.clone()
            } else {
                rel_aes.clone()
            };
            batch.push(draft(*id, expect, at, marking, unit(k, step)));
        }
        // Reports spread over the day; a fifth narrowed an hour later and widened again.
        let per_step = (u64::from(REPORTS) / steps as u64).max(1);
        for j in 0..per_step {
            let k = (step as u64 * per_step + j) as u32;
            if k >= REPORTS {
                break;
            }
            let id = Uuid::from_u128(0x2_0000 + u128::from(k));
            let marking = if k.is_multiple_of(3) {
                np_aes.clone()
            } else {
                rel_aes.clone()
            };
            batch.push(draft(
                id,
                Expect::New,
                at,
                marking.clone(),
                report(k, "event"),
            ));
        }
        if step >= 60 {
            let k = ((step - 60) as u64 * per_step) as u32;
            if k < REPORTS && k.is_multiple_of(5) {
                let id = Uuid::from_u128(0x2_0000 + u128::from(k));
                batch.push(draft(
                    id,
                    Expect::Version(1),
                    at,
                    national.clone(),
                    report(k, "narrowed"),
                ));
            }
        }
        if step >= 120 {
            let k = ((step - 120) as u64 * per_step) as u32;
            if k < REPORTS && k.is_multiple_of(5) {
                let id = Uuid::from_u128(0x2_0000 + u128::from(k));
                batch.push(draft(
                    id,
                    Expect::Version(2),
                    at,
                    rel_aes.clone(),
                    report(k, "widened"),
                ));
            }
        }
        if batch.len() >= 3_000 {
            flush(&mut batch);
        }
    }
    flush(&mut batch);
    let times = vec![
        DAY_START + time::Duration::minutes(30),
        DAY_START + time::Duration::hours(12),
        DAY_START + time::Duration::hours(23) + time::Duration::minutes(50),
    ];
    for at in &times {
        let mut rows = Vec::new();
        let mut t = *at - time::Duration::minutes(5);
        while t <= *at + time::Duration::minutes(5) {
            for k in 0..AIR_TRACKS {
                let uid = format!("MLI-air-1-{k}");
                let lat = 13.0 + f64::from(k % 100) * 0.03;
                let lon = -1.0 + f64::from(k / 100) * 0.06;
                rows.push(AirHistoryRow {
                    time: t,
                    origin: nation("MLI"),
                    uid: uid.clone(),
                    marking: rel_aes.clone(),
                    lat,
                    lon,
                    payload: format!(
                        "{{\"uid\":\"{uid}\",\"track_number\":{k},\"position\":{{\"lat\":{lat},\"lon\":{lon}}},\"speed_mps\":120.0,\"course_deg\":90.0}}"
                    ),
                });
            }
            store
                .write(vec![WriteOp::AirHistory(std::mem::take(&mut rows))])
                .unwrap_or_else(|err| panic!("{err}"));
            t += time::Duration::seconds(AIR_PERIOD_S);
        }
    }
    times
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let store = SqliteStore::open(&dir.path().join("liptako.db"), None)
        .unwrap_or_else(|err| panic!("{err}"));
    let built = std::time::Instant::now();
    let times = record_day(&store);
    eprintln!(
        "replay bench: day recorded in {:.1} s",
        built.elapsed().as_secs_f64()
    );
    let members = ["MLI", "BFA", "NER"].map(nation).into_iter().collect();
    let policy = Policy::new(
        Confederation::new("AES", members).unwrap_or_else(|err| panic!("{err}")),
        Levels::default(),
    );
    let admin = Principal::new("admin", nation("MLI"), "S", Role::Admin);
    let guest = Principal::new("guest", nation("BFA"), "NP", Role::Viewer);
    let mut group = c.benchmark_group("replay_picture");
    group.sample_size(20);
    for (label, at) in ["start", "middle", "end"].into_iter().zip(&times) {
        for (who, principal) in [("admin", &admin), ("np_partner", &guest)] {
            let picture = replay(&store, &policy, principal, PictureParams::default(), *at)
                .unwrap_or_else(|err| panic!("{err}"));
            eprintln!(
                "replay bench: {label} {who}: {} units, {} reports, {} air tracks, truncated {}",
                picture.units.len(),
                picture.reports.len(),
                picture.air_tracks.len(),
                picture.truncated
            );
            group.bench_function(format!("{label}/{who}"), |b| {
                b.iter(|| {
                    black_box(
                        replay(&store, &policy, principal, PictureParams::default(), *at)
                            .unwrap_or_else(|err| panic!("{err}")),
                    )
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
