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
//! - `{"op":"alert","alert":{..}}`: one of the caller's own alert rules matched (sent to the
//!   rule's owner only; listed at `GET /api/v1/alerts`);
//! - a `hello` again then `{"op":"resync","reason":"principal"}`: the caller's account changed
//!   (clearance, role, nation): drop what you hold and read the lists again.
//!
//! The feed closes (code 4401) when the session expires, the account is disabled or the
//! session revoked (its password reset). The token may come as `Authorization: Bearer` or, for
//! browsers, as `access_token` in this request's query string: the only place a token is
//! accepted in a URL.
//!
//! Subscribe first, then read the lists, so that nothing falls between the two. Each
//! connection has its own task; a client that does not take its messages within
//! [`SEND_TIMEOUT`] is disconnected, and a slow one only ever delays itself.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::SinkExt;
use liptako_model::{Audience, ObjectType, Policy, Principal, Transition};
use serde::Deserialize;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use crate::bus::LiveChange;
use crate::http::error::AppError;
use axum::http::request::Parts;

use crate::auth::{Refusal, Session};
use crate::http::extract::{Caller, Params, bearer};
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
    #[param(min_length = 1, max_length = 64)]
    pub exercise: Option<String>,
    /// Only these types, comma-separated (`report,unit,zone,air`; default all).
    pub types: Option<String>,
    /// The bearer token, for clients that cannot set the Authorization header.
    pub access_token: Option<String>,
}

/// What one subscriber wants and may see.
struct Subscription {
    principal: Principal,
    /// The session it was opened with: it ends when the token expires, and the account is
    /// decided again whenever it changes.
    session: Session,
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
    responses((status = 101, description = "WebSocket: JSON messages with op hello, upsert, delete, remove, resync"),
              (status = 400, description = "A bad parameter, or not a WebSocket handshake")),
    security(("bearer" = [])))]
pub async fn live(
    State(node): State<Arc<Node>>,
    parts: Parts,
    Params(params): Params<LiveParams>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, AppError> {
    // A browser cannot set headers on a WebSocket: here, and only here, the token may come in
    // the query string of the first request.
    let token = match bearer(&parts)? {
        Some(token) => token.to_owned(),
        None => params.access_token.clone().ok_or_else(|| {
            AppError::Unauthorized(
                "missing bearer token: send Authorization or access_token".into(),
            )
        })?,
    };
    let (caller, session) = Caller::from_token(&node, &token).await?;
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
        session,
        air: air && exercise.is_none(),
        exercise,
        types,
    };
    // A request that is no WebSocket handshake gets the API's error body, like any other.
    let upgrade = upgrade.map_err(|rejection| {
        AppError::BadRequest(format!("this is a WebSocket: {}", rejection.body_text()))
    })?;
    Ok(upgrade.on_upgrade(move |socket| serve(socket, node, subscription)))
}

async fn serve(mut socket: WebSocket, node: Arc<Node>, mut subscription: Subscription) {
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
    let mut accounts = node.bus().users();
    let mut user_alerts = node.bus().user_alerts();
    let mut recheck = tokio::time::interval(RECHECK_INTERVAL);
    recheck.tick().await;
    let expires_in = (subscription.session.expires - node.now())
        .max(time::Duration::ZERO)
        .unsigned_abs();
    let expiry = tokio::time::sleep(expires_in);
    tokio::pin!(expiry);
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
            alert = user_alerts.recv() => match alert {
                // For this session's user only (the owner of the rule that matched).
                Ok(alert) if alert.user == *subscription.session.user => {
                    open = send(&mut socket, alert.message.clone()).await;
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => {}
            },
            account = accounts.recv() => {
                let ours = match account {
                    Ok(name) => *name == *subscription.session.user,
                    // Missed some: decide again anyway.
                    Err(RecvError::Lagged(_)) => true,
                    Err(RecvError::Closed) => false,
                };
                if ours {
                    open = decide_again(&mut socket, &node, &mut subscription).await;
                }
            }
            _ = recheck.tick() => {
                // Changes written by another process reach this node within the users' TTL.
                open = decide_again(&mut socket, &node, &mut subscription).await;
            }
            _ = &mut expiry => {
                close(&mut socket, CLOSE_UNAUTHORIZED, "session expired: log in again").await;
                open = false;
            }
            _ = shutdown.changed() => {
                let _ = socket.send(Message::Close(None)).await;
                open = false;
            }
        }
    }
    subscribers.add(-1);
}

/// Close code of a session that ended (expired, revoked, account disabled).
pub const CLOSE_UNAUTHORIZED: u16 = 4401;
/// How often an open feed decides its account again, for changes made by another process.
pub const RECHECK_INTERVAL: Duration = Duration::from_secs(5);

/// Decides the subscriber's account again: closes the feed if the session no longer speaks for
/// anyone; if the principal changed (a new clearance, role or nation), says so and tells the
/// client to read again (what it holds may no longer be its to see). False when closed.
async fn decide_again(
    socket: &mut WebSocket,
    node: &Node,
    subscription: &mut Subscription,
) -> bool {
    match node.users().principal(node, &subscription.session).await {
        Ok(principal) if principal == subscription.principal => true,
        Ok(principal) => {
            subscription.principal = principal;
            let hello = serde_json::json!({
                "op": "hello",
                "nation": node.nation(),
                "principal": subscription.principal,
            });
            send_batch(
                socket,
                vec![
                    hello.to_string(),
                    "{\"op\":\"resync\",\"reason\":\"principal\"}".to_owned(),
                ],
            )
            .await
        }
        Err(Refusal::Internal(cause)) => {
            tracing::warn!(%cause, "live feed: cannot read the account; closing");
            close(socket, 1011, "internal error").await;
            false
        }
        Err(refusal) => {
            close(socket, CLOSE_UNAUTHORIZED, &refusal.to_string()).await;
            false
        }
    }
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let frame = axum::extract::ws::CloseFrame {
        code,
        reason: Utf8Bytes::from(reason.to_owned()),
    };
    let _ = tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
}

/// The whole air picture as a live message, if the node has one and the caller may see it.
fn full_picture(node: &Node, subscription: &Subscription) -> Option<String> {
    let hub = node.bus().air();
    if !hub.is_active() {
        return None;
    }
    hub.picture()
        .full_message_for(node.policy(), subscription.audience())
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
