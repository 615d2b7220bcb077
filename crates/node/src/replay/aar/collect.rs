//! Reading a report's content: the picture at the start of the window and the changes in it,
//! through the replay's functions (each item passes the one decision for the reader), the air
//! history (each row judged the same way), then the timeline, the maps and the figures.

use std::collections::{BTreeMap, HashMap, HashSet};

use liptako_model::{
    Audience, BBox, Body, Marking, Nation, Object, ObjectType, OperationStatus, ReportKind,
    Transition, ZoneKind,
};
use liptako_store::{AirHistoryQuery, AuditQuery};
use time::OffsetDateTime;
use uuid::Uuid;

use super::figures::{self, Figures};
use super::map::{self, MarkerKind, Projection, Rgb, Shape};
use super::{Aar, AarError, AarRequest, Event, EventKind, MapFrame, Moment, Scope, Sources};
use crate::replay::{AIR_WINDOW, objects_at, told_between};

/// Versions read at most for one report.
const MAX_VERSIONS: usize = 200_000;
/// Versions read per step.
const PAGE: usize = 1000;
/// Air-history rows read at most for one report.
const MAX_AIR_ROWS: usize = 400_000;
/// A unit has crossed only once this far inside the other side (a unit riding the line makes
/// one crossing), metres.
const CROSSING_MARGIN_M: f64 = 500.0;
/// A crossing derived from positions and a pursuit notice's crossing within this are the same.
const SAME_CROSSING: time::Duration = time::Duration::minutes(15);
/// How much of an air track's past its map shows.
const AIR_TRAIL: time::Duration = time::Duration::minutes(10);
/// The audit action of an alert's acknowledgement (`api/acks.rs` writes it).
const ALERT_ACK: &str = "alert_ack";

/// The types a report reads.
const TYPES: [ObjectType; 8] = [
    ObjectType::Report,
    ObjectType::Unit,
    ObjectType::Zone,
    ObjectType::Operation,
    ObjectType::PursuitNotice,
    ObjectType::Acknowledgement,
    ObjectType::SupportRequest,
    ObjectType::SupportResponse,
];

/// The versions of one object the reader was shown, in order (`None`: no longer shown).
type History = Vec<(OffsetDateTime, Option<Object>)>;

/// One air-track state kept.
struct AirState {
    time: OffsetDateTime,
    lon: f64,
    lat: f64,
    identity: String,
}

/// The marked items a report includes (their markings roll up into the report's).
#[derive(Default)]
struct Included {
    markings: HashSet<(Nation, Marking)>,
    n_items: usize,
    ids: HashSet<Uuid>,
}

impl Included {
    fn object(&mut self, object: &Object) {
        if self.ids.insert(object.meta.id) {
            self.n_items += 1;
        }
        self.markings
            .insert((object.meta.origin, object.meta.marking.clone()));
    }

    fn marking(&mut self, origin: Nation, marking: &Marking) {
        self.n_items += 1;
        self.markings.insert((origin, marking.clone()));
    }
}

