//! The wire form of partner system tracks on the federation link: a compact binary frame,
//! pure (bytes in, values out). ARCHITECTURE.md says why it is not CAT062.
//!
//! A frame is
//!
//! ```text
//! magic "LT" | version 1 | flags (0)
//! frame time: zigzag varint, milliseconds on the tracker time scale
//! strings:    varint count, then varint length + UTF-8 each (nations, sensors, marking words)
//! markings:   varint count, then level (string index) + varint count + token string indexes
//! records:    varint count, then varint length + body each
//! ```
//!
//! and a record body is a kind byte (0 state, 1 ended) and the source's track number (varint),
//! then for a state: time (zigzag varint, ms from the frame time), a presence bitmap (varint),
//! latitude and longitude (i32 little-endian, 1e-7 degree), velocity (zigzag varints, 0.1 m/s),
//! accuracy, turn rate (i8, 0.25 deg/s), altitude (zigzag varint, 5 m), Mode 3/A (u16), Mode S
//! (3 bytes), callsign (u8 length + bytes), contributors (varint count, then nation index + 1,
//! 0 for none, and sensor index), a marking index and the time of the latest measurement
//! (zigzag varint, ms from the record's time), each present as the bitmap says; one more bit
//! says the track is coasting. A
//! reader skips what follows the fields it knows in a record (the length says where it ends),
//! so later versions can append fields.
//!
//! **Accuracy.** Standard deviations are sent as one byte on a logarithmic scale (16 steps
//! per octave: 4.4 % apart; position from 0.25 m to 15.6 km, velocity from 0.02 m/s to 1.2
//! km/s), correlations as `i8` (1/127). The decoder adds 3/254 to the diagonal of the
//! correlation matrix, which bounds the rounding of the correlations, and the encoder then
//! raises every standard deviation by the same whole number of steps until the decoded
//! covariance bounds the one it was given (a whole number of steps scales the matrix exactly).
//! So the receiver never holds a track as more accurate than its sender did, which covariance
//! intersection relies on. An accuracy beyond the scale is an encoding error.
//!
//! A state with everything (position, velocity, full covariance, turn rate, two contributors,
//! Mode S, Mode 3/A, a six-letter callsign, altitude, marking, update time) takes 52 bytes
//! once the frame's tables hold its strings; without transponder data (no codes, callsign or
//! altitude), 38.

use crate::mat::Mat;
use crate::partner::{Contributor, ReportAccuracy, SystemTrackReport};

const MAGIC: [u8; 2] = *b"LT";
const VERSION: u8 = 1;
/// Limits a decoder holds a frame to (an encoder refuses to exceed them).
pub const MAX_STRINGS: usize = 4_096;
pub const MAX_STRING_BYTES: usize = 64;
pub const MAX_MARKINGS: usize = 256;
pub const MAX_TOKENS: usize = 64;
pub const MAX_RECORDS: usize = 65_536;
pub const MAX_CONTRIBUTORS: usize = 32;
const MAX_CALLSIGN: usize = 16;

const POSITION_SIGMA_BASE_M: f64 = 0.25;
const VELOCITY_SIGMA_BASE_MPS: f64 = 0.02;
const SIGMA_STEPS_PER_OCTAVE: f64 = 16.0;
/// Added to the decoded correlation matrix's diagonal: three off-diagonal roundings of at most
/// half a step (1/254) each bound how far the rounded matrix is from the true one (Gershgorin).
const CORRELATION_SLACK: f64 = 3.0 / 254.0;

/// A marking as words: the node maps its own type to and from it, and checks it again on
/// receipt.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct WireMarking {
    pub level: String,
    pub releasable_to: Vec<String>,
}

/// One record of a frame.
// `Ended` is a few bytes beside `State`: records are built and read one at a time and ended
// notices are few, so boxing the state would cost an allocation per record for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum LinkRecord {
    /// The latest state of one of the sender's tracks, with its marking.
    State {
        report: SystemTrackReport,
        marking: Option<WireMarking>,
    },
    /// The sender's track ended, or may no longer reach the receiver: drop it.
    Ended { track_number: u32 },
}

/// A decoded frame.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LinkFrame {
    /// When the sender cut the frame, seconds.
    pub time_s: f64,
    pub records: Vec<LinkRecord>,
}

