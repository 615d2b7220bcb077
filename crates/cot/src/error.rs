//! Errors of the single-event decoders: where (which part of the input, at which byte) and what.
//!
//! Shown as `xml offset 412: <point> attribute lat: "91.5" is out of range -90..=90`. Errors are
//! values, never panics; the stream decoder wraps them in [`crate::StreamError`] with the
//! position in the connection's byte stream.

use std::fmt;

/// Which part of the input an offset counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// A CoT XML document (offset from its first byte).
    Xml,
    /// A TAK protocol protobuf payload (offset from the first payload byte, or from the frame
    /// header when the header itself is wrong).
    Protobuf,
    /// The `xmlDetail` string carried inside a protobuf `Detail` (offset into that string).
    XmlDetail,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Xml => "xml",
            Part::Protobuf => "protobuf",
            Part::XmlDetail => "xmlDetail",
        })
    }
}

/// A decode failure: the part of the input, a byte offset into it, and the kind.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{part} offset {offset}: {kind}")]
pub struct DecodeError {
    pub part: Part,
    pub offset: usize,
    pub kind: DecodeErrorKind,
}

impl DecodeError {
    pub(crate) fn new(part: Part, offset: usize, kind: DecodeErrorKind) -> Self {
        Self { part, offset, kind }
    }
}

/// What went wrong. Messages are lower case without a final period.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeErrorKind {
    #[error("event is {len} bytes, more than the limit of {max}")]
    TooLarge { len: usize, max: usize },
    #[error("input is not valid UTF-8")]
    NotUtf8,
    #[error("malformed XML: {0}")]
    Xml(String),
    #[error("a document type declaration (DTD) is not allowed")]
    DtdNotAllowed,
    #[error("a character XML does not allow (control character, U+FFFE or U+FFFF)")]
    IllegalCharacter,
    #[error("entity reference &{0}; is not one of the five predefined XML entities")]
    UnknownEntity(String),
    #[error("no <event> element found")]
    NoEvent,
    #[error("root element is <{0}>, expected <event>")]
    UnexpectedRoot(String),
    #[error("unexpected content after </event>")]
    TrailingContent,
    #[error("text is not allowed outside elements")]
    StrayText,
    #[error("<{element}> has no {attribute} attribute")]
    MissingAttribute {
        element: &'static str,
        attribute: &'static str,
    },
    #[error("<{element}> attribute {attribute}: {value:?} {reason}")]
    InvalidAttribute {
        element: &'static str,
        attribute: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("<event> has no <point> element")]
    MissingPoint,
    #[error("<{0}> has no <{1}> element")]
    MissingElement(&'static str, &'static str),
    #[error("<{0}> appears more than once")]
    DuplicateElement(&'static str),
    #[error("elements nest deeper than the limit of {max}")]
    TooDeep { max: usize },
    #[error("an element has more than the limit of {max} attributes")]
    TooManyAttributes { max: usize },
    #[error("namespace prefix {0:?} is not declared inside the detail element that uses it")]
    UnboundPrefix(String),
    #[error("content contains \"</event\", which TAK clients would take for the end of the event")]
    EmbeddedEventEnd,
    #[error("malformed protobuf: {0}")]
    Protobuf(String),
    #[error("CotEvent field {0} holds a character XML does not allow")]
    IllegalCharacterInField(&'static str),
    #[error("CotEvent field {0} is missing or empty")]
    MissingField(&'static str),
    #[error("CotEvent field {field}: {value} is out of range")]
    FieldOutOfRange { field: &'static str, value: String },
    #[error("TakMessage has no cotEvent")]
    NoCotEvent,
    #[error("expected TAK protocol magic byte 0xbf, got 0x{0:02x}")]
    BadMagic(u8),
    #[error("TAK protocol version {0} is not supported (only version 1)")]
    UnsupportedVersion(u64),
    #[error("frame header length is not a valid varint")]
    BadVarint,
    #[error("input ends inside a frame")]
    Truncated,
}
