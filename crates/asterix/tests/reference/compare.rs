//! Matching the reference's output to ours, field by field, by position in the item.
//!
//! Both sides are reduced to leaves keyed by an address: `/<slot>` for a compound subfield,
//! `[<n>]` for a repetition, then `b<first bit>+<width>` counted from the most significant bit
//! of the item (or of the element, or subfield). Extended items (the reference's "Variable")
//! count bits across their parts, so a flag is the same leaf whatever the part boundaries.
//! A reference value is compared with ours at the same address: numbers after converting both
//! units to a common one (relative tolerance 1e-7: the reference writes some scales rounded,
//! e.g. 180/2^23 as 0.00002145767, and a 1-LSB error is still caught), codes as integers, text
//! as text. FX bits are not compared; the reference's constant (spare) bits are compared raw.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use liptako_asterix::fields::{FieldAt, Value, Visitor, sign_extend};
use liptako_asterix::spec::{Field, Format, SubItem};
use liptako_asterix::{Item, Record};

use super::refxml::{Encode, RefBits, RefCategory, RefFormat};

/// One of our fields.
#[derive(Debug, Clone)]
pub struct OurLeaf {
    pub name: &'static str,
    pub raw: u64,
    pub value: Value,
}

/// Our leaves of one item, by address.
pub fn our_leaves(item: &Item<'_>) -> BTreeMap<String, OurLeaf> {
    let mut collector = Collector {
        frames: vec![Frame {
            prefix: String::new(),
            format: item.spec.format,
            element_bit: 0,
        }],
        leaves: BTreeMap::new(),
    };
    item.visit(&mut collector);
    collector.leaves
}

struct Frame {
    prefix: String,
    format: Format,
    // Bit offset of the current element of a repetitive-FX item, flattened like a Variable.
    element_bit: u32,
}

struct Collector {
    frames: Vec<Frame>,
    leaves: BTreeMap<String, OurLeaf>,
}

impl Visitor for Collector {
    fn field(&mut self, field: &'static Field, at: FieldAt, raw: u64, value: Value) {
        let frame = self.frames.last().unwrap();
        let base = match frame.format {
            Format::Extended(parts) => (0..at.part)
                .map(|k| u32::from(parts.get(k).or(parts.last()).unwrap().len) * 8)
                .sum(),
            Format::RepetitiveFx { .. } => frame.element_bit,
            _ => 0,
        };
        let address = format!("{}b{}+{}", frame.prefix, base + at.bit, field.bits);
        self.leaves.insert(
            address,
            OurLeaf {
                name: field.name,
                raw,
                value,
            },
        );
    }

    fn begin_subfield(&mut self, slot: usize, sub: &'static SubItem) {
        let prefix = format!("{}/{}", self.frames.last().unwrap().prefix, slot);
        self.frames.push(Frame {
            prefix,
            format: sub.format,
            element_bit: 0,
        });
    }

    fn end_subfield(&mut self) {
        self.frames.pop();
    }

    fn begin_element(&mut self, index: usize) {
        let frame = self.frames.last().unwrap();
        match frame.format {
            Format::RepetitiveFx { len, .. } => {
                let element_bit = index as u32 * u32::from(len) * 8;
                let prefix = frame.prefix.clone();
                self.frames.push(Frame {
                    prefix,
                    format: frame.format,
                    element_bit,
                });
            }
            _ => {
                let prefix = format!("{}[{}]", frame.prefix, index);
                self.frames.push(Frame {
                    prefix,
                    format: Format::Fixed {
                        len: 8,
                        fields: &[],
                    },
                    element_bit: 0,
                });
            }
        }
    }

    fn end_element(&mut self) {
        self.frames.pop();
    }
}

/// One reference field with its value.
#[derive(Debug, Clone)]
pub struct RefLeaf {
    pub bits: RefBits,
    pub value: serde_json::Value,
}

