//! TAK Protocol version 1 messages (protobuf, via prost derive) and their mapping to [`Event`].
//!
//! The message structs are written here from the published field numbers (no `.proto` build
//! step): ATAK's `takproto/*.proto` (deptofdefense/AndroidTacticalAssaultKit-CIV) for
//! TakMessage 1-2, TakControl 1-3, CotEvent 1-15, Detail 1-7, Contact, Group,
//! PrecisionLocation, Status, Takv and Track; TAK Server's copies
//! (TAK-Product-Center/Server, `src/testing/nats-client/src/main/proto/`) for the fields only
//! the server side defines: TakMessage `submissionTime` = 3 and `creationTime` = 4, CotEvent
//! `caveat` = 16 and `releaseableTo` = 17. Older decoders (takproto 3.0.1, ATAK builds before
//! them) skip 16 and 17 as unknown fields and keep them when they re-encode.
//!
//! # Detail mapping (the rules of ATAK's `detail.proto`)
//! A typed element becomes its protobuf message only when the message says everything the
//! element said: every required attribute present and non-empty (all of them, except
//! `endpoint` of `<contact>`, which is optional), no other attribute, no child content, and no
//! second element of the same name among the unknown children. Otherwise the whole element
//! goes to `xmlDetail` as XML, with every element that has no message (`__chat`, `link`,
//! `remarks`, `marti`, unknown children). Decoding reverses this; when an element is both in
//! `xmlDetail` and a message, `xmlDetail` wins, as `detail.proto` requires.

use prost::Message as _;

use crate::error::{DecodeError, DecodeErrorKind, Part};
use crate::event::{
    Contact, Detail, Event, Extra, Group, HOW_UNKNOWN, Marking, Point, PrecisionLocation, Status,
    Takv, Track,
};
use crate::limits::Limits;
use crate::time::CotTime;
use crate::xml::{
    SentAsMessages, decode_detail_fragment, first_illegal_char, write_detail_children,
};

/// Top-level message of TAK Protocol version 1: one per mesh datagram or stream frame.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TakMessage {
    /// Optional: protocol versions the sender can decode (mesh networks).
    #[prost(message, optional, tag = "1")]
    pub tak_control: Option<TakControl>,
    /// Optional: the event.
    #[prost(message, optional, tag = "2")]
    pub cot_event: Option<CotEvent>,
    /// TAK Server only: when the server received the message, ms since the epoch.
    #[prost(uint64, tag = "3")]
    pub submission_time: u64,
    /// TAK Server only: when the server created the message, ms since the epoch.
    #[prost(uint64, tag = "4")]
    pub creation_time: u64,
}

/// Which TAK protocol versions the sender can decode (0 reads as 1).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TakControl {
    #[prost(uint32, tag = "1")]
    pub min_proto_version: u32,
    #[prost(uint32, tag = "2")]
    pub max_proto_version: u32,
    /// UID of the sending contact; may be omitted when the message carries a CotEvent.
    #[prost(string, tag = "3")]
    pub contact_uid: String,
}

/// `<event>` and `<point>` flattened; times in ms since the epoch.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CotEvent {
    #[prost(string, tag = "1")]
    pub r#type: String,
    #[prost(string, tag = "2")]
    pub access: String,
    #[prost(string, tag = "3")]
    pub qos: String,
    #[prost(string, tag = "4")]
    pub opex: String,
    #[prost(string, tag = "5")]
    pub uid: String,
    #[prost(uint64, tag = "6")]
    pub send_time: u64,
    #[prost(uint64, tag = "7")]
    pub start_time: u64,
    #[prost(uint64, tag = "8")]
    pub stale_time: u64,
    #[prost(string, tag = "9")]
    pub how: String,
    #[prost(double, tag = "10")]
    pub lat: f64,
    #[prost(double, tag = "11")]
    pub lon: f64,
    #[prost(double, tag = "12")]
    pub hae: f64,
    #[prost(double, tag = "13")]
    pub ce: f64,
    #[prost(double, tag = "14")]
    pub le: f64,
    #[prost(message, optional, tag = "15")]
    pub detail: Option<ProtoDetail>,
    #[prost(string, tag = "16")]
    pub caveat: String,
    #[prost(string, tag = "17")]
    pub releaseable_to: String,
}

