//! Capture files (pcap, pcapng, raw ASTERIX): reading never panics, payloads are where they
//! say, and every payload passes the decoding invariants (`liptako_asterix::check::capture`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liptako_asterix::check::capture(data));
