//! The acts of a support request's workflow, each an object of the nation that acts:
//!
//! - `POST /api/v1/support-requests/{id}/decide` (`{"decision": "approve" | "decline",
//!   "assets", "eta", "start", "end", "reason"}`), or the same acts one by one:
//!   `/approve` (`{"assets": [ids], "eta", "start", "end", "text"}`),
//!   `/decline` (`{"reason"}`), `/task` (`{"assets", "eta", "text"}`) and `/complete`
//!   (`{"text"}`): the addressed nation answers with a `support_response` linked to the request
//!   by id, marked with what the request allows this nation to release back
//!   (`Policy::derive_marking`: the request's level, its holders), so it reaches the requester
//!   by the ordinary federation (audited there like any release);
//! - `/cancel` (`{"reason"}`): the requesting nation cancels; a new version of its own request
//!   (`cancelled`, `cancel_reason`).
//!
//! Who may answer: a user of this node's nation, role editor or above, who may see the request,
//! on the node of a nation the request is addressed to. A partner's liaison officer never
//! answers for the host, and a nation not addressed never answers (its answer would be ignored
//! by every node anyway: `Workflow::responders`). Who may cancel: a user of the requesting
//! nation, role editor or above, on its node.
//!
//! The order of acts per answering nation: approve or decline first (once), then task (after an
//! approval), then complete (after an approval or a tasking); anything else is a 409 that says
//! where the request stands. An asset this nation approved or tasked for another open request
//! whose window overlaps is not approved again: 409 naming that request. The state is derived from the objects held
//! (`crate::workflow`), never stored.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use liptako_model::ObjectType;
use liptako_model::{
    Audience, Body, Draft, Expect, Object, Principal, Role, SupportDecision, SupportResponse,
    SupportState, Workflow, check_exercise_name, workflow::furthest_answer,
};
use liptako_store::{Query, WriteOp, WriteOutcome};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::http::error::AppError;
use crate::http::extract::{Caller, Params};
use crate::state::Node;

/// The feature's routes.
pub fn routes() -> Router<Arc<Node>> {
    Router::new()
        .route(
            "/api/v1/assets/availability",
            axum::routing::get(super::views::availability),
        )
        .route(
            "/api/v1/assets/figures",
            axum::routing::get(super::views::figures),
        )
        .route(
            "/api/v1/support-requests/{id}/decide",
            axum::routing::post(decide),
        )
        .route(
            "/api/v1/support-requests/{id}/approve",
            axum::routing::post(approve),
        )
        .route(
            "/api/v1/support-requests/{id}/decline",
            axum::routing::post(decline),
        )
        .route(
            "/api/v1/support-requests/{id}/task",
            axum::routing::post(task),
        )
        .route(
            "/api/v1/support-requests/{id}/complete",
            axum::routing::post(complete),
        )
        .route(
            "/api/v1/support-requests/{id}/cancel",
            axum::routing::post(cancel),
        )
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(decide, approve, decline, task, complete, cancel,
        super::views::availability, super::views::figures),
    // A support request read carries its derived state as `"workflow"`.
    components(schemas(
        AnswerRequest,
        DecideRequest,
        Decision,
        ReasonRequest,
        liptako_model::WorkflowState,
        liptako_model::Act,
        liptako_model::Answer,
        liptako_model::SupportState,
        super::views::AvailabilityView,
        super::views::AssetAvailability,
        super::views::Booking,
        super::views::Span,
        super::views::Figures,
        super::views::NationFigures
    )),
    tags((name = "pooled", description = "Pooled means: assets and support requests between nations"))
)]
struct PooledDoc;

/// The feature's part of the OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    <PooledDoc as utoipa::OpenApi>::openapi()
}

/// The body of an approval, a tasking or a completion (every field optional).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// The assets tasked, by id: assets of this node's nation.
    #[serde(default)]
    pub assets: Vec<Uuid>,
    /// When the support is expected on site (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub eta: Option<OffsetDateTime>,
    /// Start of the window the assets are committed for (default: the request's).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub start: Option<OffsetDateTime>,
    /// End of that window (default: the request's).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub end: Option<OffsetDateTime>,
    /// A remark.
    #[serde(default)]
    pub text: String,
}

/// The body of a decision (`/decide`): approve or decline in one route.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideRequest {
    /// `approve` or `decline`.
    pub decision: Decision,
    /// The assets tasked (approve).
    #[serde(default)]
    pub assets: Vec<Uuid>,
    /// When the support is expected on site (approve).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub eta: Option<OffsetDateTime>,
    /// Start of the window the assets are committed for (default: the request's).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub start: Option<OffsetDateTime>,
    /// End of that window (default: the request's).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub end: Option<OffsetDateTime>,
    /// Why (required to decline), or a remark.
    #[serde(default)]
    pub reason: String,
}

