//! A TCP proxy for link tests: it forwards `listen` to `upstream`, can cut the link (every
//! connection closed at once, new ones refused) and restore it, and can shape it.
//!
//! Shaping works per direction on segments of at most [`SEGMENT_BYTES`]:
//! - **rate**: a segment leaves only when the previous ones have been serialised at
//!   `rate_bps`; the proxy stops reading meanwhile, so TCP back-pressure reaches the sender as
//!   on a real narrow link;
//! - **delay**: each segment is delivered `delay` after it left (one way);
//! - **loss**: the kernel cannot lose bytes inside a TCP stream, so loss is modelled by its
//!   effect on TCP: with probability `loss`, a segment is held back for a retransmission
//!   timeout ([`Shape::rto`], two round trips, at least 200 ms) and everything behind it waits
//!   (head-of-line blocking), as when a real segment is lost and retransmitted.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// Largest chunk shaped as one segment.
pub const SEGMENT_BYTES: usize = 1400;

/// How a link is shaped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// Bits per second each way; 0 means unlimited.
    pub rate_bps: u64,
    /// One-way delay.
    pub delay: Duration,
    /// Probability that a segment is lost (and retransmitted), 0 to 1.
    pub loss: f64,
}

impl Shape {
    /// No shaping.
    pub const CLEAR: Shape = Shape {
        rate_bps: 0,
        delay: Duration::ZERO,
        loss: 0.0,
    };

    /// The retransmission timeout a lost segment costs.
    pub fn rto(&self) -> Duration {
        (self.delay * 4).max(Duration::from_millis(200))
    }
}

/// A running proxy.
#[derive(Debug, Clone)]
pub struct Proxy {
    addr: SocketAddr,
    cut: watch::Sender<bool>,
    shape: Arc<watch::Sender<Shape>>,
    bytes: Arc<AtomicU64>,
}

impl Proxy {
    /// Starts a proxy on `listen` (port 0 for any) forwarding to `upstream`.
    pub async fn start(listen: SocketAddr, upstream: SocketAddr) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let (cut, _) = watch::channel(false);
        let shape = Arc::new(watch::channel(Shape::CLEAR).0);
        let bytes = Arc::new(AtomicU64::new(0));
        let proxy = Proxy {
            addr,
            cut,
            shape,
            bytes,
        };
        let accepting = proxy.clone();
        tokio::spawn(async move { accepting.accept(listener, upstream).await });
        Ok(proxy)
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Cuts the link: closes every connection and refuses new ones until [`Proxy::restore`].
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    /// Restores a cut link.
    pub fn restore(&self) {
        self.cut.send_replace(false);
    }

    /// Whether the link is cut.
    pub fn is_cut(&self) -> bool {
        *self.cut.borrow()
    }

    /// Shapes the link (new and existing connections).
    pub fn set_shape(&self, shape: Shape) {
        self.shape.send_replace(shape);
    }

    /// Bytes forwarded so far, both directions.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    async fn accept(self, listener: TcpListener, upstream: SocketAddr) {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                // Out of descriptors or the like: do not spin on the error.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            if self.is_cut() {
                drop(client);
                continue;
            }
            let proxy = self.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                proxy.relay(client, server).await;
            });
        }
    }

    async fn relay(self, client: TcpStream, server: TcpStream) {
        let (client_read, client_write) = client.into_split();
        let (server_read, server_write) = server.into_split();
        let mut up = tokio::spawn(pump(client_read, server_write, self.clone(), 1));
        let mut down = tokio::spawn(pump(server_read, client_write, self.clone(), 2));
        let mut cut = self.cut.subscribe();
        tokio::select! {
            _ = cut.wait_for(|cut| *cut) => {}
            _ = &mut up => {}
            _ = &mut down => {}
        }
        // Dropping the pumps closes both sockets at once.
        up.abort();
        down.abort();
    }
}

/// Moves bytes one way, shaped, until either side closes.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    proxy: Proxy,
    seed: u64,
) {
    let (segments, mut queue) = mpsc::channel::<(Instant, Vec<u8>)>(4096);
    let writer = async move {
        while let Some((deliver_at, bytes)) = queue.recv().await {
            // Only a shaped link waits: the timer's 1 ms granularity would otherwise throttle
            // an unshaped one to a segment per millisecond.
            if deliver_at > Instant::now() {
                tokio::time::sleep_until(deliver_at).await;
            }
            if to.write_all(&bytes).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    };
    let reader = async move {
        let mut random = Xorshift(0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0x2545_f491_4f6c_dd1d));
        let mut free_at = Instant::now();
        let mut buffer = vec![0u8; SEGMENT_BYTES];
        loop {
            let n = match from.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            proxy.bytes.fetch_add(n as u64, Ordering::Relaxed);
            let shape = *proxy.shape.borrow();
            let start = free_at.max(Instant::now());
            let serialise = if shape.rate_bps == 0 {
                Duration::ZERO
            } else {
                Duration::from_secs_f64(n as f64 * 8.0 / shape.rate_bps as f64)
            };
            free_at = start + serialise;
            let mut deliver_at = free_at + shape.delay;
            if shape.loss > 0.0 && random.unit() < shape.loss {
                deliver_at += shape.rto();
            }
            let segment = buffer.get(..n).map(<[u8]>::to_vec).unwrap_or_default();
            if segments.send((deliver_at, segment)).await.is_err() {
                break;
            }
            // Read no faster than the link carries: the sender feels the narrow link.
            if free_at > Instant::now() {
                tokio::time::sleep_until(free_at).await;
            }
        }
    };
    tokio::join!(reader, writer);
}

/// A small deterministic generator, enough to draw losses.
struct Xorshift(u64);

impl Xorshift {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}
