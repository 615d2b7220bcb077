//! CAT065 SDPS Service Status Reports: editions 1.6 (current, 2023) and 1.3 (the edition of
//! asterix-decoder).
//!
//! Same UAP; 1.4 turned the spare bit 2 of I065/040 into STTN (track re-numbering
//! indication). Decoding and no encoding: Liptako does not emit service status reports.

use crate::spec::{
    Edition, ItemSpec, defined_frns, fixed, item, raw, resolve, spare, uap_slots, uq,
};

/// Items the typed CAT065 view reads, in the order of [`Edition::known`].
pub const KNOWN: [&str; 7] = ["010", "000", "015", "030", "020", "040", "050"];

static I000: ItemSpec = item("000", "Message Type", fixed(&[raw("MT", 8)]));

static I010: ItemSpec = item(
    "010",
    "Data Source Identifier",
    fixed(&[raw("SAC", 8), raw("SIC", 8)]),
);

static I015: ItemSpec = item("015", "Service Identification", fixed(&[raw("SID", 8)]));

static I020: ItemSpec = item("020", "Batch Number", fixed(&[raw("BTN", 8)]));

static I030: ItemSpec = item(
    "030",
    "Time of Message",
    fixed(&[uq("TOD", 24, 1.0 / 128.0, "s")]),
);

static I040_V1_3: ItemSpec = item(
    "040",
    "SDPS Configuration and Status",
    fixed(&[
        raw("NOGO", 2),
        raw("OVL", 1),
        raw("TSV", 1),
        raw("PSS", 2),
        spare(2),
    ]),
);

static I040_V1_6: ItemSpec = item(
    "040",
    "SDPS Configuration and Status",
    fixed(&[
        raw("NOGO", 2),
        raw("OVL", 1),
        raw("TSV", 1),
        raw("PSS", 2),
        raw("STTN", 1),
        spare(1),
    ]),
);

static I050: ItemSpec = item("050", "Service Status Report", fixed(&[raw("REPORT", 8)]));

macro_rules! uap {
    ($i040:expr) => {
        [
            Some(&I010),
            Some(&I000),
            Some(&I015),
            Some(&I030),
            Some(&I020),
            Some($i040),
            Some(&I050),
            None,
            None,
            None,
            None,
            None,
            Some(&super::RE),
            Some(&super::SP),
        ]
    };
}

static UAP_1_6: [Option<&ItemSpec>; 14] = uap!(&I040_V1_6);
static UAP_1_3: [Option<&ItemSpec>; 14] = uap!(&I040_V1_3);

static KNOWN_1_6: [u8; KNOWN.len()] = resolve(&UAP_1_6, &KNOWN);
static KNOWN_1_3: [u8; KNOWN.len()] = resolve(&UAP_1_3, &KNOWN);

/// CAT065 edition 1.6 (March 2023), the current edition.
pub static V1_6: Edition = Edition {
    category: 65,
    version: "1.6",
    uap: &UAP_1_6,
    known: &KNOWN_1_6,
    defined: defined_frns(&UAP_1_6),
    slots: uap_slots(&UAP_1_6),
};

/// CAT065 edition 1.3.
pub static V1_3: Edition = Edition {
    category: 65,
    version: "1.3",
    uap: &UAP_1_3,
    known: &KNOWN_1_3,
    defined: defined_frns(&UAP_1_3),
    slots: uap_slots(&UAP_1_3),
};
