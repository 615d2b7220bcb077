//! The TAK server's series in `/metrics`, registered once; the hot paths hold the handles.

use std::sync::Arc;

use crate::metrics::{Counter, Gauge, Metrics};

/// Which listener a connection came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListenerKind {
    /// Plain TCP (8087).
    Tcp,
    /// TLS with client certificates (8089).
    Tls,
}

impl ListenerKind {
    /// `tcp` or `tls`.
    pub fn as_str(self) -> &'static str {
        match self {
            ListenerKind::Tcp => "tcp",
            ListenerKind::Tls => "tls",
        }
    }
}

/// Why input from a client was not taken (the `reason` label of
/// `liptako_tak_bad_input_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadInput {
    /// Not CoT XML where an event should start (garbage, other root, DTD, too deep).
    Malformed,
    /// An event over the size limit.
    Oversized,
    /// A delimited frame that does not decode (bad XML, bad protobuf, bad values).
    Undecodable,
    /// Protobuf framing lost: the connection is closed.
    FramingLost,
    /// A malformed negotiation or `<auth>` message.
    Control,
}

impl BadInput {
    const ALL: [BadInput; 5] = [
        BadInput::Malformed,
        BadInput::Oversized,
        BadInput::Undecodable,
        BadInput::FramingLost,
        BadInput::Control,
    ];

    fn as_str(self) -> &'static str {
        match self {
            BadInput::Malformed => "malformed",
            BadInput::Oversized => "oversized",
            BadInput::Undecodable => "undecodable",
            BadInput::FramingLost => "framing_lost",
            BadInput::Control => "control",
        }
    }
}

/// Why a well-formed event was refused (the `reason` label of `liptako_tak_refused_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Marked above the sender's clearance.
    AboveClearance,
    /// A marking this confederation does not know (level or releasability).
    BadMarking,
    /// The uid belongs to another principal's live object, or is another client's identity.
    UidTaken,
    /// The callsign is another client's identity.
    CallsignTaken,
}

impl Refused {
    const ALL: [Refused; 4] = [
        Refused::AboveClearance,
        Refused::BadMarking,
        Refused::UidTaken,
        Refused::CallsignTaken,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Refused::AboveClearance => "above_clearance",
            Refused::BadMarking => "bad_marking",
            Refused::UidTaken => "uid_taken",
            Refused::CallsignTaken => "callsign_taken",
        }
    }
}

/// Why a connection ended (the `reason` label of `liptako_tak_disconnects_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disconnect {
    /// The client closed it.
    Closed,
    /// Read or write error.
    Error,
    /// Nothing received for the idle timeout.
    Idle,
    /// Could not take its events in time.
    Slow,
    /// Too much bad input, or lost framing.
    BadInput,
    /// Its `<auth>` failed.
    Refused,
    /// Its user was disabled or removed while it was connected.
    Revoked,
    /// The node is shutting down.
    Shutdown,
}

impl Disconnect {
    const ALL: [Disconnect; 8] = [
        Disconnect::Closed,
        Disconnect::Error,
        Disconnect::Idle,
        Disconnect::Slow,
        Disconnect::BadInput,
        Disconnect::Refused,
        Disconnect::Revoked,
        Disconnect::Shutdown,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Disconnect::Closed => "closed",
            Disconnect::Error => "error",
            Disconnect::Idle => "idle",
            Disconnect::Slow => "slow",
            Disconnect::BadInput => "bad_input",
            Disconnect::Refused => "refused",
            Disconnect::Revoked => "revoked",
            Disconnect::Shutdown => "shutdown",
        }
    }
}

