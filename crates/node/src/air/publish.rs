//! The publisher thread: turns each frame of the tracker into everything the node hands out.
//!
//! For each picture, in this order: the picture and its live update ([`AirHub`]: the API and
//! the WebSocket feed), TAK clients (through the bus's `Publications`; the TAK hub applies the marking
//! rule per client), CAT062 over UDP, the thinned history in the store. Then each event
//! becomes, when it is an airspace event, an alert report in the store.
//!
//! Nothing here waits on a client. Store writes are handed to the store's writer without
//! waiting for them: history rows are dropped (and counted) when the writer's queue is full;
//! alert reports are never dropped, so for them this thread waits for room.

use std::collections::{HashMap, HashSet};
use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use liptako_asterix::{BlockEncoder, EncodeError};
use liptako_model::{Audience, Labelled, LinkAccreditation, Point};
use liptako_store::{AirHistoryRow, Store, WriteJob, WriteOp, WriteOutcome};
use liptako_track::{Picture, SystemTrack};
use time::OffsetDateTime;

use super::alerts::{AlertBook, Context, Raiser};
use super::convert::{OutTrack, cat062_track};
use super::engine::Frame;
use super::metrics::AirMetrics;
use super::zones::ZoneBook;
use crate::config::air::{AirSettings, SensorModel};
use crate::picture::AirTrack;
use crate::picture::{AirHub, AirPicture, Identity, TrackView, changes, class_updates};
use crate::state::Node;

/// CAT062 datagrams are cut below this size, so that nothing fragments on Ethernet.
const MAX_DATAGRAM: usize = 1_400;
/// Stored history older than the retention is purged this often.
const PURGE_INTERVAL: Duration = Duration::from_secs(3_600);
/// The service identification written in I062/015.
const SERVICE_ID: u8 = 1;
/// Who the store's audit log names for alerts.
const ACTOR: &str = "air picture";

/// The thread's state.
pub struct Publisher {
    node: Arc<Node>,
    settings: Arc<AirSettings>,
    metrics: AirMetrics,
    zones: Arc<RwLock<ZoneBook>>,
    hub: AirHub,
    run: String,
    coasting_after_s: f64,
    previous: Vec<TrackView>,
    tak_sent: HashMap<u32, f64>,
    cat062: Option<Cat062Out>,
    history_sent: HashMap<u32, f64>,
    last_purge: Option<Instant>,
    alerts: AlertBook,
}

impl Publisher {
    /// A publisher for `node`; `run` tells this run's track uids from earlier runs'.
    pub fn new(
        node: Arc<Node>,
        settings: Arc<AirSettings>,
        metrics: AirMetrics,
        zones: Arc<RwLock<ZoneBook>>,
        run: String,
    ) -> anyhow::Result<Publisher> {
        let cat062 = if settings.cat062_out.is_empty() {
            None
        } else {
            Some(Cat062Out::new(&settings)?)
        };
        let longest_period = settings
            .sensors
            .iter()
            .filter_map(|s| match &s.model {
                SensorModel::Radar(radar) => Some(radar.period_s),
                SensorModel::Adsb(_) | SensorModel::System(_) => None,
            })
            .fold(settings.picture_period.as_secs_f64(), f64::max);
        Ok(Publisher {
            hub: node.bus().air().clone(),
            node,
            settings,
            metrics,
            zones,
            run,
            coasting_after_s: 1.5 * longest_period,
            previous: Vec::new(),
            tak_sent: HashMap::new(),
            cat062,
            history_sent: HashMap::new(),
            last_purge: None,
            alerts: AlertBook::default(),
        })
    }

    /// Publishes an empty picture at once (the API then shows the configured marking), then
    /// every frame until the tracker thread is gone.
    pub fn run(mut self, frames: Receiver<Frame>) {
        self.hub.publish(
            Arc::new(AirPicture::new(
                None,
                self.settings.nation,
                self.settings.track_markings(),
                Vec::new(),
            )),
            Vec::new(),
        );
        while let Ok(frame) = frames.recv() {
            if let Some(picture) = frame.picture {
                self.picture(picture);
            }
            self.events(frame.events);
            self.rezone();
        }
    }

    /// Open alerts about restricted zones follow their zone: a zone renamed or upgraded (a
    /// higher level, a narrower release) re-marks and renames the alert at once, so an alert
    /// never keeps a zone's old name or a wider marking than the zone now has.
    fn rezone(&mut self) {
        let now = self.node.now();
        let raiser = self.raiser();
        let writes = {
            let zones = self
                .zones
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let ctx = Context {
                raiser: &raiser,
                nation: self.settings.nation,
                policy: self.node.policy(),
                marking: &self.settings.alert_marking,
                validity: self.settings.alert_validity,
                now,
                track: None,
                zone: None,
            };
            self.alerts.rezone(|zone_id| zones.get(zone_id), &ctx)
        };
        self.submit_alerts(writes);
    }

