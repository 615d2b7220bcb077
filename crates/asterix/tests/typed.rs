//! The typed views read the same values as the tables: on every record of the sample and
//! shared captures and on generated records of every edition, each typed field equals the
//! generic field view of the same item (so a typed accessor cannot drift from its table).

use std::path::PathBuf;

use liptako_asterix::capture::Capture;
use liptako_asterix::cat021::Cat021Report;
use liptako_asterix::cat034::Cat034Message;
use liptako_asterix::cat048::Cat048Report;
use liptako_asterix::cat062::Cat062Track;
use liptako_asterix::cat065::Cat065Message;
use liptako_asterix::fields::{FieldAt, Value, Visitor};
use liptako_asterix::spec::{Field, SubItem};
use liptako_asterix::tables;
use liptako_asterix::types::AirSpeed;
use liptako_asterix::{BlockEncoder, Decoder, Editions, Record};

use crate::generate::{Options, Rng, random_record};

/// The value of field `name` (or `SUB/NAME` in a compound item) of item `id`.
fn generic(record: &Record<'_>, id: &str, path: &str) -> Option<Value> {
    struct Find<'p> {
        sub: Option<&'p str>,
        name: &'p str,
        current: Option<&'static str>,
        found: Option<Value>,
    }
    impl Visitor for Find<'_> {
        fn field(&mut self, field: &'static Field, _: FieldAt, _: u64, value: Value) {
            if field.name == self.name && self.current == self.sub && self.found.is_none() {
                self.found = Some(value);
            }
        }
        fn begin_subfield(&mut self, _: usize, sub: &'static SubItem) {
            self.current = Some(sub.name);
        }
        fn end_subfield(&mut self) {
            self.current = None;
        }
    }
    let (sub, name) = match path.split_once('/') {
        Some((sub, name)) => (Some(sub), name),
        None => (None, path),
    };
    let mut find = Find {
        sub,
        name,
        current: None,
        found: None,
    };
    record.item(id)?.visit(&mut find);
    find.found
}

fn num(record: &Record<'_>, id: &str, path: &str) -> Option<f64> {
    match generic(record, id, path)? {
        Value::Number { value, .. } => Some(value),
        Value::Unsigned(raw) => Some(raw as f64),
        _ => None,
    }
}

fn text(record: &Record<'_>, id: &str, path: &str) -> Option<String> {
    match generic(record, id, path)? {
        Value::Text(text) => Some(text.as_str().trim_end().to_owned()),
        _ => None,
    }
}

