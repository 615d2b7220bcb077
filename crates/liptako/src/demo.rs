//! `liptako demo`: a three-nation confederation (MLI, BFA, NER) on this machine, each node with
//! its own embedded storage, federated with the others over mutual TLS (every link accredited
//! up to `C`, so `S` stays home), fed by a scenario around the three-borders area
//! (Liptako-Gourma): protected civilian sites, restricted zones, friendly units of every nation
//! moving, and reports of every marking arriving over time. Mali runs an operation with NER
//! whose pursuit unit crosses into Niger about five minutes after the start, so NER's node gets
//! a pursuit notice to acknowledge; the unit turns back 40 km on and the notice ends. Each
//! nation pools two assets, and NER's request for a helicopter awaits MLI's decision. Simulated sensors (the built-in
//! `demo` scenario of `liptako simulate`, as ASTERIX over UDP) feed each node's air picture:
//! its nation's radar (GAO, DORI, AYOROU) and the shared ADS-B network. Every node takes TAK
//! clients on its CoT ports. Prints each node's URL, login and ports and runs until stopped
//! (Ctrl-C).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use liptako_model::{
    Area, Asset, AssetCategory, AssetStatus, Body, Capabilities, Draft, Expect, Marking, Nation,
    Operation, OperationStatus, Point, Polygon, Report, ReportKind, SiteCategory, SupportPriority,
    SupportPurpose, SupportRequest, Unit, Zone, ZoneKind,
};
use liptako_node::config::air::{SensorKind, SensorSection};
use liptako_node::config::{CONFIG_FILE, Config, ConfigDuration};
use liptako_node::init::{InitOptions, add_link, init_data_dir};
use liptako_node::{Node, pki, server};
use liptako_store::WriteOp;
use tokio::sync::watch;
use uuid::Uuid;

use crate::node_cmd::{runtime, say};

/// `liptako demo`
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the data here (one directory per nation) instead of a temporary directory.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// HTTP port of the first node (MLI); BFA and NER take the next two.
    #[arg(long, default_value_t = 8080)]
    pub base_port: u16,
    /// The admin password of every node; generated and printed when absent.
    #[arg(long)]
    pub password: Option<String>,
    /// Seconds between scenario steps.
    #[arg(long, default_value_t = 5)]
    pub tick_s: u64,
}

