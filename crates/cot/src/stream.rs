//! Streaming decoder for one TAK client connection: feed bytes as they arrive, take whole
//! frames or events out.
//!
//! # Framing
//! - **XML** (TAK protocol version 0): `<event>` documents back to back, each optionally
//!   preceded by an XML declaration, with no delimiter; a read may end anywhere. The decoder
//!   follows the markup (comments, CDATA, quoted attribute values, nesting) to find where each
//!   event ends, so `</event>` inside a comment or CDATA does not cut an event short.
//! - **Protobuf** (TAK protocol version 1): `0xbf`, a varint length, the payload. ASCII
//!   whitespace between frames is skipped.
//! - **Detect**: the first non-whitespace byte decides (`<` XML, `0xbf` protobuf). After a
//!   successful `t-x-takp-q`/`t-x-takp-r` exchange, the server calls
//!   [`StreamDecoder::set_framing`] between two frames; bytes already buffered are kept.
//!
//! # Errors and resynchronisation
//! Every problem is a [`StreamError`] value with the stream offset where it was seen; the
//! caller counts it and goes on calling [`StreamDecoder::next_frame`]:
//! - XML garbage, a DTD, a root other than `<event>`, nesting past the limit or an event over
//!   [`Limits::max_event_bytes`]: the decoder discards bytes up to the next `<event` or
//!   `<?xml` and carries on. It never buffers more than one event's limit while doing so.
//! - A protobuf frame over the limit: its length is known, so the decoder skips exactly that
//!   many bytes as they arrive and carries on.
//! - A frame that is delimited correctly but does not decode ([`StreamErrorKind::Decode`]):
//!   that frame is lost, the next one is read.
//! - A protobuf stream that does not start a frame with `0xbf`, or a length that is not a
//!   varint: framing is lost for good. The error is fatal ([`StreamError::is_fatal`]): the
//!   caller must close the connection. After it the decoder yields nothing and drops input.
//!
//! # Memory
//! The buffer holds at most one incomplete frame of at most `max_event_bytes`, plus what the
//! last [`StreamDecoder::feed`] added, as long as the caller drains `next_frame` after each
//! feed. Frames come out as [`Bytes`] split off the buffer without copying.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::DecodeError;
use crate::event::Event;
use crate::framing::{MAGIC, Varint, WireFormat, read_varint};
use crate::limits::Limits;
use crate::proto::decode_tak_message;
use crate::xml::{AuthMessage, decode_auth, decode_xml};

/// How the decoder delimits frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Decide from the first non-whitespace byte: `<` XML, `0xbf` protobuf.
    Detect,
    Xml,
    Protobuf,
}

/// What a frame holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// An `<event>` document, or a protobuf `TakMessage`.
    Event,
    /// A TAK `<auth>` message (XML only), see [`AuthMessage`].
    Auth,
}

/// One delimited frame: an XML document, or a protobuf payload without its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub format: WireFormat,
    pub kind: FrameKind,
    /// Offset of the frame's first byte in the connection's byte stream.
    pub offset: u64,
    pub bytes: Bytes,
}

impl Frame {
    /// Decodes the frame: `Ok(None)` for a protobuf message without an event (a lone
    /// `TakControl`) and for an `<auth>` message (see [`Frame::auth`]).
    pub fn decode(&self, limits: &Limits) -> Result<Option<Event>, DecodeError> {
        if self.kind == FrameKind::Auth {
            return Ok(None);
        }
        match self.format {
            WireFormat::Xml => decode_xml(&self.bytes, limits).map(Some),
            WireFormat::Protobuf => {
                let message = decode_tak_message(&self.bytes, limits)?;
                message
                    .cot_event
                    .map(|cot_event| Event::from_proto(cot_event, limits))
                    .transpose()
            }
        }
    }

    /// The `<auth>` message this frame holds, if it is one.
    pub fn auth(&self, limits: &Limits) -> Option<Result<AuthMessage, DecodeError>> {
        (self.kind == FrameKind::Auth).then(|| decode_auth(&self.bytes, limits))
    }
}

/// A problem in the byte stream of a connection.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("stream offset {offset}: {kind}")]
pub struct StreamError {
    /// Offset in the connection's byte stream where the problem was seen (for a frame that
    /// failed to decode, the frame's first byte).
    pub offset: u64,
    pub kind: StreamErrorKind,
}

impl StreamError {
    /// True when the connection cannot be resynchronised and must be closed.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self.kind,
            StreamErrorKind::BadMagic(_) | StreamErrorKind::BadVarint
        )
    }
}

