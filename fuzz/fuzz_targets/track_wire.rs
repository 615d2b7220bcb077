//! Link frames of partner tracks: decoding never panics, and what decodes encodes and decodes again to the same records (`liptako_track::check::wire_frame`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liptako_track::check::wire_frame(data));
