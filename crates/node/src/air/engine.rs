//! The tracker thread: one `liptako_track::Tracker` fed by every sensor, cutting a picture at
//! every picture period, on a thread of its own (the tracker is pure and CPU-bound; it never
//! runs on the async runtime).
//!
//! **Inputs** ([`Input`]) come through one bounded queue: the measurements of each datagram
//! (listeners never wait for it: when it is full they drop the datagram's measurements and
//! count them), and the restricted zones whenever they change.
//!
//! **The picture clock** follows the sensors' own times, so a replay faster than real time
//! works as a live feed does: the tracker is advanced to a watermark, the time up to which
//! every measurement should be in. It is the oldest data time among the sensors heard lately
//! (each sensor's time is its latest plot, sector crossing or report), but never more than
//! `max_delay` behind the most advanced sensor, and, when every sensor falls silent, it goes
//! on with the node's clock (tracks coast, then drop, instead of freezing on screen).
//!
//! **Outputs** ([`Frame`]) go to the publisher thread through a small queue the tracker never
//! waits on: when it is full, the events are kept for the next frame and the picture is
//! replaced by the newer one (counted).

use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::time::{Duration, Instant};

use std::collections::HashMap;

use liptako_model::Nation;
use liptako_track::wire::LinkRecord;
use liptako_track::{
    Airspace, Borders, Event, GeoBox, Picture, SensorId, SystemTrackSourceConfig, Tracker,
    TrackerError, Zone,
};

use super::convert::Measurement;
use super::metrics::AirMetrics;
use crate::clock::Clock;
use crate::config::air::AirSettings;

/// Datagrams (or zone updates) waiting for the tracker before listeners drop.
pub const INPUT_QUEUE: usize = 4_096;
/// Frames waiting for the publisher before pictures are superseded.
pub const FRAME_QUEUE: usize = 4;
/// The longest the thread sleeps without looking at the clock.
const MAX_SLEEP: Duration = Duration::from_millis(100);
/// At most one log line per sensor per this long about refused measurements.
const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// What the tracker thread takes.
#[derive(Debug)]
pub enum Input {
    /// The measurements of one datagram: (sensor index, measurement).
    Measurements(Vec<(usize, Measurement)>),
    /// The restricted zones now in force (replaces the previous list).
    Zones(Vec<Zone>),
    /// A partner's system tracks (checked by the federation receiver): the joint picture.
    Partner(crate::picture::PartnerTracks),
}

/// What the tracker thread hands the publisher.
#[derive(Debug, Default)]
pub struct Frame {
    /// The newest picture, if one was cut.
    pub picture: Option<Picture>,
    /// Every event since the previous frame, in order.
    pub events: Vec<Event>,
}

/// Per sensor: its data clock.
#[derive(Debug, Clone, Copy)]
struct SensorClock {
    /// The latest data time, Unix seconds.
    data_s: f64,
    /// When it was heard.
    heard: Instant,
    /// Its data time minus the node's clock then, seconds.
    offset_s: f64,
}

/// A sensor whose clock is further ahead of the others' than this is out of step: its times
/// do not move the picture (one wrong clock must not push every other sensor's data into the
/// past), seconds.
const OUT_OF_STEP_S: f64 = 30.0;

/// What the thread needs besides its queues.
pub struct Engine {
    /// The tracker, sensors registered in configuration order.
    pub tracker: Tracker,
    /// The borders, if checked.
    pub borders: Option<Borders>,
    /// The area the airspace grid covers.
    pub area: Option<GeoBox>,
    /// The settings.
    pub settings: std::sync::Arc<AirSettings>,
    /// The series.
    pub metrics: AirMetrics,
    /// The node's clock.
    pub clock: Clock,
    /// Each partner's source of system tracks in the tracker (added when it first reports).
    pub partners: HashMap<Nation, SensorId>,
}

