//! The track filter: an interacting multiple model (IMM) estimator with two modes, constant
//! velocity (CV) and coordinated turn with estimated turn rate (CT), in the tracker's 2-D plane.
//!
//! Both modes share one state, `[x, y, vx, vy, omega]` (metres, metres per second, radians per
//! second, counter-clockwise positive, so a right turn has negative `omega`). The CV mode sets
//! `omega` to zero (it flies straight), which keeps the mixing step a plain weighted sum and
//! pulls the turn rate back towards zero while straight flight is likely. The CT
//! mode is nonlinear in `omega`; it is predicted with its exact transition and linearised (EKF)
//! for the covariance. Mode switching is a continuous-time Markov chain (mean sojourn times),
//! so irregular update intervals from several radars are handled exactly.
//!
//! One departure from the textbook IMM: the CV mode takes nothing from the CT mode in the
//! mixing step until the CT mode's probability reaches [`FilterParams::ct_feedback_above`]
//! (0.6: the turn clearly the more probable mode).
//! A straight-flying aircraft's plots now and then fit the wider CT prediction better; in a
//! plain IMM each such plot mixes the CT estimate and the spread between the modes into the CV
//! mode, which resets the long memory a low-noise CV filter lives on. Protected, the CV mode
//! stays as good as a pure constant-velocity filter on straight flight (measured against Stone
//! Soup's, bench/README.md), while the CT mode, always live, follows a turn from its first
//! plot and hands its estimate back to the CV mode once the turn is established. The combined
//! output and the mode probabilities are the textbook ones.
//!
//! Measurements are linear in the state: a position (`M = 2`) or a position and velocity
//! (`M = 4`, ADS-B with a velocity vector). A measurement older than the filter's time (an
//! out-of-sequence plot from another radar's sector) is applied as a measurement of the current
//! state through the backward transition, with the process noise of the gap added to its
//! noise; that is the standard one-lag approximation, accurate when the lag is short compared to
//! the update interval, which the sector-by-sector processing guarantees.

use crate::mat::{Mat, Vector};

/// State dimension.
pub const NX: usize = 5;
/// A floor on mode probabilities keeps either mode able to take over again.
const MU_FLOOR: f64 = 1e-4;
/// Index of the turn rate in the state.
const OMEGA: usize = 4;

/// A state vector.
pub type State = Vector<NX>;
/// A state covariance.
pub type Cov = Mat<NX, NX>;

/// Tuning of the IMM. The defaults suit civil and military air traffic seen by en-route and
/// approach radars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FilterParams {
    /// CV mode: power spectral density of the white-noise acceleration, m^2/s^3 per axis.
    pub cv_accel_psd: f64,
    /// CT mode: power spectral density of the white-noise acceleration, m^2/s^3 per axis.
    pub ct_accel_psd: f64,
    /// CT mode: power spectral density of the turn-rate noise, rad^2/s^3.
    pub ct_turn_psd: f64,
    /// Mean time spent in CV before switching to CT, seconds.
    pub cv_sojourn_s: f64,
    /// Mean time spent in CT before switching to CV, seconds.
    pub ct_sojourn_s: f64,
    /// Initial velocity standard deviation per axis for a track started from one position, m/s.
    pub initial_speed_sigma_mps: f64,
    /// Initial turn-rate standard deviation, rad/s.
    pub initial_turn_sigma_rad_s: f64,
    /// Turn rates are clamped to this magnitude, rad/s.
    pub max_turn_rate_rad_s: f64,
    /// Initial probability of the CV mode.
    pub initial_cv_probability: f64,
    /// The CV mode mixes in the CT mode's estimate only while the CT mode's probability is
    /// above this (see the module documentation); 0 gives the textbook IMM.
    pub ct_feedback_above: f64,
}

