//! The ASTERIX listeners: one socket per configured listen address (sensors may share one).
//! Over UDP, joined to its multicast group when the address is one, with a large receive
//! buffer (radar feeds come in bursts, a sector at a time). Over TCP, a listening socket that
//! takes up to [`MAX_TCP_CONNECTIONS`] sensors (or gateways) at once, each sending data blocks
//! back to back; a block's length (its octets 2-3) frames the stream, so a connection holds at
//! most one block (64 KiB) not yet complete. A length under 3 cannot be resynchronised: the
//! connection is counted bad and closed, the sensor reconnects.
//!
//! Each datagram (or block) is decoded ([`FeedDecoder`]), its measurements handed to the
//! tracker thread without waiting (a full queue drops them, counted), what was left out
//! counted, and bad input logged at most once per [`LOG_INTERVAL`] per socket with the number
//! of lines suppressed. Bad input never stops a listener.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use socket2::{Domain, Protocol, Socket as Socket2, Type};
use tokio::io::AsyncReadExt as _;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::watch;

use super::convert::{DatagramTally, FeedDecoder, FeedSensor, Measurement, Skip};
use super::engine::Input;
use super::metrics::{AirMetrics, ListenMetrics};
use crate::clock::Clock;
use crate::config::air::{AirSettings, Transport};

/// At most one log line per socket per this long about bad input.
const LOG_INTERVAL: Duration = Duration::from_secs(10);
/// Largest UDP payload (and largest ASTERIX data block).
const MAX_DATAGRAM: usize = 65_536;
/// Sensors connected at once to one TCP listen address; more are refused (counted).
pub const MAX_TCP_CONNECTIONS: usize = 16;

/// A bound socket and the sensors behind it.
pub struct Bound {
    /// Where the socket is bound (the port is known here when the configuration said 0).
    pub local: SocketAddr,
    /// Indexes of its sensors.
    pub sensors: Vec<usize>,
    socket: Socket,
}

/// A listen socket.
enum Socket {
    Udp(UdpSocket),
    Tcp(TcpListener),
}

/// Binds the socket of every listen address (before anything runs, so a wrong address fails
/// the start with its name).
pub fn bind(settings: &AirSettings) -> anyhow::Result<Vec<Bound>> {
    let mut bound = Vec::new();
    for (listen, sensors) in crate::config::air::by_listen_address(&settings.sensors) {
        let names: Vec<&str> = sensors
            .iter()
            .filter_map(|&i| settings.sensors.get(i))
            .map(|s| s.id.as_str())
            .collect();
        let interface = sensors
            .first()
            .and_then(|&i| settings.sensors.get(i))
            .and_then(|s| s.interface);
        let transport = sensors
            .first()
            .and_then(|&i| settings.sensors.get(i))
            .map(|s| s.transport)
            .unwrap_or_default();
        let context = || {
            format!(
                "air picture: cannot listen on {listen} ({transport:?}) for sensor(s) {}",
                names.join(", ")
            )
        };
        let (socket, local) = match transport {
            Transport::Udp => {
                let socket =
                    open(listen, interface, settings.recv_buffer_bytes).with_context(context)?;
                let local = socket.local_addr()?;
                (Socket::Udp(socket), local)
            }
            Transport::Tcp => {
                let socket = open_tcp(listen).with_context(context)?;
                let local = socket.local_addr()?;
                (Socket::Tcp(socket), local)
            }
        };
        tracing::info!(%listen, %local, ?transport, sensors = %names.join(", "), "air picture: ASTERIX listening");
        bound.push(Bound {
            local,
            sensors,
            socket,
        });
    }
    Ok(bound)
}

fn open_tcp(listen: SocketAddr) -> anyhow::Result<TcpListener> {
    let socket = Socket2::new(
        Domain::for_address(listen),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&listen.into())?;
    socket.listen(64)?;
    Ok(TcpListener::from_std(socket.into())?)
}

fn open(
    listen: SocketAddr,
    interface: Option<Ipv4Addr>,
    recv_buffer: usize,
) -> anyhow::Result<UdpSocket> {
    let socket = Socket2::new(
        Domain::for_address(listen),
        Type::DGRAM,
        Some(Protocol::UDP),
    )?;
    let multicast = listen.ip().is_multicast();
    if multicast {
        // Several receivers (this node and others on the machine) share a group's port.
        socket.set_reuse_address(true)?;
    }
    if let Err(err) = socket.set_recv_buffer_size(recv_buffer) {
        tracing::warn!(%listen, cause = %err, "air picture: receive buffer not enlarged");
    }
    socket.set_nonblocking(true)?;
    socket.bind(&listen.into())?;
    match listen.ip() {
        IpAddr::V4(group) if multicast => {
            socket.join_multicast_v4(&group, &interface.unwrap_or(Ipv4Addr::UNSPECIFIED))?;
        }
        IpAddr::V6(group) if multicast => socket.join_multicast_v6(&group, 0)?,
        _ => {}
    }
    let granted = socket.recv_buffer_size().unwrap_or(0);
    if granted < recv_buffer / 2 {
        tracing::info!(
            %listen,
            asked = recv_buffer,
            granted,
            "air picture: the kernel capped the receive buffer (raise net.core.rmem_max for bursty feeds)"
        );
    }
    Ok(UdpSocket::from_std(socket.into())?)
}

