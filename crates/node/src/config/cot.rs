//! `[cot]`: the TAK server's listeners, principals, queues and thinning, in `liptako.toml`.
//!
//! ```toml
//! [cot]
//! tcp_listen = "0.0.0.0:8087"      # CoT XML stream (negotiates protobuf); off when absent
//! tls_listen = "0.0.0.0:8089"      # the same over TLS with client certificates; off when absent
//! enroll_listen = "0.0.0.0:8446"   # certificate enrollment for ATAK (HTTPS, user name + password)
//! tcp_marking = { level = "NP", releasable_to = ["AES"] }
//!
//! [cot.anonymous]                  # who plain-TCP clients are, and what they may store
//! name = "anonymous"
//! clearance = "NP"
//! store_units = true               # their position reports become units ...
//! federate = false                 # ... marked national (no partner holds them) unless true
//! max_uids = 500                   # uids all anonymous clients together keep and store
//! ```
//!
//! Every listener is off unless configured (or given on the command line: `liptako serve
//! --cot-tcp ADDR --cot-tls ADDR --cot-enroll ADDR`), so that several nodes can share a machine.
//! [`CotSection::resolve`] checks the section against the confederation's policy when the
//! server starts; a bad value names its key.

use std::net::SocketAddr;
use std::time::Duration;

use liptako_model::{Marking, Nation, Policy, Principal, Role};
use serde::{Deserialize, Serialize};

use crate::config::ConfigDuration;

/// Default name of the principal plain-TCP clients get.
pub const DEFAULT_ANONYMOUS_NAME: &str = "anonymous";
/// Default most certificate clients connected at once.
pub const DEFAULT_MAX_CLIENTS: usize = 5_000;
/// Default `[cot] max_anonymous_clients`.
pub const DEFAULT_MAX_ANONYMOUS_CLIENTS: usize = 1_000;
/// Default `[cot] max_clients_per_address`: a gateway or a few devices behind one NAT.
pub const DEFAULT_MAX_CLIENTS_PER_ADDRESS: usize = 64;
/// Default events queued for one client before it is thinned (see `queue.rs`).
pub const DEFAULT_CLIENT_QUEUE: usize = 4_096;
/// Default time a client may stay unable to take its events before it is dropped.
pub const DEFAULT_SLOW_CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default shortest time between two writes to one client: events arriving meanwhile leave
/// together in the next write.
pub const DEFAULT_WRITE_INTERVAL: Duration = Duration::from_millis(20);
/// Default time a client may stay silent (no event, no ping) before it is dropped.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Default largest event accepted, in bytes (the codec's default).
pub const DEFAULT_MAX_EVENT_BYTES: usize = liptako_cot::DEFAULT_MAX_EVENT_BYTES;
/// Default sustained events per second accepted from one client.
pub const DEFAULT_EVENTS_PER_SECOND: u32 = 100;
/// Default burst of events accepted from one client above the sustained rate.
pub const DEFAULT_EVENT_BURST: u32 = 1_000;
/// Default longest time between two stored versions of a unit reported by a TAK client.
pub const DEFAULT_UNIT_HISTORY_INTERVAL: Duration = Duration::from_secs(30);
/// Default distance a unit must move to be stored before [`DEFAULT_UNIT_HISTORY_INTERVAL`].
pub const DEFAULT_UNIT_HISTORY_DISTANCE_M: f64 = 100.0;
/// Default shortest time between two stored versions of a unit, however far it moves.
pub const DEFAULT_UNIT_HISTORY_MIN_INTERVAL: Duration = Duration::from_secs(5);
/// Default age past which a report is no longer part of the picture a client gets on connect.
pub const DEFAULT_REPORT_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// Default CoT `stale` of reports, units and zones that have no end of validity.
pub const DEFAULT_OBJECT_STALE: Duration = Duration::from_secs(24 * 3600);
/// Default validity of a client certificate issued by enrollment or `liptako certs client`.
pub const DEFAULT_CLIENT_CERT_DAYS: u32 = 365;
/// Default `[cot] user_recheck`: open sessions re-read their user account at least this often.
pub const DEFAULT_USER_RECHECK: Duration = Duration::from_secs(30);
/// Default `[cot] max_uids_per_principal`: live uids one authenticated principal keeps in the
/// picture (and stores as units).
pub const DEFAULT_MAX_UIDS_PER_PRINCIPAL: usize = 10_000;
/// Default `[cot.anonymous] max_uids`: live uids all anonymous clients together keep in the
/// picture and store.
pub const DEFAULT_ANONYMOUS_MAX_UIDS: usize = 500;

