//! The generic field view: every field of every item, read from the edition tables.
//!
//! [`Item::visit`] walks an item's structure and calls a [`Visitor`] for each field with its
//! position, its raw bits and its value ([`Value`]): a number in the unit of the
//! specification, an unsigned code, or text (octal Mode codes, ICAO characters, ASCII,
//! hexadecimal addresses). No allocation: text lives in a small inline buffer. The JSON dump
//! and the cross-check against the reference decoder are built on this view; the typed views
//! (`cat048`, ...) are faster shortcuts for the fields a tracker reads.

use std::fmt;

use crate::decode::{Item, compound_layout, frame};
use crate::spec::{Field, Format, Kind, SubItem};
use crate::tables::bds;

/// Where a field sits: the part (extended items) or 0, and its first bit counted from the
/// most significant bit of that part, element or subfield.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldAt {
    /// Part index in an extended item (0 elsewhere).
    pub part: usize,
    /// Bit offset of the field's most significant bit, from the start of its part.
    pub bit: u32,
}

/// A field's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// Spare bits (their raw value is passed alongside).
    Spare,
    /// An unsigned integer: code, flag, counter.
    Unsigned(u64),
    /// A quantity in the unit of the specification.
    Number {
        /// Value, `raw * scale` (two's complement applied where signed).
        value: f64,
        /// Unit as in the table (`"NM"`, `"deg"`, ...).
        unit: &'static str,
    },
    /// Characters.
    Text(Text),
}

/// Up to 24 characters held inline (the longest is a 64-bit field in octal, 22 digits).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Text {
    buf: [u8; 24],
    len: u8,
}

impl Text {
    /// `count` characters of `width` bits each from `raw`, most significant first, each
    /// turned into a printable ASCII character by `char_of`.
    #[inline]
    fn from_digits(raw: u64, count: u32, width: u32, char_of: impl Fn(u8) -> u8) -> Self {
        let mut buf = [0u8; 24];
        let count = count.min(24);
        let mask = (1u64 << width) - 1;
        for (idx, slot) in (0..count).zip(buf.iter_mut()) {
            let shift = (count - 1 - idx) * width;
            let code = raw.checked_shr(shift).unwrap_or(0) & mask;
            *slot = char_of(code as u8);
        }
        Text {
            buf,
            len: count as u8,
        }
    }

    /// The last `count` (at most 16) hexadecimal digits of `raw`, upper case.
    #[inline]
    fn hex(raw: u64, count: u32) -> Self {
        if count <= 8 {
            // Most addresses are 24 bits: one word of digits.
            return Self::top_of_word(hex_digits(raw as u32), count);
        }
        let count = count.min(16);
        let all =
            (u128::from(hex_digits((raw >> 32) as u32)) << 64) | u128::from(hex_digits(raw as u32));
        // The wanted digits to the top, zeros after them (as the rest of the buffer).
        let wanted = all.checked_shl(8 * (16 - count)).unwrap_or(0);
        let mut buf = [0u8; 24];
        if let Some(first) = buf.first_chunk_mut::<16>() {
            *first = wanted.to_be_bytes();
        }
        Text {
            buf,
            len: count as u8,
        }
    }

    /// The last `count` (at most 8) octal digits of `raw`: all eight spread to their own
    /// octets at once, turned into `0`-`7` together.
    #[inline]
    fn octal(raw: u64, count: u32) -> Self {
        let mut x = raw & 0xFF_FFFF;
        x = (x | (x << 20)) & 0x0000_0FFF_0000_0FFF;
        x = (x | (x << 10)) & 0x003F_003F_003F_003F;
        x = (x | (x << 5)) & 0x0707_0707_0707_0707;
        // Digit k (from the least significant) is octet k: the first digit is on top.
        Self::top_of_word(x + 0x3030_3030_3030_3030, count.min(8))
    }

