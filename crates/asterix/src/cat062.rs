//! CAT062 SDPS system tracks, typed: what the node reads from another system's tracks and
//! writes for its own fused picture.
//!
//! | field | item |
//! |---|---|
//! | `data_source` | I062/010 |
//! | `service_id` | I062/015 |
//! | `time_of_track_s` | I062/070 |
//! | `position_wgs84` | I062/105 |
//! | `position_cartesian` | I062/100 |
//! | `velocity` | I062/185 |
//! | `acceleration` | I062/210 |
//! | `mode3a` | I062/060 |
//! | `target_identification` | I062/245 |
//! | `aircraft_derived` | I062/380 (ADR, ID, MHG, IAS, TAS, SAL, BVR, GVR, RAN, TAN, GS, EMC) |
//! | `track_number` | I062/040 |
//! | `status` | I062/080 |
//! | `measured_flight_level` | I062/136 |
//! | `geometric_altitude_ft` | I062/130 |
//! | `barometric_altitude` | I062/135 |
//! | `rate_of_climb_ft_min` | I062/220 |
//!
//! ```
//! use liptako_asterix::cat062::{Cat062Track, TrackStatus, Velocity};
//! use liptako_asterix::{BlockEncoder, DataSource, Decoder, Wgs84, tables::cat062};
//!
//! let track = Cat062Track {
//!     data_source: Some(DataSource { sac: 7, sic: 1 }),
//!     time_of_track_s: Some(3600.0),
//!     track_number: Some(4242),
//!     position_wgs84: Some(Wgs84 { lat_deg: 14.5, lon_deg: -1.25 }),
//!     velocity: Some(Velocity { vx_mps: 120.0, vy_mps: -35.5 }),
//!     status: Some(TrackStatus { cnf: false, ..TrackStatus::default() }),
//!     ..Cat062Track::default()
//! };
//! let mut block = BlockEncoder::new(&cat062::V1_21);
//! block.push(&track)?;
//! let mut datagram = Vec::new();
//! block.finish_into(&mut datagram)?;
//! let record = Decoder::default().records(&datagram).next().expect("one record")?;
//! let decoded = Cat062Track::from_record(&record).expect("CAT062");
//! assert_eq!(decoded.velocity, track.velocity);
//! // Positions come back rounded to the item's resolution, 180/2^25 degrees.
//! let lat = decoded.position_wgs84.expect("I062/105").lat_deg;
//! assert!((lat - 14.5).abs() <= 180.0 / 33_554_432.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::decode::{Record, subfields};
use crate::encode::{Content, EncodeRecord, FieldValue, FieldValue::*, Named, RecordWriter};
use crate::error::EncodeError;
use crate::fields::{read_bits, sign_extend, u8_at, u16_at, u24_at, u32_at};
use crate::types::{AirSpeed, AircraftAddress, AircraftId, DataSource, Mode3A, Wgs84};

// Positions in `tables::cat062::KNOWN`.
const K010: usize = 0;
const K015: usize = 1;
const K070: usize = 2;
const K105: usize = 3;
const K100: usize = 4;
const K185: usize = 5;
const K210: usize = 6;
const K060: usize = 7;
const K245: usize = 8;
const K380: usize = 9;
const K040: usize = 10;
const K080: usize = 11;
const K136: usize = 12;
const K130: usize = 13;
const K135: usize = 14;
const K220: usize = 15;

const LAT_25: f64 = 180.0 / 33_554_432.0;
const DEG_16: f64 = 360.0 / 65536.0;

