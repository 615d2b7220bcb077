//! A confederation of real `liptako serve` processes on loopback, for tests and benchmarks.
//!
//! [`Cluster::new`] sets each node up with the command line, as an administrator would
//! (`init`, `certs init`, `link add`), except that every direction of every link goes through
//! its own [`Proxy`], so that a test can cut, restore or shape a link. Node `a` pulls from node
//! `b` through proxy `(a, b)`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::http;
use crate::proxy::{Proxy, Shape};

/// The password of every node's `admin`.
pub const ADMIN_PASSWORD: &str = "cluster-admin-password";

/// One node of the cluster.
#[derive(Debug)]
pub struct Member {
    /// Its nation.
    pub nation: String,
    /// Its data directory.
    pub dir: PathBuf,
    /// Its HTTP port.
    pub http: u16,
    /// Its federation port.
    pub federation: u16,
    child: Option<Child>,
    token: Option<String>,
}

/// The nodes, their link proxies, and a runtime for the proxies.
pub struct Cluster {
    /// The nodes, in the order given.
    pub members: Vec<Member>,
    proxies: BTreeMap<(usize, usize), Proxy>,
    runtime: tokio::runtime::Runtime,
    bin: PathBuf,
}

/// A port free on 127.0.0.1 now, for TCP and UDP, never handed out before by this process.
/// Drawn from 20000-32767, below the kernel's ephemeral range (32768 and up): a port the kernel
/// gives an outgoing connection meanwhile can then never take it before the node binds it
/// (with many tests connecting at once, a port from the ephemeral range sometimes was).
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<BTreeSet<u16>> = std::sync::Mutex::new(BTreeSet::new());
    static DRAWS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos() as u64)
        ^ (u64::from(std::process::id()) << 32);
    let mut given = GIVEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for _ in 0..2_000 {
        let draw = DRAWS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // splitmix64: spread consecutive draws over the range.
        let mut x = seed.wrapping_add(draw.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^= x >> 31;
        let port = 20_000 + (x % 12_768) as u16;
        if given.contains(&port) {
            continue;
        }
        let free = TcpListener::bind(("127.0.0.1", port)).is_ok()
            && std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok();
        if free {
            given.insert(port);
            return port;
        }
    }
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .unwrap_or(0)
}

