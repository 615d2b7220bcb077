//! The reference decoder's spec XML files (shipped in the asterix-decoder package) read into
//! formats with bit positions, so its output can be matched to ours by position in the item
//! rather than by field name (the two name fields differently; the bits are the spec).

use std::collections::HashMap;
use std::path::Path;

use quick_xml::events::Event;

/// A minimal element tree.
#[derive(Debug, Default, Clone)]
pub struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
    pub text: String,
}

impl Node {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim())
    }
}

pub fn parse_xml(path: &Path) -> Node {
    let text = std::fs::read_to_string(path).unwrap();
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        match reader.read_event().unwrap() {
            Event::Start(start) => {
                stack.push(element(&start));
            }
            Event::Empty(start) => {
                let node = element(&start);
                stack.last_mut().unwrap().children.push(node);
            }
            Event::End(_) => {
                let node = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(node);
            }
            Event::Text(text) => {
                let decoded = text.xml10_content();
                stack.last_mut().unwrap().text.push_str(&decoded);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    stack.pop().unwrap()
}

#[allow(deprecated)] // `unescape_value`: the spec files are XML 1.0 without entities
fn element(start: &quick_xml::events::BytesStart<'_>) -> Node {
    Node {
        name: start.name().as_ref().to_owned(),
        attrs: start
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                (
                    a.key.as_ref().to_owned(),
                    a.unescape_value().unwrap().into_owned(),
                )
            })
            .collect(),
        children: Vec::new(),
        text: String::new(),
    }
}

/// How the reference reads a bit field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encode {
    Unsigned,
    Signed,
    Octal,
    SixBitChar,
    Ascii,
    Hex,
}

/// One `<Bits>` element.
#[derive(Debug, Clone)]
pub struct RefBits {
    pub name: String,
    /// Highest and lowest bit number (1 = least significant bit of the part).
    pub hi: u32,
    pub lo: u32,
    pub encode: Encode,
    pub scale: Option<f64>,
    pub unit: Option<String>,
    pub fx: bool,
}

/// A reference format.
#[derive(Debug, Clone)]
pub enum RefFormat {
    Fixed {
        len: usize,
        bits: Vec<RefBits>,
    },
    Variable(Vec<RefFormat>),
    Repetitive(Box<RefFormat>),
    RepetitiveBds,
    /// Per defined subfield: its name, its slot (0-based position of its presence bit, FX
    /// bits not counted) and the index of its format in `formats`.
    Compound {
        names: Vec<(String, usize, usize)>,
        formats: Vec<RefFormat>,
        /// Presence bits per primary octet: 7 (the eighth is FX) or 8 (a fixed indicator).
        per_octet: usize,
        /// Octets of a fixed indicator (0 for an FX-chained primary subfield).
        fixed_primary: usize,
    },
    /// A length octet, then raw content or, where the file describes it, a format.
    Explicit(Option<Box<RefFormat>>),
}

/// A category's items by id (`"010"`, `"SP"`).
pub type RefCategory = HashMap<String, RefFormat>;

pub fn load_category(path: &Path) -> RefCategory {
    let root = parse_xml(path);
    let category = root.child("Category").unwrap();
    category
        .children
        .iter()
        .filter(|c| c.name == "DataItem")
        .map(|item| {
            let format = item.child("DataItemFormat").unwrap();
            let inner = format.children.first().unwrap();
            (item.attr("id").unwrap().to_owned(), read_format(inner))
        })
        .collect()
}

/// BDS register formats by register code (`"40"`; `"00"` is the generic one).
pub fn load_bds(path: &Path) -> HashMap<String, RefFormat> {
    load_category(path)
}

fn read_format(node: &Node) -> RefFormat {
    match node.name.as_str() {
        "Fixed" => RefFormat::Fixed {
            len: node.attr("length").unwrap().parse().unwrap(),
            bits: node
                .children
                .iter()
                .filter(|c| c.name == "Bits")
                .map(read_bits)
                .collect(),
        },
        "Variable" => RefFormat::Variable(
            node.children
                .iter()
                .filter(|c| c.name == "Fixed")
                .map(read_format)
                .collect(),
        ),
        "Repetitive" => match node.children.first() {
            Some(child) if child.name == "BDS" => RefFormat::RepetitiveBds,
            Some(child) => RefFormat::Repetitive(Box::new(read_format(child))),
            None => panic!("empty Repetitive"),
        },
        "Compound" => {
            let mut children = node.children.iter();
            let presence = children.next().unwrap();
            let octets: Vec<&Node> = presence
                .children
                .iter()
                .filter(|c| c.name == "Fixed")
                .collect();
            let has_fx = octets.iter().any(|f| {
                f.children
                    .iter()
                    .any(|b| b.name == "Bits" && b.attr("fx") == Some("1"))
            });
            let per_octet = if has_fx { 7 } else { 8 };
            let mut names = Vec::new();
            for (octet, fixed) in octets.iter().enumerate() {
                for bits in fixed.children.iter().filter(|c| c.name == "Bits") {
                    if let Some(index) = bits.child_text("BitsPresence") {
                        let format_index = index.parse::<usize>().unwrap() - 1;
                        let bit: usize = bits.attr("bit").unwrap().parse().unwrap();
                        let slot = octet * per_octet + (8 - bit);
                        let name = bits.child_text("BitsShortName").unwrap().to_owned();
                        names.push((name, slot, format_index));
                    }
                }
            }
            RefFormat::Compound {
                names,
                formats: children.map(read_format).collect(),
                per_octet,
                fixed_primary: if has_fx { 0 } else { octets.len() },
            }
        }
        // SP is described as raw octets; RE, where the file describes it, as a compound.
        "Explicit" => match node.children.first() {
            Some(inner) if inner.name == "Compound" => {
                RefFormat::Explicit(Some(Box::new(read_format(inner))))
            }
            _ => RefFormat::Explicit(None),
        },
        other => panic!("unexpected format element {other}"),
    }
}

fn read_bits(node: &Node) -> RefBits {
    let number = |key: &str| {
        node.attr(key)
            .map(|v| v.parse::<u32>().unwrap())
            .unwrap_or(0)
    };
    let (hi, lo) = match number("bit") {
        0 => {
            let (a, b) = (number("from"), number("to"));
            (a.max(b), a.min(b))
        }
        bit => (bit, bit),
    };
    let encode = match node.attr("encode").unwrap_or("unsigned") {
        "signed" => Encode::Signed,
        "octal" => Encode::Octal,
        "6bitschar" => Encode::SixBitChar,
        "ascii" => Encode::Ascii,
        "hex" => Encode::Hex,
        _ => Encode::Unsigned,
    };
    let unit = node.child("BitsUnit");
    RefBits {
        name: node.child_text("BitsShortName").unwrap_or("").to_owned(),
        hi,
        lo,
        encode,
        // A BitsUnit without `scale` scales by 1 (the DTD's default): the value is a number.
        scale: unit.map(|u| {
            u.attr("scale")
                .and_then(|s| s.parse::<f64>().ok())
                .unwrap_or(1.0)
        }),
        unit: unit
            .map(|u| u.text.trim().to_owned())
            .filter(|u| !u.is_empty()),
        fx: node.attr("fx") == Some("1"),
    }
}