fn check(record: &Record<'_>) {
    let ctx = || format!("{} record at {}", record.edition().name(), record.offset());
    match record.category() {
        48 => {
            let r = Cat048Report::from_record(record).unwrap();
            assert_eq!(
                r.data_source.map(|s| f64::from(s.sac)),
                num(record, "010", "SAC"),
                "{}",
                ctx()
            );
            assert_eq!(r.time_of_day_s, num(record, "140", "TOD"), "{}", ctx());
            assert_eq!(
                r.polar.map(|p| p.rho_nm),
                num(record, "040", "RHO"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.polar.map(|p| p.theta_deg),
                num(record, "040", "THETA"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.cartesian.map(|p| p.x_nm),
                num(record, "042", "X"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.cartesian.map(|p| p.y_nm),
                num(record, "042", "Y"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.mode3a.map(|m| m.code.to_string()),
                text(record, "070", "MODE3A"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.mode3a.map(|m| f64::from(u8::from(!m.validated))),
                num(record, "070", "V"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.flight_level.map(|f| f.flight_level),
                num(record, "090", "FL"),
                "{}",
                ctx()
            );
            assert_eq!(r.height_3d_ft, num(record, "110", "3DH"), "{}", ctx());
            assert_eq!(
                r.track_number.map(f64::from),
                num(record, "161", "TRN"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.velocity.map(|v| v.groundspeed_nmps),
                num(record, "200", "GSP"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.velocity.map(|v| v.heading_deg),
                num(record, "200", "HDG"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.aircraft_address.map(|a| a.to_string()),
                text(record, "220", "ADR"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.aircraft_id.map(|a| a.to_string()),
                text(record, "240", "TID"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.descriptor.map(|d| f64::from(d.typ)),
                num(record, "020", "TYP"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.track_status.map(|s| f64::from(s.climb_mode)),
                num(record, "170", "CDM"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.communications.map(|c| f64::from(c.b1b)),
                num(record, "230", "B1B"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.extended_range_nm,
                num(record, "RE", "ERR/RHO"),
                "{}",
                ctx()
            );
            let n_registers = record.item("250").map_or(0, |i| usize::from(i.bytes[0]));
            assert_eq!(r.mode_s_registers.len(), n_registers, "{}", ctx());
            for (index, register) in r.mode_s_registers.iter().enumerate() {
                if let Some(bds40) = register.selected_vertical_intention() {
                    let raw = record.item("250").unwrap().bytes[1 + 8 * index..][..8].to_vec();
                    let mcp = ((u16::from(raw[0]) << 8 | u16::from(raw[1])) >> 3) & 0x0fff;
                    assert_eq!(bds40.mcp_altitude_ft.is_some(), raw[0] & 0x80 != 0);
                    if let Some(ft) = bds40.mcp_altitude_ft {
                        assert_eq!(ft, f64::from(mcp) * 16.0);
                    }
                }
            }
        }
        21 => {
            let r = Cat021Report::from_record(record).unwrap();
            assert_eq!(
                r.data_source.map(|s| f64::from(s.sic)),
                num(record, "010", "SIC"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.track_number.map(f64::from),
                num(record, "161", "TRNUM"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.time_of_applicability_position_s,
                num(record, "071", "TAP"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.time_of_message_reception_position_s,
                num(record, "073", "TMRP"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.time_of_report_transmission_s,
                num(record, "077", "TRT"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.position_wgs84.map(|p| p.lat_deg),
                num(record, "130", "LAT"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.position_wgs84.map(|p| p.lon_deg),
                num(record, "130", "LON"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.position_wgs84_high_res.map(|p| p.lat_deg),
                num(record, "131", "LAT"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.position_wgs84_high_res.map(|p| p.lon_deg),
                num(record, "131", "LON"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.aircraft_address.map(|a| a.to_string()),
                text(record, "080", "ADR"),
                "{}",
                ctx()
            );
            assert_eq!(r.geometric_height_ft, num(record, "140", "GH"), "{}", ctx());
            assert_eq!(r.flight_level, num(record, "145", "FL"), "{}", ctx());
            assert_eq!(
                r.mode3a.map(|m| m.to_string()),
                text(record, "070", "MODE3A"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.barometric_vertical_rate.map(|v| v.ft_min),
                num(record, "155", "BVR"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.geometric_vertical_rate.map(|v| v.ft_min),
                num(record, "157", "GVR"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.ground_vector.map(|v| v.groundspeed_nmps),
                num(record, "160", "GS"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.ground_vector.map(|v| v.track_angle_deg),
                num(record, "160", "TA"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.aircraft_id.map(|a| a.to_string()),
                text(record, "170", "TID"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.magnetic_heading_deg,
                num(record, "152", "MHG"),
                "{}",
                ctx()
            );
            let speed = r.air_speed.map(|s| match s {
                AirSpeed::IasNmps(v) | AirSpeed::Mach(v) => v,
            });
            assert_eq!(speed, num(record, "150", "AS"), "{}", ctx());
            assert_eq!(
                r.quality
                    .map(|q| f64::from(q.nacp))
                    .filter(|_| record.item("090").is_some_and(|i| i.bytes.len() > 1)),
                num(record, "090", "NACP"),
                "{}",
                ctx()
            );
            assert_eq!(
                r.mops_version.map(|m| f64::from(m.version)),
                num(record, "210", "VN"),
                "{}",
                ctx()
            );
        }
        62 => {
            let t = Cat062Track::from_record(record).unwrap();
            assert_eq!(t.time_of_track_s, num(record, "070", "TOT"), "{}", ctx());
            assert_eq!(
                t.position_wgs84.map(|p| p.lat_deg),
                num(record, "105", "LAT"),
                "{}",
                ctx()
            );
            assert_eq!(
                t.position_wgs84.map(|p| p.lon_deg),
                num(record, "105", "LON"),
                "{}",
                ctx()
            );
            assert_eq!(
                t.position_cartesian.map(|p| p.x_m),
                num(record, "100", "X"),
                "{}",
                ctx()
            );
            assert_eq!(
                t.position_cartesian.map(|p| p.y_m),
                num(record, "100", "Y"),
                "{}",
                ctx()
            );
            assert_eq!(
                t.velocity.map(|v| v.vx_mps),
                num(record, "185", "VX"),
                "{}",
                ctx()
            );
            assert_eq!(
                t.velocity.map(|v| v.vy_mps),
                num(record, "185", "VY"),
                "{}",
                ctx()
            );
            assert_eq!(
                t.acceleration.map(|a| a.ax_mps2),
                num(record, "210", "AX"),
                "{}",
                ctx()
            );
            assert_eq!(
                t.mode3a.map(|m| m.code.to_string()),
                text(record, "060", "MODE3A"),
                "{}",
                ctx()
            );
            assert_eq!(
                t.track_number.map(f64::from),
                num(record, "040", "TRN"),
                "{}",
                ctx()
            );
            assert_eq!(
                t.measured_flight_level,
                num(record, "136", "MFL"),
                "{}",
                ctx()
            );
            assert_eq!(
                t.geometric_altitude_ft,
                num(record, "130", "ALT"),
                "{}",
                ctx()
            );
            assert_eq!(
                t.barometric_altitude.map(|b| b.flight_level),
                num(record, "135", "CTB"),
                "{}",
                ctx()
            );
            assert_eq!(
                t.rate_of_climb_ft_min,
                num(record, "220", "ROCD"),
                "{}",
                ctx()
            );
            assert_eq!(
                t.status.map(|s| f64::from(s.src)),
                num(record, "080", "SRC"),
                "{}",
                ctx()
            );
            assert_eq!(
                t.target_identification.map(|i| i.id.to_string()),
                text(record, "245", "CHR"),
                "{}",
                ctx()
            );
            let derived = t.aircraft_derived.unwrap_or_default();
            assert_eq!(
                derived.address.map(|a| a.to_string()),
                text(record, "380", "ADR/ADR"),
                "{}",
                ctx()
            );
            assert_eq!(
                derived.id.map(|a| a.to_string()),
                text(record, "380", "ID/ID"),
                "{}",
                ctx()
            );
            assert_eq!(
                derived.magnetic_heading_deg,
                num(record, "380", "MHG/MHG"),
                "{}",
                ctx()
            );
            assert_eq!(
                derived.true_airspeed_kt,
                num(record, "380", "TAS/TAS"),
                "{}",
                ctx()
            );
            assert_eq!(
                derived.selected_altitude.map(|s| s.altitude_ft),
                num(record, "380", "SAL/ALT"),
                "{}",
                ctx()
            );
            assert_eq!(
                derived.barometric_vertical_rate_ft_min,
                num(record, "380", "BVR/BVR"),
                "{}",
                ctx()
            );
            assert_eq!(
                derived.roll_angle_deg,
                num(record, "380", "RAN/RAN"),
                "{}",
                ctx()
            );
            assert_eq!(
                derived.track_angle_deg,
                num(record, "380", "TAN/TAN"),
                "{}",
                ctx()
            );
            assert_eq!(
                derived.ground_speed_nmps,
                num(record, "380", "GS/GS"),
                "{}",
                ctx()
            );
            assert_eq!(
                derived.emitter_category.map(f64::from),
                num(record, "380", "EMC/EMC"),
                "{}",
                ctx()
            );
        }
        34 => {
            let m = Cat034Message::from_record(record).unwrap();
            assert_eq!(
                m.message_type.map(|t| f64::from(t.code())),
                num(record, "000", "MT"),
                "{}",
                ctx()
            );
            assert_eq!(m.time_of_day_s, num(record, "030", "TOD"), "{}", ctx());
            assert_eq!(m.sector_azimuth_deg, num(record, "020", "SN"), "{}", ctx());
            assert_eq!(
                m.antenna_rotation_period_s,
                num(record, "041", "ARS"),
                "{}",
                ctx()
            );
            assert_eq!(
                m.collimation_error.map(|c| c.range_nm),
                num(record, "090", "RNG"),
                "{}",
                ctx()
            );
            assert_eq!(
                m.source_position.map(|p| p.height_m),
                num(record, "120", "HGT"),
                "{}",
                ctx()
            );
            assert_eq!(
                m.source_position.map(|p| p.lat_deg),
                num(record, "120", "LAT"),
                "{}",
                ctx()
            );
            assert_eq!(
                m.system_status.map(|s| f64::from(u8::from(s.nogo))),
                num(record, "050", "COM/NOGO"),
                "{}",
                ctx()
            );
        }
        65 => {
            let m = Cat065Message::from_record(record).unwrap();
            assert_eq!(
                m.message_type.map(f64::from),
                num(record, "000", "MT"),
                "{}",
                ctx()
            );
            assert_eq!(
                m.service_id.map(f64::from),
                num(record, "015", "SID"),
                "{}",
                ctx()
            );
            assert_eq!(m.time_of_message_s, num(record, "030", "TOD"), "{}", ctx());
            assert_eq!(
                m.batch_number.map(f64::from),
                num(record, "020", "BTN"),
                "{}",
                ctx()
            );
            assert_eq!(
                m.sdps_status.map(|s| f64::from(s.processing_system)),
                num(record, "040", "PSS"),
                "{}",
                ctx()
            );
        }
        _ => {}
    }
}

fn capture_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(crate::reference::shared_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "md"))
        .collect();
    files.sort();
    files
}

#[test]
fn typed_views_read_what_the_tables_read_in_real_captures() {
    let mut checked = 0;
    for file in capture_files() {
        let bytes = std::fs::read(&file).unwrap();
        for edition_set in [Editions::current(), older()] {
            for datagram in Capture::new(&bytes).unwrap() {
                for record in Decoder::new(edition_set)
                    .records(&datagram.unwrap().payload)
                    .flatten()
                {
                    check(&record);
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 50_000, "{checked}");
}

#[test]
fn typed_views_read_what_the_tables_read_in_generated_records() {
    let mut rng = Rng::new(0x5eed);
    for edition in tables::ALL {
        for _ in 0..50 {
            let mut block = BlockEncoder::new(edition);
            for _ in 0..4 {
                random_record(&mut block, &mut rng, Options { explicit: true });
            }
            let mut bytes = Vec::new();
            block.finish_into(&mut bytes).unwrap();
            let mut editions = Editions::current();
            editions.set(edition);
            for record in Decoder::new(editions).records(&bytes) {
                check(&record.unwrap());
            }
        }
    }
}

fn older() -> Editions {
    let mut editions = Editions::current();
    for edition in tables::ALL.iter().skip(1).step_by(2) {
        editions.set(edition);
    }
    editions
}
