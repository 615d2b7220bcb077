//! CoT XML -> [`Event`], with quick-xml over a borrowed `&str` (no copy of the input).
//!
//! Safety rules, each an error value: input over [`Limits::max_event_bytes`], not UTF-8, a DTD
//! (`<!DOCTYPE`), an entity reference other than the five predefined ones and character
//! references, nesting past [`Limits::max_depth`], more than [`Limits::max_attributes`] on one
//! element, and `</event` inside content that is passed on verbatim. Nothing is ever expanded
//! beyond those five entities, so there is no entity bomb.

use std::borrow::Cow;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::reader::Reader;

use crate::error::{DecodeError, DecodeErrorKind, Part};
use crate::event::{
    Chat, ChatGroup, Contact, Dest, Detail, Event, Group, HOW_UNKNOWN, Link, Marti, Point,
    PrecisionLocation, RawXml, Remarks, Status, Takv, Track,
};
use crate::limits::Limits;
use crate::time::CotTime;

use DecodeErrorKind as Kind;

/// Decodes one CoT XML document (an optional XML declaration, then one `<event>`).
pub fn decode_xml(input: &[u8], limits: &Limits) -> Result<Event, DecodeError> {
    let (text, bom_len) = checked_text(input, limits)?;
    let mut parser = Parser::new(text, limits, Part::Xml, bom_len);
    let (tag, empty, start) = parser.root()?;
    if tag.name().0 != "event" {
        return Err(parser.error(start, Kind::UnexpectedRoot(tag.name().0.to_owned())));
    }
    if empty {
        parser.attributes(&tag, start, 1, |_, _| {})?;
        return Err(parser.error(start, Kind::MissingPoint));
    }
    let event = parser.event(&tag, start)?;
    parser.trailing()?;
    Ok(event)
}

/// The `<auth><cot username password uid callsign/></auth>` message a TAK client configured
/// with a username sends first on its connection (TAK Server's `AuthMessage`).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct AuthMessage {
    pub username: Option<String>,
    pub password: Option<String>,
    pub uid: Option<String>,
    pub callsign: Option<String>,
}

impl std::fmt::Debug for AuthMessage {
    /// Never shows the password, so a log line cannot leak it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthMessage")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("uid", &self.uid)
            .field("callsign", &self.callsign)
            .finish()
    }
}

/// Decodes a TAK `<auth>` message (see [`AuthMessage`]).
pub fn decode_auth(input: &[u8], limits: &Limits) -> Result<AuthMessage, DecodeError> {
    let (text, bom_len) = checked_text(input, limits)?;
    let mut parser = Parser::new(text, limits, Part::Xml, bom_len);
    let (tag, empty, start) = parser.root()?;
    if tag.name().0 != "auth" {
        return Err(parser.error(start, Kind::UnexpectedRoot(tag.name().0.to_owned())));
    }
    parser.attributes(&tag, start, 1, |_, _| {})?;
    let mut auth = None;
    if !empty {
        let mut run = TextRun::default();
        while let Item::Element { tag, empty, start } =
            parser.next_item(&mut run, false, Close::EndTag)?
        {
            if tag.name().0 == "cot" && auth.is_none() {
                let mut message = AuthMessage::default();
                parser.attributes(&tag, start, 2, |key, value| {
                    let slot = match key {
                        "username" => &mut message.username,
                        "password" => &mut message.password,
                        "uid" => &mut message.uid,
                        "callsign" => &mut message.callsign,
                        _ => return,
                    };
                    *slot = Some(value.into_owned());
                })?;
                auth = Some(message);
            }
            if !empty || tag.name().0 != "cot" {
                parser.skip_element(&tag, empty, start, 2).map(|_| ())?;
            }
        }
    }
    let auth = auth.ok_or_else(|| parser.error(start, Kind::MissingElement("auth", "cot")))?;
    parser.trailing()?;
    Ok(auth)
}

/// The input as checked UTF-8 text without a leading byte order mark, and the BOM's length.
fn checked_text<'i>(input: &'i [u8], limits: &Limits) -> Result<(&'i str, usize), DecodeError> {
    if input.len() > limits.max_event_bytes {
        return Err(DecodeError::new(
            Part::Xml,
            0,
            Kind::TooLarge {
                len: input.len(),
                max: limits.max_event_bytes,
            },
        ));
    }
    let text = std::str::from_utf8(input)
        .map_err(|error| DecodeError::new(Part::Xml, error.valid_up_to(), Kind::NotUtf8))?;
    if let Some(at) = first_illegal_char(text) {
        return Err(DecodeError::new(Part::Xml, at, Kind::IllegalCharacter));
    }
    // A UTF-8 byte order mark is allowed before the declaration.
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, 3),
        None => (text, 0),
    })
}

/// Parses the children of a `<detail>` given without the enclosing tags, as protobuf
/// `Detail.xmlDetail` carries them.
pub(crate) fn decode_detail_fragment(text: &str, limits: &Limits) -> Result<Detail, DecodeError> {
    if text.len() > limits.max_event_bytes {
        return Err(DecodeError::new(
            Part::XmlDetail,
            0,
            Kind::TooLarge {
                len: text.len(),
                max: limits.max_event_bytes,
            },
        ));
    }
    if let Some(at) = first_illegal_char(text) {
        return Err(DecodeError::new(
            Part::XmlDetail,
            at,
            Kind::IllegalCharacter,
        ));
    }
    let mut parser = Parser::new(text, limits, Part::XmlDetail, 0);
    let mut detail = Detail::default();
    parser.detail_children(DETAIL_CHILD_DEPTH - 1, &mut detail, true, Close::Eof)?;
    Ok(detail)
}

