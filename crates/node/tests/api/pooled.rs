//! Pooled means through the API: assets and support requests as objects, the acts of the
//! workflow, and the doors attacked (a low-cleared user, a liaison officer, a nation not
//! addressed, a marking not releasable to an addressed nation).

use axum::http::StatusCode;
use liptako_model::{Body as ObjectBody, Draft, Expect, Marking, Object, Role};
use liptako_store::WriteOp;
use serde_json::{Value, json};

use super::common::{TestNode, add_users, nation};

/// An MLI node with, besides the usual users, NER's liaison officer (an editor) and an MLI
/// editor cleared NP.
async fn node() -> TestNode {
    let node = TestNode::new().await;
    add_users(
        &node.node,
        &[
            ("ner_liaison", "NER", "DR", Role::Editor),
            ("mli_np_editor", "MLI", "NP", Role::Editor),
        ],
    );
    node
}

/// Writes a partner's object into the store, as federation brings it.
fn hold(node: &TestNode, origin: &str, marking: Marking, body: Value) -> uuid::Uuid {
    let mut fields = body;
    fields["id"] = json!(uuid::Uuid::now_v7());
    fields["origin"] = json!(origin);
    fields["version"] = json!(1);
    fields["created"] = json!("2026-12-06T10:00:00Z");
    fields["updated"] = json!("2026-12-06T10:00:00Z");
    fields["marking"] = serde_json::to_value(&marking).unwrap();
    let object: Object = serde_json::from_value(fields).unwrap();
    let id = object.meta.id;
    let draft = Draft {
        id,
        origin: nation(origin),
        expect: Expect::New,
        at: node.node.now(),
        marking,
        valid_until: None,
        exercise: None,
        body: Some(object.body),
    };
    node.node
        .store()
        .write(vec![WriteOp::Local {
            draft,
            actor: "test".into(),
        }])
        .unwrap();
    id
}

fn request_body(addressed_to: &[&str]) -> Value {
    json!({
        "type": "support_request",
        "category": "medevac", "purpose": "medevac", "priority": "urgent",
        "addressed_to": addressed_to,
        "location": {"lat": 14.9, "lon": 0.4},
        "start": "2026-12-06T12:00:00Z", "end": "2026-12-06T18:00:00Z",
        "description": "Two casualties, one litter",
    })
}

fn asset_body() -> Value {
    json!({
        "name": "PUMA 21", "category": "helicopter",
        "capabilities": {"tags": ["night", "winch"], "range_km": 550.0, "casualties": 6},
        "home_base": {"lat": 12.53, "lon": -7.95}, "status": "available",
        "availability": [{"start": "2026-12-06T00:00:00Z", "end": "2026-12-08T00:00:00Z"}],
        "notice_to_move_min": 60,
    })
}

fn with_marking(mut body: Value, level: &str, releasable_to: &[&str]) -> Value {
    body["marking"] = json!({"level": level, "releasable_to": releasable_to});
    body
}

