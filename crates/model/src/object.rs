//! Objects: the envelope every object shares ([`Meta`]) and the kinds of body ([`Body`]).
//!
//! An [`Object`] serialises flat: the envelope's fields, a `"type"` tag, then the body's fields,
//! e.g. `{"id":..,"origin":"MLI","version":2,..,"marking":{..},"type":"report","kind":"incident",
//! "title":..}`. The same JSON is the API's answer, the store's payload and what federation
//! carries, so an object reads the same everywhere.
//!
//! Versions are made by one pure function, [`next_version`]: it applies a [`Draft`] to the
//! current state under the draft's precondition. Only the origin node calls it for an object.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::exercise::Exercise;
use crate::geo::{Area, BBox, GeoError, Geometry, Point, Polygon};
use crate::marking::{Marked, Marking};
use crate::nation::Nation;
use crate::pooled::{Asset, SupportRequest, SupportResponse};

/// The kinds of object, as they appear in API paths (`/api/v1/reports`) and in `"type"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ObjectType {
    /// A report: incident, threat warning, intelligence summary, spot report, civilian harm,
    /// airspace alert.
    Report,
    /// A friendly unit and its last position.
    Unit,
    /// An area: restricted airspace, protected civilian site, area of operations.
    Zone,
    /// A cross-border operation under unified command.
    Operation,
    /// A pursuit notice: a unit engaged in an operation entered a partner's territory. Raised
    /// by the node of the unit's nation, never written by a client.
    PursuitNotice,
    /// A nation's acknowledgement of another nation's object (a pursuit notice), linked to it
    /// by id: one step of a workflow between nations. Written through the act's own route.
    Acknowledgement,
    /// A pooled asset a nation contributes (aircraft, drone, medevac, ...), written by it.
    Asset,
    /// A request for support from one nation to others: the head of a workflow.
    SupportRequest,
    /// An addressed nation's answer to a support request (approved, declined, tasked,
    /// completed), linked to it by id. Written through the act's own routes.
    SupportResponse,
    /// A joint exercise: its name is the world its objects carry; written by the directing
    /// nation.
    Exercise,
}

impl ObjectType {
    /// Every type, in a fixed order.
    pub const ALL: [ObjectType; 10] = [
        ObjectType::Report,
        ObjectType::Unit,
        ObjectType::Zone,
        ObjectType::Operation,
        ObjectType::PursuitNotice,
        ObjectType::Acknowledgement,
        ObjectType::Asset,
        ObjectType::SupportRequest,
        ObjectType::SupportResponse,
        ObjectType::Exercise,
    ];

    /// `report`, `unit`, `zone`, `operation`, `pursuit_notice`, `acknowledgement`, `asset`,
    /// `support_request`, `support_response`, `exercise`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ObjectType::Report => "report",
            ObjectType::Unit => "unit",
            ObjectType::Zone => "zone",
            ObjectType::Operation => "operation",
            ObjectType::PursuitNotice => "pursuit_notice",
            ObjectType::Acknowledgement => "acknowledgement",
            ObjectType::Asset => "asset",
            ObjectType::SupportRequest => "support_request",
            ObjectType::SupportResponse => "support_response",
            ObjectType::Exercise => "exercise",
        }
    }

    /// Whether clients create, change and delete objects of this type through the generic
    /// object routes. Pursuit notices are the node's own acts, and acknowledgements are made
    /// by the act's route (`POST /api/v1/pursuit-notices/{id}/acknowledge`), which checks who
    /// may make it.
    pub fn client_writable(&self) -> bool {
        match self {
            ObjectType::Report
            | ObjectType::Unit
            | ObjectType::Zone
            | ObjectType::Operation
            | ObjectType::Asset
            | ObjectType::SupportRequest
            | ObjectType::Exercise => true,
            ObjectType::PursuitNotice
            | ObjectType::Acknowledgement
            | ObjectType::SupportResponse => false,
        }
    }

    /// Parses the tag written by [`ObjectType::as_str`].
    pub fn parse(text: &str) -> Option<ObjectType> {
        ObjectType::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// The envelope of every object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Meta {
    /// Unique id, chosen by the origin node.
    pub id: Uuid,
    /// The nation whose node originated the object; only that node changes it.
    pub origin: Nation,
    /// 1 for the first version, then +1 per change (deletion included).
    pub version: u64,
    /// When version 1 was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// When this version was made.
    #[serde(with = "time::serde::rfc3339")]
    pub updated: OffsetDateTime,
    /// After this time the object is no longer current.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub valid_until: Option<OffsetDateTime>,
    /// Classification and releasability.
    pub marking: Marking,
    /// The exercise the object belongs to; absent for real-world data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exercise: Option<String>,
    /// A deletion is a version too: a tombstone, kept for replication and history.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

/// One object: envelope and body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Object {
    /// Id, origin, version, times, marking, exercise.
    #[serde(flatten)]
    pub meta: Meta,
    /// What the object is.
    #[serde(flatten)]
    pub body: Body,
}