impl RawXml {
    /// Checks `text` as a sequence of XML elements and character data (the content of an
    /// element, such as the inside of `<detail>`) and returns its top-level pieces verbatim.
    /// This is how code builds a [`RawXml`] to add its own detail extensions.
    pub fn parse_fragment(text: &str, limits: &Limits) -> Result<Vec<RawXml>, DecodeError> {
        if let Some(at) = first_illegal_char(text) {
            return Err(DecodeError::new(
                Part::XmlDetail,
                at,
                Kind::IllegalCharacter,
            ));
        }
        let mut parser = Parser::new(text, limits, Part::XmlDetail, 0);
        let mut detail = Detail::default();
        parser.detail_children(DETAIL_CHILD_DEPTH - 1, &mut detail, false, Close::Eof)?;
        Ok(detail.unknown)
    }
}

/// Depth of a child of `<detail>`: `<event>` is 1, `<detail>` 2.
const DETAIL_CHILD_DEPTH: usize = 3;

/// How a run of children ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Close {
    /// At the end tag of the enclosing element.
    EndTag,
    /// At the end of the input (an `xmlDetail` fragment).
    Eof,
}

/// One step of reading an element's content.
enum Item<'a> {
    Element {
        tag: BytesStart<'a>,
        empty: bool,
        start: usize,
    },
    /// The end tag of the enclosing element (or the end of a fragment); `end` is the offset
    /// just past it.
    End { end: usize },
}

/// Character data between two child elements: where it lies in the input and, when wanted,
/// its unescaped value.
#[derive(Default)]
struct TextRun {
    span: Option<(usize, usize)>,
    only_whitespace: bool,
    unescaped: String,
}

impl TextRun {
    fn extend(&mut self, start: usize, end: usize, whitespace: bool) {
        match &mut self.span {
            Some((_, run_end)) => *run_end = end,
            None => {
                self.span = Some((start, end));
                self.only_whitespace = true;
            }
        }
        self.only_whitespace &= whitespace;
    }
}

