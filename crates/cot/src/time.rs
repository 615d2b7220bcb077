//! CoT timestamps: `xs:dateTime` text in XML, milliseconds since the Unix epoch in protobuf.
//!
//! [`CotTime`] holds UTC milliseconds, the protobuf resolution, so a time survives XML ->
//! protobuf -> XML unchanged. XML input with finer fractions is truncated to the millisecond;
//! offsets such as `+01:00` are folded into UTC. The accepted range is 1970-01-01T00:00:00Z to
//! 9999-12-31T23:59:59.999Z: protobuf times are unsigned, and CoT has nothing before 1970, so
//! every conversion between the two forms is exact.
//!
//! No clock is read here: callers pass the current time in.

use std::fmt;

/// A CoT time: UTC milliseconds since 1970-01-01T00:00:00Z, within [`CotTime::MIN`, `CotTime::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct CotTime(u64);

const MS_PER_SECOND: u64 = 1_000;
const MS_PER_DAY: u64 = 86_400_000;

impl CotTime {
    /// 1970-01-01T00:00:00.000Z.
    pub const MIN: CotTime = CotTime(0);
    /// 9999-12-31T23:59:59.999Z, the last instant a four-digit year can write.
    pub const MAX: CotTime = CotTime(253_402_300_799_999);

    /// The time `unix_ms` milliseconds after the epoch, or `None` past [`CotTime::MAX`].
    pub const fn from_unix_ms(unix_ms: u64) -> Option<CotTime> {
        if unix_ms <= Self::MAX.0 {
            Some(CotTime(unix_ms))
        } else {
            None
        }
    }

    /// Milliseconds since the Unix epoch (the protobuf `sendTime`/`startTime`/`staleTime` unit).
    pub const fn unix_ms(self) -> u64 {
        self.0
    }

    /// This time plus `ms` milliseconds, saturating at [`CotTime::MAX`].
    pub const fn plus_ms(self, ms: u64) -> CotTime {
        let sum = self.0.saturating_add(ms);
        CotTime(if sum > Self::MAX.0 { Self::MAX.0 } else { sum })
    }