/// What went wrong in a stream.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StreamErrorKind {
    #[error("unexpected byte 0x{0:02x} where an event should start")]
    Garbage(u8),
    #[error("element other than <event> at the top level")]
    UnexpectedRoot,
    #[error("end tag without a start tag at the top level")]
    StrayEndTag,
    #[error("markup declaration (DTD) or CDATA outside an event")]
    Declaration,
    #[error("elements nest deeper than the limit of {max}")]
    TooDeep { max: usize },
    #[error("event of {} bytes is over the limit of {max}", len.map_or("more".to_owned(), |len| len.to_string()))]
    Oversized { len: Option<u64>, max: usize },
    #[error("frame does not decode: {0}")]
    Decode(DecodeError),
    #[error(
        "expected TAK protocol magic byte 0xbf, got 0x{0:02x}; framing is lost (close the connection)"
    )]
    BadMagic(u8),
    #[error("frame length is not a valid varint; framing is lost (close the connection)")]
    BadVarint,
}

/// Counters for a connection's metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Frames delimited (including ones that later fail to decode).
    pub frames: u64,
    /// Errors returned (each also returned once as a value).
    pub errors: u64,
    /// Bytes thrown away while resynchronising or skipping oversized frames.
    pub bytes_discarded: u64,
    /// Frames without an event (a lone protobuf `TakControl`, an `<auth>` message), skipped
    /// by [`StreamDecoder::next_event`].
    pub messages_without_event: u64,
}

/// Incremental frame decoder for one connection. See the module docs.
#[derive(Debug)]
pub struct StreamDecoder {
    buf: BytesMut,
    /// Stream offset of `buf[0]`.
    buf_offset: u64,
    framing: Framing,
    limits: Limits,
    state: State,
    stats: StreamStats,
}

#[derive(Debug, Clone, PartialEq)]
enum State {
    /// Between frames.
    Idle,
    /// Inside an XML frame that starts at `buf[0]`.
    Xml(XmlScan),
    /// Discarding up to the next `<event` or `<?xml`.
    XmlResync,
    /// Discarding the rest of an oversized protobuf frame.
    ProtoSkip { remaining: u64 },
    /// A fatal error was returned; nothing more comes out.
    Failed,
}

/// Where the scan of an XML frame stands, so each byte is looked at about once however the
/// input is split.
#[derive(Debug, Clone, PartialEq)]
struct XmlScan {
    /// Next byte to look at when no token is pending.
    pos: usize,
    /// Open elements.
    depth: usize,
    /// Where the root start tag (`<event` or `<auth`) begins, once seen.
    root_at: Option<usize>,
    /// What the root is.
    root_kind: FrameKind,
    pending: Pending,
}

#[derive(Debug, Clone, PartialEq)]
enum Pending {
    None,
    /// A token that ends at `terminator` (comment, CDATA, processing instruction, end tag);
    /// `searched_to` is where the search resumes.
    Until {
        lt: usize,
        terminator: &'static [u8],
        searched_to: usize,
        is_end_tag: bool,
    },
    /// A start tag; `quote` is the open quote character (0 when none).
    Tag {
        lt: usize,
        quote: u8,
        searched_to: usize,
    },
}

enum Scan {
    NeedMore,
    Complete(usize),
    Error { at: usize, kind: StreamErrorKind },
}

fn tail(bytes: &[u8], from: usize) -> &[u8] {
    bytes.get(from..).unwrap_or_default()
}

fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