pub(super) fn build(sources: &Sources<'_>, request: &AarRequest) -> Result<Aar, AarError> {
    let Sources {
        store,
        policy,
        geography,
        node,
        principal,
        now,
    } = *sources;
    let world = request.exercise.as_deref();
    let reader = Audience::reader(principal, world);

    // The operation, if one is named: as the caller may see it now.
    let operation = match request.operation {
        None => None,
        Some(id) => {
            let stored = store.get(id)?.ok_or(AarError::NotFound)?;
            let object = (*stored.object).clone();
            let is_operation = matches!(object.body, Body::Operation(_));
            if !is_operation || object.meta.deleted || !policy.allows(reader, &object) {
                return Err(AarError::NotFound);
            }
            Some(object)
        }
    };
    let op_body = operation.as_ref().and_then(|object| match &object.body {
        Body::Operation(body) => Some(body.as_ref().clone()),
        _ => None,
    });

    // The window.
    let scope = match (&op_body, &request.exercise) {
        (Some(_), _) => Scope::Operation,
        (None, Some(_)) if request.from.is_none() => Scope::Exercise,
        _ => Scope::Window,
    };
    let from = request
        .from
        .or(op_body.as_ref().map(|body| body.start))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let to = request
        .to
        .or(op_body.as_ref().map(|body| body.end))
        .unwrap_or(now)
        .min(now);
    if to <= from {
        return Err(AarError::Unprocessable(format!(
            "the window from {} to {} has not begun yet, or is empty",
            super::rfc3339(from),
            super::rfc3339(to)
        )));
    }
    let area = request.bbox.or_else(|| {
        operation
            .as_ref()
            .and_then(|object| object.body.bbox())
            .map(|bbox| widen(bbox, 0.25, 0.2))
    });

    // What the reader held at the start, then what it was told, in order.
    let mut histories: HashMap<Uuid, History> = HashMap::new();
    let mut truncated = false;
    for object_type in TYPES {
        let (objects, more) = objects_at(store, policy, reader, world, object_type, from)?;
        truncated |= more;
        for object in objects {
            histories
                .entry(object.meta.id)
                .or_default()
                .push((from, Some(object)));
        }
    }
    let mut told = Vec::new();
    let mut after = None;
    loop {
        let (page, next) = told_between(store, policy, reader, world, (from, to), after, PAGE)?;
        told.extend(page);
        match next {
            Some(position) if told.len() < MAX_VERSIONS => after = Some(position),
            Some(_) => {
                truncated = true;
                break;
            }
            None => break,
        }
    }

    // Relevance: in the area, or part of the operation.
    let op_id = operation.as_ref().map(|object| object.meta.id);
    let op_units: HashSet<Uuid> = op_body
        .as_ref()
        .map(|body| body.units.iter().copied().collect())
        .unwrap_or_default();
    let relevant = |object: &Object| -> bool {
        match &object.body {
            Body::Operation(_) if Some(object.meta.id) == op_id => return true,
            Body::PursuitNotice(notice) if Some(notice.operation) == op_id => return true,
            Body::SupportRequest(request)
                if request.operation.is_some() && request.operation == op_id =>
            {
                return true;
            }
            Body::Unit(_) if op_units.contains(&object.meta.id) => return true,
            _ => {}
        }
        match (&area, object.body.bbox()) {
            (None, _) => true,
            (Some(area), Some(bbox)) => area.intersects(&bbox),
            (Some(_), None) => false,
        }
    };

    let mut events: Vec<Event> = Vec::new();
    let mut included = Included::default();
    if let Some(object) = &operation {
        included.object(object);
    }
    // The last version shown of each object, and which heads the report includes.
    let mut last: HashMap<Uuid, Object> = HashMap::new();
    for (id, history) in &histories {
        if let Some((_, Some(object))) = history.last() {
            last.insert(*id, object.clone());
        }
    }
    let mut heads: HashSet<Uuid> = last
        .values()
        .filter(|object| relevant(object))
        .map(|object| object.meta.id)
        .collect();
    let mut notices: Vec<Object> = Vec::new();
    let mut acks: Vec<Object> = Vec::new();
    let mut requests: Vec<Object> = Vec::new();
    let mut responses: Vec<Object> = Vec::new();
    let mut alert_delays: Vec<f64> = Vec::new();
    // Crossings named by pursuit notices: (unit, nation entered, time).
    let mut notice_crossings: Vec<(Uuid, Nation, OffsetDateTime)> = Vec::new();
    let mut crossing_times: Vec<OffsetDateTime> = Vec::new();

    for change in told {
        let history = histories.entry(change.id).or_default();
        let object = match (change.transition, change.object) {
            (Transition::Show, Some(object)) => object,
            _ => {
                history.push((change.at, None));
                last.remove(&change.id);
                continue;
            }
        };
        history.push((change.at, Some(object.clone())));
        let previous = last.insert(object.meta.id, object.clone());
        let is_new = previous.is_none() && !histories_had_before(&object, from);
        let at = if object.meta.created >= from {
            object.meta.created
        } else {
            change.at
        };
        let event = |kind: EventKind, at: OffsetDateTime, text: String, detail: String| Event {
            at,
            kind,
            nation: object.meta.origin,
            text,
            detail,
            id: object.meta.id,
            delay_s: None,
            marking: object.meta.marking.clone(),
        };
        match &object.body {
            Body::Report(report) if is_new && relevant(&object) => {
                heads.insert(object.meta.id);
                let kind = match report.kind {
                    ReportKind::CivilianHarm => EventKind::CivilianHarm,
                    ReportKind::ProtectionWarning => EventKind::ProtectionWarning,
                    kind if figures::is_alert(kind) => EventKind::Alert,
                    _ => EventKind::Report,
                };
                if report.kind == ReportKind::AirspaceAlert
                    && report.title.starts_with("Border crossing")
                {
                    crossing_times.push(at);
                }
                events.push(event(
                    kind,
                    at,
                    report.title.clone(),
                    report.kind.as_str().into(),
                ));
                included.object(&object);
                if figures::is_alert(report.kind) {
                    // Acknowledged on this node's watch floor (audit log), if it was.
                    let records = store.audit(&AuditQuery {
                        action: Some(ALERT_ACK.into()),
                        object_id: Some(object.meta.id),
                        limit: 50,
                        ..AuditQuery::default()
                    })?;
                    let first = records
                        .iter()
                        .map(|record| &record.entry)
                        .min_by_key(|entry| entry.at);
                    if let Some(first) = first {
                        let delay = (first.at - object.meta.created).as_seconds_f64();
                        alert_delays.push(delay);
                        let mut ack = event(
                            EventKind::AlertAcknowledged,
                            first.at,
                            report.title.clone(),
                            first.actor.clone(),
                        );
                        ack.nation = node;
                        ack.delay_s = Some(delay);
                        events.push(ack);
                    }
                }
            }
            Body::Operation(body) if relevant(&object) => {
                heads.insert(object.meta.id);
                let previous_status = previous.as_ref().and_then(|previous| match &previous.body {
                    Body::Operation(previous) => Some(previous.status),
                    _ => None,
                });
                let kind = match (is_new, previous_status, body.status) {
                    (true, _, _) => Some(EventKind::OperationCreated),
                    (false, Some(before), OperationStatus::Active)
                        if before != OperationStatus::Active =>
                    {
                        Some(EventKind::OperationActive)
                    }
                    (false, Some(before), OperationStatus::Ended)
                        if before != OperationStatus::Ended =>
                    {
                        Some(EventKind::OperationEnded)
                    }
                    _ => None,
                };
                if let Some(kind) = kind {
                    let when = if kind == EventKind::OperationCreated {
                        at
                    } else {
                        object.meta.updated
                    };
                    events.push(event(
                        kind,
                        when,
                        body.name.clone(),
                        body.status.as_str().into(),
                    ));
                    included.object(&object);
                }
            }
            Body::PursuitNotice(notice) if relevant(&object) => {
                heads.insert(object.meta.id);
                let route = format!("{} → {}", object.meta.origin, notice.nation_entered);
                let callsigns = callsigns(&last, &notice.units);
                if is_new {
                    events.push(event(
                        EventKind::PursuitNotice,
                        at,
                        callsigns.clone(),
                        format!("{route}, {:.1} km", notice.depth_km),
                    ));
                    events.push(event(
                        EventKind::BorderCrossing,
                        notice.crossing_time,
                        callsigns.clone(),
                        format!(
                            "{route} @ {:.3}, {:.3}",
                            notice.crossing_point.lat, notice.crossing_point.lon
                        ),
                    ));
                    crossing_times.push(notice.crossing_time);
                    for unit in &notice.units {
                        notice_crossings.push((*unit, notice.nation_entered, notice.crossing_time));
                    }
                    included.object(&object);
                }
                let was_ended = previous.as_ref().is_some_and(|previous| {
                    matches!(&previous.body, Body::PursuitNotice(before) if before.ended.is_some())
                });
                if let (Some(ended), false) = (notice.ended, was_ended) {
                    events.push(event(
                        EventKind::PursuitEnded,
                        ended,
                        callsigns,
                        format!("{route}, max {:.1} km", notice.max_depth_km),
                    ));
                    included.object(&object);
                }
                notices.retain(|held| held.meta.id != object.meta.id);
                notices.push(object.clone());
            }
            Body::Acknowledgement(ack) if is_new && heads.contains(&ack.refers_to) => {
                let Some(head) = last.get(&ack.refers_to) else {
                    continue;
                };
                if let Body::PursuitNotice(notice) = &head.body
                    && notice.nation_entered == object.meta.origin
                {
                    let delay = (object.meta.created - head.meta.created).as_seconds_f64();
                    let mut line = event(
                        EventKind::PursuitAcknowledged,
                        at,
                        ack.text.clone(),
                        format!("{} ({})", ack.by, callsigns(&last, &notice.units)),
                    );
                    line.delay_s = Some(delay);
                    events.push(line);
                    included.object(&object);
                    acks.push(object.clone());
                }
            }
            Body::SupportRequest(body) if relevant(&object) => {
                heads.insert(object.meta.id);
                let addressed: Vec<&str> = body
                    .addressed_to
                    .iter()
                    .map(|nation| nation.as_str())
                    .collect();
                if is_new {
                    let text = if body.description.is_empty() {
                        body.purpose.as_str().to_owned()
                    } else {
                        body.description.clone()
                    };
                    events.push(event(
                        EventKind::SupportRequest,
                        at,
                        text,
                        format!(
                            "{}, {}, {} → {}",
                            body.priority.as_str(),
                            body.category.as_str(),
                            object.meta.origin,
                            addressed.join(", ")
                        ),
                    ));
                    included.object(&object);
                }
                let was_cancelled = previous.as_ref().is_some_and(|previous| {
                    matches!(&previous.body, Body::SupportRequest(before) if before.cancelled.is_some())
                });
                if let (Some(cancelled), false) = (body.cancelled, was_cancelled) {
                    events.push(event(
                        EventKind::SupportCancelled,
                        cancelled,
                        body.cancel_reason.clone(),
                        body.purpose.as_str().into(),
                    ));
                    included.object(&object);
                }
                requests.retain(|held| held.meta.id != object.meta.id);
                requests.push(object.clone());
            }
            Body::SupportResponse(response) if is_new && heads.contains(&response.refers_to) => {
                let Some(head) = last.get(&response.refers_to) else {
                    continue;
                };
                let delay = (object.meta.created - head.meta.created).as_seconds_f64();
                let mut line = event(
                    EventKind::SupportAnswer,
                    at,
                    response.text.clone(),
                    format!("{} ({})", response.decision.as_str(), response.by),
                );
                line.delay_s = Some(delay);
                events.push(line);
                included.object(&object);
                responses.push(object.clone());
            }
            _ => {}
        }
    }
    // Heads held at the start count for the figures of answers made in the window.
    for object in last.values() {
        let id = object.meta.id;
        match &object.body {
            Body::PursuitNotice(_)
                if heads.contains(&id) && !notices.iter().any(|held| held.meta.id == id) =>
            {
                notices.push(object.clone());
            }
            Body::SupportRequest(_)
                if heads.contains(&id) && !requests.iter().any(|held| held.meta.id == id) =>
            {
                requests.push(object.clone());
            }
            _ => {}
        }
    }

    // Border crossings of units, from their positions (one per side change, with a margin).
    type Fix = (OffsetDateTime, f64, f64, Nation, Marking, String);
    let mut unit_tracks: BTreeMap<Uuid, Vec<Fix>> = BTreeMap::new();
    for (id, history) in &histories {
        for (at, object) in history {
            if let Some(object) = object
                && let Body::Unit(unit) = &object.body
                && let Some(position) = unit.position
                && relevant(object)
            {
                unit_tracks.entry(*id).or_default().push((
                    *at,
                    position.lon,
                    position.lat,
                    object.meta.origin,
                    object.meta.marking.clone(),
                    unit.callsign.clone(),
                ));
            }
        }
    }
    for (id, track) in &unit_tracks {
        let mut side: Option<Nation> = None;
        for (at, lon, lat, origin, marking, callsign) in track {
            let Some((nation, distance_m)) = geography.locate(*lat, *lon, CROSSING_MARGIN_M * 4.0)
            else {
                break;
            };
            let Some(nation) = nation else { continue };
            if distance_m <= CROSSING_MARGIN_M || side == Some(nation) {
                continue;
            }
            if let Some(before) = side
                && *at > from
            {
                let known = notice_crossings.iter().any(|(unit, entered, when)| {
                    unit == id && *entered == nation && (*when - *at).abs() <= SAME_CROSSING
                });
                if !known {
                    crossing_times.push(*at);
                    // The version that crossed is what the line tells of.
                    events.push(Event {
                        at: *at,
                        kind: EventKind::BorderCrossing,
                        nation: *origin,
                        text: callsign.clone(),
                        detail: format!("{before} → {nation} @ {lat:.3}, {lon:.3}"),
                        id: *id,
                        delay_s: None,
                        marking: marking.clone(),
                    });
                    included.marking(*origin, marking);
                }
            }
            side = Some(nation);
        }
    }

    // The air picture (the real world's only), each row judged for the reader.
    let mut air: BTreeMap<String, Vec<AirState>> = BTreeMap::new();
    if world.is_none() {
        let mut refused: HashSet<String> = HashSet::new();
        let mut after_id = None;
        let mut n_rows = 0usize;
        let mut markings: HashSet<(Nation, Marking)> = HashSet::new();
        loop {
            let rows = store.air_history(&AirHistoryQuery {
                from,
                to: to + time::Duration::microseconds(1),
                uid: None,
                after_id,
                limit: 10_000,
            })?;
            let Some((last_id, _)) = rows.last() else {
                break;
            };
            after_id = Some(*last_id);
            n_rows += rows.len();
            for (_, row) in rows {
                if !policy.allows(reader, &row) {
                    refused.insert(row.uid);
                    continue;
                }
                if area.is_some_and(|area| !inside(&area, row.lon, row.lat)) {
                    continue;
                }
                let identity = serde_json::from_str::<serde_json::Value>(&row.payload)
                    .ok()
                    .and_then(|track| track.get("identity")?.as_str().map(str::to_owned))
                    .unwrap_or_default();
                markings.insert((row.origin, row.marking.clone()));
                air.entry(row.uid).or_default().push(AirState {
                    time: row.time,
                    lon: row.lon,
                    lat: row.lat,
                    identity,
                });
            }
            if n_rows >= MAX_AIR_ROWS {
                truncated = true;
                break;
            }
        }
        // A track some state of which the reader may not see is left out whole, as replay does
        // with a narrowed object.
        air.retain(|uid, _| !refused.contains(uid));
        if !air.is_empty() {
            for (origin, marking) in &markings {
                included.marking(*origin, marking);
            }
        }
    }

    events.sort_by_key(|event| (event.at, event.kind));

    // Figures.
    let notice_refs: Vec<&Object> = notices.iter().collect();
    let ack_refs: Vec<&Object> = acks.iter().collect();
    let request_refs: Vec<&Object> = requests.iter().collect();
    let response_refs: Vec<&Object> = responses.iter().collect();
    let pursuit_ack_delays = figures::pursuit_ack_delays(&notice_refs, &ack_refs);
    let support_decision_delays = figures::support_decision_delays(&request_refs, &response_refs);
    let count = |kind: EventKind| events.iter().filter(|event| event.kind == kind).count();
    let seconds = |delays: &[figures::Delay]| delays.iter().map(|d| d.seconds).collect::<Vec<_>>();
    let identified = air
        .values()
        .filter(|states| {
            states.iter().any(|state| {
                matches!(
                    state.identity.as_str(),
                    "assumed_friend" | "neutral" | "suspect"
                )
            })
        })
        .count();
    let figures = Figures {
        pursuit_notices: count(EventKind::PursuitNotice),
        pursuit_ack_median_s: figures::median(&seconds(&pursuit_ack_delays)),
        pursuit_ack_delays,
        support_requests: count(EventKind::SupportRequest),
        support_decision_median_s: figures::median(&seconds(&support_decision_delays)),
        support_decision_delays,
        alerts_raised: count(EventKind::Alert) + count(EventKind::ProtectionWarning),
        alerts_acknowledged: alert_delays.len(),
        alert_ack_median_s: figures::median(&alert_delays),
        civilian_harm_reports: count(EventKind::CivilianHarm),
        protection_warnings: count(EventKind::ProtectionWarning),
        border_crossings: count(EventKind::BorderCrossing) + crossing_alerts(&events),
        air_tracks: air.len(),
        air_tracks_identified: identified,
        reports: count(EventKind::Report)
            + count(EventKind::CivilianHarm)
            + count(EventKind::Alert)
            + count(EventKind::ProtectionWarning),
    };

    // Maps at the key moments.
    let first_change = histories
        .values()
        .flat_map(|history| history.iter().map(|(at, _)| *at))
        .min();
    let start = if scope == Scope::Exercise {
        first_change.unwrap_or(from).max(from)
    } else {
        from
    };
    // The first map shows the start, or, when the reader held nothing there then, the first
    // event (an empty map says nothing).
    let held_at_start = histories.values().any(|history| {
        matches!(history.first(), Some((at, Some(object))) if *at == from && relevant(object))
    });
    let first_moment = if held_at_start {
        start
    } else {
        events
            .iter()
            .map(|event| event.at)
            .filter(|at| *at >= start)
            .min()
            .or(first_change)
            .unwrap_or(start)
            .clamp(start, to)
    };
    let mut moments = vec![(Moment::First, first_moment)];
    if let Some(crossing) = crossing_times
        .iter()
        .copied()
        .filter(|at| *at >= start && *at <= to)
        .min()
    {
        moments.push((Moment::Crossing, crossing));
    }
    moments.push((Moment::Last, to));
    let extent = area.unwrap_or_else(|| extent(&histories, &air, &relevant));
    let projection = Projection::fit(extent);
    let mut maps = Vec::new();
    for (moment, at) in moments {
        maps.push(frame(
            sources,
            &projection,
            (moment, at, start),
            &histories,
            &relevant,
            &air,
            &mut included,
        ));
    }

    let nothing = events.is_empty()
        && maps
            .iter()
            .all(|frame| frame.n_units == 0 && frame.n_air_tracks == 0);
    if nothing {
        return Err(AarError::Unprocessable(
            "nothing you may see happened in this window: no event, no unit, no air track".into(),
        ));
    }
    let sources_list: Vec<(Nation, &Marking)> = included
        .markings
        .iter()
        .map(|(origin, marking)| (*origin, marking))
        .collect();
    let marking = figures::content_marking(policy, node, &sources_list).unwrap_or_else(|_| {
        // A level the policy does not know cannot be judged: the highest, national.
        Marking::new(policy.levels().highest(), Vec::<String>::new())
    });
    Ok(Aar {
        lang: request.lang,
        scope,
        name: op_body
            .as_ref()
            .map(|body| body.name.clone())
            .or_else(|| request.exercise.clone()),
        exercise: request.exercise.clone(),
        from: start,
        to,
        area,
        generated: now,
        reader: principal.clone(),
        node,
        marking,
        events,
        maps,
        figures,
        n_items: included.n_items,
        truncated,
    })
}

