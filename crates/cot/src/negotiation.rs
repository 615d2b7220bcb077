//! TAK control messages: protocol negotiation (`t-x-takp-v`, `t-x-takp-q`, `t-x-takp-r`) and
//! the keep-alive ping (`t-x-c-t`) and its pong (`t-x-c-t-r`).
//!
//! Negotiation follows ATAK's `takproto/README.md` ("Streaming Connection Protocol
//! Negotiation"): the server offers versions once per connection in
//! `<TakControl><TakProtocolSupport version="1"/></TakControl>`; a client that wants one sends
//! `<TakRequest version="1"/>` with the same uid and then waits; the server answers
//! `<TakResponse status="true"/>` (then both sides switch to protobuf stream framing) or
//! `"false"` (both stay on XML). These are ordinary XML events, built and recognised here;
//! the connection state machine is the server's.
//!
//! ATAK pings with `t-x-c-t` (uid `<device uid>-ping`) and expects `t-x-c-t-r` back.

use quick_xml::events::Event as XmlEvent;
use quick_xml::reader::Reader;

use crate::event::{Event, Point, RawXml};
use crate::time::CotTime;

/// Server -> client: the protocol versions the server supports.
pub const TYPE_PROTOCOL_SUPPORT: &str = "t-x-takp-v";
/// Client -> server: the version the client wants.
pub const TYPE_PROTOCOL_REQUEST: &str = "t-x-takp-q";
/// Server -> client: whether the request is granted.
pub const TYPE_PROTOCOL_RESPONSE: &str = "t-x-takp-r";
/// Keep-alive ping.
pub const TYPE_PING: &str = "t-x-c-t";
/// Answer to a ping.
pub const TYPE_PONG: &str = "t-x-c-t-r";

/// How long negotiation messages stay valid: the protocol's one-minute window.
pub const NEGOTIATION_STALE_MS: u64 = 60_000;
/// How long pings and pongs stay valid.
pub const PING_STALE_MS: u64 = 20_000;

/// A recognised control message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// `t-x-takp-v`: versions offered (in the order given).
    ProtocolSupport {
        versions: Vec<u32>,
    },
    /// `t-x-takp-q`: the requested version.
    ProtocolRequest {
        version: u32,
    },
    /// `t-x-takp-r`: whether the request was granted.
    ProtocolResponse {
        accepted: bool,
    },
    Ping,
    Pong,
}

/// A negotiation event whose `<TakControl>` does not say what the protocol requires.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NegotiationError {
    #[error("{0} event has no <TakControl> detail")]
    NoTakControl(&'static str),
    #[error("{0} event has no valid {1} element")]
    Missing(&'static str, &'static str),
    #[error("{0} event has more than one {1} element")]
    Repeated(&'static str, &'static str),
}

impl Control {
    /// Recognises a control message: `Ok(None)` when `event` is not one.
    pub fn from_event(event: &Event) -> Result<Option<Control>, NegotiationError> {
        let event_type = match event.event_type.as_str() {
            TYPE_PING => return Ok(Some(Control::Ping)),
            TYPE_PONG => return Ok(Some(Control::Pong)),
            TYPE_PROTOCOL_SUPPORT => TYPE_PROTOCOL_SUPPORT,
            TYPE_PROTOCOL_REQUEST => TYPE_PROTOCOL_REQUEST,
            TYPE_PROTOCOL_RESPONSE => TYPE_PROTOCOL_RESPONSE,
            _ => return Ok(None),
        };
        let tak_control = event
            .detail
            .unknown
            .iter()
            .find(|raw| raw.name() == Some("TakControl"))
            .ok_or(NegotiationError::NoTakControl(event_type))?;
        let children = control_children(tak_control);
        let values = |element: &str, attribute: &str| -> Vec<Option<String>> {
            children
                .iter()
                .filter(|(name, _)| name == element)
                .map(|(_, attributes)| {
                    attributes
                        .iter()
                        .find(|(key, _)| key == attribute)
                        .map(|(_, value)| value.clone())
                })
                .collect()
        };
        let single =
            |element: &'static str, attribute: &str| match values(element, attribute).as_slice() {
                [Some(value)] => Ok(value.trim().to_owned()),
                [] | [None] => Err(NegotiationError::Missing(event_type, element)),
                _ => Err(NegotiationError::Repeated(event_type, element)),
            };
        Ok(Some(match event_type {
            TYPE_PROTOCOL_SUPPORT => {
                let versions: Vec<u32> = values("TakProtocolSupport", "version")
                    .into_iter()
                    .filter_map(|version| version?.trim().parse().ok())
                    .collect();
                if versions.is_empty() {
                    return Err(NegotiationError::Missing(event_type, "TakProtocolSupport"));
                }
                Control::ProtocolSupport { versions }
            }
            TYPE_PROTOCOL_REQUEST => Control::ProtocolRequest {
                version: single("TakRequest", "version")?
                    .parse()
                    .map_err(|_| NegotiationError::Missing(event_type, "TakRequest"))?,
            },
            _ => Control::ProtocolResponse {
                accepted: match single("TakResponse", "status")?.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(NegotiationError::Missing(event_type, "TakResponse")),
                },
            },
        }))
    }
}

