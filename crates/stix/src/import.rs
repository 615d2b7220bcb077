//! STIX 2.1 to Liptako reports: the one place the mapping in is written. Input is untrusted.
//!
//! [`split_objects`] takes a TAXII envelope or a STIX bundle (`{"objects": [...]}`) and splits
//! its objects without parsing them, so an object nested too deep or too large is that
//! object's error and the rest of the bundle is still read. [`import`] then gives one
//! [`ObjectOutcome`] per object, in order:
//!
//! - **stored**: a primary object becomes one report ([`Imported`]): a `report` (its kind from
//!   our extension, else from `report_types`), an `indicator` (threat warning; its pattern in
//!   the body), an `observed-data` (spot report; its observables listed), a `sighting` (spot
//!   report) or a `note` (intelligence summary). Its location comes from a `location` it
//!   refers to (`object_refs`, `where_sighted_refs`) or a `located-at` relationship.
//! - **part**: an object folded into a primary's report (a report's location and note, a
//!   sighting of a report, an observed-data's observables, a `located-at` relationship).
//! - **context**: read for what it says, not stored (organisations' identities, marking and
//!   extension definitions).
//! - **refused**, with a clear reason: malformed, too large or too deep, bad identifiers or
//!   timestamps, unknown or unsupported types, **anything describing an individual person**
//!   (an identity of class `individual`, `user-account`, `email-addr`, `email-message`, or an
//!   object about one), no known marking and no default, conflicting markings, granular
//!   markings, fields over the report limits.
//!
//! **Markings**: an object's marking is the Liptako marking its `object_marking_refs` name (a
//! definition of this confederation, known by id or given in the bundle), else the marking
//! configured for a TLP level it carries, else the collection's default; with none of these it
//! is refused, never stored unmarked. A part marked differently from its primary refuses the
//! primary. The marking is a candidate: the node canonicalises it and checks the importer's
//! clearance before storing.
//!
//! **Ids**: a report this confederation exported (our extension names its Liptako id and
//! origin) keeps its id when imported back on its origin's node; anything else gets a
//! name-based id from its STIX id ([`crate::ids::import_uuid`]), so importing it again updates
//! the same report.

use std::collections::{HashMap, HashSet};

use liptako_model::{
    Body, InvalidObject, Marking, Nation, Point, Report, ReportKind, check_exercise_name,
};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::export::Exporter;
use crate::ids::{StixId, import_uuid};
use crate::marking::Tlp;
use crate::timestamp;

/// Size limits on input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most objects in one envelope or bundle.
    pub max_objects: usize,
    /// Largest single object, in bytes of JSON.
    pub max_object_bytes: usize,
}

impl Default for Limits {
    /// 10,000 objects, 256 KiB per object.
    fn default() -> Limits {
        Limits {
            max_objects: 10_000,
            max_object_bytes: 256 * 1024,
        }
    }
}

/// What the importing side knows.
#[derive(Debug, Clone, Copy)]
pub struct ImportContext<'a> {
    /// This confederation's definitions and extension ids.
    pub exporter: &'a Exporter,
    /// The importing node's nation (the origin of what it stores).
    pub nation: Nation,
    /// The marking of objects that carry no known marking (a collection's or source's default).
    pub default_marking: Option<&'a Marking>,
    /// The marking a TLP level stands for, where configured.
    pub tlp_markings: &'a [(Tlp, Marking)],
    /// Size limits.
    pub limits: Limits,
}

/// The whole input could not be read as an envelope or bundle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Not JSON, or not an object with an `objects` list.
    #[error("not a STIX bundle or TAXII envelope: {0}")]
    Malformed(String),
    /// Too many objects.
    #[error("{found} objects: at most {max} are taken at once")]
    TooManyObjects {
        /// How many were sent.
        found: usize,
        /// The limit.
        max: usize,
    },
}

