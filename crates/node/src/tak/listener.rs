//! The TCP (8087) and TLS (8089) listeners: accept, authenticate, start a session.
//!
//! - TCP: every client is the configured anonymous principal (`[cot.anonymous]`).
//! - TLS: a client certificate chained to this node's CA is required (rustls'
//!   `WebPkiClientVerifier`). Its subject CN names the user it was issued to: that user's
//!   principal (nation, clearance, role), read from the store at each connection, so a
//!   disabled user is refused and a changed clearance applies at once. A certificate whose CN
//!   is no user of this node gets a principal from its subject: the CN as name, the nation
//!   from its OU when that is a member (else the node's), the lowest clearance.
//!
//! Connections beyond `max_clients` are refused at accept.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use liptako_model::{Nation, Principal, Role};
use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::CertificateDer;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;

use super::config::Settings;
use super::hub::HubMsg;
use super::metrics::{ListenerKind, TakMetrics};
use super::session::{self, SessionParams};
use crate::federation::tls::provider;
use crate::pki::{PkiPaths, load_certs, load_key};
use crate::state::Node;

/// Time allowed for a TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// What every accept loop shares.
pub struct Listeners {
    /// The node.
    pub node: Arc<Node>,
    /// The `[cot]` settings.
    pub settings: Arc<Settings>,
    /// The TAK series.
    pub metrics: TakMetrics,
    /// The hub's inbox.
    pub inbox: mpsc::Sender<HubMsg>,
    next_id: AtomicU64,
    permits: Arc<Semaphore>,
}

impl Listeners {
    /// Shared state for the accept loops.
    pub fn new(
        node: Arc<Node>,
        settings: Arc<Settings>,
        metrics: TakMetrics,
        inbox: mpsc::Sender<HubMsg>,
    ) -> Arc<Listeners> {
        let permits = Arc::new(Semaphore::new(settings.max_clients));
        Arc::new(Listeners {
            node,
            settings,
            metrics,
            inbox,
            next_id: AtomicU64::new(1),
            permits,
        })
    }

    fn params(
        &self,
        listener: ListenerKind,
        peer: SocketAddr,
        principal: Principal,
    ) -> SessionParams {
        let default_marking = match listener {
            ListenerKind::Tcp => self.settings.tcp_marking.clone(),
            ListenerKind::Tls => self.settings.tls_marking.clone(),
        };
        SessionParams {
            node: self.node.clone(),
            settings: self.settings.clone(),
            metrics: self.metrics.clone(),
            inbox: self.inbox.clone(),
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            listener,
            peer,
            principal,
            default_marking,
        }
    }

    /// Accepts one connection, or `None` at shutdown.
    async fn accept(
        &self,
        listener: &TcpListener,
        kind: ListenerKind,
    ) -> Option<(TcpStream, SocketAddr, tokio::sync::OwnedSemaphorePermit)> {
        let mut shutdown = self.node.shutdown_signal();
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = shutdown.changed() => return None,
            };
            let (tcp, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(cause = %err, listener = kind.as_str(), "TAK accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Ok(permit) = self.permits.clone().try_acquire_owned() else {
                self.metrics.over_capacity.inc();
                tracing::warn!(%peer, "TAK connection refused: max_clients reached");
                continue;
            };
            // Small CoT messages must not wait for Nagle's algorithm.
            let _ = tcp.set_nodelay(true);
            return Some((tcp, peer, permit));
        }
    }

    /// The plain TCP accept loop.
    pub async fn serve_tcp(self: Arc<Self>, listener: TcpListener) {
        while let Some((tcp, peer, permit)) = self.accept(&listener, ListenerKind::Tcp).await {
            let params = self.params(ListenerKind::Tcp, peer, self.settings.anonymous.clone());
            tokio::spawn(async move {
                session::run(params, tcp).await;
                drop(permit);
            });
        }
    }

    /// The TLS accept loop.
    pub async fn serve_tls(self: Arc<Self>, listener: TcpListener, acceptor: TlsAcceptor) {
        while let Some((tcp, peer, permit)) = self.accept(&listener, ListenerKind::Tls).await {
            let listeners = self.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await;
                let tls = match handshake {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(err)) => {
                        listeners.metrics.tls_failures.inc();
                        tracing::warn!(%peer, cause = %err, "TAK TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        listeners.metrics.tls_failures.inc();
                        tracing::warn!(%peer, "TAK TLS handshake timed out");
                        return;
                    }
                };
                let certificate = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|certs| certs.first())
                    .cloned();
                let Some(certificate) = certificate else {
                    listeners.metrics.tls_failures.inc();
                    return;
                };
                let principal = match certificate_principal(&listeners.node, &certificate).await {
                    Ok(principal) => principal,
                    Err(err) => {
                        listeners.metrics.tls_failures.inc();
                        tracing::warn!(%peer, cause = %err, "TAK client refused");
                        return;
                    }
                };
                let params = listeners.params(ListenerKind::Tls, peer, principal);
                session::run(params, tls).await;
                drop(permit);
            });
        }
    }
}