// utoipa's derive cannot flatten a struct and a tagged enum side by side; the schema is what
// serde writes: the envelope's fields and the body's, in one JSON object.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Object {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::AllOfBuilder::new()
            .item(utoipa::openapi::Ref::from_schema_name("Meta"))
            .item(utoipa::openapi::Ref::from_schema_name("Body"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Object {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push(("Meta".into(), <Meta as utoipa::PartialSchema>::schema()));
        schemas.push(("Body".into(), <Body as utoipa::PartialSchema>::schema()));
        <Meta as utoipa::ToSchema>::schemas(schemas);
        <Body as utoipa::ToSchema>::schemas(schemas);
    }
}

impl Marked for Object {
    fn origin(&self) -> Nation {
        self.meta.origin
    }
    fn marking(&self) -> &Marking {
        &self.meta.marking
    }
    fn world(&self) -> Option<&str> {
        self.meta.exercise.as_deref()
    }
    fn is_deleted(&self) -> bool {
        self.meta.deleted
    }
}

impl Marked for Meta {
    fn origin(&self) -> Nation {
        self.origin
    }
    fn marking(&self) -> &Marking {
        &self.marking
    }
    fn world(&self) -> Option<&str> {
        self.exercise.as_deref()
    }
    fn is_deleted(&self) -> bool {
        self.deleted
    }
}

impl Object {
    /// The object's type.
    pub fn object_type(&self) -> ObjectType {
        self.body.object_type()
    }

    /// The GeoJSON geometry, when the object has a position or an area.
    pub fn geometry(&self) -> Option<Geometry> {
        self.body.geometry()
    }

    /// Whether the object is no longer current at `now`.
    pub fn expired_at(&self, now: OffsetDateTime) -> bool {
        self.meta.valid_until.is_some_and(|until| until <= now)
    }
}

/// What an object is; the `"type"` tag in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    /// A report.
    Report(Report),
    /// A unit.
    Unit(Unit),
    /// A zone.
    Zone(Zone),
    /// An operation (boxed, as the larger bodies are, so that drafts stay small).
    Operation(Box<Operation>),
    /// A pursuit notice.
    PursuitNotice(Box<PursuitNotice>),
    /// An acknowledgement.
    Acknowledgement(Acknowledgement),
    /// A pooled asset.
    Asset(Box<Asset>),
    /// A support request.
    SupportRequest(Box<SupportRequest>),
    /// An answer to a support request.
    SupportResponse(SupportResponse),
    /// A joint exercise.
    Exercise(Box<Exercise>),
}

impl Body {
    /// The type of this body.
    pub fn object_type(&self) -> ObjectType {
        match self {
            Body::Report(_) => ObjectType::Report,
            Body::Unit(_) => ObjectType::Unit,
            Body::Zone(_) => ObjectType::Zone,
            Body::Operation(_) => ObjectType::Operation,
            Body::PursuitNotice(_) => ObjectType::PursuitNotice,
            Body::Acknowledgement(_) => ObjectType::Acknowledgement,
            Body::Asset(_) => ObjectType::Asset,
            Body::SupportRequest(_) => ObjectType::SupportRequest,
            Body::SupportResponse(_) => ObjectType::SupportResponse,
            Body::Exercise(_) => ObjectType::Exercise,
        }
    }

    /// The object this one is a step about, in a workflow between nations (an
    /// acknowledgement's notice); see `crate::workflow`.
    pub fn refers_to(&self) -> Option<Uuid> {
        match self {
            Body::Acknowledgement(ack) => Some(ack.refers_to),
            Body::SupportResponse(response) => Some(response.refers_to),
            Body::Report(_)
            | Body::Unit(_)
            | Body::Zone(_)
            | Body::Operation(_)
            | Body::PursuitNotice(_)
            | Body::Asset(_)
            | Body::SupportRequest(_)
            | Body::Exercise(_) => None,
        }
    }

    /// The GeoJSON geometry, when there is a position or an area.
    pub fn geometry(&self) -> Option<Geometry> {
        match self {
            Body::Report(report) => report.location.map(Geometry::from),
            Body::Unit(unit) => unit.position.map(Geometry::from),
            Body::Zone(zone) => Some(Geometry::Polygon {
                coordinates: zone.area.coordinates.clone(),
            }),
            Body::Operation(operation) => Some(operation.area.geometry()),
            Body::PursuitNotice(notice) => Some(Geometry::from(notice.crossing_point)),
            Body::Acknowledgement(_) | Body::SupportResponse(_) | Body::Exercise(_) => None,
            // Where it is if known, else where it is based.
            Body::Asset(asset) => Some(Geometry::from(asset.position.unwrap_or(asset.home_base))),
            Body::SupportRequest(request) => match (&request.location, &request.area) {
                (Some(point), _) => Some(Geometry::from(*point)),
                (None, Some(area)) => Some(Geometry::Polygon {
                    coordinates: area.coordinates.clone(),
                }),
                (None, None) => None,
            },
        }
    }

