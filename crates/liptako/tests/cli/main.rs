//! Tests of the real `liptako` binary, run as a separate process in temporary directories.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is the test failing

mod air;
mod deconfliction;
mod demo;
mod durability;
mod federation;
mod first_steps;
mod joint_air;
mod openapi;
mod pooled;
mod pursuit;
mod security;
mod stix;
mod system_tracks;
mod tak_security;
mod util;
mod web;
