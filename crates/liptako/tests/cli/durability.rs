//! A write acknowledged to a client survives `kill -9` of the server right after the
//! acknowledgement: writers post continuously, the server is killed mid-stream, and after a
//! restart every acknowledged report is there, with its content.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::json;

use super::util::{KillOnDrop, free_port, http, liptako, login, serve};

const PASSWORD: &str = "durability-pass-1";

#[test]
fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    let data_arg = data.to_str().unwrap();
    liptako(&[
        "init",
        "--data",
        data_arg,
        "--nation",
        "MLI",
        "--admin-password",
        PASSWORD,
    ]);
    let port = free_port();
    let mut server = KillOnDrop(serve(&data, port));
    let token = Arc::new(login(port, "admin", PASSWORD));

    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let (stop, token) = (stop.clone(), token.clone());
            std::thread::spawn(move || {
                let mut acknowledged = Vec::new();
                for seq in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let title = format!("writer {writer} report {seq}");
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
    std::thread::sleep(Duration::from_millis(1500));
    server.0.kill().unwrap(); // SIGKILL: no shutdown, no flush, no checkpoint
    server.0.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    let acknowledged: Vec<(String, String)> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert!(
        acknowledged.len() > 50,
        "only {} writes were acknowledged",
        acknowledged.len()
    );

    let port = free_port();
    let mut server = KillOnDrop(serve(&data, port));
    let token = login(port, "admin", PASSWORD);
    for (id, title) in &acknowledged {
        let (status, body) = http(
            port,
            "GET",
            &format!("/api/v1/reports/{id}"),
            Some(&token),
            None,
        )
        .unwrap();
        assert_eq!(status, 200, "acknowledged report {id} lost after kill -9");
        assert_eq!(body["title"], json!(title));
    }
    server.0.kill().unwrap();
    server.0.wait().unwrap();
}
