//! Arbitrary plots and ADS-B reports into a tracker: refused or tracked, never a panic or a non-finite track (`liptako_track::check::tracker_input`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liptako_track::check::tracker_input(data));
