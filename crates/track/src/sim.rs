//! A seeded, deterministic air-surveillance simulator: aircraft flying scripted legs
//! (straight, turning, accelerating, climbing; with or without transponder and ADS-B), rotating
//! radars that detect them with a probability of detection, noise, bias, clutter and a radar
//! horizon, and an ADS-B network. The output is a time-ordered stream of [`SimEvent`]s exactly as
//! the sensors would emit them: a radar's plots come out sector by sector, in azimuth order, when
//! the beam leaves the sector, followed by a sector-crossing message (a north marker at
//! azimuth 0), so a consumer sees what a real CAT048/CAT034 feed would give it. Ground truth
//! comes in the same stream at a fixed period.
//!
//! Time is simulated: [`Simulator::next_event`] returns the next event whatever the wall clock
//! says; pacing it in real time is the caller's business (`liptako simulate`).

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, VecDeque};

use serde::Deserialize;

use crate::geo::{Ecef, Geodetic, TangentPlane, plane_velocity_to_local, wrap_360};
use crate::num::{non_negative, positive, within};
use crate::rng::Rng;
use crate::sensor::{
    AdsbReport, DEFAULT_SECTORS, RadarConfig, RadarModel, RadarPlot, RangeGeometry,
};

/// A whole scenario (the TOML form of `liptako simulate --scenario`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    /// Seed of every random draw.
    #[serde(default)]
    pub seed: u64,
    /// Time of the scenario start on the output time scale, seconds.
    #[serde(default)]
    pub start_time_s: f64,
    /// Length, seconds.
    pub duration_s: f64,
    /// Period of the ground-truth samples, seconds.
    #[serde(default = "one_second")]
    pub truth_period_s: f64,
    #[serde(default, rename = "radar")]
    pub radars: Vec<SimRadar>,
    #[serde(default)]
    pub adsb: Option<SimAdsb>,
    #[serde(default)]
    pub aircraft: Vec<SimAircraft>,
}

fn one_second() -> f64 {
    1.0
}
fn yes() -> bool {
    true
}
fn default_sectors() -> u16 {
    DEFAULT_SECTORS
}

/// A simulated radar.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimRadar {
    pub name: String,
    /// ASTERIX system area code and identification code of the radar.
    #[serde(default)]
    pub sac: u8,
    #[serde(default)]
    pub sic: u8,
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// Antenna height above the ellipsoid, metres.
    #[serde(default)]
    pub height_m: f64,
    pub range_sigma_m: f64,
    pub azimuth_sigma_deg: f64,
    /// True range bias (measured minus true), metres.
    #[serde(default)]
    pub range_bias_m: f64,
    /// True azimuth bias, degrees.
    #[serde(default)]
    pub azimuth_bias_deg: f64,
    pub pd: f64,
    pub period_s: f64,
    pub max_range_m: f64,
    #[serde(default)]
    pub min_range_m: f64,
    /// Azimuth of the beam at the scenario start, degrees.
    #[serde(default)]
    pub start_azimuth_deg: f64,
    /// Expected number of false plots per rotation, spread uniformly over the coverage.
    #[serde(default)]
    pub clutter_per_scan: f64,
    /// Secondary radar: reports Mode 3/A, Mode C and Mode S of transponder-equipped aircraft.
    #[serde(default = "yes")]
    pub ssr: bool,
    #[serde(default)]
    pub geometry: RangeGeometry,
    #[serde(default = "default_sectors")]
    pub sectors: u16,
}

impl SimRadar {
    /// The radar as a tracker should be told about it. Biases are the tracker's knowledge:
    /// pass `bias_known = false` to leave them for the tracker to suffer.
    pub fn tracker_config(&self, bias_known: bool) -> RadarConfig {
        RadarConfig {
            name: self.name.clone(),
            lat_deg: self.lat_deg,
            lon_deg: self.lon_deg,
            height_m: self.height_m,
            range_sigma_m: self.range_sigma_m,
            azimuth_sigma_deg: self.azimuth_sigma_deg,
            range_bias_m: if bias_known { self.range_bias_m } else { 0.0 },
            azimuth_bias_deg: if bias_known {
                self.azimuth_bias_deg
            } else {
                0.0
            },
            pd: self.pd,
            period_s: self.period_s,
            max_range_m: Some(self.max_range_m),
            geometry: self.geometry,
            sectors: self.sectors,
        }
    }
}

/// The ADS-B ground network (one source covering everything).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimAdsb {
    #[serde(default = "adsb_name")]
    pub name: String,
    #[serde(default)]
    pub sac: u8,
    #[serde(default)]
    pub sic: u8,
    /// Report period per aircraft, seconds.
    #[serde(default = "one_second")]
    pub period_s: f64,
    /// Position noise, metres (one sigma per axis).
    #[serde(default = "adsb_sigma")]
    pub position_sigma_m: f64,
    /// Velocity noise, m/s per axis.
    #[serde(default = "adsb_velocity_sigma")]
    pub velocity_sigma_mps: f64,
}

