//! The joint air picture: partners' system tracks in the tracker (track-to-track fusion).
//!
//! A source of system tracks ([`SystemTrackSourceConfig`]: a partner node, another system's
//! CAT062) is a sensor of its own kind. Its reports never update one of our filters: each
//! *partner track* (a source's track number) keeps its latest state as reported, and at every
//! picture tick:
//!
//! 1. partner tracks not reported for `stale_after_s` end (their contribution stops);
//! 2. each partner track already *correlated* with one of our joint tracks is checked against
//!    that track's other information (our own sensors' estimate, or the other partners'): a
//!    correlation holds until it fails the wide `decorrelation_chi2` test for
//!    `decorrelation_ticks` pictures in a row (at once if the Mode S addresses conflict), so two
//!    aircraft crossing do not swap partners;
//! 3. the partner tracks not correlated yet are assigned, per source, to our confirmed tracks
//!    and to the joint tracks only partners feed, by optimal assignment on the squared
//!    Mahalanobis distance of position and velocity (the `correlation_chi2` gate, twice as wide
//!    when the Mode S addresses agree) with Mode S and Mode 3/A as aids; at most one track of a
//!    source joins a joint track. A partner track nothing takes becomes a joint track of its
//!    own (an aircraft only partners see: *remote*), confirmed at once;
//! 4. a remote joint track that one of our confirmed tracks now explains is merged into it
//!    (the identity confirmed first stays; the other ends with a `Deleted` event).
//!
//! A joint track's estimate is the covariance intersection of our own sensors' estimate (if
//! any) with each partner track's state predicted to the picture time
//! ([`crate::partner::covariance_intersection`]): no measurement is counted twice, whatever the
//! partners' estimates hold. When our new track confirms where a remote one is, it takes over
//! that identity (one aircraft keeps one id and number on our picture); when our track of a
//! joint aircraft is lost while partners still report it, the joint track goes on as a remote
//! one, again under the same identity.

use std::collections::HashMap;

use super::{
    Event, EventKind, Info, Prediction, SensorKind, SensorSlot, SystemTrack, Track, TrackId,
    Tracker, TrackerError, UnionFind, announce, largest_sigma,
};
use crate::assign;
use crate::geo::plane_velocity_to_local;
use crate::grid::{Cell, Grid};
use crate::mat::{Mat, Vector};
use crate::partner::{
    Contributor, Cov4, PlaneState, State4, SystemTrackReport, SystemTrackSourceConfig,
    covariance_intersection, mahalanobis2, plane_to_local_covariance, to_plane,
};
use crate::sensor::SensorId;
use crate::tracker::{DeletionReason, OwnEstimate, SHARED_CODES};

/// Where a partner track is fused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Host {
    /// One of our own tracks (slot in `Tracker::tracks`).
    Local(u32),
    /// A joint track only partners feed (slot in `Joint::remote`).
    Remote(u32),
}

/// One track of one source: its latest state.
#[derive(Debug, Clone)]
pub(super) struct PartnerTrack {
    pub source: SensorId,
    pub number: u32,
    pub state: PlaneState,
    pub mode3a: Option<u16>,
    pub mode_s: Option<u32>,
    pub callsign: Option<String>,
    pub altitude_m: Option<f64>,
    /// Time of the latest report that carried codes, and the latest applied to the host.
    pub codes_s: Option<f64>,
    pub applied_s: f64,
    pub contributors: Vec<Contributor>,
    pub host: Option<Host>,
    /// Pictures in a row the correlation failed its test.
    pub misfits: u8,
    /// After a failed correlation: no joint track of its own before this time.
    pub hold_until_s: f64,
    pub cell: Option<Cell>,
}

/// A joint track only partners feed.
#[derive(Debug, Clone)]
pub(super) struct RemoteTrack {
    pub id: TrackId,
    pub number: u16,
    pub confirmed_s: f64,
    pub info: Info,
    pub partners: Vec<u32>,
}

/// The tracker's partner tracks and remote joint tracks.
#[derive(Debug)]
pub(super) struct Joint {
    pub partners: Vec<Option<PartnerTrack>>,
    free: Vec<u32>,
    index: HashMap<(u16, u32), u32>,
    /// Partner tracks by their position at the last tick.
    grid: Grid,
    /// Partner tracks held per source.
    per_source: HashMap<u16, usize>,
    refiled_s: f64,
    pub remote: Vec<Option<RemoteTrack>>,
    remote_free: Vec<u32>,
}

impl Joint {
    pub fn new(cell_m: f64) -> Self {
        Self {
            partners: Vec::new(),
            free: Vec::new(),
            index: HashMap::new(),
            grid: Grid::new(cell_m),
            per_source: HashMap::new(),
            refiled_s: f64::NEG_INFINITY,
            remote: Vec::new(),
            remote_free: Vec::new(),
        }
    }

    /// No partner track and no remote joint track.
    pub fn is_empty(&self) -> bool {
        self.partners.iter().all(Option::is_none) && self.remote.iter().all(Option::is_none)
    }

    fn partner(&self, p: u32) -> Option<&PartnerTrack> {
        self.partners.get(p as usize)?.as_ref()
    }

    fn partner_mut(&mut self, p: u32) -> Option<&mut PartnerTrack> {
        self.partners.get_mut(p as usize)?.as_mut()
    }

    fn remote(&self, r: u32) -> Option<&RemoteTrack> {
        self.remote.get(r as usize)?.as_ref()
    }
}

/// A joint track's estimate at one instant.
#[derive(Debug, Clone)]
pub(super) struct JointEstimate {
    pub x: State4,
    pub p: Cov4,
    /// Turn rate in the plane, rad/s counter-clockwise, and the turn mode's probability.
    pub omega: f64,
    pub turn_probability: f64,
    pub last_update_s: f64,
    /// Our own sensors' estimate, its turn rate, and the time of its latest measurement.
    pub own: Option<(State4, Cov4, f64)>,
    pub own_updated_s: f64,
    pub own_coasting: bool,
    pub sensors: Vec<SensorId>,
    pub contributors: Vec<Contributor>,
    pub own_contributors: Vec<Contributor>,
    pub partner_tracks: Vec<(SensorId, u32)>,
}

/// A turn rate from which an estimate counts as manoeuvring: 1 degree per second.
const MANOEUVRE_RAD_S: f64 = 0.017_453_292_519_943_295;

/// A source's track whose state jumps further than its reach plus this is another aircraft
/// under a reused number, metres.
const REUSE_JUMP_M: f64 = 3_000.0;

/// Mode S codes: a match supports a pairing strongly, a mismatch forbids it.
const MODE_S_MATCH_COST: f64 = -12.0;
/// Mode 3/A: a match (of a code not shared by many) supports, a mismatch counts against.
const MODE3A_MATCH_COST: f64 = -4.0;
const MODE3A_MISMATCH_COST: f64 = 6.0;

