//! Issue 11's findings on the node's own doors (HTTP API, live feed, logins), each reproduced
//! against the real `liptako serve` process as the attacker did, and each failing before its
//! fix. Tests are named after the finding they guard. (TAK and federation findings have
//! their own files.)

use std::io::Read;
use std::net::Ipv4Addr;
use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use liptako_loadgen::http::{connect_from, request_from};
use serde_json::{Value, json};

use super::util::{BIN, KillOnDrop, free_port, http, liptako, login, serve};

const ADMIN_PASSWORD: &str = "admin-password-1";

/// A node of MLI in `dir` with users of every kind the findings need.
fn node(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("mli");
    liptako(&[
        "init",
        "--data",
        data.to_str().unwrap(),
        "--nation",
        "MLI",
        "--admin-password",
        ADMIN_PASSWORD,
    ]);
    for (name, nation, clearance, role) in [
        ("np_editor", "MLI", "NP", "editor"),
        ("dr_editor", "MLI", "DR", "editor"),
        ("releaser", "MLI", "DR", "releaser"),
        ("bfa_liaison", "BFA", "DR", "editor"),
        ("analyst", "MLI", "C", "viewer"),
    ] {
        liptako(&[
            "user",
            "add",
            "--data",
            data.to_str().unwrap(),
            "--name",
            name,
            "--nation",
            nation,
            "--clearance",
            clearance,
            "--role",
            role,
            "--password",
            &format!("{name}-password"),
        ]);
    }
    data
}

fn as_user(port: u16, name: &str) -> String {
    login(port, name, &format!("{name}-password"))
}

fn report(title: &str, level: &str, releasable_to: &[&str]) -> Value {
    json!({"kind": "incident", "title": title,
           "marking": {"level": level, "releasable_to": releasable_to}})
}

fn create(port: u16, token: &str, body: &Value) -> (u16, Value) {
    http(port, "POST", "/api/v1/reports", Some(token), Some(body)).unwrap()
}

fn change_marking(
    port: u16,
    token: &str,
    created: &Value,
    level: &str,
    releasable_to: &[&str],
) -> (u16, Value) {
    let id = created["id"].as_str().unwrap();
    let mut body = created.clone();
    body["marking"] = json!({"level": level, "releasable_to": releasable_to});
    http(
        port,
        "PUT",
        &format!("/api/v1/reports/{id}"),
        Some(token),
        Some(&body),
    )
    .unwrap()
}

#[test]
fn finding_2_release_is_an_act_of_the_author_or_a_releaser_never_of_a_liaison() {
    let dir = tempfile::tempdir().unwrap();
    let data = node(dir.path());
    let port = free_port();
    let _server = KillOnDrop(serve(&data, port));
    let admin = login(port, "admin", ADMIN_PASSWORD);
    let np_editor = as_user(port, "np_editor");
    let liaison = as_user(port, "bfa_liaison");
    let releaser = as_user(port, "releaser");

    // An NP editor widening the administrator's national report to all members: refused.
    let (status, national) = create(port, &admin, &report("Home only", "NP", &[]));
    assert_eq!(status, 201, "{national}");
    let (status, body) = change_marking(port, &np_editor, &national, "NP", &["AES"]);
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("release"),
        "{body}"
    );
    // ... and lowering a level is a release too; raising it is not.
    let (status, dr) = create(port, &admin, &report("Restricted", "DR", &["AES"]));
    assert_eq!(status, 201);
    let dr_editor = as_user(port, "dr_editor");
    let (status, body) = change_marking(port, &dr_editor, &dr, "NP", &["AES"]);
    assert_eq!(status, 403, "{body}");
    let (status, raised) = change_marking(port, &dr_editor, &dr, "DR", &["BFA"]);
    assert_eq!(status, 200, "narrowing is open to editors: {raised}");

    // A BFA liaison officer re-releasing an MLI report from BFA to NER: refused.
    let (status, to_bfa) = create(port, &admin, &report("For BFA", "DR", &["BFA"]));
    assert_eq!(status, 201);
    let (status, body) = change_marking(port, &liaison, &to_bfa, "DR", &["BFA", "NER"]);
    assert_eq!(status, 403, "{body}");
    // Even its own work: a liaison never widens.
    let (status, own) = create(port, &liaison, &report("Liaison note", "DR", &["BFA"]));
    assert_eq!(status, 201, "{own}");
    let (status, body) = change_marking(port, &liaison, &own, "DR", &["AES"]);
    assert_eq!(status, 403, "{body}");
    // A liaison's "national" creation would hide it from its author: refused, clearly.
    let (status, body) = create(port, &liaison, &report("Hidden from me", "DR", &[]));
    assert_eq!(status, 403, "{body}");
    assert!(body["message"].as_str().unwrap().contains("BFA"), "{body}");
    // What it did create, it can read.
    let id = own["id"].as_str().unwrap();
    let (status, _) = http(
        port,
        "GET",
        &format!("/api/v1/reports/{id}"),
        Some(&liaison),
        None,
    )
    .unwrap();
    assert_eq!(status, 200);

    // The author and a releasing officer may release; the act is audited.
    let (status, body) = change_marking(port, &releaser, &national, "NP", &["AES"]);
    assert_eq!(status, 200, "{body}");
    let (status, audit) = http(
        port,
        "GET",
        "/api/v1/audit?action=widen",
        Some(&admin),
        None,
    )
    .unwrap();
    assert_eq!(status, 200);
    let entries = audit.as_array().unwrap();
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["actor"], "releaser");
    assert!(
        entries[0]["detail"]
            .as_str()
            .unwrap()
            .contains("NP NATIONAL -> NP REL AES")
    );
}

