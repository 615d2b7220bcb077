//! Built-in scenarios (used by the tests, the benchmark, `liptako simulate` and the demo) and
//! [`run`], which feeds a scenario through a [`Tracker`] the way the node would: plots as their
//! sectors are emitted, CAT034-style sector crossings, ADS-B reports, and a picture every
//! period once every radar has moved past it.

use crate::rng::Rng;
use crate::sensor::{AdsbConfig, RangeGeometry, SensorId};
use crate::sim::{
    Leg, Scenario, ScenarioError, SimAdsb, SimAircraft, SimEvent, SimRadar, Simulator, TruthSample,
};
use crate::tracker::{Event, Picture, Tracker, TrackerConfig, TrackerStats};

/// Names accepted by [`by_name`].
pub const NAMES: [&str; 8] = [
    "crossing",
    "manoeuvring",
    "border",
    "no-transponder",
    "clutter",
    "dense",
    "demo",
    "joint",
];

/// A built-in scenario by name, with the given seed.
pub fn by_name(name: &str, seed: u64) -> Option<Scenario> {
    Some(match name {
        "crossing" => crossing(seed),
        "manoeuvring" => manoeuvring(seed),
        "border" => border(seed),
        "no-transponder" => no_transponder(seed),
        "clutter" => clutter(seed, 20.0, 600.0),
        "dense" => dense(seed, 500, 4, 120.0),
        "demo" => demo(seed),
        "joint" => joint(seed),
        _ => return None,
    })
}

/// A typical en-route/approach surveillance radar (plane geometry, as the offline format).
pub fn radar(name: &str, lat_deg: f64, lon_deg: f64, start_azimuth_deg: f64) -> SimRadar {
    SimRadar {
        name: name.into(),
        sac: 0,
        sic: 0,
        lat_deg,
        lon_deg,
        height_m: 30.0,
        range_sigma_m: 50.0,
        azimuth_sigma_deg: 0.08,
        range_bias_m: 0.0,
        azimuth_bias_deg: 0.0,
        pd: 0.9,
        period_s: 4.0,
        max_range_m: 250_000.0,
        min_range_m: 500.0,
        start_azimuth_deg,
        clutter_per_scan: 0.0,
        ssr: true,
        geometry: RangeGeometry::Plane,
        sectors: 32,
    }
}

/// A primary-only aircraft (no transponder).
pub fn aircraft(
    name: &str,
    lat_deg: f64,
    lon_deg: f64,
    heading_deg: f64,
    speed_mps: f64,
) -> SimAircraft {
    SimAircraft {
        name: name.into(),
        start_s: 0.0,
        end_s: None,
        lat_deg,
        lon_deg,
        altitude_m: 6_000.0,
        heading_deg,
        speed_mps,
        legs: Vec::new(),
        mode_s: None,
        mode3a: None,
        callsign: None,
        adsb: false,
        squawks: Vec::new(),
    }
}

fn base(name: &str, seed: u64, duration_s: f64) -> Scenario {
    Scenario {
        name: name.into(),
        seed,
        start_time_s: 0.0,
        duration_s,
        truth_period_s: 1.0,
        radars: Vec::new(),
        adsb: None,
        aircraft: Vec::new(),
    }
}

/// Point at `distance_m` along `bearing_deg` from a point (spherical, for laying out
/// scenarios).
pub fn offset(lat_deg: f64, lon_deg: f64, bearing_deg: f64, distance_m: f64) -> (f64, f64) {
    let r = 6_371_000.0;
    let (lat1, lon1, brg) = (
        lat_deg.to_radians(),
        lon_deg.to_radians(),
        bearing_deg.to_radians(),
    );
    let d = distance_m / r;
    let lat2 = (lat1.sin() * d.cos() + lat1.cos() * d.sin() * brg.cos()).asin();
    let lon2 = lon1 + (brg.sin() * d.sin() * lat1.cos()).atan2(d.cos() - lat1.sin() * lat2.sin());
    (lat2.to_degrees(), lon2.to_degrees())
}