/// Why one object was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Not a JSON object, or nested too deep.
    #[error("malformed object: {0}")]
    Malformed(String),
    /// Over the size limit.
    #[error("object is {bytes} bytes long; at most {max} are taken")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// A required property is missing or of the wrong JSON type.
    #[error("property {0} is missing or not of the right type")]
    Missing(&'static str),
    /// The id is not `type--uuid` of the object's type.
    #[error("id {0:?} is not of the form <type>--<uuid> for this object's type")]
    BadId(String),
    /// Not STIX 2.1.
    #[error("spec_version must be \"2.1\"")]
    SpecVersion,
    /// A timestamp is not one.
    #[error("{property}: {error}")]
    BadTimestamp {
        /// Which property.
        property: &'static str,
        /// What is wrong.
        error: timestamp::BadTimestamp,
    },
    /// A type we do not take.
    #[error(
        "unsupported object type {0:?}: this node takes report, indicator, observed-data, sighting, note (with their locations and observables), organisations' identities and marking definitions"
    )]
    Unsupported(String),
    /// An object on its own that is only taken as part of another.
    #[error("a {0} alone is not stored: send it with the object that refers to it")]
    Alone(String),
    /// The object describes an individual person.
    #[error("{0}: Liptako holds no data on individual people")]
    Individual(String),
    /// The object is about an individual person.
    #[error(
        "refers to {0}, which describes an individual person: Liptako holds no data on individual people"
    )]
    AboutIndividual(String),
    /// No marking known and no default.
    #[error(
        "no marking this node knows (neither a marking definition of the confederation nor a configured TLP level) and no default marking for this collection: an object is never stored unmarked"
    )]
    Unmarked,
    /// Markings that disagree.
    #[error("conflicting markings: {0}")]
    MarkingConflict(String),
    /// Granular markings.
    #[error("granular_markings are not supported: mark the whole object")]
    Granular,
    /// Our extension, but wrong.
    #[error("report extension: {0}")]
    BadExtension(String),
    /// A field over the report limits, or otherwise invalid (named as the report field it
    /// becomes: title from name/abstract, body from description/content).
    #[error("as a report, {0}")]
    Invalid(InvalidObject),
    /// Part of a primary that was refused.
    #[error("part of {0}, which was refused")]
    PrimaryRefused(String),
}

/// Where an imported marking came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkingSource {
    /// A marking definition of the confederation.
    Definition,
    /// A TLP level, through the configured table.
    Tlp(Tlp),
    /// The collection's default.
    Default,
}

/// A primary object as a report, ready for the node to check and store.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The Liptako id to store it under.
    pub id: Uuid,
    /// The report.
    pub report: Report,
    /// Its marking (a candidate: the node canonicalises and checks it).
    pub marking: Marking,
    /// Where the marking came from.
    pub marking_source: MarkingSource,
    /// End of validity.
    pub valid_until: Option<OffsetDateTime>,
    /// The exercise it belongs to (from our extension).
    pub exercise: Option<String>,
    /// The STIX `modified` (or `created`) of the object.
    pub modified: Option<OffsetDateTime>,
}

/// What became of one object.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A report to store.
    Stored(Box<Imported>),
    /// Folded into the report of the object with this STIX id.
    Part {
        /// The primary's STIX id.
        into: String,
    },
    /// Read, not stored.
    Context,
    /// Refused.
    Refused(ImportError),
}

/// One object's outcome, with its id and version as sent (when readable).
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectOutcome {
    /// The STIX id.
    pub id: Option<String>,
    /// `modified`, else `created`, as sent.
    pub version: Option<String>,
    /// What became of it.
    pub outcome: Outcome,
}

#[derive(Deserialize)]
struct Container<'a> {
    #[serde(borrow, default)]
    objects: Option<Vec<&'a RawValue>>,
}

/// Splits an envelope or bundle into its objects, unparsed. A missing or empty `objects` is no
/// objects.
pub fn split_objects<'a>(
    text: &'a str,
    limits: &Limits,
) -> Result<Vec<&'a RawValue>, EnvelopeError> {
    let container: Container<'a> =
        serde_json::from_str(text).map_err(|err| EnvelopeError::Malformed(err.to_string()))?;
    let objects = container.objects.unwrap_or_default();
    if objects.len() > limits.max_objects {
        return Err(EnvelopeError::TooManyObjects {
            found: objects.len(),
            max: limits.max_objects,
        });
    }
    Ok(objects)
}

