//! Pooled means: the [`Asset`]s each nation contributes to the confederation, and the
//! [`SupportRequest`]s one nation addresses to others, answered by [`SupportResponse`]s.
//!
//! An asset is written by its contributing nation. A support request is written by the
//! requesting nation and is the head of a workflow (`crate::workflow`): each addressed nation
//! answers with its own `support_response` object linked to the request by id (approved,
//! declined, tasked, completed); the requester cancels by changing its own request
//! (`cancelled`). Every node derives the request's state from the objects it holds.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::geo::{Point, Polygon};
use crate::nation::Nation;
use crate::object::{InvalidObject, MAX_BODY_CHARS, MAX_NAME_CHARS, check_text};

/// Most capability tags of one asset.
pub const MAX_TAGS: usize = 32;
/// Longest capability tag, in characters.
pub const MAX_TAG_CHARS: usize = 64;
/// Most availability windows of one asset.
pub const MAX_WINDOWS: usize = 100;
/// Most nations one request is addressed to, and most assets one answer names.
pub const MAX_LISTED: usize = 32;
/// Longest notice to move, minutes (a month).
pub const MAX_NOTICE_TO_MOVE_MIN: u32 = 43_200;
/// Most casualties an asset is said to carry.
pub const MAX_CASUALTIES: u32 = 1000;

/// A pooled asset: what a nation contributes, where it is based, whether it is available.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Asset {
    /// Its name or callsign.
    pub name: String,
    /// What kind of asset.
    pub category: AssetCategory,
    /// What it can do.
    #[serde(default)]
    pub capabilities: Capabilities,
    /// Where it is based.
    pub home_base: Point,
    /// Where it is now, if known. When `unit` is set, a read shows the position of that unit
    /// instead, if the reader may see the unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Point>,
    /// The unit it moves with (its position follows the unit's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Uuid>,
    /// `available`, `tasked`, `maintenance` or `unavailable`.
    pub status: AssetStatus,
    /// When it can be asked for.
    #[serde(default)]
    pub availability: Vec<Window>,
    /// Notice to move, minutes (at most a month).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 43200))]
    pub notice_to_move_min: Option<u32>,
}

impl Asset {
    pub(crate) fn check(&self) -> Result<(), InvalidObject> {
        check_text("name", &self.name, 1, MAX_NAME_CHARS)?;
        self.capabilities.check()?;
        self.home_base
            .check()
            .map_err(InvalidObject::geo("home_base"))?;
        if let Some(position) = &self.position {
            position.check().map_err(InvalidObject::geo("position"))?;
        }
        if self
            .notice_to_move_min
            .is_some_and(|minutes| minutes > MAX_NOTICE_TO_MOVE_MIN)
        {
            return Err(InvalidObject::new(
                "notice_to_move_min",
                "must be 0 to 43200 (a month)",
            ));
        }
        if self.availability.len() > MAX_WINDOWS {
            return Err(InvalidObject {
                field: "availability",
                reason: format!(
                    "lists {} windows; at most {MAX_WINDOWS} are allowed",
                    self.availability.len()
                ),
            });
        }
        for window in &self.availability {
            if window.end <= window.start {
                return Err(InvalidObject::new(
                    "availability",
                    "each window's end must be after its start",
                ));
            }
        }
        Ok(())
    }
}

/// What an asset can do: free tags, and figures where they matter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// Free tags (`night`, `eo/ir`, `winch`, ...).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Range, km.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_km: Option<f64>,
    /// Endurance, hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endurance_h: Option<f64>,
    /// Payload, kg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_kg: Option<f64>,
    /// Casualties carried at once (medical evacuation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000))]
    pub casualties: Option<u32>,
}

