//! ASTERIX <-> the tracker: the one place where the wire's vocabulary meets the air picture's.
//!
//! Inbound, [`FeedDecoder::decode`] takes one datagram of a listen address, decodes it with the
//! sensors' editions, attributes each record to a configured sensor by its SAC/SIC
//! (I0xx/010), and turns it into what the tracker takes:
//! - CAT048 target report → [`RadarPlot`] (I048/040 range and azimuth, or the extended range of
//!   RE ERR; I048/070 Mode 3/A and I048/090 Mode C only when validated and not garbled; I048/220
//!   Mode S address; I048/240 identification). Test targets (I048/020 TST) and records with no
//!   detection are left out;
//! - CAT034 north marker or sector crossing → a sector crossing (the beam passed an azimuth);
//! - CAT021 ADS-B report → [`AdsbReport`] (position, velocity from I021/160, height from
//!   I021/140 or the flight level, accuracy from NACp). Test targets and reports whose position
//!   failed a check (CPR, local decoding, independent position check: spoofing) are left out.
//!
//! - CAT062 system track (from a `system` sensor: another system's tracker) →
//!   [`SystemTrackReport`] (I062/105 position, I062/185 velocity, I062/136 flight level,
//!   I062/060 Mode 3/A, I062/380 address and identification, I062/080 CST; TSE ends the
//!   track). Simulated tracks (I062/080 SIM) are left out of the real picture.
//!
//! ASTERIX times are seconds since midnight UTC; [`TodClock`] makes them absolute (Unix
//! seconds), choosing the day that puts the time nearest the sensor's previous report (or the
//! node's clock for a first report), so midnight is crossed both ways.
//!
//! Outbound, [`cat062_track`] writes a system track as CAT062 (I062/010, 015, 040, 060, 070,
//! 080 with TSB/TSE, CNF, MON, CST and EMS, 105, 136, 185, 245 and 380 ADR/ID).
//!
//! Nothing here panics or indexes on input: every value comes through the codec's typed views
//! and is checked finite and in range before the tracker sees it.

use liptako_asterix::cat021::Cat021Report;
use liptako_asterix::cat034::{Cat034Message, MessageType};
use liptako_asterix::cat048::Cat048Report;
use liptako_asterix::cat062::{
    AircraftDerived, Cat062Track, TargetIdentification, TrackStatus, Velocity,
};
use liptako_asterix::{AircraftAddress, AircraftId, DataSource, Decoder, Editions, Mode3A, Wgs84};
use liptako_track::{AdsbReport, RadarPlot, SystemTrackReport};

use crate::config::air::SensorKind;

/// Seconds in a day.
const DAY_S: f64 = 86_400.0;
/// Metres in a nautical mile.
const NM_M: f64 = 1_852.0;
/// Metres in a foot.
const FT_M: f64 = 0.3048;
/// Metres in a flight level (100 ft).
const FL_M: f64 = 30.48;
/// A sensor silent longer than this gets its day from the node's clock again, seconds.
const CLOCK_MEMORY_S: f64 = 600.0;

/// The instant, in Unix seconds, whose UTC time of day is `time_of_day_s` and which is nearest
/// to `reference_s`. `None` when the time of day is not in `0..86400` (plus the one leap
/// second ASTERIX can carry) or the reference is not finite.
pub fn absolute_time(time_of_day_s: f64, reference_s: f64) -> Option<f64> {
    if !(time_of_day_s.is_finite() && (0.0..DAY_S + 1.0).contains(&time_of_day_s)) {
        return None;
    }
    if !reference_s.is_finite() {
        return None;
    }
    let day_start = (reference_s / DAY_S).floor() * DAY_S;
    let mut t = day_start + time_of_day_s;
    // At most one step either way: the nearest instant is within half a day.
    if t - reference_s > DAY_S / 2.0 {
        t -= DAY_S;
    } else if reference_s - t > DAY_S / 2.0 {
        t += DAY_S;
    }
    Some(t)
}

/// Per sensor: the anchor of its time scale (an absolute time it reported and the node's clock
/// then), and a candidate anchor after a jump.
#[derive(Debug, Clone, Copy, Default)]
pub struct TodClock {
    anchor: Option<(f64, f64)>,
    jumped: Option<(f64, f64)>,
}

/// A time further than this from where the sensor's clock should be is an outlier: it does not
/// move the anchor unless the next time agrees with it (the sensor's clock really jumped).
const CLOCK_JUMP_S: f64 = 300.0;