/// The demo's nations, in port order.
const NATIONS: [&str; 3] = ["MLI", "BFA", "NER"];
/// Every demo link is accredited up to this level.
const LINK_CEILING: &str = "C";
/// The demo units' ids start here.
const DEMO_UNIT_IDS: u128 = 0x4c49_5054_414b_4f00_8000_0000_0000_0000;
/// Federation ports are the HTTP ports plus this.
const FEDERATION_OFFSET: u16 = 363;
/// CoT ports of the first node are the HTTP port plus these (8087 and 8089 by default); each
/// further node adds [`COT_STRIDE`].
const COT_TCP_OFFSET: u16 = 7;
const COT_TLS_OFFSET: u16 = 9;
const COT_STRIDE: u16 = 100;
/// Each node's ASTERIX sensors listen on the HTTP port plus this (8600, 8601, 8602).
const ASTERIX_OFFSET: u16 = 520;
/// The air scenario the demo's radars play (a built-in of `liptako simulate`).
const AIR_SCENARIO: &str = "demo";

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let temp;
    let root = match &args.data {
        Some(dir) => dir.clone(),
        None => {
            temp = tempfile::Builder::new().prefix("liptako-demo-").tempdir()?;
            temp.path().to_owned()
        }
    };
    let nations: Vec<Nation> = NATIONS
        .iter()
        .map(|code| Nation::parse(code))
        .collect::<Result<_, _>>()?;
    let password = match args.password.clone() {
        Some(password) => password,
        None => liptako_node::auth::generate_password()?,
    };
    let http_port = |idx: usize| args.base_port.saturating_add(idx as u16);
    let federation_port = |idx: usize| http_port(idx).saturating_add(FEDERATION_OFFSET);
    let ports = |idx: usize| NodePorts {
        http: http_port(idx),
        federation: federation_port(idx),
        cot_tcp: args
            .base_port
            .saturating_add(COT_TCP_OFFSET + COT_STRIDE * idx as u16),
        cot_tls: args
            .base_port
            .saturating_add(COT_TLS_OFFSET + COT_STRIDE * idx as u16),
        asterix: http_port(idx).saturating_add(ASTERIX_OFFSET),
    };
    let dirs: Vec<PathBuf> = nations
        .iter()
        .map(|nation| root.join(nation.as_str().to_lowercase()))
        .collect();
    let fresh = !dirs.iter().all(|dir| dir.join(CONFIG_FILE).exists());
    if fresh {
        set_up(&nations, &dirs, &password, &ports)?;
    } else if args.password.is_none() {
        anyhow::bail!(
            "{} holds an earlier demo: pass its --password (or another --data)",
            root.display()
        );
    } else {
        accredit_origin_keys(&nations, &dirs)?;
    }

    let runtime = runtime()?;
    runtime.block_on(async move {
        let (stop, stopped) = watch::channel(false);
        let mut nodes = Vec::new();
        for dir in &dirs {
            nodes.push(Node::open(dir).with_context(|| format!("cannot open {}", dir.display()))?);
        }
        let mut serving = Vec::new();
        for (idx, node) in nodes.iter().enumerate() {
            let addr = SocketAddr::from(([127, 0, 0, 1], http_port(idx)));
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} (try another --base-port)"))?;
            let mut stopped = stopped.clone();
            let shutdown = async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            serving.push(tokio::spawn(server::serve(node.clone(), listener, shutdown)));
        }
        say("Liptako demo: a confederation of three nodes on this machine, federated over mutual TLS");
        say(&format!("links accredited up to {LINK_CEILING}: S never leaves its nation"));
        for (idx, nation) in nations.iter().enumerate() {
            say(&format!(
                "  {nation}  http://127.0.0.1:{}/   login: admin / {password}",
                http_port(idx)
            ));
        }
        say(&format!("data: {}", root.display()));
        for (nation, node) in nations.iter().zip(&nodes) {
            let cot = &node.config().cot;
            let show = |addr: Option<SocketAddr>| addr.map_or("off".into(), |a| a.to_string());
            let anonymous = cot
                .anonymous
                .clearance
                .as_deref()
                .unwrap_or_else(|| node.policy().levels().lowest());
            say(&format!(
                "  {nation}  TAK: CoT TCP {} (anonymous, {anonymous}), TLS {} (client certificates: liptako certs client --data {})",
                show(cot.tcp_listen),
                show(cot.tls_listen),
                node.data_dir().display()
            ));
        }
        // Each node's radars (from its configuration, so that a restarted demo keeps its
        // ports) and the shared ADS-B network.
        let mut radars: Vec<(String, SocketAddr)> = Vec::new();
        let mut adsb: Vec<SocketAddr> = Vec::new();
        for (nation, node) in nations.iter().zip(&nodes) {
            for sensor in &node.config().sensors {
                match sensor.kind {
                    SensorKind::Radar => radars.push((sensor.id.clone(), sensor.listen)),
                    SensorKind::Adsb => adsb.push(sensor.listen),
                    // An operator's own addition: the demo does not simulate other systems.
                    SensorKind::System => {}
                }
            }
            let names: Vec<&str> = node.config().sensors.iter().map(|s| s.id.as_str()).collect();
            if !names.is_empty() {
                say(&format!(
                    "  {nation}  air picture: simulated ASTERIX from {} on {}",
                    names.join(", "),
                    node.config().sensors[0].listen
                ));
            }
        }
        if !radars.is_empty() || !adsb.is_empty() {
            start_radars(radars, adsb)?;
        }
        say("API: POST /api/v1/auth/login, then /api/v1/reports, /units, /zones, /operations, /pursuit-notices, /air/tracks, /links, /live");
        say("MLI's pursuit unit enters Niger about five minutes from now: NER acknowledges with POST /api/v1/pursuit-notices/{id}/acknowledge");
        say("NER asks MLI for a helicopter (the Support tab): MLI decides with POST /api/v1/support-requests/{id}/approve or /decline");
        say("Ctrl-C stops it.");
        let tick = Duration::from_secs(args.tick_s.max(1));
        let scenarios: Vec<_> = nodes
            .iter()
            .enumerate()
            .map(|(idx, node)| tokio::spawn(run_scenario(node.clone(), idx, fresh, tick)))
            .collect();
        server::shutdown_signal().await;
        stop.send_replace(true);
        for scenario in scenarios {
            scenario.abort();
        }
        for served in serving {
            served.await??;
        }
        anyhow::Ok(())
    })
}