struct Parser<'a> {
    text: &'a str,
    reader: Reader<&'a [u8]>,
    limits: &'a Limits,
    part: Part,
    /// Added to every offset so errors count from the caller's first byte (a skipped BOM).
    base_offset: usize,
    /// Bytes at the start of `text` that quick-xml skipped (a byte order mark), added to its
    /// positions so they index `text`.
    reader_origin: usize,
    /// Namespace prefixes declared in the current child of `<detail>`, as (depth, prefix). A
    /// prefix must be declared inside the detail child that uses it: that child is copied out
    /// verbatim, away from any declaration on `<event>` or `<detail>`, and must stay
    /// namespace-well-formed for the namespace-aware parsers of TAK clients and servers.
    prefixes: Vec<(usize, String)>,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, limits: &'a Limits, part: Part, base_offset: usize) -> Self {
        let mut reader = Reader::from_str(text);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
        // quick-xml drops a leading byte order mark without counting it in its positions.
        let reader_origin = if text.starts_with('\u{feff}') {
            '\u{feff}'.len_utf8()
        } else {
            0
        };
        Parser {
            text,
            reader,
            limits,
            part,
            base_offset,
            reader_origin,
            prefixes: Vec::new(),
        }
    }

    fn error(&self, offset: usize, kind: DecodeErrorKind) -> DecodeError {
        DecodeError::new(self.part, self.base_offset + offset, kind)
    }

    fn position(&self) -> usize {
        self.reader_origin + self.reader.buffer_position() as usize
    }

    /// Reads the next event and its start offset. Rejects a DTD and unknown entities here, so
    /// no caller can forget to.
    fn read(&mut self) -> Result<(usize, XmlEvent<'a>), DecodeError> {
        let start = self.position();
        let event = self.reader.read_event().map_err(|error| {
            let offset = self.reader_origin + self.reader.error_position() as usize;
            self.error(offset, xml_error_kind(&error))
        })?;
        match &event {
            XmlEvent::DocType(_) => return Err(self.error(start, Kind::DtdNotAllowed)),
            XmlEvent::GeneralRef(reference) => {
                let known = if reference.is_char_ref() {
                    match reference.resolve_char_ref() {
                        Ok(Some(ch)) if is_xml_char(ch) => true,
                        Ok(Some(_)) => return Err(self.error(start, Kind::IllegalCharacter)),
                        _ => false,
                    }
                } else {
                    quick_xml::escape::resolve_predefined_entity(reference).is_some()
                };
                if !known {
                    return Err(self.error(start, Kind::UnknownEntity(reference.to_string())));
                }
            }
            _ => {}
        }
        Ok((start, event))
    }

    /// Calls `each` with every attribute (name, unescaped value) of `tag`, the start tag of an
    /// element at `depth`, checking syntax, duplicates, entities, the attribute count and, in
    /// `<detail>`, namespace prefixes.
    fn attributes(
        &mut self,
        tag: &BytesStart<'a>,
        start: usize,
        depth: usize,
        mut each: impl FnMut(&str, Cow<'_, str>),
    ) -> Result<(), DecodeError> {
        let in_detail = depth >= DETAIL_CHILD_DEPTH;
        if in_detail {
            // Every element at `depth` or deeper seen before this one has been closed.
            self.prefixes
                .retain(|(declared_at, _)| *declared_at < depth);
        }
        let mut used_prefixes: Vec<String> = Vec::new();
        for (index, attribute) in tag.attributes().enumerate() {
            if index >= self.limits.max_attributes {
                return Err(self.error(
                    start,
                    Kind::TooManyAttributes {
                        max: self.limits.max_attributes,
                    },
                ));
            }
            let attribute =
                attribute.map_err(|error| self.error(start, Kind::Xml(error.to_string())))?;
            let value = attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|error| self.error(start, xml_error_kind(&error)))?;
            // Character references may name characters XML does not allow.
            if matches!(value, Cow::Owned(_)) && first_illegal_char(&value).is_some() {
                return Err(self.error(start, Kind::IllegalCharacter));
            }
            let key = attribute.key.as_ref();
            if in_detail {
                if let Some(prefix) = key.strip_prefix("xmlns:") {
                    self.prefixes.push((depth, prefix.to_owned()));
                } else if let Some((prefix, _)) = key.split_once(':') {
                    used_prefixes.push(prefix.to_owned());
                }
            }
            each(key, value);
        }
        if in_detail {
            let element_prefix = tag
                .name()
                .0
                .split_once(':')
                .map(|(prefix, _)| prefix.to_owned());
            for prefix in used_prefixes.into_iter().chain(element_prefix) {
                let bound = prefix == "xml"
                    || self
                        .prefixes
                        .iter()
                        .any(|(_, declared)| *declared == prefix);
                if !bound {
                    return Err(self.error(start, Kind::UnboundPrefix(prefix)));
                }
            }
        }
        Ok(())
    }

    fn check_depth(&self, depth: usize, start: usize) -> Result<(), DecodeError> {
        if depth > self.limits.max_depth {
            Err(self.error(
                start,
                Kind::TooDeep {
                    max: self.limits.max_depth,
                },
            ))
        } else {
            Ok(())
        }
    }

    /// Makes a verbatim piece from `start..end` of the input.
    fn raw(&self, start: usize, end: usize, name_len: usize) -> Result<RawXml, DecodeError> {
        let xml = self.text.get(start..end).ok_or_else(|| {
            self.error(
                start,
                Kind::Xml("element boundaries are not on characters".into()),
            )
        })?;
        if let Some(at) = memchr::memmem::find(xml.as_bytes(), b"</event") {
            return Err(self.error(start + at, Kind::EmbeddedEventEnd));
        }
        Ok(RawXml::new_unchecked(xml.to_owned(), name_len))
    }

    /// Consumes the rest of the element opened by `tag` (at `depth`), checking everything in
    /// it, and returns the offset just past its end.
    fn skip_element(
        &mut self,
        tag: &BytesStart<'a>,
        empty: bool,
        start: usize,
        depth: usize,
    ) -> Result<usize, DecodeError> {
        self.check_depth(depth, start)?;
        self.attributes(tag, start, depth, |_, _| {})?;
        if empty {
            return Ok(self.position());
        }
        let mut open = 1usize;
        loop {
            let (at, event) = self.read()?;
            match event {
                XmlEvent::Start(inner) => {
                    self.check_depth(depth + open, at)?;
                    self.attributes(&inner, at, depth + open, |_, _| {})?;
                    open += 1;
                }
                XmlEvent::Empty(inner) => {
                    self.check_depth(depth + open, at)?;
                    self.attributes(&inner, at, depth + open, |_, _| {})?;
                }
                XmlEvent::End(_) => {
                    open -= 1;
                    if open == 0 {
                        return Ok(self.position());
                    }
                }
                XmlEvent::Eof => {
                    return Err(self.error(at, Kind::Xml("input ends inside an element".into())));
                }
                _ => {}
            }
        }
    }

    /// Reads content up to the next child element or the end of the enclosing element,
    /// collecting character data into `run` (unescaped too when `want_text`).
    fn next_item(
        &mut self,
        run: &mut TextRun,
        want_text: bool,
        close: Close,
    ) -> Result<Item<'a>, DecodeError> {
        loop {
            let (start, event) = self.read()?;
            let end = self.position();
            match event {
                XmlEvent::Start(tag) => {
                    return Ok(Item::Element {
                        tag,
                        empty: false,
                        start,
                    });
                }
                XmlEvent::Empty(tag) => {
                    return Ok(Item::Element {
                        tag,
                        empty: true,
                        start,
                    });
                }
                XmlEvent::End(_) if close == Close::EndTag => return Ok(Item::End { end }),
                XmlEvent::Eof if close == Close::Eof => return Ok(Item::End { end }),
                XmlEvent::End(_) => {
                    return Err(self.error(start, Kind::Xml("end tag without a start tag".into())));
                }
                XmlEvent::Eof => {
                    return Err(self.error(start, Kind::Xml("input ends inside an element".into())));
                }
                XmlEvent::Text(text) => {
                    let whitespace = text.bytes().all(|byte| byte.is_ascii_whitespace());
                    run.extend(start, end, whitespace);
                    if want_text {
                        run.unescaped.push_str(&text.xml10_content());
                    }
                }
                XmlEvent::CData(data) => {
                    run.extend(start, end, false);
                    if want_text {
                        run.unescaped.push_str(&data.xml10_content());
                    }
                }
                XmlEvent::GeneralRef(reference) => {
                    run.extend(start, end, false);
                    if want_text {
                        match reference.resolve_char_ref() {
                            Ok(Some(ch)) => run.unescaped.push(ch),
                            _ => run.unescaped.push_str(
                                quick_xml::escape::resolve_predefined_entity(&reference)
                                    .unwrap_or_default(),
                            ),
                        }
                    }
                }
                XmlEvent::Decl(_) => {
                    return Err(
                        self.error(start, Kind::Xml("XML declaration inside content".into()))
                    );
                }
                // Comments and processing instructions carry no CoT data.
                XmlEvent::Comment(_) | XmlEvent::PI(_) | XmlEvent::DocType(_) => {}
            }
        }
    }

    /// Moves non-whitespace character data collected in `run` into `out` as a verbatim piece.
    fn flush_text(&self, run: &mut TextRun, out: &mut Vec<RawXml>) -> Result<(), DecodeError> {
        if let Some((start, end)) = run.span.take()
            && !run.only_whitespace
        {
            out.push(self.raw(start, end, 0)?);
        }
        run.unescaped.clear();
        Ok(())
    }

    /// Reads the content of an element whose children we do not model: every child element
    /// and non-whitespace text goes to `children` verbatim. Returns the end offset.
    fn opaque_content(
        &mut self,
        depth: usize,
        children: &mut Vec<RawXml>,
    ) -> Result<usize, DecodeError> {
        let mut run = TextRun::default();
        loop {
            match self.next_item(&mut run, false, Close::EndTag)? {
                Item::End { end } => {
                    self.flush_text(&mut run, children)?;
                    return Ok(end);
                }
                Item::Element { tag, empty, start } => {
                    self.flush_text(&mut run, children)?;
                    let end = self.skip_element(&tag, empty, start, depth + 1)?;
                    children.push(self.raw(start, end, tag.name().as_ref().len())?);
                }
            }
        }
    }

    /// Reads the prolog (declaration, comments, processing instructions, whitespace) and
    /// returns the root element's start tag, whether it is empty, and its offset.
    fn root(&mut self) -> Result<(BytesStart<'a>, bool, usize), DecodeError> {
        loop {
            let (start, item) = self.read()?;
            match item {
                XmlEvent::Decl(_) | XmlEvent::PI(_) | XmlEvent::Comment(_) => {}
                XmlEvent::Text(text) if text.bytes().all(|byte| byte.is_ascii_whitespace()) => {}
                XmlEvent::Text(_) | XmlEvent::CData(_) | XmlEvent::GeneralRef(_) => {
                    return Err(self.error(start, Kind::StrayText));
                }
                XmlEvent::Start(tag) => return Ok((tag, false, start)),
                XmlEvent::Empty(tag) => return Ok((tag, true, start)),
                XmlEvent::End(_) => {
                    return Err(self.error(start, Kind::Xml("end tag without a start tag".into())));
                }
                XmlEvent::Eof => return Err(self.error(start, Kind::NoEvent)),
                XmlEvent::DocType(_) => return Err(self.error(start, Kind::DtdNotAllowed)),
            }
        }
    }

    /// Checks that nothing but comments, processing instructions and whitespace follows the
    /// root element.
    fn trailing(&mut self) -> Result<(), DecodeError> {
        loop {
            let (start, item) = self.read()?;
            match item {
                XmlEvent::Eof => return Ok(()),
                XmlEvent::PI(_) | XmlEvent::Comment(_) => {}
                XmlEvent::Text(text) if text.bytes().all(|byte| byte.is_ascii_whitespace()) => {}
                _ => return Err(self.error(start, Kind::TrailingContent)),
            }
        }
    }

    fn event(&mut self, tag: &BytesStart<'a>, start: usize) -> Result<Event, DecodeError> {
        let mut event = Event::default();
        let mut times: [Option<String>; 3] = [None, None, None];
        let (mut has_uid, mut has_type) = (false, false);
        self.attributes(tag, start, 1, |key, value| {
            let value = non_empty(value);
            match key {
                "uid" => {
                    has_uid = true;
                    event.uid = value.unwrap_or_default();
                }
                "type" => {
                    has_type = true;
                    event.event_type = value.unwrap_or_default();
                }
                "how" => event.how = value.unwrap_or_default(),
                "time" => times[0] = Some(value.unwrap_or_default()),
                "start" => times[1] = Some(value.unwrap_or_default()),
                "stale" => times[2] = Some(value.unwrap_or_default()),
                "qos" => event.qos = value,
                "access" => event.marking.access = value.filter(|access| access != "Undefined"),
                "caveat" => event.marking.caveat = value,
                "releaseableTo" => event.marking.releaseable_to = value,
                "opex" => event.marking.opex = value,
                // `version` is always 2.0 in practice and has no protobuf field; other
                // attributes on <event> have no meaning in CoT.
                _ => {}
            }
        })?;
        if event.how.is_empty() {
            event.how = HOW_UNKNOWN.to_owned();
        }
        if !has_uid {
            return Err(self.error(
                start,
                Kind::MissingAttribute {
                    element: "event",
                    attribute: "uid",
                },
            ));
        }
        if !has_type {
            return Err(self.error(
                start,
                Kind::MissingAttribute {
                    element: "event",
                    attribute: "type",
                },
            ));
        }
        let [time, start_time, stale] = times;
        event.time = self.time_attribute(time, "time", start)?;
        event.start = self.time_attribute(start_time, "start", start)?;
        event.stale = self.time_attribute(stale, "stale", start)?;

        let mut point_at = None;
        let mut has_detail = false;
        let mut run = TextRun::default();
        loop {
            match self.next_item(&mut run, false, Close::EndTag)? {
                Item::End { .. } => break,
                Item::Element {
                    tag,
                    empty,
                    start: child_start,
                } => match tag.name().as_ref() {
                    "point" => {
                        if point_at.is_some() {
                            return Err(self.error(child_start, Kind::DuplicateElement("point")));
                        }
                        event.point = self.point(&tag, child_start)?;
                        point_at = Some(child_start);
                        if !empty {
                            // <point> has no defined children; check and drop any.
                            self.opaque_content(2, &mut Vec::new())?;
                        }
                    }
                    "detail" => {
                        if has_detail {
                            return Err(self.error(child_start, Kind::DuplicateElement("detail")));
                        }
                        has_detail = true;
                        self.attributes(&tag, child_start, 2, |_, _| {})?;
                        if !empty {
                            self.detail_children(2, &mut event.detail, true, Close::EndTag)?;
                        }
                    }
                    // Other children of <event> have no meaning in CoT: checked, then dropped.
                    _ => {
                        self.skip_element(&tag, empty, child_start, 2)?;
                    }
                },
            }
            // Character data directly in <event> is dropped.
            run = TextRun::default();
        }
        let Some(point_at) = point_at else {
            return Err(self.error(start, Kind::MissingPoint));
        };
        if let Err((field, reason)) = event.check() {
            let (element, at, value) = match field {
                "uid" => ("event", start, event.uid.clone()),
                "type" => ("event", start, event.event_type.clone()),
                "lat" => ("point", point_at, event.point.lat_deg.to_string()),
                "lon" => ("point", point_at, event.point.lon_deg.to_string()),
                "hae" => ("point", point_at, event.point.hae_m.to_string()),
                "ce" => ("point", point_at, event.point.ce_m.to_string()),
                _ => ("point", point_at, event.point.le_m.to_string()),
            };
            return Err(self.error(
                at,
                Kind::InvalidAttribute {
                    element,
                    attribute: field,
                    value,
                    reason,
                },
            ));
        }
        Ok(event)
    }

    fn time_attribute(
        &self,
        text: Option<String>,
        attribute: &'static str,
        start: usize,
    ) -> Result<CotTime, DecodeError> {
        let text = text.ok_or_else(|| {
            self.error(
                start,
                Kind::MissingAttribute {
                    element: "event",
                    attribute,
                },
            )
        })?;
        CotTime::parse(text.trim()).map_err(|error| {
            let reason = match error {
                crate::time::TimeError::Syntax => "is not an xs:dateTime",
                crate::time::TimeError::OutOfRange => "is not a valid time between 1970 and 9999",
            };
            self.error(
                start,
                Kind::InvalidAttribute {
                    element: "event",
                    attribute,
                    value: text,
                    reason,
                },
            )
        })
    }

    fn point(&mut self, tag: &BytesStart<'a>, start: usize) -> Result<Point, DecodeError> {
        let mut values: [Option<String>; 5] = Default::default();
        self.attributes(tag, start, 2, |key, value| {
            let slot = match key {
                "lat" => 0,
                "lon" => 1,
                "hae" => 2,
                "ce" => 3,
                "le" => 4,
                _ => return,
            };
            if let Some(entry) = values.get_mut(slot) {
                *entry = Some(value.into_owned());
            }
        })?;
        let names = ["lat", "lon", "hae", "ce", "le"];
        let mut numbers = [Point::UNKNOWN; 5];
        for ((slot, value), name) in numbers.iter_mut().zip(values).zip(names) {
            match value {
                Some(text) => {
                    *slot = parse_f64(&text).ok_or_else(|| {
                        self.error(
                            start,
                            Kind::InvalidAttribute {
                                element: "point",
                                attribute: name,
                                value: text.clone(),
                                reason: "is not a number",
                            },
                        )
                    })?;
                }
                // Latitude and longitude have no default; height and errors default to unknown.
                None if name == "lat" || name == "lon" => {
                    return Err(self.error(
                        start,
                        Kind::MissingAttribute {
                            element: "point",
                            attribute: name,
                        },
                    ));
                }
                None => {}
            }
        }
        let [lat_deg, lon_deg, hae_m, ce_m, le_m] = numbers;
        Ok(Point {
            lat_deg,
            lon_deg,
            hae_m,
            ce_m,
            le_m,
        })
    }

    /// Reads the children of `<detail>` (at `parent_depth + 1`) into `detail`. With `typed`
    /// false every child is kept verbatim.
    fn detail_children(
        &mut self,
        parent_depth: usize,
        detail: &mut Detail,
        typed: bool,
        close: Close,
    ) -> Result<(), DecodeError> {
        let depth = parent_depth + 1;
        let mut run = TextRun::default();
        // In a fragment a leading U+FEFF is character data, which quick-xml skipped as a byte
        // order mark: it starts the first run of text.
        if close == Close::Eof && self.reader_origin > 0 {
            run.extend(0, self.reader_origin, false);
        }
        loop {
            let (tag, empty, start) = match self.next_item(&mut run, false, close)? {
                Item::End { .. } => return self.flush_text(&mut run, &mut detail.unknown),
                Item::Element { tag, empty, start } => (tag, empty, start),
            };
            self.flush_text(&mut run, &mut detail.unknown)?;
            self.check_depth(depth, start)?;
            let name = tag.name().0;
            let element = Element {
                tag: &tag,
                empty,
                start,
                depth,
            };
            let parsed = match name {
                "contact" if typed && detail.contact.is_none() => self
                    .contact(element)?
                    .map(|value| detail.contact = Some(value)),
                "__group" if typed && detail.group.is_none() => {
                    self.group(element)?.map(|value| detail.group = Some(value))
                }
                "precisionlocation" if typed && detail.precision_location.is_none() => self
                    .precision_location(element)?
                    .map(|value| detail.precision_location = Some(value)),
                "status" if typed && detail.status.is_none() => self
                    .status(element)?
                    .map(|value| detail.status = Some(value)),
                "takv" if typed && detail.takv.is_none() => {
                    self.takv(element)?.map(|value| detail.takv = Some(value))
                }
                "track" if typed && detail.track.is_none() => {
                    self.track(element)?.map(|value| detail.track = Some(value))
                }
                "__chat" if typed && detail.chat.is_none() => {
                    self.chat(element)?.map(|value| detail.chat = Some(value))
                }
                "link" if typed => self.link(element)?.map(|value| detail.links.push(value)),
                "remarks" if typed && detail.remarks.is_none() => self
                    .remarks(element)?
                    .map(|value| detail.remarks = Some(value)),
                "marti" if typed && detail.marti.is_none() => {
                    self.marti(element)?.map(|value| detail.marti = Some(value))
                }
                _ => Err(self.skip_element(&tag, empty, start, depth)?),
            };
            // A typed element that cannot be represented exactly is kept whole, verbatim.
            if let Err(end) = parsed {
                detail.unknown.push(self.raw(start, end, name.len())?);
            }
        }
    }
}

