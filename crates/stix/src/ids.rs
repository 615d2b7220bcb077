//! STIX identifiers (`type--uuid`) and how Liptako makes them, deterministically, so that
//! exporting the same version twice gives the same objects.
//!
//! `stix2-validator --strict` requires the UUID of every SDO, SRO and meta object to be a
//! version 4 UUID (its check 103), so every id we make is in version 4 form:
//!
//! - a **report**'s UUID is the Liptako object's own UUID with its version nibble turned from 7
//!   to 4 ([`report_uuid`]); Liptako ids are UUIDv7 (`Uuid::now_v7`), so the change is
//!   reversible ([`report_candidate`]) and a TAXII request for `report--X` finds the object
//!   without an index. An id that is not a v7 UUID gets a name-based UUID instead (UUIDv5 of
//!   the id, stamped version 4), which the TAXII server resolves by a scan.
//! - the **parts** of a report (its `location`, `note`, `sighting`) get the report's UUID with a
//!   fixed mask per part XORed into its random bits ([`part_uuid`]), reversible the same way.
//! - **meta objects** (identities, marking definitions, extension definitions) get a
//!   name-based UUID ([`named_uuid`]: UUIDv5 in the Liptako namespace, stamped version 4).
//! - a report **imported** from a foreign STIX object gets a name-based id in v7 form
//!   ([`import_uuid`]), so re-importing the same object updates the same report.

use std::fmt;

use uuid::Uuid;

/// The namespace of every name-based id Liptako makes (a fixed random UUID).
pub const NAMESPACE: Uuid = Uuid::from_u128(0x5f3a_2c1e_9b7d_4e60_8a41_d2c3_b4e5_f607);

/// Longest STIX type name accepted (the specification's limit).
const MAX_TYPE_CHARS: usize = 250;

/// A parsed STIX identifier: `object-type--UUID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StixId<'a> {
    /// The object type, e.g. `report`.
    pub object_type: &'a str,
    /// The UUID part.
    pub uuid: Uuid,
}

impl<'a> StixId<'a> {
    /// Parses `type--uuid`: the type is 3 to 250 lower-case letters, digits and hyphens, the
    /// UUID in its hyphenated form and of the RFC 4122 variant.
    pub fn parse(text: &'a str) -> Option<StixId<'a>> {
        let (object_type, uuid) = text.split_once("--")?;
        if !is_type_name(object_type) || uuid.len() != 36 {
            return None;
        }
        let uuid = Uuid::try_parse(uuid).ok()?;
        if uuid.get_variant() != uuid::Variant::RFC4122 {
            return None;
        }
        Some(StixId { object_type, uuid })
    }
}

impl fmt::Display for StixId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}--{}", self.object_type, self.uuid.hyphenated())
    }
}

/// Whether `name` is a valid STIX type name (also used for custom types and extensions).
pub fn is_type_name(name: &str) -> bool {
    (3..=MAX_TYPE_CHARS).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

/// `type--uuid`.
pub fn format_id(object_type: &str, uuid: Uuid) -> String {
    format!("{object_type}--{}", uuid.hyphenated())
}

fn with_version(uuid: Uuid, version: u8) -> Uuid {
    let mut bytes = uuid.into_bytes();
    bytes[6] = (bytes[6] & 0x0f) | (version << 4);
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Uuid::from_bytes(bytes)
}

fn is_rfc_version(uuid: Uuid, version: usize) -> bool {
    uuid.get_version_num() == version && uuid.get_variant() == uuid::Variant::RFC4122
}

/// A name-based UUID (UUIDv5 of `name` in [`NAMESPACE`]) in version 4 form.
pub fn named_uuid(name: &str) -> Uuid {
    with_version(Uuid::new_v5(&NAMESPACE, name.as_bytes()), 4)
}

/// The UUID of the STIX `report` for the Liptako object `id`.
pub fn report_uuid(id: Uuid) -> Uuid {
    if is_rfc_version(id, 7) {
        with_version(id, 4)
    } else {
        named_uuid(&format!("report:{}", id.hyphenated()))
    }
}

/// The Liptako id a report UUID comes from, when it was made from a UUIDv7 (check with
/// [`report_uuid`]: a name-based report UUID also yields a candidate, which then differs).
pub fn report_candidate(report: Uuid) -> Option<Uuid> {
    is_rfc_version(report, 4).then(|| with_version(report, 7))
}

/// The objects a report is exported with besides itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// Its `location`.
    Location,
    /// Its `note` (intelligence summaries).
    Note,
    /// Its `sighting` (incidents, spot reports, civilian harm, airspace alerts).
    Sighting,
}

