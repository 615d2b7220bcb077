//! The stream decoder on the situations a TAK server meets: split reads, markup that looks
//! like an end of event, oversized and malformed events, protobuf framing loss, and the
//! switch from XML to protobuf after negotiation.

use liptako_cot::negotiation::{Control, protocol_request};
use liptako_cot::proto::{TakControl, TakMessage};
use liptako_cot::{
    CotTime, Event, Framing, Limits, Point, StreamDecoder, StreamError, StreamErrorKind,
    encode_stream_frame, encode_stream_message, encode_xml,
};

use crate::common::limits;

fn sa(uid: &str) -> Event {
    let time = CotTime::from_unix_ms(1_710_408_413_535).expect("valid time");
    let mut event = Event {
        uid: uid.to_owned(),
        event_type: "a-f-G-U-C".to_owned(),
        how: "m-g".to_owned(),
        time,
        start: time,
        stale: time.plus_ms(120_000),
        point: Point::new(14.5, 1.25),
        ..Event::default()
    };
    event.detail.contact = Some(liptako_cot::Contact {
        callsign: Some(format!("CS-{uid}")),
        ..Default::default()
    });
    event
}

/// Feeds `bytes` in reads of `chunk_len` and collects everything that comes out.
fn drain(
    decoder: &mut StreamDecoder,
    bytes: &[u8],
    chunk_len: usize,
) -> Vec<Result<Event, StreamError>> {
    let mut items = Vec::new();
    for chunk in bytes.chunks(chunk_len.max(1)) {
        decoder.feed(chunk);
        while let Some(item) = decoder.next_event() {
            items.push(item);
        }
    }
    items
}

fn uids(items: &[Result<Event, StreamError>]) -> Vec<String> {
    items
        .iter()
        .filter_map(|item| item.as_ref().ok())
        .map(|event| event.uid.clone())
        .collect()
}

fn errors(items: &[Result<Event, StreamError>]) -> Vec<&StreamError> {
    items
        .iter()
        .filter_map(|item| item.as_ref().err())
        .collect()
}

#[test]
fn xml_events_back_to_back_split_at_every_byte() {
    let mut stream = encode_xml(&sa("a"));
    stream.extend_from_slice(b"\r\n");
    stream.extend_from_slice(&encode_xml(&sa("b")));
    // An event without XML declaration, as some clients send.
    let mut bare = Vec::new();
    liptako_cot::write_event(&sa("c"), &mut bare);
    stream.extend_from_slice(&bare);
    for chunk_len in [1, 2, 3, 7, 64, stream.len()] {
        let mut decoder = StreamDecoder::new(Framing::Detect, limits());
        let items = drain(&mut decoder, &stream, chunk_len);
        assert_eq!(uids(&items), ["a", "b", "c"], "reads of {chunk_len} bytes");
        assert!(errors(&items).is_empty());
        assert_eq!(decoder.framing(), Framing::Xml);
        assert_eq!(decoder.stats().frames, 3);
    }
}

#[test]
fn end_tag_lookalikes_do_not_end_an_event() {
    let xml = concat!(
        "<?xml version=\"1.0\"?><!-- </event> in a comment -->",
        "<event version=\"2.0\" uid=\"a\" type=\"a-f-G\" how=\"m-g\" time=\"2024-03-14T10:00:00Z\" ",
        "start=\"2024-03-14T10:00:00Z\" stale=\"2024-03-14T10:05:00Z\">",
        "<point lat=\"1\" lon=\"2\" hae=\"0\" ce=\"0\" le=\"0\"/><detail>",
        "<contact callsign=\"x/>y>z\" endpoint='q\"/>'/><!-- <event> --><?pi </event> ?>",
        "</detail></event>",
    );
    for chunk_len in [1, 5, xml.len()] {
        let mut decoder = StreamDecoder::new(Framing::Xml, limits());
        let items = drain(&mut decoder, xml.as_bytes(), chunk_len);
        assert_eq!(uids(&items), ["a"]);
        let event = items[0].as_ref().unwrap();
        assert_eq!(event.callsign(), Some("x/>y>z"));
        assert_eq!(
            event.detail.contact.as_ref().unwrap().endpoint.as_deref(),
            Some("q\"/>")
        );
    }
}