/// One demo node's ports.
struct NodePorts {
    http: u16,
    federation: u16,
    cot_tcp: u16,
    cot_tls: u16,
    asterix: u16,
}

/// Plays the air scenario in real time to every node's sensors, again and again, on its own
/// thread (the process ends with the demo).
fn start_radars(radars: Vec<(String, SocketAddr)>, adsb: Vec<SocketAddr>) -> anyhow::Result<()> {
    std::thread::Builder::new()
        .name("demo-radars".into())
        .spawn(move || {
            loop {
                let args = crate::track_cmd::SimulateArgs::real_time(AIR_SCENARIO, &radars, &adsb);
                if let Err(err) = crate::track_cmd::run_simulate(args) {
                    tracing::error!(cause = %err, "demo radars stopped");
                    return;
                }
            }
        })
        .context("starting the demo radars")?;
    Ok(())
}

/// Node `idx`'s sensors as `[[sensor]]` tables, listening on `listen`: its nation's radar of
/// the air scenario (GAO in Mali, DORI in Burkina Faso, AYOROU in Niger) and the ADS-B network
/// every node receives. The simulator sends slant ranges, as real CAT048 does: the sensors keep
/// the default geometry.
fn demo_sensors(idx: usize, listen: SocketAddr) -> anyhow::Result<Vec<SensorSection>> {
    let scenario = liptako_track::scenarios::by_name(AIR_SCENARIO, 1)
        .context("the demo air scenario is built in")?;
    let mut sensors: Vec<SensorSection> = scenario
        .radars
        .iter()
        .skip(idx)
        .take(1)
        .map(|radar| SensorSection {
            lat_deg: Some(radar.lat_deg),
            lon_deg: Some(radar.lon_deg),
            height_m: radar.height_m,
            range_sigma_m: Some(radar.range_sigma_m),
            azimuth_sigma_deg: Some(radar.azimuth_sigma_deg),
            pd: Some(radar.pd),
            period: Some(ConfigDuration(Duration::from_secs_f64(radar.period_s))),
            max_range_m: Some(radar.max_range_m),
            sectors: Some(radar.sectors),
            ..SensorSection::new(&radar.name, SensorKind::Radar, listen, radar.sac, radar.sic)
        })
        .collect();
    if let Some(adsb) = &scenario.adsb {
        sensors.push(SensorSection {
            position_sigma_m: Some(adsb.position_sigma_m),
            ..SensorSection::new(&adsb.name, SensorKind::Adsb, listen, adsb.sac, adsb.sic)
        });
    }
    Ok(sensors)
}

/// Gives a demo node its TAK listeners and its air picture's sensors.
fn configure_tak_and_air(
    dir: &std::path::Path,
    idx: usize,
    ports: &NodePorts,
) -> anyhow::Result<()> {
    let mut config = Config::load(dir)?;
    config.cot.tcp_listen = Some(SocketAddr::from(([127, 0, 0, 1], ports.cot_tcp)));
    config.cot.tls_listen = Some(SocketAddr::from(([127, 0, 0, 1], ports.cot_tls)));
    config.sensors = demo_sensors(idx, SocketAddr::from(([127, 0, 0, 1], ports.asterix)))?;
    config.save(dir)?;
    Ok(())
}

