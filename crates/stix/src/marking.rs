//! Markings in STIX: our marking stated exactly, and the TLP 2.0 marking derived from it.
//!
//! - [`Markings`] makes, for one confederation, the `marking-definition` that states a Liptako
//!   [`Marking`] exactly: level and releasability in the properties of a STIX 2.1 extension
//!   whose `extension-definition` every node of the confederation publishes (same id, same
//!   content everywhere, so any node recognises another's definitions). The definition's id is
//!   name-based on the marking, so the same marking always has the same definition.
//! - [`Tlp`] and [`TlpTable`]: the TLP 2.0 marking definitions (the published objects and ids)
//!   and the configured table that derives one from a marking, for tools that only read TLP.
//!
//! On import, [`Markings::marking_of_definition`] reads a definition that states a Liptako
//! marking, and [`Markings::marking_of_id`] recognises the id of any definition this
//! confederation's markings have (so an object whose definition came in an earlier page or run
//! is still understood). What is read is a candidate: the node canonicalises it and checks it
//! against the caller's clearance.

use std::collections::{BTreeMap, HashMap};

use liptako_model::{Marking, Policy};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::ids::{format_id, named_uuid};

/// The creation time of every meta object Liptako publishes (fixed, so they never change).
pub const META_CREATED: &str = "2020-01-01T00:00:00.000000Z";

/// The TLP 2.0 extension definition (OASIS, cti-stix-common-objects).
pub const TLP_2_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// Past this many member nations, releasability lists of more than three nations are not
/// enumerated for [`Markings::marking_of_id`] (their definitions are still read from bundles).
const ENUMERATE_ALL_SUBSETS_UP_TO: usize = 10;

/// The Traffic Light Protocol 2.0, from least to most restricted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Tlp {
    /// TLP:CLEAR (TLP 1.0 WHITE).
    #[serde(rename = "clear", alias = "white")]
    Clear,
    /// TLP:GREEN.
    #[serde(rename = "green")]
    Green,
    /// TLP:AMBER.
    #[serde(rename = "amber")]
    Amber,
    /// TLP:AMBER+STRICT.
    #[serde(rename = "amber+strict")]
    AmberStrict,
    /// TLP:RED.
    #[serde(rename = "red")]
    Red,
}

impl Tlp {
    /// Every level, least restricted first.
    pub const ALL: [Tlp; 5] = [
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ];

    /// `clear`, `green`, `amber`, `amber+strict`, `red`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::AmberStrict => "amber+strict",
            Tlp::Red => "red",
        }
    }

    /// The published id of the TLP 2.0 marking definition.
    pub fn id(self) -> &'static str {
        match self {
            Tlp::Clear => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            Tlp::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            Tlp::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            Tlp::AmberStrict => "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            Tlp::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        }
    }

    /// The TLP level of a marking definition id: TLP 2.0, or the TLP 1.0 ids STIX 2.1
    /// predefines (WHITE is CLEAR).
    pub fn from_id(id: &str) -> Option<Tlp> {
        let tlp1 = [
            (
                "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
                Tlp::Clear,
            ),
            (
                "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
                Tlp::Green,
            ),
            (
                "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
                Tlp::Amber,
            ),
            (
                "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
                Tlp::Red,
            ),
        ];
        Tlp::ALL.into_iter().find(|tlp| tlp.id() == id).or_else(|| {
            tlp1.into_iter()
                .find(|(known, _)| *known == id)
                .map(|(_, tlp)| tlp)
        })
    }

    /// The published TLP 2.0 marking definition object.
    pub fn definition(self) -> Value {
        json!({
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": self.id(),
            "created": "2022-10-01T00:00:00.000Z",
            "name": format!("TLP:{}", self.as_str().to_ascii_uppercase()),
            "extensions": {
                TLP_2_EXTENSION: {
                    "extension_type": "property-extension",
                    "tlp_2_0": self.as_str(),
                }
            }
        })
    }
}

/// The configured derivation of a TLP level from a marking: the level's entry, made at least
/// `national` when the marking is national only. A level missing from the table is RED.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlpTable {
    /// TLP per classification level.
    #[serde(default = "default_by_level")]
    pub by_level: BTreeMap<String, Tlp>,
    /// The least a national-only marking becomes.
    #[serde(default = "default_national")]
    pub national: Tlp,
}

