//! Partners' system tracks as a sensor kind of their own: the input types, their validation,
//! and the estimation arithmetic of track-to-track fusion.
//!
//! A partner node (or another system sending CAT062) reports *system tracks*: states that
//! are already the output of a tracker, each carrying the information of many measurements.
//! Feeding them to a Kalman filter as if they were plots would count the same measurements
//! again at every report (the partner's state at `t` already contains everything its state at
//! `t - 1` did), and make the joint track far more confident than it is. So a partner track is
//! never an update of one of our filters: the tracker keeps the partner's *latest* state as it
//! came, predicts it to the picture time, and combines it with its own estimate by
//! **covariance intersection** ([`covariance_intersection`]), which is consistent whatever the
//! correlation between the two (common process noise, or the partner's estimate already holding
//! some of our own data).
//!
//! [`SystemTrackSourceConfig`] describes one source (a partner node, an external system);
//! [`SystemTrackReport`] is one state of one of its tracks; [`crate::Tracker::push_system_track`]
//! takes it. What a [`crate::Tracker`] sends its partners is the same type, built from its own
//! sensors' estimate by [`crate::SystemTrack::report`].

use crate::filter::{add_white_acceleration, turn_transition};
use crate::geo::{Geodetic, TangentPlane, local_velocity_to_plane, plane_to_plane_jacobian};
use crate::mat::{Mat, Vector};

/// A 4-state: plane east, north (m), east, north velocity (m/s).
pub type State4 = Vector<4>;
/// Its covariance.
pub type Cov4 = Mat<4, 4>;

/// One source of system tracks: a partner node, or another system's CAT062 feed.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemTrackSourceConfig {
    /// Name in errors, logs and contributions (a partner's nation code, or the system's name).
    pub name: String,
    /// Nation of the source, ISO alpha-3: names the contribution of a report that lists no
    /// contributors of its own (a CAT062 feed).
    pub nation: Option<String>,
    /// Position standard deviation per axis for reports that carry no accuracy, metres.
    pub position_sigma_m: f64,
    /// Velocity standard deviation per axis for reports that carry no accuracy, m/s.
    pub velocity_sigma_mps: f64,
    /// Acceleration noise used to carry a report forward to the picture time, m²/s³ per axis.
    pub accel_psd: f64,
    /// A track of this source not reported for this long ends, seconds. It must exceed the
    /// longest interval the link's scheduler leaves between two reports of one track.
    pub stale_after_s: f64,
    /// Reports claiming a position standard deviation above this (or below 0.1 m) are refused
    /// as absurd, metres.
    pub max_position_sigma_m: f64,
    /// Same for the velocity (refused below 0.01 m/s), m/s.
    pub max_velocity_sigma_mps: f64,
    /// Slack of the correlation test against our tracks, per axis: what the two systems'
    /// registration and time-stamping may disagree by beyond their stated accuracies, metres.
    /// It only widens the test; the fusion uses the stated accuracies.
    pub alignment_sigma_m: f64,
    /// The same for velocities, m/s.
    pub alignment_sigma_mps: f64,
    /// A track of this source not reported for this long, while a newer track of the same
    /// source fits the same joint track, is taken as replaced by it (the source lost the
    /// aircraft and started again, or restarted and numbers its tracks anew), seconds.
    pub replace_after_s: f64,
    /// Most tracks held from this source at once: a report that would start one more is
    /// refused (a partner cannot fill our memory).
    pub max_tracks: usize,
    /// The best accuracy believed of this source, position and velocity standard deviations
    /// per axis (m, m/s): an axis claiming better gets variance added up to it, so no source
    /// (a faulty or hostile one included) takes over a joint track by claiming precision.
    pub min_position_sigma_m: f64,
    pub min_velocity_sigma_mps: f64,
}

impl SystemTrackSourceConfig {
    /// Defaults for a source called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            nation: None,
            position_sigma_m: 150.0,
            velocity_sigma_mps: 10.0,
            accel_psd: 4.0,
            stale_after_s: 20.0,
            max_position_sigma_m: 10_000.0,
            max_velocity_sigma_mps: 300.0,
            alignment_sigma_m: 100.0,
            alignment_sigma_mps: 5.0,
            replace_after_s: 5.0,
            max_tracks: 20_000,
            min_position_sigma_m: 5.0,
            min_velocity_sigma_mps: 0.5,
        }
    }
}

