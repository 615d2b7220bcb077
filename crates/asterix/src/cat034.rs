//! CAT034 monoradar service messages, typed: north markers, sector crossings and the radar's
//! status, read by a tracker to follow the antenna and written by the simulator.
//!
//! | field | item |
//! |---|---|
//! | `data_source` | I034/010 |
//! | `message_type` | I034/000 |
//! | `time_of_day_s` | I034/030 |
//! | `sector_azimuth_deg` | I034/020 |
//! | `antenna_rotation_period_s` | I034/041 |
//! | `system_status` | I034/050 common part (COM) |
//! | `collimation_error` | I034/090 |
//! | `source_position` | I034/120 |

use crate::decode::{Record, compound_subfield};
use crate::encode::{Content, EncodeRecord, FieldValue, FieldValue::*, RecordWriter};
use crate::error::EncodeError;
use crate::fields::{flag_at, u8_at, u16_at, u24_at};
use crate::types::DataSource;

// Positions in `tables::cat034::KNOWN`.
const K010: usize = 0;
const K000: usize = 1;
const K030: usize = 2;
const K020: usize = 3;
const K041: usize = 4;
const K050: usize = 5;
const K090: usize = 6;
const K120: usize = 7;

const LAT_24: f64 = 180.0 / 8_388_608.0;

/// A CAT034 service message, typed.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Cat034Message {
    /// I034/010 Data Source Identifier.
    pub data_source: Option<DataSource>,
    /// I034/000 Message type.
    pub message_type: Option<MessageType>,
    /// I034/030 Time of day, s since midnight UTC.
    pub time_of_day_s: Option<f64>,
    /// I034/020 Sector number, as the azimuth of the sector's start, degrees (360/256 steps).
    pub sector_azimuth_deg: Option<f64>,
    /// I034/041 Antenna rotation period, s (resolution 1/128 s).
    pub antenna_rotation_period_s: Option<f64>,
    /// I034/050 System configuration and status, common part.
    pub system_status: Option<SystemStatus>,
    /// I034/090 Collimation error.
    pub collimation_error: Option<CollimationError>,
    /// I034/120 3D position of the data source.
    pub source_position: Option<SourcePosition>,
}

/// I034/000 message types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// 1: north marker (the antenna passes north).
    NorthMarker,
    /// 2: sector crossing.
    SectorCrossing,
    /// 3: geographical filtering.
    GeographicalFiltering,
    /// 4: jamming strobe.
    JammingStrobe,
    /// 5: solar storm.
    SolarStorm,
    /// 6: SSR jamming strobe.
    SsrJammingStrobe,
    /// 7: Mode S jamming strobe.
    ModeSJammingStrobe,
    /// Any other code.
    Other(u8),
}

impl MessageType {
    /// The I034/000 code.
    pub fn code(self) -> u8 {
        match self {
            MessageType::NorthMarker => 1,
            MessageType::SectorCrossing => 2,
            MessageType::GeographicalFiltering => 3,
            MessageType::JammingStrobe => 4,
            MessageType::SolarStorm => 5,
            MessageType::SsrJammingStrobe => 6,
            MessageType::ModeSJammingStrobe => 7,
            MessageType::Other(code) => code,
        }
    }

    /// The message type of an I034/000 code.
    pub fn from_code(code: u8) -> Self {
        match code {
            1 => MessageType::NorthMarker,
            2 => MessageType::SectorCrossing,
            3 => MessageType::GeographicalFiltering,
            4 => MessageType::JammingStrobe,
            5 => MessageType::SolarStorm,
            6 => MessageType::SsrJammingStrobe,
            7 => MessageType::ModeSJammingStrobe,
            other => MessageType::Other(other),
        }
    }
}

/// I034/050 common part (COM): the radar data processor's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SystemStatus {
    /// NOGO: the system is degraded or not usable.
    pub nogo: bool,
    /// RDPC: RDP chain 2 selected (else chain 1).
    pub rdp_chain_2: bool,
    /// RDPR: event to signal a reset/restart of the selected RDP chain.
    pub rdp_reset: bool,
    /// OVLRDP: RDP overloaded.
    pub rdp_overload: bool,
    /// OVLXMT: transmission subsystem overloaded.
    pub transmission_overload: bool,
    /// MSC: monitoring system disconnected.
    pub monitoring_disconnected: bool,
    /// TSV: time source invalid.
    pub time_source_invalid: bool,
}

/// I034/090 Collimation error.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CollimationError {
    /// Range error, NM (resolution 1/128 NM).
    pub range_nm: f64,
    /// Azimuth error, degrees (resolution 360/2^14).
    pub azimuth_deg: f64,
}

/// I034/120 3D position of the data source.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SourcePosition {
    /// Height above WGS-84, m.
    pub height_m: f64,
    /// Latitude, degrees (resolution 180/2^23).
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
}

