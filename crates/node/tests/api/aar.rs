//! After-action reports (`GET /api/v1/aar`): every item passes the one decision for the caller
//! (an NP user's report holds nothing above NP and is marked with the highest NP-visible
//! marking), a scripted pursuit lists the crossing, the acknowledgement and its delay (and a
//! support request's decision and its delay), the
//! HTML fetches nothing, and the PDF renders (pypdfium2, an independent renderer).

use std::path::PathBuf;

use axum::body::Body as HttpBody;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use liptako_model::{
    Acknowledgement, Area, Body, Draft, Expect, Marking, Meta, Object, Operation, OperationStatus,
    Point, PursuitNotice, Report, ReportKind, Unit,
};
use liptako_store::{ReplicaEntry, WriteOp};
use serde_json::Value;
use time::OffsetDateTime;
use tower::ServiceExt;
use uuid::Uuid;

use super::common::{TestNode, nation};

/// Along latitude 15.3 the Natural Earth MLI/NER border is at longitude 1.82.
const LAT: f64 = 15.3;

fn marking(level: &str, releasable: &[&str]) -> Marking {
    Marking::new(level, releasable.iter().copied())
}

/// Writes `body` as this (MLI) node's object `id` at `at`.
fn write(
    node: &TestNode,
    id: Uuid,
    at: OffsetDateTime,
    marking: Marking,
    exercise: Option<&str>,
    body: Body,
    expect: Expect,
) {
    let outcome = node
        .node
        .store()
        .write(vec![WriteOp::Local {
            draft: Draft {
                id,
                origin: nation("MLI"),
                expect,
                at,
                marking,
                valid_until: None,
                exercise: exercise.map(str::to_owned),
                body: Some(body),
            },
            actor: "test".into(),
        }])
        .unwrap();
    assert_eq!(outcome.len(), 1);
}

fn report(kind: ReportKind, title: &str, lon: f64) -> Body {
    Body::Report(Report {
        kind,
        title: title.into(),
        body: String::new(),
        location: Some(Point::new(LAT, lon)),
    })
}

fn unit(lon: f64) -> Body {
    Body::Unit(Unit {
        callsign: "FALCON 1".into(),
        symbol: None,
        position: Some(Point::new(LAT, lon)),
        course_deg: None,
        speed_mps: None,
    })
}

fn operation(name: &str, start: OffsetDateTime, units: Vec<Uuid>) -> Body {
    Body::Operation(Box::new(Operation {
        name: name.into(),
        lead_nation: nation("MLI"),
        participating_nations: vec![nation("MLI"), nation("NER")],
        area: serde_json::from_value::<Area>(serde_json::json!({"type": "Polygon",
            "coordinates": [[[0.5, 14.5], [4.0, 14.5], [4.0, 16.0], [0.5, 16.0], [0.5, 14.5]]]}))
        .unwrap(),
        start,
        end: start + time::Duration::hours(6),
        status: OperationStatus::Active,
        units,
        intent: "Poursuivre le groupe armé à l'est de Ménaka.".into(),
    }))
}

/// A GET with `token`: status, headers' `x-liptako-pages`, body bytes.
async fn get(node: &TestNode, uri: &str, token: &str) -> (StatusCode, Option<String>, Vec<u8>) {
    let request = Request::builder()
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(HttpBody::empty())
        .unwrap();
    let response = node.app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let pages = response
        .headers()
        .get("x-liptako-pages")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let bytes = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, pages, bytes)
}

async fn json(node: &TestNode, uri: &str, token: &str) -> Value {
    let (status, _, bytes) = get(node, uri, token).await;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    assert_eq!(status, StatusCode::OK, "{uri}: {text}");
    serde_json::from_slice(&bytes).unwrap()
}

fn texts(report: &Value) -> Vec<String> {
    report["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["text"].as_str().unwrap().to_owned())
        .collect()
}

/// Checks that an HTML report needs nothing from anywhere.
pub fn assert_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    for needle in [
        "http://", "https://", "src=", "href=", "<script", "url(", "@import", "<link",
    ] {
        assert!(!lower.contains(needle), "the HTML contains {needle:?}");
    }
    assert!(lower.contains("content-security-policy"));
}

