//! [`Event`] -> CoT XML, written straight into a byte buffer (no DOM, no intermediate strings).
//!
//! Output is always well-formed: text and attribute values are escaped (tab, newline and
//! carriage return in attributes as character references, so they survive attribute-value
//! normalisation), characters XML 1.0 forbids are replaced by U+FFFD, and attribute names a
//! caller put in [`Extra::attributes`] that are not XML names or repeat another attribute are
//! left out. [`RawXml`] pieces are written as received; they were checked when parsed.

use std::io::Write as _;

use crate::event::{Detail, Event, Extra, HOW_UNKNOWN, RawXml};

/// The XML declaration TAK streams put before each event.
pub const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>";

/// Encodes `event` as a CoT XML document: the XML declaration, then `<event>`, with no
/// newline after `</event>` (TAK stream peers expect the next event right after it).
pub fn encode_xml(event: &Event) -> Vec<u8> {
    let mut out = Vec::with_capacity(768);
    write_xml(event, &mut out);
    out
}

/// Appends `event` as a CoT XML document to `out` (see [`encode_xml`]).
pub fn write_xml(event: &Event, out: &mut Vec<u8>) {
    out.extend_from_slice(XML_DECLARATION.as_bytes());
    out.push(b'\n');
    write_event(event, out);
}

/// Appends the `<event>` element alone, without XML declaration.
pub fn write_event(event: &Event, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<event version=\"2.0\"");
    attr(out, "uid", &event.uid);
    attr(out, "type", &event.event_type);
    attr(
        out,
        "how",
        if event.how.is_empty() {
            HOW_UNKNOWN
        } else {
            &event.how
        },
    );
    time_attr(out, "time", event.time);
    time_attr(out, "start", event.start);
    time_attr(out, "stale", event.stale);
    opt_attr(out, "qos", &event.qos);
    opt_attr(out, "access", &event.marking.access);
    opt_attr(out, "opex", &event.marking.opex);
    opt_attr(out, "caveat", &event.marking.caveat);
    opt_attr(out, "releaseableTo", &event.marking.releaseable_to);
    out.extend_from_slice(b"><point");
    let point = &event.point;
    f64_attr(out, "lat", point.lat_deg);
    f64_attr(out, "lon", point.lon_deg);
    f64_attr(out, "hae", point.hae_m);
    f64_attr(out, "ce", point.ce_m);
    f64_attr(out, "le", point.le_m);
    out.extend_from_slice(b"/>");
    if !event.detail.is_empty() {
        out.extend_from_slice(b"<detail>");
        write_detail_children(&event.detail, SentAsMessages::NONE, out);
        out.extend_from_slice(b"</detail>");
    }
    out.extend_from_slice(b"</event>");
}

/// Which typed detail elements travel as protobuf messages and so are left out of the XML.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SentAsMessages {
    pub contact: bool,
    pub group: bool,
    pub precision_location: bool,
    pub status: bool,
    pub takv: bool,
    pub track: bool,
}

impl SentAsMessages {
    pub const NONE: SentAsMessages = SentAsMessages {
        contact: false,
        group: false,
        precision_location: false,
        status: false,
        takv: false,
        track: false,
    };
}