/// Who contributed to a track: a sensor and the nation it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Contributor {
    /// ISO alpha-3 code, if known.
    pub nation: Option<String>,
    /// The sensor's name as its nation gives it ("GAO", "ADSB").
    pub sensor: String,
}

/// How accurate a reported state is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReportAccuracy {
    /// Full covariance of (east, north, east velocity, north velocity) in the local frame at
    /// the track: m², m²/s, m²/s².
    Covariance([[f64; 4]; 4]),
    /// Standard deviations per axis, uncorrelated (CAT062 I062/500 APW and ATV).
    Sigmas {
        position_sigma_m: f64,
        velocity_sigma_mps: f64,
    },
    /// Nothing said: the source's defaults apply.
    Unknown,
}

/// One state of one system track of a source.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemTrackReport {
    /// The source's number for the track (a partner's track id, or a CAT062 track number).
    /// Sources reuse numbers; a report that cannot be the same aircraft starts a new track.
    pub track_number: u32,
    /// Time of the state, seconds on the tracker's time scale.
    pub time_s: f64,
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// Local east and north velocity, m/s, if the source gives one.
    pub velocity_mps: Option<[f64; 2]>,
    pub accuracy: ReportAccuracy,
    /// Turn rate, degrees per second, positive to the right (clockwise), if known.
    pub turn_rate_deg_s: Option<f64>,
    pub altitude_m: Option<f64>,
    pub mode3a: Option<u16>,
    pub mode_s: Option<u32>,
    pub callsign: Option<String>,
    /// Nations and sensors whose data the state holds (empty: the source's own nation and name).
    pub contributors: Vec<Contributor>,
    /// Time of the latest measurement the state holds, seconds (`None`: the state's time). A
    /// track coasting without measurements has an old one: when two estimates of one aircraft
    /// disagree, one coasting is believed less.
    pub updated_s: Option<f64>,
    /// The source's track missed its latest sensor updates (CAT062 I062/080 CST).
    pub coasting: bool,
}

impl Default for SystemTrackReport {
    fn default() -> Self {
        Self {
            track_number: 0,
            time_s: 0.0,
            lat_deg: 0.0,
            lon_deg: 0.0,
            velocity_mps: None,
            accuracy: ReportAccuracy::Unknown,
            turn_rate_deg_s: None,
            altitude_m: None,
            mode3a: None,
            mode_s: None,
            callsign: None,
            contributors: Vec::new(),
            updated_s: None,
            coasting: false,
        }
    }
}

/// Why a system track report was refused. Nothing of a refused report is kept.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportError {
    #[error("{what} is not a finite number")]
    NotFinite { what: &'static str },
    #[error("latitude {lat_deg} is outside -90..90")]
    BadLatitude { lat_deg: f64 },
    #[error("position is too far from the tracker's reference point to be mapped")]
    OffPlane,
    #[error("speed {speed_mps} m/s is beyond any aircraft")]
    AbsurdSpeed { speed_mps: f64 },
    #[error("turn rate {turn_rate_deg_s} deg/s is beyond any aircraft")]
    AbsurdTurnRate { turn_rate_deg_s: f64 },
    #[error("covariance is not symmetric positive definite")]
    NotPositiveDefinite,
    #[error("position standard deviation {sigma_m} m is outside 0.1..{max_m} m")]
    AbsurdPositionSigma { sigma_m: f64, max_m: f64 },
    #[error("velocity standard deviation {sigma_mps} m/s is outside 0.01..{max_mps} m/s")]
    AbsurdVelocitySigma { sigma_mps: f64, max_mps: f64 },
    #[error("Mode 3/A code {0:o} has more than 12 bits")]
    BadMode3a(u16),
    #[error("Mode S address {0:x} has more than 24 bits")]
    BadModeS(u32),
    #[error("{what} is too long")]
    TooLong { what: &'static str },
    #[error("the source already has {0} tracks held, its limit")]
    TooManyTracks(usize),
}

/// Largest turn rate a report may give, degrees per second.
const MAX_TURN_RATE_DEG_S: f64 = 45.0;
/// Velocity standard deviation assumed when a report gives no velocity, m/s.
const NO_VELOCITY_SIGMA_MPS: f64 = 300.0;
/// Limits on the strings a report carries.
const MAX_CALLSIGN: usize = 16;
const MAX_CONTRIBUTORS: usize = 32;
const MAX_NAME: usize = 32;

/// A partner state in the tracker plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PlaneState {
    pub time_s: f64,
    pub x: State4,
    pub p: Cov4,
    /// Turn rate in the plane, radians per second, counter-clockwise positive.
    pub omega: Option<f64>,
    /// Time of the latest measurement in the state.
    pub updated_s: f64,
    /// The source said its track was coasting.
    pub coasting: bool,
}