/// A decision.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Approve.
    Approve,
    /// Decline.
    Decline,
}

/// The body of a decline or a cancellation.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// Why (required to decline).
    #[serde(default)]
    pub reason: String,
}

/// Query parameters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActParams {
    /// The exercise whose world the request is in (absent: the real world).
    #[param(min_length = 1, max_length = 64)]
    pub exercise: Option<String>,
}

/// `POST /api/v1/support-requests/{id}/decide`: `approve` or `decline` in one route (the
/// issue's form); the same act as `/approve` and `/decline`.
#[utoipa::path(post, path = "/api/v1/support-requests/{id}/decide", tag = "pooled",
    params(("id" = Uuid, Path, description = "The support request"), ActParams),
    request_body(content = DecideRequest, description = "The decision"),
    responses(
        (status = 201, body = Object, description = "Decided: the support_response object"),
        (status = 403, description = "Role too low, a partner's user, or this nation is not addressed"),
        (status = 409, description = "Already answered, the request was cancelled, or an asset is booked for an overlapping request (named)"),
        (status = 410, description = "The request was deleted"),
        (status = 422, description = "An asset named is not one of this nation's"),
    ),
    security(("bearer" = []))
)]
pub async fn decide(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Path(id): Path<String>,
    Params(params): Params<ActParams>,
    body: Bytes,
) -> Result<Response, AppError> {
    let request: DecideRequest = serde_json::from_slice(&body)
        .map_err(|err| AppError::BadRequest(format!("invalid body: {err}")))?;
    let decision = match request.decision {
        Decision::Approve => SupportDecision::Approved,
        Decision::Decline => {
            if request.reason.trim().is_empty() {
                return Err(AppError::BadRequest("reason: a decline says why".into()));
            }
            SupportDecision::Declined
        }
    };
    answer(
        &node,
        caller,
        &id,
        params,
        decision,
        AnswerRequest {
            assets: match decision {
                SupportDecision::Declined => Vec::new(),
                _ => request.assets,
            },
            eta: request.eta,
            start: request.start,
            end: request.end,
            text: request.reason,
        },
    )
    .await
}

/// `POST /api/v1/support-requests/{id}/approve`
#[utoipa::path(post, path = "/api/v1/support-requests/{id}/approve", tag = "pooled",
    params(("id" = Uuid, Path, description = "The support request"), ActParams),
    request_body(content = AnswerRequest, description = "The assets tasked and the ETA (optional)"),
    responses(
        (status = 201, body = Object, description = "Approved: the support_response object"),
        (status = 403, description = "Role too low, a partner's user, or this nation is not addressed"),
        (status = 409, description = "Already answered, the request was cancelled, or an asset is booked for an overlapping request (named)"),
        (status = 410, description = "The request was deleted"),
        (status = 422, description = "An asset named is not one of this nation's"),
    ),
    security(("bearer" = []))
)]
pub async fn approve(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Path(id): Path<String>,
    Params(params): Params<ActParams>,
    body: Bytes,
) -> Result<Response, AppError> {
    let request: AnswerRequest = parse_body(&body)?;
    answer(
        &node,
        caller,
        &id,
        params,
        SupportDecision::Approved,
        request,
    )
    .await
}

/// `POST /api/v1/support-requests/{id}/decline`
#[utoipa::path(post, path = "/api/v1/support-requests/{id}/decline", tag = "pooled",
    params(("id" = Uuid, Path, description = "The support request"), ActParams),
    request_body(content = ReasonRequest, description = "Why (required)"),
    responses(
        (status = 201, body = Object, description = "Declined: the support_response object"),
        (status = 403, description = "Role too low, a partner's user, or this nation is not addressed"),
        (status = 409, description = "Already answered, or the request was cancelled"),
        (status = 410, description = "The request was deleted"),
    ),
    security(("bearer" = []))
)]
pub async fn decline(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Path(id): Path<String>,
    Params(params): Params<ActParams>,
    body: Bytes,
) -> Result<Response, AppError> {
    let request: ReasonRequest = parse_body(&body)?;
    if request.reason.trim().is_empty() {
        return Err(AppError::BadRequest(
            "reason: a decline says why (send {\"reason\": \"...\"})".into(),
        ));
    }
    answer(
        &node,
        caller,
        &id,
        params,
        SupportDecision::Declined,
        AnswerRequest {
            text: request.reason,
            ..AnswerRequest::default()
        },
    )
    .await
}

