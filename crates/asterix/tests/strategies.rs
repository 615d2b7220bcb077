//! proptest strategies for the typed reports, with every quantity on its item's grid (so a
//! round trip is exact) and inside its range.

use liptako_asterix::cat021::{
    Cat021Descriptor, Cat021Report, GroundVector, HighPrecisionTime, MopsVersion,
    QualityIndicators, TrueAirspeed, VerticalRate,
};
use liptako_asterix::cat034::{
    Cat034Message, CollimationError, MessageType, SourcePosition, SystemStatus,
};
use liptako_asterix::cat048::{
    Cartesian, Cat048Report, Communications, FlightLevelReply, Mode3AReply, Polar, PolarVelocity,
    TargetReportDescriptor, TrackStatus,
};
use liptako_asterix::cat062::{
    Acceleration, AircraftDerived, BarometricAltitude, CartesianM, Cat062Track, SelectedAltitude,
    TargetIdentification, TrackMode3A, TrackStatus as Status062, Velocity,
};
use liptako_asterix::types::{AirSpeed, AircraftAddress, AircraftId, DataSource, Mode3A, Wgs84};
use proptest::option::of;
use proptest::prelude::*;

/// `raw * lsb` for an unsigned `bits`-bit raw value.
fn unsigned(bits: u32, lsb: f64) -> impl Strategy<Value = f64> {
    (0u64..(1u64 << bits)).prop_map(move |raw| raw as f64 * lsb)
}

/// `raw * lsb` for a signed `bits`-bit raw value.
fn signed(bits: u32, lsb: f64) -> impl Strategy<Value = f64> {
    let half = 1i64 << (bits - 1);
    (-half..half).prop_map(move |raw| raw as f64 * lsb)
}

pub fn data_source() -> impl Strategy<Value = DataSource> {
    (any::<u8>(), any::<u8>()).prop_map(|(sac, sic)| DataSource { sac, sic })
}

pub fn mode3a() -> impl Strategy<Value = Mode3A> {
    (0u16..=0o7777).prop_map(|bits| Mode3A::new(bits).unwrap())
}

pub fn address() -> impl Strategy<Value = AircraftAddress> {
    (0u32..=0xFF_FFFF).prop_map(|bits| AircraftAddress::new(bits).unwrap())
}

pub fn aircraft_id() -> impl Strategy<Value = AircraftId> {
    "[A-Z0-9]{0,8}".prop_map(|text| text.parse().unwrap())
}

fn time_of_day() -> impl Strategy<Value = f64> {
    (0u32..86_400 * 128).prop_map(|raw| f64::from(raw) / 128.0)
}

