//! The Liptako node: a national server of the federated common operational picture.
//!
//! - [`Node`] ([`state`]) holds what every task shares: configuration, the marking policy, the
//!   store, the live feed, sessions and metrics;
//! - [`api::router`] is the HTTP API (`/api/v1`, WebSocket live feed, `/metrics`, OpenAPI);
//! - [`server::run`] serves it with graceful shutdown;
//! - [`init`] creates data directories and users for the command line;
//! - [`air`] runs the air picture (ASTERIX in; API, live feed, TAK, CAT062 and alerts out).
//!
//! Every path that hands out data asks `Node::policy().may_see` (the marking rule, in
//! `liptako_model::marking`); nothing else decides access.

pub mod air;
pub mod api;
pub mod auth;
pub mod config;
pub mod error;
pub mod federation;
pub mod init;
pub mod metrics;
pub mod pki;
pub mod server;
pub mod state;
pub mod tak;
pub mod taxii;

pub use config::Config;
pub use error::AppError;
pub use state::{LiveChange, Node};
