//! CAT048 monoradar target reports, typed: what a tracker reads from a plot, and what the
//! simulator writes.
//!
//! [`Cat048Report::from_record`] reads the items below straight from the record's bytes (no
//! allocation; the Mode S registers stay borrowed); [`Cat048Report`] implements
//! [`EncodeRecord`], writing the items that are `Some` through the edition's tables. Every
//! other item stays available raw through [`Record::item`].
//!
//! | field | item |
//! |---|---|
//! | `data_source` | I048/010 |
//! | `time_of_day_s` | I048/140 |
//! | `descriptor` | I048/020 (first part and first extent) |
//! | `polar` | I048/040 |
//! | `cartesian` | I048/042 |
//! | `mode3a` | I048/070 |
//! | `flight_level` | I048/090 |
//! | `height_3d_ft` | I048/110 |
//! | `track_number` | I048/161 |
//! | `track_status` | I048/170 |
//! | `velocity` | I048/200 |
//! | `aircraft_address` | I048/220 |
//! | `communications` | I048/230 |
//! | `aircraft_id` | I048/240 |
//! | `mode_s_registers` | I048/250 |
//! | `extended_range_nm` | I048/RE ERR (edition 1.32: REF 1.13) |
//!
//! ```
//! use liptako_asterix::cat048::{Cat048Report, Polar};
//! use liptako_asterix::{BlockEncoder, DataSource, Decoder, tables::cat048};
//!
//! let plot = Cat048Report {
//!     data_source: Some(DataSource { sac: 1, sic: 2 }),
//!     time_of_day_s: Some(43_200.5),
//!     polar: Some(Polar { rho_nm: 42.25, theta_deg: 90.0 }),
//!     mode3a: Some("7000".parse()?),
//!     track_number: Some(17),
//!     ..Cat048Report::default()
//! };
//! let mut block = BlockEncoder::new(&cat048::V1_32);
//! block.push(&plot)?;
//! let mut datagram = Vec::new();
//! block.finish_into(&mut datagram)?;
//!
//! let record = Decoder::default().records(&datagram).next().expect("one record")?;
//! let decoded = Cat048Report::from_record(&record).expect("CAT048");
//! assert_eq!(decoded.polar, plot.polar);
//! assert_eq!(decoded.mode3a.map(|m| m.to_string()), Some("7000".to_owned()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::decode::{Record, compound_subfield};
use crate::encode::{Content, EncodeRecord, FieldValue::*, RecordWriter};
use crate::error::EncodeError;
use crate::fields::{flag_at, sign_extend, u8_at, u16_at, u24_at};
use crate::types::{AircraftAddress, AircraftId, DataSource, Mode3A, ModeSRegisters};

// Positions in `tables::cat048::KNOWN`.
const K010: usize = 0;
const K140: usize = 1;
const K020: usize = 2;
const K040: usize = 3;
const K042: usize = 4;
const K070: usize = 5;
const K090: usize = 6;
const K110: usize = 7;
const K161: usize = 8;
const K170: usize = 9;
const K200: usize = 10;
const K220: usize = 11;
const K230: usize = 12;
const K240: usize = 13;
const K250: usize = 14;
const KRE: usize = 15;

/// A CAT048 target report (plot or radar track), typed.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Cat048Report<'a> {
    /// I048/010 Data Source Identifier.
    pub data_source: Option<DataSource>,
    /// I048/140 Time of Day: seconds since midnight UTC, 1/128 s resolution.
    pub time_of_day_s: Option<f64>,
    /// I048/020 Target Report Descriptor.
    pub descriptor: Option<TargetReportDescriptor>,
    /// I048/040 Measured position in slant polar co-ordinates.
    pub polar: Option<Polar>,
    /// I048/042 Calculated position in Cartesian co-ordinates.
    pub cartesian: Option<Cartesian>,
    /// I048/070 Mode 3/A code.
    pub mode3a: Option<Mode3AReply>,
    /// I048/090 Flight level (Mode C or Mode S altitude).
    pub flight_level: Option<FlightLevelReply>,
    /// I048/110 Height measured by a 3D radar, ft.
    pub height_3d_ft: Option<f64>,
    /// I048/161 Track number (0 to 4095).
    pub track_number: Option<u16>,
    /// I048/170 Track status.
    pub track_status: Option<TrackStatus>,
    /// I048/200 Calculated track velocity in polar co-ordinates.
    pub velocity: Option<PolarVelocity>,
    /// I048/220 Aircraft address (Mode S).
    pub aircraft_address: Option<AircraftAddress>,
    /// I048/230 Communications/ACAS capability and flight status.
    pub communications: Option<Communications>,
    /// I048/240 Aircraft identification (Mode S).
    pub aircraft_id: Option<AircraftId>,
    /// I048/250 Mode S Comm-B registers (BDS 4,0 selected altitude, 5,0 track and turn, 6,0
    /// heading and speed, ...); empty when absent.
    pub mode_s_registers: ModeSRegisters<'a>,
    /// Range of a target beyond 256 NM, NM (Reserved Expansion Field, ERR subfield; ERR set in
    /// I048/020). Edition 1.32 only: 1.21's expansion field stays raw.
    pub extended_range_nm: Option<f64>,
}