/// `POST /api/v1/support-requests/{id}/task`
#[utoipa::path(post, path = "/api/v1/support-requests/{id}/task", tag = "pooled",
    params(("id" = Uuid, Path, description = "The support request"), ActParams),
    request_body(content = AnswerRequest, description = "The assets on the task and the ETA (optional)"),
    responses(
        (status = 201, body = Object, description = "Tasked: the support_response object"),
        (status = 403, description = "Role too low, a partner's user, or this nation is not addressed"),
        (status = 409, description = "Not approved by this nation, already tasked, cancelled, or an asset booked for an overlapping request (named)"),
        (status = 410, description = "The request was deleted"),
        (status = 422, description = "An asset named is not one of this nation's"),
    ),
    security(("bearer" = []))
)]
pub async fn task(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Path(id): Path<String>,
    Params(params): Params<ActParams>,
    body: Bytes,
) -> Result<Response, AppError> {
    let request: AnswerRequest = parse_body(&body)?;
    answer(&node, caller, &id, params, SupportDecision::Tasked, request).await
}

/// `POST /api/v1/support-requests/{id}/complete`
#[utoipa::path(post, path = "/api/v1/support-requests/{id}/complete", tag = "pooled",
    params(("id" = Uuid, Path, description = "The support request"), ActParams),
    request_body(content = AnswerRequest, description = "A remark (optional)"),
    responses(
        (status = 201, body = Object, description = "Completed: the support_response object"),
        (status = 403, description = "Role too low, a partner's user, or this nation is not addressed"),
        (status = 409, description = "Not approved by this nation, or already completed"),
        (status = 410, description = "The request was deleted"),
        (status = 422, description = "An asset named is not one of this nation's"),
    ),
    security(("bearer" = []))
)]
pub async fn complete(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Path(id): Path<String>,
    Params(params): Params<ActParams>,
    body: Bytes,
) -> Result<Response, AppError> {
    let request: AnswerRequest = parse_body(&body)?;
    answer(
        &node,
        caller,
        &id,
        params,
        SupportDecision::Completed,
        request,
    )
    .await
}

/// `POST /api/v1/support-requests/{id}/cancel`
#[utoipa::path(post, path = "/api/v1/support-requests/{id}/cancel", tag = "pooled",
    params(("id" = Uuid, Path, description = "The support request"), ActParams),
    request_body(content = ReasonRequest, description = "Why (optional)"),
    responses(
        (status = 200, body = Object, description = "Cancelled (or already cancelled): the request"),
        (status = 403, description = "Role too low, a partner's user, or not the requesting nation's node"),
        (status = 409, description = "Already completed, or changed meanwhile"),
        (status = 410, description = "The request was deleted"),
    ),
    security(("bearer" = []))
)]
pub async fn cancel(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Path(id): Path<String>,
    Params(params): Params<ActParams>,
    body: Bytes,
) -> Result<Response, AppError> {
    caller.require(Role::Editor)?;
    let principal = caller.0;
    let reason: ReasonRequest = parse_body(&body)?;
    let exercise = checked_exercise(params.exercise)?;
    let request = visible_request(&node, &principal, &id, exercise.as_deref()).await?;
    let home = node.nation();
    if request.meta.origin != home {
        return Err(AppError::Forbidden(format!(
            "only the requesting nation ({}) cancels this request, on its node; this node is {home}'s",
            request.meta.origin
        )));
    }
    same_nation(&principal, home, "cancels")?;
    let Body::SupportRequest(body) = &request.body else {
        return Err(AppError::NotFound);
    };
    if body.cancelled.is_some() {
        return Ok((StatusCode::OK, Json(request.as_ref())).into_response());
    }
    let steps = crate::workflow::steps(&node, &request, None).await?;
    if Workflow::new(&request, steps.iter()).state().state == Some(SupportState::Completed) {
        return Err(conflict(
            "the request is completed; there is nothing to cancel",
        ));
    }
    let mut cancelled = body.as_ref().clone();
    cancelled.cancelled = Some(node.now());
    cancelled.cancel_reason = reason.reason;
    let new_body = Body::SupportRequest(Box::new(cancelled));
    new_body
        .check()
        .map_err(|err| AppError::BadRequest(err.to_string()))?;
    let draft = Draft {
        id: request.meta.id,
        origin: home,
        expect: Expect::Version(request.meta.version),
        at: node.now(),
        marking: request.meta.marking.clone(),
        valid_until: request.meta.valid_until,
        exercise: request.meta.exercise.clone(),
        body: Some(new_body),
    };
    let object = write(&node, draft, &principal).await?;
    Ok((StatusCode::OK, Json(object.as_ref())).into_response())
}