/// A CAT062 system track, typed.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Cat062Track {
    /// I062/010 Data Source Identifier (the SDPS).
    pub data_source: Option<DataSource>,
    /// I062/015 Service identification.
    pub service_id: Option<u8>,
    /// I062/070 Time of track information, s since midnight UTC (resolution 1/128 s).
    pub time_of_track_s: Option<f64>,
    /// I062/105 Calculated position in WGS-84 (resolution 180/2^25 degrees, about 0.6 m).
    pub position_wgs84: Option<Wgs84>,
    /// I062/100 Calculated position in Cartesian co-ordinates of the system reference point.
    pub position_cartesian: Option<CartesianM>,
    /// I062/185 Calculated track velocity (Cartesian).
    pub velocity: Option<Velocity>,
    /// I062/210 Calculated acceleration (Cartesian).
    pub acceleration: Option<Acceleration>,
    /// I062/060 Track Mode 3/A code.
    pub mode3a: Option<TrackMode3A>,
    /// I062/245 Target identification.
    pub target_identification: Option<TargetIdentification>,
    /// I062/380 Aircraft derived data (the subfields a tracker uses); `None` when the item
    /// is absent or carries none of them.
    pub aircraft_derived: Option<AircraftDerived>,
    /// I062/040 Track number.
    pub track_number: Option<u16>,
    /// I062/080 Track status.
    pub status: Option<TrackStatus>,
    /// I062/136 Measured flight level (resolution 1/4 FL).
    pub measured_flight_level: Option<f64>,
    /// I062/130 Calculated track geometric altitude, ft (resolution 6.25 ft).
    pub geometric_altitude_ft: Option<f64>,
    /// I062/135 Calculated track barometric altitude.
    pub barometric_altitude: Option<BarometricAltitude>,
    /// I062/220 Calculated rate of climb/descent, ft/min (resolution 6.25 ft/min).
    pub rate_of_climb_ft_min: Option<f64>,
}

/// I062/100: position relative to the system reference point, m (resolution 0.5 m).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CartesianM {
    /// East, m.
    pub x_m: f64,
    /// North, m.
    pub y_m: f64,
}

/// I062/185: velocity, m/s (resolution 0.25 m/s).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Velocity {
    /// East component, m/s.
    pub vx_mps: f64,
    /// North component, m/s.
    pub vy_mps: f64,
}

/// I062/210: acceleration, m/s² (resolution 0.25 m/s²).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Acceleration {
    /// East component, m/s².
    pub ax_mps2: f64,
    /// North component, m/s².
    pub ay_mps2: f64,
}

/// I062/060: the track's Mode 3/A code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrackMode3A {
    /// The code.
    pub code: Mode3A,
    /// V = 0: validated.
    pub validated: bool,
    /// G = 1: garbled.
    pub garbled: bool,
    /// CH = 1: the code changed.
    pub changed: bool,
}

impl From<Mode3A> for TrackMode3A {
    /// A validated, unchanged code.
    fn from(code: Mode3A) -> Self {
        TrackMode3A {
            code,
            validated: true,
            garbled: false,
            changed: false,
        }
    }
}

/// I062/245 Target identification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TargetIdentification {
    /// STI: 0 callsign or registration downlinked, 1 callsign not downlinked, 2 registration
    /// not downlinked, 3 invalid.
    pub sti: u8,
    /// The identification.
    pub id: AircraftId,
}

/// I062/135 Calculated track barometric altitude.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BarometricAltitude {
    /// Altitude as a flight level (resolution 1/4 FL).
    pub flight_level: f64,
    /// QNH = 1: QNH correction applied.
    pub qnh_corrected: bool,
}

/// I062/380 Aircraft derived data: the subfields a tracker uses. Others stay available raw
/// with `record.item("380")?.subfield("MET")`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AircraftDerived {
    /// ADR: target address.
    pub address: Option<AircraftAddress>,
    /// ID: target identification.
    pub id: Option<AircraftId>,
    /// MHG: magnetic heading, degrees.
    pub magnetic_heading_deg: Option<f64>,
    /// IAS: indicated airspeed or Mach.
    pub air_speed: Option<AirSpeed>,
    /// TAS: true airspeed, kt.
    pub true_airspeed_kt: Option<f64>,
    /// SAL: selected altitude.
    pub selected_altitude: Option<SelectedAltitude>,
    /// BVR: barometric vertical rate, ft/min.
    pub barometric_vertical_rate_ft_min: Option<f64>,
    /// GVR: geometric vertical rate, ft/min.
    pub geometric_vertical_rate_ft_min: Option<f64>,
    /// RAN: roll angle, degrees.
    pub roll_angle_deg: Option<f64>,
    /// TAN: track angle, degrees.
    pub track_angle_deg: Option<f64>,
    /// GS: ground speed, NM/s.
    pub ground_speed_nmps: Option<f64>,
    /// EMC: emitter category.
    pub emitter_category: Option<u8>,
}

