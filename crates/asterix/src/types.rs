//! Value types shared by the typed views: identifiers and codes with their own rules
//! (octal Mode 3/A codes, 24-bit addresses, ICAO 6-bit identifications, Mode S registers).

use std::fmt;
use std::str::FromStr;

use crate::fields::{icao_char, icao_code, read_bits, sign_extend};

/// Data Source Identifier (I0xx/010): System Area Code and System Identification Code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct DataSource {
    /// System Area Code.
    pub sac: u8,
    /// System Identification Code.
    pub sic: u8,
}

impl DataSource {
    pub(crate) fn read(bytes: &[u8]) -> Option<Self> {
        Some(DataSource {
            sac: *bytes.first()?,
            sic: *bytes.get(1)?,
        })
    }
}

/// A Mode 1/2/3/A code: 12 bits, four octal digits (`"7700"`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Mode3A(u16);

impl Mode3A {
    /// From the 12-bit value (`0o7700`); `None` above `0o7777`.
    pub fn new(bits: u16) -> Option<Self> {
        (bits <= 0o7777).then_some(Mode3A(bits))
    }

    /// The 12-bit value: `Mode3A::from_str("1234")?.bits() == 0o1234`.
    pub fn bits(self) -> u16 {
        self.0
    }
}

impl fmt::Display for Mode3A {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04o}", self.0)
    }
}

impl fmt::Debug for Mode3A {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mode3A({:04o})", self.0)
    }
}

impl FromStr for Mode3A {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Self, ParseError> {
        if text.is_empty() || text.len() > 4 || !text.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            return Err(ParseError::Mode3A(text.to_owned()));
        }
        u16::from_str_radix(text, 8)
            .ok()
            .and_then(Mode3A::new)
            .ok_or_else(|| ParseError::Mode3A(text.to_owned()))
    }
}

/// A 24-bit ICAO aircraft address, shown as six hexadecimal digits (`"3C660C"`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct AircraftAddress(u32);

impl AircraftAddress {
    /// From the 24-bit value; `None` above `0xFFFFFF`.
    pub fn new(bits: u32) -> Option<Self> {
        (bits <= 0x00FF_FFFF).then_some(AircraftAddress(bits))
    }

    /// The 24-bit value.
    pub fn bits(self) -> u32 {
        self.0
    }

    pub(crate) fn read(bytes: &[u8]) -> Option<Self> {
        let [a, b, c] = *bytes.first_chunk::<3>()?;
        Some(AircraftAddress(u32::from_be_bytes([0, a, b, c])))
    }
}

impl fmt::Display for AircraftAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06X}", self.0)
    }
}

impl fmt::Debug for AircraftAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AircraftAddress({:06X})", self.0)
    }
}

impl FromStr for AircraftAddress {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Self, ParseError> {
        if text.is_empty() || text.len() > 6 {
            return Err(ParseError::Address(text.to_owned()));
        }
        u32::from_str_radix(text, 16)
            .ok()
            .and_then(AircraftAddress::new)
            .ok_or_else(|| ParseError::Address(text.to_owned()))
    }
}

/// Aircraft identification (callsign or registration): up to eight characters of the ICAO
/// 6-bit alphabet (A-Z, 0-9, space), stored without trailing spaces.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct AircraftId {
    chars: [u8; 8],
    len: u8,
}

impl AircraftId {
    /// The identification without trailing spaces. Codes outside the ICAO alphabet, which
    /// only a faulty transponder sends, show as `?`.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.chars.get(..usize::from(self.len)).unwrap_or_default())
            .unwrap_or_default()
    }

    /// From the 48 bits of eight 6-bit characters.
    pub fn from_bits(bits: u64) -> Self {
        let mut chars = [b' '; 8];
        for (idx, slot) in chars.iter_mut().enumerate() {
            *slot = icao_char(((bits >> (42 - 6 * idx)) & 0x3f) as u8);
        }
        let len = chars
            .iter()
            .rposition(|&c| c != b' ')
            .map_or(0, |last| last + 1);
        AircraftId {
            chars,
            len: len as u8,
        }
    }

    /// The 48 bits of eight 6-bit characters, padded with spaces; `None` if a character is
    /// outside the alphabet.
    pub fn to_bits(&self) -> Option<u64> {
        let mut bits = 0u64;
        for idx in 0..8 {
            let ch = if idx < usize::from(self.len) {
                *self.chars.get(idx)?
            } else {
                b' '
            };
            bits = (bits << 6) | u64::from(icao_code(ch)?);
        }
        Some(bits)
    }

    pub(crate) fn read(bytes: &[u8]) -> Option<Self> {
        read_bits(bytes, 0, 48).map(AircraftId::from_bits)
    }
}

