//! The TAK server against real TAK clients: pytak over TCP, over TLS with client certificates
//! from `liptako certs client`, from a data package and from enrollment; takproto speaking
//! protobuf after negotiation. Each test runs a script of client steps in
//! `peers/tak_clients.py` and checks what every client received.

use std::collections::BTreeSet;
use std::time::Duration;

use liptako_model::{Marking, Principal};
use serde_json::{Value, json};

use super::common::{Peers, TakNode, USERS, events, nation, uids};

fn tcp(node: &TakNode, name: &str) -> Value {
    json!({"op": "connect", "name": name, "url": format!("tcp://{}", node.tcp())})
}

fn tls(node: &TakNode, name: &str, user: &str) -> Value {
    let cert = node.client_cert(user);
    json!({"op": "connect", "name": name, "url": format!("tls://{}", node.tls()),
           "p12": cert.p12, "password": cert.password, "cafile": node.ca_pem()})
}

fn sa(name: &str, uid: &str, callsign: &str, extra: Value) -> Value {
    let mut step = json!({"op": "sa", "name": name, "uid": uid, "callsign": callsign,
                          "lat": 14.4, "lon": 0.7});
    if let (Value::Object(step), Value::Object(extra)) = (&mut step, extra) {
        step.extend(extra);
    }
    step
}

fn wait(name: &str, uid: &str) -> Value {
    json!({"op": "wait", "name": name, "uid": uid})
}

