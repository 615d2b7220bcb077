//! An inject script: timed steps exercise control loads and runs (pure: parsing and checks).
//!
//! JSON (or TOML, `[[steps]]`): `{"steps": [{"at": "01:30", "action": "create_report", ...}]}`.
//! `at` is T+ from the run's start, `mm:ss` or `hh:mm:ss`; steps run in the order given and their
//! times never go back. Actions:
//! - `create_report`: `kind` (default `incident`), `title`, `body`, `location` `{lat, lon}`;
//! - `raise_alert`: a `threat_warning` report (`title`, `body`, `location`);
//! - `create_unit`: `unit` (the script's name for it, used by later steps), `callsign`,
//!   `symbol` (APP-6/2525), `position`;
//! - `move_unit`: `unit` (created by an earlier step), `position`, `course_deg`, `speed_mps`.
//!
//! Air-track injects (`start_air_track`) are not built: the tracker takes only sensor feeds;
//! a drill feeds simulated radars with `liptako simulate` instead.
//!
//! Every error names the step (`step 3 (at 01:30): ...`).

use std::collections::BTreeSet;
use std::time::Duration;

use liptako_model::{Body, Point, Report, ReportKind, Unit};
use serde::Deserialize;

/// Most steps in one script.
pub const MAX_STEPS: usize = 1000;
/// Latest T+ a step may have (a day).
pub const MAX_AT: Duration = Duration::from_secs(24 * 3600);

/// A checked script.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    /// The steps, in order of time.
    pub steps: Vec<Step>,
}

/// One checked step.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// T+ from the run's start.
    pub at: Duration,
    /// `at` as written.
    pub at_text: String,
    /// What it does.
    pub action: Action,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Create a report (or an alert: a threat warning).
    CreateReport(Report),
    /// Create a unit the script names `key`.
    CreateUnit { key: String, unit: Unit },
    /// Move the unit the script named `key`.
    MoveUnit {
        key: String,
        position: Point,
        course_deg: Option<f64>,
        speed_mps: Option<f64>,
    },
}

impl Action {
    /// The action's name, as written in a script.
    pub fn name(&self) -> &'static str {
        match self {
            Action::CreateReport(report) if report.kind == ReportKind::ThreatWarning => {
                "raise_alert"
            }
            Action::CreateReport(_) => "create_report",
            Action::CreateUnit { .. } => "create_unit",
            Action::MoveUnit { .. } => "move_unit",
        }
    }
}

/// A script as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScript {
    steps: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
enum RawAction {
    CreateReport {
        at: String,
        #[serde(default)]
        kind: Option<ReportKind>,
        title: String,
        #[serde(default)]
        body: String,
        #[serde(default)]
        location: Option<Point>,
    },
    RaiseAlert {
        at: String,
        title: String,
        #[serde(default)]
        body: String,
        #[serde(default)]
        location: Option<Point>,
    },
    CreateUnit {
        at: String,
        unit: String,
        callsign: String,
        #[serde(default)]
        symbol: Option<String>,
        position: Point,
    },
    MoveUnit {
        at: String,
        unit: String,
        position: Point,
        #[serde(default)]
        course_deg: Option<f64>,
        #[serde(default)]
        speed_mps: Option<f64>,
    },
}

/// Why a script is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ScriptError(pub String);

/// Parses and checks a JSON script.
pub fn parse_json(bytes: &[u8]) -> Result<Script, ScriptError> {
    let raw: RawScript = serde_json::from_slice(bytes)
        .map_err(|err| ScriptError(format!("script: {err} (expected {{\"steps\": [...]}})")))?;
    check(raw)
}

/// Parses and checks a TOML script (`[[steps]]` tables).
pub fn parse_toml(text: &str) -> Result<Script, ScriptError> {
    let raw: RawScript = toml::from_str(text)
        .map_err(|err| ScriptError(format!("script: {err} (expected [[steps]] tables)")))?;
    check(raw)
}

