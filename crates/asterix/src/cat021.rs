//! CAT021 ADS-B target reports, typed: what a tracker reads from an ADS-B report, and what
//! the simulator writes.
//!
//! [`Cat021Report::from_record`] reads the items below straight from the record's bytes;
//! [`Cat021Report`] implements [`EncodeRecord`], writing the items that are `Some`. Every other
//! item stays available raw through [`Record::item`].
//!
//! Times are seconds since midnight UTC. [`Cat021Report::time_of_day_s`] and
//! [`Cat021Report::position`] pick what a tracker should use when several items carry it: the
//! time of applicability for position (I021/071), else the time of message reception for
//! position (I021/073); the high-resolution position (I021/131), else I021/130.

use crate::decode::Record;
use crate::encode::{Content, EncodeRecord, FieldValue, FieldValue::*, RecordWriter};
use crate::error::EncodeError;
use crate::fields::{flag_at, sign_extend, u8_at, u16_at, u24_at, u32_at};
use crate::types::{AirSpeed, AircraftAddress, AircraftId, DataSource, Mode3A, Wgs84};

// Positions in `tables::cat021::KNOWN`.
const K010: usize = 0;
const K040: usize = 1;
const K161: usize = 2;
const K015: usize = 3;
const K071: usize = 4;
const K130: usize = 5;
const K131: usize = 6;
const K072: usize = 7;
const K150: usize = 8;
const K151: usize = 9;
const K080: usize = 10;
const K073: usize = 11;
const K074: usize = 12;
const K075: usize = 13;
const K076: usize = 14;
const K140: usize = 15;
const K090: usize = 16;
const K210: usize = 17;
const K070: usize = 18;
const K145: usize = 19;
const K152: usize = 20;
const K155: usize = 21;
const K157: usize = 22;
const K160: usize = 23;
const K077: usize = 24;
const K170: usize = 25;
const K020: usize = 26;

const LAT_24: f64 = 180.0 / 8_388_608.0;
const LAT_32: f64 = 180.0 / 1_073_741_824.0;
const DEG_16: f64 = 360.0 / 65536.0;

/// A CAT021 ADS-B report, typed.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Cat021Report {
    /// I021/010 Data Source Identification (the ground station).
    pub data_source: Option<DataSource>,
    /// I021/040 Target Report Descriptor (first part and two extents).
    pub descriptor: Option<Cat021Descriptor>,
    /// I021/161 Track number (0 to 4095).
    pub track_number: Option<u16>,
    /// I021/015 Service identification.
    pub service_id: Option<u8>,
    /// I021/071 Time of applicability for position, s.
    pub time_of_applicability_position_s: Option<f64>,
    /// I021/130 Position in WGS-84 (resolution 180/2^23 degrees, about 2.4 m).
    pub position_wgs84: Option<Wgs84>,
    /// I021/131 High-resolution position in WGS-84 (resolution 180/2^30 degrees).
    pub position_wgs84_high_res: Option<Wgs84>,
    /// I021/072 Time of applicability for velocity, s.
    pub time_of_applicability_velocity_s: Option<f64>,
    /// I021/150 Air speed (IAS or Mach).
    pub air_speed: Option<AirSpeed>,
    /// I021/151 True airspeed.
    pub true_airspeed: Option<TrueAirspeed>,
    /// I021/080 Target address.
    pub aircraft_address: Option<AircraftAddress>,
    /// I021/073 Time of message reception for position, s.
    pub time_of_message_reception_position_s: Option<f64>,
    /// I021/074 Time of message reception of position, high precision.
    pub time_of_message_reception_position_hp: Option<HighPrecisionTime>,
    /// I021/075 Time of message reception for velocity, s.
    pub time_of_message_reception_velocity_s: Option<f64>,
    /// I021/076 Time of message reception of velocity, high precision.
    pub time_of_message_reception_velocity_hp: Option<HighPrecisionTime>,
    /// I021/140 Geometric height, ft (resolution 6.25 ft).
    pub geometric_height_ft: Option<f64>,
    /// I021/090 Quality indicators.
    pub quality: Option<QualityIndicators>,
    /// I021/210 MOPS version.
    pub mops_version: Option<MopsVersion>,
    /// I021/070 Mode 3/A code.
    pub mode3a: Option<Mode3A>,
    /// I021/145 Flight level (resolution 1/4 FL).
    pub flight_level: Option<f64>,
    /// I021/152 Magnetic heading, degrees.
    pub magnetic_heading_deg: Option<f64>,
    /// I021/155 Barometric vertical rate.
    pub barometric_vertical_rate: Option<VerticalRate>,
    /// I021/157 Geometric vertical rate.
    pub geometric_vertical_rate: Option<VerticalRate>,
    /// I021/160 Airborne ground vector.
    pub ground_vector: Option<GroundVector>,
    /// I021/077 Time of ASTERIX report transmission, s.
    pub time_of_report_transmission_s: Option<f64>,
    /// I021/170 Target identification (callsign).
    pub aircraft_id: Option<AircraftId>,
    /// I021/020 Emitter category (ADS-B ECAT code).
    pub emitter_category: Option<u8>,
}

