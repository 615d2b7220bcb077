//! A write acknowledged to a client survives a power cut. `kill -9` alone proves nothing about
//! `fsync` (the killed server's writes stay in the kernel's page cache), so the data directory
//! sits on `liptako-crashfs`, a FUSE file system that keeps only what was synced: writers post
//! continuously, the server is killed mid-stream and the power cut (everything not synced is
//! dropped, the file system unmounted), the server boots from what the disk held, recovers and
//! is written to and cut again; at the end every acknowledged report must be there, with its
//! content.
//!
//! The same run on a disk whose `fsync` is a lie loses every acknowledged write: the test can
//! fail. It also fails when the store syncs less than on every commit (SQLite's
//! `synchronous=NORMAL`: tens to hundreds of reports lost per run).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use liptako_crashfs::{Disk, Fsync, Mounted, Stats};
use serde_json::json;

use super::util::{KillOnDrop, free_port, http, liptako, login, serve};

const PASSWORD: &str = "durability-pass-1";
const N_WRITERS: usize = 8;
/// Each round writes this long, then the power is cut.
const WRITING: Duration = Duration::from_millis(1000);
const N_CUTS: usize = 3;

#[test]
fn acknowledged_writes_survive_power_cuts() {
    let run = write_through_power_cuts(Fsync::Honoured);
    assert!(
        run.lost.is_empty(),
        "{} of {} acknowledged reports lost in power cuts, e.g. {:?} (cuts: {:?})",
        run.lost.len(),
        run.acknowledged,
        run.lost.first(),
        run.cuts
    );
}

/// The test above can fail: when `fsync` keeps nothing, the power cuts take every report.
#[test]
fn power_cuts_lose_acknowledged_writes_when_fsync_is_a_lie() {
    let run = write_through_power_cuts(Fsync::Ignored);
    assert_eq!(
        run.lost.len(),
        run.acknowledged,
        "without fsync, every report written after the last sync(1) must be lost"
    );
}

/// What a run saw.
struct Run {
    acknowledged: usize,
    /// Acknowledged reports missing after the last cut (ids).
    lost: Vec<String>,
    /// The file system's counters at each cut, and what each threw away.
    cuts: Vec<Stats>,
}

fn mount(disk: Disk, at: &Path, fsync: Fsync) -> Mounted {
    disk.mount(at, fsync).unwrap_or_else(|err| {
        panic!("the power-cut durability test cannot run without FUSE: {err}")
    })
}

/// Initialises a node on a fresh disk; [`N_CUTS`] times, lets writers post reports until the
/// server is killed and the power cut, and boots the disk again (the node recovers from the
/// previous cut before it writes again); then reads back every acknowledged report. Checks
/// that each round wrote enough and synced through the file system to mean something.
fn write_through_power_cuts(fsync: Fsync) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let at = dir.path().join("disk");
    std::fs::create_dir(&at).unwrap();
    let mut mounted = mount(Disk::new(), &at, fsync);
    let data = at.join("node");
    liptako(&[
        "init",
        "--data",
        data.to_str().unwrap(),
        "--nation",
        "MLI",
        "--admin-password",
        PASSWORD,
    ]);
    // No sync here: `init` itself must leave a directory that survives a power cut (the data
    // directory made durable in its parent, the key and configuration synced, and their
    // directory). Found by this test: it did not. Where fsync is a lie nothing `init` wrote
    // would survive either, so that run starts from a disk made durable as `sync(1)` would:
    // what it measures is the serving.
    if fsync == Fsync::Ignored {
        mounted.sync();
    }

    let mut acknowledged = Vec::new();
    let mut cuts = Vec::new();
    for round in 0..N_CUTS {
        let written = write_until_killed(&data, round);
        let (disk, at_cut) = mounted.power_cut().unwrap();
        assert!(
            written.len() > 50,
            "round {round}: only {} writes were acknowledged",
            written.len()
        );
        assert!(
            at_cut.file_syncs > 0,
            "round {round}: nothing was synced through the file system: {at_cut:?}"
        );
        acknowledged.extend(written);
        cuts.push(at_cut);
        mounted = mount(disk, &at, fsync);
    }

    let port = free_port();
    let mut server = KillOnDrop(serve(&data, port));
    let token = login(port, "admin", PASSWORD);
    let mut lost = Vec::new();
    for (id, title) in &acknowledged {
        let path = format!("/api/v1/reports/{id}");
        match http(port, "GET", &path, Some(&token), None).unwrap() {
            (200, body) => assert_eq!(body["title"], json!(title), "report {id} changed"),
            (404, _) => lost.push(id.clone()),
            (status, body) => panic!("GET {path}: {status} {body}"),
        }
    }
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    drop(mounted);
    Run {
        acknowledged: acknowledged.len(),
        lost,
        cuts,
    }
}

/// Serves `data` while [`N_WRITERS`] writers post reports, then kills the server with SIGKILL
/// mid-stream; returns the reports acknowledged (201), as (id, title).
fn write_until_killed(data: &Path, round: usize) -> Vec<(String, String)> {
    let port = free_port();
    let mut server = KillOnDrop(serve(data, port));
    let token = Arc::new(login(port, "admin", PASSWORD));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..N_WRITERS)
        .map(|writer| {
            let (stop, token) = (stop.clone(), token.clone());
            std::thread::spawn(move || {
                let mut acknowledged = Vec::new();
                for seq in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let title = format!("round {round} writer {writer} report {seq}");
                    let body = json!({"kind": "spot_report", "title": title,
                                      "marking": {"level": "DR", "releasable_to": ["AES"]}});
                    match http(port, "POST", "/api/v1/reports", Some(&token), Some(&body)) {
                        Ok((201, created)) => {
                            acknowledged.push((created["id"].as_str().unwrap().to_owned(), title))
                        }
                        Ok((status, body)) => panic!("unexpected {status}: {body}"),
                        Err(_) => break, // the server is gone
                    }
                }
                acknowledged
            })
        })
        .collect();
    std::thread::sleep(WRITING);
    server.0.kill().unwrap(); // SIGKILL: no shutdown, no flush, no checkpoint
    server.0.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    writers
        .into_iter()
        .flat_map(|writer| writer.join().unwrap())
        .collect()
}