/// Checks a report against a source's limits and maps it into the tracker plane. Speed is
/// bounded by `max_speed_mps` (twice the tracker's fastest target: beyond is corrupt).
pub(crate) fn to_plane(
    config: &SystemTrackSourceConfig,
    system: &TangentPlane,
    report: &SystemTrackReport,
    max_speed_mps: f64,
) -> Result<PlaneState, ReportError> {
    let finite = |v: f64, what: &'static str| {
        if v.is_finite() {
            Ok(())
        } else {
            Err(ReportError::NotFinite { what })
        }
    };
    finite(report.time_s, "time")?;
    finite(report.lat_deg, "latitude")?;
    finite(report.lon_deg, "longitude")?;
    if report.lat_deg.abs() > 90.0 {
        return Err(ReportError::BadLatitude {
            lat_deg: report.lat_deg,
        });
    }
    if let Some([ve, vn]) = report.velocity_mps {
        finite(ve, "east velocity")?;
        finite(vn, "north velocity")?;
        let speed_mps = ve.hypot(vn);
        if speed_mps > max_speed_mps {
            return Err(ReportError::AbsurdSpeed { speed_mps });
        }
    }
    let omega = match report.turn_rate_deg_s {
        Some(w) => {
            finite(w, "turn rate")?;
            if w.abs() > MAX_TURN_RATE_DEG_S {
                return Err(ReportError::AbsurdTurnRate { turn_rate_deg_s: w });
            }
            // Clockwise degrees to counter-clockwise radians, as the filter keeps it.
            Some(-w.to_radians())
        }
        None => None,
    };
    if let Some(h) = report.altitude_m {
        finite(h, "altitude")?;
    }
    let updated_s = match report.updated_s {
        Some(u) => {
            finite(u, "update time")?;
            // Never later than the state itself.
            u.min(report.time_s)
        }
        None => report.time_s,
    };
    if let Some(code) = report.mode3a
        && code > 0o7777
    {
        return Err(ReportError::BadMode3a(code));
    }
    if let Some(address) = report.mode_s
        && address > 0xFF_FFFF
    {
        return Err(ReportError::BadModeS(address));
    }
    if report
        .callsign
        .as_ref()
        .is_some_and(|c| c.len() > MAX_CALLSIGN)
    {
        return Err(ReportError::TooLong { what: "callsign" });
    }
    if report.contributors.len() > MAX_CONTRIBUTORS
        || report.contributors.iter().any(|c| {
            c.sensor.len() > MAX_NAME || c.nation.as_ref().is_some_and(|n| n.len() > MAX_NAME)
        })
    {
        return Err(ReportError::TooLong {
            what: "contributor list",
        });
    }
    let local_cov = local_covariance(config, report)?;

    let p = Geodetic::new(report.lat_deg, report.lon_deg, 0.0).to_ecef();
    // Beyond the hemisphere of the reference point the plane mapping is meaningless.
    if p.dot(system.basis().up) <= 0.0 {
        return Err(ReportError::OffPlane);
    }
    let (x, y) = system.from_ecef(p);
    let [ve, vn] = report.velocity_mps.unwrap_or([0.0, 0.0]);
    let (vx, vy) = local_velocity_to_plane(system, p, ve, vn);
    let t = local_to_plane_jacobian(system, report.lat_deg, report.lon_deg);
    let cov = (t * local_cov * t.transpose()).symmetrized();
    let state = PlaneState {
        time_s: report.time_s,
        x: Vector::from_array([x, y, vx, vy]),
        p: cov,
        omega,
        updated_s,
        coasting: report.coasting,
    };
    if !(state.x.is_finite() && state.p.is_finite()) || state.p.cholesky().is_none() {
        return Err(ReportError::OffPlane);
    }
    Ok(state)
}

