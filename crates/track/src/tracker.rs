//! The multi-sensor tracker: association, track management and the periodic picture.
//!
//! Plots are pushed one at a time as they arrive. Each sensor keeps an open *batch*: for a
//! radar, the plots of the current azimuth sector; for an ADS-B source, a short time window. A
//! batch closes when a plot of another sector arrives (or at a picture tick, for the plots up to
//! the tick) and is processed at once: every plot is gated against the tracks near it (a spatial
//! hash, so nothing is quadratic), the gated pairs fall into independent clusters, and each
//! cluster is solved by optimal assignment (global nearest neighbour) on log-likelihood costs
//! with Mode S and Mode 3/A codes as aids. Assigned plots update their track's IMM filter (out
//! of sequence if another sensor updated it later); the others start tentative tracks.
//!
//! Track management is by opportunity: once a radar's beam has swept past a track's azimuth
//! (known from the plots themselves, or from the rotation period between them), the track either
//! got a plot from that radar or missed one; only radars that have seen the track lately count
//! (coverage is learned, so a target below one radar's horizon is not missed by it). Tentative
//! tracks are confirmed by M hits out of
//! their first N opportunities (or two ADS-B reports); confirmed tracks keep a log-odds score
//! that a miss lowers by `-ln(1 - Pd)` and a hit restores, so the chance of dropping a real
//! track is the same whatever the radar's Pd. Tracks no sensor can see are dropped after a few
//! periods, and any track after a hard coast limit.
//!
//! When a target is lost (a manoeuvre out of the gate, a gap in coverage) and a new track is
//! confirmed where the lost one could have got to, the new track takes over the lost one's
//! identity and number: one aircraft keeps one system track number. Conflicting Mode S
//! addresses forbid it.
//!
//! [`Tracker::advance`] moves the picture clock: at every multiple of the picture period it
//! flushes the plots up to that time, runs track maintenance and the airspace rules, and returns
//! a [`Picture`] of the confirmed tracks predicted to that instant.

use std::collections::VecDeque;

mod joint;

use joint::{Host, Joint};

use crate::airspace::{Airspace, AirspaceEvent, AirspaceWatch};
use crate::assign;
use crate::filter::{FilterParams, Imm, LinearMeasurement, Prediction};
use crate::geo::{TangentPlane, wrap_360};
use crate::grid::{Cell, Grid};
use crate::mat::{Mat, Vector};
use crate::num::{positive, within};
use crate::partner::{Contributor, ReportError, SystemTrackReport, SystemTrackSourceConfig};
use crate::sensor::{
    AdsbConfig, AdsbReport, MeasureError, Measurement, RadarConfig, RadarModel, RadarPlot,
    SensorId, adsb_measurement,
};

/// Tuning of the tracker. [`TrackerConfig::new`] gives defaults for an origin.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackerConfig {
    /// Latitude of the tracker plane's anchor (the centre of the covered area), degrees.
    pub origin_lat_deg: f64,
    /// Longitude of the tracker plane's anchor, degrees.
    pub origin_lon_deg: f64,
    /// Picture period, seconds. Pictures fall on multiples of it.
    pub picture_period_s: f64,
    /// Filter tuning.
    pub filter: FilterParams,
    /// Gate on the squared Mahalanobis distance of a plot (2 degrees of freedom; 16 keeps
    /// 99.97 % of true plots).
    pub gate_chi2: f64,
    /// Fastest target expected, m/s (bounds the search radius around a plot).
    pub max_speed_mps: f64,
    /// No plot is associated with a track further than this, metres.
    pub max_gate_m: f64,
    /// Spatial density of plots that are not from known tracks (clutter and new targets),
    /// per square kilometre, before a radar's own rate has been measured; each radar then
    /// estimates it from the plots no track takes (never below a tenth of this value). It sets
    /// the cost of leaving a plot unassigned and the evidence a new track's plots carry.
    pub extraneous_density_per_km2: f64,
    /// M of the M-of-N confirmation rule.
    pub confirm_hits: u8,
    /// ... and the log-likelihood ratio (target against clutter, summed over the tentative
    /// track's hits and misses) it must also reach: tight, consistent plots confirm at M hits,
    /// loose ones (as clutter gives) need more. 13.8 = ln(10^6).
    pub confirm_log_likelihood_ratio: f64,
    /// N of the M-of-N confirmation rule (at most 16).
    pub confirm_opportunities: u8,
    /// ADS-B reports that confirm a track on their own.
    pub adsb_confirm_reports: u8,
    /// Probability of dropping a real track during one run of misses: sets the log-odds score
    /// a confirmed track starts from and returns to on every hit.
    pub false_deletion_probability: f64,
    /// Longest a confirmed track may go without an update, seconds. Also how far behind the
    /// picture clock a measurement may be and still be used.
    pub max_coast_s: f64,
    /// How far ahead of the picture clock (the last `advance` time, or the first measurement) a
    /// measurement may be, seconds; beyond, it is refused as a corrupt time.
    pub max_time_ahead_s: f64,
    /// A track that no sensor has had a chance to see for this many of its sensors' periods is
    /// dropped (it left the coverage).
    pub unseen_periods: f64,
    /// A radar's sweep counts as a chance to see a track only if that radar has seen it within
    /// this many of its periods: coverage is learned from detections (horizon, terrain,
    /// blind sectors), not assumed from the instrumented range.
    pub coverage_periods: f64,
    /// Margin behind a radar's beam before a track counts as missed, degrees.
    pub sweep_margin_deg: f64,
    /// Tracks closer to a radar than this have no reliable azimuth for miss counting, metres.
    pub sweep_min_range_m: f64,
    /// Largest acceleration expected of a target, m/s^2: bounds how far a lost track can have
    /// gone when a new track appears near it (see `Tracker` track continuation).
    pub max_accel_mps2: f64,
    /// A track whose last code is older than this counts as having no transponder, seconds.
    pub code_memory_s: f64,
    /// Side of a spatial-hash cell, metres.
    pub grid_cell_m: f64,
    /// ISO alpha-3 code of the nation whose sensors this tracker's own are: names their
    /// contribution in a joint track ([`SystemTrack::contributors`]).
    pub nation: Option<String>,
    /// Gate on the squared Mahalanobis distance (4 degrees of freedom: position and velocity)
    /// between a partner's track and one of ours for a new correlation (18.5 keeps 99.9 % of
    /// true pairs). Twice as wide when their Mode S addresses agree.
    pub correlation_chi2: f64,
    /// A correlation, once made, holds until the distance has exceeded this for
    /// `decorrelation_ticks` pictures in a row (or at once on conflicting Mode S addresses):
    /// the hysteresis that keeps crossing aircraft from swapping partners.
    pub decorrelation_chi2: f64,
    /// See `decorrelation_chi2`.
    pub decorrelation_ticks: u8,
    /// A partner track whose correlation failed is held this long, seconds, before it may
    /// become a joint track of its own: a partner's track lagging in a manoeuvre (or lost and
    /// about to be dropped) must not show as a second aircraft. It may correlate again
    /// meanwhile.
    pub decorrelated_hold_s: f64,
    /// A partner's estimate is fused into a joint track only while it agrees with the rest
    /// (squared Mahalanobis distance of position and velocity, 4 degrees of freedom, 13.3
    /// keeps 99 %): covariance intersection is sound for any correlation, not for an estimate
    /// whose covariance understates its error (a tracker lagging in a turn). A correlated
    /// partner track outside it stays correlated (it still names the aircraft) but adds
    /// nothing to the estimate until it agrees again.
    pub fusion_chi2: f64,
}

impl TrackerConfig {
    /// Defaults around the given anchor.
    pub fn new(origin_lat_deg: f64, origin_lon_deg: f64) -> Self {
        Self {
            origin_lat_deg,
            origin_lon_deg,
            picture_period_s: 1.0,
            filter: FilterParams::default(),
            gate_chi2: 16.0,
            max_speed_mps: 700.0,
            max_gate_m: 15_000.0,
            extraneous_density_per_km2: 1e-4,
            confirm_hits: 3,
            confirm_log_likelihood_ratio: 13.8,
            confirm_opportunities: 6,
            adsb_confirm_reports: 2,
            false_deletion_probability: 1e-7,
            max_coast_s: 60.0,
            max_time_ahead_s: 600.0,
            unseen_periods: 2.5,
            coverage_periods: 8.0,
            sweep_margin_deg: 1.5,
            sweep_min_range_m: 2_000.0,
            max_accel_mps2: 30.0,
            code_memory_s: 30.0,
            grid_cell_m: 10_000.0,
            nation: None,
            correlation_chi2: 18.5,
            decorrelation_chi2: 40.0,
            decorrelation_ticks: 3,
            decorrelated_hold_s: 10.0,
            fusion_chi2: 13.3,
        }
    }
}

/// A system track identifier, unique for the life of the tracker and stable for a track's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackId(pub u32);

/// Times are seconds on the caller's scale (Unix time, or seconds of a run); beyond this
/// magnitude (year 2286 in Unix time) a time is refused as corrupt.
pub const MAX_TIME_S: f64 = 1e10;

/// An emergency squawk.
pub const EMERGENCY_CODES: [u16; 3] = [0o7500, 0o7600, 0o7700];

/// Mode 3/A codes many aircraft share (VFR and conspicuity): no association bonus for them.
const SHARED_CODES: [u16; 5] = [0o1200, 0o2000, 0o7000, 0o1000, 0o7777];

