//! A protobuf stream connection's bytes: the stream decoder never panics, stays within its
//! memory bound, yields relayable events and nothing after a fatal error
//! (`liptako_cot::check::stream`). The first byte sets the read size.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    liptako_cot::check::stream(data, liptako_cot::Framing::Protobuf)
});