/// `[cot]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CotSection {
    /// Plain TCP listener for TAK clients (CoT XML stream; protobuf after negotiation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_listen: Option<SocketAddr>,
    /// TLS listener for TAK clients; a client certificate signed by this node's CA is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_listen: Option<SocketAddr>,
    /// TAK certificate enrollment API (HTTPS, basic authentication with a user's password).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enroll_listen: Option<SocketAddr>,
    /// The principal plain-TCP clients get.
    #[serde(default)]
    pub anonymous: AnonymousSection,
    /// Marking of what plain-TCP clients send without a marking (default: the lowest level,
    /// releasable to the confederation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_marking: Option<Marking>,
    /// Marking of what certificate clients send without a marking (same default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_marking: Option<Marking>,
    /// Whether a plain-TCP client may log in with ATAK's `<auth>` message (user name and
    /// password, in clear on the network) to get its user's principal.
    #[serde(default)]
    pub tcp_password_auth: bool,
    /// Most certificate (TLS) clients connected at once; they have slots of their own, which
    /// anonymous clients cannot take (a lower value than 40 % of the open-file limit wins).
    #[serde(default = "default_max_clients")]
    pub max_clients: usize,
    /// Most anonymous (plain TCP) clients connected at once (a lower value than 15 % of the
    /// open-file limit wins).
    #[serde(default = "default_max_anonymous_clients")]
    pub max_anonymous_clients: usize,
    /// Most connections from one address, on each TAK listener.
    #[serde(default = "default_max_clients_per_address")]
    pub max_clients_per_address: usize,
    /// Events queued for one client; past it, older positions of the same track are replaced
    /// by newer ones and other events are dropped (counted).
    #[serde(default = "default_client_queue")]
    pub client_queue: usize,
    /// A client whose queue stays full, or whose write blocks, this long is disconnected.
    #[serde(default = "default_slow_client_timeout")]
    pub slow_client_timeout: ConfigDuration,
    /// A client that sends nothing (not even a ping) this long is disconnected.
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout: ConfigDuration,
    /// Shortest time between two writes to one client; what arrives meanwhile leaves in the
    /// next write (fewer system calls under load; an idle client is written at once).
    #[serde(default = "default_write_interval")]
    pub write_interval: ConfigDuration,
    /// Largest event accepted, in bytes.
    #[serde(default = "default_max_event_bytes")]
    pub max_event_bytes: usize,
    /// Sustained events per second taken from one client; faster senders are read slower.
    #[serde(default = "default_events_per_second")]
    pub events_per_second: u32,
    /// Events one client may send in a burst above the sustained rate.
    #[serde(default = "default_event_burst")]
    pub event_burst: u32,
    /// A unit reported by a TAK client is stored at least this often while it reports.
    #[serde(default = "default_unit_history_interval")]
    pub unit_history_interval: ConfigDuration,
    /// ... or sooner when it moved this far since its last stored version ...
    #[serde(default = "default_unit_history_distance_m")]
    pub unit_history_distance_m: f64,
    /// ... but never more often than this.
    #[serde(default = "default_unit_history_min_interval")]
    pub unit_history_min_interval: ConfigDuration,
    /// Reports last changed longer ago are not sent to clients that connect.
    #[serde(default = "default_report_max_age")]
    pub report_max_age: ConfigDuration,
    /// CoT `stale` given to reports, units and zones without an end of validity.
    #[serde(default = "default_object_stale")]
    pub object_stale: ConfigDuration,
    /// Validity of client certificates issued by this node, in days.
    #[serde(default = "default_client_cert_days")]
    pub client_cert_days: u32,
    /// Open sessions re-read their user account at least this often, to see changes another
    /// process made (`liptako user ...`); changes made through this node apply at once.
    #[serde(default = "default_user_recheck")]
    pub user_recheck: ConfigDuration,
    /// Live uids one authenticated principal keeps in the picture and stores as units; past
    /// it, its new uids are routed but neither kept nor stored (counted).
    #[serde(default = "default_max_uids_per_principal")]
    pub max_uids_per_principal: usize,
}