/// I048/040: slant range and azimuth from the radar.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Polar {
    /// Slant range, NM (resolution 1/256 NM, below 256 NM).
    pub rho_nm: f64,
    /// Azimuth, degrees clockwise from north (resolution 360/2^16).
    pub theta_deg: f64,
}

/// I048/042: position relative to the radar, NM (resolution 1/128 NM).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Cartesian {
    /// East, NM.
    pub x_nm: f64,
    /// North, NM.
    pub y_nm: f64,
}

/// I048/200: ground speed and heading.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PolarVelocity {
    /// Ground speed, NM/s (resolution 2^-14 NM/s, about 0.22 kt).
    pub groundspeed_nmps: f64,
    /// Heading, degrees clockwise from north.
    pub heading_deg: f64,
}

impl PolarVelocity {
    /// Ground speed in knots.
    pub fn groundspeed_kt(&self) -> f64 {
        self.groundspeed_nmps * 3600.0
    }
}

/// I048/070: Mode 3/A reply with its quality bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mode3AReply {
    /// The code.
    pub code: Mode3A,
    /// V = 0: the code was validated.
    pub validated: bool,
    /// G = 1: garbled.
    pub garbled: bool,
    /// L = 1: smoothed by a local tracker, not from this reply.
    pub smoothed: bool,
}

impl std::fmt::Display for Mode3AReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.code.fmt(f)
    }
}

impl From<Mode3A> for Mode3AReply {
    /// A validated, clean reply.
    fn from(code: Mode3A) -> Self {
        Mode3AReply {
            code,
            validated: true,
            garbled: false,
            smoothed: false,
        }
    }
}

impl std::str::FromStr for Mode3AReply {
    type Err = crate::types::ParseError;

    /// Four octal digits: a validated, clean reply.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Mode3A::from_str(text)?.into())
    }
}

/// I048/090: flight level with its quality bits.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FlightLevelReply {
    /// Flight level (1 FL = 100 ft, resolution 1/4 FL, negative below the 1013.25 hPa level).
    pub flight_level: f64,
    /// V = 0: validated.
    pub validated: bool,
    /// G = 1: garbled.
    pub garbled: bool,
}

impl FlightLevelReply {
    /// A validated, clean flight level.
    pub fn new(flight_level: f64) -> Self {
        FlightLevelReply {
            flight_level,
            validated: true,
            garbled: false,
        }
    }
}

/// I048/020 first part and first extent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TargetReportDescriptor {
    /// TYP: 0 no detection, 1 PSR, 2 SSR, 3 SSR + PSR, 4 Mode S all-call, 5 Mode S
    /// roll-call, 6 all-call + PSR, 7 roll-call + PSR.
    pub typ: u8,
    /// SIM: simulated target report.
    pub simulated: bool,
    /// RDP: report from RDP chain 2.
    pub rdp_chain_2: bool,
    /// SPI: special position identification.
    pub spi: bool,
    /// RAB: report from a field monitor (fixed transponder).
    pub fixed_transponder: bool,
    /// TST: test target report.
    pub test: bool,
    /// ERR: extended range present (edition 1.23 and later; spare in 1.21).
    pub extended_range: bool,
    /// XPP: X-pulse present.
    pub x_pulse: bool,
    /// ME: military emergency.
    pub military_emergency: bool,
    /// MI: military identification.
    pub military_id: bool,
    /// FOE/FRI: 0 no Mode 4 interrogation, 1 friendly, 2 unknown, 3 no reply.
    pub foe_fri: u8,
}

