//! CAT021 ADS-B Target Reports: editions 2.7 (current, 2025) and 2.6 (2021, the edition of
//! asterix-decoder).
//!
//! The editions differ only in I021/090 Quality Indicators: 2.7 adds the SRC bit to the
//! fourth extent and five extents for position validation. The UAP is the same, so 2.6 data
//! decodes unchanged with the 2.7 table. Both read the Reserved Expansion Field as REF
//! edition 1.5. Editions before 2.0 (0.23 to 0.26) have a different
//! UAP and are not provided.

use crate::spec::{
    Edition, Field, Format, ItemSpec, compound, defined_frns, expansion, extended, fixed, hex,
    icao, item, octal, part, quantity, raw, repetitive, resolve, select, spare, sq, sub, uap_slots,
    uq,
};

/// Items the typed CAT021 view reads, in the order of [`Edition::known`].
pub const KNOWN: [&str; 27] = [
    "010", "040", "161", "015", "071", "130", "131", "072", "150", "151", "080", "073", "074",
    "075", "076", "140", "090", "210", "070", "145", "152", "155", "157", "160", "077", "170",
    "020",
];

const DEG_16: f64 = 360.0 / 65536.0;
const LAT_24: f64 = 180.0 / 8_388_608.0; // 180 / 2^23
const LAT_32: f64 = 180.0 / 1_073_741_824.0; // 180 / 2^30
const TIME_128: f64 = 1.0 / 128.0;
const TIME_2_30: f64 = 1.0 / 1_073_741_824.0;

static I008: ItemSpec = item(
    "008",
    "Aircraft Operational Status",
    fixed(&[
        raw("RA", 1),
        raw("TC", 2),
        raw("TS", 1),
        raw("ARV", 1),
        raw("CDTIA", 1),
        raw("NOTTCAS", 1),
        raw("SA", 1),
    ]),
);

static I010: ItemSpec = item(
    "010",
    "Data Source Identification",
    fixed(&[raw("SAC", 8), raw("SIC", 8)]),
);

static I015: ItemSpec = item("015", "Service Identification", fixed(&[raw("SID", 8)]));

static I016: ItemSpec = item("016", "Service Management", fixed(&[uq("RP", 8, 0.5, "s")]));

static I020: ItemSpec = item("020", "Emitter Category", fixed(&[raw("ECAT", 8)]));

static I040: ItemSpec = item(
    "040",
    "Target Report Descriptor",
    extended(&[
        part(&[raw("ATP", 3), raw("ARC", 2), raw("RC", 1), raw("RAB", 1)]),
        part(&[
            raw("DCR", 1),
            raw("GBS", 1),
            raw("SIM", 1),
            raw("TST", 1),
            raw("SAA", 1),
            raw("CL", 2),
        ]),
        part(&[
            spare(1),
            raw("LLC", 1),
            raw("IPC", 1),
            raw("NOGO", 1),
            raw("CPR", 1),
            raw("LDPJ", 1),
            raw("RCF", 1),
        ]),
        part(&[raw("TBC_EP", 1), raw("TBC_VAL", 6)]),
        part(&[raw("MBC_EP", 1), raw("MBC_VAL", 6)]),
    ]),
);

static I070: ItemSpec = item(
    "070",
    "Mode 3/A Code in Octal Representation",
    fixed(&[spare(4), octal("MODE3A", 12)]),
);

static I071: ItemSpec = item(
    "071",
    "Time of Applicability for Position",
    fixed(&[uq("TAP", 24, TIME_128, "s")]),
);

static I072: ItemSpec = item(
    "072",
    "Time of Applicability for Velocity",
    fixed(&[uq("TAV", 24, TIME_128, "s")]),
);

static I073: ItemSpec = item(
    "073",
    "Time of Message Reception for Position",
    fixed(&[uq("TMRP", 24, TIME_128, "s")]),
);

static I074: ItemSpec = item(
    "074",
    "Time of Message Reception of Position-High Precision",
    fixed(&[raw("FSI", 2), uq("TMRP", 30, TIME_2_30, "s")]),
);

static I075: ItemSpec = item(
    "075",
    "Time of Message Reception for Velocity",
    fixed(&[uq("TMRV", 24, TIME_128, "s")]),
);

static I076: ItemSpec = item(
    "076",
    "Time of Message Reception of Velocity-High Precision",
    fixed(&[raw("FSI", 2), uq("TMRV", 30, TIME_2_30, "s")]),
);

static I077: ItemSpec = item(
    "077",
    "Time of ASTERIX Report Transmission",
    fixed(&[uq("TRT", 24, TIME_128, "s")]),
);

static I080: ItemSpec = item("080", "Target Address", fixed(&[hex("ADR", 24)]));