fn put_user(port: u16, admin: &str, name: &str, change: Value) -> (u16, Value) {
    http(
        port,
        "PUT",
        &format!("/api/v1/users/{name}"),
        Some(admin),
        Some(&change),
    )
    .unwrap()
}

fn reports_seen(port: u16, token: &str) -> (u16, usize) {
    let (status, body) = http(port, "GET", "/api/v1/reports", Some(token), None).unwrap();
    (status, body["items"].as_array().map_or(0, Vec::len))
}

#[test]
fn finding_3_access_is_revoked_at_once_on_every_session() {
    let dir = tempfile::tempdir().unwrap();
    let data = node(dir.path());
    let port = free_port();
    let _server = KillOnDrop(serve(&data, port));
    let admin = login(port, "admin", ADMIN_PASSWORD);
    let (status, _) = create(port, &admin, &report("DR for all", "DR", &["AES"]));
    assert_eq!(status, 201);
    let (status, _) = create(port, &admin, &report("NP for all", "NP", &["AES"]));
    assert_eq!(status, 201);

    // Demotion applies at the next request, with the same token.
    let analyst = as_user(port, "analyst");
    assert_eq!(reports_seen(port, &analyst), (200, 2));
    let (status, body) = put_user(port, &admin, "analyst", json!({"clearance": "NP"}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(reports_seen(port, &analyst), (200, 1));

    // An open live feed of a user who is then disabled is closed (4401) at once, and the
    // token no longer works anywhere.
    let dr_editor = as_user(port, "dr_editor");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let closed = runtime.block_on(async {
        let url = format!("ws://127.0.0.1:{port}/api/v1/live?access_token={dr_editor}");
        let (mut stream, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let hello = stream.next().await.unwrap().unwrap();
        assert!(hello.to_text().unwrap().contains("\"hello\""));
        let (status, body) = put_user(port, &admin, "dr_editor", json!({"disabled": true}));
        assert_eq!(status, 200, "{body}");
        let started = Instant::now();
        loop {
            match tokio::time::timeout(Duration::from_secs(5), stream.next()).await {
                Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Close(Some(frame))))) => {
                    break (u16::from(frame.code), started.elapsed());
                }
                Ok(Some(Ok(_))) => continue,
                other => panic!("the feed stayed open after the user was disabled: {other:?}"),
            }
        }
    });
    assert_eq!(closed.0, 4401);
    assert!(closed.1 < Duration::from_secs(2), "{:?}", closed.1);
    assert_eq!(reports_seen(port, &dr_editor).0, 401);
    // Enabling again does not bring the old session back: disabling revoked it.
    let (status, _) = put_user(port, &admin, "dr_editor", json!({"disabled": false}));
    assert_eq!(status, 200);
    assert_eq!(reports_seen(port, &dr_editor).0, 401);
    let fresh = as_user(port, "dr_editor");
    assert_eq!(reports_seen(port, &fresh).0, 200);

    // A password reset ends every session of the account.
    let (status, _) = put_user(
        port,
        &admin,
        "dr_editor",
        json!({"password": "a-new-password-9"}),
    );
    assert_eq!(status, 200);
    assert_eq!(reports_seen(port, &fresh).0, 401);
    assert!(login_status(port, "dr_editor", "dr_editor-password") == 401);
    assert_eq!(login_status(port, "dr_editor", "a-new-password-9"), 200);

    // `liptako user set` on the data directory of the running node: seen within a second,
    // even by a session whose account the node holds in memory.
    let releaser = as_user(port, "releaser");
    assert_eq!(reports_seen(port, &releaser).0, 200);
    liptako(&[
        "user",
        "set",
        "--data",
        data.to_str().unwrap(),
        "--name",
        "releaser",
        "--disable",
    ]);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(reports_seen(port, &releaser).0, 401);
    // The node never loses its last administrator.
    let (status, body) = put_user(port, &admin, "admin", json!({"disabled": true}));
    assert_eq!(status, 409, "{body}");
}