/// Why a frame could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WireError {
    #[error("offset {offset}: frame ends inside a field")]
    Truncated { offset: usize },
    #[error("not a track frame (bad magic)")]
    BadMagic,
    #[error("unsupported track frame version {0}")]
    Version(u8),
    #[error("offset {offset}: {what}")]
    Invalid { offset: usize, what: &'static str },
    #[error("{what} cannot be encoded")]
    Unencodable { what: &'static str },
}

// --- reading --------------------------------------------------------------------------------

/// A cursor over untrusted bytes: every read is checked.
struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self.offset.checked_add(n).ok_or(WireError::Truncated {
            offset: self.offset,
        })?;
        let out = self
            .bytes
            .get(self.offset..end)
            .ok_or(WireError::Truncated {
                offset: self.offset,
            })?;
        self.offset = end;
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, WireError> {
        self.take(1)?.first().copied().ok_or(WireError::Truncated {
            offset: self.offset,
        })
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn varint(&mut self) -> Result<u64, WireError> {
        let start = self.offset;
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            value |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                if shift == 63 && b > 1 {
                    break;
                }
                return Ok(value);
            }
        }
        Err(WireError::Invalid {
            offset: start,
            what: "varint longer than 64 bits",
        })
    }

    fn zigzag(&mut self) -> Result<i64, WireError> {
        let v = self.varint()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    fn count(&mut self, max: usize, what: &'static str) -> Result<usize, WireError> {
        let offset = self.offset;
        let n = self.varint()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= max)
            .ok_or(WireError::Invalid { offset, what })
    }

    fn string(&mut self, max: usize, what: &'static str) -> Result<String, WireError> {
        let offset = self.offset;
        let n = self.count(max, what)?;
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| WireError::Invalid { offset, what })
    }

    fn index(&mut self, len: usize, what: &'static str) -> Result<usize, WireError> {
        let offset = self.offset;
        let i = self.varint()?;
        usize::try_from(i)
            .ok()
            .filter(|&i| i < len)
            .ok_or(WireError::Invalid { offset, what })
    }
}

