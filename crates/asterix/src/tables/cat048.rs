//! CAT048 Monoradar Target Reports: editions 1.32 (current, 2024) and 1.21 (2016, still the
//! edition of many fielded radars and of asterix-decoder).
//!
//! The two editions share every item layout but two: I048/020 gained the ERR bit (first
//! extent) and four further extents (EMS 4.0 and transponder MOPS capabilities); everything
//! else, and the UAP, is the same. Data produced to 1.21 therefore decodes unchanged with the
//! 1.32 table. With 1.32 the Reserved Expansion Field is read as REF 1.13; with 1.21 it stays
//! raw (the REF editions of that time are not described).

use crate::spec::{
    Edition, Field, ItemSpec, SubItem, compound, defined_frns, expansion, extended, fixed, hex,
    icao, item, octal, part, raw, repetitive, repetitive_fx, resolve, spare, sq, sub, uap_slots,
    uq,
};

/// Items the typed CAT048 view reads, in the order of [`Edition::known`].
pub const KNOWN: [&str; 16] = [
    "010", "140", "020", "040", "042", "070", "090", "110", "161", "170", "200", "220", "230",
    "240", "250", "RE",
];

const DEG_16: f64 = 360.0 / 65536.0;

static I010: ItemSpec = item(
    "010",
    "Data Source Identifier",
    fixed(&[raw("SAC", 8), raw("SIC", 8)]),
);

const I020_P1: &[Field] = &[
    raw("TYP", 3),
    raw("SIM", 1),
    raw("RDP", 1),
    raw("SPI", 1),
    raw("RAB", 1),
];

static I020_V1_21: ItemSpec = item(
    "020",
    "Target Report Descriptor",
    extended(&[
        part(I020_P1),
        part(&[
            raw("TST", 1),
            spare(1),
            raw("XPP", 1),
            raw("ME", 1),
            raw("MI", 1),
            raw("FOEFRI", 2),
        ]),
    ]),
);

static I020_V1_32: ItemSpec = item(
    "020",
    "Target Report Descriptor",
    extended(&[
        part(I020_P1),
        part(&[
            raw("TST", 1),
            raw("ERR", 1),
            raw("XPP", 1),
            raw("ME", 1),
            raw("MI", 1),
            raw("FOEFRI", 2),
        ]),
        part(&[
            raw("ADSB_EP", 1),
            raw("ADSB_VAL", 1),
            raw("SCN_EP", 1),
            raw("SCN_VAL", 1),
            raw("PAI_EP", 1),
            raw("PAI_VAL", 1),
            spare(1),
        ]),
        part(&[
            raw("ACASXV_EP", 1),
            raw("ACASXV_VAL", 4),
            raw("POXPR_EP", 1),
            raw("POXPR_VAL", 1),
        ]),
        part(&[
            raw("POACT_EP", 1),
            raw("POACT_VAL", 1),
            raw("DTFXPR_EP", 1),
            raw("DTFXPR_VAL", 1),
            raw("DTFACT_EP", 1),
            raw("DTFACT_VAL", 1),
            spare(1),
        ]),
        part(&[
            raw("IRMXPR_EP", 1),
            raw("IRMXPR_VAL", 1),
            raw("IRMACT_EP", 1),
            raw("IRMACT_VAL", 1),
            spare(3),
        ]),
    ]),
);

static I030: ItemSpec = item(
    "030",
    "Warning/Error Conditions and Target Classification",
    repetitive_fx(&[raw("WE", 7)]),
);

static I040: ItemSpec = item(
    "040",
    "Measured Position in Polar Co-ordinates",
    fixed(&[
        uq("RHO", 16, 1.0 / 256.0, "NM"),
        uq("THETA", 16, DEG_16, "deg"),
    ]),
);

static I042: ItemSpec = item(
    "042",
    "Calculated Position in Cartesian Co-ordinates",
    fixed(&[
        sq("X", 16, 1.0 / 128.0, "NM"),
        sq("Y", 16, 1.0 / 128.0, "NM"),
    ]),
);

static I050: ItemSpec = item(
    "050",
    "Mode-2 Code in Octal Representation",
    fixed(&[
        raw("V", 1),
        raw("G", 1),
        raw("L", 1),
        spare(1),
        octal("MODE2", 12),
    ]),
);

