//! Property tests: no input makes the parsers or the tracker panic, and the geometry and the
//! offline format round-trip.

use liptako_track::geo::{Geodetic, TangentPlane};
use liptako_track::offline::{parse_address, parse_mode3a};
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
}