/// I062/380 SAL Selected altitude.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SelectedAltitude {
    /// SAS: source information provided.
    pub source_provided: bool,
    /// SRC: 0 unknown, 1 aircraft altitude, 2 FCU/MCP, 3 FMS.
    pub source: u8,
    /// Altitude, ft (resolution 25 ft).
    pub altitude_ft: f64,
}

/// I062/080 Track status; field names are the specification's. Extents that are absent read
/// as zero; the encoder writes extents up to the last non-zero field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[allow(missing_docs)] // each field is documented by its specification name
pub struct TrackStatus {
    /// MON: monosensor track.
    pub mon: bool,
    /// SPI: SPI present in the last report.
    pub spi: bool,
    /// MRH: most reliable height is geometric (else barometric).
    pub mrh: bool,
    /// SRC: source of calculated track altitude (0 none ... 7 triangulation).
    pub src: u8,
    /// CNF: tentative track (false: confirmed).
    pub cnf: bool,
    /// SIM: simulated track.
    pub sim: bool,
    /// TSE: last message transmitted for the track.
    pub tse: bool,
    /// TSB: first message transmitted for the track.
    pub tsb: bool,
    /// FPC: flight plan correlated.
    pub fpc: bool,
    /// AFF: ADS-B data inconsistent with other surveillance.
    pub aff: bool,
    /// STP: slave track promotion.
    pub stp: bool,
    /// KOS: background service used (else complementary).
    pub kos: bool,
    /// AMA: track from amalgamation.
    pub ama: bool,
    /// MD4: Mode 4 interrogation result.
    pub md4: u8,
    /// ME: military emergency.
    pub me: bool,
    /// MI: military identification.
    pub mi: bool,
    /// MD5: Mode 5 interrogation result.
    pub md5: u8,
    /// CST: coasting (age of the last update above threshold).
    pub cst: bool,
    /// PSR: PSR age above threshold.
    pub psr: bool,
    /// SSR: SSR age above threshold.
    pub ssr: bool,
    /// MDS: Mode S age above threshold.
    pub mds: bool,
    /// ADS: ADS-B age above threshold.
    pub ads: bool,
    /// SUC: special used code.
    pub suc: bool,
    /// AAC: assigned code conflict.
    pub aac: bool,
    /// SDS: surveillance data status.
    pub sds: u8,
    /// EMS: emergency status indication.
    pub ems: u8,
    /// PFT: potential false track.
    pub pft: bool,
    /// FPLT: track created or updated with flight plan data.
    pub fplt: bool,
    /// DUPT: duplicate Mode 3/A code.
    pub dupt: bool,
    /// DUPF: duplicate flight plan.
    pub dupf: bool,
    /// DUPM: duplicate flight plan due to manual correlation.
    pub dupm: bool,
    /// SFC: surface target.
    pub sfc: bool,
    /// IDD: duplicate flight-id.
    pub idd: bool,
    /// IEC: inconsistent emergency code.
    pub iec: bool,
    /// MLAT: multilateration age above threshold (edition 1.19 and later).
    pub mlat: bool,
    /// M5I: Mode 5 information age above threshold (edition 1.21).
    pub m5i: bool,
}

