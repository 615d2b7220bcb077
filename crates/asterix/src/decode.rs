//! Data blocks, records and items: framing driven by the edition tables.
//!
//! A buffer (a UDP datagram, a file, a TCP stream segment) holds data blocks; a block holds
//! records of one category; a record is an FSPEC then the items it announces, in FRN order.
//! [`Decoder::records`] walks all of it and yields each record or the error that stopped a
//! block; after a bad block it goes on with the next one, which the block's LEN locates. Only
//! a LEN that cannot be trusted (below 3, or past the end of the buffer) ends the buffer.
//!
//! Nothing here allocates: a [`Record`] borrows the input and keeps the offset of each item
//! in a fixed array, so the typed views read their items in constant time.

use crate::editions::Editions;
use crate::error::{Error, ErrorKind};
use crate::spec::{Edition, Format, ItemSpec};

/// Most FRNs a record can carry: our UAPs are at most 63 long, so a `u64` holds presence.
const MAX_FRN: usize = 63;

/// Decodes buffers with one [`Editions`] choice.
#[derive(Debug, Clone, Copy, Default)]
pub struct Decoder {
    editions: Editions,
}

impl Decoder {
    /// A decoder using these editions.
    pub fn new(editions: Editions) -> Self {
        Decoder { editions }
    }

    /// The editions in use.
    pub fn editions(&self) -> &Editions {
        &self.editions
    }

    /// The data blocks of `bytes`. Offsets in errors count from the buffer start.
    pub fn blocks<'a>(&self, bytes: &'a [u8]) -> Blocks<'a> {
        self.blocks_at(bytes, 0)
    }

    /// The data blocks of `bytes`, whose first byte sits at `base_offset` in a larger input
    /// (a file position); error offsets include it.
    pub fn blocks_at<'a>(&self, bytes: &'a [u8], base_offset: usize) -> Blocks<'a> {
        Blocks {
            editions: self.editions,
            bytes,
            pos: 0,
            base_offset,
            done: false,
        }
    }

    /// Every record of every block in `bytes`, in order, with one error per block that
    /// could not be decoded to its end (records before the error are still yielded).
    pub fn records<'a>(&self, bytes: &'a [u8]) -> Records<'a> {
        self.records_at(bytes, 0)
    }

    /// As [`Decoder::records`], with error offsets shifted by `base_offset`.
    pub fn records_at<'a>(&self, bytes: &'a [u8], base_offset: usize) -> Records<'a> {
        Records {
            blocks: self.blocks_at(bytes, base_offset),
            current: None,
        }
    }
}

/// A data block and the bytes after it.
pub type BlockAndRest<'a> = (&'a [u8], &'a [u8]);

/// Splits one data block off the front of a stream (TCP): `Ok(None)` means more bytes are
/// needed; an error means the stream cannot be framed any more (LEN below 3).
pub fn split_block(bytes: &[u8]) -> Result<Option<BlockAndRest<'_>>, Error> {
    let (Some(&category), Some(&len_hi), Some(&len_lo)) =
        (bytes.first(), bytes.get(1), bytes.get(2))
    else {
        return Ok(None);
    };
    let len = u16::from_be_bytes([len_hi, len_lo]);
    if len < 3 {
        return Err(Error {
            offset: 0,
            category: Some(category),
            kind: ErrorKind::LenMismatch {
                len,
                available: bytes.len(),
            },
        });
    }
    Ok(bytes.split_at_checked(usize::from(len)))
}

/// Iterator over the data blocks of a buffer.
#[derive(Debug, Clone)]
pub struct Blocks<'a> {
    editions: Editions,
    bytes: &'a [u8],
    pos: usize,
    base_offset: usize,
    done: bool,
}

