//! CAT062 SDPS Track Messages: editions 1.21 (current, 2025) and 1.18 (2018, the edition of
//! asterix-decoder).
//!
//! Same UAP; 1.21 turned the last spare bit of I062/080's sixth extent into MLAT and added a
//! seventh extent (M5I), and reads I062/340 HEIGHT as two's complement where 1.18 reads it
//! unsigned. Everything else is shared. The Reserved Expansion Field is read as REF 1.3
//! (with 1.21) and REF 1.2 (with 1.18).

use super::cat021::{AIR_SPEED_CASES, TRAJECTORY_POINT, TRAJECTORY_STATUS};
use super::cat048::ACAS_RA;
use crate::spec::{
    Edition, Field, Format, ItemSpec, Part, SubItem, ascii, compound, defined_frns, expansion,
    extended, fixed, hex, icao, item, octal, part, raw, repetitive, repetitive_fx, resolve, select,
    spare, sq, sub, uap_slots, uq,
};

/// Items the typed CAT062 view reads, in the order of [`Edition::known`].
pub const KNOWN: [&str; 16] = [
    "010", "015", "070", "105", "100", "185", "210", "060", "245", "380", "040", "080", "136",
    "130", "135", "220",
];

const DEG_16: f64 = 360.0 / 65536.0;
const LAT_24: f64 = 180.0 / 8_388_608.0; // 180 / 2^23
const LAT_32: f64 = 180.0 / 33_554_432.0; // 180 / 2^25

static I010: ItemSpec = item(
    "010",
    "Data Source Identifier",
    fixed(&[raw("SAC", 8), raw("SIC", 8)]),
);

static I015: ItemSpec = item("015", "Service Identification", fixed(&[raw("SID", 8)]));

static I040: ItemSpec = item("040", "Track Number", fixed(&[raw("TRN", 16)]));

static I060: ItemSpec = item(
    "060",
    "Track Mode 3/A Code",
    fixed(&[
        raw("V", 1),
        raw("G", 1),
        raw("CH", 1),
        spare(1),
        octal("MODE3A", 12),
    ]),
);

static I070: ItemSpec = item(
    "070",
    "Time Of Track Information",
    fixed(&[uq("TOT", 24, 1.0 / 128.0, "s")]),
);

const I080_P1_P5: [Part; 5] = [
    part(&[
        raw("MON", 1),
        raw("SPI", 1),
        raw("MRH", 1),
        raw("SRC", 3),
        raw("CNF", 1),
    ]),
    part(&[
        raw("SIM", 1),
        raw("TSE", 1),
        raw("TSB", 1),
        raw("FPC", 1),
        raw("AFF", 1),
        raw("STP", 1),
        raw("KOS", 1),
    ]),
    part(&[
        raw("AMA", 1),
        raw("MD4", 2),
        raw("ME", 1),
        raw("MI", 1),
        raw("MD5", 2),
    ]),
    part(&[
        raw("CST", 1),
        raw("PSR", 1),
        raw("SSR", 1),
        raw("MDS", 1),
        raw("ADS", 1),
        raw("SUC", 1),
        raw("AAC", 1),
    ]),
    part(&[raw("SDS", 2), raw("EMS", 3), raw("PFT", 1), raw("FPLT", 1)]),
];

const I080_P6_FLAGS: [Field; 6] = [
    raw("DUPT", 1),
    raw("DUPF", 1),
    raw("DUPM", 1),
    raw("SFC", 1),
    raw("IDD", 1),
    raw("IEC", 1),
];

static I080_V1_18: ItemSpec = item(
    "080",
    "Track Status",
    extended(&[
        I080_P1_P5[0],
        I080_P1_P5[1],
        I080_P1_P5[2],
        I080_P1_P5[3],
        I080_P1_P5[4],
        part(&[
            I080_P6_FLAGS[0],
            I080_P6_FLAGS[1],
            I080_P6_FLAGS[2],
            I080_P6_FLAGS[3],
            I080_P6_FLAGS[4],
            I080_P6_FLAGS[5],
            spare(1),
        ]),
    ]),
);