impl TrackStatus {
    fn read(bytes: &[u8]) -> Option<Self> {
        // Up to seven one-octet parts; an absent extent reads as zero.
        let mut octets = [0u8; 7];
        for (idx, slot) in octets.iter_mut().enumerate() {
            let octet = u8_at(bytes, idx)?;
            *slot = octet;
            if octet & 1 == 0 {
                break;
            }
        }
        let [p1, p2, p3, p4, p5, p6, p7] = octets;
        let bit = |octet: u8, n: u8| octet >> n & 1 == 1;
        Some(TrackStatus {
            mon: bit(p1, 7),
            spi: bit(p1, 6),
            mrh: bit(p1, 5),
            src: (p1 >> 2) & 7,
            cnf: bit(p1, 1),
            sim: bit(p2, 7),
            tse: bit(p2, 6),
            tsb: bit(p2, 5),
            fpc: bit(p2, 4),
            aff: bit(p2, 3),
            stp: bit(p2, 2),
            kos: bit(p2, 1),
            ama: bit(p3, 7),
            md4: (p3 >> 5) & 3,
            me: bit(p3, 4),
            mi: bit(p3, 3),
            md5: (p3 >> 1) & 3,
            cst: bit(p4, 7),
            psr: bit(p4, 6),
            ssr: bit(p4, 5),
            mds: bit(p4, 4),
            ads: bit(p4, 3),
            suc: bit(p4, 2),
            aac: bit(p4, 1),
            sds: (p5 >> 6) & 3,
            ems: (p5 >> 3) & 7,
            pft: bit(p5, 2),
            fplt: bit(p5, 1),
            dupt: bit(p6, 7),
            dupf: bit(p6, 6),
            dupm: bit(p6, 5),
            sfc: bit(p6, 4),
            idd: bit(p6, 3),
            iec: bit(p6, 2),
            mlat: bit(p6, 1),
            m5i: bit(p7, 7),
        })
    }
}

impl AircraftDerived {
    fn read(format: &'static crate::spec::Format, bytes: &[u8]) -> Self {
        let mut derived = AircraftDerived::default();
        for (sub, b) in subfields(format, bytes) {
            match sub.name {
                "ADR" => derived.address = AircraftAddress::read(b),
                "ID" => derived.id = AircraftId::read(b),
                "MHG" => {
                    derived.magnetic_heading_deg = u16_at(b, 0).map(|raw| f64::from(raw) * DEG_16)
                }
                "IAS" => {
                    derived.air_speed = u16_at(b, 0).map(|word| {
                        let value = f64::from(word & 0x7fff);
                        if word & 0x8000 == 0 {
                            AirSpeed::IasNmps(value / 16384.0)
                        } else {
                            AirSpeed::Mach(value * 0.001)
                        }
                    });
                }
                "TAS" => derived.true_airspeed_kt = u16_at(b, 0).map(f64::from),
                "SAL" => {
                    derived.selected_altitude = u16_at(b, 0).map(|word| SelectedAltitude {
                        source_provided: word & 0x8000 != 0,
                        source: (word >> 13) as u8 & 3,
                        altitude_ft: sign_extend(u64::from(word & 0x1fff), 13) as f64 * 25.0,
                    });
                }
                "BVR" => {
                    derived.barometric_vertical_rate_ft_min =
                        u16_at(b, 0).map(|raw| f64::from(raw as i16) * 6.25);
                }
                "GVR" => {
                    derived.geometric_vertical_rate_ft_min =
                        u16_at(b, 0).map(|raw| f64::from(raw as i16) * 6.25);
                }
                "RAN" => {
                    derived.roll_angle_deg = u16_at(b, 0).map(|raw| f64::from(raw as i16) * 0.01)
                }
                "TAN" => derived.track_angle_deg = u16_at(b, 0).map(|raw| f64::from(raw) * DEG_16),
                "GS" => {
                    derived.ground_speed_nmps =
                        u16_at(b, 0).map(|raw| f64::from(raw as i16) / 16384.0);
                }
                "EMC" => derived.emitter_category = u8_at(b, 0),
                _ => {}
            }
        }
        derived
    }
}