    /// The bounding box of the geometry.
    pub fn bbox(&self) -> Option<BBox> {
        match self {
            Body::Report(Report {
                location: Some(point),
                ..
            })
            | Body::Unit(Unit {
                position: Some(point),
                ..
            }) => Some(BBox {
                west: point.lon,
                south: point.lat,
                east: point.lon,
                north: point.lat,
            }),
            Body::Report(_) | Body::Unit(_) => None,
            Body::Zone(_)
            | Body::Operation(_)
            | Body::PursuitNotice(_)
            | Body::Asset(_)
            | Body::SupportRequest(_) => self.geometry().and_then(|geometry| geometry.bbox()),
            Body::Acknowledgement(_) | Body::SupportResponse(_) | Body::Exercise(_) => None,
        }
    }

    /// The words a free-text search (`q=`) looks in.
    pub fn search_text(&self) -> String {
        match self {
            Body::Report(report) => format!("{}\n{}", report.title, report.body),
            Body::Unit(unit) => format!(
                "{}\n{}",
                unit.callsign,
                unit.symbol.as_deref().unwrap_or("")
            ),
            Body::Zone(zone) => format!("{}\n{}", zone.name, zone.description),
            Body::Operation(operation) => format!("{}\n{}", operation.name, operation.intent),
            Body::PursuitNotice(notice) => {
                format!("{}\n{}", notice.operation, notice.nation_entered)
            }
            // The id it refers to, so that a store query can narrow to one workflow by text.
            Body::Acknowledgement(ack) => format!("{}\n{}", ack.refers_to, ack.text),
            Body::Asset(asset) => format!(
                "{}\n{}\n{}",
                asset.name,
                asset.category.as_str(),
                asset.capabilities.tags.join(" ")
            ),
            Body::SupportRequest(request) => format!(
                "{}\n{}\n{}",
                request.purpose.as_str(),
                request.category.as_str(),
                request.description
            ),
            Body::SupportResponse(response) => {
                format!("{}\n{}", response.refers_to, response.text)
            }
            Body::Exercise(exercise) => {
                format!("{}\n{}", exercise.name, exercise.control.join(" "))
            }
        }
    }

    /// The sub-kind used by the `kind=` filter: a report's kind, a zone's kind, none for units.
    pub fn kind_str(&self) -> Option<&'static str> {
        match self {
            Body::Report(report) => Some(report.kind.as_str()),
            Body::Unit(_)
            | Body::PursuitNotice(_)
            | Body::Acknowledgement(_)
            | Body::SupportResponse(_) => None,
            Body::Asset(asset) => Some(asset.category.as_str()),
            Body::SupportRequest(request) => Some(request.priority.as_str()),
            Body::Zone(zone) => Some(zone.kind.as_str()),
            Body::Operation(operation) => Some(operation.status.as_str()),
            Body::Exercise(exercise) => Some(exercise.status.as_str()),
        }
    }

    /// Checks every field of the body.
    pub fn check(&self) -> Result<(), InvalidObject> {
        match self {
            Body::Report(report) => {
                check_text("title", &report.title, 1, MAX_TITLE_CHARS)?;
                check_text("body", &report.body, 0, MAX_BODY_CHARS)?;
                if let Some(location) = &report.location {
                    location.check().map_err(InvalidObject::geo("location"))?;
                }
                Ok(())
            }
            Body::Unit(unit) => {
                check_text("callsign", &unit.callsign, 1, MAX_NAME_CHARS)?;
                if let Some(symbol) = &unit.symbol {
                    check_symbol_code(symbol)?;
                }
                if let Some(position) = &unit.position {
                    position.check().map_err(InvalidObject::geo("position"))?;
                }
                if let Some(course) = unit.course_deg
                    && (!course.is_finite() || !(0.0..360.0).contains(&course))
                {
                    return Err(InvalidObject::new("course_deg", "must be in 0..360"));
                }
                if let Some(speed) = unit.speed_mps
                    && (!speed.is_finite() || !(0.0..=2000.0).contains(&speed))
                {
                    return Err(InvalidObject::new("speed_mps", "must be in 0..2000"));
                }
                Ok(())
            }
            Body::Zone(zone) => {
                check_text("name", &zone.name, 1, MAX_NAME_CHARS)?;
                check_text("description", &zone.description, 0, MAX_BODY_CHARS)?;
                zone.area.check().map_err(InvalidObject::geo("area"))?;
                if zone.category.is_some() && zone.kind != ZoneKind::ProtectedSite {
                    return Err(InvalidObject::new(
                        "category",
                        "only a protected_site has a category",
                    ));
                }
                Ok(())
            }
            Body::Operation(operation) => operation.check(),
            Body::PursuitNotice(notice) => notice.check(),
            Body::Acknowledgement(ack) => {
                check_text("by", &ack.by, 1, MAX_NAME_CHARS)?;
                check_text("text", &ack.text, 0, MAX_BODY_CHARS)
            }
            Body::Asset(asset) => asset.check(),
            Body::SupportRequest(request) => request.check(),
            Body::SupportResponse(response) => response.check(),
            Body::Exercise(exercise) => exercise.check(),
        }
    }
}

