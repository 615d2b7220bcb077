//! The object API, one pattern for every object type: `/api/v1/reports`, `/api/v1/units`,
//! `/api/v1/zones` (collection: list, create) and `.../{id}` (get, replace, delete).
//!
//! Every read passes through the access decision (`Policy::allows`, for the caller in the world
//! it reads): an object the caller may not see is answered exactly like one that does not exist
//! (404). Writes happen on the origin node only, under a version precondition (`version` in the
//! body or `If-Match`); every marking a client writes goes through the one marking input
//! (`Policy::marking_input`): nobody marks above their own clearance, a liaison officer keeps
//! their nation in the release, and widening a release is an act of the object's author or a
//! releasing officer, audited.

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use liptako_model::{
    Audience, Body, Draft, ExerciseStatus, Expect, Marking, MarkingError, Nation, Object,
    ObjectType, Operation, OperationStatus, Principal, Report, ReportKind, Role, Unit,
    WriteConflict, Zone, ZoneKind, check_exercise_name,
};
use liptako_store::{Query, Stored, WriteOp, WriteOutcome};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::http::error::AppError;
use crate::http::extract::{Caller, JsonBody, Params};
use crate::state::Node;

/// Default page size of a list.
pub const DEFAULT_LIMIT: usize = 100;
/// Largest page size of a list.
pub const MAX_LIMIT: usize = 1000;

/// The path segment of each object type's collection.
pub fn collection(object_type: ObjectType) -> &'static str {
    match object_type {
        ObjectType::Report => "reports",
        ObjectType::Unit => "units",
        ObjectType::Zone => "zones",
        ObjectType::Operation => "operations",
        ObjectType::PursuitNotice => "pursuit-notices",
        ObjectType::Acknowledgement => "acknowledgements",
        ObjectType::Asset => "assets",
        ObjectType::SupportRequest => "support-requests",
        ObjectType::SupportResponse => "support-responses",
        ObjectType::Exercise => "exercises",
    }
}

/// The envelope fields a client may send beside the body's own fields.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeInput {
    /// Classification and releasability (required on creation; kept if absent on change).
    #[serde(default)]
    pub marking: Option<Marking>,
    /// End of validity.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub valid_until: Option<OffsetDateTime>,
    /// The exercise this object belongs to (creation only; absent for real-world data).
    #[serde(default)]
    pub exercise: Option<String>,
    /// On change: the version the change is made against (or send `If-Match`).
    #[serde(default)]
    pub version: Option<u64>,
    /// Read-only; accepted so that a client may send back what it read. Must match.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Read-only; must match.
    #[serde(default)]
    pub origin: Option<Nation>,
    /// Read-only; must match the collection.
    #[serde(default, rename = "type")]
    pub object_type: Option<ObjectType>,
    /// Read-only; ignored (a client may send back the time it read).
    #[serde(default)]
    pub created: Option<String>,
    /// Read-only; ignored (a client may send back the time it read).
    #[serde(default)]
    pub updated: Option<String>,
    /// Read-only; must be false.
    #[serde(default)]
    pub deleted: Option<bool>,
}

const ENVELOPE_KEYS: [&str; 10] = [
    "marking",
    "valid_until",
    "exercise",
    "version",
    "id",
    "origin",
    "type",
    "created",
    "updated",
    "deleted",
];