static I055: ItemSpec = item(
    "055",
    "Mode-1 Code in Octal Representation",
    fixed(&[raw("V", 1), raw("G", 1), raw("L", 1), raw("MODE1", 5)]),
);

/// Code confidence bits of a 12-bit Mode code, A4 first (I048/060, I048/080).
const QUALITY_12: &[Field] = &[
    spare(4),
    raw("QA4", 1),
    raw("QA2", 1),
    raw("QA1", 1),
    raw("QB4", 1),
    raw("QB2", 1),
    raw("QB1", 1),
    raw("QC4", 1),
    raw("QC2", 1),
    raw("QC1", 1),
    raw("QD4", 1),
    raw("QD2", 1),
    raw("QD1", 1),
];

static I060: ItemSpec = item("060", "Mode-2 Code Confidence Indicator", fixed(QUALITY_12));

static I065: ItemSpec = item(
    "065",
    "Mode-1 Code Confidence Indicator",
    fixed(&[
        spare(3),
        raw("QA4", 1),
        raw("QA2", 1),
        raw("QA1", 1),
        raw("QB2", 1),
        raw("QB1", 1),
    ]),
);

static I070: ItemSpec = item(
    "070",
    "Mode-3/A Code in Octal Representation",
    fixed(&[
        raw("V", 1),
        raw("G", 1),
        raw("L", 1),
        spare(1),
        octal("MODE3A", 12),
    ]),
);

static I080: ItemSpec = item(
    "080",
    "Mode-3/A Code Confidence Indicator",
    fixed(QUALITY_12),
);

static I090: ItemSpec = item(
    "090",
    "Flight Level in Binary Representation",
    fixed(&[raw("V", 1), raw("G", 1), sq("FL", 14, 0.25, "FL")]),
);

static I100: ItemSpec = item(
    "100",
    "Mode-C Code and Code Confidence Indicator",
    fixed(&[
        raw("V", 1),
        raw("G", 1),
        spare(2),
        raw("MODEC", 12),
        spare(4),
        raw("QC1", 1),
        raw("QA1", 1),
        raw("QC2", 1),
        raw("QA2", 1),
        raw("QC4", 1),
        raw("QA4", 1),
        raw("QB1", 1),
        raw("QD1", 1),
        raw("QB2", 1),
        raw("QD2", 1),
        raw("QB4", 1),
        raw("QD4", 1),
    ]),
);

static I110: ItemSpec = item(
    "110",
    "Height Measured by a 3D Radar",
    fixed(&[spare(2), sq("3DH", 14, 25.0, "ft")]),
);

static I120: ItemSpec = item(
    "120",
    "Radial Doppler Speed",
    compound(&[
        sub(
            "CAL",
            fixed(&[raw("D", 1), spare(5), sq("CAL", 10, 1.0, "m/s")]),
        ),
        sub(
            "RDS",
            repetitive(&[
                uq("DOP", 16, 1.0, "m/s"),
                uq("AMB", 16, 1.0, "m/s"),
                uq("FRQ", 16, 1.0, "MHz"),
            ]),
        ),
    ]),
);

static I130: ItemSpec = item(
    "130",
    "Radar Plot Characteristics",
    compound(&[
        sub("SRL", fixed(&[uq("SRL", 8, 360.0 / 8192.0, "deg")])),
        sub("SRR", fixed(&[raw("SRR", 8)])),
        sub("SAM", fixed(&[sq("SAM", 8, 1.0, "dBm")])),
        sub("PRL", fixed(&[uq("PRL", 8, 360.0 / 8192.0, "deg")])),
        sub("PAM", fixed(&[sq("PAM", 8, 1.0, "dBm")])),
        sub("RPD", fixed(&[sq("RPD", 8, 1.0 / 256.0, "NM")])),
        sub("APD", fixed(&[sq("APD", 8, 360.0 / 16384.0, "deg")])),
    ]),
);

static I140: ItemSpec = item(
    "140",
    "Time of Day",
    fixed(&[uq("TOD", 24, 1.0 / 128.0, "s")]),
);

static I161: ItemSpec = item("161", "Track Number", fixed(&[spare(4), raw("TRN", 12)]));

static I170: ItemSpec = item(
    "170",
    "Track Status",
    extended(&[
        part(&[
            raw("CNF", 1),
            raw("RAD", 2),
            raw("DOU", 1),
            raw("MAH", 1),
            raw("CDM", 2),
        ]),
        part(&[
            raw("TRE", 1),
            raw("GHO", 1),
            raw("SUP", 1),
            raw("TCC", 1),
            spare(3),
        ]),
    ]),
);