impl fmt::Display for AircraftId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for AircraftId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AircraftId({:?})", self.as_str())
    }
}

impl FromStr for AircraftId {
    type Err = ParseError;

    /// Up to eight characters A-Z, 0-9 and space (lower case is folded to upper case);
    /// trailing spaces are dropped.
    fn from_str(text: &str) -> Result<Self, ParseError> {
        let trimmed = text.trim_end_matches(' ');
        if trimmed.len() > 8 {
            return Err(ParseError::AircraftId(text.to_owned()));
        }
        let mut chars = [b' '; 8];
        for (slot, ch) in chars.iter_mut().zip(trimmed.bytes()) {
            let ch = ch.to_ascii_uppercase();
            icao_code(ch).ok_or_else(|| ParseError::AircraftId(text.to_owned()))?;
            *slot = ch;
        }
        Ok(AircraftId {
            chars,
            len: trimmed.len() as u8,
        })
    }
}

/// A text that does not parse as a code or identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not one to four octal digits.
    #[error("{0:?} is not a Mode 3/A code (one to four octal digits)")]
    Mode3A(String),
    /// Not one to six hexadecimal digits.
    #[error("{0:?} is not a 24-bit address (one to six hexadecimal digits)")]
    Address(String),
    /// Too long, or a character outside A-Z, 0-9, space.
    #[error("{0:?} is not an aircraft identification (up to 8 of A-Z, 0-9, space)")]
    AircraftId(String),
}

/// A position in WGS-84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Wgs84 {
    /// Latitude, degrees, north positive.
    pub lat_deg: f64,
    /// Longitude, degrees, east positive.
    pub lon_deg: f64,
}

/// Air speed: indicated airspeed or Mach number, as the IM bit says (I021/150, I062/380).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AirSpeed {
    /// Indicated airspeed, NM/s.
    IasNmps(f64),
    /// Mach number.
    Mach(f64),
}

/// The Mode S Comm-B registers of an item (I048/250, I021/250), borrowed from the input or
/// from the caller when encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModeSRegisters<'a>(&'a [[u8; 8]]);

impl<'a> ModeSRegisters<'a> {
    /// No register.
    pub const EMPTY: ModeSRegisters<'static> = ModeSRegisters(&[]);

    /// Registers as 8-octet elements (56 MB bits, then BDS1 and BDS2).
    pub fn new(registers: &'a [[u8; 8]]) -> Self {
        ModeSRegisters(registers)
    }

    /// From a repetitive item (count octet first).
    pub(crate) fn read(item: &'a [u8]) -> Self {
        let (registers, _) = item.get(1..).unwrap_or_default().as_chunks::<8>();
        ModeSRegisters(registers)
    }

    /// The raw elements.
    pub fn as_slice(&self) -> &'a [[u8; 8]] {
        self.0
    }

    /// Number of registers.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The registers.
    pub fn iter(&self) -> impl Iterator<Item = BdsRegister> + 'a {
        self.0.iter().copied().map(BdsRegister)
    }

    /// The first register with BDS code `code` (`0x40`).
    pub fn find(&self, code: u8) -> Option<BdsRegister> {
        self.iter().find(|register| register.code() == code)
    }
}

/// One Mode S Comm-B register: 56 MB bits then the BDS code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BdsRegister(pub [u8; 8]);

impl BdsRegister {
    /// BDS1 and BDS2 as one octet: `0x40` for BDS 4,0.
    pub fn code(&self) -> u8 {
        self.0[7]
    }

    /// The 56 MB bits.
    pub fn mb(&self) -> u64 {
        read_bits(&self.0, 0, 56).unwrap_or(0)
    }

    fn bits(&self, first_bit: usize, bits: u8) -> u64 {
        // MB bit numbers in ICAO documents start at 1.
        read_bits(&self.0, first_bit - 1, bits).unwrap_or(0)
    }

    fn flag(&self, bit: usize) -> bool {
        self.bits(bit, 1) == 1
    }

    /// BDS 2,0 aircraft identification.
    pub fn identification(&self) -> Option<AircraftId> {
        (self.code() == 0x20).then(|| AircraftId::from_bits(self.bits(9, 48)))
    }

