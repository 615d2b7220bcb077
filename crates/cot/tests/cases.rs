//! Data-file cases: input beside expected output. A new case is two files, no code.
//!
//! For an input that decodes, the `.expected` file holds the decoded model and the XML we
//! write back; the test also checks that what we write decodes to the same event, and that
//! the event survives protobuf (XML -> model -> protobuf -> model -> XML). For an input that
//! must fail, the file holds the error.

use liptako_cot::{
    Event, decode_proto_event, decode_stream_frame, decode_xml, encode_proto_payload,
};

use crate::common::{check_expected, crate_dir, files_with_extension, limits, xml_text};

/// Encodes, decodes again, and checks both wire forms give back the same event.
fn check_round_trips(name: &str, event: &Event) -> Vec<String> {
    let mut failures = Vec::new();
    let xml = xml_text(event);
    match decode_xml(xml.as_bytes(), &limits()) {
        Ok(again) if xml_text(&again) == xml => {}
        Ok(again) => failures.push(format!(
            "{name}: XML round trip changed the event:\n{xml}\n{}",
            xml_text(&again)
        )),
        Err(error) => failures.push(format!("{name}: our XML does not decode: {error}\n{xml}")),
    }
    match decode_proto_event(&encode_proto_payload(event), &limits()) {
        Ok(again) if xml_text(&again) == xml => {}
        Ok(again) => failures.push(format!(
            "{name}: protobuf round trip changed the event:\n{xml}\n{}",
            xml_text(&again)
        )),
        Err(error) => failures.push(format!("{name}: our protobuf does not decode: {error}")),
    }
    failures
}

fn render(result: &Result<Event, liptako_cot::DecodeError>) -> String {
    match result {
        Ok(event) => format!(
            "{event:#?}\n--- written back as XML:\n{}\n",
            xml_text(event)
        ),
        Err(error) => format!("error: {error}\n"),
    }
}

#[test]
fn xml_cases_match_expected_and_round_trip() {
    let dir = crate_dir().join("tests/data/xml");
    let inputs = files_with_extension(&dir, "xml");
    assert!(inputs.len() >= 20, "test data missing in {}", dir.display());
    let mut failures = Vec::new();
    let mut n_valid = 0;
    for input in &inputs {
        let name = input
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let bytes = std::fs::read(input).expect("read case");
        let result = decode_xml(&bytes, &limits());
        // Files named bad_* are there to be refused; every other file must decode.
        match (&result, name.starts_with("bad_")) {
            (Ok(event), false) => {
                n_valid += 1;
                failures.extend(check_round_trips(&name, event));
            }
            (Err(_), true) => {}
            (Ok(_), true) => failures.push(format!("{name}: decoded, but must be refused")),
            (Err(error), false) => failures.push(format!("{name}: does not decode: {error}")),
        }
        failures.extend(check_expected(
            &input.with_extension("expected"),
            &render(&result),
        ));
    }
    assert!(n_valid >= 8, "only {n_valid} valid cases");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Stream frames written by takproto (`xml2proto(..., TAKProtoVer.STREAM)`) from the XML
/// case of the same name, decoded by us. Regenerate with `data/proto/generate.py`.
#[test]
fn takproto_frames_match_expected() {
    let dir = crate_dir().join("tests/data/proto");
    let inputs = files_with_extension(&dir, "bin");
    assert!(inputs.len() >= 5, "test data missing in {}", dir.display());
    let mut failures = Vec::new();
    for input in &inputs {
        let bytes = std::fs::read(input).expect("read case");
        let result = decode_stream_frame(&bytes, &limits()).and_then(|(message, consumed)| {
            assert_eq!(
                consumed,
                bytes.len(),
                "{}: one frame per file",
                input.display()
            );
            let cot_event = message.cot_event.expect("takproto frames carry an event");
            Event::from_proto(cot_event, &limits())
        });
        failures.extend(check_expected(
            &input.with_extension("expected"),
            &render(&result),
        ));
        if let Ok(event) = &result {
            failures.extend(check_round_trips(&input.display().to_string(), event));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
