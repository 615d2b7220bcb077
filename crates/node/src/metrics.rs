//! A small Prometheus registry: counters, gauges and histograms, rendered as the text
//! exposition format at `/metrics`.
//!
//! Every part of the node registers its series once ([`Metrics::counter`], [`Metrics::gauge`])
//! and keeps the returned handle, so the hot path is one atomic add. Series are identified by
//! name and labels; asking twice returns the same series.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A counter handle.
#[derive(Debug, Clone, Default)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    /// The current value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A gauge handle.
#[derive(Debug, Clone, Default)]
pub struct Gauge(Arc<AtomicI64>);

impl Gauge {
    /// Sets the value.
    pub fn set(&self, value: i64) {
        self.0.store(value, Ordering::Relaxed);
    }
    /// Adds `delta` (may be negative).
    pub fn add(&self, delta: i64) {
        self.0.fetch_add(delta, Ordering::Relaxed);
    }
    /// The current value.
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Upper bounds of the latency histogram buckets, in seconds.
const LATENCY_BUCKETS_S: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// A latency histogram handle (fixed buckets from 0.5 ms to 5 s).
#[derive(Debug, Clone)]
pub struct Histogram(Arc<HistogramCells>);

#[derive(Debug, Default)]
struct HistogramCells {
    buckets: [AtomicU64; LATENCY_BUCKETS_S.len()],
    count: AtomicU64,
    sum_us: AtomicU64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bound, bucket) in LATENCY_BUCKETS_S.iter().zip(&self.0.buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.0.count.fetch_add(1, Ordering::Relaxed);
        self.0
            .sum_us
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }
}

#[derive(Debug, Clone)]
enum Series {
    Counter(Counter),
    Gauge(Gauge),
    Histogram(Histogram),
}

#[derive(Debug)]
struct Family {
    help: &'static str,
    kind: &'static str,
    series: BTreeMap<String, Series>,
}

/// The registry.
#[derive(Debug, Default)]
pub struct Metrics {
    families: Mutex<BTreeMap<&'static str, Family>>,
}

impl Metrics {
    /// The counter `name{labels}`, created on first use.
    pub fn counter(
        &self,
        name: &'static str,
        help: &'static str,
        labels: &[(&str, &str)],
    ) -> Counter {
        match self.series(name, help, "counter", labels, || {
            Series::Counter(Counter::default())
        }) {
            Series::Counter(counter) => counter,
            _ => Counter::default(),
        }
    }

    /// The gauge `name{labels}`, created on first use.
    pub fn gauge(&self, name: &'static str, help: &'static str, labels: &[(&str, &str)]) -> Gauge {
        match self.series(name, help, "gauge", labels, || {
            Series::Gauge(Gauge::default())
        }) {
            Series::Gauge(gauge) => gauge,
            _ => Gauge::default(),
        }
    }

    /// The latency histogram `name{labels}`, created on first use.
    pub fn histogram(
        &self,
        name: &'static str,
        help: &'static str,
        labels: &[(&str, &str)],
    ) -> Histogram {
        let make = || Series::Histogram(Histogram(Arc::default()));
        match self.series(name, help, "histogram", labels, make) {
            Series::Histogram(histogram) => histogram,
            _ => Histogram(Arc::default()),
        }
    }

    fn series(
        &self,
        name: &'static str,
        help: &'static str,
        kind: &'static str,
        labels: &[(&str, &str)],
        make: impl FnOnce() -> Series,
    ) -> Series {
        let mut families = self
            .families
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let family = families.entry(name).or_insert_with(|| Family {
            help,
            kind,
            series: BTreeMap::new(),
        });
        family
            .series
            .entry(render_labels(labels))
            .or_insert_with(make)
            .clone()
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let families = self
            .families
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out = String::with_capacity(4096);
        for (name, family) in families.iter() {
            let _ = writeln!(out, "# HELP {name} {}", family.help);
            let _ = writeln!(out, "# TYPE {name} {}", family.kind);
            for (labels, series) in &family.series {
                match series {
                    Series::Counter(counter) => {
                        let _ = writeln!(out, "{name}{labels} {}", counter.get());
                    }
                    Series::Gauge(gauge) => {
                        let _ = writeln!(out, "{name}{labels} {}", gauge.get());
                    }
                    Series::Histogram(histogram) => {
                        render_histogram(&mut out, name, labels, histogram)
                    }
                }
            }
        }
        out
    }
}