fn from_zigzag_ms(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// Bits of the presence bitmap.
mod has {
    pub const VELOCITY: u64 = 1;
    pub const COVARIANCE: u64 = 1 << 1;
    pub const SIGMAS: u64 = 1 << 2;
    pub const TURN: u64 = 1 << 3;
    pub const ALTITUDE: u64 = 1 << 4;
    pub const MODE3A: u64 = 1 << 5;
    pub const MODE_S: u64 = 1 << 6;
    pub const CALLSIGN: u64 = 1 << 7;
    pub const CONTRIBUTORS: u64 = 1 << 8;
    pub const MARKING: u64 = 1 << 9;
    pub const UPDATED: u64 = 1 << 10;
    /// A flag: no payload.
    pub const COASTING: u64 = 1 << 11;
}

fn sigma_from_code(code: u8, base: f64) -> f64 {
    base * (f64::from(code) / SIGMA_STEPS_PER_OCTAVE).exp2()
}

fn decode_covariance(codes: [u8; 4], correlations: [i8; 6]) -> [[f64; 4]; 4] {
    let sigmas = [
        sigma_from_code(codes[0], POSITION_SIGMA_BASE_M),
        sigma_from_code(codes[1], POSITION_SIGMA_BASE_M),
        sigma_from_code(codes[2], VELOCITY_SIGMA_BASE_MPS),
        sigma_from_code(codes[3], VELOCITY_SIGMA_BASE_MPS),
    ];
    let mut out = [[0.0; 4]; 4];
    let mut k = 0;
    for i in 0..4 {
        out[i][i] = sigmas[i] * sigmas[i] * (1.0 + CORRELATION_SLACK);
        for j in (i + 1)..4 {
            let rho = f64::from(correlations[k]) / 127.0;
            k += 1;
            out[i][j] = rho * sigmas[i] * sigmas[j];
            out[j][i] = out[i][j];
        }
    }
    out
}

/// Decodes a frame. Structure is checked here (lengths, indexes, UTF-8, limits); the values
/// are checked by [`crate::Tracker::push_system_track`] when the reports are fed to it.
pub fn decode_frame(bytes: &[u8]) -> Result<LinkFrame, WireError> {
    let mut r = Reader { bytes, offset: 0 };
    if r.array::<2>()? != MAGIC {
        return Err(WireError::BadMagic);
    }
    let version = r.u8()?;
    if version != VERSION {
        return Err(WireError::Version(version));
    }
    let _flags = r.u8()?;
    let frame_ms = r.zigzag()?;
    let n_strings = r.count(MAX_STRINGS, "too many strings")?;
    let mut strings = Vec::with_capacity(n_strings.min(256));
    for _ in 0..n_strings {
        strings.push(r.string(MAX_STRING_BYTES, "bad string")?);
    }
    let n_markings = r.count(MAX_MARKINGS, "too many markings")?;
    let mut markings = Vec::with_capacity(n_markings.min(64));
    for _ in 0..n_markings {
        let level = r.index(strings.len(), "marking level out of the string table")?;
        let n_tokens = r.count(MAX_TOKENS, "too many marking tokens")?;
        let mut releasable_to = Vec::with_capacity(n_tokens);
        for _ in 0..n_tokens {
            let t = r.index(strings.len(), "marking token out of the string table")?;
            releasable_to.push(strings.get(t).cloned().unwrap_or_default());
        }
        markings.push(WireMarking {
            level: strings.get(level).cloned().unwrap_or_default(),
            releasable_to,
        });
    }
    let n_records = r.count(MAX_RECORDS, "too many records")?;
    let mut records = Vec::with_capacity(n_records.min(1_024));
    for _ in 0..n_records {
        let offset = r.offset;
        let len = r.count(bytes.len(), "record longer than the frame")?;
        let body = r.take(len)?;
        let mut b = Reader {
            bytes: body,
            offset: 0,
        };
        let record = decode_record(&mut b, frame_ms, &strings, &markings).map_err(|e| match e {
            WireError::Truncated { offset: o } => WireError::Truncated { offset: offset + o },
            WireError::Invalid { offset: o, what } => WireError::Invalid {
                offset: offset + o,
                what,
            },
            other => other,
        })?;
        records.push(record);
    }
    if r.offset != bytes.len() {
        return Err(WireError::Invalid {
            offset: r.offset,
            what: "bytes after the last record",
        });
    }
    Ok(LinkFrame {
        time_s: from_zigzag_ms(frame_ms),
        records,
    })
}

fn decode_record(
    r: &mut Reader<'_>,
    frame_ms: i64,
    strings: &[String],
    markings: &[WireMarking],
) -> Result<LinkRecord, WireError> {
    let kind_offset = r.offset;
    let kind = r.u8()?;
    let track_number = u32::try_from(r.varint()?).map_err(|_| WireError::Invalid {
        offset: kind_offset,
        what: "track number beyond 32 bits",
    })?;
    match kind {
        1 => return Ok(LinkRecord::Ended { track_number }),
        0 => {}
        _ => {
            return Err(WireError::Invalid {
                offset: kind_offset,
                what: "unknown record kind",
            });
        }
    }
    let dt_ms = r.zigzag()?;
    let time_ms = frame_ms.checked_add(dt_ms).ok_or(WireError::Invalid {
        offset: r.offset,
        what: "time out of range",
    })?;
    let bits = r.varint()?;
    let lat = i32::from_le_bytes(r.array()?);
    let lon = i32::from_le_bytes(r.array()?);
    let mut report = SystemTrackReport {
        track_number,
        time_s: from_zigzag_ms(time_ms),
        lat_deg: f64::from(lat) * 1e-7,
        lon_deg: f64::from(lon) * 1e-7,
        ..SystemTrackReport::default()
    };
    if bits & has::VELOCITY != 0 {
        let ve = r.zigzag()?;
        let vn = r.zigzag()?;
        report.velocity_mps = Some([ve as f64 * 0.1, vn as f64 * 0.1]);
    }
    if bits & has::COVARIANCE != 0 {
        let codes = r.array::<4>()?;
        let raw = r.array::<6>()?;
        report.accuracy =
            ReportAccuracy::Covariance(decode_covariance(codes, raw.map(|b| b as i8)));
    } else if bits & has::SIGMAS != 0 {
        let [p, v] = r.array::<2>()?;
        report.accuracy = ReportAccuracy::Sigmas {
            position_sigma_m: sigma_from_code(p, POSITION_SIGMA_BASE_M),
            velocity_sigma_mps: sigma_from_code(v, VELOCITY_SIGMA_BASE_MPS),
        };
    }
    if bits & has::TURN != 0 {
        report.turn_rate_deg_s = Some(f64::from(r.u8()? as i8) * 0.25);
    }
    if bits & has::ALTITUDE != 0 {
        report.altitude_m = Some(r.zigzag()? as f64 * 5.0);
    }
    if bits & has::MODE3A != 0 {
        report.mode3a = Some(u16::from_le_bytes(r.array()?));
    }
    if bits & has::MODE_S != 0 {
        let [a, b, c] = r.array::<3>()?;
        report.mode_s = Some(u32::from_le_bytes([a, b, c, 0]));
    }
    if bits & has::CALLSIGN != 0 {
        let offset = r.offset;
        let n = usize::from(r.u8()?);
        if n > MAX_CALLSIGN {
            return Err(WireError::Invalid {
                offset,
                what: "callsign too long",
            });
        }
        let bytes = r.take(n)?;
        report.callsign =
            Some(
                String::from_utf8(bytes.to_vec()).map_err(|_| WireError::Invalid {
                    offset,
                    what: "callsign is not UTF-8",
                })?,
            );
    }
    if bits & has::CONTRIBUTORS != 0 {
        let n = r.count(MAX_CONTRIBUTORS, "too many contributors")?;
        for _ in 0..n {
            let nation = r.index(strings.len() + 1, "nation out of the string table")?;
            let sensor = r.index(strings.len(), "sensor out of the string table")?;
            report.contributors.push(Contributor {
                nation: nation.checked_sub(1).and_then(|i| strings.get(i)).cloned(),
                sensor: strings.get(sensor).cloned().unwrap_or_default(),
            });
        }
    }
    let marking_index = if bits & has::MARKING != 0 {
        Some(r.index(markings.len(), "marking out of the marking table")?)
    } else {
        None
    };
    if bits & has::UPDATED != 0 {
        let ago = r.zigzag()?;
        let ms = time_ms.checked_add(ago).ok_or(WireError::Invalid {
            offset: r.offset,
            what: "update time out of range",
        })?;
        report.updated_s = Some(from_zigzag_ms(ms));
    }
    report.coasting = bits & has::COASTING != 0;
    let marking = marking_index.and_then(|i| markings.get(i).cloned());
    // Anything after the fields known here belongs to a later version: skipped.
    Ok(LinkRecord::State { report, marking })
}

// --- writing --------------------------------------------------------------------------------

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_zigzag(out: &mut Vec<u8>, v: i64) {
    put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
}

fn varint_len(v: u64) -> usize {
    let bits = 64 - v.leading_zeros() as usize;
    bits.div_ceil(7).max(1)
}

/// Milliseconds of a time, if it is representable.
fn to_ms(t: f64) -> Result<i64, WireError> {
    let ms = (t * 1000.0).round();
    if ms.is_finite() && ms.abs() < 9.0e15 {
        Ok(ms as i64)
    } else {
        Err(WireError::Unencodable { what: "time" })
    }
}

fn sigma_code(sigma: f64, base: f64) -> Result<i32, WireError> {
    if !(sigma.is_finite() && sigma >= 0.0) {
        return Err(WireError::Unencodable { what: "accuracy" });
    }
    let code = (SIGMA_STEPS_PER_OCTAVE * (sigma.max(base) / base).log2()).ceil();
    Ok(code as i32)
}

fn checked_code(code: i32) -> Result<u8, WireError> {
    u8::try_from(code).map_err(|_| WireError::Unencodable { what: "accuracy" })
}

/// The codes of a covariance such that the decoded matrix bounds it (module documentation).
fn encode_covariance(c: &[[f64; 4]; 4]) -> Result<([u8; 4], [i8; 6]), WireError> {
    let m = Mat(*c);
    if !m.is_finite() || m.cholesky().is_none() {
        return Err(WireError::Unencodable {
            what: "covariance (not positive definite)",
        });
    }
    let sigmas = [0, 1, 2, 3].map(|i| m.0[i][i].sqrt());
    let bases = [
        POSITION_SIGMA_BASE_M,
        POSITION_SIGMA_BASE_M,
        VELOCITY_SIGMA_BASE_MPS,
        VELOCITY_SIGMA_BASE_MPS,
    ];
    let mut codes = [0i32; 4];
    for i in 0..4 {
        codes[i] = sigma_code(sigmas[i], bases[i])?;
    }
    let mut correlations = [0i8; 6];
    let mut k = 0;
    for i in 0..4 {
        for j in (i + 1)..4 {
            let rho = (m.0[i][j] / (sigmas[i] * sigmas[j])).clamp(-1.0, 1.0);
            correlations[k] = (rho * 127.0).round() as i8;
            k += 1;
        }
    }
    // Raise every sigma by whole steps until the decoded matrix bounds the true one: the
    // largest eigenvalue of Q^-1 C (Gershgorin on L^-1 C L^-T) must not exceed 1.
    for _ in 0..8 {
        let mut codes_u8 = [0u8; 4];
        for (out, &code) in codes_u8.iter_mut().zip(&codes) {
            *out = checked_code(code)?;
        }
        let q = Mat(decode_covariance(codes_u8, correlations));
        let excess = largest_ratio(&q, &m).ok_or(WireError::Unencodable { what: "covariance" })?;
        if excess <= 1.0 {
            return Ok((codes_u8, correlations));
        }
        // Scaling all sigmas by 2^(s/16) scales the matrix by 2^(s/8).
        let steps = (8.0 * excess.log2()).ceil().max(1.0) as i32;
        for c in codes.iter_mut() {
            *c += steps;
        }
    }
    Err(WireError::Unencodable { what: "covariance" })
}

/// An upper bound of the largest eigenvalue of `q^-1 c` (both symmetric positive definite).
fn largest_ratio(q: &Mat<4, 4>, c: &Mat<4, 4>) -> Option<f64> {
    let linv = q.cholesky()?.lower_triangular_inverse();
    let s = linv * *c * linv.transpose();
    let bound = (0..4)
        .map(|i| (0..4).map(|j| s.0[i][j].abs()).sum::<f64>())
        .fold(0.0, f64::max);
    bound.is_finite().then_some(bound)
}

/// Builds one frame record by record, within a size limit: the string and marking tables
/// grow with the records that need them.
#[derive(Debug)]
pub struct FrameEncoder {
    time_ms: i64,
    strings: Vec<String>,
    markings: Vec<WireMarking>,
    records: Vec<u8>,
    n_records: usize,
    scratch: Vec<u8>,
}

impl FrameEncoder {
    /// An empty frame cut at `time_s`.
    pub fn new(time_s: f64) -> Result<Self, WireError> {
        Ok(Self {
            time_ms: to_ms(time_s)?,
            strings: Vec::new(),
            markings: Vec::new(),
            records: Vec::new(),
            n_records: 0,
            scratch: Vec::new(),
        })
    }

    /// Records in the frame so far.
    pub fn len(&self) -> usize {
        self.n_records
    }

    pub fn is_empty(&self) -> bool {
        self.n_records == 0
    }

    /// The size of the frame as it stands, bytes.
    pub fn size(&self) -> usize {
        self.header_len(&self.strings, &self.markings)
            + varint_len(self.n_records as u64)
            + self.records.len()
    }

    fn header_len(&self, strings: &[String], markings: &[WireMarking]) -> usize {
        let mut n = 4 + varint_len(zigzag(self.time_ms));
        n += varint_len(strings.len() as u64);
        for s in strings {
            n += varint_len(s.len() as u64) + s.len();
        }
        n += varint_len(markings.len() as u64);
        for m in markings {
            let level = strings.iter().position(|s| *s == m.level).unwrap_or(0);
            n += varint_len(level as u64) + varint_len(m.releasable_to.len() as u64);
            for t in &m.releasable_to {
                let i = strings.iter().position(|s| s == t).unwrap_or(0);
                n += varint_len(i as u64);
            }
        }
        n
    }

    /// Adds a record if the frame stays within `max_bytes`; `Ok(false)` (and nothing added)
    /// if it would not. An error means the record itself cannot be sent (a value off the
    /// scale, an over-long string): the caller should leave it out.
    pub fn push_within(
        &mut self,
        record: &LinkRecord,
        max_bytes: usize,
    ) -> Result<bool, WireError> {
        if self.n_records >= MAX_RECORDS {
            return Ok(false);
        }
        let mut strings = self.strings.clone();
        let mut markings = self.markings.clone();
        let mut body = std::mem::take(&mut self.scratch);
        body.clear();
        let result = encode_record(record, self.time_ms, &mut strings, &mut markings, &mut body);
        if let Err(e) = result {
            self.scratch = body;
            return Err(e);
        }
        if strings.len() > MAX_STRINGS || markings.len() > MAX_MARKINGS {
            self.scratch = body;
            return Ok(false);
        }
        let added = varint_len(body.len() as u64) + body.len();
        let total = self.header_len(&strings, &markings)
            + varint_len(self.n_records as u64 + 1)
            + self.records.len()
            + added;
        if total > max_bytes {
            self.scratch = body;
            return Ok(false);
        }
        put_varint(&mut self.records, body.len() as u64);
        self.records.extend_from_slice(&body);
        self.n_records += 1;
        self.strings = strings;
        self.markings = markings;
        self.scratch = body;
        Ok(true)
    }

    /// The frame's bytes (appended to `out`).
    pub fn finish_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(0);
        put_zigzag(out, self.time_ms);
        put_varint(out, self.strings.len() as u64);
        for s in &self.strings {
            put_varint(out, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
        put_varint(out, self.markings.len() as u64);
        for m in &self.markings {
            let level = self.strings.iter().position(|s| *s == m.level).unwrap_or(0);
            put_varint(out, level as u64);
            put_varint(out, m.releasable_to.len() as u64);
            for t in &m.releasable_to {
                let i = self.strings.iter().position(|s| s == t).unwrap_or(0);
                put_varint(out, i as u64);
            }
        }
        put_varint(out, self.n_records as u64);
        out.extend_from_slice(&self.records);
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn intern(strings: &mut Vec<String>, s: &str) -> Result<usize, WireError> {
    if s.len() > MAX_STRING_BYTES {
        return Err(WireError::Unencodable {
            what: "string longer than 64 bytes",
        });
    }
    if let Some(i) = strings.iter().position(|x| x == s) {
        return Ok(i);
    }
    strings.push(s.to_string());
    Ok(strings.len() - 1)
}

fn encode_record(
    record: &LinkRecord,
    frame_ms: i64,
    strings: &mut Vec<String>,
    markings: &mut Vec<WireMarking>,
    out: &mut Vec<u8>,
) -> Result<(), WireError> {
    let (report, marking) = match record {
        LinkRecord::Ended { track_number } => {
            out.push(1);
            put_varint(out, u64::from(*track_number));
            return Ok(());
        }
        LinkRecord::State { report, marking } => (report, marking),
    };
    out.push(0);
    put_varint(out, u64::from(report.track_number));
    let dt = to_ms(report.time_s)?
        .checked_sub(frame_ms)
        .ok_or(WireError::Unencodable { what: "time" })?;
    put_zigzag(out, dt);
    let mut bits = 0;
    if report.velocity_mps.is_some() {
        bits |= has::VELOCITY;
    }
    match report.accuracy {
        ReportAccuracy::Covariance(_) => bits |= has::COVARIANCE,
        ReportAccuracy::Sigmas { .. } => bits |= has::SIGMAS,
        ReportAccuracy::Unknown => {}
    }
    for (present, bit) in [
        (report.turn_rate_deg_s.is_some(), has::TURN),
        (report.altitude_m.is_some(), has::ALTITUDE),
        (report.mode3a.is_some(), has::MODE3A),
        (report.mode_s.is_some(), has::MODE_S),
        (report.callsign.is_some(), has::CALLSIGN),
        (!report.contributors.is_empty(), has::CONTRIBUTORS),
        (marking.is_some(), has::MARKING),
        (report.updated_s.is_some(), has::UPDATED),
        (report.coasting, has::COASTING),
    ] {
        if present {
            bits |= bit;
        }
    }
    put_varint(out, bits);
    let degrees = |v: f64, limit: f64, what: &'static str| {
        if v.is_finite() && v.abs() <= limit {
            Ok((v * 1e7).round() as i32)
        } else {
            Err(WireError::Unencodable { what })
        }
    };
    out.extend_from_slice(&degrees(report.lat_deg, 90.0, "latitude")?.to_le_bytes());
    let lon = crate::geo::wrap_180(report.lon_deg);
    out.extend_from_slice(&degrees(lon, 180.0, "longitude")?.to_le_bytes());
    if let Some([ve, vn]) = report.velocity_mps {
        for v in [ve, vn] {
            if !(v.is_finite() && v.abs() < 1e5) {
                return Err(WireError::Unencodable { what: "velocity" });
            }
            put_zigzag(out, (v * 10.0).round() as i64);
        }
    }
    match report.accuracy {
        ReportAccuracy::Covariance(c) => {
            let (codes, correlations) = encode_covariance(&c)?;
            out.extend_from_slice(&codes);
            out.extend(correlations.map(|c| c as u8));
        }
        ReportAccuracy::Sigmas {
            position_sigma_m,
            velocity_sigma_mps,
        } => {
            out.push(checked_code(sigma_code(
                position_sigma_m,
                POSITION_SIGMA_BASE_M,
            )?)?);
            out.push(checked_code(sigma_code(
                velocity_sigma_mps,
                VELOCITY_SIGMA_BASE_MPS,
            )?)?);
        }
        ReportAccuracy::Unknown => {}
    }
    if let Some(w) = report.turn_rate_deg_s {
        if !w.is_finite() {
            return Err(WireError::Unencodable { what: "turn rate" });
        }
        // The scale ends at 31.75 deg/s; faster turns are sent at its end.
        out.push(((w / 0.25).round().clamp(-127.0, 127.0) as i8) as u8);
    }
    if let Some(h) = report.altitude_m {
        if !(h.is_finite() && h.abs() < 1e7) {
            return Err(WireError::Unencodable { what: "altitude" });
        }
        put_zigzag(out, (h / 5.0).round() as i64);
    }
    if let Some(code) = report.mode3a {
        if code > 0o7777 {
            return Err(WireError::Unencodable { what: "Mode 3/A" });
        }
        out.extend_from_slice(&code.to_le_bytes());
    }
    if let Some(address) = report.mode_s {
        if address > 0xFF_FFFF {
            return Err(WireError::Unencodable { what: "Mode S" });
        }
        let [a, b, c, _] = address.to_le_bytes();
        out.extend_from_slice(&[a, b, c]);
    }
    if let Some(callsign) = &report.callsign {
        let n = u8::try_from(callsign.len())
            .ok()
            .filter(|&n| usize::from(n) <= MAX_CALLSIGN)
            .ok_or(WireError::Unencodable {
                what: "callsign longer than 16 bytes",
            })?;
        out.push(n);
        out.extend_from_slice(callsign.as_bytes());
    }
    if !report.contributors.is_empty() {
        if report.contributors.len() > MAX_CONTRIBUTORS {
            return Err(WireError::Unencodable {
                what: "more than 32 contributors",
            });
        }
        put_varint(out, report.contributors.len() as u64);
        for c in &report.contributors {
            let nation = match &c.nation {
                Some(n) => intern(strings, n)? + 1,
                None => 0,
            };
            let sensor = intern(strings, &c.sensor)?;
            put_varint(out, nation as u64);
            put_varint(out, sensor as u64);
        }
    }
    if let Some(m) = marking {
        if m.releasable_to.len() > MAX_TOKENS {
            return Err(WireError::Unencodable {
                what: "marking with more than 64 tokens",
            });
        }
        intern(strings, &m.level)?;
        for t in &m.releasable_to {
            intern(strings, t)?;
        }
        let i = match markings.iter().position(|x| x == m) {
            Some(i) => i,
            None => {
                markings.push(m.clone());
                markings.len() - 1
            }
        };
        put_varint(out, i as u64);
    }
    if let Some(u) = report.updated_s {
        let ago = to_ms(u)?
            .checked_sub(to_ms(report.time_s)?)
            .ok_or(WireError::Unencodable {
                what: "update time",
            })?;
        put_zigzag(out, ago);
    }
    Ok(())
}

/// Encodes a whole frame (no size limit beyond the format's).
pub fn encode_frame(frame: &LinkFrame) -> Result<Vec<u8>, WireError> {
    let mut encoder = FrameEncoder::new(frame.time_s)?;
    for record in &frame.records {
        if !encoder.push_within(record, usize::MAX)? {
            return Err(WireError::Unencodable {
                what: "frame beyond the format's limits",
            });
        }
    }
    let mut out = Vec::with_capacity(encoder.size());
    encoder.finish_into(&mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample_report(n: u32) -> SystemTrackReport {
        SystemTrackReport {
            track_number: n,
            time_s: 1_750_000_000.25,
            lat_deg: 14.912_345_6,
            lon_deg: 0.812_345_6,
            velocity_mps: Some([201.3, -45.6]),
            accuracy: ReportAccuracy::Covariance([
                [900.0, 120.0, 30.0, 2.0],
                [120.0, 1600.0, 1.0, 40.0],
                [30.0, 1.0, 4.0, 0.3],
                [2.0, 40.0, 0.3, 6.0],
            ]),
            turn_rate_deg_s: Some(-3.0),
            altitude_m: Some(10_360.0),
            mode3a: Some(0o4402),
            mode_s: Some(0x39AC12),
            callsign: Some("AFR541".into()),
            contributors: vec![
                Contributor {
                    nation: Some("MLI".into()),
                    sensor: "GAO".into(),
                },
                Contributor {
                    nation: Some("MLI".into()),
                    sensor: "ADSB".into(),
                },
            ],
            updated_s: Some(1_749_999_999.5),
            coasting: true,
        }
    }

    fn marking() -> WireMarking {
        WireMarking {
            level: "DR".into(),
            releasable_to: vec!["AES".into()],
        }
    }

    #[test]
    fn round_trip_within_resolution_and_sizes() {
        let report = sample_report(7);
        let frame = LinkFrame {
            time_s: 1_750_000_001.0,
            records: vec![
                LinkRecord::State {
                    report: report.clone(),
                    marking: Some(marking()),
                },
                LinkRecord::Ended { track_number: 3 },
            ],
        };
        let bytes = encode_frame(&frame).expect("encode");
        let back = decode_frame(&bytes).expect("decode");
        assert_eq!(back.time_s, frame.time_s);
        let [
            LinkRecord::State {
                report: got,
                marking: m,
            },
            LinkRecord::Ended { track_number: 3 },
        ] = back.records.as_slice()
        else {
            panic!("{back:?}");
        };
        assert_eq!(m.as_ref(), Some(&marking()));
        assert_eq!(got.track_number, 7);
        assert!((got.time_s - report.time_s).abs() < 1e-3);
        assert!((got.lat_deg - report.lat_deg).abs() < 1e-7);
        assert!((got.lon_deg - report.lon_deg).abs() < 1e-7);
        let [ve, vn] = got.velocity_mps.expect("velocity");
        assert!((ve - 201.3).abs() < 0.051 && (vn + 45.6).abs() < 0.051);
        assert_eq!(got.mode_s, report.mode_s);
        assert_eq!(got.mode3a, report.mode3a);
        assert_eq!(got.callsign, report.callsign);
        assert_eq!(got.contributors, report.contributors);
        assert_eq!(got.turn_rate_deg_s, Some(-3.0));
        assert_eq!(got.updated_s, report.updated_s);
        assert!(got.coasting);
        assert!((got.altitude_m.expect("alt") - 10_360.0).abs() <= 2.5);
        // One state record with everything, one ended record, and the tables.
        let mut one = FrameEncoder::new(frame.time_s).expect("frame");
        let before = one.size();
        assert!(
            one.push_within(&frame.records[0], usize::MAX)
                .expect("push")
        );
        let state_bytes = one.size() - before;
        assert!(state_bytes <= 80, "{state_bytes}");
        let mut second = sample_report(8);
        second.lat_deg += 0.1;
        assert!(
            one.push_within(
                &LinkRecord::State {
                    report: second,
                    marking: Some(marking())
                },
                usize::MAX
            )
            .expect("push")
        );
        // The second record reuses the tables: 52 bytes (the figure the module doc gives).
        let again = one.size() - before - state_bytes;
        assert!(again <= 52, "{again}");
    }

    #[test]
    fn decoded_covariance_bounds_the_sent_one() {
        let report = sample_report(1);
        let ReportAccuracy::Covariance(c) = report.accuracy else {
            panic!()
        };
        let (codes, correlations) = encode_covariance(&c).expect("encode");
        let q = Mat(decode_covariance(codes, correlations));
        let d = q - Mat(c);
        // q - c is positive semi-definite: its Cholesky with a hair of slack succeeds.
        let slack = Mat::<4, 4>::identity().scale(1e-9);
        assert!((d + slack).cholesky().is_some(), "{d:?}");
        // ... and not wastefully larger: within 20 % in each sigma.
        for (i, (row_q, row_c)) in q.0.iter().zip(c.iter()).enumerate() {
            assert!(
                row_q[i] / row_c[i] < 1.44,
                "{i}: {} vs {}",
                row_q[i],
                row_c[i]
            );
        }
    }

    #[test]
    fn strongly_correlated_covariance_still_bounded() {
        // A steady CV filter: position and velocity strongly correlated.
        let c = [
            [100.0, 0.0, 9.5, 0.0],
            [0.0, 100.0, 0.0, 9.5],
            [9.5, 0.0, 1.0, 0.0],
            [0.0, 9.5, 0.0, 1.0],
        ];
        let (codes, correlations) = encode_covariance(&c).expect("encode");
        let q = Mat(decode_covariance(codes, correlations));
        let slack = Mat::<4, 4>::identity().scale(1e-9);
        assert!((q - Mat(c) + slack).cholesky().is_some());
    }

    #[test]
    fn bad_frames_are_errors_not_panics() {
        let frame = LinkFrame {
            time_s: 10.0,
            records: vec![LinkRecord::State {
                report: sample_report(1),
                marking: Some(marking()),
            }],
        };
        let bytes = encode_frame(&frame).expect("encode");
        for cut in 0..bytes.len() {
            assert!(decode_frame(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(decode_frame(b"XX\x01\x00"), Err(WireError::BadMagic));
        assert_eq!(decode_frame(b"LT\x09\x00"), Err(WireError::Version(9)));
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(decode_frame(&trailing).is_err());
    }

    #[test]
    fn unencodable_values_are_refused() {
        let mut r = sample_report(1);
        r.accuracy = ReportAccuracy::Sigmas {
            position_sigma_m: 1e9,
            velocity_sigma_mps: 1.0,
        };
        let record = LinkRecord::State {
            report: r,
            marking: None,
        };
        let mut enc = FrameEncoder::new(0.0).expect("frame");
        assert!(enc.push_within(&record, usize::MAX).is_err());
        assert!(enc.is_empty());
        let mut r = sample_report(1);
        r.lat_deg = f64::NAN;
        let record = LinkRecord::State {
            report: r,
            marking: None,
        };
        assert!(enc.push_within(&record, usize::MAX).is_err());
    }

    #[test]
    fn size_limit_is_kept() {
        let mut enc = FrameEncoder::new(0.0).expect("frame");
        let mut n = 0;
        while enc
            .push_within(
                &LinkRecord::State {
                    report: SystemTrackReport {
                        time_s: 0.5,
                        ..sample_report(n)
                    },
                    marking: Some(marking()),
                },
                500,
            )
            .expect("push")
        {
            n += 1;
        }
        assert!(n >= 8, "{n}");
        let mut out = Vec::new();
        enc.finish_into(&mut out);
        assert!(out.len() <= 500);
        assert_eq!(out.len(), enc.size());
        assert_eq!(
            decode_frame(&out).expect("decode").records.len(),
            n as usize
        );
    }
}
