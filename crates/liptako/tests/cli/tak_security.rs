//! The TAK server's security findings (issue 11) as they were found: real `liptako serve`
//! processes, set up with the command line, and real TAK clients (pytak, driven by
//! `crates/node/tests/tak/peers/tak_clients.py`) or plain sockets. One test per finding, named
//! after it; `crates/node/tests/tak/security.rs` has the same cases in-process.
//! - #3: a TAK session follows its user's account, also when another process (`liptako user`)
//!   changed it: disabled → closed, demoted → what it may no longer see is deleted;
//! - #6: thousands of idle anonymous connections never lock a certificate client out, and one
//!   address never takes every anonymous slot;
//! - #7: an anonymous client claiming a certificate user's callsign and uid is refused and
//!   receives nothing directed at that user;
//! - #8: what anonymous clients send is stored national (and capped), so it never federates.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use liptako_loadgen::cluster::Cluster;
use liptako_node::Config;
use liptako_store::{SqliteStore, Store, WriteOp};
use serde_json::{Value, json};

use super::util::{BIN, KillOnDrop, add_viewer, free_port, http, liptako, login};

const USER_PASSWORD: &str = "user-password-1";
const P12_PASSWORD: &str = "p12-password-1";
const WAIT: Duration = Duration::from_secs(60);

/// One node of MLI with TAK TCP and TLS listeners, users, certificates, `liptako serve`.
struct TakServer {
    data: tempfile::TempDir,
    http: u16,
    tcp: SocketAddr,
    tls: SocketAddr,
    admin: String,
    _child: KillOnDrop,
}

impl TakServer {
    /// Sets a node up as an administrator would (users are viewers cleared as given) and
    /// starts it with `tweak` applied to its configuration.
    fn start(users: &[(&str, &str)], tweak: impl FnOnce(&mut Config)) -> TakServer {
        let data = tempfile::tempdir().unwrap();
        let dir = data.path().to_str().unwrap();
        let admin_password = super::util::init(data.path(), "MLI");
        let (http, tcp, tls) = (free_port(), free_port(), free_port());
        let tls_port = tls.to_string();
        liptako(&["certs", "init", "--data", dir]);
        for (name, clearance) in users {
            add_viewer(data.path(), name, clearance, USER_PASSWORD);
            liptako(&[
                "certs",
                "client",
                "--data",
                dir,
                "--name",
                name,
                "--user",
                name,
                "--password",
                P12_PASSWORD,
                "--host",
                "127.0.0.1",
                "--port",
                &tls_port,
            ]);
        }
        let mut config = Config::load(data.path()).unwrap();
        tweak(&mut config);
        config.save(data.path()).unwrap();
        let child = Command::new(BIN)
            .args([
                "serve",
                "--data",
                dir,
                "--http",
                &format!("127.0.0.1:{http}"),
                "--cot-tcp",
                &format!("127.0.0.1:{tcp}"),
                "--cot-tls",
                &format!("127.0.0.1:{tls}"),
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(data.path().join("serve.log")).unwrap(),
            ))
            .spawn()
            .unwrap();
        let child = KillOnDrop(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !matches!(http_get(http, "/healthz"), Some((200, _))) {
            assert!(Instant::now() < deadline, "liptako serve did not come up");
            std::thread::sleep(Duration::from_millis(50));
        }
        let admin = login(http, "admin", &admin_password);
        TakServer {
            data,
            http,
            tcp: SocketAddr::from(([127, 0, 0, 1], tcp)),
            tls: SocketAddr::from(([127, 0, 0, 1], tls)),
            admin,
            _child: child,
        }
    }

    /// A pytak `connect` step over TLS with `user`'s certificate from `liptako certs client`.
    fn tls_step(&self, name: &str, user: &str) -> Value {
        let dir = self.data.path().join("clients").join(user);
        json!({"op": "connect", "name": name, "url": format!("tls://{}", self.tls),
               "p12": dir.join(format!("{user}.p12")), "password": P12_PASSWORD,
               "cafile": self.data.path().join("certs/ca.pem")})
    }

    fn tcp_step(&self, name: &str) -> Value {
        json!({"op": "connect", "name": name, "url": format!("tcp://{}", self.tcp)})
    }

    /// A series of `/metrics` (0 when absent).
    fn metric(&self, series: &str) -> u64 {
        let Some((200, Value::String(text))) = http_get(self.http, "/metrics") else {
            return 0;
        };
        text.lines()
            .find_map(|line| {
                let (name, value) = line.rsplit_once(' ')?;
                (name == series).then(|| value.parse::<f64>().ok())?
            })
            .map_or(0, |value| value as u64)
    }

    /// The node's database, opened as `liptako user ...` opens it: another process's writes.
    fn change_user(&self, name: &str, change: impl FnOnce(&mut liptako_store::UserRecord)) {
        let config = Config::load(self.data.path()).unwrap();
        let store = SqliteStore::open(&config.store_path(self.data.path()), None).unwrap();
        let mut user = store.user(name).unwrap().unwrap();
        change(&mut user);
        store.write(vec![WriteOp::PutUser(user)]).unwrap();
    }
}

fn http_get(port: u16, path: &str) -> Option<(u16, Value)> {
    http(port, "GET", path, None, None).ok()
}

/// The Python with pytak: `LIPTAKO_PYTHON`, else the workspace's `.venv` (`./scripts/test`
/// makes it).
fn python() -> PathBuf {
    let python = std::env::var_os("LIPTAKO_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"));
    assert!(
        python.exists(),
        "no Python with pytak at {}: run ./scripts/test, or set LIPTAKO_PYTHON",
        python.display()
    );
    python
}