impl Default for FilterParams {
    fn default() -> Self {
        Self {
            // Straight flight is near-deterministic; every departure from it (turns, speed
            // changes, climbs) is the CT mode's, whose acceleration noise is over a million
            // times larger: a manoeuvre mode as much as a turn mode.
            cv_accel_psd: 1.0e-5,
            ct_accel_psd: 16.0,
            ct_turn_psd: 1.0e-3,
            // Rare switches into the manoeuvre mode: two plots that merely deviate by 1.5
            // sigma on the same side must not make it the more probable mode.
            cv_sojourn_s: 10_000.0,
            ct_sojourn_s: 15.0,
            initial_speed_sigma_mps: 170.0,
            initial_turn_sigma_rad_s: 5.0_f64.to_radians(),
            max_turn_rate_rad_s: 20.0_f64.to_radians(),
            initial_cv_probability: 0.98,
            ct_feedback_above: 0.6,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Model {
    Cv,
    Ct,
}

const MODELS: [Model; 2] = [Model::Cv, Model::Ct];

/// One mode's estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ModeEstimate {
    x: State,
    p: Cov,
}

/// The IMM estimate of one track.
#[derive(Debug, Clone, PartialEq)]
pub struct Imm {
    modes: [ModeEstimate; 2],
    /// Mode probabilities (CV, CT).
    mu: [f64; 2],
    /// Time of the estimate, seconds.
    time_s: f64,
}

/// A Gaussian prediction of the position at some time: mean and 2x2 covariance in the plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    pub x: State,
    pub p: Cov,
}

/// A linear measurement of the first `M` state components (position, or position and
/// velocity) with its noise covariance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearMeasurement<const M: usize> {
    pub z: Vector<M>,
    pub r: Mat<M, M>,
}

fn selector<const M: usize>() -> Mat<M, NX> {
    let mut h = Mat::<M, NX>::zeros();
    for (i, row) in h.0.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    h
}

/// `sin(wT)/w`, `(1 - cos(wT))/w` and their derivatives with respect to `w`, with the series
/// near `w = 0` where the closed forms cancel.
fn turn_terms(w: f64, t: f64) -> (f64, f64, f64, f64) {
    let wt = w * t;
    if wt.abs() < 1e-4 {
        let t2 = t * t;
        let t3 = t2 * t;
        let s_w = t - w * w * t3 / 6.0;
        let c_w = w * t2 / 2.0;
        let ds = -w * t3 / 3.0;
        let dc = t2 / 2.0 - w * w * t2 * t2 / 8.0;
        (s_w, c_w, ds, dc)
    } else {
        let (s, c) = wt.sin_cos();
        let s_w = s / w;
        let c_w = (1.0 - c) / w;
        let ds = (t * c * w - s) / (w * w);
        let dc = (t * s * w - (1.0 - c)) / (w * w);
        (s_w, c_w, ds, dc)
    }
}

/// Transition of one model over `dt` seconds (negative `dt` goes back in time): the predicted
/// state and the Jacobian of the transition at `x`.
fn transition(model: Model, x: &State, dt: f64) -> (State, Cov) {
    let mut f = Cov::identity();
    match model {
        Model::Cv => {
            // The CV mode flies straight: its turn rate is zero, so mixing into the CT mode pulls
            // the turn rate towards zero in proportion to the belief in straight flight.
            f.0[0][2] = dt;
            f.0[1][3] = dt;
            f.0[OMEGA][OMEGA] = 0.0;
            (f * *x, f)
        }
        Model::Ct => {
            let (vx, vy, w) = (x.get(2), x.get(3), x.get(OMEGA));
            let (s_w, c_w, ds, dc) = turn_terms(w, dt);
            let (s, c) = (w * dt).sin_cos();
            let mut out = *x;
            out.set(0, x.get(0) + s_w * vx - c_w * vy);
            out.set(1, x.get(1) + c_w * vx + s_w * vy);
            out.set(2, c * vx - s * vy);
            out.set(3, s * vx + c * vy);
            f.0[0][2] = s_w;
            f.0[0][3] = -c_w;
            f.0[1][2] = c_w;
            f.0[1][3] = s_w;
            f.0[2][2] = c;
            f.0[2][3] = -s;
            f.0[3][2] = s;
            f.0[3][3] = c;
            f.0[0][OMEGA] = ds * vx - dc * vy;
            f.0[1][OMEGA] = dc * vx + ds * vy;
            f.0[2][OMEGA] = -dt * (s * vx + c * vy);
            f.0[3][OMEGA] = dt * (c * vx - s * vy);
            (out, f)
        }
    }
}

/// The coordinated-turn transition over `dt` seconds at the turn rate in `x` (partner states
/// are carried forward with it): the predicted state and its Jacobian.
pub(crate) fn turn_transition(x: &State, dt: f64) -> (State, Cov) {
    transition(Model::Ct, x, dt)
}

/// Adds to the position-velocity block of `out` the noise of a white acceleration of power
/// spectral density `q` (per axis) over `t` seconds.
pub(crate) fn add_white_acceleration<const N: usize>(out: &mut Mat<N, N>, q: f64, t: f64) {
    let t2 = t * t;
    for axis in 0..2 {
        let (p, v) = (axis, axis + 2);
        out.0[p][p] += q * t2 * t / 3.0;
        out.0[p][v] += q * t2 / 2.0;
        out.0[v][p] += q * t2 / 2.0;
        out.0[v][v] += q * t;
    }
}

