//! Tests of `liptako-stix` (one test binary, to save link time):
//!
//! - `properties`: import never panics on any input or any mutation of a real bundle; export
//!   then import on the origin's node gives back the same report, marking and id.
//! - `hostile`: a bundle with deep nesting, huge strings, unknown types, bad timestamps,
//!   identities of individuals and unmarked objects gets a clear error per bad object and the
//!   rest is kept.
//! - `markings`: markings from definitions, TLP, defaults and their conflicts.
//! - `fuzz_corpus`: the committed corpus of `fuzz/corpus/stix_import` replayed through
//!   `liptako_stix::check`.
//! - `peers`: every exported object, meta objects included, passes `stix2-validator --strict`
//!   and parses with the `stix2` library (from the venv: `LIPTAKO_PYTHON`).

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is the test failing

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use liptako_model::{
    Body, Draft, Expect, Marking, Nation, Object, Point, Report, ReportKind, next_version,
};
use liptako_stix::check;
use liptako_stix::import::{import, split_objects};
use liptako_stix::{
    Exporter, ImportContext, ImportError, Limits, MarkingSource, Outcome, Tlp, TlpTable,
};
use proptest::prelude::*;
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

fn nation(code: &str) -> Nation {
    Nation::parse(code).unwrap()
}

fn exporter() -> Exporter {
    Exporter::new(&check::policy(), TlpTable::default())
}

fn report_object(kind: ReportKind, marking: Marking, location: Option<Point>) -> Object {
    next_version(
        None,
        Draft {
            id: Uuid::now_v7(),
            origin: nation("MLI"),
            expect: Expect::New,
            at: time::macros::datetime!(2026-11-24 10:00:00.123456 UTC),
            marking,
            valid_until: Some(time::macros::datetime!(2026-12-24 10:00 UTC)),
            exercise: None,
            body: Some(Body::Report(Report {
                kind,
                title: "Convoy ambushed near Ménaka".into(),
                body: "Two vehicles.\nNo casualties.".into(),
                location,
            })),
        },
    )
    .unwrap()
}