/// Advances `scan` over `buf`; see [`Scan`].
fn scan_xml(buf: &[u8], scan: &mut XmlScan, max_depth: usize) -> Scan {
    loop {
        match scan.pending {
            Pending::Until {
                lt,
                terminator,
                searched_to,
                is_end_tag,
            } => {
                let Some(found) = memchr::memmem::find(tail(buf, searched_to), terminator) else {
                    let resume = buf
                        .len()
                        .saturating_sub(terminator.len() - 1)
                        .max(searched_to);
                    scan.pending = Pending::Until {
                        lt,
                        terminator,
                        searched_to: resume,
                        is_end_tag,
                    };
                    return Scan::NeedMore;
                };
                let end = searched_to + found + terminator.len();
                scan.pending = Pending::None;
                scan.pos = end;
                if is_end_tag {
                    if scan.depth == 0 {
                        return Scan::Error {
                            at: lt,
                            kind: StreamErrorKind::StrayEndTag,
                        };
                    }
                    scan.depth -= 1;
                    if scan.depth == 0 {
                        return Scan::Complete(end);
                    }
                }
            }
            Pending::Tag {
                lt,
                mut quote,
                searched_to,
            } => {
                // Jumps from quote to quote (attribute values may hold `>`) with memchr.
                let mut close_at = None;
                let mut at = searched_to;
                loop {
                    let rest = tail(buf, at);
                    if quote != 0 {
                        let Some(found) = memchr::memchr(quote, rest) else {
                            break;
                        };
                        quote = 0;
                        at += found + 1;
                        continue;
                    }
                    let Some(found) = memchr::memchr3(b'>', b'"', b'\'', rest) else {
                        break;
                    };
                    let byte = rest.get(found).copied().unwrap_or_default();
                    if byte == b'>' {
                        close_at = Some(at + found);
                        break;
                    }
                    quote = byte;
                    at += found + 1;
                }
                let Some(close_at) = close_at else {
                    scan.pending = Pending::Tag {
                        lt,
                        quote,
                        searched_to: buf.len(),
                    };
                    return Scan::NeedMore;
                };
                let end = close_at + 1;
                scan.pending = Pending::None;
                scan.pos = end;
                let self_closing = close_at > lt + 1 && buf.get(close_at - 1) == Some(&b'/');
                if self_closing {
                    if scan.depth == 0 {
                        return Scan::Complete(end);
                    }
                } else {
                    scan.depth += 1;
                    if scan.depth > max_depth {
                        return Scan::Error {
                            at: lt,
                            kind: StreamErrorKind::TooDeep { max: max_depth },
                        };
                    }
                }
            }
            Pending::None => {
                let text = tail(buf, scan.pos);
                let lt_in_text = memchr::memchr(b'<', text);
                // Before the root element only whitespace may stand between markup.
                if scan.depth == 0 {
                    let prolog_text = text
                        .get(..lt_in_text.unwrap_or(text.len()))
                        .unwrap_or_default();
                    if let Some(bad) = prolog_text.iter().position(|&byte| !is_space(byte)) {
                        let byte = prolog_text.get(bad).copied().unwrap_or_default();
                        return Scan::Error {
                            at: scan.pos + bad,
                            kind: StreamErrorKind::Garbage(byte),
                        };
                    }
                }
                let Some(lt_in_text) = lt_in_text else {
                    scan.pos = buf.len();
                    return Scan::NeedMore;
                };
                let lt = scan.pos + lt_in_text;
                scan.pos = lt;
                let token = tail(buf, lt);
                let Some(&second) = token.get(1) else {
                    return Scan::NeedMore;
                };
                let until =
                    |terminator: &'static [u8], skip: usize, is_end_tag: bool| Pending::Until {
                        lt,
                        terminator,
                        searched_to: lt + skip,
                        is_end_tag,
                    };
                scan.pending = match second {
                    b'?' => until(b"?>", 2, false),
                    b'/' => until(b">", 2, true),
                    b'!' => {
                        const COMMENT: &[u8] = b"<!--";
                        const CDATA: &[u8] = b"<![CDATA[";
                        if token.starts_with(COMMENT) {
                            until(b"-->", COMMENT.len(), false)
                        } else if token.starts_with(CDATA) && scan.depth > 0 {
                            until(b"]]>", CDATA.len(), false)
                        } else if COMMENT.starts_with(token) || CDATA.starts_with(token) {
                            return Scan::NeedMore;
                        } else {
                            return Scan::Error {
                                at: lt,
                                kind: StreamErrorKind::Declaration,
                            };
                        }
                    }
                    _ => {
                        if scan.depth == 0 {
                            match root_kind(token) {
                                None => return Scan::NeedMore,
                                Some(Some(kind)) => scan.root_kind = kind,
                                Some(None) => {
                                    return Scan::Error {
                                        at: lt,
                                        kind: StreamErrorKind::UnexpectedRoot,
                                    };
                                }
                            }
                            scan.root_at = Some(lt);
                        }
                        Pending::Tag {
                            lt,
                            quote: 0,
                            searched_to: lt + 1,
                        }
                    }
                };
            }
        }
    }
}

/// The kind of document whose root start tag begins `token` (which starts at a `<`):
/// `Some(Some(kind))` for `<event` or `<auth` followed by a space, `>` or `/`; `Some(None)`
/// for anything else; `None` when too short to tell yet.
fn root_kind(token: &[u8]) -> Option<Option<FrameKind>> {
    for (name, kind) in [
        (&b"<event"[..], FrameKind::Event),
        (&b"<auth"[..], FrameKind::Auth),
    ] {
        match token.get(name.len()) {
            Some(&after)
                if token.starts_with(name)
                    && (is_space(after) || after == b'>' || after == b'/') =>
            {
                return Some(Some(kind));
            }
            None if name.starts_with(token) => return None,
            _ => {}
        }
    }
    Some(None)
}

