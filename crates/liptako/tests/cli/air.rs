//! The air picture end to end, with real processes: `liptako simulate` plays the `border`
//! scenario (a drone without transponder crossing from Mali into Niger, an airliner with Mode S
//! and Mode 3/A) as ASTERIX over UDP from three radars into `liptako serve`; the node's picture
//! is read through the API, its CAT062 output is decoded from a UDP socket, its alerts are
//! read as reports, the live feed carries the picture, and a TAK client on the CoT port
//! receives the tracks. What the tracker does
//! with plots is tested in `crates/track`; here the question is whether the node's wiring
//! carries it all the way, under the marking rule.

use std::collections::BTreeSet;
use std::io::Read;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use liptako_asterix::Decoder;
use liptako_asterix::cat062::Cat062Track;
use liptako_node::config::air::{SensorKind, SensorSection};
use liptako_node::config::{Config, ConfigDuration};
use serde_json::Value;

use super::util::{KillOnDrop, add_viewer, free_port, http, init, login, serve};

/// Writes the scenario's three radars (default geometry: slant range, as the simulator sends
/// it and as real CAT048 carries it) listening on
/// `listen`, CAT062 out to `cat062`, TAK TCP on `cot`, and the anonymous TAK principal cleared
/// to `DR` so that it may see the air tracks (marked `DR`, all members, by default).
fn configure(data: &Path, listen: SocketAddr, cat062: SocketAddr, cot: SocketAddr) {
    let mut config = Config::load(data).unwrap();
    for (id, sac, lat, lon, period) in [
        ("GAO", 1, 16.25, 0.0, 4.0),
        ("DORI", 2, 14.03, -0.03, 5.0),
        ("AYOROU", 3, 14.73, 0.92, 4.5),
    ] {
        config.sensors.push(SensorSection {
            lat_deg: Some(lat),
            lon_deg: Some(lon),
            height_m: 30.0,
            period: Some(ConfigDuration(Duration::from_secs_f64(period))),
            ..SensorSection::new(id, SensorKind::Radar, listen, sac, 1)
        });
    }
    config.air.cat062_out = vec![cat062];
    config.air.sic = 77;
    config.cot.tcp_listen = Some(cot);
    config.cot.anonymous.clearance = Some("DR".into());
    config.save(data).unwrap();
}

/// Collects the live feed's messages (`types=air`) on its own thread until `stop` is sent.
fn live_air(
    port: u16,
    token: &str,
) -> (
    std::sync::mpsc::Sender<()>,
    std::thread::JoinHandle<Vec<Value>>,
) {
    use futures_util::StreamExt;
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let url = format!("ws://127.0.0.1:{port}/api/v1/live?types=air&access_token={token}");
    let handle = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let (mut stream, _) = tokio_tungstenite::connect_async(url).await.unwrap();
            let mut messages = Vec::new();
            while stopped.try_recv().is_err() {
                let next = tokio::time::timeout(Duration::from_millis(100), stream.next()).await;
                match next {
                    Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text)))) => {
                        messages.push(serde_json::from_str(text.as_str()).unwrap());
                    }
                    Ok(None | Some(Err(_))) => break,
                    Ok(Some(Ok(_))) | Err(_) => {}
                }
            }
            messages
        })
    });
    (stop, handle)
}

fn tracks(port: u16, token: &str) -> Vec<Value> {
    let (status, picture) = http(port, "GET", "/api/v1/air/tracks", Some(token), None).unwrap();
    assert_eq!(status, 200, "{picture}");
    picture["tracks"].as_array().cloned().unwrap_or_default()
}

fn alerts(port: u16, token: &str) -> Vec<String> {
    let (status, list) = http(
        port,
        "GET",
        "/api/v1/reports?kind=airspace_alert&limit=100",
        Some(token),
        None,
    )
    .unwrap();
    assert_eq!(status, 200, "{list}");
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap().to_owned())
        .collect()
}