/// I021/040 Target report descriptor, first part and first two extents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cat021Descriptor {
    /// ATP address type: 0 24-bit ICAO, 1 duplicate, 2 surface vehicle, 3 anonymous.
    pub atp: u8,
    /// ARC altitude reporting capability: 0 25 ft, 1 100 ft, 2 unknown, 3 invalid.
    pub arc: u8,
    /// RC range check passed.
    pub range_check: bool,
    /// RAB report from a field monitor.
    pub fixed_transponder: bool,
    /// DCR differential correction.
    pub differential_correction: bool,
    /// GBS ground bit set.
    pub ground_bit: bool,
    /// SIM simulated target report.
    pub simulated: bool,
    /// TST test target.
    pub test: bool,
    /// SAA selected altitude available.
    pub selected_altitude_available: bool,
    /// CL confidence level: 0 valid, 1 suspect, 2 no information, 3 reserved.
    pub confidence: u8,
    /// LLC list lookup check failed.
    pub list_lookup_failed: bool,
    /// IPC independent position check failed.
    pub independent_position_check_failed: bool,
    /// NOGO no-go bit set.
    pub nogo: bool,
    /// CPR compact position reporting validation failed.
    pub cpr_failed: bool,
    /// LDPJ local decoding position jump.
    pub local_decoding_jump: bool,
    /// RCF range check failed.
    pub range_check_failed: bool,
}

/// I021/151 True airspeed.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TrueAirspeed {
    /// True airspeed, kt.
    pub tas_kt: f64,
    /// RE: the value exceeds the field's range.
    pub range_exceeded: bool,
}

/// I021/155, I021/157 Vertical rate.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct VerticalRate {
    /// Vertical rate, ft/min (resolution 6.25 ft/min).
    pub ft_min: f64,
    /// RE: the value exceeds the field's range.
    pub range_exceeded: bool,
}

/// I021/160 Airborne ground vector.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GroundVector {
    /// Ground speed, NM/s (resolution 2^-14 NM/s).
    pub groundspeed_nmps: f64,
    /// Track angle, degrees clockwise from true north.
    pub track_angle_deg: f64,
    /// RE: the ground speed exceeds the field's range.
    pub range_exceeded: bool,
}

/// I021/074, I021/076 High-precision time of message reception: the fraction of the second
/// of the matching full-second time, with a correction of that second.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct HighPrecisionTime {
    /// FSI full-second indication: 0 same second as the low-precision time, 1 one more, 2
    /// one less, 3 reserved.
    pub fsi: u8,
    /// Fraction of the second, s (resolution 2^-30 s).
    pub fraction_s: f64,
}

