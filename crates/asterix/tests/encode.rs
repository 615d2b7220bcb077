//! Encoding typed reports: what goes in comes back out, for every encoded category and both
//! editions, and values that do not fit are refused.

use liptako_asterix::cat021::{
    Cat021Report, GroundVector, MopsVersion, QualityIndicators, VerticalRate,
};
use liptako_asterix::cat034::{Cat034Message, CollimationError, SourcePosition, SystemStatus};
use liptako_asterix::cat048::{
    Cartesian, Cat048Report, Communications, FlightLevelReply, Polar, PolarVelocity,
    TargetReportDescriptor, TrackStatus,
};
use liptako_asterix::cat062::{
    AircraftDerived, BarometricAltitude, Cat062Track, SelectedAltitude, TargetIdentification,
    TrackMode3A, TrackStatus as TrackStatus062, Velocity,
};
use liptako_asterix::encode::{BlockEncoder, EncodeRecord};
use liptako_asterix::tables::{cat021, cat034, cat048, cat062};
use liptako_asterix::types::{AirSpeed, ModeSRegisters};
use liptako_asterix::{DataSource, Decoder, Edition, Editions, EncodeError, Record, Wgs84};

fn encode<R: EncodeRecord>(edition: &'static Edition, record: &R) -> Vec<u8> {
    let mut block = BlockEncoder::new(edition);
    block.push(record).unwrap();
    let mut out = Vec::new();
    block.finish_into(&mut out).unwrap();
    out
}

fn decode_one<'b, T>(
    edition: &'static Edition,
    bytes: &'b [u8],
    read: impl Fn(&Record<'b>) -> T,
) -> T {
    let mut editions = Editions::current();
    editions.set(edition);
    let records: Vec<_> = Decoder::new(editions).records(bytes).collect();
    assert_eq!(records.len(), 1, "{records:?}");
    read(records[0].as_ref().unwrap())
}

/// `value` rounded to a multiple of `lsb`, as the encoder will.
fn on_grid(value: f64, lsb: f64) -> f64 {
    (value / lsb).round() * lsb
}

const LSB_23: f64 = 180.0 / 8_388_608.0;
const LSB_30: f64 = 180.0 / 1_073_741_824.0;

const REGISTERS: [[u8; 8]; 2] = [
    [0xC2, 0x36, 0xD4, 0x18, 0x20, 0x01, 0xC0, 0x40],
    [0x80, 0x31, 0xBC, 0x00, 0x00, 0x40, 0x0D, 0x60],
];

fn full_cat048() -> Cat048Report<'static> {
    Cat048Report {
        data_source: Some(DataSource { sac: 25, sic: 201 }),
        time_of_day_s: Some(27354.6015625),
        descriptor: Some(TargetReportDescriptor {
            typ: 5,
            spi: true,
            test: true,
            foe_fri: 2,
            ..TargetReportDescriptor::default()
        }),
        polar: Some(Polar {
            rho_nm: 197.68359375,
            theta_deg: 340.13671875,
        }),
        cartesian: Some(Cartesian {
            x_nm: -12.5,
            y_nm: 100.0078125,
        }),
        mode3a: Some("7700".parse().unwrap()),
        flight_level: Some(FlightLevelReply {
            flight_level: -3.25,
            validated: false,
            garbled: true,
        }),
        height_3d_ft: Some(-1200.0),
        track_number: Some(4095),
        track_status: Some(TrackStatus {
            rad: 2,
            climb_mode: 1,
            ghost: true,
            ..TrackStatus::default()
        }),
        velocity: Some(PolarVelocity {
            groundspeed_nmps: 0.1201171875,
            heading_deg: 124.002685546875,
        }),
        aircraft_address: Some("3C660C".parse().unwrap()),
        communications: Some(Communications {
            com: 1,
            flight_status: 2,
            aircraft_id_capable: true,
            b1b: 5,
            ..Communications::default()
        }),
        aircraft_id: Some("DLH65A".parse().unwrap()),
        mode_s_registers: ModeSRegisters::new(&REGISTERS),
        extended_range_nm: Some(312.5),
    }
}