impl TargetReportDescriptor {
    fn read(bytes: &[u8]) -> Option<Self> {
        let first = u8_at(bytes, 0)?;
        let mut descriptor = TargetReportDescriptor {
            typ: first >> 5,
            simulated: flag_at(bytes, 0, 4),
            rdp_chain_2: flag_at(bytes, 0, 3),
            spi: flag_at(bytes, 0, 2),
            fixed_transponder: flag_at(bytes, 0, 1),
            ..TargetReportDescriptor::default()
        };
        if first & 1 == 1 {
            let ext = u8_at(bytes, 1)?;
            descriptor.test = flag_at(bytes, 1, 7);
            descriptor.extended_range = flag_at(bytes, 1, 6);
            descriptor.x_pulse = flag_at(bytes, 1, 5);
            descriptor.military_emergency = flag_at(bytes, 1, 4);
            descriptor.military_id = flag_at(bytes, 1, 3);
            descriptor.foe_fri = (ext >> 1) & 3;
        }
        Some(descriptor)
    }
}

/// I048/170 first part and first extent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrackStatus {
    /// CNF = 1: tentative track (0: confirmed).
    pub tentative: bool,
    /// RAD: 0 combined, 1 PSR, 2 SSR/Mode S, 3 invalid.
    pub rad: u8,
    /// DOU: doubtful plot-to-track association.
    pub doubtful: bool,
    /// MAH: horizontal manoeuvre sensed.
    pub manoeuvre: bool,
    /// CDM: 0 maintaining, 1 climbing, 2 descending, 3 unknown.
    pub climb_mode: u8,
    /// TRE: last report of the track.
    pub end_of_track: bool,
    /// GHO: ghost target track.
    pub ghost: bool,
    /// SUP: maintained with neighbouring node information.
    pub supplementary: bool,
    /// TCC: slant range correction applied (plot transformed in a 2D plane).
    pub slant_corrected: bool,
}

impl TrackStatus {
    fn read(bytes: &[u8]) -> Option<Self> {
        let first = u8_at(bytes, 0)?;
        let mut status = TrackStatus {
            tentative: flag_at(bytes, 0, 7),
            rad: (first >> 5) & 3,
            doubtful: flag_at(bytes, 0, 4),
            manoeuvre: flag_at(bytes, 0, 3),
            climb_mode: (first >> 1) & 3,
            ..TrackStatus::default()
        };
        if first & 1 == 1 {
            u8_at(bytes, 1)?;
            status.end_of_track = flag_at(bytes, 1, 7);
            status.ghost = flag_at(bytes, 1, 6);
            status.supplementary = flag_at(bytes, 1, 5);
            status.slant_corrected = flag_at(bytes, 1, 4);
        }
        Some(status)
    }
}

/// I048/230 Communications/ACAS capability and flight status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Communications {
    /// COM: communications capability (0 none, 1 Comm A/B, 2 Uplink ELM, 3 Downlink ELM,
    /// 4 level 5).
    pub com: u8,
    /// STAT: flight status (0 airborne, 1 on ground, 2 alert airborne, 3 alert on ground,
    /// 4 alert + SPI, 5 SPI).
    pub flight_status: u8,
    /// SI: SI-code capable (else II-code only).
    pub si_capable: bool,
    /// MSSC: Mode S specific service capability.
    pub mode_s_specific_service: bool,
    /// ARC: altitude reporting in 25 ft (else 100 ft).
    pub altitude_25ft: bool,
    /// AIC: aircraft identification capability.
    pub aircraft_id_capable: bool,
    /// B1A: BDS 1,0 bit 16.
    pub b1a: u8,
    /// B1B: BDS 1,0 bits 37/40.
    pub b1b: u8,
}

