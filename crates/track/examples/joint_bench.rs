//! The joint air picture benchmark's own side (bench/joint/run drives it): simulates a
//! built-in scenario with one tracker per nation linked as the nodes will be
//! (`liptako_track::confederation`), and writes, in the offline formats of `liptako track`,
//! what Stone Soup needs to track the same plots (plots.csv, sensors.toml, truth.csv) and what
//! we made of them: each nation's joint picture (tracks-MLI.csv, ...) and each nation's radar
//! alone (tracks-MLI-alone.csv, ...), plus link figures (links.txt).
//!
//! `cargo run --release -p liptako-track --example joint_bench -- OUT_DIR [SEED] [--time-joint | --simulate-only]`
//!
//! For timing, `--time-joint` runs the linked nations only and `--simulate-only` the simulator
//! alone, and neither writes anything: the bench takes the difference of the two processes'
//! CPU times as the joint picture's (trackers, link schedulers, wire encoding and decoding).

// A benchmark tool: its output is files and a line of figures, on purpose.
#![allow(clippy::print_stderr)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use liptako_track::confederation::{self, LinkSpec, NationRun};
use liptako_track::offline::{PLOT_COLUMNS, TRACKS_HEADER, TrackRow};
use liptako_track::sim::{SimEvent, Simulator};
use liptako_track::{TrackerConfig, scenarios};

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = PathBuf::from(args.first().ok_or("usage: joint_bench OUT_DIR [SEED]")?);
    let seed: u64 = match args.get(1).filter(|a| !a.starts_with("--")) {
        Some(s) => s.parse().map_err(|e| format!("seed {s}: {e}"))?,
        None => 1,
    };
    let scenario = scenarios::joint(seed);
    if args.iter().any(|a| a == "--simulate-only") {
        let sim = Simulator::new(scenario).map_err(|e| e.to_string())?;
        let n = sim.count();
        eprintln!("{n} events simulated");
        return Ok(());
    }
    let nations = confederation::joint_nations();
    let config = TrackerConfig::new(15.0, 0.75);
    let joint = confederation::run(&scenario, &nations, &config, &LinkSpec::satellite(), None)
        .map_err(|e| e.to_string())?;
    if args.iter().any(|a| a == "--time-joint") {
        let n: usize = joint.nations.iter().map(|n| n.pictures.len()).sum();
        eprintln!("{n} pictures");
        return Ok(());
    }
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    write_inputs(&out, &scenario)?;
    let alone = confederation::run(&scenario, &nations, &config, &LinkSpec::none(), None)
        .map_err(|e| e.to_string())?;
    let mut links = String::new();
    for (nation, single) in joint.nations.iter().zip(&alone.nations) {
        write_tracks(&out.join(format!("tracks-{}.csv", nation.nation)), nation)?;
        write_tracks(
            &out.join(format!("tracks-{}-alone.csv", single.nation)),
            single,
        )?;
        for (to, stats) in &nation.links {
            let _ = writeln!(
                links,
                "{} -> {to}: {} frames, {} bytes ({} with transport overhead, {:.0} bit/s over {:.0} s), {} states, {} ended notices, {} states superseded before they could be sent",
                nation.nation,
                stats.frames,
                stats.bytes,
                stats.bytes_with_overhead,
                8.0 * stats.bytes_with_overhead as f64 / scenario.duration_s,
                scenario.duration_s,
                stats.states_sent,
                stats.ended_sent,
                stats.states_superseded,
            );
        }
    }
    std::fs::write(out.join("links.txt"), &links).map_err(|e| e.to_string())?;
    eprint!("{links}");
    Ok(())
}

/// plots.csv, sensors.toml and truth.csv as `liptako simulate` writes them.
fn write_inputs(dir: &Path, scenario: &liptako_track::sim::Scenario) -> Result<(), String> {
    let sim = Simulator::new(scenario.clone()).map_err(|e| e.to_string())?;
    let mut plots: Vec<(f64, String)> = Vec::new();
    let mut truth = String::from("time_s,aircraft,name,lat,lon,altitude_m,vx_mps,vy_mps\n");
    for event in sim {
        match event {
            SimEvent::Plot { radar, plot, .. } => {
                let sensor = scenario.radars.get(radar).map_or("", |r| r.name.as_str());
                let line = format!(
                    "{:.6},{sensor},{:.3},{:.6},,",
                    plot.time_s, plot.range_m, plot.azimuth_deg
                );
                plots.push((plot.time_s, line));
            }
            SimEvent::Truth(t) => {
                let name = scenario
                    .aircraft
                    .get(t.aircraft)
                    .map_or("", |a| a.name.as_str());
                let _ = writeln!(
                    truth,
                    "{:.3},{},{name},{:.7},{:.7},{:.1},{:.2},{:.2}",
                    t.time_s,
                    t.aircraft,
                    t.lat_deg,
                    t.lon_deg,
                    t.altitude_m,
                    t.velocity_east_mps,
                    t.velocity_north_mps
                );
            }
            SimEvent::SectorCrossing { .. } | SimEvent::Adsb { .. } => {}
        }
    }
    plots.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut text = PLOT_COLUMNS.join(",");
    text.push('\n');
    for (_, line) in plots {
        text.push_str(&line);
        text.push('\n');
    }
    std::fs::write(dir.join("plots.csv"), text).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("truth.csv"), truth).map_err(|e| e.to_string())?;
    let mut sensors = String::new();
    for r in &scenario.radars {
        let _ = write!(
            sensors,
            "[[sensor]]\nid = \"{}\"\nlat = {}\nlon = {}\nrange_sigma_m = {}\nazimuth_sigma_deg = {}\npd = {}\nperiod_s = {}\n\n",
            r.name, r.lat_deg, r.lon_deg, r.range_sigma_m, r.azimuth_sigma_deg, r.pd, r.period_s
        );
    }
    std::fs::write(dir.join("sensors.toml"), sensors).map_err(|e| e.to_string())
}

fn write_tracks(path: &Path, nation: &NationRun) -> Result<(), String> {
    let mut text = String::from(TRACKS_HEADER);
    text.push('\n');
    for p in &nation.pictures {
        for t in &p.tracks {
            TrackRow {
                time_s: p.time_s.round() as i64,
                track_id: t.id.0,
                lat_deg: t.lat_deg,
                lon_deg: t.lon_deg,
                vx_mps: t.velocity_east_mps,
                vy_mps: t.velocity_north_mps,
            }
            .write_csv(&mut text);
            text.push('\n');
        }
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}
