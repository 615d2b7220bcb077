//! Liptako objects to STIX 2.1: the one place the mapping out is written.
//!
//! A report version becomes a group of objects, all with the same `created` and `modified`
//! (the version's times), made by the origin nation's `identity` (`created_by_ref`) and marked
//! by `object_marking_refs` to the definition that states the marking exactly and to the TLP
//! 2.0 definition the table derives from it:
//!
//! | Liptako | STIX |
//! |---|---|
//! | every report | `report` (`name` = title, `description` = body, `report_types`, `published` = creation; kind, Liptako id, origin, version, validity and exercise in a property extension) |
//! | its location | `location` (latitude, longitude) |
//! | `intelligence_summary` | also a `note` (abstract = title, content = body) |
//! | `incident`, `spot_report`, `civilian_harm`, `airspace_alert` | also a `sighting` of the report, where: the location (or the origin nation) |
//! | `threat_warning` | the `report` alone (`threat-report`): an `indicator` needs a STIX pattern, which a warning has not |
//!
//! Units, zones and air tracks are not intelligence and are not exported ([`ExportError`]).
//! Nothing here describes a person: identities are nations and the confederation
//! (`identity_class` `organization`). The meta objects (identities, extension definitions,
//! marking definitions, TLP) are made by [`Exporter::meta_objects`], once per collection.
//!
//! Which objects may be exported to whom is not decided here: the caller filters with the
//! marking rule before calling [`Exporter::export`].

use liptako_model::{Body, Marking, Nation, Object, Policy, Report, ReportKind};
use serde_json::{Map, Value, json};

use crate::ids::{Part, format_id, named_uuid, part_uuid, report_uuid};
use crate::marking::{META_CREATED, Markings, Tlp, TlpTable};
use crate::timestamp;

/// Why an object is not exported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// Not a report: units, zones and air tracks are not intelligence.
    #[error("a {0} is not intelligence and is not exported to STIX (reports only)")]
    NotAReport(&'static str),
    /// A deletion.
    #[error("object {0} is deleted")]
    Deleted(uuid::Uuid),
}

/// Makes STIX objects for one confederation (its marking definitions and TLP table).
#[derive(Debug, Clone)]
pub struct Exporter {
    markings: Markings,
    tlp: TlpTable,
    members: Vec<Nation>,
}

/// The STIX `report_types` of a kind.
fn report_types(kind: ReportKind) -> &'static str {
    match kind {
        ReportKind::ThreatWarning | ReportKind::IntelligenceSummary => "threat-report",
        ReportKind::Incident
        | ReportKind::SpotReport
        | ReportKind::CivilianHarm
        | ReportKind::AirspaceAlert
        | ReportKind::PursuitAlert
        | ReportKind::DeconflictionAlert
        | ReportKind::ProtectionWarning
        | ReportKind::SupportAlert => "observed-data",
    }
}

/// The part a kind is exported with besides its report and location.
pub fn kind_part(kind: ReportKind) -> Option<Part> {
    match kind {
        ReportKind::IntelligenceSummary => Some(Part::Note),
        ReportKind::Incident
        | ReportKind::SpotReport
        | ReportKind::CivilianHarm
        | ReportKind::AirspaceAlert
        | ReportKind::PursuitAlert
        | ReportKind::DeconflictionAlert
        | ReportKind::ProtectionWarning
        | ReportKind::SupportAlert => Some(Part::Sighting),
        ReportKind::ThreatWarning => None,
    }
}

/// The `identity` id of a nation.
pub fn nation_identity_id(nation: Nation) -> String {
    format_id(
        "identity",
        named_uuid(&format!("identity:nation:{}", nation.as_str())),
    )
}

impl Exporter {
    /// An exporter for `policy`'s confederation, deriving TLP with `tlp`.
    pub fn new(policy: &Policy, tlp: TlpTable) -> Exporter {
        Exporter {
            markings: Markings::new(policy),
            tlp,
            members: policy.confederation().members().to_vec(),
        }
    }

