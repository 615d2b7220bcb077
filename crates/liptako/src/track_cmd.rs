//! `liptako track` (the offline tracker over a plots file) and `liptako simulate` (the radar
//! simulator: ASTERIX CAT048/CAT034/CAT021 over UDP in real time, or plots, sensors and ground
//! truth files as fast as possible). The tracking and simulation are `liptako-track`; this
//! module only reads and writes files and sockets.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use liptako_asterix::cat021::{Cat021Report, GroundVector};
use liptako_asterix::cat034::Cat034Message;
use liptako_asterix::cat048::{
    Cat048Report, FlightLevelReply, Mode3AReply, Polar, TargetReportDescriptor,
};
use liptako_asterix::{
    AircraftAddress, AircraftId, BlockEncoder, DataSource, Mode3A, Wgs84, tables,
};
use liptako_track::offline::{self, OfflineRun, TRACKS_HEADER};
use liptako_track::sim::{self, Scenario, SimEvent, SimRadar, Simulator, TruthSample};
use liptako_track::{AdsbReport, RadarPlot, RangeGeometry, scenarios};

/// Offline tracker: PLOTS.csv + SENSORS.toml in, TRACKS.csv out.
#[derive(Debug, clap::Args)]
pub struct TrackArgs {
    /// Plots, `time_s,sensor,range_m,azimuth_deg,mode3a,aircraft_address`, sorted by time.
    #[arg(long, value_name = "PLOTS.csv")]
    plots: PathBuf,
    /// Radars, one `[[sensor]]` table each (id, lat, lon, range_sigma_m, azimuth_sigma_deg, pd,
    /// period_s).
    #[arg(long, value_name = "SENSORS.toml")]
    sensors: PathBuf,
    /// Where to write `time_s,track_id,lat,lon,vx_mps,vy_mps` (replaced only on success).
    #[arg(long, value_name = "TRACKS.csv")]
    out: PathBuf,
}

/// Simulator options.
#[derive(Debug, Default, clap::Args)]
pub struct SimulateArgs {
    /// A built-in scenario (crossing, manoeuvring, border, no-transponder, clutter, dense, demo)
    /// or a scenario TOML file.
    #[arg(long, default_value = "demo")]
    scenario: String,
    /// Seed of the random draws (overrides the scenario's).
    #[arg(long)]
    seed: Option<u64>,
    /// Length in seconds (overrides the scenario's).
    #[arg(long)]
    duration: Option<f64>,
    /// Scenario start on the output time scale, seconds (ASTERIX time of day is this modulo a
    /// day). Default: now (UTC) when sending over UDP in real time, else the scenario's own.
    #[arg(long)]
    start_time: Option<f64>,
    /// Send ASTERIX (CAT048 + CAT034 per radar, CAT021 for ADS-B) to this UDP address (repeat
    /// the option to feed several receivers the same datagrams).
    #[arg(long, value_name = "HOST:PORT")]
    udp: Vec<String>,
    /// Send CAT021 to this address instead of `--udp` (repeatable).
    #[arg(long, value_name = "HOST:PORT")]
    adsb_udp: Vec<String>,
    /// Send one radar's CAT048 + CAT034 to this address too (repeatable), e.g.
    /// `--radar-udp GAO=127.0.0.1:8600`: each nation's node fed by its own radar.
    #[arg(long, value_name = "RADAR=HOST:PORT")]
    radar_udp: Vec<String>,
    /// Time scale: 1 is real time, 10 ten times faster. Without `--udp` the run is as fast as
    /// possible unless this is given.
    #[arg(long)]
    speed: Option<f64>,
    /// Write the ground truth (`time_s,aircraft,name,lat,lon,altitude_m,vx_mps,vy_mps,mode3a,
    /// aircraft_address`).
    #[arg(long, value_name = "TRUTH.csv")]
    truth: Option<PathBuf>,
    /// Write the radar plots in the offline format (`liptako track --plots`).
    #[arg(long, value_name = "PLOTS.csv", requires = "sensors")]
    plots: Option<PathBuf>,
    /// Write the radars in the offline format (`liptako track --sensors`).
    #[arg(long, value_name = "SENSORS.toml")]
    sensors: Option<PathBuf>,
}

