//! Every exit of data hands out exactly what the one access decision allows, and nothing of
//! another world: objects of many markings in the real world and in an exercise's world, read
//! by principals of every nation and clearance, in each world, through every exit a node has
//! for them: the HTTP API (list, GeoJSON, read by id, version history, replay, after-action
//! report), the live WebSocket feed
//! and TAK clients. What each reader got is judged against `Policy::allows` itself, so an exit
//! that decides on its own (a forgotten world check, a second copy of the rule) fails here.
//! (Federation's exit is judged the same way by its in-process and real-process tests; the air
//! picture's by the air tests.)

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use futures_util::StreamExt;
use liptako_model::{
    Audience, Body, Draft, Expect, Marking, Object, Point, Principal, Report, ReportKind,
};
use liptako_store::{WriteOp, WriteOutcome};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use crate::api::common::USERS;
use crate::tak::common::{RawClient, TakNode, sa_xml};

const LEVELS: [&str; 4] = ["NP", "DR", "C", "S"];
const RELEASES: [&[&str]; 4] = [&[], &["AES"], &["BFA"], &["NER", "BFA"]];
const EXERCISE: &str = "SAHEL 27";
const WORLDS: [Option<&str>; 2] = [None, Some(EXERCISE)];

/// Writes one report per (level, releasability, world) through the store, as the API would.
fn populate(node: &TakNode, title: &str) -> Vec<Arc<Object>> {
    let mut ops = Vec::new();
    for world in WORLDS {
        for level in LEVELS {
            for release in RELEASES {
                ops.push(WriteOp::Local {
                    draft: Draft {
                        id: Uuid::now_v7(),
                        origin: node.node.nation(),
                        expect: Expect::New,
                        at: node.node.now(),
                        marking: Marking::new(level, release.iter().copied()),
                        valid_until: None,
                        exercise: world.map(str::to_owned),
                        body: Some(Body::Report(Report {
                            kind: ReportKind::Incident,
                            title: format!("{title} {level} {release:?} {world:?}"),
                            body: String::new(),
                            location: Some(Point::new(15.0, 1.0)),
                        })),
                    },
                    actor: "admin".into(),
                });
            }
        }
    }
    node.node
        .store()
        .write(ops)
        .unwrap()
        .into_iter()
        .map(|outcome| match outcome {
            WriteOutcome::Committed(committed) => committed.object,
            other => panic!("{other:?}"),
        })
        .collect()
}

fn principal(node: &TakNode, user: &str) -> Principal {
    let record = node.node.store().user(user).unwrap().unwrap();
    liptako_node::auth::user_principal(&record)
}

/// The ids of `objects` the one decision lets `reader` see in `world`.
fn allowed(
    node: &TakNode,
    reader: &Principal,
    world: Option<&str>,
    objects: &[Arc<Object>],
) -> BTreeSet<String> {
    objects
        .iter()
        .filter(|object| {
            node.node
                .policy()
                .allows(Audience::reader(reader, world), object.as_ref())
        })
        .map(|object| object.meta.id.to_string())
        .collect()
}

/// `&exercise=...` for an exercise's world, nothing for the real world.
fn world_query(world: Option<&str>) -> String {
    world.map_or(String::new(), |w| {
        format!("&exercise={}", w.replace(' ', "%20"))
    })
}

/// `path` in `world`.
fn in_world(path: &str, world: Option<&str>) -> String {
    match world {
        None => path.to_owned(),
        Some(w) => format!("{path}?exercise={}", w.replace(' ', "%20")),
    }
}