/// One answer of this node's nation to a partner's request.
async fn answer(
    node: &Arc<Node>,
    caller: Caller,
    id: &str,
    params: ActParams,
    decision: SupportDecision,
    request_body: AnswerRequest,
) -> Result<Response, AppError> {
    caller.require(Role::Editor)?;
    let principal = caller.0;
    let exercise = checked_exercise(params.exercise)?;
    let request = visible_request(node, &principal, id, exercise.as_deref()).await?;
    let home = node.nation();
    let responders = Workflow::responders(&request);
    if !responders.contains(&home) {
        let asked: Vec<&str> = responders.iter().map(|nation| nation.as_str()).collect();
        return Err(AppError::Forbidden(format!(
            "this request is addressed to {}, answered on their nodes; this node is {home}'s",
            asked.join(", ")
        )));
    }
    same_nation(&principal, home, "answers")?;
    let Body::SupportRequest(body) = &request.body else {
        return Err(AppError::NotFound);
    };
    let steps = crate::workflow::steps(node, &request, None).await?;
    let state = Workflow::new(&request, steps.iter()).state();
    let mine = furthest_answer(home, &state.answers);
    if body.cancelled.is_some() && decision != SupportDecision::Completed {
        return Err(conflict("the requesting nation cancelled this request"));
    }
    let allowed = match decision {
        SupportDecision::Approved | SupportDecision::Declined => mine.is_none(),
        SupportDecision::Tasked => mine == Some(SupportDecision::Approved),
        SupportDecision::Completed => matches!(
            mine,
            Some(SupportDecision::Approved | SupportDecision::Tasked)
        ),
    };
    if !allowed {
        return Err(conflict(&format!(
            "{home} cannot answer {} now: its answer so far is {}",
            decision.as_str(),
            mine.map_or("none", |answer| answer.as_str())
        )));
    }
    for asset in &request_body.assets {
        let held = node.get_object(*asset).await?;
        let ours = held.is_some_and(|stored| {
            matches!(stored.object.body, Body::Asset(_))
                && !stored.object.meta.deleted
                && stored.object.meta.origin == home
                && node.policy().allows(
                    Audience::reader(&principal, request.meta.exercise.as_deref()),
                    stored.object.as_ref(),
                )
        });
        if !ours {
            return Err(AppError::Unprocessable(format!(
                "assets: {asset} is not an asset of {home} that you may see"
            )));
        }
    }
    if matches!(
        decision,
        SupportDecision::Approved | SupportDecision::Tasked
    ) && let Some(message) = double_booking(
        node,
        &request,
        committed_window(body, request_body.start, request_body.end),
        &request_body.assets,
    )
    .await?
    {
        return Err(conflict(&message));
    }
    let marking = node
        .policy()
        .derive_marking(home, &[(request.meta.origin, &request.meta.marking)])
        .map_err(|err| AppError::internal(format!("marking of a support response: {err}")))?;
    node.policy()
        .check_may_mark(&principal, &marking)
        .map_err(|err| AppError::Forbidden(err.to_string()))?;
    let response = Body::SupportResponse(SupportResponse {
        refers_to: request.meta.id,
        decision,
        by: principal.name.clone(),
        assets: request_body.assets,
        eta: request_body.eta,
        start: request_body.start,
        end: request_body.end,
        text: request_body.text,
    });
    response
        .check()
        .map_err(|err| AppError::BadRequest(err.to_string()))?;
    let draft = Draft {
        id: Uuid::now_v7(),
        origin: home,
        expect: Expect::New,
        at: node.now(),
        marking,
        valid_until: None,
        exercise: request.meta.exercise.clone(),
        body: Some(response),
    };
    let object = write(node, draft, &principal).await?;
    let mut response = (StatusCode::CREATED, Json(object.as_ref())).into_response();
    if let Ok(location) =
        HeaderValue::from_str(&format!("/api/v1/support-responses/{}", object.meta.id))
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Whether one of `assets` is already approved or tasked by this nation for another request
/// whose window overlaps `request`'s and which is still open (not completed, not cancelled):
/// the message names that request.
async fn double_booking(
    node: &Arc<Node>,
    request: &Object,
    (start, end): (OffsetDateTime, OffsetDateTime),
    assets: &[Uuid],
) -> Result<Option<String>, AppError> {
    if assets.is_empty() {
        return Ok(None);
    }
    let home = node.nation();
    let mut cursor = None;
    loop {
        let mut query = Query::all(ObjectType::SupportResponse, 500);
        query.exercise = request.meta.exercise.clone();
        query.cursor = cursor;
        let wanted: Vec<Uuid> = assets.to_vec();
        let own_request = request.meta.id;
        let page = node
            .with_store(move |store| {
                store.scan(&query, &mut |object| {
                    object.meta.origin == home
                        && matches!(&object.body, Body::SupportResponse(response)
                            if response.refers_to != own_request
                                && matches!(response.decision, SupportDecision::Approved | SupportDecision::Tasked)
                                && response.assets.iter().any(|asset| wanted.contains(asset)))
                })
            })
            .await?;
        for booking in &page.objects {
            let Body::SupportResponse(response) = &booking.body else {
                continue;
            };
            let Some(other) = node.get_object(response.refers_to).await? else {
                continue;
            };
            let Body::SupportRequest(other_body) = &other.object.body else {
                continue;
            };
            let (other_start, other_end) =
                committed_window(other_body, response.start, response.end);
            if other.object.meta.deleted || other_start >= end || start >= other_end {
                continue;
            }
            let steps = crate::workflow::steps(node, &other.object, None).await?;
            let state = Workflow::new(&other.object, steps.iter()).state().state;
            if matches!(
                state,
                Some(SupportState::Completed | SupportState::Cancelled)
            ) {
                continue;
            }
            let asset = response
                .assets
                .iter()
                .find(|asset| assets.contains(asset))
                .copied()
                .unwrap_or_default();
            return Ok(Some(format!(
                "asset {asset} is already booked for support request {} of {} ({} to {}), which overlaps this one",
                other.object.meta.id,
                other.object.meta.origin,
                rfc3339(other_start),
                rfc3339(other_end)
            )));
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(None),
        }
    }
}

/// The window an answer commits its assets for: its own bounds, else the request's.
fn committed_window(
    request: &liptako_model::SupportRequest,
    start: Option<OffsetDateTime>,
    end: Option<OffsetDateTime>,
) -> (OffsetDateTime, OffsetDateTime) {
    (start.unwrap_or(request.start), end.unwrap_or(request.end))
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn parse_body<T: Default + serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|err| AppError::BadRequest(format!("invalid body: {err}")))
}

