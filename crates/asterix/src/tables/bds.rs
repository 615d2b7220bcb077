//! Mode S Comm-B registers carried in I048/250, I021/250 and I062/380 BDS: the 56 MB bits of
//! the registers a tracker uses, laid out as ICAO Doc 9871 defines them. Each register's
//! fields are followed by the 8-bit BDS code (BDS1, BDS2) that ends the ASTERIX element.
//!
//! Values are `raw * scale` like every ASTERIX field: BDS 4,0's barometric setting is the
//! offset from 800 mb, as transmitted; the typed accessors add the 800.

use crate::spec::{Field, hex, icao, raw, sq, uq};

/// Fields of the 64-bit element for register `code` (`0x40` for BDS 4,0), or `None` for a
/// register we show only raw.
pub fn register(code: u8) -> Option<&'static [Field]> {
    match code {
        0x20 => Some(BDS_2_0),
        0x40 => Some(BDS_4_0),
        0x50 => Some(BDS_5_0),
        0x60 => Some(BDS_6_0),
        _ => None,
    }
}

/// A register we do not decode: the MB bits in hexadecimal, then the code.
pub const UNKNOWN: &[Field] = &[hex("MBDATA", 56), hex("BDS", 8)];

/// BDS 2,0 Aircraft identification.
const BDS_2_0: &[Field] = &[hex("BDS20", 8), icao("ID", 48), hex("BDS", 8)];

/// BDS 4,0 Selected vertical intention.
const BDS_4_0: &[Field] = &[
    raw("MCP_ALT_STATUS", 1),
    uq("MCP_ALT", 12, 16.0, "ft"),
    raw("FMS_ALT_STATUS", 1),
    uq("FMS_ALT", 12, 16.0, "ft"),
    raw("BP_STATUS", 1),
    uq("BP", 12, 0.1, "mb"),
    raw("RES1", 8),
    raw("MODE_STATUS", 1),
    raw("VNAV", 1),
    raw("ALT_HOLD", 1),
    raw("APP", 1),
    raw("RES2", 2),
    raw("TARGET_ALT_STATUS", 1),
    raw("TARGET_ALT_SOURCE", 2),
    hex("BDS", 8),
];

/// BDS 5,0 Track and turn report.
const BDS_5_0: &[Field] = &[
    raw("RA_STATUS", 1),
    sq("RA", 10, 45.0 / 256.0, "deg"),
    raw("TTA_STATUS", 1),
    sq("TTA", 11, 90.0 / 512.0, "deg"),
    raw("GS_STATUS", 1),
    uq("GS", 10, 2.0, "kt"),
    raw("TAR_STATUS", 1),
    sq("TAR", 10, 8.0 / 256.0, "deg/s"),
    raw("TAS_STATUS", 1),
    uq("TAS", 10, 2.0, "kt"),
    hex("BDS", 8),
];

/// BDS 6,0 Heading and speed report.
const BDS_6_0: &[Field] = &[
    raw("HDG_STATUS", 1),
    sq("HDG", 11, 90.0 / 512.0, "deg"),
    raw("IAS_STATUS", 1),
    uq("IAS", 10, 1.0, "kt"),
    raw("MACH_STATUS", 1),
    uq("MACH", 10, 0.004, "Mach"),
    raw("BAR_STATUS", 1),
    sq("BAR", 10, 32.0, "ft/min"),
    raw("IVV_STATUS", 1),
    sq("IVV", 10, 32.0, "ft/min"),
    hex("BDS", 8),
];

const _: () = {
    assert!(crate::spec::bit_width(UNKNOWN) == 64);
    assert!(crate::spec::bit_width(BDS_2_0) == 64);
    assert!(crate::spec::bit_width(BDS_4_0) == 64);
    assert!(crate::spec::bit_width(BDS_5_0) == 64);
    assert!(crate::spec::bit_width(BDS_6_0) == 64);
};