/// Most units one operation lists.
pub const MAX_OPERATION_UNITS: usize = 1000;
/// Most positions kept in a pursuit notice's track.
pub const MAX_TRACK_POINTS: usize = 2000;

/// A cross-border operation under unified command. Units listed in an active operation are
/// *engaged*: their node raises a pursuit notice when one enters a partner's territory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Operation {
    /// Its name.
    pub name: String,
    /// The nation in command.
    pub lead_nation: Nation,
    /// Every nation taking part, the lead included.
    pub participating_nations: Vec<Nation>,
    /// Where it runs: a GeoJSON `Polygon` or `MultiPolygon` (it may span borders).
    pub area: Area,
    /// Start of the time window.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub start: OffsetDateTime,
    /// End of the time window.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub end: OffsetDateTime,
    /// `planned`, `active` or `ended`.
    pub status: OperationStatus,
    /// The participating units, by unit id (TAK units included).
    #[serde(default)]
    pub units: Vec<Uuid>,
    /// The commander's intent.
    #[serde(default)]
    pub intent: String,
}

impl Operation {
    /// Whether `unit` is engaged in this operation: listed, and the operation active.
    pub fn engages(&self, unit: Uuid) -> bool {
        self.status == OperationStatus::Active && self.units.contains(&unit)
    }

    fn check(&self) -> Result<(), InvalidObject> {
        check_text("name", &self.name, 1, MAX_NAME_CHARS)?;
        check_text("intent", &self.intent, 0, MAX_BODY_CHARS)?;
        self.area.check().map_err(InvalidObject::geo("area"))?;
        if self.participating_nations.is_empty() {
            return Err(InvalidObject::new(
                "participating_nations",
                "must name at least the lead nation",
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(twice) = self
            .participating_nations
            .iter()
            .find(|nation| !seen.insert(**nation))
        {
            return Err(InvalidObject {
                field: "participating_nations",
                reason: format!("names {twice} twice"),
            });
        }
        if !self.participating_nations.contains(&self.lead_nation) {
            return Err(InvalidObject {
                field: "lead_nation",
                reason: format!("{} must be one of participating_nations", self.lead_nation),
            });
        }
        if self.end <= self.start {
            return Err(InvalidObject::new("end", "must be after start"));
        }
        if self.units.len() > MAX_OPERATION_UNITS {
            return Err(InvalidObject {
                field: "units",
                reason: format!(
                    "lists {} units; at most {MAX_OPERATION_UNITS} are allowed",
                    self.units.len()
                ),
            });
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(twice) = self.units.iter().find(|unit| !seen.insert(**unit)) {
            return Err(InvalidObject {
                field: "units",
                reason: format!("lists {twice} twice"),
            });
        }
        Ok(())
    }
}

/// Where an operation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OperationStatus {
    /// Not started: its units are not engaged.
    Planned,
    /// Running: its units are engaged.
    Active,
    /// Over.
    Ended,
}

impl OperationStatus {
    /// Every status.
    pub const ALL: [OperationStatus; 3] = [
        OperationStatus::Planned,
        OperationStatus::Active,
        OperationStatus::Ended,
    ];

    /// The snake_case name (the `kind=` filter of operations).
    pub fn as_str(&self) -> &'static str {
        match self {
            OperationStatus::Planned => "planned",
            OperationStatus::Active => "active",
            OperationStatus::Ended => "ended",
        }
    }
}

/// A pursuit notice: units engaged in an operation entered a partner's territory. The node of
/// the units' nation raises it within seconds of the crossing, updates the current depth while
/// the pursuit lasts, and ends it (with the track of the incursion) when they are back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PursuitNotice {
    /// The operation the units are engaged in.
    pub operation: Uuid,
    /// The units in pursuit.
    pub units: Vec<Uuid>,
    /// The nation whose territory was entered.
    pub nation_entered: Nation,
    /// Where the units crossed (the first position inside).
    pub crossing_point: Point,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub crossing_time: OffsetDateTime,
    /// Direction of travel at the crossing, degrees clockwise from true north.
    pub direction_deg: f64,
    /// Current distance inside the territory entered (to its nearest border), km.
    pub depth_km: f64,
    /// Greatest depth reached, km.
    pub max_depth_km: f64,
    /// Limits of the agreement exceeded so far: `depth`, `duration`.
    #[serde(default)]
    pub limits_exceeded: Vec<PursuitLimit>,
    /// When the units were back (absent while the pursuit lasts).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub ended: Option<OffsetDateTime>,
    /// The positions of the incursion, thinned, oldest first.
    #[serde(default)]
    pub track: Vec<Point>,
}

impl PursuitNotice {
    fn check(&self) -> Result<(), InvalidObject> {
        if self.units.is_empty() {
            return Err(InvalidObject::new("units", "must name at least one unit"));
        }
        self.crossing_point
            .check()
            .map_err(InvalidObject::geo("crossing_point"))?;
        if !self.direction_deg.is_finite() || !(0.0..360.0).contains(&self.direction_deg) {
            return Err(InvalidObject::new("direction_deg", "must be in 0..360"));
        }
        for (field, km) in [
            ("depth_km", self.depth_km),
            ("max_depth_km", self.max_depth_km),
        ] {
            if !km.is_finite() || km < 0.0 {
                return Err(InvalidObject::new(field, "must be a distance >= 0"));
            }
        }
        if self.track.len() > MAX_TRACK_POINTS {
            return Err(InvalidObject::new("track", "has too many positions"));
        }
        for point in &self.track {
            point.check().map_err(InvalidObject::geo("track"))?;
        }
        Ok(())
    }
}

/// A limit of the pursuit agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PursuitLimit {
    /// Deeper than `[pursuit] max_depth_km`.
    Depth,
    /// Longer than `[pursuit] max_duration`.
    Duration,
}

