//! `GET /api/v1/live`: a WebSocket carrying every change the caller may see, as JSON.
//!
//! Messages (one JSON object per text frame):
//! - `{"op":"hello","nation":"MLI","principal":{..}}` once, first;
//! - `{"op":"upsert","object":{..}}`: a new version the caller may see;
//! - `{"op":"delete","type":"report","id":"..","version":4}`: a deletion of something the
//!   caller may see;
//! - `{"op":"remove","type":"report","id":".."}`: an object the caller saw changed so that the
//!   caller may no longer see it (its marking was raised or narrowed, or a partner recalled it):
//!   drop it. Nothing of the new version is told, not even its number;
//! - `{"op":"resync","missed":N}`: the caller fell more than the feed's capacity behind and
//!   missed N changes: read the lists again;
//! - `{"op":"air","full":true,"time":..,"tracks":[..],"dropped":[]}`: the whole air picture,
//!   first (when the node has one and the caller may see it) and again whenever the caller fell
//!   behind; then `{"op":"air","full":false,..}` per picture period with the tracks that changed
//!   and the uids of the tracks `dropped`. Real-world only: not sent with `exercise`.
//!
//! Subscribe first, then read the lists, so that nothing falls between the two. Each
//! connection has its own task; a client that does not take its messages within
//! [`SEND_TIMEOUT`] is disconnected, and a slow one only ever delays itself.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::SinkExt;
use liptako_model::{Audience, ObjectType, Policy, Principal, Transition};
use serde::Deserialize;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use crate::bus::LiveChange;
use crate::http::error::AppError;
use crate::http::extract::{Caller, Params};
use crate::state::Node;

/// How long one message may take to leave before the client is dropped.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Most messages written before one flush.
const MAX_BATCH: usize = 256;
/// Interval of WebSocket pings (they keep proxies from closing an idle connection).
pub const PING_INTERVAL: Duration = Duration::from_secs(30);
/// The `types` name of the air picture's messages.
const AIR: &str = "air";

/// Parameters of the live feed.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LiveParams {
    /// Follow this exercise's world instead of the real world.
    pub exercise: Option<String>,
    /// Only these types, comma-separated (`report,unit,zone,air`; default all).
    pub types: Option<String>,
    /// The bearer token, for clients that cannot set the Authorization header.
    pub access_token: Option<String>,
}

/// What one subscriber wants and may see.
struct Subscription {
    principal: Principal,
    exercise: Option<String>,
    types: HashSet<ObjectType>,
    /// Air picture messages wanted (`air` in `types`, or no `types`; never with an exercise).
    air: bool,
}

impl Subscription {
    /// The subscriber as the access decision sees it: its principal, in its world.
    fn audience(&self) -> Audience<'_> {
        Audience::reader(&self.principal, self.exercise.as_deref())
    }
}

/// `GET /api/v1/live`
#[utoipa::path(get, path = "/api/v1/live", tag = "live",
    params(LiveParams),
    responses((status = 101, description = "WebSocket: JSON messages with op hello, upsert, delete, remove, resync")),
    security(("bearer" = [])))]