    /// Parses an `xs:dateTime` as CoT writes it (`2024-05-01T12:00:00.123Z`). Also accepted: no
    /// fraction, any number of fraction digits (truncated to milliseconds), a numeric offset
    /// (`+01:00`) and, leniently, no zone at all (taken as UTC).
    pub fn parse(text: &str) -> Result<CotTime, TimeError> {
        let mut cursor = Cursor {
            bytes: text.as_bytes(),
            pos: 0,
        };
        let year = cursor.digits(4)?;
        cursor.expect(b'-')?;
        let month = cursor.digits(2)?;
        cursor.expect(b'-')?;
        let day = cursor.digits(2)?;
        if !cursor.eat(b'T') && !cursor.eat(b't') {
            return Err(TimeError::Syntax);
        }
        let hour = cursor.digits(2)?;
        cursor.expect(b':')?;
        let minute = cursor.digits(2)?;
        cursor.expect(b':')?;
        let second = cursor.digits(2)?;
        let mut millis = 0u64;
        if cursor.eat(b'.') {
            let mut n_digits = 0;
            while let Some(digit) = cursor.peek_digit() {
                if n_digits < 3 {
                    millis = millis * 10 + u64::from(digit);
                }
                n_digits += 1;
                cursor.pos += 1;
            }
            if n_digits == 0 {
                return Err(TimeError::Syntax);
            }
            for _ in n_digits..3 {
                millis *= 10;
            }
        }
        // Offset east of UTC, in minutes; the UTC instant is the local time minus it.
        let offset_minutes: i64 = match cursor.next() {
            None => 0,
            Some(b'Z' | b'z') => 0,
            Some(sign @ (b'+' | b'-')) => {
                let hours = cursor.digits(2)?;
                cursor.expect(b':')?;
                let minutes = cursor.digits(2)?;
                if hours > 14 || minutes > 59 {
                    return Err(TimeError::OutOfRange);
                }
                let total = i64::from(hours * 60 + minutes);
                if sign == b'-' { -total } else { total }
            }
            Some(_) => return Err(TimeError::Syntax),
        };
        if cursor.pos != cursor.bytes.len() {
            return Err(TimeError::Syntax);
        }
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return Err(TimeError::OutOfRange);
        }
        let days = days_from_civil(i64::from(year), month, day);
        let local_ms = days * MS_PER_DAY as i64
            + i64::from(hour * 3600 + minute * 60 + second) * MS_PER_SECOND as i64
            + millis as i64;
        let utc_ms = local_ms - offset_minutes * 60_000;
        if utc_ms < 0 || utc_ms > Self::MAX.0 as i64 {
            return Err(TimeError::OutOfRange);
        }
        Ok(CotTime(utc_ms as u64))
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS.mmmZ` (always milliseconds, always `Z`).
    pub fn write_to(self, out: &mut Vec<u8>) {
        let days = (self.0 / MS_PER_DAY) as i64;
        let ms_of_day = self.0 % MS_PER_DAY;
        let (year, month, day) = civil_from_days(days);
        let seconds_of_day = ms_of_day / MS_PER_SECOND;
        let millis = ms_of_day % MS_PER_SECOND;
        push_digits(out, u64::from(year), 4);
        out.push(b'-');
        push_digits(out, u64::from(month), 2);
        out.push(b'-');
        push_digits(out, u64::from(day), 2);
        out.push(b'T');
        push_digits(out, seconds_of_day / 3600, 2);
        out.push(b':');
        push_digits(out, seconds_of_day / 60 % 60, 2);
        out.push(b':');
        push_digits(out, seconds_of_day % 60, 2);
        out.push(b'.');
        push_digits(out, millis, 3);
        out.push(b'Z');
    }
}

impl fmt::Display for CotTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = Vec::with_capacity(24);
        self.write_to(&mut text);
        // write_to only emits ASCII digits and punctuation.
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

/// Why a CoT time did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("is not an xs:dateTime (expected YYYY-MM-DDThh:mm:ss[.sss]Z)")]
    Syntax,
    #[error("is not a valid date and time between 1970 and 9999")]
    OutOfRange,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn next(&mut self) -> Option<u8> {
        let byte = self.bytes.get(self.pos).copied();
        if byte.is_some() {
            self.pos += 1;
        }
        byte
    }

    fn eat(&mut self, wanted: u8) -> bool {
        if self.bytes.get(self.pos) == Some(&wanted) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, wanted: u8) -> Result<(), TimeError> {
        if self.eat(wanted) {
            Ok(())
        } else {
            Err(TimeError::Syntax)
        }
    }

    fn peek_digit(&self) -> Option<u8> {
        self.bytes
            .get(self.pos)
            .filter(|byte| byte.is_ascii_digit())
            .map(|byte| byte - b'0')
    }

    fn digits(&mut self, n_digits: usize) -> Result<u32, TimeError> {
        let mut value = 0u32;
        for _ in 0..n_digits {
            let digit = self.peek_digit().ok_or(TimeError::Syntax)?;
            value = value * 10 + u32::from(digit);
            self.pos += 1;
        }
        Ok(value)
    }
}

fn push_digits(out: &mut Vec<u8>, value: u64, width: u32) {
    let mut divisor = 10u64.pow(width - 1);
    while divisor > 0 {
        out.push(b'0' + (value / divisor % 10) as u8);
        divisor /= 10;
    }
}

fn is_leap_year(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date. Counts in 400-year eras starting on
/// March 1st, so the leap day is the last day of its year and needs no special case.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (u32, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year as u32, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(time: CotTime) -> String {
        time.to_string()
    }

    #[test]
    fn epoch_and_extremes() {
        assert_eq!(CotTime::parse("1970-01-01T00:00:00Z"), Ok(CotTime::MIN));
        assert_eq!(text(CotTime::MIN), "1970-01-01T00:00:00.000Z");
        assert_eq!(CotTime::parse("9999-12-31T23:59:59.999Z"), Ok(CotTime::MAX));
        assert_eq!(text(CotTime::MAX), "9999-12-31T23:59:59.999Z");
        assert_eq!(
            CotTime::parse("1969-12-31T23:59:59Z"),
            Err(TimeError::OutOfRange)
        );
    }

    #[test]
    fn known_instant_matches_unix_ms() {
        // 2020-02-29T12:34:56.789Z is 1582979696789 ms after the epoch (date -d ... +%s%3N).
        let time = CotTime::parse("2020-02-29T12:34:56.789Z").unwrap();
        assert_eq!(time.unix_ms(), 1_582_979_696_789);
        assert_eq!(text(time), "2020-02-29T12:34:56.789Z");
    }

    #[test]
    fn fractions_offsets_and_lenient_forms() {
        let base = CotTime::parse("2024-05-01T12:00:00.120Z").unwrap();
        assert_eq!(CotTime::parse("2024-05-01T12:00:00.12Z"), Ok(base));
        assert_eq!(CotTime::parse("2024-05-01T12:00:00.1209999Z"), Ok(base));
        assert_eq!(CotTime::parse("2024-05-01T14:00:00.12+02:00"), Ok(base));
        assert_eq!(CotTime::parse("2024-05-01T11:30:00.12-00:30"), Ok(base));
        assert_eq!(CotTime::parse("2024-05-01t12:00:00.12z"), Ok(base));
        assert_eq!(CotTime::parse("2024-05-01T12:00:00.12"), Ok(base));
    }

    #[test]
    fn rejects_malformed_and_impossible_dates() {
        for bad in [
            "",
            "2024-05-01",
            "2024-05-01 12:00:00Z",
            "2024-5-01T12:00:00Z",
            "2024-05-01T12:00:00.Z",
            "2024-05-01T12:00:00ZZ",
            "2024-05-01T12:00:00+0200",
            "２０２４-05-01T12:00:00Z",
        ] {
            assert_eq!(CotTime::parse(bad), Err(TimeError::Syntax), "{bad:?}");
        }
        for bad in [
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-04-31T00:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T23:60:00Z",
            "2024-05-01T23:59:60Z",
            "2024-05-01T00:00:00+15:00",
        ] {
            assert_eq!(CotTime::parse(bad), Err(TimeError::OutOfRange), "{bad:?}");
        }
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        // Walks 1970..2370 day by day: covers every leap-year rule and the era boundary at 2000.
        let mut previous = None;
        for days in 0..(400 * 366) {
            let time = CotTime::from_unix_ms(days * MS_PER_DAY + 45_296_007).unwrap();
            let written = text(time);
            assert_eq!(CotTime::parse(&written), Ok(time), "{written}");
            assert!(previous.is_none_or(|p: String| p < written));
            previous = Some(written);
        }
    }

    #[test]
    fn plus_saturates_at_max() {
        assert_eq!(CotTime::MAX.plus_ms(1), CotTime::MAX);
        assert_eq!(CotTime::MIN.plus_ms(60_000).unix_ms(), 60_000);
        assert_eq!(CotTime::from_unix_ms(CotTime::MAX.unix_ms() + 1), None);
    }
}
