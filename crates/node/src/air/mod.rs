//! The air picture: ASTERIX from the configured sensors in, one fused picture out to the API,
//! the live feed, TAK clients, CAT062 over UDP and the stored history; airspace events become
//! marked alert reports.
//!
//! ```text
//!  [[sensor]] UDP ──► listener task ──► tracker thread ──► publisher thread ──► AirHub (API, live)
//!  (per address)      decode, convert     Tracker, picture    views, diff        TakHub (TAK)
//!                     (convert.rs)        clock (engine.rs)   (publish.rs)       CAT062 out
//!                                              ▲                                 store: history,
//!  store zones ──► zone follower (zones.rs) ───┘                                 alert reports
//! ```
//!
//! - [`config`]: `[air]` and `[[sensor]]`, checked before anything binds;
//! - [`convert`]: ASTERIX records ↔ tracker inputs and CAT062 (the one place the wire meets the
//!   tracker), times of day made absolute across midnight;
//! - `listener`: one socket per listen address (unicast or multicast), records told apart by
//!   SAC/SIC; decoding never panics, bad datagrams are counted and logged;
//! - `engine`: the tracker's own thread and the picture clock (follows the sensors' times, so
//!   replays faster than real time work too);
//! - `publish`: the publisher's own thread (pictures, diffs, TAK, CAT062, history, alerts);
//! - `alerts`: events → `airspace_alert` reports, one per subject, updated, marked at least as
//!   restrictively as the zone they name;
//! - `zones`: the restricted zones in step with the store and the live feed;
//! - [`picture`]: [`TrackView`], [`AirPicture`], [`AirHub`]; [`api`]: the HTTP handlers.
//!
//! Queues: listener → tracker, 4,096 datagrams, full: the datagram's measurements are dropped
//! and counted; tracker → publisher, 4 frames, full: events wait for the next frame and the
//! picture is superseded (counted); publisher → store: history dropped when the writer's queue
//! is full, alerts wait for room. Shutdown: the listeners and the zone follower stop on the
//! node's shutdown signal; the tracker thread ends when they are gone, the publisher after it.

pub mod api;
pub mod convert;

mod alerts;
mod engine;
mod listener;
mod metrics;
mod publish;
mod zones;

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use anyhow::Context as _;
use liptako_track::{Airspace, Borders, GeoBox, Tracker};

use crate::config::CONFIG_FILE;
use crate::state::Node;

/// Where the sensors listen (`None` when no sensor is configured).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Started {
    /// Per sensor, in configuration order: its id and the bound address.
    pub sensors: Vec<(String, SocketAddr)>,
}

impl Started {
    /// The bound address of sensor `id`.
    pub fn sensor(&self, id: &str) -> Option<SocketAddr> {
        self.sensors
            .iter()
            .find(|(name, _)| name == id)
            .map(|(_, addr)| *addr)
    }
}

/// Coverage assumed around a sensor whose range is not configured, metres.
const DEFAULT_COVERAGE_M: f64 = 400_000.0;

