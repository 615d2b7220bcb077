//! The sending side: partners connect to this node's federation listener (HTTP/2 over mutual
//! TLS) and pull. For each partner stream, a task walks this node's per-origin logs from the
//! partner's cursors and decides every entry **here, at the sender**, with the link rule:
//!
//! - a version is released only if the partner may hold it (`Policy::allows` for the link)
//!   **and** every later version of the object this node holds may cross too: the decision is
//!   on the latest state, so a version withdrawn by a later narrowing is never replayed, not
//!   after an outage, not to a newly added link;
//! - a version that is not released, or a recall this node received, is sent as a recall if
//!   this node released the object to the partner before (its audit log says so); otherwise
//!   nothing leaves, not even the object's id or the entry's sequence number;
//! - the partner's own objects are never sent back to it;
//! - every version carries its origin's attestation and every recall its proof
//!   ([`super::sign`]): this node signs its own entries as it sends them and relays a
//!   partner's as they came; an entry it cannot prove (a partner's received before signatures
//!   existed) does not leave.
//!
//! Every release and recall is written to the audit log, durably, before the frame leaves.
//! Memory stays bounded whatever the partner does: entries are read from the store a batch at
//! a time, and the response body is a bounded channel that HTTP/2 flow control drains at the
//! partner's pace.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use liptako_model::{Audience, ExerciseWorlds, LinkAccreditation, Nation, Policy};
use liptako_store::{AuditEntry, AuditQuery, LogBody, Store, StoreError, WriteOp};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;
use uuid::Uuid;

use super::ChannelBody;
use super::sign::{RecallProof, Signer};
use super::tls::peer_nation;
use super::wire::{
    BatchWriter, DirectUpdate, FrameReader, STREAM_PATH, StreamRequest, decode_json_frame,
};
use crate::links::LinkState;
use crate::net::{Caps, serve_listener, with_handshake_timeout};
use crate::state::Node;

/// Entries read from one origin's log per round.
const BATCH_ENTRIES: usize = 512;
/// Largest uncompressed batch sent in one frame.
const BATCH_JSON_BYTES: usize = 1 << 20;
/// Frames waiting for the partner before the sender pauses.
const FRAMES_IN_FLIGHT: usize = 4;
/// A heartbeat frame when nothing else was sent for this long.
pub const HEARTBEAT: Duration = Duration::from_secs(10);
/// Partner connections accepted at once.
const MAX_CONNECTIONS: usize = 64;
/// Partner connections from one address (one per partner, a few more across reconnections).
const MAX_PER_ADDRESS: usize = 8;
/// Time allowed for a partner's first frame.
const HANDSHAKE_TIMEOUT: Duration = crate::net::HANDSHAKE_TIMEOUT;

/// Accepts partner connections on `listener` until shutdown, in the node's one accept loop
/// (at most [`MAX_CONNECTIONS`], a few per address: a partner needs one).
pub async fn serve_partners(
    node: Arc<Node>,
    listener: TcpListener,
    acceptor: TlsAcceptor,
    signer: Arc<Signer>,
) {
    let caps = Caps {
        max_connections: MAX_CONNECTIONS,
        max_per_address: MAX_PER_ADDRESS,
    };
    serve_listener(
        node.clone(),
        "federation",
        listener,
        caps,
        move |tcp, addr, slot| {
            let (node, acceptor, signer) = (node.clone(), acceptor.clone(), signer.clone());
            async move {
                if let Err(err) = connection(node, acceptor, signer, tcp).await {
                    tracing::warn!(%addr, cause = %err, "federation connection ended");
                }
                drop(slot);
            }
        },
    )
    .await;
}

