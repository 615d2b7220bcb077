//! `liptako stix export` and `import` for air-gapped transfers: a bundle exported for BFA at
//! DR holds MLI's reports BFA may hold at DR (and not at NP); imported on BFA's node, each
//! becomes a report of BFA's with the marking its definition states; imported back on MLI's
//! own node, nothing changes (same ids, same content).

use serde_json::Value;

use super::util::{init, liptako};

fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn export_for_a_nation_then_import_elsewhere_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let mli = dir.path().join("mli");
    let bfa = dir.path().join("bfa");
    init(&mli, "MLI");
    init(&bfa, "BFA");
    let mli_arg = mli.to_str().unwrap();
    let seed = workspace_root().join("fuzz/corpus/stix_import/indicator_tlp.json");
    // An indicator (TLP:GREEN, no table entry: the default DR:AES), an observed-data and a
    // sighting (unmarked: the default), their location, relationship and observable.
    let summary: Value = serde_json::from_str(&liptako(&[
        "stix",
        "import",
        seed.to_str().unwrap(),
        "--data",
        mli_arg,
        "--marking",
        "DR:AES",
    ]))
    .unwrap();
    assert_eq!(summary["stored"], 3, "{summary}");
    assert_eq!(summary["refused"].as_array().unwrap().len(), 0, "{summary}");

    let for_bfa_dr = liptako(&[
        "stix",
        "export",
        "--data",
        mli_arg,
        "--for",
        "BFA",
        "--clearance",
        "DR",
    ]);
    let bundle: Value = serde_json::from_str(&for_bfa_dr).unwrap();
    let n_reports = |bundle: &Value| {
        bundle["objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["type"] == "report")
            .count()
    };
    assert_eq!(n_reports(&bundle), 3);
    let for_bfa_np: Value = serde_json::from_str(&liptako(&[
        "stix",
        "export",
        "--data",
        mli_arg,
        "--for",
        "BFA",
        "--clearance",
        "NP",
    ]))
    .unwrap();
    assert_eq!(
        n_reports(&for_bfa_np),
        0,
        "DR reports do not go to an NP holder"
    );

    let path = dir.path().join("for-bfa.json");
    std::fs::write(&path, &for_bfa_dr).unwrap();
    // On BFA's node: new reports of BFA's, marked as MLI's definitions say (no default given).
    let summary: Value = serde_json::from_str(&liptako(&[
        "stix",
        "import",
        path.to_str().unwrap(),
        "--data",
        bfa.to_str().unwrap(),
    ]))
    .unwrap();
    assert_eq!(summary["stored"], 3, "{summary}");
    // Back on MLI's node: the same reports, unchanged.
    let summary: Value = serde_json::from_str(&liptako(&[
        "stix",
        "import",
        path.to_str().unwrap(),
        "--data",
        mli_arg,
    ]))
    .unwrap();
    assert_eq!(summary["unchanged"], 3, "{summary}");
    assert_eq!(summary["stored"], 0, "{summary}");
}