/// Splits a request body into its envelope and the body of `object_type`, each checked
/// strictly (an unknown field is an error that names it).
pub fn parse_input(
    object_type: ObjectType,
    value: Value,
) -> Result<(EnvelopeInput, Body), AppError> {
    let Value::Object(mut fields) = value else {
        return Err(AppError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    };
    let mut envelope = Map::new();
    for key in ENVELOPE_KEYS {
        if let Some(value) = fields.remove(key) {
            envelope.insert(key.to_owned(), value);
        }
    }
    let envelope: EnvelopeInput = serde_json::from_value(Value::Object(envelope))
        .map_err(|err| AppError::BadRequest(format!("invalid body: {err}")))?;
    if let Some(declared) = envelope.object_type
        && declared != object_type
    {
        return Err(AppError::BadRequest(format!(
            "type {:?} does not belong in /api/v1/{}",
            declared.as_str(),
            collection(object_type)
        )));
    }
    if envelope.deleted == Some(true) {
        return Err(AppError::BadRequest(
            "deleted: use DELETE to delete an object".into(),
        ));
    }
    let fields = Value::Object(fields);
    let body = match object_type {
        ObjectType::Report => serde_json::from_value::<Report>(fields).map(Body::Report),
        ObjectType::Unit => serde_json::from_value::<Unit>(fields).map(Body::Unit),
        ObjectType::Zone => serde_json::from_value::<Zone>(fields).map(Body::Zone),
        ObjectType::Operation => serde_json::from_value::<Operation>(fields)
            .map(|operation| Body::Operation(Box::new(operation))),
        ObjectType::Asset => serde_json::from_value::<liptako_model::Asset>(fields)
            .map(|asset| Body::Asset(Box::new(asset))),
        ObjectType::SupportRequest => {
            serde_json::from_value::<liptako_model::SupportRequest>(fields)
                .map(|request| Body::SupportRequest(Box::new(request)))
        }
        ObjectType::Exercise => serde_json::from_value::<liptako_model::Exercise>(fields)
            .map(|exercise| Body::Exercise(Box::new(exercise))),
        ObjectType::PursuitNotice | ObjectType::Acknowledgement | ObjectType::SupportResponse => {
            return Err(read_only(object_type));
        }
    }
    .map_err(|err| {
        AppError::BadRequest(format!(
            "invalid {}: {err} (besides the {} fields, a body may hold: {})",
            object_type.as_str(),
            object_type.as_str(),
            ENVELOPE_KEYS[..4].join(", ")
        ))
    })?;
    body.check()
        .map_err(|err| AppError::BadRequest(err.to_string()))?;
    Ok((envelope, body))
}

/// The answer to a write through the generic routes on a type the node writes itself.
fn read_only(object_type: ObjectType) -> AppError {
    AppError::MethodNotAllowed(match object_type {
        ObjectType::PursuitNotice => {
            "pursuit notices are raised by the node of the pursuing unit's nation; acknowledge one with POST /api/v1/pursuit-notices/{id}/acknowledge".into()
        }
        ObjectType::SupportResponse => {
            "support responses are written by the addressed nation's acts: POST /api/v1/support-requests/{id}/approve, /decline, /task or /complete".into()
        }
        _ => format!(
            "{}s are written by the act's own route (POST /api/v1/pursuit-notices/{{id}}/acknowledge)",
            object_type.as_str()
        ),
    })
}

/// Query parameters of a list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this kind (reports: incident, threat_warning, intelligence_summary, spot_report,
    /// civilian_harm, airspace_alert, pursuit_alert, deconfliction_alert, protection_warning,
    /// support_alert; zones: restricted, protected_site, area_of_operations; operations: their
    /// status, planned, active, ended; assets: their category; support requests: their priority).
    pub kind: Option<String>,
    /// Only objects whose geometry meets this box: `west,south,east,north` in degrees.
    pub bbox: Option<String>,
    /// Only versions made at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Only objects whose text contains this (case-insensitive).
    pub q: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// Where to continue: `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Read this exercise's world instead of the real world.
    #[param(min_length = 1, max_length = 64)]
    pub exercise: Option<String>,
    /// Include objects whose validity has ended (default false).
    pub include_expired: Option<bool>,
}

/// Query parameters of a single-object read.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReadParams {
    /// The exercise whose world the object is in (absent: the real world).
    #[param(min_length = 1, max_length = 64)]
    pub exercise: Option<String>,
}

/// Query parameters of a single-object delete.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ItemParams {
    /// The exercise whose world the object is in (absent: the real world).
    #[param(min_length = 1, max_length = 64)]
    pub exercise: Option<String>,
    /// The version the deletion is made against (or send `If-Match`).
    pub version: Option<u64>,
}

/// A page of objects.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListPage {
    /// The objects, newest change first.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Object>,
    /// Pass as `cursor` to get the next page; absent at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `GET /api/v1/{collection}`
