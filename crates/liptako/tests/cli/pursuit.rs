//! Issue 14: a pursuit across the MLI/NER border, on three federated real nodes. An MLI unit
//! engaged in an MLI-led operation is moved through the API across the border (riding the line
//! first), NER's node holds the one notice within 10 s and BFA's never does; NER acknowledges;
//! MLI sees it; going deeper than the agreement raises the alert on both sides; coming back
//! ends the notice with its track. The audit log shows the release. `liptako aar` on MLI's data
//! directory reports the crossing, the acknowledgement and its delay; its PDF renders
//! (pypdfium2).

use std::path::Path;
use std::time::{Duration, Instant};

use liptako_loadgen::cluster::Cluster;
use serde_json::{Value, json};

use super::util::BIN;

const MLI: usize = 0;
const BFA: usize = 1;
const NER: usize = 2;
const WAIT: Duration = Duration::from_secs(60);

/// Along latitude 15.3, the Natural Earth MLI/NER border is at longitude 1.82, and then runs
/// nearly along the parallel: longitude 1.9 is 300 m inside NER, 2.1 is 1.1 km, 3.0 is 4.4 km.
const LAT: f64 = 15.3;

fn move_unit(c: &Cluster, id: &str, lon: f64) {
    let (status, current) = c
        .call(MLI, "GET", &format!("/api/v1/units/{id}"), None)
        .unwrap();
    assert_eq!(status, 200, "{current}");
    let mut change = current.clone();
    change["position"] = json!({"lat": LAT, "lon": lon});
    let (status, answer) = c
        .call(MLI, "PUT", &format!("/api/v1/units/{id}"), Some(&change))
        .unwrap();
    assert_eq!(status, 200, "{answer}");
}

fn notice(c: &Cluster, node: usize, id: &str) -> Option<Value> {
    match c
        .call(node, "GET", &format!("/api/v1/pursuit-notices/{id}"), None)
        .unwrap()
    {
        (200, notice) => Some(notice),
        _ => None,
    }
}

/// Renders every page of the PDF at `path` with PDFium (pypdfium2, the Python of the peers:
/// `LIPTAKO_PYTHON`, else the workspace venv): per page, the share of pixels darker than
/// near-white, and its text.
fn render_pdf(path: &Path) -> Vec<(f64, String)> {
    let python = std::env::var_os("LIPTAKO_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"));
    assert!(
        python.exists(),
        "no Python with pypdfium2 at {}: run ./scripts/test (it runs scripts/setup-peers), or set LIPTAKO_PYTHON",
        python.display()
    );
    let script = r#"
import json, sys
import pypdfium2 as pdfium
pages = []
for page in pdfium.PdfDocument(sys.argv[1]):
    bitmap = page.render(scale=1, grayscale=True)
    raw, n = bytes(bitmap.buffer), bitmap.n_channels
    ink = 0
    for y in range(bitmap.height):
        row = raw[y * bitmap.stride : y * bitmap.stride + bitmap.width * n]
        ink += len(row.translate(None, bytes(range(250, 256))))
    pages.append([ink / (bitmap.width * bitmap.height * n), page.get_textpage().get_text_range()])
print(json.dumps(pages))
"#;
    let output = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "pypdfium2 could not render the PDF: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let pages: Vec<(f64, String)> = serde_json::from_slice(&output.stdout).unwrap();
    pages
}

