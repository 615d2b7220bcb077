//! After-action report benchmark: reading, building and rendering the report of a demo-sized
//! hour (`replay::aar::build` + `render`, what `GET /api/v1/aar?operation=ID&format=...` runs),
//! on a real SQLite store.
//!
//! The hour, sized like `liptako demo`'s: 10 units moving every 5 s (7,200 versions), a report
//! every 10 s from one of three nations cycling through the markings (360 reports; every tenth
//! an alert, every twentieth a civilian-harm report), 8 zones (protected sites and restricted
//! zones), one operation, a pursuit notice and NER's acknowledgement, 40 air tracks recorded
//! every 10 s (14,400 states). Cases: building the report (all reads, the timeline, the
//! figures, three maps with the borders), then rendering it as HTML and as PDF, for an
//! administrator (sees everything).
//!
//! `cargo bench -p liptako-node --bench aar` (the store is built once, a few seconds).

#![allow(clippy::print_stderr)] // the bench says what it built and measured

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use liptako_model::{
    Acknowledgement, Body, Confederation, Draft, Expect, Levels, Marking, Meta, Nation, Object,
    Point, Policy, Principal, PursuitNotice, Report, ReportKind, Role, Unit, Zone,
};
use liptako_node::replay::aar::{self, AarRequest, Format, Geography, Lang, Sources};
use liptako_store::{AirHistoryRow, ReplicaEntry, SqliteStore, Store, WriteOp};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

const START: OffsetDateTime = datetime!(2026-12-01 10:00 UTC);
const UNITS: u32 = 10;
const UNIT_PERIOD_S: i64 = 5;
const AIR_TRACKS: u32 = 40;
const AIR_PERIOD_S: i64 = 10;
const HOUR_S: i64 = 3600;

fn nation(code: &str) -> Nation {
    Nation::parse(code).unwrap_or_else(|_| panic!("{code}"))
}