/// Receives on `bound` until shutdown.
pub async fn run(
    bound: Bound,
    settings: std::sync::Arc<AirSettings>,
    metrics: AirMetrics,
    listen_metrics: ListenMetrics,
    inputs: SyncSender<Input>,
    mut shutdown: watch::Receiver<bool>,
    clock: Clock,
) {
    let sensors: Vec<FeedSensor> = bound
        .sensors
        .iter()
        .filter_map(|&index| {
            let sensor = settings.sensors.get(index)?;
            Some(FeedSensor {
                index,
                source: sensor.source,
                kind: sensor.kind(),
            })
        })
        .collect();
    let editions = crate::config::air::address_editions(
        &bound
            .sensors
            .iter()
            .filter_map(|&i| settings.sensors.get(i))
            .collect::<Vec<_>>(),
    );
    let feed = Feed {
        decoder: FeedDecoder::new(editions, sensors),
        log: Throttle::new(clock.clone()),
        clock,
        metrics,
        listen_metrics,
        inputs,
        local: bound.local,
    };
    match bound.socket {
        Socket::Udp(socket) => receive_datagrams(socket, feed, &mut shutdown).await,
        Socket::Tcp(listener) => accept_streams(listener, feed, &mut shutdown).await,
    }
}

/// What turns the bytes of one listen address into the tracker's inputs.
#[derive(Clone)]
struct Feed {
    decoder: FeedDecoder,
    log: Throttle,
    clock: Clock,
    metrics: AirMetrics,
    listen_metrics: ListenMetrics,
    inputs: SyncSender<Input>,
    local: SocketAddr,
}

impl Feed {
    /// Decodes one datagram (or data block) from `peer` and hands its measurements on. False
    /// when the tracker is gone (the node is stopping).
    fn take(&mut self, bytes: &[u8], peer: SocketAddr) -> bool {
        self.listen_metrics.datagrams.inc();
        let mut measurements: Vec<(usize, Measurement)> = Vec::new();
        let mut tally = DatagramTally::default();
        self.decoder
            .decode(bytes, self.clock.unix_s(), &mut measurements, &mut tally);
        account(
            &tally,
            &self.metrics,
            &self.listen_metrics,
            &mut self.log,
            self.local,
            peer,
        );
        if measurements.is_empty() {
            return true;
        }
        let counts: Vec<usize> = measurements.iter().map(|(sensor, _)| *sensor).collect();
        match self.inputs.try_send(Input::Measurements(measurements)) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                for sensor in counts {
                    if let Some(m) = self.metrics.sensors.get(sensor) {
                        m.dropped.inc();
                    }
                }
                if self.log.allow() {
                    tracing::warn!(
                        listen = %self.local,
                        suppressed = self.log.take_suppressed(),
                        "air picture: the tracker is behind; measurements dropped"
                    );
                }
                true
            }
            Err(TrySendError::Disconnected(_)) => false,
        }
    }
}

async fn receive_datagrams(
    socket: UdpSocket,
    mut feed: Feed,
    shutdown: &mut watch::Receiver<bool>,
) {
    let mut buffer = vec![0u8; MAX_DATAGRAM];
    loop {
        let received = tokio::select! {
            received = socket.recv_from(&mut buffer) => received,
            _ = shutdown.changed() => return,
        };
        let (len, peer) = match received {
            Ok(received) => received,
            Err(err) => {
                // ICMP errors and the like: the socket is still good.
                if feed.log.allow() {
                    tracing::warn!(listen = %feed.local, cause = %err, "air picture: receive failed");
                }
                continue;
            }
        };
        let Some(datagram) = buffer.get(..len) else {
            continue;
        };
        if !feed.take(datagram, peer) {
            return;
        }
    }
}