/// Reference leaves of one item, by address; `bytes` are the item's bytes (to count the parts
/// of extended items: the reference flattens them into one dictionary).
pub fn ref_leaves(
    format: &RefFormat,
    value: &serde_json::Value,
    bytes: &[u8],
    bds: &RefCategory,
    out: &mut BTreeMap<String, RefLeaf>,
    prefix: &str,
) {
    match format {
        RefFormat::Fixed { len, bits } => {
            for b in bits {
                if b.fx {
                    continue;
                }
                let Some(v) = value.get(&b.name).and_then(|f| f.get("val")) else {
                    continue;
                };
                let offset = *len as u32 * 8 - b.hi;
                let width = b.hi - b.lo + 1;
                out.insert(
                    format!("{prefix}b{offset}+{width}"),
                    RefLeaf {
                        bits: b.clone(),
                        value: v.clone(),
                    },
                );
            }
        }
        RefFormat::Variable(parts) => {
            // Parts present, framed with the reference's part lengths (the last repeats).
            let part_len = |k: usize| match parts.get(k).or(parts.last()) {
                Some(RefFormat::Fixed { len, .. }) => *len,
                _ => 1,
            };
            let mut offsets = Vec::new();
            let mut pos = 0usize;
            loop {
                let len = part_len(offsets.len());
                offsets.push(pos);
                pos += len;
                match bytes.get(pos - 1) {
                    Some(octet) if octet & 1 == 1 => continue,
                    _ => break,
                }
            }
            let n_present = offsets.len();
            // Some items (I062/510) come back as one dictionary per part.
            if let Some(list) = value.as_array() {
                for (k, part_value) in list.iter().enumerate() {
                    let (Some(RefFormat::Fixed { len, bits }), Some(&offset)) =
                        (parts.get(k).or(parts.last()), offsets.get(k))
                    else {
                        continue;
                    };
                    for b in bits.iter().filter(|b| !b.fx) {
                        let Some(v) = part_value.get(&b.name).and_then(|f| f.get("val")) else {
                            continue;
                        };
                        let first = offset as u32 * 8 + *len as u32 * 8 - b.hi;
                        out.insert(
                            format!("{prefix}b{first}+{}", b.hi - b.lo + 1),
                            RefLeaf {
                                bits: b.clone(),
                                value: v.clone(),
                            },
                        );
                    }
                }
                return;
            }
            // The flattened dictionary holds, for each name, the last present part that has it.
            let mut names: Vec<&str> = Vec::new();
            for part in parts {
                if let RefFormat::Fixed { bits, .. } = part {
                    for b in bits {
                        if !b.fx && !names.contains(&b.name.as_str()) {
                            names.push(&b.name);
                        }
                    }
                }
            }
            for name in names {
                let Some(v) = value.get(name).and_then(|f| f.get("val")) else {
                    continue;
                };
                let has = |k: usize| match parts.get(k).or(parts.last()) {
                    Some(RefFormat::Fixed { bits, .. }) => {
                        bits.iter().find(|b| b.name == name).cloned()
                    }
                    _ => None,
                };
                let Some(k) = (0..n_present).rev().find(|&k| has(k).is_some()) else {
                    continue;
                };
                let b = has(k).unwrap();
                let len = part_len(k);
                let offset = offsets[k] as u32 * 8 + len as u32 * 8 - b.hi;
                out.insert(
                    format!("{prefix}b{offset}+{}", b.hi - b.lo + 1),
                    RefLeaf {
                        bits: b,
                        value: v.clone(),
                    },
                );
            }
        }
        RefFormat::Repetitive(element) => {
            for (i, v) in value.as_array().into_iter().flatten().enumerate() {
                ref_leaves(element, v, &[], bds, out, &format!("{prefix}[{i}]"));
            }
        }
        RefFormat::RepetitiveBds => {
            for (i, v) in value.as_array().into_iter().flatten().enumerate() {
                let code = v
                    .get("BDS")
                    .and_then(|b| b.get("val"))
                    .and_then(|b| b.as_str())
                    .unwrap_or("00");
                let format = bds.get(code).or_else(|| bds.get("00")).unwrap();
                ref_leaves(format, v, &[], bds, out, &format!("{prefix}[{i}]"));
            }
        }
        RefFormat::Compound {
            names,
            formats,
            per_octet,
            fixed_primary,
        } => {
            for (name, slot, format_index) in names {
                let (Some(v), Some(sub)) = (value.get(name), formats.get(*format_index)) else {
                    continue;
                };
                // Extended subfields need their own bytes to count their parts.
                let sub_bytes =
                    compound_bytes(bytes, *slot, names, formats, *per_octet, *fixed_primary);
                ref_leaves(
                    sub,
                    v,
                    sub_bytes.unwrap_or(&[]),
                    bds,
                    out,
                    &format!("{prefix}/{slot}"),
                );
            }
        }
        RefFormat::Explicit(Some(inner)) => {
            ref_leaves(
                inner,
                value,
                bytes.get(1..).unwrap_or_default(),
                bds,
                out,
                prefix,
            );
        }
        RefFormat::Explicit(None) => {}
    }
}

