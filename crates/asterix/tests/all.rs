//! Integration tests of `liptako-asterix`, one binary (`autotests = false`) to save link time.
//!
//! - `capture`: pcap/pcapng on Ethernet, VLAN, Linux cooked v1/v2 and raw IP; timestamps;
//!   IP reassembly; non-UDP packets skipped and counted.
//! - `decode`: known bytes decoded to known values; errors name offset and reason.
//! - `encode`: typed reports of every encoded category round-trip in both editions; values
//!   that do not fit are refused.
//! - `fuzz_corpus`: the committed fuzz corpus replayed through the fuzz targets' invariants.
//! - `properties`: proptest: no input makes a decoder panic; typed reports round-trip in
//!   both editions; every item of every table round-trips field by field (`generate` builds
//!   random records from the tables, `strategies` random typed reports).
//! - `typed`: the typed views read the same values as the table-driven field view, on the
//!   real captures and on generated records of every edition.
//! - `reference`: asterix-decoder (in a child process) and ours over its sample data and the
//!   shared captures: every field both produce must agree; crashes count as unverified.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is the test failing
#![allow(clippy::print_stderr)] // the cross-check prints its report for the log

mod capture;
mod common;
mod decode;
mod encode;
mod fuzz_corpus;
mod generate;
mod properties;
mod reference;
mod strategies;
mod typed;
