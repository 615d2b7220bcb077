//! ASTERIX codec: decode and encode EUROCONTROL surveillance data (pure, no I/O).
//!
//! Categories CAT021 (ADS-B reports), CAT034 (radar service messages), CAT048 (monoradar
//! target reports), CAT062 (system tracks) and CAT065 (SDPS service status), each in its
//! current edition and the older one still in the field, described as data in [`tables`]:
//! one UAP and one item table per edition.
//!
//! - [`Decoder`] walks a buffer's data blocks and records; a [`Record`] borrows the input and
//!   gives every item raw ([`Record::item`]) or field by field ([`Item::visit`]).
//! - Typed views read what a tracker needs without allocating: [`cat048::Cat048Report`],
//!   [`cat021::Cat021Report`], [`cat062::Cat062Track`], [`cat034::Cat034Message`],
//!   [`cat065::Cat065Message`].
//! - [`encode`] writes records and blocks from the same tables; the typed reports of CAT048,
//!   CAT021, CAT034 and CAT062 encode themselves.
//! - [`Editions`] chooses the edition per category (`"CAT048=1.21"`); the default is the
//!   current edition of each.
//! - Errors name the byte offset and the reason; decoding goes on with the next block.
//!
//! ```
//! use liptako_asterix::{Decoder, cat048::Cat048Report};
//!
//! // One CAT048 block from asterix-decoder's sample data.
//! let bytes = [
//!     0x30, 0x00, 0x30, 0xfd, 0xf7, 0x02, 0x19, 0xc9, 0x35, 0x6d, 0x4d, 0xa0, 0xc5, 0xaf, 0xf1,
//!     0xe0, 0x02, 0x00, 0x05, 0x28, 0x3c, 0x66, 0x0c, 0x10, 0xc2, 0x36, 0xd4, 0x18, 0x20, 0x01,
//!     0xc0, 0x78, 0x00, 0x31, 0xbc, 0x00, 0x00, 0x40, 0x0d, 0xeb, 0x07, 0xb9, 0x58, 0x2e, 0x41,
//!     0x00, 0x20, 0xf5,
//! ];
//! for record in Decoder::default().records(&bytes) {
//!     let report = Cat048Report::from_record(&record?).expect("a CAT048 record");
//!     let polar = report.polar.expect("I048/040 present");
//!     assert_eq!(polar.rho_nm, 197.68359375);
//!     assert_eq!(report.aircraft_id.expect("I048/240").as_str(), "DLH65A");
//! }
//! # Ok::<(), liptako_asterix::Error>(())
//! ```

#![forbid(unsafe_code)]
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
#![warn(missing_docs)]

pub mod capture;
pub mod cat021;
pub mod cat034;
pub mod cat048;
pub mod cat062;
pub mod cat065;
pub mod check;
pub mod decode;
pub mod dump;
pub mod editions;
pub mod encode;
pub mod error;
pub mod fields;
pub mod spec;
pub mod tables;
pub mod types;

pub use decode::{Block, Decoder, Item, ItemName, Record, split_block};
pub use editions::{EditionError, Editions, parse_edition};
pub use encode::{BlockEncoder, Content, EncodeRecord, FieldValue, RecordWriter};
pub use error::{EncodeError, Error, ErrorKind};
pub use spec::Edition;
pub use types::{AircraftAddress, AircraftId, DataSource, Mode3A, ModeSRegisters, Wgs84};
