//! The air picture as the rest of the node sees it, part of the core so that every feature may
//! read it without importing the air feature: [`TrackView`] (one system track, the JSON of the
//! API, the live feed and the stored history), [`AirPicture`] (the latest picture), [`AirHub`]
//! (the bus's topic: the latest picture, and the live updates) and [`AirTrack`] (a track as
//! map clients such as TAK are given it).
//!
//! Every track of a node's picture has the node's nation as origin and its own marking
//! (`[air] track_marking`, or `track_marking_over` for the nation under it): the marking rule
//! decides per track. The tracks of one picture have few distinct markings (its *classes*), so
//! a reader's view is decided once per class, and a reader who may see every class gets the
//! picture serialised once for all.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use liptako_model::{Audience, Labelled, Marked, Marking, Nation, Point, Policy};
use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::{broadcast, watch};

/// Updates the live feed holds for slow subscribers before they are told to resynchronise.
const UPDATE_QUEUE: usize = 64;

/// Standard identity of an air track (MIL-STD-2525 / CoT affiliation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    /// Not evaluated yet: a transponder, no rule says more.
    Pending,
    /// Evaluated, not identified: no transponder.
    Unknown,
    /// A friend code (`[air] friend_codes`).
    AssumedFriend,
    /// Identified civil traffic (Mode S address and flight identification).
    Neutral,
    /// Squawking 7500 (unlawful interference).
    Suspect,
}

impl Identity {
    /// The CoT type of an air track of this identity.
    pub fn cot_type(self) -> &'static str {
        match self {
            Identity::Pending => "a-p-A",
            Identity::Unknown => "a-u-A",
            Identity::AssumedFriend => "a-a-A",
            Identity::Neutral => "a-n-A-C",
            Identity::Suspect => "a-s-A",
        }
    }

    /// The identity map clients (TAK) show.
    pub fn air_identity(self) -> AirIdentity {
        match self {
            Identity::Pending => AirIdentity::Pending,
            Identity::Unknown => AirIdentity::Unknown,
            Identity::AssumedFriend => AirIdentity::AssumedFriend,
            Identity::Neutral => AirIdentity::Neutral,
            Identity::Suspect => AirIdentity::Suspect,
        }
    }
}

/// Standard identity of an air track (MIL-STD-2525 / CoT affiliation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AirIdentity {
    /// Not yet evaluated.
    Pending,
    /// Evaluated, not identified.
    Unknown,
    /// Assumed friend.
    AssumedFriend,
    /// Friend.
    Friend,
    /// Neutral (e.g. identified civil traffic).
    Neutral,
    /// Suspect.
    Suspect,
    /// Hostile.
    Hostile,
}

impl AirIdentity {
    /// The CoT affiliation letter.
    pub fn cot_letter(self) -> char {
        match self {
            AirIdentity::Pending => 'p',
            AirIdentity::Unknown => 'u',
            AirIdentity::AssumedFriend => 'a',
            AirIdentity::Friend => 'f',
            AirIdentity::Neutral => 'n',
            AirIdentity::Suspect => 's',
            AirIdentity::Hostile => 'h',
        }
    }
}

/// An air track as the air picture hands it to map clients (TAK), through the bus
/// ([`crate::bus::Publications`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AirTrack {
    /// Stable id of the track; the CoT uid (e.g. `MLI-air-1234`).
    pub uid: String,
    /// The nation whose node made the track.
    pub origin: Nation,
    /// Who may see it: the marking rule decides per client.
    pub marking: Marking,
    /// The exercise it belongs to; `None` for the real world.
    pub exercise: Option<String>,
    /// When the position was valid.
    pub time: OffsetDateTime,
    /// Position; `alt_m` is the height above the ellipsoid when known.
    pub position: Point,
    /// Course over ground, degrees from true north.
    pub course_deg: Option<f64>,
    /// Ground speed, metres per second.
    pub speed_mps: Option<f64>,
    /// Identity (gives the CoT type `a-<identity>-A` unless `cot_type` is set).
    pub identity: AirIdentity,
    /// A more precise CoT type (e.g. `a-n-A-C-F` for a civil fixed-wing aircraft).
    pub cot_type: Option<String>,
    /// The label shown (flight id, Mode 3/A, track number).
    pub callsign: Option<String>,
    /// Free text shown with the track.
    pub remarks: Option<String>,
    /// How long TAK clients keep showing the track without an update.
    pub stale_after: Duration,
}