static I080_V1_21: ItemSpec = item(
    "080",
    "Track Status",
    extended(&[
        I080_P1_P5[0],
        I080_P1_P5[1],
        I080_P1_P5[2],
        I080_P1_P5[3],
        I080_P1_P5[4],
        part(&[
            I080_P6_FLAGS[0],
            I080_P6_FLAGS[1],
            I080_P6_FLAGS[2],
            I080_P6_FLAGS[3],
            I080_P6_FLAGS[4],
            I080_P6_FLAGS[5],
            raw("MLAT", 1),
        ]),
        part(&[raw("M5I", 1), spare(6)]),
    ]),
);

static I100: ItemSpec = item(
    "100",
    "Calculated Track Position (Cartesian)",
    fixed(&[sq("X", 24, 0.5, "m"), sq("Y", 24, 0.5, "m")]),
);

static I105: ItemSpec = item(
    "105",
    "Calculated Position In WGS-84 Co-ordinates",
    fixed(&[sq("LAT", 32, LAT_32, "deg"), sq("LON", 32, LAT_32, "deg")]),
);

static I110: ItemSpec = item(
    "110",
    "Mode 5 Data Reports and Extended Mode 1 Code",
    compound(&[
        sub(
            "SUM",
            fixed(&[
                raw("M5", 1),
                raw("ID", 1),
                raw("DA", 1),
                raw("M1", 1),
                raw("M2", 1),
                raw("M3", 1),
                raw("MC", 1),
                raw("X", 1),
            ]),
        ),
        sub(
            "PMN",
            fixed(&[
                spare(2),
                raw("PIN", 14),
                spare(3),
                raw("NAT", 5),
                spare(2),
                raw("MIS", 6),
            ]),
        ),
        sub(
            "POS",
            fixed(&[sq("LAT", 24, LAT_24, "deg"), sq("LON", 24, LAT_24, "deg")]),
        ),
        sub(
            "GA",
            fixed(&[spare(1), raw("RES", 1), sq("GA", 14, 25.0, "ft")]),
        ),
        sub("EM1", fixed(&[spare(4), octal("EM1", 12)])),
        sub("TOS", fixed(&[sq("TOS", 8, 1.0 / 128.0, "s")])),
        sub(
            "XP",
            fixed(&[
                spare(3),
                raw("X5", 1),
                raw("XC", 1),
                raw("X3", 1),
                raw("X2", 1),
                raw("X1", 1),
            ]),
        ),
    ]),
);

static I120: ItemSpec = item(
    "120",
    "Track Mode 2 Code",
    fixed(&[spare(4), octal("MODE2", 12)]),
);

static I130: ItemSpec = item(
    "130",
    "Calculated Track Geometric Altitude",
    fixed(&[sq("ALT", 16, 6.25, "ft")]),
);

static I135: ItemSpec = item(
    "135",
    "Calculated Track Barometric Altitude",
    fixed(&[raw("QNH", 1), sq("CTB", 15, 0.25, "FL")]),
);

static I136: ItemSpec = item(
    "136",
    "Measured Flight Level",
    fixed(&[sq("MFL", 16, 0.25, "FL")]),
);

static I185: ItemSpec = item(
    "185",
    "Calculated Track Velocity (Cartesian)",
    fixed(&[sq("VX", 16, 0.25, "m/s"), sq("VY", 16, 0.25, "m/s")]),
);

static I200: ItemSpec = item(
    "200",
    "Mode of Movement",
    fixed(&[
        raw("TRANS", 2),
        raw("LONG", 2),
        raw("VERT", 2),
        raw("ADF", 1),
        spare(1),
    ]),
);

static I210: ItemSpec = item(
    "210",
    "Calculated Acceleration (Cartesian)",
    fixed(&[sq("AX", 8, 0.25, "m/s2"), sq("AY", 8, 0.25, "m/s2")]),
);