static I200: ItemSpec = item(
    "200",
    "Calculated Track Velocity in Polar Co-ordinates",
    fixed(&[
        uq("GSP", 16, 1.0 / 16384.0, "NM/s"),
        uq("HDG", 16, DEG_16, "deg"),
    ]),
);

static I210: ItemSpec = item(
    "210",
    "Track Quality",
    fixed(&[
        uq("SIGX", 8, 1.0 / 128.0, "NM"),
        uq("SIGY", 8, 1.0 / 128.0, "NM"),
        uq("SIGV", 8, 1.0 / 16384.0, "NM/s"),
        uq("SIGH", 8, 360.0 / 4096.0, "deg"),
    ]),
);

static I220: ItemSpec = item("220", "Aircraft Address", fixed(&[hex("ADR", 24)]));

static I230: ItemSpec = item(
    "230",
    "Communications/ACAS Capability and Flight Status",
    fixed(&[
        raw("COM", 3),
        raw("STAT", 3),
        raw("SI", 1),
        spare(1),
        raw("MSSC", 1),
        raw("ARC", 1),
        raw("AIC", 1),
        raw("B1A", 1),
        raw("B1B", 4),
    ]),
);

static I240: ItemSpec = item("240", "Aircraft Identification", fixed(&[icao("TID", 48)]));

static I250: ItemSpec = item(
    "250",
    "BDS Register Data",
    crate::spec::Format::ModeSRegisters,
);

/// The 56 bits of a BDS 3,0 register (ACAS resolution advisory), laid out as ICAO Annex 10
/// Vol IV numbers the reply bits: the ARA and RAC bits each carry their own meaning.
pub(crate) const ACAS_RA: &[Field] = &[
    hex("BDS", 8),
    raw("ARA41", 1),
    raw("ARA42", 1),
    raw("ARA43", 1),
    raw("ARA44", 1),
    raw("ARA45", 1),
    raw("ARA46", 1),
    raw("ARA47", 1),
    raw("ARA48", 7),
    raw("RAC55", 1),
    raw("RAC56", 1),
    raw("RAC57", 1),
    raw("RAC58", 1),
    raw("RAT", 1),
    raw("MTE", 1),
    raw("TTI", 2),
    raw("TID", 26),
];

static I260: ItemSpec = item("260", "ACAS Resolution Advisory Report", fixed(ACAS_RA));

/// Mode 5 summary, reported position, altitude, Extended Mode 1, time offset and X pulses:
/// the subfields REF MD5 and M5N share (they differ in PMN and M5N's FOM).
const MODE5_SUM: Option<SubItem> = sub(
    "SUM",
    fixed(&[
        raw("M5", 1),
        raw("ID", 1),
        raw("DA", 1),
        raw("M1", 1),
        raw("M2", 1),
        raw("M3", 1),
        raw("MC", 1),
        spare(1),
    ]),
);
const MODE5_POS: Option<SubItem> = sub(
    "POS",
    fixed(&[
        sq("LAT", 24, 180.0 / 8_388_608.0, "deg"),
        sq("LON", 24, 180.0 / 8_388_608.0, "deg"),
    ]),
);
const MODE5_GA: Option<SubItem> = sub(
    "GA",
    fixed(&[spare(1), raw("RES", 1), sq("GA", 14, 25.0, "ft")]),
);
const MODE5_EM1: Option<SubItem> = sub(
    "EM1",
    fixed(&[
        raw("V", 1),
        raw("G", 1),
        raw("L", 1),
        spare(1),
        octal("EM1", 12),
    ]),
);
const MODE5_TOS: Option<SubItem> = sub("TOS", fixed(&[uq("TOS", 8, 1.0 / 128.0, "s")]));
const MODE5_XP: Option<SubItem> = sub(
    "XP",
    fixed(&[
        spare(2),
        raw("XP", 1),
        raw("X5", 1),
        raw("XC", 1),
        raw("X3", 1),
        raw("X2", 1),
        raw("X1", 1),
    ]),
);

