//! Random records of any edition, built from the tables with a seeded generator, together
//! with the raw value every field must decode to. Used by the property tests (our own
//! round trip over every item of every table) and by the peer property test (asterix-decoder
//! reading records we encoded).
//!
//! Addresses are those of `reference::compare::our_leaves`: `/<slot>` per compound subfield,
//! `[<n>]` per repetition, `b<first bit>+<width>` from the item's (element's, subfield's) most
//! significant bit, extended items and repetitive-FX items counted across their parts.

use std::collections::BTreeMap;

use liptako_asterix::encode::{BlockEncoder, Content, FieldValue, Named};
use liptako_asterix::fields::read_bits;
use liptako_asterix::spec::{Edition, Field, Format, Kind};
use liptako_asterix::tables::bds;

/// xorshift64*: small, seeded, good enough to pick test values.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }

    /// A raw value of `bits` bits, often at the edges (0, all ones, the sign boundary).
    pub fn raw(&mut self, bits: u8) -> u64 {
        let mask = if bits >= 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        };
        match self.below(8) {
            0 => 0,
            1 => mask,
            2 => (mask >> 1) + 1, // most negative in two's complement
            3 => mask >> 1,
            _ => self.next_u64() & mask,
        }
    }
}

/// Expected raw value per field address, per item id.
pub type Expected = BTreeMap<&'static str, BTreeMap<String, u64>>;

/// What to generate.
#[derive(Clone, Copy)]
pub struct Options {
    /// Include SP and RE (explicit) items.
    pub explicit: bool,
}

fn leak<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

/// One random record written into `block`; returns what each field must decode to.
pub fn random_record(block: &mut BlockEncoder, rng: &mut Rng, options: Options) -> Expected {
    let edition: &'static Edition = block.edition();
    loop {
        let mut expected = Expected::new();
        let mut items: Vec<(&'static str, Content<'static>)> = Vec::new();
        for slot in edition.uap.iter().flatten() {
            if matches!(slot.format, Format::Explicit) && !options.explicit {
                continue;
            }
            if rng.chance(2) {
                continue;
            }
            let mut leaves = BTreeMap::new();
            let content = random_content(&slot.format, rng, "", &mut leaves);
            expected.insert(slot.id, leaves);
            items.push((slot.id, content));
        }
        if items.is_empty() {
            continue;
        }
        block
            .record(|w| {
                for (id, content) in &items {
                    w.item(id, *content)?;
                }
                Ok(())
            })
            .unwrap_or_else(|err| panic!("encoding a generated record: {err}"));
        return expected;
    }
}

fn random_content(
    format: &Format,
    rng: &mut Rng,
    prefix: &str,
    leaves: &mut BTreeMap<String, u64>,
) -> Content<'static> {
    match *format {
        Format::Fixed { fields, .. } => {
            Content::Fields(random_fields(fields, rng, prefix, 0, leaves, false))
        }
        Format::Extended(parts) => {
            let n_parts = 1 + rng.below(parts.len() as u64) as usize;
            let mut named: Vec<Named<'static>> = Vec::new();
            let mut bit = 0u32;
            for (k, part) in parts.iter().take(n_parts).enumerate() {
                let last = k + 1 == n_parts && k > 0;
                named.extend_from_slice(random_fields(part.fields, rng, prefix, bit, leaves, last));
                bit += u32::from(part.len) * 8;
            }
            Content::Fields(leak(named))
        }
        Format::Repetitive { fields, .. } => {
            let n = rng.below(4) as usize;
            let elements: Vec<&'static [Named<'static>]> = (0..n)
                .map(|i| random_fields(fields, rng, &format!("{prefix}[{i}]"), 0, leaves, false))
                .collect();
            Content::Elements(leak(elements))
        }
        Format::RepetitiveFx { len, fields } => {
            let n = 1 + rng.below(3) as usize;
            let elements: Vec<&'static [Named<'static>]> = (0..n)
                .map(|i| {
                    let base = i as u32 * u32::from(len) * 8;
                    random_fields(fields, rng, prefix, base, leaves, false)
                })
                .collect();
            Content::Elements(leak(elements))
        }
        Format::ModeSRegisters => {
            let n = rng.below(3) as usize;
            let registers: Vec<[u8; 8]> = (0..n)
                .map(|i| {
                    let mut register = [0u8; 8];
                    for byte in register.iter_mut().take(7) {
                        *byte = rng.below(256) as u8;
                    }
                    register[7] = match rng.below(5) {
                        0 => 0x40,
                        1 => 0x50,
                        2 => 0x60,
                        3 => 0x20,
                        _ => rng.below(256) as u8,
                    };
                    let fields = bds::register(register[7]).unwrap_or(bds::UNKNOWN);
                    let mut bit = 0usize;
                    for field in fields {
                        let raw = read_bits(&register, bit, field.bits).unwrap();
                        leaves.insert(format!("{prefix}[{i}]b{bit}+{}", field.bits), raw);
                        bit += usize::from(field.bits);
                    }
                    register
                })
                .collect();
            Content::Registers(leak(registers))
        }
        Format::Compound(subs) | Format::Expansion { subs, .. } => {
            let mut chosen: Vec<(&'static str, Content<'static>)> = Vec::new();
            while chosen.is_empty() {
                for (slot, sub) in subs.iter().enumerate() {
                    let Some(sub) = sub else { continue };
                    if rng.chance(2) {
                        continue;
                    }
                    let content =
                        random_content(&sub.format, rng, &format!("{prefix}/{slot}"), leaves);
                    chosen.push((sub.name, content));
                }
            }
            Content::Subfields(leak(chosen))
        }
        Format::Explicit => {
            let n = rng.below(6) as usize;
            Content::Opaque(leak((0..n).map(|_| rng.below(256) as u8).collect()))
        }
    }
}

/// Random named values for `fields` starting at bit `base`; with `nonzero`, at least one field
/// is non-zero (so an extended item keeps this part).
fn random_fields(
    fields: &'static [Field],
    rng: &mut Rng,
    prefix: &str,
    base: u32,
    leaves: &mut BTreeMap<String, u64>,
    nonzero: bool,
) -> &'static [Named<'static>] {
    let mut named = Vec::new();
    let mut bit = base;
    let mut any_nonzero = false;
    let mut last_field: Option<(usize, String)> = None;
    for field in fields {
        let address = format!("{prefix}b{bit}+{}", field.bits);
        if field.kind == Kind::Spare {
            leaves.insert(address, 0);
        } else {
            let raw = rng.raw(field.bits);
            any_nonzero |= raw != 0;
            leaves.insert(address.clone(), raw);
            last_field = Some((named.len(), address));
            named.push((field.name, FieldValue::Uint(raw)));
        }
        bit += u32::from(field.bits);
    }
    if nonzero
        && !any_nonzero
        && let Some((idx, address)) = last_field
    {
        named[idx].1 = FieldValue::Uint(1);
        leaves.insert(address, 1);
    }
    leak(named)
}