/// `[cot.anonymous]`: the principal of plain-TCP clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnonymousSection {
    /// Its name (in logs and the audit log).
    #[serde(default = "default_anonymous_name")]
    pub name: String,
    /// Its nation (default: the node's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nation: Option<Nation>,
    /// Its clearance (default: the lowest level).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clearance: Option<String>,
    /// Whether their position reports are stored as units (`GET /api/v1/units`, history).
    #[serde(default = "default_true")]
    pub store_units: bool,
    /// Whether what they store may federate. When false (the default) their units are stored
    /// national, whatever the events say: no partner node ever holds them.
    #[serde(default)]
    pub federate: bool,
    /// Live uids all anonymous clients together keep in the picture and store as units.
    #[serde(default = "default_anonymous_max_uids")]
    pub max_uids: usize,
}

impl Default for AnonymousSection {
    fn default() -> AnonymousSection {
        AnonymousSection {
            name: default_anonymous_name(),
            nation: None,
            clearance: None,
            store_units: true,
            federate: false,
            max_uids: DEFAULT_ANONYMOUS_MAX_UIDS,
        }
    }
}

impl Default for CotSection {
    fn default() -> CotSection {
        CotSection {
            tcp_listen: None,
            tls_listen: None,
            enroll_listen: None,
            anonymous: AnonymousSection::default(),
            tcp_marking: None,
            tls_marking: None,
            tcp_password_auth: false,
            max_clients: DEFAULT_MAX_CLIENTS,
            max_anonymous_clients: DEFAULT_MAX_ANONYMOUS_CLIENTS,
            max_clients_per_address: DEFAULT_MAX_CLIENTS_PER_ADDRESS,
            client_queue: DEFAULT_CLIENT_QUEUE,
            slow_client_timeout: default_slow_client_timeout(),
            idle_timeout: default_idle_timeout(),
            write_interval: default_write_interval(),
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
            events_per_second: DEFAULT_EVENTS_PER_SECOND,
            event_burst: DEFAULT_EVENT_BURST,
            unit_history_interval: default_unit_history_interval(),
            unit_history_distance_m: DEFAULT_UNIT_HISTORY_DISTANCE_M,
            unit_history_min_interval: default_unit_history_min_interval(),
            report_max_age: default_report_max_age(),
            object_stale: default_object_stale(),
            client_cert_days: DEFAULT_CLIENT_CERT_DAYS,
            user_recheck: default_user_recheck(),
            max_uids_per_principal: DEFAULT_MAX_UIDS_PER_PRINCIPAL,
        }
    }
}

