//! Replays the committed fuzz corpus (`fuzz/corpus/track_*`) through the same invariants the
//! fuzz targets check (`liptako_track::check`), so every `cargo test` covers it on stable.

use std::path::PathBuf;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {} is missing: {e}", dir.display()));
    let mut n = 0;
    for entry in entries {
        let path = entry.expect("corpus entry").path();
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        check(&data);
        n += 1;
    }
    assert!(n > 0, "corpus {} is empty", dir.display());
}

#[test]
fn offline_plots() {
    replay("track_offline", liptako_track::check::offline_plots);
}

#[test]
fn sensors_toml() {
    replay("track_sensors", liptako_track::check::sensors_toml);
}

#[test]
fn borders() {
    replay("track_borders", liptako_track::check::borders);
}

#[test]
fn tracker_input() {
    replay("track_input", liptako_track::check::tracker_input);
}

#[test]
fn scenario_toml() {
    replay("track_scenario", liptako_track::check::scenario_toml);
}

#[test]
fn partner_input() {
    replay("track_partner", liptako_track::check::partner_input);
}

#[test]
fn wire_frame() {
    replay("track_wire", liptako_track::check::wire_frame);
}
