//! One TAK client connection: reads and checks what the client sends, answers pings and
//! protocol negotiation itself, hands events to the hub, and writes the client's queue.
//!
//! Reading: bytes go straight into the codec's [`StreamDecoder`]; a frame that does not
//! decode is counted (`liptako_tak_bad_input_total`) and skipped (the decoder resynchronises
//! on the next event); lost protobuf framing, or more than [`MAX_BAD_FRAMES`] bad frames,
//! closes the connection. A client faster than its rate (`events_per_second`, `event_burst`)
//! is read slower, which pushes back on it through TCP and on nobody else. A client silent for
//! the idle timeout is dropped.
//!
//! Marking: an event's `access`/`releaseableTo` (or the connection's default marking) must be
//! known to the policy and no higher than the client's clearance, or the event is refused and
//! counted. Its `opex` puts it in an exercise.
//!
//! Standing: the hub tells the session ([`Standing`]) when its user account changed: the reader
//! checks what it sends against the new principal from then on, and a revoked session ends at
//! once, reading included (`liptako_tak_disconnects_total{reason="revoked"}`).
//!
//! Writing: everything queued is taken at once, encoded in the connection's wire format
//! (shared encodings), and written with one write, at most once per `write_interval`; a write
//! that does not finish within the slow-client timeout drops the client. A write that fails
//! (the client has closed) ends the writing only: what the client sent before closing is still
//! read to its end, so a burst sent just before a close is not lost.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use liptako_cot::negotiation::{self, Control as CotControl};
use liptako_cot::{
    FrameKind, Framing, StreamDecoder, StreamErrorKind, WireFormat, encode_for_stream,
};
use liptako_model::{Marking, Principal};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, watch};
use tracing::Instrument;

use super::convert::{MarkingRefusal, cot_time, default_marking_for, exercise_of, inbound_marking};
use super::hub::{HubMsg, Inbound, SessionInfo, Standing};
use super::metrics::{BadInput, Disconnect, ListenerKind, Refused, TakMetrics};
use super::queue::{ClientQueue, CloseReason, Control, Item};
use crate::config::cot::Settings;
use crate::state::Node;

/// Bad frames a connection may send before it is closed.
pub const MAX_BAD_FRAMES: u32 = 100;
/// Bad frames logged at `warn` per connection; later ones at `debug`.
const WARN_BAD_FRAMES: u32 = 5;
/// Free room kept in the read buffer before each read.
const READ_CHUNK: usize = 16 * 1024;
/// A write buffer grown past this is given back after use.
const KEEP_WRITE_BUFFER: usize = 1024 * 1024;
/// The protocol version TAK protocol negotiation can switch to.
const PROTOBUF_VERSION: u32 = 1;

/// What a session needs from the listener that accepted it.
pub struct SessionParams {
    /// The node.
    pub node: Arc<Node>,
    /// The `[cot]` settings.
    pub settings: Arc<Settings>,
    /// The TAK series.
    pub metrics: TakMetrics,
    /// The hub's inbox.
    pub inbox: mpsc::Sender<HubMsg>,
    /// The session's id.
    pub id: u64,
    /// Which listener.
    pub listener: ListenerKind,
    /// The client's address.
    pub peer: SocketAddr,
    /// Who the client is.
    pub principal: Principal,
    /// The user account behind the principal (a certificate's user), if any.
    pub account: Option<String>,
    /// The listener's marking for unmarked events.
    pub default_marking: Marking,
}

/// Serves one client on `stream` until it leaves, misbehaves or the node shuts down.
pub async fn run<S>(params: SessionParams, stream: S)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let span = tracing::info_span!(
        "tak",
        session = params.id,
        peer = %params.peer,
        listener = params.listener.as_str(),
        principal = %params.principal.name,
        nation = %params.principal.nation,
    );
    serve(params, stream).instrument(span).await;
}