impl Part {
    /// Every part.
    pub const ALL: [Part; 3] = [Part::Location, Part::Note, Part::Sighting];

    /// The STIX type of the part.
    pub fn stix_type(self) -> &'static str {
        match self {
            Part::Location => "location",
            Part::Note => "note",
            Part::Sighting => "sighting",
        }
    }

    /// The part of this STIX type.
    pub fn from_stix_type(object_type: &str) -> Option<Part> {
        Part::ALL
            .into_iter()
            .find(|part| part.stix_type() == object_type)
    }

    /// XORed into the report's UUID; zero on the version and variant bits.
    fn mask(self) -> u128 {
        const KEEP: u128 = !0x0000_0000_0000_f000_c000_0000_0000_0000;
        let mask = match self {
            Part::Location => 0x6c6f_6361_7469_6f6e_0000_0000_0000_0001,
            Part::Note => 0x6e6f_7465_0000_0000_0000_0000_0000_0002,
            Part::Sighting => 0x7369_6768_7469_6e67_0000_0000_0000_0003,
        };
        mask & KEEP
    }
}

/// The UUID of a report's part, from the report's UUID.
pub fn part_uuid(report: Uuid, part: Part) -> Uuid {
    Uuid::from_u128(report.as_u128() ^ part.mask())
}

/// The report UUID a part's UUID was made from.
pub fn report_of_part(part_uuid: Uuid, part: Part) -> Uuid {
    Uuid::from_u128(part_uuid.as_u128() ^ part.mask())
}

/// The Liptako id of a report imported from the foreign STIX object `stix_id` (v7 form, so its
/// STIX report id maps back to it).
pub fn import_uuid(stix_id: &str) -> Uuid {
    with_version(
        Uuid::new_v5(&NAMESPACE, format!("import:{stix_id}").as_bytes()),
        7,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_ids_map_back() {
        let id = Uuid::now_v7();
        let report = report_uuid(id);
        assert_eq!(report.get_version_num(), 4);
        assert_eq!(report_candidate(report), Some(id));
        for part in Part::ALL {
            let part_id = part_uuid(report, part);
            assert_eq!(part_id.get_version_num(), 4);
            assert_eq!(part_id.get_variant(), uuid::Variant::RFC4122);
            assert_ne!(part_id, report);
            assert_eq!(report_of_part(part_id, part), report);
        }
        let odd = Uuid::from_u128(42);
        let named = report_uuid(odd);
        assert_eq!(named.get_version_num(), 4);
        assert_ne!(report_candidate(named), Some(odd));
        assert_eq!(import_uuid("indicator--x").get_version_num(), 7);
    }

    #[test]
    fn parse_ids() {
        let id = StixId::parse("report--6ba7b810-9dad-41d1-80b4-00c04fd430c8").unwrap();
        assert_eq!(id.object_type, "report");
        assert_eq!(
            id.to_string(),
            "report--6ba7b810-9dad-41d1-80b4-00c04fd430c8"
        );
        for bad in [
            "report",
            "Report--6ba7b810-9dad-41d1-80b4-00c04fd430c8",
            "re--6ba7b810-9dad-41d1-80b4-00c04fd430c8",
            "report--6ba7b8109dad41d180b400c04fd430c8",
            "report--6ba7b810-9dad-41d1-00b4-00c04fd430c8",
            "x--report--6ba7b810-9dad-41d1-80b4-00c04fd430c8",
        ] {
            assert!(StixId::parse(bad).is_none(), "{bad}");
        }
    }
}