impl Capabilities {
    fn check(&self) -> Result<(), InvalidObject> {
        if self.tags.len() > MAX_TAGS {
            return Err(InvalidObject::new(
                "capabilities.tags",
                "too many tags (at most 32)",
            ));
        }
        for tag in &self.tags {
            check_text("capabilities.tags", tag, 1, MAX_TAG_CHARS)?;
        }
        if self.casualties.is_some_and(|n| n > MAX_CASUALTIES) {
            return Err(InvalidObject::new(
                "capabilities.casualties",
                "must be 0 to 1000",
            ));
        }
        for (field, figure) in [
            ("capabilities.range_km", self.range_km),
            ("capabilities.endurance_h", self.endurance_h),
            ("capabilities.payload_kg", self.payload_kg),
        ] {
            if let Some(value) = figure
                && (!value.is_finite() || !(0.0..=1.0e7).contains(&value))
            {
                return Err(InvalidObject::new(field, "must be a number >= 0"));
            }
        }
        Ok(())
    }
}

/// A time window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Start.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub start: OffsetDateTime,
    /// End.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub end: OffsetDateTime,
}

/// Kinds of pooled asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AssetCategory {
    /// Fixed-wing aircraft.
    FixedWing,
    /// Helicopter.
    Helicopter,
    /// ISR drone.
    IsrDrone,
    /// Medical evacuation.
    Medevac,
    /// Transport.
    Transport,
    /// Engineering.
    Engineering,
    /// Air surveillance radar.
    AirSurveillanceRadar,
    /// Logistics.
    Logistics,
    /// Anything else.
    Other,
}

impl AssetCategory {
    /// Every category.
    pub const ALL: [AssetCategory; 9] = [
        AssetCategory::FixedWing,
        AssetCategory::Helicopter,
        AssetCategory::IsrDrone,
        AssetCategory::Medevac,
        AssetCategory::Transport,
        AssetCategory::Engineering,
        AssetCategory::AirSurveillanceRadar,
        AssetCategory::Logistics,
        AssetCategory::Other,
    ];

    /// The snake_case name (the `kind=` filter of assets).
    pub fn as_str(&self) -> &'static str {
        match self {
            AssetCategory::FixedWing => "fixed_wing",
            AssetCategory::Helicopter => "helicopter",
            AssetCategory::IsrDrone => "isr_drone",
            AssetCategory::Medevac => "medevac",
            AssetCategory::Transport => "transport",
            AssetCategory::Engineering => "engineering",
            AssetCategory::AirSurveillanceRadar => "air_surveillance_radar",
            AssetCategory::Logistics => "logistics",
            AssetCategory::Other => "other",
        }
    }
}

/// Whether an asset can be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AssetStatus {
    /// Ready.
    Available,
    /// On a task.
    Tasked,
    /// In maintenance.
    Maintenance,
    /// Not available.
    Unavailable,
}

/// A request for support from one nation to others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SupportRequest {
    /// The asset asked for by id, if a named one (else any of `category`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<Uuid>,
    /// The kind of asset needed.
    pub category: AssetCategory,
    /// What for.
    pub purpose: SupportPurpose,
    /// `routine`, `priority` or `urgent`: each has an expected response time (`[support]`).
    pub priority: SupportPriority,
    /// The nations asked; the request's marking must release it to each of them.
    pub addressed_to: Vec<Nation>,
    /// Where, as a point (give `location` or `area`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Point>,
    /// Where, as an area (give `location` or `area`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<Polygon>,
    /// From when.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub start: OffsetDateTime,
    /// Until when.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub end: OffsetDateTime,
    /// What is needed, in words.
    #[serde(default)]
    pub description: String,
    /// The operation it supports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<Uuid>,
    /// When the requesting nation cancelled it (`POST .../cancel`; absent: not cancelled).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub cancelled: Option<OffsetDateTime>,
    /// Why it was cancelled.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cancel_reason: String,
}