const I090_P1_P3: [crate::spec::Part; 3] = [
    part(&[raw("NUCRNACV", 3), raw("NUCPNIC", 4)]),
    part(&[raw("NICBARO", 1), raw("SIL", 2), raw("NACP", 4)]),
    part(&[spare(2), raw("SILS", 1), raw("SDA", 2), raw("GVA", 2)]),
];

static I090_V2_6: ItemSpec = item(
    "090",
    "Quality Indicators",
    extended(&[
        I090_P1_P3[0],
        I090_P1_P3[1],
        I090_P1_P3[2],
        part(&[raw("PIC", 4), spare(3)]),
    ]),
);

static I090_V2_7: ItemSpec = item(
    "090",
    "Quality Indicators",
    extended(&[
        I090_P1_P3[0],
        I090_P1_P3[1],
        I090_P1_P3[2],
        part(&[raw("PIC", 4), raw("SRC", 1), spare(2)]),
        part(&[
            spare(2),
            raw("VALSTATE_EP", 1),
            raw("VALSTATE_VAL", 2),
            raw("VD", 1),
            raw("VQ", 1),
        ]),
        part(&[uq("VALDISTP1", 7, 128.0, "m")]),
        part(&[uq("VALDISTP2", 7, 1.0, "m")]),
        part(&[uq("VALDISTQUALP1", 7, 128.0, "m")]),
        part(&[uq("VALDISTQUALP2", 7, 1.0, "m")]),
    ]),
);

/// One trajectory change point (I021/110 TID, I062/380 TID): 15 octets.
pub(crate) const TRAJECTORY_POINT: &[Field] = &[
    raw("TCA", 1),
    raw("NC", 1),
    raw("TCPN", 6),
    sq("ALT", 16, 10.0, "ft"),
    sq("LAT", 24, LAT_24, "deg"),
    sq("LON", 24, LAT_24, "deg"),
    raw("PT", 4),
    raw("TD", 2),
    raw("TRA", 1),
    raw("TOA", 1),
    uq("TOV", 24, 1.0, "s"),
    uq("TTR", 16, 0.01, "NM"),
];

/// Trajectory intent status (I021/110 TIS, I062/380 TIS).
pub(crate) const TRAJECTORY_STATUS: Format =
    extended(&[part(&[raw("NAV", 1), raw("NVB", 1), spare(5)])]);

static I110: ItemSpec = item(
    "110",
    "Trajectory Intent",
    compound(&[
        sub("TIS", TRAJECTORY_STATUS),
        sub("TID", repetitive(TRAJECTORY_POINT)),
    ]),
);

static I130: ItemSpec = item(
    "130",
    "Position in WGS-84 Co-ordinates",
    fixed(&[sq("LAT", 24, LAT_24, "deg"), sq("LON", 24, LAT_24, "deg")]),
);

static I131: ItemSpec = item(
    "131",
    "High-Resolution Position in WGS-84 Co-ordinates",
    fixed(&[sq("LAT", 32, LAT_32, "deg"), sq("LON", 32, LAT_32, "deg")]),
);

static I132: ItemSpec = item(
    "132",
    "Message Amplitude",
    fixed(&[sq("MAM", 8, 1.0, "dBm")]),
);

static I140: ItemSpec = item(
    "140",
    "Geometric Height",
    fixed(&[sq("GH", 16, 6.25, "ft")]),
);

static I145: ItemSpec = item("145", "Flight Level", fixed(&[sq("FL", 16, 0.25, "FL")]));

static I146: ItemSpec = item(
    "146",
    "Selected Altitude",
    fixed(&[raw("SAS", 1), raw("S", 2), sq("ALT", 13, 25.0, "ft")]),
);

static I148: ItemSpec = item(
    "148",
    "Final State Selected Altitude",
    fixed(&[
        raw("MV", 1),
        raw("AH", 1),
        raw("AM", 1),
        sq("ALT", 13, 25.0, "ft"),
    ]),
);

/// Air speed: IM = 0 is IAS in NM/s, IM = 1 is Mach (I021/150, I062/380 IAS).
pub(crate) const AIR_SPEED_CASES: &[(u64, crate::spec::Kind)] = &[
    (0, quantity(false, 1.0 / 16384.0, "NM/s")),
    (1, quantity(false, 0.001, "Mach")),
];

static I150: ItemSpec = item(
    "150",
    "Air Speed",
    fixed(&[raw("IM", 1), select("AS", 15, "IM", AIR_SPEED_CASES)]),
);

static I151: ItemSpec = item(
    "151",
    "True Airspeed",
    fixed(&[raw("RE", 1), uq("TAS", 15, 1.0, "kt")]),
);

static I152: ItemSpec = item(
    "152",
    "Magnetic Heading",
    fixed(&[uq("MHG", 16, DEG_16, "deg")]),
);

