//! Replay: the picture this node held at a past time, as the caller may see it
//! (`GET /api/v1/replay/picture?at=T`), and what changed between two times, in order, for
//! playback at any speed (`GET /api/v1/replay/changes?from=T1&to=T2`), for after-action review
//! and exercise evaluation.
//!
//! What is shown at `T`:
//! - per object (reports, units, zones, operations, pursuit notices, acknowledgements) of the
//!   world asked for, the newest version this node
//!   had **taken** by `T` (its own clock of arrival: a partner's version counts from when it
//!   arrived here, so a partner's node only ever replays what was released to it, when it was);
//!   deletions by `T` are gone, and a version a recall has dropped since is never shown again;
//! - each version passes the one decision for the caller (`Policy::allows`), **and** so must
//!   every later version of its object this node holds: what was withdrawn from the caller
//!   since (narrowed, raised above its clearance) is not replayed to it, as the version history
//!   and federation leave it out (SECURITY.md, finding 1);
//! - air tracks (real world only): the last recorded state of each track in the
//!   [`AIR_WINDOW`] before `T`, from the thinned air history, each passing the one decision.
//!
//! At most [`MAX_PER_TYPE`] objects of each type and [`MAX_AIR_TRACKS`] tracks; past that the
//! answer says `truncated`.
//!
//! The changes are the live feed's messages as the caller would get them from playing the
//! picture forward (`upsert`, `remove`, `delete`), decided by `Policy::transition` over the same
//! visibility (a version counts as seen only if it and every later version may be seen), paged
//! by a sealed cursor: applied in order to the picture at `from`, they give the picture at `to`.

pub mod aar;

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use liptako_model::{
    Audience, Meta, Object, ObjectType, Policy, Principal, Transition, check_exercise_name,
};
use liptako_store::{Store, StoreError, Taken};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::http::error::AppError;
use crate::http::extract::{Caller, Params};
use crate::state::Node;

/// Most objects of one type in one answer.
pub const MAX_PER_TYPE: usize = 10_000;
/// Most air tracks in one answer.
pub const MAX_AIR_TRACKS: usize = 5_000;
/// How far back from `T` a track's last recorded state still counts as on the picture.
pub const AIR_WINDOW: time::Duration = time::Duration::seconds(30);
/// Air-history rows read at most for one picture.
const MAX_AIR_ROWS: usize = 200_000;

/// The replay's routes.
pub fn routes() -> Router<Arc<Node>> {
    Router::new()
        .route("/api/v1/replay/picture", get(picture))
        .route("/api/v1/replay/changes", get(changes))
        .merge(aar::routes())
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(picture, changes),
    components(schemas(ReplayPicture, ReplayChanges, ReplayChange)),
    tags((name = "replay", description = "The picture as it was"))
)]
struct ReplayDoc;

/// The replay's part of the OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = <ReplayDoc as utoipa::OpenApi>::openapi();
    document.merge(aar::document());
    document
}

/// Query parameters of a replayed picture.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PictureParams {
    /// The time (RFC 3339).
    pub at: String,
    /// The exercise whose world to replay (absent: the real world).
    pub exercise: Option<String>,
}

/// The picture at a past time.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReplayPicture {
    /// The time asked for.
    #[schema(value_type = String, format = DateTime)]
    pub at: String,
    /// The world replayed (absent: the real world).
    pub exercise: Option<String>,
    /// Reports as they were.
    #[schema(value_type = Vec<Object>)]
    pub reports: Vec<Object>,
    /// Units as they were.
    #[schema(value_type = Vec<Object>)]
    pub units: Vec<Object>,
    /// Zones as they were.
    #[schema(value_type = Vec<Object>)]
    pub zones: Vec<Object>,
    /// Operations as they were.
    #[schema(value_type = Vec<Object>)]
    pub operations: Vec<Object>,
    /// Pursuit notices as they were.
    #[schema(value_type = Vec<Object>)]
    pub pursuit_notices: Vec<Object>,
    /// Acknowledgements as they were.
    #[schema(value_type = Vec<Object>)]
    pub acknowledgements: Vec<Object>,
    /// Air tracks as last recorded before the time (the API's track JSON).
    #[schema(value_type = Vec<Object>)]
    pub air_tracks: Vec<serde_json::Value>,
    /// Whether a type had more than the answer holds.
    pub truncated: bool,
}

/// `GET /api/v1/replay/picture`
#[utoipa::path(get, path = "/api/v1/replay/picture", tag = "replay",
    params(PictureParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The picture at `at`, as the caller may see it", body = ReplayPicture),
        (status = 400, description = "Bad time or exercise name"),
        (status = 401, description = "No valid token")))]
pub async fn picture(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Params(params): Params<PictureParams>,
) -> Result<Json<ReplayPicture>, AppError> {
    let at = OffsetDateTime::parse(&params.at, &Rfc3339)
        .map_err(|err| AppError::BadRequest(format!("at: an RFC 3339 time is needed: {err}")))?;
    if let Some(name) = &params.exercise {
        check_exercise_name(name).map_err(|err| AppError::BadRequest(err.to_string()))?;
    }
    let principal = caller.0;
    let policy_node = node.clone();
    let picture = node
        .with_store(move |store| replay(store, policy_node.policy(), &principal, params, at))
        .await?;
    Ok(Json(picture))
}

