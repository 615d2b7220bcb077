//! The TAXII 2.1 server and client against real peers:
//!
//! - `taxii2-client` (the OASIS client) walks discovery, the API root and the collections and
//!   pages (`as_pages`) through a collection of many pages whose objects share timestamps (a
//!   report's group of objects has one `date_added`; every report the same `modified`), for
//!   users of every clearance and nation: each gets exactly the objects the marking rule
//!   allows, none lost, none repeated; `stix2-validator --strict` and the `stix2` parser accept
//!   every object served;
//! - every endpoint (objects, manifest, single object, versions, DELETE, `next`) answers a
//!   hidden object like a missing one;
//! - a hostile envelope posted to an inbox gets an error per bad object in the status
//!   resource, and the rest is stored as reports;
//! - medallion (the OASIS reference server) is the external source our client pulls from,
//!   including after a restart of our node.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64ct::{Base64, Encoding};
use http_body_util::BodyExt;
use liptako_model::{
    Body as ObjectBody, Draft, Expect, Marking, Nation, Object, Point, Principal, Report,
    ReportKind, Role,
};
use liptako_node::config::taxii::{InboxSection, SourceSection};
use liptako_node::{Config, Node};
use liptako_stix::{Exporter, TlpTable};
use liptako_store::{WriteOp, WriteOutcome};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

use crate::api::common::{PASSWORD, add_users, init_mli};

fn nation(code: &str) -> Nation {
    Nation::parse(code).unwrap()
}

/// Users: name, nation, clearance, role.
const USERS: [(&str, &str, &str, Role); 6] = [
    ("mli_np", "MLI", "NP", Role::Viewer),
    ("mli_dr", "MLI", "DR", Role::Editor),
    ("bfa_c", "BFA", "C", Role::Viewer),
    ("bfa_np", "BFA", "NP", Role::Viewer),
    ("ner_dr", "NER", "DR", Role::Viewer),
    ("opencti", "MLI", "C", Role::Editor),
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> PathBuf {
    let python = std::env::var_os("LIPTAKO_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"));
    assert!(
        python.exists(),
        "no Python with the TAXII peers at {}: run ./scripts/test (it runs scripts/setup-peers), or set LIPTAKO_PYTHON",
        python.display()
    );
    python
}