/// The bytes of subfield `slot` of a compound item framed with the reference formats, when
/// every subfield before it has a length the reference format fixes.
fn compound_bytes<'b>(
    bytes: &'b [u8],
    slot: usize,
    names: &[(String, usize, usize)],
    formats: &[RefFormat],
    per_octet: usize,
    fixed_primary: usize,
) -> Option<&'b [u8]> {
    let primary_len = if fixed_primary > 0 {
        fixed_primary
    } else {
        bytes.iter().position(|b| b & 1 == 0)? + 1
    };
    let mut pos = primary_len;
    let mut present = Vec::new();
    for (octet_idx, octet) in bytes.get(..primary_len)?.iter().enumerate() {
        for k in 0..per_octet {
            if octet & (0x80 >> k) != 0 {
                present.push(octet_idx * per_octet + k);
            }
        }
    }
    for s in present {
        let rest = bytes.get(pos..)?;
        let (_, _, format_index) = names.iter().find(|(_, sl, _)| *sl == s)?;
        let len = ref_len(formats.get(*format_index)?, rest)?;
        if s == slot {
            return rest.get(..len);
        }
        pos += len;
    }
    None
}

fn ref_len(format: &RefFormat, bytes: &[u8]) -> Option<usize> {
    match format {
        RefFormat::Fixed { len, .. } => Some(*len),
        RefFormat::Variable(parts) => {
            let mut pos = 0;
            let mut k = 0;
            loop {
                let len = match parts.get(k).or(parts.last())? {
                    RefFormat::Fixed { len, .. } => *len,
                    _ => return None,
                };
                pos += len;
                if bytes.get(pos - 1)? & 1 == 0 {
                    return Some(pos);
                }
                k += 1;
            }
        }
        RefFormat::Repetitive(element) => {
            let n = *bytes.first()? as usize;
            Some(1 + n * ref_len(element, &[])?)
        }
        RefFormat::RepetitiveBds => Some(1 + *bytes.first()? as usize * 8),
        RefFormat::Explicit(_) => Some(*bytes.first()? as usize),
        RefFormat::Compound { .. } => None,
    }
}

/// Places where asterix-decoder 0.7.11 is demonstrably wrong, and how its wrong value looks.
/// A mismatch there counts as a known reference fault only if the predicate recognises that
/// exact shape; anything else is still a mismatch.
struct KnownFault {
    /// Item (`"I062/390"`), or any item.
    item: Option<&'static str>,
    why: &'static str,
    /// Given their leaf, our leaf at the same address and all our leaves of the item.
    applies: fn(&RefLeaf, &OurLeaf, &BTreeMap<String, OurLeaf>) -> bool,
}

/// The characters of an ASCII field, first first.
fn ascii_bytes(leaf: &OurLeaf, width: u32) -> Vec<u8> {
    let n = width / 8;
    (0..n).rev().map(|i| (leaf.raw >> (8 * i)) as u8).collect()
}

fn all_blank(value: &serde_json::Value) -> bool {
    value
        .as_str()
        .is_some_and(|text| text.chars().all(|c| c == ' '))
}