impl<'a> Iterator for Blocks<'a> {
    type Item = Result<Block<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        if rest.is_empty() {
            self.done = true;
            return None;
        }
        let offset = self.base_offset + self.pos;
        let (Some(&category), Some(&len_hi), Some(&len_lo)) =
            (rest.first(), rest.get(1), rest.get(2))
        else {
            self.done = true;
            return Some(Err(Error {
                offset,
                category: None,
                kind: ErrorKind::Truncated {
                    available: rest.len(),
                },
            }));
        };
        let len = u16::from_be_bytes([len_hi, len_lo]);
        let Some(block_bytes) = rest.get(..usize::from(len)).filter(|_| len >= 3) else {
            // A LEN we cannot trust leaves no way to find the next block in this buffer.
            self.done = true;
            return Some(Err(Error {
                offset,
                category: Some(category),
                kind: ErrorKind::LenMismatch {
                    len,
                    available: rest.len(),
                },
            }));
        };
        self.pos += usize::from(len);
        Some(Ok(Block {
            category,
            edition: self.editions.get(category),
            bytes: block_bytes,
            offset,
        }))
    }
}

/// One data block: CAT, LEN and the records.
#[derive(Debug, Clone, Copy)]
pub struct Block<'a> {
    category: u8,
    edition: Option<&'static Edition>,
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Block<'a> {
    /// The category octet.
    pub fn category(&self) -> u8 {
        self.category
    }

    /// The edition used for this category, if it is decoded.
    pub fn edition(&self) -> Option<&'static Edition> {
        self.edition
    }

    /// The whole block, header included.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Offset of the block's first byte in the input.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The records of the block. For a category without a table the iterator yields one
    /// [`ErrorKind::UnknownCategory`] error; after any error it stops.
    pub fn records(&self) -> BlockRecords<'a> {
        BlockRecords {
            block: *self,
            pos: 3,
            done: false,
        }
    }
}

/// Iterator over the records of one block.
#[derive(Debug, Clone)]
pub struct BlockRecords<'a> {
    block: Block<'a>,
    pos: usize,
    done: bool,
}

impl<'a> Iterator for BlockRecords<'a> {
    type Item = Result<Record<'a>, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.block.bytes.len() {
            return None;
        }
        let Some(edition) = self.block.edition else {
            self.done = true;
            return Some(Err(Error {
                offset: self.block.offset,
                category: Some(self.block.category),
                kind: ErrorKind::UnknownCategory,
            }));
        };
        match Record::parse(edition, self.block.bytes, self.pos, self.block.offset) {
            Ok(record) => {
                self.pos += record.bytes.len();
                Some(Ok(record))
            }
            Err(err) => {
                self.done = true;
                Some(Err(err))
            }
        }
    }
}

/// Every record of a buffer, block after block (see [`Decoder::records`]).
#[derive(Debug, Clone)]
pub struct Records<'a> {
    blocks: Blocks<'a>,
    current: Option<BlockRecords<'a>>,
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(records) = &mut self.current {
                if let Some(next) = records.next() {
                    return Some(next);
                }
                self.current = None;
            }
            match self.blocks.next()? {
                Ok(block) => self.current = Some(block.records()),
                Err(err) => return Some(Err(err)),
            }
        }
    }
}

/// One record: its edition, its bytes and where each present item starts.
#[derive(Clone, Copy)]
pub struct Record<'a> {
    edition: &'static Edition,
    bytes: &'a [u8],
    offset: usize,
    fspec_len: u16,
    present: u64,
    // Start of the item at FRN n + 1, relative to the record start; valid where present.
    // One slot more than FRNs: the index of any bit of a `u64` is in range, no bounds test.
    starts: [u16; MAX_FRN + 1],
}