/// Process noise accumulated over `|dt|` seconds for one model.
fn process_noise(model: Model, params: &FilterParams, dt: f64) -> Cov {
    let t = dt.abs();
    let q = match model {
        Model::Cv => params.cv_accel_psd,
        Model::Ct => params.ct_accel_psd,
    };
    let mut out = Cov::zeros();
    add_white_acceleration(&mut out, q, t);
    match model {
        Model::Ct => out.0[OMEGA][OMEGA] = params.ct_turn_psd * t,
        // A token variance keeps the CV mode's (zero) turn rate from being exactly certain.
        Model::Cv => out.0[OMEGA][OMEGA] = 1e-10,
    }
    out
}

/// Mode transition probabilities over `dt` seconds: `pi[i][j]` = P(mode j at end | mode i).
fn transition_matrix(params: &FilterParams, dt: f64) -> [[f64; 2]; 2] {
    let stay_cv = (-dt.max(0.0) / params.cv_sojourn_s).exp();
    let stay_ct = (-dt.max(0.0) / params.ct_sojourn_s).exp();
    [[stay_cv, 1.0 - stay_cv], [1.0 - stay_ct, stay_ct]]
}

/// Moment-matched combination of weighted Gaussians.
fn combine(weights: [f64; 2], estimates: &[ModeEstimate; 2]) -> Prediction {
    let mut x = State::zeros();
    for (w, e) in weights.iter().zip(estimates) {
        x = x + e.x.scale(*w);
    }
    let mut p = Cov::zeros();
    for (w, e) in weights.iter().zip(estimates) {
        let d = e.x - x;
        p = p + (e.p + d * d.transpose()).scale(*w);
    }
    Prediction {
        x,
        p: p.symmetrized(),
    }
}

/// Log of the normal density of innovation `nu` with covariance `s`, with the Mahalanobis
/// distance; `None` if `s` is not positive definite.
fn log_likelihood<const M: usize>(nu: &Vector<M>, s: &Mat<M, M>) -> Option<(f64, f64, Mat<M, M>)> {
    let (s_inv, log_det) = s.spd_inverse_logdet()?;
    let d2 = nu.quadratic_form(&s_inv);
    let ll = -0.5 * (d2 + log_det + (M as f64) * (2.0 * std::f64::consts::PI).ln());
    Some((ll, d2, s_inv))
}

impl Imm {
    /// A new estimate from a first position (with its covariance), at rest with the initial
    /// velocity uncertainty, or moving with a measured velocity.
    pub fn new(
        time_s: f64,
        position: [f64; 2],
        position_cov: Mat<2, 2>,
        velocity: Option<([f64; 2], Mat<2, 2>)>,
        params: &FilterParams,
    ) -> Self {
        let mut x = State::zeros();
        x.set(0, position[0]);
        x.set(1, position[1]);
        let mut p = Cov::zeros();
        for i in 0..2 {
            for j in 0..2 {
                p.0[i][j] = position_cov.0[i][j];
            }
        }
        match velocity {
            Some((v, v_cov)) => {
                x.set(2, v[0]);
                x.set(3, v[1]);
                for i in 0..2 {
                    for j in 0..2 {
                        p.0[2 + i][2 + j] = v_cov.0[i][j];
                    }
                }
            }
            None => {
                let s2 = params.initial_speed_sigma_mps * params.initial_speed_sigma_mps;
                p.0[2][2] = s2;
                p.0[3][3] = s2;
            }
        }
        p.0[OMEGA][OMEGA] = params.initial_turn_sigma_rad_s * params.initial_turn_sigma_rad_s;
        let mode = ModeEstimate { x, p };
        let mu_cv = params.initial_cv_probability.clamp(0.01, 0.99);
        Self {
            modes: [mode, mode],
            mu: [mu_cv, 1.0 - mu_cv],
            time_s,
        }
    }

    pub fn time_s(&self) -> f64 {
        self.time_s
    }

    /// Probability of the coordinated-turn mode.
    pub fn turn_probability(&self) -> f64 {
        self.mu[1]
    }

    /// The combined estimate at the filter's own time.
    pub fn estimate(&self) -> Prediction {
        combine(self.mu, &self.modes)
    }