fn adsb_name() -> String {
    "ADSB".into()
}
fn adsb_sigma() -> f64 {
    15.0
}
fn adsb_velocity_sigma() -> f64 {
    0.5
}

/// One simulated aircraft.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimAircraft {
    pub name: String,
    /// Appears at this time after the scenario start, seconds.
    #[serde(default)]
    pub start_s: f64,
    /// Disappears (lands, leaves) at this time after the start, seconds.
    #[serde(default)]
    pub end_s: Option<f64>,
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// Height above the ellipsoid, metres.
    pub altitude_m: f64,
    /// Initial heading, degrees clockwise from true north.
    pub heading_deg: f64,
    pub speed_mps: f64,
    /// Flight legs from the start; after the last one the aircraft flies straight on.
    #[serde(default)]
    pub legs: Vec<Leg>,
    /// 24-bit Mode S address (also the ADS-B address).
    #[serde(default)]
    pub mode_s: Option<u32>,
    /// Mode 3/A code at the start.
    #[serde(default)]
    pub mode3a: Option<u16>,
    #[serde(default)]
    pub callsign: Option<String>,
    /// Broadcasts ADS-B (needs a Mode S address).
    #[serde(default)]
    pub adsb: bool,
    /// Later changes of Mode 3/A code.
    #[serde(default)]
    pub squawks: Vec<Squawk>,
}

/// A change of Mode 3/A code at a time after the scenario start.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Squawk {
    pub at_s: f64,
    pub code: u16,
}

/// A flight leg: for `duration_s`, turn at a constant rate or change speed at a constant rate
/// (not both), and climb or descend at a constant rate.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Leg {
    pub duration_s: f64,
    /// Degrees per second, positive to the right (clockwise).
    #[serde(default)]
    pub turn_rate_deg_s: f64,
    #[serde(default)]
    pub acceleration_mps2: f64,
    #[serde(default)]
    pub climb_mps: f64,
}

impl SimAircraft {
    fn transponder(&self) -> bool {
        self.mode3a.is_some() || self.mode_s.is_some()
    }
    fn code_at(&self, rel_s: f64) -> Option<u16> {
        let mut code = self.mode3a;
        for s in &self.squawks {
            if s.at_s <= rel_s {
                code = Some(s.code);
            }
        }
        code
    }
}

impl Scenario {
    /// Parses a scenario from TOML (the format `liptako simulate --scenario FILE` reads; unknown
    /// keys are errors, so a typo never silently changes a scenario). Field names and defaults
    /// are those of [`Scenario`], [`SimRadar`], [`SimAdsb`], [`SimAircraft`] and [`Leg`]:
    ///
    /// ```toml
    /// name = "two radars, one turn"
    /// seed = 7
    /// duration_s = 600
    ///
    /// [[radar]]
    /// name = "GAO"
    /// sac = 1
    /// sic = 1
    /// lat_deg = 16.25
    /// lon_deg = 0.0
    /// range_sigma_m = 50
    /// azimuth_sigma_deg = 0.08
    /// pd = 0.9
    /// period_s = 4
    /// max_range_m = 250000
    /// clutter_per_scan = 5
    ///
    /// [adsb]          # optional: an ADS-B network for the equipped aircraft
    ///
    /// [[aircraft]]
    /// name = "AFR541"
    /// lat_deg = 16.0
    /// lon_deg = -0.8
    /// altitude_m = 10000
    /// heading_deg = 135
    /// speed_mps = 230
    /// mode_s = 0x39AC12
    /// mode3a = 0o4402
    /// callsign = "AFR541"
    /// adsb = true
    /// legs = [{ duration_s = 120 }, { duration_s = 30, turn_rate_deg_s = 3 }]
    /// squawks = [{ at_s = 300, code = 0o7700 }]
    /// ```
    pub fn from_toml(text: &str) -> Result<Self, ScenarioError> {
        toml::from_str(text).map_err(|e: toml::de::Error| {
            ScenarioError::Scenario(e.to_string().trim_end().to_string())
        })
    }
}

/// A scenario that cannot be simulated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScenarioError {
    #[error("scenario: {0}")]
    Scenario(String),
    #[error("radar {name}: {message}")]
    Radar { name: String, message: String },
    #[error("aircraft {name}: {message}")]
    Aircraft { name: String, message: String },
}

/// The true state of one aircraft at one time.
#[derive(Debug, Clone, PartialEq)]
pub struct TruthSample {
    pub time_s: f64,
    /// Index of the aircraft in the scenario.
    pub aircraft: usize,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub altitude_m: f64,
    pub velocity_east_mps: f64,
    pub velocity_north_mps: f64,
    pub mode3a: Option<u16>,
    pub mode_s: Option<u32>,
}

/// What the simulator emits, in emission order.
#[derive(Debug, Clone, PartialEq)]
pub enum SimEvent {
    /// A radar plot; `truth` is the aircraft index, `None` for clutter.
    Plot {
        radar: usize,
        plot: RadarPlot,
        truth: Option<usize>,
    },
    /// The beam of `radar` crossed into `sector` at `azimuth_deg` (sector 0: north marker).
    SectorCrossing {
        radar: usize,
        sector: u16,
        azimuth_deg: f64,
        time_s: f64,
    },
    /// An ADS-B report from aircraft `truth`.
    Adsb { report: AdsbReport, truth: usize },
    /// Ground truth of one aircraft.
    Truth(TruthSample),
}

