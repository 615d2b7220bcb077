//! The node's configuration: one TOML file, `liptako.toml`, in the data directory.
//!
//! Each section is a struct with `deny_unknown_fields`, so a misspelt key fails at start with
//! the key and the file named. Defaults are named constants; durations are written `"10s"`,
//! `"5m"`, `"8h"`.
//!
//! ```toml
//! [node]
//! nation = "MLI"
//!
//! [confederation]
//! name = "AES"
//! members = ["MLI", "BFA", "NER"]
//! levels = ["NP", "DR", "C", "S"]
//!
//! [http]
//! listen = "127.0.0.1:8080"
//! ```
//!
//! Sections are leaves: [`cot`] (TAK clients), [`air`] (the air picture and its sensors),
//! [`pursuit`] (the limits of the right of pursuit), [`deconfliction`] (`[deconfliction]` and
//! `[protection]` distances), [`support`] (support requests) and [`taxii`]
//! depend on nothing of the node but [`ConfigDuration`], so every feature may read every
//! section without importing another feature.

pub mod air;
pub mod cot;
pub mod deconfliction;
pub mod pursuit;
pub mod support;
pub mod taxii;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use liptako_model::{Confederation, Levels, Nation, Policy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The configuration file's name inside the data directory.
pub const CONFIG_FILE: &str = "liptako.toml";
/// Default HTTP listen address.
pub const DEFAULT_HTTP_LISTEN: &str = "127.0.0.1:8080";
/// Default largest request body.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default lifetime of a session token.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(8 * 3600);
/// Default number of failed logins (per user name, and per client address) before lock-out.
pub const DEFAULT_MAX_FAILED_LOGINS: u32 = 5;
/// Default first lock-out; it doubles with each further failure.
pub const DEFAULT_LOCKOUT: Duration = Duration::from_secs(30);
/// Default capacity of the live change feed, in changes; a subscriber further behind is told
/// to resynchronise.
pub const DEFAULT_LIVE_QUEUE: usize = 8192;

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// This node.
    pub node: NodeSection,
    /// The confederation this node belongs to.
    pub confederation: ConfederationSection,
    /// The HTTP API.
    #[serde(default)]
    pub http: HttpSection,
    /// Logins and sessions.
    #[serde(default)]
    pub auth: AuthSection,
    /// Storage.
    #[serde(default)]
    pub store: StoreSection,
    /// The live change feed.
    #[serde(default)]
    pub live: LiveSection,
    /// In-memory caches.
    #[serde(default)]
    pub cache: CacheSection,
    /// The listener partner nodes connect to.
    #[serde(default)]
    pub federation: FederationSection,
    /// Links to partner nodes, one `[[link]]` table each.
    #[serde(default, rename = "link", skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LinkSection>,
    /// The TAK server (listeners, principals, queues).
    #[serde(default)]
    pub cot: cot::CotSection,
    /// The air picture (picture period, tracker, markings, CAT062 out, history).
    #[serde(default)]
    pub air: air::AirSection,
    /// The air picture's sensors, one `[[sensor]]` table each.
    #[serde(default, rename = "sensor", skip_serializing_if = "Vec::is_empty")]
    pub sensors: Vec<air::SensorSection>,
    /// TAXII 2.1: the server's inboxes and TLP table, the sources pulled (`[[taxii.source]]`).
    #[serde(default, skip_serializing_if = "taxii::TaxiiSection::is_default")]
    pub taxii: taxii::TaxiiSection,
    /// The limits of the right of pursuit (pursuit notices).
    #[serde(default, skip_serializing_if = "pursuit::PursuitSection::is_default")]
    pub pursuit: pursuit::PursuitSection,
    /// Units of different nations too close to each other (deconfliction alerts).
    #[serde(
        default,
        skip_serializing_if = "deconfliction::DeconflictionSection::is_default"
    )]
    pub deconfliction: deconfliction::DeconflictionSection,
    /// Operations and engaged units near protected civilian sites (protection warnings).
    #[serde(
        default,
        skip_serializing_if = "deconfliction::ProtectionSection::is_default"
    )]
    pub protection: deconfliction::ProtectionSection,
    /// The expected response time of support requests, per priority (pooled means).
    #[serde(default, skip_serializing_if = "support::SupportSection::is_default")]
    pub support: support::SupportSection,
}

