//! `GET /api/v1/{collection}/{id}/versions`: the versions of one object this node holds, newest
//! first, for the UI's details panel ("who changed what, when").
//!
//! The marking rule decides per version, not once per object: a version the caller may not see
//! (marked higher, or released more narrowly, than the current one) is left out entirely, as if
//! it had never been, and an object whose latest version the caller may not see is a 404 like
//! any other. A version whose content a recall dropped shows its envelope only. The user who
//! made a version is named when this node made it (its audit log knows); a partner's versions
//! name no one.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use liptako_model::{Audience, Marking, Meta, Nation, ObjectType};
use liptako_store::{AuditQuery, LogBody};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::objects::{checked_exercise, collection, parse_id, visible};
use crate::http::error::AppError;
use crate::http::extract::{Caller, Params};
use crate::state::Node;

/// Most versions one answer lists.
pub const MAX_VERSIONS: usize = 1000;
/// Versions listed when the caller names no limit.
pub const DEFAULT_VERSIONS: usize = 100;

/// The routes of this module (merged into [`super::router`]).
pub fn routes() -> Router<Arc<Node>> {
    let mut router = Router::new();
    for object_type in ObjectType::ALL {
        router = router.merge(
            Router::new()
                .route(
                    &format!("/api/v1/{}/{{id}}/versions", collection(object_type)),
                    get(versions),
                )
                .layer(Extension(object_type)),
        );
    }
    router
}

/// Query parameters of the version history.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VersionParams {
    /// The exercise whose world the object is in (absent: the real world).
    #[param(min_length = 1, max_length = 64)]
    pub exercise: Option<String>,
    /// At most this many versions, newest first (1 to 1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// One version of an object.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionView {
    /// The version number.
    pub version: u64,
    /// When the origin made it.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated: OffsetDateTime,
    /// Its marking.
    pub marking: Marking,
    /// Whether this version deletes the object.
    pub deleted: bool,
    /// The user who made it, when this node is the origin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The whole version as the API shows objects; absent where a recall dropped its content.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub object: Option<Value>,
}

/// The history of one object.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct History {
    /// The object.
    pub id: Uuid,
    /// Its origin nation.
    #[schema(value_type = String, example = "MLI")]
    pub origin: Nation,
    /// The versions the caller may see, newest first.
    pub versions: Vec<VersionView>,
}

/// `GET /api/v1/{collection}/{id}/versions`
#[utoipa::path(get, path = "/api/v1/reports/{id}/versions", tag = "objects",
    params(("id" = Uuid, Path, description = "The object (also under /units and /zones)"),
           VersionParams),
    responses(
        (status = 200, body = History, description = "The versions the caller may see, newest first"),
        (status = 404, description = "No such object, or one the caller may not see"),
    ),
    security(("bearer" = [])))]
pub async fn versions(
    Extension(object_type): Extension<ObjectType>,
    State(node): State<Arc<Node>>,
    caller: Caller,
    Path(id): Path<String>,
    Params(params): Params<VersionParams>,
) -> Result<Json<History>, AppError> {
    let id = parse_id(&id)?;
    let limit = params.limit.unwrap_or(DEFAULT_VERSIONS);
    if !(1..=MAX_VERSIONS).contains(&limit) {
        return Err(AppError::BadRequest(format!(
            "limit {limit}: must be 1 to {MAX_VERSIONS}"
        )));
    }
    let exercise = checked_exercise(params.exercise.as_deref())?;
    // The latest version decides whether the object exists for the caller at all.
    let current = visible(&node, &caller.0, object_type, id, exercise.as_deref())
        .await?
        .object;
    let origin = current.meta.origin;
    let local = origin == node.nation();
    let (entries, actors) = node
        .with_store(move |store| {
            let entries = store.versions(id, limit)?;
            // Who made each version, from this node's audit log (only the origin has it).
            let actors = if local {
                store.audit(&AuditQuery {
                    action: None,
                    partner: None,
                    object_id: Some(id),
                    since: None,
                    before_id: None,
                    limit: MAX_VERSIONS * 4,
                })?
            } else {
                Vec::new()
            };
            Ok((entries, actors))
        })
        .await?;
    let actors: HashMap<u64, String> = actors
        .into_iter()
        .filter(|record| matches!(record.entry.action.as_str(), "create" | "update" | "delete"))
        .filter_map(|record| Some((record.entry.version?, record.entry.actor)))
        .collect();
    let policy = node.policy();
    let versions = entries
        .into_iter()
        .filter_map(|entry| {
            let (meta, payload): (Meta, Option<Value>) = match entry.body {
                LogBody::Version { meta, payload } => {
                    let object = serde_json::from_slice(&payload).ok();
                    (meta, object)
                }
                LogBody::Dropped { meta } => (meta, None),
                LogBody::Recall => return None,
            };
            if !policy.allows(Audience::reader(&caller.0, exercise.as_deref()), &meta) {
                return None;
            }
            Some(VersionView {
                version: meta.version,
                updated: meta.updated,
                marking: meta.marking,
                deleted: meta.deleted,
                actor: actors.get(&meta.version).cloned(),
                object: payload,
            })
        })
        .collect();
    Ok(Json(History {
        id,
        origin,
        versions,
    }))
}

/// The OpenAPI part of this module (merged into the node's document).
#[derive(utoipa::OpenApi)]
#[openapi(paths(versions), components(schemas(History, VersionView)))]
pub struct Doc;