/// Creates each node's data directory and certificates, and links every pair.
fn set_up(
    nations: &[Nation],
    dirs: &[PathBuf],
    password: &str,
    ports: &dyn Fn(usize) -> NodePorts,
) -> anyhow::Result<()> {
    let http_port = |idx: usize| ports(idx).http;
    let federation_port = |idx: usize| ports(idx).federation;
    for (idx, (nation, dir)) in nations.iter().zip(dirs).enumerate() {
        init_data_dir(
            dir,
            InitOptions {
                nation: *nation,
                confederation: "AES".into(),
                members: nations.to_vec(),
                admin_password: Some(password.to_owned()),
                http: Some(SocketAddr::from(([127, 0, 0, 1], http_port(idx)))),
                federation: Some(SocketAddr::from(([127, 0, 0, 1], federation_port(idx)))),
            },
        )?;
        pki::init(dir, *nation, &[])?;
        configure_tak_and_air(dir, idx, &ports(idx))?;
    }
    for (idx, dir) in dirs.iter().enumerate() {
        for (other, (partner, partner_dir)) in nations.iter().zip(dirs).enumerate() {
            if other == idx {
                continue;
            }
            add_link(
                dir,
                *partner,
                &format!("https://127.0.0.1:{}", federation_port(other)),
                &pki::PkiPaths::new(partner_dir).ca_cert,
                None,
                LINK_CEILING,
            )?;
        }
    }
    Ok(())
}

/// An earlier demo made before nodes signed what they originate: gives each node an origin key
/// and accredits every partner's.
fn accredit_origin_keys(nations: &[Nation], dirs: &[PathBuf]) -> anyhow::Result<()> {
    for dir in dirs {
        pki::ensure_origin_key(dir)?;
    }
    for (idx, dir) in dirs.iter().enumerate() {
        let config = Config::load(dir)?;
        for (other, (partner, partner_dir)) in nations.iter().zip(dirs).enumerate() {
            if other != idx && !config.federation.origin_keys.contains_key(partner) {
                liptako_node::init::accredit_origin(
                    dir,
                    *partner,
                    &pki::PkiPaths::new(partner_dir).origin_pub,
                )?;
            }
        }
    }
    Ok(())
}

/// One nation's part of the scenario: its sites and zones, its units moving, its reports.
async fn run_scenario(node: Arc<Node>, idx: usize, fresh: bool, tick: Duration) {
    if fresh && let Err(err) = seed(&node, idx).await {
        tracing::error!(cause = %err, "demo scenario could not seed its data");
        return;
    }
    let mut units = initial_units(idx);
    let mut interval = tokio::time::interval(tick);
    let mut step: u64 = 0;
    loop {
        interval.tick().await;
        step += 1;
        for unit in &mut units {
            unit.advance(tick.as_secs_f64());
        }
        let mut ops: Vec<WriteOp> = units.iter().map(|unit| unit.write(&node)).collect();
        // Each nation reports on its own rhythm, cycling through every marking.
        if (step + idx as u64 * 2).is_multiple_of(6) {
            ops.push(scenario_report(&node, idx, step));
        }
        if let Err(err) = node.write(ops).await {
            tracing::warn!(cause = %err, "demo scenario write failed");
        }
    }
}

fn draft(node: &Node, id: Uuid, expect: Expect, marking: Marking, body: Body) -> WriteOp {
    WriteOp::Local {
        draft: Draft {
            id,
            origin: node.nation(),
            expect,
            at: node.now(),
            marking,
            valid_until: None,
            exercise: None,
            body: Some(body),
        },
        actor: "demo".into(),
    }
}