pub async fn list(
    Extension(object_type): Extension<ObjectType>,
    node: axum::extract::State<Arc<Node>>,
    caller: Caller,
    Params(params): Params<ListParams>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let node = node.0;
    let mut query = build_query(object_type, &params, node.now())?;
    if let Some(cursor) = &params.cursor {
        query.cursor = Some(node.auth().open_cursor(cursor).ok_or_else(|| {
            AppError::BadRequest(
                "cursor: pass back the next_cursor of a previous page, unchanged".into(),
            )
        })?);
    }
    let policy_node = node.clone();
    let principal = caller.0;
    let caller_principal = principal.clone();
    let page = node
        .with_store(move |store| {
            let policy = policy_node.policy();
            let world = query.exercise.clone();
            let reader = Audience::reader(&principal, world.as_deref());
            store.scan(&query, &mut |object| policy.allows(reader, object))
        })
        .await?;
    // Sealed: a position says nothing about what lies between two pages.
    let next_cursor = page
        .next_cursor
        .map(|cursor| node.auth().seal_cursor(cursor));
    let mut objects = page.objects;
    for object in &mut objects {
        follow_unit(&node, &caller_principal, object).await?;
    }
    if wants_geojson(&headers) {
        let features: Vec<Value> = objects.iter().map(feature).collect();
        let mut collection = serde_json::json!({
            "type": "FeatureCollection",
            "features": features,
        });
        if let (Some(cursor), Value::Object(fields)) = (&next_cursor, &mut collection) {
            fields.insert("next_cursor".into(), Value::String(cursor.clone()));
        }
        let mut response = Json(collection).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/geo+json"),
        );
        return Ok(response);
    }
    if object_type == ObjectType::SupportRequest {
        // Each request with the state this node derives for the caller, as a single read.
        let mut items = Vec::with_capacity(objects.len());
        for object in &objects {
            items.push(with_workflow(&node, &caller_principal, object).await?);
        }
        let mut page = serde_json::json!({ "items": items });
        if let (Some(cursor), Value::Object(fields)) = (&next_cursor, &mut page) {
            fields.insert("next_cursor".into(), Value::String(cursor.clone()));
        }
        return Ok(Json(page).into_response());
    }
    Ok(Json(ListPage {
        items: objects,
        next_cursor,
    })
    .into_response())
}

/// An asset linked to a unit shows that unit's position, when the reader may see the unit in
/// the asset's world (`Policy::allows`); otherwise the asset keeps the position its nation
/// wrote, and nothing of the unit is told.
async fn follow_unit(
    node: &Arc<Node>,
    principal: &Principal,
    object: &mut Object,
) -> Result<(), AppError> {
    let Body::Asset(asset) = &mut object.body else {
        return Ok(());
    };
    let Some(unit_id) = asset.unit else {
        return Ok(());
    };
    if let Some(stored) = node.get_object(unit_id).await?
        && !stored.object.meta.deleted
        && node.policy().allows(
            Audience::reader(principal, object.meta.exercise.as_deref()),
            stored.object.as_ref(),
        )
        && let Body::Unit(unit) = &stored.object.body
        && let Some(position) = unit.position
    {
        asset.position = Some(position);
    }
    Ok(())
}

/// A head of a workflow as JSON with `"workflow"`, the state this node derives from the steps
/// it holds and `principal` may see, and for a support request its `"state"`.
async fn with_workflow(
    node: &Arc<Node>,
    principal: &Principal,
    object: &Object,
) -> Result<Value, AppError> {
    let mut value = serde_json::to_value(object)
        .map_err(|err| AppError::internal(format!("serialising an object: {err}")))?;
    if let Some(state) = crate::workflow::state(node, object, Some(principal)).await?
        && let Value::Object(fields) = &mut value
    {
        if let Some(support) = state.state {
            fields.insert("state".into(), Value::String(support.as_str().to_owned()));
        }
        let state = serde_json::to_value(state)
            .map_err(|err| AppError::internal(format!("serialising a state: {err}")))?;
        fields.insert("workflow".into(), state);
    }
    Ok(value)
}

