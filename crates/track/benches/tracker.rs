//! Tracker throughput on simulated scenarios (criterion). The events are generated once,
//! outside the timing; each iteration feeds them to a fresh tracker exactly as the node would.
//! The headline figure is the real-time factor: simulated seconds per second of one core.
//!
//! `cargo bench -p liptako-track --bench tracker` (see bench/README.md for the figures).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use liptako_track::scenarios::{self, Feeder};
use liptako_track::sim::{SimEvent, Simulator};
use liptako_track::{Tracker, TrackerConfig};

fn events_of(s: &liptako_track::sim::Scenario) -> Vec<SimEvent> {
    Simulator::new(s.clone())
        .expect("valid scenario")
        .filter(|e| !matches!(e, SimEvent::Truth(_)))
        .collect()
}

fn track_all(s: &liptako_track::sim::Scenario, events: &[SimEvent]) -> usize {
    let mut tracker = Tracker::new(TrackerConfig::new(14.5, 0.5));
    let mut feeder = Feeder::new(&mut tracker, s, false).expect("feeder");
    for e in events {
        feeder.feed(e.clone()).expect("feed");
    }
    let run = feeder.finish(s.start_time_s + s.duration_s);
    run.pictures.last().map_or(0, |p| p.tracks.len())
}

// The workload size goes beside criterion's figures for the reader of the run.
#[allow(clippy::print_stderr)]
fn bench_scenarios(c: &mut Criterion) {
    let cases = [
        (
            "dense_5000_aircraft_10_radars_20s",
            scenarios::dense(1, 5_000, 10, 20.0),
        ),
        (
            "dense_500_aircraft_4_radars_60s",
            scenarios::dense(1, 500, 4, 60.0),
        ),
        ("manoeuvring_420s", scenarios::manoeuvring(1)),
    ];
    let mut group = c.benchmark_group("track");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30))
        .warm_up_time(Duration::from_secs(3));
    for (name, s) in cases {
        let events = events_of(&s);
        let n_plots = events
            .iter()
            .filter(|e| matches!(e, SimEvent::Plot { .. } | SimEvent::Adsb { .. }))
            .count();
        eprintln!(
            "{name}: {n_plots} plots and reports over {} simulated seconds",
            s.duration_s
        );
        group.throughput(Throughput::Elements(n_plots as u64));
        group.bench_function(name, |b| {
            b.iter(|| black_box(track_all(&s, black_box(&events))))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_scenarios);
criterion_main!(benches);
