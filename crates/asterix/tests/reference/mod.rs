//! Cross-check against asterix-decoder (PyPI `asterix-decoder`, the reference C++ decoder of
//! Croatia Control), run in a child process: every field both decoders produce must agree.
//!
//! Captures: the package's own `sample_data/` (pcap and raw files) and every capture in
//! `../shared/asterix/` (see SOURCES.md there). Both decoders read the same data blocks (ours
//! splits pcap/pcapng into UDP payloads and payloads into blocks; the reference gets one block
//! per call), with the editions the reference knows: CAT048 1.21, CAT021 2.6, CAT062 1.18,
//! CAT034 1.27, CAT065 1.3. Blocks of other categories are not sent to the reference; ours
//! must skip each with one `UnknownCategory` error and go on. A block the reference crashes on
//! counts as unverified. Matching is by bit position (see `compare`), so names do not matter.

pub mod compare;
pub mod peer;
pub use peer::workspace_root;
mod refxml;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use liptako_asterix::capture::Capture;
use liptako_asterix::tables::{cat021, cat034, cat048, cat062, cat065};
use liptako_asterix::{Decoder, Editions, ErrorKind};

use compare::Report;
use refxml::RefCategory;

/// The editions asterix-decoder 0.7.11 ships, with the file that defines each.
const REFERENCE_EDITIONS: [(u8, &str); 5] = [
    (48, "asterix_cat048_1_21.xml"),
    (21, "asterix_cat021_2_6.xml"),
    (62, "asterix_cat062_1_18.xml"),
    (34, "asterix_cat034_1_27.xml"),
    (65, "asterix_cat065_1_3.xml"),
];

fn reference_decoder() -> Decoder {
    let mut editions = Editions::current();
    editions.set(&cat048::V1_21);
    editions.set(&cat021::V2_6);
    editions.set(&cat062::V1_18);
    editions.set(&cat034::V1_27);
    editions.set(&cat065::V1_3);
    Decoder::new(editions)
}

/// Shared captures: `LIPTAKO_SHARED`, else `<workspace>/../shared`.
pub fn shared_dir() -> PathBuf {
    let base = std::env::var_os("LIPTAKO_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| peer::workspace_root().join("../shared"));
    let dir = base.join("asterix");
    assert!(
        dir.join("SOURCES.md").exists(),
        "the shared ASTERIX captures are not at {} (set LIPTAKO_SHARED to the directory that \
         holds asterix/SOURCES.md)",
        dir.display()
    );
    dir
}

/// Every data block of a capture file (pcap payloads split into blocks), in order.
fn blocks_of(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for datagram in Capture::new(bytes).unwrap() {
        let datagram = datagram.unwrap();
        for block in Decoder::default().blocks(&datagram.payload) {
            match block {
                Ok(block) => out.push(block.bytes().to_vec()),
                Err(err) => panic!("a shared capture has a block that does not frame: {err}"),
            }
        }
    }
    out
}

struct Checker {
    specs: HashMap<u8, RefCategory>,
    bds: RefCategory,
    decoder: Decoder,
}

impl Checker {
    fn new() -> Self {
        let info = peer::info();
        assert_eq!(
            info.version, "0.7.11",
            "scripts/requirements-peers.txt pins 0.7.11"
        );
        let specs = REFERENCE_EDITIONS
            .iter()
            .map(|(cat, file)| (*cat, refxml::load_category(&info.config_dir.join(file))))
            .collect();
        let bds = refxml::load_bds(&info.config_dir.join("asterix_bds.xml"));
        Checker {
            specs,
            bds,
            decoder: reference_decoder(),
        }
    }

    fn check_file(&self, path: &Path, report: &mut Report) {
        let bytes = std::fs::read(path).unwrap();
        let blocks = blocks_of(&bytes);
        // Only blocks of categories both decode go to the reference.
        let ours: Vec<&Vec<u8>> = blocks
            .iter()
            .filter(|b| self.specs.contains_key(&b[0]))
            .collect();
        let answers = peer::decode_all(&ours.iter().map(|b| b.as_slice()).collect::<Vec<_>>());
        for block in &blocks {
            let cat = block[0];
            if !self.specs.contains_key(&cat) {
                // Skipped cleanly: exactly one UnknownCategory error, nothing else.
                let results: Vec<_> = self.decoder.records(block).collect();
                assert_eq!(results.len(), 1, "{}: CAT{cat:03} block", path.display());
                let err = results[0].as_ref().unwrap_err();
                assert_eq!(err.kind, ErrorKind::UnknownCategory, "{err}");
                *report.skipped_blocks.entry(cat).or_default() += 1;
            }
        }
        for (block, answer) in ours.iter().zip(&answers) {
            report.blocks += 1;
            let records: Vec<_> = self
                .decoder
                .records(block)
                .map(|r| {
                    r.unwrap_or_else(|e| panic!("{}: our decoder failed: {e}", path.display()))
                })
                .collect();
            let theirs = match answer {
                peer::Answer::Crashed => {
                    report.crashed_blocks += 1;
                    report.unverified_records += records.len();
                    continue;
                }
                peer::Answer::Records(theirs) => theirs,
            };
            if theirs.len() != records.len() {
                report.record_count_mismatch.push(format!(
                    "{}: block at CAT{:03}: {} records ours, {} theirs",
                    path.display(),
                    block[0],
                    records.len(),
                    theirs.len()
                ));
                continue;
            }
            let spec = &self.specs[&block[0]];
            for (record, their) in records.iter().zip(theirs) {
                compare::compare_record(record, their, spec, &self.bds, report);
            }
        }
    }
}

fn assert_clean(report: &Report, title: &str) {
    let text = report.render(title);
    eprintln!("{text}");
    assert_eq!(report.mismatches(), 0, "fields disagree:\n{text}");
    assert!(
        report.framing_mismatch.is_empty(),
        "records frame differently:\n{text}"
    );
    assert!(
        report.record_count_mismatch.is_empty(),
        "record counts differ:\n{text}"
    );
    assert!(report.records_compared > 0, "nothing was compared:\n{text}");
}

#[test]
fn asterix_decoder_sample_data_agrees() {
    let checker = Checker::new();
    let info = peer::info();
    let mut report = Report::default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&info.sample_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("raw" | "pcap")))
        .collect();
    files.sort();
    assert_eq!(files.len(), 5, "{files:?}");
    for file in &files {
        checker.check_file(file, &mut report);
    }
    assert_clean(&report, "asterix-decoder sample_data");
}

