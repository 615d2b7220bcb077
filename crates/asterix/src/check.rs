//! Invariants over arbitrary input, asserted by the fuzz targets (`fuzz/fuzz_targets/asterix_*`)
//! and by the corpus replay test. Each function panics when an invariant breaks (that is the
//! fuzzer's signal); on any input they must not panic otherwise.
//!
//! - [`decode`]: decoding never panics, with the current editions and the older ones; every
//!   record decoded re-encodes, item by item, into a record that decodes to the same items
//!   (framing agrees between decoder and encoder); every typed report whose values the
//!   encoder accepts encodes and decodes back to itself; the JSON dump is well nested.
//! - [`capture`]: reading a capture never panics, and a payload said to sit in the file does.

use crate::capture::Capture;
use crate::cat021::Cat021Report;
use crate::cat034::Cat034Message;
use crate::cat048::Cat048Report;
use crate::cat062::Cat062Track;
use crate::cat065::Cat065Message;
use crate::decode::{Decoder, Record};
use crate::dump::{ItemStyle, write_record};
use crate::editions::Editions;
use crate::encode::{BlockEncoder, EncodeRecord};
use crate::error::EncodeError;
use crate::fields::{FieldAt, Value, Visitor};
use crate::spec::Field;
use crate::tables;

/// The decoding invariants over `data` (one buffer of data blocks).
#[allow(clippy::panic, clippy::expect_used)] // a broken invariant is the finding
pub fn decode(data: &[u8]) {
    let mut older = Editions::current();
    for edition in tables::ALL.iter().skip(1).step_by(2) {
        older.set(edition);
    }
    let mut line = String::new();
    for editions in [Editions::current(), older] {
        for record in Decoder::new(editions).records(data).flatten() {
            visit_all(&record);
            reencode_items(&record);
            if editions == Editions::current() {
                typed_round_trips(&record);
            }
            for style in [ItemStyle::Hex, ItemStyle::Fields] {
                line.clear();
                write_record(&record, style, &mut line);
                assert!(balanced(&line), "dump is not well nested: {line}");
            }
            let _ = record.time_of_day_s();
        }
    }
}

/// The capture-reading invariants over `data` (a capture file).
#[allow(clippy::panic)] // a broken invariant is the finding
pub fn capture(data: &[u8]) {
    let Ok(capture) = Capture::new(data) else {
        return;
    };
    for datagram in capture {
        let Ok(datagram) = datagram else { break };
        if let Some(offset) = datagram.file_offset {
            let inside = data.get(offset..offset + datagram.payload.len());
            assert_eq!(
                inside,
                Some(&*datagram.payload),
                "payload is not where it says"
            );
        }
        decode(&datagram.payload);
    }
}

fn visit_all(record: &Record<'_>) {
    struct Count(usize);
    impl Visitor for Count {
        fn field(&mut self, _: &'static Field, _: FieldAt, _: u64, _: Value) {
            self.0 += 1;
        }
    }
    for item in record.items() {
        item.visit(&mut Count(0));
    }
}

/// Each item written back raw gives a record that decodes to the same items.
#[allow(clippy::panic)]
fn reencode_items(record: &Record<'_>) {
    let edition = record.edition();
    let mut block = BlockEncoder::new(edition);
    let written = block.record(|w| {
        for item in record.items() {
            w.raw(item.spec.id, item.bytes)?;
        }
        Ok(())
    });
    if let Err(err) = written {
        panic!("a decoded record does not re-encode: {err}");
    }
    let mut out = Vec::new();
    if let Err(err) = block.finish_into(&mut out) {
        panic!("{err}");
    }
    let mut editions = Editions::none();
    editions.set(edition);
    let mut again = Decoder::new(editions).records(&out);
    match again.next() {
        Some(Ok(copy)) => {
            let a: Vec<_> = record.items().map(|i| (i.spec.id, i.bytes)).collect();
            let b: Vec<_> = copy.items().map(|i| (i.spec.id, i.bytes)).collect();
            assert_eq!(a, b, "re-encoded record decodes differently");
        }
        other => panic!("re-encoded record does not decode: {other:?}"),
    }
    assert!(
        again.next().is_none(),
        "re-encoded block holds more than one record"
    );
}

/// A typed report encodes and decodes to itself, unless the encoder refuses a value the
/// input carried (a character outside the ICAO alphabet, a bit the edition lacks).
fn typed_round_trips(record: &Record<'_>) {
    let edition = record.edition();
    macro_rules! round_trip {
        ($report:expr, $read:path) => {
            if let Some(report) = $report
                && let Some(bytes) = encode_typed(edition, &report)
            {
                let copy = decode_first(edition, &bytes).and_then(|r| $read(&r));
                assert_eq!(
                    copy,
                    Some(report),
                    "typed report changes through encode/decode"
                );
            }
        };
    }
    match record.category() {
        48 => round_trip!(Cat048Report::from_record(record), Cat048Report::from_record),
        21 => round_trip!(Cat021Report::from_record(record), Cat021Report::from_record),
        62 => round_trip!(Cat062Track::from_record(record), Cat062Track::from_record),
        34 => round_trip!(
            Cat034Message::from_record(record),
            Cat034Message::from_record
        ),
        65 => {
            let _ = Cat065Message::from_record(record);
        }
        _ => {}
    }
}

/// The block holding `report`; `None` when the encoder refuses a value the input carried.
#[allow(clippy::panic)]
fn encode_typed<R: EncodeRecord + std::fmt::Debug>(
    edition: &'static crate::spec::Edition,
    report: &R,
) -> Option<Vec<u8>> {
    let mut block = BlockEncoder::new(edition);
    match block.push(report) {
        Ok(()) => {}
        Err(EncodeError::BadCharacter { .. } | EncodeError::NoSuchField { .. }) => return None,
        // A record with none of the typed items has nothing to encode.
        Err(EncodeError::EmptyRecord { .. }) => return None,
        Err(err) => panic!("a decoded report does not encode: {err}: {report:?}"),
    }
    let mut out = Vec::new();
    if let Err(err) = block.finish_into(&mut out) {
        panic!("{err}");
    }
    Some(out)
}

fn decode_first<'b>(edition: &'static crate::spec::Edition, bytes: &'b [u8]) -> Option<Record<'b>> {
    let mut editions = Editions::none();
    editions.set(edition);
    Decoder::new(editions)
        .records(bytes)
        .next()
        .and_then(Result::ok)
}

/// Braces and brackets outside strings nest properly.
fn balanced(json: &str) -> bool {
    let mut depth: Vec<char> = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    for ch in json.chars() {
        if in_string {
            match (escaped, ch) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match ch {
            '"' => in_string = true,
            '{' | '[' => depth.push(ch),
            '}' | ']' => {
                let open = if ch == '}' { '{' } else { '[' };
                if depth.pop() != Some(open) {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth.is_empty() && !in_string
}
