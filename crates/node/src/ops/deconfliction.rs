//! [`ProximityBook`]: deconfliction alerts and protection-of-civilians warnings, pure (time,
//! policy and links passed in). It holds the units, operations and protected sites this node
//! holds (every nation's), and says which writes each new version calls for.
//!
//! **Encounters** (each raised once, with hysteresis: it opens when the two come within the
//! distance, and ends only when they are more than distance + margin apart, or no longer
//! qualify; only an encounter that opens again raises again):
//! - two units of different nations, in the same world, not both listed in one active
//!   operation, within `[deconfliction] distance_km`: a `deconfliction_alert` report;
//! - two operations of different nations, neither ended and at least one active, whose time
//!   windows overlap and whose areas overlap: a `deconfliction_alert` report;
//! - an operation (planned or active) whose area contains or comes within `[protection]
//!   distance_km` of a protected civilian site (a zone of kind `protected_site`), or an engaged
//!   unit (listed in an active operation) that comes within that distance of one: a
//!   `protection_warning` report.
//!
//! **Exactly one node raises each encounter.** A protection warning is raised by the node
//! that owns the operation or the unit (there is one). A deconfliction encounter involves two
//! owners; the **lower nation code among the owners that hold both objects** raises it. An
//! owner always holds its own object; it holds the other's when that was released to it and
//! crossed the link. So the lower owner raises whenever it holds the other's object, and the
//! higher owner raises only when the lower one cannot hold the higher's object (the policy
//! says so of the link to it: `Policy::allows(Audience::link(..))`, the very test the
//! federation sender applies). Both ends decide on the same facts, provided the two links are
//! accredited alike, as the confederation's agreements require. A third nation's node never
//! raises.
//!
//! **Marking.** A deconfliction alert is marked at the higher of the two levels and released to
//! the other nation concerned only, when the policy lets that nation hold both sources
//! (`Policy::derive_marking`); otherwise it stays at home (national) and its text says that the
//! other nation was not told, and why. Likewise when the link to the other nation cannot carry
//! it. A protection warning is marked `Policy::derive_marking` of the operation (or unit) and
//! the site: the nations that may hold both.
//!
//! The alert's body ends with an `encounter:` line naming the pair, so that after a restart the
//! node takes its open encounters back from the alerts it wrote ([`ProximityBook::restore`])
//! and does not raise them twice.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use liptako_model::{
    Area, Audience, Body, Draft, Expect, Labelled, LinkAccreditation, Marking, Nation, Object,
    OperationStatus, Point, Policy, Polygon, Report, ReportKind, ZoneKind,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::pursuit::{PursuitWrite, distance_m};
use crate::config::deconfliction::ProximitySection;

/// How long a deconfliction alert or protection warning stays valid.
pub const ALERT_VALIDITY: Duration = Duration::from_secs(24 * 3600);
/// Every kind of write the book asks for (`PursuitWrite::what`).
pub const WHATS: [&str; 4] = [
    "units_close",
    "operations_overlap",
    "operation_near_site",
    "unit_near_site",
];
/// The body line that names an encounter.
const ENCOUNTER_LINE: &str = "encounter:";

/// What the book needs to decide.
pub struct Context<'a> {
    /// The marking policy.
    pub policy: &'a Policy,
    /// This node's nation.
    pub home: Nation,
    /// The links to partner nodes, as accredited.
    pub links: &'a [LinkAccreditation],
    /// `[deconfliction]`.
    pub deconfliction: ProximitySection,
    /// `[protection]`.
    pub protection: ProximitySection,
    /// The node's clock.
    pub now: OffsetDateTime,
}

/// A pair of objects in contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encounter {
    /// Two units (smaller id first).
    Units(Uuid, Uuid),
    /// Two operations (smaller id first).
    Operations(Uuid, Uuid),
    /// An operation and a protected site.
    OperationSite(Uuid, Uuid),
    /// A unit and a protected site.
    UnitSite(Uuid, Uuid),
}

impl Encounter {
    fn units(a: Uuid, b: Uuid) -> Encounter {
        Encounter::Units(a.min(b), a.max(b))
    }

    fn operations(a: Uuid, b: Uuid) -> Encounter {
        Encounter::Operations(a.min(b), a.max(b))
    }

    fn tag(&self) -> (&'static str, Uuid, Uuid) {
        match *self {
            Encounter::Units(a, b) => ("units", a, b),
            Encounter::Operations(a, b) => ("operations", a, b),
            Encounter::OperationSite(a, b) => ("operation-site", a, b),
            Encounter::UnitSite(a, b) => ("unit-site", a, b),
        }
    }

    /// The `encounter:` line of an alert's body.
    pub fn line(&self) -> String {
        let (tag, a, b) = self.tag();
        format!("{ENCOUNTER_LINE} {tag} {a} {b}")
    }

    /// Reads the `encounter:` line of an alert's body.
    pub fn parse(body: &str) -> Option<Encounter> {
        let line = body
            .lines()
            .rev()
            .find_map(|line| line.trim().strip_prefix(ENCOUNTER_LINE))?;
        let mut words = line.split_whitespace();
        let tag = words.next()?;
        let a = Uuid::parse_str(words.next()?).ok()?;
        let b = Uuid::parse_str(words.next()?).ok()?;
        match tag {
            "units" => Some(Encounter::units(a, b)),
            "operations" => Some(Encounter::operations(a, b)),
            "operation-site" => Some(Encounter::OperationSite(a, b)),
            "unit-site" => Some(Encounter::UnitSite(a, b)),
            _ => None,
        }
    }
}