/// One system track, as the API, the live feed and the history show it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TrackView {
    /// Stable for the track's life, unique across restarts: `<nation>-air-<run>-<id>`. Also
    /// its CoT uid on TAK clients.
    pub uid: String,
    /// 16-bit system track number (CAT062 I062/040).
    pub track_number: u16,
    /// When the position and velocity are valid (the picture's time).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub time: OffsetDateTime,
    /// The last measurement that updated the track.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated: OffsetDateTime,
    /// Position; `alt_m` is the reported altitude (Mode C or ADS-B) when known.
    pub position: Point,
    /// Course over ground, degrees from true north.
    pub course_deg: f64,
    /// Ground speed, m/s.
    pub speed_mps: f64,
    /// East velocity, m/s.
    pub velocity_east_mps: f64,
    /// North velocity, m/s.
    pub velocity_north_mps: f64,
    /// Turn rate, degrees per second, positive to the right.
    pub turn_rate_deg_s: f64,
    /// Position uncertainty (largest axis, one sigma), metres.
    pub position_sigma_m: f64,
    /// Mode 3/A code, 4 octal digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode3a: Option<String>,
    /// Mode S address, 6 hex digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode_s: Option<String>,
    /// Flight identification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callsign: Option<String>,
    /// The nation under the track (ISO alpha-3), when borders are checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nation: Option<String>,
    /// Standard identity.
    pub identity: Identity,
    /// CoT type on TAK clients.
    pub cot_type: String,
    /// Neither Mode S nor Mode 3/A seen lately.
    pub no_transponder: bool,
    /// Emergency squawk (7500, 7600, 7700).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency: Option<String>,
    /// Sensors that updated the track lately: this node's by name, partners' as
    /// `NATION/sensor`.
    pub sensors: Vec<String>,
    /// The nations whose sensors contribute (the joint picture), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nations: Vec<String>,
    /// Who may see it.
    pub marking: Marking,
    /// The tracker's id of the track (not shown: the uid carries it).
    #[serde(skip)]
    pub id: u32,
}

impl TrackView {
    /// Whether `self` says something new compared with `before`, the same track in the previous
    /// picture: a new measurement, or another code, name, nation, identity or flag. A coasting
    /// track's prediction alone is not news: clients extrapolate it themselves.
    pub fn is_news_after(&self, before: &TrackView) -> bool {
        self.updated != before.updated
            || self.mode3a != before.mode3a
            || self.mode_s != before.mode_s
            || self.callsign != before.callsign
            || self.nation != before.nation
            || self.identity != before.identity
            || self.no_transponder != before.no_transponder
            || self.emergency != before.emergency
            || self.sensors != before.sensors
            || self.nations != before.nations
            || self.marking != before.marking
    }
}

/// The latest picture.
#[derive(Debug)]
pub struct AirPicture {
    /// Its time (`None` before the first picture).
    pub time: Option<OffsetDateTime>,
    /// The node that made it.
    pub origin: Nation,
    /// Every marking its tracks may have (`[air] track_marking` first), whether or not a track
    /// has it now: what a partner's track must be no narrower than to be fused.
    pub markings: Vec<Marking>,
    /// Its tracks, by track number.
    pub tracks: Vec<TrackView>,
    json: OnceLock<Arc<[u8]>>,
}

#[derive(Serialize)]
struct PictureDoc<'a> {
    #[serde(with = "time::serde::rfc3339::option")]
    time: Option<OffsetDateTime>,
    origin: Nation,
    marking: &'a Marking,
    tracks: Vec<&'a TrackView>,
}

/// A track of this node's picture as the access decision reads it.
fn labelled<'a>(origin: Nation, track: &'a TrackView) -> Labelled<'a> {
    Labelled {
        origin,
        marking: &track.marking,
        // The node's own picture is real-world; exercise tracks never enter it.
        world: None,
    }
}