fn default_true() -> bool {
    true
}
fn default_anonymous_max_uids() -> usize {
    DEFAULT_ANONYMOUS_MAX_UIDS
}
fn default_user_recheck() -> ConfigDuration {
    ConfigDuration(DEFAULT_USER_RECHECK)
}
fn default_max_uids_per_principal() -> usize {
    DEFAULT_MAX_UIDS_PER_PRINCIPAL
}
fn default_anonymous_name() -> String {
    DEFAULT_ANONYMOUS_NAME.to_owned()
}
fn default_max_clients() -> usize {
    DEFAULT_MAX_CLIENTS
}
fn default_max_anonymous_clients() -> usize {
    DEFAULT_MAX_ANONYMOUS_CLIENTS
}
fn default_max_clients_per_address() -> usize {
    DEFAULT_MAX_CLIENTS_PER_ADDRESS
}
fn default_client_queue() -> usize {
    DEFAULT_CLIENT_QUEUE
}
fn default_slow_client_timeout() -> ConfigDuration {
    ConfigDuration(DEFAULT_SLOW_CLIENT_TIMEOUT)
}
fn default_idle_timeout() -> ConfigDuration {
    ConfigDuration(DEFAULT_IDLE_TIMEOUT)
}
fn default_write_interval() -> ConfigDuration {
    ConfigDuration(DEFAULT_WRITE_INTERVAL)
}
fn default_max_event_bytes() -> usize {
    DEFAULT_MAX_EVENT_BYTES
}
fn default_events_per_second() -> u32 {
    DEFAULT_EVENTS_PER_SECOND
}
fn default_event_burst() -> u32 {
    DEFAULT_EVENT_BURST
}
fn default_unit_history_interval() -> ConfigDuration {
    ConfigDuration(DEFAULT_UNIT_HISTORY_INTERVAL)
}
fn default_unit_history_distance_m() -> f64 {
    DEFAULT_UNIT_HISTORY_DISTANCE_M
}
fn default_unit_history_min_interval() -> ConfigDuration {
    ConfigDuration(DEFAULT_UNIT_HISTORY_MIN_INTERVAL)
}
fn default_report_max_age() -> ConfigDuration {
    ConfigDuration(DEFAULT_REPORT_MAX_AGE)
}
fn default_object_stale() -> ConfigDuration {
    ConfigDuration(DEFAULT_OBJECT_STALE)
}
fn default_client_cert_days() -> u32 {
    DEFAULT_CLIENT_CERT_DAYS
}

/// The `[cot]` section checked against the policy, with every default filled in.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The principal of plain-TCP clients.
    pub anonymous: Principal,
    /// Marking of unmarked events from plain-TCP clients (canonical).
    pub tcp_marking: Marking,
    /// Marking of unmarked events from certificate clients (canonical).
    pub tls_marking: Marking,
    /// See [`CotSection::tcp_password_auth`].
    pub tcp_password_auth: bool,
    /// See [`CotSection::max_clients`].
    pub max_clients: usize,
    /// See [`CotSection::max_anonymous_clients`].
    pub max_anonymous_clients: usize,
    /// See [`CotSection::max_clients_per_address`].
    pub max_clients_per_address: usize,
    /// See [`CotSection::client_queue`].
    pub client_queue: usize,
    /// See [`CotSection::slow_client_timeout`].
    pub slow_client_timeout: Duration,
    /// See [`CotSection::idle_timeout`].
    pub idle_timeout: Duration,
    /// See [`CotSection::write_interval`].
    pub write_interval: Duration,
    /// The codec's limits for one connection.
    pub limits: liptako_cot::Limits,
    /// See [`CotSection::events_per_second`].
    pub events_per_second: u32,
    /// See [`CotSection::event_burst`].
    pub event_burst: u32,
    /// When a TAK-reported unit is stored again.
    pub unit_history: UnitHistory,
    /// See [`CotSection::report_max_age`].
    pub report_max_age: Duration,
    /// See [`CotSection::object_stale`].
    pub object_stale: Duration,
    /// See [`CotSection::client_cert_days`].
    pub client_cert_days: u32,
    /// See [`CotSection::user_recheck`].
    pub user_recheck: Duration,
    /// See [`CotSection::max_uids_per_principal`].
    pub max_uids_per_principal: usize,
    /// What anonymous clients may store and federate.
    pub anonymous_rules: AnonymousRules,
}

