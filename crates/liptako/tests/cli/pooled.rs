//! Issue 15: pooled means on three federated real nodes. MLI registers a helicopter released
//! to the confederation; NER sees it and asks MLI for it (released to MLI only); MLI approves
//! with the asset and an ETA; NER sees `approved` within seconds; the same asset for an
//! overlapping request is refused; BFA sees neither the request nor the answer. An urgent request NER leaves unanswered past `[support] urgent` raises the
//! `support_alert` on both sides (NER and MLI), not at BFA.

use std::path::Path;
use std::time::{Duration, Instant};

use liptako_loadgen::cluster::Cluster;
use serde_json::{Value, json};

use super::util::BIN;

const MLI: usize = 0;
const BFA: usize = 1;
const NER: usize = 2;
const WAIT: Duration = Duration::from_secs(60);

fn request(c: &Cluster, node: usize, id: &str) -> Option<Value> {
    match c
        .call(node, "GET", &format!("/api/v1/support-requests/{id}"), None)
        .unwrap()
    {
        (200, request) => Some(request),
        _ => None,
    }
}

fn support_alerts(c: &Cluster, node: usize) -> Vec<Value> {
    c.holdings(node, "reports")
        .unwrap()
        .into_values()
        .filter(|report| report["kind"] == "support_alert")
        .collect()
}

fn ask(c: &Cluster, priority: &str, description: &str) -> String {
    let made = c
        .create(
            NER,
            "support-requests",
            &json!({"category": "helicopter", "purpose": "medevac", "priority": priority,
                    "addressed_to": ["MLI"], "location": {"lat": 14.9, "lon": 0.4},
                    "start": "2026-12-06T12:00:00Z", "end": "2026-12-06T18:00:00Z",
                    "description": description,
                    "marking": {"level": "DR", "releasable_to": ["MLI"]}}),
        )
        .unwrap();
    assert_eq!(made["state"], Value::Null, "a creation answers the object");
    made["id"].as_str().unwrap().to_owned()
}