pub fn run_track(args: TrackArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let sensors_text = std::fs::read_to_string(&args.sensors)
        .with_context(|| format!("reading {}", args.sensors.display()))?;
    let sensors = offline::parse_sensors(&sensors_text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.sensors.display()))?;
    let input =
        File::open(&args.plots).with_context(|| format!("opening {}", args.plots.display()))?;
    let mut run =
        OfflineRun::new(sensors).map_err(|e| anyhow::anyhow!("{}: {e}", args.sensors.display()))?;

    // Write beside the destination and rename at the end, so a failed run leaves no half file.
    let dir = args
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".tracks-")
        .suffix(".csv.tmp")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    let mut out = BufWriter::new(tmp.as_file());
    writeln!(out, "{TRACKS_HEADER}")?;
    let mut rows = 0u64;
    let mut batch: Vec<offline::TrackRow> = Vec::new();
    let mut line = String::with_capacity(64);
    let mut write_rows =
        |out: &mut BufWriter<&File>, batch: &mut Vec<offline::TrackRow>| -> anyhow::Result<()> {
            for row in batch.drain(..) {
                line.clear();
                row.write_csv(&mut line);
                line.push('\n');
                out.write_all(line.as_bytes())
                    .context("writing the tracks")?;
                rows += 1;
            }
            Ok(())
        };
    let reader = BufReader::new(input);
    for (i, line) in reader.split(b'\n').enumerate() {
        let line_no = i + 1;
        let bytes = line.with_context(|| format!("reading {}", args.plots.display()))?;
        let Ok(text) = std::str::from_utf8(&bytes) else {
            bail!("{}: line {line_no}: not valid UTF-8", args.plots.display());
        };
        run.push_line(line_no, text, &mut |row| batch.push(row))
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.plots.display()))?;
        write_rows(&mut out, &mut batch)?;
    }
    run.finish(&mut |row| batch.push(row));
    write_rows(&mut out, &mut batch)?;
    out.flush().context("writing the tracks")?;
    drop(out);
    tmp.persist(&args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    let stats = run.tracker().stats();
    tracing::info!(
        rows,
        elapsed_s = started.elapsed().as_secs_f64(),
        plots = stats.plots,
        tracks_confirmed = stats.tracks_confirmed,
        out = %args.out.display(),
        "tracks written"
    );
    Ok(())
}