impl PursuitLimit {
    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            PursuitLimit::Depth => "depth",
            PursuitLimit::Duration => "duration",
        }
    }
}

/// One nation's acknowledgement of another's object (a pursuit notice): its own object, linked
/// by id, released back to the other nation. When: the envelope's `created`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Acknowledgement {
    /// The object acknowledged.
    pub refers_to: Uuid,
    /// The user who acknowledged it.
    pub by: String,
    /// What they said.
    #[serde(default)]
    pub text: String,
}

/// Longest report or zone title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest free text (report body, zone description), in characters.
pub const MAX_BODY_CHARS: usize = 32_768;
/// Longest callsign or zone name, in characters.
pub const MAX_NAME_CHARS: usize = 120;
/// Longest exercise name, in characters.
pub const MAX_EXERCISE_CHARS: usize = 64;

pub(crate) fn check_text(
    field: &'static str,
    text: &str,
    min: usize,
    max: usize,
) -> Result<(), InvalidObject> {
    let n_chars = text.chars().count();
    if n_chars < min {
        return Err(InvalidObject::new(field, "must not be empty"));
    }
    if n_chars > max {
        return Err(InvalidObject {
            field,
            reason: format!("is {n_chars} characters long; at most {max} are allowed"),
        });
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(InvalidObject::new(field, "contains control characters"));
    }
    Ok(())
}

/// Checks the shape of an APP-6 / MIL-STD-2525 symbol identification code: the 15-character
/// letter code of 2525C/APP-6(C) (`SFGPUCI----K---`), or the 20- or 30-digit code of
/// 2525D/E and APP-6(D/E).
pub fn check_symbol_code(code: &str) -> Result<(), InvalidObject> {
    let letters = code.len() == 15
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'*');
    let digits = (code.len() == 20 || code.len() == 30) && code.bytes().all(|b| b.is_ascii_digit());
    if letters || digits {
        Ok(())
    } else {
        Err(InvalidObject::new(
            "symbol",
            "expected a 15-character 2525C/APP-6C code (e.g. SFGPUCI----K---) or a 20/30-digit 2525D/E code",
        ))
    }
}

/// Checks an exercise name: 1 to 64 letters, digits, space, `-`, `_` or `.`.
pub fn check_exercise_name(name: &str) -> Result<(), InvalidObject> {
    let ok = !name.trim().is_empty()
        && name.chars().count() <= MAX_EXERCISE_CHARS
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(InvalidObject::new(
            "exercise",
            "use 1 to 64 letters, digits, spaces, '-', '_' or '.'",
        ))
    }
}

/// A report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// What kind of report.
    pub kind: ReportKind,
    /// One line.
    pub title: String,
    /// Free text.
    #[serde(default)]
    pub body: String,
    /// Where it happened, if anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Point>,
}

/// The report forms of the common doctrine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// Something happened.
    Incident,
    /// A threat is expected.
    ThreatWarning,
    /// An intelligence summary (INTSUM).
    IntelligenceSummary,
    /// A spot report from the field.
    SpotReport,
    /// Harm to civilians.
    CivilianHarm,
    /// An airspace event the air picture raised: a border crossing, a track without
    /// transponder, an emergency squawk, an entry into a restricted zone.
    AirspaceAlert,
    /// A pursuit that needs attention: a limit of the agreement exceeded, a notice not
    /// acknowledged in time, a notice that cannot be released to the nation entered.
    PursuitAlert,
    /// Units of different nations close to each other outside a common operation, or two
    /// nations' operations overlapping in space and time. Raised by one owner's node.
    DeconflictionAlert,
    /// An operation's area, or an engaged unit, at or near a protected civilian site.
    ProtectionWarning,
    /// A support request not answered within its priority's expected response time.
    SupportAlert,
}

