//! Decoding speed over real captures: CAT048 plots (asterix-decoder's sample pcap: its 128
//! plots, repeated 100 times so that both decoders run long enough to time), CAT021 ADS-B
//! reports (the FAA capture) and CAT062 tracks (the JADE extract), each as one buffer of data
//! blocks. Per category: framing only, the typed view (what a tracker reads) and a full
//! decode of every field of every item (the work asterix-decoder does). Also typed encoding.
//!
//! The buffers are written to `target/asterix-bench/` with their record counts, so that
//! `bench/asterix_vs_reference.py` times asterix-decoder on the very same bytes.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use liptako_asterix::capture::Capture;
use liptako_asterix::cat021::Cat021Report;
use liptako_asterix::cat048::Cat048Report;
use liptako_asterix::cat062::Cat062Track;
use liptako_asterix::fields::{FieldAt, Value, Visitor};
use liptako_asterix::spec::Field;
use liptako_asterix::tables::cat048;
use liptako_asterix::{BlockEncoder, Decoder};

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// asterix-decoder's installed `sample_data/` (in the repo's venv: `scripts/setup-peers`).
fn sample_dir() -> PathBuf {
    let lib = workspace_root().join(".venv/lib");
    let found = std::fs::read_dir(&lib).ok().and_then(|entries| {
        entries
            .flatten()
            .map(|e| e.path().join("site-packages/asterix/sample_data"))
            .find(|p| p.is_dir())
    });
    found.unwrap_or_else(|| {
        panic!(
            "asterix-decoder's sample data is not under {}: run scripts/setup-peers",
            lib.display()
        )
    })
}

fn shared_dir() -> PathBuf {
    std::env::var_os("LIPTAKO_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared"))
        .join("asterix")
}

/// The data blocks of `category` in a capture file, back to back, and their record count.
fn blocks_of(path: &Path, category: u8) -> (Vec<u8>, usize) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let decoder = Decoder::default();
    let mut out = Vec::new();
    for datagram in Capture::new(&bytes).expect("a capture") {
        let datagram = datagram.expect("a readable capture");
        for block in decoder.blocks(&datagram.payload).flatten() {
            if block.category() == category {
                out.extend_from_slice(block.bytes());
            }
        }
    }
    let records = decoder.records(&out).filter(Result::is_ok).count();
    (out, records)
}

/// Saves a benchmark input for the reference-decoder script.
fn save(name: &str, bytes: &[u8], records: usize) {
    let dir = workspace_root().join("target/asterix-bench");
    std::fs::create_dir_all(&dir).expect("target/asterix-bench");
    std::fs::write(dir.join(format!("{name}.bin")), bytes).expect("write input");
    std::fs::write(dir.join(format!("{name}.records")), records.to_string()).expect("write count");
}

/// Folds every field into one integer: the raw bits, and the value (a number's bits, a
/// code, each character of a text), so that none of the decoding can be optimised away. Integer
/// additions, one cycle each: a floating-point sum chained two additions of about four cycles
/// per field and bounded the measure near 7 M CAT048 records/s whatever the decoder did.
#[derive(Default)]
struct Sum(u64);

impl Visitor for Sum {
    #[inline]
    fn field(&mut self, _: &'static Field, _: FieldAt, raw: u64, value: Value) {
        let value = match value {
            Value::Number { value, .. } => value.to_bits(),
            Value::Unsigned(value) => value,
            Value::Text(text) => text.as_bytes().iter().map(|&byte| u64::from(byte)).sum(),
            Value::Spare => 0,
        };
        self.0 = self.0.wrapping_add(raw ^ value);
    }
}

fn bench_category(
    c: &mut Criterion,
    name: &str,
    bytes: &[u8],
    records: usize,
    typed: impl Fn(&liptako_asterix::Record<'_>) -> f64,
) {
    save(name, bytes, records);
    let decoder = Decoder::default();
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(records as u64));
    group.bench_function("frame", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for record in decoder.records(black_box(bytes)).flatten() {
                n += record.item_count();
            }
            n
        })
    });
    group.bench_function("typed", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for record in decoder.records(black_box(bytes)).flatten() {
                sum += typed(&record);
            }
            sum
        })
    });
    group.bench_function("all_fields", |b| {
        b.iter(|| {
            let mut sum = Sum(0);
            for record in decoder.records(black_box(bytes)).flatten() {
                for item in record.items() {
                    item.visit(&mut sum);
                }
            }
            sum.0
        })
    });
    group.finish();
}