fn load_scenario(name: &str, seed: Option<u64>) -> anyhow::Result<Scenario> {
    if let Some(s) = scenarios::by_name(name, seed.unwrap_or(1)) {
        return Ok(s);
    }
    let path = Path::new(name);
    if !path.exists() {
        bail!(
            "no built-in scenario '{name}' (known: {}) and no such file",
            scenarios::NAMES.join(", ")
        );
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {name}"))?;
    let mut s = Scenario::from_toml(&text).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    if let Some(seed) = seed {
        s.seed = seed;
    }
    Ok(s)
}

fn resolve(addr: &str) -> anyhow::Result<SocketAddr> {
    addr.to_socket_addrs()
        .with_context(|| format!("resolving {addr}"))?
        .next()
        .with_context(|| format!("{addr} resolves to nothing"))
}

impl SimulateArgs {
    /// A built-in scenario played in real time: each radar to its own addresses (`radars`:
    /// name and address), ADS-B to `adsb` (the demo's feeds).
    pub fn real_time(
        scenario: &str,
        radars: &[(String, SocketAddr)],
        adsb: &[SocketAddr],
    ) -> SimulateArgs {
        SimulateArgs {
            scenario: scenario.into(),
            radar_udp: radars
                .iter()
                .map(|(name, addr)| format!("{name}={addr}"))
                .collect(),
            adsb_udp: adsb.iter().map(ToString::to_string).collect(),
            ..SimulateArgs::default()
        }
    }
}

pub fn run_simulate(args: SimulateArgs) -> anyhow::Result<()> {
    let mut scenario = load_scenario(&args.scenario, args.seed)?;
    if let Some(d) = args.duration {
        if !(d > 0.0 && d.is_finite()) {
            bail!("--duration must be a positive number of seconds");
        }
        scenario.duration_s = d;
    }
    let udp: Vec<SocketAddr> = args
        .udp
        .iter()
        .map(|a| resolve(a))
        .collect::<Result<_, _>>()?;
    let mut adsb_udp: Vec<SocketAddr> = args
        .adsb_udp
        .iter()
        .map(|a| resolve(a))
        .collect::<Result<_, _>>()?;
    if adsb_udp.is_empty() {
        adsb_udp.clone_from(&udp);
    }
    // Per radar (scenario order): every address its datagrams go to.
    let mut radar_udp: Vec<Vec<SocketAddr>> = vec![udp.clone(); scenario.radars.len()];
    for spec in &args.radar_udp {
        let (name, addr) = spec
            .split_once('=')
            .with_context(|| format!("--radar-udp {spec:?}: expected RADAR=HOST:PORT"))?;
        let index = scenario
            .radars
            .iter()
            .position(|r| r.name == name)
            .with_context(|| format!("--radar-udp {spec:?}: no radar {name:?} in the scenario"))?;
        let addr = resolve(addr)?;
        if let Some(list) = radar_udp.get_mut(index) {
            list.push(addr);
        }
    }
    let sending = radar_udp.iter().any(|l| !l.is_empty()) || !adsb_udp.is_empty();
    let speed = match (args.speed, sending) {
        (Some(s), _) if !(s > 0.0 && s.is_finite()) => bail!("--speed must be positive"),
        (Some(s), _) => Some(s),
        (None, true) => Some(1.0),
        (None, false) => None,
    };
    scenario.start_time_s = match args.start_time {
        Some(t) if t.is_finite() => t,
        Some(_) => bail!("--start-time must be a number of seconds"),
        None if sending && speed == Some(1.0) => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0),
        None => scenario.start_time_s,
    };
    if args.plots.is_some()
        && scenario
            .radars
            .iter()
            .any(|r| r.geometry == RangeGeometry::Slant)
    {
        bail!(
            "--plots writes the offline format, defined for plane-geometry radars; this scenario has slant-range radars"
        );
    }
    let sim = Simulator::new(scenario.clone()).map_err(|e| anyhow::anyhow!("{e}"))?;

    let socket = if sending {
        Some(UdpSocket::bind("0.0.0.0:0").context("opening a UDP socket")?)
    } else {
        None
    };
    let mut truth_out = args
        .truth
        .as_ref()
        .map(|p| -> anyhow::Result<_> {
            let mut w = BufWriter::new(
                File::create(p).with_context(|| format!("creating {}", p.display()))?,
            );
            writeln!(
                w,
                "time_s,aircraft,name,lat,lon,altitude_m,vx_mps,vy_mps,mode3a,aircraft_address"
            )?;
            Ok(w)
        })
        .transpose()?;
    let mut plots: Vec<(f64, usize, RadarPlot)> = Vec::new();
    let mut pending: Vec<Vec<RadarPlot>> = vec![Vec::new(); scenario.radars.len()];
    let mut encoder = AsterixOut::new();
    let wall_start = Instant::now();
    let (mut n_plots, mut n_reports, mut n_datagrams) = (0u64, 0u64, 0u64);

    for event in sim {
        match event {
            SimEvent::Plot { radar, plot, .. } => {
                n_plots += 1;
                if args.plots.is_some() {
                    plots.push((plot.time_s, radar, plot.clone()));
                }
                if radar_udp.get(radar).is_some_and(|l| !l.is_empty())
                    && let Some(list) = pending.get_mut(radar)
                {
                    list.push(plot);
                }
            }
            SimEvent::SectorCrossing {
                radar,
                sector,
                azimuth_deg,
                time_s,
            } => {
                let (Some(addrs), Some(sock), Some(r)) = (
                    radar_udp.get(radar).filter(|l| !l.is_empty()),
                    socket.as_ref(),
                    scenario.radars.get(radar),
                ) else {
                    continue;
                };
                pace(wall_start, scenario.start_time_s, time_s, speed);
                let sector_plots = pending
                    .get_mut(radar)
                    .map(std::mem::take)
                    .unwrap_or_default();
                for datagram in encoder.sector(r, &sector_plots, sector, azimuth_deg, time_s)? {
                    send(sock, addrs, &datagram);
                    n_datagrams += 1;
                }
            }
            SimEvent::Adsb { report, .. } => {
                n_reports += 1;
                let (false, Some(sock), Some(station)) =
                    (adsb_udp.is_empty(), socket.as_ref(), scenario.adsb.as_ref())
                else {
                    continue;
                };
                pace(wall_start, scenario.start_time_s, report.time_s, speed);
                let datagram = encoder.adsb(station.sac, station.sic, &report)?;
                send(sock, &adsb_udp, &datagram);
                n_datagrams += 1;
            }
            SimEvent::Truth(t) => {
                if let Some(w) = truth_out.as_mut() {
                    write_truth(w, &scenario, &t)?;
                }
            }
        }
    }
    if let Some(mut w) = truth_out {
        w.flush().context("writing the truth")?;
    }
    if let Some(path) = &args.sensors {
        write_sensors(path, &scenario.radars)?;
    }
    if let Some(path) = &args.plots {
        plots.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut w = BufWriter::new(
            File::create(path).with_context(|| format!("creating {}", path.display()))?,
        );
        writeln!(w, "{}", offline::PLOT_COLUMNS.join(","))?;
        for (_, radar, p) in &plots {
            let name = scenario.radars.get(*radar).map_or("", |r| r.name.as_str());
            writeln!(
                w,
                "{:.6},{},{:.3},{:.6},{},{}",
                p.time_s,
                name,
                p.range_m,
                p.azimuth_deg,
                p.mode3a.map(|c| format!("{c:04o}")).unwrap_or_default(),
                p.mode_s.map(|a| format!("{a:06X}")).unwrap_or_default(),
            )?;
        }
        w.flush()
            .with_context(|| format!("writing {}", path.display()))?;
    }
    tracing::info!(
        scenario = %scenario.name,
        plots = n_plots,
        adsb_reports = n_reports,
        datagrams = n_datagrams,
        "simulation finished"
    );
    Ok(())
}

