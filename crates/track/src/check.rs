//! Invariants on untrusted input, shared by the fuzz targets (`fuzz/fuzz_targets/track_*.rs`)
//! and the corpus replay test: each function takes arbitrary bytes, must never panic, and
//! asserts what must hold of whatever it accepts.

use std::collections::HashSet;

use crate::borders::Borders;
use crate::offline::{self, OfflineRun, TrackRow};
use crate::partner::{Contributor, ReportAccuracy, SystemTrackReport, SystemTrackSourceConfig};
use crate::region::RegionIndex;
use crate::sensor::{AdsbConfig, AdsbReport, RadarConfig, RadarPlot, RangeGeometry};
use crate::sim::{Scenario, SimEvent, Simulator};
use crate::tracker::Picture;
use crate::tracker::{Tracker, TrackerConfig};
use crate::wire::{LinkRecord, decode_frame, encode_frame};

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

/// What must hold of every picture with partner tracks: finite positions and covariances,
/// distinct track ids, contributors sorted and distinct; and of the tracker, consistent links
/// between partner tracks and joint tracks (each partner track in one joint track at most).
fn check_joint_picture(tracker: &Tracker, p: &Picture) {
    if let Err(e) = tracker.check_joint_links() {
        panic!("{e}");
    }
    let mut seen: HashSet<u32> = HashSet::new();
    for t in &p.tracks {
        assert!(seen.insert(t.id.0), "two tracks with one id");
        assert!(
            t.lat_deg.is_finite() && t.lon_deg.is_finite(),
            "non-finite track"
        );
        assert!(
            t.covariance.iter().flatten().all(|v| v.is_finite()),
            "non-finite covariance"
        );
        assert!(
            t.contributors.windows(2).all(|w| w[0] < w[1]),
            "contributors not sorted and distinct"
        );
    }
}