/// Aircraft that meet at `centre` at time `meet_s`: one per heading.
fn converging(
    centre: (f64, f64),
    meet_s: f64,
    headings: &[f64],
    speed_mps: f64,
    prefix: &str,
) -> Vec<SimAircraft> {
    headings
        .iter()
        .enumerate()
        .map(|(i, &h)| {
            let (lat, lon) = offset(centre.0, centre.1, h + 180.0, speed_mps * meet_s);
            aircraft(&format!("{prefix}{i}"), lat, lon, h, speed_mps)
        })
        .collect()
}

/// Crossing targets without transponders (identities must come from kinematics alone): an X
/// at 30 degrees, an X at 90 degrees and a four-way star, seen by two radars.
pub fn crossing(seed: u64) -> Scenario {
    let mut s = base("crossing", seed, 400.0);
    s.radars = vec![radar("R1", 14.0, 0.0, 0.0), radar("R2", 14.6, 1.2, 137.0)];
    s.aircraft.extend(converging(
        (14.4, 0.3),
        200.0,
        &[75.0, 105.0],
        180.0,
        "X30-",
    ));
    s.aircraft
        .extend(converging((14.1, 0.8), 180.0, &[0.0, 90.0], 150.0, "X90-"));
    s.aircraft.extend(converging(
        (14.5, 0.7),
        220.0,
        &[20.0, 110.0, 200.0, 290.0],
        200.0,
        "STAR-",
    ));
    s
}

/// Manoeuvring targets: 3 deg/s turns through 90, 180 and 360 degrees, a 6 deg/s turn, an
/// S-turn and an accelerating climb, seen by one radar (no help from a second one).
pub fn manoeuvring(seed: u64) -> Scenario {
    let mut s = base("manoeuvring", seed, 420.0);
    s.radars = vec![radar("R1", 14.0, 0.5, 0.0)];
    let turn = |rate: f64, secs: f64| Leg {
        duration_s: secs,
        turn_rate_deg_s: rate,
        ..Leg::default()
    };
    let straight = |secs: f64| Leg {
        duration_s: secs,
        ..Leg::default()
    };
    let mut a = aircraft("TURN90", 14.5, 0.0, 90.0, 200.0);
    a.legs = vec![straight(100.0), turn(3.0, 30.0), straight(120.0)];
    let mut b = aircraft("TURN180", 13.6, 0.2, 45.0, 220.0);
    b.legs = vec![straight(80.0), turn(-3.0, 60.0), straight(120.0)];
    let mut c = aircraft("ORBIT", 14.3, 1.1, 0.0, 180.0);
    c.legs = vec![straight(60.0), turn(3.0, 120.0), straight(150.0)];
    let mut d = aircraft("HARD6", 13.8, 1.0, 270.0, 250.0);
    d.legs = vec![
        straight(90.0),
        turn(6.0, 30.0),
        straight(60.0),
        turn(-6.0, 30.0),
        straight(100.0),
    ];
    let mut e = aircraft("S-TURN", 14.0, -0.6, 60.0, 160.0);
    e.legs = vec![
        straight(60.0),
        turn(3.0, 40.0),
        turn(-3.0, 80.0),
        turn(3.0, 40.0),
        straight(100.0),
    ];
    let mut f = aircraft("CLIMB", 14.6, 0.9, 200.0, 120.0);
    f.altitude_m = 1_000.0;
    f.legs = vec![
        straight(60.0),
        Leg {
            duration_s: 100.0,
            acceleration_mps2: 1.0,
            climb_mps: 15.0,
            ..Leg::default()
        },
        straight(100.0),
    ];
    s.aircraft = vec![a, b, c, d, e, f];
    s
}

