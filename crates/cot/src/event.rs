//! The CoT event model: one [`Event`] is what one `<event>` or one protobuf `CotEvent` says.
//!
//! The same value comes out of the XML and the protobuf decoders and goes into both encoders,
//! so a server decodes once and encodes once per wire format. `<detail>` is split into typed
//! pieces (what TAK clients rely on to show and route: contact, group, chat, directed
//! destinations, ...) and [`RawXml`] for everything else, which is carried verbatim.
//!
//! # Typed detail elements
//! A typed element keeps the attributes we name in typed fields and any other attribute in
//! [`Extra::attributes`]; child content we do not model is kept verbatim in
//! [`Extra::children`]. An element that cannot be represented exactly (a second `<contact>`, a
//! `battery` that is not a number, `<remarks>` with child elements) is kept whole as
//! [`RawXml`] in [`Detail::unknown`] instead: nothing a client sends is lost.

use crate::time::CotTime;

/// CoT's `how` for "not known" (human, garbage in, garbage out).
pub const HOW_UNKNOWN: &str = "h-g-i-g-o";

/// One Cursor-on-Target event.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Event {
    /// `uid`: the identity of the thing the event is about (a device, a marker, a chat message).
    pub uid: String,
    /// `type`: the CoT type tree, e.g. `a-f-G-U-C` (atom, friend, ground, unit, combat).
    pub event_type: String,
    /// `how`: how the position was obtained, e.g. `m-g` (machine, GPS), `h-e` (human entered).
    /// The decoders read a missing or empty `how` as [`HOW_UNKNOWN`] and the encoders write
    /// an empty one so: CoT requires the attribute, and TAK clients drop events without it.
    pub how: String,
    /// `time`: when the event was generated.
    pub time: CotTime,
    /// `start`: when the event starts being relevant.
    pub start: CotTime,
    /// `stale`: when the event stops being relevant.
    pub stale: CotTime,
    /// `qos`: quality of service hint (`priority-overtaking-assurance`), when given.
    pub qos: Option<String>,
    /// The marking attributes (`access`, `caveat`, `releaseableTo`, `opex`).
    pub marking: Marking,
    /// `<point>`.
    pub point: Point,
    /// `<detail>`; empty when the event has none.
    pub detail: Detail,
}

/// The event attributes that mark what an event is and who may hold it. Liptako markings
/// travel here; CoT leaves their vocabulary to the community that uses them.
///
/// | field | XML attribute on `<event>` | protobuf `CotEvent` field |
/// |---|---|---|
/// | `access` | `access` | 2 |
/// | `opex` | `opex` | 4 |
/// | `caveat` | `caveat` | 16 |
/// | `releaseable_to` | `releaseableTo` | 17 |
///
/// Field numbers 16 and 17 are from TAK Server's `cotevent.proto`
/// (TAK-Product-Center/Server, `src/testing/nats-client/src/main/proto/cotevent.proto`); 2 and
/// 4 also appear in ATAK's `takproto/cotevent.proto` (deptofdefense/AndroidTacticalAssaultKit-CIV).
/// The XML attribute names are the ones TAK Server's XML <-> protobuf converter reads and writes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Marking {
    /// `access` (MIL-STD-6090 access class). `None` stands for CoT `Undefined`: the TAK
    /// protobuf definition conveys `Undefined` by omitting the field, so the decoders map an
    /// explicit `access="Undefined"` to `None` too.
    pub access: Option<String>,
    /// `caveat`, e.g. a handling caveat such as `FOUO`.
    pub caveat: Option<String>,
    /// `releaseableTo`: who the event may be released to (e.g. `MLI BFA NER`).
    pub releaseable_to: Option<String>,
    /// `opex`: operation (`o`), exercise (`e`) or simulation (`s`), optionally followed by `-`
    /// and a name (MIL-STD-6090). See [`Marking::opex_kind`].
    pub opex: Option<String>,
}

/// What an `opex` value says the event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpexKind {
    Operation,
    Exercise,
    Simulation,
}

impl Marking {
    /// True when no marking attribute is present.
    pub fn is_empty(&self) -> bool {
        self.access.is_none()
            && self.caveat.is_none()
            && self.releaseable_to.is_none()
            && self.opex.is_none()
    }

    /// The kind named by `opex`'s first letter (`o`, `e`, `s`, either case), if any.
    pub fn opex_kind(&self) -> Option<OpexKind> {
        match self.opex.as_deref()?.as_bytes().first()? {
            b'o' | b'O' => Some(OpexKind::Operation),
            b'e' | b'E' => Some(OpexKind::Exercise),
            b's' | b'S' => Some(OpexKind::Simulation),
            _ => None,
        }
    }