    fn picture(&mut self, picture: Picture) {
        self.offer_partners(&picture);
        let time = instant(picture.time_s);
        let views: Vec<TrackView> = picture
            .tracks
            .iter()
            .filter_map(|track| self.view(track, time))
            .collect();
        let (changed, _) = changes(&self.previous, &views);
        let changed_ids: HashSet<u32> = changed.iter().map(|t| t.id).collect();
        let updates = class_updates(
            self.settings.nation,
            Some(time),
            &self.previous,
            &views,
            &self.settings.track_marking,
        );
        let dropped_ids: Vec<u32> = {
            let current: HashSet<u32> = views.iter().map(|t| t.id).collect();
            self.previous
                .iter()
                .map(|t| t.id)
                .filter(|id| !current.contains(id))
                .collect()
        };
        self.hub.publish(
            Arc::new(AirPicture::new(
                Some(time),
                self.settings.nation,
                self.settings.track_markings(),
                views.clone(),
            )),
            updates,
        );
        self.metrics.pictures.inc();
        self.metrics.tracks.set(views.len() as i64);
        self.metrics
            .picture_delay_ms
            .set(((self.node.now() - time).as_seconds_f64() * 1e3) as i64);

        self.tak(&views, &changed_ids, &dropped_ids, picture.time_s);
        self.send_cat062(&views, &dropped_ids, picture.time_s);
        self.history(&views, &dropped_ids, picture.time_s);
        self.previous = views;
    }

    /// Offers partners this node's own tracks (what its own sensors see: never what partners
    /// told it), each with its priority; federation decides what each link may carry.
    fn offer_partners(&self, picture: &Picture) {
        let joint = self.node.bus().joint_air();
        let own = self.settings.nation.as_str();
        let offers = picture
            .tracks
            .iter()
            .filter_map(|track| {
                let report = track.report(picture.time_s)?;
                // Over a partner's territory (or unknown): the partners need it first.
                let near_border = track.nation.as_deref() != Some(own);
                let marking = self.settings.track_marking_at(track.nation.as_deref());
                let words = liptako_track::wire::WireMarking {
                    level: marking.level.clone(),
                    releasable_to: marking.releasable_to.clone(),
                };
                Some((
                    marking.clone(),
                    liptako_track::link::Offer {
                        report,
                        priority: liptako_track::link::Priority::of(track, near_border),
                        marking: Some(words),
                    },
                ))
            })
            .collect();
        joint.offer(crate::picture::OwnTracks {
            time_s: picture.time_s,
            origin: self.settings.nation,
            offers,
        });
    }

    /// A system track as the node shows it.
    fn view(&self, track: &SystemTrack, time: OffsetDateTime) -> Option<TrackView> {
        if !(track.lat_deg.is_finite() && track.lon_deg.is_finite()) {
            return None;
        }
        let (ve, vn) = (track.velocity_east_mps, track.velocity_north_mps);
        let speed_mps = ve.hypot(vn);
        let course_deg = if speed_mps > 0.0 {
            ve.atan2(vn).to_degrees().rem_euclid(360.0)
        } else {
            0.0
        };
        let identity = identity(track, &self.settings);
        Some(TrackView {
            uid: format!("{}-air-{}-{}", self.settings.nation, self.run, track.id.0),
            track_number: track.number,
            time,
            updated: instant(track.last_update_s),
            position: Point {
                lat: track.lat_deg,
                lon: track.lon_deg,
                alt_m: track.altitude_m.filter(|alt| alt.is_finite()),
            },
            course_deg,
            speed_mps,
            velocity_east_mps: ve,
            velocity_north_mps: vn,
            turn_rate_deg_s: track.turn_rate_deg_s,
            position_sigma_m: track.position_sigma_m,
            mode3a: track.mode3a.map(|code| format!("{code:04o}")),
            mode_s: track.mode_s.map(|address| format!("{address:06X}")),
            callsign: track.callsign.clone(),
            nation: track.nation.clone(),
            identity,
            cot_type: identity.cot_type().to_owned(),
            no_transponder: track.no_transponder,
            emergency: track.emergency.map(|code| format!("{code:04o}")),
            sensors: track
                .sensors
                .iter()
                .filter_map(|id| self.settings.sensors.get(usize::from(id.0)))
                .map(|sensor| sensor.id.clone())
                .chain(
                    track
                        .contributors
                        .iter()
                        .filter(|c| c.nation.as_deref() != Some(self.settings.nation.as_str()))
                        .map(|c| format!("{}/{}", c.nation.as_deref().unwrap_or("?"), c.sensor)),
                )
                .collect(),
            nations: track.nations(),
            marking: self
                .settings
                .track_marking_at(track.nation.as_deref())
                .clone(),
            id: track.id.0,
        })
    }