fn default_by_level() -> BTreeMap<String, Tlp> {
    [
        ("NP", Tlp::Green),
        ("DR", Tlp::Amber),
        ("C", Tlp::Red),
        ("S", Tlp::Red),
    ]
    .into_iter()
    .map(|(level, tlp)| (level.to_owned(), tlp))
    .collect()
}

fn default_national() -> Tlp {
    Tlp::AmberStrict
}

impl Default for TlpTable {
    /// NP GREEN, DR AMBER, C and S RED; national only at least AMBER+STRICT.
    fn default() -> TlpTable {
        TlpTable {
            by_level: default_by_level(),
            national: default_national(),
        }
    }
}

impl TlpTable {
    /// The TLP level for `marking`.
    pub fn derive(&self, marking: &Marking) -> Tlp {
        let by_level = self
            .by_level
            .get(&marking.level)
            .copied()
            .unwrap_or(Tlp::Red);
        if marking.is_national() {
            by_level.max(self.national)
        } else {
            by_level
        }
    }
}

/// The marking definitions of one confederation.
#[derive(Debug, Clone)]
pub struct Markings {
    confederation: String,
    lowest: String,
    extension_id: String,
    by_id: HashMap<String, Marking>,
    all: Vec<Marking>,
}

impl Markings {
    /// The definitions for `policy`'s confederation and levels.
    pub fn new(policy: &Policy) -> Markings {
        let confederation = policy.confederation().name().to_owned();
        let members: Vec<String> = policy
            .confederation()
            .members()
            .iter()
            .map(|nation| nation.as_str().to_owned())
            .collect();
        let mut releasabilities: Vec<Vec<String>> = vec![Vec::new(), vec![confederation.clone()]];
        let n_members = members.len();
        let all_subsets = n_members <= ENUMERATE_ALL_SUBSETS_UP_TO;
        // Every non-empty subset of the members, sorted as canonical markings are (all of them
        // too: a client may list every member instead of the confederation's name).
        if n_members > 0 && n_members < 64 {
            let mut sorted = members.clone();
            sorted.sort();
            for mask in 1u64..(1u64 << n_members) {
                if !all_subsets && mask.count_ones() > 3 {
                    continue;
                }
                let subset: Vec<String> = sorted
                    .iter()
                    .enumerate()
                    .filter(|(idx, _)| mask & (1u64 << idx) != 0)
                    .map(|(_, code)| code.clone())
                    .collect();
                releasabilities.push(subset);
            }
        }
        let mut all = Vec::new();
        for level in policy.levels().names() {
            for releasable_to in &releasabilities {
                all.push(Marking::new(level, releasable_to.iter().cloned()));
            }
        }
        let extension_id = format_id(
            "extension-definition",
            named_uuid(&format!("extension:marking:{confederation}")),
        );
        let mut markings = Markings {
            lowest: policy.levels().lowest().to_owned(),
            confederation,
            extension_id,
            by_id: HashMap::new(),
            all: Vec::new(),
        };
        markings.by_id = all
            .iter()
            .map(|marking| (markings.definition_id(marking), marking.clone()))
            .collect();
        markings.all = all;
        markings
    }

    /// The confederation's name.
    pub fn confederation(&self) -> &str {
        &self.confederation
    }

    /// The id of the extension definition our marking definitions use.
    pub fn extension_id(&self) -> &str {
        &self.extension_id
    }

    /// The marking of the objects that describe the confederation itself (identities,
    /// extension definitions): the lowest level, released to all members.
    pub fn meta_marking(&self) -> Marking {
        Marking::new(&self.lowest, [self.confederation.as_str()])
    }

    /// Every canonical marking of the confederation (see [`Markings::marking_of_id`]).
    pub fn all(&self) -> &[Marking] {
        &self.all
    }

    /// The id of the definition of `marking` (expected canonical).
    pub fn definition_id(&self, marking: &Marking) -> String {
        format_id(
            "marking-definition",
            named_uuid(&format!(
                "marking:{}:{}:{}",
                self.confederation,
                marking.level,
                marking.releasable_to.join(",")
            )),
        )
    }

