//! [`AppError`]: every way an API request can fail, and the response each one becomes.
//!
//! Client faults answer with a JSON body `{"error": "<code>", "message": "<what is wrong>"}` and
//! the fitting 4xx status. Internal faults are logged with their cause and answer a bare 500:
//! the client learns nothing of the node's insides.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Malformed or invalid input.
    #[error("{0}")]
    BadRequest(String),
    /// No valid credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such object, or one the caller may not see (indistinguishable on purpose).
    #[error("not found")]
    NotFound,
    /// The object was deleted.
    #[error("{0}")]
    Gone(String),
    /// A precondition failed (stale version, already exists).
    #[error("{message}")]
    Conflict {
        /// What conflicts.
        message: String,
        /// The object's current version, when there is one.
        current_version: Option<u64>,
    },
    /// Well-formed, but it contradicts the node's policy or what it holds (a support request
    /// not releasable to a nation it is addressed to).
    #[error("{0}")]
    Unprocessable(String),
    /// A change without the version it is made against.
    #[error("{0}")]
    PreconditionRequired(String),
    /// Body over the limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The resource exists but is not written this way (objects the node writes itself).
    #[error("{0}")]
    MethodNotAllowed(String),
    /// Wrong content type.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Throttled.
    #[error("too many failed attempts: retry in {} s", .retry_after.as_secs().max(1))]
    TooManyRequests {
        /// When to retry.
        retry_after: Duration,
    },
    /// Something broke inside the node.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The error body of every 4xx answer (its OpenAPI schema).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable code: bad_request, unauthorized, forbidden, not_found, gone, conflict, ...
    pub error: String,
    /// What is wrong, for people.
    pub message: String,
    /// On a version conflict: the current version.
    pub current_version: Option<u64>,
}

#[derive(Serialize)]
struct ErrorJson<'a> {
    error: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    current_version: Option<u64>,
}

impl AppError {
    /// An internal error from anything displayable (logged when turned into a response).
    pub fn internal(err: impl std::fmt::Display) -> AppError {
        AppError::Internal(err.to_string())
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Gone(_) => (StatusCode::GONE, "gone"),
            AppError::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
            AppError::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable"),
            AppError::PreconditionRequired(_) => {
                (StatusCode::PRECONDITION_REQUIRED, "precondition_required")
            }
            AppError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            AppError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            AppError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            AppError::TooManyRequests { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_requests")
            }
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            AppError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        let current_version = match &self {
            AppError::Conflict {
                current_version, ..
            } => *current_version,
            _ => None,
        };
        let mut response = (
            status,
            Json(ErrorJson {
                error: code,
                message,
                current_version,
            }),
        )
            .into_response();
        match &self {
            AppError::TooManyRequests { retry_after } => {
                let seconds = retry_after.as_secs().max(1).to_string();
                if let Ok(value) = HeaderValue::from_str(&seconds) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
            }
            AppError::Unauthorized(_) => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}

impl From<liptako_store::StoreError> for AppError {
    fn from(err: liptako_store::StoreError) -> AppError {
        AppError::internal(err)
    }
}

impl From<crate::state::NodeError> for AppError {
    fn from(err: crate::state::NodeError) -> AppError {
        AppError::internal(err)
    }
}
