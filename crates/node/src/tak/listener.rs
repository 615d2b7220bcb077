//! The TCP (8087) and TLS (8089) listeners: accept, authenticate, start a session.
//!
//! - TCP: every client is the configured anonymous principal (`[cot.anonymous]`).
//! - TLS: a client certificate chained to this node's CA is required (rustls'
//!   `WebPkiClientVerifier`). Its subject CN names the user it was issued to: that user's
//!   principal (nation, clearance, role), read from the store at connection, so a disabled
//!   user is refused; while connected, the hub follows the account (`accounts.rs`): a disabled
//!   user's session is closed, a changed one gets the new principal. A certificate whose CN
//!   is no user of this node gets a principal from its subject: the CN as name, the nation
//!   from its OU when that is a member (else the node's), the lowest clearance.
//!
//! Both run in the node's one accept loop (`net::serve_listener`), each with slots of its own:
//! `max_anonymous_clients` for TCP and `max_clients` for certificate clients (so a flood of
//! anonymous connections never locks certificate users out), `max_clients_per_address` on each,
//! all within the node's open-file budget. The TLS handshake is bounded in time.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use liptako_model::{Nation, Principal, Role};
use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::CertificateDer;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;

use super::hub::HubMsg;
use super::metrics::{ListenerKind, TakMetrics};
use super::session::{self, SessionParams};
use crate::config::cot::Settings;
use crate::net::{Budget, Caps, Slot, serve_listener, with_handshake_timeout};
use crate::pki::provider;
use crate::pki::{PkiPaths, load_certs, load_key};
use crate::state::Node;

/// Share of the open-file budget for anonymous clients.
pub const TCP_SHARE_PERCENT: u64 = 15;
/// Share of the open-file budget for certificate clients.
pub const TLS_SHARE_PERCENT: u64 = 40;

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
}

impl Listeners {
    /// Shared state for the accept loops.
    pub fn new(
        node: Arc<Node>,
        settings: Arc<Settings>,
        metrics: TakMetrics,
        inbox: mpsc::Sender<HubMsg>,
    ) -> Arc<Listeners> {
        Arc::new(Listeners {
            node,
            settings,
            metrics,
            inbox,
            next_id: AtomicU64::new(1),
        })
    }

    fn params(
        &self,
        listener: ListenerKind,
        peer: SocketAddr,
        principal: Principal,
        account: Option<String>,
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
            account,
            default_marking,
        }
    }

    /// The caps of a listener: its own slots within the open-file budget.
    fn caps(&self, kind: ListenerKind) -> Caps {
        let budget = Budget::current();
        let max_connections = match kind {
            ListenerKind::Tcp => {
                budget.share(TCP_SHARE_PERCENT, Some(self.settings.max_anonymous_clients))
            }
            ListenerKind::Tls => budget.share(TLS_SHARE_PERCENT, Some(self.settings.max_clients)),
        };
        Caps {
            max_connections,
            max_per_address: self.settings.max_clients_per_address,
        }
    }

    /// The plain TCP accept loop.
    pub async fn serve_tcp(self: Arc<Self>, listener: TcpListener) {
        let caps = self.caps(ListenerKind::Tcp);
        let node = self.node.clone();
        serve_listener(
            node,
            "tak_tcp",
            listener,
            caps,
            move |tcp: TcpStream, peer, slot: Slot| {
                let params = self.params(
                    ListenerKind::Tcp,
                    peer,
                    self.settings.anonymous.clone(),
                    None,
                );
                async move {
                    // Small CoT messages must not wait for Nagle's algorithm.
                    let _ = tcp.set_nodelay(true);
                    session::run(params, tcp).await;
                    drop(slot);
                }
            },
        )
        .await;
    }

    /// The TLS accept loop.
    pub async fn serve_tls(self: Arc<Self>, listener: TcpListener, acceptor: TlsAcceptor) {
        let caps = self.caps(ListenerKind::Tls);
        let node = self.node.clone();
        serve_listener(
            node,
            "tak_tls",
            listener,
            caps,
            move |tcp: TcpStream, peer, slot: Slot| {
                let listeners = self.clone();
                let acceptor = acceptor.clone();
                async move {
                    let _ = tcp.set_nodelay(true);
                    let tls = match with_handshake_timeout(acceptor.accept(tcp)).await {
                        Ok(tls) => tls,
                        Err(err) => {
                            listeners.metrics.tls_failures.inc();
                            tracing::warn!(%peer, cause = %err, "TAK TLS handshake failed");
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
                    let (principal, account) =
                        match certificate_principal(&listeners.node, &certificate).await {
                            Ok(found) => found,
                            Err(err) => {
                                listeners.metrics.tls_failures.inc();
                                tracing::warn!(%peer, cause = %err, "TAK client refused");
                                return;
                            }
                        };
                    let params = listeners.params(ListenerKind::Tls, peer, principal, account);
                    session::run(params, tls).await;
                    drop(slot);
                }
            },
        )
        .await;
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

/// The principal a verified client certificate speaks for (see the module docs), and the user
/// account behind it (`None` for a certificate that names no user).
pub async fn certificate_principal(
    node: &Arc<Node>,
    certificate: &CertificateDer<'_>,
) -> Result<(Principal, Option<String>), String> {
    let (name, units) = certificate_subject(certificate)?;
    let lookup = name.clone();
    let user = node
        .with_store(move |store| store.user(&lookup))
        .await
        .map_err(|err| err.to_string())?;
    match user {
        Some(user) if user.disabled => Err(format!("user {name} is disabled")),
        Some(user) => Ok((crate::auth::user_principal(&user), Some(user.name))),
        None => {
            let policy = node.policy();
            let nation = units
                .iter()
                .filter_map(|unit| Nation::parse(unit).ok())
                .find(|nation| policy.confederation().is_member(*nation))
                .unwrap_or(node.nation());
            Ok((
                Principal::new(&name, nation, policy.levels().lowest(), Role::Viewer),
                None,
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