impl Cat062Track {
    /// The typed view of a CAT062 record; `None` for a record of another category.
    pub fn from_record(record: &Record<'_>) -> Option<Self> {
        if record.category() != 62 {
            return None;
        }
        let item = |k| record.known(k);
        let derived_format = record.edition().item("380").map(|spec| &spec.format);
        Some(Cat062Track {
            data_source: item(K010).and_then(DataSource::read),
            service_id: item(K015).and_then(|b| u8_at(b, 0)),
            time_of_track_s: item(K070)
                .and_then(|b| u24_at(b, 0))
                .map(|raw| f64::from(raw) / 128.0),
            position_wgs84: item(K105).and_then(|b| {
                Some(Wgs84 {
                    lat_deg: f64::from(u32_at(b, 0)? as i32) * LAT_25,
                    lon_deg: f64::from(u32_at(b, 4)? as i32) * LAT_25,
                })
            }),
            position_cartesian: item(K100).and_then(|b| {
                Some(CartesianM {
                    x_m: sign_extend(u64::from(u24_at(b, 0)?), 24) as f64 * 0.5,
                    y_m: sign_extend(u64::from(u24_at(b, 3)?), 24) as f64 * 0.5,
                })
            }),
            velocity: item(K185).and_then(|b| {
                Some(Velocity {
                    vx_mps: f64::from(u16_at(b, 0)? as i16) * 0.25,
                    vy_mps: f64::from(u16_at(b, 2)? as i16) * 0.25,
                })
            }),
            acceleration: item(K210).and_then(|b| {
                Some(Acceleration {
                    ax_mps2: f64::from(u8_at(b, 0)? as i8) * 0.25,
                    ay_mps2: f64::from(u8_at(b, 1)? as i8) * 0.25,
                })
            }),
            mode3a: item(K060).and_then(|b| {
                let word = u16_at(b, 0)?;
                Some(TrackMode3A {
                    code: Mode3A::new(word & 0x0fff)?,
                    validated: word & 0x8000 == 0,
                    garbled: word & 0x4000 != 0,
                    changed: word & 0x2000 != 0,
                })
            }),
            target_identification: item(K245).and_then(|b| {
                Some(TargetIdentification {
                    sti: u8_at(b, 0)? >> 6,
                    id: AircraftId::from_bits(read_bits(b, 8, 48)?),
                })
            }),
            // Only when it carries a subfield the typed view reads: the others stay raw.
            aircraft_derived: item(K380)
                .zip(derived_format)
                .map(|(b, format)| AircraftDerived::read(format, b))
                .filter(|derived| *derived != AircraftDerived::default()),
            track_number: item(K040).and_then(|b| u16_at(b, 0)),
            status: item(K080).and_then(TrackStatus::read),
            measured_flight_level: item(K136)
                .and_then(|b| Some(f64::from(u16_at(b, 0)? as i16) / 4.0)),
            geometric_altitude_ft: item(K130)
                .and_then(|b| Some(f64::from(u16_at(b, 0)? as i16) * 6.25)),
            barometric_altitude: item(K135).and_then(|b| {
                let word = u16_at(b, 0)?;
                Some(BarometricAltitude {
                    flight_level: sign_extend(u64::from(word & 0x7fff), 15) as f64 / 4.0,
                    qnh_corrected: word & 0x8000 != 0,
                })
            }),
            rate_of_climb_ft_min: item(K220)
                .and_then(|b| Some(f64::from(u16_at(b, 0)? as i16) * 6.25)),
        })
    }

    /// The Mode S address: I062/380 ADR.
    pub fn aircraft_address(&self) -> Option<AircraftAddress> {
        self.aircraft_derived.and_then(|derived| derived.address)
    }

    /// The aircraft identification: I062/380 ID, else I062/245.
    pub fn aircraft_id(&self) -> Option<AircraftId> {
        self.aircraft_derived
            .and_then(|derived| derived.id)
            .or(self.target_identification.map(|target| target.id))
    }
}

fn flag(value: bool) -> FieldValue<'static> {
    Uint(u64::from(value))
}

fn bad_id(item: &'static str) -> EncodeError {
    EncodeError::BadCharacter {
        category: 62,
        item,
        ch: '?',
    }
}

impl EncodeRecord for Cat062Track {
    const CATEGORY: u8 = 62;