/// Reserved Expansion Field, REF edition 1.13 (December 2024), read with CAT048 1.32. Its ERR
/// subfield carries the range of targets beyond 256 NM (flagged by ERR in I048/020).
static RE_REF_1_13: ItemSpec = item(
    "RE",
    "Reserved Expansion Field",
    expansion(&[
        sub(
            "MD5",
            compound(&[
                MODE5_SUM,
                sub(
                    "PMN",
                    fixed(&[
                        spare(2),
                        raw("PIN", 14),
                        spare(2),
                        raw("NAV", 1),
                        raw("NAT", 5),
                        spare(2),
                        raw("MIS", 6),
                    ]),
                ),
                MODE5_POS,
                MODE5_GA,
                MODE5_EM1,
                MODE5_TOS,
                MODE5_XP,
            ]),
        ),
        sub(
            "M5N",
            compound(&[
                MODE5_SUM,
                sub(
                    "PMN",
                    fixed(&[
                        spare(2),
                        raw("PIN", 14),
                        spare(4),
                        raw("NOV", 1),
                        raw("NO", 11),
                    ]),
                ),
                MODE5_POS,
                MODE5_GA,
                MODE5_EM1,
                MODE5_TOS,
                MODE5_XP,
                sub("FOM", fixed(&[spare(3), raw("FOM", 5)])),
            ]),
        ),
        sub("M4E", extended(&[part(&[spare(5), raw("FOEFRI", 2)])])),
        sub(
            "RPC",
            compound(&[
                sub("SCO", fixed(&[raw("SCO", 8)])),
                sub("SRC", fixed(&[uq("SRC", 16, 0.1, "dB")])),
                sub("RW", fixed(&[uq("RW", 16, 1.0 / 256.0, "NM")])),
                sub("AR", fixed(&[uq("AR", 16, 1.0 / 256.0, "NM")])),
            ]),
        ),
        sub("ERR", fixed(&[uq("RHO", 24, 1.0 / 256.0, "NM")])),
        sub(
            "RTC",
            compound(&[
                sub(
                    "PTL",
                    fixed(&[
                        spare(3),
                        raw("SCN", 1),
                        raw("RC", 1),
                        raw("AC", 1),
                        raw("SSR", 1),
                        raw("PSR", 1),
                        raw("PLOTNR", 16),
                    ]),
                ),
                sub("ATL", repetitive(&[raw("ATL", 16)])),
                sub("TRN", fixed(&[uq("TRN", 8, 1.0, "%")])),
                sub(
                    "NPP",
                    fixed(&[
                        uq("PREDRHO", 16, 1.0 / 128.0, "NM"),
                        uq("PREDTHETA", 16, DEG_16, "deg"),
                        uq("EVOLRHOSTART", 16, 1.0 / 128.0, "NM"),
                        uq("EVOLRHOEND", 16, 1.0 / 128.0, "NM"),
                        uq("EVOLTHETASTART", 16, DEG_16, "deg"),
                        uq("EVOLTHETAEND", 16, DEG_16, "deg"),
                        uq("NOISERHOSTART", 16, 1.0 / 128.0, "NM"),
                        uq("NOISERHOEND", 16, 1.0 / 128.0, "NM"),
                        uq("NOISETHETASTART", 16, DEG_16, "deg"),
                        uq("NOISETHETAEND", 16, DEG_16, "deg"),
                        uq("PREDTIME", 16, 1.0 / 128.0, "s"),
                    ]),
                ),
                sub(
                    "DLK",
                    repetitive(&[raw("TYPE", 4), raw("ORIGIN", 2), raw("STATE", 2)]),
                ),
                sub("LCK", fixed(&[raw("LS", 1), uq("LOCTIM", 15, 1.0, "ms")])),
                sub(
                    "TC",
                    fixed(&[
                        spare(7),
                        raw("TCOUNT1", 4),
                        raw("TCODE1", 5),
                        raw("TCOUNT2", 4),
                        octal("TCODE2", 12),
                        raw("TCOUNT3", 4),
                        octal("TCODE3", 12),
                    ]),
                ),
                sub(
                    "TLC",
                    fixed(&[
                        raw("ACQI", 2),
                        raw("TRKUPDCTR", 14),
                        uq("LASTTRKUPD", 16, 1.0, "ms"),
                    ]),
                ),
                sub(
                    "ASI",
                    repetitive(&[
                        raw("SACADJS", 8),
                        raw("SICADJS", 8),
                        uq("TIMEOFDAYSCN", 16, 1.0 / 128.0, "s"),
                        raw("DATAUSE", 7),
                        raw("DRNA", 1),
                        raw("DRN", 16),
                    ]),
                ),
                sub("TES", fixed(&[raw("TES", 8)])),
                sub("IR", fixed(&[raw("IR", 1), uq("M3A", 7, 1.0, "s")])),
            ]),
        ),
        sub(
            "CPC",
            compound(&[
                sub("PNB", fixed(&[raw("PNB", 16)])),
                sub("RPL", repetitive(&[raw("TYPE", 8), raw("REPLYNBR", 16)])),
                sub("SNB", fixed(&[raw("SNB", 8)])),
                sub(
                    "DATE",
                    fixed(&[
                        raw("Y1", 4),
                        raw("Y2", 4),
                        raw("Y3", 4),
                        raw("Y4", 4),
                        raw("M1", 4),
                        raw("M2", 4),
                        raw("D1", 4),
                        raw("D2", 4),
                    ]),
                ),
            ]),
        ),
        sub(
            "GEN48",
            compound(&[
                sub(
                    "ALTM2",
                    fixed(&[
                        raw("V", 1),
                        raw("G", 1),
                        raw("L", 1),
                        spare(1),
                        octal("ALTM2", 12),
                    ]),
                ),
                sub(
                    "ALTM3",
                    fixed(&[
                        raw("V", 1),
                        raw("G", 1),
                        raw("L", 1),
                        spare(1),
                        octal("ALTM3", 12),
                    ]),
                ),
                sub(
                    "ALTFL",
                    fixed(&[raw("V", 1), raw("G", 1), sq("ALTFL", 14, 0.25, "FL")]),
                ),
                sub("RCSDB", fixed(&[spare(2), sq("RCSDB", 14, 0.01, "dBm2")])),
                sub("RCSM", fixed(&[spare(2), uq("RCSM", 30, 1e-6, "m2")])),
            ]),
        ),
    ]),
);