fn render_histogram(out: &mut String, name: &str, labels: &str, histogram: &Histogram) {
    let inner = labels.trim_start_matches('{').trim_end_matches('}');
    let sep = if inner.is_empty() { "" } else { "," };
    for (bound, bucket) in LATENCY_BUCKETS_S.iter().zip(&histogram.0.buckets) {
        let _ = writeln!(
            out,
            "{name}_bucket{{{inner}{sep}le=\"{bound}\"}} {}",
            bucket.load(Ordering::Relaxed)
        );
    }
    let count = histogram.0.count.load(Ordering::Relaxed);
    let _ = writeln!(out, "{name}_bucket{{{inner}{sep}le=\"+Inf\"}} {count}");
    let sum_s = histogram.0.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
    let _ = writeln!(out, "{name}_sum{labels} {sum_s}");
    let _ = writeln!(out, "{name}_count{labels} {count}");
}

fn render_labels(labels: &[(&str, &str)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let mut out = String::from("{");
    for (idx, (key, value)) in labels.iter().enumerate() {
        if idx > 0 {
            out.push(',');
        }
        let escaped = value
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        let _ = write!(out, "{key}=\"{escaped}\"");
    }
    out.push('}');
    out
}

/// HTTP request counters and latency histograms by route, method and status, with a cache of
/// handles so that recording a request takes read locks only (no allocation, no registry lock).
#[derive(Debug, Default)]
pub struct RequestStats {
    routes: std::sync::RwLock<std::collections::HashMap<String, Arc<RouteStats>>>,
}

#[derive(Debug)]
struct RouteStats {
    latency: Histogram,
    counters: std::sync::RwLock<Vec<(String, u16, Counter)>>,
}

impl RequestStats {
    /// Counts one request.
    pub fn record(
        &self,
        metrics: &Metrics,
        route: &str,
        method: &str,
        status: u16,
        elapsed: Duration,
    ) {
        let stats = self.route(metrics, route);
        stats.latency.observe(elapsed);
        let cached = stats
            .counters
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .find(|(m, s, _)| m == method && *s == status)
            .map(|(_, _, counter)| counter.clone());
        let counter = cached.unwrap_or_else(|| {
            let status_text = status.to_string();
            let counter = metrics.counter(
                "liptako_http_requests_total",
                "HTTP requests by method, route and status.",
                &[
                    ("method", method),
                    ("route", route),
                    ("status", &status_text),
                ],
            );
            stats
                .counters
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((method.to_owned(), status, counter.clone()));
            counter
        });
        counter.inc();
    }

    fn route(&self, metrics: &Metrics, route: &str) -> Arc<RouteStats> {
        if let Some(stats) = self
            .routes
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(route)
        {
            return stats.clone();
        }
        let stats = Arc::new(RouteStats {
            latency: metrics.histogram(
                "liptako_http_request_duration_seconds",
                "HTTP request latency by route.",
                &[("route", route)],
            ),
            counters: std::sync::RwLock::default(),
        });
        self.routes
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(route.to_owned())
            .or_insert(stats)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_exposition_format() {
        let metrics = Metrics::default();
        let requests = metrics.counter("liptako_x_total", "Things.", &[("route", "/a\"b")]);
        requests.add(3);
        assert_eq!(
            metrics
                .counter("liptako_x_total", "Things.", &[("route", "/a\"b")])
                .get(),
            3,
            "same name and labels, same series"
        );
        metrics.gauge("liptako_g", "A gauge.", &[]).set(-2);
        metrics
            .histogram("liptako_h_seconds", "Latency.", &[("route", "r")])
            .observe(Duration::from_millis(3));
        let text = metrics.render();
        assert!(text.contains("# TYPE liptako_x_total counter"), "{text}");
        assert!(
            text.contains("liptako_x_total{route=\"/a\\\"b\"} 3"),
            "{text}"
        );
        assert!(text.contains("liptako_g -2"), "{text}");
        assert!(
            text.contains("liptako_h_seconds_bucket{route=\"r\",le=\"0.0025\"} 0"),
            "{text}"
        );
        assert!(
            text.contains("liptako_h_seconds_bucket{route=\"r\",le=\"0.005\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("liptako_h_seconds_count{route=\"r\"} 1"),
            "{text}"
        );
    }
}
