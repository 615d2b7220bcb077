//! Decoding known bytes: values, framing, and errors that name offset and reason.

use liptako_asterix::cat048::Cat048Report;
use liptako_asterix::{Decoder, ErrorKind};

use crate::common::hex;

/// asterix-decoder's `sample_data/cat048.raw`: one CAT048 record, values as the reference
/// decoder prints them.
const CAT048_SAMPLE: &str = "300030fdf70219c9356d4da0c5aff1e0020005283c660c10c236d4182001c0780031bc0000400deb07b9582e41002 0f5";

#[test]
fn cat048_sample_typed_values() {
    let bytes = hex(CAT048_SAMPLE);
    let records: Vec<_> = Decoder::default().records(&bytes).collect();
    assert_eq!(records.len(), 1);
    let record = records[0].as_ref().unwrap();
    let r = Cat048Report::from_record(record).unwrap();
    let source = r.data_source.unwrap();
    assert_eq!((source.sac, source.sic), (25, 201));
    assert_eq!(r.time_of_day_s, Some(27354.6015625));
    let polar = r.polar.unwrap();
    assert_eq!(polar.rho_nm, 197.68359375);
    assert_eq!(polar.theta_deg, 340.13671875);
    assert_eq!(r.mode3a.unwrap().to_string(), "1000");
    assert_eq!(r.flight_level.unwrap().flight_level, 330.0);
    assert_eq!(r.aircraft_address.unwrap().to_string(), "3C660C");
    assert_eq!(r.aircraft_id.unwrap().as_str(), "DLH65A");
    assert_eq!(r.track_number, Some(3563));
    let velocity = r.velocity.unwrap();
    assert!((velocity.groundspeed_kt() - 434.3994140625).abs() < 1e-9);
    assert_eq!(velocity.heading_deg, 124.002685546875);
    let bds40 = r
        .mode_s_registers
        .find(0x40)
        .unwrap()
        .selected_vertical_intention()
        .unwrap();
    assert_eq!(bds40.mcp_altitude_ft, Some(33008.0));
    assert_eq!(bds40.baro_setting_mb, Some(1027.0));
}

#[test]
fn truncated_block_names_offset() {
    let mut bytes = hex(CAT048_SAMPLE);
    bytes.truncate(20);
    let errors: Vec<_> = Decoder::default().records(&bytes).collect();
    let err = errors[0].as_ref().unwrap_err();
    assert_eq!(err.offset, 0);
    assert!(matches!(
        err.kind,
        ErrorKind::LenMismatch {
            len: 48,
            available: 20
        }
    ));
    assert_eq!(
        err.to_string(),
        "offset 0: CAT048: LEN 48 does not fit: 20 bytes available from the block start"
    );
}

fn all(bytes: &[u8]) -> Vec<Result<liptako_asterix::Record<'_>, liptako_asterix::Error>> {
    Decoder::default().records(bytes).collect()
}

#[test]
fn len_below_header_stops_the_buffer() {
    let bytes = hex("300002 300030");
    let results = all(&bytes);
    assert_eq!(results.len(), 1);
    let err = results[0].as_ref().unwrap_err();
    assert_eq!(
        err.kind,
        ErrorKind::LenMismatch {
            len: 2,
            available: 6
        }
    );
    assert_eq!(
        err.to_string(),
        "offset 0: CAT048: LEN 2 does not fit: 6 bytes available from the block start"
    );
}

#[test]
fn unknown_category_is_skipped_and_the_next_block_decoded() {
    let mut bytes = hex("0a0006 010203");
    bytes.extend(hex(CAT048_SAMPLE));
    let results = all(&bytes);
    assert_eq!(results.len(), 2);
    let err = results[0].as_ref().unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnknownCategory);
    assert_eq!(
        err.to_string(),
        "offset 0: CAT010: category not decoded, block skipped"
    );
    let record = results[1].as_ref().unwrap();
    assert_eq!(record.offset(), 9);
}

#[test]
fn fspec_running_off_the_block_names_its_offset() {
    let mut bytes = hex("300005 ffff");
    bytes.extend(hex(CAT048_SAMPLE));
    let results = all(&bytes);
    assert_eq!(results.len(), 2);
    let err = results[0].as_ref().unwrap_err();
    assert_eq!(err.kind, ErrorKind::FspecOverrun);
    assert_eq!(
        err.to_string(),
        "offset 3: CAT048: FSPEC runs past end of block"
    );
    assert!(results[1].is_ok(), "decoding goes on with the next block");
}

#[test]
fn an_frn_the_uap_leaves_spare_is_an_error() {
    // CAT062 FRN 2 is spare in editions 1.18 and 1.21.
    let bytes = hex("3e0006 c00000");
    let results = all(&bytes);
    let err = results[0].as_ref().unwrap_err();
    assert_eq!(
        err.to_string(),
        "offset 3: CAT062: FSPEC announces FRN 2, which edition 1.21 does not define"
    );
}