/// Whether `bytes` (starting at a `<`) begins a document to resynchronise on: a root that
/// [`root_kind`] accepts, or an XML declaration `<?xml` + space. `None`: too short to tell.
fn starts_event(bytes: &[u8]) -> Option<bool> {
    const DECLARATION: &[u8] = b"<?xml";
    match bytes.get(DECLARATION.len()) {
        Some(&after) if bytes.starts_with(DECLARATION) && is_space(after) => Some(true),
        None if DECLARATION.starts_with(bytes) => None,
        _ => root_kind(bytes).map(|kind| kind.is_some()),
    }
}

impl StreamDecoder {
    /// A decoder for a new connection.
    pub fn new(framing: Framing, limits: Limits) -> StreamDecoder {
        StreamDecoder {
            buf: BytesMut::with_capacity(8 * 1024),
            buf_offset: 0,
            framing,
            limits,
            state: State::Idle,
            stats: StreamStats::default(),
        }
    }

    /// Appends bytes read from the connection. Dropped after a fatal error.
    pub fn feed(&mut self, data: &[u8]) {
        if self.state != State::Failed {
            self.buf.extend_from_slice(data);
        }
    }

    /// The buffer, for reading from a socket straight into it (`read_buf`); same rules as
    /// [`StreamDecoder::feed`].
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Bytes held but not yet returned as frames.
    pub fn buffered_len(&self) -> usize {
        self.buf.len()
    }

    /// The current framing (after detection, `Xml` or `Protobuf`).
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// Switches framing, e.g. to `Protobuf` after answering `t-x-takp-q` with success. Call
    /// it between frames (right after the frame that asked); buffered bytes are kept and read
    /// with the new framing.
    pub fn set_framing(&mut self, framing: Framing) {
        self.framing = framing;
        if self.state != State::Failed {
            self.state = State::Idle;
        }
    }

    /// True after a fatal error: the connection must be closed.
    pub fn is_failed(&self) -> bool {
        self.state == State::Failed
    }

    pub fn stats(&self) -> StreamStats {
        self.stats
    }

    /// Stream offset of the next byte not yet consumed.
    pub fn offset(&self) -> u64 {
        self.buf_offset
    }

    fn consume(&mut self, n_bytes: usize) -> Bytes {
        let n_bytes = n_bytes.min(self.buf.len());
        self.buf_offset += n_bytes as u64;
        self.buf.split_to(n_bytes).freeze()
    }

    fn discard(&mut self, n_bytes: usize) {
        let n_bytes = n_bytes.min(self.buf.len());
        self.buf_offset += n_bytes as u64;
        self.stats.bytes_discarded += n_bytes as u64;
        self.buf.advance(n_bytes);
    }

    fn error(&mut self, at: usize, kind: StreamErrorKind) -> StreamError {
        self.stats.errors += 1;
        let error = StreamError {
            offset: self.buf_offset + at as u64,
            kind,
        };
        if error.is_fatal() {
            self.state = State::Failed;
            self.stats.bytes_discarded += self.buf.len() as u64;
            self.buf.clear();
        }
        error
    }

    fn skip_whitespace(&mut self) {
        let n_spaces = self.buf.iter().take_while(|&&byte| is_space(byte)).count();
        if n_spaces > 0 {
            self.discard(n_spaces);
        }
    }

