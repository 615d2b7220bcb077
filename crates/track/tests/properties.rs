//! Property tests: no input makes the parsers or the tracker panic, and the geometry and the
//! offline format round-trip; partner input and the link's wire form likewise, the wire never
//! makes a state look more accurate than it was, and the joint scenario never shows one
//! aircraft twice whatever the seed and the link's budget.

use liptako_track::confederation::{self, LinkSpec};
use liptako_track::geo::{Geodetic, TangentPlane};
use liptako_track::mat::Mat;
use liptako_track::offline::{parse_address, parse_mode3a};
use liptako_track::partner::{ReportAccuracy, SystemTrackReport};
use liptako_track::wire::{LinkFrame, LinkRecord, decode_frame, encode_frame};
use liptako_track::{TrackerConfig, scenarios};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn offline_lines_never_panic(lines in proptest::collection::vec(".{0,80}", 0..20)) {
        liptako_track::check::offline_plots(lines.join("\n").as_bytes());
    }

    #[test]
    fn offline_rows_never_panic(rows in proptest::collection::vec(
        (0.0f64..100.0, prop_oneof!["R1", "R2", "R3"], -10.0f64..400_000.0, -720.0f64..720.0,
         proptest::option::of(0u16..0o10000), proptest::option::of(0u32..0x100_0000)), 0..60)) {
        let mut sorted = rows;
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut text = String::from("time_s,sensor,range_m,azimuth_deg,mode3a,aircraft_address\n");
        for (t, s, r, a, m, addr) in &sorted {
            let m = m.map(|c| format!("{c:04o}")).unwrap_or_default();
            let addr = addr.map(|x| format!("{x:06X}")).unwrap_or_default();
            text.push_str(&format!("{t},{s},{r},{a},{m},{addr}\n"));
        }
        liptako_track::check::offline_plots(text.as_bytes());
    }

    #[test]
    fn tracker_never_panics(data in proptest::collection::vec(any::<u8>(), 0..2_000)) {
        liptako_track::check::tracker_input(&data);
    }

    #[test]
    fn sensors_and_borders_never_panic(text in ".{0,400}") {
        liptako_track::check::sensors_toml(text.as_bytes());
        liptako_track::check::borders(text.as_bytes());
        liptako_track::check::scenario_toml(text.as_bytes());
    }

    #[test]
    fn codes_round_trip(code in 0u16..0o10000, address in 0u32..0x100_0000) {
        prop_assert_eq!(parse_mode3a(&format!("{code:04o}")), Ok(Some(code)));
        prop_assert_eq!(parse_address(&format!("{address:06x}")), Ok(Some(address)));
        prop_assert_eq!(parse_address(&format!("{address:06X}")), Ok(Some(address)));
    }

    #[test]
    fn plane_round_trip(lat in -80.0f64..80.0, lon in -180.0f64..180.0, e in -800_000.0f64..800_000.0, n in -800_000.0f64..800_000.0) {
        let plane = TangentPlane::new(lat, lon);
        let p = plane.to_ecef(e, n).expect("within the hemisphere");
        let g = p.to_geodetic();
        prop_assert!(g.height_m.abs() < 1e-4, "height {}", g.height_m);
        let (e2, n2) = plane.from_ecef(p);
        prop_assert!((e2 - e).abs() < 1e-5 && (n2 - n).abs() < 1e-5);
    }

    #[test]
    fn geodetic_round_trip(lat in -89.9f64..89.9, lon in -180.0f64..180.0, h in -500.0f64..20_000.0) {
        let back = Geodetic::new(lat, lon, h).to_ecef().to_geodetic();
        prop_assert!((back.lat_deg - lat).abs() < 1e-9);
        prop_assert!((back.height_m - h).abs() < 1e-5);
        let dlon = (back.lon_deg - lon + 540.0).rem_euclid(360.0) - 180.0;
        prop_assert!(dlon.abs() < 1e-9);
    }

    #[test]
    fn partner_input_never_panics(data in proptest::collection::vec(any::<u8>(), 0..3_000)) {
        liptako_track::check::partner_input(&data);
        liptako_track::check::wire_frame(&data);
    }

    #[test]
    fn wire_round_trips_and_never_understates_accuracy(
        lat in -89.0f64..89.0, lon in -180.0f64..180.0, ve in -900.0f64..900.0, vn in -900.0f64..900.0,
        sigmas in proptest::array::uniform4(0.3f64..3_000.0),
        rho in proptest::array::uniform6(-0.7f64..0.7),
        time_ms in 0i64..4_000_000_000_000, age_ms in 0i64..30_000,
        mode_s in proptest::option::of(0u32..0x100_0000), mode3a in proptest::option::of(0u16..0o10000),
    ) {
        // A covariance from sigmas and correlations (position sigmas as given, velocities a
        // tenth), kept positive definite by shrinking the correlations.
        let s = [sigmas[0], sigmas[1], sigmas[2] / 10.0, sigmas[3] / 10.0];
        let mut c = [[0.0; 4]; 4];
        let mut k = 0;
        for i in 0..4 {
            c[i][i] = s[i] * s[i];
            for j in (i + 1)..4 {
                c[i][j] = 0.3 * rho[k] * s[i] * s[j];
                c[j][i] = c[i][j];
                k += 1;
            }
        }
        let time_s = time_ms as f64 / 1000.0;
        let report = SystemTrackReport {
            track_number: 42,
            time_s,
            lat_deg: lat,
            lon_deg: lon,
            velocity_mps: Some([ve, vn]),
            accuracy: ReportAccuracy::Covariance(c),
            mode_s,
            mode3a,
            updated_s: Some(time_s - age_ms as f64 / 1000.0),
            ..SystemTrackReport::default()
        };
        let frame = LinkFrame {
            time_s: time_s + 0.4,
            records: vec![LinkRecord::State { report: report.clone(), marking: None }],
        };
        let bytes = encode_frame(&frame).expect("encodable");
        let back = decode_frame(&bytes).expect("decodes");
        let [LinkRecord::State { report: got, .. }] = back.records.as_slice() else {
            panic!("one state");
        };
        prop_assert!((got.lat_deg - lat).abs() <= 0.6e-7);
        prop_assert!((got.lon_deg - lon).abs() <= 0.6e-7);
        let [gve, gvn] = got.velocity_mps.expect("velocity");
        prop_assert!((gve - ve).abs() <= 0.051 && (gvn - vn).abs() <= 0.051);
        prop_assert_eq!((got.mode_s, got.mode3a), (mode_s, mode3a));
        prop_assert!((got.updated_s.expect("update time") - report.updated_s.expect("u")).abs() <= 1e-3);
        let ReportAccuracy::Covariance(q) = got.accuracy else { panic!("covariance") };
        // Decoded minus sent is positive semi-definite (within rounding).
        let d = Mat(q) - Mat(c);
        let slack = Mat::<4, 4>::identity().scale(1e-9 * s.iter().fold(1.0f64, |a, b| a.max(b * b)));
        prop_assert!((d + slack).cholesky().is_some(), "{:?}", d);
    }
}