/// I021/090 Quality indicators (first four parts; absent extents read as zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QualityIndicators {
    /// NUCr or NACv.
    pub nucr_nacv: u8,
    /// NUCp or NIC.
    pub nucp_nic: u8,
    /// NIC for barometric altitude.
    pub nic_baro: u8,
    /// SIL surveillance integrity level.
    pub sil: u8,
    /// NACp navigation accuracy category for position.
    pub nacp: u8,
    /// SIL supplement: 0 per hour, 1 per sample.
    pub sil_per_sample: bool,
    /// SDA system design assurance.
    pub sda: u8,
    /// GVA geometric altitude accuracy.
    pub gva: u8,
    /// PIC position integrity category.
    pub pic: u8,
}

/// I021/210 MOPS version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MopsVersion {
    /// VNS: version not supported.
    pub not_supported: bool,
    /// VN: 0 ED102/DO-260, 1 DO-260A, 2 ED102A/DO-260B, 3 ED-102B/DO-260C.
    pub version: u8,
    /// LTT link technology: 0 other, 1 UAT, 2 1090 ES, 3 VDL 4.
    pub link: u8,
}

impl Cat021Report {
    /// The typed view of a CAT021 record; `None` for a record of another category.
    pub fn from_record(record: &Record<'_>) -> Option<Self> {
        if record.category() != 21 {
            return None;
        }
        let item = |k| record.known(k);
        let tod = |k| {
            item(k)
                .and_then(|b| u24_at(b, 0))
                .map(|raw| f64::from(raw) / 128.0)
        };
        Some(Cat021Report {
            data_source: item(K010).and_then(DataSource::read),
            descriptor: item(K040).and_then(read_descriptor),
            track_number: item(K161).and_then(|b| Some(u16_at(b, 0)? & 0x0fff)),
            service_id: item(K015).and_then(|b| u8_at(b, 0)),
            time_of_applicability_position_s: tod(K071),
            position_wgs84: item(K130).and_then(|b| {
                Some(Wgs84 {
                    lat_deg: sign_extend(u64::from(u24_at(b, 0)?), 24) as f64 * LAT_24,
                    lon_deg: sign_extend(u64::from(u24_at(b, 3)?), 24) as f64 * LAT_24,
                })
            }),
            position_wgs84_high_res: item(K131).and_then(|b| {
                Some(Wgs84 {
                    lat_deg: f64::from(u32_at(b, 0)? as i32) * LAT_32,
                    lon_deg: f64::from(u32_at(b, 4)? as i32) * LAT_32,
                })
            }),
            time_of_applicability_velocity_s: tod(K072),
            air_speed: item(K150).and_then(|b| {
                let word = u16_at(b, 0)?;
                let value = f64::from(word & 0x7fff);
                Some(if word & 0x8000 == 0 {
                    AirSpeed::IasNmps(value / 16384.0)
                } else {
                    AirSpeed::Mach(value * 0.001)
                })
            }),
            true_airspeed: item(K151).and_then(|b| {
                let word = u16_at(b, 0)?;
                Some(TrueAirspeed {
                    tas_kt: f64::from(word & 0x7fff),
                    range_exceeded: word & 0x8000 != 0,
                })
            }),
            aircraft_address: item(K080).and_then(AircraftAddress::read),
            time_of_message_reception_position_s: tod(K073),
            time_of_message_reception_position_hp: item(K074).and_then(read_high_precision),
            time_of_message_reception_velocity_s: tod(K075),
            time_of_message_reception_velocity_hp: item(K076).and_then(read_high_precision),
            geometric_height_ft: item(K140)
                .map(|b| u16_at(b, 0).map_or(0.0, |word| f64::from(word as i16) * 6.25)),
            quality: item(K090).and_then(read_quality),
            mops_version: item(K210).and_then(|b| {
                let octet = u8_at(b, 0)?;
                Some(MopsVersion {
                    not_supported: flag_at(b, 0, 6),
                    version: (octet >> 3) & 7,
                    link: octet & 7,
                })
            }),
            mode3a: item(K070).and_then(|b| Mode3A::new(u16_at(b, 0)? & 0x0fff)),
            flight_level: item(K145).and_then(|b| Some(f64::from(u16_at(b, 0)? as i16) / 4.0)),
            magnetic_heading_deg: item(K152).and_then(|b| Some(f64::from(u16_at(b, 0)?) * DEG_16)),
            barometric_vertical_rate: item(K155).and_then(read_vertical_rate),
            geometric_vertical_rate: item(K157).and_then(read_vertical_rate),
            ground_vector: item(K160).and_then(|b| {
                let speed = u16_at(b, 0)?;
                Some(GroundVector {
                    groundspeed_nmps: f64::from(speed & 0x7fff) / 16384.0,
                    track_angle_deg: f64::from(u16_at(b, 2)?) * DEG_16,
                    range_exceeded: speed & 0x8000 != 0,
                })
            }),
            time_of_report_transmission_s: tod(K077),
            aircraft_id: item(K170).and_then(AircraftId::read),
            emitter_category: item(K020).and_then(|b| u8_at(b, 0)),
        })
    }

