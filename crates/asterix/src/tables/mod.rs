//! The edition tables: one module per category, one `Edition` static per edition.
//!
//! | category | current (default) | older, still decoded |
//! |---|---|---|
//! | CAT021 ADS-B reports | 2.7 | 2.6 |
//! | CAT034 radar service messages | 1.29 | 1.27 |
//! | CAT048 monoradar target reports | 1.32 | 1.21 |
//! | CAT062 system tracks | 1.21 | 1.18 |
//! | CAT065 SDPS service status | 1.6 | 1.3 |
//!
//! Adding an edition is adding a table here and a line in [`ALL`]: framing, the generic field
//! view, the JSON dump and the typed views all read the tables.

pub mod bds;
pub mod cat021;
pub mod cat034;
pub mod cat048;
pub mod cat062;
pub mod cat065;

use crate::spec::{Edition, Format, ItemSpec, item};

/// Special Purpose field: opaque, length-prefixed.
pub(crate) static SP: ItemSpec = item("SP", "Special Purpose Field", Format::Explicit);
/// Reserved Expansion field: opaque, length-prefixed.
pub(crate) static RE: ItemSpec = item("RE", "Reserved Expansion Field", Format::Explicit);

/// Every edition, current edition of each category first.
pub static ALL: [&Edition; 10] = [
    &cat021::V2_7,
    &cat021::V2_6,
    &cat034::V1_29,
    &cat034::V1_27,
    &cat048::V1_32,
    &cat048::V1_21,
    &cat062::V1_21,
    &cat062::V1_18,
    &cat065::V1_6,
    &cat065::V1_3,
];

/// The edition `version` of `category`, if we have its table.
pub fn find(category: u8, version: &str) -> Option<&'static Edition> {
    ALL.iter()
        .copied()
        .find(|edition| edition.category == category && edition.version == version)
}

/// The current (default) edition of `category`.
pub fn current(category: u8) -> Option<&'static Edition> {
    ALL.iter()
        .copied()
        .find(|edition| edition.category == category)
}

/// The editions known for `category`, current first.
pub fn versions(category: u8) -> impl Iterator<Item = &'static Edition> {
    ALL.iter()
        .copied()
        .filter(move |edition| edition.category == category)
}

#[cfg(test)]
mod slot_tests {
    #[test]
    fn every_edition_slots_are_its_uap_padded() {
        for edition in super::ALL {
            for idx in 0..64 {
                let slot = edition
                    .slots
                    .get(idx)
                    .copied()
                    .flatten()
                    .map(|item| item.id);
                let uap = edition.uap.get(idx).copied().flatten().map(|item| item.id);
                assert_eq!(slot, uap, "{} slot {idx}", edition.name());
            }
        }
    }
}