/// The protected sites and zones each nation owns, near the three-borders area.
async fn seed(node: &Arc<Node>, idx: usize) -> anyhow::Result<()> {
    type Site = (&'static str, SiteCategory, f64, f64);
    let sites: [&[Site]; 3] = [
        &[
            ("École de Ménaka", SiteCategory::School, 15.918, 2.402),
            (
                "Centre de santé d'Ansongo",
                SiteCategory::HealthCentre,
                15.664,
                0.502,
            ),
            (
                "Camp de déplacés de Gao",
                SiteCategory::DisplacedPersonsCamp,
                16.271,
                -0.044,
            ),
        ],
        &[
            ("École de Dori", SiteCategory::School, 14.035, -0.034),
            (
                "Marché de Gorom-Gorom",
                SiteCategory::Market,
                14.443,
                -0.236,
            ),
        ],
        &[
            ("Marché de Tillabéri", SiteCategory::Market, 14.212, 1.453),
            (
                "Centre de santé d'Ayorou",
                SiteCategory::HealthCentre,
                14.731,
                0.919,
            ),
        ],
    ];
    let restricted: [(&str, f64, f64); 3] = [
        ("Zone réglementée R-14 (Ménaka)", 15.9, 2.4),
        ("Zone réglementée D-3 (Djibo)", 14.1, -1.6),
        ("Zone réglementée N-7 (Ouallam)", 14.3, 2.1),
    ];
    let mut ops = Vec::new();
    for (name, category, lat, lon) in sites.get(idx).copied().unwrap_or(&[]) {
        ops.push(draft(
            node,
            Uuid::now_v7(),
            Expect::New,
            Marking::new("NP", ["AES"]),
            Body::Zone(Zone {
                kind: ZoneKind::ProtectedSite,
                name: (*name).into(),
                description: "Site civil protégé".into(),
                category: Some(*category),
                area: square(*lat, *lon, 0.01),
            }),
        ));
    }
    if let Some((name, lat, lon)) = restricted.get(idx) {
        ops.push(draft(
            node,
            Uuid::now_v7(),
            Expect::New,
            Marking::new("DR", ["AES"]),
            Body::Zone(Zone {
                kind: ZoneKind::Restricted,
                name: (*name).into(),
                description: "Vols interdits sous 3000 m".into(),
                category: None,
                area: square(*lat, *lon, 0.3),
            }),
        ));
    }
    // The means each nation pools, released to the confederation.
    type PooledAsset = (
        &'static str,
        AssetCategory,
        f64,
        f64,
        &'static [&'static str],
    );
    let pooled: [&[PooledAsset]; 3] = [
        &[
            (
                "PUMA 21",
                AssetCategory::Helicopter,
                12.53,
                -7.95,
                &["night", "winch"],
            ),
            (
                "CASA 12",
                AssetCategory::Transport,
                16.25,
                -0.01,
                &["paradrop"],
            ),
        ],
        &[
            (
                "TB2 OUAGA",
                AssetCategory::IsrDrone,
                12.35,
                -1.52,
                &["eo/ir"],
            ),
            (
                "GÉNIE 3",
                AssetCategory::Engineering,
                14.03,
                -0.03,
                &["bridging"],
            ),
        ],
        &[
            (
                "MI-17 NIAMEY",
                AssetCategory::Medevac,
                13.48,
                2.18,
                &["night"],
            ),
            (
                "RADAR AYOROU",
                AssetCategory::AirSurveillanceRadar,
                14.73,
                0.92,
                &[],
            ),
        ],
    ];
    for (name, category, lat, lon, tags) in pooled.get(idx).copied().unwrap_or(&[]) {
        ops.push(draft(
            node,
            Uuid::now_v7(),
            Expect::New,
            Marking::new("DR", ["AES"]),
            Body::Asset(Box::new(Asset {
                name: (*name).into(),
                category: *category,
                capabilities: Capabilities {
                    tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
                    ..Capabilities::default()
                },
                home_base: Point::new(*lat, *lon),
                position: None,
                unit: None,
                status: AssetStatus::Available,
                availability: Vec::new(),
                notice_to_move_min: Some(120),
            })),
        ));
    }
    if idx == 2 {
        // Niger asks Mali for a helicopter: a request in progress for MLI's watch to decide.
        let now = node.now();
        ops.push(draft(
            node,
            Uuid::now_v7(),
            Expect::New,
            Marking::new("DR", ["MLI"]),
            Body::SupportRequest(Box::new(SupportRequest {
                asset: None,
                category: AssetCategory::Helicopter,
                purpose: SupportPurpose::Medevac,
                priority: SupportPriority::Priority,
                addressed_to: vec![Nation::parse("MLI")?],
                location: Some(Point::new(14.95, 0.95)),
                area: None,
                start: now,
                end: now + Duration::from_secs(12 * 3600),
                description: "Deux blessés après un accrochage près d'Ayorou.".into(),
                operation: None,
                cancelled: None,
                cancel_reason: String::new(),
            })),
        ));
    }
    if idx == 0 {
        // Mali's operation with Niger; its pursuit unit crosses the border (see `pursuer`).
        let now = node.now();
        ops.push(draft(
            node,
            Uuid::now_v7(),
            Expect::New,
            // Released to the participating partner; BFA sees neither it nor its notices.
            Marking::new("DR", ["NER"]),
            Body::Operation(Box::new(Operation {
                name: "Opération Fer de Lance".into(),
                lead_nation: node.nation(),
                participating_nations: vec![node.nation(), Nation::parse("NER")?],
                area: Area::Polygon {
                    coordinates: vec![vec![
                        [1.0, 14.8],
                        [2.6, 14.8],
                        [2.6, 15.6],
                        [1.0, 15.6],
                        [1.0, 14.8],
                    ]],
                },
                start: now,
                end: now + Duration::from_secs(30 * 86_400),
                status: OperationStatus::Active,
                units: vec![pursuer_id()],
                intent: "Poursuivre le groupe armé signalé à l'est d'Ansongo jusqu'à la frontière nigérienne et au-delà, dans les limites de l'accord.".into(),
            })),
        ));
    }
    node.write(ops).await?;
    Ok(())
}

