//! The receiving side: for each link, a task keeps one HTTP/2-over-mutual-TLS connection to the
//! partner, opens a stream with this node's cursors, and applies each frame in one durable
//! write (cursors included), so that a crash or a cut link resumes exactly where it stopped:
//! nothing lost, nothing applied twice.
//!
//! The receiver checks every entry itself too (defence in depth): it refuses versions of its
//! own nation's objects (only this node writes them), versions it may not hold under the
//! link's ceiling, malformed objects, and every version or recall its origin did not sign
//! ([`super::sign`]: a partner cannot forge, alter, move or recall a third nation's entries);
//! refusals are counted, logged and audited, and the cursor moves past them (not past a
//! forged entry: its position is still owed the genuine one).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use liptako_model::{Audience, LinkAccreditation, Nation, Policy};
use liptako_store::{AuditEntry, ReplicaEntry, WriteOp, WriteOutcome};
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::sync::mpsc;
use tokio_rustls::TlsConnector;

use super::ChannelBody;
use super::sign::{Keyring, digest};
use super::wire::{
    DirectLink, DirectUpdate, Entry, FrameReader, STREAM_PATH, StreamRequest, decode_frame,
    json_frame,
};
use crate::links::LinkState;
use crate::pki::node_dns_name;
use crate::state::Node;