impl AirPicture {
    /// A picture of `tracks` at `time`; `markings`: every marking a track may have (the
    /// default first).
    pub fn new(
        time: Option<OffsetDateTime>,
        origin: Nation,
        markings: Vec<Marking>,
        tracks: Vec<TrackView>,
    ) -> AirPicture {
        AirPicture {
            time,
            origin,
            markings,
            tracks,
            json: OnceLock::new(),
        }
    }

    /// The picture's default marking (`[air] track_marking`; no level before the air picture
    /// runs, which lets nobody see anything).
    pub fn marking(&self) -> Marking {
        self.markings
            .first()
            .cloned()
            .unwrap_or_else(|| Marking::new("", Vec::<String>::new()))
    }

    /// Whether `audience` may see the picture's default marking (an empty picture, its time).
    pub fn sees_default(&self, policy: &Policy, audience: Audience<'_>) -> bool {
        let default = self.marking();
        policy.allows(
            audience,
            &Labelled {
                origin: self.origin,
                marking: &default,
                world: None,
            },
        )
    }

    /// Whether `audience` may see `track`.
    pub fn shows(&self, policy: &Policy, audience: Audience<'_>, track: &TrackView) -> bool {
        policy.allows(audience, &labelled(self.origin, track))
    }

    /// The tracks `audience` may see (`None`: every track), deciding once per marking.
    fn visible(&self, policy: &Policy, audience: Audience<'_>) -> Option<Vec<&TrackView>> {
        let mut decided: Vec<(&Marking, bool)> = Vec::new();
        let mut shown: Vec<&TrackView> = Vec::with_capacity(self.tracks.len());
        for track in &self.tracks {
            let allowed = match decided.iter().find(|(m, _)| **m == track.marking) {
                Some((_, allowed)) => *allowed,
                None => {
                    let allowed = self.shows(policy, audience, track);
                    decided.push((&track.marking, allowed));
                    allowed
                }
            };
            if allowed {
                shown.push(track);
            }
        }
        (shown.len() < self.tracks.len()).then_some(shown)
    }

    /// The tracks `audience` may see.
    pub fn tracks_for(&self, policy: &Policy, audience: Audience<'_>) -> Vec<&TrackView> {
        self.visible(policy, audience)
            .unwrap_or_else(|| self.tracks.iter().collect())
    }

    /// The picture as the API answers it to `audience` (`{"time", "origin", "marking",
    /// "tracks"}`, `marking` the highest of the tracks shown, or the default), or `None` when
    /// it may see neither the picture's default marking nor any track. A reader who may see
    /// every track shares one serialisation per picture.
    pub fn json_for(&self, policy: &Policy, audience: Audience<'_>) -> Option<Arc<[u8]>> {
        let sees_default = self.sees_default(policy, audience);
        match self.visible(policy, audience) {
            None if sees_default || !self.tracks.is_empty() => Some(
                self.json
                    .get_or_init(|| self.document(policy, self.tracks.iter().collect()))
                    .clone(),
            ),
            None => None,
            Some(shown) if shown.is_empty() && !sees_default => None,
            Some(shown) => Some(self.document(policy, shown)),
        }
    }

    fn document(&self, policy: &Policy, tracks: Vec<&TrackView>) -> Arc<[u8]> {
        let marking = self.marking_of(policy, &tracks);
        serde_json::to_vec(&PictureDoc {
            time: self.time,
            origin: self.origin,
            marking: &marking,
            tracks,
        })
        .unwrap_or_default()
        .into()
    }

    /// The marking of a set of this picture's tracks: the highest level among them, released
    /// to those who may hold every one (the default marking for none).
    pub fn marking_of(&self, policy: &Policy, tracks: &[&TrackView]) -> Marking {
        let mut markings: Vec<&Marking> = Vec::new();
        for track in tracks {
            if !markings.contains(&&track.marking) {
                markings.push(&track.marking);
            }
        }
        match markings.as_slice() {
            [] => self.marking(),
            [one] => (*one).clone(),
            many => {
                let sources: Vec<(Nation, &Marking)> =
                    many.iter().map(|m| (self.origin, *m)).collect();
                policy
                    .derive_marking(self.origin, &sources)
                    .unwrap_or_else(|_| self.marking())
            }
        }
    }

