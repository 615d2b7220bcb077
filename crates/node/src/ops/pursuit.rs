//! [`PursuitBook`]: the pursuits of this node's engaged units, pure (time and borders passed
//! in): which unit is where, which notices are open, and the writes each event calls for.
//!
//! - a unit of this node listed in an active operation that enters a partner's territory
//!   ([`super::border`]) raises one notice: the operation, the unit, the nation entered, the
//!   crossing point and time, the direction, the depth;
//! - while it is inside, the notice's depth and track are updated (at most every
//!   [`UPDATE_EVERY`], at once when a limit is first exceeded); when it is back out, the notice
//!   ends with the track of the incursion;
//! - limits (`[pursuit]`, per partner): deeper than `max_depth_km` or longer than
//!   `max_duration` raises a `pursuit_alert` report, marked like the notice, so both nations
//!   see it; a notice the nation entered has not acknowledged within `ack_within` escalates
//!   (a second alert);
//! - the notice's marking is the operation's, widened to the nation entered. When the link to
//!   that nation cannot carry it (no link, or its level above the link's ceiling, as
//!   `Policy::allows` decides for the link), the notice is still kept at home, and a national
//!   alert says loudly that the nation entered has not been told.
//!
//! A unit that leaves its operation mid-pursuit keeps its open notice until it is back out:
//! the notice is about the incursion, which goes on. A unit in two active operations raises
//! one notice, under the operation that started first (then the smaller id).

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use liptako_model::{
    Audience, Body, Draft, Expect, Labelled, LinkAccreditation, Marking, Nation, Object, Point,
    Policy, PursuitLimit, PursuitNotice, Report, ReportKind,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::border::{BorderWatch, Crossing, Location};
use crate::config::pursuit::{Limits, PursuitSection};

/// Shortest time between two updates of an open notice's depth and track.
pub const UPDATE_EVERY: Duration = Duration::from_secs(5);
/// How long a pursuit alert stays valid.
pub const ALERT_VALIDITY: Duration = Duration::from_secs(24 * 3600);
/// Every kind of write the book asks for (`PursuitWrite::what`).
pub const WHATS: [&str; 7] = [
    "notice_raised",
    "notice_updated",
    "notice_ended",
    "alert_depth",
    "alert_duration",
    "alert_unacknowledged",
    "alert_not_released",
];
/// Positions of a track closer than this to the previous one are not kept, metres.
const TRACK_SPACING_M: f64 = 200.0;

/// What the book needs to decide.
pub struct Context<'a> {
    /// The marking policy.
    pub policy: &'a Policy,
    /// This node's nation.
    pub home: Nation,
    /// The links to partner nodes, as accredited.
    pub links: &'a [LinkAccreditation],
    /// `[pursuit]`.
    pub settings: &'a PursuitSection,
    /// The node's clock.
    pub now: OffsetDateTime,
}

/// One write the book asks for, and what it is (for logs and counters).
#[derive(Debug, Clone)]
pub struct PursuitWrite {
    /// The draft.
    pub draft: Draft,
    /// `notice_raised`, `notice_updated`, `notice_ended`, `alert_depth`, `alert_duration`,
    /// `alert_unacknowledged`, `alert_not_released`.
    pub what: &'static str,
}

#[derive(Debug, Clone)]
struct OpenPursuit {
    id: Uuid,
    unit: Uuid,
    marking: Marking,
    exercise: Option<String>,
    notice: PursuitNotice,
    limits: Limits,
    acknowledged: bool,
    escalated: bool,
    last_written: OffsetDateTime,
    dirty: bool,
}

/// The state of every watched unit and open pursuit of this node.
#[derive(Debug, Default)]
pub struct PursuitBook {
    watches: HashMap<Uuid, BorderWatch>,
    last_position: HashMap<Uuid, Point>,
    open: HashMap<Uuid, OpenPursuit>,
}

impl PursuitBook {
    /// Open notices (one per unit in pursuit).
    pub fn n_open(&self) -> usize {
        self.open.len()
    }

    /// Whether `unit` has an open notice.
    pub fn is_open(&self, unit: Uuid) -> bool {
        self.open.contains_key(&unit)
    }