/// Code evidence between two tracks, in squared-distance units; `None` if the Mode S
/// addresses conflict.
fn code_cost(a: (Option<u32>, Option<u16>), b: (Option<u32>, Option<u16>)) -> Option<f64> {
    let mut cost = 0.0;
    if let (Some(x), Some(y)) = (a.0, b.0) {
        if x != y {
            return None;
        }
        cost += MODE_S_MATCH_COST;
    }
    if let (Some(x), Some(y)) = (a.1, b.1) {
        if x == y {
            if !SHARED_CODES.contains(&x) {
                cost += MODE3A_MATCH_COST;
            }
        } else {
            cost += MODE3A_MISMATCH_COST;
        }
    }
    Some(cost)
}

/// The 4-state part of a filter prediction.
fn four_state(pred: &Prediction) -> (State4, Cov4) {
    let x = Vector::from_array([pred.x.get(0), pred.x.get(1), pred.x.get(2), pred.x.get(3)]);
    (x, pred.p.block::<4, 4>())
}

impl Tracker {
    /// Registers a source of system tracks (a partner node, another system's CAT062 feed).
    pub fn add_system_track_source(
        &mut self,
        config: SystemTrackSourceConfig,
    ) -> Result<SensorId, TrackerError> {
        let bad = |m: &str| Err(TrackerError::BadSensor(config.name.clone(), m.to_string()));
        let positive = [
            config.position_sigma_m,
            config.velocity_sigma_mps,
            config.stale_after_s,
            config.max_position_sigma_m,
            config.max_velocity_sigma_mps,
        ];
        if !positive.iter().all(|v| v.is_finite() && *v > 0.0) {
            return bad("sigmas, limits and staleness must be positive");
        }
        let non_negative = [
            config.accel_psd,
            config.alignment_sigma_m,
            config.alignment_sigma_mps,
            config.replace_after_s,
            config.min_position_sigma_m,
            config.min_velocity_sigma_mps,
        ];
        if !non_negative.iter().all(|v| v.is_finite() && *v >= 0.0) {
            return bad("noise and alignment must be finite and not negative");
        }
        if config.position_sigma_m > config.max_position_sigma_m
            || config.velocity_sigma_mps > config.max_velocity_sigma_mps
        {
            return bad("default sigmas must be within the limits");
        }
        let name = config.name.clone();
        self.add_sensor(SensorKind::SystemTracks(Box::new(config)), name)
    }

    fn source_config(&self, source: SensorId) -> Option<&SystemTrackSourceConfig> {
        match &self.sensors.get(usize::from(source.0))?.kind {
            SensorKind::SystemTracks(c) => Some(c),
            _ => None,
        }
    }

    fn check_source(&self, source: SensorId) -> Result<(), TrackerError> {
        let slot = self
            .sensors
            .get(usize::from(source.0))
            .ok_or(TrackerError::UnknownSensor(source.0))?;
        match slot.kind {
            SensorKind::SystemTracks(_) => Ok(()),
            _ => Err(TrackerError::WrongKind {
                sensor: slot.name.clone(),
                expected: "source of system tracks",
            }),
        }
    }

    /// Takes one report of a source's system track. Bad input (non-finite numbers, absurd
    /// speed or accuracy, a time far from the picture clock, one track more than the source's
    /// `max_tracks`) is an error and nothing of it is kept; a report older than the state held
    /// for its track is ignored (counted). A report that cannot be the aircraft its track
    /// number stood for (another Mode S address, or out of reach of the previous state) starts
    /// a new track under that number (sources reuse numbers); the old one is no longer fed and
    /// ends when stale, unless a new track of the source takes its place first. The report is
    /// fused at the next picture tick.
    pub fn push_system_track(
        &mut self,
        source: SensorId,
        report: &SystemTrackReport,
    ) -> Result<(), TrackerError> {
        self.check_source(source)?;
        let Some(config) = self.source_config(source) else {
            return Err(TrackerError::UnknownSensor(source.0));
        };
        let accel_psd = config.accel_psd;
        let stale_after_s = config.stale_after_s;
        let state = match to_plane(config, &self.plane, report, 2.0 * self.config.max_speed_mps) {
            Ok(s) => s,
            Err(reason) => {
                let sensor = config.name.clone();
                self.stats.partner_reports_rejected += 1;
                return Err(TrackerError::BadReport {
                    sensor,
                    track_number: report.track_number,
                    source: reason,
                });
            }
        };
        if let Err(e) = self.check_time(source, report.time_s) {
            self.stats.partner_reports_rejected += 1;
            return Err(e);
        }
        self.stats.partner_reports += 1;
        self.start_clock(report.time_s);
        let key = (source.0, report.track_number);
        if let Some(&p) = self.joint.index.get(&key)
            && let Some(held) = self.joint.partner(p)
        {
            if report.time_s < held.state.time_s {
                self.stats.partner_reports_superseded += 1;
                return Ok(());
            }
            if self.same_aircraft(held, &state, report, accel_psd, stale_after_s) {
                let has_codes = report.mode3a.is_some() || report.mode_s.is_some();
                if let Some(held) = self.joint.partner_mut(p) {
                    held.state = state;
                    if report.mode3a.is_some() {
                        held.mode3a = report.mode3a;
                    }
                    if report.mode_s.is_some() {
                        held.mode_s = report.mode_s;
                    }
                    if report.callsign.is_some() {
                        held.callsign.clone_from(&report.callsign);
                    }
                    if report.altitude_m.is_some() {
                        held.altitude_m = report.altitude_m;
                    }
                    if has_codes {
                        held.codes_s = Some(report.time_s);
                    }
                    if !report.contributors.is_empty() {
                        held.contributors.clone_from(&report.contributors);
                    }
                }
                return Ok(());
            }
            // The old track stays (unnamed: its number is the new one's now) until it goes
            // stale, so a new track of the source for the same aircraft can still replace it
            // under the same joint identity.
            self.stats.partner_numbers_reused += 1;
            self.joint.index.remove(&key);
        }
        let held = self.joint.per_source.get(&source.0).copied().unwrap_or(0);
        let limit = self.source_config(source).map_or(0, |c| c.max_tracks);
        if held >= limit {
            self.stats.partner_reports_rejected += 1;
            return Err(TrackerError::BadReport {
                sensor: self
                    .source_config(source)
                    .map_or_else(String::new, |c| c.name.clone()),
                track_number: report.track_number,
                source: crate::partner::ReportError::TooManyTracks(held),
            });
        }
        *self.joint.per_source.entry(source.0).or_insert(0) += 1;
        let partner = PartnerTrack {
            source,
            number: report.track_number,
            state,
            mode3a: report.mode3a,
            mode_s: report.mode_s,
            callsign: report.callsign.clone(),
            altitude_m: report.altitude_m,
            codes_s: (report.mode3a.is_some() || report.mode_s.is_some()).then_some(report.time_s),
            applied_s: f64::NEG_INFINITY,
            contributors: report.contributors.clone(),
            host: None,
            misfits: 0,
            hold_until_s: f64::NEG_INFINITY,
            cell: None,
        };
        let p = match self.joint.free.pop() {
            Some(p) => {
                if let Some(entry) = self.joint.partners.get_mut(p as usize) {
                    *entry = Some(partner);
                }
                p
            }
            None => {
                self.joint.partners.push(Some(partner));
                (self.joint.partners.len() - 1) as u32
            }
        };
        self.joint.index.insert(key, p);
        Ok(())
    }