pub fn cat048() -> impl Strategy<Value = Cat048Report<'static>> {
    let descriptor =
        (0u8..8, any::<[bool; 8]>(), 0u8..4).prop_map(|(typ, f, foe_fri)| TargetReportDescriptor {
            typ,
            simulated: f[0],
            rdp_chain_2: f[1],
            spi: f[2],
            fixed_transponder: f[3],
            test: f[4],
            extended_range: f[5],
            x_pulse: f[6],
            military_emergency: f[7],
            military_id: f[0] && f[1],
            foe_fri,
        });
    let polar = (unsigned(16, 1.0 / 256.0), unsigned(16, 360.0 / 65536.0))
        .prop_map(|(rho_nm, theta_deg)| Polar { rho_nm, theta_deg });
    let cartesian = (signed(16, 1.0 / 128.0), signed(16, 1.0 / 128.0))
        .prop_map(|(x_nm, y_nm)| Cartesian { x_nm, y_nm });
    let mode3a = (mode3a(), any::<[bool; 3]>()).prop_map(|(code, f)| Mode3AReply {
        code,
        validated: f[0],
        garbled: f[1],
        smoothed: f[2],
    });
    let fl =
        (signed(14, 0.25), any::<[bool; 2]>()).prop_map(|(flight_level, f)| FlightLevelReply {
            flight_level,
            validated: f[0],
            garbled: f[1],
        });
    let status =
        (any::<[bool; 7]>(), 0u8..4, 0u8..4).prop_map(|(f, rad, climb_mode)| TrackStatus {
            tentative: f[0],
            rad,
            doubtful: f[1],
            manoeuvre: f[2],
            climb_mode,
            end_of_track: f[3],
            ghost: f[4],
            supplementary: f[5],
            slant_corrected: f[6],
        });
    let velocity = (unsigned(16, 1.0 / 16384.0), unsigned(16, 360.0 / 65536.0)).prop_map(
        |(groundspeed_nmps, heading_deg)| PolarVelocity {
            groundspeed_nmps,
            heading_deg,
        },
    );
    let comms = (0u8..8, 0u8..8, any::<[bool; 4]>(), 0u8..2, 0u8..16).prop_map(
        |(com, flight_status, f, b1a, b1b)| Communications {
            com,
            flight_status,
            si_capable: f[0],
            mode_s_specific_service: f[1],
            altitude_25ft: f[2],
            aircraft_id_capable: f[3],
            b1a,
            b1b,
        },
    );
    (
        (
            of(data_source()),
            of(time_of_day()),
            of(descriptor),
            of(polar),
            of(cartesian),
            of(mode3a),
            of(fl),
        ),
        (
            of(signed(14, 25.0)),
            of(0u16..4096),
            of(status),
            of(velocity),
            of(address()),
            of(comms),
            of(aircraft_id()),
            of(unsigned(24, 1.0 / 256.0)),
        ),
    )
        .prop_map(
            |(
                (data_source, time_of_day_s, descriptor, polar, cartesian, mode3a, flight_level),
                (
                    height_3d_ft,
                    track_number,
                    track_status,
                    velocity,
                    aircraft_address,
                    communications,
                    aircraft_id,
                    extended_range_nm,
                ),
            )| Cat048Report {
                data_source,
                time_of_day_s,
                descriptor,
                polar,
                cartesian,
                mode3a,
                flight_level,
                height_3d_ft,
                track_number,
                track_status,
                velocity,
                aircraft_address,
                communications,
                aircraft_id,
                mode_s_registers: Default::default(),
                extended_range_nm,
            },
        )
}