/// Default address of the federation listener.
pub const DEFAULT_FEDERATION_LISTEN: &str = "127.0.0.1:8443";

/// `[federation]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederationSection {
    /// Address partner nodes connect to (HTTP/2 over mutual TLS).
    #[serde(default = "default_federation_listen")]
    pub listen: SocketAddr,
    /// The origin keys this node accredits, nation -> `ed25519:<base64>`: a partner's entries
    /// of an origin's log are held only if that origin signed them with this key, whichever
    /// partner relayed them. `liptako link add` accredits the partner's; `liptako link origin`
    /// one reached only through a relay.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub origin_keys: BTreeMap<Nation, String>,
}

impl Default for FederationSection {
    fn default() -> FederationSection {
        FederationSection {
            listen: default_federation_listen(),
            origin_keys: BTreeMap::new(),
        }
    }
}

fn default_federation_listen() -> SocketAddr {
    DEFAULT_FEDERATION_LISTEN
        .parse()
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8443)))
}

/// `[[link]]`: a partner node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSection {
    /// The partner's nation; its certificate must name it.
    pub nation: Nation,
    /// The partner's federation address, `https://host:port`.
    pub url: String,
    /// The partner's CA certificate (PEM), relative to the data directory; trusted for this
    /// link only.
    pub ca: PathBuf,
    /// The accreditation ceiling: the highest level that may cross this link.
    pub ceiling: String,
    /// The budget of the air track stream to the partner, kbit/s (default 1,000): when it is
    /// tight, every track is refreshed less often, emergencies and tracks near the border
    /// least.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub air_kbit_s: Option<f64>,
}

impl LinkSection {
    /// `host:port` of the partner's federation listener.
    pub fn authority(&self) -> Result<String, String> {
        let rest = self.url.strip_prefix("https://").ok_or_else(|| {
            format!(
                "link {}: url {:?} must start with https://",
                self.nation, self.url
            )
        })?;
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') || !authority.contains(':') {
            return Err(format!(
                "link {}: url {:?} must be https://host:port",
                self.nation, self.url
            ));
        }
        Ok(authority.to_owned())
    }
}

/// `[node]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSection {
    /// This node's nation: it originates objects as this nation.
    pub nation: Nation,
    /// A name for people (defaults to "<nation> node").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `[confederation]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfederationSection {
    /// The confederation's name; in a releasability it means "all members".
    pub name: String,
    /// The member nations, ISO 3166-1 alpha-3.
    pub members: Vec<Nation>,
    /// Classification levels, lowest first.
    #[serde(default)]
    pub levels: Levels,
}

/// `[http]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSection {
    /// Address the API listens on.
    #[serde(default = "default_http_listen")]
    pub listen: SocketAddr,
    /// Largest request body accepted, in bytes.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
    /// Most connections open at once (default: 35 % of the open-file limit; a lower value
    /// here wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<usize>,
    /// Most connections open at once from one address.
    #[serde(default = "default_http_per_address")]
    pub max_connections_per_address: usize,
    /// Serve the UI and the API over TLS (HTTPS). Default: on whenever `listen` is not a
    /// loopback address, where it cannot be turned off; off on loopback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<bool>,
    /// A certificate chain (PEM) the administrator supplies for HTTPS, relative to the data
    /// directory; default: the node's own certificate and CA (`liptako certs init`, with
    /// `--host` naming the address users type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<PathBuf>,
    /// The private key (PEM) of `cert`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<PathBuf>,
}

