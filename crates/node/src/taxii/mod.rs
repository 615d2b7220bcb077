//! TAXII 2.1 and STIX 2.1 on the node: the server under `/taxii2/` ([`server`]), the client
//! that pulls from external TAXII servers ([`client`]), and the storing of what comes in
//! ([`ingest`]). The STIX mapping itself is `liptako_stix`; every access decision, marking
//! input and login here goes through one function each in [`access`].
//!
//! Configured by `[taxii]` ([`crate::config::taxii::TaxiiSection`]); [`router`] is merged into the API's
//! router, [`start`] starts the pulls of `[[taxii.source]]`.

pub mod access;
pub mod client;
pub mod ingest;
pub mod server;

use std::sync::Arc;

use axum::Router;

pub use crate::config::taxii::TaxiiSection;

use crate::config::CONFIG_FILE;
use crate::state::Node;

/// The checked `[taxii]` section, or the error naming the configuration file.
pub fn settings(node: &Node) -> anyhow::Result<crate::config::taxii::Settings> {
    node.config()
        .taxii
        .resolve(
            node.policy(),
            node.nation(),
            format!("{} Liptako node", node.nation()),
        )
        .map_err(|message| {
            anyhow::anyhow!("{}: {message}", node.data_dir().join(CONFIG_FILE).display())
        })
}

/// The TAXII routes (none when `[taxii] enabled = false` or the section is wrong: [`start`]
/// has then already refused to start the node).
pub fn router(node: Arc<Node>) -> Router<Arc<Node>> {
    match settings(&node) {
        Ok(settings) if settings.enabled => server::router(node, settings),
        Ok(_) => Router::new(),
        Err(err) => {
            tracing::error!(cause = %err, "TAXII not served");
            Router::new()
        }
    }
}

/// Checks `[taxii]` and starts a pull task per `[[taxii.source]]`.
pub async fn start(node: Arc<Node>) -> anyhow::Result<()> {
    let settings = settings(&node)?;
    client::start(node, settings)
}