impl TodClock {
    /// The absolute time of `time_of_day_s` reported by this sensor, received at `wall_s`.
    ///
    /// The reference is where the sensor's clock should be: its anchor moved on by the node's
    /// clock since (so a replay faster than real time, or a sensor clock a little off, keeps
    /// its own day), or the node's clock for a first report or after a long silence. One odd
    /// time does not move the anchor: a corrupt time of day cannot shift the day of those that
    /// follow.
    pub fn absolute(&mut self, time_of_day_s: f64, wall_s: f64) -> Option<f64> {
        let expected = |(t, at): (f64, f64)| t + (wall_s - at).max(0.0);
        let anchor = self
            .anchor
            .filter(|&(_, at)| (wall_s - at).abs() < CLOCK_MEMORY_S);
        let reference = anchor.map_or(wall_s, expected);
        let t = absolute_time(time_of_day_s, reference)?;
        if anchor.is_none() || (t - reference).abs() <= CLOCK_JUMP_S {
            self.anchor = Some((t, wall_s));
            self.jumped = None;
        } else if self
            .jumped
            .is_some_and(|jumped| (t - expected(jumped)).abs() <= CLOCK_JUMP_S)
        {
            // Two times in a row agree on a new scale: follow the sensor there.
            self.anchor = Some((t, wall_s));
            self.jumped = None;
        } else {
            self.jumped = Some((t, wall_s));
        }
        Some(t)
    }
}

/// What one record became.
#[derive(Debug, Clone, PartialEq)]
pub enum Measurement {
    /// A radar plot (CAT048).
    Plot(RadarPlot),
    /// The radar's beam passed `azimuth_deg` (CAT034 north marker or sector crossing).
    Sector {
        /// Azimuth of the sector start, degrees.
        azimuth_deg: f64,
        /// When, Unix seconds.
        time_s: f64,
        /// The antenna rotation period the radar reports (I034/041), seconds.
        period_s: Option<f64>,
    },
    /// An ADS-B report (CAT021).
    Adsb(AdsbReport),
    /// A state of another system's track (CAT062); `last`: the system ended the track (TSE).
    System {
        /// The state.
        report: Box<SystemTrackReport>,
        /// The system ended the track with this message.
        last: bool,
    },
}

impl Measurement {
    /// The measurement's time, Unix seconds.
    pub fn time_s(&self) -> f64 {
        match self {
            Measurement::Plot(plot) => plot.time_s,
            Measurement::Sector { time_s, .. } => *time_s,
            Measurement::Adsb(report) => report.time_s,
            Measurement::System { report, .. } => report.time_s,
        }
    }
}

/// Why a record was left out (a counter label each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Skip {
    /// Its SAC/SIC is not a sensor configured on this address.
    UnknownSource,
    /// A category the air picture does not take (or not from this kind of sensor).
    Category,
    /// No time of day, or one out of range.
    NoTime,
    /// No usable position.
    NoPosition,
    /// A test target, a report without detection, or a position that failed its checks.
    Unreliable,
    /// A service message that is not a north marker or sector crossing.
    OtherMessage,
    /// A CAT021 report without an aircraft address.
    NoAddress,
    /// A CAT062 track without a track number (I062/040).
    NoTrackNumber,
}

impl Skip {
    /// Every reason, for registering counters.
    pub const ALL: [Skip; 8] = [
        Skip::UnknownSource,
        Skip::Category,
        Skip::NoTime,
        Skip::NoPosition,
        Skip::Unreliable,
        Skip::OtherMessage,
        Skip::NoAddress,
        Skip::NoTrackNumber,
    ];

    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::UnknownSource => "unknown_source",
            Skip::Category => "category",
            Skip::NoTime => "no_time",
            Skip::NoPosition => "no_position",
            Skip::Unreliable => "unreliable",
            Skip::OtherMessage => "other_message",
            Skip::NoAddress => "no_address",
            Skip::NoTrackNumber => "no_track_number",
        }
    }
}

/// One sensor as a listen address's decoder knows it.
#[derive(Debug, Clone, Copy)]
pub struct FeedSensor {
    /// Index of the sensor in the configuration (and the tracker).
    pub index: usize,
    /// Its SAC/SIC.
    pub source: DataSource,
    /// Radar or ADS-B.
    pub kind: SensorKind,
}