static I155: ItemSpec = item(
    "155",
    "Barometric Vertical Rate",
    fixed(&[raw("RE", 1), sq("BVR", 15, 6.25, "ft/min")]),
);

static I157: ItemSpec = item(
    "157",
    "Geometric Vertical Rate",
    fixed(&[raw("RE", 1), sq("GVR", 15, 6.25, "ft/min")]),
);

static I160: ItemSpec = item(
    "160",
    "Airborne Ground Vector",
    fixed(&[
        raw("RE", 1),
        uq("GS", 15, 1.0 / 16384.0, "NM/s"),
        uq("TA", 16, DEG_16, "deg"),
    ]),
);

static I161: ItemSpec = item("161", "Track Number", fixed(&[spare(4), raw("TRNUM", 12)]));

static I165: ItemSpec = item(
    "165",
    "Track Angle Rate",
    fixed(&[spare(6), sq("TAR", 10, 1.0 / 32.0, "deg/s")]),
);

static I170: ItemSpec = item("170", "Target Identification", fixed(&[icao("TID", 48)]));

static I200: ItemSpec = item(
    "200",
    "Target Status",
    fixed(&[
        raw("ICF", 1),
        raw("LNAV", 1),
        raw("ME", 1),
        raw("PS", 3),
        raw("SS", 2),
    ]),
);

static I210: ItemSpec = item(
    "210",
    "MOPS Version",
    fixed(&[spare(1), raw("VNS", 1), raw("VN", 3), raw("LTT", 3)]),
);

static I220: ItemSpec = item(
    "220",
    "Met Information",
    compound(&[
        sub("WS", fixed(&[uq("WS", 16, 1.0, "kt")])),
        sub("WD", fixed(&[uq("WD", 16, 1.0, "deg")])),
        sub("TMP", fixed(&[sq("TMP", 16, 0.25, "degC")])),
        sub("TRB", fixed(&[raw("TRB", 8)])),
    ]),
);

static I230: ItemSpec = item("230", "Roll Angle", fixed(&[sq("RA", 16, 0.01, "deg")]));

static I250: ItemSpec = item("250", "Mode S MB Data", Format::ModeSRegisters);

static I260: ItemSpec = item(
    "260",
    "ACAS Resolution Advisory Report",
    fixed(&[
        raw("TYP", 5),
        raw("STYP", 3),
        raw("ARA", 14),
        raw("RAC", 4),
        raw("RAT", 1),
        raw("MTE", 1),
        raw("TTI", 2),
        raw("TID", 26),
    ]),
);

static I271: ItemSpec = item(
    "271",
    "Surface Capabilities and Characteristics",
    extended(&[
        part(&[
            spare(2),
            raw("POA", 1),
            raw("CDTIS", 1),
            raw("B2LOW", 1),
            raw("RAS", 1),
            raw("IDENT", 1),
        ]),
        part(&[raw("LW", 4), spare(3)]),
    ]),
);

const AGE: Format = fixed(&[uq("AGE", 8, 0.1, "s")]);

static I295: ItemSpec = item(
    "295",
    "Data Ages",
    compound(&[
        sub("AOS", AGE),
        sub("TRD", AGE),
        sub("M3A", AGE),
        sub("QI", AGE),
        sub("TI1", AGE),
        sub("MAM", AGE),
        sub("GH", AGE),
        sub("FL", AGE),
        sub("SAL", AGE),
        sub("FSA", AGE),
        sub("AS", AGE),
        sub("TAS", AGE),
        sub("MH", AGE),
        sub("BVR", AGE),
        sub("GVR", AGE),
        sub("GV", AGE),
        sub("TAR", AGE),
        sub("TI2", AGE),
        sub("TS", AGE),
        sub("MET", AGE),
        sub("ROA", AGE),
        sub("ARA", AGE),
        sub("SCC", AGE),
    ]),
);

static I400: ItemSpec = item("400", "Receiver ID", fixed(&[raw("RID", 8)]));

