//! Test and benchmark tools that stand between Liptako nodes or in front of them.
//!
//! - [`proxy`]: a TCP proxy that can cut a link (close every connection, refuse new ones) and
//!   restore it, and shape it like a poor satellite link;
//! - [`cluster`]: a confederation of real `liptako serve` processes linked through proxies;
//! - [`http`]: a minimal HTTP/1.1 client;
//! - [`tak`]: N TAK clients sending positions with full fan-out (the TAK server benchmark).

pub mod cluster;
pub mod federation;
pub mod http;
pub mod joint_air;
pub mod proxy;
pub mod tak;
pub mod ws;
