//! A simulated confederation: several nations' trackers, each fed by its own radars from one
//! scenario, sending each other their own tracks over simulated links, as the nodes will.
//! Pure and deterministic (time is the scenario's); used by the joint-picture tests and the
//! benchmark (`bench/joint`).
//!
//! Per picture of each nation's tracker, every track its own sensors hold is offered
//! ([`crate::SystemTrack::report`]) to a [`LinkScheduler`] per partner; the schedulers are
//! polled every `poll_s`; each frame is encoded ([`crate::wire`]), delayed by the link's
//! latency, decoded and fed to the partner's tracker
//! ([`Tracker::push_system_track`], [`Tracker::end_system_track`]). A nation may be restarted
//! mid-run (a new tracker and new links: its track numbers start again from 1, as a restarted
//! node's would), which is how the tests exercise partner track numbers reused.

use std::collections::VecDeque;

use crate::link::{LinkConfig, LinkScheduler, LinkStats, Offer, Priority};
use crate::partner::SystemTrackSourceConfig;
use crate::sensor::{AdsbConfig, SensorId};
use crate::sim::{Scenario, ScenarioError, SimEvent, Simulator, TruthSample};
use crate::tracker::{Event, Picture, Tracker, TrackerConfig, TrackerStats};
use crate::wire::{LinkRecord, WireMarking, decode_frame};

/// One nation: its name and the scenario's radars it owns (by name).
#[derive(Debug, Clone, PartialEq)]
pub struct NationSpec {
    pub nation: String,
    pub radars: Vec<String>,
    /// Receives the scenario's ADS-B network too.
    pub adsb: bool,
}

/// The links between every pair of nations (all alike).
#[derive(Debug, Clone, PartialEq)]
pub struct LinkSpec {
    /// Bytes per second each direction may use; `None` for no links at all (every nation
    /// alone: the single-nation baseline).
    pub budget_bytes_per_s: Option<f64>,
    /// One-way latency, seconds.
    pub latency_s: f64,
    /// How often the schedulers are polled, seconds.
    pub poll_s: f64,
    /// Links down (no frames either way) over this interval, seconds after the start.
    pub outage: Option<(f64, f64)>,
}

impl LinkSpec {
    /// A 64 kbit/s link with 600 ms latency, polled every 100 ms.
    pub fn satellite() -> Self {
        Self {
            budget_bytes_per_s: Some(8_000.0),
            latency_s: 0.6,
            poll_s: 0.1,
            outage: None,
        }
    }

    /// No links.
    pub fn none() -> Self {
        Self {
            budget_bytes_per_s: None,
            latency_s: 0.0,
            poll_s: 0.1,
            outage: None,
        }
    }
}

/// What one nation's tracker produced.
#[derive(Debug, Clone, Default)]
pub struct NationRun {
    pub nation: String,
    pub pictures: Vec<Picture>,
    pub events: Vec<Event>,
    pub stats: TrackerStats,
    /// Per partner (in nation order, itself left out): the scheduler's counters.
    pub links: Vec<(String, LinkStats)>,
    /// Partner reports the tracker refused (bad input: there should be none).
    pub refused: u64,
}

/// What [`run`] collects.
#[derive(Debug, Clone, Default)]
pub struct ConfederationRun {
    pub nations: Vec<NationRun>,
    pub truth: Vec<TruthSample>,
}

struct Node {
    spec: NationSpec,
    tracker: Tracker,
    /// Scenario radar index -> this tracker's sensor, for its own radars.
    radars: Vec<Option<SensorId>>,
    /// Scenario radar index -> time of its last sector crossing (its plots are all in).
    radar_clock: Vec<Option<f64>>,
    adsb: Option<SensorId>,
    /// Per other nation (index into the nations): the source of its tracks here.
    sources: Vec<Option<SensorId>>,
    /// Per other nation: the link scheduler towards it.
    out: Vec<Option<LinkScheduler>>,
    out_stats: Vec<LinkStats>,
    run: NationRun,
}

/// Frames on their way: (arrival time, from, to, bytes).
type InFlight = VecDeque<(f64, usize, usize, Vec<u8>)>;

/// A partner source as the nodes will configure it: the partner's nation, and stale after
/// longer than the link leaves between two reports of a track.
pub fn partner_source(nation: &str) -> SystemTrackSourceConfig {
    SystemTrackSourceConfig {
        nation: Some(nation.to_string()),
        ..SystemTrackSourceConfig::new(nation)
    }
}

