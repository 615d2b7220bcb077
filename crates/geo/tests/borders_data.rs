//! The embedded borders file: it is exactly what `scripts/gen-borders` makes from the pinned npm
//! packages (never edited by hand), and it answers for the whole world, not only the demo's
//! nations.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is the test failing

use std::path::PathBuf;
use std::process::Command;

use liptako_geo::GeoBox;
use liptako_geo::borders::{Borders, NATURAL_EARTH_BORDERS};

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn embedded_borders_are_regenerated_identically_from_npm() {
    let root = workspace_root();
    for package in ["world-atlas", "i18n-iso-countries"] {
        let dir = root.join("node_modules").join(package);
        assert!(
            dir.join("package.json").exists(),
            "{} is missing: run ./scripts/test, which installs the pinned npm packages \
             (world-atlas@2.0.2, i18n-iso-countries@7.14.0) before the tests",
            dir.display()
        );
    }
    let node = std::env::var("LIPTAKO_NODE").unwrap_or_else(|_| "node".into());
    let out = Command::new(&node)
        .arg(root.join("scripts/gen-borders"))
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `{node}` ({e}): run ./scripts/test, which installs Node.js")
        });
    assert!(
        out.status.success(),
        "scripts/gen-borders failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout == NATURAL_EARTH_BORDERS.as_bytes(),
        "crates/geo/data/borders.txt differs from what scripts/gen-borders produces: \
         regenerate it with `scripts/gen-borders > crates/geo/data/borders.txt`"
    );
}

#[test]
fn header_names_the_source_package_and_version() {
    let b = Borders::natural_earth().expect("embedded file parses");
    assert!(b.source.contains("world-atlas@2.0.2"), "{}", b.source);
    assert!(NATURAL_EARTH_BORDERS.contains("i18n-iso-countries@7.14.0"));
}

#[test]
fn world_borders_answer_everywhere() {
    let b = Borders::natural_earth().expect("embedded file parses");
    assert!(b.countries.len() > 200, "{} countries", b.countries.len());
    let airspace = b.index(None);
    let cases = [
        (12.64, -8.00, Some("MLI")),   // Bamako
        (12.37, -1.52, Some("BFA")),   // Ouagadougou
        (13.51, 2.11, Some("NER")),    // Niamey
        (48.86, 2.35, Some("FRA")),    // Paris
        (-33.87, 151.21, Some("AUS")), // Sydney
        (35.68, 139.69, Some("JPN")),  // Tokyo
        (-23.55, -46.63, Some("BRA")), // Sao Paulo
        (0.0, -30.0, None),            // mid-Atlantic
    ];
    for (lat, lon, want) in cases {
        assert_eq!(airspace.nation_at(lat, lon), want, "at {lat}, {lon}");
    }
}

#[test]
fn regional_index_agrees_with_the_world_index() {
    let b = Borders::natural_earth().expect("embedded file parses");
    let world = b.index(None);
    let area = GeoBox {
        min_lon_deg: -3.0,
        min_lat_deg: 11.0,
        max_lon_deg: 4.0,
        max_lat_deg: 18.0,
    };
    let regional = b.index(Some(area));
    // A grid over the Liptako-Gourma region and beyond the regional box.
    for i in 0..60 {
        for j in 0..60 {
            let lat = 10.0 + 9.0 * f64::from(i) / 59.0;
            let lon = -4.0 + 9.0 * f64::from(j) / 59.0;
            assert_eq!(
                world.nation_at(lat, lon),
                regional.nation_at(lat, lon),
                "at {lat}, {lon}"
            );
        }
    }
}