impl SimEvent {
    /// Detection or report time (for a plot, the time the beam saw it).
    pub fn time_s(&self) -> f64 {
        match self {
            SimEvent::Plot { plot, .. } => plot.time_s,
            SimEvent::SectorCrossing { time_s, .. } => *time_s,
            SimEvent::Adsb { report, .. } => report.time_s,
            SimEvent::Truth(t) => t.time_s,
        }
    }
}

/// Kinematic state of an aircraft.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KinState {
    pub ecef: Ecef,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub altitude_m: f64,
    pub velocity_east_mps: f64,
    pub velocity_north_mps: f64,
}

#[derive(Debug, Clone)]
struct LegState {
    t0: f64,
    duration_s: f64,
    plane: TangentPlane,
    heading0_rad: f64,
    speed0_mps: f64,
    turn_rad_s: f64,
    accel_mps2: f64,
    climb_mps: f64,
    alt0_m: f64,
}

impl LegState {
    fn at(&self, t: f64) -> Option<KinState> {
        let tau = (t - self.t0).max(0.0);
        let h0 = self.heading0_rad;
        let (e, n, ve, vn) = if self.turn_rad_s.abs() > 1e-9 {
            let w = self.turn_rad_s;
            let v = self.speed0_mps;
            let h = h0 + w * tau;
            (
                v / w * (h0.cos() - h.cos()),
                v / w * (h.sin() - h0.sin()),
                v * h.sin(),
                v * h.cos(),
            )
        } else {
            let s = self.speed0_mps * tau + 0.5 * self.accel_mps2 * tau * tau;
            let v = self.speed0_mps + self.accel_mps2 * tau;
            (s * h0.sin(), s * h0.cos(), v * h0.sin(), v * h0.cos())
        };
        let foot = self.plane.to_ecef(e, n)?;
        let (vel_e, vel_n) = plane_velocity_to_local(&self.plane, foot, ve, vn);
        let mut g = foot.to_geodetic();
        g.height_m = self.alt0_m + self.climb_mps * tau;
        Some(KinState {
            ecef: g.to_ecef(),
            lat_deg: g.lat_deg,
            lon_deg: g.lon_deg,
            altitude_m: g.height_m,
            velocity_east_mps: vel_e,
            velocity_north_mps: vel_n,
        })
    }
}

/// An aircraft's whole flight, leg by leg.
#[derive(Debug, Clone)]
pub struct Trajectory {
    start_s: f64,
    end_s: f64,
    legs: Vec<LegState>,
}

impl Trajectory {
    fn new(ac: &SimAircraft, scenario_start_s: f64) -> Result<Self, ScenarioError> {
        let bad = |m: &str| {
            Err(ScenarioError::Aircraft {
                name: ac.name.clone(),
                message: m.to_string(),
            })
        };
        let numbers = [
            ac.lat_deg,
            ac.lon_deg,
            ac.altitude_m,
            ac.heading_deg,
            ac.speed_mps,
            ac.start_s,
        ];
        if numbers.iter().any(|v| !v.is_finite()) || ac.lat_deg.abs() >= 89.0 {
            return bad(
                "position, heading, speed and start must be finite (latitude within 89 degrees)",
            );
        }
        if !positive(ac.speed_mps) {
            return bad("speed must be positive");
        }
        if ac.adsb && ac.mode_s.is_none() {
            return bad("ADS-B needs a Mode S address");
        }
        if ac.mode_s.is_some_and(|a| a > 0xFF_FFFF) {
            return bad("Mode S address has more than 24 bits");
        }
        if ac
            .mode3a
            .into_iter()
            .chain(ac.squawks.iter().map(|s| s.code))
            .any(|c| c > 0o7777)
        {
            return bad("Mode 3/A code above 7777 (octal)");
        }
        let start_s = scenario_start_s + ac.start_s;
        let end_s = ac.end_s.map_or(f64::INFINITY, |e| scenario_start_s + e);
        let mut legs = Vec::with_capacity(ac.legs.len() + 1);
        let mut t0 = start_s;
        let (mut lat, mut lon, mut alt) = (ac.lat_deg, ac.lon_deg, ac.altitude_m);
        let mut heading = ac.heading_deg.to_radians();
        let mut speed = ac.speed_mps;
        let final_leg = Leg {
            duration_s: f64::INFINITY,
            ..Leg::default()
        };
        for (i, leg) in ac
            .legs
            .iter()
            .chain(std::iter::once(&final_leg))
            .enumerate()
        {
            let is_final = i == ac.legs.len();
            if !is_final && !positive(leg.duration_s) {
                return bad("leg durations must be positive");
            }
            if leg.turn_rate_deg_s != 0.0 && leg.acceleration_mps2 != 0.0 {
                return bad("a leg turns or accelerates, not both");
            }
            if ![leg.turn_rate_deg_s, leg.acceleration_mps2, leg.climb_mps]
                .iter()
                .all(|v| v.is_finite())
            {
                return bad("leg rates must be finite");
            }
            let state = LegState {
                t0,
                duration_s: leg.duration_s,
                plane: TangentPlane::new(lat, lon),
                heading0_rad: heading,
                speed0_mps: speed,
                turn_rad_s: leg.turn_rate_deg_s.to_radians(),
                accel_mps2: leg.acceleration_mps2,
                climb_mps: leg.climb_mps,
                alt0_m: alt,
            };
            if !is_final {
                let end_speed = speed + leg.acceleration_mps2 * leg.duration_s;
                if !(end_speed.is_finite() && end_speed > 1.0) {
                    return bad("a leg slows the aircraft below 1 m/s");
                }
                let Some(end) = state.at(t0 + leg.duration_s) else {
                    return bad("a leg flies off the map");
                };
                lat = end.lat_deg;
                lon = end.lon_deg;
                alt = end.altitude_m;
                heading = end.velocity_east_mps.atan2(end.velocity_north_mps);
                speed = end.velocity_east_mps.hypot(end.velocity_north_mps);
                t0 += leg.duration_s;
                if lat.abs() >= 89.0 {
                    return bad("a leg flies too close to a pole");
                }
            }
            legs.push(state);
        }
        Ok(Self {
            start_s,
            end_s,
            legs,
        })
    }