/// Appends the children of `<detail>` (without the `<detail>` tags), leaving out the
/// elements `skip` names.
pub(crate) fn write_detail_children(detail: &Detail, skip: SentAsMessages, out: &mut Vec<u8>) {
    if let Some(contact) = detail.contact.as_ref().filter(|_| !skip.contact) {
        open(out, "contact");
        opt_attr(out, "callsign", &contact.callsign);
        opt_attr(out, "endpoint", &contact.endpoint);
        close(out, "contact", &contact.extra, &["callsign", "endpoint"]);
    }
    if let Some(group) = detail.group.as_ref().filter(|_| !skip.group) {
        open(out, "__group");
        opt_attr(out, "name", &group.name);
        opt_attr(out, "role", &group.role);
        close(out, "__group", &group.extra, &["name", "role"]);
    }
    if let Some(location) = detail
        .precision_location
        .as_ref()
        .filter(|_| !skip.precision_location)
    {
        open(out, "precisionlocation");
        opt_attr(out, "geopointsrc", &location.geopointsrc);
        opt_attr(out, "altsrc", &location.altsrc);
        close(
            out,
            "precisionlocation",
            &location.extra,
            &["geopointsrc", "altsrc"],
        );
    }
    if let Some(status) = detail.status.as_ref().filter(|_| !skip.status) {
        open(out, "status");
        if let Some(battery) = status.battery {
            out.extend_from_slice(b" battery=\"");
            let _ = write!(out, "{battery}");
            out.push(b'"');
        }
        close(out, "status", &status.extra, &["battery"]);
    }
    if let Some(takv) = detail.takv.as_ref().filter(|_| !skip.takv) {
        open(out, "takv");
        opt_attr(out, "device", &takv.device);
        opt_attr(out, "platform", &takv.platform);
        opt_attr(out, "os", &takv.os);
        opt_attr(out, "version", &takv.version);
        close(
            out,
            "takv",
            &takv.extra,
            &["device", "platform", "os", "version"],
        );
    }
    if let Some(track) = detail.track.as_ref().filter(|_| !skip.track) {
        open(out, "track");
        if let Some(course) = track.course_deg {
            f64_attr(out, "course", course);
        }
        if let Some(speed) = track.speed_mps {
            f64_attr(out, "speed", speed);
        }
        close(out, "track", &track.extra, &["course", "speed"]);
    }
    if let Some(chat) = &detail.chat {
        open(out, "__chat");
        opt_attr(out, "parent", &chat.parent);
        opt_attr(out, "groupOwner", &chat.group_owner);
        opt_attr(out, "messageId", &chat.message_id);
        opt_attr(out, "chatroom", &chat.chatroom);
        opt_attr(out, "id", &chat.id);
        opt_attr(out, "senderCallsign", &chat.sender_callsign);
        const CHAT_ATTRIBUTES: &[&str] = &[
            "parent",
            "groupOwner",
            "messageId",
            "chatroom",
            "id",
            "senderCallsign",
        ];
        extra_attrs(out, &chat.extra, CHAT_ATTRIBUTES);
        out.push(b'>');
        if let Some(group) = &chat.chat_group {
            open(out, "chatgrp");
            let mut uid_names = Vec::with_capacity(group.uids.len() + 1);
            for (index, uid) in group.uids.iter().enumerate() {
                let name = format!("uid{index}");
                attr(out, &name, uid);
                uid_names.push(name);
            }
            opt_attr(out, "id", &group.id);
            uid_names.push("id".to_owned());
            let known: Vec<&str> = uid_names.iter().map(String::as_str).collect();
            close(out, "chatgrp", &group.extra, &known);
        }
        raw_children(out, &chat.extra.children);
        out.extend_from_slice(b"</__chat>");
    }
    for link in &detail.links {
        open(out, "link");
        opt_attr(out, "uid", &link.uid);
        opt_attr(out, "type", &link.link_type);
        opt_attr(out, "relation", &link.relation);
        close(out, "link", &link.extra, &["uid", "type", "relation"]);
    }
    if let Some(remarks) = &detail.remarks {
        open(out, "remarks");
        opt_attr(out, "source", &remarks.source);
        opt_attr(out, "to", &remarks.to);
        opt_attr(out, "time", &remarks.time);
        extra_attrs(out, &remarks.extra, &["source", "to", "time"]);
        if remarks.text.is_empty() && remarks.extra.children.is_empty() {
            out.extend_from_slice(b"/>");
        } else {
            out.push(b'>');
            escape_into(out, &remarks.text, false);
            raw_children(out, &remarks.extra.children);
            out.extend_from_slice(b"</remarks>");
        }
    }
    if let Some(marti) = &detail.marti {
        open(out, "marti");
        extra_attrs(out, &marti.extra, &[]);
        if marti.dests.is_empty() && marti.extra.children.is_empty() {
            out.extend_from_slice(b"/>");
        } else {
            out.push(b'>');
            for dest in &marti.dests {
                open(out, "dest");
                opt_attr(out, "callsign", &dest.callsign);
                opt_attr(out, "uid", &dest.uid);
                opt_attr(out, "mission", &dest.mission);
                close(out, "dest", &dest.extra, &["callsign", "uid", "mission"]);
            }
            raw_children(out, &marti.extra.children);
            out.extend_from_slice(b"</marti>");
        }
    }
    raw_children(out, &detail.unknown);
}

fn open(out: &mut Vec<u8>, name: &str) {
    out.push(b'<');
    out.extend_from_slice(name.as_bytes());
}