/// What a support request's content must agree with beyond its own fields: every addressed
/// nation is a partner (a member other than this node's nation), and the marking releases the
/// request to each (`Policy::holders`, the same rule `Policy::allows` decides with). 422
/// otherwise, naming the nation.
fn check_with_policy(node: &Node, body: &Body, marking: &Marking) -> Result<(), AppError> {
    if let Body::Exercise(exercise) = body {
        return check_exercise(node, exercise, marking);
    }
    let Body::SupportRequest(request) = body else {
        return Ok(());
    };
    let home = node.nation();
    let policy = node.policy();
    let holders = policy.holders(home, marking);
    for nation in &request.addressed_to {
        if *nation == home {
            return Err(AppError::Unprocessable(format!(
                "addressed_to: {home} is the requesting nation; address the partners asked"
            )));
        }
        if !policy.confederation().is_member(*nation) {
            return Err(AppError::Unprocessable(format!(
                "addressed_to: {nation} is not a member of {}",
                policy.confederation().name()
            )));
        }
        if !holders.contains(nation) {
            return Err(AppError::Unprocessable(format!(
                "marking {marking} does not release the request to {nation}, to which it is addressed: release it at least to every addressed nation"
            )));
        }
    }
    Ok(())
}

/// What an exercise must agree with beyond its own fields: this node's nation (the directing
/// nation) takes part, every participant is a member, and the marking releases the exercise to
/// each participant (`Policy::holders`). 422 otherwise, naming the field and the nation.
fn check_exercise(
    node: &Node,
    exercise: &liptako_model::Exercise,
    marking: &Marking,
) -> Result<(), AppError> {
    let home = node.nation();
    let policy = node.policy();
    exercise
        .check_directed_by(home)
        .map_err(|err| AppError::Unprocessable(err.to_string()))?;
    let holders = policy.holders(home, marking);
    for nation in &exercise.participating_nations {
        if !policy.confederation().is_member(*nation) {
            return Err(AppError::Unprocessable(format!(
                "participating_nations: {nation} is not a member of {}",
                policy.confederation().name()
            )));
        }
        if !holders.contains(nation) {
            return Err(AppError::Unprocessable(format!(
                "marking {marking} does not release the exercise to {nation}, which takes part: release it at least to every participating nation"
            )));
        }
    }
    Ok(())
}

/// Exercises are written by the directing nation's own users, never by a partner's liaison
/// officer on this node.
fn require_home(node: &Node, principal: &Principal) -> Result<(), AppError> {
    if principal.nation == node.nation() {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "exercises of {} are written by its own users",
            node.nation()
        )))
    }
}

/// An exercise's name is unique among this node's own exercises (`except`: the one being
/// changed). 409 otherwise.
async fn check_unique_exercise(
    node: &Arc<Node>,
    name: &str,
    except: Option<Uuid>,
) -> Result<(), AppError> {
    let home = node.nation();
    let name = name.to_owned();
    let mut query = Query::all(ObjectType::Exercise, 1);
    query.text = Some(name.clone());
    let page = node
        .with_store(move |store| {
            store.scan(&query, &mut |object| {
                object.meta.origin == home
                    && Some(object.meta.id) != except
                    && matches!(&object.body, Body::Exercise(other) if other.name == name)
            })
        })
        .await?;
    if let Some(other) = page.objects.first() {
        return Err(AppError::Conflict {
            message: format!(
                "name: this node already directs an exercise of that name ({})",
                other.meta.id
            ),
            current_version: None,
        });
    }
    Ok(())
}

/// Whether `principal` may create or change objects in the world `exercise`: an exercise this
/// node holds (`Some(status)`), not ended, in which the principal's nation takes part. 422 for
/// an unknown or ended exercise, 403 for a nation that takes no part.
pub async fn check_may_write_in(
    node: &Arc<Node>,
    principal: &Principal,
    exercise: &str,
) -> Result<(), AppError> {
    let name = exercise.to_owned();
    let mut query = Query::all(ObjectType::Exercise, 10);
    query.text = Some(name.clone());
    let page = node
        .with_store(move |store| {
            store.scan(
                &query,
                &mut |object| matches!(&object.body, Body::Exercise(held) if held.name == name),
            )
        })
        .await?;
    if page.objects.is_empty() {
        return Err(AppError::Unprocessable(format!(
            "exercise {exercise:?}: this node holds no exercise of that name; create it first (POST /api/v1/exercises)"
        )));
    }
    let mut takes_part = true;
    for object in &page.objects {
        let Body::Exercise(held) = &object.body else {
            continue;
        };
        if held.status == ExerciseStatus::Ended {
            return Err(AppError::Unprocessable(format!(
                "exercise {exercise:?} has ended: its world is read-only"
            )));
        }
        takes_part &= held.takes_part(principal.nation);
    }
    if !takes_part {
        return Err(AppError::Forbidden(format!(
            "exercise {exercise:?}: {} does not take part in it",
            principal.nation
        )));
    }
    Ok(())
}