    /// Takes back an open notice this node wrote before a restart.
    pub fn restore(&mut self, notice: &Object, acknowledged: bool, settings: &PursuitSection) {
        let Body::PursuitNotice(body) = &notice.body else {
            return;
        };
        if notice.meta.deleted || body.ended.is_some() {
            return;
        }
        let Some(&unit) = body.units.first() else {
            return;
        };
        self.watches
            .insert(unit, BorderWatch::inside(body.nation_entered));
        self.open.insert(
            unit,
            OpenPursuit {
                id: notice.meta.id,
                unit,
                marking: notice.meta.marking.clone(),
                exercise: notice.meta.exercise.clone(),
                notice: (**body).clone(),
                limits: settings.limits(body.nation_entered),
                acknowledged,
                // Whether the escalation was raised before the restart is not known: raising it
                // again is better than never.
                escalated: false,
                last_written: notice.meta.updated,
                dirty: false,
            },
        );
    }

    /// Records that `writes` were made at `now`: pending updates of those notices are cleared.
    pub fn written(&mut self, writes: &[PursuitWrite], now: OffsetDateTime) {
        for write in writes {
            if let Some(open) = self
                .open
                .values_mut()
                .find(|open| open.id == write.draft.id)
            {
                open.last_written = now;
                open.dirty = false;
            }
        }
    }

    /// The nation entered acknowledged notice `notice` (an acknowledgement of `origin`).
    pub fn acknowledged(&mut self, notice: Uuid, origin: Nation) {
        for open in self.open.values_mut() {
            if open.id == notice && open.notice.nation_entered == origin {
                open.acknowledged = true;
            }
        }
    }

    /// A new state of a unit at `location`; `operations` are the live operations this node
    /// holds.
    pub fn on_unit(
        &mut self,
        unit: &Object,
        location: Location,
        operations: &[&Object],
        ctx: &Context<'_>,
    ) -> Vec<PursuitWrite> {
        let Body::Unit(body) = &unit.body else {
            return Vec::new();
        };
        let unit_id = unit.meta.id;
        let (Some(position), false, true) = (
            body.position,
            unit.meta.deleted,
            unit.meta.origin == ctx.home,
        ) else {
            return Vec::new();
        };
        let operation = engaging(unit, operations);
        if operation.is_none() && !self.open.contains_key(&unit_id) {
            // Not engaged: its crossings are not pursuits. Start afresh when it is.
            self.watches.remove(&unit_id);
            self.last_position.remove(&unit_id);
            return Vec::new();
        }
        let previous = self.last_position.insert(unit_id, position);
        let members = ctx.policy.confederation().members();
        let crossings = self.watches.entry(unit_id).or_default().observe(
            location,
            ctx.settings.hysteresis_m,
            |nation| nation != ctx.home && members.contains(&nation),
        );
        let mut writes = Vec::new();
        for crossing in &crossings {
            match crossing {
                Crossing::Left(_) => writes.extend(self.end(unit_id, position, ctx)),
                Crossing::Entered(nation) => {
                    if let Some(operation) = operation {
                        writes.extend(
                            self.raise(unit, *nation, position, previous, location, operation, ctx),
                        );
                    }
                }
            }
        }
        if crossings.is_empty()
            && let Some(open) = self.open.get_mut(&unit_id)
        {
            let depth_km = location.distance_to_border_m / 1000.0;
            open.notice.depth_km = round_km(depth_km);
            open.notice.max_depth_km = open.notice.max_depth_km.max(open.notice.depth_km);
            push_track(&mut open.notice.track, position);
            open.dirty = true;
            if depth_km > open.limits.max_depth_km
                && !open.notice.limits_exceeded.contains(&PursuitLimit::Depth)
            {
                open.notice.limits_exceeded.push(PursuitLimit::Depth);
                writes.push(alert(
                    open,
                    "alert_depth",
                    format!(
                        "Pursuit deeper than agreed: {:.1} km into {} (limit {} km)",
                        depth_km, open.notice.nation_entered, open.limits.max_depth_km
                    ),
                    position,
                    ctx,
                ));
                writes.push(notice_write(open, "notice_updated", ctx));
            } else if ctx.now - open.last_written >= UPDATE_EVERY {
                writes.push(notice_write(open, "notice_updated", ctx));
            }
        }
        writes
    }