static I220: ItemSpec = item(
    "220",
    "Calculated Rate of Climb/Descent",
    fixed(&[sq("ROCD", 16, 6.25, "ft/min")]),
);

static I245: ItemSpec = item(
    "245",
    "Target Identification",
    fixed(&[raw("STI", 2), spare(6), icao("CHR", 48)]),
);

static I270: ItemSpec = item(
    "270",
    "Target Size and Orientation",
    extended(&[
        part(&[uq("LENGTH", 7, 1.0, "m")]),
        part(&[uq("ORIENTATION", 7, 360.0 / 128.0, "deg")]),
        part(&[uq("WIDTH", 7, 1.0, "m")]),
    ]),
);

const AGE_8: Format = fixed(&[uq("AGE", 8, 0.25, "s")]);

static I290: ItemSpec = item(
    "290",
    "System Track Update Ages",
    compound(&[
        sub("TRK", AGE_8),
        sub("PSR", AGE_8),
        sub("SSR", AGE_8),
        sub("MDS", AGE_8),
        sub("ADS", fixed(&[uq("AGE", 16, 0.25, "s")])),
        sub("ES", AGE_8),
        sub("VDL", AGE_8),
        sub("UAT", AGE_8),
        sub("LOP", AGE_8),
        sub("MLT", AGE_8),
    ]),
);

static I295: ItemSpec = item(
    "295",
    "Track Data Ages",
    compound(&[
        sub("MFL", AGE_8),
        sub("MD1", AGE_8),
        sub("MD2", AGE_8),
        sub("MDA", AGE_8),
        sub("MD4", AGE_8),
        sub("MD5", AGE_8),
        sub("MHG", AGE_8),
        sub("IAS", AGE_8),
        sub("TAS", AGE_8),
        sub("SAL", AGE_8),
        sub("FSS", AGE_8),
        sub("TID", AGE_8),
        sub("COM", AGE_8),
        sub("SAB", AGE_8),
        sub("ACS", AGE_8),
        sub("BVR", AGE_8),
        sub("GVR", AGE_8),
        sub("RAN", AGE_8),
        sub("TAR", AGE_8),
        sub("TAN", AGE_8),
        sub("GSP", AGE_8),
        sub("VUN", AGE_8),
        sub("MET", AGE_8),
        sub("EMC", AGE_8),
        sub("POS", AGE_8),
        sub("GAL", AGE_8),
        sub("PUN", AGE_8),
        sub("MB", AGE_8),
        sub("IAR", AGE_8),
        sub("MAC", AGE_8),
        sub("BPS", AGE_8),
    ]),
);

static I300: ItemSpec = item(
    "300",
    "Vehicle Fleet Identification",
    fixed(&[raw("VFI", 8)]),
);

/// I062/340 with the HEIGHT reading of the edition.
macro_rules! i340 {
    ($height:expr) => {
        item(
            "340",
            "Measured Information",
            compound(&[
                sub("SID", fixed(&[raw("SAC", 8), raw("SIC", 8)])),
                sub(
                    "POS",
                    fixed(&[
                        uq("RHO", 16, 1.0 / 256.0, "NM"),
                        uq("THETA", 16, DEG_16, "deg"),
                    ]),
                ),
                sub("HEIGHT", fixed(&[$height])),
                sub(
                    "MDC",
                    fixed(&[raw("V", 1), raw("G", 1), sq("LMC", 14, 0.25, "FL")]),
                ),
                sub(
                    "MDA",
                    fixed(&[
                        raw("V", 1),
                        raw("G", 1),
                        raw("L", 1),
                        spare(1),
                        octal("MODE3A", 12),
                    ]),
                ),
                sub(
                    "TYP",
                    fixed(&[
                        raw("TYP", 3),
                        raw("SIM", 1),
                        raw("RAB", 1),
                        raw("TST", 1),
                        spare(2),
                    ]),
                ),
            ]),
        )
    };
}

