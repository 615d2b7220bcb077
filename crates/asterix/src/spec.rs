//! The shape of an ASTERIX category edition, described as data.
//!
//! A category edition is a [`Uap`] (User Application Profile: which item sits at which Field
//! Reference Number) plus one [`ItemSpec`] per item. An item's [`Format`] is one of the five
//! ASTERIX structures (fixed, extended, repetitive, compound, explicit) and lists its fields,
//! most significant bit first, with their width and how to read them ([`Kind`]). Decoding,
//! framing, the JSON dump and the generic field view all walk these tables; nothing in the crate
//! parses an item by hand except the typed views, which read what a tracker needs.
//!
//! Tables are `static` data built with the `const fn` helpers at the bottom of this module. The
//! helpers check octet alignment at compile time, so a table with a miscounted field does not
//! build.

/// How the bits of one field are read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// Spare bits, set to zero by the sender.
    Spare,
    /// An unsigned integer: a code, a flag, a counter or a table index.
    Raw,
    /// A number: `raw * scale`, in `unit`; `signed` means two's complement over the field width.
    Quantity {
        /// Two's complement over the field width.
        signed: bool,
        /// Value of one least significant bit, in `unit`.
        scale: f64,
        /// Unit as written in the specification (`"NM"`, `"deg"`, `"s"`, `"FL"`, `"ft"`, ...).
        unit: &'static str,
    },
    /// Octal digits, three bits each (Mode 1/2/3/A codes): shown as `"1234"`.
    Octal,
    /// ICAO 6-bit characters (aircraft identification), six bits each.
    Icao,
    /// 8-bit ASCII characters.
    Ascii,
    /// An address, shown as upper-case hexadecimal (`"3C660C"`).
    Hex,
    /// The reading depends on an earlier field of the same part: `selector` names it, and the
    /// case whose value matches applies (e.g. I021/150: IM = 0 is IAS in NM/s, 1 is Mach).
    Select {
        /// Name of the earlier field whose value picks the case.
        selector: &'static str,
        /// `(selector value, reading)` pairs; no match reads the field as [`Kind::Raw`].
        cases: &'static [(u64, Kind)],
    },
}

/// One run of bits inside an item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    /// Short name as in the specification (`"RHO"`); spare fields are named `"spare"`.
    pub name: &'static str,
    /// Width in bits, 1 to 64.
    pub bits: u8,
    /// How the bits are read.
    pub kind: Kind,
}

/// One part of an extended item: its fields, followed by the FX bit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Part {
    /// Octets in this part, FX bit included.
    pub len: u8,
    /// Fields, most significant first, without the trailing FX bit.
    pub fields: &'static [Field],
}

/// A subfield of a compound item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SubItem {
    /// Short name as in the specification (`"ADR"`).
    pub name: &'static str,
    /// Structure of the subfield.
    pub format: Format,
}

/// The structure of an item (or of a compound subfield).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Format {
    /// A fixed number of octets.
    Fixed {
        /// Octets.
        len: u8,
        /// Fields, most significant first.
        fields: &'static [Field],
    },
    /// A first part and extents, each ending with an FX bit that announces the next one. If
    /// the last defined part has FX set, further extents of the same length follow (a newer
    /// edition added them); they are framed and shown raw.
    Extended(&'static [Part]),
    /// A one-octet repetition count, then that many elements of `len` octets.
    Repetitive {
        /// Octets per element.
        len: u8,
        /// Fields of one element.
        fields: &'static [Field],
    },
    /// Elements of `len` octets, each ending with an FX bit that announces the next one.
    RepetitiveFx {
        /// Octets per element, FX bit included.
        len: u8,
        /// Fields of one element, without the FX bit.
        fields: &'static [Field],
    },
    /// A primary subfield (seven presence bits and an FX bit per octet) then the present
    /// subfields in order. `None` marks a slot the edition leaves spare.
    Compound(&'static [Option<SubItem>]),
    /// A length octet (counting itself) then opaque content: SP fields, and RE fields of
    /// editions whose expansion we do not describe.
    Explicit,
    /// A Reserved Expansion Field described by its REF specification: a length octet
    /// (counting itself), an items indicator of `primary_len` octets whose eight bits each
    /// announce a subfield (no FX bit), then the announced subfields in order.
    Expansion {
        /// Octets of the items indicator.
        primary_len: u8,
        /// Subfields by presence bit; `None` marks a spare bit.
        subs: &'static [Option<SubItem>],
    },
    /// A one-octet repetition count, then 8-octet Mode S Comm-B registers: 56 bits of MB data
    /// then BDS1 and BDS2 (I048/250, I021/250, I062/380 BDS). Known registers are decoded
    /// field by field with the tables in [`crate::tables::bds`].
    ModeSRegisters,
}

/// One data item of a category edition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ItemSpec {
    /// Item number as in the specification (`"040"`), or `"SP"` / `"RE"`.
    pub id: &'static str,
    /// Title as in the specification.
    pub title: &'static str,
    /// Structure.
    pub format: Format,
}