/// Reserved Expansion Field, REF edition 1.5 (December 2021), used with editions 2.6 and 2.7.
static RE_REF_1_5: ItemSpec = item(
    "RE",
    "Reserved Expansion Field",
    expansion(&[
        sub("BPS", fixed(&[spare(4), uq("BPS", 12, 0.1, "hPa")])),
        sub(
            "SH",
            fixed(&[
                spare(4),
                raw("HDR", 1),
                raw("STAT", 1),
                uq("SH", 10, 45.0 / 64.0, "deg"),
            ]),
        ),
        sub(
            "NAV",
            fixed(&[
                raw("AP", 1),
                raw("VN", 1),
                raw("AH", 1),
                raw("AM", 1),
                raw("MFM_EP", 1),
                raw("MFM_VAL", 1),
                spare(2),
            ]),
        ),
        sub("GAO", fixed(&[raw("GAO", 8)])),
        sub(
            "SGV",
            extended(&[
                part(&[
                    raw("STP", 1),
                    raw("HTS", 1),
                    raw("HTT", 1),
                    raw("HRD", 1),
                    uq("GSS", 11, 0.125, "kt"),
                ]),
                part(&[uq("HGT", 7, 45.0 / 16.0, "deg")]),
            ]),
        ),
        sub(
            "STA",
            extended(&[
                part(&[
                    raw("ES", 1),
                    raw("UAT", 1),
                    raw("RCE_EP", 1),
                    raw("RCE_VAL", 2),
                    raw("RRL_EP", 1),
                    raw("RRL_VAL", 1),
                ]),
                part(&[
                    raw("PS3_EP", 1),
                    raw("PS3_VAL", 3),
                    raw("TPW_EP", 1),
                    raw("TPW_VAL", 2),
                ]),
                part(&[
                    raw("TSI_EP", 1),
                    raw("TSI_VAL", 2),
                    raw("MUO_EP", 1),
                    raw("MUO_VAL", 1),
                    raw("RWC_EP", 1),
                    raw("RWC_VAL", 1),
                ]),
                part(&[
                    raw("DAA_EP", 1),
                    raw("DAA_VAL", 2),
                    raw("DF17CA_EP", 1),
                    raw("DF17CA_VAL", 3),
                ]),
                part(&[
                    raw("SVH_EP", 1),
                    raw("SVH_VAL", 2),
                    raw("CATC_EP", 1),
                    raw("CATC_VAL", 3),
                ]),
                part(&[raw("TAO_EP", 1), raw("TAO_VAL", 5), spare(1)]),
            ]),
        ),
        sub("TNH", fixed(&[uq("TNH", 16, DEG_16, "deg")])),
        sub(
            "MES",
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
                        raw("PO", 1),
                    ]),
                ),
                sub(
                    "PNO",
                    fixed(&[spare(2), raw("PIN", 14), spare(5), raw("NO", 11)]),
                ),
                sub(
                    "EM1",
                    fixed(&[
                        raw("V", 1),
                        spare(1),
                        raw("L", 1),
                        spare(1),
                        octal("EM1", 12),
                    ]),
                ),
                sub(
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
                ),
                sub("FOM", fixed(&[spare(3), raw("FOM", 5)])),
                sub(
                    "M2",
                    fixed(&[
                        raw("V", 1),
                        spare(1),
                        raw("L", 1),
                        spare(1),
                        octal("MODE2", 12),
                    ]),
                ),
            ]),
        ),
    ]),
);

/// The UAP of editions 2.x, with the I021/090 layout of the edition.
macro_rules! uap_2x {
    ($i090:expr) => {
        [
            Some(&I010),
            Some(&I040),
            Some(&I161),
            Some(&I015),
            Some(&I071),
            Some(&I130),
            Some(&I131),
            Some(&I072),
            Some(&I150),
            Some(&I151),
            Some(&I080),
            Some(&I073),
            Some(&I074),
            Some(&I075),
            Some(&I076),
            Some(&I140),
            Some($i090),
            Some(&I210),
            Some(&I070),
            Some(&I230),
            Some(&I145),
            Some(&I152),
            Some(&I200),
            Some(&I155),
            Some(&I157),
            Some(&I160),
            Some(&I165),
            Some(&I077),
            Some(&I170),
            Some(&I020),
            Some(&I220),
            Some(&I146),
            Some(&I148),
            Some(&I110),
            Some(&I016),
            Some(&I008),
            Some(&I271),
            Some(&I132),
            Some(&I250),
            Some(&I260),
            Some(&I400),
            Some(&I295),
            None,
            None,
            None,
            None,
            None,
            Some(&RE_REF_1_5),
            Some(&super::SP),
        ]
    };
}

static UAP_2_7: [Option<&ItemSpec>; 49] = uap_2x!(&I090_V2_7);
static UAP_2_6: [Option<&ItemSpec>; 49] = uap_2x!(&I090_V2_6);

static KNOWN_2_7: [u8; KNOWN.len()] = resolve(&UAP_2_7, &KNOWN);
static KNOWN_2_6: [u8; KNOWN.len()] = resolve(&UAP_2_6, &KNOWN);

/// CAT021 edition 2.7 (July 2025), the current edition.
pub static V2_7: Edition = Edition {
    category: 21,
    version: "2.7",
    uap: &UAP_2_7,
    known: &KNOWN_2_7,
    defined: defined_frns(&UAP_2_7),
    slots: uap_slots(&UAP_2_7),
};

/// CAT021 edition 2.6 (December 2021).
pub static V2_6: Edition = Edition {
    category: 21,
    version: "2.6",
    uap: &UAP_2_6,
    known: &KNOWN_2_6,
    defined: defined_frns(&UAP_2_6),
    slots: uap_slots(&UAP_2_6),
};