    fn tak(&mut self, views: &[TrackView], changed: &HashSet<u32>, dropped: &[u32], time_s: f64) {
        let tak = self.node.bus().publications();
        if !tak.is_active() {
            return;
        }
        let refresh_s = self.settings.tak_stale.as_secs_f64() / 2.0;
        for view in views {
            let due = self
                .tak_sent
                .get(&view.id)
                .is_none_or(|sent| time_s - sent >= refresh_s);
            if changed.contains(&view.id) || due {
                tak.publish_air(self.tak_track(view));
                self.tak_sent.insert(view.id, time_s);
            }
        }
        for id in dropped {
            if let Some(old) = self.previous.iter().find(|t| t.id == *id) {
                tak.withdraw_air(&old.uid);
            }
            self.tak_sent.remove(id);
        }
    }

    fn tak_track(&self, view: &TrackView) -> AirTrack {
        let label = view
            .callsign
            .clone()
            .or_else(|| view.mode3a.as_ref().map(|code| format!("A{code}")))
            .unwrap_or_else(|| format!("TN{:04}", view.track_number));
        let mut remarks = vec![format!("Track {:04}", view.track_number)];
        if let Some(code) = &view.mode3a {
            remarks.push(format!("Mode 3/A {code}"));
        }
        if let Some(address) = &view.mode_s {
            remarks.push(format!("Mode S {address}"));
        }
        if let Some(alt) = view.position.alt_m {
            remarks.push(format!("FL{:03.0}", alt / 30.48));
        }
        if view.no_transponder {
            remarks.push("no transponder".into());
        }
        if let Some(code) = &view.emergency {
            remarks.push(format!("squawk {code}"));
        }
        if let Some(nation) = &view.nation {
            remarks.push(format!("over {nation}"));
        }
        if !view.sensors.is_empty() {
            remarks.push(format!("sensors {}", view.sensors.join(", ")));
        }
        AirTrack {
            uid: view.uid.clone(),
            origin: self.settings.nation,
            marking: view.marking.clone(),
            exercise: None,
            time: view.time,
            position: view.position,
            course_deg: Some(view.course_deg),
            speed_mps: Some(view.speed_mps),
            identity: view.identity.air_identity(),
            cot_type: Some(view.cot_type.clone()),
            callsign: Some(label),
            remarks: Some(remarks.join(" · ")),
            stale_after: self.settings.tak_stale,
        }
    }

    fn send_cat062(&mut self, views: &[TrackView], dropped: &[u32], time_s: f64) {
        let Some(out) = self.cat062.as_mut() else {
            return;
        };
        let known: HashSet<u32> = self.previous.iter().map(|t| t.id).collect();
        let records = views
            .iter()
            .map(|view| (view, !known.contains(&view.id), false))
            .chain(
                self.previous
                    .iter()
                    .filter(|t| dropped.contains(&t.id))
                    .map(|view| (view, false, true)),
            );
        for (view, first, last) in records {
            let updated_s = (view.updated - OffsetDateTime::UNIX_EPOCH).as_seconds_f64();
            let track = OutTrack {
                number: view.track_number,
                time_s,
                lat_deg: view.position.lat,
                lon_deg: view.position.lon,
                velocity_east_mps: view.velocity_east_mps,
                velocity_north_mps: view.velocity_north_mps,
                altitude_m: view.position.alt_m,
                mode3a: view
                    .mode3a
                    .as_deref()
                    .and_then(|code| u16::from_str_radix(code, 8).ok()),
                mode_s: view
                    .mode_s
                    .as_deref()
                    .and_then(|address| u32::from_str_radix(address, 16).ok()),
                callsign: view.callsign.as_deref(),
                emergency: view
                    .emergency
                    .as_deref()
                    .and_then(|code| u16::from_str_radix(code, 8).ok()),
                mono_sensor: view.sensors.len() == 1,
                coasting: time_s - updated_s > self.coasting_after_s,
                first,
                last,
            };
            out.push(&track, &self.settings, &self.metrics);
        }
        out.flush(&self.metrics);
    }

