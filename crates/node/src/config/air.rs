//! `[air]` and `[[sensor]]`: the air picture's configuration in `liptako.toml`.
//!
//! ```toml
//! [air]
//! picture_period = "1s"            # a picture (API, live feed, TAK, CAT062) per period
//! max_delay = "2s"                 # how long a picture waits for a late sensor
//! track_marking = { level = "DR", releasable_to = ["AES"] }
//! track_marking_over = { MLI = { level = "DR", releasable_to = ["MLI"] } }  # by territory
//! alert_marking = { level = "DR", releasable_to = ["AES"] }
//! cat062_out = ["239.10.0.62:8600"] # system tracks out (unicast or multicast)
//! sac = 0                           # our SDPS's I062/010
//! sic = 100
//! history_period = "10s"            # one stored state per track per period ("0s": none)
//! friend_codes = ["5100-5177"]      # Mode 3/A codes of assumed friends
//!
//! [air.tracker]                     # tuning of liptako_track::TrackerConfig (all optional)
//! confirm_hits = 3
//!
//! [[sensor]]
//! id = "GAO"
//! kind = "radar"                    # radar (CAT048 + CAT034), adsb (CAT021) or system (CAT062)
//! listen = "239.10.0.1:30001"       # unicast address, or a multicast group and port
//! transport = "udp"                 # udp (datagrams) or tcp (a stream of data blocks)
//! sac = 1
//! sic = 1
//! lat_deg = 16.25
//! lon_deg = 0.0
//! height_m = 30
//! period = "4s"
//! editions = ["CAT048=1.21"]        # older editions the sensor sends (default: current)
//! ```
//!
//! A `system` sensor is another surveillance data processing system (a partner's ARTAS, a
//! national centre) sending CAT062 system tracks: they are fused as a source of system tracks,
//! like a partner node's (`nation`: whose system it is, default this node's). Over `tcp` the
//! node listens and the sensor (or its gateway) connects and sends ASTERIX data blocks back to
//! back, as over UDP without the datagram boundaries.
//!
//! The air picture runs when at least one `[[sensor]]` is configured, or, on a node without
//! sensors of its own, when `[air]` gives the anchor (`origin_lat_deg`, `origin_lon_deg`): it
//! then shows its partners' tracks (the joint picture). Sensors may share a
//! listen address (one feed carrying several radars): records are told apart by their SAC/SIC.
//! [`resolve`] checks everything against the policy before anything is bound; an error names
//! the key (`sensor GAO: pd 1.5 must be in (0, 1]`).

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use liptako_asterix::{DataSource, Editions, tables};
use liptako_model::{Marking, Nation, Policy};
use liptako_track::{
    AdsbConfig, RadarConfig, RangeGeometry, SystemTrackSourceConfig, TrackerConfig,
};
use serde::{Deserialize, Serialize};

use crate::config::ConfigDuration;

/// Default picture period.
pub const DEFAULT_PICTURE_PERIOD: Duration = Duration::from_secs(1);
/// Default longest wait for a late sensor before a picture is cut.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(2);
/// Default level of air tracks and airspace alerts.
pub const DEFAULT_LEVEL: &str = "DR";
/// Default thinning period of the stored history.
pub const DEFAULT_HISTORY_PERIOD: Duration = Duration::from_secs(10);
/// Default retention of the stored history.
pub const DEFAULT_HISTORY_RETENTION: Duration = Duration::from_secs(30 * 86_400);
/// Default validity of an airspace alert report.
pub const DEFAULT_ALERT_VALIDITY: Duration = Duration::from_secs(24 * 3600);
/// Default CoT stale time of an air track on TAK clients.
pub const DEFAULT_TAK_STALE: Duration = Duration::from_secs(20);
/// Default CAT062 edition written.
pub const DEFAULT_CAT062_EDITION: &str = "1.21";
/// Default multicast TTL of the CAT062 output.
pub const DEFAULT_CAT062_TTL: u32 = 1;
/// Default socket receive buffer asked for per listen address (the kernel may cap it:
/// `net.core.rmem_max`).
pub const DEFAULT_RECV_BUFFER_BYTES: usize = 4 * 1024 * 1024;
/// Default radar rotation period.
pub const DEFAULT_RADAR_PERIOD: Duration = Duration::from_secs(4);
/// Default radar range noise, metres (one sigma).
pub const DEFAULT_RANGE_SIGMA_M: f64 = 50.0;
/// Default radar azimuth noise, degrees (one sigma).
pub const DEFAULT_AZIMUTH_SIGMA_DEG: f64 = 0.08;
/// Default probability of detection.
pub const DEFAULT_PD: f64 = 0.9;
/// Default ADS-B position noise without NACp, metres.
pub const DEFAULT_ADSB_SIGMA_M: f64 = 30.0;