#[test]
fn embedded_event_end_in_cdata_is_one_bad_frame_not_two_events() {
    // A TAK client splitting on "</event>" would see an injected event here; we see one event
    // whose content is refused, and the next event is unaffected.
    let evil = concat!(
        "<event version=\"2.0\" uid=\"a\" type=\"a-f-G\" how=\"m-g\" time=\"2024-03-14T10:00:00Z\" ",
        "start=\"2024-03-14T10:00:00Z\" stale=\"2024-03-14T10:05:00Z\"><point lat=\"1\" lon=\"2\"/>",
        "<detail><x><![CDATA[</event><event uid=\"injected\">]]></x></detail></event>",
    );
    let mut stream = evil.as_bytes().to_vec();
    stream.extend_from_slice(&encode_xml(&sa("next")));
    let mut decoder = StreamDecoder::new(Framing::Xml, limits());
    let items = drain(&mut decoder, &stream, 9);
    assert_eq!(uids(&items), ["next"]);
    let errors = errors(&items);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].offset, 0);
    assert!(
        matches!(&errors[0].kind, StreamErrorKind::Decode(error) if error.kind == liptako_cot::DecodeErrorKind::EmbeddedEventEnd)
    );
}

#[test]
fn oversized_xml_event_is_skipped_with_bounded_memory() {
    let limits = Limits {
        max_event_bytes: 2048,
        ..Limits::default()
    };
    let mut huge = sa("huge");
    huge.detail.remarks = Some(liptako_cot::Remarks {
        text: "x".repeat(100_000),
        ..Default::default()
    });
    let mut stream = encode_xml(&sa("before"));
    let huge_at = stream.len() as u64;
    stream.extend_from_slice(&encode_xml(&huge));
    stream.extend_from_slice(&encode_xml(&sa("after")));
    for chunk_len in [100, 1500, 4096] {
        let mut decoder = StreamDecoder::new(Framing::Xml, limits);
        let mut items = Vec::new();
        for chunk in stream.chunks(chunk_len) {
            decoder.feed(chunk);
            while let Some(item) = decoder.next_event() {
                items.push(item);
            }
            assert!(decoder.buffered_len() <= limits.max_event_bytes + chunk_len);
        }
        assert_eq!(uids(&items), ["before", "after"], "reads of {chunk_len}");
        let errors = errors(&items);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].offset, huge_at);
        assert!(matches!(
            errors[0].kind,
            StreamErrorKind::Oversized { max: 2048, .. }
        ));
        assert!(decoder.stats().bytes_discarded > 100_000);
    }
}

#[test]
fn a_complete_event_over_the_limit_is_dropped_exactly() {
    let limits = Limits {
        max_event_bytes: 600,
        ..Limits::default()
    };
    let mut big = sa("big");
    big.detail.remarks = Some(liptako_cot::Remarks {
        text: "y".repeat(700),
        ..Default::default()
    });
    let mut stream = encode_xml(&big);
    let big_len = stream.len() as u64;
    stream.extend_from_slice(&encode_xml(&sa("after")));
    let mut decoder = StreamDecoder::new(Framing::Xml, limits);
    // One read holds both events: the first is delimited, found too big, and dropped whole.
    let items = drain(&mut decoder, &stream, stream.len());
    assert_eq!(uids(&items), ["after"]);
    assert_eq!(
        errors(&items)[0].kind,
        StreamErrorKind::Oversized {
            len: Some(big_len),
            max: 600
        }
    );
}

