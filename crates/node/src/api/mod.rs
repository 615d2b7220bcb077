//! The HTTP API: [`router`] builds every route on a [`Node`]. Tests drive it in-process; the
//! server serves it on a socket.
//!
//! One middleware wraps every request: a tracing span with method and route, and the request
//! counter and latency histogram of `/metrics`.

pub mod extract;
pub mod live;
pub mod objects;
pub mod openapi;
pub mod ops;
pub mod session;

use std::sync::Arc;
use std::time::Instant;

use axum::Extension;
use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use liptako_model::ObjectType;
use tracing::Instrument;

use crate::error::AppError;
use crate::state::Node;

/// Every route of the API, on `node`.
pub fn router(node: Arc<Node>) -> Router {
    let mut api = Router::new()
        .route("/api/v1/auth/login", post(session::login))
        .route("/api/v1/auth/me", get(session::me))
        .route("/api/v1/node", get(session::node_info))
        .route(
            "/api/v1/users",
            get(session::list_users).post(session::create_user),
        )
        .route("/api/v1/audit", get(session::audit))
        .route("/api/v1/links", get(session::links))
        .route("/api/v1/live", get(live::live))
        .route("/api/v1/air/tracks", get(crate::air::api::tracks))
        .route("/api/v1/air/tracks/{uid}", get(crate::air::api::track))
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics));
    for object_type in ObjectType::ALL {
        let collection = objects::collection(object_type);
        api = api.merge(
            Router::new()
                .route(
                    &format!("/api/v1/{collection}"),
                    get(objects::list).post(objects::create),
                )
                .route(
                    &format!("/api/v1/{collection}/{{id}}"),
                    get(objects::get)
                        .put(objects::replace)
                        .delete(objects::delete),
                )
                .layer(Extension(object_type)),
        );
    }
    let max_body = node.config().http.max_body_bytes;
    api.merge(crate::taxii::router(node.clone()))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(node.clone(), observe))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(node)
}

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi::document())
}

async fn not_found() -> AppError {
    AppError::NotFound
}

/// A span per request (debug level: free when not logged), and the request counter and
/// latency histogram.
async fn observe(State(node): State<Arc<Node>>, request: Request, next: Next) -> Response {
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map_or("unmatched", MatchedPath::as_str);
    let method = request.method().clone();
    let span = tracing::debug_span!("http", %method, route);
    let started = Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status();
    if status.is_server_error() {
        span.in_scope(|| {
            tracing::warn!(
                status = status.as_u16(),
                elapsed_ms = elapsed.as_millis() as u64,
                "request failed"
            );
        });
    }
    node.http_stats().record(
        node.metrics(),
        route,
        method.as_str(),
        status.as_u16(),
        elapsed,
    );
    response
}
