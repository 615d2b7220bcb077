//! What the web UI needs from the node: the page and its files (strict CSP, entity tags), an
//! object's version history under the marking rule version by version, and acknowledgements
//! of alerts kept with who and when.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::common::TestNode;

async fn get_raw(
    node: &TestNode,
    uri: &str,
    if_none_match: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut request = Request::builder().uri(uri);
    if let Some(tag) = if_none_match {
        request = request.header(header::IF_NONE_MATCH, tag);
    }
    let response = node
        .app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, bytes.to_vec())
}

#[tokio::test]
async fn the_page_and_its_files_are_served_with_a_strict_policy_and_entity_tags() {
    let node = TestNode::new().await;
    let (status, headers, body) = get_raw(&node, "/", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    for directive in csp.split(';') {
        // Nothing but this origin (and inline images the page draws itself).
        for source in directive.split_whitespace().skip(1) {
            assert!(
                ["'self'", "'none'", "data:", "blob:"].contains(&source),
                "{source} in {directive}"
            );
        }
    }
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("classification-banner")
    );
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    let (status, headers, body) = get_raw(&node, "/", Some(&etag)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(headers[header::ETAG].to_str().unwrap(), etag);

    let (status, headers, _) = get_raw(&node, "/ui/app/main.js", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    let (status, _, _) =
        get_raw(&node, "/ui/vendor/maplibre-gl/maplibre-gl-worker.mjs", None).await;
    assert_eq!(status, StatusCode::OK);
    for missing in [
        "/ui/index.html",
        "/ui/nothing.js",
        "/ui/../Cargo.toml",
        "/ui/test/e2e.test.mjs",
    ] {
        let (status, _, _) = get_raw(&node, missing, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    }
    // The API's own answers are untouched.
    let (status, body) = node.call("GET", "/api/v1/nothing", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "not_found");
}

fn report(title: &str, level: &str, kind: &str) -> Value {
    json!({"kind": kind, "title": title, "body": "", "location": {"lat": 14.0, "lon": 1.0},
           "marking": {"level": level, "releasable_to": ["AES"]}})
}

#[tokio::test]
async fn the_history_shows_each_version_only_to_those_who_may_see_that_version() {
    let node = TestNode::new().await;
    let admin = node.login("admin").await;
    let (status, v1) = node
        .call(
            "POST",
            "/api/v1/reports",
            Some(&admin),
            Some(report("public v1", "NP", "incident")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v1}");
    let id = v1["id"].as_str().unwrap().to_owned();
    let mut v2 = report("secret v2", "S", "incident");
    v2["version"] = json!(1);
    let (status, _) = node
        .call(
            "PUT",
            &format!("/api/v1/reports/{id}"),
            Some(&admin),
            Some(v2),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut v3 = report("restricted v3", "DR", "incident");
    v3["version"] = json!(2);
    let (status, _) = node
        .call(
            "PUT",
            &format!("/api/v1/reports/{id}"),
            Some(&admin),
            Some(v3),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let path = format!("/api/v1/reports/{id}/versions");
    let versions = |body: &Value| -> Vec<(u64, String)> {
        body["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["version"].as_u64().unwrap(),
                    v["object"]["title"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let (status, body) = node.call("GET", &path, Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        versions(&body),
        [
            (3, "restricted v3".into()),
            (2, "secret v2".into()),
            (1, "public v1".into())
        ]
    );
    assert_eq!(body["versions"][0]["actor"], "admin");
    assert_eq!(body["origin"], "MLI");

    // Cleared DR: v3 and v1, never the S version, not even its number.
    let dr = node.login("ner_dr").await;
    let (status, body) = node.call("GET", &path, Some(&dr), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        versions(&body),
        [(3, "restricted v3".into()), (1, "public v1".into())]
    );
    assert!(!body.to_string().contains("secret"), "{body}");

    // Cleared NP: the object's latest version is DR, so it does not exist for them.
    let np = node.login("mli_np").await;
    let (status, body) = node.call("GET", &path, Some(&np), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.to_string().contains("public v1"));
    let (status, _) = node
        .call("GET", &format!("{path}?limit=0"), Some(&admin), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = node
        .call(
            "GET",
            "/api/v1/units/not-an-id/versions",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_alert_is_acknowledged_once_with_who_and_when_and_only_by_those_who_see_it() {
    let node = TestNode::new().await;
    let admin = node.login("admin").await;
    let (_, alert) = node
        .call(
            "POST",
            "/api/v1/reports",
            Some(&admin),
            Some(report("no transponder", "NP", "airspace_alert")),
        )
        .await;
    let (_, hidden) = node
        .call(
            "POST",
            "/api/v1/reports",
            Some(&admin),
            Some(report("restricted zone entry", "C", "airspace_alert")),
        )
        .await;
    let (_, plain) = node
        .call(
            "POST",
            "/api/v1/reports",
            Some(&admin),
            Some(report("convoy", "NP", "incident")),
        )
        .await;
    let viewer = node.login("mli_np").await;
    let ack = |id: &Value| format!("/api/v1/reports/{}/ack", id.as_str().unwrap());

    let (status, body) = node
        .call(
            "POST",
            &ack(&alert["id"]),
            Some(&viewer),
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["by"], "mli_np");
    assert_eq!(body["version"], 1);
    assert!(body["at"].as_str().unwrap().ends_with('Z'));
    let (status, _) = node
        .call("POST", &ack(&hidden["id"]), Some(&viewer), Some(json!({})))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "an alert above the clearance"
    );
    let (status, body) = node
        .call("POST", &ack(&plain["id"]), Some(&viewer), Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = node
        .call(
            "POST",
            &ack(&alert["id"]),
            Some(&viewer),
            Some(json!({"version": 7})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["current_version"], 1);
    let (status, _) = node
        .call("POST", &ack(&hidden["id"]), Some(&admin), Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::OK);

    // Each sees the acknowledgements of the alerts they may see.
    let (_, acks) = node.call("GET", "/api/v1/acks", Some(&viewer), None).await;
    let ids: Vec<&str> = acks
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [alert["id"].as_str().unwrap()]);
    let (_, acks) = node.call("GET", "/api/v1/acks", Some(&admin), None).await;
    assert_eq!(acks.as_array().unwrap().len(), 2);
    assert_eq!(acks[0]["by"], "admin", "newest first");
    // Kept in the audit log.
    let (_, audit) = node
        .call("GET", "/api/v1/audit?action=alert_ack", Some(&admin), None)
        .await;
    assert_eq!(audit.as_array().unwrap().len(), 2);
    let (_, doc) = node.call("GET", "/api/v1/openapi.json", None, None).await;
    for path in [
        "/api/v1/acks",
        "/api/v1/reports/{id}/ack",
        "/api/v1/reports/{id}/versions",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is not documented");
    }
}
