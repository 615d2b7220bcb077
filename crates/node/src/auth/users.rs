//! [`Users`]: the accounts behind sessions, read at each decision.
//!
//! Every door asks [`Users::principal`] (through [`authenticate`] for a bearer token) what a
//! session speaks for *now*: the account's nation, clearance and role as stored, refused when
//! the account is gone, disabled or its session generation moved on (a password reset or a
//! disable revokes every token issued before).
//!
//! Accounts are cached for at most [`USERS_TTL`]: a change made through this node (the users
//! API) is published on the bus by the store's commit hook and drops the cached account at
//! once; a change written by another process (`liptako user set` on the data directory) is seen
//! within [`USERS_TTL`]. Long-lived sessions (the live feed, TAK) also follow the bus's user
//! topic and re-decide at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use liptako_model::Principal;
use liptako_store::UserRecord;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::TryRecvError;

use super::{Session, TokenError, user_principal};
use crate::state::{Node, NodeError};

/// How long an account read from the store is trusted before it is read again.
pub const USERS_TTL: Duration = Duration::from_secs(1);
/// Accounts cached at most (past it, the cache starts again).
const MAX_CACHED: usize = 10_000;

/// Why a session no longer speaks for anyone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The token is malformed, forged or expired.
    #[error("{0}")]
    Token(#[from] TokenError),
    /// No such account (any more).
    #[error("no such user: log in again")]
    NoSuchUser,
    /// The account is disabled.
    #[error("this account is disabled")]
    Disabled,
    /// The token was issued before the account's password was reset or it was disabled.
    #[error("this session was revoked: log in again")]
    Revoked,
    /// The store could not be read.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The accounts, as sessions see them.
pub struct Users {
    cache: Mutex<HashMap<String, (Option<UserRecord>, Instant)>>,
    changes: Mutex<broadcast::Receiver<Arc<str>>>,
}

impl Users {
    /// A directory following account changes on `changes` (the bus's user topic).
    pub fn new(changes: broadcast::Receiver<Arc<str>>) -> Users {
        Users {
            cache: Mutex::new(HashMap::new()),
            changes: Mutex::new(changes),
        }
    }

    /// Drops every cached account the bus says changed.
    fn follow_changes(&self) {
        let mut changes = self.changes.lock().unwrap_or_else(PoisonError::into_inner);
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            match changes.try_recv() {
                Ok(name) => {
                    cache.remove(name.as_ref());
                }
                Err(TryRecvError::Lagged(_)) => cache.clear(),
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
    }

    /// The account `name` as stored (at most [`USERS_TTL`] old, and never older than the last
    /// change made through this node).
    pub async fn account(&self, node: &Node, name: &str) -> Result<Option<UserRecord>, NodeError> {
        self.follow_changes();
        let now = node.clock().instant();
        if let Some((user, fetched)) = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            && now.saturating_duration_since(*fetched) < USERS_TTL
        {
            return Ok(user.clone());
        }
        let lookup = name.to_owned();
        let user = node.with_store(move |store| store.user(&lookup)).await?;
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(name.to_owned(), (user.clone(), now));
        Ok(user)
    }

    /// What `session` speaks for now, or why nothing.
    pub async fn principal(&self, node: &Node, session: &Session) -> Result<Principal, Refusal> {
        let user = self
            .account(node, &session.user)
            .await
            .map_err(|err| Refusal::Internal(err.to_string()))?;
        decide(user.as_ref(), session.generation)
    }

    /// Forgets every cached account (tests; an administrator's restore).
    pub fn forget_all(&self) {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// The decision on an account for a session of `generation`.
pub fn decide(user: Option<&UserRecord>, generation: u64) -> Result<Principal, Refusal> {
    match user {
        None => Err(Refusal::NoSuchUser),
        Some(user) if user.disabled => Err(Refusal::Disabled),
        Some(user) if user.session_gen != generation => Err(Refusal::Revoked),
        Some(user) => Ok(user_principal(user)),
    }
}

/// A bearer token → the principal it speaks for now, and its session.
pub async fn authenticate(node: &Node, token: &str) -> Result<(Principal, Session), Refusal> {
    let session = node.auth().verify(token, node.now())?;
    let principal = node.users().principal(node, &session).await?;
    Ok((principal, session))
}