fn local(id: Uuid, expect: Expect, at: OffsetDateTime, marking: Marking, body: Body) -> WriteOp {
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

fn seconds(n: i64) -> OffsetDateTime {
    START + time::Duration::seconds(n)
}

/// Builds the hour; returns the store and the operation's id.
fn build_store(dir: &std::path::Path) -> (SqliteStore, Uuid) {
    let store = SqliteStore::open(&dir.join("store.db"), None).expect("store");
    let all = Marking::new("DR", ["AES"]);
    let levels = ["NP", "DR", "C", "S"];
    let unit_ids: Vec<Uuid> = (0..UNITS).map(|_| Uuid::new_v4()).collect();
    let op = Uuid::new_v4();
    let area = serde_json::json!({"type": "Polygon",
        "coordinates": [[[0.0, 14.0], [4.0, 14.0], [4.0, 16.5], [0.0, 16.5], [0.0, 14.0]]]});
    let mut ops = vec![local(
        op,
        Expect::New,
        seconds(0),
        all.clone(),
        serde_json::from_value(
            serde_json::json!({"type": "operation", "name": "SAHEL SHIELD",
            "lead_nation": "MLI", "participating_nations": ["MLI", "NER"], "area": area,
            "start": "2026-12-01T10:00:00Z", "end": "2026-12-01T11:00:00Z", "status": "active",
            "units": unit_ids, "intent": "Poursuivre vers l'est."}),
        )
        .expect("operation"),
    )];
    for k in 0..8u32 {
        let (lat, lon) = (14.5 + f64::from(k) * 0.2, 0.5 + f64::from(k) * 0.4);
        let ring = vec![
            [lon, lat],
            [lon + 0.05, lat],
            [lon + 0.05, lat + 0.05],
            [lon, lat + 0.05],
            [lon, lat],
        ];
        let zone: Zone = serde_json::from_value(serde_json::json!({
            "kind": if k % 2 == 0 { "protected_site" } else { "restricted" },
            "name": format!("Site {k}"), "category": if k % 2 == 0 { Some("school") } else { None },
            "area": {"type": "Polygon", "coordinates": [ring]}}))
        .expect("zone");
        ops.push(local(
            Uuid::new_v4(),
            Expect::New,
            seconds(1),
            all.clone(),
            Body::Zone(zone),
        ));
    }
    store.write(ops).expect("seed");
    // Units east along the parallel; the first one crosses into Niger.
    let mut batch = Vec::new();
    for step in 0..HOUR_S / UNIT_PERIOD_S {
        for (k, id) in unit_ids.iter().enumerate() {
            let t = (step * UNIT_PERIOD_S) as f64;
            let lon = 0.8 + k as f64 * 0.05 + t * 0.0006;
            let body = Body::Unit(Unit {
                callsign: format!("UNIT {k}"),
                symbol: None,
                position: Some(Point::new(15.3 + k as f64 * 0.05, lon)),
                course_deg: Some(90.0),
                speed_mps: Some(18.0),
            });
            let expect = if step == 0 { Expect::New } else { Expect::Any };
            batch.push(local(
                *id,
                expect,
                seconds(2 + step * UNIT_PERIOD_S),
                all.clone(),
                body,
            ));
        }
        if step % 2 == 0 {
            let n = step / 2;
            let kind = if n % 20 == 0 {
                ReportKind::CivilianHarm
            } else if n % 10 == 0 {
                ReportKind::ProtectionWarning
            } else {
                ReportKind::Incident
            };
            let level = levels
                .get(n as usize % levels.len())
                .copied()
                .unwrap_or("NP");
            batch.push(local(
                Uuid::new_v4(),
                Expect::New,
                seconds(3 + step * UNIT_PERIOD_S),
                Marking::new(level, ["AES"]),
                Body::Report(Report {
                    kind,
                    title: format!("Événement {n} près de Ménaka"),
                    body: "Texte du rapport.".into(),
                    location: Some(Point::new(
                        15.0 + (n % 10) as f64 * 0.1,
                        1.0 + (n % 25) as f64 * 0.1,
                    )),
                }),
            ));
        }
        if batch.len() >= 2000 {
            store.write(std::mem::take(&mut batch)).expect("units");
        }
    }
    store.write(batch).expect("units");
    // The notice and its acknowledgement.
    let notice = Uuid::new_v4();
    let unit_zero = unit_ids.first().copied().unwrap_or_else(Uuid::new_v4);
    store
        .write(vec![local(
            notice,
            Expect::New,
            seconds(1700),
            Marking::new("DR", ["NER"]),
            Body::PursuitNotice(Box::new(PursuitNotice {
                operation: op,
                units: vec![unit_zero],
                nation_entered: nation("NER"),
                crossing_point: Point::new(15.3, 1.83),
                crossing_time: seconds(1690),
                direction_deg: 90.0,
                depth_km: 1.0,
                max_depth_km: 1.0,
                limits_exceeded: Vec::new(),
                ended: None,
                track: Vec::new(),
            })),
        )])
        .expect("notice");
    let ack = Object {
        meta: Meta {
            id: Uuid::new_v4(),
            origin: nation("NER"),
            version: 1,
            created: seconds(1790),
            updated: seconds(1790),
            valid_until: None,
            marking: Marking::new("DR", ["MLI"]),
            exercise: None,
            deleted: false,
        },
        body: Body::Acknowledgement(Acknowledgement {
            refers_to: notice,
            by: "ner".into(),
            text: "Vu.".into(),
        }),
    };
    store
        .write(vec![WriteOp::Replica {
            peer: nation("NER"),
            origin: nation("NER"),
            seq: 1,
            entry: ReplicaEntry::Version(Box::new(ack)),
            at: seconds(1792),
            attestation: Vec::new(),
        }])
        .expect("ack");
    // The air picture.
    let mut rows = Vec::new();
    for step in 0..HOUR_S / AIR_PERIOD_S {
        for k in 0..AIR_TRACKS {
            let t = (step * AIR_PERIOD_S) as f64;
            let (lat, lon) = (
                13.5 + f64::from(k) * 0.07,
                -0.5 + f64::from(k % 7) * 0.3 + t * 0.0008,
            );
            let identity = if k % 3 == 0 { "neutral" } else { "unknown" };
            rows.push(AirHistoryRow {
                time: seconds(step * AIR_PERIOD_S),
                origin: nation("MLI"),
                uid: format!("MLI-{k}"),
                marking: Marking::new("DR", ["AES"]),
                lat,
                lon,
                payload: serde_json::json!({"uid": format!("MLI-{k}"), "identity": identity,
                    "position": {"lat": lat, "lon": lon}})
                .to_string(),
            });
        }
        if rows.len() >= 4000 {
            store
                .write(vec![WriteOp::AirHistory(std::mem::take(&mut rows))])
                .expect("air");
        }
    }
    store.write(vec![WriteOp::AirHistory(rows)]).expect("air");
    (store, op)
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let built = std::time::Instant::now();
    let (store, op) = build_store(dir.path());
    eprintln!("aar bench: store built in {:.1?}", built.elapsed());
    let policy = Policy::new(
        Confederation::new("AES", vec![nation("MLI"), nation("BFA"), nation("NER")])
            .expect("confederation"),
        Levels::default(),
    );
    let loaded = std::time::Instant::now();
    let geography = Geography::load(&policy);
    eprintln!(
        "aar bench: borders loaded in {:.1?} (once per node)",
        loaded.elapsed()
    );
    let admin = Principal::new("admin", nation("MLI"), "S", Role::Admin);
    let sources = Sources {
        store: &store,
        policy: &policy,
        geography: &geography,
        node: nation("MLI"),
        principal: &admin,
        now: START + time::Duration::hours(2),
    };
    let request = AarRequest {
        operation: Some(op),
        lang: Lang::Fr,
        ..AarRequest::default()
    };
    let report = aar::build(&sources, &request).expect("report");
    let html = aar::render(&report, Format::Html);
    let pdf = aar::render(&report, Format::Pdf);
    eprintln!(
        "aar bench: {} events, {} items, marking {}, figures: {} crossings, {} air tracks; HTML {} bytes, PDF {} bytes in {} pages",
        report.events.len(),
        report.n_items,
        report.marking,
        report.figures.border_crossings,
        report.figures.air_tracks,
        html.bytes.len(),
        pdf.bytes.len(),
        pdf.pages.unwrap_or(0)
    );
    let mut group = c.benchmark_group("aar");
    group.sample_size(10);
    group.bench_function("build (reads, timeline, figures, maps)", |b| {
        b.iter(|| black_box(aar::build(&sources, &request).expect("report")))
    });
    group.bench_function("render html", |b| {
        b.iter(|| black_box(aar::render(&report, Format::Html)))
    });
    group.bench_function("render pdf", |b| {
        b.iter(|| black_box(aar::render(&report, Format::Pdf)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
