//! Exercises through the API, in-process with a fixed clock the test steps: the exercise's own
//! checks, writing in a world, and injects run exactly on the node's clock (paused time does not
//! count), by exercise control only.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use liptako_node::clock::Clock;
use serde_json::{Value, json};

use super::common::TestNode;

fn exercise(name: &str, participants: &[&str], releasable: &[&str], status: &str) -> Value {
    json!({"name": name, "participating_nations": participants,
           "start": "2026-12-07T08:00:00Z", "end": "2026-12-07T18:00:00Z",
           "status": status, "control": ["mli_dr"],
           "marking": {"level": "NP", "releasable_to": releasable}})
}

fn report(title: &str, world: &str) -> Value {
    json!({"kind": "incident", "title": title, "exercise": world,
           "marking": {"level": "NP", "releasable_to": ["AES"]}})
}

/// Polls the injects' state until `check` holds (the runner ticks on real time; the clock only
/// moves when stepped).
async fn injects_until(
    node: &TestNode,
    token: &str,
    id: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..100 {
        let (status, state) = node
            .call(
                "GET",
                &format!("/api/v1/exercises/{id}/injects"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{state}");
        if check(&state) {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    panic!("the injects never reached the state expected");
}

fn n_done(state: &Value) -> usize {
    state["done"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exercises_are_checked_and_worlds_need_one() {
    let node = TestNode::new().await;
    let admin = node.login("admin").await;
    let post = |body: Value, token: String| {
        let node = &node;
        async move {
            node.call("POST", "/api/v1/exercises", Some(&token), Some(body))
                .await
        }
    };
    for (body, expected) in [
        (
            exercise("X1", &["NER"], &["AES"], "planned"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            exercise("X1", &["MLI", "NER"], &["BFA"], "planned"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            exercise("X1", &["MLI", "SEN"], &["AES"], "planned"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            exercise("X/1", &["MLI"], &[], "planned"),
            StatusCode::BAD_REQUEST,
        ),
        (
            exercise("X1", &["MLI", "MLI"], &[], "planned"),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (status, answer) = post(body.clone(), admin.clone()).await;
        assert_eq!(status, expected, "{body} -> {answer}");
    }
    let mut in_world = exercise("X1", &["MLI"], &[], "planned");
    in_world["exercise"] = json!("X0");
    let (status, _) = post(in_world, admin.clone()).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an exercise is real-world"
    );
    // One name per directing node.
    let (status, created) = post(
        exercise("X1", &["MLI", "NER"], &["AES"], "running"),
        admin.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, _) = post(exercise("X1", &["MLI"], &[], "planned"), admin.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "the name is taken");

    // Writing in a world: held, not ended, and the writer's nation takes part.
    let editor = node.login("mli_dr").await;
    let (status, _) = node
        .call(
            "POST",
            "/api/v1/reports",
            Some(&editor),
            Some(report("a", "X1")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, answer) = node
        .call(
            "POST",
            "/api/v1/reports",
            Some(&editor),
            Some(report("a", "NOPE")),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    // Renaming would orphan the world; ending it makes the world read-only.
    let id = created["id"].as_str().unwrap();
    let mut renamed = exercise("X2", &["MLI", "NER"], &["AES"], "running");
    renamed["version"] = json!(1);
    let (status, _) = node
        .call(
            "PUT",
            &format!("/api/v1/exercises/{id}"),
            Some(&admin),
            Some(renamed),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut ended = exercise("X1", &["MLI", "NER"], &["AES"], "ended");
    ended["version"] = json!(1);
    let (status, answer) = node
        .call(
            "PUT",
            &format!("/api/v1/exercises/{id}"),
            Some(&admin),
            Some(ended),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, answer) = node
        .call(
            "POST",
            "/api/v1/reports",
            Some(&editor),
            Some(report("b", "X1")),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(answer.to_string().contains("ended"), "{answer}");
    // The exercise is listed by status.
    let (_, page) = node
        .call("GET", "/api/v1/exercises?kind=ended", Some(&admin), None)
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injects_run_on_the_nodes_clock_and_pause() {
    let clock = Clock::fixed(time::macros::datetime!(2026-12-07 09:00 UTC));
    let node = TestNode::with_clock(clock.clone()).await;
    let admin = node.login("admin").await;
    let (status, created) = node
        .call(
            "POST",
            "/api/v1/exercises",
            Some(&admin),
            Some(exercise("DRILL", &["MLI", "NER"], &["AES"], "running")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let control = node.login("mli_dr").await;
    let viewer = node.login("mli_c").await;
    // TOML, by exercise control.
    let toml = r#"
        [[steps]]
        at = "00:10"
        action = "create_report"
        title = "first"
        [[steps]]
        at = "00:20"
        action = "create_unit"
        unit = "a"
        callsign = "EX A"
        position = { lat = 14.0, lon = 1.0 }
        [[steps]]
        at = "00:30"
        action = "move_unit"
        unit = "a"
        position = { lat = 14.1, lon = 1.1 }
    "#;
    let load = |token: String| {
        let node = &node;
        let uri = format!("/api/v1/exercises/{id}/injects");
        async move {
            let request = Request::builder()
                .method("POST")
                .uri(uri)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/toml")
                .body(Body::from(toml))
                .unwrap();
            node.send(request).await
        }
    };
    let (status, _) = load(viewer.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a viewer not in control");
    let (status, loaded) = load(control.clone()).await;
    assert_eq!(status, StatusCode::OK, "{loaded}");
    assert_eq!(loaded["n_steps"], 3);
    let act = |what: &'static str| {
        let (node, control, id) = (&node, control.clone(), id.clone());
        async move {
            node.call(
                "POST",
                &format!("/api/v1/exercises/{id}/injects/{what}"),
                Some(&control),
                None,
            )
            .await
        }
    };
    let (status, _) = act("pause").await;
    assert_eq!(status, StatusCode::CONFLICT, "not running");
    let (status, running) = act("run").await;
    assert_eq!(status, StatusCode::OK, "{running}");
    // Nothing is due until the clock moves.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let state = injects_until(&node, &control, &id, |_| true).await;
    assert_eq!(n_done(&state), 0);
    clock.advance(Duration::from_secs(10));
    let state = injects_until(&node, &control, &id, |s| n_done(s) == 1).await;
    assert_eq!(state["done"][0]["ran_at_s"], 10.0);
    // Paused for a minute: it does not count.
    let (status, _) = act("pause").await;
    assert_eq!(status, StatusCode::OK);
    clock.advance(Duration::from_secs(60));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let state = injects_until(&node, &control, &id, |_| true).await;
    assert_eq!(
        (n_done(&state), state["elapsed"].clone()),
        (1, json!("00:10"))
    );
    let (status, _) = act("resume").await;
    assert_eq!(status, StatusCode::OK);
    clock.advance(Duration::from_secs(9));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let state = injects_until(&node, &control, &id, |_| true).await;
    assert_eq!(n_done(&state), 1, "T+19: the second step is not due");
    clock.advance(Duration::from_secs(11));
    let state = injects_until(&node, &control, &id, |s| s["state"] == "done").await;
    let ran: Vec<f64> = state["done"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["ran_at_s"].as_f64().unwrap())
        .collect();
    assert_eq!(ran, vec![10.0, 30.0, 30.0]);
    // What they wrote: MLI's objects in the world, marked as the exercise.
    let unit_id = state["done"][1]["object"].as_str().unwrap();
    let (status, unit) = node
        .call(
            "GET",
            &format!("/api/v1/units/{unit_id}?exercise=DRILL"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{unit}");
    assert_eq!(unit["exercise"], "DRILL");
    assert_eq!(unit["origin"], "MLI");
    assert_eq!(unit["version"], 2);
    assert_eq!(
        unit["marking"],
        json!({"level": "NP", "releasable_to": ["AES"]})
    );
    let (status, _) = node
        .call(
            "GET",
            &format!("/api/v1/units/{unit_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not in the real world");
    // A bad JSON script names its step.
    let (status, answer) = node
        .call(
            "POST",
            &format!("/api/v1/exercises/{id}/injects"),
            Some(&control),
            Some(
                json!({"steps": [{"at": "00:01", "action": "create_report", "title": "x"},
                                  {"at": "0:61", "action": "create_report", "title": "y"}]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.to_string().contains("step 2 (at 0:61)"), "{answer}");
}
