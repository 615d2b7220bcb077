//! The web COP end to end: `web/test/e2e.test.mjs` (node's test runner driving Debian's
//! headless Chromium through playwright-core) against this build's `liptako` processes. It
//! logs in, checks that the base map and features render, makes a report in the form and sees
//! it on the map, in the API and live in a second session, checks that a report above a
//! user's clearance reaches none of that user's page (DOM, responses, WebSocket frames), that
//! the banner follows the view, that the language switch changes every visible string, that no
//! request leaves 127.0.0.1, and that `liptako demo` opens each nation's picture.
//!
//! Needs Node.js, `node_modules` (`npm ci`) and `/usr/bin/chromium` (or `LIPTAKO_CHROMIUM`):
//! `./scripts/test` sets them up.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::util::BIN;

/// The whole browser suite must finish within this.
const TIMEOUT: Duration = Duration::from_secs(900);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn web_ui_end_to_end_in_headless_chromium() {
    let root = workspace_root();
    let chromium = std::env::var_os("LIPTAKO_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        chromium.exists(),
        "no Chromium at {}: run ./scripts/test (it installs Debian's chromium), or set LIPTAKO_CHROMIUM",
        chromium.display()
    );
    assert!(
        root.join("node_modules/playwright-core/package.json")
            .exists(),
        "no playwright-core in node_modules: run ./scripts/test (it runs npm ci)"
    );
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new("node")
        .args([
            "--test",
            "--test-concurrency=1",
            "--test-reporter=spec",
            "web/test/e2e.test.mjs",
        ])
        .current_dir(&root)
        .env("LIPTAKO_BIN", BIN)
        .stdin(Stdio::null())
        .stdout(log.reopen().unwrap())
        .stderr(log.reopen().unwrap())
        .spawn()
        .expect("node (Node.js) runs the browser tests: run ./scripts/test, which installs it");
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let output = std::fs::read_to_string(log.path()).unwrap_or_default();
    match status {
        Some(status) if status.success() => {}
        Some(status) => panic!("the browser tests failed ({status}):\n{output}"),
        None => panic!("the browser tests took longer than {TIMEOUT:?}:\n{output}"),
    }
}