    fn write_items(&self, w: &mut RecordWriter<'_>) -> Result<(), EncodeError> {
        if let Some(source) = self.data_source {
            w.item(
                "010",
                Content::Fields(&[
                    ("SAC", Uint(source.sac.into())),
                    ("SIC", Uint(source.sic.into())),
                ]),
            )?;
        }
        if let Some(service_id) = self.service_id {
            w.item("015", Content::Fields(&[("SID", Uint(service_id.into()))]))?;
        }
        if let Some(time) = self.time_of_track_s {
            w.item("070", Content::Fields(&[("TOT", Number(time))]))?;
        }
        if let Some(p) = self.position_wgs84 {
            w.item(
                "105",
                Content::Fields(&[("LAT", Number(p.lat_deg)), ("LON", Number(p.lon_deg))]),
            )?;
        }
        if let Some(p) = self.position_cartesian {
            w.item(
                "100",
                Content::Fields(&[("X", Number(p.x_m)), ("Y", Number(p.y_m))]),
            )?;
        }
        if let Some(v) = self.velocity {
            w.item(
                "185",
                Content::Fields(&[("VX", Number(v.vx_mps)), ("VY", Number(v.vy_mps))]),
            )?;
        }
        if let Some(a) = self.acceleration {
            w.item(
                "210",
                Content::Fields(&[("AX", Number(a.ax_mps2)), ("AY", Number(a.ay_mps2))]),
            )?;
        }
        if let Some(m) = self.mode3a {
            w.item(
                "060",
                Content::Fields(&[
                    ("V", flag(!m.validated)),
                    ("G", flag(m.garbled)),
                    ("CH", flag(m.changed)),
                    ("MODE3A", Uint(m.code.bits().into())),
                ]),
            )?;
        }
        if let Some(target) = self.target_identification {
            let bits = target.id.to_bits().ok_or_else(|| bad_id("245"))?;
            w.item(
                "245",
                Content::Fields(&[("STI", Uint(target.sti.into())), ("CHR", Uint(bits))]),
            )?;
        }
        if let Some(derived) = self.aircraft_derived {
            write_aircraft_derived(&derived, w)?;
        }
        if let Some(track_number) = self.track_number {
            w.item(
                "040",
                Content::Fields(&[("TRN", Uint(track_number.into()))]),
            )?;
        }
        if let Some(s) = self.status {
            w.item(
                "080",
                Content::Fields(&[
                    ("MON", flag(s.mon)),
                    ("SPI", flag(s.spi)),
                    ("MRH", flag(s.mrh)),
                    ("SRC", Uint(s.src.into())),
                    ("CNF", flag(s.cnf)),
                    ("SIM", flag(s.sim)),
                    ("TSE", flag(s.tse)),
                    ("TSB", flag(s.tsb)),
                    ("FPC", flag(s.fpc)),
                    ("AFF", flag(s.aff)),
                    ("STP", flag(s.stp)),
                    ("KOS", flag(s.kos)),
                    ("AMA", flag(s.ama)),
                    ("MD4", Uint(s.md4.into())),
                    ("ME", flag(s.me)),
                    ("MI", flag(s.mi)),
                    ("MD5", Uint(s.md5.into())),
                    ("CST", flag(s.cst)),
                    ("PSR", flag(s.psr)),
                    ("SSR", flag(s.ssr)),
                    ("MDS", flag(s.mds)),
                    ("ADS", flag(s.ads)),
                    ("SUC", flag(s.suc)),
                    ("AAC", flag(s.aac)),
                    ("SDS", Uint(s.sds.into())),
                    ("EMS", Uint(s.ems.into())),
                    ("PFT", flag(s.pft)),
                    ("FPLT", flag(s.fplt)),
                    ("DUPT", flag(s.dupt)),
                    ("DUPF", flag(s.dupf)),
                    ("DUPM", flag(s.dupm)),
                    ("SFC", flag(s.sfc)),
                    ("IDD", flag(s.idd)),
                    ("IEC", flag(s.iec)),
                    ("MLAT", flag(s.mlat)),
                    ("M5I", flag(s.m5i)),
                ]),
            )?;
        }
        if let Some(fl) = self.measured_flight_level {
            w.item("136", Content::Fields(&[("MFL", Number(fl))]))?;
        }
        if let Some(alt) = self.geometric_altitude_ft {
            w.item("130", Content::Fields(&[("ALT", Number(alt))]))?;
        }
        if let Some(baro) = self.barometric_altitude {
            w.item(
                "135",
                Content::Fields(&[
                    ("QNH", flag(baro.qnh_corrected)),
                    ("CTB", Number(baro.flight_level)),
                ]),
            )?;
        }
        if let Some(rate) = self.rate_of_climb_ft_min {
            w.item("220", Content::Fields(&[("ROCD", Number(rate))]))?;
        }
        Ok(())
    }
}

