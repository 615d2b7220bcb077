//! `[deconfliction]` and `[protection]`: the distances at which the operations feature warns
//! of units of different nations close to each other and of operations near protected civilian
//! sites.
//!
//! ```toml
//! [deconfliction]
//! distance_km = 5     # units of two nations closer than this, not in one operation: an alert
//! margin_km = 1       # the encounter ends when they are more than distance + margin apart
//!
//! [protection]
//! distance_km = 2     # an operation's area or an engaged unit this close to a protected site
//! margin_km = 0.5     # the encounter ends beyond distance + margin
//! ```

use serde::{Deserialize, Serialize};

/// Default distance between units of two nations that raises a deconfliction alert, km.
pub const DEFAULT_DECONFLICTION_KM: f64 = 5.0;
/// Default distance to a protected civilian site that raises a warning, km.
pub const DEFAULT_PROTECTION_KM: f64 = 2.0;
/// Default hysteresis of deconfliction, km.
pub const DEFAULT_DECONFLICTION_MARGIN_KM: f64 = 1.0;
/// Default hysteresis of protection warnings, km.
pub const DEFAULT_PROTECTION_MARGIN_KM: f64 = 0.5;

/// A distance and its hysteresis margin: `[deconfliction]` or `[protection]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProximitySection {
    /// Closer than this raises the alert, km.
    pub distance_km: f64,
    /// The encounter ends only when farther than `distance_km + margin_km`, km.
    pub margin_km: f64,
}

/// `[deconfliction]`, with its defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeconflictionSection {
    /// Closer than this raises a deconfliction alert, km.
    #[serde(default = "default_deconfliction_km")]
    pub distance_km: f64,
    /// Hysteresis, km.
    #[serde(default = "default_deconfliction_margin_km")]
    pub margin_km: f64,
}

/// `[protection]`, with its defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtectionSection {
    /// Closer than this to a protected site raises a warning, km.
    #[serde(default = "default_protection_km")]
    pub distance_km: f64,
    /// Hysteresis, km.
    #[serde(default = "default_protection_margin_km")]
    pub margin_km: f64,
}

impl Default for DeconflictionSection {
    fn default() -> DeconflictionSection {
        DeconflictionSection {
            distance_km: DEFAULT_DECONFLICTION_KM,
            margin_km: DEFAULT_DECONFLICTION_MARGIN_KM,
        }
    }
}

impl Default for ProtectionSection {
    fn default() -> ProtectionSection {
        ProtectionSection {
            distance_km: DEFAULT_PROTECTION_KM,
            margin_km: DEFAULT_PROTECTION_MARGIN_KM,
        }
    }
}

impl DeconflictionSection {
    /// Whether every key has its default.
    pub fn is_default(&self) -> bool {
        *self == DeconflictionSection::default()
    }

    /// The distances.
    pub fn proximity(&self) -> ProximitySection {
        ProximitySection {
            distance_km: self.distance_km,
            margin_km: self.margin_km,
        }
    }

    /// Checks the values; the error names the key.
    pub fn check(&self) -> Result<(), String> {
        check("deconfliction", self.proximity())
    }
}

impl ProtectionSection {
    /// Whether every key has its default.
    pub fn is_default(&self) -> bool {
        *self == ProtectionSection::default()
    }

    /// The distances.
    pub fn proximity(&self) -> ProximitySection {
        ProximitySection {
            distance_km: self.distance_km,
            margin_km: self.margin_km,
        }
    }

    /// Checks the values; the error names the key.
    pub fn check(&self) -> Result<(), String> {
        check("protection", self.proximity())
    }
}

fn check(section: &str, proximity: ProximitySection) -> Result<(), String> {
    if !proximity.distance_km.is_finite() || !(0.0..=500.0).contains(&proximity.distance_km) {
        return Err(format!(
            "{section}.distance_km {}: must be 0 to 500",
            proximity.distance_km
        ));
    }
    if !proximity.margin_km.is_finite() || !(0.0..=100.0).contains(&proximity.margin_km) {
        return Err(format!(
            "{section}.margin_km {}: must be 0 to 100",
            proximity.margin_km
        ));
    }
    Ok(())
}

fn default_deconfliction_km() -> f64 {
    DEFAULT_DECONFLICTION_KM
}

fn default_deconfliction_margin_km() -> f64 {
    DEFAULT_DECONFLICTION_MARGIN_KM
}

fn default_protection_km() -> f64 {
    DEFAULT_PROTECTION_KM
}

fn default_protection_margin_km() -> f64 {
    DEFAULT_PROTECTION_MARGIN_KM
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bad_values() {
        let section: DeconflictionSection = toml::from_str("").unwrap();
        assert!(section.is_default());
        assert_eq!(section.distance_km, DEFAULT_DECONFLICTION_KM);
        let section: ProtectionSection = toml::from_str("distance_km = 3").unwrap();
        assert_eq!(section.distance_km, 3.0);
        assert_eq!(section.margin_km, DEFAULT_PROTECTION_MARGIN_KM);
        let bad: ProtectionSection = toml::from_str("distance_km = -1").unwrap();
        assert!(bad.check().unwrap_err().contains("protection.distance_km"));
        assert!(toml::from_str::<DeconflictionSection>("distance = 3").is_err());
    }
}