/// Types that describe individual people.
const PERSON_TYPES: [&str; 3] = ["user-account", "email-addr", "email-message"];
/// Cyber observables taken as part of an observed-data.
const OBSERVABLE_TYPES: [&str; 15] = [
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "windows-registry-key",
    "x509-certificate",
];
/// Types read as context only.
const CONTEXT_TYPES: [&str; 4] = [
    "identity",
    "marking-definition",
    "extension-definition",
    "language-content",
];
/// Types that become a report.
const PRIMARY_TYPES: [&str; 5] = ["report", "indicator", "observed-data", "sighting", "note"];

/// Longest title we make ourselves from other fields (characters).
const MADE_TITLE_CHARS: usize = 120;

/// The readable objects of a bundle by id.
struct Index<'p> {
    by_id: HashMap<&'p str, usize>,
    parsed: &'p [Parsed],
}

impl<'p> Index<'p> {
    fn get(&self, id: &str) -> Option<&'p Parsed> {
        self.by_id.get(id).and_then(|idx| self.parsed.get(*idx))
    }

    fn idx(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }
}

struct Parsed {
    id: Option<String>,
    object_type: String,
    version: Option<String>,
    value: Value,
    error: Option<ImportError>,
}

fn str_prop<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

fn refs<'v>(value: &'v Value, key: &str) -> Vec<&'v str> {
    match value.get(key) {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Everything an object refers to about (not its author or markings).
fn subject_refs(value: &Value) -> Vec<&str> {
    let mut all = refs(value, "object_refs");
    all.extend(refs(value, "sighting_of_ref"));
    all.extend(refs(value, "where_sighted_refs"));
    all.extend(refs(value, "observed_data_refs"));
    all.extend(refs(value, "source_ref"));
    all.extend(refs(value, "target_ref"));
    all
}

fn parse_one(raw: &RawValue, limits: &Limits) -> Parsed {
    let refused = |error| Parsed {
        id: None,
        object_type: String::new(),
        version: None,
        value: Value::Null,
        error: Some(error),
    };
    let text = raw.get();
    if text.len() > limits.max_object_bytes {
        return refused(ImportError::TooLarge {
            bytes: text.len(),
            max: limits.max_object_bytes,
        });
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(err) => return refused(ImportError::Malformed(err.to_string())),
    };
    if !value.is_object() {
        return refused(ImportError::Malformed("not a JSON object".into()));
    }
    let id = str_prop(&value, "id").map(str::to_owned);
    let object_type = str_prop(&value, "type").unwrap_or_default().to_owned();
    let version = str_prop(&value, "modified")
        .or_else(|| str_prop(&value, "created"))
        .map(|text| text.chars().take(40).collect());
    let error = check_common(&value, id.as_deref(), &object_type).err();
    Parsed {
        id,
        object_type,
        version,
        value,
        error,
    }
}

fn check_common(value: &Value, id: Option<&str>, object_type: &str) -> Result<(), ImportError> {
    if object_type.is_empty() {
        return Err(ImportError::Missing("type"));
    }
    let id = id.ok_or(ImportError::Missing("id"))?;
    match StixId::parse(id) {
        Some(parsed) if parsed.object_type == object_type => {}
        _ => return Err(ImportError::BadId(id.chars().take(300).collect())),
    }
    let is_observable =
        OBSERVABLE_TYPES.contains(&object_type) || PERSON_TYPES.contains(&object_type);
    match value.get("spec_version") {
        Some(Value::String(version)) if version == "2.1" => {}
        None if is_observable => {}
        _ => return Err(ImportError::SpecVersion),
    }
    for property in ["created", "modified"] {
        match value.get(property) {
            Some(Value::String(text)) => {
                timestamp::parse(text).map_err(|error| ImportError::BadTimestamp {
                    property: if property == "created" {
                        "created"
                    } else {
                        "modified"
                    },
                    error,
                })?;
            }
            Some(_) => {
                return Err(ImportError::Missing(if property == "created" {
                    "created"
                } else {
                    "modified"
                }));
            }
            None if is_observable => {}
            None if property == "modified" && object_type == "marking-definition" => {}
            None => {
                return Err(ImportError::Missing(if property == "created" {
                    "created"
                } else {
                    "modified"
                }));
            }
        }
    }
    if PERSON_TYPES.contains(&object_type) {
        return Err(ImportError::Individual(format!("a {object_type}")));
    }
    if object_type == "identity" && str_prop(value, "identity_class") == Some("individual") {
        return Err(ImportError::Individual(
            "an identity of class individual".into(),
        ));
    }
    if value.get("granular_markings").is_some() {
        return Err(ImportError::Granular);
    }
    Ok(())
}

/// Imports the objects of one envelope or bundle: one outcome per object, in order.
pub fn import(objects: &[&RawValue], ctx: &ImportContext<'_>) -> Vec<ObjectOutcome> {
    let parsed: Vec<Parsed> = objects
        .iter()
        .map(|raw| parse_one(raw, &ctx.limits))
        .collect();

    // Index the readable objects by id (the latest `modified` wins when an id repeats).
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (idx, object) in parsed.iter().enumerate() {
        let (Some(id), None) = (object.id.as_deref(), &object.error) else {
            continue;
        };
        match by_id.get(id).and_then(|held| parsed.get(*held)) {
            Some(held) if held.version >= object.version => {}
            _ => {
                by_id.insert(id, idx);
            }
        }
    }
    let persons: HashSet<&str> = parsed
        .iter()
        .filter(|object| matches!(object.error, Some(ImportError::Individual(_))))
        .filter_map(|object| object.id.as_deref())
        .collect();
    let index = Index {
        by_id,
        parsed: &parsed,
    };

    // Which object each part is folded into.
    let mut part_of: HashMap<usize, String> = HashMap::new();
    let mut located_at: HashMap<String, String> = HashMap::new();
    for (idx, object) in parsed.iter().enumerate() {
        if object.error.is_some() {
            continue;
        }
        let Some(id) = object.id.as_deref() else {
            continue;
        };
        match object.object_type.as_str() {
            "report" => {
                for target in refs(&object.value, "object_refs") {
                    if let Some(target_idx) = index.idx(target)
                        && target_idx != idx
                    {
                        part_of.entry(target_idx).or_insert_with(|| id.to_owned());
                    }
                }
            }
            "observed-data" => {
                for target in refs(&object.value, "object_refs") {
                    if let Some(target_idx) = index.idx(target) {
                        part_of.entry(target_idx).or_insert_with(|| id.to_owned());
                    }
                }
            }
            "sighting" => {
                for target in refs(&object.value, "where_sighted_refs") {
                    if let Some(target_idx) = index.idx(target)
                        && index
                            .get(target)
                            .is_some_and(|found| found.object_type == "location")
                    {
                        part_of.entry(target_idx).or_insert_with(|| id.to_owned());
                    }
                }
            }
            "relationship"
                if str_prop(&object.value, "relationship_type") == Some("located-at") =>
            {
                if let (Some(source), Some(target)) = (
                    str_prop(&object.value, "source_ref"),
                    str_prop(&object.value, "target_ref"),
                ) && index
                    .get(target)
                    .is_some_and(|found| found.object_type == "location")
                    && index.get(source).is_some()
                {
                    located_at.insert(source.to_owned(), target.to_owned());
                    part_of.insert(idx, source.to_owned());
                    if let Some(target_idx) = index.idx(target) {
                        part_of
                            .entry(target_idx)
                            .or_insert_with(|| source.to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    // A sighting of a report, or a note about one, in the same bundle is part of it.
    for (idx, object) in parsed.iter().enumerate() {
        if object.error.is_some() || part_of.contains_key(&idx) {
            continue;
        }
        let about = match object.object_type.as_str() {
            "sighting" => refs(&object.value, "sighting_of_ref"),
            "note" => refs(&object.value, "object_refs"),
            _ => continue,
        };
        if let Some(report) = about.into_iter().find(|target| {
            index
                .get(target)
                .is_some_and(|found| found.object_type == "report")
        }) {
            part_of.insert(idx, report.to_owned());
        }
    }

    let mut outcomes: Vec<ObjectOutcome> = parsed
        .iter()
        .enumerate()
        .map(|(idx, object)| {
            let outcome = if let Some(error) = &object.error {
                Outcome::Refused(error.clone())
            } else if let Some(into) = part_of.get(&idx) {
                Outcome::Part { into: into.clone() }
            } else if PRIMARY_TYPES.contains(&object.object_type.as_str()) {
                let parts: Vec<&Parsed> = part_of
                    .iter()
                    .filter(|(_, into)| Some(into.as_str()) == object.id.as_deref())
                    .filter_map(|(part_idx, _)| parsed.get(*part_idx))
                    .collect();
                match primary(object, &parts, &located_at, &persons, &index, ctx) {
                    Ok(imported) => Outcome::Stored(Box::new(imported)),
                    Err(error) => Outcome::Refused(error),
                }
            } else if CONTEXT_TYPES.contains(&object.object_type.as_str()) {
                Outcome::Context
            } else if object.object_type == "location"
                || OBSERVABLE_TYPES.contains(&object.object_type.as_str())
                || object.object_type == "relationship"
            {
                Outcome::Refused(ImportError::Alone(object.object_type.clone()))
            } else {
                Outcome::Refused(ImportError::Unsupported(
                    object.object_type.chars().take(250).collect(),
                ))
            };
            ObjectOutcome {
                id: object.id.clone(),
                version: object.version.clone(),
                outcome,
            }
        })
        .collect();

    // A part shares its primary's fate.
    let refused: HashSet<String> = outcomes
        .iter()
        .filter(|outcome| matches!(outcome.outcome, Outcome::Refused(_)))
        .filter_map(|outcome| outcome.id.clone())
        .collect();
    let stored: HashSet<String> = outcomes
        .iter()
        .filter(|outcome| matches!(outcome.outcome, Outcome::Stored(_)))
        .filter_map(|outcome| outcome.id.clone())
        .collect();
    for outcome in &mut outcomes {
        if let Outcome::Part { into } = &outcome.outcome
            && (refused.contains(into) || !stored.contains(into))
        {
            outcome.outcome = Outcome::Refused(ImportError::PrimaryRefused(into.clone()));
        }
    }
    outcomes
}

/// The marking an object's `object_marking_refs` state, if any is known.
fn known_marking(
    value: &Value,
    index: &Index<'_>,
    ctx: &ImportContext<'_>,
) -> Result<Option<(Marking, MarkingSource)>, ImportError> {
    let markings = ctx.exporter.markings();
    let mut ours: Vec<Marking> = Vec::new();
    let mut tlp: Option<Tlp> = None;
    for id in refs(value, "object_marking_refs") {
        let marking = markings.marking_of_id(id).cloned().or_else(|| {
            index
                .get(id)
                .filter(|found| found.object_type == "marking-definition")
                .and_then(|found| markings.marking_of_definition(&found.value))
        });
        if let Some(marking) = marking {
            if !ours.contains(&marking) {
                ours.push(marking);
            }
        } else if let Some(level) = Tlp::from_id(id) {
            tlp = tlp.max(Some(level));
        }
    }
    match ours.as_slice() {
        [] => {}
        [one] => return Ok(Some((one.clone(), MarkingSource::Definition))),
        several => {
            return Err(ImportError::MarkingConflict(format!(
                "{} markings of the confederation ({})",
                several.len(),
                several
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )));
        }
    }
    if let Some(level) = tlp
        && let Some((_, marking)) = ctx.tlp_markings.iter().find(|(tlp, _)| *tlp == level)
    {
        return Ok(Some((marking.clone(), MarkingSource::Tlp(level))));
    }
    Ok(None)
}

fn primary(
    object: &Parsed,
    parts: &[&Parsed],
    located_at: &HashMap<String, String>,
    persons: &HashSet<&str>,
    index: &Index<'_>,
    ctx: &ImportContext<'_>,
) -> Result<Imported, ImportError> {
    let value = &object.value;
    let stix_id = object.id.as_deref().ok_or(ImportError::Missing("id"))?;
    for target in subject_refs(value)
        .into_iter()
        .chain(parts.iter().flat_map(|part| subject_refs(&part.value)))
    {
        if persons.contains(target) {
            return Err(ImportError::AboutIndividual(
                target.chars().take(300).collect(),
            ));
        }
    }

    // The marking: the object's own, the same on every part.
    let own = known_marking(value, index, ctx)?;
    for part in parts {
        if let Some((part_marking, _)) = known_marking(&part.value, index, ctx)?
            && own.as_ref().map(|(marking, _)| marking) != Some(&part_marking)
        {
            return Err(ImportError::MarkingConflict(format!(
                "part {} is marked {part_marking}, unlike the object",
                part.id.as_deref().unwrap_or("?")
            )));
        }
    }
    let (marking, marking_source) = match own {
        Some(found) => found,
        None => match ctx.default_marking {
            Some(default) => (default.clone(), MarkingSource::Default),
            None => return Err(ImportError::Unmarked),
        },
    };

    // The location: a location it refers to or that a located-at relationship names.
    let mut location_ids: Vec<&str> = refs(value, "object_refs");
    location_ids.extend(refs(value, "where_sighted_refs"));
    if let Some(target) = located_at.get(stix_id) {
        location_ids.push(target);
    }
    let location = location_ids
        .into_iter()
        .filter_map(|id| index.get(id))
        .find(|found| found.object_type == "location")
        .and_then(|found| location_point(&found.value));

    let extension = report_extension(value, ctx)?;
    let (kind, title, body, mut valid_until) = match object.object_type.as_str() {
        "report" => {
            let title = str_prop(value, "name").ok_or(ImportError::Missing("name"))?;
            let kind = extension
                .as_ref()
                .and_then(|ext| ext.kind)
                .unwrap_or_else(|| kind_of_report_types(value));
            let body = str_prop(value, "description").unwrap_or_default();
            (kind, title.to_owned(), body.to_owned(), None)
        }
        "indicator" => {
            let pattern = str_prop(value, "pattern").ok_or(ImportError::Missing("pattern"))?;
            let pattern_type = str_prop(value, "pattern_type").unwrap_or("stix");
            let title = match str_prop(value, "name") {
                Some(name) => name.to_owned(),
                None => made_title(&format!("Indicator: {pattern}")),
            };
            let mut body = str_prop(value, "description")
                .unwrap_or_default()
                .to_owned();
            if !body.is_empty() {
                body.push_str("\n\n");
            }
            body.push_str(&format!("Pattern ({pattern_type}): {pattern}"));
            let valid_until = match str_prop(value, "valid_until") {
                Some(text) => {
                    Some(
                        timestamp::parse(text).map_err(|error| ImportError::BadTimestamp {
                            property: "valid_until",
                            error,
                        })?,
                    )
                }
                None => None,
            };
            (ReportKind::ThreatWarning, title, body, valid_until)
        }
        "observed-data" => {
            let observables: Vec<String> = parts
                .iter()
                .filter(|part| part.object_type != "location")
                .map(|part| observable_line(part))
                .collect();
            let title = made_title(&format!(
                "Observed: {}",
                if observables.is_empty() {
                    "data".to_owned()
                } else {
                    observables.join(", ")
                }
            ));
            let mut body = format!(
                "Observed {} time(s) from {} to {}.",
                value
                    .get("number_observed")
                    .and_then(Value::as_u64)
                    .unwrap_or(1),
                str_prop(value, "first_observed").unwrap_or("?"),
                str_prop(value, "last_observed").unwrap_or("?")
            );
            for line in &observables {
                body.push('\n');
                body.push_str(line);
            }
            (ReportKind::SpotReport, title, body, None)
        }
        "sighting" => {
            let sighted = str_prop(value, "sighting_of_ref")
                .ok_or(ImportError::Missing("sighting_of_ref"))?;
            let sighted_name = index
                .get(sighted)
                .and_then(|found| str_prop(&found.value, "name"))
                .unwrap_or(sighted);
            let title = made_title(&format!("Sighting of {sighted_name}"));
            let mut body = str_prop(value, "description")
                .unwrap_or_default()
                .to_owned();
            if let Some(count) = value.get("count").and_then(Value::as_u64) {
                if !body.is_empty() {
                    body.push_str("\n\n");
                }
                body.push_str(&format!("Seen {count} time(s)."));
            }
            (ReportKind::SpotReport, title, body, None)
        }
        "note" => {
            let content = str_prop(value, "content").ok_or(ImportError::Missing("content"))?;
            let title = match str_prop(value, "abstract") {
                Some(text) => text.to_owned(),
                None => made_title(content.lines().next().unwrap_or("Note")),
            };
            (
                ReportKind::IntelligenceSummary,
                title,
                content.to_owned(),
                None,
            )
        }
        other => return Err(ImportError::Unsupported(other.to_owned())),
    };
    let mut id = import_uuid(stix_id);
    let mut exercise = None;
    if let Some(ext) = &extension {
        if let (Some(origin), Some(liptako_id)) = (ext.origin, ext.liptako_id)
            && origin == ctx.nation
        {
            id = liptako_id;
        }
        if ext.valid_until.is_some() {
            valid_until = ext.valid_until;
        }
        exercise = ext.exercise.clone();
    }
    let report = Report {
        kind,
        title,
        body,
        location,
    };
    Body::Report(report.clone())
        .check()
        .map_err(ImportError::Invalid)?;
    let modified = object
        .version
        .as_deref()
        .and_then(|text| timestamp::parse(text).ok());
    Ok(Imported {
        id,
        report,
        marking,
        marking_source,
        valid_until,
        exercise,
        modified,
    })
}

/// A title we make from other text: first line, at most [`MADE_TITLE_CHARS`] characters.
fn made_title(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    let mut title: String = line.chars().take(MADE_TITLE_CHARS).collect();
    if line.chars().count() > MADE_TITLE_CHARS {
        title.push('…');
    }
    if title.is_empty() {
        "(untitled)".to_owned()
    } else {
        title
    }
}

fn observable_line(part: &Parsed) -> String {
    let value = str_prop(&part.value, "value")
        .or_else(|| str_prop(&part.value, "name"))
        .or_else(|| str_prop(&part.value, "key"))
        .map(|text| text.chars().take(300).collect::<String>())
        .unwrap_or_else(|| part.id.clone().unwrap_or_default());
    format!("{}: {value}", part.object_type)
}

fn location_point(value: &Value) -> Option<Point> {
    let lat = value.get("latitude")?.as_f64()?;
    let lon = value.get("longitude")?.as_f64()?;
    let point = Point::new(lat, lon);
    point.check().ok()?;
    Some(point)
}

fn kind_of_report_types(value: &Value) -> ReportKind {
    let types = refs(value, "report_types");
    if types.contains(&"observed-data") {
        ReportKind::SpotReport
    } else if types.iter().any(|kind| {
        matches!(
            *kind,
            "threat-report"
                | "indicator"
                | "attack-pattern"
                | "malware"
                | "threat-actor"
                | "intrusion-set"
                | "campaign"
                | "tool"
                | "vulnerability"
        )
    }) {
        ReportKind::ThreatWarning
    } else {
        ReportKind::IntelligenceSummary
    }
}

#[derive(Debug, Default)]
struct Extension {
    liptako_id: Option<Uuid>,
    kind: Option<ReportKind>,
    origin: Option<Nation>,
    valid_until: Option<OffsetDateTime>,
    exercise: Option<String>,
}

fn report_extension(
    value: &Value,
    ctx: &ImportContext<'_>,
) -> Result<Option<Extension>, ImportError> {
    let Some(ext) = value
        .get("extensions")
        .and_then(|extensions| extensions.get(ctx.exporter.report_extension_id()))
    else {
        return Ok(None);
    };
    let bad = |what: &str| ImportError::BadExtension(what.to_owned());
    let mut parsed = Extension::default();
    if let Some(text) = ext.get("liptako_id") {
        parsed.liptako_id = Some(
            text.as_str()
                .and_then(|text| Uuid::try_parse(text).ok())
                .ok_or_else(|| bad("liptako_id is not a UUID"))?,
        );
    }
    if let Some(text) = ext.get("kind") {
        let text = text.as_str().ok_or_else(|| bad("kind is not a string"))?;
        parsed.kind = Some(
            ReportKind::ALL
                .into_iter()
                .find(|kind| kind.as_str() == text)
                .ok_or_else(|| bad("kind is not a report kind"))?,
        );
    }
    if let Some(text) = ext.get("origin") {
        parsed.origin = Some(
            text.as_str()
                .and_then(|text| Nation::parse(text).ok())
                .ok_or_else(|| bad("origin is not a nation code"))?,
        );
    }
    if let Some(text) = ext.get("valid_until") {
        let text = text
            .as_str()
            .ok_or_else(|| bad("valid_until is not a string"))?;
        parsed.valid_until =
            Some(
                timestamp::parse(text).map_err(|error| ImportError::BadTimestamp {
                    property: "valid_until",
                    error,
                })?,
            );
    }
    if let Some(text) = ext.get("exercise") {
        let text = text
            .as_str()
            .ok_or_else(|| bad("exercise is not a string"))?;
        check_exercise_name(text).map_err(ImportError::Invalid)?;
        parsed.exercise = Some(text.to_owned());
    }
    Ok(Some(parsed))
}