#[test]
fn xml_garbage_dtd_and_foreign_roots_resync_to_the_next_event() {
    let mut stream = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    stream.extend_from_slice(&encode_xml(&sa("a")));
    stream.extend_from_slice(b"<!DOCTYPE x [<!ENTITY e \"boom\">]>");
    stream.extend_from_slice(&encode_xml(&sa("b")));
    stream.extend_from_slice(b"<message><cot username=\"u\"/></message>");
    stream.extend_from_slice(&encode_xml(&sa("c")));
    stream.extend_from_slice(b"</event>");
    stream.extend_from_slice(&encode_xml(&sa("d")));
    let deep = format!(
        "<event uid=\"deep\">{}{}</event>",
        "<n>".repeat(40),
        "</n>".repeat(40)
    );
    stream.extend_from_slice(deep.as_bytes());
    stream.extend_from_slice(&encode_xml(&sa("e")));
    for chunk_len in [1, 13, 4096] {
        let mut decoder = StreamDecoder::new(Framing::Xml, limits());
        let items = drain(&mut decoder, &stream, chunk_len);
        assert_eq!(
            uids(&items),
            ["a", "b", "c", "d", "e"],
            "reads of {chunk_len}"
        );
        let kinds: Vec<_> = errors(&items)
            .iter()
            .map(|error| error.kind.clone())
            .collect();
        assert_eq!(
            kinds,
            [
                StreamErrorKind::Garbage(b'G'),
                StreamErrorKind::Declaration,
                StreamErrorKind::UnexpectedRoot,
                StreamErrorKind::StrayEndTag,
                StreamErrorKind::TooDeep { max: 32 },
            ],
            "reads of {chunk_len}"
        );
        assert!(errors(&items).iter().all(|error| !error.is_fatal()));
        assert_eq!(errors(&items)[0].offset, 0);
    }
}

#[test]
fn protobuf_frames_split_anywhere_and_oversized_frames_are_skipped_exactly() {
    let limits = Limits {
        max_event_bytes: 1024,
        ..Limits::default()
    };
    let mut huge = sa("huge");
    huge.detail.remarks = Some(liptako_cot::Remarks {
        text: "z".repeat(5000),
        ..Default::default()
    });
    let mut stream = encode_stream_frame(&sa("a"));
    let huge_at = stream.len() as u64;
    stream.extend_from_slice(&encode_stream_frame(&huge));
    stream.push(b'\n'); // tolerated between frames
    stream.extend_from_slice(&encode_stream_frame(&sa("b")));
    for chunk_len in [1, 3, 700, stream.len()] {
        let mut decoder = StreamDecoder::new(Framing::Detect, limits);
        let items = drain(&mut decoder, &stream, chunk_len);
        assert_eq!(decoder.framing(), Framing::Protobuf);
        assert_eq!(uids(&items), ["a", "b"], "reads of {chunk_len}");
        let errors = errors(&items);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].offset, huge_at);
        assert!(
            matches!(errors[0].kind, StreamErrorKind::Oversized { len: Some(len), max: 1024 } if len > 5000)
        );
        assert!(!errors[0].is_fatal());
    }
}

#[test]
fn lost_protobuf_framing_is_fatal_and_says_so() {
    let mut stream = encode_stream_frame(&sa("a"));
    let bad_at = stream.len() as u64;
    stream.extend_from_slice(&encode_xml(&sa("xml-on-a-protobuf-stream")));
    let mut decoder = StreamDecoder::new(Framing::Protobuf, limits());
    let items = drain(&mut decoder, &stream, 10);
    assert_eq!(uids(&items), ["a"]);
    let errors = errors(&items);
    assert_eq!(errors.len(), 1, "a fatal error is reported once");
    assert_eq!(errors[0].offset, bad_at);
    assert_eq!(errors[0].kind, StreamErrorKind::BadMagic(b'<'));
    assert!(errors[0].is_fatal());
    assert!(errors[0].to_string().contains("close the connection"));
    assert!(decoder.is_failed());
    decoder.feed(&encode_stream_frame(&sa("ignored")));
    assert_eq!(decoder.next_event(), None);
    assert_eq!(decoder.buffered_len(), 0);

    let mut decoder = StreamDecoder::new(Framing::Protobuf, limits());
    decoder.feed(&[
        0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ]);
    let error = decoder.next_frame().unwrap().unwrap_err();
    assert_eq!(error.kind, StreamErrorKind::BadVarint);
    assert!(error.is_fatal());
}

