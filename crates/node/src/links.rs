//! The state of each link to a partner node, in both directions: what this node receives from
//! the partner (its pull) and what it sends the partner (the partner's pull of this node).
//! The same counters feed `/metrics` and `GET /api/v1/links`.

use std::sync::Mutex;

use serde::Serialize;
use time::OffsetDateTime;

use crate::config::LinkSection;
use crate::metrics::{Counter, Gauge, Metrics};

/// One partner link.
#[derive(Debug)]
pub struct LinkState {
    /// The link's configuration.
    pub config: LinkSection,
    /// Our pull from the partner is connected.
    pub up: Gauge,
    since: Mutex<Option<OffsetDateTime>>,
    last_error: Mutex<Option<String>>,
    last_received: Mutex<Option<OffsetDateTime>>,
    /// Versions received and held.
    pub versions_received: Counter,
    /// Recalls received and applied.
    pub recalls_received: Counter,
    /// Entries refused by this node's own checks.
    pub refused: Counter,
    /// Of those, entries whose origin signature was missing or did not verify.
    pub forged: Counter,
    /// Compressed bytes received.
    pub bytes_received: Counter,
    /// Age of the last version received when it was applied (replication lag).
    pub lag_ms: Gauge,
    /// The partner's pulls of this node now connected.
    pub streams: Gauge,
    /// Versions released to the partner.
    pub versions_sent: Counter,
    /// Recalls sent to the partner.
    pub recalls_sent: Counter,
    /// Compressed bytes sent.
    pub bytes_sent: Counter,
    /// Log entries not yet examined for the partner.
    pub backlog: Gauge,
    /// Air track records received from the partner and taken.
    pub air_records_received: Counter,
    /// Air track records (or frames) from the partner refused.
    pub air_refused: Counter,
    /// Bytes of air frames sent to the partner.
    pub air_bytes_sent: Counter,
}

impl LinkState {
    /// The state of a configured link, with its metrics registered.
    pub fn new(config: LinkSection, metrics: &Metrics) -> LinkState {
        let peer = config.nation.to_string();
        let labels = [("peer", peer.as_str())];
        LinkState {
            up: metrics.gauge(
                "liptako_link_up",
                "Whether this node's pull from the partner is connected.",
                &labels,
            ),
            since: Mutex::new(None),
            last_error: Mutex::new(None),
            last_received: Mutex::new(None),
            versions_received: metrics.counter(
                "liptako_link_versions_received_total",
                "Versions received from the partner and held.",
                &labels,
            ),
            recalls_received: metrics.counter(
                "liptako_link_recalls_received_total",
                "Recalls received from the partner.",
                &labels,
            ),
            refused: metrics.counter(
                "liptako_link_refused_total",
                "Entries from the partner refused by this node's checks.",
                &labels,
            ),
            forged: metrics.counter(
                "liptako_link_forged_total",
                "Entries from the partner refused because their origin did not sign them.",
                &labels,
            ),
            bytes_received: metrics.counter(
                "liptako_link_bytes_received_total",
                "Compressed bytes received from the partner.",
                &labels,
            ),
            lag_ms: metrics.gauge(
                "liptako_link_lag_ms",
                "Age of the last version received when applied, in milliseconds.",
                &labels,
            ),
            streams: metrics.gauge(
                "liptako_link_partner_streams",
                "The partner's pull streams connected to this node.",
                &labels,
            ),
            versions_sent: metrics.counter(
                "liptako_link_versions_sent_total",
                "Versions released to the partner.",
                &labels,
            ),
            recalls_sent: metrics.counter(
                "liptako_link_recalls_sent_total",
                "Recalls sent to the partner.",
                &labels,
            ),
            bytes_sent: metrics.counter(
                "liptako_link_bytes_sent_total",
                "Compressed bytes sent to the partner.",
                &labels,
            ),
            air_records_received: metrics.counter(
                "liptako_link_air_records_received_total",
                "Air track records received from the partner and taken.",
                &labels,
            ),
            air_refused: metrics.counter(
                "liptako_link_air_refused_total",
                "Air track records or frames from the partner refused.",
                &labels,
            ),
            air_bytes_sent: metrics.counter(
                "liptako_link_air_bytes_sent_total",
                "Bytes of air track frames sent to the partner.",
                &labels,
            ),
            backlog: metrics.gauge(
                "liptako_link_backlog_entries",
                "Log entries not yet examined for the partner.",
                &labels,
            ),
            config,
        }
    }

