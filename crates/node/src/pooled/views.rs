//! Read-only views over pooled means, derived from the objects the caller may see:
//!
//! - `GET /api/v1/assets/availability?from&to&category`: per asset the caller may see
//!   (`Policy::allows`), its booked windows within `[from, to]` (the approvals and taskings of
//!   its nation for open requests) and its free windows. A booking is shown with its request
//!   (id, requesting nation, answer) only when the caller may see both the request and the
//!   answer; otherwise the window is shown as booked and nothing more (the asset's busy time is
//!   released with the asset; who asked, and why, only with the request). Bounded: at most
//!   [`MAX_SPAN`] between `from` and `to`, at most [`MAX_ASSETS`] assets (`truncated` says so).
//! - `GET /api/v1/assets/figures`: per nation, the support requests it made, how many of them
//!   were decided (approved or declined by an addressed nation), the decisions it took, and the
//!   median time from a request to its decision by that nation, counting only the requests and
//!   answers the caller may see.
//!
//! Both read the real world, or an exercise's (`exercise=`).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use liptako_model::{
    AssetCategory, AssetStatus, Audience, Body, Nation, Object, ObjectType, Principal,
    SupportDecision, SupportState, Workflow, check_exercise_name,
};
use liptako_store::Query;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::http::error::AppError;
use crate::http::extract::{Caller, Params};
use crate::state::Node;

/// Longest span one availability view covers.
pub const MAX_SPAN: Duration = Duration::days(31);
/// Span shown when `to` is absent.
pub const DEFAULT_SPAN: Duration = Duration::days(7);
/// Most assets one availability view lists.
pub const MAX_ASSETS: usize = 500;
/// Objects read per page.
const PAGE: usize = 500;

/// Query parameters of the availability view.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AvailabilityParams {
    /// Start of the view (RFC 3339; default: now).
    pub from: Option<String>,
    /// End of the view (RFC 3339; default: `from` + 7 days; at most 31 days after `from`).
    pub to: Option<String>,
    /// Only assets of this category (`helicopter`, `medevac`, ...).
    pub category: Option<AssetCategory>,
    /// The exercise whose world is shown (absent: the real world).
    #[param(min_length = 1, max_length = 64)]
    pub exercise: Option<String>,
}

/// Query parameters of the figures.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FiguresParams {
    /// The exercise whose world is counted (absent: the real world).
    #[param(min_length = 1, max_length = 64)]
    pub exercise: Option<String>,
}

/// A time window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Span {
    /// Start.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub start: OffsetDateTime,
    /// End.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub end: OffsetDateTime,
}

/// A window an asset is committed for.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Booking {
    /// Start (clipped to the view).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub start: OffsetDateTime,
    /// End (clipped to the view).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub end: OffsetDateTime,
    /// The support request it is committed to: only when the caller may see that request and
    /// the answer that commits the asset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<Uuid>,
    /// The requesting nation (with `request` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub requester: Option<Nation>,
    /// `approved` or `tasked` (with `request` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<SupportDecision>,
}

/// One asset's row of the availability view.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssetAvailability {
    /// The asset.
    pub id: Uuid,
    /// Its name or callsign.
    pub name: String,
    /// Its category.
    pub category: AssetCategory,
    /// Its contributing nation.
    #[schema(value_type = String)]
    pub origin: Nation,
    /// Its status.
    pub status: AssetStatus,
    /// When it is committed, within the view.
    pub booked: Vec<Booking>,
    /// When it can be asked for, within the view: its availability windows (the whole view
    /// when it lists none; nothing while in maintenance or unavailable) less its bookings.
    pub free: Vec<Span>,
}

/// `GET /api/v1/assets/availability`'s answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AvailabilityView {
    /// Start of the view.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub from: OffsetDateTime,
    /// End of the view.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub to: OffsetDateTime,
    /// The assets, by category then name.
    pub assets: Vec<AssetAvailability>,
    /// More assets matched than one view lists (500): narrow by category.
    pub truncated: bool,
}

/// One nation's figures.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct NationFigures {
    /// Support requests this nation made.
    pub requests_made: u64,
    /// Of those, how many an addressed nation approved or declined.
    pub requests_answered: u64,
    /// Decisions (approve or decline) this nation took on partners' requests.
    pub decisions: u64,
    /// Median time from a request to this nation's decision on it, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_time_to_decision_s: Option<i64>,
}