impl SupportRequest {
    pub(crate) fn check(&self) -> Result<(), InvalidObject> {
        check_text("description", &self.description, 0, MAX_BODY_CHARS)?;
        check_text("cancel_reason", &self.cancel_reason, 0, MAX_BODY_CHARS)?;
        if self.addressed_to.is_empty() {
            return Err(InvalidObject::new(
                "addressed_to",
                "must name at least one nation",
            ));
        }
        if self.addressed_to.len() > MAX_LISTED {
            return Err(InvalidObject::new("addressed_to", "names too many nations"));
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(twice) = self.addressed_to.iter().find(|n| !seen.insert(**n)) {
            return Err(InvalidObject {
                field: "addressed_to",
                reason: format!("names {twice} twice"),
            });
        }
        match (&self.location, &self.area) {
            (Some(point), None) => point.check().map_err(InvalidObject::geo("location"))?,
            (None, Some(area)) => area.check().map_err(InvalidObject::geo("area"))?,
            (Some(_), Some(_)) => {
                return Err(InvalidObject::new(
                    "location",
                    "give location or area, not both",
                ));
            }
            (None, None) => {
                return Err(InvalidObject::new(
                    "location",
                    "where: give location (a point) or area (a polygon)",
                ));
            }
        }
        if self.end <= self.start {
            return Err(InvalidObject::new("end", "must be after start"));
        }
        Ok(())
    }
}

/// What support is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SupportPurpose {
    /// Intelligence, surveillance, reconnaissance.
    Isr,
    /// Medical evacuation.
    Medevac,
    /// Transport.
    Transport,
    /// Engineering.
    Engineering,
    /// Logistics.
    Logistics,
    /// Air surveillance.
    AirSurveillance,
}

impl SupportPurpose {
    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            SupportPurpose::Isr => "isr",
            SupportPurpose::Medevac => "medevac",
            SupportPurpose::Transport => "transport",
            SupportPurpose::Engineering => "engineering",
            SupportPurpose::Logistics => "logistics",
            SupportPurpose::AirSurveillance => "air_surveillance",
        }
    }
}

/// How soon an answer is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SupportPriority {
    /// `[support] routine`.
    Routine,
    /// `[support] priority`.
    Priority,
    /// `[support] urgent`.
    Urgent,
}

impl SupportPriority {
    /// Every priority.
    pub const ALL: [SupportPriority; 3] = [
        SupportPriority::Routine,
        SupportPriority::Priority,
        SupportPriority::Urgent,
    ];

    /// The snake_case name (the `kind=` filter of support requests).
    pub fn as_str(&self) -> &'static str {
        match self {
            SupportPriority::Routine => "routine",
            SupportPriority::Priority => "priority",
            SupportPriority::Urgent => "urgent",
        }
    }
}

/// An addressed nation's answer to a support request: its own object, linked by id, released
/// back to the requesting nation. When: the envelope's `created`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SupportResponse {
    /// The support request answered.
    pub refers_to: Uuid,
    /// `approved`, `declined`, `tasked` or `completed`.
    pub decision: SupportDecision,
    /// The user who answered.
    pub by: String,
    /// The assets tasked, by id (approved, tasked).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<Uuid>,
    /// When the support is expected on site (approved, tasked).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub eta: Option<OffsetDateTime>,
    /// Start of the window the assets are committed for (absent: the request's).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub start: Option<OffsetDateTime>,
    /// End of that window (absent: the request's).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub end: Option<OffsetDateTime>,
    /// The reason (a decline) or a remark.
    #[serde(default)]
    pub text: String,
}

impl SupportResponse {
    pub(crate) fn check(&self) -> Result<(), InvalidObject> {
        check_text("by", &self.by, 1, MAX_NAME_CHARS)?;
        check_text("text", &self.text, 0, MAX_BODY_CHARS)?;
        if self.assets.len() > MAX_LISTED {
            return Err(InvalidObject::new("assets", "names too many assets"));
        }
        if let (Some(start), Some(end)) = (self.start, self.end)
            && end <= start
        {
            return Err(InvalidObject::new("end", "must be after start"));
        }
        if self.decision == SupportDecision::Declined && self.text.trim().is_empty() {
            return Err(InvalidObject::new("reason", "a decline says why"));
        }
        Ok(())
    }
}

/// What an answer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SupportDecision {
    /// Refused.
    Declined,
    /// Agreed, with the assets and the expected time.
    Approved,
    /// The assets are on the task.
    Tasked,
    /// Done.
    Completed,
}

impl SupportDecision {
    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            SupportDecision::Declined => "declined",
            SupportDecision::Approved => "approved",
            SupportDecision::Tasked => "tasked",
            SupportDecision::Completed => "completed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::Body;