    /// The live feed message carrying the picture `audience` may see (`"full": true`), if it
    /// may see anything of it.
    pub fn full_message_for(&self, policy: &Policy, audience: Audience<'_>) -> Option<String> {
        let tracks = self.tracks_for(policy, audience);
        let sees_default = self.sees_default(policy, audience);
        (sees_default || !tracks.is_empty())
            .then(|| update_message(self.time, true, tracks.into_iter(), std::iter::empty()))
    }
}

/// The live feed's air message: `{"op":"air","full":..,"time":..,"tracks":[..],"dropped":[..]}`.
pub fn update_message<'a>(
    time: Option<OffsetDateTime>,
    full: bool,
    tracks: impl Iterator<Item = &'a TrackView>,
    dropped: impl Iterator<Item = &'a str>,
) -> String {
    #[derive(Serialize)]
    struct Message<'a> {
        op: &'static str,
        full: bool,
        #[serde(with = "time::serde::rfc3339::option")]
        time: Option<OffsetDateTime>,
        tracks: Vec<&'a TrackView>,
        dropped: Vec<&'a str>,
    }
    serde_json::to_string(&Message {
        op: "air",
        full,
        time,
        tracks: tracks.collect(),
        dropped: dropped.collect(),
    })
    .unwrap_or_default()
}

/// One live update: what changed since the previous picture, as the message text.
#[derive(Debug)]
pub struct AirUpdate {
    /// The node that made it.
    pub origin: Nation,
    /// Who may see it.
    pub marking: Marking,
    /// The message (see [`update_message`]).
    pub message: Arc<str>,
}

impl Marked for AirUpdate {
    fn origin(&self) -> Nation {
        self.origin
    }
    fn marking(&self) -> &Marking {
        &self.marking
    }
    fn world(&self) -> Option<&str> {
        None
    }
}

impl Marked for AirTrack {
    fn origin(&self) -> Nation {
        self.origin
    }
    fn marking(&self) -> &Marking {
        &self.marking
    }
    fn world(&self) -> Option<&str> {
        self.exercise.as_deref()
    }
}

/// The node's handle on the air picture: cheap to clone, never blocks a reader for long (the
/// picture is swapped whole).
#[derive(Clone)]
pub struct AirHub {
    shared: Arc<HubShared>,
}

struct HubShared {
    active: AtomicBool,
    picture: RwLock<Arc<AirPicture>>,
    updates: broadcast::Sender<Arc<AirUpdate>>,
}

impl std::fmt::Debug for AirHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AirHub")
            .field("active", &self.is_active())
            .finish_non_exhaustive()
    }
}

impl AirHub {
    /// An empty, inactive picture of `nation` (the node makes one; `air::start` activates it).
    /// Until the air picture runs, its marking has no level, so the rule lets nobody see it.
    pub fn new(nation: Nation) -> AirHub {
        let marking = Marking::new("", Vec::<String>::new());
        let (updates, _) = broadcast::channel(UPDATE_QUEUE);
        AirHub {
            shared: Arc::new(HubShared {
                active: AtomicBool::new(false),
                picture: RwLock::new(Arc::new(AirPicture::new(
                    None,
                    nation,
                    vec![marking],
                    Vec::new(),
                ))),
                updates,
            }),
        }
    }

    /// Whether an air picture runs (sensors are configured).
    pub fn is_active(&self) -> bool {
        self.shared.active.load(Ordering::Acquire)
    }

    pub(crate) fn activate(&self) {
        self.shared.active.store(true, Ordering::Release);
    }

    /// The latest picture.
    pub fn picture(&self) -> Arc<AirPicture> {
        self.shared
            .picture
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// A subscription to the live updates (changed and dropped tracks at every picture).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<AirUpdate>> {
        self.shared.updates.subscribe()
    }

    /// Publishes a new picture and the updates leading to it from the previous one, in order
    /// (one per marking; see [`class_updates`]).
    pub(crate) fn publish(&self, picture: Arc<AirPicture>, updates: Vec<AirUpdate>) {
        *self
            .shared
            .picture
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = picture;
        for update in updates {
            // No subscriber is not an error.
            let _ = self.shared.updates.send(Arc::new(update));
        }
    }
}