/// The subject of a certificate: its CN and OUs.
pub fn certificate_subject(der: &[u8]) -> Result<(String, Vec<String>), String> {
    let (_, certificate) = x509_parser::parse_x509_certificate(der)
        .map_err(|err| format!("unreadable client certificate: {err}"))?;
    let subject = certificate.subject();
    let common_name = subject
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| "client certificate has no CN".to_owned())?;
    let units = subject
        .iter_organizational_unit()
        .filter_map(|ou| ou.as_str().ok().map(str::to_owned))
        .collect();
    Ok((common_name, units))
}

/// The principal a verified client certificate speaks for (see the module docs).
pub async fn certificate_principal(
    node: &Arc<Node>,
    certificate: &CertificateDer<'_>,
) -> Result<Principal, String> {
    let (name, units) = certificate_subject(certificate)?;
    let lookup = name.clone();
    let user = node
        .with_store(move |store| store.user(&lookup))
        .await
        .map_err(|err| err.to_string())?;
    match user {
        Some(user) if user.disabled => Err(format!("user {name} is disabled")),
        Some(user) => Ok(Principal {
            name: user.name,
            nation: user.nation,
            clearance: user.clearance,
            role: user.role,
        }),
        None => {
            let policy = node.policy();
            let nation = units
                .iter()
                .filter_map(|unit| Nation::parse(unit).ok())
                .find(|nation| policy.confederation().is_member(*nation))
                .unwrap_or(node.nation());
            Ok(Principal::new(
                &name,
                nation,
                policy.levels().lowest(),
                Role::Viewer,
            ))
        }
    }
}

/// The server's certificate chain (node certificate, then the CA) and key.
pub fn server_identity(
    node: &Node,
) -> anyhow::Result<(
    Vec<CertificateDer<'static>>,
    rustls_pki_types::PrivateKeyDer<'static>,
)> {
    let paths = PkiPaths::new(node.data_dir());
    if !paths.exists() {
        anyhow::bail!(
            "the TAK TLS listeners need the node's certificates: run `liptako certs init --data {}`",
            node.data_dir().display()
        );
    }
    let mut chain = load_certs(&paths.node_cert)?;
    chain.extend(load_certs(&paths.ca_cert)?);
    let key = load_key(&paths.node_key)?;
    Ok((chain, key))
}

/// The rustls configuration of the TLS listener: client certificates from this node's CA only.
pub fn tls_acceptor(node: &Node) -> anyhow::Result<TlsAcceptor> {
    let (chain, key) = server_identity(node)?;
    let paths = PkiPaths::new(node.data_dir());
    let mut roots = RootCertStore::empty();
    for ca in load_certs(&paths.ca_cert)? {
        roots.add(ca)?;
    }
    let provider = provider();
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|err| anyhow::anyhow!("client certificate verifier: {err}"))?;
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