/// Protobuf `Detail`: typed messages plus the rest of `<detail>` as XML text.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ProtoDetail {
    #[prost(string, tag = "1")]
    pub xml_detail: String,
    #[prost(message, optional, tag = "2")]
    pub contact: Option<ProtoContact>,
    #[prost(message, optional, tag = "3")]
    pub group: Option<ProtoGroup>,
    #[prost(message, optional, tag = "4")]
    pub precision_location: Option<ProtoPrecisionLocation>,
    #[prost(message, optional, tag = "5")]
    pub status: Option<ProtoStatus>,
    #[prost(message, optional, tag = "6")]
    pub takv: Option<ProtoTakv>,
    #[prost(message, optional, tag = "7")]
    pub track: Option<ProtoTrack>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ProtoContact {
    #[prost(string, tag = "1")]
    pub endpoint: String,
    #[prost(string, tag = "2")]
    pub callsign: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ProtoGroup {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub role: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ProtoPrecisionLocation {
    #[prost(string, tag = "1")]
    pub geopointsrc: String,
    #[prost(string, tag = "2")]
    pub altsrc: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ProtoStatus {
    #[prost(uint32, tag = "1")]
    pub battery: u32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ProtoTakv {
    #[prost(string, tag = "1")]
    pub device: String,
    #[prost(string, tag = "2")]
    pub platform: String,
    #[prost(string, tag = "3")]
    pub os: String,
    #[prost(string, tag = "4")]
    pub version: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ProtoTrack {
    #[prost(double, tag = "1")]
    pub speed: f64,
    #[prost(double, tag = "2")]
    pub course: f64,
}

/// Decodes a TAK protocol v1 payload (no frame header) into a [`TakMessage`].
pub fn decode_tak_message(payload: &[u8], limits: &Limits) -> Result<TakMessage, DecodeError> {
    if payload.len() > limits.max_event_bytes {
        return Err(DecodeError::new(
            Part::Protobuf,
            0,
            DecodeErrorKind::TooLarge {
                len: payload.len(),
                max: limits.max_event_bytes,
            },
        ));
    }
    TakMessage::decode(payload).map_err(|error| {
        DecodeError::new(
            Part::Protobuf,
            0,
            DecodeErrorKind::Protobuf(error.to_string()),
        )
    })
}

/// Decodes a TAK protocol v1 payload (no frame header) that must carry an event.
pub fn decode_proto_event(payload: &[u8], limits: &Limits) -> Result<Event, DecodeError> {
    let message = decode_tak_message(payload, limits)?;
    let cot_event = message
        .cot_event
        .ok_or_else(|| DecodeError::new(Part::Protobuf, 0, DecodeErrorKind::NoCotEvent))?;
    Event::from_proto(cot_event, limits)
}

/// Encodes `event` as a TAK protocol v1 payload: a `TakMessage` holding its `CotEvent`.
pub fn encode_proto_payload(event: &Event) -> Vec<u8> {
    TakMessage::from(event).encode_to_vec()
}

impl From<&Event> for TakMessage {
    fn from(event: &Event) -> TakMessage {
        TakMessage {
            tak_control: None,
            cot_event: Some(event.to_proto()),
            submission_time: 0,
            creation_time: 0,
        }
    }
}

fn field_error(kind: DecodeErrorKind) -> DecodeError {
    DecodeError::new(Part::Protobuf, 0, kind)
}

fn non_empty(text: String) -> Option<String> {
    if text.is_empty() { None } else { Some(text) }
}

fn present(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|text| !text.is_empty())
}

fn absent_or_present(value: &Option<String>) -> bool {
    value.as_deref().is_none_or(|text| !text.is_empty())
}

fn has_unknown_named(detail: &Detail, name: &str) -> bool {
    detail.unknown.iter().any(|raw| raw.name() == Some(name))
}

impl Event {
    /// The protobuf `CotEvent` for this event (see the module docs for the detail mapping).
    pub fn to_proto(&self) -> CotEvent {
        let marking = &self.marking;
        CotEvent {
            r#type: self.event_type.clone(),
            access: marking.access.clone().unwrap_or_default(),
            qos: self.qos.clone().unwrap_or_default(),
            opex: marking.opex.clone().unwrap_or_default(),
            uid: self.uid.clone(),
            send_time: self.time.unix_ms(),
            start_time: self.start.unix_ms(),
            stale_time: self.stale.unix_ms(),
            how: if self.how.is_empty() {
                HOW_UNKNOWN.to_owned()
            } else {
                self.how.clone()
            },
            lat: self.point.lat_deg,
            lon: self.point.lon_deg,
            hae: self.point.hae_m,
            ce: self.point.ce_m,
            le: self.point.le_m,
            detail: detail_to_proto(&self.detail),
            caveat: marking.caveat.clone().unwrap_or_default(),
            releaseable_to: marking.releaseable_to.clone().unwrap_or_default(),
        }
    }

    /// The event a protobuf `CotEvent` describes. Fails on an empty `uid` or `type`, a time
    /// past 9999, a bad point, or a malformed `xmlDetail`.
    pub fn from_proto(proto: CotEvent, limits: &Limits) -> Result<Event, DecodeError> {
        let time = |field: &'static str, unix_ms: u64| {
            CotTime::from_unix_ms(unix_ms).ok_or_else(|| {
                field_error(DecodeErrorKind::FieldOutOfRange {
                    field,
                    value: unix_ms.to_string(),
                })
            })
        };
        check_characters(&proto)?;
        if proto.uid.is_empty() {
            return Err(field_error(DecodeErrorKind::MissingField("uid")));
        }
        if proto.r#type.is_empty() {
            return Err(field_error(DecodeErrorKind::MissingField("type")));
        }
        let event = Event {
            time: time("sendTime", proto.send_time)?,
            start: time("startTime", proto.start_time)?,
            stale: time("staleTime", proto.stale_time)?,
            uid: proto.uid,
            event_type: proto.r#type,
            how: if proto.how.is_empty() {
                HOW_UNKNOWN.to_owned()
            } else {
                proto.how
            },
            qos: non_empty(proto.qos),
            marking: Marking {
                access: non_empty(proto.access).filter(|access| access != "Undefined"),
                caveat: non_empty(proto.caveat),
                releaseable_to: non_empty(proto.releaseable_to),
                opex: non_empty(proto.opex),
            },
            point: Point {
                lat_deg: proto.lat,
                lon_deg: proto.lon,
                hae_m: proto.hae,
                ce_m: proto.ce,
                le_m: proto.le,
            },
            detail: match proto.detail {
                Some(detail) => detail_from_proto(detail, limits)?,
                None => Detail::default(),
            },
        };
        if let Err((field, _)) = event.check() {
            let value = match field {
                "lat" => event.point.lat_deg,
                "lon" => event.point.lon_deg,
                "hae" => event.point.hae_m,
                "ce" => event.point.ce_m,
                _ => event.point.le_m,
            };
            return Err(field_error(DecodeErrorKind::FieldOutOfRange {
                field,
                value: value.to_string(),
            }));
        }
        Ok(event)
    }
}

/// Refuses text XML cannot carry, so an event from a protobuf client can be delivered
/// unchanged to XML clients (`xmlDetail` is checked by its parser).
fn check_characters(proto: &CotEvent) -> Result<(), DecodeError> {
    let mut fields: Vec<(&'static str, &str)> = vec![
        ("type", &proto.r#type),
        ("access", &proto.access),
        ("qos", &proto.qos),
        ("opex", &proto.opex),
        ("uid", &proto.uid),
        ("how", &proto.how),
        ("caveat", &proto.caveat),
        ("releaseableTo", &proto.releaseable_to),
    ];
    if let Some(detail) = &proto.detail {
        if let Some(contact) = &detail.contact {
            fields.extend([
                ("contact.endpoint", contact.endpoint.as_str()),
                ("contact.callsign", &contact.callsign),
            ]);
        }
        if let Some(group) = &detail.group {
            fields.extend([
                ("group.name", group.name.as_str()),
                ("group.role", &group.role),
            ]);
        }
        if let Some(location) = &detail.precision_location {
            fields.extend([
                (
                    "precisionLocation.geopointsrc",
                    location.geopointsrc.as_str(),
                ),
                ("precisionLocation.altsrc", &location.altsrc),
            ]);
        }
        if let Some(takv) = &detail.takv {
            fields.extend([
                ("takv.device", takv.device.as_str()),
                ("takv.platform", &takv.platform),
                ("takv.os", &takv.os),
                ("takv.version", &takv.version),
            ]);
        }
    }
    match fields
        .into_iter()
        .find(|(_, text)| first_illegal_char(text).is_some())
    {
        Some((field, _)) => Err(field_error(DecodeErrorKind::IllegalCharacterInField(field))),
        None => Ok(()),
    }
}

fn detail_to_proto(detail: &Detail) -> Option<ProtoDetail> {
    if detail.is_empty() {
        return None;
    }
    let contact = detail.contact.as_ref().filter(|contact| {
        contact.extra.is_empty()
            && present(&contact.callsign)
            && absent_or_present(&contact.endpoint)
            && !has_unknown_named(detail, "contact")
    });
    let group = detail.group.as_ref().filter(|group| {
        group.extra.is_empty()
            && present(&group.name)
            && present(&group.role)
            && !has_unknown_named(detail, "__group")
    });
    let precision_location = detail.precision_location.as_ref().filter(|location| {
        location.extra.is_empty()
            && present(&location.geopointsrc)
            && present(&location.altsrc)
            && !has_unknown_named(detail, "precisionlocation")
    });
    let status = detail.status.as_ref().filter(|status| {
        status.extra.is_empty() && status.battery.is_some() && !has_unknown_named(detail, "status")
    });
    let takv = detail.takv.as_ref().filter(|takv| {
        takv.extra.is_empty()
            && present(&takv.device)
            && present(&takv.platform)
            && present(&takv.os)
            && present(&takv.version)
            && !has_unknown_named(detail, "takv")
    });
    let track = detail.track.as_ref().filter(|track| {
        track.extra.is_empty()
            && track.course_deg.is_some()
            && track.speed_mps.is_some()
            && !has_unknown_named(detail, "track")
    });
    let skip = SentAsMessages {
        contact: contact.is_some(),
        group: group.is_some(),
        precision_location: precision_location.is_some(),
        status: status.is_some(),
        takv: takv.is_some(),
        track: track.is_some(),
    };
    let mut xml = Vec::new();
    write_detail_children(detail, skip, &mut xml);
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    Some(ProtoDetail {
        // The writer only emits UTF-8 (it copies `str`s and ASCII markup).
        xml_detail: String::from_utf8(xml).unwrap_or_default(),
        contact: contact.map(|contact| ProtoContact {
            endpoint: text(&contact.endpoint),
            callsign: text(&contact.callsign),
        }),
        group: group.map(|group| ProtoGroup {
            name: text(&group.name),
            role: text(&group.role),
        }),
        precision_location: precision_location.map(|location| ProtoPrecisionLocation {
            geopointsrc: text(&location.geopointsrc),
            altsrc: text(&location.altsrc),
        }),
        status: status.map(|status| ProtoStatus {
            battery: status.battery.unwrap_or_default(),
        }),
        takv: takv.map(|takv| ProtoTakv {
            device: text(&takv.device),
            platform: text(&takv.platform),
            os: text(&takv.os),
            version: text(&takv.version),
        }),
        track: track.map(|track| ProtoTrack {
            speed: track.speed_mps.unwrap_or_default(),
            course: track.course_deg.unwrap_or_default(),
        }),
    })
}

fn detail_from_proto(proto: ProtoDetail, limits: &Limits) -> Result<Detail, DecodeError> {
    let mut detail = if proto.xml_detail.is_empty() {
        Detail::default()
    } else {
        decode_detail_fragment(&proto.xml_detail, limits)?
    };
    // xmlDetail wins over a message for the same element (detail.proto, receiver rule 5).
    if detail.contact.is_none()
        && let Some(contact) = proto.contact
    {
        detail.contact = Some(Contact {
            callsign: non_empty(contact.callsign),
            endpoint: non_empty(contact.endpoint),
            extra: Extra::default(),
        });
    }
    if detail.group.is_none()
        && let Some(group) = proto.group
    {
        detail.group = Some(Group {
            name: non_empty(group.name),
            role: non_empty(group.role),
            extra: Extra::default(),
        });
    }
    if detail.precision_location.is_none()
        && let Some(location) = proto.precision_location
    {
        detail.precision_location = Some(PrecisionLocation {
            geopointsrc: non_empty(location.geopointsrc),
            altsrc: non_empty(location.altsrc),
            extra: Extra::default(),
        });
    }
    if detail.status.is_none()
        && let Some(status) = proto.status
    {
        detail.status = Some(Status {
            battery: Some(status.battery),
            extra: Extra::default(),
        });
    }
    if detail.takv.is_none()
        && let Some(takv) = proto.takv
    {
        detail.takv = Some(Takv {
            device: non_empty(takv.device),
            platform: non_empty(takv.platform),
            os: non_empty(takv.os),
            version: non_empty(takv.version),
            extra: Extra::default(),
        });
    }
    if detail.track.is_none()
        && let Some(track) = proto.track
    {
        detail.track = Some(Track {
            course_deg: Some(track.course),
            speed_mps: Some(track.speed),
            extra: Extra::default(),
        });
    }
    Ok(detail)
}