impl Engine {
    /// Runs until every input sender is gone (the node shuts down), then returns.
    pub fn run(mut self, inputs: Receiver<Input>, frames: SyncSender<Frame>) {
        let n_sensors = self.settings.sensors.len();
        let mut clocks: Vec<Option<SensorClock>> = vec![None; n_sensors];
        let mut newest: Option<(f64, Instant)> = None;
        let mut out_of_step = vec![false; n_sensors];
        let mut watermark = f64::NEG_INFINITY;
        let mut pending = Frame::default();
        let mut last_log: Vec<Option<Instant>> = vec![None; n_sensors];
        let mut suppressed: Vec<u64> = vec![0; n_sensors];
        let mut warned_period = vec![false; n_sensors];
        let mut stats = self.tracker.stats().clone();
        let max_delay = self.settings.max_delay.as_secs_f64();
        let timeouts: Vec<Duration> = self
            .settings
            .sensors
            .iter()
            .map(|s| s.silence_timeout())
            .collect();
        loop {
            match inputs.recv_timeout(MAX_SLEEP) {
                Ok(Input::Measurements(list)) => {
                    let now = self.clock.instant();
                    let wall_s = self.clock.unix_s();
                    for (sensor, measurement) in list {
                        let t = measurement.time_s();
                        let result = self.push(sensor, &measurement, &mut warned_period);
                        if let Err(err) = result {
                            if let Some(m) = self.metrics.sensors.get(sensor) {
                                m.rejected.inc();
                            }
                            log_refusal(
                                now,
                                &self.settings,
                                sensor,
                                &err,
                                &mut last_log,
                                &mut suppressed,
                            );
                            continue;
                        }
                        if let Some(clock) = clocks.get_mut(sensor) {
                            let data_s = clock.map_or(t, |c| c.data_s.max(t));
                            *clock = Some(SensorClock {
                                data_s,
                                heard: now,
                                offset_s: data_s - wall_s,
                            });
                            if let Some(m) = self.metrics.sensors.get(sensor) {
                                m.last_seen.set(wall_s as i64);
                                m.clock_offset_ms.set(((data_s - wall_s) * 1e3) as i64);
                            }
                        }
                    }
                }
                Ok(Input::Partner(tracks)) => {
                    let now = self.clock.instant();
                    if let Some(latest) = self.partner(tracks)
                        && newest.is_none_or(|(data, _)| latest > data)
                    {
                        // Partners' tracks move the picture clock too: a node whose own
                        // sensors are silent still shows what its partners see.
                        newest = Some((latest, now));
                    }
                }
                Ok(Input::Zones(zones)) => {
                    tracing::info!(zones = zones.len(), "air picture: restricted zones updated");
                    self.tracker.set_airspace(Airspace::new(
                        self.borders.as_ref(),
                        zones,
                        self.area,
                    ));
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }

            let now = self.clock.instant();
            let step = in_step(&clocks, &timeouts, now);
            for (sensor, (&was, &is)) in out_of_step.iter().zip(&step).enumerate() {
                if is == Some(false) && !was {
                    let name = self
                        .settings
                        .sensors
                        .get(sensor)
                        .map_or("?", |s| s.id.as_str());
                    let offset = clocks
                        .get(sensor)
                        .copied()
                        .flatten()
                        .map_or(0.0, |c| c.offset_s);
                    tracing::warn!(
                        sensor = name,
                        clock_offset_s = offset,
                        "air picture: the sensor's clock is ahead of the others; its times do not move the picture"
                    );
                }
            }
            for (flag, is) in out_of_step.iter_mut().zip(&step) {
                if let Some(is) = is {
                    *flag = !is;
                }
            }
            if let Some(fresh) = clocks
                .iter()
                .zip(&step)
                .filter(|(_, step)| **step == Some(true))
                .filter_map(|(clock, _)| *clock)
                .max_by(|a, b| a.data_s.total_cmp(&b.data_s))
                && newest.is_none_or(|(data, _)| fresh.data_s > data)
            {
                newest = Some((fresh.data_s, fresh.heard));
            }
            let Some(candidate) = picture_watermark(&clocks, &step, newest, max_delay, now) else {
                continue;
            };
            if candidate <= watermark {
                continue;
            }
            watermark = candidate;
            let mut pictures = self.tracker.advance(watermark);
            let events = self.tracker.take_events();
            if pictures.is_empty() && events.is_empty() {
                continue;
            }
            self.count_stats(&mut stats);
            if let Some(picture) = pictures.pop() {
                if pending.picture.is_some() || !pictures.is_empty() {
                    self.metrics
                        .pictures_superseded
                        .add(pictures.len() as u64 + u64::from(pending.picture.is_some()));
                }
                pending.picture = Some(picture);
            }
            pending.events.extend(events);
            match frames.try_send(std::mem::take(&mut pending)) {
                Ok(()) => {}
                Err(TrySendError::Full(frame)) => pending = frame,
                Err(TrySendError::Disconnected(_)) => return,
            }
        }
    }

    fn push(
        &mut self,
        sensor: usize,
        measurement: &Measurement,
        warned_period: &mut [bool],
    ) -> Result<(), TrackerError> {
        let id = SensorId(u16::try_from(sensor).unwrap_or(u16::MAX));
        match measurement {
            Measurement::Plot(plot) => self.tracker.push_plot(id, plot),
            Measurement::Adsb(report) => self.tracker.push_adsb(id, report),
            Measurement::System { report, last } => {
                self.tracker.push_system_track(id, report)?;
                if *last {
                    self.tracker.end_system_track(id, report.track_number)?;
                }
                Ok(())
            }
            Measurement::Sector {
                azimuth_deg,
                time_s,
                period_s,
            } => {
                if let (Some(reported), Some(config), Some(warned)) = (
                    period_s,
                    self.settings.sensors.get(sensor),
                    warned_period.get_mut(sensor),
                ) && let crate::config::air::SensorModel::Radar(radar) = &config.model
                    && !*warned
                    && (reported - radar.period_s).abs() > 0.05 * radar.period_s
                {
                    *warned = true;
                    tracing::warn!(
                        sensor = %config.id,
                        reported_s = reported,
                        configured_s = radar.period_s,
                        "air picture: the radar reports another antenna period (I034/041) than its configuration"
                    );
                }
                self.tracker.sector_crossing(id, *azimuth_deg, *time_s)
            }
        }
    }

    /// Feeds a partner's records to the tracker (its source added on first use); returns the
    /// newest state time taken.
    fn partner(&mut self, tracks: crate::picture::PartnerTracks) -> Option<f64> {
        let source = match self.partners.get(&tracks.partner) {
            Some(source) => *source,
            None => {
                let mut config = SystemTrackSourceConfig::new(tracks.partner.as_str());
                config.nation = Some(tracks.partner.as_str().to_owned());
                match self.tracker.add_system_track_source(config) {
                    Ok(source) => {
                        self.partners.insert(tracks.partner, source);
                        source
                    }
                    Err(err) => {
                        tracing::error!(partner = %tracks.partner, cause = %err, "air picture: partner source refused");
                        return None;
                    }
                }
            }
        };
        let mut latest: Option<f64> = None;
        for record in tracks.records {
            let result = match record {
                LinkRecord::State { report, .. } => {
                    let time_s = report.time_s;
                    let pushed = self.tracker.push_system_track(source, &report);
                    if pushed.is_ok() {
                        latest = Some(latest.map_or(time_s, |t| t.max(time_s)));
                    }
                    pushed
                }
                LinkRecord::Ended { track_number } => {
                    self.tracker.end_system_track(source, track_number)
                }
            };
            match result {
                Ok(()) => self.metrics.partner_reports.inc(),
                Err(err) => {
                    self.metrics.partner_reports_refused.inc();
                    tracing::debug!(partner = %tracks.partner, cause = %err, "air picture: partner track refused");
                }
            }
        }
        latest
    }

    fn count_stats(&self, previous: &mut liptako_track::TrackerStats) {
        let now = self.tracker.stats();
        let m = &self.metrics;
        m.tracker_plots
            .add(now.plots.saturating_sub(previous.plots));
        m.tracker_adsb_reports
            .add(now.adsb_reports.saturating_sub(previous.adsb_reports));
        m.tracker_tracks_confirmed.add(
            now.tracks_confirmed
                .saturating_sub(previous.tracks_confirmed),
        );
        m.tracker_tracks_deleted
            .add(now.tracks_deleted.saturating_sub(previous.tracks_deleted));
        *previous = now.clone();
    }
}

/// Per sensor: `None` if not heard lately, else whether its clock is in step with the others
/// (not more than [`OUT_OF_STEP_S`] ahead of the median sensor; of two middle sensors, the one
/// nearer the node's clock stands for the median).
fn in_step(
    clocks: &[Option<SensorClock>],
    timeouts: &[Duration],
    now: Instant,
) -> Vec<Option<bool>> {
    let active: Vec<Option<SensorClock>> = clocks
        .iter()
        .zip(timeouts)
        .map(|(clock, timeout)| {
            clock.filter(|c| now.saturating_duration_since(c.heard) <= *timeout)
        })
        .collect();
    let mut offsets: Vec<f64> = active.iter().flatten().map(|c| c.offset_s).collect();
    offsets.sort_by(f64::total_cmp);
    let n = offsets.len();
    let reference = match n {
        0 => return vec![None; clocks.len()],
        _ if n % 2 == 1 => offsets.get(n / 2).copied().unwrap_or(0.0),
        _ => {
            let (a, b) = (
                offsets.get(n / 2 - 1).copied().unwrap_or(0.0),
                offsets.get(n / 2).copied().unwrap_or(0.0),
            );
            if a.abs() <= b.abs() { a } else { b }
        }
    };
    active
        .iter()
        .map(|clock| clock.map(|c| c.offset_s <= reference + OUT_OF_STEP_S))
        .collect()
}

/// The picture clock (see the module doc): `None` before any data.
fn picture_watermark(
    clocks: &[Option<SensorClock>],
    step: &[Option<bool>],
    newest: Option<(f64, Instant)>,
    max_delay_s: f64,
    now: Instant,
) -> Option<f64> {
    let (newest_s, newest_at) = newest?;
    let (slowest, fastest) = clocks
        .iter()
        .zip(step)
        .filter(|(_, step)| **step == Some(true))
        .filter_map(|(clock, _)| clock.map(|c| c.data_s))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), t| {
            (lo.min(t), hi.max(t))
        });
    // Time goes on when the sensors say nothing.
    let silent_s = now.saturating_duration_since(newest_at).as_secs_f64();
    let mut watermark = newest_s + silent_s - max_delay_s;
    if fastest.is_finite() {
        watermark = watermark.max(slowest).max(fastest - max_delay_s);
    }
    watermark.is_finite().then_some(watermark)
}

