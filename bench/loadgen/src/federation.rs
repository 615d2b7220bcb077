//! The federation benchmark: replication throughput and lag between two nodes on a good
//! loopback link, and catch-up over a degraded link (64 kbit/s, 600 ms, 1 % loss) after an
//! outage. Real `liptako serve` processes, linked through the test proxy.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cluster::Cluster;
use crate::proxy::Shape;
use crate::ws;

/// Options of the run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Versions in the backlog of the throughput run.
    pub backlog: usize,
    /// Writes per second in the lag runs.
    pub rates: Vec<u64>,
    /// Seconds per lag run.
    pub seconds: u64,
    /// HTTP writers in parallel.
    pub writers: usize,
}

/// Words the report bodies are drawn from, so that bodies differ as real ones do (identical
/// bodies would compress far better than real traffic and flatter the bytes per report).
const WORDS: [&str; 48] = [
    "patrouille",
    "véhicule",
    "suspect",
    "piste",
    "nord",
    "sud",
    "est",
    "ouest",
    "village",
    "puits",
    "marché",
    "colonne",
    "motos",
    "pick-up",
    "armés",
    "civils",
    "déplacés",
    "route",
    "nationale",
    "frontière",
    "kilomètres",
    "heures",
    "observé",
    "signalé",
    "direction",
    "vitesse",
    "lente",
    "rapide",
    "stationnaire",
    "groupe",
    "hommes",
    "environ",
    "poste",
    "contrôle",
    "engin",
    "explosif",
    "détecté",
    "neutralisé",
    "blessés",
    "évacuation",
    "médicale",
    "drone",
    "survol",
    "altitude",
    "basse",
    "convoi",
    "ravitaillement",
    "escorte",
];

/// A spot report with a body of 25 to 60 words and its own position.
fn report(title: String) -> Value {
    let mut seed = title.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let n_words = 25 + (next() % 36) as usize;
    let body: Vec<&str> = (0..n_words)
        .map(|_| WORDS[(next() % WORDS.len() as u64) as usize])
        .collect();
    let lat = 13.0 + (next() % 40_000) as f64 / 10_000.0;
    let lon = -1.0 + (next() % 40_000) as f64 / 10_000.0;
    json!({"kind": "spot_report", "title": title, "body": body.join(" "),
           "location": {"lat": lat, "lon": lon}, "marking": {"level": "DR", "releasable_to": ["AES"]}})
}

/// Versions the partner has received and held, from its `/api/v1/links`.
fn received(cluster: &Cluster, node: usize) -> anyhow::Result<u64> {
    let (_, links) = cluster.call(node, "GET", "/api/v1/links", None)?;
    Ok(links
        .as_array()
        .map(|links| {
            links
                .iter()
                .filter_map(|l| l["receiving"]["versions"].as_u64())
                .sum()
        })
        .unwrap_or(0))
}

/// Creates `n` reports on node 0 with `writers` threads; returns how long it took.
fn write_backlog(cluster: &Arc<Cluster>, n: usize, writers: usize) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..writers)
            .map(|_| {
                let (cluster, next) = (cluster.clone(), next.clone());
                scope.spawn(move || -> anyhow::Result<()> {
                    loop {
                        let idx = next.fetch_add(1, Ordering::Relaxed) as usize;
                        if idx >= n {
                            return Ok(());
                        }
                        cluster.create(0, "reports", &report(format!("backlog {idx}")))?;
                    }
                })
            })
            .collect();
        handles.into_iter().try_for_each(|handle| {
            handle
                .join()
                .map_err(|_| anyhow::anyhow!("writer panicked"))?
        })
    })?;
    Ok(started.elapsed())
}