    /// Time passed: limits of duration, escalation of unacknowledged notices, pending updates.
    pub fn on_tick(&mut self, ctx: &Context<'_>) -> Vec<PursuitWrite> {
        let mut writes = Vec::new();
        for open in self.open.values_mut() {
            let position = open
                .notice
                .track
                .last()
                .copied()
                .unwrap_or(open.notice.crossing_point);
            let elapsed = ctx.now - open.notice.crossing_time;
            if elapsed > open.limits.max_duration
                && !open
                    .notice
                    .limits_exceeded
                    .contains(&PursuitLimit::Duration)
            {
                open.notice.limits_exceeded.push(PursuitLimit::Duration);
                open.dirty = true;
                writes.push(alert(
                    open,
                    "alert_duration",
                    format!(
                        "Pursuit longer than agreed: in {} since {} (limit {})",
                        open.notice.nation_entered,
                        rfc3339(open.notice.crossing_time),
                        crate::config::ConfigDuration(open.limits.max_duration)
                    ),
                    position,
                    ctx,
                ));
            }
            if !open.acknowledged && !open.escalated && elapsed > open.limits.ack_within {
                open.escalated = true;
                writes.push(alert(
                    open,
                    "alert_unacknowledged",
                    format!(
                        "Pursuit notice not acknowledged by {} within {}",
                        open.notice.nation_entered,
                        crate::config::ConfigDuration(open.limits.ack_within)
                    ),
                    position,
                    ctx,
                ));
            }
            if open.dirty && ctx.now - open.last_written >= UPDATE_EVERY {
                writes.push(notice_write(open, "notice_updated", ctx));
            }
        }
        writes
    }

    #[allow(clippy::too_many_arguments)]
    fn raise(
        &mut self,
        unit: &Object,
        nation_entered: Nation,
        position: Point,
        previous: Option<Point>,
        location: Location,
        operation: &Object,
        ctx: &Context<'_>,
    ) -> Vec<PursuitWrite> {
        let course = match &unit.body {
            Body::Unit(body) => body.course_deg,
            _ => None,
        };
        let direction_deg = previous
            .filter(|from| distance_m(*from, position) > 1.0)
            .map(|from| bearing_deg(from, position))
            .or(course)
            .unwrap_or(0.0);
        let depth_km = round_km(location.distance_to_border_m / 1000.0);
        let notice = PursuitNotice {
            operation: operation.meta.id,
            units: vec![unit.meta.id],
            nation_entered,
            crossing_point: position,
            crossing_time: ctx.now,
            direction_deg,
            depth_km,
            max_depth_km: depth_km,
            limits_exceeded: Vec::new(),
            ended: None,
            track: vec![position],
        };
        let mut writes = Vec::new();
        let marking = match notice_marking(ctx.policy, ctx.home, operation, nation_entered) {
            Ok(marking) => marking,
            Err(reason) => {
                tracing::error!(%reason, "pursuit notice: no marking; the operation's is kept");
                operation.meta.marking.clone()
            }
        };
        let open = OpenPursuit {
            id: Uuid::now_v7(),
            unit: unit.meta.id,
            marking,
            exercise: unit.meta.exercise.clone(),
            notice,
            limits: ctx.settings.limits(nation_entered),
            acknowledged: false,
            escalated: false,
            last_written: ctx.now,
            dirty: false,
        };
        let mut first = notice_write(&open, "notice_raised", ctx);
        first.draft.expect = Expect::New;
        writes.push(first);
        if let Some(reason) = not_releasable(&open, ctx) {
            tracing::error!(
                notice = %open.id,
                nation = %nation_entered,
                %reason,
                "PURSUIT NOTICE CANNOT BE RELEASED to the nation entered"
            );
            let mut loud = alert(
                &open,
                "alert_not_released",
                format!(
                    "Pursuit into {nation_entered}: the notice cannot be released to {nation_entered} ({reason}); tell them by other means"
                ),
                position,
                ctx,
            );
            // Said at home only.
            loud.draft.marking = Marking::new(&open.marking.level, Vec::<String>::new());
            writes.push(loud);
        }
        self.open.insert(unit.meta.id, open);
        writes
    }

