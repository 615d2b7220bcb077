//! The air picture's series in `/metrics`, registered once at start; the hot paths hold the
//! handles (one atomic add each).

use std::collections::HashMap;

use crate::metrics::{Counter, Gauge, Metrics};

use super::convert::Skip;
use crate::config::air::{AirSettings, SensorKind};

/// Per sensor.
#[derive(Debug, Clone)]
pub struct SensorMetrics {
    /// Records attributed to the sensor, per category.
    pub records: HashMap<u8, Counter>,
    /// Records of the sensor left out, per reason.
    pub skipped: HashMap<Skip, Counter>,
    /// Measurements the tracker refused (bad values, times far from the picture clock).
    pub rejected: Counter,
    /// Measurements dropped because the tracker's queue was full.
    pub dropped: Counter,
    /// Unix time of the last record, seconds.
    pub last_seen: Gauge,
    /// The sensor's data time minus the node's clock at reception, milliseconds.
    pub clock_offset_ms: Gauge,
}

/// Per listen address.
#[derive(Debug, Clone)]
pub struct ListenMetrics {
    /// Datagrams received.
    pub datagrams: Counter,
    /// Datagrams with at least one block that could not be decoded.
    pub bad_datagrams: Counter,
    /// Blocks that could not be decoded.
    pub decode_errors: Counter,
    /// Records left out before they could be attributed to a sensor, per reason.
    pub skipped: HashMap<Skip, Counter>,
}

/// Everything.
#[derive(Debug, Clone)]
pub struct AirMetrics {
    /// Per sensor, in configuration order.
    pub sensors: Vec<SensorMetrics>,
    /// Confirmed tracks in the latest picture.
    pub tracks: Gauge,
    /// Pictures published.
    pub pictures: Counter,
    /// Pictures made while the publisher was busy, superseded by a newer one.
    pub pictures_superseded: Counter,
    /// Partners' track records the tracker took (states and ends).
    pub partner_reports: Counter,
    /// Partners' track records the tracker refused (absurd, too old, too many).
    pub partner_reports_refused: Counter,
    /// Node clock minus picture time when a picture is published, milliseconds.
    pub picture_delay_ms: Gauge,
    /// Alert reports written (created or updated), per kind.
    pub alerts: HashMap<&'static str, Counter>,
    /// Alert writes the store refused or failed.
    pub alert_write_errors: Counter,
    /// CAT062 datagrams sent.
    pub cat062_datagrams: Counter,
    /// CAT062 datagrams that could not be sent.
    pub cat062_send_errors: Counter,
    /// Tracks that could not be encoded as CAT062.
    pub cat062_encode_errors: Counter,
    /// History rows written.
    pub history_rows: Counter,
    /// History rows dropped (the store was saturated).
    pub history_dropped: Counter,
    /// Tracker totals.
    pub tracker_plots: Counter,
    /// Tracker totals.
    pub tracker_adsb_reports: Counter,
    /// Tracker totals.
    pub tracker_tracks_confirmed: Counter,
    /// Tracker totals.
    pub tracker_tracks_deleted: Counter,
}

/// The kinds of alert, for the `kind` label.
pub const ALERT_KINDS: [&str; 4] = [
    "border_crossing",
    "no_transponder",
    "emergency",
    "zone_entry",
];