impl std::fmt::Debug for Record<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Record")
            .field("edition", &self.edition.name().to_string())
            .field("offset", &self.offset)
            .field("len", &self.bytes.len())
            .field(
                "items",
                &self.items().map(|item| item.spec.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl<'a> Record<'a> {
    /// Decodes the record starting at `start` in `block` (a whole data block, header
    /// included); `block_offset` is the block's offset in the input, for errors.
    #[inline]
    pub fn parse(
        edition: &'static Edition,
        block: &'a [u8],
        start: usize,
        block_offset: usize,
    ) -> Result<Record<'a>, Error> {
        let error = |at: usize, kind: ErrorKind| Error {
            offset: block_offset + at,
            category: Some(edition.category),
            kind,
        };
        let mut pos = start;
        let mut present = 0u64;
        let mut octet_idx = 0usize;
        loop {
            let Some(&octet) = block.get(pos) else {
                return Err(error(start, ErrorKind::FspecOverrun));
            };
            pos += 1;
            // Seven item bits per FSPEC octet, most significant first; bit 0 is FX. Reversed,
            // bit j is FRN octet_idx * 7 + j + 1, so the octet's FRNs land in `present` (bit n
            // for FRN n + 1) with one shift, and the UAP check is one mask.
            let reversed = u64::from(REVERSED.get(usize::from(octet)).copied().unwrap_or(0) & 0x7f);
            if reversed != 0 {
                let shift = octet_idx * 7;
                // FRNs past 63 cannot be represented, and no UAP defines them.
                let fits = MAX_FRN.saturating_sub(shift).min(7);
                let beyond = reversed >> fits;
                let here = if fits == 0 {
                    0
                } else {
                    (reversed & ((1 << fits) - 1)) << shift
                };
                let missing = here & !edition.defined;
                let undefined = if missing != 0 {
                    Some(missing.trailing_zeros() as usize + 1)
                } else if beyond != 0 {
                    Some(shift + fits + beyond.trailing_zeros() as usize + 1)
                } else {
                    None
                };
                if let Some(frn) = undefined {
                    return Err(error(
                        pos - 1,
                        ErrorKind::UndefinedItem {
                            frn,
                            edition: edition.version,
                        },
                    ));
                }
                present |= here;
            }
            if octet & 1 == 0 {
                break;
            }
            octet_idx += 1;
        }
        if present == 0 {
            return Err(error(start, ErrorKind::EmptyRecord));
        }
        let fspec_len = pos - start;
        let mut starts = [0u16; MAX_FRN + 1];
        let mut remaining = present;
        while remaining != 0 {
            let idx = remaining.trailing_zeros() as usize;
            remaining &= remaining - 1;
            let Some(item) = edition.slots.get(idx).copied().flatten() else {
                // Unreachable: presence bits were checked against the UAP above.
                return Err(error(
                    start,
                    ErrorKind::UndefinedItem {
                        frn: idx + 1,
                        edition: edition.version,
                    },
                ));
            };
            if let Some(slot) = starts.get_mut(idx) {
                // A record is part of a block, whose LEN is a u16: the offset fits.
                *slot = u16::try_from(pos - start).unwrap_or(u16::MAX);
            }
            // Most items are fixed or extended: frame those here, without the general walk.
            let len = match item.format {
                Format::Fixed { len, .. } if pos + usize::from(len) <= block.len() => {
                    usize::from(len)
                }
                Format::Extended(parts) if let Some(len) = extended_len(parts, block, pos) => len,
                _ => {
                    let rest = block.get(pos..).unwrap_or_default();
                    frame(&item.format, rest)
                        .map_err(|fault| error(pos, fault.into_kind(edition.category, item.id)))?
                }
            };
            pos += len;
        }
        Ok(Record {
            edition,
            bytes: block.get(start..pos).unwrap_or_default(),
            offset: block_offset + start,
            fspec_len: u16::try_from(fspec_len).unwrap_or(u16::MAX),
            present,
            starts,
        })
    }

    /// Category number.
    pub fn category(&self) -> u8 {
        self.edition.category
    }

    /// The edition the record was decoded with.
    pub fn edition(&self) -> &'static Edition {
        self.edition
    }

    /// The record's bytes: FSPEC and items.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Offset of the record's first byte in the input.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The FSPEC octets.
    pub fn fspec(&self) -> &'a [u8] {
        self.bytes
            .get(..usize::from(self.fspec_len))
            .unwrap_or_default()
    }

    /// Whether the item at FRN `frn` (1-based) is present.
    #[inline]
    pub fn has_frn(&self, frn: usize) -> bool {
        let idx = frn.wrapping_sub(1);
        idx < MAX_FRN && self.present & (1 << idx) != 0
    }

    /// The item at FRN `frn` (1-based), if present.
    pub fn item_at_frn(&self, frn: usize) -> Option<Item<'a>> {
        let bytes = self.frn_bytes(frn)?;
        Some(Item {
            category: self.edition.category,
            frn,
            spec: self.edition.item_at(frn)?,
            bytes,
        })
    }

    /// An item by its number (`"040"`, `"SP"`), if present.
    pub fn item(&self, id: &str) -> Option<Item<'a>> {
        self.item_at_frn(self.edition.frn_of(id)?)
    }

    /// The present items, in FRN order.
    pub fn items(&self) -> Items<'_, 'a> {
        Items {
            record: self,
            remaining: self.present,
            pos: usize::from(self.fspec_len),
        }
    }

    /// The record's time of day, s since midnight UTC, from the item each category uses:
    /// I048/140, I062/070, I034/030, I065/030, and for CAT021 the time of applicability for
    /// position (I021/071), else of message reception for position (I021/073), else of
    /// report transmission (I021/077).
    pub fn time_of_day_s(&self) -> Option<f64> {
        let ids: &[&str] = match self.category() {
            48 => &["140"],
            62 => &["070"],
            34 | 65 => &["030"],
            21 => &["071", "073", "077"],
            _ => &[],
        };
        ids.iter().find_map(|id| {
            let [a, b, c] = *self.item(id)?.bytes.first_chunk::<3>()?;
            Some(f64::from(u32::from_be_bytes([0, a, b, c])) / 128.0)
        })
    }

    /// Number of items present.
    pub fn item_count(&self) -> usize {
        self.present.count_ones() as usize
    }

    /// Bytes of the item at `frn`.
    fn frn_bytes(&self, frn: usize) -> Option<&'a [u8]> {
        if !self.has_frn(frn) {
            return None;
        }
        let idx = frn - 1;
        let start = usize::from(*self.starts.get(idx)?);
        // The item ends where the next present item starts, or at the record's end.
        let later = self.present & !((1u64 << frn) - 1);
        let end = if later == 0 {
            self.bytes.len()
        } else {
            usize::from(*self.starts.get(later.trailing_zeros() as usize)?)
        };
        self.bytes.get(start..end)
    }

    /// Bytes of the `k`-th item of the category's `KNOWN` list (typed views).
    pub(crate) fn known(&self, k: usize) -> Option<&'a [u8]> {
        let frn = usize::from(*self.edition.known.get(k)?);
        self.frn_bytes(frn)
    }
}

