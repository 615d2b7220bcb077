//! Replays the committed fuzz corpus (`fuzz/corpus/asterix_*`) through the invariants the fuzz
//! targets assert (`liptako_asterix::check`), so every input the fuzzer kept is a plain test.

use crate::reference::workspace_root;

fn replay(target: &str, minimum: usize, run: impl Fn(&[u8])) {
    let dir = workspace_root().join("fuzz/corpus").join(target);
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("corpus {} is missing: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    assert!(
        entries.len() >= minimum,
        "corpus {} has only {} inputs",
        dir.display(),
        entries.len()
    );
    for path in entries {
        let data = std::fs::read(&path).unwrap();
        // A panic names the input, so it can be rerun with `cargo fuzz run <target> <file>`.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&data)));
        assert!(outcome.is_ok(), "invariant broken by {}", path.display());
    }
}

#[test]
fn asterix_decode_corpus() {
    replay("asterix_decode", 50, liptako_asterix::check::decode);
}

#[test]
fn asterix_capture_corpus() {
    replay("asterix_capture", 4, liptako_asterix::check::capture);
}
