//! Every access decision, marking input and login of the TAXII server and client, each in one
//! function, so that they can be pointed at the node's one decision in one place.
//!
//! - [`decide`]: may `principal` see `meta` in `world` (TAXII serves the real world)? The one
//!   access decision, `Policy::allows` for a reader in that world.
//! - [`marking_input`]: a marking that comes from outside (a STIX marking definition, a TLP
//!   table entry, a collection's default) through the one marking input,
//!   `Policy::marking_input`, for whoever brings it in.
//! - [`authenticate`]: the caller from `Authorization`: a bearer token (the API's session
//!   tokens, the account read at each decision) or HTTP basic (user name and password, through
//!   the node's one login, `auth::verify_login`, with its throttling and audit).

use std::net::IpAddr;
use std::sync::Arc;

use axum::http::{HeaderMap, header};
use base64ct::{Base64, Encoding};
use liptako_model::{Audience, Marking, MarkingError, Meta, Principal};

use crate::state::Node;

/// The world TAXII serves: the real world (exercises are never exported over TAXII).
pub const REAL_WORLD: Option<&str> = None;

/// **The access decision** for everything TAXII hands out or changes: may `principal` see
/// `meta` when reading `world`?
pub fn decide(node: &Node, principal: &Principal, meta: &Meta, world: Option<&str>) -> bool {
    node.policy()
        .allows(Audience::reader(principal, world), meta)
}

/// **The marking input**: `marking` from outside, canonical, and not above `principal`'s
/// clearance.
pub fn marking_input(
    node: &Node,
    principal: &Principal,
    marking: &Marking,
) -> Result<Marking, MarkingError> {
    node.policy()
        .marking_input(principal, node.nation(), marking, None)
}

/// Why a request has no principal.
#[derive(Debug, thiserror::Error)]
pub enum AuthFailure {
    /// No or unreadable credentials, a bad token, a wrong password.
    #[error("{0}")]
    Unauthorized(String),
    /// Too many failures.
    #[error("too many failed attempts: retry in {} s", .0.as_secs().max(1))]
    Throttled(std::time::Duration),
    /// Inside the node.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The caller of a TAXII request, from `Authorization: Bearer <token>` or `Basic <user:pw>`.
pub async fn authenticate(
    node: &Arc<Node>,
    headers: &HeaderMap,
    addr: Option<IpAddr>,
) -> Result<Principal, AuthFailure> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| {
            AuthFailure::Unauthorized(
                "authenticate with HTTP basic (user name and password) or a bearer token".into(),
            )
        })?;
    let (scheme, credentials) = value.trim().split_once(' ').ok_or_else(|| {
        AuthFailure::Unauthorized("Authorization must be `Basic ...` or `Bearer ...`".into())
    })?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return match crate::auth::authenticate(node, credentials.trim()).await {
            Ok((principal, _)) => Ok(principal),
            Err(crate::auth::Refusal::Internal(cause)) => Err(AuthFailure::Internal(cause)),
            Err(refusal) => Err(AuthFailure::Unauthorized(refusal.to_string())),
        };
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(AuthFailure::Unauthorized(
            "Authorization must be `Basic ...` or `Bearer ...`".into(),
        ));
    }
    let (user, password) = Base64::decode_vec(credentials.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            text.split_once(':')
                .map(|(user, password)| (user.to_owned(), password.to_owned()))
        })
        .ok_or_else(|| AuthFailure::Unauthorized("malformed basic credentials".into()))?;
    // The node's one password login (throttled per user and address before the hash, failures
    // audited with the door's name).
    crate::auth::verify_login(node, &user, &password, addr, "taxii")
        .await
        .map(|user| crate::auth::user_principal(&user))
        .map_err(|err| match err {
            crate::auth::LoginError::Refused => {
                AuthFailure::Unauthorized("wrong user name or password".into())
            }
            crate::auth::LoginError::Throttled(wait) => AuthFailure::Throttled(wait),
            crate::auth::LoginError::Internal(cause) => AuthFailure::Internal(cause),
        })
}