/// The id of Mali's pursuit unit (fixed, like every demo unit).
fn pursuer_id() -> Uuid {
    Uuid::from_u128(DEMO_UNIT_IDS + 0x80)
}

/// Mali's pursuit unit: 6 km from the Niger border (Natural Earth), heading south-south-east
/// at 28 m/s, so it is more than 1 km inside Niger about five minutes after the start; it turns
/// back 40 km on (29 km deep) and the notice ends on its way home, then it goes again.
fn pursuer() -> DemoUnit {
    DemoUnit {
        id: pursuer_id(),
        callsign: "FAMa Poursuite GTIA 2".into(),
        symbol: "SFGPUCI----K---",
        lat: 15.35,
        lon: 1.7,
        course_deg: 150.0,
        speed_mps: 28.0,
        travelled_m: 0.0,
    }
}

/// The markings each nation cycles through: every level, all members, one partner, national.
fn marking(node: &Node, turn: usize) -> Marking {
    let partner = node
        .policy()
        .confederation()
        .members()
        .iter()
        .copied()
        .find(|nation| *nation != node.nation())
        .map(|nation| nation.to_string())
        .unwrap_or_default();
    match turn % 6 {
        0 => Marking::new("NP", ["AES"]),
        1 => Marking::new("DR", ["AES"]),
        2 => Marking::new("DR", [partner]),
        3 => Marking::new("C", ["AES"]),
        4 => Marking::new("C", Vec::<String>::new()),
        _ => Marking::new("S", ["AES"]),
    }
}