/// The live updates from `before` to `now` (this node's views at two pictures), one per
/// marking so that each reader is told only what it may see: first, per marking, the uids that
/// left it (gone, or now under another marking), then, per marking, the tracks that are news or
/// came into it; a reader who may see both markings of a track that moved drops it and gets it
/// again, in that order. With one marking (the usual case) it is one message, as it always was;
/// when nothing changed, one message under `default` still carries the picture's time.
pub fn class_updates(
    origin: Nation,
    time: Option<OffsetDateTime>,
    before: &[TrackView],
    now: &[TrackView],
    default: &Marking,
) -> Vec<AirUpdate> {
    let previous: HashMap<u32, &TrackView> = before.iter().map(|t| (t.id, t)).collect();
    let current: HashMap<u32, &TrackView> = now.iter().map(|t| (t.id, t)).collect();
    let mut markings: Vec<&Marking> = Vec::new();
    for track in before.iter().chain(now) {
        if !markings.contains(&&track.marking) {
            markings.push(&track.marking);
        }
    }
    let left = |marking: &Marking| -> Vec<&str> {
        before
            .iter()
            .filter(|t| t.marking == *marking)
            .filter(|t| current.get(&t.id).is_none_or(|c| c.marking != *marking))
            .map(|t| t.uid.as_str())
            .collect()
    };
    let news = |marking: &Marking| -> Vec<&TrackView> {
        now.iter()
            .filter(|t| t.marking == *marking)
            .filter(|t| {
                previous
                    .get(&t.id)
                    .is_none_or(|old| old.marking != t.marking || t.is_news_after(old))
            })
            .collect()
    };
    let update = |marking: &Marking, tracks: Vec<&TrackView>, dropped: Vec<&str>| AirUpdate {
        origin,
        marking: marking.clone(),
        message: update_message(time, false, tracks.into_iter(), dropped.into_iter()).into(),
    };
    if let [only] = markings.as_slice() {
        return vec![update(only, news(only), left(only))];
    }
    let mut updates: Vec<AirUpdate> = markings
        .iter()
        .map(|m| (*m, left(m)))
        .filter(|(_, dropped)| !dropped.is_empty())
        .map(|(m, dropped)| update(m, Vec::new(), dropped))
        .collect();
    updates.extend(
        markings
            .iter()
            .map(|m| (*m, news(m)))
            .filter(|(_, tracks)| !tracks.is_empty())
            .map(|(m, tracks)| update(m, tracks, Vec::new())),
    );
    if updates.is_empty() {
        updates.push(update(default, Vec::new(), Vec::new()));
    }
    updates
}

/// The tracks of `now` that are news after `before`, and the uids of `before`'s tracks gone.
pub fn changes<'a>(
    before: &'a [TrackView],
    now: &'a [TrackView],
) -> (Vec<&'a TrackView>, Vec<&'a str>) {
    let previous: HashMap<u32, &TrackView> = before.iter().map(|t| (t.id, t)).collect();
    let changed = now
        .iter()
        .filter(|t| previous.get(&t.id).is_none_or(|old| t.is_news_after(old)))
        .collect();
    let current: std::collections::HashSet<u32> = now.iter().map(|t| t.id).collect();
    let dropped = before
        .iter()
        .filter(|t| !current.contains(&t.id))
        .map(|t| t.uid.as_str())
        .collect();
    (changed, dropped)
}

/// The joint air picture's exchange, between the air picture (which makes this node's tracks
/// and fuses partners') and federation (which carries them over the links): both are
/// features, so they meet here.
///
/// - Out: after every picture, the air picture [`JointAir::offer`]s this node's own tracks
///   (what its own sensors see, never what partners told it) with their priority and marking;
///   each partner stream subscribes and decides, per track, what the link may carry.
/// - In: a partner's tracks, already checked by the federation receiver, are
///   [`JointAir::deliver`]ed to the air picture's tracker as a source of its own.
pub struct JointAir {
    own: watch::Sender<Option<Arc<OwnTracks>>>,
    sink: RwLock<Option<PartnerSink>>,
}

type PartnerSink = Box<dyn Fn(PartnerTracks) -> bool + Send + Sync>;

impl std::fmt::Debug for JointAir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JointAir").finish_non_exhaustive()
    }
}

impl Default for JointAir {
    fn default() -> Self {
        JointAir {
            own: watch::channel(None).0,
            sink: RwLock::new(None),
        }
    }
}