impl Cluster {
    /// Sets up nodes of `nations` (members of confederation `AES`) in `root`, linked as
    /// `links` says (`(a, b, ceiling)`: both directions), and starts them.
    pub fn new(
        bin: &Path,
        root: &Path,
        nations: &[&str],
        links: &[(usize, usize, &str)],
    ) -> anyhow::Result<Cluster> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let members_arg = nations.join(",");
        let mut members = Vec::new();
        for nation in nations {
            let dir = root.join(nation.to_lowercase());
            let (http, federation) = (free_port(), free_port());
            run(
                bin,
                &[
                    "init",
                    "--data",
                    path_str(&dir)?,
                    "--nation",
                    nation,
                    "--members",
                    &members_arg,
                    "--admin-password",
                    ADMIN_PASSWORD,
                    "--http",
                    &format!("127.0.0.1:{http}"),
                    "--federation",
                    &format!("127.0.0.1:{federation}"),
                ],
            )?;
            run(bin, &["certs", "init", "--data", path_str(&dir)?])?;
            members.push(Member {
                nation: (*nation).to_owned(),
                dir,
                http,
                federation,
                child: None,
                token: None,
            });
        }
        let mut proxies = BTreeMap::new();
        for &(a, b, ceiling) in links {
            for (from, to) in [(a, b), (b, a)] {
                let upstream = SocketAddr::from(([127, 0, 0, 1], members[to].federation));
                let proxy = runtime.block_on(Proxy::start(
                    SocketAddr::from(([127, 0, 0, 1], 0)),
                    upstream,
                ))?;
                let ca = members[to].dir.join("certs").join("ca.pem");
                run(
                    bin,
                    &[
                        "link",
                        "add",
                        "--data",
                        path_str(&members[from].dir)?,
                        "--nation",
                        &members[to].nation,
                        "--url",
                        &format!("https://{}", proxy.addr()),
                        "--ca",
                        path_str(&ca)?,
                        "--ceiling",
                        ceiling,
                    ],
                )?;
                proxies.insert((from, to), proxy);
            }
        }
        // The confederation's key ceremony: every node accredits every other member's origin
        // key, also those it hears from only through a relay.
        for from in 0..members.len() {
            for to in 0..members.len() {
                let linked = links
                    .iter()
                    .any(|&(a, b, _)| (a, b) == (from, to) || (b, a) == (from, to));
                if from == to || linked {
                    continue;
                }
                let key = members[to].dir.join("certs").join("origin.pub");
                run(
                    bin,
                    &[
                        "link",
                        "origin",
                        "--data",
                        path_str(&members[from].dir)?,
                        "--nation",
                        &members[to].nation,
                        "--key",
                        path_str(&key)?,
                    ],
                )?;
            }
        }
        let mut cluster = Cluster {
            members,
            proxies,
            runtime,
            bin: bin.to_owned(),
        };
        for idx in 0..cluster.members.len() {
            cluster.start(idx)?;
        }
        Ok(cluster)
    }

    /// Starts node `idx` and logs in as its admin.
    pub fn start(&mut self, idx: usize) -> anyhow::Result<()> {
        let member = &mut self.members[idx];
        let child = Command::new(&self.bin)
            .args(["serve", "--data", path_str(&member.dir)?])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(
                member.dir.join("serve.log"),
            )?))
            .spawn()?;
        member.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok((200, _)) = http::request(member.http, "GET", "/healthz", None, None) {
                break;
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(member.dir.join("serve.log")).unwrap_or_default();
                anyhow::bail!("node {} did not start: {log}", member.nation);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        member.token = Some(http::login(member.http, "admin", ADMIN_PASSWORD)?);
        Ok(())
    }

    /// Kills node `idx` with SIGKILL (no shutdown at all).
    pub fn kill(&mut self, idx: usize) {
        if let Some(mut child) = self.members[idx].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Cuts the link between `a` and `b`, both directions.
    pub fn cut(&self, a: usize, b: usize) {
        for key in [(a, b), (b, a)] {
            if let Some(proxy) = self.proxies.get(&key) {
                proxy.cut();
            }
        }
    }

    /// Restores the link between `a` and `b`.
    pub fn restore(&self, a: usize, b: usize) {
        for key in [(a, b), (b, a)] {
            if let Some(proxy) = self.proxies.get(&key) {
                proxy.restore();
            }
        }
    }

    /// Shapes the link between `a` and `b`, both directions.
    pub fn shape(&self, a: usize, b: usize, shape: Shape) {
        for key in [(a, b), (b, a)] {
            if let Some(proxy) = self.proxies.get(&key) {
                proxy.set_shape(shape);
            }
        }
    }

    /// Bytes that crossed the link between `a` and `b`, both directions.
    pub fn link_bytes(&self, a: usize, b: usize) -> u64 {
        [(a, b), (b, a)]
            .iter()
            .filter_map(|key| self.proxies.get(key))
            .map(Proxy::bytes)
            .sum()
    }

    /// The admin token of node `idx`.
    pub fn token(&self, idx: usize) -> &str {
        self.members[idx].token.as_deref().unwrap_or("")
    }

    /// A request to node `idx` as its admin.
    pub fn call(
        &self,
        idx: usize,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> std::io::Result<(u16, Value)> {
        http::request(
            self.members[idx].http,
            method,
            path,
            Some(self.token(idx)),
            body,
        )
    }

    /// Creates an object on node `idx`; returns it.
    pub fn create(&self, idx: usize, collection: &str, body: &Value) -> anyhow::Result<Value> {
        match self.call(idx, "POST", &format!("/api/v1/{collection}"), Some(body))? {
            (201, object) => Ok(object),
            (status, answer) => {
                anyhow::bail!("create on {}: {status} {answer}", self.members[idx].nation)
            }
        }
    }

    /// Every live object of `collection` node `idx` holds: id → (origin, version, marking).
    pub fn holdings(
        &self,
        idx: usize,
        collection: &str,
    ) -> anyhow::Result<BTreeMap<String, Value>> {
        let mut objects = BTreeMap::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/{collection}?limit=1000&include_expired=true");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let (status, page) = self.call(idx, "GET", &path, None)?;
            anyhow::ensure!(
                status == 200,
                "list on {}: {status} {page}",
                self.members[idx].nation
            );
            for object in page["items"].as_array().into_iter().flatten() {
                if let Some(id) = object["id"].as_str() {
                    anyhow::ensure!(
                        objects.insert(id.to_owned(), object.clone()).is_none(),
                        "{} listed {id} twice",
                        self.members[idx].nation
                    );
                }
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return Ok(objects),
            }
        }
    }

    /// The ids node `idx` holds in `collection`.
    pub fn ids(&self, idx: usize, collection: &str) -> anyhow::Result<BTreeSet<String>> {
        Ok(self.holdings(idx, collection)?.into_keys().collect())
    }

    /// Polls `check` until it holds or `timeout` passes.
    pub fn wait_until(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&Cluster) -> anyhow::Result<bool>,
    ) -> anyhow::Result<Duration> {
        let started = Instant::now();
        loop {
            if check(self)? {
                return Ok(started.elapsed());
            }
            if started.elapsed() > timeout {
                anyhow::bail!("condition not met within {} s", timeout.as_secs());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The runtime the proxies run on (to start more of them).
    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for idx in 0..self.members.len() {
            self.kill(idx);
        }
    }
}

fn run(bin: &Path, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new(bin)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "liptako {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn path_str(path: &Path) -> anyhow::Result<&str> {
    path.to_str()
        .ok_or_else(|| anyhow::anyhow!("path {} is not UTF-8", path.display()))
}