impl ReportKind {
    /// Every kind.
    pub const ALL: [ReportKind; 10] = [
        ReportKind::Incident,
        ReportKind::ThreatWarning,
        ReportKind::IntelligenceSummary,
        ReportKind::SpotReport,
        ReportKind::CivilianHarm,
        ReportKind::AirspaceAlert,
        ReportKind::PursuitAlert,
        ReportKind::DeconflictionAlert,
        ReportKind::ProtectionWarning,
        ReportKind::SupportAlert,
    ];

    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            ReportKind::Incident => "incident",
            ReportKind::ThreatWarning => "threat_warning",
            ReportKind::IntelligenceSummary => "intelligence_summary",
            ReportKind::SpotReport => "spot_report",
            ReportKind::CivilianHarm => "civilian_harm",
            ReportKind::AirspaceAlert => "airspace_alert",
            ReportKind::PursuitAlert => "pursuit_alert",
            ReportKind::DeconflictionAlert => "deconfliction_alert",
            ReportKind::ProtectionWarning => "protection_warning",
            ReportKind::SupportAlert => "support_alert",
        }
    }
}

/// A friendly unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Unit {
    /// Its callsign.
    pub callsign: String,
    /// APP-6 / MIL-STD-2525 symbol code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(example = "SFGPUCI----K---"))]
    pub symbol: Option<String>,
    /// Last known position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Point>,
    /// Course over ground, degrees clockwise from true north.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub course_deg: Option<f64>,
    /// Speed over ground, metres per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed_mps: Option<f64>,
}

/// An area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Zone {
    /// What kind of area.
    pub kind: ZoneKind,
    /// Its name.
    pub name: String,
    /// More about it.
    #[serde(default)]
    pub description: String,
    /// For a protected civilian site: what it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<SiteCategory>,
    /// The area, a GeoJSON polygon.
    pub area: Polygon,
}

/// Kinds of zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ZoneKind {
    /// Restricted or prohibited airspace or ground.
    Restricted,
    /// A protected civilian site (school, health centre, market, camp).
    ProtectedSite,
    /// The area of an operation.
    AreaOfOperations,
}

impl ZoneKind {
    /// Every kind.
    pub const ALL: [ZoneKind; 3] = [
        ZoneKind::Restricted,
        ZoneKind::ProtectedSite,
        ZoneKind::AreaOfOperations,
    ];

    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            ZoneKind::Restricted => "restricted",
            ZoneKind::ProtectedSite => "protected_site",
            ZoneKind::AreaOfOperations => "area_of_operations",
        }
    }
}

/// What a protected civilian site is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SiteCategory {
    /// A school.
    School,
    /// A health centre or hospital.
    HealthCentre,
    /// A market.
    Market,
    /// A camp of displaced persons or refugees.
    DisplacedPersonsCamp,
    /// A place of worship.
    PlaceOfWorship,
    /// A water point.
    WaterPoint,
    /// Anything else to protect.
    Other,
}

/// What a writer asks for: the new content of an object and the precondition it is made under.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// The object's id (new for a creation).
    pub id: Uuid,
    /// The nation making the change: the origin (only the origin node writes).
    pub origin: Nation,
    /// What must hold for the write to apply.
    pub expect: Expect,
    /// When the change is made.
    pub at: OffsetDateTime,
    /// The marking of the new version.
    pub marking: Marking,
    /// The end of validity of the new version.
    pub valid_until: Option<OffsetDateTime>,
    /// The exercise (only on creation; an object never changes world).
    pub exercise: Option<String>,
    /// The new body; `None` deletes (the tombstone keeps the last body).
    pub body: Option<Body>,
}

/// The precondition of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The object must not exist yet.
    New,
    /// The object must be at exactly this version (optimistic concurrency).
    Version(u64),
    /// Create or replace whatever is there (for feeds that own their objects, such as TAK SA).
    Any,
}

/// Why a write did not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteConflict {
    /// Creation of an id that exists.
    #[error("object {0} already exists")]
    Exists(Uuid),
    /// The object is not there (or is deleted).
    #[error("object {0} does not exist")]
    NotFound(Uuid),
    /// The precondition named another version than the current one.
    #[error("version {expected} is stale: the object is at version {current}")]
    Stale { expected: u64, current: u64 },
    /// The object belongs to another nation's node.
    #[error("object {id} is a replica of an object of {origin}; only {origin} changes it")]
    NotOrigin { id: Uuid, origin: Nation },
    /// A change may not change the object's type or exercise.
    #[error("a change may not alter the object's {0}")]
    Immutable(&'static str),
}

