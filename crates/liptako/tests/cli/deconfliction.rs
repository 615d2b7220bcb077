//! Issue 14: a deconfliction alert on three federated real nodes. An MLI unit and a NER unit,
//! both released to all members and in no operation, come within 5 km of each other: exactly
//! one `deconfliction_alert` is raised (by MLI, the lower code of the two owners that hold
//! both), NER's node holds it, BFA's (a third nation, which holds both units) never does, and
//! the units jittering around the distance raise nothing more. Then an MLI operation drawn over
//! a NER protected site raises one `protection_warning`, by MLI (the operation's owner), which
//! NER holds.

use std::path::Path;
use std::time::Duration;

use liptako_loadgen::cluster::Cluster;
use serde_json::{Value, json};

use super::util::BIN;

const MLI: usize = 0;
const BFA: usize = 1;
const NER: usize = 2;
const WAIT: Duration = Duration::from_secs(60);
const LAT: f64 = 14.5;
/// Kilometres per degree of longitude at latitude 14.5.
const KM_PER_DEG: f64 = 107.65;

fn move_unit(c: &Cluster, node: usize, id: &str, lon: f64) {
    let (status, current) = c
        .call(node, "GET", &format!("/api/v1/units/{id}"), None)
        .unwrap();
    assert_eq!(status, 200, "{current}");
    let mut change = current.clone();
    change["position"] = json!({"lat": LAT, "lon": lon});
    let (status, answer) = c
        .call(node, "PUT", &format!("/api/v1/units/{id}"), Some(&change))
        .unwrap();
    assert_eq!(status, 200, "{answer}");
}

fn deconfliction_alerts(c: &Cluster, node: usize) -> Vec<Value> {
    c.holdings(node, "reports")
        .unwrap()
        .into_values()
        .filter(|report| report["kind"] == "deconfliction_alert")
        .collect()
}

#[test]
fn converging_units_of_mli_and_ner_raise_one_alert_for_both_and_not_bfa() {
    let dir = tempfile::tempdir().unwrap();
    let c = Cluster::new(
        Path::new(BIN),
        dir.path(),
        &["MLI", "BFA", "NER"],
        &[(MLI, BFA, "C"), (MLI, NER, "C"), (BFA, NER, "C")],
    )
    .unwrap();
    let aes = json!({"level": "DR", "releasable_to": ["AES"]});
    let mli_unit = c
        .create(
            MLI,
            "units",
            &json!({"callsign": "FALCON 1", "position": {"lat": LAT, "lon": 1.0}, "marking": aes}),
        )
        .unwrap();
    let ner_unit = c
        .create(
            NER,
            "units",
            &json!({"callsign": "LION 2", "position": {"lat": LAT, "lon": 1.3}, "marking": aes}),
        )
        .unwrap();
    let (mli_id, ner_id) = (
        mli_unit["id"].as_str().unwrap().to_owned(),
        ner_unit["id"].as_str().unwrap().to_owned(),
    );
    // Every node holds both units first (32 km apart: nothing).
    c.wait_until(WAIT, |c| {
        Ok([MLI, BFA, NER].iter().all(|&node| {
            c.ids(node, "units")
                .is_ok_and(|ids| ids.contains(&mli_id) && ids.contains(&ner_id))
        }))
    })
    .unwrap();
    assert!(deconfliction_alerts(&c, MLI).is_empty());

    // NER's unit comes within 3 km; then jitters between 4.5 and 5.8 km (within the margin).
    move_unit(&c, NER, &ner_id, 1.0 + 3.0 / KM_PER_DEG);
    c.wait_until(WAIT, |c| Ok(deconfliction_alerts(c, NER).len() == 1))
        .unwrap();
    for km in [4.5, 5.8, 4.9, 5.5] {
        move_unit(&c, NER, &ner_id, 1.0 + km / KM_PER_DEG);
    }
    move_unit(&c, MLI, &mli_id, 1.0 - 0.2 / KM_PER_DEG);

    // A sentinel written on each owner after all that, released to all: once BFA holds both,
    // and NER holds MLI's, everything before them has been sent.
    let mut sentinels = Vec::new();
    for node in [MLI, NER] {
        let sentinel = c
            .create(
                node,
                "reports",
                &json!({"kind": "incident", "title": "sentinel",
                        "marking": {"level": "NP", "releasable_to": ["AES"]}}),
            )
            .unwrap();
        sentinels.push(sentinel["id"].as_str().unwrap().to_owned());
    }
    c.wait_until(WAIT, |c| {
        Ok([MLI, BFA, NER].iter().all(|&node| {
            c.ids(node, "reports")
                .is_ok_and(|ids| sentinels.iter().all(|s| ids.contains(s)))
        }))
    })
    .unwrap();

    for node in [MLI, NER] {
        let alerts = deconfliction_alerts(&c, node);
        assert_eq!(alerts.len(), 1, "node {node}: {alerts:?}");
        let alert = &alerts[0];
        assert_eq!(alert["origin"], "MLI", "{alert}");
        assert_eq!(alert["marking"]["releasable_to"], json!(["NER"]), "{alert}");
        let title = alert["title"].as_str().unwrap();
        assert!(
            title.contains("FALCON 1") && title.contains("LION 2"),
            "{title}"
        );
    }
    assert!(deconfliction_alerts(&c, BFA).is_empty());

    // A protected school of NER, then an MLI operation over it, changed twice: one warning.
    let site = c
        .create(
            NER,
            "zones",
            &json!({"kind": "protected_site", "category": "school", "name": "École de Tessit",
                    "area": {"type": "Polygon", "coordinates": [[[0.50,15.00],[0.51,15.00],[0.51,15.01],[0.50,15.01],[0.50,15.00]]]},
                    "marking": aes}),
        )
        .unwrap();
    let site_id = site["id"].as_str().unwrap().to_owned();
    c.wait_until(WAIT, |c| Ok(c.ids(MLI, "zones")?.contains(&site_id)))
        .unwrap();
    let operation = c
        .create(
            MLI,
            "operations",
            &json!({"name": "TESSIT", "lead_nation": "MLI", "participating_nations": ["MLI"],
                    "area": {"type": "Polygon", "coordinates": [[[0.3,14.8],[0.7,14.8],[0.7,15.2],[0.3,15.2],[0.3,14.8]]]},
                    "start": "2026-01-01T00:00:00Z", "end": "2030-01-01T00:00:00Z",
                    "status": "planned", "marking": aes}),
        )
        .unwrap();
    let mut change = operation.clone();
    change["status"] = json!("active");
    let (status, answer) = c
        .call(
            MLI,
            "PUT",
            &format!("/api/v1/operations/{}", operation["id"].as_str().unwrap()),
            Some(&change),
        )
        .unwrap();
    assert_eq!(status, 200, "{answer}");
    let warnings = |c: &Cluster, node: usize| -> Vec<Value> {
        c.holdings(node, "reports")
            .unwrap()
            .into_values()
            .filter(|report| report["kind"] == "protection_warning")
            .collect()
    };
    c.wait_until(WAIT, |c| Ok(warnings(c, NER).len() == 1))
        .unwrap();
    let on_mli = warnings(&c, MLI);
    assert_eq!(on_mli.len(), 1, "{on_mli:?}");
    assert_eq!(on_mli[0]["origin"], "MLI");
    assert!(
        on_mli[0]["title"]
            .as_str()
            .unwrap()
            .contains("École de Tessit"),
        "{}",
        on_mli[0]
    );
    assert!(warnings(&c, NER).iter().all(|w| w["origin"] == "MLI"));
}