/// The report's covariance in its local frame, checked.
fn local_covariance(
    config: &SystemTrackSourceConfig,
    report: &SystemTrackReport,
) -> Result<Cov4, ReportError> {
    let max_p = config.max_position_sigma_m;
    let max_v = config.max_velocity_sigma_mps;
    let check_p = |s: f64| {
        if s.is_finite() && (0.1..=max_p).contains(&s) {
            Ok(())
        } else {
            Err(ReportError::AbsurdPositionSigma {
                sigma_m: s,
                max_m: max_p,
            })
        }
    };
    let check_v = |s: f64| {
        if s.is_finite() && (0.01..=max_v).contains(&s) {
            Ok(())
        } else {
            Err(ReportError::AbsurdVelocitySigma {
                sigma_mps: s,
                max_mps: max_v,
            })
        }
    };
    let mut cov = match report.accuracy {
        ReportAccuracy::Covariance(c) => {
            let m = Mat(c);
            if !m.is_finite() {
                return Err(ReportError::NotFinite { what: "covariance" });
            }
            for i in 0..4 {
                for j in (i + 1)..4 {
                    let (a, b) = (m.0[i][j], m.0[j][i]);
                    if (a - b).abs() > 1e-6 * (1.0 + a.abs().max(b.abs())) {
                        return Err(ReportError::NotPositiveDefinite);
                    }
                }
            }
            let m = m.symmetrized();
            if m.cholesky().is_none() {
                return Err(ReportError::NotPositiveDefinite);
            }
            for i in 0..2 {
                check_p(m.0[i][i].sqrt())?;
                check_v(m.0[2 + i][2 + i].sqrt())?;
            }
            m
        }
        ReportAccuracy::Sigmas {
            position_sigma_m,
            velocity_sigma_mps,
        } => {
            check_p(position_sigma_m)?;
            check_v(velocity_sigma_mps)?;
            let (p2, v2) = (position_sigma_m.powi(2), velocity_sigma_mps.powi(2));
            Mat::diagonal([p2, p2, v2, v2])
        }
        ReportAccuracy::Unknown => {
            let (p2, v2) = (
                config.position_sigma_m.powi(2),
                config.velocity_sigma_mps.powi(2),
            );
            Mat::diagonal([p2, p2, v2, v2])
        }
    };
    // The source's believable best: variance added where an axis claims more (adding to the
    // diagonal only ever makes the covariance larger).
    let floors = [
        config.min_position_sigma_m,
        config.min_position_sigma_m,
        config.min_velocity_sigma_mps,
        config.min_velocity_sigma_mps,
    ];
    for (i, floor) in floors.iter().enumerate() {
        let var = cov.0[i][i];
        let want = floor * floor;
        if var < want {
            cov.0[i][i] = want;
        }
    }
    if report.velocity_mps.is_none() {
        // No velocity: an uninformative one, uncorrelated with the position.
        let v2 = NO_VELOCITY_SIGMA_MPS * NO_VELOCITY_SIGMA_MPS;
        for i in 0..4 {
            for j in 0..4 {
                if i >= 2 || j >= 2 {
                    cov.0[i][j] = if i == j { v2 } else { 0.0 };
                }
            }
        }
    }
    Ok(cov)
}