/// Iterator over a record's items.
#[derive(Debug, Clone)]
pub struct Items<'r, 'a> {
    // Borrowed, not copied: a record is some 170 octets.
    record: &'r Record<'a>,
    remaining: u64,
    // Start of the next item: items are contiguous in FRN order after the FSPEC.
    pos: usize,
}

impl<'a> Iterator for Items<'_, 'a> {
    type Item = Item<'a>;

    #[inline]
    fn next(&mut self) -> Option<Item<'a>> {
        // Items are contiguous in FRN order: one ends where the next present one starts.
        while self.remaining != 0 {
            let idx = self.remaining.trailing_zeros() as usize;
            self.remaining &= self.remaining - 1;
            let record = self.record;
            let start = self.pos;
            let end = if self.remaining == 0 {
                record.bytes.len()
            } else {
                let next = self.remaining.trailing_zeros() as usize;
                record
                    .starts
                    .get(next)
                    .map_or(record.bytes.len(), |&end| usize::from(end))
            };
            self.pos = end;
            let (Some(bytes), Some(Some(spec))) = (
                record.bytes.get(start..end),
                record.edition.slots.get(idx).copied(),
            ) else {
                continue;
            };
            return Some(Item {
                category: record.edition.category,
                frn: idx + 1,
                spec,
                bytes,
            });
        }
        None
    }
}

/// One item of a record: its table entry and its bytes (raw access to every item).
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    /// Category of the record.
    pub category: u8,
    /// Field Reference Number, 1-based.
    pub frn: usize,
    /// Table entry.
    pub spec: &'static ItemSpec,
    /// The item's bytes, exactly as framed.
    pub bytes: &'a [u8],
}

impl<'a> Item<'a> {
    /// `"I048/040"`.
    pub fn name(&self) -> ItemName {
        ItemName {
            category: self.category,
            id: self.spec.id,
        }
    }

    /// Bytes of a compound item's subfield by name (`"ADR"` of I062/380).
    pub fn subfield(&self, name: &str) -> Option<&'a [u8]> {
        compound_subfield(&self.spec.format, self.bytes, name)
    }
}

/// Display helper: `I048/040`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemName {
    /// Category.
    pub category: u8,
    /// Item number.
    pub id: &'static str,
}

