//! Another system's tracks in, over ASTERIX on TCP, with a real process: a node configured
//! with a `system` sensor (a partner's ARTAS, say) listening on TCP takes CAT062 system tracks
//! from a connection that splits data blocks at arbitrary points, fuses them into its picture
//! as that system's nation's contribution, and survives a second connection that sends a
//! stream it cannot frame (counted, that connection closed, the first one goes on).

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use liptako_asterix::{BlockEncoder, DataSource, tables};
use liptako_model::Nation;
use liptako_node::air::convert::{OutTrack, cat062_track};
use liptako_node::config::Config;
use liptako_node::config::air::{SensorKind, SensorSection, Transport};
use serde_json::Value;

use super::util::{KillOnDrop, free_port, http, init, login, serve};

/// The CAT062 data block of one state of track 301: an aircraft flying east at 200 m/s from
/// (14.5 N, 0.5 E), at Unix time `t`.
fn block(t: f64, start: f64) -> Vec<u8> {
    let east_deg_per_s = 200.0 / (111_320.0 * 14.5_f64.to_radians().cos());
    let track = OutTrack {
        number: 301,
        time_s: t,
        lat_deg: 14.5,
        lon_deg: 0.5 + (t - start) * east_deg_per_s,
        velocity_east_mps: 200.0,
        velocity_north_mps: 0.0,
        altitude_m: Some(9_144.0),
        mode3a: Some(0o4511),
        mode_s: Some(0x3C4D5E),
        callsign: Some("ARTAS1"),
        emergency: None,
        mono_sensor: false,
        coasting: false,
        first: t == start,
        last: false,
    };
    let record = cat062_track(&track, DataSource { sac: 9, sic: 4 }, 1);
    let mut encoder = BlockEncoder::new(&tables::cat062::V1_21);
    encoder.push(&record).unwrap();
    let mut out = Vec::new();
    encoder.finish_into(&mut out).unwrap();
    out
}

fn now_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn metric(port: u16, name: &str) -> f64 {
    let (_, metrics) = http(port, "GET", "/metrics", None, None).unwrap();
    metrics
        .as_str()
        .unwrap()
        .lines()
        .filter(|line| line.starts_with(name))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[test]
fn cat062_system_tracks_over_tcp_join_the_picture_as_that_systems_contribution() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("mli");
    let password = init(&data, "MLI");
    let listen = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut config = Config::load(&data).unwrap();
    config.sensors.push(SensorSection {
        transport: Transport::Tcp,
        nation: Some(Nation::parse("NER").unwrap()),
        ..SensorSection::new("NIAMEY-ARTAS", SensorKind::System, listen, 9, 4)
    });
    config.air.origin_lat_deg = Some(14.5);
    config.air.origin_lon_deg = Some(0.5);
    config.save(&data).unwrap();
    let port = free_port();
    let _server = KillOnDrop(serve(&data, port));
    let admin = login(port, "admin", &password);

    // A second system connects and sends a length the stream cannot be framed by.
    let mut bad = TcpStream::connect(listen).unwrap();
    bad.write_all(&[62, 0, 1, 0xFF, 0xFF]).unwrap();

    // The system: one state a second, each data block written in two pieces cut at varying
    // points, so blocks straddle reads.
    let mut system = TcpStream::connect(listen).unwrap();
    system.set_nodelay(true).unwrap();
    let start = now_s();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen: Option<Value> = None;
    let mut k = 0usize;
    while Instant::now() < deadline {
        let bytes = block(now_s(), start);
        let cut = 1 + k % (bytes.len() - 1);
        system.write_all(&bytes[..cut]).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        system.write_all(&bytes[cut..]).unwrap();
        k += 1;
        let (status, picture) =
            http(port, "GET", "/api/v1/air/tracks", Some(&admin), None).unwrap();
        assert_eq!(status, 200, "{picture}");
        let tracks = picture["tracks"].as_array().cloned().unwrap_or_default();
        if let Some(track) = tracks.iter().find(|t| t["mode_s"] == "3C4D5E") {
            assert_eq!(tracks.len(), 1, "one track for one aircraft: {tracks:#?}");
            seen = Some(track.clone());
            if k >= 8 {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(950));
    }
    let track = seen.expect("the system's track never reached the picture");
    assert_eq!(track["callsign"], "ARTAS1", "{track}");
    assert_eq!(track["mode3a"], "4511", "{track}");
    assert_eq!(track["nations"], serde_json::json!(["NER"]), "{track}");
    assert!(
        track["sensors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().contains("NIAMEY-ARTAS")),
        "{track}"
    );
    let speed = track["speed_mps"].as_f64().unwrap();
    assert!((150.0..250.0).contains(&speed), "{track}");

    // The stream that could not be framed was counted; the node and the good stream went on.
    assert!(
        metric(port, "liptako_air_bad_datagrams_total") >= 1.0,
        "the unframable stream was not counted"
    );
    assert!(metric(port, "liptako_air_records_total{") >= 8.0);
}
