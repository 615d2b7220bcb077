//! Airspace events become marked reports (kind `airspace_alert`), stored like any report, so
//! they reach the live feed, TAK clients and partner nodes under the marking rule.
//!
//! One report per (track, kind of alert): a border crossing is one report per crossing; a
//! track without transponder, an emergency squawk or an entry into a restricted zone is one
//! report that later events about the same thing update (transponder seen again, emergency
//! cleared, zone left, track lost) instead of raising new ones, so a track whose transponder
//! flickers does not flood the watch officer. A zone the tracker re-evaluates after the zones
//! changed raises nothing new for a track already known inside it.
//!
//! **Once across the confederation**: with the joint picture, every node holds the aircraft a
//! partner sees, so every node would raise the same alert. [`Raiser::here`] decides which one
//! does: the nation whose territory the event concerns (the nation entered for a crossing, the
//! zone's nation for a zone entry, the nation under the track otherwise) when it holds the
//! track (it is this node, its sensors contribute, or a link carries this node's tracks to it);
//! otherwise the first nation, in alphabetical order, whose sensors see the aircraft. The others
//! hold the raiser's alert as a replica, as the marking allows.
//!
//! Markings: alerts get `[air] alert_marking`. An alert about a restricted zone is also at
//! least as restricted as the zone: the higher level, released only to nations both may
//! reach ([`combine`]), so an alert never tells a partner about a zone it may not see.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use liptako_model::{Body, Draft, Expect, Marking, Nation, Point, Policy, Report, ReportKind};
use liptako_track::{DeletionReason, Event, EventKind};
use time::OffsetDateTime;
use uuid::Uuid;

use super::zones::ZoneInfo;
use crate::picture::TrackView;

/// Lines kept in an alert's body: the first ones (what happened) and the latest updates.
const MAX_LINES: usize = 40;

/// What an alert is about, one report each per track.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Subject {
    /// The n-th border crossing of the track.
    Crossing(u32),
    NoTransponder,
    Emergency,
    Zone(String),
}

impl Subject {
    fn kind_label(&self) -> &'static str {
        match self {
            Subject::Crossing(_) => "border_crossing",
            Subject::NoTransponder => "no_transponder",
            Subject::Emergency => "emergency",
            Subject::Zone(_) => "zone_entry",
        }
    }
}

#[derive(Debug, Clone)]
struct OpenAlert {
    id: Uuid,
    /// For an alert about a zone: the zone's name as the alert says it.
    zone_name: Option<String>,
    title: String,
    lines: Vec<String>,
    location: Option<Point>,
    marking: Marking,
    valid_until: OffsetDateTime,
}

/// Which node raises an alert about an aircraft (see the module doc).
#[derive(Debug, Clone)]
pub struct Raiser {
    /// This node's nation.
    pub own: Nation,
    /// The partners this node's links carry its air tracks to (their marking may cross).
    pub partners: Vec<Nation>,
}

impl Raiser {
    /// A node that raises every alert itself (no partner holds its tracks).
    #[cfg(test)]
    pub fn alone(own: Nation) -> Raiser {
        Raiser {
            own,
            partners: Vec::new(),
        }
    }

    /// Whether this node raises an alert concerning `territory` (ISO alpha-3; `None`: no
    /// nation, or not known) about an aircraft whose sensors' nations are `contributors`
    /// (sorted; empty: this node's own sensors only).
    pub fn here(&self, territory: Option<&str>, contributors: &[String]) -> bool {
        let own = self.own.as_str();
        let contributes = |nation: &str| {
            contributors.iter().any(|c| c == nation) || (contributors.is_empty() && nation == own)
        };
        if let Some(territory) = territory {
            if territory == own {
                return true;
            }
            let partner_holds = self.partners.iter().any(|p| p.as_str() == territory);
            if contributes(territory) || partner_holds {
                return false;
            }
        }
        contributors.iter().min().is_none_or(|first| first == own)
    }
}