fn build_query(
    object_type: ObjectType,
    params: &ListParams,
    now: OffsetDateTime,
) -> Result<Query, AppError> {
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::BadRequest(format!(
            "limit {limit}: must be 1 to {MAX_LIMIT}"
        )));
    }
    let mut query = Query::all(object_type, limit);
    if let Some(kind) = &params.kind {
        let known: Vec<&str> = match object_type {
            ObjectType::Report => ReportKind::ALL.iter().map(ReportKind::as_str).collect(),
            ObjectType::Zone => ZoneKind::ALL.iter().map(ZoneKind::as_str).collect(),
            ObjectType::Operation => OperationStatus::ALL
                .iter()
                .map(OperationStatus::as_str)
                .collect(),
            ObjectType::Asset => liptako_model::AssetCategory::ALL
                .iter()
                .map(liptako_model::AssetCategory::as_str)
                .collect(),
            ObjectType::SupportRequest => liptako_model::SupportPriority::ALL
                .iter()
                .map(liptako_model::SupportPriority::as_str)
                .collect(),
            ObjectType::Exercise => ExerciseStatus::ALL
                .iter()
                .map(ExerciseStatus::as_str)
                .collect(),
            ObjectType::Unit
            | ObjectType::PursuitNotice
            | ObjectType::Acknowledgement
            | ObjectType::SupportResponse => Vec::new(),
        };
        if !known.contains(&kind.as_str()) {
            return Err(AppError::BadRequest(format!(
                "kind {kind:?}: {}s have kinds {}",
                object_type.as_str(),
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            )));
        }
        query.kind = Some(kind.clone());
    }
    if let Some(bbox) = &params.bbox {
        query.bbox =
            Some(liptako_model::BBox::parse(bbox).map_err(|err| AppError::BadRequest(err.0))?);
    }
    if let Some(since) = &params.since {
        query.since = Some(parse_time("since", since)?);
    }
    if let Some(text) = &params.q {
        let text = text.trim();
        if text.chars().count() > 200 {
            return Err(AppError::BadRequest("q: at most 200 characters".into()));
        }
        if !text.is_empty() {
            query.text = Some(text.to_owned());
        }
    }
    query.exercise = checked_exercise(params.exercise.as_deref())?;
    if !params.include_expired.unwrap_or(false) {
        query.valid_at = Some(now);
    }
    Ok(query)
}

pub(crate) fn parse_time(name: &str, text: &str) -> Result<OffsetDateTime, AppError> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).map_err(|_| {
        AppError::BadRequest(format!(
            "{name} {text:?}: expected an RFC 3339 time such as 2026-11-24T08:00:00Z"
        ))
    })
}

pub(crate) fn checked_exercise(exercise: Option<&str>) -> Result<Option<String>, AppError> {
    exercise
        .map(|name| {
            check_exercise_name(name)
                .map(|()| name.to_owned())
                .map_err(|err| AppError::BadRequest(err.to_string()))
        })
        .transpose()
}

fn wants_geojson(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("application/geo+json"))
}

/// A GeoJSON Feature for an object: its geometry, and the whole object as properties.
pub fn feature(object: &Object) -> Value {
    serde_json::json!({
        "type": "Feature",
        "id": object.meta.id,
        "geometry": object.geometry(),
        "properties": object,
    })
}

