//! Invariants on untrusted input, shared by the fuzz targets (`fuzz/fuzz_targets/track_*.rs`)
//! and the corpus replay test: each function takes arbitrary bytes, must never panic, and
//! asserts what must hold of whatever it accepts.

use crate::borders::Borders;
use crate::offline::{self, OfflineRun, TrackRow};
use crate::region::RegionIndex;
use crate::sensor::{AdsbConfig, AdsbReport, RadarConfig, RadarPlot, RangeGeometry};
use crate::sim::{Scenario, SimEvent, Simulator};
use crate::tracker::{Tracker, TrackerConfig};

fn two_radars() -> Vec<RadarConfig> {
    let radar = |name: &str, lat: f64, lon: f64| RadarConfig {
        name: name.into(),
        lat_deg: lat,
        lon_deg: lon,
        height_m: 0.0,
        range_sigma_m: 50.0,
        azimuth_sigma_deg: 0.1,
        range_bias_m: 0.0,
        azimuth_bias_deg: 0.0,
        pd: 0.9,
        period_s: 4.0,
        max_range_m: None,
        geometry: RangeGeometry::Plane,
        sectors: 32,
    };
    vec![radar("R1", 14.0, 1.0), radar("R2", 14.5, 1.5)]
}

/// PLOTS.csv text against two radars `R1`, `R2`: every line is accepted or refused with an
/// error naming that line; rows come out in time order, finite, for whole seconds.
pub fn offline_plots(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(mut run) = OfflineRun::new(two_radars()) else {
        panic!("two fixed radars are always valid");
    };
    let mut rows: Vec<TrackRow> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Err(e) = run.push_line(i + 1, line, &mut |r| rows.push(r)) {
            let shown = e.to_string();
            assert!(shown.starts_with(&format!("line {}: ", i + 1)), "{shown}");
        }
    }
    run.finish(&mut |r| rows.push(r));
    for pair in rows.windows(2) {
        if let [a, b] = pair {
            assert!(
                (a.time_s, a.track_id) < (b.time_s, b.track_id),
                "rows out of order"
            );
        }
    }
    for r in &rows {
        assert!(
            r.lat_deg.is_finite()
                && r.lon_deg.is_finite()
                && r.vx_mps.is_finite()
                && r.vy_mps.is_finite()
        );
        assert!(r.lat_deg.abs() <= 90.0);
    }
}

/// SENSORS.toml text: parsing never panics, and what it accepts makes a valid run.
pub fn sensors_toml(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(sensors) = offline::parse_sensors(&text) {
        assert!(!sensors.is_empty());
        assert!(
            OfflineRun::new(sensors).is_ok(),
            "accepted sensors must build a tracker"
        );
    }
}

/// A borders file: parsing never panics, an accepted file indexes and answers lookups.
pub fn borders(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(b) = Borders::parse(&text) {
        let index = RegionIndex::new(&b.countries, None);
        for p in [
            [0.0, 0.0],
            [1.5, 14.5],
            [-180.0, -90.0],
            [179.9, 89.9],
            [f64::NAN, 0.0],
        ] {
            let found = index.locate(p);
            assert!(found.iter().all(|&r| (r as usize) < b.countries.len()));
            let _ = index.distance_to_boundary_m(p, 1_000.0);
        }
    }
}

