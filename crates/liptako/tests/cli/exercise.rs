//! Issue 16 (exercise half): MLI directs the exercise SAHEL 27 with NER on three federated real
//! nodes; BFA takes no part, although the exercise object itself is released to it. MLI's
//! exercise-world objects and its injects reach NER in the exercise's world, never BFA (its API
//! in that world and its store) and never a real-world reader; injects run on time, a pause
//! stops them and a resume continues them (paused time does not count). The doors attacked: a
//! BFA user writing in the world, a NER viewer in the real world, a NER user (liaison on MLI's
//! node, or on its own node) running MLI's injects. Then NER is removed from the exercise: MLI's
//! next exercise object stays home, and what NER held of MLI's in the world is recalled.

use std::path::Path;
use std::time::{Duration, Instant};

use liptako_loadgen::cluster::Cluster;
use serde_json::{Value, json};

use super::util::{BIN, http, liptako, login};

const MLI: usize = 0;
const BFA: usize = 1;
const NER: usize = 2;
const WAIT: Duration = Duration::from_secs(60);
const WORLD: &str = "SAHEL 27";
const WORLD_Q: &str = "SAHEL%2027";
/// How late a step may run after its T+ on a loaded 2-core machine.
const LATE: f64 = 1.0;

fn add_user(c: &Cluster, node: usize, name: &str, nation: &str, role: &str) {
    liptako(&[
        "user",
        "add",
        "--data",
        c.members[node].dir.to_str().unwrap(),
        "--name",
        name,
        "--nation",
        nation,
        "--clearance",
        "C",
        "--role",
        role,
        "--password",
        &format!("{name}-password"),
    ]);
}

fn as_user(c: &Cluster, node: usize, name: &str) -> String {
    login(c.members[node].http, name, &format!("{name}-password"))
}