pub async fn live(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Params(params): Params<LiveParams>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, AppError> {
    let exercise = super::objects::checked_exercise(params.exercise.as_deref())?;
    let (types, air) = match params.types.as_deref() {
        None | Some("") => (ObjectType::ALL.into_iter().collect(), true),
        Some(list) => {
            let mut air = false;
            let mut types = HashSet::new();
            for name in list.split(',').map(str::trim) {
                if name == AIR {
                    air = true;
                } else {
                    types.insert(ObjectType::parse(name).ok_or_else(|| {
                        AppError::BadRequest(format!(
                            "types: {name:?} is not report, unit, zone or air"
                        ))
                    })?);
                }
            }
            (types, air)
        }
    };
    let subscription = Subscription {
        principal: caller.0,
        air: air && exercise.is_none(),
        exercise,
        types,
    };
    Ok(upgrade.on_upgrade(move |socket| serve(socket, node, subscription)))
}

async fn serve(mut socket: WebSocket, node: Arc<Node>, subscription: Subscription) {
    let subscribers = node.metrics().gauge(
        "liptako_live_subscribers",
        "WebSocket subscribers of the live feed.",
        &[],
    );
    let lagged = node.metrics().counter(
        "liptako_live_resyncs_total",
        "Times a live subscriber fell behind the feed and was told to resynchronise.",
        &[],
    );
    subscribers.add(1);
    let mut changes = node.bus().changes();
    let mut air = subscription.air.then(|| node.bus().air().subscribe());
    let mut shutdown = node.shutdown_signal();
    let mut ping = tokio::time::interval(PING_INTERVAL);
    ping.tick().await;
    let hello = serde_json::json!({
        "op": "hello",
        "nation": node.nation(),
        "principal": subscription.principal,
    });
    let mut open = send(&mut socket, hello.to_string()).await;
    if open
        && let Some(full) = air
            .as_ref()
            .and_then(|_| full_picture(&node, &subscription))
    {
        open = send(&mut socket, full).await;
    }
    while open {
        tokio::select! {
            update = async { air.as_mut()?.recv().await.into() }, if air.is_some() => match update {
                Some(Ok(update)) => {
                    if node.policy().allows(subscription.audience(), update.as_ref()) {
                        open = send(&mut socket, update.message.to_string()).await;
                    }
                }
                // Behind on the picture: the whole picture again replaces what was missed.
                Some(Err(RecvError::Lagged(_))) => {
                    lagged.inc();
                    if let Some(full) = full_picture(&node, &subscription) {
                        open = send(&mut socket, full).await;
                    }
                }
                Some(Err(RecvError::Closed)) | None => air = None,
            },
            change = changes.recv() => {
                // Take what else is already waiting, so a burst leaves in one write.
                let mut batch = Vec::new();
                let mut next = Some(change);
                while let Some(change) = next.take() {
                    match change {
                        Ok(change) => batch.extend(message_for(node.policy(), &subscription, &change)),
                        Err(RecvError::Lagged(missed)) => {
                            lagged.inc();
                            batch.push(format!("{{\"op\":\"resync\",\"missed\":{missed}}}"));
                        }
                        Err(RecvError::Closed) => open = false,
                    }
                    if batch.len() < MAX_BATCH {
                        next = match changes.try_recv() {
                            Ok(change) => Some(Ok(change)),
                            Err(TryRecvError::Lagged(missed)) => Some(Err(RecvError::Lagged(missed))),
                            Err(TryRecvError::Empty | TryRecvError::Closed) => None,
                        };
                    }
                }
                if open && !batch.is_empty() {
                    open = send_batch(&mut socket, batch).await;
                }
            },
            incoming = socket.recv() => match incoming {
                // Pings are answered by the library; text from the client is not expected.
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => open = false,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                open = tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Ping(Default::default())))
                    .await
                    .is_ok_and(|sent| sent.is_ok());
            }
            _ = shutdown.changed() => {
                let _ = socket.send(Message::Close(None)).await;
                open = false;
            }
        }
    }
    subscribers.add(-1);
}

/// The whole air picture as a live message, if the node has one and the caller may see it.
fn full_picture(node: &Node, subscription: &Subscription) -> Option<String> {
    let hub = node.bus().air();
    if !hub.is_active() {
        return None;
    }
    let picture = hub.picture();
    node.policy()
        .allows(subscription.audience(), picture.as_ref())
        .then(|| picture.full_message())
}

/// Sends a text frame; false if the client is gone or too slow.
async fn send(socket: &mut WebSocket, text: String) -> bool {
    send_batch(socket, vec![text]).await
}

/// Sends text frames with one flush; false if the client is gone or too slow.
async fn send_batch(socket: &mut WebSocket, texts: Vec<String>) -> bool {
    let write = async {
        for text in texts {
            socket.feed(Message::Text(Utf8Bytes::from(text))).await?;
        }
        socket.flush().await
    };
    tokio::time::timeout(SEND_TIMEOUT, write)
        .await
        .is_ok_and(|sent| sent.is_ok())
}

/// The message one subscriber gets for one change, if any. The access decision's transition
/// decides; a `remove` says nothing of the new version (not even its number).
fn message_for(
    policy: &Policy,
    subscription: &Subscription,
    change: &LiveChange,
) -> Option<String> {
    let (object, previous, current) = match change {
        LiveChange::Version {
            object,
            previous,
            payload,
        } => (object, previous.as_ref(), Some((object, payload))),
        LiveChange::Recall {
            previous: Some(object),
        } => (object, Some(&object.meta), None),
        LiveChange::Recall { previous: None } => return None,
    };
    if !subscription.types.contains(&object.object_type()) {
        return None;
    }
    let transition = policy.transition(
        subscription.audience(),
        previous,
        current.map(|(object, _)| object.as_ref()),
    )?;
    let head = |op: &str| {
        format!(
            "{{\"op\":\"{op}\",\"type\":\"{}\",\"id\":\"{}\"}}",
            object.object_type().as_str(),
            object.meta.id,
        )
    };
    match (transition, current) {
        (Transition::Show, Some((_, payload))) => {
            let payload = std::str::from_utf8(payload).ok()?;
            Some(format!("{{\"op\":\"upsert\",\"object\":{payload}}}"))
        }
        (Transition::Show, None) => None,
        (Transition::Hide, _) => Some(head("remove")),
        // A tombstone keeps the marking of the version it deletes: whoever saw that may see
        // the deletion's version number.
        (Transition::Delete, _) => Some(format!(
            "{{\"op\":\"delete\",\"type\":\"{}\",\"id\":\"{}\",\"version\":{}}}",
            object.object_type().as_str(),
            object.meta.id,
            object.meta.version
        )),
    }
}
