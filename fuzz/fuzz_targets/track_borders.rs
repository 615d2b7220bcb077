//! Borders files: parsing never panics and accepted files index and answer lookups (`liptako_track::check::borders`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liptako_track::check::borders(data));