impl HttpSection {
    /// Whether HTTPS is on for `listen` (the configured address unless overridden), or why the
    /// configuration cannot be served.
    pub fn tls_for(&self, listen: SocketAddr) -> Result<bool, String> {
        let loopback = listen.ip().is_loopback();
        match (self.tls, loopback) {
            (Some(false), false) => Err(format!(
                "http.tls = false on {listen}: HTTPS is required on any address but loopback"
            )),
            (Some(tls), _) => Ok(tls),
            (None, loopback) => Ok(!loopback),
        }
    }
}

/// Default `[http] max_connections_per_address`: a browser opens about six, an operations
/// room behind one NAT address a few dozen browsers.
pub const DEFAULT_HTTP_PER_ADDRESS: usize = 256;

fn default_http_per_address() -> usize {
    DEFAULT_HTTP_PER_ADDRESS
}

impl Default for HttpSection {
    fn default() -> HttpSection {
        HttpSection {
            listen: default_http_listen(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_connections: None,
            max_connections_per_address: DEFAULT_HTTP_PER_ADDRESS,
            tls: None,
            cert: None,
            key: None,
        }
    }
}

fn default_http_listen() -> SocketAddr {
    // A constant that parses; checked by a test.
    DEFAULT_HTTP_LISTEN
        .parse()
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080)))
}

fn default_max_body_bytes() -> usize {
    DEFAULT_MAX_BODY_BYTES
}

/// `[auth]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSection {
    /// Lifetime of a session token.
    #[serde(default = "default_token_ttl")]
    pub token_ttl: ConfigDuration,
    /// Failed logins allowed before a lock-out.
    #[serde(default = "default_max_failed_logins")]
    pub max_failed_logins: u32,
    /// The first lock-out; it doubles with each further failure, up to an hour.
    #[serde(default = "default_lockout")]
    pub lockout: ConfigDuration,
}

impl Default for AuthSection {
    fn default() -> AuthSection {
        AuthSection {
            token_ttl: default_token_ttl(),
            max_failed_logins: DEFAULT_MAX_FAILED_LOGINS,
            lockout: default_lockout(),
        }
    }
}

fn default_token_ttl() -> ConfigDuration {
    ConfigDuration(DEFAULT_TOKEN_TTL)
}
fn default_max_failed_logins() -> u32 {
    DEFAULT_MAX_FAILED_LOGINS
}
fn default_lockout() -> ConfigDuration {
    ConfigDuration(DEFAULT_LOCKOUT)
}

/// `[store]`
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSection {
    /// Which store: `sqlite` (embedded, the default).
    #[serde(default)]
    pub backend: StoreBackend,
    /// The SQLite file, relative to the data directory (default `liptako.db`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
}

/// The store implementations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreBackend {
    /// Embedded SQLite in WAL mode.
    #[default]
    Sqlite,
}

/// `[live]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveSection {
    /// Changes the live feed holds for slow subscribers.
    #[serde(default = "default_live_queue")]
    pub queue: usize,
}

impl Default for LiveSection {
    fn default() -> LiveSection {
        LiveSection {
            queue: DEFAULT_LIVE_QUEUE,
        }
    }
}

fn default_live_queue() -> usize {
    DEFAULT_LIVE_QUEUE
}

/// Default number of objects kept in memory for reads by id.
pub const DEFAULT_CACHE_OBJECTS: usize = 200_000;

/// `[cache]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSection {
    /// Objects kept in memory, with their JSON, for reads by id (0: none).
    #[serde(default = "default_cache_objects")]
    pub objects: usize,
}

impl Default for CacheSection {
    fn default() -> CacheSection {
        CacheSection {
            objects: DEFAULT_CACHE_OBJECTS,
        }
    }
}

fn default_cache_objects() -> usize {
    DEFAULT_CACHE_OBJECTS
}