    fn end(&mut self, unit: Uuid, position: Point, ctx: &Context<'_>) -> Vec<PursuitWrite> {
        let Some(mut open) = self.open.remove(&unit) else {
            return Vec::new();
        };
        push_track(&mut open.notice.track, position);
        open.notice.depth_km = 0.0;
        open.notice.ended = Some(ctx.now);
        vec![notice_write(&open, "notice_ended", ctx)]
    }
}

/// The operation that engages `unit` (active, listing it, same world), the earliest first.
fn engaging<'a>(unit: &Object, operations: &[&'a Object]) -> Option<&'a Object> {
    operations
        .iter()
        .copied()
        .filter(|operation| {
            !operation.meta.deleted
                && operation.meta.exercise == unit.meta.exercise
                && matches!(&operation.body, Body::Operation(op) if op.engages(unit.meta.id))
        })
        .min_by_key(|operation| match &operation.body {
            Body::Operation(op) => (op.start, operation.meta.id),
            _ => (OffsetDateTime::UNIX_EPOCH, operation.meta.id),
        })
}

/// The operation's marking, widened to the nation entered: everyone who may hold the
/// operation, and that nation, at the operation's level.
pub fn notice_marking(
    policy: &Policy,
    home: Nation,
    operation: &Object,
    nation_entered: Nation,
) -> Result<Marking, String> {
    let mut holders: BTreeSet<Nation> =
        policy.holders(operation.meta.origin, &operation.meta.marking);
    holders.insert(nation_entered);
    let tokens: Vec<String> = holders
        .into_iter()
        .filter(|nation| *nation != home)
        .map(|nation| nation.as_str().to_owned())
        .collect();
    policy
        .canonical(home, &Marking::new(&operation.meta.marking.level, tokens))
        .map_err(|err| err.to_string())
}

/// Why the link to the nation entered cannot carry the notice, if it cannot.
fn not_releasable(open: &OpenPursuit, ctx: &Context<'_>) -> Option<String> {
    let entered = open.notice.nation_entered;
    let Some(link) = ctx.links.iter().find(|link| link.nation == entered) else {
        return Some(format!("no link to {entered} is configured"));
    };
    let pending = Labelled {
        origin: ctx.home,
        marking: &open.marking,
        world: open.exercise.as_deref(),
    };
    if ctx.policy.allows(Audience::link(link), &pending) {
        None
    } else {
        Some(format!(
            "marking {} may not cross the link to {entered} (ceiling {})",
            open.marking, link.ceiling
        ))
    }
}

fn notice_write(open: &OpenPursuit, what: &'static str, ctx: &Context<'_>) -> PursuitWrite {
    PursuitWrite {
        draft: Draft {
            id: open.id,
            origin: ctx.home,
            expect: Expect::Any,
            at: ctx.now,
            marking: open.marking.clone(),
            valid_until: None,
            exercise: open.exercise.clone(),
            body: Some(Body::PursuitNotice(Box::new(open.notice.clone()))),
        },
        what,
    }
}

fn alert(
    open: &OpenPursuit,
    what: &'static str,
    title: String,
    position: Point,
    ctx: &Context<'_>,
) -> PursuitWrite {
    let body = format!(
        "Pursuit notice {} (operation {}, unit {}) into {}: crossed at {} near {:.4}, {:.4}; depth now {:.1} km, deepest {:.1} km.",
        open.id,
        open.notice.operation,
        open.unit,
        open.notice.nation_entered,
        rfc3339(open.notice.crossing_time),
        open.notice.crossing_point.lat,
        open.notice.crossing_point.lon,
        open.notice.depth_km,
        open.notice.max_depth_km,
    );
    PursuitWrite {
        draft: Draft {
            id: Uuid::now_v7(),
            origin: ctx.home,
            expect: Expect::New,
            at: ctx.now,
            // Like the notice: both nations see it.
            marking: open.marking.clone(),
            valid_until: Some(ctx.now + ALERT_VALIDITY),
            exercise: open.exercise.clone(),
            body: Some(Body::Report(Report {
                kind: ReportKind::PursuitAlert,
                title: title
                    .chars()
                    .take(liptako_model::object::MAX_TITLE_CHARS)
                    .collect(),
                body,
                location: Some(position),
            })),
        },
        what,
    }
}