#[test]
fn cat048_roundtrip_both_editions() {
    let report = full_cat048();
    let bytes = encode(&cat048::V1_32, &report);
    let back = decode_one(&cat048::V1_32, &bytes, |r| {
        Cat048Report::from_record(r).unwrap()
    });
    assert_eq!(back, report);
    // 1.21 has no described expansion field: no extended range there.
    let older = Cat048Report {
        extended_range_nm: None,
        ..report
    };
    let bytes = encode(&cat048::V1_21, &older);
    let back = decode_one(&cat048::V1_21, &bytes, |r| {
        Cat048Report::from_record(r).unwrap()
    });
    assert_eq!(back, older);
}

#[test]
fn cat048_extended_range_bit_is_refused_by_1_21() {
    let report = Cat048Report {
        descriptor: Some(TargetReportDescriptor {
            extended_range: true,
            ..TargetReportDescriptor::default()
        }),
        ..Cat048Report::default()
    };
    let mut block = BlockEncoder::new(&cat048::V1_21);
    let err = block.push(&report).unwrap_err();
    assert!(matches!(err, EncodeError::NoSuchField { .. }), "{err}");
    assert!(block.is_empty());
}

#[test]
fn out_of_range_is_an_error_not_a_wrap() {
    let report = Cat048Report {
        polar: Some(Polar {
            rho_nm: 300.0,
            theta_deg: 0.0,
        }),
        ..Cat048Report::default()
    };
    let err = BlockEncoder::new(&cat048::V1_32).push(&report).unwrap_err();
    assert_eq!(
        err.to_string(),
        "I048/040 RHO: 300 is outside 0..=255.99609375"
    );
}

#[test]
fn azimuth_wraps_at_360() {
    let report = Cat048Report {
        polar: Some(Polar {
            rho_nm: 1.0,
            theta_deg: 360.0,
        }),
        ..Cat048Report::default()
    };
    let bytes = encode(&cat048::V1_32, &report);
    let back = decode_one(&cat048::V1_32, &bytes, |r| {
        Cat048Report::from_record(r).unwrap()
    });
    assert_eq!(back.polar.unwrap().theta_deg, 0.0);
}

fn full_cat021() -> Cat021Report {
    Cat021Report {
        data_source: Some(DataSource { sac: 0, sic: 7 }),
        descriptor: Some(liptako_asterix::cat021::Cat021Descriptor {
            atp: 0,
            arc: 1,
            ground_bit: true,
            nogo: true,
            ..Default::default()
        }),
        track_number: Some(1234),
        service_id: Some(3),
        time_of_applicability_position_s: Some(45000.5),
        position_wgs84: Some(Wgs84 {
            lat_deg: on_grid(14.0, LSB_23),
            lon_deg: on_grid(-2.0, LSB_23),
        }),
        position_wgs84_high_res: Some(Wgs84 {
            lat_deg: on_grid(-33.5, LSB_30),
            lon_deg: on_grid(179.0, LSB_30),
        }),
        time_of_applicability_velocity_s: Some(45000.25),
        air_speed: Some(AirSpeed::Mach(0.785)),
        true_airspeed: Some(liptako_asterix::cat021::TrueAirspeed {
            tas_kt: 450.0,
            range_exceeded: false,
        }),
        aircraft_address: Some("A1B2C3".parse().unwrap()),
        time_of_message_reception_position_s: Some(45000.5078125),
        time_of_message_reception_position_hp: Some(liptako_asterix::cat021::HighPrecisionTime {
            fsi: 1,
            fraction_s: 0.5,
        }),
        time_of_message_reception_velocity_s: Some(45000.5),
        time_of_message_reception_velocity_hp: None,
        geometric_height_ft: Some(35012.5),
        quality: Some(QualityIndicators {
            nucr_nacv: 1,
            nucp_nic: 8,
            nic_baro: 1,
            sil: 3,
            nacp: 9,
            sil_per_sample: false,
            sda: 2,
            gva: 2,
            pic: 0,
        }),
        mops_version: Some(MopsVersion {
            not_supported: false,
            version: 2,
            link: 2,
        }),
        mode3a: Some("2000".parse().unwrap()),
        flight_level: Some(350.0),
        magnetic_heading_deg: Some(90.0),
        barometric_vertical_rate: Some(VerticalRate {
            ft_min: -1500.0,
            range_exceeded: false,
        }),
        geometric_vertical_rate: Some(VerticalRate {
            ft_min: 12.5,
            range_exceeded: true,
        }),
        ground_vector: Some(GroundVector {
            groundspeed_nmps: 0.125,
            track_angle_deg: 270.0,
            range_exceeded: false,
        }),
        time_of_report_transmission_s: Some(45000.75),
        aircraft_id: Some("SWA131".parse().unwrap()),
        emitter_category: Some(3),
    }
}