impl Config {
    /// A configuration with every default, for `liptako init`.
    pub fn new(nation: Nation, confederation: &str, members: Vec<Nation>) -> Config {
        Config {
            node: NodeSection { nation, name: None },
            confederation: ConfederationSection {
                name: confederation.to_owned(),
                members,
                levels: Levels::default(),
            },
            http: HttpSection::default(),
            auth: AuthSection::default(),
            store: StoreSection::default(),
            live: LiveSection::default(),
            cache: CacheSection::default(),
            federation: FederationSection::default(),
            links: Vec::new(),
            cot: cot::CotSection::default(),
            air: air::AirSection::default(),
            sensors: Vec::new(),
            taxii: taxii::TaxiiSection::default(),
            pursuit: pursuit::PursuitSection::default(),
            deconfliction: deconfliction::DeconflictionSection::default(),
            protection: deconfliction::ProtectionSection::default(),
            support: support::SupportSection::default(),
        }
    }

    /// Reads and checks `DIR/liptako.toml`.
    pub fn load(data_dir: &Path) -> Result<Config, ConfigError> {
        let path = data_dir.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).map_err(|err| ConfigError {
            path: path.clone(),
            message: format!(
                "cannot read: {err} (run `liptako init --data {}` first?)",
                data_dir.display()
            ),
        })?;
        Config::parse(&text, &path)
    }

    /// Parses and checks configuration text; `path` is named in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|err| ConfigError {
            path: path.to_owned(),
            message: err.to_string().trim_end().to_owned(),
        })?;
        config.policy().map_err(|message| ConfigError {
            path: path.to_owned(),
            message,
        })?;
        Ok(config)
    }

    /// The marking policy this configuration describes; checks that the node's nation is a
    /// member.
    pub fn policy(&self) -> Result<Policy, String> {
        let confederation =
            Confederation::new(&self.confederation.name, self.confederation.members.clone())
                .map_err(|err| err.to_string())?;
        if !confederation.is_member(self.node.nation) {
            return Err(format!(
                "node.nation {} is not among confederation.members",
                self.node.nation
            ));
        }
        let policy = Policy::new(confederation, self.confederation.levels.clone());
        self.pursuit.check()?;
        self.deconfliction.check()?;
        self.protection.check()?;
        self.support.check()?;
        for (nation, key) in &self.federation.origin_keys {
            if !policy.confederation().is_member(*nation) {
                return Err(format!(
                    "federation.origin_keys.{nation}: not among confederation.members"
                ));
            }
            crate::pki::OriginPublicKey::parse(key)
                .map_err(|err| format!("federation.origin_keys.{nation}: {err}"))?;
        }
        let mut seen = Vec::new();
        for link in &self.links {
            if link.nation == self.node.nation {
                return Err(format!(
                    "link {}: a node does not link to itself",
                    link.nation
                ));
            }
            if !policy.confederation().is_member(link.nation) {
                return Err(format!(
                    "link {}: not among confederation.members",
                    link.nation
                ));
            }
            if seen.contains(&link.nation) {
                return Err(format!("link {}: listed twice", link.nation));
            }
            seen.push(link.nation);
            policy
                .check_level(&link.ceiling)
                .map_err(|err| format!("link {}: ceiling: {err}", link.nation))?;
            link.authority()?;
            if let Some(kbit_s) = link.air_kbit_s
                && !(kbit_s.is_finite() && kbit_s >= 1.0)
            {
                return Err(format!(
                    "link {}: air_kbit_s {kbit_s} must be at least 1",
                    link.nation
                ));
            }
        }
        Ok(policy)
    }

    /// The TOML text of this configuration.
    /// Writes the configuration to `data_dir`'s `liptako.toml`, atomically (a new file renamed
    /// over the old), after checking that it reads back. Returns the file's path.
    pub fn save(&self, data_dir: &Path) -> Result<PathBuf, ConfigError> {
        let path = data_dir.join(CONFIG_FILE);
        let text = self.to_toml();
        Config::parse(&text, &path)?;
        write_durably(&path, text.as_bytes()).map_err(|err| ConfigError {
            path: path.clone(),
            message: format!("cannot write: {err}"),
        })?;
        Ok(path)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// The SQLite file for a data directory.
    pub fn store_path(&self, data_dir: &Path) -> PathBuf {
        data_dir.join(
            self.store
                .path
                .clone()
                .unwrap_or_else(|| PathBuf::from("liptako.db")),
        )
    }
}