/// This node's own tracks at one picture, for its partners.
#[derive(Debug)]
pub struct OwnTracks {
    /// The picture's time, tracker seconds (Unix).
    pub time_s: f64,
    /// This node.
    pub origin: Nation,
    /// Each track's marking, and its report, priority and marking (as words) for the link.
    pub offers: Vec<(Marking, liptako_track::link::Offer)>,
}

impl OwnTracks {
    /// The offers a partner over `link` may hold (the link's ceiling and nation against each
    /// track's marking).
    pub fn for_link(
        &self,
        policy: &Policy,
        link: &liptako_model::LinkAccreditation,
    ) -> Vec<liptako_track::link::Offer> {
        let mut decided: Vec<(&Marking, bool)> = Vec::new();
        self.offers
            .iter()
            .filter(
                |(marking, _)| match decided.iter().find(|(m, _)| *m == marking) {
                    Some((_, allowed)) => *allowed,
                    None => {
                        let allowed = policy.allows(
                            Audience::link(link),
                            &Labelled {
                                origin: self.origin,
                                marking,
                                world: None,
                            },
                        );
                        decided.push((marking, allowed));
                        allowed
                    }
                },
            )
            .map(|(_, offer)| offer.clone())
            .collect()
    }
}

/// Records of a partner's tracks, checked by the federation receiver.
#[derive(Debug)]
pub struct PartnerTracks {
    /// The partner.
    pub partner: Nation,
    /// Its records (states with their marking, and ends).
    pub records: Vec<liptako_track::wire::LinkRecord>,
}

impl JointAir {
    /// Offers this node's tracks at a new picture (replaces the previous offer).
    pub fn offer(&self, own: OwnTracks) {
        self.own.send_replace(Some(Arc::new(own)));
    }

    /// The latest offer, and every later one.
    pub fn subscribe(&self) -> watch::Receiver<Option<Arc<OwnTracks>>> {
        self.own.subscribe()
    }

