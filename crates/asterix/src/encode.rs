//! Encoding, driven by the same tables as decoding.
//!
//! A [`BlockEncoder`] collects records of one edition and writes them as a data block. Each
//! record is built with a [`RecordWriter`]: items are given by number in any order, each as a
//! [`Content`] naming the values of the item's table fields. Fields not named are zero (spare
//! bits always are); an extended item gets as many extents as its last non-zero field needs;
//! a field the edition lacks is an error if its value is not zero, so one encoder serves every
//! edition. The writer orders items by FRN and computes the FSPEC. Numbers are
//! rounded to the field's resolution and checked against its range; a value that does not
//! fit is an [`EncodeError`], never a silently wrapped field. Full-circle angles (azimuth,
//! heading) wrap modulo 360°.
//!
//! The typed reports (`Cat048Report`, ...) encode through this writer, so an item laid out
//! wrong in a table fails decode and encode alike. Once warmed up, a reused `BlockEncoder`
//! does not allocate.
//!
//! ```
//! use liptako_asterix::encode::{BlockEncoder, Content, FieldValue::*};
//! use liptako_asterix::tables::cat048;
//!
//! let mut block = BlockEncoder::new(&cat048::V1_32);
//! block.record(|w| {
//!     w.item("010", Content::Fields(&[("SAC", Uint(25)), ("SIC", Uint(201))]))?;
//!     w.item("140", Content::Fields(&[("TOD", Number(27354.6))]))?;
//!     w.item("040", Content::Fields(&[("RHO", Number(12.5)), ("THETA", Number(271.0))]))
//! })?;
//! let mut out = Vec::new();
//! block.finish_into(&mut out)?;
//! assert_eq!(out[0], 48);
//! # Ok::<(), liptako_asterix::EncodeError>(())
//! ```

use crate::decode::frame;
use crate::error::EncodeError;
use crate::fields::icao_code;
use crate::spec::{Edition, Field, Format, Kind, Part, SubItem, same_name};

/// A value for one non-spare field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldValue<'v> {
    /// Raw bits: a code or flag, or a quantity given in least significant bits.
    Uint(u64),
    /// A quantity in the unit of the table (rounded to the field's resolution).
    Number(f64),
    /// Characters for octal, ICAO, ASCII or hexadecimal fields.
    Text(&'v str),
}

/// Named field values: `("RHO", Number(12.5))`.
pub type Named<'v> = (&'v str, FieldValue<'v>);