async fn connection(
    node: Arc<Node>,
    acceptor: TlsAcceptor,
    signer: Arc<Signer>,
    tcp: tokio::net::TcpStream,
) -> anyhow::Result<()> {
    let tls = with_handshake_timeout(acceptor.accept(tcp))
        .await
        .map_err(anyhow::Error::msg)?;
    let nations: Vec<Nation> = node.links().iter().map(|link| link.config.nation).collect();
    let peer = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|certs| certs.first())
        .and_then(|cert| peer_nation(cert, &nations))
        .ok_or_else(|| anyhow::anyhow!("partner certificate names no linked nation"))?;
    let link = node
        .link(peer)
        .ok_or_else(|| anyhow::anyhow!("no link to {peer}"))?;
    let span = tracing::info_span!("federation_out", peer = %peer);
    let _enter = span.enter();
    tracing::info!("partner connected");
    let service = hyper::service::service_fn(move |request| {
        let (node, link, signer) = (node.clone(), link.clone(), signer.clone());
        async move { Ok::<_, Infallible>(route(node, link, signer, request).await) }
    });
    hyper::server::conn::http2::Builder::new(TokioExecutor::new())
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(20)))
        .keep_alive_timeout(Duration::from_secs(20))
        .serve_connection(TokioIo::new(tls), service)
        .await?;
    Ok(())
}

type ResponseBody = http_body_util::Either<ChannelBody, http_body_util::Full<Bytes>>;

fn plain(status: StatusCode, text: &str) -> Response<ResponseBody> {
    let mut response = Response::new(http_body_util::Either::Right(http_body_util::Full::new(
        Bytes::from(text.to_owned()),
    )));
    *response.status_mut() = status;
    response
}

async fn route(
    node: Arc<Node>,
    link: Arc<LinkState>,
    signer: Arc<Signer>,
    request: Request<Incoming>,
) -> Response<ResponseBody> {
    match (request.method(), request.uri().path()) {
        (&Method::POST, STREAM_PATH) => {
            let mut body = request.into_body();
            let mut reader = FrameReader::default();
            let first =
                tokio::time::timeout(HANDSHAKE_TIMEOUT, next_frame(&mut body, &mut reader)).await;
            let request: StreamRequest = match first {
                Ok(Ok(Some(frame))) => match decode_json_frame(&frame) {
                    Ok(request) => request,
                    Err(err) => {
                        return plain(StatusCode::BAD_REQUEST, &format!("stream request: {err}"));
                    }
                },
                _ => return plain(StatusCode::BAD_REQUEST, "no stream request"),
            };
            let direct_cursors: BTreeMap<Nation, u64> = request
                .direct
                .iter()
                .map(|(origin, link)| (*origin, link.cursor))
                .collect();
            let (updates, direct_rx) = watch::channel(direct_cursors);
            tokio::spawn(read_updates(body, reader, updates));
            let (frames, receiver) = mpsc::channel(FRAMES_IN_FLIGHT);
            let ceilings = request
                .direct
                .into_iter()
                .map(|(origin, link)| (origin, link.ceiling))
                .collect();
            tokio::spawn(stream(
                node,
                link,
                signer,
                request.cursors,
                ceilings,
                direct_rx,
                frames,
            ));
            let mut response =
                Response::new(http_body_util::Either::Left(ChannelBody::new(receiver)));
            response.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("application/x-liptako-frames"),
            );
            response
        }
        (&Method::POST, super::air::AIR_PATH) => {
            let (frames, receiver) = mpsc::channel(FRAMES_IN_FLIGHT);
            tokio::spawn(super::air::send(node, link, frames));
            let mut response =
                Response::new(http_body_util::Either::Left(ChannelBody::new(receiver)));
            response.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("application/x-liptako-tracks"),
            );
            response
        }
        (&Method::GET, "/federation/v1/hello") => plain(StatusCode::OK, node.nation().as_str()),
        _ => plain(StatusCode::NOT_FOUND, "not found"),
    }
}

/// The next whole frame of a request body, if any.
async fn next_frame(
    body: &mut Incoming,
    reader: &mut FrameReader,
) -> anyhow::Result<Option<Vec<u8>>> {
    loop {
        if let Some(frame) = reader.next_frame()? {
            return Ok(Some(frame));
        }
        match body.frame().await {
            None => return Ok(None),
            Some(frame) => {
                if let Ok(data) = frame?.into_data() {
                    reader.push(&data);
                }
            }
        }
    }
}

/// Follows the receiver's direct cursors as they advance (the rest of the request body).
async fn read_updates(
    mut body: Incoming,
    mut reader: FrameReader,
    updates: watch::Sender<BTreeMap<Nation, u64>>,
) {
    while let Ok(Some(frame)) = next_frame(&mut body, &mut reader).await {
        match decode_json_frame::<DirectUpdate>(&frame) {
            Ok(update) => updates.send_modify(|cursors| {
                for (origin, cursor) in update.direct {
                    let known = cursors.entry(origin).or_insert(0);
                    *known = (*known).max(cursor);
                }
            }),
            Err(err) => {
                tracing::warn!(cause = %err, "malformed direct cursor update");
                return;
            }
        }
    }
}