async fn serve<S>(params: SessionParams, stream: S)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let SessionParams {
        node,
        settings,
        metrics,
        inbox,
        id,
        listener,
        peer,
        principal,
        account,
        default_marking,
    } = params;
    metrics.connected(listener);
    tracing::info!("TAK client connected");
    let queue = Arc::new(ClientQueue::new(
        settings.client_queue,
        settings.slow_client_timeout,
    ));
    // The offer goes first, before the picture.
    queue.push_control(Control::ProtocolOffer);
    let (standing, standing_rx) = watch::channel(Standing::Unchanged);
    let connected = inbox
        .send(HubMsg::Connect(SessionInfo {
            id,
            listener,
            principal: principal.clone(),
            account: account.clone(),
            queue: queue.clone(),
            standing,
        }))
        .await;
    let reason = if connected.is_err() {
        Disconnect::Shutdown
    } else {
        let (reader, writer) = tokio::io::split(stream);
        let mut reading = Reader {
            node: node.clone(),
            settings: settings.clone(),
            metrics: metrics.clone(),
            inbox: inbox.clone(),
            queue: queue.clone(),
            id,
            listener,
            peer,
            default_marking: default_marking_for(
                node.policy(),
                &principal,
                node.nation(),
                &default_marking,
            ),
            configured_marking: default_marking,
            principal,
            account,
            standing: standing_rx.clone(),
            n_bad: 0,
        };
        let mut shutdown = node.shutdown_signal();
        let read = reading.run(reader);
        let write = write_loop(writer, &queue, &node, &settings, &metrics);
        let revoked = revoked(standing_rx);
        tokio::pin!(read, write, revoked);
        tokio::select! {
            reason = &mut read => reason,
            reason = &mut write => match reason {
                // The client has closed, but what it sent before may still be unread (a
                // burst, or input held back by the rate limit): read it to the end. Its queue
                // is no longer drained; it stays bounded by `client_queue`.
                Disconnect::Error => tokio::select! {
                    reason = &mut read => reason,
                    () = &mut revoked => Disconnect::Revoked,
                    _ = shutdown.changed() => Disconnect::Shutdown,
                },
                reason => reason,
            },
            () = &mut revoked => Disconnect::Revoked,
            _ = shutdown.changed() => Disconnect::Shutdown,
        }
    };
    queue.close(CloseReason::Ended);
    let _ = inbox.send(HubMsg::Disconnect { id }).await;
    metrics.disconnected(listener, reason);
    tracing::info!(reason = reason.as_str(), "TAK client disconnected");
}

/// Resolves when the hub revokes the session (never, if the hub is gone first: shutdown ends
/// the session then).
async fn revoked(mut standing: watch::Receiver<Standing>) {
    if standing
        .wait_for(|standing| *standing == Standing::Revoked)
        .await
        .is_err()
    {
        std::future::pending::<()>().await;
    }
}

/// Writes the queue to the client until it is closed or the client cannot keep up.
async fn write_loop<W: AsyncWrite + Unpin>(
    mut writer: W,
    queue: &ClientQueue,
    node: &Node,
    settings: &Settings,
    metrics: &TakMetrics,
) -> Disconnect {
    let mut format = WireFormat::Xml;
    let mut items = Vec::new();
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut next_write = tokio::time::Instant::now();
    loop {
        // At most one write per interval: under load a client gets fewer, larger writes (the
        // system calls and wake-ups, not the bytes, are what fan-out costs); the first event
        // after a quiet spell leaves at once.
        tokio::time::sleep_until(next_write).await;
        match queue.take(&mut items).await {
            Ok(()) => {}
            Err(CloseReason::Slow) => return Disconnect::Slow,
            Err(CloseReason::Revoked) => return Disconnect::Revoked,
            Err(CloseReason::Ended) => return Disconnect::Closed,
        }
        buf.clear();
        let mut n_events = 0u64;
        for item in items.drain(..) {
            match item {
                Item::Event(outgoing) => {
                    buf.extend_from_slice(outgoing.bytes(format));
                    n_events += 1;
                }
                Item::Control(control) => {
                    let now = cot_time(node.now());
                    let event = match control {
                        Control::ProtocolOffer => Some(negotiation::protocol_support(
                            "protouid",
                            now,
                            &[PROTOBUF_VERSION],
                        )),
                        Control::ProtocolResponse { accepted } => {
                            Some(negotiation::protocol_response("protouid", now, accepted))
                        }
                        Control::Pong => Some(negotiation::pong(now)),
                        Control::UseProtobuf => None,
                    };
                    if let Some(event) = event {
                        buf.extend_from_slice(&encode_for_stream(&event, format));
                    }
                    if matches!(
                        control,
                        Control::ProtocolResponse { accepted: true } | Control::UseProtobuf
                    ) {
                        format = WireFormat::Protobuf;
                    }
                }
            }
        }
        let write = async {
            writer.write_all(&buf).await?;
            writer.flush().await
        };
        match tokio::time::timeout(settings.slow_client_timeout, write).await {
            Err(_) => return Disconnect::Slow,
            Ok(Err(err)) => {
                tracing::debug!(cause = %err, "TAK write failed");
                return Disconnect::Error;
            }
            Ok(Ok(())) => metrics.deliveries.add(n_events),
        }
        next_write = tokio::time::Instant::now() + settings.write_interval;
        if buf.capacity() > KEEP_WRITE_BUFFER {
            buf = Vec::with_capacity(64 * 1024);
        }
    }
}