/// One confirmed track in a picture.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemTrack {
    pub id: TrackId,
    /// 16-bit system track number (for CAT062), reused only after every other number.
    pub number: u16,
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// Local east velocity, m/s.
    pub velocity_east_mps: f64,
    /// Local north velocity, m/s.
    pub velocity_north_mps: f64,
    /// Square root of the largest eigenvalue of the position covariance, metres.
    pub position_sigma_m: f64,
    /// Estimated turn rate, degrees per second, positive to the right (clockwise).
    pub turn_rate_deg_s: f64,
    /// Probability of the coordinated-turn mode.
    pub turn_probability: f64,
    pub altitude_m: Option<f64>,
    pub mode3a: Option<u16>,
    pub mode_s: Option<u32>,
    pub callsign: Option<String>,
    /// Time of the last update, seconds.
    pub last_update_s: f64,
    /// Sensors that updated the track in the last few periods.
    pub sensors: Vec<SensorId>,
    /// ISO alpha-3 code of the nation below, if borders are loaded.
    pub nation: Option<String>,
    /// Neither Mode S nor Mode 3/A seen recently.
    pub no_transponder: bool,
    /// Squawking 7500, 7600 or 7700.
    pub emergency: Option<u16>,
    /// Covariance of (east, north, east velocity, north velocity) in the local frame at the
    /// track: m², m²/s, m²/s².
    pub covariance: [[f64; 4]; 4],
    /// The nations and sensors whose data the track holds: this tracker's own sensors that
    /// updated it lately (under [`TrackerConfig::nation`]) and the contributors partners name.
    /// Sorted, without repeats.
    pub contributors: Vec<Contributor>,
    /// The partner tracks correlated with this one: (source, the source's track number),
    /// sorted. A number the source has given to another aircraft while its old track still
    /// lingers (until stale) may show in two joint tracks.
    pub partner_tracks: Vec<(SensorId, u32)>,
    /// The estimate from this tracker's own sensors alone, when they hold the track (`None`
    /// for a track only partners see): what [`SystemTrack::report`] sends to partners.
    pub own: Option<OwnEstimate>,
}

/// A track's estimate from one tracker's own sensors, in the local frame at the track.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnEstimate {
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub velocity_east_mps: f64,
    pub velocity_north_mps: f64,
    /// Turn rate, degrees per second, positive to the right.
    pub turn_rate_deg_s: f64,
    /// Covariance of (east, north, east velocity, north velocity), as [`SystemTrack::covariance`].
    pub covariance: [[f64; 4]; 4],
    /// The own sensors that updated the track lately.
    pub contributors: Vec<Contributor>,
    /// Time of the latest own measurement, seconds.
    pub updated_s: f64,
    /// Our sensors missed their latest chances to update it.
    pub coasting: bool,
}

impl SystemTrack {
    /// The report to send partners about this track at `time_s` (the picture time): our own
    /// sensors' estimate, never what partners told us (they would get their own data back and,
    /// once the aircraft left their coverage, keep alive on our echo what nobody sees). `None`
    /// when none of our sensors holds the track. The track number is the track's id, which is
    /// unique for the tracker's life.
    pub fn report(&self, time_s: f64) -> Option<SystemTrackReport> {
        let own = self.own.as_ref()?;
        Some(SystemTrackReport {
            track_number: self.id.0,
            time_s,
            lat_deg: own.lat_deg,
            lon_deg: own.lon_deg,
            velocity_mps: Some([own.velocity_east_mps, own.velocity_north_mps]),
            accuracy: crate::partner::ReportAccuracy::Covariance(own.covariance),
            turn_rate_deg_s: Some(own.turn_rate_deg_s),
            altitude_m: self.altitude_m,
            mode3a: self.mode3a,
            mode_s: self.mode_s,
            callsign: self.callsign.clone(),
            contributors: own.contributors.clone(),
            updated_s: Some(own.updated_s),
            coasting: own.coasting,
        })
    }

    /// The nations that contribute, sorted, without repeats.
    pub fn nations(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .contributors
            .iter()
            .filter_map(|c| c.nation.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// The confirmed tracks at one instant, sorted by id.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    pub time_s: f64,
    pub tracks: Vec<SystemTrack>,
}

/// Why a track was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletionReason {
    /// Missed by the sensors that should have seen it.
    Missed,
    /// No sensor could see it any more (left the coverage).
    Unseen,
    /// Coasted longer than the hard limit.
    Coasted,
}

/// Something the node should know about, raised at a picture tick or on confirmation.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When the tracker raised it, seconds.
    pub time_s: f64,
    pub track: TrackId,
    pub track_number: u16,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    Confirmed,
    Deleted {
        reason: DeletionReason,
    },
    /// The track crossed from one nation into another (ISO alpha-3 codes).
    BorderCrossing {
        from: String,
        to: String,
        /// Estimated time of the crossing, seconds.
        crossing_time_s: f64,
        lat_deg: f64,
        lon_deg: f64,
    },
    /// Neither Mode S nor Mode 3/A: raised on confirmation or when codes stop.
    NoTransponder,
    /// Codes seen again on a track flagged `NoTransponder`.
    TransponderSeen,
    /// Squawk 7500 (unlawful interference), 7600 (radio failure) or 7700 (emergency).
    Emergency {
        code: u16,
    },
    EmergencyCleared,
    /// The track entered a restricted zone. `crossing_time_s` is `None` when the track was
    /// already inside when it was confirmed (or when the zone was set).
    ZoneEntry {
        zone_id: String,
        zone_name: String,
        crossing_time_s: Option<f64>,
        lat_deg: f64,
        lon_deg: f64,
    },
    ZoneExit {
        zone_id: String,
        zone_name: String,
        crossing_time_s: f64,
        lat_deg: f64,
        lon_deg: f64,
    },
}

/// Why a sensor could not be added or a plot was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrackerError {
    #[error("sensor {0}: {1}")]
    BadSensor(String, String),
    #[error("unknown sensor id {0}")]
    UnknownSensor(u16),
    #[error("sensor {sensor} is not a {expected}")]
    WrongKind {
        sensor: String,
        expected: &'static str,
    },
    #[error("sensor {sensor}: {source}")]
    Measurement {
        sensor: String,
        #[source]
        source: MeasureError,
    },
    #[error("too many sensors (at most 65535)")]
    TooManySensors,
    #[error("sensor {sensor}: time {time_s} s is outside +-1e10 s")]
    TimeOutOfRange { sensor: String, time_s: f64 },
    #[error("sensor {sensor}: time {time_s} s is too far ahead of the picture clock ({clock_s} s)")]
    TimeAhead {
        sensor: String,
        time_s: f64,
        clock_s: f64,
    },
    #[error("sensor {sensor}: time {time_s} s is too far behind the picture clock ({clock_s} s)")]
    TimeBehind {
        sensor: String,
        time_s: f64,
        clock_s: f64,
    },
    #[error("source {sensor}: track {track_number}: {source}")]
    BadReport {
        sensor: String,
        track_number: u32,
        #[source]
        source: ReportError,
    },
}

/// Counters for monitoring (the node exports them as metrics).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackerStats {
    pub plots: u64,
    pub plots_rejected: u64,
    pub adsb_reports: u64,
    pub batches: u64,
    pub associated: u64,
    pub out_of_sequence: u64,
    pub tracks_started: u64,
    pub tracks_confirmed: u64,
    pub tracks_deleted: u64,
    /// New tracks that took over a lost track's identity.
    pub tracks_continued: u64,
    pub filter_failures: u64,
    /// Partners' system track reports taken.
    pub partner_reports: u64,
    /// ... refused as bad input.
    pub partner_reports_rejected: u64,
    /// ... older than the state already held for their track (kept nothing).
    pub partner_reports_superseded: u64,
    /// A source's track number came back for another aircraft.
    pub partner_numbers_reused: u64,
    /// Partner tracks ended: by the source, stale, or reused.
    pub partner_tracks_ended: u64,
    /// Partner tracks correlated with one of our joint tracks, and correlations undone.
    pub correlations: u64,
    pub decorrelations: u64,
    /// Joint tracks started from partners' tracks alone.
    pub remote_tracks_started: u64,
}

#[derive(Debug, Clone)]
enum SensorKind {
    Radar(Box<RadarModel>),
    Adsb(AdsbConfig),
    /// A partner's (or another system's) system tracks: never plots, see `joint.rs`.
    SystemTracks(Box<SystemTrackSourceConfig>),
}

#[derive(Debug, Clone)]
struct SensorSlot {
    kind: SensorKind,
    name: String,
    open: Vec<Measurement>,
    open_key: i64,
    /// Unwrapped azimuth and time of the latest plot (radars).
    last_azimuth: Option<(f64, f64, f64)>,
    /// Unwrapped azimuth up to which misses have been counted.
    evaluated_to: Option<f64>,
    /// Radars: the tracks this radar has seen lately, by azimuth bucket (the sweep index).
    az_index: Vec<Vec<u32>>,
    /// Plots no track took, and degrees of azimuth swept, both decaying over about ten
    /// rotations: the radar's extraneous plot density.
    unassigned_plots: f64,
    swept_deg: f64,
    observed_max_range_m: f64,
}

impl SensorSlot {
    /// Update period of a sensor of plots (`None` for a source of system tracks).
    fn period_s(&self) -> Option<f64> {
        match &self.kind {
            SensorKind::Radar(r) => Some(r.config.period_s),
            SensorKind::Adsb(a) => Some(a.max_coast_s / 3.0),
            SensorKind::SystemTracks(_) => None,
        }
    }
    /// Density of plots that no track explains, per square metre.
    fn extraneous_density_per_m2(&self, configured_per_km2: f64) -> f64 {
        let configured = configured_per_km2.max(1e-9) * 1e-6;
        let SensorKind::Radar(radar) = &self.kind else {
            return configured;
        };
        let range = radar
            .config
            .max_range_m
            .unwrap_or(self.observed_max_range_m);
        // Until two rotations have been seen, the configured value stands.
        if self.swept_deg < 720.0 || !positive(range) {
            return configured;
        }
        let area = self.swept_deg / 360.0 * std::f64::consts::PI * range * range;
        (self.unassigned_plots / area).max(0.1 * configured)
    }