/// Arbitrary plots and ADS-B reports (fields read as raw `f64` bit patterns, so NaN, infinities
/// and absurd values all appear): the tracker refuses what is invalid, never panics, and its
/// pictures hold only finite positions.
pub fn tracker_input(data: &[u8]) {
    let mut tracker = Tracker::new(TrackerConfig::new(14.2, 1.2));
    let mut ids = Vec::new();
    for r in two_radars() {
        if let Ok(id) = tracker.add_radar(r) {
            ids.push(id);
        }
    }
    let Ok(adsb) = tracker.add_adsb_source(AdsbConfig::new("ADSB")) else {
        panic!("a default ADS-B source is always valid");
    };
    let mut words = data.chunks_exact(8).map(|c| {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        f64::from_le_bytes(b)
    });
    let mut clock: f64 = 0.0;
    while let (Some(kind), Some(a), Some(b), Some(c)) =
        (words.next(), words.next(), words.next(), words.next())
    {
        // Most inputs should look like plausible plots so the tracker gets past validation.
        let tame = |v: f64, lo: f64, hi: f64| {
            if v.is_finite() {
                lo + (v.abs() % (hi - lo))
            } else {
                v
            }
        };
        let selector = if kind.is_finite() {
            (kind.abs() % 4.0) as u8
        } else {
            3
        };
        match selector {
            0 | 1 => {
                let t = clock + tame(a, 0.0, 2.0);
                clock = clock.max(t.min(1e9));
                let plot = RadarPlot {
                    time_s: t,
                    range_m: tame(b, 0.0, 300_000.0),
                    azimuth_deg: tame(c, 0.0, 360.0),
                    mode3a: Some(((a.to_bits() >> 3) & 0o7777) as u16),
                    mode_s: Some((b.to_bits() & 0xFF_FFFF) as u32),
                    ..RadarPlot::default()
                };
                if let Some(&id) = ids.get(usize::from(selector)) {
                    let _ = tracker.push_plot(id, &plot);
                }
            }
            2 => {
                let report = AdsbReport {
                    time_s: clock + tame(a, 0.0, 1.0),
                    address: (c.to_bits() & 0xFF_FFFF) as u32,
                    lat_deg: tame(b, 13.0, 15.5),
                    lon_deg: tame(c, 0.0, 2.5),
                    velocity_mps: Some([a, b]),
                    position_sigma_m: Some(c),
                    ..AdsbReport::default()
                };
                let _ = tracker.push_adsb(adsb, &report);
            }
            _ => {
                // Raw, untamed values straight in, and a clock move.
                let plot = RadarPlot {
                    time_s: a,
                    range_m: b,
                    azimuth_deg: c,
                    ..RadarPlot::default()
                };
                if let Some(&id) = ids.first() {
                    let _ = tracker.push_plot(id, &plot);
                    let _ = tracker.sector_crossing(id, c, a);
                }
                for p in tracker.advance(clock) {
                    for t in p.tracks {
                        assert!(
                            t.lat_deg.is_finite() && t.lon_deg.is_finite(),
                            "non-finite track"
                        );
                    }
                }
            }
        }
    }
    for p in tracker.advance(clock + 5.0) {
        for t in p.tracks {
            assert!(
                t.lat_deg.is_finite() && t.lon_deg.is_finite(),
                "non-finite track"
            );
        }
    }
    let _ = tracker.take_events();
}

/// A scenario TOML: parsing and simulating (the first thousand events) never panic, and events
/// of one radar come out in time order.
pub fn scenario_toml(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(mut scenario) = Scenario::from_toml(&text) else {
        return;
    };
    // Keep fuzz iterations short whatever the input asks for.
    scenario.aircraft.truncate(20);
    scenario.radars.truncate(4);
    let Ok(sim) = Simulator::new(scenario) else {
        return;
    };
    let mut last: Vec<f64> = Vec::new();
    for e in sim.take(1_000) {
        if let SimEvent::Plot { radar, plot, .. } = e {
            if last.len() <= radar {
                last.resize(radar + 1, f64::NEG_INFINITY);
            }
            if let Some(prev) = last.get_mut(radar) {
                assert!(
                    plot.time_s >= *prev - 1e-6,
                    "plots of one radar out of time order"
                );
                *prev = plot.time_s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invariants_hold_on_simple_inputs() {
        offline_plots(b"time_s,sensor,range_m,azimuth_deg,mode3a,aircraft_address\n0.5,R1,1000,45,7700,ABCDEF\nbad\n");
        sensors_toml(b"[[sensor]]\nid = 1\nlat = 1\nlon = 2\nrange_sigma_m = 1\nazimuth_sigma_deg = 1\npd = 1\nperiod_s = 1\n");
        borders(b"# liptako-borders 1\nT 1 1 0 0\nA AAEA\nA EAAE\nA EEFA\nA AEAF\nC AAA 0,1,2,3\n");
        tracker_input(&[0u8; 64]);
        tracker_input(&f64::NAN.to_le_bytes().repeat(16));
        scenario_toml(b"name = \"x\"\nduration_s = 10\n");
    }
}
