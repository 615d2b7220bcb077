//! PLOTS.csv lines against two radars: errors name their line, rows stay ordered and finite (`liptako_track::check::offline_plots`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liptako_track::check::offline_plots(data));