/// Sleeps until simulated time `t` is due on the wall clock (no-op when running flat out).
fn pace(wall_start: Instant, sim_start: f64, t: f64, speed: Option<f64>) {
    let Some(speed) = speed else { return };
    let due = Duration::from_secs_f64(((t - sim_start) / speed).max(0.0));
    let elapsed = wall_start.elapsed();
    if due > elapsed {
        std::thread::sleep(due - elapsed);
    }
}

fn send(sock: &UdpSocket, addrs: &[SocketAddr], datagram: &[u8]) {
    for addr in addrs {
        // A lost datagram is what UDP does; the simulator goes on, as a radar would.
        if let Err(e) = sock.send_to(datagram, addr) {
            tracing::warn!(%addr, cause = %e, "UDP send failed");
        }
    }
}

fn write_truth(w: &mut impl Write, scenario: &Scenario, t: &TruthSample) -> anyhow::Result<()> {
    let name = scenario
        .aircraft
        .get(t.aircraft)
        .map_or("", |a| a.name.as_str());
    writeln!(
        w,
        "{:.3},{},{},{:.7},{:.7},{:.1},{:.2},{:.2},{},{}",
        t.time_s,
        t.aircraft,
        name,
        t.lat_deg,
        t.lon_deg,
        t.altitude_m,
        t.velocity_east_mps,
        t.velocity_north_mps,
        t.mode3a.map(|c| format!("{c:04o}")).unwrap_or_default(),
        t.mode_s.map(|a| format!("{a:06X}")).unwrap_or_default(),
    )?;
    Ok(())
}