    /// The next complete frame, an error, or `None` when more bytes are needed.
    pub fn next_frame(&mut self) -> Option<Result<Frame, StreamError>> {
        loop {
            match std::mem::replace(&mut self.state, State::Idle) {
                State::Failed => {
                    self.state = State::Failed;
                    return None;
                }
                State::Idle => {
                    self.skip_whitespace();
                    let first = *self.buf.first()?;
                    let framing = match self.framing {
                        Framing::Detect if first == MAGIC => Framing::Protobuf,
                        Framing::Detect => Framing::Xml,
                        known => known,
                    };
                    self.framing = framing;
                    match framing {
                        Framing::Protobuf => return self.next_proto_frame(first),
                        _ => {
                            self.state = State::Xml(XmlScan {
                                pos: 0,
                                depth: 0,
                                root_at: None,
                                root_kind: FrameKind::Event,
                                pending: Pending::None,
                            })
                        }
                    }
                }
                State::Xml(mut scan) => match scan_xml(&self.buf, &mut scan, self.limits.max_depth)
                {
                    Scan::Complete(end) if end > self.limits.max_event_bytes => {
                        let error = self.error(
                            0,
                            StreamErrorKind::Oversized {
                                len: Some(end as u64),
                                max: self.limits.max_event_bytes,
                            },
                        );
                        self.discard(end);
                        return Some(Err(error));
                    }
                    Scan::Complete(end) => {
                        self.stats.frames += 1;
                        let offset = self.buf_offset;
                        let bytes = self.consume(end);
                        return Some(Ok(Frame {
                            format: WireFormat::Xml,
                            kind: scan.root_kind,
                            offset,
                            bytes,
                        }));
                    }
                    Scan::NeedMore if self.buf.len() > self.limits.max_event_bytes => {
                        let error = self.error(
                            0,
                            StreamErrorKind::Oversized {
                                len: None,
                                max: self.limits.max_event_bytes,
                            },
                        );
                        // Past the `<` of this event's root, so resync finds the next event.
                        self.discard(scan.root_at.map_or(1, |root_at| root_at + 1));
                        self.state = State::XmlResync;
                        return Some(Err(error));
                    }
                    Scan::NeedMore => {
                        self.state = State::Xml(scan);
                        return None;
                    }
                    Scan::Error { at, kind } => {
                        let error = self.error(at, kind);
                        self.discard(at + 1);
                        self.state = State::XmlResync;
                        return Some(Err(error));
                    }
                },
                State::XmlResync => {
                    let mut from = 0;
                    loop {
                        let Some(found) = memchr::memchr(b'<', tail(&self.buf, from)) else {
                            let n_bytes = self.buf.len();
                            self.discard(n_bytes);
                            self.state = State::XmlResync;
                            return None;
                        };
                        let lt = from + found;
                        match starts_event(tail(&self.buf, lt)) {
                            Some(true) => {
                                self.discard(lt);
                                break;
                            }
                            None => {
                                self.discard(lt);
                                self.state = State::XmlResync;
                                return None;
                            }
                            Some(false) => from = lt + 1,
                        }
                    }
                }
                State::ProtoSkip { remaining } => {
                    let n_bytes = usize::try_from(remaining)
                        .unwrap_or(usize::MAX)
                        .min(self.buf.len());
                    self.discard(n_bytes);
                    let remaining = remaining - n_bytes as u64;
                    if remaining > 0 {
                        self.state = State::ProtoSkip { remaining };
                        return None;
                    }
                }
            }
        }
    }

    fn next_proto_frame(&mut self, first: u8) -> Option<Result<Frame, StreamError>> {
        if first != MAGIC {
            return Some(Err(self.error(0, StreamErrorKind::BadMagic(first))));
        }
        let (len, varint_len) = match read_varint(tail(&self.buf, 1)) {
            Varint::Value(len, varint_len) => (len, varint_len),
            Varint::Incomplete => return None,
            Varint::Invalid => return Some(Err(self.error(1, StreamErrorKind::BadVarint))),
        };
        let header_len = 1 + varint_len;
        if len > self.limits.max_event_bytes as u64 {
            let error = self.error(
                0,
                StreamErrorKind::Oversized {
                    len: Some(len),
                    max: self.limits.max_event_bytes,
                },
            );
            self.discard(header_len);
            self.state = State::ProtoSkip { remaining: len };
            return Some(Err(error));
        }
        let frame_len = header_len + len as usize;
        if self.buf.len() < frame_len {
            // Make room once for the whole frame instead of growing step by step.
            self.buf.reserve(frame_len - self.buf.len());
            return None;
        }
        self.stats.frames += 1;
        self.consume(header_len);
        let offset = self.buf_offset;
        let bytes = self.consume(len as usize);
        Some(Ok(Frame {
            format: WireFormat::Protobuf,
            kind: FrameKind::Event,
            offset,
            bytes,
        }))
    }

    /// The next decoded event, an error, or `None` when more bytes are needed. Protobuf
    /// messages without an event are skipped (and counted in [`StreamStats`]).
    pub fn next_event(&mut self) -> Option<Result<Event, StreamError>> {
        loop {
            let frame = match self.next_frame()? {
                Ok(frame) => frame,
                Err(error) => return Some(Err(error)),
            };
            match frame.decode(&self.limits) {
                Ok(Some(event)) => return Some(Ok(event)),
                Ok(None) => self.stats.messages_without_event += 1,
                Err(error) => {
                    self.stats.errors += 1;
                    return Some(Err(StreamError {
                        offset: frame.offset,
                        kind: StreamErrorKind::Decode(error),
                    }));
                }
            }
        }
    }
}