/// A child element being parsed: its start tag and where it is.
#[derive(Clone, Copy)]
struct Element<'t, 'a> {
    tag: &'t BytesStart<'a>,
    empty: bool,
    start: usize,
    depth: usize,
}

/// A typed element parser's result: `Ok(value)` or, when the element cannot be represented
/// exactly by the typed value, `Err(end offset)` so the caller keeps it verbatim.
type Typed<T> = Result<Result<T, usize>, DecodeError>;

/// Builds a typed detail element from its attributes; an element with unmodelled children
/// keeps them in `extra.children`.
macro_rules! simple_element {
    ($method:ident, $type:ident, { $($attr:literal => $field:ident),* $(,)? }) => {
        fn $method(&mut self, element: Element<'_, 'a>) -> Typed<$type> {
            let mut value = $type::default();
            self.attributes(element.tag, element.start, element.depth, |key, text| match key {
                $($attr => value.$field = Some(text.into_owned()),)*
                _ => value.extra.attributes.push((key.to_owned(), text.into_owned())),
            })?;
            if !element.empty {
                self.opaque_content(element.depth, &mut value.extra.children)?;
            }
            Ok(Ok(value))
        }
    };
}

impl<'a> Parser<'a> {
    simple_element!(contact, Contact, { "callsign" => callsign, "endpoint" => endpoint });
    simple_element!(group, Group, { "name" => name, "role" => role });
    simple_element!(precision_location, PrecisionLocation, {
        "geopointsrc" => geopointsrc,
        "altsrc" => altsrc,
    });
    simple_element!(takv, Takv, {
        "device" => device,
        "platform" => platform,
        "os" => os,
        "version" => version,
    });
    simple_element!(link, Link, { "uid" => uid, "type" => link_type, "relation" => relation });