const KNOWN_FAULTS: &[KnownFault] = &[
    KnownFault {
        item: Some("I062/390"),
        why: "I062/390 RDS (runway designation, three ASCII octets): when the first octet is \
              not a printable character the reference shows all three as blanks, even where \
              the others hold printable characters such as '2' or 'r'",
        applies: |theirs, _, ours| {
            theirs.bits.encode == Encode::Ascii
                && all_blank(&theirs.value)
                && ours.get("/8b0+8").is_some_and(|nu1| {
                    let c = nu1.raw as u8;
                    !(c.is_ascii_graphic() || c == b' ')
                })
        },
    },
    KnownFault {
        item: None,
        why: "BDS 5,0 true airspeed (MB bits 47-56, 0 to 2046 kt): the reference reads it as \
              signed, so speeds of 1024 kt and more come out negative",
        applies: |theirs, ours, _| {
            theirs.bits.name == "TAS"
                && theirs.bits.hi == 18
                && theirs
                    .value
                    .as_f64()
                    .is_some_and(|v| v < 0.0 && (v + 2048.0 - ours.raw as f64 * 2.0).abs() < 1e-9)
        },
    },
    KnownFault {
        item: Some("I021/RE"),
        why: "I021 REF SH (selected heading, 10 bits of 45/64 deg, unsigned in REF 1.5): the \
              reference reads it as signed, so headings of 360 deg and more come out 720 deg \
              less",
        applies: |theirs, ours, _| {
            theirs.bits.name == "SelH"
                && theirs.value.as_f64().is_some_and(|v| {
                    v < 0.0 && (v + 720.0 - ours.raw as f64 * 0.703125).abs() < 1e-9
                })
        },
    },
    KnownFault {
        item: Some("I034/120"),
        why: "I034/120 HGT (height of the data source, two's complement per the CAT034 \
              specification): the reference reads it unsigned, so heights below 0 m come out \
              as 65536 m more",
        applies: |theirs, ours, _| {
            theirs.bits.name == "Height"
                && theirs.value.as_f64().is_some_and(|v| {
                    v - 65536.0 == liptako_asterix::fields::sign_extend(ours.raw, 16) as f64
                })
        },
    },
    KnownFault {
        item: None,
        why: "ASCII text whose first octet is not a printable character: the reference shows \
              the whole text as blanks, printable characters after it included",
        applies: |theirs, ours, _| {
            let width = theirs.bits.hi - theirs.bits.lo + 1;
            theirs.bits.encode == Encode::Ascii
                && all_blank(&theirs.value)
                && ascii_bytes(ours, width)
                    .first()
                    .is_some_and(|first| !(first.is_ascii_graphic() || *first == b' '))
        },
    },
];

/// Per item: how the comparison went.
#[derive(Debug, Default, Clone)]
pub struct ItemTally {
    pub compared: usize,
    pub mismatched: usize,
    pub ref_only: usize,
    pub examples: Vec<String>,
    pub ref_only_names: Vec<String>,
}

/// The whole comparison.
#[derive(Debug, Default)]
pub struct Report {
    pub blocks: usize,
    pub records_compared: usize,
    pub fields_compared: usize,
    pub crashed_blocks: usize,
    pub unverified_records: usize,
    pub ref_failed_records: usize,
    pub record_count_mismatch: Vec<String>,
    pub framing_mismatch: Vec<String>,
    pub items_ref_only: BTreeMap<String, usize>,
    pub items_ours_only: BTreeMap<String, usize>,
    pub explicit_items: usize,
    pub by_item: BTreeMap<String, ItemTally>,
    pub skipped_blocks: BTreeMap<u8, usize>,
    pub known_faults: BTreeMap<&'static str, usize>,
}

impl Report {
    pub fn mismatches(&self) -> usize {
        self.by_item.values().map(|t| t.mismatched).sum()
    }