    fn pd(&self) -> f64 {
        match &self.kind {
            SensorKind::Radar(r) => r.config.pd.clamp(0.05, 0.995),
            SensorKind::Adsb(_) | SensorKind::SystemTracks(_) => 0.95,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Status {
    /// Opportunity history (bit 0 = latest, 1 = hit), its length, ADS-B reports, and the
    /// sequential log-likelihood ratio (target versus clutter) of the plots so far.
    Tentative {
        history: u16,
        len: u8,
        adsb_hits: u8,
        llr: f64,
    },
    Confirmed,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Hit {
    sensor: SensorId,
    time_s: f64,
    bucket: Option<u16>,
}

/// Azimuth buckets of a radar's sweep index (one degree each).
const AZ_BUCKETS: usize = 360;

fn az_bucket(az_deg: f64) -> u16 {
    (wrap_360(az_deg).floor() as usize).min(AZ_BUCKETS - 1) as u16
}

#[derive(Debug, Clone)]
struct Track {
    id: TrackId,
    number: u16,
    filter: Imm,
    status: Status,
    /// Log-odds score of a confirmed track.
    score: f64,
    /// Time of the first measurement.
    born_s: f64,
    last_update_s: f64,
    last_opportunity_s: f64,
    /// Per sensor that has seen the track: time of its last hit, and for a radar the azimuth
    /// bucket the track is filed under in that radar's sweep index.
    hits_by: Vec<Hit>,
    info: Info,
    /// When the track was confirmed (its identity's, if it took over another's), seconds.
    confirmed_s: f64,
    /// Partner tracks fused into this one (slots of `Joint::partners`).
    partners: Vec<u32>,
    cell: Cell,
    /// Position and velocity at `filed_s`, for cheap extrapolation.
    filed_xy: [f64; 2],
    filed_v: [f64; 2],
    filed_s: f64,
    /// Traces of the position and velocity covariance, and the turn-rate variance, at
    /// `filed_s`: a cheap bound on how far the gate can reach, checked before any filter math.
    filed_pos_var: f64,
    filed_vel_var: f64,
    filed_turn_var: f64,
}

/// What a track says of its aircraft besides kinematics: codes, altitude, flags and the
/// airspace rules' state. Tracks of our own sensors and joint tracks only partners feed keep
/// the same.
#[derive(Debug, Clone, Default)]
struct Info {
    mode3a: Option<u16>,
    mode_s: Option<u32>,
    callsign: Option<String>,
    altitude_m: Option<f64>,
    code_seen_s: Option<f64>,
    no_transponder: bool,
    emergency: Option<u16>,
    airspace: AirspaceWatch,
}

impl Info {
    /// Takes codes, altitude and callsign seen at `time_s` (absent ones keep their value).
    fn observe(
        &mut self,
        time_s: f64,
        mode3a: Option<u16>,
        mode_s: Option<u32>,
        altitude_m: Option<f64>,
        callsign: Option<&String>,
    ) {
        if mode3a.is_some() {
            self.mode3a = mode3a;
        }
        if mode_s.is_some() {
            self.mode_s = mode_s;
        }
        if mode3a.is_some() || mode_s.is_some() {
            self.code_seen_s = Some(self.code_seen_s.map_or(time_s, |t| t.max(time_s)));
        }
        if altitude_m.is_some() {
            self.altitude_m = altitude_m;
        }
        if let Some(c) = callsign {
            self.callsign = Some(c.clone());
        }
    }

    /// Codes and flags of another track of the same aircraft fill what this one lacks.
    fn absorb(&mut self, other: Info) {
        self.mode3a = self.mode3a.or(other.mode3a);
        self.mode_s = self.mode_s.or(other.mode_s);
        self.callsign = self.callsign.take().or(other.callsign);
        self.altitude_m = self.altitude_m.or(other.altitude_m);
        self.code_seen_s = match (self.code_seen_s, other.code_seen_s) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    /// The identity-bound state (flags and airspace) of `other`, which this track continues.
    fn take_identity_state(&mut self, other: &Info) {
        self.airspace = other.airspace.clone();
        self.no_transponder = other.no_transponder;
        self.emergency = other.emergency;
    }
}

impl Track {
    fn confirmed(&self) -> bool {
        self.status == Status::Confirmed
    }
    fn extrapolate(&self, t: f64) -> [f64; 2] {
        let dt = t - self.filed_s;
        [
            self.filed_xy[0] + self.filed_v[0] * dt,
            self.filed_xy[1] + self.filed_v[1] * dt,
        ]
    }
    fn hit_from(&self, sensor: SensorId) -> Option<f64> {
        self.hits_by
            .iter()
            .find(|h| h.sensor == sensor)
            .map(|h| h.time_s)
    }
}

/// The tracker (see module doc).
#[derive(Debug)]
pub struct Tracker {
    config: TrackerConfig,
    plane: TangentPlane,
    sensors: Vec<SensorSlot>,
    tracks: Vec<Option<Track>>,
    free_slots: Vec<u32>,
    grid: Grid,
    next_id: u32,
    numbers: NumberPool,
    events: Vec<Event>,
    next_picture: Option<i64>,
    /// The caller's last watermark (`advance` time).
    watermark_s: Option<f64>,
    /// Time of the first measurement, the reference until the first watermark.
    reference_s: Option<f64>,
    last_refile_s: f64,
    airspace: Option<Airspace>,
    stats: TrackerStats,
    score_max: f64,
    /// Partners' tracks and the joint tracks only they feed.
    joint: Joint,
    // Scratch buffers reused across batches.
    scratch_candidates: Vec<u32>,
    scratch_sweep: Vec<u32>,
}

/// Gives out 16-bit track numbers, oldest-freed first, so a number is reused as late as
/// possible.
#[derive(Debug, Default)]
struct NumberPool {
    next_fresh: u32,
    freed: VecDeque<u16>,
}

impl NumberPool {
    fn take(&mut self) -> u16 {
        if self.next_fresh < u32::from(u16::MAX) {
            self.next_fresh += 1;
            return self.next_fresh as u16;
        }
        // All 65,535 numbers have been used once: recycle the one freed longest ago. More than
        // 65,535 simultaneous tracks would share numbers; the ids stay unique regardless.
        self.freed.pop_front().unwrap_or(0)
    }
    fn give_back(&mut self, n: u16) {
        if n != 0 {
            self.freed.push_back(n);
        }
    }
}

impl Tracker {
    pub fn new(config: TrackerConfig) -> Self {
        let plane = TangentPlane::new(config.origin_lat_deg, config.origin_lon_deg);
        let score_max = -config.false_deletion_probability.clamp(1e-12, 0.5).ln();
        Self {
            grid: Grid::new(config.grid_cell_m),
            plane,
            sensors: Vec::new(),
            tracks: Vec::new(),
            free_slots: Vec::new(),
            next_id: 1,
            numbers: NumberPool::default(),
            events: Vec::new(),
            next_picture: None,
            watermark_s: None,
            reference_s: None,
            last_refile_s: f64::NEG_INFINITY,
            airspace: None,
            stats: TrackerStats::default(),
            score_max,
            joint: Joint::new(config.grid_cell_m),
            scratch_candidates: Vec::new(),
            scratch_sweep: Vec::new(),
            config,
        }
    }

    pub fn config(&self) -> &TrackerConfig {
        &self.config
    }

    pub fn stats(&self) -> &TrackerStats {
        &self.stats
    }

    /// The tracker plane.
    pub fn plane(&self) -> &TangentPlane {
        &self.plane
    }

    /// Sets the borders and zones the airspace rules check (replacing earlier ones). Tracks
    /// re-evaluate from their next tick; being inside a new zone raises a `ZoneEntry` without a
    /// crossing time.
    pub fn set_airspace(&mut self, airspace: Airspace) {
        self.airspace = Some(airspace);
        for track in self.tracks.iter_mut().flatten() {
            track.info.airspace = AirspaceWatch::default();
        }
        for remote in self.joint.remote.iter_mut().flatten() {
            remote.info.airspace = AirspaceWatch::default();
        }
    }

    pub fn airspace(&self) -> Option<&Airspace> {
        self.airspace.as_ref()
    }

    fn add_sensor(&mut self, kind: SensorKind, name: String) -> Result<SensorId, TrackerError> {
        let id = u16::try_from(self.sensors.len()).map_err(|_| TrackerError::TooManySensors)?;
        self.sensors.push(SensorSlot {
            kind,
            name,
            open: Vec::new(),
            open_key: 0,
            last_azimuth: None,
            evaluated_to: None,
            az_index: Vec::new(),
            unassigned_plots: 0.0,
            swept_deg: 0.0,
            observed_max_range_m: 0.0,
        });
        Ok(SensorId(id))
    }

    /// Registers a radar.
    pub fn add_radar(&mut self, config: RadarConfig) -> Result<SensorId, TrackerError> {
        let bad = |m: &str| Err(TrackerError::BadSensor(config.name.clone(), m.to_string()));
        if !within(config.lat_deg, -90.0, 90.0) || !config.lon_deg.is_finite() {
            return bad("position is not a valid latitude/longitude");
        }
        if !positive(config.range_sigma_m) || !positive(config.azimuth_sigma_deg) {
            return bad("noise standard deviations must be positive");
        }
        if !(config.pd > 0.0 && config.pd <= 1.0) {
            return bad("pd must be in (0, 1]");
        }
        if !positive(config.period_s) {
            return bad("period must be positive");
        }
        if config.sectors == 0 {
            return bad("sectors must be at least 1");
        }
        if !config.range_bias_m.is_finite()
            || !config.azimuth_bias_deg.is_finite()
            || !config.height_m.is_finite()
        {
            return bad("bias and height must be finite");
        }
        let name = config.name.clone();
        let model = RadarModel::new(config, &self.plane);
        let id = self.add_sensor(SensorKind::Radar(Box::new(model)), name)?;
        if let Some(slot) = self.sensors.get_mut(usize::from(id.0)) {
            slot.az_index = vec![Vec::new(); AZ_BUCKETS];
        }
        Ok(id)
    }

    /// Registers an ADS-B source.
    pub fn add_adsb_source(&mut self, config: AdsbConfig) -> Result<SensorId, TrackerError> {
        if !positive(config.position_sigma_m) || !positive(config.velocity_sigma_mps) {
            return Err(TrackerError::BadSensor(
                config.name.clone(),
                "noise standard deviations must be positive".into(),
            ));
        }
        if !positive(config.batch_window_s) || !positive(config.max_coast_s) {
            return Err(TrackerError::BadSensor(
                config.name.clone(),
                "window and coast must be positive".into(),
            ));
        }
        let name = config.name.clone();
        self.add_sensor(SensorKind::Adsb(config), name)
    }

    fn slot_mut(&mut self, sensor: SensorId) -> Result<&mut SensorSlot, TrackerError> {
        self.sensors
            .get_mut(usize::from(sensor.0))
            .ok_or(TrackerError::UnknownSensor(sensor.0))
    }

    /// Refuses a measurement time far from the picture clock: further ahead of the last
    /// watermark (or of the first measurement) than `max_time_ahead_s`, or more than
    /// `max_coast_s` behind the watermark. A corrupt time must not create a track that lives in
    /// another epoch, nor make `advance` walk through years of empty pictures.
    fn check_time(&self, sensor: SensorId, t: f64) -> Result<(), TrackerError> {
        let name = || {
            self.sensors
                .get(usize::from(sensor.0))
                .map_or_else(|| sensor.0.to_string(), |s| s.name.clone())
        };
        if t.is_nan() || t.abs() > MAX_TIME_S {
            return Err(TrackerError::TimeOutOfRange {
                sensor: name(),
                time_s: t,
            });
        }
        if let Some(r) = self.watermark_s.or(self.reference_s)
            && t > r + self.config.max_time_ahead_s
        {
            return Err(TrackerError::TimeAhead {
                sensor: name(),
                time_s: t,
                clock_s: r,
            });
        }
        if let Some(w) = self.watermark_s
            && t < w - self.config.max_coast_s
        {
            return Err(TrackerError::TimeBehind {
                sensor: name(),
                time_s: t,
                clock_s: w,
            });
        }
        Ok(())
    }

    fn start_clock(&mut self, t: f64) {
        if self.reference_s.is_none() {
            self.reference_s = Some(t);
        }
        if self.next_picture.is_none() {
            let k = (t / self.config.picture_period_s).ceil();
            self.next_picture = Some(k.clamp(i64::MIN as f64, i64::MAX as f64) as i64);
        }
    }

    /// Feeds one radar plot. Plots of one radar should come in the order the radar sends them
    /// (azimuth order); plots of different radars may interleave freely.
    pub fn push_plot(&mut self, sensor: SensorId, plot: &RadarPlot) -> Result<(), TrackerError> {
        let plane = self.plane;
        let slot = self.slot_mut(sensor)?;
        let SensorKind::Radar(radar) = &slot.kind else {
            return Err(TrackerError::WrongKind {
                sensor: slot.name.clone(),
                expected: "radar",
            });
        };
        let m = match radar.to_measurement(sensor, &plane, plot) {
            Ok(m) => m,
            Err(source) => {
                let name = slot.name.clone();
                self.stats.plots_rejected += 1;
                return Err(TrackerError::Measurement {
                    sensor: name,
                    source,
                });
            }
        };
        let period = radar.config.period_s;
        let sector_deg = 360.0 / f64::from(radar.config.sectors);
        if let Err(e) = self.check_time(sensor, plot.time_s) {
            self.stats.plots_rejected += 1;
            return Err(e);
        }
        let Some(slot) = self.sensors.get_mut(usize::from(sensor.0)) else {
            return Err(TrackerError::UnknownSensor(sensor.0));
        };
        let az = wrap_360(plot.azimuth_deg);
        let unwrapped = match slot.last_azimuth {
            None => az,
            Some((last_unwrapped, last_az, last_t)) => {
                let seen = wrap_360(az - last_az);
                let expected = 360.0 * (plot.time_s - last_t) / period;
                let turns = ((expected - seen) / 360.0).round();
                let advance = seen + 360.0 * turns;
                // Plots slightly out of azimuth order do not move the beam back.
                last_unwrapped + advance.max(0.0)
            }
        };
        if let Some((_, _, last_t)) = slot.last_azimuth
            && plot.time_s < last_t
        {
            // Keep the latest beam time; an older plot still gets processed.
        } else {
            slot.last_azimuth = Some((unwrapped, az, plot.time_s));
        }
        if let Some((_, range)) = m.polar {
            slot.observed_max_range_m = slot.observed_max_range_m.max(range);
        }
        let key = (unwrapped / sector_deg).floor() as i64;
        self.stats.plots += 1;
        self.start_clock(plot.time_s);
        let slot = &mut self.sensors[usize::from(sensor.0)];
        if !slot.open.is_empty() && slot.open_key != key {
            let batch = std::mem::take(&mut slot.open);
            slot.open_key = key;
            slot.open.push(m);
            self.process_batch(sensor, batch);
            self.evaluate_sweep(
                sensor,
                unwrapped - self.config.sweep_margin_deg,
                plot.time_s,
            );
        } else {
            slot.open_key = key;
            slot.open.push(m);
        }
        Ok(())
    }

    /// Feeds one ADS-B report.
    pub fn push_adsb(&mut self, sensor: SensorId, report: &AdsbReport) -> Result<(), TrackerError> {
        let plane = self.plane;
        let slot = self.slot_mut(sensor)?;
        let SensorKind::Adsb(config) = &slot.kind else {
            return Err(TrackerError::WrongKind {
                sensor: slot.name.clone(),
                expected: "ADS-B source",
            });
        };
        let m = match adsb_measurement(sensor, config, &plane, report) {
            Ok(m) => m,
            Err(source) => {
                let name = slot.name.clone();
                self.stats.plots_rejected += 1;
                return Err(TrackerError::Measurement {
                    sensor: name,
                    source,
                });
            }
        };
        let key = (report.time_s / config.batch_window_s).floor() as i64;
        if let Err(e) = self.check_time(sensor, report.time_s) {
            self.stats.plots_rejected += 1;
            return Err(e);
        }
        self.stats.adsb_reports += 1;
        self.start_clock(report.time_s);
        let slot = &mut self.sensors[usize::from(sensor.0)];
        // One aircraft reports at most once per batch: a repeat closes the batch.
        let repeat = slot.open.iter().any(|o| o.mode_s == m.mode_s);
        if !slot.open.is_empty() && (slot.open_key != key || repeat) {
            let batch = std::mem::take(&mut slot.open);
            slot.open_key = key;
            slot.open.push(m);
            self.process_batch(sensor, batch);
        } else {
            slot.open_key = key;
            slot.open.push(m);
        }
        Ok(())
    }

    /// A radar's beam passed `azimuth_deg` at `time_s` (a CAT034 sector crossing or north
    /// marker): closes the radar's open batch and counts misses up to that azimuth.
    pub fn sector_crossing(
        &mut self,
        sensor: SensorId,
        azimuth_deg: f64,
        time_s: f64,
    ) -> Result<(), TrackerError> {
        let slot = self.slot_mut(sensor)?;
        if !matches!(slot.kind, SensorKind::Radar(_)) {
            return Err(TrackerError::WrongKind {
                sensor: slot.name.clone(),
                expected: "radar",
            });
        }
        if !azimuth_deg.is_finite() || !time_s.is_finite() {
            return Ok(());
        }
        self.check_time(sensor, time_s)?;
        let Some(slot) = self.sensors.get_mut(usize::from(sensor.0)) else {
            return Err(TrackerError::UnknownSensor(sensor.0));
        };
        let SensorKind::Radar(radar) = &slot.kind else {
            return Ok(());
        };
        let period = radar.config.period_s;
        let az = wrap_360(azimuth_deg);
        let unwrapped = match slot.last_azimuth {
            None => az,
            Some((last_unwrapped, last_az, last_t)) => {
                let seen = wrap_360(az - last_az);
                let expected = 360.0 * (time_s - last_t) / period;
                let turns = ((expected - seen) / 360.0).round();
                last_unwrapped + (seen + 360.0 * turns).max(0.0)
            }
        };
        if slot.last_azimuth.is_none_or(|(_, _, t)| time_s >= t) {
            slot.last_azimuth = Some((unwrapped, az, time_s));
        }
        let batch = std::mem::take(&mut slot.open);
        if !batch.is_empty() {
            self.process_batch(sensor, batch);
        }
        self.evaluate_sweep(sensor, unwrapped - self.config.sweep_margin_deg, time_s);
        Ok(())
    }

    /// Moves the picture clock to `time_s`: at every multiple of the picture period up to it,
    /// the plots with a time up to that tick are processed (closing partial sectors), tracks are
    /// maintained and a picture is produced (while there is no track at all, the empty
    /// pictures up to the next pending plot are skipped). Between ticks, plots are processed as their sectors
    /// close. Call it with a watermark (no plot older than it is still on its way), at least
    /// once per picture period.
    pub fn advance(&mut self, time_s: f64) -> Vec<Picture> {
        let mut pictures = Vec::new();
        if !time_s.is_finite() {
            return pictures;
        }
        if self.watermark_s.is_some_and(|w| time_s < w) {
            return pictures;
        }
        self.watermark_s = Some(time_s);
        self.start_clock(time_s);
        let period = self.config.picture_period_s;
        // After a long stall, the pictures older than a coast limit would only show tracks that
        // are about to be dropped: produce the recent ones and bring the tracks there in one step.
        let last = (time_s / period).floor();
        let window = (self.config.max_coast_s / period).ceil() + 2.0;
        if let Some(k) = self.next_picture
            && last.is_finite()
            && last - k as f64 > window
        {
            let jump = (last - window).min(i64::MAX as f64) as i64;
            let tick = jump as f64 * period;
            self.flush_until(tick);
            let _stale = self.maintain(tick);
            self.next_picture = Some(jump.saturating_add(1));
        }
        while let Some(k) = self.next_picture {
            let tick = k as f64 * period;
            if tick > time_s {
                break;
            }
            self.flush_until(tick);
            pictures.push(self.maintain(tick));
            let mut next = k.saturating_add(1);
            if self.tracks.iter().all(Option::is_none) && self.joint.is_empty() {
                // No track: every picture until the next pending plot (or the last tick) is
                // empty. Skip to there, so a long silence, or a corrupt far-away time, costs one
                // picture, not one per period.
                let pending = self
                    .sensors
                    .iter()
                    .flat_map(|s| s.open.iter().map(|m| m.time_s))
                    .fold(f64::INFINITY, f64::min);
                let until = time_s.min(pending);
                let target = (until / period).floor();
                if target.is_finite() && target > next as f64 {
                    next = target.min(i64::MAX as f64) as i64;
                }
            }
            self.next_picture = Some(next);
        }
        pictures
    }

    /// No track, tentative or confirmed, and no plot waiting in an open batch.
    pub fn is_idle(&self) -> bool {
        self.tracks.iter().all(Option::is_none)
            && self.joint.is_empty()
            && self.sensors.iter().all(|s| s.open.is_empty())
    }

    /// Events raised since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Number of live tracks (tentative and confirmed).
    pub fn n_tracks(&self) -> usize {
        self.tracks.iter().flatten().count()
    }

    /// The confirmed joint tracks predicted to `time_s` (without advancing anything).
    pub fn picture(&self, time_s: f64) -> Picture {
        let mut tracks: Vec<SystemTrack> = self
            .tracks
            .iter()
            .enumerate()
            .filter_map(|(slot, t)| Some((slot, t.as_ref()?)))
            .filter(|(_, t)| t.confirmed())
            .filter_map(|(slot, t)| {
                let estimate = self.joint_estimate(Host::Local(slot as u32), None, time_s)?;
                self.joint_system_track(t.id, t.number, &t.info, estimate)
            })
            .collect();
        for (r, estimate) in self.remote_estimates(time_s) {
            if let Some((id, number, info)) = self.remote_track(r)
                && let Some(t) = self.joint_system_track(id, number, info, estimate)
            {
                tracks.push(t);
            }
        }
        tracks.sort_by_key(|t| t.id);
        Picture { time_s, tracks }
    }

    /// Processes, for every sensor, the open plots with a time up to `t`.
    fn flush_until(&mut self, t: f64) {
        let mut batches: Vec<(f64, SensorId, Vec<Measurement>)> = Vec::new();
        for (i, slot) in self.sensors.iter_mut().enumerate() {
            if slot.open.iter().all(|m| m.time_s > t) {
                continue;
            }
            let (due, keep): (Vec<Measurement>, Vec<Measurement>) = std::mem::take(&mut slot.open)
                .into_iter()
                .partition(|m| m.time_s <= t);
            slot.open = keep;
            let first = due.iter().map(|m| m.time_s).fold(f64::INFINITY, f64::min);
            batches.push((first, SensorId(i as u16), due));
        }
        // Oldest first keeps out-of-sequence updates to a minimum.
        batches.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (_, sensor, batch) in batches {
            self.process_batch(sensor, batch);
        }
        // Radars whose beam has moved on since their last plot (empty sectors): count misses up
        // to where the beam must be, for at most one and a half rotations of silence.
        for i in 0..self.sensors.len() {
            let slot = &self.sensors[i];
            let (SensorKind::Radar(radar), Some((unwrapped, _, last_t))) =
                (&slot.kind, slot.last_azimuth)
            else {
                continue;
            };
            let period = radar.config.period_s;
            let silent = t - last_t;
            if silent <= 0.0 || silent > 1.5 * period {
                continue;
            }
            // Plots still open (after t) lie ahead of the beam at t; stop before them.
            let mut beam = unwrapped + 360.0 * silent / period;
            if let Some(first_open) = slot.open.first().and_then(|m| m.polar) {
                let ahead = wrap_360(first_open.0 - wrap_360(unwrapped));
                beam = beam.min(unwrapped + ahead);
            }
            self.evaluate_sweep(SensorId(i as u16), beam - self.config.sweep_margin_deg, t);
        }
    }

    /// The widest distance a plot at `t` can be from the filed position of a track it belongs to.
    fn search_radius(&self, t: f64) -> f64 {
        let age = (t - self.last_refile_s).abs().min(self.config.max_coast_s);
        let age = if age.is_finite() {
            age
        } else {
            self.config.max_coast_s
        };
        self.config.max_gate_m + self.config.max_speed_mps * (age + 1.0)
    }

    fn process_batch(&mut self, sensor: SensorId, mut batch: Vec<Measurement>) {
        if batch.is_empty() {
            return;
        }
        self.stats.batches += 1;
        batch.sort_by(|a, b| a.time_s.total_cmp(&b.time_s));
        let (pd, lambda) = self.sensors.get(usize::from(sensor.0)).map_or(
            (0.9, self.config.extraneous_density_per_km2 * 1e-6),
            |s| {
                (
                    s.pd(),
                    s.extraneous_density_per_m2(self.config.extraneous_density_per_km2),
                )
            },
        );
        let log_lambda = lambda.ln();
        let miss_cost = -(1.0 - pd).max(1e-6).ln();
        let pair_base = -pd.ln() + log_lambda;

        // 1. Gate every plot against the tracks filed near it.
        let mut edges: Vec<(u32, u32, f64, f64)> = Vec::new();
        let mut candidates = std::mem::take(&mut self.scratch_candidates);
        let max_accel = self.config.max_accel_mps2;
        let seed_turn_var = self.config.filter.initial_turn_sigma_rad_s.powi(2);
        for (j, m) in batch.iter().enumerate() {
            let r_trace = m.r.trace();
            candidates.clear();
            let radius = self.search_radius(m.time_s);
            self.grid.for_each_near(m.z, radius, |s| candidates.push(s));
            for &slot in &candidates {
                let Some(Some(track)) = self.tracks.get(slot as usize) else {
                    continue;
                };
                // Cheap bound first: the gate cannot reach further than chi2 x (an upper bound
                // of the innovation variance) around the straight-line extrapolation, plus what
                // the largest acceleration could add. Most neighbours stop here.
                let guess = track.extrapolate(m.time_s);
                // Plain sqrt: libm's hypot guards against overflow we cannot have, at 5x the cost.
                let gap = ((guess[0] - m.z[0]).powi(2) + (guess[1] - m.z[1]).powi(2)).sqrt();
                // The filed state is at most a tick old, but a manoeuvre builds up from the last
                // measurement: the turn and acceleration terms run from there.
                let dt = (m.time_s - track.filed_s).abs();
                let dt2 = dt * dt;
                let since = (m.time_s - track.last_update_s).abs().max(dt);
                let since2 = since * since;
                let speed2 =
                    track.filed_v[0] * track.filed_v[0] + track.filed_v[1] * track.filed_v[1];
                let q = self
                    .config
                    .filter
                    .ct_accel_psd
                    .max(self.config.filter.cv_accel_psd);
                let turn_var = track.filed_turn_var.max(seed_turn_var);
                let spread = track.filed_pos_var
                    + track.filed_vel_var * dt2
                    + speed2 * turn_var * since2 * since2 / 4.0
                    + 2.0 * q * since2 * since / 3.0
                    + r_trace;
                let reach = (self.config.gate_chi2 * spread).sqrt() + 0.5 * max_accel * since2;
                if gap > reach.min(self.config.max_gate_m) {
                    continue;
                }
                let pred = track.filter.predict_modes(&self.config.filter, m.time_s);
                let Some(g) = pred.gate(m.z, &m.r) else {
                    continue;
                };
                if g.distance2 > self.config.gate_chi2 {
                    continue;
                }
                let cost = pair_base - g.log_likelihood + aid_cost(track, m);
                edges.push((slot, j as u32, cost, g.log_likelihood));
            }
        }
        self.scratch_candidates = candidates;

        // 2. Clusters: connected components of the gating graph.
        let mut track_slots: Vec<u32> = edges.iter().map(|e| e.0).collect();
        track_slots.sort_unstable();
        track_slots.dedup();
        let n_t = track_slots.len();
        let n_m = batch.len();
        let mut uf = UnionFind::new(n_t + n_m);
        for &(slot, j, _, _) in &edges {
            if let Ok(ti) = track_slots.binary_search(&slot) {
                uf.union(ti, n_t + j as usize);
            }
        }
        let mut clusters: std::collections::HashMap<usize, (Vec<usize>, Vec<usize>)> =
            std::collections::HashMap::new();
        for ti in 0..n_t {
            clusters.entry(uf.find(ti)).or_default().0.push(ti);
        }
        for j in 0..n_m {
            clusters.entry(uf.find(n_t + j)).or_default().1.push(j);
        }
        let mut edge_cost: std::collections::HashMap<(usize, usize), (f64, f64)> =
            std::collections::HashMap::new();
        for &(slot, j, c, ll) in &edges {
            if let Ok(ti) = track_slots.binary_search(&slot) {
                edge_cost.insert((ti, j as usize), (c, ll));
            }
        }

        // 3. Optimal assignment per cluster.
        let mut assigned_to: Vec<Option<(u32, f64)>> = vec![None; n_m];
        let mut cluster_list: Vec<(Vec<usize>, Vec<usize>)> = clusters.into_values().collect();
        cluster_list.sort_by_key(|c| c.1.first().copied().unwrap_or(usize::MAX));
        for (ts, ms) in cluster_list {
            if ts.is_empty() || ms.is_empty() {
                continue;
            }
            let miss = vec![miss_cost; ts.len()];
            let new = vec![0.0; ms.len()];
            let solution = assign::assign(
                ts.len(),
                ms.len(),
                |a, b| edge_cost.get(&(ts[a], ms[b])).map(|e| e.0),
                &miss,
                &new,
            );
            for (a, choice) in solution.into_iter().enumerate() {
                if let Some(b) = choice {
                    let ll = edge_cost.get(&(ts[a], ms[b])).map_or(0.0, |e| e.1);
                    assigned_to[ms[b]] = Some((track_slots[ts[a]], ll));
                }
            }
        }

        // 4. Updates, in time order; 5. new tentative tracks from the rest.
        let evidence_base = pd.ln() - log_lambda;
        for (j, m) in batch.into_iter().enumerate() {
            match assigned_to[j] {
                // The plot's evidence for a target rather than clutter: ln(Pd g(nu) / lambda).
                Some((slot, ll)) => self.apply(slot, m, evidence_base + ll),
                None => {
                    if m.polar.is_some()
                        && let Some(s) = self.sensors.get_mut(usize::from(sensor.0))
                    {
                        s.unassigned_plots += 1.0;
                    }
                    self.start_track(m);
                }
            }
        }
    }

    fn apply(&mut self, slot: u32, m: Measurement, evidence: f64) {
        let params = self.config.filter;
        let confirm_llr = self.config.confirm_log_likelihood_ratio;
        let adsb_confirm = self.config.adsb_confirm_reports;
        let (confirm_m, confirm_n) = (self.config.confirm_hits, self.config.confirm_opportunities);
        let is_adsb = m.polar.is_none();
        let score_max = self.score_max;
        let Some(Some(track)) = self.tracks.get_mut(slot as usize) else {
            return;
        };
        if m.time_s < track.filter.time_s() {
            self.stats.out_of_sequence += 1;
        }
        let ok = match &m.velocity {
            Some((v, vr)) => {
                let mut r = Mat::<4, 4>::zeros();
                for i in 0..2 {
                    for k in 0..2 {
                        r.0[i][k] = m.r.0[i][k];
                        r.0[2 + i][2 + k] = vr.0[i][k];
                    }
                }
                let meas = LinearMeasurement {
                    z: Vector::from_array([m.z[0], m.z[1], v[0], v[1]]),
                    r,
                };
                track.filter.update(&params, m.time_s, &meas)
            }
            None => {
                let meas = LinearMeasurement {
                    z: Vector::from_array(m.z),
                    r: m.r,
                };
                track.filter.update(&params, m.time_s, &meas)
            }
        };
        if ok.is_none() {
            self.stats.filter_failures += 1;
            return;
        }
        self.stats.associated += 1;
        track.last_update_s = track.last_update_s.max(m.time_s);
        track.last_opportunity_s = track.last_opportunity_s.max(m.time_s);
        match track.hits_by.iter_mut().find(|h| h.sensor == m.sensor) {
            Some(hit) => hit.time_s = hit.time_s.max(m.time_s),
            // Filed in the radar's sweep index by the refile below.
            None => track.hits_by.push(Hit {
                sensor: m.sensor,
                time_s: m.time_s,
                bucket: None,
            }),
        }
        track.info.observe(
            m.time_s,
            m.mode3a,
            m.mode_s,
            m.altitude_m,
            m.callsign.as_ref(),
        );
        let mut confirm = false;
        match &mut track.status {
            Status::Tentative {
                history,
                len,
                adsb_hits,
                llr,
            } => {
                if is_adsb {
                    *adsb_hits = adsb_hits.saturating_add(1);
                    confirm = *adsb_hits >= adsb_confirm;
                } else {
                    *history = (*history << 1) | 1;
                    *len = len.saturating_add(1);
                    *llr += evidence;
                    let window = window_mask(confirm_n);
                    let hits = (*history & window).count_ones();
                    // M hits and enough evidence, or N hits in a row whatever the clutter.
                    confirm = (hits >= u32::from(confirm_m) && *llr >= confirm_llr)
                        || hits >= u32::from(confirm_n);
                }
            }
            Status::Confirmed => track.score = score_max,
        }
        let estimate = track.filter.estimate();
        let time = m.time_s;
        self.refile(slot, &estimate, time);
        if confirm {
            self.confirm(slot, time);
        }
    }

    /// A confirmed track that lost its target (no update since before `slot` was born, for at
    /// least one period) and that the new track's target could be: within reach of its last
    /// estimate under the largest expected acceleration, with no conflicting Mode S address.
    fn predecessor(&self, slot: u32, time_s: f64) -> Option<u32> {
        let new = self.tracks.get(slot as usize)?.as_ref()?;
        let new_est = new.filter.predict(&self.config.filter, time_s);
        let new_xy = [new_est.x.get(0), new_est.x.get(1)];
        let new_v = [new_est.x.get(2), new_est.x.get(3)];
        let min_period = self
            .sensors
            .iter()
            .filter_map(SensorSlot::period_s)
            .fold(f64::INFINITY, f64::min);
        let a = self.config.max_accel_mps2;
        let search = self.search_radius(time_s);
        let mut best: Option<(f64, u32)> = None;
        self.grid.for_each_near(new_xy, search, |s| {
            if s == slot {
                return;
            }
            let Some(Some(old)) = self.tracks.get(s as usize) else {
                return;
            };
            if !old.confirmed()
                || old.last_update_s >= new.born_s
                || time_s - old.last_update_s < min_period
            {
                return;
            }
            if let (Some(x), Some(y)) = (old.info.mode_s, new.info.mode_s)
                && x != y
            {
                return;
            }
            let gap = time_s - old.last_update_s;
            if gap > self.config.max_coast_s {
                return;
            }
            let old_est = old.filter.predict(&self.config.filter, time_s);
            let d = (old_est.x.get(0) - new_xy[0]).hypot(old_est.x.get(1) - new_xy[1]);
            let dv = (old_est.x.get(2) - new_v[0]).hypot(old_est.x.get(3) - new_v[1]);
            let sigma =
                (old_est.p.0[0][0] + old_est.p.0[1][1] + new_est.p.0[0][0] + new_est.p.0[1][1])
                    .sqrt();
            let reach = 0.5 * a * gap * gap + 3.0 * sigma;
            let v_sigma =
                (old_est.p.0[2][2] + old_est.p.0[3][3] + new_est.p.0[2][2] + new_est.p.0[3][3])
                    .sqrt();
            if d <= reach && dv <= a * gap + 3.0 * v_sigma {
                let normalised = d / reach.max(1.0);
                if best.is_none_or(|(b, _)| normalised < b) {
                    best = Some((normalised, s));
                }
            }
        });
        best.map(|(_, s)| s)
    }

    /// The new track at `slot` continues the lost track at `old`: it takes its identity, number,
    /// flags and airspace state, and the old one goes without a deletion event.
    fn continue_track(&mut self, slot: u32, old: u32) {
        let Some(old_track) = self.tracks.get_mut(old as usize).and_then(Option::take) else {
            return;
        };
        self.grid.remove(old_track.cell, old);
        for hit in &old_track.hits_by {
            unfile_sweep(&mut self.sensors, old, hit);
        }
        self.free_slots.push(old);
        let Some(Some(track)) = self.tracks.get_mut(slot as usize) else {
            return;
        };
        track.id = old_track.id;
        track.number = old_track.number;
        track.confirmed_s = old_track.confirmed_s;
        track.info.take_identity_state(&old_track.info);
        track.info.absorb(old_track.info);
        // The partners' tracks of the lost track follow its identity.
        for &p in &old_track.partners {
            if let Some(Some(partner)) = self.joint.partners.get_mut(p as usize) {
                partner.host = Some(joint::Host::Local(slot));
            }
        }
        track.partners.extend(old_track.partners);
        for hit in old_track.hits_by {
            if track.hit_from(hit.sensor).is_none() {
                track.hits_by.push(Hit {
                    bucket: None,
                    ..hit
                });
            }
        }
        let estimate = track.filter.estimate();
        let time_s = track.filter.time_s();
        self.refile(slot, &estimate, time_s);
        self.stats.tracks_continued += 1;
    }

    fn confirm(&mut self, slot: u32, time_s: f64) {
        if let Some(old) = self.predecessor(slot, time_s) {
            self.continue_track(slot, old);
            let score = self.score_max;
            if let Some(Some(track)) = self.tracks.get_mut(slot as usize) {
                track.status = Status::Confirmed;
                track.score = score;
            }
            return;
        }
        let score = self.score_max;
        // An aircraft partners already showed us: the new track takes over that identity.
        if let Some(remote) = self.remote_for(slot, time_s) {
            if let Some(Some(track)) = self.tracks.get_mut(slot as usize) {
                track.status = Status::Confirmed;
                track.score = score;
            }
            self.absorb_remote(slot, remote, true, false, time_s);
            return;
        }
        let number = self.numbers.take();
        let Some(Some(track)) = self.tracks.get_mut(slot as usize) else {
            return;
        };
        track.status = Status::Confirmed;
        track.score = score;
        track.number = number;
        track.confirmed_s = time_s;
        self.stats.tracks_confirmed += 1;
        let id = track.id;
        announce(&mut self.events, &mut track.info, id, number, time_s);
    }

    fn start_track(&mut self, m: Measurement) {
        let params = self.config.filter;
        let filter = Imm::new(m.time_s, m.z, m.r, m.velocity, &params);
        let is_adsb = m.polar.is_none();
        let id = TrackId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1).max(1);
        let code_seen_s = (m.mode3a.is_some() || m.mode_s.is_some()).then_some(m.time_s);
        let track = Track {
            id,
            number: 0,
            filter,
            status: Status::Tentative {
                history: u16::from(!is_adsb),
                len: u8::from(!is_adsb),
                adsb_hits: u8::from(is_adsb),
                llr: 0.0,
            },
            score: 0.0,
            born_s: m.time_s,
            last_update_s: m.time_s,
            last_opportunity_s: m.time_s,
            hits_by: vec![Hit {
                sensor: m.sensor,
                time_s: m.time_s,
                bucket: None,
            }],
            info: Info {
                mode3a: m.mode3a,
                mode_s: m.mode_s,
                callsign: m.callsign,
                altitude_m: m.altitude_m,
                code_seen_s,
                ..Info::default()
            },
            confirmed_s: m.time_s,
            partners: Vec::new(),
            cell: self.grid.cell_of(m.z),
            filed_xy: m.z,
            filed_v: [0.0, 0.0],
            filed_s: m.time_s,
            filed_pos_var: m.r.trace(),
            filed_vel_var: 2.0 * params.initial_speed_sigma_mps * params.initial_speed_sigma_mps,
            filed_turn_var: params.initial_turn_sigma_rad_s * params.initial_turn_sigma_rad_s,
        };
        let cell = track.cell;
        let slot = match self.free_slots.pop() {
            Some(s) => {
                if let Some(entry) = self.tracks.get_mut(s as usize) {
                    *entry = Some(track);
                }
                s
            }
            None => {
                self.tracks.push(Some(track));
                (self.tracks.len() - 1) as u32
            }
        };
        self.grid.insert(cell, slot);
        if let Some(Some(track)) = self.tracks.get(slot as usize) {
            let estimate = track.filter.estimate();
            self.refile(slot, &estimate, m.time_s);
        }
        self.stats.tracks_started += 1;
        // A single ADS-B report may already be enough when the rule says 1.
        if is_adsb && self.config.adsb_confirm_reports <= 1 {
            self.confirm(slot, m.time_s);
        }
    }

    /// Files a track in the grid at its estimate.
    fn refile(&mut self, slot: u32, estimate: &Prediction, time_s: f64) {
        let xy = [estimate.x.get(0), estimate.x.get(1)];
        let cell = self.grid.cell_of(xy);
        let Some(Some(track)) = self.tracks.get_mut(slot as usize) else {
            return;
        };
        track.filed_xy = xy;
        track.filed_v = [estimate.x.get(2), estimate.x.get(3)];
        track.filed_s = time_s;
        track.filed_pos_var = estimate.p.0[0][0] + estimate.p.0[1][1];
        track.filed_vel_var = estimate.p.0[2][2] + estimate.p.0[3][3];
        track.filed_turn_var = estimate.p.0[4][4];
        // Keep the radars' sweep indexes current; a radar that has not seen the track for its
        // coverage window forgets it (the track left its coverage).
        let coverage_periods = self.config.coverage_periods;
        let sensors = &mut self.sensors;
        track.hits_by.retain_mut(|hit| {
            let Some(SensorSlot {
                kind: SensorKind::Radar(radar),
                ..
            }) = sensors.get(usize::from(hit.sensor.0))
            else {
                return true;
            };
            if time_s - hit.time_s > coverage_periods * radar.config.period_s {
                unfile_sweep(sensors, slot, hit);
                return false;
            }
            let (az, _) = radar.geometry().azimuth_range_of(xy);
            let bucket = az_bucket(az);
            if hit.bucket != Some(bucket) {
                unfile_sweep(sensors, slot, hit);
                if let Some(list) = sensors
                    .get_mut(usize::from(hit.sensor.0))
                    .and_then(|s| s.az_index.get_mut(usize::from(bucket)))
                {
                    list.push(slot);
                    hit.bucket = Some(bucket);
                }
            }
            true
        });
        if track.cell != cell {
            let old = track.cell;
            track.cell = cell;
            self.grid.remove(old, slot);
            self.grid.insert(cell, slot);
        }
    }

    fn delete(&mut self, slot: u32, time_s: f64, reason: DeletionReason) {
        let Some(entry) = self.tracks.get_mut(slot as usize) else {
            return;
        };
        let Some(track) = entry.take() else { return };
        self.grid.remove(track.cell, slot);
        for hit in &track.hits_by {
            unfile_sweep(&mut self.sensors, slot, hit);
        }
        self.free_slots.push(slot);
        if track.confirmed() && !track.partners.is_empty() {
            // Partners still report the aircraft: the joint track goes on, fed by them.
            self.convert_to_remote(track);
            return;
        }
        if track.confirmed() {
            self.stats.tracks_deleted += 1;
            self.numbers.give_back(track.number);
            self.events.push(Event {
                time_s,
                track: track.id,
                track_number: track.number,
                kind: EventKind::Deleted { reason },
            });
        }
    }

    /// Counts misses for tracks the radar's beam has passed, up to unwrapped azimuth `to`.
    fn evaluate_sweep(&mut self, sensor: SensorId, to: f64, time_s: f64) {
        let Some(slot) = self.sensors.get_mut(usize::from(sensor.0)) else {
            return;
        };
        let SensorKind::Radar(radar) = &slot.kind else {
            return;
        };
        let from = match slot.evaluated_to {
            Some(f) => f,
            None => {
                // First sweep: start from here, as nothing before it was watched.
                slot.evaluated_to = Some(to);
                return;
            }
        };
        if to.is_nan() || to <= from {
            return;
        }
        slot.evaluated_to = Some(to);
        let span = (to - from).min(360.0);
        // Ten rotations of memory for the radar's extraneous plot density.
        let decay = (-span / 3600.0).exp();
        slot.unassigned_plots *= decay;
        slot.swept_deg = slot.swept_deg * decay + span;
        let range_max = radar
            .config
            .max_range_m
            .unwrap_or(slot.observed_max_range_m * 1.02);
        if range_max.is_nan() || range_max <= self.config.sweep_min_range_m {
            return;
        }
        let geometry = radar.geometry();
        let pd = radar.config.pd.clamp(0.05, 0.995);
        let half_period = 0.5 * radar.config.period_s;
        let coverage_window = self.config.coverage_periods * radar.config.period_s;
        let from_wrapped = wrap_360(from);

        // The tracks this radar has seen lately, from the buckets the beam has swept (with two
        // buckets of slack: a track's bucket is from its last refile, at most a tick old).
        let mut slots = std::mem::take(&mut self.scratch_sweep);
        slots.clear();
        let first = from_wrapped.floor() as i64 - 2;
        let n_buckets = ((span.ceil() as i64) + 5).min(AZ_BUCKETS as i64);
        for k in 0..n_buckets {
            let b = (first + k).rem_euclid(AZ_BUCKETS as i64) as usize;
            if let Some(list) = slot.az_index.get(b) {
                slots.extend_from_slice(list);
            }
        }
        let window = window_mask(self.config.confirm_opportunities);
        let needed = u32::from(self.config.confirm_hits);
        let miss_step = -(1.0 - pd).ln();
        let mut dead: Vec<u32> = Vec::new();
        for &s in &slots {
            let Some(Some(track)) = self.tracks.get_mut(s as usize) else {
                continue;
            };
            let (az, range) = geometry.azimuth_range_of(track.extrapolate(time_s));
            if range > range_max || range < self.config.sweep_min_range_m {
                continue;
            }
            let offset = wrap_360(az - from_wrapped);
            if !(offset > 0.0 && offset <= span) {
                continue;
            }
            let Some(last_hit) = track.hit_from(sensor) else {
                continue;
            };
            if time_s - last_hit > coverage_window {
                continue;
            }
            track.last_opportunity_s = track.last_opportunity_s.max(time_s);
            if time_s - last_hit < half_period {
                continue;
            }
            match &mut track.status {
                Status::Tentative {
                    history, len, llr, ..
                } => {
                    *history <<= 1;
                    *len = len.saturating_add(1);
                    *llr += (1.0 - pd).ln();
                    let n = u32::from(self.config.confirm_opportunities);
                    let hits = (*history & window).count_ones();
                    // Dead once M hits can no longer fit in the first N opportunities, when
                    // the N are spent, or when the evidence says clutter (Wald's lower bound
                    // for a 1 % miss rate).
                    let left = n.saturating_sub(u32::from(*len));
                    if hits + left < needed || u32::from(*len) >= n || *llr < -4.6 {
                        dead.push(s);
                    }
                }
                Status::Confirmed => {
                    track.score -= miss_step;
                    if track.score <= 0.0 {
                        dead.push(s);
                    }
                }
            }
        }
        self.scratch_sweep = slots;
        for s in dead {
            self.delete(s, time_s, DeletionReason::Missed);
        }
    }

    /// Per-tick maintenance: drops tracks nobody can see, refiles everyone, applies the
    /// airspace rules and flags to confirmed tracks.
    fn maintain(&mut self, tick: f64) -> Picture {
        let mut dead: Vec<(u32, DeletionReason)> = Vec::new();
        let mut checks: Vec<(u32, Prediction)> = Vec::new();
        for (slot, entry) in self.tracks.iter().enumerate() {
            let Some(track) = entry else { continue };
            let slowest = track
                .hits_by
                .iter()
                .filter_map(|h| self.sensors.get(usize::from(h.sensor.0)))
                .map(|s| match &s.kind {
                    SensorKind::Radar(r) => r.config.period_s * self.config.unseen_periods,
                    SensorKind::Adsb(a) => a.max_coast_s,
                    SensorKind::SystemTracks(_) => 0.0,
                })
                .fold(0.0, f64::max);
            let unseen = tick - track.last_update_s.max(track.last_opportunity_s);
            let coast = tick - track.last_update_s;
            if unseen > slowest.max(self.config.picture_period_s) {
                dead.push((slot as u32, DeletionReason::Unseen));
            } else if coast > self.config.max_coast_s
                || (!track.confirmed() && coast > slowest.max(self.config.picture_period_s))
            {
                dead.push((slot as u32, DeletionReason::Coasted));
            } else {
                checks.push((slot as u32, track.filter.predict(&self.config.filter, tick)));
            }
        }
        for (slot, reason) in dead {
            self.delete(slot, tick, reason);
        }
        for (slot, pred) in &checks {
            self.refile(*slot, pred, tick);
        }
        self.last_refile_s = tick;

        // Partners' tracks: staleness, correlations, merges (may change identities).
        self.partner_tick(tick);

        // Every joint track's estimate at the tick: ours (with their partners) and remote.
        let mut estimates: Vec<(Host, joint::JointEstimate)> = Vec::new();
        for (slot, pred) in &checks {
            let confirmed = self
                .tracks
                .get(*slot as usize)
                .and_then(Option::as_ref)
                .is_some_and(Track::confirmed);
            if confirmed && let Some(e) = self.joint_estimate(Host::Local(*slot), Some(pred), tick)
            {
                estimates.push((Host::Local(*slot), e));
            }
        }
        for (r, e) in self.remote_estimates(tick) {
            estimates.push((Host::Remote(r), e));
        }

        // Flags and airspace rules on the joint estimate.
        let mut watch = Watch {
            airspace: self.airspace.as_ref(),
            plane: &self.plane,
            code_memory_s: self.config.code_memory_s,
            tick,
            found: Vec::new(),
            raised: Vec::new(),
        };
        for (host, estimate) in &estimates {
            let xy = [estimate.x.get(0), estimate.x.get(1)];
            let sigma = largest_sigma(&estimate.p.block::<2, 2>());
            match *host {
                Host::Local(slot) => {
                    if let Some(Some(track)) = self.tracks.get_mut(slot as usize) {
                        watch.check(track.id, track.number, &mut track.info, xy, sigma);
                    }
                }
                Host::Remote(r) => {
                    if let Some(Some(remote)) = self.joint.remote.get_mut(r as usize) {
                        watch.check(remote.id, remote.number, &mut remote.info, xy, sigma);
                    }
                }
            }
        }
        let raised = watch.raised;
        self.events.extend(raised);

        let mut tracks: Vec<SystemTrack> = estimates
            .into_iter()
            .filter_map(|(host, estimate)| match host {
                Host::Local(slot) => {
                    let track = self.tracks.get(slot as usize)?.as_ref()?;
                    self.joint_system_track(track.id, track.number, &track.info, estimate)
                }
                Host::Remote(r) => {
                    let (id, number, info) = self.remote_track(r)?;
                    self.joint_system_track(id, number, info, estimate)
                }
            })
            .collect();
        tracks.sort_by_key(|t| t.id);
        Picture {
            time_s: tick,
            tracks,
        }
    }
}

/// The flag and airspace checks of one picture tick.
struct Watch<'a> {
    airspace: Option<&'a Airspace>,
    plane: &'a TangentPlane,
    code_memory_s: f64,
    tick: f64,
    found: Vec<AirspaceEvent>,
    raised: Vec<Event>,
}

impl Watch<'_> {
    /// Transponder and emergency flags from the codes, then the borders and zones at `xy`.
    fn check(&mut self, id: TrackId, number: u16, info: &mut Info, xy: [f64; 2], sigma_m: f64) {
        let tick = self.tick;
        let raised = &mut self.raised;
        let mut raise = |kind| {
            raised.push(Event {
                time_s: tick,
                track: id,
                track_number: number,
                kind,
            })
        };
        let silent = info
            .code_seen_s
            .is_none_or(|t| tick - t > self.code_memory_s);
        if silent != info.no_transponder {
            info.no_transponder = silent;
            raise(if silent {
                EventKind::NoTransponder
            } else {
                EventKind::TransponderSeen
            });
        }
        let emergency = info.mode3a.filter(|c| EMERGENCY_CODES.contains(c));
        if emergency != info.emergency {
            info.emergency = emergency;
            raise(match emergency {
                Some(code) => EventKind::Emergency { code },
                None => EventKind::EmergencyCleared,
            });
        }
        let Some(airspace) = self.airspace else {
            return;
        };
        let Some(g) = self.plane.to_geodetic(xy[0], xy[1]) else {
            return;
        };
        self.found.clear();
        airspace.evaluate(
            &mut info.airspace,
            tick,
            [g.lon_deg, g.lat_deg],
            info.altitude_m,
            sigma_m,
            &mut self.found,
        );
        for e in self.found.drain(..) {
            let zone = |z: usize| {
                airspace
                    .zones()
                    .get(z)
                    .map(|z| (z.id.clone(), z.name.clone()))
                    .unwrap_or_default()
            };
            raise(match e {
                AirspaceEvent::BorderCrossing {
                    from,
                    to,
                    crossing_time_s,
                    at,
                } => EventKind::BorderCrossing {
                    from,
                    to,
                    crossing_time_s,
                    lat_deg: at[1],
                    lon_deg: at[0],
                },
                AirspaceEvent::ZoneEntry {
                    zone: z,
                    crossing_time_s,
                    at,
                } => {
                    let (zone_id, zone_name) = zone(z);
                    EventKind::ZoneEntry {
                        zone_id,
                        zone_name,
                        crossing_time_s,
                        lat_deg: at[1],
                        lon_deg: at[0],
                    }
                }
                AirspaceEvent::ZoneExit {
                    zone: z,
                    crossing_time_s,
                    at,
                } => {
                    let (zone_id, zone_name) = zone(z);
                    EventKind::ZoneExit {
                        zone_id,
                        zone_name,
                        crossing_time_s,
                        lat_deg: at[1],
                        lon_deg: at[0],
                    }
                }
            });
        }
    }
}

/// A new identity on the picture: sets its flags from its codes and raises `Confirmed` and
/// the flags' events.
fn announce(events: &mut Vec<Event>, info: &mut Info, id: TrackId, number: u16, time_s: f64) {
    info.no_transponder = info.code_seen_s.is_none();
    info.emergency = info.mode3a.filter(|c| EMERGENCY_CODES.contains(c));
    let mut raise = |kind| {
        events.push(Event {
            time_s,
            track: id,
            track_number: number,
            kind,
        })
    };
    raise(EventKind::Confirmed);
    if info.no_transponder {
        raise(EventKind::NoTransponder);
    }
    if let Some(code) = info.emergency {
        raise(EventKind::Emergency { code });
    }
}

/// Removes a track from a radar's sweep index.
fn unfile_sweep(sensors: &mut [SensorSlot], slot: u32, hit: &Hit) {
    let Some(bucket) = hit.bucket else { return };
    let Some(list) = sensors
        .get_mut(usize::from(hit.sensor.0))
        .and_then(|s| s.az_index.get_mut(usize::from(bucket)))
    else {
        return;
    };
    if let Some(pos) = list.iter().position(|&x| x == slot) {
        list.swap_remove(pos);
    }
}

/// The lowest `n` bits set.
fn window_mask(n: u8) -> u16 {
    if n >= 16 { u16::MAX } else { (1u16 << n) - 1 }
}

/// Association aid: negative log-likelihood ratio contributed by the codes.
fn aid_cost(track: &Track, m: &Measurement) -> f64 {
    let mut cost = 0.0;
    if let (Some(a), Some(b)) = (track.info.mode_s, m.mode_s) {
        // Mode S addresses are unique and CRC-protected: a mismatch all but rules the pair out,
        // a match strongly supports it, but the kinematic gate still has to pass.
        cost += if a == b { -6.0 } else { 20.0 };
    }
    if let (Some(a), Some(b)) = (track.info.mode3a, m.mode3a) {
        if a == b {
            if !SHARED_CODES.contains(&a) {
                cost -= 2.0;
            }
        } else {
            // Codes change when ATC reassigns them: a mild penalty only.
            cost += 3.0;
        }
    }
    cost
}

fn largest_sigma(p: &Mat<2, 2>) -> f64 {
    let (a, b, d) = (p.0[0][0], p.0[0][1], p.0[1][1]);
    let mean = 0.5 * (a + d);
    let diff = (0.25 * (a - d) * (a - d) + b * b).sqrt();
    (mean + diff).max(0.0).sqrt()
}

struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
        }
    }
    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent[ra] = rb;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sensor::{DEFAULT_SECTORS, RangeGeometry};

    fn radar_config() -> RadarConfig {
        RadarConfig {
            name: "R1".into(),
            lat_deg: 14.0,
            lon_deg: 1.0,
            height_m: 0.0,
            range_sigma_m: 30.0,
            azimuth_sigma_deg: 0.05,
            range_bias_m: 0.0,
            azimuth_bias_deg: 0.0,
            pd: 1.0,
            period_s: 4.0,
            max_range_m: Some(200_000.0),
            geometry: RangeGeometry::Plane,
            sectors: DEFAULT_SECTORS,
        }
    }

    #[test]
    fn one_target_confirms_and_is_deleted_when_it_vanishes() {
        let mut tracker = Tracker::new(TrackerConfig::new(14.0, 1.0));
        let r = tracker.add_radar(radar_config()).expect("radar");
        // A target 50 km north moving east at 100 m/s; the beam sees it at azimuth ~0.
        let mut confirmed_at = None;
        for scan in 0..20 {
            let t = scan as f64 * 4.0;
            if scan < 10 {
                let e = 100.0 * t;
                let n = 50_000.0;
                let plot = RadarPlot {
                    time_s: t,
                    range_m: e.hypot(n),
                    azimuth_deg: e.atan2(n).to_degrees(),
                    ..RadarPlot::default()
                };
                tracker.push_plot(r, &plot).expect("plot");
            }
            // The beam goes round: tell the tracker where it is.
            tracker.sector_crossing(r, 180.0, t + 2.0).expect("sector");
            tracker.advance(t + 3.0);
            for e in tracker.take_events() {
                if e.kind == EventKind::Confirmed {
                    confirmed_at = Some(t);
                }
                if let EventKind::Deleted { .. } = e.kind {
                    assert!(t > 36.0, "deleted too early at {t}");
                    return;
                }
            }
        }
        assert!(confirmed_at.is_some());
        panic!("the track was never deleted after the target vanished");
    }

    #[test]
    fn wrong_sensor_kind_and_bad_plots_are_errors() {
        let mut tracker = Tracker::new(TrackerConfig::new(14.0, 1.0));
        let a = tracker
            .add_adsb_source(AdsbConfig::new("ADSB"))
            .expect("adsb");
        assert!(tracker.push_plot(a, &RadarPlot::default()).is_err());
        assert!(
            tracker
                .push_plot(SensorId(9), &RadarPlot::default())
                .is_err()
        );
        let r = tracker.add_radar(radar_config()).expect("radar");
        let bad = RadarPlot {
            range_m: f64::INFINITY,
            ..RadarPlot::default()
        };
        assert!(tracker.push_plot(r, &bad).is_err());
        assert_eq!(tracker.stats().plots_rejected, 1);
    }

    #[test]
    fn corrupt_times_are_refused_and_long_gaps_cost_little() {
        let mut tracker = Tracker::new(TrackerConfig::new(14.0, 1.0));
        let r = tracker.add_radar(radar_config()).expect("radar");
        let plot = |t: f64| RadarPlot {
            time_s: t,
            range_m: 50_000.0,
            azimuth_deg: 10.0,
            ..RadarPlot::default()
        };
        tracker.push_plot(r, &plot(100.0)).expect("first plot");
        assert_eq!(tracker.advance(100.0).len(), 1);
        assert!(matches!(
            tracker.push_plot(r, &plot(1e9)),
            Err(TrackerError::TimeAhead { .. })
        ));
        assert!(matches!(
            tracker.push_plot(r, &plot(1e12)),
            Err(TrackerError::TimeOutOfRange { .. })
        ));
        assert!(matches!(
            tracker.push_plot(r, &plot(-5.0)),
            Err(TrackerError::TimeBehind { .. })
        ));
        // A year later: a handful of pictures, not 31 million.
        let pictures = tracker.advance(100.0 + 365.0 * 86_400.0);
        assert!(pictures.len() < 100, "{}", pictures.len());
        assert_eq!(tracker.n_tracks(), 0);
        // The clock does not go back.
        assert!(tracker.advance(50.0).is_empty());
    }

    #[test]
    fn number_pool_reuses_oldest_last() {
        let mut pool = NumberPool::default();
        assert_eq!(pool.take(), 1);
        assert_eq!(pool.take(), 2);
        pool.give_back(1);
        assert_eq!(pool.take(), 3);
    }
}