#[test]
fn shared_captures_agree() {
    let checker = Checker::new();
    let dir = shared_dir();
    let mut report = Report::default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "md"))
        .collect();
    files.sort();
    assert!(files.len() >= 7, "{files:?}");
    for file in &files {
        checker.check_file(file, &mut report);
    }
    assert_clean(&report, "shared captures");
}

/// A CAT062 block of our own making (I062/010, 070, 040 and an I062/390 with a corrupted
/// primary subfield) on which asterix-decoder 0.7.11 segfaults.
const REFERENCE_CRASHER: &str =
    "3e002991090207011000001092c7840701544553543132334133323044464644474f4f9c01080c1e00";

#[test]
fn a_reference_crash_costs_one_block_and_counts_as_unverified() {
    let good = crate::common::hex(
        "300030fdf70219c9356d4da0c5aff1e0020005283c660c10c236d4182001c0780031bc0000400deb07b9582e410020f5",
    );
    let crasher = crate::common::hex(REFERENCE_CRASHER);
    let answers = peer::decode_all(&[&good, &crasher, &good]);
    assert_eq!(answers.len(), 3);
    assert!(
        matches!(&answers[0], peer::Answer::Records(r) if r.len() == 1),
        "{answers:?}"
    );
    assert!(matches!(answers[1], peer::Answer::Crashed), "{answers:?}");
    assert!(
        matches!(&answers[2], peer::Answer::Records(r) if r.len() == 1),
        "{answers:?}"
    );
    // Ours does not crash on it: it decodes it or says why not.
    for result in reference_decoder().records(&crasher) {
        if let Err(err) = result {
            assert!(err.to_string().starts_with("offset "), "{err}");
        }
    }
}

fn edition_of(category: u8) -> &'static liptako_asterix::Edition {
    reference_decoder().editions().get(category).unwrap()
}