    pub fn render(&self, title: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "== {title}: {} blocks, {} records and {} fields compared, {} blocks crashed the \
             reference ({} records unverified), {} records the reference failed, {} skipped blocks {:?}",
            self.blocks,
            self.records_compared,
            self.fields_compared,
            self.crashed_blocks,
            self.unverified_records,
            self.ref_failed_records,
            self.skipped_blocks.values().sum::<usize>(),
            self.skipped_blocks
        );
        for (item, tally) in &self.by_item {
            let _ = writeln!(
                s,
                "  {item}: {} compared, {} mismatched, {} reference-only{}",
                tally.compared,
                tally.mismatched,
                tally.ref_only,
                if tally.ref_only_names.is_empty() {
                    String::new()
                } else {
                    format!(" {:?}", tally.ref_only_names)
                }
            );
            for example in &tally.examples {
                let _ = writeln!(s, "      {example}");
            }
        }
        if !self.items_ref_only.is_empty() {
            let _ = writeln!(
                s,
                "  items only the reference decoded: {:?}",
                self.items_ref_only
            );
        }
        if !self.items_ours_only.is_empty() {
            let _ = writeln!(s, "  items only we decoded: {:?}", self.items_ours_only);
        }
        for line in self
            .record_count_mismatch
            .iter()
            .chain(&self.framing_mismatch)
            .take(20)
        {
            let _ = writeln!(s, "  {line}");
        }
        let _ = writeln!(
            s,
            "  explicit items (SP/RE) not compared: {}",
            self.explicit_items
        );
        for (why, count) in &self.known_faults {
            let _ = writeln!(s, "  known reference fault, {count} fields: {why}");
        }
        s
    }
}

/// Compares one record of ours with the reference's.
pub fn compare_record(
    ours: &Record<'_>,
    theirs: &serde_json::Value,
    spec: &RefCategory,
    bds: &RefCategory,
    report: &mut Report,
) {
    let cat = ours.category();
    let their_hex = theirs.get("hexdata").and_then(|h| h.as_str());
    let Some(their_hex) = their_hex else {
        report.ref_failed_records += 1;
        return;
    };
    let our_hex: String = ours.bytes().iter().map(|b| format!("{b:02X}")).collect();
    if !their_hex.eq_ignore_ascii_case(&our_hex) {
        report.framing_mismatch.push(format!(
            "CAT{cat:03} record at {}: bytes differ: ours {our_hex} theirs {their_hex}",
            ours.offset()
        ));
        return;
    }
    report.records_compared += 1;
    let mut seen = Vec::new();
    for item in ours.items() {
        let key = format!("I{}", item.spec.id);
        seen.push(key.clone());
        let name = format!("I{cat:03}/{}", item.spec.id);
        let Some(their_item) = theirs.get(&key) else {
            *report.items_ours_only.entry(name).or_default() += 1;
            continue;
        };
        let Some(format) = spec.get(item.spec.id) else {
            *report.items_ours_only.entry(name).or_default() += 1;
            continue;
        };
        if matches!(format, RefFormat::Explicit(None)) || item.spec.format == Format::Explicit {
            report.explicit_items += 1;
            continue;
        }
        let mut theirs_leaves = BTreeMap::new();
        ref_leaves(format, their_item, item.bytes, bds, &mut theirs_leaves, "");
        let ours_leaves = our_leaves(&item);
        let tally = report.by_item.entry(name.clone()).or_default();
        for (address, leaf) in &theirs_leaves {
            let synthetic;
            let our = match ours_leaves.get(address) {
                Some(our) => Some(our),
                None => {
                    // Their field splits or joins ours (ARA bits of I021/260, a BDS register we
                    // decode field by field and they do not): read the same bits from our
                    // fields and compare those.
                    synthetic = bits_from_leaves(&ours_leaves, address).map(|raw| OurLeaf {
                        name: "(bits of our fields)",
                        raw,
                        value: Value::Unsigned(raw),
                    });
                    synthetic.as_ref()
                }
            };
            let Some(our) = our else {
                tally.ref_only += 1;
                let label = format!("{}@{address}", leaf.bits.name);
                if !tally.ref_only_names.contains(&label) && tally.ref_only_names.len() < 8 {
                    tally.ref_only_names.push(label);
                }
                continue;
            };
            tally.compared += 1;
            report.fields_compared += 1;
            if let Err(why) = agree(leaf, our) {
                if let Some(fault) = KNOWN_FAULTS.iter().find(|f| {
                    f.item.is_none_or(|item| item == name) && (f.applies)(leaf, our, &ours_leaves)
                }) {
                    *report.known_faults.entry(fault.why).or_default() += 1;
                    continue;
                }
                tally.mismatched += 1;
                if tally.examples.len() < 5 {
                    tally.examples.push(format!(
                        "{address} theirs {} = {} / ours {} = {:?} (raw {}): {why}",
                        leaf.bits.name, leaf.value, our.name, our.value, our.raw
                    ));
                }
            }
        }
    }
    if let Some(obj) = theirs.as_object() {
        for key in obj.keys().filter(|k| k.starts_with('I')) {
            if !seen.contains(key) {
                *report
                    .items_ref_only
                    .entry(format!("I{cat:03}/{}", &key[1..]))
                    .or_default() += 1;
            }
        }
    }
}

