//! A connection's bytes with framing detection (XML in practice): the stream decoder never
//! panics, stays within its memory bound and yields relayable events
//! (`liptako_cot::check::stream`). The first byte sets the read size.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    liptako_cot::check::stream(data, liptako_cot::Framing::Detect)
});
