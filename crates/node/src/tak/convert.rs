//! Cursor-on-Target <-> Liptako model: the one place where the two vocabularies meet.
//!
//! - **Markings** travel in the CoT marking attributes: `access` carries the level (`DR`),
//!   `releaseableTo` the releasability tokens separated by spaces (`AES`, or `BFA NER`; a
//!   national marking is written as the origin's code alone), `opex` the exercise
//!   (`e-FLINTLOCK`). [`inbound_marking`] reads what a client sent, under its default marking,
//!   and refuses what the policy does not know or what is above the sender's clearance.
//! - **Units**: a friendly atom with a callsign (`a-f-...`, what a TAK client sends for its own
//!   position) becomes a [`Unit`] ([`unit_from_event`]) with the id [`tak_unit_id`] derives
//!   from the CoT uid; the CoT type <-> symbol code mapping is `liptako_cot::symbol`'s.
//! - **Objects to CoT** ([`object_event`]): a unit is an atom of its symbol's type, a report
//!   with a location a spot marker (`b-m-p-s-m`) titled with the report's title, a zone a
//!   closed shape (`u-d-f`) coloured by kind.
//! - **Air tracks** (`AirTrack` of the core's picture, [`air_track_event`]): what the air picture hands to TAK
//!   clients.
//! - **Deletions** ([`deletion_event`]): `t-x-d-d` with a `<link>` to the uid and
//!   `<__forcedelete/>`, which TAK clients obey.

use std::time::Duration;

use blake2::Blake2b512;
use blake2::digest::Digest;
use liptako_cot::symbol::{Sidc, cot_type_from_sidc, sidc_from_cot_type};
use liptako_cot::{CotTime, Event, Extra, Limits, Link, RawXml, Remarks, Track};
use liptako_model::{
    AssetCategory, Body, InvalidObject, Marking, MarkingError, Nation, Object, Point, Policy,
    Principal, ReportKind, SupportPriority, SupportPurpose, SupportRequest, Unit, ZoneKind,
    check_exercise_name,
};
use time::OffsetDateTime;
use uuid::Uuid;

/// CoT type of a report sent to TAK clients: a spot map marker.
pub const REPORT_TYPE: &str = "b-m-p-s-m";
/// CoT type of a zone sent to TAK clients: a free-form shape.
pub const ZONE_TYPE: &str = "u-d-f";
/// CoT type of a deletion.
pub const DELETE_TYPE: &str = "t-x-d-d";
/// CoT type of a unit whose symbol does not map to one.
pub const DEFAULT_UNIT_TYPE: &str = "a-f-G";
/// How long a deletion message stays valid.
const DELETE_STALE_MS: u64 = 20_000;
/// Exercise name given to `opex="e"` without a name.
pub const UNNAMED_EXERCISE: &str = "EXERCISE";
/// Exercise name given to `opex="s"` without a name.
pub const UNNAMED_SIMULATION: &str = "SIMULATION";
/// The first bytes of every unit id derived from a TAK uid ([`tak_unit_id`]).
const TAK_UNIT_TAG: [u8; 3] = *b"tak";

/// The CoT time of an instant (clamped to CoT's range).
pub fn cot_time(at: OffsetDateTime) -> CotTime {
    let unix_ms = at.unix_timestamp_nanos() / 1_000_000;
    u64::try_from(unix_ms)
        .ok()
        .and_then(CotTime::from_unix_ms)
        .unwrap_or(if unix_ms < 0 {
            CotTime::MIN
        } else {
            CotTime::MAX
        })
}

/// The instant of a CoT time.
pub fn offset_time(at: CotTime) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.unix_ms()) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The CoT marking attributes of a Liptako marking.
pub fn cot_marking(
    marking: &Marking,
    origin: Nation,
    exercise: Option<&str>,
) -> liptako_cot::Marking {
    let releaseable_to = if marking.is_national() {
        origin.as_str().to_owned()
    } else {
        marking.releasable_to.join(" ")
    };
    liptako_cot::Marking {
        access: Some(marking.level.clone()),
        caveat: None,
        releaseable_to: Some(releaseable_to),
        opex: exercise.map(|name| format!("e-{name}")),
    }
}

/// The exercise an event's `opex` puts it in: `e-NAME` and `s-NAME` name it; a bare `e` or `s`
/// is [`UNNAMED_EXERCISE`] or [`UNNAMED_SIMULATION`]; `o` and no `opex` are the real world.
/// A name that is not a valid exercise name is refused.
pub fn exercise_of(marking: &liptako_cot::Marking) -> Result<Option<String>, InvalidObject> {
    let Some(opex) = marking.opex.as_deref().map(str::trim) else {
        return Ok(None);
    };
    let (kind, name) = match opex.split_once('-') {
        Some((kind, name)) => (kind, Some(name)),
        None => (opex, None),
    };
    let unnamed = match kind {
        "e" | "E" => UNNAMED_EXERCISE,
        "s" | "S" => UNNAMED_SIMULATION,
        _ => return Ok(None),
    };
    match name.map(str::trim).filter(|name| !name.is_empty()) {
        Some(name) => check_exercise_name(name).map(|()| Some(name.to_owned())),
        None => Ok(Some(unnamed.to_owned())),
    }
}

/// Why a client's marking was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarkingRefusal {
    /// A level or releasability this confederation does not know.
    #[error("{0}")]
    Unknown(MarkingError),
    /// Above the sender's clearance, or a liaison officer hiding it from their own nation.
    #[error("{0}")]
    AboveClearance(MarkingError),
}

impl From<MarkingError> for MarkingRefusal {
    fn from(err: MarkingError) -> MarkingRefusal {
        match err {
            MarkingError::UnknownLevel { .. } | MarkingError::UnknownReleasability { .. } => {
                MarkingRefusal::Unknown(err)
            }
            MarkingError::AboveClearance { .. }
            | MarkingError::LiaisonMustKeep { .. }
            | MarkingError::ReleaseNotAllowed { .. } => MarkingRefusal::AboveClearance(err),
        }
    }
}