/// Writes the extra attributes, then `/>` or the extra children and the end tag.
fn close(out: &mut Vec<u8>, name: &str, extra: &Extra, known: &[&str]) {
    extra_attrs(out, extra, known);
    if extra.children.is_empty() {
        out.extend_from_slice(b"/>");
    } else {
        out.push(b'>');
        raw_children(out, &extra.children);
        out.extend_from_slice(b"</");
        out.extend_from_slice(name.as_bytes());
        out.push(b'>');
    }
}

fn raw_children(out: &mut Vec<u8>, children: &[RawXml]) {
    for child in children {
        out.extend_from_slice(child.as_str().as_bytes());
    }
}

fn extra_attrs(out: &mut Vec<u8>, extra: &Extra, known: &[&str]) {
    for (index, (name, value)) in extra.attributes.iter().enumerate() {
        let repeated = known.contains(&name.as_str())
            || extra
                .attributes
                .iter()
                .take(index)
                .any(|(earlier, _)| earlier == name);
        if is_xml_name(name) && !repeated {
            attr(out, name, value);
        }
    }
}

/// True for a plausible XML attribute name: a letter, `_` or `:` (or any non-ASCII character)
/// first, then also digits, `-` and `.`.
fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_alphabetic() || first == '_' || first == ':' || !first.is_ascii())
        && chars
            .all(|ch| ch.is_alphanumeric() || matches!(ch, '_' | ':' | '-' | '.') || !ch.is_ascii())
}

fn attr(out: &mut Vec<u8>, name: &str, value: &str) {
    out.push(b' ');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"=\"");
    escape_into(out, value, true);
    out.push(b'"');
}

fn opt_attr(out: &mut Vec<u8>, name: &str, value: &Option<String>) {
    if let Some(value) = value {
        attr(out, name, value);
    }
}

fn time_attr(out: &mut Vec<u8>, name: &str, time: crate::time::CotTime) {
    out.push(b' ');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"=\"");
    time.write_to(out);
    out.push(b'"');
}

/// Writes an `xs:double`: the shortest text that reads back to the same value, no exponent;
/// `NaN`, `INF` and `-INF` as XML Schema spells them.
fn f64_attr(out: &mut Vec<u8>, name: &str, value: f64) {
    out.push(b' ');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"=\"");
    if value.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if value.is_infinite() {
        out.extend_from_slice(if value > 0.0 { b"INF" } else { b"-INF" });
    } else {
        // `+ 0.0` writes -0 as 0, as the decoders read it.
        let _ = write!(out, "{}", value + 0.0);
    }
    out.push(b'"');
}

/// Escapes `text` for an attribute value (`in_attribute`) or element content.
fn escape_into(out: &mut Vec<u8>, text: &str, in_attribute: bool) {
    let bytes = text.as_bytes();
    let mut copied = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        let replacement: &[u8] = match byte {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' if in_attribute => b"&quot;",
            b'\t' if in_attribute => b"&#9;",
            b'\n' if in_attribute => b"&#10;",
            b'\r' => b"&#13;",
            b'\t' | b'\n' => continue,
            // XML 1.0 allows no other control character, not even as a character reference.
            0x00..=0x1f => "\u{fffd}".as_bytes(),
            _ => continue,
        };
        out.extend_from_slice(bytes.get(copied..index).unwrap_or_default());
        out.extend_from_slice(replacement);
        copied = index + 1;
    }
    out.extend_from_slice(bytes.get(copied..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(text: &str, in_attribute: bool) -> String {
        let mut out = Vec::new();
        escape_into(&mut out, text, in_attribute);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_markup_and_whitespace_that_normalisation_would_eat() {
        assert_eq!(escaped("a<b>&\"c\"", true), "a&lt;b&gt;&amp;&quot;c&quot;");
        assert_eq!(escaped("a<b>&\"c\"", false), "a&lt;b&gt;&amp;\"c\"");
        assert_eq!(escaped("1\t2\n3\r4", true), "1&#9;2&#10;3&#13;4");
        assert_eq!(escaped("1\t2\n3\r4", false), "1\t2\n3&#13;4");
        assert_eq!(escaped("bell\u{7}é", false), "bell\u{fffd}é");
    }

    #[test]
    fn xml_names() {
        assert!(is_xml_name("phone"));
        assert!(is_xml_name("xmlns:tak"));
        assert!(is_xml_name("_a-b.c1"));
        assert!(!is_xml_name(""));
        assert!(!is_xml_name("1a"));
        assert!(!is_xml_name("a b"));
        assert!(!is_xml_name("a\"><x"));
    }
}
