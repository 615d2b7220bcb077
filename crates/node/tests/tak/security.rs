//! Regression tests of the TAK server's part of the security findings (issue 11), in-process
//! with our own byte-level client; `crates/liptako/tests/cli/tak_security.rs` repeats them with
//! real processes and pytak. Each test is named after its finding:
//! - #3: a session keeps speaking for its user only while the account says so (disabled: closed
//!   at once; demoted: sees only what the new principal may, and sends under it);
//! - #7: a device uid or callsign belongs to the client that claimed it first; impostors are
//!   refused and never receive what is directed at it;
//! - #8: what anonymous clients store is bounded, and national unless the node lets it federate.

use std::time::Duration;

use liptako_cot::chat::GeoChat;
use liptako_cot::{Event, Point, encode_xml};
use liptako_store::{SqliteStore, Store, WriteOp};
use serde_json::{Value, json};

use super::common::{PASSWORD, RawClient, TakNode, sa_xml};

const WAIT: Duration = Duration::from_secs(10);

/// Connects over TLS with `user`'s certificate.
async fn tls_client(node: &TakNode, user: &str) -> RawClient {
    let cert = node.client_cert(user);
    let dir = cert.p12.parent().unwrap().to_owned();
    let mut client = RawClient::connect_tls(node, Some((&dir, &user.to_uppercase())))
        .await
        .unwrap();
    client.until("protouid", WAIT).await;
    client
}

/// Changes a user account through the node's store, as `PUT /api/v1/users/{name}` does: the
/// commit hook puts the name on the bus.
fn change_user(node: &TakNode, name: &str, change: impl FnOnce(&mut liptako_store::UserRecord)) {
    let mut record = node.node.store().user(name).unwrap().unwrap();
    change(&mut record);
    node.node
        .store()
        .write(vec![WriteOp::PutUser(record)])
        .unwrap();
}