/// A low, slow aircraft without transponder crossing from Mali into Niger near the
/// Mali/Burkina Faso/Niger tripoint, and an airliner crossing from Burkina Faso into Niger, seen
/// by one radar per nation.
pub fn border(seed: u64) -> Scenario {
    let mut s = base("border", seed, 600.0);
    s.radars = three_border_radars();
    // The MLI/NER border runs roughly north-south-east of the tripoint (14.91N, 0.22E).
    let mut drone = aircraft("DRONE", 15.05, 0.35, 110.0, 45.0);
    drone.altitude_m = 400.0;
    let mut airliner = aircraft("AIRLINER", 14.3, 0.3, 45.0, 230.0);
    airliner.altitude_m = 10_500.0;
    airliner.mode_s = Some(0x0A1B2C);
    airliner.mode3a = Some(0o4321);
    airliner.callsign = Some("ABC123".into());
    s.aircraft = vec![drone, airliner];
    s
}

/// One radar per demo nation around the tripoint: Gao (MLI), Dori (BFA), Ayorou (NER).
pub fn three_border_radars() -> Vec<SimRadar> {
    let mut gao = radar("GAO", 16.25, 0.0, 0.0);
    gao.sac = 1;
    gao.sic = 1;
    let mut dori = radar("DORI", 14.03, -0.03, 120.0);
    dori.sac = 2;
    dori.sic = 1;
    let mut ayorou = radar("AYOROU", 14.73, 0.92, 240.0);
    ayorou.sac = 3;
    ayorou.sic = 1;
    // Different rotation periods, as real radars have.
    dori.period_s = 5.0;
    ayorou.period_s = 4.5;
    vec![gao, dori, ayorou]
}

/// A transponder-less aircraft next to an equipped one, and one that starts squawking 7700.
pub fn no_transponder(seed: u64) -> Scenario {
    let mut s = base("no-transponder", seed, 240.0);
    s.radars = vec![radar("R1", 14.0, 0.5, 0.0)];
    let dark = aircraft("DARK", 14.3, 0.2, 90.0, 60.0);
    let mut lit = aircraft("LIT", 14.6, 0.2, 90.0, 200.0);
    lit.mode_s = Some(0x3C4D5E);
    lit.mode3a = Some(0o3456);
    let mut emergency = aircraft("MAYDAY", 13.7, 0.2, 80.0, 180.0);
    emergency.mode_s = Some(0x3C4D5F);
    emergency.mode3a = Some(0o2341);
    emergency.squawks = vec![crate::sim::Squawk {
        at_s: 120.0,
        code: 0o7700,
    }];
    s.aircraft = vec![dark, lit, emergency];
    s
}

/// Clutter only: two radars with `clutter_per_scan` false plots each per rotation.
pub fn clutter(seed: u64, clutter_per_scan: f64, duration_s: f64) -> Scenario {
    let mut s = base("clutter", seed, duration_s);
    let mut a = radar("R1", 14.0, 0.0, 0.0);
    let mut b = radar("R2", 14.5, 1.0, 90.0);
    a.clutter_per_scan = clutter_per_scan;
    b.clutter_per_scan = clutter_per_scan;
    s.radars = vec![a, b];
    s
}

/// `n_aircraft` aircraft in a 200 km disc, every one of them seen by all `n_radars` radars
/// (placed on a 150 km circle, 400 km range, cruising altitudes above their horizon): the
/// worst case for throughput. A third fly turns, 70 % have transponders, 40 % ADS-B.
pub fn dense(seed: u64, n_aircraft: usize, n_radars: usize, duration_s: f64) -> Scenario {
    let mut s = base("dense", seed, duration_s);
    let centre = (14.5, 0.5);
    let mut rng = Rng::new(seed, 999);
    for k in 0..n_radars {
        let (lat, lon) = offset(
            centre.0,
            centre.1,
            360.0 * k as f64 / n_radars as f64,
            150_000.0,
        );
        let mut r = radar(&format!("R{}", k + 1), lat, lon, rng.uniform() * 360.0);
        r.max_range_m = 400_000.0;
        r.period_s = 4.0 + rng.uniform() * 2.0;
        r.sac = 10;
        r.sic = k as u8 + 1;
        r.clutter_per_scan = 10.0;
        s.radars.push(r);
    }
    s.adsb = Some(SimAdsb {
        name: "ADSB".into(),
        sac: 10,
        sic: 100,
        period_s: 1.0,
        position_sigma_m: 15.0,
        velocity_sigma_mps: 0.5,
    });
    for i in 0..n_aircraft {
        let bearing = rng.uniform() * 360.0;
        let dist = 200_000.0 * rng.uniform().sqrt();
        let (lat, lon) = offset(centre.0, centre.1, bearing, dist);
        let mut a = aircraft(
            &format!("AC{i}"),
            lat,
            lon,
            rng.uniform() * 360.0,
            80.0 + rng.uniform() * 200.0,
        );
        a.altitude_m = 7_500.0 + rng.uniform() * 4_500.0;
        if rng.bernoulli(0.7) {
            a.mode_s = Some(0x100000 + i as u32);
            a.mode3a = Some((i as u16 * 7 + 0o1001) & 0o7777);
            a.adsb = rng.bernoulli(0.4 / 0.7);
        }
        if rng.bernoulli(1.0 / 3.0) {
            let rate = if rng.bernoulli(0.5) { 3.0 } else { -3.0 };
            a.legs = vec![
                Leg {
                    duration_s: 10.0 + rng.uniform() * 60.0,
                    ..Leg::default()
                },
                Leg {
                    duration_s: 20.0 + rng.uniform() * 40.0,
                    turn_rate_deg_s: rate,
                    ..Leg::default()
                },
            ];
        }
        s.aircraft.push(a);
    }
    s
}