    /// The last `count` (at most 8) ICAO characters of `raw`: the eight 6-bit codes spread to
    /// their own octets at once, each then looked up in the alphabet.
    #[inline]
    fn icao(raw: u64, count: u32) -> Self {
        let mut x = raw & 0xFFFF_FFFF_FFFF;
        x = (x & 0xFF_FFFF) | ((x & 0xFFFF_FF00_0000) << 8);
        x = (x & 0x0000_0FFF_0000_0FFF) | ((x & 0x00FF_F000_00FF_F000) << 4);
        x = (x & 0x003F_003F_003F_003F) | ((x & 0x0FC0_0FC0_0FC0_0FC0) << 2);
        let mut chars = x.to_be_bytes();
        for ch in &mut chars {
            *ch = icao_char(*ch);
        }
        Self::top_of_word(u64::from_be_bytes(chars), count.min(8))
    }

    /// The last `count` (at most 8) characters of `word` (one per octet, first on top): moved
    /// to the top, zeros after them as the rest of the buffer.
    #[inline]
    fn top_of_word(word: u64, count: u32) -> Self {
        let wanted = word.checked_shl(8 * (8 - count)).unwrap_or(0);
        let mut buf = [0u8; 24];
        if let Some(first) = buf.first_chunk_mut::<8>() {
            *first = wanted.to_be_bytes();
        }
        Text {
            buf,
            len: count as u8,
        }
    }