/// What decoding one datagram found, beside the measurements.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct DatagramTally {
    /// Records decoded, per (sensor index, category).
    pub records: Vec<(usize, u8)>,
    /// Records left out, with the sensor when known.
    pub skipped: Vec<(Option<usize>, Skip)>,
    /// Decode errors (blocks that could not be read to their end).
    pub errors: usize,
    /// The first decode error, for the log.
    pub first_error: Option<String>,
    /// A SAC/SIC not configured here, for the log.
    pub unknown_source: Option<DataSource>,
}

/// Decodes the datagrams of one listen address (see the module doc).
#[derive(Debug, Clone)]
pub struct FeedDecoder {
    decoder: Decoder,
    sensors: Vec<FeedSensor>,
    clocks: Vec<TodClock>,
}

impl FeedDecoder {
    /// A decoder for the sensors sharing one address (which share their editions).
    pub fn new(editions: Editions, sensors: Vec<FeedSensor>) -> FeedDecoder {
        FeedDecoder {
            decoder: Decoder::new(editions),
            clocks: vec![TodClock::default(); sensors.len()],
            sensors,
        }
    }

    /// Decodes `datagram`, received when the node's clock read `wall_s` (Unix seconds):
    /// appends `(sensor index, measurement)` to `out` and says what else happened in `tally`.
    pub fn decode(
        &mut self,
        datagram: &[u8],
        wall_s: f64,
        out: &mut Vec<(usize, Measurement)>,
        tally: &mut DatagramTally,
    ) {
        for record in self.decoder.records(datagram) {
            let record = match record {
                Ok(record) => record,
                Err(err) => {
                    tally.errors += 1;
                    if tally.first_error.is_none() {
                        tally.first_error = Some(err.to_string());
                    }
                    continue;
                }
            };
            let category = record.category();
            let typed = match category {
                48 => Cat048Report::from_record(&record).map(Typed::Plot),
                34 => Cat034Message::from_record(&record).map(Typed::Service),
                21 => Cat021Report::from_record(&record).map(Typed::Adsb),
                62 => Cat062Track::from_record(&record).map(|t| Typed::System(Box::new(t))),
                _ => None,
            };
            let Some(typed) = typed else {
                tally.skipped.push((None, Skip::Category));
                continue;
            };
            let source = match &typed {
                Typed::Plot(r) => r.data_source,
                Typed::Service(m) => m.data_source,
                Typed::Adsb(r) => r.data_source,
                Typed::System(t) => t.data_source,
            };
            let slot = match source {
                Some(source) => self.sensors.iter().position(|s| s.source == source),
                // I0xx/010 is mandatory; tolerate its absence only where it cannot be ambiguous.
                None if self.sensors.len() == 1 => Some(0),
                None => None,
            };
            let Some((slot, sensor)) = slot.and_then(|i| Some((i, *self.sensors.get(i)?))) else {
                tally.skipped.push((None, Skip::UnknownSource));
                if tally.unknown_source.is_none() {
                    tally.unknown_source = source;
                }
                continue;
            };
            let Some(clock) = self.clocks.get_mut(slot) else {
                continue;
            };
            let mut absolute = |tod: Option<f64>| {
                tod.and_then(|tod| clock.absolute(tod, wall_s))
                    .ok_or(Skip::NoTime)
            };
            let converted = match (typed, sensor.kind) {
                (Typed::Plot(r), SensorKind::Radar) => absolute(r.time_of_day_s)
                    .and_then(|t| radar_plot(&r, t))
                    .map(Measurement::Plot),
                (Typed::Service(m), SensorKind::Radar) => {
                    absolute(m.time_of_day_s).and_then(|t| sector_message(&m, t))
                }
                (Typed::Adsb(r), SensorKind::Adsb) => absolute(r.time_of_day_s())
                    .and_then(|t| adsb_report(&r, t))
                    .map(Measurement::Adsb),
                (Typed::System(t), SensorKind::System) => absolute(t.time_of_track_s)
                    .and_then(|time| system_track(&t, time))
                    .map(|(report, last)| Measurement::System {
                        report: Box::new(report),
                        last,
                    }),
                _ => Err(Skip::Category),
            };
            tally.records.push((sensor.index, category));
            match converted {
                Ok(measurement) => out.push((sensor.index, measurement)),
                Err(skip) => tally.skipped.push((Some(sensor.index), skip)),
            }
        }
    }
}

/// A record's typed view, read once.
enum Typed<'a> {
    Plot(Cat048Report<'a>),
    Service(Cat034Message),
    Adsb(Cat021Report),
    System(Box<Cat062Track>),
}