fn check(raw: RawScript) -> Result<Script, ScriptError> {
    if raw.steps.is_empty() {
        return Err(ScriptError("script: no steps".into()));
    }
    if raw.steps.len() > MAX_STEPS {
        return Err(ScriptError(format!(
            "script: {} steps; at most {MAX_STEPS}",
            raw.steps.len()
        )));
    }
    let mut steps = Vec::with_capacity(raw.steps.len());
    let mut units = BTreeSet::new();
    let mut last = Duration::ZERO;
    for (idx, value) in raw.steps.into_iter().enumerate() {
        let number = idx + 1;
        let at_hint = value
            .get("at")
            .and_then(|at| at.as_str())
            .map(|at| format!(" (at {at})"))
            .unwrap_or_default();
        let fail = |what: String| ScriptError(format!("step {number}{at_hint}: {what}"));
        if value.get("action").and_then(|action| action.as_str()) == Some("start_air_track") {
            return Err(fail(
                "start_air_track is not supported: feed simulated radars with `liptako simulate` instead"
                    .into(),
            ));
        }
        let raw: RawAction = serde_json::from_value(value).map_err(|err| fail(err.to_string()))?;
        let (at_text, action) = match raw {
            RawAction::CreateReport {
                at,
                kind,
                title,
                body,
                location,
            } => (
                at,
                Action::CreateReport(Report {
                    kind: kind.unwrap_or(ReportKind::Incident),
                    title,
                    body,
                    location,
                }),
            ),
            RawAction::RaiseAlert {
                at,
                title,
                body,
                location,
            } => (
                at,
                Action::CreateReport(Report {
                    kind: ReportKind::ThreatWarning,
                    title,
                    body,
                    location,
                }),
            ),
            RawAction::CreateUnit {
                at,
                unit,
                callsign,
                symbol,
                position,
            } => {
                if !units.insert(unit.clone()) {
                    return Err(fail(format!("unit {unit:?} is created twice")));
                }
                (
                    at,
                    Action::CreateUnit {
                        key: unit,
                        unit: Unit {
                            callsign,
                            symbol,
                            position: Some(position),
                            course_deg: None,
                            speed_mps: None,
                        },
                    },
                )
            }
            RawAction::MoveUnit {
                at,
                unit,
                position,
                course_deg,
                speed_mps,
            } => {
                if !units.contains(&unit) {
                    return Err(fail(format!(
                        "unit {unit:?} is not created by an earlier step (create_unit)"
                    )));
                }
                (
                    at,
                    Action::MoveUnit {
                        key: unit,
                        position,
                        course_deg,
                        speed_mps,
                    },
                )
            }
        };
        let at = parse_at(&at_text).ok_or_else(|| {
            fail(format!(
                "at {at_text:?}: expected T+ as mm:ss or hh:mm:ss, at most 24:00:00"
            ))
        })?;
        if at < last {
            return Err(fail(format!(
                "at {at_text} is before the previous step's time: list steps in time order"
            )));
        }
        last = at;
        // The same checks as any object of its type.
        let body = match &action {
            Action::CreateReport(report) => Some(Body::Report(report.clone())),
            Action::CreateUnit { unit, .. } => Some(Body::Unit(unit.clone())),
            Action::MoveUnit {
                position,
                course_deg,
                speed_mps,
                ..
            } => Some(Body::Unit(Unit {
                callsign: "check".into(),
                symbol: None,
                position: Some(*position),
                course_deg: *course_deg,
                speed_mps: *speed_mps,
            })),
        };
        if let Some(body) = body {
            body.check().map_err(|err| fail(err.to_string()))?;
        }
        steps.push(Step {
            at,
            at_text,
            action,
        });
    }
    Ok(Script { steps })
}

/// `mm:ss` or `hh:mm:ss` (minutes and seconds below 60 after the first field).
pub fn parse_at(text: &str) -> Option<Duration> {
    let fields: Vec<&str> = text.trim().split(':').collect();
    let numbers: Option<Vec<u64>> = fields
        .iter()
        .map(|field| {
            (!field.is_empty() && field.len() <= 4 && field.bytes().all(|b| b.is_ascii_digit()))
                .then(|| field.parse::<u64>().ok())
                .flatten()
        })
        .collect();
    let seconds = match numbers?.as_slice() {
        [minutes, seconds] if *seconds < 60 => minutes * 60 + seconds,
        [hours, minutes, seconds] if *minutes < 60 && *seconds < 60 => {
            hours * 3600 + minutes * 60 + seconds
        }
        _ => return None,
    };
    let at = Duration::from_secs(seconds);
    (at <= MAX_AT).then_some(at)
}