/// Whether `object` existed before the window (its first version predates it: told again in
/// the window only because it changed).
fn histories_had_before(object: &Object, from: OffsetDateTime) -> bool {
    object.meta.version > 1 && object.meta.created < from
}

fn callsign(object: &Object) -> String {
    match &object.body {
        Body::Unit(unit) => unit.callsign.clone(),
        _ => object.meta.id.to_string(),
    }
}

/// The callsigns of `units` the reader may see (others are not named).
fn callsigns(last: &HashMap<Uuid, Object>, units: &[Uuid]) -> String {
    let names: Vec<String> = units
        .iter()
        .filter_map(|id| last.get(id))
        .map(callsign)
        .collect();
    if names.is_empty() {
        format!("{} unit(s)", units.len())
    } else {
        names.join(", ")
    }
}

/// Airspace border-crossing alerts (each one a crossing in the air).
fn crossing_alerts(events: &[Event]) -> usize {
    events
        .iter()
        .filter(|event| event.kind == EventKind::Alert && event.text.starts_with("Border crossing"))
        .count()
}

fn inside(area: &BBox, lon: f64, lat: f64) -> bool {
    lon >= area.west && lon <= area.east && lat >= area.south && lat <= area.north
}

/// `bbox` widened by `share` of its size on each side, and at least `min_deg` degrees.
fn widen(bbox: BBox, share: f64, min_deg: f64) -> BBox {
    let dx = ((bbox.east - bbox.west) * share).max(min_deg);
    let dy = ((bbox.north - bbox.south) * share).max(min_deg);
    BBox {
        west: (bbox.west - dx).max(-180.0),
        south: (bbox.south - dy).max(-90.0),
        east: (bbox.east + dx).min(180.0),
        north: (bbox.north + dy).min(90.0),
    }
}