/// The content of an item (or compound subfield), shaped like its format.
#[derive(Debug, Clone, Copy)]
pub enum Content<'v> {
    /// Fixed or extended items: values by field name; unnamed fields are zero. An extended
    /// item is written up to the last part holding a non-zero value.
    Fields(&'v [Named<'v>]),
    /// Repetitive items (count octet, or FX per element): named values per element.
    Elements(&'v [&'v [Named<'v>]]),
    /// Compound: subfields by name, in any order.
    Subfields(&'v [(&'v str, Content<'v>)]),
    /// Mode S registers: 8 octets each (56 MB bits, BDS1, BDS2).
    Registers(&'v [[u8; 8]]),
    /// Explicit items (SP, RE): the content; the length octet is added.
    Opaque(&'v [u8]),
}

/// A record type that can write itself (the typed reports).
pub trait EncodeRecord {
    /// Its category.
    const CATEGORY: u8;

    /// Writes its items.
    fn write_items(&self, writer: &mut RecordWriter<'_>) -> Result<(), EncodeError>;
}

const MAX_FRN: usize = 63;

/// Builds data blocks of one edition; reuse it to avoid allocation.
#[derive(Debug, Clone)]
pub struct BlockEncoder {
    edition: &'static Edition,
    records: Vec<u8>,
    scratch: Vec<u8>,
    record_count: usize,
}

impl BlockEncoder {
    /// An empty block of `edition`'s category.
    pub fn new(edition: &'static Edition) -> Self {
        BlockEncoder {
            edition,
            records: Vec::with_capacity(512),
            scratch: Vec::with_capacity(256),
            record_count: 0,
        }
    }

    /// The edition records are written with.
    pub fn edition(&self) -> &'static Edition {
        self.edition
    }

    /// Appends a typed record.
    pub fn push<R: EncodeRecord>(&mut self, record: &R) -> Result<(), EncodeError> {
        if R::CATEGORY != self.edition.category {
            return Err(EncodeError::CategoryMismatch {
                block: self.edition.category,
                record: R::CATEGORY,
            });
        }
        self.record(|writer| record.write_items(writer))
    }

    /// Appends a record built by `build`. On error the block is left as it was.
    pub fn record(
        &mut self,
        build: impl FnOnce(&mut RecordWriter<'_>) -> Result<(), EncodeError>,
    ) -> Result<(), EncodeError> {
        self.scratch.clear();
        let mut writer = RecordWriter {
            edition: self.edition,
            scratch: &mut self.scratch,
            slots: [(0, 0); MAX_FRN],
            present: 0,
        };
        build(&mut writer)?;
        let present = writer.present;
        let slots = writer.slots;
        if present == 0 {
            return Err(EncodeError::EmptyRecord {
                category: self.edition.category,
            });
        }
        // FSPEC: seven FRN bits per octet, FX on every octet but the last one needed.
        let highest = 64 - present.leading_zeros() as usize;
        let octets = highest.div_ceil(7);
        for octet_idx in 0..octets {
            let mut octet = 0u8;
            for k in 0..7 {
                let frn = octet_idx * 7 + k + 1;
                if frn <= MAX_FRN && present & (1 << (frn - 1)) != 0 {
                    octet |= 0x80 >> k;
                }
            }
            if octet_idx + 1 < octets {
                octet |= 1;
            }
            self.records.push(octet);
        }
        let mut remaining = present;
        while remaining != 0 {
            let idx = remaining.trailing_zeros() as usize;
            remaining &= remaining - 1;
            let (start, len) = slots.get(idx).copied().unwrap_or((0, 0));
            let (start, len) = (start as usize, len as usize);
            self.records
                .extend_from_slice(self.scratch.get(start..start + len).unwrap_or_default());
        }
        self.record_count += 1;
        Ok(())
    }

    /// Bytes the block would have now, header included.
    pub fn len(&self) -> usize {
        3 + self.records.len()
    }

    /// Whether no record was added.
    pub fn is_empty(&self) -> bool {
        self.record_count == 0
    }

    /// Records added since the last finish.
    pub fn record_count(&self) -> usize {
        self.record_count
    }

    /// Appends the block (CAT, LEN, records) to `out` and empties the encoder for the next
    /// block. Returns the block's length.
    pub fn finish_into(&mut self, out: &mut Vec<u8>) -> Result<usize, EncodeError> {
        let len = self.len();
        let len16 = u16::try_from(len).map_err(|_| EncodeError::BlockTooLong { len })?;
        out.push(self.edition.category);
        out.extend_from_slice(&len16.to_be_bytes());
        out.extend_from_slice(&self.records);
        self.records.clear();
        self.record_count = 0;
        Ok(len)
    }

    /// Drops the records added since the last finish.
    pub fn clear(&mut self) {
        self.records.clear();
        self.record_count = 0;
    }
}

/// One data block of `records`, appended to `out`.
pub fn encode_block<R: EncodeRecord>(
    edition: &'static Edition,
    records: &[R],
    out: &mut Vec<u8>,
) -> Result<usize, EncodeError> {
    let mut block = BlockEncoder::new(edition);
    for record in records {
        block.push(record)?;
    }
    block.finish_into(out)
}

/// Collects the items of one record.
#[derive(Debug)]
pub struct RecordWriter<'e> {
    edition: &'static Edition,
    scratch: &'e mut Vec<u8>,
    // (start, len) in `scratch` of the item at FRN n + 1.
    slots: [(u32, u32); MAX_FRN],
    present: u64,
}

impl RecordWriter<'_> {
    /// The edition in use.
    pub fn edition(&self) -> &'static Edition {
        self.edition
    }

    /// Whether the edition has item `id` (an encoder can skip optional items it lacks).
    pub fn has_item(&self, id: &str) -> bool {
        self.edition.frn_of(id).is_some()
    }

    /// Writes item `id` from values laid onto its table fields.
    pub fn item(&mut self, id: &str, content: Content<'_>) -> Result<(), EncodeError> {
        let (frn, spec) = self.lookup(id)?;
        let start = self.scratch.len();
        let ctx = Ctx {
            category: self.edition.category,
            item: spec.id,
        };
        let written = write_format(&spec.format, content, self.scratch, ctx);
        self.commit(frn, spec.id, &spec.format, start, written)
    }

    /// Writes item `id` from its exact bytes (checked to frame as the item's format).
    pub fn raw(&mut self, id: &str, bytes: &[u8]) -> Result<(), EncodeError> {
        let (frn, spec) = self.lookup(id)?;
        let start = self.scratch.len();
        self.scratch.extend_from_slice(bytes);
        self.commit(frn, spec.id, &spec.format, start, Ok(()))
    }

    fn lookup(&self, id: &str) -> Result<(usize, &'static crate::spec::ItemSpec), EncodeError> {
        self.edition
            .frn_of(id)
            .and_then(|frn| Some((frn, self.edition.item_at(frn)?)))
            .ok_or_else(|| EncodeError::NoSuchItem {
                category: self.edition.category,
                edition: self.edition.version,
                item: id.to_owned(),
            })
    }

    fn commit(
        &mut self,
        frn: usize,
        id: &'static str,
        format: &Format,
        start: usize,
        written: Result<(), EncodeError>,
    ) -> Result<(), EncodeError> {
        let category = self.edition.category;
        let result = written.and_then(|()| {
            if self.present & (1 << (frn - 1)) != 0 {
                return Err(EncodeError::DuplicateItem { category, item: id });
            }
            let bytes = self.scratch.get(start..).unwrap_or_default();
            match frame(format, bytes) {
                Ok(len) if len == bytes.len() => Ok(()),
                Ok(_) => Err(EncodeError::BadItemBytes {
                    category,
                    item: id,
                    len: bytes.len(),
                    reason: "the format ends before the bytes do",
                }),
                Err(_) => Err(EncodeError::BadItemBytes {
                    category,
                    item: id,
                    len: bytes.len(),
                    reason: "the format runs past the bytes",
                }),
            }
        });
        match result {
            Ok(()) => {
                let len = self.scratch.len() - start;
                if let Some(slot) = self.slots.get_mut(frn - 1) {
                    *slot = (start as u32, len as u32);
                }
                self.present |= 1 << (frn - 1);
                Ok(())
            }
            Err(err) => {
                self.scratch.truncate(start);
                Err(err)
            }
        }
    }
}

/// Category and item, for error messages.
#[derive(Debug, Clone, Copy)]
struct Ctx {
    category: u8,
    item: &'static str,
}

fn shape_error(ctx: Ctx, reason: &'static str) -> EncodeError {
    EncodeError::BadItemBytes {
        category: ctx.category,
        item: ctx.item,
        len: 0,
        reason,
    }
}

fn write_format(
    format: &Format,
    content: Content<'_>,
    out: &mut Vec<u8>,
    ctx: Ctx,
) -> Result<(), EncodeError> {
    match (*format, content) {
        (Format::Fixed { fields, .. }, Content::Fields(values)) => {
            check_names(values, &[fields], ctx)?;
            pack_fields(fields, values, false, out, ctx)
        }
        (Format::Extended(parts), Content::Fields(values)) => {
            let mut all_fields: [&[Field]; 16] = [&[]; 16];
            for (slot, part) in all_fields.iter_mut().zip(parts.iter()) {
                *slot = part.fields;
            }
            check_names(
                values,
                all_fields.get(..parts.len().min(16)).unwrap_or_default(),
                ctx,
            )?;
            // Write up to the last part that carries a non-zero value (at least the first).
            // The part of each non-zero value, in one pass over the values.
            let n_parts = values
                .iter()
                .filter(|(_, value)| !is_zero(value))
                .filter_map(|(name, _)| {
                    parts.iter().position(|part: &Part| {
                        part.fields.iter().any(|field| same_name(field.name, name))
                    })
                })
                .max()
                .map_or(1, |last| last + 1);
            for (idx, part) in parts.iter().take(n_parts).enumerate() {
                pack_fields(part.fields, values, true, out, ctx)?;
                if idx + 1 < n_parts
                    && let Some(last) = out.last_mut()
                {
                    *last |= 1;
                }
            }
            Ok(())
        }
        (Format::Repetitive { fields, .. }, Content::Elements(elements)) => {
            let count =
                u8::try_from(elements.len()).map_err(|_| EncodeError::TooManyRepetitions {
                    category: ctx.category,
                    item: ctx.item,
                    count: elements.len(),
                })?;
            out.push(count);
            for element in elements {
                check_names(element, &[fields], ctx)?;
                pack_fields(fields, element, false, out, ctx)?;
            }
            Ok(())
        }
        (Format::RepetitiveFx { fields, .. }, Content::Elements(elements)) => {
            if elements.is_empty() {
                return Err(shape_error(ctx, "a repetitive-FX item needs an element"));
            }
            for (idx, element) in elements.iter().enumerate() {
                check_names(element, &[fields], ctx)?;
                pack_fields(fields, element, true, out, ctx)?;
                if idx + 1 < elements.len()
                    && let Some(last) = out.last_mut()
                {
                    *last |= 1;
                }
            }
            Ok(())
        }
        (Format::ModeSRegisters, Content::Registers(registers)) => {
            let count =
                u8::try_from(registers.len()).map_err(|_| EncodeError::TooManyRepetitions {
                    category: ctx.category,
                    item: ctx.item,
                    count: registers.len(),
                })?;
            out.push(count);
            for register in registers {
                out.extend_from_slice(register);
            }
            Ok(())
        }
        (Format::Explicit, Content::Opaque(bytes)) => {
            let len = u8::try_from(bytes.len() + 1)
                .map_err(|_| shape_error(ctx, "explicit content over 254 bytes"))?;
            out.push(len);
            out.extend_from_slice(bytes);
            Ok(())
        }
        (Format::Compound(subs), Content::Subfields(given)) => {
            write_compound(subs, given, None, out, ctx)
        }
        (Format::Expansion { primary_len, subs }, Content::Subfields(given)) => {
            // Length octet, patched once the content is written.
            let start = out.len();
            out.push(0);
            write_compound(subs, given, Some(usize::from(primary_len)), out, ctx)?;
            let len = u8::try_from(out.len() - start)
                .map_err(|_| shape_error(ctx, "expansion content over 254 bytes"))?;
            if let Some(slot) = out.get_mut(start) {
                *slot = len;
            }
            Ok(())
        }
        _ => Err(shape_error(ctx, "content does not match the item's format")),
    }
}

/// A compound's primary subfield and subfields; with `fixed_primary` (an expansion's items
/// indicator of that many octets), eight presence bits per octet and no FX.
fn write_compound(
    subs: &[Option<SubItem>],
    given: &[(&str, Content<'_>)],
    fixed_primary: Option<usize>,
    out: &mut Vec<u8>,
    ctx: Ctx,
) -> Result<(), EncodeError> {
    // Resolve every given subfield to its slot first, so the primary subfield can be written.
    let mut slots: [Option<usize>; 64] = [None; 64];
    let mut highest = 0usize;
    for (idx, (name, _)) in given.iter().enumerate() {
        let slot = subs
            .iter()
            .position(|sub| sub.is_some_and(|sub| same_name(sub.name, name)))
            .ok_or_else(|| shape_error(ctx, "no such subfield in this edition"))?;
        if slots.get(slot).copied().flatten().is_some() {
            return Err(shape_error(ctx, "subfield given twice"));
        }
        if let Some(entry) = slots.get_mut(slot) {
            *entry = Some(idx);
        }
        highest = highest.max(slot + 1);
    }
    if highest == 0 {
        return Err(shape_error(ctx, "a compound item needs a subfield"));
    }
    let (per_octet, octets) = match fixed_primary {
        Some(octets) => (8, octets),
        None => (7, highest.div_ceil(7)),
    };
    for octet_idx in 0..octets {
        let mut octet = 0u8;
        for k in 0..per_octet {
            if slots
                .get(octet_idx * per_octet + k)
                .copied()
                .flatten()
                .is_some()
            {
                octet |= 0x80 >> k;
            }
        }
        if fixed_primary.is_none() && octet_idx + 1 < octets {
            octet |= 1;
        }
        out.push(octet);
    }
    for (slot, entry) in slots.iter().enumerate().take(highest) {
        let Some(idx) = entry else { continue };
        let (Some(Some(sub)), Some((_, content))) = (subs.get(slot), given.get(*idx)) else {
            continue;
        };
        write_format(&sub.format, *content, out, ctx)?;
    }
    Ok(())
}

/// Whether a value encodes as all-zero bits (so a field the edition lacks may be left out).
fn is_zero(value: &FieldValue<'_>) -> bool {
    match value {
        FieldValue::Uint(raw) => *raw == 0,
        FieldValue::Number(number) => *number == 0.0,
        FieldValue::Text(_) => false,
    }
}

/// Every named value must name a field of `groups`, unless it is zero: an encoder written for
/// a newer edition can then leave unset flags the older edition lacks.
fn check_names(values: &[Named<'_>], groups: &[&[Field]], ctx: Ctx) -> Result<(), EncodeError> {
    // Fast path: values given in table order (as the typed encoders give them) are all
    // matched by one walk of the fields.
    let mut cursor = 0usize;
    for field in groups.iter().flat_map(|fields| fields.iter()) {
        if values
            .get(cursor)
            .is_some_and(|(name, _)| same_name(name, field.name))
        {
            cursor += 1;
        }
    }
    if cursor == values.len() {
        return Ok(());
    }
    for (name, value) in values {
        let known = groups.iter().any(|fields| {
            fields
                .iter()
                .any(|field| same_name(field.name, name) && field.kind != Kind::Spare)
        });
        if !known && !is_zero(value) {
            return Err(EncodeError::NoSuchField {
                category: ctx.category,
                item: ctx.item,
                field: (*name).to_owned(),
            });
        }
    }
    Ok(())
}

/// The value named `name`: tried at `cursor` first (values usually come in table order),
/// then anywhere.
fn find_value<'v>(values: &[Named<'v>], name: &str, cursor: &mut usize) -> Option<FieldValue<'v>> {
    if let Some((given, value)) = values.get(*cursor)
        && same_name(given, name)
    {
        *cursor += 1;
        return Some(*value);
    }
    values
        .iter()
        .position(|(given, _)| same_name(given, name))
        .and_then(|idx| {
            *cursor = idx + 1;
            values.get(idx).map(|(_, value)| *value)
        })
}

/// Packs the named `values` onto `fields`, most significant bit first; fields not named are
/// zero. With `fx`, one more (zero) bit closes the group: the caller sets it when another part
/// follows.
fn pack_fields(
    fields: &[Field],
    values: &[Named<'_>],
    fx: bool,
    out: &mut Vec<u8>,
    ctx: Ctx,
) -> Result<(), EncodeError> {
    let mut bits = BitWriter::new(out);
    let mut cursor = 0usize;
    for field in fields {
        let value = match field.kind {
            Kind::Spare => None,
            _ => find_value(values, field.name, &mut cursor),
        };
        let Some(value) = value else {
            bits.push(0, field.bits);
            continue;
        };
        let kind = match field.kind {
            Kind::Select { selector, cases } => {
                let selector_raw = match (
                    fields.iter().find(|f| same_name(f.name, selector)),
                    values.iter().find(|(name, _)| same_name(name, selector)),
                ) {
                    (Some(selector_field), Some((_, value))) => {
                        to_raw(selector_field, selector_field.kind, *value, ctx)?
                    }
                    _ => 0,
                };
                cases
                    .iter()
                    .find(|(case, _)| *case == selector_raw)
                    .map_or(Kind::Raw, |(_, kind)| *kind)
            }
            kind => kind,
        };
        bits.push(to_raw(field, kind, value, ctx)?, field.bits);
    }
    if fx {
        bits.push(0, 1);
    }
    bits.finish();
    Ok(())
}

/// The raw bits of `value` for `field` read as `kind`.
fn to_raw(field: &Field, kind: Kind, value: FieldValue<'_>, ctx: Ctx) -> Result<u64, EncodeError> {
    let max_raw = if field.bits >= 64 {
        u64::MAX
    } else {
        (1u64 << field.bits) - 1
    };
    let out_of_range = |value: f64, min: f64, max: f64| EncodeError::OutOfRange {
        category: ctx.category,
        item: ctx.item,
        field: field.name,
        value,
        min,
        max,
    };
    match (kind, value) {
        (_, FieldValue::Uint(raw)) => {
            if raw > max_raw {
                Err(out_of_range(raw as f64, 0.0, max_raw as f64))
            } else {
                Ok(raw)
            }
        }
        (Kind::Quantity { signed, scale, .. }, FieldValue::Number(value)) => {
            quantize(value, scale, field.bits, signed, ctx, field.name)
        }
        (Kind::Raw | Kind::Select { .. } | Kind::Spare, FieldValue::Number(value)) => {
            if value.fract() != 0.0 || !(0.0..=max_raw as f64).contains(&value) {
                Err(out_of_range(value, 0.0, max_raw as f64))
            } else {
                Ok(value as u64)
            }
        }
        (Kind::Octal, FieldValue::Text(text)) => {
            let digits = usize::from(field.bits).div_ceil(3);
            if text.is_empty() || text.len() > digits {
                return Err(shape_error(
                    ctx,
                    "octal code with the wrong number of digits",
                ));
            }
            let mut raw = 0u64;
            for ch in text.bytes() {
                if !(b'0'..=b'7').contains(&ch) {
                    return Err(EncodeError::BadCharacter {
                        category: ctx.category,
                        item: ctx.item,
                        ch: char::from(ch),
                    });
                }
                raw = (raw << 3) | u64::from(ch - b'0');
            }
            Ok(raw & max_raw)
        }
        (Kind::Icao, FieldValue::Text(text)) => {
            let chars = usize::from(field.bits) / 6;
            if text.len() > chars {
                return Err(shape_error(ctx, "identification longer than the field"));
            }
            let mut raw = 0u64;
            for idx in 0..chars {
                let ch = text.as_bytes().get(idx).copied().unwrap_or(b' ');
                let code = icao_code(ch.to_ascii_uppercase()).ok_or(EncodeError::BadCharacter {
                    category: ctx.category,
                    item: ctx.item,
                    ch: char::from(ch),
                })?;
                raw = (raw << 6) | u64::from(code);
            }
            Ok(raw)
        }
        (Kind::Ascii, FieldValue::Text(text)) => {
            let chars = usize::from(field.bits) / 8;
            if text.len() > chars {
                return Err(shape_error(ctx, "text longer than the field"));
            }
            let mut raw = 0u64;
            for idx in 0..chars {
                let ch = text.as_bytes().get(idx).copied().unwrap_or(b' ');
                if !(ch.is_ascii_graphic() || ch == b' ') {
                    return Err(EncodeError::BadCharacter {
                        category: ctx.category,
                        item: ctx.item,
                        ch: char::from(ch),
                    });
                }
                raw = (raw << 8) | u64::from(ch);
            }
            Ok(raw)
        }
        (Kind::Hex, FieldValue::Text(text)) => {
            let raw = u64::from_str_radix(text, 16)
                .map_err(|_| shape_error(ctx, "not a hexadecimal number"))?;
            if raw > max_raw {
                Err(out_of_range(raw as f64, 0.0, max_raw as f64))
            } else {
                Ok(raw)
            }
        }
        _ => Err(shape_error(ctx, "value of the wrong kind for this field")),
    }
}

/// `value / scale` rounded, range-checked, as `bits`-bit two's complement if `signed`.
/// Unsigned fields spanning exactly a full circle wrap modulo 360.
pub(crate) fn quantize_value(
    value: f64,
    scale: f64,
    bits: u8,
    signed: bool,
) -> Result<u64, (f64, f64)> {
    let span = (1u64 << bits.min(63)) as f64;
    let full_circle = !signed && (scale * span - 360.0).abs() < 1e-9;
    let steps = if full_circle {
        (value.rem_euclid(360.0) / scale).round() % span
    } else {
        (value / scale).round()
    };
    let (min, max) = if signed {
        (-(span / 2.0), span / 2.0 - 1.0)
    } else {
        (0.0, span - 1.0)
    };
    if !(min..=max).contains(&steps) {
        return Err((min * scale, max * scale));
    }
    let mask = if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    Ok((steps as i64 as u64) & mask)
}

fn quantize(
    value: f64,
    scale: f64,
    bits: u8,
    signed: bool,
    ctx: Ctx,
    field: &'static str,
) -> Result<u64, EncodeError> {
    if !value.is_finite() {
        return Err(EncodeError::NotFinite {
            category: ctx.category,
            item: ctx.item,
            field,
        });
    }
    quantize_value(value, scale, bits, signed).map_err(|(min, max)| EncodeError::OutOfRange {
        category: ctx.category,
        item: ctx.item,
        field,
        value,
        min,
        max,
    })
}

/// Appends bit fields, most significant first, to a byte vector.
struct BitWriter<'o> {
    out: &'o mut Vec<u8>,
    acc: u128,
    n_bits: u32,
}

impl<'o> BitWriter<'o> {
    fn new(out: &'o mut Vec<u8>) -> Self {
        BitWriter {
            out,
            acc: 0,
            n_bits: 0,
        }
    }

    fn push(&mut self, value: u64, bits: u8) {
        let bits = u32::from(bits.min(64));
        let mask = if bits == 64 {
            u128::from(u64::MAX)
        } else {
            (1u128 << bits) - 1
        };
        self.acc = (self.acc << bits) | (u128::from(value) & mask);
        self.n_bits += bits;
        while self.n_bits >= 8 {
            self.n_bits -= 8;
            self.out.push((self.acc >> self.n_bits) as u8);
        }
        self.acc &= (1u128 << self.n_bits) - 1;
    }

    /// Tables are octet-aligned (checked at compile time), so nothing is left over; a stray
    /// bit count would be padded with zeros rather than lost.
    fn finish(self) {
        if self.n_bits > 0 {
            self.out.push((self.acc << (8 - self.n_bits)) as u8);
        }
    }
}
