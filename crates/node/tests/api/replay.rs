//! Replay (`GET /api/v1/replay/picture?at=T`): the picture as this node held it at T, for each
//! caller only what the one decision lets it see then and still lets it see now.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::common::TestNode;

fn report(title: &str, level: &str, releasable: &[&str]) -> Value {
    json!({"kind": "incident", "title": title, "location": {"lat": 14.9, "lon": -1.2},
           "marking": {"level": level, "releasable_to": releasable}})
}

/// The titles of the reports in the picture at `at` as `token` sees it (and the answer).
async fn titles_at(
    node: &TestNode,
    token: &str,
    at: &Value,
    exercise: Option<&str>,
) -> BTreeSet<String> {
    let mut uri = format!(
        "/api/v1/replay/picture?at={}",
        at.as_str().unwrap().replace('+', "%2B")
    );
    if let Some(exercise) = exercise {
        uri.push_str(&format!("&exercise={exercise}"));
    }
    let (status, picture) = node.call("GET", &uri, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{picture}");
    assert_eq!(picture["truncated"], false);
    picture["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|report| report["title"].as_str().unwrap().to_owned())
        .collect()
}

/// The reports of the picture at `at` by id, as `token` sees it.
async fn picture_at(node: &TestNode, token: &str, at: &Value) -> BTreeMap<String, String> {
    let uri = format!(
        "/api/v1/replay/picture?at={}",
        at.as_str().unwrap().replace('+', "%2B")
    );
    let (status, picture) = node.call("GET", &uri, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{picture}");
    picture["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["title"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The picture at `from` played forward with the changes up to `to`, read in pages of two.
async fn played(
    node: &TestNode,
    token: &str,
    from: &Value,
    to: &Value,
) -> BTreeMap<String, String> {
    let mut held = picture_at(node, token, from).await;
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut uri = format!(
            "/api/v1/replay/changes?from={}&to={}&limit=2",
            from.as_str().unwrap().replace('+', "%2B"),
            to.as_str().unwrap().replace('+', "%2B")
        );
        if let Some(cursor) = &cursor {
            uri.push_str(&format!("&cursor={cursor}"));
        }
        let (status, page) = node.call("GET", &uri, Some(token), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        for change in page["changes"].as_array().unwrap() {
            let id = change["id"].as_str().unwrap().to_owned();
            match change["op"].as_str().unwrap() {
                "upsert" => {
                    if change["object"]["type"] == "report" {
                        held.insert(id, change["object"]["title"].as_str().unwrap().to_owned());
                    }
                }
                _ => {
                    held.remove(&id);
                }
            }
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert!(
        pages > 1,
        "the changes fit one page: paging is not exercised"
    );
    held
}

fn set(titles: &[&str]) -> BTreeSet<String> {
    titles.iter().map(|title| (*title).to_owned()).collect()
}

#[tokio::test]
async fn a_replay_shows_the_picture_as_it_was_and_only_what_the_caller_may_still_see() {
    let node = TestNode::new().await;
    let editor = node.login("mli_dr").await;
    let post = |body: Value| {
        let (node, editor) = (&node, editor.clone());
        async move {
            let (status, created) = node
                .call("POST", "/api/v1/reports", Some(&editor), Some(body))
                .await;
            assert_eq!(status, StatusCode::CREATED, "{created}");
            created
        }
    };
    let change = |mut object: Value, title: &str, releasable: &[&str]| {
        let (node, editor) = (&node, editor.clone());
        object["title"] = json!(title);
        object["marking"]["releasable_to"] = json!(releasable);
        async move {
            let uri = format!("/api/v1/reports/{}", object["id"].as_str().unwrap());
            let (status, changed) = node.call("PUT", &uri, Some(&editor), Some(object)).await;
            assert_eq!(status, StatusCode::OK, "{changed}");
            changed
        }
    };
    let before = post(report("first of all", "NP", &["AES"])).await;
    let alpha = post(report("alpha v1", "NP", &["AES"])).await;
    post(report("restricted", "DR", &["AES"])).await;
    let gone = post(report("gone", "NP", &["AES"])).await;
    let narrowed = post(report("narrowed v1", "NP", &["AES"])).await;
    let t1 = narrowed["updated"].clone();

    change(alpha, "alpha v2", &["AES"]).await;
    let uri = format!("/api/v1/reports/{}?version=1", gone["id"].as_str().unwrap());
    let (status, _) = node.call("DELETE", &uri, Some(&editor), None).await;
    assert_eq!(status, StatusCode::OK);
    change(narrowed, "narrowed v2", &[]).await;
    let admin = node.login("admin").await;
    let (status, answer) = node
        .call(
            "POST",
            "/api/v1/exercises",
            Some(&admin),
            Some(
                json!({"name": "DRILL1", "participating_nations": ["MLI", "BFA"],
                        "start": "2026-12-07T08:00:00Z", "end": "2026-12-07T18:00:00Z",
                        "status": "running", "marking": {"level": "NP", "releasable_to": ["AES"]}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let mut drill = report("drill report", "NP", &["AES"]);
    drill["exercise"] = json!("DRILL1");
    post(drill).await;
    let t2 = post(report("bravo", "NP", &["AES"])).await["updated"].clone();

    let mli_np = node.login("mli_np").await;
    let bfa_c = node.login("bfa_c").await;
    // At t1, as each could see it then and may still see it now.
    assert_eq!(
        titles_at(&node, &mli_np, &t1, None).await,
        set(&["first of all", "alpha v1", "gone", "narrowed v1"])
    );
    assert_eq!(
        titles_at(&node, &bfa_c, &t1, None).await,
        set(&["first of all", "alpha v1", "restricted", "gone"]),
        "a version since withdrawn from BFA is not replayed to it"
    );
    // At t2: changes, deletion, the later creation.
    assert_eq!(
        titles_at(&node, &mli_np, &t2, None).await,
        set(&["first of all", "alpha v2", "narrowed v2", "bravo"])
    );
    // Before the first write: nothing; the exercise world only in the exercise.
    let t0 = json!("2000-01-01T00:00:00Z");
    assert!(titles_at(&node, &mli_np, &t0, None).await.is_empty());
    assert_eq!(
        titles_at(&node, &mli_np, &t2, Some("DRILL1")).await,
        set(&["drill report"])
    );
    assert_eq!(before["version"], 1);
    // Playing the changes from t1 to t2 over the picture at t1 gives the picture at t2, for
    // each reader.
    for token in [&mli_np, &bfa_c] {
        assert_eq!(
            played(&node, token, &t1, &t2).await,
            picture_at(&node, token, &t2).await
        );
    }
    let (status, _) = node
        .call(
            "GET",
            "/api/v1/replay/changes?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&cursor=42",
            Some(&mli_np),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a forged cursor");

    // Bad input and no token.
    let (status, _) = node
        .call(
            "GET",
            "/api/v1/replay/picture?at=yesterday",
            Some(&mli_np),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = node
        .call(
            "GET",
            "/api/v1/replay/picture?at=2026-01-01T00:00:00Z&x=1",
            Some(&mli_np),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = node
        .call(
            "GET",
            "/api/v1/replay/picture?at=2026-01-01T00:00:00Z",
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