    /// Consumes the rest of an element that cannot be represented exactly (it will be kept
    /// verbatim) and returns its end offset.
    fn fallback(&mut self, element: Element<'_, 'a>) -> Result<usize, DecodeError> {
        if element.empty {
            Ok(self.position())
        } else {
            self.opaque_content(element.depth, &mut Vec::new())
        }
    }

    fn status(&mut self, element: Element<'_, 'a>) -> Typed<Status> {
        let mut value = Status::default();
        let mut exact = true;
        self.attributes(
            element.tag,
            element.start,
            element.depth,
            |key, text| match key {
                "battery" => match text.trim().parse::<u32>() {
                    Ok(battery) => value.battery = Some(battery),
                    Err(_) => exact = false,
                },
                _ => value
                    .extra
                    .attributes
                    .push((key.to_owned(), text.into_owned())),
            },
        )?;
        if !exact {
            return Ok(Err(self.fallback(element)?));
        }
        if !element.empty {
            self.opaque_content(element.depth, &mut value.extra.children)?;
        }
        Ok(Ok(value))
    }

    fn track(&mut self, element: Element<'_, 'a>) -> Typed<Track> {
        let mut value = Track::default();
        let mut exact = true;
        self.attributes(element.tag, element.start, element.depth, |key, text| {
            let slot = match key {
                "course" => &mut value.course_deg,
                "speed" => &mut value.speed_mps,
                _ => {
                    value
                        .extra
                        .attributes
                        .push((key.to_owned(), text.into_owned()));
                    return;
                }
            };
            match parse_f64(&text) {
                Some(number) => *slot = Some(number),
                None => exact = false,
            }
        })?;
        if !exact {
            return Ok(Err(self.fallback(element)?));
        }
        if !element.empty {
            self.opaque_content(element.depth, &mut value.extra.children)?;
        }
        Ok(Ok(value))
    }