pub struct TaxiiNode {
    pub node: Arc<Node>,
    pub app: Router,
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TaxiiNode {
    /// An MLI node of AES on `dir` (initialised if new), served on a loopback port.
    pub async fn start(dir: &Path, tweak: impl FnOnce(&mut Config)) -> TaxiiNode {
        if !dir.join("liptako.toml").exists() {
            init_mli(dir);
            let config = Config::load(dir).unwrap();
            let node = Node::with_config(dir, config).unwrap();
            add_users(&node, &USERS);
        }
        let mut config = Config::load(dir).unwrap();
        config.auth.max_failed_logins = 1000;
        config.http.max_body_bytes = 16 * 1024 * 1024;
        config.taxii.inboxes.push(InboxSection {
            name: "opencti".into(),
            title: None,
            writers: vec!["opencti".into()],
            default_marking: Some(Marking::new("DR", ["AES"])),
        });
        tweak(&mut config);
        let node = Node::with_config(dir, config).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = node.clone();
        let task = tokio::spawn(async move {
            liptako_node::server::serve(serving, listener, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        let app = liptako_node::server::router(node.clone());
        TaxiiNode {
            node,
            app,
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
    }

    pub fn principal(&self, user: &str) -> Principal {
        if user == "admin" {
            return Principal::new("admin", nation("MLI"), "S", Role::Admin);
        }
        let (name, code, clearance, role) = USERS.iter().find(|u| u.0 == user).unwrap();
        Principal::new(name, nation(code), clearance, *role)
    }

    /// Writes reports as this node (origin MLI), all with the same time; returns them.
    pub async fn seed(&self, markings: &[Marking], n_reports: usize) -> Vec<Object> {
        let at = time::macros::datetime!(2026-11-24 10:00:00.000 UTC);
        let mut written = Vec::new();
        let kinds = ReportKind::ALL;
        let mut ops = Vec::new();
        for idx in 0..n_reports {
            let kind = kinds[idx % kinds.len()];
            let marking = markings[idx % markings.len()].clone();
            ops.push(WriteOp::Local {
                draft: Draft {
                    id: Uuid::now_v7(),
                    origin: nation("MLI"),
                    expect: Expect::New,
                    at,
                    marking,
                    valid_until: None,
                    exercise: (idx % 11 == 5).then(|| "Flintlock".to_owned()),
                    body: Some(ObjectBody::Report(Report {
                        kind,
                        title: format!("Report {idx}"),
                        body: format!("Body of report {idx}"),
                        location: (idx % 3 != 0).then(|| Point::new(14.0 + idx as f64 * 1e-3, 1.5)),
                    })),
                },
                actor: "seed".into(),
            });
            if ops.len() == 200 || idx + 1 == n_reports {
                for outcome in self.node.write(std::mem::take(&mut ops)).await.unwrap() {
                    let WriteOutcome::Committed(committed) = outcome else {
                        panic!("seed write: {outcome:?}");
                    };
                    written.push((*committed.object).clone());
                }
            }
        }
        written
    }

    /// What `user` may get: the collection's meta objects up to their clearance and the
    /// export of every real-world report they may see, as (id, version) pairs.
    pub fn expected(&self, user: &str, reports: &[Object]) -> BTreeSet<(String, String)> {
        let principal = self.principal(user);
        let policy = self.node.policy();
        let exporter = Exporter::new(policy, TlpTable::default());
        let levels = policy.levels();
        let cleared = levels.rank(&principal.clearance).unwrap();
        let mut expected = BTreeSet::new();
        let mut add = |value: &Value| {
            let version = value
                .get("modified")
                .or_else(|| value.get("created"))
                .and_then(Value::as_str)
                .unwrap()
                .to_owned();
            assert!(
                expected.insert((value["id"].as_str().unwrap().to_owned(), version)),
                "an id twice in the expected set"
            );
        };
        for value in
            exporter.meta_objects(|marking| levels.rank(&marking.level).unwrap() <= cleared)
        {
            add(&value);
        }
        for object in reports {
            if policy.allows(liptako_model::Audience::reader(&principal, None), object) {
                for value in exporter.export(object).unwrap() {
                    add(&value);
                }
            }
        }
        expected
    }

    /// A TAXII request in-process with HTTP basic; status and JSON body.
    pub async fn taxii(
        &self,
        method: &str,
        path: &str,
        user: &str,
        body: Option<&str>,
    ) -> (StatusCode, Value) {
        let credentials = Base64::encode_string(format!("{user}:{PASSWORD}").as_bytes());
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::ACCEPT, "application/taxii+json;version=2.1")
            .header(header::AUTHORIZATION, format!("Basic {credentials}"));
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/taxii+json;version=2.1");
        }
        let request = request
            .body(body.map_or_else(Body::empty, |text| Body::from(text.to_owned())))
            .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        if (status.is_success() || status.is_client_error())
            && let Some(content_type) = response.headers().get(header::CONTENT_TYPE)
        {
            assert_eq!(content_type, "application/taxii+json;version=2.1");
        }
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value)
    }

    pub fn reports_collection(&self) -> String {
        liptako_stix::ids::named_uuid("collection:reports:MLI")
            .hyphenated()
            .to_string()
    }
}

/// Runs walk.py as `user` with `per_request`; returns its JSON.
fn walk(url: &str, user: &str, per_request: usize) -> Value {
    let output = Command::new(python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/taxii/peers/walk.py"))
        .args([url, user, PASSWORD, &per_request.to_string()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "walk.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The (id, version) of every object of a collection walk, asserting none repeats.
fn served(collection: &Value) -> (BTreeSet<(String, String)>, usize) {
    let mut seen = BTreeSet::new();
    let pages = collection["pages"].as_array().unwrap();
    for page in pages {
        for object in page["objects"].as_array().unwrap() {
            let version = object
                .get("modified")
                .or_else(|| object.get("created"))
                .and_then(Value::as_str)
                .unwrap()
                .to_owned();
            let key = (object["id"].as_str().unwrap().to_owned(), version);
            assert!(seen.insert(key.clone()), "served twice: {key:?}");
        }
    }
    (seen, pages.len())
}

fn markings() -> Vec<Marking> {
    vec![
        Marking::new("NP", ["AES"]),
        Marking::new("DR", ["AES"]),
        Marking::new("DR", Vec::<String>::new()),
        Marking::new("C", ["BFA"]),
        Marking::new("S", ["AES"]),
        Marking::new("NP", ["NER"]),
        Marking::new("DR", ["BFA", "NER"]),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taxii2_client_pages_through_everything_each_user_may_see_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let taxii = TaxiiNode::start(dir.path(), |_| {}).await;
    let reports = taxii.seed(&markings(), 420).await;
    let url = format!("http://{}/taxii2/", taxii.addr);
    for (user, per_request) in [
        ("admin", 37),
        ("bfa_np", 7),
        ("bfa_c", 50),
        ("ner_dr", 13),
        ("mli_np", 100),
    ] {
        let url = url.clone();
        let result = tokio::task::spawn_blocking(move || walk(&url, user, per_request))
            .await
            .unwrap();
        assert_eq!(result["api_roots"].as_array().unwrap().len(), 1);
        assert_eq!(
            result["api_roots"][0]["versions"][0],
            "application/taxii+json;version=2.1"
        );
        let collections = result["collections"].as_array().unwrap();
        let reports_collection = collections
            .iter()
            .find(|c| c["alias"] == "reports")
            .expect("the reports collection is listed");
        // Only the inbox's writer sees the inbox.
        assert_eq!(collections.len(), if user == "opencti" { 2 } else { 1 });
        let (seen, n_pages) = served(reports_collection);
        let expected = taxii.expected(user, &reports);
        assert!(n_pages > 1, "{user}: {n_pages} pages");
        let missing: Vec<_> = expected.difference(&seen).take(5).collect();
        let extra: Vec<_> = seen.difference(&expected).take(5).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{user}: {} served, {} expected; missing {missing:?}; not allowed {extra:?}",
            seen.len(),
            expected.len()
        );
        let pages = reports_collection["pages"].as_array().unwrap();
        assert!(pages.iter().rev().skip(1).all(|page| page["more"] == true));
        assert_eq!(pages.last().unwrap()["more"], false);
        // The manifest lists the same objects, and many of them share a date_added.
        let mut manifest = BTreeMap::new();
        for page in reports_collection["manifest_pages"].as_array().unwrap() {
            for record in page.as_array().unwrap() {
                let key = (
                    record["id"].as_str().unwrap().to_owned(),
                    record["version"].as_str().unwrap().to_owned(),
                );
                assert!(
                    manifest
                        .insert(key, record["date_added"].as_str().unwrap().to_owned())
                        .is_none(),
                    "manifest repeats {record}"
                );
            }
        }
        assert_eq!(manifest.keys().cloned().collect::<BTreeSet<_>>(), expected);
        let distinct_dates: BTreeSet<_> = manifest.values().collect();
        assert!(
            distinct_dates.len() * 2 < manifest.len(),
            "{user}: {} records but {} dates: the test wants shared timestamps",
            manifest.len(),
            distinct_dates.len()
        );
        let problems = result["problems"].as_array().unwrap();
        assert!(
            problems.is_empty(),
            "{user}: {} problems, first: {:?}",
            problems.len(),
            problems.iter().take(5).collect::<Vec<_>>()
        );
    }
    taxii.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_answers_a_hidden_object_like_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let taxii = TaxiiNode::start(dir.path(), |_| {}).await;
    // S, NP, S: the one report a low user sees is followed by a hidden one.
    let reports = taxii
        .seed(
            &[
                Marking::new("S", Vec::<String>::new()),
                Marking::new("NP", ["AES"]),
            ],
            3,
        )
        .await;
    let collection = taxii.reports_collection();
    let secret = reports
        .iter()
        .find(|r| r.meta.marking.level == "S" && r.meta.exercise.is_none())
        .unwrap();
    let open = reports
        .iter()
        .find(|r| r.meta.marking.level == "NP" && r.meta.exercise.is_none())
        .unwrap();
    let exporter = Exporter::new(taxii.node.policy(), TlpTable::default());
    let secret_ids: Vec<String> = exporter
        .export(secret)
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect();
    let open_id = exporter.export(open).unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let missing = format!("report--{}", Uuid::new_v4());
    for user in ["bfa_c", "mli_np", "ner_dr"] {
        for id in secret_ids.iter().chain([&missing]) {
            for path in [
                format!("/taxii2/api/collections/{collection}/objects/{id}/"),
                format!("/taxii2/api/collections/{collection}/objects/{id}/versions/"),
            ] {
                let (status, body) = taxii.taxii("GET", &path, user, None).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{user} {path}: {body}");
                assert_eq!(body, json!({"title": "not found", "http_status": "404"}));
            }
            let (status, _) = taxii
                .taxii(
                    "DELETE",
                    &format!("/taxii2/api/collections/{collection}/objects/{id}/"),
                    user,
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            let (status, body) = taxii
                .taxii(
                    "GET",
                    &format!("/taxii2/api/collections/{collection}/objects/?match[id]={id}"),
                    user,
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(body, json!({}), "{user} match[id]={id}");
            let (_, body) = taxii
                .taxii(
                    "GET",
                    &format!("/taxii2/api/collections/{collection}/manifest/?match[id]={id}"),
                    user,
                    None,
                )
                .await;
            assert_eq!(body, json!({}));
        }
        // A next naming a hidden version is refused like a made-up one.
        let next = format!("r.{}.{}.0", secret.meta.id.simple(), secret.meta.version);
        let (status, _) = taxii
            .taxii(
                "GET",
                &format!("/taxii2/api/collections/{collection}/objects/?next={next}"),
                user,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        // The open report is there for everyone.
        let (status, body) = taxii
            .taxii(
                "GET",
                &format!("/taxii2/api/collections/{collection}/objects/{open_id}/"),
                user,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["objects"][0]["id"], open_id.as_str());
    }
    // One page of one object: `more` is true only while a visible object follows.
    let (_, body) = taxii
        .taxii(
            "GET",
            &format!("/taxii2/api/collections/{collection}/objects/?match[type]=report&limit=1"),
            "bfa_c",
            None,
        )
        .await;
    let (_, all) = taxii
        .taxii(
            "GET",
            &format!("/taxii2/api/collections/{collection}/objects/?match[type]=report&limit=5"),
            "bfa_c",
            None,
        )
        .await;
    assert_eq!(body["objects"].as_array().unwrap().len(), 1, "{all}");
    assert_eq!(all["objects"].as_array().unwrap().len(), 1, "{all:#}");
    assert_eq!(
        body.get("more"),
        None,
        "the only visible report is last: {body}"
    );
    // The origin's editor deletes; a viewer may not; afterwards it is gone.
    let path = format!("/taxii2/api/collections/{collection}/objects/{open_id}/");
    let (status, _) = taxii.taxii("DELETE", &path, "mli_np", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = taxii.taxii("DELETE", &path, "mli_dr", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = taxii.taxii("GET", &path, "mli_dr", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Without credentials, or with wrong ones: 401 with a challenge.
    let request = Request::builder()
        .uri("/taxii2/")
        .body(Body::empty())
        .unwrap();
    let response = taxii.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get(header::WWW_AUTHENTICATE).is_some());
    taxii.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_envelope_gets_an_error_per_bad_object_and_the_rest_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let taxii = TaxiiNode::start(dir.path(), |_| {}).await;
    let inbox = liptako_stix::ids::named_uuid("collection:inbox:opencti")
        .hyphenated()
        .to_string();
    let base = |id: &str, object_type: &str| {
        json!({"type": object_type, "spec_version": "2.1", "id": id,
               "created": "2026-11-24T10:00:00.000Z", "modified": "2026-11-24T10:00:00.000Z"})
    };
    let mut indicator = base(
        "indicator--6ba7b810-9dad-41d1-80b4-00c04fd430c8",
        "indicator",
    );
    indicator["name"] = json!("Drone launch site");
    indicator["pattern"] = json!("[domain-name:value = 'example.org']");
    indicator["pattern_type"] = json!("stix");
    indicator["valid_from"] = json!("2026-11-24T10:00:00Z");
    let mut location = base("location--0a0b8c6e-2f7d-4a5b-9c1d-3e4f5a6b7c8d", "location");
    location["latitude"] = json!(15.5);
    location["longitude"] = json!(1.25);
    let mut located = base(
        "relationship--1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b",
        "relationship",
    );
    located["relationship_type"] = json!("located-at");
    located["source_ref"] = json!("indicator--6ba7b810-9dad-41d1-80b4-00c04fd430c8");
    located["target_ref"] = json!("location--0a0b8c6e-2f7d-4a5b-9c1d-3e4f5a6b7c8d");
    let mut person = base("identity--718293a4-b5c6-4e7f-80f1-6c7d8e9fa0b1", "identity");
    person["name"] = json!("Someone");
    person["identity_class"] = json!("individual");
    let mut bad_time = base("note--60718293-a4b5-4d6e-9fe0-5b6c7d8e9fa0", "note");
    bad_time["modified"] = json!("2026-02-30T99:00:00Z");
    bad_time["content"] = json!("x");
    let mut secret = base("note--8293a4b5-c6d7-4f80-91a2-7d8e9fa0b1c2", "note");
    secret["content"] = json!("above the poster's clearance");
    let exporter = Exporter::new(taxii.node.policy(), TlpTable::default());
    secret["object_marking_refs"] = json!([exporter
        .markings()
        .definition_id(&Marking::new("S", ["AES"]))]);
    let deep = format!(
        "{{\"type\":\"note\",\"id\":\"note--93a4b5c6-d7e8-4f91-a2b3-8e9fa0b1c2d3\",\"x\":{}{}}}",
        "[".repeat(3000),
        "]".repeat(3000)
    );
    let mut huge = base("note--a4b5c6d7-e8f9-4a02-b3c4-9fa0b1c2d3e4", "note");
    huge["content"] = json!("z".repeat(40_000));
    let unknown = base(
        "x-unknown--b5c6d7e8-f9a0-4b13-84d5-a0b1c2d3e4f5",
        "x-unknown",
    );
    let envelope = format!(
        "{{\"objects\":[{indicator},{location},{located},{person},{bad_time},{secret},{deep},{huge},{unknown}]}}"
    );
    let path = format!("/taxii2/api/collections/{inbox}/objects/");
    // Only the inbox's writer may post.
    let (status, _) = taxii.taxii("POST", &path, "mli_dr", Some(&envelope)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = taxii.taxii("POST", &path, "opencti", Some(&envelope)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "complete");
    assert_eq!(body["total_count"], 9);
    assert_eq!(body["success_count"], 3, "{body:#}");
    assert_eq!(body["failure_count"], 6, "{body:#}");
    let failure = |id: &str| {
        body["failures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap_or_else(|| panic!("no failure for {id}: {body:#}"))["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(
        failure("identity--718293a4-b5c6-4e7f-80f1-6c7d8e9fa0b1").contains("individual people")
    );
    assert!(failure("note--60718293-a4b5-4d6e-9fe0-5b6c7d8e9fa0").contains("modified"));
    assert!(failure("note--8293a4b5-c6d7-4f80-91a2-7d8e9fa0b1c2").contains("above your clearance"));
    assert!(
        failure("note--a4b5c6d7-e8f9-4a02-b3c4-9fa0b1c2d3e4")
            .contains("body: is 40000 characters long")
    );
    assert!(
        failure("x-unknown--b5c6d7e8-f9a0-4b13-84d5-a0b1c2d3e4f5")
            .contains("unsupported object type")
    );
    let deep_failure = body["failures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "")
        .unwrap();
    assert!(
        deep_failure["message"]
            .as_str()
            .unwrap()
            .contains("recursion limit")
    );
    // The status resource is there for its poster only.
    let status_path = format!("/taxii2/api/status/{}/", body["id"].as_str().unwrap());
    let (status, again) = taxii.taxii("GET", &status_path, "opencti", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, body);
    let (status, _) = taxii.taxii("GET", &status_path, "mli_dr", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The indicator is an ordinary report, with the relationship's location, marked by the
    // inbox's default, visible through the API and the reports collection.
    let id = liptako_stix::ids::import_uuid("indicator--6ba7b810-9dad-41d1-80b4-00c04fd430c8");
    let stored = taxii.node.get_object(id).await.unwrap().expect("stored");
    let ObjectBody::Report(report) = &stored.object.body else {
        panic!()
    };
    assert_eq!(report.kind, ReportKind::ThreatWarning);
    assert_eq!(report.title, "Drone launch site");
    assert_eq!(report.location, Some(Point::new(15.5, 1.25)));
    assert_eq!(stored.object.meta.marking, Marking::new("DR", ["AES"]));
    let report_id = format!("report--{}", liptako_stix::ids::report_uuid(id));
    let collection = taxii.reports_collection();
    let (status, body) = taxii
        .taxii(
            "GET",
            &format!("/taxii2/api/collections/{collection}/objects/{report_id}/"),
            "ner_dr",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Posting the same again changes nothing.
    let (_, body) = taxii.taxii("POST", &path, "opencti", Some(&envelope)).await;
    assert_eq!(body["success_count"], 3);
    let again = taxii.node.get_object(id).await.unwrap().unwrap();
    assert_eq!(again.object.meta.version, 1);
    taxii.stop().await;
}

pub struct Medallion {
    child: Child,
    pub url: String,
}

impl Drop for Medallion {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub const MEDALLION_COLLECTION: &str = "91a7b528-80eb-42ed-a74d-c6fbd5a26116";

/// medallion on a free loopback port, with `objects` in one collection (memory backend),
/// each added at the time `date_added` gives it.
#[allow(clippy::zombie_processes)] // the child is reaped by Medallion's Drop
pub fn medallion(
    dir: &Path,
    objects: &[Value],
    date_added: impl Fn(&Value) -> String,
) -> Medallion {
    let manifest: Vec<Value> = objects
        .iter()
        .map(|o| {
            json!({"id": o["id"], "date_added": date_added(o), "version": o["modified"],
                        "media_type": "application/stix+json;version=2.1"})
        })
        .collect();
    let data = json!({
        "/discovery": {"title": "medallion", "default": "http://127.0.0.1/api1/", "api_roots": ["http://127.0.0.1/api1/"]},
        "api1": {
            "information": {"title": "api1", "versions": ["application/taxii+json;version=2.1"], "max_content_length": 104857600},
            "status": [],
            "collections": [{
                "id": MEDALLION_COLLECTION, "title": "intel", "can_read": true, "can_write": true,
                "media_types": ["application/stix+json;version=2.1"],
                "objects": objects, "manifest": manifest,
            }],
        },
    });
    let data_path = dir.join("medallion-data.json");
    std::fs::write(&data_path, data.to_string()).unwrap();
    let config = json!({
        "backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend", "filename": data_path},
        "users": {"puller": "medallion-pw"},
        "taxii": {"max_page_size": 1000},
    });
    let config_path = dir.join("medallion.json");
    std::fs::write(&config_path, config.to_string()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let medallion = python().with_file_name("medallion");
    let child = Command::new(&medallion)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .arg(&config_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {}: {err}", medallion.display()));
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Medallion {
                child,
                url: format!("http://127.0.0.1:{port}/api1/"),
            };
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("medallion did not listen on {port}");
}

fn indicator(idx: usize) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--{}", Uuid::from_u128(0x1234_5678_9abc_4def_8000_0000_0000_0000 + idx as u128)),
        "created": "2026-11-20T08:00:00.000Z", "modified": "2026-11-20T08:00:00.000Z",
        "name": format!("Indicator {idx}"),
        "pattern": format!("[ipv4-addr:value = '198.51.100.{}']", idx % 250),
        "pattern_type": "stix", "valid_from": "2026-11-20T08:00:00Z",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_pulls_from_medallion_and_resumes_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let medallion_dir = tempfile::tempdir().unwrap();
    let mut objects: Vec<Value> = (0..250).map(indicator).collect();
    // One an individual: refused and counted.
    objects.push(json!({"type": "identity", "spec_version": "2.1",
        "id": "identity--718293a4-b5c6-4e7f-80f1-6c7d8e9fa0b1",
        "created": "2026-11-20T08:00:00.000Z", "modified": "2026-11-20T08:00:00.000Z",
        "name": "Someone", "identity_class": "individual"}));
    let first_added = |_: &Value| "2026-11-20T09:00:00.000000Z".to_owned();
    let server = medallion(medallion_dir.path(), &objects, first_added);
    let source = SourceSection {
        name: "medallion".into(),
        api_root: server.url.clone(),
        collection: MEDALLION_COLLECTION.into(),
        username: Some("puller".into()),
        password: Some("medallion-pw".into()),
        token: None,
        every: "1h".parse().unwrap(),
        page: 40,
        default_marking: Marking::new("DR", ["AES"]),
        ca: None,
    };
    let with_source = |config: &mut Config| config.taxii.sources.push(source.clone());
    let taxii = TaxiiNode::start(dir.path(), with_source).await;
    // The scheduled pull runs at start; wait for the 250 reports.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let count = |node: &Arc<Node>| {
        (0..250)
            .filter(|idx| {
                let stix_id = indicator(*idx)["id"].as_str().unwrap().to_owned();
                node.store()
                    .get(liptako_stix::ids::import_uuid(&stix_id))
                    .unwrap()
                    .is_some()
            })
            .count()
    };
    while count(&taxii.node) < 250 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "pulled only {}",
            count(&taxii.node)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let state_path = dir.path().join("taxii-sources/medallion.json");
    let state: Value = serde_json::from_slice(&std::fs::read(&state_path).unwrap()).unwrap();
    assert_eq!(
        state["added_after"], "2026-11-20T09:00:00.000000Z",
        "{state}"
    );
    assert_eq!(state["next"], Value::Null);
    let metrics = taxii.node.metrics().render();
    assert!(
        metrics.contains(
            "liptako_taxii_source_objects_total{source=\"medallion\",result=\"stored\"} 250"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("result=\"individual\"} 1"), "{metrics}");
    let first = taxii
        .node
        .store()
        .get(liptako_stix::ids::import_uuid(
            indicator(0)["id"].as_str().unwrap(),
        ))
        .unwrap()
        .unwrap();
    assert_eq!(first.object.meta.marking, Marking::new("DR", ["AES"]));
    taxii.stop().await;

    // Restart our node: the pull resumes from added_after and takes nothing again.
    let taxii = TaxiiNode::start(dir.path(), with_source).await;
    let exporter = Exporter::new(taxii.node.policy(), TlpTable::default());
    let tlp = [];
    let pulled = liptako_node::taxii::client::pull(&taxii.node, &source, &exporter, &tlp)
        .await
        .unwrap();
    assert_eq!(pulled, 0, "nothing new after {}", state["added_after"]);
    let again = taxii
        .node
        .store()
        .get(liptako_stix::ids::import_uuid(
            indicator(0)["id"].as_str().unwrap(),
        ))
        .unwrap()
        .unwrap();
    assert_eq!(again.object.meta.version, 1, "not written again");
    taxii.stop().await;
    drop(server);

    // medallion comes back with 50 objects added a day later: the next pull takes only those.
    let mut more = objects.clone();
    more.extend((250..300).map(indicator));
    let data_dir = tempfile::tempdir().unwrap();
    let server = medallion(data_dir.path(), &more, |object| {
        let idx: usize = object["name"]
            .as_str()
            .and_then(|name| name.strip_prefix("Indicator "))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if idx >= 250 {
            "2026-11-21T09:00:00.000000Z"
        } else {
            "2026-11-20T09:00:00.000000Z"
        }
        .to_owned()
    });
    let taxii = TaxiiNode::start(dir.path(), |_| {}).await;
    let mut source = source.clone();
    source.api_root = server.url.clone();
    let pulled = liptako_node::taxii::client::pull(&taxii.node, &source, &exporter, &tlp)
        .await
        .unwrap();
    assert_eq!(pulled, 50);
    let state: Value = serde_json::from_slice(&std::fs::read(&state_path).unwrap()).unwrap();
    assert_eq!(state["added_after"], "2026-11-21T09:00:00.000000Z");
    taxii.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_interrupted_mid_way_resumes_from_the_saved_next_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let medallion_dir = tempfile::tempdir().unwrap();
    let objects: Vec<Value> = (0..100).map(indicator).collect();
    let server = medallion(medallion_dir.path(), &objects, |_| {
        "2026-11-20T09:00:00.000000Z".to_owned()
    });
    // A first page of 40 taken by a node that then stopped: medallion's `next` is in its
    // state file, as our client writes it after each page.
    let url = format!(
        "{}collections/{MEDALLION_COLLECTION}/objects/?limit=40",
        server.url
    );
    let output = Command::new(python())
        .args([
            "-c",
            "import sys, requests; r = requests.get(sys.argv[1], auth=('puller', 'medallion-pw'), \
             headers={'Accept': 'application/taxii+json;version=2.1'}); print(r.json()['next'])",
            &url,
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let next = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let state_dir = dir.path().join("taxii-sources");
    std::fs::create_dir_all(&state_dir).unwrap();
    std::fs::write(
        state_dir.join("medallion.json"),
        json!({"next": next, "pulling_since": null, "added_after": null, "last_seen": null})
            .to_string(),
    )
    .unwrap();
    let source = SourceSection {
        name: "medallion".into(),
        api_root: server.url.clone(),
        collection: MEDALLION_COLLECTION.into(),
        username: Some("puller".into()),
        password: Some("medallion-pw".into()),
        token: None,
        every: "1h".parse().unwrap(),
        page: 40,
        default_marking: Marking::new("NP", ["AES"]),
        ca: None,
    };
    let taxii = TaxiiNode::start(dir.path(), |config| {
        config.taxii.sources.push(source.clone())
    })
    .await;
    let held = |node: &Arc<Node>, range: std::ops::Range<usize>| {
        range
            .filter(|idx| {
                let stix_id = indicator(*idx)["id"].as_str().unwrap().to_owned();
                node.store()
                    .get(liptako_stix::ids::import_uuid(&stix_id))
                    .unwrap()
                    .is_some()
            })
            .count()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while held(&taxii.node, 40..100) < 60 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "resumed pull took {}",
            held(&taxii.node, 40..100)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The pull went on from the saved `next`: the first page was not asked for again.
    assert_eq!(held(&taxii.node, 0..40), 0);
    let state: Value =
        serde_json::from_slice(&std::fs::read(state_dir.join("medallion.json")).unwrap()).unwrap();
    assert_eq!(state["next"], Value::Null);
    assert_eq!(state["added_after"], "2026-11-20T09:00:00.000000Z");
    taxii.stop().await;
}