fn checked_exercise(exercise: Option<String>) -> Result<Option<String>, AppError> {
    exercise
        .map(|name| {
            check_exercise_name(&name)
                .map(|()| name)
                .map_err(|err| AppError::BadRequest(err.to_string()))
        })
        .transpose()
}

/// The support request `id` if the caller may see it in `exercise`'s world; 404 otherwise,
/// 410 if deleted.
async fn visible_request(
    node: &Arc<Node>,
    principal: &Principal,
    id: &str,
    exercise: Option<&str>,
) -> Result<Arc<Object>, AppError> {
    // A malformed id names nothing: answered like any unknown id.
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    let request = match node.get_object(id).await? {
        Some(stored)
            if matches!(stored.object.body, Body::SupportRequest(_))
                && node.policy().allows(
                    Audience::reader(principal, exercise),
                    stored.object.as_ref(),
                ) =>
        {
            stored.object
        }
        _ => return Err(AppError::NotFound),
    };
    if request.meta.deleted {
        return Err(AppError::Gone(format!(
            "deleted at version {}",
            request.meta.version
        )));
    }
    Ok(request)
}

/// A partner's liaison officer never acts for the host nation.
fn same_nation(
    principal: &Principal,
    home: liptako_model::Nation,
    act: &str,
) -> Result<(), AppError> {
    if principal.nation != home {
        return Err(AppError::Forbidden(format!(
            "only a user of {home} {act} for {home}; {} is a user of {}",
            principal.name, principal.nation
        )));
    }
    Ok(())
}

fn conflict(message: &str) -> AppError {
    AppError::Conflict {
        message: message.to_owned(),
        current_version: None,
    }
}

async fn write(
    node: &Arc<Node>,
    draft: Draft,
    principal: &Principal,
) -> Result<Arc<Object>, AppError> {
    let mut outcomes = node
        .write(vec![WriteOp::Local {
            draft,
            actor: principal.name.clone(),
        }])
        .await?;
    match outcomes.pop() {
        Some(WriteOutcome::Committed(committed)) => Ok(committed.object),
        Some(WriteOutcome::Conflict(conflict)) => Err(AppError::Conflict {
            message: conflict.to_string(),
            current_version: None,
        }),
        _ => Err(AppError::internal("a support act had no version")),
    }
}
