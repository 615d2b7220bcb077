//! The air picture as the rest of the node sees it, part of the core so that every feature may
//! read it without importing the air feature: [`TrackView`] (one system track, the JSON of the
//! API, the live feed and the stored history), [`AirPicture`] (the latest picture), [`AirHub`]
//! (the bus's topic: the latest picture, and the live updates) and [`AirTrack`] (a track as
//! map clients such as TAK are given it).
//!
//! Every track of a node's picture carries the same origin (the node's nation) and marking
//! (`[air] track_marking`), so a picture and each update are marked as a whole and the marking
//! rule decides once per reader.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use liptako_model::{Marked, Marking, Nation, Point};
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
    }
}

/// The latest picture.
#[derive(Debug)]
pub struct AirPicture {
    /// Its time (`None` before the first picture).
    pub time: Option<OffsetDateTime>,
    /// The node that made it.
    pub origin: Nation,
    /// Who may see it.
    pub marking: Marking,
    /// Its tracks, by track number.
    pub tracks: Vec<TrackView>,
    json: OnceLock<Arc<[u8]>>,
}

impl Marked for AirPicture {
    fn origin(&self) -> Nation {
        self.origin
    }
    fn marking(&self) -> &Marking {
        &self.marking
    }
    /// The node's own picture is real-world; exercise tracks never enter it.
    fn world(&self) -> Option<&str> {
        None
    }
}

#[derive(Serialize)]
struct PictureDoc<'a> {
    #[serde(with = "time::serde::rfc3339::option")]
    time: Option<OffsetDateTime>,
    origin: Nation,
    marking: &'a Marking,
    tracks: &'a [TrackView],
}

impl AirPicture {
    /// A picture of `tracks` at `time`.
    pub fn new(
        time: Option<OffsetDateTime>,
        origin: Nation,
        marking: Marking,
        tracks: Vec<TrackView>,
    ) -> AirPicture {
        AirPicture {
            time,
            origin,
            marking,
            tracks,
            json: OnceLock::new(),
        }
    }

    /// The picture as the API answers it (`{"time", "origin", "marking", "tracks"}`),
    /// serialised once and shared by every reader.
    pub fn json(&self) -> Arc<[u8]> {
        self.json
            .get_or_init(|| {
                serde_json::to_vec(&PictureDoc {
                    time: self.time,
                    origin: self.origin,
                    marking: &self.marking,
                    tracks: &self.tracks,
                })
                .unwrap_or_default()
                .into()
            })
            .clone()
    }

    /// The live feed message carrying the whole picture (`"full": true`).
    pub fn full_message(&self) -> String {
        update_message(self.time, true, self.tracks.iter(), std::iter::empty())
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
                picture: RwLock::new(Arc::new(AirPicture::new(None, nation, marking, Vec::new()))),
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

    /// Publishes a new picture and the update leading to it from the previous one.
    pub(crate) fn publish(&self, picture: Arc<AirPicture>, update: Option<AirUpdate>) {
        *self
            .shared
            .picture
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = picture;
        if let Some(update) = update {
            // No subscriber is not an error.
            let _ = self.shared.updates.send(Arc::new(update));
        }
    }
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
    /// The tracks' marking.
    pub marking: Marking,
    /// Each track's report and priority (its marking above, as words).
    pub offers: Vec<liptako_track::link::Offer>,
}

impl Marked for OwnTracks {
    fn origin(&self) -> Nation {
        self.origin
    }
    fn marking(&self) -> &Marking {
        &self.marking
    }
    /// Exercise tracks never enter the real picture, nor its exchange.
    fn world(&self) -> Option<&str> {
        None
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
