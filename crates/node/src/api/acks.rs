//! Acknowledging alerts: `POST /api/v1/reports/{id}/ack` and `GET /api/v1/acks`.
//!
//! An alert is a report whose kind ends in `_alert` (`airspace_alert`, and the kinds later
//! features add), or a `protection_warning`. Acknowledging one is an act of this node's watch floor: it is kept, with who
//! and when, as an `alert_ack` record of the node's audit log (durable, admin-readable with the
//! rest of the audit), and does not federate (a partner's operators acknowledge on their own
//! node). The UI reads the acknowledgements of the alerts it shows with `GET /api/v1/acks` and
//! polls it; each acknowledgement of an alert the caller may not see is left out.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use liptako_model::{Audience, Body, ObjectType};
use liptako_store::{AuditEntry, AuditQuery, WriteOp};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::objects::{checked_exercise, parse_id, parse_time, visible};
use crate::http::error::AppError;
use crate::http::extract::{Caller, JsonBody, Params};
use crate::state::Node;

/// The audit action of an acknowledgement.
pub const ACK_ACTION: &str = "alert_ack";
/// Most acknowledgements one answer lists.
pub const MAX_ACKS: usize = 1000;

/// The routes of this module (merged into [`super::router`]).
pub fn routes() -> Router<Arc<Node>> {
    Router::new()
        .route("/api/v1/reports/{id}/ack", post(acknowledge))
        .route("/api/v1/acks", get(list))
}

/// Whether a report kind is an alert (acknowledged by operators).
pub fn is_alert_kind(kind: &str) -> bool {
    kind.ends_with("_alert") || kind == "protection_warning"
}

/// An acknowledgement request.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckRequest {
    /// The version acknowledged (default: the current one). An alert updated since the operator
    /// looked at it is a 409: look again.
    #[serde(default)]
    pub version: Option<u64>,
    /// The exercise whose world the alert is in (absent: the real world).
    #[serde(default)]
    pub exercise: Option<String>,
}

/// One acknowledgement.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Ack {
    /// The alert (a report).
    pub id: Uuid,
    /// The version acknowledged.
    pub version: u64,
    /// Who acknowledged it.
    pub by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
}

/// `POST /api/v1/reports/{id}/ack`
#[utoipa::path(post, path = "/api/v1/reports/{id}/ack", tag = "objects",
    params(("id" = Uuid, Path, description = "The alert")),
    request_body = AckRequest,
    responses(
        (status = 200, body = Ack, description = "Acknowledged (kept in the audit log)"),
        (status = 400, description = "Not an alert"),
        (status = 404, description = "No such report, or one the caller may not see"),
        (status = 409, description = "The alert changed since that version"),
        (status = 410, description = "The alert was deleted"),
    ),
    security(("bearer" = [])))]
pub async fn acknowledge(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<AckRequest>,
) -> Result<Json<Ack>, AppError> {
    let id = parse_id(&id)?;
    let exercise = checked_exercise(request.exercise.as_deref())?;
    let current = visible(
        &node,
        &caller.0,
        ObjectType::Report,
        id,
        exercise.as_deref(),
    )
    .await?
    .object;
    if current.meta.deleted {
        return Err(AppError::Gone(format!(
            "deleted at version {}",
            current.meta.version
        )));
    }
    let Body::Report(report) = &current.body else {
        return Err(AppError::NotFound);
    };
    if !is_alert_kind(report.kind.as_str()) {
        return Err(AppError::BadRequest(format!(
            "a {} report is not an alert: only alerts are acknowledged",
            report.kind.as_str()
        )));
    }
    let version = request.version.unwrap_or(current.meta.version);
    if version != current.meta.version {
        return Err(AppError::Conflict {
            message: format!(
                "the alert is at version {}, not {version}: it changed, look at it again",
                current.meta.version
            ),
            current_version: Some(current.meta.version),
        });
    }
    let ack = Ack {
        id,
        version,
        by: caller.0.name.clone(),
        at: node.now(),
    };
    node.write(vec![WriteOp::Audit(AuditEntry {
        at: ack.at,
        actor: ack.by.clone(),
        action: ACK_ACTION.into(),
        object_id: Some(id),
        version: Some(version),
        partner: None,
        detail: String::new(),
    })])
    .await?;
    Ok(Json(ack))
}

/// Query parameters of the acknowledgements.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AckParams {
    /// Only acknowledgements at or after this time (RFC 3339).
    pub since: Option<String>,
    /// At most this many, newest first (1 to 1000, default 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// The exercise whose alerts' acknowledgements to list (absent: the real world).
    #[param(min_length = 1, max_length = 64)]
    pub exercise: Option<String>,
}

/// `GET /api/v1/acks`
#[utoipa::path(get, path = "/api/v1/acks", tag = "objects",
    params(AckParams),
    responses((status = 200, body = Vec<Ack>,
        description = "Acknowledgements of alerts the caller may see, newest first")),
    security(("bearer" = [])))]
pub async fn list(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Params(params): Params<AckParams>,
) -> Result<Json<Vec<Ack>>, AppError> {
    let limit = params.limit.unwrap_or(MAX_ACKS);
    if !(1..=MAX_ACKS).contains(&limit) {
        return Err(AppError::BadRequest(format!(
            "limit {limit}: must be 1 to {MAX_ACKS}"
        )));
    }
    let since = params
        .since
        .as_deref()
        .map(|text| parse_time("since", text))
        .transpose()?;
    let world = super::objects::checked_exercise(params.exercise.as_deref())?;
    let records = node
        .with_store(move |store| {
            store.audit(&AuditQuery {
                action: Some(ACK_ACTION.into()),
                partner: None,
                object_id: None,
                since,
                before_id: None,
                limit,
            })
        })
        .await?;
    // Each alert is looked at once, whatever the number of its acknowledgements.
    let mut may_see: HashMap<Uuid, bool> = HashMap::new();
    let mut acks = Vec::new();
    for record in records {
        let entry = record.entry;
        let (Some(id), Some(version)) = (entry.object_id, entry.version) else {
            continue;
        };
        let seen = match may_see.get(&id) {
            Some(seen) => *seen,
            None => {
                let seen = node.get_object(id).await?.is_some_and(|stored| {
                    node.policy().allows(
                        Audience::reader(&caller.0, world.as_deref()),
                        stored.object.as_ref(),
                    )
                });
                may_see.insert(id, seen);
                seen
            }
        };
        if seen {
            acks.push(Ack {
                id,
                version,
                by: entry.actor,
                at: entry.at,
            });
        }
    }
    Ok(Json(acks))
}

/// The OpenAPI part of this module (merged into the node's document).
#[derive(utoipa::OpenApi)]
#[openapi(paths(acknowledge, list), components(schemas(Ack, AckRequest)))]
pub struct Doc;