/// A User Application Profile: entry `n` is the item at FRN `n + 1`; `None` is a spare FRN.
pub type Uap = [Option<&'static ItemSpec>];

/// One edition of one category: the unit a sensor's configuration selects.
#[derive(Debug)]
pub struct Edition {
    /// Category number (48 for CAT048).
    pub category: u8,
    /// Edition as written by EUROCONTROL, `"1.32"`.
    pub version: &'static str,
    /// Items by FRN.
    pub uap: &'static Uap,
    /// FRN (1-based; 0 when absent) of each item the typed view of this category reads, in
    /// the order of that category's `KNOWN` list. Built at compile time from `uap`.
    pub known: &'static [u8],
    /// Bit `n` set when the UAP defines FRN `n + 1` (built with [`defined_frns`]): the decoder
    /// checks a whole FSPEC against it at once.
    pub defined: u64,
    /// `uap` in 64 slots (built with [`uap_slots`]): the item of any presence bit is read
    /// without a bounds test.
    pub slots: [Option<&'static ItemSpec>; 64],
}

impl Edition {
    /// The item at a Field Reference Number (1-based), if the UAP defines one.
    pub fn item_at(&self, frn: usize) -> Option<&'static ItemSpec> {
        frn.checked_sub(1)
            .and_then(|idx| self.uap.get(idx))
            .copied()
            .flatten()
    }

    /// FRN (1-based) of an item by its number (`"040"`, `"SP"`).
    pub fn frn_of(&self, id: &str) -> Option<usize> {
        self.uap
            .iter()
            .position(|slot| slot.is_some_and(|item| same_name(item.id, id)))
            .map(|idx| idx + 1)
    }

    /// The item spec for an item number.
    pub fn item(&self, id: &str) -> Option<&'static ItemSpec> {
        self.frn_of(id).and_then(|frn| self.item_at(frn))
    }

    /// `"CAT048 1.32"`.
    pub fn name(&self) -> EditionName {
        EditionName(self.category, self.version)
    }
}

/// String equality for the short names of tables (item numbers, field names), inlined: the
/// encoder compares many of them, and a library `memcmp` call per comparison dominated it.
#[inline]
pub fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// Display helper for an edition: `CAT048 1.32`.
#[derive(Debug, Clone, Copy)]
pub struct EditionName(u8, &'static str);

impl std::fmt::Display for EditionName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CAT{:03} {}", self.0, self.1)
    }
}

// ---------------------------------------------------------------------------------------------
// Table-building helpers. They run at compile time; a failed assertion is a build error that
// names the problem, so a miscounted table never ships.

/// Sum of field widths.
#[allow(clippy::indexing_slicing)] // compile-time loop over a table literal
pub const fn bit_width(fields: &[Field]) -> u32 {
    let mut idx = 0;
    let mut sum = 0;
    while idx < fields.len() {
        sum += fields[idx].bits as u32;
        idx += 1;
    }
    sum
}

/// A field read as an unsigned integer (code, flag, table index).
pub const fn raw(name: &'static str, bits: u8) -> Field {
    Field {
        name,
        bits,
        kind: Kind::Raw,
    }
}

/// Spare bits.
pub const fn spare(bits: u8) -> Field {
    Field {
        name: "spare",
        bits,
        kind: Kind::Spare,
    }
}

/// An unsigned quantity: `raw * scale` in `unit`.
pub const fn uq(name: &'static str, bits: u8, scale: f64, unit: &'static str) -> Field {
    Field {
        name,
        bits,
        kind: Kind::Quantity {
            signed: false,
            scale,
            unit,
        },
    }
}

/// A signed (two's complement) quantity: `raw * scale` in `unit`.
pub const fn sq(name: &'static str, bits: u8, scale: f64, unit: &'static str) -> Field {
    Field {
        name,
        bits,
        kind: Kind::Quantity {
            signed: true,
            scale,
            unit,
        },
    }
}

/// Octal digits (Mode codes).
pub const fn octal(name: &'static str, bits: u8) -> Field {
    Field {
        name,
        bits,
        kind: Kind::Octal,
    }
}

/// ICAO 6-bit characters.
pub const fn icao(name: &'static str, bits: u8) -> Field {
    Field {
        name,
        bits,
        kind: Kind::Icao,
    }
}

/// 8-bit ASCII characters.
pub const fn ascii(name: &'static str, bits: u8) -> Field {
    Field {
        name,
        bits,
        kind: Kind::Ascii,
    }
}

/// An address shown in hexadecimal.
pub const fn hex(name: &'static str, bits: u8) -> Field {
    Field {
        name,
        bits,
        kind: Kind::Hex,
    }
}

/// A field whose reading depends on an earlier field of the same part.
pub const fn select(
    name: &'static str,
    bits: u8,
    selector: &'static str,
    cases: &'static [(u64, Kind)],
) -> Field {
    Field {
        name,
        bits,
        kind: Kind::Select { selector, cases },
    }
}