/// First wait before reconnecting; it doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(250);
/// Longest wait before reconnecting: a link back up is used within this (plus the handshake),
/// which bounds how stale the joint air picture stays after an outage. A refused connection
/// every 2 s costs a partner next to nothing.
pub const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// A stream silent for this long (no frame, not even a heartbeat) is dead.
const IDLE_TIMEOUT: Duration = Duration::from_secs(45);
/// How often the direct cursors are sent to relaying partners (when they changed).
const DIRECT_UPDATE_INTERVAL: Duration = Duration::from_millis(500);
/// Time allowed to connect (TCP and TLS).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Pulls from one partner until shutdown, reconnecting with backoff.
pub async fn pull(
    node: Arc<Node>,
    link: Arc<LinkState>,
    tls: Arc<ClientConfig>,
    keyring: Arc<Keyring>,
) {
    let peer = link.config.nation;
    let mut shutdown = node.shutdown_signal();
    let mut backoff = MIN_BACKOFF;
    loop {
        let session = session(&node, &link, tls.clone(), &keyring, &mut backoff);
        let result = tokio::select! {
            result = session => result,
            _ = shutdown.changed() => return,
        };
        match result {
            Ok(()) => link.disconnected(None),
            Err(err) => {
                tracing::debug!(%peer, cause = %err, "federation pull ended");
                link.disconnected(Some(format!("{err:#}")));
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shutdown.changed() => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn session(
    node: &Arc<Node>,
    link: &Arc<LinkState>,
    tls: Arc<ClientConfig>,
    keyring: &Keyring,
    backoff: &mut Duration,
) -> anyhow::Result<()> {
    let peer = link.config.nation;
    let authority = link.config.authority().map_err(anyhow::Error::msg)?;
    let name = ServerName::try_from(node_dns_name(peer))?;
    let connect = async {
        let tcp = tokio::net::TcpStream::connect(&authority).await?;
        tcp.set_nodelay(true)?;
        let tls = TlsConnector::from(tls).connect(name, tcp).await?;
        anyhow::Ok(tls)
    };
    let tls = tokio::time::timeout(CONNECT_TIMEOUT, connect)
        .await
        .map_err(|_| anyhow::anyhow!("connecting to {authority} timed out"))??;
    let (mut sender, connection) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(20)))
        .keep_alive_timeout(Duration::from_secs(20))
        .handshake(TokioIo::new(tls))
        .await?;
    let driver = tokio::spawn(connection);

    let (request, direct) = stream_request(node, peer).await?;
    let (body_frames, body_receiver) = mpsc::channel(4);
    body_frames
        .send(Bytes::from(json_frame(&request)?))
        .await
        .map_err(|_| anyhow::anyhow!("request body closed"))?;
    let updater = tokio::spawn(send_direct_updates(node.clone(), direct, body_frames));
    let request = Request::post(format!("https://{authority}{STREAM_PATH}"))
        .header(hyper::header::CONTENT_TYPE, "application/x-liptako-frames")
        .body(ChannelBody::new(body_receiver))?;
    let response = sender.send_request(request).await?;
    if !response.status().is_success() {
        anyhow::bail!("partner answered {}", response.status());
    }
    link.connected(node.now());
    *backoff = MIN_BACKOFF;
    // The joint air picture: a second stream on this connection, for as long as it lasts.
    let air = tokio::spawn({
        let (node, link, sender, authority) = (
            node.clone(),
            link.clone(),
            sender.clone(),
            authority.clone(),
        );
        async move {
            if let Err(err) = super::air::receive(node, link, sender, authority).await {
                tracing::debug!(cause = %err, "air stream ended");
            }
        }
    });
    tracing::info!(%peer, "federation pull connected");
    let mut body = response.into_body();
    let mut reader = FrameReader::default();
    let result = loop {
        let frame = match tokio::time::timeout(IDLE_TIMEOUT, body.frame()).await {
            Err(_) => break Err(anyhow::anyhow!("no frame for {} s", IDLE_TIMEOUT.as_secs())),
            Ok(None) => break Ok(()),
            Ok(Some(Err(err))) => break Err(err.into()),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        link.bytes_received.add(data.len() as u64);
        reader.push(&data);
        loop {
            match reader.next_frame() {
                Ok(Some(compressed)) => apply(node, link, keyring, compressed).await?,
                Ok(None) => break,
                Err(err) => return Err(err.into()),
            }
        }
    };
    driver.abort();
    updater.abort();
    air.abort();
    result
}

/// This node's cursors for `peer`, and its direct links to every other origin it has a link to
/// (so that `peer`, relaying, leaves to those links what they carry).
async fn stream_request(
    node: &Arc<Node>,
    peer: Nation,
) -> anyhow::Result<(StreamRequest, Vec<Nation>)> {
    let others: Vec<(Nation, String)> = node
        .links()
        .iter()
        .filter(|link| link.config.nation != peer)
        .map(|link| (link.config.nation, link.config.ceiling.clone()))
        .collect();
    let store = node.store().clone();
    let (cursors, direct) = tokio::task::spawn_blocking(move || {
        let cursors: BTreeMap<Nation, u64> = store.cursors(peer)?.into_iter().collect();
        let mut direct = BTreeMap::new();
        for (origin, ceiling) in others {
            let cursor = direct_cursor(store.as_ref(), origin)?;
            direct.insert(origin, DirectLink { ceiling, cursor });
        }
        Ok::<_, liptako_store::StoreError>((cursors, direct))
    })
    .await??;
    let origins = direct.keys().copied().collect();
    Ok((StreamRequest { cursors, direct }, origins))
}

/// How far this node has applied `origin`'s log from `origin` itself.
fn direct_cursor(
    store: &dyn liptako_store::Store,
    origin: Nation,
) -> Result<u64, liptako_store::StoreError> {
    Ok(store
        .cursors(origin)?
        .into_iter()
        .find(|(log, _)| *log == origin)
        .map_or(0, |(_, seq)| seq))
}

/// Streams this node's direct cursors to the partner as they advance (the rest of the request
/// body), so that the partner relays only what the direct links have not delivered.
async fn send_direct_updates(node: Arc<Node>, origins: Vec<Nation>, frames: mpsc::Sender<Bytes>) {
    let mut sent: BTreeMap<Nation, u64> = BTreeMap::new();
    let mut interval = tokio::time::interval(DIRECT_UPDATE_INTERVAL);
    loop {
        interval.tick().await;
        let store = node.store().clone();
        let wanted = origins.clone();
        let Ok(Ok(now)) = tokio::task::spawn_blocking(move || {
            wanted
                .into_iter()
                .map(|origin| direct_cursor(store.as_ref(), origin).map(|seq| (origin, seq)))
                .collect::<Result<BTreeMap<Nation, u64>, _>>()
        })
        .await
        else {
            return;
        };
        let changed: BTreeMap<Nation, u64> = now
            .into_iter()
            .filter(|(origin, seq)| sent.get(origin) != Some(seq))
            .collect();
        if changed.is_empty() {
            continue;
        }
        let Ok(frame) = json_frame(&DirectUpdate {
            direct: changed.clone(),
        }) else {
            return;
        };
        if frames.send(Bytes::from(frame)).await.is_err() {
            return;
        }
        sent.extend(changed);
    }
}

/// Checks and applies one frame in one durable write.
pub(crate) async fn apply(
    node: &Arc<Node>,
    link: &Arc<LinkState>,
    keyring: &Keyring,
    compressed: Vec<u8>,
) -> anyhow::Result<()> {
    let peer = link.config.nation;
    let this_node = LinkAccreditation {
        nation: node.nation(),
        ceiling: link.config.ceiling.clone(),
    };
    // Up to a 32 MiB frame to decompress and parse, and a signature to verify per entry: not
    // on a runtime thread, and the signatures on every core.
    let judged = {
        let (node, keyring, this_node) = (node.clone(), keyring.clone(), this_node.clone());
        tokio::task::spawn_blocking(move || -> Result<_, crate::federation::wire::WireError> {
            let entries = decode_frame(&compressed)?;
            Ok(judge(&this_node, node.policy(), &keyring, entries))
        })
        .await??
    };
    if judged.is_empty() {
        return Ok(()); // heartbeat
    }
    let received = node.now();
    let mut ops = Vec::with_capacity(judged.len());
    let mut newest = None;
    for (entry, refused) in judged {
        let (origin, seq) = entry.position();
        match refused {
            Some(refusal) => {
                link.refused.inc();
                if refusal.forged {
                    link.forged.inc();
                }
                let reason = refusal.reason;
                tracing::warn!(%peer, %origin, seq, reason, "federation entry refused");
                ops.push(WriteOp::Audit(AuditEntry {
                    at: received,
                    actor: format!("node {peer}"),
                    action: "refuse".into(),
                    object_id: entry.object_id(),
                    version: entry.object_version(),
                    partner: Some(peer),
                    detail: format!("origin {origin} seq {seq}: {reason}"),
                }));
                // A forged entry decides nothing for its position: the cursor stays, so that
                // a relay cannot make this node skip the genuine entries it has yet to send.
                if !refusal.forged {
                    ops.push(WriteOp::Cursor { peer, origin, seq });
                }
            }
            None => {
                let (entry, attestation) = match entry {
                    Entry::Covered { .. } => {
                        ops.push(WriteOp::Cursor { peer, origin, seq });
                        continue;
                    }
                    Entry::Version {
                        object,
                        attestation,
                        ..
                    } => {
                        newest = newest.max(Some(object.meta.updated));
                        let signed = serde_json::to_vec(&attestation)?;
                        (ReplicaEntry::Version(object), signed)
                    }
                    Entry::Recall {
                        id, version, proof, ..
                    } => {
                        let signed = serde_json::to_vec(&proof)?;
                        (ReplicaEntry::Recall { id, version }, signed)
                    }
                };
                ops.push(WriteOp::Replica {
                    peer,
                    origin,
                    seq,
                    entry,
                    at: received,
                    attestation,
                });
            }
        }
    }
    let outcomes = node.write(ops).await?;
    for outcome in &outcomes {
        match outcome {
            WriteOutcome::Committed(_) => link.versions_received.inc(),
            WriteOutcome::Recalled(_) => link.recalls_received.inc(),
            _ => {}
        }
    }
    let now = node.now();
    link.received(now);
    if let Some(updated) = newest {
        link.lag_ms
            .set(i64::try_from((now - updated).whole_milliseconds().max(0)).unwrap_or(i64::MAX));
    }
    Ok(())
}

/// Why this node refuses an entry.
#[derive(Debug)]
pub(super) struct Refusal {
    pub(super) reason: &'static str,
    /// The origin's signature is missing or does not match: a forgery, or a partner that
    /// does not sign.
    pub(super) forged: bool,
}

fn refuse(reason: &'static str) -> Option<Refusal> {
    Some(Refusal {
        reason,
        forged: false,
    })
}

fn forged(reason: &'static str) -> Option<Refusal> {
    Some(Refusal {
        reason,
        forged: true,
    })
}

/// Entries below this many are judged on one thread (starting threads would cost more).
const PARALLEL_FROM: usize = 64;

/// Each entry with the reason this node refuses it, if it does ([`refusal`]), judged on as
/// many threads as the machine has cores (signature checks dominate), in order.
fn judge(
    this_node: &LinkAccreditation,
    policy: &Policy,
    keyring: &Keyring,
    entries: Vec<Entry>,
) -> Vec<(Entry, Option<Refusal>)> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let one = |entry: Entry| {
        let refused = refusal(this_node, policy, keyring, &entry);
        (entry, refused)
    };
    if threads < 2 || entries.len() < PARALLEL_FROM {
        return entries.into_iter().map(one).collect();
    }
    let chunk = entries.len().div_ceil(threads);
    let mut chunks: Vec<Vec<Entry>> = Vec::with_capacity(threads);
    let mut rest = entries.into_iter();
    loop {
        let part: Vec<Entry> = rest.by_ref().take(chunk).collect();
        if part.is_empty() {
            break;
        }
        chunks.push(part);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|part| scope.spawn(move || part.into_iter().map(one).collect::<Vec<_>>()))
            .collect();
        let mut judged = Vec::new();
        for handle in handles {
            match handle.join() {
                Ok(part) => judged.extend(part),
                // Never drop entries silently: the frame fails whole and its cursor stays.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        judged
    })
}

/// Why this node (`this_node`: its nation and the ceiling of the link the entry came over)
/// refuses an entry, if it does.
pub(super) fn refusal(
    this_node: &LinkAccreditation,
    policy: &Policy,
    keyring: &Keyring,
    entry: &Entry,
) -> Option<Refusal> {
    let (origin, seq) = entry.position();
    if origin == this_node.nation {
        return refuse("a partner sent this node's own object");
    }
    if !policy.confederation().is_member(origin) {
        return refuse("origin is not a member");
    }
    match entry {
        Entry::Covered { .. } => None,
        Entry::Version {
            object,
            attestation,
            ..
        } => {
            if object.meta.origin != origin {
                return refuse("object's origin differs from its log's");
            }
            if !policy.allows(Audience::link(this_node), object.as_ref()) {
                return refuse("marking does not allow this node to hold it over this link");
            }
            if object.body.check().is_err() {
                return refuse("malformed object");
            }
            let Some(key) = keyring.get(origin) else {
                return refuse("no origin key accredited for this origin");
            };
            let Some(attestation) = attestation else {
                return forged("version not signed by its origin");
            };
            if attestation.seq != seq {
                return forged("the origin signed this version at another position");
            }
            if !attestation.verifies(key, origin, object.meta.id) {
                return forged("the origin's signature does not verify");
            }
            let Ok(payload) = serde_json::to_vec(object.as_ref()) else {
                return refuse("malformed object");
            };
            if !attestation.describes(&object.meta, &digest(&payload)) {
                return forged("version differs from what its origin signed");
            }
            None
        }
        Entry::Recall {
            id, version, proof, ..
        } => {
            let Some(key) = keyring.get(origin) else {
                return refuse("no origin key accredited for this origin");
            };
            let Some(proof) = proof else {
                return forged("recall without its origin's proof");
            };
            if proof.at.seq != seq || proof.at.version != *version || proof.by.version < *version {
                return forged("recall proof names another entry");
            }
            if !proof.at.verifies(key, origin, *id) || !proof.by.verifies(key, origin, *id) {
                return forged("the origin's signature on the recall proof does not verify");
            }
            if policy.allows(Audience::link(this_node), &proof.by.marked(origin)) {
                return refuse("recall of a version this node may hold");
            }
            None
        }
    }
}