/// A position the tracker may take: present, finite and on the globe.
fn checked(position: Option<Wgs84>) -> Result<(f64, f64), Skip> {
    let Wgs84 { lat_deg, lon_deg } = position.ok_or(Skip::NoPosition)?;
    if lat_deg.is_finite()
        && lon_deg.is_finite()
        && (-90.0..=90.0).contains(&lat_deg)
        && (-180.0..=180.0).contains(&lon_deg)
    {
        Ok((lat_deg, lon_deg))
    } else {
        Err(Skip::NoPosition)
    }
}

fn finite(value: f64) -> Option<f64> {
    value.is_finite().then_some(value)
}

/// A CAT048 target report as a plot at absolute time `time_s`.
pub fn radar_plot(report: &Cat048Report<'_>, time_s: f64) -> Result<RadarPlot, Skip> {
    if let Some(descriptor) = report.descriptor
        && (descriptor.test || descriptor.typ == 0)
    {
        return Err(Skip::Unreliable);
    }
    if report.track_status.is_some_and(|status| status.ghost) {
        return Err(Skip::Unreliable);
    }
    let polar = report.polar.ok_or(Skip::NoPosition)?;
    // Beyond 256 NM, I048/040 cannot carry the range: the RE field's ERR does.
    let range_nm = report.extended_range_nm.unwrap_or(polar.rho_nm);
    let range_m = finite(range_nm * NM_M).ok_or(Skip::NoPosition)?;
    let azimuth_deg = finite(polar.theta_deg).ok_or(Skip::NoPosition)?;
    if range_m < 0.0 {
        return Err(Skip::NoPosition);
    }
    Ok(RadarPlot {
        time_s,
        range_m,
        azimuth_deg,
        mode3a: report
            .mode3a
            .filter(|reply| reply.validated && !reply.garbled)
            .map(|reply| reply.code.bits()),
        mode_s: report.aircraft_address.map(AircraftAddress::bits),
        altitude_m: report
            .flight_level
            .filter(|reply| reply.validated && !reply.garbled)
            .and_then(|reply| finite(reply.flight_level * FL_M)),
        callsign: report.aircraft_id.and_then(|id| callsign(&id)),
    })
}

/// A CAT034 message as a sector crossing at absolute time `time_s`.
pub fn sector_message(message: &Cat034Message, time_s: f64) -> Result<Measurement, Skip> {
    let azimuth_deg = match message.message_type {
        Some(MessageType::NorthMarker) => 0.0,
        Some(MessageType::SectorCrossing) => message
            .sector_azimuth_deg
            .and_then(finite)
            .ok_or(Skip::NoPosition)?,
        _ => return Err(Skip::OtherMessage),
    };
    Ok(Measurement::Sector {
        azimuth_deg,
        time_s,
        period_s: message
            .antenna_rotation_period_s
            .and_then(finite)
            .filter(|p| *p > 0.0),
    })
}

/// A CAT021 report as an ADS-B report at absolute time `time_s`.
pub fn adsb_report(report: &Cat021Report, time_s: f64) -> Result<AdsbReport, Skip> {
    if let Some(d) = report.descriptor
        && (d.test || d.cpr_failed || d.local_decoding_jump || d.independent_position_check_failed)
    {
        return Err(Skip::Unreliable);
    }
    let address = report.aircraft_address.ok_or(Skip::NoAddress)?.bits();
    let (lat_deg, lon_deg) = checked(report.position())?;
    let velocity_mps = report
        .ground_vector
        .filter(|v| !v.range_exceeded)
        .and_then(|v| {
            let speed = finite(v.groundspeed_nmps * NM_M)?;
            let track = finite(v.track_angle_deg)?.to_radians();
            Some([speed * track.sin(), speed * track.cos()])
        });
    let altitude_m = report
        .geometric_height_ft
        .map(|ft| ft * FT_M)
        .or(report.flight_level.map(|fl| fl * FL_M))
        .and_then(finite);
    Ok(AdsbReport {
        time_s,
        address,
        lat_deg,
        lon_deg,
        altitude_m,
        velocity_mps,
        position_sigma_m: report.quality.and_then(|q| nacp_sigma_m(q.nacp)),
        mode3a: report.mode3a.map(Mode3A::bits),
        callsign: report.aircraft_id.and_then(|id| callsign(&id)),
    })
}