/// What one round over the logs produced for the partner.
struct Round {
    batch: BatchWriter,
    audits: Vec<WriteOp>,
    n_versions: u64,
    n_recalls: u64,
    /// Whether any entry was examined (more may follow at once).
    progressed: bool,
    backlog: u64,
    /// When an entry held back for the receiver's direct link may be relayed.
    wake_at: Option<time::OffsetDateTime>,
}

/// Sends the partner everything it may hold, from its cursors on, then follows the logs live.
async fn stream(
    node: Arc<Node>,
    link: Arc<LinkState>,
    signer: Arc<Signer>,
    mut cursors: BTreeMap<Nation, u64>,
    direct_ceilings: BTreeMap<Nation, String>,
    mut direct: watch::Receiver<BTreeMap<Nation, u64>>,
    frames: mpsc::Sender<Bytes>,
) {
    let peer = link.config.nation;
    link.streams.add(1);
    let accreditation = LinkAccreditation {
        nation: peer,
        ceiling: link.config.ceiling.clone(),
    };
    let mut ticks = node.bus().log_ticks();
    let mut shutdown = node.shutdown_signal();
    let mut last_sent = tokio::time::Instant::now();
    // The exercise worlds of the previous round: a world the partner took part in then and no
    // longer does is recalled from it.
    let mut previous_exercises: Option<ExerciseWorlds> = None;
    loop {
        ticks.borrow_and_update();
        let relay = Relay {
            ceilings: direct_ceilings.clone(),
            cursors: direct.borrow_and_update().clone(),
            grace: RELAY_GRACE,
        };
        let store = node.store().clone();
        let policy = node.policy().clone();
        let (acc, from) = (accreditation.clone(), cursors.clone());
        let now = node.now();
        let signer = signer.clone();
        let previous = previous_exercises.clone();
        let round = tokio::task::spawn_blocking(move || {
            // The exercises held now: each round decides with the participants of this moment.
            let exercises = crate::state::exercise_worlds(store.as_ref())?;
            let link = Link {
                accreditation: &acc,
                exercises: &exercises,
            };
            let (mut round, cursors) =
                collect(store.as_ref(), &policy, &signer, &link, &relay, from, now)?;
            if let Some(previous) = &previous {
                recall_left_worlds(store.as_ref(), &signer, &link, previous, &mut round, now)?;
            }
            Ok::<_, StoreError>((round, cursors, exercises))
        })
        .await;
        let (round, next_cursors) = match round {
            Ok(Ok((round, cursors, exercises))) => {
                previous_exercises = Some(exercises);
                (round, cursors)
            }
            Ok(Err(err)) => {
                tracing::error!(%peer, cause = %err, "reading the logs for a partner failed");
                break;
            }
            Err(err) => {
                tracing::error!(%peer, cause = %err, "federation sender task failed");
                break;
            }
        };
        link.backlog
            .set(i64::try_from(round.backlog).unwrap_or(i64::MAX));
        if !round.batch.is_empty() {
            // Audit first: a release that is not on record never leaves.
            if !round.audits.is_empty()
                && let Err(err) = node.write(round.audits).await
            {
                tracing::error!(%peer, cause = %err, "audit of a release failed: nothing sent");
                break;
            }
            let frame = match round.batch.finish() {
                Ok(frame) => frame,
                Err(err) => {
                    tracing::error!(%peer, cause = %err, "cannot compress a batch");
                    break;
                }
            };
            let n_bytes = frame.len() as u64;
            if frames.send(Bytes::from(frame)).await.is_err() {
                break; // the partner went away; it resumes from its cursors
            }
            link.versions_sent.add(round.n_versions);
            link.recalls_sent.add(round.n_recalls);
            link.bytes_sent.add(n_bytes);
            last_sent = tokio::time::Instant::now();
        }
        cursors = next_cursors;
        if round.progressed {
            continue;
        }
        let heartbeat_at = last_sent + HEARTBEAT;
        let wake_at = round
            .wake_at
            .map(|at| {
                let wait = (at - node.now()).max(time::Duration::ZERO);
                tokio::time::Instant::now() + wait.unsigned_abs()
            })
            .unwrap_or(heartbeat_at)
            .min(heartbeat_at);
        tokio::select! {
            changed = ticks.changed() => {
                if changed.is_err() {
                    break;
                }
            }
            changed = direct.changed() => {
                if changed.is_err() {
                    // The receiver stopped sending updates: treat its direct links as stalled.
                    direct = watch::channel(BTreeMap::new()).1;
                }
            }
            _ = tokio::time::sleep_until(wake_at) => {
                if tokio::time::Instant::now() >= heartbeat_at {
                    let Ok(frame) = BatchWriter::new().finish() else { break };
                    if frames.send(Bytes::from(frame)).await.is_err() {
                        break;
                    }
                    last_sent = tokio::time::Instant::now();
                }
            }
            _ = frames.closed() => break,
            _ = shutdown.changed() => break,
        }
    }
    link.streams.add(-1);
}