fn login_status(port: u16, user: &str, password: &str) -> u16 {
    let body = json!({"username": user, "password": password});
    http(port, "POST", "/api/v1/auth/login", None, Some(&body))
        .unwrap()
        .0
}

fn login_from(source: Ipv4Addr, port: u16, user: &str, password: &str) -> u16 {
    let body = json!({"username": user, "password": password});
    request_from(
        source,
        port,
        "POST",
        "/api/v1/auth/login",
        None,
        Some(&body),
    )
    .map_or(0, |(status, _)| status)
}

/// The `n`-th address of the loopback network after 127.0.0.1.
fn loopback(n: u32) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(Ipv4Addr::new(127, 0, 0, 2)) + n)
}

/// The most memory the process has held (VmHWM), in bytes.
fn peak_memory(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .unwrap()
        * 1024
}

#[test]
fn finding_4_a_login_flood_does_not_exhaust_memory() {
    let dir = tempfile::tempdir().unwrap();
    let data = node(dir.path());
    let port = free_port();
    let server = KillOnDrop(serve(&data, port));
    // The administrator's usual workstation: a login succeeded from it before the flood.
    let workstation = Ipv4Addr::LOCALHOST;
    assert_eq!(login_from(workstation, port, "admin", ADMIN_PASSWORD), 200);
    let before = peak_memory(server.0.id());
    // 300 concurrent wrong logins from 300 other addresses (the attack took 71 MB to 5.8 GB).
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..300)
            .map(|n| scope.spawn(move || login_from(loopback(n), port, "admin", "wrong-password")))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    let after = peak_memory(server.0.id());
    // Every attempt was answered: refused or told to come back later, never dropped.
    assert!(
        statuses
            .iter()
            .all(|status| *status == 401 || *status == 429),
        "{statuses:?}"
    );
    // At most four hashes (~19 MiB each) at once, whatever the flood.
    let grown = after.saturating_sub(before);
    assert!(grown < 200 << 20, "peak memory grew by {} MiB", grown >> 20);
    // The node still answers its users: the sprayed account is slowed for unknown addresses
    // (so whether one more login from elsewhere gets in right now depends on timing), never
    // from the places its owner logs in from.
    assert_eq!(login_from(workstation, port, "admin", ADMIN_PASSWORD), 200);
}

