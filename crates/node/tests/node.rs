//! Integration tests of the node's API, driven in-process through the router (and on a real
//! port for the WebSocket feed).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is the test failing

mod api {
    pub mod aar;
    pub mod bad_input;
    pub mod common;
    pub mod marking;
    pub mod objects;
    pub mod operations;
    pub mod pooled;
    pub mod replay;
    pub mod rules;
    pub mod ui;
}
mod architecture;
mod exits;
mod tak;
mod taxii;