/// The bits at `address` (`<prefix>b<start>+<width>`) rebuilt from our leaves of the same
/// prefix, if they cover that range.
fn bits_from_leaves(leaves: &BTreeMap<String, OurLeaf>, address: &str) -> Option<u64> {
    let (prefix, range) = split_address(address)?;
    let (start, width) = range;
    let mut raw = 0u64;
    for bit in start..start + width {
        let (leaf_start, leaf_width, leaf) = leaves.iter().find_map(|(a, leaf)| {
            let (p, (s, w)) = split_address(a)?;
            (p == prefix && s <= bit && bit < s + w).then_some((s, w, leaf))
        })?;
        let shift = leaf_start + leaf_width - 1 - bit;
        raw = (raw << 1) | ((leaf.raw >> shift) & 1);
    }
    Some(raw)
}

/// `("/3[0]", (start, width))` from `"/3[0]b12+4"`.
fn split_address(address: &str) -> Option<(&str, (u32, u32))> {
    let at = address.rfind('b')?;
    let (prefix, rest) = address.split_at(at);
    let (start, width) = rest.get(1..)?.split_once('+')?;
    Some((prefix, (start.parse().ok()?, width.parse().ok()?)))
}

/// Factor to a base unit, per unit spelling either side uses.
fn unit_factor(unit: &str) -> Option<(&'static str, f64)> {
    Some(match unit {
        "NM" | "Nm" => ("m", 1852.0),
        "m" => ("m", 1.0),
        "ft" | "feet" => ("m", 0.3048),
        "FL" => ("m", 30.48),
        "NM/s" => ("m/s", 1852.0),
        "kt" | "knot" | "knots" => ("m/s", 1852.0 / 3600.0),
        "m/s" | "m/sec" => ("m/s", 1.0),
        "ft/min" | "feet/minute" => ("m/s", 0.3048 / 60.0),
        "s" | "sec" => ("s", 1.0),
        "ns" => ("s", 1e-9),
        "deg" | "°" => ("deg", 1.0),
        "deg/s" | "deg/sec" => ("deg/s", 1.0),
        "m/s2" | "m/s^2" => ("m/s2", 1.0),
        "mb" | "mbar" | "hPa" => ("hPa", 1.0),
        "degC" | "C" | "deg C" | "deg_C" => ("degC", 1.0),
        "Mach" | "MACH" => ("Mach", 1.0),
        "dBm" => ("dBm", 1.0),
        "MHz" => ("MHz", 1.0),
        "%" => ("%", 1.0),
        _ => return None,
    })
}

