//! Nations, named by their ISO 3166-1 alpha-3 code (`MLI`, `BFA`, `NER`).
//!
//! The members of a confederation come from configuration; nothing in the code knows any
//! particular nation. A [`Nation`] is three upper-case ASCII letters, stored inline (it is
//! `Copy`, compared and hashed as three bytes).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An ISO 3166-1 alpha-3 country code, upper case.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Nation([u8; 3]);

/// A string that is not three ASCII letters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a nation code: {0:?} (expected three letters, ISO 3166-1 alpha-3, such as MLI)")]
pub struct BadNation(pub String);

impl Nation {
    /// Parses a code, accepting lower case (`"bfa"` is `BFA`).
    pub fn parse(code: &str) -> Result<Nation, BadNation> {
        match code.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|byte| byte.is_ascii_alphabetic()) => Ok(Nation([
                a.to_ascii_uppercase(),
                b.to_ascii_uppercase(),
                c.to_ascii_uppercase(),
            ])),
            _ => Err(BadNation(code.to_owned())),
        }
    }

    /// The code as a string slice, always three upper-case letters.
    pub fn as_str(&self) -> &str {
        // Only `parse` builds a Nation and it admits ASCII letters only.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl FromStr for Nation {
    type Err = BadNation;
    fn from_str(code: &str) -> Result<Nation, BadNation> {
        Nation::parse(code)
    }
}

impl fmt::Display for Nation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Nation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Nation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Nation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Nation, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Nation::parse(&code).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Nation {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[A-Z]{3}$"))
            .description(Some("ISO 3166-1 alpha-3 nation code"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Nation {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises_case() {
        assert_eq!(
            Nation::parse("bfa").map(|n| n.to_string()),
            Ok("BFA".into())
        );
        assert_eq!(
            Nation::parse("MLI").map(|n| n.to_string()),
            Ok("MLI".into())
        );
    }

    #[test]
    fn rejects_other_shapes() {
        for bad in ["", "ML", "MLIX", "M1I", "ÉTA", "ml "] {
            assert!(Nation::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn serde_roundtrip() {
        let nation = Nation::parse("NER").unwrap();
        let json = serde_json::to_string(&nation).unwrap();
        assert_eq!(json, "\"NER\"");
        assert_eq!(serde_json::from_str::<Nation>(&json).unwrap(), nation);
        assert!(serde_json::from_str::<Nation>("\"NIGER\"").is_err());
    }
}