fn alerts(c: &Cluster, node: usize) -> Vec<String> {
    c.holdings(node, "reports")
        .unwrap()
        .values()
        .filter(|report| report["kind"] == "pursuit_alert")
        .map(|report| report["title"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn a_pursuit_into_ner_is_notified_acknowledged_limited_and_ended() {
    let dir = tempfile::tempdir().unwrap();
    let c = Cluster::new(
        Path::new(BIN),
        dir.path(),
        &["MLI", "BFA", "NER"],
        &[(MLI, BFA, "C"), (MLI, NER, "C"), (BFA, NER, "C")],
    )
    .unwrap();

    // Bad input first: clear 400s and 405s.
    let (status, answer) = c
        .call(
            MLI,
            "POST",
            "/api/v1/operations",
            Some(
                &json!({"name": "x", "lead_nation": "MLI", "participating_nations": ["MLI"],
                "area": {"type": "Polygon", "coordinates": [[[1,15],[2,15],[2,16],[1,15]]]},
                "start": "2026-12-07T00:00:00Z", "end": "2026-12-06T00:00:00Z",
                "status": "active", "marking": {"level": "DR", "releasable_to": []}}),
            ),
        )
        .unwrap();
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["message"].as_str().unwrap().contains("end"),
        "{answer}"
    );
    let (status, answer) = c
        .call(MLI, "POST", "/api/v1/pursuit-notices", Some(&json!({})))
        .unwrap();
    assert_eq!(status, 405, "{answer}");

    let unit = c
        .create(
            MLI,
            "units",
            &json!({"callsign": "FALCON 1", "position": {"lat": LAT, "lon": 1.2},
                    "marking": {"level": "DR", "releasable_to": []}}),
        )
        .unwrap();
    let unit_id = unit["id"].as_str().unwrap().to_owned();
    // National to MLI: the notice widens it to NER, and to nobody else.
    let operation = c
        .create(
            MLI,
            "operations",
            &json!({"name": "SAHEL SHIELD", "lead_nation": "MLI",
                    "participating_nations": ["MLI", "NER"],
                    "area": {"type": "MultiPolygon", "coordinates": [
                        [[[0.5,14.5],[2.5,14.5],[2.5,16.0],[0.5,16.0],[0.5,14.5]]],
                        [[[3.0,14.5],[6.0,14.5],[6.0,16.0],[3.0,14.5]]]]},
                    "start": "2026-01-01T00:00:00Z", "end": "2030-01-01T00:00:00Z",
                    "status": "active", "units": [unit_id.clone()],
                    "intent": "Pursue the armed group east of Ménaka.",
                    "marking": {"level": "DR", "releasable_to": []}}),
        )
        .unwrap();
    let operation_id = operation["id"].as_str().unwrap().to_owned();
    assert_eq!(operation["status"], "active");
    assert_eq!(operation["area"]["type"], "MultiPolygon");

    // Riding the line (every position within 1 km of it), then clearly in.
    for lon in [1.5, 1.815, 1.825, 1.812, 1.828, 1.818, 1.826] {
        move_unit(&c, &unit_id, lon);
    }
    assert!(c.ids(MLI, "pursuit-notices").unwrap().is_empty());
    move_unit(&c, &unit_id, 3.0);
    let crossed = Instant::now();
    c.wait_until(WAIT, |c| Ok(c.ids(NER, "pursuit-notices")?.len() == 1))
        .unwrap();
    let took = crossed.elapsed();
    assert!(
        took < Duration::from_secs(10),
        "NER held the notice after {took:?}"
    );
    eprintln!("NER held the pursuit notice {took:?} after the crossing was written on MLI");
    // Riding the line from inside (300 m from it) raises nothing more.
    for lon in [1.9, 2.3, 1.95] {
        move_unit(&c, &unit_id, lon);
    }
    let ids = c.ids(MLI, "pursuit-notices").unwrap();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let notice_id = ids.into_iter().next().unwrap();
    let raised = notice(&c, NER, &notice_id).unwrap();
    assert_eq!(raised["origin"], "MLI");
    assert_eq!(raised["operation"], operation_id.as_str());
    assert_eq!(raised["units"][0], unit_id.as_str());
    assert_eq!(raised["nation_entered"], "NER");
    assert_eq!(raised["marking"]["releasable_to"], json!(["NER"]));
    assert!(raised["crossing_time"].is_string());
    assert!(raised["depth_km"].as_f64().unwrap() > 4.0, "{raised}");
    assert!(raised["workflow"]["acknowledged"].is_null(), "{raised}");

    // BFA never gets it: a sentinel created after it, released to all, reaches BFA first.
    let sentinel = c
        .create(
            MLI,
            "reports",
            &json!({"kind": "incident", "title": "sentinel",
                    "marking": {"level": "NP", "releasable_to": ["AES"]}}),
        )
        .unwrap();
    let sentinel_id = sentinel["id"].as_str().unwrap().to_owned();
    c.wait_until(WAIT, |c| Ok(c.ids(BFA, "reports")?.contains(&sentinel_id)))
        .unwrap();
    assert!(c.ids(BFA, "pursuit-notices").unwrap().is_empty());
    assert_eq!(notice(&c, BFA, &notice_id), None);

    // Only NER acknowledges, on its own node.
    let (status, answer) = c
        .call(
            MLI,
            "POST",
            &format!("/api/v1/pursuit-notices/{notice_id}/acknowledge"),
            None,
        )
        .unwrap();
    assert_eq!(status, 403, "{answer}");
    let (status, ack) = c
        .call(
            NER,
            "POST",
            &format!("/api/v1/pursuit-notices/{notice_id}/acknowledge"),
            Some(&json!({"text": "Seen; NER patrol informed."})),
        )
        .unwrap();
    assert_eq!(status, 201, "{ack}");
    assert_eq!(ack["origin"], "NER");
    assert_eq!(ack["refers_to"], notice_id.as_str());
    assert_eq!(ack["marking"]["releasable_to"], json!(["MLI"]));
    let (status, again) = c
        .call(
            NER,
            "POST",
            &format!("/api/v1/pursuit-notices/{notice_id}/acknowledge"),
            None,
        )
        .unwrap();
    assert_eq!((status, &again["id"]), (200, &ack["id"]));
    c.wait_until(WAIT, |c| {
        Ok(notice(c, MLI, &notice_id)
            .is_some_and(|n| n["workflow"]["acknowledged"]["nation"] == "NER"))
    })
    .unwrap();
    let seen = notice(&c, MLI, &notice_id).unwrap();
    assert_eq!(seen["workflow"]["acknowledged"]["by"], "admin");
    assert_eq!(
        seen["workflow"]["acknowledged"]["text"],
        "Seen; NER patrol informed."
    );
    assert_eq!(seen["workflow"]["raised"]["nation"], "MLI");

    // Deeper than the agreement's 100 km: the alert, on both sides, and the notice says so.
    move_unit(&c, &unit_id, 5.5);
    c.wait_until(WAIT, |c| {
        Ok(alerts(c, MLI).iter().any(|t| t.contains("deeper"))
            && alerts(c, NER).iter().any(|t| t.contains("deeper")))
    })
    .unwrap();
    c.wait_until(WAIT, |c| {
        Ok(notice(c, NER, &notice_id)
            .is_some_and(|n| n["workflow"]["limits_exceeded"] == json!(["depth"])))
    })
    .unwrap();
    assert!(alerts(&c, BFA).is_empty());

    // Back home: ended, with the track of the incursion, on both sides.
    move_unit(&c, &unit_id, 1.2);
    c.wait_until(WAIT, |c| {
        Ok(notice(c, NER, &notice_id).is_some_and(|n| n["workflow"]["ended"].is_string()))
    })
    .unwrap();
    let ended = notice(&c, NER, &notice_id).unwrap();
    assert!(ended["track"].as_array().unwrap().len() >= 4, "{ended}");
    assert!(ended["max_depth_km"].as_f64().unwrap() > 100.0, "{ended}");
    assert_eq!(c.ids(MLI, "pursuit-notices").unwrap().len(), 1);

    // The after-action report of the operation, from MLI's data directory beside the running
    // node: the crossing, NER's acknowledgement and its delay; its PDF renders.
    let data = c.members[MLI].dir.to_str().unwrap().to_owned();
    let aar = |format: &str, out: &Path| {
        let output = std::process::Command::new(BIN)
            .args([
                "aar",
                "--data",
                &data,
                "--user",
                "admin",
                "--operation",
                &operation_id,
            ])
            .args([
                "--format",
                format,
                "--lang",
                "en",
                "--out",
                out.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "liptako aar: {stderr}");
        stderr
    };
    let json_path = dir.path().join("aar.json");
    aar("json", &json_path);
    let report: Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    let events = report["events"].as_array().unwrap();
    let crossing = events
        .iter()
        .find(|event| event["kind"] == "border_crossing")
        .unwrap_or_else(|| panic!("no crossing in {report}"));
    assert!(
        crossing["detail"]
            .as_str()
            .unwrap()
            .starts_with("MLI → NER"),
        "{crossing}"
    );
    assert_eq!(crossing["text"], "FALCON 1");
    let ack_line = events
        .iter()
        .find(|event| event["kind"] == "pursuit_acknowledged")
        .unwrap_or_else(|| panic!("no acknowledgement in {report}"));
    assert_eq!(ack_line["nation"], "NER");
    let delay = ack_line["delay_s"].as_f64().unwrap();
    assert!(delay > 0.0 && delay < 120.0, "{ack_line}");
    assert_eq!(
        report["figures"]["pursuit_ack_median_s"].as_f64(),
        Some(delay)
    );
    assert!(
        events.iter().any(|event| event["kind"] == "pursuit_ended"),
        "{report}"
    );
    assert!(
        report["maps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|frame| frame["moment"] == "crossing"),
        "{report}"
    );
    eprintln!("AAR: NER acknowledged the notice {delay:.1} s after it was raised");
    let html_path = dir.path().join("aar.html");
    aar("html", &html_path);
    let html = std::fs::read_to_string(&html_path)
        .unwrap()
        .to_ascii_lowercase();
    for needle in ["http://", "https://", "src=", "href=", "<script"] {
        assert!(
            !html.contains(needle),
            "the HTML report contains {needle:?}"
        );
    }
    let pdf_path = dir.path().join("aar.pdf");
    let log = aar("pdf", &pdf_path);
    let pages: usize = log
        .split_whitespace()
        .find_map(|word| word.strip_prefix("pages="))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no page count in {log}"));
    let rendered = render_pdf(&pdf_path);
    assert_eq!(rendered.len(), pages, "{rendered:?}");
    let marking = report["marking_line"].as_str().unwrap();
    for (idx, (ink, text)) in rendered.iter().enumerate() {
        assert!(*ink > 0.01, "page {} is blank", idx + 1);
        assert_eq!(text.matches(marking).count(), 2, "page {}: {text}", idx + 1);
    }

    // The audit log of MLI shows the notice's release to NER, and none to BFA.
    let (_, audit) = c
        .call(MLI, "GET", "/api/v1/audit?action=release&partner=NER", None)
        .unwrap();
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|entry| entry["object_id"] == notice_id.as_str()),
        "{audit}"
    );
    let (_, audit) = c
        .call(MLI, "GET", "/api/v1/audit?action=release&partner=BFA", None)
        .unwrap();
    assert!(
        !audit
            .as_array()
            .unwrap()
            .iter()
            .any(|entry| entry["object_id"] == notice_id.as_str()),
        "{audit}"
    );
}