/// The marking of an event a client sent: its `access` and `releaseableTo` where present,
/// the connection's default marking for what is absent, through the one marking input
/// (`Policy::marking_input`): canonical, refused when unknown to the policy, above the
/// principal's clearance, or (a liaison officer's) not releasable to the principal's nation.
pub fn inbound_marking(
    policy: &Policy,
    principal: &Principal,
    default: &Marking,
    origin: Nation,
    marking: &liptako_cot::Marking,
) -> Result<Marking, MarkingRefusal> {
    let access = marking
        .access
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    let releaseable = marking
        .releaseable_to
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let level = match access {
        Some(access) => access.to_owned(),
        None => default.level.clone(),
    };
    let tokens: Vec<String> = match releaseable {
        Some(text) => text
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|token| !token.is_empty())
            .map(str::to_owned)
            .collect(),
        None => default.releasable_to.clone(),
    };
    Ok(policy.marking_input(
        principal,
        origin,
        &Marking {
            level,
            releasable_to: tokens,
        },
        None,
    )?)
}

/// The default marking of a connection: `configured`, lowered to the principal's clearance if
/// it is above it, and released to a liaison officer's own nation if it is not (a default never
/// makes a client's events unsendable).
pub fn default_marking_for(
    policy: &Policy,
    principal: &Principal,
    origin: Nation,
    configured: &Marking,
) -> Marking {
    let mut marking = configured.clone();
    if policy.check_may_mark(principal, &marking).is_err() {
        marking.level = principal.clearance.clone();
    }
    if !policy.holders(origin, &marking).contains(&principal.nation) {
        marking
            .releasable_to
            .push(principal.nation.as_str().to_owned());
    }
    policy.canonical(origin, &marking).unwrap_or(marking)
}

/// Whether an event reports a friendly unit's position: a friendly atom (`a-f-...`) with a
/// callsign, which is what TAK clients send for themselves and for friendly units they place.
pub fn is_unit_report(event: &Event) -> bool {
    event.event_type.starts_with("a-f-")
        && event
            .callsign()
            .is_some_and(|callsign| !callsign.trim().is_empty())
}

/// Whether an event is a device's own position report (it names its client software or its
/// team): the event that tells the server who a connection is.
pub fn is_self_report(event: &Event) -> bool {
    event.is_atom()
        && event.callsign().is_some()
        && (event.detail.takv.is_some() || event.detail.group.is_some())
}

/// The unit a position report describes (see [`is_unit_report`]).
pub fn unit_from_event(event: &Event, exercise: bool) -> Result<Unit, InvalidObject> {
    let callsign = event.callsign().unwrap_or_default().trim().to_owned();
    let symbol = sidc_from_cot_type(&event.event_type, exercise).map(|sidc| sidc.to_string());
    let point = &event.point;
    let alt_m = (point.hae_m != liptako_cot::Point::UNKNOWN
        && point.hae_m.is_finite()
        && (-1.0e4..=1.0e6).contains(&point.hae_m))
    .then_some(point.hae_m);
    let track = event.detail.track.as_ref();
    let course_deg = track
        .and_then(|track| track.course_deg)
        .filter(|course| course.is_finite())
        .map(|course| course.rem_euclid(360.0))
        .filter(|course| (0.0..360.0).contains(course));
    let speed_mps = track
        .and_then(|track| track.speed_mps)
        .filter(|speed| speed.is_finite() && (0.0..=2000.0).contains(speed));
    let unit = Unit {
        callsign,
        symbol,
        position: Some(Point {
            lat: point.lat_deg,
            lon: point.lon_deg,
            alt_m,
        }),
        course_deg,
        speed_mps,
    };
    Body::Unit(unit.clone()).check()?;
    Ok(unit)
}