/// Runs a script of pytak client steps; at each `sync` step runs `at_sync(name)` before the
/// script goes on. Returns the script's result (what every client received).
fn run_clients(steps: Vec<Value>, mut at_sync: impl FnMut(&str)) -> Value {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../node/tests/tak/peers/tak_clients.py");
    let mut child = KillOnDrop(
        Command::new(python())
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stdin = child.0.stdin.take().unwrap();
    writeln!(stdin, "{}", json!({"steps": steps})).unwrap();
    let stdout = BufReader::new(child.0.stdout.take().unwrap());
    for line in stdout.lines() {
        let line: Value = serde_json::from_str(&line.unwrap()).unwrap();
        if let Some(name) = line["sync"].as_str() {
            at_sync(name);
            writeln!(stdin, "go").unwrap();
        } else if line.get("result").is_some() {
            return line["result"].clone();
        }
    }
    let mut stderr = String::new();
    let _ = child.0.stderr.take().unwrap().read_to_string(&mut stderr);
    panic!("the TAK clients failed:\n{stderr}");
}

fn received<'a>(result: &'a Value, client: &str) -> &'a [Value] {
    result["clients"][client]["events"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn uids(result: &Value, client: &str) -> Vec<String> {
    received(result, client)
        .iter()
        .filter_map(|event| event["uid"].as_str().map(str::to_owned))
        .collect()
}

/// A marker as XML (no self-report: it claims no identity), optionally to one callsign.
fn marker_xml(uid: &str, to_callsign: Option<&str>) -> String {
    let dest = to_callsign
        .map(|callsign| format!(r#"<marti><dest callsign="{callsign}"/></marti>"#))
        .unwrap_or_default();
    format!(
        r#"<event version="2.0" uid="{uid}" type="a-h-G" how="h-e" time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" stale="2099-01-01T00:00:00Z"><point lat="14" lon="1" hae="0" ce="1" le="1"/><detail><contact callsign="{uid}"/>{dest}</detail></event>"#
    )
}

#[test]
fn finding_3_tak_sessions_follow_accounts_changed_by_another_process() {
    let node = TakServer::start(&[("awa", "C"), ("moussa", "C")], |config| {
        config.cot.user_recheck = "1s".parse().unwrap();
    });
    let (status, report) = http(
        node.http,
        "POST",
        "/api/v1/reports",
        Some(&node.admin),
        Some(&json!({"kind": "incident", "title": "confidential", "location": {"lat": 14.5, "lon": 0.8},
                     "marking": {"level": "C", "releasable_to": ["AES"]}})),
    )
    .unwrap();
    assert_eq!(status, 201, "{report}");
    let report = report["id"].as_str().unwrap().to_owned();
    let result = run_clients(
        vec![
            node.tls_step("demoted", "awa"),
            node.tls_step("disabled", "moussa"),
            json!({"op": "wait", "name": "demoted", "uid": report}),
            json!({"op": "wait", "name": "disabled", "uid": report}),
            json!({"op": "sync", "name": "connected"}),
            // Changed in the database file: only the periodic re-read (1 s here) sees it.
            json!({"op": "wait_closed", "name": "disabled", "timeout": 20}),
            json!({"op": "wait_deleted", "name": "demoted", "uid": report, "timeout": 20}),
            json!({"op": "sleep", "seconds": 0.5}),
        ],
        |_| {
            node.change_user("awa", |user| user.clearance = "NP".into());
            node.change_user("moussa", |user| user.disabled = true);
        },
    );
    assert_eq!(result["clients"]["disabled"]["closed"], true);
    assert_eq!(result["clients"]["demoted"]["closed"], false);
    assert_eq!(node.metric("liptako_tak_sessions_revoked_total"), 1);
    assert_eq!(node.metric("liptako_tak_principal_changes_total"), 1);
}

/// Opens `n` TCP connections to `to` from `from` and tells which the server kept: a kept
/// connection gets the protocol offer at once, a refused one is closed at once.
async fn open_idle(
    to: SocketAddr,
    from: std::net::IpAddr,
    n: usize,
) -> (Vec<tokio::net::TcpStream>, usize) {
    use tokio::io::AsyncReadExt;
    let attempts = (0..n).map(|_| async move {
        let socket = tokio::net::TcpSocket::new_v4().ok()?;
        socket.bind(SocketAddr::new(from, 0)).ok()?;
        let mut stream = socket.connect(to).await.ok()?;
        let mut first = [0u8; 64];
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut first)).await {
            Ok(Ok(n)) if n > 0 => Some(stream),
            _ => None,
        }
    });
    let outcomes = futures_util::future::join_all(attempts).await;
    let kept: Vec<_> = outcomes.into_iter().flatten().collect();
    let refused = n - kept.len();
    (kept, refused)
}

#[test]
fn finding_6_idle_anonymous_connections_never_lock_a_certificate_client_out() {
    // As many idle connections as this process may open, up to the 5,000 of the finding.
    let limit = liptako_node::net::raise_open_files();
    let n_flood = usize::try_from(limit.saturating_sub(512))
        .unwrap_or(usize::MAX)
        .min(5_000);
    let node = TakServer::start(&[("awa", "NP"), ("moussa", "NP")], |_| {});
    let per_address = liptako_node::config::cot::DEFAULT_MAX_CLIENTS_PER_ADDRESS;
    // The node raises its limit to the same hard limit and gives anonymous clients a share.
    let anonymous_slots = liptako_node::net::Budget::new(limit).share(
        liptako_node::tak::listener::TCP_SHARE_PERCENT,
        Some(liptako_node::config::cot::DEFAULT_MAX_ANONYMOUS_CLIENTS),
    );
    assert!(n_flood > anonymous_slots + per_address);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut held = Vec::new();
    // One address cannot take more than its share.
    let (kept, refused) = runtime.block_on(open_idle(node.tcp, [127, 0, 0, 1].into(), 200));
    assert_eq!((kept.len(), refused), (per_address, 200 - per_address));
    held.extend(kept);
    // Many addresses fill the anonymous slots, and no more.
    let mut n_opened = 200;
    let mut n_kept = held.len();
    let mut octet = 2u8;
    while n_opened < n_flood {
        let batch = (n_flood - n_opened).min(per_address);
        let from = std::net::IpAddr::from([127, 0, 1, octet]);
        let (kept, _) = runtime.block_on(open_idle(node.tcp, from, batch));
        n_kept += kept.len();
        held.extend(kept);
        n_opened += batch;
        octet = octet.wrapping_add(1).max(2);
    }
    assert_eq!(
        n_kept, anonymous_slots,
        "anonymous connections kept of {n_flood}"
    );
    let (kept, refused) = runtime.block_on(open_idle(node.tcp, [127, 0, 2, 1].into(), 1));
    assert_eq!(
        (kept.len(), refused),
        (0, 1),
        "the anonymous listener is full"
    );
    assert!(
        node.metric(
            "liptako_connections_refused_total{listener=\"tak_tcp\",reason=\"listener_full\"}"
        ) > 0
    );

    // Certificate clients still connect and talk, with every anonymous slot taken.
    let result = run_clients(
        vec![
            node.tls_step("awa", "awa"),
            node.tls_step("moussa", "moussa"),
            json!({"op": "sa", "name": "awa", "uid": "ANDROID-awa", "callsign": "AWA", "lat": 14.4, "lon": 0.7}),
            json!({"op": "wait", "name": "moussa", "uid": "ANDROID-awa"}),
        ],
        |_| {},
    );
    assert!(uids(&result, "moussa").contains(&"ANDROID-awa".to_owned()));
    assert_eq!(
        node.metric("liptako_tak_clients{listener=\"tcp\"}"),
        anonymous_slots as u64
    );
    drop(held);
}

#[test]
fn finding_7_an_anonymous_impostor_gets_nothing_meant_for_a_certificate_user() {
    let node = TakServer::start(&[("awa", "NP"), ("moussa", "NP")], |_| {});
    let auth = br#"<auth><cot uid="ANDROID-victim" callsign="VICTIM"/></auth>"#;
    let chat = "GeoChat.ANDROID-sender.ANDROID-victim.m1";
    let result = run_clients(
        vec![
            node.tls_step("victim", "awa"),
            node.tls_step("sender", "moussa"),
            node.tcp_step("impostor"),
            json!({"op": "sa", "name": "victim", "uid": "ANDROID-victim", "callsign": "VICTIM", "lat": 14.5, "lon": 0.5}),
            json!({"op": "wait", "name": "sender", "uid": "ANDROID-victim"}),
            // The impostor claims the victim's callsign, uid and position, and says it is them.
            json!({"op": "sa", "name": "impostor", "uid": "ANDROID-impostor", "callsign": "VICTIM", "lat": 10.0, "lon": 10.0}),
            json!({"op": "sa", "name": "impostor", "uid": "ANDROID-victim", "callsign": "IMPOSTOR", "lat": 10.0, "lon": 10.0}),
            json!({"op": "raw", "name": "impostor", "hex": hex(auth)}),
            json!({"op": "xml", "name": "impostor", "xml": marker_xml("impostor-done", None)}),
            json!({"op": "wait", "name": "sender", "uid": "impostor-done"}),
            // What the sender directs at the victim.
            json!({"op": "chat", "name": "sender", "uid": "ANDROID-sender", "callsign": "SENDER",
                   "text": "for the victim only", "to_callsign": "VICTIM", "to_uid": "ANDROID-victim",
                   "message_id": "m1"}),
            json!({"op": "xml", "name": "sender", "xml": marker_xml("marker-for-victim", Some("VICTIM"))}),
            json!({"op": "xml", "name": "sender", "xml": marker_xml("end", None)}),
            json!({"op": "wait", "name": "victim", "uid": chat}),
            json!({"op": "wait", "name": "victim", "uid": "marker-for-victim"}),
            json!({"op": "wait", "name": "impostor", "uid": "end"}),
            json!({"op": "sleep", "seconds": 0.3}),
        ],
        |_| {},
    );
    let impostor = uids(&result, "impostor");
    assert!(!impostor.contains(&chat.to_owned()), "{impostor:?}");
    assert!(
        !impostor.contains(&"marker-for-victim".to_owned()),
        "{impostor:?}"
    );
    // Nobody saw the victim moved, or anyone else called VICTIM.
    for event in received(&result, "sender") {
        if event["uid"] == "ANDROID-victim" {
            assert_eq!(
                (event["lat"].as_f64(), event["lon"].as_f64()),
                (Some(14.5), Some(0.5))
            );
        } else {
            assert_ne!(event["callsign"], "VICTIM", "{event}");
        }
    }
    assert!(node.metric("liptako_tak_refused_total{reason=\"uid_taken\"}") >= 2);
    assert!(node.metric("liptako_tak_refused_total{reason=\"callsign_taken\"}") >= 1);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[test]
fn finding_8_what_anonymous_tak_clients_send_never_federates() {
    const MLI: usize = 0;
    const BFA: usize = 1;
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::new(
        Path::new(BIN),
        dir.path(),
        &["MLI", "BFA"],
        &[(MLI, BFA, "C")],
    )
    .unwrap();
    // MLI takes anonymous TAK clients, as configured by default.
    cluster.kill(MLI);
    let cot = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut config = Config::load(&cluster.members[MLI].dir).unwrap();
    config.cot.tcp_listen = Some(cot);
    config.save(&cluster.members[MLI].dir).unwrap();
    cluster.start(MLI).unwrap();

    // One anonymous connection sends 1,200 friendly units.
    let mut stream = std::net::TcpStream::connect(cot).unwrap();
    let mut flood = String::new();
    for idx in 0..1_200 {
        flood.push_str(&format!(
            r#"<event version="2.0" uid="flood-{idx}" type="a-f-G-U-C" how="m-g" time="2026-01-01T00:00:00Z" start="2026-01-01T00:00:00Z" stale="2099-01-01T00:00:00Z"><point lat="14.{idx}" lon="0.7" hae="0" ce="10" le="10"/><detail><contact callsign="FLOOD-{idx}"/></detail></event>"#
        ));
    }
    stream.write_all(flood.as_bytes()).unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let _ = std::io::copy(&mut stream, &mut std::io::sink());

    let share = liptako_node::config::cot::DEFAULT_ANONYMOUS_MAX_UIDS;
    let flooded = |cluster: &Cluster, node: usize| -> Vec<Value> {
        cluster
            .holdings(node, "units")
            .unwrap()
            .into_values()
            .filter(|unit| {
                unit["callsign"]
                    .as_str()
                    .is_some_and(|c| c.starts_with("FLOOD-"))
            })
            .collect()
    };
    cluster
        .wait_until(WAIT, |c| Ok(flooded(c, MLI).len() >= share))
        .unwrap();
    // Past its share, the anonymous principal stores nothing more.
    std::thread::sleep(Duration::from_secs(2));
    let stored = flooded(&cluster, MLI);
    assert_eq!(stored.len(), share);
    for unit in &stored {
        assert_eq!(
            unit["marking"],
            json!({"level": "NP", "releasable_to": []}),
            "{unit}"
        );
    }
    // A report MLI releases to all members reaches BFA; none of the units does.
    let sentinel = cluster
        .create(
            MLI,
            "reports",
            &json!({"kind": "incident", "title": "sentinel", "location": {"lat": 14.5, "lon": 0.8},
                    "marking": {"level": "NP", "releasable_to": ["AES"]}}),
        )
        .unwrap();
    let sentinel = sentinel["id"].as_str().unwrap().to_owned();
    cluster
        .wait_until(WAIT, |c| Ok(c.ids(BFA, "reports")?.contains(&sentinel)))
        .unwrap();
    assert_eq!(flooded(&cluster, BFA), Vec::<Value>::new());
}
