//! Integration tests of `liptako-track` (one test target, as the workspace asks): tracking on
//! simulated scenarios, the offline file formats end to end, property tests on untrusted input,
//! the borders file against its npm source, and house rules.

mod common;
mod fuzz_corpus;
mod joint_tests;
mod offline_mode;
mod properties;
mod scenario_tests;