fn outcomes_of(
    bundle: &Value,
    default: Option<&Marking>,
    tlp: &[(Tlp, Marking)],
) -> Vec<liptako_stix::ObjectOutcome> {
    let exporter = exporter();
    let ctx = ImportContext {
        exporter: &exporter,
        nation: nation("MLI"),
        default_marking: default,
        tlp_markings: tlp,
        limits: Limits::default(),
    };
    let text = bundle.to_string();
    let objects = split_objects(&text, &ctx.limits).unwrap();
    import(&objects, &ctx)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

mod properties {
    use super::*;

    fn kind() -> impl Strategy<Value = ReportKind> {
        prop::sample::select(ReportKind::ALL.to_vec())
    }

    fn marking() -> impl Strategy<Value = Marking> {
        let levels = prop::sample::select(vec!["NP", "DR", "C", "S"]);
        let releasability = prop::sample::select(vec![
            vec![],
            vec!["AES"],
            vec!["BFA"],
            vec!["NER"],
            vec!["BFA", "NER"],
        ]);
        (levels, releasability).prop_map(|(level, rel)| Marking::new(level, rel))
    }

    fn text(max: usize) -> impl Strategy<Value = String> {
        proptest::string::string_regex(&format!("[a-zA-Zéà0-9 .,'\"\\\\/\n-]{{1,{max}}}")).unwrap()
    }

    fn object() -> impl Strategy<Value = Object> {
        (
            kind(),
            marking(),
            text(200),
            prop::option::of(text(400)),
            prop::option::of((-90.0f64..90.0, -180.0f64..180.0)),
            any::<u128>(),
            0i64..4_000_000_000,
            prop::option::of(0i64..1_000_000),
            prop::option::of(proptest::string::string_regex("[A-Za-z0-9]{1,20}").unwrap()),
        )
            .prop_filter_map(
                "a valid report",
                |(kind, marking, title, body, at, id, seconds, valid_for, exercise)| {
                    let created = OffsetDateTime::from_unix_timestamp(seconds).ok()?;
                    let object = next_version(
                        None,
                        Draft {
                            id: Uuid::from_u128(id),
                            origin: nation("NER"),
                            expect: Expect::New,
                            at: created,
                            marking,
                            valid_until: valid_for
                                .map(|secs| created + time::Duration::seconds(secs)),
                            exercise,
                            body: Some(Body::Report(Report {
                                kind,
                                title: title.trim().to_owned(),
                                body: body.unwrap_or_default(),
                                location: at.map(|(lat, lon)| Point::new(lat, lon)),
                            })),
                        },
                    )
                    .ok()?;
                    object.body.check().ok()?;
                    Some(object)
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn export_then_import_round_trips(object in object()) {
            check::round_trip(&object);
        }

        #[test]
        fn import_never_panics_on_bytes(data in prop::collection::vec(any::<u8>(), 0..512)) {
            check::import_bytes(&data);
        }

        #[test]
        fn import_never_panics_on_json(value in json_value()) {
            check::import_bytes(json!({ "objects": [value] }).to_string().as_bytes());
            check::import_bytes(value.to_string().as_bytes());
        }

        #[test]
        fn import_never_panics_on_mutated_bundles(
            object in object(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), json_value()), 1..4),
        ) {
            let mut stix = exporter().export(&object).unwrap();
            for (pick, replacement) in edits {
                let idx = pick.index(stix.len());
                let target = &mut stix[idx];
                let keys: Vec<String> = target.as_object().unwrap().keys().cloned().collect();
                let key = keys[pick.index(keys.len())].clone();
                target[key.as_str()] = replacement;
            }
            check::import_bytes(json!({ "objects": stix }).to_string().as_bytes());
        }
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            (-1e6f64..1e6).prop_map(|n| json!(n)),
            prop::sample::select(vec![
                "report",
                "indicator",
                "location",
                "identity",
                "individual",
                "2.1",
                "2026-11-24T10:00:00.000Z",
                "marking-definition",
                "sighting",
                "note",
                "report--6ba7b810-9dad-41d1-80b4-00c04fd430c8",
                "location--6ba7b810-9dad-41d1-80b4-00c04fd430c8",
                "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            ])
            .prop_map(|s| json!(s)),
            ".{0,20}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop::sample::select(vec![
                        "type",
                        "id",
                        "spec_version",
                        "created",
                        "modified",
                        "name",
                        "object_refs",
                        "object_marking_refs",
                        "latitude",
                        "longitude",
                        "identity_class",
                        "pattern",
                        "sighting_of_ref",
                        "extensions",
                        "x",
                    ])
                    .prop_map(str::to_owned),
                    inner,
                    0..8
                )
                .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }
}

mod hostile {
    use super::*;

    fn base(id: &str, object_type: &str) -> Value {
        json!({
            "type": object_type, "spec_version": "2.1", "id": id,
            "created": "2026-11-24T10:00:00.000Z", "modified": "2026-11-24T10:00:00.000Z",
        })
    }

