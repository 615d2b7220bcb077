//! Peer tests against real TAK client libraries from PyPI, run from the repo's venv
//! (`scripts/setup-peers`, pinned in `scripts/requirements-peers.txt`):
//!
//! - takproto decodes our protobuf to the same fields Python's XML parser reads from our XML
//!   (markings included: takproto 3.0.1 predates `caveat`/`releaseableTo`, so they arrive as
//!   unknown fields 16 and 17, which is what the wire says);
//! - takproto's own XML -> protobuf conversion of our XML gives the same fields, except where
//!   takproto drops data (listed below);
//! - we decode takproto's frames to the fields of the original, and a frame relayed through
//!   takproto (parsed and re-serialised) decodes to exactly the original event;
//! - we decode the CoT XML pytak generates to the values pytak was given.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use liptako_cot::chat::GeoChat;
use liptako_cot::negotiation::{ping, pong, protocol_response, protocol_support};
use liptako_cot::{
    CotTime, Event, Framing, Point, StreamDecoder, decode_xml, encode_stream_frame, encode_xml,
};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::Value;

use crate::common::{crate_dir, files_with_extension, limits, workspace_root, xml_text};

/// The Python with the peers installed: `LIPTAKO_PYTHON`, else the workspace venv.
fn python() -> PathBuf {
    let python = std::env::var_os("LIPTAKO_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"));
    assert!(
        python.exists(),
        "no Python with the TAK peers at {}: run ./scripts/test (it runs scripts/setup-peers), or set LIPTAKO_PYTHON",
        python.display()
    );
    python
}

