//! Serving an axum router on one accepted connection, plain or TLS, for every HTTP listener of
//! the node (the API, TAK enrollment): HTTP/1.1 (with upgrades, for the WebSocket) or HTTP/2,
//! a time-out for reading a request's headers that also closes idle keep-alive connections, and
//! a graceful close at shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::net::{Slot, with_handshake_timeout};

/// Time a client has to send a request's headers; also how long an idle keep-alive connection
/// stays open (the timer restarts when the connection goes idle).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(15);
/// HTTP/2 pings keep a quiet connection's peer honest.
const H2_KEEP_ALIVE: Duration = Duration::from_secs(30);

/// Serves `app` on an accepted TCP connection until it closes or the node shuts down; with
/// `tls`, after a TLS handshake bounded in time. `slot` is the connection's place under its
/// listener's caps, freed when this returns.
pub async fn connection(
    app: Router,
    stream: TcpStream,
    peer: SocketAddr,
    slot: Slot,
    tls: Option<TlsAcceptor>,
    shutdown: watch::Receiver<bool>,
) {
    let _slot = slot;
    let _ = stream.set_nodelay(true);
    // Telling HTTP/1 from HTTP/2 reads the first bytes with no time-out of its own: a client
    // that connects and says nothing would hold its slot forever.
    let mut first = [0u8; 1];
    match tokio::time::timeout(HEADER_READ_TIMEOUT, stream.peek(&mut first)).await {
        Ok(Ok(n)) if n > 0 => {}
        _ => return,
    }
    match tls {
        None => serve_io(app, stream, peer, shutdown, None).await,
        Some(acceptor) => match with_handshake_timeout(acceptor.accept(stream)).await {
            Ok(tls) => {
                // After the handshake ALPN says which protocol: no guessing, no wait.
                let http2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                serve_io(app, tls, peer, shutdown, Some(http2)).await
            }
            Err(err) => tracing::debug!(%peer, cause = %err, "TLS handshake failed"),
        },
    }
}

/// Serves one connection: HTTP/2 or HTTP/1 when known (`Some(http2)`, from ALPN), else told
/// apart from the first bytes (which have arrived).
async fn serve_io<I>(
    app: Router,
    io: I,
    peer: SocketAddr,
    mut shutdown: watch::Receiver<bool>,
    protocol: Option<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        // What `ClientAddr` and axum's `ConnectInfo` read.
        request.extensions_mut().insert(ConnectInfo(peer));
        app.clone().oneshot(request)
    });
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(H2_KEEP_ALIVE))
        .keep_alive_timeout(H2_KEEP_ALIVE);
    let builder = match protocol {
        Some(true) => builder.http2_only(),
        Some(false) => builder.http1_only(),
        None => builder,
    };
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(err) = result {
                tracing::debug!(%peer, cause = %err, "HTTP connection ended");
            }
        }
        _ = shutdown.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
