//! SENSORS.toml: parsing never panics and what it accepts builds a tracker (`liptako_track::check::sensors_toml`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liptako_track::check::sensors_toml(data));