/// A position report that is not a device's own (no `takv`, no `__group`): it claims nothing.
fn without_device(xml: String) -> String {
    xml.replace(r#"<takv platform="ATAK-CIV" version="4.10"/>"#, "")
        .replace(r#"<__group name="Cyan" role="Team Member"/>"#, "")
}

/// A marker of `uid` marked `access` (releasable to all members), to probe who receives what.
fn marker(uid: &str, access: &str) -> String {
    without_device(sa_xml(
        uid,
        uid,
        14.0,
        1.0,
        &format!(r#" access="{access}" releaseableTo="AES""#),
    ))
    .replace("a-f-G-U-C", "a-h-G")
}

/// A friendly unit's position report that is not a device's own.
fn unit_report(uid: &str, callsign: &str, lat: f64, lon: f64) -> String {
    without_device(sa_xml(uid, callsign, lat, lon, ""))
}

async fn create_report(node: &TakNode, token: &str, title: &str, level: &str) -> String {
    let (status, created) = node
        .call(
            "POST",
            "/api/v1/reports",
            Some(token),
            Some(json!({"kind": "incident", "title": title,
                        "location": {"lat": 14.2, "lon": 1.1},
                        "marking": {"level": level, "releasable_to": ["AES"]}})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

fn uids(events: &[Event]) -> Vec<&str> {
    events.iter().map(|event| event.uid.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_3_a_disabled_users_sessions_are_closed_at_once() {
    let node = TakNode::start(|config| config.cot.tcp_password_auth = true).await;
    let mut certificate = tls_client(&node, "bfa_c").await;
    let mut logged_in = RawClient::connect(node.tcp()).await;
    logged_in
        .send(
            format!(r#"<auth><cot username="ner_dr" password="{PASSWORD}" uid="ANDROID-ner" callsign="NER"/></auth>"#)
                .as_bytes(),
        )
        .await;
    let mut bystander = tls_client(&node, "mli_c").await;
    // The login is done once a DR marker reaches the logged-in client.
    bystander.send(marker("dr-probe", "DR").as_bytes()).await;
    logged_in.until("dr-probe", WAIT).await;

    change_user(&node, "bfa_c", |user| user.disabled = true);
    change_user(&node, "ner_dr", |user| user.disabled = true);
    assert!(
        certificate.closed_within(WAIT).await,
        "the TLS session of a disabled user stayed open"
    );
    assert!(
        logged_in.closed_within(WAIT).await,
        "the <auth> session of a disabled user stayed open"
    );
    assert_eq!(node.metric("liptako_tak_sessions_revoked_total"), 2);
    assert_eq!(
        node.metric_reaches("liptako_tak_disconnects_total{reason=\"revoked\"}", 2)
            .await,
        2
    );
    // Everyone else is still served.
    bystander.send(marker("still-here", "NP").as_bytes()).await;
    let mut other = tls_client(&node, "ner_s").await;
    other.until("still-here", WAIT).await;
    // A changed user who stays enabled keeps their session.
    change_user(&node, "ner_s", |user| user.clearance = "C".into());
    bystander
        .send(marker("after-change", "NP").as_bytes())
        .await;
    other.until("after-change", WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_3_a_password_reset_ends_the_sessions_opened_with_the_old_password() {
    let node = TakNode::start(|config| config.cot.tcp_password_auth = true).await;
    let mut logged_in = RawClient::connect(node.tcp()).await;
    logged_in
        .send(
            format!(r#"<auth><cot username="ner_dr" password="{PASSWORD}" uid="ANDROID-ner" callsign="NER"/></auth>"#)
                .as_bytes(),
        )
        .await;
    // The same user's certificate session: a password reset does not touch it.
    let mut certificate = tls_client(&node, "ner_dr").await;
    let mut bystander = tls_client(&node, "mli_c").await;
    bystander.send(marker("dr-probe", "DR").as_bytes()).await;
    logged_in.until("dr-probe", WAIT).await;
    certificate.until("dr-probe", WAIT).await;

    let admin = node.login("admin").await;
    let (status, body) = node
        .call(
            "PUT",
            "/api/v1/users/ner_dr",
            Some(&admin),
            Some(json!({"password": "a-brand-new-password"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        logged_in.closed_within(WAIT).await,
        "the <auth> session outlived the password it was opened with"
    );
    assert_eq!(node.metric("liptako_tak_sessions_revoked_total"), 1);
    bystander.send(marker("after-reset", "NP").as_bytes()).await;
    certificate.until("after-reset", WAIT).await;
    // The new password opens a new session.
    let mut again = RawClient::connect(node.tcp()).await;
    again
        .send(
            br#"<auth><cot username="ner_dr" password="a-brand-new-password" uid="ANDROID-ner2" callsign="NER2"/></auth>"#,
        )
        .await;
    bystander.send(marker("dr-probe-2", "DR").as_bytes()).await;
    again.until("dr-probe-2", WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_3_a_demoted_user_sees_and_sends_only_what_the_new_principal_may() {
    let node = TakNode::start(|_| {}).await;
    let editor = node.login("mli_c").await;
    let confidential = create_report(&node, &editor, "confidential", "C").await;
    let public = create_report(&node, &editor, "public", "NP").await;
    let mut demoted = tls_client(&node, "bfa_c").await;
    demoted
        .until_all(&[confidential.as_str(), public.as_str()], WAIT)
        .await;
    let mut bystander = tls_client(&node, "mli_c").await;

    change_user(&node, "bfa_c", |user| user.clearance = "NP".into());
    // What it may no longer see is deleted from its map, and only that.
    let mut deleted = Vec::new();
    while deleted.is_empty() {
        let event = demoted.next_event(WAIT).await.expect("a deletion");
        if event.event_type == "t-x-d-d" {
            deleted.extend(
                event
                    .detail
                    .links
                    .iter()
                    .filter_map(|link| link.uid.clone()),
            );
        }
    }
    assert_eq!(deleted, vec![confidential.clone()]);
    assert_eq!(node.metric("liptako_tak_principal_changes_total"), 1);

    // New objects reach it under its new clearance.
    let secret_now = create_report(&node, &editor, "dr after", "DR").await;
    let public_now = create_report(&node, &editor, "np after", "NP").await;
    let seen = demoted.until(&public_now, WAIT).await;
    assert!(
        !uids(&seen).contains(&secret_now.as_str()),
        "{:?}",
        uids(&seen)
    );

    // What it sends is checked against its new clearance.
    demoted.send(marker("c-from-demoted", "C").as_bytes()).await;
    demoted
        .send(marker("np-from-demoted", "NP").as_bytes())
        .await;
    let seen = bystander.until("np-from-demoted", WAIT).await;
    assert!(
        !uids(&seen).contains(&"c-from-demoted"),
        "{:?}",
        uids(&seen)
    );
    assert_eq!(
        node.metric("liptako_tak_refused_total{reason=\"above_clearance\"}"),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_3_a_change_written_by_another_process_is_seen_within_the_recheck() {
    let node = TakNode::start(|config| config.cot.user_recheck = "1s".parse().unwrap()).await;
    let mut client = tls_client(&node, "mli_dr").await;
    // `liptako user ...` writes the database file directly: nothing reaches this node's bus.
    let path = node.node.config().store_path(node.dir.path());
    let other_process = SqliteStore::open(&path, None).unwrap();
    let mut record = other_process.user("mli_dr").unwrap().unwrap();
    record.disabled = true;
    other_process.write(vec![WriteOp::PutUser(record)]).unwrap();
    drop(other_process);
    assert!(client.closed_within(Duration::from_secs(5)).await);
    assert_eq!(node.metric("liptako_tak_sessions_revoked_total"), 1);
}

/// A GeoChat from `sender_uid` to the client holding `to_uid` / `to_callsign`.
fn direct_chat(
    sender_uid: &str,
    sender: &str,
    to_uid: &str,
    to_callsign: &str,
    id: &str,
) -> Vec<u8> {
    let now = liptako_node::tak::convert::cot_time(time::OffsetDateTime::now_utc());
    let chat = GeoChat {
        message_id: id.into(),
        sender_uid: sender_uid.into(),
        sender_callsign: sender.into(),
        room_id: to_uid.into(),
        room_name: to_callsign.into(),
        text: format!("for {to_callsign} only"),
        time: now,
        stale: now.plus_ms(120_000),
        point: Point::new(14.0, 1.0),
        dest_callsigns: vec![to_callsign.into()],
    };
    encode_xml(&chat.to_event())
}

/// A marker sent to one callsign with `<marti><dest>`.
fn directed_marker(uid: &str, to_callsign: &str) -> String {
    marker(uid, "NP").replace(
        "</detail>",
        &format!(r#"<marti><dest callsign="{to_callsign}"/></marti></detail>"#),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_7_an_impostor_never_takes_or_receives_what_is_directed_at_a_user() {
    let node = TakNode::start(|_| {}).await;
    let mut victim = tls_client(&node, "bfa_c").await;
    victim
        .send(sa_xml("ANDROID-victim", "VICTIM", 14.5, 0.5, "").as_bytes())
        .await;
    let mut sender = tls_client(&node, "mli_c").await;
    sender.until("ANDROID-victim", WAIT).await;

    let mut impostor = RawClient::connect(node.tcp()).await;
    // Its uid, moved elsewhere; its callsign on another uid; both in <auth>; a unit named so.
    impostor
        .send(sa_xml("ANDROID-victim", "IMPOSTOR", 10.0, 10.0, "").as_bytes())
        .await;
    impostor
        .send(sa_xml("ANDROID-impostor", "VICTIM", 10.0, 10.0, "").as_bytes())
        .await;
    impostor
        .send(br#"<auth><cot uid="ANDROID-victim" callsign="VICTIM"/></auth>"#)
        .await;
    impostor
        .send(unit_report("fake-unit", "VICTIM", 10.0, 10.0).as_bytes())
        .await;
    impostor
        .send(&direct_chat(
            "ANDROID-victim",
            "VICTIM",
            "ANDROID-sender",
            "SENDER",
            "forged",
        ))
        .await;
    impostor
        .send(marker("impostor-done", "NP").as_bytes())
        .await;
    let seen = sender.until("impostor-done", WAIT).await;
    let forged: Vec<&Event> = seen
        .iter()
        .filter(|event| {
            event.uid == "ANDROID-victim"
                || event.uid == "fake-unit"
                || event.uid.contains("forged")
                || (event.uid == "ANDROID-impostor" && event.callsign() == Some("VICTIM"))
        })
        .collect();
    assert!(forged.is_empty(), "{forged:?}");

    // What is directed at the victim reaches the victim alone.
    sender
        .send(&direct_chat(
            "ANDROID-sender",
            "SENDER",
            "ANDROID-victim",
            "VICTIM",
            "m1",
        ))
        .await;
    sender
        .send(directed_marker("marker-for-victim", "VICTIM").as_bytes())
        .await;
    sender.send(marker("end", "NP").as_bytes()).await;
    let chat_uid = "GeoChat.ANDROID-sender.ANDROID-victim.m1";
    victim
        .until_all(&[chat_uid, "marker-for-victim"], WAIT)
        .await;
    let seen = impostor.until("end", WAIT).await;
    assert!(
        !uids(&seen)
            .iter()
            .any(|uid| *uid == chat_uid || *uid == "marker-for-victim"),
        "{:?}",
        uids(&seen)
    );
    // The victim's position is where the victim put it.
    let mut late = RawClient::connect(node.tcp()).await;
    let snapshot = late.until("ANDROID-victim", WAIT).await;
    let position = snapshot.last().unwrap();
    assert_eq!(
        (position.point.lat_deg, position.point.lon_deg),
        (14.5, 0.5)
    );
    assert_eq!(position.callsign(), Some("VICTIM"));
    assert!(node.metric("liptako_tak_refused_total{reason=\"uid_taken\"}") >= 3);
    assert!(node.metric("liptako_tak_refused_total{reason=\"callsign_taken\"}") >= 2);

    // Gone, the victim keeps its callsign for a while: an anonymous client cannot take it.
    drop(victim);
    tokio::time::sleep(Duration::from_millis(300)).await;
    impostor
        .send(sa_xml("ANDROID-impostor", "VICTIM", 10.0, 10.0, "").as_bytes())
        .await;
    sender
        .send(directed_marker("second-for-victim", "VICTIM").as_bytes())
        .await;
    sender.send(marker("end-2", "NP").as_bytes()).await;
    let seen = impostor.until("end-2", WAIT).await;
    assert!(
        !uids(&seen).contains(&"second-for-victim"),
        "{:?}",
        uids(&seen)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_7_a_user_takes_back_what_an_anonymous_client_claimed_and_anonymous_clients_keep_theirs()
 {
    let node = TakNode::start(|_| {}).await;
    let mut squatter = RawClient::connect(node.tcp()).await;
    squatter
        .send(sa_xml("ANDROID-alpha", "ALPHA", 10.0, 10.0, "").as_bytes())
        .await;
    let mut guest = RawClient::connect(node.tcp()).await;
    guest
        .send(sa_xml("ANDROID-guest", "GUEST", 11.0, 11.0, "").as_bytes())
        .await;
    let mut sender = tls_client(&node, "mli_c").await;
    sender
        .until_all(&["ANDROID-alpha", "ANDROID-guest"], WAIT)
        .await;
    // Another anonymous client cannot take the guest's callsign.
    squatter
        .send(sa_xml("ANDROID-alpha", "GUEST", 10.0, 10.0, "").as_bytes())
        .await;

    // The user whose device this is connects: uid and callsign are theirs.
    let mut owner = tls_client(&node, "mli_dr").await;
    owner
        .send(sa_xml("ANDROID-alpha", "ALPHA", 14.5, 0.5, "").as_bytes())
        .await;
    let seen = sender.until("ANDROID-alpha", WAIT).await;
    assert_eq!(seen.last().unwrap().point.lat_deg, 14.5);
    assert_eq!(node.metric("liptako_tak_identities_taken_back_total"), 2);
    // The squatter cannot take it again.
    squatter
        .send(sa_xml("ANDROID-alpha", "ALPHA", 10.0, 10.0, "").as_bytes())
        .await;

    sender
        .send(directed_marker("for-alpha", "ALPHA").as_bytes())
        .await;
    sender
        .send(directed_marker("for-guest", "GUEST").as_bytes())
        .await;
    sender.send(marker("end", "NP").as_bytes()).await;
    owner.until("for-alpha", WAIT).await;
    guest.until("for-guest", WAIT).await;
    let seen = squatter.until("end", WAIT).await;
    let seen = uids(&seen);
    assert!(
        !seen.contains(&"for-alpha") && !seen.contains(&"for-guest"),
        "{seen:?}"
    );
    assert!(node.metric("liptako_tak_refused_total{reason=\"callsign_taken\"}") >= 1);
    assert!(node.metric("liptako_tak_refused_total{reason=\"uid_taken\"}") >= 1);
}

/// Friendly units with distinct uids, as an anonymous flood would send them.
fn unit_reports(n: usize) -> String {
    (0..n)
        .map(|idx| unit_report(&format!("unit-{idx}"), &format!("U{idx}"), 14.0, 1.0))
        .collect()
}

/// The TAK units an admin sees in `GET /api/v1/units`.
async fn stored_units(node: &TakNode) -> Vec<Value> {
    let token = node.login("admin").await;
    let (status, page) = node
        .call("GET", "/api/v1/units?limit=1000", Some(&token), None)
        .await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_8_anonymous_units_are_few_and_national_by_default() {
    let node = TakNode::start(|config| {
        config.cot.events_per_second = 100_000;
        config.cot.event_burst = 100_000;
    })
    .await;
    let share = liptako_node::config::cot::DEFAULT_ANONYMOUS_MAX_UIDS;
    let mut flood = RawClient::connect(node.tcp()).await;
    flood.send(unit_reports(1_200).as_bytes()).await;
    flood.finish(WAIT).await;
    assert_eq!(
        node.metric_reaches("liptako_tak_units_stored_total", share as u64)
            .await,
        share as u64
    );
    assert_eq!(
        node.metric_reaches("liptako_tak_picture_full_total", 1_200 - share as u64)
            .await,
        1_200 - share as u64
    );
    let units = stored_units(&node).await;
    assert_eq!(units.len(), share);
    for unit in &units {
        assert_eq!(
            unit["marking"],
            json!({"level": "NP", "releasable_to": []}),
            "{unit}"
        );
    }
    // A partner's user on this node does not see them; this node's users do.
    let token = node.login("bfa_c").await;
    let (_, page) = node.call("GET", "/api/v1/units", Some(&token), None).await;
    assert_eq!(page["items"], json!([]));
    // A certificate user's units keep the marking they were sent with.
    let mut user = tls_client(&node, "mli_dr").await;
    user.send(sa_xml("ANDROID-user", "USER", 14.0, 1.0, "").as_bytes())
        .await;
    user.finish(WAIT).await;
    assert_eq!(
        node.metric_reaches("liptako_tak_units_stored_total", share as u64 + 1)
            .await,
        share as u64 + 1
    );
    let units = stored_units(&node).await;
    let unit = units
        .iter()
        .find(|unit| unit["callsign"] == "USER")
        .unwrap();
    assert_eq!(
        unit["marking"],
        json!({"level": "NP", "releasable_to": ["AES"]})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_8_a_node_may_keep_anonymous_units_off_its_store() {
    let node = TakNode::start(|config| config.cot.anonymous.store_units = false).await;
    let mut anonymous = RawClient::connect(node.tcp()).await;
    anonymous.send(unit_reports(3).as_bytes()).await;
    // Still on the map of the node's other clients.
    let mut other = RawClient::connect(node.tcp()).await;
    other.until("unit-2", WAIT).await;
    anonymous.finish(WAIT).await;
    let mut user = tls_client(&node, "mli_dr").await;
    user.send(sa_xml("ANDROID-user", "USER", 14.0, 1.0, "").as_bytes())
        .await;
    user.finish(WAIT).await;
    node.metric_reaches("liptako_tak_units_stored_total", 1)
        .await;
    let units = stored_units(&node).await;
    let callsigns: Vec<&str> = units
        .iter()
        .filter_map(|unit| unit["callsign"].as_str())
        .collect();
    assert_eq!(callsigns, vec!["USER"]);
}
