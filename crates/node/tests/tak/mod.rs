//! The TAK server (`liptako_node::tak`): real TAK clients in Python (pytak, takproto) in
//! `peers.rs`, byte-level behaviour with our own client in `server.rs`, certificates in
//! `certs.rs`, the security findings (revocation, identity, anonymous data) in `security.rs`.

pub mod certs;
pub mod common;
pub mod peers;
pub mod security;
pub mod server;
