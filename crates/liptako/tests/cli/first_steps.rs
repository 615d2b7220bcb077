//! What a new user does from the README: init, serve, log in, post a report marked DR
//! releasable to all members, read it back, and see that a user cleared NP cannot; then stop
//! the server with SIGTERM and see it exit cleanly.

use serde_json::json;

use super::util::{KillOnDrop, add_viewer, free_port, http, init, login, serve};

#[test]
fn init_serve_login_post_read_and_np_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("mli");
    let data_arg = data.to_str().unwrap();
    let password = init(&data, "MLI");
    // Initialising the same directory twice is refused.
    let again = std::process::Command::new(super::util::BIN)
        .args(["init", "--data", data_arg, "--nation", "MLI"])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let out = add_viewer(&data, "guest", "NP", "guest-password");
    assert!(out.contains("added user guest"));

    let port = free_port();
    let mut server = KillOnDrop(serve(&data, port));
    let admin = login(port, "admin", &password);
    let report = json!({"kind": "incident", "title": "Convoy ambushed near Ménaka", "body": "Two vehicles.",
                        "location": {"lat": 15.9, "lon": 2.4},
                        "marking": {"level": "DR", "releasable_to": ["AES"]}});
    let (status, created) =
        http(port, "POST", "/api/v1/reports", Some(&admin), Some(&report)).unwrap();
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let (status, read) = http(
        port,
        "GET",
        &format!("/api/v1/reports/{id}"),
        Some(&admin),
        None,
    )
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(read["title"], "Convoy ambushed near Ménaka");
    assert_eq!(
        read["marking"],
        json!({"level": "DR", "releasable_to": ["AES"]})
    );

    let guest = login(port, "guest", "guest-password");
    let (status, _) = http(
        port,
        "GET",
        &format!("/api/v1/reports/{id}"),
        Some(&guest),
        None,
    )
    .unwrap();
    assert_eq!(status, 404, "an NP user must not see a DR report");
    let (status, page) = http(port, "GET", "/api/v1/reports", Some(&guest), None).unwrap();
    assert_eq!(status, 200);
    assert_eq!(page["items"], json!([]));

    // SIGTERM: graceful shutdown, exit code 0.
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = server.0.wait().unwrap();
    assert!(exit.success(), "serve exited with {exit:?} on SIGTERM");
}
