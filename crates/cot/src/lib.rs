//! Cursor-on-Target (CoT) and TAK Protocol version 1 codec: pure, no I/O, no clock.
//!
//! The crate turns bytes from TAK clients (ATAK, WinTAK, iTAK, pytak, ...) into [`Event`]s and
//! events back into bytes, for the node's TAK server:
//!
//! - [`Event`] is the one model: uid, type, how, times, the marking attributes ([`Marking`]),
//!   [`Point`] and [`Detail`] (typed contact, group, status, track, chat, destinations, ...,
//!   and every unknown `<detail>` child kept verbatim as [`RawXml`]).
//! - XML: [`decode_xml`] / [`encode_xml`] (quick-xml; no DTD, no entity expansion, size
//!   limits from [`Limits`]).
//! - Protobuf: [`proto`] holds the TAK protocol v1 messages (prost), [`Event::to_proto`] and
//!   [`Event::from_proto`] map them, [`decode_proto_event`] / [`encode_proto_payload`] do a
//!   payload, [`encode_stream_frame`] / [`encode_mesh_frame`] and [`decode_stream_frame`] /
//!   [`decode_mesh`] / [`decode_datagram`] add and remove the framing.
//! - [`StreamDecoder`]: bytes of one TCP connection in, whole frames or events out, with
//!   resynchronisation after bad input and a clear verdict when the connection must close.
//! - [`negotiation`]: the `t-x-takp-*` protocol negotiation and `t-x-c-t` ping messages.
//! - [`chat`]: GeoChat messages; [`symbol`]: CoT type <-> MIL-STD-2525C SIDC.
//!
//! Encode once, send to many: an encoder returns the finished bytes of an event (declaration
//! and document, or frame header and payload), which a server wraps in a `bytes::Bytes` and
//! hands to every receiving connection.
//!
//! ```
//! use liptako_cot::{Framing, Limits, StreamDecoder, WireFormat, decode_xml, encode_for_stream};
//!
//! let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
//! <event version="2.0" uid="ANDROID-1" type="a-f-G-U-C" how="m-g"
//!        time="2024-05-01T12:00:00Z" start="2024-05-01T12:00:00Z" stale="2024-05-01T12:05:00Z"
//!        releaseableTo="MLI BFA">
//!   <point lat="14.5" lon="-1.25" hae="300" ce="10" le="20"/>
//!   <detail><contact callsign="FALCON"/><uid Droid="FALCON"/></detail>
//! </event>"#;
//! let event = decode_xml(xml, &Limits::default())?;
//! assert_eq!(event.callsign(), Some("FALCON"));
//! assert_eq!(event.marking.releaseable_to.as_deref(), Some("MLI BFA"));
//!
//! // One protobuf frame, shared by every protobuf client; the unknown <uid> rides in xmlDetail.
//! let frame = encode_for_stream(&event, WireFormat::Protobuf);
//! let mut decoder = StreamDecoder::new(Framing::Detect, Limits::default());
//! decoder.feed(&frame[..7]);
//! assert!(decoder.next_event().is_none()); // waits for the rest
//! decoder.feed(&frame[7..]);
//! assert_eq!(decoder.next_event(), Some(Ok(event)));
//! # Ok::<(), liptako_cot::DecodeError>(())
//! ```

// Input is untrusted: every read goes through `get`, never `[]` (tests may index).
#![deny(clippy::indexing_slicing)]

pub mod chat;
#[doc(hidden)]
pub mod check;
mod error;
mod event;
mod framing;
mod limits;
pub mod negotiation;
pub mod proto;
mod stream;
pub mod symbol;
mod time;
mod xml;

pub use error::{DecodeError, DecodeErrorKind, Part};
pub use event::{
    Chat, ChatGroup, Contact, Dest, Detail, Event, Extra, Group, HOW_UNKNOWN, Link, Marking, Marti,
    OpexKind, Point, PrecisionLocation, RawXml, Remarks, Status, Takv, Track,
};
pub use framing::{
    MAGIC, MESH_HEADER_V1, WireFormat, decode_datagram, decode_mesh, decode_stream_frame,
    encode_for_stream, encode_mesh_frame, encode_stream_frame, encode_stream_message,
};
pub use limits::{DEFAULT_MAX_ATTRIBUTES, DEFAULT_MAX_DEPTH, DEFAULT_MAX_EVENT_BYTES, Limits};
pub use proto::{decode_proto_event, decode_tak_message, encode_proto_payload};
pub use stream::{
    Frame, FrameKind, Framing, StreamDecoder, StreamError, StreamErrorKind, StreamStats,
};
pub use time::{CotTime, TimeError};
pub use xml::{
    AuthMessage, XML_DECLARATION, decode_auth, decode_xml, encode_xml, write_event, write_xml,
};