    /// The characters as bytes (printable ASCII), without the UTF-8 check of [`Text::as_str`].
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// The characters. Every byte pushed is printable ASCII, so this is always valid.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.buf.get(..usize::from(self.len)).unwrap_or_default())
            .unwrap_or_default()
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Receives the fields of an item in order. Default methods ignore structure.
pub trait Visitor {
    /// One field.
    fn field(&mut self, field: &'static Field, at: FieldAt, raw: u64, value: Value);

    /// A compound subfield begins (`slot` is its 0-based presence-bit index).
    fn begin_subfield(&mut self, slot: usize, sub: &'static SubItem) {
        let _ = (slot, sub);
    }

    /// The subfield begun last ends.
    fn end_subfield(&mut self) {}

    /// Element `index` of a repetitive item begins.
    fn begin_element(&mut self, index: usize) {
        let _ = index;
    }

    /// The element begun last ends.
    fn end_element(&mut self) {}

    /// Content of an explicit item (SP, RE) after its length octet.
    fn opaque(&mut self, bytes: &[u8]) {
        let _ = bytes;
    }

    /// An extent past the last one the edition defines (a newer edition's bits), shown raw.
    fn undefined_extent(&mut self, part: usize, bytes: &[u8]) {
        let _ = (part, bytes);
    }
}

impl Item<'_> {
    /// Walks every field of the item (see [`Visitor`]).
    #[inline(always)]
    pub fn visit(&self, visitor: &mut impl Visitor) {
        // Most items are fixed: straight to their fields, inlined into the caller's loop.
        if let Format::Fixed { fields, .. } = &self.spec.format {
            walk_fields(fields, self.bytes, 0, visitor);
            return;
        }
        visit_format(&self.spec.format, self.bytes, visitor);
    }
}

fn visit_format(format: &'static Format, bytes: &[u8], visitor: &mut impl Visitor) {
    match format {
        Format::Fixed { fields, .. } => visit_fields(fields, bytes, 0, visitor),
        Format::Extended(parts) => {
            let mut pos = 0usize;
            let mut idx = 0usize;
            loop {
                let part_len = parts
                    .get(idx)
                    .or(parts.last())
                    .map_or(1, |p| usize::from(p.len));
                let Some(part_bytes) = bytes.get(pos..pos + part_len) else {
                    return;
                };
                match parts.get(idx) {
                    Some(part) => visit_fields(part.fields, part_bytes, idx, visitor),
                    None => visitor.undefined_extent(idx, part_bytes),
                }
                pos += part_len;
                idx += 1;
                if part_bytes.last().is_none_or(|last| last & 1 == 0) {
                    return;
                }
            }
        }
        Format::Repetitive { len, fields } => {
            let len = usize::from(*len);
            for (index, element) in bytes
                .get(1..)
                .unwrap_or_default()
                .chunks_exact(len)
                .enumerate()
            {
                visitor.begin_element(index);
                visit_fields(fields, element, 0, visitor);
                visitor.end_element();
            }
        }
        Format::RepetitiveFx { len, fields } => {
            for (index, element) in bytes.chunks_exact(usize::from(*len)).enumerate() {
                visitor.begin_element(index);
                visit_fields(fields, element, 0, visitor);
                visitor.end_element();
            }
        }
        Format::ModeSRegisters => {
            let registers = bytes.get(1..).unwrap_or_default();
            for (index, element) in registers.chunks_exact(8).enumerate() {
                let code = element.last().copied().unwrap_or(0);
                visitor.begin_element(index);
                visit_fields(
                    bds::register(code).unwrap_or(bds::UNKNOWN),
                    element,
                    0,
                    visitor,
                );
                visitor.end_element();
            }
        }
        Format::Compound(_) | Format::Expansion { .. } => {
            let Some((subs, presence, body)) = compound_layout(format, bytes) else {
                visitor.opaque(bytes);
                return;
            };
            let mut pos = 0usize;
            for slot in presence {
                let Some(sub) = subs.get(slot).and_then(Option::as_ref) else {
                    return;
                };
                let rest = body.get(pos..).unwrap_or_default();
                // Most subfields are fixed: their length and fields without the general walk.
                let (len, fixed) = match &sub.format {
                    Format::Fixed { len, fields } => (usize::from(*len), Some(*fields)),
                    format => (frame(format, rest).unwrap_or(usize::MAX), None),
                };
                let Some(sub_bytes) = rest.get(..len) else {
                    // An expansion whose content does not frame: show the rest raw.
                    visitor.opaque(rest);
                    return;
                };
                visitor.begin_subfield(slot, sub);
                match fixed {
                    Some(fields) => walk_fields(fields, sub_bytes, 0, visitor),
                    None => visit_format(&sub.format, sub_bytes, visitor),
                }
                visitor.end_subfield();
                pos += len;
            }
        }
        Format::Explicit => visitor.opaque(bytes.get(1..).unwrap_or_default()),
    }
}

fn visit_fields(fields: &'static [Field], bytes: &[u8], part: usize, visitor: &mut impl Visitor) {
    walk_fields(fields, bytes, part, visitor);
}

/// [`visit_fields`], inlined where a compound item walks its many small subfields.
#[inline(always)]
fn walk_fields(fields: &'static [Field], bytes: &[u8], part: usize, visitor: &mut impl Visitor) {
    // Most parts, elements and fixed items are at most eight octets: load them once as one
    // big-endian word and take each field from it with two shifts (no slice access per field).
    if let Some(word) = load_word(bytes) {
        let available = bytes.len() as u32 * 8;
        // `rest` is the word shifted past the fields read so far, `left` the bits after them.
        let mut rest = word;
        let mut left = available;
        for field in fields {
            let bits = u32::from(field.bits);
            // One test for both faults: a zero width (wraps to u32::MAX) and a field running
            // past the bytes (`bits > left`).
            if bits.wrapping_sub(1) >= left {
                return;
            }
            // `bits` is 1..=64: the right shift by `64 - bits` is in range (0 when 64), and
            // the left shift by `bits` wraps to 0 only at 64, when nothing is left to read.
            let raw = rest.wrapping_shr(64 - bits);
            rest = rest.wrapping_shl(bits);
            let at = FieldAt {
                part,
                bit: available - left,
            };
            left -= bits;
            // One jump on the kind, the visitor called in each arm (no value built in memory
            // to be matched again); a selected reading (rare) looks its case up out of line.
            match field.kind {
                Kind::Raw => visitor.field(field, at, raw, Value::Unsigned(raw)),
                Kind::Quantity {
                    signed,
                    scale,
                    unit,
                } => visitor.field(
                    field,
                    at,
                    raw,
                    quantity(signed, scale, unit, raw, field.bits),
                ),
                Kind::Spare => visitor.field(field, at, raw, Value::Spare),
                Kind::Select { selector, cases } => {
                    let kind = select_case(fields, selector, cases, |at, width| {
                        let width = u32::from(width);
                        (width != 0 && at + width <= available)
                            .then(|| (word << at) >> (64 - width))
                    });
                    visitor.field(field, at, raw, selected_value(kind, raw, field.bits));
                }
                Kind::Octal | Kind::Icao | Kind::Ascii | Kind::Hex => visitor.field(
                    field,
                    at,
                    raw,
                    Value::Text(text_of(&field.kind, raw, field.bits)),
                ),
            }
        }
        return;
    }
    let mut bit = 0u32;
    for field in fields {
        let Some(raw) = read_bits(bytes, bit as usize, field.bits) else {
            return;
        };
        let value = value_in(&field.kind, raw, field.bits, |selector, cases| {
            select_case(fields, selector, cases, |at, width| {
                read_bits(bytes, at as usize, width)
            })
        });
        visitor.field(field, FieldAt { part, bit }, raw, value);
        bit += u32::from(field.bits);
    }
}

/// `bytes` (at most eight octets) as a big-endian word, first octet in the top bits, the
/// rest zero; `None` when longer or empty.
#[inline]
fn load_word(bytes: &[u8]) -> Option<u64> {
    let word = match *bytes {
        [a] => u64::from(a) << 56,
        [a, b] => u64::from(u16::from_be_bytes([a, b])) << 48,
        [a, b, c] => u64::from(u32::from_be_bytes([a, b, c, 0])) << 32,
        [a, b, c, d] => u64::from(u32::from_be_bytes([a, b, c, d])) << 32,
        [a, b, c, d, e] => u64::from_be_bytes([a, b, c, d, e, 0, 0, 0]),
        [a, b, c, d, e, f] => u64::from_be_bytes([a, b, c, d, e, f, 0, 0]),
        [a, b, c, d, e, f, g] => u64::from_be_bytes([a, b, c, d, e, f, g, 0]),
        [a, b, c, d, e, f, g, h] => u64::from_be_bytes([a, b, c, d, e, f, g, h]),
        _ => return None,
    };
    Some(word)
}

/// The reading of a [`Kind::Select`] field: the case matching the raw value of the field named
/// `selector` among `fields` (read with `read(bit, bits)`), else [`Kind::Raw`].
#[inline(never)]
fn select_case(
    fields: &[Field],
    selector: &str,
    cases: &'static [(u64, Kind)],
    read: impl Fn(u32, u8) -> Option<u64>,
) -> &'static Kind {
    let mut bit = 0u32;
    let mut value = None;
    for field in fields {
        if field.name == selector {
            value = read(bit, field.bits);
            break;
        }
        bit += u32::from(field.bits);
    }
    value
        .and_then(|value| cases.iter().find(|(case, _)| *case == value))
        .map_or(&Kind::Raw, |(_, kind)| kind)
}

