//! The joint air picture over a poor link, with real processes: MLI's node fuses the `dense`
//! scenario (500 aircraft, four radars and an ADS-B network around 14.5 N 0.5 E, in real
//! time) and sends its tracks to NER over a link shaped like a poor satellite link (64 kbit/s,
//! 600 ms one way, 1 % loss by default) with `[[link]] air_kbit_s` set to what that link leaves
//! after the version logs. NER has no sensor of its own: its picture is MLI's tracks alone.
//! Once a second, for `seconds`, both pictures are read: how many of MLI's tracks NER holds,
//! and how old NER's state of each is (NER's clock minus the track's `updated`).

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::cluster::{Cluster, free_port};
use crate::proxy::Shape;

/// Options of the run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Seconds measured (after `warmup`).
    pub seconds: u64,
    /// Seconds before measuring (tracks confirmed, the link's first round sent).
    pub warmup: u64,
    /// Link rate, bit/s.
    pub rate_bps: u64,
    /// One-way delay.
    pub delay: Duration,
    /// Segment loss probability.
    pub loss: f64,
    /// The air stream's budget, kbit/s.
    pub air_kbit_s: f64,
}

/// Runs the measurement and prints its lines.
pub fn run(bin: &Path, options: &Options, say: impl Fn(&str)) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("liptako-bench-joint-air-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = run_in(bin, &dir, options, &say);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// The scenario's sensors as `[[sensor]]` tables listening on `listen` (positions read from
/// the simulator's own sensors file).
fn sensor_tables(bin: &Path, dir: &Path, listen: SocketAddr) -> anyhow::Result<String> {
    let file = dir.join("sensors.toml");
    let status = std::process::Command::new(bin)
        .args([
            "simulate",
            "--scenario",
            "dense",
            "--duration",
            "1",
            "--sensors",
        ])
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .status()?;
    anyhow::ensure!(status.success(), "liptako simulate --sensors failed");
    let text = std::fs::read_to_string(&file)?;
    let mut tables = String::new();
    let mut current: Vec<(String, String)> = Vec::new();
    let flush = |fields: &mut Vec<(String, String)>, out: &mut String| {
        let get = |key: &str| {
            fields
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        if let (Some(id), Some(lat), Some(lon), Some(sac), Some(sic), Some(period)) = (
            get("id"),
            get("lat"),
            get("lon"),
            get("sac"),
            get("sic"),
            get("period_s"),
        ) {
            out.push_str(&format!(
                "\n[[sensor]]\nid = {id}\nkind = \"radar\"\nlisten = \"{listen}\"\nsac = {sac}\nsic = {sic}\nlat_deg = {lat}\nlon_deg = {lon}\nperiod = \"{}ms\"\nmax_range_m = 400000.0\n",
                (period.parse::<f64>().unwrap_or(4.0) * 1000.0).round()
            ));
        }
        fields.clear();
    };
    for line in text.lines() {
        let line = line.trim();
        if line == "[[sensor]]" {
            flush(&mut current, &mut tables);
        } else if let Some((key, value)) = line.split_once(" = ") {
            current.push((key.trim().to_owned(), value.trim().to_owned()));
        }
    }
    flush(&mut current, &mut tables);
    tables.push_str(&format!(
        "\n[[sensor]]\nid = \"ADSB\"\nkind = \"adsb\"\nlisten = \"{listen}\"\nsac = 10\nsic = 100\n"
    ));
    Ok(tables)
}

/// Inserts `lines` right after the `[header]` line of a node's configuration.
fn insert_after(path: &Path, header: &str, lines: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path)?;
    let at = text
        .find(header)
        .ok_or_else(|| anyhow::anyhow!("{}: no {header}", path.display()))?
        + header.len();
    let mut edited = text;
    edited.insert_str(at, &format!("\n{lines}"));
    std::fs::write(path, edited)?;
    Ok(())
}

fn tracks(cluster: &Cluster, idx: usize) -> anyhow::Result<Vec<Value>> {
    let (_, picture) = cluster.call(idx, "GET", "/api/v1/air/tracks", None)?;
    Ok(picture["tracks"].as_array().cloned().unwrap_or_default())
}

fn unix_s(text: &str) -> Option<f64> {
    let at =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    Some(at.unix_timestamp() as f64 + f64::from(at.nanosecond()) * 1e-9)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted.get(i).copied().unwrap_or(f64::NAN)
}

fn run_in(bin: &Path, dir: &Path, options: &Options, say: &dyn Fn(&str)) -> anyhow::Result<()> {
    let mut cluster = Cluster::new(bin, dir, &["MLI", "NER"], &[(0, 1, "C")])?;
    cluster.kill(0);
    cluster.kill(1);
    let listen = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mli = dir.join("mli").join("liptako.toml");
    let ner = dir.join("ner").join("liptako.toml");
    let sensors = sensor_tables(bin, dir, listen)?;
    let mut text = std::fs::read_to_string(&mli)?;
    text.push_str(&sensors);
    std::fs::write(&mli, text)?;
    insert_after(
        &mli,
        "nation = \"NER\"",
        &format!("air_kbit_s = {}", options.air_kbit_s),
    )?;
    insert_after(&ner, "[air]", "origin_lat_deg = 14.5\norigin_lon_deg = 0.5")?;
    cluster.start(0)?;
    cluster.start(1)?;
    cluster.shape(
        0,
        1,
        Shape {
            rate_bps: options.rate_bps,
            delay: options.delay,
            loss: options.loss,
        },
    );
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs_f64();
    let duration = options.warmup + options.seconds + 10;
    let mut simulator = std::process::Command::new(bin)
        .args([
            "simulate",
            "--scenario",
            "dense",
            "--seed",
            "1",
            "--speed",
            "1",
            "--duration",
            &duration.to_string(),
            "--start-time",
            &format!("{now:.3}"),
            "--udp",
            &listen.to_string(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let started = Instant::now();
    let bytes_before = cluster.link_bytes(0, 1);
    let (mut held, mut ages, mut own_counts) = (Vec::new(), Vec::new(), Vec::new());
    let mut measured_from: Option<(Instant, u64)> = None;
    while started.elapsed() < Duration::from_secs(options.warmup + options.seconds) {
        std::thread::sleep(Duration::from_secs(1));
        if started.elapsed() < Duration::from_secs(options.warmup) {
            continue;
        }
        if measured_from.is_none() {
            measured_from = Some((Instant::now(), cluster.link_bytes(0, 1)));
        }
        let own = tracks(&cluster, 0)?;
        let partner = tracks(&cluster, 1)?;
        let read_at = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs_f64();
        let from_mli: Vec<&Value> = partner
            .iter()
            .filter(|t| {
                t["nations"]
                    .as_array()
                    .is_some_and(|n| n.iter().any(|n| n == "MLI"))
            })
            .collect();
        own_counts.push(own.len() as f64);
        held.push(from_mli.len() as f64 / own.len().max(1) as f64);
        for track in from_mli {
            if let Some(updated) = track["updated"].as_str().and_then(unix_s) {
                ages.push(read_at - updated);
            }
        }
    }
    let _ = simulator.kill();
    let _ = simulator.wait();
    let (measure_start, bytes_at_start) = measured_from.unwrap_or((started, bytes_before));
    let rate = (cluster.link_bytes(0, 1) - bytes_at_start) as f64 * 8.0
        / measure_start.elapsed().as_secs_f64()
        / 1000.0;
    ages.sort_by(f64::total_cmp);
    own_counts.sort_by(f64::total_cmp);
    held.sort_by(f64::total_cmp);
    say(&format!(
        "joint-air link={} kbit/s delay={} ms loss={:.1}% air_kbit_s={} aircraft=500 samples={} mli_tracks_median={:.0} ner_holds_median={:.1}% ner_holds_min={:.1}% age_s p50={:.2} p95={:.2} p99={:.2} max={:.2} link_kbit_s={:.1}",
        options.rate_bps / 1000,
        options.delay.as_millis(),
        options.loss * 100.0,
        options.air_kbit_s,
        held.len(),
        percentile(&own_counts, 0.5),
        percentile(&held, 0.5) * 100.0,
        percentile(&held, 0.0) * 100.0,
        percentile(&ages, 0.5),
        percentile(&ages, 0.95),
        percentile(&ages, 0.99),
        percentile(&ages, 1.0),
        rate,
    ));
    Ok(())
}
