//! `liptako-loadgen`: load generators for the benchmarks in `bench/`.
//!
//! - `ws`: N WebSocket subscribers of a node's live feed; prints messages received per second,
//!   delivery latency p50/p99, and its own CPU use (so a reader can see the generator was not
//!   the bottleneck);
//! - `federation`: replication throughput, lag, and catch-up over a degraded link, with real
//!   node processes (see `bench/federation/run.sh`);
//! - `joint-air`: how current a partner's air picture stays over a poor link (500 tracks), with
//!   real node processes (see `bench/joint/link.sh`).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use liptako_loadgen::{federation, joint_air, tak, ws};

#[derive(Parser)]
#[command(about = "Load generators for Liptako benchmarks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Subscribe N clients to /api/v1/live and measure what they receive.
    Ws {
        /// ws://host:port/api/v1/live
        #[arg(long)]
        url: String,
        /// Bearer token.
        #[arg(long)]
        token: String,
        /// Number of subscribers.
        #[arg(long, default_value_t = 50)]
        clients: usize,
        /// How long to listen, in seconds.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
    },
    /// N TAK clients sending positions, full fan-out: deliveries/s and latency.
    Tak {
        /// The TAK server's TCP listener (host:port).
        #[arg(long)]
        addr: std::net::SocketAddr,
        /// Number of clients.
        #[arg(long, default_value_t = 100)]
        clients: usize,
        /// Positions per second per client.
        #[arg(long, default_value_t = 1.0)]
        rate: f64,
        /// Seconds of sending before measuring.
        #[arg(long, default_value_t = 10)]
        warmup: u64,
        /// Seconds measured.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Negotiate protobuf (TAK protocol v1).
        #[arg(long)]
        protobuf: bool,
        /// A name for the server in the output line.
        #[arg(long, default_value = "server")]
        label: String,
    },
    /// The joint air picture over a shaped link: how many of a partner's tracks a node holds
    /// and how old they are.
    JointAir {
        /// The liptako binary (a release build).
        #[arg(long)]
        bin: PathBuf,
        /// Seconds measured.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Seconds before measuring.
        #[arg(long, default_value_t = 30)]
        warmup: u64,
        /// Link rate, kbit/s.
        #[arg(long, default_value_t = 64)]
        kbit_s: u64,
        /// One-way delay, ms.
        #[arg(long, default_value_t = 600)]
        delay_ms: u64,
        /// Segment loss, percent.
        #[arg(long, default_value_t = 1.0)]
        loss_pct: f64,
        /// The air stream's budget (`[[link]] air_kbit_s`), kbit/s.
        #[arg(long, default_value_t = 48.0)]
        air_kbit_s: f64,
    },
    /// Replication throughput, lag and degraded-link catch-up between real nodes.
    Federation {
        /// The liptako binary (a release build).
        #[arg(long)]
        bin: PathBuf,
        /// Versions in the throughput backlog.
        #[arg(long, default_value_t = 20_000)]
        backlog: usize,
        /// Steady write rates for the lag runs, per second.
        #[arg(long, value_delimiter = ',', default_value = "100,1000")]
        rates: Vec<u64>,
        /// Seconds per lag run.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Parallel HTTP writers.
        #[arg(long, default_value_t = 16)]
        writers: usize,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Ws {
            url,
            token,
            clients,
            seconds,
        } => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let received = runtime.block_on(ws::subscribe(
                &url,
                &token,
                clients,
                Duration::from_secs(seconds),
            ))?;
            let elapsed = received.elapsed.as_secs_f64();
            say(&format!(
                "ws subscribers={} received={} rate={:.0}/s latency_ms p50={:.2} p99={:.2} resyncs={} loadgen_cpu={:.1}%",
                received.n_clients,
                received.n_upserts,
                received.n_upserts as f64 / elapsed,
                received.latency_ms(0.5),
                received.latency_ms(0.99),
                received.n_resyncs,
                100.0 * ws::process_cpu_seconds() / elapsed
            ));
            Ok(())
        }
        Command::Tak {
            addr,
            clients,
            rate,
            warmup,
            seconds,
            protobuf,
            label,
        } => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let run_id = format!("lg{}", std::process::id());
            let report = runtime.block_on(tak::run(&tak::Options {
                addr,
                clients,
                rate_hz: rate,
                warmup: Duration::from_secs(warmup),
                measure: Duration::from_secs(seconds),
                protobuf,
                run_id,
            }))?;
            say(&format!(
                "tak server={label} protocol={} clients={} join_failures={} rate_hz={rate} sent={} delivered={} expected={} delivered_pct={:.1} received={} deliveries_per_s={:.0} latency_ms p50={:.2} p99={:.2} max={:.2} duplicates={} other_events={} disconnected={} loadgen_cpu={:.1}%",
                if protobuf { "protobuf" } else { "xml" },
                report.n_clients,
                report.join_failures,
                report.sent,
                report.delivered,
                report.expected(),
                100.0 * report.delivered as f64 / report.expected().max(1) as f64,
                report.received,
                report.rate(),
                report.latency_ms(0.5),
                report.latency_ms(0.99),
                report.latency_ms(1.0),
                report.duplicates,
                report.other_events,
                report.disconnected,
                report.cpu_percent(),
            ));
            if let Some(error) = &report.first_join_error {
                say(&format!("# first client that could not join: {error}"));
            }
            Ok(())
        }
        Command::JointAir {
            bin,
            seconds,
            warmup,
            kbit_s,
            delay_ms,
            loss_pct,
            air_kbit_s,
        } => joint_air::run(
            &bin,
            &joint_air::Options {
                seconds,
                warmup,
                rate_bps: kbit_s * 1000,
                delay: Duration::from_millis(delay_ms),
                loss: loss_pct / 100.0,
                air_kbit_s,
            },
            say,
        ),
        Command::Federation {
            bin,
            backlog,
            rates,
            seconds,
            writers,
        } => federation::run(
            &bin,
            &federation::Options {
                backlog,
                rates,
                seconds,
                writers,
            },
        ),
    }
}

#[allow(clippy::print_stdout)]
fn say(line: &str) {
    println!("{line}");
}