/// The child elements of a `<TakControl>` as (name, attributes). The raw XML was checked
/// when it was parsed, so a reader error here just ends the list.
fn control_children(tak_control: &RawXml) -> Vec<(String, Vec<(String, String)>)> {
    let mut reader = Reader::from_str(tak_control.as_str());
    let mut depth = 0usize;
    let mut children = Vec::new();
    while let Ok(event) = reader.read_event() {
        let (tag, is_start) = match event {
            XmlEvent::Start(tag) => (tag, true),
            XmlEvent::Empty(tag) => (tag, false),
            XmlEvent::End(_) => {
                depth = depth.saturating_sub(1);
                continue;
            }
            XmlEvent::Eof => break,
            _ => continue,
        };
        if depth == 1 {
            let attributes = tag
                .attributes()
                .filter_map(Result::ok)
                .filter_map(|attribute| {
                    let value = attribute
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .ok()?;
                    Some((attribute.key.as_ref().to_owned(), value.into_owned()))
                })
                .collect();
            children.push((tag.name().as_ref().to_owned(), attributes));
        }
        if is_start {
            depth += 1;
        }
    }
    children
}

fn control_event(
    event_type: &str,
    uid: &str,
    how: &str,
    now: CotTime,
    stale_ms: u64,
    detail_xml: Option<String>,
) -> Event {
    let mut event = Event {
        uid: uid.to_owned(),
        event_type: event_type.to_owned(),
        how: how.to_owned(),
        time: now,
        start: now,
        stale: now.plus_ms(stale_ms),
        point: Point {
            hae_m: 0.0,
            ..Point::new(0.0, 0.0)
        },
        ..Event::default()
    };
    if let Some(xml) = detail_xml {
        // Built here from numbers and fixed names only: well-formed, nothing to escape.
        event
            .detail
            .unknown
            .push(RawXml::new_unchecked(xml, "TakControl".len()));
    }
    event
}

/// `t-x-takp-v`: the server offers `versions` (send once per connection). `uid` identifies
/// the negotiation; the client's request reuses it.
pub fn protocol_support(uid: &str, now: CotTime, versions: &[u32]) -> Event {
    let mut xml = String::from("<TakControl>");
    for version in versions {
        xml.push_str(&format!("<TakProtocolSupport version=\"{version}\"/>"));
    }
    xml.push_str("</TakControl>");
    control_event(
        TYPE_PROTOCOL_SUPPORT,
        uid,
        "m-g",
        now,
        NEGOTIATION_STALE_MS,
        Some(xml),
    )
}

/// `t-x-takp-q`: the client asks for `version`, reusing the offer's `uid`.
pub fn protocol_request(uid: &str, now: CotTime, version: u32) -> Event {
    let xml = format!("<TakControl><TakRequest version=\"{version}\"/></TakControl>");
    control_event(
        TYPE_PROTOCOL_REQUEST,
        uid,
        "m-g",
        now,
        NEGOTIATION_STALE_MS,
        Some(xml),
    )
}

/// `t-x-takp-r`: the server grants (`accepted`) or denies the request with `uid`.
pub fn protocol_response(uid: &str, now: CotTime, accepted: bool) -> Event {
    let xml = format!("<TakControl><TakResponse status=\"{accepted}\"/></TakControl>");
    control_event(
        TYPE_PROTOCOL_RESPONSE,
        uid,
        "m-g",
        now,
        NEGOTIATION_STALE_MS,
        Some(xml),
    )
}

