//! ASTERIX data blocks: decoding never panics, decoded records re-encode to the same items, and
//! typed reports round-trip (`liptako_asterix::check::decode`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liptako_asterix::check::decode(data));
