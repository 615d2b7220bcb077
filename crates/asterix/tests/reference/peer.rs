//! asterix-decoder in a child process: found in the repo's venv, fed data blocks, restarted
//! after a crash (the C++ decoder segfaults on some CAT062 blocks with I062/390), with the
//! crashed block counted as unverified, never as agreement.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The Python that has asterix-decoder: `LIPTAKO_PYTHON`, else `<workspace>/.venv/bin/python`.
pub fn python() -> PathBuf {
    if let Some(path) = std::env::var_os("LIPTAKO_PYTHON") {
        return PathBuf::from(path);
    }
    let venv = workspace_root().join(".venv/bin/python");
    assert!(
        venv.exists(),
        "no Python with asterix-decoder: set LIPTAKO_PYTHON or run ./scripts/test (it creates \
         {} with the peers of scripts/requirements-peers.txt)",
        venv.display()
    );
    venv
}

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/asterix_reference.py")
}

/// Where the installed package keeps its spec XML files and sample captures.
pub struct PeerInfo {
    pub version: String,
    pub config_dir: PathBuf,
    pub sample_dir: PathBuf,
}

pub fn info() -> PeerInfo {
    let output = Command::new(python())
        .arg(script())
        .arg("info")
        .output()
        .expect("running the asterix-decoder helper");
    assert!(
        output.status.success(),
        "asterix-decoder is not importable ({}); run ./scripts/test to install the peers",
        String::from_utf8_lossy(&output.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    PeerInfo {
        version: value["version"].as_str().unwrap().to_owned(),
        config_dir: PathBuf::from(value["config_dir"].as_str().unwrap()),
        sample_dir: PathBuf::from(value["sample_dir"].as_str().unwrap()),
    }
}

/// What the reference made of one block.
#[derive(Debug)]
pub enum Answer {
    /// Its records, as JSON objects.
    Records(Vec<serde_json::Value>),
    /// The decoder crashed (or hung) on this block.
    Crashed,
}

/// Runs the reference over every block, in order.
pub fn decode_all(blocks: &[&[u8]]) -> Vec<Answer> {
    let mut answers: Vec<Answer> = Vec::with_capacity(blocks.len());
    while answers.len() < blocks.len() {
        let start = answers.len();
        let got = run_child(&blocks[start..], start);
        let n_got = got.len();
        answers.extend(got.into_iter().map(Answer::Records));
        if answers.len() < blocks.len() && n_got < blocks.len() - start {
            // The child ended before answering this block: it crashed on it.
            answers.push(Answer::Crashed);
        }
    }
    answers
}

/// One child process over `blocks`; returns the answers it gave before ending.
fn run_child(blocks: &[&[u8]], first_index: usize) -> Vec<Vec<serde_json::Value>> {
    let mut child: Child = Command::new(python())
        .arg(script())
        .arg("decode")
        .arg(first_index.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting the asterix-decoder helper");
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let owned: Vec<Vec<u8>> = blocks.iter().map(|b| b.to_vec()).collect();
    // Write on a thread: the child answers while we feed it, and pipes are bounded.
    let writer = std::thread::spawn(move || {
        for block in owned {
            let len = (block.len() as u32).to_be_bytes();
            if stdin
                .write_all(&len)
                .and_then(|()| stdin.write_all(&block))
                .is_err()
            {
                return; // the child died; the reader sees it
            }
        }
    });
    // A hung decoder is killed after 60 s without an answer.
    let last_progress = Arc::new(Mutex::new(Instant::now()));
    let child = Arc::new(Mutex::new(child));
    let done = Arc::new(Mutex::new(false));
    let watchdog = {
        let (last_progress, child, done) = (last_progress.clone(), child.clone(), done.clone());
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(200));
                if *done.lock().unwrap() {
                    return;
                }
                if last_progress.lock().unwrap().elapsed() > Duration::from_secs(60) {
                    let _ = child.lock().unwrap().kill();
                    return;
                }
            }
        })
    };
    let mut answers = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        *last_progress.lock().unwrap() = Instant::now();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            value["i"].as_u64(),
            Some((first_index + answers.len()) as u64)
        );
        let records = value["records"].as_array().cloned().unwrap_or_default();
        answers.push(records);
        if answers.len() == blocks.len() {
            break;
        }
    }
    *done.lock().unwrap() = true;
    let _ = watchdog.join();
    let _ = child.lock().unwrap().kill();
    let _ = child.lock().unwrap().wait();
    let _ = writer.join();
    answers
}
