//! The one accept loop every listener of the node uses (HTTP API, TAK TCP and TLS, enrollment,
//! partners), and the connection budget it enforces.
//!
//! [`serve_listener`] accepts connections until shutdown and hands each to a handler on its own
//! task, under two caps: connections on this listener, and connections from one address. A
//! connection over a cap is closed at once and counted (`liptako_connections_refused_total`),
//! so a flood from one address cannot take the slots of everyone else, and no listener can take
//! the file descriptors another needs. Handlers bound their own handshakes with
//! [`HANDSHAKE_TIMEOUT`] (see [`with_handshake_timeout`]).
//!
//! [`raise_open_files`] raises the process's open-file limit to its hard limit at start;
//! [`Budget`] divides what it allows between the listeners, so the caps always fit under it.
//! On shutdown the loop stops accepting, and waits (bounded) for its connections to end.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use crate::metrics::{Counter, Gauge, Metrics};
use crate::state::Node;

/// Time allowed for a TLS handshake or a protocol's first message.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for a listener's open connections before leaving them.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// File descriptors kept for what is not a connection (database, WAL, logs, sockets of the air
/// picture, outgoing partner connections).
pub const RESERVED_FDS: u64 = 256;

/// The caps of one listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// Connections open at once on this listener.
    pub max_connections: usize,
    /// Connections open at once from one address.
    pub max_per_address: usize,
}

/// Raises the soft open-file limit to the hard limit; returns the limit now in force.
pub fn raise_open_files() -> u64 {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let mut wanted = limit;
    wanted.current = limit.maximum;
    if wanted.current != limit.current {
        match setrlimit(Resource::Nofile, wanted) {
            Ok(()) => {
                tracing::info!(
                    from = ?limit.current,
                    to = ?wanted.current,
                    "open-file limit raised"
                );
                return wanted.current.unwrap_or(u64::MAX);
            }
            Err(err) => tracing::warn!(cause = %err, "cannot raise the open-file limit"),
        }
    }
    limit.current.unwrap_or(u64::MAX)
}

/// How the open-file limit is divided between the listeners: each listener's share of what is
/// left after [`RESERVED_FDS`]. A configured cap is used when it is lower.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    usable: u64,
}

impl Budget {
    /// The budget under the process's open-file limit now (see [`raise_open_files`]).
    pub fn current() -> Budget {
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        Budget::new(limit.current.unwrap_or(u64::MAX))
    }

    /// The budget under an open-file limit of `open_files`.
    pub fn new(open_files: u64) -> Budget {
        Budget {
            usable: open_files.saturating_sub(RESERVED_FDS).max(64),
        }
    }

    /// `percent` of the usable descriptors, at most `configured` when set, and at least 8.
    pub fn share(&self, percent: u64, configured: Option<usize>) -> usize {
        let share =
            usize::try_from(self.usable.saturating_mul(percent) / 100).unwrap_or(usize::MAX);
        configured.map_or(share, |cap| cap.min(share)).max(8)
    }
}

/// Per-listener metrics.
#[derive(Clone)]
struct ListenerMetrics {
    open: Gauge,
    refused_full: Counter,
    refused_address: Counter,
    accept_errors: Counter,
}

impl ListenerMetrics {
    fn new(metrics: &Metrics, listener: &'static str) -> ListenerMetrics {
        let refused = |reason| {
            metrics.counter(
                "liptako_connections_refused_total",
                "Connections closed at accept: the listener or the address was at its cap.",
                &[("listener", listener), ("reason", reason)],
            )
        };
        ListenerMetrics {
            open: metrics.gauge(
                "liptako_connections",
                "Connections open, per listener.",
                &[("listener", listener)],
            ),
            refused_full: refused("listener_full"),
            refused_address: refused("address_full"),
            accept_errors: metrics.counter(
                "liptako_accept_errors_total",
                "Errors accepting a connection (e.g. out of file descriptors).",
                &[("listener", listener)],
            ),
        }
    }
}

/// A connection's place under its listener's caps; dropping it frees the place.
pub struct Slot {
    _permit: OwnedSemaphorePermit,
    addr: IpAddr,
    per_address: Arc<Mutex<HashMap<IpAddr, usize>>>,
    open: Gauge,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self
            .per_address
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.addr) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.addr);
            }
        }
        self.open.add(-1);
    }
}

/// Accepts connections on `listener` until the node shuts down, and runs `handler` for each on
/// its own task, within `caps`. Returns once every connection has ended, or after
/// [`DRAIN_TIMEOUT`].
pub async fn serve_listener<H, F>(
    node: Arc<Node>,
    name: &'static str,
    listener: TcpListener,
    caps: Caps,
    handler: H,
) where
    H: Fn(TcpStream, SocketAddr, Slot) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let metrics = ListenerMetrics::new(node.metrics(), name);
    let permits = Arc::new(Semaphore::new(caps.max_connections.max(1)));
    let per_address: Arc<Mutex<HashMap<IpAddr, usize>>> = Arc::default();
    let mut shutdown = node.shutdown_signal();
    let mut connections = JoinSet::new();
    loop {
        // Reap finished connections so the set stays the size of what is open.
        while connections.try_join_next().is_some() {}
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of descriptors, or the peer left before accept: never spin.
                metrics.accept_errors.inc();
                tracing::warn!(listener = name, cause = %err, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            metrics.refused_full.inc();
            tracing::debug!(listener = name, %peer, "connection refused: listener full");
            continue;
        };
        {
            let mut counts = per_address.lock().unwrap_or_else(PoisonError::into_inner);
            let count = counts.entry(peer.ip()).or_insert(0);
            if *count >= caps.max_per_address {
                drop(counts);
                metrics.refused_address.inc();
                tracing::debug!(listener = name, %peer, "connection refused: address at its cap");
                continue;
            }
            *count += 1;
        }
        metrics.open.add(1);
        let slot = Slot {
            _permit: permit,
            addr: peer.ip(),
            per_address: per_address.clone(),
            open: metrics.open.clone(),
        };
        connections.spawn(handler(stream, peer, slot));
    }
    drop(listener);
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::info!(
            listener = name,
            left = connections.len(),
            "connections still open at shutdown: closed"
        );
        connections.abort_all();
    }
}

/// Runs a handshake (TLS, a protocol's first message) within [`HANDSHAKE_TIMEOUT`].
pub async fn with_handshake_timeout<T, E: std::fmt::Display>(
    handshake: impl Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err(format!(
            "handshake took longer than {} s",
            HANDSHAKE_TIMEOUT.as_secs()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_shares_fit_under_the_limit() {
        let budget = Budget::new(1024);
        let shares: usize = [40, 20, 30, 2, 5]
            .into_iter()
            .map(|percent| budget.share(percent, None))
            .sum();
        assert!(shares as u64 <= 1024 - RESERVED_FDS, "{shares}");
        assert_eq!(budget.share(40, Some(100)), 100);
        assert_eq!(budget.share(40, Some(100_000)), budget.share(40, None));
    }
}