impl std::fmt::Display for ItemName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "I{:03}/{}", self.category, self.id)
    }
}

/// Why an item could not be framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameFault {
    Truncated,
    UndefinedSubfield(usize),
    ExplicitZero,
}

impl FrameFault {
    pub(crate) fn into_kind(self, category: u8, item: &'static str) -> ErrorKind {
        match self {
            FrameFault::Truncated => ErrorKind::ItemOverrun { category, item },
            FrameFault::UndefinedSubfield(index) => ErrorKind::UndefinedSubfield {
                category,
                item,
                index,
            },
            FrameFault::ExplicitZero => ErrorKind::BadExplicitLength { category, item },
        }
    }
}

/// Length of the item of `format` at the start of `bytes`.
#[inline]
pub(crate) fn frame(format: &Format, bytes: &[u8]) -> Result<usize, FrameFault> {
    let need = |len: usize| {
        if len <= bytes.len() {
            Ok(len)
        } else {
            Err(FrameFault::Truncated)
        }
    };
    match *format {
        Format::Fixed { len, .. } => need(usize::from(len)),
        Format::Extended(parts) => {
            let mut pos = 0usize;
            let mut idx = 0usize;
            loop {
                let part_len = parts
                    .get(idx)
                    .or(parts.last())
                    .map_or(1, |part| usize::from(part.len));
                pos += part_len;
                let last = bytes
                    .get(pos.wrapping_sub(1))
                    .ok_or(FrameFault::Truncated)?;
                if last & 1 == 0 {
                    return Ok(pos);
                }
                idx += 1;
            }
        }
        Format::Repetitive { len, .. } => {
            let count = *bytes.first().ok_or(FrameFault::Truncated)?;
            need(1 + usize::from(count) * usize::from(len))
        }
        Format::ModeSRegisters => {
            let count = *bytes.first().ok_or(FrameFault::Truncated)?;
            need(1 + usize::from(count) * 8)
        }
        Format::RepetitiveFx { len, .. } => {
            let len = usize::from(len.max(1));
            let mut pos = 0usize;
            loop {
                pos += len;
                let last = bytes.get(pos - 1).ok_or(FrameFault::Truncated)?;
                if last & 1 == 0 {
                    return Ok(pos);
                }
            }
        }
        Format::Explicit | Format::Expansion { .. } => {
            // The length octet frames the item; an expansion's content is walked only when
            // read, so a malformed one costs its fields, not the record.
            let len = *bytes.first().ok_or(FrameFault::Truncated)?;
            if len == 0 {
                return Err(FrameFault::ExplicitZero);
            }
            need(usize::from(len))
        }
        Format::Compound(subs) => {
            let (presence, primary_len) =
                PresenceBits::primary(bytes).ok_or(FrameFault::Truncated)?;
            let mut pos = primary_len;
            for slot in presence {
                let sub = subs
                    .get(slot)
                    .and_then(Option::as_ref)
                    .ok_or(FrameFault::UndefinedSubfield(slot + 1))?;
                pos += match sub.format {
                    Format::Fixed { len, .. } => usize::from(len),
                    _ => frame(&sub.format, bytes.get(pos..).unwrap_or_default())?,
                };
                if pos > bytes.len() {
                    return Err(FrameFault::Truncated);
                }
            }
            Ok(pos)
        }
    }
}

/// Length of the extended item of `parts` at `pos` in `block`, when it ends inside `block`
/// (else `None`, and the general walk names the fault).
#[inline]
fn extended_len(parts: &[crate::spec::Part], block: &[u8], pos: usize) -> Option<usize> {
    let mut end = pos;
    let mut part_len = 1;
    for (idx, part) in parts.iter().enumerate() {
        part_len = usize::from(part.len).max(1);
        end += part_len;
        if block.get(end.checked_sub(1)?)? & 1 == 0 {
            return Some(end - pos);
        }
        // Past the last part the edition defines, extents repeat its length.
        if idx + 1 == parts.len() {
            break;
        }
    }
    loop {
        end += part_len;
        if block.get(end.checked_sub(1)?)? & 1 == 0 {
            return Some(end - pos);
        }
    }
}