    /// The marking definitions.
    pub fn markings(&self) -> &Markings {
        &self.markings
    }

    /// The TLP table.
    pub fn tlp(&self) -> &TlpTable {
        &self.tlp
    }

    /// The `identity` id of the confederation.
    pub fn confederation_identity_id(&self) -> String {
        format_id(
            "identity",
            named_uuid(&format!(
                "identity:confederation:{}",
                self.markings.confederation()
            )),
        )
    }

    /// The id of the extension definition of report properties (kind, Liptako id, ...).
    pub fn report_extension_id(&self) -> String {
        format_id(
            "extension-definition",
            named_uuid(&format!(
                "extension:report:{}",
                self.markings.confederation()
            )),
        )
    }

    /// `object_marking_refs` for `marking`: its exact definition, then its TLP.
    pub fn marking_refs(&self, marking: &Marking) -> Value {
        json!([
            self.markings.definition_id(marking),
            self.tlp.derive(marking).id()
        ])
    }

    /// The objects every collection starts with: the confederation's and each member's
    /// identity, the two extension definitions, the TLP 2.0 definitions, and the definition of
    /// every canonical marking `include` accepts (e.g. those at or below a caller's clearance).
    /// Fixed content and times: they never change.
    pub fn meta_objects(&self, include: impl Fn(&Marking) -> bool) -> Vec<Value> {
        let meta_marking = self.markings.meta_marking();
        let refs = self.marking_refs(&meta_marking);
        let confederation_id = self.confederation_identity_id();
        let mut objects = vec![json!({
            "type": "identity",
            "spec_version": "2.1",
            "id": confederation_id,
            "created": META_CREATED,
            "modified": META_CREATED,
            "name": self.markings.confederation(),
            "description": "The confederation whose nodes share this intelligence.",
            "identity_class": "organization",
            "sectors": ["government-national", "defense"],
            "object_marking_refs": refs,
        })];
        for nation in &self.members {
            objects.push(json!({
                "type": "identity",
                "spec_version": "2.1",
                "id": nation_identity_id(*nation),
                "created": META_CREATED,
                "modified": META_CREATED,
                "name": nation.as_str(),
                "description": format!("The national node of {} in {}.", nation.as_str(), self.markings.confederation()),
                "identity_class": "organization",
                "sectors": ["government-national", "defense"],
                "created_by_ref": confederation_id,
                "object_marking_refs": refs,
            }));
        }
        let mut marking_extension = self.markings.extension_definition(&confederation_id);
        if let Some(object) = marking_extension.as_object_mut() {
            object.insert("object_marking_refs".into(), refs.clone());
        }
        objects.push(marking_extension);
        objects.push(json!({
            "type": "extension-definition",
            "spec_version": "2.1",
            "id": self.report_extension_id(),
            "created_by_ref": confederation_id,
            "created": META_CREATED,
            "modified": META_CREATED,
            "name": format!("{} report", self.markings.confederation()),
            "description": "What a Liptako report is besides its STIX properties.",
            "schema": "Properties: liptako_id (the object's UUID on its origin node); kind (incident, threat_warning, intelligence_summary, spot_report, civilian_harm, airspace_alert); origin (ISO 3166-1 alpha-3 of the originating nation); version (1, 2, ...); valid_until (timestamp, optional); exercise (the exercise it belongs to, optional).",
            "version": "1.0.0",
            "extension_types": ["property-extension"],
            "object_marking_refs": refs,
        }));
        objects.extend(Tlp::ALL.into_iter().map(Tlp::definition));
        objects.extend(
            self.markings
                .all()
                .iter()
                .filter(|marking| include(marking))
                .map(|marking| self.markings.definition(marking)),
        );
        objects
    }

