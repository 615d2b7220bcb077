//! Decoding rate per second of CPU time, for `bench/asterix_vs_reference.py`: on a shared
//! machine wall-clock rates depend on the other processes; the CPU time the process used does
//! much less. Reads the inputs the criterion benchmark saved (`target/asterix-bench/*.bin`),
//! decodes each for about `SECONDS_PER_RUN` (default 3) seconds of CPU time, the typed view and every field,
//! and prints one JSON line per input with records per CPU-second.
//!
//! `cargo run --release -p liptako-asterix --example decode_rate`

#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic
)] // a command-line tool

use std::path::PathBuf;

use liptako_asterix::cat021::Cat021Report;
use liptako_asterix::cat048::Cat048Report;
use liptako_asterix::cat062::Cat062Track;
use liptako_asterix::fields::{FieldAt, Value, Visitor};
use liptako_asterix::spec::Field;
use liptako_asterix::{Decoder, Record};

/// User plus system CPU time of this process, seconds (from /proc, in clock ticks of 10 ms).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // The command name may hold spaces: fields count from the closing parenthesis.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |idx: usize| {
        fields
            .get(idx)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the parenthesis.
    (ticks(11) + ticks(12)) / 100.0
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

fn typed(record: &Record<'_>) -> f64 {
    match record.category() {
        48 => {
            let r = Cat048Report::from_record(record).unwrap_or_default();
            r.time_of_day_s.unwrap_or(0.0) + r.polar.map_or(0.0, |p| p.rho_nm + p.theta_deg)
        }
        21 => {
            let r = Cat021Report::from_record(record).unwrap_or_default();
            r.time_of_day_s().unwrap_or(0.0) + r.position().map_or(0.0, |p| p.lat_deg)
        }
        62 => {
            let t = Cat062Track::from_record(record).unwrap_or_default();
            t.time_of_track_s.unwrap_or(0.0) + t.position_wgs84.map_or(0.0, |p| p.lat_deg)
        }
        _ => 0.0,
    }
}

/// Records per CPU-second of `work` over `bytes` holding `records` records.
fn rate(records: usize, seconds: f64, mut work: impl FnMut() -> f64) -> f64 {
    let mut sink = 0.0;
    let start = cpu_seconds();
    let mut passes = 0usize;
    while cpu_seconds() - start < seconds {
        for _ in 0..10 {
            sink += work();
        }
        passes += 10;
    }
    let used = cpu_seconds() - start;
    std::hint::black_box(sink);
    (passes * records) as f64 / used
}

fn main() {
    // `PASSES=n decode_rate <input> <typed|fields>`: a fixed amount of work, for
    // `perf stat` (instructions and cycles per record do not depend on the machine's load).
    if let Ok(passes) = std::env::var("PASSES") {
        let passes: usize = passes.parse().expect("PASSES is a number");
        let args: Vec<String> = std::env::args().collect();
        let name = args.get(1).map_or("cat048", String::as_str);
        let what = args.get(2).map_or("typed", String::as_str);
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/asterix-bench");
        let bytes = std::fs::read(dir.join(format!("{name}.bin"))).expect("input");
        let decoder = Decoder::default();
        let mut sink = 0.0;
        for _ in 0..passes {
            if what == "typed" {
                sink += decoder
                    .records(&bytes)
                    .flatten()
                    .map(|r| typed(&r))
                    .sum::<f64>();
            } else {
                let mut sum = Sum(0);
                for record in decoder.records(&bytes).flatten() {
                    for item in record.items() {
                        item.visit(&mut sum);
                    }
                }
                sink += sum.0 as f64;
            }
        }
        println!("{sink}");
        return;
    }
    let seconds: f64 = std::env::var("SECONDS_PER_RUN")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/asterix-bench");
    let decoder = Decoder::default();
    for name in ["cat048", "cat021", "cat062"] {
        let bytes = std::fs::read(dir.join(format!("{name}.bin")))
            .unwrap_or_else(|e| panic!("{name}.bin: {e}; run the criterion benchmark first"));
        let records = decoder.records(&bytes).filter(Result::is_ok).count();
        let typed_rate = rate(records, seconds, || {
            decoder.records(&bytes).flatten().map(|r| typed(&r)).sum()
        });
        let fields_rate = rate(records, seconds, || {
            let mut sum = Sum(0);
            for record in decoder.records(&bytes).flatten() {
                for item in record.items() {
                    item.visit(&mut sum);
                }
            }
            sum.0 as f64
        });
        println!(
            "{{\"input\":\"{name}\",\"records\":{records},\"typed_per_cpu_s\":{typed_rate:.0},\"fields_per_cpu_s\":{fields_rate:.0}}}"
        );
    }
}