/// `[air]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AirSection {
    /// A picture (API, live feed, TAK, CAT062 out) every period.
    #[serde(default = "default_picture_period")]
    pub picture_period: ConfigDuration,
    /// A picture waits for the slowest sensor, but never lags the most advanced one by more
    /// than this.
    #[serde(default = "default_max_delay")]
    pub max_delay: ConfigDuration,
    /// Anchor of the tracker's plane, latitude (default: the centre of the sensors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_lat_deg: Option<f64>,
    /// Anchor of the tracker's plane, longitude.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_lon_deg: Option<f64>,
    /// Marking of the air tracks (API, live feed, TAK, stored history). Default `DR`
    /// releasable to every member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track_marking: Option<Marking>,
    /// Per nation (ISO alpha-3) whose territory a track is over, the marking of that track
    /// instead of `track_marking` (a track over national territory may be kept national).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub track_marking_over: BTreeMap<Nation, Marking>,
    /// Marking of the airspace alert reports (an alert about a restricted zone is also at
    /// least as restricted as the zone). Default `DR` releasable to every member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_marking: Option<Marking>,
    /// How long an alert report stays valid (it then leaves default lists).
    #[serde(default = "default_alert_validity")]
    pub alert_validity: ConfigDuration,
    /// Check tracks against the national borders (Natural Earth): border-crossing alerts and
    /// the nation under each track.
    #[serde(default = "yes")]
    pub borders: bool,
    /// Where system tracks go as ASTERIX CAT062 (UDP, unicast or multicast). None: no output.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cat062_out: Vec<SocketAddr>,
    /// Our system's SAC (I062/010).
    #[serde(default)]
    pub sac: u8,
    /// Our system's SIC (I062/010).
    #[serde(default)]
    pub sic: u8,
    /// CAT062 edition written: `1.21` or `1.18`.
    #[serde(default = "default_cat062_edition")]
    pub cat062_edition: String,
    /// Multicast TTL of the CAT062 output.
    #[serde(default = "default_cat062_ttl")]
    pub cat062_ttl: u32,
    /// One stored state per track per period, for replay; `"0s"` stores none.
    #[serde(default = "default_history_period")]
    pub history_period: ConfigDuration,
    /// Stored states older than this are deleted.
    #[serde(default = "default_history_retention")]
    pub history_retention: ConfigDuration,
    /// TAK clients drop a track not updated for this long.
    #[serde(default = "default_tak_stale")]
    pub tak_stale: ConfigDuration,
    /// Mode 3/A codes (octal, `"5101"`, or ranges `"5100-5177"`) whose tracks are assumed
    /// friends.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub friend_codes: Vec<String>,
    /// Receive buffer asked for on each listen socket, bytes.
    #[serde(default = "default_recv_buffer_bytes")]
    pub recv_buffer_bytes: usize,
    /// Tracker tuning.
    #[serde(default, skip_serializing_if = "TrackerSection::is_empty")]
    pub tracker: TrackerSection,
}

impl Default for AirSection {
    fn default() -> AirSection {
        AirSection {
            picture_period: default_picture_period(),
            max_delay: default_max_delay(),
            origin_lat_deg: None,
            origin_lon_deg: None,
            track_marking: None,
            track_marking_over: BTreeMap::new(),
            alert_marking: None,
            alert_validity: default_alert_validity(),
            borders: true,
            cat062_out: Vec::new(),
            sac: 0,
            sic: 0,
            cat062_edition: default_cat062_edition(),
            cat062_ttl: DEFAULT_CAT062_TTL,
            history_period: default_history_period(),
            history_retention: default_history_retention(),
            tak_stale: default_tak_stale(),
            friend_codes: Vec::new(),
            recv_buffer_bytes: DEFAULT_RECV_BUFFER_BYTES,
            tracker: TrackerSection::default(),
        }
    }
}

/// `[air.tracker]`: overrides of the tracker's defaults (see `liptako_track::TrackerConfig`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackerSection {
    /// Gate on the squared Mahalanobis distance of a plot (2 degrees of freedom).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate_chi2: Option<f64>,
    /// Fastest target expected, m/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_speed_mps: Option<f64>,
    /// Plots per square kilometre not from known tracks (clutter and new targets), before
    /// each radar's own rate is measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extraneous_density_per_km2: Option<f64>,
    /// M of the M-of-N confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_hits: Option<u8>,
    /// N of the M-of-N confirmation (at most 16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_opportunities: Option<u8>,
    /// ADS-B reports that confirm a track on their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adsb_confirm_reports: Option<u8>,
    /// Longest a track coasts without an update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_coast: Option<ConfigDuration>,
    /// A track whose codes are older than this counts as having no transponder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_memory: Option<ConfigDuration>,
    /// Probability of dropping a real track during one run of misses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub false_deletion_probability: Option<f64>,
}

impl TrackerSection {
    fn is_empty(&self) -> bool {
        self == &TrackerSection::default()
    }
}

/// What a sensor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensorKind {
    /// A monoradar: CAT048 target reports and CAT034 sector messages.
    Radar,
    /// An ADS-B ground station or network: CAT021 reports.
    Adsb,
    /// Another system's tracks (a partner's ARTAS, a national centre): CAT062.
    System,
}

/// How a sensor's data arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// UDP datagrams (unicast or multicast), each holding whole data blocks.
    #[default]
    Udp,
    /// A TCP stream of data blocks: the node listens, the sensor connects.
    Tcp,
}

fn is_udp(transport: &Transport) -> bool {
    *transport == Transport::Udp
}

/// `[[sensor]]`: one radar or ADS-B source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorSection {
    /// Name in logs, metrics and tracks (`sensors`).
    pub id: String,
    /// Radar or ADS-B.
    pub kind: SensorKind,
    /// Where its datagrams arrive: a unicast address to bind, or a multicast group and port.
    pub listen: SocketAddr,
    /// UDP (default) or TCP.
    #[serde(default, skip_serializing_if = "is_udp")]
    pub transport: Transport,
    /// System: the nation whose system it is (default: this node's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nation: Option<Nation>,
    /// Multicast: the local interface address to join the group on (default: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<Ipv4Addr>,
    /// The sensor's SAC (I0xx/010).
    pub sac: u8,
    /// The sensor's SIC (I0xx/010).
    pub sic: u8,
    /// Antenna (or station) latitude, WGS-84 degrees; required for a radar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat_deg: Option<f64>,
    /// Antenna (or station) longitude, WGS-84 degrees; required for a radar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon_deg: Option<f64>,
    /// Antenna height above the ellipsoid, metres.
    #[serde(default)]
    pub height_m: f64,
    /// Radar: range noise, metres (one sigma).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_sigma_m: Option<f64>,
    /// Radar: azimuth noise, degrees (one sigma).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azimuth_sigma_deg: Option<f64>,
    /// Radar: known range bias (measured minus true), metres.
    #[serde(default)]
    pub range_bias_m: f64,
    /// Radar: known azimuth bias (measured minus true), degrees.
    #[serde(default)]
    pub azimuth_bias_deg: f64,
    /// Radar: probability of detection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pd: Option<f64>,
    /// Radar: antenna rotation period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<ConfigDuration>,
    /// Radar: instrumented range, metres (default: learnt from the plots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_range_m: Option<f64>,
    /// Radar: what the range is, `slant` (ASTERIX CAT048, the default) or `plane`.
    #[serde(default, skip_serializing_if = "is_slant")]
    pub geometry: Geometry,
    /// Radar: azimuth sectors per rotation (plots are processed a sector at a time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sectors: Option<u16>,
    /// ADS-B: position noise when a report has no NACp; system: when a track's report gives no
    /// accuracy, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position_sigma_m: Option<f64>,
    /// ASTERIX editions the sensor sends, when not the current ones (`"CAT048=1.21"`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub editions: Vec<String>,
}