    fn history(&mut self, views: &[TrackView], dropped: &[u32], time_s: f64) {
        for id in dropped {
            self.history_sent.remove(id);
        }
        let Some(period) = self.settings.history_period else {
            return;
        };
        // A little slack, so a track stored at one tick is due again a period later even with
        // rounding in the picture times.
        let due_after_s = period.as_secs_f64() - 1e-3;
        let mut rows = Vec::new();
        for view in views {
            if self
                .history_sent
                .get(&view.id)
                .is_some_and(|sent| time_s - sent < due_after_s)
            {
                continue;
            }
            let Ok(payload) = serde_json::to_string(view) else {
                continue;
            };
            self.history_sent.insert(view.id, time_s);
            rows.push(AirHistoryRow {
                time: view.time,
                origin: self.settings.nation,
                uid: view.uid.clone(),
                marking: view.marking.clone(),
                lat: view.position.lat,
                lon: view.position.lon,
                payload,
            });
        }
        let mut ops = Vec::new();
        let n_rows = rows.len() as u64;
        if !rows.is_empty() {
            ops.push(WriteOp::AirHistory(rows));
        }
        if self.last_purge.is_none_or(|at| {
            self.node.clock().instant().saturating_duration_since(at) >= PURGE_INTERVAL
        }) {
            self.last_purge = Some(self.node.clock().instant());
            ops.push(WriteOp::PurgeAirHistory {
                before: self.node.now() - self.settings.history_retention,
            });
        }
        if ops.is_empty() {
            return;
        }
        let written = self.metrics.history_rows.clone();
        let dropped_rows = self.metrics.history_dropped.clone();
        let job = WriteJob {
            ops,
            done: Box::new(move |result| match result {
                Ok(_) => written.add(n_rows),
                Err(err) => {
                    dropped_rows.add(n_rows);
                    tracing::warn!(cause = %err, rows = n_rows, "air picture: history not stored");
                }
            }),
        };
        if self.node.store().submit(job, false).is_err() {
            // The writer is saturated: the history is thinned further rather than slowing the
            // picture.
            self.metrics.history_dropped.add(n_rows);
        }
    }

    fn events(&mut self, events: Vec<liptako_track::Event>) {
        if events.is_empty() {
            return;
        }
        let now = self.node.now();
        let raiser = self.raiser();
        let mut writes = Vec::new();
        {
            let zones = self
                .zones
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for event in &events {
                let zone = match &event.kind {
                    liptako_track::EventKind::ZoneEntry { zone_id, .. }
                    | liptako_track::EventKind::ZoneExit { zone_id, .. } => zones.get(zone_id),
                    _ => None,
                };
                let ctx = Context {
                    raiser: &raiser,
                    nation: self.settings.nation,
                    policy: self.node.policy(),
                    marking: &self.settings.alert_marking,
                    validity: self.settings.alert_validity,
                    now,
                    track: self.previous.iter().find(|t| t.id == event.track.0),
                    zone,
                };
                writes.extend(self.alerts.on_event(event, &ctx));
            }
        }
        self.submit_alerts(writes);
    }

    /// Who raises alerts: the partners this node's links carry its tracks to (their ceiling and
    /// nation admit the track marking) raise those about their territory.
    fn raiser(&self) -> Raiser {
        let partners = self
            .node
            .links()
            .iter()
            .filter(|link| {
                let nation = link.config.nation;
                let accreditation = LinkAccreditation {
                    nation,
                    ceiling: link.config.ceiling.clone(),
                };
                // A track the partner raises about is over its territory: that marking counts.
                let tracks = Labelled {
                    origin: self.settings.nation,
                    marking: self.settings.track_marking_at(Some(nation.as_str())),
                    world: None,
                };
                self.node
                    .policy()
                    .allows(Audience::link(&accreditation), &tracks)
            })
            .map(|link| link.config.nation)
            .collect();
        Raiser {
            own: self.settings.nation,
            partners,
        }
    }

    /// Writes alerts (durably; never dropped: this thread waits for room in the store's queue).
    fn submit_alerts(&self, writes: Vec<super::alerts::AlertWrite>) {
        if writes.is_empty() {
            return;
        }
        let mut ops = Vec::with_capacity(writes.len());
        let mut kinds = Vec::with_capacity(writes.len());
        for write in writes {
            kinds.push(write.kind);
            ops.push(WriteOp::Local {
                draft: write.draft,
                actor: ACTOR.to_owned(),
            });
        }
        let counters: Vec<_> = kinds
            .iter()
            .map(|kind| self.metrics.alerts.get(kind).cloned())
            .collect();
        let errors = self.metrics.alert_write_errors.clone();
        let job = WriteJob {
            ops,
            done: Box::new(move |result| match result {
                Ok(outcomes) => {
                    for (outcome, counter) in outcomes.iter().zip(&counters) {
                        match outcome {
                            WriteOutcome::Committed(_) => {
                                if let Some(counter) = counter {
                                    counter.inc();
                                }
                            }
                            other => {
                                errors.inc();
                                tracing::error!(outcome = ?other, "air picture: alert not written");
                            }
                        }
                    }
                }
                Err(err) => {
                    errors.add(counters.len() as u64);
                    tracing::error!(cause = %err, "air picture: alerts not written");
                }
            }),
        };
        let store: &Arc<dyn Store> = self.node.store();
        if let Err(job) = store.submit(job, false) {
            // Alerts are never dropped: wait for room (this thread may block; nothing else
            // waits on it).
            let _ = store.submit(job, true);
        }
    }
}