/// How long a relay leaves an entry to the receiver's direct link before sending it itself.
pub const RELAY_GRACE: Duration = Duration::from_secs(3);

/// What the receiver said of its direct links to other origins.
struct Relay {
    /// Origin -> the ceiling of the receiver's direct link to it.
    ceilings: BTreeMap<Nation, String>,
    /// Origin -> how far the receiver has applied the origin's log from the origin itself.
    cursors: BTreeMap<Nation, u64>,
    grace: Duration,
}

/// A partner link as the decision sees it: its accreditation and the exercise worlds this node
/// holds at the start of the round.
pub(super) struct Link<'a> {
    pub(super) accreditation: &'a LinkAccreditation,
    pub(super) exercises: &'a ExerciseWorlds,
}

impl Link<'_> {
    fn audience(&self) -> Audience<'_> {
        Audience::link(self.accreditation, self.exercises)
    }
}

/// One round over every origin's log (except the partner's own): decides each entry after the
/// cursor and builds the frame and its audit records. Blocking (store reads).
///
/// Relaying: for an origin the receiver also pulls directly, an entry its direct link can carry
/// is left to that link: entries the direct link already delivered are only marked covered,
/// and newer ones are held back [`RELAY_GRACE`] and relayed only if the direct link has not
/// delivered them by then (it is down or slow). So a full mesh sends each version once, and a
/// cut link is bridged within seconds.
fn collect(
    store: &dyn Store,
    policy: &Policy,
    signer: &Signer,
    link: &Link<'_>,
    relay: &Relay,
    mut cursors: BTreeMap<Nation, u64>,
    now: time::OffsetDateTime,
) -> Result<(Round, BTreeMap<Nation, u64>), StoreError> {
    let peer = link.accreditation.nation;
    let mut round = Round {
        batch: BatchWriter::new(),
        audits: Vec::new(),
        n_versions: 0,
        n_recalls: 0,
        progressed: false,
        backlog: 0,
        wake_at: None,
    };
    let mut later = LaterVersions::new(policy, link);
    let mut released = Released::default();
    let heads = store.log_heads()?;
    for (origin, head) in &heads {
        if *origin == peer {
            continue;
        }
        let cursor = cursors.get(origin).copied().unwrap_or(0);
        if *head <= cursor || round.batch.json_len() >= BATCH_JSON_BYTES {
            continue;
        }
        let direct = relay.ceilings.get(origin).map(|ceiling| {
            let link = LinkAccreditation {
                nation: peer,
                ceiling: ceiling.clone(),
            };
            (link, relay.cursors.get(origin).copied().unwrap_or(0))
        });
        let entries = store.log_after(*origin, cursor, BATCH_ENTRIES)?;
        let mut last = cursor;
        let mut covered = None;
        for entry in entries {
            if round.batch.json_len() >= BATCH_JSON_BYTES {
                break;
            }
            if let Some((direct_link, direct_cursor)) = &direct {
                let direct_carries = match &entry.body {
                    LogBody::Version { meta, .. } => {
                        policy.allows(Audience::link(direct_link, link.exercises), meta)
                    }
                    LogBody::Recall => true,
                    LogBody::Dropped { .. } => false,
                };
                if direct_carries {
                    if entry.seq <= *direct_cursor {
                        last = entry.seq;
                        covered = Some(entry.seq);
                        round.progressed = true;
                        continue;
                    }
                    let due = entry.appended + relay.grace;
                    if due > now {
                        round.wake_at = Some(round.wake_at.map_or(due, |at| at.min(due)));
                        break;
                    }
                }
            }
            last = entry.seq;
            round.progressed = true;
            // Whether the version may cross, and if not, which version withdrew it.
            let (release, withdrawn_by) = match &entry.body {
                LogBody::Version { meta, .. } => {
                    if policy.allows(link.audience(), meta) {
                        match later.withdrawn_by(store, entry.id, entry.version)? {
                            Some(later_version) => (false, Some(later_version)),
                            None => (true, None),
                        }
                    } else {
                        (false, None)
                    }
                }
                LogBody::Dropped { .. } => continue,
                LogBody::Recall => (false, None),
            };
            let action = if release {
                let (LogBody::Version { payload, .. }, Some(attestation)) =
                    (&entry.body, signer.attestation(*origin, &entry))
                else {
                    tracing::warn!(%origin, seq = entry.seq, "unsigned entry not relayed");
                    continue;
                };
                round
                    .batch
                    .version(*origin, entry.seq, payload, &attestation);
                released.released(entry.id);
                round.n_versions += 1;
                "release"
            } else {
                // Not for the partner: a recall if this node released the object to it, else
                // nothing (not even the object's id or version number).
                if !released.holds(store, peer, entry.id)? {
                    continue;
                }
                let Some(proof) = recall_proof(store, signer, *origin, &entry, withdrawn_by)?
                else {
                    tracing::warn!(%origin, seq = entry.seq, "recall without proof not relayed");
                    continue;
                };
                released.recalled(entry.id);
                round
                    .batch
                    .recall(*origin, entry.seq, entry.id, entry.version, &proof);
                round.n_recalls += 1;
                "recall"
            };
            round.audits.push(WriteOp::Audit(AuditEntry {
                at: now,
                actor: "federation".into(),
                action: action.into(),
                object_id: Some(entry.id),
                version: Some(entry.version),
                partner: Some(peer),
                detail: format!("origin {origin} seq {}", entry.seq),
            }));
        }
        if let Some(seq) = covered {
            round.batch.covered(*origin, seq);
        }
        cursors.insert(*origin, last);
    }
    round.backlog = heads
        .iter()
        .filter(|(origin, _)| *origin != peer)
        .map(|(origin, head)| head.saturating_sub(cursors.get(origin).copied().unwrap_or(0)))
        .sum();
    Ok((round, cursors))
}

