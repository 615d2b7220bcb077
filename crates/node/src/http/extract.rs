//! Request extractors shared by the handlers: the caller's principal ([`Caller`]), a JSON body
//! with clear errors ([`JsonBody`]), query strings with clear errors ([`Params`]) and the client
//! address ([`ClientAddr`]).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Query, Request};
use axum::http::header;
use axum::http::request::Parts;
use liptako_model::{Principal, Role};

use crate::auth::{Refusal, Session, authenticate};
use serde::de::DeserializeOwned;

use crate::http::error::AppError;
use crate::state::Node;

/// The authenticated caller, from `Authorization: Bearer <token>` only (a token in a URL ends
/// up in logs and browser histories; only the WebSocket's first request may carry one, see
/// [`Caller::from_token`]). The principal is the account's as stored now, not what the token
/// was issued with: a demotion applies at once, a disabled account or a revoked session is
/// refused.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl Caller {
    /// Fails unless the caller's role is at least `role`.
    pub fn require(&self, role: Role) -> Result<(), AppError> {
        if self.0.role >= role {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "role {} may not do this; {} is needed",
                self.0.role.as_str(),
                role.as_str()
            )))
        }
    }

    /// The caller a token speaks for, and its session.
    pub async fn from_token(node: &Node, token: &str) -> Result<(Caller, Session), AppError> {
        match authenticate(node, token).await {
            Ok((principal, session)) => Ok((Caller(principal), session)),
            Err(Refusal::Internal(cause)) => Err(AppError::Internal(cause)),
            Err(refusal) => Err(AppError::Unauthorized(refusal.to_string())),
        }
    }
}

/// The bearer token of a request's `Authorization` header, if there is one.
pub fn bearer(parts: &Parts) -> Result<Option<&str>, AppError> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .map(|value| {
            value
                .to_str()
                .ok()
                .and_then(|text| {
                    text.strip_prefix("Bearer ")
                        .or_else(|| text.strip_prefix("bearer "))
                })
                .map(str::trim)
                .ok_or_else(|| {
                    AppError::Unauthorized("Authorization header must be `Bearer <token>`".into())
                })
        })
        .transpose()
}

impl FromRequestParts<Arc<Node>> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, node: &Arc<Node>) -> Result<Caller, AppError> {
        let token = bearer(parts)?.ok_or_else(|| {
            AppError::Unauthorized(
                "missing bearer token: log in with POST /api/v1/auth/login".into(),
            )
        })?;
        Caller::from_token(node, token)
            .await
            .map(|(caller, _)| caller)
    }
}

/// A JSON request body: the content type must be JSON, the size within the configured limit,
/// the body a JSON object, and a syntax error names its line and column.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Arc<Node>> for JsonBody<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, node: &Arc<Node>) -> Result<JsonBody<T>, AppError> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .map(str::trim)
            .is_some_and(|mime| mime == "application/json" || mime.ends_with("+json"));
        if !is_json {
            return Err(AppError::UnsupportedMediaType(
                "the body must be JSON (Content-Type: application/json)".into(),
            ));
        }
        let bytes = Bytes::from_request(request, node)
            .await
            .map_err(|rejection| body_rejection(rejection, node))?;
        // Every body of the API is an object; serde would also read a struct from an array
        // (`[null, null]` as a change of nothing), which is no request anyone meant.
        if bytes.iter().find(|byte| !byte.is_ascii_whitespace()) != Some(&b'{') {
            return Err(AppError::BadRequest(
                "the body must be a JSON object".into(),
            ));
        }
        parse_json(&bytes).map(JsonBody)
    }
}

fn body_rejection(rejection: BytesRejection, node: &Node) -> AppError {
    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge(format!(
            "the body is larger than {} bytes",
            node.config().http.max_body_bytes
        ))
    } else {
        AppError::BadRequest(format!("cannot read the body: {rejection}"))
    }
}

/// Parses JSON with an error that says where and what.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    serde_json::from_slice(bytes).map_err(|err| {
        let what = match err.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                "malformed JSON"
            }
            _ => "invalid body",
        };
        AppError::BadRequest(format!("{what}: {err}"))
    })
}

/// Query parameters with an error that names the bad one.
#[derive(Debug)]
pub struct Params<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Params<T>, AppError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Params(value))
            .map_err(|rejection| AppError::BadRequest(rejection.body_text()))
    }
}

/// The client's address, when the server knows it (not in in-process tests).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientAddr, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}