/// What anonymous (plain-TCP, not logged in) clients may store, and whether it federates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnonymousRules {
    /// See [`AnonymousSection::store_units`].
    pub store_units: bool,
    /// See [`AnonymousSection::federate`].
    pub federate: bool,
    /// See [`AnonymousSection::max_uids`].
    pub max_uids: usize,
}

/// When a unit reported by a TAK client gets a new stored version: the history is thinned to
/// at most one version per `min_interval`, at least one per `interval` while it reports, and
/// one whenever it moved `distance_m` since the last stored version (or changed callsign,
/// symbol, marking or exercise).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitHistory {
    /// See [`CotSection::unit_history_interval`].
    pub interval: Duration,
    /// See [`CotSection::unit_history_distance_m`].
    pub distance_m: f64,
    /// See [`CotSection::unit_history_min_interval`].
    pub min_interval: Duration,
}

impl CotSection {
    /// Whether any TAK listener is configured.
    pub fn any_listener(&self) -> bool {
        self.tcp_listen.is_some() || self.tls_listen.is_some() || self.enroll_listen.is_some()
    }

    /// Checks the section against the policy and fills in the defaults; `nation` is the node's.
    /// Errors name the key (`cot.tcp_marking: ...`).
    pub fn resolve(&self, policy: &Policy, nation: Nation) -> Result<Settings, String> {
        let anonymous_nation = self.anonymous.nation.unwrap_or(nation);
        if !policy.confederation().is_member(anonymous_nation) {
            return Err(format!(
                "cot.anonymous.nation: {anonymous_nation} is not a member of {}",
                policy.confederation().name()
            ));
        }
        let clearance = match &self.anonymous.clearance {
            Some(clearance) => {
                policy
                    .check_level(clearance)
                    .map_err(|err| format!("cot.anonymous.clearance: {err}"))?;
                clearance.clone()
            }
            None => policy.levels().lowest().to_owned(),
        };
        let name = self.anonymous.name.trim();
        if name.is_empty() || name.len() > 64 || name.chars().any(char::is_control) {
            return Err("cot.anonymous.name: use 1 to 64 printable characters".into());
        }
        let anonymous = Principal::new(name, anonymous_nation, &clearance, Role::Viewer);
        let default_marking = Marking::new(
            policy.levels().lowest(),
            [policy.confederation().name().to_owned()],
        );
        let check_marking = |key: &str, marking: &Option<Marking>| -> Result<Marking, String> {
            let marking = marking.clone().unwrap_or_else(|| default_marking.clone());
            policy
                .canonical(nation, &marking)
                .map_err(|err| format!("cot.{key}: {err}"))
        };
        let tcp_marking = check_marking("tcp_marking", &self.tcp_marking)?;
        policy
            .check_may_mark(&anonymous, &tcp_marking)
            .map_err(|err| format!("cot.tcp_marking: {err} (the anonymous principal's)"))?;
        let tls_marking = check_marking("tls_marking", &self.tls_marking)?;
        let positive = |key: &str, value: u64| {
            if value == 0 {
                Err(format!("cot.{key}: must be above zero"))
            } else {
                Ok(())
            }
        };
        positive("max_clients", self.max_clients as u64)?;
        positive("max_uids_per_principal", self.max_uids_per_principal as u64)?;
        positive("user_recheck", self.user_recheck.0.as_millis() as u64)?;
        positive("client_queue", self.client_queue as u64)?;
        positive("events_per_second", u64::from(self.events_per_second))?;
        positive("event_burst", u64::from(self.event_burst))?;
        positive("client_cert_days", u64::from(self.client_cert_days))?;
        positive(
            "slow_client_timeout",
            self.slow_client_timeout.0.as_millis() as u64,
        )?;
        positive("idle_timeout", self.idle_timeout.0.as_millis() as u64)?;
        if self.write_interval.0 >= self.slow_client_timeout.0 {
            return Err("cot.write_interval: must be shorter than slow_client_timeout".into());
        }
        if self.max_event_bytes < 1024 {
            return Err("cot.max_event_bytes: at least 1024 bytes".into());
        }
        if !self.unit_history_distance_m.is_finite() || self.unit_history_distance_m < 0.0 {
            return Err(
                "cot.unit_history_distance_m: must be a distance in metres, 0 or more".into(),
            );
        }
        if self.unit_history_min_interval.0 > self.unit_history_interval.0 {
            return Err(
                "cot.unit_history_min_interval: must not be longer than unit_history_interval"
                    .into(),
            );
        }
        Ok(Settings {
            anonymous,
            tcp_marking,
            tls_marking,
            tcp_password_auth: self.tcp_password_auth,
            max_clients: self.max_clients,
            max_anonymous_clients: self.max_anonymous_clients,
            max_clients_per_address: self.max_clients_per_address,
            client_queue: self.client_queue,
            slow_client_timeout: self.slow_client_timeout.0,
            idle_timeout: self.idle_timeout.0,
            write_interval: self.write_interval.0,
            limits: liptako_cot::Limits {
                max_event_bytes: self.max_event_bytes,
                ..liptako_cot::Limits::default()
            },
            events_per_second: self.events_per_second,
            event_burst: self.event_burst,
            unit_history: UnitHistory {
                interval: self.unit_history_interval.0,
                distance_m: self.unit_history_distance_m,
                min_interval: self.unit_history_min_interval.0,
            },
            report_max_age: self.report_max_age.0,
            object_stale: self.object_stale.0,
            client_cert_days: self.client_cert_days,
            user_recheck: self.user_recheck.0,
            max_uids_per_principal: self.max_uids_per_principal,
            anonymous_rules: AnonymousRules {
                store_units: self.anonymous.store_units,
                federate: self.anonymous.federate,
                max_uids: self.anonymous.max_uids,
            },
        })
    }
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

