//! A node with its TAK listeners on ephemeral loopback ports, users of several nations and
//! clearances with client certificates, the real TAK clients in Python (`peers/`), and a
//! minimal CoT client of our own for the byte-level tests.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use liptako_cot::{Event, Framing, Limits, StreamDecoder};
use liptako_model::{Nation, Role};
use liptako_node::tak::Started;
use liptako_node::tak::certs::{ClientRequest, issue_client};
use liptako_node::{Config, Node};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

pub use crate::api::common::PASSWORD;
use crate::api::common::{add_users, call, init_mli, login};

pub fn nation(code: &str) -> Nation {
    Nation::parse(code).unwrap()
}

/// Users: name, nation, clearance, role.
pub const USERS: [(&str, &str, &str, Role); 7] = [
    ("mli_np", "MLI", "NP", Role::Viewer),
    ("mli_dr", "MLI", "DR", Role::Editor),
    ("mli_c", "MLI", "C", Role::Editor),
    ("bfa_c", "BFA", "C", Role::Viewer),
    ("bfa_np", "BFA", "NP", Role::Viewer),
    ("ner_s", "NER", "S", Role::Viewer),
    ("ner_dr", "NER", "DR", Role::Viewer),
];

/// A client certificate of a user: the `.p12`, its password, the data package.
pub struct ClientCert {
    pub p12: PathBuf,
    pub password: String,
    pub package: PathBuf,
}

pub struct TakNode {
    pub node: Arc<Node>,
    pub app: Router,
    pub started: Started,
    pub dir: tempfile::TempDir,
}

impl TakNode {
    /// An MLI node of the AES confederation with every listener on 127.0.0.1, `tweak`ed.
    pub async fn start(tweak: impl FnOnce(&mut Config)) -> TakNode {
        let dir = tempfile::tempdir().unwrap();
        init_mli(dir.path());
        liptako_node::pki::init(dir.path(), nation("MLI"), &[]).unwrap();
        let mut config = Config::load(dir.path()).unwrap();
        let loopback = "127.0.0.1:0".parse().unwrap();
        config.cot.tcp_listen = Some(loopback);
        config.cot.tls_listen = Some(loopback);
        config.cot.enroll_listen = Some(loopback);
        tweak(&mut config);
        let node = Node::with_config(dir.path(), config).unwrap();
        add_users(&node, &USERS);
        let started = liptako_node::tak::start(node.clone()).await.unwrap();
        let app = liptako_node::server::router(node.clone());
        TakNode {
            node,
            app,
            started,
            dir,
        }
    }

    pub fn tcp(&self) -> std::net::SocketAddr {
        self.started.tcp.unwrap()
    }

    pub fn tls(&self) -> std::net::SocketAddr {
        self.started.tls.unwrap()
    }

    pub fn ca_pem(&self) -> PathBuf {
        self.dir.path().join("certs/ca.pem")
    }

    /// Issues a client certificate bundle for `user` (as `liptako certs client` does).
    pub fn client_cert(&self, user: &str) -> ClientCert {
        let out = self.dir.path().join("clients").join(user);
        let password = format!("{user}-p12-password");
        issue_client(
            self.dir.path(),
            ClientRequest {
                callsign: user.to_uppercase(),
                user: user.into(),
                host: Some("127.0.0.1".into()),
                port: Some(self.tls().port()),
                password: Some(password.clone()),
                out: Some(out.clone()),
                days: None,
            },
        )
        .unwrap();
        let stem = user.to_uppercase();
        ClientCert {
            p12: out.join(format!("{stem}.p12")),
            password,
            package: out.join(format!("{stem}.zip")),
        }
    }