    /// Time of the position: I021/071 (applicability), else I021/073 (reception), s.
    pub fn time_of_day_s(&self) -> Option<f64> {
        self.time_of_applicability_position_s
            .or(self.time_of_message_reception_position_s)
    }

    /// Best position: I021/131 (high resolution), else I021/130.
    pub fn position(&self) -> Option<Wgs84> {
        self.position_wgs84_high_res.or(self.position_wgs84)
    }
}

fn read_descriptor(bytes: &[u8]) -> Option<Cat021Descriptor> {
    let first = u8_at(bytes, 0)?;
    let mut d = Cat021Descriptor {
        atp: first >> 5,
        arc: (first >> 3) & 3,
        range_check: flag_at(bytes, 0, 2),
        fixed_transponder: flag_at(bytes, 0, 1),
        ..Cat021Descriptor::default()
    };
    if first & 1 == 0 {
        return Some(d);
    }
    let second = u8_at(bytes, 1)?;
    d.differential_correction = flag_at(bytes, 1, 7);
    d.ground_bit = flag_at(bytes, 1, 6);
    d.simulated = flag_at(bytes, 1, 5);
    d.test = flag_at(bytes, 1, 4);
    d.selected_altitude_available = flag_at(bytes, 1, 3);
    d.confidence = (second >> 1) & 3;
    if second & 1 == 0 {
        return Some(d);
    }
    u8_at(bytes, 2)?;
    d.list_lookup_failed = flag_at(bytes, 2, 6);
    d.independent_position_check_failed = flag_at(bytes, 2, 5);
    d.nogo = flag_at(bytes, 2, 4);
    d.cpr_failed = flag_at(bytes, 2, 3);
    d.local_decoding_jump = flag_at(bytes, 2, 2);
    d.range_check_failed = flag_at(bytes, 2, 1);
    Some(d)
}

fn read_quality(bytes: &[u8]) -> Option<QualityIndicators> {
    let first = u8_at(bytes, 0)?;
    let mut q = QualityIndicators {
        nucr_nacv: first >> 5,
        nucp_nic: (first >> 1) & 0xf,
        ..QualityIndicators::default()
    };
    if first & 1 == 0 {
        return Some(q);
    }
    let second = u8_at(bytes, 1)?;
    q.nic_baro = second >> 7;
    q.sil = (second >> 5) & 3;
    q.nacp = (second >> 1) & 0xf;
    if second & 1 == 0 {
        return Some(q);
    }
    let third = u8_at(bytes, 2)?;
    q.sil_per_sample = flag_at(bytes, 2, 5);
    q.sda = (third >> 3) & 3;
    q.gva = (third >> 1) & 3;
    if third & 1 == 0 {
        return Some(q);
    }
    q.pic = u8_at(bytes, 3)? >> 4;
    Some(q)
}