/// The id of the unit a TAK uid reports, on this node: a version 8 UUID whose first bytes are
/// `tak` and whose rest is a BLAKE2b hash of (nation, uid). The same device keeps its unit
/// across reconnections and restarts, and [`is_tak_unit_id`] recognises such ids.
pub fn tak_unit_id(nation: Nation, uid: &str) -> Uuid {
    let mut hasher = Blake2b512::new();
    hasher.update(b"liptako tak unit\0");
    hasher.update(nation.as_str().as_bytes());
    hasher.update([0]);
    hasher.update(uid.as_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    for (slot, byte) in bytes.iter_mut().zip(digest.iter()) {
        *slot = *byte;
    }
    let [a, b, c] = TAK_UNIT_TAG;
    bytes[0] = a;
    bytes[1] = b;
    bytes[2] = c;
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// The CoT type of ATAK's 9-line MEDEVAC request.
pub const MEDEVAC_TYPE: &str = "b-r-f-h-c";
/// How long a MEDEVAC request's window lasts when the event's stale time gives none.
const MEDEVAC_WINDOW: time::Duration = time::Duration::hours(6);
/// Longest description made from a 9-line, in characters.
const MEDEVAC_TEXT_CHARS: usize = 4096;

/// The id of the support request a MEDEVAC event (by its uid) becomes on this node: a
/// version 8 UUID from a BLAKE2b hash of (nation, uid), so a client's resends of the same
/// 9-line name the same request.
pub fn medevac_request_id(nation: Nation, uid: &str) -> Uuid {
    let mut hasher = Blake2b512::new();
    hasher.update(b"liptako tak medevac\0");
    hasher.update(nation.as_str().as_bytes());
    hasher.update([0]);
    hasher.update(uid.as_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    for (slot, byte) in bytes.iter_mut().zip(digest.iter()) {
        *slot = *byte;
    }
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// A 9-line MEDEVAC (`b-r-f-h-c` with ATAK's `<_medevac_>` detail) as a support request:
/// category and purpose medevac, priority from the patients' precedence (any `urgent` or
/// `urgent_surgical` patient: urgent; any `priority`: priority; else routine), location the
/// event's point, window from the event's start to its stale time (6 hours when that is not
/// later), and a description made of the 9-line's lines. `addressed_to` is the caller's choice.
pub fn medevac_from_event(
    event: &Event,
    addressed_to: Vec<Nation>,
) -> Result<SupportRequest, InvalidObject> {
    let attributes: Vec<(String, String)> = event
        .detail
        .unknown
        .iter()
        .find(|raw| raw.name() == Some("_medevac_"))
        .map(RawXml::attributes)
        .unwrap_or_default();
    let value = |name: &str| {
        attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
    };
    let count = |name: &str| {
        value(name)
            .and_then(|text| text.parse::<f64>().ok())
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map_or(0, |n| n.min(10_000.0) as u32)
    };
    let priority = if count("urgent") + count("urgent_surgical") > 0 {
        SupportPriority::Urgent
    } else if count("priority") > 0 {
        SupportPriority::Priority
    } else {
        SupportPriority::Routine
    };
    let start = offset_time(event.start);
    let stale = offset_time(event.stale);
    let end = if stale > start {
        stale
    } else {
        start + MEDEVAC_WINDOW
    };
    let callsign = event.callsign().unwrap_or_default().trim();
    let mut lines = vec![format!(
        "9-line MEDEVAC{}{}",
        value("title")
            .map(|title| format!(" {title}"))
            .unwrap_or_default(),
        if callsign.is_empty() {
            String::new()
        } else {
            format!(" from {callsign}")
        }
    )];
    if let Some(freq) = value("freq") {
        lines.push(format!("Line 2, frequency: {freq}"));
    }
    lines.push(format!(
        "Line 3, patients: urgent {}, urgent surgical {}, priority {}, routine {}, convenience {}",
        count("urgent"),
        count("urgent_surgical"),
        count("priority"),
        count("routine"),
        count("convenience")
    ));
    let equipment: Vec<&str> = [
        ("hoist", "hoist"),
        ("extraction_equipment", "extraction"),
        ("ventilator", "ventilator"),
        ("equipment_other", "other"),
    ]
    .into_iter()
    .filter(|(key, _)| value(key).is_some_and(|v| v.eq_ignore_ascii_case("true")))
    .map(|(_, name)| name)
    .collect();
    if !equipment.is_empty() {
        lines.push(format!("Line 4, equipment: {}", equipment.join(", ")));
    }
    lines.push(format!(
        "Line 5, litter {}, ambulatory {}",
        count("litter"),
        count("ambulatory")
    ));
    for (key, label) in [
        ("security", "Line 6, security"),
        ("hlz_marking", "Line 7, marking"),
        ("medline_remarks", "Remarks"),
    ] {
        if let Some(text) = value(key) {
            lines.push(format!("{label}: {text}"));
        }
    }
    let description: String = lines.join("\n").chars().take(MEDEVAC_TEXT_CHARS).collect();
    let request = SupportRequest {
        asset: None,
        category: AssetCategory::Medevac,
        purpose: SupportPurpose::Medevac,
        priority,
        addressed_to,
        location: Some(Point {
            lat: event.point.lat_deg,
            lon: event.point.lon_deg,
            alt_m: None,
        }),
        area: None,
        start,
        end,
        description,
        operation: None,
        cancelled: None,
        cancel_reason: String::new(),
    };
    Body::SupportRequest(Box::new(request.clone())).check()?;
    Ok(request)
}

/// Whether `id` was made by [`tak_unit_id`] (on any node).
pub fn is_tak_unit_id(id: Uuid) -> bool {
    id.get_version_num() == 8 && id.as_bytes().starts_with(&TAK_UNIT_TAG)
}

/// Great-circle distance between two positions, in metres (haversine, mean Earth radius).
pub fn distance_m(a: &Point, b: &Point) -> f64 {
    const EARTH_RADIUS_M: f64 = 6_371_008.8;
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let d_lat = lat2 - lat1;
    let d_lon = (b.lon - a.lon).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (d_lon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

fn contact(callsign: &str) -> liptako_cot::Contact {
    liptako_cot::Contact {
        callsign: Some(callsign.to_owned()),
        endpoint: None,
        extra: Extra::default(),
    }
}

fn raw_fragment(xml: &str) -> Vec<RawXml> {
    // Built here from numbers and fixed names: always well-formed.
    RawXml::parse_fragment(xml, &Limits::default()).unwrap_or_default()
}

fn report_kind_label(kind: ReportKind) -> &'static str {
    match kind {
        ReportKind::Incident => "Incident",
        ReportKind::ThreatWarning => "Threat warning",
        ReportKind::IntelligenceSummary => "Intelligence summary",
        ReportKind::SpotReport => "Spot report",
        ReportKind::CivilianHarm => "Civilian harm",
        ReportKind::AirspaceAlert => "Airspace alert",
        ReportKind::PursuitAlert => "Pursuit alert",
        ReportKind::DeconflictionAlert => "Deconfliction alert",
        ReportKind::ProtectionWarning => "Protection of civilians warning",
        ReportKind::SupportAlert => "Support alert",
    }
}

/// Longest remarks text sent to TAK clients (phones show a few lines).
const MAX_REMARKS_CHARS: usize = 4_000;

fn remarks(text: String) -> Remarks {
    let text = match text.char_indices().nth(MAX_REMARKS_CHARS) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()),
        None => text,
    };
    Remarks {
        text,
        ..Remarks::default()
    }
}

/// Makes `event` a TAK shape (`u-d-f`) of a closed `ring` of `[lon, lat]`: its vertices as
/// links, its centre as the point; `None` for a ring without vertices.
fn shape(
    event: &mut Event,
    ring: &[[f64; 2]],
    name: &str,
    description: &str,
    (stroke, fill): (i32, i32),
) -> Option<()> {
    // The ring is closed: its last position repeats the first.
    let vertices = ring.get(..ring.len().saturating_sub(1)).unwrap_or_default();
    if vertices.is_empty() {
        return None;
    }
    let n_vertices = vertices.len() as f64;
    let (sum_lon, sum_lat) = vertices
        .iter()
        .fold((0.0, 0.0), |(lon, lat), [x, y]| (lon + x, lat + y));
    event.event_type = ZONE_TYPE.to_owned();
    event.how = "h-e".to_owned();
    event.point = liptako_cot::Point::new(sum_lat / n_vertices, sum_lon / n_vertices);
    event.detail.links = ring
        .iter()
        .map(|[lon, lat]| Link {
            extra: Extra {
                attributes: vec![("point".to_owned(), format!("{lat},{lon}"))],
                children: Vec::new(),
            },
            ..Link::default()
        })
        .collect();
    event.detail.contact = Some(contact(name));
    if !description.is_empty() {
        event.detail.remarks = Some(remarks(description.to_owned()));
    }
    event.detail.unknown = raw_fragment(&format!(
        "<strokeColor value=\"{stroke}\"/><strokeWeight value=\"3.0\"/>\
         <fillColor value=\"{fill}\"/><labels_on value=\"true\"/>"
    ));
    Some(())
}

/// ARGB colours (as TAK writes them: signed 32-bit) of a zone's stroke and fill.
fn zone_colours(kind: ZoneKind) -> (i32, i32) {
    let (stroke, fill): (u32, u32) = match kind {
        ZoneKind::Restricted => (0xFFFF_0000, 0x40FF_0000),
        ZoneKind::ProtectedSite => (0xFF00_00FF, 0x4000_00FF),
        ZoneKind::AreaOfOperations => (0xFFFF_FF00, 0x40FF_FF00),
    };
    (stroke as i32, fill as i32)
}

/// The CoT event TAK clients get for an object, at `now`: `None` for what has nothing to show
/// on a map (a report without location, a unit without position), a deletion, or what is no
/// longer valid. `stale` is the end of validity, or `object_stale` from now.
pub fn object_event(object: &Object, now: OffsetDateTime, object_stale: Duration) -> Option<Event> {
    if object.meta.deleted {
        return None;
    }
    let stale_at = object
        .meta
        .valid_until
        .unwrap_or_else(|| object.meta.updated.max(now) + object_stale);
    if stale_at <= now {
        return None;
    }
    let time = cot_time(object.meta.updated);
    let mut event = Event {
        uid: object.meta.id.to_string(),
        time,
        start: time,
        stale: cot_time(stale_at),
        marking: cot_marking(
            &object.meta.marking,
            object.meta.origin,
            object.meta.exercise.as_deref(),
        ),
        ..Event::default()
    };
    let point = |position: &Point| {
        let mut point = liptako_cot::Point::new(position.lat, position.lon);
        if let Some(alt_m) = position.alt_m {
            point.hae_m = alt_m;
        }
        point
    };
    match &object.body {
        Body::Unit(unit) => {
            let position = unit.position.as_ref()?;
            event.event_type = unit
                .symbol
                .as_deref()
                .and_then(Sidc::parse)
                .map(|sidc| cot_type_from_sidc(&sidc))
                .unwrap_or_else(|| DEFAULT_UNIT_TYPE.to_owned());
            event.how = if is_tak_unit_id(object.meta.id) {
                "m-g"
            } else {
                "h-e"
            }
            .to_owned();
            event.point = point(position);
            event.detail.contact = Some(contact(&unit.callsign));
            if unit.course_deg.is_some() || unit.speed_mps.is_some() {
                event.detail.track = Some(Track {
                    course_deg: unit.course_deg,
                    speed_mps: unit.speed_mps,
                    extra: Extra::default(),
                });
            }
        }
        Body::Report(report) => {
            let location = report.location.as_ref()?;
            event.event_type = REPORT_TYPE.to_owned();
            event.how = "h-e".to_owned();
            event.point = point(location);
            event.detail.contact = Some(contact(&report.title));
            let label = report_kind_label(report.kind);
            event.detail.remarks = Some(remarks(if report.body.is_empty() {
                label.to_owned()
            } else {
                format!("{label}: {}", report.body)
            }));
        }
        Body::Zone(zone) => shape(
            &mut event,
            zone.area.outer(),
            &zone.name,
            &zone.description,
            zone_colours(zone.kind),
        )?,
        // An operation's area as a shape (its first polygon's outer ring), coloured like an
        // area of operations; its intent in the remarks.
        Body::Operation(operation) => {
            let polygons = operation.area.polygons();
            let ring = polygons.first().map(|polygon| polygon.outer().to_vec())?;
            shape(
                &mut event,
                &ring,
                &operation.name,
                &operation.intent,
                zone_colours(ZoneKind::AreaOfOperations),
            )?;
        }
        // A pursuit notice as a marker where the units are now, its details in the remarks.
        Body::PursuitNotice(notice) => {
            let at = notice.track.last().unwrap_or(&notice.crossing_point);
            event.event_type = REPORT_TYPE.to_owned();
            event.how = "h-e".to_owned();
            event.point = point(at);
            event.detail.contact =
                Some(contact(&format!("Pursuit into {}", notice.nation_entered)));
            let crossed = notice
                .crossing_time
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            let mut text = format!(
                "Pursuit notice: {} unit(s) of {} entered {} at {crossed}, heading {:.0} deg; depth {:.1} km (deepest {:.1} km).",
                notice.units.len(),
                object.meta.origin,
                notice.nation_entered,
                notice.direction_deg,
                notice.depth_km,
                notice.max_depth_km
            );
            if !notice.limits_exceeded.is_empty() {
                let limits: Vec<&str> = notice.limits_exceeded.iter().map(|l| l.as_str()).collect();
                text.push_str(&format!(" Limits exceeded: {}.", limits.join(", ")));
            }
            if notice.ended.is_some() {
                text.push_str(" Ended: the units are back.");
            }
            event.detail.remarks = Some(remarks(text));
        }
        // A pooled asset as a marker where it is (or is based), its status in the remarks.
        Body::Asset(asset) => {
            event.event_type = REPORT_TYPE.to_owned();
            event.how = "h-e".to_owned();
            event.point = point(&asset.position.unwrap_or(asset.home_base));
            event.detail.contact = Some(contact(&asset.name));
            event.detail.remarks = Some(remarks(format!(
                "Pooled asset of {}: {:?}, {:?}.",
                object.meta.origin, asset.category, asset.status
            )));
        }
        // Acknowledgements, support requests and their answers are work between nations,
        // read in the web COP; they have no place on a TAK map; nor has an exercise's
        // definition (its objects carry `opex`).
        Body::Acknowledgement(_)
        | Body::SupportRequest(_)
        | Body::SupportResponse(_)
        | Body::Exercise(_) => {
            return None;
        }
    }
    Some(event)
}

/// A `t-x-d-d` event telling TAK clients to remove `uid` (of CoT type `cot_type`).
pub fn deletion_event(uid: &str, cot_type: &str, now: CotTime) -> Event {
    let mut event = Event {
        uid: Uuid::new_v4().to_string(),
        event_type: DELETE_TYPE.to_owned(),
        how: "h-g-i-g-o".to_owned(),
        time: now,
        start: now,
        stale: now.plus_ms(DELETE_STALE_MS),
        ..Event::default()
    };
    event.detail.links.push(Link {
        uid: Some(uid.to_owned()),
        link_type: Some(cot_type.to_owned()),
        relation: Some("none".to_owned()),
        extra: Extra::default(),
    });
    event.detail.unknown = raw_fragment("<__forcedelete/>");
    event
}

/// The uids a deletion event (`t-x-d-d`) names in its links.
pub fn deleted_uids(event: &Event) -> impl Iterator<Item = &str> {
    event
        .detail
        .links
        .iter()
        .filter_map(|link| link.uid.as_deref())
}

/// The CoT event of an air track.
pub fn air_track_event(track: &crate::picture::AirTrack) -> Event {
    let time = cot_time(track.time);
    let mut point = liptako_cot::Point::new(track.position.lat, track.position.lon);
    if let Some(alt_m) = track.position.alt_m {
        point.hae_m = alt_m;
    }
    let mut event = Event {
        uid: track.uid.clone(),
        event_type: track
            .cot_type
            .clone()
            .unwrap_or_else(|| format!("a-{}-A", track.identity.cot_letter())),
        how: "m-r".to_owned(),
        time,
        start: time,
        stale: time.plus_ms(track.stale_after.as_millis().min(u128::from(u64::MAX)) as u64),
        marking: cot_marking(&track.marking, track.origin, track.exercise.as_deref()),
        point,
        ..Event::default()
    };
    event.detail.contact = Some(contact(track.callsign.as_deref().unwrap_or(&track.uid)));
    if track.course_deg.is_some() || track.speed_mps.is_some() {
        event.detail.track = Some(Track {
            course_deg: track.course_deg,
            speed_mps: track.speed_mps,
            extra: Extra::default(),
        });
    }
    if let Some(text) = &track.remarks {
        event.detail.remarks = Some(remarks(text.clone()));
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::picture::{AirIdentity, AirTrack};
    use liptako_model::{
        Confederation, Draft, Expect, Levels, Polygon, Report, Role, SiteCategory, Zone,
        next_version,
    };
    use time::macros::datetime;

    fn nation(code: &str) -> Nation {
        Nation::parse(code).unwrap()
    }

    fn policy() -> Policy {
        Policy::new(
            Confederation::new("AES", vec![nation("MLI"), nation("BFA"), nation("NER")]).unwrap(),
            Levels::default(),
        )
    }

    fn cot(access: Option<&str>, releaseable_to: Option<&str>) -> liptako_cot::Marking {
        liptako_cot::Marking {
            access: access.map(str::to_owned),
            releaseable_to: releaseable_to.map(str::to_owned),
            ..liptako_cot::Marking::default()
        }
    }

    #[test]
    fn markings_read_from_clients() {
        let policy = policy();
        let mli = nation("MLI");
        let cleared_c = Principal::new("awa", mli, "C", Role::Editor);
        let default = Marking::new("NP", ["AES"]);
        let read = |marking| inbound_marking(&policy, &cleared_c, &default, mli, &marking);
        assert_eq!(read(cot(None, None)), Ok(default.clone()));
        assert_eq!(read(cot(Some("dr"), None)), Ok(Marking::new("DR", ["AES"])));
        assert_eq!(
            read(cot(Some("C"), Some("NER bfa"))),
            Ok(Marking::new("C", ["BFA", "NER"]))
        );
        // Only the origin: national.
        assert_eq!(
            read(cot(None, Some("MLI"))),
            Ok(Marking::new("NP", Vec::<String>::new()))
        );
        assert!(matches!(
            read(cot(Some("S"), None)),
            Err(MarkingRefusal::AboveClearance(_))
        ));
        assert!(matches!(
            read(cot(Some("Unclassified"), None)),
            Err(MarkingRefusal::Unknown(_))
        ));
        assert!(matches!(
            read(cot(None, Some("FRA"))),
            Err(MarkingRefusal::Unknown(_))
        ));
    }

    #[test]
    fn markings_round_trip_through_cot() {
        let policy = policy();
        let mli = nation("MLI");
        let reader = Principal::new("x", mli, "S", Role::Viewer);
        for marking in [
            Marking::new("DR", ["AES"]),
            Marking::new("C", ["BFA", "NER"]),
            Marking::new("S", Vec::<String>::new()),
        ] {
            let written = cot_marking(&marking, mli, Some("FLINTLOCK"));
            assert_eq!(written.opex.as_deref(), Some("e-FLINTLOCK"));
            let back = inbound_marking(
                &policy,
                &reader,
                &Marking::new("NP", ["AES"]),
                mli,
                &written,
            );
            assert_eq!(back, Ok(marking));
            assert_eq!(exercise_of(&written), Ok(Some("FLINTLOCK".into())));
        }
    }

    #[test]
    fn exercises_from_opex() {
        let opex = |text: &str| liptako_cot::Marking {
            opex: Some(text.to_owned()),
            ..liptako_cot::Marking::default()
        };
        assert_eq!(exercise_of(&opex("o")), Ok(None));
        assert_eq!(exercise_of(&opex("o-REAL")), Ok(None));
        assert_eq!(exercise_of(&opex("e")), Ok(Some(UNNAMED_EXERCISE.into())));
        assert_eq!(
            exercise_of(&opex("s-")),
            Ok(Some(UNNAMED_SIMULATION.into()))
        );
        assert_eq!(
            exercise_of(&opex("e-Flintlock 26")),
            Ok(Some("Flintlock 26".into()))
        );
        assert!(exercise_of(&opex("e-a/b")).is_err());
        assert_eq!(exercise_of(&liptako_cot::Marking::default()), Ok(None));
    }

    fn sa(uid: &str) -> Event {
        let xml = format!(
            r#"<event version="2.0" uid="{uid}" type="a-f-G-U-C-I" how="m-g" time="2024-03-14T09:26:53.535Z" start="2024-03-14T09:26:53.535Z" stale="2024-03-14T09:33:08.535Z"><point lat="14.3887" lon="0.7123" hae="312.5" ce="9999999.0" le="9999999.0"/><detail><takv platform="ATAK-CIV"/><contact endpoint="*:-1:stcp" callsign="FALCON 1"/><__group role="Team Lead" name="Cyan"/><track course="-30.5" speed="4.2"/></detail></event>"#
        );
        liptako_cot::decode_xml(xml.as_bytes(), &Limits::default()).unwrap()
    }

    #[test]
    fn position_reports_become_units() {
        let event = sa("ANDROID-1");
        assert!(is_unit_report(&event));
        assert!(is_self_report(&event));
        let unit = unit_from_event(&event, false).unwrap();
        assert_eq!(unit.callsign, "FALCON 1");
        assert_eq!(unit.symbol.as_deref(), Some("SFGPUCI--------"));
        assert_eq!(unit.position.unwrap().alt_m, Some(312.5));
        assert_eq!(unit.course_deg, Some(329.5));
        assert_eq!(unit.speed_mps, Some(4.2));
        // In an exercise, the symbol carries the exercise identity.
        assert_eq!(
            unit_from_event(&event, true).unwrap().symbol.as_deref(),
            Some("SDGPUCI--------")
        );
        let mut hostile = event.clone();
        hostile.event_type = "a-h-G".into();
        assert!(!is_unit_report(&hostile));
        let mut nameless = event;
        nameless.detail.contact = None;
        assert!(!is_unit_report(&nameless));
    }

    fn medevac_event(lines: &str, stale: &str) -> Event {
        let xml = format!(
            r#"<event version="2.0" uid="MED-1" type="b-r-f-h-c" how="h-g-i-g-o" time="2026-12-06T10:00:00Z" start="2026-12-06T10:00:00Z" stale="{stale}"><point lat="14.9" lon="0.4" hae="9999999.0" ce="9999999.0" le="9999999.0"/><detail><contact callsign="MEDIC &amp; 1"/><_medevac_ title="MED.1" {lines}/></detail></event>"#
        );
        liptako_cot::decode_xml(xml.as_bytes(), &Limits::default()).unwrap()
    }

    #[test]
    fn a_nine_line_becomes_a_medevac_request_with_its_urgency() {
        for (lines, priority) in [
            (r#"urgent="1" priority="2""#, SupportPriority::Urgent),
            (r#"urgent_surgical="1""#, SupportPriority::Urgent),
            (
                r#"urgent="0" priority="2" routine="1""#,
                SupportPriority::Priority,
            ),
            (r#"routine="3""#, SupportPriority::Routine),
            (r#"urgent="lots""#, SupportPriority::Routine),
            ("", SupportPriority::Routine),
        ] {
            let event = medevac_event(lines, "2026-12-06T12:00:00Z");
            let request = medevac_from_event(&event, vec![nation("BFA")]).unwrap();
            assert_eq!(request.priority, priority, "{lines}");
            assert_eq!(request.category, AssetCategory::Medevac);
            assert_eq!(request.purpose, SupportPurpose::Medevac);
            assert_eq!(request.addressed_to, vec![nation("BFA")]);
            assert_eq!(request.end, datetime!(2026-12-06 12:00 UTC));
            assert!(
                request.description.contains("MED.1 from MEDIC & 1"),
                "{}",
                request.description
            );
        }
        // A stale time not after the start: a six-hour window.
        let event = medevac_event(r#"urgent="1""#, "2026-12-06T10:00:00Z");
        let request = medevac_from_event(&event, vec![nation("BFA")]).unwrap();
        assert_eq!(request.end, datetime!(2026-12-06 16:00 UTC));
        // Addressed to nobody: refused by the object's own check.
        assert!(medevac_from_event(&event, Vec::new()).is_err());
        assert_eq!(
            medevac_request_id(nation("MLI"), "MED-1"),
            medevac_request_id(nation("MLI"), "MED-1")
        );
        assert_ne!(
            medevac_request_id(nation("MLI"), "MED-1"),
            medevac_request_id(nation("BFA"), "MED-1")
        );
        assert!(!is_tak_unit_id(medevac_request_id(nation("MLI"), "MED-1")));
    }

    #[test]
    fn tak_unit_ids_are_stable_tagged_and_per_nation() {
        let id = tak_unit_id(nation("MLI"), "ANDROID-1");
        assert_eq!(id, tak_unit_id(nation("MLI"), "ANDROID-1"));
        assert_ne!(id, tak_unit_id(nation("BFA"), "ANDROID-1"));
        assert_ne!(id, tak_unit_id(nation("MLI"), "ANDROID-2"));
        assert!(is_tak_unit_id(id));
        assert!(!is_tak_unit_id(Uuid::now_v7()));
    }

    #[test]
    fn distances() {
        let a = Point::new(14.0, 1.0);
        assert_eq!(distance_m(&a, &a), 0.0);
        // One degree of latitude is about 111 km.
        let d = distance_m(&a, &Point::new(15.0, 1.0));
        assert!((d - 111_195.0).abs() < 100.0, "{d}");
    }

    fn object(body: Body, exercise: Option<&str>) -> Object {
        next_version(
            None,
            Draft {
                id: Uuid::from_u128(42),
                origin: nation("BFA"),
                expect: Expect::New,
                at: datetime!(2026-11-24 10:00 UTC),
                marking: Marking::new("DR", ["MLI"]),
                valid_until: None,
                exercise: exercise.map(str::to_owned),
                body: Some(body),
            },
        )
        .unwrap()
    }

    #[test]
    fn objects_become_cot_with_their_marking() {
        let now = datetime!(2026-11-24 10:05 UTC);
        let stale = Duration::from_secs(3600);
        let unit = object(
            Body::Unit(Unit {
                callsign: "BRAVO 2".into(),
                symbol: Some("SFGPUCI--------".into()),
                position: Some(Point::new(13.5, 2.1)),
                course_deg: Some(90.0),
                speed_mps: None,
            }),
            Some("FLINTLOCK"),
        );
        let event = object_event(&unit, now, stale).unwrap();
        assert_eq!(event.uid, Uuid::from_u128(42).to_string());
        assert_eq!(event.event_type, "a-f-G-U-C-I");
        assert_eq!(event.callsign(), Some("BRAVO 2"));
        assert_eq!(event.marking.access.as_deref(), Some("DR"));
        assert_eq!(event.marking.releaseable_to.as_deref(), Some("MLI"));
        assert_eq!(event.marking.opex.as_deref(), Some("e-FLINTLOCK"));
        assert_eq!(event.stale, cot_time(now + stale));
        assert_eq!(event.detail.track.as_ref().unwrap().course_deg, Some(90.0));
        // Written and read back by the codec unchanged.
        let xml = liptako_cot::encode_xml(&event);
        assert_eq!(
            liptako_cot::decode_xml(&xml, &Limits::default()).unwrap(),
            event
        );

        let report = object(
            Body::Report(Report {
                kind: ReportKind::Incident,
                title: "Convoy hit".into(),
                body: "IED on RN16".into(),
                location: Some(Point::new(14.2, 0.9)),
            }),
            None,
        );
        let event = object_event(&report, now, stale).unwrap();
        assert_eq!(event.event_type, REPORT_TYPE);
        assert_eq!(event.callsign(), Some("Convoy hit"));
        assert_eq!(
            event.detail.remarks.as_ref().unwrap().text,
            "Incident: IED on RN16"
        );
        let mut nowhere = report.clone();
        if let Body::Report(report) = &mut nowhere.body {
            report.location = None;
        }
        assert!(object_event(&nowhere, now, stale).is_none());
        let mut expired = report;
        expired.meta.valid_until = Some(now - time::Duration::minutes(1));
        assert!(object_event(&expired, now, stale).is_none());

        let zone = object(
            Body::Zone(Zone {
                kind: ZoneKind::ProtectedSite,
                name: "School".into(),
                description: String::new(),
                category: Some(SiteCategory::School),
                area: Polygon::from_lat_lon(&[(14.0, 1.0), (14.0, 1.2), (14.2, 1.2), (14.2, 1.0)]),
            }),
            None,
        );
        let event = object_event(&zone, now, stale).unwrap();
        assert_eq!(event.event_type, ZONE_TYPE);
        assert_eq!(event.detail.links.len(), 5);
        assert!((event.point.lat_deg - 14.1).abs() < 1e-9);
        assert!((event.point.lon_deg - 1.1).abs() < 1e-9);
        let xml = String::from_utf8(liptako_cot::encode_xml(&event)).unwrap();
        assert!(xml.contains("<link point=\"14,1\"/>"), "{xml}");
        assert!(xml.contains("<strokeColor value=\"-16776961\"/>"), "{xml}");

        let operation = object(
            Body::Operation(Box::new(liptako_model::Operation {
                name: "SAHEL SHIELD".into(),
                lead_nation: Nation::parse("MLI").unwrap(),
                participating_nations: vec![Nation::parse("MLI").unwrap()],
                area: liptako_model::Area::MultiPolygon {
                    coordinates: vec![vec![vec![
                        [1.0, 14.0],
                        [1.2, 14.0],
                        [1.2, 14.2],
                        [1.0, 14.0],
                    ]]],
                },
                start: now,
                end: now + time::Duration::days(1),
                status: liptako_model::OperationStatus::Active,
                units: Vec::new(),
                intent: "Pursue".into(),
            })),
            None,
        );
        let event = object_event(&operation, now, stale).unwrap();
        assert_eq!(event.event_type, ZONE_TYPE);
        assert_eq!(event.detail.links.len(), 4);
        assert_eq!(event.callsign(), Some("SAHEL SHIELD"));
        assert_eq!(event.marking.access.as_deref(), Some("DR"));

        let notice = object(
            Body::PursuitNotice(Box::new(liptako_model::PursuitNotice {
                operation: Uuid::from_u128(1),
                units: vec![Uuid::from_u128(2)],
                nation_entered: Nation::parse("NER").unwrap(),
                crossing_point: Point::new(15.3, 1.9),
                crossing_time: now,
                direction_deg: 120.0,
                depth_km: 12.0,
                max_depth_km: 12.0,
                limits_exceeded: vec![liptako_model::PursuitLimit::Depth],
                ended: None,
                track: vec![Point::new(15.3, 1.9), Point::new(15.2, 2.1)],
            })),
            None,
        );
        let event = object_event(&notice, now, stale).unwrap();
        assert_eq!(event.event_type, REPORT_TYPE);
        assert_eq!(event.callsign(), Some("Pursuit into NER"));
        assert!((event.point.lat_deg - 15.2).abs() < 1e-9);
        let text = &event.detail.remarks.as_ref().unwrap().text;
        assert!(
            text.contains("entered NER")
                && text.contains("depth 12.0 km")
                && text.contains("Limits exceeded: depth"),
            "{text}"
        );
    }

    #[test]
    fn deletions_and_air_tracks() {
        let now = CotTime::from_unix_ms(1_700_000_000_000).unwrap();
        let deletion = deletion_event("ANDROID-1", "a-f-G", now);
        assert_eq!(deletion.event_type, DELETE_TYPE);
        assert_eq!(deleted_uids(&deletion).collect::<Vec<_>>(), ["ANDROID-1"]);
        let xml = String::from_utf8(liptako_cot::encode_xml(&deletion)).unwrap();
        assert!(xml.contains("<__forcedelete/>"), "{xml}");

        let track = AirTrack {
            uid: "MLI-air-7".into(),
            origin: nation("MLI"),
            marking: Marking::new("C", Vec::<String>::new()),
            exercise: None,
            time: datetime!(2026-11-24 10:00 UTC),
            position: Point {
                lat: 14.5,
                lon: 0.5,
                alt_m: Some(3000.0),
            },
            course_deg: Some(270.0),
            speed_mps: Some(120.0),
            identity: AirIdentity::Unknown,
            cot_type: None,
            callsign: Some("TRK 7".into()),
            remarks: Some("no transponder".into()),
            stale_after: Duration::from_secs(30),
        };
        let event = air_track_event(&track);
        assert_eq!(event.event_type, "a-u-A");
        assert_eq!(event.how, "m-r");
        assert_eq!(event.point.hae_m, 3000.0);
        assert_eq!(event.marking.releaseable_to.as_deref(), Some("MLI"));
        assert_eq!(event.stale.unix_ms() - event.time.unix_ms(), 30_000);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn token() -> impl Strategy<Value = &'static str> {
            prop::sample::select(vec!["AES", "aes", "MLI", "BFA", "NER", "ner", "FRA", "X1"])
        }

        fn releaseable() -> impl Strategy<Value = Option<String>> {
            prop::option::of(
                (
                    prop::collection::vec(token(), 0..4),
                    prop::sample::select(vec![" ", ",", ", "]),
                )
                    .prop_map(|(tokens, separator)| tokens.join(separator)),
            )
        }

        fn access() -> impl Strategy<Value = Option<String>> {
            prop::option::of(
                prop::sample::select(vec!["NP", "DR", "C", "S", "dr", "TS", "Unclassified", ""])
                    .prop_map(str::to_owned),
            )
        }

        fn principal() -> impl Strategy<Value = Principal> {
            (
                prop::sample::select(vec!["MLI", "BFA", "NER"]),
                prop::sample::select(vec!["NP", "DR", "C", "S"]),
            )
                .prop_map(|(code, clearance)| {
                    Principal::new("p", nation(code), clearance, liptako_model::Role::Viewer)
                })
        }

        proptest! {
            /// What a client's marking becomes is canonical, within the sender's clearance,
            /// and reads back the same from the attributes the server writes.
            #[test]
            fn inbound_markings_are_canonical_and_within_clearance(
                access in access(),
                releaseable_to in releaseable(),
                sender in principal(),
            ) {
                let policy = policy();
                let origin = nation("MLI");
                let cot = liptako_cot::Marking { access, releaseable_to, ..Default::default() };
                let default = Marking::new("NP", ["AES"]);
                match inbound_marking(&policy, &sender, &default, origin, &cot) {
                    Ok(marking) => {
                        prop_assert_eq!(policy.canonical(origin, &marking), Ok(marking.clone()));
                        prop_assert!(policy.check_may_mark(&sender, &marking).is_ok());
                        let written = cot_marking(&marking, origin, None);
                        prop_assert_eq!(
                            inbound_marking(&policy, &sender, &default, origin, &written),
                            Ok(marking)
                        );
                    }
                    Err(MarkingRefusal::AboveClearance(err)) => {
                        let level = cot.access.as_deref().unwrap_or("NP").to_ascii_uppercase();
                        let rank = policy.levels().rank(&level);
                        match err {
                            // A liaison officer may not hide what they send from their nation.
                            MarkingError::LiaisonMustKeep { .. } => {
                                prop_assert!(sender.nation != origin);
                            }
                            _ => prop_assert!(rank > policy.levels().rank(&sender.clearance)),
                        }
                    }
                    Err(MarkingRefusal::Unknown(_)) => {}
                }
            }

            /// Any position report either becomes a valid unit or is refused; never a panic.
            #[test]
            fn position_reports_become_valid_units_or_nothing(
                lat in prop_oneof![-100.0f64..100.0, Just(f64::NAN)],
                lon in prop_oneof![-200.0f64..200.0, Just(f64::INFINITY)],
                hae in prop_oneof![-2.0e4f64..2.0e6, Just(liptako_cot::Point::UNKNOWN)],
                course in prop::option::of(-720.0f64..720.0),
                speed in prop::option::of(-10.0f64..3000.0),
                callsign in "[ -~]{0,130}",
                exercise: bool,
            ) {
                let mut event = sa("uid-1");
                event.point = liptako_cot::Point { lat_deg: lat, lon_deg: lon, hae_m: hae, ce_m: 1.0, le_m: 1.0 };
                event.detail.track = Some(Track { course_deg: course, speed_mps: speed, extra: Extra::default() });
                if let Some(contact) = event.detail.contact.as_mut() {
                    contact.callsign = Some(callsign);
                }
                if let Ok(unit) = unit_from_event(&event, exercise) {
                    prop_assert!(Body::Unit(unit.clone()).check().is_ok());
                    prop_assert!(unit.course_deg.is_none_or(|course| (0.0..360.0).contains(&course)));
                }
            }
        }
    }
}
