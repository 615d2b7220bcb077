//! The JSON API feature: [`routes`] are the object collections, login and sessions, users, the
//! audit log, links, the live feed, health and metrics. The composition root
//! (`server::router`) merges them with other features' routes; tests drive that router
//! in-process, the server serves it on a socket.

pub mod acks;
pub mod history;
pub mod live;
pub mod objects;
pub mod openapi;
pub mod ops;
pub mod session;
pub mod web;

use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::routing::{get, post, put};
use liptako_model::ObjectType;

use crate::state::Node;

/// The API's routes (`/api/v1/...`, `/healthz`, `/metrics`); the composition root
/// (`server::router`) merges them with the other features' routes and adds the layers.
pub fn routes() -> Router<Arc<Node>> {
    let mut api = Router::new()
        .route("/api/v1/auth/login", post(session::login))
        .route("/api/v1/auth/me", get(session::me))
        .route("/api/v1/node", get(session::node_info))
        .route(
            "/api/v1/users",
            get(session::list_users).post(session::create_user),
        )
        .route("/api/v1/users/{name}", put(session::update_user))
        .route("/api/v1/audit", get(session::audit))
        .route("/api/v1/links", get(session::links))
        .route("/api/v1/live", get(live::live))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics));
    for object_type in ObjectType::ALL {
        let collection = objects::collection(object_type);
        api = api.merge(
            Router::new()
                .route(
                    &format!("/api/v1/{collection}"),
                    // A type the node writes itself is only read here: anything else is a
                    // 405 that says `Allow: GET,HEAD`, before any body is read.
                    if object_type.client_writable() {
                        get(objects::list).post(objects::create)
                    } else {
                        get(objects::list)
                    },
                )
                .route(
                    &format!("/api/v1/{collection}/{{id}}"),
                    if object_type.client_writable() {
                        get(objects::get)
                            .put(objects::replace)
                            .delete(objects::delete)
                    } else {
                        get(objects::get)
                    },
                )
                .layer(Extension(object_type)),
        );
    }
    api.merge(web::routes())
        .merge(history::routes())
        .merge(acks::routes())
}
