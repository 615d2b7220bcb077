//! Property tests: decoding never panics on any input; decode(encode(r)) == r for generated
//! typed reports of every encoded category in both editions; and, over every item of every
//! table, generated field values come back bit for bit.

use liptako_asterix::capture::Capture;
use liptako_asterix::cat021::Cat021Report;
use liptako_asterix::cat034::Cat034Message;
use liptako_asterix::cat048::Cat048Report;
use liptako_asterix::cat062::Cat062Track;
use liptako_asterix::cat065::Cat065Message;
use liptako_asterix::dump::{ItemStyle, write_record};
use liptako_asterix::encode::{BlockEncoder, EncodeRecord};
use liptako_asterix::fields::{FieldAt, Value, Visitor};
use liptako_asterix::spec::{Edition, Field};
use liptako_asterix::tables::{self, cat021, cat034, cat048, cat062};
use liptako_asterix::{Decoder, Editions, Record};
use proptest::prelude::*;

use crate::generate::{Options, Rng, random_record};
use crate::reference::compare::our_leaves;
use crate::strategies;

/// Runs every read path over `bytes` and asserts the fuzz invariants (`check`); any panic
/// fails the property.
pub fn exercise(bytes: &[u8]) {
    liptako_asterix::check::decode(bytes);
    liptako_asterix::check::capture(bytes);
    struct Count(usize);
    impl Visitor for Count {
        fn field(&mut self, _: &'static Field, _: FieldAt, _: u64, _: Value) {
            self.0 += 1;
        }
    }
    let mut older = Editions::current();
    for edition in [
        &cat048::V1_21,
        &cat021::V2_6,
        &cat062::V1_18,
        &cat034::V1_27,
    ] {
        older.set(edition);
    }
    let mut line = String::new();
    for editions in [Editions::current(), older] {
        for result in Decoder::new(editions).records(bytes) {
            let Ok(record) = result else { continue };
            for item in record.items() {
                item.visit(&mut Count(0));
            }
            let _ = Cat048Report::from_record(&record);
            let _ = Cat021Report::from_record(&record);
            let _ = Cat062Track::from_record(&record);
            let _ = Cat034Message::from_record(&record);
            let _ = Cat065Message::from_record(&record);
            let _ = record.time_of_day_s();
            for style in [ItemStyle::Hex, ItemStyle::Fields] {
                line.clear();
                write_record(&record, style, &mut line);
                serde_json::from_str::<serde_json::Value>(&line)
                    .unwrap_or_else(|e| panic!("dump is not JSON ({e}): {line}"));
            }
        }
    }
    if let Ok(capture) = Capture::new(bytes) {
        for datagram in capture {
            if datagram.is_err() {
                break;
            }
        }
    }
}

fn encode_one<R: EncodeRecord>(edition: &'static Edition, record: &R) -> Vec<u8> {
    let mut block = BlockEncoder::new(edition);
    block.push(record).unwrap();
    let mut out = Vec::new();
    block.finish_into(&mut out).unwrap();
    out
}

fn decode_one<'b>(edition: &'static Edition, bytes: &'b [u8]) -> Record<'b> {
    let mut editions = Editions::current();
    editions.set(edition);
    let mut records = Decoder::new(editions).records(bytes);
    let record = records.next().unwrap().unwrap();
    assert!(records.next().is_none());
    record
}