/// The reading of a quantity, for [`select`] cases.
pub const fn quantity(signed: bool, scale: f64, unit: &'static str) -> Kind {
    Kind::Quantity {
        signed,
        scale,
        unit,
    }
}

/// A fixed-length format; its length is the sum of the field widths.
pub const fn fixed(fields: &'static [Field]) -> Format {
    let bits = bit_width(fields);
    assert!(
        bits.is_multiple_of(8) && bits > 0 && bits / 8 <= 255,
        "fixed item is not a whole number of octets"
    );
    Format::Fixed {
        len: (bits / 8) as u8,
        fields,
    }
}

/// One part of an extended item; the FX bit is added.
pub const fn part(fields: &'static [Field]) -> Part {
    let bits = bit_width(fields) + 1;
    assert!(
        bits.is_multiple_of(8),
        "extended part plus FX is not a whole number of octets"
    );
    Part {
        len: (bits / 8) as u8,
        fields,
    }
}

/// An extended format.
pub const fn extended(parts: &'static [Part]) -> Format {
    assert!(!parts.is_empty(), "extended item without parts");
    Format::Extended(parts)
}

/// A repetitive format with a one-octet count.
pub const fn repetitive(fields: &'static [Field]) -> Format {
    let bits = bit_width(fields);
    assert!(
        bits.is_multiple_of(8) && bits > 0,
        "repetitive element is not a whole number of octets"
    );
    Format::Repetitive {
        len: (bits / 8) as u8,
        fields,
    }
}

/// A repetitive format whose elements end with an FX bit.
pub const fn repetitive_fx(fields: &'static [Field]) -> Format {
    let bits = bit_width(fields) + 1;
    assert!(
        bits.is_multiple_of(8),
        "repetitive-FX element plus FX is not a whole number of octets"
    );
    Format::RepetitiveFx {
        len: (bits / 8) as u8,
        fields,
    }
}

/// A compound subfield.
pub const fn sub(name: &'static str, format: Format) -> Option<SubItem> {
    Some(SubItem { name, format })
}

/// A compound format.
pub const fn compound(subs: &'static [Option<SubItem>]) -> Format {
    assert!(!subs.is_empty(), "compound item without subfields");
    assert!(
        subs.len() <= 63,
        "compound item with more than 63 subfields"
    );
    Format::Compound(subs)
}

/// A Reserved Expansion Field with the subfields of its REF specification.
pub const fn expansion(subs: &'static [Option<SubItem>]) -> Format {
    assert!(!subs.is_empty(), "expansion without subfields");
    assert!(subs.len() <= 64, "expansion with more than 64 subfields");
    Format::Expansion {
        primary_len: subs.len().div_ceil(8) as u8,
        subs,
    }
}

/// An item.
pub const fn item(id: &'static str, title: &'static str, format: Format) -> ItemSpec {
    ItemSpec { id, title, format }
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut idx = 0;
    while idx < a.len() {
        #[allow(clippy::indexing_slicing)] // bounded by the loop condition, compile time
        if a[idx] != b[idx] {
            return false;
        }
        idx += 1;
    }
    true
}

/// The FRNs `uap` defines, as a bit mask (bit `n` for FRN `n + 1`), for [`Edition::defined`].
#[allow(clippy::indexing_slicing)] // compile-time loop over a table literal
pub const fn defined_frns(uap: &Uap) -> u64 {
    assert!(uap.len() <= 63, "UAP longer than 63 FRNs");
    let mut mask = 0u64;
    let mut idx = 0;
    while idx < uap.len() {
        if uap[idx].is_some() {
            mask |= 1 << idx;
        }
        idx += 1;
    }
    mask
}

/// `uap` padded to 64 slots with `None`, for [`Edition::slots`].
#[allow(clippy::indexing_slicing)] // compile-time loop over a table literal
pub const fn uap_slots(uap: &Uap) -> [Option<&'static ItemSpec>; 64] {
    assert!(uap.len() <= 63, "UAP longer than 63 FRNs");
    let mut slots = [None; 64];
    let mut idx = 0;
    while idx < uap.len() {
        slots[idx] = uap[idx];
        idx += 1;
    }
    slots
}

/// FRNs of `ids` in `uap` (0 where the edition lacks the item), for [`Edition::known`].
#[allow(clippy::indexing_slicing)] // compile-time loops over table literals
pub const fn resolve<const N: usize>(uap: &Uap, ids: &[&str; N]) -> [u8; N] {
    assert!(uap.len() <= 63, "UAP longer than 63 FRNs");
    let mut out = [0u8; N];
    let mut k = 0;
    while k < N {
        let mut frn = 0;
        while frn < uap.len() {
            if let Some(item) = uap[frn]
                && str_eq(item.id, ids[k])
            {
                out[k] = (frn + 1) as u8;
            }
            frn += 1;
        }
        k += 1;
    }
    out
}