/// What the book needs to know to write an alert.
pub struct Context<'a> {
    /// Which node of the confederation raises an alert.
    pub raiser: &'a Raiser,
    /// This node's nation (the origin of alerts).
    pub nation: Nation,
    /// The marking rule's policy.
    pub policy: &'a Policy,
    /// `[air] alert_marking`.
    pub marking: &'a Marking,
    /// How long an alert stays valid.
    pub validity: Duration,
    /// The node's clock.
    pub now: OffsetDateTime,
    /// The track's latest state, when the picture has it.
    pub track: Option<&'a TrackView>,
    /// The restricted zone named by the event, when it is one the node holds.
    pub zone: Option<&'a ZoneInfo>,
}

/// One alert write and its kind (for the counters).
#[derive(Debug, Clone)]
pub struct AlertWrite {
    /// The draft to store.
    pub draft: Draft,
    /// `border_crossing`, `no_transponder`, `emergency`, `zone_entry`.
    pub kind: &'static str,
}

/// The open alerts, per track.
#[derive(Debug, Default)]
pub struct AlertBook {
    open: HashMap<u32, HashMap<Subject, OpenAlert>>,
    crossings: HashMap<u32, u32>,
    inside: HashSet<(u32, String)>,
}

impl AlertBook {
    /// Tracks with at least one open alert.
    #[cfg(test)]
    pub fn n_tracks(&self) -> usize {
        self.open.len()
    }