    /// Records that the pull connected.
    pub fn connected(&self, at: OffsetDateTime) {
        self.up.set(1);
        *lock(&self.since) = Some(at);
        *lock(&self.last_error) = None;
    }

    /// Records that the pull failed or ended.
    pub fn disconnected(&self, error: Option<String>) {
        self.up.set(0);
        *lock(&self.since) = None;
        if error.is_some() {
            *lock(&self.last_error) = error;
        }
    }

    /// Records an applied batch.
    pub fn received(&self, at: OffsetDateTime) {
        *lock(&self.last_received) = Some(at);
    }

    /// A view for the API.
    pub fn view(&self) -> LinkView {
        LinkView {
            nation: self.config.nation.to_string(),
            url: self.config.url.clone(),
            ceiling: self.config.ceiling.clone(),
            receiving: Receiving {
                up: self.up.get() == 1,
                since: *lock(&self.since),
                last_error: lock(&self.last_error).clone(),
                last_received: *lock(&self.last_received),
                versions: self.versions_received.get(),
                recalls: self.recalls_received.get(),
                refused: self.refused.get(),
                forged: self.forged.get(),
                bytes: self.bytes_received.get(),
                lag_ms: self.lag_ms.get(),
                air_records: self.air_records_received.get(),
                air_refused: self.air_refused.get(),
            },
            sending: Sending {
                streams: self.streams.get(),
                versions: self.versions_sent.get(),
                recalls: self.recalls_sent.get(),
                bytes: self.bytes_sent.get(),
                backlog: self.backlog.get(),
                air_bytes: self.air_bytes_sent.get(),
            },
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A link as `GET /api/v1/links` shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LinkView {
    /// The partner's nation.
    pub nation: String,
    /// Its federation address.
    pub url: String,
    /// The highest level that may cross the link.
    pub ceiling: String,
    /// What this node receives from the partner.
    pub receiving: Receiving,
    /// What this node sends the partner.
    pub sending: Sending,
}

/// The receiving direction.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Receiving {
    /// Connected now.
    pub up: bool,
    /// Since when.
    #[serde(with = "time::serde::rfc3339::option")]
    pub since: Option<OffsetDateTime>,
    /// Why the last connection failed.
    pub last_error: Option<String>,
    /// When the last batch was applied.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_received: Option<OffsetDateTime>,
    /// Versions received and held.
    pub versions: u64,
    /// Recalls received.
    pub recalls: u64,
    /// Entries refused by this node's checks.
    pub refused: u64,
    /// Of those, entries whose origin signature was missing or did not verify.
    pub forged: u64,
    /// Compressed bytes received.
    pub bytes: u64,
    /// Age of the last version received when applied, in milliseconds.
    pub lag_ms: i64,
    /// Air track records received and taken (the joint air picture).
    pub air_records: u64,
    /// Air track records or frames refused.
    pub air_refused: u64,
}

/// The sending direction.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Sending {
    /// The partner's pull streams connected now.
    pub streams: i64,
    /// Versions released.
    pub versions: u64,
    /// Recalls sent.
    pub recalls: u64,
    /// Compressed bytes sent.
    pub bytes: u64,
    /// Log entries not yet examined for the partner.
    pub backlog: i64,
    /// Bytes of air track frames sent.
    pub air_bytes: u64,
}