fn build_node(
    spec: &NationSpec,
    index: usize,
    nations: &[NationSpec],
    scenario: &Scenario,
    config: &TrackerConfig,
    link: &LinkSpec,
) -> Result<Node, ScenarioError> {
    let mut tracker = Tracker::new(TrackerConfig {
        nation: Some(spec.nation.clone()),
        ..config.clone()
    });
    let mut radars = vec![None; scenario.radars.len()];
    for (i, r) in scenario.radars.iter().enumerate() {
        if spec.radars.contains(&r.name) {
            let id =
                tracker
                    .add_radar(r.tracker_config(false))
                    .map_err(|e| ScenarioError::Radar {
                        name: r.name.clone(),
                        message: e.to_string(),
                    })?;
            if let Some(slot) = radars.get_mut(i) {
                *slot = Some(id);
            }
        }
    }
    let adsb = match (&scenario.adsb, spec.adsb) {
        (Some(a), true) => Some(
            tracker
                .add_adsb_source(AdsbConfig {
                    position_sigma_m: a.position_sigma_m,
                    ..AdsbConfig::new(a.name.clone())
                })
                .map_err(|e| ScenarioError::Scenario(e.to_string()))?,
        ),
        _ => None,
    };
    let mut sources = vec![None; nations.len()];
    let mut out: Vec<Option<LinkScheduler>> = (0..nations.len()).map(|_| None).collect();
    if let Some(budget) = link.budget_bytes_per_s {
        for (j, other) in nations.iter().enumerate() {
            if j == index {
                continue;
            }
            let source = tracker
                .add_system_track_source(partner_source(&other.nation))
                .map_err(|e| ScenarioError::Scenario(e.to_string()))?;
            if let Some(s) = sources.get_mut(j) {
                *s = Some(source);
            }
            let scheduler = LinkScheduler::new(LinkConfig::new(budget))
                .map_err(|e| ScenarioError::Scenario(e.to_string()))?;
            if let Some(o) = out.get_mut(j) {
                *o = Some(scheduler);
            }
        }
    }
    Ok(Node {
        spec: spec.clone(),
        tracker,
        radars,
        radar_clock: vec![None; scenario.radars.len()],
        adsb,
        sources,
        out,
        out_stats: vec![LinkStats::default(); nations.len()],
        run: NationRun {
            nation: spec.nation.clone(),
            ..NationRun::default()
        },
    })
}

/// The marking every simulated track carries (for the wire; the simulation does not filter).
fn sim_marking() -> WireMarking {
    WireMarking {
        level: "DR".into(),
        releasable_to: vec!["AES".into()],
    }
}

impl Node {
    /// The picture clock: every own radar has moved past it.
    fn watermark(&self) -> Option<f64> {
        let mut w: Option<f64> = None;
        for (clock, own) in self.radar_clock.iter().zip(&self.radars) {
            if own.is_none() {
                continue;
            }
            let c = (*clock)?;
            w = Some(w.map_or(c, |w: f64| w.min(c)));
        }
        w
    }

    fn advance(&mut self, t: f64) {
        let pictures = self.tracker.advance(t);
        self.run.events.extend(self.tracker.take_events());
        for picture in pictures {
            let offers: Vec<Offer> = picture
                .tracks
                .iter()
                .filter_map(|track| {
                    Some(Offer {
                        report: track.report(picture.time_s)?,
                        priority: Priority::of(track, false),
                        marking: Some(sim_marking()),
                    })
                })
                .collect();
            for scheduler in self.out.iter_mut().flatten() {
                scheduler.offer(offers.iter().cloned());
            }
            self.run.pictures.push(picture);
        }
    }

    fn receive(&mut self, from: usize, bytes: &[u8]) {
        let Some(source) = self.sources.get(from).copied().flatten() else {
            return;
        };
        let Ok(frame) = decode_frame(bytes) else {
            self.run.refused += 1;
            return;
        };
        for record in frame.records {
            let result = match record {
                LinkRecord::State { report, .. } => self.tracker.push_system_track(source, &report),
                LinkRecord::Ended { track_number } => {
                    self.tracker.end_system_track(source, track_number)
                }
            };
            if result.is_err() {
                self.run.refused += 1;
            }
        }
    }
}