/// `POST /api/v1/{collection}`
pub async fn create(
    Extension(object_type): Extension<ObjectType>,
    node: axum::extract::State<Arc<Node>>,
    caller: Caller,
    JsonBody(value): JsonBody<Value>,
) -> Result<Response, AppError> {
    let node = node.0;
    caller.require(Role::Editor)?;
    let (envelope, body) = parse_input(object_type, value)?;
    if envelope.version.is_some() || envelope.id.is_some() {
        return Err(AppError::BadRequest(
            "id and version are chosen by the node on creation; to change an object, PUT it".into(),
        ));
    }
    if let Some(origin) = envelope.origin
        && origin != node.nation()
    {
        return Err(AppError::BadRequest(format!(
            "origin {origin}: objects created here originate from {}",
            node.nation()
        )));
    }
    let marking = envelope
        .marking
        .ok_or_else(|| AppError::BadRequest("marking is required".into()))?;
    let marking = checked_marking(&node, &caller.0, &marking, None)?;
    check_with_policy(&node, &body, &marking)?;
    let exercise = checked_exercise(envelope.exercise.as_deref())?;
    if let Body::Exercise(new) = &body {
        require_home(&node, &caller.0)?;
        if exercise.is_some() {
            return Err(AppError::Unprocessable(
                "exercise: an exercise is a real-world object; leave `exercise` out".into(),
            ));
        }
        check_unique_exercise(&node, &new.name, None).await?;
    }
    if let Some(world) = &exercise {
        check_may_write_in(&node, &caller.0, world).await?;
    }
    let draft = Draft {
        id: Uuid::now_v7(),
        origin: node.nation(),
        expect: Expect::New,
        at: node.now(),
        marking,
        valid_until: envelope.valid_until,
        exercise,
        body: Some(body),
    };
    let object = write(&node, draft, &caller.0).await?;
    let location = format!("/api/v1/{}/{}", collection(object_type), object.meta.id);
    let mut response = (StatusCode::CREATED, object_response(&object)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// `GET /api/v1/{collection}/{id}`
pub async fn get(
    Extension(object_type): Extension<ObjectType>,
    node: axum::extract::State<Arc<Node>>,
    caller: Caller,
    Path(id): Path<String>,
    Params(params): Params<ReadParams>,
) -> Result<Response, AppError> {
    let node = node.0;
    let id = parse_id(&id)?;
    let exercise = checked_exercise(params.exercise.as_deref())?;
    let stored = visible(&node, &caller.0, object_type, id, exercise.as_deref()).await?;
    not_deleted(&stored.object)?;
    // The head of a workflow between nations answers with the state this node derives from the
    // linked objects it holds and the caller may see; an asset linked to a unit with the
    // unit's position if the caller may see it; an operation with the civilian-harm reports
    // linked to it, derived likewise.
    let follows_unit = matches!(&stored.object.body, Body::Asset(asset) if asset.unit.is_some());
    let harm = crate::workflow::civilian_harm(&node, &stored.object, &caller.0).await?;
    if liptako_model::Workflow::is_head(&stored.object) || follows_unit || harm.is_some() {
        let mut object = stored.object.as_ref().clone();
        follow_unit(&node, &caller.0, &mut object).await?;
        let mut value = with_workflow(&node, &caller.0, &object).await?;
        if let (Some(harm), Value::Object(fields)) = (harm, &mut value) {
            fields.insert("civilian_harm_reports".into(), serde_json::json!(harm));
        }
        let mut response = Json(value).into_response();
        if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", stored.object.meta.version)) {
            response.headers_mut().insert(header::ETAG, etag);
        }
        return Ok(response);
    }
    // The stored JSON is the API's representation: no serialisation on the read path.
    let mut response = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        axum::body::Body::from(axum::body::Bytes::from_owner(stored.payload.clone())),
    )
        .into_response();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", stored.object.meta.version)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    Ok(response)
}