/// The demo picture around the Mali/Burkina Faso/Niger tripoint: three national radars with a
/// little clutter, an ADS-B network, airliners on airways, a turning military aircraft, a
/// low and slow drone without transponder crossing from Mali into Niger, an aircraft that
/// squawks 7700 and a helicopter. One hour long.
pub fn demo(seed: u64) -> Scenario {
    let mut s = base("demo", seed, 3_600.0);
    s.radars = three_border_radars();
    for r in &mut s.radars {
        r.clutter_per_scan = 4.0;
        // Real CAT048 carries the slant range from the antenna (the node's default geometry).
        r.geometry = RangeGeometry::Slant;
    }
    s.adsb = Some(SimAdsb {
        name: "ADSB".into(),
        sac: 9,
        sic: 1,
        period_s: 1.0,
        position_sigma_m: 15.0,
        velocity_sigma_mps: 0.5,
    });
    let airliner = |name: &str, lat: f64, lon: f64, hdg: f64, addr: u32, code: u16, cs: &str| {
        let mut a = aircraft(name, lat, lon, hdg, 230.0);
        a.altitude_m = 10_000.0 + f64::from(addr % 5) * 600.0;
        a.mode_s = Some(addr);
        a.mode3a = Some(code);
        a.callsign = Some(cs.into());
        a.adsb = true;
        a
    };
    let mut fighter = aircraft("FIGHTER", 14.4, -0.5, 60.0, 250.0);
    fighter.altitude_m = 6_000.0;
    fighter.mode3a = Some(0o5101);
    fighter.legs = vec![
        Leg {
            duration_s: 120.0,
            ..Leg::default()
        },
        Leg {
            duration_s: 120.0,
            turn_rate_deg_s: 3.0,
            ..Leg::default()
        },
        Leg {
            duration_s: 200.0,
            ..Leg::default()
        },
        Leg {
            duration_s: 60.0,
            turn_rate_deg_s: -6.0,
            ..Leg::default()
        },
    ];
    let mut drone = aircraft("DRONE", 15.05, 0.35, 110.0, 40.0);
    drone.altitude_m = 400.0;
    let mut mayday = airliner("MAYDAY", 14.0, 1.6, 300.0, 0x0D2E3F, 0o2541, "SAH77");
    mayday.squawks = vec![crate::sim::Squawk {
        at_s: 600.0,
        code: 0o7700,
    }];
    let mut helo = aircraft("HELO", 14.05, 0.05, 20.0, 60.0);
    helo.altitude_m = 600.0;
    helo.mode3a = Some(0o7000);
    s.aircraft = vec![
        airliner("AFR541", 16.0, -0.8, 135.0, 0x39AC12, 0o4402, "AFR541"),
        airliner("RAM531", 13.5, 1.5, 315.0, 0x0200F1, 0o4403, "RAM531"),
        airliner("ETH913", 15.5, 1.8, 250.0, 0x04014A, 0o6021, "ETH913"),
        airliner("ASK320", 13.9, -0.6, 70.0, 0x0B0002, 0o3320, "ASK320"),
        fighter,
        drone,
        mayday,
        helo,
    ];
    s
}