/// The units, operations and protected sites held, and the encounters in contact.
#[derive(Debug, Default)]
pub struct ProximityBook {
    units: HashMap<Uuid, Arc<Object>>,
    operations: HashMap<Uuid, Arc<Object>>,
    sites: HashMap<Uuid, Arc<Object>>,
    open: HashSet<Encounter>,
}

impl ProximityBook {
    /// Encounters in contact now (raised by this node or not).
    pub fn n_open(&self) -> usize {
        self.open.len()
    }

    /// Whether `encounter` is in contact.
    pub fn is_open(&self, encounter: &Encounter) -> bool {
        self.open.contains(encounter)
    }

    /// Takes back an encounter from an alert this node wrote before a restart (a
    /// `deconfliction_alert` or `protection_warning` report of this node, still valid).
    pub fn restore(&mut self, alert: &Object, now: OffsetDateTime) {
        let Body::Report(report) = &alert.body else {
            return;
        };
        let ours = matches!(
            report.kind,
            ReportKind::DeconflictionAlert | ReportKind::ProtectionWarning
        );
        let valid = alert.meta.valid_until.is_none_or(|until| until > now);
        if ours
            && valid
            && !alert.meta.deleted
            && let Some(encounter) = Encounter::parse(&report.body)
        {
            self.open.insert(encounter);
        }
    }

    /// Forgets every object held (before a reload); open encounters are kept.
    pub fn clear_objects(&mut self) {
        self.units.clear();
        self.operations.clear();
        self.sites.clear();
    }

    /// An object this node no longer holds (recalled).
    pub fn forget(&mut self, id: Uuid) {
        self.units.remove(&id);
        self.operations.remove(&id);
        self.sites.remove(&id);
    }

    /// A new version of any object; returns the writes it calls for.
    pub fn on_object(&mut self, object: Arc<Object>, ctx: &Context<'_>) -> Vec<PursuitWrite> {
        let id = object.meta.id;
        let mut writes = Vec::new();
        match &object.body {
            Body::Unit(unit) => {
                if object.meta.deleted || unit.position.is_none() {
                    self.units.remove(&id);
                } else {
                    self.units.insert(id, object.clone());
                }
                self.check_unit(id, ctx, &mut writes);
            }
            Body::Operation(operation) => {
                let before: Vec<Uuid> = self
                    .operations
                    .get(&id)
                    .and_then(|old| match &old.body {
                        Body::Operation(old) => Some(old.units.clone()),
                        _ => None,
                    })
                    .unwrap_or_default();
                if object.meta.deleted {
                    self.operations.remove(&id);
                } else {
                    self.operations.insert(id, object.clone());
                }
                self.check_operation(id, ctx, &mut writes);
                // Its units' engagement may have changed: their encounters too.
                let mut listed: Vec<Uuid> = operation.units.clone();
                listed.extend(before);
                listed.sort();
                listed.dedup();
                for unit in listed {
                    self.check_unit(unit, ctx, &mut writes);
                }
            }
            Body::Zone(zone) => {
                if object.meta.deleted || zone.kind != ZoneKind::ProtectedSite {
                    self.sites.remove(&id);
                } else {
                    self.sites.insert(id, object.clone());
                }
                self.check_site(id, ctx, &mut writes);
            }
            _ => {}
        }
        writes
    }

    /// Every encounter of unit `id` (gone: they all end).
    fn check_unit(&mut self, id: Uuid, ctx: &Context<'_>, writes: &mut Vec<PursuitWrite>) {
        let Some(unit) = self.units.get(&id).cloned() else {
            self.open.retain(|encounter| match *encounter {
                Encounter::Units(a, b) => a != id && b != id,
                Encounter::UnitSite(unit, _) => unit != id,
                _ => true,
            });
            return;
        };
        let Some(position) = position_of(&unit) else {
            return;
        };
        let others: Vec<Arc<Object>> = self
            .units
            .values()
            .filter(|other| other.meta.id != id)
            .cloned()
            .collect();
        for other in others {
            let Some(other_position) = position_of(&other) else {
                continue;
            };
            let distance_km = distance_m(position, other_position) / 1000.0;
            // Whether they are in one operation matters only near (it is the costly part).
            let near = distance_km <= ctx.deconfliction.distance_km + ctx.deconfliction.margin_km;
            let eligible = other.meta.origin != unit.meta.origin
                && other.meta.exercise == unit.meta.exercise
                && !(near && self.together(&unit, &other));
            let encounter = Encounter::units(id, other.meta.id);
            if self.contact(encounter, eligible, distance_km, ctx.deconfliction)
                && raises_between(&unit, &other, ctx)
            {
                writes.push(units_alert(&unit, &other, distance_km, encounter, ctx));
            }
        }
        let engaged = self.engaged(&unit);
        let sites: Vec<Arc<Object>> = self.sites.values().cloned().collect();
        for site in sites {
            self.unit_site(&unit, position, engaged, &site, ctx, writes);
        }
    }

    fn unit_site(
        &mut self,
        unit: &Object,
        position: Point,
        engaged: bool,
        site: &Object,
        ctx: &Context<'_>,
        writes: &mut Vec<PursuitWrite>,
    ) {
        let Body::Zone(zone) = &site.body else {
            return;
        };
        let eligible = engaged && site.meta.exercise == unit.meta.exercise;
        let distance_km = point_to_polygons_km(position, std::slice::from_ref(&zone.area));
        let encounter = Encounter::UnitSite(unit.meta.id, site.meta.id);
        if self.contact(encounter, eligible, distance_km, ctx.protection)
            && unit.meta.origin == ctx.home
        {
            writes.push(site_warning(unit, site, distance_km, encounter, ctx));
        }
    }