/// Polls `GET /api/v1/units` as `user` until a unit with `callsign` shows (the recorder
/// writes asynchronously).
async fn unit_with_callsign(node: &TakNode, user: &str, callsign: &str) -> Value {
    let token = node.login(user).await;
    for _ in 0..100 {
        let (_, page) = node.call("GET", "/api/v1/units", Some(&token), None).await;
        if let Some(unit) = page["items"]
            .as_array()
            .and_then(|items| items.iter().find(|unit| unit["callsign"] == callsign))
        {
            return unit.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no unit {callsign} in GET /api/v1/units");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sa_from_one_pytak_client_reaches_another_and_becomes_a_unit() {
    // Anonymous clients' units are national unless the node lets them federate (see
    // security.rs for the default): here it does, so the marking the event carried is kept.
    let node = TakNode::start(|config| config.cot.anonymous.federate = true).await;
    let mut live = node.node.bus().changes();
    let peers = Peers::run(json!({"steps": [
        tcp(&node, "B"),
        tcp(&node, "A"),
        sa("A", "ANDROID-alpha", "ALPHA", json!({"lat": 14.5, "lon": -1.25})),
        wait("B", "ANDROID-alpha"),
        {"op": "sleep", "seconds": 0.3},
    ]}));
    let result = peers.result().await;
    let received: Vec<&Value> = events(&result, "B")
        .iter()
        .filter(|event| event["uid"] == "ANDROID-alpha")
        .collect();
    assert_eq!(received.len(), 1, "{result}");
    let event = received[0];
    assert_eq!(event["callsign"], "ALPHA");
    assert_eq!(event["lat"], 14.5);
    assert_eq!(event["lon"], -1.25);
    // Unmarked TCP traffic carries the listener's default marking.
    assert_eq!(event["access"], "NP");
    assert_eq!(event["releaseableTo"], "AES");
    // Nobody gets their own events back.
    assert!(!uids(&result, "A").contains(&"ANDROID-alpha".to_owned()));

    // The position is a unit in the API, with its callsign, for a partner's NP reader too.
    let unit = unit_with_callsign(&node, "bfa_np", "ALPHA").await;
    assert_eq!(unit["position"]["lat"], 14.5);
    assert_eq!(unit["symbol"], "SFGPUC---------");
    assert_eq!(
        unit["marking"],
        json!({"level": "NP", "releasable_to": ["AES"]})
    );
    // ... and went out on the live feed.
    let mut on_feed = false;
    while let Ok(change) = live.try_recv() {
        if let liptako_node::bus::LiveChange::Version { object, .. } = change.as_ref()
            && let liptako_model::Body::Unit(unit) = &object.body
        {
            on_feed |= unit.callsign == "ALPHA";
        }
    }
    assert!(on_feed, "the unit was not on the live feed");
    assert!(node.metric("liptako_tak_units_stored_total") >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marking_rule_decides_who_receives_every_event() {
    let node = TakNode::start(|_| {}).await;
    let receivers = ["mli_np", "mli_dr", "bfa_np", "bfa_c", "ner_dr", "ner_s"];
    let mut steps = vec![tls(&node, "sender", "mli_c"), tcp(&node, "anon")];
    for user in receivers {
        steps.push(tls(&node, user, user));
    }
    // (uid, access, releaseableTo): what the sender marks.
    let sent: [(&str, Option<&str>, Option<&str>); 8] = [
        ("ev-np-aes", Some("NP"), Some("AES")),
        ("ev-dr-aes", Some("DR"), Some("AES")),
        ("ev-c-bfa", Some("C"), Some("BFA")),
        ("ev-dr-national", Some("DR"), Some("MLI")),
        ("ev-c-ner-bfa", Some("C"), Some("NER BFA")),
        ("ev-default", None, None),
        ("ev-s-above-clearance", Some("S"), Some("AES")),
        ("ev-unknown-level", Some("TS"), Some("AES")),
    ];
    for (uid, access, releaseable) in sent {
        let mut extra = json!({});
        if let Some(access) = access {
            extra["access"] = json!(access);
        }
        if let Some(releaseable) = releaseable {
            extra["releaseableTo"] = json!(releaseable);
        }
        // Hostile markers: relayed, not units.
        extra["type"] = json!("a-h-G");
        steps.push(sa("sender", uid, uid, extra));
    }
    steps.push(sa("sender", "ev-last", "LAST", json!({"type": "a-h-G"})));
    for user in receivers {
        steps.push(wait(user, "ev-last"));
    }
    steps.push(wait("anon", "ev-last"));
    let result = Peers::run(json!({ "steps": steps })).await_result().await;

    let policy = node.node.policy();
    let mli = nation("MLI");
    let marking = |access: Option<&str>, releaseable: Option<&str>| -> Option<Marking> {
        let level = access.unwrap_or("NP");
        let tokens: Vec<&str> = releaseable.unwrap_or("AES").split(' ').collect();
        let tokens: Vec<&str> = if tokens == ["MLI"] { vec![] } else { tokens };
        let marking = policy.canonical(mli, &Marking::new(level, tokens)).ok()?;
        // The sender is cleared to C: anything above is refused at the door.
        let sender = Principal::new("mli_c", mli, "C", liptako_model::Role::Editor);
        policy.check_may_mark(&sender, &marking).ok()?;
        Some(marking)
    };
    let principals: Vec<(String, Principal)> = receivers
        .iter()
        .map(|user| {
            let (name, code, clearance, role) = USERS
                .iter()
                .find(|(name, ..)| name == user)
                .copied()
                .unwrap();
            (
                name.to_owned(),
                Principal::new(name, nation(code), clearance, role),
            )
        })
        .chain([(
            "anon".to_owned(),
            Principal::new("anonymous", mli, "NP", liptako_model::Role::Viewer),
        )])
        .collect();
    for (client, principal) in &principals {
        let expected: BTreeSet<String> = sent
            .iter()
            .filter(|(_, access, releaseable)| {
                marking(*access, *releaseable).is_some_and(|marking| {
                    let event = Sent {
                        origin: mli,
                        marking,
                    };
                    policy.allows(liptako_model::Audience::reader(principal, None), &event)
                })
            })
            .map(|(uid, ..)| (*uid).to_owned())
            .chain(["ev-last".to_owned()])
            .collect();
        let got: BTreeSet<String> = uids(&result, client)
            .into_iter()
            .filter(|uid| uid.starts_with("ev-"))
            .collect();
        assert_eq!(got, expected, "{client} ({principal:?})");
    }
    // Spot checks of the expectation itself, so the test cannot pass on an empty rule.
    assert!(uids(&result, "bfa_c").contains(&"ev-c-bfa".to_owned()));
    assert!(!uids(&result, "ner_s").contains(&"ev-c-bfa".to_owned()));
    assert!(!uids(&result, "bfa_np").contains(&"ev-dr-aes".to_owned()));
    assert!(uids(&result, "mli_dr").contains(&"ev-dr-national".to_owned()));
    assert!(!uids(&result, "ner_s").contains(&"ev-dr-national".to_owned()));
    // The marking travels with the event.
    let c_for_bfa = events(&result, "bfa_c")
        .iter()
        .find(|event| event["uid"] == "ev-c-bfa")
        .unwrap();
    assert_eq!(c_for_bfa["access"], "C");
    assert_eq!(c_for_bfa["releaseableTo"], "BFA");
    // Refusals are counted by reason.
    assert_eq!(
        node.metric("liptako_tak_refused_total{reason=\"above_clearance\"}"),
        1
    );
    assert_eq!(
        node.metric("liptako_tak_refused_total{reason=\"bad_marking\"}"),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directed_messages_reach_only_their_addressees() {
    let node = TakNode::start(|_| {}).await;
    let directed_marker = r#"<event version="2.0" uid="marker-for-charlie" type="a-h-G" how="h-e" time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" stale="2099-01-01T00:00:00Z"><point lat="14" lon="1" hae="0" ce="1" le="1"/><detail><contact callsign="H.1"/><marti><dest callsign="CHARLIE"/></marti></detail></event>"#;
    let to_nobody = directed_marker
        .replace("marker-for-charlie", "marker-for-nobody")
        .replace("CHARLIE", "NOBODY");
    let result = Peers::run(json!({"steps": [
        tcp(&node, "A"), tcp(&node, "B"), tcp(&node, "C"),
        sa("A", "uid-a", "ALPHA", json!({})),
        sa("B", "uid-b", "BRAVO", json!({})),
        sa("C", "uid-c", "CHARLIE", json!({})),
        wait("A", "uid-b"), wait("A", "uid-c"), wait("B", "uid-c"), wait("C", "uid-b"),
        {"op": "chat", "name": "A", "uid": "uid-a", "callsign": "ALPHA", "text": "for bravo only",
         "to_callsign": "BRAVO", "to_uid": "uid-b", "message_id": "m1"},
        {"op": "xml", "name": "A", "xml": directed_marker},
        {"op": "xml", "name": "A", "xml": to_nobody},
        {"op": "chat", "name": "A", "uid": "uid-a", "callsign": "ALPHA", "text": "hello all",
         "message_id": "m2"},
        wait("B", "GeoChat.uid-a.All Chat Rooms.m2"),
        wait("C", "GeoChat.uid-a.All Chat Rooms.m2"),
    ]}))
    .await_result()
    .await;
    let direct = "GeoChat.uid-a.uid-b.m1".to_owned();
    let broadcast = "GeoChat.uid-a.All Chat Rooms.m2".to_owned();
    let (a, b, c) = (uids(&result, "A"), uids(&result, "B"), uids(&result, "C"));
    assert!(b.contains(&direct), "{b:?}");
    assert!(!c.contains(&direct), "{c:?}");
    assert!(c.contains(&"marker-for-charlie".to_owned()), "{c:?}");
    assert!(!b.contains(&"marker-for-charlie".to_owned()), "{b:?}");
    assert!(b.contains(&broadcast) && c.contains(&broadcast));
    assert!(!a.contains(&direct) && !a.contains(&broadcast));
    for client in [&a, &b, &c] {
        assert!(!client.contains(&"marker-for-nobody".to_owned()));
    }
    let text = events(&result, "B")
        .iter()
        .find(|event| event["uid"] == direct.as_str())
        .unwrap()["remarks"]
        .clone();
    assert_eq!(text, "for bravo only");
    assert!(node.metric("liptako_tak_undeliverable_total") >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_joiner_gets_the_current_picture_it_may_see() {
    let node = TakNode::start(|_| {}).await;
    let editor = node.login("mli_dr").await;
    let old_stale = r#"<event version="2.0" uid="already-stale" type="a-h-G" how="h-e" time="2020-01-01T00:00:00Z" start="2020-01-01T00:00:00Z" stale="2020-01-01T00:05:00Z"><point lat="14" lon="1" hae="0" ce="1" le="1"/><detail><contact callsign="OLD"/></detail></event>"#;
    let drawing = r#"<event version="2.0" uid="drawing-1" type="u-d-f" how="h-e" time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" stale="2099-01-01T00:00:00Z"><point lat="14.2" lon="1.05" hae="0" ce="1" le="1"/><detail><link point="14.2,1.0"/><link point="14.25,1.05"/><link point="14.2,1.1"/><strokeColor value="-256"/><contact callsign="Route Bravo"/></detail></event>"#;
    let mut peers = Peers::run(json!({"steps": [
        tcp(&node, "A"),
        sa("A", "uid-a", "ALPHA", json!({})),
        sa("A", "hostile-1", "H.1", json!({"type": "a-h-G-U-C"})),
        {"op": "xml", "name": "A", "xml": drawing},
        {"op": "xml", "name": "A", "xml": old_stale},
        {"op": "sleep", "seconds": 0.3},
        {"op": "sync", "name": "objects"},
        tcp(&node, "L"),
        tls(&node, "T", "bfa_c"),
        wait("L", "uid-a"), wait("L", "hostile-1"), wait("L", "drawing-1"),
        {"op": "sync", "name": "joined"},
        {"op": "sleep", "seconds": 0.5},
    ]}));
    peers.synced("objects").await;
    let report = |title: &str, level: &str| {
        json!({"kind": "incident", "title": title, "body": "two pickups",
               "location": {"lat": 14.3, "lon": 0.8},
               "marking": {"level": level, "releasable_to": ["AES"]}})
    };
    let mut ids = Vec::new();
    for body in [
        report("np report", "NP"),
        report("dr report", "DR"),
        json!({"kind": "protected_site", "name": "School", "category": "school",
               "area": {"type": "Polygon", "coordinates": [[[1.0, 14.0], [1.2, 14.0], [1.2, 14.2], [1.0, 14.0]]]},
               "marking": {"level": "NP", "releasable_to": ["AES"]}}),
        json!({"callsign": "BRAVO 2", "symbol": "SFGPUCI----K---", "position": {"lat": 13.9, "lon": 1.4},
               "marking": {"level": "NP", "releasable_to": ["BFA"]}}),
    ] {
        let collection = if body.get("callsign").is_some() {
            "units"
        } else if body.get("area").is_some() {
            "zones"
        } else {
            "reports"
        };
        let (status, created) = node
            .call(
                "POST",
                &format!("/api/v1/{collection}"),
                Some(&editor),
                Some(body),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let [np_report, dr_report, zone, unit] = [&ids[0], &ids[1], &ids[2], &ids[3]];
    // Let the hub take the committed objects into the picture before the joiners connect.
    tokio::time::sleep(Duration::from_millis(300)).await;
    peers.go();
    peers.synced("joined").await;
    peers.go();
    let result = peers.result().await;
    let late = uids(&result, "L");
    let tls_late = uids(&result, "T");
    for uid in [
        "uid-a",
        "hostile-1",
        "drawing-1",
        np_report.as_str(),
        zone.as_str(),
        unit.as_str(),
    ] {
        assert!(late.contains(&uid.to_owned()), "L lacks {uid}: {late:?}");
    }
    // Anonymous NP does not get the DR report; the BFA C user does.
    assert!(!late.contains(dr_report), "{late:?}");
    assert!(tls_late.contains(dr_report), "{tls_late:?}");
    // What went stale before the joiner connected is not replayed.
    assert!(!late.contains(&"already-stale".to_owned()));
    let report_event = events(&result, "L")
        .iter()
        .find(|event| event["uid"] == np_report.as_str())
        .unwrap();
    assert_eq!(report_event["type"], "b-m-p-s-m");
    assert_eq!(report_event["callsign"], "np report");
    assert_eq!(report_event["remarks"], "Incident: two pickups");
    let zone_event = events(&result, "L")
        .iter()
        .find(|event| event["uid"] == zone.as_str())
        .unwrap();
    assert_eq!(zone_event["type"], "u-d-f");
    assert_eq!(zone_event["n_link_points"], 4);
    let unit_event = events(&result, "L")
        .iter()
        .find(|event| event["uid"] == unit.as_str())
        .unwrap();
    assert_eq!(unit_event["type"], "a-f-G-U-C-I");
    assert_eq!(unit_event["callsign"], "BRAVO 2");
    assert_eq!(unit_event["releaseableTo"], "BFA");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_changed_through_the_api_reach_connected_clients_and_leave_their_sight() {
    let node = TakNode::start(|_| {}).await;
    let editor = node.login("mli_c").await;
    let mut peers = Peers::run(json!({"steps": [
        tls(&node, "dr", "mli_dr"),
        tls(&node, "c", "bfa_c"),
        {"op": "sleep", "seconds": 0.3},
        {"op": "sync", "name": "connected"},
        {"op": "sync", "name": "changed"},
        {"op": "sleep", "seconds": 0.5},
    ]}));
    peers.synced("connected").await;
    let body = json!({"kind": "threat_warning", "title": "Ambush expected", "body": "",
                      "location": {"lat": 14.1, "lon": 0.2},
                      "marking": {"level": "DR", "releasable_to": ["AES"]}});
    let (status, created) = node
        .call("POST", "/api/v1/reports", Some(&editor), Some(body.clone()))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Raised to C: the DR reader must drop it; the C reader gets the new version.
    let mut raised = body;
    raised["marking"] = json!({"level": "C", "releasable_to": ["AES"]});
    raised["version"] = json!(1);
    let (status, answer) = node
        .call(
            "PUT",
            &format!("/api/v1/reports/{id}"),
            Some(&editor),
            Some(raised),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, answer) = node
        .call(
            "DELETE",
            &format!("/api/v1/reports/{id}?version=2"),
            Some(&editor),
            None,
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["deleted"], true);
    tokio::time::sleep(Duration::from_millis(300)).await;
    peers.go();
    peers.synced("changed").await;
    peers.go();
    let result = peers.result().await;
    let about = |client: &str| -> Vec<(String, Value)> {
        events(&result, client)
            .iter()
            .filter(|event| {
                event["uid"] == id.as_str()
                    || event["links"]
                        .as_array()
                        .is_some_and(|links| links.contains(&json!(id)))
            })
            .map(|event| {
                (
                    event["type"].as_str().unwrap().to_owned(),
                    event["access"].clone(),
                )
            })
            .collect()
    };
    // DR reader: the report, then its removal when it was raised to C; nothing after.
    assert_eq!(
        about("dr"),
        [
            ("b-m-p-s-m".to_owned(), json!("DR")),
            ("t-x-d-d".to_owned(), json!("DR")),
        ]
    );
    // C reader: both versions, then the deletion.
    let c: Vec<String> = about("c").into_iter().map(|(kind, _)| kind).collect();
    assert_eq!(c, ["b-m-p-s-m", "b-m-p-s-m", "t-x-d-d"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_input_leaves_the_other_clients_served() {
    let node = TakNode::start(|config| config.cot.max_event_bytes = 4096).await;
    let oversized = format!(
        r#"<event version="2.0" uid="big" type="a-f-G" how="h-e" time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" stale="2099-01-01T00:00:00Z"><point lat="1" lon="1" hae="0" ce="1" le="1"/><detail><remarks>{}</remarks></detail></event>"#,
        "x".repeat(10_000)
    );
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><event uid="bomb">&lol2;</event>"#;
    let garbage_hex = hex(b"\x00\x01 this is not CoT at all \xff\xfe");
    let result = Peers::run(json!({"steps": [
        tcp(&node, "B"),
        tcp(&node, "M"),
        tcp(&node, "P"),
        {"op": "raw", "name": "M", "hex": garbage_hex},
        {"op": "raw", "name": "M", "hex": hex(b"<event uid=\"broken\" type=\"a-f-G\"><point lat=\"x\"/></event>")},
        {"op": "raw", "name": "M", "hex": hex(oversized.as_bytes())},
        {"op": "raw", "name": "M", "hex": hex(bomb.as_bytes())},
        {"op": "raw", "name": "M", "hex": hex(b"<event uid=\"bad-lat\" type=\"a-f-G\" how=\"h-e\" time=\"2026-01-01T00:00:00Z\" start=\"2026-01-01T00:00:00Z\" stale=\"2099-01-01T00:00:00Z\"><point lat=\"99\" lon=\"1\" hae=\"0\" ce=\"1\" le=\"1\"/></event>")},
        // After all that, the same connection is resynchronised: its valid event goes out.
        sa("M", "after-garbage", "MIKE", json!({})),
        // Lost protobuf framing closes that connection only.
        {"op": "raw", "name": "P", "hex": "bf05aabbccddeebfffffffffffffffffffffff01"},
        {"op": "wait_closed", "name": "P"},
        tcp(&node, "A"),
        sa("A", "still-served", "ALPHA", json!({})),
        wait("B", "after-garbage"),
        wait("B", "still-served"),
    ]}))
    .await_result()
    .await;
    let received = uids(&result, "B");
    for uid in ["big", "bomb", "broken", "bad-lat"] {
        assert!(
            !received.contains(&uid.to_owned()),
            "{uid} went out: {received:?}"
        );
    }
    assert_eq!(result["clients"]["P"]["closed"], true);
    assert_eq!(result["clients"]["M"]["closed"], false);
    for reason in ["malformed", "oversized", "undecodable", "framing_lost"] {
        assert!(
            node.metric(&format!(
                "liptako_tak_bad_input_total{{reason=\"{reason}\"}}"
            )) >= 1,
            "no {reason} counted:\n{}",
            node.node.metrics().render()
        );
    }
    assert!(node.metric("liptako_tak_disconnects_total{reason=\"bad_input\"}") >= 1);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn takproto_clients_speak_protobuf_both_ways_after_negotiation() {
    let node = TakNode::start(|_| {}).await;
    let mut tls_protobuf = tls(&node, "PT", "ner_dr");
    tls_protobuf["protobuf"] = json!(true);
    let result = Peers::run(json!({"steps": [
        {"op": "connect", "name": "P", "url": format!("tcp://{}", node.tcp()), "protobuf": true},
        tls_protobuf,
        tcp(&node, "X"),
        sa("P", "proto-sender", "PAPA", json!({"access": "NP"})),
        wait("X", "proto-sender"),
        wait("PT", "proto-sender"),
        sa("X", "xml-sender", "XRAY", json!({})),
        wait("P", "xml-sender"),
        wait("PT", "xml-sender"),
    ]}))
    .await_result()
    .await;
    let from_xml = events(&result, "P")
        .iter()
        .find(|event| event["uid"] == "xml-sender")
        .unwrap();
    assert_eq!(from_xml["format"], "protobuf");
    assert_eq!(from_xml["callsign"], "XRAY");
    assert_eq!(from_xml["access"], "NP");
    assert_eq!(from_xml["releaseableTo"], "AES");
    let from_proto = events(&result, "X")
        .iter()
        .find(|event| event["uid"] == "proto-sender")
        .unwrap();
    assert_eq!(from_proto["format"], "xml");
    assert_eq!(from_proto["callsign"], "PAPA");
    assert_eq!(from_proto["lat"], 14.4);
    assert_eq!(
        events(&result, "PT")
            .iter()
            .find(|event| event["uid"] == "proto-sender")
            .unwrap()["format"],
        "protobuf"
    );
    assert_eq!(node.metric("liptako_tak_protobuf_negotiated_total"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrollment_with_a_password_gives_a_certificate_that_opens_the_tls_listener() {
    let node = TakNode::start(|_| {}).await;
    let enroll = node.started.enroll.unwrap();
    let output = node.dir.path().join("enrolled.p12");
    let refused = node.dir.path().join("refused.p12");
    let result = Peers::run(json!({"steps": [
        {"op": "enroll", "name": "bad", "host": "127.0.0.1", "port": enroll.port(),
         "username": "ner_dr", "password": "not-the-password", "output": refused,
         "passphrase": "enrolled-pass"},
        {"op": "enroll", "name": "good", "host": "127.0.0.1", "port": enroll.port(),
         "username": "ner_dr", "password": super::common::PASSWORD, "output": output,
         "passphrase": "enrolled-pass"},
        {"op": "connect", "name": "E", "url": format!("tls://{}", node.tls()), "p12": output,
         "password": "enrolled-pass", "cafile": node.ca_pem()},
        tls(&node, "S", "mli_c"),
        sa("S", "dr-for-all", "SIERRA", json!({"access": "DR", "type": "a-h-G"})),
        sa("S", "c-for-all", "SIERRA2", json!({"access": "C", "type": "a-h-G"})),
        sa("E", "enrolled-device", "ECHO", json!({})),
        wait("E", "dr-for-all"),
        wait("S", "enrolled-device"),
        {"op": "sleep", "seconds": 0.3},
    ]}))
    .await_result()
    .await;
    assert_eq!(result["enrolled"]["good"]["exists"], true, "{result}");
    assert_eq!(result["enrolled"]["bad"]["exists"], false, "{result}");
    // The device is its user: NER cleared DR sees DR and not C.
    let got = uids(&result, "E");
    assert!(got.contains(&"dr-for-all".to_owned()));
    assert!(!got.contains(&"c-for-all".to_owned()));
    let from_device = events(&result, "S")
        .iter()
        .find(|event| event["uid"] == "enrolled-device")
        .unwrap();
    assert_eq!(from_device["callsign"], "ECHO");
    assert_eq!(node.metric("liptako_tak_enrollments_total"), 1);
    assert!(node.metric("liptako_tak_enrollment_failures_total") >= 1);
    // Both the issue and the failed login are in the audit log.
    let audit = node
        .node
        .store()
        .audit(&liptako_store::AuditQuery {
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    assert!(audit.iter().any(
        |record| record.entry.action == "certificate_issued" && record.entry.actor == "ner_dr"
    ));
    assert!(
        audit
            .iter()
            .any(|record| record.entry.action == "login_failed" && record.entry.actor == "ner_dr")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_package_sets_a_client_up_in_one_import() {
    let node = TakNode::start(|_| {}).await;
    let cert = node.client_cert("bfa_c");
    let result = Peers::run(json!({"steps": [
        {"op": "connect", "name": "D", "package": cert.package},
        tcp(&node, "T"),
        sa("D", "from-package", "DELTA", json!({"access": "C", "releaseableTo": "BFA"})),
        sa("T", "to-package", "TANGO", json!({})),
        wait("D", "to-package"),
        {"op": "sleep", "seconds": 0.3},
    ]}))
    .await_result()
    .await;
    // The device is bfa_c: its C event is not for the anonymous NP client.
    assert!(uids(&result, "D").contains(&"to-package".to_owned()));
    assert!(!uids(&result, "T").contains(&"from-package".to_owned()));
    let unit = unit_with_callsign(&node, "bfa_c", "DELTA").await;
    assert_eq!(
        unit["marking"],
        json!({"level": "C", "releasable_to": ["BFA"]})
    );
}

impl Peers {
    /// Runs to the end without sync points.
    pub async fn await_result(self) -> Value {
        self.result().await
    }
}

/// What a client sent, as the access decision judges it (real world).
struct Sent {
    origin: liptako_model::Nation,
    marking: Marking,
}

impl liptako_model::Marked for Sent {
    fn origin(&self) -> liptako_model::Nation {
        self.origin
    }
    fn marking(&self) -> &Marking {
        &self.marking
    }
    fn world(&self) -> Option<&str> {
        None
    }
}

/// A 9-line MEDEVAC (`b-r-f-h-c` with ATAK's `<_medevac_>`) in the shape ATAK's MedLine tool
/// sends it.
fn medevac_xml(uid: &str, callsign: &str, title: &str, lines: &str, marking: &str) -> String {
    let format = &time::format_description::well_known::Rfc3339;
    let now = time::OffsetDateTime::now_utc();
    let at = now.format(format).unwrap();
    let stale = (now + time::Duration::hours(2)).format(format).unwrap();
    format!(
        r#"<event version="2.0" uid="{uid}" type="b-r-f-h-c" how="h-g-i-g-o" {marking} time="{at}" start="{at}" stale="{stale}"><point lat="14.9" lon="0.4" hae="9999999.0" ce="9999999.0" le="9999999.0"/><detail><contact callsign="{callsign}"/><link uid="ANDROID-medic" type="a-f-G-U-C" parent_callsign="{callsign}" relation="p-p"/><_medevac_ title="{title}" {lines} zone_prot_selection="0"/></detail></event>"#
    )
}

/// A MEDEVAC sent by a real pytak client becomes a support request of this nation when its
/// sender is an authenticated editor: medevac category and purpose, the 9-line's urgency, the
/// event's point, addressed as configured. An anonymous client's and a viewer's are relayed as
/// map items but never become requests (counted); one marked above its sender's clearance is
/// refused like any event. A partner's liaison officer (an editor on this node) may call one:
/// its nation stays in the release, as for any event it sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_medevac_nine_line_from_an_editor_becomes_a_support_request() {
    let node = TakNode::start(|config| {
        config.support.medevac_addressed_to = Some(vec![nation("BFA")]);
    })
    .await;
    crate::api::common::add_users(
        &node.node,
        &[("ner_liaison", "NER", "DR", liptako_model::Role::Editor)],
    );
    let editor = medevac_xml(
        "MED-editor",
        "MEDIC-1",
        "MED.EDITOR",
        r#"freq="45.5" urgent="1" priority="2" routine="0" litter="1" ambulatory="2" hoist="true" security="1" hlz_marking="3" medline_remarks="two casualties at the well""#,
        "",
    );
    let anonymous = medevac_xml("MED-anon", "ANON-1", "MED.ANON", r#"urgent="3""#, "");
    let viewer = medevac_xml("MED-viewer", "VIEWER-1", "MED.VIEWER", r#"routine="1""#, "");
    let secret = medevac_xml(
        "MED-secret",
        "MEDIC-1",
        "MED.SECRET",
        r#"urgent="1""#,
        r#"access="S""#,
    );
    let liaison = medevac_xml(
        "MED-liaison",
        "NER-MEDIC",
        "MED.LIAISON",
        r#"priority="1""#,
        "",
    );
    let result = Peers::run(json!({"steps": [
        tls(&node, "EDITOR", "mli_dr"),
        tls(&node, "VIEWER", "mli_np"),
        tls(&node, "LIAISON", "ner_liaison"),
        tcp(&node, "ANON"),
        tcp(&node, "WATCHER"),
        {"op": "xml", "name": "ANON", "xml": anonymous},
        {"op": "xml", "name": "VIEWER", "xml": viewer},
        {"op": "xml", "name": "EDITOR", "xml": secret},
        {"op": "xml", "name": "LIAISON", "xml": liaison},
        {"op": "xml", "name": "EDITOR", "xml": editor},
        // Sent again (ATAK resends): still one request.
        {"op": "xml", "name": "EDITOR", "xml": editor},
        wait("WATCHER", "MED-editor"),
        wait("WATCHER", "MED-anon"),
        {"op": "sleep", "seconds": 0.3},
    ]}))
    .await_result()
    .await;
    // Every 9-line is still a map item for the clients that may see it.
    assert!(uids(&result, "WATCHER").contains(&"MED-anon".to_owned()));
    let token = node.login("mli_dr").await;
    let mut requests = Vec::new();
    for _ in 0..100 {
        let (_, page) = node
            .call("GET", "/api/v1/support-requests", Some(&token), None)
            .await;
        requests = page["items"].as_array().cloned().unwrap_or_default();
        if requests.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(requests.len(), 2, "{requests:?}");
    let by_title = |title: &str| {
        requests
            .iter()
            .find(|request| request["description"].as_str().unwrap().contains(title))
            .unwrap_or_else(|| panic!("no request {title}: {requests:?}"))
            .clone()
    };
    // The liaison officer's: priority, released to its nation as well.
    let from_liaison = by_title("MED.LIAISON");
    assert_eq!(from_liaison["priority"], "priority");
    assert!(
        node.node
            .policy()
            .holders(
                nation("MLI"),
                &serde_json::from_value(from_liaison["marking"].clone()).unwrap()
            )
            .contains(&nation("NER")),
        "{from_liaison}"
    );
    let request = &by_title("MED.EDITOR");
    assert_eq!(request["origin"], "MLI");
    assert_eq!(request["category"], "medevac");
    assert_eq!(request["purpose"], "medevac");
    assert_eq!(request["priority"], "urgent");
    assert_eq!(request["addressed_to"], json!(["BFA"]));
    assert_eq!(request["location"]["lat"], 14.9);
    assert_eq!(request["location"]["lon"], 0.4);
    assert_eq!(request["state"], "requested");
    let description = request["description"].as_str().unwrap();
    assert!(description.contains("MED.EDITOR"), "{description}");
    assert!(description.contains("MEDIC-1"), "{description}");
    assert!(
        description.contains("two casualties at the well"),
        "{description}"
    );
    assert!(description.contains("hoist"), "{description}");
    // The session's marking (the TLS listener's default), which releases it to BFA.
    assert!(
        node.node
            .policy()
            .holders(
                nation("MLI"),
                &serde_json::from_value(request["marking"].clone()).unwrap()
            )
            .contains(&nation("BFA")),
        "{request}"
    );
    // Written as the user, in the audit log.
    let admin = node.login("admin").await;
    let (_, audit) = node
        .call(
            "GET",
            &format!("/api/v1/audit?object={}", request["id"].as_str().unwrap()),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(audit[0]["actor"], "tak:mli_dr", "{audit}");
    // BFA, addressed, sees it through the API.
    let bfa = node.login("bfa_c").await;
    let (status, _) = node
        .call(
            "GET",
            &format!(
                "/api/v1/support-requests/{}",
                request["id"].as_str().unwrap()
            ),
            Some(&bfa),
            None,
        )
        .await;
    assert_eq!(status, axum::http::StatusCode::OK);
    assert_eq!(
        node.metric_reaches("liptako_tak_medevac_refused_total", 2)
            .await,
        2
    );
    // The editor's and the liaison officer's; the one marked above clearance was refused
    // before (it is no event of the session).
    assert_eq!(node.metric("liptako_tak_medevac_requests_total"), 2);
    assert!(node.metric("liptako_tak_refused_total{reason=\"above_clearance\"}") >= 1);
}
