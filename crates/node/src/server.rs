//! Serving a node: bind the HTTP listener, serve the API until shutdown, then let every
//! long-lived task finish.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::api;
use crate::state::Node;

/// Serves the node on `listener` (its API), on the federation listener (partners, when
/// links are configured), the TAK listeners and the air picture's sensors (when configured)
/// until `shutdown` resolves, then closes live streams and partner
/// streams and waits for requests in flight.
pub async fn serve(
    node: Arc<Node>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    crate::federation::start(node.clone()).await?;
    crate::tak::start(node.clone()).await?;
    crate::air::start(node.clone()).await?;
    crate::taxii::start(node.clone()).await?;
    let local = listener.local_addr()?;
    tracing::info!(addr = %local, nation = %node.nation(), "HTTP API listening");
    let app = api::router(node.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let stopping = node.clone();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down");
            stopping.begin_shutdown();
        })
        .await?;
    Ok(())
}

/// Binds `addr` (the config's listen address unless overridden) and serves until `shutdown`.
pub async fn run(
    node: Arc<Node>,
    addr: Option<SocketAddr>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = addr.unwrap_or(node.config().http.listen);
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|err| anyhow::anyhow!("cannot listen on {addr}: {err}"))?;
    serve(node, listener, shutdown).await
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(cause = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(cause = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
