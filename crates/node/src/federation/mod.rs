//! Federation: each node replicates to its partners exactly what their nation may hold.
//!
//! Every node runs a listener for partners ([`serve`], the sending side) and, for each
//! configured `[[link]]`, a pull task ([`pull`], the receiving side). A pull opens one HTTP/2
//! stream over mutual TLS ([`tls`]) with its cursor per origin; the partner sends, as frames
//! ([`wire`]), every entry of its logs the receiver may hold, filtered at the sender with the
//! link rule, then follows its logs live. Relaying falls out of the design: a node's logs hold
//! its partners' objects too (under their origin), so it forwards to a third nation whatever
//! that nation may hold, and the confederation converges when one link is down.

pub mod air;
pub mod pull;
pub mod serve;
pub mod sign;
pub mod tls;
pub mod wire;

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use anyhow::Context as _;
use bytes::Bytes;
use hyper::body::Frame;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;

use crate::pki::{PkiPaths, load_certs, load_key};
use crate::state::Node;

/// Starts the partner listener and a pull task per link. Does nothing for a node without
/// links. Returns the address the listener is bound to.
pub async fn start(node: Arc<Node>) -> anyhow::Result<Option<std::net::SocketAddr>> {
    if node.links().is_empty() {
        return Ok(None);
    }
    let paths = PkiPaths::new(node.data_dir());
    let chain = load_certs(&paths.node_cert).with_context(|| {
        format!(
            "this node has links but no certificate: run `liptako certs init --data {}`",
            node.data_dir().display()
        )
    })?;
    let key = load_key(&paths.node_key)?;
    crate::pki::ensure_origin_key(node.data_dir())?;
    let signer = Arc::new(sign::Signer::new(
        node.nation(),
        crate::pki::load_origin_key(node.data_dir())?,
    ));
    let keyring = Arc::new(sign::Keyring::from_config(
        &node.config().federation.origin_keys,
    ));
    for link in node.links() {
        if keyring.get(link.config.nation).is_none() {
            tracing::warn!(
                peer = %link.config.nation,
                "no origin key accredited for this partner: its entries will be refused \
                 (`liptako link origin`)"
            );
        }
    }
    let mut partners = Vec::new();
    for link in node.links() {
        let ca_path = node.data_dir().join(&link.config.ca);
        let cas = load_certs(&ca_path)
            .with_context(|| format!("link {}: partner CA", link.config.nation))?;
        partners.push((link.config.nation, cas));
    }
    let server = tls::server_config(chain.clone(), key.clone_key(), &partners)?;
    let listen = node.config().federation.listen;
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen for partners on {listen}"))?;
    let bound = listener.local_addr()?;
    tracing::info!(addr = %bound, "federation listening");
    node.spawn(serve::serve_partners(
        node.clone(),
        listener,
        TlsAcceptor::from(server),
        signer,
    ));
    for (link, (_, cas)) in node.links().iter().zip(&partners) {
        let client = tls::client_config(chain.clone(), key.clone_key(), cas)?;
        node.spawn(pull::pull(
            node.clone(),
            link.clone(),
            client,
            keyring.clone(),
        ));
    }
    Ok(Some(bound))
}

/// An HTTP body fed by a bounded channel, at the reader's pace: the response body of a
/// partner stream, and the request body that carries a receiver's cursor updates.
pub struct ChannelBody {
    frames: mpsc::Receiver<Bytes>,
}

impl ChannelBody {
    /// A body yielding what arrives on `frames`, ending when the sender is dropped.
    pub fn new(frames: mpsc::Receiver<Bytes>) -> ChannelBody {
        ChannelBody { frames }
    }
}

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.frames
            .poll_recv(cx)
            .map(|frame| frame.map(|bytes| Ok(Frame::data(bytes))))
    }
}
