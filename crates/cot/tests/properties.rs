//! Property tests (proptest): first "never panics on any input", then "decode(encode(x)) == x"
//! through every wire form, then stream decoding independent of how bytes are split.

use liptako_cot::{
    Chat, ChatGroup, Contact, CotTime, Dest, Detail, Event, Extra, Framing, Group, Limits, Link,
    Marking, Marti, Point, PrecisionLocation, RawXml, Remarks, Status, StreamDecoder, Takv, Track,
    decode_datagram, decode_mesh, decode_proto_event, decode_stream_frame, decode_xml,
    encode_mesh_frame, encode_proto_payload, encode_stream_frame, encode_xml,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

use crate::common::limits;

/// Characters that exercise escaping, attribute-value normalisation and UTF-8.
const CHARS: &[char] = &[
    'a', 'Z', '0', '9', ' ', '-', '_', '.', ':', '/', '=', '&', '<', '>', '"', '\'', ';', '#',
    '\t', '\n', '\r', 'é', 'ß', '中', '🙂',
];

fn text(max_len: usize) -> impl Strategy<Value = String> {
    vec(select(CHARS), 0..max_len).prop_map(|chars| chars.into_iter().collect())
}

fn non_empty_text() -> impl Strategy<Value = String> {
    vec(select(CHARS), 1..16).prop_map(|chars| chars.into_iter().collect())
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    option::of(text(12))
}

/// Finite doubles of any sign and magnitude (NaN never equals itself, so it is left out).
fn finite() -> impl Strategy<Value = f64> {
    use proptest::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
    POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO
}

fn cot_time() -> impl Strategy<Value = CotTime> {
    (0..=CotTime::MAX.unix_ms())
        .prop_map(|unix_ms| CotTime::from_unix_ms(unix_ms).expect("in range"))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Names for unknown elements: never one we type at that level. `x:` names get their
/// namespace declared on the element itself, as a detail child must.
const ELEMENT_NAMES: &[&str] = &[
    "uid",
    "usericon",
    "color",
    "_flow-tags_",
    "x:ext",
    "archive",
    "strokeColor",
    "__serverdestination",
    "hierarchy",
    "a.b-c",
];
const ATTRIBUTE_NAMES: &[&str] = &[
    "phone",
    "emailAddress",
    "a-b.c",
    "_u",
    "readiness",
    "value",
    "point",
    "xml:lang",
];

/// ` name="value"` pairs with distinct names, sometimes with a namespaced attribute and its
/// declaration.
fn attribute_list() -> impl Strategy<Value = String> {
    (
        subsequence(ATTRIBUTE_NAMES, 0..3),
        vec(text(8), 3),
        any::<bool>(),
    )
        .prop_map(|(names, values, namespaced)| {
            let mut list: String = names
                .iter()
                .zip(&values)
                .map(|(key, value)| format!(" {key}=\"{}\"", escape(value)))
                .collect();
            if namespaced {
                list.push_str(&format!(
                    " xmlns:x=\"urn:example:x\" x:y=\"{}\"",
                    escape(&values[2])
                ));
            }
            list
        })
}

fn declare_x(name: &str, attributes: &str) -> String {
    if name.starts_with("x:") && !attributes.contains("xmlns:x=") {
        format!("{attributes} xmlns:x=\"urn:example:x\"")
    } else {
        attributes.to_owned()
    }
}

/// One unknown element as XML text, nested up to `depth`.
fn raw_element(depth: u32) -> BoxedStrategy<String> {
    let leaf = (select(ELEMENT_NAMES), attribute_list())
        .prop_map(|(name, attributes)| format!("<{name}{}/>", declare_x(name, &attributes)));
    if depth == 0 {
        return leaf.boxed();
    }
    let content = vec(
        prop_oneof![
            raw_element(depth - 1),
            text(8).prop_map(|text| escape(&text))
        ],
        0..3,
    );
    prop_oneof![
        leaf,
        (select(ELEMENT_NAMES), attribute_list(), content).prop_map(
            |(name, attributes, content)| {
                format!(
                    "<{name}{}>{}</{name}>",
                    declare_x(name, &attributes),
                    content.concat()
                )
            }
        ),
    ]
    .boxed()
}

/// Verbatim children: elements, and at most one run of non-blank text (two runs side by side
/// would read back as one).
fn raw_children() -> impl Strategy<Value = Vec<RawXml>> {
    (
        vec(raw_element(2), 0..3),
        option::of((non_empty_text(), any::<prop::sample::Index>())),
    )
        .prop_map(|(elements, text)| {
            let mut xml = elements;
            if let Some((text, at)) =
                text.filter(|(text, _)| !text.chars().all(char::is_whitespace))
            {
                xml.insert(at.index(xml.len() + 1), escape(&text));
            }
            RawXml::parse_fragment(&xml.concat(), &Limits::default())
                .expect("generated XML is well-formed")
        })
}

fn extra(known: &'static [&'static str], with_children: bool) -> impl Strategy<Value = Extra> {
    let names: Vec<&'static str> = ATTRIBUTE_NAMES
        .iter()
        .copied()
        .filter(|name| !known.contains(name))
        .collect();
    let children = if with_children {
        raw_children().boxed()
    } else {
        Just(Vec::new()).boxed()
    };
    (
        subsequence(names, 0..3),
        vec(text(8), 3),
        any::<bool>(),
        children,
    )
        .prop_map(|(names, values, namespaced, children)| {
            let mut attributes: Vec<(String, String)> = names
                .into_iter()
                .zip(values.iter().cloned())
                .map(|(name, value)| (name.to_owned(), value))
                .collect();
            if namespaced {
                attributes.push(("xmlns:x".to_owned(), "urn:example:x".to_owned()));
                attributes.push(("x:y".to_owned(), values[2].clone()));
            }
            Extra {
                attributes,
                children,
            }
        })
}

/// Typed elements are often in the exact form that travels as a protobuf message, so both
/// branches of the protobuf mapping are exercised.
fn detail() -> impl Strategy<Value = Detail> {
    let plain = || {
        prop_oneof![
            Just(Extra::default()),
            Just(Extra::default()),
            extra(&[], true)
        ]
    };
    let contact = (option::of(non_empty_text()), opt_text(), plain()).prop_map(
        |(callsign, endpoint, extra)| Contact {
            callsign,
            endpoint,
            extra,
        },
    );
    let group = (option::of(non_empty_text()), opt_text(), plain())
        .prop_map(|(name, role, extra)| Group { name, role, extra });
    let location = (opt_text(), opt_text(), plain()).prop_map(|(geopointsrc, altsrc, extra)| {
        PrecisionLocation {
            geopointsrc,
            altsrc,
            extra,
        }
    });
    let status =
        (option::of(any::<u32>()), plain()).prop_map(|(battery, extra)| Status { battery, extra });
    let takv = (
        non_empty_text(),
        non_empty_text(),
        opt_text(),
        non_empty_text(),
        plain(),
    )
        .prop_map(|(device, platform, os, version, extra)| Takv {
            device: Some(device),
            platform: Some(platform),
            os,
            version: Some(version),
            extra,
        });
    let track = (option::of(finite()), option::of(finite()), plain()).prop_map(
        |(course_deg, speed_mps, extra)| Track {
            course_deg,
            speed_mps,
            extra,
        },
    );
    let chat_group = (vec(text(8), 0..4), opt_text(), extra(&["id"], true))
        .prop_map(|(uids, id, extra)| ChatGroup { uids, id, extra });
    let chat = (vec(opt_text(), 6), option::of(chat_group), extra(&[], true)).prop_map(
        |(fields, chat_group, extra)| {
            let mut fields = fields.into_iter();
            let mut next = || fields.next().flatten();
            Chat {
                parent: next(),
                group_owner: next(),
                message_id: next(),
                chatroom: next(),
                id: next(),
                sender_callsign: next(),
                chat_group,
                extra,
            }
        },
    );
    let link = (opt_text(), opt_text(), opt_text(), extra(&[], true)).prop_map(
        |(uid, link_type, relation, extra)| Link {
            uid,
            link_type,
            relation,
            extra,
        },
    );
    let remarks = (
        opt_text(),
        opt_text(),
        opt_text(),
        text(20),
        extra(&[], false),
    )
        .prop_map(|(source, to, time, text, extra)| Remarks {
            source,
            to,
            time,
            text,
            extra,
        });
    let dest = (opt_text(), opt_text(), opt_text(), extra(&[], true)).prop_map(
        |(callsign, uid, mission, extra)| Dest {
            callsign,
            uid,
            mission,
            extra,
        },
    );
    let marti =
        (vec(dest, 0..3), extra(&[], true)).prop_map(|(dests, extra)| Marti { dests, extra });
    (
        (
            option::of(contact),
            option::of(group),
            option::of(location),
            option::of(status),
            option::of(takv),
            option::of(track),
        ),
        (
            option::of(chat),
            vec(link, 0..3),
            option::of(remarks),
            option::of(marti),
            raw_children(),
        ),
    )
        .prop_map(
            |(
                (contact, group, precision_location, status, takv, track),
                (chat, links, remarks, marti, unknown),
            )| {
                Detail {
                    contact,
                    group,
                    precision_location,
                    status,
                    takv,
                    track,
                    chat,
                    links,
                    remarks,
                    marti,
                    unknown,
                }
            },
        )
}

fn marking_value() -> impl Strategy<Value = Option<String>> {
    option::of(non_empty_text().prop_filter("Undefined means absent", |text| text != "Undefined"))
}

pub(crate) fn event() -> impl Strategy<Value = Event> {
    (
        (
            non_empty_text(),
            non_empty_text(),
            non_empty_text(),
            cot_time(),
            cot_time(),
            cot_time(),
        ),
        (
            option::of(non_empty_text()),
            marking_value(),
            marking_value(),
            marking_value(),
            marking_value(),
        ),
        (
            -90.0..=90.0f64,
            -180.0..=180.0f64,
            finite(),
            finite(),
            finite(),
        ),
        detail(),
    )
        .prop_map(
            |(
                (uid, event_type, how, time, start, stale),
                (qos, access, caveat, releaseable_to, opex),
                point,
                detail,
            )| {
                let (lat_deg, lon_deg, hae_m, ce_m, le_m) = point;
                Event {
                    uid,
                    event_type,
                    how,
                    time,
                    start,
                    stale,
                    qos,
                    marking: Marking {
                        access,
                        caveat,
                        releaseable_to,
                        opex,
                    },
                    point: Point {
                        lat_deg,
                        lon_deg,
                        hae_m,
                        ce_m,
                        le_m,
                    },
                    detail,
                }
            },
        )
}

proptest! {
    // PROPTEST_CASES raises the count for a long run; 400 keeps `cargo test` quick on 2 cores.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(400)
    ))]

    /// XML -> model -> protobuf -> model -> XML keeps every field, including unknown detail
    /// children, extra attributes and the marking; the frame encoders agree.
    #[test]
    fn every_field_survives_xml_and_protobuf(event in event()) {
        let xml = encode_xml(&event);
        let from_xml = decode_xml(&xml, &limits()).map_err(|error| TestCaseError::fail(format!("{error}\n{}", String::from_utf8_lossy(&xml))))?;
        prop_assert_eq!(&from_xml, &event);
        let from_proto = decode_proto_event(&encode_proto_payload(&from_xml), &limits())
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert_eq!(&from_proto, &event);
        prop_assert_eq!(encode_xml(&from_proto), xml);

        let frame = encode_stream_frame(&event);
        let (message, consumed) = decode_stream_frame(&frame, &limits()).map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert_eq!(consumed, frame.len());
        let from_frame = Event::from_proto(message.cot_event.expect("event"), &limits()).map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert_eq!(&from_frame, &event);
        prop_assert_eq!(decode_datagram(&encode_mesh_frame(&event), &limits()), Ok(event.clone()));
        prop_assert_eq!(decode_datagram(&encode_xml(&event), &limits()), Ok(event));
    }

    /// Any bytes: an error value or an event, never a panic.
    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(bytes in vec(any::<u8>(), 0..2048)) {
        let limits = limits();
        let _ = decode_xml(&bytes, &limits);
        let _ = decode_proto_event(&bytes, &limits);
        let _ = decode_datagram(&bytes, &limits);
        let _ = decode_mesh(&bytes, &limits);
        let _ = decode_stream_frame(&bytes, &limits);
        let _ = RawXml::parse_fragment(&String::from_utf8_lossy(&bytes), &limits);
    }

    /// Damaged real events (bytes changed, cut or inserted) exercise the decoders far deeper
    /// than random bytes; each result must be an event or an error.
    #[test]
    fn decoders_never_panic_on_damaged_events(
        event in event(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..6),
    ) {
        for mut bytes in [encode_xml(&event), encode_stream_frame(&event), encode_mesh_frame(&event)] {
            for (at, byte, kind) in &edits {
                if bytes.is_empty() { break; }
                let index = at.index(bytes.len());
                match kind {
                    0 => bytes[index] = *byte,
                    1 => { bytes.remove(index); }
                    _ => bytes.insert(index, *byte),
                }
            }
            let _ = decode_xml(&bytes, &limits());
            let _ = decode_datagram(&bytes, &limits());
            let _ = decode_stream_frame(&bytes, &limits());
            let _ = decode_proto_event(bytes.get(2..).unwrap_or_default(), &limits());
            let mut decoder = StreamDecoder::new(Framing::Detect, limits());
            decoder.feed(&bytes);
            while decoder.next_frame().is_some() {}
        }
    }

    /// However the bytes of a connection are split into reads, the same events come out.
    #[test]
    fn stream_decoding_does_not_depend_on_read_boundaries(
        events in vec(event(), 1..4),
        protobuf in any::<bool>(),
        cuts in vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let stream: Vec<u8> = events
            .iter()
            .flat_map(|event| if protobuf { encode_stream_frame(event) } else { encode_xml(event) })
            .collect();
        let mut cuts: Vec<usize> = cuts.iter().map(|cut| cut.index(stream.len() + 1)).collect();
        cuts.push(0);
        cuts.push(stream.len());
        cuts.sort_unstable();
        let mut decoder = StreamDecoder::new(Framing::Detect, limits());
        let mut decoded = Vec::new();
        for window in cuts.windows(2) {
            decoder.feed(&stream[window[0]..window[1]]);
            while let Some(item) = decoder.next_event() {
                decoded.push(item.map_err(|error| TestCaseError::fail(error.to_string()))?);
            }
        }
        prop_assert_eq!(decoded, events);
        prop_assert_eq!(decoder.buffered_len(), 0);
    }

    /// Garbage between XML events costs one error per run of garbage and no event, and the
    /// buffer never holds more than one event's limit plus one read.
    #[test]
    fn xml_stream_resyncs_after_garbage(
        events in vec(event(), 1..4),
        garbage in vec(option::of(vec(any::<u8>().prop_filter("no markup", |byte| *byte != b'<'), 1..64)), 4),
        chunk_len in 1..4096usize,
    ) {
        let mut stream = Vec::new();
        let mut n_garbage_runs = 0;
        for (event, garbage) in events.iter().zip(&garbage) {
            if let Some(garbage) = garbage.as_ref().filter(|garbage| !garbage.iter().all(u8::is_ascii_whitespace)) {
                stream.extend_from_slice(garbage);
                n_garbage_runs += 1;
            }
            stream.extend_from_slice(&encode_xml(event));
        }
        let limits = limits();
        let mut decoder = StreamDecoder::new(Framing::Xml, limits);
        let (mut decoded, mut n_errors) = (Vec::new(), 0);
        for chunk in stream.chunks(chunk_len) {
            decoder.feed(chunk);
            prop_assert!(decoder.buffered_len() <= limits.max_event_bytes + chunk_len);
            while let Some(item) = decoder.next_event() {
                match item {
                    Ok(event) => decoded.push(event),
                    Err(error) => {
                        prop_assert!(!error.is_fatal());
                        n_errors += 1;
                    }
                }
            }
        }
        prop_assert_eq!(decoded, events);
        prop_assert_eq!(n_errors, n_garbage_runs);
    }

    /// Arbitrary bytes in arbitrary reads: the stream decoder stays within its memory bound and
    /// never panics, in every framing.
    #[test]
    fn stream_decoder_never_panics_and_stays_bounded(
        bytes in vec(any::<u8>(), 0..8192),
        chunk_len in 1..1024usize,
        framing in select(vec![Framing::Detect, Framing::Xml, Framing::Protobuf]),
        max_event_bytes in 16..4096usize,
    ) {
        let limits = Limits { max_event_bytes, ..Limits::default() };
        let mut decoder = StreamDecoder::new(framing, limits);
        for chunk in bytes.chunks(chunk_len) {
            decoder.feed(chunk);
            while decoder.next_event().is_some() {}
            prop_assert!(decoder.buffered_len() <= max_event_bytes + chunk_len + 16);
        }
    }
}