impl Communications {
    fn read(bytes: &[u8]) -> Option<Self> {
        let word = u16_at(bytes, 0)?;
        Some(Communications {
            com: (word >> 13) as u8 & 7,
            flight_status: (word >> 10) as u8 & 7,
            si_capable: word >> 9 & 1 == 1,
            mode_s_specific_service: word >> 7 & 1 == 1,
            altitude_25ft: word >> 6 & 1 == 1,
            aircraft_id_capable: word >> 5 & 1 == 1,
            b1a: (word >> 4) as u8 & 1,
            b1b: word as u8 & 0xf,
        })
    }
}

impl<'a> Cat048Report<'a> {
    /// The typed view of a CAT048 record; `None` for a record of another category.
    pub fn from_record(record: &Record<'a>) -> Option<Self> {
        if record.category() != 48 {
            return None;
        }
        let item = |k| record.known(k);
        Some(Cat048Report {
            data_source: item(K010).and_then(DataSource::read),
            time_of_day_s: item(K140)
                .and_then(|b| u24_at(b, 0))
                .map(|raw| f64::from(raw) / 128.0),
            descriptor: item(K020).and_then(TargetReportDescriptor::read),
            polar: item(K040).and_then(|b| {
                Some(Polar {
                    rho_nm: f64::from(u16_at(b, 0)?) / 256.0,
                    theta_deg: f64::from(u16_at(b, 2)?) * (360.0 / 65536.0),
                })
            }),
            cartesian: item(K042).and_then(|b| {
                Some(Cartesian {
                    x_nm: f64::from(u16_at(b, 0)? as i16) / 128.0,
                    y_nm: f64::from(u16_at(b, 2)? as i16) / 128.0,
                })
            }),
            mode3a: item(K070).and_then(|b| {
                let word = u16_at(b, 0)?;
                Some(Mode3AReply {
                    code: Mode3A::new(word & 0x0fff)?,
                    validated: word & 0x8000 == 0,
                    garbled: word & 0x4000 != 0,
                    smoothed: word & 0x2000 != 0,
                })
            }),
            flight_level: item(K090).and_then(|b| {
                let word = u16_at(b, 0)?;
                Some(FlightLevelReply {
                    flight_level: sign_extend(u64::from(word & 0x3fff), 14) as f64 / 4.0,
                    validated: word & 0x8000 == 0,
                    garbled: word & 0x4000 != 0,
                })
            }),
            height_3d_ft: item(K110).and_then(|b| {
                let word = u16_at(b, 0)?;
                Some(sign_extend(u64::from(word & 0x3fff), 14) as f64 * 25.0)
            }),
            track_number: item(K161).and_then(|b| Some(u16_at(b, 0)? & 0x0fff)),
            track_status: item(K170).and_then(TrackStatus::read),
            velocity: item(K200).and_then(|b| {
                Some(PolarVelocity {
                    groundspeed_nmps: f64::from(u16_at(b, 0)?) / 16384.0,
                    heading_deg: f64::from(u16_at(b, 2)?) * (360.0 / 65536.0),
                })
            }),
            aircraft_address: item(K220).and_then(AircraftAddress::read),
            communications: item(K230).and_then(Communications::read),
            aircraft_id: item(K240).and_then(AircraftId::read),
            mode_s_registers: item(K250).map(ModeSRegisters::read).unwrap_or_default(),
            // Read through the edition's table: an expansion field described by its REF
            // (1.32) has the subfield; a raw one (1.21) does not.
            extended_range_nm: item(KRE)
                .zip(known_format(record, KRE))
                .and_then(|(b, format)| compound_subfield(format, b, "ERR"))
                .and_then(|b| u24_at(b, 0))
                .map(|raw| f64::from(raw) / 256.0),
        })
    }
}

/// The table format of the `k`-th known item in the record's edition.
fn known_format(record: &Record<'_>, k: usize) -> Option<&'static crate::spec::Format> {
    let edition = record.edition();
    let frn = usize::from(*edition.known.get(k)?);
    Some(&edition.item_at(frn)?.format)
}

fn flag(value: bool) -> crate::encode::FieldValue<'static> {
    Uint(u64::from(value))
}