    #[test]
    fn defaults_are_the_named_constants_and_resolve() {
        let section: CotSection = toml::from_str("").unwrap();
        assert_eq!(section, CotSection::default());
        assert!(!section.any_listener());
        let settings = section.resolve(&policy(), nation("MLI")).unwrap();
        assert_eq!(settings.anonymous.name, DEFAULT_ANONYMOUS_NAME);
        assert_eq!(settings.anonymous.nation, nation("MLI"));
        assert_eq!(settings.anonymous.clearance, "NP");
        assert_eq!(settings.anonymous.role, Role::Viewer);
        assert_eq!(settings.tcp_marking, Marking::new("NP", ["AES"]));
        assert_eq!(settings.tls_marking, Marking::new("NP", ["AES"]));
        assert!(!settings.tcp_password_auth);
        assert_eq!(settings.client_queue, DEFAULT_CLIENT_QUEUE);
        assert_eq!(settings.slow_client_timeout, DEFAULT_SLOW_CLIENT_TIMEOUT);
        assert_eq!(settings.idle_timeout, DEFAULT_IDLE_TIMEOUT);
        assert_eq!(settings.write_interval, DEFAULT_WRITE_INTERVAL);
        assert_eq!(settings.limits.max_event_bytes, DEFAULT_MAX_EVENT_BYTES);
        assert_eq!(
            settings.unit_history.interval,
            DEFAULT_UNIT_HISTORY_INTERVAL
        );
        assert_eq!(
            settings.unit_history.min_interval,
            DEFAULT_UNIT_HISTORY_MIN_INTERVAL
        );
        assert_eq!(settings.report_max_age, DEFAULT_REPORT_MAX_AGE);
        assert_eq!(settings.client_cert_days, DEFAULT_CLIENT_CERT_DAYS);
        assert_eq!(settings.user_recheck, DEFAULT_USER_RECHECK);
        assert_eq!(
            settings.max_uids_per_principal,
            DEFAULT_MAX_UIDS_PER_PRINCIPAL
        );
        // Anonymous clients' units are stored, national, and few.
        assert_eq!(
            settings.anonymous_rules,
            AnonymousRules {
                store_units: true,
                federate: false,
                max_uids: DEFAULT_ANONYMOUS_MAX_UIDS,
            }
        );
        const { assert!(DEFAULT_ANONYMOUS_MAX_UIDS * 10 <= DEFAULT_MAX_UIDS_PER_PRINCIPAL) };
    }