fn push_track(track: &mut Vec<Point>, position: Point) {
    if track
        .last()
        .is_some_and(|last| distance_m(*last, position) < TRACK_SPACING_M)
    {
        return;
    }
    if track.len() >= liptako_model::object::MAX_TRACK_POINTS {
        // Thin the older half: keep every other position.
        let mut idx = 0usize;
        track.retain(|_| {
            idx += 1;
            idx % 2 == 1
        });
    }
    track.push(position);
}

fn round_km(km: f64) -> f64 {
    (km * 100.0).round() / 100.0
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

const EARTH_RADIUS_M: f64 = 6_371_000.0;

/// Great-circle distance, metres.
pub fn distance_m(a: Point, b: Point) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Initial bearing from `a` to `b`, degrees clockwise from true north, in 0..360.
pub fn bearing_deg(a: Point, b: Point) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlon = (b.lon - a.lon).to_radians();
    let y = dlon.sin() * lat2.cos();
    let x = lat1.cos() * lat2.sin() - lat1.sin() * lat2.cos() * dlon.cos();
    let deg = y.atan2(x).to_degrees().rem_euclid(360.0);
    if deg >= 360.0 { 0.0 } else { deg }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liptako_model::{Area, Confederation, Levels, Meta, Operation, OperationStatus, Unit};
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

    const T0: OffsetDateTime = datetime!(2026-12-06 10:00 UTC);

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

    fn operation(id: u128, start_min: i64, units: &[u128], level: &str) -> Object {
        Object {
            meta: meta(id, "MLI", Marking::new(level, Vec::<String>::new())),
            body: Body::Operation(Box::new(Operation {
                name: format!("op {id}"),
                lead_nation: nation("MLI"),
                participating_nations: vec![nation("MLI")],
                area: Area::Polygon {
                    coordinates: vec![vec![[0.0, 14.0], [4.0, 14.0], [4.0, 16.0], [0.0, 14.0]]],
                },
                start: T0 + time::Duration::minutes(start_min),
                end: T0 + time::Duration::days(3),
                status: OperationStatus::Active,
                units: units.iter().map(|u| Uuid::from_u128(*u)).collect(),
                intent: String::new(),
            })),
        }
    }

    /// Unit 7 of MLI at `x_km` east of the line (positive: inside NER).
    fn unit_at(x_km: f64) -> (Object, Location) {
        let unit = Object {
            meta: meta(7, "MLI", Marking::new("DR", Vec::<String>::new())),
            body: Body::Unit(Unit {
                callsign: "FALCON 1".into(),
                symbol: None,
                position: Some(Point::new(15.0, 3.5 + x_km / 107.0)),
                course_deg: None,
                speed_mps: None,
            }),
        };
        let location = Location {
            nation: Some(if x_km < 0.0 {
                nation("MLI")
            } else {
                nation("NER")
            }),
            distance_to_border_m: x_km.abs() * 1000.0,
        };
        (unit, location)
    }

    struct Run {
        book: PursuitBook,
        policy: Policy,
        links: Vec<LinkAccreditation>,
        settings: PursuitSection,
        now: OffsetDateTime,
        writes: Vec<PursuitWrite>,
    }

    impl Run {
        fn new(ceiling: &str) -> Run {
            Run {
                book: PursuitBook::default(),
                policy: policy(),
                links: vec![LinkAccreditation {
                    nation: nation("NER"),
                    ceiling: ceiling.into(),
                }],
                settings: PursuitSection::default(),
                now: T0,
                writes: Vec::new(),
            }
        }

        fn step(&mut self, x_km: f64, operations: &[&Object]) {
            self.now += Duration::from_secs(10);
            let (unit, location) = unit_at(x_km);
            let ctx = Context {
                policy: &self.policy,
                home: nation("MLI"),
                links: &self.links,
                settings: &self.settings,
                now: self.now,
            };
            let writes = self.book.on_unit(&unit, location, operations, &ctx);
            self.book.written(&writes, self.now);
            self.writes.extend(writes);
        }

        fn tick(&mut self, by: Duration) {
            self.now += by;
            let ctx = Context {
                policy: &self.policy,
                home: nation("MLI"),
                links: &self.links,
                settings: &self.settings,
                now: self.now,
            };
            let writes = self.book.on_tick(&ctx);
            self.book.written(&writes, self.now);
            self.writes.extend(writes);
        }

        fn count(&self, what: &str) -> usize {
            self.writes.iter().filter(|w| w.what == what).count()
        }
    }

    #[test]
    fn riding_the_line_raises_one_notice_and_the_return_ends_it() {
        let op = operation(1, 0, &[7], "DR");
        let mut run = Run::new("C");
        run.step(-10.0, &[&op]);
        for x_km in [0.5, -0.5, 0.9, 3.0, 0.2, -0.8, 0.4, 6.0, 12.0] {
            run.step(x_km, &[&op]);
        }
        assert_eq!(run.count("notice_raised"), 1);
        let raised = run
            .writes
            .iter()
            .find(|w| w.what == "notice_raised")
            .unwrap()
            .draft
            .clone();
        assert_eq!(raised.marking, Marking::new("DR", ["NER"]));
        let Some(Body::PursuitNotice(notice)) = &raised.body else {
            panic!("not a notice");
        };
        assert_eq!(notice.nation_entered, nation("NER"));
        assert_eq!(notice.operation, op.meta.id);
        assert!(
            (80.0..100.0).contains(&notice.direction_deg),
            "{}",
            notice.direction_deg
        );
        // Back out, riding the line first: ends once, with the track.
        for x_km in [0.3, -0.5, 0.5, -2.0, -0.3, -5.0] {
            run.step(x_km, &[&op]);
        }
        assert_eq!(run.count("notice_ended"), 1);
        let ended = &run
            .writes
            .iter()
            .find(|w| w.what == "notice_ended")
            .unwrap()
            .draft;
        let Some(Body::PursuitNotice(notice)) = &ended.body else {
            panic!("not a notice");
        };
        assert!(notice.ended.is_some());
        assert!(notice.track.len() >= 4, "{:?}", notice.track);
        assert_eq!(notice.max_depth_km, 12.0);
        assert_eq!(ended.id, raised.id);
        assert_eq!(run.book.n_open(), 0);
    }

    #[test]
    fn depth_duration_and_silence_raise_alerts_once_each() {
        let op = operation(1, 0, &[7], "DR");
        let mut run = Run::new("C");
        run.step(-10.0, &[&op]);
        run.step(5.0, &[&op]);
        run.step(120.0, &[&op]);
        run.step(130.0, &[&op]);
        assert_eq!(run.count("alert_depth"), 1);
        run.tick(Duration::from_secs(6 * 60));
        run.tick(Duration::from_secs(60));
        assert_eq!(run.count("alert_unacknowledged"), 1);
        run.tick(Duration::from_secs(25 * 3600));
        run.tick(Duration::from_secs(60));
        assert_eq!(run.count("alert_duration"), 1);
        let alert = &run
            .writes
            .iter()
            .find(|w| w.what == "alert_depth")
            .unwrap()
            .draft;
        // Marked like the notice: the nation entered sees it too.
        assert_eq!(alert.marking, Marking::new("DR", ["NER"]));
        let last_notice = run
            .writes
            .iter()
            .rev()
            .find(|w| w.what.starts_with("notice"))
            .unwrap();
        let Some(Body::PursuitNotice(notice)) = &last_notice.draft.body else {
            panic!("not a notice");
        };
        assert_eq!(
            notice.limits_exceeded,
            vec![PursuitLimit::Depth, PursuitLimit::Duration]
        );
    }

    #[test]
    fn an_acknowledged_notice_does_not_escalate() {
        let op = operation(1, 0, &[7], "DR");
        let mut run = Run::new("C");
        run.step(-10.0, &[&op]);
        run.step(5.0, &[&op]);
        let id = run.writes[0].draft.id;
        run.book.acknowledged(id, nation("BFA")); // not the nation entered: no effect
        run.tick(Duration::from_secs(60));
        run.book.acknowledged(id, nation("NER"));
        run.tick(Duration::from_secs(10 * 60));
        assert_eq!(run.count("alert_unacknowledged"), 0);
    }

    #[test]
    fn above_the_link_ceiling_the_notice_stays_home_and_says_so() {
        let op = operation(1, 0, &[7], "S");
        let mut run = Run::new("C");
        run.step(-10.0, &[&op]);
        run.step(5.0, &[&op]);
        assert_eq!(run.count("notice_raised"), 1);
        assert_eq!(run.count("alert_not_released"), 1);
        let loud = &run
            .writes
            .iter()
            .find(|w| w.what == "alert_not_released")
            .unwrap()
            .draft;
        assert!(loud.marking.is_national());
        // Without any link to the nation entered, the same.
        let mut run = Run::new("C");
        run.links.clear();
        run.step(-10.0, &[&operation(1, 0, &[7], "DR")]);
        run.step(5.0, &[&operation(1, 0, &[7], "DR")]);
        assert_eq!(run.count("alert_not_released"), 1);
    }

    #[test]
    fn only_engaged_units_and_one_notice_for_two_operations() {
        let other = operation(1, 0, &[99], "DR");
        let mut run = Run::new("C");
        run.step(-10.0, &[&other]);
        run.step(5.0, &[&other]);
        assert!(
            run.writes.is_empty(),
            "a unit in no operation raises nothing"
        );

        let later = operation(2, 60, &[7], "DR");
        let earlier = operation(3, 0, &[7], "DR");
        let mut run = Run::new("C");
        run.step(-10.0, &[&later, &earlier]);
        run.step(5.0, &[&later, &earlier]);
        assert_eq!(run.count("notice_raised"), 1);
        let Some(Body::PursuitNotice(notice)) = &run.writes[0].draft.body else {
            panic!("not a notice");
        };
        assert_eq!(notice.operation, earlier.meta.id);

        // Leaving the operation mid-pursuit: the notice stays open until the unit is back.
        run.step(8.0, &[]);
        assert!(run.book.is_open(Uuid::from_u128(7)));
        run.step(-3.0, &[]);
        assert_eq!(run.count("notice_ended"), 1);
    }

    #[test]
    fn an_open_notice_taken_back_after_a_restart_ends_rather_than_repeats() {
        let op = operation(1, 0, &[7], "DR");
        let mut run = Run::new("C");
        run.step(-10.0, &[&op]);
        run.step(5.0, &[&op]);
        let raised = run.writes[0].draft.clone();
        let notice = liptako_model::next_version(None, raised.clone()).unwrap();
        // A new book, as after a restart, given the stored notice.
        let mut after = Run::new("C");
        after.now = run.now;
        after.book.restore(&notice, true, &after.settings);
        after.step(8.0, &[&op]);
        after.step(-4.0, &[&op]);
        assert_eq!(after.count("notice_raised"), 0);
        assert_eq!(after.count("notice_ended"), 1);
        let ended = after
            .writes
            .iter()
            .find(|w| w.what == "notice_ended")
            .unwrap();
        assert_eq!(ended.draft.id, raised.id);
        after.tick(Duration::from_secs(3600));
        assert_eq!(after.count("alert_unacknowledged"), 0);
    }

    #[test]
    fn bearings() {
        let a = Point::new(15.0, 3.0);
        assert!((bearing_deg(a, Point::new(15.0, 3.1)) - 90.0).abs() < 0.1);
        assert!((bearing_deg(a, Point::new(14.9, 3.0)) - 180.0).abs() < 0.1);
        assert!((distance_m(a, Point::new(15.0, 3.1)) - 10_740.0).abs() < 50.0);
    }
}