pub fn cat021() -> impl Strategy<Value = Cat021Report> {
    let descriptor =
        (0u8..8, 0u8..4, any::<[bool; 12]>(), 0u8..4).prop_map(|(atp, arc, f, confidence)| {
            Cat021Descriptor {
                atp,
                arc,
                range_check: f[0],
                fixed_transponder: f[1],
                differential_correction: f[2],
                ground_bit: f[3],
                simulated: f[4],
                test: f[5],
                selected_altitude_available: f[6],
                confidence,
                list_lookup_failed: f[7],
                independent_position_check_failed: f[8],
                nogo: f[9],
                cpr_failed: f[10],
                local_decoding_jump: f[11],
                range_check_failed: f[0] && f[11],
            }
        });
    let lat23 = 180.0 / 8_388_608.0;
    let lat30 = 180.0 / 1_073_741_824.0;
    let wgs23 =
        ((-4_194_304i64..=4_194_304), (-8_388_608i64..8_388_608)).prop_map(move |(a, b)| Wgs84 {
            lat_deg: a as f64 * lat23,
            lon_deg: b as f64 * lat23,
        });
    let wgs30 = (
        (-536_870_912i64..=536_870_912),
        (-1_073_741_824i64..1_073_741_824),
    )
        .prop_map(move |(a, b)| Wgs84 {
            lat_deg: a as f64 * lat30,
            lon_deg: b as f64 * lat30,
        });
    let air_speed = prop_oneof![
        unsigned(15, 1.0 / 16384.0).prop_map(AirSpeed::IasNmps),
        (0u32..32768).prop_map(|raw| AirSpeed::Mach(f64::from(raw) * 0.001)),
    ];
    let tas = (0u32..32768, any::<bool>()).prop_map(|(raw, range_exceeded)| TrueAirspeed {
        tas_kt: f64::from(raw),
        range_exceeded,
    });
    let hp = || {
        (0u8..4, 0u32..(1 << 30)).prop_map(|(fsi, raw)| HighPrecisionTime {
            fsi,
            fraction_s: f64::from(raw) / 1_073_741_824.0,
        })
    };
    let rate = || {
        (signed(15, 6.25), any::<bool>()).prop_map(|(ft_min, range_exceeded)| VerticalRate {
            ft_min,
            range_exceeded,
        })
    };
    let vector = (
        unsigned(15, 1.0 / 16384.0),
        unsigned(16, 360.0 / 65536.0),
        any::<bool>(),
    )
        .prop_map(
            |(groundspeed_nmps, track_angle_deg, range_exceeded)| GroundVector {
                groundspeed_nmps,
                track_angle_deg,
                range_exceeded,
            },
        );
    let quality = (
        0u8..8,
        0u8..16,
        0u8..2,
        0u8..4,
        0u8..16,
        any::<bool>(),
        0u8..4,
        0u8..4,
        0u8..16,
    )
        .prop_map(
            |(nucr_nacv, nucp_nic, nic_baro, sil, nacp, sil_per_sample, sda, gva, pic)| {
                QualityIndicators {
                    nucr_nacv,
                    nucp_nic,
                    nic_baro,
                    sil,
                    nacp,
                    sil_per_sample,
                    sda,
                    gva,
                    pic,
                }
            },
        );
    let mops =
        (any::<bool>(), 0u8..8, 0u8..8).prop_map(|(not_supported, version, link)| MopsVersion {
            not_supported,
            version,
            link,
        });
    (
        (
            of(data_source()),
            of(descriptor),
            of(0u16..4096),
            of(any::<u8>()),
            of(time_of_day()),
            of(wgs23),
            of(wgs30),
            of(time_of_day()),
            of(air_speed),
            of(tas),
        ),
        (
            of(address()),
            of(time_of_day()),
            of(hp()),
            of(time_of_day()),
            of(hp()),
            of(signed(16, 6.25)),
            of(quality),
            of(mops),
            of(mode3a()),
            of(signed(16, 0.25)),
        ),
        (
            of(unsigned(16, 360.0 / 65536.0)),
            of(rate()),
            of(rate()),
            of(vector),
            of(time_of_day()),
            of(aircraft_id()),
            of(any::<u8>()),
        ),
    )
        .prop_map(
            |(
                (
                    data_source,
                    descriptor,
                    track_number,
                    service_id,
                    tap,
                    position_wgs84,
                    position_wgs84_high_res,
                    tav,
                    air_speed,
                    true_airspeed,
                ),
                (
                    aircraft_address,
                    tmrp,
                    tmrp_hp,
                    tmrv,
                    tmrv_hp,
                    geometric_height_ft,
                    quality,
                    mops_version,
                    mode3a,
                    flight_level,
                ),
                (
                    magnetic_heading_deg,
                    barometric_vertical_rate,
                    geometric_vertical_rate,
                    ground_vector,
                    trt,
                    aircraft_id,
                    emitter_category,
                ),
            )| Cat021Report {
                data_source,
                descriptor,
                track_number,
                service_id,
                time_of_applicability_position_s: tap,
                position_wgs84,
                position_wgs84_high_res,
                time_of_applicability_velocity_s: tav,
                air_speed,
                true_airspeed,
                aircraft_address,
                time_of_message_reception_position_s: tmrp,
                time_of_message_reception_position_hp: tmrp_hp,
                time_of_message_reception_velocity_s: tmrv,
                time_of_message_reception_velocity_hp: tmrv_hp,
                geometric_height_ft,
                quality,
                mops_version,
                mode3a,
                flight_level,
                magnetic_heading_deg,
                barometric_vertical_rate,
                geometric_vertical_rate,
                ground_vector,
                time_of_report_transmission_s: trt,
                aircraft_id,
                emitter_category,
            },
        )
}