/// The value of `raw` read as `kind` over `bits` bits.
#[inline]
pub fn value_of(kind: Kind, raw: u64, bits: u8) -> Value {
    value_in(&kind, raw, bits, |_, _| &Kind::Raw)
}

/// The reading a [`Kind::Select`] resolved to, out of line (a selection inside a case reads
/// as [`Kind::Raw`]).
#[inline(never)]
fn selected_value(kind: &Kind, raw: u64, bits: u8) -> Value {
    value_in(kind, raw, bits, |_, _| &Kind::Raw)
}

/// [`value_of`] on the table's own `Kind`, inlined into the field walk: no copy of the kind,
/// one jump on its variant; `select` resolves a [`Kind::Select`] to its case.
#[inline(always)]
fn value_in(
    kind: &Kind,
    raw: u64,
    bits: u8,
    select: impl FnOnce(&'static str, &'static [(u64, Kind)]) -> &'static Kind,
) -> Value {
    match *kind {
        Kind::Spare => Value::Spare,
        Kind::Raw => Value::Unsigned(raw),
        Kind::Select { selector, cases } => selected_value(select(selector, cases), raw, bits),
        Kind::Quantity {
            signed,
            scale,
            unit,
        } => quantity(signed, scale, unit, raw, bits),
        Kind::Octal | Kind::Icao | Kind::Ascii | Kind::Hex => Value::Text(text_of(kind, raw, bits)),
    }
}