    /// Every encounter of operation `id` with other operations and with sites.
    fn check_operation(&mut self, id: Uuid, ctx: &Context<'_>, writes: &mut Vec<PursuitWrite>) {
        let Some(operation) = self.operations.get(&id).cloned() else {
            self.open.retain(|encounter| match *encounter {
                Encounter::Operations(a, b) => a != id && b != id,
                Encounter::OperationSite(op, _) => op != id,
                _ => true,
            });
            return;
        };
        let Body::Operation(body) = &operation.body else {
            return;
        };
        let polygons = body.area.polygons();
        let others: Vec<Arc<Object>> = self
            .operations
            .values()
            .filter(|other| other.meta.id != id)
            .cloned()
            .collect();
        for other in others {
            let Body::Operation(other_body) = &other.body else {
                continue;
            };
            let live = |status: OperationStatus| status != OperationStatus::Ended;
            let eligible = other.meta.origin != operation.meta.origin
                && other.meta.exercise == operation.meta.exercise
                && live(body.status)
                && live(other_body.status)
                && (body.status == OperationStatus::Active
                    || other_body.status == OperationStatus::Active)
                && body.start < other_body.end
                && other_body.start < body.end;
            let distance_km = polygons_distance_km(&polygons, &other_body.area.polygons());
            let encounter = Encounter::operations(id, other.meta.id);
            // Overlapping areas: in contact at distance 0 only.
            let overlap = ProximitySection {
                distance_km: 0.0,
                margin_km: 0.0,
            };
            if self.contact(encounter, eligible, distance_km, overlap)
                && raises_between(&operation, &other, ctx)
            {
                writes.push(operations_alert(&operation, &other, encounter, ctx));
            }
        }
        let sites: Vec<Arc<Object>> = self.sites.values().cloned().collect();
        for site in sites {
            self.operation_site(&operation, &site, ctx, writes);
        }
    }

    fn operation_site(
        &mut self,
        operation: &Object,
        site: &Object,
        ctx: &Context<'_>,
        writes: &mut Vec<PursuitWrite>,
    ) {
        let (Body::Operation(body), Body::Zone(zone)) = (&operation.body, &site.body) else {
            return;
        };
        let eligible =
            body.status != OperationStatus::Ended && site.meta.exercise == operation.meta.exercise;
        let distance_km =
            polygons_distance_km(&body.area.polygons(), std::slice::from_ref(&zone.area));
        let encounter = Encounter::OperationSite(operation.meta.id, site.meta.id);
        if self.contact(encounter, eligible, distance_km, ctx.protection)
            && operation.meta.origin == ctx.home
        {
            writes.push(site_warning(operation, site, distance_km, encounter, ctx));
        }
    }

    /// Every encounter of protected site `id` (gone: they all end).
    fn check_site(&mut self, id: Uuid, ctx: &Context<'_>, writes: &mut Vec<PursuitWrite>) {
        if !self.sites.contains_key(&id) {
            self.open.retain(|encounter| match *encounter {
                Encounter::OperationSite(_, site) | Encounter::UnitSite(_, site) => site != id,
                _ => true,
            });
            return;
        }
        let Some(site) = self.sites.get(&id).cloned() else {
            return;
        };
        let operations: Vec<Arc<Object>> = self.operations.values().cloned().collect();
        for operation in operations {
            self.operation_site(&operation, &site, ctx, writes);
        }
        let units: Vec<Arc<Object>> = self.units.values().cloned().collect();
        for unit in units {
            if let Some(position) = position_of(&unit) {
                let engaged = self.engaged(&unit);
                self.unit_site(&unit, position, engaged, &site, ctx, writes);
            }
        }
    }

    /// Applies the hysteresis to `encounter`; true when it opens now.
    fn contact(
        &mut self,
        encounter: Encounter,
        eligible: bool,
        distance_km: f64,
        proximity: ProximitySection,
    ) -> bool {
        if !eligible {
            self.open.remove(&encounter);
            return false;
        }
        if self.open.contains(&encounter) {
            if distance_km > proximity.distance_km + proximity.margin_km {
                self.open.remove(&encounter);
            }
            false
        } else if distance_km <= proximity.distance_km {
            self.open.insert(encounter);
            true
        } else {
            false
        }
    }

    /// Whether both units are listed in one active operation of their world.
    fn together(&self, a: &Object, b: &Object) -> bool {
        self.operations.values().any(|operation| {
            operation.meta.exercise == a.meta.exercise
                && matches!(&operation.body, Body::Operation(op)
                    if op.engages(a.meta.id) && op.engages(b.meta.id))
        })
    }

    /// Whether the unit is listed in an active operation of its world.
    fn engaged(&self, unit: &Object) -> bool {
        self.operations.values().any(|operation| {
            operation.meta.exercise == unit.meta.exercise
                && matches!(&operation.body, Body::Operation(op) if op.engages(unit.meta.id))
        })
    }
}