/// Slots (0-based) announced by a primary subfield, in order: seven per octet (the last bit
/// is FX) in a compound item, eight in an expansion's items indicator. Read once into a mask
/// (bit `n` for slot `n`); a slot past 63, which no table defines, is yielded once, last, so
/// that whoever walks the slots stops there as at any undefined slot.
pub(crate) struct PresenceBits<'a> {
    mask: u64,
    beyond: Option<usize>,
    _primary: std::marker::PhantomData<&'a [u8]>,
}

impl<'a> PresenceBits<'a> {
    /// A compound item's primary subfield (FX in bit 1 of each octet).
    pub(crate) fn new(primary: &'a [u8]) -> Self {
        Self::with(primary, 7)
    }

    /// The primary subfield at the start of a compound item's `bytes` (octets up to the first
    /// without FX) read in one pass: its slots and its length; `None` when no octet ends it.
    #[inline]
    pub(crate) fn primary(bytes: &'a [u8]) -> Option<(Self, usize)> {
        let mut mask = 0u64;
        let mut beyond = None;
        for (idx, &octet) in bytes.iter().enumerate() {
            let bits = u64::from(REVERSED.get(usize::from(octet)).copied().unwrap_or(0) & 0x7f);
            let base = idx * 7;
            let lost = if base >= 64 {
                bits
            } else {
                mask |= bits << base;
                bits.checked_shr(64 - base as u32).unwrap_or(0)
            };
            if lost != 0 && beyond.is_none() {
                beyond = Some(base.max(64) + lost.trailing_zeros() as usize);
            }
            if octet & 1 == 0 {
                let presence = PresenceBits {
                    mask,
                    beyond,
                    _primary: std::marker::PhantomData,
                };
                return Some((presence, idx + 1));
            }
        }
        None
    }

    /// An expansion's items indicator (eight presence bits per octet).
    pub(crate) fn full_octets(primary: &'a [u8]) -> Self {
        Self::with(primary, 8)
    }

    #[inline]
    fn with(primary: &'a [u8], per_octet: usize) -> Self {
        // Reversed, an octet's first presence bit is bit 0: slot `base + k` is bit k.
        let keep: u8 = if per_octet == 8 { 0xff } else { 0x7f };
        let mut mask = 0u64;
        let mut beyond = None;
        for (idx, &octet) in primary.iter().enumerate() {
            let reversed = REVERSED.get(usize::from(octet)).copied().unwrap_or(0);
            let bits = u64::from(reversed & keep);
            let base = idx * per_octet;
            let lost = if base >= 64 {
                bits
            } else {
                mask |= bits << base;
                bits.checked_shr(64 - base as u32).unwrap_or(0)
            };
            if lost != 0 && beyond.is_none() {
                let first_lost = base.max(64) + lost.trailing_zeros() as usize;
                beyond = Some(first_lost);
            }
        }
        PresenceBits {
            mask,
            beyond,
            _primary: std::marker::PhantomData,
        }
    }
}

/// Each octet with its bits in reverse order (x86 has no instruction for it).
const REVERSED: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut octet = 0;
    while octet < 256 {
        #[allow(clippy::indexing_slicing)] // compile time, bounded by the loop
        {
            table[octet] = (octet as u8).reverse_bits();
        }
        octet += 1;
    }
    table
};

impl Iterator for PresenceBits<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        if self.mask != 0 {
            let slot = self.mask.trailing_zeros() as usize;
            self.mask &= self.mask - 1;
            return Some(slot);
        }
        self.beyond.take()
    }
}

/// A compound item's (or expansion's) subfield table, presence bits, and the bytes the
/// subfields start in.
pub(crate) type CompoundLayout<'a> = (
    &'static [Option<crate::spec::SubItem>],
    PresenceBits<'a>,
    &'a [u8],
);

/// The parts of a compound item or expansion: its subfield table, the presence bits and the
/// bytes the subfields start in (after the primary subfield or items indicator).
pub(crate) fn compound_layout<'a>(format: &Format, bytes: &'a [u8]) -> Option<CompoundLayout<'a>> {
    match *format {
        Format::Compound(subs) => {
            let (presence, primary_len) = PresenceBits::primary(bytes)?;
            Some((subs, presence, bytes.get(primary_len..)?))
        }
        Format::Expansion { primary_len, subs } => {
            let len = usize::from(*bytes.first()?);
            let content = bytes.get(1..len)?;
            let primary_len = usize::from(primary_len);
            Some((
                subs,
                PresenceBits::full_octets(content.get(..primary_len)?),
                content.get(primary_len..)?,
            ))
        }
        _ => None,
    }
}

