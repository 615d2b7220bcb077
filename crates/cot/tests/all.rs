//! Integration tests of `liptako-cot`, one binary (`autotests = false`) to save link time.
//!
//! - `cases`: every file under `data/xml/` and `data/proto/` decoded, checked against the
//!   `.expected` file beside it (refresh with `UPDATE_EXPECT=1`), and round-tripped.
//! - `properties`: proptest: XML -> model -> protobuf -> model -> XML keeps every field;
//!   decoders never panic on arbitrary bytes; stream decoding is independent of how the
//!   input is split; garbage between events costs one error and no event.
//! - `stream`: the stream decoder's resynchronisation, limits and framing switch.
//! - `peers`: takproto and pytak (real TAK client libraries, from the repo's venv) against
//!   our encoders and decoders.
//! - `fuzz_corpus`: the committed fuzz corpus replayed through every decoder.

mod cases;
mod common;
mod fuzz_corpus;
mod peers;
mod properties;
mod stream;
