//! The TAK server's watch on user accounts: a TAK session speaks for a user (its certificate's,
//! or the one its `<auth>` logged in) for as long as it stays connected, so the user's account
//! is read again whenever it may have changed, and the hub decides again for every session of
//! that user (see `Hub::account_changed`): a disabled or removed user's sessions are closed,
//! and so are the sessions opened with `<auth>` before a password reset (the account's session
//! generation moved on); a changed user's sessions get the new principal.
//!
//! One task, [`run`], reads the store (on a blocking thread) and hands what it read to the hub:
//! - at once, for every name on the bus's user topic (`Bus::users`: the store's commit hook
//!   publishes every user row this node writes: `POST /api/v1/users`, `PUT /api/v1/users/..`);
//! - at once, for a name the hub asks about ([`AccountChecks::ask`]): a session that just
//!   connected or logged in, whose user may have changed between its login and the hub knowing
//!   it;
//! - every user, when it lagged behind the bus (it missed names), and every `user_recheck`
//!   (`[cot]`, 30 s by default): changes another process wrote to the database (`liptako user`
//!   writes the SQLite file directly) are not on this node's bus.
//!
//! The hub never waits for this task: its questions go through a bounded channel, and when that
//! is full the next periodic re-read answers them. This task waits for the hub's inbox (bounded)
//! like any session does.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use liptako_model::Principal;
use liptako_store::UserRecord;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use super::hub::HubMsg;
use crate::auth::user_principal;
use crate::state::Node;

/// Questions from the hub waiting before they are left to the periodic re-read.
const CHECKS_CAPACITY: usize = 1_024;

/// The hub's side: asks for a user to be read again.
#[derive(Debug, Clone)]
pub struct AccountChecks {
    sender: mpsc::Sender<String>,
}

impl AccountChecks {
    /// A channel of questions: the hub keeps the [`AccountChecks`], [`run`] takes the receiver.
    pub fn channel() -> (AccountChecks, mpsc::Receiver<String>) {
        let (sender, receiver) = mpsc::channel(CHECKS_CAPACITY);
        (AccountChecks { sender }, receiver)
    }

    /// Asks for `name` to be read again; never waits (when the queue is full, the periodic
    /// re-read answers).
    pub fn ask(&self, name: &str) {
        if self.sender.try_send(name.to_owned()).is_err() {
            tracing::debug!(user = name, "account check left to the periodic re-read");
        }
    }
}

/// A user account as it is now: what it speaks for, and the generation of its password
/// sessions (a password reset moves it on: sessions opened with the old password end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountNow {
    /// Its principal.
    pub principal: Principal,
    /// `UserRecord::session_gen`.
    pub session_gen: u64,
}

/// What a user account speaks for now, or `None` when the account is disabled or gone (its
/// sessions end).
pub fn standing(user: Option<&UserRecord>) -> Option<AccountNow> {
    user.filter(|user| !user.disabled).map(|user| AccountNow {
        principal: user_principal(user),
        session_gen: user.session_gen,
    })
}

/// Reads accounts for the hub until the node shuts down (see the module docs).
pub async fn run(
    node: Arc<Node>,
    inbox: mpsc::Sender<HubMsg>,
    mut users: tokio::sync::broadcast::Receiver<Arc<str>>,
    mut checks: mpsc::Receiver<String>,
    every: Duration,
) {
    let mut shutdown = node.shutdown_signal();
    let mut recheck = tokio::time::interval(every);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate: nothing is connected yet, so skip it.
    recheck.tick().await;
    loop {
        let message = tokio::select! {
            name = users.recv() => match name {
                Ok(name) => read_one(&node, &name).await,
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "TAK account watch fell behind the bus; re-reading every user");
                    read_all(&node).await
                }
                Err(RecvError::Closed) => break,
            },
            name = checks.recv() => match name {
                Some(name) => read_one(&node, &name).await,
                None => break,
            },
            _ = recheck.tick() => read_all(&node).await,
            _ = shutdown.changed() => break,
        };
        let Some(message) = message else { continue };
        if inbox.send(message).await.is_err() {
            break;
        }
    }
}

async fn read_one(node: &Arc<Node>, name: &str) -> Option<HubMsg> {
    let lookup = name.to_owned();
    match node.with_store(move |store| store.user(&lookup)).await {
        Ok(user) => Some(HubMsg::Account {
            name: name.to_owned(),
            now: standing(user.as_ref()),
        }),
        Err(err) => {
            // Nothing is decided on a failed read; the next re-read tries again.
            tracing::warn!(user = name, cause = %err, "TAK account watch cannot read a user");
            None
        }
    }
}

async fn read_all(node: &Arc<Node>) -> Option<HubMsg> {
    match node.with_store(|store| store.users()).await {
        Ok(users) => Some(HubMsg::Accounts(
            users
                .iter()
                .filter_map(|user| Some((user.name.clone(), standing(Some(user))?)))
                .collect::<HashMap<_, _>>(),
        )),
        Err(err) => {
            tracing::warn!(cause = %err, "TAK account watch cannot read the users");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liptako_model::{Nation, Role};

    #[test]
    fn a_disabled_account_speaks_for_nobody() {
        let mut user = UserRecord {
            name: "awa".into(),
            nation: Nation::parse("BFA").unwrap(),
            clearance: "C".into(),
            role: Role::Editor,
            password_hash: String::new(),
            created: time::OffsetDateTime::UNIX_EPOCH,
            disabled: false,
            session_gen: 0,
        };
        assert_eq!(
            standing(Some(&user)),
            Some(AccountNow {
                principal: user_principal(&user),
                session_gen: 0
            })
        );
        user.disabled = true;
        assert_eq!(standing(Some(&user)), None);
        assert_eq!(standing(None), None);
    }
}
