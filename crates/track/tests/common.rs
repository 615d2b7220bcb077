//! Helpers shared by the scenario tests: scoring a run against its ground truth.

use std::collections::HashMap;

use liptako_track::Picture;
use liptako_track::geo::TangentPlane;
use liptako_track::metrics::IdentityScore;
use liptako_track::scenarios::ScenarioRun;

/// Millisecond key for matching picture and truth times.
pub fn key(t: f64) -> i64 {
    (t * 1000.0).round() as i64
}

/// A run's score: the association figures plus completeness after a warm-up.
pub struct Score {
    pub ids: IdentityScore,
    /// Truth samples past each aircraft's warm-up.
    pub eligible: usize,
    /// ... of which had a track.
    pub eligible_covered: usize,
}

impl Score {
    pub fn completeness(&self) -> f64 {
        if self.eligible == 0 {
            1.0
        } else {
            self.eligible_covered as f64 / self.eligible as f64
        }
    }
}

/// Scores every picture against the truth at the same instant, in a plane around the given
/// point. Completeness leaves out the first `warmup_s` seconds of each aircraft's life (a track
/// needs a few scans to be confirmed); association, swaps and errors use every sample.
pub fn score(run: &ScenarioRun, plane: &TangentPlane, gate_m: f64, warmup_s: f64) -> Score {
    let mut first_seen: HashMap<usize, f64> = HashMap::new();
    let mut truth_at: HashMap<i64, Vec<(usize, [f64; 2], bool)>> = HashMap::new();
    for t in &run.truth {
        let start = *first_seen.entry(t.aircraft).or_insert(t.time_s);
        let (x, y) = plane.from_geodetic(t.lat_deg, t.lon_deg);
        truth_at.entry(key(t.time_s)).or_default().push((
            t.aircraft,
            [x, y],
            t.time_s - start >= warmup_s,
        ));
    }
    let mut out = Score {
        ids: IdentityScore::new(gate_m, 5),
        eligible: 0,
        eligible_covered: 0,
    };
    for p in &run.pictures {
        let truths = truth_at.remove(&key(p.time_s)).unwrap_or_default();
        let tracks = track_positions(p, plane);
        let plain: Vec<(usize, [f64; 2])> = truths.iter().map(|t| (t.0, t.1)).collect();
        let covered = out.ids.add(&plain, &tracks);
        for t in &truths {
            if t.2 {
                out.eligible += 1;
                if covered.contains(&t.0) {
                    out.eligible_covered += 1;
                }
            }
        }
    }
    out
}

/// A picture's tracks as (id, plane position).
pub fn track_positions(p: &Picture, plane: &TangentPlane) -> Vec<(u32, [f64; 2])> {
    p.tracks
        .iter()
        .map(|t| {
            let (x, y) = plane.from_geodetic(t.lat_deg, t.lon_deg);
            (t.id.0, [x, y])
        })
        .collect()
}