/// Every TAK series.
#[derive(Debug, Clone)]
pub struct TakMetrics {
    connected: [Gauge; 2],
    connections: [Counter; 2],
    received: [Counter; 2],
    bad_input: Vec<Counter>,
    refused: Vec<Counter>,
    disconnects: Vec<Counter>,
    /// Events written to clients (one per event per receiving client).
    pub deliveries: Counter,
    /// Queued positions replaced by a newer one of the same uid for a slow client.
    pub superseded: Counter,
    /// Events dropped because a client's queue was full.
    pub dropped: Counter,
    /// Directed events whose destinations are not connected.
    pub undeliverable: Counter,
    /// 9-line MEDEVACs (`b-r-f-h-c`) written as support requests.
    pub medevac_requests: Counter,
    /// 9-line MEDEVACs not written as support requests (anonymous sender, role below editor,
    /// or a marking that releases it to no addressed nation); still relayed as map items.
    pub medevac_refused: Counter,
    /// Pings answered.
    pub pings: Counter,
    /// Protocol negotiations to protobuf granted.
    pub negotiated: Counter,
    /// TLS handshakes that failed (no or bad client certificate, protocol errors).
    pub tls_failures: Counter,
    /// Unit versions written from TAK position reports.
    pub units_stored: Counter,
    /// Unit writes that failed.
    pub unit_write_errors: Counter,
    /// Objects in the picture sent to clients on connect.
    pub picture_objects: Gauge,
    /// Client uids not kept in the picture because it, or the principal's share, was full.
    pub picture_full: Counter,
    /// Publications (air tracks) taken from the node.
    pub published: Counter,
    /// Times the hub fell behind the node's live feed.
    pub live_lagged: Counter,
    /// Sessions given a new principal because their user account changed.
    pub principal_changes: Counter,
    /// Sessions closed because their user account was disabled or removed.
    pub revoked: Counter,
    /// Identities (uid, callsign) an authenticated client took back from an anonymous one.
    pub identities_taken_back: Counter,
    /// Certificates issued by enrollment.
    pub enrollments: Counter,
    /// Enrollment requests refused (credentials, CSR).
    pub enrollment_failures: Counter,
}