/// Whether this node raises the encounter between `a` and `b` (objects of two nations): the
/// lower nation code among the owners that hold both (see the module's documentation).
pub fn raises_between(a: &Object, b: &Object, ctx: &Context<'_>) -> bool {
    let (mine, theirs) = if a.meta.origin == ctx.home {
        (a, b)
    } else if b.meta.origin == ctx.home {
        (b, a)
    } else {
        return false;
    };
    let other = theirs.meta.origin;
    if other == ctx.home {
        return false;
    }
    if ctx.home < other {
        // This node is the lower owner, and holds the other's object: it raises.
        return true;
    }
    // The higher owner raises only when the lower one cannot hold this node's object.
    !ctx.links
        .iter()
        .find(|link| link.nation == other)
        .is_some_and(|link| ctx.policy.allows(Audience::link(link), mine))
}

/// The marking of a deconfliction alert about `a` and `b`, and why the other nation is not
/// told, if it is not.
fn pair_marking(a: &Object, b: &Object, ctx: &Context<'_>) -> (Marking, Option<String>) {
    let other = if a.meta.origin == ctx.home {
        b.meta.origin
    } else {
        a.meta.origin
    };
    let derived = ctx.policy.derive_marking(
        ctx.home,
        &[
            (a.meta.origin, &a.meta.marking),
            (b.meta.origin, &b.meta.marking),
        ],
    );
    let derived = match derived {
        Ok(derived) => derived,
        Err(err) => {
            let level = ctx
                .policy
                .levels()
                .names()
                .last()
                .cloned()
                .unwrap_or_default();
            return (
                Marking::new(&level, Vec::<String>::new()),
                Some(format!("the sources' markings cannot be combined ({err})")),
            );
        }
    };
    let national = Marking::new(&derived.level, Vec::<String>::new());
    if !ctx.policy.holders(ctx.home, &derived).contains(&other) {
        return (
            national,
            Some(format!(
                "{other} may not hold both units' or operations' data under their markings"
            )),
        );
    }
    // Released to the other nation concerned only: a third nation is not party to it.
    let marking = match ctx
        .policy
        .canonical(ctx.home, &Marking::new(&derived.level, [other.as_str()]))
    {
        Ok(marking) => marking,
        Err(err) => return (national, Some(err.to_string())),
    };
    let pending = Labelled {
        origin: ctx.home,
        marking: &marking,
        world: a.meta.exercise.as_deref(),
    };
    match ctx.links.iter().find(|link| link.nation == other) {
        None => (national, Some(format!("no link to {other} is configured"))),
        Some(link) if !ctx.policy.allows(Audience::link(link), &pending) => (
            national,
            Some(format!(
                "marking {marking} may not cross the link to {other} (ceiling {})",
                link.ceiling
            )),
        ),
        Some(_) => (marking, None),
    }
}

fn units_alert(
    a: &Object,
    b: &Object,
    distance_km: f64,
    encounter: Encounter,
    ctx: &Context<'_>,
) -> PursuitWrite {
    let (mine, theirs) = if a.meta.origin == ctx.home {
        (a, b)
    } else {
        (b, a)
    };
    let title = format!(
        "Deconfliction: {} ({}) and {} ({}) {:.1} km apart",
        callsign(mine),
        mine.meta.origin,
        callsign(theirs),
        theirs.meta.origin,
        distance_km
    );
    let location = match (position_of(mine), position_of(theirs)) {
        (Some(p), Some(q)) => Some(Point::new((p.lat + q.lat) / 2.0, (p.lon + q.lon) / 2.0)),
        (p, q) => p.or(q),
    };
    let text = format!(
        "Units of {} and {} are {:.1} km apart and not in one operation: unit {} and unit {}.",
        mine.meta.origin, theirs.meta.origin, distance_km, mine.meta.id, theirs.meta.id
    );
    report_write(
        a,
        b,
        ReportKind::DeconflictionAlert,
        "units_close",
        title,
        text,
        location,
        encounter,
        ctx,
    )
}

fn operations_alert(
    a: &Object,
    b: &Object,
    encounter: Encounter,
    ctx: &Context<'_>,
) -> PursuitWrite {
    let (mine, theirs) = if a.meta.origin == ctx.home {
        (a, b)
    } else {
        (b, a)
    };
    let title = format!(
        "Deconfliction: operations {} ({}) and {} ({}) overlap",
        operation_name(mine),
        mine.meta.origin,
        operation_name(theirs),
        theirs.meta.origin,
    );
    let text = format!(
        "The areas and time windows of operation {} of {} and operation {} of {} overlap.",
        mine.meta.id, mine.meta.origin, theirs.meta.id, theirs.meta.origin
    );
    let location = area_of(mine).and_then(|area| first_point(&area));
    report_write(
        a,
        b,
        ReportKind::DeconflictionAlert,
        "operations_overlap",
        title,
        text,
        location,
        encounter,
        ctx,
    )
}