fn run_python(script: &str, stdin: &str) -> String {
    let mut child = Command::new(python())
        .arg(crate_dir().join("tests/peers").join(script))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the peer script");
    // Written from a thread so a peer that answers while reading cannot fill both pipes; a
    // write error means the peer died, which its exit status and stderr explain.
    let mut child_stdin = child.stdin.take().expect("stdin");
    let input = stdin.to_owned();
    let writer = std::thread::spawn(move || {
        let _ = child_stdin.write_all(input.as_bytes());
    });
    let output = child.wait_with_output().expect("peer script runs");
    let _ = writer.join();
    assert!(
        output.status.success(),
        "{script} failed (is the venv current? run ./scripts/test):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("peer output is UTF-8")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).expect("hex from the peer"))
        .collect()
}

fn decode_one_frame(frame: &[u8]) -> Event {
    let mut decoder = StreamDecoder::new(Framing::Protobuf, limits());
    decoder.feed(frame);
    let event = decoder
        .next_event()
        .expect("a whole frame")
        .expect("the frame decodes");
    assert_eq!(decoder.buffered_len(), 0);
    event
}

/// The events we send to the peers: every valid XML case, events our own builders make, and
/// random events from the property-test generator (deterministic seed).
fn cases() -> Vec<(String, Event)> {
    let mut cases = Vec::new();
    for path in files_with_extension(&crate_dir().join("tests/data/xml"), "xml") {
        let name = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if let Ok(event) = decode_xml(&std::fs::read(&path).expect("read case"), &limits()) {
            cases.push((name, event));
        }
    }
    let now = CotTime::from_unix_ms(1_710_408_413_535).expect("valid time");
    let geochat = GeoChat {
        message_id: "0f9e8d7c-0000-4000-8000-000000000000".into(),
        sender_uid: "ANDROID-a1".into(),
        sender_callsign: "FALCON".into(),
        room_id: "ANDROID-b2".into(),
        room_name: "HAWK".into(),
        text: "Move to <CP3> & hold".into(),
        time: now,
        stale: now.plus_ms(86_400_000),
        point: Point::new(14.5, -1.25),
        dest_callsigns: vec!["HAWK".into()],
    };
    cases.push(("built_geochat".into(), geochat.to_event()));
    cases.push((
        "built_protocol_support".into(),
        protocol_support("protouid", now, &[1]),
    ));
    cases.push((
        "built_protocol_response".into(),
        protocol_response("protouid", now, true),
    ));
    cases.push(("built_ping".into(), ping("ANDROID-a1", now)));
    cases.push(("built_pong".into(), pong(now)));
    let mut runner = TestRunner::deterministic();
    let strategy = crate::properties::event();
    for index in 0..60 {
        let event = strategy.new_tree(&mut runner).expect("generate").current();
        cases.push((format!("random_{index}"), event));
    }
    cases
}

type View = serde_json::Map<String, Value>;

fn view(result: &Value, key: &str) -> View {
    result[key]
        .as_object()
        .unwrap_or_else(|| panic!("peer result has no {key}"))
        .clone()
}

/// What takproto 3.0.1's `xml2message` leaves out of its conversion: it knows nothing of
/// `caveat`/`releaseableTo`, and keeps only the attributes its messages have, so an extra
/// attribute or child content of a typed element (e.g. iTAK's `contact phone`) is dropped, and
/// an element with none of them (ATAK's `<status readiness="true"/>`) is dropped whole.
fn without_takproto_losses(mut view: View) -> View {
    view.remove("caveat");
    view.remove("releaseableTo");
    view.retain(|key, _| match key.split_once('.') {
        Some((element, attribute)) => match element {
            "contact" => matches!(attribute, "callsign" | "endpoint"),
            "__group" => matches!(attribute, "name" | "role"),
            "precisionlocation" => matches!(attribute, "geopointsrc" | "altsrc"),
            "status" => attribute == "battery",
            "takv" => matches!(attribute, "device" | "platform" | "os" | "version"),
            "track" => matches!(attribute, "speed" | "course"),
            _ => true,
        },
        None => true,
    });
    for element in [
        "contact",
        "__group",
        "precisionlocation",
        "status",
        "takv",
        "track",
    ] {
        let prefix = format!("{element}.");
        if !view.keys().any(|key| key.starts_with(&prefix)) {
            view.remove(element);
        }
    }
    view
}

/// The fields of an event that every TAK library carries, as text (a typed element with none
/// of its protobuf fields set does not count: takproto drops it).
fn summary(event: &Event) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    let mut put = |key: &str, value: String| {
        fields.insert(key.to_owned(), value);
    };
    put("uid", event.uid.clone());
    put("type", event.event_type.clone());
    put("how", event.how.clone());
    put("time", event.time.to_string());
    put("start", event.start.to_string());
    put("stale", event.stale.to_string());
    put("qos", format!("{:?}", event.qos));
    put("access", format!("{:?}", event.marking.access));
    put("opex", format!("{:?}", event.marking.opex));
    put("point", format!("{:?}", event.point));
    let detail = &event.detail;
    if let Some(contact) = &detail.contact {
        put(
            "contact",
            format!("{:?} {:?}", contact.callsign, contact.endpoint),
        );
    }
    if let Some(group) = &detail.group {
        put("group", format!("{:?} {:?}", group.name, group.role));
    }
    if let Some(location) = &detail.precision_location {
        put(
            "precisionlocation",
            format!("{:?} {:?}", location.geopointsrc, location.altsrc),
        );
    }
    if let Some(battery) = detail.status.as_ref().and_then(|status| status.battery) {
        put("status", battery.to_string());
    }
    if let Some(takv) = &detail.takv {
        put(
            "takv",
            format!(
                "{:?} {:?} {:?} {:?}",
                takv.device, takv.platform, takv.os, takv.version
            ),
        );
    }
    if let Some(track) = &detail.track {
        put(
            "track",
            format!("{:?} {:?}", track.course_deg, track.speed_mps),
        );
    }
    if let Some(chat) = &detail.chat {
        put(
            "chat",
            format!(
                "{:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                chat.parent,
                chat.message_id,
                chat.chatroom,
                chat.id,
                chat.sender_callsign,
                chat.chat_group.as_ref().map(|group| &group.uids),
                chat.chat_group.as_ref().map(|group| &group.id)
            ),
        );
    }
    let links: Vec<String> = detail
        .links
        .iter()
        .map(|link| format!("{:?} {:?} {:?}", link.uid, link.link_type, link.relation))
        .collect();
    put("links", links.join("; "));
    if let Some(remarks) = &detail.remarks {
        put(
            "remarks",
            format!("{:?} {:?} {:?}", remarks.source, remarks.to, remarks.text),
        );
    }
    put(
        "dests",
        event.dest_callsigns().collect::<Vec<_>>().join(", "),
    );
    let unknown: Vec<&str> = detail.unknown.iter().filter_map(|raw| raw.name()).collect();
    put("unknown", unknown.join(" "));
    fields
}