/// `GET /api/v1/assets/figures`'s answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Figures {
    /// Per nation (the nations that made a request or took a decision the caller may see).
    #[schema(value_type = BTreeMap<String, NationFigures>)]
    pub nations: BTreeMap<Nation, NationFigures>,
}

fn parse_time(field: &str, text: Option<&str>) -> Result<Option<OffsetDateTime>, AppError> {
    text.map(|text| {
        OffsetDateTime::parse(text, &Rfc3339)
            .map_err(|err| AppError::BadRequest(format!("{field}: not an RFC 3339 time: {err}")))
    })
    .transpose()
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

/// Every latest, undeleted object of `object_type` in `world` that `principal` may see (when
/// given) and `keep` accepts, up to `limit` (and whether more matched).
async fn visible(
    node: &Arc<Node>,
    object_type: ObjectType,
    world: Option<String>,
    kind: Option<String>,
    principal: Option<&Principal>,
    limit: usize,
    keep: Arc<dyn Fn(&Object) -> bool + Send + Sync>,
) -> Result<(Vec<Object>, bool), AppError> {
    let mut objects = Vec::new();
    let mut cursor = None;
    loop {
        let mut query = Query::all(object_type, PAGE);
        query.exercise = world.clone();
        query.kind = kind.clone();
        query.cursor = cursor;
        let policy_node = node.clone();
        let reader = principal.cloned();
        let keep = keep.clone();
        let page = node
            .with_store(move |store| {
                let policy = policy_node.policy();
                store.scan(&query, &mut |object| {
                    !object.meta.deleted
                        && keep(object)
                        && reader.as_ref().is_none_or(|principal| {
                            policy.allows(
                                Audience::reader(principal, object.meta.exercise.as_deref()),
                                object,
                            )
                        })
                })
            })
            .await?;
        objects.extend(page.objects);
        if objects.len() > limit {
            objects.truncate(limit);
            return Ok((objects, true));
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok((objects, false)),
        }
    }
}

/// `GET /api/v1/assets/availability`
#[utoipa::path(get, path = "/api/v1/assets/availability", tag = "pooled",
    params(AvailabilityParams),
    responses(
        (status = 200, body = AvailabilityView, description = "Per asset the caller may see, \
            its booked and free windows within [from, to]"),
        (status = 400, description = "Bad parameter, `to` not after `from`, or a span over 31 days",
            body = crate::http::error::ErrorBody),
        (status = 401, description = "No valid token", body = crate::http::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn availability(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Params(params): Params<AvailabilityParams>,
) -> Result<Json<AvailabilityView>, AppError> {
    let principal = caller.0;
    let world = checked_exercise(params.exercise)?;
    let from = parse_time("from", params.from.as_deref())?.unwrap_or_else(|| node.now());
    let to = parse_time("to", params.to.as_deref())?.unwrap_or(from + DEFAULT_SPAN);
    if to <= from {
        return Err(AppError::BadRequest("to: must be after from".into()));
    }
    if to - from > MAX_SPAN {
        return Err(AppError::BadRequest(
            "to: a view spans at most 31 days".into(),
        ));
    }
    let (mut assets, truncated) = visible(
        &node,
        ObjectType::Asset,
        world.clone(),
        params.category.map(|category| category.as_str().to_owned()),
        Some(&principal),
        MAX_ASSETS,
        Arc::new(move |object| {
            matches!(&object.body, Body::Asset(asset)
                if params.category.is_none_or(|category| asset.category == category))
        }),
    )
    .await?;
    assets.sort_by(|a, b| match (&a.body, &b.body) {
        (Body::Asset(x), Body::Asset(y)) => x
            .category
            .as_str()
            .cmp(y.category.as_str())
            .then_with(|| x.name.cmp(&y.name)),
        _ => std::cmp::Ordering::Equal,
    });
    let wanted: Arc<Vec<(Uuid, Nation)>> = Arc::new(
        assets
            .iter()
            .map(|asset| (asset.meta.id, asset.meta.origin))
            .collect(),
    );
    // Every commitment of these assets this node holds, whoever may see it: each is checked
    // below, and shown with its request only to a caller who may see both.
    let keep_wanted = wanted.clone();
    let (answers, _) = visible(
        &node,
        ObjectType::SupportResponse,
        world,
        None,
        None,
        usize::MAX,
        Arc::new(move |object| {
            matches!(&object.body, Body::SupportResponse(response)
                if matches!(response.decision, SupportDecision::Approved | SupportDecision::Tasked)
                    && response.assets.iter().any(|asset| keep_wanted.contains(&(*asset, object.meta.origin))))
        }),
    )
    .await?;
    let mut bookings: BTreeMap<Uuid, Vec<Booking>> = BTreeMap::new();
    let mut requests: BTreeMap<Uuid, Option<Arc<Object>>> = BTreeMap::new();
    for answer in &answers {
        let Body::SupportResponse(response) = &answer.body else {
            continue;
        };
        let request = match requests.get(&response.refers_to) {
            Some(known) => known.clone(),
            None => {
                let open = open_request(&node, response.refers_to).await?;
                requests.insert(response.refers_to, open.clone());
                open
            }
        };
        let Some(request) = request else {
            continue;
        };
        let Body::SupportRequest(request_body) = &request.body else {
            continue;
        };
        let start = response.start.unwrap_or(request_body.start).max(from);
        let end = response.end.unwrap_or(request_body.end).min(to);
        if end <= start {
            continue;
        }
        let policy = node.policy();
        let shown = policy.allows(
            Audience::reader(&principal, request.meta.exercise.as_deref()),
            request.as_ref(),
        ) && policy.allows(
            Audience::reader(&principal, answer.meta.exercise.as_deref()),
            answer,
        );
        for asset in &response.assets {
            if !wanted.contains(&(*asset, answer.meta.origin)) {
                continue;
            }
            bookings.entry(*asset).or_default().push(Booking {
                start,
                end,
                request: shown.then_some(request.meta.id),
                requester: shown.then_some(request.meta.origin),
                decision: shown.then_some(response.decision),
            });
        }
    }
    let rows = assets
        .iter()
        .filter_map(|object| {
            let Body::Asset(asset) = &object.body else {
                return None;
            };
            let mut booked = bookings.remove(&object.meta.id).unwrap_or_default();
            booked.sort_by_key(|booking| (booking.start, booking.end));
            let base: Vec<Span> = match asset.status {
                AssetStatus::Maintenance | AssetStatus::Unavailable => Vec::new(),
                _ if asset.availability.is_empty() => vec![Span {
                    start: from,
                    end: to,
                }],
                _ => asset
                    .availability
                    .iter()
                    .map(|window| Span {
                        start: window.start.max(from),
                        end: window.end.min(to),
                    })
                    .filter(|span| span.end > span.start)
                    .collect(),
            };
            let busy: Vec<Span> = booked
                .iter()
                .map(|booking| Span {
                    start: booking.start,
                    end: booking.end,
                })
                .collect();
            Some(AssetAvailability {
                id: object.meta.id,
                name: asset.name.clone(),
                category: asset.category,
                origin: object.meta.origin,
                status: asset.status,
                booked,
                free: subtract(base, &busy),
            })
        })
        .collect();
    Ok(Json(AvailabilityView {
        from,
        to,
        assets: rows,
        truncated,
    }))
}

/// The request `id` if this node holds it, undeleted and still open (neither completed nor
/// cancelled), as the node knows it.
async fn open_request(node: &Arc<Node>, id: Uuid) -> Result<Option<Arc<Object>>, AppError> {
    let Some(stored) = node.get_object(id).await? else {
        return Ok(None);
    };
    let request = stored.object;
    if request.meta.deleted || !matches!(request.body, Body::SupportRequest(_)) {
        return Ok(None);
    }
    let steps = crate::workflow::steps(node, &request, None).await?;
    let state = Workflow::new(&request, steps.iter()).state().state;
    Ok((!matches!(
        state,
        Some(SupportState::Completed | SupportState::Cancelled)
    ))
    .then_some(request))
}

/// `spans` (sorted or not) less `busy`: what remains, sorted.
pub fn subtract(spans: Vec<Span>, busy: &[Span]) -> Vec<Span> {
    let mut free = spans;
    for taken in busy {
        free = free
            .into_iter()
            .flat_map(|span| {
                let mut left = Vec::with_capacity(2);
                if taken.end <= span.start || taken.start >= span.end {
                    left.push(span);
                } else {
                    if taken.start > span.start {
                        left.push(Span {
                            start: span.start,
                            end: taken.start,
                        });
                    }
                    if taken.end < span.end {
                        left.push(Span {
                            start: taken.end,
                            end: span.end,
                        });
                    }
                }
                left
            })
            .collect();
    }
    free.sort_by_key(|span| (span.start, span.end));
    free
}

/// `GET /api/v1/assets/figures`
#[utoipa::path(get, path = "/api/v1/assets/figures", tag = "pooled",
    params(FiguresParams),
    responses(
        (status = 200, body = Figures, description = "Per nation: requests made and answered, \
            decisions taken, median time to decision; from the objects the caller may see"),
        (status = 400, description = "Bad parameter", body = crate::http::error::ErrorBody),
        (status = 401, description = "No valid token", body = crate::http::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn figures(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Params(params): Params<FiguresParams>,
) -> Result<Json<Figures>, AppError> {
    let principal = caller.0;
    let world = checked_exercise(params.exercise)?;
    let (requests, _) = visible(
        &node,
        ObjectType::SupportRequest,
        world.clone(),
        None,
        Some(&principal),
        usize::MAX,
        Arc::new(|object| matches!(object.body, Body::SupportRequest(_))),
    )
    .await?;
    let (answers, _) = visible(
        &node,
        ObjectType::SupportResponse,
        world,
        None,
        Some(&principal),
        usize::MAX,
        Arc::new(|object| {
            matches!(&object.body, Body::SupportResponse(response)
                if matches!(response.decision, SupportDecision::Approved | SupportDecision::Declined))
        }),
    )
    .await?;
    Ok(Json(count(&requests, &answers)))
}

/// The figures of `requests` and their `answers` (both as the caller may see them).
pub fn count(requests: &[Object], answers: &[Object]) -> Figures {
    let mut nations: BTreeMap<Nation, NationFigures> = BTreeMap::new();
    let made: BTreeMap<Uuid, &Object> = requests
        .iter()
        .map(|request| (request.meta.id, request))
        .collect();
    // The first decision of each addressed nation on each request.
    let mut first: BTreeMap<(Uuid, Nation), OffsetDateTime> = BTreeMap::new();
    for answer in answers {
        let Body::SupportResponse(response) = &answer.body else {
            continue;
        };
        let Some(request) = made.get(&response.refers_to) else {
            continue;
        };
        if !Workflow::responders(request).contains(&answer.meta.origin) {
            continue;
        }
        let at = first
            .entry((response.refers_to, answer.meta.origin))
            .or_insert(answer.meta.created);
        *at = (*at).min(answer.meta.created);
    }
    let mut answered: BTreeMap<Uuid, ()> = BTreeMap::new();
    let mut delays: BTreeMap<Nation, Vec<i64>> = BTreeMap::new();
    for ((request_id, decider), at) in &first {
        answered.insert(*request_id, ());
        if let Some(request) = made.get(request_id) {
            delays
                .entry(*decider)
                .or_default()
                .push((*at - request.meta.created).whole_seconds().max(0));
        }
    }
    for request in requests {
        let figures = nations.entry(request.meta.origin).or_default();
        figures.requests_made += 1;
        if answered.contains_key(&request.meta.id) {
            figures.requests_answered += 1;
        }
    }
    for (nation, mut seconds) in delays {
        seconds.sort_unstable();
        let figures = nations.entry(nation).or_default();
        figures.decisions = seconds.len() as u64;
        figures.median_time_to_decision_s = median(&seconds);
    }
    Figures { nations }
}

fn median(sorted: &[i64]) -> Option<i64> {
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted.get(middle).copied()
    } else {
        let low = sorted.get(middle.checked_sub(1)?)?;
        let high = sorted.get(middle)?;
        Some((low + high) / 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hour: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::hours(hour)
    }

    fn span(start: i64, end: i64) -> Span {
        Span {
            start: at(start),
            end: at(end),
        }
    }

    #[test]
    fn bookings_cut_free_windows() {
        let free = subtract(
            vec![span(0, 10), span(12, 20)],
            &[span(2, 4), span(8, 14), span(19, 30)],
        );
        assert_eq!(free, vec![span(0, 2), span(4, 8), span(14, 19)]);
        assert_eq!(subtract(vec![span(0, 10)], &[span(0, 10)]), Vec::new());
        assert_eq!(subtract(vec![span(0, 10)], &[]), vec![span(0, 10)]);
    }

    #[test]
    fn median_of_odd_even_and_none() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5]), Some(5));
        assert_eq!(median(&[1, 3, 10]), Some(3));
        assert_eq!(median(&[1, 3, 5, 10]), Some(4));
    }
}