/// `liptako simulate` playing the `border` scenario (seed 7) at 20x into `asterix_in`, from
/// now (so that the ASTERIX times of day fall on today).
fn simulate_border(asterix_in: SocketAddr) -> KillOnDrop {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    KillOnDrop(
        std::process::Command::new(super::util::BIN)
            .args([
                "simulate",
                "--scenario",
                "border",
                "--seed",
                "7",
                "--speed",
                "20",
                "--start-time",
                &format!("{:.3}", now.as_secs_f64()),
                "--udp",
                &asterix_in.to_string(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    )
}

#[test]
fn simulated_radars_become_one_marked_picture_in_the_api_cat062_alerts_and_tak() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("mli");
    let password = init(&data, "MLI");
    add_viewer(&data, "guest", "NP", "guest-password");
    let cat062_socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    cat062_socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let asterix_in = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let cot = SocketAddr::from(([127, 0, 0, 1], free_port()));
    configure(&data, asterix_in, cat062_socket.local_addr().unwrap(), cot);
    let port = free_port();
    let _server = KillOnDrop(serve(&data, port));
    let admin = login(port, "admin", &password);
    let guest = login(port, "guest", "guest-password");

    // A TAK client (anonymous plain TCP, cleared DR by the config) connects before the radars
    // start, and collects what it is sent.
    let mut tak = TcpStream::connect(cot).unwrap();
    tak.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    // Live feeds of the admin (who may see the picture) and the guest (who may not).
    let (stop_admin_feed, admin_feed) = live_air(port, &admin);
    let (stop_guest_feed, guest_feed) = live_air(port, &guest);

    // Bad input first: a truncated block, a block whose LEN lies, and noise. Each is counted
    // and the feed goes on.
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    for garbage in [
        &[0x30u8, 0x00][..],
        &[0x30, 0x00, 0x40, 0xff, 0x01][..],
        b"GET / HTTP/1.1\r\n\r\n",
    ] {
        sender.send_to(garbage, asterix_in).unwrap();
    }

    // 600 s of scenario at 20x: about 30 s. The start time is now, so the ASTERIX times of
    // day fall on today.
    let mut simulator = simulate_border(asterix_in);

    let mut cat062_tracks: BTreeSet<u16> = BTreeSet::new();
    let mut cat062_records = 0usize;
    let mut tak_text = String::new();
    let mut most_tracks: Vec<Value> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut buf = vec![0u8; 65_536];
    let mut last_poll = Instant::now();
    loop {
        if let Ok(n) = cat062_socket.recv(&mut buf) {
            for record in Decoder::default().records(buf.get(..n).unwrap()) {
                let record = record.expect("CAT062 from the node decodes");
                let track = Cat062Track::from_record(&record).expect("a CAT062 record");
                assert_eq!(track.data_source.map(|s| (s.sac, s.sic)), Some((0, 77)));
                let position = track.position_wgs84.expect("I062/105");
                assert!((13.0..17.5).contains(&position.lat_deg), "{position:?}");
                assert!((-1.5..2.5).contains(&position.lon_deg), "{position:?}");
                cat062_records += 1;
                cat062_tracks.insert(track.track_number.expect("I062/040"));
            }
        }
        let mut chunk = [0u8; 16_384];
        if let Ok(n) = tak.read(&mut chunk) {
            tak_text.push_str(&String::from_utf8_lossy(chunk.get(..n).unwrap()));
        }
        // The picture at most every 100 ms: enough to see every state, without thousands of
        // connections (other tests share this process and the ephemeral ports).
        if last_poll.elapsed() >= Duration::from_millis(100) {
            last_poll = Instant::now();
            let now_tracks = tracks(port, &admin);
            if now_tracks.len() > most_tracks.len() {
                most_tracks = now_tracks;
            }
        }
        let finished = simulator.0.try_wait().unwrap().is_some();
        if finished || Instant::now() > deadline {
            break;
        }
    }
    drop(simulator);
    stop_admin_feed.send(()).unwrap();
    stop_guest_feed.send(()).unwrap();
    let admin_feed = admin_feed.join().unwrap();
    let guest_feed = guest_feed.join().unwrap();

    // The picture: both aircraft, one track each, the airliner identified by its codes, the
    // drone flagged as having no transponder.
    assert_eq!(most_tracks.len(), 2, "{most_tracks:#?}");
    let airliner = most_tracks
        .iter()
        .find(|t| t["mode_s"] == "0A1B2C")
        .unwrap_or_else(|| panic!("no track with the airliner's Mode S: {most_tracks:#?}"));
    assert_eq!(airliner["mode3a"], "4321");
    assert_eq!(airliner["no_transponder"], false);
    let drone = most_tracks
        .iter()
        .find(|t| t["mode_s"].is_null())
        .unwrap_or_else(|| panic!("no track for the drone: {most_tracks:#?}"));
    assert_eq!(drone["no_transponder"], true, "{drone}");
    // 45 m/s, within what a few scans of noise allow.
    let speed = drone["speed_mps"].as_f64().unwrap();
    assert!((30.0..60.0).contains(&speed), "{drone}");

    // The guest (cleared NP) may not see the picture, marked DR: it gets an empty one.
    let hidden = tracks(port, &guest);
    assert!(hidden.is_empty(), "{hidden:#?}");

    // The live feed: hello, then air updates carrying the tracks (the airliner among them);
    // nothing of the picture for the guest.
    assert_eq!(
        admin_feed.first().map(|m| &m["op"]),
        Some(&Value::from("hello"))
    );
    let updates: Vec<&Value> = admin_feed.iter().filter(|m| m["op"] == "air").collect();
    assert!(updates.len() >= 10, "{} air updates", updates.len());
    assert!(
        updates.iter().any(|m| m["tracks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["mode_s"] == "0A1B2C")),
        "{updates:#?}"
    );
    assert_eq!(
        guest_feed.first().map(|m| &m["op"]),
        Some(&Value::from("hello"))
    );
    assert!(
        guest_feed.iter().all(|m| m["op"] != "air"),
        "{guest_feed:#?}"
    );

    // CAT062 out: the system tracks, decodable, for both aircraft.
    assert!(cat062_records >= 20, "{cat062_records} CAT062 records");
    assert!(cat062_tracks.len() >= 2, "{cat062_tracks:?}");

    // The bad datagrams were counted, and the node went on.
    let (status, metrics) = http(port, "GET", "/metrics", None, None).unwrap();
    assert_eq!(status, 200);
    let metrics = metrics.as_str().unwrap().to_owned();
    let bad: f64 = metrics
        .lines()
        .filter(|line| line.starts_with("liptako_air_bad_datagrams_total"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(bad >= 3.0, "{metrics}");

    // Alerts as marked reports: exactly one border crossing from Mali into Niger for the
    // drone, and its missing transponder; none visible to the guest.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut titles = alerts(port, &admin);
    while titles.len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        titles = alerts(port, &admin);
    }
    let crossings: Vec<&String> = titles
        .iter()
        .filter(|t| t.starts_with("Border crossing MLI → NER"))
        .collect();
    assert_eq!(crossings.len(), 1, "{titles:#?}");
    assert!(
        titles.iter().any(|t| t.starts_with("No transponder")),
        "{titles:#?}"
    );
    assert!(alerts(port, &guest).is_empty());

    // The TAK client received the air tracks as CoT (the airliner's uid prefix is the node's).
    let deadline = Instant::now() + Duration::from_secs(5);
    while !tak_text.contains("MLI-air-") && Instant::now() < deadline {
        let mut chunk = [0u8; 16_384];
        if let Ok(n) = tak.read(&mut chunk) {
            tak_text.push_str(&String::from_utf8_lossy(chunk.get(..n).unwrap()));
        }
    }
    assert!(tak_text.contains("uid=\"MLI-air-"), "{tak_text}");
    assert!(tak_text.contains("type=\"a-"), "{tak_text}");
}

/// Per-track markings: MLI keeps the tracks over Niger national (`track_marking_over`), the
/// others releasable to every member. A NER liaison officer on MLI's node sees only the tracks
/// not over Niger, through the API and the live feed (a track crossing into Niger is dropped
/// from its feed), while MLI's analyst sees them all, each with its own marking.
#[test]
fn a_track_over_a_nation_kept_national_is_shown_only_to_those_who_may_see_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("mli");
    let password = init(&data, "MLI");
    super::util::liptako(&[
        "user",
        "add",
        "--data",
        data.to_str().unwrap(),
        "--name",
        "ner_liaison",
        "--nation",
        "NER",
        "--clearance",
        "DR",
        "--role",
        "viewer",
        "--password",
        "ner-liaison-password",
    ]);
    let cat062_socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let asterix_in = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let cot = SocketAddr::from(([127, 0, 0, 1], free_port()));
    configure(&data, asterix_in, cat062_socket.local_addr().unwrap(), cot);
    let national = liptako_model::Marking::new("DR", ["MLI"]);
    let mut config = Config::load(&data).unwrap();
    config
        .air
        .track_marking_over
        .insert(liptako_model::Nation::parse("NER").unwrap(), national);
    config.save(&data).unwrap();
    let port = free_port();
    let _server = KillOnDrop(serve(&data, port));
    let admin = login(port, "admin", &password);
    let liaison = login(port, "ner_liaison", "ner-liaison-password");
    let (stop_feed, feed) = live_air(port, &liaison);

    let mut simulator = simulate_border(asterix_in);
    let deadline = Instant::now() + Duration::from_secs(90);
    let (mut over_niger, mut shown_to_liaison) = (BTreeSet::new(), BTreeSet::new());
    loop {
        std::thread::sleep(Duration::from_millis(300));
        for track in tracks(port, &admin) {
            let uid = track["uid"].as_str().unwrap().to_owned();
            let expected = if track["nation"] == "NER" {
                over_niger.insert(uid);
                // National: the canonical form names no other nation.
                serde_json::json!({"level": "DR", "releasable_to": []})
            } else {
                serde_json::json!({"level": "DR", "releasable_to": ["AES"]})
            };
            assert_eq!(track["marking"], expected, "{track:#}");
        }
        for track in tracks(port, &liaison) {
            assert_ne!(track["nation"], "NER", "{track:#}");
            assert_eq!(
                track["marking"]["releasable_to"],
                serde_json::json!(["AES"])
            );
            shown_to_liaison.insert(track["uid"].as_str().unwrap().to_owned());
        }
        let finished = simulator.0.try_wait().unwrap().is_some();
        if finished || Instant::now() > deadline {
            break;
        }
    }
    drop(simulator);
    stop_feed.send(()).unwrap();
    let feed = feed.join().unwrap();
    assert!(!over_niger.is_empty(), "no track ever over Niger");
    assert!(!shown_to_liaison.is_empty(), "the liaison saw no track");
    // The feed: never a track over Niger; a track the liaison saw that went over Niger was
    // dropped from its picture.
    let mut dropped = BTreeSet::new();
    for message in feed.iter().filter(|m| m["op"] == "air") {
        for track in message["tracks"].as_array().unwrap() {
            assert_ne!(track["nation"], "NER", "{message:#}");
        }
        for uid in message["dropped"].as_array().unwrap() {
            dropped.insert(uid.as_str().unwrap().to_owned());
        }
    }
    let crossed: Vec<&String> = shown_to_liaison.intersection(&over_niger).collect();
    assert!(
        !crossed.is_empty(),
        "no track seen by the liaison crossed into Niger"
    );
    for uid in crossed {
        assert!(dropped.contains(uid), "{uid} was not dropped from the feed");
    }
}