    #[test]
    fn a_full_section_parses_and_round_trips() {
        let text = r#"
            tcp_listen = "127.0.0.1:8087"
            tls_listen = "0.0.0.0:8089"
            enroll_listen = "0.0.0.0:8446"
            tcp_marking = { level = "NP", releasable_to = ["MLI", "BFA"] }
            tls_marking = { level = "DR", releasable_to = ["aes"] }
            tcp_password_auth = true
            slow_client_timeout = "5s"
            unit_history_interval = "1m"
            user_recheck = "5s"
            max_uids_per_principal = 100
            [anonymous]
            name = "guest"
            nation = "BFA"
            store_units = false
            federate = true
            max_uids = 7
        "#;
        let section: CotSection = toml::from_str(text).unwrap();
        assert!(section.any_listener());
        let back: CotSection = toml::from_str(&toml::to_string(&section).unwrap()).unwrap();
        assert_eq!(back, section);
        let settings = section.resolve(&policy(), nation("MLI")).unwrap();
        assert_eq!(settings.anonymous.nation, nation("BFA"));
        // Markings come out canonical: the node's own nation is implied.
        assert_eq!(settings.tcp_marking, Marking::new("NP", ["BFA"]));
        assert_eq!(settings.tls_marking, Marking::new("DR", ["AES"]));
        assert_eq!(settings.slow_client_timeout, Duration::from_secs(5));
        assert_eq!(settings.unit_history.interval, Duration::from_secs(60));
        assert_eq!(settings.user_recheck, Duration::from_secs(5));
        assert_eq!(settings.max_uids_per_principal, 100);
        assert_eq!(
            settings.anonymous_rules,
            AnonymousRules {
                store_units: false,
                federate: true,
                max_uids: 7,
            }
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        let resolve = |text: &str| {
            toml::from_str::<CotSection>(text)
                .map_err(|err| err.to_string())
                .and_then(|section| section.resolve(&policy(), nation("MLI")).map(|_| ()))
                .unwrap_err()
        };
        for (text, needle) in [
            ("tcp_marking = { level = \"TS\" }", "cot.tcp_marking"),
            (
                "tcp_marking = { level = \"DR\", releasable_to = [\"AES\"] }",
                "above your clearance",
            ),
            (
                "tls_marking = { level = \"NP\", releasable_to = [\"FRA\"] }",
                "cot.tls_marking",
            ),
            ("[anonymous]\nclearance = \"X\"", "cot.anonymous.clearance"),
            ("[anonymous]\nnation = \"TCD\"", "cot.anonymous.nation"),
            ("client_queue = 0", "cot.client_queue"),
            ("user_recheck = \"0s\"", "cot.user_recheck"),
            ("max_uids_per_principal = 0", "cot.max_uids_per_principal"),
            ("[anonymous]\nfederate = \"yes\"", "federate"),
            ("max_event_bytes = 10", "cot.max_event_bytes"),
            (
                "unit_history_min_interval = \"2m\"",
                "unit_history_min_interval",
            ),
            ("tcp_listen = \"nowhere\"", "tcp_listen"),
            ("listen = \"127.0.0.1:1\"", "listen"),
        ] {
            let err = resolve(text);
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