    fn remarks(&mut self, element: Element<'_, 'a>) -> Typed<Remarks> {
        let mut value = Remarks::default();
        self.attributes(
            element.tag,
            element.start,
            element.depth,
            |key, text| match key {
                "source" => value.source = Some(text.into_owned()),
                "to" => value.to = Some(text.into_owned()),
                "time" => value.time = Some(text.into_owned()),
                _ => value
                    .extra
                    .attributes
                    .push((key.to_owned(), text.into_owned())),
            },
        )?;
        if element.empty {
            return Ok(Ok(value));
        }
        let mut run = TextRun::default();
        match self.next_item(&mut run, true, Close::EndTag)? {
            Item::End { .. } => {
                value.text = std::mem::take(&mut run.unescaped);
                Ok(Ok(value))
            }
            // Mixed content: the text alone would not say everything, keep it all verbatim.
            Item::Element { tag, empty, start } => {
                self.skip_element(&tag, empty, start, element.depth + 1)?;
                let end = self.opaque_content(element.depth, &mut Vec::new())?;
                Ok(Err(end))
            }
        }
    }

    fn chat(&mut self, element: Element<'_, 'a>) -> Typed<Chat> {
        let mut value = Chat::default();
        self.attributes(element.tag, element.start, element.depth, |key, text| {
            let slot = match key {
                "parent" => &mut value.parent,
                "groupOwner" => &mut value.group_owner,
                "messageId" => &mut value.message_id,
                "chatroom" => &mut value.chatroom,
                "id" => &mut value.id,
                "senderCallsign" => &mut value.sender_callsign,
                _ => {
                    value
                        .extra
                        .attributes
                        .push((key.to_owned(), text.into_owned()));
                    return;
                }
            };
            *slot = Some(text.into_owned());
        })?;
        if element.empty {
            return Ok(Ok(value));
        }
        let mut run = TextRun::default();
        loop {
            match self.next_item(&mut run, false, Close::EndTag)? {
                Item::End { .. } => {
                    self.flush_text(&mut run, &mut value.extra.children)?;
                    return Ok(Ok(value));
                }
                Item::Element { tag, empty, start } => {
                    self.flush_text(&mut run, &mut value.extra.children)?;
                    let depth = element.depth + 1;
                    self.check_depth(depth, start)?;
                    let child = Element {
                        tag: &tag,
                        empty,
                        start,
                        depth,
                    };
                    let parsed = if tag.name().as_ref() == "chatgrp" && value.chat_group.is_none() {
                        self.chat_group(child)?
                            .map(|group| value.chat_group = Some(group))
                    } else {
                        Err(self.skip_element(&tag, empty, start, depth)?)
                    };
                    if let Err(end) = parsed {
                        value.extra.children.push(self.raw(
                            start,
                            end,
                            tag.name().as_ref().len(),
                        )?);
                    }
                }
            }
        }
    }