/// Jacobian of (local east, north, east velocity, north velocity) at a point to the tracker
/// plane's (x, y, vx, vy).
pub(crate) fn local_to_plane_jacobian(system: &TangentPlane, lat_deg: f64, lon_deg: f64) -> Cov4 {
    let local = TangentPlane::new(lat_deg, lon_deg);
    let p = local.anchor().to_ecef();
    let j = plane_to_plane_jacobian(&local, system, p);
    let (ex, ey) = local_velocity_to_plane(system, p, 1.0, 0.0);
    let (nx, ny) = local_velocity_to_plane(system, p, 0.0, 1.0);
    Mat([
        [j[0][0], j[0][1], 0.0, 0.0],
        [j[1][0], j[1][1], 0.0, 0.0],
        [0.0, 0.0, ex, nx],
        [0.0, 0.0, ey, ny],
    ])
}

/// The inverse map: a plane covariance at a point to its local frame.
pub(crate) fn plane_to_local_covariance(
    system: &TangentPlane,
    lat_deg: f64,
    lon_deg: f64,
    p: &Cov4,
) -> Option<[[f64; 4]; 4]> {
    let t = local_to_plane_jacobian(system, lat_deg, lon_deg);
    let inv = invert_block_diagonal(&t)?;
    let local = (inv * *p * inv.transpose()).symmetrized();
    local.is_finite().then_some(local.0)
}

/// Inverse of a matrix made of two 2x2 diagonal blocks.
fn invert_block_diagonal(t: &Cov4) -> Option<Cov4> {
    let mut out = Cov4::zeros();
    for b in [0, 2] {
        let (a, c, d, e) = (t.0[b][b], t.0[b][b + 1], t.0[b + 1][b], t.0[b + 1][b + 1]);
        let det = a * e - c * d;
        if !(det.is_finite() && det.abs() > 1e-12) {
            return None;
        }
        out.0[b][b] = e / det;
        out.0[b][b + 1] = -c / det;
        out.0[b + 1][b] = -d / det;
        out.0[b + 1][b + 1] = a / det;
    }
    Some(out)
}

impl PlaneState {
    /// The state carried to `time_s` (forward or back) with constant velocity, or the reported
    /// turn rate, plus white acceleration noise of `accel_psd` over the gap.
    pub fn predict(&self, time_s: f64, accel_psd: f64) -> (State4, Cov4) {
        let dt = time_s - self.time_s;
        if dt == 0.0 {
            return (self.x, self.p);
        }
        let (x, f) = match self.omega {
            Some(w) => {
                // The filter's own turn model, with the reported turn rate held fixed.
                let x5 = Vector::from_array([
                    self.x.get(0),
                    self.x.get(1),
                    self.x.get(2),
                    self.x.get(3),
                    w,
                ]);
                let (y, f5) = turn_transition(&x5, dt);
                (
                    Vector::from_array([y.get(0), y.get(1), y.get(2), y.get(3)]),
                    f5.block::<4, 4>(),
                )
            }
            None => {
                let mut f = Cov4::identity();
                f.0[0][2] = dt;
                f.0[1][3] = dt;
                (f * self.x, f)
            }
        };
        let p = (f * self.p * f.transpose() + white_acceleration(accel_psd, dt)).symmetrized();
        (x, p)
    }
}

/// Process noise of a white-acceleration model over `|dt|` seconds.
pub(crate) fn white_acceleration(q: f64, dt: f64) -> Cov4 {
    let mut out = Cov4::zeros();
    add_white_acceleration(&mut out, q, dt.abs());
    out
}

/// Squared Mahalanobis distance between two estimates of one state, with `slack` added to
/// the covariance of their difference (cross-correlation ignored: that only widens the test).
pub fn mahalanobis2(a: (&State4, &Cov4), b: (&State4, &Cov4), slack: &Cov4) -> Option<f64> {
    let d = *a.0 - *b.0;
    let s = (*a.1 + *b.1 + *slack).symmetrized();
    let (inv, _) = s.spd_inverse_logdet()?;
    let d2 = d.quadratic_form(&inv);
    d2.is_finite().then_some(d2)
}