proptest! {
    // Whole scenario runs: a few cases, each a minute of simulated flight or more.
    #![proptest_config(ProptestConfig::with_cases(6))]

    #[test]
    fn never_two_joint_tracks_for_one_aircraft(seed in 10u64..10_000, budget in 3_000.0f64..16_000.0) {
        let mut s = scenarios::joint(seed);
        s.duration_s = 400.0;
        let link = LinkSpec { budget_bytes_per_s: Some(budget), ..LinkSpec::satellite() };
        let run = confederation::run(&s, &confederation::joint_nations(),
            &TrackerConfig::new(15.0, 0.75), &link, None).expect("run");
        let plane = TangentPlane::new(15.0, 0.75);
        for nation in &run.nations {
            prop_assert_eq!(nation.refused, 0);
            for p in &nation.pictures {
                let truths: Vec<(f64, f64)> = run.truth.iter()
                    .filter(|t| t.time_s == p.time_s)
                    .map(|t| plane.from_geodetic(t.lat_deg, t.lon_deg)).collect();
                // Every aircraft has at most one track within 2 km; no track is beside one
                // without being its closest.
                for (tx, ty) in &truths {
                    let near = p.tracks.iter().filter(|t| {
                        let (x, y) = plane.from_geodetic(t.lat_deg, t.lon_deg);
                        (x - tx).hypot(y - ty) < 2_000.0
                    }).count();
                    let others = truths.iter().filter(|(ux, uy)| (ux - tx).hypot(uy - ty) < 4_000.0).count();
                    prop_assert!(near <= others, "seed {} budget {:.0} {} at {} s: {} tracks near one aircraft",
                        seed, budget, nation.nation, p.time_s, near);
                }
            }
        }
    }
}