impl TakMetrics {
    /// Registers every series in `metrics`.
    pub fn new(metrics: &Arc<Metrics>) -> TakMetrics {
        let per_listener_gauge = |name, help| {
            [ListenerKind::Tcp, ListenerKind::Tls]
                .map(|kind| metrics.gauge(name, help, &[("listener", kind.as_str())]))
        };
        let per_listener = |name, help| {
            [ListenerKind::Tcp, ListenerKind::Tls]
                .map(|kind| metrics.counter(name, help, &[("listener", kind.as_str())]))
        };
        let counter = |name, help| metrics.counter(name, help, &[]);
        TakMetrics {
            connected: per_listener_gauge(
                "liptako_tak_clients",
                "TAK clients connected, by listener.",
            ),
            connections: per_listener(
                "liptako_tak_connections_total",
                "TAK client connections accepted, by listener.",
            ),
            received: per_listener(
                "liptako_tak_events_received_total",
                "Events received from TAK clients, by listener.",
            ),
            bad_input: BadInput::ALL
                .iter()
                .map(|reason| {
                    metrics.counter(
                        "liptako_tak_bad_input_total",
                        "Input from TAK clients that could not be read, by reason.",
                        &[("reason", reason.as_str())],
                    )
                })
                .collect(),
            refused: Refused::ALL
                .iter()
                .map(|reason| {
                    metrics.counter(
                        "liptako_tak_refused_total",
                        "Events from TAK clients refused, by reason.",
                        &[("reason", reason.as_str())],
                    )
                })
                .collect(),
            disconnects: Disconnect::ALL
                .iter()
                .map(|reason| {
                    metrics.counter(
                        "liptako_tak_disconnects_total",
                        "TAK client connections ended, by reason.",
                        &[("reason", reason.as_str())],
                    )
                })
                .collect(),
            deliveries: counter(
                "liptako_tak_deliveries_total",
                "Events written to TAK clients (one per receiving client).",
            ),
            superseded: counter(
                "liptako_tak_superseded_total",
                "Queued events replaced by a newer one of the same uid for a slow TAK client.",
            ),
            dropped: counter(
                "liptako_tak_dropped_total",
                "Events dropped because a TAK client's queue was full.",
            ),
            undeliverable: counter(
                "liptako_tak_undeliverable_total",
                "Directed events none of whose destinations is connected.",
            ),
            medevac_requests: counter(
                "liptako_tak_medevac_requests_total",
                "9-line MEDEVACs from TAK clients written as support requests.",
            ),
            medevac_refused: counter(
                "liptako_tak_medevac_refused_total",
                "9-line MEDEVACs from TAK clients not written as support requests (anonymous, role below editor, or not releasable to an addressed nation).",
            ),
            pings: counter("liptako_tak_pings_total", "TAK pings answered."),
            negotiated: counter(
                "liptako_tak_protobuf_negotiated_total",
                "TAK connections switched to protobuf by negotiation.",
            ),
            tls_failures: counter(
                "liptako_tak_tls_failures_total",
                "TAK TLS handshakes that failed (missing or untrusted client certificate, ...).",
            ),
            units_stored: counter(
                "liptako_tak_units_stored_total",
                "Unit versions stored from TAK position reports (thinned).",
            ),
            unit_write_errors: counter(
                "liptako_tak_unit_write_errors_total",
                "Unit writes from TAK position reports that failed.",
            ),
            picture_objects: metrics.gauge(
                "liptako_tak_picture_objects",
                "Objects in the picture a TAK client gets when it connects.",
                &[],
            ),
            picture_full: counter(
                "liptako_tak_picture_full_total",
                "Client uids routed but not kept (picture or the principal's share full).",
            ),
            published: counter(
                "liptako_tak_published_total",
                "Air tracks and withdrawals published to TAK clients by the node.",
            ),
            live_lagged: counter(
                "liptako_tak_live_lagged_total",
                "Times the TAK hub fell behind the node's live feed and reloaded its picture.",
            ),
            principal_changes: counter(
                "liptako_tak_principal_changes_total",
                "TAK sessions given a new principal because their user account changed.",
            ),
            revoked: counter(
                "liptako_tak_sessions_revoked_total",
                "TAK sessions closed because their user account was disabled or removed.",
            ),
            identities_taken_back: counter(
                "liptako_tak_identities_taken_back_total",
                "Uids and callsigns an authenticated TAK client took back from an anonymous one.",
            ),
            enrollments: counter(
                "liptako_tak_enrollments_total",
                "Client certificates issued by TAK enrollment.",
            ),
            enrollment_failures: counter(
                "liptako_tak_enrollment_failures_total",
                "TAK enrollment requests refused (credentials or CSR).",
            ),
        }
    }

    fn idx(kind: ListenerKind) -> usize {
        match kind {
            ListenerKind::Tcp => 0,
            ListenerKind::Tls => 1,
        }
    }

    /// A connection was accepted.
    pub fn connected(&self, kind: ListenerKind) {
        let idx = Self::idx(kind);
        if let (Some(gauge), Some(counter)) = (self.connected.get(idx), self.connections.get(idx)) {
            gauge.add(1);
            counter.inc();
        }
    }

    /// A connection ended.
    pub fn disconnected(&self, kind: ListenerKind, reason: Disconnect) {
        if let Some(gauge) = self.connected.get(Self::idx(kind)) {
            gauge.add(-1);
        }
        if let Some(position) = Disconnect::ALL.iter().position(|r| *r == reason)
            && let Some(counter) = self.disconnects.get(position)
        {
            counter.inc();
        }
    }

    /// An event was received.
    pub fn received(&self, kind: ListenerKind) {
        if let Some(counter) = self.received.get(Self::idx(kind)) {
            counter.inc();
        }
    }

    /// Bad input was seen.
    pub fn bad_input(&self, reason: BadInput) {
        if let Some(position) = BadInput::ALL.iter().position(|r| *r == reason)
            && let Some(counter) = self.bad_input.get(position)
        {
            counter.inc();
        }
    }

    /// An event was refused.
    pub fn refused(&self, reason: Refused) {
        if let Some(position) = Refused::ALL.iter().position(|r| *r == reason)
            && let Some(counter) = self.refused.get(position)
        {
            counter.inc();
        }
    }
}