    /// The writes one tracker event calls for.
    pub fn on_event(&mut self, event: &Event, ctx: &Context<'_>) -> Vec<AlertWrite> {
        let track = event.track.0;
        let when = instant(event.time_s);
        let label = label(event.track_number, ctx.track);
        match &event.kind {
            EventKind::Confirmed => Vec::new(),
            EventKind::BorderCrossing {
                from,
                to,
                crossing_time_s,
                lat_deg,
                lon_deg,
            } => {
                let n = {
                    let n = self.crossings.entry(track).or_insert(0);
                    *n += 1;
                    *n
                };
                let at = instant(*crossing_time_s);
                let title = format!("Border crossing {from} → {to}: {label} at {}", clock(at));
                let mut lines = vec![format!(
                    "{label} crossed from {from} into {to} at {} near {}.",
                    rfc3339(at),
                    lat_lon(*lat_deg, *lon_deg)
                )];
                lines.extend(description(ctx.track));
                self.open(
                    track,
                    Subject::Crossing(n),
                    title,
                    lines,
                    Some(Point::new(*lat_deg, *lon_deg)),
                    ctx.marking.clone(),
                    Some(to.as_str()),
                    ctx,
                )
                .into_iter()
                .collect()
            }
            EventKind::NoTransponder => {
                let subject = Subject::NoTransponder;
                if self.is_open(track, &subject) {
                    return self.update(
                        track,
                        &subject,
                        format!("No transponder again at {}.", rfc3339(when)),
                        ctx,
                    );
                }
                let place = position(ctx.track)
                    .map(|p| format!(" near {}", lat_lon(p.lat, p.lon)))
                    .unwrap_or_default();
                let over = ctx
                    .track
                    .and_then(|t| t.nation.as_deref())
                    .map(|n| format!(" over {n}"))
                    .unwrap_or_default();
                let title = format!("No transponder: {label}{over} at {}", clock(when));
                let mut lines = vec![format!(
                    "{label}: neither Mode S nor Mode 3/A since {}{place}.",
                    rfc3339(when)
                )];
                lines.extend(description(ctx.track));
                let over = ctx.track.and_then(|t| t.nation.as_deref());
                self.open(
                    track,
                    subject,
                    title,
                    lines,
                    position(ctx.track),
                    ctx.marking.clone(),
                    over,
                    ctx,
                )
                .into_iter()
                .collect()
            }
            EventKind::TransponderSeen => self.update(
                track,
                &Subject::NoTransponder,
                format!("Transponder seen again at {}.", rfc3339(when)),
                ctx,
            ),
            EventKind::Emergency { code } => {
                let subject = Subject::Emergency;
                let meaning = emergency_meaning(*code);
                if self.is_open(track, &subject) {
                    return self.update(
                        track,
                        &subject,
                        format!("Squawking {code:04o} ({meaning}) at {}.", rfc3339(when)),
                        ctx,
                    );
                }
                let title = format!("Squawk {code:04o} ({meaning}): {label} at {}", clock(when));
                let mut lines = vec![format!(
                    "{label} squawks {code:04o}, {meaning}, since {}.",
                    rfc3339(when)
                )];
                lines.extend(description(ctx.track));
                let over = ctx.track.and_then(|t| t.nation.as_deref());
                self.open(
                    track,
                    subject,
                    title,
                    lines,
                    position(ctx.track),
                    ctx.marking.clone(),
                    over,
                    ctx,
                )
                .into_iter()
                .collect()
            }
            EventKind::EmergencyCleared => self.update(
                track,
                &Subject::Emergency,
                format!("Emergency code no longer squawked at {}.", rfc3339(when)),
                ctx,
            ),
            EventKind::ZoneEntry {
                zone_id,
                zone_name,
                crossing_time_s,
                lat_deg,
                lon_deg,
            } => {
                if !self.inside.insert((track, zone_id.clone())) {
                    // Already known inside (the zones were reloaded): nothing new.
                    return Vec::new();
                }
                let subject = Subject::Zone(zone_id.clone());
                let at = crossing_time_s.map_or(when, instant);
                let how = if crossing_time_s.is_some() {
                    "entered"
                } else {
                    "is inside"
                };
                if self.is_open(track, &subject) {
                    return self.update(
                        track,
                        &subject,
                        format!("Entered again at {}.", rfc3339(at)),
                        ctx,
                    );
                }
                let Some(marking) = ctx
                    .zone
                    .and_then(|zone| combine(ctx.policy, ctx.nation, ctx.marking, zone))
                else {
                    // A zone the node no longer holds (or whose marking no alert of ours could
                    // carry): say nothing rather than leak it.
                    return Vec::new();
                };
                let title = format!(
                    "Restricted zone {zone_name}: {label} {how} at {}",
                    clock(at)
                );
                let mut lines = vec![format!(
                    "{label} {how} restricted zone {zone_name} at {} near {}.",
                    rfc3339(at),
                    lat_lon(*lat_deg, *lon_deg)
                )];
                lines.extend(description(ctx.track));
                let territory = ctx.zone.map(|zone| zone.origin.as_str());
                let Some(write) = self.open(
                    track,
                    subject.clone(),
                    title,
                    lines,
                    Some(Point::new(*lat_deg, *lon_deg)),
                    marking,
                    territory,
                    ctx,
                ) else {
                    return Vec::new();
                };
                if let Some(alert) = self
                    .open
                    .get_mut(&track)
                    .and_then(|alerts| alerts.get_mut(&subject))
                {
                    alert.zone_name = Some(zone_name.clone());
                }
                vec![write]
            }
            EventKind::ZoneExit {
                zone_id,
                crossing_time_s,
                ..
            } => {
                self.inside.remove(&(track, zone_id.clone()));
                self.update(
                    track,
                    &Subject::Zone(zone_id.clone()),
                    format!("Left the zone at {}.", rfc3339(instant(*crossing_time_s))),
                    ctx,
                )
            }
            EventKind::Deleted { reason } => {
                let why = match reason {
                    DeletionReason::Missed => "missed by the sensors",
                    DeletionReason::Unseen => "out of coverage",
                    DeletionReason::Coasted => "no update for too long",
                };
                let line = format!("Track lost at {} ({why}).", rfc3339(when));
                let subjects: Vec<Subject> = self
                    .open
                    .get(&track)
                    .map(|alerts| alerts.keys().cloned().collect())
                    .unwrap_or_default();
                let writes = subjects
                    .iter()
                    .flat_map(|subject| self.update(track, subject, line.clone(), ctx))
                    .collect();
                self.open.remove(&track);
                self.crossings.remove(&track);
                self.inside.retain(|(t, _)| *t != track);
                writes
            }
        }
    }

    fn is_open(&self, track: u32, subject: &Subject) -> bool {
        self.open
            .get(&track)
            .is_some_and(|alerts| alerts.contains_key(subject))
    }