#[test]
fn cat021_roundtrip_both_editions() {
    let report = full_cat021();
    for edition in [&cat021::V2_7, &cat021::V2_6] {
        let bytes = encode(edition, &report);
        let back = decode_one(edition, &bytes, |r| Cat021Report::from_record(r).unwrap());
        assert_eq!(back, report, "edition {}", edition.version);
    }
}

#[test]
fn cat034_roundtrip_both_editions() {
    let message = Cat034Message {
        antenna_rotation_period_s: Some(4.0),
        system_status: Some(SystemStatus {
            rdp_overload: true,
            ..SystemStatus::default()
        }),
        collimation_error: Some(CollimationError {
            range_nm: -0.0625,
            azimuth_deg: 0.02197265625,
        }),
        source_position: Some(SourcePosition {
            height_m: 312.0,
            lat_deg: on_grid(12.5, LSB_23),
            lon_deg: on_grid(-1.5, LSB_23),
        }),
        ..Cat034Message::sector_crossing(DataSource { sac: 1, sic: 2 }, 100.0, 45.0)
    };
    for edition in [&cat034::V1_29, &cat034::V1_27] {
        let bytes = encode(edition, &message);
        let back = decode_one(edition, &bytes, |r| Cat034Message::from_record(r).unwrap());
        assert_eq!(back, message);
    }
}

#[test]
fn cat062_roundtrip_both_editions() {
    let track = Cat062Track {
        data_source: Some(DataSource { sac: 33, sic: 18 }),
        service_id: Some(1),
        time_of_track_s: Some(86399.9921875),
        position_wgs84: Some(Wgs84 {
            lat_deg: on_grid(41.9, 180.0 / 33554432.0),
            lon_deg: on_grid(12.5, 180.0 / 33554432.0),
        }),
        position_cartesian: Some(liptako_asterix::cat062::CartesianM {
            x_m: -1000.5,
            y_m: 250000.0,
        }),
        velocity: Some(Velocity {
            vx_mps: 220.25,
            vy_mps: -10.0,
        }),
        acceleration: Some(liptako_asterix::cat062::Acceleration {
            ax_mps2: 0.5,
            ay_mps2: -1.0,
        }),
        mode3a: Some(TrackMode3A {
            code: "7500".parse().unwrap(),
            validated: true,
            garbled: false,
            changed: true,
        }),
        target_identification: Some(TargetIdentification {
            sti: 1,
            id: "AZA123".parse().unwrap(),
        }),
        aircraft_derived: Some(AircraftDerived {
            address: Some("33FF01".parse().unwrap()),
            id: Some("AZA123".parse().unwrap()),
            magnetic_heading_deg: Some(180.0),
            air_speed: Some(AirSpeed::IasNmps(0.0625)),
            true_airspeed_kt: Some(480.0),
            selected_altitude: Some(SelectedAltitude {
                source_provided: true,
                source: 2,
                altitude_ft: 37000.0,
            }),
            barometric_vertical_rate_ft_min: Some(-800.0),
            geometric_vertical_rate_ft_min: None,
            roll_angle_deg: Some(-5.5),
            track_angle_deg: Some(45.0),
            ground_speed_nmps: Some(0.125),
            emitter_category: Some(5),
        }),
        track_number: Some(65535),
        status: Some(TrackStatus062 {
            mon: true,
            src: 4,
            tsb: true,
            md4: 2,
            ems: 3,
            sfc: true,
            ..TrackStatus062::default()
        }),
        measured_flight_level: Some(370.0),
        geometric_altitude_ft: Some(37500.0),
        barometric_altitude: Some(BarometricAltitude {
            flight_level: 369.75,
            qnh_corrected: false,
        }),
        rate_of_climb_ft_min: Some(0.0),
    };
    for edition in [&cat062::V1_21, &cat062::V1_18] {
        let bytes = encode(edition, &track);
        let back = decode_one(edition, &bytes, |r| Cat062Track::from_record(r).unwrap());
        assert_eq!(back, track, "edition {}", edition.version);
    }
}