static I340_V1_18: ItemSpec = i340!(uq("HEIGHT", 16, 25.0, "ft"));
static I340_V1_21: ItemSpec = i340!(sq("HEIGHT", 16, 25.0, "ft"));

static I380: ItemSpec = item(
    "380",
    "Aircraft Derived Data",
    compound(&[
        sub("ADR", fixed(&[hex("ADR", 24)])),
        sub("ID", fixed(&[icao("ID", 48)])),
        sub("MHG", fixed(&[uq("MHG", 16, DEG_16, "deg")])),
        sub(
            "IAS",
            fixed(&[raw("IM", 1), select("IAS", 15, "IM", AIR_SPEED_CASES)]),
        ),
        sub("TAS", fixed(&[uq("TAS", 16, 1.0, "kt")])),
        sub(
            "SAL",
            fixed(&[raw("SAS", 1), raw("SRC", 2), sq("ALT", 13, 25.0, "ft")]),
        ),
        sub(
            "FSS",
            fixed(&[
                raw("MV", 1),
                raw("AH", 1),
                raw("AM", 1),
                sq("ALT", 13, 25.0, "ft"),
            ]),
        ),
        sub("TIS", TRAJECTORY_STATUS),
        sub("TID", repetitive(TRAJECTORY_POINT)),
        sub(
            "COM",
            fixed(&[
                raw("COM", 3),
                raw("STAT", 3),
                spare(2),
                raw("SSC", 1),
                raw("ARC", 1),
                raw("AIC", 1),
                raw("B1A", 1),
                raw("B1B", 4),
            ]),
        ),
        sub(
            "SAB",
            fixed(&[
                raw("AC", 2),
                raw("MN", 2),
                raw("DC", 2),
                raw("GBS", 1),
                spare(6),
                raw("STAT", 3),
            ]),
        ),
        sub("ACS", fixed(ACAS_RA)),
        sub("BVR", fixed(&[sq("BVR", 16, 6.25, "ft/min")])),
        sub("GVR", fixed(&[sq("GVR", 16, 6.25, "ft/min")])),
        sub("RAN", fixed(&[sq("RAN", 16, 0.01, "deg")])),
        sub(
            "TAR",
            fixed(&[
                raw("TI", 2),
                spare(6),
                sq("ROT", 7, 0.25, "deg/s"),
                spare(1),
            ]),
        ),
        sub("TAN", fixed(&[uq("TAN", 16, DEG_16, "deg")])),
        sub("GS", fixed(&[sq("GS", 16, 1.0 / 16384.0, "NM/s")])),
        sub("VUN", fixed(&[raw("VUN", 8)])),
        sub(
            "MET",
            fixed(&[
                raw("WS", 1),
                raw("WD", 1),
                raw("TMP", 1),
                raw("TRB", 1),
                spare(4),
                uq("WSD", 16, 1.0, "kt"),
                uq("WDD", 16, 1.0, "deg"),
                sq("TMPD", 16, 0.25, "degC"),
                raw("TRBD", 8),
            ]),
        ),
        sub("EMC", fixed(&[raw("EMC", 8)])),
        sub(
            "POS",
            fixed(&[sq("LAT", 24, LAT_24, "deg"), sq("LON", 24, LAT_24, "deg")]),
        ),
        sub("GAL", fixed(&[sq("GAL", 16, 6.25, "ft")])),
        sub("PUN", fixed(&[spare(4), raw("PUN", 4)])),
        sub("BDS", Format::ModeSRegisters),
        sub("IAR", fixed(&[uq("IAR", 16, 1.0, "kt")])),
        sub("MAC", fixed(&[uq("MAC", 16, 0.008, "Mach")])),
        sub("BPS", fixed(&[spare(4), uq("BPS", 12, 0.1, "mb")])),
    ]),
);