    /// BDS 4,0 selected vertical intention.
    pub fn selected_vertical_intention(&self) -> Option<Bds40> {
        if self.code() != 0x40 {
            return None;
        }
        let mode = self.flag(48);
        Some(Bds40 {
            mcp_altitude_ft: self.flag(1).then(|| self.bits(2, 12) as f64 * 16.0),
            fms_altitude_ft: self.flag(14).then(|| self.bits(15, 12) as f64 * 16.0),
            baro_setting_mb: self
                .flag(27)
                .then(|| 800.0 + self.bits(28, 12) as f64 * 0.1),
            vnav: mode.then(|| self.flag(49)),
            altitude_hold: mode.then(|| self.flag(50)),
            approach: mode.then(|| self.flag(51)),
            target_altitude_source: self.flag(54).then(|| self.bits(55, 2) as u8),
        })
    }

    /// BDS 5,0 track and turn report.
    pub fn track_and_turn(&self) -> Option<Bds50> {
        if self.code() != 0x50 {
            return None;
        }
        Some(Bds50 {
            roll_deg: self
                .flag(1)
                .then(|| sign_extend(self.bits(2, 10), 10) as f64 * 45.0 / 256.0),
            true_track_deg: self
                .flag(12)
                .then(|| sign_extend(self.bits(13, 11), 11) as f64 * 90.0 / 512.0),
            groundspeed_kt: self.flag(24).then(|| self.bits(25, 10) as f64 * 2.0),
            track_angle_rate_deg_s: self
                .flag(35)
                .then(|| sign_extend(self.bits(36, 10), 10) as f64 * 8.0 / 256.0),
            true_airspeed_kt: self.flag(46).then(|| self.bits(47, 10) as f64 * 2.0),
        })
    }

    /// BDS 6,0 heading and speed report.
    pub fn heading_and_speed(&self) -> Option<Bds60> {
        if self.code() != 0x60 {
            return None;
        }
        Some(Bds60 {
            magnetic_heading_deg: self
                .flag(1)
                .then(|| sign_extend(self.bits(2, 11), 11) as f64 * 90.0 / 512.0),
            indicated_airspeed_kt: self.flag(13).then(|| self.bits(14, 10) as f64),
            mach: self.flag(24).then(|| self.bits(25, 10) as f64 * 0.004),
            baro_vertical_rate_ft_min: self
                .flag(35)
                .then(|| sign_extend(self.bits(36, 10), 10) as f64 * 32.0),
            inertial_vertical_rate_ft_min: self
                .flag(46)
                .then(|| sign_extend(self.bits(47, 10), 10) as f64 * 32.0),
        })
    }
}

/// BDS 4,0 Selected vertical intention (ICAO Doc 9871 A.2.4.1); `None` where the status
/// bit says the value is not available.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Bds40 {
    /// MCP/FCU selected altitude, ft.
    pub mcp_altitude_ft: Option<f64>,
    /// FMS selected altitude, ft.
    pub fms_altitude_ft: Option<f64>,
    /// Barometric pressure setting, mb (800 mb plus the transmitted value).
    pub baro_setting_mb: Option<f64>,
    /// VNAV mode engaged.
    pub vnav: Option<bool>,
    /// Altitude hold mode engaged.
    pub altitude_hold: Option<bool>,
    /// Approach mode engaged.
    pub approach: Option<bool>,
    /// Target altitude source (0 unknown, 1 aircraft altitude, 2 FCU/MCP, 3 FMS).
    pub target_altitude_source: Option<u8>,
}

/// BDS 5,0 Track and turn report (ICAO Doc 9871 A.2.5.1).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Bds50 {
    /// Roll angle, degrees, right wing down positive.
    pub roll_deg: Option<f64>,
    /// True track angle, degrees (-180 to 180).
    pub true_track_deg: Option<f64>,
    /// Ground speed, kt.
    pub groundspeed_kt: Option<f64>,
    /// Track angle rate, degrees per second.
    pub track_angle_rate_deg_s: Option<f64>,
    /// True airspeed, kt.
    pub true_airspeed_kt: Option<f64>,
}

/// BDS 6,0 Heading and speed report (ICAO Doc 9871 A.2.6.1).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Bds60 {
    /// Magnetic heading, degrees (-180 to 180).
    pub magnetic_heading_deg: Option<f64>,
    /// Indicated airspeed, kt.
    pub indicated_airspeed_kt: Option<f64>,
    /// Mach number.
    pub mach: Option<f64>,
    /// Barometric altitude rate, ft/min.
    pub baro_vertical_rate_ft_min: Option<f64>,
    /// Inertial vertical velocity, ft/min.
    pub inertial_vertical_rate_ft_min: Option<f64>,
}