async fn accept_streams(
    listener: TcpListener,
    mut feed: Feed,
    shutdown: &mut watch::Receiver<bool>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            Some(_) = connections.join_next() => continue,
            _ = shutdown.changed() => return,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                if feed.log.allow() {
                    tracing::warn!(listen = %feed.local, cause = %err, "air picture: accept failed");
                }
                // Out of descriptors and the like: do not spin.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if connections.len() >= MAX_TCP_CONNECTIONS {
            feed.listen_metrics.bad_datagrams.inc();
            if feed.log.allow() {
                tracing::warn!(listen = %feed.local, %peer, limit = MAX_TCP_CONNECTIONS, "air picture: too many ASTERIX connections; refused");
            }
            drop(stream);
            continue;
        }
        tracing::info!(listen = %feed.local, %peer, "air picture: ASTERIX sensor connected");
        connections.spawn(receive_stream(stream, peer, feed.clone(), shutdown.clone()));
    }
}

/// Reads data blocks from one connection until it closes, sends a length that cannot frame
/// the stream, or the node stops.
async fn receive_stream(
    mut stream: TcpStream,
    peer: SocketAddr,
    mut feed: Feed,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut buffer: Vec<u8> = Vec::with_capacity(2 * MAX_DATAGRAM);
    let mut chunk = vec![0u8; MAX_DATAGRAM];
    loop {
        let read = tokio::select! {
            read = stream.read(&mut chunk) => read,
            _ = shutdown.changed() => return,
        };
        let n = match read {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) => {
                tracing::info!(listen = %feed.local, %peer, cause = %err, "air picture: ASTERIX connection lost");
                return;
            }
        };
        buffer.extend_from_slice(chunk.get(..n).unwrap_or_default());
        let mut start = 0;
        while let Some(&[_, high, low]) = buffer.get(start..start + 3) {
            let len = usize::from(u16::from_be_bytes([high, low]));
            if len < 3 {
                feed.listen_metrics.bad_datagrams.inc();
                feed.listen_metrics.decode_errors.inc();
                tracing::warn!(listen = %feed.local, %peer, len, "air picture: ASTERIX stream out of step (block length under 3); connection closed");
                return;
            }
            let Some(block) = buffer.get(start..start + len) else {
                break;
            };
            if !feed.take(block, peer) {
                return;
            }
            start += len;
        }
        buffer.drain(..start);
    }
    if !buffer.is_empty() {
        feed.listen_metrics.bad_datagrams.inc();
        feed.listen_metrics.decode_errors.inc();
    }
    tracing::info!(listen = %feed.local, %peer, "air picture: ASTERIX sensor disconnected");
}

fn account(
    tally: &DatagramTally,
    metrics: &AirMetrics,
    listen_metrics: &ListenMetrics,
    log: &mut Throttle,
    local: SocketAddr,
    peer: SocketAddr,
) {
    for (sensor, category) in &tally.records {
        if let Some(counter) = metrics
            .sensors
            .get(*sensor)
            .and_then(|m| m.records.get(category))
        {
            counter.inc();
        }
    }
    for (sensor, skip) in &tally.skipped {
        let counter = match sensor {
            Some(sensor) => metrics
                .sensors
                .get(*sensor)
                .and_then(|m| m.skipped.get(skip)),
            None => listen_metrics.skipped.get(skip),
        };
        if let Some(counter) = counter {
            counter.inc();
        }
    }
    if tally.errors > 0 {
        listen_metrics.bad_datagrams.inc();
        listen_metrics.decode_errors.add(tally.errors as u64);
    }
    let unknown = tally
        .skipped
        .iter()
        .any(|(_, skip)| *skip == Skip::UnknownSource);
    if (tally.errors > 0 || unknown) && log.allow() {
        let suppressed = log.take_suppressed();
        if let Some(error) = &tally.first_error {
            tracing::warn!(
                listen = %local,
                %peer,
                errors = tally.errors,
                cause = %error,
                suppressed,
                "air picture: bad ASTERIX datagram"
            );
        } else if let Some(source) = tally.unknown_source {
            tracing::warn!(
                listen = %local,
                %peer,
                sac = source.sac,
                sic = source.sic,
                suppressed,
                "air picture: records from a SAC/SIC no sensor here is configured for"
            );
        }
    }
}

/// At most one line per [`LOG_INTERVAL`], counting the others.
#[derive(Debug, Clone)]
struct Throttle {
    clock: Clock,
    last: Option<Instant>,
    suppressed: u64,
}

impl Throttle {
    fn new(clock: Clock) -> Throttle {
        Throttle {
            clock,
            last: None,
            suppressed: 0,
        }
    }

    fn allow(&mut self) -> bool {
        let now = self.clock.instant();
        if self
            .last
            .is_some_and(|at| now.saturating_duration_since(at) < LOG_INTERVAL)
        {
            self.suppressed += 1;
            return false;
        }
        self.last = Some(now);
        true
    }

    fn take_suppressed(&mut self) -> u64 {
        std::mem::take(&mut self.suppressed)
    }
}