pub fn cat034() -> impl Strategy<Value = Cat034Message> {
    let lat23 = 180.0 / 8_388_608.0;
    let status = any::<[bool; 7]>().prop_map(|f| SystemStatus {
        nogo: f[0],
        rdp_chain_2: f[1],
        rdp_reset: f[2],
        rdp_overload: f[3],
        transmission_overload: f[4],
        monitoring_disconnected: f[5],
        time_source_invalid: f[6],
    });
    let collimation =
        (signed(8, 1.0 / 128.0), signed(8, 360.0 / 16384.0)).prop_map(|(range_nm, azimuth_deg)| {
            CollimationError {
                range_nm,
                azimuth_deg,
            }
        });
    let position = (
        signed(16, 1.0),
        -4_194_304i64..=4_194_304,
        -8_388_608i64..8_388_608,
    )
        .prop_map(move |(height_m, lat, lon)| SourcePosition {
            height_m,
            lat_deg: lat as f64 * lat23,
            lon_deg: lon as f64 * lat23,
        });
    (
        of(data_source()),
        of(any::<u8>().prop_map(MessageType::from_code)),
        of(time_of_day()),
        of(unsigned(8, 360.0 / 256.0)),
        of(unsigned(16, 1.0 / 128.0)),
        of(status),
        of(collimation),
        of(position),
    )
        .prop_map(
            |(
                data_source,
                message_type,
                time_of_day_s,
                sector_azimuth_deg,
                antenna_rotation_period_s,
                system_status,
                collimation_error,
                source_position,
            )| {
                Cat034Message {
                    data_source,
                    message_type,
                    time_of_day_s,
                    sector_azimuth_deg,
                    antenna_rotation_period_s,
                    system_status,
                    collimation_error,
                    source_position,
                }
            },
        )
}

