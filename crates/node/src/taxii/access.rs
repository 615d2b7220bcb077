//! Every access decision, marking input and login of the TAXII server and client, each in one
//! function, so that they can be pointed at the node's one decision in one place.
//!
//! - [`decide`]: may `principal` see `meta` in `world` (TAXII serves the real world)? Today:
//!   the object's world is the requested one and `Policy::may_see` holds.
//! - [`marking_input`]: a marking that comes from outside (a STIX marking definition, a TLP
//!   table entry, a collection's default) made canonical and checked against the clearance of
//!   whoever brings it in. Today: `Policy::check_marking` + `Policy::check_may_mark`.
//! - [`authenticate`]: the caller from `Authorization`: a bearer token (the API's session
//!   tokens) or HTTP basic (user name and password, through the node's one login path with
//!   its throttling and audit).

use std::net::IpAddr;
use std::sync::Arc;

use axum::http::{HeaderMap, header};
use base64ct::{Base64, Encoding};
use liptako_model::{Marking, MarkingError, Meta, Principal};

use crate::state::Node;

/// The world TAXII serves: the real world (exercises are never exported over TAXII).
pub const REAL_WORLD: Option<&str> = None;

/// **The access decision** for everything TAXII hands out or changes: may `principal` see
/// `meta` when reading `world`?
pub fn decide(node: &Node, principal: &Principal, meta: &Meta, world: Option<&str>) -> bool {
    meta.exercise.as_deref() == world && node.policy().may_see(principal, meta)
}

/// **The marking input**: `marking` from outside, canonical, and not above `principal`'s
/// clearance.
pub fn marking_input(
    node: &Node,
    principal: &Principal,
    marking: &Marking,
) -> Result<Marking, MarkingError> {
    let marking = node.policy().check_marking(marking)?;
    node.policy().check_may_mark(principal, &marking)?;
    Ok(marking)
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
        return node
            .auth()
            .verify(credentials.trim(), node.now())
            .map_err(|err| AuthFailure::Unauthorized(err.to_string()));
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
    // The node's one password login (throttled per user and address, argon2 on a blocking
    // thread, failures audited); it lives with the TAK server today.
    crate::tak::verify_login(node, &user, &password, addr)
        .await
        .map_err(|err| match err {
            crate::tak::LoginError::Refused => {
                AuthFailure::Unauthorized("wrong user name or password".into())
            }
            crate::tak::LoginError::Throttled(wait) => AuthFailure::Throttled(wait),
            crate::tak::LoginError::Internal(cause) => AuthFailure::Internal(cause),
        })
}