impl Cat034Message {
    /// The typed view of a CAT034 record; `None` for a record of another category.
    pub fn from_record(record: &Record<'_>) -> Option<Self> {
        if record.category() != 34 {
            return None;
        }
        let item = |k| record.known(k);
        let status_format = record.edition().item("050").map(|spec| &spec.format);
        Some(Cat034Message {
            data_source: item(K010).and_then(DataSource::read),
            message_type: item(K000)
                .and_then(|b| u8_at(b, 0))
                .map(MessageType::from_code),
            time_of_day_s: item(K030)
                .and_then(|b| u24_at(b, 0))
                .map(|raw| f64::from(raw) / 128.0),
            sector_azimuth_deg: item(K020)
                .and_then(|b| u8_at(b, 0))
                .map(|raw| f64::from(raw) * (360.0 / 256.0)),
            antenna_rotation_period_s: item(K041)
                .and_then(|b| u16_at(b, 0))
                .map(|raw| f64::from(raw) / 128.0),
            system_status: item(K050)
                .zip(status_format)
                .and_then(|(b, format)| compound_subfield(format, b, "COM"))
                .map(|com| SystemStatus {
                    nogo: flag_at(com, 0, 7),
                    rdp_chain_2: flag_at(com, 0, 6),
                    rdp_reset: flag_at(com, 0, 5),
                    rdp_overload: flag_at(com, 0, 4),
                    transmission_overload: flag_at(com, 0, 3),
                    monitoring_disconnected: flag_at(com, 0, 2),
                    time_source_invalid: flag_at(com, 0, 1),
                }),
            collimation_error: item(K090).and_then(|b| {
                Some(CollimationError {
                    range_nm: f64::from(u8_at(b, 0)? as i8) / 128.0,
                    azimuth_deg: f64::from(u8_at(b, 1)? as i8) * (360.0 / 16384.0),
                })
            }),
            source_position: item(K120).and_then(|b| {
                Some(SourcePosition {
                    height_m: f64::from(u16_at(b, 0)? as i16),
                    lat_deg: crate::fields::sign_extend(u64::from(u24_at(b, 2)?), 24) as f64
                        * LAT_24,
                    lon_deg: crate::fields::sign_extend(u64::from(u24_at(b, 5)?), 24) as f64
                        * LAT_24,
                })
            }),
        })
    }

    /// A north marker at `time_of_day_s`.
    pub fn north_marker(data_source: DataSource, time_of_day_s: f64) -> Self {
        Cat034Message {
            data_source: Some(data_source),
            message_type: Some(MessageType::NorthMarker),
            time_of_day_s: Some(time_of_day_s),
            ..Cat034Message::default()
        }
    }

    /// A sector crossing at `time_of_day_s`, the sector starting at `sector_azimuth_deg`.
    pub fn sector_crossing(
        data_source: DataSource,
        time_of_day_s: f64,
        sector_azimuth_deg: f64,
    ) -> Self {
        Cat034Message {
            data_source: Some(data_source),
            message_type: Some(MessageType::SectorCrossing),
            time_of_day_s: Some(time_of_day_s),
            sector_azimuth_deg: Some(sector_azimuth_deg),
            ..Cat034Message::default()
        }
    }
}

fn flag(value: bool) -> FieldValue<'static> {
    Uint(u64::from(value))
}

impl EncodeRecord for Cat034Message {
    const CATEGORY: u8 = 34;

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
        if let Some(message_type) = self.message_type {
            w.item(
                "000",
                Content::Fields(&[("MT", Uint(message_type.code().into()))]),
            )?;
        }
        if let Some(tod) = self.time_of_day_s {
            w.item("030", Content::Fields(&[("TOD", Number(tod))]))?;
        }
        if let Some(azimuth) = self.sector_azimuth_deg {
            w.item("020", Content::Fields(&[("SN", Number(azimuth))]))?;
        }
        if let Some(period) = self.antenna_rotation_period_s {
            w.item("041", Content::Fields(&[("ARS", Number(period))]))?;
        }
        if let Some(s) = self.system_status {
            w.item(
                "050",
                Content::Subfields(&[(
                    "COM",
                    Content::Fields(&[
                        ("NOGO", flag(s.nogo)),
                        ("RDPC", flag(s.rdp_chain_2)),
                        ("RDPR", flag(s.rdp_reset)),
                        ("OVLRDP", flag(s.rdp_overload)),
                        ("OVLXMT", flag(s.transmission_overload)),
                        ("MSC", flag(s.monitoring_disconnected)),
                        ("TSV", flag(s.time_source_invalid)),
                    ]),
                )]),
            )?;
        }
        if let Some(position) = self.source_position {
            w.item(
                "120",
                Content::Fields(&[
                    ("HGT", Number(position.height_m)),
                    ("LAT", Number(position.lat_deg)),
                    ("LON", Number(position.lon_deg)),
                ]),
            )?;
        }
        if let Some(error) = self.collimation_error {
            w.item(
                "090",
                Content::Fields(&[
                    ("RNG", Number(error.range_nm)),
                    ("AZM", Number(error.azimuth_deg)),
                ]),
            )?;
        }
        Ok(())
    }
}
