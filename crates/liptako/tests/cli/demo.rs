//! The README's first command, `liptako demo`, as a real process: three nodes come up on their
//! own storage, federate over mutual TLS under the marking rule, and each builds an air picture
//! from the simulated radars.

use std::net::{TcpListener, UdpSocket};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::util::{BIN, KillOnDrop, free_port, http, login};

const NATIONS: [&str; 3] = ["MLI", "BFA", "NER"];
const PASSWORD: &str = "demo-test-password";

/// A base port whose whole set is free: per node the HTTP port (base + i), federation
/// (+ 363), CoT TCP and TLS (+ 7 and + 9, per node + 100) and the ASTERIX UDP port (+ 520),
/// as `liptako demo --base-port` lays them out.
fn free_base_port() -> u16 {
    for _ in 0..200 {
        let base = free_port();
        if base == 0 || base > 64_000 {
            continue;
        }
        let tcp = (0..3u16).flat_map(|i| {
            [
                base + i,
                base + i + 363,
                base + 7 + 100 * i,
                base + 9 + 100 * i,
            ]
        });
        let tcp_free = tcp
            .map(|port| TcpListener::bind(("127.0.0.1", port)))
            .collect::<Result<Vec<_>, _>>()
            .is_ok();
        let udp_free = (0..3u16)
            .map(|i| UdpSocket::bind(("127.0.0.1", base + 520 + i)))
            .collect::<Result<Vec<_>, _>>()
            .is_ok();
        if tcp_free && udp_free {
            return base;
        }
    }
    panic!("no free port range for the demo");
}

fn items(port: u16, token: &str, path: &str) -> Vec<Value> {
    match http(port, "GET", path, Some(token), None) {
        Ok((200, body)) => body["items"].as_array().cloned().unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[test]
fn demo_runs_three_federated_nodes_with_an_air_picture_each() {
    let base = free_base_port();
    let data = tempfile::tempdir().unwrap();
    let child = Command::new(BIN)
        .args([
            "demo",
            "--base-port",
            &base.to_string(),
            "--password",
            PASSWORD,
            "--tick-s",
            "1",
            "--data",
            data.path().to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _demo = KillOnDrop(child);
    let ports: Vec<u16> = (0..3).map(|i| base + i).collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut tokens = Vec::new();
    for &port in &ports {
        loop {
            if let Ok((200, _)) = http(port, "GET", "/healthz", None, None) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "node on port {port} never came up"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        tokens.push(login(port, "admin", PASSWORD));
    }

    // Every node receives reports from both partners, and each of them is one it may hold:
    // releasable to its nation (or to all members) and within the links' ceiling (C).
    let mut complete = false;
    while !complete {
        assert!(
            Instant::now() < deadline,
            "not every node got its partners' reports and an air picture in time"
        );
        std::thread::sleep(Duration::from_millis(500));
        complete = true;
        for (node, (&port, token)) in ports.iter().zip(&tokens).enumerate() {
            let nation = NATIONS[node];
            let reports = items(port, token, "/api/v1/reports");
            for report in &reports {
                let origin = report["origin"].as_str().unwrap();
                if origin == nation {
                    continue;
                }
                let marking = &report["marking"];
                let releasable: Vec<&str> = marking["releasable_to"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                assert!(
                    releasable.contains(&nation) || releasable.contains(&"AES"),
                    "{nation} holds {origin}'s report marked {marking}"
                );
                assert_ne!(marking["level"], "S", "{nation} holds {origin}'s S report");
            }
            let partners_heard = NATIONS
                .iter()
                .filter(|&&n| n != nation)
                .all(|&n| reports.iter().any(|r| r["origin"] == n));
            let air_tracks = match http(port, "GET", "/api/v1/air/tracks", Some(token), None) {
                Ok((200, body)) => body["tracks"].as_array().map_or(0, Vec::len),
                _ => 0,
            };
            complete &= partners_heard && air_tracks > 0;
        }
    }

    // The joint air picture: every node's picture holds tracks its partners' sensors feed,
    // and some node holds an aircraft only a partner sees.
    loop {
        let pictures: Vec<Vec<Value>> = ports
            .iter()
            .zip(&tokens)
            .map(|(&port, token)| {
                match http(port, "GET", "/api/v1/air/tracks", Some(token), None) {
                    Ok((200, body)) => body["tracks"].as_array().cloned().unwrap_or_default(),
                    _ => Vec::new(),
                }
            })
            .collect();
        let fed_by = |track: &Value, nation: &str| {
            track["nations"]
                .as_array()
                .is_some_and(|list| list.iter().any(|n| n == nation))
        };
        let partners_feed_every_node = pictures.iter().enumerate().all(|(node, picture)| {
            picture.iter().any(|track| {
                NATIONS
                    .iter()
                    .any(|&n| n != NATIONS[node] && fed_by(track, n))
            })
        });
        let only_a_partner_sees = pictures.iter().enumerate().any(|(node, picture)| {
            picture.iter().any(|track| {
                !fed_by(track, NATIONS[node])
                    && track["nations"].as_array().is_some_and(|n| !n.is_empty())
            })
        });
        if partners_feed_every_node && only_a_partner_sees {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the demo's joint air picture never formed: {pictures:#?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }

    // The pursuit scenario: MLI's operation with Niger, released to NER only.
    loop {
        let held = items(ports[2], &tokens[2], "/api/v1/operations");
        if held.iter().any(|o| o["name"] == "Opération Fer de Lance") {
            assert_eq!(held[0]["units"].as_array().map(Vec::len), Some(1));
            break;
        }
        assert!(Instant::now() < deadline, "NER never got MLI's operation");
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(items(ports[0], &tokens[0], "/api/v1/operations").len(), 1);
    assert!(items(ports[1], &tokens[1], "/api/v1/operations").is_empty());

    // Pooled means: every node sees the six assets; NER's request reaches MLI, awaiting its
    // decision, and never BFA.
    loop {
        let assets =
            (0..3).all(|node| items(ports[node], &tokens[node], "/api/v1/assets").len() == 6);
        let requests = items(ports[0], &tokens[0], "/api/v1/support-requests");
        if assets && requests.len() == 1 {
            assert_eq!(requests[0]["origin"], "NER");
            assert_eq!(requests[0]["state"], "requested");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the pooled means did not federate in time"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(items(ports[1], &tokens[1], "/api/v1/support-requests").is_empty());
}