fn read_high_precision(bytes: &[u8]) -> Option<HighPrecisionTime> {
    let word = u32_at(bytes, 0)?;
    Some(HighPrecisionTime {
        fsi: (word >> 30) as u8,
        fraction_s: f64::from(word & 0x3fff_ffff) / 1_073_741_824.0,
    })
}

fn read_vertical_rate(bytes: &[u8]) -> Option<VerticalRate> {
    let word = u16_at(bytes, 0)?;
    Some(VerticalRate {
        ft_min: sign_extend(u64::from(word & 0x7fff), 15) as f64 * 6.25,
        range_exceeded: word & 0x8000 != 0,
    })
}

fn flag(value: bool) -> FieldValue<'static> {
    Uint(u64::from(value))
}

impl EncodeRecord for Cat021Report {
    const CATEGORY: u8 = 21;

    fn write_items(&self, w: &mut RecordWriter<'_>) -> Result<(), EncodeError> {
        let time = |w: &mut RecordWriter<'_>, id: &str, name: &str, value: Option<f64>| {
            value.map_or(Ok(()), |t| {
                w.item(id, Content::Fields(&[(name, Number(t))]))
            })
        };
        if let Some(source) = self.data_source {
            w.item(
                "010",
                Content::Fields(&[
                    ("SAC", Uint(source.sac.into())),
                    ("SIC", Uint(source.sic.into())),
                ]),
            )?;
        }
        if let Some(d) = self.descriptor {
            w.item(
                "040",
                Content::Fields(&[
                    ("ATP", Uint(d.atp.into())),
                    ("ARC", Uint(d.arc.into())),
                    ("RC", flag(d.range_check)),
                    ("RAB", flag(d.fixed_transponder)),
                    ("DCR", flag(d.differential_correction)),
                    ("GBS", flag(d.ground_bit)),
                    ("SIM", flag(d.simulated)),
                    ("TST", flag(d.test)),
                    ("SAA", flag(d.selected_altitude_available)),
                    ("CL", Uint(d.confidence.into())),
                    ("LLC", flag(d.list_lookup_failed)),
                    ("IPC", flag(d.independent_position_check_failed)),
                    ("NOGO", flag(d.nogo)),
                    ("CPR", flag(d.cpr_failed)),
                    ("LDPJ", flag(d.local_decoding_jump)),
                    ("RCF", flag(d.range_check_failed)),
                ]),
            )?;
        }
        if let Some(track_number) = self.track_number {
            w.item(
                "161",
                Content::Fields(&[("TRNUM", Uint(track_number.into()))]),
            )?;
        }
        if let Some(service_id) = self.service_id {
            w.item("015", Content::Fields(&[("SID", Uint(service_id.into()))]))?;
        }
        time(w, "071", "TAP", self.time_of_applicability_position_s)?;
        if let Some(p) = self.position_wgs84 {
            w.item(
                "130",
                Content::Fields(&[("LAT", Number(p.lat_deg)), ("LON", Number(p.lon_deg))]),
            )?;
        }
        if let Some(p) = self.position_wgs84_high_res {
            w.item(
                "131",
                Content::Fields(&[("LAT", Number(p.lat_deg)), ("LON", Number(p.lon_deg))]),
            )?;
        }
        time(w, "072", "TAV", self.time_of_applicability_velocity_s)?;
        if let Some(speed) = self.air_speed {
            let (im, value) = match speed {
                AirSpeed::IasNmps(nmps) => (0, nmps),
                AirSpeed::Mach(mach) => (1, mach),
            };
            w.item(
                "150",
                Content::Fields(&[("IM", Uint(im)), ("AS", Number(value))]),
            )?;
        }
        if let Some(tas) = self.true_airspeed {
            w.item(
                "151",
                Content::Fields(&[
                    ("RE", flag(tas.range_exceeded)),
                    ("TAS", Number(tas.tas_kt)),
                ]),
            )?;
        }
        if let Some(address) = self.aircraft_address {
            w.item(
                "080",
                Content::Fields(&[("ADR", Uint(address.bits().into()))]),
            )?;
        }
        time(w, "073", "TMRP", self.time_of_message_reception_position_s)?;
        if let Some(hp) = self.time_of_message_reception_position_hp {
            w.item(
                "074",
                Content::Fields(&[
                    ("FSI", Uint(hp.fsi.into())),
                    ("TMRP", Number(hp.fraction_s)),
                ]),
            )?;
        }
        time(w, "075", "TMRV", self.time_of_message_reception_velocity_s)?;
        if let Some(hp) = self.time_of_message_reception_velocity_hp {
            w.item(
                "076",
                Content::Fields(&[
                    ("FSI", Uint(hp.fsi.into())),
                    ("TMRV", Number(hp.fraction_s)),
                ]),
            )?;
        }
        if let Some(height) = self.geometric_height_ft {
            w.item("140", Content::Fields(&[("GH", Number(height))]))?;
        }
        if let Some(q) = self.quality {
            w.item(
                "090",
                Content::Fields(&[
                    ("NUCRNACV", Uint(q.nucr_nacv.into())),
                    ("NUCPNIC", Uint(q.nucp_nic.into())),
                    ("NICBARO", Uint(q.nic_baro.into())),
                    ("SIL", Uint(q.sil.into())),
                    ("NACP", Uint(q.nacp.into())),
                    ("SILS", flag(q.sil_per_sample)),
                    ("SDA", Uint(q.sda.into())),
                    ("GVA", Uint(q.gva.into())),
                    ("PIC", Uint(q.pic.into())),
                ]),
            )?;
        }
        if let Some(mops) = self.mops_version {
            w.item(
                "210",
                Content::Fields(&[
                    ("VNS", flag(mops.not_supported)),
                    ("VN", Uint(mops.version.into())),
                    ("LTT", Uint(mops.link.into())),
                ]),
            )?;
        }
        if let Some(mode3a) = self.mode3a {
            w.item(
                "070",
                Content::Fields(&[("MODE3A", Uint(mode3a.bits().into()))]),
            )?;
        }
        if let Some(fl) = self.flight_level {
            w.item("145", Content::Fields(&[("FL", Number(fl))]))?;
        }
        if let Some(heading) = self.magnetic_heading_deg {
            w.item("152", Content::Fields(&[("MHG", Number(heading))]))?;
        }
        if let Some(rate) = self.barometric_vertical_rate {
            w.item(
                "155",
                Content::Fields(&[
                    ("RE", flag(rate.range_exceeded)),
                    ("BVR", Number(rate.ft_min)),
                ]),
            )?;
        }
        if let Some(rate) = self.geometric_vertical_rate {
            w.item(
                "157",
                Content::Fields(&[
                    ("RE", flag(rate.range_exceeded)),
                    ("GVR", Number(rate.ft_min)),
                ]),
            )?;
        }
        if let Some(v) = self.ground_vector {
            w.item(
                "160",
                Content::Fields(&[
                    ("RE", flag(v.range_exceeded)),
                    ("GS", Number(v.groundspeed_nmps)),
                    ("TA", Number(v.track_angle_deg)),
                ]),
            )?;
        }
        time(w, "077", "TRT", self.time_of_report_transmission_s)?;
        if let Some(id) = self.aircraft_id {
            let bits = id.to_bits().ok_or(EncodeError::BadCharacter {
                category: 21,
                item: "170",
                ch: '?',
            })?;
            w.item("170", Content::Fields(&[("TID", Uint(bits))]))?;
        }
        if let Some(ecat) = self.emitter_category {
            w.item("020", Content::Fields(&[("ECAT", Uint(ecat.into()))]))?;
        }
        Ok(())
    }
}
