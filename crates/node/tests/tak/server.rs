//! The TAK server's behaviour at the byte level, with a client of our own over TCP and TLS:
//! control messages, slow and idle clients, worlds (exercises), uid ownership, TLS
//! authentication, password login on TCP, air tracks published by the node, and the thinned
//! unit history.

use std::time::Duration;

use liptako_cot::negotiation::{self, Control};
use liptako_cot::{CotTime, Event, decode_xml, encode_xml};
use liptako_model::{Marking, Point};
use liptako_node::picture::{AirIdentity, AirTrack};
use serde_json::json;

use super::common::{PASSWORD, RawClient, TakNode, nation, sa_xml};

const WAIT: Duration = Duration::from_secs(10);

fn now() -> CotTime {
    liptako_node::tak::convert::cot_time(time::OffsetDateTime::now_utc())
}

fn control(event: &Event) -> Option<Control> {
    Control::from_event(event).ok().flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_offers_protobuf_answers_pings_and_refuses_unknown_versions() {
    let node = TakNode::start(|_| {}).await;
    let mut client = RawClient::connect(node.tcp()).await;
    let offer = client.next_event(WAIT).await.unwrap();
    assert_eq!(
        control(&offer),
        Some(Control::ProtocolSupport { versions: vec![1] })
    );
    client
        .send(&encode_xml(&negotiation::ping("ANDROID-1", now())))
        .await;
    let pong = client.next_event(WAIT).await.unwrap();
    assert_eq!(control(&pong), Some(Control::Pong));
    client
        .send(&encode_xml(&negotiation::protocol_request(
            "protouid",
            now(),
            2,
        )))
        .await;
    let answer = client.next_event(WAIT).await.unwrap();
    assert_eq!(
        control(&answer),
        Some(Control::ProtocolResponse { accepted: false })
    );
    // Still XML: a position report goes through as XML.
    let mut other = RawClient::connect(node.tcp()).await;
    other.until("protouid", WAIT).await;
    client
        .send(sa_xml("still-xml", "XRAY", 14.0, 1.0, "").as_bytes())
        .await;
    other.until("still-xml", WAIT).await;
    assert_eq!(node.metric("liptako_tak_pings_total"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_is_dropped_and_never_delays_the_others() {
    let node = TakNode::start(|config| {
        config.cot.client_queue = 256;
        config.cot.slow_client_timeout = "1s".parse().unwrap();
        config.cot.events_per_second = 1_000_000;
        config.cot.event_burst = 1_000_000;
    })
    .await;
    // Never reads.
    let slow = RawClient::connect(node.tcp()).await;
    let mut fast = RawClient::connect(node.tcp()).await;
    fast.until("protouid", WAIT).await;
    let mut sender = RawClient::connect(node.tcp()).await;
    // 3,000 events of 8 KiB (24 MiB, more than loopback socket buffers hold) at about
    // 1,000 a second: a reader keeps up; one that never reads fills its buffers and queue.
    let padding = "p".repeat(8 * 1024);
    let n_events = 3_000;
    let started = std::time::Instant::now();
    let writer = tokio::spawn(async move {
        for idx in 0..n_events {
            let xml = sa_xml(&format!("flood-{idx}"), "FLOOD", 14.0, 1.0, "").replace(
                "</detail>",
                &format!("<remarks>{padding}</remarks></detail>"),
            );
            sender.send(xml.as_bytes()).await;
            if idx % 4 == 3 {
                tokio::time::sleep(Duration::from_millis(4)).await;
            }
        }
        sender
    });
    // The fast reader takes every event while the slow one is dropped.
    let mut n_received = 0;
    while let Some(event) = fast.next_event(WAIT).await {
        if event.uid.starts_with("flood-") {
            n_received += 1;
        }
        if event.uid == format!("flood-{}", n_events - 1) {
            break;
        }
    }
    let _sender = writer.await.unwrap();
    assert_eq!(n_received, n_events, "the fast client lost events");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(
        node.metric_reaches("liptako_tak_disconnects_total{reason=\"slow\"}", 1)
            .await,
        1,
        "{}",
        node.node.metrics().render()
    );
    drop(slow);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_clients_are_dropped() {
    let node = TakNode::start(|config| config.cot.idle_timeout = "1s".parse().unwrap()).await;
    let mut client = RawClient::connect(node.tcp()).await;
    assert!(client.closed_within(Duration::from_secs(5)).await);
    assert_eq!(
        node.metric_reaches("liptako_tak_disconnects_total{reason=\"idle\"}", 1)
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exercise_traffic_stays_in_its_world() {
    let node = TakNode::start(|_| {}).await;
    // The drill client's own report puts it in the exercise before anything else happens.
    let mut drill = RawClient::connect(node.tcp()).await;
    drill
        .send(sa_xml("drill-1", "DRILL", 14.0, 1.0, r#" opex="e-FLINTLOCK""#).as_bytes())
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut real = RawClient::connect(node.tcp()).await;
    let mut sender = RawClient::connect(node.tcp()).await;
    real.send(sa_xml("real-1", "REAL", 14.0, 1.0, "").as_bytes())
        .await;
    sender
        .send(sa_xml("real-2", "REAL2", 14.0, 1.0, "").as_bytes())
        .await;
    real.until("real-2", WAIT).await;
    sender
        .send(sa_xml("drill-2", "DRILL2", 14.0, 1.0, r#" opex="e-FLINTLOCK""#).as_bytes())
        .await;
    sender
        .send(sa_xml("real-3", "REAL3", 14.0, 1.0, "").as_bytes())
        .await;
    let seen_real: Vec<String> = real
        .until("real-3", WAIT)
        .await
        .into_iter()
        .map(|event| event.uid)
        .collect();
    let seen_drill = drill.until("drill-2", WAIT).await;
    assert!(
        !seen_real.iter().any(|uid| uid.starts_with("drill")),
        "{seen_real:?}"
    );
    assert!(
        !seen_drill
            .iter()
            .any(|event| event.uid == "real-3" || event.uid == "real-1"),
        "{:?}",
        seen_drill
            .iter()
            .map(|event| &event.uid)
            .collect::<Vec<_>>()
    );
    let drill_event = seen_drill.last().unwrap();
    assert_eq!(drill_event.marking.opex.as_deref(), Some("e-FLINTLOCK"));
    // An exercise object made through the API reaches the exercise world only.
    let editor = node.login("mli_dr").await;
    let (status, created) = node
        .call(
            "POST",
            "/api/v1/reports",
            Some(&editor),
            Some(
                json!({"kind": "spot_report", "title": "inject 4", "exercise": "FLINTLOCK",
                        "location": {"lat": 14.0, "lon": 1.0},
                        "marking": {"level": "NP", "releasable_to": ["AES"]}}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let got = drill.until(id, WAIT).await;
    assert_eq!(
        got.last().unwrap().marking.opex.as_deref(),
        Some("e-FLINTLOCK")
    );
    sender
        .send(sa_xml("real-4", "REAL4", 14.0, 1.0, "").as_bytes())
        .await;
    let seen_real = real.until("real-4", WAIT).await;
    assert!(!seen_real.iter().any(|event| event.uid == id));
    // The exercise position is a unit of the exercise's world.
    let token = node.login("mli_np").await;
    let (_, page) = node
        .call(
            "GET",
            "/api/v1/units?exercise=FLINTLOCK",
            Some(&token),
            None,
        )
        .await;
    let callsigns: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|unit| unit["callsign"].as_str())
        .collect();
    assert!(callsigns.contains(&"DRILL"), "{page}");
    assert!(!callsigns.contains(&"REAL"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_overwrite_or_delete_what_another_principal_owns() {
    let node = TakNode::start(|_| {}).await;
    let editor = node.login("mli_dr").await;
    let (_, created) = node
        .call(
            "POST",
            "/api/v1/reports",
            Some(&editor),
            Some(json!({"kind": "incident", "title": "real report",
                        "location": {"lat": 14.0, "lon": 1.0},
                        "marking": {"level": "NP", "releasable_to": ["AES"]}})),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut forger = RawClient::connect(node.tcp()).await;
    forger
        .send(sa_xml(&id, "FORGED", 15.0, 2.0, r#" access="NP""#).as_bytes())
        .await;
    let deletion = encode_xml(&liptako_node::tak::convert::deletion_event(
        &id,
        "b-m-p-s-m",
        now(),
    ));
    forger.send(&deletion).await;
    forger
        .send(sa_xml("done", "DONE", 15.0, 2.0, "").as_bytes())
        .await;
    let mut late = RawClient::connect(node.tcp()).await;
    // The forger's "done" may reach the late joiner live, before or after its snapshot: wait
    // for both the marker and the report.
    let seen = late.until_all(&["done", id.as_str()], WAIT).await;
    let report = seen
        .iter()
        .find(|event| event.uid == id)
        .expect("the report");
    assert_eq!(report.callsign(), Some("real report"));
    assert_eq!(report.event_type, "b-m-p-s-m");
    assert_eq!(
        node.metric("liptako_tak_refused_total{reason=\"uid_taken\"}"),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_needs_a_certificate_of_an_enabled_user() {
    let node = TakNode::start(|_| {}).await;
    // No client certificate: the handshake (or the first read) fails.
    let refused = match RawClient::connect_tls(&node, None).await {
        Err(_) => true,
        Ok(mut client) => client.next_event(Duration::from_secs(3)).await.is_none(),
    };
    assert!(refused);
    // A certificate of a user who is then disabled.
    let cert = node.client_cert("bfa_np");
    let dir = cert.p12.parent().unwrap().to_owned();
    let mut record = node.node.store().user("bfa_np").unwrap().unwrap();
    record.disabled = true;
    node.node
        .store()
        .write(vec![liptako_store::WriteOp::PutUser(record)])
        .unwrap();
    let refused = match RawClient::connect_tls(&node, Some((&dir, "BFA_NP"))).await {
        Err(_) => true,
        Ok(mut client) => client.next_event(Duration::from_secs(3)).await.is_none(),
    };
    assert!(refused);
    // An enabled user's certificate works and gets the offer.
    let cert = node.client_cert("ner_s");
    let dir = cert.p12.parent().unwrap().to_owned();
    let mut client = RawClient::connect_tls(&node, Some((&dir, "NER_S")))
        .await
        .unwrap();
    let offer = client.next_event(WAIT).await.unwrap();
    assert_eq!(offer.event_type, "t-x-takp-v");
    assert!(node.metric("liptako_tak_tls_failures_total") >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_login_on_tcp_gives_the_user_principal_when_allowed() {
    let node = TakNode::start(|config| config.cot.tcp_password_auth = true).await;
    let auth = |user: &str, password: &str| {
        format!(
            r#"<auth><cot username="{user}" password="{password}" uid="ANDROID-{user}" callsign="{user}"/></auth>"#
        )
    };
    let mut logged_in = RawClient::connect(node.tcp()).await;
    logged_in.send(auth("ner_dr", PASSWORD).as_bytes()).await;
    let mut anonymous = RawClient::connect(node.tcp()).await;
    let mut wrong = RawClient::connect(node.tcp()).await;
    wrong
        .send(auth("ner_dr", "wrong password").as_bytes())
        .await;
    assert!(wrong.closed_within(WAIT).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut sender = RawClient::connect(node.tcp()).await;
    sender.send(auth("mli_c", PASSWORD).as_bytes()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    sender
        .send(sa_xml("dr-event", "DR", 14.0, 1.0, r#" access="DR""#).as_bytes())
        .await;
    sender
        .send(sa_xml("np-event", "NP", 14.0, 1.0, "").as_bytes())
        .await;
    let seen = logged_in.until("np-event", WAIT).await;
    assert!(seen.iter().any(|event| event.uid == "dr-event"));
    let seen = anonymous.until("np-event", WAIT).await;
    assert!(!seen.iter().any(|event| event.uid == "dr-event"));
    assert_eq!(
        node.metric_reaches("liptako_tak_disconnects_total{reason=\"refused\"}", 1)
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_password_login_a_tcp_client_stays_anonymous() {
    let node = TakNode::start(|_| {}).await;
    let mut client = RawClient::connect(node.tcp()).await;
    client
        .send(br#"<auth><cot username="mli_c" password="correct-horse-battery"/></auth>"#)
        .await;
    // Anonymous NP cannot mark DR: refused.
    client
        .send(sa_xml("dr-attempt", "X", 14.0, 1.0, r#" access="DR""#).as_bytes())
        .await;
    client
        .send(sa_xml("np-ok", "Y", 14.0, 1.0, "").as_bytes())
        .await;
    let mut other = RawClient::connect(node.tcp()).await;
    let seen = other.until("np-ok", WAIT).await;
    assert!(!seen.iter().any(|event| event.uid == "dr-attempt"));
    assert_eq!(
        node.metric("liptako_tak_refused_total{reason=\"above_clearance\"}"),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn air_tracks_published_by_the_node_reach_who_may_see_them() {
    let node = TakNode::start(|_| {}).await;
    let cert = node.client_cert("mli_c");
    let dir = cert.p12.parent().unwrap().to_owned();
    let mut cleared = RawClient::connect_tls(&node, Some((&dir, "MLI_C")))
        .await
        .unwrap();
    let mut anonymous = RawClient::connect(node.tcp()).await;
    cleared.until("protouid", WAIT).await;
    anonymous.until("protouid", WAIT).await;
    let track = |uid: &str, level: &str, lat: f64| AirTrack {
        uid: uid.into(),
        origin: nation("MLI"),
        marking: Marking::new(level, ["AES"]),
        exercise: None,
        time: time::OffsetDateTime::now_utc(),
        position: Point {
            lat,
            lon: 0.5,
            alt_m: Some(3_000.0),
        },
        course_deg: Some(270.0),
        speed_mps: Some(120.0),
        identity: AirIdentity::Unknown,
        cot_type: None,
        callsign: Some(format!("TRK {uid}")),
        remarks: None,
        stale_after: Duration::from_secs(30),
    };
    let hub = node.node.bus().publications();
    assert!(hub.is_active());
    hub.publish_air(track("air-c", "C", 14.5));
    hub.publish_air(track("air-np", "NP", 14.6));
    let seen = cleared.until_all(&["air-c", "air-np"], WAIT).await;
    assert!(
        seen.iter()
            .any(|event| event.uid == "air-c" && event.event_type == "a-u-A")
    );
    let seen = anonymous.until("air-np", WAIT).await;
    assert!(!seen.iter().any(|event| event.uid == "air-c"));
    // A withdrawn track is deleted at those who saw it.
    hub.withdraw_air("air-c");
    let deletion = loop {
        let event = cleared.next_event(WAIT).await.expect("a deletion");
        if event.event_type == "t-x-d-d" {
            break event;
        }
    };
    assert_eq!(
        deletion
            .detail
            .links
            .first()
            .and_then(|link| link.uid.as_deref()),
        Some("air-c")
    );
    // Late joiners get live tracks.
    let mut late = RawClient::connect(node.tcp()).await;
    late.until("air-np", WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unit_history_is_thinned_by_time_and_distance() {
    let node = TakNode::start(|config| {
        config.cot.unit_history_min_interval = "1s".parse().unwrap();
        config.cot.unit_history_interval = "30s".parse().unwrap();
        config.cot.unit_history_distance_m = 100.0;
    })
    .await;
    let mut client = RawClient::connect(node.tcp()).await;
    // 1e-4 degree of latitude is about 11 m.
    for step in 0..5 {
        let lat = 14.0 + f64::from(step) * 1e-4;
        client
            .send(sa_xml("walker", "WALKER", lat, 1.0, "").as_bytes())
            .await;
    }
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    // Within a second, however far: no new version; after it, a long move stores one.
    client
        .send(sa_xml("walker", "WALKER", 14.01, 1.0, "").as_bytes())
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let id = liptako_node::tak::convert::tak_unit_id(nation("MLI"), "walker");
    let token = node.login("mli_np").await;
    let (status, unit) = node
        .call("GET", &format!("/api/v1/units/{id}"), Some(&token), None)
        .await;
    assert_eq!(status, 200, "{unit}");
    assert_eq!(unit["version"], 2, "{unit}");
    assert_eq!(unit["position"]["lat"], 14.01);
    assert_eq!(node.metric("liptako_tak_units_stored_total"), 2);
    // The raw positions still went to clients, every one of them.
    let mut watcher = RawClient::connect(node.tcp()).await;
    watcher.until("walker", WAIT).await;
}

#[test]
fn decoded_positions_round_trip() {
    // The helper the tests build events with is valid CoT.
    let xml = sa_xml("x", "X", 1.0, 2.0, r#" access="NP""#);
    let event = decode_xml(xml.as_bytes(), &liptako_cot::Limits::default()).unwrap();
    assert_eq!(event.marking.access.as_deref(), Some("NP"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_principal_cannot_fill_the_picture() {
    let cap = 300;
    let node = TakNode::start(|config| {
        config.cot.events_per_second = 1_000_000;
        config.cot.event_burst = 1_000_000;
        config.cot.max_uids_per_principal = cap;
    })
    .await;
    let cert = node.client_cert("mli_dr");
    let dir = cert.p12.parent().unwrap().to_owned();
    let mut flooder = RawClient::connect_tls(&node, Some((&dir, "MLI_DR")))
        .await
        .unwrap();
    let extra = 25;
    let markers = |range: std::ops::Range<usize>, prefix: &str| {
        range
            .map(|idx| {
                // Each sender its own callsign: a callsign is one client's identity.
                sa_xml(&format!("{prefix}-{idx}"), prefix, 14.0, 1.0, "")
                    .replace("a-f-G-U-C", "a-h-G")
            })
            .collect::<String>()
    };
    flooder
        .send(markers(0..cap + extra, "marker").as_bytes())
        .await;
    flooder.send(markers(0..1, "marker-last").as_bytes()).await;
    // The uids past the principal's share are routed but not kept, and counted.
    assert_eq!(
        node.metric_reaches("liptako_tak_picture_full_total", extra as u64 + 1)
            .await,
        extra as u64 + 1
    );
    assert_eq!(node.metric("liptako_tak_picture_objects"), cap as u64);
    // Anonymous clients together have a much smaller share of their own.
    let mut anonymous = RawClient::connect(node.tcp()).await;
    let share = liptako_node::config::cot::DEFAULT_ANONYMOUS_MAX_UIDS;
    anonymous
        .send(markers(0..share + extra, "anon").as_bytes())
        .await;
    assert_eq!(
        node.metric_reaches("liptako_tak_picture_full_total", 2 * extra as u64 + 1)
            .await,
        2 * extra as u64 + 1
    );
    assert_eq!(
        node.metric("liptako_tak_picture_objects"),
        (cap + share) as u64
    );
}

/// A small deterministic generator (xorshift64*), so that a failure replays.
struct Mutator(u64);

impl Mutator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// A valid event with a few random byte flips, cuts, duplications or insertions.
    fn mutate(&mut self, valid: &[u8]) -> Vec<u8> {
        let mut bytes = valid.to_vec();
        for _ in 0..1 + self.below(4) {
            let at = self.below(bytes.len());
            match self.below(5) {
                0 => bytes[at] ^= 1 << self.below(8),
                1 => bytes.truncate(at),
                2 => {
                    let end = (at + self.below(64)).min(bytes.len());
                    let piece = bytes[at..end].to_vec();
                    bytes.splice(at..at, piece);
                }
                3 => bytes.insert(at, *b"<>\"&'\0\xff\xbf".get(self.below(8)).unwrap()),
                _ => {
                    let end = (at + self.below(32)).min(bytes.len());
                    bytes.drain(at..end);
                }
            }
            if bytes.is_empty() {
                break;
            }
        }
        bytes
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutated_input_on_many_connections_never_stops_the_server() {
    let node = TakNode::start(|config| {
        config.cot.events_per_second = 1_000_000;
        config.cot.event_burst = 1_000_000;
    })
    .await;
    let mut watcher = RawClient::connect(node.tcp()).await;
    watcher.until("protouid", WAIT).await;
    let valid = [
        sa_xml(
            "v-1",
            "VALID",
            14.0,
            1.0,
            r#" access="NP" releaseableTo="AES""#,
        )
        .into_bytes(),
        encode_xml(&negotiation::ping("ANDROID-1", now())),
        br#"<auth><cot username="x" password="y" uid="u" callsign="c"/></auth>"#.to_vec(),
        liptako_cot::encode_stream_frame(
            &decode_xml(
                sa_xml("v-2", "V2", 1.0, 2.0, "").as_bytes(),
                &Default::default(),
            )
            .unwrap(),
        ),
    ];
    let mut mutator = Mutator(0x5eed_1234_abcd_0001);
    // 20 streams of 50 mutated events each.
    let mut streams: Vec<Vec<u8>> = Vec::new();
    for _ in 0..20 {
        let mut bytes = Vec::new();
        for _ in 0..50 {
            let source = &valid[mutator.below(valid.len())];
            bytes.extend(mutator.mutate(source));
        }
        streams.push(bytes);
    }
    let (abrupt, kept): (Vec<_>, Vec<_>) =
        streams.iter().enumerate().partition(|(i, _)| i % 3 == 0);
    let bad_input = || {
        [
            "malformed",
            "oversized",
            "undecodable",
            "framing_lost",
            "control",
        ]
        .iter()
        .map(|reason| {
            node.metric(&format!(
                "liptako_tak_bad_input_total{{reason=\"{reason}\"}}"
            ))
        })
        .sum::<u64>()
    };

    // Each kept stream written whole, on its own connection, all at once.
    let mut clients = Vec::new();
    for (_, bytes) in &kept {
        let mut client = RawClient::connect(node.tcp()).await;
        client.try_send(bytes).await;
        clients.push(client);
    }
    for client in clients {
        client.finish(WAIT).await;
    }
    let whole = bad_input();
    assert!(
        whole >= kept.len() as u64,
        "only {whole} bad frames counted in {} mutated streams",
        kept.len()
    );

    // The same streams again, cut into small pieces that arrive interleaved: every bad
    // frame is counted once however the bytes arrive.
    let mut clients = Vec::new();
    for _ in &kept {
        let stream = tokio::net::TcpStream::connect(node.tcp()).await.unwrap();
        stream.set_nodelay(true).unwrap();
        clients.push((RawClient::over(Box::new(stream)), true));
    }
    let mut offsets = vec![0usize; kept.len()];
    while offsets
        .iter()
        .zip(&kept)
        .any(|(at, (_, bytes))| *at < bytes.len())
    {
        for (i, (_, bytes)) in kept.iter().enumerate() {
            let end = (offsets[i] + 1 + mutator.below(97)).min(bytes.len());
            let (client, open) = &mut clients[i];
            if *open && offsets[i] < end {
                *open = client.try_send(&bytes[offsets[i]..end]).await;
            }
            offsets[i] = end;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    for (client, _) in clients {
        client.finish(WAIT).await;
    }
    assert_eq!(
        bad_input() - whole,
        whole,
        "pieces counted unlike whole streams"
    );

    // The other streams on connections closed at once (their own kernel may cut them short).
    for (_, bytes) in &abrupt {
        let mut client = RawClient::connect(node.tcp()).await;
        client.try_send(bytes).await;
        drop(client);
    }
    // The server still serves: a valid event from a fresh client reaches the watcher.
    let mut sender = RawClient::connect(node.tcp()).await;
    sender
        .send(sa_xml("after-mutations", "OK", 14.0, 1.0, "").as_bytes())
        .await;
    watcher
        .until("after-mutations", Duration::from_secs(30))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_sent_before_closing_is_read_in_full_though_writes_to_the_client_fail() {
    // The sender is read at 20 events/s, so most of its burst is still unread when it has
    // gone and the server's writes to it fail.
    let node = TakNode::start(|config| {
        config.cot.events_per_second = 20;
        config.cot.event_burst = 5;
    })
    .await;
    let mut watcher = RawClient::connect(node.tcp()).await;
    watcher.until("protouid", WAIT).await;
    let mut sender = RawClient::connect(node.tcp()).await;
    // Read the offer, so that closing sends everything and a FIN (not a reset).
    sender.until("protouid", WAIT).await;
    let uids: Vec<String> = (0..40).map(|i| format!("burst-{i}")).collect();
    let burst: String = uids
        .iter()
        .map(|uid| sa_xml(uid, "BURST", 13.0, 2.0, ""))
        .collect();
    sender.send(burst.as_bytes()).await;
    drop(sender);
    // Events for the gone client: the first write is answered with a reset, later ones fail.
    let mut other = RawClient::connect(node.tcp()).await;
    for i in 0..4 {
        other
            .send(sa_xml(&format!("poke-{i}"), "POKE", 13.5, 2.0, "").as_bytes())
            .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let uids: Vec<&str> = uids.iter().map(String::as_str).collect();
    watcher.until_all(&uids, Duration::from_secs(10)).await;
}

/// Issue 14, from a TAK client: an MLI unit reported over CoT (not the API) that rides the
/// MLI/NER line and then goes 4 km into Niger raises one pursuit notice; this node has no link
/// to NER, so the notice cannot be released and a national alert says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tak_unit_crossing_into_a_partner_raises_one_pursuit_notice() {
    let node = TakNode::start(|config| {
        config.cot.unit_history_min_interval = "1s".parse().unwrap();
    })
    .await;
    liptako_node::ops::start(node.node.clone()).await.unwrap();
    let mut client = RawClient::connect(node.tcp()).await;
    client
        .send(sa_xml("hunter", "HUNTER", 15.3, 1.5, "").as_bytes())
        .await;
    let unit = liptako_node::tak::convert::tak_unit_id(nation("MLI"), "hunter");
    let token = node.login("mli_dr").await;
    let (status, operation) = node
        .call(
            "POST",
            "/api/v1/operations",
            Some(&token),
            Some(json!({"name": "SAHEL SHIELD", "lead_nation": "MLI",
                "participating_nations": ["MLI", "NER"],
                "area": {"type": "Polygon", "coordinates": [[[1,15],[3,15],[3,16],[1,15]]]},
                "start": "2026-01-01T00:00:00Z", "end": "2030-01-01T00:00:00Z",
                "status": "active", "units": [unit],
                "marking": {"level": "DR", "releasable_to": []}})),
        )
        .await;
    assert_eq!(status, 201, "{operation}");
    // Along latitude 15.3 the line is at 1.82 E and then runs along the parallel: every one of
    // these is within 1 km of it; 3.0 E is 4.4 km inside Niger.
    for lon in [1.6, 1.815, 1.825, 1.812, 1.9, 1.818, 3.0] {
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        client
            .send(sa_xml("hunter", "HUNTER", 15.3, lon, "").as_bytes())
            .await;
    }
    let deadline = std::time::Instant::now() + WAIT;
    let notices = loop {
        let (_, page) = node
            .call("GET", "/api/v1/pursuit-notices", Some(&token), None)
            .await;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        if !items.is_empty() || std::time::Instant::now() > deadline {
            break items;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0]["units"][0], unit.to_string());
    assert_eq!(notices[0]["nation_entered"], "NER");
    assert!(notices[0]["depth_km"].as_f64().unwrap() > 4.0);
    let (_, alerts) = node
        .call(
            "GET",
            "/api/v1/reports?kind=pursuit_alert",
            Some(&token),
            None,
        )
        .await;
    let alerts = alerts["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(
        alerts[0]["title"]
            .as_str()
            .unwrap()
            .contains("cannot be released"),
        "{alerts:?}"
    );
    assert_eq!(alerts[0]["marking"]["releasable_to"], json!([]));
    // The counter moves once the write has returned, a moment after the alert is readable.
    assert_eq!(
        node.metric_reaches(
            "liptako_pursuit_writes_total{what=\"alert_not_released\"}",
            1
        )
        .await,
        1
    );
    assert_eq!(
        node.metric("liptako_pursuit_writes_total{what=\"notice_raised\"}"),
        1
    );
}