    /// Whether a new report of a held track number can be the same aircraft: same Mode S
    /// address (when both have one), not stale, and within reach of the held state under the
    /// largest acceleration expected.
    fn same_aircraft(
        &self,
        held: &PartnerTrack,
        new: &PlaneState,
        report: &SystemTrackReport,
        accel_psd: f64,
        stale_after_s: f64,
    ) -> bool {
        if let (Some(a), Some(b)) = (held.mode_s, report.mode_s)
            && a != b
        {
            return false;
        }
        let dt = new.time_s - held.state.time_s;
        if dt > stale_after_s {
            return false;
        }
        let (x, p) = held.state.predict(new.time_s, accel_psd);
        let a = self.config.max_accel_mps2;
        let d = (x.get(0) - new.x.get(0)).hypot(x.get(1) - new.x.get(1));
        let sigma = (p.0[0][0] + p.0[1][1] + new.p.0[0][0] + new.p.0[1][1]).sqrt();
        // A source's estimate may jump when its tracker catches a manoeuvre it lagged: only
        // a jump no tracker makes says another aircraft.
        d <= 0.5 * a * dt * dt + 4.0 * sigma + REUSE_JUMP_M
    }

    /// The source says its track ended (or its marking no longer lets it reach us): its
    /// contribution stops at once. An unknown number is no error.
    pub fn end_system_track(
        &mut self,
        source: SensorId,
        track_number: u32,
    ) -> Result<(), TrackerError> {
        self.check_source(source)?;
        if let Some(p) = self.joint.index.get(&(source.0, track_number)).copied() {
            let time_s = self.watermark_s.or(self.reference_s).unwrap_or(0.0);
            self.end_partner(p, time_s);
        }
        Ok(())
    }

