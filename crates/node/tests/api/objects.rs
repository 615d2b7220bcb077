//! The object API's write semantics: versions and preconditions, deletion, replicas, filters,
//! the admin endpoints, and the operations endpoints.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use liptako_model::{Body as ObjectBody, Draft, Expect, Marking, Report, ReportKind};
use liptako_store::WriteOp;
use serde_json::json;

use super::common::{TestNode, nation};

#[tokio::test]
async fn create_read_change_delete() {
    let node = TestNode::new().await;
    let token = node.login("mli_dr").await;
    let (status, v1) = node
        .call("POST", "/api/v1/reports", Some(&token),
              Some(json!({"kind": "spot_report", "title": "Pick-up seen", "marking": {"level": "DR", "releasable_to": ["aes"]}})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v1}");
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["origin"], "MLI");
    assert_eq!(
        v1["marking"]["releasable_to"],
        json!(["AES"]),
        "canonical marking"
    );
    let id = v1["id"].as_str().unwrap();
    let uri = format!("/api/v1/reports/{id}");

    // Sending back what was read, changed, with its version: accepted.
    let mut change = v1.clone();
    change["title"] = json!("Pick-up seen, heading east");
    let (status, v2) = node
        .call("PUT", &uri, Some(&token), Some(change.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{v2}");
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["created"], v1["created"]);

    // The same change again is stale.
    let (status, body) = node
        .call("PUT", &uri, Some(&token), Some(change.clone()))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["current_version"], 2);

    // No version at all: precondition required.
    change.as_object_mut().unwrap().remove("version");
    let (status, _) = node
        .call("PUT", &uri, Some(&token), Some(change.clone()))
        .await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);

    // If-Match works too, and must agree with a body version.
    let put = |if_match: &str, body: &serde_json::Value| {
        Request::put(&uri)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .header("if-match", if_match)
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let (status, v3) = node.send(put("\"2\"", &change)).await;
    assert_eq!(status, StatusCode::OK, "{v3}");
    assert_eq!(v3["version"], 3);
    change["version"] = json!(1);
    let (status, _) = node.send(put("\"3\"", &change)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Delete with the version; then the object is gone, the tombstone is version 4.
    let (status, tombstone) = node
        .call("DELETE", &format!("{uri}?version=3"), Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{tombstone}");
    assert_eq!(tombstone["deleted"], true);
    assert_eq!(tombstone["version"], 4);
    let (status, _) = node.call("GET", &uri, Some(&token), None).await;
    assert_eq!(status, StatusCode::GONE);
    let (_, page) = node
        .call("GET", "/api/v1/reports", Some(&token), None)
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0);

    // A report is not a unit.
    let (status, _) = node
        .call("GET", &format!("/api/v1/units/{id}"), Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let admin = node.login("admin").await;
    let (status, audit) = node
        .call(
            "GET",
            &format!("/api/v1/audit?object={id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["delete", "update", "update", "create"]);
    let request = Request::get(format!("/api/v1/audit?object={id}&format=csv"))
        .header("authorization", format!("Bearer {admin}"))
        .body(Body::empty())
        .unwrap();
    let (status, csv) = node.send(request).await;
    assert_eq!(status, StatusCode::OK);
    let csv = csv.as_str().unwrap();
    assert!(
        csv.starts_with("id,at,actor,action,object_id,version,partner,detail\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 5);
    // Only an admin reads the audit log.
    let (status, _) = node.call("GET", "/api/v1/audit", Some(&token), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn replicas_are_read_only() {
    let node = TestNode::new().await;
    // A BFA object held here (as federation will bring it), released to all members.
    let id = uuid::Uuid::now_v7();
    let replica = Draft {
        id,
        origin: nation("BFA"),
        expect: Expect::New,
        at: node.node.now(),
        marking: Marking::new("NP", ["AES"]),
        valid_until: None,
        exercise: None,
        body: Some(ObjectBody::Report(Report {
            kind: ReportKind::Incident,
            title: "From Burkina".into(),
            body: String::new(),
            location: None,
        })),
    };
    node.node
        .store()
        .write(vec![WriteOp::Local {
            draft: replica,
            actor: "test".into(),
        }])
        .unwrap();
    let token = node.login("mli_dr").await;
    let uri = format!("/api/v1/reports/{id}");
    let (status, current) = node.call("GET", &uri, Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(current["origin"], "BFA");
    let mut change = current.clone();
    change["title"] = json!("edited in Mali");
    let (status, body) = node.call("PUT", &uri, Some(&token), Some(change)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("only BFA changes it"),
        "{body}"
    );
    let (status, _) = node
        .call("DELETE", &format!("{uri}?version=1"), Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn list_filters() {
    let node = TestNode::new().await;
    let token = node.login("mli_dr").await;
    let post = |kind: &str, title: &str, lat: f64, lon: f64, valid_until: Option<&str>| {
        let mut body = json!({"kind": kind, "title": title, "location": {"lat": lat, "lon": lon},
                              "marking": {"level": "NP", "releasable_to": ["AES"]}});
        if let Some(until) = valid_until {
            body["valid_until"] = json!(until);
        }
        body
    };
    for body in [
        post("incident", "Embuscade près de Ménaka", 15.9, 2.4, None),
        post("threat_warning", "IED risk on RN20", 14.5, 0.5, None),
        post(
            "threat_warning",
            "Expired warning",
            14.5,
            0.5,
            Some("2020-01-01T00:00:00Z"),
        ),
    ] {
        let (status, created) = node
            .call("POST", "/api/v1/reports", Some(&token), Some(body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
    }
    let titles = |page: serde_json::Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let get = |query: &str| {
        let uri = format!("/api/v1/reports?{query}");
        let node = &node;
        let token = token.clone();
        async move { node.call("GET", &uri, Some(&token), None).await }
    };
    assert_eq!(
        titles(get("kind=threat_warning").await.1),
        vec!["IED risk on RN20"]
    );
    assert_eq!(
        titles(get("kind=threat_warning&include_expired=true").await.1).len(),
        2
    );
    assert_eq!(
        titles(get("bbox=2,15,3,16").await.1),
        vec!["Embuscade près de Ménaka"]
    );
    assert_eq!(
        titles(get("q=m%C3%A9naka").await.1),
        vec!["Embuscade près de Ménaka"]
    );
    assert_eq!(titles(get("since=2999-01-01T00:00:00Z").await.1).len(), 0);
    assert_eq!(titles(get("since=2000-01-01T00:00:00Z").await.1).len(), 2);
}

#[tokio::test]
async fn users_node_info_and_ops_endpoints() {
    let node = TestNode::new().await;
    let admin = node.login("admin").await;
    let (status, created) = node
        .call("POST", "/api/v1/users", Some(&admin),
              Some(json!({"name": "liaison.bfa", "password": "long-enough-1", "clearance": "DR", "role": "viewer", "nation": "BFA"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["nation"], "BFA");
    let (status, _) = node
        .call("POST", "/api/v1/users", Some(&admin),
              Some(json!({"name": "liaison.bfa", "password": "long-enough-1", "clearance": "DR", "role": "viewer"})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = node
        .call("POST", "/api/v1/users", Some(&admin),
              Some(json!({"name": "x", "password": "long-enough-1", "clearance": "TS", "role": "viewer"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, users) = node.call("GET", "/api/v1/users", Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        users
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u.get("password_hash").is_none())
    );
    let viewer = node.login("mli_np").await;
    let (status, _) = node.call("GET", "/api/v1/users", Some(&viewer), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, me) = node
        .call("GET", "/api/v1/auth/me", Some(&viewer), None)
        .await;
    assert_eq!(
        (status, me["clearance"].as_str()),
        (StatusCode::OK, Some("NP"))
    );
    let (status, info) = node.call("GET", "/api/v1/node", Some(&viewer), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["members"], json!(["MLI", "BFA", "NER"]));
    assert_eq!(info["levels"], json!(["NP", "DR", "C", "S"]));

    let (status, health) = node.call("GET", "/healthz", None, None).await;
    assert_eq!(
        (status, health["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, metrics) = node.call("GET", "/metrics", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(metrics.as_str().unwrap().contains(
        "liptako_http_requests_total{method=\"GET\",route=\"/api/v1/users\",status=\"403\"} 1"
    ));

    let (status, doc) = node.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/reports",
        "/api/v1/units/{id}",
        "/api/v1/zones",
        "/api/v1/auth/login",
        "/api/v1/live",
    ] {
        assert!(doc["paths"].get(path).is_some(), "openapi lacks {path}");
    }
    assert!(doc["components"]["schemas"].get("Report").is_some());
    assert!(doc["components"]["schemas"].get("Object").is_some());
    // Request bodies a generator can produce: one flat schema per type and act, whose
    // properties are what the handler accepts; answers one of the flat object schemas.
    let schemas = &doc["components"]["schemas"];
    let new_report = &doc["paths"]["/api/v1/reports"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"]["$ref"];
    assert_eq!(new_report, "#/components/schemas/ReportNew");
    let fields = schemas["ReportNew"]["properties"].as_object().unwrap();
    for field in ["kind", "title", "marking", "exercise", "valid_until"] {
        assert!(fields.contains_key(field), "ReportNew lacks {field}");
    }
    assert!(
        !fields.contains_key("version"),
        "a creation takes no version"
    );
    assert!(schemas["UnitChange"]["properties"].get("version").is_some());
    assert_eq!(schemas["ReportNew"]["additionalProperties"], false);
    assert_eq!(schemas["Object"]["discriminator"]["propertyName"], "type");
    // No `allOf` left anywhere (two closed schemas in one `allOf` admit no instance).
    assert!(!doc.to_string().contains("\"allOf\""), "{doc}");
    // The marking names this node's levels.
    assert_eq!(
        schemas["Marking"]["properties"]["level"]["enum"],
        json!(["NP", "DR", "C", "S"])
    );
    // Every operation that needs a token declares 401, with the error body the node sends.
    let mut secured = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation.get("security").is_none() {
                continue;
            }
            secured += 1;
            assert_eq!(
                operation["responses"]["401"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorBody",
                "{method} {path}"
            );
        }
    }
    assert!(secured >= 30, "{secured} secured operations");
    let (status, _) = node
        .call("GET", "/api/v1/nothing-here", Some(&viewer), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
