//! Decoder invariants, shared by the fuzz targets (`fuzz/fuzz_targets/cot_*.rs`) and the plain
//! test that replays their corpus. Each function takes arbitrary bytes and panics only when
//! an invariant breaks, never because the input is bad:
//!
//! - whatever a decoder accepts, the encoders write, and writing what we read back gives the
//!   same bytes (XML) and the same event (protobuf): an accepted event can be relayed to XML
//!   and protobuf clients alike without change;
//! - the stream decoder never holds more than one event's limit plus one read, and after a
//!   fatal error yields nothing more.
//!
//! Not part of the API.

use crate::framing::decode_datagram;
use crate::proto::{decode_proto_event, encode_proto_payload};
use crate::stream::{Framing, StreamDecoder};
use crate::xml::{decode_auth, decode_xml, encode_xml};
use crate::{Event, Limits};

/// Small limits so the fuzzer reaches the size checks.
fn fuzz_limits() -> Limits {
    Limits {
        max_event_bytes: 4096,
        max_depth: 12,
        max_attributes: 24,
    }
}

/// Re-encodes an accepted event both ways and checks nothing changes.
fn assert_relayable(event: &Event) {
    let xml = encode_xml(event);
    let from_xml = match decode_xml(&xml, &Limits::default()) {
        Ok(again) => again,
        Err(error) => panic!(
            "our own XML does not decode: {error}\n{}",
            String::from_utf8_lossy(&xml)
        ),
    };
    assert_eq!(encode_xml(&from_xml), xml, "XML changed on the way back");
    let from_proto = match decode_proto_event(&encode_proto_payload(event), &Limits::default()) {
        Ok(again) => again,
        Err(error) => panic!("our own protobuf does not decode: {error}"),
    };
    assert_eq!(encode_xml(&from_proto), xml, "protobuf lost something");
}

/// One XML document (`fuzz_targets/cot_xml.rs`).
pub fn xml_document(data: &[u8]) {
    let limits = fuzz_limits();
    if let Ok(event) = decode_xml(data, &limits) {
        assert_relayable(&event);
    }
    let _ = decode_datagram(data, &limits);
    let _ = decode_auth(data, &limits);
}

/// One protobuf payload (`fuzz_targets/cot_proto.rs`), and the same bytes as a mesh datagram.
pub fn proto_payload(data: &[u8]) {
    let limits = fuzz_limits();
    if let Ok(event) = decode_proto_event(data, &limits) {
        assert_relayable(&event);
    }
    if let Ok(event) = decode_datagram(data, &limits) {
        assert_relayable(&event);
    }
}

/// A connection's bytes (`fuzz_targets/cot_xml_stream.rs`, `cot_proto_stream.rs`). The first
/// byte picks the read size, so the fuzzer explores how reads split the input.
pub fn stream(data: &[u8], framing: Framing) {
    let limits = fuzz_limits();
    let (chunk_len, bytes) = match data.split_first() {
        Some((&first, rest)) => (usize::from(first) * 8 + 1, rest),
        None => return,
    };
    let mut decoder = StreamDecoder::new(framing, limits);
    let mut failed = false;
    for chunk in bytes.chunks(chunk_len) {
        decoder.feed(chunk);
        while let Some(item) = decoder.next_event() {
            assert!(!failed, "an item came out after a fatal error");
            match item {
                Ok(event) => assert_relayable(&event),
                Err(error) => failed |= error.is_fatal(),
            }
        }
        assert!(
            decoder.buffered_len() <= limits.max_event_bytes + chunk_len + 16,
            "buffer of {} bytes is over the bound",
            decoder.buffered_len()
        );
        assert_eq!(decoder.is_failed(), failed);
    }
}
