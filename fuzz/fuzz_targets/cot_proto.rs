//! One TAK protocol payload or mesh datagram: decoders never panic, and what they accept is
//! relayed unchanged (`liptako_cot::check::proto_payload`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liptako_cot::check::proto_payload(data));