/// Runs `scenario` through one tracker per nation (each with `config`, its nation set), linked
/// as `link` says. `restart` restarts a nation (by index) at a time after the start.
pub fn run(
    scenario: &Scenario,
    nations: &[NationSpec],
    config: &TrackerConfig,
    link: &LinkSpec,
    restart: Option<(usize, f64)>,
) -> Result<ConfederationRun, ScenarioError> {
    if !(link.poll_s.is_finite() && link.poll_s > 0.0 && link.latency_s >= 0.0) {
        return Err(ScenarioError::Scenario(
            "link poll must be positive and latency not negative".into(),
        ));
    }
    let sim = Simulator::new(scenario.clone())?;
    let t0 = scenario.start_time_s;
    let end = t0 + scenario.duration_s;
    let mut nodes: Vec<Node> = nations
        .iter()
        .enumerate()
        .map(|(i, spec)| build_node(spec, i, nations, scenario, config, link))
        .collect::<Result<_, _>>()?;
    let mut in_flight: InFlight = VecDeque::new();
    let mut next_poll = t0;
    let mut truth = Vec::new();
    let mut restart = restart;
    let mut link_down = false;
    for event in sim {
        let t = event.time_s();
        // Links first: everything due before this event.
        while next_poll <= t {
            poll_links(
                &mut nodes,
                &mut in_flight,
                next_poll,
                link,
                t0,
                &mut link_down,
            );
            next_poll += link.poll_s;
        }
        deliver(&mut nodes, &mut in_flight, t);
        if let Some((k, at)) = restart
            && t >= t0 + at
        {
            restart = None;
            if let Some(node) = nodes.get_mut(k) {
                // The restarted node's history stays in the run; its tracker and links are new.
                let fresh = build_node(&node.spec, k, nations, scenario, config, link)?;
                let old = std::mem::replace(node, fresh);
                node.run = old.run;
                node.radar_clock = old.radar_clock;
                for (acc, s) in node.out_stats.iter_mut().zip(old.out.iter()) {
                    if let Some(s) = s {
                        *acc = s.stats().clone();
                    }
                }
            }
        }
        match event {
            SimEvent::Plot { radar, plot, .. } => {
                for node in &mut nodes {
                    if let Some(Some(id)) = node.radars.get(radar) {
                        node.tracker
                            .push_plot(*id, &plot)
                            .map_err(|e| ScenarioError::Scenario(format!("plot refused: {e}")))?;
                    }
                }
            }
            SimEvent::SectorCrossing {
                radar,
                azimuth_deg,
                time_s,
                ..
            } => {
                for node in &mut nodes {
                    let Some(Some(id)) = node.radars.get(radar).copied() else {
                        continue;
                    };
                    node.tracker
                        .sector_crossing(id, azimuth_deg, time_s)
                        .map_err(|e| ScenarioError::Scenario(format!("crossing refused: {e}")))?;
                    if let Some(c) = node.radar_clock.get_mut(radar) {
                        *c = Some(time_s);
                    }
                    if let Some(w) = node.watermark() {
                        node.advance(w);
                    }
                }
            }
            SimEvent::Adsb { report, .. } => {
                for node in &mut nodes {
                    if let Some(id) = node.adsb {
                        node.tracker
                            .push_adsb(id, &report)
                            .map_err(|e| ScenarioError::Scenario(format!("ADS-B refused: {e}")))?;
                    }
                }
            }
            SimEvent::Truth(sample) => truth.push(sample),
        }
    }
    for node in &mut nodes {
        node.advance(end);
    }
    Ok(ConfederationRun {
        nations: nodes
            .into_iter()
            .map(|mut node| {
                node.run.stats = node.tracker.stats().clone();
                for (j, scheduler) in node.out.iter().enumerate() {
                    let Some(scheduler) = scheduler else { continue };
                    let mut stats = node.out_stats.get(j).cloned().unwrap_or_default();
                    add_stats(&mut stats, scheduler.stats());
                    let name = nations.get(j).map(|n| n.nation.clone()).unwrap_or_default();
                    node.run.links.push((name, stats));
                }
                node.run
            })
            .collect(),
        truth,
    })
}

fn add_stats(acc: &mut LinkStats, s: &LinkStats) {
    acc.frames += s.frames;
    acc.bytes += s.bytes;
    acc.bytes_with_overhead += s.bytes_with_overhead;
    acc.states_sent += s.states_sent;
    acc.ended_sent += s.ended_sent;
    acc.states_superseded += s.states_superseded;
    acc.unencodable += s.unencodable;
}

fn poll_links(
    nodes: &mut [Node],
    in_flight: &mut InFlight,
    now: f64,
    link: &LinkSpec,
    t0: f64,
    link_down: &mut bool,
) {
    let down = link
        .outage
        .is_some_and(|(a, b)| now >= t0 + a && now < t0 + b);
    if down != *link_down {
        *link_down = down;
        for node in nodes.iter_mut() {
            for scheduler in node.out.iter_mut().flatten() {
                if down {
                    scheduler.link_down();
                } else {
                    scheduler.link_up(now);
                }
            }
        }
        if down {
            // What was on the wire when the link broke is lost.
            in_flight.clear();
        }
    }
    for (from, node) in nodes.iter_mut().enumerate() {
        for (to, scheduler) in node.out.iter_mut().enumerate() {
            let Some(scheduler) = scheduler else { continue };
            if let Some(frame) = scheduler.poll(now) {
                in_flight.push_back((now + link.latency_s, from, to, frame));
            }
        }
    }
}

fn deliver(nodes: &mut [Node], in_flight: &mut InFlight, t: f64) {
    while let Some((at, _, _, _)) = in_flight.front() {
        if *at > t {
            break;
        }
        let Some((_, from, to, bytes)) = in_flight.pop_front() else {
            break;
        };
        if let Some(node) = nodes.get_mut(to) {
            node.receive(from, &bytes);
        }
    }
}

/// The two nations of [`crate::scenarios::joint`]: Mali with Ansongo, Niger with Téra.
pub fn joint_nations() -> Vec<NationSpec> {
    vec![
        NationSpec {
            nation: "MLI".into(),
            radars: vec!["ANSONGO".into()],
            adsb: false,
        },
        NationSpec {
            nation: "NER".into(),
            radars: vec!["TERA".into()],
            adsb: false,
        },
    ]
}