/// Two nations' radars overlapping across the Mali/Niger border, for the joint air picture
/// (`crate::confederation`): Ansongo (MLI, radar 0) and Téra (NER, radar 1), 184 km apart,
/// 160 km of range each. Aircraft seen by both (an airliner entering Téra's coverage after
/// 150 s, a transponder-less aircraft all along, two crossing each other at 30 degrees, an
/// aircraft turning through 180 degrees), one seen only by each, and one flying from Téra's
/// coverage alone into both. 800 s.
pub fn joint(seed: u64) -> Scenario {
    let mut s = base("joint", seed, 800.0);
    let mut mli = radar("ANSONGO", 15.4, 0.0, 0.0);
    mli.sac = 1;
    mli.sic = 2;
    mli.max_range_m = 160_000.0;
    mli.clutter_per_scan = 2.0;
    let mut ner = radar("TERA", 14.6, 1.5, 200.0);
    ner.sac = 3;
    ner.sic = 2;
    ner.max_range_m = 160_000.0;
    ner.period_s = 5.0;
    ner.clutter_per_scan = 2.0;
    s.radars = vec![mli, ner];
    let mut airliner = aircraft("BOTH-AIRLINER", 15.6, 0.2, 135.0, 230.0);
    airliner.altitude_m = 10_500.0;
    airliner.mode_s = Some(0x0A2B3C);
    airliner.mode3a = Some(0o4521);
    airliner.callsign = Some("SAH12".into());
    let dark = aircraft("BOTH-DARK", 14.8, 0.5, 60.0, 150.0);
    let mli_only = aircraft("MLI-ONLY", 15.6, -0.9, 0.0, 120.0);
    let mut ner_only = aircraft("NER-ONLY", 14.0, 1.8, 135.0, 120.0);
    ner_only.mode3a = Some(0o3301);
    ner_only.mode_s = Some(0x0C1D2E);
    let mut turner = aircraft("TURNER", 15.1, 0.5, 0.0, 200.0);
    turner.legs = vec![
        Leg {
            duration_s: 100.0,
            ..Leg::default()
        },
        Leg {
            duration_s: 60.0,
            turn_rate_deg_s: 3.0,
            ..Leg::default()
        },
    ];
    let handover = aircraft("HANDOVER", 14.2, 1.9, 315.0, 220.0);
    s.aircraft = vec![airliner, dark, mli_only, ner_only, turner, handover];
    s.aircraft.extend(converging(
        (15.0, 0.8),
        250.0,
        &[75.0, 105.0],
        180.0,
        "CROSS-",
    ));
    s
}

/// What [`run`] collects.
#[derive(Debug, Clone, Default)]
pub struct ScenarioRun {
    pub pictures: Vec<Picture>,
    pub events: Vec<Event>,
    pub truth: Vec<TruthSample>,
    pub stats: TrackerStats,
    /// Plots the radars emitted (true and clutter).
    pub n_plots: usize,
}

/// Feeds a scenario through a tracker with `config` (radars registered in scenario order, then
/// the ADS-B source). `bias_known` tells the tracker the radars' true biases.
pub fn run(
    scenario: &Scenario,
    config: TrackerConfig,
    bias_known: bool,
) -> Result<ScenarioRun, ScenarioError> {
    let sim = Simulator::new(scenario.clone())?;
    let mut tracker = Tracker::new(config);
    run_with(sim, &mut tracker, bias_known)
}

/// Like [`run`] with a tracker the caller made (and may have given an airspace).
pub fn run_with(
    sim: Simulator,
    tracker: &mut Tracker,
    bias_known: bool,
) -> Result<ScenarioRun, ScenarioError> {
    let end = sim.scenario().start_time_s + sim.scenario().duration_s;
    let mut feeder = Feeder::new(tracker, sim.scenario(), bias_known)?;
    for event in sim {
        feeder.feed(event)?;
    }
    Ok(feeder.finish(end))
}