#[test]
fn control_only_messages_are_skipped_and_counted() {
    let control = TakMessage {
        tak_control: Some(TakControl {
            min_proto_version: 1,
            max_proto_version: 1,
            contact_uid: "ANDROID-1".into(),
        }),
        ..TakMessage::default()
    };
    let mut stream = encode_stream_message(&control);
    stream.extend_from_slice(&encode_stream_frame(&sa("a")));
    let mut decoder = StreamDecoder::new(Framing::Protobuf, limits());
    let items = drain(&mut decoder, &stream, 4);
    assert_eq!(uids(&items), ["a"]);
    assert_eq!(decoder.stats().messages_without_event, 1);
    assert_eq!(decoder.stats().frames, 2);
}

#[test]
fn negotiation_switches_framing_without_losing_buffered_frames() {
    // The client sends its request and, once granted, protobuf frames; a server read may
    // hold both.
    let now = CotTime::from_unix_ms(1_710_408_413_535).unwrap();
    let mut stream = encode_xml(&sa("xml-before"));
    stream.extend_from_slice(&encode_xml(&protocol_request("protouid", now, 1)));
    stream.extend_from_slice(&encode_stream_frame(&sa("proto-after")));
    let mut decoder = StreamDecoder::new(Framing::Detect, limits());
    decoder.feed(&stream);
    assert_eq!(decoder.next_event().unwrap().unwrap().uid, "xml-before");
    let request = decoder.next_event().unwrap().unwrap();
    assert_eq!(
        Control::from_event(&request),
        Ok(Some(Control::ProtocolRequest { version: 1 }))
    );
    decoder.set_framing(Framing::Protobuf);
    assert_eq!(decoder.next_event().unwrap().unwrap().uid, "proto-after");
    assert_eq!(decoder.next_event(), None);
    assert_eq!(decoder.stats().errors, 0);
    assert_eq!(decoder.offset(), stream.len() as u64);
}

#[test]
fn frames_are_shared_bytes_of_the_input() {
    let xml = encode_xml(&sa("a"));
    let mut decoder = StreamDecoder::new(Framing::Xml, limits());
    decoder.feed(b"  ");
    decoder.feed(&xml);
    let frame = decoder.next_frame().unwrap().unwrap();
    assert_eq!(frame.offset, 2);
    assert_eq!(&frame.bytes[..], &xml[..]);
    assert_eq!(frame.decode(&limits()).unwrap().unwrap().uid, "a");
}

#[test]
fn atak_auth_message_is_a_frame_of_its_own() {
    // What ATAK sends first on a connection configured with a username (TAK Server's
    // AuthMessage), then its position.
    let auth = b"<?xml version=\"1.0\"?>\n<auth><cot username=\"falcon\" password=\"s3cret&amp;\" uid=\"ANDROID-1\"/></auth>";
    let mut stream = auth.to_vec();
    stream.extend_from_slice(&encode_xml(&sa("ANDROID-1")));
    for chunk_len in [1, 7, stream.len()] {
        let mut decoder = StreamDecoder::new(Framing::Detect, limits());
        let mut frames = Vec::new();
        for chunk in stream.chunks(chunk_len) {
            decoder.feed(chunk);
            while let Some(frame) = decoder.next_frame() {
                frames.push(frame.expect("no stream error"));
            }
        }
        assert_eq!(frames.len(), 2, "reads of {chunk_len}");
        assert_eq!(frames[0].kind, liptako_cot::FrameKind::Auth);
        assert_eq!(frames[0].decode(&limits()), Ok(None));
        let message = frames[0]
            .auth(&limits())
            .expect("an auth frame")
            .expect("it decodes");
        assert_eq!(message.username.as_deref(), Some("falcon"));
        assert_eq!(message.password.as_deref(), Some("s3cret&"));
        assert_eq!(message.uid.as_deref(), Some("ANDROID-1"));
        assert!(
            !format!("{message:?}").contains("s3cret"),
            "the password never reaches a log"
        );
        assert_eq!(frames[1].kind, liptako_cot::FrameKind::Event);
        assert_eq!(frames[1].auth(&limits()), None);
    }
    // next_event skips the auth message and counts it; it is not an error.
    let mut decoder = StreamDecoder::new(Framing::Detect, limits());
    let items = drain(&mut decoder, &stream, 64);
    assert_eq!(uids(&items), ["ANDROID-1"]);
    assert!(errors(&items).is_empty());
    assert_eq!(decoder.stats().messages_without_event, 1);
}
