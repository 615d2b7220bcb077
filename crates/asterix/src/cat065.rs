//! CAT065 SDPS service status reports, typed (decoding only: Liptako does not emit them).
//!
//! | field | item |
//! |---|---|
//! | `data_source` | I065/010 |
//! | `message_type` | I065/000 (1 SDPS status, 2 end of batch, 3 service status report) |
//! | `service_id` | I065/015 |
//! | `time_of_message_s` | I065/030 |
//! | `batch_number` | I065/020 |
//! | `sdps_status` | I065/040 |
//! | `service_status_report` | I065/050 |

use crate::decode::Record;
use crate::fields::{flag_at, u8_at, u24_at};
use crate::types::DataSource;

// Positions in `tables::cat065::KNOWN`.
const K010: usize = 0;
const K000: usize = 1;
const K015: usize = 2;
const K030: usize = 3;
const K020: usize = 4;
const K040: usize = 5;
const K050: usize = 6;

/// A CAT065 service status report, typed.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Cat065Message {
    /// I065/010 Data Source Identifier.
    pub data_source: Option<DataSource>,
    /// I065/000 Message type: 1 SDPS status, 2 end of batch, 3 service status report.
    pub message_type: Option<u8>,
    /// I065/015 Service identification.
    pub service_id: Option<u8>,
    /// I065/030 Time of message, s since midnight UTC.
    pub time_of_message_s: Option<f64>,
    /// I065/020 Batch number.
    pub batch_number: Option<u8>,
    /// I065/040 SDPS configuration and status.
    pub sdps_status: Option<SdpsStatus>,
    /// I065/050 Service status report code.
    pub service_status_report: Option<u8>,
}

/// I065/040 SDPS configuration and status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SdpsStatus {
    /// NOGO: 0 operational, 1 degraded, 2 not currently connected, 3 unknown.
    pub nogo: u8,
    /// OVL: overload.
    pub overload: bool,
    /// TSV: time source invalid.
    pub time_source_invalid: bool,
    /// PSS processing system status: 0 not applicable, 1 SDPS-1 selected, 2 SDPS-2, 3 SDPS-3.
    pub processing_system: u8,
    /// STTN: track re-numbering indication (edition 1.4 and later; spare in 1.3).
    pub track_renumbering: bool,
}

impl Cat065Message {
    /// The typed view of a CAT065 record; `None` for a record of another category.
    pub fn from_record(record: &Record<'_>) -> Option<Self> {
        if record.category() != 65 {
            return None;
        }
        let item = |k| record.known(k);
        Some(Cat065Message {
            data_source: item(K010).and_then(DataSource::read),
            message_type: item(K000).and_then(|b| u8_at(b, 0)),
            service_id: item(K015).and_then(|b| u8_at(b, 0)),
            time_of_message_s: item(K030)
                .and_then(|b| u24_at(b, 0))
                .map(|raw| f64::from(raw) / 128.0),
            batch_number: item(K020).and_then(|b| u8_at(b, 0)),
            sdps_status: item(K040).and_then(|b| {
                let octet = u8_at(b, 0)?;
                Some(SdpsStatus {
                    nogo: octet >> 6,
                    overload: flag_at(b, 0, 5),
                    time_source_invalid: flag_at(b, 0, 4),
                    processing_system: (octet >> 2) & 3,
                    track_renumbering: flag_at(b, 0, 1),
                })
            }),
            service_status_report: item(K050).and_then(|b| u8_at(b, 0)),
        })
    }
}
