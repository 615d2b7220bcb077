//! `[pursuit]`: the limits of the right of pursuit between the confederation's members, read
//! by the operations feature (pursuit notices).
//!
//! ```toml
//! [pursuit]
//! max_depth_km = 100        # deeper than this into a partner's territory: an alert
//! max_duration = "24h"      # longer than this: an alert
//! ack_within = "5m"         # a notice not acknowledged by then escalates (a second alert)
//! hysteresis_m = 1000       # enter when this far inside, leave when this far back out
//!
//! [[pursuit.partner]]       # where an agreement with one partner differs (each key optional)
//! nation = "NER"
//! max_depth_km = 50
//! ```

use std::time::Duration;

use liptako_model::Nation;
use serde::{Deserialize, Serialize};

use crate::config::ConfigDuration;

/// Default deepest pursuit allowed, km.
pub const DEFAULT_MAX_DEPTH_KM: f64 = 100.0;
/// Default longest pursuit allowed.
pub const DEFAULT_MAX_DURATION: Duration = Duration::from_secs(24 * 3600);
/// Default time the nation entered has to acknowledge a notice before it escalates.
pub const DEFAULT_ACK_WITHIN: Duration = Duration::from_secs(5 * 60);
/// Default hysteresis at the border, metres: a unit riding the line raises one notice.
pub const DEFAULT_HYSTERESIS_M: f64 = 1000.0;

/// `[pursuit]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PursuitSection {
    /// Deepest pursuit allowed into a partner's territory, km.
    #[serde(default = "default_max_depth_km")]
    pub max_depth_km: f64,
    /// Longest pursuit allowed.
    #[serde(default = "default_max_duration")]
    pub max_duration: ConfigDuration,
    /// Time the nation entered has to acknowledge a notice before it escalates.
    #[serde(default = "default_ack_within")]
    pub ack_within: ConfigDuration,
    /// A unit enters a partner's territory when this far inside, and leaves it when this far
    /// back out, in metres.
    #[serde(default = "default_hysteresis_m")]
    pub hysteresis_m: f64,
    /// Limits agreed with one partner, where they differ.
    #[serde(default, rename = "partner", skip_serializing_if = "Vec::is_empty")]
    pub partners: Vec<PartnerLimits>,
}

/// `[[pursuit.partner]]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerLimits {
    /// The partner.
    pub nation: Nation,
    /// Its deepest pursuit, km.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_depth_km: Option<f64>,
    /// Its longest pursuit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_duration: Option<ConfigDuration>,
    /// Its time to acknowledge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_within: Option<ConfigDuration>,
}

/// The limits that apply to a pursuit into one partner's territory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Deepest, km.
    pub max_depth_km: f64,
    /// Longest.
    pub max_duration: Duration,
    /// Time to acknowledge.
    pub ack_within: Duration,
}

impl Default for PursuitSection {
    fn default() -> PursuitSection {
        PursuitSection {
            max_depth_km: DEFAULT_MAX_DEPTH_KM,
            max_duration: default_max_duration(),
            ack_within: default_ack_within(),
            hysteresis_m: DEFAULT_HYSTERESIS_M,
            partners: Vec::new(),
        }
    }
}

impl PursuitSection {
    /// Whether every key has its default (the section is then left out of a written file).
    pub fn is_default(&self) -> bool {
        *self == PursuitSection::default()
    }

    /// The limits of a pursuit into `nation`'s territory.
    pub fn limits(&self, nation: Nation) -> Limits {
        let partner = self.partners.iter().find(|p| p.nation == nation);
        Limits {
            max_depth_km: partner
                .and_then(|p| p.max_depth_km)
                .unwrap_or(self.max_depth_km),
            max_duration: partner
                .and_then(|p| p.max_duration)
                .unwrap_or(self.max_duration)
                .0,
            ack_within: partner
                .and_then(|p| p.ack_within)
                .unwrap_or(self.ack_within)
                .0,
        }
    }

    /// Checks the values; the error names the key.
    pub fn check(&self) -> Result<(), String> {
        let depth_ok = |km: f64| km.is_finite() && km > 0.0;
        if !depth_ok(self.max_depth_km) {
            return Err(format!(
                "pursuit.max_depth_km {}: must be a distance > 0",
                self.max_depth_km
            ));
        }
        if !self.hysteresis_m.is_finite() || !(0.0..=50_000.0).contains(&self.hysteresis_m) {
            return Err(format!(
                "pursuit.hysteresis_m {}: must be 0 to 50000",
                self.hysteresis_m
            ));
        }
        let mut seen = Vec::new();
        for partner in &self.partners {
            if seen.contains(&partner.nation) {
                return Err(format!("pursuit.partner {}: listed twice", partner.nation));
            }
            seen.push(partner.nation);
            if let Some(km) = partner.max_depth_km
                && !depth_ok(km)
            {
                return Err(format!(
                    "pursuit.partner {}: max_depth_km {km}: must be a distance > 0",
                    partner.nation
                ));
            }
        }
        Ok(())
    }
}

fn default_max_depth_km() -> f64 {
    DEFAULT_MAX_DEPTH_KM
}

fn default_max_duration() -> ConfigDuration {
    ConfigDuration(DEFAULT_MAX_DURATION)
}

fn default_ack_within() -> ConfigDuration {
    ConfigDuration(DEFAULT_ACK_WITHIN)
}

fn default_hysteresis_m() -> f64 {
    DEFAULT_HYSTERESIS_M
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_partner_overrides() {
        let section: PursuitSection = toml::from_str(
            "max_duration = \"12h\"\n[[partner]]\nnation = \"NER\"\nmax_depth_km = 50\n",
        )
        .unwrap();
        assert!(section.check().is_ok());
        let ner = section.limits(Nation::parse("NER").unwrap());
        assert_eq!(ner.max_depth_km, 50.0);
        assert_eq!(ner.max_duration, Duration::from_secs(12 * 3600));
        assert_eq!(ner.ack_within, DEFAULT_ACK_WITHIN);
        let bfa = section.limits(Nation::parse("BFA").unwrap());
        assert_eq!(bfa.max_depth_km, DEFAULT_MAX_DEPTH_KM);
        assert!(PursuitSection::default().is_default());
        assert_eq!(
            PursuitSection::default().max_duration.0,
            DEFAULT_MAX_DURATION
        );
    }

    #[test]
    fn bad_values_name_the_key() {
        let section: PursuitSection = toml::from_str("max_depth_km = -3").unwrap();
        assert!(section.check().unwrap_err().contains("max_depth_km"));
        assert!(toml::from_str::<PursuitSection>("max_depth = 3").is_err());
    }
}