    /// True for exercise or simulation traffic, which must be kept apart from real-world data.
    pub fn is_exercise(&self) -> bool {
        matches!(
            self.opex_kind(),
            Some(OpexKind::Exercise | OpexKind::Simulation)
        )
    }
}

/// `<point>`: WGS-84 position and its uncertainty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// `lat`, decimal degrees north, -90..=90.
    pub lat_deg: f64,
    /// `lon`, decimal degrees east, -180..=180.
    pub lon_deg: f64,
    /// `hae`: height above the WGS-84 ellipsoid, metres ([`Point::UNKNOWN`] if unknown).
    pub hae_m: f64,
    /// `ce`: circular error, metres, 1 sigma ([`Point::UNKNOWN`] if unknown).
    pub ce_m: f64,
    /// `le`: linear (vertical) error, metres, 1 sigma ([`Point::UNKNOWN`] if unknown).
    pub le_m: f64,
}

impl Point {
    /// The CoT value for an unknown `hae`, `ce` or `le`.
    pub const UNKNOWN: f64 = 9_999_999.0;

    /// A point at `lat_deg`, `lon_deg` with unknown height and errors.
    pub const fn new(lat_deg: f64, lon_deg: f64) -> Point {
        Point {
            lat_deg,
            lon_deg,
            hae_m: Self::UNKNOWN,
            ce_m: Self::UNKNOWN,
            le_m: Self::UNKNOWN,
        }
    }

    /// Why this point is not a valid CoT point, if it is not: latitude or longitude out of
    /// range, or a value that is not a finite number.
    pub fn check(&self) -> Result<(), (&'static str, &'static str)> {
        if !(-90.0..=90.0).contains(&self.lat_deg) {
            return Err(("lat", "is not a latitude in -90..=90"));
        }
        if !(-180.0..=180.0).contains(&self.lon_deg) {
            return Err(("lon", "is not a longitude in -180..=180"));
        }
        for (name, value) in [("hae", self.hae_m), ("ce", self.ce_m), ("le", self.le_m)] {
            if !value.is_finite() {
                return Err((name, "is not a finite number"));
            }
        }
        Ok(())
    }
}

impl Default for Point {
    /// 0,0 with unknown height and errors: what TAK control messages carry.
    fn default() -> Self {
        Point::new(0.0, 0.0)
    }
}

/// `<detail>`: typed pieces plus verbatim unknown children.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Detail {
    /// `<contact callsign endpoint>`: who the sender is and how to reach it.
    pub contact: Option<Contact>,
    /// `<__group name role>`: team colour and role.
    pub group: Option<Group>,
    /// `<precisionlocation geopointsrc altsrc>`: where the position came from.
    pub precision_location: Option<PrecisionLocation>,
    /// `<status battery>`.
    pub status: Option<Status>,
    /// `<takv device platform os version>`: the client software.
    pub takv: Option<Takv>,
    /// `<track course speed>`.
    pub track: Option<Track>,
    /// `<__chat>`: GeoChat metadata.
    pub chat: Option<Chat>,
    /// `<link>` elements, in order (a chat's sender, a route's points, a shape's parent).
    pub links: Vec<Link>,
    /// `<remarks>`: free text (a chat message's text).
    pub remarks: Option<Remarks>,
    /// `<marti>`: explicit destinations; when present, the event goes to these only.
    pub marti: Option<Marti>,
    /// Every other child of `<detail>`, verbatim and in order.
    pub unknown: Vec<RawXml>,
}

impl Detail {
    /// True when the event has nothing under `<detail>`.
    pub fn is_empty(&self) -> bool {
        self.contact.is_none()
            && self.group.is_none()
            && self.precision_location.is_none()
            && self.status.is_none()
            && self.takv.is_none()
            && self.track.is_none()
            && self.chat.is_none()
            && self.links.is_empty()
            && self.remarks.is_none()
            && self.marti.is_none()
            && self.unknown.is_empty()
    }
}

/// Attributes and child content of a typed element that the typed fields do not cover.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Extra {
    /// Other attributes as (name, value), values unescaped, in document order.
    pub attributes: Vec<(String, String)>,
    /// Child elements and text the typed fields do not cover, verbatim and in order.
    pub children: Vec<RawXml>,
}

impl Extra {
    /// True when the element has nothing beyond its typed fields.
    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty() && self.children.is_empty()
    }
}

/// `<contact>`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Contact {
    /// `callsign`: the name shown on the map and used to address directed messages.
    pub callsign: Option<String>,
    /// `endpoint`: how to reach the sender, e.g. `*:-1:stcp` (through the server).
    pub endpoint: Option<String>,
    pub extra: Extra,
}