/// A token bucket: `rate` events per second sustained, `burst` at once.
struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    /// Tokio's clock: the rate limit sleeps on it, and tests can pause it.
    at: tokio::time::Instant,
}

impl Bucket {
    fn new(rate: u32, burst: u32) -> Bucket {
        Bucket {
            rate: f64::from(rate.max(1)),
            burst: f64::from(burst.max(1)),
            tokens: f64::from(burst.max(1)),
            at: tokio::time::Instant::now(),
        }
    }

    /// Takes a token, waiting for one if the bucket is empty.
    async fn take(&mut self) {
        let now = tokio::time::Instant::now();
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.at = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens < 1.0 {
            let wait = Duration::from_secs_f64((1.0 - self.tokens) / self.rate);
            tokio::time::sleep(wait).await;
            self.at = tokio::time::Instant::now();
            self.tokens = 0.0;
        } else {
            self.tokens -= 1.0;
        }
    }
}

struct Reader {
    node: Arc<Node>,
    settings: Arc<Settings>,
    metrics: TakMetrics,
    inbox: mpsc::Sender<HubMsg>,
    queue: Arc<ClientQueue>,
    id: u64,
    listener: ListenerKind,
    /// The client's address (logins are throttled per address).
    peer: std::net::SocketAddr,
    principal: Principal,
    /// The user account the principal is, if any.
    account: Option<String>,
    /// What the hub says about the account.
    standing: watch::Receiver<Standing>,
    /// The listener's configured default marking.
    configured_marking: Marking,
    /// The default marking for this principal.
    default_marking: Marking,
    n_bad: u32,
}

impl Reader {
    async fn run<R: AsyncRead + Unpin>(&mut self, mut reader: R) -> Disconnect {
        let mut decoder = StreamDecoder::new(Framing::Detect, self.settings.limits);
        let mut bucket = Bucket::new(self.settings.events_per_second, self.settings.event_burst);
        let mut format_known = false;
        loop {
            let buffer = decoder.buffer_mut();
            if buffer.capacity() - buffer.len() < READ_CHUNK / 4 {
                buffer.reserve(READ_CHUNK);
            }
            let read = tokio::time::timeout(
                self.settings.idle_timeout,
                reader.read_buf(decoder.buffer_mut()),
            )
            .await;
            match read {
                Err(_) => return Disconnect::Idle,
                Ok(Err(err)) => {
                    tracing::debug!(cause = %err, "TAK read failed");
                    return Disconnect::Error;
                }
                Ok(Ok(0)) => return Disconnect::Closed,
                Ok(Ok(_)) => {}
            }
            while let Some(frame) = decoder.next_frame() {
                let frame = match frame {
                    Ok(frame) => frame,
                    Err(err) => {
                        let kind = match err.kind {
                            StreamErrorKind::Oversized { .. } => BadInput::Oversized,
                            StreamErrorKind::Decode(_) => BadInput::Undecodable,
                            StreamErrorKind::BadMagic(_) | StreamErrorKind::BadVarint => {
                                BadInput::FramingLost
                            }
                            _ => BadInput::Malformed,
                        };
                        if self.bad_input(kind, &err) || err.is_fatal() {
                            return Disconnect::BadInput;
                        }
                        continue;
                    }
                };
                if !format_known {
                    format_known = true;
                    if frame.format == WireFormat::Protobuf {
                        // It speaks protobuf without negotiating: answer in kind.
                        self.queue.push_control(Control::UseProtobuf);
                    }
                }
                if frame.kind == FrameKind::Auth {
                    match frame.auth(&self.settings.limits) {
                        Some(Ok(auth)) => {
                            if let Err(reason) = self.authenticate(auth).await {
                                return reason;
                            }
                        }
                        Some(Err(err)) if self.bad_input(BadInput::Control, &err) => {
                            return Disconnect::BadInput;
                        }
                        Some(Err(_)) | None => {}
                    }
                    continue;
                }
                let event = match frame.decode(&self.settings.limits) {
                    Ok(Some(event)) => event,
                    // A protobuf message with a control part only.
                    Ok(None) => continue,
                    Err(err) => {
                        if self.bad_input(BadInput::Undecodable, &err) {
                            return Disconnect::BadInput;
                        }
                        continue;
                    }
                };
                bucket.take().await;
                self.metrics.received(self.listener);
                match CotControl::from_event(&event) {
                    Ok(Some(CotControl::Ping)) => {
                        self.metrics.pings.inc();
                        self.queue.push_control(Control::Pong);
                        continue;
                    }
                    Ok(Some(CotControl::ProtocolRequest { version })) => {
                        let accepted =
                            version == PROTOBUF_VERSION && decoder.framing() == Framing::Xml;
                        if accepted {
                            decoder.set_framing(Framing::Protobuf);
                            self.metrics.negotiated.inc();
                            tracing::debug!("switched to protobuf");
                        }
                        self.queue
                            .push_control(Control::ProtocolResponse { accepted });
                        continue;
                    }
                    // What a server sends, or a pong: nothing to do.
                    Ok(Some(_)) => continue,
                    Err(err) => {
                        if self.bad_input(BadInput::Control, &err) {
                            return Disconnect::BadInput;
                        }
                        continue;
                    }
                    Ok(None) => {}
                }
                if !self.forward(event).await {
                    return Disconnect::Shutdown;
                }
            }
        }
    }

