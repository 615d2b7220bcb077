//! The HTTP edge every feature's routes share: [`error::AppError`] (the one error type that is a
//! response: client faults get a message, internal ones are logged and not shown) and the
//! extractors ([`extract::Caller`], [`extract::JsonBody`], [`extract::Params`],
//! [`extract::ClientAddr`]). Errors of the core ([`crate::NodeError`]) become `AppError` here
//! and nowhere else.

pub mod error;
pub mod extract;
pub mod serve;