    pub async fn login(&self, user: &str) -> String {
        login(&self.app, user).await
    }

    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        call(&self.app, method, uri, token, body).await
    }

    /// Waits up to five seconds for a series to reach `value` (a session counts its end
    /// after its socket is closed); returns the last value seen.
    pub async fn metric_reaches(&self, series: &str, value: u64) -> u64 {
        for _ in 0..100 {
            if self.metric(series) >= value {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.metric(series)
    }

    /// The value of a series in `/metrics` (0 when absent).
    pub fn metric(&self, series: &str) -> u64 {
        self.node
            .metrics()
            .render()
            .lines()
            .find_map(|line| {
                let (name, value) = line.rsplit_once(' ')?;
                (name == series).then(|| value.parse::<f64>().ok())?
            })
            .map_or(0, |value| value as u64)
    }
}

impl Drop for TakNode {
    fn drop(&mut self) {
        self.node.begin_shutdown();
    }
}

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_owned()
}

/// The Python with the peers installed: `LIPTAKO_PYTHON`, else the workspace venv.
pub fn python() -> PathBuf {
    let python = std::env::var_os("LIPTAKO_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"));
    assert!(
        python.exists(),
        "no Python with the TAK peers at {}: run ./scripts/test (it runs scripts/setup-peers), or set LIPTAKO_PYTHON",
        python.display()
    );
    python
}

/// The Python TAK clients running a script (see `peers/tak_clients.py`).
pub struct Peers {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    lines: mpsc::UnboundedReceiver<String>,
}

impl Peers {
    pub fn run(script: Value) -> Peers {
        let script_path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tak/peers/tak_clients.py");
        let mut child = Command::new(python())
            .arg(script_path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the TAK peer script");
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{script}").unwrap();
        stdin.flush().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Peers {
            child,
            stdin,
            lines,
        }
    }

    fn failure(&mut self, what: &str) -> ! {
        let _ = self.child.kill();
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
        }
        panic!("TAK peers: {what}\n--- peer stderr ---\n{stderr}");
    }

    async fn next(&mut self) -> Value {
        match tokio::time::timeout(Duration::from_secs(90), self.lines.recv()).await {
            Ok(Some(line)) => serde_json::from_str(&line)
                .unwrap_or_else(|_| self.failure(&format!("not JSON: {line}"))),
            Ok(None) => self.failure("exited before it finished"),
            Err(_) => self.failure("no answer for 90 s"),
        }
    }

    /// Waits for the sync point `name`.
    pub async fn synced(&mut self, name: &str) {
        let line = self.next().await;
        if line["sync"] != name {
            self.failure(&format!("expected sync {name}, got {line}"));
        }
    }

    /// Lets the script go on after a sync point.
    pub fn go(&mut self) {
        writeln!(self.stdin, "go").unwrap();
        self.stdin.flush().unwrap();
    }

    /// The script's result.
    pub async fn result(mut self) -> Value {
        let line = self.next().await;
        if line.get("result").is_none() {
            self.failure(&format!("expected the result, got {line}"));
        }
        let status = self.child.wait().unwrap();
        assert!(status.success(), "peer script exit status {status}");
        line["result"].clone()
    }
}

/// The events a client received in a peer result.
pub fn events<'a>(result: &'a Value, client: &str) -> &'a Vec<Value> {
    result["clients"][client]["events"]
        .as_array()
        .unwrap_or_else(|| panic!("no client {client} in {result}"))
}

/// The uids a client received, in order.
pub fn uids(result: &Value, client: &str) -> Vec<String> {
    events(result, client)
        .iter()
        .filter_map(|event| event["uid"].as_str().map(str::to_owned))
        .collect()
}

/// A byte stream a test client speaks over (TCP or TLS).
pub trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

/// A CoT client of our own for byte-level tests: raw bytes out, our codec to read.
pub struct RawClient {
    pub stream: Box<dyn Io>,
    decoder: StreamDecoder,
}

impl RawClient {
    pub async fn connect(addr: std::net::SocketAddr) -> RawClient {
        RawClient::over(Box::new(TcpStream::connect(addr).await.unwrap()))
    }

    pub fn over(stream: Box<dyn Io>) -> RawClient {
        RawClient {
            stream,
            decoder: StreamDecoder::new(Framing::Detect, Limits::default()),
        }
    }

