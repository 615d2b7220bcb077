//! WebSocket subscribers of a node's live feed, measuring what they receive: messages per
//! second and delivery latency (from the version's `updated` time, stamped by the node that
//! made it, to receipt on this machine).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::StreamExt;
use time::OffsetDateTime;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;

/// What the subscribers saw.
#[derive(Debug, Clone)]
pub struct Received {
    /// Subscribers.
    pub n_clients: usize,
    /// Upserts received, all subscribers together.
    pub n_upserts: u64,
    /// Resynchronisation notices (a subscriber fell behind the feed).
    pub n_resyncs: u64,
    /// How long they listened.
    pub elapsed: Duration,
    /// Delivery latencies in microseconds, sorted.
    pub latencies_us: Vec<u64>,
}

impl Received {
    /// The `p` quantile of the latency, in milliseconds.
    pub fn latency_ms(&self, p: f64) -> f64 {
        quantile_ms(&self.latencies_us, p)
    }
}

/// The `p` quantile of sorted microsecond samples, in milliseconds.
pub fn quantile_ms(sorted_us: &[u64], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted_us.len() as f64 - 1.0) * p).round() as usize;
    sorted_us[idx.min(sorted_us.len() - 1)] as f64 / 1000.0
}

/// Subscribes `n_clients` to `url` (`ws://host:port/api/v1/live`) and listens for `listen`.
pub async fn subscribe(
    url: &str,
    token: &str,
    n_clients: usize,
    listen: Duration,
) -> anyhow::Result<Received> {
    let upserts = Arc::new(AtomicU64::new(0));
    let resyncs = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::<u64>::new()));
    let deadline = Instant::now() + listen;
    let mut tasks = Vec::new();
    for _ in 0..n_clients {
        let (mut stream, _) =
            tokio_tungstenite::connect_async(format!("{url}?access_token={token}"))
                .await
                .context("cannot connect")?;
        let (upserts, resyncs, latencies) = (upserts.clone(), resyncs.clone(), latencies.clone());
        tasks.push(tokio::spawn(async move {
            let mut local = Vec::new();
            while let Ok(Some(Ok(message))) =
                tokio::time::timeout_at(deadline.into(), stream.next()).await
            {
                let Message::Text(text) = message else {
                    continue;
                };
                let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
                    continue;
                };
                match value["op"].as_str() {
                    Some("upsert") => {
                        upserts.fetch_add(1, Ordering::Relaxed);
                        let updated = value["object"]["updated"].as_str().and_then(|text| {
                            OffsetDateTime::parse(
                                text,
                                &time::format_description::well_known::Rfc3339,
                            )
                            .ok()
                        });
                        if let Some(updated) = updated {
                            let latency = OffsetDateTime::now_utc() - updated;
                            local.push(latency.whole_microseconds().max(0) as u64);
                        }
                    }
                    Some("resync") => {
                        resyncs.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {}
                }
            }
            latencies.lock().await.extend(local);
        }));
    }
    let started = Instant::now();
    for task in tasks {
        task.await?;
    }
    let mut latencies_us = latencies.lock().await.clone();
    latencies_us.sort_unstable();
    Ok(Received {
        n_clients,
        n_upserts: upserts.load(Ordering::Relaxed),
        n_resyncs: resyncs.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
        latencies_us,
    })
}

/// User + system CPU seconds of this process so far, from /proc (Linux).
pub fn process_cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |idx: usize| {
        fields
            .get(idx)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // After the command name: state is field 0, utime 11, stime 12; 100 ticks per second.
    (ticks(11) + ticks(12)) / 100.0
}
