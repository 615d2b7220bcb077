//! The invariants the fuzz target (`fuzz/fuzz_targets/stix_import.rs`) and the property tests
//! assert, in one place so the committed corpus replays them as plain tests.
//!
//! - [`import_bytes`]: importing any bytes never panics; there is one outcome per object;
//!   whatever is stored is a valid report with a marking; nothing describing an individual
//!   person is stored; unmarked input without a default is never stored.
//! - [`round_trip`]: exporting a report and importing the result on its origin's node gives
//!   back the same id, report, marking, validity and exercise.

use liptako_model::{Body, Confederation, Levels, Marking, Nation, Object, Policy};
use serde_json::Value;

use crate::export::Exporter;
use crate::import::{ImportContext, Limits, Outcome, import, split_objects};
use crate::marking::{Tlp, TlpTable};

/// The confederation the checks run in: AES of MLI, BFA and NER, default levels.
pub fn policy() -> Policy {
    let members = ["MLI", "BFA", "NER"]
        .into_iter()
        .filter_map(|code| Nation::parse(code).ok())
        .collect();
    match Confederation::new("AES", members) {
        Ok(confederation) => Policy::new(confederation, Levels::default()),
        Err(err) => panic!("the check confederation is valid: {err}"),
    }
}

fn mli() -> Nation {
    match Nation::parse("MLI") {
        Ok(nation) => nation,
        Err(err) => panic!("MLI is a nation: {err}"),
    }
}

/// Imports `data` as a bundle (with a default marking when the first byte is odd) and checks
/// every outcome. Panics when an invariant breaks.
pub fn import_bytes(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let policy = policy();
    let exporter = Exporter::new(&policy, TlpTable::default());
    let default = Marking::new("DR", ["AES"]);
    let with_default = data.first().is_some_and(|byte| byte % 2 == 1);
    let tlp = [(Tlp::Green, Marking::new("NP", ["AES"]))];
    let ctx = ImportContext {
        exporter: &exporter,
        nation: mli(),
        default_marking: with_default.then_some(&default),
        tlp_markings: &tlp,
        limits: Limits {
            max_objects: 1000,
            max_object_bytes: 64 * 1024,
        },
    };
    let Ok(objects) = split_objects(text, &ctx.limits) else {
        return;
    };
    let outcomes = import(&objects, &ctx);
    assert_eq!(outcomes.len(), objects.len(), "one outcome per object");
    for (raw, outcome) in objects.iter().zip(&outcomes) {
        let value: Option<Value> = serde_json::from_str(raw.get()).ok();
        let object_type = value
            .as_ref()
            .and_then(|value| value.get("type"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let individual = matches!(object_type, "user-account" | "email-addr" | "email-message")
            || (object_type == "identity"
                && value
                    .as_ref()
                    .and_then(|value| value.get("identity_class"))
                    .and_then(Value::as_str)
                    == Some("individual"));
        if individual {
            assert!(
                matches!(outcome.outcome, Outcome::Refused(_)),
                "an object describing a person was taken: {outcome:?}"
            );
        }
        if let Outcome::Stored(imported) = &outcome.outcome {
            assert!(
                Body::Report(imported.report.clone()).check().is_ok(),
                "stored an invalid report: {imported:?}"
            );
            assert!(!imported.marking.level.is_empty(), "stored unmarked");
            if !with_default {
                assert_ne!(
                    imported.marking_source,
                    crate::import::MarkingSource::Default,
                    "used a default that was not given"
                );
            }
        }
    }
}

/// Exports `object` (a report) and imports the result on its origin's node: the same id,
/// report, marking, validity and exercise come back. Panics when not.
pub fn round_trip(object: &Object) {
    let policy = policy();
    let exporter = Exporter::new(&policy, TlpTable::default());
    let Ok(stix) = exporter.export(object) else {
        panic!("a report is exported");
    };
    let bundle = serde_json::json!({ "type": "bundle", "objects": stix }).to_string();
    let ctx = ImportContext {
        exporter: &exporter,
        nation: object.meta.origin,
        default_marking: None,
        tlp_markings: &[],
        limits: Limits::default(),
    };
    let objects = match split_objects(&bundle, &ctx.limits) {
        Ok(objects) => objects,
        Err(err) => panic!("our own bundle splits: {err}"),
    };
    let outcomes = import(&objects, &ctx);
    let stored: Vec<_> = outcomes
        .iter()
        .filter_map(|outcome| match &outcome.outcome {
            Outcome::Stored(imported) => Some(imported),
            _ => None,
        })
        .collect();
    assert_eq!(stored.len(), 1, "one report comes back: {outcomes:?}");
    for outcome in &outcomes {
        assert!(
            !matches!(outcome.outcome, Outcome::Refused(_)),
            "nothing of our own export is refused: {outcome:?}"
        );
    }
    let Some(imported) = stored.first() else {
        return;
    };
    let Body::Report(report) = &object.body else {
        panic!("round_trip takes reports");
    };
    assert_eq!(imported.id, object.meta.id);
    assert_eq!(&imported.report, report);
    assert_eq!(imported.marking, object.meta.marking);
    assert_eq!(imported.valid_until, object.meta.valid_until);
    assert_eq!(imported.exercise, object.meta.exercise);
}