    #[test]
    fn each_bad_object_gets_its_own_error_and_the_rest_is_kept() {
        let good = {
            let mut report = base("report--6ba7b810-9dad-41d1-80b4-00c04fd430c8", "report");
            report["name"] = json!("Armed group seen crossing");
            report["report_types"] = json!(["threat-report"]);
            report["published"] = json!("2026-11-24T10:00:00.000Z");
            report["object_refs"] = json!(["location--0a0b8c6e-2f7d-4a5b-9c1d-3e4f5a6b7c8d"]);
            report["object_marking_refs"] = json!([Tlp::Green.id()]);
            report
        };
        let mut location = base("location--0a0b8c6e-2f7d-4a5b-9c1d-3e4f5a6b7c8d", "location");
        location["latitude"] = json!(15.2);
        location["longitude"] = json!(0.7);
        let deep = format!(
            r#"{{"type":"note","spec_version":"2.1","id":"note--1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b","created":"2026-11-24T10:00:00.000Z","modified":"2026-11-24T10:00:00.000Z","content":"x","object_refs":[],"x":{}{}}}"#,
            "[".repeat(5_000),
            "]".repeat(5_000)
        );
        let mut huge = base(
            "indicator--2c3d4e5f-6071-4829-9bac-1d2e3f4a5b6c",
            "indicator",
        );
        huge["name"] = json!("x".repeat(100_000));
        huge["pattern"] = json!("[ipv4-addr:value = '198.51.100.1']");
        huge["pattern_type"] = json!("stix");
        let mut long_title = base(
            "indicator--3d4e5f60-7182-4a3b-8cbd-2e3f4a5b6c7d",
            "indicator",
        );
        long_title["name"] = json!("y".repeat(201));
        long_title["pattern"] = json!("[ipv4-addr:value = '198.51.100.2']");
        long_title["object_marking_refs"] = json!([Tlp::Green.id()]);
        let unknown = base("x-weird--4e5f6071-8293-4b4c-9dce-3f4a5b6c7d8e", "x-weird");
        let malware = base("malware--5f607182-93a4-4c5d-8edf-4a5b6c7d8e9f", "malware");
        let mut bad_time = base("note--60718293-a4b5-4d6e-9fe0-5b6c7d8e9fa0", "note");
        bad_time["created"] = json!("yesterday at noon");
        bad_time["content"] = json!("x");
        let mut person = base("identity--718293a4-b5c6-4e7f-80f1-6c7d8e9fa0b1", "identity");
        person["name"] = json!("Some Person");
        person["identity_class"] = json!("individual");
        let mut about_person = base("note--8293a4b5-c6d7-4f80-91a2-7d8e9fa0b1c2", "note");
        about_person["content"] = json!("Where this person lives");
        about_person["object_refs"] = json!(["identity--718293a4-b5c6-4e7f-80f1-6c7d8e9fa0b1"]);
        about_person["object_marking_refs"] = json!([Tlp::Green.id()]);
        let account = json!({"type": "user-account", "id": "user-account--93a4b5c6-d7e8-5f91-a2b3-8e9fa0b1c2d3", "user_id": "j.doe"});
        let mut unmarked = base(
            "indicator--a4b5c6d7-e8f9-4a02-b3c4-9fa0b1c2d3e4",
            "indicator",
        );
        unmarked["name"] = json!("Unmarked");
        unmarked["pattern"] = json!("[domain-name:value = 'example.org']");
        let not_object = json!(42);
        let text = format!(
            "{{\"type\":\"bundle\",\"objects\":[{},{},{},{},{},{},{},{},{},{},{},{},{}]}}",
            good,
            location,
            deep,
            huge,
            long_title,
            unknown,
            malware,
            bad_time,
            person,
            about_person,
            account,
            unmarked,
            not_object
        );
        let exporter = exporter();
        let tlp = [(Tlp::Green, Marking::new("NP", ["AES"]))];
        let ctx = ImportContext {
            exporter: &exporter,
            nation: nation("MLI"),
            default_marking: None,
            tlp_markings: &tlp,
            limits: Limits {
                max_objects: 100,
                max_object_bytes: 64 * 1024,
            },
        };
        let objects = split_objects(&text, &ctx.limits).unwrap();
        let outcomes = import(&objects, &ctx);
        assert_eq!(outcomes.len(), 13);
        let message = |idx: usize| match &outcomes[idx].outcome {
            Outcome::Refused(err) => err.to_string(),
            other => panic!("object {idx} was not refused: {other:?}"),
        };
        let Outcome::Stored(kept) = &outcomes[0].outcome else {
            panic!("the good report is kept: {:?}", outcomes[0]);
        };
        assert_eq!(kept.report.kind, ReportKind::ThreatWarning);
        assert_eq!(kept.report.location, Some(Point::new(15.2, 0.7)));
        assert_eq!(kept.marking, Marking::new("NP", ["AES"]));
        assert_eq!(kept.marking_source, MarkingSource::Tlp(Tlp::Green));
        assert!(matches!(outcomes[1].outcome, Outcome::Part { .. }));
        assert!(message(2).contains("recursion limit"), "{}", message(2));
        assert!(message(3).contains("at most 65536"), "{}", message(3));
        assert!(
            message(4).contains("as a report, title: is 201 characters long"),
            "{}",
            message(4)
        );
        assert!(
            message(5).contains("unsupported object type \"x-weird\""),
            "{}",
            message(5)
        );
        assert!(
            message(6).contains("unsupported object type \"malware\""),
            "{}",
            message(6)
        );
        assert!(
            message(7).contains("created: \"yesterday at noon\" is not a timestamp"),
            "{}",
            message(7)
        );
        assert!(message(8).contains("individual people"), "{}", message(8));
        assert!(
            message(9).contains("describes an individual person"),
            "{}",
            message(9)
        );
        assert!(message(10).contains("individual people"), "{}", message(10));
        assert!(
            message(11).contains("never stored unmarked"),
            "{}",
            message(11)
        );
        assert!(message(12).contains("not a JSON object"), "{}", message(12));
        // The ids of refused objects are reported where they could be read.
        assert_eq!(
            outcomes[8].id.as_deref(),
            Some("identity--718293a4-b5c6-4e7f-80f1-6c7d8e9fa0b1")
        );
    }

