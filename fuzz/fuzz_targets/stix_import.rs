//! A STIX bundle or TAXII envelope from anywhere: import never panics, gives one outcome per
//! object, stores only valid, marked reports and nothing about an individual person
//! (`liptako_stix::check::import_bytes`; the first byte chooses whether a default marking is
//! configured).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liptako_stix::check::import_bytes(data));
