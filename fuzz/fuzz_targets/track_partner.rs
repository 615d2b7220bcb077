//! Partner system tracks into a tracker, as link frames and as raw reports: refused or fused, never a panic, a non-finite track or a partner track in two joint tracks (`liptako_track::check::partner_input`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liptako_track::check::partner_input(data));