/// What a radar's range is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Geometry {
    /// Slant range from the antenna, as ASTERIX CAT048 carries it.
    #[default]
    Slant,
    /// Polar coordinates in the radar's height-0 tangent plane (the offline format's).
    Plane,
}

impl SensorSection {
    /// A sensor with only its identity and address; every other key at its default.
    pub fn new(id: &str, kind: SensorKind, listen: SocketAddr, sac: u8, sic: u8) -> SensorSection {
        SensorSection {
            id: id.to_owned(),
            kind,
            listen,
            transport: Transport::Udp,
            nation: None,
            interface: None,
            sac,
            sic,
            lat_deg: None,
            lon_deg: None,
            height_m: 0.0,
            range_sigma_m: None,
            azimuth_sigma_deg: None,
            range_bias_m: 0.0,
            azimuth_bias_deg: 0.0,
            pd: None,
            period: None,
            max_range_m: None,
            geometry: Geometry::default(),
            sectors: None,
            position_sigma_m: None,
            editions: Vec::new(),
        }
    }
}

impl From<Geometry> for RangeGeometry {
    fn from(geometry: Geometry) -> RangeGeometry {
        match geometry {
            Geometry::Slant => RangeGeometry::Slant,
            Geometry::Plane => RangeGeometry::Plane,
        }
    }
}

fn is_slant(geometry: &Geometry) -> bool {
    *geometry == Geometry::Slant
}
fn yes() -> bool {
    true
}
fn default_picture_period() -> ConfigDuration {
    ConfigDuration(DEFAULT_PICTURE_PERIOD)
}
fn default_max_delay() -> ConfigDuration {
    ConfigDuration(DEFAULT_MAX_DELAY)
}
fn default_alert_validity() -> ConfigDuration {
    ConfigDuration(DEFAULT_ALERT_VALIDITY)
}
fn default_cat062_edition() -> String {
    DEFAULT_CAT062_EDITION.to_owned()
}
fn default_cat062_ttl() -> u32 {
    DEFAULT_CAT062_TTL
}
fn default_history_period() -> ConfigDuration {
    ConfigDuration(DEFAULT_HISTORY_PERIOD)
}
fn default_history_retention() -> ConfigDuration {
    ConfigDuration(DEFAULT_HISTORY_RETENTION)
}
fn default_tak_stale() -> ConfigDuration {
    ConfigDuration(DEFAULT_TAK_STALE)
}
fn default_recv_buffer_bytes() -> usize {
    DEFAULT_RECV_BUFFER_BYTES
}

/// What the sensor table resolves to: how to build the tracker's sensor.
#[derive(Debug, Clone)]
pub enum SensorModel {
    /// A radar.
    Radar(RadarConfig),
    /// An ADS-B source.
    Adsb(AdsbConfig),
    /// Another system's tracks.
    System(SystemTrackSourceConfig),
}

/// One sensor, checked.
#[derive(Debug, Clone)]
pub struct Sensor {
    /// Its name.
    pub id: String,
    /// Its SAC/SIC.
    pub source: DataSource,
    /// Where its datagrams arrive.
    pub listen: SocketAddr,
    /// UDP or TCP.
    pub transport: Transport,
    /// The multicast interface, if any.
    pub interface: Option<Ipv4Addr>,
    /// The editions it is decoded with.
    pub editions: Editions,
    /// The tracker's view of it.
    pub model: SensorModel,
    /// Its position, when known (for the tracker's anchor and the airspace grid).
    pub position: Option<(f64, f64)>,
}

impl Sensor {
    /// Radar or ADS-B.
    pub fn kind(&self) -> SensorKind {
        match self.model {
            SensorModel::Radar(_) => SensorKind::Radar,
            SensorModel::Adsb(_) => SensorKind::Adsb,
            SensorModel::System(_) => SensorKind::System,
        }
    }

    /// How long the sensor may stay silent before a picture stops waiting for it.
    pub fn silence_timeout(&self) -> Duration {
        let period = match &self.model {
            SensorModel::Radar(radar) => radar.period_s,
            SensorModel::Adsb(_) | SensorModel::System(_) => 1.0,
        };
        Duration::from_secs_f64((3.0 * period).clamp(5.0, 60.0))
    }
}

/// A range of Mode 3/A codes (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeRange {
    /// First code.
    pub first: u16,
    /// Last code.
    pub last: u16,
}

impl CodeRange {
    /// Whether `code` is in the range.
    pub fn contains(&self, code: u16) -> bool {
        (self.first..=self.last).contains(&code)
    }
}