/// Our blocks through both decoders; the report of the comparison.
fn check_blocks(checker: &Checker, blocks: &[Vec<u8>], report: &mut Report) {
    let answers = peer::decode_all(&blocks.iter().map(|b| b.as_slice()).collect::<Vec<_>>());
    for (block, answer) in blocks.iter().zip(&answers) {
        report.blocks += 1;
        let records: Vec<_> = checker.decoder.records(block).map(|r| r.unwrap()).collect();
        let peer::Answer::Records(theirs) = answer else {
            report.crashed_blocks += 1;
            report.unverified_records += records.len();
            continue;
        };
        if theirs.len() != records.len() {
            report.record_count_mismatch.push(format!(
                "block {}: {} records ours, {} theirs",
                crate::common::to_hex(block),
                records.len(),
                theirs.len()
            ));
            continue;
        }
        for (record, their) in records.iter().zip(theirs) {
            compare::compare_record(
                record,
                their,
                &checker.specs[&block[0]],
                &checker.bds,
                report,
            );
        }
    }
}

fn assert_peer_clean(report: &Report, title: &str) {
    let text = report.render(title);
    eprintln!("{text}");
    assert_eq!(report.mismatches(), 0, "fields disagree:\n{text}");
    assert!(
        report.framing_mismatch.is_empty(),
        "records frame differently:\n{text}"
    );
    assert!(
        report.record_count_mismatch.is_empty(),
        "record counts differ:\n{text}"
    );
    assert!(
        report.items_ref_only.is_empty(),
        "items the reference sees and we do not:\n{text}"
    );
    let ref_only: usize = report.by_item.values().map(|t| t.ref_only).sum();
    assert_eq!(ref_only, 0, "fields only the reference decodes:\n{text}");
    assert!(report.records_compared > 0, "nothing was compared:\n{text}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 4, max_shrink_iters: 16, ..Default::default() })]

    /// Every item of every edition the reference knows, with random field values (edges
    /// included), encoded by us and read by asterix-decoder: the same values field by field.
    #[test]
    fn reference_reads_our_records_of_every_item(seed in proptest::prelude::any::<u64>()) {
        let checker = Checker::new();
        let mut rng = crate::generate::Rng::new(seed);
        let mut report = Report::default();
        let mut blocks = Vec::new();
        for (category, _) in REFERENCE_EDITIONS {
            for _ in 0..40 {
                let mut block = liptako_asterix::BlockEncoder::new(edition_of(category));
                for _ in 0..3 {
                    crate::generate::random_record(&mut block, &mut rng, crate::generate::Options { explicit: false });
                }
                let mut out = Vec::new();
                block.finish_into(&mut out).unwrap();
                blocks.push(out);
            }
        }
        check_blocks(&checker, &blocks, &mut report);
        assert_peer_clean(&report, "generated records of every item");
    }

    /// Our typed encoders' output, read by asterix-decoder: the same values.
    #[test]
    fn reference_reads_our_typed_reports(
        plots in proptest::collection::vec(crate::strategies::cat048(), 1..30),
        adsb in proptest::collection::vec(crate::strategies::cat021(), 1..30),
        service in proptest::collection::vec(crate::strategies::cat034(), 1..30),
        tracks in proptest::collection::vec(crate::strategies::cat062(), 1..30),
    ) {
        let checker = Checker::new();
        let mut blocks = Vec::new();
        let mut push = |edition, encode: &dyn Fn(&mut liptako_asterix::BlockEncoder) -> Result<(), liptako_asterix::EncodeError>| {
            let mut block = liptako_asterix::BlockEncoder::new(edition);
            if encode(&mut block).is_ok() && !block.is_empty() {
                let mut out = Vec::new();
                block.finish_into(&mut out).unwrap();
                blocks.push(out);
            }
        };
        for plot in &plots {
            let plot = crate::strategies::for_cat048_1_21(*plot);
            push(&cat048::V1_21, &|b| b.push(&plot));
        }
        for report in &adsb {
            push(&cat021::V2_6, &|b| b.push(report));
        }
        for message in &service {
            push(&cat034::V1_27, &|b| b.push(message));
        }
        for track in &tracks {
            let track = crate::strategies::for_cat062_1_18(*track);
            push(&cat062::V1_18, &|b| b.push(&track));
        }
        let mut report = Report::default();
        check_blocks(&checker, &blocks, &mut report);
        assert_peer_clean(&report, "typed reports");
    }
}