    fn chat_group(&mut self, element: Element<'_, 'a>) -> Typed<ChatGroup> {
        let mut value = ChatGroup::default();
        self.attributes(element.tag, element.start, element.depth, |key, text| {
            if key == "id" {
                value.id = Some(text.into_owned());
            } else if key
                .strip_prefix("uid")
                .and_then(|index| index.parse::<usize>().ok())
                == Some(value.uids.len())
                && key.len() == 3 + decimal_len(value.uids.len())
            {
                value.uids.push(text.into_owned());
            } else {
                value
                    .extra
                    .attributes
                    .push((key.to_owned(), text.into_owned()));
            }
        })?;
        if !element.empty {
            self.opaque_content(element.depth, &mut value.extra.children)?;
        }
        Ok(Ok(value))
    }

    fn marti(&mut self, element: Element<'_, 'a>) -> Typed<Marti> {
        let mut value = Marti::default();
        self.attributes(element.tag, element.start, element.depth, |key, text| {
            value
                .extra
                .attributes
                .push((key.to_owned(), text.into_owned()));
        })?;
        if element.empty {
            return Ok(Ok(value));
        }
        let mut run = TextRun::default();
        loop {
            match self.next_item(&mut run, false, Close::EndTag)? {
                Item::End { .. } => {
                    self.flush_text(&mut run, &mut value.extra.children)?;
                    return Ok(Ok(value));
                }
                Item::Element { tag, empty, start } => {
                    self.flush_text(&mut run, &mut value.extra.children)?;
                    let depth = element.depth + 1;
                    self.check_depth(depth, start)?;
                    if tag.name().as_ref() == "dest" {
                        let mut dest = Dest::default();
                        self.attributes(&tag, start, depth, |key, text| match key {
                            "callsign" => dest.callsign = Some(text.into_owned()),
                            "uid" => dest.uid = Some(text.into_owned()),
                            "mission" => dest.mission = Some(text.into_owned()),
                            _ => dest
                                .extra
                                .attributes
                                .push((key.to_owned(), text.into_owned())),
                        })?;
                        if !empty {
                            self.opaque_content(depth, &mut dest.extra.children)?;
                        }
                        value.dests.push(dest);
                    } else {
                        let end = self.skip_element(&tag, empty, start, depth)?;
                        value.extra.children.push(self.raw(
                            start,
                            end,
                            tag.name().as_ref().len(),
                        )?);
                    }
                }
            }
        }
    }
}