#[tokio::test]
async fn assets_are_objects_checked_and_marked() {
    let node = node().await;
    let editor = node.login("mli_dr").await;
    let (status, asset) = node
        .call(
            "POST",
            "/api/v1/assets",
            Some(&editor),
            Some(with_marking(asset_body(), "DR", &["AES"])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{asset}");
    assert_eq!(asset["type"], "asset");
    assert_eq!(asset["category"], "helicopter");
    assert_eq!(asset["capabilities"]["casualties"], 6);
    let uri = format!("/api/v1/assets/{}", asset["id"].as_str().unwrap());
    // Cleared NP: an asset marked DR is not there.
    let low = node.login("mli_np").await;
    let (status, _) = node.call("GET", &uri, Some(&low), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, page) = node.call("GET", "/api/v1/assets", Some(&low), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"], json!([]));
    let partner = node.login("bfa_c").await;
    let (status, seen) = node.call("GET", &uri, Some(&partner), None).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    // The kind filter is the category.
    let (status, page) = node
        .call(
            "GET",
            "/api/v1/assets?kind=helicopter",
            Some(&partner),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (status, error) = node
        .call("GET", "/api/v1/assets?kind=tank", Some(&partner), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error["message"].as_str().unwrap().contains("isr_drone"));
    // Checks, with the field named.
    for (change, field) in [
        // An unknown value: the message lists the known ones.
        (json!({"category": "tank"}), "air_surveillance_radar"),
        (json!({"status": "lost"}), "maintenance"),
        (
            json!({"availability": [{"start": "2026-12-08T00:00:00Z", "end": "2026-12-06T00:00:00Z"}]}),
            "availability",
        ),
        (json!({"capabilities": {"range_km": -1.0}}), "range_km"),
        (json!({"home_base": {"lat": 95.0, "lon": 0.0}}), "home_base"),
        (json!({"name": ""}), "name"),
    ] {
        let mut body = with_marking(asset_body(), "DR", &["AES"]);
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let (status, error) = node
            .call("POST", "/api/v1/assets", Some(&editor), Some(body))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {error}");
        assert!(
            error["message"].as_str().unwrap().contains(field),
            "{field}: {error}"
        );
    }
}

#[tokio::test]
async fn an_asset_follows_its_unit_only_for_who_may_see_the_unit() {
    let node = node().await;
    let editor = node.login("mli_dr").await;
    let unit_at = |level: &str| {
        json!({"callsign": "GTIA 3", "position": {"lat": 15.5, "lon": -0.5},
               "marking": {"level": level, "releasable_to": ["AES"]}})
    };
    let (status, unit) = node
        .call("POST", "/api/v1/units", Some(&editor), Some(unit_at("DR")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{unit}");
    // A unit marked C that only a C-cleared writer could make: held as written by another node
    // user; here written straight to the store.
    let secret_unit = hold(
        &node,
        "MLI",
        Marking::new("C", ["AES"]),
        json!({"type": "unit", "callsign": "SECRET 1", "position": {"lat": 16.0, "lon": 1.0}}),
    );
    for (unit_id, expected) in [
        (unit["id"].clone(), json!({"lat": 15.5, "lon": -0.5})),
        // The reader (DR) may not see the C unit: the asset keeps its own position.
        (json!(secret_unit), json!({"lat": 13.0, "lon": -4.0})),
    ] {
        let mut body = with_marking(asset_body(), "DR", &["AES"]);
        body["unit"] = unit_id;
        body["position"] = json!({"lat": 13.0, "lon": -4.0});
        let (status, asset) = node
            .call("POST", "/api/v1/assets", Some(&editor), Some(body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{asset}");
        let uri = format!("/api/v1/assets/{}", asset["id"].as_str().unwrap());
        let (status, read) = node.call("GET", &uri, Some(&editor), None).await;
        assert_eq!(status, StatusCode::OK, "{read}");
        assert_eq!(read["position"], expected, "{read}");
        let (_, page) = node
            .call(
                "GET",
                &format!("/api/v1/assets?q={}", "PUMA"),
                Some(&editor),
                None,
            )
            .await;
        let listed = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["id"] == asset["id"])
            .cloned()
            .unwrap();
        assert_eq!(listed["position"], expected, "{listed}");
    }
    // The C-cleared reader sees the unit, so the asset is where the unit is.
    let cleared = node.login("mli_c").await;
    let (_, page) = node
        .call("GET", "/api/v1/assets", Some(&cleared), None)
        .await;
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|item| item["position"] == json!({"lat": 16.0, "lon": 1.0})),
        "{page}"
    );
}

#[tokio::test]
async fn a_request_is_releasable_to_every_addressed_nation_and_seen_by_no_other() {
    let node = node().await;
    let editor = node.login("mli_dr").await;
    // Addressed to BFA but released to NER only: refused, naming BFA.
    let (status, error) = node
        .call(
            "POST",
            "/api/v1/support-requests",
            Some(&editor),
            Some(with_marking(request_body(&["BFA"]), "DR", &["NER"])),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("BFA") && message.contains("release"),
        "{message}"
    );
    // National: refused too.
    let (status, _) = node
        .call(
            "POST",
            "/api/v1/support-requests",
            Some(&editor),
            Some(with_marking(request_body(&["BFA"]), "DR", &[])),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Addressed to itself, or to nobody, or nowhere.
    let (status, _) = node
        .call(
            "POST",
            "/api/v1/support-requests",
            Some(&editor),
            Some(with_marking(request_body(&["MLI"]), "DR", &["AES"])),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, error) = node
        .call(
            "POST",
            "/api/v1/support-requests",
            Some(&editor),
            Some(with_marking(request_body(&[]), "DR", &["AES"])),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(error["message"].as_str().unwrap().contains("addressed_to"));
    let mut nowhere = with_marking(request_body(&["BFA"]), "DR", &["BFA"]);
    nowhere.as_object_mut().unwrap().remove("location");
    let (status, error) = node
        .call(
            "POST",
            "/api/v1/support-requests",
            Some(&editor),
            Some(nowhere),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(error["message"].as_str().unwrap().contains("location"));
    let mut bad_priority = with_marking(request_body(&["BFA"]), "DR", &["BFA"]);
    bad_priority["priority"] = json!("flash");
    let (status, error) = node
        .call(
            "POST",
            "/api/v1/support-requests",
            Some(&editor),
            Some(bad_priority),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(error["message"].as_str().unwrap().contains("urgent"));
    // Released to BFA: made, requested.
    let (status, request) = node
        .call(
            "POST",
            "/api/v1/support-requests",
            Some(&editor),
            Some(with_marking(request_body(&["BFA"]), "DR", &["BFA"])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let id = request["id"].as_str().unwrap().to_owned();
    let uri = format!("/api/v1/support-requests/{id}");
    let (status, read) = node.call("GET", &uri, Some(&editor), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["state"], "requested");
    assert_eq!(read["workflow"]["state"], "requested");
    // NER was not asked and the marking does not release it: nothing, by id or in a list.
    let third = node.login("ner_s").await;
    let (status, _) = node.call("GET", &uri, Some(&third), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, page) = node
        .call("GET", "/api/v1/support-requests", Some(&third), None)
        .await;
    assert_eq!(page["items"], json!([]));
    let (_, page) = node
        .call("GET", "/api/v1/support-requests", Some(&editor), None)
        .await;
    assert_eq!(page["items"][0]["state"], "requested", "{page}");
    // MLI is not addressed by its own request: it does not answer it.
    let (status, error) = node
        .call("POST", &format!("{uri}/approve"), Some(&editor), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    // A change may not un-release an addressed nation either.
    let mut change = read.clone();
    change["marking"] = json!({"level": "DR", "releasable_to": []});
    change.as_object_mut().unwrap().remove("state");
    change.as_object_mut().unwrap().remove("workflow");
    let (status, error) = node.call("PUT", &uri, Some(&editor), Some(change)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    // The requester cancels; final. (A viewer of another nation is refused before anything is
    // looked up, so the answer says nothing of the request.)
    let (status, _) = node
        .call("POST", &format!("{uri}/cancel"), Some(&third), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, cancelled) = node
        .call(
            "POST",
            &format!("{uri}/cancel"),
            Some(&editor),
            Some(json!({"reason": "casualties moved by road"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["cancel_reason"], "casualties moved by road");
    let (_, read) = node.call("GET", &uri, Some(&editor), None).await;
    assert_eq!(read["state"], "cancelled");
}

#[tokio::test]
async fn the_addressed_nation_answers_and_no_one_else_does() {
    let node = node().await;
    let editor = node.login("mli_dr").await;
    // NER's request, addressed to MLI, released to MLI only; held here as federation brings it.
    let request = hold(
        &node,
        "NER",
        Marking::new("DR", ["MLI"]),
        request_body(&["MLI"]),
    );
    let uri = format!("/api/v1/support-requests/{request}");
    // BFA was not asked: it never sees the request.
    let bfa = node.login("bfa_c").await;
    let (status, _) = node.call("GET", &uri, Some(&bfa), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = node
        .call("POST", &format!("{uri}/approve"), Some(&bfa), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a viewer");
    // NER's liaison officer on MLI's node may see its nation's request, not decide for MLI.
    let liaison = node.login("ner_liaison").await;
    let (status, read) = node.call("GET", &uri, Some(&liaison), None).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    let (status, error) = node
        .call("POST", &format!("{uri}/approve"), Some(&liaison), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("only a user of MLI")
    );
    // Nor cancel it here: NER cancels on its own node.
    let (status, _) = node
        .call("POST", &format!("{uri}/cancel"), Some(&liaison), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A viewer of MLI may not decide.
    let viewer = node.login("mli_c").await;
    let (status, _) = node
        .call("POST", &format!("{uri}/approve"), Some(&viewer), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // An NP-cleared editor does not see the DR request: 404.
    let low = node.login("mli_np_editor").await;
    let (status, _) = node
        .call("POST", &format!("{uri}/approve"), Some(&low), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A decline says why.
    let (status, error) = node
        .call("POST", &format!("{uri}/decline"), Some(&editor), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    // Tasking before approving is out of order.
    let (status, error) = node
        .call("POST", &format!("{uri}/task"), Some(&editor), None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    // Approving with an asset that is not MLI's: refused.
    let mut foreign = asset_body();
    foreign["type"] = json!("asset");
    let bfa_asset = hold(&node, "BFA", Marking::new("NP", ["AES"]), foreign);
    let (status, error) = node
        .call(
            "POST",
            &format!("{uri}/approve"),
            Some(&editor),
            Some(json!({"assets": [bfa_asset]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let (status, asset) = node
        .call(
            "POST",
            "/api/v1/assets",
            Some(&editor),
            Some(with_marking(asset_body(), "DR", &["AES"])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, approval) = node
        .call(
            "POST",
            &format!("{uri}/approve"),
            Some(&editor),
            Some(
                json!({"assets": [asset["id"]], "eta": "2026-12-06T13:00:00Z", "text": "PUMA 21"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{approval}");
    assert_eq!(approval["type"], "support_response");
    assert_eq!(approval["decision"], "approved");
    assert_eq!(approval["by"], "mli_dr");
    // Released back to the requester, never wider than the request.
    assert_eq!(
        approval["marking"],
        json!({"level": "DR", "releasable_to": ["NER"]})
    );
    let (_, read) = node.call("GET", &uri, Some(&liaison), None).await;
    assert_eq!(read["state"], "approved", "{read}");
    assert_eq!(
        read["workflow"]["answers"][0]["eta"],
        "2026-12-06T13:00:00Z"
    );
    // Once.
    let (status, _) = node
        .call("POST", &format!("{uri}/approve"), Some(&editor), None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // The same asset for a second request whose window overlaps: refused, naming the first.
    let second = hold(
        &node,
        "NER",
        Marking::new("DR", ["MLI"]),
        request_body(&["MLI"]),
    );
    let second_uri = format!("/api/v1/support-requests/{second}");
    let (status, error) = node
        .call(
            "POST",
            &format!("{second_uri}/approve"),
            Some(&editor),
            Some(json!({"assets": [asset["id"]]})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains(&request.to_string()),
        "{error}"
    );
    let (status, _) = node
        .call(
            "POST",
            &format!("{uri}/decline"),
            Some(&editor),
            Some(json!({"reason": "no"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Responses are written by the acts only.
    let (status, _) = node
        .call(
            "POST",
            "/api/v1/support-responses",
            Some(&editor),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    for (act, state) in [("task", "tasked"), ("complete", "completed")] {
        let (status, body) = node
            .call("POST", &format!("{uri}/{act}"), Some(&editor), None)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{act}: {body}");
        let (_, read) = node.call("GET", &uri, Some(&editor), None).await;
        assert_eq!(read["state"], state, "{read}");
    }
    // Completed: the asset is free again for the overlapping request.
    let (status, body) = node
        .call(
            "POST",
            &format!("{second_uri}/approve"),
            Some(&editor),
            Some(json!({"assets": [asset["id"]]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn a_partner_never_answers_a_request_addressed_to_another() {
    let node = node().await;
    let editor = node.login("mli_dr").await;
    // BFA asks NER, and shows the request to MLI too: MLI sees it, does not answer it.
    let request = hold(
        &node,
        "BFA",
        Marking::new("DR", ["NER", "MLI"]),
        request_body(&["NER"]),
    );
    let uri = format!("/api/v1/support-requests/{request}");
    let (status, read) = node.call("GET", &uri, Some(&editor), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["state"], "requested");
    for act in ["approve", "task", "complete"] {
        let (status, error) = node
            .call("POST", &format!("{uri}/{act}"), Some(&editor), None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{act}: {error}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("addressed to NER")
        );
    }
    let (status, _) = node
        .call(
            "POST",
            &format!("{uri}/decline"),
            Some(&editor),
            Some(json!({"reason": "not ours"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // An answer MLI's node would hold from MLI anyway (written around the route) does not
    // count: MLI is not addressed.
    let stray = Draft {
        id: uuid::Uuid::now_v7(),
        origin: nation("MLI"),
        expect: Expect::New,
        at: node.node.now(),
        marking: Marking::new("DR", ["BFA"]),
        valid_until: None,
        exercise: None,
        body: Some(ObjectBody::SupportResponse(
            liptako_model::SupportResponse {
                refers_to: request,
                decision: liptako_model::SupportDecision::Approved,
                by: "mli_dr".into(),
                assets: Vec::new(),
                eta: None,
                start: None,
                end: None,
                text: String::new(),
            },
        )),
    };
    node.node
        .store()
        .write(vec![WriteOp::Local {
            draft: stray,
            actor: "test".into(),
        }])
        .unwrap();
    let (_, read) = node.call("GET", &uri, Some(&editor), None).await;
    assert_eq!(read["state"], "requested", "{read}");
}

#[tokio::test]
async fn decide_approves_or_declines_in_one_route() {
    let node = node().await;
    let editor = node.login("mli_dr").await;
    let request = hold(
        &node,
        "NER",
        Marking::new("DR", ["MLI"]),
        request_body(&["MLI"]),
    );
    let uri = format!("/api/v1/support-requests/{request}/decide");
    for (body, why) in [
        (json!({"decision": "maybe"}), "approve"),
        (json!({"decision": "decline"}), "reason"),
        (
            json!({"decision": "approve", "start": "2026-12-06T15:00:00Z", "end": "2026-12-06T13:00:00Z"}),
            "end",
        ),
        (json!({}), "decision"),
    ] {
        let (status, error) = node.call("POST", &uri, Some(&editor), Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert!(error["message"].as_str().unwrap().contains(why), "{error}");
    }
    let (status, approval) = node
        .call(
            "POST",
            &uri,
            Some(&editor),
            Some(
                json!({"decision": "approve", "start": "2026-12-06T13:00:00Z",
                        "end": "2026-12-06T15:00:00Z", "reason": "two hours only"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{approval}");
    assert_eq!(approval["decision"], "approved");
    let (_, read) = node
        .call(
            "GET",
            &format!("/api/v1/support-requests/{request}"),
            Some(&editor),
            None,
        )
        .await;
    assert_eq!(read["state"], "approved");
    assert_eq!(
        read["workflow"]["answers"][0]["end"],
        "2026-12-06T15:00:00Z"
    );
    assert_eq!(read["workflow"]["answers"][0]["text"], "two hours only");
}

/// The availability view: an asset's bookings cut its free windows; a booking names its
/// request only to a caller who may see the request (and the answer); an asset the caller may
/// not see is not listed; the view is bounded.
#[tokio::test]
async fn availability_shows_bookings_without_revealing_hidden_requests() {
    let node = node().await;
    let editor = node.login("mli_dr").await;
    let (status, asset) = node
        .call(
            "POST",
            "/api/v1/assets",
            Some(&editor),
            Some(with_marking(asset_body(), "DR", &["AES"])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{asset}");
    // NER's request, released to MLI only: BFA never sees it.
    let request = hold(
        &node,
        "NER",
        Marking::new("DR", ["MLI"]),
        request_body(&["MLI"]),
    );
    let (status, body) = node
        .call(
            "POST",
            &format!("/api/v1/support-requests/{request}/approve"),
            Some(&editor),
            Some(json!({"assets": [asset["id"]], "end": "2026-12-06T16:00:00Z"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let uri = "/api/v1/assets/availability?from=2026-12-06T00:00:00Z&to=2026-12-07T00:00:00Z";
    let row = |view: &Value| -> Option<Value> {
        view["assets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["id"] == asset["id"])
            .cloned()
    };
    // MLI's editor sees the booking, its request and the free time around it.
    let (status, view) = node.call("GET", uri, Some(&editor), None).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let mine = row(&view).expect("the asset is listed");
    assert_eq!(
        mine["booked"],
        json!([{"start": "2026-12-06T12:00:00Z", "end": "2026-12-06T16:00:00Z",
            "request": request, "requester": "NER", "decision": "approved"}])
    );
    assert_eq!(
        mine["free"],
        json!([{"start": "2026-12-06T00:00:00Z", "end": "2026-12-06T12:00:00Z"},
               {"start": "2026-12-06T16:00:00Z", "end": "2026-12-07T00:00:00Z"}])
    );
    // NER's liaison officer sees its nation's request, and the answer released to NER.
    let liaison = node.login("ner_liaison").await;
    let (_, view) = node.call("GET", uri, Some(&liaison), None).await;
    let seen = row(&view).expect("released to AES");
    assert_eq!(seen["booked"][0]["request"], json!(request));
    // BFA may see the asset, not NER's request: the window is booked, nothing more.
    let bfa = node.login("bfa_c").await;
    let (status, view) = node.call("GET", uri, Some(&bfa), None).await;
    assert_eq!(status, StatusCode::OK);
    let theirs = row(&view).expect("released to AES");
    assert_eq!(
        theirs["booked"],
        json!([{"start": "2026-12-06T12:00:00Z", "end": "2026-12-06T16:00:00Z"}])
    );
    assert!(!view.to_string().contains(&request.to_string()), "{view}");
    assert!(!view.to_string().contains("NER"), "{view}");
    assert_eq!(theirs["free"], mine["free"]);
    // An NP-cleared user does not see the DR asset at all.
    let low = node.login("mli_np_editor").await;
    let (status, view) = node.call("GET", uri, Some(&low), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(row(&view).is_none(), "{view}");
    // By category.
    let (_, view) = node
        .call(
            "GET",
            &format!("{uri}&category=medevac"),
            Some(&editor),
            None,
        )
        .await;
    assert!(row(&view).is_none(), "{view}");
    let (_, view) = node
        .call(
            "GET",
            &format!("{uri}&category=helicopter"),
            Some(&editor),
            None,
        )
        .await;
    assert!(row(&view).is_some(), "{view}");
    // A completed request frees the asset.
    let (status, _) = node
        .call(
            "POST",
            &format!("/api/v1/support-requests/{request}/complete"),
            Some(&editor),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, view) = node.call("GET", uri, Some(&editor), None).await;
    let freed = row(&view).expect("listed");
    assert_eq!(freed["booked"], json!([]));
    assert_eq!(
        freed["free"],
        json!([{"start": "2026-12-06T00:00:00Z", "end": "2026-12-07T00:00:00Z"}])
    );
    // Bounded, and checked.
    for bad in [
        "/api/v1/assets/availability?from=2026-12-06T00:00:00Z&to=2027-02-06T00:00:00Z",
        "/api/v1/assets/availability?from=2026-12-06T00:00:00Z&to=2026-12-05T00:00:00Z",
        "/api/v1/assets/availability?from=yesterday",
        "/api/v1/assets/availability?category=submarine",
        "/api/v1/assets/availability?color=red",
    ] {
        let (status, body) = node.call("GET", bad, Some(&editor), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let (status, _) = node.call("GET", uri, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Figures per nation from what the caller may see; every decision is in the audit log.
#[tokio::test]
async fn figures_count_what_the_caller_may_see_and_decisions_are_audited() {
    let node = node().await;
    let editor = node.login("mli_dr").await;
    let answered = hold(
        &node,
        "NER",
        Marking::new("DR", ["MLI"]),
        request_body(&["MLI"]),
    );
    hold(
        &node,
        "NER",
        Marking::new("DR", ["MLI"]),
        request_body(&["MLI"]),
    );
    let (status, response) = node
        .call(
            "POST",
            &format!("/api/v1/support-requests/{answered}/decline"),
            Some(&editor),
            Some(json!({"reason": "no crew"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{response}");
    let (status, figures) = node
        .call("GET", "/api/v1/assets/figures", Some(&editor), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{figures}");
    assert_eq!(figures["nations"]["NER"]["requests_made"], 2, "{figures}");
    assert_eq!(figures["nations"]["NER"]["requests_answered"], 1);
    assert_eq!(figures["nations"]["MLI"]["decisions"], 1);
    assert!(
        figures["nations"]["MLI"]["median_time_to_decision_s"]
            .as_i64()
            .is_some_and(|seconds| seconds >= 0),
        "{figures}"
    );
    // BFA may see neither request: nothing to count.
    let bfa = node.login("bfa_c").await;
    let (status, figures) = node
        .call("GET", "/api/v1/assets/figures", Some(&bfa), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(figures["nations"], json!({}), "{figures}");
    // The decision is in the audit log, with who took it.
    let admin = node.login("admin").await;
    let (status, audit) = node
        .call(
            "GET",
            &format!("/api/v1/audit?object={}", response["id"].as_str().unwrap()),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let records = audit.as_array().unwrap();
    assert_eq!(records.len(), 1, "{audit}");
    assert_eq!(records[0]["action"], "create");
    assert_eq!(records[0]["actor"], "mli_dr", "{audit}");
}