/// Covariance intersection of two estimates of one state whose cross-correlation is unknown:
/// `P⁻¹ = w A⁻¹ + (1 - w) B⁻¹`, `x = P (w A⁻¹ a + (1 - w) B⁻¹ b)`, with the weight `w` in
/// `[0, 1]` that minimises the trace of the fused position covariance (a convex function of
/// `w`, found by golden-section search). The result is consistent (its covariance bounds the
/// true error) for any correlation between the inputs, and its position covariance is never
/// larger than either input's (`w = 0` and `w = 1` give the inputs themselves). Returns the
/// fused state, its covariance and `w`; `None` if a covariance is not positive definite.
pub fn covariance_intersection(
    a: (&State4, &Cov4),
    b: (&State4, &Cov4),
) -> Option<(State4, Cov4, f64)> {
    let (ia, _) = a.1.spd_inverse_logdet()?;
    let (ib, _) = b.1.spd_inverse_logdet()?;
    let fused_cov = |w: f64| -> Option<Cov4> {
        let info = (ia.scale(w) + ib.scale(1.0 - w)).symmetrized();
        info.spd_inverse_logdet().map(|(p, _)| p)
    };
    let cost = |w: f64| fused_cov(w).map_or(f64::INFINITY, |p| p.0[0][0] + p.0[1][1]);
    // Golden-section search on [0, 1]: 30 steps narrow it to 2e-7.
    let ratio = 0.5 * (5.0_f64.sqrt() - 1.0);
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    let mut c = hi - ratio * (hi - lo);
    let mut d = lo + ratio * (hi - lo);
    let (mut fc, mut fd) = (cost(c), cost(d));
    for _ in 0..30 {
        if fc < fd {
            hi = d;
            d = c;
            fd = fc;
            c = hi - ratio * (hi - lo);
            fc = cost(c);
        } else {
            lo = c;
            c = d;
            fc = fd;
            d = lo + ratio * (hi - lo);
            fd = cost(d);
        }
    }
    let mut w = 0.5 * (lo + hi);
    // The optimum may sit at an end (one input better in every direction): take the best of
    // the interior point and the two inputs themselves.
    let interior = cost(w);
    let (ta, tb) = (a.1.0[0][0] + a.1.0[1][1], b.1.0[0][0] + b.1.0[1][1]);
    if ta <= interior && ta <= tb {
        return Some((*a.0, *a.1, 1.0));
    }
    if tb <= interior {
        return Some((*b.0, *b.1, 0.0));
    }
    w = w.clamp(0.0, 1.0);
    let p = fused_cov(w)?;
    let x = p * (ia * *a.0).scale(w) + p * (ib * *b.0).scale(1.0 - w);
    (x.is_finite() && p.is_finite()).then_some((x, p, w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(x: f64, y: f64) -> State4 {
        Vector::from_array([x, y, 100.0, 0.0])
    }

    #[test]
    fn ci_of_complementary_estimates_beats_both() {
        // One radar precise in x, the other in y (looking from perpendicular directions).
        let a = Mat::diagonal([25.0, 2500.0, 4.0, 4.0]);
        let b = Mat::diagonal([2500.0, 25.0, 4.0, 4.0]);
        let (x, p, w) =
            covariance_intersection((&state(0.0, 0.0), &a), (&state(10.0, 10.0), &b)).expect("ci");
        assert!((w - 0.5).abs() < 1e-3, "{w}");
        let trace = p.0[0][0] + p.0[1][1];
        assert!(trace < 2525.0 * 0.1, "{trace}");
        // Each axis follows the estimate precise on it.
        assert!(x.get(0) < 1.0 && x.get(1) > 9.0, "{:?}", x);
    }

    #[test]
    fn ci_never_worse_than_the_better_input_and_is_consistent() {
        let a = Mat::diagonal([100.0, 100.0, 1.0, 1.0]);
        let b = Mat::diagonal([10_000.0, 10_000.0, 100.0, 100.0]);
        let (x, p, w) =
            covariance_intersection((&state(0.0, 0.0), &a), (&state(500.0, 0.0), &b)).expect("ci");
        assert_eq!(w, 1.0);
        assert_eq!(x.get(0), 0.0);
        assert_eq!(p, a);
        // Identical estimates (fully correlated): CI returns the estimate, no false gain.
        let (_, p, _) =
            covariance_intersection((&state(0.0, 0.0), &a), (&state(0.0, 0.0), &a)).expect("ci");
        assert!((p.0[0][0] - 100.0).abs() < 1e-6, "{}", p.0[0][0]);
    }

    #[test]
    fn prediction_grows_the_covariance_and_turns() {
        let s = PlaneState {
            time_s: 0.0,
            x: Vector::from_array([0.0, 0.0, 200.0, 0.0]),
            p: Mat::diagonal([100.0, 100.0, 1.0, 1.0]),
            omega: None,
            updated_s: 0.0,
            coasting: false,
        };
        let (x, p) = s.predict(10.0, 4.0);
        assert!((x.get(0) - 2000.0).abs() < 1e-9);
        assert!(p.0[0][0] > 100.0 + 100.0 * 1.0 - 1e-9);
        let turning = PlaneState {
            omega: Some(3.0_f64.to_radians()),
            ..s
        };
        let (x, _) = turning.predict(30.0, 4.0);
        // A quarter turn to the left at 200 m/s: velocity now north.
        assert!(
            x.get(2).abs() < 1e-6 && (x.get(3) - 200.0).abs() < 1e-6,
            "{x:?}"
        );
        // Backward prediction adds noise too.
        let (_, back) = s.predict(-5.0, 4.0);
        assert!(back.0[0][0] > 100.0);
    }

    #[test]
    fn reports_are_checked() {
        let plane = TangentPlane::new(14.5, 1.0);
        let config = SystemTrackSourceConfig::new("BFA");
        let good = SystemTrackReport {
            track_number: 7,
            time_s: 100.0,
            lat_deg: 14.6,
            lon_deg: 1.1,
            velocity_mps: Some([200.0, 10.0]),
            accuracy: ReportAccuracy::Sigmas {
                position_sigma_m: 40.0,
                velocity_sigma_mps: 3.0,
            },
            ..SystemTrackReport::default()
        };
        let s = to_plane(&config, &plane, &good, 1_400.0).expect("good");
        assert!((s.p.0[0][0].sqrt() - 40.0).abs() < 0.1);
        let bad = [
            SystemTrackReport {
                lat_deg: f64::NAN,
                ..good.clone()
            },
            SystemTrackReport {
                velocity_mps: Some([5_000.0, 0.0]),
                ..good.clone()
            },
            SystemTrackReport {
                accuracy: ReportAccuracy::Sigmas {
                    position_sigma_m: 1e9,
                    velocity_sigma_mps: 3.0,
                },
                ..good.clone()
            },
            SystemTrackReport {
                accuracy: ReportAccuracy::Covariance([
                    [1.0, 2.0, 0.0, 0.0],
                    [2.0, 1.0, 0.0, 0.0],
                    [0.0, 0.0, 1.0, 0.0],
                    [0.0, 0.0, 0.0, 1.0],
                ]),
                ..good.clone()
            },
            SystemTrackReport {
                mode3a: Some(0o17777),
                ..good.clone()
            },
            SystemTrackReport {
                lat_deg: -14.6,
                lon_deg: -179.0,
                ..good.clone()
            },
        ];
        for b in &bad {
            assert!(to_plane(&config, &plane, b, 1_400.0).is_err(), "{b:?}");
        }
    }

    #[test]
    fn local_plane_round_trip_of_a_covariance() {
        let plane = TangentPlane::new(14.5, 1.0);
        let c = Mat([
            [900.0, 100.0, 20.0, 0.0],
            [100.0, 1600.0, 0.0, 30.0],
            [20.0, 0.0, 4.0, 0.5],
            [0.0, 30.0, 0.5, 9.0],
        ]);
        let t = local_to_plane_jacobian(&plane, 16.0, 3.0);
        let p = (t * c * t.transpose()).symmetrized();
        let back = plane_to_local_covariance(&plane, 16.0, 3.0, &p).expect("back");
        for (got, want) in back.iter().flatten().zip(c.0.iter().flatten()) {
            assert!((got - want).abs() < 1e-6 * (1.0 + want.abs()));
        }
    }
}