#[tokio::test]
async fn every_exit_hands_out_exactly_what_the_one_decision_allows_in_each_world() {
    let node = TakNode::start(|config| config.cot.tcp_password_auth = true).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http = listener.local_addr().unwrap();
    tokio::spawn(liptako_node::server::serve(
        node.node.clone(),
        listener,
        std::future::pending(),
    ));
    let before = populate(&node, "before");
    let mut checked = 0usize;

    // Live feeds (both worlds) and TAK clients (both worlds) open before the second batch.
    let mut feeds = Vec::new();
    let mut clients = Vec::new();
    for (user, ..) in USERS {
        let token = node.login(user).await;
        for world in WORLDS {
            let url = format!(
                "ws://{http}/api/v1/live?access_token={token}{}",
                world_query(world)
            );
            let (mut stream, _) = tokio_tungstenite::connect_async(url).await.unwrap();
            let _hello = stream.next().await.unwrap().unwrap();
            feeds.push((user, world, stream));
            let mut client = RawClient::connect(node.tcp()).await;
            let auth = format!(
                r#"<auth><cot username="{user}" password="{}" uid="dev-{user}-{}"/></auth>"#,
                crate::api::common::PASSWORD,
                world.is_some()
            );
            client.send(auth.as_bytes()).await;
            let opex = world.map_or(String::new(), |w| format!(r#" opex="e-{w}""#));
            let me = sa_xml(
                &format!("dev-{user}-{}", world.is_some()),
                user,
                14.0,
                0.5,
                &opex,
            );
            client.send(me.as_bytes()).await;
            clients.push((user, world, client));
        }
    }
    // Let every session settle (login, world) before the second batch. A TAK client is in the
    // real world until its own position report names an exercise: what it got before that is
    // not judged here.
    tokio::time::sleep(Duration::from_millis(800)).await;
    for (_, _, client) in &mut clients {
        while client
            .next_event(Duration::from_millis(300))
            .await
            .is_some()
        {}
    }
    let after = populate(&node, "after");

    for (user, ..) in USERS {
        let reader = principal(&node, user);
        let token = node.login(user).await;
        for world in WORLDS {
            let expected = allowed(&node, &reader, world, &before);
            // HTTP list.
            let (status, page) = node
                .call(
                    "GET",
                    &format!("/api/v1/reports?limit=1000{}", world_query(world)),
                    Some(&token),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            let listed: BTreeSet<String> = page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item["id"].as_str().unwrap().to_owned())
                .filter(|id| before.iter().any(|o| o.meta.id.to_string() == *id))
                .collect();
            assert_eq!(listed, expected, "{user} in {world:?}: list");
            // Replay of the picture as held now.
            let now = node
                .node
                .now()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap();
            let (status, picture) = node
                .call(
                    "GET",
                    &format!(
                        "/api/v1/replay/picture?at={}{}",
                        now.replace('+', "%2B"),
                        world_query(world)
                    ),
                    Some(&token),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{picture}");
            let replayed: BTreeSet<String> = picture["reports"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item["id"].as_str().unwrap().to_owned())
                .filter(|id| before.iter().any(|o| o.meta.id.to_string() == *id))
                .collect();
            assert_eq!(replayed, expected, "{user} in {world:?}: replay");
            // The after-action report of a window around them (422: nothing to see at all).
            let (status, report) = node
                .call(
                    "GET",
                    &format!(
                        "/api/v1/aar?from=2000-01-01T00:00:00Z&format=json{}",
                        world_query(world)
                    ),
                    Some(&token),
                    None,
                )
                .await;
            let reported: BTreeSet<String> = match status {
                StatusCode::OK => report["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|event| event["id"].as_str().unwrap().to_owned())
                    .filter(|id| before.iter().any(|o| o.meta.id.to_string() == *id))
                    .collect(),
                StatusCode::UNPROCESSABLE_ENTITY => BTreeSet::new(),
                other => panic!("{user} in {world:?}: after-action report {other}: {report}"),
            };
            assert_eq!(
                reported, expected,
                "{user} in {world:?}: after-action report"
            );
            // Read by id and version history, for every object of the batch.
            for object in &before {
                let id = object.meta.id;
                let may = expected.contains(&id.to_string());
                let (status, _) = node
                    .call(
                        "GET",
                        &in_world(&format!("/api/v1/reports/{id}"), world),
                        Some(&token),
                        None,
                    )
                    .await;
                assert_eq!(
                    status == StatusCode::OK,
                    may,
                    "{user} in {world:?}: GET {id} -> {status}"
                );
                let (status, _) = node
                    .call(
                        "GET",
                        &in_world(&format!("/api/v1/reports/{id}/versions"), world),
                        Some(&token),
                        None,
                    )
                    .await;
                assert_eq!(
                    status == StatusCode::OK,
                    may,
                    "{user} in {world:?}: versions of {id} -> {status}"
                );
                checked += 2;
            }
        }
    }

    // The live feeds got exactly the second batch's objects their reader may see there.
    for (user, world, stream) in &mut feeds {
        let reader = principal(&node, user);
        let expected = allowed(&node, &reader, *world, &after);
        let batch: BTreeSet<String> = after.iter().map(|o| o.meta.id.to_string()).collect();
        let mut got = BTreeSet::new();
        loop {
            match tokio::time::timeout(Duration::from_millis(700), stream.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => {
                    let message: Value = serde_json::from_str(&text).unwrap();
                    let id = message["object"]["id"].as_str().unwrap_or_default();
                    if message["op"] == "upsert" && batch.contains(id) {
                        got.insert(id.to_owned());
                    }
                }
                Ok(Some(Ok(_))) => {}
                _ => break,
            }
        }
        assert_eq!(got, expected, "{user} in {world:?}: live feed");
        checked += 1;
    }

    // TAK clients got exactly the second batch's objects they may see in their world (as CoT
    // events named by the object's id).
    for (user, world, client) in &mut clients {
        let reader = principal(&node, user);
        let expected = allowed(&node, &reader, *world, &after);
        let ours: BTreeSet<String> = after.iter().map(|o| o.meta.id.to_string()).collect();
        let mut got = BTreeSet::new();
        while let Some(event) = client.next_event(Duration::from_millis(700)).await {
            if ours.contains(&event.uid) && event.event_type != "t-x-d-d" {
                got.insert(event.uid.clone());
            }
        }
        assert!(
            got.is_subset(&expected),
            "{user} in {world:?}: TAK got {:?} it may not see",
            got.difference(&expected).collect::<Vec<_>>()
        );
        assert_eq!(
            got.is_empty(),
            expected.is_empty(),
            "{user} in {world:?}: a TAK client that may see objects got none"
        );
        checked += 1;
    }
    assert!(checked > USERS.len() * 2 * before.len(), "{checked}");
}

#[tokio::test]
async fn a_tak_client_moving_into_an_exercise_drops_the_real_worlds_picture() {
    let node = TakNode::start(|config| config.cot.tcp_password_auth = true).await;
    let objects = populate(&node, "worlds");
    let reader = principal(&node, "ner_s");
    let real = allowed(&node, &reader, None, &objects);
    let exercise = allowed(&node, &reader, Some(EXERCISE), &objects);
    assert!(!real.is_empty() && !exercise.is_empty());
    let mut client = RawClient::connect(node.tcp()).await;
    let auth = format!(
        r#"<auth><cot username="ner_s" password="{}" uid="dev-ner"/></auth>"#,
        crate::api::common::PASSWORD
    );
    client.send(auth.as_bytes()).await;
    client
        .send(sa_xml("dev-ner", "ner_s", 14.0, 0.5, "").as_bytes())
        .await;
    // In the real world: once logged in, it gets the real world's objects it may see.
    let mut shown = BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while shown != real && tokio::time::Instant::now() < deadline {
        if let Some(event) = client.next_event(Duration::from_millis(500)).await
            && event.event_type != "t-x-d-d"
            && (real.contains(&event.uid) || exercise.contains(&event.uid))
        {
            shown.insert(event.uid.clone());
        }
    }
    assert_eq!(shown, real);
    // It reports itself in the exercise: every real-world object goes, the exercise's come.
    let opex = format!(r#" opex="e-{EXERCISE}""#);
    client
        .send(sa_xml("dev-ner", "ner_s", 14.0, 0.5, &opex).as_bytes())
        .await;
    let (mut deleted, mut shown) = (BTreeSet::new(), BTreeSet::new());
    while let Some(event) = client.next_event(Duration::from_millis(700)).await {
        if event.event_type == "t-x-d-d" {
            deleted.extend(
                event
                    .detail
                    .links
                    .iter()
                    .filter_map(|link| link.uid.clone()),
            );
        } else if real.contains(&event.uid) || exercise.contains(&event.uid) {
            shown.insert(event.uid.clone());
        }
    }
    assert_eq!(
        deleted
            .intersection(&real)
            .cloned()
            .collect::<BTreeSet<_>>(),
        real
    );
    assert_eq!(shown, exercise);
}
