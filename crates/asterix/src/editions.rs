//! Which edition decodes which category: the per-sensor choice a configuration makes.
//!
//! The default is the current edition of every category (CAT021 2.7, CAT034 1.29, CAT048 1.32,
//! CAT062 1.21, CAT065 1.6). ASTERIX editions grow by turning spare bits and trailing FX
//! extents into new fields, and every older edition we carry has the same UAP as the current
//! one, so the current table frames older data correctly and shows the newer bits as zero.
//! Selecting an older edition matters when a sensor sends bits the current edition has
//! reassigned (CAT062 1.18 I062/340 HEIGHT is unsigned, 1.21 signed) or to compare with a
//! system that knows only that edition.

use std::fmt;

use crate::spec::Edition;
use crate::tables;

/// The edition used per category; a category without one is not decoded.
#[derive(Clone, Copy)]
pub struct Editions {
    // Indexed by the small list of categories we have tables for.
    slots: [Option<&'static Edition>; CATEGORIES.len()],
}

/// Categories with tables.
pub const CATEGORIES: [u8; 5] = [21, 34, 48, 62, 65];

impl PartialEq for Editions {
    fn eq(&self, other: &Self) -> bool {
        self.slots
            .iter()
            .zip(other.slots.iter())
            .all(|(a, b)| match (a, b) {
                (Some(a), Some(b)) => a.category == b.category && a.version == b.version,
                (None, None) => true,
                _ => false,
            })
    }
}

impl Default for Editions {
    fn default() -> Self {
        Editions::current()
    }
}

impl fmt::Debug for Editions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.slots.iter().flatten().map(|e| e.name().to_string()))
            .finish()
    }
}

impl Editions {
    /// The current edition of every category.
    pub fn current() -> Self {
        let mut slots = [None; CATEGORIES.len()];
        for (slot, category) in slots.iter_mut().zip(CATEGORIES) {
            *slot = tables::current(category);
        }
        Editions { slots }
    }

    /// No category decoded (enable some with [`Editions::set`]).
    pub fn none() -> Self {
        Editions {
            slots: [None; CATEGORIES.len()],
        }
    }

    /// The edition for `category`, if it is decoded.
    pub fn get(&self, category: u8) -> Option<&'static Edition> {
        let idx = CATEGORIES.iter().position(|&c| c == category)?;
        self.slots.get(idx).copied().flatten()
    }

    /// Decode `edition.category` with `edition`.
    pub fn set(&mut self, edition: &'static Edition) {
        if let Some(idx) = CATEGORIES.iter().position(|&c| c == edition.category)
            && let Some(slot) = self.slots.get_mut(idx)
        {
            *slot = Some(edition);
        }
    }

    /// Stop decoding `category`: its blocks are skipped with an error.
    pub fn disable(&mut self, category: u8) {
        if let Some(idx) = CATEGORIES.iter().position(|&c| c == category)
            && let Some(slot) = self.slots.get_mut(idx)
        {
            *slot = None;
        }
    }

    /// Applies a selector such as `"CAT048=1.21"` (see [`parse_edition`]).
    pub fn select(&mut self, selector: &str) -> Result<(), EditionError> {
        self.set(parse_edition(selector)?);
        Ok(())
    }

    /// The current editions with `selectors` applied in order.
    pub fn from_selectors<'s>(
        selectors: impl IntoIterator<Item = &'s str>,
    ) -> Result<Self, EditionError> {
        let mut editions = Editions::current();
        for selector in selectors {
            editions.select(selector)?;
        }
        Ok(editions)
    }
}

/// Parses `"CAT048=1.21"` (also `"cat48=1.21"`, `"048=1.21"`, `"48=1.21"`) into an edition.
pub fn parse_edition(selector: &str) -> Result<&'static Edition, EditionError> {
    let bad = || EditionError::Syntax(selector.to_owned());
    let (cat, version) = selector.split_once('=').ok_or_else(bad)?;
    let cat = cat.trim();
    let digits = cat
        .strip_prefix("CAT")
        .or_else(|| cat.strip_prefix("cat"))
        .or_else(|| cat.strip_prefix("Cat"))
        .unwrap_or(cat);
    let category: u8 = digits.parse().map_err(|_| bad())?;
    let version = version.trim();
    tables::find(category, version).ok_or_else(|| EditionError::Unknown {
        category,
        version: version.to_owned(),
        known: tables::versions(category)
            .map(|edition| edition.version)
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// A selector that names no edition we have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditionError {
    /// Not of the form `CAT048=1.21`.
    #[error("edition selector {0:?} is not of the form CAT048=1.21")]
    Syntax(String),
    /// No table for that category and version.
    #[error("no table for CAT{category:03} edition {version} (known: {known})")]
    Unknown {
        /// Category asked for.
        category: u8,
        /// Version asked for.
        version: String,
        /// Versions we have for that category, comma-separated (empty: category not decoded).
        known: String,
    },
}