    /// Mixing step: per destination mode, the mixed initial estimate, plus the predicted mode
    /// probabilities `c_j`.
    fn mix(&self, params: &FilterParams, dt: f64) -> ([ModeEstimate; 2], [f64; 2]) {
        let pi = transition_matrix(params, dt);
        let mut c = [0.0; 2];
        for (j, cj) in c.iter_mut().enumerate() {
            *cj = pi[0][j] * self.mu[0] + pi[1][j] * self.mu[1];
        }
        let mut mixed = self.modes;
        // The CV mode is protected from the CT mode until the turn is established (module doc).
        let cv_takes_ct = self.mu[1] >= params.ct_feedback_above;
        for j in 0..2 {
            if c[j] <= 0.0 || (j == 0 && !cv_takes_ct) {
                continue;
            }
            let w = [pi[0][j] * self.mu[0] / c[j], pi[1][j] * self.mu[1] / c[j]];
            let m = combine(w, &self.modes);
            mixed[j] = ModeEstimate { x: m.x, p: m.p };
        }
        (mixed, c)
    }

    /// The combined prediction at `time_s` (forward or backward), without changing the filter.
    pub fn predict(&self, params: &FilterParams, time_s: f64) -> Prediction {
        self.predict_modes(params, time_s).combined()
    }

    /// The per-mode predictions at `time_s` with their predicted probabilities.
    pub fn predict_modes(&self, params: &FilterParams, time_s: f64) -> ModePredictions {
        let dt = time_s - self.time_s;
        if dt == 0.0 {
            return ModePredictions {
                modes: self.modes.map(|m| Prediction { x: m.x, p: m.p }),
                weights: self.mu,
            };
        }
        // Backward (out of sequence): no mode switching, each mode runs its model in reverse.
        let (mut modes, weights) = if dt < 0.0 {
            (self.modes, self.mu)
        } else {
            self.mix(params, dt)
        };
        for (m, model) in modes.iter_mut().zip(MODELS) {
            let (x, f) = transition(model, &m.x, dt);
            m.x = x;
            m.p = (f * m.p * f.transpose() + process_noise(model, params, dt)).symmetrized();
        }
        ModePredictions {
            modes: modes.map(|m| Prediction { x: m.x, p: m.p }),
            weights,
        }
    }

    /// Updates with a measurement taken at `time_s`. Returns the log-likelihood of the
    /// measurement under the combined prediction, or `None` (and leaves the filter unchanged) if
    /// the numbers are degenerate.
    pub fn update<const M: usize>(
        &mut self,
        params: &FilterParams,
        time_s: f64,
        meas: &LinearMeasurement<M>,
    ) -> Option<f64> {
        let dt = time_s - self.time_s;
        if dt >= 0.0 {
            self.update_in_sequence(params, time_s, dt, meas)
        } else {
            self.update_out_of_sequence(params, -dt, meas)
        }
    }

    fn update_in_sequence<const M: usize>(
        &mut self,
        params: &FilterParams,
        time_s: f64,
        dt: f64,
        meas: &LinearMeasurement<M>,
    ) -> Option<f64> {
        let h = selector::<M>();
        let (mut mixed, c) = self.mix(params, dt);
        let mut log_l = [0.0; 2];
        for ((m, model), ll) in mixed.iter_mut().zip(MODELS).zip(log_l.iter_mut()) {
            let (x, f) = transition(model, &m.x, dt);
            let p = (f * m.p * f.transpose() + process_noise(model, params, dt)).symmetrized();
            let (x, p, l) = kalman_update(&x, &p, &h, &(h * x), meas)?;
            *m = ModeEstimate { x, p };
            *ll = l;
        }
        self.finish_update(mixed, c, log_l, params, time_s)
    }

    fn update_out_of_sequence<const M: usize>(
        &mut self,
        params: &FilterParams,
        lag_s: f64,
        meas: &LinearMeasurement<M>,
    ) -> Option<f64> {
        let h = selector::<M>();
        let (mut updated, prior) = (self.modes, self.mu);
        let mut log_l = [0.0; 2];
        for ((m, model), ll) in updated.iter_mut().zip(MODELS).zip(log_l.iter_mut()) {
            let (x_back, f_back) = transition(model, &m.x, -lag_s);
            let h_eff = h * f_back;
            let q = process_noise(model, params, lag_s);
            let meas_eff = LinearMeasurement {
                z: meas.z,
                r: meas.r + h * q * h.transpose(),
            };
            let (x, p, l) = kalman_update(&m.x, &m.p, &h_eff, &(h * x_back), &meas_eff)?;
            *m = ModeEstimate { x, p };
            *ll = l;
        }
        let time_s = self.time_s;
        self.finish_update(updated, prior, log_l, params, time_s)
    }