    /// The `marking-definition` that states `marking` exactly. National only is
    /// `"national": true` (STIX allows no empty list), else `releasable_to` lists the tokens.
    pub fn definition(&self, marking: &Marking) -> Value {
        let mut extension = serde_json::Map::new();
        extension.insert("extension_type".into(), "property-extension".into());
        extension.insert("confederation".into(), self.confederation.clone().into());
        extension.insert("level".into(), marking.level.clone().into());
        if marking.is_national() {
            extension.insert("national".into(), true.into());
        } else {
            extension.insert("releasable_to".into(), marking.releasable_to.clone().into());
        }
        json!({
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": self.definition_id(marking),
            "created": META_CREATED,
            "name": format!("{} {marking}", self.confederation),
            "extensions": { self.extension_id.as_str(): extension }
        })
    }

    /// The extension definition our marking definitions use, created by `creator` (the
    /// confederation's identity).
    pub fn extension_definition(&self, creator: &str) -> Value {
        json!({
            "type": "extension-definition",
            "spec_version": "2.1",
            "id": self.extension_id,
            "created_by_ref": creator,
            "created": META_CREATED,
            "modified": META_CREATED,
            "name": format!("{} marking", self.confederation),
            "description": "A classification marking of the confederation: a level and who it is released to.",
            "schema": "Properties: confederation (the confederation's name); level (one of its classification levels, e.g. NP < DR < C < S); either national (true: the originating nation only) or releasable_to (a non-empty list: the confederation's name = all member nations, else ISO 3166-1 alpha-3 codes of member nations).",
            "version": "1.0.0",
            "extension_types": ["property-extension"],
        })
    }

    /// The marking a definition of this confederation states, read from the definition object
    /// itself (not yet canonical: the node checks it).
    pub fn marking_of_definition(&self, definition: &Value) -> Option<Marking> {
        let extension = definition.get("extensions")?.get(&self.extension_id)?;
        if extension.get("confederation")?.as_str()? != self.confederation {
            return None;
        }
        let level = extension.get("level")?.as_str()?;
        let national = extension.get("national").and_then(Value::as_bool) == Some(true);
        let releasable_to = match (national, extension.get("releasable_to")) {
            (true, None) => Vec::new(),
            (false, Some(tokens)) => tokens
                .as_array()?
                .iter()
                .map(|token| token.as_str().map(str::to_owned))
                .collect::<Option<Vec<String>>>()?,
            // Both, or neither: not a marking we can read for sure.
            _ => return None,
        };
        if releasable_to.is_empty() != national || releasable_to.len() > 64 {
            return None;
        }
        Some(Marking {
            level: level.to_owned(),
            releasable_to,
        })
    }

    /// The marking of one of this confederation's definition ids.
    pub fn marking_of_id(&self, id: &str) -> Option<&Marking> {
        self.by_id.get(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liptako_model::{Confederation, Levels, Nation};

    pub(crate) fn policy() -> Policy {
        let nation = |code| Nation::parse(code).unwrap();
        Policy::new(
            Confederation::new("AES", vec![nation("MLI"), nation("BFA"), nation("NER")]).unwrap(),
            Levels::default(),
        )
    }

    #[test]
    fn definitions_state_the_marking_and_are_recognised() {
        let markings = Markings::new(&policy());
        // national, the confederation, and the seven non-empty subsets of three members, at
        // four levels
        assert_eq!(markings.all().len(), 4 * 9);
        let marking = Marking::new("DR", ["BFA", "MLI"]);
        let definition = markings.definition(&marking);
        assert_eq!(
            markings.marking_of_definition(&definition),
            Some(marking.clone())
        );
        assert_eq!(
            markings.marking_of_id(definition["id"].as_str().unwrap()),
            Some(&marking)
        );
        assert_eq!(definition["name"], "AES DR REL BFA, MLI");
    }

    #[test]
    fn tlp_table() {
        let table = TlpTable::default();
        assert_eq!(table.derive(&Marking::new("NP", ["AES"])), Tlp::Green);
        assert_eq!(
            table.derive(&Marking::new("NP", Vec::<String>::new())),
            Tlp::AmberStrict
        );
        assert_eq!(table.derive(&Marking::new("S", ["AES"])), Tlp::Red);
        assert_eq!(table.derive(&Marking::new("XX", ["AES"])), Tlp::Red);
        assert_eq!(
            Tlp::from_id("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"),
            Some(Tlp::Clear)
        );
        assert_eq!(Tlp::from_id(Tlp::AmberStrict.id()), Some(Tlp::AmberStrict));
    }
}