/// A few records of every edition, as a corpus of valid blocks to mutate.
fn valid_blocks(seed: u64) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(seed);
    tables::ALL
        .iter()
        .map(|edition| {
            let mut block = BlockEncoder::new(edition);
            for _ in 0..3 {
                random_record(&mut block, &mut rng, Options { explicit: true });
            }
            let mut out = Vec::new();
            block.finish_into(&mut out).unwrap();
            out
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..700)) {
        exercise(&bytes);
    }

    #[test]
    fn mutated_blocks_never_panic(seed in any::<u64>(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6)) {
        let mut bytes = valid_blocks(seed).concat();
        for (at, byte) in flips {
            let idx = at % bytes.len();
            bytes[idx] = byte;
        }
        exercise(&bytes);
    }

    #[test]
    fn every_table_round_trips_field_by_field(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        for edition in tables::ALL {
            let mut block = BlockEncoder::new(edition);
            let n = 1 + rng.below(3) as usize;
            let expected: Vec<_> = (0..n)
                .map(|_| random_record(&mut block, &mut rng, Options { explicit: true }))
                .collect();
            let mut bytes = Vec::new();
            block.finish_into(&mut bytes).unwrap();
            let mut editions = Editions::current();
            editions.set(edition);
            let records: Vec<Record<'_>> = Decoder::new(editions)
                .records(&bytes)
                .collect::<Result<_, _>>()
                .unwrap_or_else(|e| panic!("{}: {e}", edition.name()));
            prop_assert_eq!(records.len(), n);
            for (record, want) in records.iter().zip(&expected) {
                let ids: Vec<_> = record.items().map(|i| i.spec.id).collect();
                let want_ids: Vec<_> = edition.uap.iter().flatten().map(|i| i.id).filter(|id| want.contains_key(id)).collect();
                prop_assert_eq!(ids, want_ids, "{}", edition.name());
                for item in record.items() {
                    let got = our_leaves(&item);
                    let want = &want[item.spec.id];
                    for (address, raw) in want {
                        let leaf = got.get(address);
                        prop_assert!(leaf.is_some(), "{} I{}: no field at {}", edition.name(), item.spec.id, address);
                        prop_assert_eq!(leaf.unwrap().raw, *raw, "{} I{} {}", edition.name(), item.spec.id, address);
                    }
                    for (address, leaf) in &got {
                        if !want.contains_key(address) {
                            prop_assert_eq!(leaf.raw, 0, "{} I{}: unexpected {}", edition.name(), item.spec.id, address);
                        }
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn cat048_reports_round_trip(report in strategies::cat048()) {
        prop_assume!(report != Cat048Report::default());
        let bytes = encode_one(&cat048::V1_32, &report);
        prop_assert_eq!(Cat048Report::from_record(&decode_one(&cat048::V1_32, &bytes)), Some(report));
        let older = strategies::for_cat048_1_21(report);
        let bytes = encode_one(&cat048::V1_21, &older);
        prop_assert_eq!(Cat048Report::from_record(&decode_one(&cat048::V1_21, &bytes)), Some(older));
    }

    #[test]
    fn cat021_reports_round_trip(report in strategies::cat021()) {
        prop_assume!(report != Cat021Report::default());
        for edition in [&cat021::V2_7, &cat021::V2_6] {
            let bytes = encode_one(edition, &report);
            prop_assert_eq!(Cat021Report::from_record(&decode_one(edition, &bytes)), Some(report));
        }
    }

    #[test]
    fn cat034_messages_round_trip(message in strategies::cat034()) {
        prop_assume!(message != Cat034Message::default());
        for edition in [&cat034::V1_29, &cat034::V1_27] {
            let bytes = encode_one(edition, &message);
            prop_assert_eq!(Cat034Message::from_record(&decode_one(edition, &bytes)), Some(message));
        }
    }

    #[test]
    fn cat062_tracks_round_trip(track in strategies::cat062()) {
        prop_assume!(track != Cat062Track::default());
        let bytes = encode_one(&cat062::V1_21, &track);
        prop_assert_eq!(Cat062Track::from_record(&decode_one(&cat062::V1_21, &bytes)), Some(track));
        let older = strategies::for_cat062_1_18(track);
        let bytes = encode_one(&cat062::V1_18, &older);
        prop_assert_eq!(Cat062Track::from_record(&decode_one(&cat062::V1_18, &bytes)), Some(older));
    }
}
