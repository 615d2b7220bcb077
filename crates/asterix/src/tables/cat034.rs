//! CAT034 Transmission of Monoradar Service Messages: editions 1.29 (current, 2021) and 1.27
//! (2007, the edition of asterix-decoder).
//!
//! The two editions have the same UAP and the same item layouts; 1.28 and 1.29 only added
//! values (message types, codes). They are kept as two editions so a configuration can name
//! either.

use crate::spec::{
    Edition, Format, ItemSpec, compound, defined_frns, fixed, item, raw, repetitive, resolve,
    spare, sq, sub, uap_slots, uq,
};

/// Items the typed CAT034 view reads, in the order of [`Edition::known`].
pub const KNOWN: [&str; 8] = ["010", "000", "030", "020", "041", "050", "090", "120"];

const DEG_16: f64 = 360.0 / 65536.0;
const LAT_24: f64 = 180.0 / 8_388_608.0; // 180 / 2^23

static I000: ItemSpec = item("000", "Message Type", fixed(&[raw("MT", 8)]));

static I010: ItemSpec = item(
    "010",
    "Data Source Identifier",
    fixed(&[raw("SAC", 8), raw("SIC", 8)]),
);

static I020: ItemSpec = item(
    "020",
    "Sector Number",
    fixed(&[uq("SN", 8, 360.0 / 256.0, "deg")]),
);

static I030: ItemSpec = item(
    "030",
    "Time of Day",
    fixed(&[uq("TOD", 24, 1.0 / 128.0, "s")]),
);

static I041: ItemSpec = item(
    "041",
    "Antenna Rotation Period",
    fixed(&[uq("ARS", 16, 1.0 / 128.0, "s")]),
);

/// Sensor-specific status of a PSR or SSR (I034/050 PSR and SSR subfields).
const SENSOR_STATUS: Format = fixed(&[
    raw("ANT", 1),
    raw("CHAB", 2),
    raw("OVL", 1),
    raw("MSC", 1),
    spare(3),
]);

static I050: ItemSpec = item(
    "050",
    "System Configuration and Status",
    compound(&[
        sub(
            "COM",
            fixed(&[
                raw("NOGO", 1),
                raw("RDPC", 1),
                raw("RDPR", 1),
                raw("OVLRDP", 1),
                raw("OVLXMT", 1),
                raw("MSC", 1),
                raw("TSV", 1),
                spare(1),
            ]),
        ),
        None,
        None,
        sub("PSR", SENSOR_STATUS),
        sub("SSR", SENSOR_STATUS),
        sub(
            "MDS",
            fixed(&[
                raw("ANT", 1),
                raw("CHAB", 2),
                raw("OVLSUR", 1),
                raw("MSC", 1),
                raw("SCF", 1),
                raw("DLF", 1),
                raw("OVLSCF", 1),
                raw("OVLDLF", 1),
                spare(7),
            ]),
        ),
    ]),
);

static I060: ItemSpec = item(
    "060",
    "System Processing Mode",
    compound(&[
        sub(
            "COM",
            fixed(&[spare(1), raw("REDRDP", 3), raw("REDXMT", 3), spare(1)]),
        ),
        None,
        None,
        sub(
            "PSR",
            fixed(&[raw("POL", 1), raw("REDRAD", 3), raw("STC", 2), spare(2)]),
        ),
        sub("SSR", fixed(&[raw("REDRAD", 3), spare(5)])),
        sub("MDS", fixed(&[raw("REDRAD", 3), raw("CLU", 1), spare(4)])),
    ]),
);

static I070: ItemSpec = item(
    "070",
    "Message Count Values",
    repetitive(&[raw("TYP", 5), raw("COUNT", 11)]),
);

static I090: ItemSpec = item(
    "090",
    "Collimation Error",
    fixed(&[
        sq("RNG", 8, 1.0 / 128.0, "NM"),
        sq("AZM", 8, 360.0 / 16384.0, "deg"),
    ]),
);

static I100: ItemSpec = item(
    "100",
    "Generic Polar Window",
    fixed(&[
        uq("RHOST", 16, 1.0 / 256.0, "NM"),
        uq("RHOEND", 16, 1.0 / 256.0, "NM"),
        uq("THETAST", 16, DEG_16, "deg"),
        uq("THETAEND", 16, DEG_16, "deg"),
    ]),
);

static I110: ItemSpec = item("110", "Data Filter", fixed(&[raw("TYP", 8)]));

static I120: ItemSpec = item(
    "120",
    "3D-Position of Data Source",
    fixed(&[
        sq("HGT", 16, 1.0, "m"),
        sq("LAT", 24, LAT_24, "deg"),
        sq("LON", 24, LAT_24, "deg"),
    ]),
);

/// The UAP shared by editions 1.27 to 1.29.
static UAP: [Option<&ItemSpec>; 14] = [
    Some(&I010),
    Some(&I000),
    Some(&I030),
    Some(&I020),
    Some(&I041),
    Some(&I050),
    Some(&I060),
    Some(&I070),
    Some(&I100),
    Some(&I110),
    Some(&I120),
    Some(&I090),
    Some(&super::RE),
    Some(&super::SP),
];

static KNOWN_FRNS: [u8; KNOWN.len()] = resolve(&UAP, &KNOWN);

/// CAT034 edition 1.29 (March 2021), the current edition.
pub static V1_29: Edition = Edition {
    category: 34,
    version: "1.29",
    uap: &UAP,
    known: &KNOWN_FRNS,
    defined: defined_frns(&UAP),
    slots: uap_slots(&UAP),
};

/// CAT034 edition 1.27 (May 2007).
pub static V1_27: Edition = Edition {
    category: 34,
    version: "1.27",
    uap: &UAP,
    known: &KNOWN_FRNS,
    defined: defined_frns(&UAP),
    slots: uap_slots(&UAP),
};