    fn finish_update(
        &mut self,
        mut modes: [ModeEstimate; 2],
        prior: [f64; 2],
        log_l: [f64; 2],
        params: &FilterParams,
        time_s: f64,
    ) -> Option<f64> {
        let max_ll = log_l[0].max(log_l[1]);
        let mut mu = [0.0; 2];
        for j in 0..2 {
            mu[j] = prior[j] * (log_l[j] - max_ll).exp();
        }
        let total = mu[0] + mu[1];
        if !(total.is_finite() && total > 0.0) {
            return None;
        }
        for m in mu.iter_mut() {
            *m = (*m / total).clamp(MU_FLOOR, 1.0 - MU_FLOOR);
        }
        for m in modes.iter_mut() {
            let w = m.x.get(OMEGA);
            let lim = params.max_turn_rate_rad_s;
            m.x.set(OMEGA, w.clamp(-lim, lim));
        }
        if !modes.iter().all(|m| m.x.is_finite() && m.p.is_finite()) {
            return None;
        }
        self.modes = modes;
        self.mu = mu;
        self.time_s = time_s;
        Some(max_ll + total.ln())
    }
}

/// One Kalman update of `(x, p)` with measurement matrix `h`, predicted measurement `z_pred`.
/// Returns the new state, covariance (Joseph form) and the log-likelihood of the innovation.
fn kalman_update<const M: usize>(
    x: &State,
    p: &Cov,
    h: &Mat<M, NX>,
    z_pred: &Vector<M>,
    meas: &LinearMeasurement<M>,
) -> Option<(State, Cov, f64)> {
    let nu = meas.z - *z_pred;
    let pht = *p * h.transpose();
    let s = (*h * pht + meas.r).symmetrized();
    let (ll, _d2, s_inv) = log_likelihood(&nu, &s)?;
    let k = pht * s_inv;
    let x_new = *x + k * nu;
    let i_kh = Cov::identity() - k * *h;
    let p_new = (i_kh * *p * i_kh.transpose() + k * meas.r * k.transpose()).symmetrized();
    Some((x_new, p_new, ll))
}

/// Per-mode predictions of an IMM and their probabilities.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModePredictions {
    pub modes: [Prediction; 2],
    pub weights: [f64; 2],
}

impl ModePredictions {
    /// The moment-matched single Gaussian.
    pub fn combined(&self) -> Prediction {
        let est = self.modes.map(|m| ModeEstimate { x: m.x, p: m.p });
        combine(self.weights, &est)
    }

    /// Gates a position measurement against the mixture: it passes if it is inside the gate of
    /// any mode (a turn the CV mode did not foresee is still caught by the CT mode), and its
    /// likelihood is the mixture density.
    pub fn gate(&self, z: [f64; 2], r: &Mat<2, 2>) -> Option<GateResult> {
        let mut best_d2 = f64::INFINITY;
        let mut terms = [f64::NEG_INFINITY; 2];
        for ((m, w), term) in self.modes.iter().zip(self.weights).zip(terms.iter_mut()) {
            let Some(g) = position_gate(m, z, r) else {
                continue;
            };
            best_d2 = best_d2.min(g.distance2);
            if w > 0.0 {
                *term = w.ln() + g.log_likelihood;
            }
        }
        let top = terms[0].max(terms[1]);
        if !top.is_finite() {
            return None;
        }
        let ll = top + ((terms[0] - top).exp() + (terms[1] - top).exp()).ln();
        Some(GateResult {
            distance2: best_d2,
            log_likelihood: ll,
        })
    }
}

/// Squared Mahalanobis distance and log-likelihood of a position measurement against a
/// prediction.
pub fn position_gate(pred: &Prediction, z: [f64; 2], r: &Mat<2, 2>) -> Option<GateResult> {
    let nu = Vector::from_array([z[0] - pred.x.get(0), z[1] - pred.x.get(1)]);
    let s = (pred.p.block::<2, 2>() + *r).symmetrized();
    let (ll, d2, _) = log_likelihood(&nu, &s)?;
    Some(GateResult {
        distance2: d2,
        log_likelihood: ll,
    })
}

