//! Every read path (get, list with pagination, GeoJSON, the live WebSocket) for principals of
//! every nation and clearance: none ever returns an object the rule forbids, and each returns
//! all the objects it allows. The expectation is computed by a separate, explicit table (the
//! rule written out as sets), not by the code under test.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use axum::http::StatusCode;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::common::{TestNode, USERS};

const LEVELS: [&str; 4] = ["NP", "DR", "C", "S"];
const RELEASABILITIES: [&[&str]; 5] = [&[], &["AES"], &["BFA"], &["NER"], &["BFA", "NER"]];

/// May a principal of `nation` cleared to `clearance` see an MLI object with this marking?
fn expected(nation: &str, clearance: &str, level: &str, releasable: &[&str]) -> bool {
    let rank = |name: &str| LEVELS.iter().position(|l| *l == name).unwrap();
    let holders: BTreeSet<&str> = std::iter::once("MLI")
        .chain(releasable.iter().flat_map(|token| {
            if *token == "AES" {
                vec!["MLI", "BFA", "NER"]
            } else {
                vec![*token]
            }
        }))
        .collect();
    rank(clearance) >= rank(level) && holders.contains(nation)
}

fn body_for(collection: &str, idx: usize, level: &str, releasable: &[&str]) -> Value {
    let marking = json!({"level": level, "releasable_to": releasable});
    let lat = 14.0 + idx as f64 * 0.05;
    match collection {
        "reports" => json!({"kind": "incident", "title": format!("r{idx}"), "marking": marking,
                            "location": {"lat": lat, "lon": 1.0}}),
        "units" => json!({"callsign": format!("U{idx}"), "marking": marking,
                          "position": {"lat": lat, "lon": 1.0}}),
        _ => json!({"kind": "restricted", "name": format!("z{idx}"), "marking": marking,
                    "area": {"type": "Polygon", "coordinates": [[[1.0, lat], [1.1, lat], [1.1, lat + 0.1], [1.0, lat]]]}}),
    }
}

/// Creates every marking of every type as admin (cleared S); returns id -> (collection,
/// level, releasability).
async fn populate(
    node: &TestNode,
    admin: &str,
) -> HashMap<String, (&'static str, &'static str, &'static [&'static str])> {
    let mut objects = HashMap::new();
    let mut idx = 0;
    for collection in ["reports", "units", "zones"] {
        for level in LEVELS {
            for releasable in RELEASABILITIES {
                let (status, body) = node
                    .call(
                        "POST",
                        &format!("/api/v1/{collection}"),
                        Some(admin),
                        Some(body_for(collection, idx, level, releasable)),
                    )
                    .await;
                assert_eq!(status, StatusCode::CREATED, "{body}");
                objects.insert(
                    body["id"].as_str().unwrap().to_owned(),
                    (collection, level, releasable),
                );
                idx += 1;
            }
        }
    }
    objects
}

/// Lists a collection page by page (small pages, to walk the cursor).
async fn list_all(node: &TestNode, token: &str, collection: &str, geojson: bool) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut uri = format!("/api/v1/{collection}?limit=3");
        if let Some(cursor) = &cursor {
            uri.push_str(&format!("&cursor={cursor}"));
        }
        let mut request =
            axum::http::Request::get(&uri).header("authorization", format!("Bearer {token}"));
        if geojson {
            request = request.header("accept", "application/geo+json");
        }
        let (status, body) = node
            .send(request.body(axum::body::Body::empty()).unwrap())
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let items = if geojson {
            assert_eq!(body["type"], "FeatureCollection");
            body["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        } else {
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["id"].as_str().unwrap().to_owned())
                .collect()
        };
        ids.extend(items);
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    ids
}