static I390: ItemSpec = item(
    "390",
    "Flight Plan Related Data",
    compound(&[
        sub("TAG", fixed(&[raw("SAC", 8), raw("SIC", 8)])),
        sub("CS", fixed(&[ascii("CS", 56)])),
        sub("IFI", fixed(&[raw("TYP", 2), spare(3), raw("NBR", 27)])),
        sub(
            "FCT",
            fixed(&[
                raw("GATOAT", 2),
                raw("FR1FR2", 2),
                raw("RVSM", 2),
                raw("HPR", 1),
                spare(1),
            ]),
        ),
        sub("TAC", fixed(&[ascii("TAC", 32)])),
        sub("WTC", fixed(&[ascii("WTC", 8)])),
        sub("DEP", fixed(&[ascii("DEP", 32)])),
        sub("DST", fixed(&[ascii("DST", 32)])),
        sub(
            "RDS",
            fixed(&[ascii("NU1", 8), ascii("NU2", 8), ascii("LTR", 8)]),
        ),
        sub("CFL", fixed(&[uq("CFL", 16, 0.25, "FL")])),
        sub("CTL", fixed(&[raw("CENTRE", 8), raw("POSITION", 8)])),
        sub(
            "TOD",
            repetitive(&[
                raw("TYP", 5),
                raw("DAY", 2),
                spare(4),
                raw("HOR", 5),
                spare(2),
                raw("MIN", 6),
                raw("AVS", 1),
                spare(1),
                raw("SEC", 6),
            ]),
        ),
        sub("AST", fixed(&[ascii("AST", 48)])),
        sub("STS", fixed(&[raw("EMP", 2), raw("AVL", 2), spare(4)])),
        sub("STD", fixed(&[ascii("STD", 56)])),
        sub("STA", fixed(&[ascii("STA", 56)])),
        sub("PEM", fixed(&[spare(3), raw("VA", 1), octal("MODE3A", 12)])),
        sub("PEC", fixed(&[ascii("PEC", 56)])),
    ]),
);

static I500: ItemSpec = item(
    "500",
    "Estimated Accuracies",
    compound(&[
        sub(
            "APC",
            fixed(&[uq("X", 16, 0.5, "m"), uq("Y", 16, 0.5, "m")]),
        ),
        sub("COV", fixed(&[sq("COV", 16, 0.5, "m")])),
        sub(
            "APW",
            fixed(&[uq("LAT", 16, LAT_32, "deg"), uq("LON", 16, LAT_32, "deg")]),
        ),
        sub("AGA", fixed(&[uq("AGA", 8, 6.25, "ft")])),
        sub("ABA", fixed(&[uq("ABA", 8, 0.25, "FL")])),
        sub(
            "ATV",
            fixed(&[uq("X", 8, 0.25, "m/s"), uq("Y", 8, 0.25, "m/s")]),
        ),
        sub(
            "AA",
            fixed(&[uq("X", 8, 0.25, "m/s2"), uq("Y", 8, 0.25, "m/s2")]),
        ),
        sub("ARC", fixed(&[uq("ARC", 8, 6.25, "ft/min")])),
    ]),
);

static I510: ItemSpec = item(
    "510",
    "Composed Track Number",
    repetitive_fx(&[raw("IDENT", 8), raw("TRACK", 15)]),
);

/// REF subfields shared by editions 1.2 and 1.3: contributing sensors and velocity.
const REF_CST: Option<SubItem> = sub(
    "CST",
    repetitive(&[
        raw("SAC", 8),
        raw("SIC", 8),
        spare(4),
        raw("TYP", 4),
        raw("LTN", 16),
    ]),
);
const REF_CSN: Option<SubItem> = sub(
    "CSN",
    repetitive(&[raw("SAC", 8), raw("SIC", 8), spare(4), raw("TYP", 4)]),
);
const REF_TVS: Option<SubItem> = sub(
    "TVS",
    fixed(&[sq("VX", 16, 0.25, "m/s"), sq("VY", 16, 0.25, "m/s")]),
);

/// Reserved Expansion Field, REF edition 1.2 (2011), read with CAT062 1.18.
static RE_REF_1_2: ItemSpec = item(
    "RE",
    "Reserved Expansion Field",
    expansion(&[
        REF_CST,
        REF_CSN,
        REF_TVS,
        sub("STS", extended(&[part(&[raw("FDR", 1), spare(6)])])),
    ]),
);