fn decoding(c: &mut Criterion) {
    let (plots, plot_count) = blocks_of(&sample_dir().join("cat_034_048.pcap"), 48);
    let cat048_bytes = plots.repeat(100);
    let cat048_records = plot_count * 100;
    bench_category(c, "cat048", &cat048_bytes, cat048_records, |record| {
        let r = Cat048Report::from_record(record).unwrap_or_default();
        r.time_of_day_s.unwrap_or(0.0)
            + r.polar.map_or(0.0, |p| p.rho_nm + p.theta_deg)
            + r.flight_level.map_or(0.0, |f| f.flight_level)
            + f64::from(r.mode3a.map_or(0, |m| m.code.bits()))
            + f64::from(r.aircraft_address.map_or(0, |a| a.bits()))
            + f64::from(r.track_number.unwrap_or(0))
            + r.aircraft_id.map_or(0.0, |id| id.as_str().len() as f64)
            + r.mode_s_registers.len() as f64
    });

    let (cat021_bytes, cat021_records) =
        blocks_of(&shared_dir().join("faa_capstone_cat021.pcap"), 21);
    bench_category(c, "cat021", &cat021_bytes, cat021_records, |record| {
        let r = Cat021Report::from_record(record).unwrap_or_default();
        r.time_of_day_s().unwrap_or(0.0)
            + r.position().map_or(0.0, |p| p.lat_deg + p.lon_deg)
            + r.flight_level.unwrap_or(0.0)
            + f64::from(r.aircraft_address.map_or(0, |a| a.bits()))
            + r.ground_vector
                .map_or(0.0, |v| v.groundspeed_nmps + v.track_angle_deg)
            + r.aircraft_id.map_or(0.0, |id| id.as_str().len() as f64)
    });

    let (cat062_bytes, cat062_records) =
        blocks_of(&shared_dir().join("jade_cat062_063_065_part.raw"), 62);
    bench_category(c, "cat062", &cat062_bytes, cat062_records, |record| {
        let t = Cat062Track::from_record(record).unwrap_or_default();
        t.time_of_track_s.unwrap_or(0.0)
            + t.position_wgs84.map_or(0.0, |p| p.lat_deg + p.lon_deg)
            + t.velocity.map_or(0.0, |v| v.vx_mps + v.vy_mps)
            + f64::from(t.track_number.unwrap_or(0))
            + f64::from(t.aircraft_address().map_or(0, |a| a.bits()))
            + t.measured_flight_level.unwrap_or(0.0)
    });
}

fn encoding(c: &mut Criterion) {
    let (plots, plot_count) = blocks_of(&sample_dir().join("cat_034_048.pcap"), 48);
    let decoder = Decoder::default();
    let reports: Vec<Cat048Report<'_>> = decoder
        .records(&plots)
        .flatten()
        .filter_map(|record| Cat048Report::from_record(&record))
        .collect();
    assert_eq!(reports.len(), plot_count);
    let mut group = c.benchmark_group("cat048");
    // The same 12,800 reports as the decoding input (the sample's 128, 100 times).
    group.throughput(Throughput::Elements(plot_count as u64 * 100));
    let mut block = BlockEncoder::new(&cat048::V1_32);
    let mut out = Vec::with_capacity(1 << 20);
    group.bench_function("encode_typed", |b| {
        b.iter(|| {
            out.clear();
            for _ in 0..100 {
                for report in &reports {
                    block.push(black_box(report)).expect("encodable");
                    if block.len() > 1400 {
                        block.finish_into(&mut out).expect("a block");
                    }
                }
            }
            block.finish_into(&mut out).expect("a block");
            out.len()
        })
    });
    group.finish();
}

criterion_group!(benches, decoding, encoding);
criterion_main!(benches);