/// The picture at `at` (as parsed from `params.at`) for `principal` in the world `params`
/// names. Blocking (store reads). Public for the replay benchmark (`benches/replay.rs`).
pub fn replay(
    store: &dyn Store,
    policy: &Policy,
    principal: &Principal,
    params: PictureParams,
    at: OffsetDateTime,
) -> Result<ReplayPicture, StoreError> {
    let world = params.exercise.as_deref();
    let reader = Audience::reader(principal, world);
    let mut truncated = false;
    let mut objects = |object_type: ObjectType| -> Result<Vec<Object>, StoreError> {
        let (kept, more) = objects_at(store, policy, reader, world, object_type, at)?;
        truncated |= more;
        Ok(kept)
    };
    let reports = objects(ObjectType::Report)?;
    let units = objects(ObjectType::Unit)?;
    let zones = objects(ObjectType::Zone)?;
    let operations = objects(ObjectType::Operation)?;
    let pursuit_notices = objects(ObjectType::PursuitNotice)?;
    let acknowledgements = objects(ObjectType::Acknowledgement)?;
    let air_tracks = if world.is_none() {
        let (tracks, more) = air_at(store, policy, principal, at)?;
        truncated |= more;
        tracks
    } else {
        Vec::new()
    };
    Ok(ReplayPicture {
        at: at.format(&Rfc3339).unwrap_or_else(|_| params.at.clone()),
        exercise: params.exercise.clone(),
        reports,
        units,
        zones,
        operations,
        pursuit_notices,
        acknowledgements,
        air_tracks,
        truncated,
    })
}

/// The objects of `object_type` in `world` as this node held them at `at` that `reader` may see
/// (each version, and every later version of its object, passes `Policy::allows`), at most
/// [`MAX_PER_TYPE`], and whether there were more. Blocking (store reads).
pub fn objects_at(
    store: &dyn Store,
    policy: &Policy,
    reader: Audience<'_>,
    world: Option<&str>,
    object_type: ObjectType,
    at: OffsetDateTime,
) -> Result<(Vec<Object>, bool), StoreError> {
    let page = store.held_at(at, object_type, world, None, MAX_PER_TYPE, &mut |object| {
        policy.allows(reader, object)
    })?;
    let more = page.next_cursor.is_some();
    // Not what was withdrawn from the caller since.
    let mut kept = Vec::with_capacity(page.objects.len());
    for object in page.objects {
        let later = store.envelope_changes_after(object.meta.id, object.meta.version)?;
        if later.iter().all(|meta| policy.allows(reader, meta)) {
            kept.push(object);
        }
    }
    Ok((kept, more))
}

/// The last recorded state of each air track in the window before `at`, if the caller may see
/// it (the latest state decides, as everywhere: an older state of a track whose marking was
/// narrowed since is not shown).
fn air_at(
    store: &dyn Store,
    policy: &Policy,
    principal: &Principal,
    at: OffsetDateTime,
) -> Result<(Vec<serde_json::Value>, bool), StoreError> {
    let reader = Audience::reader(principal, None);
    let rows = store.air_latest(
        at - AIR_WINDOW,
        // The end is exclusive: include states recorded at `at` itself.
        at + time::Duration::microseconds(1),
        MAX_AIR_ROWS,
    )?;
    let more = rows.len() >= MAX_AIR_ROWS;
    let mut tracks: Vec<serde_json::Value> = rows
        .into_iter()
        .filter(|row| policy.allows(reader, row))
        .filter_map(|row| serde_json::from_str(&row.payload).ok())
        .take(MAX_AIR_TRACKS + 1)
        .collect();
    let more = more || tracks.len() > MAX_AIR_TRACKS;
    tracks.truncate(MAX_AIR_TRACKS);
    Ok((tracks, more))
}

/// Most changes in one page.
pub const MAX_CHANGES: usize = 1000;
/// Changes in a page when the caller names no limit.
pub const DEFAULT_CHANGES: usize = 200;

/// Query parameters of the changes between two times.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesParams {
    /// After this time (RFC 3339).
    pub from: String,
    /// Up to and including this time (RFC 3339).
    pub to: String,
    /// The exercise whose world to replay (absent: the real world).
    pub exercise: Option<String>,
    /// At most this many changes (1 to 1000, default 200).
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page, unchanged.
    pub cursor: Option<String>,
}

/// One change, as the live feed would have told it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReplayChange {
    /// When this node took it.
    #[schema(value_type = String, format = DateTime)]
    pub at: String,
    /// `upsert` (show this version), `remove` (no longer yours to see) or `delete`.
    pub op: &'static str,
    /// The object's id.
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
    /// The version shown (`upsert` only).
    #[schema(value_type = Option<Object>)]
    pub object: Option<Object>,
}