/// `<__group>`: team (a colour name such as `Cyan`) and role (`Team Member`, `HQ`, ...).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Group {
    pub name: Option<String>,
    pub role: Option<String>,
    pub extra: Extra,
}

/// `<precisionlocation>`: source of the position and of the altitude (`GPS`, `USER`, ...).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PrecisionLocation {
    pub geopointsrc: Option<String>,
    pub altsrc: Option<String>,
    pub extra: Extra,
}

/// `<status>`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Status {
    /// `battery`, percent.
    pub battery: Option<u32>,
    pub extra: Extra,
}

/// `<takv>`: the TAK client software that sent the event.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Takv {
    pub device: Option<String>,
    pub platform: Option<String>,
    pub os: Option<String>,
    pub version: Option<String>,
    pub extra: Extra,
}

/// `<track>`: motion.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Track {
    /// `course`, degrees clockwise from true north.
    pub course_deg: Option<f64>,
    /// `speed`, metres per second.
    pub speed_mps: Option<f64>,
    pub extra: Extra,
}

/// `<__chat>`: GeoChat metadata (ATAK's chat). The text is in [`Detail::remarks`], the sender in
/// a [`Link`] with relation `p-p`, and a directed chat names its addressee in [`Detail::marti`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Chat {
    /// `parent`, e.g. `RootContactGroup`.
    pub parent: Option<String>,
    /// `groupOwner` (`true`/`false`), kept as text.
    pub group_owner: Option<String>,
    /// `messageId`: the message's own id.
    pub message_id: Option<String>,
    /// `chatroom`: the room's display name (`All Chat Rooms`, or the addressee's callsign).
    pub chatroom: Option<String>,
    /// `id`: the room's id (`All Chat Rooms`, or the addressee's uid).
    pub id: Option<String>,
    /// `senderCallsign`.
    pub sender_callsign: Option<String>,
    /// `<chatgrp>`: the participants.
    pub chat_group: Option<ChatGroup>,
    pub extra: Extra,
}

/// `<chatgrp uid0 uid1 ... id>`: the participants of a chat, sender first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatGroup {
    /// `uid0`, `uid1`, ... in index order (only a gap-free run from `uid0`; other `uidN` stay
    /// in `extra`).
    pub uids: Vec<String>,
    /// `id`: the room id.
    pub id: Option<String>,
    pub extra: Extra,
}

/// `<link>`: a relation to another event (a chat's sender, a shape's vertices, a parent).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Link {
    pub uid: Option<String>,
    /// `type`: the CoT type of the linked thing.
    pub link_type: Option<String>,
    /// `relation`, e.g. `p-p` (parent-producer).
    pub relation: Option<String>,
    pub extra: Extra,
}

/// `<remarks>`: free text with optional routing attributes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Remarks {
    /// `source`, e.g. `BAO.F.ATAK.<uid>` for GeoChat.
    pub source: Option<String>,
    /// `to`: the chat room or addressee.
    pub to: Option<String>,
    /// `time`, kept as text.
    pub time: Option<String>,
    /// The text content, unescaped.
    pub text: String,
    /// Other attributes (child elements make the whole `<remarks>` unknown XML instead).
    pub extra: Extra,
}

/// `<marti>`: explicit destinations. A TAK server sends an event carrying `<marti><dest .../>`
/// to those destinations only.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Marti {
    pub dests: Vec<Dest>,
    pub extra: Extra,
}

/// `<dest>`: one destination, by callsign, uid or mission name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dest {
    pub callsign: Option<String>,
    pub uid: Option<String>,
    pub mission: Option<String>,
    pub extra: Extra,
}

/// A verbatim piece of XML: one complete element, or one run of character data, exactly as the
/// sender wrote it.
///
/// Invariant: a `RawXml` is only made by parsing (see [`RawXml::parse_fragment`]), so it is
/// well-formed and balanced, has no DTD, no entity but the five predefined ones and character
/// references, and no `</event` anywhere. Writing it inside `<detail>` therefore cannot break
/// or end the enclosing event, for our decoder or for a TAK client that splits on `</event>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawXml {
    xml: String,
    /// Byte length of the element name after `<`; 0 for character data.
    name_len: usize,
}

impl RawXml {
    pub(crate) fn new_unchecked(xml: String, name_len: usize) -> RawXml {
        RawXml { xml, name_len }
    }

    /// The XML text, exactly as received.
    pub fn as_str(&self) -> &str {
        &self.xml
    }

    /// The element name (`uid`, `usericon`, ...), or `None` for character data.
    pub fn name(&self) -> Option<&str> {
        if self.name_len == 0 {
            None
        } else {
            self.xml.get(1..1 + self.name_len)
        }
    }

