//! The ASTERIX UDP listeners: one socket per configured listen address (sensors may share
//! one), joined to its multicast group when the address is one, with a large receive buffer
//! (radar feeds come in bursts, a sector at a time).
//!
//! Each socket has its task: receive a datagram, decode it ([`FeedDecoder`]), hand the
//! measurements to the tracker thread without waiting (a full queue drops them, counted),
//! count what was left out, and log bad input at most once per [`LOG_INTERVAL`] per socket
//! with the number of lines suppressed. Bad input never stops a listener.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;
use tokio::sync::watch;

use super::convert::{DatagramTally, FeedDecoder, FeedSensor, Measurement, Skip};
use super::engine::Input;
use super::metrics::{AirMetrics, ListenMetrics};
use crate::clock::Clock;
use crate::config::air::AirSettings;

/// At most one log line per socket per this long about bad input.
const LOG_INTERVAL: Duration = Duration::from_secs(10);
/// Largest UDP payload.
const MAX_DATAGRAM: usize = 65_536;

/// A bound socket and the sensors behind it.
pub struct Bound {
    /// Where the socket is bound (the port is known here when the configuration said 0).
    pub local: SocketAddr,
    /// Indexes of its sensors.
    pub sensors: Vec<usize>,
    socket: UdpSocket,
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
        let socket = open(listen, interface, settings.recv_buffer_bytes).with_context(|| {
            format!(
                "air picture: cannot listen on {listen} for sensor(s) {}",
                names.join(", ")
            )
        })?;
        let local = socket.local_addr()?;
        tracing::info!(%listen, %local, sensors = %names.join(", "), "air picture: ASTERIX listening");
        bound.push(Bound {
            local,
            sensors,
            socket,
        });
    }
    Ok(bound)
}

fn open(
    listen: SocketAddr,
    interface: Option<Ipv4Addr>,
    recv_buffer: usize,
) -> anyhow::Result<UdpSocket> {
    let socket = Socket::new(
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
    let mut decoder = FeedDecoder::new(editions, sensors);
    let mut buffer = vec![0u8; MAX_DATAGRAM];
    let mut log = Throttle::new(clock.clone());
    let local = bound.local;
    loop {
        let received = tokio::select! {
            received = bound.socket.recv_from(&mut buffer) => received,
            _ = shutdown.changed() => return,
        };
        let (len, peer) = match received {
            Ok(received) => received,
            Err(err) => {
                // ICMP errors and the like: the socket is still good.
                if log.allow() {
                    tracing::warn!(listen = %local, cause = %err, "air picture: receive failed");
                }
                continue;
            }
        };
        listen_metrics.datagrams.inc();
        let Some(datagram) = buffer.get(..len) else {
            continue;
        };
        let mut measurements: Vec<(usize, Measurement)> = Vec::new();
        let mut tally = DatagramTally::default();
        decoder.decode(
            datagram,
            super::engine::unix_s(&clock),
            &mut measurements,
            &mut tally,
        );
        account(&tally, &metrics, &listen_metrics, &mut log, local, peer);
        if measurements.is_empty() {
            continue;
        }
        let counts: Vec<usize> = measurements.iter().map(|(sensor, _)| *sensor).collect();
        match inputs.try_send(Input::Measurements(measurements)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                for sensor in counts {
                    if let Some(m) = metrics.sensors.get(sensor) {
                        m.dropped.inc();
                    }
                }
                if log.allow() {
                    tracing::warn!(
                        listen = %local,
                        suppressed = log.take_suppressed(),
                        "air picture: the tracker is behind; measurements dropped"
                    );
                }
            }
            Err(TrySendError::Disconnected(_)) => return,
        }
    }
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
#[derive(Debug)]
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