/// Reserved Expansion Field, REF edition 1.3 (February 2023), read with CAT062 1.21.
static RE_REF_1_3: ItemSpec = item(
    "RE",
    "Reserved Expansion Field",
    expansion(&[
        REF_CST,
        REF_CSN,
        REF_TVS,
        sub(
            "STS",
            extended(&[part(&[
                raw("FDR", 1),
                raw("LNAV_EP", 1),
                raw("LNAV_VAL", 1),
                spare(4),
            ])]),
        ),
        sub(
            "V3",
            compound(&[
                sub("PS3", fixed(&[raw("EP", 1), raw("VAL", 3), spare(4)])),
                sub(
                    "AS",
                    fixed(&[
                        raw("RCE_EP", 1),
                        raw("RCE_VAL", 2),
                        raw("RRL_EP", 1),
                        raw("RRL_VAL", 1),
                        raw("TPW_EP", 1),
                        raw("TPW_VAL", 2),
                        raw("TSI_EP", 1),
                        raw("TSI_VAL", 2),
                        raw("TAO_EP", 1),
                        raw("TAO_RE", 1),
                        raw("TAO_VAL", 6),
                        spare(5),
                    ]),
                ),
                sub(
                    "UAS",
                    fixed(&[
                        raw("MUO_EP", 1),
                        raw("MUO_VAL", 1),
                        raw("DAA_EP", 1),
                        raw("DAA_VAL", 2),
                        raw("RWC_EP", 1),
                        raw("RWC_VAL", 1),
                        spare(1),
                    ]),
                ),
                sub(
                    "CASS",
                    fixed(&[
                        raw("SVH_EP", 1),
                        raw("SVH_VAL", 2),
                        raw("CATC_EP", 1),
                        raw("CATC_VAL", 3),
                        spare(1),
                    ]),
                ),
            ]),
        ),
    ]),
);

macro_rules! uap {
    ($i080:expr, $i340:expr, $re:expr) => {
        [
            Some(&I010),
            None,
            Some(&I015),
            Some(&I070),
            Some(&I105),
            Some(&I100),
            Some(&I185),
            Some(&I210),
            Some(&I060),
            Some(&I245),
            Some(&I380),
            Some(&I040),
            Some($i080),
            Some(&I290),
            Some(&I200),
            Some(&I295),
            Some(&I136),
            Some(&I130),
            Some(&I135),
            Some(&I220),
            Some(&I390),
            Some(&I270),
            Some(&I300),
            Some(&I110),
            Some(&I120),
            Some(&I510),
            Some(&I500),
            Some($i340),
            None,
            None,
            None,
            None,
            None,
            Some($re),
            Some(&super::SP),
        ]
    };
}

static UAP_1_21: [Option<&ItemSpec>; 35] = uap!(&I080_V1_21, &I340_V1_21, &RE_REF_1_3);
static UAP_1_18: [Option<&ItemSpec>; 35] = uap!(&I080_V1_18, &I340_V1_18, &RE_REF_1_2);

static KNOWN_1_21: [u8; KNOWN.len()] = resolve(&UAP_1_21, &KNOWN);
static KNOWN_1_18: [u8; KNOWN.len()] = resolve(&UAP_1_18, &KNOWN);

/// CAT062 edition 1.21 (June 2025), the current edition.
pub static V1_21: Edition = Edition {
    category: 62,
    version: "1.21",
    uap: &UAP_1_21,
    known: &KNOWN_1_21,
    defined: defined_frns(&UAP_1_21),
    slots: uap_slots(&UAP_1_21),
};

/// CAT062 edition 1.18 (August 2018).
pub static V1_18: Edition = Edition {
    category: 62,
    version: "1.18",
    uap: &UAP_1_18,
    known: &KNOWN_1_18,
    defined: defined_frns(&UAP_1_18),
    slots: uap_slots(&UAP_1_18),
};