/// Arbitrary partner input into a tracker with one radar and two partner sources: the bytes
/// are read as a link frame (fed as it is when it decodes) and as raw reports, plots and
/// clock moves (fields read as raw `f64` bit patterns, so NaN, infinities and absurd values
/// all appear). Refused or taken, never a panic; pictures stay sound (`check_joint_picture`).
pub fn partner_input(data: &[u8]) {
    let mut tracker = Tracker::new(TrackerConfig::new(14.2, 1.2));
    let Some(radar) = two_radars().into_iter().next() else {
        panic!("a fixed radar");
    };
    let Ok(radar) = tracker.add_radar(radar) else {
        panic!("a fixed radar is always valid");
    };
    let (Ok(a), Ok(b)) = (
        tracker.add_system_track_source(SystemTrackSourceConfig::new("A")),
        tracker.add_system_track_source(SystemTrackSourceConfig {
            nation: Some("BFA".into()),
            ..SystemTrackSourceConfig::new("B")
        }),
    ) else {
        panic!("default sources are always valid");
    };
    if let Ok(frame) = decode_frame(data) {
        for record in &frame.records {
            match record {
                LinkRecord::State { report, .. } => {
                    let _ = tracker.push_system_track(a, report);
                }
                LinkRecord::Ended { track_number } => {
                    let _ = tracker.end_system_track(a, *track_number);
                }
            }
        }
        for p in tracker.advance(frame.time_s) {
            check_joint_picture(&tracker, &p);
        }
    }
    let mut words = data.chunks_exact(8).map(|c| {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        f64::from_le_bytes(w)
    });
    let tame = |v: f64, lo: f64, hi: f64| {
        if v.is_finite() {
            lo + (v.abs() % (hi - lo))
        } else {
            v
        }
    };
    let mut clock: f64 = 0.0;
    while let (Some(kind), Some(x), Some(y), Some(z)) =
        (words.next(), words.next(), words.next(), words.next())
    {
        let selector = if kind.is_finite() {
            (kind.abs() % 6.0) as u8
        } else {
            5
        };
        let number = (x.to_bits() % 7) as u32;
        let source = if y.to_bits() % 2 == 0 { a } else { b };
        match selector {
            0..=2 => {
                // A plausible report near the radar, so most get past validation.
                let report = SystemTrackReport {
                    track_number: number,
                    time_s: clock + tame(x, 0.0, 3.0),
                    lat_deg: tame(y, 13.5, 15.0),
                    lon_deg: tame(z, 0.5, 2.0),
                    velocity_mps: Some([tame(x, -250.0, 250.0), tame(z, -250.0, 250.0)]),
                    accuracy: match selector {
                        0 => ReportAccuracy::Sigmas {
                            position_sigma_m: tame(z, 1.0, 500.0),
                            velocity_sigma_mps: tame(y, 0.5, 20.0),
                        },
                        1 => ReportAccuracy::Unknown,
                        _ => ReportAccuracy::Covariance([
                            [tame(x, 1.0, 1e5), y, 0.0, 0.0],
                            [y, tame(z, 1.0, 1e5), 0.0, 0.0],
                            [0.0, 0.0, tame(y, 0.1, 100.0), 0.0],
                            [0.0, 0.0, 0.0, tame(x, 0.1, 100.0)],
                        ]),
                    },
                    turn_rate_deg_s: Some(tame(z, -5.0, 5.0)),
                    mode_s: (x.to_bits() % 3 == 0).then_some((y.to_bits() & 0xFF_FFFF) as u32),
                    mode3a: Some(((z.to_bits() >> 5) & 0o7777) as u16),
                    contributors: vec![Contributor {
                        nation: Some("XYZ".into()),
                        sensor: "S".into(),
                    }],
                    updated_s: Some(clock),
                    coasting: z.to_bits() % 5 == 0,
                    ..SystemTrackReport::default()
                };
                clock = clock.max(report.time_s.min(1e9));
                let _ = tracker.push_system_track(source, &report);
            }
            3 => {
                // Raw values straight in.
                let report = SystemTrackReport {
                    track_number: number,
                    time_s: x,
                    lat_deg: y,
                    lon_deg: z,
                    velocity_mps: Some([kind, x]),
                    accuracy: ReportAccuracy::Covariance([[x, y, z, kind]; 4]),
                    turn_rate_deg_s: Some(y),
                    altitude_m: Some(z),
                    updated_s: Some(kind),
                    ..SystemTrackReport::default()
                };
                let _ = tracker.push_system_track(source, &report);
                let _ = tracker.end_system_track(source, number.wrapping_add(1));
            }
            4 => {
                let plot = RadarPlot {
                    time_s: clock + tame(x, 0.0, 2.0),
                    range_m: tame(y, 0.0, 200_000.0),
                    azimuth_deg: tame(z, 0.0, 360.0),
                    ..RadarPlot::default()
                };
                let _ = tracker.push_plot(radar, &plot);
            }
            _ => {
                if y.to_bits() % 11 == 0 {
                    let _ = tracker.end_system_track_source(source);
                }
                clock += tame(x, 0.0, 5.0);
                for p in tracker.advance(clock) {
                    check_joint_picture(&tracker, &p);
                }
            }
        }
    }
    for p in tracker.advance(clock + 30.0) {
        check_joint_picture(&tracker, &p);
    }
    let _ = tracker.take_events();
}

/// A link frame: decoding never panics; a frame that decodes and encodes again decodes to the
/// same records, with the same track numbers and kinds and positions within the wire's
/// resolution.
pub fn wire_frame(data: &[u8]) {
    let Ok(frame) = decode_frame(data) else {
        return;
    };
    let Ok(bytes) = encode_frame(&frame) else {
        return;
    };
    let Ok(again) = decode_frame(&bytes) else {
        panic!("our own encoding of a decoded frame does not decode");
    };
    assert_eq!(frame.records.len(), again.records.len());
    for (a, b) in frame.records.iter().zip(&again.records) {
        match (a, b) {
            (LinkRecord::Ended { track_number: x }, LinkRecord::Ended { track_number: y }) => {
                assert_eq!(x, y);
            }
            (
                LinkRecord::State {
                    report: x,
                    marking: mx,
                },
                LinkRecord::State {
                    report: y,
                    marking: my,
                },
            ) => {
                assert_eq!(x.track_number, y.track_number);
                assert_eq!(mx, my);
                assert!((x.lat_deg - y.lat_deg).abs() < 2e-7);
                assert_eq!((x.mode_s, x.mode3a), (y.mode_s, y.mode3a));
                assert_eq!(x.contributors, y.contributors);
            }
            _ => panic!("a record changed kind"),
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
        partner_input(&[0u8; 256]);
        partner_input(&f64::NAN.to_le_bytes().repeat(32));
        wire_frame(b"LT\x01\x00\x00\x00\x00\x00");
        scenario_toml(b"name = \"x\"\nduration_s = 10\n");
    }
}
