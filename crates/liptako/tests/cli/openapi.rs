//! The node's OpenAPI document is true: `schemathesis` (pinned in
//! scripts/requirements-peers.txt) loads the document a real `liptako serve` serves, generates
//! requests for every operation from it (valid and invalid ones, then chains of them through the
//! document's links) and checks every answer: no server error, every status code and content
//! type declared, every body matching its schema, invalid requests refused, nothing answered
//! without a token. Run as the administrator (every operation reachable, bodies a generator can
//! produce, so the write endpoints are fuzzed) and as a viewer cleared NP.
//!
//! One check is left out: `positive_data_acceptance` (every schema-valid request is accepted).
//! The document cannot state all the node's rules (a sealed list cursor, a box whose west lies
//! east of its east, an unclosed polygon, an empty title): the node answers those 400 with what
//! is wrong, and schemathesis would call that a failure.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::util::{KillOnDrop, free_port, http, liptako, login, serve};

const ADMIN_PASSWORD: &str = "admin-password-1";
const VIEWER_PASSWORD: &str = "viewer-password-1";
/// The longest one run may take before the test fails (it takes well under a minute).
const RUN_LIMIT: Duration = Duration::from_secs(300);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Python with schemathesis: `LIPTAKO_PYTHON`, else the workspace venv.
fn python() -> PathBuf {
    let python = std::env::var_os("LIPTAKO_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"));
    assert!(
        python.exists(),
        "no Python with schemathesis at {}: run ./scripts/test (it runs scripts/setup-peers), or set LIPTAKO_PYTHON",
        python.display()
    );
    python
}

/// Runs schemathesis with every check but `positive_data_acceptance` against the document
/// served on `port`, as the holder of `token`, at most `examples` test cases per operation and
/// phase; returns its JSON report, after asserting that it passed and tested every operation.
fn schemathesis(dir: &Path, port: u16, token: &str, examples: u32, who: &str) -> Value {
    let report_path = dir.join(format!("report-{who}.json"));
    let output_path = dir.join(format!("output-{who}.txt"));
    // `PUT /api/v1/users/{name}` changes the user named in the path; pointed at the
    // administrator it could disable the very account the run uses. It is fuzzed on `target`.
    // Stateful chains follow the document's links only (create, then read, send back, delete
    // the object in its world): links guessed from names or `Location` would leave out the
    // object's exercise world, or reach the version history of a deleted object, which stays
    // readable on purpose (it shows the deletion).
    let config = dir.join("schemathesis.toml");
    std::fs::write(
        &config,
        "[parameters]\n\"path.name\" = \"target\"\n\n\
         [phases.stateful.inference]\nalgorithms = []\n",
    )
    .unwrap();
    let output = std::fs::File::create(&output_path).unwrap();
    let mut child = Command::new(python())
        .args(["-m", "schemathesis.cli", "--config-file"])
        .arg(&config)
        .arg("run")
        .arg(format!("http://127.0.0.1:{port}/api/v1/openapi.json"))
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args([
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
        ])
        .args(["--workers", "1", "--max-examples", &examples.to_string()])
        .args([
            "--request-timeout",
            "20",
            "--report",
            "json",
            "--report-json-path",
        ])
        .arg(&report_path)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(output.try_clone().unwrap())
        .stderr(output)
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "schemathesis ({who}) ran over {RUN_LIMIT:?}:\n{}",
                std::fs::read_to_string(&output_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let output = std::fs::read_to_string(&output_path).unwrap_or_default();
    assert!(
        status.success(),
        "schemathesis as {who} found failures:\n{output}"
    );
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(&report_path).unwrap_or_else(|err| {
            panic!("schemathesis as {who} wrote no report ({err}):\n{output}")
        }),
    )
    .unwrap();
    // For the log: how long and how much (run with --nocapture to see it).
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "schemathesis as {who}: {:.0} s, {} test cases, {}",
            started.elapsed().as_secs_f64(),
            report["test_cases"]["generated"],
            output.lines().last().unwrap_or_default()
        );
    }
    assert_eq!(report["exit_code"], 0, "{who}:\n{output}");
    assert_eq!(report["complete"], true, "{who}:\n{output}");
    assert_eq!(
        report["failures"],
        Value::Array(Vec::new()),
        "{who}:\n{output}"
    );
    assert_eq!(
        report["errors"],
        Value::Array(Vec::new()),
        "{who}:\n{output}"
    );
    // Every operation of the document was tested, and the document has them all.
    let operations = &report["operations"];
    let total = operations["total"].as_u64().unwrap();
    assert!(total >= 63, "the document lost operations: {operations}");
    assert_eq!(
        operations["tested"].as_u64(),
        Some(total),
        "{who}: {operations}"
    );
    assert_eq!(operations["errored"], 0, "{who}: {operations}");
    assert!(
        report["test_cases"]["generated"].as_u64().unwrap() > 10 * total,
        "{who}: {}",
        report["test_cases"]
    );
    report
}

/// How many generated requests an operation accepted (2xx), over every phase.
fn accepted(report: &Value, operation: &str) -> u64 {
    report["valid_rates"][operation]
        .as_object()
        .map(|phases| {
            phases
                .values()
                .filter_map(|phase| phase["accepted"].as_u64())
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn schemathesis_finds_nothing_the_document_does_not_say() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("mli");
    let data_arg = data.to_str().unwrap();
    liptako(&[
        "init",
        "--data",
        data_arg,
        "--nation",
        "MLI",
        "--admin-password",
        ADMIN_PASSWORD,
    ]);
    for (name, clearance, role) in [("viewer", "NP", "viewer"), ("target", "DR", "editor")] {
        liptako(&[
            "user",
            "add",
            "--data",
            data_arg,
            "--name",
            name,
            "--clearance",
            clearance,
            "--role",
            role,
            "--password",
            VIEWER_PASSWORD,
        ]);
    }
    let port = free_port();
    let _node = KillOnDrop(serve(&data, port));

    let admin = login(port, "admin", ADMIN_PASSWORD);
    let report = schemathesis(dir.path(), port, &admin, 25, "admin");
    // The token held all along (nothing the run did disabled or demoted the administrator).
    assert_eq!(
        report["warnings"]["missing_auth"],
        Value::Array(Vec::new()),
        "{}",
        report["warnings"]
    );
    // The write endpoints were fuzzed with bodies the node accepted, not only refused (the
    // document's examples at least): every type was created, and the node's audit log says so.
    for collection in ["reports", "units", "zones", "assets", "support-requests"] {
        let accepted = accepted(&report, &format!("POST /api/v1/{collection}"));
        assert!(
            accepted > 0,
            "no {collection} created: {}",
            report["valid_rates"]
        );
    }
    let (status, creations) = http(
        port,
        "GET",
        "/api/v1/audit?action=create&limit=10000",
        Some(&admin),
        None,
    )
    .unwrap();
    assert_eq!(status, 200, "{creations}");
    assert!(creations.as_array().unwrap().len() >= 3, "{creations}");

    let viewer = login(port, "viewer", VIEWER_PASSWORD);
    schemathesis(dir.path(), port, &viewer, 10, "viewer");
}
