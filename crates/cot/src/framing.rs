//! TAK protocol framing: mesh datagrams (`0xbf <version varint> 0xbf <payload>`) and stream
//! frames (`0xbf <length varint> <payload>`), from ATAK's `takproto/README.md` ("TAK Protocol -
//! Generic Framework"). Varints are protobuf unsigned varints, at most 10 bytes.
//!
//! Encoders build the whole frame in one allocation, so a server encodes an event once and
//! hands the same bytes to every receiving connection.

use prost::Message as _;

use crate::error::{DecodeError, DecodeErrorKind, Part};
use crate::event::Event;
use crate::limits::Limits;
use crate::proto::{TakMessage, decode_tak_message};
use crate::xml::{decode_xml, encode_xml};

/// The TAK protocol magic byte.
pub const MAGIC: u8 = 0xbf;
/// Header of a TAK protocol version 1 mesh datagram.
pub const MESH_HEADER_V1: [u8; 3] = [MAGIC, 0x01, MAGIC];
/// Longest protobuf varint.
pub(crate) const MAX_VARINT_LEN: usize = 10;

/// The wire format of one event on a TAK stream or in a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WireFormat {
    /// CoT XML ("TAK protocol version 0").
    Xml,
    /// TAK protocol version 1 (protobuf).
    Protobuf,
}

/// Encodes `event` as one stream frame: `0xbf`, payload length, `TakMessage` payload.
pub fn encode_stream_frame(event: &Event) -> Vec<u8> {
    encode_stream_message(&TakMessage::from(event))
}

/// Encodes any `TakMessage` as one stream frame.
pub fn encode_stream_message(message: &TakMessage) -> Vec<u8> {
    let payload_len = message.encoded_len();
    let mut out = Vec::with_capacity(1 + MAX_VARINT_LEN + payload_len);
    out.push(MAGIC);
    write_varint(&mut out, payload_len as u64);
    message.encode_raw(&mut out);
    out
}

/// Encodes `event` as one mesh datagram: `0xbf 0x01 0xbf`, then the `TakMessage` payload.
pub fn encode_mesh_frame(event: &Event) -> Vec<u8> {
    let message = TakMessage::from(event);
    let mut out = Vec::with_capacity(MESH_HEADER_V1.len() + message.encoded_len());
    out.extend_from_slice(&MESH_HEADER_V1);
    message.encode_raw(&mut out);
    out
}

/// Encodes `event` for a stream in `format`: an XML document or a protobuf stream frame.
pub fn encode_for_stream(event: &Event, format: WireFormat) -> Vec<u8> {
    match format {
        WireFormat::Xml => encode_xml(event),
        WireFormat::Protobuf => encode_stream_frame(event),
    }
}

/// Decodes a mesh datagram (`0xbf 0x01 0xbf` + payload) into its `TakMessage`.
pub fn decode_mesh(datagram: &[u8], limits: &Limits) -> Result<TakMessage, DecodeError> {
    let header_error = |offset, kind| DecodeError::new(Part::Protobuf, offset, kind);
    match datagram.first() {
        None => return Err(header_error(0, DecodeErrorKind::Truncated)),
        Some(&MAGIC) => {}
        Some(&other) => return Err(header_error(0, DecodeErrorKind::BadMagic(other))),
    }
    let rest = datagram.get(1..).unwrap_or_default();
    let (version, varint_len) = match read_varint(rest) {
        Varint::Value(version, len) => (version, len),
        Varint::Incomplete => return Err(header_error(1, DecodeErrorKind::Truncated)),
        Varint::Invalid => return Err(header_error(1, DecodeErrorKind::BadVarint)),
    };
    if version != 1 {
        return Err(header_error(
            1,
            DecodeErrorKind::UnsupportedVersion(version),
        ));
    }
    let magic_at = 1 + varint_len;
    match datagram.get(magic_at) {
        None => return Err(header_error(magic_at, DecodeErrorKind::Truncated)),
        Some(&MAGIC) => {}
        Some(&other) => return Err(header_error(magic_at, DecodeErrorKind::BadMagic(other))),
    }
    decode_tak_message(datagram.get(magic_at + 1..).unwrap_or_default(), limits)
}