    /// The state at `t`, or `None` if the aircraft is not flying then.
    pub fn at(&self, t: f64) -> Option<KinState> {
        if !(t >= self.start_s && t <= self.end_s) {
            return None;
        }
        let idx = self.legs.partition_point(|l| l.t0 <= t).saturating_sub(1);
        let leg = self.legs.get(idx)?;
        if t > leg.t0 + leg.duration_s {
            return None;
        }
        leg.at(t)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Due {
    time_s: f64,
    seq: u64,
    kind: DueKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DueKind {
    /// End of a radar's global sector index.
    Sector {
        radar: usize,
        sector: i64,
    },
    Adsb {
        aircraft: usize,
    },
    Truth,
}

impl Eq for Due {}
impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Due {
    fn cmp(&self, other: &Self) -> Ordering {
        self.time_s
            .total_cmp(&other.time_s)
            .then(self.seq.cmp(&other.seq))
    }
}

#[derive(Debug)]
struct RadarRun {
    cfg: SimRadar,
    model: RadarModel,
    rng: Rng,
    t0: f64,
    sector_deg: f64,
    /// Candidates per global sector index: (aircraft, guessed detection time).
    buckets: HashMap<i64, Vec<(usize, f64)>>,
    prepared_scan: Option<i64>,
    /// Last scan each aircraft was detected in (one detection per scan).
    detected_scan: Vec<i64>,
}

impl RadarRun {
    fn time_of(&self, beam: f64) -> f64 {
        self.t0 + (beam - self.cfg.start_azimuth_deg) * self.cfg.period_s / 360.0
    }
    /// Radar horizon for a target at `height_m`, metres (4/3 earth).
    fn horizon_m(&self, height_m: f64) -> f64 {
        let k_r = 4.0 / 3.0 * 6_371_000.0;
        (2.0 * k_r * height_m.max(0.0)).sqrt() + (2.0 * k_r * self.cfg.height_m.max(0.0)).sqrt()
    }
}

/// The simulator (see module doc).
#[derive(Debug)]
pub struct Simulator {
    scenario: Scenario,
    trajectories: Vec<Trajectory>,
    radars: Vec<RadarRun>,
    adsb_rng: Rng,
    queue: BinaryHeap<Reverse<Due>>,
    pending: VecDeque<SimEvent>,
    seq: u64,
    end_s: f64,
    next_truth_k: u64,
}

impl Simulator {
    /// Validates the scenario and sets the simulation at its start.
    pub fn new(scenario: Scenario) -> Result<Self, ScenarioError> {
        if !positive(scenario.duration_s) || !scenario.start_time_s.is_finite() {
            return Err(ScenarioError::Scenario(
                "duration must be positive and start finite".into(),
            ));
        }
        if !positive(scenario.truth_period_s) {
            return Err(ScenarioError::Scenario(
                "truth period must be positive".into(),
            ));
        }
        let t0 = scenario.start_time_s;
        let trajectories = scenario
            .aircraft
            .iter()
            .map(|a| Trajectory::new(a, t0))
            .collect::<Result<Vec<_>, _>>()?;
        let mut radars = Vec::new();
        for (i, r) in scenario.radars.iter().enumerate() {
            let bad = |m: &str| {
                Err(ScenarioError::Radar {
                    name: r.name.clone(),
                    message: m.to_string(),
                })
            };
            let numbers = [
                r.lat_deg,
                r.lon_deg,
                r.height_m,
                r.range_bias_m,
                r.azimuth_bias_deg,
                r.start_azimuth_deg,
            ];
            if numbers.iter().any(|v| !v.is_finite()) || r.lat_deg.abs() > 89.0 {
                return bad("position, biases and start azimuth must be finite");
            }
            if !positive(r.period_s)
                || !positive(r.max_range_m - r.min_range_m)
                || r.min_range_m < 0.0
                || r.sectors == 0
            {
                return bad("period, sectors and ranges must be positive, max above min");
            }
            if !within(r.pd, 0.0, 1.0)
                || !non_negative(r.range_sigma_m)
                || !non_negative(r.azimuth_sigma_deg)
                || !non_negative(r.clutter_per_scan)
            {
                return bad("pd must be in 0..1, sigmas and clutter non-negative");
            }
            let own_plane = TangentPlane::new(r.lat_deg, r.lon_deg);
            let model = RadarModel::new(r.tracker_config(false), &own_plane);
            radars.push(RadarRun {
                cfg: r.clone(),
                model,
                rng: Rng::new(scenario.seed, 1 + i as u64),
                t0,
                sector_deg: 360.0 / f64::from(r.sectors),
                buckets: HashMap::new(),
                prepared_scan: None,
                detected_scan: vec![i64::MIN; trajectories.len()],
            });
        }
        let mut sim = Self {
            adsb_rng: Rng::new(scenario.seed, 0),
            end_s: t0 + scenario.duration_s,
            trajectories,
            radars,
            queue: BinaryHeap::new(),
            pending: VecDeque::new(),
            seq: 0,
            next_truth_k: 0,
            scenario,
        };
        for i in 0..sim.radars.len() {
            let r = &sim.radars[i];
            let first = (r.cfg.start_azimuth_deg / r.sector_deg).floor() as i64;
            let end = r.time_of((first + 1) as f64 * r.sector_deg);
            sim.schedule(
                end,
                DueKind::Sector {
                    radar: i,
                    sector: first,
                },
            );
        }
        if let Some(adsb) = sim.scenario.adsb.clone() {
            for (i, ac) in sim.scenario.aircraft.iter().enumerate() {
                if ac.adsb {
                    let phase = sim.adsb_rng.uniform() * adsb.period_s;
                    let first = sim.trajectories[i].start_s + phase;
                    sim.queue.push(Reverse(Due {
                        time_s: first,
                        seq: sim.seq,
                        kind: DueKind::Adsb { aircraft: i },
                    }));
                    sim.seq += 1;
                }
            }
        }
        sim.schedule(t0, DueKind::Truth);
        Ok(sim)
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The true state of aircraft `i` at `t`.
    pub fn truth_at(&self, aircraft: usize, t: f64) -> Option<KinState> {
        self.trajectories.get(aircraft)?.at(t)
    }

    /// The radars as a tracker should be told about them.
    pub fn tracker_radars(&self, bias_known: bool) -> Vec<RadarConfig> {
        self.scenario
            .radars
            .iter()
            .map(|r| r.tracker_config(bias_known))
            .collect()
    }

    fn schedule(&mut self, time_s: f64, kind: DueKind) {
        self.queue.push(Reverse(Due {
            time_s,
            seq: self.seq,
            kind,
        }));
        self.seq += 1;
    }

    /// The next event, or `None` at the end of the scenario.
    pub fn next_event(&mut self) -> Option<SimEvent> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Some(e);
            }
            let Reverse(due) = self.queue.pop()?;
            if due.time_s > self.end_s {
                self.queue.clear();
                return None;
            }
            match due.kind {
                DueKind::Sector { radar, sector } => self.run_sector(radar, sector),
                DueKind::Adsb { aircraft } => self.run_adsb(aircraft, due.time_s),
                DueKind::Truth => self.run_truth(due.time_s),
            }
        }
    }

    fn run_truth(&mut self, t: f64) {
        for (i, traj) in self.trajectories.iter().enumerate() {
            if let Some(s) = traj.at(t) {
                let ac = &self.scenario.aircraft[i];
                self.pending.push_back(SimEvent::Truth(TruthSample {
                    time_s: t,
                    aircraft: i,
                    lat_deg: s.lat_deg,
                    lon_deg: s.lon_deg,
                    altitude_m: s.altitude_m,
                    velocity_east_mps: s.velocity_east_mps,
                    velocity_north_mps: s.velocity_north_mps,
                    mode3a: ac.code_at(t - self.scenario.start_time_s),
                    mode_s: ac.mode_s,
                }));
            }
        }
        self.next_truth_k += 1;
        let next =
            self.scenario.start_time_s + self.next_truth_k as f64 * self.scenario.truth_period_s;
        self.schedule(next, DueKind::Truth);
    }

    fn run_adsb(&mut self, i: usize, t: f64) {
        let Some(adsb) = self.scenario.adsb.clone() else {
            return;
        };
        let traj = &self.trajectories[i];
        if t > traj.end_s {
            return;
        }
        if let Some(s) = traj.at(t) {
            let ac = &self.scenario.aircraft[i];
            let rng = &mut self.adsb_rng;
            let local = TangentPlane::new(s.lat_deg, s.lon_deg);
            let de = adsb.position_sigma_m * rng.normal();
            let dn = adsb.position_sigma_m * rng.normal();
            let noisy = local
                .to_geodetic(de, dn)
                .unwrap_or(Geodetic::new(s.lat_deg, s.lon_deg, 0.0));
            let ve = s.velocity_east_mps + adsb.velocity_sigma_mps * rng.normal();
            let vn = s.velocity_north_mps + adsb.velocity_sigma_mps * rng.normal();
            self.pending.push_back(SimEvent::Adsb {
                report: AdsbReport {
                    time_s: t,
                    address: ac.mode_s.unwrap_or(0),
                    lat_deg: noisy.lat_deg,
                    lon_deg: noisy.lon_deg,
                    altitude_m: Some(s.altitude_m),
                    velocity_mps: Some([ve, vn]),
                    position_sigma_m: Some(adsb.position_sigma_m),
                    mode3a: ac.code_at(t - self.scenario.start_time_s),
                    callsign: ac.callsign.clone(),
                },
                truth: i,
            });
        }
        self.schedule(t + adsb.period_s, DueKind::Adsb { aircraft: i });
    }

    /// Finds, for every aircraft, where the beam will meet it during `scan`, and files it under
    /// that sector.
    fn prepare_scan(&mut self, radar: usize, scan: i64) {
        let run = &mut self.radars[radar];
        let lo = (scan as f64 * 360.0).max(run.cfg.start_azimuth_deg);
        let hi = (scan + 1) as f64 * 360.0;
        let t_lo = run.time_of(lo);
        let t_hi = run.time_of(hi);
        for (i, traj) in self.trajectories.iter().enumerate() {
            if traj.start_s > t_hi || traj.end_s < t_lo {
                continue;
            }
            let mut t = t_lo.max(traj.start_s);
            let mut beam = None;
            for _ in 0..3 {
                let Some(s) = traj.at(t) else { break };
                let (_, az) = run.model.measure(s.ecef);
                let u = lo + wrap_360(az - wrap_360(lo));
                beam = Some(u);
                t = run.time_of(u);
            }
            if let Some(u) = beam
                && u < hi
            {
                let sector = (u / run.sector_deg).floor() as i64;
                run.buckets.entry(sector).or_default().push((i, t));
            }
        }
        run.prepared_scan = Some(scan);
    }

    fn run_sector(&mut self, radar: usize, sector: i64) {
        let per_scan = i64::from(self.radars[radar].cfg.sectors);
        let scan = sector.div_euclid(per_scan);
        if self.radars[radar].prepared_scan.is_none_or(|p| p < scan) {
            self.prepare_scan(radar, scan);
        }
        let start_rel = self.scenario.start_time_s;
        let run = &mut self.radars[radar];
        let lo = sector as f64 * run.sector_deg;
        let hi = lo + run.sector_deg;
        let mut plots: Vec<(f64, RadarPlot, Option<usize>)> = Vec::new();
        let candidates = run.buckets.remove(&sector).unwrap_or_default();
        for (i, t_guess) in candidates {
            if run.detected_scan[i] == scan {
                continue;
            }
            let traj = &self.trajectories[i];
            let Some(s) = traj.at(t_guess) else { continue };
            let (_, az) = run.model.measure(s.ecef);
            // Refine once more; keep it in this sector (it was filed here from a close guess).
            let u = (scan as f64 * 360.0 + wrap_360(az)).clamp(lo, hi - 1e-9);
            let t = run.time_of(u);
            let Some(s) = traj.at(t) else { continue };
            run.detected_scan[i] = scan;
            let (range, az) = run.model.measure(s.ecef);
            let ground = {
                let radar_foot = Geodetic::new(run.cfg.lat_deg, run.cfg.lon_deg, 0.0).to_ecef();
                let mut g = s.ecef.to_geodetic();
                g.height_m = 0.0;
                g.to_ecef().minus(radar_foot).norm()
            };
            if range > run.cfg.max_range_m
                || range < run.cfg.min_range_m
                || ground > run.horizon_m(s.altitude_m)
            {
                continue;
            }
            if !run.rng.bernoulli(run.cfg.pd) {
                continue;
            }
            let ac = &self.scenario.aircraft[i];
            let noisy_range =
                range + run.cfg.range_bias_m + run.cfg.range_sigma_m * run.rng.normal();
            let noisy_az = wrap_360(
                az + run.cfg.azimuth_bias_deg + run.cfg.azimuth_sigma_deg * run.rng.normal(),
            );
            let ssr = run.cfg.ssr && ac.transponder();
            plots.push((
                u,
                RadarPlot {
                    time_s: t,
                    range_m: noisy_range.max(0.0),
                    azimuth_deg: noisy_az,
                    mode3a: if ssr { ac.code_at(t - start_rel) } else { None },
                    mode_s: if ssr { ac.mode_s } else { None },
                    // Mode C resolution: 25 ft.
                    altitude_m: ssr.then(|| (s.altitude_m / 7.62).round() * 7.62),
                    callsign: if ssr && ac.mode_s.is_some() {
                        ac.callsign.clone()
                    } else {
                        None
                    },
                },
                Some(i),
            ));
        }
        // Clutter, uniform over the sector's annulus.
        let n_false = run
            .rng
            .poisson(run.cfg.clutter_per_scan / f64::from(run.cfg.sectors));
        for _ in 0..n_false {
            let u = lo + run.rng.uniform() * run.sector_deg;
            let (r0, r1) = (run.cfg.min_range_m, run.cfg.max_range_m);
            let range = (r0 * r0 + run.rng.uniform() * (r1 * r1 - r0 * r0)).sqrt();
            plots.push((
                u,
                RadarPlot {
                    time_s: run.time_of(u),
                    range_m: range,
                    azimuth_deg: wrap_360(u),
                    ..RadarPlot::default()
                },
                None,
            ));
        }
        plots.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (_, plot, truth) in plots {
            self.pending
                .push_back(SimEvent::Plot { radar, plot, truth });
        }
        let run = &self.radars[radar];
        let end_time = run.time_of(hi);
        let next_sector = (sector + 1).rem_euclid(per_scan) as u16;
        self.pending.push_back(SimEvent::SectorCrossing {
            radar,
            sector: next_sector,
            azimuth_deg: wrap_360(hi),
            time_s: end_time,
        });
        let next_end = run.time_of(hi + run.sector_deg);
        self.schedule(
            next_end,
            DueKind::Sector {
                radar,
                sector: sector + 1,
            },
        );
    }
}

/// The plot as a slant-range radar (ASTERIX CAT048 I048/040) would report it. A plane-geometry
/// plot (the offline definition) is re-expressed exactly: its ground point, raised to its Mode C
/// altitude (or [`crate::sensor::ASSUMED_HEIGHT_M`] without one, as the tracker will assume),
/// measured in slant range and azimuth from the antenna; a tracker reading it back with the
/// slant geometry finds the same ground point. Slant plots are returned unchanged.
pub fn slant_plot(radar: &SimRadar, plot: &RadarPlot) -> Option<RadarPlot> {
    if radar.geometry == RangeGeometry::Slant {
        return Some(plot.clone());
    }
    let plane = TangentPlane::new(radar.lat_deg, radar.lon_deg);
    let az = plot.azimuth_deg.to_radians();
    let foot = plane.to_ecef(plot.range_m * az.sin(), plot.range_m * az.cos())?;
    let mut g = foot.to_geodetic();
    g.height_m = plot.altitude_m.unwrap_or(crate::sensor::ASSUMED_HEIGHT_M);
    let mut slant = radar.tracker_config(false);
    slant.geometry = RangeGeometry::Slant;
    let model = RadarModel::new(slant, &plane);
    let (range_m, azimuth_deg) = model.measure(g.to_ecef());
    Some(RadarPlot {
        range_m,
        azimuth_deg,
        ..plot.clone()
    })
}

impl Iterator for Simulator {
    type Item = SimEvent;
    fn next(&mut self) -> Option<SimEvent> {
        self.next_event()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn radar() -> SimRadar {
        SimRadar {
            name: "R1".into(),
            sac: 1,
            sic: 1,
            lat_deg: 14.0,
            lon_deg: 1.0,
            height_m: 20.0,
            range_sigma_m: 0.0,
            azimuth_sigma_deg: 0.0,
            range_bias_m: 0.0,
            azimuth_bias_deg: 0.0,
            pd: 1.0,
            period_s: 4.0,
            max_range_m: 250_000.0,
            min_range_m: 0.0,
            start_azimuth_deg: 0.0,
            clutter_per_scan: 0.0,
            ssr: true,
            geometry: RangeGeometry::Plane,
            sectors: 32,
        }
    }

    fn aircraft() -> SimAircraft {
        SimAircraft {
            name: "A1".into(),
            start_s: 0.0,
            end_s: None,
            lat_deg: 14.5,
            lon_deg: 1.5,
            altitude_m: 9000.0,
            heading_deg: 90.0,
            speed_mps: 200.0,
            legs: vec![Leg {
                duration_s: 60.0,
                turn_rate_deg_s: 3.0,
                ..Leg::default()
            }],
            mode_s: Some(0xABCDEF),
            mode3a: Some(0o1234),
            callsign: Some("TEST1".into()),
            adsb: true,
            squawks: vec![],
        }
    }

    fn scenario() -> Scenario {
        Scenario {
            name: "t".into(),
            seed: 1,
            start_time_s: 1000.0,
            duration_s: 120.0,
            truth_period_s: 1.0,
            radars: vec![radar()],
            adsb: Some(SimAdsb {
                name: "ADSB".into(),
                sac: 1,
                sic: 100,
                period_s: 1.0,
                position_sigma_m: 0.0,
                velocity_sigma_mps: 0.0,
            }),
            aircraft: vec![aircraft()],
        }
    }

    #[test]
    fn one_plot_per_scan_in_time_order_per_radar_and_exact_without_noise() {
        let sim = Simulator::new(scenario()).expect("valid");
        let truth = Simulator::new(scenario()).expect("valid");
        let mut last_time = f64::NEG_INFINITY;
        let mut n_plots = 0;
        let mut n_markers = 0;
        for e in sim {
            match e {
                SimEvent::Plot {
                    plot,
                    truth: Some(i),
                    ..
                } => {
                    assert!(plot.time_s >= last_time);
                    last_time = plot.time_s;
                    n_plots += 1;
                    let s = truth.truth_at(i, plot.time_s).expect("alive");
                    let (r, az) = truth.radars[0].model.measure(s.ecef);
                    assert!(
                        (r - plot.range_m).abs() < 1e-6 && (az - plot.azimuth_deg).abs() < 1e-9
                    );
                    assert_eq!(plot.mode3a, Some(0o1234));
                }
                SimEvent::SectorCrossing { sector: 0, .. } => n_markers += 1,
                _ => {}
            }
        }
        assert_eq!(n_markers, 30);
        assert!((29..=31).contains(&n_plots), "{n_plots}");
    }

    #[test]
    fn turn_leg_turns_90_degrees_in_30_seconds() {
        let mut s = scenario();
        s.aircraft[0].legs = vec![Leg {
            duration_s: 30.0,
            turn_rate_deg_s: 3.0,
            ..Leg::default()
        }];
        let sim = Simulator::new(s).expect("valid");
        let end = sim.truth_at(0, 1030.0).expect("alive");
        let heading = end
            .velocity_east_mps
            .atan2(end.velocity_north_mps)
            .to_degrees();
        assert!(
            (heading - 180.0).abs() < 0.1 || (heading + 180.0).abs() < 0.1,
            "{heading}"
        );
        let speed = end.velocity_east_mps.hypot(end.velocity_north_mps);
        assert!((speed - 200.0).abs() < 0.5, "{speed}");
    }

    #[test]
    fn same_seed_same_events() {
        let a: Vec<SimEvent> = Simulator::new(scenario())
            .expect("valid")
            .take(500)
            .collect();
        let b: Vec<SimEvent> = Simulator::new(scenario())
            .expect("valid")
            .take(500)
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn plane_plots_become_slant_plots_that_locate_the_same_point() {
        let r = radar();
        let plot = RadarPlot {
            time_s: 0.0,
            range_m: 150_000.0,
            azimuth_deg: 33.0,
            altitude_m: Some(9_000.0),
            ..RadarPlot::default()
        };
        let slant = slant_plot(&r, &plot).expect("slant");
        assert!(slant.range_m > plot.range_m);
        let own = TangentPlane::new(r.lat_deg, r.lon_deg);
        let plane_model = RadarModel::new(r.tracker_config(false), &own);
        let mut cfg = r.tracker_config(false);
        cfg.geometry = RangeGeometry::Slant;
        let slant_model = RadarModel::new(cfg, &own);
        let (a, _, _) = plane_model.locate(&plot).expect("plane");
        let (b, _, _) = slant_model.locate(&slant).expect("slant");
        assert!(a.minus(b).norm() < 0.01, "{}", a.minus(b).norm());
    }

    #[test]
    fn documented_example_parses() {
        let doc = include_str!("sim.rs");
        let start = doc.find("/// ```toml").expect("example") + "/// ```toml".len();
        let end = start + doc[start..].find("/// ```").expect("end of example");
        let text: String = doc[start..end]
            .lines()
            .map(|l| {
                l.trim_start()
                    .trim_start_matches("///")
                    .strip_prefix(' ')
                    .unwrap_or("")
            })
            .collect::<Vec<_>>()
            .join("\n");
        let s = Scenario::from_toml(&text).expect("the documented example parses");
        assert!(Simulator::new(s).is_ok());
    }

    #[test]
    fn scenario_toml_round_trip_and_typos_are_errors() {
        let text = r#"
name = "t"
duration_s = 60
[[radar]]
name = "R1"
lat_deg = 14.0
lon_deg = 1.0
range_sigma_m = 50
azimuth_sigma_deg = 0.1
pd = 0.9
period_s = 4
max_range_m = 200000
[[aircraft]]
name = "A"
lat_deg = 14.5
lon_deg = 1.2
altitude_m = 3000
heading_deg = 90
speed_mps = 150
mode3a = 0o7700
legs = [{ duration_s = 30, turn_rate_deg_s = 3 }]
"#;
        let s = Scenario::from_toml(text).expect("parse");
        assert_eq!(s.aircraft[0].mode3a, Some(0o7700));
        assert!(Simulator::new(s).is_ok());
        let e = Scenario::from_toml(&text.replace("speed_mps", "sped_mps")).expect_err("typo");
        assert!(e.to_string().contains("sped_mps"), "{e}");
    }

    #[test]
    fn bad_scenarios_are_refused() {
        let mut s = scenario();
        s.aircraft[0].speed_mps = -1.0;
        assert!(Simulator::new(s).is_err());
        let mut s = scenario();
        s.radars[0].period_s = 0.0;
        assert!(Simulator::new(s).is_err());
        let mut s = scenario();
        s.aircraft[0].legs[0].acceleration_mps2 = 1.0;
        assert!(Simulator::new(s).is_err());
    }
}