#[tokio::test]
async fn an_np_users_report_holds_nothing_above_np_and_is_marked_np() {
    let node = TestNode::new().await;
    let t0 = OffsetDateTime::now_utc() - time::Duration::hours(2);
    let minutes = |n: i64| t0 + time::Duration::minutes(n);
    let (op_id, unit_id) = (Uuid::new_v4(), Uuid::new_v4());
    let np_all = marking("NP", &["AES"]);
    write(
        &node,
        unit_id,
        minutes(1),
        np_all.clone(),
        None,
        unit(1.2),
        Expect::New,
    );
    write(
        &node,
        op_id,
        minutes(2),
        np_all.clone(),
        None,
        operation("SAHEL SHIELD", t0, vec![unit_id]),
        Expect::New,
    );
    write(
        &node,
        unit_id,
        minutes(10),
        np_all.clone(),
        None,
        unit(3.0),
        Expect::Version(1),
    );
    write(
        &node,
        Uuid::new_v4(),
        minutes(15),
        np_all.clone(),
        None,
        report(ReportKind::Incident, "np incident", 2.0),
        Expect::New,
    );
    // Hostile text is shown as text.
    write(
        &node,
        Uuid::new_v4(),
        minutes(15),
        np_all.clone(),
        None,
        report(
            ReportKind::SpotReport,
            "<script>alert(1)</script><img onerror=alert(2)> (a) \\ b",
            2.0,
        ),
        Expect::New,
    );
    write(
        &node,
        Uuid::new_v4(),
        minutes(16),
        marking("S", &[]),
        None,
        report(ReportKind::Incident, "secret incident", 2.1),
        Expect::New,
    );
    write(
        &node,
        Uuid::new_v4(),
        minutes(17),
        marking("DR", &["AES"]),
        None,
        report(ReportKind::CivilianHarm, "dr civilian harm", 2.2),
        Expect::New,
    );
    write(
        &node,
        Uuid::new_v4(),
        minutes(18),
        marking("C", &["NER"]),
        None,
        report(ReportKind::ProtectionWarning, "c protected site", 2.3),
        Expect::New,
    );
    write(
        &node,
        Uuid::new_v4(),
        minutes(19),
        np_all.clone(),
        Some("SAHEL 27"),
        report(ReportKind::Incident, "exercise incident", 2.4),
        Expect::New,
    );
    // An operation only a C reader sees.
    let hidden_op = Uuid::new_v4();
    write(
        &node,
        hidden_op,
        minutes(3),
        marking("C", &[]),
        None,
        operation("HIDDEN", t0, vec![]),
        Expect::New,
    );

    let np = node.login("mli_np").await;
    let admin = node.login("admin").await;
    let ner_dr = node.login("ner_dr").await;
    let uri = format!("/api/v1/aar?operation={op_id}&format=json&lang=en");

    let seen_np = json(&node, &uri, &np).await;
    let titles = texts(&seen_np);
    assert!(titles.contains(&"np incident".to_owned()), "{titles:?}");
    for hidden in [
        "secret incident",
        "dr civilian harm",
        "c protected site",
        "exercise incident",
    ] {
        assert!(
            !titles.iter().any(|title| title == hidden),
            "NP sees {hidden}: {titles:?}"
        );
    }
    assert_eq!(seen_np["marking"]["level"], "NP", "{seen_np}");
    assert_eq!(seen_np["marking_line"], "NP REL AES");
    for event in seen_np["events"].as_array().unwrap() {
        assert_eq!(event["marking"]["level"], "NP", "{event}");
    }
    assert_eq!(seen_np["figures"]["civilian_harm_reports"], 0);
    assert_eq!(seen_np["figures"]["protection_warnings"], 0);
    // The unit's crossing, from its positions.
    assert!(
        seen_np["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|event| event["kind"] == "border_crossing"
                && event["detail"].as_str().unwrap().starts_with("MLI → NER")),
        "{seen_np}"
    );

    let seen_admin = json(&node, &uri, &admin).await;
    let titles = texts(&seen_admin);
    for shown in [
        "np incident",
        "secret incident",
        "dr civilian harm",
        "c protected site",
    ] {
        assert!(
            titles.contains(&shown.to_owned()),
            "admin misses {shown}: {titles:?}"
        );
    }
    assert!(!titles.contains(&"exercise incident".to_owned()));
    assert_eq!(seen_admin["marking_line"], "S NATIONAL");
    assert_eq!(seen_admin["figures"]["civilian_harm_reports"], 1);
    assert_eq!(seen_admin["figures"]["protection_warnings"], 1);

    // A partner's DR liaison: what is released to NER up to DR, marked so.
    let seen_ner = json(&node, &uri, &ner_dr).await;
    let titles = texts(&seen_ner);
    assert!(
        titles.contains(&"dr civilian harm".to_owned()),
        "{titles:?}"
    );
    assert!(!titles.contains(&"c protected site".to_owned()));
    assert_eq!(seen_ner["marking_line"], "DR REL AES");

    // The HTML says the same, at the top and the bottom, and fetches nothing.
    let (status, _, html) = get(&node, &format!("/api/v1/aar?operation={op_id}"), &np).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    assert_self_contained(&html);
    assert_eq!(
        html.matches("class=\"marking\">NP REL AES<").count(),
        2,
        "{html}"
    );
    assert!(!html.contains("secret incident") && html.contains("np incident"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img onerror=alert(2)&gt;"));
    // ... and the PDF of the same renders it as text.
    let (status, _, pdf) = get(
        &node,
        &format!("/api/v1/aar?operation={op_id}&format=pdf"),
        &np,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let pages = render_pdf(&pdf);
    let all: String = pages.iter().map(|(_, text)| text.as_str()).collect();
    assert!(all.contains("<script>alert(1)</script>"), "{all}");
    assert!(!all.contains("secret incident"));
    assert!(html.contains("Compte rendu après action"));

    // An exercise's world is reported only when asked for, and says EXERCISE.
    let exercise = json(
        &node,
        "/api/v1/aar?exercise=SAHEL%2027&format=json&lang=en",
        &np,
    )
    .await;
    assert_eq!(texts(&exercise), vec!["exercise incident".to_owned()]);
    assert!(
        exercise["marking_line"]
            .as_str()
            .unwrap()
            .contains("EXERCISE SAHEL 27")
    );

    // Doors: an operation the caller may not see is a 404 like a missing one; bad input 400;
    // a window with nothing in it 422.
    let (status, _, _) = get(&node, &format!("/api/v1/aar?operation={hidden_op}"), &np).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = get(
        &node,
        &format!("/api/v1/aar?operation={}", Uuid::new_v4()),
        &admin,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = get(
        &node,
        &format!("/api/v1/aar?operation={hidden_op}&format=json"),
        &admin,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for bad in [
        "/api/v1/aar",
        "/api/v1/aar?operation=nope",
        "/api/v1/aar?from=yesterday",
        "/api/v1/aar?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
        "/api/v1/aar?from=2026-01-01T00:00:00Z&format=docx",
        "/api/v1/aar?from=2026-01-01T00:00:00Z&lang=de",
        "/api/v1/aar?from=2026-01-01T00:00:00Z&bbox=1,2,3",
        "/api/v1/aar?from=2026-01-01T00:00:00Z&color=red",
    ] {
        let (status, _, body) = get(&node, bad, &admin).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let (status, _, body) = get(
        &node,
        "/api/v1/aar?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z",
        &admin,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let (status, _, _) = get(&node, &uri, "not-a-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// The Python with the peers (pypdfium2): `LIPTAKO_PYTHON`, else the workspace venv.
fn python() -> PathBuf {
    let python = std::env::var_os("LIPTAKO_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python")
        });
    assert!(
        python.exists(),
        "no Python with pypdfium2 at {}: run ./scripts/test (it runs scripts/setup-peers), or set LIPTAKO_PYTHON",
        python.display()
    );
    python
}

/// Renders every page of `pdf` with PDFium (pypdfium2) and returns, per page, the share of
/// pixels that are not white, and the page's text.
pub fn render_pdf(pdf: &[u8]) -> Vec<(f64, String)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aar.pdf");
    std::fs::write(&path, pdf).unwrap();
    // Grey levels of every pixel; "ink" is the share darker than near-white.
    let script = r#"
import json, sys
import pypdfium2 as pdfium
doc = pdfium.PdfDocument(sys.argv[1])
pages = []
for page in doc:
    bitmap = page.render(scale=1, grayscale=True)
    raw = bytes(bitmap.buffer)
    n = bitmap.n_channels
    ink = 0
    for y in range(bitmap.height):
        row = raw[y * bitmap.stride : y * bitmap.stride + bitmap.width * n]
        ink += len(row.translate(None, bytes(range(250, 256))))
    text = page.get_textpage().get_text_range()
    pages.append({"ink": ink / (bitmap.width * bitmap.height * n), "text": text})
print(json.dumps(pages))
"#;
    let output = std::process::Command::new(python())
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "pypdfium2 could not render the PDF: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let pages: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    pages
        .into_iter()
        .map(|page| {
            (
                page["ink"].as_f64().unwrap(),
                page["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_scripted_pursuit_lists_the_crossing_the_acknowledgement_and_its_delay_and_its_pdf_renders()
 {
    let node = TestNode::new().await;
    let t0 = OffsetDateTime::now_utc() - time::Duration::hours(1);
    let seconds = |n: i64| t0 + time::Duration::seconds(n);
    let (op_id, unit_id, notice_id) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let to_ner = marking("DR", &["NER"]);
    write(
        &node,
        unit_id,
        seconds(10),
        to_ner.clone(),
        None,
        unit(1.2),
        Expect::New,
    );
    write(
        &node,
        op_id,
        seconds(20),
        to_ner.clone(),
        None,
        operation("SAHEL SHIELD", t0, vec![unit_id]),
        Expect::New,
    );
    for (n, lon) in [1.5, 1.815, 1.825, 1.812, 2.2, 3.0].into_iter().enumerate() {
        write(
            &node,
            unit_id,
            seconds(300 + 30 * n as i64),
            to_ner.clone(),
            None,
            unit(lon),
            Expect::Any,
        );
    }
    // The notice MLI's node raised when the unit was clearly in, and NER's acknowledgement,
    // received over federation 95 s later.
    let crossing_time = seconds(420);
    let raised = seconds(425);
    write(
        &node,
        notice_id,
        raised,
        to_ner.clone(),
        None,
        Body::PursuitNotice(Box::new(PursuitNotice {
            operation: op_id,
            units: vec![unit_id],
            nation_entered: nation("NER"),
            crossing_point: Point::new(LAT, 2.2),
            crossing_time,
            direction_deg: 90.0,
            depth_km: 1.5,
            max_depth_km: 1.5,
            limits_exceeded: Vec::new(),
            ended: None,
            track: Vec::new(),
        })),
        Expect::New,
    );
    let acked = raised + time::Duration::seconds(95);
    let ack = Object {
        meta: Meta {
            id: Uuid::new_v4(),
            origin: nation("NER"),
            version: 1,
            created: acked,
            updated: acked,
            valid_until: None,
            marking: marking("DR", &["MLI"]),
            exercise: None,
            deleted: false,
        },
        body: Body::Acknowledgement(Acknowledgement {
            refers_to: notice_id,
            by: "ner_watch".into(),
            text: "Vu ; patrouille nigérienne informée.".into(),
        }),
    };
    node.node
        .store()
        .write(vec![WriteOp::Replica {
            peer: nation("NER"),
            origin: nation("NER"),
            seq: 1,
            entry: ReplicaEntry::Version(Box::new(ack)),
            at: acked + time::Duration::seconds(2),
            attestation: Vec::new(),
        }])
        .unwrap();
    // A support request to NER, answered (approved) ten minutes later.
    let request_id = Uuid::new_v4();
    let request: Body = serde_json::from_value(serde_json::json!({
        "type": "support_request", "category": "helicopter", "purpose": "medevac",
        "priority": "urgent", "addressed_to": ["NER"], "location": {"lat": LAT, "lon": 2.0},
        "start": "2026-01-01T00:00:00Z", "end": "2030-01-01T00:00:00Z", "operation": op_id,
        "description": "Évacuation sanitaire de deux blessés"}))
    .unwrap();
    write(
        &node,
        request_id,
        seconds(600),
        to_ner.clone(),
        None,
        request,
        Expect::New,
    );
    let answered = seconds(1200);
    let answer = Object {
        meta: Meta {
            id: Uuid::new_v4(),
            origin: nation("NER"),
            version: 1,
            created: answered,
            updated: answered,
            valid_until: None,
            marking: marking("DR", &["MLI"]),
            exercise: None,
            deleted: false,
        },
        body: serde_json::from_value(serde_json::json!({"type": "support_response",
            "refers_to": request_id, "decision": "approved", "by": "ner_ops",
            "text": "Puma en route"}))
        .unwrap(),
    };
    node.node
        .store()
        .write(vec![WriteOp::Replica {
            peer: nation("NER"),
            origin: nation("NER"),
            seq: 2,
            entry: ReplicaEntry::Version(Box::new(answer)),
            at: answered + time::Duration::seconds(1),
            attestation: Vec::new(),
        }])
        .unwrap();
    // A secret report the DR watch officer never sees.
    write(
        &node,
        Uuid::new_v4(),
        seconds(500),
        marking("S", &[]),
        None,
        report(ReportKind::Incident, "secret", 2.5),
        Expect::New,
    );

    let dr = node.login("mli_dr").await;
    let report = json(
        &node,
        &format!("/api/v1/aar?operation={op_id}&format=json&lang=en"),
        &dr,
    )
    .await;
    let events = report["events"].as_array().unwrap();
    let kinds: Vec<&str> = events
        .iter()
        .map(|event| event["kind"].as_str().unwrap())
        .collect();
    let crossing = events
        .iter()
        .find(|event| event["kind"] == "border_crossing")
        .unwrap_or_else(|| panic!("no crossing: {kinds:?}"));
    assert!(
        crossing["detail"]
            .as_str()
            .unwrap()
            .starts_with("MLI → NER"),
        "{crossing}"
    );
    assert_eq!(crossing["text"], "FALCON 1");
    // The notice names the crossing: no second line for the same crossing from positions.
    assert_eq!(
        kinds
            .iter()
            .filter(|kind| **kind == "border_crossing")
            .count(),
        1,
        "{kinds:?}"
    );
    let ack_line = events
        .iter()
        .find(|event| event["kind"] == "pursuit_acknowledged")
        .unwrap_or_else(|| panic!("no acknowledgement: {kinds:?}"));
    assert_eq!(ack_line["nation"], "NER");
    assert_eq!(ack_line["delay_s"], 95.0);
    assert_eq!(report["figures"]["pursuit_notices"], 1);
    assert_eq!(report["figures"]["pursuit_ack_median_s"], 95.0);
    assert_eq!(report["figures"]["pursuit_ack_delays"][0]["nation"], "NER");
    assert!(!texts(&report).contains(&"secret".to_owned()));
    // The support request's decision and its delay.
    let answer_line = events
        .iter()
        .find(|event| event["kind"] == "support_answer")
        .unwrap_or_else(|| panic!("no answer: {kinds:?}"));
    assert_eq!(answer_line["delay_s"], 600.0);
    assert!(
        answer_line["detail"]
            .as_str()
            .unwrap()
            .starts_with("approved")
    );
    assert_eq!(report["figures"]["support_requests"], 1);
    assert_eq!(report["figures"]["support_decision_median_s"], 600.0);
    assert_eq!(report["marking_line"], "DR REL NER");
    let moments: Vec<&str> = report["maps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|frame| frame["moment"].as_str().unwrap())
        .collect();
    assert_eq!(moments, vec!["first", "crossing", "last"]);
    // In order: the crossing, then the notice, then its acknowledgement.
    let position = |kind: &str| kinds.iter().position(|k| *k == kind).unwrap();
    assert!(position("border_crossing") < position("pursuit_notice"));
    assert!(position("pursuit_notice") < position("pursuit_acknowledged"));

    // HTML in French: self-contained, the acknowledgement and its delay.
    let (status, _, html) = get(
        &node,
        &format!("/api/v1/aar?operation={op_id}&lang=fr"),
        &dr,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    assert_self_contained(&html);
    assert!(
        html.contains("Avis de poursuite accusé") && html.contains("après 1 min 35 s"),
        "{html}"
    );
    assert!(html.contains("<svg") && html.contains("FALCON 1"));

    // PDF: rendered by PDFium, every page has ink, the count is ours, the marking is on each.
    let (status, pages, pdf) = get(
        &node,
        &format!("/api/v1/aar?operation={op_id}&format=pdf"),
        &dr,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.starts_with(b"%PDF-"));
    let n_pages: usize = pages.unwrap().parse().unwrap();
    // To look at them: LIPTAKO_AAR_DUMP=DIR.
    if let Some(dump) = std::env::var_os("LIPTAKO_AAR_DUMP") {
        std::fs::write(PathBuf::from(&dump).join("aar.pdf"), &pdf).unwrap();
        std::fs::write(PathBuf::from(&dump).join("aar.html"), &html).unwrap();
    }
    let rendered = render_pdf(&pdf);
    assert_eq!(rendered.len(), n_pages);
    assert!(
        n_pages >= 2,
        "maps and timeline take more than a page: {n_pages}"
    );
    for (idx, (ink, text)) in rendered.iter().enumerate() {
        assert!(*ink > 0.01, "page {} is blank ({ink})", idx + 1);
        assert_eq!(
            text.matches("DR REL NER").count(),
            2,
            "page {}: {text}",
            idx + 1
        );
        assert!(
            text.contains(&format!("Page {} / {n_pages}", idx + 1)),
            "{text}"
        );
    }
    let all: String = rendered.iter().map(|(_, text)| text.as_str()).collect();
    assert!(all.contains("Avis de poursuite accusé"), "{all}");
    assert!(
        all.contains("1 min 35 s") && all.contains("FALCON 1"),
        "{all}"
    );
    assert!(!all.contains("secret"));
    eprintln!(
        "AAR PDF: {} bytes, {n_pages} pages, ink per page {:?}",
        pdf.len(),
        rendered
            .iter()
            .map(|(ink, _)| (ink * 1000.0).round() / 1000.0)
            .collect::<Vec<_>>()
    );
}