fn write_sensors(path: &Path, radars: &[SimRadar]) -> anyhow::Result<()> {
    let mut text = String::from(
        "# Radars of a liptako simulate scenario, in the `liptako track --sensors` format.\n",
    );
    for r in radars {
        // The id is a TOML string; the simulator's names are plain, but escape to be safe.
        let id = r.name.replace('\\', "\\\\").replace('"', "\\\"");
        text.push_str(&format!(
            "\n[[sensor]]\nid = \"{id}\"\nlat = {}\nlon = {}\nrange_sigma_m = {}\nazimuth_sigma_deg = {}\npd = {}\nperiod_s = {}\n# Not read by the offline tracker:\nmax_range_m = {}\nsac = {}\nsic = {}\n",
            r.lat_deg, r.lon_deg, r.range_sigma_m, r.azimuth_sigma_deg, r.pd, r.period_s, r.max_range_m, r.sac, r.sic
        ));
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Largest ASTERIX datagram we send: below the Ethernet MTU, so nothing fragments.
const MAX_DATAGRAM: usize = 1_400;

/// ASTERIX encoders, reused across messages.
struct AsterixOut {
    cat048: BlockEncoder,
    cat034: BlockEncoder,
    cat021: BlockEncoder,
}

impl AsterixOut {
    fn new() -> Self {
        Self {
            cat048: BlockEncoder::new(&tables::cat048::V1_32),
            cat034: BlockEncoder::new(&tables::cat034::V1_29),
            cat021: BlockEncoder::new(&tables::cat021::V2_7),
        }
    }

    /// The datagrams a radar sends at the end of a sector: its plots (CAT048, in as few
    /// datagrams as fit the MTU), then the sector crossing or north marker (CAT034).
    fn sector(
        &mut self,
        radar: &SimRadar,
        plots: &[RadarPlot],
        sector: u16,
        azimuth_deg: f64,
        time_s: f64,
    ) -> anyhow::Result<Vec<Vec<u8>>> {
        let source = DataSource {
            sac: radar.sac,
            sic: radar.sic,
        };
        let mut out = Vec::new();
        for plot in plots {
            let Some(slant) = sim::slant_plot(radar, plot) else {
                continue;
            };
            let report = cat048_of(source, &slant);
            self.cat048.push(&report).context("encoding CAT048")?;
            if self.cat048.len() >= MAX_DATAGRAM - 100 {
                let mut d = Vec::new();
                self.cat048.finish_into(&mut d).context("encoding CAT048")?;
                out.push(d);
            }
        }
        if !self.cat048.is_empty() {
            let mut d = Vec::new();
            self.cat048.finish_into(&mut d).context("encoding CAT048")?;
            out.push(d);
        }
        let tod = time_of_day(time_s);
        let message = if sector == 0 {
            Cat034Message::north_marker(source, tod)
        } else {
            Cat034Message::sector_crossing(source, tod, azimuth_deg)
        };
        self.cat034.push(&message).context("encoding CAT034")?;
        let mut d = Vec::new();
        self.cat034.finish_into(&mut d).context("encoding CAT034")?;
        out.push(d);
        Ok(out)
    }

    fn adsb(&mut self, sac: u8, sic: u8, report: &AdsbReport) -> anyhow::Result<Vec<u8>> {
        let tod = time_of_day(report.time_s);
        let ground_vector = report.velocity_mps.map(|[ve, vn]| GroundVector {
            groundspeed_nmps: ve.hypot(vn) / 1852.0,
            track_angle_deg: liptako_track::geo::wrap_360(ve.atan2(vn).to_degrees()),
            range_exceeded: false,
        });
        let message = Cat021Report {
            data_source: Some(DataSource { sac, sic }),
            time_of_applicability_position_s: Some(tod),
            time_of_applicability_velocity_s: ground_vector.map(|_| tod),
            position_wgs84_high_res: Some(Wgs84 {
                lat_deg: report.lat_deg,
                lon_deg: report.lon_deg,
            }),
            aircraft_address: AircraftAddress::new(report.address),
            geometric_height_ft: report.altitude_m.map(|m| m / 0.3048),
            flight_level: report.altitude_m.map(|m| m / 30.48),
            mode3a: report.mode3a.and_then(Mode3A::new),
            ground_vector,
            aircraft_id: report
                .callsign
                .as_deref()
                .and_then(|c| c.parse::<AircraftId>().ok()),
            ..Cat021Report::default()
        };
        self.cat021.push(&message).context("encoding CAT021")?;
        let mut d = Vec::new();
        self.cat021.finish_into(&mut d).context("encoding CAT021")?;
        Ok(d)
    }
}

fn time_of_day(t: f64) -> f64 {
    t.rem_euclid(86_400.0)
}

fn cat048_of(source: DataSource, plot: &RadarPlot) -> Cat048Report<'static> {
    let has_ssr = plot.mode3a.is_some() || plot.mode_s.is_some();
    // TYP: 1 PSR, 3 SSR + PSR, 7 Mode S roll-call + PSR.
    let typ = match (plot.mode_s.is_some(), has_ssr) {
        (true, _) => 7,
        (false, true) => 3,
        (false, false) => 1,
    };
    Cat048Report {
        data_source: Some(source),
        time_of_day_s: Some(time_of_day(plot.time_s)),
        descriptor: Some(TargetReportDescriptor {
            typ,
            ..TargetReportDescriptor::default()
        }),
        polar: Some(Polar {
            rho_nm: plot.range_m / 1852.0,
            theta_deg: plot.azimuth_deg,
        }),
        mode3a: plot.mode3a.and_then(Mode3A::new).map(|code| Mode3AReply {
            code,
            validated: true,
            garbled: false,
            smoothed: false,
        }),
        flight_level: plot.altitude_m.map(|m| FlightLevelReply::new(m / 30.48)),
        aircraft_address: plot.mode_s.and_then(AircraftAddress::new),
        aircraft_id: plot
            .callsign
            .as_deref()
            .and_then(|c| c.parse::<AircraftId>().ok()),
        ..Cat048Report::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liptako_asterix::{Decoder, Editions};

    const SENSORS: &str = "[[sensor]]\nid = \"R1\"\nlat = 14.0\nlon = 1.0\nrange_sigma_m = 50\nazimuth_sigma_deg = 0.08\npd = 0.9\nperiod_s = 4\n";

    fn track(dir: &Path, plots: &str) -> anyhow::Result<String> {
        let (p, s, o) = (
            dir.join("plots.csv"),
            dir.join("sensors.toml"),
            dir.join("tracks.csv"),
        );
        std::fs::write(&p, plots)?;
        std::fs::write(&s, SENSORS)?;
        run_track(TrackArgs {
            plots: p,
            sensors: s,
            out: o.clone(),
        })?;
        Ok(std::fs::read_to_string(o)?)
    }

    #[test]
    fn offline_run_writes_rows_for_each_whole_second() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut plots = String::from("time_s,sensor,range_m,azimuth_deg,mode3a,aircraft_address\n");
        for k in 0..10 {
            let t = 0.5 + 4.0 * f64::from(k);
            let (e, n) = (30_000.0 + 150.0 * t, 40_000.0);
            plots.push_str(&format!(
                "{t},R1,{},{},1234,ABCDEF\n",
                f64::hypot(e, n),
                e.atan2(n).to_degrees()
            ));
        }
        let out = track(dir.path(), &plots).expect("run");
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some(TRACKS_HEADER));
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert!(!rows.is_empty());
        let seconds: Vec<i64> = rows
            .iter()
            .map(|r| r[0].parse().expect("integer second"))
            .collect();
        assert!(seconds.windows(2).all(|w| w[0] <= w[1]));
        assert!(*seconds.last().expect("rows") <= 36);
        let vx: f64 = rows.last().expect("rows")[4].parse().expect("vx");
        assert!((vx - 150.0).abs() < 15.0, "{vx}");
    }

    #[test]
    fn bad_lines_are_named_and_leave_no_output() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plots = "time_s,sensor,range_m,azimuth_deg,mode3a,aircraft_address\n1.0,R1,1000,45,,\n2.0,R1,abc,45,,\n";
        let err = track(dir.path(), plots).expect_err("bad range");
        let text = format!("{err:#}");
        assert!(text.contains("plots.csv: line 3: range_m 'abc'"), "{text}");
        assert!(!dir.path().join("tracks.csv").exists());
        let err = track(
            dir.path(),
            "time_s,sensor,range_m,azimuth_deg,mode3a,aircraft_address\n1,R1,1,1,,\n\u{0}\u{ff}",
        )
        .expect_err("garbage");
        assert!(format!("{err:#}").contains("line 3"), "{err:#}");
    }

    #[test]
    fn sector_datagrams_decode_and_locate_the_same_point() {
        let scenario = scenarios::border(1);
        let radar = scenario.radars.first().expect("radar").clone();
        let plot = RadarPlot {
            time_s: 3_600.25,
            range_m: 120_000.0,
            azimuth_deg: 123.4,
            mode3a: Some(0o7700),
            mode_s: Some(0xABCDEF),
            altitude_m: Some(9_144.0),
            callsign: Some("ABC123".into()),
        };
        let datagrams = AsterixOut::new()
            .sector(&radar, std::slice::from_ref(&plot), 11, 123.75, 3_600.5)
            .expect("encode");
        assert_eq!(datagrams.len(), 2);
        let decoder = Decoder::new(Editions::default());
        let records: Vec<_> = datagrams
            .iter()
            .flat_map(|d| decoder.records(d).collect::<Vec<_>>())
            .map(|r| r.expect("decodes"))
            .collect();
        let report = Cat048Report::from_record(&records[0]).expect("CAT048");
        let polar = report.polar.expect("I048/040");
        let slant = sim::slant_plot(&radar, &plot).expect("slant");
        assert!((polar.rho_nm * 1852.0 - slant.range_m).abs() < 1852.0 / 256.0);
        assert!((polar.theta_deg - slant.azimuth_deg).abs() < 360.0 / 65_536.0);
        assert_eq!(report.mode3a.map(|m| m.code.bits()), Some(0o7700));
        assert_eq!(report.aircraft_address.map(|a| a.bits()), Some(0xABCDEF));
        assert_eq!(
            report
                .aircraft_id
                .map(|a| a.as_str().to_string())
                .as_deref(),
            Some("ABC123")
        );
        let marker = Cat034Message::from_record(&records[1]).expect("CAT034");
        assert!((marker.sector_azimuth_deg.expect("I034/020") - 123.75).abs() < 1.5);
    }
}