/// The whole air configuration, checked.
#[derive(Debug, Clone)]
pub struct AirSettings {
    /// This node's nation (origin of tracks and alerts).
    pub nation: Nation,
    /// Picture period.
    pub picture_period: Duration,
    /// Longest wait for a late sensor.
    pub max_delay: Duration,
    /// The tracker's configuration.
    pub tracker: TrackerConfig,
    /// Marking of tracks (canonical).
    pub track_marking: Marking,
    /// Marking of tracks over a nation's territory, by ISO alpha-3 code (canonical).
    pub track_marking_over: BTreeMap<String, Marking>,
    /// Marking of alerts (canonical).
    pub alert_marking: Marking,
    /// Validity of alert reports.
    pub alert_validity: Duration,
    /// Whether borders are checked.
    pub borders: bool,
    /// CAT062 destinations.
    pub cat062_out: Vec<SocketAddr>,
    /// CAT062 edition.
    pub cat062_edition: &'static liptako_asterix::Edition,
    /// Multicast TTL of CAT062.
    pub cat062_ttl: u32,
    /// Our SAC/SIC.
    pub source: DataSource,
    /// History thinning period (`None`: no history).
    pub history_period: Option<Duration>,
    /// History retention.
    pub history_retention: Duration,
    /// TAK stale time.
    pub tak_stale: Duration,
    /// Friend code ranges.
    pub friend_codes: Vec<CodeRange>,
    /// Socket receive buffer.
    pub recv_buffer_bytes: usize,
    /// The sensors, in configuration order (the tracker's sensor ids follow it).
    pub sensors: Vec<Sensor>,
}

impl AirSettings {
    /// The marking of a track over `territory` (the nation under it, if known).
    pub fn track_marking_at(&self, territory: Option<&str>) -> &Marking {
        territory
            .and_then(|nation| self.track_marking_over.get(nation))
            .unwrap_or(&self.track_marking)
    }

    /// Every marking a track of this node's picture may have.
    pub fn track_markings(&self) -> Vec<Marking> {
        let mut all = vec![self.track_marking.clone()];
        for marking in self.track_marking_over.values() {
            if !all.contains(marking) {
                all.push(marking.clone());
            }
        }
        all
    }
}