    /// Opens an alert, if this node is the one to raise it (`territory`: the nation the event
    /// concerns).
    #[allow(clippy::too_many_arguments)]
    fn open(
        &mut self,
        track: u32,
        subject: Subject,
        title: String,
        lines: Vec<String>,
        location: Option<Point>,
        marking: Marking,
        territory: Option<&str>,
        ctx: &Context<'_>,
    ) -> Option<AlertWrite> {
        let contributors = ctx.track.map_or(&[][..], |t| t.nations.as_slice());
        if !ctx.raiser.here(territory, contributors) {
            return None;
        }
        let kind = subject.kind_label();
        let alert = OpenAlert {
            id: Uuid::now_v7(),
            zone_name: None,
            title: truncate(&title, liptako_model::object::MAX_TITLE_CHARS),
            lines,
            location: location.filter(|p| p.check().is_ok()),
            marking,
            valid_until: ctx.now + ctx.validity,
        };
        let draft = draft(&alert, Expect::New, ctx);
        self.open.entry(track).or_default().insert(subject, alert);
        Some(AlertWrite { draft, kind })
    }

    /// Re-marks and renames every open alert about a zone whose marking or name changed
    /// (`zone` looks a zone up by the tracker's zone id). An alert whose zone is gone keeps its
    /// marking and is not written again.
    pub fn rezone<'z>(
        &mut self,
        zone: impl Fn(&str) -> Option<&'z ZoneInfo>,
        ctx: &Context<'_>,
    ) -> Vec<AlertWrite> {
        let mut writes = Vec::new();
        for alerts in self.open.values_mut() {
            for (subject, alert) in alerts.iter_mut() {
                let Subject::Zone(zone_id) = subject else {
                    continue;
                };
                let Some(info) = zone(zone_id) else {
                    continue;
                };
                let Some(marking) = combine(ctx.policy, ctx.nation, ctx.marking, info) else {
                    continue;
                };
                let renamed = alert
                    .zone_name
                    .as_ref()
                    .is_some_and(|name| *name != info.name);
                if marking == alert.marking && !renamed {
                    continue;
                }
                if renamed && let Some(old) = alert.zone_name.replace(info.name.clone()) {
                    // The old name may say more than the zone now allows: it goes everywhere.
                    alert.title = truncate(
                        &alert.title.replace(&old, &info.name),
                        liptako_model::object::MAX_TITLE_CHARS,
                    );
                    for line in &mut alert.lines {
                        *line = line.replace(&old, &info.name);
                    }
                }
                alert.marking = marking;
                writes.push(AlertWrite {
                    draft: draft(alert, Expect::Any, ctx),
                    kind: subject.kind_label(),
                });
            }
        }
        writes
    }

    fn update(
        &mut self,
        track: u32,
        subject: &Subject,
        line: String,
        ctx: &Context<'_>,
    ) -> Vec<AlertWrite> {
        let Some(alert) = self
            .open
            .get_mut(&track)
            .and_then(|alerts| alerts.get_mut(subject))
        else {
            return Vec::new();
        };
        if let (Subject::Zone(_), Some(zone)) = (subject, ctx.zone) {
            // The zone as it is now decides the marking, never the one it had at entry.
            match combine(ctx.policy, ctx.nation, ctx.marking, zone) {
                Some(marking) => alert.marking = marking,
                None => return Vec::new(),
            }
        }
        alert.lines.push(line);
        if alert.lines.len() > MAX_LINES {
            // Keep what happened first and the latest news.
            alert.lines.remove(3.min(alert.lines.len() - 1));
        }
        alert.valid_until = ctx.now + ctx.validity;
        vec![AlertWrite {
            draft: draft(alert, Expect::Any, ctx),
            kind: subject.kind_label(),
        }]
    }
}

fn draft(alert: &OpenAlert, expect: Expect, ctx: &Context<'_>) -> Draft {
    let mut body = alert.lines.join("\n");
    if body.chars().count() > liptako_model::object::MAX_BODY_CHARS {
        body = truncate(&body, liptako_model::object::MAX_BODY_CHARS);
    }
    Draft {
        id: alert.id,
        origin: ctx.nation,
        expect,
        at: ctx.now,
        marking: alert.marking.clone(),
        valid_until: Some(alert.valid_until),
        exercise: None,
        body: Some(Body::Report(Report {
            kind: ReportKind::AirspaceAlert,
            title: alert.title.clone(),
            body,
            location: alert.location,
        })),
    }
}