    #[test]
    fn too_many_objects_or_no_envelope_is_a_whole_error() {
        let limits = Limits {
            max_objects: 2,
            max_object_bytes: 1024,
        };
        assert!(split_objects(r#"{"objects":[{},{},{}]}"#, &limits).is_err());
        assert!(split_objects("[1,2]", &limits).is_err());
        assert!(split_objects("{", &limits).is_err());
        assert_eq!(split_objects("{}", &limits).unwrap().len(), 0);
    }

    #[test]
    fn individuals_are_never_exported_or_imported_as_authors_of_what_is_stored() {
        // Our own exports name only organisations.
        let exporter = exporter();
        for object in exporter.meta_objects(|_| true) {
            if object["type"] == "identity" {
                assert_eq!(object["identity_class"], "organization");
            }
        }
    }
}

mod markings {
    use super::*;

    #[test]
    fn definition_wins_over_tlp_and_default() {
        let object = report_object(
            ReportKind::Incident,
            Marking::new("C", ["BFA"]),
            Some(Point::new(14.0, 1.0)),
        );
        let stix = exporter().export(&object).unwrap();
        let default = Marking::new("NP", ["AES"]);
        let tlp = [(Tlp::Red, Marking::new("S", Vec::<String>::new()))];
        let outcomes = outcomes_of(&json!({ "objects": stix }), Some(&default), &tlp);
        let Outcome::Stored(imported) = &outcomes[0].outcome else {
            panic!("{outcomes:?}")
        };
        assert_eq!(imported.marking, Marking::new("C", ["BFA"]));
        assert_eq!(imported.marking_source, MarkingSource::Definition);
        assert_eq!(imported.id, object.meta.id);
    }

    #[test]
    fn elsewhere_our_reports_get_a_new_stable_id() {
        let object = report_object(ReportKind::ThreatWarning, Marking::new("DR", ["AES"]), None);
        let stix = exporter().export(&object).unwrap();
        let exporter = exporter();
        let ctx = ImportContext {
            exporter: &exporter,
            nation: nation("BFA"),
            default_marking: None,
            tlp_markings: &[],
            limits: Limits::default(),
        };
        let text = json!({ "objects": stix }).to_string();
        let objects = split_objects(&text, &ctx.limits).unwrap();
        let first = import(&objects, &ctx);
        let second = import(&objects, &ctx);
        let (Outcome::Stored(a), Outcome::Stored(b)) = (&first[0].outcome, &second[0].outcome)
        else {
            panic!("{first:?}");
        };
        assert_ne!(a.id, object.meta.id, "BFA may not write under MLI's id");
        assert_eq!(a.id, b.id, "importing again updates the same report");
    }

    #[test]
    fn a_part_marked_otherwise_refuses_the_whole() {
        let object = report_object(
            ReportKind::Incident,
            Marking::new("DR", ["AES"]),
            Some(Point::new(14.0, 1.0)),
        );
        let exporter = exporter();
        let mut stix = exporter.export(&object).unwrap();
        let secret = Marking::new("S", Vec::<String>::new());
        stix[1]["object_marking_refs"] = json!([exporter.markings().definition_id(&secret)]);
        let outcomes = outcomes_of(&json!({ "objects": stix }), None, &[]);
        let Outcome::Refused(ImportError::MarkingConflict(_)) = &outcomes[0].outcome else {
            panic!("{outcomes:?}");
        };
        assert!(matches!(
            outcomes[1].outcome,
            Outcome::Refused(ImportError::PrimaryRefused(_))
        ));
    }

    #[test]
    fn two_definitions_conflict_and_unknown_ones_fall_back_to_the_default() {
        let exporter = exporter();
        let mut indicator = json!({
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--6ba7b810-9dad-41d1-80b4-00c04fd430c8",
            "created": "2026-11-24T10:00:00.000Z", "modified": "2026-11-24T10:00:00.000Z",
            "name": "Bad domain", "pattern": "[domain-name:value = 'example.org']",
            "pattern_type": "stix", "valid_from": "2026-11-24T10:00:00.000Z",
            "object_marking_refs": [
                exporter.markings().definition_id(&Marking::new("DR", ["AES"])),
                exporter.markings().definition_id(&Marking::new("C", ["AES"])),
            ],
        });
        let outcomes = outcomes_of(&json!({ "objects": [indicator.clone()] }), None, &[]);
        assert!(matches!(
            outcomes[0].outcome,
            Outcome::Refused(ImportError::MarkingConflict(_))
        ));
        indicator["object_marking_refs"] =
            json!(["marking-definition--0a0b8c6e-2f7d-4a5b-9c1d-3e4f5a6b7c8d"]);
        let default = Marking::new("DR", ["BFA"]);
        let outcomes = outcomes_of(&json!({ "objects": [indicator] }), Some(&default), &[]);
        let Outcome::Stored(imported) = &outcomes[0].outcome else {
            panic!("{outcomes:?}")
        };
        assert_eq!(imported.marking, default);
        assert_eq!(imported.marking_source, MarkingSource::Default);
        assert_eq!(imported.report.kind, ReportKind::ThreatWarning);
        assert!(
            imported
                .report
                .body
                .contains("[domain-name:value = 'example.org']")
        );
    }
}

mod fuzz_corpus {
    use super::*;

    #[test]
    fn stix_import_corpus() {
        let dir = workspace_root().join("fuzz/corpus/stix_import");
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|error| panic!("corpus {} is missing: {error}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        entries.sort();
        assert!(
            entries.len() >= 4,
            "corpus {} has only {} inputs",
            dir.display(),
            entries.len()
        );
        for path in entries {
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| check::import_bytes(&data));
            assert!(outcome.is_ok(), "invariant broken by {}", path.display());
        }
    }
}

mod peers {
    use super::*;

    fn python() -> PathBuf {
        let python = std::env::var_os("LIPTAKO_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join(".venv/bin/python"));
        assert!(
            python.exists(),
            "no Python with the STIX peers at {}: run ./scripts/test (it runs scripts/setup-peers), or set LIPTAKO_PYTHON",
            python.display()
        );
        python
    }

    /// Every kind, with and without a location, national and released, plus the meta objects.
    #[test]
    fn every_exported_object_passes_stix2_validator_strict_and_stix2_parses_it() {
        let exporter = exporter();
        let mut objects = exporter.meta_objects(|_| true);
        for kind in ReportKind::ALL {
            for (marking, location) in [
                (Marking::new("DR", ["AES"]), Some(Point::new(15.9, 2.4))),
                (Marking::new("S", Vec::<String>::new()), None),
                (
                    Marking::new("NP", ["BFA", "NER"]),
                    Some(Point::new(-10.5, -170.25)),
                ),
            ] {
                objects.extend(
                    exporter
                        .export(&report_object(kind, marking, location))
                        .unwrap(),
                );
            }
        }
        let n_objects = objects.len();
        let mut child = Command::new(python())
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/validate.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let input = serde_json::to_vec(&objects).unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            use std::io::Write as _;
            stdin.write_all(&input).unwrap();
        });
        let output = child.wait_with_output().unwrap();
        writer.join().unwrap();
        assert!(
            output.status.success(),
            "validate.py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let answer: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(answer["checked"], n_objects);
        let problems = answer["problems"].as_array().unwrap();
        assert!(
            problems.is_empty(),
            "{} problems:\n{}",
            problems.len(),
            problems
                .iter()
                .map(|p| p.as_str().unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
