//! One CoT XML document: `decode_xml` never panics, and what it accepts is relayed unchanged
//! through XML and protobuf (`liptako_cot::check::xml_document`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| liptako_cot::check::xml_document(data));
