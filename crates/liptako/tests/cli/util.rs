//! Running the built binary and talking HTTP/1.1 to it (a deliberately small client: one
//! request per connection, `Connection: close`).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_liptako");

/// Runs `liptako ARGS` to completion; returns stdout, panics with stderr on failure.
pub fn liptako(args: &[&str]) -> String {
    let output = Command::new(BIN).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "liptako {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

pub use liptako_loadgen::cluster::free_port;

/// `liptako init --data DATA --nation NATION`; returns the admin password it prints once.
pub fn init(data: &Path, nation: &str) -> String {
    let out = liptako(&["init", "--data", data.to_str().unwrap(), "--nation", nation]);
    out.lines()
        .find_map(|line| line.strip_prefix("admin password (shown once): "))
        .expect("init prints the generated password")
        .to_owned()
}

/// `liptako user add` of a viewer `name` cleared to `clearance`; returns what it prints.
pub fn add_viewer(data: &Path, name: &str, clearance: &str, password: &str) -> String {
    liptako(&[
        "user",
        "add",
        "--data",
        data.to_str().unwrap(),
        "--name",
        name,
        "--clearance",
        clearance,
        "--role",
        "viewer",
        "--password",
        password,
    ])
}

/// Starts `liptako serve` and waits until it answers.
pub fn serve(data: &Path, port: u16) -> Child {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--data",
            data.to_str().unwrap(),
            "--http",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok((200, _)) = http(port, "GET", "/healthz", None, None) {
            return child;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("liptako serve did not come up on port {port}");
}

/// One HTTP request; `Err` if the connection fails (e.g. the server was killed).
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    liptako_loadgen::http::request(port, method, path, token, body)
}

pub fn login(port: u16, user: &str, password: &str) -> String {
    liptako_loadgen::http::login(port, user, password).unwrap()
}

/// Kills and reaps a child process when dropped, so that a failing test leaves no process
/// behind.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