#[test]
fn an_item_running_off_the_block_is_named() {
    // I048/010 then I048/040 (4 octets) with only 2 left.
    let bytes = hex("300008 90 0102 0304");
    let results = all(&bytes);
    let err = results[0].as_ref().unwrap_err();
    assert_eq!(err.offset, 6);
    assert_eq!(
        err.to_string(),
        "offset 6: CAT048: I048/040 runs past end of block"
    );
}

#[test]
fn an_explicit_item_of_length_zero_is_an_error() {
    // FSPEC: FRN 1 and FRN 27 (SP): octets 81 01 01 04; I048/010; SP with length 0.
    let bytes = hex("30000a 81010104 0102 00");
    let results = all(&bytes);
    let err = results[0].as_ref().unwrap_err();
    assert_eq!(
        err.to_string(),
        "offset 9: CAT048: I048/SP: explicit length 0"
    );
}

#[test]
fn records_before_an_error_are_kept_and_padding_is_named() {
    // Two records (I048/010 only), then a zero octet of padding.
    let bytes = hex("30000a 800102 800304 00");
    let results = all(&bytes);
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[1].is_ok());
    let err = results[2].as_ref().unwrap_err();
    assert_eq!(err.kind, ErrorKind::EmptyRecord);
    assert_eq!(err.offset, 9);
}

#[test]
fn an_undefined_compound_subfield_is_an_error() {
    // CAT034: I034/010 and I034/050 (FRN 6) whose primary subfield sets slot 2, spare in 1.29.
    let bytes = hex("220007 84 0102 40");
    let results = all(&bytes);
    let err = results[0].as_ref().unwrap_err();
    assert_eq!(
        err.to_string(),
        "offset 6: CAT034: I034/050: subfield 2 is not defined"
    );
}

#[test]
fn error_offsets_include_the_base_offset() {
    let bytes = hex("300005 ffff");
    let results: Vec<_> = Decoder::default().records_at(&bytes, 1000).collect();
    assert_eq!(results[0].as_ref().unwrap_err().offset, 1003);
}

#[test]
fn extents_beyond_the_edition_are_framed_and_shown_raw() {
    // I048/170 with FX set on its second (last defined) part: a third extent follows.
    // FSPEC: FRN 1 (I048/010) and FRN 14 (I048/170).
    let bytes = hex("30000a 8102 0102 01 03 f0");
    let results = all(&bytes);
    assert_eq!(results.len(), 1, "{results:?}");
    let record = results[0].as_ref().unwrap();
    let item = record.item("170").unwrap();
    assert_eq!(item.bytes, &[0x01, 0x03, 0xf0]);
    struct Extents(Vec<(usize, Vec<u8>)>);
    impl liptako_asterix::fields::Visitor for Extents {
        fn field(
            &mut self,
            _: &'static liptako_asterix::spec::Field,
            _: liptako_asterix::fields::FieldAt,
            _: u64,
            _: liptako_asterix::fields::Value,
        ) {
        }
        fn undefined_extent(&mut self, part: usize, bytes: &[u8]) {
            self.0.push((part, bytes.to_vec()));
        }
    }
    let mut extents = Extents(Vec::new());
    item.visit(&mut extents);
    assert_eq!(extents.0, vec![(2, vec![0xf0])]);
}

#[test]
fn split_block_frames_a_stream() {
    use liptako_asterix::split_block;
    let bytes = hex(CAT048_SAMPLE);
    assert_eq!(split_block(&bytes[..2]).unwrap(), None);
    assert_eq!(
        split_block(&bytes[..20]).unwrap(),
        None,
        "wait for the rest of the block"
    );
    let (block, rest) = split_block(&bytes).unwrap().unwrap();
    assert_eq!(block.len(), 48);
    assert!(rest.is_empty());
    assert!(split_block(&hex("300001")).is_err());
}

#[test]
fn editions_are_named_by_selectors() {
    use liptako_asterix::{Editions, parse_edition};
    assert_eq!(parse_edition("CAT048=1.21").unwrap().version, "1.21");
    assert_eq!(parse_edition("cat62=1.18").unwrap().category, 62);
    assert_eq!(parse_edition("21=2.6").unwrap().version, "2.6");
    assert_eq!(
        parse_edition("CAT048=1.99").unwrap_err().to_string(),
        "no table for CAT048 edition 1.99 (known: 1.32, 1.21)"
    );
    assert!(parse_edition("CAT048").is_err());
    let editions = Editions::default();
    assert_eq!(editions.get(48).unwrap().version, "1.32");
    assert_eq!(editions.get(21).unwrap().version, "2.7");
    assert_eq!(editions.get(62).unwrap().version, "1.21");
    assert_eq!(editions.get(34).unwrap().version, "1.29");
    assert_eq!(editions.get(65).unwrap().version, "1.6");
    assert!(editions.get(1).is_none());
}

#[test]
fn icao_characters_and_codes_agree() {
    use liptako_asterix::fields::{icao_char, icao_code};
    for code in 0..64u8 {
        let ch = icao_char(code);
        match code {
            0 => assert_eq!(ch, b' '),
            1..=26 | 32 | 48..=57 => assert_eq!(icao_code(ch), Some(code), "code {code}"),
            _ => assert_eq!(ch, b'?', "code {code}"),
        }
    }
}