fn write_aircraft_derived(
    d: &AircraftDerived,
    w: &mut RecordWriter<'_>,
) -> Result<(), EncodeError> {
    // Values live here so the subfield list can borrow them without allocating.
    let address = d.address.map(|a| [("ADR", Uint(a.bits().into()))]);
    let id = match d.id {
        Some(id) => Some([("ID", Uint(id.to_bits().ok_or_else(|| bad_id("380"))?))]),
        None => None,
    };
    let mhg = d.magnetic_heading_deg.map(|v| [("MHG", Number(v))]);
    let ias = d.air_speed.map(|speed| match speed {
        AirSpeed::IasNmps(v) => [("IM", Uint(0)), ("IAS", Number(v))],
        AirSpeed::Mach(v) => [("IM", Uint(1)), ("IAS", Number(v))],
    });
    let tas = d.true_airspeed_kt.map(|v| [("TAS", Number(v))]);
    let sal = d.selected_altitude.map(|s| {
        [
            ("SAS", flag(s.source_provided)),
            ("SRC", Uint(s.source.into())),
            ("ALT", Number(s.altitude_ft)),
        ]
    });
    let bvr = d
        .barometric_vertical_rate_ft_min
        .map(|v| [("BVR", Number(v))]);
    let gvr = d
        .geometric_vertical_rate_ft_min
        .map(|v| [("GVR", Number(v))]);
    let ran = d.roll_angle_deg.map(|v| [("RAN", Number(v))]);
    let tan = d.track_angle_deg.map(|v| [("TAN", Number(v))]);
    let gs = d.ground_speed_nmps.map(|v| [("GS", Number(v))]);
    let emc = d.emitter_category.map(|v| [("EMC", Uint(v.into()))]);

    let candidates: [(&str, Option<&[Named<'_>]>); 12] = [
        ("ADR", address.as_ref().map(|v| &v[..])),
        ("ID", id.as_ref().map(|v| &v[..])),
        ("MHG", mhg.as_ref().map(|v| &v[..])),
        ("IAS", ias.as_ref().map(|v| &v[..])),
        ("TAS", tas.as_ref().map(|v| &v[..])),
        ("SAL", sal.as_ref().map(|v| &v[..])),
        ("BVR", bvr.as_ref().map(|v| &v[..])),
        ("GVR", gvr.as_ref().map(|v| &v[..])),
        ("RAN", ran.as_ref().map(|v| &v[..])),
        ("TAN", tan.as_ref().map(|v| &v[..])),
        ("GS", gs.as_ref().map(|v| &v[..])),
        ("EMC", emc.as_ref().map(|v| &v[..])),
    ];
    let mut subs: [(&str, Content<'_>); 12] = [("", Content::Opaque(&[])); 12];
    let mut n_subs = 0;
    for (name, values) in candidates {
        if let (Some(values), Some(slot)) = (values, subs.get_mut(n_subs)) {
            *slot = (name, Content::Fields(values));
            n_subs += 1;
        }
    }
    if n_subs == 0 {
        return Ok(());
    }
    w.item(
        "380",
        Content::Subfields(subs.get(..n_subs).unwrap_or_default()),
    )
}