/// `PUT /api/v1/{collection}/{id}`
pub async fn replace(
    Extension(object_type): Extension<ObjectType>,
    node: axum::extract::State<Arc<Node>>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(value): JsonBody<Value>,
) -> Result<Response, AppError> {
    let node = node.0;
    caller.require(Role::Editor)?;
    let id = parse_id(&id)?;
    let (envelope, body) = parse_input(object_type, value)?;
    if envelope.id.is_some_and(|body_id| body_id != id) {
        return Err(AppError::BadRequest(
            "id in the body differs from the path".into(),
        ));
    }
    let current = visible(
        &node,
        &caller.0,
        object_type,
        id,
        envelope.exercise.as_deref(),
    )
    .await?
    .object;
    not_deleted(&current)?;
    let version = precondition(&headers, envelope.version)?;
    if envelope
        .origin
        .is_some_and(|origin| origin != current.meta.origin)
    {
        return Err(AppError::BadRequest("origin cannot change".into()));
    }
    let mut release_audit = None;
    let marking = match envelope.marking {
        None => current.meta.marking.clone(),
        Some(marking) => {
            let previous = &current.meta.marking;
            let canonical = node
                .policy()
                .canonical(current.meta.origin, &marking)
                .map_err(|err| AppError::BadRequest(err.to_string()))?;
            // Authorship matters only to a widening; ask the store only then.
            let is_author = if node
                .policy()
                .widens(current.meta.origin, previous, &canonical)
            {
                let name = caller.0.name.clone();
                node.with_store(move |store| store.author(id))
                    .await?
                    .is_some_and(|author| author == name)
            } else {
                false
            };
            let marking = checked_marking(&node, &caller.0, &marking, Some((previous, is_author)))?;
            if node
                .policy()
                .widens(current.meta.origin, previous, &marking)
            {
                release_audit = Some(WriteOp::Audit(liptako_store::AuditEntry {
                    at: node.now(),
                    actor: caller.0.name.clone(),
                    action: "widen".into(),
                    object_id: Some(id),
                    version: None,
                    partner: None,
                    detail: format!("{previous} -> {marking}"),
                }));
            }
            marking
        }
    };
    check_with_policy(&node, &body, &marking)?;
    if let Body::Exercise(changed) = &body {
        require_home(&node, &caller.0)?;
        if matches!(&current.body, Body::Exercise(before) if before.name != changed.name) {
            return Err(AppError::Unprocessable(
                "name: an exercise's name is its world's name and cannot change".into(),
            ));
        }
        check_unique_exercise(&node, &changed.name, Some(id)).await?;
    }
    if let Some(world) = &current.meta.exercise {
        check_may_write_in(&node, &caller.0, world).await?;
    }
    if let (Body::SupportRequest(before), Body::SupportRequest(after)) = (&current.body, &body)
        && before.cancelled.is_some()
        && after.cancelled.is_none()
    {
        return Err(AppError::Conflict {
            message: "the request was cancelled; a cancellation is final (make a new request)"
                .into(),
            current_version: Some(current.meta.version),
        });
    }
    let draft = Draft {
        id,
        origin: node.nation(),
        expect: Expect::Version(version),
        at: node.now(),
        marking,
        valid_until: envelope.valid_until,
        exercise: current.meta.exercise.clone(),
        body: Some(body),
    };
    let object = write_with(&node, draft, &caller.0, release_audit).await?;
    Ok(object_response(&object))
}

/// `DELETE /api/v1/{collection}/{id}`
pub async fn delete(
    Extension(object_type): Extension<ObjectType>,
    node: axum::extract::State<Arc<Node>>,
    caller: Caller,
    Path(id): Path<String>,
    Params(params): Params<ItemParams>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let node = node.0;
    caller.require(Role::Editor)?;
    if !object_type.client_writable() {
        return Err(read_only(object_type));
    }
    let id = parse_id(&id)?;
    let exercise = checked_exercise(params.exercise.as_deref())?;
    let current = visible(&node, &caller.0, object_type, id, exercise.as_deref())
        .await?
        .object;
    not_deleted(&current)?;
    let version = precondition(&headers, params.version)?;
    let draft = Draft {
        id,
        origin: node.nation(),
        expect: Expect::Version(version),
        at: node.now(),
        marking: current.meta.marking.clone(),
        valid_until: current.meta.valid_until,
        exercise: current.meta.exercise.clone(),
        body: None,
    };
    let tombstone = write(&node, draft, &caller.0).await?;
    Ok(object_response(&tombstone))
}

/// The object if it exists, is of `object_type`, is in the requested world and the caller may
/// see it; otherwise 404, whatever the reason, so nothing leaks.
pub(crate) async fn visible(
    node: &Arc<Node>,
    principal: &Principal,
    object_type: ObjectType,
    id: Uuid,
    exercise: Option<&str>,
) -> Result<Stored, AppError> {
    match node.get_object(id).await? {
        Some(stored)
            if stored.object.object_type() == object_type
                && node.policy().allows(
                    Audience::reader(principal, exercise),
                    stored.object.as_ref(),
                ) =>
        {
            Ok(stored)
        }
        _ => Err(AppError::NotFound),
    }
}