/// The extent of everything the report may draw, widened; the three-borders area when empty.
fn extent(
    histories: &HashMap<Uuid, History>,
    air: &BTreeMap<String, Vec<AirState>>,
    relevant: &dyn Fn(&Object) -> bool,
) -> BBox {
    let mut bbox: Option<BBox> = None;
    let mut add = |other: BBox| {
        bbox = Some(match bbox {
            None => other,
            Some(b) => BBox {
                west: b.west.min(other.west),
                south: b.south.min(other.south),
                east: b.east.max(other.east),
                north: b.north.max(other.north),
            },
        });
    };
    for history in histories.values() {
        for (_, object) in history {
            if let Some(object) = object
                && relevant(object)
                && let Some(b) = object.body.bbox()
            {
                add(b);
            }
        }
    }
    for states in air.values() {
        for state in states {
            add(BBox {
                west: state.lon,
                south: state.lat,
                east: state.lon,
                north: state.lat,
            });
        }
    }
    match bbox {
        Some(bbox) => widen(bbox, 0.1, 0.2),
        None => BBox {
            west: -1.0,
            south: 12.5,
            east: 4.5,
            north: 16.5,
        },
    }
}

/// The map at one moment: what the reader held then.
fn frame(
    sources: &Sources<'_>,
    projection: &Projection,
    (moment, at, start): (Moment, OffsetDateTime, OffsetDateTime),
    histories: &HashMap<Uuid, History>,
    relevant: &dyn Fn(&Object) -> bool,
    air: &BTreeMap<String, Vec<AirState>>,
    included: &mut Included,
) -> MapFrame {
    let policy = sources.policy;
    let mut shapes = map::countries(sources.geography, projection, policy);
    let mut zones = Vec::new();
    let mut trails = Vec::new();
    let mut markers = Vec::new();
    let mut labels = Vec::new();
    let (mut n_units, mut n_zones) = (0, 0);
    let mut ids: Vec<&Uuid> = histories.keys().collect();
    ids.sort();
    for id in ids {
        let Some(history) = histories.get(id) else {
            continue;
        };
        let Some(object) = history
            .iter()
            .take_while(|(when, _)| *when <= at)
            .last()
            .and_then(|(_, object)| object.as_ref())
        else {
            continue;
        };
        if !relevant(object) {
            continue;
        }
        match &object.body {
            Body::Zone(zone) => {
                let (stroke, fill) = match zone.kind {
                    ZoneKind::ProtectedSite => (Rgb(0, 130, 60), Some(Rgb(200, 235, 200))),
                    ZoneKind::Restricted => (Rgb(200, 0, 0), None),
                    ZoneKind::AreaOfOperations => (Rgb(0, 84, 166), None),
                };
                zones.push(Shape::Path {
                    rings: zone
                        .area
                        .coordinates
                        .iter()
                        .map(|ring| projection.line(ring))
                        .collect(),
                    closed: true,
                    stroke: Some((stroke, 1.5, zone.kind == ZoneKind::Restricted)),
                    fill,
                });
                n_zones += 1;
                included.object(object);
            }
            Body::Operation(operation) => {
                for polygon in operation.area.polygons() {
                    zones.push(Shape::Path {
                        rings: polygon
                            .coordinates
                            .iter()
                            .map(|ring| projection.line(ring))
                            .collect(),
                        closed: true,
                        stroke: Some((Rgb(0, 84, 166), 2.0, true)),
                        fill: None,
                    });
                }
                n_zones += 1;
                included.object(object);
            }
            Body::Unit(unit) => {
                let Some(position) = unit.position else {
                    continue;
                };
                let trail: Vec<[f64; 2]> = history
                    .iter()
                    .filter(|(when, _)| *when >= start && *when <= at)
                    .filter_map(|(_, version)| match version.as_ref().map(|v| &v.body) {
                        Some(Body::Unit(unit)) => unit.position.map(|p| [p.lon, p.lat]),
                        _ => None,
                    })
                    .collect();
                let colour = map::nation_colour(policy, object.meta.origin);
                if trail.len() >= 2 {
                    trails.push(Shape::Path {
                        rings: vec![projection.line(&trail)],
                        closed: false,
                        stroke: Some((colour, 2.0, false)),
                        fill: None,
                    });
                }
                let xy = projection.xy(position.lon, position.lat);
                markers.push(Shape::Marker {
                    at: xy,
                    kind: MarkerKind::Square,
                    fill: colour,
                });
                labels.push(Shape::Label {
                    at: (xy.0 + 8.0, xy.1 - 6.0),
                    text: unit.callsign.clone(),
                });
                n_units += 1;
                included.object(object);
            }
            Body::PursuitNotice(notice) if notice.crossing_time <= at => {
                if notice.track.len() >= 2 {
                    let track: Vec<[f64; 2]> =
                        notice.track.iter().map(|p| [p.lon, p.lat]).collect();
                    trails.push(Shape::Path {
                        rings: vec![projection.line(&track)],
                        closed: false,
                        stroke: Some((Rgb(200, 0, 0), 1.5, true)),
                        fill: None,
                    });
                }
                markers.push(Shape::Marker {
                    at: projection.xy(notice.crossing_point.lon, notice.crossing_point.lat),
                    kind: MarkerKind::Cross,
                    fill: Rgb(200, 0, 0),
                });
                included.object(object);
            }
            Body::Report(report) if object.meta.created <= at && object.meta.created >= start => {
                let Some(location) = report.location else {
                    continue;
                };
                let colour = match report.kind {
                    ReportKind::CivilianHarm => Rgb(120, 0, 120),
                    ReportKind::ProtectionWarning => Rgb(0, 130, 60),
                    kind if figures::is_alert(kind) => Rgb(210, 0, 0),
                    _ => Rgb(60, 60, 60),
                };
                markers.push(Shape::Marker {
                    at: projection.xy(location.lon, location.lat),
                    kind: MarkerKind::Circle,
                    fill: colour,
                });
                included.object(object);
            }
            _ => {}
        }
    }
    let mut n_air = 0;
    for states in air.values() {
        let Some(now) = states
            .iter()
            .rev()
            .find(|state| state.time <= at && state.time + AIR_WINDOW >= at)
        else {
            continue;
        };
        let trail: Vec<[f64; 2]> = states
            .iter()
            .filter(|state| state.time <= at && state.time + AIR_TRAIL >= at)
            .map(|state| [state.lon, state.lat])
            .collect();
        let colour = map::identity_colour(&now.identity);
        if trail.len() >= 2 {
            trails.push(Shape::Path {
                rings: vec![projection.line(&trail)],
                closed: false,
                stroke: Some((colour, 1.0, false)),
                fill: None,
            });
        }
        markers.push(Shape::Marker {
            at: projection.xy(now.lon, now.lat),
            kind: MarkerKind::Triangle,
            fill: colour,
        });
        n_air += 1;
    }
    shapes.extend(zones);
    shapes.extend(trails);
    shapes.extend(markers);
    shapes.extend(map::nation_labels(sources.geography, projection));
    shapes.extend(labels);
    MapFrame {
        moment,
        at,
        shapes,
        n_units,
        n_air_tracks: n_air,
        n_zones,
    }
}
