//! A deliberately small HTTP/1.1 client for tests and benchmarks: one request per connection,
//! `Connection: close`, JSON in and out. Nothing hidden; [`request_from`] picks the source
//! address (any of 127.0.0.0/8), so that tests can play many clients.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

/// One request to `127.0.0.1:port`; `Err` if the connection fails (e.g. the server is down).
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    request_from(Ipv4Addr::LOCALHOST, port, method, path, token, body)
}

/// A TCP connection to `127.0.0.1:port` from `source` (an address of the loopback network).
pub fn connect_from(source: Ipv4Addr, port: u16) -> std::io::Result<TcpStream> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.bind(&SocketAddr::from((source, 0)).into())?;
    socket.connect(&SocketAddr::from((Ipv4Addr::LOCALHOST, port)).into())?;
    Ok(socket.into())
}

/// One request to `127.0.0.1:port` from `source`.
pub fn request_from(
    source: Ipv4Addr,
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    let mut stream = connect_from(source, port)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    head.push_str("\r\n");
    head.push_str(&body);
    stream.write_all(head.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    let (head, payload) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no HTTP head"))?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    let value = serde_json::from_str(payload).unwrap_or(Value::String(payload.to_owned()));
    Ok((status, value))
}

/// Logs in and returns the bearer token.
pub fn login(port: u16, user: &str, password: &str) -> std::io::Result<String> {
    let body = serde_json::json!({"username": user, "password": password});
    match request(port, "POST", "/api/v1/auth/login", None, Some(&body))? {
        (200, answer) => answer["token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| std::io::Error::other("no token in the answer")),
        (status, answer) => Err(std::io::Error::other(format!(
            "login {user}: {status} {answer}"
        ))),
    }
}