#[test]
fn takproto_reads_our_protobuf_and_xml_and_we_read_takproto() {
    let cases = cases();
    let mut input = String::new();
    for (name, event) in &cases {
        let line = serde_json::json!({
            "name": name,
            "xml": xml_text(event),
            "frame": hex(&encode_stream_frame(event)),
        });
        input.push_str(&line.to_string());
        input.push('\n');
    }
    let output = run_python("takproto_peer.py", &input);
    let results: Vec<Value> = output
        .lines()
        .map(|line| serde_json::from_str(line).expect("peer JSON"))
        .collect();
    assert_eq!(results.len(), cases.len(), "one answer per case");

    let mut failures = Vec::new();
    let mut takproto_refused = Vec::new();
    let mut n_marked = 0;
    for ((name, event), result) in cases.iter().zip(&results) {
        assert_eq!(result["name"], name.as_str());
        let et_view = view(result, "et_view");
        // The views are not empty: they carry what the event says.
        assert_eq!(et_view["uid"], event.uid.as_str(), "{name}");
        if let Some(caveat) = &event.marking.caveat {
            assert_eq!(et_view["caveat"], caveat.as_str(), "{name}");
            n_marked += 1;
        }
        if let Some(callsign) = event.callsign() {
            assert_eq!(et_view["contact.callsign"], callsign, "{name}");
        }

        let proto_view = view(result, "proto_view");
        if proto_view != et_view {
            failures.push(format!("{name}: takproto reads our protobuf differently from our XML:\n  xml:   {et_view:?}\n  proto: {proto_view:?}"));
        }

        let relayed = decode_one_frame(&unhex(result["relayed_frame"].as_str().expect("hex")));
        if xml_text(&relayed) != xml_text(event) {
            failures.push(format!(
                "{name}: relayed through takproto, the event changed:\n{}\n{}",
                xml_text(event),
                xml_text(&relayed)
            ));
        }

        // takproto's own conversion is only meaningful for realistic CoT: random strings with
        // line breaks defeat its GeoChat regex, and it skips empty attributes.
        if let Some(error) = result["takproto_xml_error"].as_str() {
            takproto_refused.push(format!("{name}: {error}"));
        } else if !name.starts_with("random_") {
            let takproto_xml_view = without_takproto_losses(view(result, "takproto_xml_view"));
            let expected = without_takproto_losses(et_view.clone());
            if takproto_xml_view != expected {
                failures.push(format!("{name}: takproto converts our XML to other fields:\n  ours:     {expected:?}\n  takproto: {takproto_xml_view:?}"));
            }
            let from_takproto =
                decode_one_frame(&unhex(result["takproto_frame"].as_str().expect("hex")));
            if summary(&from_takproto) != summary(event) {
                failures.push(format!("{name}: takproto's frame decodes to other fields:\n  ours:     {:?}\n  takproto: {:?}", summary(event), summary(&from_takproto)));
            }
        }
    }
    assert!(
        n_marked >= 5,
        "marked events are part of the comparison ({n_marked})"
    );
    // takproto 3.0.1 raises on a fractional battery (`int("87.5")`), which we keep verbatim.
    let refused_cases: Vec<&str> = takproto_refused
        .iter()
        .filter_map(|line| line.split(':').next())
        .filter(|name| !name.starts_with("random_"))
        .collect();
    assert_eq!(
        refused_cases,
        ["wintak_edge_cases"],
        "takproto refusals changed: {takproto_refused:?}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn we_decode_what_pytak_generates() {
    let output = run_python("pytak_peer.py", "");
    let cases: Vec<Value> = serde_json::from_str(&output).expect("peer JSON");
    assert!(cases.len() >= 4);
    for case in &cases {
        let xml = case["xml"].as_str().expect("xml");
        let expect = &case["expect"];
        let event =
            decode_xml(xml.as_bytes(), &limits()).unwrap_or_else(|error| panic!("{error}\n{xml}"));
        assert_eq!(event.uid, expect["uid"].as_str().unwrap(), "{xml}");
        assert_eq!(event.event_type, expect["type"].as_str().unwrap(), "{xml}");
        assert_eq!(event.how, expect["how"].as_str().unwrap(), "{xml}");
        assert_eq!(
            event.time.unix_ms(),
            expect["time_ms"].as_u64().unwrap(),
            "{xml}"
        );
        assert_eq!(
            event.start.unix_ms(),
            expect["start_ms"].as_u64().unwrap(),
            "{xml}"
        );
        assert_eq!(
            event.stale.unix_ms(),
            expect["stale_ms"].as_u64().unwrap(),
            "{xml}"
        );
        for (key, value) in [
            ("lat", event.point.lat_deg),
            ("lon", event.point.lon_deg),
            ("hae", event.point.hae_m),
            ("ce", event.point.ce_m),
            ("le", event.point.le_m),
        ] {
            if let Some(expected) = expect[key].as_f64() {
                assert_eq!(value, expected, "{key} in {xml}");
            }
        }
        assert_eq!(event.callsign(), expect["callsign"].as_str(), "{xml}");
        assert_eq!(
            event.marking.access.as_deref(),
            expect["access"].as_str(),
            "{xml}"
        );
        assert_eq!(
            event.marking.opex.as_deref(),
            expect["opex"].as_str(),
            "{xml}"
        );
        assert_eq!(
            event.marking.caveat.as_deref(),
            expect["caveat"].as_str(),
            "{xml}"
        );
        assert_eq!(event.qos.as_deref(), expect["qos"].as_str(), "{xml}");
        // pytak adds its own <_flow-tags_>; it must survive as unknown detail, both ways.
        if xml.contains("_flow-tags_") {
            assert!(
                event
                    .detail
                    .unknown
                    .iter()
                    .any(|raw| raw.name() == Some("_flow-tags_")),
                "{xml}"
            );
        }
        assert_eq!(decode_one_frame(&encode_stream_frame(&event)), event);
        assert_eq!(decode_xml(&encode_xml(&event), &limits()), Ok(event));
    }
}