/// Checks `[air]` and `[[sensor]]` against the policy. `Ok(None)`: no sensor and no anchor,
/// nothing to run. A node without sensors whose `[air]` gives the anchor
/// (`origin_lat_deg`, `origin_lon_deg`) runs a picture of its partners' tracks alone.
pub fn resolve(
    air: &AirSection,
    sensors: &[SensorSection],
    policy: &Policy,
    nation: Nation,
) -> Result<Option<AirSettings>, String> {
    if sensors.is_empty() && (air.origin_lat_deg.is_none() || air.origin_lon_deg.is_none()) {
        return Ok(None);
    }
    let picture_period = air.picture_period.0;
    if picture_period < Duration::from_millis(100) || picture_period > Duration::from_secs(60) {
        return Err(format!(
            "air.picture_period {}: must be 100ms to 60s",
            air.picture_period
        ));
    }
    if air.max_delay.0 > Duration::from_secs(60) {
        return Err(format!("air.max_delay {}: at most 60s", air.max_delay));
    }
    let marking = |key: &str, given: &Option<Marking>| -> Result<Marking, String> {
        let marking = given
            .clone()
            .unwrap_or_else(|| Marking::new(DEFAULT_LEVEL, [policy.confederation().name()]));
        policy
            .canonical(nation, &marking)
            .map_err(|err| format!("air.{key}: {err}"))
    };
    let track_marking = marking("track_marking", &air.track_marking)?;
    let track_marking_over = air
        .track_marking_over
        .iter()
        .map(|(over, given)| {
            let key = format!("track_marking_over.{over}");
            Ok((
                over.as_str().to_owned(),
                marking(&key, &Some(given.clone()))?,
            ))
        })
        .collect::<Result<BTreeMap<_, _>, String>>()?;
    let alert_marking = marking("alert_marking", &air.alert_marking)?;
    let cat062_edition = tables::find(62, air.cat062_edition.trim()).ok_or_else(|| {
        format!(
            "air.cat062_edition {:?}: known editions are {}",
            air.cat062_edition,
            tables::versions(62)
                .map(|edition| edition.version)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let friend_codes = air
        .friend_codes
        .iter()
        .map(|text| parse_code_range(text).map_err(|err| format!("air.friend_codes: {err}")))
        .collect::<Result<Vec<_>, _>>()?;

    let mut resolved: Vec<Sensor> = Vec::with_capacity(sensors.len());
    for section in sensors {
        let sensor = resolve_sensor(section, nation)?;
        if resolved.iter().any(|other| other.id == sensor.id) {
            return Err(format!("sensor {}: id listed twice", sensor.id));
        }
        for other in resolved
            .iter()
            .filter(|other| other.listen == sensor.listen)
        {
            if other.source == sensor.source {
                return Err(format!(
                    "sensors {} and {} share {} and SAC/SIC {}/{}: records could not be told apart",
                    other.id, sensor.id, sensor.listen, sensor.source.sac, sensor.source.sic
                ));
            }
            if other.kind() == sensor.kind() && other.editions != sensor.editions {
                return Err(format!(
                    "sensors {} and {} share {} but name different editions: give them separate addresses",
                    other.id, sensor.id, sensor.listen
                ));
            }
            if other.transport != sensor.transport {
                return Err(format!(
                    "sensors {} and {} share {} over different transports: give them separate addresses",
                    other.id, sensor.id, sensor.listen
                ));
            }
            if other.interface != sensor.interface {
                return Err(format!(
                    "sensors {} and {} share {} but name different interfaces",
                    other.id, sensor.id, sensor.listen
                ));
            }
        }
        resolved.push(sensor);
    }

    let (origin_lat, origin_lon) = match (air.origin_lat_deg, air.origin_lon_deg) {
        (Some(lat), Some(lon)) => {
            check_position("air.origin", lat, lon)?;
            (lat, lon)
        }
        (None, None) => centre(&resolved).ok_or_else(|| {
            "air: no sensor has a position: set air.origin_lat_deg and air.origin_lon_deg \
             (the centre of the covered area)"
                .to_owned()
        })?,
        _ => {
            return Err("air: give both origin_lat_deg and origin_lon_deg, or neither".into());
        }
    };
    let mut tracker = TrackerConfig::new(origin_lat, origin_lon);
    tracker.picture_period_s = picture_period.as_secs_f64();
    // Names this node's sensors in joint tracks (partners' name theirs).
    tracker.nation = Some(nation.as_str().to_owned());
    apply_tuning(&mut tracker, &air.tracker)?;

    let history_period = (!air.history_period.0.is_zero()).then_some(air.history_period.0);
    if let Some(period) = history_period
        && period < picture_period
    {
        return Err(format!(
            "air.history_period {}: at least the picture period ({})",
            air.history_period, air.picture_period
        ));
    }
    if air.tak_stale.0 < Duration::from_secs(2) {
        return Err(format!("air.tak_stale {}: at least 2s", air.tak_stale));
    }
    if air.cat062_ttl > 255 {
        return Err(format!("air.cat062_ttl {}: at most 255", air.cat062_ttl));
    }
    Ok(Some(AirSettings {
        nation,
        picture_period,
        max_delay: air.max_delay.0,
        tracker,
        track_marking,
        track_marking_over,
        alert_marking,
        alert_validity: air.alert_validity.0,
        borders: air.borders,
        cat062_out: air.cat062_out.clone(),
        cat062_edition,
        cat062_ttl: air.cat062_ttl,
        source: DataSource {
            sac: air.sac,
            sic: air.sic,
        },
        history_period,
        history_retention: air.history_retention.0,
        tak_stale: air.tak_stale.0,
        friend_codes,
        recv_buffer_bytes: air.recv_buffer_bytes.clamp(64 * 1024, 256 * 1024 * 1024),
        sensors: resolved,
    }))
}

fn check_position(key: &str, lat: f64, lon: f64) -> Result<(), String> {
    if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
        return Err(format!("{key}: latitude {lat} must be in -90..90"));
    }
    if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
        return Err(format!("{key}: longitude {lon} must be in -180..180"));
    }
    Ok(())
}

/// The mean position of the sensors that have one (longitudes averaged as unit vectors, so
/// sensors either side of the antimeridian do not average to the other side of the Earth).
fn centre(sensors: &[Sensor]) -> Option<(f64, f64)> {
    let positions: Vec<(f64, f64)> = sensors.iter().filter_map(|s| s.position).collect();
    if positions.is_empty() {
        return None;
    }
    let n = positions.len() as f64;
    let lat = positions.iter().map(|p| p.0).sum::<f64>() / n;
    let (x, y) = positions.iter().fold((0.0, 0.0), |(x, y), p| {
        let lon = p.1.to_radians();
        (x + lon.cos(), y + lon.sin())
    });
    Some((lat, y.atan2(x).to_degrees()))
}

fn resolve_sensor(section: &SensorSection, nation: Nation) -> Result<Sensor, String> {
    let id = section.id.trim();
    if id.is_empty() || id.len() > 64 || id.chars().any(|c| c.is_control() || c == '"') {
        return Err(format!(
            "sensor {:?}: id must be 1 to 64 printable characters without quotes",
            section.id
        ));
    }
    let err = |message: String| format!("sensor {id}: {message}");
    let editions = Editions::from_selectors(section.editions.iter().map(String::as_str))
        .map_err(|e| err(format!("editions: {e}")))?;
    if section.transport == Transport::Tcp && section.listen.ip().is_multicast() {
        return Err(err(format!(
            "{} is a multicast group: TCP listens on a unicast address",
            section.listen
        )));
    }
    if section.nation.is_some() && section.kind != SensorKind::System {
        return Err(err("nation is for system sensors (CAT062)".into()));
    }
    if section.interface.is_some() && !section.listen.ip().is_multicast() {
        return Err(err(format!(
            "interface is for multicast groups; {} is not one",
            section.listen
        )));
    }
    let position = match (section.lat_deg, section.lon_deg) {
        (Some(lat), Some(lon)) => {
            check_position(&format!("sensor {id}"), lat, lon)?;
            Some((lat, lon))
        }
        (None, None) => None,
        _ => return Err(err("give both lat_deg and lon_deg, or neither".into())),
    };
    let radar_only = [
        ("range_sigma_m", section.range_sigma_m.is_some()),
        ("azimuth_sigma_deg", section.azimuth_sigma_deg.is_some()),
        ("pd", section.pd.is_some()),
        ("period", section.period.is_some()),
        ("max_range_m", section.max_range_m.is_some()),
        ("sectors", section.sectors.is_some()),
        ("range_bias_m", section.range_bias_m != 0.0),
        ("azimuth_bias_deg", section.azimuth_bias_deg != 0.0),
        ("geometry", section.geometry != Geometry::Slant),
    ];
    let model = match section.kind {
        SensorKind::Radar => {
            if section.position_sigma_m.is_some() {
                return Err(err("position_sigma_m is for ADS-B sources".into()));
            }
            let Some((lat_deg, lon_deg)) = position else {
                return Err(err(
                    "a radar needs its antenna position: lat_deg and lon_deg".into(),
                ));
            };
            let positive = |key: &str, value: f64| {
                if value.is_finite() && value > 0.0 {
                    Ok(value)
                } else {
                    Err(err(format!("{key} {value} must be positive")))
                }
            };
            let pd = section.pd.unwrap_or(DEFAULT_PD);
            if !(pd > 0.0 && pd <= 1.0) {
                return Err(err(format!("pd {pd} must be in (0, 1]")));
            }
            let period = section.period.map_or(DEFAULT_RADAR_PERIOD, |p| p.0);
            if period < Duration::from_millis(500) || period > Duration::from_secs(60) {
                return Err(err(format!(
                    "period {}: must be 500ms to 60s",
                    ConfigDuration(period)
                )));
            }
            let sectors = section
                .sectors
                .unwrap_or(liptako_track::sensor::DEFAULT_SECTORS);
            if !(1..=1024).contains(&sectors) {
                return Err(err(format!("sectors {sectors} must be 1 to 1024")));
            }
            if let Some(range) = section.max_range_m {
                positive("max_range_m", range)?;
            }
            for (key, value) in [
                ("height_m", section.height_m),
                ("range_bias_m", section.range_bias_m),
                ("azimuth_bias_deg", section.azimuth_bias_deg),
            ] {
                if !value.is_finite() {
                    return Err(err(format!("{key} {value} must be a number")));
                }
            }
            SensorModel::Radar(RadarConfig {
                name: id.to_owned(),
                lat_deg,
                lon_deg,
                height_m: section.height_m,
                range_sigma_m: positive(
                    "range_sigma_m",
                    section.range_sigma_m.unwrap_or(DEFAULT_RANGE_SIGMA_M),
                )?,
                azimuth_sigma_deg: positive(
                    "azimuth_sigma_deg",
                    section
                        .azimuth_sigma_deg
                        .unwrap_or(DEFAULT_AZIMUTH_SIGMA_DEG),
                )?,
                range_bias_m: section.range_bias_m,
                azimuth_bias_deg: section.azimuth_bias_deg,
                pd,
                period_s: period.as_secs_f64(),
                max_range_m: section.max_range_m,
                geometry: section.geometry.into(),
                sectors,
            })
        }
        SensorKind::Adsb => {
            if let Some((key, _)) = radar_only.iter().find(|(_, set)| *set) {
                return Err(err(format!("{key} is for radars")));
            }
            let sigma = section.position_sigma_m.unwrap_or(DEFAULT_ADSB_SIGMA_M);
            if !(sigma.is_finite() && sigma > 0.0) {
                return Err(err(format!("position_sigma_m {sigma} must be positive")));
            }
            SensorModel::Adsb(AdsbConfig {
                position_sigma_m: sigma,
                ..AdsbConfig::new(id)
            })
        }
        SensorKind::System => {
            if let Some((key, _)) = radar_only.iter().find(|(_, set)| *set) {
                return Err(err(format!("{key} is for radars")));
            }
            let mut config = SystemTrackSourceConfig::new(id);
            config.nation = Some(section.nation.unwrap_or(nation).as_str().to_owned());
            if let Some(sigma) = section.position_sigma_m {
                if !(sigma.is_finite() && sigma > 0.0 && sigma <= config.max_position_sigma_m) {
                    return Err(err(format!(
                        "position_sigma_m {sigma} must be positive and at most {}",
                        config.max_position_sigma_m
                    )));
                }
                config.position_sigma_m = sigma;
            }
            SensorModel::System(config)
        }
    };
    Ok(Sensor {
        id: id.to_owned(),
        source: DataSource {
            sac: section.sac,
            sic: section.sic,
        },
        listen: section.listen,
        transport: section.transport,
        interface: section.interface,
        editions,
        model,
        position,
    })
}

fn apply_tuning(config: &mut TrackerConfig, tuning: &TrackerSection) -> Result<(), String> {
    let positive = |key: &str, value: f64| {
        if value.is_finite() && value > 0.0 {
            Ok(value)
        } else {
            Err(format!("air.tracker.{key} {value} must be positive"))
        }
    };
    if let Some(v) = tuning.gate_chi2 {
        config.gate_chi2 = positive("gate_chi2", v)?;
    }
    if let Some(v) = tuning.max_speed_mps {
        config.max_speed_mps = positive("max_speed_mps", v)?;
    }
    if let Some(v) = tuning.extraneous_density_per_km2 {
        config.extraneous_density_per_km2 = positive("extraneous_density_per_km2", v)?;
    }
    if let Some(v) = tuning.confirm_opportunities {
        if !(1..=16).contains(&v) {
            return Err(format!(
                "air.tracker.confirm_opportunities {v} must be 1 to 16"
            ));
        }
        config.confirm_opportunities = v;
    }
    if let Some(v) = tuning.confirm_hits {
        if v == 0 || v > config.confirm_opportunities {
            return Err(format!(
                "air.tracker.confirm_hits {v} must be 1 to confirm_opportunities ({})",
                config.confirm_opportunities
            ));
        }
        config.confirm_hits = v;
    }
    if let Some(v) = tuning.adsb_confirm_reports {
        if v == 0 {
            return Err("air.tracker.adsb_confirm_reports must be at least 1".into());
        }
        config.adsb_confirm_reports = v;
    }
    if let Some(v) = tuning.max_coast {
        if v.0 < Duration::from_secs(1) || v.0 > Duration::from_secs(600) {
            return Err(format!("air.tracker.max_coast {v}: must be 1s to 600s"));
        }
        config.max_coast_s = v.0.as_secs_f64();
    }
    if let Some(v) = tuning.code_memory {
        if v.0.is_zero() {
            return Err("air.tracker.code_memory must be positive".into());
        }
        config.code_memory_s = v.0.as_secs_f64();
    }
    if let Some(v) = tuning.false_deletion_probability {
        if !(v > 0.0 && v < 0.5) {
            return Err(format!(
                "air.tracker.false_deletion_probability {v} must be in (0, 0.5)"
            ));
        }
        config.false_deletion_probability = v;
    }
    Ok(())
}

/// Parses `"7000"` or `"5100-5177"` (octal Mode 3/A codes).
pub fn parse_code_range(text: &str) -> Result<CodeRange, String> {
    let code = |part: &str| -> Result<u16, String> {
        let part = part.trim();
        if part.len() != 4 {
            return Err(format!("{text:?}: a code is 4 octal digits"));
        }
        u16::from_str_radix(part, 8).map_err(|_| format!("{text:?}: a code is 4 octal digits"))
    };
    let (first, last) = match text.split_once('-') {
        Some((a, b)) => (code(a)?, code(b)?),
        None => {
            let c = code(text)?;
            (c, c)
        }
    };
    if first > last {
        return Err(format!("{text:?}: the range runs backwards"));
    }
    Ok(CodeRange { first, last })
}

/// The editions a listen address decodes with: its radars' for CAT048 and CAT034, its ADS-B
/// sources' for CAT021 (sensors of one kind on one address name the same, see [`resolve`]).
pub fn address_editions(sensors: &[&Sensor]) -> Editions {
    let mut editions = Editions::current();
    for sensor in sensors {
        let categories: &[u8] = match sensor.kind() {
            SensorKind::Radar => &[48, 34],
            SensorKind::Adsb => &[21],
            SensorKind::System => &[62],
        };
        for &category in categories {
            if let Some(edition) = sensor.editions.get(category) {
                editions.set(edition);
            }
        }
    }
    editions
}

/// Sensors grouped by listen address, in configuration order of first appearance.
pub fn by_listen_address(sensors: &[Sensor]) -> BTreeMap<SocketAddr, Vec<usize>> {
    let mut groups: BTreeMap<SocketAddr, Vec<usize>> = BTreeMap::new();
    for (idx, sensor) in sensors.iter().enumerate() {
        groups.entry(sensor.listen).or_default().push(idx);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use liptako_model::{Confederation, Levels};

    fn nation(code: &str) -> Nation {
        Nation::parse(code).unwrap()
    }

    fn policy() -> Policy {
        Policy::new(
            Confederation::new("AES", vec![nation("MLI"), nation("BFA"), nation("NER")]).unwrap(),
            Levels::default(),
        )
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        #[serde(default)]
        air: AirSection,
        #[serde(default, rename = "sensor")]
        sensors: Vec<SensorSection>,
    }

    fn parse(text: &str) -> Result<Option<AirSettings>, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        resolve(&file.air, &file.sensors, &policy(), nation("MLI"))
    }

    const RADAR: &str = r#"
        [[sensor]]
        id = "GAO"
        kind = "radar"
        listen = "127.0.0.1:30001"
        sac = 1
        sic = 1
        lat_deg = 16.25
        lon_deg = 0.0
    "#;

    #[test]
    fn defaults() {
        assert!(parse("").unwrap().is_none(), "no sensor: nothing runs");
        let partners_only = parse("[air]\norigin_lat_deg = 14.0\norigin_lon_deg = 1.0\n")
            .unwrap()
            .expect("an anchor without sensors: the partners' picture runs");
        assert!(partners_only.sensors.is_empty());
        let settings = parse(RADAR).unwrap().unwrap();
        assert_eq!(settings.picture_period, DEFAULT_PICTURE_PERIOD);
        assert_eq!(settings.max_delay, DEFAULT_MAX_DELAY);
        assert_eq!(settings.track_marking, Marking::new("DR", ["AES"]));
        assert_eq!(settings.alert_marking, Marking::new("DR", ["AES"]));
        assert_eq!(settings.history_period, Some(DEFAULT_HISTORY_PERIOD));
        assert_eq!(settings.cat062_edition.version, "1.21");
        assert!(settings.borders);
        assert_eq!(settings.tracker.origin_lat_deg, 16.25);
        let SensorModel::Radar(radar) = &settings.sensors[0].model else {
            panic!("a radar")
        };
        assert_eq!(radar.geometry, RangeGeometry::Slant);
        assert_eq!(radar.period_s, 4.0);
        assert_eq!(radar.pd, DEFAULT_PD);
        assert_eq!(radar.range_sigma_m, DEFAULT_RANGE_SIGMA_M);
        assert_eq!(settings.sensors[0].editions, Editions::current());
    }

    #[test]
    fn a_full_section_is_read() {
        let text = format!(
            r#"
            [air]
            picture_period = "500ms"
            cat062_out = ["239.10.0.62:8600", "127.0.0.1:9000"]
            sac = 7
            sic = 100
            cat062_edition = "1.18"
            friend_codes = ["5100-5177", "0033"]
            track_marking = {{ level = "C", releasable_to = ["bfa"] }}
            history_period = "0s"
            [air.tracker]
            confirm_hits = 2
            max_coast = "30s"
            {RADAR}
            editions = ["CAT048=1.21"]
            period = "4500ms"
            [[sensor]]
            id = "ADSB"
            kind = "adsb"
            listen = "127.0.0.1:30001"
            sac = 9
            sic = 1
            "#
        );
        let s = parse(&text).unwrap().unwrap();
        assert_eq!(s.picture_period, Duration::from_millis(500));
        assert_eq!(s.tracker.picture_period_s, 0.5);
        assert_eq!(s.tracker.confirm_hits, 2);
        assert_eq!(s.tracker.max_coast_s, 30.0);
        assert_eq!(s.cat062_out.len(), 2);
        assert_eq!(s.cat062_edition.version, "1.18");
        assert_eq!(s.track_marking, Marking::new("C", ["BFA"]));
        assert_eq!(s.history_period, None);
        assert!(s.friend_codes[0].contains(0o5101));
        assert!(!s.friend_codes[0].contains(0o5200));
        assert!(s.friend_codes[1].contains(0o33));
        assert_eq!(
            s.sensors[0].editions.get(48).map(|e| e.version),
            Some("1.21")
        );
        let shared = address_editions(&[&s.sensors[0], &s.sensors[1]]);
        assert_eq!(shared.get(48).map(|e| e.version), Some("1.21"));
        assert_eq!(shared.get(21).map(|e| e.version), Some("2.7"));
        assert_eq!(s.sensors[1].kind(), SensorKind::Adsb);
        assert_eq!(by_listen_address(&s.sensors).len(), 1);
    }

    #[test]
    fn a_track_over_a_nation_may_be_marked_otherwise() {
        let over = r#"
            [air.track_marking_over]
            NER = { level = "DR", releasable_to = ["MLI"] }
        "#;
        let s = parse(&format!("{over}{RADAR}")).unwrap().unwrap();
        // Canonical: national (MLI's own code is implied).
        assert_eq!(
            s.track_marking_at(Some("NER")),
            &Marking::new("DR", Vec::<String>::new())
        );
        assert_eq!(s.track_marking_at(Some("BFA")), &s.track_marking);
        assert_eq!(s.track_marking_at(None), &s.track_marking);
        assert_eq!(s.track_markings().len(), 2);
        let bad = over.replace("\"DR\"", "\"ULTRA\"");
        let err = parse(&format!("{bad}{RADAR}")).unwrap_err();
        assert!(err.contains("air.track_marking_over.NER"), "{err}");
    }

    #[test]
    fn another_systems_cat062_over_tcp() {
        let system = r#"
            [[sensor]]
            id = "NIAMEY-ARTAS"
            kind = "system"
            nation = "NER"
            transport = "tcp"
            listen = "127.0.0.1:8062"
            sac = 9
            sic = 4
            position_sigma_m = 150.0
        "#;
        let s = parse(&format!("{RADAR}{system}")).unwrap().unwrap();
        let sensor = &s.sensors[1];
        assert_eq!(sensor.kind(), SensorKind::System);
        assert_eq!(sensor.transport, Transport::Tcp);
        let SensorModel::System(config) = &sensor.model else {
            panic!("{:?}", sensor.model)
        };
        assert_eq!(config.nation.as_deref(), Some("NER"));
        assert_eq!(config.position_sigma_m, 150.0);
        assert_eq!(s.sensors[0].transport, Transport::Udp);
        let editions = address_editions(&[sensor]);
        assert!(editions.get(62).is_some());
        // Without `nation`, the system is this node's.
        let own = system.replace("nation = \"NER\"", "");
        let s = parse(&format!("{RADAR}{own}")).unwrap().unwrap();
        let SensorModel::System(config) = &s.sensors[1].model else {
            panic!()
        };
        assert_eq!(config.nation.as_deref(), Some("MLI"));
        for (text, needle) in [
            (
                system.replace("127.0.0.1:8062", "239.1.1.1:8062"),
                "multicast group",
            ),
            (
                system.replace("position_sigma_m = 150.0", "pd = 0.5"),
                "pd is for radars",
            ),
            (
                system.replace("position_sigma_m = 150.0", "position_sigma_m = -1.0"),
                "position_sigma_m -1",
            ),
            (
                system.replace("nation = \"NER\"", "nation = \"XX\""),
                "nation",
            ),
            (
                format!("{RADAR}\nnation = \"NER\"\n"),
                "nation is for system",
            ),
            (
                system.replace("127.0.0.1:8062", "127.0.0.1:30001"),
                "different transports",
            ),
        ] {
            let err = parse(&format!("{RADAR}{text}")).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn mistakes_name_their_key() {
        for (extra, needle) in [
            ("pd = 1.5", "sensor GAO: pd 1.5"),
            ("period = \"100ms\"", "sensor GAO: period 100ms"),
            ("editions = [\"CAT048=9.9\"]", "sensor GAO: editions"),
            ("position_sigma_m = 3.0", "position_sigma_m is for ADS-B"),
            ("range_sigma_m = -1.0", "range_sigma_m -1 must be positive"),
            ("interface = \"127.0.0.1\"", "not one"),
            ("colour = \"red\"", "colour"),
        ] {
            let err = parse(&format!("{RADAR}\n{extra}\n")).unwrap_err();
            assert!(err.contains(needle), "{extra}: {err}");
        }
        let no_position = RADAR.replace("lat_deg = 16.25", "");
        assert!(
            parse(&no_position)
                .unwrap_err()
                .contains("lat_deg and lon_deg")
        );
        let twice = format!("{RADAR}{RADAR}");
        assert!(parse(&twice).unwrap_err().contains("listed twice"));
        let same_source = format!("{RADAR}{}", RADAR.replace("GAO", "GAO2"));
        assert!(
            parse(&same_source)
                .unwrap_err()
                .contains("could not be told apart")
        );
        let adsb_with_pd = r#"
            [air]
            origin_lat_deg = 14.0
            origin_lon_deg = 1.0
            [[sensor]]
            id = "A"
            kind = "adsb"
            listen = "127.0.0.1:1"
            sac = 1
            sic = 1
            pd = 0.9
        "#;
        assert!(
            parse(adsb_with_pd)
                .unwrap_err()
                .contains("pd is for radars")
        );
        let adsb_alone = adsb_with_pd
            .replace("pd = 0.9", "")
            .replace("origin_lat_deg = 14.0", "");
        assert!(parse(&adsb_alone).unwrap_err().contains("both origin"));
        for (air, needle) in [
            ("cat062_edition = \"2.0\"", "air.cat062_edition"),
            ("picture_period = \"10ms\"", "air.picture_period"),
            ("friend_codes = [\"9999\"]", "air.friend_codes"),
            ("track_marking = { level = \"TS\" }", "air.track_marking"),
            ("history_period = \"100ms\"", "air.history_period"),
        ] {
            let err = parse(&format!("[air]\n{air}\n{RADAR}")).unwrap_err();
            assert!(err.contains(needle), "{air}: {err}");
        }
        let err = parse(&format!("[air.tracker]\nconfirm_hits = 9\n{RADAR}")).unwrap_err();
        assert!(err.contains("air.tracker.confirm_hits"), "{err}");
    }

    #[test]
    fn code_ranges() {
        assert_eq!(
            parse_code_range("7700"),
            Ok(CodeRange {
                first: 0o7700,
                last: 0o7700
            })
        );
        assert!(parse_code_range("7780").is_err());
        assert!(parse_code_range("12345").is_err());
        assert!(parse_code_range("5177-5100").is_err());
    }

    #[test]
    fn centre_of_sensors_across_the_antimeridian() {
        let settings = parse(
            r#"
            [[sensor]]
            id = "A"
            kind = "radar"
            listen = "127.0.0.1:1"
            sac = 1
            sic = 1
            lat_deg = 10.0
            lon_deg = 179.0
            [[sensor]]
            id = "B"
            kind = "radar"
            listen = "127.0.0.1:2"
            sac = 1
            sic = 2
            lat_deg = 12.0
            lon_deg = -179.0
            "#,
        )
        .unwrap()
        .unwrap();
        assert!((settings.tracker.origin_lat_deg - 11.0).abs() < 1e-9);
        assert!((settings.tracker.origin_lon_deg.abs() - 180.0).abs() < 1e-9);
    }
}
