//! STIX and TAXII timestamps: RFC 3339 in UTC with a `Z`, e.g. `2026-11-24T10:00:00.123456Z`.
//!
//! We write microseconds always (six digits): the store keeps microseconds, STIX asks for at
//! least milliseconds on `created` and `modified`, and two versions made in the same
//! millisecond must still differ in `modified`. We read any precision.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// A timestamp that is not a STIX timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a timestamp of the form 2026-11-24T10:00:00.000Z (RFC 3339, UTC, 'Z')")]
pub struct BadTimestamp(pub String);

/// Longest timestamp text accepted.
const MAX_TIMESTAMP_CHARS: usize = 40;

/// Writes `at` as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC).
pub fn format(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.microsecond()
    )
}

/// Reads a STIX timestamp: RFC 3339, in UTC, ending in `Z`, year 0001 to 9999. Nanoseconds
/// below the microsecond are dropped (the store keeps microseconds).
pub fn parse(text: &str) -> Result<OffsetDateTime, BadTimestamp> {
    let bad = || BadTimestamp(text.chars().take(MAX_TIMESTAMP_CHARS).collect());
    if text.len() > MAX_TIMESTAMP_CHARS || !text.ends_with('Z') {
        return Err(bad());
    }
    let at = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| bad())?;
    if !(1..=9999).contains(&at.year()) {
        return Err(bad());
    }
    at.replace_nanosecond(at.microsecond() * 1000)
        .map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn round_trip() {
        let at = datetime!(2026-11-24 10:00:00.123456 UTC);
        assert_eq!(format(at), "2026-11-24T10:00:00.123456Z");
        assert_eq!(parse(&format(at)), Ok(at));
        assert_eq!(
            parse("2026-11-24T10:00:00Z"),
            Ok(datetime!(2026-11-24 10:00:00 UTC))
        );
        assert_eq!(
            parse("2026-11-24T10:00:00.123456789Z"),
            Ok(datetime!(2026-11-24 10:00:00.123456 UTC))
        );
        for bad in [
            "",
            "2026-11-24",
            "2026-11-24T10:00:00+01:00",
            "2026-13-24T10:00:00Z",
            "yesterday",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