/// The value of a quantity field: `raw` (two's complement over `bits` when `signed`) times
/// `scale`.
#[inline(always)]
fn quantity(signed: bool, scale: f64, unit: &'static str, raw: u64, bits: u8) -> Value {
    let int = if signed {
        sign_extend(raw, bits) as f64
    } else if bits < 64 {
        // Under 2^63: the one-instruction signed conversion gives the same value.
        raw as i64 as f64
    } else {
        raw as f64
    };
    Value::Number {
        value: int * scale,
        unit,
    }
}

/// The characters of a text field. Out of line: a few fields per record are text, and keeping
/// its loops out of the field walk keeps that walk small.
#[inline(never)]
fn text_of(kind: &Kind, raw: u64, bits: u8) -> Text {
    let bits = u32::from(bits);
    match kind {
        Kind::Octal if bits <= 24 => Text::octal(raw, bits.div_ceil(3)),
        Kind::Octal => Text::from_digits(raw, bits.div_ceil(3), 3, |d| b'0' + d),
        Kind::Icao if bits < 54 => Text::icao(raw, bits / 6),
        Kind::Icao => Text::from_digits(raw, bits / 6, 6, icao_char),
        Kind::Ascii => Text::from_digits(raw, bits / 8, 8, |byte| {
            if byte.is_ascii_graphic() || byte == b' ' {
                byte
            } else {
                b'?'
            }
        }),
        _ => Text::hex(raw, bits.div_ceil(4)),
    }
}

/// The eight hexadecimal digits of `x` as ASCII, most significant first in big-endian order:
/// each nibble spread to its own octet, then turned into `0`-`9` or `A`-`F` eight at a time.
#[inline]
fn hex_digits(x: u32) -> u64 {
    let mut x = u64::from(x);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    // 1 in each octet whose nibble is 10 or more (no carry crosses an octet).
    let letters = ((x + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    x + 0x3030_3030_3030_3030 + letters * 7
}

/// The ICAO 6-bit alphabet (Annex 10 Vol IV, 3.1.2.9.1.2): A-Z at 1-26, space at 32,
/// digits at 48-57. Code 0, the blank cell of the table that transponders send for "no
/// identification", shows as a space (as asterix-decoder shows it); other codes outside the
/// alphabet show as `?`.
#[inline]
pub fn icao_char(code: u8) -> u8 {
    ICAO_CHARS.get(usize::from(code)).copied().unwrap_or(b'?')
}

const ICAO_CHARS: [u8; 64] = *b" ABCDEFGHIJKLMNOPQRSTUVWXYZ????? ???????????????0123456789??????";

/// The 6-bit code of an ICAO character, if the alphabet has it.
pub fn icao_code(ch: u8) -> Option<u8> {
    match ch {
        b'A'..=b'Z' => Some(ch - b'A' + 1),
        b' ' => Some(32),
        b'0'..=b'9' => Some(ch - b'0' + 48),
        _ => None,
    }
}

/// Two's complement of the low `bits` bits of `raw`.
pub fn sign_extend(raw: u64, bits: u8) -> i64 {
    if bits == 0 || bits >= 64 {
        return raw as i64;
    }
    let shift = 64 - u32::from(bits);
    ((raw << shift) as i64) >> shift
}

/// `bits` bits (at most 64) starting `bit_offset` bits into `bytes`, most significant first.
#[inline]
pub fn read_bits(bytes: &[u8], bit_offset: usize, bits: u8) -> Option<u64> {
    if bits == 0 || bits > 64 {
        return None;
    }
    let end = bit_offset + usize::from(bits);
    let first = bit_offset / 8;
    let last = (end - 1) / 8;
    let within = bit_offset % 8;
    // Fast path: eight octets from the first one are there and hold the whole field.
    if within + usize::from(bits) <= 64
        && let Some(word) = bytes.get(first..).and_then(<[u8]>::first_chunk::<8>)
        && last < bytes.len()
    {
        let word = u64::from_be_bytes(*word) << within;
        return Some(word >> (64 - u32::from(bits)));
    }
    let span = bytes.get(first..=last)?;
    let shift = span.len() * 8 - (bit_offset % 8) - usize::from(bits);
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    // Up to eight octets fit a u64; a 64-bit field off an octet boundary spans nine.
    if span.len() <= 8 {
        let acc = span
            .iter()
            .fold(0u64, |acc, &byte| (acc << 8) | u64::from(byte));
        return Some((acc >> shift) & mask);
    }
    let acc = span
        .iter()
        .fold(0u128, |acc, &byte| (acc << 8) | u128::from(byte));
    Some(((acc >> shift) as u64) & mask)
}

/// Big-endian `u16` at `at`.
pub(crate) fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    let chunk = bytes.get(at..)?.first_chunk::<2>()?;
    Some(u16::from_be_bytes(*chunk))
}

/// Big-endian 24-bit unsigned at `at`.
pub(crate) fn u24_at(bytes: &[u8], at: usize) -> Option<u32> {
    let [a, b, c] = *bytes.get(at..)?.first_chunk::<3>()?;
    Some(u32::from_be_bytes([0, a, b, c]))
}

/// Big-endian `u32` at `at`.
pub(crate) fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let chunk = bytes.get(at..)?.first_chunk::<4>()?;
    Some(u32::from_be_bytes(*chunk))
}