#[test]
fn finding_5_the_lockout_can_neither_be_raced_nor_turned_against_the_administrator() {
    let dir = tempfile::tempdir().unwrap();
    let data = node(dir.path());
    let port = free_port();
    let _server = KillOnDrop(serve(&data, port));
    let admin_address = loopback(0);
    assert_eq!(
        login_from(admin_address, port, "admin", ADMIN_PASSWORD),
        200
    );

    // 40 concurrent guesses from one address: only max_failed (5) are checked at all.
    let attacker = loopback(1);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..40)
            .map(|n| {
                scope.spawn(move || login_from(attacker, port, "admin", &format!("guess-{n}")))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    let checked = statuses.iter().filter(|status| **status == 401).count();
    assert!(checked <= 5, "{checked} guesses were checked: {statuses:?}");
    assert_eq!(
        statuses.iter().filter(|status| **status == 429).count(),
        40 - checked
    );
    // The right password from the locked address does not get in either.
    assert_eq!(login_from(attacker, port, "admin", ADMIN_PASSWORD), 429);
    // Anyone can fail five times from anywhere: the administrator still logs in, from its
    // usual address and from a new one.
    for n in 2..60 {
        let _ = login_from(loopback(n), port, "admin", "wrong-password");
    }
    assert_eq!(
        login_from(admin_address, port, "admin", ADMIN_PASSWORD),
        200
    );
    assert_eq!(
        login_from(loopback(100), port, "dr_editor", "dr_editor-password"),
        200
    );
}

#[test]
fn finding_6_idle_connections_cannot_starve_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let data = node(dir.path());
    let port = free_port();
    let _server = KillOnDrop(serve(&data, port));
    // 1,100 idle connections from one address (the attack took /healthz down at 1,100).
    let mut idle = Vec::new();
    for _ in 0..1_100 {
        match connect_from(Ipv4Addr::LOCALHOST, port) {
            Ok(stream) => idle.push(stream),
            Err(err) => panic!("the test itself ran out of descriptors: {err}"),
        }
    }
    // Others are served.
    let (status, _) = request_from(loopback(7), port, "GET", "/healthz", None, None).unwrap();
    assert_eq!(status, 200);
    // The address is held to its cap: most of its idle connections were closed at once.
    std::thread::sleep(Duration::from_millis(500));
    let n_open = idle
        .iter_mut()
        .filter_map(|stream| {
            stream.set_nonblocking(true).unwrap();
            let mut byte = [0u8; 1];
            let open = matches!(
                stream.read(&mut byte),
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock
            );
            open.then_some(())
        })
        .count();
    assert!(
        n_open <= 256,
        "{n_open} idle connections from one address are kept"
    );
    // And an idle connection does not stay forever: the header-read time-out closes it.
    let mut quiet = connect_from(loopback(8), port).unwrap();
    quiet
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 64];
    let read = quiet.read(&mut buffer);
    assert!(!matches!(read, Ok(n) if n > 0), "{read:?}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "closed after {:?}",
        started.elapsed()
    );
}

#[test]
fn finding_8_a_huge_login_name_is_neither_hashed_nor_stored() {
    let dir = tempfile::tempdir().unwrap();
    let data = node(dir.path());
    let port = free_port();
    let _server = KillOnDrop(serve(&data, port));
    let name = "x".repeat(1_000_000);
    assert_eq!(login_status(port, &name, "whatever-password"), 401);
    let admin = login(port, "admin", ADMIN_PASSWORD);
    let (status, audit) = http(
        port,
        "GET",
        "/api/v1/audit?action=login_failed",
        Some(&admin),
        None,
    )
    .unwrap();
    assert_eq!(status, 200);
    let entries = audit.as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert!(
        entries[0]["actor"].as_str().unwrap().len() <= 64,
        "{}",
        entries[0]["actor"]
    );
}