static UAP_1_32: [Option<&ItemSpec>; 28] = [
    Some(&I010),
    Some(&I140),
    Some(&I020_V1_32),
    Some(&I040),
    Some(&I070),
    Some(&I090),
    Some(&I130),
    Some(&I220),
    Some(&I240),
    Some(&I250),
    Some(&I161),
    Some(&I042),
    Some(&I200),
    Some(&I170),
    Some(&I210),
    Some(&I030),
    Some(&I080),
    Some(&I100),
    Some(&I110),
    Some(&I120),
    Some(&I230),
    Some(&I260),
    Some(&I055),
    Some(&I050),
    Some(&I065),
    Some(&I060),
    Some(&super::SP),
    Some(&RE_REF_1_13),
];

static UAP_1_21: [Option<&ItemSpec>; 28] = [
    Some(&I010),
    Some(&I140),
    Some(&I020_V1_21),
    Some(&I040),
    Some(&I070),
    Some(&I090),
    Some(&I130),
    Some(&I220),
    Some(&I240),
    Some(&I250),
    Some(&I161),
    Some(&I042),
    Some(&I200),
    Some(&I170),
    Some(&I210),
    Some(&I030),
    Some(&I080),
    Some(&I100),
    Some(&I110),
    Some(&I120),
    Some(&I230),
    Some(&I260),
    Some(&I055),
    Some(&I050),
    Some(&I065),
    Some(&I060),
    Some(&super::SP),
    Some(&super::RE),
];

static KNOWN_1_32: [u8; KNOWN.len()] = resolve(&UAP_1_32, &KNOWN);
static KNOWN_1_21: [u8; KNOWN.len()] = resolve(&UAP_1_21, &KNOWN);

/// CAT048 edition 1.32 (July 2024), the current edition.
pub static V1_32: Edition = Edition {
    category: 48,
    version: "1.32",
    uap: &UAP_1_32,
    known: &KNOWN_1_32,
    defined: defined_frns(&UAP_1_32),
    slots: uap_slots(&UAP_1_32),
};

/// CAT048 edition 1.21 (2016).
pub static V1_21: Edition = Edition {
    category: 48,
    version: "1.21",
    uap: &UAP_1_21,
    known: &KNOWN_1_21,
    defined: defined_frns(&UAP_1_21),
    slots: uap_slots(&UAP_1_21),
};