/// Feeds simulator events to a tracker one by one, as a node's tracker task would: radars and
/// ADS-B registered at the start, a picture whenever every radar has moved past a period.
#[derive(Debug)]
pub struct Feeder<'a> {
    tracker: &'a mut Tracker,
    radar_ids: Vec<SensorId>,
    adsb_id: Option<SensorId>,
    /// Per radar, the time of its last sector crossing: all its plots up to then are in.
    radar_clock: Vec<f64>,
    out: ScenarioRun,
}

impl<'a> Feeder<'a> {
    pub fn new(
        tracker: &'a mut Tracker,
        scenario: &Scenario,
        bias_known: bool,
    ) -> Result<Self, ScenarioError> {
        let mut radar_ids = Vec::new();
        for r in &scenario.radars {
            let config = r.tracker_config(bias_known);
            let id = tracker
                .add_radar(config)
                .map_err(|e| ScenarioError::Radar {
                    name: r.name.clone(),
                    message: e.to_string(),
                })?;
            radar_ids.push(id);
        }
        let adsb_id = match &scenario.adsb {
            Some(a) => Some(
                tracker
                    .add_adsb_source(AdsbConfig {
                        position_sigma_m: a.position_sigma_m,
                        ..AdsbConfig::new(a.name.clone())
                    })
                    .map_err(|e| ScenarioError::Scenario(e.to_string()))?,
            ),
            None => None,
        };
        Ok(Self {
            radar_clock: vec![scenario.start_time_s; radar_ids.len()],
            tracker,
            radar_ids,
            adsb_id,
            out: ScenarioRun::default(),
        })
    }

    /// Feeds one event. Simulated measurements are always valid: a refusal is an error.
    pub fn feed(&mut self, event: SimEvent) -> Result<(), ScenarioError> {
        match event {
            SimEvent::Plot { radar, plot, .. } => {
                self.out.n_plots += 1;
                if let Some(&id) = self.radar_ids.get(radar) {
                    self.tracker
                        .push_plot(id, &plot)
                        .map_err(|e| ScenarioError::Scenario(format!("plot refused: {e}")))?;
                }
            }
            SimEvent::SectorCrossing {
                radar,
                azimuth_deg,
                time_s,
                ..
            } => {
                if let Some(&id) = self.radar_ids.get(radar) {
                    self.tracker
                        .sector_crossing(id, azimuth_deg, time_s)
                        .map_err(|e| {
                            ScenarioError::Scenario(format!("sector crossing refused: {e}"))
                        })?;
                }
                if let Some(c) = self.radar_clock.get_mut(radar) {
                    *c = time_s;
                }
                let watermark = self
                    .radar_clock
                    .iter()
                    .copied()
                    .fold(f64::INFINITY, f64::min);
                self.out.pictures.extend(self.tracker.advance(watermark));
                self.out.events.extend(self.tracker.take_events());
            }
            SimEvent::Adsb { report, .. } => {
                if let Some(id) = self.adsb_id {
                    self.tracker.push_adsb(id, &report).map_err(|e| {
                        ScenarioError::Scenario(format!("ADS-B report refused: {e}"))
                    })?;
                }
                if self.radar_ids.is_empty() {
                    // ADS-B only: reports come in time order, so the report time is the watermark.
                    self.out
                        .pictures
                        .extend(self.tracker.advance(report.time_s));
                    self.out.events.extend(self.tracker.take_events());
                }
            }
            SimEvent::Truth(t) => self.out.truth.push(t),
        }
        Ok(())
    }

    /// Advances to `end_s` and returns what was collected.
    pub fn finish(self, end_s: f64) -> ScenarioRun {
        let mut out = self.out;
        out.pictures.extend(self.tracker.advance(end_s));
        out.events.extend(self.tracker.take_events());
        out.stats = self.tracker.stats().clone();
        out
    }
}