/// A page of changes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReplayChanges {
    /// The changes, in order.
    pub changes: Vec<ReplayChange>,
    /// Where the next page starts, if more may follow (sealed: pass it back unchanged).
    pub next_cursor: Option<String>,
}

/// `GET /api/v1/replay/changes`
#[utoipa::path(get, path = "/api/v1/replay/changes", tag = "replay",
    params(ChangesParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What changed for the caller, in order", body = ReplayChanges),
        (status = 400, description = "Bad time, limit, cursor or exercise name"),
        (status = 401, description = "No valid token")))]
pub async fn changes(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Params(params): Params<ChangesParams>,
) -> Result<Json<ReplayChanges>, AppError> {
    let time = |name: &str, value: &str| {
        OffsetDateTime::parse(value, &Rfc3339).map_err(|err| {
            AppError::BadRequest(format!("{name}: an RFC 3339 time is needed: {err}"))
        })
    };
    let (from, to) = (time("from", &params.from)?, time("to", &params.to)?);
    if let Some(name) = &params.exercise {
        check_exercise_name(name).map_err(|err| AppError::BadRequest(err.to_string()))?;
    }
    let limit = params.limit.unwrap_or(DEFAULT_CHANGES);
    if !(1..=MAX_CHANGES).contains(&limit) {
        return Err(AppError::BadRequest(format!(
            "limit {limit}: must be 1 to {MAX_CHANGES}"
        )));
    }
    let after = match &params.cursor {
        None => None,
        Some(cursor) => Some(node.auth().open_cursor(cursor).ok_or_else(|| {
            AppError::BadRequest(
                "cursor: pass back the next_cursor of a previous page, unchanged".into(),
            )
        })?),
    };
    let principal = caller.0;
    let policy_node = node.clone();
    let world = params.exercise.clone();
    let (changes, next) = node
        .with_store(move |store| {
            let taken = store.taken_between(from, to, world.as_deref(), after, limit)?;
            let next = (taken.len() >= limit)
                .then(|| taken.last().map(|version| version.position))
                .flatten();
            let reader = Audience::reader(&principal, world.as_deref());
            let mut changes = Vec::new();
            for version in taken {
                if let Some(told) = told(store, policy_node.policy(), reader, version)? {
                    changes.push(ReplayChange::from(told));
                }
            }
            Ok((changes, next))
        })
        .await?;
    Ok(Json(ReplayChanges {
        changes,
        next_cursor: next.map(|position| node.auth().seal_cursor(position)),
    }))
}

/// One change as a reader is told it (typed: the after-action report reads these).
#[derive(Debug, Clone)]
pub struct Told {
    /// When this node took it.
    pub at: OffsetDateTime,
    /// Show, hide or delete.
    pub transition: Transition,
    /// The object's id.
    pub id: uuid::Uuid,
    /// The version shown (`Show` only).
    pub object: Option<Object>,
}

impl From<Told> for ReplayChange {
    fn from(told: Told) -> ReplayChange {
        let at = told
            .at
            .format(&Rfc3339)
            .unwrap_or_else(|_| told.at.to_string());
        let op = match told.transition {
            Transition::Show => "upsert",
            Transition::Hide => "remove",
            Transition::Delete => "delete",
        };
        ReplayChange {
            at,
            op,
            id: told.id,
            object: told.object,
        }
    }
}

/// The changes `reader` is told of the versions this node took after `from` and up to `to` in
/// `world`, after position `after`, from at most `limit` versions taken, in order; and the
/// position to continue from when `limit` versions were read. Blocking (store reads).
pub fn told_between(
    store: &dyn Store,
    policy: &Policy,
    reader: Audience<'_>,
    world: Option<&str>,
    (from, to): (OffsetDateTime, OffsetDateTime),
    after: Option<u64>,
    limit: usize,
) -> Result<(Vec<Told>, Option<u64>), StoreError> {
    let taken = store.taken_between(from, to, world, after, limit)?;
    let next = (taken.len() >= limit)
        .then(|| taken.last().map(|version| version.position))
        .flatten();
    let mut changes = Vec::new();
    for version in taken {
        if let Some(change) = told(store, policy, reader, version)? {
            changes.push(change);
        }
    }
    Ok((changes, next))
}

/// What the reader is told of one version taken: the live feed's transition, over versions
/// that the reader may see and that were not withdrawn from it later.
fn told(
    store: &dyn Store,
    policy: &Policy,
    reader: Audience<'_>,
    version: Taken,
) -> Result<Option<Told>, StoreError> {
    let object = version.object;
    let later_allowed = store
        .envelope_changes_after(object.meta.id, object.meta.version)?
        .iter()
        .all(|meta| policy.allows(reader, meta));
    let current_seen = later_allowed && policy.allows(reader, &object);
    let previous: Option<&Meta> = version
        .previous
        .as_ref()
        .filter(|previous| current_seen && policy.allows(reader, *previous));
    let current = current_seen.then_some(&object);
    let transition = policy.transition(reader, previous, current);
    let id = object.meta.id;
    Ok(transition.map(|transition| Told {
        at: version.at,
        transition,
        id,
        object: (transition == Transition::Show).then_some(object),
    }))
}