/// A CAT062 system track as a state of a source of system tracks at absolute time `time_s`,
/// and whether the system ended the track (TSE). Simulated and test tracks are left out.
pub fn system_track(track: &Cat062Track, time_s: f64) -> Result<(SystemTrackReport, bool), Skip> {
    let status = track.status.unwrap_or_default();
    if status.sim {
        return Err(Skip::Unreliable);
    }
    let track_number = track.track_number.ok_or(Skip::NoTrackNumber)?;
    let (lat_deg, lon_deg) = checked(track.position_wgs84)?;
    let velocity_mps = track
        .velocity
        .and_then(|v| Some([finite(v.vx_mps)?, finite(v.vy_mps)?]));
    let altitude_m = track
        .measured_flight_level
        .map(|fl| fl * FL_M)
        .or(track.geometric_altitude_ft.map(|ft| ft * FT_M))
        .and_then(finite);
    let derived = track.aircraft_derived.as_ref();
    let callsign = track
        .target_identification
        .map(|t| t.id)
        .or(derived.and_then(|d| d.id))
        .and_then(|id| callsign(&id));
    Ok((
        SystemTrackReport {
            track_number: u32::from(track_number),
            time_s,
            lat_deg,
            lon_deg,
            velocity_mps,
            altitude_m,
            mode3a: track.mode3a.map(|m| m.code.bits()),
            mode_s: derived.and_then(|d| d.address).map(AircraftAddress::bits),
            callsign,
            coasting: status.cst,
            ..SystemTrackReport::default()
        },
        status.tse,
    ))
}

/// Standard deviation of the position from its Navigation Accuracy Category (NACp, DO-260B
/// table: the 95 % bound on the horizontal error, EPU). For a circular normal error the 95 %
/// radius is about 2.45 sigma. NACp 0 (unknown) gives nothing: the source's default applies.
pub fn nacp_sigma_m(nacp: u8) -> Option<f64> {
    let epu_m = match nacp {
        11 => 3.0,
        10 => 10.0,
        9 => 30.0,
        8 => 92.6,
        7 => 185.2,
        6 => 555.6,
        5 => 926.0,
        4 => 1_852.0,
        3 => 3_704.0,
        2 => 7_408.0,
        1 => 18_520.0,
        _ => return None,
    };
    Some(epu_m / 2.45)
}

fn callsign(id: &AircraftId) -> Option<String> {
    let text = id.as_str().trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// A system track as the CAT062 output gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutTrack<'a> {
    /// 16-bit system track number (I062/040).
    pub number: u16,
    /// Time of the picture, Unix seconds (I062/070 as its time of day).
    pub time_s: f64,
    /// Position (I062/105).
    pub lat_deg: f64,
    /// Position (I062/105).
    pub lon_deg: f64,
    /// Velocity east, m/s (I062/185 VX).
    pub velocity_east_mps: f64,
    /// Velocity north, m/s (I062/185 VY).
    pub velocity_north_mps: f64,
    /// Altitude, metres (I062/136 as a flight level).
    pub altitude_m: Option<f64>,
    /// Mode 3/A (I062/060).
    pub mode3a: Option<u16>,
    /// Mode S address (I062/380 ADR).
    pub mode_s: Option<u32>,
    /// Identification (I062/245 and I062/380 ID).
    pub callsign: Option<&'a str>,
    /// Emergency squawk (I062/080 EMS).
    pub emergency: Option<u16>,
    /// Updated by one sensor only lately (I062/080 MON).
    pub mono_sensor: bool,
    /// No update for a while (I062/080 CST).
    pub coasting: bool,
    /// First message of the track (I062/080 TSB).
    pub first: bool,
    /// Last message of the track (I062/080 TSE).
    pub last: bool,
}

/// Fits a value into an item's range: the encoder refuses (rather than wraps) out-of-range
/// values, and a track that went wild must not lose its whole record.
fn clamp(value: f64, min: f64, max: f64) -> Option<f64> {
    value.is_finite().then(|| value.clamp(min, max))
}