/// Octet at `at`.
pub(crate) fn u8_at(bytes: &[u8], at: usize) -> Option<u8> {
    bytes.get(at).copied()
}

/// Bit `bit` (7 = most significant) of octet `at`.
pub(crate) fn flag_at(bytes: &[u8], at: usize, bit: u8) -> bool {
    bytes.get(at).is_some_and(|octet| octet >> bit & 1 == 1)
}

#[cfg(test)]
mod tests {
    use super::Text;

    #[test]
    fn hex_text_matches_digit_by_digit() {
        let by_digit = |raw: u64, count: u32| {
            Text::from_digits(
                raw,
                count,
                4,
                |n| {
                    if n < 10 { b'0' + n } else { b'A' + n - 10 }
                },
            )
        };
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            for count in 0..=16 {
                let raw = state.checked_shr(64 - 4 * count).unwrap_or(0);
                assert_eq!(
                    Text::hex(raw, count),
                    by_digit(raw, count),
                    "{raw:x} in {count}"
                );
            }
        }
        assert_eq!(Text::hex(0x3C_660C, 6).as_str(), "3C660C");
    }

    #[test]
    fn octal_and_icao_text_match_digit_by_digit() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            for bits in 1..=24u32 {
                let raw = state >> (64 - bits);
                let count = bits.div_ceil(3);
                assert_eq!(
                    Text::octal(raw, count),
                    Text::from_digits(raw, count, 3, |d| b'0' + d),
                    "{raw:o} in {bits} bits"
                );
            }
            for bits in 1..54u32 {
                let raw = state >> (64 - bits);
                let count = bits / 6;
                assert_eq!(
                    Text::icao(raw, count),
                    Text::from_digits(raw, count, 6, super::icao_char),
                    "{raw:x} in {bits} bits"
                );
            }
        }
        assert_eq!(Text::octal(0o7_500, 4).as_str(), "7500");
        assert_eq!(
            Text::icao(0x0C_1C_72_0C_30_20_u64 & 0xFFFF_FFFF_FFFF, 8)
                .as_bytes()
                .len(),
            8
        );
        assert_eq!(Text::hex(u64::MAX, 16).as_str(), "FFFFFFFFFFFFFFFF");
    }
}