    /// Counts and logs bad input; true when the connection has sent too much of it.
    fn bad_input(&mut self, kind: BadInput, err: &dyn std::fmt::Display) -> bool {
        self.metrics.bad_input(kind);
        self.n_bad += 1;
        if self.n_bad <= WARN_BAD_FRAMES {
            tracing::warn!(cause = %err, "bad input from TAK client");
        } else {
            tracing::debug!(cause = %err, "bad input from TAK client");
        }
        self.n_bad > MAX_BAD_FRAMES
    }

    /// Takes the principal the hub decided for the account, if it changed.
    fn follow_standing(&mut self) {
        if !self.standing.has_changed().unwrap_or(false) {
            return;
        }
        let standing = self.standing.borrow_and_update().clone();
        if let Standing::Changed { account, principal } = standing
            && self.account.as_deref() == Some(account.as_str())
        {
            self.set_principal(principal);
        }
    }

    fn set_principal(&mut self, principal: Principal) {
        self.default_marking = default_marking_for(
            self.node.policy(),
            &principal,
            self.node.nation(),
            &self.configured_marking,
        );
        self.principal = principal;
    }

    /// Marks an event and hands it to the hub; false when the hub is gone.
    async fn forward(&mut self, event: liptako_cot::Event) -> bool {
        self.follow_standing();
        let policy = self.node.policy();
        let marking = match inbound_marking(
            policy,
            &self.principal,
            &self.default_marking,
            self.node.nation(),
            &event.marking,
        ) {
            Ok(marking) => marking,
            Err(refusal) => {
                let reason = match refusal {
                    MarkingRefusal::AboveClearance(_) => Refused::AboveClearance,
                    MarkingRefusal::Unknown(_) => Refused::BadMarking,
                };
                self.metrics.refused(reason);
                tracing::warn!(uid = %event.uid, cause = %refusal, "event refused");
                return true;
            }
        };
        let world = match exercise_of(&event.marking) {
            Ok(world) => world,
            Err(err) => {
                self.metrics.refused(Refused::BadMarking);
                tracing::warn!(uid = %event.uid, cause = %err, "event refused: bad opex");
                return true;
            }
        };
        self.inbox
            .send(HubMsg::Event(Box::new(Inbound {
                from: self.id,
                event,
                marking,
                world,
            })))
            .await
            .is_ok()
    }

    /// ATAK's `<auth>`: names the device, and on plain TCP (when allowed) logs its user in.
    async fn authenticate(&mut self, auth: liptako_cot::AuthMessage) -> Result<(), Disconnect> {
        if auth.uid.is_some() || auth.callsign.is_some() {
            let _ = self
                .inbox
                .send(HubMsg::Identify {
                    id: self.id,
                    uid: auth.uid.clone(),
                    callsign: auth.callsign.clone(),
                })
                .await;
        }
        let (Some(username), Some(password)) = (auth.username, auth.password) else {
            return Ok(());
        };
        if self.listener != ListenerKind::Tcp {
            // A certificate client is its certificate's user.
            return Ok(());
        }
        if !self.settings.tcp_password_auth {
            tracing::info!(user = %username, "password login on the TCP listener is off (cot.tcp_password_auth); staying anonymous");
            return Ok(());
        }
        match crate::auth::verify_login(
            &self.node,
            &username,
            &password,
            Some(self.peer.ip()),
            "tak",
        )
        .await
        .map(|user| (crate::auth::user_principal(&user), user.session_gen))
        {
            Ok((principal, session_gen)) => {
                tracing::info!(user = %principal.name, "TAK client logged in");
                let account = principal.name.clone();
                self.account = Some(account.clone());
                self.set_principal(principal.clone());
                let _ = self
                    .inbox
                    .send(HubMsg::Principal {
                        id: self.id,
                        account,
                        principal,
                        session_gen,
                    })
                    .await;
                Ok(())
            }
            Err(err) => {
                tracing::warn!(user = %username, cause = %err, "TAK login refused");
                Err(Disconnect::Refused)
            }
        }
    }
}