/// The ids of `collection` node `idx`'s admin lists in `world` (`None`: the real world).
fn listed(c: &Cluster, idx: usize, collection: &str, world: Option<&str>) -> Vec<String> {
    let mut path = format!("/api/v1/{collection}?limit=1000&include_expired=true");
    if let Some(world) = world {
        path.push_str(&format!("&exercise={world}"));
    }
    let (status, page) = c.call(idx, "GET", &path, None).unwrap();
    assert_eq!(status, 200, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|object| object["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Rows of BFA's store that belong to the exercise's world, in its latest table and its logs.
fn stored_in_world(c: &Cluster, idx: usize) -> (i64, i64) {
    let db = rusqlite::Connection::open_with_flags(
        c.members[idx].dir.join("liptako.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let latest: i64 = db
        .query_row(
            "SELECT count(*) FROM latest WHERE exercise = ?1",
            [WORLD],
            |row| row.get(0),
        )
        .unwrap();
    let logged: i64 = db
        .query_row(
            "SELECT count(*) FROM log WHERE CAST(payload AS TEXT) LIKE ?1",
            [format!("%\"exercise\":\"{WORLD}\"%")],
            |row| row.get(0),
        )
        .unwrap();
    (latest, logged)
}

fn report(title: &str, world: Option<&str>) -> Value {
    let mut report = json!({"kind": "incident", "title": title,
        "location": {"lat": 14.6, "lon": 0.9},
        "marking": {"level": "DR", "releasable_to": ["AES"]}});
    if let Some(world) = world {
        report["exercise"] = json!(world);
    }
    report
}

fn injects(c: &Cluster, token: &str, exercise: &str, act: &str) -> (u16, Value) {
    let path = if act.is_empty() {
        format!("/api/v1/exercises/{exercise}/injects")
    } else {
        format!("/api/v1/exercises/{exercise}/injects/{act}")
    };
    let method = if act.is_empty() { "GET" } else { "POST" };
    http(c.members[MLI].http, method, &path, Some(token), None).unwrap()
}

#[test]
fn an_exercise_stays_among_its_participants_and_its_injects_run_on_time() {
    let dir = tempfile::tempdir().unwrap();
    let c = Cluster::new(
        Path::new(BIN),
        dir.path(),
        &["MLI", "BFA", "NER"],
        &[(MLI, BFA, "C"), (MLI, NER, "C"), (BFA, NER, "C")],
    )
    .unwrap();
    add_user(&c, MLI, "ctl", "MLI", "editor");
    add_user(&c, MLI, "mli_editor", "MLI", "editor");
    add_user(&c, MLI, "ner_liaison", "NER", "admin");
    add_user(&c, NER, "ner_viewer", "NER", "viewer");

    let exercise = |participants: &[&str], releasable: &[&str], start: &str, end: &str| {
        json!({"name": WORLD, "participating_nations": participants,
               "start": start, "end": end, "status": "running", "control": ["ctl"],
               "marking": {"level": "DR", "releasable_to": releasable}})
    };
    let (start, end) = ("2026-12-07T08:00:00Z", "2026-12-07T18:00:00Z");

    // Validation: the directing nation takes part, the marking reaches every participant, the
    // window is a window.
    for (body, status) in [
        (exercise(&["NER"], &["AES"], start, end), 422),
        (exercise(&["MLI", "NER"], &["BFA"], start, end), 422),
        (exercise(&["MLI", "NER"], &["AES"], end, start), 400),
        (
            json!({"name": "bad<name>", "participating_nations": ["MLI"], "start": start,
                   "end": end, "status": "planned", "marking": {"level": "DR", "releasable_to": []}}),
            400,
        ),
    ] {
        let (got, answer) = c
            .call(MLI, "POST", "/api/v1/exercises", Some(&body))
            .unwrap();
        assert_eq!(got, status, "{body} -> {answer}");
    }
    // Released to the whole confederation: BFA holds the exercise object, not its world.
    let made = c
        .create(
            MLI,
            "exercises",
            &exercise(&["MLI", "NER"], &["AES"], start, end),
        )
        .unwrap();
    let exercise_id = made["id"].as_str().unwrap().to_owned();
    let (status, answer) = c
        .call(
            MLI,
            "POST",
            "/api/v1/exercises",
            Some(&exercise(&["MLI", "NER"], &["AES"], start, end)),
        )
        .unwrap();
    assert_eq!(status, 409, "a second exercise of the same name: {answer}");
    c.wait_until(WAIT, |c| {
        Ok(c.ids(BFA, "exercises")?.contains(&exercise_id)
            && c.ids(NER, "exercises")?.contains(&exercise_id))
    })
    .unwrap();

    // Writing in a world: only a held exercise, and only a participating nation.
    let (status, answer) = c
        .call(
            MLI,
            "POST",
            "/api/v1/reports",
            Some(&report("x", Some("UNKNOWN"))),
        )
        .unwrap();
    assert_eq!(status, 422, "unknown exercise: {answer}");
    let (status, answer) = c
        .call(
            BFA,
            "POST",
            "/api/v1/reports",
            Some(&report("x", Some(WORLD))),
        )
        .unwrap();
    assert_eq!(status, 403, "BFA takes no part: {answer}");

    // An exercise object of MLI reaches NER in the world only.
    let drill = c
        .create(MLI, "reports", &report("EX convoy ambushed", Some(WORLD)))
        .unwrap();
    let drill_id = drill["id"].as_str().unwrap().to_owned();
    c.wait_until(WAIT, |c| {
        Ok(listed(c, NER, "reports", Some(WORLD_Q)).contains(&drill_id))
    })
    .unwrap();
    // NER's own exercise object reaches MLI, not BFA.
    let from_ner = c
        .create(NER, "reports", &report("EX NER patrol report", Some(WORLD)))
        .unwrap();
    let from_ner_id = from_ner["id"].as_str().unwrap().to_owned();
    c.wait_until(WAIT, |c| {
        Ok(listed(c, MLI, "reports", Some(WORLD_Q)).contains(&from_ner_id))
    })
    .unwrap();

    // Injects: a bad script is refused naming the step; the attackers are refused.
    let ctl = as_user(&c, MLI, "ctl");
    let mli_port = c.members[MLI].http;
    let bad = json!({"steps": [
        {"at": "00:01", "action": "create_report", "title": "ok"},
        {"at": "00:02", "action": "move_unit", "unit": "ghost", "position": {"lat": 14.0, "lon": 1.0}}]});
    let (status, answer) = http(
        mli_port,
        "POST",
        &format!("/api/v1/exercises/{exercise_id}/injects"),
        Some(&ctl),
        Some(&bad),
    )
    .unwrap();
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer.to_string().contains("step 2 (at 00:02)"),
        "the error names the step: {answer}"
    );
    let script = json!({"steps": [
        {"at": "00:01", "action": "create_unit", "unit": "alpha", "callsign": "EX ALPHA",
         "symbol": "SFGPUCI----K---", "position": {"lat": 14.5, "lon": 0.5}},
        {"at": "00:02", "action": "create_report", "kind": "spot_report",
         "title": "EX enemy column seen", "location": {"lat": 14.55, "lon": 0.6}},
        {"at": "00:04", "action": "move_unit", "unit": "alpha",
         "position": {"lat": 14.6, "lon": 0.7}, "course_deg": 45.0, "speed_mps": 10.0},
        {"at": "00:05", "action": "raise_alert", "title": "EX drone over the camp"}]});
    let liaison = as_user(&c, MLI, "ner_liaison");
    let mli_editor = as_user(&c, MLI, "mli_editor");
    for (who, token) in [
        ("NER liaison on MLI", &liaison),
        ("MLI editor not in control", &mli_editor),
    ] {
        let (status, answer) = http(
            mli_port,
            "POST",
            &format!("/api/v1/exercises/{exercise_id}/injects"),
            Some(token),
            Some(&script),
        )
        .unwrap();
        assert_eq!(status, 403, "{who}: {answer}");
    }
    for node in [NER, BFA] {
        let (status, answer) = c
            .call(
                node,
                "POST",
                &format!("/api/v1/exercises/{exercise_id}/injects"),
                Some(&script),
            )
            .unwrap();
        assert_eq!(
            status, 403,
            "{} admin on its own node: {answer}",
            c.members[node].nation
        );
    }
    let (status, answer) = http(
        mli_port,
        "POST",
        &format!("/api/v1/exercises/{exercise_id}/injects"),
        Some(&ctl),
        Some(&script),
    )
    .unwrap();
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["state"], "loaded");
    let (status, answer) = injects(&c, &liaison, &exercise_id, "run");
    assert_eq!(
        status, 403,
        "the liaison does not run them either: {answer}"
    );

    // Run; pause after the second step; nothing runs while paused; resume.
    let (status, answer) = injects(&c, &ctl, &exercise_id, "run");
    assert_eq!(status, 200, "{answer}");
    let started = Instant::now();
    c.wait_until(WAIT, |_| {
        Ok(injects(&c, &ctl, &exercise_id, "").1["done"]
            .as_array()
            .is_some_and(|done| done.len() >= 2))
    })
    .unwrap();
    let (status, paused) = injects(&c, &ctl, &exercise_id, "pause");
    assert_eq!(status, 200, "{paused}");
    assert_eq!(paused["state"], "paused");
    assert_eq!(paused["done"].as_array().unwrap().len(), 2);
    assert_eq!(paused["next"]["step"], 3);
    let paused_at = paused["elapsed_s"].as_f64().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let (_, still) = injects(&c, &ctl, &exercise_id, "");
    assert_eq!(still["state"], "paused");
    assert_eq!(still["done"].as_array().unwrap().len(), 2, "{still}");
    assert!(
        (still["elapsed_s"].as_f64().unwrap() - paused_at).abs() < 0.001,
        "paused time does not count: {still}"
    );
    let (status, answer) = injects(&c, &ctl, &exercise_id, "resume");
    assert_eq!(status, 200, "{answer}");
    c.wait_until(WAIT, |_| {
        Ok(injects(&c, &ctl, &exercise_id, "").1["state"] == "done")
    })
    .unwrap();
    let wall = started.elapsed().as_secs_f64();
    let (_, finished) = injects(&c, &ctl, &exercise_id, "");
    let done = finished["done"].as_array().unwrap().clone();
    assert_eq!(done.len(), 4, "{finished}");
    let mut worst_late = 0.0f64;
    for (step, at) in done.iter().zip([1.0, 2.0, 4.0, 5.0]) {
        let ran = step["ran_at_s"].as_f64().unwrap();
        assert!(
            ran >= at && ran < at + LATE,
            "step {} due at T+{at} s ran at T+{ran} s",
            step["step"]
        );
        worst_late = worst_late.max(ran - at);
    }
    assert!(wall >= 5.0 + 3.0, "the pause held the run back: {wall} s");
    eprintln!(
        "injects: 4 steps, worst lateness {:.0} ms, wall {wall:.1} s with a 3 s pause",
        worst_late * 1000.0
    );
    let injected: Vec<String> = done
        .iter()
        .map(|step| step["object"].as_str().unwrap().to_owned())
        .collect();

    // Everything injected is an object of MLI in the world, marked as the exercise.
    let mli_units = listed(&c, MLI, "units", Some(WORLD_Q));
    assert!(mli_units.contains(&injected[0]));
    let (_, unit) = c
        .call(
            MLI,
            "GET",
            &format!("/api/v1/units/{}?exercise={WORLD_Q}", injected[0]),
            None,
        )
        .unwrap();
    assert_eq!(unit["exercise"], WORLD);
    assert_eq!(unit["version"], 2, "moved once: {unit}");
    assert_eq!(
        unit["marking"],
        json!({"level": "DR", "releasable_to": ["AES"]})
    );
    assert_eq!(unit["position"]["lat"], 14.6);

    // NER holds them in the world; a real-world sentinel shows what BFA was sent after them.
    c.wait_until(WAIT, |c| {
        let units = listed(c, NER, "units", Some(WORLD_Q));
        let reports = listed(c, NER, "reports", Some(WORLD_Q));
        Ok(units.contains(&injected[0])
            && reports.contains(&injected[1])
            && reports.contains(&injected[3]))
    })
    .unwrap();
    let sentinel = c
        .create(MLI, "reports", &report("real world", None))
        .unwrap();
    let sentinel_id = sentinel["id"].as_str().unwrap().to_owned();
    c.wait_until(WAIT, |c| {
        Ok(c.ids(BFA, "reports")?.contains(&sentinel_id)
            && c.ids(NER, "reports")?.contains(&sentinel_id))
    })
    .unwrap();
    // BFA: nothing of the world, not in its API, not in its store.
    for collection in ["reports", "units"] {
        assert!(
            listed(&c, BFA, collection, Some(WORLD_Q)).is_empty(),
            "BFA lists {collection} of the exercise"
        );
    }
    assert_eq!(
        stored_in_world(&c, BFA),
        (0, 0),
        "BFA's store holds exercise objects"
    );
    let (latest, logged) = stored_in_world(&c, NER);
    assert!(
        latest >= 4 && logged >= 5,
        "NER's store: {latest} latest, {logged} logged"
    );
    // NER's real world: none of it, to its admin or to a real-world viewer.
    let ner_viewer = as_user(&c, NER, "ner_viewer");
    let ner_port = c.members[NER].http;
    for id in injected.iter().chain([&drill_id]) {
        assert!(!c.ids(NER, "reports").unwrap().contains(id));
        assert!(!c.ids(NER, "units").unwrap().contains(id));
        for collection in ["reports", "units"] {
            let (status, _) = http(
                ner_port,
                "GET",
                &format!("/api/v1/{collection}/{id}"),
                Some(&ner_viewer),
                None,
            )
            .unwrap();
            assert_eq!(status, 404, "a real-world viewer reads {collection}/{id}");
        }
    }
    let (_, page) = http(
        ner_port,
        "GET",
        "/api/v1/reports?limit=1000",
        Some(&ner_viewer),
        None,
    )
    .unwrap();
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|object| object.get("exercise").is_none()),
        "a real-world list shows exercise objects: {page}"
    );

    // NER removed from the exercise: MLI's next exercise object stays home.
    let (_, held) = c
        .call(
            MLI,
            "GET",
            &format!("/api/v1/exercises/{exercise_id}"),
            None,
        )
        .unwrap();
    let mut changed = exercise(&["MLI"], &["AES"], start, end);
    changed["version"] = held["version"].clone();
    let (status, answer) = c
        .call(
            MLI,
            "PUT",
            &format!("/api/v1/exercises/{exercise_id}"),
            Some(&changed),
        )
        .unwrap();
    assert_eq!(status, 200, "{answer}");
    let after = c
        .create(MLI, "reports", &report("EX after NER left", Some(WORLD)))
        .unwrap();
    let after_id = after["id"].as_str().unwrap().to_owned();
    let sentinel = c
        .create(MLI, "reports", &report("real world 2", None))
        .unwrap();
    let sentinel_id = sentinel["id"].as_str().unwrap().to_owned();
    c.wait_until(WAIT, |c| Ok(c.ids(NER, "reports")?.contains(&sentinel_id)))
        .unwrap();
    assert!(
        !listed(&c, NER, "reports", Some(WORLD_Q)).contains(&after_id),
        "NER, removed from the exercise, received a new object of its world"
    );
    // What NER held of MLI's in the world is recalled (its own report stays with it).
    let recalled = Instant::now();
    c.wait_until(WAIT, |c| {
        let reports = listed(c, NER, "reports", Some(WORLD_Q));
        let units = listed(c, NER, "units", Some(WORLD_Q));
        Ok(reports == vec![from_ner_id.clone()] && units.is_empty())
    })
    .unwrap();
    eprintln!(
        "NER removed: its MLI exercise objects recalled within {} ms",
        recalled.elapsed().as_millis()
    );
    let (latest, _) = stored_in_world(&c, NER);
    assert_eq!(
        latest, 1,
        "NER's store keeps only its own object of the world"
    );
    // And NER's users may no longer write in it.
    let (status, answer) = c
        .call(
            NER,
            "POST",
            "/api/v1/reports",
            Some(&report("x", Some(WORLD))),
        )
        .unwrap();
    assert_eq!(status, 403, "{answer}");
}