/// Result of gating one measurement against one prediction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GateResult {
    /// Squared Mahalanobis distance of the innovation.
    pub distance2: f64,
    /// Log of the Gaussian innovation density.
    pub log_likelihood: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos_meas(x: f64, y: f64, sigma: f64) -> LinearMeasurement<2> {
        LinearMeasurement {
            z: Vector::from_array([x, y]),
            r: Mat::diagonal([sigma * sigma, sigma * sigma]),
        }
    }

    #[test]
    fn ct_jacobian_matches_finite_differences() {
        let x = State::from_array([100.0, -50.0, 150.0, 80.0, 0.05]);
        for dt in [4.0, -2.0, 0.5] {
            let (_, f) = transition(Model::Ct, &x, dt);
            for k in 0..NX {
                let h = 1e-6 * (1.0 + x.get(k).abs());
                let mut xp = x;
                xp.set(k, x.get(k) + h);
                let mut xm = x;
                xm.set(k, x.get(k) - h);
                let (yp, _) = transition(Model::Ct, &xp, dt);
                let (ym, _) = transition(Model::Ct, &xm, dt);
                for i in 0..NX {
                    let fd = (yp.get(i) - ym.get(i)) / (2.0 * h);
                    assert!(
                        (f.0[i][k] - fd).abs() < 1e-4 * (1.0 + fd.abs()),
                        "F[{i}][{k}] dt {dt}"
                    );
                }
            }
        }
    }

    #[test]
    fn ct_small_turn_rate_is_continuous() {
        let a = State::from_array([0.0, 0.0, 200.0, 0.0, 1e-9]);
        let b = State::from_array([0.0, 0.0, 200.0, 0.0, 2e-4]);
        let (ya, _) = transition(Model::Ct, &a, 4.0);
        let (yb, _) = transition(Model::Ct, &b, 4.0);
        assert!((ya.get(0) - 800.0).abs() < 1e-6);
        // 2e-4 rad/s over 4 s at 200 m/s moves the point by about v*w*t^2/2 = 0.32 m sideways.
        assert!((yb.get(1) - 0.32).abs() < 0.01);
    }

    #[test]
    fn cv_track_converges_on_straight_line() {
        let params = FilterParams::default();
        let mut imm = Imm::new(
            0.0,
            [0.0, 0.0],
            Mat::diagonal([2500.0, 2500.0]),
            None,
            &params,
        );
        for k in 1..=30 {
            let t = k as f64 * 4.0;
            imm.update(&params, t, &pos_meas(200.0 * t, 100.0 * t, 1.0))
                .expect("update");
        }
        let e = imm.estimate();
        assert!((e.x.get(2) - 200.0).abs() < 1.0 && (e.x.get(3) - 100.0).abs() < 1.0);
        assert!(imm.turn_probability() < 0.5);
    }

    #[test]
    fn turn_rate_is_estimated_in_a_turn() {
        let params = FilterParams::default();
        let w = 3.0_f64.to_radians();
        let v = 200.0;
        let truth = |t: f64| ((v / w) * (w * t).sin(), (v / w) * (1.0 - (w * t).cos()));
        let mut imm = Imm::new(
            0.0,
            [0.0, 0.0],
            Mat::diagonal([100.0, 100.0]),
            Some(([v, 0.0], Mat::diagonal([100.0, 100.0]))),
            &params,
        );
        for k in 1..=20 {
            let t = k as f64 * 2.0;
            let (x, y) = truth(t);
            imm.update(&params, t, &pos_meas(x, y, 5.0))
                .expect("update");
        }
        let e = imm.estimate();
        assert!(imm.turn_probability() > 0.5, "{}", imm.turn_probability());
        assert!((e.x.get(OMEGA) - w).abs() < 0.3 * w, "{}", e.x.get(OMEGA));
    }

    #[test]
    fn out_of_sequence_measurement_pulls_towards_truth() {
        let params = FilterParams::default();
        let mut imm = Imm::new(
            0.0,
            [0.0, 0.0],
            Mat::diagonal([100.0, 100.0]),
            Some(([100.0, 0.0], Mat::diagonal([4.0, 4.0]))),
            &params,
        );
        imm.update(&params, 4.0, &pos_meas(400.0, 0.0, 10.0))
            .expect("update");
        let before = imm.estimate();
        // A plot from 0.2 s earlier, consistent with the truth; the state time does not go back.
        imm.update(&params, 3.8, &pos_meas(380.0, 0.0, 10.0))
            .expect("oos");
        assert_eq!(imm.time_s(), 4.0);
        let after = imm.estimate();
        assert!(after.p.0[0][0] < before.p.0[0][0]);
        assert!((after.x.get(0) - 400.0).abs() < 5.0);
    }
}