    /// Every track of a source ends (the link to a partner was reset, or the source removed).
    pub fn end_system_track_source(&mut self, source: SensorId) -> Result<(), TrackerError> {
        self.check_source(source)?;
        let time_s = self.watermark_s.or(self.reference_s).unwrap_or(0.0);
        let ended: Vec<u32> = self
            .joint
            .partners
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.as_ref().filter(|p| p.source == source).map(|_| i as u32))
            .collect();
        for p in ended {
            self.end_partner(p, time_s);
        }
        Ok(())
    }

    /// Checks the links between partner tracks and joint tracks both ways (every partner
    /// track's host lists it, every listed partner names that host, no partner in two hosts),
    /// for the fuzz targets and property tests.
    #[doc(hidden)]
    pub fn check_joint_links(&self) -> Result<(), String> {
        let mut listed: HashMap<u32, Host> = HashMap::new();
        let hosts = self
            .tracks
            .iter()
            .enumerate()
            .filter_map(|(i, t)| Some((Host::Local(i as u32), &t.as_ref()?.partners)))
            .chain(
                self.joint
                    .remote
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| Some((Host::Remote(i as u32), &r.as_ref()?.partners))),
            );
        for (host, partners) in hosts {
            if let Host::Remote(_) = host
                && partners.is_empty()
            {
                return Err(format!("{host:?} has no partner"));
            }
            for &p in partners {
                if let Some(other) = listed.insert(p, host) {
                    return Err(format!("partner {p} in {other:?} and {host:?}"));
                }
                match self.joint.partner(p) {
                    Some(partner) if partner.host == Some(host) => {}
                    other => return Err(format!("{host:?} lists {p}, which says {other:?}")),
                }
            }
        }
        for (i, partner) in self.joint.partners.iter().enumerate() {
            if let Some(host) = partner.as_ref().and_then(|p| p.host)
                && listed.get(&(i as u32)) != Some(&host)
            {
                return Err(format!(
                    "partner {i} names {host:?}, which does not list it"
                ));
            }
        }
        Ok(())
    }

    /// Number of partner tracks held.
    pub fn n_partner_tracks(&self) -> usize {
        self.joint.partners.iter().flatten().count()
    }

    /// Removes a partner track: its host loses it, and a remote joint track left without
    /// partners ends.
    fn end_partner(&mut self, p: u32, time_s: f64) {
        let Some(partner) = self
            .joint
            .partners
            .get_mut(p as usize)
            .and_then(Option::take)
        else {
            return;
        };
        let key = (partner.source.0, partner.number);
        if self.joint.index.get(&key) == Some(&p) {
            self.joint.index.remove(&key);
        }
        if let Some(cell) = partner.cell {
            self.joint.grid.remove(cell, p);
        }
        self.joint.free.push(p);
        if let Some(n) = self.joint.per_source.get_mut(&partner.source.0) {
            *n = n.saturating_sub(1);
        }
        self.stats.partner_tracks_ended += 1;
        if let Some(host) = partner.host {
            self.detach(p, host, time_s);
        }
    }

    /// Takes partner slot `p` off `host`'s list; a remote host left empty ends.
    fn detach(&mut self, p: u32, host: Host, time_s: f64) {
        match host {
            Host::Local(slot) => {
                if let Some(Some(track)) = self.tracks.get_mut(slot as usize) {
                    track.partners.retain(|&q| q != p);
                }
            }
            Host::Remote(r) => {
                let empty = match self.joint.remote.get_mut(r as usize) {
                    Some(Some(remote)) => {
                        remote.partners.retain(|&q| q != p);
                        remote.partners.is_empty()
                    }
                    _ => false,
                };
                if empty {
                    self.delete_remote(r, time_s, true);
                }
            }
        }
    }

    /// Removes a remote joint track (with a `Deleted` event and its number back, if `announce`).
    fn delete_remote(&mut self, r: u32, time_s: f64, announce: bool) -> Option<RemoteTrack> {
        let remote = self
            .joint
            .remote
            .get_mut(r as usize)
            .and_then(Option::take)?;
        self.joint.remote_free.push(r);
        if announce {
            self.stats.tracks_deleted += 1;
            self.numbers.give_back(remote.number);
            self.events.push(Event {
                time_s,
                track: remote.id,
                track_number: remote.number,
                kind: EventKind::Deleted {
                    reason: DeletionReason::Unseen,
                },
            });
        }
        Some(remote)
    }

    fn link(&mut self, p: u32, host: Host) {
        let Some(partner) = self.joint.partner_mut(p) else {
            return;
        };
        partner.host = Some(host);
        partner.misfits = 0;
        partner.applied_s = f64::NEG_INFINITY;
        match host {
            Host::Local(slot) => {
                if let Some(Some(track)) = self.tracks.get_mut(slot as usize) {
                    track.partners.push(p);
                }
            }
            Host::Remote(r) => {
                if let Some(Some(remote)) = self.joint.remote.get_mut(r as usize) {
                    remote.partners.push(p);
                }
            }
        }
        self.stats.correlations += 1;
    }

    /// Our confirmed track at `slot` was deleted while partners still report its aircraft: the
    /// joint track goes on under the same identity, fed by them.
    pub(super) fn convert_to_remote(&mut self, track: Track) {
        let remote = RemoteTrack {
            id: track.id,
            number: track.number,
            confirmed_s: track.confirmed_s,
            info: track.info,
            partners: track.partners,
        };
        let partners = remote.partners.clone();
        let r = self.alloc_remote(remote);
        for p in partners {
            if let Some(partner) = self.joint.partner_mut(p) {
                partner.host = Some(Host::Remote(r));
            }
        }
    }

    fn alloc_remote(&mut self, remote: RemoteTrack) -> u32 {
        match self.joint.remote_free.pop() {
            Some(r) => {
                if let Some(entry) = self.joint.remote.get_mut(r as usize) {
                    *entry = Some(remote);
                }
                r
            }
            None => {
                self.joint.remote.push(Some(remote));
                (self.joint.remote.len() - 1) as u32
            }
        }
    }

    /// A partner track nothing of ours explains: a new joint track, confirmed at once (the
    /// partner's track is a confirmed system track).
    fn start_remote(&mut self, p: u32, tick: f64) {
        let Some(partner) = self.joint.partner(p) else {
            return;
        };
        let mut info = Info::default();
        if let Some(t) = partner.codes_s {
            info.observe(t, partner.mode3a, partner.mode_s, None, None);
        }
        info.altitude_m = partner.altitude_m;
        info.callsign.clone_from(&partner.callsign);
        let id = TrackId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1).max(1);
        let number = self.numbers.take();
        announce(&mut self.events, &mut info, id, number, tick);
        let r = self.alloc_remote(RemoteTrack {
            id,
            number,
            confirmed_s: tick,
            info,
            partners: Vec::new(),
        });
        self.stats.remote_tracks_started += 1;
        self.link(p, Host::Remote(r));
    }

    /// Our track at `local` and the remote joint track `r` are one aircraft: the remote one's
    /// partners join ours. With `keep_remote_identity` our track takes the remote one's id,
    /// number, flags and airspace state (and, if ours was already on the picture, its own
    /// identity ends with a `Deleted` event); otherwise the remote identity ends so.
    pub(super) fn absorb_remote(
        &mut self,
        local: u32,
        r: u32,
        keep_remote_identity: bool,
        local_announced: bool,
        time_s: f64,
    ) {
        let Some(remote) = self.delete_remote(r, time_s, !keep_remote_identity) else {
            return;
        };
        for &p in &remote.partners {
            if let Some(partner) = self.joint.partner_mut(p) {
                partner.host = Some(Host::Local(local));
            }
        }
        let Some(Some(track)) = self.tracks.get_mut(local as usize) else {
            return;
        };
        track.partners.extend(remote.partners.iter().copied());
        if keep_remote_identity {
            let (old_id, old_number) = (track.id, track.number);
            track.id = remote.id;
            track.number = remote.number;
            track.confirmed_s = remote.confirmed_s;
            track.info.take_identity_state(&remote.info);
            track.info.absorb(remote.info);
            if local_announced {
                self.stats.tracks_deleted += 1;
                self.numbers.give_back(old_number);
                self.events.push(Event {
                    time_s,
                    track: old_id,
                    track_number: old_number,
                    kind: EventKind::Deleted {
                        reason: DeletionReason::Unseen,
                    },
                });
            }
        } else {
            track.info.absorb(remote.info);
        }
    }

    /// The partner's state of track `p` at `t`.
    fn partner_at(&self, partner: &PartnerTrack, t: f64) -> (State4, Cov4) {
        let q = self
            .source_config(partner.source)
            .map_or(4.0, |c| c.accel_psd);
        partner.state.predict(t, q)
    }

    /// A partner track's estimate at `t`, for fusion.
    fn partner_piece<'a>(&self, partner: &'a PartnerTrack, t: f64) -> Piece<'a> {
        let (x, p) = self.partner_at(partner, t);
        Piece {
            x,
            p,
            updated_s: partner.state.updated_s,
            fresh: !partner.state.coasting,
            manoeuvring: partner
                .state
                .omega
                .is_some_and(|w| w.abs() >= MANOEUVRE_RAD_S),
            partner: Some(partner),
        }
    }

    /// Slack of the correlation test for a source's tracks.
    fn alignment(&self, source: SensorId) -> Cov4 {
        let (m, v) = self
            .source_config(source)
            .map_or((0.0, 0.0), |c| (c.alignment_sigma_m, c.alignment_sigma_mps));
        Mat::diagonal([m * m, m * m, v * v, v * v])
    }

    /// The fusion of partner tracks `ps` at `t` ([`fuse_pieces`]), skipping `except`.
    fn fuse_partners(&self, ps: &[u32], except: Option<u32>, t: f64) -> Option<(State4, Cov4)> {
        let mut pieces: Vec<Piece<'_>> = ps
            .iter()
            .filter(|&&p| Some(p) != except)
            .filter_map(|&p| self.joint.partner(p))
            .map(|partner| self.partner_piece(partner, t))
            .collect();
        fuse_pieces(&mut pieces, self.config.fusion_chi2).0
    }

    /// What a host knows of its aircraft at `t` without partner track `except`: our own
    /// sensors' estimate for our tracks, the other partners' for a remote one (`None` if
    /// `except` is its only one).
    fn host_reference(&self, host: Host, except: Option<u32>, t: f64) -> Option<(State4, Cov4)> {
        match host {
            Host::Local(slot) => {
                let track = self.tracks.get(slot as usize)?.as_ref()?;
                Some(four_state(&track.filter.predict(&self.config.filter, t)))
            }
            Host::Remote(r) => {
                let remote = self.joint.remote(r)?;
                self.fuse_partners(&remote.partners, except, t)
            }
        }
    }

    fn host_info(&self, host: Host) -> Option<&Info> {
        match host {
            Host::Local(slot) => Some(&self.tracks.get(slot as usize)?.as_ref()?.info),
            Host::Remote(r) => Some(&self.joint.remote(r)?.info),
        }
    }

    fn host_partners(&self, host: Host) -> &[u32] {
        match host {
            Host::Local(slot) => self
                .tracks
                .get(slot as usize)
                .and_then(Option::as_ref)
                .map_or(&[], |t| t.partners.as_slice()),
            Host::Remote(r) => self.joint.remote(r).map_or(&[], |t| t.partners.as_slice()),
        }
    }

    fn host_has_source(&self, host: Host, source: SensorId) -> bool {
        self.host_partners(host)
            .iter()
            .any(|&q| self.joint.partner(q).is_some_and(|p| p.source == source))
    }

    /// Cost of fusing partner track `p` (state `pred` at `t`) into `host`: squared distance
    /// plus code evidence, within the correlation gate.
    fn pair_cost(&self, p: u32, pred: &(State4, Cov4), host: Host, t: f64) -> Option<f64> {
        let partner = self.joint.partner(p)?;
        let info = self.host_info(host)?;
        let codes = code_cost((partner.mode_s, partner.mode3a), (info.mode_s, info.mode3a))?;
        let reference = self.host_reference(host, Some(p), t)?;
        self.gated_cost(pred, &reference, &self.alignment(partner.source), codes)
    }

    /// The cost of pairing two estimates of one aircraft (squared distance plus the code
    /// evidence `codes`), if within the correlation gate (twice as wide on agreeing Mode S).
    fn gated_cost(
        &self,
        a: &(State4, Cov4),
        b: &(State4, Cov4),
        slack: &Cov4,
        codes: f64,
    ) -> Option<f64> {
        let d2 = mahalanobis2((&a.0, &a.1), (&b.0, &b.1), slack)?;
        let gate = if codes <= MODE_S_MATCH_COST {
            2.0 * self.config.correlation_chi2
        } else {
            self.config.correlation_chi2
        };
        (d2 <= gate).then_some(d2 + codes)
    }

    /// Where partner tracks near `xy` (filed at the last tick) can be, for a query at `t`.
    fn partner_search_radius(&self, t: f64) -> f64 {
        let age = (t - self.joint.refiled_s)
            .abs()
            .min(self.config.max_coast_s);
        let age = if age.is_finite() {
            age
        } else {
            self.config.max_coast_s
        };
        self.config.max_gate_m + self.config.max_speed_mps * (age + 1.0)
    }

    /// Joint tracks near `xy` at `t` that could take a track of `source` reported at
    /// `reported_s`: our confirmed tracks and remote ones, without a partner of that source
    /// already, unless that partner has been silent for the source's `replace_after_s` (the
    /// new track replaces it). Sorted.
    fn hosts_near(&self, xy: [f64; 2], t: f64, source: Option<(SensorId, f64)>) -> Vec<Host> {
        let mut out: Vec<Host> = Vec::new();
        self.grid.for_each_near(xy, self.search_radius(t), |s| {
            if let Some(Some(track)) = self.tracks.get(s as usize)
                && track.confirmed()
            {
                out.push(Host::Local(s));
            }
        });
        self.joint
            .grid
            .for_each_near(xy, self.partner_search_radius(t), |q| {
                if let Some(Host::Remote(r)) = self.joint.partner(q).and_then(|p| p.host) {
                    out.push(Host::Remote(r));
                }
            });
        out.sort_unstable();
        out.dedup();
        if let Some((source, reported_s)) = source {
            let replace_after = self
                .source_config(source)
                .map_or(f64::INFINITY, |c| c.replace_after_s);
            out.retain(|&h| {
                self.host_partners(h).iter().all(|&q| {
                    self.joint.partner(q).is_none_or(|q| {
                        q.source != source || q.state.time_s + replace_after < reported_s
                    })
                })
            });
        }
        out
    }

    /// The remote joint track our new track at `slot` (being confirmed at `t`) continues, if
    /// any: the closest within the correlation gate whose codes do not conflict.
    pub(super) fn remote_for(&self, slot: u32, t: f64) -> Option<u32> {
        if self.joint.remote.iter().all(Option::is_none) {
            return None;
        }
        let track = self.tracks.get(slot as usize)?.as_ref()?;
        let own = four_state(&track.filter.predict(&self.config.filter, t));
        let xy = [own.0.get(0), own.0.get(1)];
        let mut best: Option<(f64, u32)> = None;
        for host in self.hosts_near(xy, t, None) {
            let Host::Remote(r) = host else { continue };
            let Some(remote) = self.joint.remote(r) else {
                continue;
            };
            let Some(reference) = self.fuse_partners(&remote.partners, None, t) else {
                continue;
            };
            let Some(cost) = self.local_remote_cost(track, &own, remote, &reference) else {
                continue;
            };
            if best.is_none_or(|(b, _)| cost < b) {
                best = Some((cost, r));
            }
        }
        best.map(|(_, r)| r)
    }

    /// The cost of taking our track (`own`: its estimate) and a remote joint track (`remote`:
    /// its partners' fused estimate) for one aircraft, within the correlation gate.
    fn local_remote_cost(
        &self,
        track: &Track,
        own: &(State4, Cov4),
        remote: &RemoteTrack,
        estimate: &(State4, Cov4),
    ) -> Option<f64> {
        let codes = code_cost(
            (track.info.mode_s, track.info.mode3a),
            (remote.info.mode_s, remote.info.mode3a),
        )?;
        let slack = remote
            .partners
            .first()
            .and_then(|&p| self.joint.partner(p))
            .map_or_else(Cov4::zeros, |p| self.alignment(p.source));
        self.gated_cost(own, estimate, &slack, codes)
    }

    /// Partner tracks at a picture tick (see the module documentation): staleness,
    /// correlation checks, new correlations, merges, codes.
    pub(super) fn partner_tick(&mut self, tick: f64) {
        if self.joint.is_empty() {
            return;
        }
        // 1. Stale partner tracks end.
        let stale: Vec<u32> = self
            .joint
            .partners
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let p = p.as_ref()?;
                let limit = self
                    .source_config(p.source)
                    .map_or(0.0, |c| c.stale_after_s);
                (tick - p.state.time_s > limit).then_some(i as u32)
            })
            .collect();
        for p in stale {
            self.end_partner(p, tick);
        }
        // 2. Refile every partner track at its position now.
        for i in 0..self.joint.partners.len() {
            let Some(Some(partner)) = self.joint.partners.get(i) else {
                continue;
            };
            let (x, _) = self.partner_at(partner, tick);
            let cell = self.joint.grid.cell_of([x.get(0), x.get(1)]);
            let old = partner.cell;
            if old != Some(cell) {
                if let Some(old) = old {
                    self.joint.grid.remove(old, i as u32);
                }
                self.joint.grid.insert(cell, i as u32);
                if let Some(Some(partner)) = self.joint.partners.get_mut(i) {
                    partner.cell = Some(cell);
                }
            }
        }
        self.joint.refiled_s = tick;
        // 3. Held correlations.
        self.check_correlations(tick);
        // 4. New ones, source by source.
        let mut sources: Vec<SensorId> = self
            .joint
            .partners
            .iter()
            .flatten()
            .filter(|p| p.host.is_none())
            .map(|p| p.source)
            .collect();
        sources.sort_unstable();
        sources.dedup();
        for source in sources {
            self.correlate_source(source, tick);
        }
        // 5. Remote joint tracks our own tracks now explain.
        self.merge_remotes(tick);
        // 6. Codes partners saw, to their hosts.
        for i in 0..self.joint.partners.len() {
            let Some(Some(partner)) = self.joint.partners.get(i) else {
                continue;
            };
            let (Some(host), Some(codes_s)) = (partner.host, partner.codes_s) else {
                continue;
            };
            if codes_s <= partner.applied_s {
                continue;
            }
            let (mode3a, mode_s, altitude, callsign) = (
                partner.mode3a,
                partner.mode_s,
                partner.altitude_m,
                partner.callsign.clone(),
            );
            let info = match host {
                Host::Local(slot) => self
                    .tracks
                    .get_mut(slot as usize)
                    .and_then(Option::as_mut)
                    .map(|t| &mut t.info),
                Host::Remote(r) => self
                    .joint
                    .remote
                    .get_mut(r as usize)
                    .and_then(Option::as_mut)
                    .map(|t| &mut t.info),
            };
            if let Some(info) = info {
                info.observe(codes_s, mode3a, mode_s, altitude, callsign.as_ref());
            }
            if let Some(Some(partner)) = self.joint.partners.get_mut(i) {
                partner.applied_s = codes_s;
            }
        }
    }

    /// Step 3 of a tick: each held correlation against the host's other information.
    fn check_correlations(&mut self, tick: f64) {
        let gate = self.config.decorrelation_chi2;
        let limit = self.config.decorrelation_ticks.max(1);
        // (partner, host, held): a kinematic misfit is held, a conflict of addresses is not.
        let mut undo: Vec<(u32, Host, bool)> = Vec::new();
        for i in 0..self.joint.partners.len() {
            let p = i as u32;
            let Some(partner) = self.joint.partner(p) else {
                continue;
            };
            let Some(host) = partner.host else { continue };
            let Some(info) = self.host_info(host) else {
                continue;
            };
            let Some(codes) =
                code_cost((partner.mode_s, partner.mode3a), (info.mode_s, info.mode3a))
            else {
                undo.push((p, host, false));
                continue;
            };
            let fits = match self.host_reference(host, Some(p), tick) {
                None => true,
                Some(reference) => {
                    let pred = self.partner_at(partner, tick);
                    let gate = if codes <= MODE_S_MATCH_COST {
                        2.0 * gate
                    } else {
                        gate
                    };
                    mahalanobis2(
                        (&pred.0, &pred.1),
                        (&reference.0, &reference.1),
                        &self.alignment(partner.source),
                    )
                    .is_some_and(|d2| d2 <= gate)
                }
            };
            // Our own track coasting (it missed its plots) while the partner's is newer: a
            // disagreement says our estimate is stale, not that the aircraft differs.
            let ours_stale = !fits
                && matches!(host, Host::Local(slot)
                    if self.local_coasting(slot, tick)
                        .is_some_and(|updated| partner.state.updated_s > updated));
            if ours_stale {
                continue;
            }
            if let Some(partner) = self.joint.partner_mut(p) {
                if fits {
                    partner.misfits = 0;
                } else {
                    partner.misfits = partner.misfits.saturating_add(1);
                    if partner.misfits >= limit {
                        undo.push((p, host, true));
                    }
                }
            }
        }
        let hold = self.config.decorrelated_hold_s;
        for (p, host, held) in undo {
            if let Some(partner) = self.joint.partner_mut(p) {
                partner.host = None;
                partner.misfits = 0;
                if held {
                    partner.hold_until_s = tick + hold;
                }
            }
            self.stats.decorrelations += 1;
            self.detach(p, host, tick);
        }
    }

    /// If our track at `slot` is coasting, the time of its last update: nothing updated it
    /// for one and a half of its slowest sensor's periods. (One missed plot is not enough: a
    /// radar misses one in ten.)
    pub(super) fn local_coasting(&self, slot: u32, tick: f64) -> Option<f64> {
        let track = self.tracks.get(slot as usize)?.as_ref()?;
        let slowest = track
            .hits_by
            .iter()
            .filter_map(|h| self.sensors.get(usize::from(h.sensor.0)))
            .filter_map(SensorSlot::period_s)
            .fold(0.0, f64::max);
        (tick - track.last_update_s > 1.5 * slowest).then_some(track.last_update_s)
    }

    /// Step 4 of a tick: a source's uncorrelated tracks against the joint tracks near them.
    fn correlate_source(&mut self, source: SensorId, tick: f64) {
        let open: Vec<u32> = self
            .joint
            .partners
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                p.as_ref()
                    .filter(|p| p.source == source && p.host.is_none())
                    .map(|_| i as u32)
            })
            .collect();
        let gate = self.config.correlation_chi2;
        // Gated pairs: (partner index in `open`, host index in `hosts`, cost).
        let mut hosts: Vec<Host> = Vec::new();
        let mut edges: Vec<(usize, usize, f64)> = Vec::new();
        for (k, &p) in open.iter().enumerate() {
            let Some(partner) = self.joint.partner(p) else {
                continue;
            };
            let pred = self.partner_at(partner, tick);
            let xy = [pred.0.get(0), pred.0.get(1)];
            let reported_s = partner.state.time_s;
            for host in self.hosts_near(xy, tick, Some((source, reported_s))) {
                if host_contains(self, host, p) {
                    continue;
                }
                let Some(cost) = self.pair_cost(p, &pred, host, tick) else {
                    continue;
                };
                let h = match hosts.iter().position(|&x| x == host) {
                    Some(h) => h,
                    None => {
                        hosts.push(host);
                        hosts.len() - 1
                    }
                };
                edges.push((k, h, cost));
            }
        }
        // Clusters of the gating graph, each solved optimally.
        let (n_p, n_h) = (open.len(), hosts.len());
        let mut uf = UnionFind::new(n_p + n_h);
        for &(k, h, _) in &edges {
            uf.union(k, n_p + h);
        }
        let mut clusters: Vec<(usize, Vec<usize>, Vec<usize>)> = Vec::new();
        for k in 0..n_p {
            let root = uf.find(k);
            match clusters.iter_mut().find(|c| c.0 == root) {
                Some(c) => c.1.push(k),
                None => clusters.push((root, vec![k], Vec::new())),
            }
        }
        for h in 0..n_h {
            let root = uf.find(n_p + h);
            if let Some(c) = clusters.iter_mut().find(|c| c.0 == root) {
                c.2.push(h);
            }
        }
        let cost_of = |k: usize, h: usize| edges.iter().find(|e| e.0 == k && e.1 == h).map(|e| e.2);
        let mut links: Vec<(u32, Host)> = Vec::new();
        let mut unmatched: Vec<u32> = Vec::new();
        for (_, ps, hs) in &clusters {
            if hs.is_empty() {
                unmatched.extend(ps.iter().filter_map(|&k| open.get(k).copied()));
                continue;
            }
            let keep = vec![0.0; hs.len()];
            let leave = vec![gate; ps.len()];
            let solution = assign::assign(
                hs.len(),
                ps.len(),
                |a, b| match (hs.get(a), ps.get(b)) {
                    (Some(&h), Some(&k)) => cost_of(k, h),
                    _ => None,
                },
                &keep,
                &leave,
            );
            let mut taken = vec![false; ps.len()];
            for (a, choice) in solution.into_iter().enumerate() {
                if let (Some(b), Some(&h)) = (choice, hs.get(a))
                    && let (Some(&k), Some(&host)) = (ps.get(b), hosts.get(h))
                    && let Some(&p) = open.get(k)
                {
                    links.push((p, host));
                    if let Some(t) = taken.get_mut(b) {
                        *t = true;
                    }
                }
            }
            for (b, &k) in ps.iter().enumerate() {
                if !taken.get(b).copied().unwrap_or(false)
                    && let Some(&p) = open.get(k)
                {
                    unmatched.push(p);
                }
            }
        }
        for (p, host) in links {
            // Tracks of the same source this one replaces (hosts_near let them through).
            let replaced: Vec<u32> = self
                .host_partners(host)
                .iter()
                .copied()
                .filter(|&q| self.joint.partner(q).is_some_and(|q| q.source == source))
                .collect();
            self.link(p, host);
            for q in replaced {
                self.end_partner(q, tick);
            }
        }
        unmatched.sort_unstable();
        for p in unmatched {
            if self.joint.partner(p).is_some_and(|q| q.hold_until_s > tick) {
                continue;
            }
            self.start_remote(p, tick);
        }
    }

    /// Step 5 of a tick: a remote joint track one of our confirmed tracks explains (one with no
    /// partner of the same sources) joins it; the identity confirmed first stays.
    fn merge_remotes(&mut self, tick: f64) {
        for r in 0..self.joint.remote.len() as u32 {
            let Some(remote) = self.joint.remote(r) else {
                continue;
            };
            let Some(estimate) = self.fuse_partners(&remote.partners, None, tick) else {
                continue;
            };
            let sources: Vec<SensorId> = remote
                .partners
                .iter()
                .filter_map(|&p| self.joint.partner(p).map(|p| p.source))
                .collect();
            let xy = [estimate.0.get(0), estimate.0.get(1)];
            let mut best: Option<(f64, u32)> = None;
            for host in self.hosts_near(xy, tick, None) {
                let Host::Local(slot) = host else { continue };
                if sources.iter().any(|&s| self.host_has_source(host, s)) {
                    continue;
                }
                let Some(track) = self.tracks.get(slot as usize).and_then(Option::as_ref) else {
                    continue;
                };
                let own = four_state(&track.filter.predict(&self.config.filter, tick));
                let Some(cost) = self.local_remote_cost(track, &own, remote, &estimate) else {
                    continue;
                };
                if best.is_none_or(|(b, _)| cost < b) {
                    best = Some((cost, slot));
                }
            }
            if let Some((_, slot)) = best {
                let older_remote = self
                    .tracks
                    .get(slot as usize)
                    .and_then(Option::as_ref)
                    .is_some_and(|t| remote.confirmed_s < t.confirmed_s);
                self.absorb_remote(slot, r, older_remote, true, tick);
            }
        }
    }

    /// The estimate of a joint track at `t`: our own sensors' (from `local_pred`, for our
    /// tracks) intersected with each partner track's.
    pub(super) fn joint_estimate(
        &self,
        host: Host,
        local_pred: Option<&Prediction>,
        t: f64,
    ) -> Option<JointEstimate> {
        let recent = 3.0
            * self
                .sensors
                .iter()
                .filter_map(SensorSlot::period_s)
                .fold(1.0, f64::max);
        let (own, partners, own_sensors, own_updated_s, turn_probability) = match host {
            Host::Local(slot) => {
                let track = self.tracks.get(slot as usize)?.as_ref()?;
                let pred = match local_pred {
                    Some(p) => *p,
                    None => track.filter.predict(&self.config.filter, t),
                };
                let sensors: Vec<SensorId> = track
                    .hits_by
                    .iter()
                    .filter(|h| t - h.time_s <= recent)
                    .map(|h| h.sensor)
                    .collect();
                let (x, p) = four_state(&pred);
                (
                    Some((x, p, pred.x.get(4))),
                    track.partners.as_slice(),
                    sensors,
                    track.last_update_s,
                    track.filter.turn_probability(),
                )
            }
            Host::Remote(r) => {
                let remote = self.joint.remote(r)?;
                (
                    None,
                    remote.partners.as_slice(),
                    Vec::new(),
                    f64::NEG_INFINITY,
                    0.0,
                )
            }
        };
        let own_contributors: Vec<Contributor> = own_sensors
            .iter()
            .filter_map(|s| self.sensors.get(usize::from(s.0)))
            .map(|s| Contributor {
                nation: self.config.nation.clone(),
                sensor: s.name.clone(),
            })
            .collect();
        let own_coasting = match host {
            Host::Local(slot) => self.local_coasting(slot, t).is_some(),
            Host::Remote(_) => false,
        };

        let mut pieces: Vec<Piece<'_>> = Vec::with_capacity(partners.len() + 1);
        if let Some((x, p, omega)) = own {
            pieces.push(Piece {
                x,
                p,
                updated_s: own_updated_s,
                fresh: !own_coasting,
                manoeuvring: turn_probability >= 0.5 || omega.abs() >= MANOEUVRE_RAD_S,
                partner: None,
            });
        }
        for partner in partners.iter().filter_map(|&p| self.joint.partner(p)) {
            pieces.push(self.partner_piece(partner, t));
        }
        let (fused, taken) = fuse_pieces(&mut pieces, self.config.fusion_chi2);
        let (x, p) = fused?;
        let mut sensors = Vec::new();
        let mut contributors = Vec::new();
        let mut partner_tracks = Vec::with_capacity(partners.len());
        let mut last_update_s = f64::NEG_INFINITY;
        let mut omega = None;
        for (piece, taken) in pieces.iter().zip(&taken) {
            if let Some(partner) = piece.partner {
                partner_tracks.push((partner.source, partner.number));
            }
            if !taken {
                // Correlated, but not agreeing now: it adds nothing (see `fusion_chi2`).
                continue;
            }
            last_update_s = last_update_s.max(piece.updated_s);
            match piece.partner {
                None => {
                    omega = omega.or(own.map(|o| o.2));
                    sensors.extend(own_sensors.iter().copied());
                    contributors.extend(own_contributors.iter().cloned());
                }
                Some(partner) => {
                    omega = omega.or(partner.state.omega);
                    sensors.push(partner.source);
                    if partner.contributors.is_empty() {
                        let config = self.source_config(partner.source);
                        contributors.push(Contributor {
                            nation: config.and_then(|c| c.nation.clone()),
                            sensor: config.map_or_else(String::new, |c| c.name.clone()),
                        });
                    } else {
                        contributors.extend(partner.contributors.iter().cloned());
                    }
                }
            }
        }
        sensors.sort_unstable();
        sensors.dedup();
        contributors.sort();
        contributors.dedup();
        partner_tracks.sort_unstable();
        Some(JointEstimate {
            x,
            p,
            omega: omega.unwrap_or(0.0),
            turn_probability,
            last_update_s,
            own,
            own_updated_s,
            own_coasting,
            sensors,
            contributors,
            own_contributors,
            partner_tracks,
        })
    }

    /// The picture's view of a joint track.
    pub(super) fn joint_system_track(
        &self,
        id: TrackId,
        number: u16,
        info: &Info,
        estimate: JointEstimate,
    ) -> Option<SystemTrack> {
        let (x, y) = (estimate.x.get(0), estimate.x.get(1));
        let point = self.plane.to_ecef(x, y)?;
        let g = point.surface_geodetic();
        let (ve, vn) =
            plane_velocity_to_local(&self.plane, point, estimate.x.get(2), estimate.x.get(3));
        let covariance = plane_to_local_covariance(&self.plane, g.lat_deg, g.lon_deg, &estimate.p)?;
        let nation = self
            .airspace
            .as_ref()
            .and_then(|a| info.airspace.nation().and_then(|n| a.nation_name(n)))
            .map(str::to_string);
        let own = match estimate.own {
            Some((ox, op, omega)) => {
                let point = self.plane.to_ecef(ox.get(0), ox.get(1))?;
                let og = point.surface_geodetic();
                let (ove, ovn) = plane_velocity_to_local(&self.plane, point, ox.get(2), ox.get(3));
                Some(OwnEstimate {
                    lat_deg: og.lat_deg,
                    lon_deg: og.lon_deg,
                    velocity_east_mps: ove,
                    velocity_north_mps: ovn,
                    turn_rate_deg_s: -omega.to_degrees(),
                    covariance: plane_to_local_covariance(
                        &self.plane,
                        og.lat_deg,
                        og.lon_deg,
                        &op,
                    )?,
                    contributors: estimate.own_contributors,
                    updated_s: estimate.own_updated_s,
                    coasting: estimate.own_coasting,
                })
            }
            None => None,
        };
        Some(SystemTrack {
            id,
            number,
            lat_deg: g.lat_deg,
            lon_deg: g.lon_deg,
            velocity_east_mps: ve,
            velocity_north_mps: vn,
            position_sigma_m: largest_sigma(&estimate.p.block::<2, 2>()),
            turn_rate_deg_s: -estimate.omega.to_degrees(),
            turn_probability: estimate.turn_probability,
            altitude_m: info.altitude_m,
            mode3a: info.mode3a,
            mode_s: info.mode_s,
            callsign: info.callsign.clone(),
            last_update_s: estimate.last_update_s,
            sensors: estimate.sensors,
            nation,
            no_transponder: info.no_transponder,
            emergency: info.emergency,
            covariance,
            contributors: estimate.contributors,
            partner_tracks: estimate.partner_tracks,
            own,
        })
    }

    /// Every remote joint track's slot, identity and estimate at `t`.
    pub(super) fn remote_estimates(&self, t: f64) -> Vec<(u32, JointEstimate)> {
        (0..self.joint.remote.len() as u32)
            .filter_map(|r| {
                self.joint.remote(r)?;
                Some((r, self.joint_estimate(Host::Remote(r), None, t)?))
            })
            .collect()
    }

    pub(super) fn remote_track(&self, r: u32) -> Option<(TrackId, u16, &Info)> {
        let remote = self.joint.remote(r)?;
        Some((remote.id, remote.number, &remote.info))
    }
}