/// Makes the next version of an object from its current state and a draft: the only place
/// where versions are numbered. Pure: the store calls it inside its write transaction.
pub fn next_version(current: Option<&Object>, draft: Draft) -> Result<Object, WriteConflict> {
    let live = current.filter(|object| !object.meta.deleted);
    if let Some(object) = current
        && object.meta.origin != draft.origin
    {
        return Err(WriteConflict::NotOrigin {
            id: object.meta.id,
            origin: object.meta.origin,
        });
    }
    match (draft.expect, live) {
        (Expect::New, Some(_)) => return Err(WriteConflict::Exists(draft.id)),
        (Expect::New, None) if current.is_some() => return Err(WriteConflict::Exists(draft.id)),
        (Expect::Version(_), None) => return Err(WriteConflict::NotFound(draft.id)),
        (Expect::Version(expected), Some(object)) if object.meta.version != expected => {
            return Err(WriteConflict::Stale {
                expected,
                current: object.meta.version,
            });
        }
        _ => {}
    }
    match (live, draft.body) {
        (None, None) => Err(WriteConflict::NotFound(draft.id)),
        (Some(object), None) => {
            let mut tombstone = object.clone();
            tombstone.meta.version += 1;
            tombstone.meta.updated = draft.at;
            tombstone.meta.deleted = true;
            // The tombstone keeps the last marking, so it reaches exactly those who held it.
            Ok(tombstone)
        }
        (Some(object), Some(body)) => {
            if body.object_type() != object.object_type() {
                return Err(WriteConflict::Immutable("type"));
            }
            if draft.exercise != object.meta.exercise {
                return Err(WriteConflict::Immutable("exercise"));
            }
            Ok(Object {
                meta: Meta {
                    id: object.meta.id,
                    origin: object.meta.origin,
                    version: object.meta.version + 1,
                    created: object.meta.created,
                    updated: draft.at,
                    valid_until: draft.valid_until,
                    marking: draft.marking,
                    exercise: object.meta.exercise.clone(),
                    deleted: false,
                },
                body,
            })
        }
        (None, Some(body)) => {
            // A deleted object re-created by an `Any` writer continues its version line, so
            // replicas that hold the tombstone accept the new version.
            let version = current.map_or(1, |object| object.meta.version + 1);
            let created = current.map_or(draft.at, |object| object.meta.created);
            Ok(Object {
                meta: Meta {
                    id: draft.id,
                    origin: draft.origin,
                    version,
                    created,
                    updated: draft.at,
                    valid_until: draft.valid_until,
                    marking: draft.marking,
                    exercise: draft.exercise,
                    deleted: false,
                },
                body,
            })
        }
    }
}

/// A field that fails its check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InvalidObject {
    /// The field's name.
    pub field: &'static str,
    /// What is wrong.
    pub reason: String,
}

impl InvalidObject {
    /// An error for `field`.
    pub fn new(field: &'static str, reason: &str) -> InvalidObject {
        InvalidObject {
            field,
            reason: reason.to_owned(),
        }
    }