/// `t-x-c-t`: a ping from the device `device_uid` (uid `<device_uid>-ping`, as ATAK sends).
pub fn ping(device_uid: &str, now: CotTime) -> Event {
    control_event(
        TYPE_PING,
        &format!("{device_uid}-ping"),
        "m-g",
        now,
        PING_STALE_MS,
        None,
    )
}

/// `t-x-c-t-r`: the answer to a ping (uid `takPong`, as TAK servers send).
pub fn pong(now: CotTime) -> Event {
    control_event(TYPE_PONG, "takPong", "h-g-i-g-o", now, PING_STALE_MS, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limits, decode_xml, encode_xml};

    fn through_xml(event: &Event) -> Event {
        decode_xml(&encode_xml(event), &Limits::default()).unwrap()
    }

    #[test]
    fn builders_are_recognised_after_a_trip_through_xml() {
        let now = CotTime::from_unix_ms(1_700_000_000_000).unwrap();
        let offer = through_xml(&protocol_support("protouid", now, &[1, 2]));
        assert_eq!(offer.stale.unix_ms(), now.unix_ms() + NEGOTIATION_STALE_MS);
        assert_eq!(
            Control::from_event(&offer),
            Ok(Some(Control::ProtocolSupport {
                versions: vec![1, 2]
            }))
        );
        let request = through_xml(&protocol_request("protouid", now, 1));
        assert_eq!(request.uid, "protouid");
        assert_eq!(
            Control::from_event(&request),
            Ok(Some(Control::ProtocolRequest { version: 1 }))
        );
        for accepted in [true, false] {
            let response = through_xml(&protocol_response("protouid", now, accepted));
            assert_eq!(
                Control::from_event(&response),
                Ok(Some(Control::ProtocolResponse { accepted }))
            );
        }
        let ping_event = through_xml(&ping("ANDROID-1", now));
        assert_eq!(ping_event.uid, "ANDROID-1-ping");
        assert_eq!(Control::from_event(&ping_event), Ok(Some(Control::Ping)));
        assert_eq!(
            Control::from_event(&through_xml(&pong(now))),
            Ok(Some(Control::Pong))
        );
    }

    #[test]
    fn recognises_what_atak_sends_and_rejects_malformed_requests() {
        let request = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><event version="2.0" uid="protouid" type="t-x-takp-q" time="2024-01-01T00:00:00.000Z" start="2024-01-01T00:00:00.000Z" stale="2024-01-01T00:01:00.000Z" how="m-g"><point lat="0.0" lon="0.0" hae="0.0" ce="999999" le="999999"/><detail><TakControl><TakRequest version="1"/></TakControl></detail></event>"#;
        let event = decode_xml(request, &Limits::default()).unwrap();
        assert_eq!(
            Control::from_event(&event),
            Ok(Some(Control::ProtocolRequest { version: 1 }))
        );

        let two = request.replace(
            b"<TakRequest version=\"1\"/>",
            b"<TakRequest version=\"1\"/><TakRequest version=\"2\"/>",
        );
        let event = decode_xml(&two, &Limits::default()).unwrap();
        assert_eq!(
            Control::from_event(&event),
            Err(NegotiationError::Repeated(
                TYPE_PROTOCOL_REQUEST,
                "TakRequest"
            ))
        );

        let none = request.replace(b"<TakRequest version=\"1\"/>", b"<TakRequest/>");
        let event = decode_xml(&none, &Limits::default()).unwrap();
        assert_eq!(
            Control::from_event(&event),
            Err(NegotiationError::Missing(
                TYPE_PROTOCOL_REQUEST,
                "TakRequest"
            ))
        );

        let mut bare = event.clone();
        bare.detail.unknown.clear();
        assert_eq!(
            Control::from_event(&bare),
            Err(NegotiationError::NoTakControl(TYPE_PROTOCOL_REQUEST))
        );

        bare.event_type = "a-f-G".into();
        assert_eq!(Control::from_event(&bare), Ok(None));
    }

    trait Replace {
        fn replace(&self, from: &[u8], to: &[u8]) -> Vec<u8>;
    }

    impl Replace for [u8] {
        fn replace(&self, from: &[u8], to: &[u8]) -> Vec<u8> {
            let at = memchr::memmem::find(self, from).unwrap();
            [&self[..at], to, &self[at + from.len()..]].concat()
        }
    }
}