/// One estimate of a joint track's aircraft at the picture time: ours, or a partner's.
struct Piece<'a> {
    x: State4,
    p: Cov4,
    /// Time of its latest measurement.
    updated_s: f64,
    /// Not coasting: its sensors updated it at their latest chance.
    fresh: bool,
    /// Its tracker sees a manoeuvre (a turn rate, or the turn mode the more probable).
    manoeuvring: bool,
    partner: Option<&'a PartnerTrack>,
}

/// Fuses estimates of one aircraft. They are taken in order of belief: those not coasting
/// first, then those whose tracker sees a manoeuvre (when two disagree, the usual reason is
/// one tracker lagging a turn the other has caught: its small covariance belongs to the
/// straight-flight model it still follows), then the more precise (smaller position
/// covariance), ours before a partner's on a tie, then by source and number. The first is
/// taken as it is, each next one by covariance intersection if it agrees with what is fused
/// so far within `gate` (squared Mahalanobis distance, 4 degrees of freedom); one that
/// disagrees adds nothing. Sorts `pieces` in that order and returns the fusion and which
/// pieces it took.
fn fuse_pieces(pieces: &mut [Piece<'_>], gate: f64) -> (Option<(State4, Cov4)>, Vec<bool>) {
    let trace = |p: &Piece<'_>| p.p.0[0][0] + p.p.0[1][1];
    pieces.sort_by(|a, b| {
        b.fresh
            .cmp(&a.fresh)
            .then(b.manoeuvring.cmp(&a.manoeuvring))
            .then(trace(a).total_cmp(&trace(b)))
            .then(a.partner.is_some().cmp(&b.partner.is_some()))
            .then_with(|| {
                let key = |p: &Piece<'_>| p.partner.map(|q| (q.source, q.number));
                key(a).cmp(&key(b))
            })
    });
    let mut fused: Option<(State4, Cov4)> = None;
    let mut taken = vec![false; pieces.len()];
    // A straight-flight estimate's covariance says nothing true of an aircraft another
    // tracker sees turning: it is not fused into a manoeuvring one.
    let manoeuvring = pieces.first().is_some_and(|p| p.manoeuvring);
    let first_fresh = pieces.first().is_some_and(|p| p.fresh);

    for (piece, taken) in pieces.iter().zip(taken.iter_mut()) {
        if manoeuvring && !piece.manoeuvring {
            continue;
        }
        let Some((fx, fp)) = fused.as_mut() else {
            fused = Some((piece.x, piece.p));
            *taken = true;
            continue;
        };
        // Fresh estimates are fused whatever their disagreement (covariance intersection
        // weighs them by their accuracies); a coasting one only if it agrees.
        let agree = (piece.fresh && first_fresh)
            || mahalanobis2((fx, fp), (&piece.x, &piece.p), &Cov4::zeros())
                .is_some_and(|d2| d2 <= gate);
        if !agree {
            continue;
        }
        if let Some((nx, np, _)) = covariance_intersection((fx, fp), (&piece.x, &piece.p)) {
            *fx = nx;
            *fp = np;
        }
        *taken = true;
    }
    (fused, taken)
}

/// Whether partner `p` is already fused into `host`.
fn host_contains(tracker: &Tracker, host: Host, p: u32) -> bool {
    tracker.host_partners(host).contains(&p)
}