#[test]
fn ner_asks_mli_mli_approves_ner_sees_it_bfa_sees_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Cluster::new(
        Path::new(BIN),
        dir.path(),
        &["MLI", "BFA", "NER"],
        &[(MLI, BFA, "C"), (MLI, NER, "C"), (BFA, NER, "C")],
    )
    .unwrap();
    // NER expects an answer to an urgent request within 3 s.
    c.kill(NER);
    let config = c.members[NER].dir.join("liptako.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[support]\nurgent = \"3s\"\n");
    std::fs::write(&config, text).unwrap();
    c.start(NER).unwrap();

    let asset = c
        .create(
            MLI,
            "assets",
            &json!({"name": "PUMA 21", "category": "helicopter",
                    "capabilities": {"tags": ["night", "winch"], "casualties": 6},
                    "home_base": {"lat": 12.53, "lon": -7.95}, "status": "available",
                    "notice_to_move_min": 60,
                    "marking": {"level": "DR", "releasable_to": ["AES"]}}),
        )
        .unwrap();
    let asset_id = asset["id"].as_str().unwrap().to_owned();
    c.wait_until(WAIT, |c| Ok(c.ids(NER, "assets")?.contains(&asset_id)))
        .unwrap();

    // Not releasable to the nation asked: refused with the reason.
    let (status, answer) = c
        .call(
            NER,
            "POST",
            "/api/v1/support-requests",
            Some(
                &json!({"category": "helicopter", "purpose": "medevac", "priority": "routine",
                    "addressed_to": ["MLI"], "location": {"lat": 14.9, "lon": 0.4},
                    "start": "2026-12-06T12:00:00Z", "end": "2026-12-06T18:00:00Z",
                    "marking": {"level": "DR", "releasable_to": ["BFA"]}}),
            ),
        )
        .unwrap();
    assert_eq!(status, 422, "{answer}");

    let request_id = ask(&c, "priority", "Two casualties near Ménaka");
    c.wait_until(WAIT, |c| {
        Ok(c.ids(MLI, "support-requests")?.contains(&request_id))
    })
    .unwrap();
    let held = request(&c, MLI, &request_id).unwrap();
    assert_eq!(held["state"], "requested");
    assert_eq!(held["origin"], "NER");

    // Only MLI answers, on its node.
    let (status, answer) = c
        .call(
            NER,
            "POST",
            &format!("/api/v1/support-requests/{request_id}/approve"),
            None,
        )
        .unwrap();
    assert_eq!(status, 403, "{answer}");
    let (status, approval) = c
        .call(
            MLI,
            "POST",
            &format!("/api/v1/support-requests/{request_id}/approve"),
            Some(&json!({"assets": [asset_id], "eta": "2026-12-06T13:00:00Z",
                         "text": "PUMA 21 from Bamako"})),
        )
        .unwrap();
    assert_eq!(status, 201, "{approval}");
    assert_eq!(approval["marking"]["releasable_to"], json!(["NER"]));
    let approved = Instant::now();
    c.wait_until(WAIT, |c| {
        Ok(request(c, NER, &request_id).is_some_and(|r| r["state"] == "approved"))
    })
    .unwrap();
    let took = approved.elapsed();
    assert!(
        took < Duration::from_secs(10),
        "NER saw the approval after {took:?}"
    );
    eprintln!("NER saw the approval {took:?} after MLI wrote it");
    let seen = request(&c, NER, &request_id).unwrap();
    assert_eq!(seen["workflow"]["answers"][0]["nation"], "MLI");
    assert_eq!(
        seen["workflow"]["answers"][0]["assets"][0],
        asset_id.as_str()
    );
    assert_eq!(
        seen["workflow"]["answers"][0]["eta"],
        "2026-12-06T13:00:00Z"
    );

    // The same helicopter for another request in the same window: a double booking, refused
    // with the booked request named.
    let overlapping = ask(&c, "routine", "Second evacuation, same window");
    c.wait_until(WAIT, |c| {
        Ok(c.ids(MLI, "support-requests")?.contains(&overlapping))
    })
    .unwrap();
    let (status, answer) = c
        .call(
            MLI,
            "POST",
            &format!("/api/v1/support-requests/{overlapping}/approve"),
            Some(&json!({"assets": [asset_id]})),
        )
        .unwrap();
    assert_eq!(status, 409, "{answer}");
    assert!(
        answer["message"].as_str().unwrap().contains(&request_id),
        "{answer}"
    );

    // Tasked, then completed: NER follows.
    for (act, state) in [("task", "tasked"), ("complete", "completed")] {
        let (status, answer) = c
            .call(
                MLI,
                "POST",
                &format!("/api/v1/support-requests/{request_id}/{act}"),
                None,
            )
            .unwrap();
        assert_eq!(status, 201, "{act}: {answer}");
        c.wait_until(WAIT, |c| {
            Ok(request(c, NER, &request_id).is_some_and(|r| r["state"] == state))
        })
        .unwrap();
    }

    // An urgent request nobody answers: past 3 s, the alert on NER and, released like the
    // request, on MLI.
    let urgent_id = ask(&c, "urgent", "Convoy hit, three wounded");
    c.wait_until(WAIT, |c| {
        Ok(support_alerts(c, NER)
            .iter()
            .any(|alert| alert["body"].as_str().unwrap_or("").contains(&urgent_id))
            && support_alerts(c, MLI)
                .iter()
                .any(|alert| alert["body"].as_str().unwrap_or("").contains(&urgent_id)))
    })
    .unwrap();
    let alerts = support_alerts(&c, NER);
    assert_eq!(alerts.len(), 1, "once: {alerts:?}");
    assert_eq!(alerts[0]["marking"]["releasable_to"], json!(["MLI"]));

    // BFA holds nothing of it: a sentinel NER released to all after everything reaches BFA
    // first.
    let sentinel = c
        .create(
            NER,
            "reports",
            &json!({"kind": "incident", "title": "sentinel",
                    "marking": {"level": "NP", "releasable_to": ["AES"]}}),
        )
        .unwrap();
    let sentinel_id = sentinel["id"].as_str().unwrap().to_owned();
    c.wait_until(WAIT, |c| Ok(c.ids(BFA, "reports")?.contains(&sentinel_id)))
        .unwrap();
    assert!(c.ids(BFA, "support-requests").unwrap().is_empty());
    assert!(c.ids(BFA, "support-responses").unwrap().is_empty());
    assert!(support_alerts(&c, BFA).is_empty());
    assert_eq!(request(&c, BFA, &request_id), None);
    // BFA sees the asset MLI released to all.
    assert!(c.ids(BFA, "assets").unwrap().contains(&asset_id));
}