/// The standard identity the node gives a track (see `Identity`).
fn identity(track: &SystemTrack, settings: &AirSettings) -> Identity {
    if track.emergency == Some(0o7500) {
        return Identity::Suspect;
    }
    if track.no_transponder {
        return Identity::Unknown;
    }
    if let Some(code) = track.mode3a
        && settings
            .friend_codes
            .iter()
            .any(|range| range.contains(code))
    {
        return Identity::AssumedFriend;
    }
    if track.mode_s.is_some() && track.callsign.is_some() {
        return Identity::Neutral;
    }
    Identity::Pending
}

/// A Unix time in seconds as an instant (the epoch for what cannot be one).
pub fn instant(time_s: f64) -> OffsetDateTime {
    if !time_s.is_finite() {
        return OffsetDateTime::UNIX_EPOCH;
    }
    OffsetDateTime::from_unix_timestamp_nanos((time_s * 1e9) as i128)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The CAT062 output: one encoder, one socket per address family.
struct Cat062Out {
    encoder: BlockEncoder,
    v4: Option<UdpSocket>,
    v6: Option<UdpSocket>,
    destinations: Vec<SocketAddr>,
    datagram: Vec<u8>,
}

impl Cat062Out {
    fn new(settings: &AirSettings) -> anyhow::Result<Cat062Out> {
        let needs = |v6: bool| settings.cat062_out.iter().any(|a| a.is_ipv6() == v6);
        let v4 = if needs(false) {
            let socket = UdpSocket::bind("0.0.0.0:0")
                .map_err(|err| anyhow::anyhow!("air.cat062_out: cannot open a socket: {err}"))?;
            socket.set_multicast_ttl_v4(settings.cat062_ttl)?;
            socket.set_nonblocking(true)?;
            Some(socket)
        } else {
            None
        };
        let v6 = if needs(true) {
            let socket = UdpSocket::bind("[::]:0")
                .map_err(|err| anyhow::anyhow!("air.cat062_out: cannot open a socket: {err}"))?;
            socket.set_nonblocking(true)?;
            Some(socket)
        } else {
            None
        };
        Ok(Cat062Out {
            encoder: BlockEncoder::new(settings.cat062_edition),
            v4,
            v6,
            destinations: settings.cat062_out.clone(),
            datagram: Vec::with_capacity(MAX_DATAGRAM + 64),
        })
    }

    fn push(&mut self, track: &OutTrack<'_>, settings: &AirSettings, metrics: &AirMetrics) {
        let record = cat062_track(track, settings.source, SERVICE_ID);
        let pushed: Result<(), EncodeError> = self.encoder.push(&record);
        if let Err(err) = pushed {
            metrics.cat062_encode_errors.inc();
            tracing::warn!(track = track.number, cause = %err, "air picture: track not encoded as CAT062");
            return;
        }
        if self.encoder.len() >= MAX_DATAGRAM - 100 {
            self.flush(metrics);
        }
    }

    fn flush(&mut self, metrics: &AirMetrics) {
        if self.encoder.is_empty() {
            return;
        }
        self.datagram.clear();
        if let Err(err) = self.encoder.finish_into(&mut self.datagram) {
            metrics.cat062_encode_errors.inc();
            tracing::warn!(cause = %err, "air picture: CAT062 block not finished");
            self.encoder.clear();
            return;
        }
        for destination in &self.destinations {
            let socket = if destination.is_ipv6() {
                self.v6.as_ref()
            } else {
                self.v4.as_ref()
            };
            let sent = socket.map(|socket| socket.send_to(&self.datagram, destination));
            match sent {
                Some(Ok(_)) => metrics.cat062_datagrams.inc(),
                // UDP loses datagrams; a full buffer or an unreachable receiver is counted.
                _ => metrics.cat062_send_errors.inc(),
            }
        }
    }
}
