//! Replays the committed fuzz corpus (`fuzz/corpus/cot_*`) through the same invariant checks
//! the fuzz targets run (`liptako_cot::check`), so every input the fuzzer kept is a plain test.

use liptako_cot::Framing;
use liptako_cot::check;

use crate::common::workspace_root;

fn replay(target: &str, run: impl Fn(&[u8])) {
    let dir = workspace_root().join("fuzz/corpus").join(target);
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("corpus {} is missing: {error}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .collect();
    entries.sort();
    assert!(
        entries.len() >= 4,
        "corpus {} has only {} inputs",
        dir.display(),
        entries.len()
    );
    for path in entries {
        let data = std::fs::read(&path).expect("read corpus input");
        // A panic names the input, so it can be rerun with `cargo fuzz run <target> <file>`.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&data)));
        assert!(outcome.is_ok(), "invariant broken by {}", path.display());
    }
}

#[test]
fn cot_xml_corpus() {
    replay("cot_xml", check::xml_document);
}

#[test]
fn cot_proto_corpus() {
    replay("cot_proto", check::proto_payload);
}

#[test]
fn cot_xml_stream_corpus() {
    replay("cot_xml_stream", |data| {
        check::stream(data, Framing::Detect)
    });
}

#[test]
fn cot_proto_stream_corpus() {
    replay("cot_proto_stream", |data| {
        check::stream(data, Framing::Protobuf)
    });
}
