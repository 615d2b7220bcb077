//! Decode errors: where (byte offset in the input, category) and what (an [`ErrorKind`]).
//!
//! Every error is a value; decoding never panics. The offset counts from the start of the
//! buffer handed to the decoder, plus the base offset the caller gave (a file position, say),
//! so an operator can find the bad byte with a hex editor.

use std::fmt;

/// A decoding error: `offset 412: CAT048: FSPEC runs past end of block`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Error {
    /// Byte offset of the problem.
    pub offset: usize,
    /// Category of the block, once its header was read.
    pub category: Option<u8>,
    /// What went wrong.
    pub kind: ErrorKind,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "offset {}: ", self.offset)?;
        if let Some(cat) = self.category {
            write!(f, "CAT{cat:03}: ")?;
        }
        write!(f, "{}", self.kind)
    }
}

/// What went wrong. A stream reader tells [`ErrorKind::Truncated`] (wait for more bytes)
/// from the others (skip the block).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// Fewer bytes than a data block header (CAT + LEN) needs.
    #[error("data block header truncated: {available} of 3 bytes")]
    Truncated {
        /// Bytes there were.
        available: usize,
    },
    /// The block's LEN is below the 3-byte header or beyond the bytes available.
    #[error("LEN {len} does not fit: {available} bytes available from the block start")]
    LenMismatch {
        /// LEN as read.
        len: u16,
        /// Bytes from the block start to the end of the input.
        available: usize,
    },
    /// No table for this category (or the configuration disabled it).
    #[error("category not decoded, block skipped")]
    UnknownCategory,
    /// The FSPEC's FX chain runs past the end of the block.
    #[error("FSPEC runs past end of block")]
    FspecOverrun,
    /// A record whose FSPEC has no item bit set (often zero padding after the last record).
    #[error("empty FSPEC (no item present)")]
    EmptyRecord,
    /// The FSPEC announces an FRN that the edition's UAP leaves undefined.
    #[error("FSPEC announces FRN {frn}, which edition {edition} does not define")]
    UndefinedItem {
        /// Field Reference Number, 1-based.
        frn: usize,
        /// Edition used.
        edition: &'static str,
    },
    /// An item runs past the end of the block.
    #[error("I{category:03}/{item} runs past end of block")]
    ItemOverrun {
        /// Category.
        category: u8,
        /// Item number.
        item: &'static str,
    },
    /// A compound item announces a subfield the edition leaves undefined.
    #[error("I{category:03}/{item}: subfield {index} is not defined")]
    UndefinedSubfield {
        /// Category.
        category: u8,
        /// Item number.
        item: &'static str,
        /// Subfield index, 1-based.
        index: usize,
    },
    /// An explicit-length item (SP, RE) with a length octet of zero.
    #[error("I{category:03}/{item}: explicit length 0")]
    BadExplicitLength {
        /// Category.
        category: u8,
        /// Item number.
        item: &'static str,
    },
}

/// Errors from encoding: a value the item cannot carry, or a block that grew too big.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EncodeError {
    /// A value outside what the field can carry.
    #[error("I{category:03}/{item} {field}: {value} is outside {min}..={max}")]
    OutOfRange {
        /// Category.
        category: u8,
        /// Item number.
        item: &'static str,
        /// Field name.
        field: &'static str,
        /// The value given.
        value: f64,
        /// Smallest value the field carries.
        min: f64,
        /// Largest value the field carries.
        max: f64,
    },
    /// A value that is not a number.
    #[error("I{category:03}/{item} {field}: value is not a finite number")]
    NotFinite {
        /// Category.
        category: u8,
        /// Item number.
        item: &'static str,
        /// Field name.
        field: &'static str,
    },
    /// A character the field's alphabet lacks (ICAO 6-bit: A-Z, 0-9, space).
    #[error("I{category:03}/{item}: character {ch:?} cannot be encoded")]
    BadCharacter {
        /// Category.
        category: u8,
        /// Item number.
        item: &'static str,
        /// The character.
        ch: char,
    },
    /// The edition has no such item.
    #[error("CAT{category:03} edition {edition} has no item {item}")]
    NoSuchItem {
        /// Category.
        category: u8,
        /// Edition.
        edition: &'static str,
        /// Item number asked for.
        item: String,
    },
    /// A field name the item does not have in this edition (with a non-zero value).
    #[error("I{category:03}/{item} has no field {field} in this edition")]
    NoSuchField {
        /// Category.
        category: u8,
        /// Item number.
        item: &'static str,
        /// Field name given.
        field: String,
    },
    /// Raw item bytes that do not frame as the item's format says.
    #[error("I{category:03}/{item}: {len} bytes do not frame as this item ({reason})")]
    BadItemBytes {
        /// Category.
        category: u8,
        /// Item number.
        item: &'static str,
        /// Bytes given.
        len: usize,
        /// Why.
        reason: &'static str,
    },
    /// The same item set twice in one record.
    #[error("I{category:03}/{item} set twice in one record")]
    DuplicateItem {
        /// Category.
        category: u8,
        /// Item number.
        item: &'static str,
    },
    /// A record without items.
    #[error("CAT{category:03}: a record needs at least one item")]
    EmptyRecord {
        /// Category.
        category: u8,
    },
    /// The data block would exceed 65,535 bytes.
    #[error("data block would be {len} bytes, over the 65535 that LEN can say")]
    BlockTooLong {
        /// Length it would have had.
        len: usize,
    },
    /// A record written with an edition of another category.
    #[error("record of CAT{record:03} cannot go into a CAT{block:03} block")]
    CategoryMismatch {
        /// Category of the block.
        block: u8,
        /// Category of the record.
        record: u8,
    },
    /// Too many repetitions for a one-octet count.
    #[error("I{category:03}/{item}: {count} repetitions, at most 255")]
    TooManyRepetitions {
        /// Category.
        category: u8,
        /// Item number.
        item: &'static str,
        /// Repetitions asked for.
        count: usize,
    },
}