fn agree(theirs: &RefLeaf, ours: &OurLeaf) -> Result<(), String> {
    let b = &theirs.bits;
    let width = (b.hi - b.lo + 1) as u8;
    match b.encode {
        Encode::Octal => {
            let text = theirs.value.as_str().ok_or("reference octal is not text")?;
            let our = format!("{:0w$o}", ours.raw, w = usize::from(width).div_ceil(3));
            (text == our).then_some(()).ok_or(format!("octal {our}"))
        }
        Encode::Hex => {
            let text = theirs.value.as_str().ok_or("reference hex is not text")?;
            let parsed =
                u64::from_str_radix(text, 16).map_err(|_| "reference hex does not parse")?;
            (parsed == ours.raw)
                .then_some(())
                .ok_or("different bits".into())
        }
        Encode::Ascii => {
            // Byte for byte: their text (UTF-8 in JSON) is the octets they read. They stop at
            // a NUL (a C string); we keep the octets and show non-printable ones as `?`.
            let text = theirs.value.as_str().ok_or("reference text is not text")?;
            let n = u32::from(width) / 8;
            let ours_bytes: Vec<u8> = (0..n).rev().map(|i| (ours.raw >> (8 * i)) as u8).collect();
            let upto_nul: Vec<u8> = ours_bytes.iter().copied().take_while(|&c| c != 0).collect();
            if text.as_bytes() == ours_bytes.as_slice() || text.as_bytes() == upto_nul.as_slice() {
                Ok(())
            } else {
                Err(format!("octets differ: ours {ours_bytes:02X?}"))
            }
        }
        Encode::SixBitChar => {
            // Character by character: a valid character must be the same; a code outside the
            // ICAO alphabet (we show `?`) may be anything but a letter or digit on their side.
            let text = theirs.value.as_str().ok_or("reference text is not text")?;
            let n = usize::from(width) / 6;
            let theirs_chars: Vec<char> = text.chars().collect();
            if theirs_chars.len() > n {
                return Err("reference text longer than the field".into());
            }
            for i in 0..n {
                let code = (ours.raw >> (6 * (n - 1 - i))) as u8 & 0x3f;
                let their_char = theirs_chars.get(i).copied();
                let fine = match liptako_asterix::fields::icao_char(code) {
                    b'?' => their_char.is_none_or(|c| !c.is_ascii_alphanumeric()),
                    c => their_char == Some(char::from(c)) || (c == b' ' && their_char.is_none()),
                };
                if !fine {
                    return Err(format!("character {i}: code {code}, theirs {their_char:?}"));
                }
            }
            Ok(())
        }
        Encode::Unsigned | Encode::Signed => {
            let signed_raw = || {
                if b.encode == Encode::Signed {
                    sign_extend(ours.raw, width) as f64
                } else {
                    ours.raw as f64
                }
            };
            match b.scale {
                None => {
                    let their = theirs
                        .value
                        .as_f64()
                        .ok_or("reference value is not a number")?;
                    (their == signed_raw())
                        .then_some(())
                        .ok_or("different raw value".into())
                }
                Some(scale) => {
                    let their = theirs
                        .value
                        .as_f64()
                        .ok_or("reference value is not a number")?;
                    let (our_value, our_unit) = match ours.value {
                        Value::Number { value, unit } => (value, unit),
                        // We read it as a code: compare the reference's scaling of our bits.
                        _ => (signed_raw() * scale, b.unit.as_deref().unwrap_or("")),
                    };
                    let their_unit = b.unit.as_deref().unwrap_or(our_unit);
                    let (their_base, our_base) =
                        match (unit_factor(their_unit), unit_factor(our_unit)) {
                            (Some((tb, tf)), Some((ob, of))) if tb == ob => {
                                (their * tf, our_value * of)
                            }
                            (None, None) if their_unit == our_unit => (their, our_value),
                            _ if their_unit == our_unit => (their, our_value),
                            _ => return Err(format!("units {their_unit} vs {our_unit}")),
                        };
                    let tolerance = 1e-7 * their_base.abs().max(our_base.abs()) + 1e-12;
                    ((their_base - our_base).abs() <= tolerance)
                        .then_some(())
                        .ok_or(format!(
                            "values differ ({their_base} vs {our_base} in base units)"
                        ))
                }
            }
        }
    }
}