pub fn cat062() -> impl Strategy<Value = Cat062Track> {
    let lat25 = 180.0 / 33_554_432.0;
    let wgs =
        ((-16_777_216i64..=16_777_216), (-33_554_432i64..33_554_432)).prop_map(move |(a, b)| {
            Wgs84 {
                lat_deg: a as f64 * lat25,
                lon_deg: b as f64 * lat25,
            }
        });
    let cartesian =
        (signed(24, 0.5), signed(24, 0.5)).prop_map(|(x_m, y_m)| CartesianM { x_m, y_m });
    let velocity = (signed(16, 0.25), signed(16, 0.25))
        .prop_map(|(vx_mps, vy_mps)| Velocity { vx_mps, vy_mps });
    let acceleration = (signed(8, 0.25), signed(8, 0.25))
        .prop_map(|(ax_mps2, ay_mps2)| Acceleration { ax_mps2, ay_mps2 });
    let mode3a = (mode3a(), any::<[bool; 3]>()).prop_map(|(code, f)| TrackMode3A {
        code,
        validated: f[0],
        garbled: f[1],
        changed: f[2],
    });
    let target = (0u8..4, aircraft_id()).prop_map(|(sti, id)| TargetIdentification { sti, id });
    let air_speed = prop_oneof![
        unsigned(15, 1.0 / 16384.0).prop_map(AirSpeed::IasNmps),
        (0u32..32768).prop_map(|raw| AirSpeed::Mach(f64::from(raw) * 0.001)),
    ];
    let selected = (any::<bool>(), 0u8..4, signed(13, 25.0)).prop_map(
        |(source_provided, source, altitude_ft)| SelectedAltitude {
            source_provided,
            source,
            altitude_ft,
        },
    );
    let derived = (
        (
            of(address()),
            of(aircraft_id()),
            of(unsigned(16, 360.0 / 65536.0)),
            of(air_speed),
            of(unsigned(16, 1.0)),
            of(selected),
        ),
        (
            of(signed(16, 6.25)),
            of(signed(16, 6.25)),
            of(signed(16, 0.01)),
            of(unsigned(16, 360.0 / 65536.0)),
            of(signed(16, 1.0 / 16384.0)),
            of(any::<u8>()),
        ),
    )
        .prop_map(
            |(
                (address, id, mhg, air_speed, tas, selected_altitude),
                (bvr, gvr, ran, tan, gs, emc),
            )| AircraftDerived {
                address,
                id,
                magnetic_heading_deg: mhg,
                air_speed,
                true_airspeed_kt: tas,
                selected_altitude,
                barometric_vertical_rate_ft_min: bvr,
                geometric_vertical_rate_ft_min: gvr,
                roll_angle_deg: ran,
                track_angle_deg: tan,
                ground_speed_nmps: gs,
                emitter_category: emc,
            },
        )
        // An I062/380 needs a subfield: an empty one is encoded as no item at all.
        .prop_filter("I062/380 with a subfield", |d| {
            *d != AircraftDerived::default()
        });
    let status = (any::<[bool; 30]>(), 0u8..8, 0u8..4, 0u8..4, 0u8..4, 0u8..8).prop_map(
        |(f, src, md4, md5, sds, ems)| Status062 {
            mon: f[0],
            spi: f[1],
            mrh: f[2],
            src,
            cnf: f[3],
            sim: f[4],
            tse: f[5],
            tsb: f[6],
            fpc: f[7],
            aff: f[8],
            stp: f[9],
            kos: f[10],
            ama: f[11],
            md4,
            me: f[12],
            mi: f[13],
            md5,
            cst: f[14],
            psr: f[15],
            ssr: f[16],
            mds: f[17],
            ads: f[18],
            suc: f[19],
            aac: f[20],
            sds,
            ems,
            pft: f[21],
            fplt: f[22],
            dupt: f[23],
            dupf: f[24],
            dupm: f[25],
            sfc: f[26],
            idd: f[27],
            iec: f[28],
            mlat: f[29],
            m5i: f[29] && f[0],
        },
    );
    let baro = (signed(15, 0.25), any::<bool>()).prop_map(|(flight_level, qnh_corrected)| {
        BarometricAltitude {
            flight_level,
            qnh_corrected,
        }
    });
    (
        (
            of(data_source()),
            of(any::<u8>()),
            of(time_of_day()),
            of(wgs),
            of(cartesian),
            of(velocity),
            of(acceleration),
            of(mode3a),
        ),
        (
            of(target),
            of(derived),
            of(any::<u16>()),
            of(status),
            of(signed(16, 0.25)),
            of(signed(16, 6.25)),
            of(baro),
            of(signed(16, 6.25)),
        ),
    )
        .prop_map(
            |(
                (
                    data_source,
                    service_id,
                    time_of_track_s,
                    position_wgs84,
                    position_cartesian,
                    velocity,
                    acceleration,
                    mode3a,
                ),
                (
                    target_identification,
                    aircraft_derived,
                    track_number,
                    status,
                    measured_flight_level,
                    geometric_altitude_ft,
                    barometric_altitude,
                    rate_of_climb_ft_min,
                ),
            )| Cat062Track {
                data_source,
                service_id,
                time_of_track_s,
                position_wgs84,
                position_cartesian,
                velocity,
                acceleration,
                mode3a,
                target_identification,
                aircraft_derived,
                track_number,
                status,
                measured_flight_level,
                geometric_altitude_ft,
                barometric_altitude,
                rate_of_climb_ft_min,
            },
        )
}

/// What an older edition cannot carry, cleared (the encoder refuses set bits it lacks).
pub fn for_cat048_1_21(mut report: Cat048Report<'static>) -> Cat048Report<'static> {
    if let Some(d) = report.descriptor.as_mut() {
        d.extended_range = false;
    }
    report.extended_range_nm = None;
    report
}

/// What CAT062 1.18 cannot carry (MLAT and M5I of I062/080), cleared.
pub fn for_cat062_1_18(mut track: Cat062Track) -> Cat062Track {
    if let Some(s) = track.status.as_mut() {
        s.mlat = false;
        s.m5i = false;
    }
    track
}