/// Starts the air picture as `[air]` and `[[sensor]]` configure it (with no sensor but an
/// anchor, a picture of the partners' tracks alone). Does nothing without either. Fails, naming the key or the address, before anything runs if the configuration
/// is wrong or an address cannot be bound.
pub async fn start(node: Arc<Node>) -> anyhow::Result<Started> {
    let config = node.config();
    let file = node.data_dir().join(CONFIG_FILE);
    let Some(settings) =
        crate::config::air::resolve(&config.air, &config.sensors, node.policy(), node.nation())
            .map_err(|message| anyhow::anyhow!("{}: {message}", file.display()))?
    else {
        return Ok(Started::default());
    };
    let settings = Arc::new(settings);
    let bound = listener::bind(&settings)?;
    let mut started = Started::default();
    for (index, sensor) in settings.sensors.iter().enumerate() {
        if let Some(b) = bound.iter().find(|b| b.sensors.contains(&index)) {
            started.sensors.push((sensor.id.clone(), b.local));
        }
    }

    let mut tracker = Tracker::new(settings.tracker.clone());
    for sensor in &settings.sensors {
        match &sensor.model {
            crate::config::air::SensorModel::Radar(radar) => tracker.add_radar(radar.clone()),
            crate::config::air::SensorModel::Adsb(adsb) => tracker.add_adsb_source(adsb.clone()),
            crate::config::air::SensorModel::System(system) => {
                tracker.add_system_track_source(system.clone())
            }
        }
        .map_err(|err| anyhow::anyhow!("{}: sensor {}: {err}", file.display(), sensor.id))?;
    }
    let borders = if settings.borders {
        Some(
            tokio::task::spawn_blocking(Borders::natural_earth)
                .await
                .context("loading the borders")?
                .context("the embedded Natural Earth borders")?,
        )
    } else {
        None
    };
    let area = coverage(&settings);
    tracker.set_airspace(Airspace::new(borders.as_ref(), Vec::new(), Some(area)));

    let metrics = metrics::AirMetrics::new(node.metrics(), &settings);
    let zones = Arc::new(RwLock::new(zones::ZoneBook::default()));
    let run = format!(
        "{:x}",
        (node.now() - time::OffsetDateTime::UNIX_EPOCH).whole_seconds()
    );
    let publisher = publish::Publisher::new(
        node.clone(),
        settings.clone(),
        metrics.clone(),
        zones.clone(),
        run,
    )?;
    let (inputs, input_queue) = std::sync::mpsc::sync_channel(engine::INPUT_QUEUE);
    let (frames, frame_queue) = std::sync::mpsc::sync_channel(engine::FRAME_QUEUE);
    let engine = engine::Engine {
        tracker,
        borders,
        area: Some(area),
        settings: settings.clone(),
        metrics: metrics.clone(),
        clock: node.clock().clone(),
        partners: std::collections::HashMap::new(),
    };
    let tracker_thread = std::thread::Builder::new()
        .name("air-tracker".into())
        .spawn(move || engine.run(input_queue, frames))
        .context("starting the air picture's tracker thread")?;
    let publisher_thread = std::thread::Builder::new()
        .name("air-publisher".into())
        .spawn(move || publisher.run(frame_queue))
        .context("starting the air picture's publisher thread")?;
    // At shutdown the listeners and the zone follower end, the tracker's input closes, the
    // tracker ends and closes the publisher's, and the publisher writes what it holds (history,
    // alerts) before it ends: the node waits for both threads.
    node.spawn(async move {
        let joined = tokio::task::spawn_blocking(move || {
            let tracker = tracker_thread.join();
            let publisher = publisher_thread.join();
            tracker.is_ok() && publisher.is_ok()
        })
        .await;
        if !matches!(joined, Ok(true)) {
            tracing::error!("an air picture thread panicked");
        }
    });
    node.bus().air().activate();
    // Partners' tracks (from federation) join the tracker's inputs; at shutdown the sink goes,
    // so that the tracker's input closes when the listeners end.
    {
        let partner_inputs = inputs.clone();
        node.bus().joint_air().set_sink(move |tracks| {
            partner_inputs
                .try_send(engine::Input::Partner(tracks))
                .is_ok()
        });
        let (node_ref, mut shutdown) = (node.clone(), node.shutdown_signal());
        node.spawn(async move {
            let _ = shutdown.wait_for(|stopping| *stopping).await;
            node_ref.bus().joint_air().clear_sink();
        });
    }

    let follower = {
        let (node, zones, inputs) = (node.clone(), zones, inputs.clone());
        async move {
            if let Err(err) = zones::follow(node, zones, inputs).await {
                tracing::error!(cause = %err, "air picture: restricted zones not followed");
            }
        }
    };
    node.spawn(follower);
    for b in bound {
        let listen_metrics = metrics::AirMetrics::listen(node.metrics(), &b.local.to_string());
        node.spawn(listener::run(
            b,
            settings.clone(),
            metrics.clone(),
            listen_metrics,
            inputs.clone(),
            node.shutdown_signal(),
            node.clock().clone(),
        ));
    }
    tracing::info!(
        sensors = settings.sensors.len(),
        origin_lat = settings.tracker.origin_lat_deg,
        origin_lon = settings.tracker.origin_lon_deg,
        cat062_out = settings.cat062_out.len(),
        "air picture running"
    );
    Ok(started)
}

/// The area the airspace grid covers: every sensor's coverage (or a default disc around the
/// tracker's anchor when no sensor has a position).
fn coverage(settings: &crate::config::air::AirSettings) -> GeoBox {
    let around = |(lat, lon): (f64, f64), range_m: f64| GeoBox::around(lat, lon, range_m);
    let boxes = settings.sensors.iter().filter_map(|sensor| {
        let range = match &sensor.model {
            crate::config::air::SensorModel::Radar(radar) => {
                radar.max_range_m.unwrap_or(DEFAULT_COVERAGE_M)
            }
            crate::config::air::SensorModel::Adsb(_)
            | crate::config::air::SensorModel::System(_) => DEFAULT_COVERAGE_M,
        };
        sensor.position.map(|p| around(p, range))
    });
    boxes.reduce(GeoBox::union).unwrap_or_else(|| {
        around(
            (
                settings.tracker.origin_lat_deg,
                settings.tracker.origin_lon_deg,
            ),
            DEFAULT_COVERAGE_M,
        )
    })
}