    fn asset(fields: serde_json::Value) -> Result<Body, String> {
        let mut json = serde_json::json!({
            "name": "PUMA 21", "category": "helicopter",
            "home_base": {"lat": 12.5, "lon": -7.9}, "status": "available",
        });
        for (key, value) in fields.as_object().into_iter().flatten() {
            json[key] = value.clone();
        }
        serde_json::from_value::<Asset>(json)
            .map(|asset| Body::Asset(Box::new(asset)))
            .map_err(|err| err.to_string())
    }

    fn request(fields: serde_json::Value) -> Result<Body, String> {
        let mut json = serde_json::json!({
            "category": "medevac", "purpose": "medevac", "priority": "urgent",
            "addressed_to": ["MLI"], "location": {"lat": 14.9, "lon": 0.4},
            "start": "2026-12-06T12:00:00Z", "end": "2026-12-06T18:00:00Z",
        });
        for (key, value) in fields.as_object().into_iter().flatten() {
            json[key] = value.clone();
        }
        serde_json::from_value::<SupportRequest>(json)
            .map(|request| Body::SupportRequest(Box::new(request)))
            .map_err(|err| err.to_string())
    }

    fn field(body: Result<Body, String>) -> &'static str {
        body.unwrap().check().unwrap_err().field
    }

    #[test]
    fn assets_are_checked_field_by_field() {
        assert!(asset(serde_json::json!({})).unwrap().check().is_ok());
        assert_eq!(field(asset(serde_json::json!({"name": ""}))), "name");
        assert_eq!(
            field(asset(serde_json::json!({"capabilities": {"range_km": -1}}))),
            "capabilities.range_km"
        );
        assert_eq!(
            field(asset(serde_json::json!({"capabilities": {"tags": [""]}}))),
            "capabilities.tags"
        );
        assert_eq!(
            field(asset(serde_json::json!({"notice_to_move_min": 50_000}))),
            "notice_to_move_min"
        );
        assert_eq!(
            field(asset(serde_json::json!({"availability": [
                {"start": "2026-12-07T00:00:00Z", "end": "2026-12-06T00:00:00Z"}]}))),
            "availability"
        );
        let unknown = asset(serde_json::json!({"category": "tank"})).unwrap_err();
        assert!(unknown.contains("isr_drone"), "{unknown}");
        assert!(asset(serde_json::json!({"colour": "green"})).is_err());
        let json = serde_json::to_value(asset(serde_json::json!({})).unwrap()).unwrap();
        assert_eq!(json["category"], "helicopter");
        assert!(json.get("position").is_none());
    }

    #[test]
    fn requests_are_checked_field_by_field() {
        assert!(request(serde_json::json!({})).unwrap().check().is_ok());
        assert_eq!(
            field(request(serde_json::json!({"addressed_to": []}))),
            "addressed_to"
        );
        assert_eq!(
            field(request(serde_json::json!({"addressed_to": ["MLI", "MLI"]}))),
            "addressed_to"
        );
        assert_eq!(
            field(request(serde_json::json!({"end": "2026-12-06T11:00:00Z"}))),
            "end"
        );
        assert_eq!(
            field(request(serde_json::json!({"location": null}))),
            "location"
        );
        let both = request(serde_json::json!({"area": {"type": "Polygon",
            "coordinates": [[[1.0, 15.0], [2.0, 15.0], [2.0, 16.0], [1.0, 15.0]]]}}));
        assert_eq!(field(both), "location");
        let area = request(
            serde_json::json!({"location": null, "area": {"type": "Polygon",
            "coordinates": [[[1.0, 15.0], [2.0, 15.0], [2.0, 16.0], [1.0, 15.0]]]}}),
        )
        .unwrap();
        assert!(area.check().is_ok());
        assert_eq!(area.kind_str(), Some("urgent"));
        assert!(area.bbox().is_some());
        let decline = Body::SupportResponse(SupportResponse {
            refers_to: Uuid::from_u128(1),
            decision: SupportDecision::Declined,
            by: "mli_dr".into(),
            assets: Vec::new(),
            eta: None,
            start: None,
            end: None,
            text: " ".into(),
        });
        assert_eq!(decline.check().unwrap_err().field, "reason");
        assert_eq!(decline.refers_to(), Some(Uuid::from_u128(1)));
    }
}
