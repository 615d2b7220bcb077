//! Scenario TOML: parsing and simulating never panic; each radar's plots come in time order (`liptako_track::check::scenario_toml`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liptako_track::check::scenario_toml(data));
