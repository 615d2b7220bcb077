//! An operation read by id lists the civilian-harm reports linked to it: inside its area, made
//! within its time window, and visible to the reader (derived on read: each report and the
//! operation keep their one writer).

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::common::TestNode;

async fn harm(node: &TestNode, token: &str, level: &str, lat: f64, lon: f64) -> String {
    let (status, report) = node
        .call(
            "POST",
            "/api/v1/reports",
            Some(token),
            Some(json!({"kind": "civilian_harm", "title": "harm", "location": {"lat": lat, "lon": lon},
                        "marking": {"level": level, "releasable_to": ["AES"]}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    report["id"].as_str().unwrap().to_owned()
}

fn linked(operation: &Value) -> Vec<String> {
    operation["civilian_harm_reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn civilian_harm_inside_an_operation_is_linked_to_it_for_those_who_see_it() {
    let node = TestNode::new().await;
    let admin = node.login("admin").await;
    let low = node.login("mli_np").await;
    let (status, operation) = node
        .call(
            "POST",
            "/api/v1/operations",
            Some(&admin),
            Some(json!({"name": "SAHEL SHIELD", "lead_nation": "MLI", "participating_nations": ["MLI"],
                "area": {"type": "Polygon", "coordinates": [[[1.0,14.0],[2.0,14.0],[2.0,15.0],[1.0,15.0],[1.0,14.0]]]},
                "start": "2020-01-01T00:00:00Z", "end": "2099-01-01T00:00:00Z", "status": "active",
                "marking": {"level": "NP", "releasable_to": ["AES"]}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{operation}");
    let path = format!("/api/v1/operations/{}", operation["id"].as_str().unwrap());
    let inside_open = harm(&node, &admin, "NP", 14.5, 1.5).await;
    let inside_confidential = harm(&node, &admin, "C", 14.6, 1.6).await;
    let _outside = harm(&node, &admin, "NP", 16.5, 1.5).await;

    let (status, read) = node.call("GET", &path, Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    let mut expected = vec![inside_open.clone(), inside_confidential];
    expected.sort();
    let mut got = linked(&read);
    got.sort();
    assert_eq!(got, expected);
    // A user cleared NP is not told of the confidential report, not even its id.
    let (status, read) = node.call("GET", &path, Some(&low), None).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(linked(&read), vec![inside_open]);

    // An operation whose window ended before the reports were made links none.
    let (status, past) = node
        .call(
            "POST",
            "/api/v1/operations",
            Some(&admin),
            Some(json!({"name": "PAST", "lead_nation": "MLI", "participating_nations": ["MLI"],
                "area": {"type": "Polygon", "coordinates": [[[1.0,14.0],[2.0,14.0],[2.0,15.0],[1.0,15.0],[1.0,14.0]]]},
                "start": "2020-01-01T00:00:00Z", "end": "2020-02-01T00:00:00Z", "status": "ended",
                "marking": {"level": "NP", "releasable_to": ["AES"]}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{past}");
    let (_, read) = node
        .call(
            "GET",
            &format!("/api/v1/operations/{}", past["id"].as_str().unwrap()),
            Some(&admin),
            None,
        )
        .await;
    assert!(linked(&read).is_empty(), "{read}");
}