fn site_warning(
    source: &Object,
    site: &Object,
    distance_km: f64,
    encounter: Encounter,
    ctx: &Context<'_>,
) -> PursuitWrite {
    let site_name = match &site.body {
        Body::Zone(zone) => zone.name.clone(),
        _ => String::new(),
    };
    let (what, subject) = match &source.body {
        Body::Unit(unit) => ("unit_near_site", format!("Engaged unit {}", unit.callsign)),
        Body::Operation(op) => ("operation_near_site", format!("Operation {}", op.name)),
        _ => ("operation_near_site", source.meta.id.to_string()),
    };
    let title = if distance_km <= 0.0 {
        format!("Protection of civilians: {subject} contains protected site {site_name}")
    } else {
        format!(
            "Protection of civilians: {subject} {distance_km:.1} km from protected site {site_name}"
        )
    };
    let text = format!(
        "{} {} is {:.1} km from protected site {} ({}, zone {}).",
        source.body.object_type().as_str(),
        source.meta.id,
        distance_km.max(0.0),
        site_name,
        site.meta.origin,
        site.meta.id
    );
    let location = match &site.body {
        Body::Zone(zone) => zone
            .area
            .outer()
            .first()
            .map(|&[lon, lat]| Point::new(lat, lon)),
        _ => None,
    };
    let marking = ctx
        .policy
        .derive_marking(
            ctx.home,
            &[
                (source.meta.origin, &source.meta.marking),
                (site.meta.origin, &site.meta.marking),
            ],
        )
        .unwrap_or_else(|_| source.meta.marking.clone());
    let body = format!("{text}\n{}", encounter.line());
    write(
        ReportKind::ProtectionWarning,
        what,
        title,
        body,
        location,
        marking,
        source.meta.exercise.clone(),
        ctx,
    )
}

#[allow(clippy::too_many_arguments)]
fn report_write(
    a: &Object,
    b: &Object,
    kind: ReportKind,
    what: &'static str,
    title: String,
    text: String,
    location: Option<Point>,
    encounter: Encounter,
    ctx: &Context<'_>,
) -> PursuitWrite {
    let (marking, not_told) = pair_marking(a, b, ctx);
    let body = match &not_told {
        Some(reason) => {
            tracing::error!(%reason, "DECONFLICTION ALERT CANNOT BE RELEASED to the other nation");
            format!(
                "{text}\nNot released to the other nation ({reason}): tell them by other means.\n{}",
                encounter.line()
            )
        }
        None => format!("{text}\n{}", encounter.line()),
    };
    write(
        kind,
        what,
        title,
        body,
        location,
        marking,
        a.meta.exercise.clone(),
        ctx,
    )
}

#[allow(clippy::too_many_arguments)]
fn write(
    kind: ReportKind,
    what: &'static str,
    title: String,
    body: String,
    location: Option<Point>,
    marking: Marking,
    exercise: Option<String>,
    ctx: &Context<'_>,
) -> PursuitWrite {
    PursuitWrite {
        draft: Draft {
            id: Uuid::now_v7(),
            origin: ctx.home,
            expect: Expect::New,
            at: ctx.now,
            marking,
            valid_until: Some(ctx.now + ALERT_VALIDITY),
            exercise,
            body: Some(Body::Report(Report {
                kind,
                title: title
                    .chars()
                    .take(liptako_model::object::MAX_TITLE_CHARS)
                    .collect(),
                body: body
                    .chars()
                    .take(liptako_model::object::MAX_BODY_CHARS)
                    .collect(),
                location,
            })),
        },
        what,
    }
}

fn callsign(object: &Object) -> String {
    match &object.body {
        Body::Unit(unit) => unit.callsign.clone(),
        _ => object.meta.id.to_string(),
    }
}

fn operation_name(object: &Object) -> String {
    match &object.body {
        Body::Operation(op) => op.name.clone(),
        _ => object.meta.id.to_string(),
    }
}

fn area_of(object: &Object) -> Option<Area> {
    match &object.body {
        Body::Operation(op) => Some(op.area.clone()),
        _ => None,
    }
}

fn first_point(area: &Area) -> Option<Point> {
    area.polygons()
        .first()
        .and_then(|polygon| polygon.outer().first().copied())
        .map(|[lon, lat]| Point::new(lat, lon))
}

fn position_of(object: &Object) -> Option<Point> {
    match &object.body {
        Body::Unit(unit) => unit.position,
        _ => None,
    }
}

/// Kilometres per degree of latitude.
const KM_PER_DEG: f64 = 111.195;

/// A local plane around latitude `lat0`: `[lon, lat]` → km.
fn project(lat0: f64, [lon, lat]: [f64; 2]) -> (f64, f64) {
    (lon * KM_PER_DEG * lat0.to_radians().cos(), lat * KM_PER_DEG)
}

fn segment_distance(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt()
}

fn segments_cross(a: (f64, f64), b: (f64, f64), c: (f64, f64), d: (f64, f64)) -> bool {
    let orient = |p: (f64, f64), q: (f64, f64), r: (f64, f64)| {
        (q.0 - p.0) * (r.1 - p.1) - (q.1 - p.1) * (r.0 - p.0)
    };
    let (o1, o2) = (orient(a, b, c), orient(a, b, d));
    let (o3, o4) = (orient(c, d, a), orient(c, d, b));
    (o1 > 0.0) != (o2 > 0.0) && (o3 > 0.0) != (o4 > 0.0)
}

/// Distance from a point to the nearest of `polygons`, km (0 inside one).
pub fn point_to_polygons_km(point: Point, polygons: &[Polygon]) -> f64 {
    if polygons.iter().any(|polygon| polygon.contains(point)) {
        return 0.0;
    }
    let lat0 = point.lat;
    let p = project(lat0, [point.lon, point.lat]);
    polygons
        .iter()
        .flat_map(|polygon| polygon.coordinates.iter())
        .flat_map(|ring| ring.windows(2))
        .filter_map(|pair| match pair {
            [a, b] => Some(segment_distance(p, project(lat0, *a), project(lat0, *b))),
            _ => None,
        })
        .fold(f64::INFINITY, f64::min)
}

