//! `[support]`: how soon an addressed nation is expected to answer a support request, per
//! priority, read by the pooled-means feature. A request still unanswered after its time
//! escalates: a `support_alert` report at the requesting node, marked like the request (so the
//! addressed nations see it too).
//!
//! ```toml
//! [support]
//! routine = "24h"
//! priority = "4h"
//! urgent = "30m"
//! # who a 9-line MEDEVAC sent from a TAK client is addressed to (default: every partner)
//! medevac_addressed_to = ["BFA"]
//! ```

use std::time::Duration;

use liptako_model::{Nation, SupportPriority};
use serde::{Deserialize, Serialize};

use crate::config::ConfigDuration;

/// Default expected response time of a routine request.
pub const DEFAULT_ROUTINE: Duration = Duration::from_secs(24 * 3600);
/// Default expected response time of a priority request.
pub const DEFAULT_PRIORITY: Duration = Duration::from_secs(4 * 3600);
/// Default expected response time of an urgent request.
pub const DEFAULT_URGENT: Duration = Duration::from_secs(30 * 60);

/// `[support]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportSection {
    /// Expected response time of a `routine` request.
    #[serde(default = "default_routine")]
    pub routine: ConfigDuration,
    /// Expected response time of a `priority` request.
    #[serde(default = "default_priority")]
    pub priority: ConfigDuration,
    /// Expected response time of an `urgent` request.
    #[serde(default = "default_urgent")]
    pub urgent: ConfigDuration,
    /// The nations a 9-line MEDEVAC from a TAK client is addressed to; absent: every partner
    /// (the confederation's members but this node's nation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medevac_addressed_to: Option<Vec<Nation>>,
}

impl Default for SupportSection {
    fn default() -> SupportSection {
        SupportSection {
            routine: default_routine(),
            priority: default_priority(),
            urgent: default_urgent(),
            medevac_addressed_to: None,
        }
    }
}

impl SupportSection {
    /// Whether every key has its default (the section is then left out of a written file).
    pub fn is_default(&self) -> bool {
        *self == SupportSection::default()
    }

    /// The expected response time of a request of `priority`.
    pub fn response_time(&self, priority: SupportPriority) -> Duration {
        match priority {
            SupportPriority::Routine => self.routine.0,
            SupportPriority::Priority => self.priority.0,
            SupportPriority::Urgent => self.urgent.0,
        }
    }

    /// Checks the values; the error names the key.
    pub fn check(&self) -> Result<(), String> {
        for priority in SupportPriority::ALL {
            if self.response_time(priority).is_zero() {
                return Err(format!(
                    "support.{}: must be longer than 0s",
                    priority.as_str()
                ));
            }
        }
        if self
            .medevac_addressed_to
            .as_ref()
            .is_some_and(|nations| nations.is_empty())
        {
            return Err("support.medevac_addressed_to: name at least one nation, or leave it out (every partner)".into());
        }
        Ok(())
    }
}

fn default_routine() -> ConfigDuration {
    ConfigDuration(DEFAULT_ROUTINE)
}

fn default_priority() -> ConfigDuration {
    ConfigDuration(DEFAULT_PRIORITY)
}

fn default_urgent() -> ConfigDuration {
    ConfigDuration(DEFAULT_URGENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        assert!(SupportSection::default().is_default());
        assert_eq!(
            SupportSection::default().response_time(SupportPriority::Urgent),
            DEFAULT_URGENT
        );
        let section: SupportSection = toml::from_str("urgent = \"2s\"\n").unwrap();
        assert!(section.check().is_ok());
        assert_eq!(
            section.response_time(SupportPriority::Urgent),
            Duration::from_secs(2)
        );
        assert_eq!(
            section.response_time(SupportPriority::Routine),
            DEFAULT_ROUTINE
        );
    }

    #[test]
    fn bad_values_name_the_key() {
        let zero: SupportSection = toml::from_str("priority = \"0s\"").unwrap();
        assert!(zero.check().unwrap_err().contains("support.priority"));
        assert!(toml::from_str::<SupportSection>("urgnet = \"1h\"").is_err());
        let nobody: SupportSection = toml::from_str("medevac_addressed_to = []").unwrap();
        assert!(
            nobody
                .check()
                .unwrap_err()
                .contains("support.medevac_addressed_to")
        );
        assert!(toml::from_str::<SupportSection>("medevac_addressed_to = [\"mali\"]").is_err());
        let bfa: SupportSection = toml::from_str("medevac_addressed_to = [\"BFA\"]").unwrap();
        assert!(bfa.check().is_ok() && !bfa.is_default());
    }
}