/// Decodes one stream frame at the start of `bytes` into its `TakMessage` and the number of
/// bytes the frame took. For a connection, use [`crate::StreamDecoder`] instead.
pub fn decode_stream_frame(
    bytes: &[u8],
    limits: &Limits,
) -> Result<(TakMessage, usize), DecodeError> {
    match bytes.first() {
        None => {
            return Err(DecodeError::new(
                Part::Protobuf,
                0,
                DecodeErrorKind::Truncated,
            ));
        }
        Some(&MAGIC) => {}
        Some(&other) => {
            return Err(DecodeError::new(
                Part::Protobuf,
                0,
                DecodeErrorKind::BadMagic(other),
            ));
        }
    }
    let (len, varint_len) = match read_varint(bytes.get(1..).unwrap_or_default()) {
        Varint::Value(len, varint_len) => (len, varint_len),
        Varint::Incomplete => {
            return Err(DecodeError::new(
                Part::Protobuf,
                1,
                DecodeErrorKind::Truncated,
            ));
        }
        Varint::Invalid => {
            return Err(DecodeError::new(
                Part::Protobuf,
                1,
                DecodeErrorKind::BadVarint,
            ));
        }
    };
    if len > limits.max_event_bytes as u64 {
        return Err(DecodeError::new(
            Part::Protobuf,
            1,
            DecodeErrorKind::TooLarge {
                len: usize::try_from(len).unwrap_or(usize::MAX),
                max: limits.max_event_bytes,
            },
        ));
    }
    let start = 1 + varint_len;
    let end = start + len as usize;
    let payload = bytes
        .get(start..end)
        .ok_or_else(|| DecodeError::new(Part::Protobuf, bytes.len(), DecodeErrorKind::Truncated))?;
    Ok((decode_tak_message(payload, limits)?, end))
}

/// Decodes one datagram of a mesh network: CoT XML (version 0) or a version 1 mesh frame,
/// told apart by the first byte. The datagram must carry an event.
pub fn decode_datagram(datagram: &[u8], limits: &Limits) -> Result<Event, DecodeError> {
    if datagram.first() == Some(&MAGIC) {
        let message = decode_mesh(datagram, limits)?;
        let cot_event = message
            .cot_event
            .ok_or_else(|| DecodeError::new(Part::Protobuf, 0, DecodeErrorKind::NoCotEvent))?;
        Event::from_proto(cot_event, limits)
    } else {
        decode_xml(datagram, limits)
    }
}

/// Result of reading a varint from the front of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Varint {
    /// The value and how many bytes it took.
    Value(u64, usize),
    /// The buffer ends before the varint does.
    Incomplete,
    /// Longer than 10 bytes, or over 64 bits.
    Invalid,
}

pub(crate) fn read_varint(bytes: &[u8]) -> Varint {
    let mut value = 0u64;
    for (index, &byte) in bytes.iter().enumerate().take(MAX_VARINT_LEN) {
        let bits = u64::from(byte & 0x7f);
        // The tenth byte may only carry the 64th bit.
        if index == MAX_VARINT_LEN - 1 && bits > 1 {
            return Varint::Invalid;
        }
        value |= bits << (7 * index);
        if byte & 0x80 == 0 {
            return Varint::Value(value, index + 1);
        }
    }
    if bytes.len() >= MAX_VARINT_LEN {
        Varint::Invalid
    } else {
        Varint::Incomplete
    }
}

pub(crate) fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_reject_overlong() {
        for value in [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut bytes = Vec::new();
            write_varint(&mut bytes, value);
            assert_eq!(read_varint(&bytes), Varint::Value(value, bytes.len()));
            assert_eq!(read_varint(&bytes[..bytes.len() - 1]), Varint::Incomplete);
        }
        assert_eq!(read_varint(&[0xac, 0x02]), Varint::Value(300, 2));
        assert_eq!(read_varint(&[0xff; 10]), Varint::Invalid);
        assert_eq!(
            read_varint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]),
            Varint::Invalid
        );
        assert_eq!(read_varint(&[]), Varint::Incomplete);
    }

    #[test]
    fn mesh_header_errors_say_what_is_wrong() {
        let limits = Limits::default();
        assert_eq!(
            decode_mesh(&[], &limits).unwrap_err().kind,
            DecodeErrorKind::Truncated
        );
        assert_eq!(
            decode_mesh(b"<event", &limits).unwrap_err().kind,
            DecodeErrorKind::BadMagic(b'<')
        );
        assert_eq!(
            decode_mesh(&[0xbf, 0x02, 0xbf], &limits).unwrap_err().kind,
            DecodeErrorKind::UnsupportedVersion(2)
        );
        assert_eq!(
            decode_mesh(&[0xbf, 0x01, 0x00], &limits).unwrap_err().kind,
            DecodeErrorKind::BadMagic(0)
        );
        assert_eq!(
            decode_mesh(&[0xbf, 0x01], &limits).unwrap_err().kind,
            DecodeErrorKind::Truncated
        );
        let empty = decode_mesh(&MESH_HEADER_V1, &limits).unwrap();
        assert_eq!(empty, TakMessage::default());
    }

    #[test]
    fn stream_frame_length_is_checked_before_reading() {
        let limits = Limits {
            max_event_bytes: 10,
            ..Limits::default()
        };
        let error = decode_stream_frame(&[0xbf, 0x0b], &limits).unwrap_err();
        assert_eq!(error.kind, DecodeErrorKind::TooLarge { len: 11, max: 10 });
        let error = decode_stream_frame(&[0xbf, 0x02, 0x00], &limits).unwrap_err();
        assert_eq!(error.kind, DecodeErrorKind::Truncated);
    }
}