/// True for a character XML 1.0 allows in a document (the `Char` production).
fn is_xml_char(ch: char) -> bool {
    matches!(ch, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// Byte offset of the first character XML 1.0 does not allow (a control character other than
/// tab, line feed and carriage return, or U+FFFE / U+FFFF), if any. Checked on the raw input,
/// so every string an event holds can be written to XML unchanged. It runs on every byte
/// received, so it looks at eight bytes at a time and only examines a word that holds a byte
/// below 0x20.
pub(crate) fn first_illegal_char(text: &str) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let bytes = text.as_bytes();
    let is_illegal_control = |byte: u8| byte < 0x20 && !matches!(byte, b'\t' | b'\n' | b'\r');
    let mut control = None;
    let mut words = bytes.chunks_exact(8);
    for (index, word) in words.by_ref().enumerate() {
        let Ok(word_bytes) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let value = u64::from_le_bytes(word_bytes);
        // Sets the high bit of each byte below 0x20 (exact for bytes below 0x80).
        if value.wrapping_sub(ONES * 0x20) & !value & HIGH_BITS != 0
            && let Some(offset) = word.iter().position(|&byte| is_illegal_control(byte))
        {
            control = Some(index * 8 + offset);
            break;
        }
    }
    if control.is_none() {
        let tail_start = bytes.len() - words.remainder().len();
        control = words
            .remainder()
            .iter()
            .position(|&byte| is_illegal_control(byte))
            .map(|offset| tail_start + offset);
    }
    // U+FFFE and U+FFFF are EF BF BE and EF BF BF in UTF-8.
    let noncharacter = memchr::memchr_iter(0xef, bytes).find(|&at| {
        bytes.get(at + 1) == Some(&0xbf) && matches!(bytes.get(at + 2), Some(0xbe | 0xbf))
    });
    match (control, noncharacter) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn decimal_len(mut value: usize) -> usize {
    let mut len = 1;
    while value >= 10 {
        value /= 10;
        len += 1;
    }
    len
}

fn non_empty(value: Cow<'_, str>) -> Option<String> {
    if value.is_empty() {
        None
    } else {
        Some(value.into_owned())
    }
}

/// Parses an `xs:double`: surrounding whitespace allowed, `INF`/`-INF`/`NaN` as XML Schema
/// spells them (and whatever else Rust's parser takes). `-0` reads as `0`: protobuf cannot
/// carry the sign of a zero, so the model never holds one.
pub(crate) fn parse_f64(text: &str) -> Option<f64> {
    let text = text.trim();
    let value = match text {
        "INF" | "+INF" => f64::INFINITY,
        "-INF" => f64::NEG_INFINITY,
        _ => text.parse::<f64>().ok()?,
    };
    Some(value + 0.0)
}

fn xml_error_kind(error: &quick_xml::Error) -> DecodeErrorKind {
    match error {
        quick_xml::Error::Escape(quick_xml::escape::EscapeError::UnrecognizedEntity(_, name)) => {
            Kind::UnknownEntity(name.clone())
        }
        other => Kind::Xml(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fragment(text: &str) -> Vec<String> {
        RawXml::parse_fragment(text, &Limits::default())
            .unwrap()
            .iter()
            .map(|raw| raw.as_str().to_owned())
            .collect()
    }

    #[test]
    fn a_leading_byte_order_mark_in_a_fragment_is_kept_as_text() {
        // quick-xml skips it as a BOM; found by the cot_proto fuzz target.
        assert_eq!(fragment("\u{feff}x<a/>"), ["\u{feff}x", "<a/>"]);
        assert_eq!(
            fragment("\u{feff}<a b=\"1\"/><c/>"),
            ["\u{feff}", "<a b=\"1\"/>", "<c/>"]
        );
    }

    #[test]
    fn namespace_prefixes_must_be_declared_inside_the_detail_child() {
        assert_eq!(
            fragment("<x:a xmlns:x=\"u\"><x:b x:c=\"1\"/></x:a>").len(),
            1
        );
        assert_eq!(fragment("<a xml:lang=\"fr\"/>").len(), 1);
        let error =
            RawXml::parse_fragment("<x:a xmlns:x=\"u\"/><x:b/>", &Limits::default()).unwrap_err();
        assert_eq!(error.kind, DecodeErrorKind::UnboundPrefix("x".into()));
        assert_eq!(error.offset, 18);
        let error = RawXml::parse_fragment("<a y:z=\"1\"/>", &Limits::default()).unwrap_err();
        assert_eq!(error.kind, DecodeErrorKind::UnboundPrefix("y".into()));
    }

    #[test]
    fn typed_elements_that_do_not_fit_are_kept_whole() {
        let detail = decode_detail_fragment(
            "<status battery=\"n/a\"/><track course=\"1\" speed=\"x\"><c/></track><remarks>a<b/>c</remarks>",
            &Limits::default(),
        )
        .unwrap();
        assert!(detail.status.is_none() && detail.track.is_none() && detail.remarks.is_none());
        let names: Vec<_> = detail
            .unknown
            .iter()
            .map(|raw| raw.name().unwrap())
            .collect();
        assert_eq!(names, ["status", "track", "remarks"]);
        assert_eq!(
            detail.unknown[1].as_str(),
            "<track course=\"1\" speed=\"x\"><c/></track>"
        );
    }

    #[test]
    fn chat_group_uids_are_a_gap_free_run() {
        let detail = decode_detail_fragment(
            "<__chat><chatgrp uid0=\"a\" uid1=\"b\" uid3=\"d\" uid01=\"x\" id=\"r\"/></__chat>",
            &Limits::default(),
        )
        .unwrap();
        let group = detail.chat.unwrap().chat_group.unwrap();
        assert_eq!(group.uids, ["a", "b"]);
        assert_eq!(group.id.as_deref(), Some("r"));
        let extra: Vec<_> = group
            .extra
            .attributes
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        assert_eq!(extra, ["uid3", "uid01"]);
    }

    #[test]
    fn illegal_characters_are_found_by_offset() {
        assert_eq!(first_illegal_char("ok\t\n\r é"), None);
        assert_eq!(first_illegal_char("ab\u{1}"), Some(2));
        assert_eq!(first_illegal_char("é\u{fffe}"), Some(2));
        assert_eq!(first_illegal_char("\u{ffff}"), Some(0));
        assert_eq!(first_illegal_char("\u{fffd}\u{10000}"), None);
        assert_eq!(first_illegal_char("0123456789abcdef\u{1f}"), Some(16));
        assert_eq!(first_illegal_char("01234567\u{1f}\u{fffe}"), Some(8));
    }

    proptest::proptest! {
        /// The word-at-a-time scan finds exactly what a byte-by-byte scan finds.
        #[test]
        fn illegal_char_scan_matches_the_naive_scan(text in "([\\x00-\\x1f]|[ -~]|[ -~]|[\u{80}-\u{10ffff}]|\u{fffe}|\u{ffff}|\u{fffd}){0,64}") {
            let naive = text
                .char_indices()
                .find(|(_, ch)| !is_xml_char(*ch))
                .map(|(at, _)| at);
            proptest::prop_assert_eq!(first_illegal_char(&text), naive);
        }
    }
}