/// The marking of an alert derived from `zone`: the one derivation of the access decision
/// (`Policy::derive_marking`: the higher level, released to the nations both markings reach).
/// `None` when a level is unknown.
pub fn combine(
    policy: &Policy,
    nation: Nation,
    alert: &Marking,
    zone: &ZoneInfo,
) -> Option<Marking> {
    policy
        .derive_marking(nation, &[(nation, alert), (zone.origin, &zone.marking)])
        .ok()
}

fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn instant(time_s: f64) -> OffsetDateTime {
    if !time_s.is_finite() {
        return OffsetDateTime::UNIX_EPOCH;
    }
    OffsetDateTime::from_unix_timestamp_nanos((time_s * 1e9) as i128)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn rfc3339(at: OffsetDateTime) -> String {
    let at = at.replace_nanosecond(0).unwrap_or(at);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn clock(at: OffsetDateTime) -> String {
    format!("{:02}:{:02}:{:02}Z", at.hour(), at.minute(), at.second())
}

fn lat_lon(lat: f64, lon: f64) -> String {
    format!(
        "{:.4}°{} {:.4}°{}",
        lat.abs(),
        if lat >= 0.0 { 'N' } else { 'S' },
        lon.abs(),
        if lon >= 0.0 { 'E' } else { 'W' }
    )
}

fn position(track: Option<&TrackView>) -> Option<Point> {
    track.map(|t| Point::new(t.position.lat, t.position.lon))
}

/// How an alert names a track: its flight identification or its number, and what stands out.
fn label(number: u16, track: Option<&TrackView>) -> String {
    let mut text = match track.and_then(|t| t.callsign.as_deref()) {
        Some(callsign) => format!("{callsign} (track {number:04})"),
        None => format!("track {number:04}"),
    };
    if track.is_some_and(|t| t.no_transponder) {
        text.push_str(" (no transponder)");
    }
    text
}

/// The track's state, one line per kind of fact.
fn description(track: Option<&TrackView>) -> Vec<String> {
    let Some(t) = track else {
        return Vec::new();
    };
    let mut lines = vec![format!(
        "Identity {}; speed {:.0} m/s, course {:.0}°{}.",
        serde_json::to_value(t.identity)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
            .replace('_', " "),
        t.speed_mps,
        t.course_deg,
        t.position
            .alt_m
            .map(|alt| format!(", altitude {alt:.0} m"))
            .unwrap_or_default()
    )];
    let mut codes = Vec::new();
    if let Some(code) = &t.mode3a {
        codes.push(format!("Mode 3/A {code}"));
    }
    if let Some(address) = &t.mode_s {
        codes.push(format!("Mode S {address}"));
    }
    if let Some(callsign) = &t.callsign {
        codes.push(format!("flight {callsign}"));
    }
    lines.push(if codes.is_empty() {
        "No transponder code.".to_owned()
    } else {
        format!("{}.", codes.join(", "))
    });
    if !t.sensors.is_empty() {
        lines.push(format!("Seen by {}.", t.sensors.join(", ")));
    }
    lines.push(format!("Air track {}.", t.uid));
    lines
}

fn emergency_meaning(code: u16) -> &'static str {
    match code {
        0o7500 => "unlawful interference",
        0o7600 => "radio failure",
        0o7700 => "general emergency",
        _ => "emergency",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liptako_model::{Confederation, Levels};
    use liptako_track::TrackId;

    fn nation(code: &str) -> Nation {
        Nation::parse(code).unwrap()
    }

    fn policy() -> Policy {
        Policy::new(
            Confederation::new("AES", vec![nation("MLI"), nation("BFA"), nation("NER")]).unwrap(),
            Levels::default(),
        )
    }

    fn event(track: u32, time_s: f64, kind: EventKind) -> Event {
        Event {
            time_s,
            track: TrackId(track),
            track_number: track as u16,
            kind,
        }
    }

    fn zone(marking: Marking, origin: &str) -> ZoneInfo {
        ZoneInfo {
            id: Uuid::nil(),
            name: "R-14".into(),
            origin: nation(origin),
            marking,
            ring: Vec::new(),
            valid_until: None,
        }
    }

    #[test]
    fn zone_alerts_are_as_restricted_as_their_zone() {
        let policy = policy();
        let dr_all = Marking::new("DR", ["AES"]);
        let mli = nation("MLI");
        // Our own confidential national zone: the alert is C, national.
        let combined = combine(
            &policy,
            mli,
            &dr_all,
            &zone(Marking::new("C", Vec::<String>::new()), "MLI"),
        );
        assert_eq!(combined, Some(Marking::new("C", Vec::<String>::new())));
        // A BFA zone released to MLI only: the alert may go to BFA (it is theirs), not NER.
        let combined = combine(
            &policy,
            mli,
            &dr_all,
            &zone(Marking::new("NP", ["MLI"]), "BFA"),
        );
        assert_eq!(combined, Some(Marking::new("DR", ["BFA"])));
        // Both released to everyone: the confederation.
        let combined = combine(
            &policy,
            mli,
            &dr_all,
            &zone(Marking::new("NP", ["AES"]), "NER"),
        );
        assert_eq!(combined, Some(dr_all.clone()));
        // An unknown level cannot be combined.
        assert_eq!(
            combine(
                &policy,
                mli,
                &dr_all,
                &zone(Marking::new("TS", ["AES"]), "NER")
            ),
            None
        );
    }

    #[test]
    fn an_alert_about_an_aircraft_is_raised_by_one_nation_only() {
        let linked = |own: &str| Raiser {
            own: nation(own),
            partners: ["MLI", "BFA", "NER"]
                .into_iter()
                .filter(|n| *n != own)
                .map(nation)
                .collect(),
        };
        let names = |list: &[&str]| list.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let raisers = |territory: Option<&str>, contributors: &[&str]| {
            ["MLI", "BFA", "NER"]
                .into_iter()
                .filter(|own| linked(own).here(territory, &names(contributors)))
                .collect::<Vec<_>>()
        };
        // Seen by Mali's radar only, crossing into Niger: Niger raises it (it holds the track
        // through the joint picture), Mali and Burkina Faso hold its replica.
        assert_eq!(raisers(Some("NER"), &["MLI"]), ["NER"]);
        // Seen by both, over Mali: Mali.
        assert_eq!(raisers(Some("MLI"), &["MLI", "NER"]), ["MLI"]);
        // Over a nation outside the confederation (Algeria): the first contributor.
        assert_eq!(raisers(Some("DZA"), &["NER", "MLI"]), ["MLI"]);
        assert_eq!(raisers(None, &["NER"]), ["NER"]);
        // Every case, every territory: exactly one raiser while the links carry the tracks.
        for territory in [None, Some("MLI"), Some("BFA"), Some("NER"), Some("DZA")] {
            for contributors in [
                &["MLI"][..],
                &["NER"],
                &["BFA", "MLI"],
                &["BFA", "MLI", "NER"],
            ] {
                assert_eq!(
                    raisers(territory, contributors).len(),
                    1,
                    "{territory:?} {contributors:?}"
                );
            }
        }
        // A node alone (or whose links may not carry its tracks) raises what its sensors see,
        // wherever it is.
        let alone = Raiser::alone(nation("MLI"));
        assert!(alone.here(Some("NER"), &[]));
        assert!(alone.here(Some("NER"), &names(&["MLI"])));
        // ... but not what only a partner's sensors see over that partner's own territory.
        assert!(!alone.here(Some("NER"), &names(&["NER"])));
    }

    #[test]
    fn one_report_per_subject_updated_by_later_events() {
        let policy = policy();
        let marking = Marking::new("DR", ["AES"]);
        let z = zone(Marking::new("C", ["AES"]), "MLI");
        let raiser = Raiser::alone(nation("MLI"));
        let ctx = |zone| Context {
            raiser: &raiser,
            nation: nation("MLI"),
            policy: &policy,
            marking: &marking,
            validity: Duration::from_secs(3600),
            now: OffsetDateTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            track: None,
            zone,
        };
        let mut book = AlertBook::default();
        let t0 = 1_700_000_000.0;
        let no_transponder = book.on_event(&event(7, t0, EventKind::NoTransponder), &ctx(None));
        assert_eq!(no_transponder.len(), 1);
        assert_eq!(no_transponder[0].draft.expect, Expect::New);
        let id = no_transponder[0].draft.id;
        // Flickering transponder: the same report is updated, no new one.
        for (k, kind) in [EventKind::TransponderSeen, EventKind::NoTransponder]
            .into_iter()
            .enumerate()
        {
            let writes = book.on_event(&event(7, t0 + k as f64, kind), &ctx(None));
            assert_eq!(writes.len(), 1);
            assert_eq!(
                (writes[0].draft.id, writes[0].draft.expect),
                (id, Expect::Any)
            );
        }
        // Two crossings: two reports.
        let crossing = |t| {
            event(
                7,
                t,
                EventKind::BorderCrossing {
                    from: "MLI".into(),
                    to: "NER".into(),
                    crossing_time_s: t - 3.0,
                    lat_deg: 15.0,
                    lon_deg: 0.5,
                },
            )
        };
        let a = book.on_event(&crossing(t0 + 10.0), &ctx(None));
        let b = book.on_event(&crossing(t0 + 90.0), &ctx(None));
        assert_ne!(a[0].draft.id, b[0].draft.id);
        let Some(Body::Report(report)) = &a[0].draft.body else {
            panic!()
        };
        assert_eq!(report.kind, ReportKind::AirspaceAlert);
        assert!(
            report
                .title
                .starts_with("Border crossing MLI → NER: track 0007"),
            "{}",
            report.title
        );
        assert_eq!(report.location, Some(Point::new(15.0, 0.5)));
        // A zone entry, marked like the zone; re-evaluation after a zone reload: nothing.
        let entry = |crossing| {
            event(
                7,
                t0 + 100.0,
                EventKind::ZoneEntry {
                    zone_id: Uuid::nil().to_string(),
                    zone_name: "R-14".into(),
                    crossing_time_s: crossing,
                    lat_deg: 15.1,
                    lon_deg: 0.6,
                },
            )
        };
        let entered = book.on_event(&entry(Some(t0 + 99.0)), &ctx(Some(&z)));
        assert_eq!(entered[0].draft.marking, Marking::new("C", ["AES"]));
        assert!(book.on_event(&entry(None), &ctx(Some(&z))).is_empty());
        // Nothing changed in the zone: nothing to write.
        assert!(book.rezone(|_| Some(&z), &ctx(None)).is_empty());
        // The zone is renamed and upgraded to S, national to its origin: the open alert follows
        // at once, and its text no longer says the old name.
        let upgraded = ZoneInfo {
            name: "R-99".into(),
            marking: Marking::new("S", Vec::<String>::new()),
            ..z.clone()
        };
        let rezoned = book.rezone(|_| Some(&upgraded), &ctx(None));
        assert_eq!(rezoned.len(), 1);
        assert_eq!(rezoned[0].draft.id, entered[0].draft.id);
        assert_eq!(rezoned[0].draft.marking.level, "S");
        let Some(Body::Report(report)) = &rezoned[0].draft.body else {
            panic!()
        };
        assert!(
            !report.title.contains("R-14") && report.title.contains("R-99"),
            "{}",
            report.title
        );
        assert!(!report.body.contains("R-14"), "{}", report.body);
        // Track lost: every open report of the track gets a last line, then it is forgotten.
        let lost = book.on_event(
            &event(
                7,
                t0 + 200.0,
                EventKind::Deleted {
                    reason: DeletionReason::Missed,
                },
            ),
            &ctx(None),
        );
        assert_eq!(lost.len(), 4, "no transponder, two crossings, the zone");
        assert_eq!(book.n_tracks(), 0);
        // Nothing is ever above the body limits.
        for write in lost {
            write.draft.body.as_ref().unwrap().check().unwrap();
        }
    }
}