/// Most objects of one exercise's world recalled from a partner in one round.
const MAX_WORLD_RECALLS: usize = 10_000;

/// A partner that took part in an exercise's world at the previous round (`previous`) and no
/// longer does (a nation removed, the exercise deleted or no longer released to it): every
/// object of that world this node released to it is recalled, after the round's entries (so
/// the exercise's new version, which tells the partner, goes first). The proof is the object's
/// own latest attested version, which the partner, holding the new exercise, may no longer
/// hold. Not done for a removal that happened while the partner was not connected.
fn recall_left_worlds(
    store: &dyn Store,
    signer: &Signer,
    link: &Link<'_>,
    previous: &ExerciseWorlds,
    round: &mut Round,
    now: time::OffsetDateTime,
) -> Result<(), StoreError> {
    let peer = link.accreditation.nation;
    let left: Vec<String> = previous
        .names()
        .filter(|name| previous.takes_part(name, peer) && !link.exercises.takes_part(name, peer))
        .map(str::to_owned)
        .collect();
    let released = Released::default();
    for world in left {
        for object_type in liptako_model::ObjectType::ALL {
            let mut query = liptako_store::Query::all(object_type, MAX_WORLD_RECALLS);
            query.exercise = Some(world.clone());
            let page = store.scan(&query, &mut |object| object.meta.origin != peer)?;
            for object in page.objects {
                let (id, origin) = (object.meta.id, object.meta.origin);
                if !released.holds(store, peer, id)? {
                    continue;
                }
                let Some(entry) = store.log_version(id, object.meta.version)? else {
                    continue;
                };
                let Some(proof) = recall_proof(store, signer, origin, &entry, None)? else {
                    tracing::warn!(%origin, %id, "recall without proof not sent");
                    continue;
                };
                round
                    .batch
                    .recall(origin, entry.seq, id, entry.version, &proof);
                round.n_recalls += 1;
                round.audits.push(WriteOp::Audit(AuditEntry {
                    at: now,
                    actor: "federation".into(),
                    action: "recall".into(),
                    object_id: Some(id),
                    version: Some(entry.version),
                    partner: Some(peer),
                    detail: format!(
                        "origin {origin} seq {}: {peer} left exercise {world}",
                        entry.seq
                    ),
                }));
            }
        }
    }
    Ok(())
}