fn scenario_report(node: &Node, idx: usize, step: u64) -> WriteOp {
    let turn = (step / 6) as usize;
    let kind = ReportKind::ALL[turn % ReportKind::ALL.len()];
    let marking = marking(node, turn);
    let (lat, lon) = centre(idx);
    let angle = step as f64 * 0.3;
    draft(
        node,
        Uuid::now_v7(),
        Expect::New,
        marking.clone(),
        Body::Report(Report {
            kind,
            title: format!(
                "{} {} n°{step} ({marking})",
                node.nation(),
                kind.as_str().replace('_', " ")
            ),
            body: format!("Événement signalé par {} au pas {step}.", node.nation()),
            location: Some(Point::new(lat + 0.3 * angle.sin(), lon + 0.4 * angle.cos())),
        }),
    )
}

/// Where each nation operates, around the three-borders point.
fn centre(idx: usize) -> (f64, f64) {
    [(15.3, 0.9), (14.3, -0.3), (14.6, 1.3)]
        .get(idx)
        .copied()
        .unwrap_or((14.9, 0.6))
}

fn square(lat: f64, lon: f64, half_deg: f64) -> Polygon {
    Polygon::from_lat_lon(&[
        (lat - half_deg, lon - half_deg),
        (lat - half_deg, lon + half_deg),
        (lat + half_deg, lon + half_deg),
        (lat + half_deg, lon - half_deg),
    ])
}

/// A simulated friendly unit patrolling in a straight line and turning back at its range.
struct DemoUnit {
    id: Uuid,
    callsign: String,
    symbol: &'static str,
    lat: f64,
    lon: f64,
    course_deg: f64,
    speed_mps: f64,
    travelled_m: f64,
}

fn initial_units(idx: usize) -> Vec<DemoUnit> {
    let names: [[&str; 3]; 3] = [
        ["FAMa GTIA 1", "FAMa Escadron 3", "FAMa Patrouille Ansongo"],
        [
            "GFA Bataillon 12",
            "GFA Escadron Dori",
            "GFA Patrouille Seytenga",
        ],
        [
            "FAN Groupement Tillabéri",
            "FAN Escadron 5",
            "FAN Patrouille Ayorou",
        ],
    ];
    let (lat, lon) = centre(idx);
    let extra = (idx == 0).then(pursuer);
    names
        .get(idx)
        .copied()
        .unwrap_or(names[0])
        .iter()
        .enumerate()
        .map(|(n, callsign)| DemoUnit {
            // Fixed ids: a demo restarted on the same --data moves the same units.
            id: Uuid::from_u128(DEMO_UNIT_IDS + ((idx as u128) << 8) + n as u128),
            callsign: (*callsign).to_owned(),
            symbol: if n == 1 {
                "SFGPUCR----K---"
            } else {
                "SFGPUCI----K---"
            },
            lat: lat + 0.1 * n as f64,
            lon: lon - 0.1 * n as f64,
            course_deg: (70.0 + 110.0 * n as f64 + 40.0 * idx as f64) % 360.0,
            speed_mps: 8.0 + 4.0 * n as f64,
            travelled_m: 0.0,
        })
        .chain(extra)
        .collect()
}

impl DemoUnit {
    fn advance(&mut self, seconds: f64) {
        let distance_m = self.speed_mps * seconds;
        let course = self.course_deg.to_radians();
        self.lat += distance_m * course.cos() / 111_320.0;
        self.lon += distance_m * course.sin() / (111_320.0 * self.lat.to_radians().cos());
        self.travelled_m += distance_m;
        if self.travelled_m > 40_000.0 {
            self.travelled_m = 0.0;
            self.course_deg = (self.course_deg + 180.0) % 360.0;
        }
    }

    fn write(&self, node: &Node) -> WriteOp {
        draft(
            node,
            self.id,
            Expect::Any,
            Marking::new("DR", ["AES"]),
            Body::Unit(Unit {
                callsign: self.callsign.clone(),
                symbol: Some(self.symbol.into()),
                position: Some(Point::new(self.lat, self.lon)),
                course_deg: Some(self.course_deg),
                speed_mps: Some(self.speed_mps),
            }),
        )
    }
}
