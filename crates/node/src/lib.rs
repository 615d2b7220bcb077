//! The Liptako node: a national server of the federated common operational picture.
//!
//! Two layers and a composition root:
//! - **the core** (the modules below that are not features): [`Node`] ([`state`]) holds what
//!   every task shares (configuration, the marking policy, the store, the [`bus::Bus`], the
//!   session authority [`auth`], the [`clock::Clock`], metrics, link state), plus what every door
//!   needs: the HTTP edge ([`http`]: errors, extractors), the capped accept loop ([`net`]), one
//!   login and one user → principal ([`auth`]), the air picture's data ([`picture`]),
//!   configuration sections as leaves ([`config`]), certificates ([`pki`]), and work between
//!   nations derived from linked objects ([`workflow`]);
//! - **features**, each a directory that imports the core and never another feature: [`api`]
//!   (JSON API and live feed), [`tak`] (TAK clients), [`air`] (radar feeds, tracker, alerts),
//!   [`federation`] (partner nodes), [`taxii`] (STIX 2.1 over TAXII 2.1), [`ops`] (operations
//!   and pursuit notices), [`pooled`] (support requests' acts and escalation), [`replay`] (the
//!   picture as it was), [`exercise`] (exercise control: inject scripts). They talk through the bus.
//!   `tests/architecture.rs` checks
//!   the rule;
//! - **the composition root** [`server`]: builds the HTTP router and OpenAPI document from the
//!   features' routes, starts every feature, and on shutdown waits for the tasks they started.
//!
//! Every path that hands out data asks the one access decision, `Policy::allows`
//! (`liptako_model::access`); nothing else decides access.

// core
pub mod auth;
pub mod bus;
pub mod clock;
pub mod config;
pub mod http;
pub mod init;
pub mod links;
pub mod metrics;
pub mod net;
pub mod picture;
pub mod pki;
pub mod state;
pub mod workflow;

// features
pub mod air;
pub mod api;
pub mod exercise;
pub mod federation;
pub mod ops;
pub mod pooled;
pub mod replay;
pub mod tak;
pub mod taxii;

// composition root
pub mod server;

pub use config::Config;
pub use http::error::AppError;
pub use state::{Node, NodeError};

/// The feature modules: each imports the core and never another feature.
pub const FEATURES: &[&str] = &[
    "api",
    "tak",
    "air",
    "federation",
    "taxii",
    "ops",
    "pooled",
    "replay",
    "exercise",
];
