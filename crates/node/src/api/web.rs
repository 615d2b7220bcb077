//! The web UI: `GET /` (the page) and `GET /ui/{path}` (its scripts, styles, catalogues, map
//! data and the pinned libraries), from the files `liptako-web` embedded at compile time. No
//! request of the page may leave the node: the Content-Security-Policy allows this origin
//! only (scripts, styles, images, workers, WebSocket), no frame, no form target, no base.
//!
//! Every file is served with its entity tag and `Cache-Control: no-cache`: a browser keeps its
//! copy and asks again with `If-None-Match`, answered 304 while the node's build is the same,
//! so a new build is never mixed with cached files of the old one.

use std::sync::Arc;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::http::error::AppError;
use crate::state::Node;

/// The page's Content-Security-Policy: nothing but this origin. `'self'` covers the
/// WebSocket of the same host and port; workers are MapLibre's (a module script of this
/// origin); images are the symbols drawn in the page (`data:`).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
    worker-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

/// The routes of the UI (merged into [`super::router`]).
pub fn routes() -> Router<Arc<Node>> {
    Router::new()
        .route("/", get(index))
        .route("/ui/{*path}", get(file))
}

async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

async fn file(Path(path): Path<String>, headers: HeaderMap) -> Response {
    // The page itself lives at `/` only.
    if path == "index.html" {
        return AppError::NotFound.into_response();
    }
    serve(&path, &headers)
}

fn serve(path: &str, request: &HeaderMap) -> Response {
    let Some(asset) = liptako_web::asset(path) else {
        return AppError::NotFound.into_response();
    };
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == asset.etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            )],
            asset.bytes,
        )
            .into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, HeaderValue::from_static(asset.etag));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    response
}