    /// Connects over TLS with the client certificate of `cert_dir/<STEM>.pem` and
    /// `-key.pem` (or without one), trusting the node's CA.
    pub async fn connect_tls(
        node: &TakNode,
        client: Option<(&Path, &str)>,
    ) -> std::io::Result<RawClient> {
        use rustls_pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        for ca in rustls_pki_types::CertificateDer::pem_file_iter(node.ca_pem()).unwrap() {
            roots.add(ca.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
        let config = match client {
            Some((dir, stem)) => {
                let chain = rustls_pki_types::CertificateDer::pem_file_iter(
                    dir.join(format!("{stem}.pem")),
                )
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
                let key = rustls_pki_types::PrivateKeyDer::from_pem_file(
                    dir.join(format!("{stem}-key.pem")),
                )
                .unwrap();
                builder.with_client_auth_cert(chain, key).unwrap()
            }
            None => builder.with_no_client_auth(),
        };
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = TcpStream::connect(node.tls()).await?;
        let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
        let tls = connector.connect(name, tcp).await?;
        Ok(RawClient::over(Box::new(tls)))
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// Sends, or returns false when the server has closed the connection.
    pub async fn try_send(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).await.is_ok()
    }

    /// Closes the sending side and reads until the server closes the connection, or panics
    /// after `wait`: once it returns, the server has dealt with everything sent.
    pub async fn finish(mut self, wait: Duration) {
        let _ = self.stream.shutdown().await;
        assert!(
            self.closed_within(wait).await,
            "the server kept the connection open"
        );
    }

    /// The next event within `wait`, or `None` (timeout or closed).
    pub async fn next_event(&mut self, wait: Duration) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(Ok(event)) = self.decoder.next_event() {
                return Some(event);
            }
            self.decoder.buffer_mut().reserve(16 * 1024);
            let read =
                tokio::time::timeout_at(deadline, self.stream.read_buf(self.decoder.buffer_mut()))
                    .await;
            match read {
                Ok(Ok(n)) if n > 0 => {}
                _ => return None,
            }
        }
    }

    /// Events until `uid` arrives (inclusive), or panics after `wait`.
    pub async fn until(&mut self, uid: &str, wait: Duration) -> Vec<Event> {
        let mut seen = Vec::new();
        loop {
            match self.next_event(wait).await {
                Some(event) => {
                    let done = event.uid == uid;
                    seen.push(event);
                    if done {
                        return seen;
                    }
                }
                None => panic!(
                    "{uid} never arrived; got {:?}",
                    seen.iter().map(|e| &e.uid).collect::<Vec<_>>()
                ),
            }
        }
    }

    /// Events until every uid of `wanted` arrived, in any order, or panics after `wait`.
    pub async fn until_all(&mut self, wanted: &[&str], wait: Duration) -> Vec<Event> {
        let mut seen: Vec<Event> = Vec::new();
        while !wanted
            .iter()
            .all(|uid| seen.iter().any(|event| event.uid == *uid))
        {
            match self.next_event(wait).await {
                Some(event) => seen.push(event),
                None => panic!(
                    "{wanted:?} never all arrived; got {:?}",
                    seen.iter().map(|e| &e.uid).collect::<Vec<_>>()
                ),
            }
        }
        seen
    }

    /// Whether the server closed the connection within `wait`.
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match tokio::time::timeout_at(deadline, self.stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => {}
                Err(_) => return false,
            }
        }
    }
}

/// A position report as ATAK writes it.
pub fn sa_xml(uid: &str, callsign: &str, lat: f64, lon: f64, attributes: &str) -> String {
    let now = time::OffsetDateTime::now_utc();
    let format = &time::format_description::well_known::Rfc3339;
    let time = now.format(format).unwrap();
    let stale = (now + time::Duration::minutes(2)).format(format).unwrap();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><event version="2.0" uid="{uid}" type="a-f-G-U-C" how="m-g" time="{time}" start="{time}" stale="{stale}"{attributes}><point lat="{lat}" lon="{lon}" hae="250" ce="10" le="10"/><detail><takv platform="ATAK-CIV" version="4.10"/><contact callsign="{callsign}" endpoint="*:-1:stcp"/><__group name="Cyan" role="Team Member"/><track course="45" speed="3"/></detail></event>"#
    )
}