/// Writes `bytes` to `path` so that a power cut leaves either the old file or the new one, whole:
/// a temporary file, synced, renamed over `path`, then the directory synced (a rename is durable
/// only once its directory is).
pub fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let temporary = path.with_extension("new");
    {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&temporary, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        })?
        .sync_all()?;
    }
    Ok(())
}

/// Creates `dir` (and missing parents) durably: each directory created is made durable in its
/// parent by syncing the parent, so a power cut right after cannot lose it.
pub fn create_dir_durably(dir: &Path) -> std::io::Result<()> {
    let mut missing = Vec::new();
    let mut at = Some(dir);
    while let Some(path) = at {
        if path.as_os_str().is_empty() || path.exists() {
            break;
        }
        missing.push(path.to_owned());
        at = path.parent();
    }
    for path in missing.iter().rev() {
        std::fs::create_dir(path)?;
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::File::open(parent)?.sync_all()?;
        }
    }
    Ok(())
}

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong, with the key where known.
    pub message: String,
}

/// A duration written as text: `"250ms"`, `"10s"`, `"4.5s"`, `"5m"`, `"8h"`, `"2d"` (decimals
/// allowed, kept to the millisecond).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigDuration(pub Duration);

impl FromStr for ConfigDuration {
    type Err = String;
    fn from_str(text: &str) -> Result<ConfigDuration, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        let expected = || format!("duration {text:?}: expected a number then ms, s, m, h or d");
        if whole.is_empty()
            || (number.contains('.') && fraction.is_empty())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(expected());
        }
        let whole: u64 = whole.parse().map_err(|_| expected())?;
        let size: u64 = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => {
                return Err(format!("duration {text:?}: unit must be ms, s, m, h or d"));
            }
        };
        // The fraction in units of `size`, to the millisecond: digits beyond what a
        // millisecond resolves are refused rather than silently dropped.
        let mut fraction_millis = 0u64;
        let mut scale = size;
        for digit in fraction.bytes() {
            if !scale.is_multiple_of(10) {
                return Err(format!("duration {text:?}: finer than a millisecond"));
            }
            scale /= 10;
            fraction_millis += u64::from(digit - b'0') * scale;
        }
        whole
            .checked_mul(size)
            .and_then(|millis| millis.checked_add(fraction_millis))
            .map(|millis| ConfigDuration(Duration::from_millis(millis)))
            .ok_or_else(|| format!("duration {text:?} is too long"))
    }
}

impl fmt::Display for ConfigDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_millis();
        for (unit, size) in [
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1_000),
        ] {
            if millis > 0 && millis.is_multiple_of(size) {
                return write!(f, "{}{unit}", millis / size);
            }
        }
        write!(f, "{millis}ms")
    }
}