#[tokio::test]
async fn every_read_path_obeys_the_rule() {
    let node = TestNode::new().await;
    let admin = node.login("admin").await;
    let objects = populate(&node, &admin).await;
    assert_eq!(objects.len(), 60);
    // An exercise object never shows in the real world (in an exercise this node directs).
    let (status, answer) = node
        .call(
            "POST",
            "/api/v1/exercises",
            Some(&admin),
            Some(
                json!({"name": "Flintlock", "participating_nations": ["MLI"],
                        "start": "2026-12-07T08:00:00Z", "end": "2026-12-07T18:00:00Z",
                        "status": "running", "marking": {"level": "NP", "releasable_to": []}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let mut exercise = body_for("reports", 99, "NP", &["AES"]);
    exercise["exercise"] = json!("Flintlock");
    let (status, created) = node
        .call("POST", "/api/v1/reports", Some(&admin), Some(exercise))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let exercise_id = created["id"].as_str().unwrap().to_owned();

    let mut n_visible_total = 0;
    for (user, nation, clearance, _) in USERS {
        let token = node.login(user).await;
        let allowed: BTreeSet<String> = objects
            .iter()
            .filter(|(_, (_, level, releasable))| expected(nation, clearance, level, releasable))
            .map(|(id, _)| id.clone())
            .collect();
        n_visible_total += allowed.len();
        for geojson in [false, true] {
            let mut listed = Vec::new();
            for collection in ["reports", "units", "zones"] {
                listed.extend(list_all(&node, &token, collection, geojson).await);
            }
            let listed_set: BTreeSet<String> = listed.iter().cloned().collect();
            assert_eq!(
                listed.len(),
                listed_set.len(),
                "{user}: a page repeated an object"
            );
            assert_eq!(
                listed_set, allowed,
                "{user} (geojson {geojson}) listed the wrong set"
            );
        }
        for (id, (collection, _, _)) in &objects {
            let (status, body) = node
                .call(
                    "GET",
                    &format!("/api/v1/{collection}/{id}"),
                    Some(&token),
                    None,
                )
                .await;
            if allowed.contains(id) {
                assert_eq!(status, StatusCode::OK, "{user} {id}: {body}");
                assert_eq!(body["id"], json!(id));
            } else {
                // Exactly like a missing object: same status, same body.
                assert_eq!(status, StatusCode::NOT_FOUND, "{user} saw {id}");
                let (_, missing) = node
                    .call(
                        "GET",
                        &format!("/api/v1/{collection}/00000000-0000-7000-8000-000000000000"),
                        Some(&token),
                        None,
                    )
                    .await;
                assert_eq!(body, missing);
            }
        }
        let (status, _) = node
            .call(
                "GET",
                &format!("/api/v1/reports/{exercise_id}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "exercise object in the real world"
        );
        let (status, page) = node
            .call(
                "GET",
                "/api/v1/reports?exercise=Flintlock",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let ids: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![exercise_id.as_str()], "{user}: exercise world");
    }
    // The table is not trivial: some principals see much, some little.
    assert!(
        n_visible_total > 60 && n_visible_total < 7 * 60,
        "{n_visible_total}"
    );
}

/// Serves the node on a real port and returns its address.
async fn serve(node: &TestNode) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = node.node.clone();
    tokio::spawn(liptako_node::server::serve(
        served,
        listener,
        std::future::pending(),
    ));
    addr
}

async fn next_message(
    stream: &mut (impl StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin),
) -> Option<Value> {
    loop {
        match tokio::time::timeout(Duration::from_millis(500), stream.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return Some(serde_json::from_str(&text).unwrap()),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

#[tokio::test]
async fn live_stream_obeys_the_rule_and_recalls() {
    let node = TestNode::new().await;
    let addr = serve(&node).await;
    let admin = node.login("admin").await;
    let mut streams = Vec::new();
    for (user, nation, clearance, _) in USERS {
        let token = node.login(user).await;
        let (mut stream, _) = tokio_tungstenite::connect_async(format!(
            "ws://{addr}/api/v1/live?access_token={token}"
        ))
        .await
        .unwrap();
        let hello = next_message(&mut stream).await.unwrap();
        assert_eq!(hello["op"], "hello");
        assert_eq!(hello["principal"]["name"], user);
        streams.push((user, nation, clearance, stream));
    }
    let objects = populate(&node, &admin).await;

    // Raise one report from NP/AES to S/national: everyone but NER-S... and MLI-S sees it go.
    let (raised_id, _) = objects
        .iter()
        .find(|(_, (collection, level, releasable))| {
            *collection == "reports" && *level == "NP" && releasable == &["AES"]
        })
        .unwrap();
    let (status, current) = node
        .call(
            "GET",
            &format!("/api/v1/reports/{raised_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut change = current.clone();
    change["marking"] = json!({"level": "S", "releasable_to": []});
    let (status, body) = node
        .call(
            "PUT",
            &format!("/api/v1/reports/{raised_id}"),
            Some(&admin),
            Some(change),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    for (user, nation, clearance, stream) in &mut streams {
        let mut upserts = BTreeSet::new();
        let mut removes = BTreeSet::new();
        while let Some(message) = next_message(stream).await {
            match message["op"].as_str().unwrap() {
                "upsert" => {
                    upserts.insert(message["object"]["id"].as_str().unwrap().to_owned());
                }
                "remove" => {
                    removes.insert(message["id"].as_str().unwrap().to_owned());
                }
                other => panic!("{user}: unexpected {other}"),
            }
        }
        let allowed: BTreeSet<String> = objects
            .iter()
            .filter(|(_, (_, level, releasable))| expected(nation, clearance, level, releasable))
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(upserts, allowed, "{user}: live upserts");
        // Nobody here is an MLI principal cleared S, so everyone who saw it is told to drop it.
        let expected_removes: BTreeSet<String> = if allowed.contains(raised_id) {
            [raised_id.clone()].into()
        } else {
            BTreeSet::new()
        };
        assert_eq!(
            removes, expected_removes,
            "{user}: remove after the marking was raised"
        );
    }
}