/// Bytes of subfield `name` of a compound item (or expansion), if present and framed.
pub(crate) fn compound_subfield<'a>(
    format: &Format,
    bytes: &'a [u8],
    name: &str,
) -> Option<&'a [u8]> {
    let (subs, presence, body) = compound_layout(format, bytes)?;
    let mut pos = 0;
    for slot in presence {
        let sub = subs.get(slot).copied().flatten()?;
        let rest = body.get(pos..)?;
        let len = frame(&sub.format, rest).ok()?;
        if sub.name == name {
            return rest.get(..len);
        }
        pos += len;
    }
    None
}

/// The present subfields of a compound item (or expansion), with their bytes, in order.
/// Stops at a subfield that does not frame.
pub(crate) fn subfields<'a>(
    format: &'static Format,
    bytes: &'a [u8],
) -> impl Iterator<Item = (&'static crate::spec::SubItem, &'a [u8])> + 'a {
    let (subs, presence, body) =
        compound_layout(format, bytes).unwrap_or((&[], PresenceBits::new(&[]), &[]));
    let mut pos = 0;
    presence.map_while(move |slot| {
        let sub = subs.get(slot)?.as_ref()?;
        let rest = body.get(pos..)?;
        let len = frame(&sub.format, rest).ok()?;
        pos += len;
        Some((sub, rest.get(..len)?))
    })
}

#[cfg(test)]
mod tests {
    use super::PresenceBits;

    /// The slots a primary announces, read one bit at a time (the walk `PresenceBits` replaced).
    fn slots_bit_by_bit(primary: &[u8], per_octet: usize) -> Vec<usize> {
        let mut slots = Vec::new();
        for (idx, octet) in primary.iter().enumerate() {
            for k in 0..per_octet {
                if octet >> (7 - k) & 1 == 1 {
                    slots.push(idx * per_octet + k);
                }
            }
        }
        slots
    }

    /// Every slot up to 63 in order, then the first slot past 63 (which no table defines, so
    /// every walk stops there), as `PresenceBits` promises.
    fn expected(primary: &[u8], per_octet: usize) -> Vec<usize> {
        let all = slots_bit_by_bit(primary, per_octet);
        let mut out: Vec<usize> = all.iter().copied().take_while(|&slot| slot < 64).collect();
        out.extend(all.iter().copied().find(|&slot| slot >= 64));
        out
    }

    fn check(primary: &[u8]) {
        // Read in one pass from the front of an item, a primary subfield gives the same slots
        // and ends at its first octet without FX.
        let end = primary.iter().position(|octet| octet & 1 == 0);
        match PresenceBits::primary(primary) {
            Some((slots, len)) => {
                assert_eq!(Some(len - 1), end, "{primary:02x?}");
                let within = primary.get(..len).unwrap_or_default();
                assert_eq!(
                    slots.collect::<Vec<_>>(),
                    expected(within, 7),
                    "{primary:02x?}"
                );
            }
            None => assert_eq!(end, None, "{primary:02x?}"),
        }
        let compound: Vec<usize> = PresenceBits::new(primary).collect();
        assert_eq!(
            compound,
            expected(primary, 7),
            "compound primary {primary:02x?}"
        );
        let expansion: Vec<usize> = PresenceBits::full_octets(primary).collect();
        assert_eq!(
            expansion,
            expected(primary, 8),
            "items indicator {primary:02x?}"
        );
    }

    #[test]
    fn presence_bits_match_a_bit_by_bit_walk() {
        for a in 0..=255u8 {
            check(&[a]);
            for b in 0..=255u8 {
                check(&[a, b]);
            }
        }
        // Long primaries (past slot 63) from a fixed pseudo-random sequence.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for len in 3..=12 {
            for _ in 0..2_000 {
                let primary: Vec<u8> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        (state >> 24) as u8
                    })
                    .collect();
                check(&primary);
            }
        }
    }
}