/// Distance between two sets of polygons, km (0 when they overlap).
pub fn polygons_distance_km(a: &[Polygon], b: &[Polygon]) -> f64 {
    let vertices = |polygons: &[Polygon]| -> Vec<[f64; 2]> {
        polygons
            .iter()
            .flat_map(|polygon| polygon.outer().iter().copied())
            .collect()
    };
    let (va, vb) = (vertices(a), vertices(b));
    let Some(&[_, lat0]) = va.first() else {
        return f64::INFINITY;
    };
    let inside = |v: &[f64; 2], polygons: &[Polygon]| {
        polygons
            .iter()
            .any(|polygon| polygon.contains(Point::new(v[1], v[0])))
    };
    if va.iter().any(|v| inside(v, b)) || vb.iter().any(|v| inside(v, a)) {
        return 0.0;
    }
    let edges = |polygons: &[Polygon]| -> Vec<((f64, f64), (f64, f64))> {
        polygons
            .iter()
            .flat_map(|polygon| polygon.coordinates.iter())
            .flat_map(|ring| ring.windows(2))
            .filter_map(|pair| match pair {
                [p, q] => Some((project(lat0, *p), project(lat0, *q))),
                _ => None,
            })
            .collect()
    };
    let (ea, eb) = (edges(a), edges(b));
    let mut best = f64::INFINITY;
    for &(p, q) in &ea {
        for &(r, s) in &eb {
            if segments_cross(p, q, r, s) {
                return 0.0;
            }
            best = best
                .min(segment_distance(p, r, s))
                .min(segment_distance(q, r, s))
                .min(segment_distance(r, p, q))
                .min(segment_distance(s, p, q));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use liptako_model::{Confederation, Levels, Meta, Operation, Unit, Zone};
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-12-06 10:00 UTC);

    fn nation(code: &str) -> Nation {
        Nation::parse(code).unwrap()
    }

    fn policy() -> Policy {
        Policy::new(
            Confederation::new("AES", vec![nation("MLI"), nation("BFA"), nation("NER")]).unwrap(),
            Levels::default(),
        )
    }

    fn meta(id: u128, origin: &str, marking: Marking) -> Meta {
        Meta {
            id: Uuid::from_u128(id),
            origin: nation(origin),
            version: 1,
            created: T0,
            updated: T0,
            valid_until: None,
            marking,
            exercise: None,
            deleted: false,
        }
    }

    fn aes() -> Marking {
        Marking::new("DR", ["AES"])
    }

    /// A unit `x_km` east of longitude 2.0 on latitude 14.05.
    fn unit(id: u128, origin: &str, x_km: f64, marking: Marking) -> Arc<Object> {
        Arc::new(Object {
            meta: meta(id, origin, marking),
            body: Body::Unit(Unit {
                callsign: format!("U{id}"),
                symbol: None,
                position: Some(Point::new(14.05, 2.0 + x_km / 107.87)),
                course_deg: None,
                speed_mps: None,
            }),
        })
    }

    /// A square operation from `west` to `west + 0.1` degrees of longitude, latitude 14..14.1.
    fn operation(
        id: u128,
        origin: &str,
        west: f64,
        status: OperationStatus,
        units: &[u128],
        start_h: i64,
    ) -> Arc<Object> {
        Arc::new(Object {
            meta: meta(id, origin, aes()),
            body: Body::Operation(Box::new(Operation {
                name: format!("op {id}"),
                lead_nation: nation(origin),
                participating_nations: vec![nation(origin)],
                area: Area::Polygon {
                    coordinates: vec![vec![
                        [west, 14.0],
                        [west + 0.1, 14.0],
                        [west + 0.1, 14.1],
                        [west, 14.1],
                        [west, 14.0],
                    ]],
                },
                start: T0 + time::Duration::hours(start_h),
                end: T0 + time::Duration::hours(start_h + 24),
                status,
                units: units.iter().map(|u| Uuid::from_u128(*u)).collect(),
                intent: String::new(),
            })),
        })
    }

    /// A small protected site around longitude `lon`, latitude 14.05.
    fn site(id: u128, origin: &str, lon: f64) -> Arc<Object> {
        Arc::new(Object {
            meta: meta(id, origin, aes()),
            body: Body::Zone(Zone {
                kind: ZoneKind::ProtectedSite,
                name: format!("school {id}"),
                description: String::new(),
                category: None,
                area: Polygon::from_lat_lon(&[
                    (14.049, lon - 0.001),
                    (14.049, lon + 0.001),
                    (14.051, lon + 0.001),
                    (14.051, lon - 0.001),
                ]),
            }),
        })
    }

    struct Run {
        book: ProximityBook,
        policy: Policy,
        home: Nation,
        links: Vec<LinkAccreditation>,
        writes: Vec<PursuitWrite>,
    }

    impl Run {
        /// A node of `home` linked to the two other members at ceiling C.
        fn new(home: &str) -> Run {
            Run {
                book: ProximityBook::default(),
                policy: policy(),
                home: nation(home),
                links: ["MLI", "BFA", "NER"]
                    .into_iter()
                    .filter(|code| *code != home)
                    .map(|code| LinkAccreditation {
                        nation: nation(code),
                        ceiling: "C".into(),
                    })
                    .collect(),
                writes: Vec::new(),
            }
        }

        fn see(&mut self, object: Arc<Object>) -> usize {
            let ctx = Context {
                policy: &self.policy,
                home: self.home,
                links: &self.links,
                deconfliction: ProximitySection {
                    distance_km: 5.0,
                    margin_km: 1.0,
                },
                protection: ProximitySection {
                    distance_km: 2.0,
                    margin_km: 0.5,
                },
                now: T0,
            };
            let writes = self.book.on_object(object, &ctx);
            let n = writes.len();
            self.writes.extend(writes);
            n
        }

        fn count(&self, what: &str) -> usize {
            self.writes.iter().filter(|w| w.what == what).count()
        }
    }

    fn report(write: &PursuitWrite) -> &Report {
        match &write.draft.body {
            Some(Body::Report(report)) => report,
            other => panic!("not a report: {other:?}"),
        }
    }

    #[test]
    fn converging_units_raise_once_with_hysteresis_and_again_after_separating() {
        let mut run = Run::new("MLI");
        run.see(unit(1, "MLI", 0.0, aes()));
        run.see(unit(2, "NER", 20.0, aes()));
        assert!(run.writes.is_empty());
        // Closer than 5 km: one alert, whatever the jitter between 5 and 6 km.
        for x_km in [4.0, 5.5, 4.9, 5.9, 3.0, 5.8] {
            run.see(unit(2, "NER", x_km, aes()));
        }
        assert_eq!(run.count("units_close"), 1);
        let alert = &run.writes[0];
        assert_eq!(report(alert).kind, ReportKind::DeconflictionAlert);
        // Released to the other nation concerned, and not to the third.
        assert_eq!(alert.draft.marking, Marking::new("DR", ["NER"]));
        assert_eq!(alert.draft.origin, nation("MLI"));
        assert_eq!(alert.draft.expect, Expect::New);
        assert_eq!(
            Encounter::parse(&report(alert).body),
            Some(Encounter::units(Uuid::from_u128(1), Uuid::from_u128(2)))
        );
        // Apart beyond distance + margin, then close again: a second encounter.
        run.see(unit(2, "NER", 6.5, aes()));
        assert_eq!(run.book.n_open(), 0);
        run.see(unit(1, "MLI", 3.0, aes()));
        assert_eq!(run.count("units_close"), 2);
    }

    #[test]
    fn exactly_one_owner_raises_and_a_third_nation_never() {
        // Both released to all members: MLI (lower code) raises, NER and BFA do not.
        let mut raised = Vec::new();
        for home in ["MLI", "NER", "BFA"] {
            let mut run = Run::new(home);
            run.see(unit(1, "MLI", 0.0, aes()));
            run.see(unit(2, "NER", 2.0, aes()));
            raised.push((home, run.count("units_close")));
        }
        assert_eq!(raised, vec![("MLI", 1), ("NER", 0), ("BFA", 0)]);

        // NER's unit is national: MLI never holds it, so NER (holding both) raises, and since
        // MLI may not hold NER's unit, the alert stays at NER and says so.
        let mut run = Run::new("NER");
        run.see(unit(1, "MLI", 0.0, aes()));
        run.see(unit(
            2,
            "NER",
            2.0,
            Marking::new("DR", Vec::<String>::new()),
        ));
        assert_eq!(run.count("units_close"), 1);
        let alert = &run.writes[0];
        assert!(alert.draft.marking.is_national());
        assert!(
            report(alert).body.contains("Not released"),
            "{}",
            report(alert).body
        );

        // The link decides for the higher owner: without a link to MLI, MLI cannot hold NER's
        // unit, so NER raises, and keeps the alert at home.
        let mut run = Run::new("NER");
        run.links.retain(|link| link.nation != nation("MLI"));
        run.see(unit(1, "MLI", 0.0, aes()));
        run.see(unit(2, "NER", 2.0, aes()));
        assert_eq!(run.count("units_close"), 1, "no link to MLI: NER raises");
        assert!(run.writes[0].draft.marking.is_national());
    }

    #[test]
    fn units_of_one_operation_or_one_nation_raise_nothing() {
        let mut run = Run::new("MLI");
        run.see(operation(
            10,
            "MLI",
            5.0,
            OperationStatus::Active,
            &[1, 2],
            0,
        ));
        run.see(unit(1, "MLI", 0.0, aes()));
        run.see(unit(2, "NER", 1.0, aes()));
        run.see(unit(3, "MLI", 1.5, aes()));
        assert_eq!(
            run.count("units_close"),
            1,
            "only 2 and 3 (not one operation)"
        );
        // The operation ends: 1 and 2 are no longer together, and raise.
        run.see(operation(
            10,
            "MLI",
            5.0,
            OperationStatus::Ended,
            &[1, 2],
            0,
        ));
        assert_eq!(run.count("units_close"), 2);
    }

    #[test]
    fn overlapping_operations_of_two_nations_raise_once() {
        let mut run = Run::new("MLI");
        run.see(operation(10, "MLI", 2.0, OperationStatus::Active, &[], 0));
        // NER's operation overlaps in space but starts after MLI's ends: nothing.
        run.see(operation(20, "NER", 2.05, OperationStatus::Active, &[], 48));
        assert_eq!(run.count("operations_overlap"), 0);
        // Moved into the window: one alert; changed again (still overlapping): no second.
        run.see(operation(20, "NER", 2.05, OperationStatus::Active, &[], 2));
        run.see(operation(20, "NER", 2.06, OperationStatus::Active, &[], 2));
        assert_eq!(run.count("operations_overlap"), 1);
        assert_eq!(run.writes[0].draft.marking, Marking::new("DR", ["NER"]));
        // Apart: the encounter ends; planned and planned never raise.
        run.see(operation(20, "NER", 2.5, OperationStatus::Active, &[], 2));
        assert_eq!(run.book.n_open(), 0);
        run.see(operation(10, "MLI", 2.0, OperationStatus::Planned, &[], 0));
        run.see(operation(20, "NER", 2.05, OperationStatus::Planned, &[], 2));
        assert_eq!(run.count("operations_overlap"), 1);
        // NER's node never raises it.
        let mut run = Run::new("NER");
        run.see(operation(10, "MLI", 2.0, OperationStatus::Active, &[], 0));
        run.see(operation(20, "NER", 2.05, OperationStatus::Active, &[], 2));
        assert!(run.writes.is_empty());
    }

    #[test]
    fn protected_sites_warn_operations_and_engaged_units_once() {
        let mut run = Run::new("MLI");
        run.see(site(30, "NER", 2.25));
        // 0.05 degrees east of the operation's east edge at 2.1: 5.4 km, too far.
        run.see(operation(10, "MLI", 2.0, OperationStatus::Planned, &[1], 0));
        assert_eq!(run.count("operation_near_site"), 0);
        // Area moved to contain it: one warning, not repeated on a further change.
        run.see(operation(10, "MLI", 2.2, OperationStatus::Planned, &[1], 0));
        run.see(operation(10, "MLI", 2.21, OperationStatus::Active, &[1], 0));
        assert_eq!(run.count("operation_near_site"), 1);
        let warning = run
            .writes
            .iter()
            .find(|w| w.what == "operation_near_site")
            .unwrap();
        assert_eq!(report(warning).kind, ReportKind::ProtectionWarning);
        assert!(
            report(warning).title.contains("contains"),
            "{}",
            report(warning).title
        );
        assert_eq!(warning.draft.marking, aes());
        // An engaged unit 1 km from the site warns; a unit in no operation does not.
        let near_site_km = (2.25 - 2.0) * 107.87 - 1.0;
        run.see(unit(1, "MLI", near_site_km, aes()));
        run.see(unit(2, "MLI", near_site_km, aes()));
        assert_eq!(run.count("unit_near_site"), 1);
        // A site of this node created near an existing operation warns too.
        run.see(site(31, "MLI", 2.215));
        assert_eq!(run.count("operation_near_site"), 2);
        // NER (the site's nation) does not raise about MLI's operation.
        let mut ner = Run::new("NER");
        ner.see(site(30, "NER", 2.25));
        ner.see(operation(10, "MLI", 2.2, OperationStatus::Active, &[1], 0));
        assert!(ner.writes.is_empty());
    }

    #[test]
    fn alerts_written_before_a_restart_are_not_raised_again() {
        let mut run = Run::new("MLI");
        run.see(unit(1, "MLI", 0.0, aes()));
        run.see(unit(2, "NER", 2.0, aes()));
        let written = liptako_model::next_version(None, run.writes[0].draft.clone()).unwrap();
        let mut after = Run::new("MLI");
        after.book.restore(&written, T0);
        after.see(unit(1, "MLI", 0.0, aes()));
        after.see(unit(2, "NER", 2.0, aes()));
        assert!(after.writes.is_empty());
        // An expired alert is not taken back.
        let mut later = Run::new("MLI");
        later
            .book
            .restore(&written, T0 + ALERT_VALIDITY + Duration::from_secs(1));
        later.see(unit(1, "MLI", 0.0, aes()));
        later.see(unit(2, "NER", 2.0, aes()));
        assert_eq!(later.count("units_close"), 1);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 32, ..Default::default() })]
        /// However two units jitter once in contact, short of distance + margin apart, one
        /// alert; and a path that never comes within the distance raises none.
        #[test]
        fn jitter_within_the_margin_raises_once(
            path in proptest::collection::vec(0.1f64..5.95, 1..40),
            far in proptest::collection::vec(5.05f64..60.0, 1..40),
        ) {
            let mut run = Run::new("MLI");
            run.see(unit(1, "MLI", 0.0, aes()));
            run.see(unit(2, "NER", 4.0, aes()));
            for x_km in path {
                run.see(unit(2, "NER", x_km, aes()));
            }
            proptest::prop_assert_eq!(run.count("units_close"), 1);
            let mut apart = Run::new("MLI");
            apart.see(unit(1, "MLI", 0.0, aes()));
            for x_km in far {
                apart.see(unit(2, "NER", x_km, aes()));
            }
            proptest::prop_assert_eq!(apart.count("units_close"), 0);
        }
    }

    #[test]
    fn distances_to_polygons() {
        let square = Polygon::from_lat_lon(&[(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)]);
        assert_eq!(
            point_to_polygons_km(Point::new(0.5, 0.5), std::slice::from_ref(&square)),
            0.0
        );
        let east = point_to_polygons_km(Point::new(0.5, 1.1), std::slice::from_ref(&square));
        assert!((east - 11.1).abs() < 0.2, "{east}");
        let other = Polygon::from_lat_lon(&[(0.2, 1.2), (0.2, 2.0), (0.8, 2.0), (0.8, 1.2)]);
        let apart =
            polygons_distance_km(std::slice::from_ref(&square), std::slice::from_ref(&other));
        assert!((apart - 22.2).abs() < 0.3, "{apart}");
        // Crossing edges with no vertex inside the other: overlapping.
        let bar = Polygon::from_lat_lon(&[(0.4, -1.0), (0.4, 2.0), (0.6, 2.0), (0.6, -1.0)]);
        assert_eq!(
            polygons_distance_km(std::slice::from_ref(&square), std::slice::from_ref(&bar)),
            0.0
        );
    }
}