/// The CAT062 record of a track, from system `source` (service `service_id`).
pub fn cat062_track(track: &OutTrack<'_>, source: DataSource, service_id: u8) -> Cat062Track {
    let ems = match track.emergency {
        Some(0o7700) => 1,
        Some(0o7600) => 4,
        Some(0o7500) => 5,
        _ => 0,
    };
    let id = track
        .callsign
        .and_then(|text| text.parse::<AircraftId>().ok());
    let tod = track.time_s.rem_euclid(DAY_S);
    Cat062Track {
        data_source: Some(source),
        service_id: Some(service_id),
        time_of_track_s: tod.is_finite().then_some(tod),
        position_wgs84: match (
            clamp(track.lat_deg, -90.0, 90.0),
            clamp(track.lon_deg, -180.0, 180.0),
        ) {
            (Some(lat_deg), Some(lon_deg)) => Some(Wgs84 { lat_deg, lon_deg }),
            _ => None,
        },
        velocity: match (
            clamp(track.velocity_east_mps, -8_000.0, 8_000.0),
            clamp(track.velocity_north_mps, -8_000.0, 8_000.0),
        ) {
            (Some(vx_mps), Some(vy_mps)) => Some(Velocity { vx_mps, vy_mps }),
            _ => None,
        },
        mode3a: track.mode3a.and_then(Mode3A::new).map(Into::into),
        target_identification: id.map(|id| TargetIdentification { sti: 0, id }),
        aircraft_derived: (track.mode_s.is_some() || id.is_some()).then(|| AircraftDerived {
            address: track.mode_s.and_then(AircraftAddress::new),
            id,
            ..AircraftDerived::default()
        }),
        track_number: Some(track.number),
        status: Some(TrackStatus {
            mon: track.mono_sensor,
            cnf: false,
            tsb: track.first,
            tse: track.last,
            cst: track.coasting,
            ems,
            ..TrackStatus::default()
        }),
        measured_flight_level: track
            .altitude_m
            .and_then(|m| clamp(m / FL_M, -15.0, 1_500.0)),
        ..Cat062Track::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liptako_asterix::cat021::{Cat021Descriptor, GroundVector, QualityIndicators};
    use liptako_asterix::cat048::{FlightLevelReply, Mode3AReply, Polar, TargetReportDescriptor};
    use liptako_asterix::{BlockEncoder, tables};

    #[test]
    fn times_of_day_cross_midnight_both_ways() {
        let midnight = 20_000.0 * DAY_S;
        // Just before midnight on our clock, a sensor already past it.
        assert_eq!(absolute_time(1.0, midnight - 2.0), Some(midnight + 1.0));
        // Just after midnight, a report from just before it.
        assert_eq!(
            absolute_time(86_399.0, midnight + 2.0),
            Some(midnight - 1.0)
        );
        assert_eq!(absolute_time(43_200.5, midnight), Some(midnight - 43_199.5));
        assert_eq!(absolute_time(-1.0, midnight), None);
        assert_eq!(absolute_time(f64::NAN, midnight), None);
        assert_eq!(absolute_time(90_000.0, midnight), None);
        assert_eq!(absolute_time(1.0, f64::INFINITY), None);
    }

    #[test]
    fn a_sensor_clock_keeps_its_day_in_a_fast_replay() {
        let midnight = 20_000.0 * DAY_S;
        let mut clock = TodClock::default();
        // A replay at 100x started 10 minutes before midnight: an hour of data in 36 s.
        let wall0 = midnight - 600.0;
        let mut last = f64::NEG_INFINITY;
        for k in 0..=3_600 {
            let data = wall0 + f64::from(k);
            let wall = wall0 + f64::from(k) / 100.0;
            let t = clock.absolute(data.rem_euclid(DAY_S), wall).unwrap();
            assert_eq!(t, data, "k = {k}");
            assert!(t > last);
            last = t;
        }
    }

    #[test]
    fn one_corrupt_time_of_day_does_not_move_the_day_of_the_others() {
        let wall = 20_000.0 * DAY_S + 3_600.0; // 01:00
        let mut clock = TodClock::default();
        assert_eq!(clock.absolute(3_600.0, wall), Some(wall));
        // 13:00 is twelve hours away: whichever day it lands on...
        assert!(clock.absolute(46_800.0, wall + 0.1).is_some());
        // ... the next good time is still today.
        assert_eq!(clock.absolute(3_601.0, wall + 1.0), Some(wall + 1.0));
        // A real jump (the sensor's clock reset by two hours) is followed after two reports.
        assert_eq!(clock.absolute(10_800.0, wall + 2.0), Some(wall + 7_200.0));
        assert_eq!(clock.absolute(10_801.0, wall + 3.0), Some(wall + 7_201.0));
        assert_eq!(clock.absolute(10_802.0, wall + 4.0), Some(wall + 7_202.0));
    }

    fn datagram<R: liptako_asterix::EncodeRecord>(
        edition: &'static liptako_asterix::Edition,
        records: &[R],
    ) -> Vec<u8> {
        let mut block = BlockEncoder::new(edition);
        for record in records {
            block.push(record).unwrap();
        }
        let mut out = Vec::new();
        block.finish_into(&mut out).unwrap();
        out
    }

    fn plot(source: DataSource, tod: f64) -> Cat048Report<'static> {
        Cat048Report {
            data_source: Some(source),
            time_of_day_s: Some(tod),
            descriptor: Some(TargetReportDescriptor {
                typ: 7,
                ..TargetReportDescriptor::default()
            }),
            polar: Some(Polar {
                rho_nm: 50.0,
                theta_deg: 45.0,
            }),
            mode3a: Some("7700".parse().unwrap()),
            flight_level: Some(FlightLevelReply::new(350.0)),
            aircraft_address: AircraftAddress::new(0x3C4D5E),
            aircraft_id: Some("AFR541".parse().unwrap()),
            ..Cat048Report::default()
        }
    }

    fn feed() -> FeedDecoder {
        FeedDecoder::new(
            Editions::current(),
            vec![
                FeedSensor {
                    index: 3,
                    source: DataSource { sac: 1, sic: 1 },
                    kind: SensorKind::Radar,
                },
                FeedSensor {
                    index: 5,
                    source: DataSource { sac: 9, sic: 1 },
                    kind: SensorKind::Adsb,
                },
            ],
        )
    }

    #[test]
    fn records_go_to_their_sensor_with_absolute_times() {
        let wall = 20_000.0 * DAY_S + 3_600.0;
        let radar = DataSource { sac: 1, sic: 1 };
        let mut bytes = datagram(&tables::cat048::V1_32, &[plot(radar, 3_599.5)]);
        bytes.extend(datagram(
            &tables::cat034::V1_29,
            &[
                Cat034Message::sector_crossing(radar, 3_599.75, 90.0),
                Cat034Message::north_marker(radar, 3_600.0),
            ],
        ));
        let adsb = Cat021Report {
            data_source: Some(DataSource { sac: 9, sic: 1 }),
            time_of_applicability_position_s: Some(3_600.25),
            position_wgs84_high_res: Some(Wgs84 {
                lat_deg: 14.5,
                lon_deg: 0.5,
            }),
            aircraft_address: AircraftAddress::new(0xABCDEF),
            geometric_height_ft: Some(10_000.0),
            ground_vector: Some(GroundVector {
                groundspeed_nmps: 0.1,
                track_angle_deg: 90.0,
                range_exceeded: false,
            }),
            quality: Some(QualityIndicators {
                nacp: 9,
                ..QualityIndicators::default()
            }),
            ..Cat021Report::default()
        };
        bytes.extend(datagram(&tables::cat021::V2_7, &[adsb]));
        let mut out = Vec::new();
        let mut tally = DatagramTally::default();
        feed().decode(&bytes, wall, &mut out, &mut tally);
        assert_eq!(tally.errors, 0);
        assert!(tally.skipped.is_empty(), "{tally:?}");
        assert_eq!(tally.records, vec![(3, 48), (3, 34), (3, 34), (5, 21)]);
        let [
            (3, Measurement::Plot(p)),
            (
                3,
                Measurement::Sector {
                    azimuth_deg: a1, ..
                },
            ),
            (
                3,
                Measurement::Sector {
                    azimuth_deg: a0,
                    time_s,
                    ..
                },
            ),
            (5, Measurement::Adsb(r)),
        ] = &out[..]
        else {
            panic!("{out:?}")
        };
        assert_eq!(p.time_s, wall - 0.5);
        assert!((p.range_m - 50.0 * NM_M).abs() < 1.0);
        assert_eq!(p.mode3a, Some(0o7700));
        assert_eq!(p.mode_s, Some(0x3C4D5E));
        assert!((p.altitude_m.unwrap() - 350.0 * FL_M).abs() < 1.0);
        assert_eq!(p.callsign.as_deref(), Some("AFR541"));
        assert!((a1 - 90.0).abs() < 1.5);
        assert_eq!((*a0, *time_s), (0.0, wall));
        assert_eq!(r.address, 0xABCDEF);
        assert_eq!(r.time_s, wall + 0.25);
        let [ve, vn] = r.velocity_mps.unwrap();
        assert!((ve - 185.2).abs() < 0.5 && vn.abs() < 0.5, "{ve} {vn}");
        assert!((r.position_sigma_m.unwrap() - 30.0 / 2.45).abs() < 1e-9);
        assert!((r.altitude_m.unwrap() - 3_048.0).abs() < 1.0);
    }

    #[test]
    fn strangers_garbage_and_doubtful_reports_are_counted_not_taken() {
        let wall = 20_000.0 * DAY_S;
        let stranger = DataSource { sac: 4, sic: 4 };
        let radar = DataSource { sac: 1, sic: 1 };
        let mut test_target = plot(radar, 10.0);
        test_target.descriptor = Some(TargetReportDescriptor {
            typ: 1,
            test: true,
            ..TargetReportDescriptor::default()
        });
        let mut garbled = plot(radar, 10.0);
        garbled.mode3a = Some(Mode3AReply {
            garbled: true,
            ..garbled.mode3a.unwrap()
        });
        let mut no_position = plot(radar, 10.0);
        no_position.polar = None;
        let mut bytes = datagram(
            &tables::cat048::V1_32,
            &[plot(stranger, 10.0), test_target, garbled, no_position],
        );
        let spoofed = Cat021Report {
            data_source: Some(DataSource { sac: 9, sic: 1 }),
            time_of_applicability_position_s: Some(10.0),
            position_wgs84: Some(Wgs84 {
                lat_deg: 14.0,
                lon_deg: 1.0,
            }),
            aircraft_address: AircraftAddress::new(1),
            descriptor: Some(Cat021Descriptor {
                independent_position_check_failed: true,
                ..Cat021Descriptor::default()
            }),
            ..Cat021Report::default()
        };
        bytes.extend(datagram(&tables::cat021::V2_7, &[spoofed]));
        // A CAT001 block, then a block whose LEN runs past the end.
        bytes.extend([1, 0, 4, 0]);
        bytes.extend([48, 0, 200, 0xff]);
        let mut out = Vec::new();
        let mut tally = DatagramTally::default();
        feed().decode(&bytes, wall, &mut out, &mut tally);
        assert_eq!(out.len(), 1, "{out:?}");
        let (3, Measurement::Plot(p)) = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(p.mode3a, None, "a garbled code is not used");
        assert_eq!(
            tally.skipped,
            vec![
                (None, Skip::UnknownSource),
                (Some(3), Skip::Unreliable),
                (Some(3), Skip::NoPosition),
                (Some(5), Skip::Unreliable),
            ]
        );
        assert_eq!(tally.unknown_source, Some(stranger));
        assert_eq!(tally.errors, 2, "{tally:?}");
        assert!(tally.first_error.is_some());
    }

    #[test]
    fn no_input_makes_it_panic() {
        let mut decoder = feed();
        let mut out = Vec::new();
        let mut tally = DatagramTally::default();
        let mut seed = 0x1234_5678_u64;
        for len in 0..600 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    let b = (seed >> 33) as u8;
                    // Steer towards our categories so the decoders get exercised.
                    match b % 7 {
                        0 => 48,
                        1 => 21,
                        2 => 34,
                        _ => b,
                    }
                })
                .collect();
            decoder.decode(&bytes, 1.7e9, &mut out, &mut tally);
        }
        for (_, m) in &out {
            assert!(m.time_s().is_finite());
        }
    }

    #[test]
    fn cat062_out_fits_every_item() {
        let track = OutTrack {
            number: 42,
            time_s: 20_000.0 * DAY_S + 3_600.0,
            lat_deg: 14.5,
            lon_deg: 0.5,
            velocity_east_mps: 1e6,
            velocity_north_mps: f64::NAN,
            altitude_m: Some(10_668.0),
            mode3a: Some(0o7600),
            mode_s: Some(0xABCDEF),
            callsign: Some("SAH77"),
            emergency: Some(0o7600),
            mono_sensor: true,
            coasting: false,
            first: true,
            last: false,
        };
        let record = cat062_track(&track, DataSource { sac: 7, sic: 1 }, 1);
        assert_eq!(record.time_of_track_s, Some(3_600.0));
        assert_eq!(
            record.velocity, None,
            "a non-finite component drops the item"
        );
        let status = record.status.unwrap();
        assert_eq!((status.ems, status.mon, status.tsb), (4, true, true));
        assert!((record.measured_flight_level.unwrap() - 350.0).abs() < 1e-9);
        let mut block = BlockEncoder::new(&tables::cat062::V1_21);
        block.push(&record).unwrap();
    }
}