impl Serialize for ConfigDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ConfigDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ConfigDuration, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nation(code: &str) -> Nation {
        Nation::parse(code).unwrap()
    }

    const MINIMAL: &str = r#"
        [node]
        nation = "MLI"
        [confederation]
        name = "AES"
        members = ["MLI", "BFA", "NER"]
    "#;

    #[test]
    fn defaults() {
        let config = Config::parse(MINIMAL, Path::new("liptako.toml")).unwrap();
        assert_eq!(config.http.listen.to_string(), DEFAULT_HTTP_LISTEN);
        assert_eq!(config.http.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
        assert_eq!(config.auth.token_ttl.0, DEFAULT_TOKEN_TTL);
        assert_eq!(config.auth.max_failed_logins, DEFAULT_MAX_FAILED_LOGINS);
        assert_eq!(config.confederation.levels, Levels::default());
        assert_eq!(config.store.backend, StoreBackend::Sqlite);
        assert_eq!(config.live.queue, DEFAULT_LIVE_QUEUE);
        assert_eq!(config.cache.objects, DEFAULT_CACHE_OBJECTS);
        assert_eq!(
            config.store_path(Path::new("/data")),
            Path::new("/data/liptako.db")
        );
    }

    #[test]
    fn roundtrip_through_toml() {
        let config = Config::new(nation("BFA"), "AES", vec![nation("MLI"), nation("BFA")]);
        let text = config.to_toml();
        assert_eq!(Config::parse(&text, Path::new("x")).unwrap(), config);
        assert!(text.contains("token_ttl = \"8h\""), "{text}");
    }

    #[test]
    fn unknown_keys_are_named_with_the_file() {
        let text = format!("{MINIMAL}\n[http]\nlisten = \"127.0.0.1:1\"\nlisten_port = 3\n");
        let err = Config::parse(&text, Path::new("/data/liptako.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/data/liptako.toml: "), "{err}");
        assert!(err.contains("listen_port"), "{err}");
    }

    #[test]
    fn node_must_be_a_member_and_names_valid() {
        let text = MINIMAL.replace("nation = \"MLI\"", "nation = \"TCD\"");
        let err = Config::parse(&text, Path::new("c"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not among confederation.members"), "{err}");
        let text = MINIMAL.replace("\"NER\"]", "\"NIGER\"]");
        assert!(Config::parse(&text, Path::new("c")).is_err());
        let text = format!("{MINIMAL}\nlevels = [\"A\", \"A\"]\n");
        assert!(Config::parse(&text, Path::new("c")).is_err());
    }

    #[test]
    fn links_are_checked() {
        let link = |nation: &str, ceiling: &str, url: &str| {
            format!(
                "{MINIMAL}\n[[link]]\nnation = \"{nation}\"\nurl = \"{url}\"\nca = \"partners/x.pem\"\nceiling = \"{ceiling}\"\n"
            )
        };
        let config =
            Config::parse(&link("BFA", "C", "https://127.0.0.1:9443"), Path::new("c")).unwrap();
        assert_eq!(config.links.len(), 1);
        assert_eq!(config.links[0].authority().unwrap(), "127.0.0.1:9443");
        assert_eq!(
            config.federation.listen.to_string(),
            DEFAULT_FEDERATION_LISTEN
        );
        for (bad, needle) in [
            (link("MLI", "C", "https://a:1"), "itself"),
            (link("TCD", "C", "https://a:1"), "not among"),
            (link("BFA", "TS", "https://a:1"), "ceiling"),
            (link("BFA", "C", "http://a:1"), "https://"),
            (link("BFA", "C", "https://a"), "host:port"),
        ] {
            let err = Config::parse(&bad, Path::new("c")).unwrap_err().to_string();
            assert!(err.contains(needle), "{err}");
        }
    }

    proptest::proptest! {
        /// Any text parses or is refused, never panics; what parses prints and parses back.
        #[test]
        fn durations_never_panic_and_round_trip(text in "[0-9.]{0,25}(ms|s|m|h|d|x)?") {
            if let Ok(duration) = text.parse::<ConfigDuration>() {
                proptest::prop_assert_eq!(duration.to_string().parse::<ConfigDuration>(), Ok(duration));
            }
        }
    }

    #[test]
    fn durations() {
        let parse = |text: &str| text.parse::<ConfigDuration>().map(|d| d.0);
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse("10").is_err());
        assert!(parse("s").is_err());
        assert!(parse("3 weeks").is_err());
        assert_eq!(parse("4.5s"), Ok(Duration::from_millis(4_500)));
        assert_eq!(parse("0.25h"), Ok(Duration::from_secs(900)));
        assert_eq!(parse("1.001s"), Ok(Duration::from_millis(1_001)));
        assert!(parse("1.0001s").unwrap_err().contains("millisecond"));
        assert!(parse("1.5ms").is_err());
        assert!(parse(".5s").is_err());
        assert!(parse("5.s").is_err());
        assert!(parse("1.2.3s").is_err());
        assert_eq!(ConfigDuration(Duration::from_secs(90)).to_string(), "90s");
        assert_eq!(
            ConfigDuration(Duration::from_millis(1500)).to_string(),
            "1500ms"
        );
    }
}