    /// Where partners' tracks go (the air picture sets it when it runs).
    pub fn set_sink(&self, sink: impl Fn(PartnerTracks) -> bool + Send + Sync + 'static) {
        *self
            .sink
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Box::new(sink));
    }

    /// No air picture takes partners' tracks any more (shutdown).
    pub fn clear_sink(&self) {
        *self
            .sink
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// Hands a partner's tracks to the air picture; `false` if none runs or its queue is full
    /// (the records are dropped: the partner's next states replace them).
    pub fn deliver(&self, tracks: PartnerTracks) -> bool {
        self.sink
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .is_some_and(|sink| sink(tracks))
    }

    /// Whether an air picture takes partners' tracks.
    pub fn is_fusing(&self) -> bool {
        self.sink
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liptako_model::{Confederation, Levels, Principal, Role};

    fn nation(code: &str) -> Nation {
        Nation::parse(code).unwrap_or_else(|_| panic!("{code}"))
    }

    fn policy() -> Policy {
        let members = ["MLI", "BFA", "NER"].map(nation).into_iter().collect();
        Policy::new(
            Confederation::new("AES", members).unwrap_or_else(|err| panic!("{err}")),
            Levels::default(),
        )
    }

    fn track(id: u32, over: &str, marking: &Marking) -> TrackView {
        TrackView {
            uid: format!("MLI-air-1-{id}"),
            track_number: id as u16,
            time: OffsetDateTime::UNIX_EPOCH,
            updated: OffsetDateTime::UNIX_EPOCH,
            position: Point::new(15.0, 0.5),
            course_deg: 90.0,
            speed_mps: 100.0,
            velocity_east_mps: 100.0,
            velocity_north_mps: 0.0,
            turn_rate_deg_s: 0.0,
            position_sigma_m: 50.0,
            mode3a: None,
            mode_s: None,
            callsign: None,
            nation: Some(over.to_owned()),
            identity: Identity::Pending,
            cot_type: "a-p-A".into(),
            no_transponder: false,
            emergency: None,
            sensors: vec!["GAO".into()],
            nations: vec!["MLI".into()],
            marking: marking.clone(),
            id,
        }
    }

    fn uids(message: &str, key: &str) -> Vec<String> {
        let value: serde_json::Value = serde_json::from_str(message).unwrap_or_default();
        value[key]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|t| t.get("uid").unwrap_or(t).as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn each_reader_gets_the_tracks_whose_marking_it_may_see() {
        let policy = policy();
        let all = Marking::new("DR", ["AES"]);
        let national = Marking::new("DR", ["MLI"]);
        let picture = AirPicture::new(
            None,
            nation("MLI"),
            vec![all.clone(), national.clone()],
            vec![track(1, "BFA", &all), track(2, "MLI", &national)],
        );
        let analyst = Principal::new("analyst", nation("MLI"), "DR", Role::Viewer);
        let liaison = Principal::new("liaison", nation("NER"), "DR", Role::Viewer);
        let guest = Principal::new("guest", nation("MLI"), "NP", Role::Viewer);
        let shown = |p: &Principal| -> Vec<u32> {
            picture
                .tracks_for(&policy, Audience::reader(p, None))
                .iter()
                .map(|t| t.id)
                .collect()
        };
        assert_eq!(shown(&analyst), [1, 2]);
        assert_eq!(shown(&liaison), [1]);
        assert!(shown(&guest).is_empty());
        // The analyst shares the one serialisation; the liaison's document says the marking of
        // what it holds; the guest gets nothing.
        let whole = |p: &Principal| {
            picture
                .json_for(&policy, Audience::reader(p, None))
                .unwrap_or_default()
        };
        assert!(Arc::ptr_eq(&whole(&analyst), &whole(&analyst)));
        let partial = picture
            .json_for(&policy, Audience::reader(&liaison, None))
            .unwrap_or_default();
        let doc: serde_json::Value = serde_json::from_slice(&partial).unwrap_or_default();
        assert_eq!(doc["tracks"].as_array().map(Vec::len), Some(1));
        assert_eq!(doc["marking"]["releasable_to"], serde_json::json!(["AES"]));
        assert!(
            picture
                .json_for(&policy, Audience::reader(&guest, None))
                .is_none()
        );
        let full = picture
            .full_message_for(&policy, Audience::reader(&liaison, None))
            .unwrap_or_default();
        assert_eq!(uids(&full, "tracks"), ["MLI-air-1-1"]);
        assert!(
            picture
                .full_message_for(&policy, Audience::reader(&guest, None))
                .is_none()
        );
        // A link takes only what it may carry.
        let own = OwnTracks {
            time_s: 0.0,
            origin: nation("MLI"),
            offers: vec![(all.clone(), offer(1)), (national.clone(), offer(2))],
        };
        let to_ner = liptako_model::LinkAccreditation {
            nation: nation("NER"),
            ceiling: "C".into(),
        };
        let carried: Vec<u32> = own
            .for_link(&policy, &to_ner)
            .iter()
            .map(|o| o.report.track_number)
            .collect();
        assert_eq!(carried, [1]);
    }

    fn offer(number: u32) -> liptako_track::link::Offer {
        liptako_track::link::Offer {
            report: liptako_track::SystemTrackReport {
                track_number: number,
                ..Default::default()
            },
            priority: liptako_track::link::Priority::Routine,
            marking: None,
        }
    }

    #[test]
    fn a_track_changing_marking_is_dropped_from_one_class_before_it_joins_the_other() {
        let all = Marking::new("DR", ["AES"]);
        let national = Marking::new("DR", ["MLI"]);
        let before = vec![track(1, "BFA", &all), track(2, "BFA", &all)];
        let mut moved = track(1, "NER", &national);
        moved.updated = OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(1);
        let now = vec![moved, track(2, "BFA", &all)];
        let updates = class_updates(nation("MLI"), None, &before, &now, &all);
        let summary: Vec<(String, Vec<String>, Vec<String>)> = updates
            .iter()
            .map(|u| {
                (
                    u.marking.releasable_to.join(","),
                    uids(&u.message, "tracks"),
                    uids(&u.message, "dropped"),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("AES".into(), vec![], vec!["MLI-air-1-1".into()]),
                ("MLI".into(), vec!["MLI-air-1-1".into()], vec![]),
            ]
        );
        // One marking: one message, even with nothing new (it carries the time).
        let same = class_updates(nation("MLI"), None, &before, &before, &all);
        assert_eq!(same.len(), 1);
        assert!(uids(&same[0].message, "tracks").is_empty());
    }
}
