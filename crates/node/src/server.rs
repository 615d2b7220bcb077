//! The composition root: the one place that knows every feature. It builds the HTTP router and
//! the OpenAPI document from the features' routes, starts each feature on the core, serves the
//! API in the node's capped accept loop, and on shutdown tells every task to finish and waits
//! for them (bounded), so that what is pending (unit history, audit, air history) is written.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use tokio::net::TcpListener;
use tracing::Instrument;

use crate::http::error::AppError;
use crate::net::{Budget, Caps, raise_open_files, serve_listener};
use crate::state::Node;

/// How long shutdown waits for the node's tasks to finish what they hold.
pub const SHUTDOWN_LIMIT: Duration = Duration::from_secs(20);
/// Share of the open-file budget for the HTTP API.
const HTTP_SHARE_PERCENT: u64 = 35;

/// Every HTTP route of the node (the API, the air picture, the OpenAPI document), with the
/// layers every request passes: a span and metrics per request, the body limit, 404 for the
/// rest. Tests drive it in-process.
pub fn router(node: Arc<Node>) -> Router {
    let max_body = node.config().http.max_body_bytes;
    crate::api::routes()
        .merge(crate::air::api::routes())
        .merge(crate::replay::routes())
        .merge(crate::taxii::router(node.clone()))
        .merge(crate::ops::api::routes())
        .merge(crate::ops::rules::routes())
        .merge(crate::pooled::api::routes())
        .merge(crate::exercise::routes())
        .route("/api/v1/openapi.json", get(openapi_json))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(node.clone(), observe))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(node)
}

/// The whole OpenAPI document: every feature's part.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut document = crate::api::openapi::document();
    document.merge(crate::air::api::document());
    document.merge(crate::replay::document());
    document.merge(crate::ops::api::document());
    document.merge(crate::ops::rules::document());
    document.merge(crate::pooled::api::document());
    document.merge(crate::exercise::document());
    crate::api::openapi::complete(&mut document);
    document
}

/// The document as this node serves it: markings name its configured levels and nations.
async fn openapi_json(State(node): State<Arc<Node>>) -> Json<utoipa::openapi::OpenApi> {
    let mut document = openapi();
    crate::api::openapi::configure(&mut document, node.policy());
    Json(document)
}

async fn not_found() -> AppError {
    AppError::NotFound
}

/// A span per request (debug level: free when not logged), and the request counter and
/// latency histogram.
async fn observe(State(node): State<Arc<Node>>, request: Request, next: Next) -> Response {
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map_or("unmatched", MatchedPath::as_str);
    let method = request.method().clone();
    let span = tracing::debug_span!("http", %method, route);
    let started = node.clock().instant();
    let response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status();
    if status.is_server_error() {
        span.in_scope(|| {
            tracing::warn!(
                status = status.as_u16(),
                elapsed_ms = elapsed.as_millis() as u64,
                "request failed"
            );
        });
    }
    node.http_stats().record(
        node.metrics(),
        route,
        method.as_str(),
        status.as_u16(),
        elapsed,
    );
    response
}

/// Serves the node on `listener` (its API), on the federation listener (partners, when links
/// are configured), the TAK listeners and the air picture's sensors (when configured) until
/// `shutdown` resolves; then tells every task to finish and waits for them, at most
/// [`SHUTDOWN_LIMIT`].
pub async fn serve(
    node: Arc<Node>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    raise_open_files();
    let local = listener.local_addr()?;
    let tls = https(&node, local)?;
    crate::federation::start(node.clone()).await?;
    crate::tak::start(node.clone()).await?;
    crate::air::start(node.clone()).await?;
    crate::taxii::start(node.clone()).await?;
    crate::ops::start(node.clone()).await?;
    crate::pooled::start(node.clone()).await?;
    tracing::info!(
        addr = %local,
        nation = %node.nation(),
        https = tls.is_some(),
        "HTTP API listening"
    );
    let http = &node.config().http;
    let caps = Caps {
        max_connections: Budget::current().share(HTTP_SHARE_PERCENT, http.max_connections),
        max_per_address: http.max_connections_per_address,
    };
    let app = router(node.clone());
    let signal = node.shutdown_signal();
    node.spawn(serve_listener(
        node.clone(),
        "http",
        listener,
        caps,
        move |stream, peer, slot| {
            crate::http::serve::connection(
                app.clone(),
                stream,
                peer,
                slot,
                tls.clone(),
                signal.clone(),
            )
        },
    ));
    shutdown.await;
    tracing::info!("shutting down");
    node.begin_shutdown();
    let late = node.join_tasks(SHUTDOWN_LIMIT).await;
    if late > 0 {
        tracing::warn!(
            tasks = late,
            "tasks did not finish in time and were stopped"
        );
    }
    Ok(())
}

/// The TLS set-up of the API on `local`, when HTTPS is on (see `[http] tls`): the certificate
/// the administrator supplied, else the node's own (its certificate and CA). Fails, saying what
/// to do, when HTTPS is required and no certificate is there.
fn https(node: &Node, local: SocketAddr) -> anyhow::Result<Option<tokio_rustls::TlsAcceptor>> {
    let http = &node.config().http;
    if !http.tls_for(local).map_err(anyhow::Error::msg)? {
        return Ok(None);
    }
    let data = node.data_dir();
    let (chain, key) = match (&http.cert, &http.key) {
        (Some(cert), Some(key)) => (
            crate::pki::load_certs(&data.join(cert))?,
            crate::pki::load_key(&data.join(key))?,
        ),
        (None, None) => {
            let paths = crate::pki::PkiPaths::new(data);
            if !paths.exists() {
                anyhow::bail!(
                    "HTTPS on {local} needs a certificate: run `liptako certs init --data {} --host <the name users type>`, or set [http] cert and key",
                    data.display()
                );
            }
            let mut chain = crate::pki::load_certs(&paths.node_cert)?;
            chain.extend(crate::pki::load_certs(&paths.ca_cert)?);
            (chain, crate::pki::load_key(&paths.node_key)?)
        }
        _ => anyhow::bail!("[http] cert and key go together"),
    };
    let mut config = rustls::ServerConfig::builder_with_provider(crate::pki::provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))))
}

/// Binds `addr` (the config's listen address unless overridden) and serves until `shutdown`.
pub async fn run(
    node: Arc<Node>,
    addr: Option<SocketAddr>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = addr.unwrap_or(node.config().http.listen);
    // Refuse a plain-HTTP non-loopback address before anything listens on it.
    node.config()
        .http
        .tls_for(addr)
        .map_err(anyhow::Error::msg)?;
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
