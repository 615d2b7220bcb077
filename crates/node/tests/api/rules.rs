//! Alert rules (`/api/v1/alert-rules`, `/api/v1/alerts`): a user's rules are theirs alone, a
//! rule never reveals what its owner may not see (clearance, releasability, a liaison officer
//! of another nation, an owner demoted or disabled later), the number of rules is capped, and
//! rules and alerts never enter the store (so federation cannot carry them).

use std::time::Duration;

use axum::http::StatusCode;
use futures_util::StreamExt;
use liptako_store::WriteOp;
use serde_json::{Value, json};

use super::common::TestNode;

fn rule(name: &str) -> Value {
    json!({"name": name,
           "area": {"type": "Polygon",
                    "coordinates": [[[1.0, 14.0], [2.0, 14.0], [2.0, 15.0], [1.0, 15.0], [1.0, 14.0]]]},
           "types": ["report"]})
}

async fn create_report(
    node: &TestNode,
    admin: &str,
    title: &str,
    level: &str,
    rel: &[&str],
    lon: f64,
) -> String {
    let (status, report) = node
        .call(
            "POST",
            "/api/v1/reports",
            Some(admin),
            Some(json!({"kind": "incident", "title": title,
                        "location": {"lat": 14.5, "lon": lon},
                        "marking": {"level": level, "releasable_to": rel}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    report["id"].as_str().unwrap().to_owned()
}

/// The ids of the objects the caller's alerts are about, once `n` are there (or
/// after 5 s, whatever is there).
async fn alert_objects(node: &TestNode, token: &str, n: usize) -> Vec<String> {
    let mut objects = Vec::new();
    for _ in 0..100 {
        let (status, alerts) = node.call("GET", "/api/v1/alerts", Some(token), None).await;
        assert_eq!(status, StatusCode::OK, "{alerts}");
        objects = alerts
            .as_array()
            .unwrap()
            .iter()
            .map(|alert| alert["object"].as_str().unwrap().to_owned())
            .collect();
        if objects.len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    objects.sort();
    objects
}

#[tokio::test]
async fn a_rule_is_its_owners_alone_and_the_number_is_capped() {
    let node = TestNode::new().await;
    let mine = node.login("mli_dr").await;
    let other = node.login("mli_c").await;
    let n_objects = node.n_objects();

    let (status, _) = node.call("GET", "/api/v1/alert-rules", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, created) = node
        .call(
            "POST",
            "/api/v1/alert-rules",
            Some(&mine),
            Some(rule("near Gao")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["owner"], "mli_dr");
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/alert-rules/{id}");

    // Another user: not listed, not readable, not replaceable, not deletable (like missing).
    let (status, listed) = node
        .call("GET", "/api/v1/alert-rules", Some(&other), None)
        .await;
    assert_eq!((status, listed), (StatusCode::OK, json!([])));
    for (method, body) in [
        ("GET", None),
        ("PUT", Some(rule("mine now"))),
        ("DELETE", None),
    ] {
        let (status, answer) = node.call(method, &path, Some(&other), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}: {answer}");
    }
    let (status, read) = node.call("GET", &path, Some(&mine), None).await;
    assert_eq!(
        (status, &read["name"]),
        (StatusCode::OK, &json!("near Gao"))
    );

    // Bad rules: 400 naming the field.
    let mut both = rule("both");
    both["circle"] = json!({"center": {"lat": 14.0, "lon": 1.0}, "radius_m": 1000});
    let mut level = rule("level");
    level["min_level"] = json!("TOP SECRET");
    for bad in [
        both,
        level,
        json!({"name": "no area"}),
        json!({"name": "x", "owner": "mli_c"}),
    ] {
        let (status, answer) = node
            .call("POST", "/api/v1/alert-rules", Some(&mine), Some(bad))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    }

    // A flood: the cap answers 409, and other users keep their own allowance.
    let cap = liptako_node::ops::rules::MAX_RULES_PER_USER;
    for idx in 1..cap {
        let (status, answer) = node
            .call(
                "POST",
                "/api/v1/alert-rules",
                Some(&mine),
                Some(rule(&format!("r{idx}"))),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    let (status, answer) = node
        .call(
            "POST",
            "/api/v1/alert-rules",
            Some(&mine),
            Some(rule("one too many")),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    let (status, _) = node
        .call(
            "POST",
            "/api/v1/alert-rules",
            Some(&other),
            Some(rule("theirs")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, _) = node.call("DELETE", &path, Some(&mine), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = node.call("GET", &path, Some(&mine), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Node-local: nothing of it entered the store's logs, which are all federation reads.
    assert_eq!(node.n_objects(), n_objects);
}

#[tokio::test]
async fn a_rule_reveals_nothing_its_owner_may_not_see_now() {
    let node = TestNode::new().await;
    liptako_node::ops::rules::start(node.node.clone())
        .await
        .unwrap();
    let admin = node.login("admin").await;
    let low = node.login("mli_np").await;
    let cleared = node.login("mli_c").await;
    let liaison = node.login("ner_dr").await;
    for token in [&low, &cleared, &liaison] {
        let (status, answer) = node
            .call(
                "POST",
                "/api/v1/alert-rules",
                Some(token),
                Some(rule("area")),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    let secret = create_report(&node, &admin, "secret", "S", &[], 1.5).await;
    let national = create_report(&node, &admin, "national C", "C", &[], 1.5).await;
    let for_ner = create_report(&node, &admin, "for NER", "DR", &["NER"], 1.5).await;
    let open = create_report(&node, &admin, "open", "NP", &["AES"], 1.5).await;
    let outside = create_report(&node, &admin, "outside", "NP", &["AES"], 5.0).await;

    let mut expect_cleared = vec![national.clone(), for_ner.clone(), open.clone()];
    expect_cleared.sort();
    let mut expect_liaison = vec![for_ner.clone(), open.clone()];
    expect_liaison.sort();
    assert_eq!(alert_objects(&node, &cleared, 3).await, expect_cleared);
    assert_eq!(alert_objects(&node, &liaison, 2).await, expect_liaison);
    assert_eq!(alert_objects(&node, &low, 1).await, vec![open.clone()]);
    for token in [&low, &cleared, &liaison] {
        let objects = alert_objects(&node, token, 0).await;
        assert!(
            !objects.contains(&secret) && !objects.contains(&outside),
            "{objects:?}"
        );
    }

    // Another user cannot acknowledge my alert; I can.
    let (_, alerts) = node
        .call("GET", "/api/v1/alerts", Some(&cleared), None)
        .await;
    let alert_id = alerts[0]["id"].as_str().unwrap().to_owned();
    let ack = format!("/api/v1/alerts/{alert_id}/acknowledge");
    let (status, _) = node.call("POST", &ack, Some(&liaison), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, acked) = node.call("POST", &ack, Some(&cleared), None).await;
    assert_eq!(status, StatusCode::OK, "{acked}");
    assert!(acked["acknowledged"].is_string(), "{acked}");

    // mli_c demoted to NP: the alerts about what they may no longer see disappear from their
    // list, and a new C report raises nothing for them.
    let mut record = node.node.store().user("mli_c").unwrap().unwrap();
    record.clearance = "NP".into();
    node.node
        .store()
        .write(vec![WriteOp::PutUser(record)])
        .unwrap();
    node.node.users().forget_all();
    let (status, alerts) = node
        .call("GET", "/api/v1/alerts", Some(&cleared), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let shown: Vec<&str> = alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|alert| alert["object"].as_str().unwrap())
        .collect();
    assert_eq!(shown, vec![open.as_str()]);
    // The liaison officer's account disabled: nothing more for them either.
    let mut record = node.node.store().user("ner_dr").unwrap().unwrap();
    record.disabled = true;
    node.node
        .store()
        .write(vec![WriteOp::PutUser(record)])
        .unwrap();
    node.node.users().forget_all();
    let later_c = create_report(&node, &admin, "later C", "C", &[], 1.6).await;
    let later_open = create_report(&node, &admin, "later open", "NP", &["AES"], 1.6).await;
    // The low user sees the later open one: by then every rule has judged both reports.
    let low_objects = alert_objects(&node, &low, 2).await;
    assert!(low_objects.contains(&later_open), "{low_objects:?}");
    let cleared_objects = alert_objects(&node, &cleared, 0).await;
    assert!(!cleared_objects.contains(&later_c), "{cleared_objects:?}");
    assert!(cleared_objects.contains(&later_open), "{cleared_objects:?}");
    let liaison_alerts = liptako_node::ops::rules::book(&node.node).alerts_of("ner_dr");
    assert!(
        !liaison_alerts
            .iter()
            .any(|alert| alert.object.to_string() == later_open),
        "a disabled owner's rule matched: {liaison_alerts:?}"
    );
    assert_eq!(liaison_alerts.len(), 2);
}

/// Reads the feed's messages until it is quiet for a second.
async fn drain(
    stream: &mut (
             impl StreamExt<
        Item = Result<
            tokio_tungstenite::tungstenite::Message,
            tokio_tungstenite::tungstenite::Error,
        >,
    > + Unpin
         ),
) -> Vec<Value> {
    let mut messages = Vec::new();
    while let Ok(Some(Ok(message))) =
        tokio::time::timeout(Duration::from_secs(1), stream.next()).await
    {
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
            messages.push(serde_json::from_str(&text).unwrap());
        }
    }
    messages
}

#[tokio::test]
async fn a_rule_alert_reaches_its_owners_live_feed_only() {
    let node = TestNode::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(liptako_node::server::serve(
        node.node.clone(),
        listener,
        std::future::pending(),
    ));
    let admin = node.login("admin").await;
    let owner = node.login("mli_c").await;
    let other = node.login("mli_dr").await;
    let (status, _) = node
        .call(
            "POST",
            "/api/v1/alert-rules",
            Some(&owner),
            Some(rule("live")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut feeds = Vec::new();
    for token in [&owner, &other] {
        // Zones only: the reports themselves do not come, alerts do.
        let (stream, _) = tokio_tungstenite::connect_async(format!(
            "ws://{addr}/api/v1/live?types=zone&access_token={token}"
        ))
        .await
        .unwrap();
        feeds.push(stream);
    }
    for feed in &mut feeds {
        drain(feed).await; // the hello
    }
    let report = create_report(&node, &admin, "live", "NP", &["AES"], 1.5).await;
    let owner_messages = drain(&mut feeds[0]).await;
    let alerts: Vec<&Value> = owner_messages
        .iter()
        .filter(|message| message["op"] == "alert")
        .collect();
    assert_eq!(alerts.len(), 1, "{owner_messages:?}");
    assert_eq!(alerts[0]["alert"]["object"], report.as_str());
    assert_eq!(alerts[0]["alert"]["owner"], "mli_c");
    let other_messages = drain(&mut feeds[1]).await;
    assert!(
        !other_messages
            .iter()
            .any(|message| message["op"] == "alert"),
        "{other_messages:?}"
    );
}
