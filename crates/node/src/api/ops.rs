//! Operations endpoints: `/healthz` and `/metrics` (Prometheus), both unauthenticated and
//! carrying no object data.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::state::Node;

/// `GET /healthz`: the node is up and its store answers.
#[utoipa::path(get, path = "/healthz", tag = "node",
    responses((status = 200, description = "Healthy"), (status = 503, description = "The store does not answer")))]
pub async fn healthz(State(node): State<Arc<Node>>) -> Response {
    let healthy = node.with_store(|store| store.log_heads()).await.is_ok();
    let body = Json(serde_json::json!({
        "status": if healthy { "ok" } else { "store unavailable" },
        "nation": node.nation(),
    }));
    if healthy {
        body.into_response()
    } else {
        (axum::http::StatusCode::SERVICE_UNAVAILABLE, body).into_response()
    }
}

/// `GET /metrics`: Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "node",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(State(node): State<Arc<Node>>) -> Response {
    let mut response = node.metrics().render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