    /// The STIX objects of one report version: the `report` first, then its parts. The
    /// object's marking must be canonical (as stored).
    pub fn export(&self, object: &Object) -> Result<Vec<Value>, ExportError> {
        let report = match &object.body {
            Body::Report(report) => report,
            other => return Err(ExportError::NotAReport(other.object_type().as_str())),
        };
        if object.meta.deleted {
            return Err(ExportError::Deleted(object.meta.id));
        }
        let meta = &object.meta;
        let report_id = format_id("report", report_uuid(meta.id));
        let creator = nation_identity_id(meta.origin);
        let created = timestamp::format(meta.created);
        let modified = timestamp::format(meta.updated.max(meta.created));
        let refs = self.marking_refs(&meta.marking);
        let common = |object_type: &str, id: &str| -> Map<String, Value> {
            let mut map = Map::new();
            map.insert("type".into(), object_type.into());
            map.insert("spec_version".into(), "2.1".into());
            map.insert("id".into(), id.into());
            map.insert("created".into(), created.clone().into());
            map.insert("modified".into(), modified.clone().into());
            map.insert("created_by_ref".into(), creator.clone().into());
            map.insert("object_marking_refs".into(), refs.clone());
            map
        };
        let part_id =
            |part: Part| format_id(part.stix_type(), part_uuid(report_uuid(meta.id), part));

        let mut parts = Vec::new();
        let location_id = report.location.map(|point| {
            let id = part_id(Part::Location);
            let mut location = common("location", &id);
            location.insert("latitude".into(), point.lat.into());
            location.insert("longitude".into(), point.lon.into());
            parts.push(Value::Object(location));
            id
        });
        match kind_part(report.kind) {
            Some(Part::Note) => {
                let id = part_id(Part::Note);
                let mut note = common("note", &id);
                note.insert("abstract".into(), report.title.clone().into());
                let content = if report.body.is_empty() {
                    report.title.clone()
                } else {
                    report.body.clone()
                };
                note.insert("content".into(), content.into());
                note.insert("object_refs".into(), json!([report_id]));
                parts.push(Value::Object(note));
            }
            Some(Part::Sighting) => {
                let id = part_id(Part::Sighting);
                let mut sighting = common("sighting", &id);
                sighting.insert("sighting_of_ref".into(), report_id.clone().into());
                let where_sighted = location_id.clone().unwrap_or_else(|| creator.clone());
                sighting.insert("where_sighted_refs".into(), json!([where_sighted]));
                sighting.insert("first_seen".into(), created.clone().into());
                sighting.insert("last_seen".into(), modified.clone().into());
                sighting.insert("count".into(), 1.into());
                parts.push(Value::Object(sighting));
            }
            Some(Part::Location) | None => {}
        }

        let mut object_refs: Vec<Value> = parts
            .iter()
            .filter_map(|part| part.get("id").cloned())
            .collect();
        if object_refs.is_empty() {
            // A report must refer to something; without a location or part, to its author.
            object_refs.push(creator.clone().into());
        }
        let mut stix_report = common("report", &report_id);
        stix_report.insert("name".into(), report.title.clone().into());
        if !report.body.is_empty() {
            stix_report.insert("description".into(), report.body.clone().into());
        }
        stix_report.insert("report_types".into(), json!([report_types(report.kind)]));
        stix_report.insert("published".into(), created.clone().into());
        stix_report.insert("object_refs".into(), Value::Array(object_refs));
        stix_report.insert(
            "extensions".into(),
            json!({ self.report_extension_id(): self.report_extension(object, report) }),
        );
        let mut objects = vec![Value::Object(stix_report)];
        objects.extend(parts);
        Ok(objects)
    }

    fn report_extension(&self, object: &Object, report: &Report) -> Value {
        let meta = &object.meta;
        let mut extension = Map::new();
        extension.insert("extension_type".into(), "property-extension".into());
        extension.insert("liptako_id".into(), meta.id.hyphenated().to_string().into());
        extension.insert("kind".into(), report.kind.as_str().into());
        extension.insert("origin".into(), meta.origin.as_str().into());
        extension.insert("version".into(), meta.version.into());
        if let Some(until) = meta.valid_until {
            extension.insert("valid_until".into(), timestamp::format(until).into());
        }
        if let Some(exercise) = &meta.exercise {
            extension.insert("exercise".into(), exercise.clone().into());
        }
        Value::Object(extension)
    }
}
