//! The TAK server: ATAK, iTAK, WinTAK and any Cursor-on-Target client connect to the node and
//! share positions, markers, shapes and chat with every other client, each seeing exactly what
//! its principal may see.
//!
//! - [`listener`]: TCP (8087, anonymous principal) and TLS (8089, client certificate → user)
//!   accept loops;
//! - [`session`]: one task per connection (span: session, peer, listener, principal, nation):
//!   decoding with `liptako_cot::StreamDecoder`, protocol negotiation to protobuf, pings,
//!   `<auth>`, marking checks, then the client's outgoing queue;
//! - [`hub`]: one task that routes every event with `Policy::allows`, keeps the picture late
//!   joiners get, follows the node's live feed (reports, units and zones become CoT) and takes
//!   publications from the rest of the node on the bus (air tracks); it keeps who holds each
//!   device uid and callsign ([`identity`]) and decides again for a session whose user account
//!   changed;
//! - [`accounts`]: the watch on user accounts (the bus's user topic, and a periodic re-read for
//!   changes other processes write) that tells the hub;
//! - [`queue`]: the bounded per-client queue (thinning by uid, drop, disconnect when slow);
//! - [`convert`]: CoT <-> model (markings, units, objects, air tracks), in one place;
//! - [`recorder`]: the thinned history of TAK-reported units, written to the store;
//! - [`certs`], [`enroll`]: client certificates, `.p12`, data packages, and the enrollment
//!   API on 8446.
//!
//! [`start`] brings it all up from `[cot]` ([`config::CotSection`]); nothing runs when no TAK
//! listener is configured.

pub mod accounts;
pub mod certs;
pub mod convert;
pub mod enroll;
pub mod hub;
pub mod identity;
pub mod listener;
pub mod metrics;
pub mod queue;
pub mod recorder;
pub mod session;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::config::CONFIG_FILE;
use crate::state::Node;

/// Messages waiting for the hub before sessions wait (back-pressure on the senders).
const INBOX_CAPACITY: usize = 16 * 1024;

/// Where the TAK listeners are bound (`None`: not configured).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Started {
    /// The TCP listener.
    pub tcp: Option<SocketAddr>,
    /// The TLS listener.
    pub tls: Option<SocketAddr>,
    /// The enrollment API.
    pub enroll: Option<SocketAddr>,
}

async fn bind(addr: SocketAddr, what: &str) -> anyhow::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen for {what} on {addr}"))?;
    let bound = listener.local_addr()?;
    Ok((listener, bound))
}

/// Starts the TAK server as `[cot]` configures it: the hub, the unit recorder, and each
/// configured listener. Does nothing when no listener is configured. Fails (naming the
/// configuration key or the missing certificates) before binding anything if the section is
/// wrong.
pub async fn start(node: Arc<Node>) -> anyhow::Result<Started> {
    let section = &node.config().cot;
    if !section.any_listener() {
        return Ok(Started::default());
    }
    let settings = Arc::new(
        section
            .resolve(node.policy(), node.nation())
            .map_err(|message| {
                anyhow::anyhow!("{}: {message}", node.data_dir().join(CONFIG_FILE).display())
            })?,
    );
    let tls_acceptor = match section.tls_listen {
        Some(_) => Some(listener::tls_acceptor(&node)?),
        None => None,
    };
    let enroll_acceptor = match section.enroll_listen {
        Some(_) => Some(enroll::acceptor(&node)?),
        None => None,
    };
    let metrics = metrics::TakMetrics::new(node.metrics());
    let recorder = Arc::new(recorder::Recorder::default());
    node.spawn(recorder.clone().run(node.clone(), metrics.clone()));

    // Subscribe before loading, so that nothing committed in between is missed.
    let live = node.bus().changes();
    let users = node.bus().users();
    let (account_checks, account_questions) = accounts::AccountChecks::channel();
    let mut hub = hub::Hub::new(
        node.clone(),
        settings.clone(),
        metrics.clone(),
        recorder,
        account_checks,
    );
    hub.load()
        .await
        .map_err(|err| anyhow::anyhow!("TAK picture: {err}"))?;
    let (inbox, inbox_rx) = mpsc::channel(INBOX_CAPACITY);
    node.bus().publications().activate();
    node.spawn(hub.run(inbox_rx, live));
    node.spawn(accounts::run(
        node.clone(),
        inbox.clone(),
        users,
        account_questions,
        settings.user_recheck,
    ));

    let listeners =
        listener::Listeners::new(node.clone(), settings.clone(), metrics.clone(), inbox);
    let mut started = Started::default();
    if let Some(addr) = section.tcp_listen {
        let (tcp, bound) = bind(addr, "TAK clients (TCP)").await?;
        tracing::info!(addr = %bound, "TAK TCP listening");
        node.spawn(listeners.clone().serve_tcp(tcp));
        started.tcp = Some(bound);
    }
    if let (Some(addr), Some(acceptor)) = (section.tls_listen, tls_acceptor) {
        let (tcp, bound) = bind(addr, "TAK clients (TLS)").await?;
        tracing::info!(addr = %bound, "TAK TLS listening");
        node.spawn(listeners.clone().serve_tls(tcp, acceptor));
        started.tls = Some(bound);
    }
    if let (Some(addr), Some(acceptor)) = (section.enroll_listen, enroll_acceptor) {
        let (tcp, bound) = bind(addr, "TAK certificate enrollment").await?;
        tracing::info!(addr = %bound, "TAK enrollment listening");
        node.spawn(enroll::serve(
            node.clone(),
            settings.clone(),
            metrics.clone(),
            tcp,
            acceptor,
        ));
        started.enroll = Some(bound);
    }
    Ok(started)
}
