//! `POST /api/v1/pursuit-notices/{id}/acknowledge`: the nation entered acknowledges a partner's
//! pursuit notice. The act is an object of this node's nation (`acknowledgement`, linked to the
//! notice by id), marked with what the notice allows this nation to release back
//! (`Policy::derive_marking`: the notice's level, its holders), so it goes back to the pursuing
//! nation by the ordinary federation and is audited there like any release. Both nodes then
//! derive the notice's state from the objects they hold (`GET /api/v1/pursuit-notices/{id}`,
//! `"workflow"`).
//!
//! Who may: a user of this node's nation (a partner's liaison officer never acknowledges for
//! the host), role editor or above, who may see the notice; only on the node of the nation
//! entered. A second acknowledgement answers the first (200), and writes nothing.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use liptako_model::{
    Acknowledgement, Audience, Body, Draft, Expect, Object, Role, check_exercise_name,
};
use liptako_store::{WriteOp, WriteOutcome};
use serde::Deserialize;
use uuid::Uuid;

use crate::http::error::AppError;
use crate::http::extract::{Caller, Params};
use crate::state::Node;

/// The feature's routes.
pub fn routes() -> Router<Arc<Node>> {
    Router::new().route(
        "/api/v1/pursuit-notices/{id}/acknowledge",
        axum::routing::post(acknowledge),
    )
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(acknowledge),
    // A pursuit notice read by id carries its derived state as `"workflow"`.
    components(schemas(AcknowledgeRequest, liptako_model::WorkflowState, liptako_model::Act)),
    tags((name = "operations", description = "Cross-border operations and pursuit notices"))
)]
struct OpsDoc;

/// The feature's part of the OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    <OpsDoc as utoipa::OpenApi>::openapi()
}

/// The body of an acknowledgement (optional: an empty body acknowledges without text).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeRequest {
    /// What the watch officer says.
    #[serde(default)]
    pub text: String,
}

/// Query parameters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AcknowledgeParams {
    /// The exercise whose world the notice is in (absent: the real world).
    pub exercise: Option<String>,
}

/// `POST /api/v1/pursuit-notices/{id}/acknowledge`
#[utoipa::path(post, path = "/api/v1/pursuit-notices/{id}/acknowledge", tag = "operations",
    params(("id" = Uuid, Path, description = "The pursuit notice"), AcknowledgeParams),
    request_body(content = AcknowledgeRequest, description = "Optional"),
    responses(
        (status = 201, body = Object, description = "Acknowledged: the acknowledgement object"),
        (status = 200, body = Object, description = "Already acknowledged: the first acknowledgement"),
        (status = 400, description = "Bad body"),
        (status = 403, description = "Role too low, a partner's user, or not the nation entered"),
        (status = 404, description = "No such notice, or not visible to the caller"),
        (status = 410, description = "The notice was deleted"),
    ),
    security(("bearer" = []))
)]
pub async fn acknowledge(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Path(id): Path<String>,
    Params(params): Params<AcknowledgeParams>,
    body: Bytes,
) -> Result<Response, AppError> {
    caller.require(Role::Editor)?;
    let principal = caller.0;
    let request: AcknowledgeRequest = if body.iter().all(u8::is_ascii_whitespace) {
        AcknowledgeRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|err| AppError::BadRequest(format!("invalid body: {err}")))?
    };
    let exercise = params
        .exercise
        .map(|name| {
            check_exercise_name(&name)
                .map(|()| name)
                .map_err(|err| AppError::BadRequest(err.to_string()))
        })
        .transpose()?;
    // A malformed id names nothing: answered like any unknown id.
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let notice = match node.get_object(id).await? {
        Some(stored)
            if matches!(stored.object.body, Body::PursuitNotice(_))
                && node.policy().allows(
                    Audience::reader(&principal, exercise.as_deref()),
                    stored.object.as_ref(),
                ) =>
        {
            stored.object
        }
        _ => return Err(AppError::NotFound),
    };
    if notice.meta.deleted {
        return Err(AppError::Gone(format!(
            "deleted at version {}",
            notice.meta.version
        )));
    }
    let Body::PursuitNotice(body) = &notice.body else {
        return Err(AppError::NotFound);
    };
    let home = node.nation();
    if body.nation_entered != home {
        return Err(AppError::Forbidden(format!(
            "this notice is acknowledged by {}, on its node; this node is {home}'s",
            body.nation_entered
        )));
    }
    if principal.nation != home {
        return Err(AppError::Forbidden(format!(
            "only a user of {home} acknowledges for {home}; {} is a user of {}",
            principal.name, principal.nation
        )));
    }
    let earlier = crate::workflow::steps(&node, &notice, None).await?;
    if let Some(first) = earlier
        .iter()
        .filter(|step| step.meta.origin == home && !step.meta.deleted)
        .min_by_key(|step| (step.meta.created, step.meta.id))
    {
        return Ok((StatusCode::OK, Json(first)).into_response());
    }
    let marking = node
        .policy()
        .derive_marking(home, &[(notice.meta.origin, &notice.meta.marking)])
        .map_err(|err| AppError::internal(format!("marking of an acknowledgement: {err}")))?;
    node.policy()
        .check_may_mark(&principal, &marking)
        .map_err(|err| AppError::Forbidden(err.to_string()))?;
    let ack = Body::Acknowledgement(Acknowledgement {
        refers_to: notice.meta.id,
        by: principal.name.clone(),
        text: request.text,
    });
    ack.check()
        .map_err(|err| AppError::BadRequest(err.to_string()))?;
    let draft = Draft {
        id: Uuid::now_v7(),
        origin: home,
        expect: Expect::New,
        at: node.now(),
        marking,
        valid_until: None,
        exercise: notice.meta.exercise.clone(),
        body: Some(ack),
    };
    let mut outcomes = node
        .write(vec![WriteOp::Local {
            draft,
            actor: principal.name.clone(),
        }])
        .await?;
    let object: Arc<Object> = match outcomes.pop() {
        Some(WriteOutcome::Committed(committed)) => committed.object,
        Some(WriteOutcome::Conflict(conflict)) => {
            return Err(AppError::Conflict {
                message: conflict.to_string(),
                current_version: None,
            });
        }
        _ => return Err(AppError::internal("an acknowledgement had no version")),
    };
    let mut response = (StatusCode::CREATED, Json(object.as_ref())).into_response();
    if let Ok(location) =
        HeaderValue::from_str(&format!("/api/v1/acknowledgements/{}", object.meta.id))
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}
