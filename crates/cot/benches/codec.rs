//! Decode and encode costs of the CoT codec, on the test cases a TAK server sees most: an
//! ATAK position report (SA) and a GeoChat message, in XML and TAK protocol v1, one at a time
//! and as a connection's byte stream; plus the fan-out pattern (encode once, share the bytes).
//!
//! Run: `cargo bench -p liptako-cot --bench codec`; `bench/cot_vs_takproto.py` runs it and
//! puts takproto (Python) beside it. Results and the machine are in bench/README.md.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use liptako_cot::{
    Event, Framing, Limits, StreamDecoder, decode_proto_event, decode_xml, encode_proto_payload,
    encode_stream_frame, encode_xml,
};

/// The test cases, read from the files the tests use.
fn case(name: &str) -> (Vec<u8>, Event) {
    let path = format!("{}/tests/data/xml/{name}.xml", env!("CARGO_MANIFEST_DIR"));
    let xml = std::fs::read(&path).expect("bench input");
    let event = decode_xml(&xml, &Limits::default()).expect("bench input decodes");
    (xml, event)
}

fn single_events(c: &mut Criterion) {
    let limits = Limits::default();
    for name in ["atak_sa", "atak_geochat_all"] {
        let (xml, event) = case(name);
        let payload = encode_proto_payload(&event);
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(1));
        group.bench_function("decode_xml", |b| {
            b.iter(|| decode_xml(black_box(&xml), &limits))
        });
        group.bench_function("encode_xml", |b| b.iter(|| encode_xml(black_box(&event))));
        group.bench_function("decode_proto", |b| {
            b.iter(|| decode_proto_event(black_box(&payload), &limits))
        });
        group.bench_function("encode_proto_frame", |b| {
            b.iter(|| encode_stream_frame(black_box(&event)))
        });
        group.finish();
    }
}

/// 1,000 SA events from distinct devices as one connection's bytes, read 16 KiB at a time.
fn streams(c: &mut Criterion) {
    let (_, template) = case("atak_sa");
    let events: Vec<Event> = (0..1000)
        .map(|index| {
            let mut event = template.clone();
            event.uid = format!("ANDROID-{index:016x}");
            event.point.lat_deg += f64::from(index) * 1e-4;
            event
        })
        .collect();
    let xml_stream: Vec<u8> = events.iter().flat_map(encode_xml).collect();
    let proto_stream: Vec<u8> = events.iter().flat_map(encode_stream_frame).collect();
    let mut group = c.benchmark_group("stream_1000_sa");
    group.throughput(Throughput::Elements(events.len() as u64));
    for (label, stream) in [("xml", &xml_stream), ("proto", &proto_stream)] {
        group.bench_function(label, |b| {
            b.iter(|| {
                let mut decoder = StreamDecoder::new(Framing::Detect, Limits::default());
                let mut n_events = 0;
                for chunk in stream.chunks(16 * 1024) {
                    decoder.feed(chunk);
                    while let Some(item) = decoder.next_event() {
                        n_events += usize::from(item.is_ok());
                    }
                }
                assert_eq!(n_events, 1000);
            })
        });
    }
    group.finish();
}

/// What a server does per incoming SA with 500 receivers: decode once, encode once per wire
/// format, and hand every receiver a clone of the shared bytes (a reference count, no copy).
fn fan_out(c: &mut Criterion) {
    let (xml, _) = case("atak_sa");
    let limits = Limits::default();
    let mut group = c.benchmark_group("fan_out_500");
    group.throughput(Throughput::Elements(500));
    group.bench_function("decode_once_encode_twice_share", |b| {
        b.iter_batched(
            || Vec::with_capacity(500),
            |mut queues: Vec<Bytes>| {
                let event = decode_xml(black_box(&xml), &limits).expect("decodes");
                let as_xml = Bytes::from(encode_xml(&event));
                let as_proto = Bytes::from(encode_stream_frame(&event));
                for receiver in 0..500 {
                    queues.push(if receiver % 2 == 0 {
                        as_xml.clone()
                    } else {
                        as_proto.clone()
                    });
                }
                queues
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("encode_per_receiver", |b| {
        b.iter_batched(
            || Vec::with_capacity(500),
            |mut queues: Vec<Bytes>| {
                let event = decode_xml(black_box(&xml), &limits).expect("decodes");
                for receiver in 0..500 {
                    queues.push(Bytes::from(if receiver % 2 == 0 {
                        encode_xml(&event)
                    } else {
                        encode_stream_frame(&event)
                    }));
                }
                queues
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, single_events, streams, fan_out);
criterion_main!(benches);