impl EncodeRecord for Cat048Report<'_> {
    const CATEGORY: u8 = 48;

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
        if let Some(tod) = self.time_of_day_s {
            w.item("140", Content::Fields(&[("TOD", Number(tod))]))?;
        }
        if let Some(d) = self.descriptor {
            w.item(
                "020",
                Content::Fields(&[
                    ("TYP", Uint(d.typ.into())),
                    ("SIM", flag(d.simulated)),
                    ("RDP", flag(d.rdp_chain_2)),
                    ("SPI", flag(d.spi)),
                    ("RAB", flag(d.fixed_transponder)),
                    ("TST", flag(d.test)),
                    ("ERR", flag(d.extended_range)),
                    ("XPP", flag(d.x_pulse)),
                    ("ME", flag(d.military_emergency)),
                    ("MI", flag(d.military_id)),
                    ("FOEFRI", Uint(d.foe_fri.into())),
                ]),
            )?;
        }
        if let Some(polar) = self.polar {
            w.item(
                "040",
                Content::Fields(&[
                    ("RHO", Number(polar.rho_nm)),
                    ("THETA", Number(polar.theta_deg)),
                ]),
            )?;
        }
        if let Some(mode3a) = self.mode3a {
            w.item(
                "070",
                Content::Fields(&[
                    ("V", flag(!mode3a.validated)),
                    ("G", flag(mode3a.garbled)),
                    ("L", flag(mode3a.smoothed)),
                    ("MODE3A", Uint(mode3a.code.bits().into())),
                ]),
            )?;
        }
        if let Some(fl) = self.flight_level {
            w.item(
                "090",
                Content::Fields(&[
                    ("V", flag(!fl.validated)),
                    ("G", flag(fl.garbled)),
                    ("FL", Number(fl.flight_level)),
                ]),
            )?;
        }
        if let Some(address) = self.aircraft_address {
            w.item(
                "220",
                Content::Fields(&[("ADR", Uint(address.bits().into()))]),
            )?;
        }
        if let Some(id) = self.aircraft_id {
            let bits = id.to_bits().ok_or(EncodeError::BadCharacter {
                category: 48,
                item: "240",
                ch: '?',
            })?;
            w.item("240", Content::Fields(&[("TID", Uint(bits))]))?;
        }
        if !self.mode_s_registers.is_empty() {
            w.item("250", Content::Registers(self.mode_s_registers.as_slice()))?;
        }
        if let Some(track_number) = self.track_number {
            w.item(
                "161",
                Content::Fields(&[("TRN", Uint(track_number.into()))]),
            )?;
        }
        if let Some(cartesian) = self.cartesian {
            w.item(
                "042",
                Content::Fields(&[("X", Number(cartesian.x_nm)), ("Y", Number(cartesian.y_nm))]),
            )?;
        }
        if let Some(velocity) = self.velocity {
            w.item(
                "200",
                Content::Fields(&[
                    ("GSP", Number(velocity.groundspeed_nmps)),
                    ("HDG", Number(velocity.heading_deg)),
                ]),
            )?;
        }
        if let Some(status) = self.track_status {
            w.item(
                "170",
                Content::Fields(&[
                    ("CNF", flag(status.tentative)),
                    ("RAD", Uint(status.rad.into())),
                    ("DOU", flag(status.doubtful)),
                    ("MAH", flag(status.manoeuvre)),
                    ("CDM", Uint(status.climb_mode.into())),
                    ("TRE", flag(status.end_of_track)),
                    ("GHO", flag(status.ghost)),
                    ("SUP", flag(status.supplementary)),
                    ("TCC", flag(status.slant_corrected)),
                ]),
            )?;
        }
        if let Some(height) = self.height_3d_ft {
            w.item("110", Content::Fields(&[("3DH", Number(height))]))?;
        }
        if let Some(range) = self.extended_range_nm {
            w.item(
                "RE",
                Content::Subfields(&[("ERR", Content::Fields(&[("RHO", Number(range))]))]),
            )?;
        }
        if let Some(c) = self.communications {
            w.item(
                "230",
                Content::Fields(&[
                    ("COM", Uint(c.com.into())),
                    ("STAT", Uint(c.flight_status.into())),
                    ("SI", flag(c.si_capable)),
                    ("MSSC", flag(c.mode_s_specific_service)),
                    ("ARC", flag(c.altitude_25ft)),
                    ("AIC", flag(c.aircraft_id_capable)),
                    ("B1A", Uint(c.b1a.into())),
                    ("B1B", Uint(c.b1b.into())),
                ]),
            )?;
        }
        Ok(())
    }
}