    /// The attributes of the element, as (name, value) with values unescaped, in document
    /// order (empty for character data). An attribute that cannot be read ends the list.
    pub fn attributes(&self) -> Vec<(String, String)> {
        if self.name_len == 0 {
            return Vec::new();
        }
        let mut reader = quick_xml::Reader::from_str(&self.xml);
        let start = match reader.read_event() {
            Ok(quick_xml::events::Event::Start(start) | quick_xml::events::Event::Empty(start)) => {
                start
            }
            _ => return Vec::new(),
        };
        let mut attributes = Vec::new();
        for attribute in start.attributes() {
            let Ok(attribute) = attribute else {
                break;
            };
            let Ok(value) = attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0) else {
                break;
            };
            attributes.push((attribute.key.as_ref().to_owned(), value.into_owned()));
        }
        attributes
    }
}

impl Event {
    /// The sender's callsign from `<contact callsign>`.
    pub fn callsign(&self) -> Option<&str> {
        self.detail.contact.as_ref()?.callsign.as_deref()
    }

    /// True when the event is stale at `now` (its `stale` time has passed).
    pub fn is_stale(&self, now: CotTime) -> bool {
        self.stale <= now
    }

    /// True for an atom (`a-...`): a thing on the map, such as a team member's position.
    pub fn is_atom(&self) -> bool {
        self.event_type.starts_with("a-")
    }

    /// True for a GeoChat message (`b-t-f`).
    pub fn is_geochat(&self) -> bool {
        self.event_type == crate::chat::GEOCHAT_TYPE
    }

    /// The callsigns in `<marti><dest callsign>`. When the event has `<marti>` with at least one
    /// destination it is directed: it goes to those destinations only.
    pub fn dest_callsigns(&self) -> impl Iterator<Item = &str> {
        self.detail
            .marti
            .iter()
            .flat_map(|marti| marti.dests.iter())
            .filter_map(|dest| dest.callsign.as_deref())
    }

    /// True when `<marti>` names at least one destination (by callsign, uid or mission).
    pub fn is_directed(&self) -> bool {
        self.detail
            .marti
            .as_ref()
            .is_some_and(|marti| !marti.dests.is_empty())
    }

    /// Why the event is not valid CoT, as (field, reason), if it is not: an empty `uid` or
    /// `type`, or a bad point. Both decoders apply this.
    pub fn check(&self) -> Result<(), (&'static str, &'static str)> {
        if self.uid.is_empty() {
            return Err(("uid", "is empty"));
        }
        if self.event_type.is_empty() {
            return Err(("type", "is empty"));
        }
        self.point.check()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opex_kinds() {
        let marking = |opex: &str| Marking {
            opex: Some(opex.to_owned()),
            ..Marking::default()
        };
        assert_eq!(marking("e-FLINTLOCK").opex_kind(), Some(OpexKind::Exercise));
        assert!(marking("e").is_exercise());
        assert!(marking("s-sim").is_exercise());
        assert!(!marking("o").is_exercise());
        assert_eq!(marking("x").opex_kind(), None);
        assert_eq!(Marking::default().opex_kind(), None);
        assert!(Marking::default().is_empty());
    }

    #[test]
    fn point_check_names_the_bad_field() {
        assert_eq!(Point::new(91.0, 0.0).check().unwrap_err().0, "lat");
        assert_eq!(Point::new(0.0, -180.5).check().unwrap_err().0, "lon");
        assert_eq!(Point::new(f64::NAN, 0.0).check().unwrap_err().0, "lat");
        let mut point = Point::new(12.5, -1.5);
        assert_eq!(point.check(), Ok(()));
        point.hae_m = f64::INFINITY;
        assert_eq!(point.check().unwrap_err().0, "hae");
    }

    #[test]
    fn directed_destinations() {
        let mut event = Event::default();
        assert!(!event.is_directed());
        event.detail.marti = Some(Marti {
            dests: vec![
                Dest {
                    callsign: Some("HOPE".into()),
                    ..Dest::default()
                },
                Dest {
                    uid: Some("ANDROID-1".into()),
                    ..Dest::default()
                },
            ],
            extra: Extra::default(),
        });
        assert!(event.is_directed());
        assert_eq!(event.dest_callsigns().collect::<Vec<_>>(), ["HOPE"]);
    }

    #[test]
    fn raw_xml_name() {
        assert_eq!(
            RawXml::new_unchecked("<uid Droid=\"x\"/>".into(), 3).name(),
            Some("uid")
        );
        assert_eq!(RawXml::new_unchecked("text".into(), 0).name(), None);
    }
}
