//! `GET /api/v1/air/tracks` (the latest picture, JSON or GeoJSON) and
//! `GET /api/v1/air/tracks/{uid}` (one track).
//!
//! The picture is marked as a whole (`[air] track_marking`): a caller who may not see it gets
//! what a node without an air picture answers, an empty picture, and 404 for any one track.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use liptako_model::{Audience, BBox, Marking, Nation};
use serde::Deserialize;
use serde_json::Value;

use crate::http::error::AppError;
use crate::http::extract::{Caller, Params};
use crate::picture::{Identity, TrackView};
use crate::state::Node;

/// The air picture's routes.
pub fn routes() -> axum::Router<Arc<Node>> {
    axum::Router::new()
        .route("/api/v1/air/tracks", axum::routing::get(tracks))
        .route("/api/v1/air/tracks/{uid}", axum::routing::get(track))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(tracks, track),
    components(schemas(AirPictureDoc, TrackView, Identity)),
    tags((name = "air", description = "The air picture"))
)]
struct AirDoc;

/// The air picture's part of the OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    <AirDoc as utoipa::OpenApi>::openapi()
}

/// Query parameters of the picture.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrackParams {
    /// Only tracks in this box: `west,south,east,north` in degrees.
    pub bbox: Option<String>,
}

/// The picture as `GET /api/v1/air/tracks` answers it (documentation of the JSON).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AirPictureDoc {
    /// The picture's time; absent before the first picture or for a caller who may not see it.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub time: Option<String>,
    /// The node that made it.
    #[schema(value_type = String, example = "MLI")]
    pub origin: Nation,
    /// Who may see it; absent for a caller who may not.
    pub marking: Option<Marking>,
    /// The tracks, by track number.
    pub tracks: Vec<TrackView>,
}

fn hidden(node: &Node) -> Value {
    serde_json::json!({ "time": null, "origin": node.nation(), "tracks": [] })
}

fn audience(caller: &Caller) -> Audience<'_> {
    Audience::reader(&caller.0, None)
}

fn wants_geojson(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("application/geo+json"))
}

fn inside(bbox: &BBox, track: &TrackView) -> bool {
    let (lat, lon) = (track.position.lat, track.position.lon);
    let lon_ok = if bbox.west <= bbox.east {
        (bbox.west..=bbox.east).contains(&lon)
    } else {
        // A box across the antimeridian.
        lon >= bbox.west || lon <= bbox.east
    };
    lon_ok && (bbox.south..=bbox.north).contains(&lat)
}

/// `GET /api/v1/air/tracks`
#[utoipa::path(get, path = "/api/v1/air/tracks", tag = "air",
    params(TrackParams),
    responses(
        (status = 200, description = "The latest air picture the caller may see (or a GeoJSON \
            FeatureCollection of points with Accept: application/geo+json)", body = AirPictureDoc),
        (status = 400, description = "Bad parameter", body = crate::http::error::ErrorBody),
        (status = 401, description = "No valid token", body = crate::http::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn tracks(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Params(params): Params<TrackParams>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let bbox = params
        .bbox
        .as_deref()
        .map(|text| BBox::parse(text).map_err(|err| AppError::BadRequest(err.0)))
        .transpose()?;
    let picture = node.bus().air().picture();
    let shown = picture.tracks_for(node.policy(), audience(&caller));
    if wants_geojson(&headers) {
        let features: Vec<Value> = shown
            .iter()
            .filter(|track| bbox.as_ref().is_none_or(|b| inside(b, track)))
            .map(|track| {
                serde_json::json!({
                    "type": "Feature",
                    "id": track.uid,
                    "geometry": {
                        "type": "Point",
                        "coordinates": [track.position.lon, track.position.lat],
                    },
                    "properties": track,
                })
            })
            .collect();
        let mut response = Json(serde_json::json!({
            "type": "FeatureCollection",
            "features": features,
        }))
        .into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/geo+json"),
        );
        return Ok(response);
    }
    if let Some(bbox) = bbox {
        let tracks: Vec<&TrackView> = shown
            .into_iter()
            .filter(|track| inside(&bbox, track))
            .collect();
        if tracks.is_empty() && !picture.sees_default(node.policy(), audience(&caller)) {
            return Ok(Json(hidden(&node)).into_response());
        }
        return Ok(Json(serde_json::json!({
            "time": picture.time.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
            "origin": picture.origin,
            "marking": picture.marking_of(node.policy(), &tracks),
            "tracks": tracks,
        }))
        .into_response());
    }
    // The picture as the caller may see it: serialised once per picture for every caller who
    // may see all of it.
    let Some(json) = picture.json_for(node.policy(), audience(&caller)) else {
        return Ok(Json(hidden(&node)).into_response());
    };
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        axum::body::Body::from(axum::body::Bytes::from_owner(json)),
    )
        .into_response())
}

/// `GET /api/v1/air/tracks/{uid}`
#[utoipa::path(get, path = "/api/v1/air/tracks/{uid}", tag = "air",
    params(("uid" = String, Path, description = "The track's uid")),
    responses(
        (status = 200, description = "The track in the latest picture", body = TrackView),
        (status = 404, description = "No such track now, or not visible to the caller", body = crate::http::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn track(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Path(uid): Path<String>,
) -> Result<Response, AppError> {
    let picture = node.bus().air().picture();
    let track = picture
        .tracks
        .iter()
        .find(|track| track.uid == uid)
        .filter(|track| picture.shows(node.policy(), audience(&caller), track))
        .ok_or(AppError::NotFound)?;
    Ok(Json(track).into_response())
}