#[test]
fn finding_9_list_cursors_and_the_live_feed_reveal_nothing_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let data = node(dir.path());
    let port = free_port();
    let _server = KillOnDrop(serve(&data, port));
    let admin = login(port, "admin", ADMIN_PASSWORD);
    let np_editor = as_user(port, "np_editor");
    // Visible, hidden, hidden, visible: a low user pages one by one.
    for (title, level) in [("a", "NP"), ("s1", "S"), ("s2", "S"), ("b", "NP")] {
        assert_eq!(create(port, &admin, &report(title, level, &["AES"])).0, 201);
    }
    let (status, first) = http(
        port,
        "GET",
        "/api/v1/reports?limit=1",
        Some(&np_editor),
        None,
    )
    .unwrap();
    assert_eq!(status, 200);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    // The cursor is no number (the store's change counter told how many hidden versions lay
    // between pages, and the node's write rate).
    assert!(cursor.parse::<u64>().is_err(), "{cursor}");
    let (_, again) = http(
        port,
        "GET",
        "/api/v1/reports?limit=1",
        Some(&np_editor),
        None,
    )
    .unwrap();
    assert_ne!(
        again["next_cursor"], first["next_cursor"],
        "the same position seals anew"
    );
    let (status, second) = http(
        port,
        "GET",
        &format!("/api/v1/reports?limit=1&cursor={cursor}"),
        Some(&np_editor),
        None,
    )
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(second["items"][0]["title"], "a");
    // A forged cursor is refused.
    let (status, _) = http(
        port,
        "GET",
        "/api/v1/reports?limit=1&cursor=12",
        Some(&np_editor),
        None,
    )
    .unwrap();
    assert_eq!(status, 400);

    // On the live feed, a report raised out of the reader's sight is removed without its new
    // version number.
    let (status, created) = create(port, &admin, &report("to be raised", "NP", &["AES"]));
    assert_eq!(status, 201);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let removal = runtime.block_on(async {
        let url = format!("ws://127.0.0.1:{port}/api/v1/live?access_token={np_editor}");
        let (mut stream, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let _hello = stream.next().await.unwrap().unwrap();
        let (status, _) = change_marking(port, &admin, &created, "S", &["AES"]);
        assert_eq!(status, 200);
        loop {
            let message = tokio::time::timeout(Duration::from_secs(5), stream.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            let text = message.to_text().unwrap_or_default().to_owned();
            if text.contains("\"remove\"") {
                break text;
            }
        }
    });
    let removal: Value = serde_json::from_str(&removal).unwrap();
    assert_eq!(removal["id"], created["id"]);
    assert!(removal.get("version").is_none(), "{removal}");
}

#[test]
fn a_token_in_a_url_is_refused_except_on_the_websocket() {
    let dir = tempfile::tempdir().unwrap();
    let data = node(dir.path());
    let port = free_port();
    let _server = KillOnDrop(serve(&data, port));
    let admin = login(port, "admin", ADMIN_PASSWORD);
    let (status, _) = http(
        port,
        "GET",
        &format!("/api/v1/reports?access_token={admin}"),
        None,
        None,
    )
    .unwrap();
    assert_eq!(status, 401);
    let (status, _) = http(
        port,
        "GET",
        &format!("/api/v1/auth/me?access_token={admin}"),
        None,
        None,
    )
    .unwrap();
    assert_eq!(status, 401);
}

#[test]
fn one_password_policy_for_every_path() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("short");
    let output = std::process::Command::new(BIN)
        .args([
            "init",
            "--data",
            data.to_str().unwrap(),
            "--nation",
            "MLI",
            "--admin-password",
            "abc",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("8 to 256 characters"));
    assert!(!data.join("liptako.toml").exists(), "nothing written");
    let data = node(dir.path());
    let output = std::process::Command::new(BIN)
        .args([
            "user",
            "set",
            "--data",
            data.to_str().unwrap(),
            "--name",
            "analyst",
            "--password",
            "short",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let port = free_port();
    let _server = KillOnDrop(serve(&data, port));
    let admin = login(port, "admin", ADMIN_PASSWORD);
    let (status, _) = put_user(port, &admin, "analyst", json!({"password": "short"}));
    assert_eq!(status, 400);
    let new_user =
        json!({"name": "newbie", "password": "short", "clearance": "NP", "role": "viewer"});
    let (status, _) = http(port, "POST", "/api/v1/users", Some(&admin), Some(&new_user)).unwrap();
    assert_eq!(status, 400);
}

#[test]
fn logs_written_to_a_file_are_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let data = node(dir.path());
    let port = free_port();
    let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
    let child = std::process::Command::new(BIN)
        .args([
            "serve",
            "--data",
            data.to_str().unwrap(),
            "--http",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let child = KillOnDrop(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while http(port, "GET", "/healthz", None, None).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(child);
    let text = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    assert!(text.contains("HTTP API listening"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "colour escapes in a log file: {text}"
    );
}

#[test]
fn https_is_required_off_loopback_and_served_with_the_nodes_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let data = node(dir.path());
    let data_arg = data.to_str().unwrap();
    // Plain HTTP on a non-loopback address: refused before anything listens.
    let port = free_port();
    let output = std::process::Command::new(BIN)
        .args([
            "serve",
            "--data",
            data_arg,
            "--http",
            &format!("0.0.0.0:{port}"),
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("needs a certificate"), "{stderr}");
    // With the node's certificate, HTTPS (asked for here on loopback), and nothing in clear.
    liptako(&["certs", "init", "--data", data_arg]);
    let config = data.join("liptako.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("[http]\n", "[http]\ntls = true\n")).unwrap();
    let port = free_port();
    let _server = KillOnDrop(
        std::process::Command::new(BIN)
            .args([
                "serve",
                "--data",
                data_arg,
                "--http",
                &format!("127.0.0.1:{port}"),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let ca = data.join("certs/ca.pem");
    let url = format!("https://localhost:{port}/healthz");
    let deadline = Instant::now() + Duration::from_secs(30);
    let body = loop {
        let output = std::process::Command::new("curl")
            .args(["-sS", "--http2", "--cacert", ca.to_str().unwrap(), &url])
            .output()
            .expect("curl is needed for this test");
        if output.status.success() {
            break String::from_utf8_lossy(&output.stdout).into_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no HTTPS answer: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(body.contains("\"ok\""), "{body}");
    // A plain-HTTP request gets no answer.
    let plain = http(port, "GET", "/healthz", None, None);
    assert!(!matches!(plain, Ok((200, _))), "{plain:?}");
}