/// The proof of a recall of `entry` (see [`super::sign`]): the entry's own attestation, and
/// that of the version that withdrew the object from the partner (`withdrawn_by`, or the
/// entry's version itself); a partner's recall is relayed with the proof it came with.
fn recall_proof(
    store: &dyn Store,
    signer: &Signer,
    origin: Nation,
    entry: &liptako_store::LogEntry,
    withdrawn_by: Option<u64>,
) -> Result<Option<RecallProof>, StoreError> {
    if let LogBody::Recall = entry.body {
        return Ok(Signer::stored_proof(entry));
    }
    let Some(at) = signer.attestation(origin, entry) else {
        return Ok(None);
    };
    let by = match withdrawn_by {
        None => Some(at.clone()),
        Some(version) => store
            .log_version(entry.id, version)?
            .and_then(|later| signer.attestation(origin, &later)),
    };
    Ok(by.map(|by| RecallProof { at, by }))
}

/// Whether a version was withdrawn by a later one, for one link, within one round: a version
/// is withdrawn if any later version of its object this node holds may not cross the link.
/// Each object's later envelopes are read once per round.
struct LaterVersions<'a> {
    policy: &'a Policy,
    link: &'a Link<'a>,
    /// Object -> (the version asked about first, then each later version and whether it
    /// crosses).
    known: HashMap<Uuid, (u64, Vec<(u64, bool)>)>,
}

impl<'a> LaterVersions<'a> {
    fn new(policy: &'a Policy, link: &'a Link<'a>) -> Self {
        LaterVersions {
            policy,
            link,
            known: HashMap::new(),
        }
    }

    /// The first later version that may not cross, if any.
    fn withdrawn_by(
        &mut self,
        store: &dyn Store,
        id: Uuid,
        version: u64,
    ) -> Result<Option<u64>, StoreError> {
        let stale = self.known.get(&id).is_none_or(|(from, _)| *from > version);
        if stale {
            let later = store
                .envelope_changes_after(id, version)?
                .iter()
                .map(|meta| (meta.version, self.policy.allows(self.link.audience(), meta)))
                .collect();
            self.known.insert(id, (version, later));
        }
        Ok(self.known.get(&id).and_then(|(_, later)| {
            later
                .iter()
                .filter(|(later_version, crosses)| *later_version > version && !crosses)
                .map(|(later_version, _)| *later_version)
                .min()
        }))
    }
}

/// Whether the partner holds an object released by this node: its last release or recall to
/// the partner in the audit log, or in the round being built.
#[derive(Default)]
struct Released {
    /// Object -> whether this round's last act on it for the partner was a release.
    this_round: HashMap<Uuid, bool>,
}

impl Released {
    fn released(&mut self, id: Uuid) {
        self.this_round.insert(id, true);
    }

    fn recalled(&mut self, id: Uuid) {
        self.this_round.insert(id, false);
    }

    fn holds(&self, store: &dyn Store, peer: Nation, id: Uuid) -> Result<bool, StoreError> {
        if let Some(held) = self.this_round.get(&id) {
            return Ok(*held);
        }
        let last = store.audit(&AuditQuery {
            partner: Some(peer),
            object_id: Some(id),
            limit: 1,
            ..AuditQuery::default()
        })?;
        Ok(last
            .first()
            .is_some_and(|record| record.entry.action == "release"))
    }
}

#[cfg(test)]
#[path = "collect_tests.rs"]
mod collect_tests;
