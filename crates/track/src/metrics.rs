//! Scoring a picture against ground truth, for the scenario tests and the benchmark: OSPA
//! (Schuhmacher, Vo and Vo, 2008) at one instant, and a running track-to-truth association that
//! counts identity swaps, track breaks and false tracks over a run.
//!
//! Positions are plane coordinates in metres (use one [`crate::geo::TangentPlane`] for truth
//! and tracks alike).

use std::collections::HashMap;

use crate::assign;

/// OSPA distance of order `p` with cut-off `c` between two point sets, metres.
pub fn ospa(truth: &[[f64; 2]], tracks: &[[f64; 2]], cutoff_m: f64, order: f64) -> f64 {
    let (m, n) = (truth.len(), tracks.len());
    if m == 0 && n == 0 {
        return 0.0;
    }
    if m == 0 || n == 0 {
        return cutoff_m;
    }
    let size = m.max(n);
    let mut cost = vec![cutoff_m.powf(order); size * size];
    for i in 0..m {
        for j in 0..n {
            let d = (truth[i][0] - tracks[j][0]).hypot(truth[i][1] - tracks[j][1]);
            cost[i * size + j] = d.min(cutoff_m).powf(order);
        }
    }
    let total: f64 = match assign::solve_square(size, &cost) {
        Some(sol) => sol
            .iter()
            .enumerate()
            .map(|(i, &j)| cost[i * size + j])
            .sum(),
        None => return cutoff_m,
    };
    (total / size as f64).powf(1.0 / order)
}

/// Running association of tracks to truths (optimal per instant within a gate), with the
/// figures a tracking evaluation reports. An association only counts once it has held for
/// `min_run` consecutive samples, so the arbitrary pairing at the instant two targets cross
/// (both tracks equally close to both truths) is not mistaken for an identity switch.
#[derive(Debug, Default, Clone)]
pub struct IdentityScore {
    gate_m: f64,
    min_run: usize,
    /// Truth -> (track of the current run, its length).
    run: HashMap<usize, (u32, usize)>,
    /// Truth -> track it is established with.
    established: HashMap<usize, u32>,
    /// Every track that got established with each truth, in order.
    pub tracks_per_truth: HashMap<usize, Vec<u32>>,
    /// A truth became established with another track while the previous one still existed.
    pub swaps: usize,
    /// A truth became established with another track after the previous one ended.
    pub breaks: usize,
    /// Truth samples with an associated track.
    pub covered: usize,
    /// Truth samples in total.
    pub truth_samples: usize,
    /// Track samples associated with no truth.
    pub false_track_samples: usize,
    /// Track samples in total.
    pub track_samples: usize,
    /// Sum of squared position errors of associated samples, m^2.
    pub squared_error_sum: f64,
    live_tracks: Vec<u32>,
}

impl IdentityScore {
    pub fn new(gate_m: f64, min_run: usize) -> Self {
        Self {
            gate_m,
            min_run: min_run.max(1),
            ..Self::default()
        }
    }

    /// Scores one instant: truths `(truth id, position)`, tracks `(track id, position)`.
    /// Returns the truths that got a track.
    pub fn add(&mut self, truths: &[(usize, [f64; 2])], tracks: &[(u32, [f64; 2])]) -> Vec<usize> {
        let mut covered_now = Vec::new();
        self.truth_samples += truths.len();
        self.track_samples += tracks.len();
        self.live_tracks = tracks.iter().map(|t| t.0).collect();
        let gate = self.gate_m;
        let cost = |t: usize, k: usize| {
            let d = (truths[t].1[0] - tracks[k].1[0]).hypot(truths[t].1[1] - tracks[k].1[1]);
            (d <= gate).then_some(d * d / (gate * gate))
        };
        let miss = vec![1.0; truths.len()];
        let new = vec![1.0; tracks.len()];
        let pairs = assign::assign(truths.len(), tracks.len(), cost, &miss, &new);
        let mut used = vec![false; tracks.len()];
        for (t, choice) in pairs.iter().enumerate() {
            let Some(k) = *choice else { continue };
            used[k] = true;
            let (truth_id, tp) = truths[t];
            let (track_id, kp) = tracks[k];
            self.covered += 1;
            covered_now.push(truth_id);
            self.squared_error_sum += (tp[0] - kp[0]).powi(2) + (tp[1] - kp[1]).powi(2);
            let run = self.run.entry(truth_id).or_insert((track_id, 0));
            if run.0 == track_id {
                run.1 += 1;
            } else {
                *run = (track_id, 1);
            }
            if run.1 == self.min_run && self.established.get(&truth_id) != Some(&track_id) {
                if let Some(prev) = self.established.insert(truth_id, track_id) {
                    if self.live_tracks.contains(&prev) {
                        self.swaps += 1;
                    } else {
                        self.breaks += 1;
                    }
                }
                self.tracks_per_truth
                    .entry(truth_id)
                    .or_default()
                    .push(track_id);
            }
        }
        self.false_track_samples += used.iter().filter(|u| !**u).count();
        covered_now
    }

    /// Root-mean-square position error of associated samples, metres.
    pub fn rms_error_m(&self) -> f64 {
        if self.covered == 0 {
            return f64::NAN;
        }
        (self.squared_error_sum / self.covered as f64).sqrt()
    }

    /// Fraction of truth samples with an associated track.
    pub fn completeness(&self) -> f64 {
        if self.truth_samples == 0 {
            return 1.0;
        }
        self.covered as f64 / self.truth_samples as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ospa_known_values() {
        assert_eq!(ospa(&[], &[], 1000.0, 2.0), 0.0);
        assert_eq!(ospa(&[[0.0, 0.0]], &[], 1000.0, 2.0), 1000.0);
        let d = ospa(&[[0.0, 0.0]], &[[3.0, 4.0]], 1000.0, 2.0);
        assert!((d - 5.0).abs() < 1e-12);
        // One matched at distance 0, one missing: sqrt((0 + c^2) / 2).
        let d = ospa(&[[0.0, 0.0], [10.0, 0.0]], &[[0.0, 0.0]], 100.0, 2.0);
        assert!((d - (100.0f64 * 100.0 / 2.0).sqrt()).abs() < 1e-9);
    }

    #[test]
    fn lasting_swap_is_counted_a_blip_is_not() {
        let truths = [(0, [0.0, 0.0]), (1, [1000.0, 0.0])];
        let straight = [(7, [0.0, 0.0]), (8, [1000.0, 0.0])];
        let crossed = [(8, [0.0, 0.0]), (7, [1000.0, 0.0])];
        let mut s = IdentityScore::new(500.0, 3);
        for _ in 0..3 {
            s.add(&truths, &straight);
        }
        s.add(&truths, &crossed);
        for _ in 0..3 {
            s.add(&truths, &straight);
        }
        assert_eq!(s.swaps, 0);
        for _ in 0..3 {
            s.add(&truths, &crossed);
        }
        assert_eq!(s.swaps, 2);
        assert_eq!(s.covered, 20);
        assert_eq!(s.tracks_per_truth[&0], vec![7, 8]);
    }
}