    pub(crate) fn geo(field: &'static str) -> impl Fn(GeoError) -> InvalidObject {
        move |err| InvalidObject {
            field,
            reason: err.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn nation(code: &str) -> Nation {
        Nation::parse(code).unwrap()
    }

    fn report(title: &str) -> Body {
        Body::Report(Report {
            kind: ReportKind::Incident,
            title: title.into(),
            body: String::new(),
            location: Some(Point::new(14.2, 0.9)),
        })
    }

    fn draft(expect: Expect, body: Option<Body>) -> Draft {
        Draft {
            id: Uuid::from_u128(7),
            origin: nation("MLI"),
            expect,
            at: datetime!(2026-11-24 10:00 UTC),
            marking: Marking::new("DR", ["AES"]),
            valid_until: None,
            exercise: None,
            body,
        }
    }

    #[test]
    fn versions_count_up_and_keep_creation_time() {
        let v1 = next_version(None, draft(Expect::New, Some(report("a")))).unwrap();
        assert_eq!(v1.meta.version, 1);
        let mut change = draft(Expect::Version(1), Some(report("b")));
        change.at = datetime!(2026-11-24 11:00 UTC);
        let v2 = next_version(Some(&v1), change).unwrap();
        assert_eq!(v2.meta.version, 2);
        assert_eq!(v2.meta.created, v1.meta.created);
        assert_eq!(v2.meta.updated, datetime!(2026-11-24 11:00 UTC));
        let v3 = next_version(Some(&v2), draft(Expect::Version(2), None)).unwrap();
        assert!(v3.meta.deleted);
        assert_eq!(v3.meta.version, 3);
    }

    #[test]
    fn preconditions() {
        let v1 = next_version(None, draft(Expect::New, Some(report("a")))).unwrap();
        assert_eq!(
            next_version(Some(&v1), draft(Expect::New, Some(report("a")))),
            Err(WriteConflict::Exists(v1.meta.id))
        );
        assert_eq!(
            next_version(Some(&v1), draft(Expect::Version(4), Some(report("a")))),
            Err(WriteConflict::Stale {
                expected: 4,
                current: 1
            })
        );
        assert_eq!(
            next_version(None, draft(Expect::Version(1), Some(report("a")))),
            Err(WriteConflict::NotFound(v1.meta.id))
        );
        let mut foreign = draft(Expect::Version(1), Some(report("a")));
        foreign.origin = nation("BFA");
        assert!(matches!(
            next_version(Some(&v1), foreign),
            Err(WriteConflict::NotOrigin { .. })
        ));
        let mut moved = draft(Expect::Version(1), Some(report("a")));
        moved.exercise = Some("Flintlock".into());
        assert_eq!(
            next_version(Some(&v1), moved),
            Err(WriteConflict::Immutable("exercise"))
        );
    }

    #[test]
    fn upsert_after_delete_continues_the_version_line() {
        let v1 = next_version(None, draft(Expect::Any, Some(report("a")))).unwrap();
        let v2 = next_version(Some(&v1), draft(Expect::Any, None)).unwrap();
        let v3 = next_version(Some(&v2), draft(Expect::Any, Some(report("c")))).unwrap();
        assert_eq!((v3.meta.version, v3.meta.deleted), (3, false));
    }

    #[test]
    fn json_is_flat_with_a_type_tag() {
        let v1 = next_version(None, draft(Expect::New, Some(report("Convoy hit")))).unwrap();
        let json = serde_json::to_value(&v1).unwrap();
        assert_eq!(json["type"], "report");
        assert_eq!(json["kind"], "incident");
        assert_eq!(json["origin"], "MLI");
        assert_eq!(json["marking"]["releasable_to"][0], "AES");
        assert_eq!(json["created"], "2026-11-24T10:00:00Z");
        let back: Object = serde_json::from_value(json).unwrap();
        assert_eq!(back, v1);
    }

    #[test]
    fn body_checks() {
        assert!(report("").check().is_err());
        assert!(report(&"x".repeat(201)).check().is_err());
        assert!(report("ok").check().is_ok());
        let unit = Body::Unit(Unit {
            callsign: "ALPHA 1".into(),
            symbol: Some("SFGPUCI----K---".into()),
            position: None,
            course_deg: Some(360.0),
            speed_mps: None,
        });
        assert_eq!(unit.check().unwrap_err().field, "course_deg");
        assert!(check_symbol_code("10031000001211000000").is_ok());
        assert!(check_symbol_code("nonsense").is_err());
        let operation = |lead: &str, units: Vec<u128>, area: serde_json::Value| {
            serde_json::from_value::<Operation>(serde_json::json!({
                "name": "SAHEL SHIELD", "lead_nation": lead,
                "participating_nations": ["MLI", "NER"], "area": area,
                "start": "2026-12-06T00:00:00Z", "end": "2026-12-08T00:00:00Z",
                "status": "active",
                "units": units.into_iter().map(Uuid::from_u128).collect::<Vec<_>>(),
            }))
            .map(|operation| Body::Operation(Box::new(operation)))
        };
        let square = serde_json::json!({"type": "Polygon",
            "coordinates": [[[1.0, 15.0], [2.0, 15.0], [2.0, 16.0], [1.0, 15.0]]]});
        let ok = operation("MLI", vec![1, 2], square.clone()).unwrap();
        assert!(ok.check().is_ok());
        assert_eq!(ok.kind_str(), Some("active"));
        assert_eq!(
            operation("BFA", vec![1], square.clone())
                .unwrap()
                .check()
                .unwrap_err()
                .field,
            "lead_nation"
        );
        assert_eq!(
            operation("MLI", vec![1, 1], square.clone())
                .unwrap()
                .check()
                .unwrap_err()
                .field,
            "units"
        );
        let multi = serde_json::json!({"type": "MultiPolygon", "coordinates": [
            [[[1.0, 15.0], [2.0, 15.0], [2.0, 16.0], [1.0, 15.0]]],
            [[[3.0, 15.0], [4.0, 15.0], [4.0, 16.0]]]]});
        let open_ring = operation("MLI", vec![], multi)
            .unwrap()
            .check()
            .unwrap_err();
        assert_eq!(open_ring.field, "area");
        assert!(
            open_ring.reason.contains("polygon 1"),
            "{}",
            open_ring.reason
        );
        assert!(
            operation(
                "MLI",
                vec![],
                serde_json::json!({"type": "Point", "coordinates": [1, 2]})
            )
            .is_err()
        );
        assert!(check_exercise_name("Flintlock 26").is_ok());
        assert!(check_exercise_name("a/b").is_err());
    }
}