/// A deleted object answers 410 Gone to whoever may see it.
fn not_deleted(object: &Object) -> Result<(), AppError> {
    if object.meta.deleted {
        return Err(AppError::Gone(format!(
            "deleted at version {}",
            object.meta.version
        )));
    }
    Ok(())
}

/// The one marking input, for an object this node originates; `previous` is the current
/// marking and whether the caller is the object's author, on a change.
fn checked_marking(
    node: &Node,
    principal: &Principal,
    marking: &Marking,
    previous: Option<(&Marking, bool)>,
) -> Result<Marking, AppError> {
    node.policy()
        .marking_input(principal, node.nation(), marking, previous)
        .map_err(|err| match err {
            MarkingError::UnknownLevel { .. } | MarkingError::UnknownReleasability { .. } => {
                AppError::BadRequest(err.to_string())
            }
            MarkingError::AboveClearance { .. }
            | MarkingError::LiaisonMustKeep { .. }
            | MarkingError::ReleaseNotAllowed { .. } => AppError::Forbidden(err.to_string()),
        })
}

/// The version a change is made against: `If-Match: "3"` (or `3`), else the body's `version`.
fn precondition(headers: &HeaderMap, from_body: Option<u64>) -> Result<u64, AppError> {
    let from_header = headers
        .get(header::IF_MATCH)
        .map(|value| {
            value
                .to_str()
                .ok()
                .map(|text| text.trim().trim_start_matches("W/").trim_matches('"'))
                .and_then(|text| text.parse::<u64>().ok())
                .ok_or_else(|| {
                    AppError::BadRequest("If-Match must be the version, e.g. \"3\"".into())
                })
        })
        .transpose()?;
    match (from_header, from_body) {
        (Some(header), Some(body)) if header != body => Err(AppError::BadRequest(
            "If-Match and version in the body differ".into(),
        )),
        (Some(version), _) | (None, Some(version)) => Ok(version),
        (None, None) => Err(AppError::PreconditionRequired(
            "a change needs the version it is made against: send `version` or If-Match".into(),
        )),
    }
}

pub(crate) fn parse_id(text: &str) -> Result<Uuid, AppError> {
    // A malformed id cannot name an object: answer like any unknown id.
    Uuid::parse_str(text).map_err(|_| AppError::NotFound)
}

/// Writes one draft and maps its outcome to the API's answers.
pub async fn write(
    node: &Arc<Node>,
    draft: Draft,
    principal: &Principal,
) -> Result<Arc<Object>, AppError> {
    write_with(node, draft, principal, None).await
}

/// Writes one draft and, in the same transaction, an audit record of the act (a release).
async fn write_with(
    node: &Arc<Node>,
    draft: Draft,
    principal: &Principal,
    audit: Option<WriteOp>,
) -> Result<Arc<Object>, AppError> {
    let actor = principal.name.clone();
    let mut ops = vec![WriteOp::Local { draft, actor }];
    ops.extend(audit);
    let mut outcomes = node.write(ops).await?;
    outcomes.truncate(1);
    match outcomes.pop() {
        Some(WriteOutcome::Committed(committed)) => Ok(committed.object),
        Some(WriteOutcome::Conflict(conflict)) => Err(conflict_error(conflict)),
        Some(
            WriteOutcome::Done
            | WriteOutcome::Skipped
            | WriteOutcome::Recalled(_)
            | WriteOutcome::User(_),
        )
        | None => Err(AppError::internal(
            "a local write had no version as outcome",
        )),
    }
}

fn conflict_error(conflict: WriteConflict) -> AppError {
    match conflict {
        WriteConflict::Stale { current, .. } => AppError::Conflict {
            message: conflict.to_string(),
            current_version: Some(current),
        },
        WriteConflict::NotFound(_) => AppError::NotFound,
        WriteConflict::NotOrigin { .. } => AppError::Forbidden(conflict.to_string()),
        WriteConflict::Exists(_) | WriteConflict::Immutable(_) => AppError::Conflict {
            message: conflict.to_string(),
            current_version: None,
        },
    }
}

/// An object as a response, with its version as the ETag.
fn object_response(object: &Object) -> Response {
    let mut response = Json(object).into_response();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", object.meta.version)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}