/// Runs every measurement and prints the results.
pub fn run(bin: &Path, options: &Options) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("liptako-bench-federation-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = run_in(bin, &dir, options);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_in(bin: &Path, dir: &Path, options: &Options) -> anyhow::Result<()> {
    // 1. Throughput: a backlog written while the link is cut, then the catch-up.
    let cluster = Arc::new(Cluster::new(
        bin,
        &dir.join("throughput"),
        &["MLI", "BFA"],
        &[(0, 1, "C")],
    )?);
    cluster.cut(0, 1);
    let wrote = write_backlog(&cluster, options.backlog, options.writers)?;
    let before = received(&cluster, 1)?;
    let bytes_before = cluster.link_bytes(0, 1);
    let started = Instant::now();
    cluster.restore(0, 1);
    let target = before + options.backlog as u64;
    // Polled every 10 ms: when the first versions arrive (the puller reconnects with backoff
    // after an outage) and when the last does.
    let mut first: Option<(Duration, u64)> = None;
    loop {
        let n = received(&cluster, 1)?;
        if first.is_none() && n > before {
            first = Some((started.elapsed(), n));
        }
        if n >= target {
            break;
        }
        if started.elapsed() > Duration::from_secs(600) {
            anyhow::bail!("the backlog did not arrive within 600 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let took = started.elapsed();
    let (first_at, first_n) = first.unwrap_or((took, before));
    let streamed = took.saturating_sub(first_at).as_secs_f64().max(1e-3);
    let bytes = cluster.link_bytes(0, 1) - bytes_before;
    say(&format!(
        "throughput: backlog of {} versions (written in {:.1} s through the API): first versions at the partner {:.2} s after the link came back (reconnection), all {:.2} s after; {:.0} versions/s from first to last; {:.0} bytes/version on the wire (TLS, zstd)",
        options.backlog,
        wrote.as_secs_f64(),
        first_at.as_secs_f64(),
        took.as_secs_f64(),
        (target - first_n) as f64 / streamed,
        bytes as f64 / options.backlog as f64
    ));

    // 2. Lag on a good link: steady writes at the origin, a live subscriber at the partner.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    for &rate in &options.rates {
        let url = format!("ws://127.0.0.1:{}/api/v1/live", cluster.members[1].http);
        let token = cluster.token(1).to_owned();
        let listen = Duration::from_secs(options.seconds + 3);
        let subscriber = runtime.spawn(async move { ws::subscribe(&url, &token, 1, listen).await });
        std::thread::sleep(Duration::from_millis(500));
        let written = steady_writes(
            &cluster,
            rate,
            Duration::from_secs(options.seconds),
            options.writers,
        )?;
        let seen = runtime.block_on(subscriber)??;
        say(&format!(
            "lag at {rate} writes/s ({written} written): origin commit -> partner live feed p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} received)",
            seen.latency_ms(0.5),
            seen.latency_ms(0.99),
            seen.latency_ms(1.0),
            seen.n_upserts
        ));
    }
    drop(cluster);

    // 3. A degraded link: outage, backlog of reports and unit positions, catch-up.
    let cluster = Arc::new(Cluster::new(
        bin,
        &dir.join("degraded"),
        &["MLI", "BFA"],
        &[(0, 1, "C")],
    )?);
    let shape = Shape {
        rate_bps: 64_000,
        delay: Duration::from_millis(600),
        loss: 0.01,
    };
    cluster.shape(0, 1, shape);
    cluster.cut(0, 1);
    let n_reports = 300;
    write_backlog(&cluster, n_reports, 4)?;
    let mut n_versions = n_reports as u64;
    let mut units = Vec::new();
    for n in 0..20 {
        units.push(cluster.create(0, "units", &json!({"callsign": format!("U{n}"), "symbol": "SFGPUCI----K---",
            "marking": {"level": "DR", "releasable_to": ["AES"]}, "position": {"lat": 15.0, "lon": 1.0}, "course_deg": 90.0, "speed_mps": 10.0}))?);
        n_versions += 1;
    }
    for round in 1..=10 {
        for unit in &mut units {
            let mut moved = unit.clone();
            moved["position"] = json!({"lat": 15.0 + round as f64 * 0.001, "lon": 1.0});
            let (_, body) = cluster.call(
                0,
                "PUT",
                &format!("/api/v1/units/{}", unit["id"].as_str().unwrap_or("")),
                Some(&moved),
            )?;
            *unit = body;
            n_versions += 1;
        }
    }
    let before = received(&cluster, 1)?;
    let bytes_before = cluster.link_bytes(0, 1);
    cluster.restore(0, 1);
    let took = cluster.wait_until(Duration::from_secs(900), |c| {
        Ok(received(c, 1)? >= before + n_versions)
    })?;
    let bytes = cluster.link_bytes(0, 1) - bytes_before;
    say(&format!(
        "degraded link (64 kbit/s, 600 ms one way, 1 % loss): backlog of {n_reports} reports + {} unit versions caught up in {:.1} s; {} bytes on the wire = {:.0} bytes/version ({:.0} bytes/report incl. TLS and heartbeats)",
        n_versions - n_reports as u64,
        took.as_secs_f64(),
        bytes,
        bytes as f64 / n_versions as f64,
        bytes as f64 / n_versions as f64
    ));
    Ok(())
}

/// Writes at `rate` per second for `duration`; returns how many were written.
fn steady_writes(
    cluster: &Arc<Cluster>,
    rate: u64,
    duration: Duration,
    writers: usize,
) -> anyhow::Result<u64> {
    let started = Instant::now();
    let written = Arc::new(AtomicU64::new(0));
    let per_writer = (rate as f64 / writers as f64).max(0.1);
    std::thread::scope(|scope| {
        for writer in 0..writers {
            let (cluster, written) = (cluster.clone(), written.clone());
            scope.spawn(move || {
                let mut n = 0u64;
                while started.elapsed() < duration {
                    let due = Duration::from_secs_f64(n as f64 / per_writer);
                    if let Some(wait) = due.checked_sub(started.elapsed()) {
                        std::thread::sleep(wait);
                    }
                    if cluster
                        .create(0, "reports", &report(format!("steady {writer}-{n}")))
                        .is_ok()
                    {
                        written.fetch_add(1, Ordering::Relaxed);
                    }
                    n += 1;
                }
            });
        }
    });
    Ok(written.load(Ordering::Relaxed))
}

#[allow(clippy::print_stdout)]
fn say(line: &str) {
    println!("{line}");
}