/// `mm:ss` (or `hh:mm:ss` past an hour) of a duration, whole seconds.
pub fn format_at(at: Duration) -> String {
    let seconds = at.as_secs();
    if seconds >= 3600 {
        format!(
            "{:02}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        )
    } else {
        format!("{:02}:{:02}", seconds / 60, seconds % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_mm_ss_or_hh_mm_ss() {
        assert_eq!(parse_at("01:30"), Some(Duration::from_secs(90)));
        assert_eq!(parse_at("00:00"), Some(Duration::ZERO));
        assert_eq!(parse_at("1:02:03"), Some(Duration::from_secs(3723)));
        assert_eq!(parse_at("90:00"), Some(Duration::from_secs(5400)));
        for bad in [
            "", "1", "01:60", "a:00", "-1:00", "1:00:60", "25:00:00", "1::0",
        ] {
            assert_eq!(parse_at(bad), None, "{bad}");
        }
        assert_eq!(format_at(Duration::from_secs(90)), "01:30");
        assert_eq!(format_at(Duration::from_secs(3723)), "01:02:03");
    }

    #[test]
    fn a_script_parses_in_json_and_toml() {
        let json = br#"{"steps": [
            {"at": "00:00", "action": "create_unit", "unit": "a", "callsign": "ALPHA",
             "position": {"lat": 14.5, "lon": 0.5}},
            {"at": "00:05", "action": "move_unit", "unit": "a",
             "position": {"lat": 14.6, "lon": 0.6}},
            {"at": "00:10", "action": "create_report", "title": "Ambush",
             "location": {"lat": 14.6, "lon": 0.6}},
            {"at": "00:10", "action": "raise_alert", "title": "Drone seen"}
        ]}"#;
        let script = parse_json(json).unwrap();
        assert_eq!(script.steps.len(), 4);
        assert_eq!(script.steps[1].at, Duration::from_secs(5));
        assert_eq!(script.steps[3].action.name(), "raise_alert");
        let toml = r#"
            [[steps]]
            at = "00:00"
            action = "create_unit"
            unit = "a"
            callsign = "ALPHA"
            position = { lat = 14.5, lon = 0.5 }
            [[steps]]
            at = "00:05"
            action = "move_unit"
            unit = "a"
            position = { lat = 14.6, lon = 0.6 }
        "#;
        let script = parse_toml(toml).unwrap();
        assert_eq!(script.steps.len(), 2);
    }

    #[test]
    fn bad_scripts_name_the_step() {
        let err = |text: &str| parse_json(text.as_bytes()).unwrap_err().0;
        assert!(err(r#"{"steps": []}"#).contains("no steps"));
        assert!(err("[1]").starts_with("script:"));
        let e = err(
            r#"{"steps": [{"at": "00:10", "action": "create_report", "title": "a"},
                         {"at": "00:05", "action": "create_report", "title": "b"}]}"#,
        );
        assert!(
            e.starts_with("step 2 (at 00:05)") && e.contains("time order"),
            "{e}"
        );
        let e = err(
            r#"{"steps": [{"at": "00:10", "action": "move_unit", "unit": "x",
                         "position": {"lat": 1, "lon": 1}}]}"#,
        );
        assert!(e.starts_with("step 1") && e.contains("earlier step"), "{e}");
        let e = err(r#"{"steps": [{"at": "xx", "action": "create_report", "title": "a"}]}"#);
        assert!(
            e.starts_with("step 1 (at xx)") && e.contains("mm:ss"),
            "{e}"
        );
        let e = err(r#"{"steps": [{"at": "00:01", "action": "launch_missiles"}]}"#);
        assert!(e.starts_with("step 1"), "{e}");
        let e = err(r#"{"steps": [{"at": "00:01", "action": "create_report", "title": ""}]}"#);
        assert!(e.starts_with("step 1") && e.contains("title"), "{e}");
        let e = err(
            r#"{"steps": [{"at": "00:01", "action": "create_unit", "unit": "a",
                         "callsign": "A", "position": {"lat": 95, "lon": 0}}]}"#,
        );
        assert!(e.starts_with("step 1") && e.contains("position"), "{e}");
        let e = err(r#"{"steps": [{"at": "00:01", "action": "start_air_track"}]}"#);
        assert!(e.contains("not supported"), "{e}");
    }
}