fn log_refusal(
    now: Instant,
    settings: &AirSettings,
    sensor: usize,
    err: &TrackerError,
    last_log: &mut [Option<Instant>],
    suppressed: &mut [u64],
) {
    let (Some(last), Some(count)) = (last_log.get_mut(sensor), suppressed.get_mut(sensor)) else {
        return;
    };
    if last.is_some_and(|at| now.saturating_duration_since(at) < LOG_INTERVAL) {
        *count += 1;
        return;
    }
    let name = settings.sensors.get(sensor).map_or("?", |s| s.id.as_str());
    tracing::warn!(
        sensor = name,
        cause = %err,
        suppressed = *count,
        "air picture: measurement refused"
    );
    *last = Some(now);
    *count = 0;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(data_s: f64, ago: Duration, now: Instant) -> Option<SensorClock> {
        Some(SensorClock {
            data_s,
            heard: now - ago,
            offset_s: data_s - 1_000.0,
        })
    }

    fn watermark(
        clocks: &[Option<SensorClock>],
        newest: Option<(f64, Instant)>,
        now: Instant,
    ) -> Option<f64> {
        let timeouts = vec![Duration::from_secs(12); clocks.len()];
        let step = in_step(clocks, &timeouts, now);
        picture_watermark(clocks, &step, newest, 2.0, now)
    }

    #[test]
    fn the_picture_waits_for_the_slowest_sensor_within_limits() {
        let now = Instant::now() + Duration::from_secs(120);
        let newest = Some((1_000.0, now));
        // All sensors close together: the slowest decides.
        let clocks = [
            clock(999.5, Duration::ZERO, now),
            clock(1_000.0, Duration::ZERO, now),
            clock(999.8, Duration::ZERO, now),
        ];
        assert_eq!(watermark(&clocks, newest, now), Some(999.5));
        // One lags by 30 s: the picture does not wait more than max_delay.
        let clocks = [
            clock(970.0, Duration::ZERO, now),
            clock(1_000.0, Duration::ZERO, now),
            None,
        ];
        assert_eq!(watermark(&clocks, newest, now), Some(998.0));
        // A sensor silent past its timeout no longer counts.
        let clocks = [
            clock(900.0, Duration::from_secs(60), now),
            clock(1_000.0, Duration::ZERO, now),
            None,
        ];
        assert_eq!(watermark(&clocks, newest, now), Some(1_000.0));
        // Everyone silent: the node's clock moves the picture on.
        let newest = Some((1_000.0, now - Duration::from_secs(30)));
        let clocks = [clock(1_000.0, Duration::from_secs(30), now), None, None];
        assert_eq!(watermark(&clocks, newest, now), Some(1_028.0));
        assert_eq!(watermark(&[None], None, now), None);
    }

    #[test]
    fn a_clock_far_ahead_of_the_others_does_not_move_the_picture() {
        let now = Instant::now() + Duration::from_secs(120);
        let clocks = [
            clock(1_000.0, Duration::ZERO, now),
            clock(1_400.0, Duration::ZERO, now),
            clock(999.0, Duration::ZERO, now),
        ];
        let timeouts = [Duration::from_secs(12); 3];
        assert_eq!(
            in_step(&clocks, &timeouts, now),
            vec![Some(true), Some(false), Some(true)]
        );
        assert_eq!(watermark(&clocks, Some((1_000.0, now)), now), Some(999.0));
        // Of two, the one nearer the node's clock is believed.
        let two = [
            clock(1_000.0, Duration::ZERO, now),
            clock(1_400.0, Duration::ZERO, now),
        ];
        assert_eq!(
            in_step(&two, &timeouts[..2], now),
            vec![Some(true), Some(false)]
        );
        // A whole feed ahead of the node's clock (a fast replay) is in step with itself.
        let replay = [
            clock(5_000.0, Duration::ZERO, now),
            clock(5_001.0, Duration::ZERO, now),
        ];
        assert_eq!(
            in_step(&replay, &timeouts[..2], now),
            vec![Some(true), Some(true)]
        );
    }
}