impl AirMetrics {
    /// Registers every series.
    pub fn new(metrics: &Metrics, settings: &AirSettings) -> AirMetrics {
        let sensors = settings
            .sensors
            .iter()
            .map(|sensor| {
                let labels = [("sensor", sensor.id.as_str())];
                let categories: &[u8] = match sensor.kind() {
                    SensorKind::Radar => &[48, 34],
                    SensorKind::Adsb => &[21],
                    SensorKind::System => &[62],
                };
                SensorMetrics {
                    records: categories
                        .iter()
                        .map(|&cat| {
                            let cat_label = format!("{cat:03}");
                            let counter = metrics.counter(
                                "liptako_air_records_total",
                                "ASTERIX records attributed to a sensor, per category.",
                                &[("sensor", sensor.id.as_str()), ("category", &cat_label)],
                            );
                            (cat, counter)
                        })
                        .collect(),
                    skipped: Skip::ALL
                        .iter()
                        .map(|&skip| {
                            let counter = metrics.counter(
                                "liptako_air_records_skipped_total",
                                "ASTERIX records of a sensor left out, per reason.",
                                &[("sensor", sensor.id.as_str()), ("reason", skip.as_str())],
                            );
                            (skip, counter)
                        })
                        .collect(),
                    rejected: metrics.counter(
                        "liptako_air_measurements_rejected_total",
                        "Measurements the tracker refused (bad values, times far from the picture clock).",
                        &labels,
                    ),
                    dropped: metrics.counter(
                        "liptako_air_measurements_dropped_total",
                        "Measurements dropped because the tracker's queue was full.",
                        &labels,
                    ),
                    last_seen: metrics.gauge(
                        "liptako_air_sensor_last_seen_seconds",
                        "Unix time of the sensor's last record.",
                        &labels,
                    ),
                    clock_offset_ms: metrics.gauge(
                        "liptako_air_sensor_clock_offset_milliseconds",
                        "The sensor's data time minus the node's clock at reception.",
                        &labels,
                    ),
                }
            })
            .collect();
        AirMetrics {
            sensors,
            tracks: metrics.gauge(
                "liptako_air_tracks",
                "Confirmed tracks in the latest air picture.",
                &[],
            ),
            pictures: metrics.counter("liptako_air_pictures_total", "Air pictures published.", &[]),
            pictures_superseded: metrics.counter(
                "liptako_air_pictures_superseded_total",
                "Air pictures made while the publisher was busy and replaced by a newer one.",
                &[],
            ),
            partner_reports: metrics.counter(
                "liptako_air_partner_reports_total",
                "Partners' system track records taken by the tracker.",
                &[],
            ),
            partner_reports_refused: metrics.counter(
                "liptako_air_partner_reports_refused_total",
                "Partners' system track records the tracker refused.",
                &[],
            ),
            picture_delay_ms: metrics.gauge(
                "liptako_air_picture_delay_milliseconds",
                "Node clock minus picture time when the latest picture was published.",
                &[],
            ),
            alerts: ALERT_KINDS
                .iter()
                .map(|&kind| {
                    (
                        kind,
                        metrics.counter(
                            "liptako_air_alert_writes_total",
                            "Airspace alert reports written (created or updated), per kind.",
                            &[("kind", kind)],
                        ),
                    )
                })
                .collect(),
            alert_write_errors: metrics.counter(
                "liptako_air_alert_write_errors_total",
                "Airspace alert writes the store refused or failed.",
                &[],
            ),
            cat062_datagrams: metrics.counter(
                "liptako_air_cat062_datagrams_total",
                "CAT062 datagrams sent.",
                &[],
            ),
            cat062_send_errors: metrics.counter(
                "liptako_air_cat062_send_errors_total",
                "CAT062 datagrams that could not be sent.",
                &[],
            ),
            cat062_encode_errors: metrics.counter(
                "liptako_air_cat062_encode_errors_total",
                "Tracks that could not be encoded as CAT062.",
                &[],
            ),
            history_rows: metrics.counter(
                "liptako_air_history_rows_total",
                "Air track states written to the history.",
                &[],
            ),
            history_dropped: metrics.counter(
                "liptako_air_history_rows_dropped_total",
                "Air track states not written because the store was saturated.",
                &[],
            ),
            tracker_plots: metrics.counter(
                "liptako_air_tracker_plots_total",
                "Radar plots the tracker took.",
                &[],
            ),
            tracker_adsb_reports: metrics.counter(
                "liptako_air_tracker_adsb_reports_total",
                "ADS-B reports the tracker took.",
                &[],
            ),
            tracker_tracks_confirmed: metrics.counter(
                "liptako_air_tracker_tracks_confirmed_total",
                "Tracks confirmed.",
                &[],
            ),
            tracker_tracks_deleted: metrics.counter(
                "liptako_air_tracker_tracks_deleted_total",
                "Tracks deleted.",
                &[],
            ),
        }
    }

    /// The per-address series for `listen` (the bound address).
    pub fn listen(metrics: &Metrics, listen: &str) -> ListenMetrics {
        let labels = [("listen", listen)];
        ListenMetrics {
            datagrams: metrics.counter(
                "liptako_air_datagrams_total",
                "ASTERIX datagrams received.",
                &labels,
            ),
            bad_datagrams: metrics.counter(
                "liptako_air_bad_datagrams_total",
                "ASTERIX datagrams with a block that could not be decoded.",
                &labels,
            ),
            decode_errors: metrics.counter(
                "liptako_air_decode_errors_total",
                "ASTERIX blocks that could not be decoded.",
                &labels,
            ),
            skipped: [Skip::UnknownSource, Skip::Category]
                .iter()
                .map(|&skip| {
                    (
                        skip,
                        metrics.counter(
                            "liptako_air_unattributed_records_total",
                            "ASTERIX records of no configured sensor, per reason.",
                            &[("listen", listen), ("reason", skip.as_str())],
                        ),
                    )
                })
                .collect(),
        }
    }
}
